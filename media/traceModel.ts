/**
 * The webview's data: a run's events folded into chart series (arrays that only grow while a run
 * streams in). Pure, no DOM: the view and its tests share it.
 */
import type { Alert, TraceEvent } from "../src/trace/protocol";

/**
 * A value per logged step. `undefined`: the parameter's optimizer didn't step then (in a GAN
 * every other step is the other network's), drawn as a line continuing across; NaN: a value that
 * wasn't a number, drawn as a gap with a red marker.
 */
export type Values = (number | undefined)[];

export interface ParamSeries {
  name: string;
  /** What the charts call it: with several optimizers, prefixed by its optimizer's label. */
  label: string;
  optimizer: number;
  shape: number[];
  /** Indexed like `TraceModel.logged`. */
  gradNorm: Values;
  gradMeanAbs: Values;
  gradMaxAbs: Values;
  updateRatio: Values;
  nonFinite: Values;
}

export interface OptimizerSeries {
  index: number;
  label: string;
  kind: string;
  /** Indexed like `TraceModel.lossStep`: the loss of the backward this optimizer's step applied, undefined at other optimizers' steps. */
  loss: Values;
}

export class TraceModel {
  file = "";
  /** Every step: its number and loss (NaN stays NaN: it is marked, never dropped). */
  readonly lossStep: number[] = [];
  readonly loss: number[] = [];
  readonly optimizers: OptimizerSeries[] = [];
  /** Steps with per-parameter statistics. */
  readonly logged: number[] = [];
  readonly params: ParamSeries[] = [];
  /** Per optimizer, its parameters' series by name. */
  private readonly byName = new Map<number, Map<string, ParamSeries>>();
  readonly alerts: Alert[] = [];
  /** Steps where a gradient or the loss was NaN/Inf. */
  readonly nonFiniteSteps: number[] = [];
  end: Extract<TraceEvent, { type: "run-end" }> | null = null;
  running = false;
  /** Every rank that recorded something (a torchrun job has several), with its alert count; the model holds one. */
  readonly ranks = new Map<number, number>();

  /** `rank`: the process whose steps this model holds (events of other ranks are only counted). */
  constructor(readonly rank = 0) {}

  add(events: readonly TraceEvent[]): void {
    for (const e of events) {
      if (e.type === "step" || e.type === "params" || e.type === "alert" || e.type === "process") {
        const r = e.rank ?? 0;
        this.ranks.set(r, (this.ranks.get(r) ?? 0) + (e.type === "alert" ? 1 : 0));
        if (r !== this.rank) continue;
      }
      switch (e.type) {
        case "run-start":
          this.file = e.file;
          this.running = true;
          break;
        case "params": {
          if (this.byName.has(e.optimizer)) break;
          const loss: Values = new Array(this.lossStep.length).fill(undefined);
          this.optimizers.push({ index: e.optimizer, label: e.label ?? `optimizer ${e.optimizer + 1}`, kind: e.kind, loss });
          const own = new Map<string, ParamSeries>();
          this.byName.set(e.optimizer, own);
          for (const p of e.params) {
            if (own.has(p.name)) continue;
            const s: ParamSeries = { name: p.name, label: p.name, optimizer: e.optimizer, shape: p.shape, gradNorm: [], gradMeanAbs: [], gradMaxAbs: [], updateRatio: [], nonFinite: [] };
            // A parameter announced late has no values for the steps before it.
            for (let i = 0; i < this.logged.length; i++) this.pushValues(s, null);
            own.set(p.name, s);
            this.params.push(s);
          }
          // Two optimizers or more: every series says whose it is.
          if (this.optimizers.length > 1) {
            const labels = new Map(this.optimizers.map((o) => [o.index, o.label]));
            for (const s of this.params) s.label = `${labels.get(s.optimizer)}: ${s.name}`;
          }
          break;
        }
        case "step": {
          const loss = e.loss ?? NaN;
          this.lossStep.push(e.step);
          this.loss.push(loss);
          for (const o of this.optimizers) o.loss.push(o.index === e.optimizer ? loss : undefined);
          let bad = !Number.isFinite(loss) && e.loss !== null;
          if (e.params.length > 0) {
            this.logged.push(e.step);
            const own = this.byName.get(e.optimizer);
            const seen = new Set<ParamSeries>();
            for (const st of e.params) {
              const s = own?.get(st.name);
              if (s === undefined) continue;
              seen.add(s);
              this.pushValues(s, st);
              if (st.nonFinite > 0) bad = true;
            }
            // Parameters this step didn't touch: no value here, their lines continue across.
            for (const s of this.params) if (!seen.has(s)) this.pushValues(s, null);
          }
          if (bad) this.nonFiniteSteps.push(e.step);
          break;
        }
        case "alert":
          this.alerts.push(e.alert);
          break;
        case "run-end":
          this.end = e;
          this.running = false;
          break;
      }
    }
  }

  private pushValues(s: ParamSeries, st: { gradNorm: number; gradMeanAbs: number; gradMaxAbs: number; updateRatio: number; nonFinite: number } | null): void {
    s.gradNorm.push(st?.gradNorm);
    s.gradMeanAbs.push(st?.gradMeanAbs);
    s.gradMaxAbs.push(st?.gradMaxAbs);
    s.updateRatio.push(st?.updateRatio);
    s.nonFinite.push(st?.nonFinite);
  }

  /** Index into `logged` of the logged step nearest to `step`. */
  nearestLogged(step: number): number {
    const xs = this.logged;
    if (xs.length === 0) return -1;
    let lo = 0, hi = xs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] < step) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && step - xs[lo - 1] < xs[lo] - step ? lo - 1 : lo;
  }
}

/**
 * A layers × steps grid of log10 gradient norms for the heatmap, `columns` wide over the steps in
 * [from, to]: each cell the largest norm in its bin (a spike never averages away); NaN where a
 * bin holds no value, +Infinity where it holds a NaN/Inf gradient.
 */
export function heatmapGrid(m: TraceModel, from: number, to: number, columns: number): { cells: Float64Array; columns: number; rows: number } {
  const rows = m.params.length;
  const start = m.nearestLogged(from), end = m.nearestLogged(to);
  const span = start < 0 ? 0 : end - start + 1;
  const cols = Math.max(1, Math.min(columns, span));
  const cells = new Float64Array(rows * cols).fill(NaN);
  for (let r = 0; r < rows; r++) {
    const s = m.params[r];
    // Steps of another optimizer leave this parameter's last gradient in place: carry it forward.
    let held = lastDefinedAt(s.nonFinite, start);
    for (let i = 0; i < span; i++) {
      const k = start + i;
      if (s.nonFinite[k] !== undefined) held = k;
      if (held < 0) continue;
      const c = Math.min(cols - 1, Math.floor((i * cols) / span));
      const v = (s.nonFinite[held] ?? 0) > 0 ? Infinity : s.gradNorm[held]!;
      if (Number.isNaN(v)) continue;
      const lv = v === Infinity ? Infinity : Math.log10(Math.max(v, 1e-30));
      const cell = r * cols + c;
      if (Number.isNaN(cells[cell]) || lv > cells[cell]) cells[cell] = lv;
    }
  }
  return { cells, columns: cols, rows };
}

/** A tick label that stays short at any magnitude: 0.25, 1.5e+6, 3e-7 (never "000,000"). */
export function tickLabel(v: number | null | undefined, log: boolean): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (log) return a >= 0.01 && a < 1000 ? String(Number(v.toPrecision(2))) : v.toExponential(0).replace("e+", "e");
  return a >= 1e5 || a < 1e-3 ? v.toExponential(1).replace("e+", "e") : String(Number(v.toPrecision(6)));
}

/** Runs of consecutive steps, [first, last] each. */
export function stepRuns(steps: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const s of steps) {
    const last = runs[runs.length - 1];
    if (last !== undefined && s <= last[1] + 1) last[1] = s;
    else runs.push([s, s]);
  }
  return runs;
}


/** The index of the last defined value at or before k (-1: none). */
export function lastDefinedAt(xs: Values, k: number): number {
  for (let i = k; i >= 0; i--) if (xs[i] !== undefined) return i;
  return -1;
}
