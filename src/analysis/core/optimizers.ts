/** Which receivers are optimizers, and which optimizers a zero clears. */
import type { OptimizerFacts, ZeroTarget } from "./cfg";

/** Names that read as an optimizer: opt, optD, optimizerG, genOptimizer, adam... */
const OPTIMIZER_NAME = /^(opt|optim|optimi[sz]er)([A-Z0-9_]\w*)?$|(Opt|Optim|Optimi[sz]er)([A-Z0-9_]\w*)?$/;
const NEVER_OPTIMIZER_NAME = /sched|scheduler|^lr|LR$|env|environment|world|sim/i;

/** Whether a plain name reads as an optimizer's (for untyped parameters and receivers). */
export function looksLikeOptimizerName(name: string): boolean {
  return OPTIMIZER_NAME.test(name) && !NEVER_OPTIMIZER_NAME.test(name);
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

export class OptimizerOracle {
  /** `$i` texts that name optimizer parameters of the function being analysed as a root. */
  rootParams = new Set<string>();

  constructor(private readonly facts: OptimizerFacts) {}

  isOptimizer(raw: string): boolean {
    if (this.rootParams.has(raw)) return true;
    const text = norm(raw);
    const { optimizers, notOptimizers, zeroGradReceivers, stepReceivers } = this.facts;
    if (optimizers.has(text)) return true;
    if (zeroGradReceivers.has(text) && stepReceivers.has(text)) return true;
    if (notOptimizers.has(text)) return false;
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

  private isKnownSource(module: string): boolean {
    for (const set of this.facts.sources.values()) if (set.has(module)) return true;
    return false;
  }

  /**
   * Whether a zero (with its receiver resolved into the analysis namespace) clears the gradients
   * that optimizer `key` steps with: "yes", "no", or "maybe" when the receiver or the
   * module→optimizer mapping can't be resolved. `key` may also be a manual optimizer: a tensor,
   * or `M.parameters()` for a loop updating a module's parameters by hand.
   */
  clears(target: ZeroTarget, rawResolved: string | null, rawKey: string): Clears {
    const resolved = rawResolved === null ? null : norm(rawResolved);
    const key = norm(rawKey);
    switch (target.type) {
      case "all":
        return "maybe";
      case "tensor":
        return resolved === null ? "maybe" : resolved === key ? "yes" : "no";
      case "zeroGrad": {
        if (resolved === null) return "maybe";
        if (this.isOptimizer(resolved)) return resolved === key ? "yes" : "no";
        // A module: clears the optimizers built from its parameters.
        if (key === `${resolved}.parameters()`) return "yes";
        // A module nobody built an optimizer from, or an optimizer whose parameters are unknown.
        if (!this.isKnownSource(resolved)) return "maybe";
        const sources = this.sourcesOf(key);
        return sources === undefined ? "maybe" : sources.has(resolved) ? "yes" : "no";
      }
    }
  }
}

export type Clears = "yes" | "no" | "maybe";

/** Method receivers are `$this` inside a method and `this` where facts were recorded. */
export function norm(text: string): string {
  return text.startsWith("$this") ? "this" + text.slice(5) : text;
}
