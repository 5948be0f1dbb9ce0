/**
 * Learning-rate schedulers (torch.optim.lr_scheduler). Each computes the lr of epoch `lastEpoch`
 * in closed form from the group's initial lr; `step()` advances one epoch. A scheduler's
 * `step()` never touches gradients.
 */
import { Optimizer } from "./optimizer";

export abstract class LRScheduler {
  lastEpoch = 0;
  protected readonly baseLrs: number[];

  constructor(readonly optimizer: Optimizer) {
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${this.constructor.name}: expected an Optimizer, got ${typeof optimizer}`);
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr ?? g.lr);
  }

  protected abstract lrAt(epoch: number, baseLr: number, groupIndex: number): number;

  /** Advances one epoch and writes the new lr into every parameter group. */
  step(): void {
    this.lastEpoch++;
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i], i)));
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
  protected lrAt(epoch: number, base: number): number {
    return base * Math.pow(this.gamma, Math.floor(epoch / this.stepSize));
  }
}

/** Cosine from the initial lr down to etaMin over TMax epochs. */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly TMax: number, readonly etaMin = 0) {
    super(optimizer);
    if (!(TMax > 0)) throw new RangeError(`CosineAnnealingLR: TMax must be positive, got ${TMax}`);
  }
  protected lrAt(epoch: number, base: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.TMax))) / 2;
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
    optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(0, this.baseLrs[i], i)));
  }
  protected lrAt(epoch: number, base: number, i: number): number {
    return base * this.lambdas[i](epoch);
  }
}
