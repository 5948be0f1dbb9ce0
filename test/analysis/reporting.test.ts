/** What the user is told around findings: the --fix hint, and fixes left unverified under a budget. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { lintText } from "../../src/analysis/lint";
import { applyEdits } from "../../src/analysis/core/textEdits";
import { formatStylish } from "../../src/cli/formatters/stylish";

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, "../fixtures/lint", name), "utf8");

describe("stylish summary and the --fix hint", () => {
  const result = lintText(fixture("invalid-no-zero.ts"), "bad.ts", { fixes: false });

  it("suggests --fix on a plain run with warnings", () => {
    assert.match(formatStylish([result], false), /run with --fix/);
  });

  it("after --fix, says what was fixed and never suggests --fix again for what is left", () => {
    const out = formatStylish([result], false, 2);
    assert.match(out, /fixed 2 problems/);
    assert.doesNotMatch(out, /--fix/);
    // Nothing was fixable: still no hint, and no "fixed 0".
    const none = formatStylish([result], false, 0);
    assert.doesNotMatch(none, /--fix|fixed 0/);
  });
});

describe("fix verification under its budget", function () {
  this.timeout(60_000);
  it("a file with more candidates than the budget can check says so, and offers only checked fixes", () => {
    // 100 loops over one optimizer, each missing its zero: every check re-analyses the whole file.
    const loops = Array.from({ length: 100 }, () => "for (const [x, y] of batches) {\n  if (x) lossFn.forward(model.forward(x), y).backward();\n  optimizer.step();\n}").join("\n");
    const text = `import { nn, optim, Tensor } from "gradlens";\ndeclare const batches: [Tensor, Tensor][];\nconst lossFn = new nn.MSELoss();\nconst model = new nn.Linear(4, 1);\nconst optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });\n${loops}\n`;
    const r = lintText(text, "many.ts");
    assert.equal(r.findings.length, 100);
    const notice = r.notices.find((n) => /^fixes not offered for \d+ candidates: checking them would exceed the fix-verification budget$/.test(n.message));
    assert.ok(notice, JSON.stringify(r.notices));
    const fixed = r.findings.filter((f) => f.fixes.length > 0);
    assert.ok(fixed.length > 0 && fixed.length < 100, `${fixed.length} of 100 findings with fixes`);
    // The first findings (in source order) got the budget, and an offered fix does what it says.
    assert.ok(fixed.every((f) => f.line < r.findings.find((g) => g.fixes.length === 0)!.line));
    const after = lintText(applyEdits(text, fixed[0].fixes[0].edits), "many.ts", { fixes: false });
    assert.equal(after.findings.length, 99);
    assert.ok(!after.findings.some((f) => f.line === fixed[0].line));
  });
});

describe("a PyTorch habit: zero_grad() instead of zeroGrad()", () => {
  const loop = (zero: string) => `import { nn, optim, randn } from "gradlens";
const model = new nn.Linear(3, 1);
const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
for (let i = 0; i < 10; i++) {
  ${zero}
  model.forward(randn(4, 3)).sum().backward();
  optimizer.step();
}
`;
  const HINT = " (`optimizer.zero_grad()` is PyTorch's spelling: in gradlens it is `optimizer.zeroGrad()`)";

  it("the finding names the method meant, in JavaScript and past a TypeScript cast", () => {
    for (const [zero, file] of [["optimizer.zero_grad();", "a.js"], ["(optimizer as any).zero_grad();", "a.ts"], ["optimizer?.zero_grad({ setToNone: true });", "b.js"]]) {
      const [f] = lintText(loop(zero), file).findings;
      assert.equal(f.message, "`optimizer.step()` applies gradients accumulated across iterations: `optimizer.zeroGrad()` is never called between steps" + HINT, zero);
    }
  });

  it("no hint when the file doesn't use that spelling on this optimizer", () => {
    for (const zero of ["", "other.zero_grad();", "myoptimizer.zero_grad();"]) {
      const [f] = lintText(loop(zero), "a.js").findings;
      assert.ok(!f.message.includes("PyTorch's spelling"), zero);
    }
  });
});
