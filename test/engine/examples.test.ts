/** The seed story and the other examples, run as tests. */
import * as assert from "node:assert/strict";
import { trainWithZeroGrad, trainWithoutZeroGrad } from "../../examples/missing-zero-grad";
import { makeData, makeModel, trainAccumulated, ACCUMULATION_STEPS } from "../../examples/gradient-accumulation";
import { trainManualSgd } from "../../examples/manual-sgd";
import { nn, Tensor } from "gradlens";

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

  it("manual-sgd recovers the true weights", () => {
    const { W, b } = trainManualSgd();
    const got = [...(W as Tensor).data, ...b.data];
    [3, -1, 2].forEach((want, i) => assert.ok(Math.abs(got[i] - want) < 1e-3, `${got}`));
  });
});
