/** Rule metadata and messages: declared data, one entry per rule (ids are stable). */
import type { RuleId, Severity } from "../core/types";

export interface RuleMeta {
  id: RuleId;
  severity: Severity;
  summary: string;
  fixable: boolean;
}

export const RULES: Record<RuleId, RuleMeta> = {
  "missing-zero-grad": {
    id: "missing-zero-grad",
    severity: "warning",
    summary: "An optimizer step applies gradients accumulated across iterations because zeroGrad() is missing on some path between steps.",
    fixable: true,
  },
  "zero-grad-discards-gradients": {
    id: "zero-grad-discards-gradients",
    severity: "warning",
    summary: "A zeroGrad() throws away gradients that the optimizer's step() was meant to use.",
    fixable: true,
  },
};

/** Each rule's reference page (docs/rules/<id>.md), where diagnostics' and SARIF's links point. */
export function ruleDocsUrl(id: RuleId): string {
  return `https://github.com/gradlens/gradlens/blob/main/docs/rules/${id}.md`;
}

/** How a language writes the zero: messages and inserted code use the file's own spelling. */
export interface Spelling {
  /** The zero call as shown in messages: `optimizer.zeroGrad()`. */
  zeroCall(optimizer: string): string;
  /** Code that zeroes: the optimizer's zero, or clearing a manually updated tensor's gradient. */
  zeroCode(name: string, manual: boolean): string;
}

export const TYPESCRIPT_SPELLING: Spelling = {
  zeroCall: (o) => `${o}.zeroGrad()`,
  zeroCode: (name, manual) => (manual ? `${name}.grad = null` : `${name}.zeroGrad()`),
};

export const PYTHON_SPELLING: Spelling = {
  zeroCall: (o) => `${o}.zero_grad()`,
  zeroCode: (name, manual) => (manual ? `${name}.grad = None` : `${name}.zero_grad()`),
};

export const messages = {
  /** `pyTorchSpelling`: a TypeScript file calls `<optimizer>.zero_grad()`, which the engine doesn't have. */
  missing(spelling: Spelling, optimizer: string, manual: boolean, zeroedSomewhere: boolean, pyTorchSpelling = false): string {
    if (manual) {
      return `\`${optimizer}\` is updated from \`${optimizer}.grad\`, which accumulates across iterations: ` +
        `\`${optimizer}.grad\` is ${zeroedSomewhere ? "not cleared on every path" : "never cleared"} between updates`;
    }
    return `\`${optimizer}.step()\` applies gradients accumulated across iterations: ` +
      `\`${spelling.zeroCall(optimizer)}\` is ${zeroedSomewhere ? "not called on every path" : "never called"} between steps` +
      (pyTorchSpelling ? ` (\`${optimizer}.zero_grad()\` is PyTorch's spelling: in gradlens it is \`${optimizer}.zeroGrad()\`)` : "");
  },
  /** A batch's gradients outlive an iteration that skipped the step (`continue` before it). */
  leaked(spelling: Spelling, optimizer: string, manual: boolean): string {
    const applies = manual ? `The update of \`${optimizer}\`` : `\`${optimizer}.step()\``;
    return `${applies} can apply the gradients of an earlier batch whose step was skipped: an iteration can end after backward() ` +
      `without reaching it, and \`${spelling.zeroCode(optimizer, manual)}\` does not run on that path, so the next ${manual ? "update" : "step"} applies both batches' gradients`;
  },
  /** A zero covers part of what the optimizer owns: `parts` are left stale. */
  missingPart(optimizer: string, parts: string[], zeroedSomewhere: boolean): string {
    const names = parts.map((p) => `\`${p}\``).join(", ");
    return `\`${optimizer}.step()\` applies gradients accumulated across iterations for ${names}: the zero here clears only part of what ` +
      `\`${optimizer}\` owns, and ${names}'s gradients are ${zeroedSomewhere ? "not zeroed on every path" : "never zeroed"} between steps`;
  },
  discardedBeforeStep(zero: string, optimizer: string): string {
    return `\`${zero}\` discards the gradients of the preceding backward() before \`${optimizer}.step()\` uses them: the step applies no gradient`;
  },
  /** The zero repeats in a loop that the step comes after: only the last iteration's gradients are applied. */
  accumulationDefeatedInLoop(zero: string, optimizer: string): string {
    return `\`${zero}\` runs on every iteration of a loop that \`${optimizer}.step()\` comes after: each iteration discards the ` +
      "gradients of the ones before it, so the step applies only the last iteration's";
  },
  accumulationDefeated(zero: string, optimizer: string): string {
    return `\`${zero}\` discards gradients that are still accumulating: \`${optimizer}.step()\` does not run on every path ` +
      "between backward() and this zero, so those gradients are thrown away before any step uses them";
  },
  relatedStep: (optimizer: string) => `\`${optimizer}.step()\` re-applies the old gradients here`,
  relatedStepUses: (optimizer: string) => `\`${optimizer}.step()\` that should use them`,
  relatedLoop: "in this loop",
  relatedSkippedBackward: "gradients of the skipped batch computed here",
  relatedBackward: "gradients computed here",
};
