/**
 * The analysis entry point: source text in, findings with verified fix edits out. Pure: no
 * vscode, no file system. Front ends are chosen by file extension.
 */
import type { Fix, LintOptions, LintResult } from "./core/types";
import { applyEdits } from "./core/textEdits";
import { lintTypeScript } from "./typescript/lintTypeScript";
import { SyntaxProblem, TS_EXTENSIONS } from "./typescript/parse";
import { lintInLargeStack } from "./largeStack";

export { RULES } from "./rules/index";
export type { Finding, Fix, LintOptions, LintResult } from "./core/types";

export function isLintable(file: string): boolean {
  return TS_EXTENSIONS.some((ext) => file.endsWith(ext));
}

export function lintText(text: string, file: string, options: LintOptions = {}): LintResult {
  try {
    return lintUnguarded(text, file, options);
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      // Pathologically deep nesting: the parser recurses. Redo the work on a thread with a big stack.
      return lintInLargeStack(text, file, options);
    }
    throw e;
  }
}

export function lintUnguarded(text: string, file: string, options: LintOptions = {}): LintResult {
  if (!isLintable(file)) {
    return { file, findings: [], errors: [{ file, line: 1, column: 1, message: `unsupported file type (expected one of ${TS_EXTENSIONS.join(" ")})` }], analysed: false };
  }
  try {
    const result = lintTypeScript(text, file, options);
    const findings = result.findings;
    return { file, findings, errors: [], analysed: result.analysed };
  } catch (e) {
    if (e instanceof SyntaxProblem) return { file, findings: [], errors: [{ file, line: e.line, column: e.column, message: e.message }], analysed: false };
    throw e;
  }
}

/** Applies one fix per finding (preferring `placement`), re-linting until stable (at most 10 passes). */
export function fixText(text: string, file: string, options: LintOptions & { placement?: Fix["placement"] } = {}): { text: string; result: LintResult; applied: number } {
  let current = text;
  let applied = 0;
  for (let pass = 0; pass < 10; pass++) {
    const result = lintText(current, file, options);
    const chosen: Fix[] = [];
    const taken: [number, number][] = [];
    for (const f of result.findings) {
      const fix = f.fixes.find((x) => x.placement === options.placement) ?? f.fixes.find((x) => x.placement === "after-step") ?? f.fixes[0];
      if (!fix) continue;
      if (fix.edits.some((e) => taken.some(([s, t]) => e.range[0] < t && s < e.range[1]) || taken.some(([s]) => s === e.range[0]))) continue;
      chosen.push(fix);
      for (const e of fix.edits) taken.push(e.range);
      break; // one fix per pass: the next lint sees its effect on the others
    }
    if (chosen.length === 0) return { text: current, result, applied };
    current = applyEdits(current, chosen.flatMap((c) => c.edits));
    applied += chosen.length;
  }
  return { text: current, result: lintText(current, file, options), applied };
}
