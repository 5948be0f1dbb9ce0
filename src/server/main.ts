/**
 * `dist/server.js`, the language server the VS Code extension starts (over node IPC) — the same
 * server as `gradlens lsp`. The bundle is also loaded on its analysis worker thread.
 */
import { isMainThread } from "node:worker_threads";
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { ANALYSIS_JOBS } from "./analysisJobs";
import { serveAnalysisJobs } from "./analysisWorker";
import { startServer } from "./server";

if (!isMainThread) serveAnalysisJobs(ANALYSIS_JOBS);
else startServer(createConnection(ProposedFeatures.all), { workerEntry: __filename });
