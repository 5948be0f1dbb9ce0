/** The `gradlens` settings section (resource-scoped) as the server reads it, with its defaults. */
import { DiagnosticSeverity } from "vscode-languageserver";

export interface Settings {
  lint: { enable: boolean; run: "onType" | "onSave"; timeBudgetMs: number };
  /** Per rule: "off" | "info" | "warning" | "error" (absent: the rule's own severity). */
  rules: Record<string, string>;
  engineModules: string[];
  codeLens: { enable: boolean };
}

export const DEFAULT_SETTINGS: Settings = { lint: { enable: true, run: "onType", timeBudgetMs: 2000 }, rules: {}, engineModules: [], codeLens: { enable: true } };

/** A client's answer (anything, possibly null or mistyped) as complete settings. */
export function withDefaults(raw: unknown): Settings {
  const r = (raw ?? {}) as Partial<Settings>;
  const lint = { ...DEFAULT_SETTINGS.lint, ...(r.lint ?? {}) };
  if (typeof lint.timeBudgetMs !== "number" || !(lint.timeBudgetMs > 0)) lint.timeBudgetMs = DEFAULT_SETTINGS.lint.timeBudgetMs;
  return {
    lint,
    rules: { ...(r.rules ?? {}) },
    engineModules: Array.isArray(r.engineModules) ? r.engineModules.filter((m): m is string => typeof m === "string") : [],
    codeLens: { ...DEFAULT_SETTINGS.codeLens, ...(r.codeLens ?? {}) },
  };
}

export const SEVERITY: Record<string, DiagnosticSeverity> = { info: DiagnosticSeverity.Information, warning: DiagnosticSeverity.Warning, error: DiagnosticSeverity.Error };
