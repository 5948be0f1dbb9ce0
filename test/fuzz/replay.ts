/**
 * Replays the random programs recorded with PyTorch (test/fuzz/generate.py) through the engine
 * and reports every disagreement: a value or gradient that differs, an error on one side only.
 */
import { cat, einsum, nn, tensor, Tensor, where, zeros } from "gradlens";

const F = nn.functional;

export interface Spec { shape: number[]; values: (number | string)[]; rg: boolean }
export interface Step { op: string; args: number[]; kw: Record<string, unknown> }
export interface Recorded {
  program: { inputs: Spec[]; steps: Step[]; backward?: "once" | "twiceRetained" | "twice" };
  torch: {
    steps: ({ error: string } | { shape: number[]; values: (number | string)[] })[];
    grads?: ((number | string)[] | null)[];
    /** Per step: the gradient kept by retainGrad, or null. */
    retained?: ((number | string)[] | null)[];
    backwardError?: string;
  };
}

export function decode(v: number | string): number {
  return v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number);
}

type Kw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const OPS: Record<string, (xs: Tensor[], k: Kw) => Tensor> = {
  add: ([a, b]) => a.add(b),
  sub: ([a, b]) => a.sub(b),
  mul: ([a, b]) => a.mul(b),
  div: ([a, b]) => a.div(b),
  maximum: ([a, b]) => a.maximum(b),
  minimum: ([a, b]) => a.minimum(b),
  matmul: ([a, b]) => a.matmul(b),
  linear: ([x, w, b]) => nn.functional.linear(x, w, b),
  mseLoss: ([a, b], k) => nn.functional.mseLoss(a, b, { reduction: k.reduction }),
  addScalar: ([a], k) => a.add(k.s),
  mulScalar: ([a], k) => a.mul(k.s),
  powScalar: ([a], k) => a.pow(k.s),
  neg: ([a]) => a.neg(),
  exp: ([a]) => a.exp(),
  log: ([a]) => a.log(),
  sqrt: ([a]) => a.sqrt(),
  abs: ([a]) => a.abs(),
  clamp: ([a], k) => a.clamp(k.min, k.max),
  relu: ([a]) => a.relu(),
  sigmoid: ([a]) => a.sigmoid(),
  tanh: ([a]) => a.tanh(),
  gelu: ([a]) => a.gelu(),
  softmax: ([a], k) => a.softmax(k.dim),
  logSoftmax: ([a], k) => a.logSoftmax(k.dim),
  sum: ([a], k) => (k.dim === undefined ? a.sum() : a.sum(k.dim, k.keepdim)),
  mean: ([a], k) => (k.dim === undefined ? a.mean() : a.mean(k.dim, k.keepdim)),
  max: ([a], k) => (k.dim === undefined ? a.max() : a.max(k.dim, k.keepdim).values),
  min: ([a], k) => (k.dim === undefined ? a.min() : a.min(k.dim, k.keepdim).values),
  norm: ([a], k) => (k.dim === undefined ? a.norm(decode(k.p)) : a.norm(decode(k.p), k.dim, k.keepdim)),
  reshape: ([a], k) => a.reshape(k.shape),
  transpose: ([a], k) => a.transpose(k.d0, k.d1),
  t: ([a]) => a.t(),
  unsqueeze: ([a], k) => a.unsqueeze(k.dim),
  squeeze: ([a], k) => (k.dim === undefined ? a.squeeze() : a.squeeze(k.dim)),
  expand: ([a], k) => a.expand(k.shape),
  select: ([a], k) => a.select(k.dim, k.index),
  slice: ([a], k) => a.slice(k.dim, k.start, k.start + k.length),
  mulInplace: ([a], k) => a.mul(1).mul_(k.s),
  addInplace: ([a, b]) => a.mul(1).add_(b),
  divInplace: ([a, b]) => a.mul(1).div_(b),
  clampInplace: ([a], k) => a.mul(1).clamp_(k.min, k.max),
  copyInplace: ([a], k) => zeros(k.shape, { dtype: "float64" }).copy_(a),
  zeroInplace: ([a]) => a.mul(1).zero_(),
  hookDouble: ([a]) => {
    const y = a.mul(1);
    if (y.requiresGrad) y.registerHook((g) => g.mul(2));
    return y;
  },
  retainGrad: ([a]) => {
    const y = a.mul(1);
    if (y.requiresGrad) y.retainGrad();
    return y;
  },
  fillInplace: ([a], k) => a.mul(1).fill_(k.s),
  clone: ([a]) => a.clone(),
  toFloat32: ([a]) => a.to("float32").to("float64"),
  permute: ([a], k) => a.permute(k.dims),
  cat: ([a, b], k) => cat([a, b], k.dim),
  indexRows: ([a], k) => a.index(k.rows),
  gather: ([a], k) => a.gather(k.dim, tensor(k.index).reshape(k.indexShape)),
  softplus: ([a]) => nn.functional.softplus(a),
  nllLoss: ([a], k) => nn.functional.nllLoss(a.logSoftmax(1), tensor(k.targets)),
  bceSigmoid: ([a], k) => nn.functional.binaryCrossEntropy(a.sigmoid(), tensor(k.target, { dtype: "float64" }).reshape(a.shape)),
  sin: ([a]) => a.sin(),
  cos: ([a]) => a.cos(),
  log1p: ([a]) => a.log1p(),
  ne: ([a, b]) => a.ne(b),
  where: ([a, b], k) => where(a.detach().gt(k.s), a, b),
  maskedFill: ([a], k) => a.maskedFill(a.detach().lt(k.s), k.value),
  var: ([a], k) => a.var(k.dim ?? null, { correction: k.correction, keepdim: k.keepdim }),
  std: ([a], k) => a.std(k.dim ?? null, { correction: k.correction, keepdim: k.keepdim }),
  logsumexp: ([a], k) => a.logsumexp(k.dim, k.keepdim),
  cumsum: ([a], k) => a.cumsum(k.dim),
  any: ([a], k) => (k.dim === undefined ? a.any() : a.any(k.dim, k.keepdim)),
  all: ([a], k) => (k.dim === undefined ? a.all() : a.all(k.dim, k.keepdim)),
  maxIndices: ([a], k) => a.max(k.dim, k.keepdim).indices,
  minIndices: ([a], k) => a.min(k.dim, k.keepdim).indices,
  sort: ([a], k) => a.sort(k.dim, k.descending).values,
  sortIndices: ([a], k) => a.sort(k.dim, k.descending).indices,
  topk: ([a], k) => a.topk(k.k, k.dim, k.largest).values,
  chunk: ([a], k) => piece(a.chunk(k.chunks, k.dim), k.piece),
  split: ([a], k) => piece(a.split(k.sizes, k.dim), k.piece),
  repeat: ([a], k) => a.repeat(k.repeats),
  flip: ([a], k) => a.flip(k.dims),
  roll: ([a], k) => a.roll(k.shifts, k.dims),
  tril: ([a], k) => a.tril(k.diagonal),
  triu: ([a], k) => a.triu(k.diagonal),
  outer: ([a, b]) => a.reshape(-1).outer(b.reshape(-1)),
  bmm: ([a, b]) => a.bmm(b),
  leakyRelu: ([a], k) => F.leakyRelu(a, k.slope),
  silu: ([a]) => F.silu(a),
  layerNorm: ([a], k) => F.layerNorm(a, a.shape.slice(a.ndim - k.dims), k.weight ? tensor(k.weight, { dtype: "float64" }).reshape(a.shape.slice(a.ndim - k.dims)) : null, null, k.eps),
  embedding: ([a], k) => F.embedding(tensor(k.ids).reshape(k.idsShape), a, k.padding ?? null),
  maxPool2d: ([a], k) => F.maxPool2d(a.reshape(k.shape), k.kernel, { stride: k.stride, padding: k.padding, ceilMode: k.ceil }),
  avgPool2d: ([a], k) => F.avgPool2d(a.reshape(k.shape), k.kernel, { stride: k.stride, padding: k.padding, ceilMode: k.ceil, countIncludePad: k.includePad }),
  adaptiveAvgPool2d: ([a], k) => F.adaptiveAvgPool2d(a.reshape(k.shape), k.out),
  conv2d: ([a], k) => F.conv2d(a.reshape(k.shape), tensor(k.weight, { dtype: "float64" }).reshape(k.weightShape), null, { stride: k.stride, padding: k.padding, dilation: k.dilation, groups: k.groups }),
  bmmSelf: ([a], k) => a.reshape(k.shape).bmm(a.reshape(k.shape).transpose(1, 2)),
  einsum: ([a, b], k) => einsum(k.equation, a, b),
  einsum1: ([a], k) => einsum(k.equation, a),
};

/** Python's `pieces[i]`: an IndexError past the end. */
function piece(pieces: Tensor[], i: number): Tensor {
  if (i >= pieces.length) throw new RangeError(`piece ${i} of ${pieces.length}`);
  return pieces[i];
}

/** Which of the engine's registered differentiable ops each replayed op exercises. */
export const OPS_EXERCISED: Record<string, string[]> = {
  addScalar: ["add"], mulScalar: ["mul"], powScalar: ["pow"], mulInplace: ["mul", "mul_"], addInplace: ["mul", "add_"],
  divInplace: ["mul", "div_"], hookDouble: ["mul"], retainGrad: ["mul"], zeroInplace: ["mul", "zero_"], fillInplace: ["mul", "fill_"], clampInplace: ["mul", "clamp_"], copyInplace: ["copy_"], toFloat32: ["to"],
  transpose: ["permute"], t: ["permute"], unsqueeze: ["reshape"], squeeze: ["reshape"], select: ["slice", "reshape"],
  indexRows: ["index"], nllLoss: ["logSoftmax", "nllLoss"], bceSigmoid: ["sigmoid", "binaryCrossEntropy"],
  chunk: ["slice"], split: ["slice"], outer: ["reshape", "mul"], bmm: ["matmul"], bmmSelf: ["reshape", "permute", "matmul"], maxPool2d: ["reshape", "maxPool2d"], avgPool2d: ["reshape", "avgPool2d"], adaptiveAvgPool2d: ["reshape", "adaptiveAvgPool2d"], conv2d: ["reshape", "conv2d"], einsum: ["permute", "reshape", "matmul", "sum"], einsum1: ["permute", "sum"],
};
export const REPLAYED_OPS = Object.keys(OPS);

function same(a: number, e: number): boolean {
  if (Number.isNaN(e)) return Number.isNaN(a);
  if (!Number.isFinite(e)) return a === e;
  return Math.abs(a - e) <= 1e-12 + 1e-9 * Math.abs(e);
}

function sameList(a: ArrayLike<number>, e: (number | string)[]): boolean {
  if (a.length !== e.length) return false;
  for (let i = 0; i < e.length; i++) if (!same(a[i], decode(e[i]))) return false;
  return true;
}

export interface Disagreement { index: number; step: number; op: string; kind: string; detail: string }

/** Null when the engine agrees with PyTorch on every step and gradient. */
export function replay(rec: Recorded, index: number): Disagreement | null {
  const { inputs, steps } = rec.program;
  const values: Tensor[] = inputs.map((s) => tensor(s.values.map(decode), { dtype: "float64" }).reshape(s.shape).detach().requiresGrad_(s.rg));
  const leaves = [...values];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i], want = rec.torch.steps[i];
    const fail = (kind: string, detail: string): Disagreement => ({ index, step: i, op: step.op, kind, detail });
    let y: Tensor;
    try {
      y = OPS[step.op](step.args.map((a) => values[a]), step.kw);
    } catch (e) {
      if ("error" in want) return null;
      return fail("engine throws", String((e as Error).message).slice(0, 160));
    }
    if (!(y instanceof Tensor)) return fail("engine result", `not a tensor: ${String(y)}`);
    if ("error" in want) return fail("PyTorch throws", `${want.error}; engine gave shape [${y.shape}]`);
    if (y.shape.length !== want.shape.length || y.shape.some((s, j) => s !== want.shape[j])) return fail("shape", `[${y.shape}] vs PyTorch [${want.shape}]`);
    if (!sameList(y.data, want.values)) return fail("value", `${JSON.stringify(Array.from(y.data).slice(0, 6))} vs PyTorch ${JSON.stringify(want.values.slice(0, 6))}`);
    values.push(y);
  }
  const last = values[values.length - 1];
  const wantGrads = rec.torch.grads;
  const needsBackward = wantGrads !== undefined || rec.torch.backwardError !== undefined;
  if (!needsBackward) {
    if (last.requiresGrad && leaves.some((l) => l.requiresGrad)) return { index, step: steps.length, op: "backward", kind: "requiresGrad", detail: "engine's result requires grad, PyTorch's doesn't" };
    return null;
  }
  const op = steps[steps.length - 1].op;
  const mode = rec.program.backward ?? "once";
  try {
    const loss = last.sum();
    loss.backward(undefined, { retainGraph: mode === "twiceRetained" });
    if (mode !== "once") loss.backward();
  } catch (e) {
    if (rec.torch.backwardError !== undefined) return null;
    return { index, step: steps.length, op, kind: "backward throws", detail: String((e as Error).message).slice(0, 160) };
  }
  if (rec.torch.backwardError !== undefined) return { index, step: steps.length, op, kind: "PyTorch backward throws", detail: rec.torch.backwardError };
  for (let j = 0; j < leaves.length; j++) {
    const w = wantGrads![j], g = leaves[j].grad;
    if (w === null && g === null) continue;
    if (w === null || g === null) return { index, step: steps.length, op, kind: "grad presence", detail: `input ${j}: engine ${g === null ? "none" : "a gradient"}, PyTorch ${w === null ? "none" : "a gradient"}` };
    if (!sameList(g.data, w)) return { index, step: steps.length, op, kind: "grad", detail: `input ${j}: ${JSON.stringify(Array.from(g.data).slice(0, 6))} vs PyTorch ${JSON.stringify(w.slice(0, 6))}` };
  }
  const retained = rec.torch.retained ?? [];
  for (let i = 0; i < retained.length; i++) {
    const w = retained[i], g = values[leaves.length + i].grad;
    if (w === null) continue;
    if (g === null || !sameList(g.data, w)) return { index, step: i, op: "retainGrad", kind: "retained grad", detail: `${g === null ? "none" : JSON.stringify(Array.from(g.data).slice(0, 6))} vs PyTorch ${JSON.stringify(w.slice(0, 6))}` };
  }
  return null;
}
