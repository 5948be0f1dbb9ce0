/**
 * The engine against PyTorch reference results (fixtures.json, written by generate.py with a real
 * PyTorch). Tolerances: float64 1e-9 relative/absolute, float32 2e-5 (plus 1e-5 absolute for
 * values near zero); optimizer trajectories run in float64.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tensor, Tensor, cat, stack, nn, optim, DType, NestedArray } from "gradlens";

const F = nn.functional;
const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures.json"), "utf8"));
const TOL: Record<DType, { rtol: number; atol: number }> = { float64: { rtol: 1e-9, atol: 1e-9 }, float32: { rtol: 2e-5, atol: 1e-5 } };

function flat(x: NestedArray): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x];
}

function assertClose(actual: NestedArray, expected: NestedArray, dtype: DType, what: string): void {
  const a = flat(actual), e = flat(expected);
  assert.equal(a.length, e.length, `${what}: ${a.length} values, expected ${e.length}`);
  const { rtol, atol } = TOL[dtype];
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]) || (Number.isNaN(a[i]) && Number.isNaN(e[i]));
    assert.ok(ok, `${what}[${i}]: got ${a[i]}, PyTorch ${e[i]} (${dtype})`);
  }
}

const targets3 = () => tensor([2, 0, 1, 2]);
const OPS: Record<string, (...xs: Tensor[]) => Tensor> = {
  add_broadcast: (a, b) => a.add(b),
  sub_alpha: (a, b) => a.sub(b, 0.5),
  mul_div: (a, b) => a.mul(b).div(b.mul(b).add(1)),
  pow_scalar: (a) => a.pow(3),
  pow_tensor: (a, b) => a.pow(b),
  exp_log_sqrt: (a) => a.exp().add(a.mul(a).add(1).log()).add(a.mul(a).add(0.5).sqrt()),
  abs_neg_clamp: (a) => a.abs().sub(a.neg().clamp(-0.5, 0.5)),
  matmul_2d: (a, b) => a.matmul(b),
  matmul_batched_broadcast: (a, b) => a.matmul(b),
  matmul_vec: (a, b) => a.matmul(b),
  sum_mean_dims: (a) => a.sum(1).mul(2).add(a.mean(0, true).sum()),
  max_min_dim: (a) => a.max(1).values.add(a.min(0).values.sum()),
  norm: (a) => a.norm().add(a.norm(2, 1).sum()),
  shape_ops: (a) => a.reshape(4, 3).t().permute(1, 0).unsqueeze(0).expand(2, 4, 3).transpose(1, 2).squeeze(),
  cat_stack: (a, b) => cat([stack([a, b], 1), a.unsqueeze(1)], 1),
  select_slice_index: (a) => a.select(0, 1).add(a.slice(1, 1, 4, 2).sum()).add(a.index([2, 0, 2]).sum(0)),
  activations: (a) => a.relu().add(a.sigmoid()).add(a.tanh()).add(a.gelu()),
  softmax_logsoftmax: (a) => a.softmax(1).add(a.logSoftmax(0)),
  mse_loss: (a, b) => F.mseLoss(a, b),
  cross_entropy: (a) => F.crossEntropy(a, targets3()),
  cross_entropy_sum: (a) => F.crossEntropy(a, targets3(), { reduction: "sum" }),
  nll_loss: (a) => F.nllLoss(a.logSoftmax(1), targets3()),
  bce: (a, b) => F.binaryCrossEntropy(a.sigmoid(), b),
  bce_with_logits: (a, b) => F.binaryCrossEntropyWithLogits(a, b),
};

describe("parity with PyTorch", () => {
  it(`fixtures come from a real PyTorch (${fixtures.torch}) and every case is implemented`, () => {
    assert.match(fixtures.torch, /^\d+\.\d+/);
    const unknown = Object.keys(fixtures.ops).filter((k) => !(k in OPS));
    assert.deepEqual(unknown, []);
  });

  for (const [name, fx] of Object.entries<any>(fixtures.ops)) {
    for (const dtype of ["float64", "float32"] as DType[]) {
      it(`${name} (${dtype}): output and gradients`, () => {
        const xs = fx.inputs.map((v: NestedArray, i: number) => tensor(v, { dtype, requiresGrad: fx.requiresGrad.includes(i) }));
        const y = OPS[name](...xs);
        const expected = fx[dtype];
        assertClose(y.tolist(), expected.output, dtype, `${name} output`);
        const w = tensor(Array.from({ length: y.numel() }, (_, i) => Math.sin(i * 0.37) + 1.1), { dtype }).reshape(y.shape);
        y.mul(w).sum().backward();
        xs.forEach((x: Tensor, i: number) => {
          if (expected.grads[i] === null) assert.equal(x.grad, null);
          else assertClose(x.grad!.tolist(), expected.grads[i], dtype, `${name} grad of input ${i}`);
        });
      });
    }
  }

  const traj = fixtures.trajectories;
  function makeOptimizer(kind: string, options: Record<string, unknown>, params: Tensor[]): optim.Optimizer {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(options)) o[k.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase())] = v;
    if (kind === "SGD") return new optim.SGD(params, o);
    if (kind === "Adam") return new optim.Adam(params, o);
    if (kind === "RMSprop") return new optim.RMSprop(params, o);
    if (kind === "Adagrad") return new optim.Adagrad(params, o);
    return new optim.AdamW(params, o);
  }

  for (const [name, run] of Object.entries<any>(traj.runs)) {
    it(`optimizer trajectory ${name}: 20 steps match PyTorch`, () => {
      const model = new nn.Sequential(new nn.Linear(3, 4, { dtype: "float64" }), new nn.Tanh(), new nn.Linear(4, 2, { dtype: "float64" }));
      model.loadStateDict(Object.fromEntries(Object.entries<NestedArray>(traj.init).map(([k, v]) => [k, tensor(v, { dtype: "float64" })])));
      const opt = makeOptimizer(run.optimizer, run.options, model.parameters());
      const x = tensor(traj.x, { dtype: "float64" }), y = tensor(traj.y, { dtype: "float64" });
      for (let step = 0; step < 20; step++) {
        if (run.zeroGrad) opt.zeroGrad({ setToNone: true });
        const loss = F.mseLoss(model.forward(x) as Tensor, y);
        loss.backward();
        opt.step();
        assertClose(loss.item(), run.losses[step], "float64", `loss at step ${step}`);
        for (const [pname, p] of model.namedParameters()) assertClose(p.tolist(), run.params[step][pname], "float64", `${pname} after step ${step}`);
      }
    });
  }

  const S = optim.lrScheduler;
  type Sched = optim.lrScheduler.LRScheduler | optim.lrScheduler.ReduceLROnPlateau;
  const SCHEDULERS: Record<string, (o: optim.Optimizer) => Sched> = {
    step_lr: (o) => new S.StepLR(o, { stepSize: 3, gamma: 0.5 }),
    cosine: (o) => new S.CosineAnnealingLR(o, { TMax: 10, etaMin: 0.001 }),
    lambda: (o) => new S.LambdaLR(o, { lrLambda: (e) => 0.9 ** e }),
    linear_warmup: (o) => new S.LinearLR(o, { startFactor: 0.1, totalIters: 4 }),
    linear_decay: (o) => new S.LinearLR(o, { startFactor: 1, endFactor: 0.2, totalIters: 10 }),
    onecycle_cos_sgd: (o) => new S.OneCycleLR(o, { maxLr: 1, totalSteps: 15 }),
    onecycle_linear_three_phase_adam: (o) => new S.OneCycleLR(o, { maxLr: 0.01, totalSteps: 16, annealStrategy: "linear", threePhase: true, pctStart: 0.25 }),
    onecycle_epochs_no_momentum: (o) => new S.OneCycleLR(o, { maxLr: 0.5, epochs: 3, stepsPerEpoch: 5, cycleMomentum: false, divFactor: 10, finalDivFactor: 100 }),
    sequential_warmup_cosine: (o) => new S.SequentialLR(o, { schedulers: [new S.LinearLR(o, { startFactor: 0.25, totalIters: 3 }), new S.CosineAnnealingLR(o, { TMax: 10 })], milestones: [3] }),
    sequential_three: (o) => new S.SequentialLR(o, {
      schedulers: [new S.LinearLR(o, { startFactor: 0.5, totalIters: 2 }), new S.StepLR(o, { stepSize: 2, gamma: 0.5 }), new S.CosineAnnealingLR(o, { TMax: 4 })],
      milestones: [2, 8],
    }),
    chained_step_linear: (o) => new S.ChainedScheduler([new S.StepLR(o, { stepSize: 3, gamma: 0.5 }), new S.LinearLR(o, { startFactor: 0.5, totalIters: 4 })]),
    plateau_min_rel_cooldown: (o) => new S.ReduceLROnPlateau(o, { factor: 0.5, patience: 2, cooldown: 1, threshold: 0.01 }),
    plateau_max_abs_min_lr: (o) => new S.ReduceLROnPlateau(o, { mode: "max", factor: 0.3, patience: 1, threshold: 0.05, thresholdMode: "abs", minLr: 0.01 }),
  };

  it("every recorded scheduler case has a builder here", () => assert.deepEqual(Object.keys(fixtures.schedulers).sort(), Object.keys(SCHEDULERS).sort()));

  for (const [name, fx] of Object.entries<{ optimizer: string; lrs: number[]; momenta: number[]; metrics: number[] }>(fixtures.schedulers)) {
    it(`lr scheduler ${name} matches PyTorch over 15 epochs (lr and momentum)`, () => {
      const p = tensor([0], { requiresGrad: true });
      const opt = fx.optimizer === "Adam" ? new optim.Adam([p], { lr: 0.1 }) : new optim.SGD([p], { lr: 0.1, momentum: fx.optimizer === "SGDm" ? 0.9 : 0 });
      const sched = SCHEDULERS[name](opt);
      const lrs: number[] = [], momenta: number[] = [];
      for (let i = 0; i < 15; i++) {
        opt.step();
        if (sched instanceof S.ReduceLROnPlateau) sched.step(name.includes("min") ? fx.metrics[i] : -fx.metrics[i]);
        else sched.step();
        const g = opt.paramGroups[0];
        lrs.push(g.lr);
        momenta.push(Array.isArray(g.betas) ? (g.betas as number[])[0] : (g.momentum as number));
      }
      assertClose(lrs, fx.lrs, "float64", `${name} lr`);
      assertClose(momenta, fx.momenta, "float64", `${name} momentum`);
    });
  }

  it("RNN (2 layers) forward, final hidden state and parameter gradients match PyTorch", () => {
    const fx = fixtures.modules.rnn;
    const rnn = new nn.RNN(3, 4, { numLayers: 2 });
    const params = new Map(rnn.namedParameters());
    assert.deepEqual([...params.keys()].sort(), Object.keys(fx.weights).sort());
    const state = Object.fromEntries(Object.entries<NestedArray>(fx.weights).map(([k, v]) => [k, tensor(v)]));
    rnn.loadStateDict(state);
    const [out, hn] = rnn.forward(tensor(fx.x), tensor(fx.h0));
    assertClose(out.tolist(), fx.output, "float32", "output");
    assertClose(hn.tolist(), fx.hn, "float32", "hn");
    out.sum().add(hn.mul(hn).sum()).backward();
    for (const [k, p] of params) assertClose(p.grad!.tolist(), fx.grads[k], "float32", `grad ${k}`);
  });
});
