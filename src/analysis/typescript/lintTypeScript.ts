/** The TypeScript/JavaScript front end end to end: text → findings with fix candidates. */
import type { TSESTree } from "@typescript-eslint/typescript-estree";
import type { Finding, LintOptions, Notice } from "../core/types";
import { applyEdits } from "../core/textEdits";
import { TypestateAnalysis } from "../core/typestate";
import { parseSuppressions } from "../core/suppressions";
import { report, SourceHooks } from "../core/report";
import { TYPESCRIPT_SPELLING } from "../rules/index";
import { buildProgram, TsProgram } from "./graphBuilder";
import { detectStyle, FixWriter } from "./fixes";
import { forEachChild, Node, parseTypeScript, ParsedFile } from "./parse";
import { unwrap } from "./recognize";
import { isSimplePath } from "./conditions";

export const DEFAULT_ENGINE_MODULES = ["gradlens"];

export interface FrontEndResult {
  findings: Finding[];
  notices: Notice[];
  analysed: boolean;
  /** The graph that was analysed (explain.ts reads its sites), when the file was analysed. */
  program?: TsProgram;
}

/** Does the file import or require one of the engine modules? */
export function importsEngine(ast: TSESTree.Program, modules: readonly string[]): boolean {
  const matches = (v: unknown) => typeof v === "string" && modules.some((m) => v === m || v.startsWith(m + "/"));
  for (const s of ast.body) {
    if ((s.type === "ImportDeclaration" || s.type === "ExportAllDeclaration" || s.type === "ExportNamedDeclaration") && s.source && matches(s.source.value)) return true;
    if (s.type === "TSImportEqualsDeclaration" && s.moduleReference.type === "TSExternalModuleReference" && matches(s.moduleReference.expression.value)) return true;
  }
  // require("gradlens") / import("gradlens") anywhere
  const stack: TSESTree.Node[] = [ast];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type === "CallExpression" && n.callee.type === "Identifier" && n.callee.name === "require" && n.arguments[0]?.type === "Literal" && matches(n.arguments[0].value)) return true;
    if (n.type === "ImportExpression" && n.source.type === "Literal" && matches(n.source.value)) return true;
    forEachChild(n, (c) => stack.push(c));
  }
  return false;
}

export function lintTypeScript(text: string, file: string, options: LintOptions): FrontEndResult {
  const modules = options.engineModules ?? DEFAULT_ENGINE_MODULES;
  // Cheap pre-check: a file that never names an engine module can't import it.
  if (!options.force && !modules.some((m) => text.includes(m))) return { findings: [], notices: [], analysed: false };
  const parsed = parseTypeScript(text, file);
  if (!options.force && !importsEngine(parsed.ast, modules)) return { findings: [], notices: [], analysed: false };
  const program = buildProgram(parsed);
  const analysis = new TypestateAnalysis(program);
  const { findings: raw, notices: rawNotices } = analysis.run();
  const suppressions = parseSuppressions((parsed.ast.comments ?? []).map((c) => ({ text: c.value, line: c.loc.start.line, endLine: c.loc.end.line })));
  const hooks = typeScriptHooks(text, file, parsed, options);
  const { findings, notices } = report({ text, file, program, analysis, raw, notices: rawNotices, suppressions, withFixes: options.fixes ?? true, hooks });
  return { findings, notices, analysed: true, program };
}


/** The TypeScript syntax behind reporting: fixes in the file's style, branches, call arguments. */
function typeScriptHooks(text: string, file: string, parsed: ParsedFile, options: LintOptions): SourceHooks<Node> {
  const writer = new FixWriter(text, parsed, detectStyle(text, parsed.ast));
  const source = (n: Node) => text.slice(n.range[0], n.range[1]);
  const containsStep = (n: Node | null | undefined, optimizer: string) => {
    if (n == null) return false;
    const src = source(n);
    return src.includes(`${optimizer}.step(`) || src.includes(`${optimizer}.grad`);
  };
  return {
    spelling: TYPESCRIPT_SPELLING,
    insertAfter: (node, code, comment) => writer.insertAfter(node, code, comment),
    insertBefore: (node, code, comment) => writer.insertBefore(node, code, comment),
    insertAtLoopStart: (loop, code) => writer.insertAtLoopStart(loop, code),
    removeStatement: (node) => writer.removeStatement(node),
    callText(node) {
      const src = source(node);
      return src.length <= 60 ? src.replace(/\s+/g, " ") : src.slice(0, 57) + "...";
    },
    statementCode: (node) => source(node).replace(/;$/, ""),
    /**
     * An `if` without a step of this optimizer in its other arm, a `switch` whose cases don't all
     * step, the right side of `&&`: each can skip the step (or the call reaching it).
     */
    conditionalIn(stepNode, contextNodes, loopNode, optimizer) {
      const from = [stepNode, ...contextNodes].filter((n) => n.range[0] >= loopNode.range[0] && n.range[1] <= loopNode.range[1]);
      const steps = (n: Node | null | undefined) => containsStep(n, optimizer);
      for (const start of from) {
        for (let n: Node | undefined = start; n && n !== loopNode; n = n.parent) {
          const parent: Node | undefined = n.parent;
          if (!parent) break;
          if (parent.type === "IfStatement" && parent.test !== n && !(steps(parent.consequent) && steps(parent.alternate))) return true;
          if (parent.type === "ConditionalExpression" && parent.test !== n && !(steps(parent.consequent) && steps(parent.alternate))) return true;
          if (parent.type === "LogicalExpression" && parent.right === n) return true;
          if (parent.type === "SwitchCase") {
            const sw = parent.parent as TSESTree.SwitchStatement;
            // Every case steps (itself or by falling through to a later one), and a default exists.
            const all = sw.cases.every((_c, j) => sw.cases.slice(j).some((d) => d.consequent.some((x) => steps(x)))) && sw.cases.some((c) => c.test === null);
            if (!all) return true;
          }
        }
      }
      return false;
    },
    translateToCaller(name, params, callNode) {
      const call = callNode as TSESTree.CallExpression;
      const head = name.split(".")[0];
      const rest = name.slice(head.length);
      const i = params.indexOf(head);
      if (i >= 0) {
        const arg = call.arguments[i];
        return arg && isSimplePath(arg) ? source(arg) + rest : null;
      }
      if (head === "this") {
        const callee = unwrap(call.callee);
        return callee.type === "MemberExpression" ? source(callee.object) + rest : null;
      }
      return name;
    },
    relint(edits) {
      try {
        const again = lintTypeScript(applyEdits(text, edits), file, { ...options, fixes: false, force: true });
        return again.findings.map((f) => `${f.rule}|${f.range[0]}|${f.optimizer}`);
      } catch {
        return null; // an edit that breaks the file is no fix
      }
    },
    callsOtherSpelling(receiver) {
      const escaped = receiver.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      // `optimizer.zero_grad()`, or `(optimizer as any).zero_grad()` past the type checker.
      return new RegExp(`(^|[^\\w$.])${escaped}(\\s+as\\s+[\\w<>]+\\s*\\))?\\s*\\??\\.\\s*zero_grad\\s*\\(`).test(text);
    },
  };
}
