/**
 * Matrix products. One primitive, `bmm` over equal batch shapes with transpose flags (so backward
 * never copies a transpose); matmul's 1-D and broadcasting cases are composed from
 * unsqueeze/expand/squeeze, so their gradients come for free. `linear` is its own op: x·Wᵀ + b with
 * the bias as the product's starting value and W read transposed in place.
 */
import { broadcastShapes, fmt, sameShape } from "../shape";
import { Tensor } from "../tensor";
import { checkTensor, defineOp, empty, record, resultDType } from "./record";
import { Data } from "../dtype";
import { needed } from "./elementwise";
import { CStart, wasmGemm } from "../wasm/gemm";

/**
 * C[m×n] += op(A)·op(B) for one batch, where op(A) is m×k (stored k×m when `ta`) and op(B) is k×n
 * (stored n×k when `tb`): on the WebAssembly SIMD kernel when it pays (float32 or float64), else in
 * JavaScript, each C[i][j] summed in k order either way. `cStart`: what C starts as (see wasmGemm).
 */
export function gemm(ta: boolean, tb: boolean, a: Data, aOff: number, b: Data, bOff: number, c: Data, cOff: number, m: number, k: number, n: number, cStart: CStart = "c"): void {
  if (a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array && wasmGemm(ta, tb, a, aOff, b, bOff, c, cOff, m, k, n, cStart)) return;
  if (a instanceof Float64Array && b instanceof Float64Array && c instanceof Float64Array && wasmGemm(ta, tb, a, aOff, b, bOff, c, cOff, m, k, n, cStart)) return;
  if (typeof cStart !== "string") for (let r = 0, i = cOff; r < m; r++) for (let j = 0; j < n; j++, i++) c[i] = cStart[j];
  // Strides of op(A) along (row, k) and of op(B) along (k, column). No skipping of zeros in A:
  // 0 × Inf and 0 × NaN must give NaN, as in PyTorch.
  const aRow = ta ? 1 : k, aK = ta ? m : 1;
  const bK = tb ? 1 : n, bCol = tb ? k : 1;
  if (n >= k) {
    // i-k-j: the inner loop runs along a row of C (and of B unless transposed).
    for (let i = 0; i < m; i++) {
      const ci = cOff + i * n, ai = aOff + i * aRow;
      for (let p = 0; p < k; p++) {
        const av = a[ai + p * aK];
        const bp = bOff + p * bK;
        for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j * bCol];
      }
    }
    return;
  }
  // i-j-k: each C[i][j] a dot product along k, summed in k order (few columns, a long k).
  for (let i = 0; i < m; i++) {
    const ci = cOff + i * n, ai = aOff + i * aRow;
    for (let j = 0; j < n; j++) {
      const bj = bOff + j * bCol;
      let s = c[ci + j];
      for (let p = 0; p < k; p++) s += a[ai + p * aK] * b[bj + p * bK];
      c[ci + j] = s;
    }
  }
}

const MATMUL = defineOp("matmul");
/**
 * Batched op(a)·op(b) with identical batch dims: a is [..., m, k] ([..., k, m] when `ta`), b is
 * [..., k, n] ([..., n, k] when `tb`). Its backward products use flags too.
 */
function bmm(a: Tensor, b: Tensor, ta = false, tb = false): Tensor {
  const r = a.ndim;
  const m = a.shape[r - (ta ? 1 : 2)], k = a.shape[r - (ta ? 2 : 1)], n = b.shape[r - (tb ? 2 : 1)];
  const batch = a.numel() / (m * k || 1);
  const shape = [...a.shape.slice(0, r - 2), m, n];
  const out = empty(shape, resultDType(a, b));
  if (k > 0) for (let i = 0; i < batch; i++) gemm(ta, tb, a.data, i * m * k, b.data, i * k * n, out.data, i * m * n, m, k, n, "zero");
  return record(out, MATMUL, [a, b], needed([a, b], [b, a]), (g) => [
    // C = op(a)·op(b): dop(a) = g·op(b)ᵀ and dop(b) = op(a)ᵀ·g, each written back in a's (b's) own layout.
    a.requiresGrad ? (ta ? bmm(b, g, tb, true) : bmm(g, b, false, !tb)).to(a.dtype) : null,
    b.requiresGrad ? (tb ? bmm(g, a, true, ta) : bmm(a, g, !ta, false)).to(b.dtype) : null,
  ]);
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, "matmul");
  checkTensor(b, "matmul", "other");
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`matmul: both arguments need at least 1 dimension, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  const k1 = a.shape[a.ndim - 1];
  const k2 = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  if (k1 !== k2) throw new RangeError(`matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} cannot be multiplied (${k1} ≠ ${k2})`);
  const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
  const b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
  const batchA = a2.shape.slice(0, -2), batchB = b2.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB, "matmul");
  const ea = batchA.length === batch.length && batchA.every((s, i) => s === batch[i]) ? a2 : a2.expand([...batch, ...a2.shape.slice(-2)]);
  const eb = batchB.length === batch.length && batchB.every((s, i) => s === batch[i]) ? b2 : b2.expand([...batch, ...b2.shape.slice(-2)]);
  let out = bmm(ea, eb);
  if (b.ndim === 1) out = out.squeeze(-1);
  if (a.ndim === 1) out = out.squeeze(b.ndim === 1 ? -1 : -2);
  return out;
}

const LINEAR = defineOp("linear");
/**
 * x·Wᵀ + b for x [..., in], W [out, in], b [out]: the rows of the output start as the bias and the
 * product is added in, W read transposed by the kernel. Anything else (mixed dtypes, a broadcast
 * bias, a 1-D weight) takes the composed path, so promotion and errors stay matmul's and add's.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const dtype = x.dtype;
  const composed = weight.dtype !== dtype || weight.ndim !== 2 || x.ndim === 0 ||
    (bias !== null && (bias.dtype !== dtype || bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]));
  if (composed) {
    // PyTorch's rules: with a bias and a 2-D or 3-D input (which it multiplies with addmm) the
    // weight must be a matrix; the bias is added in place, so it may broadcast to the product's
    // shape but never grow it.
    if (bias !== null && weight.ndim !== 2 && (x.ndim === 2 || x.ndim === 3)) throw new RangeError(`linear: weight must be a matrix (2-D) when there is a bias, got shape ${fmt(weight.shape)}`);
    const y = x.matmul(weight.t());
    if (bias === null) return y;
    const shape = broadcastShapes(y.shape, bias.shape, "linear");
    if (!sameShape(shape, y.shape)) throw new RangeError(`linear: bias of shape ${fmt(bias.shape)} doesn't broadcast to the output's shape ${fmt(y.shape)}`);
    return y.add(bias);
  }
  const inF = weight.shape[1], outF = weight.shape[0];
  if (x.shape[x.ndim - 1] !== inF) throw new RangeError(`linear: input of shape ${fmt(x.shape)} cannot be multiplied with weight of shape ${fmt(weight.shape)} (${x.shape[x.ndim - 1]} ≠ ${inF})`);
  const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
  const shape = [...x.shape.slice(0, -1), outF];
  const out = empty(shape, dtype);
  const o = out.data;
  // Every row starts as the bias; the product is added to it.
  if (inF > 0) gemm(false, true, x.data, 0, weight.data, 0, o, 0, rows, inF, outF, bias === null ? "zero" : bias.data);
  else if (bias !== null) for (let r = 0; r < rows; r++) o.set(bias.data, r * outF);
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  return record(out, LINEAR, inputs, needed([x, weight], [weight, x]), (g) => {
    const g2 = g.reshape([rows, outF]);
    return [
      x.requiresGrad ? bmm(g2, weight).reshape(x.shape) : null,
      weight.requiresGrad ? bmm(g2, x.reshape([rows, inF]), true, false) : null,
      ...(bias === null ? [] : [bias.requiresGrad ? columnSums(g2, rows, outF) : null]),
    ];
  });
}

/** The bias gradient: g [rows, n] summed over rows, in row order (what g.sum(0) adds up). */
function columnSums(g: Tensor, rows: number, n: number): Tensor {
  const out = empty([n], g.dtype);
  const gd = g.data, o = out.data;
  const acc = new Float64Array(n);
  if (g.dtype === "float64") {
    for (let r = 0, i = 0; r < rows; r++) for (let j = 0; j < n; j++, i++) acc[j] += gd[i];
  } else {
    // Rounded to float32 after every addition, as a float32 sum(0) accumulates.
    for (let r = 0, i = 0; r < rows; r++) for (let j = 0; j < n; j++, i++) acc[j] = Math.fround(acc[j] + gd[i]);
  }
  o.set(acc);
  return out;
}
