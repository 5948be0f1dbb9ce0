/**
 * The trace panel's host: runs the script in a child process (src/trace/runner.ts — never in
 * the extension host), keeps every event so a hidden or reopened webview replays the run, batches
 * them to the webview, turns alerts into runtime diagnostics, and handles Stop / Re-run /
 * Compare with fix. The webview's state survives hiding through getState/setState.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { FIXED_TEXT_REQUEST, FixedTextResult } from "../server/protocol";
import { tracePage } from "../trace/host/page";
import type { FromView, ToView, TraceEvent, TraceOptions } from "../trace/protocol";
import { PythonTarget, RunHandle, startRun } from "../trace/host/runner";
import { findTorchInterpreter, interpreterCandidates, InterpreterError } from "../trace/host/interpreter";
import type { InlineValues } from "./inlineValues";
import type { RuntimeDiagnostics } from "./runtimeDiagnostics";

interface RunSettings { options: Partial<TraceOptions>; timeoutSeconds: number; memoryMb: number }

function settingsFor(uri: vscode.Uri): RunSettings {
  const c = vscode.workspace.getConfiguration("gradlens.trace", uri);
  return {
    options: { maxSteps: c.get("maxSteps", 10_000), logEvery: c.get("logEvery", 1), explodingNorm: c.get("explodingNorm", 1e4), vanishingNorm: c.get("vanishingNorm", 1e-8) },
    timeoutSeconds: c.get("timeoutSeconds", 300),
    memoryMb: c.get("memoryMb", 4096),
  };
}

const isPython = (file: string) => /\.py$/i.test(file);

/** The Python extension's selected interpreter for a file, when that extension is installed. */
async function pythonExtensionInterpreter(uri: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension("ms-python.python");
  if (ext === undefined) return undefined;
  try {
    const api = (ext.isActive ? ext.exports : await ext.activate()) as { environments?: { getActiveEnvironmentPath?(r?: vscode.Uri): { path?: string } | undefined } } | undefined;
    return api?.environments?.getActiveEnvironmentPath?.(uri)?.path || undefined;
  } catch {
    return undefined;
  }
}

/** How a `.py` file runs: the first interpreter that imports torch (the error says which were tried). */
async function pythonTarget(context: vscode.ExtensionContext, uri: vscode.Uri): Promise<PythonTarget> {
  const setting = vscode.workspace.getConfiguration("gradlens.python", uri).get<string>("path") || undefined;
  const found = await findTorchInterpreter(interpreterCandidates({ setting, pythonExtension: await pythonExtensionInterpreter(uri) }));
  return { interpreter: found.command, bootstrap: context.asAbsolutePath("dist/python") };
}

export class TracePanel implements vscode.Disposable {
  private static current: TracePanel | undefined;
  private readonly panel: vscode.WebviewPanel;
  private run: RunHandle | null = null;
  private events: TraceEvent[] = [];
  private compareEvents: { label: string; events: TraceEvent[] } | null = null;
  private queue: TraceEvent[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private ready = false;
  private file: vscode.Uri;

  private constructor(private readonly context: vscode.ExtensionContext, private readonly client: LanguageClient, private readonly runtime: RuntimeDiagnostics, private readonly inline: InlineValues, private readonly output: vscode.OutputChannel, file: vscode.Uri) {
    this.file = file;
    const media = vscode.Uri.joinPath(context.extensionUri, "media");
    this.panel = vscode.window.createWebviewPanel("gradlens.trace", `Trace: ${path.basename(file.fsPath)}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [media],
    });
    const webview = this.panel.webview;
    const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(media, "build", name)).toString();
    webview.html = tracePage({ cspSource: webview.cspSource, nonce: randomBytes(16).toString("base64"), script: { src: asset("traceView.js") }, style: { href: asset("traceView.css") }, title: "GradLens trace" });
    webview.onDidReceiveMessage((m: FromView) => this.onMessage(m));
    this.panel.onDidChangeViewState(() => {
      // A webview that was hidden lost its page: it says "ready" again and gets everything.
      if (!this.panel.visible) this.ready = false;
    });
    this.panel.onDidDispose(() => this.dispose());
  }

  /** Traces `file` in the panel (creating it, or reusing the open one). */
  static async trace(context: vscode.ExtensionContext, client: LanguageClient, runtime: RuntimeDiagnostics, inline: InlineValues, output: vscode.OutputChannel, file: vscode.Uri): Promise<TracePanel | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage("GradLens: tracing runs the script's code, so it needs a trusted workspace. Linting keeps working in Restricted Mode.", "Manage Workspace Trust").then((c) => {
        if (c !== undefined) void vscode.commands.executeCommand("workbench.trust.manage");
      });
      return undefined;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
    if (doc?.isDirty) await doc.save();
    let panel = TracePanel.current;
    if (panel === undefined) panel = TracePanel.current = new TracePanel(context, client, runtime, inline, output, file);
    else panel.panel.reveal(undefined, true);
    panel.start(file);
    return panel;
  }

  static stopCurrent(): void {
    TracePanel.current?.run?.stop();
  }

  private start(file: vscode.Uri): void {
    void this.startRun(file);
  }

  private async startRun(file: vscode.Uri): Promise<void> {
    this.run?.stop();
    this.run = null;
    this.file = file;
    this.panel.title = `Trace: ${path.basename(file.fsPath)}`;
    this.events = [];
    this.compareEvents = null;
    this.queue = [];
    this.runtime.clearFile(file);
    this.inline.clear();
    this.post({ type: "events", events: [], reset: true });
    this.output.appendLine(`▶ tracing ${file.fsPath}`);
    const s = settingsFor(file);
    const starting = this.starting = {};
    let python: PythonTarget | undefined;
    if (isPython(file.fsPath)) {
      this.postState(true);
      try {
        python = await pythonTarget(this.context, file);
      } catch (e) {
        if (this.starting !== starting) return;
        const message = e instanceof InterpreterError ? e.message : String(e);
        this.output.appendLine(`■ ${message}`);
        void vscode.window.showErrorMessage(`GradLens: ${message.split("\n")[0]}`, "Show Output").then((c) => c !== undefined && this.output.show(true));
        const end: TraceEvent = { type: "run-end", code: null, reason: "error", durationMs: 0, steps: 0, message, error: { message } };
        this.events.push(end);
        this.enqueue(end);
        this.postState();
        return;
      }
      if (this.starting !== starting) return;
    }
    // A Python run announces its start while startRun is still returning: events are this run's
    // while this start is the current one.
    const run: RunHandle = startRun({
      file: file.fsPath, cwd: path.dirname(file.fsPath), options: s.options, timeoutSeconds: s.timeoutSeconds, memoryMb: s.memoryMb, python,
      entry: this.context.asAbsolutePath("dist/server.js"), engine: this.context.asAbsolutePath("dist/engine.js"),
      onEvent: (e) => {
        if (this.starting !== starting) return;
        if (e.type === "output") {
          this.output.append(e.text);
          return;
        }
        this.events.push(e);
        if (e.type === "alert") this.runtime.add(e.alert);
        if (e.type === "step" || e.type === "backward") this.inline.update(this.events);
        this.enqueue(e);
      },
    });
    this.run = run;
    this.postState();
    void run.done.then((end) => {
      if (this.starting !== starting) return;
      this.output.appendLine(`■ ${end.reason === "exit" ? "finished" : end.message ?? end.reason} (${end.steps} steps)`);
      this.postState();
    });
  }

  private enqueue(e: TraceEvent): void {
    this.queue.push(e);
    if (this.flushTimer === null) this.flushTimer = setTimeout(() => this.flush(), 100);
  }

  private flush(): void {
    this.flushTimer = null;
    if (!this.ready || this.queue.length === 0) return;
    const events = this.queue;
    this.queue = [];
    this.post({ type: "events", events });
  }

  private post(m: ToView): void {
    void this.panel.webview.postMessage(m);
  }

  /** Which start is current: a slower interpreter search must not start a run after a newer one. */
  private starting: object | null = null;

  private postState(starting = false): void {
    // "Compare with fix" only where there is a fix to compare with: the file has a static finding.
    const canCompare = vscode.languages.getDiagnostics(this.file).some((d) => d.source === "gradlens");
    this.post({ type: "state", running: starting || (this.run !== null && !this.events.some((e) => e.type === "run-end")), canCompare });
  }

  private async onMessage(m: FromView): Promise<void> {
    switch (m.type) {
      case "ready":
        this.ready = true;
        this.queue = [];
        this.post({ type: "events", events: this.events, reset: true });
        if (this.compareEvents !== null) this.post({ type: "compare", ...this.compareEvents });
        this.postState();
        break;
      case "reveal": {
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(m.file));
        const at = new vscode.Position(Math.max(0, m.line - 1), 0);
        await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(at, at) });
        break;
      }
      case "stop":
        this.run?.stop();
        break;
      case "rerun":
        this.start(this.file);
        break;
      case "compare":
        await this.compareWithFix();
        break;
    }
  }

  /** Re-runs a temporary copy with the preferred fixes applied (same script, same seed) and overlays it. */
  private async compareWithFix(): Promise<void> {
    const fixed = await this.client.sendRequest<FixedTextResult | null>(FIXED_TEXT_REQUEST, { uri: this.file.toString() });
    if (fixed === null || fixed.applied === 0) {
      void vscode.window.showInformationMessage("GradLens: there is no fix to compare with in this file.");
      return;
    }
    const s = settingsFor(this.file);
    const folder = path.dirname(this.file.fsPath);
    let copy: string;
    let python: PythonTarget | undefined;
    let cleanup: () => void;
    if (isPython(this.file.fsPath)) {
      // A temp folder, nothing written beside the user's files; the script's folder goes on
      // sys.path (PYTHONPATH) so its imports resolve as they do for the original.
      const temp = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-fixed-"));
      copy = path.join(temp, path.basename(this.file.fsPath));
      try {
        python = { ...(await pythonTarget(this.context, this.file)), pythonPath: [folder] };
      } catch (e) {
        void vscode.window.showErrorMessage(`GradLens: ${(e as Error).message.split("\n")[0]}`);
        fs.rmSync(temp, { recursive: true, force: true });
        return;
      }
      cleanup = () => fs.rmSync(temp, { recursive: true, force: true });
    } else {
      // Beside the original, so its relative imports resolve the same way.
      copy = path.join(folder, `.gradlens-fixed-${path.basename(this.file.fsPath)}`);
      cleanup = () => fs.rmSync(copy, { force: true });
    }
    fs.writeFileSync(copy, fixed.text);
    const run = startRun({ file: copy, cwd: folder, options: s.options, timeoutSeconds: s.timeoutSeconds, memoryMb: s.memoryMb, python, entry: this.context.asAbsolutePath("dist/server.js"), engine: this.context.asAbsolutePath("dist/engine.js") });
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "GradLens: running the fixed copy" }, () => run.done);
    cleanup();
    this.compareEvents = { label: "with fix", events: run.events };
    this.post({ type: "compare", ...this.compareEvents });
  }

  private disposed = false;
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.starting = null;
    this.run?.stop();
    this.run = null;
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    if (TracePanel.current === this) TracePanel.current = undefined;
    this.panel.dispose();
  }

  static disposeCurrent(): void {
    TracePanel.current?.dispose();
  }
}
