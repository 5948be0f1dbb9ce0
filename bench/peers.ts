/**
 * The engine beside its peers, case by case, in one run (`npm run bench`; `-- --quick` for a
 * short one): gradlens, tfjs with its CPU backend, tfjs-wasm (SIMD, one thread) and, when
 * `import torch` works, PyTorch through a Python subprocess (one thread, its BLAS named). The
 * systems are interleaved per case in a rotating order, after a warm-up sample each; each sample
 * runs at least `sampleMs`; medians are reported and written to bench/results/latest.json (not
 * with `--only`).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type * as Engine from "../engine/index";
import { gradlensRun, Row, Run, tfjsRun, torchEnv } from "./cases";

// The shipped bundle — what a user's `import "gradlens"` loads (`npm run bench` builds it first) —
// not the per-file transpiled sources, whose module getters would be timed too.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const g: typeof Engine = require("../dist/engine.js");

const quick = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";
const SAMPLE_MS = quick ? 60 : 300;
const REPS = quick ? 3 : 5;
const SIZES = quick ? [256, 512] : [256, 512, 1024];
/** The uncounted first sample: long enough for V8's top tier (shorter with --quick, a smoke run). */
const WARMUP_MS = quick ? 150 : 400;

interface Case { id: string; suite: string; label: string; unit: string; higherIsBetter: boolean; per: (seconds: number) => number }

const allCases: Case[] = [
  ...SIZES.flatMap((n) => (["AB", "AtB", "ABt"] as const).map((v): Case => ({
    id: `matmul-${v}:${n}`, suite: "matmul f32", label: `${n}×${n} ${{ AB: "A·B", AtB: "Aᵀ·B", ABt: "A·Bᵀ" }[v]}`, unit: "GFLOP/s", higherIsBetter: true, per: (s) => (2 * n ** 3) / s / 1e9,
  }))),
  { id: "add4", suite: "per-op overhead", label: "add of 4-element tensors", unit: "µs", higherIsBetter: false, per: (s) => s * 1e6 },
  { id: "micrograph", suite: "per-op overhead", label: "mul+add+sum+backward micro-graph", unit: "µs", higherIsBetter: false, per: (s) => s * 1e6 },
  { id: "mlp-small", suite: "training step", label: "MLP 2-16-1, batch 32, SGD step", unit: "µs", higherIsBetter: false, per: (s) => s * 1e6 },
  { id: "mlp-784", suite: "training step", label: "MLP 784-256-10, batch 64, Adam step", unit: "ms", higherIsBetter: false, per: (s) => s * 1e3 },
  { id: "cnn-step", suite: "training step", label: "the demo CNN on 16×16 digits, batch 32, Adam step", unit: "ms", higherIsBetter: false, per: (s) => s * 1e3 },
  { id: "gpt-step", suite: "training step", label: "the demo GPT (2 layers, 64 wide, 48 tokens), batch 16, AdamW step", unit: "ms", higherIsBetter: false, per: (s) => s * 1e3 },
];

/** `--only <text>`: just the cases whose id contains it (for working on one). */
const only = process.argv.indexOf("--only");
const cases = only < 0 ? allCases : allCases.filter((c) => c.id.includes(process.argv[only + 1] ?? ""));

const gradlensCase = (id: string): Run => gradlensRun(g, id);
const tfjsCase = (id: string): Run => tfjsRun(tf, id);

/** Runs `run` repeatedly for at least `ms` (SAMPLE_MS by default); the mean seconds per run. */
function sample(run: Run, ms = SAMPLE_MS): number {
  // Garbage left by the previous system (tfjs-cpu makes a lot) is collected before timing starts.
  (globalThis as { gc?: () => void }).gc?.();
  run();
  let n = 0;
  const start = process.hrtime.bigint();
  for (;;) {
    run();
    n++;
    const el = Number(process.hrtime.bigint() - start) / 1e9;
    if (el * 1000 >= ms) return el / n;
  }
}

/**
 * A system in a subprocess that speaks the sampling protocol: a first JSON line describing it,
 * then for each "<case> <sample_ms>" line on stdin one JSON line with the seconds per run.
 */
interface Server<Info> { info: Info; sample: (id: string, ms: number) => Promise<number>; stop: () => void }
async function startServer<Info>(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Server<Info>> {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env });
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(err.trim().split("\n").pop() ?? `${path.basename(command)} exited`);
    return JSON.parse(r.value as string);
  };
  try {
    const info = (await next()) as Info;
    return {
      info,
      sample: async (id, ms) => {
        child.stdin!.write(`${id} ${ms}\n`);
        return (await next()).seconds as number;
      },
      stop: () => child.kill(),
    };
  } catch (e) {
    child.kill();
    throw e;
  }
}

/** PyTorch in a Python subprocess, or the reason it isn't available (`import torch` fails). */
async function startTorch(): Promise<Server<{ version: string; blas: string[]; openblasCore: string | null; pinned: Record<string, string> }> | string> {
  const python = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  try {
    return await startServer(python, [path.join(__dirname, "peers_torch.py")], torchEnv());
  } catch (e) {
    return `PyTorch not available (${(e as Error).message})`;
  }
}

/** `peers.ts --serve`: gradlens's cases over the sampling protocol (for a Node started with other flags). */
async function serve(): Promise<void> {
  console.log(JSON.stringify({ kernelMode: g.kernelMode(), node: process.version }));
  const runs = new Map<string, Run>();
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const [id, ms] = line.split(" ");
    if (!runs.has(id)) runs.set(id, gradlensCase(id));
    console.log(JSON.stringify({ seconds: sample(runs.get(id)!, Number(ms)) }));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  setWasmPaths(path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm")), "/"));
  const torch = await startTorch();
  const pick = process.env.BENCH_SYSTEMS?.split(",");
  const systems = ["gradlens", "tfjs-cpu", "tfjs-wasm", ...(typeof torch === "string" ? [] : ["pytorch"])].filter((s) => s === "gradlens" || pick === undefined || pick.includes(s));
  const results: Row[] = [];
  const cannot: string[] = [];
  for (const c of cases) {
    const seconds: Record<string, number[]> = Object.fromEntries(systems.map((s) => [s, []]));
    const runs: Record<string, Run> = { gradlens: gradlensCase(c.id) };
    for (const backend of ["cpu", "wasm"]) {
      await tf.setBackend(backend);
      await tf.ready();
      runs[`tfjs-${backend}`] = tfjsCase(c.id);
    }
    // A system that can't run a case (tfjs-wasm has no kernel for a convolution's weight
    // gradient) is left out of that row, with the reason printed under the table.
    const unable = new Set<string>();
    // A warm-up sample per system first (WARMUP_MS); not counted.
    for (let r = -1; r < REPS; r++) {
      // The order rotates each round, so no system always runs right after the same other one
      // (whatever one leaves behind in caches, clocks and the heap lands on each in turn).
      const order = systems.map((_, i) => systems[(i + r + 1) % systems.length]);
      for (const s of order) {
        if (unable.has(s)) continue;
        const ms = r < 0 ? Math.max(SAMPLE_MS, WARMUP_MS) : SAMPLE_MS;
        let t: number;
        try {
          if (s === "pytorch") t = await (torch as Exclude<typeof torch, string>).sample(c.id, ms);
          else {
            if (s.startsWith("tfjs")) await tf.setBackend(s.slice(5));
            t = sample(runs[s], ms);
          }
        } catch (e) {
          if (s === "gradlens" || s === "pytorch") throw e;
          unable.add(s);
          cannot.push(`${s} can't run "${c.label}": ${String((e as Error).message).split("\n")[0]}`);
          continue;
        }
        if (r >= 0) seconds[s].push(t);
      }
    }
    tf.disposeVariables();
    const values = Object.fromEntries(systems.filter((s) => !unable.has(s)).map((s) => [s, c.per(median(seconds[s]))]));
    results.push({ suite: c.suite, case: c.label, unit: c.unit, higherIsBetter: c.higherIsBetter, values });
    process.stderr.write(".");
  }
  if (typeof torch !== "string") torch.stop();
  process.stderr.write("\n");

  const fmtv = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  console.log(`\nThe engine beside its peers (${quick ? "--quick, " : ""}median of ${REPS} interleaved samples of ≥ ${SAMPLE_MS} ms; one thread each)`);
  if (typeof torch === "string") console.log(`  ${torch}: its column is left out`);
  else console.log(`  PyTorch ${torch.info.version}, BLAS: ${torch.info.blas.join(", ")}; OpenBLAS core: ${torch.info.openblasCore ?? "(not OpenBLAS)"}${Object.keys(torch.info.pinned).length > 0 ? ` (pinned by ${JSON.stringify(torch.info.pinned)})` : ", chosen by OpenBLAS"}`);
  console.log(`| case | unit | ${systems.join(" | ")} | gradlens vs best peer |`);
  console.log(`|---|---|${systems.map(() => "---:").join("|")}|---:|`);
  for (const r of results) {
    const peers = systems.filter((s) => s !== "gradlens" && s in r.values).map((s) => r.values[s]);
    const best = r.higherIsBetter ? Math.max(...peers) : Math.min(...peers);
    const ratio = r.higherIsBetter ? r.values.gradlens / best : best / r.values.gradlens;
    // With every peer left out (BENCH_SYSTEMS) there is nothing to compare with.
    const versus = peers.length === 0 ? "—" : `${ratio.toFixed(2)}× ${ratio >= 1 ? "(faster)" : "(slower)"}`;
    console.log(`| ${r.case} | ${r.unit} | ${systems.map((s) => (s in r.values ? fmtv(r.values[s]) : "n/a")).join(" | ")} | ${versus} |`);
  }
  for (const line of cannot) console.log(`  n/a: ${line}`);
  results.push(...await threadRows());
  results.push(...await fusedRows());
  if (only >= 0) return;
  const out = path.join(__dirname, "results/latest.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model ?? "unknown", quick, results }, null, 2) + "\n");
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
}

/** The cases the optional comparisons (threads, fused kernels) run: products large enough to share, and the 784 step. */
const optionalCases = () => cases.filter((c) => (quick ? /^matmul-AB:512$|^mlp-784$/ : /^matmul-(AB|ABt):(512|1024)$|^mlp-784$/).test(c.id));

/**
 * gradlens in two setups on the optional cases, interleaved sample by sample (which goes first
 * alternates each round, after an uncounted warm-up round); medians per case as result rows keyed
 * `keys`, and a table of both with the speed-up of the second. `measure` takes one sample.
 */
async function twoWay(suite: string, title: string, keys: [string, string], heads: [string, string], measure: (key: string, c: Case, run: Run, ms: number) => Promise<number>, afterCase?: (c: Case) => void): Promise<Row[]> {
  const rows: Row[] = [];
  for (const c of optionalCases()) {
    const run = gradlensCase(c.id);
    const seconds: Record<string, number[]> = { [keys[0]]: [], [keys[1]]: [] };
    for (let r = -1; r < REPS; r++) {
      for (const key of r % 2 === 0 ? keys : [keys[1], keys[0]]) {
        const t = await measure(key, c, run, r < 0 ? Math.max(SAMPLE_MS, WARMUP_MS) : SAMPLE_MS);
        if (r >= 0) seconds[key].push(t);
      }
    }
    afterCase?.(c);
    rows.push({ suite, case: c.label, unit: c.unit, higherIsBetter: c.higherIsBetter, values: { [keys[0]]: c.per(median(seconds[keys[0]])), [keys[1]]: c.per(median(seconds[keys[1]])) } });
  }
  console.log(`\n${title}`);
  console.log(`| case | unit | ${heads[0]} | ${heads[1]} | speed-up |`);
  console.log("|---|---|---:|---:|---:|");
  for (const r of rows) {
    const a = r.values[keys[0]], b = r.values[keys[1]];
    const up = r.higherIsBetter ? b / a : a / b;
    console.log(`| ${r.case} | ${r.unit} | ${a.toFixed(a >= 10 ? 1 : 2)} | ${b.toFixed(b >= 10 ? 1 : 2)} | ${up.toFixed(2)}× |`);
  }
  return rows;
}

/**
 * Optional, reported apart from the single-thread table: gradlens with a second kernel thread
 * (setKernelThreads(2) with a worker_threads Worker) against itself on one, interleaved the same
 * way, on the cases whose products are large enough to share.
 */
async function threadRows(): Promise<Row[]> {
  if (optionalCases().length === 0) return [];
  const { Worker } = await import("node:worker_threads");
  const setThreads = async (n: number) => {
    g.setKernelThreads(n, (src) => new Worker(src, { eval: true }));
    while (g.kernelWorkerStats().ready < n - 1) await new Promise((r) => setTimeout(r, 2));
  };
  let partsBefore = g.kernelWorkerStats().parts;
  return twoWay("two kernel threads (optional)", "Optional: gradlens on two kernel threads (setKernelThreads(2), a worker_threads Worker), against itself on one, same run", ["gradlens", "gradlens-2-threads"], ["one thread", "two threads"], async (key, _c, run, ms) => {
    await setThreads(key === "gradlens" ? 1 : 2);
    return sample(run, ms);
  }, (c) => {
    g.setKernelThreads(1);
    const parts = g.kernelWorkerStats().parts;
    if (parts === partsBefore) throw new Error(`${c.id}: the kernel worker computed no part of any product`);
    partsBefore = parts;
  });
}

/**
 * Optional, reported apart: gradlens's fused kernels (relaxed SIMD's multiply-add for float32
 * products) against the plain ones, same run. Node 20 has relaxed SIMD only behind a flag, so the
 * fused side is gradlens in a second Node started with it, sampled over the same protocol as
 * PyTorch and interleaved with this process's samples.
 */
async function fusedRows(): Promise<Row[]> {
  if (g.kernelMode() !== "wasm-simd") {
    console.log(`\nFused kernels: this runtime loads ${g.kernelMode()} already, so the table above is that`);
    return [];
  }
  const server = await startServer<{ kernelMode: string }>(process.execPath, ["--expose-gc", "--experimental-wasm-relaxed-simd", path.join(__dirname, "../scripts/run-ts.cjs"), __filename, "--serve"], process.env);
  try {
    if (server.info.kernelMode !== "wasm-simd-fused") throw new Error(`fused kernels: a Node with --experimental-wasm-relaxed-simd loaded ${server.info.kernelMode}`);
    return await twoWay("fused kernels (optional)", "Optional: gradlens's fused kernels (relaxed SIMD multiply-add; Node 22+ loads them by default, here a Node with --experimental-wasm-relaxed-simd), against the plain ones, same run, one thread", ["gradlens", "gradlens-fused"], ["plain SIMD128", "fused"], (key, c, run, ms) => (key === "gradlens" ? Promise.resolve(sample(run, ms)) : server.sample(c.id, ms)));
  } finally {
    server.stop();
  }
}

if (process.argv.includes("--serve")) void serve();
else void main();
