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

export function findingToDiagnostic(f: Finding, uri: string, version: number): Diagnostic {
  const data: DiagnosticData = {
    version, rule: f.rule, line: f.line - 1,
    fixes: f.fixes.map((fix, i) => ({ title: fix.title, preferred: i === 0, edits: fix.edits.map(toLspEdit) })),
  };
  return {
    range: toRange(f.line, f.column, f.endLine, f.endColumn),
    severity: f.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: SOURCE,
    code: f.rule,
    codeDescription: { href: ruleDocsUrl(f.rule) },
    message: f.message,
    relatedInformation: f.related.map((r) => ({ location: { uri, range: toRange(r.line, r.column, r.line, r.column) }, message: r.message })),
    data,
  };
}

export function noticeToDiagnostic(n: Notice): Diagnostic {
  return { range: toRange(n.line, n.column, n.line, n.column), severity: DiagnosticSeverity.Information, source: SOURCE, message: n.message };
}
