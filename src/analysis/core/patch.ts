/**
 * Graph patches: what a fix does to the control-flow graph (insert or remove a zero). Checking a
 * fix by re-running the typestate on the patched graph costs milliseconds, where re-parsing the
 * edited text costs a full parse; the fixture tests apply every fix to the text and re-lint, so
 * the two are held to agree.
 */
import type { GraphEvent, ProgramGraph, Site } from "./cfg";

export type GraphPatch =
  | { kind: "insert-after"; fn: number; site: number; event: ZeroEvent }
  | { kind: "insert-before"; fn: number; site: number; event: ZeroEvent }
  | { kind: "insert-at-block"; fn: number; block: number; event: ZeroEvent }
  | { kind: "remove"; fn: number; site: number };

type ZeroEvent = Extract<GraphEvent, { kind: "zero" }>;

/** A zero event with a fresh site (appended to `sites` by patchProgram). */
export function zeroEvent(target: ZeroEvent["target"]): ZeroEvent {
  return { kind: "zero", site: -1, target };
}

/** A copy of `program` with the patches applied; untouched functions are shared. */
export function patchProgram(program: ProgramGraph, patches: readonly GraphPatch[]): ProgramGraph {
  const functions = [...program.functions];
  const sites: Site[] = [...program.sites];
  const copied = new Set<number>();
  const own = (fn: number) => {
    if (!copied.has(fn)) {
      copied.add(fn);
      const g = functions[fn];
      functions[fn] = { ...g, blocks: g.blocks.map((b) => ({ ...b, events: [...b.events] })) };
    }
    return functions[fn];
  };
  const fresh = (ev: ZeroEvent, fn: number): ZeroEvent => {
    const id = sites.length;
    sites.push({ id, kind: "zero", fn, range: [0, 0], text: "", loop: -1 });
    return { ...ev, site: id };
  };
  for (const p of patches) {
    const g = own(p.fn);
    if (p.kind === "insert-at-block") {
      g.blocks[p.block].events.unshift(fresh(p.event, p.fn));
      continue;
    }
    for (const block of g.blocks) {
      for (let i = block.events.length - 1; i >= 0; i--) {
        if (block.events[i].site !== p.site) continue;
        if (p.kind === "remove") block.events.splice(i, 1);
        else block.events.splice(p.kind === "insert-after" ? i + 1 : i, 0, fresh(p.event, p.fn));
      }
    }
  }
  return { ...program, functions, sites };
}

/** The event recorded for a site, if any. */
export function eventAt(program: ProgramGraph, fn: number, site: number): GraphEvent | null {
  for (const block of program.functions[fn].blocks) for (const ev of block.events) if (ev.site === site) return ev;
  return null;
}
