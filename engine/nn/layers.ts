/** Layers and loss modules. Default initialisation matches PyTorch's. */
import { checkOptions } from "../options";
import { Tensor } from "../tensor";
import { zeros, tensor } from "../creation";
import { fmt } from "../shape";
import { Module, Parameter } from "./module";
import * as F from "./functional";
import * as init from "./init";
import { stack } from "../ops/shape";

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

export class Embedding extends Module {
  weight: Tensor;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number) {
    super();
    this.weight = Parameter(zeros([numEmbeddings, embeddingDim]));
    init.normal_(this.weight);
  }
  override forward(indices: Tensor | number[]): Tensor {
    const idx = Array.isArray(indices) ? tensor(indices) : indices;
    // Like PyTorch's embedding: indices are 0 … numEmbeddings − 1 (no negative ones).
    for (const v of idx.data) {
      if (!Number.isInteger(v)) throw new TypeError(`Embedding: indices must be integers, got ${v}`);
      if (v < 0 || v >= this.numEmbeddings) throw new RangeError(`Embedding: index ${v} is out of range for ${this.numEmbeddings} embeddings (valid: 0 to ${this.numEmbeddings - 1})`);
    }
    return this.weight.index(idx);
  }
}

export interface RNNOptions {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
}

/** Elman RNN with tanh: h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh). */
export class RNN extends Module {
  readonly numLayers: number;
  readonly batchFirst: boolean;
  constructor(readonly inputSize: number, readonly hiddenSize: number, options: RNNOptions = {}) {
    super();
    this.numLayers = options.numLayers ?? 1;
    this.batchFirst = options.batchFirst ?? false;
    const bound = 1 / Math.sqrt(hiddenSize);
    const self = this as unknown as Record<string, Tensor>;
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? inputSize : hiddenSize;
      self[`weight_ih_l${l}`] = init.uniform_(Parameter(zeros([hiddenSize, inSize])), -bound, bound);
      self[`weight_hh_l${l}`] = init.uniform_(Parameter(zeros([hiddenSize, hiddenSize])), -bound, bound);
      if (options.bias !== false) {
        self[`bias_ih_l${l}`] = init.uniform_(Parameter(zeros([hiddenSize])), -bound, bound);
        self[`bias_hh_l${l}`] = init.uniform_(Parameter(zeros([hiddenSize])), -bound, bound);
      }
    }
  }

  /** A zero initial hidden state of shape [numLayers, batch, hidden] (or [numLayers, hidden]). */
  initHidden(batchSize?: number): Tensor {
    return batchSize === undefined ? zeros([this.numLayers, this.hiddenSize]) : zeros([this.numLayers, batchSize, this.hiddenSize]);
  }

  /** input [seq, batch, in] (or [batch, seq, in] with batchFirst, or unbatched [seq, in]) → [output, hN]. */
  override forward(input: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const batched = input.ndim === 3;
    if (input.ndim !== 2 && input.ndim !== 3) throw new RangeError(`RNN: expected input of rank 2 or 3, got shape ${fmt(input.shape)}`);
    let x = batched ? (this.batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
    const batch = x.shape[1];
    if (x.shape[2] !== this.inputSize) throw new RangeError(`RNN: input has ${x.shape[2]} features, expected inputSize ${this.inputSize}`);
    const h = h0 === undefined ? this.initHidden(batch) : batched ? h0 : h0.unsqueeze(1);
    if (h.shape[0] !== this.numLayers || h.shape[1] !== batch || h.shape[2] !== this.hiddenSize) {
      throw new RangeError(`RNN: expected hidden state of shape [${this.numLayers}, ${batch}, ${this.hiddenSize}], got ${fmt(h0!.shape)}`);
    }
    const self = this as unknown as Record<string, Tensor | undefined>;
    const finals: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const wih = self[`weight_ih_l${l}`]!, whh = self[`weight_hh_l${l}`]!;
      const bih = self[`bias_ih_l${l}`], bhh = self[`bias_hh_l${l}`];
      let ht = h.select(0, l);
      const outs: Tensor[] = [];
      for (let t = 0; t < x.shape[0]; t++) {
        ht = F.linear(x.select(0, t), wih, bih).add(F.linear(ht, whh, bhh)).tanh();
        outs.push(ht);
      }
      finals.push(ht);
      x = stack(outs, 0);
    }
    let output = batched && this.batchFirst ? x.transpose(0, 1) : x;
    let hN = stack(finals, 0);
    if (!batched) {
      output = output.squeeze(1);
      hN = hN.squeeze(1);
    }
    return [output, hN];
  }
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
  constructor(options?: LossOptions) { super(options, ["reduction"], ["weight", "ignoreIndex", "labelSmoothing"]); }
  override forward(logits: Tensor, target: Tensor): Tensor { return F.crossEntropy(logits, target, { reduction: this.reduction }); }
}
export class NLLLoss extends Loss {
  constructor(options?: LossOptions) { super(options, ["reduction"], ["weight", "ignoreIndex"]); }
  override forward(logProbs: Tensor, target: Tensor): Tensor { return F.nllLoss(logProbs, target, { reduction: this.reduction }); }
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
