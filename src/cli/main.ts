/** `gradlens` command line: `gradlens lint` (and, later, `gradlens trace`). */
import { isMainThread } from "node:worker_threads";
import { parseArgs, USAGE, UsageError } from "./args";
import { runLint } from "./lintCommand";
import { serveAnalysisJobs } from "../server/analysisWorker";
import { ANALYSIS_JOBS } from "../server/analysisJobs";
import { FileSelectionError } from "../server/files";

const VERSION = "0.1.0";

export function main(argv: string[], cwd = process.cwd()): { stdout: string; stderr: string; exitCode: number } {
  try {
    const args = parseArgs(argv, Boolean(process.stdout.isTTY));
    if (args.command === "help") return { stdout: USAGE + "\n", stderr: "", exitCode: 0 };
    if (args.command === "version") return { stdout: `gradlens ${VERSION}\n`, stderr: "", exitCode: 0 };
    const out = runLint(args, cwd, VERSION);
    return { stdout: out.stdout, stderr: "", exitCode: out.exitCode };
  } catch (e) {
    if (e instanceof UsageError || e instanceof FileSelectionError) return { stdout: "", stderr: `gradlens: ${e.message}\n\n${USAGE}\n`, exitCode: 2 };
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

// The bundle is also loaded on worker threads (deeply nested files, the language server's
// analysis); only the main thread runs the CLI.
if (!isMainThread) {
  serveAnalysisJobs(ANALYSIS_JOBS);
} else if (require.main === module && process.argv[2] === "lsp") {
  if (!process.argv.includes("--stdio") && !process.argv.includes("--node-ipc")) process.argv.push("--stdio");
  runLanguageServer();
} else if (require.main === module) {
  const { stdout, stderr, exitCode } = main(process.argv.slice(2));
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  process.exitCode = exitCode;
}
