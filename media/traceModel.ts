/**
 * The webview's data: a run's events folded into chart series (arrays that only grow while a run
 * streams in). Pure, no DOM: the view and its tests share it.
 */
import type { Alert, TraceEvent } from "../src/trace/protocol";

export interface ParamSeries {
  name: string;
  shape: number[];
  /** Indexed like `TraceModel.logged`. */
  gradNorm: number[];
  gradMeanAbs: number[];
  gradMaxAbs: number[];
  updateRatio: number[];
  nonFinite: number[];
}

export class TraceModel {
  file = "";
  /** Every step: its number and loss (NaN stays NaN: it is marked, never dropped). */
  readonly lossStep: number[] = [];
  readonly loss: number[] = [];
  /** Steps with per-parameter statistics. */
  readonly logged: number[] = [];
  readonly params: ParamSeries[] = [];
  private readonly byName = new Map<string, ParamSeries>();
  readonly alerts: Alert[] = [];
  /** Steps where a gradient or the loss was NaN/Inf. */
  readonly nonFiniteSteps: number[] = [];
  end: Extract<TraceEvent, { type: "run-end" }> | null = null;
  running = false;

  add(events: readonly TraceEvent[]): void {
    for (const e of events) {
      switch (e.type) {
        case "run-start":
          this.file = e.file;
          this.running = true;
          break;
        case "params":
          for (const p of e.params) {
            if (this.byName.has(p.name)) continue;
            const s: ParamSeries = { name: p.name, shape: p.shape, gradNorm: [], gradMeanAbs: [], gradMaxAbs: [], updateRatio: [], nonFinite: [] };
            // A parameter announced late has no values for the steps before it.
            for (let i = 0; i < this.logged.length; i++) this.pushValues(s, null);
            this.byName.set(p.name, s);
            this.params.push(s);
          }
          break;
        case "step": {
          const loss = e.loss ?? NaN;
          this.lossStep.push(e.step);
          this.loss.push(loss);
          let bad = !Number.isFinite(loss) && e.loss !== null;
          if (e.params.length > 0) {
            this.logged.push(e.step);
            const seen = new Set<string>();
            for (const st of e.params) {
              const s = this.byName.get(st.name);
              if (s === undefined) continue;
              seen.add(st.name);
              this.pushValues(s, st);
              if (st.nonFinite > 0) bad = true;
            }
            // Other optimizers' parameters: no value at this step (a gap, not a zero).
            for (const s of this.params) if (!seen.has(s.name)) this.pushValues(s, null);
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
    s.gradNorm.push(st?.gradNorm ?? NaN);
    s.gradMeanAbs.push(st?.gradMeanAbs ?? NaN);
    s.gradMaxAbs.push(st?.gradMaxAbs ?? NaN);
    s.updateRatio.push(st?.updateRatio ?? NaN);
    s.nonFinite.push(st?.nonFinite ?? 0);
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
    for (let i = 0; i < span; i++) {
      const k = start + i;
      const c = Math.min(cols - 1, Math.floor((i * cols) / span));
      const v = s.nonFinite[k] > 0 ? Infinity : s.gradNorm[k];
      if (Number.isNaN(v)) continue;
      const lv = v === Infinity ? Infinity : Math.log10(Math.max(v, 1e-30));
      const at = r * cols + c;
      if (Number.isNaN(cells[at]) || lv > cells[at]) cells[at] = lv;
    }
  }
  return { cells, columns: cols, rows };
}
