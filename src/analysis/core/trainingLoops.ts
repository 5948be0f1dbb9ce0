/** The training loops of a program: the outermost loops (per function) around an optimizer step. */
import type { Loop, ProgramGraph } from "./cfg";

export function trainingLoops(program: ProgramGraph): Loop[] {
  const out = new Set<Loop>();
  for (const site of program.sites) {
    if (site.kind !== "step" || site.loop < 0) continue;
    let loop = program.loops[site.loop];
    while (loop.parent >= 0) loop = program.loops[loop.parent];
    out.add(loop);
  }
  return [...out].sort((a, b) => a.headRange[0] - b.headRange[0]);
}
