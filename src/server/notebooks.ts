/**
 * Notebooks over LSP (notebook document sync): the synced Python cells, in the notebook's order,
 * are linted as one program, the way `gradlens lint nb.ipynb` lints a file's code cells. Results
 * come back per cell (the analysis numbers cells in the order it was given them), and are
 * published on each cell's own document; a fix that edits another cell carries that cell's URI.
 */
import type { Diagnostic } from "vscode-languageserver";
import { NotebookCellKind, type NotebookDocument } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Finding, LintResult } from "../analysis/core/types";
import { findingToDiagnostic, noticeToDiagnostic } from "./diagnostics";

export interface NotebookCells {
  /** The cells in notebook order: code cells carry their document. */
  cells: { uri: string; doc: TextDocument | undefined; code: boolean }[];
}

export function cellsOf(nb: NotebookDocument, cellDocument: (uri: string) => TextDocument | undefined): NotebookCells {
  return { cells: nb.cells.map((c) => ({ uri: c.document, doc: cellDocument(c.document), code: c.kind === NotebookCellKind.Code })) };
}

/** The cells as an .ipynb text the analysis reads (only what it needs: type and source). */
export function asIpynb({ cells }: NotebookCells): string {
  return JSON.stringify({
    cells: cells.map((c) => ({ cell_type: c.code ? "code" : "markdown", source: c.doc?.getText() ?? "" })),
    metadata: { kernelspec: { language: "python" } },
  });
}

/** Diagnostics per cell URI (every cell gets an entry, so cleared cells are cleared). */
export function cellDiagnostics(result: LintResult, { cells }: NotebookCells, show: (f: Finding) => boolean): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>(cells.map((c) => [c.uri, []]));
  const uriOf = (cell: number | undefined) => (cell !== undefined ? cells[cell - 1]?.uri : undefined);
  for (const f of result.findings) {
    const uri = uriOf(f.cell);
    const cell = f.cell !== undefined ? cells[f.cell - 1] : undefined;
    if (uri === undefined || cell === undefined || !show(f)) continue;
    const d = findingToDiagnostic(f, uri, cell.doc?.version ?? 0, uriOf);
    out.get(uri)!.push(d);
  }
  for (const n of result.notices) {
    const uri = uriOf(n.cell) ?? cells[0]?.uri;
    if (uri !== undefined) out.get(uri)!.push(noticeToDiagnostic(n));
  }
  return out;
}
