/**
 * The one message protocol of a traced run, shared by the child process (which records), the
 * host (the CLI or the VS Code client, which keeps every event) and the webview (which draws).
 * Lines and columns are 1-based, in the user's own source (source-mapped for TypeScript).
 */

/** Set in the environment of the process that is a run's child (the bundle then runs the script). */
export const CHILD_ENV = "GRADLENS_TRACE_CHILD";

export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
}

export interface ParamInfo {
  name: string;
  shape: number[];
  /** Index of the optimizer that owns it (in the order optimizers first stepped). */
  optimizer: number;
}

export interface ParamStats {
  name: string;
  gradNorm: number;
  gradMaxAbs: number;
  gradMeanAbs: number;
  weightNorm: number;
  /** ‖Δw‖ / ‖w‖ of this step's update (0 when the weights are all zero). */
  updateRatio: number;
  /** NaN and ±Inf entries in the gradient. */
  nonFinite: number;
}

export type AlertKind = "accumulated-gradients" | "non-finite" | "exploding" | "vanishing";

export interface Alert {
  kind: AlertKind;
  step: number;
  file: string;
  line: number;
  message: string;
  /** accumulated-gradients: the backward whose gradients were added on top. */
  backward?: SourceLocation;
}

export type ExitReason = "exit" | "error" | "maxSteps" | "timeout" | "stopped" | "memory" | "killed";

export interface RunError {
  message: string;
  stack?: string;
  location?: SourceLocation;
}

export type TraceEvent =
  | { type: "run-start"; file: string; startedAt: number; traced: boolean }
  /** Parameters of an optimizer, announced before its first step. */
  | { type: "params"; optimizer: number; kind: string; params: ParamInfo[] }
  /**
   * zeroGrad() was called: by an optimizer, or (`null`) by a module. Not located: nothing shows
   * where a zero happened, and capturing a stack is most of what tracing a step costs.
   */
  | { type: "zero"; optimizer: number | null }
  | { type: "backward"; index: number; loss: number; at: SourceLocation | null }
  | {
      type: "step";
      /** 1-based, counted over every optimizer's steps. */
      step: number;
      optimizer: number;
      at: SourceLocation | null;
      /** The loss of the last backward before this step. */
      loss: number | null;
      backwardsSinceZero: number;
      stepsSinceZero: number;
      /** Empty when this step was not logged (trace.logEvery). */
      params: ParamStats[];
    }
  | { type: "alert"; alert: Alert }
  | { type: "output"; stream: "stdout" | "stderr"; text: string }
  | { type: "run-end"; code: number | null; reason: ExitReason; durationMs: number; steps: number; error?: RunError; message?: string };

/** What a run is asked to do (passed to the child as JSON). */
export interface TraceOptions {
  /** false: `gradlens run` (no probe at all). */
  trace: boolean;
  maxSteps: number;
  /** Log per-parameter statistics every N steps (the first 100 always). */
  logEvery: number;
  /** A parameter's gradient L2 norm above this raises `exploding`. */
  explodingNorm: number;
  /** Every gradient L2 norm below this (after the first step) raises `vanishing`. */
  vanishingNorm: number;
}

export const DEFAULT_TRACE_OPTIONS: TraceOptions = { trace: true, maxSteps: 10_000, logEvery: 1, explodingNorm: 1e4, vanishingNorm: 1e-8 };

/** Host → webview. `reset` starts a new run (the view forgets the old one). */
export type ToView =
  | { type: "events"; events: TraceEvent[]; reset?: boolean }
  /** A second run to overlay (Compare with fix): its loss and gradient norms. */
  | { type: "compare"; label: string; events: TraceEvent[] }
  | { type: "state"; running: boolean; canCompare: boolean };

/** Webview → host. */
export type FromView =
  | { type: "ready" }
  | { type: "reveal"; file: string; line: number }
  | { type: "stop" }
  | { type: "rerun" }
  | { type: "compare" };
