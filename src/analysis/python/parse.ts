/**
 * Parsing Python with tree-sitter (web-tree-sitter and the tree-sitter-python grammar, both
 * WebAssembly). Loading is asynchronous and happens once per process (`loadPythonParser`); parsing
 * is synchronous after that. The tree is copied once, through a TreeCursor, into plain objects
 * with offsets in UTF-16 code units (what the rest of the analysis uses): walking tree-sitter's
 * own node objects allocates a wrapper per visit, many times slower on a large file.
 */
import { Language, Parser } from "web-tree-sitter";

export const PY_EXTENSIONS = [".py", ".pyi"];

export interface PyNode {
  type: string;
  /** Offsets into the source (UTF-16 code units). */
  range: [number, number];
  /** Named children and those anonymous children that carry a field name (operators). */
  children: PyNode[];
  /** Field name of this node in its parent (`left`, `body`, `condition`...), or null. */
  field: string | null;
  parent: PyNode | null;
  /** tree-sitter's "named" flag: false for operator tokens like `%` and `==`. */
  named: boolean;
}

export interface ParsedPython {
  root: PyNode;
  text: string;
  /** `# ...` comments with their 1-based lines. */
  comments: { text: string; line: number }[];
  /** Whether tree-sitter had to recover from syntax errors somewhere. */
  hasErrors: boolean;
  /** The first syntax error, for messages. */
  firstError: PyNode | null;
}

let parser: Parser | null = null;
let loading: Promise<void> | null = null;
/** Node type names, their "named" flag and field names by id: numbers cross from WebAssembly cheaply, strings don't. */
let typeNames: string[] = [];
let typeNamed: boolean[] = [];
let fieldNames: (string | null)[] = [];
/** Type ids whose children never carry a field name: asking the cursor for one is a crossing saved. */
let fieldless: boolean[] = [];
/** Type ids whose children the analysis never reads (a string's pieces): not descended into. */
let leafLike: boolean[] = [];

/** The children of every leaf: one shared, frozen array (half the nodes are leaves; GC is much of the walk's cost). */
const NO_CHILDREN: PyNode[] = Object.freeze([]) as unknown as PyNode[];

/** tree-sitter-python's node types without fields (from the grammar's node-types.json). */
const FIELDLESS_TYPES = new Set([
  "argument_list", "assert_statement", "await", "case_pattern", "chevron", "class_pattern", "complex_pattern", "concatenated_string",
  "conditional_expression", "constrained_type", "decorator", "delete_statement", "dictionary", "dictionary_splat", "dictionary_splat_pattern",
  "dotted_name", "expression_list", "expression_statement", "finally_clause", "format_specifier", "generic_type", "global_statement", "if_clause",
  "keyword_pattern", "lambda_parameters", "list", "list_pattern", "list_splat", "list_splat_pattern", "member_type", "module", "nonlocal_statement",
  "parameters", "parenthesized_expression", "parenthesized_list_splat", "pattern_list", "relative_import", "return_statement", "set", "slice",
  "splat_pattern", "splat_type", "string", "string_content", "tuple", "tuple_pattern", "type", "type_parameter", "union_pattern", "union_type",
  "with_clause", "yield",
]);

/** Where the two .wasm files are: both as bytes (the caller reads them; the analysis has no file system). */
export interface PythonParserFiles {
  runtime: Uint8Array;
  grammar: Uint8Array;
}

/** Loads the parser once; later calls share the first load. */
export function loadPythonParser(files: () => PythonParserFiles): Promise<void> {
  loading ??= (async () => {
    const { runtime, grammar } = files();
    await Parser.init({ wasmBinary: runtime } as object);
    const language = await Language.load(grammar);
    const p = new Parser();
    p.setLanguage(language);
    typeNames = Array.from({ length: language.nodeTypeCount }, (_, id) => language.nodeTypeForId(id) ?? "");
    typeNamed = Array.from({ length: language.nodeTypeCount }, (_, id) => language.nodeTypeIsNamed(id));
    fieldNames = Array.from({ length: language.fieldCount + 1 }, (_, id) => (id === 0 ? null : language.fieldNameForId(id)));
    fieldless = typeNames.map((t) => FIELDLESS_TYPES.has(t));
    leafLike = typeNames.map((t) => t === "string");
    parser = p;
  })();
  return loading;
}

export class PythonParserNotLoaded extends Error {
  constructor() {
    super("the Python parser is not loaded: call loadPythonParser() once before linting Python");
  }
}

export function parsePython(text: string): ParsedPython {
  if (parser === null) throw new PythonParserNotLoaded();
  const tree = parser.parse(text);
  if (tree === null) throw new Error("tree-sitter returned no tree");
  try {
    const parsed = copyTree(tree.walk(), text);
    // The root knows whether recovery happened anywhere (errors inside skipped tokens included).
    if (tree.rootNode.hasError && !parsed.hasErrors) {
      parsed.hasErrors = true;
      parsed.firstError ??= { type: "ERROR", range: [0, 0], children: [], field: null, parent: null, named: true };
    }
    return parsed;
  } finally {
    tree.delete();
  }
}

/** Named nodes (and fielded tokens) → PyNode, iteratively (deep nesting must not overflow the stack). */
function copyTree(cursor: ReturnType<NonNullable<ReturnType<Parser["parse"]>>["walk"]>, text: string): ParsedPython {
  const comments: ParsedPython["comments"] = [];
  let hasErrors = false;
  let firstError: PyNode | null = null;
  const root: PyNode = { type: cursor.nodeType, range: [cursor.startIndex, cursor.endIndex], children: [], field: null, parent: null, named: true };
  let parent = root;
  // The type ids of `parent` and its ancestors (the cursor's path), for the fieldless shortcut.
  const parentTypes: number[] = [cursor.nodeTypeId];
  if (!cursor.gotoFirstChild()) {
    cursor.delete();
    return { root, text, comments, hasErrors: false, firstError: null };
  }
  for (;;) {
    const typeId = cursor.nodeTypeId;
    // The error symbol's id (65535) is past the table: it is tree-sitter's named ERROR node.
    const type = typeNames[typeId] ?? "ERROR";
    const named = typeNamed[typeId] ?? true;
    const fieldId = fieldless[parentTypes[parentTypes.length - 1]] ? 0 : cursor.currentFieldId;
    let node: PyNode | null = null;
    if (type === "comment") {
      comments.push({ text: text.slice(cursor.startIndex, cursor.endIndex), line: cursor.startPosition.row + 1 });
    } else if (named || fieldId !== 0) {
      const start = cursor.startIndex, end = cursor.endIndex;
      node = { type, range: [start, end], children: NO_CHILDREN, field: fieldNames[fieldId] ?? null, parent, named };
      parent.children.push(node);
      // Missing nodes (inserted by error recovery) are empty: only those need the extra question.
      if (type === "ERROR" || (start === end && cursor.nodeIsMissing)) {
        hasErrors = true;
        firstError ??= node;
      }
    } else if (parent.type === "comparison_operator" || parent.type === "boolean_operator" || parent.type === "not_operator" || parent.type === "unary_operator") {
      // Operators of comparisons (`a < b == c`) are unfielded tokens: keep them as children.
      parent.children.push({ type, range: [cursor.startIndex, cursor.endIndex], children: NO_CHILDREN, field: null, parent, named: false });
    } else if (cursor.startIndex === cursor.endIndex && cursor.nodeIsMissing) {
      // A missing `:` or `)`: the file has a syntax error even though no node is kept for it.
      hasErrors = true;
      firstError ??= { type: "MISSING", range: [cursor.startIndex, cursor.endIndex], children: [], field: null, parent, named: false };
    }
    if (node !== null && !leafLike[typeId] && cursor.gotoFirstChild()) {
      node.children = [];
      parent = node;
      parentTypes.push(typeId);
      continue;
    }
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent() || parent === root) {
        cursor.delete();
        return { root, text, comments, hasErrors, firstError };
      }
      parent = parent.parent!;
      parentTypes.pop();
    }
  }
}

/** The first child with this field name. */
export function field(n: PyNode, name: string): PyNode | undefined {
  for (const c of n.children) if (c.field === name) return c;
  return undefined;
}

/** Every child with this field name (`alternative` of an `if`, `operators` of a comparison). */
export function fields(n: PyNode, name: string): PyNode[] {
  return n.children.filter((c) => c.field === name);
}

export function namedChildren(n: PyNode): PyNode[] {
  return n.children.filter((c) => c.named);
}

/** Drops parentheses: `(x)` → x. */
export function unparen(n: PyNode): PyNode {
  let cur = n;
  while (cur.type === "parenthesized_expression" && cur.children.filter((c) => c.named).length === 1) cur = cur.children.find((c) => c.named)!;
  return cur;
}
