/**
 * Fix edits for TypeScript/JavaScript: inserting `X.zeroGrad();` at a loop's start or after a
 * step, and moving a misplaced zero. Edits keep the file's indentation, line endings and
 * semicolon style, and wrap a braceless body in braces.
 */
import type { TSESTree } from "@typescript-eslint/typescript-estree";
import type { TextEdit } from "../core/types";
import { LineIndex } from "../core/textEdits";
import type { Node, ParsedFile } from "./parse";
import { isFunctionNode, unwrap } from "./recognize";
import { isPure } from "./conditions";

export interface Style {
  eol: string;
  unit: string;
  semi: string;
}

export function detectStyle(text: string, ast: TSESTree.Program): Style {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  let unit = "  ";
  const m = /^(\t+|[ ]+)\S/m.exec(text);
  if (m) unit = m[1][0] === "\t" ? "\t" : " ".repeat(smallestIndent(text) || 2);
  let withSemi = 0, without = 0;
  const stack: Node[] = [ast];
  let budget = 4000;
  while (stack.length > 0 && budget-- > 0) {
    const n = stack.pop()!;
    if (n.type === "ExpressionStatement") (text[n.range[1] - 1] === ";" ? withSemi++ : without++);
    const body = (n as { body?: unknown }).body;
    if (Array.isArray(body)) for (const c of body) stack.push(c as Node);
    else if (body && typeof body === "object" && "type" in body) stack.push(body as Node);
    for (const k of ["consequent", "alternate", "block"] as const) {
      const v = (n as unknown as Record<string, unknown>)[k];
      if (v && typeof v === "object" && "type" in v) stack.push(v as Node);
    }
  }
  return { eol, unit, semi: without > withSemi ? "" : ";" };
}

function smallestIndent(text: string): number {
  let best = 0;
  for (const m of text.matchAll(/^( +)\S/gm)) {
    const n = m[1].length;
    if (best === 0 || n < best) best = n;
    if (best === 1) break;
  }
  return best;
}

export class FixWriter {
  private readonly lines: LineIndex;
  constructor(private readonly text: string, private readonly parsed: ParsedFile, private readonly style: Style) {
    this.lines = new LineIndex(text);
  }

  private parent(n: Node): Node | undefined {
    return this.parsed.parent(n);
  }

  private indentAt(offset: number): string {
    const start = this.lines.lineStart(offset);
    return /^[ \t]*/.exec(this.text.slice(start, offset))![0];
  }

  /** The statement that contains `node`, with how it sits in its parent. */
  private statementOf(node: Node): { stmt: Node; inList: boolean } | null {
    let cur = node;
    for (let i = 0; i < 200; i++) {
      const parent = this.parent(cur);
      if (!parent || isFunctionNode(cur)) return null;
      if (parent.type === "BlockStatement" || parent.type === "Program" || parent.type === "SwitchCase" || parent.type === "StaticBlock") {
        return parent.type === "SwitchCase" && parent.test === cur ? null : { stmt: cur, inList: true };
      }
      if (isBracelessBody(parent, cur)) return { stmt: cur, inList: false };
      if (isFunctionNode(parent)) return null; // expression-bodied arrow
      cur = parent;
    }
    return null;
  }

  private line(code: string): string {
    return code + this.style.semi;
  }

  /** Inserts `code` as a statement right after the statement containing `node`. */
  insertAfter(node: Node, code: string, comment = ""): TextEdit[] | null {
    const at = this.statementOf(node);
    if (!at) return this.afterArrowBody(node, code);
    const { stmt } = at;
    const tail = comment ? ` ${comment}` : "";
    if (!at.inList) return this.wrap(stmt, [this.src(stmt), this.line(code) + tail]);
    const indent = this.indentAt(stmt.range[0]);
    // After any comment that trails the statement on its line.
    const lineEnd = this.lines.lineEndInclusive(stmt.range[1] - 1);
    const rest = this.text.slice(stmt.range[1], lineEnd);
    const trailing = /^[ \t]*\/\/[^\r\n]*/.exec(rest);
    const at2 = trailing ? stmt.range[1] + trailing[0].length : stmt.range[1];
    return [this.lines.edit([at2, at2], `${this.style.eol}${indent}${this.line(code)}${tail}`)];
  }

  /** `(o) => o.step()` → `(o) => { o.step(); o.zeroGrad(); }`: the arrow's expression body is the call. */
  private afterArrowBody(node: Node, code: string): TextEdit[] | null {
    let body: Node = node;
    let parent = this.parent(body);
    while (parent && (parent.type === "ChainExpression" || parent.type === "TSNonNullExpression" || parent.type === "AwaitExpression")) {
      body = parent;
      parent = this.parent(body);
    }
    if (!parent || parent.type !== "ArrowFunctionExpression" || parent.body !== body) return null;
    const semi = this.style.semi || ";";
    return [this.lines.edit([body.range[0], body.range[1]], `{ ${this.src(body)}${semi} ${code}${semi} }`)];
  }

  /** Inserts `code` as a statement right before the statement containing `node`. */
  insertBefore(node: Node, code: string, comment = ""): TextEdit[] | null {
    const at = this.statementOf(node);
    if (!at) return null;
    const { stmt } = at;
    const tail = comment ? ` ${comment}` : "";
    if (!at.inList) return this.wrap(stmt, [this.line(code) + tail, this.src(stmt)]);
    const indent = this.indentAt(stmt.range[0]);
    return [this.lines.edit([stmt.range[0], stmt.range[0]], `${this.line(code)}${tail}${this.style.eol}${indent}`)];
  }

  /** Inserts `code` as the first statement of a loop's body. */
  insertAtLoopStart(loop: Node, code: string): TextEdit[] | null {
    const body = loopBody(loop);
    if (!body) return null;
    if (body.type === "BlockStatement") {
      const first = body.body[0];
      if (first) {
        const indent = this.indentAt(first.range[0]);
        const lineStart = this.lines.lineStart(first.range[0]);
        if (this.text.slice(lineStart, first.range[0]).trim() === "" && lineStart > body.range[0]) {
          return [this.lines.edit([lineStart, lineStart], `${indent}${this.line(code)}${this.style.eol}`)];
        }
        return [this.lines.edit([first.range[0], first.range[0]], `${this.line(code)} `)];
      }
      const outer = this.indentAt(loop.range[0]);
      return [this.lines.edit([body.range[0], body.range[1]], `{${this.style.eol}${outer}${this.style.unit}${this.line(code)}${this.style.eol}${outer}}`)];
    }
    // Braceless body, or an expression-bodied callback: wrap it.
    if (isFunctionNode(this.parent(body) ?? body)) {
      const fn = this.parent(body)!;
      const outer = this.indentAt(fn.range[0]);
      const inner = outer + this.style.unit;
      const e = this.style.eol;
      return [this.lines.edit([body.range[0], body.range[1]], `{${e}${inner}${this.line(code)}${e}${inner}${this.line(this.src(body))}${e}${outer}}`)];
    }
    return this.wrap(body, [this.line(code), this.src(body)]);
  }

  /**
   * Deletes the statement that consists of `node` alone (a zero being moved). A comment trailing
   * it on the same line goes with it and is returned, to be re-attached where the code lands.
   */
  removeStatement(node: Node): { edits: TextEdit[]; comment: string } | null {
    const at = this.statementOf(node);
    if (at && !at.inList && at.stmt.type === "ExpressionStatement") {
      // `if (pure) opt.zeroGrad();`: the guard goes with the zero it guards.
      const owner = this.parent(at.stmt);
      if (owner?.type === "IfStatement" && owner.consequent === at.stmt && !owner.alternate && isPure(unwrap(owner.test))) {
        const outer = this.statementOf(owner);
        if (outer?.inList && outer.stmt === owner) return this.removeWhole(owner, at.stmt as TSESTree.ExpressionStatement, node);
      }
      return null;
    }
    if (!at || !at.inList || at.stmt.type !== "ExpressionStatement") return null;
    return this.removeWhole(at.stmt, at.stmt as TSESTree.ExpressionStatement, node);
  }

  private removeWhole(stmt: Node, inner: TSESTree.ExpressionStatement, node: Node): { edits: TextEdit[]; comment: string } | null {
    const expr = inner.expression;
    if (expr !== node && !(expr.type === "ChainExpression" && expr.expression === node) && !(expr.type === "AwaitExpression" && expr.argument === node)) return null;
    const start = this.lines.lineStart(stmt.range[0]);
    const end = this.lines.lineEndInclusive(stmt.range[1] - 1);
    const before = this.text.slice(start, stmt.range[0]);
    const after = this.text.slice(stmt.range[1], end);
    const trailing = /^\s*(\/\/.*?)\s*$/.exec(after);
    if (before.trim() === "" && (after.trim() === "" || trailing)) return { edits: [this.lines.edit([start, end], "")], comment: trailing ? trailing[1] : "" };
    return { edits: [this.lines.edit([stmt.range[0], stmt.range[1]], "")], comment: "" };
  }

  private src(n: Node): string {
    return this.text.slice(n.range[0], n.range[1]);
  }

  /** Replaces a braceless body with a block holding `lines`. */
  private wrap(stmt: Node, lines: string[]): TextEdit[] {
    const owner = this.parent(stmt)!;
    const outer = this.indentAt(owner.range[0]);
    const inner = outer + this.style.unit;
    const e = this.style.eol;
    const body = lines.map((l) => reindent(l, inner, this.style.eol)).join(e);
    return [this.lines.edit([stmt.range[0], stmt.range[1]], `{${e}${body}${e}${outer}}`)];
  }
}

function reindent(code: string, indent: string, eol: string): string {
  return code.split(/\r?\n/).map((l, i) => (i === 0 ? indent + l : l)).join(eol);
}

function isBracelessBody(parent: Node, child: Node): boolean {
  switch (parent.type) {
    case "IfStatement": return parent.consequent === child || parent.alternate === child;
    case "ForStatement": case "ForInStatement": case "ForOfStatement": case "WhileStatement": case "DoWhileStatement":
      return parent.body === child;
    case "LabeledStatement": return parent.body === child;
    default: return false;
  }
}

/** A loop's body: the statement of for/while/do, or the callback body of `xs.forEach(cb)`. */
function loopBody(loop: Node): Node | null {
  switch (loop.type) {
    case "ForStatement": case "ForInStatement": case "ForOfStatement": case "WhileStatement": case "DoWhileStatement":
      return loop.body;
    case "CallExpression": {
      const fn = loop.arguments.find((a) => isFunctionNode(a as Node)) as TSESTree.ArrowFunctionExpression | TSESTree.FunctionExpression | undefined;
      return fn ? fn.body : null;
    }
    default:
      return null;
  }
}
