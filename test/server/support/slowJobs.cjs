// An analysis worker entry whose jobs sleep or spin on request, and whose start-up is slow, for
// the budget tests: sleeping costs wall time but no CPU; spinning costs CPU.
"use strict";
require("../../../scripts/ts-hook.cjs");
const { serveAnalysisJobs } = require("../../../src/server/analysisWorker.ts");

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
// A slow start: loading a big bundle on a busy machine.
sleep(Number(process.env.SLOW_JOBS_STARTUP_MS ?? 0));
const result = { findings: [], notices: [], errors: [], analysed: true };
const lint = (text) => {
  const [what, ms] = text.split(" ");
  if (what === "sleep") sleep(Number(ms));
  if (what === "spin") for (const until = Date.now() + Number(ms); Date.now() < until;);
  return result;
};
serveAnalysisJobs({ lint, fix: (text) => ({ text, applied: 0 }), explain: () => [] });
