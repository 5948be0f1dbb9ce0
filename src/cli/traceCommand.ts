/**
 * `gradlens trace <file>` and `gradlens run <file>`: the script runs in a child process through
 * src/trace/runner.ts (this bundle is also the child). `trace` shows progress, then a summary:
 * steps, final loss, gradient norms per parameter, alerts with file:line; `--json` writes the trace.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PythonTarget, startRun } from "../trace/host/runner";
import { findTorchInterpreter, interpreterCandidates, InterpreterError } from "../trace/host/interpreter";
import { FLAG_NAMES, type TraceEvent } from "../trace/protocol";
import { stringifyTrace, toTraceJson } from "../trace/host/traceJson";
import { reportHtml, viewAssetsDir } from "../trace/host/report";
import type { RunArgs } from "./args";

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const rel = (cwd: string, file: string) => {
  const r = path.relative(cwd, file);
  return r.startsWith("..") ? file : r;
};

function fmt(n: number | null | undefined): string {
  if (n === null || n === undefined) return "-";
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  return Math.abs(n) >= 1e4 || (Math.abs(n) < 1e-3 && n !== 0) ? n.toExponential(2) : n.toPrecision(4);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n");
}

/** The Python tracer shipped beside this bundle (dist/python), or its source when run from src/. */
export function pythonTracerDir(): string {
  const beside = path.join(path.dirname(__filename), "python");
  return fs.existsSync(path.join(beside, "sitecustomize.py")) ? beside : path.resolve(path.dirname(__filename), "..", "trace", "python");
}

export async function runTraceCommand(args: RunArgs, cwd: string, io: Streams): Promise<number> {
  const traced = args.command === "trace";
  const bundle = __filename;
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) io.stderr.write("\r\x1b[K");
    progressShown = false;
  };
  let lastPlain = 0;
  const onEvent = (e: TraceEvent) => {
    if (e.type === "output") {
      clearProgress();
      (e.stream === "stdout" ? io.stdout : io.stderr).write(e.text);
    } else if (traced && e.type === "step") {
      if (io.stderr.isTTY) {
        io.stderr.write(`\r\x1b[Kgradlens trace: step ${e.step.toLocaleString("en")}${args.steps ? ` of ${args.steps.toLocaleString("en")}` : ""}  loss ${fmt(e.loss)}`);
        progressShown = true;
      } else if (e.step - lastPlain >= 100) {
        lastPlain = e.step;
        io.stderr.write(`gradlens trace: step ${e.step}  loss ${fmt(e.loss)}\n`);
      }
    }
  };
  if (args.launch === undefined && !fs.existsSync(path.resolve(cwd, args.file))) {
    io.stderr.write(`gradlens: no such file: ${args.file}\n`);
    return 2;
  }
  let python: PythonTarget | undefined;
  if (args.launch !== undefined || /\.py$/i.test(args.file)) {
    python = { bootstrap: pythonTracerDir(), launch: args.launch };
    if (args.launch === undefined) {
      try {
        python.interpreter = (await findTorchInterpreter(interpreterCandidates({ flag: args.python }))).command;
      } catch (e) {
        if (!(e instanceof InterpreterError)) throw e;
        io.stderr.write(`gradlens: ${e.message}\n`);
        return 2;
      }
    }
  } else if (args.python !== undefined) {
    io.stderr.write(`gradlens: --python is for Python scripts; ${args.file} runs on the bundled engine\n`);
    return 2;
  }
  const run = startRun({
    file: args.file, args: args.scriptArgs, cwd, python, timeoutSeconds: args.timeoutSeconds, memoryMb: args.memoryMb, entry: bundle, engine: path.join(path.dirname(bundle), "engine.js"),
    options: {
      trace: traced, names: FLAG_NAMES,
      // On the command line a run is stopped with --steps, --timeout or Ctrl+C: no hidden step limit.
      maxSteps: args.steps ?? Number.MAX_SAFE_INTEGER,
      ...(args.logEvery !== undefined ? { logEvery: args.logEvery } : {}),
      ...(args.explodingNorm !== undefined ? { explodingNorm: args.explodingNorm } : {}),
      ...(args.vanishingNorm !== undefined ? { vanishingNorm: args.vanishingNorm } : {}),
    },
    onEvent,
  });
  const stop = () => run.stop();
  process.once("SIGINT", stop);
  const end = await run.done;
  process.removeListener("SIGINT", stop);
  clearProgress();
  const failed = end.reason !== "exit" && end.reason !== "maxSteps";
  if (!traced) {
    if (failed && end.reason !== "error") io.stderr.write(`gradlens run: ${end.message ?? end.reason}\n`);
    return end.code ?? 1;
  }
  const trace = toTraceJson(run.events);
  if (args.json !== undefined) fs.writeFileSync(path.resolve(cwd, args.json), stringifyTrace(trace) + "\n");

  const lines: string[] = [];
  const seconds = (end.durationMs / 1000).toFixed(1);
  lines.push(`\ngradlens trace ${rel(cwd, trace.file || path.resolve(cwd, args.file))}: ${trace.steps.length.toLocaleString("en")} step${trace.steps.length === 1 ? "" : "s"} in ${seconds} s` + (failed ? ` — ${end.message ?? end.error?.message ?? end.reason}` : end.reason === "maxSteps" ? ` — ${end.message}` : ""));
  const tracers = [...new Set(trace.processes.map((p) => p.tracer))];
  if (tracers.length > 0) lines.push(`traced through ${tracers.join("; ")}`);
  if (end.error?.location) lines.push(`  error at ${rel(cwd, end.error.location.file)}:${end.error.location.line}: ${end.error.message}`);
  // Several processes (torchrun): the summary is the lowest rank's; --json has every rank's steps.
  const shownRank = trace.ranks[0] ?? 0;
  if (trace.ranks.length > 1) lines.push(`ranks ${trace.ranks.join(", ")}; the summary shows rank ${shownRank}`);
  trace.steps = trace.steps.filter((s) => s.rank === shownRank);
  const last = trace.steps.at(-1);
  if (last !== undefined) {
    if (trace.optimizers.length > 1) {
      // Each optimizer's own loss: a GAN's D and G losses are two different numbers.
      const finals = trace.optimizers.map((o) => [o.label, [...trace.steps].reverse().find((s) => s.optimizer === o.label)] as const);
      lines.push(`final loss ${finals.map(([label, s]) => `${label} ${fmt(s?.loss)} (step ${s?.step ?? "-"})`).join(", ")}`);
    } else {
      lines.push(`final loss ${fmt(last.loss)} (step ${last.step})`);
    }
  }
  if (trace.params.length > 0 && trace.steps.length > 0) {
    const several = trace.optimizers.length > 1;
    const rows = [["parameter", "shape", "max grad norm", "last grad norm", "last update ratio"]];
    for (const p of trace.params) {
      const logged = trace.steps.filter((s) => s.optimizer === p.optimizer).map((s) => s.params.find((q) => q.name === p.name)).filter((q) => q !== undefined);
      const max = logged.reduce((m, q) => (Number.isFinite(q.gradNorm) && q.nonFinite === 0 ? Math.max(m, q.gradNorm) : m), 0);
      const lastStat = logged.at(-1);
      // A gradient holding NaN/Inf has no norm worth printing: say so.
      const lastNorm = lastStat !== undefined && lastStat.nonFinite > 0 ? "nan" : fmt(lastStat?.gradNorm);
      const maxNorm = logged.length > 0 && logged.every((q) => q.nonFinite > 0) ? "nan" : fmt(max);
      rows.push([several ? `${p.optimizer}: ${p.name}` : p.name, `[${p.shape.join(", ")}]`, maxNorm, lastNorm, fmt(lastStat?.updateRatio)]);
    }
    lines.push(table(rows));
  }
  if (trace.alerts.length > 0) {
    lines.push(`${trace.alerts.length} alert${trace.alerts.length === 1 ? "" : "s"}:`);
    for (const a of trace.alerts) lines.push(`  ${rel(cwd, a.file)}:${a.line}  ${a.kind}  ${trace.ranks.length > 1 ? `(rank ${a.rank}) ` : ""}${a.message}`);
  } else if (trace.steps.length > 0) {
    lines.push("no alerts");
  }
  if (args.json !== undefined) lines.push(`trace written to ${args.json}`);
  if (args.out !== undefined) {
    fs.writeFileSync(path.resolve(cwd, args.out), reportHtml(run.events, viewAssetsDir(path.dirname(bundle))));
    lines.push(`report written to ${args.out}`);
  }
  io.stdout.write(lines.join("\n") + "\n");
  if (failed) return end.code !== null && end.code !== 0 ? end.code : 1;
  // Like lint's findings: a gradient problem confirmed at runtime fails the command (for CI).
  return trace.alerts.length > 0 ? 1 : 0;
}
