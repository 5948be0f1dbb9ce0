// Child script for hidden-classes.test.ts: warms a few training loops and op mixes until their
// code is optimized, forces a full garbage collection, and runs them again. Run with
// --expose-gc --trace-deopt; the test reads which deoptimizations the collection caused.
"use strict";
const g = require(process.argv[2]);

function loop(kind) {
  if (kind === "micrograph") {
    const x = g.randn(4).requiresGrad_(), w = g.randn(4).requiresGrad_(), c = g.randn(4);
    return () => x.mul(w).add(c).sum().backward();
  }
  if (kind === "ops") {
    // Broadcasting, views, reductions, indexing and concatenation, through backward.
    const a = g.randn(3, 4).requiresGrad_(), b = g.randn(4).requiresGrad_();
    return () => {
      const y = a.add(b).relu().reshape([4, 3]).t().mul(2).sub(b.unsqueeze(1).expand([4, 3]).t());
      g.cat([y, y.exp()], 1).pow(2).mean(0).sum().backward();
      a.grad = null; b.grad = null;
    };
  }
  const big = kind === "mlp-784";
  const model = big ? new g.nn.Sequential(new g.nn.Linear(784, 256), new g.nn.ReLU(), new g.nn.Linear(256, 10)) : new g.nn.Sequential(new g.nn.Linear(2, 16), new g.nn.Tanh(), new g.nn.Linear(16, 1));
  const opt = big ? new g.optim.Adam(model.parameters()) : new g.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = big ? g.randn(64, 784) : g.randn(32, 2);
  const y = big ? g.randint(0, 10, [64]) : g.randn(32, 1);
  const lossFn = big ? new g.nn.CrossEntropyLoss() : new g.nn.MSELoss();
  return () => { opt.zeroGrad(); lossFn.forward(model.forward(x), y).backward(); opt.step(); };
}

const loops = ["micrograph", "ops", "mlp-small", "mlp-784"].map((k) => [k, loop(k)]);
// Once more with a probe sink attached that asks for measured updates, as a trace does.
const sink = { backward() {}, beforeStep: () => "measure", step() {}, zeroGrad() {} };
const traced = loop("mlp-784");
loops.push(["traced mlp-784", () => { g.setProbeSink(sink); try { traced(); } finally { g.setProbeSink(null); } }]);
const run = (ms) => { for (const [, f] of loops) { const end = Date.now() + ms; while (Date.now() < end) f(); } };
run(400);
console.log("== full collection ==");
gc();
run(100);
console.log("== end ==");
