/** Optimizer updates (Adam/AdamW, SGD) on the WebAssembly SIMD kernels (optim.asc.ts), float32 and float64. */
import { heapBytes, Kernels, Resident, resident, scratchBase, simd } from "./module";
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

/** Where a staged update's arrays are in the kernels' memory, and (when measured) where its sums go. */
interface Staged { wide: boolean; w: number; g: number; states: number[]; sums: number | null }

/**
 * Stages an update for a kernel: w and g copied into scratch, each state array used in place when
 * resident (else copied in too), `run` called with the addresses, then w (and copied state) copied
 * back and the measured sums read into `into`. False when it doesn't apply: the caller runs the
 * JavaScript loop.
 */
function staged(w: Float32Array | Float64Array, g: ArrayLike<number>, states: Moments[], into: UpdateSums | undefined, run: (k: Kernels, at: Staged) => void): boolean {
  const n = w.length;
  if (n < MIN_SIZE) return false;
  const kern = simd();
  if (kern === null) return false;
  const wide = w instanceof Float64Array;
  const e = wide ? 8 : 4;
  const copied = states.map((x) => !(x instanceof Resident && x.wide === wide && x.length === n));
  const slots = 2 + copied.filter(Boolean).length;
  // The arrays, then (when measured) the six float64 sums.
  const sumsAt = (slots * n * e + 15) & ~15;
  const buffer = heapBytes(kern, into === undefined ? slots * n * e : sumsAt + 48);
  if (buffer === null) return false;
  const base = scratchBase();
  const heap = wide ? new Float64Array(buffer, base, slots * n) : new Float32Array(buffer, base, slots * n);
  heap.set(w, 0);
  heap.set(g, n);
  let slot = 2;
  const at = states.map((x, i) => {
    if (!copied[i]) return (x as Resident).offset;
    heap.set(bufferValues(x), slot * n);
    return base + (slot++) * n * e;
  });
  run(kern, { wide, w: base, g: base + n * e, states: at, sums: into === undefined ? null : base + sumsAt });
  if (into !== undefined) readSums(buffer, base + sumsAt, n, into);
  w.set(heap.subarray(0, n));
  states.forEach((x, i) => {
    if (copied[i]) bufferValues(x).set(new (wide ? Float64Array : Float32Array)(buffer, at[i], n));
  });
  return true;
}

/**
 * One Adam/AdamW update of w from g with moments m and v (and vMax for amsgrad), in place, in w's
 * dtype (other arrays are converted on the way in and out); measured into `into` when given.
 */
export function wasmAdam(w: Float32Array | Float64Array, g: ArrayLike<number>, m: Moments, v: Moments, vMax: Moments | undefined, s: AdamStep, into?: UpdateSums): boolean {
  const flags = (s.maximize ? 1 : 0) | (s.coupledDecay ? 2 : 0) | (s.decoupledDecay ? 4 : 0) | (vMax !== undefined ? 8 : 0);
  return staged(w, g, vMax === undefined ? [m, v] : [m, v, vMax], into, (k, at) => {
    const args = [w.length, at.w, at.g, at.states[0], at.states[1], at.states[2] ?? 0, flags, s.b1, s.b2, 1 - s.b1, 1 - s.b2, s.eps, s.weightDecay, 1 - s.lr * s.weightDecay, s.stepSize, s.bc2Sqrt] as const;
    if (at.sums === null) (at.wide ? k.adam64 : k.adam32)(...args);
    else (at.wide ? k.adamMeasured64 : k.adamMeasured32)(...args, at.sums);
  });
}

export interface SgdStep { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; maximize: boolean; first: boolean }

/** One SGD update of w from g (with its momentum buffer, when momentum is on), in place; measured into `into` when given. */
export function wasmSgd(w: Float32Array | Float64Array, g: ArrayLike<number>, buf: Moments | undefined, s: SgdStep, into?: UpdateSums): boolean {
  const flags = (s.maximize ? 1 : 0) | (s.weightDecay !== 0 ? 2 : 0) | (buf !== undefined ? 4 : 0) | (s.first ? 8 : 0) | (s.nesterov ? 16 : 0);
  return staged(w, g, buf === undefined ? [] : [buf], into, (k, at) => {
    const args = [w.length, at.w, at.g, at.states[0] ?? 0, flags, s.lr, s.momentum, 1 - s.dampening, s.weightDecay] as const;
    if (at.sums === null) (at.wide ? k.sgd64 : k.sgd32)(...args);
    else (at.wide ? k.sgdMeasured64 : k.sgdMeasured32)(...args, at.sums);
  });
}

/** A measured update's sums (see engine/optim/stats.ts), six float64 at `out`, into `into`. */
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
