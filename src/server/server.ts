/**
 * The gradlens language server: the analysis served over LSP (`gradlens lsp --stdio`). Pure Node,
 * no `vscode` import. Diagnostics are pushed on open, on change (debounced; a newer edit cancels
 * the pending run) and on save, and cleared on close. A document that stops parsing keeps its
 * last good diagnostics; nothing the analysis throws reaches the client.
 */
import { CodeAction, CodeActionKind, Connection, Diagnostic, TextDocuments, TextDocumentSyncKind } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { fixText, lintText } from "../analysis/lint";
import { FIX_ALL_KIND, quickFixes } from "./codeActions";
import { findingToDiagnostic, noticeToDiagnostic } from "./diagnostics";

export interface ServerOptions {
  /** Debounce for edits, in milliseconds. */
  debounceMs?: number;
  engineModules?: string[];
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

  const analyse = (doc: TextDocument): Diagnostic[] | null => {
    try {
      const result = lintText(doc.getText(), fileOf(doc.uri), { engineModules: options.engineModules });
      // A parse problem is never shown as a gradient finding: keep the last good diagnostics.
      if (result.errors.length > 0) return null;
      return [...result.findings.map((f) => findingToDiagnostic(f, doc.uri, doc.version)), ...result.notices.map(noticeToDiagnostic)];
    } catch (e) {
      if (!failedOnce.has(doc.uri)) {
        failedOnce.add(doc.uri);
        connection.console.error(`gradlens: analysis failed for ${fileOf(doc.uri)}: ${(e as Error).stack ?? e}`);
      }
      return null;
    }
  };

  const publish = (doc: TextDocument) => {
    pending.delete(doc.uri);
    if (!LANGUAGES.has(doc.languageId) && !/\.(ts|tsx|js|jsx|mts|cts|mjs|cjs)$/.test(doc.uri)) return;
    const diagnostics = analyse(doc);
    if (diagnostics !== null) void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  };

  const schedule = (doc: TextDocument, delay: number) => {
    const had = pending.get(doc.uri);
    if (had !== undefined) clearTimeout(had);
    pending.set(doc.uri, setTimeout(() => {
      // Analyse the newest text (the timer may fire after further edits were applied).
      const current = documents.get(doc.uri);
      if (current !== undefined) publish(current);
    }, delay));
  };

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
    },
    serverInfo: { name: "gradlens", version: "0.1.0" },
  }));

  documents.onDidOpen((e) => schedule(e.document, 0));
  documents.onDidChangeContent((e) => schedule(e.document, debounceMs));
  documents.onDidSave((e) => schedule(e.document, 0));
  documents.onDidClose((e) => {
    const had = pending.get(e.document.uri);
    if (had !== undefined) clearTimeout(had);
    pending.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
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

  documents.listen(connection);
  connection.listen();
}
