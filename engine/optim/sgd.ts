/** SGD with momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD's algorithm). */
import { Tensor } from "../tensor";
import { bufferValues, optimizerBuffer, wasmSgd } from "../wasm/optim";
import { measureUpdate, UpdateSums } from "./stats";
import { Optimizer, ParamGroup, Params, StateField } from "./optimizer";
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

  protected override stateFields(): readonly StateField[] {
    return [{ field: "momentumBuffer", name: "momentum_buffer", kind: "buffer" }];
  }

  protected override readonly measuresUpdates: boolean = true;

  protected update(p: Tensor, grad: ArrayLike<number>, group: ParamGroup, state: Record<string, unknown>, into?: UpdateSums): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group as ParamGroup & Required<SGDOptions>;
    const w = p.data;
    let held = state.momentumBuffer as ReturnType<typeof optimizerBuffer> | undefined;
    const first = held === undefined;
    // The momentum buffer in the parameter's dtype, as PyTorch keeps it (a large one in the kernels' memory).
    if (momentum !== 0 && held === undefined) state.momentumBuffer = held = optimizerBuffer(w.length, p.dtype === "float64", state);
    if (wasmSgd(w, grad, held, { lr, momentum, dampening, weightDecay, nesterov, maximize, first }, into)) return;
    const before = into === undefined ? null : w.slice();
    updateInJs(w, grad, held === undefined ? undefined : bufferValues(held), first, group as ParamGroup & Required<SGDOptions>);
    if (into !== undefined) Object.assign(into, measureUpdate(grad, w, before));
  }
}

function updateInJs(w: Float32Array | Float64Array, grad: ArrayLike<number>, buf: Float32Array | Float64Array | undefined, first: boolean, group: Required<SGDOptions> & { lr: number }): void {
  const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
  const sign = maximize ? -1 : 1, keep = 1 - dampening;
  // The common cases without per-element branches (the same arithmetic as the general loop, in the same order).
  if (weightDecay === 0 && !nesterov) {
    if (buf === undefined) {
      for (let i = 0; i < w.length; i++) w[i] -= lr * (sign * grad[i]);
      return;
    }
    if (!first) {
      for (let i = 0; i < w.length; i++) {
        const b = momentum * buf[i] + keep * (sign * grad[i]);
        buf[i] = b;
        w[i] -= lr * b;
      }
      return;
    }
  }
  for (let i = 0; i < w.length; i++) {
    let d = sign * grad[i];
    if (weightDecay !== 0) d += weightDecay * w[i];
    if (buf !== undefined) {
      buf[i] = first ? d : momentum * buf[i] + keep * d;
      d = nesterov ? d + momentum * buf[i] : buf[i];
    }
    w[i] -= lr * d;
  }
}
