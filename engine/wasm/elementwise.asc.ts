// AssemblyScript (compiled with gemm.asc.ts into one WebAssembly module; not TypeScript).
//
// Elementwise loops whose JavaScript form is branchy on random signs (relu and its gradient):
// two (float64) or four (float32) lanes at a time, branch-free, and exactly the JavaScript
// loops' values: max(x, 0) keeps NaN and turns −0 into +0; the gradient is g where y > 0 or y is
// NaN, else +0.

/** out[i] = max(x[i], 0) over n values. */
@inline function reluT<T>(n: i32, x: usize, out: usize): void {
  const S = sizeof<T>();
  const L: i32 = 16 / <i32>S;
  const zero = v128.splat<T>(0);
  const n4 = n - n % L;
  for (let i = 0; i < n4; i += L) {
    const o = <usize>i * S;
    v128.store(out + o, v128.max<T>(v128.load(x + o), zero));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i * S;
    store<T>(out + o, max<T>(load<T>(x + o), 0));
  }
}

/** out[i] = g[i] where y[i] > 0 or y[i] is NaN, else 0, over n values. */
@inline function reluGradT<T>(n: i32, g: usize, y: usize, out: usize): void {
  const S = sizeof<T>();
  const L: i32 = 16 / <i32>S;
  const zero = v128.splat<T>(0);
  const n4 = n - n % L;
  for (let i = 0; i < n4; i += L) {
    const o = <usize>i * S;
    const yv = v128.load(y + o);
    const keep = v128.or(v128.gt<T>(yv, zero), v128.ne<T>(yv, yv));
    v128.store(out + o, v128.and(v128.load(g + o), keep));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i * S;
    const yv = load<T>(y + o);
    store<T>(out + o, yv <= 0 ? <T>0 : load<T>(g + o));
  }
}

export function relu32(n: i32, x: usize, out: usize): void { reluT<f32>(n, x, out); }
export function relu64(n: i32, x: usize, out: usize): void { reluT<f64>(n, x, out); }
export function reluGrad32(n: i32, g: usize, y: usize, out: usize): void { reluGradT<f32>(n, g, y, out); }
export function reluGrad64(n: i32, g: usize, y: usize, out: usize): void { reluGradT<f64>(n, g, y, out); }
