/**
 * The benchmark's cases, built for each JavaScript system (PyTorch's are in peers_torch.py): one
 * definition that the timing (peers.ts) and the memory measurement (memory.ts) both run.
 */
import type * as TF from "@tensorflow/tfjs";
import type * as Engine from "../engine/index";

export type Run = () => unknown;

/** One row of bench/results/latest.json: a case's value for each system that ran it. */
export interface Row { suite: string; case: string; unit: string; higherIsBetter: boolean; values: Record<string, number> }

/** The model cases' sizes, the same in every system (the demos' models: examples/cnn-digits.ts, examples/tiny-gpt.ts). */
export const CNN = { batch: 32, size: 16, classes: 10 };
export const GPT = { batch: 16, block: 48, vocab: 50, embed: 64, heads: 4, layers: 2 };

/** One training step of the demo CNN: conv 1→8, relu, pool, conv 8→16 (no bias), batch norm, relu, pool, linear 256→10; Adam. */
function gradlensCnn(g: typeof Engine): Run {
  const { nn } = g;
  const model = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(16 * 4 * 4, CNN.classes),
  );
  const opt = new g.optim.Adam(model.parameters(), { lr: 3e-3 });
  const x = g.randn(CNN.batch, 1, CNN.size, CNN.size), y = g.randint(0, CNN.classes, [CNN.batch]);
  const lossFn = new nn.CrossEntropyLoss();
  return () => {
    opt.zeroGrad();
    lossFn.forward(model.forward(x) as Engine.Tensor, y).backward();
    opt.step();
  };
}

/** One training step of the demo GPT: embeddings, 2 blocks of causal self-attention + GELU MLP with LayerNorm, AdamW, clipping. */
function gradlensGpt(g: typeof Engine): Run {
  const { nn } = g;
  const F = nn.functional;
  const { embed: d, heads: h, block: t, vocab, batch: b } = GPT;
  const layer = () => ({
    ln1: new nn.LayerNorm(d), qkv: new nn.Linear(d, 3 * d), proj: new nn.Linear(d, d),
    ln2: new nn.LayerNorm(d), fc: new nn.Linear(d, 4 * d), out: new nn.Linear(4 * d, d),
  });
  class Gpt extends nn.Module {
    tokens = new nn.Embedding(vocab, d);
    positions = new nn.Embedding(t, d);
    blocks = Array.from({ length: GPT.layers }, () => new nn.ModuleDict(layer()));
    lnF = new nn.LayerNorm(d);
    head = new nn.Linear(d, vocab);
    override forward(ids: Engine.Tensor): Engine.Tensor {
      let x = this.tokens.forward(ids).add(this.positions.forward(g.arange(t)));
      for (const blk of this.blocks) {
        const m = (k: string) => blk.get(k);
        const [q, k, v] = m("qkv").forward(m("ln1").forward(x)).chunk(3, -1).map((z: Engine.Tensor) => z.reshape(b, t, h, d / h).transpose(1, 2));
        const y = F.scaledDotProductAttention(q, k, v, { isCausal: true });
        x = x.add(m("proj").forward(y.transpose(1, 2).reshape(b, t, d)));
        x = x.add(m("out").forward(m("fc").forward(m("ln2").forward(x)).gelu()));
      }
      return this.head.forward(this.lnF.forward(x));
    }
  }
  const model = new Gpt();
  const opt = new g.optim.AdamW(model.parameters(), { lr: 3e-3 });
  const ids = g.randint(0, vocab, [b, t]), targets = g.randint(0, vocab, [b * t]);
  return () => {
    opt.zeroGrad();
    F.crossEntropy(model.forward(ids).reshape(-1, vocab), targets).backward();
    nn.utils.clipGradNorm_(model.parameters(), 1);
    opt.step();
  };
}

export function gradlensRun(g: typeof Engine, id: string): Run {
  g.manualSeed(0);
  const [kind, arg] = id.split(":");
  if (kind === "cnn-step") return gradlensCnn(g);
  if (kind === "gpt-step") return gradlensGpt(g);
  if (kind.startsWith("matmul")) {
    const n = Number(arg);
    const a = g.randn(n, n), b = g.randn(n, n);
    return { "matmul-AB": () => a.matmul(b), "matmul-AtB": () => a.t().matmul(b), "matmul-ABt": () => a.matmul(b.t()) }[kind]!;
  }
  if (kind === "add4") {
    const a = g.randn(4), b = g.randn(4);
    return () => a.add(b);
  }
  if (kind === "micrograph") {
    const x = g.randn(4).requiresGrad_(), w = g.randn(4).requiresGrad_(), c = g.randn(4);
    return () => x.mul(w).add(c).sum().backward();
  }
  const small = kind === "mlp-small";
  const model = small ? new g.nn.Sequential(new g.nn.Linear(2, 16), new g.nn.Tanh(), new g.nn.Linear(16, 1)) : new g.nn.Sequential(new g.nn.Linear(784, 256), new g.nn.ReLU(), new g.nn.Linear(256, 10));
  const opt = small ? new g.optim.SGD(model.parameters(), { lr: 0.01 }) : new g.optim.Adam(model.parameters());
  const x = small ? g.randn(32, 2) : g.randn(64, 784);
  const y = small ? g.randn(32, 1) : g.randint(0, 10, [64]);
  const lossFn = small ? new g.nn.MSELoss() : new g.nn.CrossEntropyLoss();
  return () => {
    opt.zeroGrad();
    lossFn.forward(model.forward(x), y).backward();
    opt.step();
  };
}

/** The demo CNN in tfjs (channels last, its native layout), trained by Adam through tf.train. */
function tfjsCnn(tf: typeof TF): Run {
  const v = (shape: number[], fanIn: number) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn)));
  const w1 = v([3, 3, 1, 8], 9), b1 = tf.variable(tf.zeros([8])), w2 = v([3, 3, 8, 16], 72);
  const gamma = tf.variable(tf.ones([16])), beta = tf.variable(tf.zeros([16]));
  const w3 = v([256, CNN.classes], 256), b3 = tf.variable(tf.zeros([CNN.classes]));
  const x = tf.randomNormal([CNN.batch, CNN.size, CNN.size, 1]) as TF.Tensor4D;
  const y = tf.oneHot(tf.randomUniform([CNN.batch], 0, CNN.classes, "int32"), CNN.classes);
  const opt = tf.train.adam(3e-3);
  return () => tf.tidy(() => {
    opt.minimize(() => {
      let hid = tf.maxPool(tf.relu(tf.add(tf.conv2d(x as TF.Tensor4D, w1 as TF.Tensor4D, 1, "same"), b1)) as TF.Tensor4D, 2, 2, "valid");
      hid = tf.conv2d(hid as TF.Tensor4D, w2 as TF.Tensor4D, 1, "same");
      const { mean, variance } = tf.moments(hid, [0, 1, 2]);
      hid = tf.maxPool(tf.relu(tf.batchNorm(hid, mean, variance, beta, gamma, 1e-5)) as TF.Tensor4D, 2, 2, "valid");
      const out = tf.add(tf.matMul(tf.reshape(hid, [CNN.batch, 256]), w3), b3);
      return tf.losses.softmaxCrossEntropy(y, out) as TF.Scalar;
    }, false)?.dataSync();
  });
}

/** The demo GPT in tfjs: the same layers from tf ops (erf GELU, a band-part causal mask), Adam, global-norm clipping. */
function tfjsGpt(tf: typeof TF): Run {
  const { embed: d, heads: h, block: t, vocab, batch: b, layers } = GPT;
  const vars: TF.Variable[] = [];
  const v = (init: TF.Tensor) => { const x = tf.variable(init); vars.push(x); return x; };
  const dense = (i: number, o: number) => ({ w: v(tf.randomNormal([i, o], 0, 0.02)), b: v(tf.zeros([o])) });
  const norm = () => ({ g: v(tf.ones([d])), b: v(tf.zeros([d])) });
  const tokens = v(tf.randomNormal([vocab, d], 0, 0.02)), positions = v(tf.randomNormal([t, d], 0, 0.02));
  const blocks = Array.from({ length: layers }, () => ({ ln1: norm(), qkv: dense(d, 3 * d), proj: dense(d, d), ln2: norm(), fc: dense(d, 4 * d), out: dense(4 * d, d) }));
  const lnF = norm(), head = dense(d, vocab);
  const ids = tf.randomUniform([b, t], 0, vocab, "int32") as TF.Tensor2D;
  const y = tf.oneHot(tf.reshape(tf.randomUniform([b, t], 0, vocab, "int32"), [b * t]), vocab);
  const mask = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([t, t]), -1, 0)), -1e9);
  const lin = (x: TF.Tensor, p: { w: TF.Variable; b: TF.Variable }) => tf.add(tf.matMul(tf.reshape(x, [-1, p.w.shape[0]]), p.w), p.b);
  const ln = (x: TF.Tensor, p: { g: TF.Variable; b: TF.Variable }) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), p.g), p.b);
  };
  const gelu = (x: TF.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
  const heads = (z: TF.Tensor) => tf.transpose(tf.reshape(z, [b, t, h, d / h]), [0, 2, 1, 3]);
  const opt = tf.train.adam(3e-3);
  return () => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      // Embedding rows by a one-hot product: tfjs-wasm has no kernel for gather's gradient.
      let x: TF.Tensor = tf.add(tf.reshape(tf.matMul(tf.reshape(tf.oneHot(ids, vocab), [b * t, vocab]), tokens), [b, t, d]), positions);
      for (const blk of blocks) {
        const [q, k, vv] = tf.split(lin(ln(x, blk.ln1), blk.qkv), 3, -1).map((z) => heads(z));
        const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d / h)), mask));
        const yy = tf.reshape(tf.transpose(tf.matMul(att, vv), [0, 2, 1, 3]), [b, t, d]);
        x = tf.add(x, tf.reshape(lin(yy, blk.proj), [b, t, d]));
        x = tf.add(x, tf.reshape(lin(gelu(lin(ln(x, blk.ln2), blk.fc)), blk.out), [b, t, d]));
      }
      return tf.losses.softmaxCrossEntropy(y, lin(ln(x, lnF), head)) as TF.Scalar;
    }, vars);
    // Clipping to a global norm of 1, as clip_grad_norm_ does (tfjs has no op for it).
    const names = Object.keys(grads);
    const total = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
    const scale = tf.minimum(1, tf.div(1, tf.add(total, 1e-6)));
    opt.applyGradients(Object.fromEntries(names.map((n) => [n, tf.mul(grads[n], scale)])));
    value.dataSync();
  });
}

export function tfjsRun(tf: typeof TF, id: string): Run {
  const [kind, arg] = id.split(":");
  if (kind === "cnn-step") return tfjsCnn(tf);
  if (kind === "gpt-step") return tfjsGpt(tf);
  // Every run is tidied: tensors made inside are freed, as a real loop would.
  const tidy = (f: () => TF.Tensor | void) => () => tf.tidy(() => { const r = f(); if (r) r.dataSync(); });
  if (kind.startsWith("matmul")) {
    const n = Number(arg);
    const a = tf.randomNormal([n, n]), b = tf.randomNormal([n, n]);
    return tidy(() => tf.matMul(a, b, kind === "matmul-AtB", kind === "matmul-ABt"));
  }
  if (kind === "add4") {
    const a = tf.randomNormal([4]), b = tf.randomNormal([4]);
    return tidy(() => tf.add(a, b));
  }
  if (kind === "micrograph") {
    const x = tf.randomNormal([4]), w = tf.randomNormal([4]), c = tf.randomNormal([4]);
    const grads = tf.grads((xx: TF.Tensor, ww: TF.Tensor) => tf.sum(tf.add(tf.mul(xx, ww), c)));
    return () => tf.tidy(() => { for (const t of grads([x, w])) t.dataSync(); });
  }
  const small = kind === "mlp-small";
  const [i, h, o] = small ? [2, 16, 1] : [784, 256, 10];
  const w1 = tf.variable(tf.randomNormal([i, h], 0, 1 / Math.sqrt(i))), b1 = tf.variable(tf.zeros([h]));
  const w2 = tf.variable(tf.randomNormal([h, o], 0, 1 / Math.sqrt(h))), b2 = tf.variable(tf.zeros([o]));
  const x = tf.randomNormal([small ? 32 : 64, i]);
  const y = small ? tf.randomNormal([32, 1]) : tf.oneHot(tf.randomUniform([64], 0, 10, "int32"), 10);
  const opt = small ? tf.train.sgd(0.01) : tf.train.adam();
  return () => tf.tidy(() => {
    opt.minimize(() => {
      const hid = small ? tf.tanh(tf.add(tf.matMul(x, w1), b1)) : tf.relu(tf.add(tf.matMul(x, w1), b1));
      const out = tf.add(tf.matMul(hid, w2), b2);
      return small ? tf.losses.meanSquaredError(y, out) as TF.Scalar : tf.losses.softmaxCrossEntropy(y, out) as TF.Scalar;
    }, false, [w1, b1, w2, b2])?.dataSync();
  });
}


/**
 * The PyTorch peer's environment: one thread, and OpenBLAS free to pick its own kernels for this
 * CPU. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, when set machine-wide, pin it to old kernels (2-7×
 * slower products here, same results): a peer runs at its best.
 */
export function torchEnv(): NodeJS.ProcessEnv {
  const { OPENBLAS_CORETYPE: _core, OPENBLAS_L2_SIZE: _l2, ...rest } = process.env;
  return { ...rest, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" };
}

