/**
 * Differential testing of the analysis against a brute-force oracle. A generator writes random
 * small training programs (nested loops, branches, break/continue, helper calls, zero / backward
 * / step on three optimizers — optA over modelA, optB over modelB, optC over both, so a module's
 * zero is a partial zero of optC — 1/N-scaled losses, branches on a loop counter —
 * `(i + 1) % 2 === 0`, `i % 3 === 0` — and a repeated pure guard `if (flag)`). Optimizers are held
 * as names, an object's properties or an array's elements, and helpers are called directly or as
 * callbacks of a same-file function. The oracle runs every bounded execution path (counted loops
 * over a symbolic bound 1–4 times, or up to 4N + 1 when a counter of period N is tested; while
 * 0–4, do-while 1–4; counters with their concrete values, `flag` fixed for a whole run) through
 * the rule definitions directly, with no graph and no fixpoint. Both must report the same
 * (rule, line, optimizer) set. GRADLENS_DIFF_COUNT=5000 for a longer run. */
import * as assert from "node:assert/strict";
import { lintText } from "../../src/analysis/lint";

/** optA owns modelA, optB modelB, optC both: a module's zero clears part of optC (a partial zero). */
type Opt = "optA" | "optB" | "optC";
type ModuleOwner = "optA" | "optB";
/** In a helper that takes an optimizer parameter `o`, "o" is whatever the call passes. */
type OptRef = Opt | "o";
/** A branch test: a coin flip, the repeated pure guard, or a phase of the innermost for-loop's counter. */
type Test = { t: "random" } | { t: "flag" } | { t: "counter"; counter: string; n: 2 | 3; phase: "last" | "start" | "notStart" };
type Stmt =
  | { k: "zero"; o: OptRef } | { k: "zeroModule"; o: ModuleOwner } | { k: "backward"; scaled: boolean } | { k: "step"; o: OptRef }
  | { k: "if"; test: Test; then: Stmt[]; else: Stmt[] } | { k: "loop"; kind: "for" | "while" | "do"; counter: string; body: Stmt[] }
  | { k: "break" } | { k: "continue" } | { k: "call"; fn: number; arg: OptRef | null }
  /** A new optimizer over the same parameters, bound where the old one was: it keeps their gradients. */
  | { k: "rebuild"; o: Opt };

/**
 * How the program holds its optimizers (names, an object's properties, an array's elements) and
 * whether helpers are called directly or passed as callbacks to a function that calls them.
 */
interface Spelling { holding: "names" | "object" | "array" | "factory"; callbacks: boolean }
interface Program { helpers: Stmt[][]; main: Stmt[]; takesOptimizer: boolean[]; spelling: Spelling }

// ---- generator ------------------------------------------------------------------------------

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(seed: number): Program {
  const r = rng(seed);
  const pick = <T,>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  let budget = 0;
  const takesOptimizer: boolean[] = [];
  let hasParam = false;
  const concrete = (): Opt => { const x = r(); return x < 0.6 ? "optA" : x < 0.85 ? "optB" : "optC"; };
  const module = (): ModuleOwner => (r() < 0.6 ? "optA" : "optB");
  const opt = (): OptRef => (hasParam && r() < 0.6 ? "o" : concrete());
  let counters = 0;
  let inHelper = false;
  const backward = (): Stmt => ({ k: "backward", scaled: r() < 0.2 });
  const test = (counter: string | null): Test => {
    const x = r();
    if (counter !== null && x < 0.45) return { t: "counter", counter, n: r() < 0.6 ? 2 : 3, phase: pick(["last", "last", "start", "notStart"] as const) };
    if (!inHelper && x < 0.6) return { t: "flag" };
    return { t: "random" };
  };
  const block = (depth: number, inLoop: boolean, helpers: number, counter: string | null): Stmt[] => {
    const n = 1 + Math.floor(r() * 4);
    const out: Stmt[] = [];
    for (let i = 0; i < n && budget > 0; i++) {
      budget--;
      const x = r();
      if (x < 0.2) out.push(backward());
      else if (x < 0.38) out.push({ k: "step", o: opt() });
      else if (x < 0.5) out.push({ k: "zero", o: opt() });
      else if (x < 0.54) out.push({ k: "zeroModule", o: module() });
      else if (x < 0.66 && depth < 3) out.push({ k: "if", test: test(counter), then: block(depth + 1, inLoop, helpers, counter), else: r() < 0.5 ? block(depth + 1, inLoop, helpers, counter) : [] });
      else if (x < 0.8 && depth < 3) {
        const kind = pick(["for", "for", "while", "do"] as const);
        const c = `i${counters++}`;
        out.push({ k: "loop", kind, counter: c, body: block(depth + 1, true, helpers, kind === "for" ? c : counter) });
      }
      else if (x < 0.85 && inLoop) out.push({ k: r() < 0.5 ? "break" : "continue" });
      else if (x < 0.87 && !inHelper) out.push({ k: "rebuild", o: concrete() });
      else if (x < 0.93 && helpers > 0) {
        const fn = Math.floor(r() * helpers);
        out.push({ k: "call", fn, arg: takesOptimizer[fn] ? opt() : null });
      }
      else out.push(backward());
    }
    return out;
  };
  const helpers: Stmt[][] = [];
  const nHelpers = Math.floor(r() * 3);
  for (let h = 0; h < nHelpers; h++) {
    budget = 4;
    hasParam = r() < 0.5;
    inHelper = true;
    takesOptimizer.push(hasParam);
    helpers.push(block(2, false, h, null)); // helpers call only earlier helpers: no recursion
  }
  hasParam = false;
  inHelper = false;
  budget = 12;
  const c = `i${counters++}`;
  const main = [{ k: "loop", kind: "for", counter: c, body: block(1, true, nHelpers, c) } as Stmt, ...(r() < 0.3 ? block(1, false, nHelpers, null) : [])];
  const spelling: Spelling = { holding: pick(["names", "names", "object", "array", "factory"] as const), callbacks: r() < 0.3 };
  return { helpers, main, takesOptimizer, spelling };
}

// ---- rendering (one statement per line; the line identifies the statement) --------------------

/** Per line: its function, and the loops (in that function) around it. */
interface Rendered { text: string; lineOf: Map<Stmt, number>; fnOf: Map<Stmt, number>; loopsAt: Map<number, Set<string>>; fnAt: Map<number, number> }

/** The source text of an optimizer reference under a spelling ("o" is a helper's parameter). */
function written(o: OptRef, holding: Spelling["holding"]): string {
  if (o === "o" || holding === "names") return o;
  const i = ["optA", "optB", "optC"].indexOf(o);
  return holding === "array" ? `optimizers[${i}]` : `opts.${"abc"[i]}`;
}

function render(p: Program): Rendered {
  const sgd = (m: string) => `new optim.SGD(${m}.parameters(), { lr: 0.1 })`;
  const both = "new optim.SGD([...modelA.parameters(), ...modelB.parameters()], { lr: 0.1 })";
  const { holding, callbacks } = p.spelling;
  const held = holding === "names" ? [`let optA = ${sgd("modelA")};`, `let optB = ${sgd("modelB")};`, `let optC = ${both};`]
    : holding === "object" ? [`const opts = { a: ${sgd("modelA")}, b: ${sgd("modelB")}, c: ${both} };`]
    // Optimizers a function of the file builds and returns.
    : holding === "factory" ? ["function buildOptimizers() {", `  return { a: ${sgd("modelA")}, b: ${sgd("modelB")}, c: ${both} };`, "}", "const opts = buildOptimizers();"]
    : [`const optimizers = [${sgd("modelA")}, ${sgd("modelB")}, ${both}];`];
  const lines = [
    'import { nn, optim } from "gradlens";',
    "declare const loss: { backward(): void; div(n: number): { backward(): void } };",
    "declare const steps: number;",
    "declare const flag: boolean;",
    "const modelA = new nn.Linear(2, 2);",
    "const modelB = new nn.Linear(2, 2);",
    ...held,
  ];
  const name = (o: OptRef) => written(o, holding);
  const lineOf = new Map<Stmt, number>(), fnOf = new Map<Stmt, number>();
  const loopsAt = new Map<number, Set<string>>(), fnAt = new Map<number, number>();
  const around: string[] = [];
  const emit = (stmts: Stmt[], indent: string, fn: number) => {
    for (const s of stmts) {
      lineOf.set(s, lines.length + 1);
      fnOf.set(s, fn);
      loopsAt.set(lines.length + 1, new Set(around));
      fnAt.set(lines.length + 1, fn);
      switch (s.k) {
        case "zero": lines.push(`${indent}${name(s.o)}.zeroGrad();`); break;
        case "zeroModule": lines.push(`${indent}${s.o === "optA" ? "modelA" : "modelB"}.zeroGrad();`); break;
        case "backward": lines.push(`${indent}${s.scaled ? "loss.div(2)" : "loss"}.backward();`); break;
        case "step": lines.push(`${indent}${name(s.o)}.step();`); break;
        case "break": lines.push(`${indent}break;`); break;
        case "continue": lines.push(`${indent}continue;`); break;
        case "rebuild": lines.push(`${indent}${name(s.o)} = ${s.o === "optC" ? both : sgd(s.o === "optA" ? "modelA" : "modelB")};`); break;
        case "call":
          if (!callbacks) lines.push(`${indent}helper${s.fn}(${s.arg === null ? "" : name(s.arg)});`);
          else lines.push(s.arg === null ? `${indent}invoke(helper${s.fn});` : `${indent}invokeWith(helper${s.fn}, ${name(s.arg)});`);
          break;
        case "if":
          lines.push(`${indent}if (${renderTest(s.test)}) {`);
          emit(s.then, indent + "  ", fn);
          if (s.else.length) {
            lines.push(`${indent}} else {`);
            emit(s.else, indent + "  ", fn);
          }
          lines.push(`${indent}}`);
          break;
        case "loop": {
          const i = s.counter;
          if (s.kind === "for") lines.push(`${indent}for (let ${i} = 0; ${i} < steps; ${i}++) {`);
          else if (s.kind === "while") lines.push(`${indent}while (Math.random() < 0.9) {`);
          else lines.push(`${indent}do {`);
          around.push(i);
          emit(s.body, indent + "  ", fn);
          around.pop();
          lines.push(s.kind === "do" ? `${indent}} while (Math.random() < 0.9);` : `${indent}}`);
        }
      }
    }
  };
  p.helpers.forEach((body, h) => {
    lines.push(`function helper${h}(${p.takesOptimizer[h] ? "o: optim.Optimizer" : ""}): void {`);
    emit(body, "  ", h + 1);
    lines.push("}");
  });
  if (callbacks) {
    // Same-file functions that run the callback they are given (where the helper's body runs).
    // A timer: the callback runs once, in place, inside try/finally.
    lines.push("function invoke(f: () => void): void {", "  const t0 = Date.now();", "  try {", "    f();", "  } finally {", "    console.log(Date.now() - t0);", "  }", "}");
    lines.push("function invokeWith(f: (o: optim.Optimizer) => void, o: optim.Optimizer): void {", "  f(o);", "}");
  }
  emit(p.main, "", 0);
  return { text: lines.join("\n") + "\n", lineOf, fnOf, loopsAt, fnAt };
}

function renderTest(t: Test): string {
  switch (t.t) {
    case "random": return "Math.random() < 0.5";
    case "flag": return "flag";
    case "counter":
      return t.phase === "last" ? `(${t.counter} + 1) % ${t.n} === 0` : t.phase === "start" ? `${t.counter} % ${t.n} === 0` : `${t.counter} % ${t.n} !== 0`;
  }
}

/** The same program in Python (PyTorch spelling), one statement per line as in TypeScript. */
function renderPython(p: Program): Rendered {
  const sgd = (m: string) => `torch.optim.SGD(${m}.parameters(), lr=0.1)`;
  const both = "torch.optim.SGD(list(modelA.parameters()) + list(modelB.parameters()), lr=0.1)";
  const { holding, callbacks } = p.spelling;
  const held = holding === "names" ? [`optA = ${sgd("modelA")}`, `optB = ${sgd("modelB")}`, `optC = ${both}`]
    : holding === "object" ? [`opts = {"a": ${sgd("modelA")}, "b": ${sgd("modelB")}, "c": ${both}}`]
    : holding === "factory" ? ["def build_optimizers():", `    return {"a": ${sgd("modelA")}, "b": ${sgd("modelB")}, "c": ${both}}`, "", "opts = build_optimizers()"]
    : [`optimizers = [${sgd("modelA")}, ${sgd("modelB")}, ${both}]`];
  const lines = ["import random", "import time", "import torch", "", "", "modelA = torch.nn.Linear(2, 2)", "modelB = torch.nn.Linear(2, 2)", ...held];
  const name = (o: OptRef): string => {
    if (o === "o" || holding === "names") return o;
    const i = ["optA", "optB", "optC"].indexOf(o);
    return holding === "array" ? `optimizers[${i}]` : `opts["${"abc"[i]}"]`;
  };
  const lineOf = new Map<Stmt, number>(), fnOf = new Map<Stmt, number>();
  const loopsAt = new Map<number, Set<string>>(), fnAt = new Map<number, number>();
  const around: string[] = [];
  const emit = (stmts: Stmt[], indent: string, fn: number) => {
    if (stmts.length === 0) lines.push(`${indent}pass`);
    for (const s of stmts) {
      lineOf.set(s, lines.length + 1);
      fnOf.set(s, fn);
      loopsAt.set(lines.length + 1, new Set(around));
      fnAt.set(lines.length + 1, fn);
      switch (s.k) {
        case "zero": lines.push(`${indent}${name(s.o)}.zero_grad()`); break;
        case "zeroModule": lines.push(`${indent}${s.o === "optA" ? "modelA" : "modelB"}.zero_grad()`); break;
        case "backward": lines.push(`${indent}${s.scaled ? "(loss / 2)" : "loss"}.backward()`); break;
        case "step": lines.push(`${indent}${name(s.o)}.step()`); break;
        case "break": lines.push(`${indent}break`); break;
        case "continue": lines.push(`${indent}continue`); break;
        case "rebuild": lines.push(`${indent}${name(s.o)} = ${s.o === "optC" ? both : sgd(s.o === "optA" ? "modelA" : "modelB")}`); break;
        case "call":
          if (!callbacks) lines.push(`${indent}helper${s.fn}(${s.arg === null ? "" : name(s.arg)})`);
          else lines.push(s.arg === null ? `${indent}invoke(helper${s.fn})` : `${indent}invoke_with(helper${s.fn}, ${name(s.arg)})`);
          break;
        case "if":
          lines.push(`${indent}if ${renderPythonTest(s.test)}:`);
          emit(s.then, indent + "    ", fn);
          if (s.else.length) {
            lines.push(`${indent}else:`);
            emit(s.else, indent + "    ", fn);
          }
          break;
        case "loop": {
          const i = s.counter;
          lines.push(s.kind === "for" ? `${indent}for ${i} in range(steps):` : `${indent}while random.random() < 0.9:`);
          around.push(i);
          emit(s.body, indent + "    ", fn);
          around.pop();
        }
      }
    }
  };
  p.helpers.forEach((body, h) => {
    lines.push(`def helper${h}(${p.takesOptimizer[h] ? "o: torch.optim.Optimizer" : ""}):`);
    emit(body, "    ", h + 1);
    lines.push("");
  });
  if (callbacks) lines.push("def invoke(f):", "    t0 = time.time()", "    try:", "        f()", "    finally:", "        print(time.time() - t0)", "", "def invoke_with(f, o):", "    f(o)", "");
  emit(p.main, "", 0);
  return { text: lines.join("\n") + "\n", lineOf, fnOf, loopsAt, fnAt };
}

function renderPythonTest(t: Test): string {
  switch (t.t) {
    case "random": return "random.random() < 0.5";
    case "flag": return "flag";
    case "counter":
      return t.phase === "last" ? `(${t.counter} + 1) % ${t.n} == 0` : t.phase === "start" ? `${t.counter} % ${t.n} == 0` : `${t.counter} % ${t.n} != 0`;
  }
}

// ---- oracle -----------------------------------------------------------------------------------

/**
 * `o` is the optimizer the event acts on (after binding); `written` is the name in the source.
 * Steps know whether a counter test guards them (in their function, or at a call on the way);
 * backward passes whether their loss is scaled — the two kinds of evidence of accumulation.
 */
type Ev = {
  kind: "zero" | "backward" | "step" | "iterate"; o: OptRef | "both"; written: string; line: number; fn: number; inv: number; module?: boolean; guarded?: boolean; scaled?: boolean;
  /** iterate: the end of an iteration of `loop` (body end or `continue`), cut short under a counter test (`counter`), with the optimizer `o` was bound to. */
  loop?: Extract<Stmt, { k: "loop" }>; counter?: boolean; bound?: OptRef;
};
type Signal = "normal" | "break" | "continue";
const MAX_ITER = 4;
const PATH_LIMIT = 60_000;

class TooManyPaths extends Error {}

/** What a path knows while it runs: the bound optimizer, counter values, the flag, counter guards. */
interface RunEnv {
  bound: OptRef; counters: ReadonlyMap<string, number>; flag: boolean; guarded: boolean; inv: number;
  /** Counter tests around this statement, and around the innermost loop (a `continue` between them skips by counter). */
  depth: number; loopDepth: number;
}

/** Each call is a new invocation (a stale step is reported at its backward only within one). */
let invocations = 0;
/** The language rendered: Python has no do-while (rendered as a while loop, which may not run). */
let language: "ts" | "py" = "ts";

/** Every bounded path through `stmts` as [events, how it ended]. */
function paths(stmts: Stmt[], p: Program, r: Rendered, budget: { n: number }, env: RunEnv): [Ev[], Signal][] {
  let acc: [Ev[], Signal][] = [[[], "normal"]];
  for (const s of stmts) {
    const next: [Ev[], Signal][] = [];
    for (const [evs, sig] of acc) {
      if (sig !== "normal") { next.push([evs, sig]); continue; }
      for (const [more, sig2] of stmtPaths(s, p, r, budget, env)) {
        next.push([evs.concat(more), sig2]);
        if (++budget.n > PATH_LIMIT) throw new TooManyPaths();
      }
    }
    acc = next;
  }
  return acc;
}

/** The moduli `counter` is tested with in `stmts`. */
function moduliTested(stmts: Stmt[], counter: string, out = new Set<number>()): Set<number> {
  for (const s of stmts) {
    if (s.k === "if") {
      if (s.test.t === "counter" && s.test.counter === counter) out.add(s.test.n);
      moduliTested(s.then, counter, out);
      moduliTested(s.else, counter, out);
    } else if (s.k === "loop") moduliTested(s.body, counter, out);
  }
  return out;
}

/** The branch a test takes on this path, or null when both are possible (a coin flip). */
function evaluate(t: Test, env: RunEnv): boolean | null {
  switch (t.t) {
    case "random": return null;
    case "flag": return env.flag;
    case "counter": {
      const i = env.counters.get(t.counter)!;
      return t.phase === "last" ? (i + 1) % t.n === 0 : t.phase === "start" ? i % t.n === 0 : i % t.n !== 0;
    }
  }
}

function stmtPaths(s: Stmt, p: Program, r: Rendered, budget: { n: number }, env: RunEnv): [Ev[], Signal][] {
  // `o` inside a helper is the optimizer its caller passed (or stays `o` when the helper is the root).
  const ev = (kind: Ev["kind"], o: Ev["o"]): Ev => ({ kind, o: o === "o" ? env.bound : o, written: o, line: r.lineOf.get(s)!, fn: r.fnOf.get(s)!, inv: env.inv });
  const sub = (stmts: Stmt[], e: RunEnv = env) => paths(stmts, p, r, budget, e);
  switch (s.k) {
    case "zero": return [[[ev("zero", s.o)], "normal"]];
    case "zeroModule": return [[[{ ...ev("zero", s.o), module: true }], "normal"]];
    case "backward": return [[[{ ...ev("backward", "both"), scaled: s.scaled }], "normal"]];
    case "step": return [[[{ ...ev("step", s.o), guarded: env.guarded }], "normal"]];
    case "break": return [[[], "break"]];
    case "continue": return [[[{ ...ev("iterate", "both"), counter: env.depth > env.loopDepth, bound: env.bound }], "continue"]];
    // Gradients live on parameters: a new optimizer over the same ones changes nothing here.
    case "rebuild": return [[[], "normal"]];
    case "call": {
      const arg = s.arg === null ? "o" : s.arg === "o" ? env.bound : s.arg;
      // The helper's own counters and tests; a counter guard around the call still guards its steps.
      const inner: RunEnv = { bound: arg, counters: new Map(), flag: env.flag, guarded: env.guarded, inv: ++invocations, depth: 0, loopDepth: 0 };
      return paths(p.helpers[s.fn], p, r, budget, inner).map(([e]) => [e, "normal"]);
    }
    case "if": {
      const value = evaluate(s.test, env);
      const e = s.test.t === "counter" ? { ...env, guarded: true, depth: env.depth + 1 } : env;
      return [...(value !== false ? sub(s.then, e) : []), ...(value !== true ? sub(s.else, e) : [])];
    }
    case "loop": {
      const out: [Ev[], Signal][] = [];
      // A counted loop `for (let i = 0; i < steps; i++)` is taken to run at least once (as the
      // analysis does: a training loop over no steps isn't what anyone writes); while may not run.
      const min = s.kind === "while" || (language === "py" && s.kind === "do") ? 0 : 1;
      // frontier: paths that are still iterating after i iterations
      let frontier: Ev[][] = [[]];
      if (min === 0) out.push([[], "normal"]);
      // The bound is unknown (`steps`): a counter tested with period N (the moduli's lcm, ≤ 6) shows
      // every behaviour within 4N + 1 iterations (accumulate, consume, re-accumulate, re-apply, each
      // possibly in one phase only).
      const moduli = s.kind === "for" ? [...moduliTested(s.body, s.counter)] : [];
      const period = moduli.reduce((a, n) => (a % n === 0 ? a : a * n), 1);
      const iterations = period > 1 ? 4 * period + 1 : MAX_ITER;
      for (let i = 1; i <= iterations; i++) {
        // The body of iteration i sees its counter's value (for loops count 0, 1, 2, ...).
        const counters = new Map(env.counters);
        if (s.kind === "for") counters.set(s.counter, i - 1);
        const body = sub(s.body, { ...env, counters, loopDepth: env.depth });
        const nextFrontier: Ev[][] = [];
        for (const pre of frontier) {
          for (const [evs, sig] of body) {
            // The iteration ends: at a `continue` (its marker is the path's last event) or at the body's end.
            const end: Ev[] = sig === "continue" ? [{ ...evs[evs.length - 1], loop: s }] : sig === "normal" ? [{ kind: "iterate", o: "both", written: "", line: 0, fn: r.fnOf.get(s)!, inv: env.inv, loop: s, counter: false, bound: env.bound }] : [];
            const path = pre.concat(sig === "continue" ? evs.slice(0, -1) : evs, end);
            if (sig === "break") out.push([path, "normal"]);
            else {
              nextFrontier.push(path);
              if (i >= min) out.push([path, "normal"]);
              if (++budget.n > PATH_LIMIT) throw new TooManyPaths();
            }
          }
        }
        frontier = nextFrontier;
      }
      return out;
    }
  }
}

const touches = (e: Ev, o: OptRef) => e.o === o || e.o === "both";

/**
 * The rules, read straight off one path. A module's zero seen from a helper's own unbound
 * optimizer parameter `o` may or may not clear it: each rule takes the reading that can't raise
 * a false alarm (stale counts as cleared; pending gradients are neither discarded nor kept).
 */
/** Per backward line: where its gradients went first — zeroes (candidates `b:z`), steps (with evidence of accumulation). */
interface Pairs { candidates: Set<string>; owned: Map<number, boolean>; reached: Map<number, Set<number>> }

function judge(path: Ev[], o: OptRef, found: Set<string>, pairs: Pairs, r: Rendered, leaks: Set<string>, staleAt: Set<string>, part: ModuleOwner | null = null) {
  /** `carried`: gradients of backward b outlived an iteration of `loop` that steps o after b — a skipped batch. */
  type Carried = { b: Ev; loop: Extract<Stmt, { k: "loop" }>; inv: number };
  type State = { s: "C" } | { s: "A"; b: Ev; carried?: Carried } | { s: "K" } | { s: "S"; b: Ev } | { s: "D"; z: Ev };
  const uncertain = (e: Ev) => e.kind === "zero" && e.module === true && o === "o";
  // Judging one part of optC: the zero of the module it owns clears it (module zeros name their owner).
  const partZero = (e: Ev) => part !== null && e.kind === "zero" && e.module === true && e.o === part;
  // Gradients live on parameters: another optimizer over (a part of) what o owns zeroes and steps
  // them too. optA owns modelA, optB modelB, optC both (judged per part); a helper's `o` owns what
  // its caller passed, which the helper alone can't tell.
  const ownedModules: ModuleOwner[] = o === "optC" ? (part !== null ? [part] : ["optA", "optB"]) : o === "o" ? [] : [o];
  const byOther = (e: Ev) => e.o !== o && e.o !== "both" && e.o !== "o" && !e.module && ownedModules.some((m) => e.o === "optC" || e.o === m);
  const otherStep = (e: Ev) => e.kind === "step" && byOther(e);
  const zeroes = (e: Ev) => (e.kind === "zero" && (e.o === o || byOther(e))) || partZero(e);
  let st: State = { s: "C" };
  path.forEach((e, i) => {
    if (e.kind === "iterate") {
      if (st.s !== "A" || st.carried || e.counter) return;
      const b = st.b;
      const loop = e.loop!;
      const inLoop = b.fn === e.fn && b.inv === e.inv && linesIn(loop, r).has(b.line);
      const bind = (x: OptRef) => (x === "o" ? e.bound! : x);
      if (inLoop && stepsIn(loop).some((st2) => bind(st2.o) === o && r.lineOf.get(st2)! > b.line)) st = { s: "A", b, carried: { b, loop, inv: e.inv } };
      return;
    }
    if (uncertain(e)) {
      if (st.s === "K" || st.s === "S") st = { s: "C" };
      else if (st.s === "A") st = { s: "A", b: st.b };
      return;
    }
    if (otherStep(e)) {
      st = st.s === "A" || st.s === "S" ? { s: "K" } : st.s === "D" ? { s: "C" } : st;
      return;
    }
    if (!touches(e, o) && !partZero(e) && !zeroes(e)) return;
    if (e.kind === "backward") {
      st = st.s === "K" || st.s === "S" ? { s: "S", b: e } : { s: "A", b: e, carried: st.s === "A" ? st.carried : undefined };
      // accumulation check: where do this backward's gradients go first?
      for (let j = i + 1; j < path.length; j++) {
        const f = path[j];
        if (uncertain(f) || otherStep(f)) break;
        if (f.kind === "step" && f.o === o) {
          // Evidence of accumulation: a counter-guarded step, or a scaled loss.
          pairs.owned.set(e.line, (pairs.owned.get(e.line) ?? false) || f.guarded === true || e.scaled === true);
          pairs.reached.set(e.line, (pairs.reached.get(e.line) ?? new Set()).add(f.line));
          break;
        }
        if (zeroes(f)) { pairs.candidates.add(`${e.line}:${f.line}`); break; }
      }
    } else if (e.kind === "step") {
      // Findings are named by the optimizer as written at the step (one finding per place).
      // At the backward when it ran in the same invocation as the step, else at the step.
      if (st.s === "S") {
        found.add(`missing-zero-grad:${st.b.fn === e.fn && st.b.inv === e.inv ? st.b.line : e.line}:${e.written}`);
        staleAt.add(o);
      }
      if (st.s === "D") found.add(`zero-grad-discards-gradients:${st.z.line}`);
      // A skipped batch's gradients reach this step of the same loop run, with no evidence of accumulation.
      const c = st.s === "A" ? st.carried : undefined;
      if (c && e.inv === c.inv && e.fn === c.b.fn && linesIn(c.loop, r).has(e.line) && !e.guarded && !c.b.scaled) leaks.add(`${e.line}:${e.written}:${o}`);
      st = st.s === "D" ? { s: "C" } : st.s === "C" ? st : { s: "K" };
    } else {
      st = st.s === "A" ? { s: "D", z: e } : st.s === "D" ? st : { s: "C" };
    }
  });
}

/** Lines of a loop's own statements (its function only: helpers it calls are elsewhere). */
function linesIn(loop: Stmt, r: Rendered): Set<number> {
  const out = new Set<number>();
  const walk = (stmts: Stmt[]) => {
    for (const s of stmts) {
      out.add(r.lineOf.get(s)!);
      if (s.k === "if") { walk(s.then); walk(s.else); } else if (s.k === "loop") walk(s.body);
    }
  };
  if (loop.k === "loop") walk(loop.body);
  return out;
}

/** The step statements written inside a loop (nested ones included). */
function stepsIn(loop: Stmt): Extract<Stmt, { k: "step" }>[] {
  const out: Extract<Stmt, { k: "step" }>[] = [];
  const walk = (stmts: Stmt[]) => {
    for (const s of stmts) {
      if (s.k === "step") out.push(s);
      else if (s.k === "if") { walk(s.then); walk(s.else); } else if (s.k === "loop") walk(s.body);
    }
  };
  if (loop.k === "loop") walk(loop.body);
  return out;
}

function oracle(p: Program, r: Rendered): string[] | null {
  const found = new Set<string>();
  /** Skipped-batch leaks, `line:written:optimizer` at the step, and the optimizers with a stale step somewhere. */
  const leaks = new Set<string>();
  const staleAt = new Set<string>();
  const roots: Stmt[][] = [p.main, ...p.helpers];
  try {
    for (const root of roots) {
      // `flag` is one value for a whole run: both runs' paths together are the root's paths.
      const all = [true, false].flatMap((flag) => paths(root, p, r, { n: 0 }, { bound: "o", counters: new Map(), flag, guarded: false, inv: 0, depth: 0, loopDepth: 0 }));
      // optC is judged per module it owns: a module's zero clears that part only.
      for (const [o, part] of [["optA", null], ["optB", null], ["optC", "optA"], ["optC", "optB"], ["o", null]] as [OptRef, ModuleOwner | null][]) {
        const pairs: Pairs = { candidates: new Set(), owned: new Map(), reached: new Map() };
        for (const [evs] of all) judge(evs, o, found, pairs, r, leaks, staleAt, part);
        for (const c of pairs.candidates) {
          const [b, z] = c.split(":").map(Number);
          // The zero must run in a loop that accumulates those gradients (same function).
          const shareLoop = r.fnAt.get(b) !== r.fnAt.get(z) || [...r.loopsAt.get(b)!].some((l) => r.loopsAt.get(z)!.has(l));
          // Or the zero repeats in a loop around the backward that a step they reach comes after.
          const sameFn = (x: number) => r.fnAt.get(x) === r.fnAt.get(b);
          const loopAroundBoth = (s: number) => sameFn(z) && sameFn(s) && [...r.loopsAt.get(b)!].some((l) => r.loopsAt.get(z)!.has(l) && !r.loopsAt.get(s)!.has(l));
          const evidence = pairs.owned.get(b) === true || [...(pairs.reached.get(b) ?? [])].some(loopAroundBoth);
          if (evidence && shareLoop) found.add(`zero-grad-discards-gradients:${z}`);
        }
      }
    }
  } catch (e) {
    if (e instanceof TooManyPaths) return null;
    throw e;
  }
  // An optimizer whose steps re-apply applied gradients misses its zero already: that finding covers its leaks.
  for (const l of leaks) {
    const [line, writtenAs, o] = l.split(":");
    if (!staleAt.has(o)) found.add(`missing-zero-grad:${line}:${writtenAs}`);
  }
  return [...found].sort();
}

// ---- the test -------------------------------------------------------------------------------

describe("differential testing against a path-enumerating oracle", () => {
  const count = Number(process.env.GRADLENS_DIFF_COUNT ?? 400);
  it(`agrees with the oracle on ${count} random programs (seeded)`, function () {
    this.timeout(600_000);
    let checked = 0, withFindings = 0;
    for (let seed = 1; checked < count; seed++) {
      const program = generate(seed);
      const rendered = render(program);
      const expected = oracle(program, rendered);
      if (expected === null) continue; // too many paths for brute force; counted below
      const result = lintText(rendered.text, `program-${seed}.ts`, { fixes: false });
      assert.deepEqual(result.errors, []);
      // A zero is reported once whichever way it discards gradients: compare those by place only.
      const unspell = new Map((["optA", "optB", "optC", "o"] as OptRef[]).map((o) => [written(o, program.spelling.holding), o]));
      const got = [...new Set(result.findings.map((f) => (f.rule === "zero-grad-discards-gradients" ? `${f.rule}:${f.line}` : `${f.rule}:${f.line}:${unspell.get(f.optimizer) ?? f.optimizer}`)))].sort();
      assert.deepEqual(got, expected, `seed ${seed}:\n${rendered.text.split("\n").map((l, i) => `${String(i + 1).padStart(3)} ${l}`).join("\n")}`);
      checked++;
      if (expected.length) withFindings++;
      assert.ok(seed < count * 3, "the generator should mostly produce programs the oracle can enumerate");
    }
    // Both kinds of programs must be well represented, or the comparison proves little.
    assert.ok(withFindings > count * 0.2 && withFindings < count * 0.9, `${withFindings} of ${count} programs had findings`);
  });

  it(`agrees with the oracle on ${count} random Python programs (the same programs in PyTorch's spelling)`, function () {
    this.timeout(600_000);
    let checked = 0, withFindings = 0;
    language = "py";
    try {
      for (let seed = 1; checked < count; seed++) {
        const program = generate(seed);
        const rendered = renderPython(program);
        const expected = oracle(program, rendered);
        if (expected === null) continue;
        const result = lintText(rendered.text, `program_${seed}.py`, { fixes: false });
        assert.deepEqual(result.errors, [], rendered.text);
        const spelled = (o: OptRef) => (o === "o" || program.spelling.holding === "names" ? o : program.spelling.holding !== "array" ? `opts["${"abc"["optA optB optC".split(" ").indexOf(o)]}"]` : `optimizers[${"optA optB optC".split(" ").indexOf(o)}]`);
        const unspell = new Map((["optA", "optB", "optC", "o"] as OptRef[]).map((o) => [spelled(o), o]));
        const got = [...new Set(result.findings.map((f) => (f.rule === "zero-grad-discards-gradients" ? `${f.rule}:${f.line}` : `${f.rule}:${f.line}:${unspell.get(f.optimizer) ?? f.optimizer}`)))].sort();
        assert.deepEqual(got, expected, `seed ${seed}:\n${rendered.text.split("\n").map((l, i) => `${String(i + 1).padStart(3)} ${l}`).join("\n")}`);
        checked++;
        if (expected.length) withFindings++;
        assert.ok(seed < count * 3, "the generator should mostly produce programs the oracle can enumerate");
      }
    } finally {
      language = "ts";
    }
    assert.ok(withFindings > count * 0.2 && withFindings < count * 0.9, `${withFindings} of ${count} programs had findings`);
  });

  it("the oracle itself catches a seeded analysis bug (a path where zero is skipped)", () => {
    const p: Program = { takesOptimizer: [], helpers: [], spelling: { holding: "names", callbacks: false }, main: [{ k: "loop", kind: "for", counter: "i0", body: [{ k: "if", test: { t: "random" }, then: [{ k: "zero", o: "optA" }], else: [] }, { k: "backward", scaled: false }, { k: "step", o: "optA" }] }] };
    const r = render(p);
    assert.deepEqual(oracle(p, r), [`missing-zero-grad:${r.lineOf.get((p.main[0] as { body: Stmt[] }).body[1])}:optA`]);
    // And a shape-1 discard: backward, zero, step.
    const q: Program = { takesOptimizer: [], helpers: [], spelling: { holding: "names", callbacks: false }, main: [{ k: "backward", scaled: false }, { k: "zero", o: "optB" }, { k: "step", o: "optB" }] };
    const rq = render(q);
    assert.deepEqual(oracle(q, rq), [`zero-grad-discards-gradients:${rq.lineOf.get(q.main[1])}`]);
  });
});
