/** SGD with momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD's algorithm). */
import { Tensor } from "../tensor";
import { Optimizer, ParamGroup, Params } from "./optimizer";
import { checkOptions } from "../options";

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

const SGD_OPTIONS = ["lr", "momentum", "dampening", "weightDecay", "nesterov", "maximize"];

export class SGD extends Optimizer {
  constructor(params: Params, options: SGDOptions = {}) {
    checkOptions("SGD", options, SGD_OPTIONS, "{ lr: 0.1, momentum: 0.9 }", ["foreach", "differentiable"]);
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...options });
  }

  protected override optionNames(): readonly string[] {
    return SGD_OPTIONS;
  }

  protected override validate(group: ParamGroup): void {
    super.validate(group);
    const { momentum, weightDecay, nesterov, dampening } = group as ParamGroup & Required<SGDOptions>;
    if (!(momentum >= 0)) throw new RangeError(`SGD: invalid momentum value: ${momentum}`);
    if (!(weightDecay >= 0)) throw new RangeError(`SGD: invalid weightDecay value: ${weightDecay}`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) throw new RangeError("SGD: Nesterov momentum requires a momentum and zero dampening");
  }

  protected update(p: Tensor, grad: ArrayLike<number>, group: ParamGroup, state: Record<string, unknown>): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group as ParamGroup & Required<SGDOptions>;
    const w = p.data;
    let buf = state.momentumBuffer as Float64Array | undefined;
    const first = buf === undefined;
    if (momentum !== 0 && buf === undefined) state.momentumBuffer = buf = new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) {
      let d = maximize ? -grad[i] : grad[i];
      if (weightDecay !== 0) d += weightDecay * w[i];
      if (buf !== undefined) {
        buf[i] = first ? d : momentum * buf[i] + (1 - dampening) * d;
        d = nesterov ? d + momentum * buf[i] : buf[i];
      }
      w[i] -= lr * d;
    }
  }
}
