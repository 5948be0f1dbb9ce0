/**
 * The host side of a run: spawns the child (a Node process running the bundle with the trace
 * child switched on), tails its event file, captures its output (capped), and ends it on stop,
 * timeout or memory exhaustion. Every event is kept, so a late viewer can replay the run. Pure
 * Node: the CLI and the VS Code client both use it.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CHILD_ENV, decodeEvent, DEFAULT_TRACE_OPTIONS, ExitReason, TraceEvent, TraceOptions } from "../protocol";

export interface RunRequest {
  /** The script (TypeScript or JavaScript). */
  file: string;
  args?: string[];
  cwd?: string;
  options?: Partial<TraceOptions>;
  timeoutSeconds?: number;
  /** The child's V8 heap limit. */
  memoryMb?: number;
  /** The bundle that serves as the child (dist/cli.js or dist/server.js). */
  entry: string;
  /** The engine a script without its own `gradlens` install gets (dist/engine.js). */
  engine: string;
  onEvent?: (e: TraceEvent) => void;
  /** Output kept per stream before the rest is dropped (with a note saying how much). */
  outputCapBytes?: number;
}

export interface RunHandle {
  readonly events: TraceEvent[];
  readonly pid: number | undefined;
  stop(): void;
  readonly done: Promise<Extract<TraceEvent, { type: "run-end" }>>;
}

export function startRun(req: RunRequest): RunHandle {
  const options: TraceOptions = { ...DEFAULT_TRACE_OPTIONS, ...(req.options ?? {}) };
  const file = path.resolve(req.cwd ?? process.cwd(), req.file);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-run-"));
  const out = path.join(dir, "events.jsonl");
  fs.writeFileSync(out, "");
  const events: TraceEvent[] = [];
  const deliver = (e: TraceEvent) => {
    events.push(e);
    req.onEvent?.(e);
  };
  if (!fs.existsSync(file)) {
    const end: Extract<TraceEvent, { type: "run-end" }> = { type: "run-end", code: null, reason: "error", durationMs: 0, steps: 0, message: `no such file: ${req.file}`, error: { message: `no such file: ${req.file}` } };
    deliver(end);
    return { events, pid: undefined, stop: () => undefined, done: Promise.resolve(end) };
  }
  const config = { script: file, args: req.args ?? [], out, engine: req.engine, options, hostPid: process.pid };
  const execArgv = ["--enable-source-maps", ...(req.memoryMb !== undefined ? [`--max-old-space-size=${req.memoryMb}`] : [])];
  const child: ChildProcess = spawn(process.execPath, [...execArgv, req.entry], {
    cwd: req.cwd ?? path.dirname(file),
    env: { ...process.env, [CHILD_ENV]: "1", GRADLENS_TRACE_CONFIG: JSON.stringify(config), ELECTRON_RUN_AS_NODE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: stopping kills whatever the script started too.
    detached: true,
  });

  // Tail the event file: complete lines only; a partial last line waits for the next read.
  let offset = 0;
  let carry = "";
  let steps = 0;
  let ended: Extract<TraceEvent, { type: "run-end" }> | null = null;
  const drain = () => {
    let fd: number;
    try {
      fd = fs.openSync(out, "r");
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        carry += buf.toString("utf8", 0, n);
      }
    } finally {
      fs.closeSync(fd);
    }
    const lines = carry.split("\n");
    carry = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "") continue;
      let e: TraceEvent;
      try {
        e = decodeEvent(line);
      } catch {
        continue;
      }
      if (e.type === "step") steps = e.step;
      if (e.type === "run-end") {
        ended = e;
        continue; // delivered once the process is gone (with the host's reason if it ended it)
      }
      deliver(e);
    }
  };
  const tail = setInterval(drain, 50);

  const cap = req.outputCapBytes ?? 1 << 20;
  const kept = { stdout: 0, stderr: 0 };
  const dropped = { stdout: 0, stderr: 0 };
  let stderrTail = "";
  const capture = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    if (stream === "stderr") stderrTail = (stderrTail + text).slice(-4096);
    if (kept[stream] >= cap) {
      dropped[stream] += chunk.length;
      return;
    }
    kept[stream] += chunk.length;
    deliver({ type: "output", stream, text });
  };
  child.stdout!.on("data", capture("stdout"));
  child.stderr!.on("data", capture("stderr"));

  let hostReason: ExitReason | null = null;
  let hostMessage: string | undefined;
  const killGroup = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  };
  const timer = req.timeoutSeconds !== undefined && req.timeoutSeconds > 0 ? setTimeout(() => {
    hostReason = "timeout";
    drain();
    hostMessage = steps === 0
      ? `stopped after ${req.timeoutSeconds} s (${options.names.timeout}) without a single optimizer step: is the training loop reached?`
      : `stopped after ${req.timeoutSeconds} s (${options.names.timeout}), at step ${steps}`;
    killGroup();
  }, req.timeoutSeconds * 1000) : null;

  const started = Date.now();
  const done = new Promise<Extract<TraceEvent, { type: "run-end" }>>((resolve) => {
    child.on("close", (code, signal) => {
      clearInterval(tail);
      if (timer !== null) clearTimeout(timer);
      drain();
      for (const stream of ["stdout", "stderr"] as const) {
        if (dropped[stream] > 0) deliver({ type: "output", stream, text: `\n[gradlens: ${dropped[stream].toLocaleString("en")} more bytes of ${stream} not kept]\n` });
      }
      let end: Extract<TraceEvent, { type: "run-end" }>;
      const prior = ended as Extract<TraceEvent, { type: "run-end" }> | null;
      if (hostReason !== null) {
        end = { type: "run-end", code: null, reason: hostReason, durationMs: Date.now() - started, steps, message: hostMessage };
      } else if (prior !== null) {
        end = prior;
      } else if (/heap out of memory|Allocation failed/i.test(stderrTail)) {
        end = { type: "run-end", code, reason: "memory", durationMs: Date.now() - started, steps, message: `the script ran out of memory${req.memoryMb ? ` (limit ${req.memoryMb} MB, ${options.names.memory})` : ""}` };
      } else {
        end = { type: "run-end", code, reason: "killed", durationMs: Date.now() - started, steps, message: `the script was killed${signal ? ` (${signal})` : ""}` };
      }
      deliver(end);
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(end);
    });
  });
  return {
    events,
    pid: child.pid,
    stop: () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      hostReason = "stopped";
      hostMessage = "stopped by the user";
      killGroup();
    },
    done,
  };
}
