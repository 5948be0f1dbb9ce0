/**
 * What a traced optimizer step measures of each parameter's update, as sums the tracer turns into
 * norms and ratios: over the gradient's finite values Σg², Σ|g|, max|g| and how many weren't
 * finite; Σw² of the new weights; Σ(w − before)² of the update. The optimizers measure on their
 * SIMD path while the operands are still in registers (a float32 parameter's sums run in float32
 * lanes for a block of values at a time, so a Σw² past float32's range is Infinity there, as a float32
 * norm is in PyTorch); this is the JavaScript way for everything else.
 */
export interface UpdateSums {
  gradSq: number;
  gradAbsSum: number;
  gradAbsMax: number;
  gradNonFinite: number;
  /** Values in the gradient (0 without one). */
  gradCount: number;
  weightSq: number;
  /** Σ(w − before)², or NaN when there was no "before" to compare with. */
  updateSq: number;
}

export function emptySums(): UpdateSums {
  return { gradSq: 0, gradAbsSum: 0, gradAbsMax: 0, gradNonFinite: 0, gradCount: 0, weightSq: 0, updateSq: NaN };
}

export function measureUpdate(g: ArrayLike<number> | undefined, w: ArrayLike<number>, before: ArrayLike<number> | null): UpdateSums {
  const gs = g === undefined ? { sq: 0, sumAbs: 0, maxAbs: 0, nonFinite: 0 } : gradientSums(g);
  const ws = weightSums(w, before);
  return { gradSq: gs.sq, gradAbsSum: gs.sumAbs, gradAbsMax: gs.maxAbs, gradNonFinite: gs.nonFinite, gradCount: g?.length ?? 0, weightSq: ws.wsq, updateSq: before === null ? NaN : ws.dsq };
}

/**
 * Σg², Σ|g|, max|g| over the finite entries. Four independent sums without a branch per value
 * first; only when that meets a NaN or an infinity does the counting pass run.
 */
function gradientSums(g: ArrayLike<number>): { sq: number; sumAbs: number; maxAbs: number; nonFinite: number } {
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
  if (Number.isFinite(sq)) return { sq, sumAbs: a0 + a1 + a2 + a3, maxAbs: Math.max(m0, m1, m2, m3), nonFinite: 0 };
  // Some value isn't finite (or the squares overflowed): count and skip them one by one.
  let q = 0, sumAbs = 0, maxAbs = 0, nonFinite = 0;
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
  }
  return { sq: q, sumAbs, maxAbs, nonFinite };
}

/** Σw² and, against the weights before the update, Σ(w − before)². */
function weightSums(w: ArrayLike<number>, before: ArrayLike<number> | null): { wsq: number; dsq: number } {
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
