/**
 * Runtime alerts as diagnostics beside the static ones ("confirmed at runtime: …"), in their own
 * collection so the language server's publishes never clear them. Cleared when the file changes.
 */
import * as vscode from "vscode";
import type { Alert } from "../trace/protocol";

export class RuntimeDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection("gradlens-runtime");
  private readonly byFile = new Map<string, vscode.Diagnostic[]>();
  private readonly subscription = vscode.workspace.onDidChangeTextDocument((e) => {
    if (e.contentChanges.length > 0) this.clearFile(e.document.uri);
  });

  add(alert: Alert): void {
    if (alert.file === "" || alert.line < 1) return;
    const uri = vscode.Uri.file(alert.file);
    const line = alert.line - 1;
    const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), alert.message, alert.kind === "non-finite" || alert.kind === "exploding" ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
    d.source = "gradlens (runtime)";
    d.code = alert.kind;
    if (alert.backward !== undefined) {
      d.relatedInformation = [new vscode.DiagnosticRelatedInformation(new vscode.Location(vscode.Uri.file(alert.backward.file), new vscode.Position(alert.backward.line - 1, 0)), "the backward() whose gradients piled up")];
    }
    const list = this.byFile.get(uri.toString()) ?? [];
    // Every rank of a torchrun job raises the same alert at the same line: one diagnostic.
    if (list.some((o) => o.code === d.code && o.range.start.line === line && o.message === d.message)) return;
    list.push(d);
    this.byFile.set(uri.toString(), list);
    this.collection.set(uri, list);
  }

  clearFile(uri: vscode.Uri): void {
    if (!this.byFile.delete(uri.toString())) return;
    this.collection.delete(uri);
  }

  clear(): void {
    this.byFile.clear();
    this.collection.clear();
  }

  dispose(): void {
    this.subscription.dispose();
    this.collection.dispose();
  }
}
