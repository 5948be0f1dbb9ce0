/**
 * CPU time of one thread, for the analysis budget. A wall-clock budget counts the time a busy
 * machine spends running other programs, so on a loaded laptop every file "timed out"; CPU time
 * counts only the analysis's own work.
 *
 * Linux exposes each thread's CPU time in /proc (read here from the server's main thread, for the
 * worker's thread id). Elsewhere the process's CPU time stands in: the server's main thread is
 * idle while the worker analyses, so the two differ by little.
 */
import * as fs from "node:fs";

/** Linux reports /proc times in USER_HZ ticks, fixed at 100 per second for user space. */
const USER_HZ = 100;

/** The calling thread's Linux thread id, or null where /proc/thread-self doesn't exist. */
export function currentThreadId(): number | null {
  try {
    // "<pid>/task/<tid>"
    const tid = Number(fs.readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/** Milliseconds of CPU a thread of this process used so far, or null when it can't be read. */
export function threadCpuMs(tid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line, so 11 and 12 after the name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : null;
  } catch {
    return null;
  }
}

/** A stopwatch of CPU time: the worker thread's when its id is known, else the whole process's. */
export function cpuStopwatch(tid: number | null): () => number {
  if (tid !== null) {
    const start = threadCpuMs(tid);
    if (start !== null) return () => (threadCpuMs(tid) ?? start) - start;
  }
  const start = process.cpuUsage();
  return () => {
    const d = process.cpuUsage(start);
    return (d.user + d.system) / 1000;
  };
}
