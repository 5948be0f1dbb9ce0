/**
 * The graph-building kit every front end builds on: a program's tables (functions, sites, loops,
 * guard variables, optimizer facts) and, per function, the control-flow plumbing — blocks and
 * edges, jump targets for break/continue, routing through finally blocks, exceptional edges inside
 * try, loops with their exits, branches that join, guard writes. A front end walks its own syntax
 * tree and calls these; it never touches blocks directly, so every language gets the same graph
 * shapes (and the same typestate results) for the same control flow.
 */
import type { Block, Cond, FunctionGraph, GraphEvent, GuardVar, Loop, OptimizerFacts, ProgramGraph, Site } from "./cfg";

/** A front end's syntax node: only its source range matters here. */
export interface Ranged {
  range: [number, number];
}

/** A condition that constrains nothing (a test the analysis can't read). */
export const UNKNOWN: Cond = { t: "opaque", v: -1 };

export interface BuiltProgram<N> extends ProgramGraph {
  /** The syntax node of each site and loop, for fixes and related locations. */
  siteNodes: N[];
  loopNodes: N[];
  /** The block where each loop's body starts (where a loop-start fix lands in the graph). */
  loopBodies: number[];
}

/** Program-wide tables shared by the function builders of one file. */
export class ProgramTables<N> {
  readonly functions: FunctionGraph[] = [];
  readonly sites: Site[] = [];
  readonly loops: Loop[] = [];
  readonly siteNodes: N[] = [];
  readonly loopNodes: N[] = [];
  readonly loopBodies: number[] = [];
  readonly facts: OptimizerFacts = {
    optimizers: new Set(), sources: new Map(), notOptimizers: new Set(), zeroGradReceivers: new Set(), stepReceivers: new Set(),
    fresh: new Set(), optimizerCollections: new Set(),
  };
  readonly guardVars: GuardVar[] = [];
  private readonly guardIds = new Map<string, number>();

  /** Interns a guard variable of function `fn`. */
  guardVar(fn: number, g: GuardVar): number {
    const key = `${fn}|${g.kind === "opaque" ? `o|${g.text}` : `p|${g.counter}|${g.modulus}|${g.size}|${g.bounded}`}`;
    let id = this.guardIds.get(key);
    if (id === undefined) {
      id = this.guardVars.length;
      this.guardVars.push(g);
      this.guardIds.set(key, id);
    }
    return id;
  }

  newGraph(range: [number, number], name: string, params: string[], hasThis: boolean): number {
    const id = this.functions.length;
    this.functions.push({ id, name, params, blocks: [], entry: 0, exit: 1, hasThis, optimizerParams: [], range });
    return id;
  }

  addSite(kind: Site["kind"], fn: number, node: N, range: [number, number], text: string, loop: number): number {
    const id = this.sites.length;
    this.sites.push({ id, kind, fn, range, text, loop });
    this.siteNodes.push(node);
    return id;
  }

  addLoop(fn: number, node: N, head: [number, number], label: string, parent: number): number {
    const id = this.loops.length;
    this.loops.push({ id, fn, headRange: head, label, parent });
    this.loopNodes.push(node);
    return id;
  }

  program(roots: number[]): BuiltProgram<N> {
    return {
      functions: this.functions, sites: this.sites, loops: this.loops, facts: this.facts, roots, guardVars: this.guardVars,
      siteNodes: this.siteNodes, loopNodes: this.loopNodes, loopBodies: this.loopBodies,
    };
  }
}

interface JumpTarget {
  label: string | null;
  /** The loop a `continue` to this target ends an iteration of, and the counter guards around that loop. */
  loop?: number;
  counterBase?: number;
  breakTo: number;
  continueTo: number | null;
  finallyDepth: number;
  /** Barrier: inlined callbacks can't break out to the caller's loops. */
  barrier?: boolean;
}

interface FinallyContext {
  entry: number;
  /** Jump targets that abrupt completions inside the try resume at, with their finally depth. */
  pending: Map<number, number>;
  /**
   * Where a throw enters the finally block. Kept apart from `entry` so an exception that runs the
   * finally block and leaves the function is not merged into the normal completion after it (a
   * timer's `try { return fn() } finally { log() }` returns only after `fn` ran).
   */
  throwEntry: number;
  throwPending: Map<number, number>;
}

/** A write to a variable, resolved to guard ids once the function is built (guards appear later). */
interface PendingWrite {
  ev: Extract<GraphEvent, { kind: "write" }>;
  name: string;
  op: "tick" | "reset" | "other";
}

export interface LoopShape {
  /** The loop's test, already read as a condition (UNKNOWN when there is none or it can't be read). */
  cond: Cond;
  /** Evaluates the test's own events (calls in it); absent for loops without a test. */
  test?: () => void;
  /** Whether the loop can end at its head: false for `for (;;)` and `while (true)`. */
  exitsAtHead: boolean;
  update?: () => void;
  body: () => void;
  /** Runs once after the head test fails: Python's `for … else` / `while … else`. */
  orElse?: () => void;
  doWhile?: boolean;
  /** A loop known to run its body exactly once (over a parameter collection, treated as a whole). */
  exactlyOnce?: boolean;
}

export interface TryShape {
  body: () => void;
  /** One arm per handler (`catch`, each `except` clause): each entered by an exception thrown in the body. */
  handlers: (() => void)[];
  /** Runs when the body completes normally (Python's `try … else`), before any finally. */
  orElse?: () => void;
  finalizer?: () => void;
  /** Typed handlers (Python's `except ValueError:`) may all miss: the exception then propagates. */
  handlersMayMiss?: boolean;
}

function opaqueVars(c: Cond, out: number[] = []): number[] {
  switch (c.t) {
    case "phase": break;
    case "opaque": if (c.v >= 0 && !out.includes(c.v)) out.push(c.v); break;
    case "not": opaqueVars(c.a, out); break;
    default: opaqueVars(c.a, out); opaqueVars(c.b, out);
  }
  return out;
}

function hasPhase(c: Cond): boolean {
  switch (c.t) {
    case "phase": return true;
    case "opaque": return false;
    case "not": return hasPhase(c.a);
    default: return hasPhase(c.a) || hasPhase(c.b);
  }
}

/**
 * One function's graph under construction. Front ends subclass it and walk their syntax; the
 * protected helpers are the only way blocks and edges are made.
 */
export class FlowBuilder<N> {
  protected readonly blocks: Block[];
  protected cur: number;
  private readonly jumps: JumpTarget[] = [];
  private readonly finallies: FinallyContext[] = [];
  protected readonly loopStack: number[] = [];
  protected returnTo: number;
  private throwTo: { block: number; finallyDepth: number };
  /** Where an uncaught throw leaves the function (not followed by callers). */
  private readonly throwExit: number;
  private readonly pendingWrites: PendingWrite[] = [];
  private readonly myGuards = new Set<number>();
  private readonly opaqueReads = new Map<number, string[]>();
  /** Enclosing branches whose test is an iteration count (evidence of accumulation). */
  private counterGuards = 0;
  /** The function's parameters by name (receivers write them `$i`). */
  private readonly paramIndex = new Map<string, number>();
  /** Loop-variable scopes: `p` → `model.parameters()` in `for p in model.parameters()`. */
  protected readonly aliases: Map<string, string>[] = [new Map()];
  /** Names bound to a condition (`is_boundary = (i + 1) % N == 0`): a later test of the name tests it. */
  protected readonly condAliases = new Map<string, Cond>();

  constructor(protected readonly tables: ProgramTables<N>, protected readonly graph: FunctionGraph) {
    graph.params.forEach((name, i) => name && this.paramIndex.set(name, i));
    this.blocks = graph.blocks;
    const entry = this.newBlock();
    const exit = this.newBlock();
    this.throwExit = this.newBlock();
    graph.entry = entry;
    graph.exit = exit;
    this.cur = entry;
    this.returnTo = exit;
    this.throwTo = { block: this.throwExit, finallyDepth: 0 };
  }

  /** Ends the function: falls off the end to the exit, and drops writes no guard reads. */
  protected finish(): void {
    this.edge(this.cur, this.graph.exit);
    this.resolveWrites();
  }

  // ---- names -------------------------------------------------------------------------------

  param(name: string): number | undefined {
    return this.paramIndex.get(name);
  }

  alias(name: string): string | undefined {
    for (let i = this.aliases.length - 1; i >= 0; i--) {
      const a = this.aliases[i].get(name);
      if (a !== undefined) return a;
    }
    return undefined;
  }

  conditionAlias(name: string): Cond | undefined {
    return this.condAliases.get(name);
  }

  // ---- guards ------------------------------------------------------------------------------

  /** Interns a guard variable of this function (`reads`: the names an opaque test reads). */
  guardVar(g: GuardVar, reads?: string[]): number {
    const id = this.tables.guardVar(this.graph.id, g);
    this.myGuards.add(id);
    if (reads) this.opaqueReads.set(id, reads);
    return id;
  }

  protected assume(cond: Cond, value: boolean): void {
    if (cond !== UNKNOWN) this.blocks[this.cur].events.push({ kind: "assume", site: -1, cond, value });
  }

  /** Builds `arm` on the path where `cond` is `value`. */
  protected guarded(cond: Cond, value: boolean, arm: () => void): void {
    this.assume(cond, value);
    const counter = hasPhase(cond);
    if (counter) this.counterGuards++;
    try {
      arm();
    } finally {
      if (counter) this.counterGuards--;
    }
  }

  /**
   * `if` / `elif` … / `else`, built without recursion (a 5,000-arm chain must not deepen the
   * stack): each arm's test is evaluated (`test` emits its events and reads it) where every
   * earlier test has failed, and its body runs where it holds.
   */
  protected chain(arms: { test: () => Cond; body: () => void }[], orElse?: () => void): void {
    const after = this.newBlock();
    let counters = 0;
    for (const arm of arms) {
      const cond = arm.test();
      const fork = this.cur;
      this.cur = this.newBlock();
      this.edge(fork, this.cur);
      this.guarded(cond, true, arm.body);
      this.edge(this.cur, after);
      this.cur = this.newBlock();
      this.edge(fork, this.cur);
      this.assume(cond, false);
      // Later arms run only where this test failed: a counter test guards them too.
      if (hasPhase(cond)) {
        this.counterGuards++;
        counters++;
      }
    }
    orElse?.();
    this.edge(this.cur, after);
    this.counterGuards -= counters;
    this.cur = after;
  }

  /** A binding of a new value to an optimizer name: it starts with clean gradient state. */
  protected fresh(key: string): void {
    this.blocks[this.cur].events.push({ kind: "fresh", site: -1, key });
  }

  /** A name bound to what may be a new module: the parameters it owns start without gradients. */
  protected rebind(name: string): void {
    this.blocks[this.cur].events.push({ kind: "rebind", site: -1, name });
  }

  /** A write to a local name: counters tick or restart, guards reading it are forgotten. */
  protected write(name: string, op: PendingWrite["op"]): void {
    const ev: PendingWrite["ev"] = { kind: "write", site: -1, tick: [], reset: [], forget: [] };
    this.blocks[this.cur].events.push(ev);
    this.pendingWrites.push({ ev, name, op });
    if (op !== "tick") this.condAliases.delete(name);
  }

  private resolveWrites(): void {
    for (const { ev, name, op } of this.pendingWrites) {
      for (const id of this.myGuards) {
        const g = this.tables.guardVars[id];
        if (g.kind === "phase" && g.counter === name) (op === "tick" ? ev.tick : op === "reset" ? ev.reset : ev.forget).push(id);
        else if (g.kind === "opaque" && this.opaqueReads.get(id)?.includes(name)) ev.forget.push(id);
      }
    }
    for (const b of this.blocks) {
      b.events = b.events.filter((e) => e.kind !== "write" || e.tick.length + e.reset.length + e.forget.length > 0);
    }
  }

  // ---- blocks and edges --------------------------------------------------------------------

  protected newBlock(): number {
    const id = this.blocks.length;
    this.blocks.push({ id, events: [], succ: [], exc: [] });
    return id;
  }

  protected edge(from: number, to: number, exceptional = false): void {
    const succ = exceptional ? this.blocks[from].exc : this.blocks[from].succ;
    if (!succ.includes(to)) succ.push(to);
  }

  /** Continues in a fresh block reached from the current one. */
  protected split(): number {
    const next = this.newBlock();
    this.edge(this.cur, next);
    this.cur = next;
    return next;
  }

  protected emit(ev: GraphEvent): void {
    this.blocks[this.cur].events.push(ev);
    // Inside try, any event may throw: the handler is reachable after each one.
    if (this.throwTo.block !== this.throwExit) {
      const before = this.cur;
      this.split();
      this.jumpEdge(before, this.throwTo.block, this.throwTo.finallyDepth, true);
    }
  }

  /**
   * An edge that respects finally blocks between here and the target. `throwing`: the completion is
   * a throw (exceptional edges always are), which enters a finally block by its throw entry.
   */
  private jumpEdge(from: number, target: number, targetFinallyDepth: number, exceptional = false, throwing = exceptional): void {
    if (this.finallies.length > targetFinallyDepth) {
      const f = this.finallies[this.finallies.length - 1];
      this.edge(from, throwing ? f.throwEntry : f.entry, exceptional);
      (throwing ? f.throwPending : f.pending).set(target, targetFinallyDepth);
    } else {
      this.edge(from, target, exceptional);
    }
  }

  /**
   * Runs each arm from the current block and joins them after; with `mayskip`, control can also
   * pass straight from the fork to the join (an `if` without `else`, the right side of `&&`).
   */
  protected branches(arms: (() => void)[], mayskip: boolean, skip?: () => void): void {
    const fork = this.cur;
    const after = this.newBlock();
    for (const arm of arms) {
      this.cur = this.newBlock();
      this.edge(fork, this.cur);
      arm();
      this.edge(this.cur, after);
    }
    if (mayskip && skip) {
      this.cur = this.newBlock();
      this.edge(fork, this.cur);
      skip();
      this.edge(this.cur, after);
    } else if (mayskip) this.edge(fork, after);
    this.cur = after;
  }

  /** Ends the current path with a jump; code after it starts unreachable. */
  private jump(target: number, depth: number): void {
    this.jumpEdge(this.cur, target, depth);
    this.cur = this.newBlock();
  }

  protected returnStatement(): void {
    this.jump(this.returnTo, 0);
  }

  protected throwStatement(): void {
    this.jumpEdge(this.cur, this.throwTo.block, this.throwTo.finallyDepth, false, true);
    this.cur = this.newBlock();
  }

  /** An edge taken when `cond` is `value` (through a block that records the assumption). */
  protected edgeAssuming(from: number, to: number, cond: Cond, value: boolean): void {
    if (cond === UNKNOWN) return this.edge(from, to);
    const mid = this.newBlock();
    this.edge(from, mid);
    this.blocks[mid].events.push({ kind: "assume", site: -1, cond, value });
    this.edge(mid, to);
  }

  // ---- sites and loops ---------------------------------------------------------------------

  protected siteAt(kind: Site["kind"], node: N, range: [number, number], text: string): number {
    const loop = this.loopStack.length ? this.loopStack[this.loopStack.length - 1] : -1;
    const id = this.tables.addSite(kind, this.graph.id, node, range, text, loop);
    if (this.counterGuards > 0 && (kind === "step" || kind === "call")) this.tables.sites[id].counterGuarded = true;
    return id;
  }

  /** Runs a loop: head → body → continue target → head, with its exits (and an `else` arm). */
  protected loop(node: N, head: [number, number], label: string | null, shape: LoopShape): void {
    const parent = this.loopStack.length ? this.loopStack[this.loopStack.length - 1] : -1;
    const loopId = this.tables.addLoop(this.graph.id, node, head, "", parent);
    this.split();
    const headBlock = this.cur;
    const after = this.newBlock();
    const cont = this.newBlock();
    // Where a failing head test goes: `after`, or through the loop's `else` arm (which `break` skips).
    const exhausted = shape.orElse ? this.newBlock() : after;
    const { cond } = shape;
    // The loop may be left at its head unless it runs exactly once or its test is constant true.
    if (!shape.exactlyOnce && !shape.doWhile) {
      shape.test?.();
      if (shape.exitsAtHead) this.edgeAssuming(this.cur, exhausted, cond, false);
    }
    this.jumps.push({ label, breakTo: after, continueTo: cont, finallyDepth: this.finallies.length, loop: shape.exactlyOnce ? undefined : loopId, counterBase: this.counterGuards });
    this.loopStack.push(loopId);
    this.tables.loopBodies[loopId] = this.split();
    if (!shape.doWhile) this.assume(cond, true);
    shape.body();
    this.loopStack.pop();
    this.jumps.pop();
    if (!shape.exactlyOnce) this.blocks[this.cur].events.push({ kind: "iterate", site: -1, loop: loopId, counter: false });
    this.edge(this.cur, cont);
    this.cur = cont;
    if (shape.exactlyOnce) {
      this.edge(this.cur, exhausted);
    } else {
      shape.update?.();
      // The test is read afresh: a loop that ends changes what its test reads (`queue.pop()`), so
      // an earlier iteration's outcome of an opaque test says nothing about this one.
      const opaque = opaqueVars(cond);
      if (opaque.length > 0) this.blocks[this.cur].events.push({ kind: "write", site: -1, tick: [], reset: [], forget: opaque });
      if (shape.doWhile) {
        shape.test?.();
        if (shape.exitsAtHead) this.edgeAssuming(this.cur, exhausted, cond, false);
        this.edgeAssuming(this.cur, headBlock, cond, true);
      } else this.edge(this.cur, headBlock);
    }
    if (shape.orElse) {
      this.cur = exhausted;
      shape.orElse();
      this.edge(this.cur, after);
    }
    this.cur = after;
  }

  protected breakOrContinue(label: string | null, kind: "break" | "continue"): void {
    for (let i = this.jumps.length - 1; i >= 0; i--) {
      const j = this.jumps[i];
      if (j.barrier) break;
      if (label !== null ? j.label === label : kind === "break" || j.continueTo !== null) {
        if (kind === "continue" && j.continueTo === null) continue;
        const target = kind === "break" ? j.breakTo : j.continueTo!;
        if (kind === "continue" && j.loop !== undefined) {
          this.blocks[this.cur].events.push({ kind: "iterate", site: -1, loop: j.loop, counter: this.counterGuards > (j.counterBase ?? 0) });
        }
        return this.jump(target, j.finallyDepth);
      }
    }
    this.cur = this.newBlock(); // invalid jump: the parser accepted it; treat as dead end
  }

  /** A statement that `break label` can leave (a labelled block, a `switch`). */
  protected breakable(label: string | null, body: () => void): void {
    const after = this.newBlock();
    this.jumps.push({ label, breakTo: after, continueTo: null, finallyDepth: this.finallies.length });
    body();
    this.jumps.pop();
    this.edge(this.cur, after);
    this.cur = after;
  }

  protected tryStatement(t: TryShape): void {
    const after = this.newBlock();
    let fin: FinallyContext | null = null;
    if (t.finalizer) {
      fin = { entry: this.newBlock(), pending: new Map(), throwEntry: this.newBlock(), throwPending: new Map() };
      this.finallies.push(fin);
    }
    const savedThrow = this.throwTo;
    const dispatch = t.handlers.length > 0 ? this.newBlock() : null;
    if (dispatch !== null) this.throwTo = { block: dispatch, finallyDepth: this.finallies.length };
    // The try block may throw before its first event.
    if (dispatch !== null) this.edge(this.cur, dispatch, true);
    else if (fin) this.jumpEdge(this.cur, this.throwTo.block, this.throwTo.finallyDepth, true);
    this.split();
    t.body();
    this.throwTo = savedThrow;
    const done = fin ? fin.entry : after;
    if (t.orElse) t.orElse();
    this.edge(this.cur, done);
    if (dispatch !== null) {
      // Each handler is entered from the dispatch; an exception no clause matches propagates.
      const handlers = t.handlers;
      for (const h of handlers) {
        this.cur = this.newBlock();
        this.edge(dispatch, this.cur);
        h();
        this.edge(this.cur, done);
      }
      if (t.handlersMayMiss) this.jumpEdge(dispatch, this.throwTo.block, this.throwTo.finallyDepth, true);
    }
    if (fin) {
      this.finallies.pop();
      // A throw that leaves the function skips the finally block in the graph: nothing after it
      // is followed, and running it would merge the throwing path into the normal ones.
      const leaves = [...fin.throwPending.keys()].every((target) => target === this.throwExit);
      if (leaves) this.edge(fin.throwEntry, this.throwExit, true);
      else {
        // Caught further out in this function: one finally block for every completion.
        this.edge(fin.throwEntry, fin.entry);
        for (const [target, depth] of fin.throwPending) fin.pending.set(target, depth);
      }
      this.cur = fin.entry;
      t.finalizer!();
      const end = this.cur;
      this.edge(end, after);
      // Abrupt completions resume after the finally block (through outer finally blocks too).
      for (const [target, depth] of fin.pending) this.jumpEdge(end, target, depth, false, target === this.throwTo.block && !leaves);
    }
    this.cur = after;
  }

  /** Builds an inlined callback's body in place; its `return` ends the callback, not the caller. */
  protected inlineBody(build: () => void): void {
    const savedReturn = this.returnTo;
    const end = this.newBlock();
    this.returnTo = end;
    this.jumps.push({ label: null, breakTo: end, continueTo: null, finallyDepth: this.finallies.length, barrier: true });
    const savedFinallies = this.finallies.splice(0);
    build();
    this.finallies.push(...savedFinallies);
    this.jumps.pop();
    this.edge(this.cur, end);
    this.cur = end;
    this.returnTo = savedReturn;
  }
}
