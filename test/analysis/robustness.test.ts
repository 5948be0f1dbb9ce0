/**
 * Robustness: mutated fixtures and pathologically nested code never make the analysis throw or
 * overflow the stack; they produce findings or parse-error entries, and finish.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { lintText, fixText } from "../../src/analysis/lint";
import { assertWellFormed, lintMutation, mutate, rng } from "../support/mutation";

const dir = path.join(__dirname, "../fixtures/lint");
const fixtures = fs.readdirSync(dir).filter((f) => /\.(ts|js)$/.test(f)).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")] as const);

const TOKENS = ["{", "}", "(", ")", ";", "for (;;) {", "while (x) ", "break;", "continue;", "return;", "optimizer.step();", "loss.backward();", "optimizer.zeroGrad();", "=>", "?.", "try {", "} finally {", "if (a) ", "else ", "`", "/*", "'", "label:", "switch (x) { case 1:", "do {", "} while (0);"];

describe("robustness", () => {
  it("never throws on 600 random mutations of the fixture corpus", function () {
    this.timeout(120_000);
    const r = rng(7);
    let parsed = 0, broken = 0;
    for (let i = 0; i < 600; i++) {
      const [name, text] = fixtures[i % fixtures.length];
      const mutated = mutate(text, r, TOKENS);
      const result = lintMutation(mutated, name, i);
      if (result.errors.length) broken++;
      else parsed++;
    }
    // The mutations must exercise both paths: files that still parse and files that don't.
    assert.ok(parsed > 100 && broken > 100, `${parsed} parsed, ${broken} broken`);
  });

  it("fixing mutated files never produces a file that fails to parse", function () {
    this.timeout(120_000);
    const r = rng(11);
    for (let i = 0; i < 80; i++) {
      const [name, text] = fixtures[(i * 7) % fixtures.length];
      const mutated = mutate(text, r, TOKENS);
      const before = lintText(mutated, name);
      if (before.errors.length) continue;
      const out = fixText(mutated, name);
      assert.deepEqual(lintText(out.text, name).errors, [], `fixing mutation ${i} of ${name} broke it`);
    }
  });

  const header = 'import { optim } from "gradlens";\ndeclare const loss: { backward(): void };\nconst optimizer = new optim.SGD([], {});\n';
  const deep: [string, string][] = [
    ["2,000 nested blocks", "{".repeat(2000) + "loss.backward(); optimizer.step();" + "}".repeat(2000)],
    ["2,000 nested for loops", "for (;;) {".repeat(2000) + "loss.backward(); optimizer.step();" + "}".repeat(2000)],
    ["2,000 nested ifs", "if (a) {".repeat(2000) + "optimizer.zeroGrad();" + "}".repeat(2000) + "\nfor (;;) { loss.backward(); optimizer.step(); }"],
    ["2,000 nested callbacks", "xs.forEach(() => {".repeat(2000) + "loss.backward(); optimizer.step();" + "});".repeat(2000)],
    ["10,000-branch else-if chain", "for (;;) {\n" + Array.from({ length: 10000 }, (_, i) => `${i ? "else " : ""}if (x === ${i}) loss.backward();`).join("\n") + "\noptimizer.step();\n}"],
    ["5,000-term && chain", "for (;;) { a" + " && loss.backward()".repeat(5000) + "; optimizer.step(); }"],
    ["3,000 nested parentheses", "const v = " + "(".repeat(3000) + "1" + ")".repeat(3000) + ";"],
  ];
  for (const [name, body] of deep) {
    it(`analyses ${name} without overflowing the stack`, function () {
      this.timeout(120_000);
      const result = lintText(header + body, "deep.ts");
      assertWellFormed(result);
      assert.deepEqual(result.errors, []);
      assert.equal(result.analysed, true);
    });
  }

  it("still finds the bug inside 2,000 nested loops", function () {
    this.timeout(120_000);
    const result = lintText(header + "for (;;) {".repeat(2000) + "\nloss.backward();\noptimizer.step();\n" + "}".repeat(2000), "deep.ts", { fixes: false });
    assert.deepEqual(result.findings.map((f) => [f.rule, f.line]), [["missing-zero-grad", 5]]);
  });
});
