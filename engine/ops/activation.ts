/** Activations and (log-)softmax, with numerically stable forward passes. */
import { aroundDim, wrapDim } from "../shape";
import { Tensor } from "../tensor";
import { defineOp, empty, record } from "./record";
import { erf } from "./special";
import { maskedGrad } from "./elementwise";

function map(x: Tensor, f: (v: number) => number): Tensor {
  const out = empty(x.shape, x.dtype);
  const o = out.data, d = x.data;
  for (let i = 0; i < d.length; i++) o[i] = f(d[i]);
  return out;
}

const RELU = defineOp("relu");
export function relu(x: Tensor): Tensor {
  // NaN stays NaN (`NaN <= 0` is false), as PyTorch.
  const out = map(x, (v) => (v <= 0 ? 0 : v));
  // Gradient except where the output is ≤ 0 (0 at exactly 0; a NaN passes it on), selected as
  // PyTorch's threshold_backward does.
  return record(out, RELU, [x], [out], (g) => [maskedGrad(g, out, (v) => !(v <= 0))]);
}

const SIGMOID = defineOp("sigmoid");
export function sigmoid(x: Tensor): Tensor {
  const out = map(x, (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))));
  return record(out, SIGMOID, [x], [out], (g) => [g.mul(map(out, (s) => s * (1 - s)))]);
}

const SOFTPLUS = defineOp("softplus");
/** log(1 + eˣ), computed as max(x, 0) + log(1 + e^−|x|); its derivative is σ(x), smooth at 0. */
export function softplus(x: Tensor): Tensor {
  const out = map(x, (v) => (v !== v ? v : Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))));
  return record(out, SOFTPLUS, [x], [x], (g) => [g.mul(map(x, (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)))))]);
}

const TANH = defineOp("tanh");
export function tanh(x: Tensor): Tensor {
  const out = map(x, Math.tanh);
  return record(out, TANH, [x], [out], (g) => [g.mul(map(out, (t) => 1 - t * t))]);
}

const GELU = defineOp("gelu");
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** Exact GELU, x·Φ(x), PyTorch's default (approximate = 'none'). */
export function gelu(x: Tensor): Tensor {
  const out = map(x, (v) => 0.5 * v * (1 + erf(v * INV_SQRT2)));
  return record(out, GELU, [x], [x], (g) => [
    g.mul(map(x, (v) => 0.5 * (1 + erf(v * INV_SQRT2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v))),
  ]);
}

/**
 * Per (outer, inner) lane along `dim`, PyTorch's way (so results agree to the last bit where it
 * matters): softmax = e^(x−m) / Σ e^(x−m); logSoftmax = (x − m) − log Σ e^(x−m), m the lane's max.
 */
function softmaxRaw(x: Tensor, dim: number, log: boolean): Tensor {
  const { outer, n, inner } = aroundDim(x.shape, dim);
  const out = empty(x.shape, x.dtype);
  const src = x.data, dst = out.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let m = -Infinity;
      for (let k = 0; k < n; k++) m = Math.max(m, src[base + k * inner]);
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.exp(src[base + k * inner] - m);
      if (log) {
        const ls = Math.log(s);
        for (let k = 0; k < n; k++) dst[base + k * inner] = src[base + k * inner] - m - ls;
      } else {
        for (let k = 0; k < n; k++) dst[base + k * inner] = Math.exp(src[base + k * inner] - m) / s;
      }
    }
  }
  return out;
}

const LOG_SOFTMAX = defineOp("logSoftmax");
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const d = wrapDim(dim, x.ndim, "logSoftmax");
  const out = softmaxRaw(x, d, true);
  // d/dx: g - softmax · Σ g
  return record(out, LOG_SOFTMAX, [x], [out], (g) => [g.sub(out.exp().mul(g.sum(d, true)))]);
}

const SOFTMAX = defineOp("softmax");
export function softmax(x: Tensor, dim: number): Tensor {
  const d = wrapDim(dim, x.ndim, "softmax");
  const out = softmaxRaw(x, d, false);
  // d/dx: s · (g - Σ g·s)
  return record(out, SOFTMAX, [x], [out], (g) => [out.mul(g.sub(g.mul(out).sum(d, true)))]);
}
