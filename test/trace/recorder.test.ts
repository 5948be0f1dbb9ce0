/** The recorder's two ways to the per-step statistics: measured by the engine, or from its own snapshot. */
import * as assert from "node:assert/strict";
import { tensor } from "gradlens";
import { Recorder } from "../../src/trace/node/recorder";
import { DEFAULT_TRACE_OPTIONS, TraceEvent } from "../../src/trace/protocol";

function record(canMeasure: boolean | undefined): Extract<TraceEvent, { type: "step" }> {
  const events: TraceEvent[] = [];
  const rec = new Recorder(DEFAULT_TRACE_OPTIONS, (e) => events.push(e), () => null);
  const p = tensor([3, 4]);
  p.grad = tensor([1, -2]);
  const opt = {};
  const answer = rec.beforeStep(opt, [p], canMeasure);
  assert.equal(answer, canMeasure ? "measure" : undefined, "asks to measure only an engine that offers to");
  p.data[0] = 0; // the "update": 3 → 0, so ‖Δw‖ = 3 and ‖w‖ = 4 afterwards
  rec.step(opt, [p], canMeasure ? [{ gradSq: 5, gradAbsSum: 3, gradAbsMax: 2, gradNonFinite: 0, gradCount: 2, weightSq: 16, updateSq: 9 }] : undefined);
  return events.find((e): e is Extract<TraceEvent, { type: "step" }> => e.type === "step")!;
}

describe("the recorder's statistics of a step", () => {
  it("an older engine (no offer to measure): from the recorder's snapshot before the update", () => {
    const [s] = record(undefined).params;
    assert.deepEqual([s.gradNorm, s.gradMaxAbs, s.gradMeanAbs, s.weightNorm, s.updateRatio, s.nonFinite], [Math.sqrt(5), 2, 1.5, 4, 0.75, 0]);
  });

  it("an engine that measures: from the sums it hands over, with no snapshot taken", () => {
    const [s] = record(true).params;
    assert.deepEqual([s.gradNorm, s.gradMaxAbs, s.gradMeanAbs, s.weightNorm, s.updateRatio, s.nonFinite], [Math.sqrt(5), 2, 1.5, 4, 0.75, 0]);
  });
});
