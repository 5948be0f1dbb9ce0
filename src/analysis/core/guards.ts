/**
 * Path conditions carried by typestate atoms: what the path so far knows about counter phases
 * and about pure conditions it branched on. A context is a small map guard id → bits, written
 * `3=4,7=1` (ids ascending); an absent id knows nothing. Filtering by a context only ever removes
 * paths, so a wrong correlation can hide a finding but never invent one.
 */
import type { Cond, FunctionGraph, GuardVar } from "./cfg";

/**
 * Symbolic modulus: start, middle, last; bounded counters also have "past the end" and "the only
 * one" (c = 0 with a bound of 1: a counted loop over a symbolic bound runs at least once, maybe once).
 */
const START = 1, MID = 2, LAST = 4, OUT = 8, ONLY = 16;

type PhaseShape = { size: number; bounded: boolean };

/** Every value a guard can have: its "knows nothing" bits. */
export function allBits(g: GuardVar): number {
  if (g.kind === "opaque") return 3; // bit 0: false, bit 1: true
  return g.bounded ? inRangeMask(g) | outBit(g) : inRangeMask(g);
}

function outBit(g: { size: number }): number {
  return g.size > 0 ? 1 << g.size : OUT;
}

function hasOnly(g: PhaseShape): boolean {
  return g.bounded && g.size === 0;
}

/** The first iteration (residue 0 is bit 0 in both encodings). */
export function startMask(g: PhaseShape): number {
  return hasOnly(g) ? START | ONLY : START;
}

export function lastMask(g: PhaseShape): number {
  return g.size > 0 ? 1 << (g.size - 1) : hasOnly(g) ? LAST | ONLY : LAST;
}

/** Residue r modulo a literal size (null when it can't be represented). */
export function residueMask(g: PhaseShape, r: number): number | null {
  if (g.size > 0) return r >= 0 && r < g.size ? 1 << r : null;
  return r === 0 ? startMask(g) : null;
}

/**
 * `(c + k) % N == r` as a phase of c: the mask of c's phases where it holds, or null when the
 * phase encoding can't express it. `literal` is N when it is an integer (2..8), else null (a
 * symbolic N, where only the start and the last residue are representable); `r` is a residue or
 * "last" (N - 1).
 */
export function residueTestMask(g: PhaseShape, literal: number | null, k: number, r: number | "last"): number | null {
  if (literal !== null) return residueMask(g, ((((r === "last" ? literal - 1 : r) - k) % literal) + literal) % literal);
  const shift = (r === "last" ? -1 : r) - k;
  return shift === 0 ? startMask(g) : shift === -1 ? lastMask(g) : null;
}

export function inRangeMask(g: PhaseShape): number {
  return g.size > 0 ? (1 << g.size) - 1 : hasOnly(g) ? START | MID | LAST | ONLY : START | MID | LAST;
}

/** One counter increment applied to a set of phases. */
function tickBits(g: Extract<GuardVar, { kind: "phase" }>, bits: number): number {
  let out = 0;
  if (g.size > 0) {
    for (let r = 0; r < g.size; r++) {
      if (!(bits & (1 << r))) continue;
      if (r + 1 < g.size) out |= 1 << (r + 1);
      else out |= g.bounded ? outBit(g) : 1;
    }
    if (bits & outBit(g) && g.bounded) out |= outBit(g);
    return out;
  }
  if (bits & (START | MID)) out |= MID | LAST;
  if (bits & LAST) out |= g.bounded ? OUT : START;
  if (bits & (OUT | ONLY)) out |= OUT;
  return out;
}

export type Context = Map<number, number>;

export function parseContext(text: string): Context {
  const ctx: Context = new Map();
  if (text === "") return ctx;
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    ctx.set(Number(part.slice(0, eq)), Number(part.slice(eq + 1)));
  }
  return ctx;
}

export function formatContext(ctx: Context): string {
  if (ctx.size === 0) return "";
  return [...ctx.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}=${v}`).join(",");
}

/** At most this many facts per path: the oldest (lowest id) are dropped first. */
const MAX_FACTS = 8;

export class Guards {
  /**
   * Results per event and context text: the same few contexts meet the same tests again and
   * again. (An event's `drop` list is fixed: it comes from the event's function.)
   */
  private readonly assumed = new WeakMap<object, Map<string, string[]>>();
  private readonly written = new WeakMap<object, Map<string, string>>();

  constructor(private readonly vars: readonly GuardVar[]) {}

  private bits(ctx: Context, v: number): number {
    return ctx.get(v) ?? allBits(this.vars[v]);
  }

  private set(ctx: Context, v: number, bits: number): void {
    if (bits === allBits(this.vars[v])) ctx.delete(v);
    else ctx.set(v, bits);
  }

  /** The contexts in which `cond` evaluates to `value` (none: the branch is infeasible on this path). */
  assume(text: string, ev: { cond: Cond; value: boolean }, drop: readonly number[] = []): string[] {
    let memo = this.assumed.get(ev);
    if (memo === undefined) this.assumed.set(ev, (memo = new Map()));
    let out = memo.get(text);
    if (out === undefined) memo.set(text, (out = this.assumeUncached(text, ev.cond, ev.value, drop)));
    return out;
  }

  private assumeUncached(text: string, cond: Cond, value: boolean, drop: readonly number[]): string[] {
    // Guards no later test reads are not remembered (`drop`, from liveGuards).
    const out = this.refine(parseContext(text), cond, value).map((c) => {
      for (const v of drop) c.delete(v);
      return this.trim(c);
    });
    return [...new Set(out.map(formatContext))];
  }

  private refine(ctx: Context, cond: Cond, value: boolean): Context[] {
    switch (cond.t) {
      case "phase": {
        const have = this.bits(ctx, cond.v);
        const bits = value ? have & cond.mask : have & ~cond.mask;
        if (bits === 0) return [];
        const next = new Map(ctx);
        this.set(next, cond.v, bits);
        return [next];
      }
      case "opaque": {
        if (cond.v < 0) return [ctx]; // a test nobody can read
        const bits = this.bits(ctx, cond.v) & (value ? 2 : 1);
        if (bits === 0) return [];
        const next = new Map(ctx);
        this.set(next, cond.v, bits);
        return [next];
      }
      case "not":
        return this.refine(ctx, cond.a, !value);
      case "and":
      case "or": {
        // and=true / or=false: both sides take `value`; otherwise either side decides.
        const both = (cond.t === "and") === value;
        if (both) return this.refine(ctx, cond.a, value).flatMap((c) => this.refine(c, cond.b, value));
        const viaA = this.refine(ctx, cond.a, value);
        const viaB = this.refine(ctx, cond.a, !value).flatMap((c) => this.refine(c, cond.b, value));
        return [...viaA, ...viaB];
      }
    }
  }

  /** Applies a write: counters advance or restart; forgotten guards know nothing again. */
  write(text: string, ev: { tick: readonly number[]; reset: readonly number[]; forget: readonly number[] }): string {
    let memo = this.written.get(ev);
    if (memo === undefined) this.written.set(ev, (memo = new Map()));
    let out = memo.get(text);
    if (out === undefined) memo.set(text, (out = this.writeUncached(text, ev.tick, ev.reset, ev.forget)));
    return out;
  }

  private writeUncached(text: string, tick: readonly number[], reset: readonly number[], forget: readonly number[]): string {
    if (text === "") {
      // Only a restart adds knowledge to an empty context.
      if (reset.length === 0) return "";
    }
    const ctx = parseContext(text);
    for (const v of forget) ctx.delete(v);
    for (const v of tick) {
      const g = this.vars[v];
      if (g.kind !== "phase" || !ctx.has(v)) continue;
      this.set(ctx, v, tickBits(g, ctx.get(v)!));
    }
    for (const v of reset) {
      const g = this.vars[v];
      if (g.kind === "phase") this.set(ctx, v, startMask(g));
    }
    return formatContext(this.trim(ctx));
  }

  private trim(ctx: Context): Context {
    while (ctx.size > MAX_FACTS) ctx.delete(Math.min(...ctx.keys()));
    return ctx;
  }
}

function condVars(c: Cond, out: Set<number>): void {
  if (c.t === "phase" || c.t === "opaque") {
    if (c.v >= 0) out.add(c.v);
  } else if (c.t === "not") condVars(c.a, out);
  else {
    condVars(c.a, out);
    condVars(c.b, out);
  }
}

/**
 * Which guards a later test may still read (a backward liveness over `fn`: a test reads, a restart
 * or a forgetting write ends what was known). A fact that nothing reads can't change which paths
 * are feasible, so a test doesn't remember it: paths that differ only there stay one.
 */
export interface GuardLiveness {
  /** The guards of an assume event that no later test reads. */
  deadAfter(ev: object): readonly number[];
}

export function liveGuards(fn: FunctionGraph): GuardLiveness {
  // Bitsets over the guards this function mentions, solved with a worklist.
  const local = new Map<number, number>();
  const index = (v: number) => {
    let i = local.get(v);
    if (i === undefined) local.set(v, (i = local.size));
    return i;
  };
  // Each block as live-in = uses ∪ (live-out − kills), folded over its events from the last.
  const perBlock = fn.blocks.map((block) => {
    const uses = new Set<number>(), kills = new Set<number>();
    for (let i = block.events.length - 1; i >= 0; i--) {
      const ev = block.events[i];
      if (ev.kind === "assume") {
        const vs = new Set<number>();
        condVars(ev.cond, vs);
        for (const v of vs) uses.add(index(v));
      } else if (ev.kind === "write") {
        for (const v of [...ev.reset, ...ev.forget]) {
          uses.delete(index(v));
          kills.add(index(v));
        }
      }
    }
    return { uses, kills };
  });
  const words = Math.max(1, Math.ceil(local.size / 32));
  const n = fn.blocks.length;
  const useBits = new Uint32Array(n * words), keepBits = new Uint32Array(n * words).fill(0xffffffff);
  perBlock.forEach(({ uses, kills }, b) => {
    for (const i of uses) useBits[b * words + (i >>> 5)] |= 1 << (i & 31);
    for (const i of kills) keepBits[b * words + (i >>> 5)] &= ~(1 << (i & 31));
  });
  const live = new Uint32Array(n * words);
  const isLiveOut = (block: number, v: number) => {
    const i = local.get(v);
    if (i === undefined) return false;
    for (const t of [...fn.blocks[block].succ, ...fn.blocks[block].exc]) if (live[t * words + (i >>> 5)] & (1 << (i & 31))) return true;
    return false;
  };
  const preds: number[][] = fn.blocks.map(() => []);
  for (const block of fn.blocks) for (const t of [...block.succ, ...block.exc]) preds[t].push(block.id);
  const queued = new Uint8Array(n).fill(1);
  const work = Array.from({ length: n }, (_, i) => i);
  while (work.length > 0) {
    const b = work.pop()!;
    queued[b] = 0;
    const block = fn.blocks[b];
    let changed = false;
    for (let w = 0; w < words; w++) {
      let out = 0;
      for (const t of block.succ) out |= live[t * words + w];
      for (const t of block.exc) out |= live[t * words + w];
      // `>>> 0`: bitwise results are signed, the array's words unsigned.
      const next = (useBits[b * words + w] | (out & keepBits[b * words + w])) >>> 0;
      if (next !== live[b * words + w]) {
        live[b * words + w] = next;
        changed = true;
      }
    }
    if (changed) for (const p of preds[b]) if (!queued[p]) { queued[p] = 1; work.push(p); }
  }
  // Per assume event: its guards that nothing reads afterwards (not in this block before a kill,
  // nor after the block).
  const deadAfter = new Map<object, number[]>();
  for (const block of fn.blocks) {
    block.events.forEach((ev, j) => {
      if (ev.kind !== "assume") return;
      const vs = new Set<number>();
      condVars(ev.cond, vs);
      const dead: number[] = [];
      for (const v of vs) {
        let readLater = false, killed = false;
        for (let k = j + 1; k < block.events.length && !readLater && !killed; k++) {
          const later = block.events[k];
          if (later.kind === "assume") {
            const ws = new Set<number>();
            condVars(later.cond, ws);
            readLater = ws.has(v);
          } else if (later.kind === "write") killed = later.reset.includes(v) || later.forget.includes(v);
        }
        if (!readLater && (killed || !isLiveOut(block.id, v))) dead.push(v);
      }
      if (dead.length > 0) deadAfter.set(ev, dead);
    });
  }
  return { deadAfter: (ev) => deadAfter.get(ev) ?? [] };
}
