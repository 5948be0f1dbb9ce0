/**
 * The engine's WebAssembly SIMD kernels (gemm.asc.ts and adam.asc.ts, built into one module and
 * embedded as base64, so the engine stays one file with no Node-only API). Loaded lazily and
 * synchronously; anywhere it can't load (no SIMD128, a browser main thread refusing a synchronous
 * compile) every op keeps its JavaScript loop.
 *
 * Operands are copied into the module's memory for each call (contiguous copies are cheap next to
 * the work the kernels are used for), so no tensor ever lives there and nothing needs freeing.
 */
import { KERNELS_WASM } from "./kernelsBinary";

type GemmFn = (ta: number, tb: number, m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, work: number) => void;
type AdamFn = (n: number, w: number, g: number, m: number, v: number, vMax: number, flags: number, b1: number, b2: number, c1: number, c2: number, eps: number, weightDecay: number, shrink: number, stepSize: number, bc2Sqrt: number) => void;
export interface Kernels {
  gemm32: GemmFn;
  gemm64: GemmFn;
  workspaceBytes(m: number, n: number, k: number, elem: number): number;
  adam32: AdamFn;
  adam64: AdamFn;
  memory: WebAssembly.Memory;
}

let loaded: Kernels | null | undefined;
/** "auto": the WebAssembly kernels wherever they pay; "js": never (tests, comparisons). */
let mode: "auto" | "js" = "auto";

export function setKernelMode(m: "auto" | "js"): void {
  if (m !== "auto" && m !== "js") throw new RangeError(`setKernelMode: expected "auto" or "js", got ${String(m)}`);
  mode = m;
}

/** Which kernels large products and optimizer updates run on here. */
export function kernelMode(): "wasm-simd" | "js" {
  return simd() !== null ? "wasm-simd" : "js";
}

/** The kernels, or null when they are off or can't load. */
export function simd(): Kernels | null {
  if (mode === "js") return null;
  if (loaded !== undefined) return loaded;
  try {
    const bytes = Uint8Array.from(atob(KERNELS_WASM), (c) => c.charCodeAt(0));
    loaded = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Kernels;
  } catch {
    loaded = null;
  }
  return loaded;
}

/** The module's memory as bytes, grown to at least `bytes` (growing detaches earlier views). */
export function heapBytes(k: Kernels, bytes: number): ArrayBuffer {
  const have = k.memory.buffer.byteLength;
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536));
  return k.memory.buffer;
}
