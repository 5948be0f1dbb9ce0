/**
 * VS Code entry point. activate() only wires the editor layer to the pure layers; every
 * feature lives in its own module under src/editor/.
 */
import * as vscode from "vscode";

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand("gradlens.showVersion", () => {
    const version = (context.extension.packageJSON as { version: string }).version;
    void vscode.window.showInformationMessage(`GradLens ${version}`);
  }));
}

export function deactivate(): void {}
