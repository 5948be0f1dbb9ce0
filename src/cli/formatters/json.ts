/** `--format json`: the documented shape, 1-based lines and columns. */
import type { LintResult } from "../../analysis/lint";

/** Notebook positions carry `cell`: the 1-based index into the notebook's `cells` array. */
function cellOf(x: { cell?: number }): { cell?: number } {
  return x.cell !== undefined ? { cell: x.cell } : {};
}

export function formatJson(results: LintResult[]): string {
  const findings = results.flatMap((r) => r.findings.map((f) => ({
    file: f.file, ...cellOf(f), line: f.line, column: f.column, endLine: f.endLine, endColumn: f.endColumn,
    rule: f.rule, severity: f.severity, message: f.message,
    related: f.related.map((x) => ({ file: x.file, ...cellOf(x), line: x.line, column: x.column, message: x.message })),
    fixes: f.fixes.map((x) => ({ title: x.title, edits: x.edits.map((e) => ({ ...cellOf(e), start: e.start, end: e.end, text: e.text })) })),
  })));
  const errors = results.flatMap((r) => r.errors.map((e) => ({ file: e.file, ...cellOf(e), line: e.line, column: e.column, message: e.message })));
  const notices = results.flatMap((r) => r.notices.map((n) => ({ file: n.file, ...cellOf(n), line: n.line, column: n.column, message: n.message })));
  return JSON.stringify({ findings, errors, notices }, null, 2) + "\n";
}
