/**
 * The engine's WebAssembly SIMD kernels (gemm.asc.ts, optim.asc.ts, elementwise.asc.ts, built into one
 * module and embedded as base64, so the engine stays one file with no Node-only API). Loaded lazily and
 * synchronously; anywhere it can't load (no SIMD128, a browser main thread refusing a synchronous
 * compile) every op keeps its JavaScript loop.
 *
 * Operands are copied into the module's memory for each call (contiguous copies are cheap next to
 * the work the kernels are used for), so no tensor lives there; only optimizer moments stay
 * resident, freed when their optimizer state is collected.
 */
import { KERNELS_FUSED_WASM, KERNELS_WASM } from "./kernelsBinary";

type GemmFn = (ta: number, tb: number, m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, work: number) => void;
type AdamFn = (n: number, w: number, g: number, m: number, v: number, vMax: number, flags: number, b1: number, b2: number, c1: number, c2: number, eps: number, weightDecay: number, shrink: number, stepSize: number, bc2Sqrt: number) => void;
export interface Kernels {
  gemm32: GemmFn;
  gemm64: GemmFn;
  workspaceBytes(m: number, n: number, k: number, elem: number): number;
  adam32: AdamFn;
  adam64: AdamFn;
  sgd32(n: number, w: number, g: number, buf: number, flags: number, lr: number, momentum: number, keep: number, weightDecay: number): void;
  sgd64(n: number, w: number, g: number, buf: number, flags: number, lr: number, momentum: number, keep: number, weightDecay: number): void;
  sgdMeasured32(n: number, w: number, g: number, buf: number, flags: number, lr: number, momentum: number, keep: number, weightDecay: number, out: number): void;
  sgdMeasured64(n: number, w: number, g: number, buf: number, flags: number, lr: number, momentum: number, keep: number, weightDecay: number, out: number): void;
  adamMeasured32(...args: [...Parameters<AdamFn>, number]): void;
  adamMeasured64(...args: [...Parameters<AdamFn>, number]): void;
  relu32(n: number, x: number, out: number): void;
  relu64(n: number, x: number, out: number): void;
  reluGrad32(n: number, g: number, y: number, out: number): void;
  reluGrad64(n: number, g: number, y: number, out: number): void;
  tanh32(n: number, x: number, out: number): void;
  memory: WebAssembly.Memory;
}

let loaded: Kernels | null | undefined;
/** "auto": the WebAssembly kernels wherever they pay; "js": never (tests, comparisons). */
let mode: "auto" | "js" = "auto";

export function setKernelMode(m: "auto" | "js"): void {
  if (m !== "auto" && m !== "js") throw new RangeError(`setKernelMode: expected "auto" or "js", got ${String(m)}`);
  mode = m;
}

/**
 * Which kernels large products and optimizer updates run on here: "wasm-simd-fused" where the
 * runtime has WebAssembly relaxed SIMD (float32 products then use its fused multiply-add).
 */
export function kernelMode(): "wasm-simd" | "wasm-simd-fused" | "js" {
  return simd() === null ? "js" : fused ? "wasm-simd-fused" : "wasm-simd";
}

/** The kernels, or null when they are off or can't load. */
export function simd(): Kernels | null {
  return mode === "js" ? null : instance();
}

/** A module from its embedded base64 (kernelsBinary.ts), compiled synchronously. */
export function embeddedModule(base64: string): WebAssembly.Module {
  return new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
}

/** Whether the loaded kernels are the fused build (the choice is made once, at first use). */
let fused = false;

/** True when the kernels are the fused build (loading them to decide), so kernel threads load its shared twin. */
export function kernelsFused(): boolean {
  instance();
  return fused;
}

function instance(): Kernels | null {
  if (loaded !== undefined) return loaded;
  // The fused build where relaxed SIMD validates (Node 22+, Chromium 114+, Electron), else plain SIMD128.
  for (const [binary, isFused] of [[KERNELS_FUSED_WASM, true], [KERNELS_WASM, false]] as const) {
    try {
      loaded = new WebAssembly.Instance(embeddedModule(binary), {}).exports as unknown as Kernels;
      fused = isFused;
      return loaded;
    } catch {
      // Not supported here: the next one.
    }
  }
  loaded = null;
  return loaded;
}

// The memory: resident arrays from byte 0 up to `top` (first fit from freed blocks, else past the
// top), and above them the scratch each call copies its operands into.
let top = 0;
const free: { offset: number; bytes: number }[] = [];
const release = typeof FinalizationRegistry === "function" ? new FinalizationRegistry<{ offset: number; bytes: number }>((block) => {
  if (block.offset + block.bytes === top) top = block.offset;
  else free.push(block);
}) : null;

/** Where this call's scratch starts (64-byte aligned, above every resident array). */
export function scratchBase(): number {
  return Math.ceil(top / 64) * 64;
}

let memoryLimit = Infinity;

/**
 * Caps how large the kernels' memory may grow (each of the kernels' memories, with threads on):
 * a call that would need more runs in JavaScript instead. Infinity (the default) leaves only
 * WebAssembly's own limits. Memory already grown is kept; a WebAssembly memory never shrinks.
 */
export function setKernelMemoryLimit(bytes: number): void {
  if (typeof bytes !== "number" || !(bytes > 0)) throw new RangeError(`setKernelMemoryLimit: expected a positive number of bytes (or Infinity), got ${String(bytes)}`);
  memoryLimit = bytes;
}

/**
 * Grows `memory` by at least `bytes`; false when it can't grow that far (past setKernelMemoryLimit,
 * its maximum, or the 4 GiB of 32-bit addresses).
 */
export function tryGrow(memory: WebAssembly.Memory, bytes: number): boolean {
  const pages = Math.ceil(bytes / 65536);
  if (memory.buffer.byteLength + pages * 65536 > memoryLimit) return false;
  try {
    memory.grow(pages);
    return true;
  } catch {
    return false;
  }
}

/**
 * The module's memory as bytes, grown to at least `bytes` past the scratch base (growing detaches
 * earlier views), or null when it can't grow that far: then the caller runs its JavaScript loop.
 */
export function heapBytes(k: Kernels, bytes: number): ArrayBuffer | null {
  const need = scratchBase() + bytes;
  const have = k.memory.buffer.byteLength;
  if (have < need && !tryGrow(k.memory, need - have)) return null;
  return k.memory.buffer;
}

/**
 * A zero-filled array that stays in the module's memory between calls (an optimizer's moments), so
 * kernels use it in place; freed once `holder` is garbage-collected. Views are made on demand,
 * because growing the memory detaches them.
 */
export class Resident {
  constructor(readonly offset: number, readonly length: number, readonly wide: boolean, private readonly k: Kernels) {}
  view(): Float32Array | Float64Array {
    return this.wide ? new Float64Array(this.k.memory.buffer, this.offset, this.length) : new Float32Array(this.k.memory.buffer, this.offset, this.length);
  }
}

/**
 * Resident arrays end below this. Their blocks come back only through FinalizationRegistry
 * callbacks, which run between tasks: a synchronous loop that keeps making optimizers (a
 * hyperparameter sweep in one script) never frees one, and this memory never shrinks. Past the
 * limit a new array is an ordinary typed array, copied in and out for each update instead.
 */
export const RESIDENT_LIMIT = 256 * 1024 * 1024;

/**
 * A resident array of `length` values (float64 when `wide`), or null without the kernels, without
 * a way to free it, or with RESIDENT_LIMIT reached.
 */
export function resident(length: number, wide: boolean, holder: object): Resident | null {
  const k = simd();
  if (k === null || release === null) return null;
  const bytes = Math.ceil((length * (wide ? 8 : 4)) / 16) * 16;
  let offset = -1;
  const fit = free.findIndex((b) => b.bytes >= bytes);
  if (fit >= 0) {
    const block = free[fit];
    offset = block.offset;
    if (block.bytes === bytes) free.splice(fit, 1);
    else free[fit] = { offset: block.offset + bytes, bytes: block.bytes - bytes };
  } else {
    if (top + bytes > RESIDENT_LIMIT || heapBytes(k, bytes) === null) return null;
    offset = top;
    top += bytes;
  }
  new Uint8Array(k.memory.buffer, offset, bytes).fill(0);
  release.register(holder, { offset, bytes });
  return new Resident(offset, length, wide, k);
}

/** Bytes of WebAssembly memory the kernels hold now (0 before they first run). */
export function kernelMemoryBytes(): number {
  return loaded ? loaded.memory.buffer.byteLength : 0;
}
