#!/usr/bin/env node
// `npm run test:fuzz [count] [seed]`: generates random programs with a live PyTorch and replays
// them through the engine. Says what is missing when there is no PyTorch, and fails.
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";

const count = process.argv[2] ?? "20000";
const seed = process.argv[3] ?? String(Date.now() % 100000);
const python = "/usr/bin/python3";
const probe = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
if (probe.status !== 0) {
  console.error(`test:fuzz needs PyTorch for ${python}: install Debian's python3-torch (apt-get install -y python3-torch python3-numpy libopenblas0-pthread).\n${(probe.stderr || probe.error?.message || "").trim()}`);
  process.exit(2);
}
const out = path.join(os.tmpdir(), `gradlens-fuzz-${seed}.json`);
const gen = spawnSync(python, ["test/fuzz/generate.py", count, seed, out], { stdio: "inherit" });
if (gen.status !== 0) process.exit(gen.status ?? 1);
const run = spawnSync("npx", ["mocha", "--no-config", "--require", "test/support/register.cjs", "--extension", "ts", "--timeout", "600000", "test/fuzz/fuzz.test.ts"], {
  stdio: "inherit", env: { ...process.env, GRADLENS_FUZZ_FILE: out },
});
process.exit(run.status ?? 1);
