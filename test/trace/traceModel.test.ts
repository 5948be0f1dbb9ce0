/**
 * The view's data model (pure): a two-optimizer run keeps each network's series apart under the
 * user's names, its lines continue across the other network's steps, and each optimizer gets the
 * loss its own steps applied. Tick labels and NaN runs as the charts draw them.
 */
import * as assert from "node:assert/strict";
import { heatmapGrid, stepRuns, tickLabel, TraceModel } from "../../media/traceModel";
import type { ParamStats, TraceEvent } from "../../src/trace/protocol";

const stat = (name: string, gradNorm: number, nonFinite = 0): ParamStats => ({ name, gradNorm, gradMaxAbs: gradNorm, gradMeanAbs: gradNorm / 2, weightNorm: 1, updateRatio: 1e-3, nonFinite });

/** A GAN-shaped run: D steps on odd steps, G on even ones, each with its own loss. */
function ganEvents(iterations: number): TraceEvent[] {
  const events: TraceEvent[] = [
    { type: "run-start", file: "/w/gan.ts", startedAt: 0, traced: true },
    { type: "params", optimizer: 0, kind: "Adam", label: "optD", params: [{ name: "0.weight", shape: [4, 2], optimizer: 0 }] },
    { type: "params", optimizer: 1, kind: "Adam", label: "optimizerG", params: [{ name: "0.weight", shape: [2, 4], optimizer: 1 }] },
  ];
  let step = 0;
  for (let i = 0; i < iterations; i++) {
    events.push({ type: "step", step: ++step, optimizer: 0, at: null, loss: 1.4 - i * 0.01, backwardsSinceZero: 1, stepsSinceZero: 0, params: [stat("0.weight", 0.5)] });
    events.push({ type: "step", step: ++step, optimizer: 1, at: null, loss: 0.7 + i * 0.01, backwardsSinceZero: 1, stepsSinceZero: 0, params: [stat("0.weight", 0.05)] });
  }
  return events;
}

describe("the trace view's model", () => {
  it("keeps two networks' same-named parameters apart, labelled by optimizer", () => {
    const m = new TraceModel();
    m.add(ganEvents(3));
    assert.deepEqual(m.params.map((p) => p.label), ["optD: 0.weight", "optimizerG: 0.weight"]);
    assert.deepEqual(m.optimizers.map((o) => o.label), ["optD", "optimizerG"]);
  });

  it("leaves a parameter undefined (not NaN) at the other optimizer's steps, so its line continues", () => {
    const m = new TraceModel();
    m.add(ganEvents(3));
    assert.deepEqual(m.params[0].gradNorm, [0.5, undefined, 0.5, undefined, 0.5, undefined]);
    assert.deepEqual(m.params[1].gradNorm, [undefined, 0.05, undefined, 0.05, undefined, 0.05]);
    assert.deepEqual(m.nonFiniteSteps, []);
  });

  it("gives each optimizer the loss its own steps applied", () => {
    const m = new TraceModel();
    m.add(ganEvents(2));
    assert.deepEqual(m.optimizers[0].loss, [1.4, undefined, 1.39, undefined]);
    assert.deepEqual(m.optimizers[1].loss, [undefined, 0.7, undefined, 0.71]);
  });

  it("keeps a single optimizer's names bare", () => {
    const m = new TraceModel();
    m.add(ganEvents(1).filter((e) => !(e.type === "params" && e.optimizer === 1) && !(e.type === "step" && e.optimizer === 1)));
    assert.deepEqual(m.params.map((p) => p.label), ["0.weight"]);
  });

  it("the heatmap carries a parameter's last gradient across the other network's steps (no stripes)", () => {
    const m = new TraceModel();
    m.add(ganEvents(4));
    const g = heatmapGrid(m, 1, 8, 8);
    assert.equal(g.columns, 8);
    const row = (r: number) => [...g.cells.slice(r * 8, r * 8 + 8)].map((v) => Number(v.toFixed(3)));
    assert.deepEqual(row(0), new Array(8).fill(Number(Math.log10(0.5).toFixed(3))));
    assert.deepEqual(row(1).slice(1), new Array(7).fill(Number(Math.log10(0.05).toFixed(3))));
    assert.ok(Number.isNaN(row(1)[0]), "nothing before G's first step");
  });

  it("marks NaN/Inf steps, from the loss or from a gradient", () => {
    const m = new TraceModel();
    m.add([
      { type: "params", optimizer: 0, kind: "SGD", label: "opt", params: [{ name: "w", shape: [1], optimizer: 0 }] },
      { type: "step", step: 1, optimizer: 0, at: null, loss: NaN, backwardsSinceZero: 1, stepsSinceZero: 0, params: [stat("w", 1)] },
      { type: "step", step: 2, optimizer: 0, at: null, loss: 1, backwardsSinceZero: 1, stepsSinceZero: 0, params: [stat("w", 0, 3)] },
      { type: "step", step: 3, optimizer: 0, at: null, loss: 1, backwardsSinceZero: 1, stepsSinceZero: 0, params: [stat("w", 1)] },
    ]);
    assert.deepEqual(m.nonFiniteSteps, [1, 2]);
  });
});

describe("the charts' labels and NaN bands", () => {
  it("tick labels stay short at any magnitude, on linear and log axes", () => {
    assert.deepEqual([2.5e29, 1e6, 12345, 0.5, 0.00012, 0, -3].map((v) => tickLabel(v, false)), ["2.5e29", "1.0e6", "12345", "0.5", "1.2e-4", "0", "-3"]);
    assert.deepEqual([1e21, 1000, 100, 0.1, 0.01, 1e-3].map((v) => tickLabel(v, true)), ["1e21", "1e3", "100", "0.1", "0.01", "1e-3"]);
    assert.equal(tickLabel(NaN, false), "");
  });

  it("groups NaN steps into runs, so a run that is NaN throughout is one band", () => {
    assert.deepEqual(stepRuns([1, 2, 3, 7, 9, 10]), [[1, 3], [7, 7], [9, 10]]);
    assert.deepEqual(stepRuns(Array.from({ length: 1000 }, (_, i) => i + 1)), [[1, 1000]]);
    assert.deepEqual(stepRuns([]), []);
  });
});
