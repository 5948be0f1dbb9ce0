/** The published entry point: require("gradlens") and import resolve to the built engine, never vscode. */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const root = path.resolve(__dirname, "../..");
const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: "utf8" });

describe("package entry point", () => {
  it("require('gradlens') loads dist/engine.js without loading vscode", () => {
    const out = run(["-e", `
      const Module = require("module");
      const load = Module._load;
      Module._load = function (req, ...rest) { if (req === "vscode") throw new Error("engine loaded vscode"); return load.call(this, req, ...rest); };
      const g = require("gradlens");
      const w = g.tensor([1, 2], { requiresGrad: true });
      w.mul(w).sum().backward();
      console.log(require.resolve("gradlens"), JSON.stringify(g.tensor(w.grad).tolist()));`]);
    assert.match(out, /dist[\\/]engine\.js \[2,4\]/);
  });

  it("gradlens/node (safetensors files) loads in both module systems and shares the engine's Tensor class", () => {
    const file = require("node:path").join(require("node:os").tmpdir(), `gradlens-entry-${process.pid}.safetensors`);
    const cjs = run(["-e", `
      const g = require("gradlens"), n = require("gradlens/node");
      n.saveFile({ w: g.tensor([1, 2]) }, ${JSON.stringify(file)});
      const t = n.loadFile(${JSON.stringify(file)}).w;
      console.log(t instanceof g.Tensor, JSON.stringify(t.tolist()));`]);
    assert.equal(cjs.trim(), "true [1,2]");
    const esm = run(["--input-type=module", "-e", `import { Tensor } from "gradlens"; import { loadFile } from "gradlens/node"; console.log(loadFile(${JSON.stringify(file)}).w instanceof Tensor);`]);
    assert.equal(esm.trim(), "true");
    require("node:fs").rmSync(file, { force: true });
  });

  it("ESM import works and exposes the same API", () => {
    const out = run(["--input-type=module", "-e", `import { tensor, nn, optim, noGrad } from "gradlens"; console.log(typeof nn.Linear, typeof optim.Adam, typeof noGrad, tensor([3]).item());`]);
    assert.equal(out.trim(), "function function function 3");
  });

  it("a user's TypeScript project type-checks against the published declarations (and wrong calls don't)", function () {
    this.timeout(60_000);
    const os = require("node:os") as typeof import("node:os");
    const fs = require("node:fs") as typeof import("node:fs");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-consumer-"));
    fs.mkdirSync(path.join(dir, "node_modules"));
    fs.symlinkSync(root, path.join(dir, "node_modules", "gradlens"), "dir");
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0" }));
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, module: "node16", moduleResolution: "node16", target: "ES2022", noEmit: true, types: [] }, files: ["main.ts"] }));
    const good = [
      'import { tensor, randn, noGrad, nn, optim, Tensor } from "gradlens";',
      "const w: Tensor = randn(3, 1, { requiresGrad: true });",
      "const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 1));",
      "const opt = new optim.AdamW(model.parameters(), { lr: 1e-3, amsgrad: true });",
      "new optim.lrScheduler.StepLR(opt, { stepSize: 10 }).step();",
      "const lossFn = new nn.CrossEntropyLoss({ reduction: \"sum\" });",
      "opt.zeroGrad({ setToNone: true });",
      "model.forward(tensor([[1, 2, 3]])).sum().backward();",
      "opt.step();",
      "noGrad(() => w.sub_(w.mul(0.1)));",
      "const n: number = nn.utils.clipGradNorm_(model.parameters(), 1).item();",
      "console.log(n);",
      'import { saveFile, loadFile } from "gradlens/node";',
      'import { DataLoader, TensorDataset } from "gradlens";',
      'saveFile(model.stateDict(), "m.safetensors");',
      'const loaded: Record<string, Tensor> = loadFile("m.safetensors");',
      "for (const [bx, by] of new DataLoader(new TensorDataset(randn(8, 3), randn(8)), { batchSize: 4, shuffle: true })) console.log(bx.shape, by.shape, loaded);",
      "const [values, indices] = randn(3, 4).max(1);",
      "console.log(values.add(indices), new nn.Conv2d(1, 2, 3, { padding: \"same\" }), new nn.LSTM(3, 4, { batchFirst: true }));",
    ].join("\n");
    const tsc = path.join(root, "node_modules/typescript/bin/tsc");
    fs.writeFileSync(path.join(dir, "main.ts"), good);
    execFileSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8" });
    fs.writeFileSync(path.join(dir, "main.ts"), good + '\nconst bad: string = tensor([1]).item();\nnew optim.SGD(model.parameters(), { learningRate: 1 });\nnew optim.lrScheduler.StepLR(opt, 10);');
    let output = "";
    try {
      execFileSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8" });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout);
    }
    assert.match(output, /Type 'number' is not assignable to type 'string'/);
    assert.match(output, /learningRate/);
    assert.match(output, /Argument of type 'number' is not assignable to parameter of type '\{ stepSize: number/);
  });

  it("the engine bundle has no Node-only imports (runs in any JS runtime)", () => {
    const fs = require("node:fs") as typeof import("node:fs");
    const src = fs.readFileSync(path.join(root, "dist/engine.mjs"), "utf8");
    assert.doesNotMatch(src, /from\s+["'](node:|fs|path|child_process|vscode)/);
    assert.doesNotMatch(src, /require\(["'](node:|fs|path|vscode)/);
  });
});
