/**
 * A run's events as the JSON trace `gradlens trace --json` writes. JSON has no NaN or Infinity:
 * such numbers are written as the strings "NaN", "Infinity" and "-Infinity" (`Number(s)` reads
 * them back); null means "no value" (a step before any backward has no loss).
 */
import type { Alert, ParamStats, RunError, TraceEvent } from "../protocol";

export interface TraceJson {
  file: string;
  /** Every process rank that recorded a step or an alert (`[0]` for a single process); steps and alerts say whose they are. */
  ranks: number[];
  /** Each traced Python process: which hooks it used. */
  processes: { rank: number; pid: number; tracer: string; torch: string }[];
  /** In the order they first stepped (on the lowest rank); `label` is the user's own name for each (`optD`). */
  optimizers: { label: string; kind: string }[];
  params: { optimizer: string; name: string; shape: number[] }[];
  /** `loss`: the loss of the last backward before this step, which it applied. */
  steps: { step: number; rank: number; optimizer: string; loss: number | null; params: ParamStats[] }[];
  alerts: (Pick<Alert, "kind" | "step" | "file" | "line" | "message"> & { rank: number })[];
  exit: { code: number | null; reason: string; error: RunError | null; message: string | null; durationMs: number };
}

export function toTraceJson(events: readonly TraceEvent[]): TraceJson {
  const out: TraceJson = { file: "", ranks: [], processes: [], optimizers: [], params: [], steps: [], alerts: [], exit: { code: null, reason: "killed", error: null, message: null, durationMs: 0 } };
  const ranks = new Set<number>();
  for (const e of events) if (e.type === "step" || e.type === "alert" || e.type === "params") ranks.add(e.rank ?? 0);
  out.ranks = [...ranks].sort((a, b) => a - b);
  const first = out.ranks[0] ?? 0;
  /** Labels per rank: each process numbers its own optimizers. */
  const labels = new Map<string, string>();
  for (const e of events) {
    const rank = e.rank ?? 0;
    switch (e.type) {
      case "run-start": out.file = e.file; break;
      case "process": out.processes.push({ rank, pid: e.pid, tracer: e.tracer, torch: e.torch }); break;
      case "params":
        labels.set(`${rank}|${e.optimizer}`, e.label);
        if (rank !== first) break;
        out.optimizers.push({ label: e.label, kind: e.kind });
        for (const p of e.params) out.params.push({ optimizer: e.label, name: p.name, shape: p.shape });
        break;
      case "step": out.steps.push({ step: e.step, rank, optimizer: labels.get(`${rank}|${e.optimizer}`) ?? String(e.optimizer), loss: e.loss, params: e.params }); break;
      case "alert": out.alerts.push({ kind: e.alert.kind, step: e.alert.step, file: e.alert.file, line: e.alert.line, message: e.alert.message, rank: e.alert.rank ?? rank }); break;
      case "run-end": out.exit = { code: e.code, reason: e.reason, error: e.error ?? null, message: e.message ?? null, durationMs: e.durationMs }; break;
    }
  }
  return out;
}

export function stringifyTrace(trace: TraceJson): string {
  return JSON.stringify(trace, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 1);
}
