/**
 * The Tensor: a contiguous typed-array storage, a shape, and autograd bookkeeping.
 * Ops live in ./ops (forward and backward side by side); the methods here only delegate, so the
 * method list doubles as the public op surface.
 */
import { AccumulateGrad, GradHook, Node } from "./autograd/node";
import { runBackward, BackwardOptions } from "./autograd/backward";
import { allocate, Data, DType } from "./dtype";
import { newStorage, Storage } from "./storage";

export type { Storage };
import { fmt, numel, Shape, sizesFrom } from "./shape";
import { formatTensor } from "./format";
import * as ew from "./ops/elementwise";
import * as red from "./ops/reduce";
import * as lin from "./ops/linalg";
import * as sh from "./ops/shape";
import * as act from "./ops/activation";
import * as idx from "./ops/indexing";
import * as inp from "./ops/inplace";
import * as cond from "./ops/conditional";
import * as ord from "./ops/ordering";
import * as rea from "./ops/rearrange";
import * as prod from "./ops/products";
import type { ValuesIndices, VarianceOptions } from "./ops/reduce";

export type Scalar = number;
export type TensorLike = Tensor | number;
export type NestedArray = number | NestedArray[];

/**
 * A frozen copy of `shape`, always built element by element so every tensor's shape has one hidden
 * class (a spread or slice keeps a holey source holey, and a frozen holey array is a second class).
 * Why it matters: optimized code holds hidden classes weakly, and a class that only intermediate
 * results used dies at each full garbage collection, deoptimizing every hot op that saw it.
 */
function frozenShape(shape: Shape): readonly number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) out.push(shape[i]);
  return Object.freeze(out);
}

export class Tensor {
  readonly storage: Storage;
  readonly shape: readonly number[];
  readonly dtype: DType;
  grad: Tensor | null = null;
  /** The recorded op that produced this tensor (null for leaves). */
  gradNode: Node | null = null;
  /**
   * Set on the result of a copying view op (transpose, t, permute, expand, select, slice). PyTorch's
   * views share storage with their base; these are copies here, so an in-place write into one would
   * silently miss the base: in-place ops refuse it, naming the op (see ops/inplace.ts).
   */
  viewOf: string | null = null;
  /** Set on comparison results (0/1 values): indexing with one would be read as row numbers. */
  isMask = false;
  /** Set by nn.Parameter so modules can find their parameters. */
  isParameter = false;
  private leafRequiresGrad = false;
  private accumulator: AccumulateGrad | null = null;

  constructor(storage: Storage, shape: Shape, dtype: DType) {
    this.storage = storage;
    // Another tensor's shape is frozen already and can be shared; anything else is copied and frozen.
    this.shape = Object.isFrozen(shape) ? shape : frozenShape(shape);
    this.dtype = dtype;
  }

  static fromData(data: Data, shape: Shape, dtype: DType): Tensor {
    return new Tensor(newStorage(data), shape, dtype);
  }

  // ---- properties -------------------------------------------------------------------------

  get data(): Data {
    return this.storage.data;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The number of dimensions (PyTorch's `dim()`; also `ndim`). */
  dim(): number {
    return this.shape.length;
  }

  numel(): number {
    return numel(this.shape);
  }

  size(dim?: number): number | readonly number[] {
    if (dim === undefined) return this.shape;
    return this.shape[dim < 0 ? dim + this.shape.length : dim];
  }

  get isLeaf(): boolean {
    return this.gradNode === null;
  }

  get requiresGrad(): boolean {
    return this.gradNode !== null || this.leafRequiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (!this.isLeaf) {
      throw new Error(
        `requiresGrad: you can only change requiresGrad of leaf tensors; this tensor was produced by ${this.gradNode!.name}. Use detach() to get a leaf.`,
      );
    }
    this.leafRequiresGrad = Boolean(value);
  }

  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  /** Name of the op that produced this tensor, e.g. "MulBackward", or null for a leaf. */
  get gradFn(): string | null {
    return this.gradNode?.name ?? null;
  }

  /** Incremented by every in-place modification of the underlying storage. */
  get version(): number {
    return this.storage.version;
  }

  get lastInplaceOp(): string | null {
    return this.storage.lastInplaceOp;
  }

  /** The node gradients for this tensor flow into (creating a leaf's accumulator lazily). */
  gradNodeForBackward(): Node | null {
    if (this.gradNode !== null) return this.gradNode;
    if (!this.leafRequiresGrad) return null;
    this.accumulator ??= new AccumulateGrad(this);
    return this.accumulator;
  }

  sharesStorageWith(other: Tensor): boolean {
    return this.storage === other.storage;
  }

  // ---- autograd -----------------------------------------------------------------------------

  backward(gradient?: Tensor, options?: BackwardOptions): void {
    runBackward(this, gradient, options);
  }

  retainGrad(): void {
    if (!this.requiresGrad) throw new Error("retainGrad: can't retain the gradient of a tensor that does not require grad");
    if (this.gradNode !== null) this.gradNode.retained = this;
  }

  registerHook(hook: GradHook): { remove(): void } {
    const node = this.gradNodeForBackward();
    if (node === null) throw new Error("registerHook: cannot register a hook on a tensor that does not require grad");
    node.hooks.push(hook);
    return {
      remove: () => {
        const i = node.hooks.indexOf(hook);
        if (i >= 0) node.hooks.splice(i, 1);
      },
    };
  }

  /** A new leaf sharing this tensor's storage (and version counter), cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.dtype);
  }

  detach_(): this {
    this.gradNode = null;
    this.leafRequiresGrad = false;
    return this;
  }

  clone(): Tensor {
    return ew.clone(this);
  }

  /** Converts to another dtype (differentiable); returns this tensor if the dtype already matches. */
  to(dtype: DType): Tensor {
    if (dtype !== "float32" && dtype !== "float64") {
      const device = typeof dtype === "string" && /^(cuda|cpu|mps|gpu)/.test(dtype);
      throw new TypeError(`to: expected a dtype, "float32" or "float64", got ${typeof dtype === "string" ? `"${dtype}"` : typeof dtype}${device ? " (gradlens runs on the CPU; there are no devices to move tensors to)" : ""}`);
    }
    return dtype === this.dtype ? this : ew.cast(this, dtype);
  }

  double(): Tensor {
    return this.to("float64");
  }

  float(): Tensor {
    return this.to("float32");
  }

  // ---- reading values ---------------------------------------------------------------------

  item(): number {
    if (this.numel() !== 1) {
      throw new Error(`item: a tensor with ${this.numel()} elements (shape ${fmt(this.shape)}) cannot be converted to a number`);
    }
    return this.data[0];
  }

  tolist(): NestedArray {
    const data = this.data;
    const shape = this.shape;
    if (shape.length === 0) return data[0];
    let offset = 0;
    const build = (dim: number): NestedArray[] => {
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[dim]; i++) out.push(dim === shape.length - 1 ? data[offset++] : build(dim + 1));
      return out;
    };
    return build(0);
  }

  /** PyTorch-style: `tensor([[ 0.1234, -1.5000], …], requiresGrad=true)` (see format.ts). */
  toString(): string {
    return formatTensor({ data: this.data, shape: this.shape, dtype: this.dtype, requiresGrad: this.requiresGrad, gradFn: this.gradFn });
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  // ---- creation helpers ---------------------------------------------------------------------

  zerosLike(): Tensor {
    return Tensor.fromData(allocate(this.dtype, this.numel()), this.shape, this.dtype);
  }

  onesLike(): Tensor {
    const t = this.zerosLike();
    t.data.fill(1);
    return t;
  }

  // ---- elementwise --------------------------------------------------------------------------

  add(other: TensorLike, alpha?: number): Tensor { return ew.add(this, other, alpha); }
  sub(other: TensorLike, alpha?: number): Tensor { return ew.sub(this, other, alpha); }
  mul(other: TensorLike): Tensor { return ew.mul(this, other); }
  div(other: TensorLike): Tensor { return ew.div(this, other); }
  pow(exponent: TensorLike): Tensor { return ew.pow(this, exponent); }
  neg(): Tensor { return ew.neg(this); }
  exp(): Tensor { return ew.exp(this); }
  log(): Tensor { return ew.log(this); }
  sqrt(): Tensor { return ew.sqrt(this); }
  abs(): Tensor { return ew.abs(this); }
  sin(): Tensor { return ew.sin(this); }
  cos(): Tensor { return ew.cos(this); }
  log1p(): Tensor { return ew.log1p(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return ew.clamp(this, min, max); }
  maximum(other: TensorLike): Tensor { return ew.maximum(this, other); }
  minimum(other: TensorLike): Tensor { return ew.minimum(this, other); }
  eq(other: TensorLike): Tensor { return ew.eq(this, other); }
  ne(other: TensorLike): Tensor { return ew.ne(this, other); }
  gt(other: TensorLike): Tensor { return ew.gt(this, other); }
  lt(other: TensorLike): Tensor { return ew.lt(this, other); }
  ge(other: TensorLike): Tensor { return ew.ge(this, other); }
  le(other: TensorLike): Tensor { return ew.le(this, other); }
  /** A copy with `value` wherever `mask` is true (non-zero); the mask broadcasts to this shape. */
  maskedFill(mask: Tensor, value: number | Tensor): Tensor { return cond.maskedFill(this, mask, value); }
  /** `condition ? this : other`, elementwise (PyTorch's `x.where(condition, y)`). */
  where(condition: Tensor, other: TensorLike): Tensor { return cond.where(condition, this, other); }

  // ---- activations --------------------------------------------------------------------------

  relu(): Tensor { return act.relu(this); }
  sigmoid(): Tensor { return act.sigmoid(this); }
  tanh(): Tensor { return act.tanh(this); }
  gelu(): Tensor { return act.gelu(this); }
  softmax(dim: number): Tensor { return act.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return act.logSoftmax(this, dim); }

  // ---- reductions ---------------------------------------------------------------------------

  sum(dim?: number | number[], keepdim = false): Tensor { return red.sum(this, dim, keepdim); }
  mean(dim?: number | number[], keepdim = false): Tensor { return red.mean(this, dim, keepdim); }
  /** The largest element; along `dim`, `[values, indices]` (as PyTorch); with a tensor, the elementwise maximum. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ValuesIndices;
  max(other: Tensor): Tensor;
  max(dim?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
    if (dim instanceof Tensor) return ew.maximum(this, dim);
    return dim === undefined ? red.max(this) : red.extremumAlong(this, dim, keepdim, "max");
  }
  /** The smallest element; along `dim`, `[values, indices]` (as PyTorch); with a tensor, the elementwise minimum. */
  min(): Tensor;
  min(dim: number, keepdim?: boolean): ValuesIndices;
  min(other: Tensor): Tensor;
  min(dim?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
    if (dim instanceof Tensor) return ew.minimum(this, dim);
    return dim === undefined ? red.min(this) : red.extremumAlong(this, dim, keepdim, "min");
  }
  /** Variance (Bessel-corrected unless `correction: 0` or `unbiased: false`), over all elements or `dim`. */
  var(dim?: number | number[] | null, options?: VarianceOptions): Tensor { return red.variance(this, dim, options); }
  /** Standard deviation, with `var`'s options. */
  std(dim?: number | number[] | null, options?: VarianceOptions): Tensor { return red.std(this, dim, options); }
  logsumexp(dim: number | number[], keepdim = false): Tensor { return red.logsumexp(this, dim, keepdim); }
  cumsum(dim: number): Tensor { return ord.cumsum(this, dim); }
  /** Whether any element (along `dim`) is non-zero: a 0/1 mask. */
  any(dim?: number, keepdim = false): Tensor { return red.any(this, dim, keepdim); }
  /** Whether every element (along `dim`) is non-zero: a 0/1 mask. */
  all(dim?: number, keepdim = false): Tensor { return red.all(this, dim, keepdim); }
  /** Sorted along `dim` (default the last): `[values, indices]`, ties kept in order. */
  sort(dim = -1, descending = false): ValuesIndices { return ord.sort(this, dim, descending); }
  /** The `k` largest (`largest: false`: smallest) along `dim`, sorted: `[values, indices]`. */
  topk(k: number, dim = -1, largest = true): ValuesIndices { return ord.topk(this, k, dim, largest); }
  argmax(dim?: number, keepdim = false): Tensor { return red.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return red.argmin(this, dim, keepdim); }
  norm(p: number = 2, dim?: number, keepdim = false): Tensor { return red.norm(this, p, dim, keepdim); }

  // ---- linear algebra -----------------------------------------------------------------------

  matmul(other: Tensor): Tensor { return lin.matmul(this, other); }
  /** Batched product of [b, n, m] and [b, m, p]. */
  bmm(other: Tensor): Tensor { return prod.bmm(this, other); }
  /** Outer product of two vectors. */
  outer(other: Tensor): Tensor { return prod.outer(this, other); }

  // ---- shape --------------------------------------------------------------------------------

  reshape(...shape: (number | readonly number[])[]): Tensor { return sharedView(sh.reshape(this, shape, "reshape"), "reshape"); }
  view(...shape: (number | readonly number[])[]): Tensor { return sharedView(sh.reshape(this, shape, "view"), "view"); }
  flatten(): Tensor { return sharedView(sh.reshape(this, [-1], "flatten"), "flatten"); }
  transpose(dim0: number, dim1: number): Tensor { return asView(sh.transpose(this, dim0, dim1), "transpose", this); }
  t(): Tensor { return asView(sh.t(this), "t", this); }
  get T(): Tensor { return asView(sh.permute(this, this.shape.map((_, i) => this.shape.length - 1 - i)), "T", this); }
  permute(...dims: (number | readonly number[])[]): Tensor {
    return asView(sh.permute(this, (dims.length === 1 && Array.isArray(dims[0]) ? dims[0] : dims) as number[]), "permute", this);
  }
  squeeze(dim?: number): Tensor { return sharedView(sh.squeeze(this, dim), "squeeze"); }
  unsqueeze(dim: number): Tensor { return sharedView(sh.unsqueeze(this, dim), "unsqueeze"); }
  expand(...sizes: (number | readonly number[])[]): Tensor { return asView(sh.expand(this, sizes), "expand", this); }
  expandAs(other: Tensor): Tensor { return asView(sh.expand(this, [other.shape]), "expandAs", this); }

  /** Splits along `dim` into pieces of `size` each (the last may be smaller), or of the listed sizes. */
  split(size: number | readonly number[], dim = 0): Tensor[] { return rea.split(this, size, dim); }
  /** `chunks` pieces along `dim`, each ⌈size/chunks⌉ long (the last may be shorter). */
  chunk(chunks: number, dim = 0): Tensor[] { return rea.chunk(this, chunks, dim); }
  /** Tiles the tensor `repeats[i]` times along each dimension (PyTorch's `repeat`, numpy's `tile`). */
  repeat(...repeats: (number | readonly number[])[]): Tensor { return rea.repeat(this, sizesFrom(repeats, "repeat")); }
  flip(...dims: (number | readonly number[])[]): Tensor { return rea.flip(this, dims.flat()); }
  /** Shifts elements along `dims`, wrapping around; with no dims, along the flattened tensor. */
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor { return rea.roll(this, shifts, dims); }
  /** The lower triangle (on and below `diagonal`) of the last two dimensions, zeros above. */
  tril(diagonal = 0): Tensor { return rea.tril(this, diagonal); }
  /** The upper triangle (on and above `diagonal`) of the last two dimensions, zeros below. */
  triu(diagonal = 0): Tensor { return rea.triu(this, diagonal); }

  // ---- indexing -----------------------------------------------------------------------------

  select(dim: number, index: number): Tensor { return asView(idx.select(this, dim, index), "select", this); }
  slice(dim: number, start?: number, end?: number, step = 1): Tensor { return asView(idx.slice(this, dim, start, end, step), "slice", this); }
  /** Gathers slices along dimension 0 (rows) by an index tensor or array, like `x[idx]`. */
  index(indices: Tensor | readonly number[]): Tensor { return idx.indexRows(this, indices); }
  gather(dim: number, indices: Tensor): Tensor { return idx.gather(this, dim, indices); }
  multinomial(numSamples: number, replacement = false): Tensor { return idx.multinomial(this, numSamples, replacement); }

  // ---- in place (PyTorch's trailing underscore) ---------------------------------------------

  add_(other: TensorLike, alpha?: number): this { return inp.add_(this, other, alpha); }
  sub_(other: TensorLike, alpha?: number): this { return inp.sub_(this, other, alpha); }
  mul_(other: TensorLike): this { return inp.mul_(this, other); }
  div_(other: TensorLike): this { return inp.div_(this, other); }
  zero_(): this { return inp.fill_(this, 0, "zero_"); }
  fill_(value: number): this { return inp.fill_(this, value, "fill_"); }
  copy_(src: Tensor): this { return inp.copy_(this, src); }
  clamp_(min?: number | null, max?: number | null): this { return inp.clamp_(this, min, max); }

  /** `.grad += g` without autograd, used by the backward sweep to accumulate. */
  addInPlaceRaw(g: Tensor): void {
    const a = this.data, b = g.data;
    if (b.length === a.length) for (let i = 0; i < a.length; i++) a[i] += b[i];
    else inp.addBroadcastRaw(this, g);
    this.storage.version++;
  }
}

/** A storage-sharing view recorded in the graph marks the storage (see Storage.sharedBy). */
function sharedView(t: Tensor, op: string): Tensor {
  if (t.gradNode !== null) t.storage.sharedBy ??= op;
  return t;
}

/**
 * Marks a copying view op's result (a fresh tensor: ops never return their input, see viewOf),
 * and, in a graph, the base's storage: PyTorch's view would see a later write to the base.
 */
function asView(t: Tensor, op: string, base: Tensor): Tensor {
  t.viewOf = op;
  if (t.gradNode !== null) base.storage.copiedBy ??= op;
  return t;
}
