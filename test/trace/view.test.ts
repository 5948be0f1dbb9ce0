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
import { reportHtml } from "../../src/trace/report";
import { startRun } from "../../src/trace/runner";
import type { TraceEvent } from "../../src/trace/protocol";
import { skipUnlessAvailable } from "../support/prerequisites";

const root = path.resolve(__dirname, "../..");
const SHOTS = path.join(root, "test-output/trace-view");
const CHROMIUM = "/usr/bin/chromium";

async function record(file: string): Promise<TraceEvent[]> {
  const h = startRun({ file, entry: path.join(root, "dist/cli.js"), engine: path.join(root, "dist/engine.js"), timeoutSeconds: 30 });
  await h.done;
  return h.events;
}

/** Pixels of a canvas that aren't transparent, and those that are strongly red. */
async function ink(page: Page, selector: string): Promise<{ drawn: number; red: number }> {
  return page.$eval(selector, (c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0, red = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0) drawn++;
      if (d[i + 3] > 200 && d[i] > 200 && d[i + 1] < 80 && d[i + 2] < 80) red++;
    }
    return { drawn, red };
  });
}

interface ViewInfo { nonFiniteSteps: number[]; steps: number; range: [number, number] | null; scales: Record<string, [number, number] | null> }

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

  async function open(events: TraceEvent[], name: string): Promise<Page> {
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
    await page.waitForFunction(() => (window as unknown as { gradlensView?: () => { steps: number } }).gradlensView?.().steps! > 0);
    await page.waitForTimeout(300); // one animation frame after the data
    assert.deepEqual(errors, []);
    return page;
  }

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
    await page.waitForTimeout(200);
    const view = (await page.evaluate(() => (window as unknown as { gradlensView: () => unknown }).gradlensView())) as ViewInfo;
    assert.ok(view.range !== null, "zoomed");
    const [lo, hi] = view.range!;
    assert.ok(lo > 50 && hi < 100 && hi - lo > 10, `range ${lo}..${hi}`);
    for (const k of ["loss", "grad", "ratio"]) assert.deepEqual(view.scales[k], view.range, k);
    await page.screenshot({ path: path.join(SHOTS, "report-zoomed.png"), fullPage: true });
    await page.locator("#reset-zoom").click();
    await page.waitForTimeout(200);
    assert.equal(((await page.evaluate(() => (window as unknown as { gradlensView: () => unknown }).gradlensView())) as ViewInfo).range, null);
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

  it("opened offline, the report asked the network for nothing", () => {
    assert.deepEqual(requests, []);
  });
});
