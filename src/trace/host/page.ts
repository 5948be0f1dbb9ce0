/**
 * The trace view's page, for the webview (scripts and styles from `media/build/` under a nonce
 * CSP) and for the HTML report (the same script and styles inlined, the trace embedded: it opens
 * offline, from a file).
 */
import { encodeJson, type TraceEvent } from "../protocol";

export interface PageAssets {
  /** Content-Security-Policy source for styles/scripts/images (the webview's cspSource), or null for the report. */
  cspSource: string | null;
  nonce: string;
  script: { src: string } | { inline: string };
  style: { href: string } | { inline: string };
  /** Embedded trace (the report). */
  data?: { events: TraceEvent[]; compare?: { label: string; events: TraceEvent[] } };
  title: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** JSON that survives NaN/Infinity (marked strings, revived by the page) and can't end the script tag. */
export function embedJson(value: unknown): string {
  return encodeJson(value).replace(/</g, "\\u003c");
}

export function tracePage(a: PageAssets): string {
  const csp = a.cspSource !== null
    ? `default-src 'none'; img-src ${a.cspSource} data:; style-src ${a.cspSource} 'nonce-${a.nonce}'; script-src 'nonce-${a.nonce}';`
    : `default-src 'none'; img-src data:; style-src 'nonce-${a.nonce}'; script-src 'nonce-${a.nonce}';`;
  const style = "href" in a.style ? `<link rel="stylesheet" href="${escapeHtml(a.style.href)}" nonce="${a.nonce}">` : `<style nonce="${a.nonce}">${a.style.inline}</style>`;
  const script = "src" in a.script ? `<script nonce="${a.nonce}" src="${escapeHtml(a.script.src)}"></script>` : `<script nonce="${a.nonce}">${a.script.inline.replace(/<\/script/gi, "<\\/script")}</script>`;
  const data = a.data !== undefined ? `<script id="trace-data" type="application/json">${embedJson(a.data)}</script>` : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(a.title)}</title>
${style}
</head>
<body>
<header>
  <h1>GradLens trace: <span id="file"></span></h1>
  <span id="status" role="status"></span>
  <select id="rank" hidden title="The process (rank) whose steps are shown" aria-label="Rank"></select>
  <button id="stop" class="secondary">Stop</button>
  <button id="rerun" class="secondary">Re-run</button>
  <button id="compare" hidden>Compare with fix</button>
  <button id="reset-zoom" class="secondary" title="Show every step (drag across a chart to zoom)">Reset zoom</button>
</header>
<section><h2 id="alerts-title">Alerts</h2><ul id="alerts"></ul></section>
<div class="grid">
  <section><h2>Loss</h2><p class="help">Per step. Drag to zoom into a step range; every chart follows.</p><div id="loss"></div></section>
  <section><h2>Gradient L2 norm per parameter</h2><p class="help">Log scale. Norms that climb step after step while the loss rises are gradients piling up. Click a legend entry to hide it.</p><div id="grad"></div></section>
  <section><h2>Update : data ratio</h2><p class="help">‖Δw‖ / ‖w‖ of each step (log scale); healthy training sits near the dotted 1e-3 line.</p><div id="ratio"></div></section>
  <section><h2 id="flow-title">Gradient flow</h2><p class="help">Mean (right bar) and max (left bar) |grad| per parameter at the step under the cursor. Layers near zero learn nothing.</p><canvas id="flow" height="220"></canvas></section>
</div>
<section><h2 id="heat-title">Gradient norm per parameter × step</h2><div class="heat"><div id="heat-labels"></div><canvas id="heat"></canvas></div></section>
${data}
${script}
</body>
</html>
`;
}
