/**
 * Hover explanations of steps, path by path: what each step applies and whether it re-applies
 * gradients an earlier step used. Expected sentences are read off the fixtures' code by hand.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { explainText } from "../../src/analysis/lint";

const read = (rel: string) => fs.readFileSync(path.join(__dirname, "../..", rel), "utf8");
/** The path sentence of the step on `line` (1-based). */
function stepAt(rel: string, line: number): string {
  const step = explainText(read(rel), rel).find((s) => s.kind === "step" && s.line === line);
  assert.ok(step, `no step explained on line ${line} of ${rel}`);
  return step.markdown.split("\n\n")[1];
}

describe("explaining steps path by path (hover)", () => {
  it("a correct loop: 1 backward since the zero at the loop's top", () => {
    assert.equal(stepAt("examples/missing-zero-grad.ts", 31), "Here it applies the gradients of 1 backward since the zero on line 28.");
  });

  it("a loop that never zeroes: the step re-applies what it applied on the previous iteration", () => {
    assert.equal(stepAt("examples/missing-zero-grad.ts", 43),
      "Here it applies the gradients of 1 backward since `trainWithoutZeroGrad` began. On some paths it re-applies gradients already used by this same step on the previous iteration.");
    assert.equal(stepAt("test/fixtures/lint/invalid-no-zero.ts", 12),
      "Here it applies the gradients of 1 backward since the script began. On some paths it re-applies gradients already used by this same step on the previous iteration.");
  });

  it("two steps in a row: the second re-applies the first's gradients on every path", () => {
    const rel = "test/fixtures/lint/invalid-step-twice-in-straight-line.ts";
    const lines = read(rel).split("\n");
    const steps = lines.map((l, i) => (l.includes(".step()") ? i + 1 : -1)).filter((i) => i > 0);
    assert.equal(steps.length, 2);
    assert.match(stepAt(rel, steps[0]), /^Here it applies the gradients of 1 backward since the zero on line \d+\.$/);
    assert.equal(stepAt(rel, steps[1]), `On every path it re-applies gradients already used by the step on line ${steps[0]}.`);
  });

  it("gradient accumulation: 1 to several backwards, depending on the path", () => {
    const rel = "examples/gradient-accumulation.ts";
    const lines = read(rel).split("\n");
    const step = lines.findIndex((l) => l.includes("optimizer.step()")) + 1;
    const zeros = lines.map((l, i) => (l.includes("optimizer.zeroGrad()") ? i + 1 : -1)).filter((i) => i > 0);
    assert.equal(stepAt(rel, step), `Here it applies the gradients of 1 to several backwards since the zero on lines ${zeros.join(", ")}, depending on the path.`);
  });

  it("a zero between backward and step: the step applies nothing", () => {
    const rel = "test/fixtures/lint/invalid-zero-between-backward-and-step.ts";
    const step = read(rel).split("\n").findIndex((l) => l.includes(".step()")) + 1;
    assert.equal(stepAt(rel, step), "Here it applies nothing: no backward ran since the gradients were last zeroed.");
  });
});
