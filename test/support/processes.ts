/** Process-table checks for tests of runs that must not leave orphans. */
import * as fs from "node:fs";

/** Whether a process runs (a zombie waiting to be reaped counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Waits (on a generous deadline: this is an event, not a timing) for a process to end. */
export async function ended(pid: number): Promise<boolean> {
  for (const deadline = Date.now() + 60_000; alive(pid) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}
