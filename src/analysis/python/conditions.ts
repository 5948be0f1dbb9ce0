/**
 * Python branch tests → the core's conditions: counter phases (`(i + 1) % accum == 0`,
 * `step % N != N - 1`, `not (i + 1) % N`) and pure tests remembered as opaque guards
 * (`is_boundary`, `epoch > warmup`). Tests that call anything may change between evaluations and
 * are never correlated.
 */
import type { Cond, GuardVar } from "../core/cfg";
import { UNKNOWN } from "../core/graphKit";
import { residueTestMask } from "../core/guards";
import { field, PyNode, unparen } from "./parse";

export interface PyGuardScope {
  src(n: PyNode): string;
  guardVar(g: GuardVar, reads?: string[]): number;
  conditionAlias(name: string): Cond | undefined;
}

export function intLiteral(n: PyNode, src: (n: PyNode) => string): number | null {
  const u = unparen(n);
  if (u.type === "integer" && /^\d+$/.test(src(u))) return Number(src(u));
  if (u.type === "unary_operator" && src(u).startsWith("-")) {
    const v = intLiteral(field(u, "argument")!, src);
    return v === null ? null : -v;
  }
  return null;
}

function isSimplePath(n: PyNode): boolean {
  const u = unparen(n);
  if (u.type === "identifier") return true;
  return u.type === "attribute" && isSimplePath(field(u, "object")!);
}

export class PyConditionReader {
  constructor(private readonly scope: PyGuardScope) {}

  read(test: PyNode, depth = 0): Cond {
    if (depth > 16) return UNKNOWN;
    const n = unparen(test);
    const src = this.scope.src;
    switch (n.type) {
      case "boolean_operator": {
        const op = src(field(n, "operator")!);
        const a = this.read(field(n, "left")!, depth + 1), b = this.read(field(n, "right")!, depth + 1);
        if (a === UNKNOWN && b === UNKNOWN) return UNKNOWN;
        return { t: op === "and" ? "and" : "or", a, b };
      }
      case "not_operator": {
        const inner = this.read(field(n, "argument")!, depth + 1);
        return inner === UNKNOWN ? UNKNOWN : { t: "not", a: inner };
      }
      case "identifier": {
        const alias = this.scope.conditionAlias(src(n));
        if (alias !== undefined) return alias;
        break;
      }
      case "comparison_operator": {
        const phase = this.comparison(n);
        if (phase !== null) return phase;
        break;
      }
      case "binary_operator": {
        // `if (i + 1) % N:` is true on every residue but 0.
        const c = this.residue(n, 0);
        if (c !== null) return { t: "not", a: c };
        break;
      }
    }
    return this.opaque(n);
  }

  private opaque(n: PyNode): Cond {
    if (!isPure(n)) return UNKNOWN;
    return { t: "opaque", v: this.scope.guardVar({ kind: "opaque", text: this.scope.src(n).replace(/\s+/g, "") }, identifiersOf(n, this.scope.src)) };
  }

  /** `a == b` / `a != b` with a residue on one side. */
  private comparison(n: PyNode): Cond | null {
    const operands = n.children.filter((c) => c.named);
    const ops = n.children.filter((c) => !c.named).map((c) => this.scope.src(c));
    if (operands.length !== 2 || ops.length !== 1 || (ops[0] !== "==" && ops[0] !== "!=")) return null;
    const [l, r] = operands;
    const c = this.residueAgainst(l, r) ?? this.residueAgainst(r, l);
    if (c === null) return null;
    return ops[0] === "==" ? c : { t: "not", a: c };
  }

  private residueAgainst(modExpr: PyNode, value: PyNode): Cond | null {
    const m = unparen(modExpr);
    if (m.type !== "binary_operator") return null;
    const v = this.valueOf(value, m);
    return v === null ? null : this.residue(m, v);
  }

  /** `(c + k) % N` equal to `r` (a literal, or "last" for N - 1). */
  private residue(m: PyNode, r: number | "last"): Cond | null {
    const src = this.scope.src;
    if (m.type !== "binary_operator" || src(field(m, "operator")!) !== "%") return null;
    const cp = this.counterPlus(field(m, "left")!);
    if (cp === null) return null;
    const [counter, k] = cp;
    const modulus = unparen(field(m, "right")!);
    const literal = intLiteral(modulus, src);
    if (literal === null && !isSimplePath(modulus)) return null;
    if (literal !== null && (literal < 2 || literal > 8)) return null;
    const modText = src(modulus).replace(/\s+/g, "");
    const g = { kind: "phase" as const, counter, modulus: modText, size: literal ?? 0, bounded: false };
    const mask = residueTestMask(g, literal, k, r);
    return mask === null ? null : { t: "phase", v: this.scope.guardVar(g), mask };
  }

  /** A literal, or `N - 1` for the modulus N of `m` ("last"). */
  private valueOf(value: PyNode, m: PyNode): number | "last" | null {
    const src = this.scope.src;
    const lit = intLiteral(value, src);
    if (lit !== null) return lit;
    const v = unparen(value);
    const modulus = field(m, "right");
    if (v.type === "binary_operator" && src(field(v, "operator")!) === "-" && intLiteral(field(v, "right")!, src) === 1 && modulus &&
      src(field(v, "left")!).replace(/\s+/g, "") === src(unparen(modulus)).replace(/\s+/g, "")) return "last";
    return null;
  }

  /** `c`, `c + k`, `k + c`, `c - k` → [c, k]. */
  private counterPlus(n: PyNode): [string, number] | null {
    const src = this.scope.src;
    const u = unparen(n);
    if (u.type === "identifier") return [src(u), 0];
    if (u.type === "binary_operator") {
      const op = src(field(u, "operator")!);
      if (op !== "+" && op !== "-") return null;
      const l = unparen(field(u, "left")!), r = field(u, "right")!;
      const k = intLiteral(r, src);
      if (l.type === "identifier" && k !== null) return [src(l), op === "+" ? k : -k];
      const k2 = intLiteral(l, src), rr = unparen(r);
      if (op === "+" && k2 !== null && rr.type === "identifier") return [src(rr), k2];
    }
    return null;
  }
}

/** No calls, no assignments: evaluating it twice gives the same answer. */
export function isPure(node: PyNode): boolean {
  const stack: PyNode[] = [node];
  let budget = 200;
  while (stack.length > 0) {
    if (budget-- <= 0) return false;
    const n = stack.pop()!;
    switch (n.type) {
      case "identifier": case "integer": case "float": case "true": case "false": case "none": case "string": case "string_start":
      case "string_content": case "string_end": case "attribute": case "binary_operator": case "boolean_operator": case "not_operator":
      case "comparison_operator": case "unary_operator": case "parenthesized_expression": case "subscript":
        break;
      default:
        if (!n.named) break; // operator tokens
        return false;
    }
    for (const c of n.children) stack.push(c);
  }
  return true;
}

/** Identifiers a pure test reads (the variables whose writes make it forgotten). */
export function identifiersOf(node: PyNode, src: (n: PyNode) => string): string[] {
  const out = new Set<string>();
  const stack: PyNode[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type === "identifier") out.add(src(n));
    if (n.type === "attribute") {
      stack.push(field(n, "object")!);
      continue;
    }
    for (const c of n.children) stack.push(c);
  }
  return [...out];
}
