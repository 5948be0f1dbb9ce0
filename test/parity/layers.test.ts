/**
 * Every layer against PyTorch (layers.json, written by layers.py with a real PyTorch): the same
 * parameters and inputs must give the same outputs, input and parameter gradients, running
 * statistics after each training step, and eval-mode outputs; losses their values and gradients.
 * Each case below builds the engine's module as layers.py builds PyTorch's.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { nn, tensor, Tensor } from "gradlens";

interface Spec { shape: number[]; values: (number | string)[]; kind: "float" | "long" | "bool"; rg: boolean }
interface Out { shape: number[]; values: (number | string)[] }
interface Step { outputs: Out[]; inputGrads: ((number | string)[] | null)[]; paramGrads: Record<string, (number | string)[] | null>; buffers: Record<string, (number | string)[]> }
interface ModuleCase { state: Record<string, Spec>; inputs: Spec[]; steps: Step[]; eval?: Out[] }
interface LossCase { inputs: Spec[]; loss: Out; grad: (number | string)[] }

const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, "layers.json"), "utf8")) as { torch: string; cases: Record<string, ModuleCase | LossCase> };

const decode = (v: number | string) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number));
function fromSpec(s: Spec): Tensor {
  const t = tensor(s.values.map(decode), { dtype: "float64" }).reshape(s.shape);
  if (s.kind === "bool") t.isMask = true;
  return s.kind === "float" ? t.detach().requiresGrad_(s.rg) : t;
}

const f64 = { dtype: "float64" as const };
type Call = (m: nn.Module, xs: Tensor[]) => unknown;
const plain: Call = (m, xs) => m.forward(...xs);
const MODULES: Record<string, { make: () => nn.Module; call?: Call }> = {
  conv2d_stride_padding: { make: () => new nn.Conv2d(3, 4, 3, { stride: 2, padding: 1, ...f64 }) },
  conv2d_groups_dilation: { make: () => new nn.Conv2d(4, 6, [2, 3], { stride: [1, 2], padding: [1, 0], dilation: [2, 1], groups: 2, ...f64 }) },
  conv2d_same_no_bias: { make: () => new nn.Conv2d(2, 3, 4, { padding: "same", bias: false, ...f64 }) },
  conv2d_unbatched: { make: () => new nn.Conv2d(2, 2, 3, f64) },
  conv1d: { make: () => new nn.Conv1d(3, 5, 3, { stride: 2, padding: 1, ...f64 }) },
  maxpool2d: { make: () => new nn.MaxPool2d(2) },
  maxpool2d_overlap_ceil: { make: () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }) },
  avgpool2d: { make: () => new nn.AvgPool2d(2) },
  avgpool2d_pad_exclude_ceil: { make: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false, ceilMode: true }) },
  avgpool2d_pad_include: { make: () => new nn.AvgPool2d(3, { stride: 2, padding: 1 }) },
  adaptive_avgpool2d: { make: () => new nn.AdaptiveAvgPool2d([3, 2]) },
  flatten: { make: () => new nn.Flatten() },
  leaky_relu_silu: { make: () => new nn.Sequential(new nn.LeakyReLU(0.1), new nn.SiLU()) },
  layernorm: { make: () => new nn.LayerNorm([3, 4], f64) },
  layernorm_no_affine: { make: () => new nn.LayerNorm(6, { elementwiseAffine: false, eps: 1e-3, ...f64 }) },
  batchnorm1d: { make: () => new nn.BatchNorm1d(3, { momentum: 0.2, ...f64 }) },
  batchnorm1d_sequence: { make: () => new nn.BatchNorm1d(3, f64) },
  batchnorm2d: { make: () => new nn.BatchNorm2d(3, f64) },
  batchnorm2d_cumulative: { make: () => new nn.BatchNorm2d(2, { momentum: null, ...f64 }) },
  batchnorm2d_untracked: { make: () => new nn.BatchNorm2d(2, { trackRunningStats: false, affine: false, ...f64 }) },
  embedding_padding: { make: () => new nn.Embedding(5, 3, { paddingIdx: 1, ...f64 }) },
  lstm: { make: () => new nn.LSTM(3, 4, { numLayers: 2, batchFirst: true, ...f64 }), call: (m, [x, h, c]) => (m as nn.LSTM).forward(x, [h, c]) },
  lstm_unbatched_default_state: { make: () => new nn.LSTM(2, 3, f64) },
  gru: { make: () => new nn.GRU(3, 4, { numLayers: 2, ...f64 }) },
  rnn_batch_first: { make: () => new nn.RNN(3, 4, { batchFirst: true, ...f64 }) },
  mha_self_causal_padding: {
    make: () => new nn.MultiheadAttention(8, 2, { batchFirst: true, ...f64 }),
    call: (m, [x, am, kp]) => (m as nn.MultiheadAttention).forward(x, x, x, { attnMask: am, keyPaddingMask: kp }),
  },
  mha_cross_float_mask_per_head_weights: {
    make: () => new nn.MultiheadAttention(6, 3, f64),
    call: (m, [q, k, v, am]) => (m as nn.MultiheadAttention).forward(q, k, v, { attnMask: am, averageAttnWeights: false }),
  },
  mha_no_bias_unbatched: { make: () => new nn.MultiheadAttention(4, 2, { bias: false, ...f64 }), call: (m, [x]) => (m as nn.MultiheadAttention).forward(x, x, x) },
};

const F = nn.functional;
const w = (...v: number[]) => tensor(v, f64);
const LOSSES: Record<string, (x: Tensor, t: Tensor) => Tensor> = {
  loss_ce_weight: (x, t) => F.crossEntropy(x, t, { weight: w(0.2, 1, 3) }),
  loss_ce_ignore_index: (x, t) => F.crossEntropy(x, t, { ignoreIndex: -1 }),
  loss_ce_ignore_index_weight_sum: (x, t) => F.crossEntropy(x, t, { ignoreIndex: 0, weight: w(5, 1, 2), reduction: "sum" }),
  loss_ce_label_smoothing: (x, t) => F.crossEntropy(x, t, { labelSmoothing: 0.1 }),
  loss_ce_label_smoothing_weight_ignore: (x, t) => F.crossEntropy(x, t, { labelSmoothing: 0.2, ignoreIndex: 1, weight: w(0.5, 2, 1.5) }),
  loss_ce_probabilities: (x, t) => F.crossEntropy(x, t),
  loss_ce_probabilities_smoothing_weight: (x, t) => new nn.CrossEntropyLoss({ labelSmoothing: 0.3, weight: w(1, 2, 0.5, 1) }).forward(x, t),
  loss_ce_spatial: (x, t) => F.crossEntropy(x, t),
  loss_ce_spatial_none: (x, t) => F.crossEntropy(x, t, { reduction: "none", ignoreIndex: 2 }),
  loss_nll_weight_ignore: (x, t) => new nn.NLLLoss({ weight: w(1, 0.5, 2), ignoreIndex: 0 }).forward(x.logSoftmax(1), t),
};

function flat(out: unknown): Tensor[] {
  if (out instanceof Tensor) return [out];
  if (Array.isArray(out)) return out.flatMap((o) => (o === null ? [] : flat(o)));
  throw new Error(`unexpected output ${String(out)}`);
}

function weighting(y: Tensor): Tensor {
  const t = tensor(Array.from({ length: y.numel() }, (_, i) => Math.sin(i * 0.37) + 1.1), f64);
  return t.reshape(y.shape);
}

function close(what: string, got: ArrayLike<number> | null | undefined, want: (number | string)[] | null | undefined): void {
  if (want === null || want === undefined) {
    assert.ok(got === null || got === undefined || Array.from(got).every((v) => v === 0), `${what}: PyTorch has no gradient, the engine has one`);
    return;
  }
  assert.ok(got !== null && got !== undefined, `${what}: the engine has no value, PyTorch has one`);
  assert.equal(got.length, want.length, `${what}: ${got.length} values, PyTorch ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const e = decode(want[i]), a = got[i];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= 1e-9 + 1e-7 * Math.abs(e);
    assert.ok(ok, `${what}[${i}]: engine ${a}, PyTorch ${e}`);
  }
}

function sameOutputs(what: string, got: Tensor[], want: Out[]): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} outputs, PyTorch ${want.length}`);
  got.forEach((o, i) => {
    assert.deepEqual([...o.shape], want[i].shape, `${what} ${i}: shape`);
    close(`${what} ${i}`, o.data, want[i].values);
  });
}

describe(`layers against PyTorch ${fixtures.torch}`, () => {
  it("every recorded case has a builder here, and every builder a recorded case", () => {
    assert.deepEqual(Object.keys(fixtures.cases).sort(), [...Object.keys(MODULES), ...Object.keys(LOSSES)].sort());
  });

  for (const [name, spec] of Object.entries(MODULES)) {
    it(name, () => {
      const rec = fixtures.cases[name] as ModuleCase;
      const module = spec.make();
      const state = Object.fromEntries(Object.entries(rec.state).map(([k, s]) => [k, fromSpec(s)]));
      module.loadStateDict(state);
      assert.deepEqual(Object.keys(module.stateDict()).sort(), Object.keys(rec.state).sort(), "state_dict keys");
      const call = spec.call ?? plain;
      rec.steps.forEach((step, s) => {
        module.train();
        module.zeroGrad();
        const xs = rec.inputs.map(fromSpec);
        const outs = flat(call(module, xs));
        let loss = tensor(0, f64);
        for (const o of outs) loss = loss.add(o.mul(weighting(o)).sum());
        loss.backward();
        sameOutputs(`step ${s} output`, outs, step.outputs);
        xs.forEach((x, i) => close(`step ${s} input ${i} gradient`, x.grad?.data, step.inputGrads[i]));
        const params = new Map(module.namedParameters());
        assert.deepEqual([...params.keys()].sort(), Object.keys(step.paramGrads).sort(), "parameter names");
        for (const [k, want] of Object.entries(step.paramGrads)) close(`step ${s} ${k} gradient`, params.get(k)!.grad?.data, want);
        const buffers = new Map(module.namedBuffers());
        assert.deepEqual([...buffers.keys()].sort(), Object.keys(step.buffers).sort(), "buffer names");
        for (const [k, want] of Object.entries(step.buffers)) close(`step ${s} buffer ${k}`, buffers.get(k)!.data, want);
      });
      if (rec.eval) {
        module.eval();
        sameOutputs("eval output", flat(call(module, rec.inputs.map(fromSpec))), rec.eval);
      }
    });
  }

  for (const [name, loss] of Object.entries(LOSSES)) {
    it(name, () => {
      const rec = fixtures.cases[name] as LossCase;
      const [x, t] = rec.inputs.map(fromSpec);
      const y = loss(x, t);
      y.mul(weighting(y)).sum().backward();
      sameOutputs("loss", [y], [rec.loss]);
      close("input gradient", x.grad?.data, rec.grad);
    });
  }
});
