/**
 * How ops attach themselves to the graph, and the registry of differentiable ops.
 * Every op declares its name once with `defineOp`; the gradient-check test walks the registry,
 * so an op cannot be added without a check.
 */
import { BackwardFn, Node } from "../autograd/node";
import { isGradEnabled } from "../autograd/gradMode";
import { allocate, Data, DType, promote } from "../dtype";
import { broadcastIndex, numel, sameShape, Shape } from "../shape";
import { Tensor, TensorLike } from "../tensor";

export const DIFFERENTIABLE_OPS: ReadonlySet<string> = new Set<string>();

/** Registers a differentiable op and returns its gradFn name, e.g. "mul" → "MulBackward". */
export function defineOp(name: string): string {
  (DIFFERENTIABLE_OPS as Set<string>).add(name);
  return name[0].toUpperCase() + name.slice(1).replace(/_$/, "") + "Backward";
}

/** Attaches a backward node to `out` when grad mode is on and an input requires grad. */
/**
 * Attaches the op's Node to `out`. `saved`: tensors the backward reads (version-checked). Pass
 * `SAVES_STATE` among them when the closure also keeps other saved state (indices, masks), so a
 * second backward without retainGraph fails as PyTorch's does instead of counting twice.
 */
export const SAVES_STATE = Symbol("saves state");

export function record(out: Tensor, name: string, inputs: readonly (Tensor | null)[], saved: readonly (Tensor | typeof SAVES_STATE)[], fn: BackwardFn): Tensor {
  if (!isGradEnabled()) return out;
  let any = false;
  for (const t of inputs) if (t !== null && t.requiresGrad) any = true;
  if (!any) return out;
  const next = inputs.map((t) => (t !== null && t.requiresGrad ? t.gradNodeForBackward() : null));
  const tensors = saved.filter((t): t is Tensor => t !== SAVES_STATE);
  out.gradNode = new Node(name, next, fn, tensors, tensors.length !== saved.length);
  return out;
}

export function make(data: Data, shape: Shape, dtype: DType): Tensor {
  return Tensor.fromData(data, shape, dtype);
}

export function empty(shape: Shape, dtype: DType): Tensor {
  return Tensor.fromData(allocate(dtype, numel(shape)), shape, dtype);
}

/** Numbers become 0-d tensors of the other operand's dtype (a Python scalar doesn't promote). */
export function asTensor(x: TensorLike, like: Tensor, op: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== "number") throw new TypeError(`${op}: expected a Tensor or a number, got ${describe(x)}`);
  const data = allocate(like.dtype, 1);
  data[0] = x;
  return Tensor.fromData(data, [], like.dtype);
}

export function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array (wrap it with tensor(...))";
  return typeof x;
}

export function checkTensor(x: unknown, op: string, what = "input"): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected ${what} to be a Tensor, got ${describe(x)}`);
  return x;
}

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const out = empty(shape, g.dtype);
  const n = out.data.length;
  if (n > 0 && trailingOf(shape, g.shape)) {
    // `shape` is g's trailing part (a bias, a position table): add up g's rows of that size, in order.
    const src = g.data, dst = out.data;
    for (let r = 0; r < src.length; r += n) for (let j = 0; j < n; j++) dst[j] += src[r + j];
    return out;
  }
  const map = broadcastIndex(shape, g.shape);
  const src = g.data, dst = out.data;
  for (let i = 0; i < src.length; i++) dst[map[i]] += src[i];
  return out;
}

/** Whether `inner` (leading 1s aside) equals the trailing dimensions of `outer`. */
function trailingOf(inner: Shape, outer: Shape): boolean {
  let k = 0;
  while (k < inner.length && inner[k] === 1) k++;
  const rest = inner.length - k;
  if (rest > outer.length) return false;
  for (let i = 0; i < rest; i++) if (inner[k + i] !== outer[outer.length - rest + i]) return false;
  return true;
}

/** Applies `f` elementwise over the broadcast of `a` and `b`. */
export function broadcastMap(a: Tensor, b: Tensor, shape: number[], dtype: DType, f: (x: number, y: number) => number): Tensor {
  const out = empty(shape, dtype);
  const o = out.data, x = a.data, y = b.data;
  const n = o.length;
  if (x.length === n && y.length === n) {
    for (let i = 0; i < n; i++) o[i] = f(x[i], y[i]);
  } else if (x.length === n && y.length === 1) {
    const s = y[0];
    for (let i = 0; i < n; i++) o[i] = f(x[i], s);
  } else if (x.length === 1 && y.length === n) {
    const s = x[0];
    for (let i = 0; i < n; i++) o[i] = f(s, y[i]);
  } else {
    const ia = x.length === n ? null : broadcastIndex(a.shape, shape);
    const ib = y.length === n ? null : broadcastIndex(b.shape, shape);
    for (let i = 0; i < n; i++) o[i] = f(x[ia === null ? i : ia[i]], y[ib === null ? i : ib[i]]);
  }
  return out;
}

/** PyTorch's promotion between float tensors: a dimensioned tensor's dtype wins over a 0-d one's. */
export function resultDType(a: Tensor, b: Tensor): DType {
  if (a.ndim === 0 && b.ndim > 0) return b.dtype;
  if (b.ndim === 0 && a.ndim > 0) return a.dtype;
  return promote(a.dtype, b.dtype);
}
