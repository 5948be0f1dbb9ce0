/**
 * The benchmark's cases, built for each JavaScript system (PyTorch's are in peers_torch.py): one
 * definition that the timing (peers.ts) and the memory measurement (memory.ts) both run.
 */
import type * as TF from "@tensorflow/tfjs";
import type * as Engine from "../engine/index";

export type Run = () => unknown;

/** One row of bench/results/latest.json: a case's value for each system that ran it. */
export interface Row { suite: string; case: string; unit: string; higherIsBetter: boolean; values: Record<string, number> }

export function gradlensRun(g: typeof Engine, id: string): Run {
  g.manualSeed(0);
  const [kind, arg] = id.split(":");
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

export function tfjsRun(tf: typeof TF, id: string): Run {
  const [kind, arg] = id.split(":");
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

