/**
 * The analysis worker's budget is CPU time spent on the job, so a busy machine (wall time lost to
 * other programs) or a slow start-up never turns into "not analysed"; real work past the budget
 * still does. The worker entry's jobs sleep (wall time, no CPU) or spin (CPU) on request.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { AnalysisWorker } from "../../src/server/analysisWorker";

const entry = path.join(__dirname, "support/slowJobs.cjs");

describe("analysis worker: the budget is the job's own CPU time", function () {
  this.timeout(60_000);
  let worker: AnalysisWorker;
  const run = (text: string, budgetMs: number) => worker.run("lint", text, "a.ts", {}, budgetMs);
  afterEach(() => worker.dispose());

  it("a job that waits 600 ms without using the CPU finishes within a 100 ms budget", async () => {
    worker = new AnalysisWorker(entry);
    const o = await run("sleep 600", 100);
    assert.ok("result" in o, JSON.stringify(o));
  });

  it("a start-up slower than the budget is not counted against the first job", async () => {
    process.env.SLOW_JOBS_STARTUP_MS = "800";
    try {
      worker = new AnalysisWorker(entry);
      worker.warm();
      const o = await run("quick", 100);
      assert.ok("result" in o, JSON.stringify(o));
    } finally {
      delete process.env.SLOW_JOBS_STARTUP_MS;
    }
  });

  it("a job that uses more CPU than its budget is cut off, and the next job runs on a fresh worker", async () => {
    worker = new AnalysisWorker(entry);
    const slow = await run("spin 20000", 200);
    assert.ok("timedOut" in slow, JSON.stringify(slow));
    assert.ok(slow.cpuMs > 200 && slow.cpuMs < 20_000, `cut off after ${slow.cpuMs} ms of CPU`);
    const next = await run("quick", 200);
    assert.ok("result" in next, JSON.stringify(next));
  });

  it("idle() resolves once every queued job has finished", async () => {
    worker = new AnalysisWorker(entry);
    const done: string[] = [];
    void run("sleep 50", 1000).then(() => done.push("a"));
    void run("sleep 50", 1000).then(() => done.push("b"));
    await worker.idle();
    assert.deepEqual(done, ["a", "b"]);
  });
});
