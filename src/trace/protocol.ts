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
  /** The process's rank (RANK / LOCAL_RANK) in a multi-process run; absent: a single process. */
  rank?: number;
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

/**
 * Every event of a multi-process run (torchrun, accelerate) carries the rank of the process that
 * recorded it, set by the host from that process's `process` event; absent means rank 0.
 */
export type TraceEvent = TraceEventBody & { rank?: number };

export type TraceEventBody =
  | { type: "run-start"; file: string; startedAt: number; traced: boolean }
  /**
   * A Python process of the run started tracing: which hooks it uses (`tracer`) and its torch.
   * One per process; a launcher's own process, which never steps, has none.
   */
  | { type: "process"; pid: number; file: string; tracer: string; torch: string }
  /**
   * Parameters of an optimizer, announced before its first step. `label`: the user's own name for
   * it (the variable its step is called on, else the module its parameters come from), unique in the run.
   */
  | { type: "params"; optimizer: number; kind: string; label: string; params: ParamInfo[] }
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

/**
 * JSON for the trace's own channels (the events file, the report's embedded data). JSON has no
 * NaN or Infinity, and a NaN loss is exactly what a trace must not lose, so non-finite numbers
 * travel as marked strings ("\u0000NaN"); no real string starts with the mark.
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? `\u0000${v}` : v));
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => (typeof v === "string" && v.startsWith("\u0000") ? Number(v.slice(1)) : v));
}

/**
 * One event as a line of the events file, and back. A replacer costs a call per value, and a step
 * event holds dozens: plain JSON first, and the replacer only when it wrote a null (a non-finite
 * number becomes null; so do the protocol's own nulls, in small events).
 */
export const encodeEvent = (e: TraceEvent): string => {
  const plain = JSON.stringify(e);
  return plain.includes("null") ? encodeJson(e) : plain;
};
export const decodeEvent = (line: string): TraceEvent => decodeJson(line) as TraceEvent;

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
  /** How the user changes each limit where the run was started, for messages that mention one. */
  names: LimitNames;
}

/** A limit's name as its user sets it: a setting in the editor, a flag on the command line. */
export interface LimitNames {
  maxSteps: string;
  timeout: string;
  memory: string;
  explodingNorm: string;
  vanishingNorm: string;
}

export const SETTING_NAMES: LimitNames = {
  maxSteps: "gradlens.trace.maxSteps", timeout: "gradlens.trace.timeoutSeconds", memory: "gradlens.trace.memoryMb",
  explodingNorm: "gradlens.trace.explodingNorm", vanishingNorm: "gradlens.trace.vanishingNorm",
};

export const FLAG_NAMES: LimitNames = { maxSteps: "--steps", timeout: "--timeout", memory: "--memory", explodingNorm: "--exploding-norm", vanishingNorm: "--vanishing-norm" };

export const DEFAULT_TRACE_OPTIONS: TraceOptions = { trace: true, maxSteps: 10_000, logEvery: 1, explodingNorm: 1e4, vanishingNorm: 1e-8, names: SETTING_NAMES };

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
