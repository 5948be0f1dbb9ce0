/**
 * Deeply nested sources overflow the parser's recursion on the default stack. This reruns the
 * lint synchronously on a worker thread with a large stack (Atomics.wait on a shared flag,
 * then reading the worker's message). Only pathological files ever take this path.
 */
import { MessageChannel, receiveMessageOnPort, Worker, isMainThread, workerData } from "node:worker_threads";
import type { LintOptions, LintResult } from "./core/types";

const STACK_MB = 512;

interface Job {
  gradlensLargeStack: true;
  text: string;
  file: string;
  options: LintOptions;
  flag: Int32Array;
  port: import("node:worker_threads").MessagePort;
}

export function lintInLargeStack(text: string, file: string, options: LintOptions): LintResult {
  if (!isMainThread && (workerData as Job | null)?.gradlensLargeStack) {
    return { file, findings: [], errors: [{ file, line: 1, column: 1, message: "the file is nested too deeply to analyse" }], notices: [], analysed: false };
  }
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const hook = process.env.GRADLENS_TS_HOOK;
  const entry = __filename;
  // Loading this module (or the bundle holding it) on the worker runs the job: see the bottom.
  // If the module can't load on a worker (e.g. a bundle that needs the editor's API), answer at
  // once with the error rather than leaving the caller waiting for the deadline.
  const code = `const { workerData: d } = require("node:worker_threads");
try { ${hook ? `require(${JSON.stringify(hook)});` : ""}require(${JSON.stringify(entry)}); }
catch (e) { d.port.postMessage({ error: "cannot analyse this deeply nested file here: " + (e && e.message || e) }); Atomics.store(d.flag, 0, 1); Atomics.notify(d.flag, 0); }`;
  const worker = new Worker(code, {
    eval: true,
    workerData: { gradlensLargeStack: true, text, file, options, flag, port: port2 },
    transferList: [port2],
    resourceLimits: { stackSizeMb: STACK_MB },
  });
  const deadline = 30_000;
  Atomics.wait(flag, 0, 0, deadline);
  const message = receiveMessageOnPort(port1);
  void worker.terminate();
  port1.close();
  if (!message) return { file, findings: [], errors: [{ file, line: 1, column: 1, message: "analysis of a deeply nested file did not finish" }], notices: [], analysed: false };
  const reply = message.message as { result?: LintResult; error?: string };
  if (reply.error !== undefined) return { file, findings: [], errors: [{ file, line: 1, column: 1, message: reply.error }], notices: [], analysed: false };
  return reply.result!;
}

/** Worker side: run the lint and hand the result back. */
export async function runLargeStackJob(): Promise<void> {
  const job = workerData as Job;
  let reply: { result?: LintResult; error?: string };
  try {
    // Required lazily: this module is part of lint.ts's own import graph.
    const { lintUnguarded, loadPython, isPython, isNotebook } = require("./lint") as typeof import("./lint");
    // The Python parser is loaded per thread (WebAssembly), asynchronously; the caller is waiting on the flag.
    if (isPython(job.file) || isNotebook(job.file)) await loadPython();
    reply = { result: lintUnguarded(job.text, job.file, job.options) };
  } catch (e) {
    reply = { error: e instanceof RangeError ? "the file is nested too deeply to analyse" : String((e as Error).message ?? e) };
  }
  job.port.postMessage(reply);
  Atomics.store(job.flag, 0, 1);
  Atomics.notify(job.flag, 0);
}

// After the whole module graph (or bundle) has loaded: this line runs while it is still loading.
if (!isMainThread && (workerData as Job | null)?.gradlensLargeStack) queueMicrotask(() => void runLargeStackJob());
