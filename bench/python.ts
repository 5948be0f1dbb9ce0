/**
 * `npm run bench`, Python part: the analysis of PyTorch code next to tree-sitter's parse alone.
 *  - one generated 10,000-line Python training file: tree-sitter parsing it (the raw parse, no
 *    walk), and gradlens lint (parse, tree copy, graph, typestate), with and without fix
 *    verification, sampled alternately; target: the analysis adds at most 25% over the parse;
 *  - the Python stress programs (bench/stressPython.ts) beside their TypeScript twins.
 * Numbers are medians of warm runs; the ratios are what to compare across machines.
 */
import * as path from "node:path";
import { readFileSync } from "node:fs";
import * as esbuild from "esbuild";
import { median, time } from "./timing";
import { Language, Parser } from "web-tree-sitter";
import { longPythonFile, stressPythonPrograms } from "./stressPython";
import { stressPrograms } from "./stress";

const bundle = path.resolve(__dirname, "../.cache/bench-lint-python.js");
esbuild.buildSync({ entryPoints: [path.resolve(__dirname, "../src/analysis/lint.ts")], bundle: true, platform: "node", format: "cjs", target: "node20", packages: "external", outfile: bundle, logLevel: "warning" });
const { lintText, loadPython } = require(bundle) as typeof import("../src/analysis/lint");

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === "1";
  const runs = Number(process.env.BENCH_RUNS ?? (quick ? 3 : 15));
  await loadPython();
  // The peer: the same tree-sitter build, parsing and nothing else.
  await Parser.init();
  const parser = new Parser();
  parser.setLanguage(await Language.load(readFileSync(require.resolve("tree-sitter-python/tree-sitter-python.wasm"))));
  const file = longPythonFile(10_000);
  const lines = file.split("\n").length;
  const pairs: [number, number][] = [];
  for (let i = 0; i < runs + 2; i++) {
    let t = process.hrtime.bigint();
    parser.parse(file)!.delete();
    const p = Number(process.hrtime.bigint() - t) / 1e6;
    t = process.hrtime.bigint();
    lintText(file, "bench.py", { fixes: false });
    const l = Number(process.hrtime.bigint() - t) / 1e6;
    if (i >= 2) pairs.push([p, l]);
  }
  const parseMs = median(pairs.map(([p]) => p));
  const lintMs = median(pairs.map(([, l]) => l));
  const fixedMs = time(() => lintText(file, "bench.py"), Math.max(3, Math.floor(runs / 3)), 1);
  console.log(`\n## Python: a ${lines.toLocaleString("en")}-line PyTorch training file\n`);
  console.log("| step | ms | vs tree-sitter's parse |");
  console.log("|---|---:|---:|");
  console.log(`| tree-sitter parse alone (web-tree-sitter, tree-sitter-python) | ${parseMs.toFixed(1)} | 1.00× |`);
  console.log(`| gradlens lint, findings only | ${lintMs.toFixed(1)} | ${(lintMs / parseMs).toFixed(2)}× (target 1.25×) |`);
  console.log(`| gradlens lint, with verified fixes | ${fixedMs.toFixed(1)} | ${(fixedMs / parseMs).toFixed(2)}× |`);
  if (quick) {
    console.log("(Python stress programs skipped with --quick)");
    return;
  }
  const twins = new Map(stressPrograms().map((p) => [p.name.replace("switch", "match"), p.text]));
  console.log("\n| Python stress program | lint, findings only (ms) | with verified fixes (ms) | TypeScript twin, with fixes (ms) |");
  console.log("|---|---:|---:|---:|");
  for (const p of stressPythonPrograms()) {
    const plain = time(() => lintText(p.text, "stress.py", { fixes: false }), 3, 1);
    const fixed = time(() => lintText(p.text, "stress.py"), 1, 0);
    const twin = twins.get(p.name);
    const ts = twin !== undefined ? time(() => lintText(twin, "stress.ts"), 1, 0).toFixed(0) : "—";
    console.log(`| ${p.name} | ${plain.toFixed(0)} | ${fixed.toFixed(0)} | ${ts} |`);
  }
}

void main();
