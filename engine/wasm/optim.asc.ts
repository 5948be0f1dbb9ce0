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

// What a traced step records of one parameter's update, measured right after it: over the gradient's finite values Σg², Σ|g| and max|g| (and how many were not finite),
// Σw² of the new weights and Σ(w − before)². Partial sums run in the parameter's lanes for 512
// vectors at a time, then go into float64, so a float32 parameter's sums stay accurate.
@inline function measureT<T>(n: i32, g: usize, before: usize, w: usize, out: usize): void {
  const S = sizeof<T>();
  const L: i32 = 16 / <i32>S;
  const V = 2 * L; // two vectors per iteration, with their own partial sums (the adds don't wait on each other)
  const inf = v128.splat<T>(<T>Infinity), zero = v128.splat<T>(0);
  let gsq = 0.0, gabs = 0.0, gmax = 0.0, finiteCount = 0.0, wsq = 0.0, dsq = 0.0;
  const nv = n - n % V;
  let i = 0;
  while (i < nv) {
    const end = min(nv, i + 256 * V);
    let a = zero, b = zero, c = zero, e = zero, f = zero, a2 = zero, b2 = zero, c2 = zero, e2 = zero, f2 = zero, count = zero;
    for (; i < end; i += V) {
      const o = <usize>i * S;
      const gv = v128.load(g + o), wv = v128.load(w + o), d = v128.sub<T>(wv, v128.load(before + o));
      const gv2 = v128.load(g + o, 16), wv2 = v128.load(w + o, 16), d2 = v128.sub<T>(wv2, v128.load(before + o, 16));
      const ga = v128.abs<T>(gv), ga2 = v128.abs<T>(gv2);
      const ok = v128.lt<T>(ga, inf), ok2 = v128.lt<T>(ga2, inf);
      const gf = v128.and(gv, ok), gf2 = v128.and(gv2, ok2), gaf = v128.and(ga, ok), gaf2 = v128.and(ga2, ok2);
      a = v128.add<T>(a, v128.mul<T>(gf, gf)); a2 = v128.add<T>(a2, v128.mul<T>(gf2, gf2));
      b = v128.add<T>(b, gaf); b2 = v128.add<T>(b2, gaf2);
      // pmax (b < a ? a : b) is one instruction; nothing here is NaN or −0.
      c = v128.pmax<T>(c, gaf); c2 = v128.pmax<T>(c2, gaf2);
      // A finite lane's mask is −1: subtracting both masks counts the finite values.
      count = S == 4 ? v128.sub<i32>(v128.sub<i32>(count, ok), ok2) : v128.sub<i64>(v128.sub<i64>(count, ok), ok2);
      e = v128.add<T>(e, v128.mul<T>(wv, wv)); e2 = v128.add<T>(e2, v128.mul<T>(wv2, wv2));
      f = v128.add<T>(f, v128.mul<T>(d, d)); f2 = v128.add<T>(f2, v128.mul<T>(d2, d2));
    }
    gsq += sumLanes<T>(a) + sumLanes<T>(a2); gabs += sumLanes<T>(b) + sumLanes<T>(b2);
    gmax = max(gmax, max(maxLanes<T>(c), maxLanes<T>(c2)));
    wsq += sumLanes<T>(e) + sumLanes<T>(e2); dsq += sumLanes<T>(f) + sumLanes<T>(f2);
    finiteCount += S == 4
      ? <f64>(i32x4.extract_lane(count, 0) + i32x4.extract_lane(count, 1) + i32x4.extract_lane(count, 2) + i32x4.extract_lane(count, 3))
      : <f64>(i64x2.extract_lane(count, 0) + i64x2.extract_lane(count, 1));
  }
  let bad = <f64>nv - finiteCount;
  for (let j = nv; j < n; j++) {
    const o = <usize>j * S;
    const gv = <f64>load<T>(g + o), wv = <f64>load<T>(w + o), d = wv - <f64>load<T>(before + o);
    const ga = abs(gv);
    if (ga < Infinity) { gsq += gv * gv; gabs += ga; gmax = max(gmax, ga); } else bad += 1;
    wsq += wv * wv;
    dsq += d * d;
  }
  // Added to the sums so far (a parameter is measured block by block).
  store<f64>(out, load<f64>(out) + gsq); store<f64>(out, load<f64>(out, 8) + gabs, 8);
  store<f64>(out, max(load<f64>(out, 16), gmax), 16); store<f64>(out, load<f64>(out, 24) + bad, 24);
  store<f64>(out, load<f64>(out, 32) + wsq, 32); store<f64>(out, load<f64>(out, 40) + dsq, 40);
}

/** The sum of a vector's lanes, in float64. */
@inline function sumLanes<T>(x: v128): f64 {
  if (sizeof<T>() == 4) return <f64>f32x4.extract_lane(x, 0) + <f64>f32x4.extract_lane(x, 1) + <f64>f32x4.extract_lane(x, 2) + <f64>f32x4.extract_lane(x, 3);
  return f64x2.extract_lane(x, 0) + f64x2.extract_lane(x, 1);
}

/** The largest of a vector's lanes (none NaN here), in float64. */
@inline function maxLanes<T>(x: v128): f64 {
  if (sizeof<T>() == 4) return max(max(<f64>f32x4.extract_lane(x, 0), <f64>f32x4.extract_lane(x, 1)), max(<f64>f32x4.extract_lane(x, 2), <f64>f32x4.extract_lane(x, 3)));
  return max(f64x2.extract_lane(x, 0), f64x2.extract_lane(x, 1));
}

// A measured update runs block by block: each block's weights are copied aside, updated, then
// measured while all of it is still in the L1 cache, so measuring costs no extra trip to memory.
const BLOCK = 1024;

@inline function zeroSums(out: usize): void {
  for (let k: usize = 0; k < 48; k += 8) store<f64>(out + k, 0);
}

@inline function sgdMeasuredT<T>(n: i32, w: usize, g: usize, buf: usize, flags: i32, lr: T, momentum: T, keep: T, weightDecay: T, before: usize, out: usize): void {
  const S = sizeof<T>();
  zeroSums(out);
  for (let s = 0; s < n; s += BLOCK) {
    const len = min(BLOCK, n - s), o = <usize>s * S;
    memory.copy(before, w + o, <usize>len * S);
    sgdT<T>(len, w + o, g + o, buf == 0 ? 0 : buf + o, flags, lr, momentum, keep, weightDecay);
    measureT<T>(len, g + o, before, w + o, out);
  }
}

@inline function adamMeasuredT<T>(n: i32, w: usize, g: usize, m: usize, v: usize, vMax: usize, flags: i32,
  b1: T, b2: T, c1: T, c2: T, eps: T, weightDecay: T, shrink: T, stepSize: T, bc2Sqrt: T, before: usize, out: usize): void {
  const S = sizeof<T>();
  zeroSums(out);
  for (let s = 0; s < n; s += BLOCK) {
    const len = min(BLOCK, n - s), o = <usize>s * S;
    memory.copy(before, w + o, <usize>len * S);
    adamT<T>(len, w + o, g + o, m + o, v + o, vMax == 0 ? 0 : vMax + o, flags, b1, b2, c1, c2, eps, weightDecay, shrink, stepSize, bc2Sqrt);
    measureT<T>(len, g + o, before, w + o, out);
  }
}

export function sgdMeasured32(n: i32, w: usize, g: usize, buf: usize, flags: i32, lr: f32, momentum: f32, keep: f32, weightDecay: f32, before: usize, out: usize): void {
  sgdMeasuredT<f32>(n, w, g, buf, flags, lr, momentum, keep, weightDecay, before, out);
}
export function sgdMeasured64(n: i32, w: usize, g: usize, buf: usize, flags: i32, lr: f64, momentum: f64, keep: f64, weightDecay: f64, before: usize, out: usize): void {
  sgdMeasuredT<f64>(n, w, g, buf, flags, lr, momentum, keep, weightDecay, before, out);
}
export function adamMeasured32(n: i32, w: usize, g: usize, m: usize, v: usize, vMax: usize, flags: i32, b1: f32, b2: f32, c1: f32, c2: f32, eps: f32, weightDecay: f32, shrink: f32, stepSize: f32, bc2Sqrt: f32, before: usize, out: usize): void {
  adamMeasuredT<f32>(n, w, g, m, v, vMax, flags, b1, b2, c1, c2, eps, weightDecay, shrink, stepSize, bc2Sqrt, before, out);
}
export function adamMeasured64(n: i32, w: usize, g: usize, m: usize, v: usize, vMax: usize, flags: i32, b1: f64, b2: f64, c1: f64, c2: f64, eps: f64, weightDecay: f64, shrink: f64, stepSize: f64, bc2Sqrt: f64, before: usize, out: usize): void {
  adamMeasuredT<f64>(n, w, g, m, v, vMax, flags, b1, b2, c1, c2, eps, weightDecay, shrink, stepSize, bc2Sqrt, before, out);
}
