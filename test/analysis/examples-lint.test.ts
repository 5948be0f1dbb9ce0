/** The shipped examples through the linter: the bug is found exactly where the example puts it. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { lintText } from "../../src/analysis/lint";

const dir = path.join(__dirname, "../../examples");
const lint = (name: string) => lintText(fs.readFileSync(path.join(dir, name), "utf8"), name);

describe("linting the examples", () => {
  it("flags the loop in trainWithoutZeroGrad and nothing in trainWithZeroGrad", () => {
    const text = fs.readFileSync(path.join(dir, "missing-zero-grad.ts"), "utf8");
    const { findings } = lint("missing-zero-grad.ts");
    assert.equal(findings.length, 1);
    const lines = text.split("\n");
    const fnLine = lines.findIndex((l) => l.includes("function trainWithoutZeroGrad")) + 1;
    const nextFn = lines.findIndex((l, i) => i >= fnLine && l.startsWith("if (require.main")) + 1;
    assert.ok(findings[0].line > fnLine && findings[0].line < nextFn, `finding at line ${findings[0].line}`);
    assert.equal(findings[0].rule, "missing-zero-grad");
    assert.match(findings[0].message, /never called between steps/);
    // Both placements are offered, the zero right after the step first (the main block runs the
    // buggy function after the good one, each with a fresh model and optimizer).
    assert.deepEqual(findings[0].fixes.map((f) => f.placement), ["after-step", "loop-start"]);
  });

  it("accepts the gradient-accumulation, manual-SGD and GAN examples", () => {
    for (const name of ["gradient-accumulation.ts", "manual-sgd.ts", "gan.ts"]) {
      const r = lint(name);
      assert.equal(r.analysed, true, `${name} imports gradlens`);
      assert.deepEqual(r.findings, [], name);
    }
  });

  it("flags the PyTorch example's loop without zero_grad() and its notebook's training cell, nothing else", () => {
    const py = fs.readFileSync(path.join(dir, "pytorch/missing_zero_grad.py"), "utf8").split("\n");
    const { findings } = lint("pytorch/missing_zero_grad.py");
    const start = py.findIndex((l) => l.startsWith("def train_without_zero_grad")) + 1;
    const end = py.findIndex((l) => l.startsWith("if __name__"));
    assert.deepEqual(findings.map((f) => f.rule), ["missing-zero-grad"]);
    assert.ok(findings[0].line > start && findings[0].line < end, `finding at line ${findings[0].line}`);
    assert.match(findings[0].message, /`optimizer\.zero_grad\(\)` is never called between steps/);
    const nb = lint("pytorch/regression.ipynb");
    assert.deepEqual(nb.findings.map((f) => [f.cell, f.line, f.rule]), [[3, 4, "missing-zero-grad"]]);
  });
});
