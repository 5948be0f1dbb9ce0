// `npm run bench [-- --quick]`: the analysis (bench/index.ts, bench/python.ts), tracing (bench/trace.ts, bench/tracePython.ts), the
// engine beside its peers (bench/peers.ts) and their memory (bench/memory.ts), one after
// another. --quick shortens every part (fewer and shorter samples) so the whole run takes about
// a minute.
import { execFileSync } from "node:child_process";

const quick = process.argv.includes("--quick");
const env = { ...process.env, ...(quick ? { BENCH_QUICK: "1" } : {}) };
for (const part of ["bench/index.ts", "bench/python.ts", "bench/trace.ts", "bench/tracePython.ts", "bench/peers.ts", "bench/memory.ts"]) {
  // --expose-gc: the engine benchmark collects before each sample, so one system's garbage isn't
  // collected on another's time.
  execFileSync(process.execPath, ["--expose-gc", "scripts/run-ts.cjs", part, ...(quick ? ["--quick"] : [])], { stdio: "inherit", env });
}
