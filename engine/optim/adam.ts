/** Adam and AdamW (decoupled weight decay), with amsgrad, following torch.optim's algorithms. */
import { Tensor } from "../tensor";
import { Optimizer, ParamGroup, Params, StateField } from "./optimizer";
import { checkOptions } from "../options";
import { optimizerBuffer, bufferValues, wasmAdam } from "../wasm/optim";
import { measureUpdate, UpdateSums } from "./stats";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

/** Moments are kept in the parameter's dtype, as PyTorch keeps them (large ones in the kernels' memory). */
interface AdamState {
  step: number;
  expAvg: ReturnType<typeof optimizerBuffer>;
  expAvgSq: ReturnType<typeof optimizerBuffer>;
  maxExpAvgSq?: ReturnType<typeof optimizerBuffer>;
}

const ADAM_OPTIONS = ["lr", "betas", "eps", "weightDecay", "amsgrad", "maximize"];

export class Adam extends Optimizer {
  protected readonly decoupled: boolean = false;

  constructor(params: Params, options: AdamOptions = {}, defaults: Partial<AdamOptions> = {}) {
    checkOptions(new.target.name, options, ADAM_OPTIONS, "{ lr: 1e-3, betas: [0.9, 0.999] }", ["foreach", "capturable", "differentiable", "fused"]);
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...defaults, ...options });
  }

  protected override optionNames(): readonly string[] {
    return ADAM_OPTIONS;
  }

  protected override validate(group: ParamGroup): void {
    super.validate(group);
    const { betas, eps, weightDecay } = group as ParamGroup & Required<AdamOptions>;
    const name = this.constructor.name;
    if (!(eps >= 0)) throw new RangeError(`${name}: invalid epsilon value: ${eps}`);
    if (!Array.isArray(betas) || betas.length !== 2) throw new RangeError(`${name}: betas must be a pair [beta1, beta2]`);
    betas.forEach((b, i) => {
      if (!(b >= 0 && b < 1)) throw new RangeError(`${name}: invalid beta parameter at index ${i}: ${b}`);
    });
    if (!(weightDecay >= 0)) throw new RangeError(`${name}: invalid weightDecay value: ${weightDecay}`);
  }

  protected override stateFields(): readonly StateField[] {
    return [
      { field: "step", name: "step", kind: "number" },
      { field: "expAvg", name: "exp_avg", kind: "buffer" },
      { field: "expAvgSq", name: "exp_avg_sq", kind: "buffer" },
      { field: "maxExpAvgSq", name: "max_exp_avg_sq", kind: "buffer" },
    ];
  }

  protected override readonly measuresUpdates: boolean = true;

  protected update(p: Tensor, grad: ArrayLike<number>, group: ParamGroup, raw: Record<string, unknown>, into?: UpdateSums): void {
    const { lr, betas, eps, weightDecay, amsgrad, maximize } = group as ParamGroup & Required<AdamOptions>;
    const [b1, b2] = betas;
    const w = p.data;
    const state = raw as unknown as AdamState;
    if (state.step === undefined) {
      state.step = 0;
      const wide = p.dtype === "float64";
      state.expAvg = optimizerBuffer(w.length, wide, state);
      state.expAvgSq = optimizerBuffer(w.length, wide, state);
      if (amsgrad) state.maxExpAvgSq = optimizerBuffer(w.length, wide, state);
    }
    state.step++;
    const bc1 = 1 - Math.pow(b1, state.step);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, state.step));
    const stepSize = lr / bc1;
    const coupledDecay = weightDecay !== 0 && !this.decoupled, decoupledDecay = weightDecay !== 0 && this.decoupled;
    if (wasmAdam(w, grad, state.expAvg, state.expAvgSq, state.maxExpAvgSq, { lr, b1, b2, eps, weightDecay, stepSize, bc2Sqrt, maximize, coupledDecay, decoupledDecay }, into)) return;
    const before = into === undefined ? null : w.slice();
    this.updateInJs(w, grad, state, group, bc2Sqrt, stepSize);
    if (into !== undefined) Object.assign(into, measureUpdate(grad, w, before));
  }

  private updateInJs(w: Float32Array | Float64Array, grad: ArrayLike<number>, state: AdamState, group: ParamGroup, bc2Sqrt: number, stepSize: number): void {
    const { lr, betas, eps, weightDecay, maximize } = group as ParamGroup & Required<AdamOptions>;
    const [b1, b2] = betas;
    const m = bufferValues(state.expAvg), v = bufferValues(state.expAvgSq);
    const vMax = state.maxExpAvgSq === undefined ? undefined : bufferValues(state.maxExpAvgSq);
    const sign = maximize ? -1 : 1, c1 = 1 - b1, c2 = 1 - b2;
    if (weightDecay === 0 && vMax === undefined) {
      // The common case, without per-element branches (the same arithmetic as below, in the same order).
      for (let i = 0; i < w.length; i++) {
        const g = sign * grad[i];
        const mi = b1 * m[i] + c1 * g, vi = b2 * v[i] + c2 * g * g;
        m[i] = mi;
        v[i] = vi;
        w[i] -= (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
      }
      return;
    }
    for (let i = 0; i < w.length; i++) {
      let g = sign * grad[i];
      if (weightDecay !== 0) {
        if (this.decoupled) w[i] *= 1 - lr * weightDecay;
        else g += weightDecay * w[i];
      }
      m[i] = b1 * m[i] + c1 * g;
      v[i] = b2 * v[i] + c2 * g * g;
      let second = v[i];
      if (vMax !== undefined) second = vMax[i] = Math.max(vMax[i], v[i]);
      w[i] -= (stepSize * m[i]) / (Math.sqrt(second) / bc2Sqrt + eps);
    }
  }
}

/** Adam with decoupled weight decay (default weightDecay 0.01, as PyTorch). */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;
  constructor(params: Params, options: AdamOptions = {}) {
    super(params, options, { weightDecay: 1e-2 });
  }
}
