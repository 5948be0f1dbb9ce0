/**
 * Suppression comments, ESLint style:
 *   // gradlens-disable-next-line <rule>[, <rule>]
 *   // gradlens-disable-line <rule>
 *   /* gradlens-disable <rule> *\/      (whole file)
 * With no rule named, every rule is suppressed.
 */
export interface Comment {
  text: string;
  /** 1-based line of the comment's start and end. */
  line: number;
  endLine: number;
}

export interface Suppressions {
  isSuppressed(rule: string, line: number): boolean;
}

const DIRECTIVE = /^\s*gradlens-(disable-next-line|disable-line|disable)\b\s*([\w\-,\s]*?)\s*(?:--.*)?$/s;

export function parseSuppressions(comments: readonly Comment[]): Suppressions {
  const file = new Set<string>();
  const lines = new Map<number, Set<string>>();
  const add = (line: number, rules: string[]) => {
    let set = lines.get(line);
    if (!set) lines.set(line, (set = new Set()));
    for (const r of rules) set.add(r);
  };
  for (const c of comments) {
    const m = DIRECTIVE.exec(c.text.replace(/^\*+|\*+$/g, ""));
    if (!m) continue;
    const rules = m[2].split(/[\s,]+/).filter(Boolean);
    const which = rules.length ? rules : ["*"];
    if (m[1] === "disable-next-line") add(c.endLine + 1, which);
    else if (m[1] === "disable-line") add(c.line, which);
    else for (const r of which) file.add(r);
  }
  return {
    isSuppressed(rule, line) {
      if (file.has("*") || file.has(rule)) return true;
      const set = lines.get(line);
      return set !== undefined && (set.has("*") || set.has(rule));
    },
  };
}
