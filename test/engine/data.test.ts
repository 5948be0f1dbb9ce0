/** TensorDataset and DataLoader: batching, the last batch, seeded shuffling, collation, errors. */
import * as assert from "node:assert/strict";
import { arange, DataLoader, manualSeed, tensor, Tensor, TensorDataset } from "gradlens";

const rows = (t: Tensor) => (t.tolist() as number[][]).map((r) => r[0]);

describe("TensorDataset and DataLoader", () => {
  const x = arange(10).reshape(10, 1).mul(1);
  const y = arange(10).mul(10);
  const ds = new TensorDataset(x, y);

  it("a TensorDataset's items are rows of each tensor", () => {
    assert.equal(ds.length, 10);
    const [xi, yi] = ds.get(3);
    assert.deepEqual(xi.tolist(), [3]);
    assert.equal(yi.item(), 30);
    assert.equal(ds.get(-1)[1].item(), 90);
    assert.throws(() => ds.get(10), /TensorDataset: index 10 is out of range for 10 rows/);
    assert.throws(() => new TensorDataset(x, arange(9)), /size mismatch between tensors: tensor 0 has 10 rows, tensor 1 \(shape \[9\]\) has 9/);
  });

  it("batches in order, with a smaller last batch unless dropLast", () => {
    const loader = new DataLoader(ds, { batchSize: 4 });
    assert.equal(loader.length, 3);
    const batches = [...loader];
    assert.deepEqual(batches.map(([bx]) => [...bx.shape]), [[4, 1], [4, 1], [2, 1]]);
    assert.deepEqual(rows(batches[2][0]), [8, 9]);
    assert.deepEqual(Array.from(batches[1][1].data), [40, 50, 60, 70]);
    const dropping = new DataLoader(ds, { batchSize: 4, dropLast: true });
    assert.equal(dropping.length, 2);
    assert.equal([...dropping].length, 2);
  });

  it("shuffles each epoch from the seeded generator: a permutation, reproducible with manualSeed", () => {
    const loader = new DataLoader(ds, { batchSize: 3, shuffle: true });
    const epoch = () => [...loader].flatMap(([bx, by]) => rows(bx).map((v, i) => { assert.equal(by.data[i], v * 10, "x and y stay paired"); return v; }));
    manualSeed(1);
    const a = epoch(), b = epoch();
    manualSeed(1);
    const again = epoch();
    assert.deepEqual([...a].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.notDeepEqual(a, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.notDeepEqual(a, b, "a new order each epoch");
    assert.deepEqual(again, a);
  });

  it("collates arrays, objects and numbers by default, and takes a collate function", () => {
    const items = [{ text: "a", n: 1, v: tensor([1, 2]) }, { text: "b", n: 2, v: tensor([3, 4]) }];
    const [batch] = [...new DataLoader(items, { batchSize: 2 })] as unknown as { text: string[]; n: Tensor; v: Tensor }[];
    assert.deepEqual(batch.text, ["a", "b"]);
    assert.deepEqual(Array.from(batch.n.data), [1, 2]);
    assert.deepEqual(batch.v.tolist(), [[1, 2], [3, 4]]);
    const sums = [...new DataLoader([1, 2, 3, 4, 5], { batchSize: 2, collate: (b: number[]) => b.reduce((p, q) => p + q, 0) })];
    assert.deepEqual(sums, [3, 7, 5]);
    assert.throws(() => [...new DataLoader([tensor([1]), tensor([1, 2])], { batchSize: 2 })], /can't stack items of different shapes: \[1\] \(item 0\) and \[2\] \(item 1\)/);
  });

  it("a custom dataset (length + get) works, and bad options say so", () => {
    const squares = { length: 5, get: (i: number) => [tensor([i]), tensor(i * i)] };
    const [[bx, by]] = [...new DataLoader(squares, { batchSize: 5 })];
    assert.deepEqual(by.tolist(), [0, 1, 4, 9, 16]);
    assert.deepEqual([...bx.shape], [5, 1]);
    assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
    assert.throws(() => new DataLoader(ds, { numWorkers: 2 } as never), /DataLoader: unknown option "numWorkers"/);
    assert.throws(() => new DataLoader(42 as never), /expected a dataset/);
  });
});
