/**
 * VS Code entry point. activate() only wires: it starts the language client (the analysis runs in
 * the server process, never here) and registers the commands and the status item.
 */
import * as vscode from "vscode";
import { State, type LanguageClient } from "vscode-languageclient/node";
import { fixAllInFile, lintWorkspace, revealProblems } from "./client/commands";
import { createLanguageClient } from "./client/languageClient";
import { DocumentStatus } from "./client/status";
import { REVEAL_PROBLEMS_COMMAND, STATUS_NOTIFICATION, StatusParams } from "./server/protocol";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("GradLens", { log: true });
  const status = new DocumentStatus();
  const lc = createLanguageClient(context, output);
  client = lc;
  context.subscriptions.push(
    output,
    status,
    lc.onNotification(STATUS_NOTIFICATION, (s: StatusParams) => status.update(s)),
    lc.onDidChangeState((e) => status.setServerRunning(e.newState !== State.Stopped)),
    vscode.workspace.onDidCloseTextDocument((d) => status.forget(d.uri.toString())),
    vscode.commands.registerCommand("gradlens.lintWorkspace", () => lintWorkspace(lc)),
    vscode.commands.registerCommand("gradlens.fixAll", () => fixAllInFile()),
    vscode.commands.registerCommand("gradlens.restartServer", () => lc.restart()),
    vscode.commands.registerCommand("gradlens.showOutput", () => output.show(true)),
    vscode.commands.registerCommand(REVEAL_PROBLEMS_COMMAND, (uri: string, line: number) => revealProblems(uri, line)),
    vscode.commands.registerCommand("gradlens.showVersion", () => {
      const version = (context.extension.packageJSON as { version: string }).version;
      void vscode.window.showInformationMessage(`GradLens ${version}`);
    }),
  );
  await lc.start();
}

export function deactivate(): Promise<void> | undefined {
  return client?.stop();
}
