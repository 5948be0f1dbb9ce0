/**
 * `npm run bench`: analysis time next to its peers measured in the same run.
 *  - one generated 10,000-line training file: typescript-estree's parse alone, TypeScript's own
 *    scanner, and gradlens lint (parse + graph + typestate), with and without fix verification;
 *  - a 500-file tree through the real CLI (files on disk, a child process).
 * Numbers are medians of warm runs; the ratios are what to compare across machines.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import * as ts from "typescript";
import { parse } from "@typescript-eslint/typescript-estree";
import * as esbuild from "esbuild";
import { median, time } from "./timing";
import { trainingFile } from "./generate";
import { stressPrograms } from "./stress";

// Measure the analysis as shipped: one esbuild bundle (as in dist/), not per-file transpiled sources.
const bundle = path.resolve(__dirname, "../.cache/bench-lint.js");
esbuild.buildSync({ entryPoints: [path.resolve(__dirname, "../src/analysis/lint.ts")], bundle: true, platform: "node", format: "cjs", target: "node20", packages: "external", outfile: bundle, logLevel: "warning" });
const { lintText } = require(bundle) as typeof import("../src/analysis/lint");

function scanAll(text: string): number {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
  let n = 0;
  while (scanner.scan() !== ts.SyntaxKind.EndOfFileToken) n++;
  return n;
}

const quick = process.env.BENCH_QUICK === "1";
const runs = Number(process.env.BENCH_RUNS ?? (quick ? 3 : 25));
const file = trainingFile(10_000, 3);
const lineCount = file.split("\n").length;

// Parse and lint are sampled alternately, so drift and GC pressure hit both alike.
const estree = () => parse(file, { range: true, loc: true, comment: true, filePath: "bench.ts" });
const pairs: [number, number][] = [];
for (let i = 0; i < runs + (quick ? 1 : 3); i++) {
  let t = process.hrtime.bigint();
  estree();
  const p = Number(process.hrtime.bigint() - t) / 1e6;
  t = process.hrtime.bigint();
  lintText(file, "bench.ts", { fixes: false });
  const l = Number(process.hrtime.bigint() - t) / 1e6;
  if (i >= (quick ? 1 : 3)) pairs.push([p, l]);
}
const parseMs = median(pairs.map(([p]) => p));
const lintNoFixMs = median(pairs.map(([, l]) => l));
const overhead = median(pairs.map(([p, l]) => l / p));
const scanMs = time(() => scanAll(file), runs);
const tsParseMs = time(() => ts.createSourceFile("bench.ts", file, ts.ScriptTarget.Latest, true), runs);
const lintMs = time(() => lintText(file, "bench.ts"), Math.max(3, Math.floor(runs / 3)), 1);
const findings = lintText(file, "bench.ts").findings.length;

// 500-file tree through the CLI (not with --quick).
const tree = quick ? null : treeBench();
function treeBench(): { cli: number; parse: number; node: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-bench-"));
  for (let i = 0; i < 500; i++) {
    const sub = path.join(dir, `pkg${i % 20}`);
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, `train${i}.ts`), trainingFile(120, i % 25 === 0 ? 1 : 0, i));
  }
  const cli = path.resolve(__dirname, "../dist/cli.js");
  const treeSamples: number[] = [];
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    const t = Date.now();
    try {
      execFileSync(process.execPath, [cli, "lint", "--no-color", "."], { cwd: dir, stdio: "pipe" });
    } catch (e) {
      if ((e as { status?: number }).status !== 1) throw e; // 1 = findings, expected here
    }
    treeSamples.push(Date.now() - t);
  }
  const treeParse = time(() => {
    for (let i = 0; i < 500; i++) parse(fs.readFileSync(path.join(dir, `pkg${i % 20}`, `train${i}.ts`), "utf8"), { range: true, loc: true, comment: true });
  }, quick ? 1 : 3, quick ? 0 : 1);
  const nodeStart = median([0, 1, 2].map(() => { const t = Date.now(); execFileSync(process.execPath, ["-e", "0"]); return Date.now() - t; }));
  fs.rmSync(dir, { recursive: true, force: true });
  return { cli: median(treeSamples), parse: treeParse, node: nodeStart };
}

const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(0)}%`;
console.log(`gradlens benchmark (node ${process.version}, ${os.cpus().length} CPUs, median of ${runs} warm runs)\n`);
console.log(`10,000-line file: ${lineCount} lines, ${findings} findings`);
console.log("| measurement | ms | vs typescript-estree parse |");
console.log("|---|---:|---:|");
console.log(`| TypeScript scanner (tokens only) | ${scanMs.toFixed(1)} | ${(scanMs / parseMs).toFixed(2)}× |`);
console.log(`| TypeScript createSourceFile (its own AST) | ${tsParseMs.toFixed(1)} | ${(tsParseMs / parseMs).toFixed(2)}× |`);
console.log(`| typescript-estree parse alone | ${parseMs.toFixed(1)} | 1.00× |`);
console.log(`| gradlens lint, findings only | ${lintNoFixMs.toFixed(1)} | ${overhead.toFixed(2)}× (analysis ${pct(overhead - 1)}) |`);
console.log(`| gradlens lint, with verified fixes | ${lintMs.toFixed(1)} | ${(lintMs / parseMs).toFixed(2)}× |`);
if (tree === null) console.log("\n500-file tree: skipped with --quick");
else console.log(`\n500-file tree (${500 * 120} lines): CLI end to end ${tree.cli} ms (in-process parse of all files ${tree.parse.toFixed(0)} ms; node startup ${tree.node} ms)`);

// Ordinary code: the fixture corpus per file, and a generated 200-line script, next to the parse alone.
const fixtureDir = path.resolve(__dirname, "../test/fixtures/lint");
const ordinary = fs.readdirSync(fixtureDir).filter((f) => f.endsWith(".ts")).map((f) => fs.readFileSync(path.join(fixtureDir, f), "utf8"));
const ordinaryLines = ordinary.reduce((n, t) => n + t.split("\n").length, 0) / ordinary.length;
const perFileLint = time(() => { for (const t of ordinary) lintText(t, "f.ts"); }, quick ? 3 : 15, quick ? 1 : 3) / ordinary.length;
const perFileParse = time(() => { for (const t of ordinary) parse(t, { range: true, loc: true, comment: true }); }, quick ? 3 : 15, quick ? 1 : 3) / ordinary.length;
const script200 = trainingFile(200, 1);
const lint200 = time(() => lintText(script200, "train.ts"), runs);
const parse200 = time(() => parse(script200, { range: true, loc: true, comment: true }), runs);
console.log(`\nOrdinary code: ${ordinary.length} fixture files (mean ${ordinaryLines.toFixed(0)} lines): lint with verified fixes ${perFileLint.toFixed(2)} ms/file ` +
  `(parse alone ${perFileParse.toFixed(2)} ms/file); a 200-line training script ${lint200.toFixed(2)} ms (parse alone ${parse200.toFixed(2)} ms)`);

// Stress programs (bench/stress.ts): worst cases for the interprocedural analysis.
if (!quick) {
  console.log("\n| stress program | lint, findings only (ms) | with verified fixes (ms) | not analysed |");
  console.log("|---|---:|---:|---|");
}
let worst = { name: "", ms: 0 };
for (const p of quick ? [] : stressPrograms()) {
  let notes = 0;
  const plain = time(() => {
    notes = lintText(p.text, "stress.ts", { fixes: false }).notices.filter((n) => n.message.includes("not analysed")).length;
  }, quick ? 1 : 3, quick ? 0 : 1);
  const fixed = time(() => lintText(p.text, "stress.ts"), 1, 0);
  if (fixed > worst.ms) worst = { name: p.name, ms: fixed };
  console.log(`| ${p.name} | ${plain.toFixed(0)} | ${fixed.toFixed(0)} | ${notes ? `${notes} function(s)` : "—"} |`);
}
console.log(quick ? "(stress programs skipped with --quick)" : `\nworst case: ${worst.name}, ${worst.ms.toFixed(0)} ms (target: under 1,000 ms each)`);
