/**
 * LayerNorm and BatchNorm, composed from differentiable ops (mean, var, sub, div), so their
 * gradients are those ops' gradients. BatchNorm's running statistics are buffers (state_dict keys
 * running_mean, running_var, num_batches_tracked, as PyTorch's) updated without autograd.
 */
import { Tensor } from "../tensor";
import { ones, zeros } from "../creation";
import { fmt } from "../shape";
import { checkOptions } from "../options";
import { noGrad } from "../autograd/gradMode";
import { checkTensor, defineOp, empty, record, SAVES_STATE } from "../ops/record";
import { Module, Parameter } from "./module";

const LAYER_NORM = defineOp("layerNorm");
/**
 * Normalises over the trailing dims given by `normalizedShape`, then scales and shifts: one op,
 * each row's mean and 1/σ kept for backward (the population variance, as PyTorch's).
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  checkTensor(x, "layerNorm");
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  const k = shape.length;
  if (k === 0 || k > x.ndim || shape.some((s, i) => s !== x.shape[x.ndim - k + i])) {
    throw new RangeError(`layerNorm: normalizedShape ${fmt(shape)} must match the last dimensions of the input's shape ${fmt(x.shape)}`);
  }
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t && (t.ndim !== k || t.shape.some((s, i) => s !== shape[i]))) throw new RangeError(`layerNorm: ${name} must have the normalized shape ${fmt(shape)}, got ${fmt(t.shape)}`);
  }
  const w = weight ?? null, b = bias ?? null;
  if ((w && w.dtype !== x.dtype) || (b && b.dtype !== x.dtype)) return layerNormComposed(x, shape, w, b, eps);
  const d = shape.reduce((p, q) => p * q, 1);
  const rows = d === 0 ? 0 : x.numel() / d;
  const out = empty(x.shape, x.dtype);
  const xhat = new Float64Array(x.numel());
  const rstd = new Float64Array(rows);
  const src = x.data, dst = out.data;
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    let mean = 0;
    for (let i = 0; i < d; i++) mean += src[base + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) { const c = src[base + i] - mean; v += c * c; }
    const rs = 1 / Math.sqrt(v / d + eps);
    rstd[r] = rs;
    for (let i = 0; i < d; i++) {
      const h = (src[base + i] - mean) * rs;
      xhat[base + i] = h;
      dst[base + i] = w === null ? (b === null ? h : h + b.data[i]) : b === null ? h * w.data[i] : h * w.data[i] + b.data[i];
    }
  }
  const inputs = [x, w, b];
  return record(out, LAYER_NORM, inputs, w === null ? [SAVES_STATE] : [w, SAVES_STATE], (g) => {
    const gd = g.data;
    const gx = x.requiresGrad ? empty(x.shape, x.dtype) : null;
    const gw = w !== null && w.requiresGrad ? empty(w.shape, w.dtype) : null;
    const gb = b !== null && b.requiresGrad ? empty(b.shape, b.dtype) : null;
    const gwAcc = gw === null ? null : new Float64Array(d), gbAcc = gb === null ? null : new Float64Array(d);
    for (let r = 0; r < rows; r++) {
      const base = r * d;
      // dx = 1/σ · (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), with ĝ = g·w
      let sumG = 0, sumGH = 0;
      for (let i = 0; i < d; i++) {
        const gh = w === null ? gd[base + i] : gd[base + i] * w.data[i];
        sumG += gh;
        sumGH += gh * xhat[base + i];
        if (gwAcc !== null) gwAcc[i] += gd[base + i] * xhat[base + i];
        if (gbAcc !== null) gbAcc[i] += gd[base + i];
      }
      if (gx !== null) {
        const mg = sumG / d, mgh = sumGH / d, rs = rstd[r];
        for (let i = 0; i < d; i++) {
          const gh = w === null ? gd[base + i] : gd[base + i] * w.data[i];
          gx.data[base + i] = rs * (gh - mg - xhat[base + i] * mgh);
        }
      }
    }
    if (gw !== null) gw.data.set(gwAcc!);
    if (gb !== null) gb.data.set(gbAcc!);
    return [gx, gw, gb];
  });
}

/** Mixed dtypes: the same computation from differentiable ops (so promotion is theirs). */
function layerNormComposed(x: Tensor, shape: number[], weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  const dims = shape.map((_, i) => x.ndim - shape.length + i);
  const mean = x.mean(dims, true);
  const variance = x.var(dims, { correction: 0, keepdim: true });
  let y = x.sub(mean).div(variance.add(eps).sqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}

export interface BatchNormArgs {
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  /** The running statistics' update weight; null: a cumulative average (momentum 1/batches seen). */
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over every dimension but the channel one (dim 1). In training (or without
 * running statistics) the batch's own statistics normalise, and the running ones move toward them
 * (the variance unbiased, as PyTorch's); otherwise the running ones normalise.
 */
export function batchNorm(x: Tensor, args: BatchNormArgs): Tensor {
  checkTensor(x, "batchNorm");
  if (x.ndim < 2) throw new RangeError(`batchNorm: expected an input of at least 2 dimensions [N, C, …], got shape ${fmt(x.shape)}`);
  const c = x.shape[1];
  const eps = args.eps ?? 1e-5, momentum = args.momentum ?? 0.1;
  const { runningMean, runningVar } = args;
  const training = args.training ?? true;
  const view = [1, c, ...new Array<number>(x.ndim - 2).fill(1)];
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  let y: Tensor;
  if (training || runningMean === null || runningVar === null) {
    const count = x.numel() / c;
    if (training && count <= 1) throw new RangeError(`batchNorm: expected more than 1 value per channel when training, got input of shape ${fmt(x.shape)}`);
    const mean = x.mean(dims, true);
    const variance = x.var(dims, { correction: 0, keepdim: true });
    y = x.sub(mean).div(variance.add(eps).sqrt());
    if (training && runningMean !== null && runningVar !== null) {
      noGrad(() => {
        const unbiased = variance.detach().mul(count / (count - 1)).reshape(c);
        runningMean.mul_(1 - momentum).add_(mean.detach().reshape(c), momentum);
        runningVar.mul_(1 - momentum).add_(unbiased, momentum);
      });
    }
  } else {
    y = x.sub(runningMean.reshape(view)).div(runningVar.reshape(view).add(eps).sqrt());
  }
  if (args.weight) y = y.mul(args.weight.reshape(view));
  if (args.bias) y = y.add(args.bias.reshape(view));
  return y;
}

export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, whether there is a bias (PyTorch 2.1's `bias`). */
  bias?: boolean;
  dtype?: "float32" | "float64";
}

export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    checkOptions("nn.LayerNorm", options, ["eps", "elementwiseAffine", "bias", "dtype"], "{ eps: 1e-5 }");
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.some((s) => !Number.isInteger(s) || s <= 0)) throw new RangeError(`nn.LayerNorm: normalizedShape must be positive integers, got ${fmt(this.normalizedShape)}`);
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? Parameter(ones(this.normalizedShape, { dtype: options.dtype })) : null;
    this.bias = affine && options.bias !== false ? Parameter(zeros(this.normalizedShape, { dtype: options.dtype })) : null;
  }
  override forward(x: Tensor): Tensor { return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps); }
  protected override extraRepr(): string { return `${fmt(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}`; }
}

export interface BatchNormOptions {
  eps?: number;
  /** null: running statistics are a cumulative average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: "float32" | "float64";
}

abstract class BatchNormNd extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly trackRunningStats: boolean;
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(readonly numFeatures: number, options: BatchNormOptions, private readonly where: string, private readonly ranks: readonly number[]) {
    super();
    checkOptions(where, options, ["eps", "momentum", "affine", "trackRunningStats", "dtype"], "{ momentum: 0.1 }");
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new RangeError(`${where}: numFeatures must be a positive integer, got ${numFeatures}`);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.trackRunningStats = options.trackRunningStats ?? true;
    const affine = options.affine ?? true;
    this.weight = affine ? Parameter(ones([numFeatures], { dtype: options.dtype })) : null;
    this.bias = affine ? Parameter(zeros([numFeatures], { dtype: options.dtype })) : null;
    if (this.trackRunningStats) {
      this.registerBuffer("running_mean", zeros([numFeatures], { dtype: options.dtype }));
      this.registerBuffer("running_var", ones([numFeatures], { dtype: options.dtype }));
      this.registerBuffer("num_batches_tracked", zeros([]));
    }
  }

  get runningMean(): Tensor | null { return this.getBuffer("running_mean") ?? null; }
  get runningVar(): Tensor | null { return this.getBuffer("running_var") ?? null; }
  get numBatchesTracked(): number { return this.getBuffer("num_batches_tracked")?.item() ?? 0; }

  /** Running statistics back to mean 0, variance 1, and no batches seen. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.getBuffer("num_batches_tracked")?.zero_();
    });
  }

  override forward(x: Tensor): Tensor {
    checkTensor(x, this.where);
    if (!this.ranks.includes(x.ndim)) throw new RangeError(`${this.where}: expected a ${this.ranks.join("-D or ")}-D input, got shape ${fmt(x.shape)}`);
    if (x.shape[1] !== this.numFeatures) throw new RangeError(`${this.where}: input of shape ${fmt(x.shape)} has ${x.shape[1]} channels (dim 1), expected ${this.numFeatures}`);
    let momentum = this.momentum ?? 0;
    const batches = this.getBuffer("num_batches_tracked");
    if (this.training && batches) {
      noGrad(() => batches.add_(1));
      if (this.momentum === null) momentum = 1 / batches.item();
    }
    // Batch statistics in training, or always when running statistics aren't tracked.
    const useBatch = this.training || !this.trackRunningStats;
    return batchNorm(x, {
      runningMean: !this.training || this.trackRunningStats ? this.runningMean : null,
      runningVar: !this.training || this.trackRunningStats ? this.runningVar : null,
      weight: this.weight, bias: this.bias, training: useBatch, momentum, eps: this.eps,
    });
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** Batch normalisation of [N, C] or [N, C, L] inputs. */
export class BatchNorm1d extends BatchNormNd {
  constructor(numFeatures: number, options: BatchNormOptions = {}) { super(numFeatures, options, "nn.BatchNorm1d", [2, 3]); }
}

/** Batch normalisation of [N, C, H, W] inputs. */
export class BatchNorm2d extends BatchNormNd {
  constructor(numFeatures: number, options: BatchNormOptions = {}) { super(numFeatures, options, "nn.BatchNorm2d", [4]); }
}
