/** Selecting, slicing and gathering; backward scatters the gradient into zeros. */
import { aroundDim, fmt, wrapDim } from "../shape";
import { Tensor } from "../tensor";
import { checkTensor, defineOp, empty, make, record, SAVES_STATE } from "./record";
import { uniform } from "../random";
import { allocate, Data } from "../dtype";

const SLICE = defineOp("slice");
/** x[..., start:end:step, ...] along `dim` (Python slice semantics for negative and out-of-range bounds). */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  if (x.ndim === 0) throw new RangeError("slice: cannot slice a 0-dim tensor");
  const d = wrapDim(dim, x.ndim, "slice");
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[d];
  const clampIndex = (v: number | undefined, dflt: number) => {
    if (v === undefined) return dflt;
    const w = v < 0 ? v + size : v;
    return Math.min(Math.max(w, 0), size);
  };
  const s = clampIndex(start, 0), e = Math.max(clampIndex(end, size), s);
  const count = Math.ceil((e - s) / step);
  const shape = [...x.shape];
  shape[d] = count;
  const { outer, n, inner } = aroundDim(x.shape, d);
  const out = empty(shape, x.dtype);
  copyRuns(x.data, out.data, outer, count, inner, (o, k) => (o * n + s + k * step) * inner, (o, k) => (o * count + k) * inner);
  const inShape = x.shape;
  return record(out, SLICE, [x], [], (g) => {
    const gx = empty(inShape, g.dtype);
    copyRuns(g.data, gx.data, outer, count, inner, (o, k) => (o * count + k) * inner, (o, k) => (o * n + s + k * step) * inner);
    return [gx];
  });
}

/** Copies `outer × count` runs of `inner` values from `src` to `dst` at the offsets given; short runs element by element (a subarray per run would cost more than the copy). */
function copyRuns(src: Data, dst: Data, outer: number, count: number, inner: number, from: (o: number, k: number) => number, to: (o: number, k: number) => number): void {
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < count; k++) {
      const f = from(o, k), t = to(o, k);
      if (inner >= 32) dst.set(src.subarray(f, f + inner), t);
      else for (let i = 0; i < inner; i++) dst[t + i] = src[f + i];
    }
  }
}

/** x[..., index, ...]: removes `dim`. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = wrapDim(dim, x.ndim, "select");
  const size = x.shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new RangeError(`select: index ${index} is out of bounds for dimension ${d} with size ${size}`);
  }
  const i = index < 0 ? index + size : index;
  return slice(x, d, i, i + 1).squeeze(d);
}

function toIndexList(indices: Tensor | readonly number[], limit: number, op: string): { list: number[]; shape: number[] } {
  const list = indices instanceof Tensor ? Array.from(indices.data) : [...indices];
  const shape = indices instanceof Tensor ? [...indices.shape] : [list.length];
  if (indices instanceof Tensor && indices.isMask) {
    throw new TypeError(`${op}: got a 0/1 mask (the result of a comparison), which would be read as row numbers; masking by a boolean tensor isn't supported yet: multiply by the mask or pass the row indices`);
  }
  for (const v of list) {
    if (!Number.isInteger(v)) throw new TypeError(`${op}: indices must be integers, got ${v}`);
    if (v < -limit || v >= limit) throw new RangeError(`${op}: index ${v} is out of bounds for size ${limit}`);
  }
  return { list: list.map((v) => (v < 0 ? v + limit : v)), shape };
}

const INDEX = defineOp("index");
/** Rows of x picked by an index tensor: result shape is indices.shape + x.shape[1:]. */
export function indexRows(x: Tensor, indices: Tensor | readonly number[]): Tensor {
  if (x.ndim === 0) throw new RangeError("index: cannot index a 0-d tensor");
  const { list, shape } = toIndexList(indices, x.shape[0], "index");
  const row = x.numel() / x.shape[0];
  const out = empty([...shape, ...x.shape.slice(1)], x.dtype);
  list.forEach((r, i) => out.data.set(x.data.subarray(r * row, r * row + row), i * row));
  const inShape = x.shape;
  // Repeated indices accumulate, as index_add / embedding backward do.
  return record(out, INDEX, [x], [SAVES_STATE], (g) => {
    const gx = empty(inShape, g.dtype);
    list.forEach((r, i) => {
      for (let j = 0; j < row; j++) gx.data[r * row + j] += g.data[i * row + j];
    });
    return [gx];
  });
}

const GATHER = defineOp("gather");
/** out[i][j] = x[i][indices[i][j]] along `dim` (indices has x's rank). */
export function gather(x: Tensor, dim: number, indices: Tensor): Tensor {
  checkTensor(indices, "gather", "indices");
  const d = wrapDim(dim, x.ndim, "gather");
  // An empty index gathers nothing, whatever its rank (as PyTorch): zeros flow back.
  if (indices.numel() === 0) return record(empty(indices.shape, x.dtype), GATHER, [x], [SAVES_STATE], () => [x.zerosLike()]);
  if (indices.ndim !== x.ndim) throw new RangeError(`gather: indices must have the same rank as the input (${fmt(indices.shape)} vs ${fmt(x.shape)})`);
  for (let k = 0; k < x.ndim; k++) {
    if (k !== d && indices.shape[k] > x.shape[k]) {
      throw new RangeError(`gather: size does not match at dimension ${k}: expected the index to be at most ${x.shape[k]} there, got ${indices.shape[k]} (index ${fmt(indices.shape)}, input ${fmt(x.shape)})`);
    }
  }
  // Walk the index's positions as multi-indices: each reads the input at the same position, except
  // along `dim` where it reads the index's value (the index may be smaller than the input).
  const rank = x.ndim;
  const strides = new Array<number>(rank);
  for (let k = rank - 1, acc = 1; k >= 0; k--) { strides[k] = acc; acc *= x.shape[k]; }
  const out = empty(indices.shape, x.dtype);
  const src: number[] = new Array(out.numel());
  const pos = new Array<number>(rank).fill(0);
  for (let at = 0; at < src.length; at++) {
    const j = indices.data[at];
    if (!Number.isInteger(j) || j < 0 || j >= x.shape[d]) throw new RangeError(`gather: index ${j} is out of bounds for dimension ${d} with size ${x.shape[d]}`);
    let offset = 0;
    for (let k = 0; k < rank; k++) offset += (k === d ? j : pos[k]) * strides[k];
    src[at] = offset;
    out.data[at] = x.data[offset];
    for (let k = rank - 1; k >= 0; k--) {
      if (++pos[k] < indices.shape[k]) break;
      pos[k] = 0;
    }
  }
  const inShape = x.shape;
  return record(out, GATHER, [x], [SAVES_STATE], (g) => {
    const gx = empty(inShape, g.dtype);
    for (let i = 0; i < src.length; i++) gx.data[src[i]] += g.data[i];
    return [gx];
  });
}

/** Samples category indices from (unnormalised) probabilities in each row. Not differentiable. */
export function multinomial(probs: Tensor, numSamples: number, replacement = false): Tensor {
  if (probs.ndim < 1 || probs.ndim > 2) throw new RangeError(`multinomial: probabilities must be 1-D or 2-D, got shape ${fmt(probs.shape)}`);
  const rowsCount = probs.ndim === 1 ? 1 : probs.shape[0];
  const n = probs.shape[probs.ndim - 1];
  if (!Number.isInteger(numSamples) || numSamples <= 0) throw new RangeError(`multinomial: numSamples must be a positive integer, got ${numSamples}`);
  if (!replacement && numSamples > n) throw new RangeError(`multinomial: cannot sample ${numSamples} > ${n} categories without replacement`);
  const out = allocate(probs.dtype, rowsCount * numSamples);
  for (let r = 0; r < rowsCount; r++) {
    const w = Array.from(probs.data.subarray(r * n, r * n + n));
    if (w.some((v) => !(v >= 0) || !Number.isFinite(v))) throw new RangeError("multinomial: probabilities must be finite and non-negative");
    for (let s = 0; s < numSamples; s++) {
      const total = w.reduce((a, b) => a + b, 0);
      if (!(total > 0)) throw new RangeError("multinomial: the probabilities of a row sum to zero");
      let u = uniform() * total, pick = n - 1;
      for (let k = 0; k < n; k++) {
        u -= w[k];
        if (u < 0 && w[k] > 0) { pick = k; break; }
      }
      out[r * numSamples + s] = pick;
      if (!replacement) w[pick] = 0;
    }
  }
  return make(out, probs.ndim === 1 ? [numSamples] : [rowsCount, numSamples], probs.dtype);
}
