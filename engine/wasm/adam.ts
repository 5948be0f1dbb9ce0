/** The Adam/AdamW update on the WebAssembly SIMD kernel (adam.asc.ts), float32 and float64. */
import { heapBytes, simd } from "./module";

/** Parameters smaller than this stay in JavaScript (the copies would dominate). */
const MIN_SIZE = 2048;

export interface AdamStep {
  lr: number; b1: number; b2: number; eps: number; weightDecay: number; stepSize: number; bc2Sqrt: number;
  maximize: boolean; coupledDecay: boolean; decoupledDecay: boolean;
}

/**
 * One update of w from g with moments m and v (and vMax for amsgrad), in place, computed in w's
 * dtype (other arrays are converted on the way in and out).
 * False when it doesn't apply: then the caller runs the JavaScript loop.
 */
export function wasmAdam(w: Float32Array | Float64Array, g: ArrayLike<number>, m: Float32Array | Float64Array, v: Float32Array | Float64Array, vMax: Float32Array | Float64Array | undefined, s: AdamStep): boolean {
  const n = w.length;
  if (n < MIN_SIZE) return false;
  const kern = simd();
  if (kern === null) return false;
  const wide = w instanceof Float64Array;
  const arrays = vMax === undefined ? 4 : 5;
  const buffer = heapBytes(kern, arrays * n * (wide ? 8 : 4));
  const heap = wide ? new Float64Array(buffer, 0, arrays * n) : new Float32Array(buffer, 0, arrays * n);
  heap.set(w, 0);
  heap.set(g, n);
  heap.set(m, 2 * n);
  heap.set(v, 3 * n);
  if (vMax !== undefined) heap.set(vMax, 4 * n);
  const flags = (s.maximize ? 1 : 0) | (s.coupledDecay ? 2 : 0) | (s.decoupledDecay ? 4 : 0) | (vMax !== undefined ? 8 : 0);
  const e = wide ? 8 : 4;
  (wide ? kern.adam64 : kern.adam32)(n, 0, n * e, 2 * n * e, 3 * n * e, 4 * n * e, flags, s.b1, s.b2, 1 - s.b1, 1 - s.b2, s.eps, s.weightDecay, 1 - s.lr * s.weightDecay, s.stepSize, s.bc2Sqrt);
  w.set(heap.subarray(0, n));
  m.set(heap.subarray(2 * n, 3 * n));
  v.set(heap.subarray(3 * n, 4 * n));
  if (vMax !== undefined) vMax.set(heap.subarray(4 * n, 5 * n));
  return true;
}
