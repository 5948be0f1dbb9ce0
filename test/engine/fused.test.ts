/**
 * The fused kernels (float32 products on relaxed SIMD's multiply-add) load wherever the runtime
 * has WebAssembly relaxed SIMD: Node 22+, Chromium, VS Code's Electron. Node 20, which runs these
 * tests, has it behind a flag, so the engine's numeric suites run once more in a child Mocha with
 * the flag on: the same references, tolerances, NaN/Inf cases and PyTorch parity fixtures, and
 * kernelMode() must say "wasm-simd-fused" there.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const root = path.resolve(__dirname, "../..");
const SUITES = ["test/engine/kernels.test.ts", "test/engine/threads.test.ts", "test/engine/gradcheck.test.ts", "test/engine/nn-optim.test.ts", "test/parity/parity.test.ts", "test/parity/edge-cases.test.ts"];

describe("the fused kernels (relaxed SIMD), on a runtime that has them", () => {
  it("pass the kernel, thread, gradient-check, nn/optim and PyTorch parity suites", function () {
    this.timeout(180_000);
    const run = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", path.join(root, "node_modules/mocha/bin/mocha.js"), "--no-config", "--require", "test/support/register.cjs", "--extension", "ts", "--timeout", "60000", "--reporter", "dot", ...SUITES], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
    const out = `${run.stdout}\n${run.stderr}`;
    const passing = Number(/(\d+) passing/.exec(out)?.[1] ?? 0);
    assert.equal(run.status, 0, `the suites failed with relaxed SIMD on:\n${out.slice(-6000)}`);
    assert.ok(passing >= 200, `only ${passing} tests ran with relaxed SIMD on:\n${out.slice(-2000)}`);
  });

  it("are what the engine loads there", () => {
    const run = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", "-e", `const g = require(${JSON.stringify(path.join(root, "dist/engine.js"))}); console.log(g.kernelMode())`], { encoding: "utf8" });
    assert.equal(run.stdout.trim(), "wasm-simd-fused", run.stderr);
  });
});
