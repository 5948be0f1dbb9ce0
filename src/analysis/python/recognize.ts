/**
 * Recognisers for Python: receivers as text (`self.optimizer` → `$this.optimizer`, parameters as
 * `$i`), what an optimizer is built from, and which tensors' `.grad` an expression reads. The
 * core compares only these texts, so they follow the TypeScript front end's conventions.
 */
import { field, namedChildren, PyNode, unparen } from "./parse";

export interface PyNamer {
  param(name: string): number | undefined;
  /** The method receiver's name (`self`), or null outside methods. */
  selfName: string | null;
  alias(name: string): string | undefined;
  src(n: PyNode): string;
}

/** Optimizer classes of torch.optim and common third-party packages (and any *Optimizer). */
const OPTIMIZER_CLASS = /^(SGD|Adam|AdamW|Adamax|Adagrad|Adadelta|RMSprop|Rprop|LBFGS|NAdam|RAdam|ASGD|SparseAdam|Lion|Lamb|LAMB|LARS|Adafactor|AdaBelief|Ranger|Shampoo|SophiaG|Adan|Prodigy|DAdaptAdam|FusedAdam|FusedLAMB|AdamW8bit|Adam8bit|PagedAdamW|PagedAdamW8bit|DeepSpeedCPUAdam|ZeroRedundancyOptimizer|Optimizer)$|Optim(izer)?$/;
const NOT_OPTIMIZER_CLASS = /LR$|Scheduler$|^LambdaLR|Env(ironment)?$|Gym|Scaler$|Accelerator$/;

export function isOptimizerClass(name: string): boolean {
  return OPTIMIZER_CLASS.test(name) && !NOT_OPTIMIZER_CLASS.test(name);
}

export function isNotOptimizerClass(name: string): boolean {
  return NOT_OPTIMIZER_CLASS.test(name);
}

/** The last name of a callee: `torch.optim.Adam` → `Adam`, `Adam` → `Adam`. */
export function lastName(n: PyNode, src: (n: PyNode) => string): string | null {
  const f = unparen(n);
  if (f.type === "identifier") return src(f);
  if (f.type === "attribute") {
    const attr = field(f, "attribute");
    return attr ? src(attr) : null;
  }
  return null;
}

/** A call's arguments: positional ones, and keyword ones by name. */
export function callArguments(call: PyNode, src: (n: PyNode) => string): { positional: PyNode[]; keyword: Map<string, PyNode>; spread: boolean } {
  const args = field(call, "arguments");
  const positional: PyNode[] = [];
  const keyword = new Map<string, PyNode>();
  let spread = false;
  if (!args) return { positional, keyword, spread };
  for (const a of namedChildren(args)) {
    if (a.type === "keyword_argument") {
      const name = field(a, "name"), value = field(a, "value");
      if (name && value) keyword.set(src(name), value);
    } else if (a.type === "list_splat" || a.type === "dictionary_splat") spread = true;
    else if (a.type !== "comment") positional.push(a);
  }
  return { positional, keyword, spread };
}

/** A receiver as text: `$i` for parameters, `$this` for the method receiver, aliases for loop variables. */
export function receiverText(node: PyNode, namer: PyNamer, depth = 0): string | null {
  if (depth > 32) return null;
  const n = unparen(node);
  switch (n.type) {
    case "identifier": {
      const name = namer.src(n);
      const alias = namer.alias(name);
      if (alias !== undefined) return alias;
      if (name === namer.selfName) return "$this";
      const i = namer.param(name);
      return i === undefined ? name : `$${i}`;
    }
    case "attribute": {
      const obj = field(n, "object"), attr = field(n, "attribute");
      if (!obj || !attr) return null;
      const base = receiverText(obj, namer, depth + 1);
      if (base === null) return null;
      const name = namer.src(attr);
      // `model.module` (DDP/DataParallel) and `model._orig_mod` (torch.compile) wrap the same parameters.
      if (name === "module" || name === "_orig_mod") return base;
      return `${base}.${name}`;
    }
    case "subscript": {
      const value = field(n, "value"), sub = field(n, "subscript");
      if (!value || !sub) return null;
      const base = receiverText(value, namer, depth + 1);
      if (base === null) return null;
      const s = unparen(sub);
      if (s.type === "integer" || s.type === "identifier") return `${base}[${namer.src(s)}]`;
      // A string key stays quoted: `opts["a"]` and `opts["c"]` are known apart, `opts[k]` may be either.
      if (s.type === "string") return `${base}["${unquote(namer.src(s))}"]`;
      return null;
    }
    case "call": {
      const fn = field(n, "function");
      if (!fn || fn.type !== "attribute") return null;
      const method = namer.src(field(fn, "attribute")!);
      const { positional, keyword } = callArguments(n, namer.src);
      // model.parameters() / model.named_parameters() name the parameter collection of a module.
      if ((method === "parameters" || method === "named_parameters") && positional.length === 0 && keyword.size === 0) {
        const base = receiverText(field(fn, "object")!, namer, depth + 1);
        return base === null ? null : `${base}.parameters()`;
      }
      return null;
    }
    default:
      return null;
  }
}

/** What to show for a receiver: its source when it is a simple dotted name. */
export function displayText(node: PyNode, namer: PyNamer, fallback: string | null): string {
  const n = unparen(node);
  return isSimplePath(n) ? namer.src(n) : fallback ?? "";
}

/** `a`, `a.b`, `opts["g"]`, `optimizers[0]`, `self.opts[i]`: a receiver with no computation in it. */
export function isSimplePath(node: PyNode): boolean {
  const n = unparen(node);
  if (n.type === "identifier") return true;
  if (n.type === "attribute") return isSimplePath(field(n, "object")!);
  if (n.type === "subscript") {
    const sub = field(n, "subscript");
    return sub !== undefined && ["integer", "string", "identifier"].includes(unparen(sub).type) && isSimplePath(field(n, "value")!);
  }
  return false;
}

/**
 * The tensors whose `.grad` an expression reads: `W.grad`, `W.grad.data`, or a buffer filled from
 * one (`derived`: `v` after `v.mul_(m).add_(p.grad)` holds p's gradient).
 */
export function gradSources(node: PyNode, namer: PyNamer, derived: ReadonlyMap<string, string>): Set<string> {
  const out = new Set<string>();
  const stack: PyNode[] = [node];
  let budget = 2000;
  while (stack.length > 0 && budget-- > 0) {
    const n = stack.pop()!;
    if (n.type === "attribute" && namer.src(field(n, "attribute")!) === "grad") {
      const obj = field(n, "object")!;
      const t = receiverText(stripData(obj, namer), namer);
      if (t !== null) out.add(t);
      continue;
    }
    if (derived.size > 0 && (n.type === "identifier" || n.type === "attribute")) {
      const t = receiverText(n, namer);
      const from = t === null ? undefined : derived.get(t);
      if (from !== undefined) {
        out.add(from);
        continue;
      }
    }
    if (n.type === "lambda" || n.type === "function_definition") continue;
    for (const c of n.children) stack.push(c);
  }
  return out;
}

/** `W.data` → `W`: updates through `.data` update the tensor. */
export function stripData(n: PyNode, namer: PyNamer): PyNode {
  const u = unparen(n);
  if (u.type === "attribute" && namer.src(field(u, "attribute")!) === "data") return field(u, "object")!;
  // `p.grad.detach_().zero_()`: detaching in place keeps the same gradient tensor.
  if (u.type === "call" && (field(u, "arguments")?.children.filter((c) => c.named).length ?? 0) === 0) {
    const fn = unparen(field(u, "function")!);
    if (fn.type === "attribute" && namer.src(field(fn, "attribute")!) === "detach_") return stripData(field(fn, "object")!, namer);
  }
  return u;
}

export { INPLACE_UPDATES } from "../core/optimizers";

/** `v.mul_(m).add_(g)` → `v`: the tensor a chain of in-place calls writes to. */
export function inplaceBase(node: PyNode, namer: PyNamer): PyNode {
  let n = unparen(node);
  for (let i = 0; i < 32; i++) {
    if (n.type !== "call") break;
    const fn = field(n, "function");
    if (!fn || fn.type !== "attribute") break;
    const name = namer.src(field(fn, "attribute")!);
    if (!name.endsWith("_")) break;
    n = unparen(field(fn, "object")!);
  }
  return n;
}

/** A string literal's text without its prefix and quotes: `r"head"` → `head` (dict keys in receiver texts). */
export function unquote(literal: string): string {
  return literal.replace(/^[rbuf]*['"]+|['"]+$/gi, "");
}
