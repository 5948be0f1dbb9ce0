/**
 * Python front end: tree-sitter syntax → the core's control-flow graphs, through the shared
 * graph-building kit. One graph per function and method, one for the module; each is an analysis
 * root. Methods that train on one batch (`training_step`, `train_step`, a trainer's `step`) run once
 * per batch, so their body is built as a loop body. Comprehensions are loops; lambdas are opaque.
 */
import type { Cond, FunctionGraph, Site, ZeroTarget } from "../core/cfg";
import { BuiltProgram, FlowBuilder, ProgramTables, UNKNOWN } from "../core/graphKit";
import { ResultBinding, ReturnedFacts, returnKey } from "../core/returnedFacts";
import { elementOf, norm } from "../core/optimizers";
import { inRangeMask } from "../core/guards";
import { PyConditionReader, PyGuardScope } from "./conditions";
import { field, fields, namedChildren, ParsedPython, PyNode, unparen } from "./parse";
import {
  callArguments, displayText, unquote, gradSources, isSimplePath, INPLACE_UPDATES, inplaceBase, isNotOptimizerClass, isOptimizerClass, lastName, PyNamer,
  receiverText, stripData,
} from "./recognize";

export type PyProgram = BuiltProgram<PyNode>;

/** Beyond this nesting the builder stops descending (Python itself rejects far shallower code). */
const MAX_NESTING = 500;
/**
 * Methods of torch.nn.Module, tensors and optimizers: on a receiver of unknown class, `model.train()`
 * is the library's, not a same-named method of some class in this file.
 */
const LIBRARY_METHODS = new Set([
  "train", "eval", "forward", "to", "cuda", "cpu", "half", "float", "double", "apply", "state_dict", "load_state_dict", "parameters",
  "named_parameters", "modules", "named_modules", "children", "zero_grad", "step", "backward", "item", "detach", "requires_grad_",
  "register_forward_hook", "register_backward_hook", "register_buffer", "add_module", "size", "view", "reshape", "update", "close",
]);
/** The guard "this micro-batch ends an accumulation window" (accelerate's `sync_gradients`), as a name writes forget. */
const SYNC = "$accelerator.sync_gradients";
/** Methods called once per batch by a framework's loop (Lightning, Hugging Face, trainer classes). */
const PER_BATCH_METHODS = new Set(["training_step", "train_step", "train_batch", "training_batch", "train_on_batch", "step", "optimize_parameters", "update", "learn_step"]);

interface FnInfo {
  id: number;
  node: PyNode;
  className: string | null;
  selfName: string | null;
  perBatch: boolean;
}

export function buildPythonProgram(parsed: ParsedPython): PyProgram {
  return new PyProgramBuilder(parsed).build();
}

class PyProgramBuilder extends ProgramTables<PyNode> {
  readonly functionsByName = new Map<string, number[]>();
  /** Methods by name, with the class each belongs to. */
  readonly methodsByName = new Map<string, { id: number; cls: string }[]>();
  readonly infos: FnInfo[] = [];
  /** Lists of parameters by variable: the modules they were built from (null: unknown content). */
  readonly paramLists = new Map<string, Set<string> | null>();
  /** Optimizers returned by `accelerator.prepare(...)` (gated inside `accelerator.accumulate`). */
  readonly prepared = new Set<string>();
  /** Engines that zero as part of their step (DeepSpeed's `model_engine.step()`). */
  readonly selfZeroing = new Set<string>();
  /** The file's classes and their base classes (as named), for resolving `self.f()` and `super().f()`. */
  readonly classBases = new Map<string, string[]>();
  /** Receivers bound to an instance of one of the file's classes (`trainer = Trainer(...)`). */
  readonly instances = new Map<string, string>();
  /** Facts that travel through what the file's functions return (factories). */
  readonly returned = new ReturnedFacts((fn) => this.functions[fn].params);
  /** Graph of each lambda, for passing it as a callback (`fn:<id>`). */
  readonly lambdas = new Map<PyNode, number>();

  constructor(readonly parsed: ParsedPython) {
    super();
  }

  src = (n: PyNode): string => this.parsed.text.slice(n.range[0], n.range[1]);

  build(): PyProgram {
    const top = this.newGraph([0, this.parsed.text.length], "<top level>", [], false);
    this.infos.push({ id: top, node: this.parsed.root, className: null, selfName: null, perBatch: false });
    this.collectFunctions(this.parsed.root);
    for (const info of this.infos) new PyFunctionBuilder(this, this.functions[info.id], info).build();
    this.returned.apply(this.facts);
    return this.program(this.infos.map((i) => i.id));
  }

  /** Every `def` in source order (methods know their class); iterative, for deeply nested files. */
  private collectFunctions(root: PyNode): void {
    const stack: [PyNode, string | null][] = [[root, null]];
    const found: [PyNode, string | null][] = [];
    while (stack.length > 0) {
      const [n, cls] = stack.pop()!;
      for (let i = n.children.length - 1; i >= 0; i--) {
        const c = n.children[i];
        if (c.type === "function_definition" || c.type === "lambda") found.push([c, c.type === "lambda" ? null : cls]);
        if (c.type === "class_definition") {
          const bases = field(c, "superclasses");
          this.classBases.set(this.src(field(c, "name")!), bases ? namedChildren(bases).map((b) => lastName(b, this.src)).filter((b): b is string => b !== null) : []);
        }
        // A def's own nested defs are functions, not methods of the class.
        const inner = c.type === "class_definition" ? this.src(field(c, "name")!) : c.type === "function_definition" ? null : cls;
        stack.push([c, inner]);
      }
    }
    found.sort((a, b) => a[0].range[0] - b[0].range[0]);
    for (const [node, cls] of found) this.registerFunction(node, cls);
  }

  private registerFunction(node: PyNode, cls: string | null): void {
    if (node.type === "lambda") return this.registerLambda(node);
    const name = this.src(field(node, "name")!);
    const paramsNode = field(node, "parameters");
    const names: string[] = [];
    const optimizerParams: number[] = [];
    for (const p of paramsNode ? namedChildren(paramsNode) : []) {
      const id = p.type === "identifier" ? p : p.type === "typed_parameter" ? namedChildren(p).find((c) => c.type === "identifier") : field(p, "name");
      if (p.type === "list_splat_pattern" || p.type === "dictionary_splat_pattern" || p.type === "keyword_separator" || p.type === "positional_separator") continue;
      names.push(id ? this.src(id) : "");
      const type = field(p, "type");
      const typeName = type ? /(\w+)\s*$/.exec(this.src(type).replace(/\[.*$/, ""))?.[1] ?? "" : "";
      if (isOptimizerClass(typeName)) optimizerParams.push(names.length - 1);
    }
    const decorators = node.parent?.type === "decorated_definition" ? this.src(node.parent) : "";
    const isStatic = /@staticmethod\b/.test(decorators);
    const selfName = cls !== null && !isStatic && names.length > 0 ? names[0] : null;
    const params = selfName !== null ? names.slice(1) : names;
    const id = this.newGraph([node.range[0], node.range[1]], name, params, selfName !== null);
    this.functions[id].optimizerParams = optimizerParams.map((i) => (selfName !== null ? i - 1 : i)).filter((i) => i >= 0);
    const body = this.src(node);
    const perBatch = cls !== null && PER_BATCH_METHODS.has(name) && /backward\s*\(/.test(body) && /\.step\s*\(/.test(body);
    this.infos.push({ id, node, className: cls, selfName, perBatch });
    if (cls !== null) this.methodsByName.set(name, [...(this.methodsByName.get(name) ?? []), { id, cls }]);
    else this.functionsByName.set(name, [...(this.functionsByName.get(name) ?? []), id]);
  }

  /** A lambda is a function of its own, called wherever it is passed to. */
  private registerLambda(node: PyNode): void {
    const id = this.newGraph([node.range[0], node.range[1]], "<lambda>", lambdaParams(node, this.src), false);
    this.infos.push({ id, node, className: null, selfName: null, perBatch: false });
    this.lambdas.set(node, id);
  }
}

/**
 * Whether `value`, bound to `name`, may be a new object (a new module with new parameters): a
 * call's result — but not `name.to(device)` / `name.cuda()`, which return the same module.
 */
function mayBeNewObject(value: PyNode, name: string, src: (n: PyNode) => string): boolean {
  let v = unparen(value);
  if (v.type === "await") v = unparen(namedChildren(v)[0] ?? v);
  if (v.type !== "call") return false;
  let base = unparen(field(v, "function")!);
  const isMethod = base.type === "attribute";
  while (base.type === "attribute" || base.type === "call") base = unparen(base.type === "attribute" ? field(base, "object")! : field(base, "function")!);
  return !(isMethod && base.type === "identifier" && src(base) === name.split(".")[0]);
}

/** Where an assignment target puts each part of a value: `a, (b, c)` → a at [0], b at [1][0], c at [1][1]. */
function resultBindings(target: PyNode, path: string[], text: (n: PyNode) => string | null): ResultBinding[] {
  const t = unparen(target);
  if (t.type === "pattern_list" || t.type === "tuple_pattern" || t.type === "list_pattern") {
    return namedChildren(t).flatMap((c, i) => (c.type === "list_splat_pattern" ? [] : resultBindings(c, [...path, `[${i}]`], text)));
  }
  const key = text(t);
  return key === null ? [] : [{ path, key }];
}

/** `[a]`, `(a,)`, `range(1)`: a loop over it runs its body exactly once. */
function runsOnce(iterable: PyNode, src: (n: PyNode) => string): boolean {
  const u = unparen(iterable);
  if (u.type === "list" || u.type === "tuple") {
    const items = namedChildren(u).filter((c) => c.type !== "comment");
    return items.length === 1 && items[0].type !== "list_splat";
  }
  if (u.type !== "call" || lastName(field(u, "function")!, src) !== "range") return false;
  const { positional, keyword } = callArguments(u, src);
  return positional.length === 1 && keyword.size === 0 && src(positional[0]).trim() === "1";
}

/** Parameter names of a lambda (`lambda x, y=1, *a: ...`). */
function lambdaParams(node: PyNode, src: (n: PyNode) => string): string[] {
  const ps = field(node, "parameters");
  return (ps ? namedChildren(ps) : []).map((p) => (p.type === "identifier" ? src(p) : p.type === "default_parameter" ? src(field(p, "name")!) : ""));
}

class PyFunctionBuilder extends FlowBuilder<PyNode> implements PyNamer, PyGuardScope {
  readonly selfName: string | null;
  private nesting = 0;
  private readonly conditions = new PyConditionReader(this);
  private readonly lastValue = new Map<string, PyNode>();
  private readonly derived = new Map<string, string>();
  /** Nesting of `with accelerator.accumulate(...)` blocks around the current statement. */
  private accumulateDepth = 0;

  constructor(private readonly p: PyProgramBuilder, graph: FunctionGraph, private readonly info: FnInfo) {
    super(p, graph);
    this.selfName = info.selfName;
  }

  src = (n: PyNode): string => this.p.src(n);

  private text(n: PyNode): string | null {
    return receiverText(n, this);
  }

  private site(kind: Site["kind"], node: PyNode, text: string): number {
    return this.siteAt(kind, node, [node.range[0], node.range[1]], text);
  }

  build(): void {
    const { node, perBatch } = this.info;
    if (node.type === "module") this.statements(node);
    else if (node.type === "lambda") {
      const body = field(node, "body");
      if (body) this.expr(body);
    } else {
      const body = field(node, "body");
      if (body && perBatch) {
        // Called once per batch: its body repeats like a loop's, gradients carried between calls.
        this.loop(node, [node.range[0], field(node, "name")!.range[1]], null, { cond: UNKNOWN, exitsAtHead: true, body: () => this.statements(body) });
      } else if (body) this.statements(body);
    }
    this.finish();
  }

  // ---- statements --------------------------------------------------------------------------

  private statements(block: PyNode): void {
    for (const s of block.children) if (s.named) this.statement(s);
  }

  private statement(s: PyNode): void {
    if (++this.nesting > MAX_NESTING) {
      this.nesting--;
      return;
    }
    try {
      this.statementInner(s);
    } finally {
      this.nesting--;
    }
  }

  private statementInner(s: PyNode): void {
    switch (s.type) {
      case "expression_statement":
        for (const c of namedChildren(s)) this.expr(c);
        return;
      case "block":
        return this.statements(s);
      case "if_statement": return this.ifStatement(s);
      case "for_statement": return this.forStatement(s);
      case "while_statement": return this.whileStatement(s);
      case "try_statement": return this.tryStatementPy(s);
      case "with_statement": return this.withStatement(s);
      case "match_statement": return this.matchStatement(s);
      case "return_statement":
        for (const c of namedChildren(s)) {
          this.expr(c);
          this.returnedValue(c);
        }
        return this.returnStatement();
      case "raise_statement":
        for (const c of namedChildren(s)) this.expr(c);
        return this.throwStatement();
      case "break_statement": return this.breakOrContinue(null, "break");
      case "continue_statement": return this.breakOrContinue(null, "continue");
      case "assert_statement": {
        const parts = namedChildren(s);
        if (parts[0]) this.expr(parts[0]);
        const cond = parts[0] ? this.conditions.read(parts[0]) : UNKNOWN;
        // A failing assert raises; a passing one continues knowing its condition.
        this.branches([() => this.guarded(cond, false, () => this.throwStatement())], true, () => this.assume(cond, true));
        return;
      }
      case "delete_statement":
        for (const c of namedChildren(s)) this.expr(c);
        return;
      case "function_definition":
      case "class_definition":
      case "decorated_definition":
      case "import_statement":
      case "import_from_statement":
      case "future_import_statement":
      case "pass_statement":
      case "global_statement":
      case "nonlocal_statement":
      case "comment":
      case "type_alias_statement":
        return;
      default:
        return this.expr(s);
    }
  }

  private ifStatement(s: PyNode): void {
    const test = field(s, "condition")!;
    const consequence = field(s, "consequence");
    const alternatives = fields(s, "alternative");
    // `if p.grad is not None:` skips exactly when there is no gradient to clear or apply: for the
    // gradient state it always runs (as `p.grad?.zero_()` in TypeScript).
    if (alternatives.length === 0 && /^[\w.]+\.grad\s+is\s+not\s+None$/.test(this.src(unparen(test)))) {
      this.expr(test);
      if (consequence) this.statements(consequence);
      return;
    }
    const arm = (t: PyNode, body: PyNode | undefined) => ({
      test: () => {
        this.expr(t);
        return this.conditions.read(t);
      },
      body: () => body && this.statements(body),
    });
    const elifs = alternatives.filter((a) => a.type === "elif_clause").map((a) => arm(field(a, "condition")!, field(a, "consequence")));
    const orElse = alternatives.find((a) => a.type === "else_clause");
    this.chain([arm(test, consequence), ...elifs], orElse ? () => this.statements(field(orElse, "body")!) : undefined);
  }

  private forStatement(s: PyNode): void {
    const left = field(s, "left")!, right = field(s, "right")!;
    this.expr(right);
    const coll = this.collectionElement(right);
    const scope = new Map<string, string>();
    // `for i, batch in enumerate(loader)` / `for step in range(n)`: i counts iterations.
    const counter = this.iterationCounter(left, right);
    if (coll !== null) {
      const target = unparen(left);
      if (target.type === "identifier") scope.set(this.src(target), coll);
      // for name, p in model.named_parameters()
      const parts = namedChildren(target);
      if ((target.type === "pattern_list" || target.type === "tuple_pattern") && parts[1]?.type === "identifier") scope.set(this.src(parts[1]), coll);
    } else {
      for (const name of targetNames(left, this.src)) if (name !== counter) this.write(name, "other");
    }
    if (counter !== null) this.write(counter, "reset");
    this.aliases.push(scope);
    const elseClause = field(s, "alternative");
    const body = field(s, "body")!;
    const keyword = this.src(s).startsWith("async") ? 9 : 3;
    this.loop(s, [s.range[0], s.range[0] + keyword], null, {
      cond: counter !== null ? this.rangeCondition(counter, right) : UNKNOWN,
      exitsAtHead: true,
      body: () => this.statements(body),
      update: counter !== null ? () => this.write(counter, "tick") : undefined,
      exactlyOnce: coll !== null || runsOnce(right, this.src),
      orElse: elseClause ? () => this.statements(field(elseClause, "body")!) : undefined,
    });
    this.aliases.pop();
  }

  /** The loop variable that counts iterations from 0: `i` of `enumerate(...)`, `step` of `range(n)`. */
  private iterationCounter(left: PyNode, right: PyNode): string | null {
    const r = unparen(right);
    if (r.type !== "call") return null;
    const fn = lastName(field(r, "function")!, this.src);
    const { positional, keyword } = callArguments(r, this.src);
    const target = unparen(left);
    if (fn === "enumerate" && !keyword.has("start") && positional.length === 1) {
      const first = namedChildren(target)[0];
      return (target.type === "pattern_list" || target.type === "tuple_pattern") && first?.type === "identifier" ? this.src(first) : null;
    }
    if (fn === "range" && positional.length === 1 && target.type === "identifier") return this.src(target);
    return null;
  }

  /**
   * `for i in range(n)` with a symbolic n is `for (i = 0; i < n; i++)`: i is a bounded counter, in
   * range on every iteration (so a training loop over `range(steps)` is taken to run).
   */
  private rangeCondition(counter: string, right: PyNode): Cond {
    const r = unparen(right);
    if (r.type !== "call" || lastName(field(r, "function")!, this.src) !== "range") return UNKNOWN;
    const n = callArguments(r, this.src).positional[0];
    if (!n || !isSimplePath(n) || unparen(n).type === "integer") return UNKNOWN;
    const g = { kind: "phase" as const, counter, modulus: this.src(unparen(n)).replace(/\s+/g, ""), size: 0, bounded: true };
    return { t: "phase", v: this.guardVar(g), mask: inRangeMask(g) };
  }

  private whileStatement(s: PyNode): void {
    const test = field(s, "condition")!;
    const elseClause = field(s, "alternative");
    const constant = /^(True|1)$/.test(this.src(unparen(test)));
    this.loop(s, [s.range[0], s.range[0] + 5], null, {
      cond: this.conditions.read(test),
      test: () => this.expr(test),
      exitsAtHead: !constant,
      body: () => this.statements(field(s, "body")!),
      orElse: elseClause ? () => this.statements(field(elseClause, "body")!) : undefined,
    });
  }

  private tryStatementPy(s: PyNode): void {
    const body = field(s, "body")!;
    const handlers = s.children.filter((c) => c.type === "except_clause" || c.type === "except_group_clause");
    const elseClause = s.children.find((c) => c.type === "else_clause");
    const fin = s.children.find((c) => c.type === "finally_clause");
    const blockOf = (c: PyNode) => c.children.find((x) => x.type === "block");
    // `except:` and `except Exception` / `BaseException` catch everything; typed clauses may all miss.
    const catchesAll = handlers.some((h) => {
      const value = h.children.find((x) => x.named && x.type !== "block" && x.type !== "comment");
      return value === undefined || /^\(?\s*(Base)?Exception\b/.test(this.src(value));
    });
    this.tryStatement({
      body: () => this.statements(body),
      handlers: handlers.map((h) => () => {
        const b = blockOf(h);
        if (b) this.statements(b);
      }),
      orElse: elseClause ? () => this.statements(field(elseClause, "body")!) : undefined,
      finalizer: fin ? () => { const b = blockOf(fin); if (b) this.statements(b); } : undefined,
      handlersMayMiss: !catchesAll,
    });
  }

  private withStatement(s: PyNode): void {
    const clause = s.children.find((c) => c.type === "with_clause");
    let accumulate = false;
    for (const item of clause ? namedChildren(clause) : []) {
      const value = field(item, "value");
      if (!value) continue;
      // `with open(f) as fh:` evaluates the expression; the alias is a new binding.
      const v = unparen(value);
      if (v.type === "as_pattern") {
        const inner = namedChildren(v)[0];
        if (inner) this.expr(inner);
        const alias = field(v, "alias");
        if (alias) for (const name of targetNames(alias, this.src)) this.write(name, "other");
      } else this.expr(v);
      if (v.type === "call" && lastName(field(v, "function")!, this.src) === "accumulate") accumulate = true;
    }
    if (!accumulate) return this.statements(field(s, "body")!);
    // `with accelerator.accumulate(model):` — each entry is a new micro-batch, which may or may not
    // end a window: the prepared optimizers' step and zero_grad act only when it does.
    this.write(SYNC, "other");
    this.accumulateDepth++;
    try {
      this.statements(field(s, "body")!);
    } finally {
      this.accumulateDepth--;
    }
  }

  /** Inside `accelerator.accumulate`: an optimizer's step or zero runs only on a window's last micro-batch. */
  private gatedBySync(key: string | null, emit: () => void): void {
    if (this.accumulateDepth === 0 || key === null || !this.isOptimizerKey(key)) return emit();
    const cond: Cond = { t: "opaque", v: this.guardVar({ kind: "opaque", text: "accelerator.sync_gradients" }, [SYNC]) };
    const first = this.p.sites.length;
    this.branches([() => this.guarded(cond, true, emit)], true, () => this.assume(cond, false));
    for (let i = first; i < this.p.sites.length; i++) this.p.sites[i].gated = true;
  }

  private isOptimizerKey(key: string): boolean {
    const k = norm(key);
    return this.p.facts.optimizers.has(k) || this.p.prepared.has(k) || /(^|[._])(opt|optim|optimi[sz]er)\w*$/i.test(k);
  }

  private matchStatement(s: PyNode): void {
    const subject = field(s, "subject");
    if (subject) this.expr(subject);
    const body = field(s, "body");
    const cases = body ? body.children.filter((c) => c.type === "case_clause") : [];
    const irrefutable = cases.some((c) => !field(c, "guard") && /^_$|^[a-z_]\w*$/.test(this.src(c.children.find((x) => x.type === "case_pattern") ?? c).trim()));
    this.branches(cases.map((c) => () => {
      const guard = field(c, "guard");
      if (guard) this.expr(guard);
      const consequence = field(c, "consequence");
      if (consequence) this.statements(consequence);
    }), !irrefutable);
  }

  // ---- expressions -------------------------------------------------------------------------

  private expr(n: PyNode): void {
    if (++this.nesting > MAX_NESTING) {
      this.nesting--;
      return;
    }
    try {
      this.exprInner(n);
    } finally {
      this.nesting--;
    }
  }

  private exprInner(n: PyNode): void {
    switch (n.type) {
      case "call": return this.call(n);
      case "assignment": return this.assignment(n);
      case "augmented_assignment": return this.augmented(n);
      case "boolean_operator": {
        this.expr(field(n, "left")!);
        const cond = this.conditions.read(field(n, "left")!);
        const runs = this.src(field(n, "operator")!) === "and";
        return this.branches([() => this.guarded(cond, runs, () => this.expr(field(n, "right")!))], true, () => this.assume(cond, !runs));
      }
      case "conditional_expression": {
        const [a, test, b] = namedChildren(n);
        if (!a || !test || !b) return;
        this.expr(test);
        const cond = this.conditions.read(test);
        return this.branches([() => this.guarded(cond, true, () => this.expr(a)), () => this.guarded(cond, false, () => this.expr(b))], false);
      }
      case "list_comprehension":
      case "set_comprehension":
      case "dictionary_comprehension":
      case "generator_expression":
        return this.comprehension(n);
      case "lambda":
      case "function_definition":
      case "class_definition":
        return; // bodies run elsewhere (or never)
      default:
        for (const c of n.children) if (c.named) this.expr(c);
    }
  }

  /** `[f(x) for x in xs if g(x)]`: a loop over the first iterable, the element evaluated per item. */
  private comprehension(n: PyNode): void {
    const clauses = n.children.filter((c) => c.type === "for_in_clause");
    if (clauses.length === 0) return;
    const first = field(clauses[0], "right");
    if (first) this.expr(first);
    this.loop(n, [n.range[0], n.range[0] + 1], null, {
      cond: UNKNOWN,
      exitsAtHead: true,
      body: () => this.inlineBody(() => {
        for (const c of n.children) {
          if (c === clauses[0] || !c.named) continue;
          if (c.type === "for_in_clause") {
            const r = field(c, "right");
            if (r) this.expr(r);
          } else if (c.type === "if_clause") {
            const t = namedChildren(c)[0];
            if (t) this.branches([() => this.expr(t)], true);
          } else this.expr(c);
        }
      }),
    });
  }

  private assignment(n: PyNode): void {
    const left = field(n, "left")!;
    const right = field(n, "right");
    if (!right) return; // an annotation alone
    this.expr(right);
    const l = unparen(left);
    const r = unparen(right);
    // p.grad = None
    if (l.type === "attribute" && this.src(field(l, "attribute")!) === "grad" && r.type === "none") {
      this.emitTensorZero(n, field(l, "object")!);
      return;
    }
    if (r.type === "assignment") return; // chained `a = b = c`: the inner one recorded
    if (l.type === "identifier") this.assigned(this.src(l), r);
    else if (l.type === "pattern_list" || l.type === "tuple_pattern" || l.type === "list_pattern") {
      this.unpacked(l, r);
    }
    this.importResult(r, resultBindings(l, [], (n) => this.text(n)));
    // Python: a name assigned in a function is that function's local.
    if (this.info.node.type !== "module") for (const name of targetNames(l, this.src)) this.p.returned.declaresLocal(this.graph.id, name);
    const key = this.text(l);
    if (key !== null) {
      this.recordFacts(key, r);
      if (mayBeNewObject(r, key, this.src)) this.rebind(key);
      // Only a constructor makes a new optimizer: `opt = self.optimizers()` returns the same one each call.
      if (this.constructsOptimizer(r)) this.fresh(key);
      // `encoder = Encoder()`: a new object, distinct from every other one built this way.
      const cls = r.type === "call" ? lastName(field(r, "function")!, this.src) : null;
      if (cls !== null && /^[A-Z]/.test(cls)) this.p.facts.fresh.add(norm(key));
      if (cls !== null && this.p.classBases.has(cls)) this.p.instances.set(norm(key), cls);
    }
  }

  /** `model, optimizer, loader = accelerator.prepare(model, optimizer, loader)`, DeepSpeed's engine. */
  private unpacked(l: PyNode, r: PyNode): void {
    const targets = namedChildren(l);
    for (const name of targetNames(l, this.src)) this.write(name, "other");
    // `model, opt = build()` may build new modules; `accelerator.prepare(...)` wraps the same ones.
    if (r.type === "call" && !/^(prepare|initialize)$/.test(lastName(field(r, "function")!, this.src) ?? "")) {
      for (const name of targetNames(l, this.src)) if (mayBeNewObject(r, name, this.src)) this.rebind(name);
    }
    if (r.type !== "call") return;
    const fn = lastName(field(r, "function")!, this.src);
    const { positional } = callArguments(r, this.src);
    if (fn === "prepare") {
      // Each output is the prepared twin of the input at the same position: keep what it was.
      targets.forEach((t, i) => {
        const key = this.text(t);
        const arg = positional[i];
        const from = arg ? this.text(arg) : null;
        if (key !== null && from !== null && this.p.facts.optimizers.has(norm(from))) {
          this.p.facts.optimizers.add(norm(key));
          this.p.prepared.add(norm(key));
          const sources = this.p.facts.sources.get(norm(from));
          if (sources) this.p.facts.sources.set(norm(key), sources);
        }
      });
    } else if (fn === "initialize" && /deepspeed/.test(this.src(r))) {
      // `model_engine, optimizer, _, _ = deepspeed.initialize(...)`: the engine steps and zeroes.
      const engine = targets[0] ? this.text(targets[0]) : null;
      if (engine !== null) {
        this.p.facts.optimizers.add(norm(engine));
        this.p.selfZeroing.add(norm(engine));
      }
    }
  }

  private assigned(name: string, v: PyNode): void {
    const increments = v.type === "binary_operator" && this.src(field(v, "operator")!) === "+" &&
      ((this.src(unparen(field(v, "left")!)) === name && this.src(field(v, "right")!) === "1") || (this.src(unparen(field(v, "right")!)) === name && this.src(field(v, "left")!) === "1"));
    this.write(name, increments ? "tick" : v.type === "integer" && this.src(v) === "0" ? "reset" : "other");
    this.lastValue.set(name, v);
    const list = this.paramList(v);
    if (list !== null || this.p.paramLists.has(name)) this.p.paramLists.set(name, list);
    const from = this.derived.size > 0 || this.src(v).includes("grad") ? gradSources(v, this, this.derived) : new Set<string>();
    if (from.size === 1) this.derived.set(name, [...from][0]);
    else this.derived.delete(name);
    // `is_boundary = (i + 1) % accum == 0`: a later `if is_boundary:` tests the same thing.
    if (v.type === "comparison_operator" || v.type === "boolean_operator" || v.type === "not_operator") {
      const cond = this.conditions.read(v);
      if (cond !== UNKNOWN && cond.t !== "opaque") this.condAliases.set(name, cond);
    }
  }

  private augmented(n: PyNode): void {
    const left = field(n, "left")!, right = field(n, "right")!;
    const op = this.src(field(n, "operator")!);
    this.expr(right);
    const l = unparen(left);
    if (l.type === "identifier") {
      const name = this.src(l);
      this.write(name, op === "+=" && this.src(right) === "1" ? "tick" : "other");
      this.lastValue.delete(name);
    }
    // W -= lr * W.grad  /  W.data -= lr * W.grad.data: a manual step of W.
    if (op === "-=" || op === "+=") {
      const base = stripData(l, this);
      const tensor = this.text(base);
      if (tensor !== null && gradSources(right, this, this.derived).has(tensor)) {
        const site = this.site("step", n, displayText(base, this, tensor));
        this.p.sites[site].manual = true;
        this.emit({ kind: "step", site, key: tensor, manual: true });
      }
    }
  }

  /** What this function returns: its facts under `@ret<id>`, and which locals it returns where. */
  private returnedValue(value: PyNode): void {
    if (this.info.node.type === "module") return;
    const id = this.graph.id;
    this.recordFacts(returnKey(id), unparen(value));
    const walk = (n: PyNode, path: string[], depth: number) => {
      const u = unparen(n);
      if (depth > 4) return;
      if (u.type === "identifier" || u.type === "attribute") {
        const text = this.text(u);
        if (text !== null) this.p.returned.returnsLocal(id, path, text);
      } else if (u.type === "dictionary") {
        for (const pair of u.children.filter((c) => c.type === "pair")) {
          const k = field(pair, "key"), v = field(pair, "value");
          if (k?.type === "string" && v) walk(v, [...path, `["${unquote(this.src(k))}"]`], depth + 1);
        }
      } else if (u.type === "tuple" || u.type === "list" || u.type === "expression_list") {
        namedChildren(u).forEach((e, i) => walk(e, [...path, `[${i}]`], depth + 1));
      }
    };
    walk(value, [], 0);
  }

  /** `x = f(...)` / `a, b = f(...)` with f a function of this file: its returned facts, under these names. */
  private importResult(value: PyNode, bindings: ResultBinding[]): void {
    const v = unparen(value);
    if (v.type !== "call" || bindings.length === 0) return;
    const f = unparen(field(v, "function")!);
    let candidates: number[] | undefined;
    let thisArg: string | null = null;
    if (f.type === "identifier" && this.param(this.src(f)) === undefined) candidates = this.p.functionsByName.get(this.src(f));
    else if (f.type === "attribute") {
      const object = field(f, "object")!;
      thisArg = this.text(object);
      candidates = this.resolveMethod(object, thisArg, this.src(field(f, "attribute")!));
    }
    if (!candidates || candidates.length !== 1) return;
    const { positional } = callArguments(v, this.src);
    this.p.returned.bind({ callee: candidates[0], args: positional.map((a) => this.text(a)), thisArg, bindings });
  }

  /** Optimizer construction (`torch.optim.Adam(model.parameters())`) and schedulers bound to a name. */
  private recordFacts(rawKey: string, value: PyNode): void {
    const key = norm(rawKey);
    const facts = this.p.facts;
    if (value.type === "list" || value.type === "tuple" || value.type === "expression_list") {
      const items = namedChildren(value);
      if (items.length > 0 && items.every((e) => this.constructsOptimizer(unparen(e)))) facts.optimizerCollections.add(key);
      items.forEach((e, i) => key.split(".").length < 6 && this.recordFacts(`${key}[${i}]`, unparen(e)));
      return;
    }
    if (value.type === "dictionary") {
      for (const pair of value.children.filter((c) => c.type === "pair")) {
        const k = field(pair, "key"), v = field(pair, "value");
        if (k?.type === "string" && v) this.recordFacts(`${key}["${unquote(this.src(k))}"]`, unparen(v));
      }
      return;
    }
    if (value.type !== "call") return;
    const name = lastName(field(value, "function")!, this.src);
    if (name === null) return;
    if (isNotOptimizerClass(name)) {
      facts.notOptimizers.add(key);
      return;
    }
    if (!isOptimizerClass(name)) return;
    facts.optimizers.add(key);
    const { positional, keyword } = callArguments(value, this.src);
    const arg = positional[0] ?? keyword.get("params");
    const sources = arg ? this.paramList(arg) : null;
    if (sources !== null && sources.size > 0) facts.sources.set(key, sources);
  }

  private constructsOptimizer(v: PyNode): boolean {
    if (v.type !== "call") return false;
    const name = lastName(field(v, "function")!, this.src);
    return name !== null && isOptimizerClass(name);
  }

  /**
   * The modules a list of parameters comes from: `m.parameters()`, `list(a.parameters()) +
   * list(b.parameters())`, `itertools.chain(...)`, param-group dicts, `filter(lambda p: ..., m.parameters())`,
   * `[p for n, p in m.named_parameters() if ...]`, and variables holding such lists. Null when unknown.
   */
  private paramList(node: PyNode, depth = 0): Set<string> | null {
    if (depth > 8) return null;
    const a = unparen(node);
    const text = this.text(a);
    if (text !== null && text.endsWith(".parameters()")) return new Set([norm(text.slice(0, -".parameters()".length))]);
    if (text !== null && this.p.paramLists.has(text)) {
      const known = this.p.paramLists.get(text);
      return known ? new Set(known) : null;
    }
    const out = new Set<string>();
    const addAll = (n: PyNode | undefined): boolean => {
      const sub = n ? this.paramList(n, depth + 1) : null;
      if (sub === null) return false;
      for (const m of sub) out.add(m);
      return true;
    };
    switch (a.type) {
      case "list":
      case "tuple": {
        for (const el of namedChildren(a)) {
          const e = unparen(el);
          if (e.type === "list_splat") { if (!addAll(namedChildren(e)[0])) return null; }
          else if (e.type === "dictionary") {
            const pair = e.children.find((c) => c.type === "pair" && /^['"]params['"]$/.test(this.src(field(c, "key")!)));
            if (!pair || !addAll(field(pair, "value"))) return null;
          } else return null;
        }
        return out.size > 0 ? out : null;
      }
      case "binary_operator":
        return this.src(field(a, "operator")!) === "+" && addAll(field(a, "left")) && addAll(field(a, "right")) ? out : null;
      case "call": {
        const fn = lastName(field(a, "function")!, this.src);
        const { positional } = callArguments(a, this.src);
        if (fn === "list" || fn === "tuple" || fn === "iter") return positional.length === 1 && addAll(positional[0]) ? out : null;
        if (fn === "chain") return positional.length > 0 && positional.every((p) => addAll(p)) ? out : null;
        if (fn === "filter") return positional.length === 2 && addAll(positional[1]) ? out : null;
        return null;
      }
      case "list_comprehension":
      case "generator_expression": {
        const clause = a.children.find((c) => c.type === "for_in_clause");
        return clause && addAll(field(clause, "right")) ? out : null;
      }
      default:
        return null;
    }
  }

  private call(n: PyNode): void {
    const fn = field(n, "function")!;
    const f = unparen(fn);
    const method = f.type === "attribute" ? this.src(field(f, "attribute")!) : null;
    const object = f.type === "attribute" ? field(f, "object")! : null;
    if (object) this.expr(object);
    else if (f.type !== "identifier") this.expr(f);
    const args = field(n, "arguments");
    if (args) for (const c of args.children) if (c.named) this.expr(c.type === "keyword_argument" ? field(c, "value") ?? c : c);
    if (args) this.zeroHandedOver(args);
    if (method !== null && object !== null && this.recogniseMethodCall(n, object, method)) return;
    this.callEvent(n, f, object, method);
  }

  /** `run(optimizer.zero_grad)`: the callee may call the zero, once or never — it may have cleared. */
  private zeroHandedOver(args: PyNode): void {
    for (const c of args.children) {
      const a = unparen(c.type === "keyword_argument" ? field(c, "value") ?? c : c);
      if (a.type !== "attribute" || this.src(field(a, "attribute")!) !== "zero_grad") continue;
      const object = field(a, "object")!;
      const recv = this.text(object);
      const target: ZeroTarget = recv === null ? { type: "all" } : { type: "zeroGrad", keys: [recv] };
      this.emit({ kind: "zero", site: this.site("zero", a, displayText(object, this, recv)), target, uncertain: true });
    }
  }

  /** Events for backward, step, zero_grad, `.grad.zero_()`, manual in-place updates. */
  private recogniseMethodCall(n: PyNode, object: PyNode, method: string): boolean {
    const recv = this.text(object);
    const { positional } = callArguments(n, this.src);
    switch (method) {
      case "backward":
      case "manual_backward": {
        // loss.backward(), accelerator.backward(loss), self.manual_backward(loss), engine.backward(loss),
        // torch.autograd.backward(tensors).
        const loss = method === "manual_backward" || (recv !== null && /accelerator|engine|autograd|fabric/i.test(recv)) ? positional[0] : object;
        const site = this.site("backward", n, displayText(object, this, recv));
        if (loss && this.isScaledLoss(loss, 0)) this.p.sites[site].scaledLoss = true;
        this.emit({ kind: "backward", site });
        return true;
      }
      case "zero_grad": {
        if (recv !== null) this.p.facts.zeroGradReceivers.add(norm(recv));
        const target: ZeroTarget = recv === null ? { type: "all" } : { type: "zeroGrad", keys: [recv] };
        this.gatedBySync(recv, () => this.emit({ kind: "zero", site: this.site("zero", n, displayText(object, this, recv)), target }));
        return true;
      }
      case "step": {
        const arg0 = positional[0];
        // opt.step(closure): the closure runs first.
        if (arg0 && unparen(arg0).type === "identifier") this.closureByName(unparen(arg0));
        let key = recv;
        let shown = object;
        // scaler.step(optimizer) steps the optimizer it is given.
        if (recv !== null && /scaler/i.test(recv) && arg0) {
          key = this.text(arg0);
          shown = arg0;
        }
        if (key === null) return true;
        this.p.facts.stepReceivers.add(norm(key));
        const stepKey = key;
        this.gatedBySync(stepKey, () => {
          const site = this.site("step", n, displayText(shown, this, stepKey));
          // A step that waits for the end of an accumulation window: evidence of accumulation.
          if (this.accumulateDepth > 0) this.p.sites[site].counterGuarded = true;
          this.emit({ kind: "step", site, key: stepKey, manual: false });
        });
        if (this.p.selfZeroing.has(norm(key))) {
          this.emit({ kind: "zero", site: this.site("zero", n, displayText(shown, this, key)), target: { type: "zeroGrad", keys: [key] } });
        }
        return true;
      }
      case "zero_":
      case "fill_": {
        // p.grad.zero_() / p.grad.data.zero_()
        const gradOf = stripData(object, this);
        if (gradOf.type === "attribute" && this.src(field(gradOf, "attribute")!) === "grad") {
          if (method === "fill_" && this.src(positional[0] ?? n) !== "0") return false;
          this.emitTensorZero(n, field(gradOf, "object")!);
          return true;
        }
        return false;
      }
      default: {
        if (!INPLACE_UPDATES.has(method)) return false;
        const baseNode = inplaceBase(object, this);
        const tensorNode = stripData(baseNode, this);
        const tensor = this.text(tensorNode);
        if (tensor === null) return false;
        const from = new Set<string>();
        const argsNode = field(n, "arguments");
        if (argsNode) for (const t of gradSources(argsNode, this, this.derived)) from.add(t);
        if (from.has(tensor)) {
          const site = this.site("step", n, displayText(tensorNode, this, tensor));
          this.p.sites[site].manual = true;
          this.emit({ kind: "step", site, key: tensor, manual: true });
          return true;
        }
        if (from.size === 1) this.derived.set(tensor, [...from][0]);
        return false;
      }
    }
  }

  private emitTensorZero(node: PyNode, tensorNode: PyNode): void {
    const key = this.text(stripData(tensorNode, this));
    let target: ZeroTarget;
    if (key === null) target = { type: "all" };
    else {
      const element = elementOf(key);
      const list = element !== null && element[1] === "*" ? this.p.paramLists.get(element[0]) : undefined;
      const owner = key.endsWith(".parameters()") ? key.slice(0, -".parameters()".length) : null;
      if (list) target = { type: "zeroGrad", keys: [...list, key] };
      else target = owner !== null ? { type: "zeroGrad", keys: [owner] } : { type: "tensor", key };
    }
    this.emit({ kind: "zero", site: this.site("zero", node, displayText(tensorNode, this, key)), target });
  }

  /** `opt.step(closure)` with `def closure(): ...` in this file: the closure runs before the update. */
  private closureByName(arg: PyNode): void {
    const name = this.src(arg);
    const i = this.param(name);
    const fns = i === undefined ? this.p.functionsByName.get(name) : undefined;
    if (i === undefined && fns?.length !== 1) return;
    const site = this.site("call", arg, "");
    this.emit({ kind: "call", site, callee: i !== undefined ? null : fns![0], calleeParam: i !== undefined ? `$${i}` : null, args: [], thisArg: null });
  }

  /** A call to a function or method of this file, or of a callable parameter. */
  private callEvent(n: PyNode, f: PyNode, object: PyNode | null, method: string | null): void {
    let candidates: number[] | undefined;
    let thisArg: string | null = null;
    let calleeParam: string | null = null;
    if (f.type === "identifier") {
      const name = this.src(f);
      const i = this.param(name);
      if (i !== undefined) calleeParam = `$${i}`;
      else candidates = this.p.functionsByName.get(name);
    } else if (object !== null && method !== null) {
      thisArg = this.text(object);
      candidates = this.resolveMethod(object, thisArg, method);
      // `super().f()` runs with the same receiver.
      if (isSuperCall(object, this.src)) thisArg = "$this";
    }
    const { positional, keyword } = callArguments(n, this.src);
    if (calleeParam === null && (!candidates || candidates.length === 0)) return this.opaqueCallbacks([...positional, ...keyword.values()]);
    const args = positional.map((a) => (unparen(a).type === "list_splat" ? null : this.argText(a)));
    const site = this.site("call", n, "");
    if (calleeParam !== null || candidates!.length === 1) {
      this.emit({ kind: "call", site, callee: calleeParam !== null ? null : candidates![0], calleeParam, args, thisArg });
      return;
    }
    this.branches(candidates!.map((c) => () => this.emit({ kind: "call", site, callee: c, calleeParam: null, args, thisArg })), false);
  }

  /**
   * Which of the file's methods `x.f()` can run: for `self.f()` the definition this class inherits
   * (or overrides in a subclass); for `super().f()` the nearest base's; for an instance of a file
   * class its class's. Any other receiver may be any class's, unless too many share the name
   * (`__init__`): then the call is left unresolved rather than multiplying paths.
   */
  private resolveMethod(object: PyNode, recv: string | null, method: string): number[] {
    const named = this.p.methodsByName.get(method) ?? [];
    if (named.length === 0) return [];
    const own = this.info.className;
    const inherited = (cls: string | null, skipSelf: boolean): number[] => {
      const seen = new Set<string>();
      let queue = cls === null ? [] : skipSelf ? this.p.classBases.get(cls) ?? [] : [cls];
      while (queue.length > 0) {
        const next: string[] = [];
        for (const c of queue) {
          if (seen.has(c)) continue;
          seen.add(c);
          const hit = named.filter((m) => m.cls === c);
          if (hit.length > 0) return hit.map((m) => m.id);
          next.push(...(this.p.classBases.get(c) ?? []));
        }
        queue = next;
      }
      return [];
    };
    if (isSuperCall(object, this.src)) return inherited(own, true);
    const cls = recv === "$this" ? own : recv !== null ? this.p.instances.get(norm(recv)) ?? null : null;
    if (cls !== null) {
      const base = inherited(cls, false);
      // Subclasses of the receiver's class that override the method may run instead.
      const overrides = named.filter((m) => m.cls !== cls && this.inherits(m.cls, cls)).map((m) => m.id);
      return [...new Set([...base, ...overrides])];
    }
    // An unknown receiver calling a name every torch.nn.Module (or tensor) has is that library method.
    if (LIBRARY_METHODS.has(method)) return [];
    return named.length <= 8 ? named.map((m) => m.id) : [];
  }

  private inherits(sub: string, base: string): boolean {
    const seen = new Set<string>();
    const stack = [...(this.p.classBases.get(sub) ?? [])];
    while (stack.length > 0) {
      const c = stack.pop()!;
      if (c === base) return true;
      if (seen.has(c)) continue;
      seen.add(c);
      stack.push(...(this.p.classBases.get(c) ?? []));
    }
    return false;
  }

  /** Functions of this file passed to a callee whose body is unknown: each may run, or not. */
  private opaqueCallbacks(args: PyNode[]): void {
    for (const a of args) {
      const text = this.argText(a);
      if (text === null || !text.startsWith("fn:")) continue;
      this.emit({ kind: "call", site: this.site("call", a, ""), callee: Number(text.slice(3)), calleeParam: null, args: [], thisArg: null, opaque: true });
    }
  }

  private argText(a: PyNode): string | null {
    const u = unparen(a);
    const lambda = u.type === "lambda" ? this.p.lambdas.get(u) : undefined;
    if (lambda !== undefined) return `fn:${lambda}`;
    if (u.type === "identifier" && this.param(this.src(u)) === undefined && this.alias(this.src(u)) === undefined) {
      const fns = this.p.functionsByName.get(this.src(u));
      if (fns && fns.length === 1) return `fn:${fns[0]}`;
    }
    return this.text(a);
  }

  /** `loss / accum`, `loss.div(accum)`, `loss * (1 / accum)`, `scaler.scale(loss / accum)`, or a name last assigned one. */
  private isScaledLoss(node: PyNode, depth: number): boolean {
    if (depth > 4) return false;
    const n = unparen(node);
    if (n.type === "identifier") {
      const v = this.lastValue.get(this.src(n));
      return v !== undefined && this.isScaledLoss(v, depth + 1);
    }
    if (n.type === "binary_operator") {
      const op = this.src(field(n, "operator")!);
      if (op === "/") return true;
      if (op === "*") return /^\(?\s*1(\.0)?\s*\/|^0?\.\d+$/.test(this.src(field(n, "right")!)) || /^\(?\s*1(\.0)?\s*\//.test(this.src(field(n, "left")!));
      return false;
    }
    if (n.type !== "call") return false;
    const fn = field(n, "function")!;
    if (fn.type !== "attribute") return false;
    const name = this.src(field(fn, "attribute")!);
    if (name === "div" || name === "div_") return true;
    const arg = callArguments(n, this.src).positional[0];
    if (name === "scale" && arg) return this.isScaledLoss(arg, depth + 1);
    return false;
  }

  /** `model.parameters()`, a list of several modules' parameters, or a collection of optimizers. */
  private collectionElement(iterable: PyNode): string | null {
    const text = this.text(iterable);
    if (text === null) return null;
    if (text.endsWith(".parameters()")) return text;
    if (this.p.paramLists.get(text)) return `${text}[*]`;
    if (this.p.facts.optimizerCollections.has(norm(text))) return `${text}[*]`;
    return null;
  }
}

/** Names bound by an assignment or loop target: `a`, `a, (b, c)`, `*rest`. */
function targetNames(n: PyNode, src: (n: PyNode) => string): string[] {
  const out: string[] = [];
  const stack = [n];
  while (stack.length > 0) {
    const c = unparen(stack.pop()!);
    if (c.type === "identifier") out.push(src(c));
    else if (c.type === "pattern_list" || c.type === "tuple_pattern" || c.type === "list_pattern" || c.type === "tuple" || c.type === "list" || c.type === "list_splat_pattern" || c.type === "as_pattern_target") {
      for (const x of namedChildren(c)) stack.push(x);
    }
  }
  return out;
}

/** `super().f`'s object: `super()` (or `super(Cls, self)`). */
function isSuperCall(object: PyNode, src: (n: PyNode) => string): boolean {
  const o = unparen(object);
  return o.type === "call" && src(field(o, "function")!) === "super";
}
