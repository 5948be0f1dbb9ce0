/**
 * The trace view as a template for notebook cell outputs: the report page (script and styles
 * inlined, strict CSP) with a placeholder where a cell's events go. Written at build time into the
 * Python package (gradlens/_view.html), so the kernel side fills it in with no Node and no network.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tracePage } from "./page";

export const EVENTS_PLACEHOLDER = "@@GRADLENS_EVENTS@@";

export function notebookViewTemplate(assets: string): string {
  const page = tracePage({
    cspSource: null,
    // One nonce for every output of the template: the page is static, and its CSP still refuses any other script.
    nonce: "gradlens-notebook",
    script: { inline: fs.readFileSync(path.join(assets, "traceView.js"), "utf8") },
    style: { inline: fs.readFileSync(path.join(assets, "traceView.css"), "utf8") },
    data: { events: [] },
    title: "GradLens trace",
  });
  const empty = '<script id="trace-data" type="application/json">{"events":[]}</script>';
  if (!page.includes(empty)) throw new Error("the trace page no longer embeds its data as expected");
  return page.replace(empty, `<script id="trace-data" type="application/json">${EVENTS_PLACEHOLDER}</script>`);
}

/** The first line of the setup cell ("GradLens: Trace This Notebook"): a second invocation finds it. */
export const NOTEBOOK_SETUP_MARKER = "# GradLens: trace this notebook";

/** A notebook's setup cell: the tracer's folder on the kernel's sys.path, then the IPython extension. */
export function notebookSetupCell(tracerDir: string): string {
  return [
    `${NOTEBOOK_SETUP_MARKER} (loss, gradient norms and alerts under each cell that steps an optimizer)`,
    "import sys",
    `sys.path.insert(0, ${JSON.stringify(tracerDir)})`,
    "%load_ext gradlens",
  ].join("\n");
}
