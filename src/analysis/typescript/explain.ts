/**
 * The "explain" half: for each backward(), step() and zeroGrad() the analysis recognised, what it
 * is to the analysis — which optimizer, what that optimizer owns, and what a step applies — so an
 * editor can show it on hover. Built from the same graph and findings as the lint.
 */
import type { LintOptions } from "../core/types";
import { LineIndex } from "../core/textEdits";
import { lintTypeScript } from "./lintTypeScript";

export interface SiteExplanation {
  kind: "backward" | "step" | "zero";
  /** Offsets of the call in the source. */
  range: [number, number];
  line: number;
  column: number;
  /** Markdown for a hover. */
  markdown: string;
}

function ownership(sources: Set<string> | undefined): string {
  if (sources === undefined || sources.size === 0) return "";
  const names = [...sources].sort().map((s) => `\`${s}\``);
  return ` (it owns the parameters of ${names.join(" and ")})`;
}

/** Explanations for every recognised gradient event; [] for files that don't use the engine (throws where the lint does). */
export function explainTypeScript(text: string, file: string, options: LintOptions = {}): SiteExplanation[] {
  // One parse and one graph: the lint's own (it throws on a file that doesn't parse).
  const { findings, program } = lintTypeScript(text, file, { ...options, fixes: false });
  if (program === undefined) return [];
  const lines = new LineIndex(text);
  const at = (offset: number) => lines.position(offset);
  const findingsAt = (start: number, end: number) => findings.filter((f) => f.range[0] >= start && f.range[1] <= end);
  const relatedAt = (line: number, column: number) => findings.filter((f) => f.related.some((r) => r.line === line && r.column === column));
  const out: SiteExplanation[] = [];
  for (const site of program.sites) {
    if (site.kind === "call" || site.range[1] <= site.range[0]) continue;
    const pos = at(site.range[0]);
    const own = findingsAt(site.range[0], site.range[1]);
    const related = relatedAt(pos.line, pos.column);
    let text: string;
    if (site.kind === "step") {
      const owns = ownership(program.facts.sources.get(site.text));
      text = site.manual
        ? `**gradlens**: updates \`${site.text}\` from its own \`.grad\` — a hand-written optimizer step.`
        : `**gradlens**: steps the optimizer \`${site.text}\`${owns}: it applies the gradients accumulated in \`.grad\` since they were last zeroed.`;
    } else if (site.kind === "zero") {
      text = `**gradlens**: clears gradients (\`${site.text}\`): what a later \`backward()\` adds starts from zero.`;
    } else {
      text = `**gradlens**: \`${site.text || "loss"}.backward()\` adds this loss's gradients into every parameter's \`.grad\` (it accumulates; nothing is applied until a \`step()\`).`;
    }
    const notes = [...own, ...related.filter((f) => !own.includes(f))].map((f) => `- ⚠ ${f.message} (\`${f.rule}\`, line ${f.line})`);
    out.push({ kind: site.kind, range: site.range, line: pos.line, column: pos.column, markdown: notes.length ? `${text}\n\n${notes.join("\n")}` : text });
  }
  return out;
}
