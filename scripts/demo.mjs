// `npm run demo`: the bug gradlens exists for, in one screen. Trains the same model twice from the
// same seed (with and without optimizer.zeroGrad()) and prints the two loss curves side by side.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";

const node = process.execPath;
const runTs = (file, ...args) => execFileSync(node, ["scripts/run-ts.cjs", file, ...args], { encoding: "utf8" });

console.log("\n== 1. The bug: the same training loop with and without optimizer.zeroGrad() ==\n");
const report = JSON.parse(runTs("scripts/demo-curves.ts"));
const width = 28;
const max = Math.max(...report.with, ...report.without);
const bar = (v) => "█".repeat(Math.max(1, Math.round((v / max) * width)));
console.log(`step  ${"with zeroGrad (correct)".padEnd(width + 8)} | without zeroGrad (bug)`);
for (let i = 0; i < report.with.length; i += 5) {
  const a = report.with[i], b = report.without[i];
  console.log(`${String(i).padStart(4)}  ${a.toFixed(3).padStart(7)} ${bar(a).padEnd(width)} | ${b.toFixed(3).padStart(7)} ${bar(b)}`);
}
const last = report.with.length - 1;
console.log(`\nfinal loss: ${report.with[last].toFixed(4)} with zeroGrad, ${report.without[last].toFixed(4)} without ` +
  `(${(report.without[last] / report.with[last]).toFixed(1)}× higher, and nothing threw).`);

console.log("\n== 2. gradlens lint finds it before you run anything: the TypeScript loop, a PyTorch script and a notebook ==\n");
try {
  execFileSync(node, ["dist/cli.js", "lint", "examples/"], { stdio: "inherit" });
} catch (e) {
  if (e.status !== 1) throw e; // 1 = findings, which is the point here
}
console.log("\n  (`npx gradlens lint --fix examples/` would insert optimizer.zeroGrad() / optimizer.zero_grad() right after optimizer.step())");

console.log("\n== 3. Intended accumulation (zeroGrad + step every 4 micro-batches) and manual SGD ==\n");
process.stdout.write(runTs("examples/gradient-accumulation.ts"));
process.stdout.write(runTs("examples/manual-sgd.ts"));

console.log("\n== 4. gradlens trace confirms it at runtime ==\n");
mkdirSync("demo-output", { recursive: true });
for (const which of ["with", "without"]) {
  const out = `demo-output/${which}-zero-grad.html`;
  console.log(`$ npx gradlens trace scripts/demo-run.ts --out ${out} -- ${which}    (examples/missing-zero-grad.ts, ${which} zeroGrad)`);
  try {
    execFileSync(node, ["dist/cli.js", "trace", "scripts/demo-run.ts", "--out", out, "--json", `demo-output/${which}-zero-grad.json`, "--", which], { stdio: ["ignore", "inherit", "ignore"] });
  } catch (e) {
    if (e.status !== 1 || which !== "without") throw e; // 1 = an alert, which is the point of the bad run
  }
}
console.log("\nOpen demo-output/without-zero-grad.html next to demo-output/with-zero-grad.html: the same seed,\n" +
  "gradient norms that pile up instead of shrinking, and the step where gradlens confirmed it.");
