/** Default output, like ESLint's stylish: grouped by file, `line:col  severity  message  rule`. */
import type { LintResult } from "../../analysis/lint";

const paint = (on: boolean, code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

/** `fixed`: problems --fix repaired, or null when --fix wasn't asked for. */
export function formatStylish(results: LintResult[], color: boolean, fixed: number | null = null): string {
  const dim = paint(color, "2"), yellow = paint(color, "33"), red = paint(color, "31"), bold = paint(color, "1"), under = paint(color, "4"), blue = paint(color, "34");
  const lines: string[] = [];
  let warnings = 0, errors = 0;
  for (const r of results) {
    if (r.findings.length === 0 && r.errors.length === 0 && r.notices.length === 0) continue;
    lines.push(under(r.file));
    // In a notebook, a position is `cell N:line:column` (N indexes the notebook's cells, markdown included).
    const pos = (x: { cell?: number; line: number; column: number }) => `${x.cell !== undefined ? `cell ${x.cell}:` : ""}${x.line}:${x.column}`;
    const rows = [
      ...r.errors.map((e) => ({ pos: pos(e), sev: red("error"), msg: e.message, rule: "parse-error" })),
      ...r.findings.map((f) => ({ pos: pos(f), sev: f.severity === "error" ? red("error") : yellow("warning"), msg: f.message, rule: f.rule })),
      ...r.notices.map((n) => ({ pos: pos(n), sev: blue("info"), msg: n.message, rule: "not-analysed" })),
    ];
    errors += r.errors.length;
    warnings += r.findings.length;
    const width = Math.max(...rows.map((x) => x.pos.length));
    for (const row of rows) lines.push(`  ${dim(row.pos.padEnd(width))}  ${row.sev}  ${row.msg}  ${dim(row.rule)}`);
    lines.push("");
  }
  const total = warnings + errors;
  if (fixed !== null && fixed > 0) lines.push(`fixed ${fixed} problem${fixed === 1 ? "" : "s"}`);
  if (total === 0) {
    // A clean result says what was checked, so it can't be mistaken for nothing checked.
    const analysed = results.filter((r) => r.analysed).length;
    lines.push(`${results.length} file${results.length === 1 ? "" : "s"} checked, ${analysed} analysed (import gradlens or torch), no problems`);
    return lines.join("\n") + "\n";
  }
  lines.push((errors ? red : yellow)(bold(`✖ ${total} problem${total === 1 ? "" : "s"} (${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"})`)));
  // Stylish output skips computing fixes; after --fix, what remains has no safe fix.
  if (warnings && fixed === null) lines.push(dim(`  run with --fix to apply the fixes that are safe (inserting or moving the zero: zeroGrad() / zero_grad()).`));
  return lines.join("\n") + "\n";
}
