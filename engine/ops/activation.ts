/** Activations and (log-)softmax, with numerically stable forward passes. */
import { aroundDim, wrapDim } from "../shape";
import { Tensor } from "../tensor";
import { defineOp, empty, record, resultDType } from "./record";
import { erf } from "./special";
import { unary } from "./elementwise";
import { wasmRelu, wasmReluGrad, wasmTanh } from "../wasm/elementwise";

const RELU = defineOp("relu");
export function relu(x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype);
  const o = out.data, d = x.data;
  // Math.max(v, 0) is branch-free and what `v <= 0 ? 0 : v` is: −0 becomes 0, NaN stays NaN (as PyTorch).
  if (!wasmRelu(d, o)) for (let i = 0; i < d.length; i++) o[i] = Math.max(d[i], 0);
  // Gradient except where the output is ≤ 0 (0 at exactly 0; a NaN passes it on), selected as
  // PyTorch's threshold_backward does.
  return record(out, RELU, [x], [out], (g) => [gradTimes(g, out, Local.Relu)]);
}

const SIGMOID = defineOp("sigmoid");
export function sigmoid(x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype);
  const o = out.data, d = x.data;
  for (let i = 0; i < d.length; i++) { const v = d[i]; o[i] = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)); }
  return record(out, SIGMOID, [x], [out], (g) => [gradTimes(g, out, Local.Sigmoid)]);
}

/** How an activation's gradient follows from its output y. */
const enum Local { Relu, Sigmoid, Tanh }
/**
 * g times the activation's local derivative, from its output y, in one loop: relu selects (g where
 * y > 0 or y is NaN, else 0), sigmoid multiplies by y(1 − y), tanh by 1 − y². In float64 exactly what
 * `g.mul(derivative)` computes; in float32 the derivative isn't rounded on its own first.
 */
function gradTimes(g: Tensor, y: Tensor, kind: Local): Tensor {
  // g comes from backward, so it has y's shape.
  const gd = g.data, yd = y.data, n = yd.length;
  const out = empty(g.shape, resultDType(g, y));
  const o = out.data;
  switch (kind) {
    case Local.Relu: if (!wasmReluGrad(gd, yd, o)) for (let i = 0; i < n; i++) o[i] = yd[i] <= 0 ? 0 : gd[i]; break;
    case Local.Sigmoid: for (let i = 0; i < n; i++) { const s = yd[i]; o[i] = gd[i] * (s * (1 - s)); } break;
    case Local.Tanh: for (let i = 0; i < n; i++) { const t = yd[i]; o[i] = gd[i] * (1 - t * t); } break;
  }
  return out;
}

const SOFTPLUS = defineOp("softplus");
/**
 * log(1 + e^(βx))/β, computed as (max(z, 0) + log(1 + e^−|z|))/β for z = βx; as PyTorch's, it is x
 * itself (gradient 1) where βx exceeds `threshold` (20 by default; Infinity never switches).
 * Its derivative is σ(βx), smooth at 0.
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  const out = empty(x.shape, x.dtype);
  const o = out.data, d = x.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i], z = v * beta;
    o[i] = z > threshold ? v : z !== z ? z : (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)))) / beta;
  }
  return record(out, SOFTPLUS, [x], [x], (g) => {
    const local = empty(x.shape, x.dtype);
    const l = local.data;
    for (let i = 0; i < d.length; i++) {
      const z = d[i] * beta;
      l[i] = z > threshold ? 1 : z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }
    return [g.mul(local)];
  });
}

const TANH = defineOp("tanh");
export function tanh(x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype);
  const o = out.data, d = x.data;
  if (!wasmTanh(d, o)) for (let i = 0; i < d.length; i++) o[i] = Math.tanh(d[i]);
  return record(out, TANH, [x], [out], (g) => [gradTimes(g, out, Local.Tanh)]);
}

const GELU = defineOp("gelu");
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** Exact GELU, x·Φ(x), PyTorch's default (approximate = 'none'). */
export function gelu(x: Tensor): Tensor {
  // Φ(x) is kept from the forward pass: backward needs it again, and erf is the costly part.
  const d = x.data, n = d.length;
  const cdf = new Float64Array(n);
  const out = empty(x.shape, x.dtype);
  const o = out.data;
  for (let i = 0; i < n; i++) {
    const c = 0.5 * (1 + erf(d[i] * INV_SQRT2));
    cdf[i] = c;
    o[i] = d[i] * c;
  }
  return record(out, GELU, [x], [x], (g) => {
    const gx = empty(g.shape, resultDType(g, x));
    const gd = g.data, r = gx.data;
    for (let i = 0; i < n; i++) { const v = d[i]; r[i] = gd[i] * (cdf[i] + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v)); }
    return [gx];
  });
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
  // d/dx: g − softmax · Σ g, per lane in one pass.
  return record(out, LOG_SOFTMAX, [x], [out], (g) => [softmaxGrad(g, out, d, true)]);
}

const SOFTMAX = defineOp("softmax");
export function softmax(x: Tensor, dim: number): Tensor {
  const d = wrapDim(dim, x.ndim, "softmax");
  const out = softmaxRaw(x, d, false);
  // d/dx: s · (g − Σ g·s), per lane in one pass.
  return record(out, SOFTMAX, [x], [out], (g) => [softmaxGrad(g, out, d, false)]);
}

/**
 * Backward of softmax (s · (g − Σ g·s)) or logSoftmax (g − e^y · Σ g) along `dim`, lane by lane,
 * from the output y. Each product is rounded to the dtype before it is summed, as the composed
 * ops (g.mul(s).sum()) would round it.
 */
function softmaxGrad(g: Tensor, y: Tensor, dim: number, log: boolean): Tensor {
  const { outer, n, inner } = aroundDim(y.shape, dim);
  const out = empty(y.shape, resultDType(g, y));
  const gd = g.data, yd = y.data, o = out.data;
  const round = out.dtype === "float32" ? Math.fround : (v: number) => v;
  for (let a = 0; a < outer; a++) {
    for (let i = 0; i < inner; i++) {
      const base = a * n * inner + i;
      let s = 0;
      if (log) for (let k = 0; k < n; k++) s += gd[base + k * inner];
      else for (let k = 0; k < n; k++) s += round(gd[base + k * inner] * yd[base + k * inner]);
      s = round(s);
      if (log) for (let k = 0; k < n; k++) { const at = base + k * inner; o[at] = gd[at] - round(Math.exp(yd[at])) * s; }
      else for (let k = 0; k < n; k++) { const at = base + k * inner; o[at] = yd[at] * round(gd[at] - s); }
    }
  }
  return out;
}

const LEAKY_RELU = defineOp("leakyRelu");
/** x where x > 0, else slope·x; the gradient at 0 is the slope's side, as PyTorch's. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  if (typeof negativeSlope !== "number" || !Number.isFinite(negativeSlope)) throw new TypeError(`leakyRelu: negativeSlope must be a finite number, got ${String(negativeSlope)}`);
  const out = unary(x, (v) => (v > 0 ? v : v * negativeSlope));
  return record(out, LEAKY_RELU, [x], [x], (g) => {
    const gx = empty(g.shape, g.dtype);
    for (let i = 0; i < gx.data.length; i++) gx.data[i] = x.data[i] > 0 ? g.data[i] : g.data[i] * negativeSlope;
    return [gx];
  });
}

const SILU = defineOp("silu");
/** x·σ(x) (also called swish); its derivative σ(x)·(1 + x·(1 − σ(x))). */
export function silu(x: Tensor): Tensor {
  const s = sigmoid(x.detach());
  const out = empty(x.shape, x.dtype);
  for (let i = 0; i < out.data.length; i++) out.data[i] = x.data[i] * s.data[i];
  return record(out, SILU, [x], [x], (g) => {
    const gx = empty(g.shape, g.dtype);
    for (let i = 0; i < gx.data.length; i++) { const sv = s.data[i]; gx.data[i] = g.data[i] * (sv * (1 + x.data[i] * (1 - sv))); }
    return [gx];
  });
}
