/**
 * Kernel threads (setKernelThreads): products split by columns between this thread and real
 * worker_threads give bit for bit the single-thread result, on awkward shapes, every transpose and
 * every way C starts, NaN and Inf included; a worker that never starts or fails can't hang or
 * corrupt a product.
 */
import * as assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { kernelThreads, kernelWorkerStats, manualSeed, nn, optim, randn, setKernelMemoryLimit, setKernelThreads, Tensor } from "../../engine/index";
import { gemm } from "../../engine/ops/linalg";

const spawn = (src: string) => new Worker(src, { eval: true });

async function untilReady(workers: number): Promise<void> {
  const until = Date.now() + 60_000;
  while (kernelWorkerStats().ready < workers) {
    if (Date.now() > until) throw new Error(`only ${kernelWorkerStats().ready} of ${workers} kernel workers started within 60 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function sameBits(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < want.length; i++) {
    if (!(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])))) assert.fail(`${label}[${i}]: ${got[i]} on threads vs ${want[i]} on one`);
  }
}

/** A's and B's values with NaN and ±Inf sprinkled in (0 × Inf must stay NaN on every thread). */
function operand(len: number, wide: boolean): Float32Array | Float64Array {
  const x = randn([len], { dtype: wide ? "float64" : "float32" }).data as Float32Array | Float64Array;
  x[7 % len] = NaN; x[(len >> 1) + 1] = Infinity; x[len - 2] = -Infinity; x[len >> 2] = 0;
  return x;
}

describe("kernel threads: products shared with workers", () => {
  afterEach(() => setKernelThreads(1));

  it("refuses bad thread counts and a missing spawn, naming what was wrong", () => {
    for (const bad of [0, 1.5, -2, 65, NaN]) assert.throws(() => setKernelThreads(bad), /setKernelThreads: expected a whole number of threads from 1 to 64, got/);
    assert.throws(() => setKernelThreads(2), /more than one thread needs spawn, a function starting a worker from source/);
    assert.equal(kernelThreads(), 1);
  });

  it("gives bit for bit the single-thread result on awkward shapes, every transpose and start of C, float32 and float64", async () => {
    manualSeed(11);
    // Each at least 2²³ multiply-adds (the threshold for sharing); n from 17 (one chunk gets a single column) up.
    const shapes: [number, number, number][] = [[64, 784, 256], [256, 256, 129], [257, 253, 131], [9, 1000, 1000], [1000, 9, 1000], [4000, 130, 17], [65, 513, 255]];
    for (const [m, k, n] of shapes) assert.ok(m * k * n >= 2 ** 23, `${m}×${k}×${n} is large enough to share`);
    const cases = shapes.flatMap(([m, k, n]) => [false, true].flatMap((wide) => [[false, false], [true, false], [false, true], [true, true]].map(([ta, tb]) => {
      const a = operand(m * k, wide), b = operand(k * n, wide);
      const bias = operand(n, wide);
      const c0 = operand(m * n, wide);
      return { m, k, n, wide, ta, tb, a, b, bias, c0 };
    })));
    const run = (x: (typeof cases)[number], start: "c" | "zero" | "bias") => {
      const c = x.c0.slice();
      gemm(x.ta, x.tb, x.a, 0, x.b, 0, c, 0, x.m, x.k, x.n, start === "bias" ? x.bias : start);
      return c;
    };
    const starts = ["c", "zero", "bias"] as const;
    const single = cases.map((x) => starts.map((s) => run(x, s)));
    setKernelThreads(2, spawn);
    assert.equal(kernelThreads(), 2);
    await untilReady(1);
    const before = kernelWorkerStats().parts;
    // Every pass compares every product. On a busy machine the worker gets the CPU late and the
    // calling thread takes most chunks itself, so passes repeat until the worker has taken part in
    // a fair number of them (an event, waited on with a generous deadline, not a timing).
    const shared = () => kernelWorkerStats().parts - before;
    for (const deadline = Date.now() + 120_000; ;) {
      cases.forEach((x, i) => starts.forEach((s, j) => sameBits(run(x, s), single[i][j], `${x.m}×${x.k}×${x.n} ${x.wide ? "f64" : "f32"} ta=${x.ta} tb=${x.tb} C=${s}`)));
      if (shared() > cases.length) break;
      assert.ok(Date.now() < deadline, `the worker computed parts of only ${shared()} products in 120 s`);
      await new Promise((r) => setImmediate(r));
    }
  });

  it("trains the 784-256-10 MLP to the same weights on two threads as on one", async () => {
    const train = () => {
      manualSeed(3);
      const model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
      const opt = new optim.Adam(model.parameters());
      const x = randn(64, 784), y = randn(64, 10);
      for (let i = 0; i < 3; i++) {
        opt.zeroGrad();
        nn.functional.mseLoss(model.forward(x), y).backward();
        opt.step();
      }
      return model.parameters().map((p: Tensor) => Float32Array.from(p.data));
    };
    const one = train();
    setKernelThreads(2, spawn);
    await untilReady(1);
    const two = train();
    one.forEach((p, i) => sameBits(two[i], p, `parameter ${i}`));
  });

  it("a worker that never starts costs only its share: this thread computes every part", () => {
    manualSeed(5);
    const a = randn(256, 256), b = randn(256, 256);
    const want = a.matmul(b).data;
    assert.ok(256 ** 3 >= 2 ** 23, "large enough to share");
    const silent = () => ({ postMessage: () => undefined, terminate: () => undefined });
    setKernelThreads(3, silent);
    assert.equal(kernelWorkerStats().ready, 0);
    sameBits(a.matmul(b).data, want, "with workers that never start");
  });

  it("a worker that fails a job makes the product throw instead of returning part of it", async () => {
    manualSeed(6);
    const a = randn(256, 256), b = randn(256, 256);
    const broken = (src: string) => {
      const changed = src.replace("const gemm = ", "const gemm = () => { throw new Error(\"broken\"); }, unused = ");
      assert.notEqual(changed, src, "the worker's product call was found and broken");
      return spawn(changed);
    };
    setKernelThreads(2, broken);
    await untilReady(1);
    // Until the worker takes a job (this thread may take it back first), retry.
    let thrown: unknown = null;
    for (let i = 0; i < 200 && thrown === null; i++) {
      try { a.matmul(b); } catch (e) { thrown = e; }
    }
    assert.ok(thrown instanceof Error && /matmul: a kernel thread failed; setKernelThreads\(1\) runs products on this thread only/.test(thrown.message), String(thrown));
    setKernelThreads(1);
    assert.ok(a.matmul(b).data.every(Number.isFinite), "one thread works again");
  });

  it("a product whose shared memory can't grow past setKernelMemoryLimit stays on this thread, with the same bits", async () => {
    manualSeed(12);
    const n = 256; // 2²⁴ multiply-adds: shared; float64 A, B and C need 1.5 MiB, and the shared memory starts at 1 MiB
    const a = operand(n * n, true), b = operand(n * n, true);
    const product = () => {
      const c = new Float64Array(n * n);
      gemm(false, false, a, 0, b, 0, c, 0, n, n, n, "zero");
      return c;
    };
    const one = product();
    setKernelThreads(2, spawn);
    await untilReady(1);
    const before = kernelWorkerStats().parts;
    setKernelMemoryLimit(1.2 * 1024 * 1024);
    let capped: Float64Array;
    try {
      capped = product();
    } finally {
      setKernelMemoryLimit(Infinity);
    }
    assert.equal(kernelWorkerStats().parts, before, "the worker took part in a product its memory couldn't hold");
    // float64: the kernel on this thread and the JavaScript loop give the same bits, whichever ran.
    sameBits(capped, one, "capped");
    // With the cap lifted the worker shares the product again (once it gets the CPU: repeated until it does).
    for (const deadline = Date.now() + 60_000; kernelWorkerStats().parts === before;) {
      sameBits(product(), one, "uncapped, on two threads");
      assert.ok(Date.now() < deadline, "with the cap lifted the worker shares the product again");
      await new Promise((r) => setImmediate(r));
    }
  });
});
