/**
 * Robustness for Python: mutated fixtures and notebooks, pathological nesting and long chains
 * never make the analysis throw; they produce findings or a syntax-error entry, and finish; and
 * fixing a mutated file that parsed never leaves a file that doesn't.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { fixText, lintText } from "../../src/analysis/lint";
import { assertWellFormed as wellFormedPositions, lintMutation, mutate, rng } from "../support/mutation";
import { parsePython } from "../../src/analysis/python/parse";
import { lintInLargeStack } from "../../src/analysis/largeStack";

const dir = path.join(__dirname, "../fixtures/python");
const fixtures = fs.readdirSync(dir).filter((f) => f.endsWith(".py")).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")] as const);

const TOKENS = [":", "(", ")", "\n    ", "\n", "for x in y:", "while True:", "break", "continue", "return", "optimizer.step()", "loss.backward()",
  "optimizer.zero_grad()", "lambda: ", "try:", "finally:", "if a:", "else:", "elif b:", "'", '"""', "#", "with ctx:", "match x:", "case 1:", "\t", ";", "\\"];

/** Positions are well formed, and every finding's range runs forwards. */
function assertWellFormed(result: ReturnType<typeof lintText>): void {
  wellFormedPositions(result);
  for (const f of result.findings) assert.ok(f.range[0] <= f.range[1]);
}

describe("Python robustness", () => {
  it("never throws on 600 random mutations of the Python fixtures, and still reports on half-broken files", function () {
    this.timeout(120_000);
    const r = rng(5);
    let parsed = 0, broken = 0, brokenWithFindings = 0;
    for (let i = 0; i < 600; i++) {
      const [name, text] = fixtures[i % fixtures.length];
      const mutated = mutate(text, r, TOKENS);
      const result = lintMutation(mutated, name, i);
      assertWellFormed(result);
      if (result.errors.length) {
        broken++;
        if (result.findings.length > 0) brokenWithFindings++;
      } else parsed++;
    }
    assert.ok(parsed > 100 && broken > 100, `${parsed} parsed, ${broken} broken`);
    // tree-sitter recovers: files with a syntax error still get findings for their intact parts.
    assert.ok(brokenWithFindings > 20, `${brokenWithFindings} broken files had findings`);
  });

  it("fixing mutated files that parse never produces one that doesn't", function () {
    this.timeout(120_000);
    const r = rng(13);
    let fixedSome = 0;
    // Files with findings, so most mutations still have something to fix.
    const invalid = fixtures.filter(([f]) => f.startsWith("invalid-"));
    for (let i = 0; i < 120; i++) {
      const [name, text] = invalid[(i * 7) % invalid.length];
      const mutated = mutate(text, r, TOKENS);
      // Only files that parse (a mutation that drops the torch import isn't analysed, so isn't checked either).
      if (parsePython(mutated).hasErrors) continue;
      const out = fixText(mutated, name);
      if (out.applied > 0) fixedSome++;
      assert.equal(parsePython(out.text).hasErrors, false, `fixing mutation ${i} of ${name} broke it:\n${out.text}`);
    }
    assert.ok(fixedSome > 10, `${fixedSome} mutated files were fixed`);
  });

  it("never throws on mutated notebooks (broken JSON is an error entry; cells keep their positions)", function () {
    this.timeout(60_000);
    const nb = fs.readFileSync(path.join(__dirname, "../fixtures/notebooks/missing-zero.ipynb"), "utf8");
    const r = rng(17);
    for (let i = 0; i < 150; i++) {
      const mutated = mutate(nb, r, TOKENS);
      const result = lintText(mutated, "nb.ipynb");
      assertWellFormed(result);
      for (const f of result.findings) assert.ok(f.cell !== undefined && f.cell >= 1);
    }
  });

  const header = "import torch\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n";
  const nest = (open: (i: number) => string, depth: number, inner: string) =>
    Array.from({ length: depth }, (_, i) => "    ".repeat(i) + open(i)).join("\n") + "\n" + "    ".repeat(depth) + inner;
  const deep: [string, string][] = [
    ["100 nested for loops", nest(() => "for x in y:", 100, "loss.backward(); optimizer.step()")],
    ["100 nested ifs", nest((i) => `if a${i}:`, 100, "optimizer.zero_grad()") + "\nfor x in y:\n    loss.backward()\n    optimizer.step()"],
    ["100 nested try blocks", nest(() => "try:", 100, "loss.backward()") + "\n" + Array.from({ length: 100 }, (_, i) => "    ".repeat(99 - i) + "finally:\n" + "    ".repeat(100 - i) + "optimizer.step()").join("\n")],
    ["a 5,000-arm elif chain", "for x in y:\n" + Array.from({ length: 5000 }, (_, i) => `    ${i ? "elif" : "if"} x == ${i}:\n        loss.backward()`).join("\n") + "\n    optimizer.step()"],
    ["a 5,000-term and chain", "for x in y:\n    a" + " and loss.backward()".repeat(5000) + "\n    optimizer.step()"],
    ["3,000 nested parentheses", "v = " + "(".repeat(3000) + "1" + ")".repeat(3000)],
    ["a 20,000-element list", "xs = [" + Array.from({ length: 20000 }, (_, i) => String(i)).join(", ") + "]"],
  ];
  for (const [name, body] of deep) {
    it(`analyses ${name} without overflowing the stack`, function () {
      this.timeout(120_000);
      const result = lintText(header + body + "\n", "deep.py");
      assertWellFormed(result);
      assert.equal(result.analysed, true);
    });
  }

  it("still finds the bug under 100 nested loops", function () {
    this.timeout(60_000);
    const result = lintText(header + nest(() => "for x in y:", 100, "loss.backward()\n" + "    ".repeat(100) + "optimizer.step()") + "\n", "deep.py", { fixes: false });
    assert.deepEqual(result.findings.map((f) => [f.rule, f.line]), [["missing-zero-grad", 103]]);
  });

  it("the large-stack fallback (a thread of its own, for files nested past the stack) loads the Python parser there too", function () {
    this.timeout(60_000);
    const text = "import torch\nopt = torch.optim.SGD(m.parameters(), lr=0.1)\nfor x in y:\n    loss.backward()\n    opt.step()\n";
    const result = lintInLargeStack(text, "deep.py", {});
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.findings.map((f) => [f.rule, f.line]), [["missing-zero-grad", 4]]);
  });
});
