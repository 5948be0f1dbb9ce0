/** Shape ops. reshape/view/squeeze/unsqueeze share storage; the rest copy (storage is always contiguous). */
import { broadcastIndex, fmt, numel, sizesFrom, stridesOf, wrapDim } from "../shape";
import { Tensor } from "../tensor";
import { checkTensor, defineOp, empty, make, record } from "./record";

const RESHAPE = defineOp("reshape");
export function reshape(x: Tensor, args: readonly (number | readonly number[])[], op: string): Tensor {
  const shape = sizesFrom(args, op);
  const size = x.numel();
  const infer = shape.indexOf(-1);
  if (infer !== shape.lastIndexOf(-1)) throw new RangeError(`${op}: only one dimension can be inferred, got ${fmt(shape)}`);
  if (infer >= 0) {
    const known = shape.reduce((p, s) => (s === -1 ? p : p * s), 1);
    if (known === 0 || size % known !== 0) throw new RangeError(`${op}: shape ${fmt(shape)} is invalid for input of size ${size}`);
    shape[infer] = size / known;
  }
  if (numel(shape) !== size) throw new RangeError(`${op}: shape ${fmt(shape)} is invalid for input of size ${size}`);
  const out = new Tensor(x.storage, shape, x.dtype);
  const inShape = x.shape;
  return record(out, RESHAPE, [x], [], (g) => [g.reshape(inShape)]);
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshape(x, [x.shape.filter((s) => s !== 1)], "squeeze");
  const d = wrapDim(dim, x.ndim, "squeeze");
  if (x.ndim === 0 || x.shape[d] !== 1) return reshape(x, [x.shape], "squeeze");
  return reshape(x, [x.shape.filter((_, i) => i !== d)], "squeeze");
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = wrapDim(dim, x.ndim + 1, "unsqueeze");
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, [shape], "unsqueeze");
}

/** Copies x into the layout given by permuting its dimensions. */
function permuteRaw(x: Tensor, perm: readonly number[]): Tensor {
  const rank = x.ndim;
  const outShape = perm.map((p) => x.shape[p]);
  const out = empty(outShape, x.dtype);
  const inStrides = stridesOf(x.shape);
  const strides = perm.map((p) => inStrides[p]);
  const src = x.data, dst = out.data;
  if (rank === 2) {
    const [r, c] = outShape, [s0, s1] = strides;
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) dst[i * c + j] = src[i * s0 + j * s1];
    return out;
  }
  const last = outShape[rank - 1];
  if (perm[rank - 1] === rank - 1 && last >= 4) {
    // The last dimension stays last: copy whole runs of it, walking only the leading dimensions.
    const counter = new Array<number>(rank - 1).fill(0);
    let from = 0;
    for (let to = 0; to < dst.length; to += last) {
      for (let j = 0; j < last; j++) dst[to + j] = src[from + j];
      for (let d = rank - 2; d >= 0; d--) {
        counter[d]++;
        from += strides[d];
        if (counter[d] < outShape[d]) break;
        from -= strides[d] * counter[d];
        counter[d] = 0;
      }
    }
    return out;
  }
  const counter = new Array<number>(rank).fill(0);
  let idx = 0;
  for (let flat = 0; flat < dst.length; flat++) {
    dst[flat] = src[idx];
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      idx += strides[d];
      if (counter[d] < outShape[d]) break;
      idx -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
  return out;
}

const PERMUTE = defineOp("permute");
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const rank = x.ndim;
  const perm = dims.map((d) => wrapDim(d, rank, "permute"));
  if (perm.length !== rank || new Set(perm).size !== rank) {
    throw new RangeError(`permute: dims ${fmt(dims)} are not a permutation of the ${rank} dimensions of a tensor of shape ${fmt(x.shape)}`);
  }
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return record(permuteRaw(x, perm), PERMUTE, [x], [], (g) => [g.permute(inverse)]);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const rank = x.ndim;
  // Rank < 2: a new tensor all the same (PyTorch returns a view, never `x` itself: hooks and
  // isLeaf must see a different tensor).
  if (rank < 2) return permute(x, x.shape.map((_, i) => i));
  const a = wrapDim(dim0, rank, "transpose"), b = wrapDim(dim1, rank, "transpose");
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new RangeError(`t: expects a tensor with at most 2 dimensions, got shape ${fmt(x.shape)}; use transpose(dim0, dim1)`);
  return x.ndim < 2 ? transpose(x, 0, 0) : permute(x, [1, 0]);
}

const EXPAND = defineOp("expand");
export function expand(x: Tensor, args: readonly (number | readonly number[])[]): Tensor {
  const sizes = sizesFrom(args, "expand");
  if (sizes.length < x.ndim) {
    throw new RangeError(`expand: the number of sizes (${sizes.length}) must be at least the number of dimensions of shape ${fmt(x.shape)}`);
  }
  const offset = sizes.length - x.ndim;
  const shape = sizes.map((s, i) => {
    const cur = i >= offset ? x.shape[i - offset] : 1;
    const want = s === -1 ? cur : s;
    if (s === -1 && i < offset) throw new RangeError(`expand: -1 is not allowed in a new leading dimension (sizes ${fmt(sizes)})`);
    if (cur !== want && cur !== 1) {
      throw new RangeError(`expand: the size of shape ${fmt(x.shape)} at dimension ${i - offset} (${cur}) must match ${want}, or be 1`);
    }
    return want;
  });
  if (shape.length === x.ndim && shape.every((s, i) => s === x.shape[i])) {
    // Same shape: a new tensor, not `x` itself (as PyTorch's view).
    return record(make(x.data.slice(), x.shape, x.dtype), EXPAND, [x], [], (g) => [g]);
  }
  const out = empty(shape, x.dtype);
  const map = broadcastIndex(x.shape, shape);
  const src = x.data, dst = out.data;
  for (let i = 0; i < dst.length; i++) dst[i] = src[map[i]];
  const inShape = x.shape;
  return record(out, EXPAND, [x], [], (g) => {
    const gx = empty(inShape, g.dtype);
    for (let i = 0; i < map.length; i++) gx.data[map[i]] += g.data[i];
    return [gx];
  });
}

const CAT = defineOp("cat");
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!isArrayOf(tensors) || tensors.length === 0) throw new TypeError("cat: expected a non-empty array of tensors");
  tensors.forEach((t, i) => {
    checkTensor(t, "cat", `tensors[${i}]`);
    if (t.ndim === 0) throw new RangeError(`cat: zero-dimensional tensor (at position ${i}) cannot be concatenated`);
  });
  // As PyTorch (legacy behaviour): 1-D empty tensors are skipped, whatever the others' shape.
  const skipped = (t: Tensor) => t.ndim === 1 && t.shape[0] === 0;
  const first = tensors.find((t) => !skipped(t)) ?? tensors[0];
  const d = wrapDim(dim, first.ndim, "cat");
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    if (skipped(t) && t !== first) continue;
    if (t.ndim !== first.ndim || t.shape.some((s, j) => j !== d && s !== first.shape[j])) {
      throw new RangeError(`cat: tensors must have the same shape except in dimension ${d}; got ${fmt(first.shape)} and ${fmt(t.shape)} at position ${i}`);
    }
  }
  const dtype = tensors.some((t) => t.dtype === "float64") ? "float64" : "float32";
  const sizes = tensors.map((t) => (skipped(t) && t !== first ? 0 : t.shape[d]));
  const total = sizes.reduce((a, b) => a + b, 0);
  const shape = [...first.shape];
  shape[d] = total;
  let outer = 1, inner = 1;
  for (let i = 0; i < d; i++) outer *= shape[i];
  for (let i = d + 1; i < shape.length; i++) inner *= shape[i];
  const out = empty(shape, dtype);
  let at = 0;
  tensors.forEach((t, i) => {
    const n = sizes[i] * inner;
    if (n > 0) for (let o = 0; o < outer; o++) out.data.set(t.data.subarray(o * n, o * n + n), o * total * inner + at * inner);
    at += sizes[i];
  });
  return record(out, CAT, tensors, [], (g) => {
    let start = 0;
    return tensors.map((t, i) => {
      if (skipped(t) && t !== first) return t.zerosLike();
      const gi = g.slice(d, start, start + sizes[i]).to(t.dtype);
      start += sizes[i];
      return gi;
    });
  });
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!isArrayOf(tensors) || tensors.length === 0) throw new TypeError("stack: expected a non-empty array of tensors");
  const first = checkTensor(tensors[0], "stack", "tensors[0]");
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    checkTensor(t, "stack", `tensors[${i}]`);
    if (t.shape.length !== first.shape.length || t.shape.some((s, j) => s !== first.shape[j])) {
      throw new RangeError(`stack: expects each tensor to be equal size, but got ${fmt(first.shape)} at position 0 and ${fmt(t.shape)} at position ${i}`);
    }
  }
  const d = wrapDim(dim, first.ndim + 1, "stack");
  return cat(tensors.map((t) => t.unsqueeze(d)), d);
}

// Array.isArray would narrow a readonly array to any[]; keep the element type.
function isArrayOf<T>(x: readonly T[]): boolean {
  return Array.isArray(x);
}
