/**
 * Tracing hooks. The engine calls into `probe.sink` at a handful of points (backward, optimizer
 * step, zeroGrad, a module handing out its parameters). With no sink installed each point costs
 * one null check, so untraced runs pay nothing measurable.
 *
 * The probe object lives on `globalThis` under a well-known symbol, shared by every copy of the
 * engine in the process: the tracer (in the child process running a user's script) installs one
 * sink and reaches whichever copy the script loads — the one bundled with the extension or the
 * user's own `node_modules/gradlens`.
 */
import type { Tensor } from "./tensor";
import type { UpdateSums } from "./optim/stats";

export interface ProbeSink {
  backward?(root: Tensor): void;
  /**
   * Before an optimizer applies its update (weights are still the old ones). `canMeasure`: this
   * engine can measure each update while applying it; returning "measure" asks for that, and the
   * sums come to step().
   */
  beforeStep?(optimizer: object, params: readonly Tensor[], canMeasure?: boolean): void | "measure";
  /** After the update; `measured[i]` for params[i] when beforeStep asked (null: it had no gradient). */
  step?(optimizer: object, params: readonly Tensor[], measured?: readonly (UpdateSums | null)[]): void;
  zeroGrad?(owner: object, params: readonly Tensor[], setToNone: boolean): void;
  /** A module listed its parameters (`model.parameters()` for an optimizer): their names. */
  namedParameters?(module: object, named: readonly [string, Tensor][]): void;
}

/** The key other engine copies and the tracer agree on (versioned with the sink's shape). */
export const PROBE_KEY = Symbol.for("gradlens.probe.v1");

type Shared = { sink: ProbeSink | null };
const host = globalThis as typeof globalThis & { [PROBE_KEY]?: Shared };

export const probe: Shared = host[PROBE_KEY] ?? (host[PROBE_KEY] = { sink: null });

export function setProbeSink(sink: ProbeSink | null): void {
  probe.sink = sink;
}
