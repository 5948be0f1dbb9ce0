/**
 * End to end in a real VS Code: code-server (pinned, scripts/setup-code-server.sh) with the packaged
 * VSIX installed, driven through Debian's Chromium with playwright-core. A temporary copy of
 * examples/ (plus two buggy scripts) is opened, and everything a user would do is done with the
 * keyboard and mouse: squiggles and the Problems panel, Ctrl+. quick fixes, fix on save, the
 * CodeLens, disabling a line, hovers, Lint Workspace, and an untrusted folder. Screenshots of each
 * step go to test-output/e2e-vscode/ (not committed). Without code-server or Chromium the suite
 * says so and fails in CI (GRADLENS_E2E=required), or is reported as not run locally.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { lintText } from "../../src/analysis/lint";
import { CHROMIUM, CodeServer, missingPrerequisite, packageExtension, ROOT, startCodeServer } from "./codeServer";
import { skipUnlessAvailable } from "../support/prerequisites";
import { torchPython } from "../support/torchPython";

const SHOTS = path.join(ROOT, "test-output/e2e-vscode");
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const USER_SETTINGS = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  // The examples import "gradlens", which the copied folder can't resolve: keep TypeScript's own
  // errors out of the Problems panel so only gradlens rows are there.
  "typescript.validate.enable": false,
  "javascript.validate.enable": false,
  "editor.hover.delay": 300,
};

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

async function openWorkbench(browser: Browser, server: CodeServer, folder: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(folder)}`);
  await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
  return page;
}

/** Opens a quick input (`key`), types `text`, waits for the matching row and picks it. */
async function pick(page: Page, key: string, text: string): Promise<void> {
  await page.keyboard.press(key);
  await page.waitForSelector(".quick-input-widget input", { state: "visible" });
  await page.keyboard.type(text);
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${text}"]`, { timeout: 15_000 });
  await page.keyboard.press("Enter");
}

/**
 * Quick Open (Ctrl+P) a file by name and wait until its editor has focus. Tried twice: the
 * workbench can take focus from the quick input mid-pick (a notification, a restarting client).
 */
async function openFile(page: Page, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await pick(page, "Control+P", name);
      await page.waitForSelector(`.tab.active[aria-label*="${name}"]`, { timeout: 10_000 });
      await page.waitForSelector(".monaco-editor.focused", { timeout: 10_000 });
      return;
    } catch (e) {
      if (attempt === 2) throw e;
      await page.keyboard.press("Escape");
    }
  }
}

/** Runs a command from the palette (F1) by its title. */
async function runCommand(page: Page, title: string): Promise<void> {
  await pick(page, "F1", title);
}

/** Ctrl+G: puts the cursor on a line (scrolling it into view). */
async function goToLine(page: Page, line: number): Promise<void> {
  await page.keyboard.press("Control+G");
  await page.waitForSelector(".quick-input-widget input", { state: "visible" });
  await page.keyboard.type(String(line));
  await page.keyboard.press("Enter");
}

/** Waits for the "{}" language status entry to mention `expected` (its label lists every item). */
async function languageStatus(page: Page, expected: RegExp): Promise<string> {
  const item = page.locator("[id='status.languageStatus']");
  const deadline = Date.now() + 15_000;
  for (;;) {
    const label = (await item.getAttribute("aria-label")) ?? "";
    if (expected.test(label) || Date.now() > deadline) {
      assert.match(label, expected);
      return label;
    }
    await page.waitForTimeout(200);
  }
}

const squiggles = (page: Page) => page.locator(".monaco-editor.focused .squiggly-warning");

/** The Problems panel's rows (Ctrl+Shift+M), as text. */
async function problemRows(page: Page): Promise<string[]> {
  await runCommand(page, "View: Focus Problems (Errors, Warnings, Infos)");
  await page.waitForSelector(".markers-panel", { state: "visible" });
  return page.locator(".markers-panel .monaco-list-row").allInnerTexts();
}

/** Moves the cursor to the next problem (F8), closes the peek, and opens the quick fix menu (Ctrl+.). */
async function quickFixMenu(page: Page): Promise<string[]> {
  await page.keyboard.press("F8");
  await page.waitForSelector(".marker-widget", { state: "visible" });
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+.");
  await page.waitForSelector(".action-widget .monaco-list-row", { state: "visible", timeout: 10_000 });
  return page.locator(".action-widget .monaco-list-row").allInnerTexts();
}

/** Picks a code action from the open menu with the keyboard (arrows to it, then Enter). */
async function chooseAction(page: Page, title: string): Promise<void> {
  const rows = page.locator(".action-widget .monaco-list-row.action");
  const labels = await rows.evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? e.textContent ?? ""));
  const target = labels.findIndex((l) => l.includes(title));
  assert.ok(target >= 0, `no action "${title}" in:\n${labels.join("\n")}`);
  let at = await rows.evaluateAll((els) => els.findIndex((e) => e.classList.contains("focused")));
  if (at < 0) at = 0;
  for (; at < target; at++) await page.keyboard.press("ArrowDown");
  for (; at > target; at--) await page.keyboard.press("ArrowUp");
  await page.keyboard.press("Enter");
}

async function save(page: Page): Promise<void> {
  await page.keyboard.press("Control+S");
  await page.waitForSelector(".tab.active.dirty", { state: "detached", timeout: 15_000 });
}

/** Waits until a file on disk satisfies `ok` (a save finishes asynchronously). */
async function diskText(file: string, ok: (text: string) => boolean, ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = fs.readFileSync(file, "utf8");
    if (ok(text) || Date.now() > deadline) return text;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const why = missingPrerequisite();

const PY_TRACE_SCRIPT = `import torch

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.02)
x = torch.randn(32, 4)
y = x.sum(1, keepdim=True)
for step in range(30):
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
`;

describe("end to end in a real VS Code (code-server + Chromium)", function () {
  this.timeout(120_000);
  let tmp: string;
  let vsix: string;
  let workspace: string;
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  /** The page a failure screenshot is taken of (the untrusted test opens its own). */
  let current: Page | undefined;

  before(async function () {
    skipUnlessAvailable(this, "VS Code end-to-end suite", why);
    fs.rmSync(SHOTS, { recursive: true, force: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-vscode-e2e-"));
    vsix = packageExtension(tmp);
    workspace = path.join(tmp, "examples");
    fs.cpSync(path.join(ROOT, "examples"), workspace, { recursive: true });
    fs.copyFileSync(path.join(ROOT, "test/fixtures/lint/invalid-no-zero.ts"), path.join(workspace, "fix-on-save.ts"));
    fs.copyFileSync(path.join(ROOT, "test/fixtures/lint/invalid-no-zero.ts"), path.join(workspace, "suppress.ts"));
    fs.copyFileSync(path.join(ROOT, "test/fixtures/lint/invalid-no-zero.ts"), path.join(workspace, "fix-all.ts"));
    fs.copyFileSync(path.join(ROOT, "test/fixtures/lint/invalid-no-zero.ts"), path.join(workspace, "after-restart.ts"));
    fs.copyFileSync(path.join(ROOT, "examples/missing-zero-grad.ts"), path.join(workspace, "trace-me.ts"));
    fs.mkdirSync(path.join(workspace, ".vscode"));
    fs.writeFileSync(path.join(workspace, ".vscode/settings.json"), JSON.stringify({ "editor.codeActionsOnSave": { "source.fixAll.gradlens": "explicit" } }));
    // A PyTorch script to trace; its model is defined in the file (nothing to import beside torch).
    fs.writeFileSync(path.join(workspace, "trace_me.py"), PY_TRACE_SCRIPT);
    server = await startCodeServer({ vsix, userSettings: { ...USER_SETTINGS, "gradlens.python.path": torchPython().python } });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = current = await openWorkbench(browser, server, workspace);
  });

  // Each step starts from the editor with no menu, peek or hover left open by the one before.
  beforeEach(async () => {
    if (page === undefined) return;
    for (let i = 0; i < 3; i++) await page.keyboard.press("Escape");
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && current !== undefined) await shot(current, `failed-${this.currentTest.title.slice(0, 40).replace(/[^\w]+/g, "-")}`).catch(() => undefined);
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("(1) squiggles the buggy loop, and the Problems panel lists it with its rule id", async () => {
    await openFile(page, "missing-zero-grad.ts");
    await goToLine(page, 42); // the buggy loop's backward, scrolled into view
    await squiggles(page).first().waitFor({ timeout: 30_000 });
    const rows = await problemRows(page);
    await shot(page, "1-squiggle-and-problems");
    // Marker rows carry the source and the code; file and related-location rows don't.
    const ours = rows.filter((r) => /\bgradlens\b[\s\S]*missing-zero-grad[\s\S]*\[Ln \d+/.test(r));
    assert.equal(ours.length, 1, rows.join("\n"));
    assert.match(ours[0], /optimizer\.step\(\)/);
    assert.match(ours[0], /gradlens/);
    // The language status item reports the file's problems.
    await languageStatus(page, /GradLens: 1 problem, in this file/);
  });

  it("(4) shows the CodeLens above the loop, and clicking it opens the problem", async () => {
    await openFile(page, "missing-zero-grad.ts");
    await goToLine(page, 38);
    const lens = page.locator(".codelens-decoration", { hasText: "⚠ 1 gradient problem" });
    await lens.waitFor({ timeout: 20_000 });
    await shot(page, "4-codelens");
    await lens.locator("a", { hasText: "gradient problem" }).click();
    await page.waitForSelector(".marker-widget", { state: "visible", timeout: 10_000 });
    assert.match(await page.locator(".marker-widget").innerText(), /zeroGrad\(\)` is never called between steps/);
    await page.keyboard.press("Escape");
  });

  it("(6) hovers explain the backward and the step: what each adds or applies, and which optimizer", async () => {
    await openFile(page, "missing-zero-grad.ts");
    const text = fs.readFileSync(path.join(workspace, "missing-zero-grad.ts"), "utf8").split("\n");
    const buggy = text.findIndex((l) => l.includes("// gradients pile up"));
    const hoverAt = async (line: number, expect: string) => {
      await goToLine(page, line + 1);
      await page.keyboard.press("Home"); // the first non-blank character: the call's receiver
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      const hover = page.locator(".monaco-hover", { hasText: expect });
      await hover.waitFor({ state: "visible", timeout: 15_000 });
      const shown = await hover.innerText();
      await page.keyboard.press("Escape");
      return shown;
    };
    const onBackward = await hoverAt(buggy, "adds this loss's gradients");
    assert.match(onBackward, /gradlens: loss\.backward\(\) adds this loss's gradients into every parameter's \.grad/);
    assert.match(onBackward, /⚠ optimizer\.step\(\) applies gradients accumulated across iterations/);
    const onStep = await hoverAt(buggy + 1, "steps the optimizer");
    await shot(page, "6-hover");
    assert.match(onStep, /steps the optimizer optimizer \(it owns the parameters of model\)/);
  });

  it("(2) Ctrl+. offers the quick fixes; the preferred one inserts exactly the expected line, saved to disk, and the problem goes away", async () => {
    const file = path.join(workspace, "missing-zero-grad.ts");
    const before = fs.readFileSync(file, "utf8");
    await openFile(page, "missing-zero-grad.ts");
    const titles = await quickFixMenu(page);
    await shot(page, "2-quick-fixes");
    for (const t of ["Insert `optimizer.zeroGrad()` after `optimizer.step()`", "Disable missing-zero-grad for this line", "Disable missing-zero-grad for this file", "Show documentation for missing-zero-grad"]) {
      assert.ok(titles.some((x) => x.includes(t)), `missing "${t}" in:\n${titles.join("\n")}`);
    }
    await chooseAction(page, "Insert `optimizer.zeroGrad()` after `optimizer.step()`");
    await squiggles(page).first().waitFor({ state: "detached", timeout: 20_000 });
    await save(page);
    // Expected: one line, indented like the step, right after the step of the buggy loop.
    const buggy = before.indexOf("// gradients pile up");
    const at = before.indexOf("optimizer.step();\n", buggy) + "optimizer.step();\n".length;
    const expected = before.slice(0, at) + "    optimizer.zeroGrad();\n" + before.slice(at);
    const after = await diskText(file, (t) => t !== before);
    assert.equal(after, expected);
    const rows = await problemRows(page);
    await shot(page, "2-fixed");
    await languageStatus(page, /\$\(check\) GradLens, no gradient problems/);
    assert.equal(rows.filter((r) => /\bgradlens\b[\s\S]*missing-zero-grad[\s\S]*\[Ln \d+/.test(r)).length, 0, rows.join("\n"));
  });

  it("(3) fix on save (editor.codeActionsOnSave: source.fixAll.gradlens) fixes a second file", async () => {
    const file = path.join(workspace, "fix-on-save.ts");
    await openFile(page, "fix-on-save.ts");
    await squiggles(page).first().waitFor({ timeout: 30_000 });
    // An edit first (a new first line), so the save is a real one.
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("Enter");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.type("// edited");
    await save(page);
    const after = await diskText(file, (t) => t.includes("zeroGrad"));
    await shot(page, "3-fixed-on-save");
    assert.match(after, /^\/\/ edited\nimport /);
    assert.match(after, /optimizer\.step\(\);\n(\s+)optimizer\.zeroGrad\(\);/, after);
    assert.deepEqual(lintText(after, file).findings, []);
    await squiggles(page).first().waitFor({ state: "detached", timeout: 20_000 });
  });

  it("(5) \"Disable missing-zero-grad for this line\" silences the problem", async () => {
    const file = path.join(workspace, "suppress.ts");
    const before = fs.readFileSync(file, "utf8");
    await openFile(page, "suppress.ts");
    await squiggles(page).first().waitFor({ timeout: 30_000 });
    await quickFixMenu(page);
    await chooseAction(page, "Disable missing-zero-grad for this line");
    await squiggles(page).first().waitFor({ state: "detached", timeout: 20_000 });
    await save(page);
    await shot(page, "5-disabled-line");
    const after = await diskText(file, (t) => t.includes("gradlens-disable-next-line"));
    // The comment goes above the reported line (the backward), indented like it; nothing else changes.
    const at = before.indexOf("    loss.backward();");
    assert.equal(after, before.slice(0, at) + "    // gradlens-disable-next-line missing-zero-grad\n" + before.slice(at));
    // Fix on save respected the suppression: no zeroGrad was added.
    assert.doesNotMatch(after, /zeroGrad/);
  });

  it("Lint Workspace puts problems of files that are not open into the Problems panel", async () => {
    // A buggy file nobody opens.
    fs.copyFileSync(path.join(ROOT, "test/fixtures/lint/invalid-no-zero.ts"), path.join(workspace, "never-opened.ts"));
    await runCommand(page, "GradLens: Lint Workspace");
    await page.locator(".notifications-toasts", { hasText: "training script" }).waitFor({ timeout: 30_000 });
    await shot(page, "lint-workspace");
    const toast = await page.locator(".notifications-toasts").innerText();
    // Not opened yet: never-opened.ts, fix-all.ts, after-restart.ts, trace-me.ts, trace_me.py and
    // the PyTorch example's script and notebook (the others were fixed or suppressed).
    assert.match(toast, /GradLens: \d+ files checked, \d+ training scripts: 7 problems in 7 files\./, toast);
    const rows = await problemRows(page);
    assert.ok(rows.some((r) => r.includes("never-opened.ts")), rows.join("\n"));
  });

  it("the Fix All Problems in File command fixes the active file", async () => {
    const file = path.join(workspace, "fix-all.ts");
    await openFile(page, "fix-all.ts");
    await squiggles(page).first().waitFor({ timeout: 30_000 });
    await goToLine(page, 9);
    await page.locator(".codelens-decoration", { hasText: "⚠ 1 gradient problem" }).waitFor({ timeout: 10_000 });
    await runCommand(page, "GradLens: Fix All Problems in File");
    await squiggles(page).first().waitFor({ state: "detached", timeout: 20_000 });
    // The CodeLens goes with the problem (the server asks the editor to refresh lenses).
    await page.locator(".codelens-decoration", { hasText: "gradient problem" }).waitFor({ state: "detached", timeout: 10_000 });
    await page.keyboard.press("Control+S");
    const after = await diskText(file, (t) => t.includes("zeroGrad"));
    assert.equal(after.match(/optimizer\.zeroGrad\(\)/g)?.length, 1, after);
    assert.deepEqual(lintText(after, file).findings, []);
  });

  it("Restart Server brings diagnostics back, and Show Output opens the GradLens log", async () => {
    await runCommand(page, "GradLens: Restart Server");
    await page.waitForTimeout(1500); // the client stops and starts the server
    await openFile(page, "after-restart.ts");
    await squiggles(page).first().waitFor({ timeout: 30_000 });
    await runCommand(page, "GradLens: Show Output");
    const output = page.locator(".output-view, .panel .monaco-editor", { hasText: /./ }).first();
    await output.waitFor({ state: "visible", timeout: 15_000 });
    await page.locator(".panel select.monaco-select-box, .panel .monaco-select-box", { hasText: "GradLens" }).first().waitFor({ timeout: 15_000 })
      .catch(async () => {
        // Newer layouts show the channel name in the panel title instead of a select box.
        await page.locator(".panel", { hasText: "GradLens" }).first().waitFor({ timeout: 5_000 });
      });
    await shot(page, "output-channel");
  });

  it("▶ Trace training runs the loop: the panel streams every step and the alert, the runtime diagnostic lands on the step's line", async () => {
    const file = path.join(workspace, "trace-me.ts");
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const buggyStep = lines.findIndex((l, i) => i > lines.findIndex((x) => x.includes("function trainWithoutZeroGrad")) && l.includes("optimizer.step()")) + 1;
    await openFile(page, "trace-me.ts");
    await goToLine(page, 40);
    const lens = page.locator(".codelens-decoration a", { hasText: "▶ Trace training" }).last();
    await lens.waitFor({ timeout: 20_000 });
    await lens.click();
    const view = page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
    await view.locator("#status", { hasText: /120 steps — finished/ }).waitFor({ timeout: 60_000 });
    const alert = view.locator("#alerts li", { hasText: "accumulated-gradients" });
    await alert.waitFor({ timeout: 10_000 });
    assert.match(await alert.innerText(), new RegExp(`trace-me\\.ts:${buggyStep} confirmed at runtime: step 62 applied gradients of 2 backward passes`));
    assert.ok(await view.locator("#loss canvas").count() > 0, "the loss chart is drawn");
    // Streamed in batches, the charts end up showing every step (not the empty first draw's range).
    const scales = await view.locator("body").evaluate(() => (window as unknown as { gradlensView: () => { scales: Record<string, [number, number]>; range: unknown } }).gradlensView());
    assert.deepEqual([scales.range, scales.scales.loss, scales.scales.grad], [null, [1, 120], [1, 120]]);
    await shot(page, "trace-panel");
    // The runtime diagnostic, beside the static one.
    const rows = await problemRows(page);
    const runtimeRow = new RegExp(`confirmed at runtime: step 62[\\s\\S]*gradlens \\(runtime\\)[\\s\\S]*\\[Ln ${buggyStep},`);
    assert.ok(rows.some((r) => runtimeRow.test(r)), rows.join("\n"));
    // An alert's link reveals its line in the editor.
    await alert.locator("a").click();
    await page.locator("[id='status.editor.selection']", { hasText: `Ln ${buggyStep},` }).waitFor({ timeout: 10_000 });
    // Compare with fix: a fixed copy runs (same seed) and its loss is overlaid; the copy is removed.
    await view.locator("#compare").click();
    await view.locator("#loss .u-legend", { hasText: "loss (with fix)" }).waitFor({ timeout: 60_000 });
    await shot(page, "trace-compare");
    assert.deepEqual(fs.readdirSync(workspace).filter((f) => f.startsWith(".gradlens-fixed-")), []);
    // Re-run: a new run of the same file replaces the old one (and its overlay).
    await view.locator("#rerun").click();
    await view.locator("#loss .u-legend", { hasText: "loss (with fix)" }).waitFor({ state: "detached", timeout: 20_000 });
    await view.locator("#status", { hasText: /120 steps — finished/ }).waitFor({ timeout: 60_000 });
    assert.equal(await view.locator("#alerts li").count(), 1);
  });

  it("▶ Trace training on a GAN: each network under its optimizer's name, a loss per optimizer, lines drawn", async () => {
    // One editor and no earlier trace panel: the lens and the webview found below are this file's.
    await runCommand(page, "View: Close All Editors");
    await page.locator("iframe.webview").waitFor({ state: "detached", timeout: 20_000 });
    await openFile(page, "gan.ts");
    const loopLine = fs.readFileSync(path.join(workspace, "gan.ts"), "utf8").split("\n").findIndex((l) => l.startsWith("for (")) + 1;
    await goToLine(page, loopLine);
    const lens = page.locator(".editor-group-container.active .codelens-decoration a", { hasText: "▶ Trace training" }).first();
    await lens.waitFor({ timeout: 20_000 });
    await lens.click();
    const view = page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
    await view.locator("#status", { hasText: /400 steps — finished/ }).waitFor({ timeout: 60_000 });
    const info = await view.locator("body").evaluate(() => (window as unknown as { gradlensView: () => { legends: Record<string, string[]>; scales: Record<string, [number, number]> } }).gradlensView());
    assert.deepEqual(info.legends.loss, ["loss (optD)", "loss (optG)"]);
    assert.ok(info.legends.grad.includes("optD: 0.weight") && info.legends.grad.includes("optG: 2.bias"), info.legends.grad.join(", "));
    assert.deepEqual(info.scales.grad, [1, 400]);
    assert.equal(await view.locator("#alerts li").count(), 0, "a correct GAN raises no alert");
    assert.equal(await view.locator("#compare").isVisible(), false, "nothing to compare with: no finding in the file");
    // The README's screenshot: room for the charts (no panel, no side bar).
    if (await page.locator(".part.panel").isVisible()) await runCommand(page, "View: Hide Panel");
    await runCommand(page, "View: Toggle Primary Side Bar Visibility");
    await page.locator(".part.sidebar").waitFor({ state: "hidden", timeout: 10_000 });
    await view.locator("#grad canvas").first().scrollIntoViewIfNeeded();
    await shot(page, "trace-gan");
    await runCommand(page, "View: Toggle Primary Side Bar Visibility");
  });

  it("(P1) a .py file: the squiggle, and Ctrl+. inserts optimizer.zero_grad() after optimizer.step()", async () => {
    const file = path.join(workspace, "train_mnist.py");
    const before = fs.readFileSync(path.join(ROOT, "test/fixtures/python/invalid-mnist-missing-zero.py"), "utf8");
    fs.writeFileSync(file, before);
    await openFile(page, "train_mnist.py");
    await squiggles(page).first().waitFor({ timeout: 30_000 });
    const titles = await quickFixMenu(page);
    await shot(page, "p1-python-quick-fixes");
    assert.ok(titles.some((x) => x.includes("Insert `optimizer.zero_grad()` after `optimizer.step()`")), titles.join("\n"));
    await chooseAction(page, "Insert `optimizer.zero_grad()` after `optimizer.step()`");
    await squiggles(page).first().waitFor({ state: "detached", timeout: 20_000 });
    await save(page);
    const at = before.indexOf("optimizer.step()\n") + "optimizer.step()\n".length;
    const after = await diskText(file, (t) => t !== before);
    assert.equal(after, before.slice(0, at) + "        optimizer.zero_grad()\n" + before.slice(at));
  });

  it("(P3) ▶ Trace training on a .py file runs it on the user's PyTorch: the steps, the alert, the runtime diagnostic on the step's line", async function () {
    skipUnlessAvailable(this, "tracing a PyTorch script in VS Code", torchPython().missing);
    await runCommand(page, "View: Close All Editors");
    await page.locator("iframe.webview").waitFor({ state: "detached", timeout: 20_000 });
    await openFile(page, "trace_me.py");
    const lines = PY_TRACE_SCRIPT.split("\n");
    const loopLine = lines.findIndex((l) => l.startsWith("for ")) + 1;
    const stepLine = lines.findIndex((l) => l.includes("optimizer.step()")) + 1;
    await goToLine(page, loopLine);
    const lens = page.locator(".editor-group-container.active .codelens-decoration a", { hasText: "▶ Trace training" }).first();
    await lens.waitFor({ timeout: 30_000 });
    await lens.click();
    const view = page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
    await view.locator("#status", { hasText: /30 steps — finished/ }).waitFor({ timeout: 90_000 });
    const alert = view.locator("#alerts li", { hasText: "accumulated-gradients" });
    await alert.waitFor({ timeout: 10_000 });
    assert.match(await alert.innerText(), new RegExp(`trace_me\\.py:${stepLine} confirmed at runtime: step 2 applied gradients of 2 backward passes`));
    const info = await view.locator("body").evaluate(() => (window as unknown as { gradlensView: () => { legends: Record<string, string[]>; scales: Record<string, [number, number]> } }).gradlensView());
    assert.deepEqual(info.legends.grad, ["0.weight", "0.bias", "2.weight", "2.bias"], "names from the model");
    assert.deepEqual(info.scales.loss, [1, 30]);
    await shot(page, "p3-python-trace");
    const rows = await problemRows(page);
    const runtimeRow = new RegExp(`confirmed at runtime: step 2[\\s\\S]*gradlens \\(runtime\\)[\\s\\S]*\\[Ln ${stepLine},`);
    assert.ok(rows.some((r) => runtimeRow.test(r)), rows.join("\n"));
    // Compare with fix: the fixed copy runs from a temp folder; nothing is written beside the script.
    await view.locator("#compare").click();
    await view.locator("#loss .u-legend", { hasText: "loss (with fix)" }).waitFor({ timeout: 90_000 });
    assert.deepEqual(fs.readdirSync(workspace).filter((f) => f.includes("gradlens")), []);
  });

  it("(P2) a notebook: the cell's diagnostic, and its quick fix edits that cell", async () => {
    const file = path.join(workspace, "notebook-fix.ipynb");
    const before = fs.readFileSync(path.join(ROOT, "test/fixtures/notebooks/missing-zero.ipynb"), "utf8");
    fs.writeFileSync(file, before);
    // The notebook alone in the window (this step's screenshot is the README's).
    await runCommand(page, "View: Close All Editors");
    await openFile(page, "notebook-fix.ipynb").catch(async () => {
      // A notebook opens in the notebook editor (no text editor takes focus): wait for its cells instead.
      await page.waitForSelector(".notebook-editor .cell-list-container", { timeout: 20_000 });
    });
    const cellSquiggle = page.locator(".notebook-editor .squiggly-warning");
    await cellSquiggle.first().waitFor({ timeout: 40_000 });
    // Put the cursor on the reported backward() in the training cell, then Ctrl+.
    await page.locator(".notebook-editor .view-line", { hasText: "loss.backward()" }).first().click();
    await page.keyboard.press("End");
    await page.keyboard.press("Control+.");
    await page.waitForSelector(".action-widget .monaco-list-row", { state: "visible", timeout: 10_000 });
    await shot(page, "p2-notebook-quick-fix");
    await chooseAction(page, "Insert `optimizer.zero_grad()` after `optimizer.step()`");
    await cellSquiggle.first().waitFor({ state: "detached", timeout: 20_000 });
    await page.keyboard.press("Control+S");
    const after = await diskText(file, (t) => t.includes("zero_grad"));
    const nb = JSON.parse(after);
    assert.deepEqual(lintText(after, file).findings, []);
    assert.match(nb.cells[2].source.join(""), /\n {8}optimizer\.step\(\)\n {8}optimizer\.zero_grad\(\)\n/);
    // "Trace This Notebook" puts the tracer's setup cell first (the kernel then shows a trace under each training cell).
    await runCommand(page, "GradLens: Trace This Notebook");
    await page.locator(".notebook-editor .view-line", { hasText: "%load_ext gradlens" }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press("Control+S");
    const withSetup = JSON.parse(await diskText(file, (t) => t.includes("load_ext gradlens")));
    assert.match(withSetup.cells[0].source.join(""), /^# GradLens: trace this notebook[^\n]*\nimport sys\nsys\.path\.insert\(0, "[^"]*dist\/python"\)\n%load_ext gradlens$/);
    assert.equal(withSetup.cells.length, nb.cells.length + 1);
  });

  it("(7) in an untrusted folder (restricted mode) diagnostics still appear", async () => {
    const untrusted = path.join(tmp, "untrusted");
    fs.mkdirSync(untrusted);
    fs.copyFileSync(path.join(ROOT, "examples/missing-zero-grad.ts"), path.join(untrusted, "train.ts"));
    const restricted = await startCodeServer({ vsix, userSettings: { ...USER_SETTINGS, "security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "always" }, trust: false });
    try {
      const p = (current = await openWorkbench(browser!, restricted, untrusted));
      const no = p.locator(".monaco-dialog-box .monaco-button", { hasText: "No, I don't trust the authors" });
      await no.waitFor({ timeout: 30_000 });
      await shot(p, "7-trust-prompt");
      await no.click();
      await p.locator(".statusbar-item", { hasText: "Restricted Mode" }).waitFor({ timeout: 15_000 });
      await openFile(p, "train.ts");
      await goToLine(p, 42);
      await p.locator(".monaco-editor.focused .squiggly-warning").first().waitFor({ timeout: 30_000 });
      const rows = await problemRows(p);
      await shot(p, "7-untrusted-diagnostics");
      assert.equal(rows.filter((r) => /\bgradlens\b[\s\S]*missing-zero-grad[\s\S]*\[Ln 42/.test(r)).length, 1, rows.join("\n"));
      // Running the script is what trust restricts: refused, saying why.
      await openFile(p, "train.ts");
      await runCommand(p, "GradLens: Trace Training Run");
      await p.locator(".notifications-toasts", { hasText: "tracing runs the script's code, so it needs a trusted workspace" }).waitFor({ timeout: 15_000 });
      assert.equal(await p.locator(".webview.ready").count(), 0, "no trace panel opened");
      await p.close();
    } finally {
      restricted.stop();
    }
  });
});
