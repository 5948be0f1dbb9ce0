/** Per-parameter statistics of one step: one pass over the gradient, one over the weights. */
import type { ParamStats } from "./protocol";

export interface TensorLike {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
  grad: { readonly data: ArrayLike<number> } | null;
}

/** Gradient norms over the finite entries (so one NaN doesn't hide the rest), counting the others. */
export function paramStats(name: string, p: TensorLike, before: Float64Array | null): ParamStats {
  const g = p.grad?.data;
  let sq = 0, maxAbs = 0, sumAbs = 0, nonFinite = 0, finite = 0;
  if (g !== undefined) {
    for (let i = 0; i < g.length; i++) {
      const v = g[i];
      if (!Number.isFinite(v)) {
        nonFinite++;
        continue;
      }
      const a = v < 0 ? -v : v;
      sq += v * v;
      sumAbs += a;
      if (a > maxAbs) maxAbs = a;
      finite++;
    }
  }
  const w = p.data;
  let wsq = 0, dsq = 0;
  for (let i = 0; i < w.length; i++) {
    wsq += w[i] * w[i];
    if (before !== null) {
      const d = w[i] - before[i];
      dsq += d * d;
    }
  }
  const weightNorm = Math.sqrt(wsq);
  return {
    name,
    gradNorm: Math.sqrt(sq),
    gradMaxAbs: maxAbs,
    gradMeanAbs: finite > 0 ? sumAbs / finite : 0,
    weightNorm,
    updateRatio: before !== null && weightNorm > 0 ? Math.sqrt(dsq) / weightNorm : 0,
    nonFinite,
  };
}

/**
 * The weights before an update (for the update:data ratio), into `into` when it fits: one buffer
 * per parameter for the whole run, so tracing adds no garbage per step.
 */
export function snapshot(p: TensorLike, into?: Float64Array): Float64Array {
  const d = p.data;
  const buf = into !== undefined && into.length === d.length ? into : new Float64Array(d.length);
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
