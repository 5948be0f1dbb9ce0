/** The "GradLens: …" commands, each a thin request to the editor or the language server. */
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { LINT_FILES_REQUEST, LintFilesParams, LintFilesResult } from "../server/protocol";

const FIX_ALL_KIND = "source.fixAll.gradlens";
const SOURCE_FILES = "**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs,py,pyi,ipynb}";
const BATCH = 16;

function plural(n: number, word: string): string {
  return `${n.toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;
}

/** The folder's `files.exclude` (the entries switched on) plus node_modules, as one glob. */
function excludeGlob(folder: vscode.WorkspaceFolder): string {
  const excluded = vscode.workspace.getConfiguration("files", folder.uri).get<Record<string, unknown>>("exclude") ?? {};
  const globs = ["**/node_modules/**", ...Object.entries(excluded).filter(([, on]) => on === true).map(([glob]) => glob)];
  return `{${globs.join(",")}}`;
}

/** Every matching file of every workspace folder into the Problems panel, with progress. */
export async function lintWorkspace(client: LanguageClient): Promise<LintFilesResult | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showInformationMessage("GradLens: open a folder to lint a workspace.");
    return undefined;
  }
  const totals: LintFilesResult = { linted: 0, analysed: 0, problems: 0, filesWithProblems: 0 };
  const finished = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "GradLens: linting the workspace", cancellable: true },
    async (progress, token) => {
      const work = await Promise.all(folders.map(async (folder) => ({ folder, uris: await vscode.workspace.findFiles(new vscode.RelativePattern(folder, SOURCE_FILES), excludeGlob(folder), undefined, token) })));
      const total = work.reduce((n, w) => n + w.uris.length, 0);
      let done = 0;
      for (const { folder, uris } of work) {
        for (let i = 0; i < uris.length; i += BATCH) {
          if (token.isCancellationRequested) return false;
          const params: LintFilesParams = { uris: uris.slice(i, i + BATCH).map((u) => u.toString()), root: folder.uri.toString() };
          const r = await client.sendRequest<LintFilesResult>(LINT_FILES_REQUEST, params, token);
          totals.linted += r.linted;
          totals.analysed += r.analysed;
          totals.problems += r.problems;
          totals.filesWithProblems += r.filesWithProblems;
          done += params.uris.length;
          progress.report({ increment: (100 * params.uris.length) / Math.max(total, 1), message: `${done.toLocaleString("en")} of ${plural(total, "file")}` });
        }
      }
      return true;
    },
  );
  const summary = `${plural(totals.linted, "file")} checked, ${plural(totals.analysed, "training script")}: ` +
    (totals.problems === 0 ? "no gradient problems." : `${plural(totals.problems, "problem")} in ${plural(totals.filesWithProblems, "file")}.`);
  const shown = finished ? summary : `stopped: ${summary}`;
  void vscode.window.showInformationMessage(`GradLens: ${shown}`, ...(totals.problems > 0 ? ["Show Problems"] : [])).then((choice) => {
    if (choice === "Show Problems") void vscode.commands.executeCommand("workbench.actions.view.problems");
  });
  return totals;
}

/** Applies the server's source.fixAll.gradlens action to the active file. */
export async function fixAllInFile(): Promise<boolean> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    void vscode.window.showInformationMessage("GradLens: open a file to fix.");
    return false;
  }
  const doc = editor.document;
  const whole = new vscode.Range(0, 0, doc.lineCount, 0);
  const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>("vscode.executeCodeActionProvider", doc.uri, whole, FIX_ALL_KIND)) ?? [];
  const fixAll = actions.find((a) => a.kind?.value === FIX_ALL_KIND && a.edit !== undefined);
  if (fixAll?.edit === undefined) {
    void vscode.window.showInformationMessage("GradLens: nothing to fix in this file.");
    return false;
  }
  return vscode.workspace.applyEdit(fixAll.edit);
}

/** A CodeLens's target: put the cursor on the loop and open the first problem in it. */
export async function revealProblems(uri: string, line: number): Promise<void> {
  const editor = await vscode.window.showTextDocument(vscode.Uri.parse(uri));
  const at = new vscode.Position(line, 0);
  editor.selection = new vscode.Selection(at, at);
  await vscode.commands.executeCommand("editor.action.marker.next");
}
