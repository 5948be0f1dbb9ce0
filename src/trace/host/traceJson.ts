/**
 * A run's events as the JSON trace `gradlens trace --json` writes. JSON has no NaN or Infinity:
 * such numbers are written as the strings "NaN", "Infinity" and "-Infinity" (`Number(s)` reads
 * them back); null means "no value" (a step before any backward has no loss).
 */
import type { Alert, ParamStats, RunError, TraceEvent } from "../protocol";

export interface TraceJson {
  file: string;
  /** In the order they first stepped; `label` is the user's own name for each (`optD`). */
  optimizers: { label: string; kind: string }[];
  params: { optimizer: string; name: string; shape: number[] }[];
  /** `loss`: the loss of the last backward before this step, which it applied. */
  steps: { step: number; optimizer: string; loss: number | null; params: ParamStats[] }[];
  alerts: Pick<Alert, "kind" | "step" | "file" | "line" | "message">[];
  exit: { code: number | null; reason: string; error: RunError | null; message: string | null; durationMs: number };
}

export function toTraceJson(events: readonly TraceEvent[]): TraceJson {
  const out: TraceJson = { file: "", optimizers: [], params: [], steps: [], alerts: [], exit: { code: null, reason: "killed", error: null, message: null, durationMs: 0 } };
  const labels = new Map<number, string>();
  for (const e of events) {
    switch (e.type) {
      case "run-start": out.file = e.file; break;
      case "params":
        labels.set(e.optimizer, e.label);
        out.optimizers.push({ label: e.label, kind: e.kind });
        for (const p of e.params) out.params.push({ optimizer: e.label, name: p.name, shape: p.shape });
        break;
      case "step": out.steps.push({ step: e.step, optimizer: labels.get(e.optimizer) ?? String(e.optimizer), loss: e.loss, params: e.params }); break;
      case "alert": out.alerts.push({ kind: e.alert.kind, step: e.alert.step, file: e.alert.file, line: e.alert.line, message: e.alert.message }); break;
      case "run-end": out.exit = { code: e.code, reason: e.reason, error: e.error ?? null, message: e.message ?? null, durationMs: e.durationMs }; break;
    }
  }
  return out;
}

export function stringifyTrace(trace: TraceJson): string {
  return JSON.stringify(trace, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 1);
}
