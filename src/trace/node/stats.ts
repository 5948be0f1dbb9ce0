/** Per-parameter statistics of one step: one pass over the gradient, one over the weights. */
import type { ParamStats } from "../protocol";
import { measureUpdate, UpdateSums } from "../../../engine/optim/stats";

export interface TensorLike {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
  grad: { readonly data: ArrayLike<number> } | null;
}

/** A snapshot of weights: the parameter's own array type when it has one, so taking it is a plain copy. */
export type Snapshot = Float32Array | Float64Array;

/** Gradient norms over the finite entries (so one NaN doesn't hide the rest), counting the others. */
export function paramStats(name: string, p: TensorLike, before: Snapshot | null): ParamStats {
  return statsFromSums(name, measureUpdate(p.grad?.data, p.data, before));
}

/** The statistics a step reports, from an update's sums (measured by the optimizer or by paramStats). */
export function statsFromSums(name: string, s: UpdateSums): ParamStats {
  const weightNorm = Math.sqrt(s.weightSq);
  const finite = s.gradCount - s.gradNonFinite;
  return {
    name,
    gradNorm: Math.sqrt(s.gradSq),
    gradMaxAbs: s.gradAbsMax,
    gradMeanAbs: finite > 0 ? s.gradAbsSum / finite : 0,
    weightNorm,
    // NaN weights make the ratio NaN too (shown as such); no "before" to compare with makes it 0.
    updateRatio: Number.isNaN(s.weightSq) ? NaN : !Number.isNaN(s.updateSq) && weightNorm > 0 ? Math.sqrt(s.updateSq) / weightNorm : 0,
    nonFinite: s.gradNonFinite,
  };
}

/**
 * The weights before an update (for the update:data ratio), into `into` when it fits: one buffer
 * per parameter for the whole run, so tracing adds no garbage per step. A float32 parameter's
 * snapshot is float32 too, so it is an exact plain copy.
 */
export function snapshot(p: TensorLike, into?: Snapshot): Snapshot {
  const d = p.data;
  const wide = !(d instanceof Float32Array);
  const fits = into !== undefined && into.length === d.length && (into instanceof Float64Array) === wide;
  const buf = fits ? into : wide ? new Float64Array(d.length) : new Float32Array(d.length);
  if (ArrayBuffer.isView(d)) buf.set(d as unknown as ArrayLike<number>);
  else for (let i = 0; i < d.length; i++) buf[i] = d[i];
  return buf;
}

/** Whether a parameter's gradient holds nothing (null or all zeros): it was cleared. */
export function gradIsClear(p: TensorLike): boolean {
  const g = p.grad?.data;
  if (g === undefined) return true;
  for (let i = 0; i < g.length; i++) if (g[i] !== 0) return false;
  return true;
}
