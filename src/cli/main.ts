/** The `gradlens` command line: `gradlens lint | trace | run | lsp`. */
import { isMainThread } from "node:worker_threads";
import { commandHelp, parseArgs, USAGE, UsageError, usageErrorText } from "./args";
import { runLint } from "./lintCommand";
import { loadPython } from "../analysis/lint";
import { serveAnalysisJobs } from "../server/analysisWorker";
import { ANALYSIS_JOBS } from "../server/analysisJobs";
import { FileSelectionError } from "../server/files";
import { CHILD_ENV } from "../trace/protocol";
import { runTraceChild } from "../trace/node/child";
import { pythonTracerDir, runTraceCommand } from "./traceCommand";

const VERSION = "0.1.0";

export function main(argv: string[], cwd = process.cwd()): { stdout: string; stderr: string; exitCode: number } {
  try {
    const args = parseArgs(argv, Boolean(process.stdout.isTTY));
    if (args.command === "help") return { stdout: (args.topic !== undefined ? commandHelp(args.topic) : USAGE) + "\n", stderr: "", exitCode: 0 };
    if (args.command === "version") return { stdout: `gradlens ${VERSION}\n`, stderr: "", exitCode: 0 };
    if (args.command === "python-path") return { stdout: `${pythonTracerDir()}\n`, stderr: "", exitCode: 0 };
    if (args.command !== "lint") throw new Error("gradlens run/trace are asynchronous: use mainAsync");
    const out = runLint(args, cwd, VERSION);
    return { stdout: out.stdout, stderr: "", exitCode: out.exitCode };
  } catch (e) {
    if (e instanceof UsageError) return { stdout: "", stderr: usageErrorText(e), exitCode: 2 };
    if (e instanceof FileSelectionError) return { stdout: "", stderr: `gradlens: ${e.message}\n`, exitCode: 2 };
    return { stdout: "", stderr: `gradlens: internal error: ${(e as Error).stack ?? e}\n`, exitCode: 2 };
  }
}

/** `gradlens lsp [--stdio]`: the language server, for any editor (it runs until the client exits). */
function runLanguageServer(): void {
  // Loaded only here, so `gradlens lint` doesn't pay for the protocol library.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createConnection, ProposedFeatures } = require("vscode-languageserver/node") as typeof import("vscode-languageserver/node");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startServer } = require("../server/server") as typeof import("../server/server");
  startServer(createConnection(ProposedFeatures.all), { workerEntry: __filename });
}

/** Every command, including the ones that run a script (asynchronous): the exit code. */
async function mainAsync(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, Boolean(process.stdout.isTTY));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(usageErrorText(e));
      return 2;
    }
    throw e;
  }
  if (args.command === "run" || args.command === "trace") return runTraceCommand(args, process.cwd(), { stdout: process.stdout, stderr: process.stderr });
  // The Python parser is WebAssembly, loaded asynchronously once; linting itself is synchronous.
  if (args.command === "lint") await loadPython();
  const { stdout, stderr, exitCode } = main(argv);
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  return exitCode;
}

// The bundle is also loaded on worker threads (deeply nested files, the language server's
// analysis); only the main thread runs the CLI.
if (!isMainThread) {
  serveAnalysisJobs(ANALYSIS_JOBS);
} else if (process.env[CHILD_ENV] === "1") {
  // The child process of `gradlens trace` / `gradlens run`: this bundle runs the user's script.
  runTraceChild();
} else if (require.main === module && process.argv[2] === "lsp" && !process.argv.includes("--help") && !process.argv.includes("-h")) {
  if (!process.argv.includes("--stdio") && !process.argv.includes("--node-ipc")) process.argv.push("--stdio");
  runLanguageServer();
} else if (require.main === module) {
  void mainAsync(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, (e: unknown) => {
    process.stderr.write(`gradlens: internal error: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 2;
  });
}
