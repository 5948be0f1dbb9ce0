/** nn.functional: stateless activations and losses. Losses check shapes and targets up front. */
import { Tensor } from "../tensor";
import { fmt, sameShape, wrapDim } from "../shape";
import { checkTensor, defineOp, empty, record, resultDType, SAVES_STATE } from "../ops/record";
import { softplus as softplusOp } from "../ops/activation";
import { linear as linearOp } from "../ops/linalg";
import { checkOptions } from "../options";
import { allocate } from "../dtype";
import { uniform } from "../random";

/** PyTorch's F.softplus: log(1 + e^(βx))/β, and x itself where βx > threshold. */
export function softplus(x: Tensor, options: { beta?: number; threshold?: number } = {}): Tensor {
  checkTensor(x, "softplus");
  checkOptions("softplus", options, ["beta", "threshold"], "{ beta: 1, threshold: 20 }", []);
  const { beta = 1, threshold = 20 } = options;
  if (typeof beta !== "number" || beta === 0 || !Number.isFinite(beta)) throw new RangeError(`softplus: beta must be a finite non-zero number, got ${String(beta)}`);
  if (typeof threshold !== "number" || Number.isNaN(threshold)) throw new RangeError(`softplus: threshold must be a number, got ${String(threshold)}`);
  return softplusOp(x, beta, threshold);
}

export type Reduction = "mean" | "sum" | "none";
export interface LossOptions {
  reduction?: Reduction;
}

function reduce(loss: Tensor, reduction: Reduction | undefined, op: string): Tensor {
  switch (reduction ?? "mean") {
    case "mean": return loss.mean();
    case "sum": return loss.sum();
    case "none": return loss;
    default: throw new RangeError(`${op}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(reduction)}`);
  }
}

const warned = new Set<string>();
function checkSameShape(input: Tensor, target: Tensor, op: string): void {
  checkTensor(input, op, "input");
  checkTensor(target, op, "target");
  if (!sameShape(input.shape, target.shape)) {
    // PyTorch broadcasts here with a warning; a broadcast loss is almost always a bug.
    const key = `${op}${fmt(input.shape)}${fmt(target.shape)}`;
    if (!warned.has(key)) {
      warned.add(key);
      console.warn(`${op}: target shape ${fmt(target.shape)} differs from input shape ${fmt(input.shape)}; they will be broadcast, which is likely not what you want`);
    }
  }
}

export { conv1d, conv2d, maxPool2d, avgPool2d, adaptiveAvgPool2d } from "./convolution";
export type { ConvOptions, PoolOptions, AvgPoolOptions } from "./convolution";
export { layerNorm, batchNorm } from "./normalization";
export type { BatchNormArgs } from "./normalization";
export { scaledDotProductAttention } from "./attention";
export type { AttentionOptions } from "./attention";
export { leakyRelu, silu } from "../ops/activation";

/** Flattens dimensions startDim…endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor(x, "flatten");
  if (x.ndim === 0) return x.reshape(1);
  const s = wrapDim(startDim, x.ndim, "flatten"), e = wrapDim(endDim, x.ndim, "flatten");
  if (s > e) throw new RangeError(`flatten: startDim (${startDim}) comes after endDim (${endDim}) for shape ${fmt(x.shape)}`);
  const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return x.reshape([...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

const EMBEDDING = defineOp("embedding");
/**
 * Rows of `weight` picked by integer `indices` (any shape): result shape indices.shape + [dim].
 * Repeated indices add their gradients; the `paddingIdx` row gets none (as PyTorch's).
 */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  checkTensor(indices, "embedding", "indices");
  checkTensor(weight, "embedding", "weight");
  if (weight.ndim !== 2) throw new RangeError(`embedding: weight must be 2-D [numEmbeddings, dim], got shape ${fmt(weight.shape)}`);
  const [count, dim] = weight.shape;
  const idx = indices.data;
  for (const v of idx) {
    if (!Number.isInteger(v)) throw new TypeError(`embedding: indices must be integers, got ${v}`);
    if (v < 0 || v >= count) throw new RangeError(`embedding: index ${v} is out of range for ${count} embeddings (valid: 0 to ${count - 1})`);
  }
  const out = empty([...indices.shape, dim], weight.dtype);
  for (let i = 0; i < idx.length; i++) out.data.set(weight.data.subarray(idx[i] * dim, idx[i] * dim + dim), i * dim);
  const rows = Int32Array.from(idx);
  return record(out, EMBEDDING, [weight], [SAVES_STATE], (g) => {
    const gw = empty(weight.shape, g.dtype);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (r === paddingIdx) continue;
      for (let j = 0; j < dim; j++) gw.data[r * dim + j] += g.data[i * dim + j];
    }
    return [gw];
  });
}

export const relu = (x: Tensor) => x.relu();
export const sigmoid = (x: Tensor) => x.sigmoid();
export const tanh = (x: Tensor) => x.tanh();
export const gelu = (x: Tensor) => x.gelu();
export const softmax = (x: Tensor, dim: number) => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim: number) => x.logSoftmax(dim);

/** y = x·Wᵀ + b */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor(x, "linear");
  checkTensor(weight, "linear", "weight");
  if (bias !== undefined && bias !== null) checkTensor(bias, "linear", "bias");
  return linearOp(x, weight, bias ?? null);
}

export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: probability has to be between 0 and 1, but got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const mask = empty(x.shape, x.dtype);
  const scale = 1 / (1 - p);
  for (let i = 0; i < mask.data.length; i++) mask.data[i] = uniform() < p ? 0 : scale;
  return x.mul(mask);
}

const MSE_LOSS = defineOp("mseLoss");
/**
 * Mean (or summed, or elementwise) squared error. Same shapes and dtypes take one op, with the
 * differences kept for backward: 2·g·(x − y) (over n for the mean), what the composed
 * `(x − y)²` ops give. Broadcast or mixed-dtype operands go through the composed ops.
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  checkOptions("mseLoss", options, ["reduction"], "{ reduction: \"sum\" }", []);
  checkSameShape(input, target, "mseLoss");
  const reduction = options.reduction ?? "mean";
  if (!sameShape(input.shape, target.shape) || input.dtype !== target.dtype || !["mean", "sum", "none"].includes(reduction)) {
    const diff = input.sub(target);
    return reduce(diff.mul(diff), options.reduction, "mseLoss");
  }
  const n = input.numel(), x = input.data, y = target.data;
  // Rounded to the dtype as a stored value would be; 1/n as mean() multiplies by it.
  const round = input.dtype === "float32" ? Math.fround : (v: number) => v;
  const invN = round(1 / n);
  const diff = allocate(input.dtype, n);
  for (let i = 0; i < n; i++) diff[i] = x[i] - y[i];
  let out: Tensor;
  if (reduction === "none") {
    out = empty(input.shape, input.dtype);
    const o = out.data;
    for (let i = 0; i < n; i++) o[i] = diff[i] * diff[i];
  } else {
    // Squares rounded to the dtype one by one, summed, then scaled as mean() scales.
    let sum = 0;
    for (let i = 0; i < n; i++) sum += round(diff[i] * diff[i]);
    out = empty([], input.dtype);
    out.data[0] = sum;
    if (reduction === "mean") out.data[0] = out.data[0] * invN;
  }
  return record(out, MSE_LOSS, [input, target], [input, target, SAVES_STATE], (g) => {
    const gi = empty(input.shape, input.dtype);
    const o = gi.data, gd = g.data;
    if (reduction === "none") for (let i = 0; i < n; i++) o[i] = 2 * (gd[i] * diff[i]);
    else {
      const scale = round(reduction === "mean" ? gd[0] * invN : gd[0]);
      for (let i = 0; i < n; i++) o[i] = 2 * (scale * diff[i]);
    }
    return [input.requiresGrad ? gi : null, target.requiresGrad ? gi.neg() : null];
  });
}

export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  checkOptions("l1Loss", options, ["reduction"], "{ reduction: \"sum\" }", []);
  checkSameShape(input, target, "l1Loss");
  return reduce(input.sub(target).abs(), options.reduction, "l1Loss");
}

export interface ClassLossOptions extends LossOptions {
  /** A weight per class [C]: each sample's loss is scaled by its class's weight, and "mean" divides by the weights' sum. */
  weight?: Tensor | null;
  /** Targets equal to this are left out (no loss, no gradient, not counted by "mean"). */
  ignoreIndex?: number;
}

/**
 * The class dimension moved last and flattened: [N, C] stays, [C] becomes [1, C], [N, C, d…]
 * becomes [N·d…, C]; targets flattened alike. Checks target shapes and values as PyTorch does.
 */
function classRows(input: Tensor, target: Tensor, ignoreIndex: number, op: string): { rows: Tensor; targets: Float64Array; classes: number } {
  checkTensor(input, op, "input");
  checkTensor(target, op, "target");
  if (input.ndim === 0) throw new RangeError(`${op}: expected input of shape [N, C], [C] or [N, C, d1, …], got a 0-d tensor`);
  const classes = input.ndim === 1 ? input.shape[0] : input.shape[1];
  const want = input.ndim === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (!sameShape(target.shape, want)) {
    throw new RangeError(`${op}: expected target of shape ${fmt(want)} (one class index per ${input.ndim === 1 ? "input" : "row"} of input ${fmt(input.shape)}), got ${fmt(target.shape)}`);
  }
  const targets = Float64Array.from(target.data);
  for (const t of targets) {
    if (t === ignoreIndex) continue;
    if (!Number.isInteger(t)) throw new TypeError(`${op}: class targets must be whole numbers (class indices), got ${t}; for class probabilities, pass a target of the input's shape`);
    if (t < 0 || t >= classes) throw new RangeError(`${op}: target ${t} is out of bounds for ${classes} classes (0 to ${classes - 1})`);
  }
  let rows = input;
  if (input.ndim === 1) rows = input.unsqueeze(0);
  else if (input.ndim > 2) rows = input.reshape(input.shape[0], classes, -1).transpose(1, 2).reshape(-1, classes);
  return { rows, targets, classes };
}

function classWeight(weight: Tensor | null | undefined, classes: number, op: string): Tensor | null {
  if (weight === undefined || weight === null) return null;
  checkTensor(weight, op, "weight");
  if (weight.ndim !== 1 || weight.shape[0] !== classes) throw new RangeError(`${op}: weight must have one value per class ([${classes}]), got shape ${fmt(weight.shape)}`);
  return weight;
}

/** The per-sample losses reduced as PyTorch's class losses: "mean" divides by the counted weight. */
function reduceClassLoss(perSample: Tensor, total: number, reduction: Reduction | undefined, shape: readonly number[], op: string): Tensor {
  switch (reduction ?? "mean") {
    case "mean": return perSample.sum().div(total);
    case "sum": return perSample.sum();
    case "none": return perSample.reshape(shape);
    default: throw new RangeError(`${op}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(reduction)}`);
  }
}

const NLL = defineOp("nllLoss");
/** −w[t]·x[t] per row of `rows` [R, C] (0 where the target is ignored), as one op. */
function pickedLoss(rows: Tensor, targets: Float64Array, weight: Tensor | null, ignoreIndex: number): { loss: Tensor; total: number } {
  const [r, c] = rows.shape;
  const picked = empty([r], rows.dtype);
  let total = 0;
  const w = (t: number) => (weight === null ? 1 : weight.data[t]);
  for (let i = 0; i < r; i++) {
    const t = targets[i];
    if (t === ignoreIndex) continue;
    picked.data[i] = -w(t) * rows.data[i * c + t];
    total += w(t);
  }
  const loss = record(picked, NLL, [rows], [SAVES_STATE], (g) => {
    const gx = empty(rows.shape, g.dtype);
    for (let i = 0; i < r; i++) {
      const t = targets[i];
      if (t !== ignoreIndex) gx.data[i * c + t] = -w(t) * g.data[i];
    }
    return [gx];
  });
  return { loss, total };
}

const CLASS_LOSS_KEYS = ["reduction", "weight", "ignoreIndex"];

/** Negative log likelihood of log-probabilities [N, C] (or [C], or [N, C, d…]) at integer class targets. */
export function nllLoss(logProbs: Tensor, target: Tensor, options: ClassLossOptions = {}): Tensor {
  checkOptions("nllLoss", options, CLASS_LOSS_KEYS, "{ reduction: \"sum\" }");
  const ignoreIndex = options.ignoreIndex ?? -100;
  const { rows, targets, classes } = classRows(logProbs, target, ignoreIndex, "nllLoss");
  const weight = classWeight(options.weight, classes, "nllLoss");
  const { loss, total } = pickedLoss(rows, targets, weight, ignoreIndex);
  return reduceClassLoss(loss, total, options.reduction, target.shape, "nllLoss");
}

export interface CrossEntropyOptions extends ClassLossOptions {
  /** Mixes the target with the uniform distribution: (1 − ε)·target + ε/C. */
  labelSmoothing?: number;
}

/**
 * Cross entropy of raw logits [N, C] (or [C], or [N, C, d…]) against class indices (target shaped
 * like the input without C) or class probabilities (a target of the input's own shape).
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkOptions("crossEntropy", options, [...CLASS_LOSS_KEYS, "labelSmoothing"], "{ reduction: \"sum\" }");
  checkTensor(logits, "crossEntropy", "input");
  checkTensor(target, "crossEntropy", "target");
  const eps = options.labelSmoothing ?? 0;
  if (typeof eps !== "number" || !(eps >= 0 && eps <= 1)) throw new RangeError(`crossEntropy: labelSmoothing must be between 0 and 1, got ${String(eps)}`);
  if (logits.ndim === 0) throw new RangeError("crossEntropy: expected input of shape [N, C], [C] or [N, C, d1, …], got a 0-d tensor");
  const classDim = logits.ndim === 1 ? 0 : 1;
  const classes = logits.shape[classDim];
  const weight = classWeight(options.weight, classes, "crossEntropy");
  const logp = logits.logSoftmax(classDim);
  const wView = weight === null ? null : weight.reshape(logits.shape.map((s, i) => (i === classDim ? s : 1)));
  if (sameShape(target.shape, logits.shape) && logits.ndim > 0) {
    // Probability targets: −Σ_c w_c·p_c·log q_c per sample; "mean" averages over samples (not
    // weights). ignoreIndex doesn't apply (there are no indices), as in PyTorch.
    const p = eps > 0 ? target.mul(1 - eps).add(eps / classes) : target;
    const terms = wView === null ? logp.mul(p) : logp.mul(p).mul(wView);
    const perSample = terms.sum(classDim).neg();
    return reduceClassLoss(perSample, perSample.numel(), options.reduction, perSample.shape, "crossEntropy");
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  const { rows, targets } = classRows(logp, target, ignoreIndex, "crossEntropy");
  const { loss, total } = pickedLoss(rows, targets, weight, ignoreIndex);
  const nll = reduceClassLoss(loss, total, options.reduction, target.shape, "crossEntropy");
  if (eps === 0) return nll;
  // Label smoothing (as PyTorch): (1 − ε)·nll + ε/C·Σ_c −w_c·log q_c, ignored samples left out,
  // "mean" dividing by the same count (or weight) as the nll term.
  const wRows = weight === null ? rows : rows.mul(weight);
  const keep = empty([rows.shape[0]], rows.dtype);
  let counted = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i] !== ignoreIndex) { keep.data[i] = 1; counted++; }
  const smooth = wRows.sum(1).neg().mul(keep);
  const smoothReduced = reduceClassLoss(smooth, weight === null ? counted : total, options.reduction, target.shape, "crossEntropy");
  return nll.mul(1 - eps).add(smoothReduced.mul(eps / classes));
}

/** Binary cross entropy on probabilities; logs are clamped at -100 as in PyTorch. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  checkOptions("binaryCrossEntropy", options, ["reduction"], "{ reduction: \"sum\" }", ["weight"]);
  checkSameShape(input, target, "binaryCrossEntropy");
  for (const v of input.data) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`binaryCrossEntropy: all input elements should be between 0 and 1, found ${v} (apply sigmoid first, or use binaryCrossEntropyWithLogits)`);
  }
  return reduce(bceElementwise(input, target), options.reduction, "binaryCrossEntropy");
}

const BCE = defineOp("binaryCrossEntropy");
const BCE_EPSILON = Math.fround(1e-12);
/** Fused like PyTorch's: logs clamped at −100, and a gradient that stays finite at p = 0 or 1. */
function bceElementwise(p: Tensor, y: Tensor): Tensor {
  const out = empty(p.shape, resultDType(p, y));
  const logs = (pv: number) => [Math.max(Math.log(pv), -100), Math.max(Math.log1p(-pv), -100)];
  for (let i = 0; i < out.data.length; i++) {
    const [lp, l1p] = logs(p.data[i]);
    out.data[i] = -(y.data[i] * lp + (1 - y.data[i]) * l1p);
  }
  return record(out, BCE, [p, y], [p, y], (g) => {
    // d/dp = (p − y) / max(p(1 − p), ε) with PyTorch's ε (1e-12 as a float32); d/dy = log(1 − p) − log p.
    const gp = p.requiresGrad ? empty(p.shape, p.dtype) : null;
    const gy = y.requiresGrad ? empty(y.shape, y.dtype) : null;
    for (let i = 0; i < g.data.length; i++) {
      const pv = p.data[i];
      if (gp) gp.data[i] = (g.data[i] * (pv - y.data[i])) / Math.max(pv * (1 - pv), BCE_EPSILON);
      if (gy) {
        const [lp, l1p] = logs(pv);
        gy.data[i] = g.data[i] * (l1p - lp);
      }
    }
    return [gp, gy];
  });
}

/** Numerically stable BCE on logits: (1 − y)·x + (1 + (w − 1)·y)·softplus(−x). */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: LossOptions & { posWeight?: Tensor } = {}): Tensor {
  checkOptions("binaryCrossEntropyWithLogits", options, ["reduction", "posWeight"], "{ reduction: \"sum\" }", ["weight"]);
  checkSameShape(input, target, "binaryCrossEntropyWithLogits");
  // softplus is smooth at 0, so the gradient at a logit of exactly 0 is σ(0)-based, as PyTorch's.
  const sp = softplusOp(input.neg(), 1, Infinity);
  const weight = options.posWeight ? options.posWeight.sub(1).mul(target).add(1) : null;
  const loss = target.neg().add(1).mul(input).add(weight ? weight.mul(sp) : sp);
  return reduce(loss, options.reduction, "binaryCrossEntropyWithLogits");
}

