/**
 * The gradlens language server: the analysis served over LSP (`gradlens lsp --stdio`). Pure Node,
 * no `vscode` import. Diagnostics are pushed on open, on change (debounced; a newer edit cancels
 * the pending run) and on save, and cleared on close. A document that stops parsing keeps its
 * last good diagnostics; nothing the analysis throws reaches the client.
 */
import { CodeAction, CodeActionKind, CodeLens, Connection, Diagnostic, DiagnosticSeverity, DidChangeConfigurationNotification, TextDocuments, TextDocumentSyncKind } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { explainText, fixText, lintText, SiteExplanation } from "../analysis/lint";
import { FIX_ALL_KIND, quickFixes, SHOW_DOCS } from "./codeActions";
import { findingToDiagnostic, noticeToDiagnostic, SOURCE } from "./diagnostics";
import { AnalysisWorker } from "./analysisWorker";
import type { LintResult } from "../analysis/core/types";
import type { Finding } from "../analysis/core/types";

/** The `gradlens` settings section (resource-scoped), with the defaults used when a client has none. */
export interface Settings {
  lint: { enable: boolean; run: "onType" | "onSave"; timeBudgetMs: number };
  /** Per rule: "off" | "info" | "warning" | "error" (absent: the rule's own severity). */
  rules: Record<string, string>;
  engineModules: string[];
  codeLens: { enable: boolean };
}

export const DEFAULT_SETTINGS: Settings = { lint: { enable: true, run: "onType", timeBudgetMs: 2000 }, rules: {}, engineModules: [], codeLens: { enable: true } };

function withDefaults(raw: unknown): Settings {
  const r = (raw ?? {}) as Partial<Settings>;
  return {
    lint: { ...DEFAULT_SETTINGS.lint, ...(r.lint ?? {}) },
    rules: { ...(r.rules ?? {}) },
    engineModules: Array.isArray(r.engineModules) ? r.engineModules.filter((m): m is string => typeof m === "string") : [],
    codeLens: { ...DEFAULT_SETTINGS.codeLens, ...(r.codeLens ?? {}) },
  };
}

const SEVERITY: Record<string, DiagnosticSeverity> = { info: DiagnosticSeverity.Information, warning: DiagnosticSeverity.Warning, error: DiagnosticSeverity.Error };

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

export interface ServerOptions {
  /** Debounce for edits, in milliseconds. */
  debounceMs?: number;
  engineModules?: string[];
  /** A file that serves analysis jobs when loaded on a worker (the CLI bundle); without it, in-thread. */
  workerEntry?: string;
}

const LANGUAGES = new Set(["typescript", "javascript", "typescriptreact", "javascriptreact"]);

function fileOf(uri: string): string {
  return uri.startsWith("file://") ? decodeURIComponent(uri.slice(7)) : uri;
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
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
  const lenses = new Map<string, Map<number, number>>();

  const worker = options.workerEntry !== undefined ? new AnalysisWorker(options.workerEntry) : null;

  /** Logs an analysis failure once per document (the client never sees it as an error); null. */
  const logFailure = (doc: TextDocument, e: unknown): null => {
    if (!failedOnce.has(doc.uri)) {
      failedOnce.add(doc.uri);
      connection.console.error(`gradlens: analysis failed for ${fileOf(doc.uri)}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
    return null;
  };

  /** The lint of a document within its time budget; null (logged) when the analysis failed. */
  const lintWithin = async (doc: TextDocument, settings: Settings): Promise<LintResult | "timeout" | null> => {
    const engineModules = [...(options.engineModules ?? []), ...settings.engineModules];
    const lintOptions = { engineModules: engineModules.length > 0 ? engineModules : undefined };
    const failed = (e: unknown) => logFailure(doc, e);
    // Fault injection for the resilience test: an analysis that throws must not stop the server.
    const fault = process.env.GRADLENS_LSP_FAULT;
    if (fault !== undefined && fault !== "" && doc.getText().includes(fault)) return failed(new Error("injected analysis fault"));
    if (worker === null) {
      try {
        return lintText(doc.getText(), fileOf(doc.uri), lintOptions);
      } catch (e) {
        return failed(e);
      }
    }
    const outcome = await worker.lint(doc.getText(), fileOf(doc.uri), lintOptions, settings.lint.timeBudgetMs);
    if ("timedOut" in outcome) return "timeout";
    if ("error" in outcome) return failed(outcome.error);
    return outcome.result;
  };

  const analyse = (doc: TextDocument, settings: Settings, result: LintResult): Diagnostic[] | null => {
    try {
      // A parse problem is never shown as a gradient finding: keep the last good diagnostics.
      if (result.errors.length > 0) return null;
      const shown = result.findings.filter((f) => settings.rules[f.rule] !== "off");
      lenses.set(doc.uri, loopsWithProblems(shown));
      const diagnostics = shown.map((f) => {
        const d = findingToDiagnostic(f, doc.uri, doc.version);
        const level = settings.rules[f.rule];
        if (level !== undefined && SEVERITY[level] !== undefined) d.severity = SEVERITY[level];
        return d;
      });
      return [...diagnostics, ...result.notices.map(noticeToDiagnostic)];
    } catch (e) {
      return logFailure(doc, e);
    }
  };

  /** Bumped by every configuration change: a run started under older settings doesn't publish. */
  let generation = 0;
  const publish = async (doc: TextDocument) => {
    pending.delete(doc.uri);
    if (!LANGUAGES.has(doc.languageId) && !/\.(ts|tsx|js|jsx|mts|cts|mjs|cjs)$/.test(doc.uri)) return;
    const started = generation;
    const settings = await settingsFor(doc.uri);
    if (!settings.lint.enable) {
      lenses.delete(doc.uri);
      void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: [] });
      return;
    }
    // The newest text: settings may have taken a round trip.
    const current = documents.get(doc.uri) ?? doc;
    const result = await lintWithin(current, settings);
    // A newer version or newer settings arrived meanwhile: their own run publishes.
    if (documents.get(current.uri)?.version !== current.version || generation !== started) return;
    if (result === "timeout") {
      const budget = settings.lint.timeBudgetMs.toLocaleString("en");
      const diagnostic: Diagnostic = {
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Information, source: SOURCE,
        message: `not analysed: the analysis took longer than ${budget} ms (gradlens.lint.timeBudgetMs)`,
      };
      void connection.sendDiagnostics({ uri: current.uri, version: current.version, diagnostics: [diagnostic] });
      return;
    }
    const diagnostics = result === null ? null : analyse(current, settings, result);
    if (diagnostics !== null) void connection.sendDiagnostics({ uri: current.uri, version: current.version, diagnostics });
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

  connection.onInitialize((params) => {
    canConfigure = params.capabilities.workspace?.configuration === true;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        codeLensProvider: { resolveProvider: false },
        hoverProvider: true,
        executeCommandProvider: { commands: [SHOW_DOCS] },
      },
      serverInfo: { name: "gradlens", version: "0.1.0" },
    };
  });
  connection.onInitialized(() => {
    worker?.warm();
    if (canConfigure) void connection.client.register(DidChangeConfigurationNotification.type, { section: "gradlens" }).catch(() => undefined);
  });
  // New settings: forget the cached ones and re-lint every open document.
  connection.onDidChangeConfiguration(() => {
    generation++;
    settingsCache.clear();
    for (const doc of documents.all()) schedule(doc, 0);
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
    const had = pending.get(e.document.uri);
    if (had !== undefined) clearTimeout(had);
    pending.delete(e.document.uri);
    lenses.delete(e.document.uri);
    explained.delete(e.document.uri);
    opened.delete(e.document.uri);
    settingsCache.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onExecuteCommand(async (params) => {
    const url = params.arguments?.[0];
    if (params.command === SHOW_DOCS && typeof url === "string") await connection.window.showDocument({ uri: url, external: true }).catch(() => undefined);
  });

  // Hover: what a backward/step/zeroGrad is to the analysis (computed on demand, per version).
  const explained = new Map<string, { version: number; sites: SiteExplanation[] }>();
  connection.onHover(async (params) => {
    const doc = documents.get(params.textDocument.uri);
    if (doc === undefined) return null;
    let cached = explained.get(doc.uri);
    if (cached === undefined || cached.version !== doc.version) {
      const settings = await settingsFor(doc.uri);
      const engineModules = [...(options.engineModules ?? []), ...settings.engineModules];
      cached = { version: doc.version, sites: explainText(doc.getText(), fileOf(doc.uri), { engineModules: engineModules.length > 0 ? engineModules : undefined }) };
      explained.set(doc.uri, cached);
    }
    const offset = doc.offsetAt(params.position);
    const site = cached.sites.find((s) => s.range[0] <= offset && offset <= s.range[1]);
    if (site === undefined) return null;
    return { contents: { kind: "markdown", value: site.markdown }, range: { start: doc.positionAt(site.range[0]), end: doc.positionAt(site.range[1]) } };
  });

  // "⚠ N gradient problems" above each loop with findings (the tracing issue adds "▶ Trace").
  connection.onCodeLens(async (params): Promise<CodeLens[]> => {
    const settings = await settingsFor(params.textDocument.uri);
    if (!settings.codeLens.enable) return [];
    const found = lenses.get(params.textDocument.uri) ?? new Map<number, number>();
    return [...found].map(([line, n]) => ({
      range: { start: { line, character: 0 }, end: { line, character: 0 } },
      command: { title: `⚠ ${n} gradient problem${n === 1 ? "" : "s"}`, command: "gradlens.revealProblems", arguments: [params.textDocument.uri, line] },
    }));
  });

  connection.onCodeAction((params): CodeAction[] => {
    const doc = documents.get(params.textDocument.uri);
    if (doc === undefined) return [];
    const only = params.context.only;
    const wants = (kind: string) => only === undefined || only.some((k) => kind === k || kind.startsWith(`${k}.`));
    const actions: CodeAction[] = wants(CodeActionKind.QuickFix) ? quickFixes(doc, params.context.diagnostics) : [];
    if (wants(FIX_ALL_KIND)) {
      try {
        const text = doc.getText();
        const fixed = fixText(text, fileOf(doc.uri), { engineModules: options.engineModules });
        if (fixed.applied > 0 && fixed.text !== text) {
          const whole = { start: doc.positionAt(0), end: doc.positionAt(text.length) };
          actions.push({ title: `Fix all gradlens problems (${fixed.applied})`, kind: FIX_ALL_KIND, edit: { changes: { [doc.uri]: [{ range: whole, newText: fixed.text }] } } });
        }
      } catch (e) {
        connection.console.error(`gradlens: fix-all failed for ${fileOf(doc.uri)}: ${(e as Error).message}`);
      }
    }
    return actions;
  });

  connection.onShutdown(() => worker?.dispose());
  documents.listen(connection);
  connection.listen();
}
