/**
 * The analysis entry point: source text in, findings with verified fix edits out. Pure: no
 * vscode, no file system. Front ends are chosen by file extension.
 */
import { trainingLoops } from "./core/trainingLoops";
import { applyEdits, LineIndex } from "./core/textEdits";
import type { Fix, LintOptions, LintResult } from "./core/types";
import { lintTypeScript } from "./typescript/lintTypeScript";
import { SyntaxProblem, TS_EXTENSIONS } from "./typescript/parse";
import { lintInLargeStack } from "./largeStack";
import { explainProgram, SiteExplanation } from "./core/explain";
import { lintTypeScript as lintTypeScriptProgram } from "./typescript/lintTypeScript";
import { lintPython } from "./python/lintPython";
import { loadPythonParser, PY_EXTENSIONS } from "./python/parse";
import { pythonParserFiles } from "./python/parserFiles";
import { applyNotebookEdits, explainNotebookWith, lintNotebookWith, NOTEBOOK_EXTENSIONS } from "./notebook/notebook";

/** Loads the Python parser (WebAssembly) once per process; Python files can be linted after it resolves. */
export function loadPython(): Promise<void> {
  return loadPythonParser(pythonParserFiles);
}

export function isPython(file: string): boolean {
  return PY_EXTENSIONS.some((ext) => file.endsWith(ext));
}

export function isNotebook(file: string): boolean {
  return NOTEBOOK_EXTENSIONS.some((ext) => file.endsWith(ext));
}

export { RULES } from "./rules/index";
export type { SiteExplanation } from "./core/explain";

/** What each recognised backward/step/zero is to the analysis (hover text); [] where nothing is known. */
export function explainText(text: string, file: string, options: LintOptions = {}): SiteExplanation[] {
  if (!isLintable(file)) return [];
  const quiet = { ...options, fixes: false };
  try {
    if (isNotebook(file)) return explainNotebookWith(text, (program) => explainProgramText(program, "cell.py", quiet));
    return explainProgramText(text, file, quiet);
  } catch {
    return []; // explaining is best effort: never an error for the editor
  }
}

/** One parse and one graph: the lint's own (it throws where the lint does). */
function explainProgramText(text: string, file: string, options: LintOptions): SiteExplanation[] {
  const { findings, program } = isPython(file) ? lintPython(text, file, options) : lintTypeScriptProgram(text, file, options);
  return program === undefined ? [] : explainProgram(text, program, findings);
}
export type { Finding, Fix, LintOptions, LintResult } from "./core/types";

export function isLintable(file: string): boolean {
  return TS_EXTENSIONS.some((ext) => file.endsWith(ext)) || isPython(file) || isNotebook(file);
}

export function lintText(text: string, file: string, options: LintOptions = {}): LintResult {
  try {
    return lintUnguarded(text, file, options);
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      // Pathologically deep nesting: the parser recurses. Redo the work on a thread with a big stack.
      return lintInLargeStack(text, file, options);
    }
    throw e;
  }
}

export function lintUnguarded(text: string, file: string, options: LintOptions = {}): LintResult {
  if (!isLintable(file)) {
    const ext = /\.[^./\\]+$/.exec(file)?.[0] ?? "extension-less";
    const message = `not supported: ${ext} files can't be analysed yet (supported: ${[...TS_EXTENSIONS, ...PY_EXTENSIONS, ...NOTEBOOK_EXTENSIONS].join(" ")})`;
    return { file, findings: [], errors: [], notices: [{ file, line: 1, column: 1, message }], analysed: false };
  }
  if (isNotebook(file)) return lintNotebookWith(text, file, options, lintUnguardedPython);
  if (isPython(file)) return lintUnguardedPython(text, file, options);
  try {
    const { findings, notices, analysed, program } = lintTypeScript(text, file, options);
    const lines = program !== undefined ? new LineIndex(text) : null;
    const loops = program !== undefined ? trainingLoops(program).map((l) => lines!.position(l.headRange[0]).line) : [];
    return { file, findings, errors: [], notices, analysed, trainingLoops: loops };
  } catch (e) {
    if (e instanceof SyntaxProblem) return { file, findings: [], errors: [{ file, line: e.line, column: e.column, message: e.message }], notices: [], analysed: false };
    throw e;
  }
}

function lintUnguardedPython(text: string, file: string, options: LintOptions): LintResult {
  const { findings, notices, analysed, program, parsed } = lintPython(text, file, options);
  const lines = new LineIndex(text);
  const loops = program !== undefined ? trainingLoops(program).map((l) => lines.position(l.headRange[0]).line) : [];
  const errors = parsed?.firstError ? [syntaxError(file, lines, parsed.firstError.range[0])] : [];
  return { file, findings, errors, notices, analysed, trainingLoops: loops, recovered: errors.length > 0 };
}

/**
 * Applies fixes one at a time (preferring `placement`), re-linting after each so the next sees
 * its effect on the others; stops when nothing is left to fix (at most 10 passes).
 */
export function fixText(text: string, file: string, options: LintOptions & { placement?: Fix["placement"] } = {}): { text: string; result: LintResult; applied: number } {
  let current = text;
  let applied = 0;
  for (let pass = 0; pass < 10; pass++) {
    const result = lintText(current, file, options);
    const fix = result.findings
      .map((f) => f.fixes.find((x) => x.placement === options.placement) ?? f.fixes.find((x) => x.placement === "after-step") ?? f.fixes[0])
      .find((x) => x !== undefined);
    if (!fix) return { text: current, result, applied };
    current = isNotebook(file) ? applyNotebookEdits(current, fix.edits) : applyEdits(current, fix.edits);
    applied++;
  }
  return { text: current, result: lintText(current, file, options), applied };
}

/** tree-sitter recovers from syntax errors: the file is still analysed, and the first error reported. */
function syntaxError(file: string, lines: LineIndex, offset: number): { file: string; line: number; column: number; message: string } {
  const at = lines.position(offset);
  return { file, line: at.line, column: at.column, message: "invalid syntax (the rest of the file was analysed)" };
}
