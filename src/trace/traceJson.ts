/** A run's events as the JSON trace `gradlens trace --json` writes (and the report embeds). */
import type { Alert, ParamStats, RunError, TraceEvent } from "./protocol";

export interface TraceJson {
  file: string;
  params: { name: string; shape: number[] }[];
  steps: { step: number; loss: number | null; params: ParamStats[] }[];
  alerts: Pick<Alert, "kind" | "step" | "file" | "line" | "message">[];
  exit: { code: number | null; reason: string; error: RunError | null; message: string | null; durationMs: number };
}

export function toTraceJson(events: readonly TraceEvent[]): TraceJson {
  const out: TraceJson = { file: "", params: [], steps: [], alerts: [], exit: { code: null, reason: "killed", error: null, message: null, durationMs: 0 } };
  for (const e of events) {
    switch (e.type) {
      case "run-start": out.file = e.file; break;
      case "params": for (const p of e.params) out.params.push({ name: p.name, shape: p.shape }); break;
      case "step": out.steps.push({ step: e.step, loss: e.loss, params: e.params }); break;
      case "alert": out.alerts.push({ kind: e.alert.kind, step: e.alert.step, file: e.alert.file, line: e.alert.line, message: e.alert.message }); break;
      case "run-end": out.exit = { code: e.code, reason: e.reason, error: e.error ?? null, message: e.message ?? null, durationMs: e.durationMs }; break;
    }
  }
  return out;
}

/** JSON has no NaN or Infinity: they are written as strings ("NaN", "Infinity", "-Infinity"). */
export function stringifyTrace(trace: TraceJson): string {
  return JSON.stringify(trace, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 1);
}
