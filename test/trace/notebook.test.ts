/**
 * `%load_ext gradlens` in a real Jupyter kernel (Debian's ipykernel, run by nbclient): the cell
 * that steps an optimizer gets the trace view as its output, and that view, opened in headless
 * Chromium with the network off, draws the run and lists the alert.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import { notebookSetupCell } from "../../src/trace/host/notebookView";
import { skipUnlessAvailable } from "../support/prerequisites";
import { torchPython } from "../support/torchPython";

const root = path.resolve(__dirname, "../..");
const CHROMIUM = "/usr/bin/chromium";

/** nbformat stores multi-line strings as lists of lines. */
type Text = string | string[];
interface Output { output_type: string; text?: Text; data?: Record<string, Text>; ename?: string }
const joined = (t: Text | undefined) => (Array.isArray(t) ? t.join("") : t ?? "");
interface Cell { source: string; outputs: Output[] }

const TRAINING = [
  "import torch\ntorch.manual_seed(0)\nmodel = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))\noptimizer = torch.optim.SGD(model.parameters(), lr=0.02)\nx = torch.randn(32, 4); y = x.sum(1, keepdim=True)",
  // No zero_grad(): the alert, at this cell's line 3.
  "for step in range(20):\n    loss = torch.nn.functional.mse_loss(model(x), y)\n    loss.backward()\n    optimizer.step()",
  "print('no optimizer here')",
  // Fixed: no alert in this cell's output.
  "for step in range(20):\n    optimizer.zero_grad()\n    loss = torch.nn.functional.mse_loss(model(x), y)\n    loss.backward()\n    optimizer.step()",
];

describe("notebooks: %load_ext gradlens in a Jupyter kernel", function () {
  this.timeout(240_000);
  let dir: string;
  let python: string;
  before(function () {
    const found = torchPython();
    skipUnlessAvailable(this, "notebook tracing", found.missing);
    python = found.python;
    const nb = spawnSync(python, ["-c", "import nbclient, ipykernel, nbformat"], { encoding: "utf8" });
    skipUnlessAvailable(this, "notebook tracing", nb.status === 0 ? null : `${python} lacks nbclient/ipykernel (apt-get install python3-nbclient python3-ipykernel python3-nbformat)`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-nb-"));
  });
  after(() => dir !== undefined && fs.rmSync(dir, { recursive: true, force: true }));

  function execute(cells: string[], env: NodeJS.ProcessEnv = {}): Cell[] {
    const input = path.join(dir, "cells.json"), out = path.join(dir, "out.ipynb");
    fs.writeFileSync(input, JSON.stringify(cells));
    const r = spawnSync(python, [path.join(__dirname, "python/run_notebook.py"), input, out], { encoding: "utf8", env: { ...process.env, ...env } });
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(fs.readFileSync(out, "utf8")) as { cells: Cell[] }).cells;
  }
  const html = (c: Cell) => c.outputs.filter((o) => o.output_type === "display_data" && o.data?.["text/html"] !== undefined).map((o) => joined(o.data!["text/html"]));
  const plain = (c: Cell) => c.outputs.filter((o) => o.output_type === "display_data").map((o) => joined(o.data?.["text/plain"])).join("\n");
  const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

  it("the setup cell of \"Trace This Notebook\": the training cell shows the trace view with the alert; cells without steps show nothing", async () => {
    const cells = execute([notebookSetupCell(path.join(root, "dist/python")), ...TRAINING]);
    assert.match(cells[0].outputs.map((o) => joined(o.text)).join(""), /^GradLens is tracing this kernel \(wrapped Optimizer\.step \(torch 1\.[^)]*\)\): a cell that steps an optimizer shows its trace below it\.\n$/);
    assert.deepEqual(html(cells[1]), [], "building the model steps nothing");
    assert.equal(html(cells[2]).length, 1);
    assert.match(plain(cells[2]), /^GradLens: 20 steps in cell \[3\], loss [\d.]+ → [\d.]+; 1 alert:\n {2}line 4 {2}accumulated-gradients {2}confirmed at runtime: step 2 applied gradients of 2 backward passes/);
    assert.deepEqual(html(cells[3]), []);
    assert.match(plain(cells[4]), /^GradLens: 20 steps in cell \[5\], loss [\d.]+ → [\d.]+; no alerts$/);

    // The output is the trace view itself: open it offline in Chromium.
    const frame = html(cells[2])[0];
    const m = /^<iframe class="gradlens-trace" title="GradLens trace" sandbox="allow-scripts" style="[^"]*" srcdoc="([^"]*)"><\/iframe>$/.exec(frame);
    assert.ok(m !== null, frame.slice(0, 300));
    const page = unescape(m[1]);
    assert.ok(!/\bsrc="http|href="http/.test(page), "nothing is loaded over the network");
    skipUnlessAvailable(this as unknown as Mocha.Context, "notebook view in Chromium", fs.existsSync(CHROMIUM) ? null : "Chromium is not installed (apt-get install -y chromium)");
    const { chromium } = await import("playwright-core");
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    try {
      const context = await browser.newContext({ viewport: { width: 1200, height: 1100 }, offline: true });
      const view = await context.newPage();
      const errors: string[] = [];
      view.on("pageerror", (e) => errors.push(e.message));
      // The cell output as a notebook front end shows it: the iframe in a page.
      await view.setContent(`<!DOCTYPE html><html><body>${frame}</body></html>`);
      const inner = view.frames().find((f) => f !== view.mainFrame())!;
      await inner.waitForFunction(() => {
        const v = (window as unknown as { gradlensView?: () => { steps: number; draws: number } }).gradlensView?.();
        return v !== undefined && v.steps === 20 && v.draws > 0;
      });
      assert.deepEqual(errors, []);
      const alerts = await inner.locator("#alerts li").allInnerTexts();
      assert.equal(alerts.length, 1);
      assert.match(alerts[0], /^accumulated-gradients cell \[3\]:4 confirmed at runtime: step 2/);
      const drawn = await inner.$eval("#grad canvas", (c) => {
        const canvas = c as HTMLCanvasElement;
        const d = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
        let coloured = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 150 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 80) coloured++;
        return coloured;
      });
      assert.ok(drawn > 100, `the gradient chart is drawn (${drawn} coloured pixels)`);
      fs.mkdirSync(path.join(root, "test-output/trace-view"), { recursive: true });
      await view.screenshot({ path: path.join(root, "test-output/trace-view/notebook-cell.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it("the kernel's PYTHONPATH set to `gradlens python-path`, or the folder pip-installed with no index, then %load_ext gradlens", () => {
    const printed = spawnSync(process.execPath, [path.join(root, "dist/cli.js"), "python-path"], { encoding: "utf8" });
    assert.equal(printed.status, 0);
    const folder = printed.stdout.trim();
    assert.equal(folder, path.join(root, "dist/python"));
    const viaPath = execute(["%load_ext gradlens", ...TRAINING.slice(0, 2)], { PYTHONPATH: folder });
    assert.match(plain(viaPath[2]), /^GradLens: 20 steps in cell \[3\].*; 1 alert:/);
    // pip install <folder>: its own build backend needs nothing from an index.
    const target = path.join(dir, "site");
    const pip = spawnSync(python, ["-m", "pip", "install", "--no-index", "--no-deps", "--target", target, folder], { encoding: "utf8" });
    assert.equal(pip.status, 0, pip.stderr);
    assert.ok(fs.existsSync(path.join(target, "gradlens/_view.html")));
    assert.ok(!fs.existsSync(path.join(target, "sitecustomize.py")), "the bootstrap's sitecustomize is not installed");
    const viaPip = execute(["%load_ext gradlens", ...TRAINING.slice(0, 2)], { PYTHONPATH: target });
    assert.match(plain(viaPip[2]), /^GradLens: 20 steps in cell \[3\].*; 1 alert:/);
  });
});
