/** The seed story and the other examples, run as tests. */
import * as assert from "node:assert/strict";
import { trainWithZeroGrad, trainWithoutZeroGrad } from "../../examples/missing-zero-grad";
import { makeData, makeModel, trainAccumulated, ACCUMULATION_STEPS } from "../../examples/gradient-accumulation";
import { trainManualSgd } from "../../examples/manual-sgd";
import { nn, Tensor } from "gradlens";
import { trainDigits } from "../../examples/cnn-digits";
import { loadText, trainGpt } from "../../examples/tiny-gpt";

describe("examples", () => {
  for (const seed of [0, 1, 2]) {
    it(`missing-zero-grad (seed ${seed}): same model and seed, the run without zeroGrad ends with a higher loss`, () => {
      const good = trainWithZeroGrad(60, seed), bad = trainWithoutZeroGrad(60, seed);
      assert.equal(good.losses[0], bad.losses[0], "both runs start from the same model and data");
      assert.ok(bad.losses.at(-1)! > 2 * good.losses.at(-1)!, `without ${bad.losses.at(-1)} vs with ${good.losses.at(-1)}`);
    });
  }

  it("gradient-accumulation: N micro-batches accumulate exactly the full batch's gradient", () => {
    const { x, y } = makeData();
    const micro = makeModel(), full = makeModel();
    const lossFn = new nn.MSELoss();
    for (let i = 0; i < ACCUMULATION_STEPS; i++) {
      const xb = x.slice(0, i * 8, (i + 1) * 8), yb = y.slice(0, i * 8, (i + 1) * 8);
      lossFn.forward(micro.forward(xb), yb).div(ACCUMULATION_STEPS).backward();
    }
    lossFn.forward(full.forward(x.slice(0, 0, 32)), y.slice(0, 0, 32)).backward();
    const a = micro.parameters(), b = full.parameters();
    a.forEach((p, i) => {
      const d = p.grad!.sub(b[i].grad!).abs().max().item();
      assert.ok(d < 1e-5, `parameter ${i} differs by ${d}`);
    });
  });

  it("gradient-accumulation trains", () => {
    const { x, y } = makeData();
    const losses = trainAccumulated(makeModel(), x, y);
    assert.ok(losses.at(-1)! < losses[0] / 20, `${losses[0]} → ${losses.at(-1)}`);
  });

  it("cnn-digits: the CNN reads procedurally drawn digits it has never seen (≥ 95% of 1,000)", function () {
    this.timeout(300_000);
    const run = trainDigits();
    assert.ok(run.testAccuracy >= 0.95, `test accuracy ${run.testAccuracy}`);
    const first = run.losses.slice(0, 20).reduce((a, b) => a + b) / 20, last = run.losses.slice(-20).reduce((a, b) => a + b) / 20;
    assert.ok(first > 1.5 && last < 0.3, `loss ${first} → ${last}`);
  });

  it("tiny-gpt: warms up, decays, learns the text's characters, and samples from its alphabet", function () {
    this.timeout(300_000);
    const run = trainGpt({ steps: 120, sampleLength: 80 });
    const alphabet = new Set(loadText());
    assert.ok(run.losses[0] > 3.5 && run.losses[0] < 4.3, `the first loss is near ln(${alphabet.size}): ${run.losses[0]}`);
    const last = run.losses.slice(-10).reduce((a, b) => a + b) / 10;
    assert.ok(last < 2.6, `mean of the last 10 losses ${last}`);
    const peak = run.lrs.indexOf(Math.max(...run.lrs));
    assert.ok(peak >= 10 && peak <= 14, `the lr peaks after the warm-up (step ${peak})`);
    assert.ok(run.lrs[0] < run.lrs[5] && run.lrs.at(-1)! < run.lrs[peak] / 5, JSON.stringify([run.lrs[0], run.lrs[5], run.lrs[peak], run.lrs.at(-1)]));
    assert.ok(run.sample.startsWith("Shall I ") && run.sample.length === 8 + 80, run.sample);
    for (const ch of run.sample) assert.ok(alphabet.has(ch), `sampled ${JSON.stringify(ch)}, not in the text`);
  });

  it("manual-sgd recovers the true weights", () => {
    const { W, b } = trainManualSgd();
    const got = [...(W as Tensor).data, ...b.data];
    [3, -1, 2].forEach((want, i) => assert.ok(Math.abs(got[i] - want) < 1e-3, `${got}`));
  });
});
