/**
 * The typestate core. For each optimizer key, gradient facts flow over the control-flow graph as
 * independent atoms (an exploded-graph reachability, like IFDS), so paths stay apart without
 * enumerating them:
 *
 *   CLEAN ─backward→ ACCUM ─step→ CONSUMED ─backward→ STALE ─step→ ✗ missing-zero-grad
 *   ACCUM ─zero→ DISCARDED ─step→ ✗ zero-grad-discards-gradients (the step applies nothing)
 *
 * plus PENDING(b) tokens: "backward b's gradients are still unapplied here". A token that meets a
 * step marks b as the optimizer's; a token that meets a zero first records a candidate. A zero
 * that is a candidate for a backward that is the optimizer's defeats accumulation.
 *
 * Calls to functions of the same file are analysed in the caller's state with the caller's
 * bindings (memoised per callee, binding, key and atom; recursion and depth bounded).
 */
import type { FunctionGraph, GraphEvent, ProgramGraph } from "./cfg";
import { looksLikeOptimizerName, OptimizerOracle } from "./optimizers";

export type RawKind = "stale-step" | "discarded-before-step" | "accumulation-defeated";

export interface RawFinding {
  kind: RawKind;
  /** Optimizer key in the root's namespace. */
  key: string;
  root: number;
  stepSite: number;
  /** missing-zero-grad: the last backward on the offending path. */
  backwardSite: number;
  /** zero-grad-discards-gradients: the offending zero. */
  zeroSite: number;
  /** missing-zero-grad: the step that already applied the gradients the stale step re-applies. */
  previousStep?: number;
  /** Call sites from the root down to the function holding the step (for loop and name lookup). */
  context: number[];
}

const MAX_DEPTH = 8;
const ATOM_CAP = 32;

interface Env {
  fn: FunctionGraph;
  /** Maps a receiver text of `fn` into the root's namespace (null: not a simple name there). */
  resolve(text: string): string | null;
  context: number[];
  depth: number;
}

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

export class TypestateAnalysis {
  private readonly oracle: OptimizerOracle;
  readonly findings: RawFinding[] = [];
  private readonly summaries = new Map<string, string[]>();
  private readonly inProgress = new Set<string>();
  private readonly stepKeysMemo = new Map<string, Set<string>>();
  // Per (root, key) analysis, for the accumulation check:
  private stepReached = new Map<number, number>();
  private candidates: [number, number, Env][] = [];
  private key = "";
  private root = 0;

  constructor(private readonly program: ProgramGraph) {
    this.oracle = new OptimizerOracle(program.facts);
  }

  run(): RawFinding[] {
    for (const root of this.program.roots) {
      const fn = this.program.functions[root];
      const env: Env = { fn, resolve: (t) => t, context: [], depth: 0 };
      // `$i` are this root's own parameters: optimizers if declared so or named like one.
      const params = fn.params.map((name, i) => (fn.optimizerParams.includes(i) || looksLikeOptimizerName(name) ? `$${i}` : null));
      this.oracle.rootParams = new Set(params.filter((p): p is string => p !== null));
      this.stepKeysMemo.clear(); // `$i` means this root's parameters now
      for (const key of this.stepKeys(fn, env.resolve, 0)) this.analyseKey(root, env, key);
    }
    return this.findings;
  }

  /** Every optimizer (or manual) key stepped in `fn` or its callees, in the root namespace. */
  private stepKeys(fn: FunctionGraph, resolve: (t: string) => string | null, depth: number): Set<string> {
    const out = new Set<string>();
    if (depth > MAX_DEPTH) return out;
    for (const block of fn.blocks) {
      for (const ev of block.events) {
        if (ev.kind === "step") {
          const k = resolve(ev.key);
          if (k !== null && (ev.manual || this.oracle.isOptimizer(k))) out.add(k);
        } else if (ev.kind === "call") {
          const args = ev.args.map((a) => (a === null ? null : resolve(a)));
          const thisArg = ev.thisArg === null ? null : resolve(ev.thisArg);
          const memo = `${ev.callee}|${args.join(",")}|${thisArg}`;
          let keys = this.stepKeysMemo.get(memo);
          if (keys === undefined) {
            this.stepKeysMemo.set(memo, (keys = new Set()));
            for (const k of this.stepKeys(this.program.functions[ev.callee], binder(args, thisArg), depth + 1)) keys.add(k);
          }
          for (const k of keys) out.add(k);
        }
      }
    }
    return out;
  }

  private analyseKey(root: number, env: Env, key: string): void {
    this.key = key;
    this.root = root;
    this.stepReached = new Map();
    this.candidates = [];
    this.summaries.clear();
    this.flow(env, ["L", "C"]);
    const reported = new Set<number>();
    for (const [b, z, zEnv] of this.candidates) {
      if (!this.stepReached.has(b) || reported.has(z)) continue;
      reported.add(z);
      this.findings.push({ kind: "accumulation-defeated", key, root, stepSite: this.stepReached.get(b)!, backwardSite: b, zeroSite: z, context: zEnv.context });
    }
  }

  /** Propagates atoms from the entry of env.fn; returns the atoms that reach its normal exit. */
  private flow(env: Env, input: string[]): string[] {
    const { fn } = env;
    const seen = new Map<number, Set<string>>();
    // Per block and atom kind: how many distinct atoms, and the first one (the widening target).
    const kinds = new Map<number, Map<string, { count: number; first: string }>>();
    const work: [number, string][] = [];
    const push = (block: number, raw: string) => {
      let set = seen.get(block);
      if (set === undefined) seen.set(block, (set = new Set()));
      if (set.has(raw)) return;
      let atom = raw;
      if (raw.length > 1) {
        // Site-carrying atoms multiply with the number of backward/zero sites; past a cap
        // (only in machine-written files), keep the state but reuse the first site seen, and
        // drop extra PENDING tokens (which can only hide accumulation findings, never add one).
        let byKind = kinds.get(block);
        if (byKind === undefined) kinds.set(block, (byKind = new Map()));
        const k = byKind.get(raw[0]);
        if (k === undefined) byKind.set(raw[0], { count: 1, first: raw });
        else if (++k.count > ATOM_CAP) {
          if (raw[0] === "P") return;
          atom = k.first;
          if (set.has(atom)) return;
        }
      }
      set.add(atom);
      work.push([block, atom]);
    };
    for (const a of input) push(fn.entry, a);
    while (work.length > 0) {
      const [blockId, atom] = work.pop()!;
      const block = fn.blocks[blockId];
      let atoms = [atom];
      for (const ev of block.events) {
        const next: string[] = [];
        for (const a of atoms) for (const r of this.transfer(ev, a, env)) next.push(r);
        atoms = next;
        if (atoms.length === 0) break;
      }
      for (const s of block.succ) for (const a of atoms) push(s, a);
      // Exceptional edges keep the typestate but not PENDING tokens: gradients abandoned by an
      // exception are not an accumulation the code meant to do.
      for (const s of block.exc) for (const a of atoms) if (a[0] !== "P") push(s, a);
    }
    return [...(seen.get(fn.exit) ?? [])];
  }

  private transfer(ev: GraphEvent, atom: string, env: Env): string[] {
    switch (ev.kind) {
      case "backward":
        return this.onBackward(ev.site, atom);
      case "step": {
        const k = env.resolve(ev.key);
        return k === this.key ? this.onStep(ev.site, atom, env) : [atom];
      }
      case "zero": {
        const resolved = ev.target.type === "all" ? null : env.resolve(ev.target.key);
        const clears = this.oracle.clears(ev.target, resolved, this.key);
        if (clears === "no") return [atom];
        return clears === "yes" ? this.onZero(ev.site, atom, env) : this.onUncertainZero(atom);
      }
      case "call":
        return this.onCall(ev, atom, env);
    }
  }

  private onBackward(b: number, atom: string): string[] {
    switch (atom[0]) {
      case "L": return [atom, `P:${b}`];
      case "C": case "A": case "D": return [`A:${b}`];
      case "K": return [`S:${b}:${atom.slice(2)}`];
      case "S": return [`S:${b}:${atom.split(":")[2]}`];
      default: return [atom]; // P
    }
  }

  private onStep(step: number, atom: string, env: Env): string[] {
    switch (atom[0]) {
      case "A": return [`K:${step}`];
      case "K": return [`K:${step}`];
      case "S": {
        const [, b, previous] = atom.split(":").map(Number);
        this.findings.push({ kind: "stale-step", key: this.key, root: this.root, stepSite: step, backwardSite: b, zeroSite: -1, previousStep: previous, context: env.context });
        return [`K:${step}`];
      }
      case "D": {
        const [, z, b] = atom.split(":").map(Number);
        this.findings.push({ kind: "discarded-before-step", key: this.key, root: this.root, stepSite: step, backwardSite: b, zeroSite: z, context: env.context });
        return ["C"];
      }
      case "P":
        if (!this.stepReached.has(Number(atom.slice(2)))) this.stepReached.set(Number(atom.slice(2)), step);
        return [];
      default: return [atom]; // L, C
    }
  }

  private onZero(z: number, atom: string, env: Env): string[] {
    switch (atom[0]) {
      case "A": return [`D:${z}:${atom.slice(2)}`];
      case "K": case "S": return ["C"];
      case "P":
        this.candidates.push([Number(atom.slice(2)), z, env]);
        return [];
      default: return [atom]; // L, C, D
    }
  }

  /**
   * A zero that may or may not clear this optimizer. Each rule takes the reading that can't
   * raise a false alarm: stale gradients count as cleared, pending ones as neither discarded
   * nor still pending.
   */
  private onUncertainZero(atom: string): string[] {
    switch (atom[0]) {
      case "K": case "S": return ["C"];
      case "P": return [];
      default: return [atom]; // L, C, A, D
    }
  }

  private onCall(ev: Extract<GraphEvent, { kind: "call" }>, atom: string, env: Env): string[] {
    if (env.depth >= MAX_DEPTH) return [atom];
    const args = ev.args.map((a) => (a === null ? null : env.resolve(a)));
    const thisArg = ev.thisArg === null ? null : env.resolve(ev.thisArg);
    const memo = `${ev.callee}|${args.join(",")}|${thisArg}|${atom}`;
    const cached = this.summaries.get(memo);
    if (cached !== undefined) return cached;
    if (this.inProgress.has(memo)) return [atom]; // recursion: assume no effect
    this.inProgress.add(memo);
    const callee: Env = {
      fn: this.program.functions[ev.callee],
      resolve: binder(args, thisArg),
      context: [...env.context, ev.site],
      depth: env.depth + 1,
    };
    const out = this.flow(callee, [atom]);
    this.inProgress.delete(memo);
    this.summaries.set(memo, out);
    return out;
  }
}

export function analyse(program: ProgramGraph): RawFinding[] {
  return new TypestateAnalysis(program).run();
}
