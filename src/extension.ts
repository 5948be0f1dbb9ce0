/**
 * VS Code entry point. activate() only wires: it starts the language client (the analysis runs in
 * the server process, never here) and registers the commands and the status item.
 */
import * as vscode from "vscode";
import { State, type LanguageClient } from "vscode-languageclient/node";
import { fixAllInFile, lintWorkspace, revealProblems } from "./client/commands";
import { traceNotebook } from "./client/traceNotebook";
import { createLanguageClient, TRACE_COMMAND } from "./client/languageClient";
import { InlineValues } from "./client/inlineValues";
import { RuntimeDiagnostics } from "./client/runtimeDiagnostics";
import { DocumentStatus } from "./client/status";
import { TracePanel } from "./client/tracePanel";
import { REVEAL_PROBLEMS_COMMAND, STATUS_NOTIFICATION, StatusParams } from "./server/protocol";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("GradLens", { log: true });
  const status = new DocumentStatus();
  const runtime = new RuntimeDiagnostics();
  const inline = new InlineValues();
  // The traced script's own output, as it prints it (the log channel would timestamp each chunk).
  const traceOutput = vscode.window.createOutputChannel("GradLens Trace");
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
    runtime,
    traceOutput,
    vscode.commands.registerCommand(TRACE_COMMAND, (uri?: string) => {
      const target = uri !== undefined ? vscode.Uri.parse(uri) : vscode.window.activeTextEditor?.document.uri;
      if (target === undefined) return void vscode.window.showInformationMessage("GradLens: open a training script to trace.");
      if (target.scheme === "vscode-notebook-cell" || target.path.endsWith(".ipynb")) return traceNotebook(context);
      return TracePanel.trace(context, lc, runtime, inline, traceOutput, target);
    }),
    vscode.commands.registerCommand("gradlens.traceNotebook", () => traceNotebook(context)),
    vscode.commands.registerCommand("gradlens.stopTrace", () => TracePanel.stopCurrent()),
    inline,
    vscode.commands.registerCommand("gradlens.clearTraceResults", () => {
      runtime.clear();
      inline.clear();
    }),
    { dispose: () => TracePanel.disposeCurrent() },
    vscode.commands.registerCommand("gradlens.showVersion", () => {
      const version = (context.extension.packageJSON as { version: string }).version;
      void vscode.window.showInformationMessage(`GradLens ${version}`);
    }),
  );
  await lc.start();
}

export function deactivate(): Promise<void> | undefined {
  // No run outlives the window: the panel's run (and its process group) is killed.
  TracePanel.disposeCurrent();
  return client?.stop();
}
