/**
 * Matrix products on WebAssembly SIMD (gemm.asc.ts: float32 and float64), when the platform has it: inputs
 * are copied into the module's memory, multiplied there, and the result copied out. Loaded lazily
 * and synchronously; anywhere it can't load (no SIMD128, a browser main thread refusing a
 * synchronous compile) the JavaScript kernel is used instead. No Node-only API.
 */
import { GEMM_WASM } from "./gemmBinary";

interface Kernel {
  gemm(a: number, b: number, c: number, m: number, k: number, n: number): void;
  gemm64(a: number, b: number, c: number, m: number, k: number, n: number): void;
  memory: WebAssembly.Memory;
}

let kernel: Kernel | null | undefined;
/** "auto": the WebAssembly kernel for float32 products it pays for; "js": never (tests, comparisons). */
let mode: "auto" | "js" = "auto";

export function setMatmulKernel(m: "auto" | "js"): void {
  mode = m;
}

/** Which kernel large float32 products run on here. */
export function matmulKernel(): "wasm-simd" | "js" {
  return mode === "auto" && load() !== null ? "wasm-simd" : "js";
}

function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = Uint8Array.from(atob(GEMM_WASM), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    kernel = instance.exports as unknown as Kernel;
  } catch {
    kernel = null;
  }
  return kernel;
}

/** Products smaller than this many multiply-adds stay in JavaScript (the copies would dominate). */
const MIN_WORK = 32 * 32 * 32;

/**
 * C += A·B for one batch (row-major, at the given offsets; all three float32 or all float64), on
 * the WebAssembly kernel. False when it doesn't apply (then the caller runs the JavaScript loop).
 */
export function wasmGemm<T extends Float32Array | Float64Array>(a: T, aOff: number, b: T, bOff: number, c: T, cOff: number, m: number, k: number, n: number): boolean {
  if (mode === "js" || m * k * n < MIN_WORK) return false;
  const kern = load();
  if (kern === null) return false;
  const wide = a instanceof Float64Array;
  const size = wide ? 8 : 4;
  const sizeA = m * k, sizeB = k * n, sizeC = m * n;
  const bytes = (sizeA + sizeB + sizeC) * size;
  const have = kern.memory.buffer.byteLength;
  if (have < bytes) kern.memory.grow(Math.ceil((bytes - have) / 65536));
  const heap = wide ? new Float64Array(kern.memory.buffer, 0, sizeA + sizeB + sizeC) : new Float32Array(kern.memory.buffer, 0, sizeA + sizeB + sizeC);
  heap.set(a.subarray(aOff, aOff + sizeA), 0);
  heap.set(b.subarray(bOff, bOff + sizeB), sizeA);
  heap.set(c.subarray(cOff, cOff + sizeC), sizeA + sizeB);
  (wide ? kern.gemm64 : kern.gemm)(0, sizeA * size, (sizeA + sizeB) * size, m, k, n);
  c.set(heap.subarray(sizeA + sizeB, sizeA + sizeB + sizeC), cOff);
  return true;
}
