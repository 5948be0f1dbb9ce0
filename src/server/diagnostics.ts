/**
 * Findings as LSP diagnostics. Each carries in `data` everything its code actions need (the fix
 * and suppression edits, with the document version they were computed for), so code actions are
 * built without re-running the analysis.
 */
import { Diagnostic, DiagnosticSeverity, Range, TextEdit } from "vscode-languageserver";
import type { Finding, Notice, RuleId, TextEdit as AnalysisEdit } from "../analysis/core/types";
import { ruleDocsUrl } from "../analysis/rules/index";

export const SOURCE = "gradlens";

export interface FixData {
  title: string;
  preferred: boolean;
  edits: TextEdit[];
  /** Edits in other documents (another notebook cell), by URI. */
  elsewhere?: Record<string, TextEdit[]>;
}

export interface DiagnosticData {
  version: number;
  rule: RuleId;
  fixes: FixData[];
  /** 0-based line of the finding, for the "disable for this line" comment. */
  line: number;
}

export function toRange(startLine: number, startColumn: number, endLine: number, endColumn: number): Range {
  return { start: { line: startLine - 1, character: startColumn - 1 }, end: { line: endLine - 1, character: endColumn - 1 } };
}

export function toLspEdit(e: AnalysisEdit): TextEdit {
  return { range: toRange(e.start.line, e.start.column, e.end.line, e.end.column), newText: e.text };
}

/**
 * `uriOfCell`: in a notebook, the document of each cell (related locations and fix edits may be
 * in other cells than the finding's).
 */
export function findingToDiagnostic(f: Finding, uri: string, version: number, uriOfCell?: (cell: number | undefined) => string | undefined): Diagnostic {
  const where = (cell: number | undefined) => (uriOfCell !== undefined ? uriOfCell(cell) ?? uri : uri);
  const fixData = (fix: Finding["fixes"][number], i: number): FixData => {
    const here = fix.edits.filter((e) => where(e.cell) === uri).map(toLspEdit);
    const elsewhere: Record<string, TextEdit[]> = {};
    for (const e of fix.edits) {
      const at = where(e.cell);
      if (at !== uri) (elsewhere[at] ??= []).push(toLspEdit(e));
    }
    return { title: fix.title, preferred: i === 0, edits: here, ...(Object.keys(elsewhere).length > 0 ? { elsewhere } : {}) };
  };
  const onFile = f.cell !== undefined && uriOfCell === undefined;
  const data: DiagnosticData = { version, rule: f.rule, line: f.line - 1, fixes: onFile ? [] : f.fixes.map(fixData) };
  // A notebook's finding shown on the file itself (not on its cell): the message names the cell.
  return {
    range: onFile ? toRange(1, 1, 1, 1) : toRange(f.line, f.column, f.endLine, f.endColumn),
    severity: f.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: SOURCE,
    code: f.rule,
    codeDescription: { href: ruleDocsUrl(f.rule) },
    message: onFile ? `cell ${f.cell}, line ${f.line}: ${f.message}` : f.message,
    relatedInformation: f.related.map((r) => ({ location: { uri: where(r.cell), range: toRange(r.line, r.column, r.line, r.column) }, message: r.message })),
    data,
  };
}

export function noticeToDiagnostic(n: Notice): Diagnostic {
  return { range: toRange(n.line, n.column, n.line, n.column), severity: DiagnosticSeverity.Information, source: SOURCE, message: n.message };
}
