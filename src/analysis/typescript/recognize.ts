/**
 * Recognisers: what a piece of TypeScript/JavaScript means for gradients. Receivers are turned
 * into text (`this.optimizer`, `$0.parameters()`), which is all the core compares.
 */
import type { TSESTree } from "@typescript-eslint/typescript-estree";
import { forEachChild, Node } from "./parse";

/** Array methods that call their callback once per element: the callback body is a loop body. */
export const ITERATION_METHODS = new Set(["forEach", "map", "flatMap", "filter", "reduce", "reduceRight", "some", "every", "find", "findIndex", "findLast", "findLastIndex"]);
/** Functions that run a callback exactly once, in place. */
export const ONCE_CALLERS = new Set(["noGrad", "enableGrad", "withNoGrad", "tidy"]);
export { INPLACE_UPDATES } from "../core/optimizers";

const OPTIMIZER_CLASS = /^(SGD|Adam|AdamW|Adamax|Adagrad|Adadelta|RMSprop|Rprop|LBFGS|NAdam|RAdam|ASGD|SparseAdam|Lion|Lamb|LARS|Adafactor|Optimizer)$|Optim(izer)?$/;
const NOT_OPTIMIZER_CLASS = /LR$|Scheduler$|^LambdaLR|Env(ironment)?$|Gym/;

export function isOptimizerClassName(name: string): boolean {
  return OPTIMIZER_CLASS.test(name) && !NOT_OPTIMIZER_CLASS.test(name);
}

export function isNotOptimizerClassName(name: string): boolean {
  return NOT_OPTIMIZER_CLASS.test(name);
}

/** `optim.SGD` / `SGD` / `nn.optim.Adam` → the class name. */
export function calleeName(callee: TSESTree.Expression | TSESTree.Node): string | null {
  if (callee.type === "Identifier") return callee.name;
  if (callee.type === "MemberExpression" && !callee.computed && callee.property.type === "Identifier") return callee.property.name;
  return null;
}

export function propertyName(node: TSESTree.Node): string | null {
  if (node.type === "MemberExpression") {
    if (!node.computed && (node.property.type === "Identifier" || node.property.type === "PrivateIdentifier")) return node.property.name;
    if (node.computed && node.property.type === "Literal" && typeof node.property.value === "string") return node.property.value;
  }
  return null;
}

export function isFunctionNode(node: Node): node is TSESTree.FunctionExpression | TSESTree.ArrowFunctionExpression | TSESTree.FunctionDeclaration {
  return node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression" || node.type === "FunctionDeclaration";
}

export function unwrap(node: TSESTree.Node): TSESTree.Node {
  let n = node;
  for (;;) {
    if (n.type === "TSNonNullExpression" || n.type === "TSAsExpression" || n.type === "TSSatisfiesExpression" || n.type === "TSTypeAssertion" || n.type === "ChainExpression") n = n.expression;
    else if (n.type === "AwaitExpression") n = n.argument;
    else return n;
  }
}

export interface Namer {
  /** Parameter index of a name in the current function, if it is one. */
  param(name: string): number | undefined;
  /** Whether `this` is the current function's own receiver. */
  hasThis: boolean;
  /** Loop-variable aliases (`p` in `for (const p of model.parameters())`). */
  alias(name: string): string | undefined;
}

/** A receiver as text, with parameters as `$i` and the method receiver as `$this`; null if not a simple path. */
export function receiverText(node: TSESTree.Node, namer: Namer, depth = 0): string | null {
  if (depth > 32) return null;
  const n = unwrap(node);
  switch (n.type) {
    case "Identifier": {
      const alias = namer.alias(n.name);
      if (alias !== undefined) return alias;
      const i = namer.param(n.name);
      return i === undefined ? n.name : `$${i}`;
    }
    case "ThisExpression":
      return namer.hasThis ? "$this" : "this";
    case "Super":
      return namer.hasThis ? "$this" : "this";
    case "MemberExpression": {
      const obj = receiverText(n.object, namer, depth + 1);
      if (obj === null) return null;
      const prop = propertyName(n);
      if (prop !== null) return `${obj}.${prop}`;
      if (n.computed && n.property.type === "Literal") return `${obj}[${String(n.property.value)}]`;
      // optimizers[i]: an element of a collection, named by its index as written.
      if (n.computed && n.property.type === "Identifier") return `${obj}[${n.property.name}]`;
      return null;
    }
    case "CallExpression": {
      // optimizers.get("head"): an element of a map.
      if (n.callee.type === "MemberExpression" && propertyName(n.callee) === "get" && n.arguments.length === 1 && n.arguments[0].type === "Literal") {
        const obj = receiverText(n.callee.object, namer, depth + 1);
        return obj === null ? null : `${obj}[${String(n.arguments[0].value)}]`;
      }
      // model.parameters() names the parameter collection of a module.
      const prop = n.callee.type === "MemberExpression" ? propertyName(n.callee) : null;
      if ((prop === "parameters" || prop === "namedParameters") && n.arguments.length === 0 && n.callee.type === "MemberExpression") {
        const obj = receiverText(n.callee.object, namer, depth + 1);
        return obj === null ? null : `${obj}.parameters()`;
      }
      return null;
    }
    default:
      return null;
  }
}

/**
 * The tensors whose `.grad` an expression reads: directly (`p.grad`), or through a buffer filled
 * from one (`derived`: `v` after `v.mul_(m).add_(p.grad)` holds p's gradient).
 */
export function gradSources(node: TSESTree.Node, namer: Namer, derived: ReadonlyMap<string, string>): Set<string> {
  const out = new Set<string>();
  const stack: TSESTree.Node[] = [node];
  let budget = 2000;
  while (stack.length > 0 && budget-- > 0) {
    const n = stack.pop()!;
    if (n.type === "MemberExpression" && propertyName(n) === "grad") {
      const t = receiverText(n.object, namer);
      if (t !== null) out.add(t);
      continue;
    }
    if (derived.size > 0 && (n.type === "Identifier" || n.type === "MemberExpression")) {
      const t = receiverText(n, namer);
      const from = t === null ? undefined : derived.get(t);
      if (from !== undefined) {
        out.add(from);
        continue;
      }
    }
    forEachChild(n, (c) => stack.push(c));
  }
  return out;
}

/** `v.mul_(m).add_(g)` → `v`: the tensor a chain of in-place calls writes to. */
export function inplaceBase(node: TSESTree.Node): TSESTree.Node {
  let n = unwrap(node);
  for (let i = 0; i < 32; i++) {
    if (n.type !== "CallExpression" || n.callee.type !== "MemberExpression") break;
    const name = propertyName(n.callee);
    if (name === null || !name.endsWith("_")) break;
    n = unwrap(n.callee.object);
  }
  return n;
}

/** `M.parameters()` → module M; `O.params` / `g.params` of `O.paramGroups` → optimizer O. */
export function parameterCollection(iterable: TSESTree.Node, namer: Namer): string | null {
  const n = unwrap(iterable);
  const text = receiverText(n, namer);
  if (text === null) return null;
  if (text.endsWith(".parameters()")) return text;
  if (text.endsWith(".params")) return text;
  if (text.endsWith(".paramGroups")) return text;
  return null;
}

export function isNullish(node: TSESTree.Node): boolean {
  const n = unwrap(node);
  return (n.type === "Literal" && n.value === null && !("regex" in n && n.regex)) || (n.type === "Identifier" && n.name === "undefined");
}
