/** The analysis layer's public types: plain data, shared by the CLI, the editor layer and tests. */

/** 1-based line and column (columns count UTF-16 code units, like VS Code and ESLint). */
export interface Position {
  line: number;
  column: number;
}

export interface TextEdit {
  start: Position;
  end: Position;
  text: string;
  /** Offsets into the source, for applying edits without recomputing lines. */
  range: [number, number];
  /** In a notebook: the 1-based index of the cell (in the `cells` array) whose source this edits. */
  cell?: number;
}

export interface Fix {
  title: string;
  /** Which placement this fix implements, so tools can prefer one. */
  placement: "after-step" | "loop-start" | "before-backward";
  edits: TextEdit[];
}

export interface RelatedLocation {
  file: string;
  /** In a notebook: the 1-based cell index; line and column are then within that cell. */
  cell?: number;
  line: number;
  column: number;
  message: string;
}

export type RuleId = "missing-zero-grad" | "zero-grad-discards-gradients";
export type Severity = "warning" | "error";

export interface Finding {
  file: string;
  /** In a notebook: the 1-based index into its `cells` array (markdown cells count); line and column are within that cell. */
  cell?: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  rule: RuleId;
  severity: Severity;
  message: string;
  /** The optimizer (or manually updated tensor) the finding is about, as written in the source. */
  optimizer: string;
  related: RelatedLocation[];
  fixes: Fix[];
  range: [number, number];
}

export interface ParseError {
  file: string;
  cell?: number;
  line: number;
  column: number;
  message: string;
}

/** Information about the analysis itself: a function it did not analyse, and why. */
export interface Notice {
  file: string;
  cell?: number;
  line: number;
  column: number;
  message: string;
}

export interface LintResult {
  file: string;
  findings: Finding[];
  errors: ParseError[];
  /** Functions not analysed (a hard cap was hit): information, not problems. */
  notices: Notice[];
  /** False when the file does not use the engine (no import of an engine module): nothing was checked. */
  analysed: boolean;
  /** 1-based lines of the training loops found (the outermost loop around each step), for "▶ Trace training". */
  trainingLoops?: number[];
  /** The parser recovered from `errors`: the findings cover the intact parts of the file. */
  recovered?: boolean;
}

export interface LintOptions {
  /** Module names whose import marks a file as a training script (default: ["gradlens"]). */
  engineModules?: string[];
  /** Compute and verify fix edits (default true). */
  fixes?: boolean;
  /** Analyse even if the file imports no engine module (tests, benchmarks). */
  force?: boolean;
}
