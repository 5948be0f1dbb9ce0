/**
 * In-place ops. They bump the storage's version counter (so a backward that saved the old value
 * fails loudly) and refuse to modify a leaf that requires grad while grad mode is on, as PyTorch.
 * On a non-leaf the tensor's gradFn is rebased onto a node for the in-place op.
 */
import { maskedGrad } from "./elementwise";
import { isGradEnabled } from "../autograd/gradMode";
import { broadcastIndex, broadcastShapes, fmt, sameShape } from "../shape";
import { Tensor, TensorLike } from "../tensor";
import { asTensor, checkTensor, defineOp, sumTo } from "./record";
import { Node } from "../autograd/node";

function guard(self: Tensor, op: string, other: Tensor | null): void {
  if (self.viewOf !== null) {
    throw new Error(
      `${op}: in-place write into the result of ${self.viewOf}(), which in gradlens is a copy: the write would not reach the ` +
        `tensor it was taken from (PyTorch's views share storage). Compute it out of place, e.g. \`y = y.${op.slice(0, -1)}(...)\`, ` +
        `and rebuild the tensor from the result.`,
    );
  }
  if (isGradEnabled() && self.requiresGrad && self.storage.sharedBy !== undefined) {
    throw new Error(
      `${op}: in-place write into a tensor that shares its storage with a view made by ${self.storage.sharedBy}(): the write ` +
        `would change both tensors' values but only this one's gradient history (PyTorch rebases the other's). ` +
        `Use the out-of-place op (\`y = y.${op.slice(0, -1)}(...)\`), or clone() before taking the view.`,
    );
  }
  if (isGradEnabled() && self.requiresGrad && self.storage.copiedBy !== undefined) {
    throw new Error(
      `${op}: in-place write into a tensor that ${self.storage.copiedBy}() was taken from: in gradlens that view is a copy, so it ` +
        `would keep the old values and history (PyTorch's view would see the write). Use the out-of-place op (\`y = y.${op.slice(0, -1)}(...)\`).`,
    );
  }
  if (isGradEnabled() && self.isLeaf && self.requiresGrad) {
    throw new Error(
      `${op}: a leaf tensor that requires grad is being used in an in-place operation. ` +
        `Wrap parameter updates in noGrad(() => ...), or use the out-of-place op.`,
    );
  }
  if (other !== null) {
    const shape = broadcastShapes(self.shape, other.shape, op);
    if (!sameShape(shape, self.shape)) {
      throw new RangeError(`${op}: output with shape ${fmt(self.shape)} doesn't match the broadcast shape ${fmt(shape)}`);
    }
  }
}

function writeBroadcast(self: Tensor, other: Tensor, f: (x: number, y: number) => number): void {
  const a = self.data, b = other.data;
  if (b.length === a.length) for (let i = 0; i < a.length; i++) a[i] = f(a[i], b[i]);
  else if (b.length === 1) { const s = b[0]; for (let i = 0; i < a.length; i++) a[i] = f(a[i], s); }
  else {
    const map = broadcastIndex(other.shape, self.shape);
    for (let i = 0; i < a.length; i++) a[i] = f(a[i], b[map[i]]);
  }
}

export function addBroadcastRaw(self: Tensor, other: Tensor): void {
  writeBroadcast(self, other, (x, y) => x + y);
}

function bump(self: Tensor, op: string): void {
  self.storage.version++;
  self.storage.lastInplaceOp = op;
}

/**
 * Records the in-place op as the tensor's new gradFn: its first edge is the tensor's previous
 * history, `backward` maps the output gradient to [grad for old self, grad for other].
 */
function rebase(self: Tensor, name: string, other: Tensor | null, backward: (g: Tensor) => (Tensor | null)[], holdsState = false): void {
  if (!isGradEnabled() || !(self.requiresGrad || (other !== null && other.requiresGrad))) return;
  const previous = self.gradNodeForBackward();
  const otherNode = other !== null && other.requiresGrad ? other.gradNodeForBackward() : null;
  self.gradNode = new Node(name, [previous, otherNode], backward, [], holdsState);
}

const ADD_ = defineOp("add_");
export function add_<T extends Tensor>(self: T, otherLike: TensorLike, alpha = 1): T {
  const other = asTensor(otherLike, self, "add_");
  guard(self, "add_", other);
  writeBroadcast(self, other, (x, y) => x + alpha * y);
  bump(self, "add_");
  rebase(self, ADD_, other, (g) => [g, sumTo(alpha === 1 ? g : g.mul(alpha), other.shape)]);
  return self;
}

export function sub_<T extends Tensor>(self: T, otherLike: TensorLike, alpha = 1): T {
  return add_(self, otherLike, -alpha) as T;
}

const MUL_ = defineOp("mul_");
export function mul_<T extends Tensor>(self: T, otherLike: TensorLike): T {
  const other = asTensor(otherLike, self, "mul_");
  guard(self, "mul_", other);
  const old = other.requiresGrad && isGradEnabled() ? self.detach().clone() : null;
  const factor = other.detach().clone();
  writeBroadcast(self, other, (x, y) => x * y);
  bump(self, "mul_");
  rebase(self, MUL_, other, (g) => [g.mul(factor), old === null ? null : sumTo(g.mul(old), other.shape)], true);
  return self;
}

const DIV_ = defineOp("div_");
export function div_<T extends Tensor>(self: T, otherLike: TensorLike): T {
  const other = asTensor(otherLike, self, "div_");
  guard(self, "div_", other);
  const divisor = other.detach().clone();
  writeBroadcast(self, other, (x, y) => x / y);
  const result = other.requiresGrad && isGradEnabled() ? self.detach().clone() : null;
  bump(self, "div_");
  // d(a/b)/db = -(a/b)/b
  rebase(self, DIV_, other, (g) => [g.div(divisor), result === null ? null : sumTo(g.mul(result).div(divisor).neg(), other.shape)], true);
  return self;
}

const CLAMP_ = defineOp("clamp_");
export function clamp_<T extends Tensor>(self: T, min?: number | null, max?: number | null): T {
  guard(self, "clamp_", null);
  if (min == null && max == null) throw new TypeError("clamp_: at least one of min or max must be given");
  const lo = min ?? -Infinity, hi = max ?? Infinity;
  const mask = self.detach().clone();
  const a = self.data;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    mask.data[i] = v >= lo && v <= hi ? 1 : 0;
    a[i] = v !== v ? v : Math.min(Math.max(v, lo), hi); // as clamp: NaN stays, min > max gives max
  }
  bump(self, "clamp_");
  // Selection, not multiplication: an infinite or NaN gradient where clamped gives 0.
  rebase(self, CLAMP_, null, (g) => [maskedGrad(g, mask, (m) => m === 1), null], true);
  return self;
}

const ZERO_ = defineOp("zero_");
const FILL_ = defineOp("fill_");
export function fill_<T extends Tensor>(self: T, value: number, op: string): T {
  guard(self, op, null);
  if (typeof value !== "number") throw new TypeError(`${op}: expected a number, got ${typeof value}`);
  self.data.fill(value);
  bump(self, op);
  // The old values no longer matter: the tensor keeps its history, which gets a zero gradient
  // (as PyTorch: `y.zero_()` on a non-leaf still requires grad, and its inputs' gradients are 0).
  rebase(self, op === "zero_" ? ZERO_ : FILL_, null, (g) => [g.zerosLike(), null]);
  return self;
}

const COPY_ = defineOp("copy_");
export function copy_<T extends Tensor>(self: T, src: Tensor): T {
  checkTensor(src, "copy_", "src");
  guard(self, "copy_", src);
  writeBroadcast(self, src, (_x, y) => y);
  bump(self, "copy_");
  // The old values are overwritten: their history gets a zero gradient, the source the gradient.
  rebase(self, COPY_, src, (g) => [g.zerosLike(), sumTo(g, src.shape)]);
  return self;
}
