/**
 * `gradlens trace` on real PyTorch runs (Debian's torch 1.13: the wrapped-step path), as a user
 * types it: the built CLI in a child process, the scripts in test/trace/python/.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { skipUnlessAvailable } from "../support/prerequisites";
import { alive, ended } from "../support/processes";
import { torchPython } from "../support/torchPython";

const root = path.resolve(__dirname, "../..");
const scripts = path.join(__dirname, "python");

interface Trace {
  file: string;
  ranks: number[];
  processes: { rank: number; tracer: string; torch: string }[];
  optimizers: { label: string; kind: string }[];
  params: { optimizer: string; name: string; shape: number[] }[];
  steps: { step: number; rank: number; optimizer: string; loss: number | string | null; params: { name: string; gradNorm: number | string; nonFinite: number; updateRatio: number | string }[] }[];
  alerts: { kind: string; step: number; file: string; line: number; message: string; rank: number }[];
  exit: { code: number | null; reason: string; error: { message: string; location?: { file: string; line: number } } | null; message: string | null };
}

describe("gradlens trace on PyTorch scripts", function () {
  this.timeout(180_000);
  let dir: string;
  let python: string;
  before(function () {
    const found = torchPython();
    skipUnlessAvailable(this, "PyTorch tracing", found.missing);
    python = found.python;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-pytrace-"));
  });
  after(() => dir !== undefined && fs.rmSync(dir, { recursive: true, force: true }));

  let runs = 0;
  /** `gradlens trace [flags] <script> [args]` (or `-- command`) in test/trace/python, with GRADLENS_PYTHON set. */
  function trace(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string; trace: Trace } {
    const json = path.join(dir, `trace-${++runs}.json`);
    const r = spawnSync(process.execPath, [path.join(root, "dist/cli.js"), "trace", "--json", json, ...args], {
      cwd: scripts, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", GRADLENS_PYTHON: python, ...env },
    });
    assert.ok(fs.existsSync(json), `no trace written:\n${r.stdout}\n${r.stderr}`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, trace: JSON.parse(fs.readFileSync(json, "utf8")) as Trace };
  }
  const kinds = (t: Trace) => t.alerts.map((a) => `${a.kind}@${path.basename(a.file)}:${a.line}`);

  it("a loop without zero_grad(): accumulated-gradients at the step's line, the backward named, parameter names from the model", () => {
    const r = trace(["missing_zero_grad.py"]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.deepEqual(kinds(r.trace), ["accumulated-gradients@missing_zero_grad.py:10"]);
    assert.match(r.trace.alerts[0].message, /^confirmed at runtime: step 2 applied gradients of 2 backward passes \(every parameter still held gradients an earlier step applied; zero_grad\(\) was not called in between\)$/);
    assert.deepEqual(r.trace.optimizers, [{ label: "optimizer", kind: "SGD" }]);
    assert.deepEqual(r.trace.params.map((p) => `${p.name}${JSON.stringify(p.shape)}`), ["0.weight[8,4]", "0.bias[8]", "2.weight[1,8]", "2.bias[1]"]);
    assert.equal(r.trace.steps.length, 20);
    assert.deepEqual(r.trace.ranks, [0]);
    assert.match(r.trace.processes[0].tracer, /^wrapped Optimizer\.step \(torch 1\./, "torch 1.13 has no step hooks: the fallback path, named");
    assert.match(r.stdout, /^traced through wrapped Optimizer\.step \(torch /m);
    assert.match(r.stdout, /^ {2}missing_zero_grad\.py:10 {2}accumulated-gradients {2}confirmed at runtime/m);
  });

  it("the same loop with zero_grad(): no alert, and the loss falls", () => {
    const r = trace(["fixed_zero_grad.py"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(r.trace.alerts, []);
    const losses = r.trace.steps.map((s) => Number(s.loss));
    assert.ok(losses[19] < losses[0] / 2, `loss ${losses[0]} → ${losses[19]}`);
    // Statistics are real numbers from the run: the first step's gradient norm is positive, the update ratio small.
    const p = r.trace.steps[0].params[0];
    assert.ok(Number(p.gradNorm) > 0 && Number(p.updateRatio) > 0 && Number(p.updateRatio) < 1, JSON.stringify(p));
  });

  it("the traced run's statistics agree with PyTorch's own numbers for the same step", () => {
    // The same script, untraced, prints step 1's gradient norms and loss; the trace must match them.
    const check = path.join(dir, "norms.py");
    fs.writeFileSync(check, `import sys\nsys.path.insert(0, ${JSON.stringify(scripts)})\nimport torch\nfrom common import data, mlp\nmodel = mlp()\nopt = torch.optim.SGD(model.parameters(), lr=0.02)\nx, y = data()\nloss = torch.nn.functional.mse_loss(model(x), y)\nloss.backward()\nprint(loss.item(), *[p.grad.norm().item() for p in model.parameters()])\n`);
    const own = spawnSync(python, [check], { encoding: "utf8" }).stdout.trim().split(" ").map(Number);
    const r = trace(["fixed_zero_grad.py"]);
    const first = r.trace.steps[0];
    assert.ok(Math.abs(Number(first.loss) - own[0]) < 1e-6 * Math.abs(own[0]));
    first.params.forEach((p, i) => assert.ok(Math.abs(Number(p.gradNorm) - own[i + 1]) <= 1e-5 * own[i + 1], `${p.name}: ${p.gradNorm} vs ${own[i + 1]}`));
  });

  it("deliberate gradient accumulation (zero and step every 4 micro-batches) is not an alert", () => {
    const r = trace(["accumulation.py"]);
    assert.deepEqual(r.trace.alerts, [], r.stdout);
    assert.equal(r.trace.steps.length, 10);
  });

  it("a GAN with netD.zero_grad() / netG.zero_grad(): two series named optD and optG, no alert", () => {
    const r = trace(["gan.py"]);
    assert.deepEqual(r.trace.alerts, [], r.stdout);
    assert.deepEqual(r.trace.optimizers.map((o) => o.label), ["optD", "optG"]);
    assert.equal(r.trace.steps.length, 30);
  });

  it("LBFGS with a closure that zeroes and runs backward inside step(): no alert", () => {
    const r = trace(["lbfgs.py"]);
    assert.deepEqual(r.trace.alerts, [], r.stdout);
    assert.equal(r.trace.steps.length, 6);
  });

  it("GradScaler (enabled=False on CPU): scaler.step(optimizer) is labelled by the optimizer, no alert", () => {
    const r = trace(["grad_scaler.py"]);
    assert.deepEqual(r.trace.alerts, [], r.stdout);
    assert.deepEqual(r.trace.optimizers.map((o) => o.label), ["optimizer"]);
  });

  it("clears behind the optimizer's back count: p.grad = None, p.grad.zero_(), p.grad.data.zero_(), detach_() then zero_(), model.zero_grad(); no clear is an alert", () => {
    for (const how of ["none", "zero", "data-zero", "detach-zero", "model"]) {
      const r = trace(["manual_clears.py", how]);
      assert.deepEqual(r.trace.alerts, [], `${how}: ${r.stdout}`);
      assert.equal(r.trace.steps.length, 12, how);
    }
    // Gradient clipping modifies the gradients in place too: it is not a clear.
    const r = trace(["manual_clears.py", "nothing"]);
    assert.deepEqual(kinds(r.trace), ["accumulated-gradients@manual_clears.py:30"]);
  });

  it("a hand-written Optimizer subclass with its own step(): wrapped too, its missing zero_grad() alerts", () => {
    const r = trace(["custom_optimizer.py"]);
    assert.deepEqual(kinds(r.trace), ["accumulated-gradients@custom_optimizer.py:24"]);
    assert.deepEqual(r.trace.optimizers, [{ label: "opt", kind: "SignSGD" }]);
  });

  it("exploding and vanishing gradients alert at the step's line, with the flag named", () => {
    const big = trace(["--exploding-norm", "0.5", "fixed_zero_grad.py"]);
    assert.deepEqual(kinds(big.trace), ["exploding@fixed_zero_grad.py:11"]);
    assert.match(big.trace.alerts[0].message, /^step 1: the gradient norm of \S+ is [\d.e+-]+ \(above --exploding-norm, 0\.5\)$/);
    const small = trace(["--vanishing-norm", "1000", "fixed_zero_grad.py"]);
    assert.deepEqual(kinds(small.trace), ["vanishing@fixed_zero_grad.py:11"]);
    assert.equal(small.trace.alerts[0].message, "step 2: every gradient norm is below 1000 (--vanishing-norm): the parameters barely move");
  });

  it("a sitecustomize of the user's own on PYTHONPATH still runs (the bootstrap chains to the one it shadows)", () => {
    const r = trace(["check_sitecustomize.py"], { PYTHONPATH: path.join(scripts, "user_site") });
    assert.match(r.stdout, /^user sitecustomize: yes$/m);
    assert.equal(r.trace.steps.length, 3, "and the run is traced");
  });

  it("a NaN loss: non-finite at the backward's line, and the gradient's NaN count at the step's", () => {
    const r = trace(["nan_loss.py"]);
    assert.deepEqual(kinds(r.trace), ["non-finite@nan_loss.py:12", "non-finite@nan_loss.py:13"]);
    assert.equal(r.trace.alerts[0].message, "step 5: the loss passed to backward() is NaN");
    assert.equal(r.trace.alerts[1].message, "step 5: the gradient of 0.weight has 32 NaN/Inf values");
    assert.equal(r.trace.steps[4].loss, "NaN");
    assert.equal(r.trace.steps[4].params[0].nonFinite, 32);
  });

  it("a crash, sys.exit() and os._exit() mid-run keep the partial trace, with the error and its line", () => {
    const crash = trace(["ends_early.py", "raise"]);
    assert.equal(crash.trace.steps.length, 3);
    assert.equal(crash.trace.exit.reason, "error");
    assert.equal(crash.trace.exit.error?.message, "RuntimeError: the data loader broke");
    assert.equal(path.basename(crash.trace.exit.error?.location?.file ?? ""), "ends_early.py");
    assert.equal(crash.trace.exit.error?.location?.line, 18);
    assert.match(crash.stderr, /RuntimeError: the data loader broke/, "Python's own traceback still reaches the user");
    const exit = trace(["ends_early.py", "exit"]);
    assert.deepEqual([exit.status, exit.trace.steps.length, exit.trace.exit.code, exit.trace.exit.message], [3, 3, 3, "the script exited with code 3"]);
    const hard = trace(["ends_early.py", "os-exit"]);
    assert.deepEqual([hard.status, hard.trace.steps.length, hard.trace.exit.code], [4, 3, 4]);
  });

  it("--steps stops the run (the process group) after N steps", () => {
    const r = trace(["--steps", "5", "missing_zero_grad.py"]);
    assert.equal(r.trace.steps.length, 5);
    assert.equal(r.trace.exit.reason, "maxSteps");
    assert.equal(r.trace.exit.message, "stopped after 5 steps (--steps)");
  });

  it("--timeout stops a run that doesn't end: the partial trace, the reason, the message naming the flag", () => {
    const r = trace(["--timeout", "6", "slow.py"]);
    assert.equal(r.trace.exit.reason, "timeout");
    assert.ok(r.trace.steps.length > 0, "steps before the timeout are kept");
    assert.match(r.trace.exit.message ?? "", /^stopped after 6 s \(--timeout\), at step \d+$/);
    assert.match(r.stdout, /^training$/m, "the script's own output streams through");
  });

  it("gradlens run on a .py script: the script's output and exit code, nothing traced", () => {
    const r = spawnSync(process.execPath, [path.join(root, "dist/cli.js"), "run", "ends_early.py", "exit"], { cwd: scripts, encoding: "utf8", env: { ...process.env, GRADLENS_PYTHON: python } });
    assert.equal(r.status, 3);
    assert.doesNotMatch(r.stdout + r.stderr, /gradlens trace|alert/);
  });

  describe("a run whose host dies without stopping it ends by itself (no orphan keeps training)", () => {
    /** A host (a separate Node process) that starts endless.py traced, runs `body`, and records the run's pid. */
    const hostRun = async (body: string): Promise<number> => {
      const pidFile = path.join(dir, `python-child-${++runs}.pid`);
      const host = path.join(dir, `host-${runs}.js`);
      fs.writeFileSync(host, `const { startRun } = require(${JSON.stringify(path.join(root, "src/trace/host/runner.ts"))});
const pidFile = ${JSON.stringify(pidFile)};
const start = (onEvent) => startRun({ file: "endless.py", cwd: ${JSON.stringify(scripts)}, entry: "", engine: "", options: { maxSteps: 1e9 },
  python: { interpreter: ${JSON.stringify(python)}, bootstrap: ${JSON.stringify(path.join(root, "dist/python"))} }, onEvent });
${body}`);
      await new Promise<void>((resolve) => spawn(process.execPath, ["-r", path.join(root, "scripts/ts-hook.cjs"), host], { stdio: "ignore" }).on("exit", () => resolve()));
      const pid = Number(fs.readFileSync(pidFile, "utf8"));
      assert.ok(pid > 0);
      return pid;
    };

    it("killed mid-run", async () => {
      const pid = await hostRun(`const h = start((e) => { if (e.type === "step" && e.step === 3) process.kill(process.pid, "SIGKILL"); });
require("fs").writeFileSync(pidFile, String(h.pid));`);
      assert.ok(await ended(pid), "the orphaned Python run ended");
    });

    it("gone before the run's own code starts", async () => {
      const pid = await hostRun(`const h = start(() => undefined);
process.kill(h.pid, "SIGSTOP");
require("fs").writeFileSync(pidFile, String(h.pid));
process.exit(0);`);
      assert.ok(alive(pid), "the frozen run outlived its host");
      process.kill(pid, "SIGCONT");
      assert.ok(await ended(pid), "the orphaned Python run ended");
    });
  });

  it("torchrun --standalone --nproc_per_node 2 with gloo and DDP on CPU: two ranks, the alert on both", () => {
    // Debian's torch 1.13 on Python 3.11 needs --redirects/--tee set (its default parsing crashes: see the recipe).
    const r = trace(["--", "torchrun", "--standalone", "--nproc_per_node", "2", "--redirects", "1", "--tee", "1", "ddp.py", "missing"]);
    assert.deepEqual(r.trace.ranks, [0, 1], r.stdout + r.stderr);
    assert.deepEqual(r.trace.alerts.map((a) => `${a.rank}:${a.kind}@${path.basename(a.file)}:${a.line}`).sort(), ["0:accumulated-gradients@ddp.py:19", "1:accumulated-gradients@ddp.py:19"]);
    assert.deepEqual(r.trace.processes.map((p) => p.rank).sort(), [0, 1]);
    assert.equal(r.trace.steps.filter((s) => s.rank === 0).length, 10);
    assert.equal(r.trace.steps.filter((s) => s.rank === 1).length, 10);
    // DDP's "module." is stripped: the names are the model's own.
    assert.deepEqual(r.trace.params.map((p) => p.name), ["0.weight", "0.bias", "2.weight", "2.bias"]);
    assert.equal(path.basename(r.trace.file), "ddp.py");
    assert.match(r.stdout, /^ranks 0, 1; the summary shows rank 0$/m);
    const fixed = trace(["--", "torchrun", "--standalone", "--nproc_per_node", "2", "--redirects", "1", "--tee", "1", "ddp.py", "fixed"]);
    assert.deepEqual(fixed.trace.ranks, [0, 1]);
    assert.deepEqual(fixed.trace.alerts, []);
  });

  it("an interpreter without torch: the error lists every interpreter tried and what each lacked", () => {
    const r = spawnSync(process.execPath, [path.join(root, "dist/cli.js"), "trace", "--python", "/bin/true-python-nowhere", "missing_zero_grad.py"], { cwd: scripts, encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^gradlens: no Python interpreter with torch was found\. Tried:\n {2}\/bin\/true-python-nowhere \(--python\): not found\n/);
    // A real interpreter without torch: Python with -I (isolated) and an empty path can't import it.
    const bare = path.join(dir, "bare-python");
    fs.writeFileSync(bare, `#!/bin/sh\nexec ${python} -S -I "$@"\n`, { mode: 0o755 });
    const r2 = spawnSync(process.execPath, [path.join(root, "dist/cli.js"), "trace", "missing_zero_grad.py"], { cwd: scripts, encoding: "utf8", env: { ...process.env, GRADLENS_PYTHON: bare } });
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, new RegExp(`Tried:\\n {2}${bare.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(GRADLENS_PYTHON\\): cannot import torch \\(ModuleNotFoundError: No module named 'torch'\\)\\nChoose one with --python`));
  });

  it("a launcher that doesn't exist: a clear error, no hang", () => {
    const r = trace(["--", "no-such-launcher-xyz", "train.py"]);
    assert.equal(r.status, 1);
    assert.equal(r.trace.exit.message, "no such command: no-such-launcher-xyz");
  });
});
