/**
 * Inserted lines take the file's style: line endings, indentation unit and depth, semicolons —
 * in every combination, for each fix placement, including a braceless loop body that gets braces.
 */
import * as assert from "node:assert/strict";
import { fixText, lintText } from "../../src/analysis/lint";

const TEMPLATE = [
  'import { nn, optim, Tensor } from "gradlens"',
  "declare const batches: [Tensor, Tensor][]",
  "const model = new nn.Linear(2, 1)",
  "const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 })",
  "const mse = new nn.MSELoss()",
  "function train(epochs: number) {",
  "@for (let e = 0; e < epochs; e++) {",
  "@@for (const [x, y] of batches) {",
  "@@@const loss = mse.forward(model.forward(x), y)",
  "@@@loss.backward()",
  "@@@optimizer.step()",
  "@@}",
  "@}",
  "}",
  "train(3)",
];

function render(eol: string, indent: string, semi: boolean, lines = TEMPLATE): string {
  return lines.map((l) => l.replace(/@/g, indent) + (semi && !/[{}]$/.test(l) ? ";" : "")).join(eol) + eol;
}

describe("fix edits keep the file's style", () => {
  for (const eol of ["\n", "\r\n"]) {
    for (const indent of ["  ", "    ", "\t"]) {
      for (const semi of [true, false]) {
        const style = `${eol === "\n" ? "LF" : "CRLF"}, ${indent === "\t" ? "tabs" : `${indent.length} spaces`}, ${semi ? "semicolons" : "no semicolons"}`;
        for (const placement of ["after-step", "loop-start"] as const) {
          it(`${style}: ${placement}`, () => {
            const text = render(eol, indent, semi);
            assert.equal(lintText(text, "t.ts").findings.length, 1);
            const fixed = fixText(text, "t.ts", { placement }).text;
            assert.deepEqual(lintText(fixed, "t.ts").findings, []);
            const lines = fixed.split(eol);
            assert.ok(!/[^\r]\n/.test(fixed) || eol === "\n", "line endings kept");
            const inserted = lines.findIndex((l) => l.trim().startsWith("optimizer.zeroGrad()"));
            assert.ok(inserted > 0, fixed);
            // The inserted line is indented like the statements of the loop body it joins.
            assert.equal(lines[inserted], `${indent.repeat(3)}optimizer.zeroGrad()${semi ? ";" : ""}`, JSON.stringify(lines.slice(inserted - 2, inserted + 2)));
            assert.equal(lines.length, text.split(eol).length + 1, "exactly one line added");
          });
        }
        it(`${style}: a braceless loop body gets braces, its lines one level deeper`, () => {
          const lines = TEMPLATE.slice(0, 5).concat([
            "function update(x: Tensor, y: Tensor) {",
            "@mse.forward(model.forward(x), y).backward()",
            "@optimizer.step()",
            "}",
            "for (let e = 0; e < 3; e++)",
            "@for (const [x, y] of batches) update(x, y)",
          ]);
          const text = render(eol, indent, semi, lines);
          assert.equal(lintText(text, "t.ts").findings.length, 1);
          const fixed = fixText(text, "t.ts", { placement: "loop-start" }).text;
          assert.deepEqual(lintText(fixed, "t.ts").findings, []);
          const out = fixed.split(eol);
          const zero = out.findIndex((l) => l.trim().startsWith("optimizer.zeroGrad()"));
          assert.ok(zero > 0, fixed);
          const s = semi ? ";" : "";
          assert.deepEqual(out.slice(zero - 1, zero + 3), [
            `${indent}for (const [x, y] of batches) {`,
            `${indent.repeat(2)}optimizer.zeroGrad()${s}`,
            `${indent.repeat(2)}update(x, y)${s}`,
            `${indent}}`,
          ]);
        });
      }
    }
  }
});
