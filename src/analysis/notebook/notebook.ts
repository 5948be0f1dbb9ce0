/**
 * Jupyter notebooks: the code cells, in order, are one Python program (a kernel runs them top to
 * bottom). IPython magics and shell lines aren't Python, so they are blanked to the same length:
 * every offset in a cell maps to the same offset in the combined program, and findings, related
 * locations and fix edits map back to (cell, line, column). Fixes rewrite only the `source` of the
 * cells they touch; the rest of the file stays byte-identical.
 */
import type { Finding, LintOptions, LintResult, Position, TextEdit } from "../core/types";
import type { SiteExplanation } from "../core/explain";
import { applyEdits, LineIndex } from "../core/textEdits";
import { cellSourceSpans, NotebookJsonError } from "./jsonSpans";

export const NOTEBOOK_EXTENSIONS = [".ipynb"];

interface RawCell {
  cell_type?: unknown;
  source?: unknown;
}

/** A code cell's place in the combined program. */
export interface CellSegment {
  /** Index into the notebook's `cells` array (0-based; markdown cells count). */
  index: number;
  /** The cell's source as written. */
  source: string;
  /** Offset and 0-based line where it starts in the combined program. */
  offset: number;
  line: number;
}

export interface NotebookProgram {
  text: string;
  segments: CellSegment[];
}

/** Cell magics whose body is Python run as usual. */
const PYTHON_CELL_MAGICS = /^%%(time|timeit|capture|prun|debug|memit)\b/;

export function sourceText(source: unknown): string {
  if (typeof source === "string") return source;
  if (Array.isArray(source) && source.every((s) => typeof s === "string")) return source.join("");
  return "";
}

/** The code cells joined in order, with magics and shell lines blanked (same length). */
export function notebookProgram(cells: { kind: "code" | "other"; source: string; index: number }[]): NotebookProgram {
  let text = "";
  let line = 0;
  const segments: CellSegment[] = [];
  for (const cell of cells) {
    if (cell.kind !== "code") continue;
    if (text.length > 0 && !text.endsWith("\n")) {
      text += "\n";
      line++;
    }
    segments.push({ index: cell.index, source: cell.source, offset: text.length, line });
    text += maskMagics(cell.source);
    line += cell.source.split("\n").length - 1;
  }
  return { text, segments };
}

function maskMagics(source: string): string {
  const lines = source.split("\n");
  const first = lines[0].trimStart();
  if (first.startsWith("%%")) {
    // A cell magic: its first line goes; its body stays only when it is Python.
    const keepBody = PYTHON_CELL_MAGICS.test(first);
    return lines.map((l, i) => (i === 0 || !keepBody ? blank(l) : l)).join("\n");
  }
  return lines.map((l) => {
    const t = l.trimStart();
    if (!t.startsWith("%") && !t.startsWith("!")) return l;
    // Inside a block a blank line would leave the block empty: `pass` keeps it a statement.
    const indent = l.length - t.length;
    const rest = l.slice(indent).replace(/\r$/, "");
    const cr = l.endsWith("\r") ? "\r" : "";
    return l.slice(0, indent) + (rest.length >= 4 ? "pass".padEnd(rest.length) : " ".repeat(rest.length)) + cr;
  }).join("\n");
}

function blank(line: string): string {
  return line.replace(/[^\r]/g, " ");
}

export interface ParsedNotebook {
  raw: string;
  cells: RawCell[];
  program: NotebookProgram;
  /** Whether the notebook's kernel is Python (or doesn't say). */
  python: boolean;
}

export function parseNotebook(raw: string): ParsedNotebook {
  let nb: { cells?: unknown; metadata?: { kernelspec?: { language?: unknown }; language_info?: { name?: unknown } } };
  try {
    nb = JSON.parse(raw) as typeof nb;
  } catch (e) {
    throw new NotebookJsonError(`not a notebook: ${(e as Error).message}`);
  }
  if (nb === null || typeof nb !== "object" || !Array.isArray(nb.cells)) throw new NotebookJsonError("not a notebook: no `cells` array");
  const cells = nb.cells as RawCell[];
  const program = notebookProgram(cells.map((c, index) => ({ kind: c?.cell_type === "code" ? "code" : "other", source: sourceText(c?.source), index })));
  const lang = nb.metadata?.kernelspec?.language ?? nb.metadata?.language_info?.name;
  const python = lang === undefined || (typeof lang === "string" && lang.toLowerCase() === "python");
  return { raw, cells, program, python };
}

/** Maps combined-program offsets to cells. */
export class CellMap {
  private readonly lines: LineIndex;
  private readonly cellLines = new Map<number, LineIndex>();

  constructor(private readonly program: NotebookProgram) {
    this.lines = new LineIndex(program.text);
  }

  segmentAt(offset: number): CellSegment {
    const segs = this.program.segments;
    let lo = 0, hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid].offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return segs[lo];
  }

  private cellLineIndex(seg: CellSegment): LineIndex {
    let li = this.cellLines.get(seg.index);
    if (!li) this.cellLines.set(seg.index, (li = new LineIndex(seg.source)));
    return li;
  }

  /** 1-based cell number, and the position within that cell. */
  locate(offset: number): { cell: number; local: number; position: Position } {
    const seg = this.segmentAt(offset);
    const local = Math.min(Math.max(0, offset - seg.offset), seg.source.length);
    return { cell: seg.index + 1, local, position: this.cellLineIndex(seg).position(local) };
  }

  /** A position in the combined program (1-based line/column) → cell and cell-local position. */
  locatePosition(line: number, column: number): { cell: number; position: Position } {
    const offset = this.offsetOf(line, column);
    const { cell, position } = this.locate(offset);
    return { cell, position };
  }

  private offsetOf(line: number, column: number): number {
    return this.lines.offsetAt(line, column);
  }

  edit(e: TextEdit): TextEdit {
    const a = this.locate(e.range[0]);
    const b = this.locate(e.range[1]);
    return { start: a.position, end: b.position, text: e.text, range: [a.local, b.local], cell: a.cell };
  }
}

/** Lints a notebook's code cells as one program; positions in the result are per cell. */
export function lintNotebookWith(raw: string, file: string, options: LintOptions, lintPython: (text: string, file: string, options: LintOptions) => LintResult): LintResult {
  let nb: ParsedNotebook;
  try {
    nb = parseNotebook(raw);
  } catch (e) {
    if (e instanceof NotebookJsonError) return { file, findings: [], errors: [{ file, line: 1, column: 1, message: e.message }], notices: [], analysed: false };
    throw e;
  }
  if (!nb.python || nb.program.segments.length === 0) return { file, findings: [], errors: [], notices: [], analysed: false };
  const result = lintPython(nb.program.text, file, options);
  const map = new CellMap(nb.program);
  const at = (range: [number, number]) => ({ a: map.locate(range[0]), b: map.locate(range[1]) });
  const findings: Finding[] = result.findings.map((f) => {
    const { a, b } = at(f.range);
    return {
      ...f, cell: a.cell, line: a.position.line, column: a.position.column, endLine: b.position.line, endColumn: b.position.column, range: [a.local, b.local],
      related: f.related.map((r) => {
        const p = map.locatePosition(r.line, r.column);
        return { ...r, cell: p.cell, line: p.position.line, column: p.position.column };
      }),
      fixes: f.fixes.map((x) => ({ ...x, edits: x.edits.map((e) => map.edit(e)) })),
    };
  });
  const relocate = <T extends { line: number; column: number }>(x: T): T & { cell: number } => {
    const p = map.locatePosition(x.line, x.column);
    return { ...x, cell: p.cell, line: p.position.line, column: p.position.column };
  };
  return {
    file, findings, errors: result.errors.map(relocate), notices: result.notices.map(relocate), analysed: result.analysed,
    trainingLoops: result.trainingLoops, recovered: result.recovered,
  };
}

/** Applies cell-local edits to the raw notebook, rewriting only the `source` of the touched cells. */
export function applyNotebookEdits(raw: string, edits: readonly TextEdit[]): string {
  const nb = parseNotebook(raw);
  const spans = cellSourceSpans(raw);
  const byCell = new Map<number, TextEdit[]>();
  for (const e of edits) {
    if (e.cell === undefined) throw new Error("a notebook edit must name its cell");
    byCell.set(e.cell, [...(byCell.get(e.cell) ?? []), e]);
  }
  const replacements: { start: number; end: number; text: string }[] = [];
  for (const [cell, cellEdits] of byCell) {
    const span = spans[cell - 1];
    if (!span) throw new Error(`cell ${cell} has no source`);
    const source = applyEdits(sourceText(nb.cells[cell - 1].source), cellEdits);
    replacements.push({ ...span.source, text: serializeSource(source, raw.slice(span.source.start, span.source.end)) });
  }
  replacements.sort((x, y) => y.start - x.start);
  let out = raw;
  for (const r of replacements) out = out.slice(0, r.start) + r.text + out.slice(r.end);
  return out;
}

/** A cell's source in the style it was written: a list of lines (nbformat's usual form) or one string. */
function serializeSource(source: string, original: string): string {
  if (!original.trimStart().startsWith("[")) return JSON.stringify(source);
  const lines = source.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  if (lines.length === 0) return "[]";
  const itemIndent = /^\[(\r?\n[ \t]*)/.exec(original)?.[1];
  if (itemIndent === undefined) return `[${lines.map((l) => JSON.stringify(l)).join(", ")}]`;
  const closeIndent = /(\r?\n[ \t]*)\]$/.exec(original)?.[1] ?? itemIndent.replace(/[ \t]+$/, "");
  return `[${lines.map((l) => itemIndent + JSON.stringify(l)).join(",")}${closeIndent}]`;
}

/** Hover explanations for a notebook: computed on the combined program, positions per cell. */
export function explainNotebookWith(raw: string, explain: (program: string) => SiteExplanation[]): SiteExplanation[] {
  const nb = parseNotebook(raw);
  if (!nb.python || nb.program.segments.length === 0) return [];
  const map = new CellMap(nb.program);
  return explain(nb.program.text).map((x) => {
    const a = map.locate(x.range[0]);
    const b = map.locate(x.range[1]);
    return { ...x, cell: a.cell, range: [a.local, b.local], line: a.position.line, column: a.position.column };
  });
}
