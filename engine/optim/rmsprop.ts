/** RMSprop and Adagrad, following torch.optim's algorithms (updates in JavaScript, state in the parameter's dtype). */
import { Tensor } from "../tensor";
import { allocate } from "../dtype";
import { checkOptions } from "../options";
import { Optimizer, ParamGroup, Params, StateField } from "./optimizer";
import { bufferValues, optimizerBuffer } from "../wasm/optim";

type Buffer = ReturnType<typeof optimizerBuffer>;

export interface RMSpropOptions {
  lr?: number;
  /** The smoothing constant of the squared-gradient average. */
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  /** Normalise by an estimate of the gradient's variance rather than its second moment. */
  centered?: boolean;
  maximize?: boolean;
}
const RMSPROP_OPTIONS = ["lr", "alpha", "eps", "weightDecay", "momentum", "centered", "maximize"];

/**
 * v ← αv + (1−α)g²; with `centered`, ḡ ← αḡ + (1−α)g and the denominator is √(v − ḡ²) + ε, else
 * √v + ε; with momentum, b ← μb + g/denominator and w ← w − lr·b, else w ← w − lr·g/denominator.
 */
export class RMSprop extends Optimizer {
  constructor(params: Params, options: RMSpropOptions = {}) {
    checkOptions("RMSprop", options, RMSPROP_OPTIONS, "{ lr: 0.01, alpha: 0.99 }", ["foreach", "differentiable", "capturable"]);
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...options });
  }
  protected override optionNames(): readonly string[] { return RMSPROP_OPTIONS; }
  protected override validate(group: ParamGroup): void {
    super.validate(group);
    const { alpha, eps, weightDecay, momentum } = group as ParamGroup & Required<RMSpropOptions>;
    if (!(eps >= 0)) throw new RangeError(`RMSprop: invalid epsilon value: ${eps}`);
    if (!(momentum >= 0)) throw new RangeError(`RMSprop: invalid momentum value: ${momentum}`);
    if (!(weightDecay >= 0)) throw new RangeError(`RMSprop: invalid weightDecay value: ${weightDecay}`);
    if (!(alpha >= 0)) throw new RangeError(`RMSprop: invalid alpha value: ${alpha}`);
  }
  protected override stateFields(): readonly StateField[] {
    return [
      { field: "step", name: "step", kind: "number" },
      { field: "squareAvg", name: "square_avg", kind: "buffer" },
      { field: "momentumBuffer", name: "momentum_buffer", kind: "buffer" },
      { field: "gradAvg", name: "grad_avg", kind: "buffer" },
    ];
  }

  protected update(p: Tensor, grad: ArrayLike<number>, group: ParamGroup, state: Record<string, unknown>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group as ParamGroup & Required<RMSpropOptions>;
    const w = p.data, n = w.length, wide = p.dtype === "float64";
    if (state.step === undefined) {
      state.step = 0;
      state.squareAvg = optimizerBuffer(n, wide, state);
      if (momentum > 0) state.momentumBuffer = optimizerBuffer(n, wide, state);
      if (centered) state.gradAvg = optimizerBuffer(n, wide, state);
    }
    state.step = (state.step as number) + 1;
    const v = bufferValues(state.squareAvg as Buffer);
    const gAvg = centered ? bufferValues(state.gradAvg as Buffer) : null;
    const buf = momentum > 0 ? bufferValues(state.momentumBuffer as Buffer) : null;
    // Each intermediate is rounded to the parameter's dtype, as PyTorch's tensor ops store them.
    const round = wide ? (x: number) => x : Math.fround;
    for (let i = 0; i < n; i++) {
      let g = maximize ? -grad[i] : grad[i];
      if (weightDecay !== 0) g = round(g + weightDecay * w[i]);
      v[i] = round(v[i] * alpha) + round((1 - alpha) * g * g);
      let avg: number;
      if (gAvg !== null) {
        gAvg[i] = round(gAvg[i] * alpha) + round((1 - alpha) * g);
        avg = round(Math.sqrt(round(v[i] - gAvg[i] * gAvg[i])));
      } else avg = round(Math.sqrt(v[i]));
      avg = round(avg + eps);
      if (buf !== null) {
        buf[i] = round(buf[i] * momentum) + round(g / avg);
        w[i] = w[i] - lr * buf[i];
      } else w[i] = w[i] - lr * round(g / avg);
    }
  }
}

export interface AdagradOptions {
  lr?: number;
  /** The lr decays as lr / (1 + (step − 1)·lrDecay). */
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  maximize?: boolean;
}
const ADAGRAD_OPTIONS = ["lr", "lrDecay", "weightDecay", "initialAccumulatorValue", "eps", "maximize"];

/** s ← s + g²; w ← w − lr_t·g/(√s + ε), with lr_t = lr / (1 + (t − 1)·lrDecay). */
export class Adagrad extends Optimizer {
  constructor(params: Params, options: AdagradOptions = {}) {
    checkOptions("Adagrad", options, ADAGRAD_OPTIONS, "{ lr: 0.01 }", ["foreach", "differentiable"]);
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, ...options });
  }
  protected override optionNames(): readonly string[] { return ADAGRAD_OPTIONS; }
  protected override validate(group: ParamGroup): void {
    super.validate(group);
    const { lrDecay, weightDecay, initialAccumulatorValue, eps } = group as ParamGroup & Required<AdagradOptions>;
    if (!(lrDecay >= 0)) throw new RangeError(`Adagrad: invalid lrDecay value: ${lrDecay}`);
    if (!(weightDecay >= 0)) throw new RangeError(`Adagrad: invalid weightDecay value: ${weightDecay}`);
    if (!(initialAccumulatorValue >= 0)) throw new RangeError(`Adagrad: invalid initialAccumulatorValue value: ${initialAccumulatorValue}`);
    if (!(eps >= 0)) throw new RangeError(`Adagrad: invalid epsilon value: ${eps}`);
  }
  protected override stateFields(): readonly StateField[] {
    return [{ field: "step", name: "step", kind: "number" }, { field: "sum", name: "sum", kind: "buffer" }];
  }

  protected update(p: Tensor, grad: ArrayLike<number>, group: ParamGroup, state: Record<string, unknown>): void {
    const { lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize } = group as ParamGroup & Required<AdagradOptions>;
    const w = p.data, n = w.length, wide = p.dtype === "float64";
    if (state.step === undefined) {
      state.step = 0;
      const sum = allocate(p.dtype, n);
      sum.fill(initialAccumulatorValue);
      state.sum = sum;
    }
    const step = (state.step = (state.step as number) + 1);
    const s = bufferValues(state.sum as Buffer);
    const round = wide ? (x: number) => x : Math.fround;
    const clr = lr / (1 + (step - 1) * lrDecay);
    for (let i = 0; i < n; i++) {
      let g = maximize ? -grad[i] : grad[i];
      if (weightDecay !== 0) g = round(g + weightDecay * w[i]);
      s[i] = round(s[i] + g * g);
      const std = round(round(Math.sqrt(s[i])) + eps);
      w[i] = w[i] - clr * round(g / std);
    }
  }
}
