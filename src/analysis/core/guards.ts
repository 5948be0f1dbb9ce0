/**
 * Path conditions carried by typestate atoms: what the path so far knows about counter phases
 * and about pure conditions it branched on. A context is a small map guard id → bits, written
 * `3=4,7=1` (ids ascending); an absent id knows nothing. Filtering by a context only ever removes
 * paths, so a wrong correlation can hide a finding but never invent one.
 */
import type { Cond, GuardVar } from "./cfg";

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
  /** Results per event and context text: the same few contexts meet the same tests again and again. */
  private readonly assumed = new WeakMap<Cond, [Map<string, string[]>, Map<string, string[]>]>();
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
  assume(text: string, cond: Cond, value: boolean): string[] {
    let memo = this.assumed.get(cond);
    if (memo === undefined) this.assumed.set(cond, (memo = [new Map(), new Map()]));
    const byText = memo[value ? 1 : 0];
    let out = byText.get(text);
    if (out === undefined) byText.set(text, (out = this.assumeUncached(text, cond, value)));
    return out;
  }

  private assumeUncached(text: string, cond: Cond, value: boolean): string[] {
    const out = this.refine(parseContext(text), cond, value).map((c) => this.trim(c));
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
