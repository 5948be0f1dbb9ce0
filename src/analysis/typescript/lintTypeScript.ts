/** The TypeScript/JavaScript front end end to end: text → findings with fix candidates. */
import type { TSESTree } from "@typescript-eslint/typescript-estree";
import type { Finding, Fix, LintOptions, Notice, RelatedLocation, RuleId } from "../core/types";
import { OptimizerOracle } from "../core/optimizers";
import type { GraphEvent, Site } from "../core/cfg";
import { eventAt, GraphPatch, patchProgram, zeroEvent } from "../core/patch";
import { applyEdits } from "../core/textEdits";
import { RawFinding, TypestateAnalysis } from "../core/typestate";
import { LineIndex } from "../core/textEdits";
import { parseSuppressions } from "../core/suppressions";
import { messages, RULES } from "../rules/index";
import { buildProgram, TsProgram } from "./graphBuilder";
import { detectStyle, FixWriter } from "./fixes";
import { forEachChild, parseTypeScript, ParsedFile } from "./parse";
import { unwrap } from "./recognize";
import { isSimplePath } from "./conditions";

export const DEFAULT_ENGINE_MODULES = ["gradlens"];
/** Atom visits all fix verifications of one file may spend (a few hundred milliseconds here). */
const VERIFY_BUDGET = 150_000;

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
  const reporter = new Reporter(text, file, parsed, program, analysis, raw, options);
  const suppress = parseSuppressions((parsed.ast.comments ?? []).map((c) => ({ text: c.value, line: c.loc.start.line, endLine: c.loc.end.line })));
  // Stale parts of one optimizer at one place are one finding, naming the parts when not all are.
  const staleParts = new Map<string, Set<string | null>>();
  for (const r of raw) {
    if (r.kind !== "stale-step") continue;
    const id = findingKey(r, program.sites);
    staleParts.set(id, (staleParts.get(id) ?? new Set()).add(r.part));
  }
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const r of raw) {
    const id = findingKey(r, program.sites);
    if (seen.has(id)) continue;
    seen.add(id);
    const f = reporter.toFinding(r, staleParts.get(id));
    if (!suppress.isSuppressed(f.rule, f.line)) findings.push(f);
  }
  findings.sort((a, b) => a.range[0] - b.range[0] || a.rule.localeCompare(b.rule));
  const lines = new LineIndex(text);
  const notices = rawNotices.map((n) => {
    const fn = program.functions[n.fn];
    const at = lines.position(fn.range[0]);
    const name = fn.name === "<top level>" ? "the top level" : `\`${fn.name}\``;
    return { file, line: at.line, column: at.column, message: `${name} ${n.reason}` };
  });
  if (reporter.unverified > 0) {
    notices.push({ file, line: 1, column: 1, message: `fixes not offered for ${reporter.unverified} candidate${reporter.unverified === 1 ? "" : "s"}: checking them would exceed the fix-verification budget` });
  }
  return { findings, notices, analysed: true, program };
}

function ruleOf(r: RawFinding): RuleId {
  return r.kind === "stale-step" ? "missing-zero-grad" : "zero-grad-discards-gradients";
}

/** One reported finding per rule, place and optimizer name: where several raw findings coincide. */
function findingKey(r: RawFinding, sites: readonly Site[]): string {
  const step = sites[r.stepSite];
  let at: number;
  if (r.kind === "stale-step") at = r.backwardSite >= 0 && sites[r.backwardSite].fn === step.fn ? r.backwardSite : r.stepSite;
  else at = r.zeroSite;
  return `${ruleOf(r)}|${sites[at].range[0]}|${step.text}`;
}

interface Candidate {
  fix: Fix;
  /** The fix as a graph change, or null when it can't be expressed (then the text is re-linted). */
  patches: GraphPatch[] | null;
}

class Reporter {
  private readonly lines: LineIndex;
  private readonly writer: FixWriter;
  private readonly withFixes: boolean;
  private readonly baseline: string[];
  private readonly checked = new Map<string, string[] | null>();
  private readonly oracle: OptimizerOracle;
  /** The optimizer key whose fix is being verified. */
  private patchKey = "";
  /** Analysis work spent verifying fixes; past the budget, fixes are not offered (never a hang). */
  verifyWork = 0;
  unverified = 0;

  constructor(private readonly text: string, private readonly file: string, parsed: ParsedFile, private readonly program: TsProgram, private readonly base: TypestateAnalysis, private readonly raw: RawFinding[], private readonly options: LintOptions) {
    this.lines = new LineIndex(text);
    this.writer = new FixWriter(text, parsed, detectStyle(text, parsed.ast));
    this.withFixes = options.fixes ?? true;
    this.baseline = [...new Set(raw.map((r) => findingKey(r, program.sites)))];
    this.oracle = new OptimizerOracle(program.facts);
  }

  /**
   * Keeps the candidates after which this optimizer has no finding of this rule left and no
   * finding appears that wasn't there: a fix never makes the code worse. Findings elsewhere in
   * the file (other loops, other optimizers) may remain.
   */
  private verify(candidates: Candidate[], rule: RuleId, optimizer: string, findingId: string, key: string): Fix[] {
    const kept: Fix[] = [];
    const before = new Set(this.baseline);
    this.patchKey = key;
    for (const c of candidates) {
      const cacheKey = JSON.stringify(c.fix.edits.map((e) => [e.range, e.text]));
      let after = this.checked.get(cacheKey);
      if (after === undefined && this.verifyWork < VERIFY_BUDGET) {
        after = c.patches !== null ? this.afterPatch(c.patches) : this.afterEdit(c.fix);
        if (after !== undefined) this.checked.set(cacheKey, after);
      }
      if (after === undefined) {
        this.unverified++;
        continue;
      }
      if (after === null || after.includes(findingId)) continue;
      // Text re-lints can't map sites back to the original places: compare counts there.
      const worse = c.patches !== null ? after.some((k) => !before.has(k)) : after.length >= this.baseline.length;
      const sameLeft = after.filter((k) => k.startsWith(`${rule}|`) && k.endsWith(`|${optimizer}`)).length;
      const sameBefore = this.baseline.filter((k) => k.startsWith(`${rule}|`) && k.endsWith(`|${optimizer}`)).length;
      if (!worse && sameLeft < sameBefore) kept.push(c.fix);
    }
    return kept;
  }

  /**
   * Findings after a graph patch. A zero of an optimizer affects only that optimizer's analysis:
   * the others are taken from the baseline; a module's zero may touch any, so all are re-run.
   */
  private afterPatch(patches: GraphPatch[]): string[] | undefined {
    const patched = patchProgram(this.program, patches);
    const key = this.patchKey;
    const onlyThat = patches.every((p) => p.kind === "remove" || (p.event.target.type === "zeroGrad" && p.event.target.keys.every((k) => k === key)) || p.event.target.type === "tensor");
    // Only roots that can reach a patched function are re-run; the rest keep their findings.
    const workLimit = Math.max(0, VERIFY_BUDGET - this.verifyWork);
    const again = new TypestateAnalysis(patched, onlyThat ? (k) => k === key : undefined, { base: this.base, changed: new Set(patches.map((p) => p.fn)), workLimit });
    const result = again.run();
    this.verifyWork += result.work;
    // A check cut short by the budget proves nothing: the candidate stays unverified.
    if (result.notices.length > 0) return undefined;
    const rerun = new Set(again.roots);
    const fresh = result.findings.map((r) => findingKey(r, patched.sites));
    const kept = this.raw.filter((r) => !rerun.has(r.root) || (onlyThat && r.key !== key)).map((r) => findingKey(r, this.program.sites));
    return [...new Set([...kept, ...fresh])];
  }

  /** Fallback: apply the edit and lint the new text (a full parse). */
  private afterEdit(fix: Fix): string[] | null {
    try {
      const again = lintTypeScript(applyEdits(this.text, fix.edits), this.file, { ...this.options, fixes: false, force: true });
      return again.findings.map((f) => `${f.rule}|${f.range[0]}|${f.optimizer}`);
    } catch {
      return null; // an edit that breaks the file is no fix
    }
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

  /** Whether the file calls `<receiver>.zero_grad(`: PyTorch's spelling, which isn't an engine method. */
  private callsPyTorchSpelling(receiver: string): boolean {
    const escaped = receiver.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    // `optimizer.zero_grad()`, or `(optimizer as any).zero_grad()` past the type checker.
    return new RegExp(`(^|[^\\w$.])${escaped}(\\s+as\\s+[\\w<>]+\\s*\\))?\\s*\\??\\.\\s*zero_grad\\s*\\(`).test(this.text);
  }

  toFinding(r: RawFinding, staleParts?: Set<string | null>): Finding {
    const { sites } = this.program;
    const id = findingKey(r, sites);
    switch (r.kind) {
      case "stale-step": {
        const step = sites[r.stepSite], back = r.backwardSite >= 0 ? sites[r.backwardSite] : null;
        const at = back !== null && back.fn === step.fn ? back : step;
        const manual = step.manual === true;
        // "never called" vs "not on every path": is there a zero in the functions on this path?
        const fns = new Set([r.root, step.fn, ...r.context.map((c) => sites[c].fn)]);
        const zeroedSomewhere = sites.some((s) => s.kind === "zero" && fns.has(s.fn) && s.text === step.text);
        const loop = this.enclosingLoop(r, step.text);
        const related: RelatedLocation[] = [];
        if (at !== step) related.push(this.related(step.range, messages.relatedStep(step.text)));
        if (loop) related.push(this.related(this.program.loops[loop.id].headRange, messages.relatedLoop));
        let fixes: Fix[] = [];
        if (this.withFixes) {
          const candidates: Candidate[] = [];
          const zeroCode = (name: string) => (manual ? `${name}.grad = null` : `${name}.zeroGrad()`);
          const stepEvent = eventAt(this.program, step.fn, step.id) as Extract<GraphEvent, { kind: "step" }> | null;
          const zeroFor = (key: string) => zeroEvent(manual ? { type: "tensor", key } : { type: "zeroGrad", keys: [key] });
          // After the step that first applied these gradients (the same step, in a loop).
          const anchor = r.previousStep !== undefined ? sites[r.previousStep] : step;
          const anchorEvent = eventAt(this.program, anchor.fn, anchor.id) as Extract<GraphEvent, { kind: "step" }> | null;
          const afterStep = this.writer.insertAfter(this.program.siteNodes[anchor.id], zeroCode(anchor.text));
          if (afterStep) {
            candidates.push({
              fix: { title: `Insert \`${zeroCode(anchor.text)}\` after ${manual ? `\`${anchor.text}\` is updated` : `\`${anchor.text}.step()\``}`, placement: "after-step", edits: afterStep },
              patches: anchorEvent ? [{ kind: "insert-after", fn: anchor.fn, site: anchor.id, event: zeroFor(anchorEvent.key) }] : null,
            });
          }
          // Never at the loop's start when the step is conditional there: that defeats accumulation.
          if (loop && (!manual || loop.name === step.text) && !this.conditionalIn(step, loop.id, r.context)) {
            const loopStart = this.writer.insertAtLoopStart(this.program.loopNodes[loop.id], zeroCode(loop.name));
            const key = stepEvent ? this.keyInLoopFunction(r, stepEvent.key) : null;
            const body = this.program.loopBodies[loop.id];
            if (loopStart) {
              candidates.push({
                fix: { title: `Insert \`${zeroCode(loop.name)}\` at the start of the loop`, placement: "loop-start", edits: loopStart },
                patches: key !== null && body !== undefined ? [{ kind: "insert-at-block", fn: this.program.loops[loop.id].fn, block: body, event: zeroFor(key) }] : null,
              });
            }
          }
          fixes = this.verify(candidates, "missing-zero-grad", step.text, id, r.key);
        }
        const all = this.oracle.partsOf(r.key);
        const stale = staleParts ? [...staleParts].filter((p): p is string => p !== null) : [];
        const partial = !manual && all[0] !== null && stale.length > 0 && stale.length < all.length;
        const message = partial
          ? messages.missingPart(step.text, stale.map(displayPart), sites.some((s) => s.kind === "zero" && fns.has(s.fn) && stale.some((p) => displayPart(p) === s.text)))
          : messages.missing(step.text, manual, zeroedSomewhere, !manual && this.callsPyTorchSpelling(step.text));
        return this.make("missing-zero-grad", at.range, message, step.text, related, fixes);
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
        let fixes: Fix[] = [];
        if (this.withFixes) {
          const candidates: Candidate[] = [];
          const remove = this.writer.removeStatement(zeroNode);
          const zeroEv = eventAt(this.program, zero.fn, zero.id) as Extract<GraphEvent, { kind: "zero" }> | null;
          const moveTo = (kind: "insert-after" | "insert-before", fn: number, site: number): GraphPatch[] | null =>
            zeroEv ? [{ kind: "remove", fn: zero.fn, site: zero.id }, { kind, fn, site, event: zeroEvent(zeroEv.target) }] : null;
          if (remove && step.fn === zero.fn) {
            const insert = this.writer.insertAfter(this.program.siteNodes[step.id], zeroSource, remove.comment);
            if (insert && !overlaps(remove.edits, insert)) {
              candidates.push({ fix: { title: `Move \`${zeroSource}\` after \`${step.text}.step()\``, placement: "after-step", edits: [...remove.edits, ...insert] }, patches: moveTo("insert-after", step.fn, step.id) });
            }
          }
          if (remove && r.kind === "discarded-before-step" && back.fn === zero.fn) {
            const insert = this.writer.insertBefore(this.program.siteNodes[back.id], zeroSource, remove.comment);
            if (insert && !overlaps(remove.edits, insert)) {
              candidates.push({ fix: { title: `Move \`${zeroSource}\` before \`${back.text ? `${back.text}.backward()` : "backward()"}\``, placement: "before-backward", edits: [...remove.edits, ...insert] }, patches: moveTo("insert-before", back.fn, back.id) });
            }
          }
          fixes = this.verify(candidates, "zero-grad-discards-gradients", step.text, id, r.key);
        }
        return this.make("zero-grad-discards-gradients", zero.range, message, step.text, related, fixes);
      }
    }
  }

  /**
   * Whether the step (or the call reaching it) can be skipped by a branch inside the loop's body:
   * an `if` without a step of this optimizer in its other arm, a `switch` whose cases don't all
   * step, the right side of `&&`. A zero at such a loop's start would discard skipped gradients.
   */
  private conditionalIn(step: Site, loopId: number, context: number[]): boolean {
    const loopNode = this.program.loopNodes[loopId];
    const from = [step.id, ...context].map((s) => this.program.siteNodes[s]).filter((n) => n.range[0] >= loopNode.range[0] && n.range[1] <= loopNode.range[1]);
    const steps = (n: TSESTree.Node | null | undefined) => n != null && this.containsStep(n, step.text);
    for (const start of from) {
      for (let n: TSESTree.Node | undefined = start; n && n !== loopNode; n = n.parent) {
        const parent: TSESTree.Node | undefined = n.parent;
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
  }

  private containsStep(node: TSESTree.Node, optimizer: string): boolean {
    const src = this.text.slice(node.range[0], node.range[1]);
    return src.includes(`${optimizer}.step(`) || src.includes(`${optimizer}.grad`);
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

  /** The step's receiver key, translated up the call chain to the function holding the loop. */
  private keyInLoopFunction(r: RawFinding, stepKey: string): string | null {
    const { sites } = this.program;
    let key: string | null = stepKey;
    let loop = sites[r.stepSite].loop;
    for (let i = r.context.length - 1; i >= 0 && loop === -1 && key !== null; i--) {
      const call = sites[r.context[i]];
      const ev = eventAt(this.program, call.fn, call.id);
      if (ev === null || ev.kind !== "call") return null;
      const head: string = key.split(".")[0];
      const rest = key.slice(head.length);
      if (head[0] === "$") {
        const bound: string | null = head === "$this" ? ev.thisArg : ev.args[Number(head.slice(1))] ?? null;
        key = bound === null ? null : bound + rest;
      }
      loop = call.loop;
    }
    return key;
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


function overlaps(a: { range: [number, number] }[], b: { range: [number, number] }[]): boolean {
  return a.some((x) => b.some((y) => x.range[0] < y.range[1] && y.range[0] < x.range[1]));
}

/** A part as the user wrote it: `this.decoder` stays, graph prefixes don't show. */
function displayPart(part: string): string {
  return part.startsWith("$this") ? "this" + part.slice(5) : part;
}
