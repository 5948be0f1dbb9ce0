/**
 * Code actions from the diagnostics' stored data (no re-analysis): each fix as a quick fix (the
 * first one preferred), and suppressions for the line and the file. Fix-all is separate: it
 * re-lints through `fixText`, the same function as `gradlens lint --fix`.
 */
import { CodeAction, CodeActionKind, Diagnostic, TextEdit } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { DiagnosticData, SOURCE } from "./diagnostics";

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.gradlens`;
/** Executed by the server: asks the client to open a rule's documentation (window/showDocument). */
export const SHOW_DOCS = "gradlens.showDocumentation";

function isOurs(d: Diagnostic): d is Diagnostic & { data: DiagnosticData } {
  return d.source === SOURCE && typeof d.code === "string" && d.data !== undefined;
}

/** `// gradlens-disable-next-line <rule>` above the line, with its indentation and line ending. */
function disableLine(doc: TextDocument, line: number, rule: string): TextEdit {
  const text = doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
  const indent = /^[ \t]*/.exec(text)![0];
  const eol = text.endsWith("\r\n") ? "\r\n" : "\n";
  return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}// gradlens-disable-next-line ${rule}${eol}` };
}

/** `/* gradlens-disable <rule> *\/` at the top (after a shebang line). */
function disableFile(doc: TextDocument, rule: string): TextEdit {
  const first = doc.getText({ start: { line: 0, character: 0 }, end: { line: 1, character: 0 } });
  const line = first.startsWith("#!") ? 1 : 0;
  const eol = first.endsWith("\r\n") ? "\r\n" : "\n";
  return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `/* gradlens-disable ${rule} */${eol}` };
}

export function quickFixes(doc: TextDocument, diagnostics: readonly Diagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of diagnostics.filter(isOurs)) {
    // Edits computed for another version of the text would land in the wrong place.
    if (d.data.version !== doc.version) continue;
    for (const fix of d.data.fixes) {
      out.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: fix.preferred, edit: { changes: { [doc.uri]: fix.edits } } });
    }
    out.push({ title: `Disable ${d.data.rule} for this line`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: { changes: { [doc.uri]: [disableLine(doc, d.data.line, d.data.rule)] } } });
    out.push({ title: `Disable ${d.data.rule} for this file`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: { changes: { [doc.uri]: [disableFile(doc, d.data.rule)] } } });
    if (d.codeDescription !== undefined) {
      out.push({ title: `Show documentation for ${d.data.rule}`, kind: CodeActionKind.QuickFix, diagnostics: [d], command: { title: `Show documentation for ${d.data.rule}`, command: SHOW_DOCS, arguments: [d.codeDescription.href] } });
    }
  }
  return out;
}
