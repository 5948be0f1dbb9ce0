/**
 * Strict option objects: a misspelt or unsupported option is an error naming it (with the closest
 * known one), never silently ignored — `{ momentun: 0.9 }` would otherwise train without momentum.
 */

/** Options PyTorch has that gradlens doesn't implement yet, per call site, to say so plainly. */
export type Unsupported = readonly string[];

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The known key a misspelling most likely meant, if any is close. */
function closest(key: string, known: readonly string[]): string | null {
  const norm = (s: string) => s.replace(/_/g, "").toLowerCase();
  const exact = known.find((k) => norm(k) === norm(key) || k === camel(key));
  if (exact) return exact;
  let best: string | null = null, bestD = Infinity;
  for (const k of known) {
    const d = editDistance(norm(key), norm(k));
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(1, Math.floor(key.length / 3)) ? best : null;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "number" ? `the number ${v}` : typeof v === "string" ? `the string "${v}"` : typeof v;
}

/**
 * Checks that `options` is undefined or a plain object whose keys are all `known`. `example` shows
 * the expected shape in the error for a non-object (`{ lr: 0.1 }`).
 */
export function checkOptions(where: string, options: unknown, known: readonly string[], example: string, unsupported: Unsupported = []): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object like ${example}, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    if (unsupported.includes(key) || unsupported.includes(camel(key))) {
      throw new Error(`${where}: option "${key}" is not supported yet (supported: ${known.join(", ")})`);
    }
    const guess = closest(key, known);
    throw new Error(`${where}: unknown option "${key}"${guess !== null ? ` (did you mean "${guess}"?)` : ""}; known options: ${known.join(", ")}`);
  }
}

/** A numeric option: a finite number (or the error names the option and what was given). */
export function checkNumberOption(where: string, name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "number" || Number.isNaN(value))) {
    throw new TypeError(`${where}: option "${name}" must be a number, got ${describe(value)}`);
  }
}

export function checkBooleanOption(where: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "boolean") throw new TypeError(`${where}: option "${name}" must be true or false, got ${describe(value)}`);
}
