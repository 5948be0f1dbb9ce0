/**
 * The gradlens language server: the analysis served over LSP (`gradlens lsp --stdio`, and
 * `dist/server.js` for VS Code). Pure Node, no `vscode` import. Diagnostics are pushed on open, on
 * change (debounced; a newer edit cancels the pending run) and on save, and cleared on close. A
 * document that stops parsing keeps its last good diagnostics; nothing the analysis throws
 * reaches the client.
 */
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import { CodeAction, CodeActionKind, CodeLens, CodeLensRefreshRequest, Connection, Diagnostic, DiagnosticSeverity, DidChangeConfigurationNotification, NotebookDocuments, TextDocuments, TextEdit, TextDocumentSyncKind } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Finding, LintOptions, LintResult } from "../analysis/core/types";
import type { SiteExplanation } from "../analysis/core/explain";
import { ANALYSIS_JOBS } from "./analysisJobs";
import { AnalysisJobs, AnalysisWorker, JobKind, Outcome } from "./analysisWorker";
import { FIX_ALL_KIND, quickFixes, SHOW_DOCS } from "./codeActions";
import { findingToDiagnostic, noticeToDiagnostic, SOURCE } from "./diagnostics";
import { isGitIgnored } from "./files";
import { asIpynb, cellDiagnostics, cellsOf } from "./notebooks";
import { ClientOptions, FIXED_TEXT_REQUEST, FixedTextParams, FixedTextResult, LINT_FILES_REQUEST, LintFilesParams, LintFilesResult, REVEAL_PROBLEMS_COMMAND, STATUS_NOTIFICATION, StatusParams } from "./protocol";
import { DEFAULT_SETTINGS, SEVERITY, Settings, withDefaults } from "./settings";

export { DEFAULT_SETTINGS, type Settings } from "./settings";

/** Loops with findings, for CodeLens: the loop's line (0-based) and how many findings it has. */
function loopsWithProblems(findings: readonly Finding[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const f of findings) {
    const loop = f.related.find((r) => r.message === "in this loop");
    const line = (loop ?? f).line - 1;
    out.set(line, (out.get(line) ?? 0) + 1);
  }
  return out;
}

/** A document out of budget is retried once, when the analysis is idle, with this many times the budget. */
const RETRY_BUDGET_SCALE = 2;

export interface ServerOptions {
  /** Debounce for edits, in milliseconds. */
  debounceMs?: number;
  engineModules?: string[];
  /** A file that serves analysis jobs when loaded on a worker (the CLI or server bundle); without it, in-thread. */
  workerEntry?: string;
}

const LANGUAGES = new Set(["typescript", "javascript", "typescriptreact", "javascriptreact", "python"]);
const LINTABLE = /\.(ts|tsx|js|jsx|mts|cts|mjs|cjs|py|pyi)$/;
/** Notebooks on disk (Lint Workspace); open ones are synced as notebooks. */
const NOTEBOOK = /\.ipynb$/;

function fileOf(uri: string): string {
  if (!uri.startsWith("file:")) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    return uri;
  }
}

/** One edit replacing only what differs (so the cursor, folds and undo stay where they were). */
function changedSpan(doc: TextDocument, next: string): TextEdit {
  const text = doc.getText();
  let start = 0;
  while (start < text.length && start < next.length && text[start] === next[start]) start++;
  let end = 0;
  while (end < text.length - start && end < next.length - start && text[text.length - 1 - end] === next[next.length - 1 - end]) end++;
  return { range: { start: doc.positionAt(start), end: doc.positionAt(text.length - end) }, newText: next.slice(start, next.length - end) };
}

/** What one analysis of a text comes to: diagnostics to publish (null: keep the last ones) and the status. */
interface Analysed {
  diagnostics: Diagnostic[] | null;
  status: StatusParams;
  lenses: Map<number, number>;
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  // Jupyter notebooks: their Python cells arrive through notebook document sync, not as text documents.
  const notebooks = new NotebookDocuments(TextDocument);
  const openNotebooks = new Set<string>();
  const debounceMs = options.debounceMs ?? 250;
  const pending = new Map<string, ReturnType<typeof setTimeout>>();
  const failedOnce = new Set<string>();

  let canConfigure = false;
  const settingsCache = new Map<string, Promise<Settings>>();
  const settingsFor = (uri: string): Promise<Settings> => {
    if (!canConfigure) return Promise.resolve(DEFAULT_SETTINGS);
    let s = settingsCache.get(uri);
    if (s === undefined) {
      s = connection.workspace.getConfiguration({ scopeUri: uri, section: "gradlens" }).then(withDefaults, () => DEFAULT_SETTINGS);
      settingsCache.set(uri, s);
    }
    return s;
  };
  const lintOptionsFor = (settings: Settings): LintOptions => {
    const engineModules = [...(options.engineModules ?? []), ...settings.engineModules];
    return { engineModules: engineModules.length > 0 ? engineModules : undefined };
  };
  const lenses = new Map<string, Map<number, number>>();
  /** Per document: 0-based lines of its training loops (for "▶ Trace training"). */
  const loopLines = new Map<string, number[]>();

  const worker = options.workerEntry !== undefined ? new AnalysisWorker(options.workerEntry) : null;
  // Loading and warming the analysis takes a moment: do it now, not on the first document.
  worker?.warm();

  /** Runs an analysis job on the worker within the budget (in-thread without a worker). */
  const run = async <K extends JobKind>(kind: K, text: string, uri: string, settings: Settings, budgetScale = 1): Promise<Outcome<ReturnType<AnalysisJobs[K]>>> => {
    const file = fileOf(uri);
    // Fault injection for the resilience test: an analysis that throws must not stop the server.
    const fault = process.env.GRADLENS_LSP_FAULT;
    if (kind === "lint" && fault !== undefined && fault !== "" && text.includes(fault)) return { error: "Error: injected analysis fault" };
    if (worker !== null) return worker.run(kind, text, file, lintOptionsFor(settings), settings.lint.timeBudgetMs * budgetScale);
    try {
      return { result: ANALYSIS_JOBS[kind](text, file, lintOptionsFor(settings)) as ReturnType<AnalysisJobs[K]> };
    } catch (e) {
      return { error: String((e as Error).stack ?? e) };
    }
  };

  /** Logs an analysis failure once per document (the client never sees it as an error). */
  const logFailure = (uri: string, e: unknown): void => {
    if (failedOnce.has(uri)) return;
    failedOnce.add(uri);
    connection.console.error(`gradlens: analysis failed for ${fileOf(uri)}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  };

  /** Lints a text under the document's settings: what to publish and the status to report. */
  const analyse = async (uri: string, text: string, version: number, settings: Settings, retry = false): Promise<Analysed> => {
    const status = (state: StatusParams["state"], problems = 0, detail?: string): StatusParams => ({ uri, state, problems, detail });
    if (!settings.lint.enable) return { diagnostics: [], status: status("disabled", 0, "gradlens.lint.enable is off"), lenses: new Map() };
    const outcome = await run("lint", text, uri, settings, retry ? RETRY_BUDGET_SCALE : 1);
    if ("timedOut" in outcome) {
      const ms = (n: number) => `${n.toLocaleString("en")} ms`;
      const budget = settings.lint.timeBudgetMs;
      const retried = retry ? `, and ${ms(budget * RETRY_BUDGET_SCALE)} when retried` : "";
      const diagnostic: Diagnostic = {
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Information, source: SOURCE,
        message: `not analysed: the analysis needed more than ${ms(budget)} of CPU time${retried} (gradlens.lint.timeBudgetMs)`,
      };
      return { diagnostics: [diagnostic], status: status("timedOut", 0, `needed more than ${ms(budget)} of CPU time`), lenses: new Map() };
    }
    if ("error" in outcome) {
      logFailure(uri, outcome.error);
      return { diagnostics: null, status: status("failed", 0, "the analysis failed: see the GradLens output"), lenses: lenses.get(uri) ?? new Map() };
    }
    const result: LintResult = outcome.result;
    // A parse problem is never shown as a gradient finding: keep the last good diagnostics.
    // (Python's parser recovers: its findings for the intact parts are shown, with the error in the status.)
    if (result.errors.length > 0 && !result.recovered) {
      const e = result.errors[0];
      return { diagnostics: null, status: status("parseError", 0, `line ${e.line}: ${e.message}`), lenses: lenses.get(uri) ?? new Map() };
    }
    const shown = result.findings.filter((f) => settings.rules[f.rule] !== "off");
    const diagnostics = shown.map((f) => {
      const d = findingToDiagnostic(f, uri, version);
      const level = settings.rules[f.rule];
      if (level !== undefined && SEVERITY[level] !== undefined) d.severity = SEVERITY[level];
      return d;
    });
    const state = result.analysed ? "analysed" : "skipped";
    loopLines.set(uri, (result.trainingLoops ?? []).map((l) => l - 1));
    return {
      diagnostics: [...diagnostics, ...result.notices.map(noticeToDiagnostic)],
      status: status(state, shown.length, result.analysed ? undefined : /\.(py|pyi|ipynb)$/.test(uri) ? "imports neither torch nor a module in gradlens.engineModules" : "imports no engine module (gradlens.engineModules)"),
      lenses: loopsWithProblems(shown),
    };
  };

  const lastStatus = new Map<string, StatusParams>();
  let canRefreshLenses = false;
  const loopLinesBefore = new Map<string, number[]>();
  const report = (uri: string, version: number | undefined, a: Analysed): void => {
    const lensesBefore = JSON.stringify([...(lenses.get(uri) ?? [])]) + JSON.stringify(loopLinesBefore.get(uri) ?? []);
    lenses.set(uri, a.lenses);
    loopLinesBefore.set(uri, loopLines.get(uri) ?? []);
    // The editor asked for lenses when the text changed, before this result: ask it again.
    if (canRefreshLenses && JSON.stringify([...a.lenses]) + JSON.stringify(loopLines.get(uri) ?? []) !== lensesBefore) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
    lastStatus.set(uri, a.status);
    if (a.diagnostics !== null) void connection.sendDiagnostics({ uri, version, diagnostics: a.diagnostics });
    void connection.sendNotification(STATUS_NOTIFICATION, a.status);
  };

  /** Bumped by every configuration change: a run started under older settings doesn't publish. */
  let generation = 0;
  const isLintable = (doc: TextDocument) => LANGUAGES.has(doc.languageId) || LINTABLE.test(doc.uri);
  /** Per document: the version whose over-budget analysis was already retried. */
  const retried = new Map<string, number>();
  const publish = async (doc: TextDocument, retry = false): Promise<void> => {
    pending.delete(doc.uri);
    if (!isLintable(doc)) return;
    const started = generation;
    const settings = await settingsFor(doc.uri);
    // The newest text: settings may have taken a round trip.
    const current = documents.get(doc.uri) ?? doc;
    const analysed = await analyse(current.uri, current.getText(), current.version, settings, retry);
    // A newer version or newer settings arrived meanwhile: their own run publishes.
    if (documents.get(current.uri)?.version !== current.version || generation !== started) return;
    report(current.uri, current.version, analysed);
    // Out of budget: once nothing else is waiting for the analysis, try once more with a larger budget.
    if (analysed.status.state === "timedOut" && !retry && worker !== null && retried.get(current.uri) !== current.version) {
      retried.set(current.uri, current.version);
      void worker.idle().then(() => {
        const now = documents.get(current.uri);
        if (now?.version === current.version && !pending.has(current.uri) && generation === started) void publish(now, true);
      });
    }
  };

  /** Files linted from disk (Lint Workspace) keep their diagnostics when closed in the editor. */
  const fromDisk = new Map<string, string | undefined>();
  const lintFromDisk = async (uri: string, root: string | undefined): Promise<StatusParams | null> => {
    let text: string;
    try {
      text = fs.readFileSync(fileOf(uri), "utf8");
    } catch {
      return null;
    }
    const settings = await settingsFor(uri);
    const analysed = await analyse(uri, text, -1, settings);
    // A notebook on disk has no cell documents to publish on: its problems go on the file, each naming its cell.
    if (NOTEBOOK.test(uri)) {
      if (!openNotebooks.has(uri)) void connection.sendDiagnostics({ uri, diagnostics: analysed.diagnostics ?? [] });
      return analysed.status;
    }
    fromDisk.set(uri, root);
    if (documents.get(uri) === undefined) report(uri, undefined, analysed);
    return analysed.status;
  };

  const schedule = (doc: TextDocument, delay: number) => {
    const had = pending.get(doc.uri);
    if (had !== undefined) clearTimeout(had);
    pending.set(doc.uri, setTimeout(() => {
      // Analyse the newest text (the timer may fire after further edits were applied).
      const current = documents.get(doc.uri);
      if (current !== undefined) void publish(current);
    }, delay));
  };

  let traceCommand: string | undefined;
  connection.onInitialize((params) => {
    traceCommand = (params.initializationOptions as ClientOptions | undefined)?.traceCommand;
    canConfigure = params.capabilities.workspace?.configuration === true;
    canRefreshLenses = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        codeLensProvider: { resolveProvider: false },
        hoverProvider: true,
        executeCommandProvider: { commands: [SHOW_DOCS] },
        notebookDocumentSync: { notebookSelector: [{ notebook: { notebookType: "jupyter-notebook" }, cells: [{ language: "python" }] }] },
      },
      serverInfo: { name: "gradlens", version: "0.1.0" },
    };
  });
  connection.onInitialized(() => {
    if (canConfigure) void connection.client.register(DidChangeConfigurationNotification.type, { section: "gradlens" }).catch(() => undefined);
  });
  // New settings: forget the cached ones and re-lint every open document.
  connection.onDidChangeConfiguration(() => {
    generation++;
    settingsCache.clear();
    explained.clear();
    for (const doc of documents.all()) schedule(doc, 0);
    for (const nb of openNotebooks) scheduleNotebook(nb, 0);
  });

  // Opening also reports a content change (same version): the open handler lints that one.
  const opened = new Map<string, number>();
  documents.onDidOpen((e) => {
    opened.set(e.document.uri, e.document.version);
    schedule(e.document, 0);
  });
  documents.onDidChangeContent((e) => {
    if (opened.get(e.document.uri) === e.document.version) return;
    void settingsFor(e.document.uri).then((s) => {
      if (s.lint.run === "onType") schedule(e.document, debounceMs);
    });
  });
  documents.onDidSave((e) => schedule(e.document, 0));
  documents.onDidClose((e) => {
    const uri = e.document.uri;
    const had = pending.get(uri);
    if (had !== undefined) clearTimeout(had);
    pending.delete(uri);
    lenses.delete(uri);
    loopLines.delete(uri);
    loopLinesBefore.delete(uri);
    explained.delete(uri);
    opened.delete(uri);
    settingsCache.delete(uri);
    lastStatus.delete(uri);
    retried.delete(uri);
    // A workspace-linted file shows what is on disk again; any other file is cleared.
    if (fromDisk.has(uri)) void lintFromDisk(uri, fromDisk.get(uri));
    else void connection.sendDiagnostics({ uri, diagnostics: [] });
  });

  // Notebooks: the Python cells in order are one program; diagnostics are published per cell.
  const notebookPending = new Map<string, ReturnType<typeof setTimeout>>();
  const lintNotebook = async (uri: string): Promise<void> => {
    notebookPending.delete(uri);
    const nb = notebooks.getNotebookDocument(uri);
    if (nb === undefined) return;
    const version = nb.version;
    const started = generation;
    const settings = await settingsFor(uri);
    const cells = cellsOf(nb, (u) => notebooks.cellTextDocuments.get(u));
    let perCell: Map<string, Diagnostic[]>;
    // Every cell shows the notebook's status (the language status item follows the active cell).
    let state: StatusParams["state"] = "disabled";
    let detail: string | undefined = "gradlens.lint.enable is off";
    if (!settings.lint.enable) perCell = new Map(cells.cells.map((c) => [c.uri, []]));
    else {
      // The analysis reads the notebook's file name: a `.ipynb` URI selects the notebook front end.
      const file = /\.ipynb$/.test(uri) ? uri : `${uri}.ipynb`;
      const outcome = await run("lint", asIpynb(cells), file, settings);
      if (!("result" in outcome)) {
        if ("error" in outcome) logFailure(uri, outcome.error);
        return;
      }
      state = outcome.result.analysed ? "analysed" : "skipped";
      detail = outcome.result.analysed ? "in this notebook" : "imports neither torch nor a module in gradlens.engineModules";
      perCell = cellDiagnostics(outcome.result, cells, (f) => settings.rules[f.rule] !== "off");
      for (const ds of perCell.values()) {
        for (const d of ds) {
          const level = typeof d.code === "string" ? settings.rules[d.code] : undefined;
          if (level !== undefined && SEVERITY[level] !== undefined) d.severity = SEVERITY[level];
        }
      }
    }
    // A newer version of the notebook (or newer settings) publishes its own.
    if (notebooks.getNotebookDocument(uri)?.version !== version || generation !== started) return;
    for (const [cell, diagnostics] of perCell) void connection.sendDiagnostics({ uri: cell, version: notebooks.cellTextDocuments.get(cell)?.version, diagnostics });
    const problems = [...perCell.values()].reduce((n, ds) => n + ds.filter((d) => d.source === SOURCE && d.code !== undefined).length, 0);
    for (const cell of perCell.keys()) void connection.sendNotification(STATUS_NOTIFICATION, { uri: cell, state, problems, detail } satisfies StatusParams);
  };
  const scheduleNotebook = (uri: string, delay: number) => {
    const had = notebookPending.get(uri);
    if (had !== undefined) clearTimeout(had);
    notebookPending.set(uri, setTimeout(() => void lintNotebook(uri), delay));
  };
  notebooks.onDidOpen((nb) => {
    openNotebooks.add(nb.uri);
    scheduleNotebook(nb.uri, 0);
  });
  notebooks.onDidChange((e) => {
    void settingsFor(e.notebookDocument.uri).then((s) => {
      if (s.lint.run === "onType") scheduleNotebook(e.notebookDocument.uri, debounceMs);
    });
  });
  notebooks.onDidSave((nb) => scheduleNotebook(nb.uri, 0));
  notebooks.onDidClose((nb) => {
    const had = notebookPending.get(nb.uri);
    if (had !== undefined) clearTimeout(had);
    notebookPending.delete(nb.uri);
    openNotebooks.delete(nb.uri);
    for (const c of nb.cells) void connection.sendDiagnostics({ uri: c.document, diagnostics: [] });
  });

  connection.onExecuteCommand(async (params) => {
    const url = params.arguments?.[0];
    if (params.command === SHOW_DOCS && typeof url === "string") await connection.window.showDocument({ uri: url, external: true }).catch(() => undefined);
  });

  // Lint Workspace: the client lists the files (with the editor's own excludes), the server
  // honours .gitignore, lints each (open ones as the editor has them) and publishes.
  connection.onRequest(LINT_FILES_REQUEST, async (params: LintFilesParams): Promise<LintFilesResult> => {
    const result: LintFilesResult = { linted: 0, analysed: 0, problems: 0, filesWithProblems: 0 };
    const root = params.root !== undefined ? fileOf(params.root) : undefined;
    for (const uri of params.uris) {
      if ((!LINTABLE.test(uri) && !NOTEBOOK.test(uri)) || uri.endsWith(".d.ts")) continue;
      if (root !== undefined && isGitIgnored(fileOf(uri), root)) continue;
      const open = documents.get(uri);
      let status: StatusParams | null | undefined;
      if (open !== undefined) {
        await publish(open);
        status = lastStatus.get(uri);
      } else {
        status = await lintFromDisk(uri, root);
      }
      if (status === null || status === undefined) continue;
      result.linted++;
      if (status.state === "analysed") result.analysed++;
      result.problems += status.problems;
      if (status.problems > 0) result.filesWithProblems++;
    }
    return result;
  });

  // Compare with fix: the document with every preferred fix applied (the same fixText as --fix).
  connection.onRequest(FIXED_TEXT_REQUEST, async (params: FixedTextParams): Promise<FixedTextResult | null> => {
    const doc = documents.get(params.uri);
    let text: string;
    try {
      text = doc?.getText() ?? fs.readFileSync(fileOf(params.uri), "utf8");
    } catch {
      return null;
    }
    const outcome = await run("fix", text, params.uri, await settingsFor(params.uri));
    return "result" in outcome ? outcome.result : null;
  });

  // Hover: what a backward/step/zeroGrad is to the analysis (computed on demand, per version).
  const explained = new Map<string, { version: number; sites: Promise<SiteExplanation[]> }>();
  connection.onHover(async (params) => {
    const cellDoc = documents.get(params.textDocument.uri) === undefined ? notebooks.cellTextDocuments.get(params.textDocument.uri) : undefined;
    if (cellDoc !== undefined) return hoverInCell(cellDoc, params.position);
    const doc = documents.get(params.textDocument.uri);
    if (doc === undefined) return null;
    let cached = explained.get(doc.uri);
    if (cached === undefined || cached.version !== doc.version) {
      const sites = settingsFor(doc.uri)
        .then((settings) => run("explain", doc.getText(), doc.uri, settings))
        .then((o) => ("result" in o ? o.result : []));
      cached = { version: doc.version, sites };
      explained.set(doc.uri, cached);
    }
    const offset = doc.offsetAt(params.position);
    const site = (await cached.sites).find((s) => s.range[0] <= offset && offset <= s.range[1]);
    if (site === undefined) return null;
    return { contents: { kind: "markdown", value: site.markdown }, range: { start: doc.positionAt(site.range[0]), end: doc.positionAt(site.range[1]) } };
  });

  /** A hover in a notebook cell: the notebook's explanations (one program), those of this cell. */
  const hoverInCell = async (cell: TextDocument, position: { line: number; character: number }) => {
    const nb = notebooks.findNotebookDocumentForCell(cell.uri);
    if (nb === undefined) return null;
    const cells = cellsOf(nb, (u) => notebooks.cellTextDocuments.get(u));
    const index = cells.cells.findIndex((c) => c.uri === cell.uri) + 1;
    const file = /\.ipynb$/.test(nb.uri) ? nb.uri : `${nb.uri}.ipynb`;
    const outcome = await run("explain", asIpynb(cells), file, await settingsFor(nb.uri));
    if (!("result" in outcome)) return null;
    const offset = cell.offsetAt(position);
    const site = outcome.result.find((s) => s.cell === index && s.range[0] <= offset && offset <= s.range[1]);
    if (site === undefined) return null;
    return { contents: { kind: "markdown" as const, value: site.markdown }, range: { start: cell.positionAt(site.range[0]), end: cell.positionAt(site.range[1]) } };
  };

  // Above each training loop: "▶ Trace training" (when the client can run it) and "⚠ N gradient problems".
  connection.onCodeLens(async (params): Promise<CodeLens[]> => {
    const settings = await settingsFor(params.textDocument.uri);
    if (!settings.codeLens.enable) return [];
    const uri = params.textDocument.uri;
    const found = lenses.get(uri) ?? new Map<number, number>();
    const out: CodeLens[] = [];
    const at = (line: number) => ({ start: { line, character: 0 }, end: { line, character: 0 } });
    // "▶ Trace training" first, then the problems, above each training loop.
    if (traceCommand !== undefined) for (const line of loopLines.get(uri) ?? []) out.push({ range: at(line), command: { title: "▶ Trace training", command: traceCommand, arguments: [uri, line] } });
    for (const [line, n] of found) out.push({ range: at(line), command: { title: `⚠ ${n} gradient problem${n === 1 ? "" : "s"}`, command: REVEAL_PROBLEMS_COMMAND, arguments: [uri, line] } });
    return out;
  });

  connection.onCodeAction(async (params): Promise<CodeAction[]> => {
    const cell = notebooks.cellTextDocuments.get(params.textDocument.uri);
    // In a notebook cell: the quick fixes from the diagnostics (fix-all works on files).
    if (cell !== undefined && documents.get(params.textDocument.uri) === undefined) return quickFixes(cell, params.context.diagnostics);
    const doc = documents.get(params.textDocument.uri);
    if (doc === undefined) return [];
    const only = params.context.only;
    const wants = (kind: string) => only === undefined || only.some((k) => kind === k || kind.startsWith(`${k}.`));
    const actions: CodeAction[] = wants(CodeActionKind.QuickFix) ? quickFixes(doc, params.context.diagnostics) : [];
    // Fix-all re-runs the analysis (on the worker): when asked for by kind (on save), or beside
    // the quick fixes of one of our problems; not on every lightbulb query elsewhere.
    const ours = params.context.diagnostics.some((d) => d.source === SOURCE);
    if (only !== undefined ? wants(FIX_ALL_KIND) : ours) {
      const text = doc.getText();
      const settings = await settingsFor(doc.uri);
      if (!settings.lint.enable) return actions;
      const outcome = await run("fix", text, doc.uri, settings);
      if ("error" in outcome) connection.console.error(`gradlens: fix-all failed for ${fileOf(doc.uri)}: ${outcome.error}`);
      // The document changed while fixing: these edits belong to an older text.
      if ("result" in outcome && outcome.result.applied > 0 && outcome.result.text !== text && documents.get(doc.uri)?.version === doc.version) {
        const n = outcome.result.applied;
        actions.push({ title: `Fix all gradlens problems (${n})`, kind: FIX_ALL_KIND, edit: { changes: { [doc.uri]: [changedSpan(doc, outcome.result.text)] } } });
      }
    }
    return actions;
  });

  connection.onShutdown(() => worker?.dispose());
  documents.listen(connection);
  notebooks.listen(connection);
  connection.listen();
}
