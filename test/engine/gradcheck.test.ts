/**
 * Every differentiable op and every loss against central finite differences in float64.
 * The case table is keyed by the engine's own op registry: an op without a case fails the suite.
 */
import * as assert from "node:assert/strict";
import { DIFFERENTIABLE_OPS, Tensor, manualSeed, randn, rand, tensor, cat, stack, nn, where, einsum } from "gradlens";
import { gradcheck, GradcheckOptions } from "../support/gradcheck";

const F = nn.functional;
type Case = { name: string; f: (...xs: Tensor[]) => Tensor; inputs: () => Tensor[]; options?: GradcheckOptions };

const g = (...shape: number[]) => randn(shape, { dtype: "float64", requiresGrad: true });
const c = (...shape: number[]) => randn(shape, { dtype: "float64" });
/** Values bounded away from zero, for log/sqrt/abs/div/relu kinks. */
const pos = (...shape: number[]) => rand(shape, { dtype: "float64" }).add(0.5).detach().requiresGrad_();
const awayFromZero = (...shape: number[]) => {
  const t = randn(shape, { dtype: "float64" });
  for (let i = 0; i < t.data.length; i++) t.data[i] += t.data[i] >= 0 ? 0.2 : -0.2;
  return t.requiresGrad_();
};
const targets = (n: number, classes: number) => tensor(Array.from({ length: n }, (_, i) => (i * 7 + 3) % classes), { dtype: "float64" });

const CASES: Record<string, Case[]> = {
  add: [
    { name: "same shape", f: (a, b) => a.add(b), inputs: () => [g(3, 4), g(3, 4)] },
    { name: "broadcast [3,1]+[4]", f: (a, b) => a.add(b), inputs: () => [g(3, 1), g(4)] },
    { name: "alpha and scalar", f: (a, b) => a.add(b, 2.5).add(3), inputs: () => [g(2, 3), g(1, 3)] },
  ],
  sub: [{ name: "broadcast [2,1,3]-[4,1]", f: (a, b) => a.sub(b, 0.5), inputs: () => [g(2, 1, 3), g(4, 1)] }],
  mul: [
    { name: "broadcast [2,3]*[3]", f: (a, b) => a.mul(b), inputs: () => [g(2, 3), g(3)] },
    { name: "self product", f: (a) => a.mul(a), inputs: () => [g(5)] },
  ],
  div: [{ name: "broadcast [3,4]/[4,1]... ", f: (a, b) => a.div(b), inputs: () => [g(3, 4), pos(3, 1)] }],
  pow: [
    { name: "scalar exponent", f: (a) => a.pow(3), inputs: () => [g(2, 3)] },
    { name: "fractional exponent", f: (a) => a.pow(0.5), inputs: () => [pos(4)] },
    { name: "tensor exponent (broadcast)", f: (a, b) => a.pow(b), inputs: () => [pos(2, 3), g(3)] },
  ],
  neg: [{ name: "basic", f: (a) => a.neg(), inputs: () => [g(3)] }],
  exp: [{ name: "basic", f: (a) => a.exp(), inputs: () => [g(2, 2)] }],
  log: [{ name: "basic", f: (a) => a.log(), inputs: () => [pos(2, 3)] }],
  sqrt: [{ name: "basic", f: (a) => a.sqrt(), inputs: () => [pos(4)] }],
  abs: [{ name: "away from 0", f: (a) => a.abs(), inputs: () => [awayFromZero(6)] }],
  clamp: [{ name: "both bounds", f: (a) => a.clamp(-0.5, 0.5), inputs: () => [tensor([-1, -0.3, 0.1, 0.45, 2], { dtype: "float64", requiresGrad: true })] }],
  maximum: [{ name: "broadcast", f: (a, b) => a.maximum(b), inputs: () => [tensor([[0, 2], [-1, 5]], { dtype: "float64", requiresGrad: true }), tensor([1, 1], { dtype: "float64", requiresGrad: true })] }],
  minimum: [{ name: "broadcast", f: (a, b) => a.minimum(b), inputs: () => [tensor([[0, 2], [-1, 5]], { dtype: "float64", requiresGrad: true }), tensor([1, 1], { dtype: "float64", requiresGrad: true })] }],
  clone: [{ name: "basic", f: (a) => a.clone().mul(2), inputs: () => [g(3)] }],
  to: [{ name: "float64 → float32 → float64", f: (a) => a.to("float32").mul(2).to("float64"), inputs: () => [g(4)], options: { eps: 1e-2, atol: 1e-3, rtol: 1e-3 } }],
  sum: [
    { name: "all", f: (a) => a.sum(), inputs: () => [g(3, 4)] },
    { name: "dim keepdim", f: (a) => a.sum(1, true), inputs: () => [g(2, 3, 4)] },
    { name: "several dims", f: (a) => a.sum([0, 2]), inputs: () => [g(2, 3, 4)] },
  ],
  mean: [
    { name: "all", f: (a) => a.mean(), inputs: () => [g(3, 4)] },
    { name: "negative dim", f: (a) => a.mean(-1), inputs: () => [g(2, 5)] },
  ],
  max: [
    { name: "all", f: (a) => a.max(), inputs: () => [g(3, 4)] },
    { name: "dim", f: (a) => a.max(1).values, inputs: () => [g(3, 4)] },
    { name: "dim keepdim", f: (a) => a.max(0, true)[0], inputs: () => [g(3, 4)] },
  ],
  min: [{ name: "dim", f: (a) => a.min(-1).values, inputs: () => [g(2, 5)] }, { name: "all", f: (a) => a.min(), inputs: () => [g(4)] }],
  norm: [
    { name: "L2 all", f: (a) => a.norm(), inputs: () => [g(3, 4)] },
    { name: "L2 dim", f: (a) => a.norm(2, 1), inputs: () => [g(3, 4)] },
    { name: "L3", f: (a) => a.norm(3), inputs: () => [awayFromZero(5)] },
  ],
  matmul: [
    { name: "2-D × 2-D", f: (a, b) => a.matmul(b), inputs: () => [g(3, 4), g(4, 2)] },
    { name: "1-D · 1-D", f: (a, b) => a.matmul(b), inputs: () => [g(4), g(4)] },
    { name: "1-D × 2-D", f: (a, b) => a.matmul(b), inputs: () => [g(3), g(3, 2)] },
    { name: "2-D × 1-D", f: (a, b) => a.matmul(b), inputs: () => [g(2, 3), g(3)] },
    { name: "batched broadcast [2,3,4]×[4,5]", f: (a, b) => a.matmul(b), inputs: () => [g(2, 3, 4), g(4, 5)] },
    { name: "batched broadcast [2,1,3,4]×[3,4,2]", f: (a, b) => a.matmul(b), inputs: () => [g(2, 1, 3, 4), g(3, 4, 2)] },
    { name: "transposed operands [5,4]ᵀ×[2,3]ᵀ", f: (a, b) => a.t().matmul(b.t()), inputs: () => [g(5, 4), g(2, 5)] },
    // Large enough for the WebAssembly kernel (≥ 32³ multiply-adds), all four transpose forms in backward.
    { name: "on the SIMD kernel [40,36]×[36,33]", f: (a, b) => a.matmul(b), inputs: () => [g(40, 36), g(36, 33)] },
  ],
  mseLoss: [
    { name: "mean, target requiring grad", f: (a, b) => F.mseLoss(a, b), inputs: () => [g(4, 2), g(4, 2)] },
    { name: "sum", f: (a, b) => F.mseLoss(a, b, { reduction: "sum" }), inputs: () => [g(3), c(3)] },
    { name: "none", f: (a, b) => F.mseLoss(a, b, { reduction: "none" }), inputs: () => [g(2, 3), g(2, 3)] },
    { name: "input and target the same tensor", f: (a) => F.mseLoss(a.mul(2), a), inputs: () => [g(5)] },
  ],
  linear: [
    { name: "batch, with bias", f: (x, w, b) => F.linear(x, w, b), inputs: () => [g(3, 4), g(2, 4), g(2)] },
    { name: "3-D input, no bias", f: (x, w) => F.linear(x, w), inputs: () => [g(2, 3, 4), g(5, 4)] },
    { name: "1-D input", f: (x, w, b) => F.linear(x, w, b), inputs: () => [g(4), g(3, 4), g(3)] },
    { name: "on the SIMD kernel [48,40]·[36,40]ᵀ", f: (x, w, b) => F.linear(x, w, b), inputs: () => [g(48, 40), g(36, 40), g(36)] },
  ],
  reshape: [
    { name: "reshape -1", f: (a) => a.reshape(-1, 2).mul(a.reshape(-1, 2)), inputs: () => [g(2, 3)] },
    { name: "view/squeeze/unsqueeze", f: (a) => a.view(6).unsqueeze(0).squeeze(0).mul(2), inputs: () => [g(3, 2)] },
  ],
  permute: [
    { name: "3-D", f: (a) => a.permute(2, 0, 1), inputs: () => [g(2, 3, 4)] },
    { name: "transpose and t", f: (a) => a.transpose(0, 1).t().mul(a), inputs: () => [g(3, 4)] },
  ],
  expand: [{ name: "new and size-1 dims", f: (a) => a.expand(2, 3, 4), inputs: () => [g(3, 1)] }],
  cat: [
    { name: "dim 0", f: (a, b) => cat([a, b]), inputs: () => [g(2, 3), g(1, 3)] },
    { name: "dim 1 via stack", f: (a, b) => stack([a, b], 1), inputs: () => [g(2, 3), g(2, 3)] },
  ],
  slice: [
    { name: "stepped", f: (a) => a.slice(1, 1, 5, 2), inputs: () => [g(3, 6)] },
    { name: "select", f: (a) => a.select(0, -1), inputs: () => [g(3, 2)] },
  ],
  index: [{ name: "rows with repeats", f: (a) => a.index([2, 0, 2]), inputs: () => [g(3, 4)] }],
  gather: [{ name: "dim 1", f: (a) => a.gather(1, tensor([[0, 0], [2, 1]])), inputs: () => [g(2, 3)] }],
  relu: [{ name: "away from 0", f: (a) => a.relu(), inputs: () => [awayFromZero(3, 3)] }],
  sigmoid: [{ name: "basic", f: (a) => a.sigmoid(), inputs: () => [g(4)] }],
  tanh: [{ name: "basic", f: (a) => a.tanh(), inputs: () => [g(4)] }],
  softplus: [{ name: "both signs, through 0", f: (a) => F.softplus(a), inputs: () => [tensor([-30, -2, 0, 0.5, 3, 40], { dtype: "float64", requiresGrad: true })] }],
  binaryCrossEntropy: [{ name: "input and target", f: (a, b) => F.binaryCrossEntropy(a, b), inputs: () => [rand(5, { dtype: "float64" }).mul(0.8).add(0.1).detach().requiresGrad_(), rand(5, { dtype: "float64", requiresGrad: true })] }],
  gelu: [{ name: "basic", f: (a) => a.gelu(), inputs: () => [g(6).mul(2).detach().requiresGrad_()] }],
  softmax: [{ name: "dim 0 and -1", f: (a) => a.softmax(0).add(a.softmax(-1)), inputs: () => [g(3, 4)] }],
  logSoftmax: [{ name: "dim 1", f: (a) => a.logSoftmax(1), inputs: () => [g(3, 4)] }],
  nllLoss: [{ name: "mean", f: (a) => F.nllLoss(a.logSoftmax(1), targets(4, 3)), inputs: () => [g(4, 3)] }],
  add_: [{ name: "non-leaf, broadcast other", f: (a, b) => a.mul(1).add_(b, 2), inputs: () => [g(2, 3), g(3)] }],
  mul_: [{ name: "non-leaf by tensor", f: (a, b) => a.mul(1).mul_(b), inputs: () => [g(2, 3), g(2, 3)] }],
  div_: [{ name: "non-leaf by tensor", f: (a, b) => a.mul(1).div_(b), inputs: () => [g(4), pos(4)] }],
  clamp_: [{ name: "non-leaf", f: (a) => a.mul(1).clamp_(-0.5, 0.5), inputs: () => [tensor([-1, 0.2, 0.9], { dtype: "float64", requiresGrad: true })] }],
  copy_: [
    { name: "into a buffer", f: (a) => c(2, 3).copy_(a).mul(3), inputs: () => [g(3)] },
    { name: "over a non-leaf (its history gets zeros)", f: (a, b) => a.mul(2).copy_(b).mul(3).add(a), inputs: () => [g(3), g(3)] },
  ],
  zero_: [{ name: "non-leaf: its history gets zeros", f: (a) => a.mul(2).zero_().add(a.mul(a)), inputs: () => [g(4)] }],
  fill_: [{ name: "non-leaf: its history gets zeros", f: (a) => a.mul(3).fill_(0.5).mul(a), inputs: () => [g(4)] }],
  sin: [{ name: "basic", f: (a) => a.sin(), inputs: () => [g(2, 3)] }],
  cos: [{ name: "basic", f: (a) => a.cos(), inputs: () => [g(2, 3)] }],
  log1p: [{ name: "basic", f: (a) => a.log1p(), inputs: () => [pos(5)] }],
  where: [
    { name: "both sides, broadcast", f: (a, b) => where(a.detach().gt(0), a, b), inputs: () => [awayFromZero(3, 4), g(4)] },
    { name: "a number on one side", f: (a) => where(a.detach().lt(0), 0, a), inputs: () => [awayFromZero(5)] },
  ],
  maskedFill: [
    { name: "causal mask, broadcast", f: (a) => a.maskedFill(tensor([[0, 1, 1], [0, 0, 1], [0, 0, 0]]), -1e9).softmax(-1), inputs: () => [g(2, 3, 3)] },
    { name: "a 0-d value tensor gets the filled places' gradient", f: (a, v) => a.maskedFill(tensor([1, 0, 1, 0]), v), inputs: () => [g(4), g()] },
  ],
  var: [
    { name: "all, Bessel", f: (a) => a.var(), inputs: () => [g(3, 4)] },
    { name: "dims keepdim, population", f: (a) => a.var([0, 2], { correction: 0, keepdim: true }), inputs: () => [g(2, 3, 4)] },
  ],
  std: [
    { name: "dim -1", f: (a) => a.std(-1), inputs: () => [g(3, 5)] },
    { name: "unbiased false, all", f: (a) => a.std(null, { unbiased: false }), inputs: () => [g(6)] },
  ],
  logsumexp: [
    { name: "dim 1", f: (a) => a.logsumexp(1), inputs: () => [g(3, 4)] },
    { name: "dims keepdim, large values", f: (a) => a.mul(100).logsumexp([0, 1], true), inputs: () => [g(2, 3)] },
  ],
  cumsum: [{ name: "dim 0 and -1", f: (a) => a.cumsum(0).add(a.cumsum(-1)), inputs: () => [g(3, 4)] }],
  sort: [
    { name: "ascending, last dim", f: (a) => a.sort().values, inputs: () => [g(3, 5)] },
    { name: "descending, dim 0", f: (a) => a.sort(0, true)[0], inputs: () => [g(4, 2)] },
  ],
  topk: [
    { name: "largest 2", f: (a) => a.topk(2).values, inputs: () => [g(3, 5)] },
    { name: "smallest along dim 0", f: (a) => a.topk(1, 0, false)[0], inputs: () => [g(4, 3)] },
  ],
  flip: [{ name: "two dims", f: (a) => a.flip(0, -1).mul(tensor([1, 2, 3], { dtype: "float64" })), inputs: () => [g(2, 3)] }],
  roll: [
    { name: "one dim, negative shift", f: (a) => a.roll(-1, 1).mul(tensor([1, 2, 3], { dtype: "float64" })), inputs: () => [g(2, 3)] },
    { name: "flattened", f: (a) => a.roll(4).mul(tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64" })), inputs: () => [g(2, 3)] },
  ],
  repeat: [{ name: "with a new leading dim", f: (a, w) => a.repeat(2, 1, 3).mul(w), inputs: () => [g(2, 3), c(2, 2, 9)] }],
  tril: [{ name: "batched, diagonal -1", f: (a) => a.tril(-1), inputs: () => [g(2, 3, 4)] }],
  triu: [{ name: "diagonal 1", f: (a) => a.triu(1), inputs: () => [g(4, 3)] }],
  chunks: [
    { name: "chunk into 3 (sizes 2, 2, 1)", f: (a) => { const [p, q, r] = a.chunk(3, 1); return cat([p.mul(2), q.mul(3), r], 1).sum(0); }, inputs: () => [g(2, 5)] },
    { name: "split by sizes", f: (a) => { const [p, q] = a.split([1, 3]); return p.sum().add(q.pow(2).sum()); }, inputs: () => [g(4, 2)] },
  ],
  leakyRelu: [{ name: "away from 0, slope 0.2", f: (a) => F.leakyRelu(a, 0.2), inputs: () => [awayFromZero(3, 4)] }],
  silu: [{ name: "basic", f: (a) => F.silu(a), inputs: () => [g(3, 4).mul(3).detach().requiresGrad_()] }],
  conv2d: [
    { name: "padding 1, with bias", f: (x, w, b) => F.conv2d(x, w, b, { padding: 1 }), inputs: () => [g(2, 3, 5, 4), g(4, 3, 3, 3), g(4)] },
    { name: "stride 2, dilation 2, groups 2, asymmetric kernel", f: (x, w) => F.conv2d(x, w, null, { stride: 2, dilation: [2, 1], groups: 2, padding: [1, 2] }), inputs: () => [g(1, 4, 7, 6), g(6, 2, 2, 3)] },
    { name: "padding same with an even kernel (extra padding after)", f: (x, w) => F.conv2d(x, w, null, { padding: "same" }), inputs: () => [g(1, 2, 4, 5), g(3, 2, 2, 4)] },
    { name: "conv1d, unbatched, stride 2", f: (x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 1 }), inputs: () => [g(3, 9), g(2, 3, 3), g(2)] },
  ],
  maxPool2d: [
    { name: "2×2 stride 2", f: (x) => F.maxPool2d(x, 2), inputs: () => [g(2, 3, 4, 6)] },
    { name: "3×3 stride 2 padding 1 ceil mode (overlapping)", f: (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), inputs: () => [g(1, 2, 5, 6)] },
  ],
  avgPool2d: [
    { name: "2×2", f: (x) => F.avgPool2d(x, 2), inputs: () => [g(2, 2, 4, 4)] },
    { name: "3×3 stride 2 padding 1, padding not counted, ceil", f: (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false, ceilMode: true }), inputs: () => [g(1, 2, 6, 5)] },
  ],
  adaptiveAvgPool2d: [{ name: "5×7 → 3×2 (overlapping windows)", f: (x) => F.adaptiveAvgPool2d(x, [3, 2]), inputs: () => [g(2, 2, 5, 7)] }],
  embedding: [{ name: "repeated rows (the padding row is left out: its gradient is 0 by design)", f: (w) => F.embedding(tensor([[0, 2], [2, 1]]), w), inputs: () => [g(3, 4)] }],
  layerNorm: [
    { name: "two trailing dims, weight and bias", f: (x, w, b) => F.layerNorm(x, [3, 4], w, b), inputs: () => [g(2, 3, 4), g(3, 4), g(3, 4)] },
    { name: "no affine, eps 1e-3", f: (x) => F.layerNorm(x, 5, null, null, 1e-3), inputs: () => [g(3, 5)] },
  ],
  products: [
    { name: "bmm", f: (a, b) => a.bmm(b), inputs: () => [g(2, 3, 4), g(2, 4, 5)] },
    { name: "outer", f: (a, b) => a.outer(b), inputs: () => [g(3), g(4)] },
    { name: "einsum attention scores bhqd,bhkd->bhqk", f: (a, b) => einsum("bhqd,bhkd->bhqk", a, b), inputs: () => [g(2, 2, 3, 4), g(2, 2, 5, 4)] },
    { name: "einsum ij,jk (implicit output)", f: (a, b) => einsum("ij,jk", a, b), inputs: () => [g(3, 4), g(4, 2)] },
    { name: "einsum with a summed own letter bij,jk->bk", f: (a, b) => einsum("bij,jk->bk", a, b), inputs: () => [g(2, 3, 4), g(4, 2)] },
    { name: "einsum one operand ijk->kj", f: (a) => einsum("ijk->kj", a), inputs: () => [g(2, 3, 4)] },
  ],
};

const LOSSES: Case[] = [
  { name: "mseLoss", f: (a, b) => F.mseLoss(a, b), inputs: () => [g(4, 2), g(4, 2)] },
  { name: "mseLoss sum", f: (a, b) => F.mseLoss(a, b, { reduction: "sum" }), inputs: () => [g(3), g(3)] },
  { name: "l1Loss", f: (a, b) => F.l1Loss(a, b), inputs: () => [awayFromZero(5), c(5).mul(0.01).detach()] },
  { name: "crossEntropy", f: (a) => F.crossEntropy(a, targets(5, 4)), inputs: () => [g(5, 4)] },
  { name: "crossEntropy none", f: (a) => F.crossEntropy(a, targets(3, 5), { reduction: "none" }), inputs: () => [g(3, 5)] },
  { name: "binaryCrossEntropy", f: (a, b) => F.binaryCrossEntropy(a.sigmoid(), b), inputs: () => [g(6), rand(6, { dtype: "float64" })] },
  { name: "binaryCrossEntropyWithLogits", f: (a, b) => F.binaryCrossEntropyWithLogits(a, b), inputs: () => [awayFromZero(6), rand(6, { dtype: "float64", requiresGrad: true })] },
  { name: "binaryCrossEntropyWithLogits posWeight", f: (a, b) => F.binaryCrossEntropyWithLogits(a, b, { posWeight: tensor([2], { dtype: "float64" }) }), inputs: () => [awayFromZero(4), rand(4, { dtype: "float64" })] },
];

describe("gradient checks (float64, central differences)", () => {
  it("has a case for every differentiable op in the engine's registry", () => {
    const missing = [...DIFFERENTIABLE_OPS].filter((op) => !(op in CASES));
    assert.deepEqual(missing, [], `ops without a gradient check: ${missing.join(", ")}`);
  });

  for (const [op, cases] of Object.entries(CASES)) {
    for (const cs of cases) {
      it(`${op}: ${cs.name}`, () => {
        manualSeed(op.length * 31 + cs.name.length);
        const r = gradcheck(cs.f, cs.inputs(), cs.options);
        assert.ok(r.ok, r.worst);
      });
    }
  }

  for (const cs of LOSSES) {
    it(`loss ${cs.name}`, () => {
      manualSeed(cs.name.length);
      const r = gradcheck(cs.f, cs.inputs(), cs.options);
      assert.ok(r.ok, r.worst);
    });
  }

  // Random broadcast-compatible shape pairs: each dim of each side is the shared size or 1,
  // and either side may have fewer leading dims.
  const BINARY: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ["add", (a, b) => a.add(b)], ["sub", (a, b) => a.sub(b)], ["mul", (a, b) => a.mul(b)],
    ["div", (a, b) => a.div(b.abs().add(0.5))], ["pow", (a, b) => a.abs().add(0.5).pow(b)],
    ["maximum", (a, b) => a.maximum(b)], ["minimum", (a, b) => a.minimum(b)],
  ];
  for (const [op, f] of BINARY) {
    it(`${op}: 8 random broadcasting shape pairs`, () => {
      manualSeed(op.charCodeAt(0) * 7);
      const r = rand(64).data;
      let k = 0;
      const next = () => r[k++ % r.length];
      for (let trial = 0; trial < 8; trial++) {
        const rank = 1 + Math.floor(next() * 3);
        const full = Array.from({ length: rank }, () => 1 + Math.floor(next() * 3));
        const side = () => full.slice(Math.floor(next() * rank)).map((d) => (next() < 0.35 ? 1 : d));
        const [sa, sb] = [side(), side()];
        const res = gradcheck(f, [g(...sa), g(...sb)]);
        assert.ok(res.ok, `${JSON.stringify(sa)} with ${JSON.stringify(sb)}: ${res.worst}`);
      }
    });
  }

  it("detects a wrong gradient (the checker itself can fail)", () => {
    // tanh forward with sigmoid's derivative: the check must reject it.
    const wrong = (x: Tensor) => {
      const t = x.tanh().detach();
      return x.sigmoid().sub(x.sigmoid().detach()).add(t);
    };
    assert.equal(gradcheck(wrong, [g(4)]).ok, false);
  });
});
