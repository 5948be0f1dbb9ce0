// The busy-machine mode (GRADLENS_TEST_LOAD=1): while the suite runs, one process per core spins
// at normal priority beside it, as a build or a training run does on a user's laptop. Tests must
// pass this way too: they wait on events, never on the machine being idle.
"use strict";
const { spawn } = require("node:child_process");
const os = require("node:os");

const wanted = process.env.GRADLENS_TEST_LOAD;
const on = wanted !== undefined && wanted !== "" && wanted !== "0";

// Spins in slices, checking between them that the test run (its parent, named at spawn) is
// still there, so a killed run leaves no spinner behind.
const SPINNER = `const parent = Number(process.argv[1]);
for (;;) {
  const until = Date.now() + 100;
  while (Date.now() < until);
  if (process.ppid !== parent) process.exit(0);
}`;

const spinners = [];
exports.mochaHooks = on ? {
  beforeAll() {
    const n = Number(wanted) > 1 ? Number(wanted) : os.availableParallelism();
    for (let i = 0; i < n; i++) spinners.push(spawn(process.execPath, ["-e", SPINNER, String(process.pid)], { stdio: "ignore" }));
    process.stdout.write(`  [load] ${n} busy process${n === 1 ? "" : "es"} beside the tests (GRADLENS_TEST_LOAD)\n`);
  },
  afterAll() {
    for (const s of spinners.splice(0)) s.kill("SIGKILL");
  },
} : {};
