/** Elementwise arithmetic. Each op: forward kernel, then its derivative, side by side. */
import { broadcastShapes, numel } from "../shape";
import { allocate, DType } from "../dtype";
import { Tensor, TensorLike } from "../tensor";
import { asTensor, broadcastMap, defineOp, empty, make, record, resultDType, sumTo } from "./record";

function binary(
  a: Tensor, bLike: TensorLike, op: string, f: (x: number, y: number) => number,
): { b: Tensor; out: Tensor } {
  const b = asTensor(bLike, a, op);
  const shape = broadcastShapes(a.shape, b.shape, op);
  return { b, out: broadcastMap(a, b, shape, resultDType(a, b), f) };
}

const enum Arith { Add, Sub, Mul, Div }
/**
 * add/sub/mul/div: one loop per op and operand layout (same shape, a scalar on either side, a row
 * [..., n] against [n]), so no function is called per element; anything else broadcasts through
 * broadcastMap with the equivalent closure. Each computes exactly what its closure would.
 */
function arith(kind: Arith, a: Tensor, bLike: TensorLike, op: string, alpha: number): { b: Tensor; out: Tensor } {
  const b = asTensor(bLike, a, op);
  const shape = broadcastShapes(a.shape, b.shape, op);
  const dtype = resultDType(a, b);
  const x = a.data, y = b.data;
  const n = numel(shape);
  const rows = x.length === n && y.length > 0 && y.length < n && n % y.length === 0 && isTrailing(b.shape, shape);
  if (!(x.length === n && (y.length === n || y.length === 1 || rows)) && !(x.length === 1 && y.length === n)) {
    const f = kind === Arith.Add ? (alpha === 1 ? (p: number, q: number) => p + q : (p: number, q: number) => p + alpha * q)
      : kind === Arith.Sub ? (p: number, q: number) => p - alpha * q
        : kind === Arith.Mul ? (p: number, q: number) => p * q : (p: number, q: number) => p / q;
    return { b, out: broadcastMap(a, b, shape, dtype, f) };
  }
  const out = empty(shape, dtype);
  const o = out.data;
  if (x.length === n && y.length === n) {
    switch (kind) {
      case Arith.Add: if (alpha === 1) for (let i = 0; i < n; i++) o[i] = x[i] + y[i]; else for (let i = 0; i < n; i++) o[i] = x[i] + alpha * y[i]; break;
      case Arith.Sub: for (let i = 0; i < n; i++) o[i] = x[i] - alpha * y[i]; break;
      case Arith.Mul: for (let i = 0; i < n; i++) o[i] = x[i] * y[i]; break;
      case Arith.Div: for (let i = 0; i < n; i++) o[i] = x[i] / y[i]; break;
    }
  } else if (x.length === n && y.length === 1) {
    const q = y[0];
    switch (kind) {
      case Arith.Add: if (alpha === 1) for (let i = 0; i < n; i++) o[i] = x[i] + q; else for (let i = 0; i < n; i++) o[i] = x[i] + alpha * q; break;
      case Arith.Sub: for (let i = 0; i < n; i++) o[i] = x[i] - alpha * q; break;
      case Arith.Mul: for (let i = 0; i < n; i++) o[i] = x[i] * q; break;
      case Arith.Div: for (let i = 0; i < n; i++) o[i] = x[i] / q; break;
    }
  } else if (x.length === 1) {
    const p = x[0];
    switch (kind) {
      case Arith.Add: if (alpha === 1) for (let i = 0; i < n; i++) o[i] = p + y[i]; else for (let i = 0; i < n; i++) o[i] = p + alpha * y[i]; break;
      case Arith.Sub: for (let i = 0; i < n; i++) o[i] = p - alpha * y[i]; break;
      case Arith.Mul: for (let i = 0; i < n; i++) o[i] = p * y[i]; break;
      case Arith.Div: for (let i = 0; i < n; i++) o[i] = p / y[i]; break;
    }
  } else {
    // Rows: b's values repeat along a's leading dimensions (a bias added to a batch).
    const c = y.length;
    for (let r = 0; r < n; r += c) {
      switch (kind) {
        case Arith.Add: if (alpha === 1) for (let j = 0; j < c; j++) o[r + j] = x[r + j] + y[j]; else for (let j = 0; j < c; j++) o[r + j] = x[r + j] + alpha * y[j]; break;
        case Arith.Sub: for (let j = 0; j < c; j++) o[r + j] = x[r + j] - alpha * y[j]; break;
        case Arith.Mul: for (let j = 0; j < c; j++) o[r + j] = x[r + j] * y[j]; break;
        case Arith.Div: for (let j = 0; j < c; j++) o[r + j] = x[r + j] / y[j]; break;
      }
    }
  }
  return { b, out };
}

/** Whether `inner` (leading 1s aside) is the trailing part of `shape`, so its values repeat per row. */
function isTrailing(inner: readonly number[], shape: readonly number[]): boolean {
  let k = 0;
  while (k < inner.length && inner[k] === 1) k++;
  const rest = inner.length - k;
  if (rest > shape.length) return false;
  for (let i = 0; i < rest; i++) if (inner[k + i] !== shape[shape.length - rest + i]) return false;
  return true;
}

/** A unary op's loop, per op (no function called per element). */
const enum Unary { Neg, Exp, Log, Sqrt, Abs, Sin, Cos, Log1p }
function unaryOp(kind: Unary, x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype);
  const o = out.data, d = x.data, n = d.length;
  switch (kind) {
    case Unary.Neg: for (let i = 0; i < n; i++) o[i] = -d[i]; break;
    case Unary.Exp: for (let i = 0; i < n; i++) o[i] = Math.exp(d[i]); break;
    case Unary.Log: for (let i = 0; i < n; i++) o[i] = Math.log(d[i]); break;
    case Unary.Sqrt: for (let i = 0; i < n; i++) o[i] = Math.sqrt(d[i]); break;
    case Unary.Abs: for (let i = 0; i < n; i++) o[i] = Math.abs(d[i]); break;
    case Unary.Sin: for (let i = 0; i < n; i++) o[i] = Math.sin(d[i]); break;
    case Unary.Cos: for (let i = 0; i < n; i++) o[i] = Math.cos(d[i]); break;
    case Unary.Log1p: for (let i = 0; i < n; i++) o[i] = Math.log1p(d[i]); break;
  }
  return out;
}

/** f over every value (for ops whose loop isn't worth its own: one call per element). */
export function unary(x: Tensor, f: (v: number) => number): Tensor {
  const out = empty(x.shape, x.dtype);
  const o = out.data, d = x.data;
  for (let i = 0; i < d.length; i++) o[i] = f(d[i]);
  return out;
}

/** The tensors to save for an op whose input i's gradient needs `uses[i]` (nothing for inputs that need no gradient). */
export function needed(inputs: readonly Tensor[], uses: readonly Tensor[]): Tensor[] {
  const out: Tensor[] = [];
  inputs.forEach((x, i) => {
    if (x.requiresGrad && !out.includes(uses[i])) out.push(uses[i]);
  });
  return out;
}

const ADD = defineOp("add");
export function add(a: Tensor, other: TensorLike, alpha = 1): Tensor {
  const { b, out } = arith(Arith.Add, a, other, "add", alpha);
  return record(out, ADD, [a, b], [], (g) => [sumTo(g, a.shape), sumTo(alpha === 1 ? g : g.mul(alpha), b.shape)]);
}

const SUB = defineOp("sub");
export function sub(a: Tensor, other: TensorLike, alpha = 1): Tensor {
  const { b, out } = arith(Arith.Sub, a, other, "sub", alpha);
  return record(out, SUB, [a, b], [], (g) => [sumTo(g, a.shape), sumTo(g.mul(-alpha), b.shape)]);
}

const MUL = defineOp("mul");
export function mul(a: Tensor, other: TensorLike): Tensor {
  const { b, out } = arith(Arith.Mul, a, other, "mul", 1);
  // Save only what the gradients need: a's needs b, b's needs a (so `h.mul(2)` then `h.add_(1)`
  // still back-propagates, as in PyTorch).
  return record(out, MUL, [a, b], needed([a, b], [b, a]), (g) => [
    a.requiresGrad ? sumTo(g.mul(b), a.shape) : null,
    b.requiresGrad ? sumTo(g.mul(a), b.shape) : null,
  ]);
}

const DIV = defineOp("div");
export function div(a: Tensor, other: TensorLike): Tensor {
  const { b, out } = arith(Arith.Div, a, other, "div", 1);
  // d(a/b)/da = 1/b, d(a/b)/db = -a/b²
  return record(out, DIV, [a, b], b.requiresGrad ? [a, b] : [b], (g) => [
    a.requiresGrad ? sumTo(g.div(b), a.shape) : null,
    b.requiresGrad ? sumTo(g.mul(a).div(b.mul(b)).neg(), b.shape) : null,
  ]);
}

const POW = defineOp("pow");
export function pow(a: Tensor, exponent: TensorLike): Tensor {
  if (typeof exponent === "number") {
    const e = exponent;
    // ±0.5 go through sqrt as in PyTorch (so (−∞)^0.5 is NaN, where Math.pow gives ∞).
    const out = unary(a, e === 2 ? (x) => x * x : e === 0.5 ? Math.sqrt : e === -0.5 ? (x) => 1 / Math.sqrt(x) : (x) => Math.pow(x, e));
    // d(x^e)/dx = e·x^(e-1); for e = 0, zeros whatever the incoming gradient (as PyTorch).
    return record(out, POW, [a], [a], (g) => [e === 0 ? g.zerosLike() : g.mul(a.pow(e - 1).mul(e))]);
  }
  const { b, out } = binary(a, exponent, "pow", Math.pow);
  const shape = [...out.shape];
  return record(out, POW, [a, b], [a, b, out], (g) => [
    // d(a^b)/da = b·a^(b−1), 0 where b = 0 (so 0^0 has gradient 0, as PyTorch).
    a.requiresGrad ? sumTo(g.mul(broadcastMap(a, b, shape, out.dtype, (x, y) => (y === 0 ? 0 : y * Math.pow(x, y - 1)))), a.shape) : null,
    // d(a^b)/db = a^b·ln a, 0 where a = 0 and b ≥ 0 (so 0^−1 gives −∞, as PyTorch).
    b.requiresGrad ? sumTo(g.mul(powExponentGrad(a, b, out, shape)), b.shape) : null,
  ]);
}

function powExponentGrad(a: Tensor, b: Tensor, out: Tensor, shape: number[]): Tensor {
  const ab = broadcastMap(a, b, shape, out.dtype, (x, y) => (x === 0 && y >= 0 ? 0 : 1));
  return broadcastMap(ab, broadcastMap(a, out, shape, out.dtype, (x, o) => o * Math.log(x)), shape, out.dtype, (keep, v) => (keep === 0 ? 0 : v));
}

const NEG = defineOp("neg");
export function neg(x: Tensor): Tensor {
  return record(unaryOp(Unary.Neg, x), NEG, [x], [], (g) => [g.neg()]);
}

const EXP = defineOp("exp");
export function exp(x: Tensor): Tensor {
  const out = unaryOp(Unary.Exp, x);
  return record(out, EXP, [x], [out], (g) => [g.mul(out)]);
}

const LOG = defineOp("log");
export function log(x: Tensor): Tensor {
  return record(unaryOp(Unary.Log, x), LOG, [x], [x], (g) => [g.div(x)]);
}

const SQRT = defineOp("sqrt");
export function sqrt(x: Tensor): Tensor {
  const out = unaryOp(Unary.Sqrt, x);
  return record(out, SQRT, [x], [out], (g) => [g.div(out.mul(2))]);
}

const ABS = defineOp("abs");
export function abs(x: Tensor): Tensor {
  // sign(0) = 0, so the subgradient at 0 is 0 as in PyTorch; so is the gradient at NaN.
  return record(unaryOp(Unary.Abs, x), ABS, [x], [x], (g) => [g.mul(unary(x, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0)))]);
}

const SIN = defineOp("sin");
export function sin(x: Tensor): Tensor {
  return record(unaryOp(Unary.Sin, x), SIN, [x], [x], (g) => [g.mul(x.cos())]);
}

const COS = defineOp("cos");
export function cos(x: Tensor): Tensor {
  return record(unaryOp(Unary.Cos, x), COS, [x], [x], (g) => [g.mul(x.sin()).neg()]);
}

const LOG1P = defineOp("log1p");
/** log(1 + x), accurate for small x (where log(x.add(1)) loses the digits). */
export function log1p(x: Tensor): Tensor {
  return record(unaryOp(Unary.Log1p, x), LOG1P, [x], [x], (g) => [g.div(x.add(1))]);
}

/**
 * The gradient where `keep(x)` holds and 0 elsewhere — by selection, not multiplication, so an
 * infinite or NaN gradient in a masked-out place gives 0 (as PyTorch's `where`).
 */
export function maskedGrad(g: Tensor, x: Tensor, keep: (v: number) => boolean): Tensor {
  const out = empty(g.shape, g.dtype);
  const o = out.data, gd = g.data, xd = x.data;
  for (let i = 0; i < o.length; i++) o[i] = keep(xd[i]) ? gd[i] : 0;
  return out;
}

const CLAMP = defineOp("clamp");
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? -Infinity, hi = max ?? Infinity;
  if (min == null && max == null) throw new TypeError("clamp: at least one of min or max must be given");
  // min(max(x, lo), hi): with lo > hi every element is hi; NaN stays NaN (as PyTorch).
  const out = unary(x, (v) => (v !== v ? v : Math.min(Math.max(v, lo), hi)));
  // Gradient passes where lo ≤ x ≤ hi (boundaries included; nowhere when lo > hi).
  return record(out, CLAMP, [x], [x], (g) => [maskedGrad(g, x, (v) => v >= lo && v <= hi)]);
}

const MAXIMUM = defineOp("maximum");
/** Elementwise max; NaN in either input gives NaN. */
export function maximum(a: Tensor, other: TensorLike): Tensor {
  const { b, out } = binary(a, other, "maximum", (x, y) => (x !== x || y !== y ? NaN : x >= y ? x : y));
  return record(out, MAXIMUM, [a, b], [a, b], (g) => selectGrad(g, a, b, (x, y) => x < y, (x, y) => x > y));
}

const MINIMUM = defineOp("minimum");
/** Elementwise min; NaN in either input gives NaN. */
export function minimum(a: Tensor, other: TensorLike): Tensor {
  const { b, out } = binary(a, other, "minimum", (x, y) => (x !== x || y !== y ? NaN : x <= y ? x : y));
  return record(out, MINIMUM, [a, b], [a, b], (g) => selectGrad(g, a, b, (x, y) => x > y, (x, y) => x < y));
}

/**
 * PyTorch's rule for maximum/minimum: a tie sends half the gradient to each side; otherwise a side
 * gets all of it unless it lost (`aLost` / `bLost`) — so with a NaN both sides get it. By selection.
 */
function selectGrad(g: Tensor, a: Tensor, b: Tensor, aLost: (x: number, y: number) => boolean, bLost: (x: number, y: number) => boolean): Tensor[] {
  const shape = [...g.shape];
  const wa = broadcastMap(a, b, shape, g.dtype, (x, y) => (x === y ? 0.5 : aLost(x, y) ? 0 : 1));
  const wb = broadcastMap(a, b, shape, g.dtype, (x, y) => (x === y ? 0.5 : bLost(x, y) ? 0 : 1));
  const pick = (w: Tensor) => broadcastMap(g, w, shape, g.dtype, (gv, wv) => (wv === 0 ? 0 : wv === 1 ? gv : gv * wv));
  return [a.requiresGrad ? sumTo(pick(wa), a.shape) : null, b.requiresGrad ? sumTo(pick(wb), b.shape) : null] as Tensor[];
}

function compare(name: string, f: (x: number, y: number) => boolean) {
  return (a: Tensor, other: TensorLike): Tensor => {
    const out = binary(a, other, name, (x, y) => (f(x, y) ? 1 : 0)).out;
    out.isMask = true;
    return out;
  };
}
/** Comparisons return 0/1 tensors of the input's dtype and are not differentiable. */
export const eq = compare("eq", (x, y) => x === y);
export const ne = compare("ne", (x, y) => x !== y);
export const gt = compare("gt", (x, y) => x > y);
export const lt = compare("lt", (x, y) => x < y);
export const ge = compare("ge", (x, y) => x >= y);
export const le = compare("le", (x, y) => x <= y);

const CLONE = defineOp("clone");
export function clone(x: Tensor): Tensor {
  const out = make(x.data.slice(), x.shape, x.dtype);
  return record(out, CLONE, [x], [], (g) => [g]);
}

const CAST = defineOp("to");
export function cast(x: Tensor, dtype: DType): Tensor {
  const data = allocate(dtype, x.numel());
  data.set(x.data);
  const from = x.dtype;
  return record(make(data, x.shape, dtype), CAST, [x], [], (g) => [g.to(from)]);
}
