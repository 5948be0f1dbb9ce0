/**
 * gradlens's own LSP messages beside the standard ones, shared by the server and the VS Code
 * client (types and method names only: no runtime dependency either way).
 */

/** Per document, after every analysis: what the editor's status item shows. */
export const STATUS_NOTIFICATION = "gradlens/status";
export type DocumentState =
  /** Analysed; `problems` findings shown. */
  | "analysed"
  /** Not a training script: it imports no engine module, so nothing was checked. */
  | "skipped"
  /** `gradlens.lint.enable` is false for this file. */
  | "disabled"
  /** The analysis ran past `gradlens.lint.timeBudgetMs`. */
  | "timedOut"
  /** The file does not parse: the last good diagnostics are kept. */
  | "parseError"
  /** The analysis failed (logged in the server's output). */
  | "failed";
export interface StatusParams {
  uri: string;
  state: DocumentState;
  problems: number;
  /** One line for the status item's detail (the parse error, the budget, ...). */
  detail?: string;
}

/** Lints files that need not be open (Lint Workspace): diagnostics are published for each. */
export const LINT_FILES_REQUEST = "gradlens/lintFiles";
export interface LintFilesParams {
  /** file:// URIs. Files a .gitignore excludes (below `root`) are passed over. */
  uris: string[];
  /** The workspace folder the files belong to (where .gitignore lookup stops). */
  root?: string;
}
export interface LintFilesResult {
  /** Files linted (after .gitignore; files not importing the engine count, with no problems). */
  linted: number;
  /** Files that import an engine module and were analysed. */
  analysed: number;
  problems: number;
  filesWithProblems: number;
}

/** The client-side command a CodeLens runs: reveal the problems of the loop at a line. */
export const REVEAL_PROBLEMS_COMMAND = "gradlens.revealProblems";

/** The preferred fix of every problem applied to a document's text (for Compare with fix). */
export const FIXED_TEXT_REQUEST = "gradlens/fixedText";
export interface FixedTextParams { uri: string }
export interface FixedTextResult { text: string; applied: number }

/** What the VS Code client tells the server it handles (initializationOptions). */
export interface ClientOptions {
  /** A client command that traces the loop at [uri, line]: the server adds "▶ Trace training" lenses. */
  traceCommand?: string;
}
