/**
 * The Python fixture corpus: every file under test/fixtures/python states its expected findings
 * inline (`# expect: <rule>` on the reported line; no comment means no finding), modelled on the
 * public shapes of PyTorch training code. Zero misses, zero false alarms, every offered fix
 * removes its finding and leaves a file that parses, and fixing converges to a clean file.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { fixText, lintText } from "../../src/analysis/lint";
import { applyEdits } from "../../src/analysis/core/textEdits";
import { parsePython } from "../../src/analysis/python/parse";
import { editsParse } from "../../src/analysis/python/lintPython";

const dir = path.join(__dirname, "../fixtures/python");
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".py")).sort();

function expected(text: string): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const m = /# expect: ([\w\-, ]+?)(?: \(no fix\))?$/.exec(line);
    if (m) for (const rule of m[1].split(",").map((s) => s.trim())) out.push(`${i + 1}:${rule}`);
  });
  return out.sort();
}

describe("Python lint fixture corpus", () => {
  it("has at least 60 fixtures, both valid and invalid", () => {
    assert.ok(files.length >= 60, `${files.length} fixtures`);
    assert.ok(files.filter((f) => f.startsWith("valid-")).length >= 25);
    assert.ok(files.filter((f) => f.startsWith("invalid-")).length >= 25);
  });

  for (const name of files) {
    const file = path.join(dir, name);
    const text = fs.readFileSync(file, "utf8");
    it(`${name}: reports exactly the expected findings`, () => {
      assert.equal(parsePython(text).hasErrors, false, "the fixture itself must be valid Python");
      const result = lintText(text, file);
      assert.equal(result.analysed, !name.includes("no-torch-import"), "only files importing torch (or a wrapper) are analysed");
      const got = result.findings.map((f) => `${f.line}:${f.rule}`).sort();
      assert.deepEqual(got, expected(text), JSON.stringify(result.findings.map((f) => [f.line, f.message]), null, 1));
      if (name.startsWith("invalid-")) assert.ok(got.length > 0, "invalid fixtures must state a finding");
      if (name.startsWith("valid-")) assert.equal(got.length, 0);
      for (const f of result.findings) assert.doesNotMatch(f.message, /zeroGrad/, "Python messages use PyTorch's names");
    });

    if (!name.startsWith("invalid-")) continue;
    it(`${name}: every fix removes its finding, parses, and fixing converges`, () => {
      const before = lintText(text, file);
      // `# expect: <rule> (no fix)`: no edit is safe there, and none may be offered.
      const noFix = new Set(text.split(/\r?\n/).flatMap((l, i) => (/# expect: .*\(no fix\)$/.test(l) ? [i + 1] : [])));
      for (const f of before.findings) {
        if (noFix.has(f.line)) {
          assert.deepEqual(f.fixes, [], `finding at line ${f.line} should offer no fix`);
          continue;
        }
        assert.ok(f.fixes.length > 0, `finding at line ${f.line} offers no fix`);
        for (const fix of f.fixes) {
          const edited = applyEdits(text, fix.edits);
          assert.equal(parsePython(edited).hasErrors, false, `fix "${fix.title}" broke the file:\n${edited}`);
          const after = lintText(edited, file);
          assert.ok(after.findings.length < before.findings.length, `fix "${fix.title}" did not remove the finding:\n${edited}`);
        }
      }
      for (const placement of ["after-step", "loop-start"] as const) {
        const fixed = fixText(text, file, { placement });
        assert.deepEqual(fixed.result.findings.filter((f) => !noFix.has(f.line)).map((f) => f.message), [], `placement ${placement}:\n${fixed.text}`);
        assert.equal(fixText(fixed.text, file, { placement }).text, fixed.text);
      }
    });
  }
});

describe("Python fixes are re-parsed before they are offered", () => {
  const text = "import torch\n\nfor x in loader:\n    if x:\n        loss.backward()\n        opt.step()\n";
  // Parsed in the tests: the parser loads (root hook) after describe blocks are collected.
  const parsed = () => parsePython(text);
  const at = (needle: string) => text.indexOf(needle) + needle.length;
  const edit = (offset: number, insert: string) => ({ start: { line: 1, column: 1 }, end: { line: 1, column: 1 }, text: insert, range: [offset, offset] as [number, number] });

  it("accepts an insertion that keeps the statement's indentation", () => {
    assert.equal(editsParse(text, parsed(), [edit(at("opt.step()"), "\n        opt.zero_grad()")]), true);
  });

  it("rejects an edit that breaks the syntax, or the indentation, of the statement it lands in", () => {
    assert.equal(editsParse(text, parsed(), [edit(at("opt.step()"), "\n        opt.zero_grad(")]), false);
    assert.equal(editsParse(text, parsed(), [edit(at("opt.step()"), "\n            opt.zero_grad()")]), false);
    assert.equal(editsParse(text, parsed(), [edit(at("loss.backward()"), ":")]), false);
  });
});

describe("which Python files are analysed", () => {
  const analysed = (text: string) => lintText(text, "x.py").analysed;
  it("files importing torch or a wrapper, in any import form, at any depth", () => {
    for (const text of ["import torch\n", "import os, torch.nn as nn\n", "from torch.optim import AdamW\n", "import lightning as L\n",
      "from accelerate import Accelerator\n", "def main():\n    import torch\n", "if True:\n    from torch import nn\n", "import numpy as np, torch\n"]) {
      assert.equal(analysed(text), true, text);
    }
  });
  it("not files that only mention it", () => {
    for (const text of ["import torchvision\n", "# import torch\nx = 1\n", "s = 'import torch'\n", "from torchmetrics import Accuracy\n", "import os\n"]) {
      assert.equal(analysed(text), false, text);
    }
  });
});
