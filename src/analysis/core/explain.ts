/**
 * The "explain" half: for each backward(), step() and zero the analysis recognised, what it
 * is to the analysis — which optimizer, what that optimizer owns, and what a step applies — so an
 * editor can show it on hover. Built from the same graph and findings as the lint.
 */
import type { Finding } from "./types";
import type { ProgramGraph } from "./cfg";
import { OptimizerOracle } from "./optimizers";
import { MANY_BACKWARDS, StepPaths, stepPaths } from "./stepPaths";
import { LineIndex } from "./textEdits";

export interface SiteExplanation {
  /** In a notebook: the 1-based cell (range, line and column are then within that cell). */
  cell?: number;
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

function backwards(n: number): string {
  return n === MANY_BACKWARDS ? "several backwards" : n === 0 ? "no backward" : n === 1 ? "1 backward" : `${n} backwards`;
}

/** "Here it applies the gradients of 1 backward since the zero on line 12", path by path. */
function describePaths(p: StepPaths, self: number, fnName: string, lineOf: (site: number) => number): string {
  const out: string[] = [];
  if (!p.allStale) {
    const counts = [...p.counts].sort((a, b) => a - b);
    const start = fnName === "<top level>" ? "the script began" : fnName === "" || fnName.startsWith("<") ? "the function began" : `\`${fnName}\` began`;
    const zeros = [...new Set([...p.origins].filter((o) => o >= 0).map(lineOf))].sort((a, b) => a - b);
    const since = zeros.length === 0
      ? `since ${start}`
      : `since the zero on line${zeros.length > 1 ? "s" : ""} ${zeros.join(", ")}${p.origins.has(-1) ? ` (or since ${start})` : ""}`;
    if (counts.length === 1 && counts[0] === 0) out.push("Here it applies nothing: no backward ran since the gradients were last zeroed.");
    else if (counts.length === 1) out.push(`Here it applies the gradients of ${backwards(counts[0])} ${since}.`);
    else {
      const top = counts.at(-1) === MANY_BACKWARDS ? "several" : String(counts.at(-1));
      out.push(`Here it applies the gradients of ${counts[0] === 0 ? "no" : counts[0]} to ${top} backwards ${since}, depending on the path.`);
    }
  }
  if (p.someStale) {
    const earlier = [...new Set([...p.previousSteps].map((s) => (s === self ? "this same step on the previous iteration" : `the step on line ${lineOf(s)}`)))];
    out.push(`${p.allStale ? "On every path" : "On some paths"} it re-applies gradients already used by ${earlier.join(" and ")}.`);
  }
  return out.join(" ");
}

/** Explanations for every recognised gradient event of an analysed program (with its findings). */
export function explainProgram(text: string, program: ProgramGraph, findings: readonly Finding[]): SiteExplanation[] {
  const lines = new LineIndex(text);
  const at = (offset: number) => lines.position(offset);
  const findingsAt = (start: number, end: number) => findings.filter((f) => f.range[0] >= start && f.range[1] <= end);
  const relatedAt = (line: number, column: number) => findings.filter((f) => f.related.some((r) => r.line === line && r.column === column));
  const out: SiteExplanation[] = [];
  const oracle = new OptimizerOracle(program.facts);
  const lineOf = (s: number) => at(program.sites[s].range[0]).line;
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
      const paths = stepPaths(program.functions[site.fn], site.id, oracle);
      if (paths !== null) text += `\n\n${describePaths(paths, site.id, program.functions[site.fn].name, lineOf)}`;
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
