/**
 * Matrix products. One primitive, `bmm` over equal batch shapes; matmul's 1-D and broadcasting
 * cases are composed from unsqueeze/expand/squeeze, so their gradients come for free.
 */
import { broadcastShapes, fmt } from "../shape";
import { Tensor } from "../tensor";
import { checkTensor, defineOp, empty, record, resultDType } from "./record";
import { Data } from "../dtype";
import { needed } from "./elementwise";
import { wasmGemm } from "../wasm/gemm";

/**
 * C[m×n] += A[m×k]·B[k×n] for one batch: on the WebAssembly SIMD kernel when it pays (float32 or float64),
 * else i-k-j order so the inner loop streams rows.
 */
function gemm(a: Data, aOff: number, b: Data, bOff: number, c: Data, cOff: number, m: number, k: number, n: number): void {
  if (a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array && wasmGemm(a, aOff, b, bOff, c, cOff, m, k, n)) return;
  if (a instanceof Float64Array && b instanceof Float64Array && c instanceof Float64Array && wasmGemm(a, aOff, b, bOff, c, cOff, m, k, n)) return;
  for (let i = 0; i < m; i++) {
    const ci = cOff + i * n;
    const ai = aOff + i * k;
    for (let p = 0; p < k; p++) {
      // No skipping of zeros in A: 0 × Inf and 0 × NaN must give NaN, as in PyTorch.
      const av = a[ai + p];
      const bp = bOff + p * n;
      for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j];
    }
  }
}

const MATMUL = defineOp("matmul");
/** Batched product of [..., m, k] and [..., k, n] with identical batch dims. */
function bmm(a: Tensor, b: Tensor): Tensor {
  const r = a.ndim;
  const m = a.shape[r - 2], k = a.shape[r - 1], n = b.shape[r - 1];
  const batch = a.numel() / (m * k || 1);
  const shape = [...a.shape.slice(0, r - 2), m, n];
  const out = empty(shape, resultDType(a, b));
  if (k > 0) for (let i = 0; i < batch; i++) gemm(a.data, i * m * k, b.data, i * k * n, out.data, i * m * n, m, k, n);
  return record(out, MATMUL, [a, b], needed([a, b], [b, a]), (g) => [
    a.requiresGrad ? bmm(g, b.transpose(-1, -2)).to(a.dtype) : null,
    b.requiresGrad ? bmm(a.transpose(-1, -2), g).to(b.dtype) : null,
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
