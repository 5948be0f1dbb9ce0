/**
 * The child process of a traced (or plain) run: it compiles TypeScript on the fly with the bundled
 * TypeScript compiler (inline source maps, so stacks and alerts name the user's lines), lets
 * `gradlens` resolve to the bundled engine when the script's folder has none installed, installs
 * the recorder as the engine's probe sink and runs the script as the main module.
 *
 * Events go to a file written synchronously in batches, not over an IPC channel: a script that
 * calls process.exit() or dies still leaves every event up to its end (async IPC would drop the
 * last ones), and the host tails the file as it grows.
 */
import * as fs from "node:fs";
import Module = require("node:module");
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as ts from "typescript";
import { Locator } from "./locate";
import { CHILD_ENV, encodeEvent, RunError, SourceLocation, TraceEvent, TraceOptions } from "../protocol";
import { Recorder } from "./recorder";
import { PROBE_KEY, type ProbeSink } from "../../../engine/probe";


interface ChildConfig {
  script: string;
  args: string[];
  out: string;
  engine: string;
  options: TraceOptions;
  /** The process that started this run: when it is no longer the parent, the run ends. */
  hostPid: number;
}


/** Compile errors become a SyntaxError carrying the user's line. */
function compileTypeScript(source: string, filename: string): string {
  const out = ts.transpileModule(source, {
    fileName: filename,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, inlineSourceMap: true, inlineSources: false, jsx: ts.JsxEmit.React },
  });
  const first = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (first !== undefined && first.file !== undefined && first.start !== undefined) {
    const pos = first.file.getLineAndCharacterOfPosition(first.start);
    const err = new SyntaxError(`${ts.flattenDiagnosticMessageText(first.messageText, "\n")} (${path.basename(filename)}:${pos.line + 1}:${pos.character + 1})`);
    (err as SyntaxError & { gradlensLocation: SourceLocation }).gradlensLocation = { file: filename, line: pos.line + 1, column: pos.character + 1 };
    throw err;
  }
  return out.outputText;
}

function installTypeScript(): void {
  const extensions = (Module as unknown as { _extensions: Record<string, (m: Module & { _compile(code: string, file: string): void }, file: string) => void> })._extensions;
  for (const ext of [".ts", ".tsx", ".mts", ".cts"]) {
    extensions[ext] = (m, filename) => m._compile(compileTypeScript(fs.readFileSync(filename, "utf8"), filename), filename);
  }
}

/**
 * `gradlens` resolves as usual (the user's own install wins), else to the engine shipped with the
 * tool: for require() through the resolver, for ESM imports through a resolve hook.
 */
function installEngineFallback(engine: string): void {
  const esm = engine.replace(/\.js$/, ".mjs");
  const target = pathToFileURL(fs.existsSync(esm) ? esm : engine).href;
  const hook = `export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); }
  catch (e) { if (specifier === "gradlens") return { url: ${JSON.stringify(target)}, shortCircuit: true }; throw e; }
}`;
  (Module as unknown as { register(url: string): void }).register(`data:text/javascript,${encodeURIComponent(hook)}`);
  const M = Module as unknown as { _resolveFilename(request: string, parent: unknown, ...rest: unknown[]): string };
  const original = M._resolveFilename;
  M._resolveFilename = function (request, parent, ...rest) {
    try {
      return original.call(this, request, parent, ...rest);
    } catch (e) {
      if (request === "gradlens") return engine;
      throw e;
    }
  };
}

/** Source lines of the user's files, read once each (only for naming optimizers: a few reads a run). */
const sourceLines = new Map<string, string[] | null>();

/** The receiver of the method call at `at` (V8 places a call's column at the method's name): `optD` in `optD.step()`. */
function receiverAt(at: SourceLocation): string | null {
  let lines = sourceLines.get(at.file);
  if (lines === undefined) {
    try {
      lines = fs.readFileSync(at.file, "utf8").split(/\r?\n/);
    } catch {
      lines = null;
    }
    sourceLines.set(at.file, lines);
  }
  const before = lines?.[at.line - 1]?.slice(0, Math.max(0, (at.column ?? 1) - 1)).replace(/\s*\??\.\s*$/, "");
  const m = before === undefined ? null : /[A-Za-z_$][\w$]*(?:\s*(?:\??\.\s*[A-Za-z_$][\w$]*|\[[^\]]*\]))*$/.exec(before);
  return m === null ? null : m[0].replace(/\s+/g, "");
}

export function runTraceChild(): void {
  const config = JSON.parse(process.env.GRADLENS_TRACE_CONFIG ?? "null") as ChildConfig | null;
  if (config === null) throw new Error("gradlens trace child: GRADLENS_TRACE_CONFIG is missing");
  delete process.env[CHILD_ENV];
  delete process.env.GRADLENS_TRACE_CONFIG;
  const started = Date.now();
  const fd = fs.openSync(config.out, "a");
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join("\n") + "\n";
    pending = [];
    fs.writeSync(fd, text);
  };
  const emit = (e: TraceEvent) => {
    pending.push(encodeEvent(e));
    if (pending.length >= 256) flush();
  };
  setInterval(flush, 40).unref();
  // The host may die without stopping the run (a window closed, a crash): this process leads its
  // own process group, so it would run on. A watchdog thread (a training loop blocks this one's
  // timers) ends the group once the host is no longer this process's parent. The host names
  // itself at spawn: reading the parent here instead would read the adoptive parent (init) if the
  // host died before this line, and the watchdog would never fire.
  const hostPid = config.hostPid;
  const killGroup = `try { process.kill(-${process.pid}, "SIGKILL"); } catch { process.kill(${process.pid}, "SIGKILL"); }`;
  const watchdog = new Worker(`const check = () => { if (process.ppid !== ${hostPid}) { ${killGroup} } };
check();
setInterval(check, 250);`, { eval: true });
  watchdog.unref();

  const self = fs.realpathSync(process.argv[1]);
  const engine = fs.realpathSync(config.engine);
  // The tool's own files: this bundle, the shipped engine (CommonJS and ESM builds), the sources
  // their maps point into, and any installed copy of gradlens.
  const toolRoot = path.dirname(path.dirname(self));
  const ownSources = [path.join(toolRoot, "src") + path.sep, path.join(toolRoot, "engine") + path.sep];
  const internal = (raw: string) => {
    const file = raw.startsWith("file://") ? fileURLToPath(raw) : raw;
    return file === self || file === engine || file === engine.replace(/\.js$/, ".mjs") || ownSources.some((d) => file.startsWith(d)) ||
      file.includes(`${path.sep}node_modules${path.sep}gradlens${path.sep}`) || file.includes(`${path.sep}node_modules${path.sep}typescript${path.sep}`);
  };
  const locator = new Locator(internal);

  let recorder: Recorder | null = null;
  let ended = false;
  const end = (code: number | null, reason: "exit" | "error" | "maxSteps", error?: RunError, message?: string) => {
    if (ended) return;
    ended = true;
    emit({ type: "run-end", code, reason, durationMs: Date.now() - started, steps: recorder?.stepCount ?? 0, error, message });
    flush();
  };
  process.on("exit", (code) => end(code, code === 0 ? "exit" : "error", undefined, code === 0 ? undefined : `the script exited with code ${code}`));
  const fail = (e: unknown) => {
    const error = locator.error(e);
    // The user's frames only: the tracer's and Node's own say nothing about their script.
    const frameFile = (l: string) => /(?:\(|at )((?:file:\/\/)?\/[^():]+):\d+:\d+\)?$/.exec(l)?.[1];
    const shown = (error.stack ?? error.message).split("\n").filter((l) => {
      if (!/^\s+at /.test(l)) return true;
      const f = frameFile(l);
      return f !== undefined && !internal(f);
    });
    error.stack = shown.join("\n");
    process.stderr.write(`${error.stack}\n`);
    end(1, "error", error);
    process.exit(1);
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);

  installTypeScript();
  installEngineFallback(engine);
  emit({ type: "run-start", file: config.script, startedAt: started, traced: config.options.trace });
  if (config.options.trace) {
    recorder = new Recorder(config.options, emit, () => locator.here(), () => {
      end(0, "maxSteps", undefined, `stopped after ${config.options.maxSteps.toLocaleString("en")} steps (${config.options.names.maxSteps})`);
      process.exit(0);
    }, () => {
      const call = locator.callerHere();
      return { receiver: call !== null ? receiverAt(call.at) : null, fn: call?.fn ?? null };
    });
    const host = globalThis as unknown as Record<symbol, { sink: ProbeSink | null } | undefined>;
    (host[PROBE_KEY] ??= { sink: null }).sink = recorder;
  }
  // Run it as the main module (`require.main === module` holds), with its own argv.
  process.argv = [process.argv[0], config.script, ...config.args];
  (Module as unknown as { runMain(): void }).runMain();
}
