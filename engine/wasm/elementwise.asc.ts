// AssemblyScript (compiled with gemm.asc.ts into one WebAssembly module; not TypeScript).
//
// Elementwise loops whose JavaScript form is branchy on random signs (relu and its gradient):
// two (float64) or four (float32) lanes at a time, branch-free, and exactly the JavaScript
// loops' values: max(x, 0) keeps NaN and turns −0 into +0; the gradient is g where y > 0 or y is
// NaN, else +0.

/** Over n values: out = max(x, 0), or with `grad`, out = g where x (relu's output) > 0 or is NaN, else 0. */
@inline function reluT<T>(n: i32, x: usize, g: usize, out: usize, grad: bool): void {
  const S = sizeof<T>();
  const L: i32 = 16 / <i32>S;
  const zero = v128.splat<T>(0);
  const n4 = n - n % L;
  for (let i = 0; i < n4; i += L) {
    const o = <usize>i * S;
    const xv = v128.load(x + o);
    v128.store(out + o, grad ? v128.and(v128.load(g + o), v128.or(v128.gt<T>(xv, zero), v128.ne<T>(xv, xv))) : v128.max<T>(xv, zero));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i * S;
    const xv = load<T>(x + o);
    store<T>(out + o, grad ? (xv <= 0 ? <T>0 : load<T>(g + o)) : max<T>(xv, 0));
  }
}

export function relu32(n: i32, x: usize, out: usize): void { reluT<f32>(n, x, 0, out, false); }
export function relu64(n: i32, x: usize, out: usize): void { reluT<f64>(n, x, 0, out, false); }
export function reluGrad32(n: i32, g: usize, y: usize, out: usize): void { reluT<f32>(n, y, g, out, true); }
export function reluGrad64(n: i32, g: usize, y: usize, out: usize): void { reluT<f64>(n, y, g, out, true); }

// tanh in float32, four lanes at a time, within 2 ulp of the correctly rounded value (tested):
// an odd polynomial (Taylor's, to x¹⁵) below |x| = 0.55, and 1 − 2/(e^(2|x|) + 1) above it, with
// e^y = 2^k·e^r (k = round(y/ln 2), |r| ≤ ln2/2, e^r to r⁷). |x| is clamped to 10, past which
// tanh rounds to ±1 in float32. The sign is copied back, so tanh(−0) = −0; NaN stays NaN.
export function tanh32(n: i32, x: usize, out: usize): void {
  const n4 = n & ~3;
  const signBit = i32x4.splat(0x80000000);
  const ten = f32x4.splat(10), small = f32x4.splat(0.55), one = f32x4.splat(1), two = f32x4.splat(2);
  const log2e = f32x4.splat(1.4426950408889634), ln2hi = f32x4.splat(0.693145751953125), ln2lo = f32x4.splat(1.428606765330187e-6);
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const a = f32x4.pmin(v128.andnot(v, signBit), ten); // pmin keeps a NaN |x| (10 < NaN is false)
    // Small |x|: x·(1 + x²·(c3 + x²·(c5 + …))).
    const z = f32x4.mul(a, a);
    let p = f32x4.splat(-929569.0 / 638512875.0);
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(21844.0 / 6081075.0));
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-1382.0 / 155925.0));
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(62.0 / 2835.0));
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-17.0 / 315.0));
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.0 / 15.0));
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-1.0 / 3.0));
    const lo = f32x4.add(a, f32x4.mul(f32x4.mul(a, z), p));
    // Large |x|: through e^(2|x|).
    const y = f32x4.add(a, a);
    const k = f32x4.nearest(f32x4.mul(y, log2e));
    const r = f32x4.sub(f32x4.sub(y, f32x4.mul(k, ln2hi)), f32x4.mul(k, ln2lo));
    let q = f32x4.splat(1.0 / 5040.0);
    q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.0 / 720.0));
    q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.0 / 120.0));
    q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.0 / 24.0));
    q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.0 / 6.0));
    q = f32x4.add(f32x4.mul(q, r), f32x4.splat(0.5));
    q = f32x4.add(f32x4.mul(q, r), one);
    q = f32x4.add(f32x4.mul(q, r), one);
    const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
    const e = f32x4.mul(q, scale);
    const hi = f32x4.sub(one, f32x4.div(two, f32x4.add(e, one)));
    const t = v128.bitselect(lo, hi, f32x4.lt(a, small));
    v128.store(out + o, v128.or(t, v128.and(v, signBit)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, <f32>NativeMath.tanh(<f64>load<f32>(x + o)));
  }
}
