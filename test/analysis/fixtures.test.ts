/**
 * The fixture corpus: every file under test/fixtures/lint states its expected findings inline
 * (`// expect: <rule>` on the reported line; no comment means no finding). Zero misses, zero
 * false positives, and every offered fix removes its finding.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { lintText, fixText } from "../../src/analysis/lint";
import { applyEdits } from "../../src/analysis/core/textEdits";

const dir = path.join(__dirname, "../fixtures/lint");
const files = fs.readdirSync(dir).filter((f) => /\.(ts|js)$/.test(f)).sort();

function expected(text: string): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const m = /\/\/ expect: ([\w\-, ]+)$/.exec(line);
    if (m) for (const rule of m[1].split(",").map((s) => s.trim())) out.push(`${i + 1}:${rule}`);
  });
  return out.sort();
}

describe("lint fixture corpus", () => {
  it("has at least 45 fixtures, both valid and invalid", () => {
    assert.ok(files.length >= 45, `${files.length} fixtures`);
    assert.ok(files.filter((f) => f.startsWith("valid-")).length >= 20);
    assert.ok(files.filter((f) => f.startsWith("invalid-")).length >= 20);
  });

  for (const name of files) {
    const file = path.join(dir, name);
    const text = fs.readFileSync(file, "utf8");
    it(`${name}: reports exactly the expected findings`, () => {
      const result = lintText(text, file);
      assert.deepEqual(result.errors, []);
      const got = result.findings.map((f) => `${f.line}:${f.rule}`).sort();
      assert.deepEqual(got, expected(text), JSON.stringify(result.findings.map((f) => [f.line, f.message]), null, 1));
      if (name.startsWith("invalid-")) assert.ok(got.length > 0, "invalid fixtures must state a finding");
      if (name.startsWith("valid-")) assert.equal(got.length, 0);
    });

    if (!name.startsWith("invalid-")) continue;
    it(`${name}: every fix removes its finding and fixing converges to a clean file`, () => {
      const before = lintText(text, file);
      for (const f of before.findings) {
        assert.ok(f.fixes.length > 0, `finding at line ${f.line} offers no fix`);
        for (const fix of f.fixes) {
          const after = lintText(applyEdits(text, fix.edits), file);
          assert.deepEqual(after.errors, [], `fix "${fix.title}" broke the file`);
          assert.ok(after.findings.length < before.findings.length, `fix "${fix.title}" did not remove the finding`);
        }
      }
      for (const placement of ["after-step", "loop-start"] as const) {
        const fixed = fixText(text, file, { placement });
        assert.deepEqual(fixed.result.findings.map((f) => f.message), [], `placement ${placement}:\n${fixed.text}`);
        // Idempotent: a clean file stays as it is.
        assert.equal(fixText(fixed.text, file, { placement }).text, fixed.text);
      }
    });
  }
});
