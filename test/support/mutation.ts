/** Random source mutations for the robustness suites: a seeded generator and edits that break code in plausible ways. */
import * as assert from "node:assert/strict";
import { lintText, type LintResult } from "../../src/analysis/lint";

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 4294967296);
}

/** 1–4 edits: delete a span, insert one of `tokens`, or duplicate (and maybe move) a line. */
export function mutate(text: string, r: () => number, tokens: readonly string[]): string {
  let out = text;
  const edits = 1 + Math.floor(r() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(r() * out.length);
    const kind = r();
    if (kind < 0.35) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(r() * 20)); // delete a span
    else if (kind < 0.7) out = out.slice(0, at) + tokens[Math.floor(r() * tokens.length)] + out.slice(at); // insert a token
    else {
      const lines = out.split("\n"); // duplicate or move a line
      const a = Math.floor(r() * lines.length), b = Math.floor(r() * lines.length);
      lines.splice(b, 0, lines[a]);
      if (kind > 0.85) lines.splice(a > b ? a + 1 : a, 1);
      out = lines.join("\n");
    }
  }
  return out;
}

export function assertWellFormed(result: LintResult): void {
  for (const f of result.findings) assert.ok(f.line >= 1 && f.column >= 1 && f.message.length > 0);
  for (const e of result.errors) assert.ok(e.line >= 1 && e.column >= 1 && e.message.length > 0);
}

/** Lints mutation `i` of fixture `name`: a throw fails the test with the mutated text; the result must be well formed. */
export function lintMutation(mutated: string, name: string, i: number): LintResult {
  let result: LintResult;
  try {
    result = lintText(mutated, name);
  } catch (e) {
    assert.fail(`mutation ${i} of ${name} threw: ${(e as Error).stack}\n---\n${mutated}`);
  }
  assertWellFormed(result);
  return result;
}
