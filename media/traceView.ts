/**
 * The trace webview (and the HTML report): loss, per-parameter gradient norms, update:data
 * ratios, gradient flow for a selected step and a layers × steps heatmap, drawn with uPlot and
 * two small canvases; alerts that jump to their line. Data arrives as batches of events and is
 * drawn at most once per animation frame. NaN/Inf steps are marked with a line, never hidden.
 */
import uPlot from "uplot";
import { decodeJson, type FromView, type ToView, type TraceEvent } from "../src/trace/protocol";
import { heatmapGrid, lastDefinedAt, ParamSeries, stepRuns, tickLabel, TraceModel, Values } from "./traceModel";

interface VsCodeApi {
  postMessage(m: FromView): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare const acquireVsCodeApi: (() => VsCodeApi) | undefined;

interface ViewState { range: [number, number] | null; selected: number | null }

const vscode: VsCodeApi | null = typeof acquireVsCodeApi === "function" ? acquireVsCodeApi() : null;
const state: ViewState = { range: null, selected: null, ...((vscode?.getState() as Partial<ViewState> | undefined) ?? {}) };
const saveState = () => vscode?.setState(state);

const css = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
const PALETTE_VARS: [string, string][] = [
  ["--vscode-charts-blue", "#3794ff"], ["--vscode-charts-orange", "#d18616"], ["--vscode-charts-green", "#89d185"], ["--vscode-charts-purple", "#b180d7"],
  ["--vscode-charts-yellow", "#cca700"], ["--vscode-charts-red", "#f14c4c"], ["--vscode-terminal-ansiCyan", "#11a8cd"], ["--vscode-terminal-ansiMagenta", "#bc3fbc"],
];
const palette = () => PALETTE_VARS.map(([v, f]) => css(v, f));
const colour = (i: number) => palette()[i % PALETTE_VARS.length];
const fg = () => css("--vscode-foreground", "#333");
const grid = () => css("--vscode-editorWidget-border", "rgba(128,128,128,0.3)");
const bad = () => css("--vscode-charts-red", "#e51400");

let model = new TraceModel();
let compare: { label: string; model: TraceModel } | null = null;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const measure = document.createElement("canvas").getContext("2d")!;
/** The y axis as wide as its widest label (uPlot's fixed width clipped long ones). */
function axisWidth(_u: uPlot, values: string[] | null): number {
  measure.font = "12px system-ui, -apple-system, sans-serif";
  const widest = Math.max(0, ...(values ?? []).map((v) => measure.measureText(v).width));
  return Math.ceil(widest) + 18;
}

function axes(log: boolean): uPlot.Axis[] {
  const stroke = fg(), g = { stroke: grid(), width: 1 };
  return [
    { stroke, grid: g, ticks: g, label: "step", values: (_u: uPlot, vals: (number | null)[]) => vals.map((v) => (v === null ? "" : Number.isInteger(v) ? v.toLocaleString("en") : "")) },
    { stroke, grid: g, ticks: g, size: axisWidth, values: (_u: uPlot, vals: (number | null)[]) => vals.map((v) => tickLabel(v, log)), ...(log ? { splits: decades, incrs: DECADES, filter: (_u: uPlot, splits: number[]) => splits } : {}) },
  ];
}

/**
 * NaN/Inf steps, which uPlot draws as gaps: a translucent red band over each run of them (a
 * solid line where the band would be thinner than a pixel or two), so a run that is NaN
 * throughout reads as one shaded region, not hatching.
 */
function markNonFinite(u: uPlot): void {
  const ctx = u.ctx;
  ctx.save();
  ctx.fillStyle = bad();
  const top = u.bbox.top, height = u.bbox.height, left = u.bbox.left, right = left + u.bbox.width;
  for (const [a, b] of stepRuns(model.nonFiniteSteps)) {
    const x0 = Math.max(left, u.valToPos(a - 0.5, "x", true)), x1 = Math.min(right, u.valToPos(b + 0.5, "x", true));
    if (x1 < left || x0 > right) continue;
    const line = (x: number) => {
      ctx.globalAlpha = 0.9;
      ctx.fillRect(x - devicePixelRatio, top, 2 * devicePixelRatio, height);
    };
    if (x1 - x0 >= 3 * devicePixelRatio) {
      ctx.globalAlpha = 0.15;
      ctx.fillRect(x0, top, x1 - x0, height);
    }
    // A solid line where the run starts (and ends, if it does before the plot's edge): a lone NaN step is one line.
    if (a === b) line((x0 + x1) / 2);
    else {
      if (x0 > left) line(x0 + devicePixelRatio);
      if (x1 < right) line(x1 - devicePixelRatio);
    }
  }
  ctx.restore();
}

/** A note across the plot when it has nothing to draw (every value NaN, or nothing logged yet). */
function emptyNote(text: () => string | null) {
  return (u: uPlot) => {
    const t = text();
    if (t === null) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = fg();
    ctx.font = `${13 * devicePixelRatio}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.fillText(t, u.bbox.left + u.bbox.width / 2, u.bbox.top + u.bbox.height / 2);
    ctx.restore();
  };
}

/** A dotted guide at 1e-3, the update:data ratio healthy training sits around. */
function guide(value: number) {
  return (u: uPlot) => {
    const y = u.valToPos(value, "y", true);
    if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = fg();
    ctx.globalAlpha = 0.6;
    ctx.setLineDash([2 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(u.bbox.left, y);
    ctx.lineTo(u.bbox.left + u.bbox.width, y);
    ctx.stroke();
    ctx.restore();
  };
}

const charts: Record<string, uPlot | null> = { loss: null, grad: null, ratio: null };
let applyingRange = false;

function onRange(u: uPlot): void {
  if (applyingRange || model.lossStep.length === 0) return;
  const { min, max } = u.scales.x;
  if (min === undefined || max === undefined) return;
  const full = model.lossStep.length > 0 && min <= model.lossStep[0] && max >= model.lossStep[model.lossStep.length - 1];
  state.range = full ? null : [min, max];
  saveState();
  applyRange();
  scheduleDraw();
}

function applyRange(): void {
  applyingRange = true;
  for (const c of Object.values(charts)) {
    if (c === null) continue;
    const xs = c.data[0] as number[];
    if (xs.length === 0) continue;
    const [min, max] = state.range ?? [xs[0], xs[xs.length - 1]];
    // One step alone is a range of zero width: uPlot can't place ticks on it.
    c.setScale("x", min < max ? { min, max } : { min: min - 1, max: max + 1 });
  }
  applyingRange = false;
}

/**
 * Log-axis ticks at whole decades, at most eight of them. uPlot's own log ticks come from a
 * table that ends near 1e±16, and an exploding gradient goes past it: it drew none.
 */
const DECADES = Array.from({ length: 121 }, (_, i) => 10 ** (i - 60));
function decades(_u: uPlot, _axis: number, min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0)) return [];
  const lo = Math.ceil(Math.log10(min) - 1e-9), hi = Math.floor(Math.log10(max) + 1e-9);
  const stride = Math.max(1, Math.ceil((hi - lo + 1) / 8));
  const out: number[] = [];
  for (let e = lo; e <= hi; e += stride) out.push(10 ** e);
  return out;
}

/** Whole decades around the values, at least one tall (one value alone made uPlot's log ticks fail). */
function logRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null || !(min > 0) || !(max > 0)) return [1e-3, 1];
  const lo = Math.floor(Math.log10(min)), hi = Math.ceil(Math.log10(max));
  return [10 ** lo, 10 ** Math.max(hi, lo + 1)];
}

function makeChart(key: string, el: HTMLElement, series: uPlot.Series[], data: uPlot.AlignedData, log: boolean, extraDraw?: (u: uPlot) => void): uPlot {
  const old = charts[key];
  old?.destroy();
  const width = Math.max(300, el.clientWidth);
  const u = new uPlot({
    width, height: 220, series: [{ label: "step" }, ...series], axes: axes(log),
    // No step yet (a streaming run's first draw): a placeholder range, never taken for a zoom.
    scales: { x: { time: false, range: (_u, min, max) => (min === null || max === null ? [0, 1] : min < max ? [min, max] : [min - 1, max + 1]) }, y: log ? { distr: 3, range: logRange } : {} },
    cursor: { sync: { key: "gradlens" }, drag: { x: true, y: false } },
    legend: { live: true },
    hooks: {
      draw: [(uu) => { markNonFinite(uu); extraDraw?.(uu); }],
      setScale: [(uu, scale) => { if (scale === "x") onRange(uu); }],
      setCursor: [(uu) => {
        const idx = uu.cursor.idx;
        if (idx !== null && idx !== undefined) {
          const step = (uu.data[0] as number[])[idx];
          if (step !== undefined && step !== state.selected) {
            state.selected = step;
            drawBars();
          }
        }
      }],
    },
  }, data, el);
  charts[key] = u;
  return u;
}

/**
 * Chart values: NaN and ±Inf (and, on a log axis, values ≤ 0) become gaps (null); undefined —
 * a step of another optimizer — stays undefined, which uPlot draws across.
 */
const plotted = (xs: Values, log: boolean) => xs.map((v) => (v === undefined ? undefined : Number.isFinite(v) && (!log || v > 0) ? v : null));

function seriesFor(names: string[], dashed = false): uPlot.Series[] {
  return names.map((name, i) => ({ label: name, stroke: colour(i), width: 1.5, spanGaps: false, ...(dashed ? { dash: [6, 4] } : {}) }));
}

/** The loss series: one per optimizer (the loss each one's steps applied), or just "loss". */
function lossSeries(m: TraceModel): { names: string[]; values: Values[] } {
  if (m.optimizers.length <= 1) return { names: ["loss"], values: [m.loss] };
  return { names: m.optimizers.map((o) => `loss (${o.label})`), values: m.optimizers.map((o) => o.loss) };
}

/** The last value at or before index k (a parameter keeps its last gradient while another optimizer steps). */
function valueAt(xs: Values, k: number): number | undefined {
  const i = lastDefinedAt(xs, k);
  return i < 0 ? undefined : xs[i];
}

let built = { params: -1, optimizers: -1, compare: false };

/** Why the loss chart is empty, when it is. */
function lossNote(m: TraceModel): string | null {
  if (m.loss.length === 0 || m.loss.some((v) => Number.isFinite(v))) return null;
  return m.loss.every((v) => Number.isNaN(v)) ? "the loss is NaN at every step" : "the loss is NaN or infinite at every step";
}

/** Why a per-parameter chart is empty, when it is. */
function gradNote(m: TraceModel, of: (p: ParamSeries) => Values): string | null {
  if (m.logged.length === 0 || m.params.length === 0) return null;
  const any = m.params.some((p) => of(p).some((v) => v !== undefined && Number.isFinite(v) && v > 0));
  if (any) return null;
  return m.nonFiniteSteps.length > 0 ? "no finite values: the gradients are NaN/Inf" : "every value is 0";
}
let lastDrawMs = 0;
function draw(): void {
  const t0 = performance.now();
  drawPending = false;
  renderHeader();
  renderRanks();
  renderAlerts();
  const rebuild = built.params !== model.params.length || built.optimizers !== model.optimizers.length || built.compare !== (compare !== null);
  const losses = lossSeries(model);
  const lossData: uPlot.AlignedData = compare === null
    ? [model.lossStep, ...losses.values.map((v) => plotted(v, false))] as uPlot.AlignedData
    : alignOn(model.lossStep, losses.values.map((v) => plotted(v, false)), compare.model.lossStep, [plotted(compare.model.loss, false)]);
  const names = model.params.map((p) => p.label);
  const gradData: uPlot.AlignedData = compare === null
    ? [model.logged, ...model.params.map((p) => plotted(p.gradNorm, true))] as uPlot.AlignedData
    : alignOn(model.logged, model.params.map((p) => plotted(p.gradNorm, true)), compare.model.logged, compare.model.params.map((p) => plotted(p.gradNorm, true)));
  const ratioData = [model.logged, ...model.params.map((p) => plotted(p.updateRatio, true))] as uPlot.AlignedData;
  if (rebuild || charts.loss === null) {
    const series: uPlot.Series[] = losses.names.map((label, i) => ({ label, stroke: colour(i), width: 2 }));
    if (compare !== null) series.push({ label: `loss (${compare.label})`, stroke: colour(losses.names.length + 1), width: 2, dash: [6, 4] });
    makeChart("loss", $("loss"), series, lossData, false, emptyNote(() => lossNote(model)));
    const gradSeries = seriesFor(names);
    if (compare !== null) gradSeries.push(...seriesFor(compare.model.params.map((p) => `${p.label} (${compare!.label})`), true));
    makeChart("grad", $("grad"), gradSeries, gradData, true, emptyNote(() => gradNote(model, (p) => p.gradNorm)));
    makeChart("ratio", $("ratio"), seriesFor(names), ratioData, true, (u) => { guide(1e-3)(u); emptyNote(() => gradNote(model, (p) => p.updateRatio))(u); });
    built = { params: model.params.length, optimizers: model.optimizers.length, compare: compare !== null };
  } else {
    charts.loss!.setData(lossData, false);
    charts.grad!.setData(gradData, false);
    charts.ratio!.setData(ratioData, false);
  }
  applyRange();
  drawBars();
  drawHeatmap();
  lastDrawMs = performance.now() - t0;
  draws++;
}
let draws = 0;

/** Two runs on one x axis (the union of their steps; a run's line continues across steps it lacks). */
function alignOn(xa: number[], ya: (number | null | undefined)[][], xb: number[], yb: (number | null | undefined)[][]): uPlot.AlignedData {
  const xs = [...new Set([...xa, ...xb])].sort((a, b) => a - b);
  const at = (x: number[], ys: (number | null | undefined)[][]) => {
    const index = new Map(x.map((v, i) => [v, i]));
    return ys.map((y) => xs.map((v) => (index.has(v) ? y[index.get(v)!] : undefined)));
  };
  return [xs, ...at(xa, ya), ...at(xb, yb)] as uPlot.AlignedData;
}

/**
 * Gradient flow at the selected step: mean and max |g| per parameter, as bars on a log scale
 * (each parameter's latest values at or before the step: in a GAN, the other network's last
 * step). NaN/Inf gradients are full-height red bars.
 */
function drawBars(): void {
  const canvas = $<HTMLCanvasElement>("flow");
  const ctx = canvas.getContext("2d")!;
  const dpr = devicePixelRatio;
  const w = (canvas.width = Math.max(300, canvas.clientWidth) * dpr);
  const h = (canvas.height = 220 * dpr);
  ctx.clearRect(0, 0, w, h);
  const k = model.nearestLogged(state.selected ?? model.logged[model.logged.length - 1] ?? 0);
  const title = $("flow-title");
  if (k < 0 || model.params.length === 0) {
    title.textContent = "Gradient flow";
    return;
  }
  title.textContent = `Gradient flow at step ${model.logged[k].toLocaleString("en")} (mean and max |grad| per parameter)`;
  const bars = model.params.map((p) => ({ p, bad: (valueAt(p.nonFinite, k) ?? 0) > 0, mean: valueAt(p.gradMeanAbs, k), max: valueAt(p.gradMaxAbs, k) }));
  const values = bars.flatMap((b) => (b.bad ? [] : [b.mean, b.max])).filter((v): v is number => v !== undefined && v > 0 && Number.isFinite(v));
  // Whole decades around the values, smallest at the bottom; a decade or more tall.
  let lo = values.length > 0 ? Math.floor(Math.log10(Math.min(...values))) : -3;
  let hi = values.length > 0 ? Math.ceil(Math.log10(Math.max(...values))) : 0;
  if (hi - lo < 1) { lo -= 1; hi += 1; }
  ctx.font = `${10 * dpr}px system-ui, sans-serif`;
  const left = Math.ceil(Math.max(ctx.measureText(`1e${lo}`).width, ctx.measureText(`1e${hi}`).width)) + 8 * dpr;
  const top = 8 * dpr, bottom = h - 56 * dpr;
  const y = (v: number) => bottom - ((Math.log10(v) - lo) / (hi - lo)) * (bottom - top);
  // Decade grid lines and labels.
  const step = Math.max(1, Math.ceil((hi - lo) / 6));
  ctx.fillStyle = fg();
  ctx.strokeStyle = grid();
  ctx.textBaseline = "middle";
  for (let e = lo; e <= hi; e += step) {
    const yy = y(10 ** e);
    ctx.fillText(e === 0 ? "1" : `1e${e}`, 2, yy);
    ctx.beginPath();
    ctx.moveTo(left, yy);
    ctx.lineTo(w, yy);
    ctx.stroke();
  }
  // Room on the right for the last label, which slants past its slot.
  const slot = (w - left - 48 * dpr) / bars.length;
  bars.forEach((b, i) => {
    const x0 = left + i * slot;
    const bar = (v: number | undefined, dx: number, fill: string) => {
      if (b.bad) {
        ctx.fillStyle = bad();
        ctx.fillRect(x0 + dx, top, slot * 0.35, bottom - top);
      } else if (v !== undefined && v > 0 && Number.isFinite(v)) {
        ctx.fillStyle = fill;
        ctx.fillRect(x0 + dx, y(v), slot * 0.35, bottom - y(v));
      }
    };
    bar(b.max, slot * 0.1, colour(1));
    bar(b.mean, slot * 0.5, colour(0));
    ctx.fillStyle = fg();
    ctx.save();
    ctx.translate(x0 + slot * 0.5, bottom + 4 * dpr);
    ctx.rotate(Math.PI / 8);
    ctx.textBaseline = "alphabetic";
    ctx.fillText(b.bad ? `${b.p.label} (NaN/Inf)` : b.p.label, 0, 10 * dpr);
    ctx.restore();
  });
}

/** Layers × steps: log10 gradient norm, darker is smaller; red cells hold NaN/Inf. */
function drawHeatmap(): void {
  const canvas = $<HTMLCanvasElement>("heat");
  const ctx = canvas.getContext("2d")!;
  const cssW = Math.max(300, canvas.clientWidth);
  const rowsH = Math.max(1, model.params.length) * 16;
  canvas.style.height = `${rowsH}px`;
  const w = (canvas.width = cssW * devicePixelRatio), h = (canvas.height = rowsH * devicePixelRatio);
  ctx.clearRect(0, 0, w, h);
  if (model.logged.length === 0) return;
  const [from, to] = state.range ?? [model.logged[0], model.logged[model.logged.length - 1]];
  const g = heatmapGrid(model, from, to, Math.floor(cssW));
  let lo = Infinity, hi = -Infinity;
  for (const v of g.cells) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const base = colour(0);
  const cw = w / g.columns, ch = h / g.rows;
  for (let r = 0; r < g.rows; r++) {
    for (let c = 0; c < g.columns; c++) {
      const v = g.cells[r * g.columns + c];
      if (Number.isNaN(v)) continue;
      ctx.fillStyle = v === Infinity ? bad() : base;
      ctx.globalAlpha = v === Infinity ? 1 : hi > lo ? 0.1 + 0.9 * ((v - lo) / (hi - lo)) : 0.6;
      ctx.fillRect(c * cw, r * ch, Math.ceil(cw), ch - 1);
    }
  }
  ctx.globalAlpha = 1;
  $("heat-labels").replaceChildren(...model.params.map((p) => Object.assign(document.createElement("div"), { textContent: p.label })));
  $("heat-title").textContent = `Gradient norm per parameter × step (${Number.isFinite(lo) ? `log10 ${lo.toFixed(1)} … ${hi.toFixed(1)}; ` : ""}red: NaN/Inf)`;
}

function renderHeader(): void {
  const steps = model.lossStep.length;
  const end = model.end;
  $("file").textContent = model.file.split(/[\\/]/).pop() ?? "";
  $("file").title = model.file;
  let status = model.running ? `running — step ${steps.toLocaleString("en")}` : `${steps.toLocaleString("en")} steps`;
  if (end !== null) {
    status += end.reason === "exit" ? ` — finished in ${(end.durationMs / 1000).toFixed(1)} s` : ` — ${end.message ?? end.error?.message ?? end.reason}`;
  }
  $("status").textContent = status;
  $("status").classList.toggle("failed", end !== null && end.reason !== "exit" && end.reason !== "maxSteps");
  $<HTMLButtonElement>("stop").disabled = !model.running;
  if (model.end?.error?.location !== undefined) $("status").title = `${model.end.error.location.file}:${model.end.error.location.line}`;
}

function renderAlerts(): void {
  const list = $("alerts");
  if (list.childElementCount === model.alerts.length) return;
  list.replaceChildren(...model.alerts.map((a) => {
    const li = document.createElement("li");
    li.className = `alert ${a.kind}`;
    const link = document.createElement("a");
    link.href = "#";
    link.textContent = `${a.file.split(/[\\/]/).pop()}:${a.line}`;
    link.title = `${a.file}:${a.line}`;
    link.addEventListener("click", (ev) => {
      ev.preventDefault();
      vscode?.postMessage({ type: "reveal", file: a.file, line: a.line });
      state.selected = a.step;
      drawBars();
    });
    const kind = Object.assign(document.createElement("span"), { className: "kind", textContent: a.kind });
    li.append(kind, " ", link, " ", a.message);
    return li;
  }));
  $("alerts-title").textContent = model.alerts.length === 0 ? "No alerts" : `${model.alerts.length} alert${model.alerts.length === 1 ? "" : "s"}`;
}

let drawPending = false;
function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(draw);
}

/** Every event of the run (the model holds one rank's; choosing another rank rebuilds it from these). */
let allEvents: TraceEvent[] = [];

function showRank(rank: number): void {
  model = new TraceModel(rank);
  model.add(allEvents);
  built = { params: -1, optimizers: -1, compare: false };
  $("alerts").replaceChildren();
  scheduleDraw();
}

/** The rank selector: shown once a second process records (torchrun), each option with its alert count. */
function renderRanks(): void {
  const select = $<HTMLSelectElement>("rank");
  const ranks = [...model.ranks.keys()].sort((a, b) => a - b);
  select.hidden = ranks.length < 2;
  if (select.hidden) return;
  const labels = ranks.map((r) => {
    const n = model.ranks.get(r) ?? 0;
    return `rank ${r}${n > 0 ? ` (${n} alert${n === 1 ? "" : "s"})` : ""}`;
  });
  if (select.options.length !== ranks.length || labels.some((l, i) => select.options[i].text !== l)) {
    select.replaceChildren(...ranks.map((r, i) => Object.assign(document.createElement("option"), { value: String(r), text: labels[i] })));
  }
  select.value = String(model.rank);
}

function receive(m: ToView): void {
  if (m.type === "events") {
    if (m.reset) {
      allEvents = [];
      model = new TraceModel(ranksOf(m.events)[0] ?? 0);
      compare = null;
      built = { params: -1, optimizers: -1, compare: false };
    }
    for (const e of m.events) allEvents.push(e);
    model.add(m.events);
    scheduleDraw();
  } else if (m.type === "compare") {
    const other = new TraceModel();
    other.add(m.events);
    compare = { label: m.label, model: other };
    scheduleDraw();
  } else if (m.type === "state") {
    $<HTMLButtonElement>("compare").hidden = !m.canCompare;
  }
}

/** The ranks that stepped, lowest first (the view opens on the lowest: rank 0). */
function ranksOf(events: readonly TraceEvent[]): number[] {
  return [...new Set(events.filter((e) => e.type === "step").map((e) => e.rank ?? 0))].sort((a, b) => a - b);
}

function start(): void {
  window.addEventListener("message", (ev: MessageEvent<ToView>) => receive(ev.data));
  $<HTMLSelectElement>("rank").addEventListener("change", (ev) => showRank(Number((ev.target as HTMLSelectElement).value)));
  window.addEventListener("resize", () => {
    built = { params: -1, optimizers: -1, compare: false };
    scheduleDraw();
  });
  $("reset-zoom").addEventListener("click", () => {
    state.range = null;
    saveState();
    applyRange();
    scheduleDraw();
  });
  if (vscode !== null) {
    $("stop").addEventListener("click", () => vscode.postMessage({ type: "stop" }));
    $("rerun").addEventListener("click", () => vscode.postMessage({ type: "rerun" }));
    $("compare").addEventListener("click", () => vscode.postMessage({ type: "compare" }));
    vscode.postMessage({ type: "ready" });
  } else {
    // The HTML report: the trace is embedded in the page; nothing to stop or re-run.
    for (const id of ["stop", "rerun", "compare"]) $(id).hidden = true;
    const embedded = document.getElementById("trace-data");
    if (embedded?.textContent) {
      // Non-finite numbers were written as marked strings (see src/trace/protocol.ts).
      const data = decodeJson(embedded.textContent) as { events: TraceEvent[]; compare?: { label: string; events: TraceEvent[] } };
      receive({ type: "events", events: data.events, reset: true });
      if (data.compare) receive({ type: "compare", label: data.compare.label, events: data.compare.events });
    }
  }
}

/** For tests: the model as drawn, the zoom range, each chart's x range, legend and y tick labels. */
(window as unknown as { gradlensView: () => unknown }).gradlensView = () => ({
  legends: Object.fromEntries(Object.entries(charts).map(([k, c]) => [k, c === null ? [] : c.series.slice(1).map((s) => String(s.label))])),
  yTicks: Object.fromEntries(Object.entries(charts).map(([k, c]) => [k, c === null ? [] : ((c.axes[1] as { _values?: string[] })._values ?? [])])),
  nonFiniteSteps: model.nonFiniteSteps,
  steps: model.lossStep.length,
  rank: model.rank,
  lastLoss: model.loss[model.loss.length - 1] ?? null,
  range: state.range,
  selected: state.selected,
  lastDrawMs,
  draws,
  scales: Object.fromEntries(Object.entries(charts).map(([k, c]) => [k, c === null ? null : [c.scales.x.min, c.scales.x.max]])),
});
start();
