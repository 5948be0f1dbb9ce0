/**
 * Kernel threads (opt-in): a large matrix product split by columns of C between this thread and
 * workers, all running gemm.asc.ts on one shared WebAssembly memory. Every C[i][j] is still summed
 * by one thread in k order, so the result is bit for bit the single-thread one.
 *
 * The engine creates no threads itself (it uses no Node-only API): the caller hands it a way to
 * start one from source, e.g. in Node `(src) => new Worker(src, { eval: true })` from
 * node:worker_threads. A call is synchronous: this thread posts each worker its columns through a
 * control block in the shared memory, computes its own, then waits (Atomics.wait) for the rest. A
 * worker that hasn't started yet, or doesn't take its job at once, costs nothing but its share:
 * this thread takes the job back and computes it.
 */
import { SHARED_GEMM_WASM } from "./kernelsBinary";

/** What the engine needs of a worker (a worker_threads Worker or a browser Worker). */
export interface KernelWorker {
  postMessage(message: unknown): void;
  terminate(): unknown;
  /** Node: don't keep the process alive for it. */
  unref?(): void;
}
export type SpawnWorker = (source: string) => KernelWorker;

type GemmFn = (ta: number, tb: number, m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, work: number) => void;
interface SharedKernels { gemm32: GemmFn; gemm64: GemmFn; workspaceBytes(m: number, n: number, k: number, elem: number): number }

// A job's life in its worker's control slot (16 int32 at slot × 64 bytes; [1..12] the gemm's
// arguments, [13] 1 for float64, [14] 1 once the worker is ready).
const IDLE = 0, POSTED = 1, TAKEN = 2, DONE = 3, FAILED = 4, STOP = 5;
const SLOT_BYTES = 64;
const MAX_THREADS = 64;
/** Operands start past every control slot. */
const SCRATCH = MAX_THREADS * SLOT_BYTES;

/** The worker: instantiate the module on the shared memory, then serve jobs until told to stop. */
const WORKER_SOURCE = `"use strict";
const start = ({ module, memory, slot }) => {
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const ctl = new Int32Array(memory.buffer, slot * ${SLOT_BYTES}, 16);
  Atomics.store(ctl, 14, 1);
  for (;;) {
    const s = Atomics.load(ctl, 0);
    if (s === ${STOP}) return;
    if (s === ${POSTED} && Atomics.compareExchange(ctl, 0, ${POSTED}, ${TAKEN}) === ${POSTED}) {
      let end = ${DONE};
      try { (ctl[13] ? k.gemm64 : k.gemm32)(ctl[1], ctl[2], ctl[3], ctl[4], ctl[5], ctl[6], ctl[7], ctl[8], ctl[9], ctl[10], ctl[11], ctl[12]); } catch { end = ${FAILED}; }
      Atomics.store(ctl, 0, end);
      Atomics.notify(ctl, 0);
    } else {
      Atomics.wait(ctl, 0, s);
    }
  }
};
if (typeof require === "function") require("worker_threads").parentPort.once("message", start);
else self.onmessage = (e) => start(e.data);
`;
// (The require above runs in a Node worker only, as its own script: the engine imports nothing.)

interface Pool {
  kern: SharedKernels;
  memory: WebAssembly.Memory;
  workers: KernelWorker[];
  /** Each worker's control slot (views on the first buffer stay valid: shared memory never detaches). */
  slots: Int32Array[];
}

let pool: Pool | null = null;
/** Parts of products computed by workers so far (tests and benchmarks check the threads took part). */
let workerParts = 0;

/**
 * Runs large matrix products on `threads` threads: this one and threads − 1 workers made by
 * `spawn`. 1 turns it off (the workers are stopped). Throws where it can't work: no
 * SharedArrayBuffer, no WebAssembly threads, or a thread that may not block (a browser's main
 * thread: run the engine in a worker there).
 */
export function setKernelThreads(threads: number, spawn?: SpawnWorker): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) throw new RangeError(`setKernelThreads: expected a whole number of threads from 1 to ${MAX_THREADS}, got ${String(threads)}`);
  stopWorkers();
  if (threads === 1) return;
  if (typeof spawn !== "function") throw new TypeError("setKernelThreads: more than one thread needs spawn, a function starting a worker from source (in Node: (src) => new Worker(src, { eval: true }) from node:worker_threads)");
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object") throw new Error("setKernelThreads: this runtime has no SharedArrayBuffer (in a browser, the page must be cross-origin isolated)");
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    throw new Error("setKernelThreads: this thread may not block on Atomics.wait (a browser's main thread); run the engine in a worker to use kernel threads");
  }
  let memory: WebAssembly.Memory, module: WebAssembly.Module, kern: SharedKernels;
  try {
    memory = new WebAssembly.Memory({ initial: 16, maximum: 32768, shared: true });
    module = new WebAssembly.Module(Uint8Array.from(atob(SHARED_GEMM_WASM), (c) => c.charCodeAt(0)));
    kern = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SharedKernels;
  } catch (e) {
    throw new Error(`setKernelThreads: WebAssembly threads (shared memory with SIMD) are not available here: ${(e as Error).message}`);
  }
  const workers: KernelWorker[] = [];
  const slots: Int32Array[] = [];
  for (let w = 0; w < threads - 1; w++) {
    const worker = spawn(WORKER_SOURCE);
    worker.unref?.();
    slots.push(new Int32Array(memory.buffer, w * SLOT_BYTES, 16));
    worker.postMessage({ module, memory, slot: w });
    workers.push(worker);
  }
  pool = { kern, memory, workers, slots };
}

/** How many threads large products run on (1 unless setKernelThreads turned more on). */
export function kernelThreads(): number {
  return pool === null ? 1 : pool.workers.length + 1;
}

/** Workers started and serving, and the parts of products they have computed so far. */
export function kernelWorkerStats(): { ready: number; parts: number } {
  return { ready: pool === null ? 0 : pool.slots.filter((s) => Atomics.load(s, 14) === 1).length, parts: workerParts };
}

function stopWorkers(): void {
  if (pool === null) return;
  for (const [w, worker] of pool.workers.entries()) {
    Atomics.store(pool.slots[w], 0, STOP);
    Atomics.notify(pool.slots[w], 0);
    void worker.terminate();
  }
  pool = null;
}

/** Products below this many multiply-adds stay on one thread (a wake-up costs tens of microseconds). */
const MIN_WORK = 1 << 21;
/** Columns are dealt in multiples of the kernel's widest register tile. */
const COLUMN_GRAIN = 8;

/**
 * C = cInit + op(A)·op(B) on the kernel threads (see wasmGemm for the arguments), or false when
 * they are off or the product is too small to share; `prepareC` writes C's starting values.
 */
export function threadedGemm(ta: boolean, tb: boolean, a: Float32Array | Float64Array, aOff: number, b: Float32Array | Float64Array, bOff: number, c: Float32Array | Float64Array, cOff: number, m: number, k: number, n: number, prepareC: (heapC: Float32Array | Float64Array) => void): boolean {
  const p = pool;
  if (p === null || m * k * n < MIN_WORK) return false;
  const ready = p.slots.filter((s) => Atomics.load(s, 14) === 1);
  const width = Math.ceil(n / (ready.length + 1) / COLUMN_GRAIN) * COLUMN_GRAIN;
  const parts = Math.ceil(n / width);
  if (parts < 2) return false;
  const wide = a instanceof Float64Array;
  const size = wide ? 8 : 4;
  const sizeA = m * k, sizeB = k * n, sizeC = m * n;
  const work = p.kern.workspaceBytes(m, width, k, size);
  const aAt = SCRATCH, bAt = aAt + sizeA * size, cAt = bAt + sizeB * size;
  const workAt = (t: number) => ((cAt + sizeC * size + 63) & ~63) + t * ((work + 63) & ~63);
  const need = workAt(parts);
  const have = p.memory.buffer.byteLength;
  if (have < need) p.memory.grow(Math.ceil((need - have) / 65536));
  const buffer = p.memory.buffer;
  const Arr = wide ? Float64Array : Float32Array;
  new Arr(buffer, aAt, sizeA).set(a.subarray(aOff, aOff + sizeA));
  new Arr(buffer, bAt, sizeB).set(b.subarray(bOff, bOff + sizeB));
  const heapC = new Arr(buffer, cAt, sizeC);
  prepareC(heapC);
  // Part t: columns [t·width, …) of op(B) and C. B is stored n×k when transposed, so its columns are rows there.
  const args = (t: number) => {
    const j0 = t * width, cols = Math.min(width, n - j0);
    return [ta ? 1 : 0, tb ? 1 : 0, m, cols, k, aAt, ta ? m : k, bAt + (tb ? j0 * k : j0) * size, tb ? k : n, cAt + j0 * size, n, workAt(t)] as const;
  };
  const gemm = wide ? p.kern.gemm64 : p.kern.gemm32;
  const posted = ready.slice(0, parts - 1);
  posted.forEach((slot, w) => {
    slot.set(args(w + 1), 1);
    slot[13] = wide ? 1 : 0;
    Atomics.store(slot, 0, POSTED);
    Atomics.notify(slot, 0);
  });
  gemm(...args(0));
  let failed = false;
  posted.forEach((slot, w) => {
    // Not taken yet: take it back and compute it here (the worker is busy starting, or descheduled).
    if (Atomics.compareExchange(slot, 0, POSTED, IDLE) === POSTED) {
      gemm(...args(w + 1));
      return;
    }
    let s: number;
    while ((s = Atomics.load(slot, 0)) === TAKEN) Atomics.wait(slot, 0, TAKEN);
    if (s === FAILED) failed = true;
    else workerParts++;
    Atomics.store(slot, 0, IDLE);
    Atomics.notify(slot, 0);
  });
  if (failed) throw new Error("matmul: a kernel thread failed; setKernelThreads(1) runs products on this thread only");
  c.set(heapC, cOff);
  return true;
}
