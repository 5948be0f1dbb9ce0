/** Layers and loss modules. Default initialisation matches PyTorch's. */
import { checkOptions } from "../options";
import { Tensor } from "../tensor";
import { zeros, tensor } from "../creation";
import { fmt } from "../shape";
import { Module, Parameter } from "./module";
import * as F from "./functional";
import * as init from "./init";

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, options: { bias?: boolean; dtype?: "float32" | "float64" } = {}) {
    super();
    for (const [name, v] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`Linear: ${name} must be a positive integer, got ${v}`);
    }
    this.weight = Parameter(zeros([outFeatures, inFeatures], { dtype: options.dtype }));
    this.bias = options.bias === false ? null : Parameter(zeros([outFeatures], { dtype: options.dtype }));
    this.resetParameters();
  }

  /** PyTorch's default: kaiming_uniform(a=√5) for the weight, U(±1/√fanIn) for the bias. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const bound = 1 / Math.sqrt(this.inFeatures);
      init.uniform_(this.bias, -bound, bound);
    }
  }

  override forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new TypeError(`Linear.forward: expected a Tensor, got ${typeof x}`);
    if (x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new RangeError(`Linear: input of shape ${fmt(x.shape)} has ${x.shape[x.ndim - 1]} features, expected ${this.inFeatures}`);
    }
    return F.linear(x, this.weight, this.bias);
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Runs modules in order; children are named "0", "1", ... as in PyTorch. */
export class Sequential extends Module {
  [index: number]: Module;
  declare readonly length: number;
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new TypeError(`Sequential: argument ${i} is not a Module`);
      this[i] = m;
    });
    Object.defineProperty(this, "length", { value: modules.length, enumerable: false });
  }

  override forward(x: Tensor): Tensor {
    let out = x;
    for (let i = 0; i < this.length; i++) out = this[i].forward(out);
    return out;
  }
}

export class ReLU extends Module {
  override forward(x: Tensor): Tensor { return x.relu(); }
}
export class Tanh extends Module {
  override forward(x: Tensor): Tensor { return x.tanh(); }
}
export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor { return x.sigmoid(); }
}
export class GELU extends Module {
  override forward(x: Tensor): Tensor { return x.gelu(); }
}
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  override forward(x: Tensor): Tensor { return F.leakyRelu(x, this.negativeSlope); }
  protected override extraRepr(): string { return `negativeSlope=${this.negativeSlope}`; }
}
/** x·σ(x), also called swish. */
export class SiLU extends Module {
  override forward(x: Tensor): Tensor { return F.silu(x); }
}
export class LogSoftmax extends Module {
  constructor(readonly dim: number) { super(); }
  override forward(x: Tensor): Tensor { return x.logSoftmax(this.dim); }
}
/** Returns its input (a placeholder, as PyTorch's nn.Identity). */
export class Identity extends Module {
  override forward(x: Tensor): Tensor { return x; }
}

/** Flattens dimensions startDim…endDim into one (by default all but the batch dimension). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  override forward(x: Tensor): Tensor { return F.flatten(x, this.startDim, this.endDim); }
  protected override extraRepr(): string { return `startDim=${this.startDim}, endDim=${this.endDim}`; }
}

/** Holds modules in a list; they are registered (parameters, train/eval, stateDict) as "0", "1", … */
export class ModuleList extends Module {
  private readonly _items: Module[] = [];
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  get length(): number { return this._items.length; }
  append(module: Module): this {
    if (!(module instanceof Module)) throw new TypeError(`ModuleList.append: expected a Module, got ${typeof module}`);
    this._items.push(module);
    return this;
  }
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }
  /** The module at `index` (negative counts from the end). */
  get(index: number): Module {
    const i = index < 0 ? index + this._items.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this._items.length) throw new RangeError(`ModuleList: index ${index} is out of range for a list of ${this._items.length}`);
    return this._items[i];
  }
  [Symbol.iterator](): Iterator<Module> { return this._items[Symbol.iterator](); }
  override namedChildren(): [string, Module][] { return this._items.map((m, i) => [String(i), m]); }
  override forward(): never { throw new Error("ModuleList has no forward(): iterate over it and call each module"); }
}

/** Holds modules by name; registered under their keys (parameters, train/eval, stateDict). */
export class ModuleDict extends Module {
  private readonly _items = new Map<string, Module>();
  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    const entries = Symbol.iterator in Object(modules) ? (modules as Iterable<[string, Module]>) : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }
  get size(): number { return this._items.size; }
  set(key: string, module: Module): this {
    if (typeof key !== "string" || key === "" || key.includes(".")) throw new TypeError(`ModuleDict: keys must be non-empty strings without ".", got ${JSON.stringify(key)}`);
    if (!(module instanceof Module)) throw new TypeError(`ModuleDict: "${key}" must be a Module`);
    this._items.set(key, module);
    return this;
  }
  get(key: string): Module {
    const m = this._items.get(key);
    if (m === undefined) throw new RangeError(`ModuleDict: no module named "${key}" (has: ${[...this._items.keys()].join(", ") || "none"})`);
    return m;
  }
  has(key: string): boolean { return this._items.has(key); }
  keys(): IterableIterator<string> { return this._items.keys(); }
  values(): IterableIterator<Module> { return this._items.values(); }
  entries(): IterableIterator<[string, Module]> { return this._items.entries(); }
  [Symbol.iterator](): Iterator<[string, Module]> { return this._items.entries(); }
  override namedChildren(): [string, Module][] { return [...this._items]; }
  override forward(): never { throw new Error("ModuleDict has no forward(): call the modules it holds"); }
}

export class Softmax extends Module {
  constructor(readonly dim: number) { super(); }
  override forward(x: Tensor): Tensor { return x.softmax(this.dim); }
}

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: probability has to be between 0 and 1, but got ${p}`);
  }
  override forward(x: Tensor): Tensor { return F.dropout(x, this.p, this.training); }
}

export interface EmbeddingOptions {
  /** This row starts as zeros and never receives a gradient (so it stays as it is). */
  paddingIdx?: number;
  dtype?: "float32" | "float64";
}

export class Embedding extends Module {
  weight: Tensor;
  readonly paddingIdx: number | null;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    checkOptions("nn.Embedding", options, ["paddingIdx", "dtype"], "{ paddingIdx: 0 }", ["maxNorm", "normType", "scaleGradByFreq", "sparse"]);
    for (const [name, v] of [["numEmbeddings", numEmbeddings], ["embeddingDim", embeddingDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`nn.Embedding: ${name} must be a positive integer, got ${v}`);
    }
    const p = options.paddingIdx;
    if (p !== undefined && (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings)) throw new RangeError(`nn.Embedding: paddingIdx must be within numEmbeddings (${numEmbeddings}), got ${p}`);
    this.paddingIdx = p === undefined ? null : p < 0 ? p + numEmbeddings : p;
    this.weight = Parameter(zeros([numEmbeddings, embeddingDim], { dtype: options.dtype }));
    init.normal_(this.weight);
    if (this.paddingIdx !== null) this.weight.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
  }
  override forward(indices: Tensor | number[]): Tensor {
    return F.embedding(Array.isArray(indices) ? tensor(indices) : indices, this.weight, this.paddingIdx);
  }
  protected override extraRepr(): string { return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ""}`; }
}

/** A loss module's options, as PyTorch's keyword arguments: `new nn.MSELoss({ reduction: "sum" })`. */
export interface LossOptions { reduction?: F.Reduction }

/**
 * Loss modules take one options object, checked strictly when constructed (not at the first
 * forward): an option gradlens doesn't implement yet is named there.
 */
abstract class Loss extends Module {
  readonly reduction: F.Reduction;
  constructor(options: LossOptions | undefined, known: readonly string[] = ["reduction"], unsupported: readonly string[] = []) {
    super();
    const where = `nn.${new.target.name}`;
    checkOptions(where, options, known, '{ reduction: "sum" }', unsupported);
    const reduction = options?.reduction ?? "mean";
    if (!["mean", "sum", "none"].includes(reduction)) throw new RangeError(`${where}: option "reduction" must be "mean", "sum" or "none", got ${JSON.stringify(reduction)}`);
    this.reduction = reduction;
  }
}
export class MSELoss extends Loss {
  constructor(options?: LossOptions) { super(options); }
  override forward(input: Tensor, target: Tensor): Tensor { return F.mseLoss(input, target, { reduction: this.reduction }); }
}
export class L1Loss extends Loss {
  constructor(options?: LossOptions) { super(options); }
  override forward(input: Tensor, target: Tensor): Tensor { return F.l1Loss(input, target, { reduction: this.reduction }); }
}
export class CrossEntropyLoss extends Loss {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options?: F.CrossEntropyOptions) {
    super(options, ["reduction", "weight", "ignoreIndex", "labelSmoothing"]);
    this.weight = options?.weight ?? null;
    this.ignoreIndex = options?.ignoreIndex ?? -100;
    this.labelSmoothing = options?.labelSmoothing ?? 0;
  }
  override forward(logits: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(logits, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex, labelSmoothing: this.labelSmoothing });
  }
}
export class NLLLoss extends Loss {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  constructor(options?: F.ClassLossOptions) {
    super(options, ["reduction", "weight", "ignoreIndex"]);
    this.weight = options?.weight ?? null;
    this.ignoreIndex = options?.ignoreIndex ?? -100;
  }
  override forward(logProbs: Tensor, target: Tensor): Tensor { return F.nllLoss(logProbs, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex }); }
}
export class BCELoss extends Loss {
  constructor(options?: LossOptions) { super(options, ["reduction"], ["weight"]); }
  override forward(input: Tensor, target: Tensor): Tensor { return F.binaryCrossEntropy(input, target, { reduction: this.reduction }); }
}
export class BCEWithLogitsLoss extends Loss {
  readonly posWeight?: Tensor;
  constructor(options?: LossOptions & { posWeight?: Tensor }) {
    super(options, ["reduction", "posWeight"], ["weight"]);
    this.posWeight = options?.posWeight;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, posWeight: this.posWeight });
  }
}
