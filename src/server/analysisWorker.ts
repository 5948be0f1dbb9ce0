/**
 * The analysis off the server's request thread: one long-lived worker runs `lintText`, so a slow
 * document never blocks other requests, and a run past its time budget is cut off (the worker is
 * terminated and replaced) instead of hanging the server.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { LintOptions, LintResult } from "../analysis/core/types";

interface Job { id: number; text: string; file: string; options: LintOptions }
type Reply = { id: number; result: LintResult } | { id: number; error: string };

export type Outcome = { result: LintResult } | { timedOut: true } | { error: string };

export class AnalysisWorker {
  private worker: Worker | null = null;
  private nextId = 0;
  /** Jobs sent and not answered, with the worker running them. */
  private readonly pending = new Map<number, { job: Job; on: Worker; resolve: (r: Reply) => void }>();

  /** `entry`: the file that, loaded on a worker, serves jobs (the CLI bundle). */
  constructor(private readonly entry: string) {}

  private current(): Worker {
    if (this.worker !== null) return this.worker;
    const w = new Worker(this.entry, { workerData: { gradlensAnalysisWorker: true } });
    w.on("message", (r: Reply) => {
      this.pending.get(r.id)?.resolve(r);
      this.pending.delete(r.id);
    });
    w.on("error", (e) => this.settle(w, String(e)));
    w.on("exit", () => this.settle(w, "the analysis worker stopped"));
    w.unref();
    this.worker = w;
    return w;
  }

  /**
   * A worker ended: jobs it still had are sent to the next worker if it was retired on purpose
   * (another job's timeout), else they fail with `error`.
   */
  private settle(w: Worker, error: string): void {
    const retired = this.worker !== w;
    if (!retired) this.worker = null;
    for (const [id, p] of this.pending) {
      if (p.on !== w) continue;
      if (retired) {
        p.on = this.current();
        p.on.postMessage(p.job);
      } else {
        this.pending.delete(id);
        p.resolve({ id, error });
      }
    }
  }

  lint(text: string, file: string, options: LintOptions, budgetMs: number): Promise<Outcome> {
    const id = this.nextId++;
    const job: Job = { id, text, file, options };
    return new Promise<Outcome>((resolve) => {
      const worker = this.current();
      const timer = setTimeout(() => {
        const p = this.pending.get(id);
        this.pending.delete(id);
        // Cut it off: retire its worker; the jobs queued behind it move to a fresh one.
        if (p !== undefined && this.worker === p.on) {
          this.worker = null;
          void p.on.terminate();
        }
        resolve({ timedOut: true });
      }, budgetMs);
      this.pending.set(id, {
        job, on: worker,
        resolve: (r) => {
          clearTimeout(timer);
          resolve("result" in r ? { result: r.result } : { error: r.error });
        },
      });
      worker.postMessage(job);
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
export function serveAnalysisJobs(lint: (text: string, file: string, options: LintOptions) => LintResult): boolean {
  if (isMainThread || !(workerData as { gradlensAnalysisWorker?: boolean } | null)?.gradlensAnalysisWorker) return false;
  parentPort!.on("message", (job: Job) => {
    let reply: Reply;
    try {
      reply = { id: job.id, result: lint(job.text, job.file, job.options) };
    } catch (e) {
      reply = { id: job.id, error: String((e as Error).stack ?? e) };
    }
    parentPort!.postMessage(reply);
  });
  return true;
}
