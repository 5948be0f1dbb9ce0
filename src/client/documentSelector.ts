/**
 * The documents gradlens analyses in VS Code: files on disk and unsaved buffers of each language,
 * and the Python cells of Jupyter notebooks (synced to the server as notebooks; selected here so
 * code actions and hovers reach them). No `vscode` import: the manifest test reads it.
 */
export const DOCUMENT_SELECTOR = [
  ...["typescript", "javascript", "typescriptreact", "javascriptreact", "python"].flatMap((language) => [
    { scheme: "file", language },
    { scheme: "untitled", language },
  ]),
  { scheme: "vscode-notebook-cell", language: "python" },
];
