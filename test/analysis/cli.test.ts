/** The real CLI (dist/cli.js) in a child process, on a temporary project. */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv from "ajv-draft-04";

const root = path.resolve(__dirname, "../..");
const cli = path.join(root, "dist/cli.js");
const fixtures = path.join(root, "test/fixtures/lint");

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-cli-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const fixture = (name: string) => fs.readFileSync(path.join(fixtures, name), "utf8");

describe("gradlens lint (CLI)", () => {
  it("exits 0 on clean code, 1 with findings, 2 on usage errors", () => {
    const dir = project({ "good.ts": fixture("valid-zero-at-loop-top.ts"), "bad.ts": fixture("invalid-no-zero.ts") });
    assert.equal(run(["lint", "good.ts"], dir).code, 0);
    const bad = run(["lint", "bad.ts"], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /bad\.ts\n {2}11:5 {2}warning {2}`optimizer\.step\(\)` applies gradients accumulated across iterations.* {2}missing-zero-grad/);
    assert.match(bad.stdout, /1 problem \(0 errors, 1 warning\)/);
    const usage = run(["lint", "--format", "xml"], dir);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--format must be one of stylish, json, sarif, got "xml"/);
    assert.equal(run(["lint", "missing.ts"], dir).code, 2);
    assert.equal(run(["frobnicate"], dir).code, 2);
  });

  it("lints the current folder by default, honouring .gitignore and skipping node_modules", () => {
    const bug = fixture("invalid-no-zero.ts");
    const dir = project({ "src/train.ts": bug, "build/train.ts": bug, "node_modules/x/train.ts": bug, ".gitignore": "build/\n" });
    const out = JSON.parse(run(["lint", "--format", "json"], dir).stdout);
    assert.deepEqual(out.findings.map((f: { file: string }) => f.file), [path.join("src", "train.ts")]);
  });

  it("says what a clean run checked, and names an unsupported file as not supported", () => {
    const dir = project({ "train.ts": fixture("valid-zero-after-step.ts"), "util.ts": "export const x = 1;\n", "notes.py": "print(1)\n", "train.jl": "x = 1\n" });
    const clean = run(["lint", "train.ts", "util.ts", "notes.py"], dir);
    assert.equal(clean.code, 0);
    assert.match(clean.stdout, /^3 files checked, 1 analysed \(import gradlens or torch\), no problems$/m);
    const jl = run(["lint", "train.jl"], dir);
    assert.equal(jl.code, 0, jl.stdout);
    assert.match(jl.stdout, /train\.jl[\s\S]*info\s+not supported: \.jl files can't be analysed yet \(supported: .*\.py .*\.ipynb\)/);
    assert.doesNotMatch(jl.stdout, /parse-error/);
  });

  it("expands globs", () => {
    const dir = project({ "a/one.ts": fixture("invalid-no-zero.ts"), "b/two.ts": fixture("invalid-foreach.ts"), "b/three.js": fixture("invalid-commonjs-require.js") });
    const out = JSON.parse(run(["lint", "--format", "json", "b/**/*.ts"], dir).stdout);
    assert.deepEqual(out.findings.map((f: { file: string }) => f.file), [path.join("b", "two.ts")]);
  });

  it("prints the documented JSON shape with 1-based positions, related locations and fixes", () => {
    const dir = project({ "bad.ts": fixture("invalid-no-zero.ts") });
    const out = JSON.parse(run(["lint", "--format", "json", "bad.ts"], dir).stdout);
    assert.deepEqual(Object.keys(out), ["findings", "errors", "notices"]);
    const [f] = out.findings;
    assert.deepEqual(Object.keys(f), ["file", "line", "column", "endLine", "endColumn", "rule", "severity", "message", "related", "fixes"]);
    assert.equal(f.line, 11);
    assert.equal(f.column, 5);
    const text = fixture("invalid-no-zero.ts").split("\n")[10];
    assert.equal(text.slice(f.column - 1, f.endColumn - 1), "loss.backward()");
    assert.deepEqual(f.related.map((r: { message: string }) => r.message), ["`optimizer.step()` re-applies the old gradients here", "in this loop"]);
    assert.deepEqual(f.fixes.map((x: { title: string }) => x.title), ["Insert `optimizer.zeroGrad()` after `optimizer.step()`", "Insert `optimizer.zeroGrad()` at the start of the loop"]);
    assert.deepEqual(Object.keys(f.fixes[0].edits[0]), ["start", "end", "text"]);
  });

  it("reports a file that does not parse as an error entry and still lints the others", () => {
    const dir = project({ "broken.ts": 'import { nn } from "gradlens";\nfor (let i = 0; i < 3; i++ {\n', "bad.ts": fixture("invalid-no-zero.ts") });
    const r = run(["lint", "--format", "json", "."], dir);
    const out = JSON.parse(r.stdout);
    assert.equal(r.code, 1);
    assert.equal(out.findings.length, 1);
    assert.equal(out.errors.length, 1);
    assert.equal(out.errors[0].file, "broken.ts");
    assert.equal(out.errors[0].line, 2);
    assert.match(out.errors[0].message, /expected/i);
  });

  it("writes SARIF 2.1.0 that validates against the official schema", () => {
    const dir = project({ "bad.ts": fixture("invalid-zero-between-backward-and-step.ts"), "worse.ts": fixture("invalid-no-zero.ts"), "broken.ts": "import 'gradlens'; (" });
    const sarif: any = JSON.parse(run(["lint", "--format", "sarif", "."], dir).stdout); // eslint-disable-line @typescript-eslint/no-explicit-any
    const schema = JSON.parse(fs.readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"));
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
    const validate = ajv.compile(schema);
    assert.ok(validate(sarif as object), JSON.stringify(validate.errors?.slice(0, 5), null, 1));
    const results = sarif.runs[0].results;
    assert.deepEqual(results.map((r: { ruleId: string }) => r.ruleId).sort(), ["missing-zero-grad", "zero-grad-discards-gradients"]);
    assert.deepEqual(sarif.runs[0].invocations[0].toolExecutionNotifications.map((n: { level: string }) => n.level), ["error"]);
    assert.ok(results.every((r: { locations: { physicalLocation: { region: { startLine: number } } }[] }) => r.locations[0].physicalLocation.region.startLine >= 1));
  });

  it("SARIF carries notices (files not analysed) as note-level notifications", () => {
    const dir = project({ "bad.ts": fixture("invalid-no-zero.ts"), "notes.jl": "x = 1\n" });
    const sarif = JSON.parse(run(["lint", "--format", "sarif", "bad.ts", "notes.jl"], dir).stdout);
    const notes = sarif.runs[0].invocations[0].toolExecutionNotifications;
    assert.equal(notes.length, 1);
    assert.equal(notes[0].level, "note");
    assert.match(notes[0].message.text, /not supported: \.jl files/);
    assert.equal(notes[0].locations[0].physicalLocation.artifactLocation.uri, "notes.jl");
  });

  for (const placement of ["after-step", "loop-start"]) {
    it(`--fix (${placement}) rewrites the file so it lints clean, and a second --fix changes nothing`, () => {
      const original = fixture("invalid-crlf-no-semicolons.ts");
      const dir = project({ "bad.ts": original, "also.ts": fixture("invalid-accumulation-defeated.ts") });
      const first = run(["lint", "--fix", "--fix-placement", placement, "."], dir);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.match(first.stdout, /fixed 2 problems/);
      const fixed = fs.readFileSync(path.join(dir, "bad.ts"), "utf8");
      assert.notEqual(fixed, original);
      assert.ok(!/[^\r]\n/.test(fixed), "keeps CRLF line endings");
      assert.match(fixed, /\toptimizer\.zeroGrad\(\)\r\n/, "keeps tabs and the no-semicolon style");
      assert.equal(run(["lint", "."], dir).code, 0);
      run(["lint", "--fix", "--fix-placement", placement, "."], dir);
      assert.equal(fs.readFileSync(path.join(dir, "bad.ts"), "utf8"), fixed);
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes(".tmp")), [], "no temporary files left");
    });
  }

  it("analyses a 3,000-deep file through the bundled CLI (large-stack worker) and finds the bug", () => {
    const header = 'import { optim } from "gradlens";\ndeclare const loss: { backward(): void };\nconst optimizer = new optim.SGD([], {});\n';
    const dir = project({ "deep.ts": header + "for (;;) {".repeat(3000) + "\nloss.backward();\noptimizer.step();\n" + "}".repeat(3000) });
    const r = run(["lint", "--format", "json", "deep.ts"], dir);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.errors, []);
    assert.deepEqual(out.findings.map((f: { line: number; rule: string }) => [f.line, f.rule]), [[5, "missing-zero-grad"]]);
  });

  it("skips files that do not import the engine unless --engine-module names their module", () => {
    const src = fixture("invalid-no-zero.ts").replace('"gradlens"', '"my-engine"');
    const dir = project({ "train.ts": src });
    assert.equal(run(["lint", "train.ts"], dir).code, 0);
    assert.equal(run(["lint", "--engine-module", "my-engine", "train.ts"], dir).code, 1);
  });

  describe("Python and notebooks", () => {
    const pyFixtures = path.join(root, "test/fixtures/python");
    const py = (name: string) => fs.readFileSync(path.join(pyFixtures, name), "utf8");
    const notebook = fs.readFileSync(path.join(root, "test/fixtures/notebooks/missing-zero.ipynb"), "utf8");

    it("lints .py files in folders with the same formats and exit codes, and --fix inserts optimizer.zero_grad()", () => {
      const dir = project({ "src/train.py": py("invalid-mnist-missing-zero.py"), "src/ok.py": py("valid-mnist-example.py"), "src/train.ts": fixture("valid-zero-after-step.ts") });
      const out = run(["lint"], dir);
      assert.equal(out.code, 1, out.stdout);
      assert.match(out.stdout, /src\/train\.py\n {2}11:9 {2}warning {2}`optimizer\.step\(\)` applies gradients accumulated across iterations: `optimizer\.zero_grad\(\)` is never called between steps {2}missing-zero-grad/);
      const json = JSON.parse(run(["lint", "--format", "json", "src"], dir).stdout);
      assert.deepEqual(json.findings.map((f: { file: string; line: number }) => [f.file, f.line]), [[path.join("src", "train.py"), 11]]);
      assert.equal(run(["lint", "--fix", "src/train.py"], dir).code, 0);
      const fixed = fs.readFileSync(path.join(dir, "src/train.py"), "utf8");
      assert.match(fixed, /\n {8}optimizer\.step\(\)\n {8}optimizer\.zero_grad\(\)\n/);
    });

    it("lints a notebook's code cells as one program: JSON carries the cell, stylish shows it, SARIF names it", () => {
      const dir = project({ "nb.ipynb": notebook });
      const json = JSON.parse(run(["lint", "--format", "json", "nb.ipynb"], dir).stdout);
      assert.equal(json.findings.length, 1);
      const f = json.findings[0];
      // Cell 3 of the `cells` array (the markdown cell counts), line 4 within that cell.
      assert.deepEqual([f.cell, f.line, f.column, f.rule], [3, 4, 9, "missing-zero-grad"]);
      assert.deepEqual(f.related.map((r: { cell: number; line: number }) => [r.cell, r.line]), [[3, 5], [3, 2]]);
      assert.deepEqual(f.fixes[0].edits.map((e: { cell: number; start: { line: number } }) => [e.cell, e.start.line]), [[3, 5]]);
      const stylish = run(["lint", "nb.ipynb"], dir);
      assert.equal(stylish.code, 1);
      assert.match(stylish.stdout, /nb\.ipynb\n {2}cell 3:4:9 {2}warning/);
      const sarif = JSON.parse(run(["lint", "--format", "sarif", "nb.ipynb"], dir).stdout);
      const result = sarif.runs[0].results[0];
      assert.match(result.message.text, /^cell 3: `optimizer\.step\(\)`/);
      assert.equal(result.properties.cell, 3);
    });

    it("--fix rewrites only the affected cell's source: the rest of the notebook stays byte-identical", () => {
      const dir = project({ "nb.ipynb": notebook });
      assert.equal(run(["lint", "--fix", "nb.ipynb"], dir).code, 0);
      const after = fs.readFileSync(path.join(dir, "nb.ipynb"), "utf8");
      // Exactly one line was added, in the style of its neighbours; everything else is untouched.
      const before = notebook.split("\n"), now = after.split("\n");
      assert.equal(now.length, before.length + 1);
      const at = now.findIndex((l, i) => l !== before[i]);
      assert.equal(now[at], '    "        optimizer.zero_grad()\\n",');
      assert.deepEqual([...now.slice(0, at), ...now.slice(at + 1)], before);
      const nb = JSON.parse(after);
      assert.equal(nb.cells[2].outputs[0].text[0], "done\n");
      assert.equal(run(["lint", "nb.ipynb"], dir).code, 0);
    });

    it("a notebook that isn't JSON is an error entry naming what is wrong", () => {
      const dir = project({ "broken.ipynb": "{ \"cells\": [" });
      const out = run(["lint", "broken.ipynb"], dir);
      assert.equal(out.code, 1);
      assert.match(out.stdout, /broken\.ipynb\n {2}1:1 {2}error {2}not a notebook: /);
    });
  });
});
