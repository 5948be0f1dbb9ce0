/** `gradlens trace` and `gradlens run` as a user types them: the built CLI in a child process. */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "../..");
const cli = (args: string[], cwd = root) => spawnSync(process.execPath, [path.join(root, "dist/cli.js"), ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

describe("gradlens trace / gradlens run (CLI)", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-trace-cli-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("traces the missing-zero example: the script's output, a summary with the alert at file:line, and the JSON trace", () => {
    const json = path.join(dir, "trace.json");
    const r = cli(["trace", "examples/missing-zero-grad.ts", "--json", json]);
    assert.equal(r.status, 1, "an alert fails the command, as a lint finding does");
    assert.match(r.stdout, /step +with zeroGrad +without zeroGrad/); // the script's own output
    assert.match(r.stdout, /gradlens trace examples\/missing-zero-grad\.ts: 120 steps in \d+\.\d s/);
    assert.match(r.stdout, /^parameter +shape +max grad norm +last grad norm +last update ratio$/m);
    // Two optimizers, both called "optimizer": told apart by the function they step in.
    assert.match(r.stdout, /^optimizer: 0\.weight +\[16, 3\]/m);
    assert.match(r.stdout, /^optimizer in trainWithoutZeroGrad: 0\.weight +\[16, 3\]/m);
    assert.match(r.stdout, /^final loss optimizer \d\.\d+ \(step 60\), optimizer in trainWithoutZeroGrad \d\.\d+ \(step 120\)$/m);
    assert.match(r.stdout, /^ {2}examples\/missing-zero-grad\.ts:43 {2}accumulated-gradients {2}confirmed at runtime: step 62 applied gradients of 2 backward passes/m);
    const trace = JSON.parse(fs.readFileSync(json, "utf8"));
    assert.deepEqual(Object.keys(trace), ["file", "ranks", "processes", "optimizers", "params", "steps", "alerts", "exit"]);
    assert.deepEqual([trace.ranks, trace.processes], [[0], []], "one process; TypeScript runs have no Python processes");
    assert.equal(trace.file, path.join(root, "examples/missing-zero-grad.ts"));
    assert.deepEqual(trace.optimizers, [{ label: "optimizer", kind: "SGD" }, { label: "optimizer in trainWithoutZeroGrad", kind: "SGD" }]);
    assert.deepEqual(trace.params[0], { optimizer: "optimizer", name: "0.weight", shape: [16, 3] });
    assert.equal(trace.steps.length, 120);
    assert.deepEqual(Object.keys(trace.steps[0]), ["step", "rank", "optimizer", "loss", "params"]);
    assert.deepEqual([trace.steps[0].optimizer, trace.steps[119].optimizer], ["optimizer", "optimizer in trainWithoutZeroGrad"]);
    assert.deepEqual(Object.keys(trace.steps[0].params[0]), ["name", "gradNorm", "gradMaxAbs", "gradMeanAbs", "weightNorm", "updateRatio", "nonFinite"]);
    assert.deepEqual(trace.alerts.map((a: { kind: string; line: number }) => [a.kind, a.line]), [["accumulated-gradients", 43]]);
    assert.equal(trace.exit.code, 0);
  });

  it("a NaN run: NaN loss and gradients are \"NaN\" in the JSON, nan in the summary, and alerted", () => {
    const file = path.join(dir, "nan.ts");
    fs.writeFileSync(file, `import { nn, optim, randn, manualSeed } from "gradlens";
manualSeed(0);
const model = new nn.Linear(3, 1);
const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
for (let i = 0; i < 4; i++) {
  opt.zeroGrad();
  const loss = model.forward(randn(4, 3)).mul(i >= 2 ? NaN : 1).pow(2).mean();
  loss.backward();
  opt.step();
}
`);
    const json = path.join(dir, "nan.json");
    const r = cli(["trace", file, "--json", json], dir);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^final loss nan \(step 4\)$/m);
    assert.match(r.stdout, /^weight +\[1, 3\] +\d\.\d+ +nan +nan$/m);
    assert.match(r.stdout, /nan\.ts:8 {2}non-finite {2}step 3: the loss passed to backward\(\) is NaN/);
    const text = fs.readFileSync(json, "utf8");
    const trace = JSON.parse(text);
    assert.deepEqual(trace.steps.map((s: { loss: unknown }) => typeof s.loss), ["number", "number", "string", "string"]);
    assert.equal(trace.steps[2].loss, "NaN");
    assert.equal(trace.steps[3].params[0].gradNorm, 0, "the norm of the finite entries (none)");
    assert.equal(trace.steps[3].params[0].nonFinite, 3);
    assert.equal(trace.steps[3].params[0].updateRatio, "NaN");
  });

  it("gradlens run runs a TypeScript script (no tracing) with its arguments and exit code", () => {
    const file = path.join(dir, "args.ts");
    fs.writeFileSync(file, 'const n: number = Number(process.argv[2]);\nconsole.log(`got ${n} and ${process.argv[3]}`);\nprocess.exitCode = n;\n');
    const r = cli(["run", file, "--", "4", "--flag"]);
    assert.equal(r.stdout, "got 4 and --flag\n");
    assert.equal(r.status, 4);
    // As with python or node, what follows the script is the script's (-- is optional there).
    const bare = cli(["run", "--timeout", "60", file, "5", "--epochs"]);
    assert.deepEqual([bare.stdout, bare.status], ["got 5 and --epochs\n", 5]);
    const flagFirst = cli(["run", file, "--epochs", "6"]);
    assert.equal(flagFirst.stdout, "got NaN and 6\n");
  });

  it("a failing script: non-zero exit, its error with the user's line, the partial summary", () => {
    const file = path.join(dir, "fails.ts");
    fs.writeFileSync(file, 'import { nn, optim, randn } from "gradlens";\nconst m = new nn.Linear(2, 1);\nconst o = new optim.SGD(m.parameters(), { lr: 0.1 });\nfor (let i = 0; i < 3; i++) { o.zeroGrad(); m.forward(randn(2, 2)).sum().backward(); o.step(); }\nthrow new RangeError("bad batch");\n');
    const r = cli(["trace", file], dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /RangeError: bad batch\n\s+at .*fails\.ts:5:7/);
    assert.match(r.stdout, /gradlens trace fails\.ts: 3 steps in .* — RangeError: bad batch/);
    assert.match(r.stdout, /error at fails\.ts:5: RangeError: bad batch/);
  });

  it("usage errors: one short message naming the flag and its closest match, exit 2, for every command", () => {
    const cases: [string[], string][] = [
      [["trace"], "gradlens trace needs a script to run (or -- and a command)"],
      [["trace", "--"], "gradlens trace -- needs a command to run (e.g. torchrun --nproc_per_node 2 train.py)"],
      [["run", "--python"], "--python needs a value"],
      [["run", "a.ts", "--steps", "3"], "--steps is an option of gradlens trace (gradlens run only runs the script)"],
      [["trace", "a.ts", "--steps", "0"], '--steps must be a positive whole number, got "0"'],
      [["trace", "a.ts", "--tiemout", "5"], "unknown option --tiemout for gradlens trace; did you mean --timeout?"],
      [["lint", "--frmat", "json"], "unknown option --frmat for gradlens lint; did you mean --format?"],
      [["lint", "--format", "sarf"], '--format must be one of stylish, json, sarif, got "sarf"; did you mean sarif?'],
      [["lint", "--steps", "3"], "unknown option --steps for gradlens lint (it is an option of gradlens trace)"],
      [["lnit", "."], 'unknown command "lnit"; did you mean lint?'],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      assert.equal(r.status, 2, args.join(" "));
      const command = ["lint", "trace", "run"].includes(args[0]) ? `${args[0]} ` : "";
      assert.equal(r.stderr, `gradlens: ${message}\nRun "gradlens ${command}--help" for usage.\n`, args.join(" "));
      assert.equal(r.stdout, "");
    }
  });

  it("a missing script is exit 2 for trace and run, as a missing path is for lint", () => {
    for (const command of ["trace", "run"]) {
      const r = cli([command, "nope.ts"]);
      assert.equal(r.status, 2, command);
      assert.equal(r.stderr, "gradlens: no such file: nope.ts\n");
    }
    const lint = cli(["lint", "nope.ts"]);
    assert.equal(lint.status, 2);
    assert.match(lint.stderr, /^gradlens: .*nope\.ts/);
  });

  it("each command's --help lists its own options (run's --timeout included) and the exit codes", () => {
    const run = cli(["run", "--help"]);
    assert.equal(run.status, 0);
    assert.match(run.stdout, /^usage: gradlens run \[options\] <script>/);
    assert.match(run.stdout, /^ {2}--timeout <S> +stop the script after S seconds/m);
    assert.doesNotMatch(run.stdout, /--format/);
    const trace = cli(["trace", "--help"]);
    assert.match(trace.stdout, /^ {2}--steps <N> +stop after N optimizer steps \(default: no limit\)/m);
    assert.match(trace.stdout, /^exit codes:/m);
    assert.match(cli(["lint", "--help"]).stdout, /^ {2}--format <stylish\|json\|sarif>/m);
    assert.match(cli(["--help"]).stdout, /^commands:\n {2}lint /m);
    assert.match(cli(["lsp", "--help"]).stdout, /^usage: gradlens lsp/);
  });

  it("--timeout alone bounds an endless run (no hidden step limit), and the message names the flag", () => {
    const file = path.join(dir, "endless.ts");
    fs.writeFileSync(file, `import { nn, optim, randn } from "gradlens";
const m = new nn.Linear(2, 1);
const o = new optim.SGD(m.parameters(), { lr: 1e-3 });
for (;;) { o.zeroGrad(); m.forward(randn(1, 2)).sum().backward(); o.step(); }
`);
    const r = cli(["trace", file, "--timeout", "4", "--log-every", "1000"], dir);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /— stopped after 4 s \(--timeout\), at step [\d,]+$/m);
    const steps = Number(/: ([\d,]+) steps in/.exec(r.stdout)![1].replace(/,/g, ""));
    assert.ok(steps > 0);
  });

  it("--steps stops a run and says so with the flag's name", () => {
    const file = path.join(dir, "ten.ts");
    fs.writeFileSync(file, `import { nn, optim, randn } from "gradlens";
const m = new nn.Linear(2, 1);
const o = new optim.SGD(m.parameters(), { lr: 1e-3 });
for (let i = 0; i < 100; i++) { o.zeroGrad(); m.forward(randn(1, 2)).sum().backward(); o.step(); }
`);
    const r = cli(["trace", file, "--steps", "10"], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /: 10 steps in .* — stopped after 10 steps \(--steps\)$/m);
  });
});
