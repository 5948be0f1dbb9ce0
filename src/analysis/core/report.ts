/**
 * Reporting, shared by every front end: raw typestate results → findings. Maps results to rules
 * and messages, merges results that coincide, applies suppressions, turns "not analysed" results
 * into notices, and builds fix candidates through the front end's writer, keeping only those that
 * verifiably remove the finding without adding another (checked on the patched graph, or by
 * re-linting the edited text when a fix can't be expressed as a graph change).
 */
import type { Finding, Fix, Notice, RelatedLocation, RuleId, TextEdit } from "./types";
import { OptimizerOracle } from "./optimizers";
import type { GraphEvent, Site } from "./cfg";
import type { BuiltProgram } from "./graphKit";
import { eventAt, GraphPatch, patchProgram, zeroEvent } from "./patch";
import { LineIndex } from "./textEdits";
import { Notice as RawNotice, RawFinding, TypestateAnalysis } from "./typestate";
import type { Suppressions } from "./suppressions";
import { messages, RULES, Spelling } from "../rules/index";

/** Atom visits all fix verifications of one file may spend (a few hundred milliseconds here). */
const VERIFY_BUDGET = 150_000;

/** What reporting needs from a front end: its syntax, in the language's own terms. */
export interface SourceHooks<N> {
  spelling: Spelling;
  /** Statement edits in the file's style; null where the front end can't place the code. */
  insertAfter(node: N, code: string, comment?: string): TextEdit[] | null;
  insertBefore(node: N, code: string, comment?: string): TextEdit[] | null;
  insertAtLoopStart(loop: N, code: string): TextEdit[] | null;
  removeStatement(node: N): { edits: TextEdit[]; comment: string } | null;
  /** The call's source, shortened for messages. */
  callText(node: N): string;
  /** The zero's statement as code to re-insert elsewhere. */
  statementCode(node: N): string;
  /** Whether a branch inside the loop's body can skip the step (or the call that reaches it). */
  conditionalIn(stepNode: N, contextNodes: N[], loop: N, optimizer: string): boolean;
  /** A receiver name in a callee, as the caller at `call` writes it (null when it isn't a simple path). */
  translateToCaller(name: string, params: string[], call: N): string | null;
  /** Finding keys (`rule|offset|optimizer`) after the edits, from a full re-lint; null when the edit breaks the file. */
  relint(edits: TextEdit[]): string[] | null;
  /** Whether the file calls the receiver's other spelling of the zero (a hint in the message). */
  callsOtherSpelling?(receiver: string): boolean;
}

export interface ReportInput<N> {
  text: string;
  file: string;
  program: BuiltProgram<N>;
  analysis: TypestateAnalysis;
  raw: RawFinding[];
  notices: RawNotice[];
  suppressions: Suppressions;
  withFixes: boolean;
  hooks: SourceHooks<N>;
}

export function report<N>(input: ReportInput<N>): { findings: Finding[]; notices: Notice[] } {
  const { text, file, program, raw } = input;
  const reporter = new Reporter(input);
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
    if (!input.suppressions.isSuppressed(f.rule, f.line)) findings.push(f);
  }
  findings.sort((a, b) => a.range[0] - b.range[0] || a.rule.localeCompare(b.rule));
  const lines = new LineIndex(text);
  const notices = input.notices.map((n) => {
    const fn = program.functions[n.fn];
    const at = lines.position(fn.range[0]);
    const name = fn.name === "<top level>" ? "the top level" : `\`${fn.name}\``;
    return { file, line: at.line, column: at.column, message: `${name} ${n.reason}` };
  });
  if (reporter.unverified > 0) {
    notices.push({ file, line: 1, column: 1, message: `fixes not offered for ${reporter.unverified} candidate${reporter.unverified === 1 ? "" : "s"}: checking them would exceed the fix-verification budget` });
  }
  return { findings, notices };
}

function ruleOf(r: RawFinding): RuleId {
  return r.kind === "stale-step" ? "missing-zero-grad" : "zero-grad-discards-gradients";
}

/** One reported finding per rule, place and optimizer name: where several raw findings coincide. */
function findingKey(r: RawFinding, sites: readonly Site[]): string {
  const step = sites[r.stepSite];
  let at: number;
  if (r.kind === "stale-step") at = !r.leak && r.backwardSite >= 0 && sites[r.backwardSite].fn === step.fn ? r.backwardSite : r.stepSite;
  else at = r.zeroSite;
  return `${ruleOf(r)}|${sites[at].range[0]}|${step.text}`;
}

interface Candidate {
  fix: Fix;
  /** The fix as a graph change, or null when it can't be expressed (then the text is re-linted). */
  patches: GraphPatch[] | null;
}

class Reporter<N> {
  private readonly lines: LineIndex;
  private readonly hooks: SourceHooks<N>;
  private readonly text: string;
  private readonly file: string;
  private readonly program: BuiltProgram<N>;
  private readonly base: TypestateAnalysis;
  private readonly raw: RawFinding[];
  private readonly withFixes: boolean;
  private readonly baseline: string[];
  private readonly checked = new Map<string, string[] | null>();
  private readonly oracle: OptimizerOracle;
  /** The optimizer key whose fix is being verified. */
  private patchKey = "";
  /** Analysis work spent verifying fixes; past the budget, fixes are not offered (never a hang). */
  verifyWork = 0;
  unverified = 0;

  constructor(input: ReportInput<N>) {
    ({ text: this.text, file: this.file, program: this.program, analysis: this.base, raw: this.raw, hooks: this.hooks, withFixes: this.withFixes } = input);
    this.lines = new LineIndex(this.text);
    this.baseline = [...new Set(this.raw.map((r) => findingKey(r, this.program.sites)))];
    this.oracle = new OptimizerOracle(this.program.facts);
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
    return this.hooks.relint(fix.edits);
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

  toFinding(r: RawFinding, staleParts?: Set<string | null>): Finding {
    const { sites } = this.program;
    const id = findingKey(r, sites);
    switch (r.kind) {
      case "stale-step": {
        const step = sites[r.stepSite], back = r.backwardSite >= 0 ? sites[r.backwardSite] : null;
        // A leak is reported at the step that applies the skipped batch's gradients.
        const at = !r.leak && back !== null && back.fn === step.fn ? back : step;
        const manual = step.manual === true;
        // "never called" vs "not on every path": is there a zero in the functions on this path?
        const fns = new Set([r.root, step.fn, ...r.context.map((c) => sites[c].fn)]);
        const zeroedSomewhere = sites.some((s) => s.kind === "zero" && fns.has(s.fn) && s.text === step.text);
        const loop = this.enclosingLoop(r, step.text);
        const related: RelatedLocation[] = [];
        if (at !== step) related.push(this.related(step.range, messages.relatedStep(step.text)));
        if (r.leak && back !== null) related.push(this.related(back.range, messages.relatedSkippedBackward));
        if (loop) related.push(this.related(this.program.loops[loop.id].headRange, messages.relatedLoop));
        let fixes: Fix[] = [];
        if (this.withFixes) {
          const candidates: Candidate[] = [];
          const zeroCode = (name: string) => this.hooks.spelling.zeroCode(name, manual);
          const stepEvent = eventAt(this.program, step.fn, step.id) as Extract<GraphEvent, { kind: "step" }> | null;
          const zeroFor = (key: string) => zeroEvent(manual ? { type: "tensor", key } : { type: "zeroGrad", keys: [key] });
          // After the step that first applied these gradients (the same step, in a loop).
          const anchor = r.previousStep !== undefined ? sites[r.previousStep] : step;
          const anchorEvent = eventAt(this.program, anchor.fn, anchor.id) as Extract<GraphEvent, { kind: "step" }> | null;
          // A leak is past the step: the zero after it is already there, and the skipped path misses it.
          const afterStep = r.leak ? null : this.hooks.insertAfter(this.program.siteNodes[anchor.id], zeroCode(anchor.text));
          if (afterStep) {
            candidates.push({
              fix: { title: `Insert \`${zeroCode(anchor.text)}\` after ${manual ? `\`${anchor.text}\` is updated` : `\`${anchor.text}.step()\``}`, placement: "after-step", edits: afterStep },
              patches: anchorEvent && !anchor.gated ? [{ kind: "insert-after", fn: anchor.fn, site: anchor.id, event: zeroFor(anchorEvent.key) }] : null,
            });
          }
          // Never at the loop's start when the step is conditional there: that defeats accumulation.
          // Without evidence of accumulation (a counter-guarded step, a scaled loss) a skipped step
          // drops its batch: the zero belongs at the start, where a skipping path can't miss it.
          const accumulates = step.counterGuarded === true || back?.scaledLoss === true;
          if (loop && (!manual || loop.name === step.text) && (r.leak || !accumulates || !this.conditionalIn(step, loop.id, r.context))) {
            const loopStart = this.hooks.insertAtLoopStart(this.program.loopNodes[loop.id], zeroCode(loop.name));
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
        const message = r.leak
          ? messages.leaked(this.hooks.spelling, step.text, manual)
          : partial
          ? messages.missingPart(step.text, stale.map(displayPart), sites.some((s) => s.kind === "zero" && fns.has(s.fn) && stale.some((p) => displayPart(p) === s.text)))
          : messages.missing(this.hooks.spelling, step.text, manual, zeroedSomewhere, !manual && (this.hooks.callsOtherSpelling?.(step.text) ?? false));
        return this.make("missing-zero-grad", at.range, message, step.text, related, fixes);
      }
      case "discarded-before-step":
      case "accumulation-defeated": {
        const zero = sites[r.zeroSite], step = sites[r.stepSite], back = sites[r.backwardSite];
        const zeroNode = this.program.siteNodes[zero.id];
        const zeroSource = this.hooks.statementCode(zeroNode);
        const message = r.kind === "discarded-before-step"
          ? messages.discardedBeforeStep(this.hooks.callText(zeroNode), step.text)
          : r.innerLoop
          ? messages.accumulationDefeatedInLoop(this.hooks.callText(zeroNode), step.text)
          : messages.accumulationDefeated(this.hooks.callText(zeroNode), step.text);
        const related = [this.related(back.range, messages.relatedBackward), this.related(step.range, messages.relatedStepUses(step.text))];
        let fixes: Fix[] = [];
        if (this.withFixes) {
          const candidates: Candidate[] = [];
          const remove = this.hooks.removeStatement(zeroNode);
          const zeroEv = eventAt(this.program, zero.fn, zero.id) as Extract<GraphEvent, { kind: "zero" }> | null;
          const moveTo = (kind: "insert-after" | "insert-before", fn: number, site: number): GraphPatch[] | null =>
            zeroEv && !zero.gated && !this.program.sites[site].gated ? [{ kind: "remove", fn: zero.fn, site: zero.id }, { kind, fn, site, event: zeroEvent(zeroEv.target) }] : null;
          if (remove && step.fn === zero.fn) {
            const insert = this.hooks.insertAfter(this.program.siteNodes[step.id], zeroSource, remove.comment);
            if (insert && !overlaps(remove.edits, insert)) {
              candidates.push({ fix: { title: `Move \`${zeroSource}\` after \`${step.text}.step()\``, placement: "after-step", edits: [...remove.edits, ...insert] }, patches: moveTo("insert-after", step.fn, step.id) });
            }
          }
          if (remove && r.kind === "discarded-before-step" && back.fn === zero.fn) {
            const insert = this.hooks.insertBefore(this.program.siteNodes[back.id], zeroSource, remove.comment);
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

  /** Whether a branch inside the loop's body can skip the step: a zero at its start would discard skipped gradients. */
  private conditionalIn(step: Site, loopId: number, context: number[]): boolean {
    const nodes = this.program.siteNodes;
    return this.hooks.conditionalIn(nodes[step.id], context.map((c) => nodes[c]), this.program.loopNodes[loopId], step.text);
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
    return this.hooks.translateToCaller(name, this.program.functions[fn].params, this.program.siteNodes[callSite]);
  }
}


function overlaps(a: { range: [number, number] }[], b: { range: [number, number] }[]): boolean {
  return a.some((x) => b.some((y) => x.range[0] < y.range[1] && y.range[0] < x.range[1]));
}

/** A part as the user wrote it: `this.decoder` stays, graph prefixes don't show. */
function displayPart(part: string): string {
  return part.startsWith("$this") ? "this" + part.slice(5) : part;
}
