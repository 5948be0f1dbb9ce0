/**
 * Scaled dot-product attention and nn.MultiheadAttention (PyTorch's parameter names and layout:
 * in_proj_weight [3E, E], in_proj_bias [3E], out_proj). Composed from differentiable ops.
 *
 * Masks follow PyTorch: a boolean mask (here, a 0/1 mask produced by a comparison or `isMask`)
 * marks positions that may NOT be attended with true; any other tensor is added to the scores.
 */
import { Tensor } from "../tensor";
import { ones, zeros } from "../creation";
import { fmt } from "../shape";
import { checkOptions } from "../options";
import { checkTensor } from "../ops/record";
import { where } from "../ops/conditional";
import { Module, Parameter } from "./module";
import { Linear } from "./layers";
import * as F from "./functional";
import * as init from "./init";

/** A mask as additive scores: −∞ where a boolean mask is true, the values themselves otherwise. */
function additive(mask: Tensor, like: Tensor): Tensor {
  if (!mask.isMask) return mask;
  const blocked = zeros(mask.shape, { dtype: like.dtype }).add(-Infinity);
  return where(mask, blocked, 0);
}

/** A causal mask [L, S]: position i may attend to positions ≤ i. */
export function causalMask(l: number, s = l): Tensor {
  const m = ones([l, s]).triu(1);
  m.isMask = true;
  return m;
}

export interface AttentionOptions {
  attnMask?: Tensor | null;
  dropoutP?: number;
  isCausal?: boolean;
  /** The scores' scale; 1/√(head dim) by default. */
  scale?: number;
  /** Whether dropout applies (F.scaledDotProductAttention always applies dropoutP, as PyTorch's). */
  training?: boolean;
}

/** softmax(q·kᵀ·scale + mask)·v over the last two dimensions: q [..., L, D], k [..., S, D], v [..., S, Dv]. */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  return attend(q, k, v, options).output;
}

function attend(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): { output: Tensor; weights: Tensor } {
  checkOptions("scaledDotProductAttention", options, ["attnMask", "dropoutP", "isCausal", "scale", "training"], "{ isCausal: true }");
  checkTensor(q, "scaledDotProductAttention", "query");
  checkTensor(k, "scaledDotProductAttention", "key");
  checkTensor(v, "scaledDotProductAttention", "value");
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) throw new RangeError(`scaledDotProductAttention: query, key and value need at least 2 dimensions, got ${fmt(q.shape)}, ${fmt(k.shape)}, ${fmt(v.shape)}`);
  const d = q.shape[q.ndim - 1];
  if (k.shape[k.ndim - 1] !== d) throw new RangeError(`scaledDotProductAttention: query and key must have the same last dimension, got ${fmt(q.shape)} and ${fmt(k.shape)}`);
  if (options.isCausal && options.attnMask) throw new RangeError("scaledDotProductAttention: pass either attnMask or isCausal, not both");
  const l = q.shape[q.ndim - 2], s = k.shape[k.ndim - 2];
  const scale = options.scale ?? 1 / Math.sqrt(d);
  let scores = q.mul(scale).matmul(k.transpose(-2, -1));
  const mask = options.isCausal ? causalMask(l, s) : options.attnMask ?? null;
  if (mask !== null) scores = scores.add(additive(mask, scores));
  let weights = scores.softmax(-1);
  const p = options.dropoutP ?? 0;
  if (p > 0 && (options.training ?? true)) weights = F.dropout(weights, p, true);
  return { output: weights.matmul(v), weights };
}

export interface MultiheadAttentionOptions {
  bias?: boolean;
  batchFirst?: boolean;
  dropout?: number;
  dtype?: "float32" | "float64";
}

export interface MultiheadForwardOptions {
  /** [N, S]: true (or a non-zero 0/1 mask value) where a key is padding; a float mask is added. */
  keyPaddingMask?: Tensor | null;
  /** [L, S] or [N·heads, L, S]: boolean (true = may not attend) or additive. */
  attnMask?: Tensor | null;
  /** Apply a causal mask (each position attends to itself and earlier ones); replaces attnMask. */
  isCausal?: boolean;
  needWeights?: boolean;
  averageAttnWeights?: boolean;
}

/** Multi-head attention: `forward(query, key, value, options)` → [output, weights or null]. */
export class MultiheadAttention extends Module {
  in_proj_weight: Tensor;
  in_proj_bias: Tensor | null;
  out_proj: Linear;
  readonly headDim: number;
  readonly batchFirst: boolean;
  readonly dropout: number;
  constructor(readonly embedDim: number, readonly numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    checkOptions("nn.MultiheadAttention", options, ["bias", "batchFirst", "dropout", "dtype"], "{ batchFirst: true }", ["addBiasKv", "addZeroAttn", "kdim", "vdim"]);
    if (!Number.isInteger(embedDim) || embedDim <= 0) throw new RangeError(`nn.MultiheadAttention: embedDim must be a positive integer, got ${embedDim}`);
    if (!Number.isInteger(numHeads) || numHeads <= 0 || embedDim % numHeads !== 0) throw new RangeError(`nn.MultiheadAttention: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    this.headDim = embedDim / numHeads;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    const dtype = options.dtype;
    // PyTorch's _reset_parameters: xavier_uniform for the packed projection, zero biases.
    this.in_proj_weight = init.xavierUniform_(Parameter(zeros([3 * embedDim, embedDim], { dtype })));
    this.in_proj_bias = options.bias === false ? null : Parameter(zeros([3 * embedDim], { dtype }));
    this.out_proj = new Linear(embedDim, embedDim, { bias: options.bias !== false, dtype });
    if (this.out_proj.bias) init.zeros_(this.out_proj.bias);
  }

  override forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadForwardOptions = {}): [Tensor, Tensor | null] {
    checkOptions("MultiheadAttention.forward", options, ["keyPaddingMask", "attnMask", "isCausal", "needWeights", "averageAttnWeights"], "{ isCausal: true }");
    const batched = query.ndim === 3;
    if (query.ndim !== 2 && query.ndim !== 3) throw new RangeError(`MultiheadAttention: expected query of shape [L, N, E] (or [N, L, E] with batchFirst, or unbatched [L, E]), got ${fmt(query.shape)}`);
    // Work in [L, N, E] like PyTorch's implementation.
    const seqFirst = (t: Tensor) => (!batched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t);
    const q0 = seqFirst(query), k0 = seqFirst(key), v0 = seqFirst(value);
    const [l, n, e] = q0.shape;
    const s = k0.shape[0];
    if (e !== this.embedDim) throw new RangeError(`MultiheadAttention: expected embedding size ${this.embedDim}, got query of shape ${fmt(query.shape)}`);
    if (k0.shape[1] !== n || v0.shape[1] !== n || v0.shape[0] !== s) throw new RangeError(`MultiheadAttention: key ${fmt(key.shape)} and value ${fmt(value.shape)} must match the query's batch and each other's length`);
    const [wq, wk, wv] = this.in_proj_weight.chunk(3, 0);
    const [bq, bk, bv] = this.in_proj_bias ? this.in_proj_bias.chunk(3, 0) : [null, null, null];
    const h = this.numHeads, d = this.headDim;
    // [L, N, E] → [N·H, L, D]
    const heads = (t: Tensor, len: number) => t.reshape(len, n * h, d).transpose(0, 1);
    const q = heads(F.linear(q0, wq, bq), l), k = heads(F.linear(k0, wk, bk), s), v = heads(F.linear(v0, wv, bv), s);
    let mask: Tensor | null = null;
    if (options.isCausal) mask = additive(causalMask(l, s), q);
    else if (options.attnMask) {
      const m = options.attnMask;
      if (!(m.ndim === 2 && m.shape[0] === l && m.shape[1] === s) && !(m.ndim === 3 && m.shape[0] === n * h && m.shape[1] === l && m.shape[2] === s)) {
        throw new RangeError(`MultiheadAttention: attnMask must have shape [${l}, ${s}] or [${n * h}, ${l}, ${s}], got ${fmt(m.shape)}`);
      }
      mask = additive(m, q);
    }
    if (options.keyPaddingMask) {
      const kp = batched ? options.keyPaddingMask : options.keyPaddingMask.unsqueeze(0);
      if (kp.ndim !== 2 || kp.shape[0] !== n || kp.shape[1] !== s) throw new RangeError(`MultiheadAttention: keyPaddingMask must have shape [${n}, ${s}], got ${fmt(options.keyPaddingMask.shape)}`);
      const padding = additive(kp, q).reshape(n, 1, 1, s).expand(n, h, 1, s).reshape(n * h, 1, s);
      mask = mask === null ? padding : mask.add(padding);
    }
    const { output, weights } = attend(q, k, v, { attnMask: mask, dropoutP: this.dropout, training: this.training });
    // [N·H, L, D] → [L, N, E] → out_proj
    let out = this.out_proj.forward(output.transpose(0, 1).reshape(l, n, e));
    out = !batched ? out.squeeze(1) : this.batchFirst ? out.transpose(0, 1) : out;
    if (options.needWeights === false) return [out, null];
    let w = weights.reshape(n, h, l, s);
    if (options.averageAttnWeights !== false) w = w.mean(1);
    if (!batched) w = w.squeeze(0);
    return [out, w];
  }

  protected override extraRepr(): string { return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, batchFirst=${this.batchFirst}`; }
}
