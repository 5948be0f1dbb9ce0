/**
 * Python fix edits in the file's own style: the indentation of the statement next to which code
 * lands (tabs or spaces), the file's line endings, and one-line bodies (`for x in y: a(); b()`),
 * where code is joined with `; ` on the same line. Every edit is re-parsed before it is offered.
 */
import type { TextEdit } from "../core/types";
import { LineIndex } from "../core/textEdits";
import { field, namedChildren, PyNode } from "./parse";

export class PyFixWriter {
  private readonly lines: LineIndex;
  private readonly eol: string;

  constructor(private readonly text: string) {
    this.lines = new LineIndex(text);
    this.eol = /\r\n/.test(text) ? "\r\n" : "\n";
  }

  /** The simple statement holding `node`, directly inside a block or the module. */
  private statementOf(node: PyNode): PyNode | null {
    let cur: PyNode = node;
    for (let i = 0; i < 200; i++) {
      const parent = cur.parent;
      if (!parent) return null;
      if (parent.type === "block" || parent.type === "module") return cur.type === "expression_statement" || cur.type === "return_statement" ? cur : null;
      if (parent.type === "lambda" || parent.type === "function_definition" || parent.type === "class_definition") return null;
      cur = parent;
    }
    return null;
  }

  private indentAt(offset: number): string {
    const start = this.lines.lineStart(offset);
    return /^[ \t]*/.exec(this.text.slice(start, offset))![0];
  }

  /** Whether the statement starts its line (only indentation before it). */
  private startsLine(stmt: PyNode): boolean {
    return this.text.slice(this.lines.lineStart(stmt.range[0]), stmt.range[0]).trim() === "";
  }

  /** Whether another statement follows on the same line (`a(); b()`). */
  private sharesLineAfter(stmt: PyNode): boolean {
    const end = this.lines.lineEndInclusive(stmt.range[1] - 1);
    return /^\s*;\s*[^\s#]/.test(this.text.slice(stmt.range[1], end));
  }

  insertAfter(node: PyNode, code: string, comment = ""): TextEdit[] | null {
    const stmt = this.statementOf(node);
    if (!stmt) return null;
    const tail = comment ? `  ${comment}` : "";
    if (!this.startsLine(stmt) || this.sharesLineAfter(stmt)) {
      // A one-line body or a `;`-joined line: join the code on the same line.
      if (comment) return null;
      return [this.lines.edit([stmt.range[1], stmt.range[1]], `; ${code}`)];
    }
    const indent = this.indentAt(stmt.range[0]);
    // After a comment that trails the statement on its line.
    const lineEnd = this.lines.lineEndInclusive(stmt.range[1] - 1);
    const rest = this.text.slice(stmt.range[1], lineEnd);
    const trailing = /^[ \t]*#[^\r\n]*/.exec(rest);
    const at = trailing ? stmt.range[1] + trailing[0].length : stmt.range[1];
    return [this.lines.edit([at, at], `${this.eol}${indent}${code}${tail}`)];
  }

  insertBefore(node: PyNode, code: string, comment = ""): TextEdit[] | null {
    const stmt = this.statementOf(node);
    if (!stmt) return null;
    if (!this.startsLine(stmt)) {
      if (comment) return null;
      return [this.lines.edit([stmt.range[0], stmt.range[0]], `${code}; `)];
    }
    const indent = this.indentAt(stmt.range[0]);
    const tail = comment ? `  ${comment}` : "";
    return [this.lines.edit([stmt.range[0], stmt.range[0]], `${code}${tail}${this.eol}${indent}`)];
  }

  insertAtLoopStart(loop: PyNode, code: string): TextEdit[] | null {
    const body = field(loop, "body");
    if (!body || (loop.type !== "for_statement" && loop.type !== "while_statement")) return null;
    const first = namedChildren(body).find((c) => c.type !== "comment");
    if (!first) return null;
    if (!this.startsLine(first)) return [this.lines.edit([first.range[0], first.range[0]], `${code}; `)];
    const indent = this.indentAt(first.range[0]);
    const lineStart = this.lines.lineStart(first.range[0]);
    return [this.lines.edit([lineStart, lineStart], `${indent}${code}${this.eol}`)];
  }

  /**
   * Deletes the statement that consists of `node` alone (a zero being moved). A comment trailing
   * it goes with it. A block never becomes empty (that would not parse): then nothing is removed.
   */
  removeStatement(node: PyNode): { edits: TextEdit[]; comment: string } | null {
    const stmt = this.statementOf(node);
    if (!stmt || stmt.type !== "expression_statement") return null;
    const only = namedChildren(stmt);
    if (only.length !== 1 || only[0] !== node) return null;
    const block = stmt.parent!;
    if (block.type === "block" && namedChildren(block).filter((c) => c.type !== "comment").length <= 1) return null;
    const start = this.lines.lineStart(stmt.range[0]);
    const end = this.lines.lineEndInclusive(stmt.range[1] - 1);
    const before = this.text.slice(start, stmt.range[0]);
    const after = this.text.slice(stmt.range[1], end);
    const trailing = /^[ \t]*(#.*?)\s*$/.exec(after);
    if (before.trim() === "" && (after.trim() === "" || trailing)) return { edits: [this.lines.edit([start, end], "")], comment: trailing ? trailing[1] : "" };
    // `a(); zero(); b()`: drop the statement and one `; ` beside it.
    const semiAfter = /^\s*;[ \t]*/.exec(after);
    if (semiAfter) return { edits: [this.lines.edit([stmt.range[0], stmt.range[1] + semiAfter[0].length], "")], comment: "" };
    const semiBefore = /[ \t]*;[ \t]*$/.exec(before);
    if (semiBefore) return { edits: [this.lines.edit([stmt.range[0] - semiBefore[0].length, stmt.range[1]], "")], comment: "" };
    return null;
  }
}
