/**
 * Which files get linted, for the CLI and the server's Lint Workspace: explicit files, folders
 * walked (honouring .gitignore), globs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import ignore, { Ignore } from "ignore";
import { globSync } from "tinyglobby";
import { isLintable } from "../analysis/lint";

/** A path or glob that selects no file: a usage error for the CLI. */
export class FileSelectionError extends Error {}

const ALWAYS_SKIPPED = new Set(["node_modules", ".git", ".hg", ".svn"]);
const GLOB_CHARS = /[*?[\]{}]/;

interface IgnoreLayer {
  dir: string;
  rules: Ignore;
}

function readGitignore(dir: string): IgnoreLayer | null {
  const file = path.join(dir, ".gitignore");
  if (!fs.existsSync(file)) return null;
  return { dir, rules: ignore().add(fs.readFileSync(file, "utf8")) };
}

function ignoredBy(layers: IgnoreLayer[], file: string, isDir: boolean): boolean {
  for (const layer of layers) {
    let rel = path.relative(layer.dir, file).split(path.sep).join("/");
    if (rel === "" || rel.startsWith("..")) continue;
    if (isDir) rel += "/";
    if (layer.rules.ignores(rel)) return true;
  }
  return false;
}

/** .gitignore files from the filesystem root's side down to `dir` (nearest last). */
function ancestorLayers(dir: string, stopAt: string): IgnoreLayer[] {
  const layers: IgnoreLayer[] = [];
  let cur = path.resolve(dir);
  const stop = path.resolve(stopAt);
  for (;;) {
    const layer = readGitignore(cur);
    if (layer) layers.unshift(layer);
    if (cur === stop || !cur.startsWith(stop)) break;
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return layers;
}

function walk(dir: string, layers: IgnoreLayer[], out: string[]): void {
  const own = readGitignore(dir);
  const here = own && !layers.some((l) => l.dir === own.dir) ? [...layers, own] : layers;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (ALWAYS_SKIPPED.has(e.name) || ignoredBy(here, full, true)) continue;
      walk(full, here, out);
    } else if (e.isFile() && isLintable(e.name) && !e.name.endsWith(".d.ts") && !ignoredBy(here, full, false)) {
      out.push(full);
    }
  }
}

/** Resolves CLI paths to the files to lint, relative to `cwd`. Unknown paths are usage errors. */
export function collectFiles(inputs: string[], cwd: string): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    const abs = path.resolve(cwd, input);
    if (GLOB_CHARS.test(input) && !fs.existsSync(abs)) {
      const matches = globSync(input, { cwd, absolute: true, ignore: ["**/node_modules/**", "**/.git/**"] })
        .filter((f) => isLintable(f) && !ignoredBy(ancestorLayers(path.dirname(f), cwd), f, false));
      if (matches.length === 0) throw new FileSelectionError(`no files match ${JSON.stringify(input)}`);
      out.push(...matches.sort());
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      throw new FileSelectionError(`no such file or folder: ${input}`);
    }
    if (stat.isDirectory()) walk(abs, ancestorLayers(abs, cwd), out);
    else out.push(abs); // an explicit file is linted even if ignored
  }
  return [...new Set(out)].map((f) => path.relative(cwd, f) || f);
}

/** True when a .gitignore between `root` and the file (inclusive) excludes it or a folder above it. */
export function isGitIgnored(file: string, root: string): boolean {
  const abs = path.resolve(file);
  const top = path.resolve(root);
  if (!abs.startsWith(top + path.sep)) return false;
  const rel = path.relative(top, abs).split(path.sep);
  if (rel.slice(0, -1).some((part) => ALWAYS_SKIPPED.has(part))) return true;
  const layers = ancestorLayers(path.dirname(abs), top);
  // A folder on the way down can be ignored as a whole ("build/").
  let dir = top;
  for (const part of rel.slice(0, -1)) {
    dir = path.join(dir, part);
    if (ignoredBy(layers, dir, true)) return true;
  }
  return ignoredBy(layers, abs, false);
}
