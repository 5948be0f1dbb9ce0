/** Convolution and pooling: the functional forms (PyTorch's argument rules) and their modules. */
import { Tensor } from "../tensor";
import { zeros } from "../creation";
import { fmt } from "../shape";
import { checkOptions } from "../options";
import { checkTensor } from "../ops/record";
import { conv2d as conv2dOp, Conv2dGeometry } from "../ops/conv";
import { adaptiveAvgPool2d as adaptiveOp, avgPool2d as avgOp, maxPool2d as maxOp, PoolGeometry } from "../ops/pool";
import { Module, Parameter } from "./module";
import * as init from "./init";

export type Pair = number | readonly [number, number];
export type ConvPadding = Pair | "same" | "valid";

function pair(v: Pair | undefined, dflt: number, name: string, op: string): [number, number] {
  if (v === undefined) return [dflt, dflt];
  const p: readonly number[] = typeof v === "number" ? [v, v] : v;
  if (!Array.isArray(p) && typeof v !== "number") throw new TypeError(`${op}: ${name} must be a number or a pair of numbers, got ${typeof v}`);
  if (p.length !== 2 || p.some((x) => !Number.isInteger(x))) throw new TypeError(`${op}: ${name} must be an integer or a pair of integers, got ${JSON.stringify(v)}`);
  return [p[0], p[1]];
}

export interface ConvOptions {
  stride?: Pair;
  padding?: ConvPadding;
  dilation?: Pair;
  groups?: number;
}

function geometry(kernel: [number, number], options: ConvOptions, op: string): Conv2dGeometry {
  const stride = pair(options.stride, 1, "stride", op);
  const dilation = pair(options.dilation, 1, "dilation", op);
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${groups}`);
  if (stride.some((s) => s < 1)) throw new RangeError(`${op}: stride must be positive, got ${fmt(stride)}`);
  if (dilation.some((d) => d < 1)) throw new RangeError(`${op}: dilation must be positive, got ${fmt(dilation)}`);
  const padding = options.padding ?? 0;
  if (padding === "valid") return { stride, dilation, groups, padBefore: [0, 0], padAfter: [0, 0] };
  if (padding === "same") {
    if (stride.some((s) => s !== 1)) throw new RangeError(`${op}: padding "same" is not supported for strided convolutions (stride ${fmt(stride)})`);
    // Total padding d·(k−1) per dimension; an odd total puts the extra row/column after (as PyTorch).
    const total = [0, 1].map((i) => dilation[i] * (kernel[i] - 1));
    const before = total.map((t) => Math.floor(t / 2)) as [number, number];
    return { stride, dilation, groups, padBefore: before, padAfter: [total[0] - before[0], total[1] - before[1]] };
  }
  if (typeof padding === "string") throw new RangeError(`${op}: padding must be a number, a pair, "same" or "valid", got "${padding}"`);
  const p = pair(padding, 0, "padding", op);
  if (p.some((v) => v < 0)) throw new RangeError(`${op}: padding must be non-negative, got ${fmt(p)}`);
  return { stride, dilation, groups, padBefore: p, padAfter: p };
}

const CONV_KEYS = ["stride", "padding", "dilation", "groups"];

/** PyTorch's F.conv2d: input [N, C, H, W] or [C, H, W], weight [O, C/groups, kh, kw]. */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  checkOptions("conv2d", options, CONV_KEYS, "{ stride: 1, padding: 1 }");
  checkTensor(input, "conv2d");
  checkTensor(weight, "conv2d", "weight");
  if (input.ndim !== 3 && input.ndim !== 4) throw new RangeError(`conv2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape ${fmt(input.shape)}`);
  if (weight.ndim !== 4) throw new RangeError(`conv2d: expected a 4-D weight [O, C/groups, kh, kw], got shape ${fmt(weight.shape)}`);
  const g = geometry([weight.shape[2], weight.shape[3]], options, "conv2d");
  const batched = input.ndim === 4 ? input : input.unsqueeze(0);
  const out = conv2dOp(batched, weight, bias ?? null, g);
  return input.ndim === 4 ? out : out.squeeze(0);
}

/** PyTorch's F.conv1d: input [N, C, L] or [C, L], weight [O, C/groups, k]; a 2-D convolution of height 1. */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  checkOptions("conv1d", options, CONV_KEYS, "{ stride: 1, padding: 1 }");
  checkTensor(input, "conv1d");
  checkTensor(weight, "conv1d", "weight");
  if (input.ndim !== 2 && input.ndim !== 3) throw new RangeError(`conv1d: expected a 2-D [C, L] or 3-D [N, C, L] input, got shape ${fmt(input.shape)}`);
  if (weight.ndim !== 3) throw new RangeError(`conv1d: expected a 3-D weight [O, C/groups, k], got shape ${fmt(weight.shape)}`);
  const one = (v: Pair | undefined, name: string): number | undefined => {
    if (v === undefined || typeof v === "number") return v;
    throw new TypeError(`conv1d: ${name} must be a single integer, got ${JSON.stringify(v)}`);
  };
  const pad = options.padding;
  const o2: ConvOptions = {
    stride: [1, one(options.stride, "stride") ?? 1],
    dilation: [1, one(options.dilation, "dilation") ?? 1],
    padding: pad === "same" || pad === "valid" ? pad : [0, one(pad as Pair | undefined, "padding") ?? 0],
    groups: options.groups,
  };
  const batched = input.ndim === 3 ? input : input.unsqueeze(0);
  const out = conv2d(batched.unsqueeze(2), weight.unsqueeze(2), bias, o2).squeeze(2);
  return input.ndim === 3 ? out : out.squeeze(0);
}

export interface PoolOptions {
  stride?: Pair | null;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
}

function poolGeometry(kernelSize: Pair, options: PoolOptions, op: string): PoolGeometry {
  const kernel = pair(kernelSize, 1, "kernelSize", op);
  return {
    kernel,
    stride: options.stride === undefined || options.stride === null ? kernel : pair(options.stride, 1, "stride", op),
    padding: pair(options.padding, 0, "padding", op),
    dilation: pair(options.dilation, 1, "dilation", op),
    ceilMode: options.ceilMode ?? false,
  };
}

export function maxPool2d(input: Tensor, kernelSize: Pair, options: PoolOptions = {}): Tensor {
  checkOptions("maxPool2d", options, ["stride", "padding", "dilation", "ceilMode"], "{ stride: 2 }", ["returnIndices"]);
  return maxOp(input, poolGeometry(kernelSize, options, "maxPool2d"));
}

export interface AvgPoolOptions { stride?: Pair | null; padding?: Pair; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number }
export function avgPool2d(input: Tensor, kernelSize: Pair, options: AvgPoolOptions = {}): Tensor {
  checkOptions("avgPool2d", options, ["stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"], "{ stride: 2 }");
  return avgOp(input, poolGeometry(kernelSize, { stride: options.stride, padding: options.padding, ceilMode: options.ceilMode }, "avgPool2d"), options.countIncludePad ?? true, options.divisorOverride);
}

export type AdaptiveSize = number | readonly [number | null, number | null];
export function adaptiveAvgPool2d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  const size: readonly [number | null, number | null] = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(size) || size.length !== 2) throw new TypeError(`adaptiveAvgPool2d: outputSize must be a number or a pair, got ${JSON.stringify(outputSize)}`);
  return adaptiveOp(input, size);
}

export interface ConvLayerOptions extends ConvOptions {
  bias?: boolean;
  dtype?: "float32" | "float64";
  /** Only "zeros" (PyTorch's default) is implemented. */
  paddingMode?: "zeros";
}

/** Shared by Conv1d and Conv2d: PyTorch's parameter shapes and default initialisation. */
abstract class ConvNd extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly options: ConvOptions;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: readonly number[], options: ConvLayerOptions, where: string) {
    super();
    checkOptions(where, options, [...CONV_KEYS, "bias", "dtype", "paddingMode"], "{ stride: 1, padding: 1 }");
    if (options.paddingMode !== undefined && options.paddingMode !== "zeros") throw new Error(`${where}: paddingMode "${options.paddingMode}" is not supported yet (only "zeros")`);
    const groups = options.groups ?? 1;
    for (const [name, v] of [["inChannels", inChannels], ["outChannels", outChannels]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${where}: ${name} must be a positive integer, got ${v}`);
      if (v % groups !== 0) throw new RangeError(`${where}: ${name} (${v}) must be divisible by groups (${groups})`);
    }
    if (kernelSize.some((k) => !Number.isInteger(k) || k <= 0)) throw new RangeError(`${where}: kernelSize must be positive integers, got ${fmt(kernelSize)}`);
    this.options = { stride: options.stride, padding: options.padding, dilation: options.dilation, groups: options.groups };
    this.weight = Parameter(zeros([outChannels, inChannels / groups, ...kernelSize], { dtype: options.dtype }));
    this.bias = options.bias === false ? null : Parameter(zeros([outChannels], { dtype: options.dtype }));
    this.resetParameters();
  }

  /** PyTorch's default: kaiming_uniform(a=√5) for the weight, U(±1/√fanIn) for the bias. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const fanIn = init.fans(this.weight).fanIn;
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  protected override extraRepr(): string {
    const o = this.options;
    const extra = [o.stride !== undefined ? `stride=${JSON.stringify(o.stride)}` : "", o.padding !== undefined ? `padding=${JSON.stringify(o.padding)}` : "",
      o.dilation !== undefined ? `dilation=${JSON.stringify(o.dilation)}` : "", o.groups !== undefined && o.groups !== 1 ? `groups=${o.groups}` : "", this.bias === null ? "bias=false" : ""].filter(Boolean);
    return [`${this.inChannels}, ${this.outChannels}, kernelSize=${fmt(this.kernelSize)}`, ...extra].join(", ");
  }
}

export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvLayerOptions = {}) {
    super(inChannels, outChannels, pair(kernelSize, 1, "kernelSize", "nn.Conv2d"), options, "nn.Conv2d");
  }
  override forward(x: Tensor): Tensor { return conv2d(x, this.weight, this.bias, this.options); }
}

export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number, options: ConvLayerOptions = {}) {
    super(inChannels, outChannels, [kernelSize], options, "nn.Conv1d");
  }
  override forward(x: Tensor): Tensor { return conv1d(x, this.weight, this.bias, this.options); }
}

export class MaxPool2d extends Module {
  readonly options: PoolOptions;
  constructor(readonly kernelSize: Pair, options: PoolOptions = {}) {
    super();
    checkOptions("nn.MaxPool2d", options, ["stride", "padding", "dilation", "ceilMode"], "{ stride: 2 }", ["returnIndices"]);
    this.options = { ...options };
    poolGeometry(kernelSize, options, "nn.MaxPool2d");
  }
  override forward(x: Tensor): Tensor { return maxPool2d(x, this.kernelSize, this.options); }
  protected override extraRepr(): string { return `kernelSize=${JSON.stringify(this.kernelSize)}${this.options.stride != null ? `, stride=${JSON.stringify(this.options.stride)}` : ""}`; }
}

export class AvgPool2d extends Module {
  readonly options: AvgPoolOptions;
  constructor(readonly kernelSize: Pair, options: AvgPoolOptions = {}) {
    super();
    checkOptions("nn.AvgPool2d", options, ["stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"], "{ stride: 2 }");
    this.options = { ...options };
  }
  override forward(x: Tensor): Tensor { return avgPool2d(x, this.kernelSize, this.options); }
  protected override extraRepr(): string { return `kernelSize=${JSON.stringify(this.kernelSize)}`; }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) { super(); }
  override forward(x: Tensor): Tensor { return adaptiveAvgPool2d(x, this.outputSize); }
  protected override extraRepr(): string { return `outputSize=${JSON.stringify(this.outputSize)}`; }
}
