/** Generated training code for the benchmarks: realistic shapes, deterministic output. */

const TEMPLATES: ((i: number) => string)[] = [
  (i) => `
export function trainClassifier${i}(model: nn.Module, batches: [Tensor, Tensor][], epochs: number): number[] {
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const scheduler = new optim.lrScheduler.StepLR(optimizer, 10, 0.5);
  const lossFn = new nn.CrossEntropyLoss();
  const history: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    let total = 0;
    for (const [x, y] of batches) {
      optimizer.zeroGrad();
      const logits = model.forward(x);
      const loss = lossFn.forward(logits, y);
      loss.backward();
      nn.utils.clipGradNorm_(model.parameters(), 1.0);
      optimizer.step();
      total += loss.item();
    }
    scheduler.step();
    history.push(total / batches.length);
    if (history.length > 3 && history[history.length - 1] > history[history.length - 4]) break;
  }
  return history;
}
`,
  (i) => `
export function accumulate${i}(model: nn.Module, batches: [Tensor, Tensor][], steps = 4): void {
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  opt.zeroGrad();
  batches.forEach(([x, y], k) => {
    const loss = nn.functional.mseLoss(model.forward(x), y).div(steps);
    loss.backward();
    if ((k + 1) % steps === 0) {
      opt.step();
      opt.zeroGrad();
    }
  });
}
`,
  (i) => `
export class Trainer${i} {
  private readonly optimizer: optim.Optimizer;
  constructor(private readonly model: nn.Module, lr = 1e-3) {
    this.optimizer = new optim.AdamW(model.parameters(), { lr, weightDecay: 0.01 });
  }
  private step(x: Tensor, y: Tensor): number {
    const loss = nn.functional.mseLoss(this.model.forward(x), y);
    loss.backward();
    this.optimizer.step();
    this.optimizer.zeroGrad();
    return loss.item();
  }
  fit(batches: [Tensor, Tensor][], epochs: number): number {
    let last = Infinity;
    for (let e = 0; e < epochs; e++) {
      for (const [x, y] of batches) last = this.step(x, y);
    }
    return last;
  }
  evaluate(batches: [Tensor, Tensor][]): number {
    return noGrad(() => batches.reduce((acc, [x, y]) => acc + nn.functional.mseLoss(this.model.forward(x), y).item(), 0));
  }
}
`,
  (i) => `
export function gan${i}(G: nn.Module, D: nn.Module, iterations: number): void {
  const optG = new optim.Adam(G.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
  const optD = new optim.Adam(D.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
  const bce = new nn.BCEWithLogitsLoss();
  for (let it = 0; it < iterations; it++) {
    const real = randn(16, 2);
    const fake = G.forward(randn(16, 8));
    optD.zeroGrad();
    const lossD = bce.forward(D.forward(real), ones(16, 1)).add(bce.forward(D.forward(fake.detach()), zeros(16, 1)));
    lossD.backward();
    optD.step();
    optG.zeroGrad();
    const lossG = bce.forward(D.forward(fake), ones(16, 1));
    lossG.backward();
    optG.step();
    if (it % 100 === 0) console.log(it, lossD.item(), lossG.item());
  }
}
`,
  (i) => `
export function manual${i}(x: Tensor, y: Tensor, steps: number, lr = 0.1): Tensor {
  const W = randn(x.shape[1], 1, { requiresGrad: true });
  const b = zeros(1, { requiresGrad: true });
  for (let s = 0; s < steps; s++) {
    const loss = x.matmul(W).add(b).sub(y).pow(2).mean();
    loss.backward();
    noGrad(() => {
      W.sub_(W.grad!.mul(lr));
      b.sub_(b.grad!.mul(lr));
    });
    W.grad = null;
    b.grad = null;
    switch (s % 3) {
      case 0: lr *= 0.99; break;
      case 1: lr = Math.max(lr, 1e-4); break;
      default: break;
    }
  }
  return W;
}
`,
];

const HEADER = `import { nn, optim, randn, zeros, ones, noGrad, Tensor } from "gradlens";\n`;

/** A training file of about `lines` lines; `bugs` of its loops lack zeroGrad. */
export function trainingFile(lines: number, bugs = 0, salt = 0): string {
  const parts = [HEADER];
  let count = 1, i = 0;
  while (count < lines) {
    let chunk = TEMPLATES[(i + salt) % TEMPLATES.length](i);
    if (bugs > 0 && i % 7 === 3 && chunk.includes("optimizer.zeroGrad();\n      const logits")) {
      chunk = chunk.replace("optimizer.zeroGrad();\n      const logits", "const logits");
      bugs--;
    }
    parts.push(chunk);
    count += chunk.split("\n").length - 1;
    i++;
  }
  return parts.join("");
}
