/**
 * Memory, beside the peers (`npm run bench`, last part): each system runs the 784-256-10 Adam
 * step in a fresh process of its own, and reports its peak resident set — after loading its
 * library, and after the steps. Then gradlens alone runs long loops and reports what, if anything,
 * keeps growing: resident set, the JavaScript heap after a full collection, and the kernels'
 * WebAssembly memory. The rows are added to bench/results/latest.json (peers.ts writes it first).
 *
 * Child mode (how the parent starts each process): `memory.ts --child <system> <case> <steps>`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { gradlensRun, Row, Run, tfjsRun, torchEnv } from "./cases";

const quick = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";
/** Steps of the side-by-side run (tfjs-cpu takes ~0.1 s each, so --quick does fewer). */
const STEPS = quick ? 20 : 200;
/** The long runs: [case, steps]. At ~35 µs and ~2 ms a step, about 20 s together (1 s with --quick). */
const LONG: [string, number][] = quick ? [["mlp-small", 20_000], ["mlp-784", 100]] : [["mlp-small", 400_000], ["mlp-784", 2_000]];
const MB = 1024 * 1024;

const peakMB = () => process.resourceUsage().maxRSS / 1024;

type ChildReport = { startMB: number | null; loadedMB: number; peakMB: number; checkpoints?: { step: number; rssMB: number; heapMB: number; kernelMB: number }[] };

async function child(system: string, id: string, steps: number): Promise<void> {
  let run: Run;
  let kernelBytes = () => 0;
  const startMB = peakMB();
  let loadedMB: number;
  if (system === "gradlens") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const g = require("../dist/engine.js");
    loadedMB = peakMB();
    run = gradlensRun(g, id);
    kernelBytes = () => g.kernelMemoryBytes();
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tf = require("@tensorflow/tfjs");
    if (system === "tfjs-wasm") {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const wasm = require("@tensorflow/tfjs-backend-wasm");
      wasm.setWasmPaths(path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm")), "/"));
    }
    await tf.setBackend(system === "tfjs-wasm" ? "wasm" : "cpu");
    await tf.ready();
    loadedMB = peakMB();
    run = tfjsRun(tf, id);
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  const checkpoints: ChildReport["checkpoints"] = [];
  const every = Math.max(1, Math.floor(steps / 10));
  for (let s = 1; s <= steps; s++) {
    run();
    if (system === "gradlens" && s % every === 0 && gc !== undefined) {
      gc();
      const m = process.memoryUsage();
      checkpoints.push({ step: s, rssMB: m.rss / MB, heapMB: m.heapUsed / MB, kernelMB: kernelBytes() / MB });
    }
  }
  const report: ChildReport = { startMB, loadedMB, peakMB: peakMB(), ...(checkpoints.length > 0 ? { checkpoints } : {}) };
  console.log(JSON.stringify(report));
}

function spawnChild(system: string, id: string, steps: number): ChildReport | string {
  const root = path.resolve(__dirname, "..");
  try {
    const out = system === "pytorch"
      ? execFileSync(fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3", [path.join(__dirname, "peers_torch.py"), "--memory", id, String(steps)], { encoding: "utf8", env: torchEnv(), stdio: ["ignore", "pipe", "pipe"] })
      : execFileSync(process.execPath, ["--expose-gc", path.join(root, "scripts/run-ts.cjs"), __filename, "--child", system, id, String(steps)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return JSON.parse(out.trim().split("\n").pop()!) as ChildReport;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return (err.stderr ?? err.message).trim().split("\n").pop() ?? "failed";
  }
}

function main(): void {
  const rows: Row[] = [];
  const start: Record<string, number | null> = {}, loaded: Record<string, number> = {}, peak: Record<string, number> = {};
  const missing: string[] = [];
  for (const system of ["gradlens", "tfjs-cpu", "tfjs-wasm", "pytorch"]) {
    const r = spawnChild(system, "mlp-784", STEPS);
    if (typeof r === "string") {
      missing.push(`${system}: ${r}`);
      continue;
    }
    start[system] = r.startMB;
    loaded[system] = r.loadedMB;
    peak[system] = r.peakMB;
  }
  const fmt = (v: number | null | undefined) => (v === undefined || v === null ? "—" : v.toFixed(0));
  console.log(`\nMemory: MLP 784-256-10, batch 64, Adam, ${STEPS} steps, each system in a fresh process (peak resident set, MB)`);
  for (const m of missing) console.log(`  left out: ${m}`);
  const systems = Object.keys(peak);
  console.log(`| | ${systems.join(" | ")} |`);
  console.log(`|---|${systems.map(() => "---:").join("|")}|`);
  console.log(`| process started (Node or Python, and the benchmark's loader) | ${systems.map((s) => fmt(start[s])).join(" | ")} |`);
  console.log(`| library loaded | ${systems.map((s) => fmt(loaded[s])).join(" | ")} |`);
  console.log(`| after ${STEPS} steps | ${systems.map((s) => fmt(peak[s])).join(" | ")} |`);
  rows.push({ suite: "memory", case: `MLP 784-256-10, Adam, ${STEPS} steps: peak RSS`, unit: "MB", higherIsBetter: false, values: peak });

  console.log("\ngradlens over long runs (after a full collection at each tenth; MB)");
  console.log("| case | steps | resident set at 1/10 → end | JS heap at 1/10 → end | kernel memory at 1/10 → end |");
  console.log("|---|---:|---|---|---|");
  for (const [id, steps] of LONG) {
    const r = spawnChild("gradlens", id, steps);
    if (typeof r === "string" || r.checkpoints === undefined || r.checkpoints.length < 2) throw new Error(`gradlens ${id}: ${typeof r === "string" ? r : "no checkpoints"}`);
    const first = r.checkpoints[0], last = r.checkpoints[r.checkpoints.length - 1];
    const span = (a: number, b: number) => `${a.toFixed(1)} → ${b.toFixed(1)}`;
    console.log(`| ${id} | ${steps.toLocaleString("en-US")} | ${span(first.rssMB, last.rssMB)} | ${span(first.heapMB, last.heapMB)} | ${span(first.kernelMB, last.kernelMB)} |`);
    rows.push({ suite: "memory", case: `${id}, ${steps} steps: JS heap growth from 1/10 to the end`, unit: "MB", higherIsBetter: false, values: { gradlens: last.heapMB - first.heapMB } });
  }

  const out = path.join(__dirname, "results/latest.json");
  if (fs.existsSync(out)) {
    const latest = JSON.parse(fs.readFileSync(out, "utf8")) as { results: { suite: string }[] };
    latest.results = [...latest.results.filter((r) => r.suite !== "memory"), ...rows];
    fs.writeFileSync(out, JSON.stringify(latest, null, 2) + "\n");
    console.log("added to bench/results/latest.json");
  }
}

const at = process.argv.indexOf("--child");
if (at >= 0) void child(process.argv[at + 1], process.argv[at + 2], Number(process.argv[at + 3]));
else main();
