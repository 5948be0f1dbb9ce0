/** The self-contained HTML report of a run: the trace view's script and styles inlined, the events embedded. */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { tracePage } from "./page";
import type { TraceEvent } from "../protocol";

/** media/build/ next to the bundle (dist/../media/build) or the source tree. */
export function viewAssetsDir(from: string): string {
  for (const dir of [path.join(from, "../media/build"), path.join(from, "../../media/build")]) {
    if (fs.existsSync(path.join(dir, "traceView.js"))) return dir;
  }
  throw new Error(`the trace view is not built (no media/build/traceView.js near ${from}): run npm run build`);
}

export function reportHtml(events: TraceEvent[], assets: string, compare?: { label: string; events: TraceEvent[] }): string {
  const start = events.find((e): e is Extract<TraceEvent, { type: "run-start" }> => e.type === "run-start");
  return tracePage({
    cspSource: null,
    nonce: randomBytes(16).toString("base64"),
    script: { inline: fs.readFileSync(path.join(assets, "traceView.js"), "utf8") },
    style: { inline: fs.readFileSync(path.join(assets, "traceView.css"), "utf8") },
    data: { events, compare },
    title: `GradLens trace: ${path.basename(start?.file ?? "run")}`,
  });
}
