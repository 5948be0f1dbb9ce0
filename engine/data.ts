/**
 * Datasets and the DataLoader (torch.utils.data): a dataset is anything with a `length` and a
 * `get(index)` (or a plain array); the loader batches it, optionally shuffled by the seeded
 * generator (manualSeed), and is iterable with for…of, once per epoch.
 */
import { Tensor } from "./tensor";
import { tensor } from "./creation";
import { stack } from "./ops/shape";
import { uniform } from "./random";
import { fmt } from "./shape";
import { checkOptions } from "./options";

/** A map-style dataset: `length` items, each read by `get(index)`. */
export interface Dataset<T> {
  readonly length: number;
  get(index: number): T;
}

/** Rows of equally long tensors: item i is [t0[i], t1[i], …] (e.g. [input, target]). */
export class TensorDataset implements Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];
  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new TypeError("TensorDataset: expected at least one tensor");
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.ndim === 0) throw new RangeError(`TensorDataset: tensor ${i} is 0-dimensional; each tensor needs a first dimension to index`);
    });
    const n = tensors[0].shape[0];
    tensors.forEach((t, i) => {
      if (t.shape[0] !== n) throw new RangeError(`TensorDataset: size mismatch between tensors: tensor 0 has ${n} rows, tensor ${i} (shape ${fmt(t.shape)}) has ${t.shape[0]}`);
    });
    this.tensors = tensors;
  }
  get length(): number {
    return this.tensors[0].shape[0];
  }
  get(index: number): Tensor[] {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) throw new RangeError(`TensorDataset: index ${index} is out of range for ${n} rows`);
    return this.tensors.map((t) => t.select(0, index));
  }
}

export type Collate<T, B> = (items: T[]) => B;

export interface DataLoaderOptions<T, B> {
  batchSize?: number;
  /** Reorder the items every epoch, from the seeded generator (manualSeed). */
  shuffle?: boolean;
  /** Leave out the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /** Builds a batch from items (default: stack tensors, make tensors of numbers, recurse into arrays and objects). */
  collate?: Collate<T, B>;
}

/**
 * PyTorch's default_collate: tensors are stacked on a new first dimension, numbers become a 1-D
 * tensor, and arrays/objects are collated position by position (key by key).
 */
export function defaultCollate(items: unknown[]): unknown {
  const first = items[0];
  if (first instanceof Tensor) {
    items.forEach((x, i) => {
      if (!(x instanceof Tensor)) throw new TypeError(`defaultCollate: item ${i} is not a Tensor, but item 0 is`);
      if (x.shape.length !== first.shape.length || x.shape.some((s, j) => s !== first.shape[j])) {
        throw new RangeError(`defaultCollate: can't stack items of different shapes: ${fmt(first.shape)} (item 0) and ${fmt(x.shape)} (item ${i}); pass a collate function`);
      }
    });
    return stack(items as Tensor[]);
  }
  if (typeof first === "number") return tensor(items as number[]);
  if (Array.isArray(first)) {
    return first.map((_, k) => defaultCollate(items.map((it, i) => {
      if (!Array.isArray(it) || it.length !== first.length) throw new RangeError(`defaultCollate: item ${i} doesn't have the ${first.length} fields item 0 has`);
      return it[k];
    })));
  }
  if (first !== null && typeof first === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) out[key] = defaultCollate(items.map((it) => (it as Record<string, unknown>)[key]));
    return out;
  }
  // Strings and anything else: left as a list.
  return items;
}

/** Batches of a dataset: `for (const [x, y] of loader) …` once per epoch. */
export class DataLoader<T = Tensor[], B = T> implements Iterable<B> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly collate: Collate<T, B>;
  constructor(readonly dataset: Dataset<T> | readonly T[], options: DataLoaderOptions<T, B> = {}) {
    checkOptions("DataLoader", options, ["batchSize", "shuffle", "dropLast", "collate"], "{ batchSize: 32, shuffle: true }");
    const isArray = Array.isArray(dataset);
    if (!isArray && (dataset === null || typeof dataset !== "object" || typeof (dataset as Dataset<T>).get !== "function" || typeof (dataset as Dataset<T>).length !== "number")) {
      throw new TypeError("DataLoader: expected a dataset (an object with length and get(index), e.g. a TensorDataset) or an array");
    }
    this.batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize <= 0) throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${this.batchSize}`);
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.collate = options.collate ?? (defaultCollate as Collate<T, B>);
    if (typeof this.collate !== "function") throw new TypeError("DataLoader: collate must be a function of the batch's items");
  }

  private get size(): number {
    return this.dataset.length;
  }

  /** The number of batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.size / this.batchSize) : Math.ceil(this.size / this.batchSize);
  }

  private item(i: number): T {
    return Array.isArray(this.dataset) ? (this.dataset as readonly T[])[i] : (this.dataset as Dataset<T>).get(i);
  }

  /** The order of one epoch: 0…n−1, or a permutation drawn from the seeded generator. */
  private order(): number[] {
    const n = this.size;
    const order = Array.from({ length: n }, (_, i) => i);
    if (this.shuffle) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(uniform() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    return order;
  }

  *[Symbol.iterator](): Iterator<B> {
    const order = this.order();
    const dataset = this.dataset;
    // A TensorDataset with the default collate gathers each batch's rows in one op per tensor.
    const direct = dataset instanceof TensorDataset && this.collate === (defaultCollate as unknown);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const indices = order.slice(start, start + this.batchSize);
      if (indices.length < this.batchSize && this.dropLast) return;
      if (direct) yield (dataset as TensorDataset).tensors.map((t) => t.index(indices)) as unknown as B;
      else yield this.collate(indices.map((i) => this.item(i)));
    }
  }
}
