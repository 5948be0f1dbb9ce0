// AssemblyScript (compiled to WebAssembly with SIMD128 by scripts/build.mjs; not TypeScript).
// C[m×n] += A[m×k]·B[k×n], row-major float32, in 4×8 register tiles: eight f32x4 accumulators,
// one row of B loaded per k step. Plain multiply then add (no FMA), so NaN and Inf propagate as
// IEEE arithmetic says (0 × Inf = NaN), as in PyTorch.

export function gemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32): void {
  const n8 = n & ~7;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    for (let j = 0; j < n8; j += 8) {
      let c00 = v128.load(c + (((i) * n + j) << 2)), c01 = v128.load(c + (((i) * n + j + 4) << 2));
      let c10 = v128.load(c + (((i + 1) * n + j) << 2)), c11 = v128.load(c + (((i + 1) * n + j + 4) << 2));
      let c20 = v128.load(c + (((i + 2) * n + j) << 2)), c21 = v128.load(c + (((i + 2) * n + j + 4) << 2));
      let c30 = v128.load(c + (((i + 3) * n + j) << 2)), c31 = v128.load(c + (((i + 3) * n + j + 4) << 2));
      for (let p = 0; p < k; p++) {
        const bp = b + ((p * n + j) << 2);
        const b0 = v128.load(bp), b1 = v128.load(bp, 16);
        const a0 = f32x4.splat(load<f32>(a + ((i * k + p) << 2)));
        const a1 = f32x4.splat(load<f32>(a + (((i + 1) * k + p) << 2)));
        const a2 = f32x4.splat(load<f32>(a + (((i + 2) * k + p) << 2)));
        const a3 = f32x4.splat(load<f32>(a + (((i + 3) * k + p) << 2)));
        c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1));
        c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1));
        c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1));
        c30 = f32x4.add(c30, f32x4.mul(a3, b0)); c31 = f32x4.add(c31, f32x4.mul(a3, b1));
      }
      v128.store(c + (((i) * n + j) << 2), c00); v128.store(c + (((i) * n + j + 4) << 2), c01);
      v128.store(c + (((i + 1) * n + j) << 2), c10); v128.store(c + (((i + 1) * n + j + 4) << 2), c11);
      v128.store(c + (((i + 2) * n + j) << 2), c20); v128.store(c + (((i + 2) * n + j + 4) << 2), c21);
      v128.store(c + (((i + 3) * n + j) << 2), c30); v128.store(c + (((i + 3) * n + j + 4) << 2), c31);
    }
    for (let r = i; r < i + 4; r++) for (let p = 0; p < k; p++) {
      const av = load<f32>(a + ((r * k + p) << 2));
      for (let j = n8; j < n; j++) store<f32>(c + ((r * n + j) << 2), load<f32>(c + ((r * n + j) << 2)) + av * load<f32>(b + ((p * n + j) << 2)));
    }
  }
  for (; i < m; i++) for (let p = 0; p < k; p++) {
    const av = load<f32>(a + ((i * k + p) << 2));
    for (let j = 0; j < n; j++) store<f32>(c + ((i * n + j) << 2), load<f32>(c + ((i * n + j) << 2)) + av * load<f32>(b + ((p * n + j) << 2)));
  }
}

// The float64 version: 4×4 tiles of f64x2 (two accumulators per row), 8-byte elements.
export function gemm64(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    for (let j = 0; j < n4; j += 4) {
      let c00 = v128.load(c + (((i) * n + j) << 3)), c01 = v128.load(c + (((i) * n + j + 2) << 3));
      let c10 = v128.load(c + (((i + 1) * n + j) << 3)), c11 = v128.load(c + (((i + 1) * n + j + 2) << 3));
      let c20 = v128.load(c + (((i + 2) * n + j) << 3)), c21 = v128.load(c + (((i + 2) * n + j + 2) << 3));
      let c30 = v128.load(c + (((i + 3) * n + j) << 3)), c31 = v128.load(c + (((i + 3) * n + j + 2) << 3));
      for (let p = 0; p < k; p++) {
        const bp = b + ((p * n + j) << 3);
        const b0 = v128.load(bp), b1 = v128.load(bp, 16);
        const a0 = f64x2.splat(load<f64>(a + ((i * k + p) << 3)));
        const a1 = f64x2.splat(load<f64>(a + (((i + 1) * k + p) << 3)));
        const a2 = f64x2.splat(load<f64>(a + (((i + 2) * k + p) << 3)));
        const a3 = f64x2.splat(load<f64>(a + (((i + 3) * k + p) << 3)));
        c00 = f64x2.add(c00, f64x2.mul(a0, b0)); c01 = f64x2.add(c01, f64x2.mul(a0, b1));
        c10 = f64x2.add(c10, f64x2.mul(a1, b0)); c11 = f64x2.add(c11, f64x2.mul(a1, b1));
        c20 = f64x2.add(c20, f64x2.mul(a2, b0)); c21 = f64x2.add(c21, f64x2.mul(a2, b1));
        c30 = f64x2.add(c30, f64x2.mul(a3, b0)); c31 = f64x2.add(c31, f64x2.mul(a3, b1));
      }
      v128.store(c + (((i) * n + j) << 3), c00); v128.store(c + (((i) * n + j + 2) << 3), c01);
      v128.store(c + (((i + 1) * n + j) << 3), c10); v128.store(c + (((i + 1) * n + j + 2) << 3), c11);
      v128.store(c + (((i + 2) * n + j) << 3), c20); v128.store(c + (((i + 2) * n + j + 2) << 3), c21);
      v128.store(c + (((i + 3) * n + j) << 3), c30); v128.store(c + (((i + 3) * n + j + 2) << 3), c31);
    }
    for (let r = i; r < i + 4; r++) for (let p = 0; p < k; p++) {
      const av = load<f64>(a + ((r * k + p) << 3));
      for (let j = n4; j < n; j++) store<f64>(c + ((r * n + j) << 3), load<f64>(c + ((r * n + j) << 3)) + av * load<f64>(b + ((p * n + j) << 3)));
    }
  }
  for (; i < m; i++) for (let p = 0; p < k; p++) {
    const av = load<f64>(a + ((i * k + p) << 3));
    for (let j = 0; j < n; j++) store<f64>(c + ((i * n + j) << 3), load<f64>(c + ((i * n + j) << 3)) + av * load<f64>(b + ((p * n + j) << 3)));
  }
}
