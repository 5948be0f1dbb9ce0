/**
 * Random autograd programs recorded with a real PyTorch (test/fuzz/generate.py; committed in
 * programs.json) replayed through the engine: every value, every error and every gradient must
 * agree. `npm run test:fuzz` generates tens of thousands afresh against a live PyTorch.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DIFFERENTIABLE_OPS } from "gradlens";
import { OPS_EXERCISED, REPLAYED_OPS, Recorded, replay } from "./replay";

const file = process.env.GRADLENS_FUZZ_FILE ?? path.join(__dirname, "programs.json");
const data = JSON.parse(fs.readFileSync(file, "utf8")) as { torch: string; seed: number; programs: Recorded[] };

/** Registered ops the random programs don't reach yet, each with why (printed on every run). */
const NOT_FUZZED = new Map<string, string>();

describe(`random programs against PyTorch ${data.torch} (${data.programs.length} recorded, seed ${data.seed})`, function () {
  this.timeout(300_000);

  it("every differentiable op the engine registers is exercised", () => {
    const used = new Set(data.programs.flatMap((p) => p.program.steps.map((s) => s.op)));
    const covered = new Set([...used].flatMap((op) => OPS_EXERCISED[op] ?? [op]));
    const missing = [...DIFFERENTIABLE_OPS].filter((op) => !covered.has(op) && !NOT_FUZZED.has(op));
    assert.deepEqual(missing, [], "registered ops no random program exercises");
    for (const [op, why] of NOT_FUZZED) console.log(`      NOT FUZZED ${op}: ${why}`);
    for (const op of used) assert.ok(REPLAYED_OPS.includes(op), `no engine replay for ${op}`);
  });

  it("programs exercise errors, gradients, non-finite values, empty tensors, hooks and second backwards", () => {
    const errors = data.programs.filter((p) => p.torch.steps.some((s) => "error" in s)).length;
    const grads = data.programs.filter((p) => p.torch.grads !== undefined).length;
    const nonFinite = data.programs.filter((p) => JSON.stringify(p.program.inputs).match(/"(nan|inf|-inf)"/)).length;
    const empty = data.programs.filter((p) => p.program.inputs.some((s) => s.shape.includes(0))).length;
    const twice = data.programs.filter((p) => p.program.backward !== undefined && p.program.backward !== "once").length;
    const hooks = data.programs.filter((p) => p.program.steps.some((s) => s.op === "hookDouble" || s.op === "retainGrad")).length;
    const n = data.programs.length;
    assert.ok(errors > n * 0.05 && grads > n * 0.3 && nonFinite > n * 0.05 && empty > n * 0.03 && twice > n * 0.2 && hooks > n * 0.05, JSON.stringify({ errors, grads, nonFinite, empty, twice, hooks }));
  });

  it("the engine agrees on every value, error and gradient", () => {
    const bad = data.programs.map((p, i) => replay(p, i)).filter((d) => d !== null);
    const shown = bad.slice(0, 8).map((d) => `#${d!.index} step ${d!.step} (${d!.op}): ${d!.kind}: ${d!.detail}`);
    assert.equal(bad.length, 0, `${bad.length} of ${data.programs.length} programs disagree:\n${shown.join("\n")}`);
  });
});
