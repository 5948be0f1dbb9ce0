/**
 * Branch tests → the core's conditions. Counter phases: `(i + 1) % N === 0`, `i % N === 0`,
 * `step % 4 !== 3`, `micro === N - 1`, `micro < N`; pure tests (`isBoundary`, `a > b`) become opaque
 * guards whose outcome a path remembers until one of their variables is written. Tests with calls
 * (`Math.random() < 0.5`, `scaler.shouldStep()`) may change between evaluations: never correlated.
 */
import type { TSESTree } from "@typescript-eslint/typescript-estree";
import type { Cond, GuardVar } from "../core/cfg";
import { inRangeMask, lastMask, residueTestMask, startMask } from "../core/guards";
import { UNKNOWN } from "../core/graphKit";
import { forEachChild } from "./parse";
import { unwrap } from "./recognize";

// The kit's "constrains nothing" condition: it drops assumptions by identity, so there is one object.
export { UNKNOWN } from "../core/graphKit";

export interface GuardScope {
  /** Source text of a node, whitespace removed (for keys). */
  src(node: TSESTree.Node): string;
  /** Interns a guard variable of the current function (`reads`: the identifiers an opaque test reads). */
  guardVar(g: GuardVar, reads?: string[]): number;
  /** `c` → `N` for a counter of an enclosing bounded loop `for (let c = 0; c < N; c++)`. */
  boundOf(counter: string): string | undefined;
  /** A `const` whose initialiser is a condition (`const isBoundary = (i + 1) % N === 0`). */
  conditionAlias(name: string): Cond | undefined;
}

const EQ = new Set(["===", "=="]);
const NE = new Set(["!==", "!="]);

/** An integer literal (`3`, `-1`), or null. */
export function intLiteral(n: TSESTree.Node): number | null {
  const u = unwrap(n);
  if (u.type === "Literal" && typeof u.value === "number" && Number.isInteger(u.value)) return u.value;
  if (u.type === "UnaryExpression" && u.operator === "-") {
    const v = intLiteral(u.argument);
    return v === null ? null : -v;
  }
  return null;
}

/** `a`, `this`, `a.b.c`: a receiver path with no computation in it. */
export function isSimplePath(n: TSESTree.Node): boolean {
  const u = unwrap(n);
  if (u.type === "Identifier" || u.type === "ThisExpression") return true;
  return u.type === "MemberExpression" && !u.computed && isSimplePath(u.object);
}

/** `c` or `c + k` / `k + c` / `c - k` → [counter, k]. */
function counterPlus(n: TSESTree.Node): [string, number] | null {
  const u = unwrap(n);
  if (u.type === "Identifier") return [u.name, 0];
  if (u.type === "BinaryExpression" && (u.operator === "+" || u.operator === "-")) {
    const l = unwrap(u.left), r = intLiteral(u.right);
    if (l.type === "Identifier" && r !== null) return [l.name, u.operator === "+" ? r : -r];
    const k = intLiteral(u.left), rr = unwrap(u.right);
    if (u.operator === "+" && k !== null && rr.type === "Identifier") return [rr.name, k];
  }
  return null;
}

export class ConditionReader {
  constructor(private readonly scope: GuardScope) {}

  read(test: TSESTree.Node, depth = 0): Cond {
    if (depth > 16) return UNKNOWN;
    const n = unwrap(test);
    switch (n.type) {
      case "LogicalExpression":
        if (n.operator === "??") return UNKNOWN;
        return this.combine(n.operator === "&&" ? "and" : "or", this.read(n.left, depth + 1), this.read(n.right, depth + 1));
      case "UnaryExpression":
        if (n.operator === "!") {
          const inner = this.read(n.argument, depth + 1);
          return inner === UNKNOWN ? UNKNOWN : { t: "not", a: inner };
        }
        break;
      case "Identifier": {
        const alias = this.scope.conditionAlias(n.name);
        if (alias !== undefined) return alias;
        break;
      }
      case "BinaryExpression": {
        const phase = this.phase(n);
        if (phase !== null) return phase;
        break;
      }
    }
    return this.opaque(n);
  }

  private combine(t: "and" | "or", a: Cond, b: Cond): Cond {
    if (a === UNKNOWN && b === UNKNOWN) return UNKNOWN;
    return { t, a, b };
  }

  /** A pure test, remembered by its text; UNKNOWN if evaluating it twice may differ. */
  private opaque(n: TSESTree.Node): Cond {
    if (!isPure(n)) return UNKNOWN;
    return { t: "opaque", v: this.scope.guardVar({ kind: "opaque", text: this.scope.src(n) }, identifiersOf(n)) };
  }

  private phase(n: TSESTree.BinaryExpression): Cond | null {
    const op = n.operator;
    if (EQ.has(op) || NE.has(op)) {
      const positive = EQ.has(op);
      const c = this.residueTest(n.left, n.right) ?? this.residueTest(n.right, n.left) ?? this.boundedEquality(n.left, n.right) ?? this.boundedEquality(n.right, n.left);
      if (c === null) return null;
      return positive ? c : { t: "not", a: c };
    }
    if (op === "<" || op === ">") {
      const [small, big] = op === "<" ? [n.left, n.right] : [n.right, n.left];
      return this.boundedLess(small, big);
    }
    return null;
  }

  /** `(c + k) % N` compared with a value: the residue of c it pins down. */
  private residueTest(modExpr: TSESTree.Node, value: TSESTree.Node): Cond | null {
    const m = unwrap(modExpr);
    if (m.type !== "BinaryExpression" || m.operator !== "%") return null;
    const cp = counterPlus(m.left);
    if (cp === null) return null;
    const [counter, k] = cp;
    const modulus = unwrap(m.right);
    const literal = intLiteral(modulus);
    if (literal === null && !isSimplePath(modulus)) return null;
    if (literal !== null && (literal < 2 || literal > 8)) return null;
    const modText = this.scope.src(modulus);
    const r = this.valueOf(value, modText);
    if (r === null) return null;
    const g = { kind: "phase" as const, counter, modulus: modText, size: literal ?? 0, bounded: false };
    const mask = residueTestMask(g, literal, k, r);
    return mask === null ? null : { t: "phase", v: this.scope.guardVar(g), mask };
  }

  /** A literal, or `N - 1` for the modulus N ("last"). */
  private valueOf(value: TSESTree.Node, modText: string): number | "last" | null {
    const lit = intLiteral(value);
    if (lit !== null) return lit;
    const v = unwrap(value);
    if (v.type === "BinaryExpression" && v.operator === "-" && intLiteral(v.right) === 1 && this.scope.src(v.left) === modText) return "last";
    return null;
  }

  /** `c === N - 1`, `c + 1 === N`, `c === 0` for a bounded counter. */
  private boundedEquality(left: TSESTree.Node, right: TSESTree.Node): Cond | null {
    const cp = counterPlus(left);
    if (cp === null) return null;
    const [counter, k] = cp;
    const lit = intLiteral(right);
    if (lit !== null) {
      const bound = this.scope.boundOf(counter);
      if (bound === undefined || lit - k !== 0) return null;
      return this.boundedVar(counter, bound, "start");
    }
    const r = unwrap(right);
    if (!isSimplePath(r) && r.type !== "BinaryExpression") return null;
    // c + 1 === N  |  c === N - 1
    const isLast = (k === 1 && isSimplePath(r)) || (k === 0 && r.type === "BinaryExpression" && r.operator === "-" && intLiteral(r.right) === 1 && isSimplePath(r.left));
    if (!isLast) return null;
    const bound = k === 1 ? this.scope.src(r) : this.scope.src((r as TSESTree.BinaryExpression).left);
    return this.boundedVar(counter, bound, "last");
  }

  /** `c < N` (in range), `c < N - 1` / `c + 1 < N` (before the last). */
  private boundedLess(small: TSESTree.Node, big: TSESTree.Node): Cond | null {
    const cp = counterPlus(small);
    if (cp === null) return null;
    const [counter, k] = cp;
    const b = unwrap(big);
    let bound: string, beforeLast: boolean;
    if (k === 0 && isSimplePath(b)) [bound, beforeLast] = [this.scope.src(b), false];
    else if ((k === 0 && b.type === "BinaryExpression" && b.operator === "-" && intLiteral(b.right) === 1 && isSimplePath(b.left))) [bound, beforeLast] = [this.scope.src(b.left), true];
    else if (k === 1 && isSimplePath(b)) [bound, beforeLast] = [this.scope.src(b), true];
    else return null;
    const lit = intLiteral(b);
    if (lit !== null) return null; // `i < 10`: the loop's own bound, not a window
    if (this.scope.boundOf(counter) !== bound) return null;
    const g = { kind: "phase" as const, counter, modulus: bound, size: 0, bounded: true };
    const mask = beforeLast ? inRangeMask(g) & ~lastMask(g) : inRangeMask(g);
    return { t: "phase", v: this.scope.guardVar(g), mask };
  }

  private boundedVar(counter: string, bound: string, at: "start" | "last"): Cond {
    const g = { kind: "phase" as const, counter, modulus: bound, size: 0, bounded: true };
    return { t: "phase", v: this.scope.guardVar(g), mask: at === "last" ? lastMask(g) : startMask(g) };
  }
}

/** The loop test `c < N` of `for (let c = 0; c < N; c++)`: [counter, bound] when N is not a literal. */
export function boundedLoopCounter(test: TSESTree.Node | null | undefined, src: (n: TSESTree.Node) => string): [string, string] | null {
  if (!test) return null;
  const t = unwrap(test);
  if (t.type !== "BinaryExpression" || t.operator !== "<") return null;
  const l = unwrap(t.left), r = unwrap(t.right);
  if (l.type !== "Identifier" || !isSimplePath(r)) return null;
  return [l.name, src(r)];
}

/** No calls, assignments, updates or other effects: evaluating it twice gives the same answer. */
export function isPure(node: TSESTree.Node): boolean {
  const stack: TSESTree.Node[] = [node];
  let budget = 200;
  while (stack.length > 0) {
    if (budget-- <= 0) return false;
    const n = stack.pop()!;
    switch (n.type) {
      case "Identifier": case "Literal": case "ThisExpression": case "MemberExpression": case "BinaryExpression":
      case "LogicalExpression": case "UnaryExpression": case "ConditionalExpression": case "TSNonNullExpression":
      case "TSAsExpression": case "ChainExpression": case "PrivateIdentifier":
        if (n.type === "UnaryExpression" && n.operator === "delete") return false;
        break;
      default:
        return false;
    }
    forEachChild(n, (c) => stack.push(c));
  }
  return true;
}

/** Identifiers a pure test reads (the variables whose writes make it forgotten). */
export function identifiersOf(node: TSESTree.Node): string[] {
  const out = new Set<string>();
  const stack: TSESTree.Node[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type === "Identifier") out.add(n.name);
    if (n.type === "MemberExpression") {
      stack.push(n.object);
      if (n.computed) stack.push(n.property);
      continue;
    }
    forEachChild(n, (c) => stack.push(c));
  }
  return [...out];
}
