/**
 * Learning-rate schedulers (torch.optim.lr_scheduler). `step()` advances one epoch; StepLR and
 * CosineAnnealingLR update the group's current lr (PyTorch's chainable form), LambdaLR scales the
 * initial lr. A scheduler's `step()` never touches gradients.
 */
import { checkNumberOption, checkOptions } from "../options";
import { Optimizer } from "./optimizer";

/** Options as optimizers take them: one object, checked strictly; required ones named when missing. */
function schedulerOptions<T extends object>(where: string, options: T | undefined, known: (keyof T & string)[], required: (keyof T & string)[], example: string): T {
  if (options === undefined) throw new TypeError(`${where}: options are required, like ${example}`);
  checkOptions(where, options, known, example);
  for (const key of required) if ((options as Record<string, unknown>)[key] === undefined) throw new TypeError(`${where}: option "${key}" is required, like ${example}`);
  return options;
}

export abstract class LRScheduler {
  lastEpoch = 0;
  protected readonly baseLrs: number[];

  constructor(readonly optimizer: Optimizer) {
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${this.constructor.name}: expected an Optimizer, got ${typeof optimizer}`);
    // The first scheduler on an optimizer records each group's initial lr; later ones reuse it.
    for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
  }

  /**
   * The lr for `epoch` given the group's current lr (PyTorch's chainable form: schedulers on one
   * optimizer compose, and an lr the user set in between is taken from there).
   */
  protected abstract nextLr(epoch: number, lr: number, baseLr: number, groupIndex: number): number;

  /** Advances one epoch and writes the new lr into every parameter group. */
  step(): void {
    this.lastEpoch++;
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.nextLr(this.lastEpoch, g.lr, this.baseLrs[i], i)));
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/** Multiplies the lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: Optimizer, options: { stepSize: number; gamma?: number }) {
    super(optimizer);
    const o = schedulerOptions("StepLR", options, ["stepSize", "gamma"], ["stepSize"], "{ stepSize: 10, gamma: 0.1 }");
    checkNumberOption("StepLR", "gamma", o.gamma);
    if (!(Number.isInteger(o.stepSize) && o.stepSize > 0)) throw new RangeError(`StepLR: option "stepSize" must be a positive integer, got ${o.stepSize}`);
    this.stepSize = o.stepSize;
    this.gamma = o.gamma ?? 0.1;
  }
  protected nextLr(epoch: number, lr: number): number {
    return epoch === 0 || epoch % this.stepSize !== 0 ? lr : lr * this.gamma;
  }
}

/** Cosine from the initial lr down to etaMin over TMax epochs (PyTorch's recursive form). */
export class CosineAnnealingLR extends LRScheduler {
  readonly TMax: number;
  readonly etaMin: number;
  constructor(optimizer: Optimizer, options: { TMax: number; etaMin?: number }) {
    super(optimizer);
    const o = schedulerOptions("CosineAnnealingLR", options, ["TMax", "etaMin"], ["TMax"], "{ TMax: 100, etaMin: 0 }");
    checkNumberOption("CosineAnnealingLR", "etaMin", o.etaMin);
    if (!(typeof o.TMax === "number" && o.TMax > 0)) throw new RangeError(`CosineAnnealingLR: option "TMax" must be positive, got ${o.TMax}`);
    this.TMax = o.TMax;
    this.etaMin = o.etaMin ?? 0;
  }
  protected nextLr(epoch: number, lr: number, base: number): number {
    const { TMax, etaMin } = this;
    if (epoch === 0) return lr;
    if ((epoch - 1 - TMax) % (2 * TMax) === 0) return lr + ((base - etaMin) * (1 - Math.cos(Math.PI / TMax))) / 2;
    return ((1 + Math.cos((Math.PI * epoch) / TMax)) / (1 + Math.cos((Math.PI * (epoch - 1)) / TMax))) * (lr - etaMin) + etaMin;
  }
}

type LrLambda = (epoch: number) => number;

/** lr = initial lr × lrLambda(epoch), one lambda or one per group. */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: LrLambda[];
  constructor(optimizer: Optimizer, options: { lrLambda: LrLambda | LrLambda[] }) {
    super(optimizer);
    const { lrLambda } = schedulerOptions("LambdaLR", options, ["lrLambda"], ["lrLambda"], "{ lrLambda: (epoch) => 0.95 ** epoch }");
    const n = optimizer.paramGroups.length;
    this.lambdas = Array.isArray(lrLambda) ? lrLambda : new Array(n).fill(lrLambda);
    if (this.lambdas.some((f) => typeof f !== "function")) throw new TypeError(`LambdaLR: option "lrLambda" must be a function of the epoch (or one per parameter group)`);
    if (this.lambdas.length !== n) throw new RangeError(`LambdaLR: expected ${n} lrLambdas (one per parameter group), got ${this.lambdas.length}`);
    optimizer.paramGroups.forEach((g, i) => (g.lr = this.baseLrs[i] * this.lambdas[i](0)));
  }
  /** Not chainable (as PyTorch's LambdaLR): always the initial lr times the lambda. */
  protected nextLr(epoch: number, _lr: number, base: number, i: number): number {
    return base * this.lambdas[i](epoch);
  }
}
