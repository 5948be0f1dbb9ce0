// AssemblyScript (compiled to WebAssembly with SIMD128 by scripts/build.mjs; not TypeScript).
//
// C[m×n] += op(A)·op(B), row-major, where op(X) is X or Xᵀ (the transpose flags: backward never
// copies a transpose). Blocked the GotoBLAS way: op(B) is packed KC×NC at a time into panels NR
// columns wide, op(A) MC×KC at a time into panels MR rows tall, so the micro-kernel streams two
// contiguous panels and keeps an MR×NR tile of C in registers. Packing is where the transposes
// are absorbed, and where ragged edges are padded with zeros (the padded lanes of C are never
// stored). NaN and Inf propagate as IEEE arithmetic says (0 × Inf = NaN), as in PyTorch, and each
// C[i][j] is summed in k order; float64 multiplies then adds, so its kernel gives bit for bit the
// JavaScript loop's result, and float32 does too except in the fused build (see madd).
//
// One generic kernel serves float32 (f32x4, 4×8 tiles) and float64 (f64x2, 4×4 tiles): the lane
// width decides the register tile's width.

const MR = 4;
const KC = 256;
const MC = 128;
const NC = 2048;

@inline function nr<T>(): i32 { return 32 / sizeof<T>(); }

/** Bytes of scratch the kernel needs past `work` for these sizes (the caller allocates it). */
export function workspaceBytes(m: i32, n: i32, k: i32, elem: i32): i32 {
  const nrw = 32 / elem;
  const kc = min(k, KC), mc = min(m, MC), nc = min(n, NC);
  const packA = ((mc + MR - 1) / MR) * MR * kc;
  const packB = ((nc + nrw - 1) / nrw) * nrw * kc;
  return (packA + packB + MR * nrw) * elem + 64;
}

// Packing is two moves. A panel is kc rows of W lanes (W = MR for A, NR for B), k-major; lanes
// past `valid` (a ragged edge) are zeros.

/** dst[p·W + r] = src[r·ld + p]: W source rows, each contiguous along k, interleaved lane by lane. */
@inline function scatterRows<T>(src: usize, ld: i32, valid: i32, W: i32, kc: i32, dst: usize): void {
  const S = sizeof<T>();
  const row = <usize>ld * S;
  let r = 0;
  if (S == 4 && valid == W) {
    // float32, full: 4×4 blocks (four rows of four k) transposed in registers.
    const k4 = kc & ~3;
    for (; r < W; r += 4) {
      const s0 = src + <usize>r * row;
      for (let p = 0; p < k4; p += 4) {
        const q = s0 + <usize>p * S;
        const r0 = v128.load(q), r1 = v128.load(q + row), r2 = v128.load(q + 2 * row), r3 = v128.load(q + 3 * row);
        const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
        const t2 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
        const d = dst + <usize>(p * W + r) * S;
        const lane = <usize>W * S;
        v128.store(d, v128.shuffle<i64>(t0, t2, 0, 2));
        v128.store(d + lane, v128.shuffle<i64>(t0, t2, 1, 3));
        v128.store(d + 2 * lane, v128.shuffle<i64>(t1, t3, 0, 2));
        v128.store(d + 3 * lane, v128.shuffle<i64>(t1, t3, 1, 3));
      }
      for (let p = k4; p < kc; p++) for (let q = r; q < r + 4; q++) {
        store<T>(dst + <usize>(p * W + q) * S, load<T>(src + <usize>q * row + <usize>p * S));
      }
    }
    return;
  }
  for (; r < W; r++) {
    if (r < valid) {
      const s0 = src + <usize>r * row;
      for (let p = 0; p < kc; p++) store<T>(dst + <usize>(p * W + r) * S, load<T>(s0 + <usize>p * S));
    } else {
      for (let p = 0; p < kc; p++) store<T>(dst + <usize>(p * W + r) * S, <T>0);
    }
  }
}

/** dst[p·W + c] = src[p·ld + c]: the W adjacent values of each k copied whole. */
@inline function copyRows<T>(src: usize, ld: i32, valid: i32, W: i32, kc: i32, dst: usize): void {
  const S = sizeof<T>();
  const bytes = <usize>W * S;
  for (let p = 0; p < kc; p++) {
    const q = src + <usize>(p * ld) * S;
    const d = dst + <usize>(p * W) * S;
    if (valid == W) {
      for (let o: usize = 0; o < bytes; o += 16) v128.store(d + o, v128.load(q + o));
    } else {
      for (let c = 0; c < W; c++) store<T>(d + <usize>c * S, c < valid ? load<T>(q + <usize>c * S) : <T>0);
    }
  }
}

/** Packs op(A)[i0.., p0..] (mc×kc) into MR-row panels. */
function packA<T>(a: usize, lda: i32, trans: bool, i0: i32, p0: i32, mc: i32, kc: i32, dst: usize): void {
  const S = sizeof<T>();
  for (let r0 = 0; r0 < mc; r0 += MR) {
    const rows = min(MR, mc - r0), panel = dst + <usize>(r0 * kc) * S;
    if (trans) copyRows<T>(a + <usize>(p0 * lda + i0 + r0) * S, lda, rows, MR, kc, panel);
    else scatterRows<T>(a + <usize>((i0 + r0) * lda + p0) * S, lda, rows, MR, kc, panel);
  }
}

/** Packs op(B)[p0.., j0..] (kc×nc) into NR-column panels. */
function packB<T>(b: usize, ldb: i32, trans: bool, p0: i32, j0: i32, kc: i32, nc: i32, dst: usize): void {
  const S = sizeof<T>();
  const NR = nr<T>();
  for (let c0 = 0; c0 < nc; c0 += NR) {
    const cols = min(NR, nc - c0), panel = dst + <usize>(c0 * kc) * S;
    if (trans) scatterRows<T>(b + <usize>((j0 + c0) * ldb + p0) * S, ldb, cols, NR, kc, panel);
    else copyRows<T>(b + <usize>(p0 * ldb + j0 + c0) * S, ldb, cols, NR, kc, panel);
  }
}

/**
 * c + a·b lane by lane. Built with relaxed SIMD (the "fused" binaries), float32 uses its
 * multiply-add: fused where the CPU has FMA, one rounding instead of two, as PyTorch's BLAS
 * kernels round, and a third faster where the core was bound by its multiply and add ports.
 * float64 always multiplies then adds, so its products stay bit for bit the JavaScript loop's.
 */
@inline function madd<T>(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && sizeof<T>() == 4) return v128.relaxed_madd<T>(a, b, c);
  return v128.add<T>(c, v128.mul<T>(a, b));
}

/** C[4×NR] += Apanel·Bpanel over kc (two vectors of B per k, one splat of A per row); ldc in bytes. */
@inline function kernel<T>(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize): void {
  const S = sizeof<T>();
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  let c00 = v128.load(c), c01 = v128.load(c, 16);
  let c10 = v128.load(r1), c11 = v128.load(r1, 16);
  let c20 = v128.load(r2), c21 = v128.load(r2, 16);
  let c30 = v128.load(r3), c31 = v128.load(r3, 16);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load_splat<T>(pa);
    c00 = madd<T>(a, b0, c00); c01 = madd<T>(a, b1, c01);
    a = v128.load_splat<T>(pa, S);
    c10 = madd<T>(a, b0, c10); c11 = madd<T>(a, b1, c11);
    a = v128.load_splat<T>(pa, 2 * S);
    c20 = madd<T>(a, b0, c20); c21 = madd<T>(a, b1, c21);
    a = v128.load_splat<T>(pa, 3 * S);
    c30 = madd<T>(a, b0, c30); c31 = madd<T>(a, b1, c31);
    pa += <usize>MR * S; pb += 32;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
}

function gemmT<T>(ta: bool, tb: bool, m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, work: usize): void {
  const S = sizeof<T>();
  const NR = nr<T>();
  const kcMax = min(k, KC);
  const pa = (work + 15) & ~15;
  const pb = pa + <usize>(((min(m, MC) + MR - 1) / MR) * MR * kcMax) * S;
  const tile = pb + <usize>(((min(n, NC) + NR - 1) / NR) * NR * kcMax) * S;
  const ldcB = <usize>ldc * S;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB<T>(b, ldb, tb, pc, jc, kc, nc, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA<T>(a, lda, ta, ic, pc, mc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bp = pb + <usize>(jr * kc) * S;
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const ap = pa + <usize>(ir * kc) * S;
            const ct = c + (<usize>(ic + ir) * ldc + jc + jr) * S;
            if (rows == MR && cols == NR) {
              kernel<T>(kc, ap, bp, ct, ldcB);
            } else {
              // A ragged edge: through a full tile, only the valid part copied in and out.
              for (let r = 0; r < MR; r++) for (let q = 0; q < NR; q++) {
                store<T>(tile + <usize>(r * NR + q) * S, r < rows && q < cols ? load<T>(ct + (<usize>r * ldc + q) * S) : <T>0);
              }
              kernel<T>(kc, ap, bp, tile, <usize>NR * S);
              for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) {
                store<T>(ct + (<usize>r * ldc + q) * S, load<T>(tile + <usize>(r * NR + q) * S));
              }
            }
          }
        }
      }
    }
  }
}

/** float32: C += op(A)·op(B); op(A) is m×k, op(B) k×n; lda/ldb/ldc are row strides in elements. */
export function gemm32(ta: i32, tb: i32, m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, work: usize): void {
  gemmT<f32>(ta != 0, tb != 0, m, n, k, a, lda, b, ldb, c, ldc, work);
}

/** float64: the same. */
export function gemm64(ta: i32, tb: i32, m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, work: usize): void {
  gemmT<f64>(ta != 0, tb != 0, m, n, k, a, lda, b, ldb, c, ldc, work);
}
