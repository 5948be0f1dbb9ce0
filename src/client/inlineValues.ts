/** The last traced run's values drawn after their lines (from src/trace/inlineSummary.ts); cleared on edit. */
import * as vscode from "vscode";
import { inlineSummary, InlineValue } from "../trace/host/inlineSummary";
import type { TraceEvent } from "../trace/protocol";

export class InlineValues implements vscode.Disposable {
  private readonly type = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor("editorCodeLens.foreground"), margin: "0 0 0 2em", fontStyle: "italic" },
  });
  private values = new Map<string, InlineValue[]>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly subscriptions = [
    vscode.window.onDidChangeVisibleTextEditors(() => this.render()),
    vscode.workspace.onDidChangeTextDocument((e) => {
      // Lines move on edit: the values would sit on the wrong ones.
      if (e.contentChanges.length > 0 && this.values.delete(e.document.uri.fsPath)) this.render();
    }),
  ];

  /** Recomputed from every event of the run, at most every 250 ms while it streams. */
  update(events: readonly TraceEvent[]): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.values = inlineSummary(events);
      this.render();
    }, 250);
  }

  clear(): void {
    this.values.clear();
    this.render();
  }

  private render(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const list = this.values.get(editor.document.uri.fsPath) ?? [];
      editor.setDecorations(this.type, list.filter((v) => v.line <= editor.document.lineCount).map((v) => {
        const end = editor.document.lineAt(v.line - 1).range.end;
        return { range: new vscode.Range(end, end), renderOptions: { after: { contentText: v.text } }, hoverMessage: new vscode.MarkdownString(v.hover) };
      }));
    }
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
    this.type.dispose();
  }
}
