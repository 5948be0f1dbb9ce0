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

/** Python (files and notebook cells) comments with `#`; TypeScript and JavaScript with `//`. */
function isPython(doc: TextDocument): boolean {
  return doc.languageId === "python" || /\.pyi?$/.test(doc.uri);
}

/** `// gradlens-disable-next-line <rule>` (`#` in Python) above the line, with its indentation and line ending. */
function disableLine(doc: TextDocument, line: number, rule: string): TextEdit {
  const text = doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
  const indent = /^[ \t]*/.exec(text)![0];
  const eol = text.endsWith("\r\n") ? "\r\n" : "\n";
  const comment = isPython(doc) ? "#" : "//";
  return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}${comment} gradlens-disable-next-line ${rule}${eol}` };
}

/** `/* gradlens-disable <rule> *\/` (`# gradlens-disable <rule>` in Python) at the top, after a shebang or encoding line. */
function disableFile(doc: TextDocument, rule: string): TextEdit {
  const lines = doc.getText().split("\n", 3);
  let line = lines[0]?.startsWith("#!") ? 1 : 0;
  if (isPython(doc) && /^#.*coding[:=]/.test(lines[line] ?? "")) line++;
  const eol = (lines[0] ?? "").endsWith("\r") ? "\r\n" : "\n";
  const text = isPython(doc) ? `# gradlens-disable ${rule}` : `/* gradlens-disable ${rule} */`;
  return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${text}${eol}` };
}

export function quickFixes(doc: TextDocument, diagnostics: readonly Diagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of diagnostics.filter(isOurs)) {
    // Edits computed for another version of the text would land in the wrong place.
    if (d.data.version !== doc.version) continue;
    for (const fix of d.data.fixes) {
      const changes = { ...(fix.elsewhere ?? {}), ...(fix.edits.length > 0 ? { [doc.uri]: fix.edits } : {}) };
      out.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: fix.preferred, edit: { changes } });
    }
    out.push({ title: `Disable ${d.data.rule} for this line`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: { changes: { [doc.uri]: [disableLine(doc, d.data.line, d.data.rule)] } } });
    out.push({ title: `Disable ${d.data.rule} for this file`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: { changes: { [doc.uri]: [disableFile(doc, d.data.rule)] } } });
    if (d.codeDescription !== undefined) {
      out.push({ title: `Show documentation for ${d.data.rule}`, kind: CodeActionKind.QuickFix, diagnostics: [d], command: { title: `Show documentation for ${d.data.rule}`, command: SHOW_DOCS, arguments: [d.codeDescription.href] } });
    }
  }
  return out;
}
