/**
 * Tracing costs, measured against the untraced run in the same process tree:
 *  - a 784-256-10 MLP training loop (batch 64, SGD) run by `gradlens run` and by `gradlens trace`
 *    with logEvery 1: the loop's own CPU time, reported by the script, over alternating runs;
 *  - the trace view with 100,000 steps × 20 parameters (20,000 with --quick) in headless Chromium: time from the data
 *    arriving to the first full draw, and to redraw after zooming into a step range.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium as playwright } from "playwright-core";
import { reportHtml } from "../src/trace/host/report";

const root = path.resolve(__dirname, "..");
const cli = path.join(root, "dist/cli.js");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-trace-bench-"));
const script = path.join(dir, "mlp.ts");
// Under `gradlens trace`, the script detaches and re-attaches the tracer's sink between blocks of
// steps: the same process, JIT state and heap measure the loop with and without tracing, block by
// block, so machine load (this is a 2-CPU VM) hits both alike.
fs.writeFileSync(script, `import { nn, optim, randn, randint, manualSeed } from "gradlens";
manualSeed(0);
const model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const lossFn = new nn.CrossEntropyLoss();
const x = randn(64, 784), y = randint(0, 10, [64]);
const probe = (globalThis as any)[Symbol.for("gradlens.probe.v1")];
const sink = probe.sink;
const block = (n: number) => {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    opt.zeroGrad();
    const loss = lossFn.forward(model.forward(x), y);
    loss.backward();
    opt.step();
  }
  const u = process.cpuUsage(t0);
  return (u.user + u.system) / 1000 / n;
};
const [blocks, per] = [Number(process.argv[2]), Number(process.argv[3])];
block(5);
const on: number[] = [], off: number[] = [];
// The order alternates too, so whatever one block leaves behind (garbage, cache state) lands on both.
for (let b = 0; b < blocks; b++) {
  for (const traced of b % 2 === 0 ? [false, true] : [true, false]) {
    probe.sink = traced ? sink : null;
    (traced ? on : off).push(block(per));
  }
}
console.log("RESULT " + JSON.stringify({ on, off }));
`);

const blocks = Number(process.env.BENCH_TRACE_BLOCKS ?? (process.env.BENCH_QUICK === "1" ? 60 : 300));
const per = 3;
const out = execFileSync(process.execPath, [cli, "trace", script, "--log-every", "1", "--steps", "100000", "--", String(blocks), String(per)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
const { on, off } = JSON.parse(/RESULT (.*)/.exec(out)![1]) as { on: number[]; off: number[] };
const ratio = median(on.map((t, i) => t / off[i]));
console.log(`\nTracing overhead, 784-256-10 MLP, batch 64, SGD with momentum, logEvery 1: ${blocks} alternating blocks of ${per} steps in one traced process, CPU time`);
console.log("| loop | ms/step (median) | vs untraced |");
console.log("|---|---:|---:|");
console.log(`| untraced (sink detached) | ${median(off).toFixed(1)} | 1.00× |`);
console.log(`| traced (every statistic of every step) | ${median(on).toFixed(1)} | ${ratio.toFixed(3)}× (${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)}%, median of per-block ratios; target ≤ +10%) |`);
fs.rmSync(dir, { recursive: true, force: true });

/** Steps the view is given (fewer with --quick, a smoke run). */
const VIEW_STEPS = process.env.BENCH_QUICK === "1" ? 20_000 : 100_000;
const viewSteps = VIEW_STEPS.toLocaleString("en");

async function viewBench(): Promise<void> {
  const chromium = "/usr/bin/chromium";
  if (!fs.existsSync(chromium)) {
    console.log("\nTrace view: NOT MEASURED (Chromium is not installed: apt-get install -y chromium)");
    return;
  }
  const page0 = path.join(os.tmpdir(), `gradlens-view-bench-${process.pid}.html`);
  fs.writeFileSync(page0, reportHtml([], path.join(root, "media/build")));
  const browser = await playwright.launch({ executablePath: chromium, args: ["--no-sandbox", "--disable-gpu"] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`file://${page0}`);
  type View = { steps: number; draws: number; lastDrawMs: number };
  // The events are made in the page (sending 2M statistics through the protocol would measure the pipe).
  const first = await page.evaluate(async (nSteps) => {
    const nParams = 20;
    const params = Array.from({ length: nParams }, (_, i) => ({ name: `layer${i >> 1}.${i % 2 ? "bias" : "weight"}`, shape: [64, 64], optimizer: 0 }));
    const events: unknown[] = [{ type: "run-start", file: "/bench/train.ts", startedAt: 0, traced: true }, { type: "params", optimizer: 0, kind: "Adam", params }];
    for (let s = 1; s <= nSteps; s++) {
      events.push({
        type: "step", step: s, optimizer: 0, at: null, loss: 2 / Math.sqrt(s) + 0.01 * Math.sin(s), backwardsSinceZero: 1, stepsSinceZero: 0,
        params: params.map((p, i) => ({ name: p.name, gradNorm: (1 + i) / Math.sqrt(s), gradMaxAbs: 0.1, gradMeanAbs: 0.01, weightNorm: 5, updateRatio: 1e-3 * (1 + Math.sin(s / 1000)), nonFinite: 0 })),
      });
    }
    events.push({ type: "run-end", code: 0, reason: "exit", durationMs: 1000, steps: nSteps });
    const view = () => (window as unknown as { gradlensView: () => View }).gradlensView();
    const before = view().draws;
    const t0 = performance.now();
    window.postMessage({ type: "events", events, reset: true }, "*");
    while (view().draws === before) await new Promise((r) => requestAnimationFrame(r));
    await new Promise((r) => requestAnimationFrame(r));
    return { total: performance.now() - t0, draw: view().lastDrawMs };
  }, VIEW_STEPS);
  // Zoom: a drag across the middle of the loss chart.
  const over = page.locator("#loss .u-over");
  const box = (await over.boundingBox())!;
  const t0 = Date.now();
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 3 });
  await page.mouse.up();
  const zoom = await page.evaluate(async () => {
    await new Promise((r) => requestAnimationFrame(r));
    await new Promise((r) => requestAnimationFrame(r));
    return (window as unknown as { gradlensView: () => View }).gradlensView().lastDrawMs;
  });
  const zoomWall = Date.now() - t0;
  await browser.close();
  fs.rmSync(page0, { force: true });
  console.log(`\nTrace view, ${viewSteps} steps × 20 parameters, headless Chromium`);
  console.log("| measurement | ms |");
  console.log("|---|---:|");
  console.log(`| all ${viewSteps} steps arrive in one message → first full draw (structured clone and ingest included) | ${first.total.toFixed(0)} |`);
  console.log(`| of which drawing (all charts) | ${first.draw.toFixed(0)} |`);
  console.log(`| zoom into a step range → redrawn (draw / wall, incl. the mouse drag) | ${zoom.toFixed(0)} / ${zoomWall} |`);
}

void viewBench();
