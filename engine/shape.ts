/** Shape arithmetic shared by every op: sizes, strides, broadcasting, dimension wrapping. */
export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  return strides;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Wraps a possibly negative dimension index into [0, rank), naming the op on error. */
export function wrapDim(dim: number, rank: number, op: string): number {
  const r = Math.max(rank, 1);
  if (!Number.isInteger(dim) || dim < -r || dim >= r) {
    throw new RangeError(`${op}: dimension ${dim} is out of range for a tensor of rank ${rank} (expected ${-r} to ${r - 1})`);
  }
  return dim < 0 ? dim + r : dim;
}

export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast (size ${da} vs ${db} at dimension ${i - rank})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For each element of a tensor of shape `outShape`, the flat index of the element of a
 * tensor of shape `inShape` that broadcasts onto it.
 */
export function broadcastIndex(inShape: Shape, outShape: Shape): Int32Array {
  const size = numel(outShape);
  const map = new Int32Array(size);
  const rank = outShape.length;
  const offset = rank - inShape.length;
  const inStrides = stridesOf(inShape);
  const strides = new Array<number>(rank).fill(0);
  for (let i = 0; i < inShape.length; i++) strides[i + offset] = inShape[i] === 1 ? 0 : inStrides[i];
  const counter = new Array<number>(rank).fill(0);
  let idx = 0;
  for (let flat = 0; flat < size; flat++) {
    map[flat] = idx;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      idx += strides[d];
      if (counter[d] < outShape[d]) break;
      idx -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
  return map;
}

/** Normalises `(2, 3)` or `([2, 3])` style size arguments. */
export function sizesFrom(args: readonly (number | readonly number[])[], op: string): number[] {
  const flat = args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly number[]) : (args as readonly number[]);
  flat.forEach((s, i) => {
    if (typeof s !== "number" || !Number.isInteger(s) || s < -1) {
      const what = typeof s === "string" ? `the string "${s}"` : typeof s === "number" ? String(s) : typeof s;
      throw new TypeError(`${op}: sizes must be non-negative integers, got ${what} at position ${i}`);
    }
  });
  return [...flat];
}

/** A tensor seen as [outer, n, inner] around `dim`: the layout every per-dimension kernel walks. */
export function aroundDim(shape: Shape, dim: number): { outer: number; n: number; inner: number } {
  let outer = 1, inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i];
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, n: shape[dim] ?? 1, inner };
}
