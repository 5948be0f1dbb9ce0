/** The TypeScript/JavaScript front end end to end: text → findings with fix candidates. */
import type { TSESTree } from "@typescript-eslint/typescript-estree";
import type { Finding, Fix, LintOptions, RelatedLocation, RuleId } from "../core/types";
import { analyse, RawFinding } from "../core/typestate";
import { LineIndex } from "../core/textEdits";
import { parseSuppressions } from "../core/suppressions";
import { messages, RULES } from "../rules/index";
import { buildProgram, TsProgram } from "./graphBuilder";
import { detectStyle, FixWriter } from "./fixes";
import { forEachChild, parseTypeScript, ParsedFile } from "./parse";
import { propertyName, unwrap } from "./recognize";

export const DEFAULT_ENGINE_MODULES = ["gradlens"];

export interface FrontEndResult {
  findings: Finding[];
  analysed: boolean;
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
  if (!options.force && !modules.some((m) => text.includes(m))) return { findings: [], analysed: false };
  const parsed = parseTypeScript(text, file);
  if (!options.force && !importsEngine(parsed.ast, modules)) return { findings: [], analysed: false };
  const program = buildProgram(parsed);
  const raw = analyse(program);
  const reporter = new Reporter(text, file, parsed, program, options.fixes ?? true);
  const suppress = parseSuppressions((parsed.ast.comments ?? []).map((c) => ({ text: c.value, line: c.loc.start.line, endLine: c.loc.end.line })));
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const r of raw) {
    const f = reporter.toFinding(r);
    if (f === null) continue;
    const id = `${f.rule}:${f.range[0]}:${f.optimizer}`;
    if (seen.has(id) || suppress.isSuppressed(f.rule, f.line)) continue;
    seen.add(id);
    findings.push(f);
  }
  findings.sort((a, b) => a.range[0] - b.range[0] || a.rule.localeCompare(b.rule));
  return { findings, analysed: true };
}

class Reporter {
  private readonly lines: LineIndex;
  private readonly writer: FixWriter;

  constructor(private readonly text: string, private readonly file: string, parsed: ParsedFile, private readonly program: TsProgram, private readonly withFixes: boolean) {
    this.lines = new LineIndex(text);
    this.writer = new FixWriter(text, parsed, detectStyle(text, parsed.ast));
  }

  private related(range: [number, number], message: string): RelatedLocation {
    const p = this.lines.position(range[0]);
    return { file: this.file, line: p.line, column: p.column, message };
  }

  private make(rule: RuleId, range: [number, number], message: string, optimizer: string, related: RelatedLocation[], fixes: Fix[]): Finding {
    const start = this.lines.position(range[0]);
    const end = this.lines.position(range[1]);
    return { file: this.file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column, rule, severity: RULES[rule].severity, message, optimizer, related, fixes, range };
  }

  toFinding(r: RawFinding): Finding | null {
    const { sites } = this.program;
    switch (r.kind) {
      case "stale-step": {
        const step = sites[r.stepSite], back = sites[r.backwardSite];
        const at = back.fn === step.fn ? back : step;
        const manual = step.manual === true;
        // "never called" vs "not on every path": is there a zero in the functions on this path?
        const fns = new Set([r.root, step.fn, ...r.context.map((c) => sites[c].fn)]);
        const zeroedSomewhere = sites.some((s) => s.kind === "zero" && fns.has(s.fn) && s.text === step.text);
        const loop = this.enclosingLoop(r, step.text);
        const related: RelatedLocation[] = [];
        if (at !== step) related.push(this.related(step.range, messages.relatedStep(step.text)));
        if (loop) related.push(this.related(this.program.loops[loop.id].headRange, messages.relatedLoop));
        const fixes: Fix[] = [];
        if (this.withFixes) {
          const zeroCode = (name: string) => (manual ? `${name}.grad = null` : `${name}.zeroGrad()`);
          // After the step that first applied these gradients (the same step, in a loop).
          const anchor = r.previousStep !== undefined ? sites[r.previousStep] : step;
          const afterStep = this.writer.insertAfter(this.program.siteNodes[anchor.id], zeroCode(anchor.text));
          if (afterStep) fixes.push({ title: `Call ${zeroCode(anchor.text)} after ${anchor.text}${manual ? " is updated" : ".step()"}`, placement: "after-step", edits: afterStep });
          if (loop && (!manual || loop.name === step.text)) {
            const loopStart = this.writer.insertAtLoopStart(this.program.loopNodes[loop.id], zeroCode(loop.name));
            if (loopStart) fixes.push({ title: `Call ${zeroCode(loop.name)} at the start of the loop`, placement: "loop-start", edits: loopStart });
          }
        }
        return this.make("missing-zero-grad", at.range, messages.missing(step.text, manual, zeroedSomewhere), step.text, related, fixes);
      }
      case "discarded-before-step":
      case "accumulation-defeated": {
        const zero = sites[r.zeroSite], step = sites[r.stepSite], back = sites[r.backwardSite];
        const zeroNode = this.program.siteNodes[zero.id];
        const zeroSource = this.zeroStatementCode(zeroNode);
        const message = r.kind === "discarded-before-step"
          ? messages.discardedBeforeStep(this.callText(zeroNode), step.text)
          : messages.accumulationDefeated(this.callText(zeroNode), step.text);
        const related = [this.related(back.range, messages.relatedBackward), this.related(step.range, messages.relatedStepUses(step.text))];
        const fixes: Fix[] = [];
        if (this.withFixes) {
          const remove = this.writer.removeStatement(zeroNode);
          if (remove && step.fn === zero.fn) {
            const insert = this.writer.insertAfter(this.program.siteNodes[step.id], zeroSource, remove.comment);
            if (insert && !overlaps(remove.edits, insert)) fixes.push({ title: `Move ${zeroSource} after ${step.text}.step()`, placement: "after-step", edits: [...remove.edits, ...insert] });
          }
          if (remove && r.kind === "discarded-before-step" && back.fn === zero.fn) {
            const insert = this.writer.insertBefore(this.program.siteNodes[back.id], zeroSource, remove.comment);
            if (insert && !overlaps(remove.edits, insert)) fixes.push({ title: `Move ${zeroSource} before the backward()`, placement: "before-backward", edits: [...remove.edits, ...insert] });
          }
        }
        return this.make("zero-grad-discards-gradients", zero.range, message, step.text, related, fixes);
      }
    }
  }

  private callText(node: TSESTree.Node): string {
    const src = this.text.slice(node.range[0], node.range[1]);
    return src.length <= 60 ? src.replace(/\s+/g, " ") : src.slice(0, 57) + "...";
  }

  /** The zero call as code to re-insert elsewhere (without a trailing semicolon). */
  private zeroStatementCode(node: TSESTree.Node): string {
    return this.text.slice(node.range[0], node.range[1]).replace(/;$/, "");
  }

  /**
   * The loop a missing zero belongs in: the innermost loop around the step, or around the call
   * that reached it (walking up the call chain), with the optimizer's name as written there.
   */
  private enclosingLoop(r: RawFinding, stepText: string): { id: number; name: string } | null {
    const { sites } = this.program;
    let name: string | null = stepText;
    let loop = sites[r.stepSite].loop;
    let fn = sites[r.stepSite].fn;
    for (let i = r.context.length - 1; i >= 0 && loop === -1 && name !== null; i--) {
      const call = sites[r.context[i]];
      name = this.translateToCaller(name, fn, r.context[i]);
      loop = call.loop;
      fn = call.fn;
    }
    return loop === -1 || name === null ? null : { id: loop, name };
  }

  private translateToCaller(name: string, fn: number, callSite: number): string | null {
    const params = this.program.functions[fn].params;
    const call = this.program.siteNodes[callSite] as TSESTree.CallExpression;
    const head = name.split(".")[0];
    const rest = name.slice(head.length);
    const i = params.indexOf(head);
    if (i >= 0) {
      const arg = call.arguments[i];
      return arg && isSimplePath(arg) ? this.text.slice(arg.range[0], arg.range[1]) + rest : null;
    }
    if (head === "this") {
      const callee = unwrap(call.callee);
      return callee.type === "MemberExpression" ? this.text.slice(callee.object.range[0], callee.object.range[1]) + rest : null;
    }
    return name;
  }
}

function isSimplePath(n: TSESTree.Node): boolean {
  const u = unwrap(n);
  if (u.type === "Identifier" || u.type === "ThisExpression") return true;
  return u.type === "MemberExpression" && propertyName(u) !== null && !u.computed && isSimplePath(u.object);
}

function overlaps(a: { range: [number, number] }[], b: { range: [number, number] }[]): boolean {
  return a.some((x) => b.some((y) => x.range[0] < y.range[1] && y.range[0] < x.range[1]));
}
