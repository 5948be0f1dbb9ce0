/**
 * Choosing values by a mask: where and maskedFill. A mask element counts as true when it is
 * non-zero (comparisons produce 0/1), as PyTorch's bool tensors do.
 * The gradient is routed by selection, never multiplied by the mask, so an infinite or NaN
 * gradient in a place that wasn't chosen stays out (as PyTorch).
 */
import { broadcastIndex, broadcastShapes, fmt, numel } from "../shape";
import { Tensor, TensorLike } from "../tensor";
import { asTensor, checkTensor, defineOp, empty, record, resultDType, SAVES_STATE, sumTo } from "./record";

/** The mask's truth at each position of `shape` (which the mask broadcasts to). */
function truthAt(mask: Tensor, shape: readonly number[]): Uint8Array {
  const n = numel(shape);
  const out = new Uint8Array(n);
  const m = mask.data;
  if (m.length === n) for (let i = 0; i < n; i++) out[i] = m[i] !== 0 ? 1 : 0;
  else {
    const map = broadcastIndex(mask.shape, shape);
    for (let i = 0; i < n; i++) out[i] = m[map[i]] !== 0 ? 1 : 0;
  }
  return out;
}

/** `x` read at every position of `shape` (which it broadcasts to). */
function readAt(x: Tensor, shape: readonly number[]): (i: number) => number {
  const d = x.data;
  if (d.length === numel(shape)) return (i) => d[i];
  if (d.length === 1) return () => d[0];
  const map = broadcastIndex(x.shape, shape);
  return (i) => d[map[i]];
}

/** The gradient where `keep[i] === want`, 0 elsewhere, summed back to `shape`. */
function routed(g: Tensor, keep: Uint8Array, want: number, shape: readonly number[]): Tensor {
  const out = empty(g.shape, g.dtype);
  const o = out.data, gd = g.data;
  for (let i = 0; i < o.length; i++) o[i] = keep[i] === want ? gd[i] : 0;
  return sumTo(out, shape);
}

const WHERE = defineOp("where");
/** `condition ? x : y` elementwise, all three broadcast together (PyTorch's torch.where). */
export function where(condition: Tensor, xLike: TensorLike, yLike: TensorLike): Tensor {
  checkTensor(condition, "where", "condition");
  const x = xLike instanceof Tensor ? xLike : yLike instanceof Tensor ? asTensor(xLike, yLike, "where") : asTensor(xLike, condition, "where");
  const y = asTensor(yLike, x, "where");
  if (!(x instanceof Tensor) || !(y instanceof Tensor)) throw new TypeError("where: expected tensors or numbers");
  const shape = broadcastShapes(broadcastShapes(condition.shape, x.shape, "where"), y.shape, "where");
  // Plain numbers don't promote (as a Python scalar wouldn't); otherwise the tensors' dtypes do.
  const dtype = xLike instanceof Tensor && yLike instanceof Tensor ? resultDType(x, y) : x.dtype;
  const keep = truthAt(condition, shape);
  const rx = readAt(x, shape), ry = readAt(y, shape);
  const out = empty(shape, dtype);
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = keep[i] === 1 ? rx(i) : ry(i);
  return record(out, WHERE, [x, y], [SAVES_STATE], (g) => [
    x.requiresGrad ? routed(g, keep, 1, x.shape).to(x.dtype) : null,
    y.requiresGrad ? routed(g, keep, 0, y.shape).to(y.dtype) : null,
  ]);
}

const MASKED_FILL = defineOp("maskedFill");
/** A copy of `x` with `value` wherever `mask` (broadcast to x's shape) is true. */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  checkTensor(mask, "maskedFill", "mask");
  let v: number;
  if (value instanceof Tensor) {
    if (value.ndim !== 0) throw new RangeError(`maskedFill: only supports a 0-dimensional value tensor, but got one with shape ${fmt(value.shape)}`);
    v = value.data[0];
  } else if (typeof value === "number") v = value;
  else throw new TypeError(`maskedFill: expected value to be a number or a 0-d Tensor, got ${typeof value}`);
  const shape = broadcastShapes(x.shape, mask.shape, "maskedFill");
  if (shape.length !== x.ndim || shape.some((s, i) => s !== x.shape[i])) {
    throw new RangeError(`maskedFill: the mask of shape ${fmt(mask.shape)} must broadcast to the input's shape ${fmt(x.shape)}`);
  }
  const keep = truthAt(mask, shape);
  const out = empty(x.shape, x.dtype);
  const o = out.data, d = x.data;
  for (let i = 0; i < o.length; i++) o[i] = keep[i] === 1 ? v : d[i];
  // A 0-d value tensor gets the gradient of every position it filled.
  const valueTensor = value instanceof Tensor ? value : null;
  return record(out, MASKED_FILL, [x, valueTensor], [SAVES_STATE], (g) => [
    x.requiresGrad ? routed(g, keep, 0, x.shape) : null,
    valueTensor !== null && valueTensor.requiresGrad ? routed(g, keep, 1, []).to(valueTensor.dtype) : null,
  ]);
}
