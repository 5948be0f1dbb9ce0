/**
 * Kernel threads (opt-in): a large matrix product split by columns of C between this thread and
 * workers, all running gemm.asc.ts on one shared WebAssembly memory. Every C[i][j] is still summed
 * by one thread in k order, so the result is bit for bit the single-thread one.
 *
 * The engine creates no threads itself (it uses no Node-only API): the caller hands it a way to
 * start one from source, e.g. in Node `(src) => new Worker(src, { eval: true })` from
 * node:worker_threads. A call is synchronous: this thread describes the product in a control block
 * in the shared memory and wakes the workers; every thread, this one included, takes chunks of
 * columns from a shared counter until none is left; this one then waits (spinning briefly, then
 * Atomics.wait) for the chunks still being computed. A worker that hasn't started, or wakes late,
 * costs nothing but its share: its chunk goes to whichever thread asks first.
 */
import { SHARED_GEMM_FUSED_WASM, SHARED_GEMM_WASM } from "./kernelsBinary";
import { embeddedModule, kernelsFused, tryGrow } from "./module";

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

// The control block at the start of the shared memory: the job (JOB_INTS int32: the next chunk to
// take, chunks finished, then the product's description), then one slot per worker (its state and
// whether it is ready). A worker's state: IDLE, POSTED (a job is waiting for it), TAKEN (it is
// taking chunks), DONE or FAILED (it left the job), STOP.
const IDLE = 0, POSTED = 1, TAKEN = 2, DONE = 3, FAILED = 4, STOP = 5;
const NEXT = 0, FINISHED = 1, CHUNKS = 2, WIDTH = 3, ARGS = 4, WIDE = 16, WORK_STRIDE = 17, WORK_BASE = 18;
const JOB_INTS = 32;
const SLOT_INTS = 16;
const MAX_THREADS = 64;
/** Operands start past the control block. */
const SCRATCH = (JOB_INTS + MAX_THREADS * SLOT_INTS) * 4;

/**
 * The worker: instantiate the module on the shared memory, then serve jobs until told to stop.
 * Serving a job is taking chunks of columns until none is left: the loop threadedGemm runs on the
 * calling thread, written again here because a worker starts from source.
 */
/**
 * How long an idle worker spins before it sleeps. Measured on this project's 2-vCPU VM: a worker
 * woken from Atomics.wait joined a product 100-200 µs late, which cost the 784-256-10 step most of
 * what its second thread could give; spinning through the gaps between a step's products keeps
 * it ready, at the price of a busy second core for this long after the last product.
 */
const WORKER_SPIN_MS = 2;

const WORKER_SOURCE = `"use strict";
const start = ({ module, memory, slot }) => {
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const job = new Int32Array(memory.buffer, 0, ${JOB_INTS});
  const ctl = new Int32Array(memory.buffer, (${JOB_INTS} + slot * ${SLOT_INTS}) * 4, ${SLOT_INTS});
  Atomics.store(ctl, 1, 1);
  for (;;) {
    const s = Atomics.load(ctl, 0);
    if (s === ${STOP}) return;
    if (s !== ${POSTED} || Atomics.compareExchange(ctl, 0, ${POSTED}, ${TAKEN}) !== ${POSTED}) {
      // Spin a while before sleeping: the next product usually comes within a training step, and
      // waking from Atomics.wait costs more than the spin (see WORKER_SPIN_MS).
      const until = performance.now() + ${WORKER_SPIN_MS};
      while (Atomics.load(ctl, 0) === s && performance.now() < until);
      Atomics.wait(ctl, 0, s);
      continue;
    }
    let end = ${DONE};
    try {
      const [ta, tb, m, n, kk, a, lda, b, ldb, c, ldc] = job.subarray(${ARGS}, ${ARGS + 11});
      const chunks = job[${CHUNKS}], width = job[${WIDTH}], size = job[${WIDE}] ? 8 : 4;
      const gemm = job[${WIDE}] ? k.gemm64 : k.gemm32, work = job[${WORK_BASE}] + (slot + 1) * job[${WORK_STRIDE}];
      for (let q; (q = Atomics.add(job, ${NEXT}, 1)) < chunks; ) {
        const j0 = q * width;
        gemm(ta, tb, m, Math.min(width, n - j0), kk, a, lda, b + (tb ? j0 * kk : j0) * size, ldb, c + j0 * size, ldc, work);
        Atomics.add(job, ${FINISHED}, 1);
        Atomics.notify(job, ${FINISHED});
      }
    } catch {
      end = ${FAILED};
    }
    Atomics.store(ctl, 0, end);
    Atomics.notify(ctl, 0);
    Atomics.notify(job, ${FINISHED});
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
  /** The job block and each worker's slot (views on the first buffer stay valid: shared memory never detaches). */
  job: Int32Array;
  slots: Int32Array[];
}

let pool: Pool | null = null;
/** Parts of products computed by workers so far (tests and benchmarks check the threads took part). */
let workerParts = 0;

let compiledShared: WebAssembly.Module | null = null;
/**
 * The shared-memory build, compiled once per process: a module's optimized code belongs to it, so
 * a fresh compile for every setKernelThreads would start each new pool on baseline code again.
 * It is the twin of the kernels this thread runs, so a product gives the same bits on any number
 * of threads.
 */
function sharedModule(): WebAssembly.Module {
  return (compiledShared ??= embeddedModule(kernelsFused() ? SHARED_GEMM_FUSED_WASM : SHARED_GEMM_WASM));
}

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
    // The limits scripts/build.mjs declares for the shared build (an imported shared memory must match them).
    memory = new WebAssembly.Memory({ initial: 16, maximum: 32768, shared: true });
    module = sharedModule();
    kern = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SharedKernels;
  } catch (e) {
    throw new Error(`setKernelThreads: WebAssembly threads (shared memory with SIMD) are not available here: ${(e as Error).message}`);
  }
  const workers: KernelWorker[] = [];
  const slots: Int32Array[] = [];
  for (let w = 0; w < threads - 1; w++) {
    const worker = spawn(WORKER_SOURCE);
    worker.unref?.();
    slots.push(new Int32Array(memory.buffer, (JOB_INTS + w * SLOT_INTS) * 4, SLOT_INTS));
    worker.postMessage({ module, memory, slot: w });
    workers.push(worker);
  }
  pool = { kern, memory, workers, job: new Int32Array(memory.buffer, 0, JOB_INTS), slots };
}

/** How many threads large products run on (1 unless setKernelThreads turned more on). */
export function kernelThreads(): number {
  return pool === null ? 1 : pool.workers.length + 1;
}

/** Workers started and serving, and the parts of products they have computed so far. */
export function kernelWorkerStats(): { ready: number; parts: number } {
  return { ready: pool === null ? 0 : pool.slots.filter((s) => Atomics.load(s, 1) === 1).length, parts: workerParts };
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

/**
 * Products below this many multiply-adds (about 200³) stay on one thread: sharing them gained
 * nothing measurable here (a wake-up costs tens of microseconds, and copies into shared memory are
 * slower than into ordinary memory).
 */
const MIN_WORK = 1 << 23;
/** Columns are dealt in multiples of the kernel's widest register tile. */
const COLUMN_GRAIN = 8;
/**
 * Chunks per thread. One: each chunk packs A again, which cost more than finer chunks saved when
 * measured (256…1024 squares and the 784-256-10 MLP's products). A worker that wakes late still
 * can't hold a product up: its chunk goes to whichever thread asks first, this one included.
 */
const CHUNKS_PER_THREAD = 1;
/** How long the calling thread spins for the last chunks before sleeping (waking from a sleep costs more). */
const SPIN_MS = 0.5;

/**
 * C = cInit + op(A)·op(B) on the kernel threads (see wasmGemm for the arguments), or false when
 * they are off or the product is too small to share; `prepareC` writes C's starting values.
 * Columns go in chunks to whichever thread asks next, this one included.
 */
export function threadedGemm(ta: boolean, tb: boolean, a: Float32Array | Float64Array, aOff: number, b: Float32Array | Float64Array, bOff: number, c: Float32Array | Float64Array, cOff: number, m: number, k: number, n: number, prepareC: (heapC: Float32Array | Float64Array) => void): boolean {
  const p = pool;
  if (p === null || m * k * n < MIN_WORK) return false;
  const ready = p.slots.filter((s) => Atomics.load(s, 1) === 1);
  if (ready.length === 0) return false;
  const width = Math.max(2 * COLUMN_GRAIN, Math.ceil(n / ((ready.length + 1) * CHUNKS_PER_THREAD) / COLUMN_GRAIN) * COLUMN_GRAIN);
  const chunks = Math.ceil(n / width);
  if (chunks < 2) return false;
  const wide = a instanceof Float64Array;
  const size = wide ? 8 : 4;
  const sizeA = m * k, sizeB = k * n, sizeC = m * n;
  const stride = (p.kern.workspaceBytes(m, width, k, size) + 63) & ~63;
  const aAt = SCRATCH, bAt = aAt + sizeA * size, cAt = bAt + sizeB * size;
  const workBase = Math.ceil((cAt + sizeC * size) / 64) * 64;
  const need = workBase + (ready.length + 1) * stride;
  const have = p.memory.buffer.byteLength;
  // Past the shared memory's maximum (or setKernelMemoryLimit) the product runs on one thread, or in JavaScript.
  if (have < need && !tryGrow(p.memory, need - have)) return false;
  const buffer = p.memory.buffer;
  const Arr = wide ? Float64Array : Float32Array;
  new Arr(buffer, aAt, sizeA).set(a.subarray(aOff, aOff + sizeA));
  new Arr(buffer, bAt, sizeB).set(b.subarray(bOff, bOff + sizeB));
  const heapC = new Arr(buffer, cAt, sizeC);
  prepareC(heapC);

  const job = p.job;
  job.set([0, 0, chunks, width, ta ? 1 : 0, tb ? 1 : 0, m, n, k, aAt, ta ? m : k, bAt, tb ? k : n, cAt, n]);
  job[WIDE] = wide ? 1 : 0;
  job[WORK_STRIDE] = stride;
  job[WORK_BASE] = workBase;
  for (const slot of ready) {
    Atomics.store(slot, 0, POSTED);
    Atomics.notify(slot, 0);
  }
  // This thread takes chunks too (the worker's loop, with workspace 0).
  const gemm = wide ? p.kern.gemm64 : p.kern.gemm32;
  let mine = 0;
  for (let q; (q = Atomics.add(job, NEXT, 1)) < chunks; mine++) {
    const j0 = q * width;
    gemm(ta ? 1 : 0, tb ? 1 : 0, m, Math.min(width, n - j0), k, aAt, ta ? m : k, bAt + (tb ? j0 * k : j0) * size, tb ? k : n, cAt + j0 * size, n, workBase);
    Atomics.add(job, FINISHED, 1);
  }
  // The chunks a worker is still computing: spin briefly, then sleep until it says it finished one.
  const failed = () => ready.some((s) => Atomics.load(s, 0) === FAILED);
  const spinUntil = performance.now() + SPIN_MS;
  for (let i = 0, f: number; (f = Atomics.load(job, FINISHED)) < chunks && !failed(); i++) {
    if ((i & 255) === 255 && performance.now() > spinUntil) Atomics.wait(job, FINISHED, f, 50);
  }
  let broken = false;
  for (const slot of ready) {
    // Never woke for this job (every chunk was taken): it is withdrawn.
    if (Atomics.compareExchange(slot, 0, POSTED, IDLE) === POSTED) continue;
    let s: number;
    while ((s = Atomics.load(slot, 0)) === TAKEN) Atomics.wait(slot, 0, TAKEN, 50);
    if (s === FAILED) broken = true;
    Atomics.store(slot, 0, IDLE);
    Atomics.notify(slot, 0);
  }
  if (broken) throw new Error("matmul: a kernel thread failed; setKernelThreads(1) runs products on this thread only");
  workerParts += chunks - mine;
  c.set(heapC, cOff);
  return true;
}
