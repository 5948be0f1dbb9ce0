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
// `measure` (a constant: each export is compiled with or without it) adds what a traced step
// records of the update, from the values already in registers (see addBlock below).

@inline function adamT<T>(n: i32, w: usize, g: usize, m: usize, v: usize, vMax: usize, flags: i32,
  b1: T, b2: T, c1: T, c2: T, eps: T, weightDecay: T, shrink: T, stepSize: T, bc2Sqrt: T, measure: bool): void {
  const S = sizeof<T>();
  const L: i32 = 16 / <i32>S;
  const maximize = (flags & 1) != 0, coupled = (flags & 2) != 0, decoupled = (flags & 4) != 0, ams = (flags & 8) != 0;
  const sign: T = maximize ? -1 : 1;
  const n4 = n - n % L;
  const vb1 = v128.splat<T>(b1), vb2 = v128.splat<T>(b2), vc1 = v128.splat<T>(c1), vc2 = v128.splat<T>(c2);
  const veps = v128.splat<T>(eps), vwd = v128.splat<T>(weightDecay), vstep = v128.splat<T>(stepSize);
  const vbc2 = v128.splat<T>(bc2Sqrt), vshrink = v128.splat<T>(shrink), vsign = v128.splat<T>(sign), zero = v128.splat<T>(0);
  for (let s = 0; s < n4; s += BLOCK) {
    const end = min(n4, s + BLOCK);
    let a = zero, b = zero, c = zero, e = zero, f = zero;
    for (let i = s; i < end; i += L) {
      const o = <usize>i * S;
      const w0 = v128.load(w + o), graw = v128.load(g + o);
      let wi = w0;
      let gi = v128.mul<T>(vsign, graw);
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
      if (measure) {
        const ga = v128.abs<T>(graw), dw = v128.sub<T>(wi, w0);
        a = v128.add<T>(a, v128.mul<T>(graw, graw)); b = v128.add<T>(b, ga); c = v128.pmax<T>(c, ga);
        e = v128.add<T>(e, v128.mul<T>(wi, wi)); f = v128.add<T>(f, v128.mul<T>(dw, dw));
      }
    }
    if (measure) addBlock<T>(a, b, c, e, f, g + <usize>s * S, end - s);
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i * S;
    const w0 = load<T>(w + o), graw = load<T>(g + o);
    let wi = w0;
    let gi = sign * graw;
    if (decoupled) wi = wi * shrink;
    else if (coupled) gi = gi + weightDecay * wi;
    const mi = b1 * load<T>(m + o) + c1 * gi, vi = b2 * load<T>(v + o) + c2 * gi * gi;
    store<T>(m + o, mi);
    store<T>(v + o, vi);
    let second = vi;
    if (ams) { second = max(load<T>(vMax + o), vi); store<T>(vMax + o, second); }
    wi = wi - (stepSize * mi) / (sqrt<T>(second) / bc2Sqrt + eps);
    store<T>(w + o, wi);
    if (measure) addScalar(<f64>graw, <f64>w0, <f64>wi);
  }
}

export function adam32(n: i32, w: usize, g: usize, m: usize, v: usize, vMax: usize, flags: i32, b1: f32, b2: f32, c1: f32, c2: f32, eps: f32, weightDecay: f32, shrink: f32, stepSize: f32, bc2Sqrt: f32): void {
  adamT<f32>(n, w, g, m, v, vMax, flags, b1, b2, c1, c2, eps, weightDecay, shrink, stepSize, bc2Sqrt, false);
}

export function adam64(n: i32, w: usize, g: usize, m: usize, v: usize, vMax: usize, flags: i32, b1: f64, b2: f64, c1: f64, c2: f64, eps: f64, weightDecay: f64, shrink: f64, stepSize: f64, bc2Sqrt: f64): void {
  adamT<f64>(n, w, g, m, v, vMax, flags, b1, b2, c1, c2, eps, weightDecay, shrink, stepSize, bc2Sqrt, false);
}

// SGD with momentum (PyTorch's torch.optim.SGD), the same way: engine/optim/sgd.ts's arithmetic in
// its order. Flags: 1 = maximize, 2 = weight decay, 4 = momentum (buf read and written), 8 = the
// first step with momentum (buf = d), 16 = Nesterov.
@inline function sgdT<T>(n: i32, w: usize, g: usize, buf: usize, flags: i32, lr: T, momentum: T, keep: T, weightDecay: T, measure: bool): void {
  const S = sizeof<T>();
  const L: i32 = 16 / <i32>S;
  const maximize = (flags & 1) != 0, decay = (flags & 2) != 0, mom = (flags & 4) != 0, first = (flags & 8) != 0, nesterov = (flags & 16) != 0;
  const sign: T = maximize ? -1 : 1;
  const vsign = v128.splat<T>(sign), vlr = v128.splat<T>(lr), vm = v128.splat<T>(momentum), vkeep = v128.splat<T>(keep), vwd = v128.splat<T>(weightDecay);
  const n4 = n - n % L;
  const zero = v128.splat<T>(0);
  for (let s = 0; s < n4; s += BLOCK) {
    const end = min(n4, s + BLOCK);
    let a = zero, b = zero, c = zero, e = zero, f = zero;
    for (let i = s; i < end; i += L) {
      const o = <usize>i * S;
      const wi = v128.load(w + o), graw = v128.load(g + o);
      let d = v128.mul<T>(vsign, graw);
      if (decay) d = v128.add<T>(d, v128.mul<T>(vwd, wi));
      if (mom) {
        const mb = first ? d : v128.add<T>(v128.mul<T>(vm, v128.load(buf + o)), v128.mul<T>(vkeep, d));
        v128.store(buf + o, mb);
        d = nesterov ? v128.add<T>(d, v128.mul<T>(vm, mb)) : mb;
      }
      const wn = v128.sub<T>(wi, v128.mul<T>(vlr, d));
      v128.store(w + o, wn);
      if (measure) {
        const ga = v128.abs<T>(graw), dw = v128.sub<T>(wn, wi);
        a = v128.add<T>(a, v128.mul<T>(graw, graw)); b = v128.add<T>(b, ga); c = v128.pmax<T>(c, ga);
        e = v128.add<T>(e, v128.mul<T>(wn, wn)); f = v128.add<T>(f, v128.mul<T>(dw, dw));
      }
    }
    if (measure) addBlock<T>(a, b, c, e, f, g + <usize>s * S, end - s);
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i * S;
    const wi = load<T>(w + o), graw = load<T>(g + o);
    let d = sign * graw;
    if (decay) d = d + weightDecay * wi;
    if (mom) {
      const b = first ? d : momentum * load<T>(buf + o) + keep * d;
      store<T>(buf + o, b);
      d = nesterov ? d + momentum * b : b;
    }
    const wn = wi - lr * d;
    store<T>(w + o, wn);
    if (measure) addScalar(<f64>graw, <f64>wi, <f64>wn);
  }
}

export function sgd32(n: i32, w: usize, g: usize, buf: usize, flags: i32, lr: f32, momentum: f32, keep: f32, weightDecay: f32): void {
  sgdT<f32>(n, w, g, buf, flags, lr, momentum, keep, weightDecay, false);
}

export function sgd64(n: i32, w: usize, g: usize, buf: usize, flags: i32, lr: f64, momentum: f64, keep: f64, weightDecay: f64): void {
  sgdT<f64>(n, w, g, buf, flags, lr, momentum, keep, weightDecay, false);
}

// What a traced step records of one parameter's update, measured while it is applied (each value
// is in a register then): over the gradient's finite values Σg², Σ|g| and max|g| (and how many were
// not finite), Σw² of the new weights and Σ(w − before)². Partial sums run in the parameter's lanes
// for a block of BLOCK values, then go into float64, so a float32 parameter's sums stay accurate.
const BLOCK = 1024;

// The sums of the measurement under way (module globals: each block adds into them).
let gsq = 0.0, gabs = 0.0, gmax = 0.0, bad = 0.0, wsq = 0.0, dsq = 0.0;

/**
 * Adds a block's partial sums (lanes of Σg², Σ|g|, max|g|, Σw², Σ(w − before)²) to the totals. The
 * lanes assume every gradient value is finite; when Σg² says otherwise (a NaN, an infinity, or a
 * square too large for the lanes), the block's gradient `len` values at `g` are summed again one by
 * one. Gradients are almost always finite, so the masking and counting are rarely paid for.
 */
@inline function addBlock<T>(a: v128, b: v128, c: v128, e: v128, f: v128, g: usize, len: i32): void {
  const sq = sumLanes<T>(a);
  if (isFinite(sq)) {
    gsq += sq; gabs += sumLanes<T>(b); gmax = max(gmax, maxLanes<T>(c));
  } else {
    for (let j = 0; j < len; j++) addGradient(<f64>load<T>(g + <usize>j * sizeof<T>()));
  }
  wsq += sumLanes<T>(e); dsq += sumLanes<T>(f);
}

/** One gradient value into the sums, or counted when it isn't finite. */
@inline function addGradient(gv: f64): void {
  const ga = abs(gv);
  if (ga < Infinity) { gsq += gv * gv; gabs += ga; gmax = max(gmax, ga); } else bad += 1;
}

/** One value of the scalar tail: its gradient, and its weight before and after. */
@inline function addScalar(gv: f64, before: f64, after: f64): void {
  addGradient(gv);
  const d = after - before;
  wsq += after * after;
  dsq += d * d;
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

/** Starts a measurement. */
@inline function startSums(): void {
  gsq = 0; gabs = 0; gmax = 0; bad = 0; wsq = 0; dsq = 0;
}

/** The sums, as six float64 at `out`. */
@inline function storeSums(out: usize): void {
  store<f64>(out, gsq); store<f64>(out, gabs, 8); store<f64>(out, gmax, 16);
  store<f64>(out, bad, 24); store<f64>(out, wsq, 32); store<f64>(out, dsq, 40);
}

export function sgdMeasured32(n: i32, w: usize, g: usize, buf: usize, flags: i32, lr: f32, momentum: f32, keep: f32, weightDecay: f32, out: usize): void {
  startSums(); sgdT<f32>(n, w, g, buf, flags, lr, momentum, keep, weightDecay, true); storeSums(out);
}
export function sgdMeasured64(n: i32, w: usize, g: usize, buf: usize, flags: i32, lr: f64, momentum: f64, keep: f64, weightDecay: f64, out: usize): void {
  startSums(); sgdT<f64>(n, w, g, buf, flags, lr, momentum, keep, weightDecay, true); storeSums(out);
}
export function adamMeasured32(n: i32, w: usize, g: usize, m: usize, v: usize, vMax: usize, flags: i32, b1: f32, b2: f32, c1: f32, c2: f32, eps: f32, weightDecay: f32, shrink: f32, stepSize: f32, bc2Sqrt: f32, out: usize): void {
  startSums(); adamT<f32>(n, w, g, m, v, vMax, flags, b1, b2, c1, c2, eps, weightDecay, shrink, stepSize, bc2Sqrt, true); storeSums(out);
}
export function adamMeasured64(n: i32, w: usize, g: usize, m: usize, v: usize, vMax: usize, flags: i32, b1: f64, b2: f64, c1: f64, c2: f64, eps: f64, weightDecay: f64, shrink: f64, stepSize: f64, bc2Sqrt: f64, out: usize): void {
  startSums(); adamT<f64>(n, w, g, m, v, vMax, flags, b1, b2, c1, c2, eps, weightDecay, shrink, stepSize, bc2Sqrt, true); storeSums(out);
}
