/** Central finite differences in float64 against the engine's analytic gradients. */
import { Tensor, tensor, noGrad } from "gradlens";

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
}

export interface GradcheckResult {
  ok: boolean;
  worst: string;
}

/**
 * Checks d/dx of sum(f(x…)·w) for a fixed random weighting w, so every output element
 * contributes with a distinct weight (a plain sum would hide sign and permutation errors).
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const eps = options.eps ?? 1e-6, atol = options.atol ?? 1e-5, rtol = options.rtol ?? 1e-4;
  const leaves = inputs.map((x) => tensor(x, { dtype: "float64", requiresGrad: x.requiresGrad }));
  const out0 = f(...leaves);
  const w = tensor(Array.from({ length: out0.numel() }, (_, i) => Math.sin(1.7 * i + 0.3) + 1.1), { dtype: "float64" }).reshape(out0.shape);
  out0.mul(w).sum().backward();
  const objective = () => noGrad(() => f(...leaves).mul(w).sum().item());
  let worst = "", worstExcess = -Infinity;
  leaves.forEach((x, k) => {
    if (!x.requiresGrad) return;
    for (let i = 0; i < x.numel(); i++) {
      const orig = x.data[i];
      x.data[i] = orig + eps;
      const up = objective();
      x.data[i] = orig - eps;
      const down = objective();
      x.data[i] = orig;
      const numeric = (up - down) / (2 * eps);
      const analytic = x.grad === null ? 0 : x.grad.data[i];
      const excess = Math.abs(numeric - analytic) - (atol + rtol * Math.abs(numeric));
      if (excess > worstExcess) {
        worstExcess = excess;
        worst = `input ${k} element ${i}: analytic ${analytic}, numeric ${numeric}`;
      }
    }
  });
  return { ok: worstExcess <= 0, worst };
}
