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

  /** The lr at `epoch` from the initial lr alone, for schedulers that have one (used when a SequentialLR restarts them). */
  protected closedFormLr(_epoch: number, _baseLr: number, _groupIndex: number): number | null {
    return null;
  }

  /** Advances one epoch and writes the new lr into every parameter group. */
  step(): void {
    this.lastEpoch++;
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.nextLr(this.lastEpoch, g.lr, this.baseLrs[i], i)));
  }

  /** Jumps to `epoch` (PyTorch's deprecated `step(epoch)`, which SequentialLR uses at a milestone). */
  stepTo(epoch: number): void {
    this.lastEpoch = epoch;
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.closedFormLr(epoch, this.baseLrs[i], i) ?? this.nextLr(epoch, g.lr, this.baseLrs[i], i)));
  }

  /** What PyTorch's constructor does: epoch 0's lr from the current one (most schedulers keep it). */
  protected initialStep(): void {
    this.lastEpoch = 0;
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.nextLr(0, g.lr, this.baseLrs[i], i)));
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Takes epoch 0's step again (SequentialLR restarts its first scheduler so). */
  restart(): void {
    this.initialStep();
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
  protected override closedFormLr(epoch: number, base: number): number {
    return base * Math.pow(this.gamma, Math.floor(epoch / this.stepSize));
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
  protected override closedFormLr(epoch: number, base: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.TMax))) / 2;
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
    this.initialStep();
  }
  /** Not chainable (as PyTorch's LambdaLR): always the initial lr times the lambda. */
  protected nextLr(epoch: number, _lr: number, base: number, i: number): number {
    return base * this.lambdas[i](epoch);
  }
}

type Group = Optimizer["paramGroups"][number];

/** Scales the lr linearly from startFactor × the initial lr to endFactor × it over totalIters epochs (a warm-up). */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  constructor(optimizer: Optimizer, options: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    super(optimizer);
    checkOptions("LinearLR", options, ["startFactor", "endFactor", "totalIters"], "{ startFactor: 0.1, totalIters: 100 }");
    this.startFactor = options.startFactor ?? 1 / 3;
    this.endFactor = options.endFactor ?? 1;
    this.totalIters = options.totalIters ?? 5;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) throw new RangeError(`LinearLR: startFactor must be greater than 0 and at most 1, got ${this.startFactor}`);
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new RangeError(`LinearLR: endFactor must be between 0 and 1, got ${this.endFactor}`);
    if (!(Number.isInteger(this.totalIters) && this.totalIters > 0)) throw new RangeError(`LinearLR: totalIters must be a positive integer, got ${this.totalIters}`);
    this.initialStep();
  }
  protected nextLr(epoch: number, lr: number): number {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    if (epoch === 0) return lr * s;
    if (epoch > n) return lr;
    return lr * (1 + (e - s) / (n * s + (epoch - 1) * (e - s)));
  }
  protected override closedFormLr(epoch: number, base: number): number {
    return base * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, epoch)) / this.totalIters);
  }
}

export interface OneCycleOptions {
  maxLr: number | number[];
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: "cos" | "linear";
  /** Cycle momentum (SGD's momentum, or Adam's β₁) inversely to the lr. */
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
}

/**
 * The 1cycle policy: the lr rises from maxLr/divFactor to maxLr over pctStart of the steps, then
 * anneals to maxLr/(divFactor·finalDivFactor); momentum moves the other way. Call step() once per
 * batch; stepping past totalSteps is an error, as in PyTorch.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  private readonly phases: { end: number; lr: [string, string]; momentum: [string, string] }[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly cycleMomentum: boolean;
  private readonly usesBetas: boolean;
  constructor(optimizer: Optimizer, options: OneCycleOptions) {
    super(optimizer);
    const o = schedulerOptions("OneCycleLR", options, ["maxLr", "totalSteps", "epochs", "stepsPerEpoch", "pctStart", "annealStrategy", "cycleMomentum", "baseMomentum", "maxMomentum", "divFactor", "finalDivFactor", "threePhase"], ["maxLr"], "{ maxLr: 0.1, totalSteps: 1000 }");
    if (o.totalSteps !== undefined) this.totalSteps = o.totalSteps;
    else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) this.totalSteps = o.epochs * o.stepsPerEpoch;
    else throw new TypeError("OneCycleLR: give totalSteps, or both epochs and stepsPerEpoch");
    if (!(Number.isInteger(this.totalSteps) && this.totalSteps > 0)) throw new RangeError(`OneCycleLR: totalSteps must be a positive integer, got ${this.totalSteps}`);
    const pct = o.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new RangeError(`OneCycleLR: pctStart must be between 0 and 1, got ${pct}`);
    const strategy = o.annealStrategy ?? "cos";
    if (strategy !== "cos" && strategy !== "linear") throw new RangeError(`OneCycleLR: annealStrategy must be "cos" or "linear", got ${JSON.stringify(strategy)}`);
    this.anneal = strategy === "cos" ? (a, b, t) => b + ((a - b) / 2) * (Math.cos(Math.PI * t) + 1) : (a, b, t) => (b - a) * t + a;
    const n = this.totalSteps;
    this.phases = o.threePhase
      ? [
        { end: pct * n - 1, lr: ["initialLr", "maxLr"], momentum: ["maxMomentum", "baseMomentum"] },
        { end: 2 * pct * n - 2, lr: ["maxLr", "initialLr"], momentum: ["baseMomentum", "maxMomentum"] },
        { end: n - 1, lr: ["initialLr", "minLr"], momentum: ["maxMomentum", "maxMomentum"] },
      ]
      : [
        { end: pct * n - 1, lr: ["initialLr", "maxLr"], momentum: ["maxMomentum", "baseMomentum"] },
        { end: n - 1, lr: ["maxLr", "minLr"], momentum: ["baseMomentum", "maxMomentum"] },
      ];
    const groups = optimizer.paramGroups;
    const maxLrs = Array.isArray(o.maxLr) ? o.maxLr : groups.map(() => o.maxLr as number);
    if (maxLrs.length !== groups.length) throw new RangeError(`OneCycleLR: expected ${groups.length} maxLr values (one per parameter group), got ${maxLrs.length}`);
    this.cycleMomentum = o.cycleMomentum ?? true;
    this.usesBetas = groups.every((g) => Array.isArray(g.betas));
    if (this.cycleMomentum && !this.usesBetas && !groups.every((g) => typeof g.momentum === "number")) {
      throw new Error("OneCycleLR: optimizer must support momentum or betas with cycleMomentum enabled (pass cycleMomentum: false)");
    }
    const divFactor = o.divFactor ?? 25, finalDivFactor = o.finalDivFactor ?? 1e4;
    groups.forEach((g, i) => {
      const initialLr = maxLrs[i] / divFactor;
      Object.assign(g, { lr: initialLr, initialLr, maxLr: maxLrs[i], minLr: initialLr / finalDivFactor });
      if (this.cycleMomentum) {
        Object.assign(g, { maxMomentum: o.maxMomentum ?? 0.95, baseMomentum: o.baseMomentum ?? 0.85 });
        this.setMomentum(g, g.maxMomentum as number);
      }
    });
    this.initialStep();
  }

  private setMomentum(g: Group, m: number): void {
    if (this.usesBetas) g.betas = [m, (g.betas as [number, number])[1]];
    else g.momentum = m;
  }

  protected override initialStep(): void {
    this.lastEpoch = 0;
    this.apply(0);
  }

  override step(): void {
    this.lastEpoch++;
    this.apply(this.lastEpoch);
  }

  override stepTo(epoch: number): void {
    this.lastEpoch = epoch;
    this.apply(epoch);
  }

  private apply(stepNum: number): void {
    if (stepNum > this.totalSteps) {
      throw new RangeError(`OneCycleLR: tried to step ${stepNum} times; totalSteps is ${this.totalSteps} (give totalSteps, or epochs and stepsPerEpoch, that cover the whole run)`);
    }
    for (const g of this.optimizer.paramGroups) {
      let start = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i];
        if (stepNum <= phase.end || i === this.phases.length - 1) {
          const pct = (stepNum - start) / (phase.end - start);
          g.lr = this.anneal(g[phase.lr[0]] as number, g[phase.lr[1]] as number, pct);
          if (this.cycleMomentum) this.setMomentum(g, this.anneal(g[phase.momentum[0]] as number, g[phase.momentum[1]] as number, pct));
          break;
        }
        start = phase.end;
      }
    }
  }

  protected nextLr(_epoch: number, lr: number): number {
    return lr;
  }
}

/** Runs one scheduler until the first milestone, the next until the second, and so on (each restarted at its milestone). */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];
  constructor(optimizer: Optimizer, options: { schedulers: LRScheduler[]; milestones: number[] }) {
    super(optimizer);
    const o = schedulerOptions("SequentialLR", options, ["schedulers", "milestones"], ["schedulers", "milestones"], "{ schedulers: [warmup, decay], milestones: [100] }");
    if (!Array.isArray(o.schedulers) || o.schedulers.length === 0 || !o.schedulers.every((s) => s instanceof LRScheduler)) throw new TypeError("SequentialLR: schedulers must be a non-empty array of schedulers");
    if (o.schedulers.some((s) => s.optimizer !== optimizer)) throw new RangeError("SequentialLR: every scheduler must belong to the same optimizer as the SequentialLR");
    if (!Array.isArray(o.milestones) || o.milestones.length !== o.schedulers.length - 1) {
      throw new RangeError(`SequentialLR: expected ${o.schedulers.length - 1} milestones (one fewer than the schedulers), got ${Array.isArray(o.milestones) ? o.milestones.length : typeof o.milestones}`);
    }
    this.schedulers = o.schedulers;
    this.milestones = o.milestones;
    // As PyTorch: the lrs go back to the initial ones, and only the first scheduler takes its initial step.
    optimizer.paramGroups.forEach((g, i) => (g.lr = this.baseLrs[i]));
    for (const s of this.schedulers) s.lastEpoch--;
    this.schedulers[0].restart();
  }

  override step(): void {
    this.lastEpoch++;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx] <= this.lastEpoch) idx++;
    const scheduler = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.stepTo(0);
    else scheduler.step();
  }

  protected nextLr(_epoch: number, lr: number): number {
    return lr;
  }
}

/** Steps several schedulers together each epoch (their effects multiply, each in chainable form). */
export class ChainedScheduler extends LRScheduler {
  readonly schedulers: LRScheduler[];
  constructor(schedulers: LRScheduler[]) {
    if (!Array.isArray(schedulers) || schedulers.length === 0 || !schedulers.every((s) => s instanceof LRScheduler)) throw new TypeError("ChainedScheduler: expected a non-empty array of schedulers");
    super(schedulers[0].optimizer);
    if (schedulers.some((s) => s.optimizer !== this.optimizer)) throw new RangeError("ChainedScheduler: every scheduler must belong to the same optimizer");
    this.schedulers = schedulers;
  }
  override step(): void {
    this.lastEpoch++;
    for (const s of this.schedulers) s.step();
  }
  protected nextLr(_epoch: number, lr: number): number {
    return lr;
  }
}

export interface ReduceLROnPlateauOptions {
  mode?: "min" | "max";
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: "rel" | "abs";
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
}

/**
 * Reduces the lr by `factor` when a metric (passed to `step(metric)`) has not improved for
 * `patience` epochs, then waits `cooldown` epochs; never below minLr, and not for changes < eps.
 */
export class ReduceLROnPlateau {
  readonly mode: "min" | "max";
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: "rel" | "abs";
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  constructor(readonly optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`ReduceLROnPlateau: expected an Optimizer, got ${typeof optimizer}`);
    checkOptions("ReduceLROnPlateau", options, ["mode", "factor", "patience", "threshold", "thresholdMode", "cooldown", "minLr", "eps"], "{ mode: \"min\", factor: 0.1, patience: 10 }");
    this.mode = options.mode ?? "min";
    this.thresholdMode = options.thresholdMode ?? "rel";
    if (this.mode !== "min" && this.mode !== "max") throw new RangeError(`ReduceLROnPlateau: mode must be "min" or "max", got ${JSON.stringify(this.mode)}`);
    if (this.thresholdMode !== "rel" && this.thresholdMode !== "abs") throw new RangeError(`ReduceLROnPlateau: thresholdMode must be "rel" or "abs", got ${JSON.stringify(this.thresholdMode)}`);
    this.factor = options.factor ?? 0.1;
    if (!(this.factor < 1 && this.factor >= 0)) throw new RangeError(`ReduceLROnPlateau: factor should be < 1.0, got ${this.factor}`);
    this.patience = options.patience ?? 10;
    this.threshold = options.threshold ?? 1e-4;
    this.cooldown = options.cooldown ?? 0;
    this.eps = options.eps ?? 1e-8;
    const n = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    this.minLrs = Array.isArray(minLr) ? [...minLr] : new Array(n).fill(minLr);
    if (this.minLrs.length !== n) throw new RangeError(`ReduceLROnPlateau: expected ${n} minLr values (one per parameter group), got ${this.minLrs.length}`);
    this.best = this.mode === "min" ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { best, threshold: t } = this;
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < best * (1 - t) : a < best - t;
    return this.thresholdMode === "rel" ? a > best * (1 + t) : a > best + t;
  }

  /** Records this epoch's metric (a number or a 0-d tensor) and lowers the lr if it has plateaued. */
  step(metric: number | { item(): number }): void {
    const current = typeof metric === "number" ? metric : metric !== null && typeof metric === "object" && typeof metric.item === "function" ? metric.item() : NaN;
    if (typeof metric !== "number" && Number.isNaN(current)) throw new TypeError("ReduceLROnPlateau.step: expected the metric as a number or a 0-d tensor");
    this.lastEpoch++;
    if (this.isBetter(current)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}
