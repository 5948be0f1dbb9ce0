/**
 * The analysis off the server's request thread: one long-lived worker runs the analysis (lint,
 * fix-all and hover explanations), one job at a time, so a slow document never blocks other
 * requests.
 *
 * The budget is the analysis's own work, measured as the worker thread's CPU time, never wall
 * time: a busy machine makes results slower, not absent. Start-up isn't analysis either: the
 * worker loads the bundle and warms the parser before it says it is ready, and a job's budget
 * starts only when the job does. A job past its budget is cut off (the worker is terminated), and
 * a fresh worker starts warming at once, so the next job finds it ready.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { LintOptions, LintResult } from "../analysis/core/types";
import type { SiteExplanation } from "../analysis/core/explain";
import { cpuStopwatch, currentThreadId } from "./cpuClock";

/** What the worker can be asked to do, and what each job answers. */
export interface AnalysisJobs {
  lint(text: string, file: string, options: LintOptions): LintResult;
  fix(text: string, file: string, options: LintOptions): { text: string; applied: number };
  explain(text: string, file: string, options: LintOptions): SiteExplanation[];
  /** Loads what the jobs need before the worker says it is ready (the Python parser's WebAssembly). */
  prepare?(): Promise<void>;
}
export type JobKind = Exclude<keyof AnalysisJobs, "prepare">;
type Answer<K extends JobKind> = ReturnType<AnalysisJobs[K]>;

interface Job { id: number; kind: JobKind; text: string; file: string; options: LintOptions }
type Reply = { ready: true; tid: number | null } | { id: number; result: unknown } | { id: number; error: string };

export type Outcome<T> = { result: T } | { timedOut: true; cpuMs: number } | { error: string };

/** How often a running job's CPU time is read (a /proc read: microseconds). */
const POLL_MS = 20;

/** A small training loop run once on a new worker: the parser and analysis are compiled before the first real job. */
const WARM_UP = `import { nn, optim } from "gradlens";
const model = new nn.Linear(2, 1);
const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
for (let i = 0; i < 10; i++) { opt.zeroGrad(); model.forward(x).sum().backward(); opt.step(); }
`;
const WARM_UP_PY = `import torch
model = torch.nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for x in range(10):
    opt.zero_grad()
    model(x).sum().backward()
    opt.step()
`;

interface Live {
  worker: Worker;
  /** Resolves with the worker thread's id once it has loaded and warmed up. */
  ready: Promise<number | null>;
}

export class AnalysisWorker {
  private live: Live | null = null;
  private nextId = 0;
  /** Jobs wait here and go to the worker one at a time, so a job's budget counts only its own run. */
  private readonly queue: { job: Job; budgetMs: number; resolve: (o: Outcome<unknown>) => void }[] = [];
  private running: { id: number; finish: (o: Outcome<unknown>) => void } | null = null;
  private idleWaiters: (() => void)[] = [];
  private disposed = false;

  /** `entry`: the file that, loaded on a worker, serves jobs (the CLI or server bundle). */
  constructor(private readonly entry: string) {}

  private current(): Live {
    if (this.live !== null) return this.live;
    const worker = new Worker(this.entry, { workerData: { gradlensAnalysisWorker: true } });
    let markReady: (tid: number | null) => void = () => undefined;
    const ready = new Promise<number | null>((resolve) => (markReady = resolve));
    worker.on("message", (r: Reply) => {
      if ("ready" in r) return markReady(r.tid);
      if (this.running?.id === r.id) this.running.finish("result" in r ? { result: r.result } : { error: r.error });
    });
    const lost = (error: string) => {
      markReady(null); // a job waiting for it goes on to fail below, not hang
      if (this.live?.worker !== worker) return; // retired on purpose: its job already ended
      this.live = null;
      this.running?.finish({ error });
    };
    worker.on("error", (e) => lost(String(e)));
    worker.on("exit", () => lost("the analysis worker stopped"));
    worker.unref();
    this.live = { worker, ready };
    return this.live;
  }

  private async pump(): Promise<void> {
    if (this.running !== null) return;
    const next = this.queue.shift();
    if (next === undefined) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    let done = false;
    let poll: ReturnType<typeof setInterval> | undefined;
    const finish = (o: Outcome<unknown>) => {
      if (done) return;
      done = true;
      clearInterval(poll);
      this.running = null;
      next.resolve(o);
      void this.pump();
    };
    this.running = { id: next.job.id, finish };
    const live = this.current();
    const tid = await live.ready;
    if (done) return; // the worker was lost while starting
    const used = cpuStopwatch(tid);
    poll = setInterval(() => {
      const cpuMs = used();
      if (cpuMs <= next.budgetMs) return;
      // Cut it off, and start warming the replacement now.
      if (this.live === live) this.live = null;
      void live.worker.terminate();
      finish({ timedOut: true, cpuMs });
      if (!this.disposed) this.current();
    }, POLL_MS);
    live.worker.postMessage(next.job);
  }

  run<K extends JobKind>(kind: K, text: string, file: string, options: LintOptions, budgetMs: number): Promise<Outcome<Answer<K>>> {
    return new Promise((resolve) => {
      this.queue.push({ job: { id: this.nextId++, kind, text, file, options }, budgetMs, resolve: resolve as (o: Outcome<unknown>) => void });
      void this.pump();
    });
  }

  /** Resolves once no job is running or waiting. */
  idle(): Promise<void> {
    if (this.running === null && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Starts (and warms) the worker ahead of the first document. */
  warm(): void {
    this.current();
  }

  dispose(): void {
    this.disposed = true;
    const live = this.live;
    this.live = null;
    void live?.worker.terminate();
  }
}

/** Worker side: true (and serving) when this thread is an analysis worker. */
export function serveAnalysisJobs(jobs: AnalysisJobs): boolean {
  if (isMainThread || !(workerData as { gradlensAnalysisWorker?: boolean } | null)?.gradlensAnalysisWorker) return false;
  parentPort!.on("message", (job: Job) => {
    let reply: Reply;
    try {
      reply = { id: job.id, result: jobs[job.kind]!(job.text, job.file, job.options) };
    } catch (e) {
      reply = { id: job.id, error: String((e as Error).stack ?? e) };
    }
    parentPort!.postMessage(reply);
  });
  const warm = () => {
    try {
      jobs.lint(WARM_UP, "warm-up.ts", {});
      jobs.lint(WARM_UP_PY, "warm-up.py", {});
    } catch {
      // warming is best effort: the first real job reports any real problem
    }
    parentPort!.postMessage({ ready: true, tid: currentThreadId() } satisfies Reply);
  };
  if (jobs.prepare) void jobs.prepare().then(warm, warm);
  else warm();
  return true;
}
