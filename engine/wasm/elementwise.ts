/** relu and its gradient (float32 and float64) and tanh (float32) on the WebAssembly SIMD kernels (elementwise.asc.ts). */
import { Data } from "../dtype";
import { heapBytes, Kernels, scratchBase, simd } from "./module";

/** Fewer values than this stay in JavaScript (the copies would dominate a select). */
const MIN_SIZE = 4096;
/** tanh costs enough per value to pay for the copies much sooner. */
const MIN_TANH = 256;

/** The kernel for these arrays of n values (all float32 or all float64) and its scratch, or null below `min` values. */
function prepare(arrays: Data[], n: number, min = MIN_SIZE): { k: Kernels; heap: Float32Array | Float64Array; wide: boolean; base: number; e: number } | null {
  if (n < min) return null;
  const wide = arrays[0] instanceof Float64Array;
  if (arrays.some((a) => (a instanceof Float64Array) !== wide)) return null;
  const kern = simd();
  if (kern === null) return null;
  const e = wide ? 8 : 4;
  const buffer = heapBytes(kern, arrays.length * n * e);
  if (buffer === null) return null;
  const base = scratchBase();
  return { k: kern, heap: wide ? new Float64Array(buffer, base, arrays.length * n) : new Float32Array(buffer, base, arrays.length * n), wide, base, e };
}

/** out = max(x, 0); false when it doesn't apply (the caller loops in JavaScript). */
export function wasmRelu(x: Data, out: Data): boolean {
  const n = x.length;
  const s = prepare([x, out], n);
  if (s === null) return false;
  s.heap.set(x, 0);
  (s.wide ? s.k.relu64 : s.k.relu32)(n, s.base, s.base + n * s.e);
  out.set(s.heap.subarray(n, 2 * n));
  return true;
}

/** out = g where y > 0 or y is NaN, else 0; false when it doesn't apply. */
export function wasmReluGrad(g: Data, y: Data, out: Data): boolean {
  const n = y.length;
  const s = prepare([g, y, out], n);
  if (s === null) return false;
  s.heap.set(g, 0);
  s.heap.set(y, n);
  (s.wide ? s.k.reluGrad64 : s.k.reluGrad32)(n, s.base, s.base + n * s.e, s.base + 2 * n * s.e);
  out.set(s.heap.subarray(2 * n, 3 * n));
  return true;
}

/** float32 tanh (within 2 ulp; see tanh32); false when it doesn't apply (float64 always loops in JavaScript). */
export function wasmTanh(x: Data, out: Data): boolean {
  if (!(x instanceof Float32Array)) return false;
  const n = x.length;
  const s = prepare([x, out], n, MIN_TANH);
  if (s === null) return false;
  s.heap.set(x, 0);
  s.k.tanh32(n, s.base, s.base + n * 4);
  out.set(s.heap.subarray(n, 2 * n));
  return true;
}
