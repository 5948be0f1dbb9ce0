// Child process for the stress test: lints the program named on stdin's JSON and reports
// findings, notices, wall time and peak heap. Run with --max-old-space-size to cap memory.
"use strict";
require("./register.cjs");
const { lintText, loadPython } = require("../../src/analysis/lint");
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", async () => {
  const { text, fixes, file } = JSON.parse(input);
  // The Python parser loads once (asynchronously) before the timed lint.
  if (file !== undefined && file.endsWith(".py")) await loadPython();
  const t = process.hrtime.bigint();
  const r = lintText(text, file ?? "stress.ts", { fixes });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  process.stdout.write(JSON.stringify({ findings: r.findings.length, notices: r.notices.map((n) => n.message), errors: r.errors.length, ms, heapMB: process.memoryUsage().heapUsed / 1e6 }));
});
