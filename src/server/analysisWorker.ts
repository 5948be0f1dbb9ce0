/**
 * The analysis off the server's request thread: one long-lived worker runs the analysis (lint,
 * fix-all and hover explanations), one job at a time, so a slow document never blocks other
 * requests, and a run past its time budget is cut off (the worker is terminated and replaced)
 * instead of hanging the server.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { LintOptions, LintResult } from "../analysis/core/types";
import type { SiteExplanation } from "../analysis/typescript/explain";

/** What the worker can be asked to do, and what each job answers. */
export interface AnalysisJobs {
  lint(text: string, file: string, options: LintOptions): LintResult;
  fix(text: string, file: string, options: LintOptions): { text: string; applied: number };
  explain(text: string, file: string, options: LintOptions): SiteExplanation[];
}
export type JobKind = keyof AnalysisJobs;
type Answer<K extends JobKind> = ReturnType<AnalysisJobs[K]>;

interface Job { id: number; kind: JobKind; text: string; file: string; options: LintOptions }
type Reply = { id: number; result: unknown } | { id: number; error: string };

export type Outcome<T> = { result: T } | { timedOut: true } | { error: string };

export class AnalysisWorker {
  private worker: Worker | null = null;
  private nextId = 0;
  /** Jobs wait here and go to the worker one at a time, so a job's budget counts only its own run. */
  private readonly queue: { job: Job; budgetMs: number; resolve: (o: Outcome<unknown>) => void }[] = [];
  private running: { id: number; finish: (o: Outcome<unknown>) => void } | null = null;

  /** `entry`: the file that, loaded on a worker, serves jobs (the CLI or server bundle). */
  constructor(private readonly entry: string) {}

  private current(): Worker {
    if (this.worker !== null) return this.worker;
    const w = new Worker(this.entry, { workerData: { gradlensAnalysisWorker: true } });
    w.on("message", (r: Reply) => {
      if (this.running?.id === r.id) this.running.finish("result" in r ? { result: r.result } : { error: r.error });
    });
    const lost = (error: string) => {
      if (this.worker !== w) return; // retired on purpose: its job already ended
      this.worker = null;
      this.running?.finish({ error });
    };
    w.on("error", (e) => lost(String(e)));
    w.on("exit", () => lost("the analysis worker stopped"));
    w.unref();
    this.worker = w;
    return w;
  }

  private pump(): void {
    if (this.running !== null) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    const worker = this.current();
    let done = false;
    const finish = (o: Outcome<unknown>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.running = null;
      next.resolve(o);
      this.pump();
    };
    const timer = setTimeout(() => {
      // Cut it off: retire the worker (a fresh one serves the next job).
      if (this.worker === worker) this.worker = null;
      void worker.terminate();
      finish({ timedOut: true });
    }, next.budgetMs);
    this.running = { id: next.job.id, finish };
    worker.postMessage(next.job);
  }

  run<K extends JobKind>(kind: K, text: string, file: string, options: LintOptions, budgetMs: number): Promise<Outcome<Answer<K>>> {
    return new Promise((resolve) => {
      this.queue.push({ job: { id: this.nextId++, kind, text, file, options }, budgetMs, resolve: resolve as (o: Outcome<unknown>) => void });
      this.pump();
    });
  }

  /** Starts the worker ahead of the first document (loading the analysis takes a moment). */
  warm(): void {
    this.current();
  }

  dispose(): void {
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
  }
}

/** Worker side: true (and serving) when this thread is an analysis worker. */
export function serveAnalysisJobs(jobs: AnalysisJobs): boolean {
  if (isMainThread || !(workerData as { gradlensAnalysisWorker?: boolean } | null)?.gradlensAnalysisWorker) return false;
  parentPort!.on("message", (job: Job) => {
    let reply: Reply;
    try {
      reply = { id: job.id, result: jobs[job.kind](job.text, job.file, job.options) };
    } catch (e) {
      reply = { id: job.id, error: String((e as Error).stack ?? e) };
    }
    parentPort!.postMessage(reply);
  });
  return true;
}
