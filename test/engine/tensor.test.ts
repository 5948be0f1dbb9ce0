/** Tensor construction, shapes, ops' forward values and error messages. */
import * as assert from "node:assert/strict";
import { tensor, zeros, ones, full, arange, rand, randn, randint, zerosLike, onesLike, randnLike, cat, stack, manualSeed, nn, Tensor } from "gradlens";
import { erf } from "../../engine/ops/special";

const list = (t: Tensor) => t.tolist();

describe("tensors", () => {
  it("builds from nested arrays, numbers and typed arrays with shape and dtype", () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, "float32");
    assert.ok(t.data instanceof Float32Array);
    assert.deepEqual(tensor(3).shape, []);
    assert.equal(tensor(3).item(), 3);
    assert.equal(tensor(new Float64Array([1, 2])).dtype, "float64");
    assert.ok(tensor([1], { dtype: "float64" }).data instanceof Float64Array);
  });

  it("names what is wrong with bad input", () => {
    assert.throws(() => tensor([[1, 2], [3]]), /expected a sequence of length 2 at data\[1\] \(dimension 1\), got length 1/);
    assert.throws(() => tensor([1, "a" as unknown as number]), /expected a number at data\[1\], got string/);
    assert.throws(() => tensor([1], { dtype: "int8" as never }), /unsupported dtype "int8"/);
    assert.throws(() => zeros(2, -3), /sizes must be/);
    assert.throws(() => tensor([1, 2]).item(), /a tensor with 2 elements \(shape \[2\]\) cannot be converted to a number/);
    assert.throws(() => tensor([1, 2]).add([1, 2] as never), /add: expected a Tensor or a number, got an array \(wrap it with tensor\(\.\.\.\)\)/);
  });

  it("creates filled and random tensors", () => {
    assert.deepEqual(list(zeros(2, 2)), [[0, 0], [0, 0]]);
    assert.deepEqual(list(ones([3])), [1, 1, 1]);
    assert.deepEqual(list(full([2], 7)), [7, 7]);
    assert.deepEqual(list(arange(4)), [0, 1, 2, 3]);
    assert.deepEqual(list(arange(1, 2, 0.25)), [1, 1.25, 1.5, 1.75]);
    assert.equal(ones(2, { requiresGrad: true }).requiresGrad, true);
    manualSeed(1);
    const r = rand(1000);
    assert.ok(Array.from(r.data).every((v) => v >= 0 && v < 1));
    const n = randn(4000);
    const mean = n.mean().item(), std = n.sub(mean).pow(2).mean().sqrt().item();
    assert.ok(Math.abs(mean) < 0.08 && Math.abs(std - 1) < 0.08, `mean ${mean}, std ${std}`);
    const ints = randint(0, 3, [500]);
    assert.deepEqual([...new Set(ints.data)].sort(), [0, 1, 2]);
    const x = randn(2, 3, { dtype: "float64" });
    assert.deepEqual(zerosLike(x).shape, [2, 3]);
    assert.equal(onesLike(x).dtype, "float64");
    assert.equal(randnLike(x).numel(), 6);
  });

  it("broadcasts binary ops and reports incompatible shapes", () => {
    assert.deepEqual(list(tensor([[1], [2]]).add(tensor([10, 20, 30]))), [[11, 21, 31], [12, 22, 32]]);
    assert.throws(() => tensor([1, 2, 3]).add(tensor([1, 2])), /add: shapes \[3\] and \[2\] cannot be broadcast/);
  });

  it("multiplies matrices in every supported rank combination", () => {
    const a = tensor([[1, 2], [3, 4]]);
    assert.deepEqual(list(a.matmul(tensor([[5], [6]]))), [[17], [39]]);
    assert.equal(tensor([1, 2, 3]).matmul(tensor([4, 5, 6])).item(), 32);
    assert.deepEqual(list(tensor([1, 1]).matmul(a)), [4, 6]);
    assert.deepEqual(list(a.matmul(tensor([1, 1]))), [3, 7]);
    assert.deepEqual(zeros(5, 2, 3).matmul(zeros(3, 4)).shape, [5, 2, 4]);
    assert.throws(() => zeros(2, 3).matmul(zeros(4, 5)), /^RangeError: matmul: shapes \[2, 3\] and \[4, 5\] cannot be multiplied/);
  });

  it("reduces along dims with keepdim", () => {
    const t = tensor([[1, 5, 3], [4, 2, 6]]);
    assert.deepEqual(list(t.sum(0)), [5, 7, 9]);
    assert.deepEqual(list(t.sum(1, true)), [[9], [12]]);
    assert.deepEqual(list(t.mean(-1)), [3, 4]);
    assert.deepEqual(list(t.max(1).values), [5, 6]);
    assert.deepEqual(list(t.min(0).values), [1, 2, 3]);
    assert.deepEqual(list(t.argmax(1)), [1, 2]);
    assert.equal(t.argmax().item(), 5);
    assert.equal(tensor([3, 4]).norm().item(), 5);
    assert.throws(() => t.sum(2), /sum: dimension 2 is out of range for a tensor of rank 2/);
  });

  it("reshapes, permutes, slices and indexes", () => {
    const t = arange(6).reshape(2, 3);
    assert.deepEqual(list(t.t()), [[0, 3], [1, 4], [2, 5]]);
    assert.deepEqual(list(t.view(-1)), [0, 1, 2, 3, 4, 5]);
    assert.ok(t.view(3, 2).sharesStorageWith(t));
    assert.deepEqual(arange(24).reshape(2, 3, 4).permute(2, 0, 1).shape, [4, 2, 3]);
    assert.deepEqual(t.unsqueeze(0).shape, [1, 2, 3]);
    assert.deepEqual(zeros(1, 3, 1).squeeze().shape, [3]);
    assert.deepEqual(list(tensor([[1], [2]]).expand(2, 3)), [[1, 1, 1], [2, 2, 2]]);
    assert.deepEqual(list(t.select(1, -1)), [2, 5]);
    assert.deepEqual(list(t.slice(1, 0, 3, 2)), [[0, 2], [3, 5]]);
    assert.deepEqual(list(t.index([1, 1, 0])), [[3, 4, 5], [3, 4, 5], [0, 1, 2]]);
    assert.deepEqual(list(cat([t, t], 1)), [[0, 1, 2, 0, 1, 2], [3, 4, 5, 3, 4, 5]]);
    assert.deepEqual(stack([tensor([1, 2]), tensor([3, 4])], 1).tolist(), [[1, 3], [2, 4]]);
    assert.throws(() => t.reshape(4, 2), /reshape: shape \[4, 2\] is invalid for input of size 6/);
    assert.throws(() => t.index([2]), /index: index 2 is out of bounds for size 2/);
    assert.throws(() => stack([zeros(2), zeros(3)]), /stack: expects each tensor to be equal size/);
  });

  it("softplus follows PyTorch's beta and threshold (x itself, gradient 1, past the threshold); values recorded from PyTorch 1.13", () => {
    const close = (got: ArrayLike<number>, want: number[]) => want.forEach((w, i) => assert.ok(Number.isNaN(w) ? Number.isNaN(got[i]) : Math.abs(got[i] - w) <= 1e-15 * (1 + Math.abs(w)), `[${i}] ${got[i]} vs ${w}`));
    const x = tensor([-30, -2, 0, 0.5, 3, 19.9, 20, 20.5, 40, NaN], { dtype: "float64", requiresGrad: true });
    const y = nn.functional.softplus(x);
    y.sum().backward();
    close(y.data, [9.357622968839737e-14, 0.1269280110429725, 0.6931471805599453, 0.9740769841801067, 3.048587351573742, 19.900000002277924, 20.000000002061153, 20.5, 40.0, NaN]);
    close(x.grad!.data, [9.3576229688393e-14, 0.11920292202211755, 0.5, 0.6224593312018546, 0.9525741268224333, 0.9999999977220729, 0.9999999979388464, 1.0, 1.0, NaN]);
    const x2 = x.detach().requiresGrad_();
    const y2 = nn.functional.softplus(x2, { beta: 2, threshold: 5 });
    y2.sum().backward();
    close(y2.data, [4.37825538134826e-27, 0.009074963958904869, 0.34657359027997264, 0.6566308437591114, 3.0, 19.9, 20.0, 20.5, 40.0, NaN]);
    close(x2.grad!.data, [8.75651076269652e-27, 0.017986209962091555, 0.5, 0.7310585786300049, 1.0, 1.0, 1.0, 1.0, 1.0, NaN]);
    assert.throws(() => nn.functional.softplus(x, { beta: 0 }), /softplus: beta must be a finite non-zero number, got 0/);
    assert.throws(() => nn.functional.softplus(x, { betta: 2 } as never), /softplus/);
  });

  it("computes activations and comparisons", () => {
    const x = tensor([-1, 0, 2]);
    assert.deepEqual(list(x.relu()), [0, 0, 2]);
    assert.deepEqual(list(x.gt(0)), [0, 0, 1]);
    assert.deepEqual(list(x.eq(tensor([-1, 1, 2]))), [1, 0, 1]);
    assert.deepEqual(list(x.lt(0)), [1, 0, 0]);
    const s = tensor([[1, 2, 3]]).softmax(1);
    assert.ok(Math.abs(s.sum().item() - 1) < 1e-6);
    assert.ok(Number.isFinite(tensor([1000, 0]).logSoftmax(0).sum().item()), "log-softmax is stable for large logits");
    assert.ok(Math.abs(tensor([1], { dtype: "float64" }).gelu().item() - 0.8413447460685429) < 1e-12);
  });

  it("erf matches reference values to double precision", () => {
    const reference: [number, number][] = [[0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3.5, 0.9999992569016276], [-1.5, -0.9661051464753108]];
    for (const [x, want] of reference) assert.ok(Math.abs(erf(x) - want) < 1e-14, `erf(${x}) = ${erf(x)}, want ${want}`);
  });

  it("samples from multinomial according to the weights", () => {
    manualSeed(3);
    const counts = [0, 0, 0];
    const samples = tensor([0.1, 0, 0.9]).multinomial(2000, true);
    for (const v of samples.data) counts[v]++;
    assert.equal(counts[1], 0);
    assert.ok(counts[2] > counts[0] * 5, JSON.stringify(counts));
    assert.deepEqual([...tensor([1, 1, 1]).multinomial(3).data].sort(), [0, 1, 2]);
    assert.throws(() => tensor([1, 1]).multinomial(3), /cannot sample 3 > 2 categories without replacement/);
  });

  it("prints compactly: a 100×100 tensor is summarised, not 196 KB (PyTorch parity in test/parity)", () => {
    assert.equal(String(tensor([1, 2])), "tensor([1., 2.])");
    assert.ok(String(randn(100, 100)).length < 1000);
    assert.match(String(tensor([1], { requiresGrad: true }).mul(2)), /gradFn=<MulBackward>/);
  });
});

describe("strict inputs name what was wrong", () => {
  it("to() takes a dtype, not a device", () => {
    assert.throws(() => tensor([1]).to("cuda" as never), /to: expected a dtype, "float32" or "float64", got "cuda" \(gradlens runs on the CPU/);
  });
  it("sizes say which argument is wrong", () => {
    assert.throws(() => randn("2" as never, 3), /randn: sizes must be non-negative integers, got the string "2" at position 0/);
    assert.throws(() => zeros(2, 1.5), /zeros: sizes must be non-negative integers, got 1\.5 at position 1/);
  });
  it("a 0/1 mask is not taken for row numbers, and indices must be integers", () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    assert.throws(() => x.index(tensor([1, 0, 1]).gt(0)), /index: got a 0\/1 mask \(the result of a comparison\)/);
    assert.throws(() => x.index([1.5]), /index: indices must be integers, got 1\.5/);
    assert.deepEqual(x.index([2, -1]).tolist(), [[5, 6], [5, 6]]);
  });
});
