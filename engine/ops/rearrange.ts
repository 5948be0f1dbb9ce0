/**
 * Ops that move or repeat elements: flip, roll, repeat, tril/triu, chunk/split.
 * Each output element reads one input element, so forward is a gather through an index map and
 * backward scatters (adding, for repeat) back through the same map.
 */
import { fmt, numel, stridesOf, wrapDim } from "../shape";
import { Tensor } from "../tensor";
import { defineOp, empty, record } from "./record";
import { slice } from "./indexing";

/** out[i] = x[map[i]]; the gradient goes back through the same map. */
function throughMap(x: Tensor, shape: readonly number[], map: Int32Array, name: string): Tensor {
  const out = empty(shape, x.dtype);
  const o = out.data, d = x.data;
  for (let i = 0; i < o.length; i++) o[i] = d[map[i]];
  const inShape = x.shape;
  // The map is structure (like a shape), not a saved tensor: a second backward is allowed, as PyTorch's.
  return record(out, name, [x], [], (g) => {
    const gx = empty(inShape, g.dtype);
    const gd = g.data, out = gx.data;
    for (let i = 0; i < gd.length; i++) out[map[i]] += gd[i];
    return [gx];
  });
}

/** For every position of `shape`, the input offset `source(coords)` computes. */
function mapOver(shape: readonly number[], source: (coords: number[]) => number): Int32Array {
  const n = numel(shape);
  const map = new Int32Array(n);
  const coords = new Array<number>(shape.length).fill(0);
  for (let at = 0; at < n; at++) {
    map[at] = source(coords);
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++coords[k] < shape[k]) break;
      coords[k] = 0;
    }
  }
  return map;
}

function uniqueDims(dims: number | readonly number[], rank: number, op: string): number[] {
  const list = (typeof dims === "number" ? [dims] : [...dims]).map((d) => wrapDim(d, rank, op));
  if (new Set(list).size !== list.length) throw new RangeError(`${op}: dims ${fmt(list)} has a dimension more than once`);
  return list;
}

const FLIP = defineOp("flip");
/** Reverses the order of elements along each of `dims`. */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const flipped = new Set(uniqueDims(dims, x.ndim, "flip"));
  const strides = stridesOf(x.shape);
  const map = mapOver(x.shape, (c) => c.reduce((off, v, k) => off + (flipped.has(k) ? x.shape[k] - 1 - v : v) * strides[k], 0));
  return throughMap(x, x.shape, map, FLIP);
}

const ROLL = defineOp("roll");
/**
 * Shifts elements along `dims` by `shifts`, wrapping around. With no dims the tensor is rolled
 * as if flattened, then takes its shape back (as PyTorch).
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  const shiftList = typeof shifts === "number" ? [shifts] : [...shifts];
  if (shiftList.some((s) => !Number.isInteger(s))) throw new TypeError(`roll: shifts must be integers, got ${fmt(shiftList)}`);
  if (dims === undefined) {
    if (shiftList.length !== 1) throw new RangeError(`roll: with no dims, shifts must be one number, got ${fmt(shiftList)}`);
    const n = x.numel();
    const s = n === 0 ? 0 : ((shiftList[0] % n) + n) % n;
    const map = new Int32Array(n);
    for (let i = 0; i < n; i++) map[i] = (i - s + n) % n;
    return throughMap(x, x.shape, map, ROLL);
  }
  const dimList = typeof dims === "number" ? [dims] : [...dims];
  if (dimList.length !== shiftList.length) throw new RangeError(`roll: shifts (${shiftList.length}) and dims (${dimList.length}) must have the same length`);
  const ds = dimList.map((d) => wrapDim(d, x.ndim, "roll"));
  const shift = new Array<number>(x.ndim).fill(0);
  ds.forEach((d, i) => (shift[d] += shiftList[i]));
  const strides = stridesOf(x.shape);
  const map = mapOver(x.shape, (c) => c.reduce((off, v, k) => {
    const size = x.shape[k];
    return off + (((v - shift[k]) % size) + size) % size * strides[k];
  }, 0));
  return throughMap(x, x.shape, map, ROLL);
}

const REPEAT = defineOp("repeat");
/** Tiles the tensor: `repeats[i]` copies along each dimension (extra leading repeats add dimensions). */
export function repeat(x: Tensor, repeats: readonly number[]): Tensor {
  if (repeats.some((r) => !Number.isInteger(r) || r < 0)) throw new RangeError(`repeat: repeats must be non-negative integers, got ${fmt(repeats)}`);
  if (repeats.length < x.ndim) {
    throw new RangeError(`repeat: the number of repeats (${repeats.length}) can not be smaller than the number of dimensions of the tensor (${x.ndim})`);
  }
  const lead = repeats.length - x.ndim;
  const inShape = [...new Array<number>(lead).fill(1), ...x.shape];
  const shape = inShape.map((s, i) => s * repeats[i]);
  const strides = stridesOf(inShape);
  const map = mapOver(shape, (c) => c.reduce((off, v, k) => off + (v % inShape[k]) * strides[k], 0));
  return throughMap(x, shape, map, REPEAT);
}

function triangle(x: Tensor, diagonal: number, lower: boolean, name: string, op: string): Tensor {
  // PyTorch lets an empty tensor of any rank through (there is nothing to mask).
  if (x.ndim < 2 && x.numel() === 0) return record(empty(x.shape, x.dtype), name, [x], [], (g) => [g.zerosLike()]);
  if (x.ndim < 2) throw new RangeError(`${op}: input tensor must have at least 2 dimensions, got shape ${fmt(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new TypeError(`${op}: diagonal must be an integer, got ${diagonal}`);
  const rows = x.shape[x.ndim - 2], cols = x.shape[x.ndim - 1];
  const keep = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) keep[r * cols + c] = (lower ? c - r <= diagonal : c - r >= diagonal) ? 1 : 0;
  const masked = (t: Tensor): Tensor => {
    const out = empty(t.shape, t.dtype);
    const o = out.data, d = t.data, m = keep.length;
    for (let i = 0; i < o.length; i++) o[i] = keep[i % m] === 1 ? d[i] : 0;
    return out;
  };
  return record(masked(x), name, [x], [], (g) => [masked(g)]);
}

const TRIL = defineOp("tril");
/** The lower triangle of the last two dimensions (on and below `diagonal`); zeros elsewhere. */
export function tril(x: Tensor, diagonal = 0): Tensor { return triangle(x, diagonal, true, TRIL, "tril"); }

const TRIU = defineOp("triu");
/** The upper triangle of the last two dimensions (on and above `diagonal`); zeros elsewhere. */
export function triu(x: Tensor, diagonal = 0): Tensor { return triangle(x, diagonal, false, TRIU, "triu"); }

/** Splits along `dim` into pieces of `size` (the last may be smaller) or of the listed sizes. */
export function split(x: Tensor, sizes: number | readonly number[], dim = 0): Tensor[] {
  if (x.ndim === 0) throw new RangeError("split: cannot split a 0-dim tensor");
  const d = wrapDim(dim, x.ndim, "split");
  const length = x.shape[d];
  let pieces: number[];
  if (typeof sizes === "number") {
    if (!Number.isInteger(sizes) || sizes < 0 || (sizes === 0 && length > 0)) throw new RangeError(`split: split size must be a positive integer, got ${sizes}`);
    pieces = [];
    for (let at = 0; at < length; at += sizes) pieces.push(Math.min(sizes, length - at));
    if (pieces.length === 0) pieces.push(0);
  } else {
    pieces = [...sizes];
    const total = pieces.reduce((a, b) => a + b, 0);
    if (pieces.some((s) => !Number.isInteger(s) || s < 0) || total !== length) {
      throw new RangeError(`split: split sizes ${fmt(pieces)} must be non-negative integers summing exactly to the size of dimension ${d} (${length})`);
    }
  }
  let start = 0;
  return pieces.map((n) => {
    const piece = slice(x, d, start, start + n);
    start += n;
    return piece;
  });
}

/** `chunks` pieces along `dim` of ⌈size/chunks⌉ each (fewer when the size runs out), as PyTorch. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  if (x.ndim === 0) throw new RangeError("chunk: cannot chunk a 0-dim tensor");
  const d = wrapDim(dim, x.ndim, "chunk");
  const size = Math.ceil(x.shape[d] / chunks);
  if (size === 0) return new Array(chunks).fill(0).map(() => slice(x, d, 0, 0));
  return split(x, size, d);
}
