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

/** A Python run: the script under an interpreter, or any command (a launcher) that starts Python. */
export interface PythonTarget {
  /** The interpreter for `file` (found by ./interpreter.ts); unused with `launch`. */
  interpreter?: string;
  /** A whole command, run as given: `torchrun --nproc_per_node 2 train.py`. */
  launch?: string[];
  /** The folder holding sitecustomize.py and the gradlens package (dist/python). */
  bootstrap: string;
  /** Folders the script's imports need on sys.path (a fixed copy run from a temp folder: the original's). */
  pythonPath?: string[];
}

export interface RunRequest {
  /** The script (TypeScript, JavaScript or Python); with `python.launch`, the script the command runs, for display. */
  file: string;
  args?: string[];
  cwd?: string;
  options?: Partial<TraceOptions>;
  timeoutSeconds?: number;
  /** The child's V8 heap limit (TypeScript runs). */
  memoryMb?: number;
  /** The bundle that serves as the child (dist/cli.js or dist/server.js). */
  entry: string;
  /** The engine a script without its own `gradlens` install gets (dist/engine.js). */
  engine: string;
  /** Set for a PyTorch run. */
  python?: PythonTarget;
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

type RunEnd = Extract<TraceEvent, { type: "run-end" }>;

/** One process's events file, read as it grows (complete lines only). */
interface Stream {
  offset: number;
  carry: string;
  /** From its Python process's run-start; tags every later event of the file. */
  rank?: number;
}

export function startRun(req: RunRequest): RunHandle {
  const options: TraceOptions = { ...DEFAULT_TRACE_OPTIONS, ...(req.options ?? {}) };
  const python = req.python;
  const file = path.resolve(req.cwd ?? process.cwd(), req.file);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-run-"));
  const events: TraceEvent[] = [];
  const deliver = (e: TraceEvent) => {
    events.push(e);
    req.onEvent?.(e);
  };
  const failEarly = (message: string): RunHandle => {
    const end: RunEnd = { type: "run-end", code: null, reason: "error", durationMs: 0, steps: 0, message, error: { message } };
    deliver(end);
    fs.rmSync(dir, { recursive: true, force: true });
    return { events, pid: undefined, stop: () => undefined, done: Promise.resolve(end) };
  };
  if (python?.launch === undefined && !fs.existsSync(file)) return failEarly(`no such file: ${req.file}`);
  if (python?.launch !== undefined && python.launch.length === 0) return failEarly("no command to run");

  const started = Date.now();
  let child: ChildProcess;
  if (python !== undefined) {
    // Every Python process the command starts imports the bootstrap's sitecustomize (which runs
    // the one it shadows), and finds the run's configuration in its environment.
    const argv = python.launch ?? [python.interpreter ?? "python3", file, ...(req.args ?? [])];
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: "1" };
    const paths = [...(options.trace ? [python.bootstrap] : []), ...(python.pythonPath ?? []), process.env.PYTHONPATH];
    env.PYTHONPATH = paths.filter((p) => p !== undefined && p !== "").join(path.delimiter);
    if (options.trace) {
      env.GRADLENS_TRACE_CONFIG = JSON.stringify({ outDir: dir, options, hostPid: process.pid });
    }
    deliver({ type: "run-start", file: python.launch !== undefined ? (req.file !== "" ? file : python.launch.join(" ")) : file, startedAt: started, traced: options.trace });
    child = spawn(argv[0], argv.slice(1), { cwd: req.cwd ?? path.dirname(file), env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  } else {
    const out = path.join(dir, "events.jsonl");
    fs.writeFileSync(out, "");
    const config = { script: file, args: req.args ?? [], out, engine: req.engine, options, hostPid: process.pid };
    const execArgv = ["--enable-source-maps", ...(req.memoryMb !== undefined ? [`--max-old-space-size=${req.memoryMb}`] : [])];
    child = spawn(process.execPath, [...execArgv, req.entry], {
      cwd: req.cwd ?? path.dirname(file),
      env: { ...process.env, [CHILD_ENV]: "1", GRADLENS_TRACE_CONFIG: JSON.stringify(config), ELECTRON_RUN_AS_NODE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: stopping kills whatever the script started too.
      detached: true,
    });
  }

  // Tail every events file in the run's folder: the TypeScript child writes one, each traced
  // Python process its own (tagged with its rank).
  const streams = new Map<string, Stream>();
  let steps = 0;
  let ended: RunEnd | null = null;
  /** Python processes' own ends (their errors, a maxSteps stop); the run's end is the top process's. */
  const processEnds: RunEnd[] = [];
  const readNew = (name: string, stream: Stream) => {
    let fd: number;
    try {
      fd = fs.openSync(path.join(dir, name), "r");
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, stream.offset);
        if (n <= 0) break;
        stream.offset += n;
        stream.carry += buf.toString("utf8", 0, n);
      }
    } finally {
      fs.closeSync(fd);
    }
    const lines = stream.carry.split("\n");
    stream.carry = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "") continue;
      let e: TraceEvent;
      try {
        e = decodeEvent(line);
      } catch {
        continue;
      }
      if (python !== undefined) {
        if (e.type === "run-start") {
          const start = e as typeof e & { pid?: number; tracer?: string; torch?: string };
          stream.rank = e.rank;
          e = { type: "process", pid: start.pid ?? 0, file: e.file, tracer: start.tracer ?? "", torch: start.torch ?? "" };
        }
        if (stream.rank !== undefined) e.rank = stream.rank;
        if (e.type === "run-end") {
          processEnds.push(e);
          continue;
        }
      }
      if (e.type === "step") steps = Math.max(steps, e.step);
      if (e.type === "run-end") {
        ended = e;
        continue; // delivered once the process is gone (with the host's reason if it ended it)
      }
      deliver(e);
    }
  };
  const drain = () => {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => /^events.*\.jsonl$/.test(n)).sort();
    } catch {
      return;
    }
    for (const name of names) {
      let stream = streams.get(name);
      if (stream === undefined) streams.set(name, (stream = { offset: 0, carry: "" }));
      readNew(name, stream);
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

  let spawnError: Error | null = null;
  child.on("error", (e) => {
    spawnError = e;
  });
  const done = new Promise<RunEnd>((resolve) => {
    child.on("close", (code, signal) => {
      clearInterval(tail);
      if (timer !== null) clearTimeout(timer);
      drain();
      for (const stream of ["stdout", "stderr"] as const) {
        if (dropped[stream] > 0) deliver({ type: "output", stream, text: `\n[gradlens: ${dropped[stream].toLocaleString("en")} more bytes of ${stream} not kept]\n` });
      }
      let end: RunEnd;
      const prior = (ended as RunEnd | null) ?? (python !== undefined ? pythonEnd(code, signal, processEnds, Date.now() - started, steps) : null);
      const failedToStart = spawnError as (Error & { code?: string }) | null;
      if (failedToStart !== null) {
        const what = python?.launch?.[0] ?? python?.interpreter ?? process.execPath;
        const message = failedToStart.code === "ENOENT" ? `no such command: ${what}` : `could not start ${what}: ${failedToStart.message}`;
        end = { type: "run-end", code: null, reason: "error", durationMs: 0, steps: 0, message, error: { message } };
      } else if (hostReason !== null) {
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

/**
 * How a Python run ended: the top process's exit code, with what its processes said about
 * themselves (an uncaught exception and its line, a maxSteps stop). Null: killed by a signal.
 */
function pythonEnd(code: number | null, signal: NodeJS.Signals | null, ends: readonly RunEnd[], durationMs: number, steps: number): RunEnd | null {
  if (code === null) return null;
  const stopped = ends.find((e) => e.reason === "maxSteps");
  if (stopped !== undefined) return { ...stopped, code, durationMs, steps, rank: undefined };
  const failed = ends.find((e) => e.error !== undefined && e.rank === undefined) ?? ends.find((e) => e.error !== undefined);
  if (code === 0) return { type: "run-end", code, reason: "exit", durationMs, steps };
  const where = failed?.rank !== undefined ? ` (rank ${failed.rank})` : "";
  return {
    type: "run-end", code, reason: "error", durationMs, steps,
    message: failed?.error !== undefined ? `${failed.error.message}${where}` : `the script exited with code ${code}${signal ? ` (${signal})` : ""}`,
    ...(failed?.error !== undefined ? { error: failed.error } : {}),
  };
}
