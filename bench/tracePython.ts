/**
 * Tracing cost on real PyTorch runs, measured against the untraced loop in the same process:
 * the script runs under `gradlens trace --log-every 1` and swaps the tracer's hooks out and back
 * in between blocks of steps (the functions torch had before, not a disabled tracer), alternating
 * the order, so machine load hits both alike. Two models: a small MLP (784-256-10, batch 64, SGD
 * with momentum, as the TypeScript bench) and one of about 10M parameters (four 1600×1600 layers,
 * batch 32, Adam). Wall time per step (torch's own page faults on large temporaries land in
 * system time unevenly; alternation cancels the drift); the ratio is the median of per-block ratios.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");
const python = process.env.GRADLENS_PYTHON ?? "/usr/bin/python3";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quick = process.env.BENCH_QUICK === "1";

const SCRIPT = `import sys, time
import torch
import torch.nn as nn

which, blocks, per, warm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(0)
if which == "small":
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(64, 784), torch.randint(0, 10, (64,))
else:
    width = 1600
    model = nn.Sequential(*[m for _ in range(4) for m in (nn.Linear(width, width), nn.ReLU())], nn.Linear(width, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x, y = torch.randn(32, width), torch.randint(0, 10, (32,))
loss_fn = nn.CrossEntropyLoss()

# The tracer's hooks, found by the mark it puts on them: (owner, name, traced function).
hooks = []
for owner in [torch.autograd, nn.Module, torch.optim.Optimizer, *torch.optim.Optimizer.__subclasses__()]:
    for name, fn in list(vars(owner).items()):
        if getattr(fn, "__gradlens__", False) and name != "__init__":
            hooks.append((owner, name, fn))
assert hooks, "not running under gradlens trace"

def attach(on):
    # Off: torch's own functions (without torch 1.13's profiler wrapper around step(), so if
    # anything the overhead is overstated).
    for owner, name, fn in hooks:
        setattr(owner, name, fn if on else fn.__gradlens_original__)

def block(n):
    t0 = time.perf_counter()
    for _ in range(n):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return (time.perf_counter() - t0) * 1000 / n

block(max(3, warm))  # traced: past the first 100 steps, which are always logged
on, off = [], []
for b in range(blocks):
    for traced in ((False, True) if b % 2 == 0 else (True, False)):
        attach(traced)
        (on if traced else off).append(block(per))
attach(True)
print("RESULT", {"on": on, "off": off, "params": sum(p.numel() for p in model.parameters())})
`;

function measure(which: "small" | "large", blocks: number, per: number, logEvery: number): { on: number[]; off: number[]; params: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-pytrace-bench-"));
  const script = path.join(dir, "bench_train.py");
  fs.writeFileSync(script, SCRIPT);
  try {
    const out = execFileSync(process.execPath, [path.join(root, "dist/cli.js"), "trace", "--python", python, "--log-every", String(logEvery), script, which, String(blocks), String(per), String(logEvery > 1 ? 100 : 0)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 });
    const m = /RESULT (.*)/.exec(out);
    if (m === null) throw new Error(`no result from the ${which} model's run:\n${out.slice(-2000)}`);
    return JSON.parse(m[1].replace(/'/g, '"')) as { on: number[]; off: number[]; params: number };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const probe = spawnSync(python, ["-c", "import torch; print(torch.__version__, torch.get_num_threads())"], { encoding: "utf8" });
if (probe.status !== 0) {
  console.log(`\nPyTorch tracing overhead: NOT MEASURED (${python} cannot import torch: apt-get install python3-torch, or set GRADLENS_PYTHON)`);
} else {
  const [version, threads] = probe.stdout.trim().split(" ");
  console.log(`\nPyTorch tracing overhead (torch ${version}, ${threads} threads): alternating blocks in one traced process, wall time per step`);
  console.log("| model | parameters | logEvery | blocks × steps | untraced ms/step | traced ms/step | traced vs untraced | target |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  const cases: [("small" | "large"), number, number, number, string][] = [["small", quick ? 30 : 200, 5, 1, "≤ +10%"], ["large", quick ? 6 : 30, 3, 1, "≤ +2%"]];
  if (!quick) cases.push(["small", 200, 5, 10, "≤ +10%"], ["large", 30, 3, 10, "≤ +2%"]);
  for (const [which, blocks, per, logEvery, target] of cases) {
    const r = measure(which, blocks, per, logEvery);
    const ratio = median(r.on.map((t, i) => t / r.off[i]));
    const name = which === "small" ? "MLP 784-256-10, batch 64, SGD+momentum" : "MLP 4×1600² + 1600×10, batch 32, Adam";
    console.log(`| ${name} | ${r.params.toLocaleString("en")} | ${logEvery} | ${blocks} × ${per} | ${median(r.off).toFixed(2)} | ${median(r.on).toFixed(2)} | ${ratio.toFixed(3)}× (${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)}%) | ${target} |`);
  }
}
