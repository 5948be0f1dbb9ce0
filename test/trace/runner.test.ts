/**
 * Traced runs through real child processes (dist/cli.js is the child, as in `gradlens trace`):
 * what the probe reports, the runtime alerts, and every way a script can end.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startRun, RunRequest } from "../../src/trace/host/runner";
import type { TraceEvent } from "../../src/trace/protocol";
import { alive, ended } from "../support/processes";

const root = path.resolve(__dirname, "../..");
const entry = path.join(root, "dist/cli.js");
const engine = path.join(root, "dist/engine.js");

type Of<T extends TraceEvent["type"]> = Extract<TraceEvent, { type: T }>;
const ofType = <T extends TraceEvent["type"]>(events: readonly TraceEvent[], type: T) => events.filter((e): e is Of<T> => e.type === type);

async function run(file: string, extra: Partial<RunRequest> = {}) {
  const handle = startRun({ file, entry, engine, timeoutSeconds: 30, ...extra });
  const end = await handle.done;
  return { handle, end, events: handle.events };
}

let dir: string;
function script(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}
const lineOf = (file: string, needle: string, from = 0) => fs.readFileSync(file, "utf8").split("\n").findIndex((l, i) => i >= from && l.includes(needle)) + 1;

const LOOP = (body: string, steps = 5) => `import { nn, optim, randn, manualSeed } from "gradlens";
manualSeed(0);
const model = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 1));
const opt = new optim.SGD(model.parameters(), { lr: 0.05 });
for (let i = 0; i < ${steps}; i++) {
${body}
}
`;

describe("traced runs (real child processes)", function () {
  this.timeout(60_000);
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-trace-test-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("records the missing-zero example: named parameters, every step, and the accumulated-gradients alert at the buggy step", async () => {
    const file = path.join(root, "examples/missing-zero-grad.ts");
    const { end, events } = await run(file);
    assert.equal(end.reason, "exit");
    assert.equal(end.code, 0);
    const params = ofType(events, "params");
    assert.deepEqual(params[0].params.map((p) => [p.name, p.shape]), [["0.weight", [16, 3]], ["0.bias", [16]], ["2.weight", [1, 16]], ["2.bias", [1]]]);
    assert.equal(params[0].kind, "SGD");
    const steps = ofType(events, "step");
    assert.equal(steps.length, 120); // 60 with zeroGrad, 60 without
    assert.ok(steps.every((s) => s.params.length === 4 && Number.isFinite(s.loss)));
    assert.equal(ofType(events, "backward").length, 120);
    const alerts = ofType(events, "alert").map((e) => e.alert);
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    const buggyFn = lineOf(file, "function trainWithoutZeroGrad");
    assert.equal(alerts[0].kind, "accumulated-gradients");
    assert.equal(alerts[0].file, file);
    assert.equal(alerts[0].line, lineOf(file, "optimizer.step()", buggyFn));
    assert.equal(alerts[0].backward?.line, lineOf(file, "loss.backward()", buggyFn));
    assert.equal(alerts[0].step, 62); // the second step of the second run
    assert.match(alerts[0].message, /^confirmed at runtime: step 62 applied gradients of 2 backward passes/);
    // Steps and backwards are located in the user's TypeScript (source-mapped).
    assert.equal(steps[0].at?.line, lineOf(file, "optimizer.step()"));
    // The update ratio is ‖Δw‖/‖w‖ of that step: positive, small.
    assert.ok(steps[1].params.every((p) => p.updateRatio > 0 && p.updateRatio < 1));
  });

  it("raises nothing for the fixed loop or for intended gradient accumulation", async () => {
    const fixed = script("fixed.ts", LOOP("  opt.zeroGrad();\n  model.forward(randn(8, 3)).pow(2).mean().backward();\n  opt.step();", 20));
    const r1 = await run(fixed);
    assert.equal(ofType(r1.events, "step").length, 20);
    assert.deepEqual(ofType(r1.events, "alert"), []);
    const r2 = await run(path.join(root, "examples/gradient-accumulation.ts"));
    assert.equal(r2.end.reason, "exit");
    assert.ok(ofType(r2.events, "step").length > 0);
    assert.deepEqual(ofType(r2.events, "alert"), []);
    // A step cleared by hand (p.grad = null) is not stale either.
    const manual = script("manual-clear.ts", LOOP("  model.forward(randn(8, 3)).pow(2).mean().backward();\n  opt.step();\n  for (const p of model.parameters()) p.grad = null;", 5));
    assert.deepEqual(ofType((await run(manual)).events, "alert"), []);
  });

  it("reports the first NaN gradient: which parameter, which step, which line", async () => {
    const file = script("nan.ts", LOOP("  opt.zeroGrad();\n  const out = model.forward(randn(8, 3));\n  (i === 2 ? out.mul(NaN) : out).pow(2).mean().backward();\n  opt.step();", 5));
    const { events } = await run(file);
    const nonFinite = ofType(events, "alert").map((e) => e.alert).filter((a) => a.kind === "non-finite");
    // The loss first, at its backward(); then the gradients it made, at the step that applied them.
    assert.deepEqual(nonFinite.map((a) => [a.step, a.line, a.message]), [
      [3, lineOf(file, ".backward()"), "step 3: the loss passed to backward() is NaN"],
      // Everything downstream of a NaN loss is NaN: the first parameter, 0.weight (4×3), is named.
      [3, lineOf(file, "opt.step()"), "step 3: the gradient of 0.weight has 12 NaN/Inf values"],
    ]);
    const s3 = ofType(events, "step")[2];
    assert.ok(s3.params.some((p) => p.nonFinite > 0));
  });

  it("names each optimizer as the script does: the variable its step is called on, else its module's class", async () => {
    const gan = await run(path.join(root, "examples/gan.ts"));
    assert.deepEqual(ofType(gan.events, "params").map((p) => [p.label, p.kind, p.params.length]), [["optD", "Adam", 4], ["optG", "Adam", 4]]);
    const file = script("classes.ts", `import { nn, optim, randn } from "gradlens";
class Critic extends nn.Module { fc = new nn.Linear(3, 1); forward(x: any) { return this.fc.forward(x); } }
class Trainer {
  critic = new Critic();
  opt = new optim.SGD(this.critic.parameters(), { lr: 0.1 });
  opts = [new optim.SGD(new nn.Linear(3, 1).parameters(), { lr: 0.1 })];
  train() {
    this.opt.zeroGrad(); this.critic.forward(randn(2, 3)).sum().backward(); this.opt.step();
    const step = (o: { step(): void }) => o.step();
    step(new optim.SGD(this.critic.fc.parameters().slice(0, 1), { lr: 0.1 }));
  }
}
const t = new Trainer();
for (let i = 0; i < 2; i++) t.train();
`);
    const labels = ofType((await run(file)).events, "params").map((p) => p.label);
    // this.opt → "opt"; a parameter list stepped through a parameter named "o" → "o".
    assert.deepEqual(labels, ["opt", "o"]);
  });

  it("an optimizer rebuilt every step over the same parameters continues one series", async () => {
    const file = script("rebuilt.ts", LOOP("  const o = new optim.SGD(model.parameters(), { lr: 0.1 / (i + 1) });\n  o.zeroGrad();\n  model.forward(randn(8, 3)).pow(2).mean().backward();\n  o.step();", 30));
    const { events } = await run(file);
    assert.equal(ofType(events, "params").length, 1);
    assert.deepEqual([...new Set(ofType(events, "step").map((s) => s.optimizer))], [0]);
  });

  it("raises exploding and vanishing once each, past the configured thresholds", async () => {
    const file = script("norms.ts", LOOP("  opt.zeroGrad();\n  model.forward(randn(8, 3)).pow(2).mean().backward();\n  opt.step();", 6));
    const big = (await run(file, { options: { explodingNorm: 1e-6 } })).events;
    const exploding = ofType(big, "alert").map((e) => e.alert).filter((a) => a.kind === "exploding");
    assert.equal(exploding.length, 1);
    assert.equal(exploding[0].step, 1);
    assert.match(exploding[0].message, /^step 1: the gradient norm of 0\.weight is .* \(above gradlens\.trace\.explodingNorm, 0\.000001\)$/);
    const small = (await run(file, { options: { vanishingNorm: 1e6 } })).events;
    const vanishing = ofType(small, "alert").map((e) => e.alert).filter((a) => a.kind === "vanishing");
    assert.deepEqual(vanishing.map((a) => a.step), [2]); // never at step 1, where nothing was learnt yet
    assert.equal(vanishing[0].line, lineOf(file, "opt.step()"));
  });

  it("keeps the partial trace of a script that throws, with the error at its line", async () => {
    const file = script("throws.ts", LOOP("  opt.zeroGrad();\n  model.forward(randn(8, 3)).pow(2).mean().backward();\n  opt.step();\n  if (i === 3) throw new Error(`diverged at ${i}`);", 10));
    const { end, events } = await run(file);
    assert.equal(end.reason, "error");
    assert.equal(end.code, 1);
    assert.equal(ofType(events, "step").length, 4);
    assert.equal(end.error?.message, "Error: diverged at 3");
    assert.deepEqual([end.error?.location?.file, end.error?.location?.line], [file, lineOf(file, "throw new Error")]);
    const stderr = ofType(events, "output").filter((o) => o.stream === "stderr").map((o) => o.text).join("");
    assert.match(stderr, /throws\.ts:\d+:\d+/);
    assert.doesNotMatch(stderr, /child\.ts|cli\.js/, "the tracer's own frames are not shown");
  });

  it("a syntax error ends the run with the compile error at its line", async () => {
    const file = script("syntax.ts", 'import { nn } from "gradlens";\n\nconst broken = ;\n');
    const { end, events } = await run(file);
    assert.equal(end.reason, "error");
    assert.deepEqual([end.error?.location?.file, end.error?.location?.line, end.error?.location?.column], [file, 3, 16]);
    assert.match(end.error!.message, /^SyntaxError: Expression expected/);
    assert.deepEqual(ofType(events, "step"), []);
  });

  it("a script that never steps ends at the timeout with a message saying so", async () => {
    const file = script("spins.ts", 'import { nn } from "gradlens";\nconst m = new nn.Linear(2, 1);\nwhile (true) m.forward;\n');
    const { end } = await run(file, { timeoutSeconds: 2 });
    assert.equal(end.reason, "timeout");
    assert.match(end.message!, /stopped after 2 s .* without a single optimizer step/);
  });

  it("stop ends the run and every process it started (no orphan in the process table)", async () => {
    const file = script("forever.ts", `import { spawn } from "node:child_process";
import { nn, optim, randn } from "gradlens";
const sleeper = spawn("sleep", ["300"], { stdio: "ignore" });
console.log("sleeper " + sleeper.pid);
const model = new nn.Linear(3, 1);
const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
setInterval(() => { opt.zeroGrad(); model.forward(randn(4, 3)).sum().backward(); opt.step(); }, 5);
`);
    const handle = startRun({ file, entry, engine, timeoutSeconds: 30 });
    let sleeper = 0;
    for (let i = 0; i < 200 && (sleeper === 0 || !handle.events.some((e) => e.type === "step")); i++) {
      const out = handle.events.filter((e): e is Of<"output"> => e.type === "output").map((e) => e.text).join("");
      sleeper = Number(/sleeper (\d+)/.exec(out)?.[1] ?? 0);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(sleeper > 0, "the script started its child");
    handle.stop();
    const end = await handle.done;
    assert.equal(end.reason, "stopped");
    assert.ok(end.steps > 0);
    await new Promise((r) => setTimeout(r, 200));
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return !/^Z/m.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2] ?? "");
      } catch {
        return false;
      }
    };
    assert.equal(alive(handle.pid!), false, "the script's process is gone");
    assert.equal(alive(sleeper), false, "the process the script started is gone");
  });

  /** Runs a host script (a separate Node process) to its end; it writes the run's child pid to `pidFile`. */
  const hostRun = async (body: string) => {
    const pidFile = path.join(dir, `child-${Math.random().toString(36).slice(2)}.pid`);
    const host = script(`host-${path.basename(pidFile)}.js`, `const { startRun } = require(${JSON.stringify(path.join(root, "src/trace/host/runner.ts"))});
const file = ${JSON.stringify(script("endless.ts", LOOP("  opt.zeroGrad();\n  model.forward(randn(4, 3)).sum().backward();\n  opt.step();", 1e9)))};
const pidFile = ${JSON.stringify(pidFile)};
${body}`);
    const { spawn } = await import("node:child_process");
    await new Promise<void>((resolve) => spawn(process.execPath, ["-r", path.join(root, "scripts/ts-hook.cjs"), host], { stdio: "ignore" }).on("exit", () => resolve()));
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    assert.ok(pid > 0);
    return pid;
  };

  it("a run whose host dies mid-run without stopping it ends by itself (no orphan keeps training)", async () => {
    // The host is killed outright (no stop, no cleanup) once the run is training.
    const pid = await hostRun(`const h = startRun({ file, entry: ${JSON.stringify(entry)}, engine: ${JSON.stringify(engine)}, options: { maxSteps: 1e9 },
  onEvent: (e) => { if (e.type === "step" && e.step === 3) process.kill(process.pid, "SIGKILL"); } });
require("fs").writeFileSync(pidFile, String(h.pid));`);
    assert.ok(await ended(pid), "the orphaned run ended");
  });

  it("a run whose host dies before the run's watchdog starts ends by itself too", async () => {
    // The child is frozen right after spawn, before it runs any of its own code; the host then
    // exits, and only afterwards is the child let go: its watchdog starts with the host gone.
    const pid = await hostRun(`const h = startRun({ file, entry: ${JSON.stringify(entry)}, engine: ${JSON.stringify(engine)}, options: { maxSteps: 1e9 } });
process.kill(h.pid, "SIGSTOP");
require("fs").writeFileSync(pidFile, String(h.pid));
process.exit(0);`);
    assert.ok(alive(pid), "the frozen child outlived its host");
    process.kill(pid, "SIGCONT");
    assert.ok(await ended(pid), "the orphaned run ended");
  });

  it("caps huge output (saying how much was dropped) and still delivers the trace", async () => {
    const file = script("loud.js", 'const s = "x".repeat(1023) + "\\n";\nfor (let i = 0; i < 3000; i++) process.stdout.write(s);\n');
    const { end, events } = await run(file, { outputCapBytes: 100_000 });
    assert.equal(end.reason, "exit");
    const out = ofType(events, "output").filter((o) => o.stream === "stdout").map((o) => o.text).join("");
    assert.ok(out.length < 200_000, `${out.length} characters kept`);
    assert.match(out, /\[gradlens: [\d,]+ more bytes of stdout not kept\]/);
  });

  it("process.exit() inside the script still delivers every step and the exit code", async () => {
    const file = script("exits.js", `const { nn, optim, randn } = require("gradlens");
const model = new nn.Linear(3, 1);
const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
for (let i = 0; i < 7; i++) { opt.zeroGrad(); model.forward(randn(4, 3)).sum().backward(); opt.step(); }
process.exit(3);
`);
    const { end, events } = await run(file);
    assert.equal(end.code, 3);
    assert.equal(ofType(events, "step").length, 7);
  });

  it("runs an ESM script and a TypeScript script importing a sibling .ts file", async () => {
    const esm = script("esm/train.mjs", 'import { nn, optim, randn } from "gradlens";\nconst m = new nn.Linear(3, 1);\nconst o = new optim.Adam(m.parameters());\nfor (let i = 0; i < 3; i++) { o.zeroGrad(); m.forward(randn(2, 3)).sum().backward(); o.step(); }\n');
    const r1 = await run(esm);
    assert.equal(r1.end.reason, "exit", JSON.stringify(r1.end));
    assert.equal(ofType(r1.events, "step").length, 3);
    assert.equal(ofType(r1.events, "step")[0].at?.line, 4);
    script("ts/model.ts", 'import { nn } from "gradlens";\nexport function makeModel(): nn.Module {\n  return new nn.Linear(3, 1);\n}\n');
    const main = script("ts/main.ts", 'import { optim, randn } from "gradlens";\nimport { makeModel } from "./model";\nconst m = makeModel();\nconst o = new optim.SGD(m.parameters(), { lr: 0.1 });\nfor (let i = 0; i < 4; i++) {\n  o.zeroGrad();\n  m.forward(randn(2, 3)).sum().backward();\n  o.step();\n}\n');
    const r2 = await run(main);
    assert.equal(r2.end.reason, "exit", JSON.stringify(r2.end));
    const steps = ofType(r2.events, "step");
    assert.equal(steps.length, 4);
    assert.deepEqual([steps[0].at?.file, steps[0].at?.line], [main, 8]);
    assert.deepEqual(ofType(r2.events, "params")[0].params.map((p) => p.name), ["weight", "bias"]);
  });

  it("reaches the workspace's own installed gradlens (the probe is shared through a global symbol)", async () => {
    const pkg = path.join(dir, "ws/node_modules/gradlens");
    fs.mkdirSync(pkg, { recursive: true });
    fs.copyFileSync(engine, path.join(pkg, "index.js"));
    fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "gradlens", version: "0.0.1-local", main: "index.js" }));
    const file = script("ws/train.js", 'const g = require("gradlens");\nconsole.log("engine " + require.resolve("gradlens"));\nconst m = new g.nn.Linear(2, 1);\nconst o = new g.optim.SGD(m.parameters(), { lr: 0.1 });\nfor (let i = 0; i < 3; i++) { m.forward(g.randn(2, 2)).sum().backward(); o.step(); }\n');
    const { events } = await run(file);
    const out = ofType(events, "output").map((o) => o.text).join("");
    assert.match(out, new RegExp(`engine ${pkg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    assert.equal(ofType(events, "step").length, 3);
    assert.equal(ofType(events, "alert")[0]?.alert.kind, "accumulated-gradients");
  });

  it("a script past its memory cap ends with a message saying so, its steps so far kept", async () => {
    const file = script("hungry.js", `const { nn, optim, randn } = require("gradlens");
const m = new nn.Linear(2, 1);
const o = new optim.SGD(m.parameters(), { lr: 0.1 });
for (let i = 0; i < 3; i++) { o.zeroGrad(); m.forward(randn(2, 2)).sum().backward(); o.step(); }
setTimeout(() => { const hoard = []; for (;;) hoard.push(new Array(1e6).fill(i => i)); }, 100);
`);
    const { end, events } = await run(file, { memoryMb: 64 });
    assert.equal(end.reason, "memory", JSON.stringify(end));
    assert.match(end.message!, /ran out of memory \(limit 64 MB, gradlens\.trace\.memoryMb\)/);
    assert.equal(ofType(events, "step").length, 3);
  });

  it("ends after trace.maxSteps steps, and logs statistics every logEvery steps past the first 100", async () => {
    const file = script("long.ts", LOOP("  opt.zeroGrad();\n  model.forward(randn(4, 3)).pow(2).mean().backward();\n  opt.step();", 100_000));
    const { end, events } = await run(file, { options: { maxSteps: 250, logEvery: 50 } });
    assert.equal(end.reason, "maxSteps");
    assert.match(end.message!, /stopped after 250 steps/);
    const steps = ofType(events, "step");
    assert.equal(steps.length, 250);
    const logged = steps.filter((s) => s.params.length > 0).map((s) => s.step);
    assert.deepEqual(logged, [...Array.from({ length: 100 }, (_, i) => i + 1), 150, 200, 250]);
  });
});
