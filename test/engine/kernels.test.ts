/**
 * The float32 matrix product on both kernels — WebAssembly SIMD and JavaScript — against a naive
 * float64 reference, on awkward shapes (0, 1, 3, 17, 33, 255, 513 …), with NaN and Inf, batched,
 * and through backward (whose products are the transposed ones).
 */
import * as assert from "node:assert/strict";
import { manualSeed, kernelMode, nn, optim, randn, setKernelMemoryLimit, setKernelMode, tensor, Tensor } from "../../engine/index";
import { gemm } from "../../engine/ops/linalg";
import { execFileSync } from "node:child_process";
import { measureUpdate, UpdateSums } from "../../engine/optim/stats";
import { RESIDENT_LIMIT } from "../../engine/wasm/module";

function reference(a: Tensor, b: Tensor): Float64Array {
  const [m, k] = a.shape, n = b.shape[1];
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a.data[i * k + p] * b.data[p * n + j];
    out[i * n + j] = s;
  }
  return out;
}

/** Float32 results against the float64 reference: NaN where it is NaN, ±Inf where it is, close elsewhere. */
function assertClose(got: ArrayLike<number>, want: Float64Array, k: number, label: string): void {
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w)) assert.ok(Number.isNaN(g), `${label}[${i}]: want NaN, got ${g}`);
    else if (!Number.isFinite(w)) assert.equal(g, w, `${label}[${i}]`);
    else assert.ok(Math.abs(g - w) <= 1e-5 * Math.sqrt(k + 1) * (1 + Math.abs(w)) * 4, `${label}[${i}]: ${g} vs ${w}`);
  }
}

const KERNELS = ["auto", "js"] as const;

/**
 * The kernels this runtime should load: the fused build where WebAssembly relaxed SIMD is on by
 * default (Node 22+) or by flag (test/engine/fused.test.ts runs these tests again that way).
 */
const EXPECTED_KERNELS = process.execArgv.includes("--experimental-wasm-relaxed-simd") || Number(process.versions.node.split(".")[0]) >= 22 ? "wasm-simd-fused" : "wasm-simd";

describe("matmul kernels (WebAssembly SIMD and JavaScript) against a float64 reference", () => {
  afterEach(() => setKernelMode("auto"));

  it("runs large float32 products on WebAssembly SIMD here (Node 20 has it; fused with relaxed SIMD), and on JavaScript when asked", () => {
    assert.equal(kernelMode(), EXPECTED_KERNELS);
    setKernelMode("js");
    assert.equal(kernelMode(), "js");
    assert.throws(() => setKernelMode("gpu" as never), /setKernelMode: expected "auto" or "js", got gpu/);
  });

  for (const kernel of KERNELS) {
    it(`${kernel}: awkward shapes`, () => {
      setKernelMode(kernel);
      manualSeed(7);
      const dims = [0, 1, 3, 17, 33, 64, 255, 513];
      const shapes: [number, number, number][] = [[0, 5, 3], [4, 0, 6], [1, 1, 1], [3, 17, 5], [33, 33, 33], [17, 255, 9], [64, 513, 40], [255, 64, 33], [513, 40, 17], [8, 8, 8], [5, 300, 7]];
      for (const d of dims) shapes.push([d, 40, d]);
      for (const [m, k, n] of shapes) {
        const a = randn(m, k), b = randn(k, n);
        assertClose(a.matmul(b).data, reference(a, b), k, `${kernel} ${m}×${k}·${k}×${n}`);
      }
    });

    it(`${kernel}: NaN and Inf propagate as in PyTorch (0 × Inf = NaN)`, () => {
      setKernelMode(kernel);
      manualSeed(3);
      for (const [m, k, n] of [[2, 2, 2], [40, 40, 40], [37, 64, 35]] as const) {
        const a = randn(m, k), b = randn(k, n);
        a.data[0] = 0;
        b.data[0] = Infinity; // row 0 of A times column 0 of B: 0 × Inf
        a.data[k + 1] = NaN;
        b.data[n + 2] = -Infinity;
        const want = reference(a, b);
        assert.ok(Number.isNaN(want[0]));
        assertClose(a.matmul(b).data, want, k, `${kernel} ${m}×${k}·${k}×${n} with NaN/Inf`);
      }
    });

    it(`${kernel}: batched products and the gradients of a product (transposed products)`, () => {
      setKernelMode(kernel);
      manualSeed(11);
      const a = randn(3, 40, 50), b = randn(3, 50, 36);
      const c = a.matmul(b);
      for (let t = 0; t < 3; t++) {
        const at = tensor(Array.from(a.data.slice(t * 2000, (t + 1) * 2000))).reshape(40, 50);
        const bt = tensor(Array.from(b.data.slice(t * 1800, (t + 1) * 1800))).reshape(50, 36);
        assertClose(c.data.slice(t * 1440, (t + 1) * 1440), reference(at, bt), 50, `${kernel} batch ${t}`);
      }
      const x = randn(64, 48).requiresGrad_(), w = randn(48, 40).requiresGrad_();
      x.matmul(w).sum().backward();
      // d/dx sum(x·w) = 1·wᵀ: each row of x.grad holds the row sums of w; d/dw = xᵀ·1: column sums of x.
      const rowSums = Array.from({ length: 48 }, (_, p) => { let s = 0; for (let j = 0; j < 40; j++) s += w.data[p * 40 + j]; return s; });
      const colSums = Array.from({ length: 48 }, (_, p) => { let s = 0; for (let i = 0; i < 64; i++) s += x.data[i * 48 + p]; return s; });
      assertClose(x.grad!.data, Float64Array.from({ length: 64 * 48 }, (_, i) => rowSums[i % 48]), 40, `${kernel} x.grad`);
      assertClose(w.grad!.data, Float64Array.from({ length: 48 * 40 }, (_, i) => colSums[Math.floor(i / 40)]), 64, `${kernel} w.grad`);
    });
  }

  it("float64: awkward shapes and NaN/Inf on SIMD, bit for bit what the JavaScript loop computes", () => {
    manualSeed(13);
    for (const [m, k, n] of [[1, 1, 1], [3, 17, 5], [33, 40, 33], [17, 255, 9], [64, 129, 35], [255, 16, 66]] as const) {
      const a = randn(m, k).double(), b = randn(k, n).double();
      a.data[0] = 0;
      b.data[0] = Infinity;
      if (a.data.length > 2) a.data[2] = NaN;
      setKernelMode("auto");
      const simd = a.matmul(b).data;
      setKernelMode("js");
      const js = a.matmul(b).data;
      assertClose(simd, reference(a, b), k, `float64 ${m}×${k}·${k}×${n}`);
      // Same operations in the same order in float64: identical results, NaN where NaN.
      for (let i = 0; i < js.length; i++) assert.ok(Object.is(simd[i], js[i]) || (Number.isNaN(simd[i]) && Number.isNaN(js[i])), `float64 [${i}]: ${simd[i]} vs ${js[i]}`);
    }
  });

  /** C0 + op(A)·op(B) in float64, op(A) m×k read from A stored k×m when `ta`, op(B) likewise. */
  function referenceT(ta: boolean, tb: boolean, a: ArrayLike<number>, b: ArrayLike<number>, c0: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
    const out = Float64Array.from(c0);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] += s;
    }
    return out;
  }
  const FLAGS = [[false, false], [true, false], [false, true], [true, true]] as const;
  // Past every blocking edge: k over the 256-deep panels, m over the 128-row blocks, n over 2048 columns.
  const T_SHAPES: [number, number, number][] = [[1, 1, 1], [3, 17, 5], [33, 33, 33], [40, 513, 36], [255, 64, 33], [513, 40, 17], [130, 260, 9], [5, 40, 2100], [37, 3, 70]];

  for (const kernel of KERNELS) {
    it(`${kernel}: all four transpose forms, accumulating into C, past every blocking edge, NaN/Inf included`, () => {
      setKernelMode(kernel);
      manualSeed(17);
      for (const [ta, tb] of FLAGS) for (const [m, k, n] of T_SHAPES) {
        const a = randn(m * k).data as Float32Array, b = randn(k * n).data as Float32Array, c = randn(m * n).data as Float32Array;
        a[1] = 0; b[ta === tb ? 1 : 0] = Infinity; a[a.length - 1] = NaN;
        const want = referenceT(ta, tb, a, b, c, m, k, n);
        gemm(ta, tb, a, 0, b, 0, c, 0, m, k, n);
        assertClose(c, want, k, `${kernel} ta=${ta} tb=${tb} ${m}×${k}·${k}×${n}`);
      }
    });
  }

  it("float64: all four transpose forms bit for bit the same on SIMD and in JavaScript", () => {
    manualSeed(19);
    for (const [ta, tb] of FLAGS) for (const [m, k, n] of T_SHAPES) {
      const a = randn(m * k).double().data as Float64Array, b = randn(k * n).double().data as Float64Array, c0 = randn(m * n).double().data as Float64Array;
      a[0] = 0; b[0] = -Infinity;
      const simd = Float64Array.from(c0), js = Float64Array.from(c0);
      setKernelMode("auto");
      gemm(ta, tb, a, 0, b, 0, simd, 0, m, k, n);
      setKernelMode("js");
      gemm(ta, tb, a, 0, b, 0, js, 0, m, k, n);
      assertClose(simd, referenceT(ta, tb, a, b, c0, m, k, n), k, `float64 ta=${ta} tb=${tb} ${m}×${k}·${k}×${n}`);
      for (let i = 0; i < js.length; i++) assert.ok(Object.is(simd[i], js[i]) || (Number.isNaN(simd[i]) && Number.isNaN(js[i])), `float64 ta=${ta} tb=${tb} [${i}]: ${simd[i]} vs ${js[i]}`);
    }
  });

  for (const kernel of KERNELS) {
    it(`${kernel}: nn.functional.linear (bias first, W read transposed) and its gradients against the composed ops`, () => {
      setKernelMode(kernel);
      manualSeed(23);
      for (const [rows, inF, outF] of [[64, 96, 40], [3, 5, 2], [0, 7, 3], [9, 0, 4], [33, 513, 17]] as const) {
        const x = randn(rows, inF).requiresGrad_(), w = randn(outF, inF).requiresGrad_(), b = randn(outF).requiresGrad_();
        const y = nn.functional.linear(x, w, b);
        assert.deepEqual(y.shape, [rows, outF]);
        const want = Float64Array.from({ length: rows * outF }, (_, i) => {
          const r = Math.floor(i / outF), o = i % outF;
          let s = b.data[o];
          for (let p = 0; p < inF; p++) s += x.data[r * inF + p] * w.data[o * inF + p];
          return s;
        });
        assertClose(y.data, want, inF, `${kernel} linear ${rows}×${inF}→${outF}`);
        const g = randn(rows, outF);
        y.backward(g);
        const [x2, w2, b2] = [x, w, b].map((t) => t.detach().requiresGrad_());
        x2.matmul(w2.t()).add(b2).backward(g);
        assertClose(x.grad!.data, Float64Array.from(x2.grad!.data), outF, `${kernel} linear x.grad`);
        assertClose(w.grad!.data, Float64Array.from(w2.grad!.data), rows, `${kernel} linear w.grad`);
        assertClose(b.grad!.data, Float64Array.from(b2.grad!.data), rows, `${kernel} linear b.grad`);
      }
    });
  }

  it("both kernels agree to float32 rounding on a 256×256 product", () => {
    manualSeed(5);
    const a = randn(256, 256), b = randn(256, 256);
    setKernelMode("js");
    const js = a.matmul(b).data;
    setKernelMode("auto");
    const simd = a.matmul(b).data;
    let worst = 0;
    for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs(js[i] - simd[i]) / (1 + Math.abs(js[i])));
    assert.ok(worst < 1e-5, `relative difference ${worst}`);
  });

  describe("Adam, AdamW and SGD updates on SIMD and in JavaScript", () => {
    const VARIANTS: [string, (p: Tensor[]) => optim.Optimizer][] = [
      ["Adam", (p) => new optim.Adam(p, { lr: 0.01 })],
      ["Adam maximize, weight decay", (p) => new optim.Adam(p, { lr: 0.02, maximize: true, weightDecay: 0.1 })],
      ["Adam amsgrad", (p) => new optim.Adam(p, { lr: 0.01, betas: [0.8, 0.99], amsgrad: true })],
      ["AdamW", (p) => new optim.AdamW(p, { lr: 0.01, weightDecay: 0.05 })],
      ["AdamW amsgrad", (p) => new optim.AdamW(p, { lr: 0.01, amsgrad: true })],
      ["SGD", (p) => new optim.SGD(p, { lr: 0.05 })],
      ["SGD momentum, dampening", (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, dampening: 0.1 })],
      ["SGD Nesterov, weight decay, maximize", (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01, maximize: true })],
    ];
    /** Five steps on a parameter of `n` values with NaN/Inf-free varying gradients, under `kernel`. */
    function run(kernel: "auto" | "js", dtype: "float32" | "float64", n: number, make: (p: Tensor[]) => optim.Optimizer): Float32Array | Float64Array {
      setKernelMode(kernel);
      manualSeed(29);
      const p = randn([n], { dtype }).requiresGrad_();
      const opt = make([p]);
      for (let step = 0; step < 5; step++) {
        p.grad = randn([n], { dtype }).mul(step + 1);
        opt.step();
      }
      return p.data as Float32Array | Float64Array;
    }
    for (const [name, make] of VARIANTS) {
      it(`${name}: float64 bit for bit the JavaScript loop's, float32 within a few float32 ulp of it (tails of 1-3 values included)`, () => {
        for (const n of [2048, 4099, 10001]) {
          const simd64 = run("auto", "float64", n, make), js64 = run("js", "float64", n, make);
          for (let i = 0; i < n; i++) assert.ok(Object.is(simd64[i], js64[i]), `${name} float64 n=${n} [${i}]: ${simd64[i]} vs ${js64[i]}`);
          const simd32 = run("auto", "float32", n, make);
          let worst = 0;
          // Five steps of float32 rounding on values of order 1: a few ulp of 1 at most.
          for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(simd32[i] - js64[i]) / (1 + Math.abs(js64[i])));
          assert.ok(worst < 1e-6, `${name} float32 n=${n}: difference ${worst} from the float64 run`);
        }
      });
    }
  });
});

describe("elementwise loops: every operand layout agrees with the operands expanded to one shape", () => {
  const OPS: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ["add", (a, b) => a.add(b)], ["add alpha", (a, b) => a.add(b, -2.5)], ["sub", (a, b) => a.sub(b)], ["sub alpha", (a, b) => a.sub(b, 0.5)],
    ["mul", (a, b) => a.mul(b)], ["div", (a, b) => a.div(b)],
  ];
  // Same shape, scalar either side, a row against a batch (with and without a leading 1), a column, both broadcast.
  const PAIRS: [number[], number[]][] = [[[4, 3], [4, 3]], [[4, 3], []], [[], [4, 3]], [[4, 3], [1]], [[4, 3], [3]], [[2, 4, 3], [1, 3]], [[4, 3], [4, 1]], [[4, 1], [1, 3]], [[3], [4, 3]], [[0, 3], [3]]];
  for (const dtypes of [["float32", "float32"], ["float64", "float64"], ["float32", "float64"]] as const) {
    it(`${dtypes.join(" with ")}`, () => {
      manualSeed(31);
      for (const [name, f] of OPS) for (const [sa, sb] of PAIRS) {
        // A 0-d operand doesn't promote (PyTorch's rule), so expanding it would change the dtype.
        if (dtypes[0] !== dtypes[1] && (sa.length === 0 || sb.length === 0)) continue;
        const a = randn(sa, { dtype: dtypes[0] }), b = randn(sb, { dtype: dtypes[1] });
        if (b.numel() > 0) b.data[0] = 0; // division by zero: ±Inf or NaN, the same on every path
        const got = f(a, b);
        const shape = got.shape as number[];
        const want = f(a.expand(shape), b.expand(shape));
        assert.deepEqual(got.shape, want.shape, `${name} ${sa}∘${sb}`);
        assert.equal(got.dtype, (dtypes as readonly string[]).includes("float64") ? "float64" : "float32");
        for (let i = 0; i < want.data.length; i++) assert.ok(Object.is(got.data[i], want.data[i]), `${name} [${sa}]∘[${sb}] ${dtypes} [${i}]: ${got.data[i]} vs ${want.data[i]}`);
      }
    });
  }
});

describe("relu on SIMD and in JavaScript", () => {
  afterEach(() => setKernelMode("auto"));
  for (const dtype of ["float32", "float64"] as const) {
    it(`${dtype}: the same values and gradients bit for bit, −0, ±Inf and NaN included, tails of 1-3 values`, () => {
      for (const n of [4096, 4099, 10003]) {
        manualSeed(37);
        const x = randn([n], { dtype });
        const specials = [-0, 0, Infinity, -Infinity, NaN, 1e-40, -1e-40];
        specials.forEach((v, i) => { x.data[i] = v; x.data[n - 1 - i] = v; });
        const g = randn([n], { dtype });
        g.data[0] = Infinity; g.data[4] = NaN; g.data[3] = -Infinity; // where relu is 0, a non-finite gradient still gives 0
        const run = (kernel: "auto" | "js") => {
          setKernelMode(kernel);
          const leaf = x.detach().requiresGrad_();
          const y = leaf.relu();
          y.backward(g);
          return [Float64Array.from(y.data), Float64Array.from(leaf.grad!.data)];
        };
        const [ys, gs] = run("auto"), [yj, gj] = run("js");
        for (let i = 0; i < n; i++) {
          assert.ok(Object.is(ys[i], yj[i]), `${dtype} n=${n} relu [${i}] of ${x.data[i]}: ${ys[i]} vs ${yj[i]}`);
          assert.ok(Object.is(gs[i], gj[i]), `${dtype} n=${n} grad [${i}]: ${gs[i]} vs ${gj[i]}`);
        }
        assert.ok(Object.is(yj[0], 0) && Object.is(yj[1], 0) && yj[2] === Infinity && yj[3] === 0 && Number.isNaN(yj[4]), "relu(−0) = +0, relu(NaN) = NaN");
        assert.ok(gj[0] === 0 && gj[3] === 0 && Number.isNaN(gj[4]) === true, "a NaN input passes its gradient on; x ≤ 0 blocks even ±Inf");
      }
    });
  }
});

/**
 * Runs `script` in a fresh Node (its kernels' memory unused) with the built engine as `g` and
 * `inMode(mode, f)` (f's result with setKernelMode(mode), "auto" again after), and parses the JSON
 * its last line prints.
 */
function childReport<T>(script: string, flags: string[] = []): T {
  const prelude = `
    const g = require(${JSON.stringify(require.resolve("../../dist/engine.js"))});
    const inMode = (mode, f) => { g.setKernelMode(mode); try { return f(); } finally { g.setKernelMode("auto"); } };`;
  const out = execFileSync(process.execPath, [...flags, "-e", prelude + script], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!) as T;
}

describe("Adam moments resident in the kernels' memory", () => {
  afterEach(() => setKernelMode("auto"));
  it("survive memory growth and switching kernels mid-run, and agree with a JavaScript-only run", function () {
    this.timeout(30_000);
    const steps = (modes: ("auto" | "js")[]) => {
      manualSeed(41);
      const p = randn([5000]).requiresGrad_();
      const opt = new optim.Adam([p], { lr: 0.01 });
      modes.forEach((m, i) => {
        setKernelMode(m);
        p.grad = randn([5000]);
        opt.step();
        // Ever larger products between steps grow the memory, detaching every earlier view of it.
        setKernelMode("auto");
        const n = 400 + 200 * i;
        randn(n, n).matmul(randn(n, n));
      });
      return Float64Array.from(p.data);
    };
    const mixed = steps(["auto", "js", "auto", "auto", "js"]);
    const js = steps(["js", "js", "js", "js", "js"]);
    let worst = 0;
    for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs(mixed[i] - js[i]) / (1e-3 + Math.abs(js[i])));
    assert.ok(worst < 1e-5, `relative difference ${worst}`);
  });

  it("are freed with their optimizer: 300 optimizers one after another don't grow the memory past a few dozen", function () {
    this.timeout(60_000);
    // In a child with --expose-gc, so collection (and the finalizers that free the blocks) can be forced.
    const script = `
      const bytes = () => g.kernelMemoryBytes();
      (async () => {
        let peak = 0;
        for (let i = 0; i < 300; i++) {
          const p = g.randn([1 << 18]).requiresGrad_();
          const opt = new g.optim.Adam([p]);
          p.grad = g.zerosLike(p);
          opt.step();
          if (i % 50 === 0) { global.gc(); await new Promise((r) => setTimeout(r, 0)); }
          peak = Math.max(peak, bytes());
        }
        console.log(JSON.stringify({ peak }));
      })();`;
    const { peak } = childReport<{ peak: number }>(script, ["--expose-gc"]);
    // Each optimizer's moments take 2 MB; kept forever, 300 would need 600 MB.
    assert.ok(peak < 250 * 1024 * 1024, `kernel memory peaked at ${(peak / 1048576).toFixed(0)} MB`);
  });

  it("stay bounded in a loop that never yields (no finalizer runs): past the limit moments are ordinary arrays, and updates stay right", function () {
    this.timeout(60_000);
    const script = `
      // The same two steps, on the kernels or in JavaScript.
      const run = (mode) => inMode(mode, () => {
        g.manualSeed(5);
        const p = g.randn([1 << 18]).requiresGrad_();
        const opt = new g.optim.Adam([p], { lr: 0.1 });
        for (let s = 0; s < 2; s++) { p.grad = g.randn([1 << 18]); opt.step(); }
        return p.data;
      });
      const resident = run("auto");
      // Synchronous throughout: FinalizationRegistry callbacks never get a turn, so nothing is freed.
      let peak = 0;
      for (let i = 0; i < 300; i++) {
        const p = g.randn([1 << 18]).requiresGrad_();
        const opt = new g.optim.Adam([p]);
        p.grad = g.onesLike(p);
        opt.step();
        peak = Math.max(peak, g.kernelMemoryBytes());
      }
      // Past the limit the moments are ordinary arrays, copied in and out: the same kernel, the same bits.
      const late = run("auto"), js = run("js");
      let differ = 0, worst = 0;
      for (let i = 0; i < late.length; i++) {
        if (!Object.is(late[i], resident[i])) differ++;
        worst = Math.max(worst, Math.abs(late[i] - js[i]) / (1e-3 + Math.abs(js[i])));
      }
      console.log(JSON.stringify({ peak, differ, worst }));`;
    const { peak, differ, worst } = childReport<{ peak: number; differ: number; worst: number }>(script);
    // 300 optimizers' moments are 600 MB; resident ones stop at RESIDENT_LIMIT (256 MB), plus scratch.
    assert.ok(peak < RESIDENT_LIMIT + 32 * 1024 * 1024, `kernel memory peaked at ${(peak / 1048576).toFixed(0)} MB`);
    assert.equal(differ, 0, "past the limit the update differs from the same update with resident moments");
    // float32 lanes against JavaScript's float64 arithmetic, at lr 0.1.
    assert.ok(worst < 1e-4, `past the limit the kernels' update differs from JavaScript's by ${worst}`);
  });
});

describe("a cap on the kernels' memory (setKernelMemoryLimit)", () => {
  it("rejects anything but a positive number of bytes, naming the call", () => {
    for (const bad of [0, -1, NaN, "8mb", null, undefined]) {
      assert.throws(() => setKernelMemoryLimit(bad as unknown as number), (e: Error) => e instanceof RangeError && /setKernelMemoryLimit: expected a positive number/.test(e.message), String(bad));
    }
  });

  it("sends a product too large for the cap to JavaScript, with the same bits, and the memory stays under it", function () {
    this.timeout(60_000);
    // A child, so the kernels' memory starts unused (it never shrinks).
    const script = `
      const product = (mode) => inMode(mode, () => {
        g.manualSeed(9);
        const a = g.randn([512, 512], { dtype: "float64" }), b = g.randn([512, 512], { dtype: "float64" });
        a.data[7] = Infinity; b.data[3] = NaN;
        return a.matmul(b).data;
      });
      const limit = 4 * 1024 * 1024;
      g.setKernelMemoryLimit(limit);
      // A small product first: the kernels load and run under the cap.
      g.randn([64, 64], { dtype: "float64" }).matmul(g.randn([64, 64], { dtype: "float64" }));
      const capped = product("auto"), underCap = g.kernelMemoryBytes();
      const js = product("js");
      g.setKernelMemoryLimit(Infinity);
      product("auto");
      let differ = 0;
      for (let i = 0; i < js.length; i++) if (!Object.is(capped[i], js[i])) differ++;
      console.log(JSON.stringify({ limit, underCap, uncapped: g.kernelMemoryBytes(), differ }));`;
    const r = childReport<{ limit: number; underCap: number; uncapped: number; differ: number }>(script);
    assert.ok(r.underCap > 0 && r.underCap <= r.limit, `kernel memory ${r.underCap} bytes under a cap of ${r.limit}`);
    assert.ok(r.uncapped > r.limit, "without the cap the same product grows the memory past it (so the cap is what kept it small)");
    assert.equal(r.differ, 0, "the capped product differs from JavaScript's");
  });
});

describe("float32 tanh on SIMD", () => {
  afterEach(() => setKernelMode("auto"));
  it("is within 2 ulp of the correctly rounded tanh over every magnitude, exact at 0, ±0, ±Inf, NaN and past ±10", () => {
    manualSeed(43);
    const n = 1 << 16;
    for (let decade = -30; decade <= 2; decade += 2) {
      const x = randn([n]).mul(10 ** decade);
      [0, -0, Infinity, -Infinity, NaN, 10, -10, 9.01, 0.55, -0.55, 1e-38].forEach((v, i) => (x.data[i] = v));
      const y = x.tanh().data;
      for (let i = 0; i < n; i++) {
        const want = Math.fround(Math.tanh(x.data[i]));
        if (Number.isNaN(want)) { assert.ok(Number.isNaN(y[i]), `tanh(NaN) = ${y[i]}`); continue; }
        if (i < 11) assert.ok(Object.is(y[i], want), `tanh(${x.data[i]}) = ${y[i]}, want ${want}`);
        const ulps = Math.abs(y[i] - want) / Math.max(Math.abs(want) * 2 ** -23, 2 ** -149);
        assert.ok(ulps <= 2, `tanh(${x.data[i]}) = ${y[i]}, want ${want} (${ulps.toFixed(2)} ulp)`);
      }
    }
    assert.equal(kernelMode(), EXPECTED_KERNELS);
  });
});

describe("a traced step's measurements for an optimizer that doesn't measure itself", () => {
  it("are taken around its update: the gradient, the new weights and what the update moved", () => {
    class Halve extends optim.Optimizer {
      constructor(params: Tensor[]) { super(params, { lr: 0.5 }); }
      protected update(p: Tensor): void { for (let i = 0; i < p.data.length; i++) p.data[i] *= 0.5; }
    }
    const p = tensor([2, -4, 6]).requiresGrad_();
    p.grad = tensor([3, NaN, -4]);
    const seen: (UpdateSums | null)[] = [];
    const probe = (globalThis as unknown as Record<symbol, { sink: unknown }>)[Symbol.for("gradlens.probe.v1")];
    const saved = probe.sink;
    probe.sink = { beforeStep: () => "measure", step: (_o: object, _p: unknown, m?: (UpdateSums | null)[]) => seen.push(...(m ?? [])) };
    try {
      new Halve([p]).step();
    } finally {
      probe.sink = saved;
    }
    // Gradient over its finite values 3 and −4; weights 1, −2, 3; the update moved them by 1, 2, 3.
    assert.deepEqual(seen, [{ gradSq: 25, gradAbsSum: 7, gradAbsMax: 4, gradNonFinite: 1, gradCount: 3, weightSq: 14, updateSq: 14 }]);
  });
});

describe("a traced step's measurements, taken on the SIMD path", () => {
  afterEach(() => setKernelMode("auto"));
  for (const dtype of ["float32", "float64"] as const) {
    // Gradients as they come: all finite (the fast path), non-finite values in the first block, a
    // middle one and the tail (counted and skipped), and finite values whose squares overflow float32.
    const pokes: { name: string; poke: (g: Tensor, n: number) => void; nonFinite: number }[] = [
      { name: "finite", poke: () => undefined, nonFinite: 0 },
      { name: "NaN and ±Inf in three blocks", poke: (g, n) => { g.data[3] = NaN; g.data[2100] = Infinity; g.data[n - 1] = -Infinity; }, nonFinite: 3 },
      { name: "finite but huge", poke: (g) => { g.data[1500] = 3e20; g.data[1501] = -2e20; }, nonFinite: 0 },
    ];
    for (const { name, poke, nonFinite } of pokes) {
      it(`${dtype}, gradient ${name}: the optimizer's sums agree with a plain float64 pass over gradient, weights and update`, () => {
        for (const make of [(p: Tensor[]) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 }), (p: Tensor[]) => new optim.Adam(p, { lr: 0.01 })]) {
          for (const n of [5000, 4099]) {
            manualSeed(47);
            const p = randn([n], { dtype }).requiresGrad_();
            const opt = make([p]);
            const seen: (UpdateSums | null)[] = [];
            const probe = (globalThis as unknown as Record<symbol, { sink: unknown }>)[Symbol.for("gradlens.probe.v1")];
            const saved = probe.sink;
            probe.sink = { beforeStep: (_o: object, _p: unknown, can?: boolean) => (can ? "measure" : undefined), step: (_o: object, _p: unknown, m?: (UpdateSums | null)[]) => seen.push(...(m ?? [])) };
            try {
              for (let step = 0; step < 2; step++) {
                p.grad = randn([n], { dtype });
                poke(p.grad, n);
                const before = Float64Array.from(p.data);
                const grad = Float64Array.from(p.grad.data);
                opt.step();
                const want = measureUpdate(grad, Float64Array.from(p.data), before);
                const got = seen[seen.length - 1]!;
                assert.equal(got.gradNonFinite, nonFinite);
                assert.equal(got.gradCount, n);
                // NaN gradients make NaN weights (and a NaN update): then both sides say NaN.
                for (const k of ["gradSq", "gradAbsSum", "gradAbsMax", "weightSq", "updateSq"] as const) {
                  // float32 weights are summed in float32 lanes: a Σw² past float32's range is Infinity,
                  // as torch.linalg.vector_norm says of such a float32 tensor.
                  const overflows = dtype === "float32" && (k === "weightSq" || k === "updateSq") && want[k] > 3.4028234663852886e38;
                  const ok = Number.isNaN(want[k]) ? Number.isNaN(got[k]) : (overflows && got[k] === Infinity) || Math.abs(got[k] - want[k]) <= 1e-5 * Math.abs(want[k]);
                  assert.ok(ok, `${dtype} n=${n} ${k}: ${got[k]} vs ${want[k]}`);
                }
                assert.ok(Number.isFinite(got.gradSq), "the gradient's sums skip its non-finite values");
                if (nonFinite > 0) assert.ok(Number.isNaN(got.weightSq), "the weights' sums don't");
                for (let i = 0; i < n; i++) if (!Number.isFinite(p.data[i])) p.data[i] = 0;
              }
            } finally {
              probe.sink = saved;
            }
          }
        }
      });
    }
  }
});
