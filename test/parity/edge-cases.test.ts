/**
 * Edge cases against PyTorch (edge-cases.json, written by edge_cases.py with a real PyTorch):
 * NaN/Inf propagation, gradients masked by selection, ties, kinks, saturated losses, strides and
 * aliasing. Each program below mirrors the Python one of the same name.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { arange, linspace, nn, noGrad, optim, tensor, Tensor, NestedArray, zeros } from "gradlens";

const F = nn.functional;
const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, "edge-cases.json"), "utf8")) as { torch: string; cases: Record<string, Record<string, unknown>>; reprs: Record<string, string> };

const t = (v: NestedArray | number, rg = false) => tensor(v, { dtype: "float64", requiresGrad: rg });
const val = (x: Tensor | null) => (x === null ? null : (x.tolist() as unknown));

const PROGRAMS: Record<string, () => Record<string, unknown>> = {
  second_backward_without_retain: () => {
    const raises = (make: (x: Tensor) => Tensor) => {
      const x = t([1, 3, 2, 0.5], true);
      const y = make(x);
      y.backward();
      try {
        y.backward();
        return 0;
      } catch {
        return 1;
      }
    };
    return {
      flags: [
        raises((x) => F.nllLoss(x.reshape(2, 2), tensor([0, 1]))),
        raises((x) => x.reshape(2, 2).min(1).values.sum()),
        raises((x) => x.mul(1).clamp_(0, 2).sum()),
        raises((x) => x.gather(0, tensor([1, 0])).sum()),
        raises((x) => x.index([1, 1]).sum()),
        raises((x) => x.add(1).sum()),
        raises((x) => x.reshape(2, 2).t().sum()),
      ],
    };
  },
  gather_empty_index: () => {
    const x = t([[1, 2, 3], [4, 5, 6]], true);
    const a = x.gather(1, zeros(0));
    const b = x.gather(0, zeros(2, 0, 5));
    a.sum().add(b.sum()).backward();
    return { shapes: [[...a.shape, -1, ...b.shape]], gx: val(x.grad) };
  },
  sort_nan_and_ties: () => {
    const x = t([2, NaN, -1, 2, 0], true);
    const asc = x.sort(), desc = x.sort(0, true), top = x.topk(3);
    asc.values.slice(0, 0, 2).sum().add(top.values.slice(0, 1).sum().mul(2)).backward();
    return { asc: val(asc.values), asc_i: val(asc.indices), desc: val(desc.values), desc_i: val(desc.indices), gx: val(x.grad) };
  },
  pow_zero_base: () => {
    const a = t([0, 0, 2], true), b = t([0, -1, 0], true);
    const y = a.pow(b);
    y.sum().backward();
    return { y: val(y), ga: val(a.grad), gb: val(b.grad) };
  },
  promotion_with_0d: () => {
    const r1 = tensor([1, 1]).add(tensor(1.5, { dtype: "float64" }));
    const r2 = tensor(1.5).add(tensor(1.5, { dtype: "float64" }));
    const r3 = tensor([1, 1]).mul(tensor([1, 1], { dtype: "float64" }));
    return { is64: [r1, r2, r3].map((r) => (r.dtype === "float64" ? 1 : 0)) };
  },
  schedulers_chain_and_follow_the_user: () => {
    const w = t([1], true);
    const opt = new optim.SGD([w], { lr: 0.1 });
    const s1 = new optim.lrScheduler.StepLR(opt, { stepSize: 2, gamma: 0.5 });
    const s2 = new optim.lrScheduler.CosineAnnealingLR(opt, { TMax: 5 });
    const chained: number[] = [];
    for (let i = 0; i < 8; i++) {
      opt.step();
      s1.step();
      s2.step();
      chained.push(opt.paramGroups[0].lr);
    }
    const w2 = t([1], true);
    const opt2 = new optim.SGD([w2], { lr: 1 });
    const s3 = new optim.lrScheduler.StepLR(opt2, { stepSize: 3, gamma: 0.1 });
    const user: number[] = [];
    for (let epoch = 0; epoch < 7; epoch++) {
      opt2.step();
      s3.step();
      if (epoch === 1) opt2.paramGroups[0].lr = 0.5;
      user.push(opt2.paramGroups[0].lr);
    }
    return { chained, user };
  },
  saves_only_what_gradients_need: () => {
    const x = t([1, 2], true);
    const h = x.mul(1);
    const y = h.mul(2);
    h.add_(1);
    y.sum().backward();
    const x2 = t([1, 2], true);
    const h2 = x2.mul(1);
    const y2 = h2.div(t([2, 4]));
    h2.add_(1);
    y2.sum().backward();
    const x3 = t([[1, 2]], true);
    const h3 = x3.mul(1);
    const y3 = h3.matmul(t([[1], [3]]));
    h3.add_(1);
    y3.sum().backward();
    return { gx: val(x.grad), gx2: val(x2.grad), gx3: val(x3.grad) };
  },
  fill_after_saved_output_raises: () => {
    const x = t([1, 2], true);
    const y = x.exp();
    y.fill_(3);
    let raised = 0;
    try {
      y.sum().backward();
    } catch {
      raised = 1;
    }
    return { raised: [raised] };
  },
  zero_fill_copy_keep_history: () => {
    const x = t([1, 2], true);
    const y = x.mul(2);
    y.zero_();
    const zeroRequiresGrad = [y.requiresGrad ? 1 : 0];
    y.add(x).sum().backward();
    const x2 = t([1, 2], true);
    const y2 = x2.mul(1);
    y2.fill_(3);
    y2.mul(x2).sum().backward();
    const x3 = t([1, 2], true), c = t([5, 6], true);
    const y3 = x3.mul(2);
    y3.copy_(c);
    y3.mul(3).sum().backward();
    return { zeroRequiresGrad, gx: val(x.grad), gx2: val(x2.grad), gx3: val(x3.grad), gc: val(c.grad) };
  },
  relu_nan: () => {
    const x = t([NaN, -1, 0, 2], true);
    const y = x.relu();
    y.sum().backward();
    return { y: val(y), gx: val(x.grad) };
  },
  relu_times_inf: () => {
    const x = t([-1, 2], true);
    x.relu().mul(Infinity).sum().backward();
    return { gx: val(x.grad) };
  },
  maximum_nan_ties: () => {
    const a = t([NaN, 1, 2, 3], true), b = t([1, 1, 3, NaN], true);
    const y = a.maximum(b);
    y.sum().backward();
    return { y: val(y), ga: val(a.grad), gb: val(b.grad) };
  },
  minimum_nan_ties: () => {
    const a = t([NaN, 1, 2, 3], true), b = t([1, 1, 3, NaN], true);
    const y = a.minimum(b);
    y.sum().backward();
    return { y: val(y), ga: val(a.grad), gb: val(b.grad) };
  },
  maximum_times_inf: () => {
    const a = t([-1, 2], true), b = t([0, 0], true);
    a.maximum(b).mul(Infinity).sum().backward();
    return { ga: val(a.grad), gb: val(b.grad) };
  },
  clamp_inverted: () => {
    const x = t([-1, 0.5, 3], true);
    const y = x.clamp(2, 1);
    y.sum().backward();
    return { y: val(y), gx: val(x.grad) };
  },
  clamp_times_inf: () => {
    const x = t([-2, 0.5, NaN], true);
    x.clamp(-1, 1).mul(Infinity).sum().backward();
    return { gx: val(x.grad) };
  },
  matmul_inf: () => {
    const a = t([[0, 1]], true), b = t([[Infinity], [1]], true);
    const y = a.matmul(b);
    y.sum().backward();
    return { y: val(y), ga: val(a.grad), gb: val(b.grad) };
  },
  bce_logits_zero: () => {
    const x = t([0, 0], true);
    const loss = F.binaryCrossEntropyWithLogits(x, t([1, 0]));
    loss.backward();
    const xw = t([0, 0], true);
    const lw = F.binaryCrossEntropyWithLogits(xw, t([1, 0]), { posWeight: t([3]) });
    lw.backward();
    return { loss: val(loss), gx: val(x.grad), lossW: val(lw), gxW: val(xw.grad) };
  },
  bce_saturated: () => {
    const p = t([1, 1, 0, 0], true);
    const loss = F.binaryCrossEntropy(p, t([1, 0, 0, 1]));
    loss.backward();
    return { loss: val(loss), gp: val(p.grad) };
  },
  gather_strides: () => {
    const x = arange(1, 9, 1, { dtype: "float64" }).reshape(2, 2, 2).requiresGrad_();
    const y = x.gather(2, tensor([[[1]], [[0]]]));
    y.sum().backward();
    return { y: val(y), gx: val(x.grad) };
  },
  norm_inf_ties: () => {
    const x = t([3, -3, 1], true);
    x.norm(Infinity).backward();
    const m = t([[3, 3], [1, -2]], true);
    m.norm(Infinity, 1).sum().backward();
    return { gx: val(x.grad), gm: val(m.grad) };
  },
  norm_p_at_zero: () => {
    const z3 = t([0, 0], true);
    z3.norm(3).backward();
    const z1 = t([0, 2], true);
    z1.norm(1).backward();
    const v = t([1, -2, 0.5], true);
    const n3 = v.norm(3);
    n3.backward();
    return { gz3: val(z3.grad), gz1: val(z1.grad), n3: val(n3), gv: val(v.grad) };
  },
  t_1d_hook: () => {
    const x = t([1, 2], true);
    const y = x.t();
    y.registerHook((g) => g.mul(10));
    y.sum().add(x.sum()).backward();
    return { gx: val(x.grad) };
  },
  expand_same_shape_hook: () => {
    const x = t([1, 2], true);
    const y = x.expand(2);
    y.registerHook((g) => g.mul(10));
    y.sum().add(x.sum()).backward();
    return { gx: val(x.grad) };
  },
  backward_gradient_is_copied: () => {
    const x = t([1, 2], true);
    x.backward(x);
    noGrad(() => x.grad!.mul_(10));
    return { x: val(x), gx: val(x.grad) };
  },
};

function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  return v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v;
}

function close(actual: unknown, expected: unknown, where: string): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${where}: got ${JSON.stringify(actual)}, PyTorch ${JSON.stringify(expected)}`);
    expected.forEach((e, i) => close((actual as unknown[])[i], e, `${where}[${i}]`));
    return;
  }
  const a = actual as number, e = expected as number;
  const ok = Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e));
  assert.ok(ok, `${where}: got ${a}, PyTorch ${e}`);
}

describe(`edge cases against PyTorch ${fixtures.torch}`, () => {
  it("every recorded case has a program here, and every program a recorded case", () => {
    assert.deepEqual(Object.keys(PROGRAMS).sort(), Object.keys(fixtures.cases).sort());
  });
  for (const [name, program] of Object.entries(PROGRAMS)) {
    it(name, () => {
      const expected = fixtures.cases[name];
      assert.ok(expected, `no recorded case ${name}: run npm run parity:generate`);
      const got = program();
      for (const [k, v] of Object.entries(expected)) close(got[k], decode(v), `${name}.${k}`);
    });
  }
});

/** The same tensors as edge_cases.py's REPRS, built with the engine. */
const REPRS: Record<string, () => Tensor> = {
  ints: () => tensor([1, 2]),
  matrix_rg: () => tensor([[0.1234, -1.5], [2, 3]], { requiresGrad: true }),
  nonfinite: () => tensor([NaN, Infinity, -Infinity, 1.5]),
  scalar: () => tensor(3.14159),
  sci: () => tensor([1e-5, 1, 1000]),
  empty2d: () => zeros(0, 3),
  empty: () => tensor([]),
  long: () => arange(0, 2000),
  f64: () => tensor([[1, 2], [3, 4]], { dtype: "float64" }),
  cube: () => tensor([[[0.2955, -1.7477], [0.0267, -1.8063]], [[-0.2333, -0.7322], [2.4329, -2.505]]]),
  neg_zero: () => tensor([-0, 1]),
  wide: () => linspace(-1, 1, 30),
  big_matrix: () => arange(0, 10000).reshape(100, 100).div(7),
  grad_fn: () => tensor([1.5, 2], { requiresGrad: true }).mul(2),
};

/** PyTorch's repr in gradlens's names. */
function inGradlensTerms(repr: string): string {
  return repr
    .replace("requires_grad=True", "requiresGrad=true")
    .replace(/grad_fn=<(\w+)Backward0>/, "gradFn=<$1Backward>")
    .replace("dtype=torch.float64", "dtype=float64")
    .replace(/size=\((\d+), (\d+)\)/, "size=[$1, $2]");
}

describe("printing like PyTorch", () => {
  it("every recorded repr has a tensor here", () => assert.deepEqual(Object.keys(REPRS).sort(), Object.keys(fixtures.reprs).sort()));
  for (const [name, make] of Object.entries(REPRS)) {
    it(name, () => {
      const t = make();
      const expected = inGradlensTerms(fixtures.reprs[name]);
      assert.equal(String(t), expected);
      assert.equal(t.toString(), expected);
    });
  }
  it("console.log uses the same text (util.inspect)", async () => {
    const { inspect } = await import("node:util");
    assert.equal(inspect(tensor([1, 2])), "tensor([1., 2.])");
  });
});
