/**
 * Where in the user's own code a call came from: the first stack frame outside the engine, the
 * tracer and Node, mapped through the script's source map (TypeScript lines, not emitted ones).
 * Frames come as V8 CallSites (no string formatting) and mapped positions are cached per site.
 */
import { findSourceMap } from "node:module";
import { fileURLToPath } from "node:url";
import type { RunError, SourceLocation } from "../protocol";

const callSites = (_e: Error, sites: NodeJS.CallSite[]) => sites;

export class Locator {
  /** Mapped positions, per file then per line and column. */
  private readonly cache = new Map<string, Map<number, SourceLocation | null>>();
  /** Whether a file is the tool's own, per file: a traced step asks about the same few frames three times. */
  private readonly skipped = new Map<string, boolean>();

  /** `internal(file)`: frames to skip (the engine copies, this bundle). */
  constructor(private readonly internal: (file: string) => boolean) {}

  here(): SourceLocation | null {
    // The first user frame is a few frames above the engine's probe: a short stack is cheap enough
    // to capture three times a step; only when it holds no user frame is a deep one taken.
    return this.firstUserFrame(8) ?? this.firstUserFrame(64);
  }

  /** The first user frame's location and the name of the function it is in (once per optimizer: not cached). */
  callerHere(): { at: SourceLocation; fn: string | null } | null {
    for (const site of this.userSites(Error.stackTraceLimit, this.callerHere)) {
      const at = mapped(site.getFileName()!, site.getLineNumber() ?? 0, site.getColumnNumber() ?? 0);
      if (at !== null) return { at, fn: site.getFunctionName() || null };
    }
    return null;
  }

  private firstUserFrame(depth: number): SourceLocation | null {
    for (const site of this.userSites(depth, this.firstUserFrame)) {
      const file = site.getFileName()!;
      const line = site.getLineNumber() ?? 0, column = site.getColumnNumber() ?? 0;
      let inFile = this.cache.get(file);
      if (inFile === undefined) this.cache.set(file, (inFile = new Map()));
      // One number per position (no string built per call): columns stay below 2²⁰.
      const key = line * 1048576 + column;
      let hit = inFile.get(key);
      if (hit === undefined) inFile.set(key, (hit = mapped(file, line, column)));
      if (hit !== null) return hit;
    }
    return null;
  }

  /** The call sites of up to `depth` frames above `above` that are the user's (V8 CallSites, no string formatting). */
  private userSites(depth: number, above: Function): NodeJS.CallSite[] {
    const saved = Error.prepareStackTrace;
    const savedLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = depth;
    Error.prepareStackTrace = callSites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, above);
    const sites = holder.stack ?? [];
    Error.prepareStackTrace = saved;
    Error.stackTraceLimit = savedLimit;
    return sites.filter((site) => {
      const file = site.getFileName();
      return file !== undefined && file !== null && !this.skip(file);
    });
  }

  private skip(file: string): boolean {
    let s = this.skipped.get(file);
    if (s === undefined) this.skipped.set(file, (s = file.startsWith("node:") || this.internal(file)));
    return s;
  }

  /** An error as the run's end reports it: message, the (source-mapped) stack, the user's line. */
  error(e: unknown): RunError {
    if (!(e instanceof Error)) return { message: String(e) };
    const stack = e.stack ?? String(e);
    const explicit = (e as { gradlensLocation?: SourceLocation }).gradlensLocation;
    return { message: `${e.name}: ${e.message}`, stack, location: explicit ?? this.fromStack(stack) ?? undefined };
  }

  /** The first user frame of a formatted stack ("at f (file:line:col)" or "at file:line:col"). */
  fromStack(stack: string): SourceLocation | null {
    for (const m of stack.matchAll(/^\s*at (?:.*? \()?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):(\d+)\)?$/gm)) {
      const file = m[1].startsWith("file://") ? fileURLToPath(m[1]) : m[1];
      if (this.internal(file)) continue;
      return { file, line: Number(m[2]), column: Number(m[3]) };
    }
    return null;
  }
}

function mapped(file: string, line: number, column: number): SourceLocation | null {
  const path = file.startsWith("file://") ? fileURLToPath(file) : file;
  const map = findSourceMap(path);
  if (map === undefined) return { file: path, line, column };
  const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
  if (entry.originalSource === undefined || entry.originalLine === undefined) return { file: path, line, column };
  const source = entry.originalSource.startsWith("file://") ? fileURLToPath(entry.originalSource) : entry.originalSource;
  return { file: source.startsWith("/") || /^[A-Za-z]:\\/.test(source) ? source : path, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
}
