/** Per-parameter statistics of one step: one pass over the gradient, one over the weights. */
import type { ParamStats } from "./protocol";

export interface TensorLike {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
  grad: { readonly data: ArrayLike<number> } | null;
}

/** A snapshot of weights: the parameter's own array type when it has one, so taking it is a plain copy. */
export type Snapshot = Float32Array | Float64Array;

/** Gradient norms over the finite entries (so one NaN doesn't hide the rest), counting the others. */
export function paramStats(name: string, p: TensorLike, before: Snapshot | null): ParamStats {
  const g = p.grad?.data;
  const gs = g === undefined ? { sq: 0, sumAbs: 0, maxAbs: 0, nonFinite: 0, finite: 0 } : gradientSums(g);
  const w = p.data;
  const { wsq, dsq } = weightSums(w, before);
  const weightNorm = Math.sqrt(wsq);
  return {
    name,
    gradNorm: Math.sqrt(gs.sq),
    gradMaxAbs: gs.maxAbs,
    gradMeanAbs: gs.finite > 0 ? gs.sumAbs / gs.finite : 0,
    weightNorm,
    updateRatio: before !== null && weightNorm > 0 ? Math.sqrt(dsq) / weightNorm : 0,
    nonFinite: gs.nonFinite,
  };
}

/**
 * Σg², Σ|g|, max|g| over the finite entries. Four independent sums without a branch per value
 * first (a parameter's worth of work every traced step); only when that meets a NaN or an infinity
 * does the counting pass run.
 */
function gradientSums(g: ArrayLike<number>): { sq: number; sumAbs: number; maxAbs: number; nonFinite: number; finite: number } {
  const n = g.length;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, a0 = 0, a1 = 0, a2 = 0, a3 = 0, m0 = 0, m1 = 0, m2 = 0, m3 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v0 = g[i], v1 = g[i + 1], v2 = g[i + 2], v3 = g[i + 3];
    s0 += v0 * v0; s1 += v1 * v1; s2 += v2 * v2; s3 += v3 * v3;
    const b0 = Math.abs(v0), b1 = Math.abs(v1), b2 = Math.abs(v2), b3 = Math.abs(v3);
    a0 += b0; a1 += b1; a2 += b2; a3 += b3;
    m0 = Math.max(m0, b0); m1 = Math.max(m1, b1); m2 = Math.max(m2, b2); m3 = Math.max(m3, b3);
  }
  for (; i < n; i++) {
    const v = g[i], b = Math.abs(v);
    s0 += v * v; a0 += b; m0 = Math.max(m0, b);
  }
  const sq = s0 + s1 + s2 + s3;
  if (Number.isFinite(sq)) return { sq, sumAbs: a0 + a1 + a2 + a3, maxAbs: Math.max(m0, m1, m2, m3), nonFinite: 0, finite: n };
  // Some value isn't finite (or the squares overflowed): count and skip them one by one.
  let q = 0, sumAbs = 0, maxAbs = 0, nonFinite = 0, finite = 0;
  for (let j = 0; j < n; j++) {
    const v = g[j];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    const a = v < 0 ? -v : v;
    q += v * v;
    sumAbs += a;
    if (a > maxAbs) maxAbs = a;
    finite++;
  }
  return { sq: q, sumAbs, maxAbs, nonFinite, finite };
}

/** Σw² and, against the snapshot before the update, Σ(w − before)². */
function weightSums(w: ArrayLike<number>, before: Snapshot | null): { wsq: number; dsq: number } {
  const n = w.length;
  let w0 = 0, w1 = 0, w2 = 0, w3 = 0, d0 = 0, d1 = 0, d2 = 0, d3 = 0;
  let i = 0;
  if (before === null) {
    for (; i + 4 <= n; i += 4) { const x0 = w[i], x1 = w[i + 1], x2 = w[i + 2], x3 = w[i + 3]; w0 += x0 * x0; w1 += x1 * x1; w2 += x2 * x2; w3 += x3 * x3; }
    for (; i < n; i++) w0 += w[i] * w[i];
    return { wsq: w0 + w1 + w2 + w3, dsq: 0 };
  }
  for (; i + 4 <= n; i += 4) {
    const x0 = w[i], x1 = w[i + 1], x2 = w[i + 2], x3 = w[i + 3];
    w0 += x0 * x0; w1 += x1 * x1; w2 += x2 * x2; w3 += x3 * x3;
    const e0 = x0 - before[i], e1 = x1 - before[i + 1], e2 = x2 - before[i + 2], e3 = x3 - before[i + 3];
    d0 += e0 * e0; d1 += e1 * e1; d2 += e2 * e2; d3 += e3 * e3;
  }
  for (; i < n; i++) {
    const e = w[i] - before[i];
    w0 += w[i] * w[i];
    d0 += e * e;
  }
  return { wsq: w0 + w1 + w2 + w3, dsq: d0 + d1 + d2 + d3 };
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
