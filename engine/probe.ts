/**
 * Tracing hooks. The engine calls into `probe.sink` at a handful of points (backward, optimizer
 * step, zeroGrad). With no sink installed each point costs one null check, so untraced runs pay
 * nothing measurable. The tracing runner installs a sink inside the child process it spawns.
 */
import type { Tensor } from "./tensor";

export interface ProbeSink {
  backward?(root: Tensor): void;
  step?(optimizer: object, params: readonly Tensor[]): void;
  zeroGrad?(owner: object, params: readonly Tensor[], setToNone: boolean): void;
}

export const probe: { sink: ProbeSink | null } = { sink: null };

export function setProbeSink(sink: ProbeSink | null): void {
  probe.sink = sink;
}
