/** Reductions over all elements or one dimension (optionally several for sum/mean). */
import { aroundDim, wrapDim } from "../shape";
import { Tensor } from "../tensor";
import { defineOp, empty, record, SAVES_STATE } from "./record";

function reducedShape(shape: readonly number[], dim: number, keepdim: boolean): number[] {
  const out = [...shape];
  if (keepdim) out[dim] = 1;
  else out.splice(dim, 1);
  return out;
}

function normaliseDims(dim: number | number[] | undefined, rank: number, op: string): number[] | null {
  if (dim === undefined) return null;
  const dims = (Array.isArray(dim) ? dim : [dim]).map((d) => wrapDim(d, rank, op));
  if (new Set(dims).size !== dims.length) throw new RangeError(`${op}: dimension repeated in ${JSON.stringify(dim)}`);
  return dims.sort((a, b) => b - a);
}

/** Broadcasts a reduced gradient back over the reduced dimensions. */
function expandBack(g: Tensor, inShape: readonly number[], dims: number[] | null, keepdim: boolean): Tensor {
  // A 0-d input reduced "along" dim 0 / -1 is still 0-d: nothing to expand.
  if (inShape.length === 0) return g.reshape([]);
  let r = g;
  if (dims !== null && !keepdim) for (const d of [...dims].sort((a, b) => a - b)) r = r.unsqueeze(d);
  return r.expand(inShape);
}

function sumRaw(x: Tensor, dim: number, keepdim: boolean): Tensor {
  const { outer, n, inner } = aroundDim(x.shape, dim);
  const out = empty(reducedShape(x.shape, dim, keepdim), x.dtype);
  const src = x.data, dst = out.data;
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner, ob = o * inner;
    for (let k = 0; k < n; k++) {
      const row = base + k * inner;
      for (let i = 0; i < inner; i++) dst[ob + i] += src[row + i];
    }
  }
  return out;
}

const SUM = defineOp("sum");
export function sum(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  const dims = normaliseDims(dim, x.ndim, "sum");
  let out: Tensor;
  if (dims === null || x.ndim === 0) {
    let s = 0;
    const d = x.data;
    for (let i = 0; i < d.length; i++) s += d[i];
    out = empty(keepdim ? x.shape.map(() => 1) : [], x.dtype);
    out.data[0] = s;
  } else {
    out = x.detach();
    for (const d of dims) out = sumRaw(out, d, keepdim);
  }
  const inShape = x.shape;
  return record(out, SUM, [x], [], (g) => [expandBack(g, inShape, dims, keepdim)]);
}

const MEAN = defineOp("mean");
export function mean(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  const dims = normaliseDims(dim, x.ndim, "mean");
  const count = dims === null ? x.numel() : x.ndim === 0 ? 1 : dims.reduce((c, d) => c * x.shape[d], 1);
  const s = sum(x.detach(), dim, keepdim);
  const out = s.mul(1 / count).detach();
  const inShape = x.shape;
  return record(out, MEAN, [x], [], (g) => [expandBack(g.mul(1 / count), inShape, dims, keepdim)]);
}

type Better = (candidate: number, best: number) => boolean;
const greater: Better = (c, b) => c > b || (c !== c && b === b); // NaN wins, as PyTorch propagates it
const less: Better = (c, b) => c < b || (c !== c && b === b);

function extremum(x: Tensor, dim: number | undefined, keepdim: boolean, better: Better, op: string) {
  const d = dim === undefined ? null : wrapDim(dim, x.ndim, op);
  // Like PyTorch: an empty tensor reduces only along a dimension that isn't the empty one.
  if (x.numel() === 0 && (d === null || x.ndim === 0 || x.shape[d] === 0)) {
    throw new RangeError(d === null ? `${op}: cannot reduce an empty tensor without a dimension (shape [${x.shape}])` : `${op}: cannot reduce dimension ${d} of size 0 (shape [${x.shape}])`);
  }
  if (d === null || x.ndim === 0) {
    const data = x.data;
    let best = 0;
    for (let i = 1; i < data.length; i++) if (better(data[i], data[best])) best = i;
    return { values: data[best], indices: [best], shape: keepdim ? x.shape.map(() => 1) : [], d };
  }
  const { outer, n, inner } = aroundDim(x.shape, d);
  const shape = reducedShape(x.shape, d, keepdim);
  const indices: number[] = new Array(outer * inner);
  const src = x.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      for (let k = 1; k < n; k++) if (better(src[(o * n + k) * inner + i], src[(o * n + best) * inner + i])) best = k;
      indices[o * inner + i] = best;
    }
  }
  return { values: null, indices, shape, d };
}

function extremumOp(opName: string, better: Better) {
  const NAME = defineOp(opName);
  return (x: Tensor, dim?: number, keepdim = false): Tensor => {
    const r = extremum(x, dim, keepdim, better, opName);
    const out = empty(r.shape, x.dtype);
    const src = x.data;
    if (r.d === null || x.ndim === 0) {
      const m = r.values!;
      out.data[0] = m;
      // Full reduction: gradient shared evenly between tied extrema, NaN ones included (as
      // PyTorch's max()). The output is saved: changing it in place makes backward fail.
      const tied = (v: number) => v === m || (v !== v && m !== m);
      return record(out, NAME, [x], [x, out], (g) => {
        const gx = x.zerosLike();
        let ties = 0;
        for (let i = 0; i < src.length; i++) if (tied(src[i])) ties++;
        for (let i = 0; i < src.length; i++) if (tied(src[i])) gx.data[i] = g.data[0] / ties;
        return [gx];
      });
    }
    const { outer, n, inner } = aroundDim(x.shape, r.d);
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) out.data[o * inner + i] = src[(o * n + r.indices[o * inner + i]) * inner + i];
    // Along a dimension: the gradient goes to the selected index.
    return record(out, NAME, [x], [SAVES_STATE], (g) => {
      const gx = x.zerosLike();
      for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) gx.data[(o * n + r.indices[o * inner + i]) * inner + i] = g.data[o * inner + i];
      return [gx];
    });
  };
}

export const max = extremumOp("max", greater);
export const min = extremumOp("min", less);

function argOp(op: string, better: Better) {
  return (x: Tensor, dim?: number, keepdim = false): Tensor => {
    const r = extremum(x, dim, keepdim, better, op);
    const out = empty(r.shape, x.dtype);
    for (let i = 0; i < r.indices.length; i++) out.data[i] = r.indices[i];
    return out;
  };
}
/** Index of the largest element (flattened when no dim is given). Not differentiable. */
export const argmax = argOp("argmax", greater);
export const argmin = argOp("argmin", less);

/** PyTorch's sign for gradients: 0 at 0 and at NaN. */
export function sgn(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function signOf(x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype);
  for (let i = 0; i < out.data.length; i++) out.data[i] = sgn(x.data[i]);
  return out;
}

const NORM = defineOp("norm");
/**
 * The p-norm over all elements or along `dim`, with PyTorch's gradients: x/‖x‖ for p = 2,
 * sgn(x)·|x|^(p−1)/‖x‖^(p−1) for other p, the gradient shared evenly over tied maxima for p = ∞;
 * 0 where the norm is 0.
 */
export function norm(x: Tensor, p = 2, dim?: number, keepdim = false): Tensor {
  if (!(p > 0)) throw new RangeError(`norm: only p > 0 is supported, got ${p}`);
  const dims = dim === undefined ? null : [wrapDim(dim, x.ndim, "norm")];
  const ax = x.detach().abs();
  let out: Tensor;
  // The ∞-norm of an empty vector is 0, as a sum over it would be.
  if (p === Infinity) out = x.numel() === 0 ? sum(ax, dim, keepdim) : dims === null ? ax.max() : max(ax, dims[0], keepdim);
  else if (p === 2) out = sum(x.detach().mul(x.detach()), dim, keepdim).sqrt();
  else out = sum(ax.pow(p), dim, keepdim).pow(1 / p);
  if (dims === null && keepdim) out = out.reshape(x.shape.map(() => 1));
  return record(out, NORM, [x], [x, out], (g) => {
    const safe = out.detach().clone();
    const scale = g.detach().clone();
    for (let i = 0; i < safe.data.length; i++) if (safe.data[i] === 0) { safe.data[i] = 1; scale.data[i] = 0; }
    if (p === 2) return [x.mul(expandBack(scale.div(safe), x.shape, dims, keepdim))];
    if (p === Infinity) {
      // Tied maxima share the gradient, NaN elements counting as maxima (as PyTorch): count them
      // per reduced position. A NaN's own share is 0 (sgn(NaN) = 0).
      const hit = ax.eq(expandBack(out.detach(), x.shape, dims, keepdim));
      for (let i = 0; i < hit.data.length; i++) if (ax.data[i] !== ax.data[i]) hit.data[i] = 1;
      const count = dims === null ? hit.sum() : hit.sum(dims[0], keepdim);
      return [signOf(x).mul(hit).mul(expandBack(scale.div(count), x.shape, dims, keepdim))];
    }
    return [signOf(x).mul(ax.pow(p - 1)).mul(expandBack(scale.div(safe.pow(p - 1)), x.shape, dims, keepdim))];
  });
}

/** What `max(dim)`, `min(dim)`, `sort` and `topk` return, as PyTorch's named tuples: `[values, indices]` that also has `.values` and `.indices`. */
export type ValuesIndices = readonly [Tensor, Tensor] & { readonly values: Tensor; readonly indices: Tensor };

export function valuesIndices(values: Tensor, indices: Tensor): ValuesIndices {
  return Object.freeze(Object.assign([values, indices] as const, { values, indices })) as ValuesIndices;
}

/** max/min along a dimension: the values (differentiable) and where they were (first occurrence, NaN winning). */
export function extremumAlong(x: Tensor, dim: number, keepdim: boolean, op: "max" | "min"): ValuesIndices {
  const values = (op === "max" ? max : min)(x, dim, keepdim);
  const indices = (op === "max" ? argmax : argmin)(x, dim, keepdim);
  return valuesIndices(values, indices);
}

export interface VarianceOptions {
  /** Subtracted from the count in the denominator: 1 (the default) is Bessel's correction, 0 the population variance. */
  correction?: number;
  /** PyTorch's older flag: `unbiased: false` is `correction: 0`. */
  unbiased?: boolean;
  keepdim?: boolean;
}

function correctionOf(options: VarianceOptions, op: string): number {
  if (options.correction !== undefined && options.unbiased !== undefined) throw new TypeError(`${op}: pass either correction or unbiased, not both`);
  if (options.unbiased !== undefined) return options.unbiased ? 1 : 0;
  const c = options.correction ?? 1;
  if (typeof c !== "number" || !(c >= 0)) throw new RangeError(`${op}: correction must be a non-negative number, got ${c}`);
  return c;
}

function moments(x: Tensor, dim: number | number[] | null | undefined, options: VarianceOptions, op: string) {
  const dims = normaliseDims(dim ?? undefined, x.ndim, op);
  const keepdim = options.keepdim ?? false;
  const count = dims === null ? x.numel() : x.ndim === 0 ? 1 : dims.reduce((c, d) => c * x.shape[d], 1);
  const divisor = Math.max(count - correctionOf(options, op), 0);
  const xd = x.detach();
  const centred = dims === null ? xd.sub(mean(xd)) : xd.sub(mean(xd, dims, true));
  const variance = sum(centred.mul(centred), dims ?? undefined, keepdim).div(divisor).detach();
  return { dims, keepdim, divisor, centred, variance };
}

const VAR = defineOp("var");
/** Variance over all elements or `dim` (with Bessel's correction unless told otherwise); NaN when count ≤ correction, as PyTorch. */
export function variance(x: Tensor, dim?: number | number[] | null, options: VarianceOptions = {}): Tensor {
  const { dims, keepdim, divisor, centred, variance: out } = moments(x, dim, options, "var");
  const inShape = x.shape;
  return record(out, VAR, [x], [x], (g) => [expandBack(g, inShape, dims, keepdim).mul(centred).mul(2 / divisor)]);
}

const STD = defineOp("std");
/** Standard deviation: the square root of `var` with the same options. */
export function std(x: Tensor, dim?: number | number[] | null, options: VarianceOptions = {}): Tensor {
  const { dims, keepdim, divisor, centred, variance: v } = moments(x, dim, options, "std");
  const out = v.sqrt();
  const inShape = x.shape;
  // d std = d var / (2 std), and 0 where std is 0 (a constant line), as PyTorch masks it.
  return record(out, STD, [x], [x, out], (g) => {
    const scale = g.div(out).detach();
    for (let i = 0; i < scale.data.length; i++) if (out.data[i] === 0) scale.data[i] = 0;
    return [expandBack(scale, inShape, dims, keepdim).mul(centred).mul(1 / divisor)];
  });
}

const LOGSUMEXP = defineOp("logsumexp");
/** log Σ exp(x) along `dim`, shifted by the maximum so large values don't overflow. */
export function logsumexp(x: Tensor, dim: number | number[], keepdim = false): Tensor {
  if (dim === undefined) throw new TypeError("logsumexp: a dim is required (as in PyTorch)");
  const dims = normaliseDims(dim, x.ndim, "logsumexp")!;
  const xd = x.detach();
  // The shift is the maximum, or 0 where that is infinite (so all −∞ gives −∞, not NaN).
  let shift = xd;
  // An empty line has no maximum: shift by 0 (its sum is 0, its log −∞, as PyTorch's).
  if (x.numel() === 0) shift = empty(reducedKeep(x.shape, dims, true), x.dtype);
  else for (const d of dims) shift = x.ndim === 0 ? shift : max(shift, d, true);
  shift = shift.clone();
  for (let i = 0; i < shift.data.length; i++) if (!Number.isFinite(shift.data[i])) shift.data[i] = 0;
  const s = sum(xd.sub(shift).exp(), dims, true).log().add(shift);
  const out = keepdim || x.ndim === 0 ? s.reshape(reducedKeep(x.shape, dims, true)) : s.reshape(reducedKeep(x.shape, dims, false));
  const inShape = x.shape;
  return record(out, LOGSUMEXP, [x], [x, out], (g) => [expandBack(g, inShape, dims, keepdim).mul(x.sub(expandBack(out, inShape, dims, keepdim)).exp())]);
}

function reducedKeep(shape: readonly number[], dims: number[], keepdim: boolean): number[] {
  if (shape.length === 0) return [];
  return keepdim ? shape.map((s, i) => (dims.includes(i) ? 1 : s)) : shape.filter((_, i) => !dims.includes(i));
}

function truthReduce(x: Tensor, dim: number | undefined, keepdim: boolean, op: "any" | "all"): Tensor {
  const nonZero = x.ne(0).detach();
  // any: some element is true ⇔ the max of the 0/1 values is 1; all: the min. Empty: any false, all true.
  let out: Tensor;
  if (dim === undefined) {
    const n = nonZero.numel();
    out = empty([], x.dtype);
    let v = op === "all" ? 1 : 0;
    for (let i = 0; i < n; i++) if ((nonZero.data[i] === 1) === (op === "any")) { v = op === "any" ? 1 : 0; break; }
    out.data[0] = v;
  } else {
    const d = wrapDim(dim, x.ndim, op);
    if (x.ndim === 0) out = nonZero.clone();
    else if (x.shape[d] === 0) out = empty(reducedShape(x.shape, d, keepdim), x.dtype).add(op === "all" ? 1 : 0).detach();
    else out = (op === "any" ? max : min)(nonZero, d, keepdim).detach();
  }
  out.isMask = true;
  return out;
}
/** Whether any element (along `dim`) is non-zero, as a 0/1 mask. Not differentiable. */
export function any(x: Tensor, dim?: number, keepdim = false): Tensor { return truthReduce(x, dim, keepdim, "any"); }
/** Whether every element (along `dim`) is non-zero, as a 0/1 mask. Not differentiable. */
export function all(x: Tensor, dim?: number, keepdim = false): Tensor { return truthReduce(x, dim, keepdim, "all"); }
