/** Matrix products on the WebAssembly SIMD kernel (gemm.asc.ts), float32 and float64. */
import { heapBytes, scratchBase, simd } from "./module";
import { threadedGemm } from "./threads";

/** Products smaller than this many multiply-adds stay in JavaScript (the copies would dominate). */
const MIN_WORK = 32 * 32 * 32;

/**
 * C[m×n] += op(A)·op(B) for one batch (row-major, at the given offsets; all three float32 or all
 * float64), on the WebAssembly kernel. op(A) is m×k (A is stored k×m when `ta`), op(B) is k×n (B is
 * stored n×k when `tb`); the kernel absorbs the transposes while packing. `cStart` says what C
 * holds before: "c" its own values (copied in), "zero" only zeros (a fresh result), or a row of n
 * values repeated in every row (a bias); then the product is written over `c`. False when it
 * doesn't apply: then the caller runs the JavaScript loop (which reads C, so prepare it first).
 */
export type CStart = "c" | "zero" | Float32Array | Float64Array;
export function wasmGemm<T extends Float32Array | Float64Array>(ta: boolean, tb: boolean, a: T, aOff: number, b: T, bOff: number, c: T, cOff: number, m: number, k: number, n: number, cStart: CStart = "c"): boolean {
  if (m * k * n < MIN_WORK) return false;
  const kern = simd();
  if (kern === null) return false;
  const prepareC = (heapC: Float32Array | Float64Array) => {
    if (cStart === "zero") heapC.fill(0);
    else if (cStart === "c") heapC.set(c.subarray(cOff, cOff + m * n));
    else for (let r = 0; r < m; r++) heapC.set(cStart, r * n);
  };
  if (threadedGemm(ta, tb, a, aOff, b, bOff, c, cOff, m, k, n, prepareC)) return true;
  const wide = a instanceof Float64Array;
  const size = wide ? 8 : 4;
  const sizeA = m * k, sizeB = k * n, sizeC = m * n;
  const buffer = heapBytes(kern, (sizeA + sizeB + sizeC) * size + kern.workspaceBytes(m, n, k, size));
  if (buffer === null) return false;
  const base = scratchBase();
  const heap = wide ? new Float64Array(buffer, base, sizeA + sizeB + sizeC) : new Float32Array(buffer, base, sizeA + sizeB + sizeC);
  heap.set(a.subarray(aOff, aOff + sizeA), 0);
  heap.set(b.subarray(bOff, bOff + sizeB), sizeA);
  prepareC(heap.subarray(sizeA + sizeB));
  (wide ? kern.gemm64 : kern.gemm32)(ta ? 1 : 0, tb ? 1 : 0, m, n, k, base, ta ? m : k, base + sizeA * size, tb ? k : n, base + (sizeA + sizeB) * size, n, base + (sizeA + sizeB + sizeC) * size);
  c.set(heap.subarray(sizeA + sizeB, sizeA + sizeB + sizeC), cOff);
  return true;
}
