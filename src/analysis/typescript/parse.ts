/** Parsing with typescript-estree, keeping ranges, locations and comments. */
import { parse, TSESTree } from "@typescript-eslint/typescript-estree";

export type Node = TSESTree.Node;
export type Program = TSESTree.Program;

export const TS_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

export interface ParsedFile {
  ast: Program;
  /** Parent links, set once after parsing (typescript-estree's parse doesn't set them). */
  parents: Map<Node, Node>;
}

export class SyntaxProblem extends Error {
  constructor(message: string, readonly line: number, readonly column: number) {
    super(message);
  }
}

export function parseTypeScript(text: string, fileName: string): ParsedFile {
  const jsx = /\.(tsx|jsx)$/.test(fileName) || /\.(js|mjs|cjs)$/.test(fileName);
  let ast: Program;
  try {
    ast = parse(text, { range: true, loc: true, comment: true, jsx, filePath: fileName });
  } catch (e) {
    const err = e as { message?: string; lineNumber?: number; column?: number };
    if (typeof err.lineNumber === "number") {
      // typescript-estree reports 1-based lines and 0-based columns.
      throw new SyntaxProblem(String(err.message ?? e), err.lineNumber, (err.column ?? 0) + 1);
    }
    throw e;
  }
  return { ast, parents: linkParents(ast) };
}

/** Iterative walk (deeply nested files must not overflow the stack). */
export function linkParents(root: Node): Map<Node, Node> {
  const parents = new Map<Node, Node>();
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    forEachChild(node, (child) => {
      parents.set(child, node);
      stack.push(child);
    });
  }
  return parents;
}

const SKIP = new Set(["parent", "range", "loc", "type", "comments", "tokens", "typeAnnotation", "returnType", "typeParameters", "typeArguments", "decorators"]);

function isNode(x: unknown): x is Node {
  return typeof x === "object" && x !== null && typeof (x as { type?: unknown }).type === "string" && Array.isArray((x as { range?: unknown }).range);
}

/** Calls `fn` for each child node, in source order. Type annotations are skipped. */
export function forEachChild(node: Node, fn: (child: Node) => void): void {
  const children: Node[] = [];
  for (const key in node) {
    if (SKIP.has(key)) continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const v of value) if (isNode(v)) children.push(v);
    } else if (isNode(value)) {
      children.push(value);
    }
  }
  if (children.length > 1) children.sort((a, b) => a.range[0] - b.range[0]);
  for (const c of children) fn(c);
}

/** Same as forEachChild but including type annotations (for finding annotated optimizers). */
export function typeAnnotationOf(node: Node): TSESTree.TypeNode | null {
  const ann = (node as { typeAnnotation?: TSESTree.TSTypeAnnotation }).typeAnnotation;
  return ann && ann.type === "TSTypeAnnotation" ? ann.typeAnnotation : null;
}
