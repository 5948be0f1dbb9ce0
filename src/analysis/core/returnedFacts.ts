/**
 * Optimizer facts that travel through what a function of the file returns. A factory records what
 * it returns under a synthetic key (`@ret<fn>`: an object's properties, an array's elements, an
 * optimizer built in the return itself) and which of its locals it returns where (`{ model,
 * optimizers }`). A call site that binds the result (`const { model, optimizers } = setup()`,
 * `this.opt = makeOptimizer(this.model)`) imports them once every function is built: the callee's
 * facts under the caller's names, with the modules an optimizer owns translated too (a parameter
 * to the argument passed, a returned local to where the caller put it). Ownership that can't be
 * translated is dropped: unknown, never wrong.
 */
import type { OptimizerFacts } from "./cfg";
import { norm } from "./optimizers";

/** Where a call's result went: the callee's value at `path` (property names, `[i]` elements) is `key` here. */
export interface ResultBinding {
  path: string[];
  key: string;
}

export interface FactImport {
  callee: number;
  /** The call's arguments and receiver as texts in the caller (null: not a simple path). */
  args: (string | null)[];
  thisArg: string | null;
  bindings: ResultBinding[];
}

export function returnKey(fn: number): string {
  return `@ret${fn}`;
}

/** A key below `prefix`: `prefix.x`, `prefix[0]`, or `prefix` itself. */
function suffixUnder(key: string, prefix: string): string | null {
  if (key === prefix) return "";
  return key.startsWith(prefix) && (key[prefix.length] === "." || key[prefix.length] === "[") ? key.slice(prefix.length) : null;
}

function joinPath(path: string[]): string {
  return path.map((p) => (p.startsWith("[") ? p : `.${p}`)).join("");
}

export class ReturnedFacts {
  /** Per function: locals it returns, by where (`@ret3.model` → `model`, `@ret3` → `opt`). */
  private readonly aliases = new Map<number, Map<string, string>>();
  private readonly imports: FactImport[] = [];
  /** Per function: names it declares (a module built there is invisible to callers unless returned). */
  private readonly locals = new Map<number, Set<string>>();
  /** Per function: its parameter names (`$i` receivers are written by name in facts). */
  constructor(private readonly params: (fn: number) => string[]) {}

  /** The callee returns its local (or parameter) `name` at `path` of its result. */
  returnsLocal(fn: number, path: string[], name: string): void {
    let m = this.aliases.get(fn);
    if (m === undefined) this.aliases.set(fn, (m = new Map()));
    const at = returnKey(fn) + joinPath(path);
    if (!m.has(at)) m.set(at, name);
  }

  declaresLocal(fn: number, name: string): void {
    let m = this.locals.get(fn);
    if (m === undefined) this.locals.set(fn, (m = new Set()));
    m.add(name);
  }

  bind(i: FactImport): void {
    if (i.bindings.length > 0) this.imports.push(i);
  }

  /** Copies every import's facts into the caller's names (callers of callers too: a few rounds). */
  apply(facts: OptimizerFacts): void {
    for (let round = 0; round < 3; round++) {
      let grew = false;
      for (const i of this.imports) if (this.applyOne(facts, i)) grew = true;
      if (!grew) break;
    }
  }

  private applyOne(facts: OptimizerFacts, imp: FactImport): boolean {
    const ret = returnKey(imp.callee);
    const aliases = this.aliases.get(imp.callee) ?? new Map<string, string>();
    const params = this.params(imp.callee);
    // Callee text → caller text: parameters by argument, returned locals by where they went.
    const translate = (text: string): string | null => {
      const dot = text.search(/[.[]/);
      const head = dot < 0 ? text : text.slice(0, dot);
      const rest = dot < 0 ? "" : text.slice(dot);
      // Parameters are written by name or as `$i` / `$this` in the callee's facts.
      const p = /^\$\d+$/.test(head) ? Number(head.slice(1)) : params.indexOf(head);
      if (p >= 0) return imp.args[p] === null || imp.args[p] === undefined ? null : norm(imp.args[p]!) + rest;
      if (head === "$this" || head === "this") return imp.thisArg === null ? null : norm(imp.thisArg) + rest;
      for (const [at, local] of aliases) {
        if (local !== head) continue;
        const there = this.callerText(at.slice(ret.length), imp.bindings);
        if (there !== null) return there + rest;
      }
      // A name the callee doesn't declare is the file's: the same text for the caller.
      return this.locals.get(imp.callee)?.has(head) ? null : text;
    };
    let grew = false;
    const add = (set: Set<string>, key: string) => {
      if (!set.has(key)) {
        set.add(key);
        grew = true;
      }
    };
    for (const b of imp.bindings) {
      const from = ret + joinPath(b.path);
      // The value itself (an optimizer built in the return), or a local returned there.
      const prefixes: [string, string][] = [[from, norm(b.key)]];
      for (const [at, local] of aliases) {
        const below = suffixUnder(at, from);
        if (below !== null) prefixes.push([local, norm(b.key) + below]);
      }
      for (const [src, dst] of prefixes) {
        for (const set of [facts.optimizers, facts.notOptimizers, facts.optimizerCollections, facts.fresh] as Set<string>[]) {
          for (const k of [...set]) {
            const s = suffixUnder(k, src);
            if (s !== null) add(set, dst + s);
          }
        }
        for (const [k, modules] of [...facts.sources]) {
          const s = suffixUnder(k, src);
          if (s === null || facts.sources.has(dst + s)) continue;
          const translated = [...modules].map(translate);
          if (translated.every((t): t is string => t !== null)) {
            facts.sources.set(dst + s, new Set(translated));
            grew = true;
          }
        }
      }
    }
    return grew;
  }

  /** Where the caller holds the callee's result at `suffix` (`.model`, `[0]`, or ""), if it kept it. */
  private callerText(suffix: string, bindings: ResultBinding[]): string | null {
    for (const b of bindings) {
      const path = joinPath(b.path);
      const below = suffixUnder(suffix === "" ? "@" : "@" + suffix, "@" + path);
      if (below !== null) return norm(b.key) + below;
    }
    return null;
  }
}
