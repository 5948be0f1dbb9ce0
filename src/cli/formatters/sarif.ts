/** `--format sarif`: SARIF 2.1.0 for code-scanning upload (results, related locations, fixes, parse errors). */
import type { LintResult } from "../../analysis/lint";
import { RULES } from "../../analysis/lint";
import { ruleDocsUrl } from "../../analysis/rules/index";

function uri(file: string): string {
  return file.split("\\").join("/").split("/").map(encodeURIComponent).join("/");
}

function region(line: number, column: number, endLine?: number, endColumn?: number) {
  return endLine === undefined ? { startLine: line, startColumn: column } : { startLine: line, startColumn: column, endLine, endColumn };
}

export function formatSarif(results: LintResult[], version: string): string {
  const ruleIds = Object.keys(RULES) as (keyof typeof RULES)[];
  const rules = ruleIds.map((id) => ({
    id,
    name: id.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()),
    shortDescription: { text: RULES[id].summary },
    fullDescription: { text: RULES[id].summary },
    helpUri: ruleDocsUrl(id),
    help: { text: `${RULES[id].summary} See ${ruleDocsUrl(id)}.` },
    defaultConfiguration: { level: RULES[id].severity === "error" ? "error" : "warning" },
  }));
  const sarifResults = results.flatMap((r) => r.findings.map((f) => ({
    ruleId: f.rule,
    ruleIndex: ruleIds.indexOf(f.rule),
    level: f.severity === "error" ? "error" : "warning",
    // SARIF regions can't address a notebook cell: the cell is named in the message and the properties.
    message: { text: f.cell !== undefined ? `cell ${f.cell}: ${f.message}` : f.message },
    ...(f.cell !== undefined ? { properties: { cell: f.cell } } : {}),
    locations: [{ physicalLocation: { artifactLocation: { uri: uri(f.file), uriBaseId: "%SRCROOT%" }, region: region(f.line, f.column, f.endLine, f.endColumn) } }],
    relatedLocations: f.related.map((x, i) => ({
      id: i + 1,
      message: { text: x.cell !== undefined ? `cell ${x.cell}: ${x.message}` : x.message },
      physicalLocation: { artifactLocation: { uri: uri(x.file), uriBaseId: "%SRCROOT%" }, region: region(x.line, x.column) },
    })),
    partialFingerprints: { "gradlens/v1": `${f.rule}:${f.optimizer}:${f.message.length}` },
    fixes: f.fixes.map((fix) => ({
      description: { text: fix.title },
      artifactChanges: [{
        artifactLocation: { uri: uri(f.file), uriBaseId: "%SRCROOT%" },
        ...(f.cell !== undefined ? { properties: { cells: [...new Set(fix.edits.map((e) => e.cell))] } } : {}),
        replacements: fix.edits.map((e) => ({
          deletedRegion: region(e.start.line, e.start.column, e.end.line, e.end.column),
          insertedContent: { text: e.text },
        })),
      }],
    })),
  })));
  const notifications = results.flatMap((r) => [
    ...r.errors.map((e) => ({ level: "error", file: e.file, line: e.line, column: e.column, message: e.cell !== undefined ? `cell ${e.cell}: ${e.message}` : e.message })),
    ...r.notices.map((n) => ({ level: "note", file: n.file, line: n.line, column: n.column, message: n.cell !== undefined ? `cell ${n.cell}: ${n.message}` : n.message })),
  ]).map((x) => ({
    level: x.level,
    message: { text: `${x.file}: ${x.message}` },
    locations: [{ physicalLocation: { artifactLocation: { uri: uri(x.file), uriBaseId: "%SRCROOT%" }, region: region(x.line, x.column) } }],
  }));
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{
      tool: { driver: { name: "gradlens", semanticVersion: version, version, rules } },
      invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
      results: sarifResults,
    }],
  };
  return JSON.stringify(log, null, 2) + "\n";
}
