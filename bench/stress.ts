/**
 * Generated programs that stress the analysis where cost could multiply: many calls of one
 * helper, long call chains and rings, deep class hierarchies, wide modules, huge switches.
 * Shared by the stress test (caps enforced in a child process) and `npm run bench` (timings).
 */

const HEADER = `import { nn, optim, randn, Tensor } from "gradlens";
declare const batches: [Tensor, Tensor][];
const lossFn = new nn.MSELoss();
`;

function layeredModule(layers: number): string {
  const fields = Array.from({ length: layers }, (_, i) => `  l${i} = new nn.Linear(16, 16);`).join("\n");
  const calls = Array.from({ length: layers }, (_, i) => `    h = this.l${i}.forward(h).relu();`).join("\n");
  return `${HEADER}class Wide extends nn.Module {
${fields}
  forward(x: Tensor): Tensor {
    let h = x;
${calls}
    return h;
  }
}
const model = new Wide();
const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
for (let epoch = 0; epoch < 10; epoch++) {
  for (const [x, y] of batches) {
    lossFn.forward(model.forward(x), y).backward();
    optimizer.step();
  }
}
`;
}

/** f0 … f(n-1), each calling the next two: 2^n paths without summaries. */
function callChain(n: number): string {
  const fns = Array.from({ length: n }, (_, i) => {
    const calls = [i + 1, i + 2].filter((j) => j < n).map((j) => `  if (x > ${j}) f${j}(x - 1, opt);`).join("\n");
    const body = i % 7 === 3 ? "  lossFn.forward(randn(2, 2), randn(2, 2)).backward();\n" : i % 11 === 5 ? "  opt.step();\n" : "";
    return `function f${i}(x: number, opt: optim.Optimizer): void {\n${body}${calls}\n}`;
  }).join("\n");
  return `${HEADER}${fns}
const model = new nn.Linear(2, 2);
const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
for (let i = 0; i < 100; i++) f0(i, optimizer);
`;
}

function manyCallSites(n: number): string {
  const calls = Array.from({ length: n }, (_, i) => `    if (i % ${i + 2} === 0) trainStep(batches[${i % 7}], optimizer);`).join("\n");
  return `${HEADER}const model = new nn.Linear(4, 1);
const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
function trainStep(batch: [Tensor, Tensor], opt: optim.Optimizer): void {
  opt.zeroGrad();
  lossFn.forward(model.forward(batch[0]), batch[1]).backward();
  opt.step();
}
for (let epoch = 0; epoch < 10; epoch++) {
  for (let i = 0; i < 1000; i++) {
${calls}
  }
}
`;
}

/** A ring of n functions, each calling the next and itself. */
function mutualRecursion(n: number): string {
  const fns = Array.from({ length: n }, (_, i) =>
    `function r${i}(d: number): void {\n  if (d > 0) r${i}(d - 1);\n  lossFn.forward(model.forward(randn(2, 4)), randn(2, 1)).backward();\n  if (d % 2 === 0) r${(i + 1) % n}(d - 1);\n  optimizer.step();\n}`).join("\n");
  return `${HEADER}const model = new nn.Linear(4, 1);
const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
${fns}
for (let i = 0; i < 10; i++) {
  optimizer.zeroGrad();
  r0(5);
}
`;
}

function classHierarchy(depth: number): string {
  const classes = Array.from({ length: depth }, (_, i) => i === 0
    ? `class C0 extends nn.Module {\n  fc = new nn.Linear(4, 4);\n  forward(x: Tensor): Tensor { return this.fc.forward(x); }\n  train(opt: optim.Optimizer): void { opt.zeroGrad(); this.forward(randn(2, 4)).sum().backward(); opt.step(); }\n}`
    : `class C${i} extends C${i - 1} {\n  extra${i} = new nn.Linear(4, 4);\n  forward(x: Tensor): Tensor { return this.extra${i}.forward(super.forward(x)); }\n  train(opt: optim.Optimizer): void { super.train(opt); this.forward(randn(2, 4)); }\n}`).join("\n");
  return `${HEADER}${classes}
const model = new C${depth - 1}();
const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
for (let i = 0; i < 100; i++) model.train(optimizer);
`;
}

function hugeSwitch(cases: number): string {
  const body = Array.from({ length: cases }, (_, i) => {
    const stmt = ["optimizer.zeroGrad();", "lossFn.forward(model.forward(x), y).backward();", "optimizer.step();", "console.log(i);"][i % 4];
    return `    case ${i}:\n      ${stmt}${i % 3 === 0 ? "\n      break;" : ""}`;
  }).join("\n");
  return `${HEADER}const model = new nn.Linear(4, 1);
const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
for (let i = 0; i < 100000; i++) {
  const [x, y] = batches[i % 2];
  switch (i % ${cases}) {
${body}
  }
}
`;
}

/** Many optimizers in one file, each with its own loop. */
function manyOptimizers(n: number): string {
  const loops = Array.from({ length: n }, (_, i) => `const m${i} = new nn.Linear(4, 1);
const opt${i} = new optim.SGD(m${i}.parameters(), { lr: 0.1 });
for (const [x, y] of batches) {
  opt${i}.zeroGrad();
  lossFn.forward(m${i}.forward(x), y).backward();
  opt${i}.step();
}`).join("\n");
  return HEADER + loops + "\n";
}

export interface StressProgram {
  name: string;
  text: string;
}

export function stressPrograms(): StressProgram[] {
  return [
    { name: "module with 50 layer calls", text: layeredModule(50) },
    { name: "200 functions calling each other", text: callChain(200) },
    { name: "1,000 call sites of one helper", text: manyCallSites(1000) },
    { name: "mutual recursion, a ring of 100", text: mutualRecursion(100) },
    { name: "class hierarchy 60 deep", text: classHierarchy(60) },
    { name: "switch with 2,000 cases", text: hugeSwitch(2000) },
    { name: "200 optimizers", text: manyOptimizers(200) },
  ];
}
