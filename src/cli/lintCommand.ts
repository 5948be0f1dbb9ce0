/** `gradlens lint`: files → analysis → formatter; `--fix` rewrites files atomically. */
import * as fs from "node:fs";
import * as path from "node:path";
import { fixText, lintText, LintResult } from "../analysis/lint";
import type { LintArgs } from "./args";
import { collectFiles } from "../server/files";
import { formatJson } from "./formatters/json";
import { formatSarif } from "./formatters/sarif";
import { formatStylish } from "./formatters/stylish";

export interface CommandOutput {
  stdout: string;
  exitCode: number;
}

/** Writes through a temporary file and a rename, so a crash never leaves a half-written source. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.gradlens-${process.pid}.tmp`);
  const mode = fs.statSync(file).mode;
  fs.writeFileSync(tmp, text, { mode });
  fs.renameSync(tmp, file);
}

export function runLint(args: LintArgs, cwd: string, version: string): CommandOutput {
  const files = collectFiles(args.paths, cwd);
  const results: LintResult[] = [];
  let fixed = 0;
  const options = { engineModules: args.engineModules };
  for (const file of files) {
    const abs = path.resolve(cwd, file);
    let text: string;
    try {
      text = fs.readFileSync(abs, "utf8");
    } catch (e) {
      results.push({ file, findings: [], errors: [{ file, line: 1, column: 1, message: `cannot read file: ${(e as Error).message}` }], notices: [], analysed: false });
      continue;
    }
    if (args.fix) {
      const out = fixText(text, file, { ...options, placement: args.placement });
      if (out.applied > 0 && out.text !== text && out.result.errors.length === 0) {
        writeFileAtomic(abs, out.text);
        fixed += out.applied;
      }
      results.push(out.result);
    } else {
      // Stylish output shows no edits: skip computing and verifying fixes.
      results.push(lintText(text, file, { ...options, fixes: args.format !== "stylish" }));
    }
  }
  const problems = results.reduce((n, r) => n + r.findings.length + r.errors.length, 0);
  const stdout = args.format === "json" ? formatJson(results) : args.format === "sarif" ? formatSarif(results, version) : formatStylish(results, args.color, args.fix ? fixed : null);
  return { stdout, exitCode: problems > 0 ? 1 : 0 };
}
