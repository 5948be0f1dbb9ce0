/** Autograd semantics, bullet by bullet against PyTorch's behaviour. */
import * as assert from "node:assert/strict";
import { tensor, ones, zeros, randn, noGrad, enableGrad, isGradEnabled, manualSeed, Tensor } from "gradlens";

const leaf = (data: number[]) => tensor(data, { requiresGrad: true });
const values = (t: Tensor | null) => (t === null ? null : Array.from(t.data));

describe("autograd semantics", () => {
  it("backward() accumulates into leaf .grad across calls", () => {
    const w = leaf([1, 2, 3]);
    w.mul(2).sum().backward();
    assert.deepEqual(values(w.grad), [2, 2, 2]);
    w.mul(w).sum().backward();
    assert.deepEqual(values(w.grad), [4, 6, 8]);
  });

  it("a gradient a leaf takes without copying is never shared: with another leaf, a hook, a retained grad or the seed", () => {
    // Identity backwards hand one tensor to several inputs; each leaf must still own its .grad.
    const a = leaf([1, 2]), b = leaf([3, 4]);
    a.add(b).sum().backward();
    a.grad!.addInPlaceRaw(tensor([10, 10]));
    assert.deepEqual([values(a.grad), values(b.grad)], [[11, 11], [1, 1]]);
    // A matrix product's gradients are fresh: taken, then accumulated into on the next backward.
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true }), w = tensor([[1, 0], [0, 1]], { requiresGrad: true });
    x.matmul(w).sum().backward();
    const first = x.grad;
    x.matmul(w).sum().backward();
    assert.equal(x.grad, first);
    assert.deepEqual([values(x.grad), values(w.grad)], [[2, 2, 2, 2], [8, 8, 12, 12]]);
    // A hook that keeps the gradient it saw: accumulating into .grad must not change what it kept.
    let kept: Tensor | null = null;
    const h = leaf([1, 2]);
    h.registerHook((g) => { kept = g; });
    const y = h.mul(tensor([2, 3]));
    y.sum().backward(undefined, { retainGraph: true });
    y.sum().backward();
    assert.deepEqual([values(h.grad), values(kept)], [[4, 6], [2, 3]]);
    // retainGrad on an intermediate whose gradient then reaches a leaf.
    const l = leaf([1, 2]);
    const mid = l.mul(tensor([5, 7])).sum(0, true).expand(2);
    mid.retainGrad();
    mid.mul(tensor([1, 2])).sum().backward();
    l.grad!.addInPlaceRaw(tensor([100, 100]));
    assert.deepEqual(values(mid.grad), [1, 2]);
    // The seed given to backward stays the caller's.
    const s = leaf([1, 2]), seed = tensor([3, 4]);
    s.mul(1).backward(seed);
    s.grad!.addInPlaceRaw(tensor([1, 1]));
    assert.deepEqual([values(seed), values(s.grad)], [[3, 4], [4, 5]]);
  });

  it("accumulation keeps the same .grad tensor object (in place, like PyTorch)", () => {
    const w = leaf([1]);
    w.mul(3).sum().backward();
    const first = w.grad;
    w.mul(3).sum().backward();
    assert.equal(w.grad, first);
    assert.deepEqual(values(w.grad), [6]);
  });

  it("does not populate .grad of non-leaf tensors unless retainGrad() was called", () => {
    const x = leaf([1, 2]);
    const y = x.mul(3);
    const z = x.mul(4);
    z.retainGrad();
    y.add(z).sum().backward();
    assert.equal(y.grad, null);
    assert.deepEqual(values(z.grad), [1, 1]);
    assert.equal(y.isLeaf, false);
    assert.equal(y.gradFn, "MulBackward");
    assert.equal(x.gradFn, null);
  });

  it("refuses to create a gradient implicitly for a non-scalar output", () => {
    const y = leaf([1, 2]).mul(2);
    assert.throws(() => y.backward(), /grad can be implicitly created only for scalar outputs/);
    y.backward(tensor([1, 10]));
    assert.throws(() => leaf([1, 2]).mul(1).backward(tensor([1])), /gradient has shape \[1\] but the tensor has shape \[2\]/);
  });

  it("throws on a second backward through a freed graph, unless retainGraph", () => {
    const x = leaf([1, 2]);
    const y = x.mul(x).sum();
    y.backward();
    assert.throws(() => y.backward(), /backward through the graph a second time.*retainGraph: true/s);

    const x2 = leaf([1, 2]);
    const y2 = x2.mul(x2).sum();
    y2.backward(undefined, { retainGraph: true });
    y2.backward();
    assert.deepEqual(values(x2.grad), [4, 8]);
  });

  it("errors clearly when backward is called on a tensor that needs no grad", () => {
    assert.throws(() => tensor([1]).sum().backward(), /does not require grad/);
  });

  it("noGrad / enableGrad / isGradEnabled nest and restore the mode", () => {
    const x = leaf([1]);
    assert.equal(isGradEnabled(), true);
    const y = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      const inner = enableGrad(() => x.mul(2));
      assert.equal(inner.requiresGrad, true);
      return x.mul(2);
    });
    assert.equal(y.requiresGrad, false);
    assert.equal(isGradEnabled(), true);
    assert.throws(() => noGrad(() => { throw new Error("boom"); }), /boom/);
    assert.equal(isGradEnabled(), true, "mode restored after a throw");
  });

  it("detach() shares storage and version counter but cuts the graph", () => {
    const x = leaf([1, 2]);
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.ok(d.sharesStorageWith(x));
    d.mul_(10);
    assert.deepEqual(values(x), [10, 20]);
    assert.equal(x.version, 1);
  });

  it("rejects in-place ops on a leaf that requires grad, except inside noGrad", () => {
    const w = leaf([1, 2]);
    assert.throws(() => w.add_(1), /add_: a leaf tensor that requires grad is being used in an in-place operation/);
    assert.throws(() => w.zero_(), /zero_:/);
    noGrad(() => w.sub_(tensor([1, 1])));
    assert.deepEqual(values(w), [0, 1]);
  });

  it("detects in-place modification of a tensor saved for backward, naming the op", () => {
    const x = leaf([1, 2, 3]);
    const h = x.mul(2);
    const y = h.mul(h).sum(); // MulBackward saved h
    h.add_(1);
    assert.throws(() => y.backward(), /MulBackward: .*modified by an in-place operation by add_.*version 1; expected version 0/);
  });

  it("in-place on a non-leaf rebases its history", () => {
    const x = leaf([1, 2]);
    const h = x.mul(3);
    h.add_(x); // h = 3x + x
    h.sum().backward();
    assert.deepEqual(values(x.grad), [4, 4]);
    assert.equal(h.gradFn, "AddBackward");
  });

  it("hooks see and may replace the gradient; remove() unregisters", () => {
    const x = leaf([1, 2]);
    const seen: number[][] = [];
    const handle = x.registerHook((g) => {
      seen.push(Array.from(g.data));
      return g.mul(10);
    });
    x.mul(2).sum().backward();
    assert.deepEqual(seen, [[2, 2]]);
    assert.deepEqual(values(x.grad), [20, 20]);
    handle.remove();
    x.grad = null;
    x.mul(2).sum().backward();
    assert.deepEqual(values(x.grad), [2, 2]);

    const y = leaf([1]);
    const mid = y.mul(5);
    mid.registerHook((g) => g.mul(0));
    mid.mul(2).sum().backward();
    assert.deepEqual(values(y.grad), [0]);
    assert.throws(() => tensor([1]).registerHook(() => undefined), /does not require grad/);
  });

  it("sends the gradient of a shared subexpression once per use", () => {
    const x = leaf([2]);
    const a = x.mul(x); // x²
    const b = a.add(a).add(a.mul(x)); // 2x² + x³
    b.sum().backward();
    assert.deepEqual(values(x.grad), [4 * 2 + 3 * 4]);
  });

  it("requiresGrad can only be changed on leaves", () => {
    const x = leaf([1]);
    assert.throws(() => { x.mul(2).requiresGrad = false; }, /only change requiresGrad of leaf tensors/);
    const y = tensor([1]);
    y.requiresGrad = true;
    assert.equal(y.requiresGrad, true);
  });

  it("propagates NaN and Infinity without throwing", () => {
    const x = leaf([0, -1, 1]);
    const y = x.log();
    assert.deepEqual(values(y)!.map(String), ["-Infinity", "NaN", "0"]);
    y.sum().backward();
    assert.deepEqual(values(x.grad)!.map(String), ["Infinity", "-1", "1"]);
    assert.ok(Number.isNaN(tensor([NaN, 1]).max().item()));
  });

  it("keeps float64 through ops and promotes mixed dtypes to float64", () => {
    const a = ones([2], { dtype: "float64" });
    assert.equal(a.add(zeros(2)).dtype, "float64");
    assert.equal(zeros(2).add(1).dtype, "float32");
    const tiny = tensor([1 + 1e-12], { dtype: "float64" });
    assert.notEqual(tiny.item(), 1);
  });

  it("manualSeed makes random tensors reproducible", () => {
    manualSeed(42);
    const a = values(randn(5));
    manualSeed(42);
    assert.deepEqual(values(randn(5)), a);
  });
});

describe("in-place writes into views", () => {
  it("into a copying view (transpose, select, slice, …) refuse: the write would not reach the base", () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: "float64", requiresGrad: true });
    const y = x.mul(1);
    assert.throws(() => y.select(0, 1).zero_(), /zero_: in-place write into the result of select\(\), which in gradlens is a copy/);
    assert.throws(() => y.t().mul_(3), /mul_: in-place write into the result of t\(\)/);
    // Even under noGrad: the values would silently not reach y.
    assert.throws(() => noGrad(() => y.slice(1, 0, 1).fill_(0)), /fill_: in-place write into the result of slice\(\)/);
    // And the other way round: writing into the base after a copying view was taken from it.
    const h = x.mul(1);
    const row = h.select(0, 0);
    assert.throws(() => h.mul_(2), /mul_: in-place write into a tensor that select\(\) was taken from/);
    assert.deepEqual(row.tolist(), [1, 2]);
  });

  it("through a storage-sharing view (view, reshape, …) in either direction refuse: only one history would change", () => {
    const x = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    // The example: PyTorch gives x.grad [3, 3] by rebasing y's history; we refuse instead of [1, 1].
    const y = x.mul(1);
    assert.throws(() => y.view(2).mul_(3), /mul_: in-place write into a tensor that shares its storage with a view made by view\(\)/);
    const y2 = x.mul(1);
    y2.reshape(2, 1);
    assert.throws(() => y2.mul_(3), /mul_: in-place write into a tensor that shares its storage with a view made by reshape\(\)/);
    // A view of a leaf that requires grad: refused as well (PyTorch raises for it too).
    assert.throws(() => x.view(2).add_(1), /add_: in-place write into a tensor that shares its storage with a view/);
    assert.deepEqual(Array.from(x.data), [1, 2], "the leaf is untouched");
    // Out of place still works and is what the message suggests.
    const z = x.mul(1).view(2).mul(3);
    z.sum().backward();
    assert.deepEqual(Array.from(x.grad!.data), [3, 3]);
    // Without gradients involved, writes through shared views behave as in PyTorch.
    const base = tensor([1, 2]);
    base.view(2).mul_(10);
    assert.deepEqual(Array.from(base.data), [10, 20]);
  });
});
