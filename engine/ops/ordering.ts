/** Ops that follow the order along a dimension: cumsum, sort and topk. */
import { aroundDim, fmt, wrapDim } from "../shape";
import { Tensor } from "../tensor";
import { defineOp, empty, record, SAVES_STATE } from "./record";
import { ValuesIndices, valuesIndices } from "./reduce";

function cumsumRaw(x: Tensor, d: number, reverse: boolean): Tensor {
  const out = empty(x.shape, x.dtype);
  if (x.ndim === 0) { out.data[0] = x.data[0]; return out; }
  const { outer, n, inner } = aroundDim(x.shape, d);
  const src = x.data, dst = out.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = 0;
      for (let k = 0; k < n; k++) {
        const at = (o * n + (reverse ? n - 1 - k : k)) * inner + i;
        acc += src[at];
        dst[at] = acc;
      }
    }
  }
  return out;
}

const CUMSUM = defineOp("cumsum");
/** Running sums along `dim`; the gradient is the running sum of the gradient from the other end. */
export function cumsum(x: Tensor, dim: number): Tensor {
  const d = wrapDim(dim, x.ndim, "cumsum");
  return record(cumsumRaw(x, d, false), CUMSUM, [x], [], (g) => [cumsumRaw(g, d, true)]);
}

/** PyTorch's order: NaN after every number (last ascending, first descending). */
function ascending(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : 1;
  if (b !== b) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The positions 0…n−1 of each line along `d`, ordered; ties keep their order (a stable sort). */
function order(x: Tensor, d: number, descending: boolean): { outer: number; n: number; inner: number; perm: Int32Array } {
  const { outer, n, inner } = aroundDim(x.shape, d);
  const perm = new Int32Array(outer * n * inner);
  const src = x.data;
  const line: number[] = new Array(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let k = 0; k < n; k++) line[k] = k;
      const at = (k: number) => src[(o * n + k) * inner + i];
      line.sort((p, q) => (descending ? ascending(at(q), at(p)) : ascending(at(p), at(q))) || p - q);
      for (let k = 0; k < n; k++) perm[(o * n + k) * inner + i] = line[k];
    }
  }
  return { outer, n, inner, perm };
}

const SORT = defineOp("sort");
/** The first `count` positions of each line, in order: values (differentiable) and indices. */
function ordered(x: Tensor, d: number, descending: boolean, count: number, op: string): ValuesIndices {
  const { outer, n, inner, perm } = order(x, d, descending);
  const shape = [...x.shape];
  if (x.ndim > 0) shape[d] = count;
  const values = empty(shape, x.dtype);
  const indices = empty(shape, x.dtype);
  const src = x.data;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < count; k++) {
      for (let i = 0; i < inner; i++) {
        const j = perm[(o * n + k) * inner + i];
        values.data[(o * count + k) * inner + i] = src[(o * n + j) * inner + i];
        indices.data[(o * count + k) * inner + i] = j;
      }
    }
  }
  const inShape = x.shape;
  record(values, op, [x], [SAVES_STATE], (g) => {
    const gx = empty(inShape, g.dtype);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < count; k++) {
        for (let i = 0; i < inner; i++) gx.data[(o * n + indices.data[(o * count + k) * inner + i]) * inner + i] = g.data[(o * count + k) * inner + i];
      }
    }
    return [gx];
  });
  return valuesIndices(values, indices);
}

/** Sorts along `dim` (default the last): `[values, indices]`, ties in their original order. */
export function sort(x: Tensor, dim = -1, descending = false): ValuesIndices {
  const d = wrapDim(dim, x.ndim, "sort");
  return x.ndim === 0 ? scalarOrdered(x, SORT) : ordered(x, d, descending, x.shape[d], SORT);
}

/** A 0-d tensor ordered: itself at index 0 (PyTorch returns it for k = 0 as well as k = 1). */
function scalarOrdered(x: Tensor, op: string): ValuesIndices {
  const r = ordered(x.reshape(1), 0, false, 1, op);
  return valuesIndices(r.values.reshape([]), r.indices.reshape([]));
}

const TOPK = defineOp("topk");
/** The `k` largest (or smallest) values along `dim` (default the last), sorted: `[values, indices]`. */
export function topk(x: Tensor, k: number, dim = -1, largest = true): ValuesIndices {
  const d = wrapDim(dim, x.ndim, "topk");
  const size = x.ndim === 0 ? 1 : x.shape[d];
  if (!Number.isInteger(k) || k < 0 || k > size) {
    throw new RangeError(`topk: k (${k}) is out of range for dimension ${d} of size ${size} (shape ${fmt(x.shape)})`);
  }
  return x.ndim === 0 ? scalarOrdered(x, TOPK) : ordered(x, d, largest, k, TOPK);
}
