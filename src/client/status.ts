/**
 * The language status item ("{}" in the status bar): whether the active file is analysed and
 * how many gradient problems it has, from the server's gradlens/status notifications.
 */
import * as vscode from "vscode";
import type { StatusParams } from "../server/protocol";
import { DOCUMENT_SELECTOR } from "./documentSelector";

export class DocumentStatus implements vscode.Disposable {
  private readonly item = vscode.languages.createLanguageStatusItem("gradlens.status", DOCUMENT_SELECTOR);
  private readonly byUri = new Map<string, StatusParams>();
  private serverRunning = true;
  private readonly subscription = vscode.window.onDidChangeActiveTextEditor(() => this.render());

  constructor() {
    this.item.name = "GradLens";
    this.render();
  }

  update(status: StatusParams): void {
    this.byUri.set(status.uri, status);
    this.render();
  }

  forget(uri: string): void {
    this.byUri.delete(uri);
  }

  setServerRunning(running: boolean): void {
    this.serverRunning = running;
    this.render();
  }

  private render(): void {
    const item = this.item;
    item.busy = false;
    item.severity = vscode.LanguageStatusSeverity.Information;
    item.command = { title: "Show Output", command: "gradlens.showOutput" };
    if (!this.serverRunning) {
      item.text = "$(error) GradLens: stopped";
      item.detail = "the language server is not running";
      item.severity = vscode.LanguageStatusSeverity.Error;
      item.command = { title: "Restart", command: "gradlens.restartServer" };
      return;
    }
    const uri = vscode.window.activeTextEditor?.document.uri.toString();
    const s = uri === undefined ? undefined : this.byUri.get(uri);
    if (s === undefined) {
      item.text = "GradLens";
      item.detail = "analysing…";
      item.busy = true;
      return;
    }
    item.detail = s.detail;
    switch (s.state) {
      case "analysed":
        if (s.problems === 0) {
          item.text = "$(check) GradLens";
          item.detail = "no gradient problems";
        } else {
          item.text = `$(warning) GradLens: ${s.problems} problem${s.problems === 1 ? "" : "s"}`;
          item.detail = s.detail ?? "in this file";
          item.severity = vscode.LanguageStatusSeverity.Warning;
          item.command = { title: "Show Problems", command: "workbench.actions.view.problems" };
        }
        break;
      case "skipped":
        item.text = "GradLens: not a training script";
        break;
      case "disabled":
        item.text = "GradLens: off";
        break;
      case "timedOut":
        item.text = "$(clock) GradLens: not analysed";
        item.severity = vscode.LanguageStatusSeverity.Warning;
        break;
      case "parseError":
        item.text = "$(error) GradLens: does not parse";
        item.severity = vscode.LanguageStatusSeverity.Warning;
        break;
      case "failed":
        item.text = "$(error) GradLens: analysis failed";
        item.severity = vscode.LanguageStatusSeverity.Error;
        break;
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
