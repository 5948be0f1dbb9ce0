/** The Python front end end to end: text → findings with fix candidates, through the shared core. */
import type { LintOptions, TextEdit } from "../core/types";
import { applyEdits } from "../core/textEdits";
import { TypestateAnalysis } from "../core/typestate";
import { parseSuppressions } from "../core/suppressions";
import { report, SourceHooks } from "../core/report";
import { PYTHON_SPELLING } from "../rules/index";
import type { FrontEndResult } from "../typescript/lintTypeScript";
import { buildPythonProgram, PyProgram } from "./graphBuilder";
import { PyFixWriter } from "./fixes";
import { field, namedChildren, ParsedPython, parsePython, PyNode, unparen } from "./parse";

/** Modules whose import marks a Python file as training code. */
export const DEFAULT_PYTHON_MODULES = ["torch", "lightning", "pytorch_lightning", "accelerate", "deepspeed"];

export interface PythonResult extends Omit<FrontEndResult, "program"> {
  program?: PyProgram;
  parsed?: ParsedPython;
}

/** Does the module import one of `modules` (at any depth: imports inside functions count)? */
export function importsModule(parsed: ParsedPython, modules: readonly string[]): boolean {
  // Fast path: an import line naming one of the modules (the tree walk below settles the rest).
  const names = modules.map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  if (new RegExp(`^[ \\t]*(import[ \\t]+([\\w.]+[ \\t]*(as[ \\t]+\\w+[ \\t]*)?,[ \\t]*)*(${names})(\\.|\\b)|from[ \\t]+(${names})(\\.|[ \\t]))`, "m").test(parsed.text)) return true;
  const matches = (name: string) => modules.some((m) => name === m || name.startsWith(m + "."));
  const stack: PyNode[] = [parsed.root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type === "import_statement") {
      for (const c of namedChildren(n)) {
        const name = c.type === "aliased_import" ? field(c, "name") : c;
        if (name && matches(parsed.text.slice(name.range[0], name.range[1]))) return true;
      }
    } else if (n.type === "import_from_statement") {
      const m = field(n, "module_name");
      if (m && matches(parsed.text.slice(m.range[0], m.range[1]))) return true;
    } else if (n.type === "module" || n.type === "block" || n.type.endsWith("_statement") || n.type.endsWith("_clause") || n.type.endsWith("definition")) {
      for (const c of n.children) stack.push(c);
    }
  }
  return false;
}

export function lintPython(text: string, file: string, options: LintOptions): PythonResult {
  const modules = [...DEFAULT_PYTHON_MODULES, ...(options.engineModules ?? [])];
  if (!options.force && !modules.some((m) => text.includes(m))) return { findings: [], notices: [], analysed: false };
  const parsed = parsePython(text);
  if (!options.force && !importsModule(parsed, modules)) return { findings: [], notices: [], analysed: false };
  const program = buildPythonProgram(parsed);
  const analysis = new TypestateAnalysis(program);
  const { findings: raw, notices: rawNotices } = analysis.run();
  const suppressions = parseSuppressions(parsed.comments.map((c) => ({ text: c.text.replace(/^#/, ""), line: c.line, endLine: c.line })));
  const hooks = pythonHooks(text, file, options, parsed);
  const { findings, notices } = report({ text, file, program, analysis, raw, notices: rawNotices, suppressions, withFixes: options.fixes ?? true, hooks });
  return { findings, notices, analysed: true, program, parsed };
}

/** The Python syntax behind reporting: fixes in the file's style, branches, call arguments. */
function pythonHooks(text: string, file: string, options: LintOptions, parsed: ParsedPython): SourceHooks<PyNode> {
  const writer = new PyFixWriter(text);
  const parses = (edits: ReturnType<PyFixWriter["insertAfter"]>) => (edits === null || parsed.hasErrors || editsParse(text, parsed, edits) ? edits : null);
  const source = (n: PyNode) => text.slice(n.range[0], n.range[1]);
  const steps = (n: PyNode | undefined, optimizer: string) => {
    if (!n) return false;
    const s = source(n);
    return s.includes(`${optimizer}.step(`) || s.includes(`${optimizer}.grad`) || new RegExp(`\\.step\\(\\s*${optimizer.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(s);
  };
  return {
    spelling: PYTHON_SPELLING,
    insertAfter: (node, code, comment) => parses(writer.insertAfter(node, code, comment)),
    insertBefore: (node, code, comment) => parses(writer.insertBefore(node, code, comment)),
    insertAtLoopStart: (loop, code) => parses(writer.insertAtLoopStart(loop, code)),
    removeStatement: (node) => writer.removeStatement(node),
    callText(node) {
      const src = source(node);
      return src.length <= 60 ? src.replace(/\s+/g, " ") : src.slice(0, 57) + "...";
    },
    statementCode: (node) => source(node).replace(/;\s*$/, ""),
    /** An `if`/`elif`/`else`, `match` case, `and`/`or` or conditional expression inside the loop that can skip the step. */
    conditionalIn(stepNode, contextNodes, loopNode, optimizer) {
      const from = [stepNode, ...contextNodes].filter((n) => n.range[0] >= loopNode.range[0] && n.range[1] <= loopNode.range[1]);
      for (const start of from) {
        for (let n: PyNode | null = start; n && n !== loopNode; n = n.parent) {
          const parent: PyNode | null = n.parent;
          if (!parent) break;
          if (parent.type === "if_statement" && n.field !== "condition") {
            const arms = [field(parent, "consequence"), ...parent.children.filter((c) => c.field === "alternative")];
            const hasElse = arms.some((a) => a?.type === "else_clause");
            if (!hasElse || !arms.every((a) => steps(a, optimizer))) return true;
          }
          if (parent.type === "boolean_operator" && n.field === "right") return true;
          if (parent.type === "conditional_expression" || parent.type === "case_clause") return true;
          if (parent.type === "while_statement" && parent !== loopNode) return true;
        }
      }
      return false;
    },
    translateToCaller(name, params, callNode) {
      const head = name.split(".")[0];
      const rest = name.slice(head.length);
      const args = field(callNode, "arguments");
      const positional = args ? namedChildren(args).filter((a) => a.type !== "keyword_argument") : [];
      const simple = (n: PyNode | undefined) => n !== undefined && /^[A-Za-z_][\w.]*$/.test(source(unparen(n)));
      const i = params.indexOf(head);
      if (i >= 0) return simple(positional[i]) ? source(unparen(positional[i])) + rest : null;
      if (head === "self") {
        const fn = field(callNode, "function");
        const object = fn && unparen(fn).type === "attribute" ? field(unparen(fn), "object") : undefined;
        return simple(object) ? source(unparen(object!)) + rest : null;
      }
      return name;
    },
    relint(edits) {
      try {
        const edited = applyEdits(text, edits);
        const again = lintPython(edited, file, { ...options, fixes: false, force: true });
        // A fix whose text doesn't parse is no fix.
        if (again.parsed?.hasErrors) return null;
        return again.findings.map((f) => `${f.rule}|${f.range[0]}|${f.optimizer}`);
      } catch {
        return null;
      }
    },
  };
}

/**
 * Whether the text still parses after `edits`. Each edit is checked within the innermost
 * statement that holds it, re-parsed on its own with its indentation removed (a statement is a
 * unit of Python's grammar), so checking a fix costs the size of that statement, not of the file.
 * Where a statement can't be cut out cleanly (a continuation line indented less), the whole file
 * is re-parsed.
 */
export function editsParse(text: string, parsed: ParsedPython, edits: TextEdit[]): boolean {
  const lineStart = (offset: number) => text.lastIndexOf("\n", offset - 1) + 1;
  if (!edits.every((e) => indentedLikeNeighbours(text, e))) return false;
  const whole = () => !parsePython(applyEdits(text, edits)).hasErrors;
  const groups = new Map<PyNode, TextEdit[]>();
  for (const e of edits) {
    let stmt: PyNode | null = null;
    let node = parsed.root;
    for (;;) {
      const child = node.children.find((c) => c.named && lineStart(c.range[0]) <= e.range[0] && e.range[1] <= c.range[1]);
      if (child === undefined) break;
      if (node.type === "block" || node.type === "module") stmt = child;
      node = child;
    }
    if (stmt === null) return whole();
    groups.set(stmt, [...(groups.get(stmt) ?? []), e]);
  }
  for (const [stmt, group] of groups) {
    const from = lineStart(stmt.range[0]);
    const indent = text.slice(from, stmt.range[0]);
    const shifted = group.map((e) => ({ ...e, range: [e.range[0] - from, e.range[1] - from] as [number, number] }));
    const lines = applyEdits(text.slice(from, stmt.range[1]), shifted).split("\n");
    if (lines.some((l) => l.trim() !== "" && !l.startsWith(indent))) return whole();
    if (parsePython(lines.map((l) => l.slice(indent.length)).join("\n")).hasErrors) return false;
  }
  return true;
}

/**
 * tree-sitter's Python grammar accepts any indentation, so this is checked here: every line an
 * edit adds is indented exactly like the nearest line before or after it.
 */
function indentedLikeNeighbours(text: string, e: TextEdit): boolean {
  const added = e.text.split("\n").slice(1);
  if (added.length === 0) return true;
  const indentOf = (line: string) => /^[ \t]*/.exec(line)![0];
  const lines = text.split("\n");
  const at = text.slice(0, e.range[0]).split("\n").length - 1;
  const near = (from: number, step: number): string | null => {
    for (let i = from; i >= 0 && i < lines.length; i += step) if (lines[i].trim() !== "") return indentOf(lines[i]);
    return null;
  };
  const allowed = new Set([near(at, -1), near(at + 1, 1)].filter((x): x is string => x !== null));
  // The edit's own first line (text before the insertion point) counts as "before" when it has code.
  allowed.add(indentOf(lines[at]));
  return added.every((l) => l.trim() === "" || allowed.has(indentOf(l)));
}
