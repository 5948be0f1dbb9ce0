/**
 * Recurrent layers: RNN (tanh), LSTM and GRU, stacked, with PyTorch's parameter names
 * (weight_ih_l0, bias_hh_l1, …), gate order and default initialisation U(±1/√hidden).
 * Each time step is composed from linear and elementwise ops, so gradients flow through time
 * by the ops' own gradients.
 */
import { Tensor } from "../tensor";
import { zeros } from "../creation";
import { fmt } from "../shape";
import { checkOptions } from "../options";
import { stack } from "../ops/shape";
import { Module, Parameter } from "./module";
import * as F from "./functional";
import * as init from "./init";

export interface RNNOptions {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  /** Dropout on each layer's outputs except the last, in training. */
  dropout?: number;
  dtype?: "float32" | "float64";
}

type Cell = (x: Tensor, state: Tensor[], layer: number) => Tensor[];

/** What the three layers share: parameters per layer, input layout, and the loop over layers and time. */
abstract class RecurrentBase extends Module {
  readonly numLayers: number;
  readonly batchFirst: boolean;
  readonly dropout: number;
  constructor(readonly inputSize: number, readonly hiddenSize: number, options: RNNOptions, gates: number, protected readonly where: string) {
    super();
    checkOptions(where, options, ["numLayers", "bias", "batchFirst", "dropout", "dtype"], "{ numLayers: 2, batchFirst: true }", ["bidirectional", "projSize", "nonlinearity"]);
    for (const [name, v] of [["inputSize", inputSize], ["hiddenSize", hiddenSize]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${where}: ${name} must be a positive integer, got ${v}`);
    }
    this.numLayers = options.numLayers ?? 1;
    if (!Number.isInteger(this.numLayers) || this.numLayers < 1) throw new RangeError(`${where}: numLayers must be a positive integer, got ${this.numLayers}`);
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new RangeError(`${where}: dropout must be between 0 and 1, got ${this.dropout}`);
    const bound = 1 / Math.sqrt(hiddenSize);
    const self = this as unknown as Record<string, Tensor>;
    const dtype = options.dtype;
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? inputSize : hiddenSize;
      self[`weight_ih_l${l}`] = init.uniform_(Parameter(zeros([gates * hiddenSize, inSize], { dtype })), -bound, bound);
      self[`weight_hh_l${l}`] = init.uniform_(Parameter(zeros([gates * hiddenSize, hiddenSize], { dtype })), -bound, bound);
      if (options.bias !== false) {
        self[`bias_ih_l${l}`] = init.uniform_(Parameter(zeros([gates * hiddenSize], { dtype })), -bound, bound);
        self[`bias_hh_l${l}`] = init.uniform_(Parameter(zeros([gates * hiddenSize], { dtype })), -bound, bound);
      }
    }
  }

  /** A zero initial state of shape [numLayers, batch, hidden] (or [numLayers, hidden]). */
  initHidden(batchSize?: number): Tensor {
    const dtype = (this as unknown as Record<string, Tensor>).weight_ih_l0.dtype;
    return batchSize === undefined ? zeros([this.numLayers, this.hiddenSize], { dtype }) : zeros([this.numLayers, batchSize, this.hiddenSize], { dtype });
  }

  protected weights(l: number): { wih: Tensor; whh: Tensor; bih?: Tensor; bhh?: Tensor } {
    const self = this as unknown as Record<string, Tensor | undefined>;
    return { wih: self[`weight_ih_l${l}`]!, whh: self[`weight_hh_l${l}`]!, bih: self[`bias_ih_l${l}`], bhh: self[`bias_hh_l${l}`] };
  }

  /** Runs `cell` over layers and time; `states` are the initial states ([numLayers, batch, hidden] each, or unbatched). */
  protected run(input: Tensor, states: (Tensor | undefined)[], cell: Cell): { output: Tensor; finals: Tensor[] } {
    if (input.ndim !== 2 && input.ndim !== 3) throw new RangeError(`${this.where}: expected input of rank 2 or 3, got shape ${fmt(input.shape)}`);
    const batched = input.ndim === 3;
    let x = batched ? (this.batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
    const batch = x.shape[1];
    if (x.shape[2] !== this.inputSize) throw new RangeError(`${this.where}: input has ${x.shape[2]} features, expected inputSize ${this.inputSize}`);
    const initial = states.map((s) => {
      if (s === undefined) return zeros([this.numLayers, batch, this.hiddenSize], { dtype: x.dtype });
      const h = batched ? s : s.unsqueeze(1);
      if (h.ndim !== 3 || h.shape[0] !== this.numLayers || h.shape[1] !== batch || h.shape[2] !== this.hiddenSize) {
        throw new RangeError(`${this.where}: expected a state of shape [${this.numLayers}, ${batch}, ${this.hiddenSize}]${batched ? "" : ` (unbatched: [${this.numLayers}, ${this.hiddenSize}])`}, got ${fmt(s.shape)}`);
      }
      return h;
    });
    const finals: Tensor[][] = initial.map(() => []);
    for (let l = 0; l < this.numLayers; l++) {
      let state = initial.map((s) => s.select(0, l));
      const outs: Tensor[] = [];
      for (let t = 0; t < x.shape[0]; t++) {
        state = cell(x.select(0, t), state, l);
        outs.push(state[0]);
      }
      state.forEach((s, i) => finals[i].push(s));
      x = stack(outs, 0);
      if (this.dropout > 0 && l < this.numLayers - 1) x = F.dropout(x, this.dropout, this.training);
    }
    let output = batched && this.batchFirst ? x.transpose(0, 1) : x;
    let stacked = finals.map((f) => stack(f, 0));
    if (!batched) {
      output = output.squeeze(1);
      stacked = stacked.map((s) => s.squeeze(1));
    }
    return { output, finals: stacked };
  }
}

/** Elman RNN with tanh: h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh). */
export class RNN extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) { super(inputSize, hiddenSize, options, 1, "RNN"); }

  /** input [seq, batch, in] (or [batch, seq, in] with batchFirst, or unbatched [seq, in]) → [output, hN]. */
  override forward(input: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const { output, finals } = this.run(input, [h0], (x, [h], l) => {
      const { wih, whh, bih, bhh } = this.weights(l);
      return [F.linear(x, wih, bih).add(F.linear(h, whh, bhh)).tanh()];
    });
    return [output, finals[0]];
  }
}

/**
 * LSTM, gates in PyTorch's order (input, forget, cell, output):
 * c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t).
 */
export class LSTM extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) { super(inputSize, hiddenSize, options, 4, "LSTM"); }

  /** → [output, [hN, cN]], as PyTorch's `output, (h_n, c_n)`. */
  override forward(input: Tensor, state?: readonly [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    if (state !== undefined && (!Array.isArray(state) || state.length !== 2)) throw new TypeError("LSTM: the initial state must be a pair [h0, c0]");
    const { output, finals } = this.run(input, [state?.[0], state?.[1]], (x, [h, c], l) => {
      const { wih, whh, bih, bhh } = this.weights(l);
      const [i, f, g, o] = F.linear(x, wih, bih).add(F.linear(h, whh, bhh)).chunk(4, -1);
      const cNext = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
      return [o.sigmoid().mul(cNext.tanh()), cNext];
    });
    return [output, [finals[0], finals[1]]];
  }
}

/**
 * GRU, gates in PyTorch's order (reset, update, new):
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}, computed as n + z ⊙ (h − n) (as PyTorch's).
 */
export class GRU extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) { super(inputSize, hiddenSize, options, 3, "GRU"); }

  override forward(input: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const { output, finals } = this.run(input, [h0], (x, [h], l) => {
      const { wih, whh, bih, bhh } = this.weights(l);
      const [xr, xz, xn] = F.linear(x, wih, bih).chunk(3, -1);
      const [hr, hz, hn] = F.linear(h, whh, bhh).chunk(3, -1);
      const r = xr.add(hr).sigmoid(), z = xz.add(hz).sigmoid();
      const n = xn.add(r.mul(hn)).tanh();
      return [n.add(z.mul(h.sub(n)))];
    });
    return [output, finals[0]];
  }
}
