/**
 * "GradLens: Trace This Notebook": inserts a first cell that loads the tracer into the notebook's
 * kernel (`%load_ext gradlens`, from the folder the extension ships), so every cell that steps an
 * optimizer shows the trace view in its output. Nothing is installed into the user's environment.
 */
import * as vscode from "vscode";
import { NOTEBOOK_SETUP_MARKER, notebookSetupCell } from "../trace/host/notebookView";

export async function traceNotebook(context: vscode.ExtensionContext): Promise<void> {
  const editor = vscode.window.activeNotebookEditor;
  if (editor === undefined || editor.notebook.notebookType !== "jupyter-notebook") {
    void vscode.window.showInformationMessage("GradLens: open a Jupyter notebook to trace it.");
    return;
  }
  const notebook = editor.notebook;
  const existing = notebook.getCells().findIndex((c) => c.kind === vscode.NotebookCellKind.Code && c.document.getText().startsWith(NOTEBOOK_SETUP_MARKER));
  if (existing < 0) {
    const cell = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, notebookSetupCell(context.asAbsolutePath("dist/python")), "python");
    const edit = new vscode.WorkspaceEdit();
    edit.set(notebook.uri, [vscode.NotebookEdit.insertCells(0, [cell])]);
    await vscode.workspace.applyEdit(edit);
  }
  const at = existing < 0 ? 0 : existing;
  editor.selections = [new vscode.NotebookRange(at, at + 1)];
  editor.revealRange(new vscode.NotebookRange(at, at + 1));
  void vscode.window.showInformationMessage("GradLens: run the first cell, then your training cells: each one that steps an optimizer shows its trace below it.");
}
