/** Which receivers are optimizers, and which optimizers a zero clears. */
import type { OptimizerFacts, ZeroTarget } from "./cfg";

/** In-place tensor updates that, fed the tensor's own .grad, are a manual optimizer step (both languages). */
export const INPLACE_UPDATES = new Set(["sub_", "add_", "copy_", "addcmul_", "addcdiv_", "set_", "mul_", "div_", "lerp_"]);

/** Names that read as an optimizer: opt, optD, optimizerG, genOptimizer, adam... */
const OPTIMIZER_NAME = /^(opt|optim|optimi[sz]er)([A-Z0-9_]\w*)?$|(Opt|Optim|Optimi[sz]er)([A-Z0-9_]\w*)?$/;
const NEVER_OPTIMIZER_NAME = /sched|scheduler|^lr|LR$|env|environment|world|sim/i;

/** Whether a plain name reads as an optimizer's (for untyped parameters and receivers). */
export function looksLikeOptimizerName(name: string): boolean {
  return OPTIMIZER_NAME.test(name) && !NEVER_OPTIMIZER_NAME.test(name);
}

/** Whether module `part` is `module` or one of its submodules (`model.head` within `model`). */
export function withinModule(part: string, module: string): boolean {
  return part === module || part.startsWith(module + ".");
}

export function lastSegment(text: string): string {
  const i = text.lastIndexOf(".");
  return i < 0 ? text : text.slice(i + 1);
}

/** `a.b.opt` / `$this.opt` → `this.opt`, so fields set in a constructor are recognised through any receiver. */
function asField(text: string): string | null {
  const i = text.lastIndexOf(".");
  return i < 0 ? null : `this.${text.slice(i + 1)}`;
}

/** Plural names of a collection of optimizers: optimizers, opts, optims, optimizerList. */
const OPTIMIZER_COLLECTION_NAME = /^(opts|optims|optimi[sz]ers)([A-Z0-9_]\w*)?$|(Opts|Optims|Optimi[sz]ers)$|^optimi[sz]erList$/;

/** Whether a receiver text reads as a collection of optimizers (`optimizers`, `this.opts`). */
export function looksLikeOptimizerCollection(text: string): boolean {
  return OPTIMIZER_COLLECTION_NAME.test(lastSegment(text));
}

/** `C[i]` / `C[*]` → [C, index]; null when the text isn't an element of a collection. */
export function elementOf(text: string): [string, string] | null {
  if (!text.endsWith("]")) return null;
  const open = text.lastIndexOf("[");
  return open <= 0 ? null : [text.slice(0, open), text.slice(open + 1, -1)];
}

export class OptimizerOracle {
  /** `$i` texts that name optimizer parameters of the function being analysed as a root. */
  rootParams = new Set<string>();

  constructor(private readonly facts: OptimizerFacts) {}

  isOptimizer(raw: string): boolean {
    if (this.rootParams.has(raw)) return true;
    const text = norm(raw);
    const { optimizers, notOptimizers, zeroGradReceivers, stepReceivers, optimizerCollections } = this.facts;
    if (optimizers.has(text)) return true;
    if (zeroGradReceivers.has(text) && stepReceivers.has(text)) return true;
    if (notOptimizers.has(text)) return false;
    const element = elementOf(text);
    if (element !== null) {
      const [coll] = element;
      return optimizerCollections.has(coll) || (asField(coll) !== null && optimizerCollections.has(asField(coll)!)) ||
        looksLikeOptimizerCollection(coll);
    }
    const field = asField(text);
    if (field !== null) {
      if (optimizers.has(field)) return true;
      if (notOptimizers.has(field)) return false;
    }
    return looksLikeOptimizerName(lastSegment(text));
  }

  private sourcesOf(raw: string): Set<string> | undefined {
    const key = norm(raw);
    return this.facts.sources.get(key) ?? (asField(key) !== null ? this.facts.sources.get(asField(key)!) : undefined);
  }

  /** Whether optimizer `rawKey` is known to own the parameters of module `part` (it steps them too). */
  covers(rawKey: string, part: string): boolean {
    const sources = this.sourcesOf(rawKey);
    return sources !== undefined && [...sources].some((s) => withinModule(part, s));
  }

  /** The modules an optimizer owns, each analysed on its own; [null] when ownership is unknown. */
  partsOf(rawKey: string): (string | null)[] {
    if (rawKey.startsWith("manual:")) return [null];
    const sources = this.sourcesOf(rawKey);
    return sources === undefined || sources.size === 0 ? [null] : [...sources].sort();
  }

  private isFresh(text: string): boolean {
    return this.facts.fresh.has(norm(text));
  }

  /**
   * Whether a zero clears the gradients that optimizer `key` steps with, for the part `part` of
   * what it owns: "yes", "no", or "maybe" when the receiver or the ownership can't be resolved.
   * `key` may also be a manual optimizer (`manual`): a tensor, or `M.parameters()` for a loop
   * updating a module's parameters by hand.
   */
  clears(target: ZeroTarget, resolve: (text: string) => string | null, rawKey: string, part: string | null, manual: boolean): Clears {
    const key = norm(rawKey);
    switch (target.type) {
      case "all":
        return "maybe";
      case "tensor": {
        const resolved = resolve(target.key);
        if (resolved === null || !manual) return "maybe";
        return norm(resolved) === key ? "yes" : "no";
      }
      case "zeroGrad": {
        let result: Clears = "no";
        for (const k of target.keys) {
          const resolved = resolve(k);
          const one = resolved === null ? "maybe" : this.clearsOne(norm(resolved), key, part, manual);
          if (one === "yes") return "yes";
          if (one === "maybe") result = "maybe";
        }
        return result;
      }
    }
  }

  private clearsOne(zeroed: string, key: string, part: string | null, manual: boolean): Clears {
    if (manual) {
      if (key === `${zeroed}.parameters()`) return "yes";
      if (!this.isOptimizer(zeroed)) return "maybe";
      // An optimizer's zero clears its own parameters: a hand-updated tensor may be one of them
      // (a wrapper like SAM perturbs the weights its base optimizer owns), unless both are known apart.
      const sources = this.sourcesOf(zeroed);
      const updated = key.endsWith(".parameters()") ? key.slice(0, -".parameters()".length) : key;
      if (sources !== undefined && this.isFresh(updated) && [...sources].every((s) => s !== updated && this.isFresh(s))) return "no";
      return "maybe";
    }
    if (this.isOptimizer(zeroed)) {
      const same = sameOptimizer(zeroed, key);
      if (same !== "no" || part === null) return same;
      // Another optimizer over parameters that include this part clears its gradients too.
      return this.covers(zeroed, part) ? "yes" : "no";
    }
    // A module: clears the part of an optimizer built from its parameters.
    if (part === null) return "maybe";
    if (withinModule(part, zeroed)) return "yes";
    if (zeroed.startsWith(part + ".")) return "maybe"; // a submodule: part of the part
    return this.isFresh(zeroed) && this.isFresh(part) ? "no" : "maybe";
  }
}

/** Two optimizer texts: the same one, another one, or elements of one collection that may coincide. */
function sameOptimizer(zeroed: string, key: string): Clears {
  if (zeroed === key) return "yes";
  const a = elementOf(zeroed), b = elementOf(key);
  if (a !== null && b !== null && a[0] === b[0]) {
    if (a[1] === "*") return "yes";
    // `optimizers[0]` and `optimizers[1]` (or `opts["g"]` and `opts["d"]`) are different elements; `optimizers[i]` may be either.
    const literal = (x: string) => /^\d+$/.test(x) || /^".*"$/.test(x);
    if (literal(a[1]) && literal(b[1])) return a[1] === b[1] ? "yes" : "no";
    return "maybe";
  }
  return "no";
}

export type Clears = "yes" | "no" | "maybe";

/** Method receivers are `$this` inside a method and `this` where facts were recorded. */
export function norm(text: string): string {
  return text.startsWith("$this") ? "this" + text.slice(5) : text;
}
