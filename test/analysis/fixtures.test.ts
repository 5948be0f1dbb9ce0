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

/**
 * The realistic corpus: whole training scripts (30–100 lines) written after well-known public
 * ones, correct ones and ones with the mistake people make in them, each stating its findings
 * inline. Same bar: zero misses, zero false alarms, every fix removes its finding.
 */
describe("realistic training-script corpus", () => {
  const realDir = path.join(__dirname, "../fixtures/realistic");
  const scripts = fs.readdirSync(realDir).filter((f) => f.endsWith(".ts")).sort();
  const texts = new Map(scripts.map((f) => [f, fs.readFileSync(path.join(realDir, f), "utf8")]));

  it("has at least 59 scripts of 30–100 lines, each saying what it is after", () => {
    assert.ok(scripts.length >= 59, `${scripts.length} scripts`);
    const buggy = scripts.filter((f) => expected(texts.get(f)!).length > 0);
    assert.ok(buggy.length >= 10 && scripts.length - buggy.length >= 25, `${buggy.length} with findings of ${scripts.length}`);
    for (const [f, text] of texts) {
      const lines = text.trimEnd().split("\n").length;
      assert.ok(lines >= 30 && lines <= 100, `${f}: ${lines} lines`);
      assert.match(text, /^\/\/ \S/, `${f} starts with a comment saying what it is`);
    }
  });

  for (const name of scripts) {
    const file = path.join(realDir, name);
    it(`${name}: exactly the expected findings, and fixes that remove them`, () => {
      const text = texts.get(name)!;
      const result = lintText(text, file);
      assert.deepEqual(result.errors, []);
      assert.deepEqual(result.notices, []);
      const got = result.findings.map((f) => `${f.line}:${f.rule}`).sort();
      assert.deepEqual(got, expected(text), JSON.stringify(result.findings.map((f) => [f.line, f.message]), null, 1));
      for (const f of result.findings) {
        assert.ok(f.fixes.length > 0, `finding at line ${f.line} offers no fix`);
        for (const fix of f.fixes) {
          const after = lintText(applyEdits(text, fix.edits), file);
          assert.ok(after.findings.length < result.findings.length, `fix "${fix.title}" did not remove the finding`);
        }
      }
      if (result.findings.length > 0) assert.deepEqual(fixText(text, file).result.findings.map((f) => f.message), []);
    });
  }
});
