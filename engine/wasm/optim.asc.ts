// AssemblyScript (compiled with gemm.asc.ts into one WebAssembly module; not TypeScript): optimizer updates.
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
  const vb1 = v128.splat<T>(b1), vb2 = v128.splat<T>(b2), vc1 = v128.splat<T>(c1), vc2 = v128.splat<T>(c2);
  const veps = v128.splat<T>(eps), vwd = v128.splat<T>(weightDecay), vstep = v128.splat<T>(stepSize);
  const vbc2 = v128.splat<T>(bc2Sqrt), vshrink = v128.splat<T>(shrink), vsign = v128.splat<T>(sign);
  for (let i = 0; i < n4; i += L) {
    const o = <usize>i * S;
    let wi = v128.load(w + o);
    let gi = v128.mul<T>(vsign, v128.load(g + o));
    if (decoupled) wi = v128.mul<T>(wi, vshrink);
    else if (coupled) gi = v128.add<T>(gi, v128.mul<T>(vwd, wi));
    const mi = v128.add<T>(v128.mul<T>(vb1, v128.load(m + o)), v128.mul<T>(vc1, gi));
    const vi = v128.add<T>(v128.mul<T>(vb2, v128.load(v + o)), v128.mul<T>(v128.mul<T>(vc2, gi), gi));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    let second = vi;
    if (ams) { second = v128.max<T>(v128.load(vMax + o), vi); v128.store(vMax + o, second); }
    wi = v128.sub<T>(wi, v128.div<T>(v128.mul<T>(vstep, mi), v128.add<T>(v128.div<T>(v128.sqrt<T>(second), vbc2), veps)));
    v128.store(w + o, wi);
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

// SGD with momentum (PyTorch's torch.optim.SGD), the same way: engine/optim/sgd.ts's arithmetic in
// its order. Flags: 1 = maximize, 2 = weight decay, 4 = momentum (buf read and written), 8 = the
// first step with momentum (buf = d), 16 = Nesterov.
@inline function sgdT<T>(n: i32, w: usize, g: usize, buf: usize, flags: i32, lr: T, momentum: T, keep: T, weightDecay: T): void {
  const S = sizeof<T>();
  const L: i32 = 16 / <i32>S;
  const maximize = (flags & 1) != 0, decay = (flags & 2) != 0, mom = (flags & 4) != 0, first = (flags & 8) != 0, nesterov = (flags & 16) != 0;
  const sign: T = maximize ? -1 : 1;
  const vsign = v128.splat<T>(sign), vlr = v128.splat<T>(lr), vm = v128.splat<T>(momentum), vkeep = v128.splat<T>(keep), vwd = v128.splat<T>(weightDecay);
  const n4 = n - n % L;
  for (let i = 0; i < n4; i += L) {
    const o = <usize>i * S;
    const wi = v128.load(w + o);
    let d = v128.mul<T>(vsign, v128.load(g + o));
    if (decay) d = v128.add<T>(d, v128.mul<T>(vwd, wi));
    if (mom) {
      const b = first ? d : v128.add<T>(v128.mul<T>(vm, v128.load(buf + o)), v128.mul<T>(vkeep, d));
      v128.store(buf + o, b);
      d = nesterov ? v128.add<T>(d, v128.mul<T>(vm, b)) : b;
    }
    v128.store(w + o, v128.sub<T>(wi, v128.mul<T>(vlr, d)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i * S;
    const wi = load<T>(w + o);
    let d = sign * load<T>(g + o);
    if (decay) d = d + weightDecay * wi;
    if (mom) {
      const b = first ? d : momentum * load<T>(buf + o) + keep * d;
      store<T>(buf + o, b);
      d = nesterov ? d + momentum * b : b;
    }
    store<T>(w + o, wi - lr * d);
  }
}

export function sgd32(n: i32, w: usize, g: usize, buf: usize, flags: i32, lr: f32, momentum: f32, keep: f32, weightDecay: f32): void {
  sgdT<f32>(n, w, g, buf, flags, lr, momentum, keep, weightDecay);
}

export function sgd64(n: i32, w: usize, g: usize, buf: usize, flags: i32, lr: f64, momentum: f64, keep: f64, weightDecay: f64): void {
  sgdT<f64>(n, w, g, buf, flags, lr, momentum, keep, weightDecay);
}
