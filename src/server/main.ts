/**
 * `dist/server.js`, the language server the VS Code extension starts (over node IPC) — the same
 * server as `gradlens lsp`. The bundle is also loaded on its analysis worker thread.
 */
import { isMainThread } from "node:worker_threads";
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { ANALYSIS_JOBS } from "./analysisJobs";
import { serveAnalysisJobs } from "./analysisWorker";
import { startServer } from "./server";
import { runTraceChild } from "../trace/node/child";
import { CHILD_ENV } from "../trace/protocol";

// Also the child process of a traced run started by the VS Code client (it runs the user's
// script: never this process, which only serves LSP).
if (!isMainThread) serveAnalysisJobs(ANALYSIS_JOBS);
else if (process.env[CHILD_ENV] === "1") runTraceChild();
else startServer(createConnection(ProposedFeatures.all), { workerEntry: __filename });
