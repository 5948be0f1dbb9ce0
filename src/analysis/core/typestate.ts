/**
 * The typestate core. For each optimizer key (and each part of what it owns), gradient facts
 * flow over the control-flow graph as independent atoms (an exploded-graph reachability, like
 * IFDS), so paths stay apart without enumerating them:
 *
 *   CLEAN ─backward→ ACCUM ─step→ CONSUMED ─backward→ STALE ─step→ ✗ missing-zero-grad
 *   ACCUM ─zero→ DISCARDED ─step→ ✗ zero-grad-discards-gradients (the step applies nothing)
 *   ACCUM ─end of an iteration that skipped the step→ CARRIED ─step in that loop→ ✗ missing-zero-grad
 *     (a skipped batch's gradients leak into the next step; not when the skip is a counter phase,
 *     the step counter-guarded or the loss scaled: that is accumulation)
 *
 * plus PENDING(b) tokens: "backward b's gradients are still unapplied here". A token that meets a
 * step marks b as the optimizer's; a token that meets a zero first records a candidate. A zero
 * that is a candidate for a backward that is the optimizer's defeats accumulation — reported
 * only with evidence that accumulation was meant (a counter-guarded step or a 1/N-scaled loss);
 * without it, dropping the gradients of a skipped step is deliberate.
 *
 * Atoms are `base|context`: the base is the typestate with its sites (`A:12`), the context what
 * the path knows about its guards (guards.ts). Calls to functions of the same file use summaries
 * that don't depend on the caller: the callee is analysed once per abstract atom (`A:#0`, sites
 * as placeholders) and per binding of the parameters it actually uses, and its effects are
 * instantiated at each call. Recursion is a fixpoint over those summaries. Every analysis runs
 * under a work budget; a root past it is reported as not analysed, never a hang.
 */
import type { FunctionGraph, GraphEvent, ProgramGraph, Site } from "./cfg";
import { GuardLiveness, Guards, liveGuards } from "./guards";
import { looksLikeOptimizerName, OptimizerOracle, withinModule } from "./optimizers";

export type RawKind = "stale-step" | "discarded-before-step" | "accumulation-defeated";

export interface RawFinding {
  kind: RawKind;
  /** Optimizer key in the root's namespace. */
  key: string;
  /** The module (part of what the optimizer owns) the finding is about; null: all of it. */
  part: string | null;
  root: number;
  stepSite: number;
  /** missing-zero-grad: the last backward on the offending path (-1: before the call reaching the step). */
  backwardSite: number;
  /** zero-grad-discards-gradients: the offending zero. */
  zeroSite: number;
  /** missing-zero-grad: a batch whose step was skipped left its gradients for this step (backwardSite ran in it). */
  leak?: boolean;
  /** accumulation-defeated: the zero runs in a loop around the backward that the step comes after (it keeps only the last run's gradients). */
  innerLoop?: boolean;
  /** missing-zero-grad: the step that already applied the gradients the stale step re-applies. */
  previousStep?: number;
  /** Call sites from the root down to the function holding the step (for loop and name lookup). */
  context: number[];
}

/** A function the analysis gave up on, and why (shown as an information entry). */
export interface Notice {
  fn: number;
  reason: string;
}

export interface AnalysisResult {
  findings: RawFinding[];
  notices: Notice[];
  /** Atom visits spent: a deterministic measure of cost (budgets for re-analysis use it). */
  work: number;
}

/** Atoms of one kind at one block before widening (only machine-written files get there). */
const ATOM_CAP = 32;
/** Atom kinds L C A K S D P, for per-block counters. */
const KIND_SLOTS = 8;
function kindSlot(atom: string): number {
  switch (atom[0]) {
    case "L": return 0;
    case "C": return 1;
    case "A": return 2;
    case "K": return 3;
    case "S": return 4;
    case "D": return 5;
    case "P": return 6;
    default: return 7; // X
  }
}
/** Nested summaries being computed at once (a call chain deeper than this is not followed). */
const MAX_CALL_DEPTH = 150;
/** Recomputations of one summary while a recursion settles (values only grow; this is a backstop). */
const MAX_RECOMPUTE = 40;
/** Re-runs of a root's flow after summaries it read grew. */
const MAX_ROOT_ROUNDS = 20;
/** Atom visits per root analysis, and for the whole file. */
const ROOT_BUDGET = 400_000;
const FILE_BUDGET = 4_000_000;
/** Functions at least this large share one prefix flow across the optimizers they step. */
const PREFIX_SHORTCUT_BLOCKS = 200;
/** Receiver texts longer than this many segments are not followed through calls. */
const MAX_SEGMENTS = 8;

type EffectKind = "stale" | "discard" | "reached" | "candidate";
/** A site before the call that produced a summary (reported at the step instead). */
const OUTSIDE = "^";

/** Call sites from the outside in, as a shared linked list (summaries reuse their tails). */
interface Context {
  site: number;
  next: Context | null;
}

function contextArray(c: Context | null): number[] {
  const out: number[] = [];
  for (let cur = c; cur !== null; cur = cur.next) out.push(cur.site);
  return out;
}

/** Something a flow found, with sites as strings (placeholders `#0`/`#1` inside summaries). */
interface Effect {
  kind: EffectKind;
  /** Stale and discard effects: the place the finding is reported (see effectKey). */
  place?: string;
  step: number;
  b: string;
  z: string;
  p: string;
  context: Context | null;
  guarded: boolean;
  /** A stale effect from a skipped batch's gradients (CARRIED), not from re-applied ones. */
  leak?: boolean;
  /** A reached effect whose step is in the backward's own function, outside its innermost loop (a loop can relate them). */
  local?: boolean;
}

/**
 * Effects keyed by what reporting distinguishes: a stale step by where it is reported (its
 * backward in the step's function, else the step; with the optimizer as written), a discard by
 * its zero (and the optimizer as written), a candidate by (backward, zero), a reached step by (backward, step) when
 * a loop can relate them (else one per backward, a counter-guarded step preferred). The first path's details are kept.
 */
function effectKey(e: Effect): string {
  return e.kind === "stale" ? `s|${e.place ?? `${e.step}|${e.b}`}` : e.kind === "discard" ? `d|${e.place ?? `${e.z}|${e.step}`}` : e.kind === "candidate" ? `c|${e.b}|${e.z}` : `r|${e.b}|${e.local ? e.step : "x"}`;
}

class EffectSink {
  readonly byKey = new Map<string, Effect>();
  /**
   * Callee summaries whose caller-independent effects belong here, with the call site: kept by
   * reference and collected once at the root, instead of copied into every caller.
   */
  readonly calls = new Map<Summary, number>();
  /**
   * Per-flow memos (a sink belongs to one flow): a call's resolved binding, and the calls whose
   * site-free results were already returned for a template and context — the same atoms would
   * only be pushed again.
   */
  readonly bindings = new Map<GraphEvent, CallBinding | null>();
  readonly groundDone = new Set<string>();
  add(e: Effect): void {
    const key = effectKey(e);
    const had = this.byKey.get(key);
    if (had === undefined) this.byKey.set(key, e);
    else if (e.guarded && !had.guarded) this.byKey.set(key, e);
  }
}

interface KeyState {
  /** Summary sinks already collected (their effects are the same from any root). */
  seen: Set<EffectSink>;
  /** Backward sites whose pending gradients reached a step, with each step they reached. */
  reached: Map<string, Effect[]>;
  emitted: Set<string>;
  candidates: { key: string; part: string | null; root: number; e: Effect }[];
}

/** Guards live at each block of a function. */
interface Liveness {
  guards: GuardLiveness;
}

/** The part of a root that a flow for one optimizer visits (see rootRegion). */
interface Region {
  reach: Uint8Array;
  live: Uint8Array;
  seeds: [number, string][];
}

interface CallBinding {
  callee: number;
  args: (string | null)[];
  thisArg: string | null;
  key: string;
}

interface Summary {
  out: string[];
  /** The distinct typestates of `out` (the callee's path contexts don't leave it). */
  outBases: string[];
  /** Effects that mention the input atom's sites (`#0`): instantiated at each call. */
  templated: Effect[];
  /** Everything else the callee found, for collection at the root. */
  sink: EffectSink;
  /** Incremented whenever `out` or `templated` grows. */
  version: number;
  /** Summaries that read this one, with the version they read: stale readers are recomputed. */
  readers: Map<Summary, number>;
  recomputed: number;
  active: boolean;
  /** Taken from a base analysis (see Incremental): settled, never recomputed or read-tracked here. */
  shared?: boolean;
  env: Env;
  template: string;
}

interface Env {
  fn: FunctionGraph;
  /** Maps a receiver text of `fn` into the root's namespace (null: not a simple name there). */
  resolve(text: string): string | null;
}

class BudgetExceeded extends Error {}

/** Substitutes `$i` / `$this` prefixes by the call site's (already resolved) arguments. */
function binder(args: (string | null)[], thisArg: string | null): (text: string) => string | null {
  return (text) => {
    if (text[0] !== "$") return text;
    const dot = text.indexOf(".");
    const head = dot < 0 ? text : text.slice(0, dot);
    const rest = dot < 0 ? "" : text.slice(dot);
    const bound = head === "$this" ? thisArg : args[Number(head.slice(1))] ?? null;
    return bound === null ? null : bound + rest;
  };
}

function headOf(text: string | null): string | null {
  if (text === null || text[0] !== "$") return null;
  const dot = text.search(/[.[]/);
  return dot < 0 ? text : text.slice(0, dot);
}

function segments(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text[i] === ".") n++;
  return n;
}

function splitAtom(atom: string): [string, string] {
  const bar = atom.indexOf("|");
  return bar < 0 ? [atom, ""] : [atom.slice(0, bar), atom.slice(bar + 1)];
}

/**
 * What distinguishes an atom from others at the same block: sites that only name a witness in a
 * report are left out (the backward of DISCARDED, the previous step of CONSUMED and STALE), so
 * paths that differ only in them are one. Reports key on the rest. ACCUM's and CARRIED's backward
 * matters only through what a skipped iteration does with it: `signature` (see backwardSignature).
 */
function identityOf(atom: string, signature: (b: string) => string): string {
  switch (atom[0]) {
    case "K": {
      const bar = atom.indexOf("|");
      return bar < 0 ? atom[0] : atom[0] + atom.slice(bar);
    }
    case "A": {
      const bar = atom.indexOf("|");
      const b = bar < 0 ? atom.slice(2) : atom.slice(2, bar);
      return `A:${signature(b)}${bar < 0 ? "" : atom.slice(bar)}`;
    }
    case "X": {
      const second = atom.indexOf(":", 2);
      return `X:${signature(atom.slice(2, second))}${atom.slice(second)}`;
    }
    case "S": case "D": {
      const second = atom.indexOf(":", 2);
      if (second < 0) return atom;
      const bar = atom.indexOf("|", second);
      return atom.slice(0, second) + (bar < 0 ? "" : atom.slice(bar));
    }
    default:
      return atom;
  }
}

/** Gradient state starting over (a new optimizer or new parameters): tokens and the entry lane stay. */
function restarted(base: string): string[] {
  return base[0] === "L" || base[0] === "P" ? [base] : ["C"];
}

function joinAtom(base: string, ctx: string): string {
  return ctx === "" ? base : `${base}|${ctx}`;
}

/** `S:12:7` → template `S:#0:#1`, payload [12, 7]. */
function abstractBase(base: string): [string, string[]] {
  if (base.length === 1) return [base, []];
  const parts = base.split(":");
  return [parts.map((p, i) => (i === 0 ? p : `#${i - 1}`)).join(":"), parts.slice(1)];
}

function instantiate(text: string, payload: readonly string[]): string {
  return text.indexOf("#") < 0 ? text : text.replace(/#(\d)/g, (_m, i: string) => payload[Number(i)]);
}

export class TypestateAnalysis {
  private readonly oracle: OptimizerOracle;
  private readonly guards: Guards;
  private readonly findings: RawFinding[] = [];
  private readonly notices: Notice[] = [];
  /** Parameter heads (`$0`, `$this`) each function's gradient events depend on, callees included. */
  private readonly uses: Set<string>[];
  /** Optimizer keys each function steps, in its own namespace, callees included. */
  private readonly ownStepKeys: Set<string>[];
  /** Functions that zero gradients (themselves or through calls). */
  private readonly zeroes: boolean[];
  /** Per loop: the step events inside it (its own function, nested loops included). */
  private readonly loopSteps: Extract<GraphEvent, { kind: "step" }>[][];
  readonly caches = new Map<string, Map<string, Summary>>();
  private cache = new Map<string, Summary>();
  private readonly stack: Summary[] = [];
  /** Summaries whose reads went stale, to recompute before a root's result is final. */
  private readonly dirty = new Set<Summary>();
  /** Summaries the current root flow read, with the versions it read. */
  private rootReads = new Map<Summary, number>();
  private key = "";
  private manual = false;
  private part: string | null = null;
  private rootTag = "";
  private rootWork = 0;
  private fileWork = 0;
  private deepCallNoticed = false;
  private currentRoot = 0;
  /** The root flow's gate on PENDING tokens (summaries always start them: their caller may need them). */
  private spawnsPending: ((backward: number) => boolean) | null = null;
  /** A flow that ignores steps, zeroes and calls: a root's states before the optimizer matters. */
  private agnostic = false;
  private readonly prefixOuts = new Map<number, Map<number, string[]>>();
  /** Per optimizer key and part, what reporting has seen across roots. */
  private readonly keyStates = new Map<string, KeyState>();

  /** Roots this analysis runs (an incremental one: those that can reach a changed function). */
  readonly roots: number[];

  /**
   * `keep(key)`: analyse only these optimizer keys (re-checking a fix touches one optimizer).
   * `incremental`: the same file with some functions changed (a fix's patch): summaries of the
   * base analysis that can't reach a changed function are reused, and only roots that can are run.
   */
  /** Work allowed for the whole run (an incremental check of a fix gets what its budget has left). */
  private readonly fileBudget: number;

  constructor(private readonly program: ProgramGraph, private readonly keep: (key: string) => boolean = () => true, incremental?: Incremental) {
    this.fileBudget = incremental?.workLimit ?? FILE_BUDGET;
    this.oracle = new OptimizerOracle(program.facts);
    this.guards = new Guards(program.guardVars);
    this.uses = this.computeUses();
    this.ownStepKeys = this.computeStepKeys();
    this.zeroes = this.computeZeroes();
    this.loopSteps = this.computeLoopSteps();
    this.roots = program.roots;
    if (incremental !== undefined) {
      this.live = incremental.base.live;
      const affected = reachingChanged(program, incremental.changed);
      this.roots = program.roots.filter((r) => affected.has(r));
      for (const [cacheKey, cache] of incremental.base.caches) {
        const kept = new Map<string, Summary>();
        for (const [k, summary] of cache) if (!affected.has(summary.env.fn.id) && !summary.active) kept.set(k, { ...summary, shared: true });
        this.caches.set(cacheKey, kept);
      }
    }
  }

  run(): AnalysisResult {
    for (const root of this.roots) {
      const fn = this.program.functions[root];
      // `$i` are this root's own parameters: optimizers if declared so or named like one.
      const params = fn.params.map((name, i) => (fn.optimizerParams.includes(i) || looksLikeOptimizerName(name) ? `$${i}` : null));
      this.oracle.rootParams = new Set(params.filter((p): p is string => p !== null));
      // Summaries depend on the root only through which of its parameters are optimizers.
      this.rootTag = `p:${[...this.oracle.rootParams].sort().join(",")}`;
      this.currentRoot = root;
      const keys = [...this.ownStepKeys[root]].filter((k) => this.isSteppable(k) && this.keep(k.startsWith("manual:") ? k.slice(7) : k));
      for (const key of keys) {
        for (const part of this.oracle.partsOf(key)) {
          if (this.fileWork > this.fileBudget) {
            this.notice(root, `not analysed: the file's analysis budget (${this.fileBudget.toLocaleString("en")} steps) is used up`);
            break;
          }
          this.analyseRoot(root, key, part);
        }
      }
    }
    for (const state of this.keyStates.values()) this.reportCandidates(state);
    // An optimizer whose steps re-apply applied gradients misses its zero already: a skipped batch
    // leaking into its steps is the same missing zero (the fix for one is the fix for both).
    const stale = new Set(this.findings.filter((f) => f.kind === "stale-step" && !f.leak).map((f) => f.key));
    const findings = this.findings.filter((f) => !f.leak || !stale.has(f.key));
    return { findings, notices: this.notices, work: this.fileWork };
  }

  private isSteppable(key: string): boolean {
    return key.startsWith("manual:") || this.oracle.isOptimizer(key);
  }

  private notice(fn: number, reason: string): void {
    if (!this.notices.some((n) => n.fn === fn && n.reason === reason)) this.notices.push({ fn, reason });
  }

  private analyseRoot(root: number, rawKey: string, part: string | null): void {
    this.manual = rawKey.startsWith("manual:");
    this.key = this.manual ? rawKey.slice(7) : rawKey;
    this.part = part;
    const cacheKey = `${rawKey}\u0000${part ?? ""}`;
    let cache = this.caches.get(cacheKey);
    if (cache === undefined) this.caches.set(cacheKey, (cache = new Map()));
    this.cache = cache;
    this.rootWork = 0;
    let sink = new EffectSink();
    try {
      // Recursion settles by recomputing the summaries whose reads went stale (a worklist), and
      // the root's flow once more whenever a summary it read has grown since.
      const region = this.rootRegion(root);
      for (let round = 0; round < MAX_ROOT_ROUNDS; round++) {
        this.rootReads = new Map();
        sink = new EffectSink();
        this.flow({ fn: this.program.functions[root], resolve: (t) => t }, ["L", "C"], sink, region);
        this.settle();
        if (![...this.rootReads].some(([s, v]) => s.version !== v)) break;
      }
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      // Summaries in an unfinished state are dropped; settled ones stay valid.
      for (const [k, s] of cache) if (s.active || this.dirty.has(s)) cache.delete(k);
      this.stack.length = 0;
      this.dirty.clear();
      this.notice(root, e.message);
      return;
    }
    let state = this.keyStates.get(cacheKey);
    if (state === undefined) this.keyStates.set(cacheKey, (state = { seen: new Set(), reached: new Map(), emitted: new Set(), candidates: [] }));
    this.report(root, collect(sink, state.seen), state);
  }

  /**
   * Where a root's flow for the current optimizer can matter. Atoms only act at its steps,
   * its zeroes and calls: blocks that can't reach one are skipped, and blocks no such event can
   * reach (the prefix) hold the same states for every optimizer — computed once per root by a
   * flow that ignores them, and fed in where the prefix ends. PENDING tokens start only where
   * they could show a defeated accumulation: in a loop with a zero that may clear this optimizer
   * (a zero elsewhere in the function never shares the backward's loop), or anywhere when the root
   * calls functions of the file.
   */
  private rootRegion(root: number): Region {
    const fn = this.program.functions[root];
    const { sites, loops } = this.program;
    const identity = (t: string) => t;
    const relevant = new Uint8Array(fn.blocks.length);
    const marked = new Set<number>();
    const outermost = (loop: number) => {
      while (loop >= 0 && loops[loop].parent >= 0) loop = loops[loop].parent;
      return loop;
    };
    let calls = false;
    for (const block of fn.blocks) {
      for (const ev of block.events) {
        let hit = false;
        if (ev.kind === "step") hit = ev.key === this.key || this.coversPart(ev.key, ev.manual);
        else if (ev.kind === "fresh") hit = ev.key === this.key;
        else if (ev.kind === "rebind") hit = this.part !== null && withinModule(this.part, ev.name);
        else if (ev.kind === "zero") {
          hit = this.oracle.clears(ev.target, identity, this.key, this.part, this.manual) !== "no";
          if (hit && sites[ev.site].loop >= 0) marked.add(outermost(sites[ev.site].loop));
        } else if (ev.kind === "call" && this.calleeOf(ev, identity) !== null) hit = calls = true;
        if (hit) relevant[block.id] = 1;
      }
    }
    this.spawnsPending = calls ? null : (b) => sites[b].loop >= 0 && marked.has(outermost(sites[b].loop));
    const preds = this.predecessors(fn);
    const closure = (start: Uint8Array, next: (b: number) => readonly number[]) => {
      const out = Uint8Array.from(start);
      const stack: number[] = [];
      for (let b = 0; b < out.length; b++) if (out[b]) stack.push(b);
      while (stack.length > 0) for (const n of next(stack.pop()!)) if (!out[n]) { out[n] = 1; stack.push(n); }
      return out;
    };
    const reach = closure(relevant, (b) => preds[b]);
    // With calls, PENDING tokens from anywhere may meet a callee's zero: no shortcut for the prefix.
    // Nor in a small function, where the shared prefix flow would cost more than it saves.
    if (calls || fn.blocks.length < PREFIX_SHORTCUT_BLOCKS) return { reach, live: new Uint8Array(fn.blocks.length).fill(1), seeds: [] };
    const live = closure(relevant, (b) => [...fn.blocks[b].succ, ...fn.blocks[b].exc]);
    let prefix = this.prefixOuts.get(root);
    if (prefix === undefined) {
      prefix = new Map();
      this.agnostic = true;
      try {
        this.flow({ fn, resolve: identity }, ["L", "C"], new EffectSink(), null, prefix);
      } finally {
        this.agnostic = false;
      }
      this.prefixOuts.set(root, prefix);
    }
    const seeds: [number, string][] = [];
    for (const block of fn.blocks) {
      if (live[block.id]) continue;
      for (const t of block.succ) if (live[t]) for (const a of prefix.get(block.id) ?? []) seeds.push([t, a]);
      for (const t of block.exc) if (live[t]) for (const a of prefix.get(block.id) ?? []) if (a[0] !== "P") seeds.push([t, a]);
    }
    return { reach, live, seeds };
  }

  /**
   * Findings from one root's effects. Effects of callee summaries are the same from every root:
   * they are collected once per optimizer (`state.seen`) and each finding is emitted once. A zero
   * that met pending gradients is judged after every root: the backward's gradients may reach a
   * step through another root's paths.
   */
  private readonly preds = new Map<number, number[][]>();

  private predecessors(fn: FunctionGraph): number[][] {
    let preds = this.preds.get(fn.id);
    if (preds === undefined) {
      preds = fn.blocks.map(() => []);
      for (const block of fn.blocks) {
        for (const t of block.succ) preds[t].push(block.id);
        for (const t of block.exc) preds[t].push(block.id);
      }
      this.preds.set(fn.id, preds);
    }
    return preds;
  }

  private report(root: number, sink: EffectSink, state: KeyState): void {
    const base = { key: this.key, part: this.part, root };
    for (const e of sink.byKey.values()) {
      if (e.kind === "reached") {
        const had = state.reached.get(e.b);
        if (had === undefined) state.reached.set(e.b, [e]);
        else if (!had.some((h) => h.step === e.step)) had.push(e);
        continue;
      }
      if (e.kind === "candidate") {
        state.candidates.push({ ...base, e });
        continue;
      }
      const id = effectKey(e);
      if (state.emitted.has(id)) continue;
      state.emitted.add(id);
      if (e.kind === "stale") {
        this.findings.push({
          ...base, kind: "stale-step", stepSite: e.step, backwardSite: e.b === OUTSIDE ? -1 : Number(e.b), zeroSite: -1,
          previousStep: e.p === OUTSIDE ? undefined : Number(e.p), context: contextArray(e.context), ...(e.leak ? { leak: true } : {}),
        });
      } else {
        this.findings.push({ ...base, kind: "discarded-before-step", stepSite: e.step, backwardSite: Number(e.b), zeroSite: Number(e.z), context: contextArray(e.context) });
      }
    }
  }

  private reportCandidates(state: KeyState): void {
    const { sites } = this.program;
    const reportedZero = new Set<string>();
    for (const { e, ...base } of state.candidates) {
      const steps = state.reached.get(e.b);
      if (steps === undefined || reportedZero.has(e.z) || !this.shareLoop(Number(e.b), Number(e.z))) continue;
      // Evidence that the gradients were meant to accumulate (else a skipped step is a choice): a
      // counter-guarded step, a scaled loss, or a step after a loop that repeats the backward and
      // the zero — it applies what the whole loop computed, and the zero keeps only the last run.
      const inner = steps.find((st) => this.loopAroundBoth(Number(e.b), Number(e.z), st.step));
      const step = inner ?? steps.find((st) => st.guarded) ?? (sites[Number(e.b)].scaledLoss ? steps[0] : undefined);
      if (step === undefined) continue;
      reportedZero.add(e.z);
      this.findings.push({
        ...base, kind: "accumulation-defeated", stepSite: step.step, backwardSite: Number(e.b), zeroSite: Number(e.z), context: contextArray(e.context),
        ...(inner !== undefined ? { innerLoop: true } : {}),
      });
    }
  }

  /** A loop of one function around backward b and zero z but not around step s. */
  private loopAroundBoth(b: number, z: number, s: number): boolean {
    const { sites, loops } = this.program;
    if (sites[b].fn !== sites[z].fn || sites[z].fn !== sites[s].fn) return false;
    const aroundStep = new Set<number>();
    for (let l = sites[s].loop; l >= 0; l = loops[l].parent) aroundStep.add(l);
    for (let l = sites[z].loop; l >= 0; l = loops[l].parent) if (!aroundStep.has(l) && this.inLoop(b, l)) return true;
    return false;
  }

  /**
   * A zero that discards accumulating gradients runs in the loop that accumulates them; gradients
   * left over after a loop and dropped by a later one's zero are an incomplete last window, not
   * accumulation defeated. (Across functions the loops can't be compared: kept.)
   */
  private shareLoop(backward: number, zero: number): boolean {
    const { sites, loops } = this.program;
    if (sites[backward].fn !== sites[zero].fn) return true;
    const around = new Set<number>();
    for (let l = sites[backward].loop; l >= 0; l = loops[l].parent) around.add(l);
    for (let l = sites[zero].loop; l >= 0; l = loops[l].parent) if (around.has(l)) return true;
    return false;
  }

  // ---- per-function facts computed once ---------------------------------------------------------

  private calleeOf(ev: Extract<GraphEvent, { kind: "call" }>, resolve: (t: string) => string | null): number | null {
    if (ev.callee !== null) return ev.callee;
    const bound = ev.calleeParam === null ? null : resolve(ev.calleeParam);
    return bound !== null && bound.startsWith("fn:") ? Number(bound.slice(3)) : null;
  }

  private computeUses(): Set<string>[] {
    const fns = this.program.functions;
    const uses = fns.map(() => new Set<string>());
    const add = (set: Set<string>, text: string | null) => {
      const h = headOf(text);
      if (h !== null) set.add(h);
    };
    for (const fn of fns) {
      for (const block of fn.blocks) {
        for (const ev of block.events) {
          if (ev.kind === "step") add(uses[fn.id], ev.key);
          else if (ev.kind === "zero" && ev.target.type !== "all") {
            for (const k of ev.target.type === "tensor" ? [ev.target.key] : ev.target.keys) add(uses[fn.id], k);
          } else if (ev.kind === "call" && ev.callee === null) {
            add(uses[fn.id], ev.calleeParam);
            for (const a of ev.args) add(uses[fn.id], a);
            add(uses[fn.id], ev.thisArg);
          }
        }
      }
    }
    for (let changed = true, round = 0; changed && round < 50; round++) {
      changed = false;
      for (const fn of fns) {
        const set = uses[fn.id];
        const before = set.size;
        for (const block of fn.blocks) {
          for (const ev of block.events) {
            if (ev.kind !== "call" || ev.callee === null) continue;
            for (const h of uses[ev.callee]) add(set, h === "$this" ? ev.thisArg : ev.args[Number(h.slice(1))] ?? null);
          }
        }
        if (set.size !== before) changed = true;
      }
    }
    return uses;
  }

  private computeLoopSteps(): Extract<GraphEvent, { kind: "step" }>[][] {
    const { loops, sites, functions } = this.program;
    const out = loops.map((): Extract<GraphEvent, { kind: "step" }>[] => []);
    for (const fn of functions) for (const b of fn.blocks) for (const ev of b.events) {
      if (ev.kind !== "step") continue;
      for (let l = sites[ev.site].loop; l >= 0; l = loops[l].parent) out[l].push(ev);
    }
    return out;
  }

  /**
   * What decides backward b's fate when an iteration skips the step, in one flow: its innermost
   * loop (hence the loops around it), whether its loss is scaled and, for each loop around it,
   * whether that loop steps this optimizer after it.
   */
  private backwardSignature(b: string, env: Env): string {
    if (b[0] === "#") return b;
    const { sites, loops } = this.program;
    const back = sites[Number(b)];
    let bits = "";
    for (let l = back.loop; l >= 0; l = loops[l].parent) bits += this.stepsAfter(l, back, env) ? "1" : "0";
    return `${back.loop}.${back.scaledLoss ? 1 : 0}.${bits}`;
  }

  /** Whether `loop` steps this optimizer somewhere after backward `back` in the source. */
  private stepsAfter(loop: number, back: Site, env: Env): boolean {
    const { sites } = this.program;
    return this.loopSteps[loop].some((st) => env.resolve(st.key) === this.key && st.manual === this.manual && sites[st.site].range[0] > back.range[0]);
  }

  private inLoop(site: number, loop: number): boolean {
    const { loops, sites } = this.program;
    for (let l = sites[site].loop; l >= 0; l = loops[l].parent) if (l === loop) return true;
    return false;
  }

  /**
   * An iteration of `loop` ends with backward b's gradients unapplied. They carry into the next
   * iteration's step when the loop steps this optimizer after b: that iteration skipped its step.
   */
  private onIterate(ev: Extract<GraphEvent, { kind: "iterate" }>, base: string, env: Env): string[] {
    const b = base.slice(2);
    if (ev.counter || b[0] === "#") return [base];
    const back = this.program.sites[Number(b)];
    return this.inLoop(back.id, ev.loop) && this.stepsAfter(ev.loop, back, env) ? [`X:${b}:${ev.loop}`] : [base];
  }

  private computeZeroes(): boolean[] {
    const fns = this.program.functions;
    const out = fns.map((fn) => fn.blocks.some((b) => b.events.some((ev) => ev.kind === "zero")));
    for (let changed = true; changed; ) {
      changed = false;
      for (const fn of fns) {
        if (out[fn.id]) continue;
        const calls = fn.blocks.some((b) => b.events.some((ev) => ev.kind === "call" && (ev.callee === null || out[ev.callee] || ev.args.some((a) => a !== null && a.startsWith("fn:") && out[Number(a.slice(3))]))));
        if (calls) changed = out[fn.id] = true;
      }
    }
    return out;
  }

  /** Keys stepped by each function (or its callees), in its own namespace; manual keys as `manual:T`. */
  private computeStepKeys(): Set<string>[] {
    const fns = this.program.functions;
    const keys = fns.map(() => new Set<string>());
    // Calls of a parameter (`f(o)` in `function invokeWith(f, o)`): the callback passed there runs
    // with these arguments, so its keys, bound twice, are the keys of whoever passes it.
    const dynamicCalls = fns.map((fn) => fn.blocks.flatMap((b) => b.events.filter((ev): ev is Extract<GraphEvent, { kind: "call" }> => ev.kind === "call" && ev.callee === null && ev.calleeParam !== null)));
    for (const fn of fns) {
      for (const block of fn.blocks) for (const ev of block.events) {
        if (ev.kind === "step") keys[fn.id].add(ev.manual ? `manual:${ev.key}` : ev.key);
      }
    }
    for (let changed = true, round = 0; changed && round < 50; round++) {
      changed = false;
      for (const fn of fns) {
        const set = keys[fn.id];
        const before = set.size;
        for (const block of fn.blocks) for (const ev of block.events) {
          if (ev.kind !== "call" || ev.opaque) continue;
          const targets: number[] = [];
          if (ev.callee !== null) targets.push(ev.callee);
          // A callback passed in runs wherever the callee calls it: its own keys are the caller's.
          for (const a of ev.args) if (a !== null && a.startsWith("fn:")) targets.push(Number(a.slice(3)));
          const add = (k: string, bind: (x: string) => string | null) => {
            const manual = k.startsWith("manual:");
            const bound = bind(manual ? k.slice(7) : k);
            if (bound === null || segments(bound) > MAX_SEGMENTS) return;
            set.add(manual ? `manual:${bound}` : bound);
          };
          for (const t of targets) {
            const bind = t === ev.callee ? binder(ev.args, ev.thisArg) : (x: string) => (x[0] === "$" ? null : x);
            for (const k of keys[t]) add(k, bind);
          }
          if (ev.callee !== null) {
            const outer = binder(ev.args, ev.thisArg);
            for (const d of dynamicCalls[ev.callee]) {
              const passed = outer(d.calleeParam!);
              if (passed === null || !passed.startsWith("fn:")) continue;
              const inner = binder(d.args, d.thisArg);
              for (const k of keys[Number(passed.slice(3))]) add(k, (x) => { const once = inner(x); return once === null ? null : outer(once); });
            }
          }
        }
        if (set.size !== before) changed = true;
      }
    }
    return keys;
  }

  // ---- the flow -----------------------------------------------------------------------------------

  /** Propagates atoms from the entry of env.fn; returns the atoms that reach its normal exit. */
  private flow(env: Env, input: string[], sink: EffectSink, region: Region | null = null, outs?: Map<number, string[]>): string[] {
    const { fn } = env;
    const n = fn.blocks.length;
    // Per block: atoms by identity (what later transfers and reports distinguish), first one kept.
    const seen: (Map<string, string> | undefined)[] = new Array(n);
    // Per block and atom kind: how many distinct atoms, and the first one (the widening target).
    const counts = new Int32Array(n * KIND_SLOTS);
    const firsts: string[] = new Array(n * KIND_SLOTS);
    const workBlocks: number[] = [], workAtoms: string[] = [];
    const signatures = new Map<string, string>();
    const signature = (b: string): string => {
      let sig = signatures.get(b);
      if (sig === undefined) signatures.set(b, (sig = this.backwardSignature(b, env)));
      return sig;
    };
    const push = (block: number, raw: string) => {
      if (region !== null && !region.reach[block]) return;
      let set = seen[block];
      if (set === undefined) seen[block] = set = new Map();
      let id = identityOf(raw, signature);
      if (set.has(id)) return;
      let atom = raw;
      if (raw.length > 1) {
        const slot = block * KIND_SLOTS + kindSlot(raw);
        if (counts[slot]++ === 0) firsts[slot] = splitAtom(raw)[0];
        else if (counts[slot] > ATOM_CAP) {
          // Past the cap keep the state but reuse the first site seen and forget the path's
          // guards (more paths, never fewer), and drop extra PENDING tokens (they can only
          // hide accumulation findings, never add one).
          if (raw[0] === "P") return;
          atom = firsts[slot];
          id = identityOf(atom, signature);
          if (set.has(id)) return;
        }
      }
      set.set(id, atom);
      workBlocks.push(block);
      workAtoms.push(atom);
    };
    if (region === null || region.live[fn.entry]) for (const a of input) push(fn.entry, a);
    if (region !== null) for (const [b, a] of region.seeds) push(b, a);
    while (workBlocks.length > 0) {
      if (++this.rootWork > ROOT_BUDGET || ++this.fileWork > this.fileBudget) {
        throw new BudgetExceeded(`not analysed: more than ${ROOT_BUDGET.toLocaleString("en")} analysis steps (too many paths through its calls and branches)`);
      }
      const blockId = workBlocks.pop()!;
      const atom = workAtoms.pop()!;
      const block = fn.blocks[blockId];
      let atoms = [atom];
      for (const ev of block.events) {
        const next: string[] = [];
        for (const a of atoms) for (const r of this.transfer(ev, a, env, sink)) next.push(r);
        atoms = next;
        if (atoms.length === 0) break;
      }
      if (outs !== undefined) {
        const had = outs.get(blockId);
        if (had === undefined) outs.set(blockId, [...atoms]);
        else had.push(...atoms);
      }
      for (const s of block.succ) for (const a of atoms) push(s, a);
      // Exceptional edges keep the typestate but not PENDING tokens: gradients abandoned by an
      // exception are not an accumulation the code meant to do.
      for (const s of block.exc) for (const a of atoms) if (a[0] !== "P") push(s, a);
    }
    return [...(seen[fn.exit]?.values() ?? [])];
  }

  /** Per function id (a fix's patch adds or removes zeroes only: liveness carries over). */
  private live = new Map<number, Liveness>();

  private liveness(fn: FunctionGraph): Liveness {
    let l = this.live.get(fn.id);
    if (l === undefined) this.live.set(fn.id, (l = { guards: liveGuards(fn) }));
    return l;
  }

  private transfer(ev: GraphEvent, atom: string, env: Env, sink: EffectSink): string[] {
    switch (ev.kind) {
      case "call":
        return this.agnostic ? [atom] : this.onCall(ev, atom, env, sink);
      case "assume": {
        const [base, ctx] = splitAtom(atom);
        return this.guards.assume(ctx, ev, this.liveness(env.fn).guards.deadAfter(ev)).map((c) => joinAtom(base, c));
      }
      case "write": {
        const [base, ctx] = splitAtom(atom);
        return [joinAtom(base, this.guards.write(ctx, ev))];
      }
      case "iterate": {
        if (this.agnostic || atom[0] !== "A") return [atom];
        const [base, ctx] = splitAtom(atom);
        return this.onIterate(ev, base, env).map((b) => joinAtom(b, ctx));
      }
      default: {
        const [base, ctx] = splitAtom(atom);
        return this.transferBase(ev, base, env, sink).map((b) => joinAtom(b, ctx));
      }
    }
  }

  private transferBase(ev: GraphEvent, base: string, env: Env, sink: EffectSink): string[] {
    switch (ev.kind) {
      case "backward":
        return this.onBackward(ev.site, base);
      case "step": {
        if (this.agnostic) return [base];
        const k = env.resolve(ev.key);
        if (k === this.key) return this.onStep(ev.site, base, sink);
        // Gradients live on parameters: another optimizer stepping this part applies them too.
        return k !== null && this.coversPart(k, ev.manual) ? this.onOtherStep(ev.site, base) : [base];
      }
      case "fresh": {
        if (this.agnostic || env.resolve(ev.key) !== this.key) return [base];
        // Over known parameters the new optimizer inherits their gradients (the state is theirs);
        // over unknown ones it is taken to start clean.
        return this.part !== null ? [base] : restarted(base);
      }
      case "rebind": {
        if (this.agnostic || this.part === null) return [base];
        // New parameters for this part: nothing accumulated, applied or discarded on them yet.
        const name = env.resolve(ev.name);
        return name !== null && withinModule(this.part, name) ? restarted(base) : [base];
      }
      case "zero": {
        if (this.agnostic) return [base];
        const clears = this.oracle.clears(ev.target, env.resolve, this.key, this.part, this.manual);
        if (clears === "no") return [base];
        return clears === "yes" && !ev.uncertain ? this.onZero(ev.site, base, sink) : this.onUncertainZero(base);
      }
      default:
        return [base];
    }
  }

  private onBackward(b: number, base: string): string[] {
    switch (base[0]) {
      case "L": return this.stack.length > 0 || this.spawnsPending === null || this.spawnsPending(b) ? [base, `P:${b}`] : [base];
      case "C": case "A": case "D": return [`A:${b}`];
      case "K": return [`S:${b}:${base.slice(2)}`];
      case "S": return [`S:${b}:${base.split(":")[2]}`];
      default: return [base]; // P, X (the skipped batch's gradients are still there)
    }
  }

  private onStep(step: number, base: string, sink: EffectSink): string[] {
    switch (base[0]) {
      case "A": return [`K:${step}`];
      case "K": return [`K:${step}`];
      case "S": {
        // Sites from before the call (placeholders) only anchor the report: the finding is at
        // this step either way. Dropping them keeps stale effects caller-independent.
        const [, b, previous] = base.split(":").map((x) => (x[0] === "#" ? OUTSIDE : x));
        const { sites } = this.program;
        const atBackward = b !== OUTSIDE && sites[Number(b)].fn === sites[step].fn;
        sink.add({ kind: "stale", place: atBackward ? `b${b}|${sites[step].text}` : `s${step}`, step, b, z: "", p: previous, context: null, guarded: sites[step].counterGuarded === true });
        return [`K:${step}`];
      }
      case "D": {
        const [, z, b] = base.split(":");
        // Placeholders are instantiated at the call: only a known zero has its place already.
        const place = z[0] === "#" ? undefined : `${z}|${this.program.sites[step].text}`;
        sink.add({ kind: "discard", place, step, b, z, p: "", context: null, guarded: this.program.sites[step].counterGuarded === true });
        return ["C"];
      }
      case "P": {
        const b = base.slice(2);
        // Kept per step only where a loop can relate them: the step in b's function, outside b's innermost loop.
        const back = b[0] === "#" ? null : this.program.sites[Number(b)];
        const local = back !== null && back.fn === this.program.sites[step].fn && back.loop >= 0 && !this.inLoop(step, back.loop);
        sink.add({ kind: "reached", step, b, z: "", p: "", context: null, guarded: this.program.sites[step].counterGuarded === true, local });
        return [];
      }
      case "X": {
        const [, b, loop] = base.split(":");
        const { sites } = this.program;
        const carried = b[0] !== "#" && loop[0] !== "#" && this.inLoop(step, Number(loop));
        if (carried && sites[step].counterGuarded !== true && sites[Number(b)].scaledLoss !== true) {
          // At the step: which batch was skipped differs path by path (the signature keeps them one).
          sink.add({ kind: "stale", place: `x${step}`, step, b, z: "", p: OUTSIDE, context: null, guarded: false, leak: true });
        }
        return [`K:${step}`];
      }
      default: return [base]; // L, C
    }
  }

  private coversPart(otherKey: string, manual: boolean): boolean {
    return this.part !== null && !manual && !this.manual && this.oracle.covers(otherKey, this.part);
  }

  /**
   * Another optimizer's step over this part: it applies the pending gradients (which this
   * optimizer's next step would apply again) and uses up pending tokens; its own findings are its own.
   */
  private onOtherStep(step: number, base: string): string[] {
    switch (base[0]) {
      case "A": case "X": case "S": return [`K:${step}`];
      case "D": return ["C"];
      case "P": return [];
      default: return [base]; // L, C, K
    }
  }

  private onZero(z: number, base: string, sink: EffectSink): string[] {
    switch (base[0]) {
      case "A": return [`D:${z}:${base.slice(2)}`];
      case "X": return [`D:${z}:${base.split(":")[1]}`];
      case "K": case "S": return ["C"];
      case "P":
        sink.add({ kind: "candidate", step: -1, b: base.slice(2), z: String(z), p: "", context: null, guarded: false });
        return [];
      default: return [base]; // L, C, D
    }
  }

  /**
   * A zero that may or may not clear this optimizer. Each rule takes the reading that can't
   * raise a false alarm: stale gradients count as cleared, pending ones as neither discarded
   * nor still pending.
   */
  private onUncertainZero(base: string): string[] {
    switch (base[0]) {
      case "K": case "S": return ["C"];
      case "P": return [];
      case "X": return [`A:${base.split(":")[1]}`];
      default: return [base]; // L, C, A, D
    }
  }

  // ---- calls --------------------------------------------------------------------------------------

  private onCall(ev: Extract<GraphEvent, { kind: "call" }>, atom: string, env: Env, sink: EffectSink): string[] {
    if (ev.opaque) {
      // Whether and when the callback runs is unknown: a zero in it may or may not have happened.
      if (ev.callee === null || !this.zeroes[ev.callee]) return [atom];
      const [base, ctx] = splitAtom(atom);
      return this.onUncertainZero(base).map((b) => joinAtom(b, ctx));
    }
    let binding = sink.bindings.get(ev);
    if (binding === undefined) {
      const callee = this.calleeOf(ev, env.resolve);
      if (callee === null) binding = null;
      else {
        const args = ev.args.map((a) => (a === null ? null : env.resolve(a)));
        const thisArg = ev.thisArg === null ? null : env.resolve(ev.thisArg);
        binding = { callee, args, thisArg, key: `${callee}|${this.bindingKey(callee, args, thisArg)}` };
      }
      sink.bindings.set(ev, binding);
    }
    if (binding === null) return [atom];
    const [base, ctx] = splitAtom(atom);
    const [template, payload] = abstractBase(base);
    const summary = this.summary(binding, template);
    if (summary === null) {
      // Too deep to follow: whatever the callee does might clear gradients.
      if (!this.deepCallNoticed) {
        this.deepCallNoticed = true;
        this.notice(this.currentRoot, `calls nested deeper than ${MAX_CALL_DEPTH} were not followed`);
      }
      return this.onUncertainZero(base).map((b) => joinAtom(b, ctx));
    }
    const guarded = this.program.sites[ev.site].counterGuarded === true;
    if (!sink.calls.has(summary)) sink.calls.set(summary, ev.site);
    for (const e of summary.templated) {
      const z = instantiate(e.z, payload);
      const place = e.kind === "discard" && z[0] !== "#" ? `${z}|${this.program.sites[e.step].text}` : e.place;
      sink.add({
        kind: e.kind, step: e.step, place,
        b: instantiate(e.b, payload), z, p: instantiate(e.p, payload),
        context: { site: ev.site, next: e.context }, guarded: e.guarded || guarded,
      });
    }
    // Results without placeholders are the same for every atom of this template and context.
    const memo = `${ev.site}|${summary.version}|${template}|${ctx}`;
    const groundAgain = sink.groundDone.has(memo);
    if (!groundAgain) sink.groundDone.add(memo);
    const out: string[] = [];
    for (const t of summary.outBases) {
      if (t.indexOf("#") < 0) {
        if (!groundAgain) out.push(joinAtom(t, ctx));
      } else out.push(joinAtom(instantiate(t, payload), ctx));
    }
    return out;
  }

  /** The binding of the parameters the callee uses, as part of a summary's key. */
  private bindingKey(callee: number, args: (string | null)[], thisArg: string | null): string {
    const parts: string[] = [];
    let rootSpecific = false;
    for (const h of [...this.uses[callee]].sort()) {
      const bound = h === "$this" ? thisArg : args[Number(h.slice(1))] ?? null;
      if (bound !== null && bound.includes("$")) rootSpecific = true;
      parts.push(`${h}=${bound ?? "?"}`);
    }
    return (rootSpecific ? this.rootTag + ";" : "") + parts.join(";");
  }

  private summary(binding: CallBinding, template: string): Summary | null {
    const { callee, args, thisArg } = binding;
    const key = `${binding.key}|${template}`;
    let s = this.cache.get(key);
    if (s === undefined) {
      if (this.stack.length >= MAX_CALL_DEPTH) return null;
      // Receivers that keep growing through calls (`this.a.a.a…`) are not followed further.
      if ([thisArg, ...args].some((a) => a !== null && segments(a) > MAX_SEGMENTS)) return null;
      s = {
        out: [], outBases: [], templated: [], sink: new EffectSink(), version: 0, readers: new Map(), recomputed: 0, active: false,
        env: { fn: this.program.functions[callee], resolve: binder(args, thisArg) }, template,
      };
      this.cache.set(key, s);
      this.compute(s);
    }
    if (s.shared) return s;
    // Recursion reads a summary still being computed: its reader is recomputed when it grows.
    const reader = this.stack[this.stack.length - 1];
    if (reader !== undefined) s.readers.set(reader, s.version);
    else this.rootReads.set(s, s.version);
    return s;
  }

  private compute(s: Summary): void {
    s.active = true;
    this.stack.push(s);
    try {
      const sink = new EffectSink();
      const out = this.flow(s.env, [s.template], sink);
      const templated = [...sink.byKey.values()].filter(isTemplated);
      for (const e of templated) sink.byKey.delete(effectKey(e));
      const grew = out.length !== s.out.length || templated.length !== s.templated.length || out.some((a) => !s.out.includes(a));
      s.out = out;
      s.outBases = [...new Set(out.map((a) => splitAtom(a)[0]))];
      s.templated = templated;
      s.sink = sink;
      if (grew) {
        s.version++;
        for (const [r, v] of s.readers) if (v !== s.version) this.dirty.add(r);
      }
    } finally {
      this.stack.pop();
      s.active = false;
    }
  }

  /** Recomputes stale summaries until every read is current (values only grow, so this ends). */
  private settle(): void {
    while (this.dirty.size > 0) {
      const s: Summary = this.dirty.values().next().value!;
      this.dirty.delete(s);
      if (s.recomputed++ >= MAX_RECOMPUTE) continue;
      this.compute(s);
    }
  }
}

function isTemplated(e: Effect): boolean {
  return e.b.includes("#") || e.z.includes("#") || e.p.includes("#");
}

/** Every effect reachable from a root's sink through the summaries it called (but not those in `visited`), each with its call path. */
function collect(root: EffectSink, visited: Set<EffectSink>): EffectSink {
  const out = new EffectSink();
  const stack: [EffectSink, Context | null][] = [[root, null]];
  while (stack.length > 0) {
    const [sink, prefix] = stack.pop()!;
    if (visited.has(sink)) continue;
    visited.add(sink);
    for (const e of sink.byKey.values()) {
      const had = out.byKey.get(effectKey(e));
      if (had !== undefined && (had.guarded || !e.guarded)) continue; // the first path's context is kept
      out.add(prefix === null ? e : { ...e, context: prepend(prefix, e.context) });
    }
    for (const [summary, site] of sink.calls) stack.push([summary.sink, { site, next: prefix }]);
  }
  return out;
}

/** `outer` (innermost call first) followed by `inner`. */
function prepend(outer: Context, inner: Context | null): Context {
  const sites: number[] = [];
  for (let c: Context | null = outer; c !== null; c = c.next) sites.push(c.site);
  let head = inner;
  for (const site of sites) head = { site, next: head };
  return head!;
}

export interface Incremental {
  base: TypestateAnalysis;
  /** Functions whose graphs differ from the base's program. */
  changed: ReadonlySet<number>;
  /** Past this much work the run stops (its result then carries a "not analysed" notice). */
  workLimit?: number;
}

/**
 * Functions whose analysis can depend on a changed one: the changed ones and their callers,
 * transitively. A function passed as a callback counts as called by the function it's passed to;
 * a call of a parameter may reach any function passed anywhere.
 */
function reachingChanged(program: ProgramGraph, changed: ReadonlySet<number>): Set<number> {
  const callers = program.functions.map(() => new Set<number>());
  const passed = new Set<number>();
  const dynamic = new Set<number>();
  for (const fn of program.functions) {
    for (const block of fn.blocks) for (const ev of block.events) {
      if (ev.kind !== "call") continue;
      if (ev.callee !== null) callers[ev.callee].add(fn.id);
      else dynamic.add(fn.id);
      for (const a of ev.args) if (a !== null && a.startsWith("fn:")) {
        const f = Number(a.slice(3));
        passed.add(f);
        callers[f].add(fn.id);
        if (ev.callee !== null) callers[f].add(ev.callee);
      }
    }
  }
  for (const f of passed) for (const d of dynamic) callers[f].add(d);
  const out = new Set(changed);
  const stack = [...changed];
  while (stack.length > 0) for (const c of callers[stack.pop()!]) if (!out.has(c)) { out.add(c); stack.push(c); }
  return out;
}

export function analyse(program: ProgramGraph, keep?: (key: string) => boolean): AnalysisResult {
  return new TypestateAnalysis(program, keep).run();
}
