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
