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
import { checkTensor } from "../ops/record";
import { Module, Parameter } from "./module";

/** Normalises over the trailing dims given by `normalizedShape`, then scales and shifts. */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  checkTensor(x, "layerNorm");
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  const k = shape.length;
  if (k === 0 || k > x.ndim || shape.some((s, i) => s !== x.shape[x.ndim - k + i])) {
    throw new RangeError(`layerNorm: normalizedShape ${fmt(shape)} must match the last dimensions of the input's shape ${fmt(x.shape)}`);
  }
  const dims = shape.map((_, i) => x.ndim - k + i);
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
