/**
 * A full garbage collection must not throw away the engine's optimized code. V8 holds hidden
 * classes (and objects) weakly in optimized code; a class that only garbage used (graph nodes
 * between steps, the shapes of intermediate results) dies in a full collection and takes every
 * function that saw it with it. That made the steps after each full collection 3-5× slower for
 * ~80 ms, and the benchmark, which collects before each sample, measured mostly that.
 *
 * Checked on the built bundle (what users run) in a child process with V8's deoptimization trace:
 * after warm loops, a forced full collection, and the loops again, no deoptimization may give
 * "weak objects" as its reason.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import * as path from "node:path";
import * as g from "../../engine/index";

const root = path.resolve(__dirname, "../..");

describe("hidden classes across full garbage collections", () => {
  it("a full collection deoptimizes nothing the engine runs (micro-graph, op mix, MLPs, traced step)", function () {
    this.timeout(60_000);
    const out = execFileSync(process.execPath, ["--expose-gc", "--trace-deopt", path.join(__dirname, "support/full-gc-loop.js"), path.join(root, "dist/engine.js")], { encoding: "utf8", maxBuffer: 64 << 20 });
    const start = out.indexOf("== full collection ==");
    const end = out.indexOf("== end ==");
    assert.ok(start >= 0 && end > start, `the child script didn't run to its end:\n${out.slice(-2000)}`);
    const weak = out.slice(start, end).split("\n").filter((l) => /reason: weak objects/.test(l));
    const names = weak.map((l) => /SharedFunctionInfo ([^>]*)>/.exec(l)?.[1] ?? l);
    assert.deepEqual(names, [], `functions deoptimized by the full collection: ${[...new Set(names)].join(", ")}`);
  });

  it("every tensor's shape has one hidden class, whatever op made it", () => {
    v8.setFlagsFromString("--allow-natives-syntax");
    const sameClass = vm.runInThisContext("(a, b) => %HaveSameMap(a, b)") as (a: object, b: object) => boolean;
    const leaf = g.randn(2, 3);
    const b = g.randn(3).requiresGrad_();
    const made = {
      broadcast: leaf.add(b), reshape: leaf.reshape([3, 2]), transpose: leaf.t(), sum: leaf.sum(0), full: leaf.sum(),
      matmul: leaf.matmul(g.randn(3, 4)), cat: g.cat([leaf, leaf]), unsqueeze: b.unsqueeze(0), index: leaf.select(0, 1),
      fromNested: g.tensor([[1, 2], [3, 4]]), zeros: g.zeros([5]),
    };
    for (const [op, t] of Object.entries(made)) assert.ok(sameClass(t.shape, leaf.shape), `${op}: its shape has another hidden class than a leaf's`);
  });
});
