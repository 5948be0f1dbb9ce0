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

  it("ESM import works and exposes the same API", () => {
    const out = run(["--input-type=module", "-e", `import { tensor, nn, optim, noGrad } from "gradlens"; console.log(typeof nn.Linear, typeof optim.Adam, typeof noGrad, tensor([3]).item());`]);
    assert.equal(out.trim(), "function function function 3");
  });

  it("the engine bundle has no Node-only imports (runs in any JS runtime)", () => {
    const fs = require("node:fs") as typeof import("node:fs");
    const src = fs.readFileSync(path.join(root, "dist/engine.mjs"), "utf8");
    assert.doesNotMatch(src, /from\s+["'](node:|fs|path|child_process|vscode)/);
    assert.doesNotMatch(src, /require\(["'](node:|fs|path|vscode)/);
  });
});
