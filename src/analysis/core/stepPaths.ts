/**
 * What a step applies, path by path, for hovers: over the paths of its own function that reach it,
 * how many backwards added gradients since they were last zeroed (or since the function began),
 * which zero that was, and whether an earlier step already applied them. A small forward dataflow
 * over the step's function only (calls are opaque), so it explains; the typestate decides findings.
 */
import type { FunctionGraph, GraphEvent } from "./cfg";
import type { OptimizerOracle } from "./optimizers";

/** Counts past this are "many". */
const MANY = 3;

export interface StepPaths {
  /** Backwards since the origin on paths where no earlier step applied them (MANY = three or more). */
  counts: Set<number>;
  /** Whether some / every reaching path re-applies gradients an earlier step already applied. */
  someStale: boolean;
  allStale: boolean;
  /** Zero sites the gradients were counted from; -1: the function's start. */
  origins: Set<number>;
  /** Steps of this optimizer that already applied these gradients (on some path). */
  previousSteps: Set<number>;
}

interface State { count: number; origin: number; previous: number }
const keyOf = (s: State) => `${s.count}|${s.origin}|${s.previous}`;

export function stepPaths(fn: FunctionGraph, stepSite: number, oracle: OptimizerOracle): StepPaths | null {
  let target: Extract<GraphEvent, { kind: "step" }> | null = null;
  for (const b of fn.blocks) for (const ev of b.events) if (ev.kind === "step" && ev.site === stepSite) target = ev;
  if (target === null) return null;
  const key = target.key;
  const identity = (t: string) => t;
  const apply = (ev: GraphEvent, s: State): State => {
    switch (ev.kind) {
      case "backward": return { ...s, count: Math.min(s.count + 1, MANY) };
      case "zero": return oracle.clears(ev.target, identity, key, null, target!.manual) === "yes" ? { count: 0, origin: ev.site, previous: -1 } : s;
      case "fresh": return ev.key === key ? { count: 0, origin: -1, previous: -1 } : s;
      case "step": return ev.key === key ? { ...s, previous: ev.site } : s;
      default: return s;
    }
  };
  const result: StepPaths = { counts: new Set(), someStale: false, allStale: true, origins: new Set(), previousSteps: new Set() };
  const inStates = fn.blocks.map(() => new Map<string, State>());
  const work: number[] = [fn.entry];
  inStates[fn.entry].set(keyOf({ count: 0, origin: -1, previous: -1 }), { count: 0, origin: -1, previous: -1 });
  const queued = new Set(work);
  // Finite: counts, origins and previous steps are bounded by the function's sites.
  while (work.length > 0) {
    const id = work.shift()!;
    queued.delete(id);
    const block = fn.blocks[id];
    let states = [...inStates[id].values()];
    for (const ev of block.events) {
      if (ev.kind === "step" && ev.site === stepSite) {
        for (const s of states) {
          result.origins.add(s.origin);
          if (s.previous >= 0) {
            result.previousSteps.add(s.previous);
            result.someStale = true;
          } else {
            result.counts.add(s.count);
            result.allStale = false;
          }
        }
      }
      states = states.map((s) => apply(ev, s));
    }
    for (const next of [...block.succ, ...block.exc]) {
      let grew = false;
      for (const s of states) {
        const k = keyOf(s);
        if (!inStates[next].has(k)) {
          inStates[next].set(k, s);
          grew = true;
        }
      }
      if (grew && !queued.has(next)) {
        queued.add(next);
        work.push(next);
      }
    }
  }
  return result;
}

export const MANY_BACKWARDS = MANY;
