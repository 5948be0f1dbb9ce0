// AssemblyScript (compiled with gemm.asc.ts into one WebAssembly module; not TypeScript).
//
// One Adam/AdamW update over a parameter, two (float64) or four (float32) lanes at a time: its
// square root and division are what bound the scalar loop. The arithmetic is engine/optim/adam.ts's,
// operation for operation and in the same order, so float64 gives bit for bit the JavaScript
// loop's result and float32 computes what PyTorch computes for a float32 parameter.
//
// Flags: 1 = maximize, 2 = weight decay added to the gradient (Adam), 4 = decoupled weight decay
// (AdamW), 8 = amsgrad (vMax is read and written). The constants 1 - β₁, 1 - β₂ and 1 - lr·λ come
// computed in float64 and rounded once, as PyTorch's Python scalars are, not recomputed in float32.

@inline function adamT<T>(n: i32, w: usize, g: usize, m: usize, v: usize, vMax: usize, flags: i32,
  b1: T, b2: T, c1: T, c2: T, eps: T, weightDecay: T, shrink: T, stepSize: T, bc2Sqrt: T): void {
  const S = sizeof<T>();
  const L: i32 = 16 / <i32>S;
  const maximize = (flags & 1) != 0, coupled = (flags & 2) != 0, decoupled = (flags & 4) != 0, ams = (flags & 8) != 0;
  const sign: T = maximize ? -1 : 1;
  const n4 = n - n % L;
  if (S == 4) {
    const vb1 = f32x4.splat(<f32>b1), vb2 = f32x4.splat(<f32>b2), vc1 = f32x4.splat(<f32>c1), vc2 = f32x4.splat(<f32>c2);
    const veps = f32x4.splat(<f32>eps), vwd = f32x4.splat(<f32>weightDecay), vstep = f32x4.splat(<f32>stepSize);
    const vbc2 = f32x4.splat(<f32>bc2Sqrt), vshrink = f32x4.splat(<f32>shrink), vsign = f32x4.splat(<f32>sign);
    for (let i = 0; i < n4; i += 4) {
      const o = <usize>i << 2;
      let wi = v128.load(w + o);
      let gi = f32x4.mul(vsign, v128.load(g + o));
      if (decoupled) wi = f32x4.mul(wi, vshrink);
      else if (coupled) gi = f32x4.add(gi, f32x4.mul(vwd, wi));
      const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gi));
      const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(f32x4.mul(vc2, gi), gi));
      v128.store(m + o, mi);
      v128.store(v + o, vi);
      let second = vi;
      if (ams) { second = f32x4.max(v128.load(vMax + o), vi); v128.store(vMax + o, second); }
      wi = f32x4.sub(wi, f32x4.div(f32x4.mul(vstep, mi), f32x4.add(f32x4.div(f32x4.sqrt(second), vbc2), veps)));
      v128.store(w + o, wi);
    }
  } else {
    const vb1 = f64x2.splat(<f64>b1), vb2 = f64x2.splat(<f64>b2), vc1 = f64x2.splat(<f64>c1), vc2 = f64x2.splat(<f64>c2);
    const veps = f64x2.splat(<f64>eps), vwd = f64x2.splat(<f64>weightDecay), vstep = f64x2.splat(<f64>stepSize);
    const vbc2 = f64x2.splat(<f64>bc2Sqrt), vshrink = f64x2.splat(<f64>shrink), vsign = f64x2.splat(<f64>sign);
    for (let i = 0; i < n4; i += 2) {
      const o = <usize>i << 3;
      let wi = v128.load(w + o);
      let gi = f64x2.mul(vsign, v128.load(g + o));
      if (decoupled) wi = f64x2.mul(wi, vshrink);
      else if (coupled) gi = f64x2.add(gi, f64x2.mul(vwd, wi));
      const mi = f64x2.add(f64x2.mul(vb1, v128.load(m + o)), f64x2.mul(vc1, gi));
      const vi = f64x2.add(f64x2.mul(vb2, v128.load(v + o)), f64x2.mul(f64x2.mul(vc2, gi), gi));
      v128.store(m + o, mi);
      v128.store(v + o, vi);
      let second = vi;
      if (ams) { second = f64x2.max(v128.load(vMax + o), vi); v128.store(vMax + o, second); }
      wi = f64x2.sub(wi, f64x2.div(f64x2.mul(vstep, mi), f64x2.add(f64x2.div(f64x2.sqrt(second), vbc2), veps)));
      v128.store(w + o, wi);
    }
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i * S;
    let wi = load<T>(w + o);
    let gi = sign * load<T>(g + o);
    if (decoupled) wi = wi * shrink;
    else if (coupled) gi = gi + weightDecay * wi;
    const mi = b1 * load<T>(m + o) + c1 * gi, vi = b2 * load<T>(v + o) + c2 * gi * gi;
    store<T>(m + o, mi);
    store<T>(v + o, vi);
    let second = vi;
    if (ams) { second = max(load<T>(vMax + o), vi); store<T>(vMax + o, second); }
    store<T>(w + o, wi - (stepSize * mi) / (sqrt<T>(second) / bc2Sqrt + eps));
  }
}

export function adam32(n: i32, w: usize, g: usize, m: usize, v: usize, vMax: usize, flags: i32, b1: f32, b2: f32, c1: f32, c2: f32, eps: f32, weightDecay: f32, shrink: f32, stepSize: f32, bc2Sqrt: f32): void {
  adamT<f32>(n, w, g, m, v, vMax, flags, b1, b2, c1, c2, eps, weightDecay, shrink, stepSize, bc2Sqrt);
}

export function adam64(n: i32, w: usize, g: usize, m: usize, v: usize, vMax: usize, flags: i32, b1: f64, b2: f64, c1: f64, c2: f64, eps: f64, weightDecay: f64, shrink: f64, stepSize: f64, bc2Sqrt: f64): void {
  adamT<f64>(n, w, g, m, v, vMax, flags, b1, b2, c1, c2, eps, weightDecay, shrink, stepSize, bc2Sqrt);
}
