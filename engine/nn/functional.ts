/** nn.functional: stateless activations and losses. Losses check shapes and targets up front. */
import { Tensor } from "../tensor";
import { fmt, sameShape } from "../shape";
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

function checkClassTargets(input: Tensor, target: Tensor, op: string): void {
  checkTensor(input, op, "input");
  checkTensor(target, op, "target");
  if (input.ndim !== 2 && input.ndim !== 1) throw new RangeError(`${op}: expected input of shape [N, C] or [C], got ${fmt(input.shape)}`);
  const n = input.ndim === 2 ? input.shape[0] : 1;
  if (target.numel() !== n || target.ndim > 1) {
    throw new RangeError(`${op}: expected target of shape [${n}] (one class index per row of input ${fmt(input.shape)}), got ${fmt(target.shape)}`);
  }
  const classes = input.shape[input.ndim - 1];
  for (const t of target.data) {
    if (!Number.isInteger(t)) throw new TypeError(`${op}: class targets must be whole numbers (class indices), got ${t}; for class probabilities, use a soft-target loss`);
    if (t < 0 || t >= classes) throw new RangeError(`${op}: target ${t} is out of bounds for ${classes} classes (0 to ${classes - 1})`);
  }
}

const NLL = defineOp("nllLoss");
/** Negative log likelihood of log-probabilities [N, C] at integer class targets [N]. */
export function nllLoss(logProbs: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  checkOptions("nllLoss", options, ["reduction"], "{ reduction: \"sum\" }", ["weight", "ignoreIndex"]);
  checkClassTargets(logProbs, target, "nllLoss");
  const x = logProbs.ndim === 1 ? logProbs.unsqueeze(0) : logProbs;
  const [n, c] = x.shape;
  const picked = empty([n], x.dtype);
  for (let i = 0; i < n; i++) picked.data[i] = -x.data[i * c + target.data[i]];
  const perRow = record(picked, NLL, [x], [SAVES_STATE], (g) => {
    const gx = empty(x.shape, g.dtype);
    for (let i = 0; i < n; i++) gx.data[i * c + target.data[i]] = -g.data[i];
    return [gx];
  });
  const out = reduce(perRow, options.reduction, "nllLoss");
  return logProbs.ndim === 1 && options.reduction === "none" ? out.squeeze(0) : out;
}

/** Cross entropy of raw logits [N, C] against integer class targets [N] (log-softmax + NLL). */
export function crossEntropy(logits: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  checkOptions("crossEntropy", options, ["reduction"], "{ reduction: \"sum\" }", ["weight", "ignoreIndex", "labelSmoothing"]);
  checkClassTargets(logits, target, "crossEntropy");
  return nllLoss(logits.logSoftmax(-1), target, options);
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

