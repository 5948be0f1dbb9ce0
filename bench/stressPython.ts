/**
 * The Python twin of bench/stress.ts: generated PyTorch programs where analysis cost could
 * multiply (wide modules, long call chains and rings, deep class hierarchies, a 2,000-arm match,
 * many optimizers, deep nesting). Shared by the stress test (200 MB heap cap in a child process)
 * and `npm run bench` (timings).
 */
import type { StressProgram } from "./stress";

const HEADER = `import torch
import torch.nn as nn

loss_fn = nn.MSELoss()
`;

function layeredModule(layers: number): string {
  const fields = Array.from({ length: layers }, (_, i) => `        self.l${i} = nn.Linear(16, 16)`).join("\n");
  const calls = Array.from({ length: layers }, (_, i) => `        h = self.l${i}(h).relu()`).join("\n");
  return `${HEADER}
class Wide(nn.Module):
    def __init__(self):
        super().__init__()
${fields}

    def forward(self, x):
        h = x
${calls}
        return h


model = Wide()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(10):
    for x, y in batches:
        loss_fn(model(x), y).backward()
        optimizer.step()
`;
}

/** f0 … f(n-1), each calling the next two: 2^n paths without summaries. */
function callChain(n: number): string {
  const fns = Array.from({ length: n }, (_, i) => {
    const calls = [i + 1, i + 2].filter((j) => j < n).map((j) => `    if x > ${j}:\n        f${j}(x - 1, opt)`).join("\n");
    const body = i % 7 === 3 ? "    loss_fn(torch.randn(2, 2), torch.randn(2, 2)).backward()\n" : i % 11 === 5 ? "    opt.step()\n" : "";
    return `def f${i}(x, opt: torch.optim.Optimizer):\n${body}${calls || "    pass"}\n`;
  }).join("\n");
  return `${HEADER}
${fns}
model = nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for i in range(100):
    f0(i, optimizer)
`;
}

function manyCallSites(n: number): string {
  const calls = Array.from({ length: n }, (_, i) => `        if i % ${i + 2} == 0:\n            train_step(batches[${i % 7}], optimizer)`).join("\n");
  return `${HEADER}
model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train_step(batch, opt):
    opt.zero_grad()
    loss_fn(model(batch[0]), batch[1]).backward()
    opt.step()


for epoch in range(10):
    for i in range(1000):
${calls}
`;
}

/** A ring of n functions, each calling the next and itself. */
function mutualRecursion(n: number): string {
  const fns = Array.from({ length: n }, (_, i) =>
    `def r${i}(d):\n    if d > 0:\n        r${i}(d - 1)\n    loss_fn(model(torch.randn(2, 4)), torch.randn(2, 1)).backward()\n    if d % 2 == 0:\n        r${(i + 1) % n}(d - 1)\n    optimizer.step()\n`).join("\n");
  return `${HEADER}
model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

${fns}
for i in range(10):
    optimizer.zero_grad()
    r0(5)
`;
}

function classHierarchy(depth: number): string {
  const classes = Array.from({ length: depth }, (_, i) => i === 0
    ? `class C0(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 4)\n\n    def forward(self, x):\n        return self.fc(x)\n\n    def train_with(self, opt):\n        opt.zero_grad()\n        self.forward(torch.randn(2, 4)).sum().backward()\n        opt.step()\n`
    : `class C${i}(C${i - 1}):\n    def forward(self, x):\n        return super().forward(x)\n\n    def train_with(self, opt):\n        super().train_with(opt)\n        self.forward(torch.randn(2, 4))\n`).join("\n");
  return `${HEADER}
${classes}
model = C${depth - 1}()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for i in range(100):
    model.train_with(optimizer)
`;
}

function hugeMatch(cases: number): string {
  const body = Array.from({ length: cases }, (_, i) => {
    const stmt = ["optimizer.zero_grad()", "loss_fn(model(x), y).backward()", "optimizer.step()", "print(i)"][i % 4];
    return `        case ${i}:\n            ${stmt}`;
  }).join("\n");
  return `${HEADER}
model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for i in range(100000):
    x, y = batches[i % 2]
    match i % ${cases}:
${body}
`;
}

function manyOptimizers(n: number): string {
  return HEADER + Array.from({ length: n }, (_, i) => `m${i} = nn.Linear(4, 1)
opt${i} = torch.optim.SGD(m${i}.parameters(), lr=0.1)
for x, y in batches:
    opt${i}.zero_grad()
    loss_fn(m${i}(x), y).backward()
    opt${i}.step()
`).join("\n");
}

/** `if` nested `depth` deep around a training step (CPython itself stops near 100). */
function deepNesting(depth: number): string {
  const lines = ["model = nn.Linear(4, 1)", "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)", "for x, y in batches:"];
  for (let i = 0; i < depth; i++) lines.push(`${"    ".repeat(i + 1)}if x.sum() > ${i}:`);
  const inner = "    ".repeat(depth + 1);
  lines.push(`${inner}loss_fn(model(x), y).backward()`, `${inner}optimizer.step()`);
  return HEADER + lines.join("\n") + "\n";
}

/** A long file of many ordinary training functions (the benchmark's 10,000-line input). */
export function longPythonFile(lines: number): string {
  const unit = (i: number) => `
class Model${i}(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(32, 64)
        self.fc2 = nn.Linear(64, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def train_${i}(loader, epochs=3, accum=4):
    model = Model${i}()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)
    for epoch in range(epochs):
        model.train()
        for step, (x, y) in enumerate(loader):
            with torch.autocast("cpu"):
                loss = loss_fn(model(x), y) / accum
            loss.backward()
            if (step + 1) % accum == 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
        scheduler.step()
        with torch.no_grad():
            val = sum(loss_fn(model(x), y).item() for x, y in loader)
        print(f"epoch {epoch}: {val:.4f}")
    return model
`;
  let text = HEADER;
  for (let i = 0; text.split("\n").length < lines; i++) text += unit(i);
  return text;
}

export function stressPythonPrograms(): StressProgram[] {
  return [
    { name: "module with 50 layer calls", text: layeredModule(50) },
    { name: "200 functions calling each other", text: callChain(200) },
    { name: "1,000 call sites of one helper", text: manyCallSites(1000) },
    { name: "mutual recursion, a ring of 100", text: mutualRecursion(100) },
    { name: "class hierarchy 60 deep", text: classHierarchy(60) },
    { name: "match with 2,000 cases", text: hugeMatch(2000) },
    { name: "200 optimizers", text: manyOptimizers(200) },
    { name: "if nested 90 deep", text: deepNesting(90) },
    { name: "10,000 lines of training functions", text: longPythonFile(10_000) },
  ];
}
