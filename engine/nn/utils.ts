/** nn.utils: gradient clipping. Reads and rescales `.grad`; never steps. */
import { noGrad } from "../autograd/gradMode";
import { Tensor } from "../tensor";
import { tensor } from "../creation";

function gradsOf(parameters: Iterable<Tensor> | Tensor): Tensor[] {
  const list = parameters instanceof Tensor ? [parameters] : [...parameters];
  return list.filter((p) => p.grad !== null).map((p) => p.grad!);
}

/** Scales gradients so their combined norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm_(parameters: Iterable<Tensor> | Tensor, maxNorm: number, normType = 2): Tensor {
  const grads = gradsOf(parameters);
  if (grads.length === 0) return tensor(0);
  let total = 0;
  if (normType === Infinity) {
    for (const g of grads) for (const v of g.data) total = Math.max(total, Math.abs(v));
  } else {
    for (const g of grads) for (const v of g.data) total += Math.pow(Math.abs(v), normType);
    total = Math.pow(total, 1 / normType);
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) noGrad(() => grads.forEach((g) => g.mul_(coef)));
  return tensor(total, { dtype: grads[0].dtype }); // the gradients' dtype, as PyTorch
}

export function clipGradValue_(parameters: Iterable<Tensor> | Tensor, clipValue: number): void {
  noGrad(() => gradsOf(parameters).forEach((g) => g.clamp_(-clipValue, clipValue)));
}

export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const values: number[] = [];
  for (const p of parameters) values.push(...p.data);
  return tensor(values);
}
