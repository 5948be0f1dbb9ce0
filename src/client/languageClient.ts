/**
 * The language client: starts the bundled server (`dist/server.js`) with VS Code's own Node over
 * IPC and syncs TypeScript/JavaScript and Python files and Jupyter notebooks to it. All analysis happens in that process.
 */
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from "vscode-languageclient/node";
import type { ClientOptions } from "../server/protocol";
import { DOCUMENT_SELECTOR } from "./documentSelector";

export const TRACE_COMMAND = "gradlens.traceTraining";

export function createLanguageClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): LanguageClient {
  const module = context.asAbsolutePath("dist/server.js");
  const server: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6019"] } },
  };
  const client: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    // The server reads `gradlens.*` per resource through workspace/configuration and registers
    // for its changes itself; nothing to synchronise here.
    diagnosticCollectionName: "gradlens",
    // "▶ Trace training" lenses run this client command.
    initializationOptions: { traceCommand: TRACE_COMMAND } satisfies ClientOptions,
  };
  return new LanguageClient("gradlens", "GradLens", server, client);
}
