/**
 * The trace webview (and the HTML report): loss, per-parameter gradient norms, update:data
 * ratios, gradient flow for a selected step and a layers × steps heatmap, drawn with uPlot and
 * two small canvases; alerts that jump to their line. Data arrives as batches of events and is
 * drawn at most once per animation frame. NaN/Inf steps are marked with a line, never hidden.
 */
import uPlot from "uplot";
import type { FromView, ToView, TraceEvent } from "../src/trace/protocol";
import { heatmapGrid, TraceModel } from "./traceModel";

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

function axes(log: boolean): uPlot.Axis[] {
  const stroke = fg(), g = { stroke: grid(), width: 1 };
  return [
    { stroke, grid: g, ticks: g, label: "step" },
    { stroke, grid: g, ticks: g, size: 60, ...(log ? { values: (_u: uPlot, vals: (number | null)[]) => vals.map((v) => (v === null || v === undefined ? "" : v === 0 ? "0" : v.toExponential(0))) } : {}) },
  ];
}

/** Red vertical lines at NaN/Inf steps (uPlot draws NaN as a gap: the line says why). */
function markNonFinite(u: uPlot): void {
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = bad();
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
  for (const step of model.nonFiniteSteps) {
    const x = u.valToPos(step, "x", true);
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
  }
  ctx.restore();
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
  if (applyingRange) return;
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
    c.setScale("x", { min, max });
  }
  applyingRange = false;
}

function makeChart(key: string, el: HTMLElement, series: uPlot.Series[], data: uPlot.AlignedData, log: boolean, extraDraw?: (u: uPlot) => void): uPlot {
  const old = charts[key];
  old?.destroy();
  const width = Math.max(300, el.clientWidth);
  const u = new uPlot({
    width, height: 220, series: [{ label: "step" }, ...series], axes: axes(log),
    scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
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

/** Values ≤ 0 can't sit on a log axis: they become gaps. */
const positive = (xs: number[]) => xs.map((v) => (v > 0 && Number.isFinite(v) ? v : null));

function seriesFor(names: string[], dashed = false): uPlot.Series[] {
  return names.map((name, i) => ({ label: name, stroke: colour(i), width: 1.5, spanGaps: false, ...(dashed ? { dash: [6, 4] } : {}) }));
}

let built = { params: -1, compare: false };
let lastDrawMs = 0;
function draw(): void {
  const t0 = performance.now();
  drawPending = false;
  renderHeader();
  renderAlerts();
  const rebuild = built.params !== model.params.length || built.compare !== (compare !== null);
  const lossData: uPlot.AlignedData = compare === null
    ? [model.lossStep, model.loss]
    : alignOn(model.lossStep, [model.loss], compare.model.lossStep, [compare.model.loss]);
  const names = model.params.map((p) => p.name);
  const gradData: uPlot.AlignedData = compare === null
    ? [model.logged, ...model.params.map((p) => positive(p.gradNorm))]
    : alignOn(model.logged, model.params.map((p) => positive(p.gradNorm)), compare.model.logged, compare.model.params.map((p) => positive(p.gradNorm)));
  const ratioData: uPlot.AlignedData = [model.logged, ...model.params.map((p) => positive(p.updateRatio))];
  if (rebuild || charts.loss === null) {
    const lossSeries: uPlot.Series[] = [{ label: "loss", stroke: colour(0), width: 2 }];
    if (compare !== null) lossSeries.push({ label: `loss (${compare.label})`, stroke: colour(2), width: 2, dash: [6, 4] });
    makeChart("loss", $("loss"), lossSeries, lossData, false);
    const gradSeries = seriesFor(names);
    if (compare !== null) gradSeries.push(...seriesFor(compare.model.params.map((p) => `${p.name} (${compare!.label})`), true));
    makeChart("grad", $("grad"), gradSeries, gradData, true);
    makeChart("ratio", $("ratio"), seriesFor(names), ratioData, true, guide(1e-3));
    built = { params: model.params.length, compare: compare !== null };
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

/** Two runs on one x axis (the union of their steps; each run null where it has no value). */
function alignOn(xa: number[], ya: (number | null)[][], xb: number[], yb: (number | null)[][]): uPlot.AlignedData {
  const xs = [...new Set([...xa, ...xb])].sort((a, b) => a - b);
  const at = (x: number[], ys: (number | null)[][]) => {
    const index = new Map(x.map((v, i) => [v, i]));
    return ys.map((y) => xs.map((v) => (index.has(v) ? y[index.get(v)!] : null)));
  };
  return [xs, ...at(xa, ya), ...at(xb, yb)] as uPlot.AlignedData;
}

/** Gradient flow at the selected step: mean and max |g| per layer, as bars (log scale). */
function drawBars(): void {
  const canvas = $<HTMLCanvasElement>("flow");
  const ctx = canvas.getContext("2d")!;
  const w = (canvas.width = Math.max(300, canvas.clientWidth) * devicePixelRatio);
  const h = (canvas.height = 220 * devicePixelRatio);
  ctx.clearRect(0, 0, w, h);
  const k = model.nearestLogged(state.selected ?? model.logged[model.logged.length - 1] ?? 0);
  const title = $("flow-title");
  if (k < 0 || model.params.length === 0) {
    title.textContent = "Gradient flow";
    return;
  }
  title.textContent = `Gradient flow at step ${model.logged[k]} (mean and max |grad| per parameter)`;
  const values = model.params.flatMap((p) => [p.gradMeanAbs[k], p.gradMaxAbs[k]]).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.log10(Math.min(...values, 1) / 10), hi = Math.log10(Math.max(...values, 1e-12) * 2);
  const pad = 40 * devicePixelRatio, n = model.params.length;
  const slot = (w - pad) / n;
  ctx.font = `${10 * devicePixelRatio}px sans-serif`;
  model.params.forEach((p, i) => {
    const x0 = pad + i * slot;
    const bar = (v: number, dx: number, fill: string) => {
      if (!(v > 0)) return;
      const y = Number.isFinite(v) ? h - pad - ((Math.log10(v) - lo) / (hi - lo)) * (h - 2 * pad) : pad;
      ctx.fillStyle = Number.isFinite(v) ? fill : bad();
      ctx.fillRect(x0 + dx, y, slot * 0.35, h - pad - y);
    };
    bar(p.nonFinite[k] > 0 ? Infinity : p.gradMaxAbs[k], slot * 0.1, colour(1));
    bar(p.nonFinite[k] > 0 ? Infinity : p.gradMeanAbs[k], slot * 0.5, colour(0));
    ctx.fillStyle = fg();
    ctx.save();
    ctx.translate(x0 + slot * 0.5, h - pad + 4 * devicePixelRatio);
    ctx.rotate(Math.PI / 8);
    ctx.fillText(p.name, 0, 10 * devicePixelRatio);
    ctx.restore();
  });
  ctx.fillStyle = fg();
  ctx.fillText(`1e${Math.round(hi)}`, 2, pad);
  ctx.fillText(`1e${Math.round(lo)}`, 2, h - pad);
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
  $("heat-labels").replaceChildren(...model.params.map((p) => Object.assign(document.createElement("div"), { textContent: p.name })));
  $("heat-title").textContent = `Gradient norm per parameter × step (log10 ${Number.isFinite(lo) ? `${lo.toFixed(1)} … ${hi.toFixed(1)}` : ""}; red: NaN/Inf)`;
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

function receive(m: ToView): void {
  if (m.type === "events") {
    if (m.reset) {
      model = new TraceModel();
      compare = null;
      built = { params: -1, compare: false };
    }
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

function start(): void {
  window.addEventListener("message", (ev: MessageEvent<ToView>) => receive(ev.data));
  window.addEventListener("resize", () => {
    built = { params: -1, compare: false };
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
      // Non-finite numbers were written as marked strings (see src/trace/page.ts).
      const data = JSON.parse(embedded.textContent, (_k, v: unknown) => (typeof v === "string" && v.startsWith("\u0000") ? Number(v.slice(1)) : v)) as { events: TraceEvent[]; compare?: { label: string; events: TraceEvent[] } };
      receive({ type: "events", events: data.events, reset: true });
      if (data.compare) receive({ type: "compare", label: data.compare.label, events: data.compare.events });
    }
  }
}

/** For tests: the model as drawn, the zoom range and each chart's x range. */
(window as unknown as { gradlensView: () => unknown }).gradlensView = () => ({
  nonFiniteSteps: model.nonFiniteSteps,
  steps: model.lossStep.length,
  range: state.range,
  selected: state.selected,
  lastDrawMs,
  draws,
  scales: Object.fromEntries(Object.entries(charts).map(([k, c]) => [k, c === null ? null : [c.scales.x.min, c.scales.x.max]])),
});
start();
