/**
 * The trace view in a real browser (Debian's Chromium through playwright-core), from recorded
 * traces: the HTML report opened from a file with the network off. Charts are drawn (non-empty
 * canvases), alerts listed, a drag zooms every chart to the same steps, NaN steps are marked.
 * Screenshots go to test-output/trace-view/.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { reportHtml } from "../../src/trace/host/report";
import { startRun } from "../../src/trace/host/runner";
import type { TraceEvent } from "../../src/trace/protocol";
import { skipUnlessAvailable } from "../support/prerequisites";
import { torchPython } from "../support/torchPython";

const root = path.resolve(__dirname, "../..");
const SHOTS = path.join(root, "test-output/trace-view");
const CHROMIUM = "/usr/bin/chromium";

async function record(file: string, args: string[] = [], timeoutSeconds = 30): Promise<TraceEvent[]> {
  const h = startRun({ file, args, entry: path.join(root, "dist/cli.js"), engine: path.join(root, "dist/engine.js"), timeoutSeconds });
  await h.done;
  return h.events;
}

/** Pixels of a canvas that aren't transparent, those strongly red, and those of any saturated colour (series, not grid). */
async function ink(page: Page, selector: string): Promise<{ drawn: number; red: number; coloured: number }> {
  return page.$eval(selector, (c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0, red = 0, coloured = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0) drawn++;
      if (d[i + 3] > 200 && d[i] > 200 && d[i + 1] < 80 && d[i + 2] < 80) red++;
      if (d[i + 3] > 150 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 80) coloured++;
    }
    return { drawn, red, coloured };
  });
}

/** A synthetic run of `steps` steps of one optimizer over two parameters (for sizes no test should train). */
function syntheticRun(steps: number): TraceEvent[] {
  const events: TraceEvent[] = [
    { type: "run-start", file: "/synthetic/long.ts", startedAt: 0, traced: true },
    { type: "params", optimizer: 0, kind: "SGD", label: "optimizer", params: [{ name: "0.weight", shape: [8, 3], optimizer: 0 }, { name: "0.bias", shape: [8], optimizer: 0 }] },
  ];
  for (let i = 1; i <= steps; i++) {
    const g = 1 / Math.sqrt(i);
    const stats = ["0.weight", "0.bias"].map((name, k) => ({ name, gradNorm: g * (k + 1), gradMaxAbs: g, gradMeanAbs: g / 3, weightNorm: 2, updateRatio: 1e-3 * g, nonFinite: 0 }));
    events.push({ type: "step", step: i, optimizer: 0, at: null, loss: 2 / (1 + i / 1000), backwardsSinceZero: 1, stepsSinceZero: 0, params: stats });
  }
  events.push({ type: "run-end", code: 0, reason: "exit", durationMs: 1000, steps });
  return events;
}

interface ViewInfo {
  nonFiniteSteps: number[];
  steps: number;
  draws: number;
  range: [number, number] | null;
  scales: Record<string, [number, number] | null>;
  legends: Record<string, string[]>;
  yTicks: Record<string, string[]>;
}

describe("the trace view in headless Chromium (HTML report, offline)", function () {
  this.timeout(90_000);
  let browser: Browser | undefined;
  let dir: string;
  const requests: string[] = [];

  before(async function () {
    skipUnlessAvailable(this, "trace view in Chromium", fs.existsSync(CHROMIUM) ? null : "Chromium is not installed (apt-get install -y chromium)");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-view-"));
    fs.mkdirSync(SHOTS, { recursive: true });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
  });
  after(async () => {
    await browser?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The report of `events` in a fresh offline page, once drawn (with a step, unless `anyStep` is false). */
  async function open(events: TraceEvent[], name: string, anyStep = true): Promise<Page> {
    const file = path.join(dir, `${name}.html`);
    fs.writeFileSync(file, reportHtml(events, path.join(root, "media/build")));
    const context = await browser!.newContext({ viewport: { width: 1300, height: 1100 }, offline: true });
    await context.route("**/*", (route) => {
      if (!route.request().url().startsWith("file://")) requests.push(route.request().url());
      return route.request().url().startsWith("file://") ? route.continue() : route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`file://${file}`);
    // Drawn once the data is in: the view draws on the next animation frame.
    await page.waitForFunction((needStep) => {
      const v = (window as unknown as { gradlensView?: () => { steps: number; draws: number } }).gradlensView?.();
      return v !== undefined && (v.steps > 0 || !needStep) && v.draws > 0;
    }, anyStep);
    assert.deepEqual(errors, []);
    return page;
  }

  const viewOf = async (page: Page) => (await page.evaluate(() => (window as unknown as { gradlensView: () => unknown }).gradlensView())) as ViewInfo;

  /** A script training a small MLP for `steps` steps with `loss` as its loss expression (`out`: the model's output). */
  const nanScript = (name: string, steps: number, loss: string) => {
    const file = path.join(dir, `${name}.ts`);
    fs.writeFileSync(file, `import { nn, optim, randn, manualSeed } from "gradlens";
manualSeed(1);
const model = new nn.Sequential(new nn.Linear(3, 8), new nn.Tanh(), new nn.Linear(8, 1));
const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
for (let i = 0; i < ${steps}; i++) {
  opt.zeroGrad();
  const out = model.forward(randn(8, 3));
  const loss = ${loss};
  loss.backward();
  opt.step();
}
`);
    return file;
  };

  it("draws every chart of the missing-zero run, lists the alert, and zooms every chart together", async () => {
    const events = await record(path.join(root, "examples/missing-zero-grad.ts"));
    const page = await open(events, "missing-zero");
    await page.screenshot({ path: path.join(SHOTS, "report.png"), fullPage: true });
    for (const chart of ["#loss canvas", "#grad canvas", "#ratio canvas", "#flow", "#heat"]) {
      assert.ok((await ink(page, chart)).drawn > 1000, `${chart} is drawn`);
    }
    const alerts = await page.locator("#alerts li").allInnerTexts();
    assert.equal(alerts.length, 1);
    assert.match(alerts[0], /^accumulated-gradients missing-zero-grad\.ts:43 confirmed at runtime: step 62/);
    assert.match(await page.locator("#status").innerText(), /^120 steps — finished in/);
    // Drag across the loss chart: every chart shows the same, narrower step range.
    const over = page.locator("#loss .u-over");
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => (window as unknown as { gradlensView: () => { range: unknown } }).gradlensView().range !== null);
    const view = await viewOf(page);
    assert.ok(view.range !== null, "zoomed");
    const [lo, hi] = view.range!;
    assert.ok(lo > 50 && hi < 100 && hi - lo > 10, `range ${lo}..${hi}`);
    for (const k of ["loss", "grad", "ratio"]) assert.deepEqual(view.scales[k], view.range, k);
    await page.screenshot({ path: path.join(SHOTS, "report-zoomed.png"), fullPage: true });
    await page.locator("#reset-zoom").click();
    await page.waitForFunction(() => (window as unknown as { gradlensView: () => { range: unknown } }).gradlensView().range === null);
    await page.context().close();
  });

  it("marks NaN steps with a red line and red heatmap cells, never hiding them", async () => {
    const file = path.join(dir, "nan.ts");
    fs.writeFileSync(file, `import { nn, optim, randn, manualSeed } from "gradlens";
manualSeed(1);
const model = new nn.Linear(3, 1);
const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
for (let i = 0; i < 30; i++) {
  opt.zeroGrad();
  const out = model.forward(randn(8, 3));
  (i === 10 ? out.mul(NaN) : out).pow(2).mean().backward();
  opt.step();
}
`);
    const page = await open(await record(file), "nan");
    await page.screenshot({ path: path.join(SHOTS, "report-nan.png"), fullPage: true });
    const view = (await page.evaluate(() => (window as unknown as { gradlensView: () => unknown }).gradlensView())) as ViewInfo;
    assert.deepEqual(view.nonFiniteSteps.slice(0, 1), [11]);
    assert.ok((await ink(page, "#loss canvas")).red > 20, "a red marker on the loss chart");
    assert.ok((await ink(page, "#heat")).red > 20, "red heatmap cells");
    const alerts = await page.locator("#alerts li").allInnerTexts();
    assert.ok(alerts.some((a) => /^non-finite nan\.ts:9 step 11: the gradient of weight has 3 NaN\/Inf values/.test(a)), alerts.join("\n"));
    await page.context().close();
  });

  it("a GAN: each network's series under its optimizer's name, lines drawn across the other's steps, one loss per optimizer", async () => {
    const page = await open(await record(path.join(root, "examples/gan.ts")), "gan");
    await page.screenshot({ path: path.join(SHOTS, "report-gan.png"), fullPage: true });
    const view = await viewOf(page);
    assert.deepEqual(view.legends.loss, ["loss (optD)", "loss (optG)"]);
    assert.ok(view.legends.grad.includes("optD: 0.weight") && view.legends.grad.includes("optG: 0.weight"), view.legends.grad.join(", "));
    assert.equal(view.legends.grad.length, 8);
    // Every other step is the other network's: with gaps there, uPlot drew no line at all.
    for (const chart of ["#loss canvas", "#grad canvas", "#ratio canvas"]) {
      assert.ok((await ink(page, chart)).coloured > 2000, `${chart} has its lines drawn`);
    }
    const heatLabels = await page.locator("#heat-labels div").allInnerTexts();
    assert.deepEqual(heatLabels.slice(0, 1), ["optD: 0.weight"]);
    await page.context().close();
  });

  it("a loss that is NaN from step 1 while the gradients are finite: an alert, and one shaded band", async () => {
    const page = await open(await record(nanScript("loss-nan", 300, "out.pow(2).mean().add(NaN)")), "loss-nan");
    await page.screenshot({ path: path.join(SHOTS, "report-loss-nan.png"), fullPage: true });
    const alerts = await page.locator("#alerts li").allInnerTexts();
    assert.deepEqual(alerts, ["non-finite loss-nan.ts:9 step 1: the loss passed to backward() is NaN"]);
    const view = await viewOf(page);
    assert.equal(view.nonFiniteSteps.length, 300);
    // The gradients are finite: their chart has lines.
    assert.ok((await ink(page, "#grad canvas")).coloured > 2000);
    await page.context().close();
  });

  it("NaN and Inf gradients and a loss of 1e29: short tick labels, red NaN bars in the flow chart, red heatmap cells", async () => {
    const page = await open(await record(nanScript("diverge", 200, "out.mul(100).pow(2).mean().mul(i < 3 ? 1e13 : 1e38).mul(i < 3 ? 1 : 1e38)")), "diverge");
    await page.screenshot({ path: path.join(SHOTS, "report-diverge.png"), fullPage: true });
    const view = await viewOf(page);
    assert.ok(view.yTicks.loss.length > 0, "the loss axis has labels");
    // Gradient norms past 1e16: uPlot's own log ticks stop there and the axis had none.
    assert.ok(view.yTicks.grad.filter((t) => t !== "").length >= 2, `gradient axis labels: ${view.yTicks.grad.join(" ")}`);
    for (const t of [...view.yTicks.loss, ...view.yTicks.grad]) {
      assert.match(t, /^(-?\d+(\.\d+)?(e-?\d+)?)?$/, `tick label ${JSON.stringify(t)}`);
      assert.ok(t.length <= 7, `tick label ${t} is short`);
    }
    assert.ok((await ink(page, "#flow")).red > 1000, "the flow chart's NaN bars are red");
    assert.ok((await ink(page, "#heat")).red > 1000, "red heatmap cells");
    await page.context().close();
  });

  it("a run of a single step draws every chart", async () => {
    const page = await open(await record(nanScript("single", 1, "out.pow(2).mean()")), "single");
    await page.screenshot({ path: path.join(SHOTS, "report-single-step.png"), fullPage: true });
    const view = await viewOf(page);
    assert.equal(view.steps, 1);
    for (const chart of ["#loss canvas", "#grad canvas", "#ratio canvas", "#flow", "#heat"]) assert.ok((await ink(page, chart)).drawn > 500, `${chart} is drawn`);
    assert.ok((await ink(page, "#flow")).coloured > 1000, "the flow chart has bars");
    await page.context().close();
  });

  it("a run of 100,000 steps draws, and zooms to a step range", async () => {
    const page = await open(syntheticRun(100_000), "long");
    await page.screenshot({ path: path.join(SHOTS, "report-100k-steps.png"), fullPage: true });
    assert.equal((await viewOf(page)).steps, 100_000);
    assert.ok((await ink(page, "#grad canvas")).coloured > 500, "two lines drawn");
    const over = page.locator("#grad .u-over");
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => (window as unknown as { gradlensView: () => { range: unknown } }).gradlensView().range !== null);
    const [lo, hi] = (await viewOf(page)).range!;
    assert.ok(lo > 15_000 && hi < 35_000 && hi > lo, `range ${lo}..${hi}`);
    await page.context().close();
  });

  it("a run streamed in batches (as the webview gets it), starting with no step at all, shows every step", async () => {
    const events = syntheticRun(120);
    // The page opens on the run's start alone, as the webview does before the first step.
    const page = await open(events.slice(0, 2), "streamed", false);
    for (let from = 2; from < events.length; from += 30) {
      await page.evaluate((batch) => window.postMessage({ type: "events", events: batch }, "*"), events.slice(from, from + 30));
      await page.waitForFunction((n) => (window as unknown as { gradlensView: () => { steps: number } }).gradlensView().steps >= n, Math.min(120, from + 28));
    }
    await page.waitForFunction(() => {
      const v = (window as unknown as { gradlensView: () => { steps: number; scales: Record<string, [number, number]> } }).gradlensView();
      return v.steps === 120 && v.scales.loss[1] === 120;
    });
    const view = await viewOf(page);
    assert.equal(view.range, null, "no zoom was recorded from the empty first draw");
    for (const k of ["loss", "grad", "ratio"]) assert.deepEqual(view.scales[k], [1, 120], k);
    await page.screenshot({ path: path.join(SHOTS, "report-streamed.png"), fullPage: true });
    await page.context().close();
  });

  it("a torchrun job with two ranks: the rank selector lists both with their alerts, and choosing rank 1 shows its run", async function () {
    const { python, missing } = torchPython();
    skipUnlessAvailable(this, "a PyTorch run in the trace view", missing);
    const scripts = path.join(__dirname, "python");
    const h = startRun({
      file: "ddp.py", cwd: scripts, entry: path.join(root, "dist/cli.js"), engine: path.join(root, "dist/engine.js"), timeoutSeconds: 120,
      python: { bootstrap: path.join(root, "dist/python"), launch: [path.join(path.dirname(python), "torchrun"), "--standalone", "--nproc_per_node", "2", "--redirects", "1", "--tee", "1", "ddp.py", "missing"] },
    });
    await h.done;
    const page = await open(h.events, "ranks");
    const select = page.locator("#rank");
    assert.ok(await select.isVisible());
    assert.deepEqual(await select.locator("option").allInnerTexts(), ["rank 0 (1 alert)", "rank 1 (1 alert)"]);
    assert.equal(await select.inputValue(), "0");
    const rank0 = await viewOf(page) as ViewInfo & { rank: number; lastLoss: number };
    assert.deepEqual([rank0.rank, rank0.steps], [0, 10]);
    await select.selectOption("1");
    await page.waitForFunction(() => (document.querySelectorAll("#alerts li").length === 1));
    const rank1 = await viewOf(page) as ViewInfo & { rank: number; lastLoss: number };
    assert.deepEqual([rank1.rank, rank1.steps], [1, 10]);
    assert.notEqual(rank1.lastLoss, rank0.lastLoss, "each rank's own losses (each trains on its half of the batch)");
    assert.match((await page.locator("#alerts li").allInnerTexts())[0], /^accumulated-gradients ddp\.py:19 confirmed at runtime/);
    assert.ok((await ink(page, "#grad canvas")).coloured > 100, "rank 1's gradient norms are drawn");
    await page.screenshot({ path: path.join(SHOTS, "ranks.png") });
    // One process: no selector.
    const single = await open(syntheticRun(5), "one-rank");
    assert.equal(await single.locator("#rank").isVisible(), false);
  });

  // The two demos, traced for real (the README's loss curves): each layer's gradients charted, the loss falling, no alert.
  for (const [name, file, args, layers] of [
    ["CNN on drawn digits (4 epochs)", "cnn-digits.ts", [], ["features.0.weight", "features.3.weight", "features.4.weight", "classifier.2.weight"]],
    ["tiny GPT on the sonnets (150 steps)", "tiny-gpt.ts", ["--steps", "150"], ["tokens.weight", "blocks.0.attn.qkv.weight", "blocks.1.mlp.2.weight", "head.weight"]],
  ] as const) {
    it(`the ${name} demo traces: every layer's gradients, a falling loss, no alert`, async function () {
      this.timeout(600_000);
      const events = await record(path.join(root, "examples", file), [...args], 600);
      const end = events.find((e) => e.type === "run-end");
      assert.ok(end && end.type === "run-end" && end.code === 0, JSON.stringify(end));
      const losses = events.flatMap((e) => (e.type === "step" && e.loss !== null ? [e.loss] : []));
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      assert.ok(mean(losses.slice(-10)) < mean(losses.slice(0, 10)) / 1.5, `loss ${mean(losses.slice(0, 10))} → ${mean(losses.slice(-10))}`);
      const page = await open(events, file.replace(".ts", ""));
      const view = await viewOf(page);
      assert.equal(view.steps, losses.length);
      for (const layer of layers) assert.ok(view.legends.grad.some((l) => l.endsWith(layer)), `${layer} in ${view.legends.grad.join(", ")}`);
      assert.equal(await page.locator("#alerts li").count(), 0, "a correct loop raises no alert");
      assert.ok((await ink(page, "#loss canvas")).coloured > 200, "the loss is drawn");
      await page.screenshot({ path: path.join(SHOTS, `demo-${file.replace(".ts", "")}.png`) });
    });
  }

  it("opened offline, the report asked the network for nothing", () => {
    assert.deepEqual(requests, []);
  });
});
