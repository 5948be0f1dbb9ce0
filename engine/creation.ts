/** Tensor factories (torch.tensor, zeros, randn, ...). */
import { allocate, checkDType, Data, DType } from "./dtype";
import { fmt, numel, sizesFrom } from "./shape";
import { NestedArray, Tensor } from "./tensor";
import * as random from "./random";

export interface TensorOptions {
  requiresGrad?: boolean;
  dtype?: DType;
}

type SizeArgs = (number | readonly number[] | TensorOptions)[];

/** Splits `(2, 3, { dtype })` or `([2, 3], { dtype })` into sizes and options. */
function parseSizeArgs(args: SizeArgs, op: string): { shape: number[]; options: TensorOptions } {
  let options: TensorOptions = {};
  const last = args[args.length - 1];
  if (last !== undefined && typeof last === "object" && !Array.isArray(last)) {
    options = last as TensorOptions;
    args = args.slice(0, -1);
  }
  const shape = sizesFrom(args as (number | readonly number[])[], op);
  if (shape.some((s) => s < 0)) throw new RangeError(`${op}: sizes must be non-negative, got ${fmt(shape)}`);
  return { shape, options };
}

function finish(data: Data, shape: readonly number[], options: TensorOptions, dtype: DType): Tensor {
  const t = Tensor.fromData(data, shape, dtype);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferShape(data: NestedArray | ArrayLike<number>, path: string): number[] {
  if (typeof data === "number") return [];
  if (ArrayBuffer.isView(data)) return [(data as ArrayLike<number>).length];
  if (!Array.isArray(data)) throw new TypeError(`tensor: expected a number or a (nested) array of numbers at ${path}, got ${typeof data}`);
  if (data.length === 0) return [0];
  return [data.length, ...inferShape(data[0], `${path}[0]`)];
}

/** Creates a tensor from a number, a (nested) array or a typed array, copying the values. */
export function tensor(data: NestedArray | ArrayLike<number> | Tensor, options: TensorOptions = {}): Tensor {
  if (data instanceof Tensor) {
    const dtype = options.dtype === undefined ? data.dtype : checkDType(options.dtype, "tensor");
    const out = allocate(dtype, data.numel());
    out.set(data.data);
    return finish(out, data.shape, options, dtype);
  }
  const dtype = checkDType(options.dtype ?? (data instanceof Float64Array ? "float64" : undefined), "tensor");
  const shape = inferShape(data as NestedArray, "data");
  const out = allocate(dtype, numel(shape));
  let at = 0;
  const fill = (v: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v !== "number") throw new TypeError(`tensor: expected a number at ${path}, got ${Array.isArray(v) ? "an array" : typeof v}`);
      out[at++] = v;
      return;
    }
    const items = v as ArrayLike<unknown>;
    if ((!Array.isArray(v) && !ArrayBuffer.isView(v)) || items.length !== shape[dim]) {
      const got = Array.isArray(v) || ArrayBuffer.isView(v) ? `length ${items.length}` : typeof v;
      throw new TypeError(`tensor: expected a sequence of length ${shape[dim]} at ${path} (dimension ${dim}), got ${got}`);
    }
    for (let i = 0; i < items.length; i++) fill(items[i], dim + 1, `${path}[${i}]`);
  };
  fill(data, 0, "data");
  return finish(out, shape, options, dtype);
}

export function zeros(...args: SizeArgs): Tensor {
  const { shape, options } = parseSizeArgs(args, "zeros");
  const dtype = checkDType(options.dtype, "zeros");
  return finish(allocate(dtype, numel(shape)), shape, options, dtype);
}

export function full(size: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  const { shape } = parseSizeArgs([size], "full");
  const dtype = checkDType(options.dtype, "full");
  const data = allocate(dtype, numel(shape));
  data.fill(value);
  return finish(data, shape, options, dtype);
}

export function ones(...args: SizeArgs): Tensor {
  const { shape, options } = parseSizeArgs(args, "ones");
  return full(shape, 1, options);
}

function sampled(args: SizeArgs, op: string, sample: () => number): Tensor {
  const { shape, options } = parseSizeArgs(args, op);
  const dtype = checkDType(options.dtype, op);
  const data = allocate(dtype, numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = sample();
  return finish(data, shape, options, dtype);
}

/** Uniform samples in [0, 1). */
export function rand(...args: SizeArgs): Tensor {
  return sampled(args, "rand", random.uniform);
}

/** Standard normal samples. */
export function randn(...args: SizeArgs): Tensor {
  return sampled(args, "randn", random.normal);
}

/** Integers uniformly drawn from [low, high). */
export function randint(low: number, high: number, size: readonly number[], options: TensorOptions = {}): Tensor {
  if (!(Number.isInteger(low) && Number.isInteger(high) && high > low)) throw new RangeError(`randint: expected integers low < high, got ${low} and ${high}`);
  return sampled([size, options], "randint", () => random.integer(low, high));
}

/** A random permutation of 0..n-1. */
export function randperm(n: number, options: TensorOptions = {}): Tensor {
  const dtype = checkDType(options.dtype, "randperm");
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = random.integer(0, i + 1);
    const tmp = data[i];
    data[i] = data[j];
    data[j] = tmp;
  }
  return finish(data, [n], options, dtype);
}

/** arange(end) or arange(start, end, step): values in [start, end). */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new RangeError(`arange: step must be a non-zero finite number, got ${step}`);
  const count = Math.max(0, Math.ceil((end - start) / step));
  const dtype = checkDType(options.dtype, "arange");
  const data = allocate(dtype, count);
  for (let i = 0; i < count; i++) data[i] = start + i * step;
  return finish(data, [count], options, dtype);
}

export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  const dtype = checkDType(options.dtype, "linspace");
  const data = allocate(dtype, steps);
  for (let i = 0; i < steps; i++) data[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish(data, [steps], options, dtype);
}

export function eye(n: number, options: TensorOptions = {}): Tensor {
  const t = zeros([n, n], options);
  for (let i = 0; i < n; i++) t.data[i * n + i] = 1;
  return t;
}

const likeOptions = (t: Tensor, o: TensorOptions): TensorOptions => ({ dtype: t.dtype, ...o });
export const zerosLike = (t: Tensor, o: TensorOptions = {}) => zeros(t.shape, likeOptions(t, o));
export const onesLike = (t: Tensor, o: TensorOptions = {}) => ones(t.shape, likeOptions(t, o));
export const randnLike = (t: Tensor, o: TensorOptions = {}) => randn(t.shape, likeOptions(t, o));
export const randLike = (t: Tensor, o: TensorOptions = {}) => rand(t.shape, likeOptions(t, o));
export const fullLike = (t: Tensor, value: number, o: TensorOptions = {}) => full(t.shape, value, likeOptions(t, o));
