/** Optimizer updates (Adam/AdamW, SGD) on the WebAssembly SIMD kernels (optim.asc.ts), float32 and float64. */
import { heapBytes, Resident, resident, scratchBase, simd } from "./module";
import type { UpdateSums } from "../optim/stats";

/** Parameters smaller than this stay in JavaScript (the calls and copies would dominate). */
const MIN_SIZE = 2048;

export interface AdamStep {
  lr: number; b1: number; b2: number; eps: number; weightDecay: number; stepSize: number; bc2Sqrt: number;
  maximize: boolean; coupledDecay: boolean; decoupledDecay: boolean;
}

type Moments = Float32Array | Float64Array | Resident;

/**
 * Zeroed optimizer state (Adam's moments, SGD's momentum) for a parameter of `length` values: resident in the kernels' memory when the
 * update will run there (so only the weights and gradient are copied per step), else a typed
 * array. Freed with `holder` (the optimizer's per-parameter state).
 */
export function optimizerBuffer(length: number, wide: boolean, holder: object): Moments {
  return (length >= MIN_SIZE ? resident(length, wide, holder) : null) ?? (wide ? new Float64Array(length) : new Float32Array(length));
}

/** A moment as a typed array the JavaScript loop can index (a fresh view of a resident one). */
export function bufferValues(m: Moments): Float32Array | Float64Array {
  return m instanceof Resident ? m.view() : m;
}

/**
 * One update of w from g with moments m and v (and vMax for amsgrad), in place, computed in w's
 * dtype (other arrays are converted on the way in and out). False when it doesn't apply: then the
 * caller runs the JavaScript loop.
 */
export function wasmAdam(w: Float32Array | Float64Array, g: ArrayLike<number>, m: Moments, v: Moments, vMax: Moments | undefined, s: AdamStep, into?: UpdateSums): boolean {
  const n = w.length;
  if (n < MIN_SIZE) return false;
  const kern = simd();
  if (kern === null) return false;
  const wide = w instanceof Float64Array;
  const e = wide ? 8 : 4;
  // Scratch: w and g, then any moment that isn't resident (or is of the other dtype).
  const moments = [m, v, ...(vMax === undefined ? [] : [vMax])];
  const copied = moments.map((x) => !(x instanceof Resident && x.wide === wide && x.length === n));
  const slots = 2 + copied.filter(Boolean).length;
  const buffer = heapBytes(kern, measuredBytes(slots, n, e, into));
  const base = scratchBase();
  const heap = wide ? new Float64Array(buffer, base, slots * n) : new Float32Array(buffer, base, slots * n);
  heap.set(w, 0);
  heap.set(g, n);
  let slot = 2;
  const at = moments.map((x, i) => {
    if (!copied[i]) return (x as Resident).offset;
    heap.set(bufferValues(x), slot * n);
    return base + (slot++) * n * e;
  });
  const flags = (s.maximize ? 1 : 0) | (s.coupledDecay ? 2 : 0) | (s.decoupledDecay ? 4 : 0) | (vMax !== undefined ? 8 : 0);
  const args = [n, base, base + n * e, at[0], at[1], at[2] ?? 0, flags, s.b1, s.b2, 1 - s.b1, 1 - s.b2, s.eps, s.weightDecay, 1 - s.lr * s.weightDecay, s.stepSize, s.bc2Sqrt] as const;
  if (into === undefined) (wide ? kern.adam64 : kern.adam32)(...args);
  else {
    const [before, out] = measureSlots(base, slots, n, e);
    (wide ? kern.adamMeasured64 : kern.adamMeasured32)(...args, before, out);
    readSums(buffer, out, n, into);
  }
  w.set(heap.subarray(0, n));
  moments.forEach((x, i) => {
    if (copied[i]) bufferValues(x).set(new (wide ? Float64Array : Float32Array)(buffer, at[i], n));
  });
  return true;
}

export interface SgdStep { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; maximize: boolean; first: boolean }

/** One SGD update of w from g (with its momentum buffer, when momentum is on), in place; false when it doesn't apply. */
export function wasmSgd(w: Float32Array | Float64Array, g: ArrayLike<number>, buf: Moments | undefined, s: SgdStep, into?: UpdateSums): boolean {
  const n = w.length;
  if (n < MIN_SIZE) return false;
  const kern = simd();
  if (kern === null) return false;
  const wide = w instanceof Float64Array;
  const e = wide ? 8 : 4;
  const copied = buf !== undefined && !(buf instanceof Resident && buf.wide === wide && buf.length === n);
  const slots = 2 + (copied ? 1 : 0);
  const buffer = heapBytes(kern, measuredBytes(slots, n, e, into));
  const base = scratchBase();
  const heap = wide ? new Float64Array(buffer, base, slots * n) : new Float32Array(buffer, base, slots * n);
  heap.set(w, 0);
  heap.set(g, n);
  if (copied) heap.set(bufferValues(buf!), 2 * n);
  const at = buf === undefined ? 0 : copied ? base + 2 * n * e : (buf as Resident).offset;
  const flags = (s.maximize ? 1 : 0) | (s.weightDecay !== 0 ? 2 : 0) | (buf !== undefined ? 4 : 0) | (s.first ? 8 : 0) | (s.nesterov ? 16 : 0);
  if (into === undefined) (wide ? kern.sgd64 : kern.sgd32)(n, base, base + n * e, at, flags, s.lr, s.momentum, 1 - s.dampening, s.weightDecay);
  else {
    const [before, out] = measureSlots(base, slots, n, e);
    (wide ? kern.sgdMeasured64 : kern.sgdMeasured32)(n, base, base + n * e, at, flags, s.lr, s.momentum, 1 - s.dampening, s.weightDecay, before, out);
    readSums(buffer, out, n, into);
  }
  w.set(heap.subarray(0, n));
  if (copied) bufferValues(buf!).set(heap.subarray(2 * n, 3 * n));
  return true;
}

// Measuring a traced update (see engine/optim/stats.ts): past the update's `slots` arrays of n
// values, room for one block of weights as they were before it (the kernel measures block by
// block), then six float64 sums.
const MEASURE_BLOCK = 1024;
function measuredBytes(slots: number, n: number, e: number, into: UpdateSums | undefined): number {
  return into === undefined ? slots * n * e : measureSlots(0, slots, n, e)[1] + 48;
}
function measureSlots(base: number, slots: number, n: number, e: number): [before: number, out: number] {
  const before = base + ((slots * n * e + 15) & ~15);
  return [before, before + MEASURE_BLOCK * e];
}
function readSums(buffer: ArrayBuffer, out: number, n: number, into: UpdateSums): void {
  const sums = new Float64Array(buffer, out, 6);
  into.gradSq = sums[0];
  into.gradAbsSum = sums[1];
  into.gradAbsMax = sums[2];
  into.gradNonFinite = sums[3];
  into.gradCount = n;
  into.weightSq = sums[4];
  into.updateSq = sums[5];
}
