/**
 * Learning-rate schedulers (torch.optim.lr_scheduler). `step()` advances one epoch; StepLR and
 * CosineAnnealingLR update the group's current lr (PyTorch's chainable form), LambdaLR scales the
 * initial lr. A scheduler's `step()` never touches gradients.
 */
import { Optimizer } from "./optimizer";

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
  constructor(optimizer: Optimizer, readonly stepSize: number, readonly gamma = 0.1) {
    super(optimizer);
    if (!(Number.isInteger(stepSize) && stepSize > 0)) throw new RangeError(`StepLR: stepSize must be a positive integer, got ${stepSize}`);
  }
  protected nextLr(epoch: number, lr: number): number {
    return epoch === 0 || epoch % this.stepSize !== 0 ? lr : lr * this.gamma;
  }
}

/** Cosine from the initial lr down to etaMin over TMax epochs (PyTorch's recursive form). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly TMax: number, readonly etaMin = 0) {
    super(optimizer);
    if (!(TMax > 0)) throw new RangeError(`CosineAnnealingLR: TMax must be positive, got ${TMax}`);
  }
  protected nextLr(epoch: number, lr: number, base: number): number {
    const { TMax, etaMin } = this;
    if (epoch === 0) return lr;
    if ((epoch - 1 - TMax) % (2 * TMax) === 0) return lr + ((base - etaMin) * (1 - Math.cos(Math.PI / TMax))) / 2;
    return ((1 + Math.cos((Math.PI * epoch) / TMax)) / (1 + Math.cos((Math.PI * (epoch - 1)) / TMax))) * (lr - etaMin) + etaMin;
  }
}

/** lr = initial lr × lrLambda(epoch), one lambda or one per group. */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];
  constructor(optimizer: Optimizer, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[]) {
    super(optimizer);
    const n = optimizer.paramGroups.length;
    this.lambdas = Array.isArray(lrLambda) ? lrLambda : new Array(n).fill(lrLambda);
    if (this.lambdas.length !== n) throw new RangeError(`LambdaLR: expected ${n} lrLambdas, got ${this.lambdas.length}`);
    optimizer.paramGroups.forEach((g, i) => (g.lr = this.baseLrs[i] * this.lambdas[i](0)));
  }
  /** Not chainable (as PyTorch's LambdaLR): always the initial lr times the lambda. */
  protected nextLr(epoch: number, _lr: number, base: number, i: number): number {
    return base * this.lambdas[i](epoch);
  }
}
