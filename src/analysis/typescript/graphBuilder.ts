/**
 * TypeScript/JavaScript front end: typescript-estree AST → the core's control-flow graphs.
 * One FunctionGraph per function (and one for the top level). Callbacks that run in place are
 * built into their caller's graph: iteration-method callbacks as loops, noGrad/enableGrad
 * callbacks, IIFEs and step closures inline. Everything else is its own graph and analysis root.
 */
import type { TSESTree } from "@typescript-eslint/typescript-estree";
import { norm } from "../core/optimizers";
import type { FunctionGraph, Site, ZeroTarget } from "../core/cfg";
import { BuiltProgram, FlowBuilder, ProgramTables } from "../core/graphKit";
import { ResultBinding, ReturnedFacts, returnKey } from "../core/returnedFacts";
import { elementOf, looksLikeOptimizerCollection, looksLikeOptimizerName } from "../core/optimizers";
import { boundedLoopCounter, ConditionReader, GuardScope, intLiteral, UNKNOWN } from "./conditions";
import { ClassTable } from "./classes";
import { forEachChild, Node, ParsedFile, typeAnnotationOf } from "./parse";
import {
  calleeName, gradSources, INPLACE_UPDATES, inplaceBase, isFunctionNode, isNotOptimizerClassName, isNullish, isOptimizerClassName,
  ITERATION_METHODS, Namer, ONCE_CALLERS, parameterCollection, propertyName, receiverText, unwrap,
} from "./recognize";

type FnNode = TSESTree.FunctionExpression | TSESTree.ArrowFunctionExpression | TSESTree.FunctionDeclaration;
type InlineKind = "iife" | "loop" | "once" | "closure";

/** Beyond this nesting the builder stops descending and treats the subtree as opaque. */
const MAX_NESTING = 50_000;

export type TsProgram = BuiltProgram<Node>;

export function buildProgram(parsed: ParsedFile): TsProgram {
  return new ProgramBuilder(parsed).build();
}

class ProgramBuilder extends ProgramTables<Node> {
  /** Lists of parameters by variable: the modules they were built from (null: unknown content). */
  readonly paramLists = new Map<string, Set<string> | null>();
  readonly classes: ClassTable;
  readonly graphOf = new Map<Node, number>();
  readonly inline = new Map<Node, InlineKind>();
  readonly functionsByName = new Map<string, number[]>();
  readonly methodsByName = new Map<string, number[]>();
  private readonly queue: [number, Node][] = [];
  /** Facts that travel through what the file's functions return (factories). */
  readonly returned = new ReturnedFacts((fn) => this.functions[fn].params);

  constructor(readonly parsed: ParsedFile) {
    super();
    this.classes = new ClassTable(parsed);
    for (const t of this.classes.freshTexts()) this.facts.fresh.add(t);
  }

  build(): TsProgram {
    this.prepass();
    const top = this.newFunction(this.parsed.ast, "<top level>", [], false);
    const roots = [top];
    for (let i = 0; i < this.queue.length; i++) {
      const [id, node] = this.queue[i];
      if (id !== top) roots.push(id);
      new FunctionBuilder(this, this.functions[id], node).build();
    }
    this.returned.apply(this.facts);
    return this.program(roots);
  }

  parent(node: Node): Node | undefined {
    return this.parsed.parent(node);
  }

  private newFunction(node: Node, name: string, params: string[], hasThis: boolean): number {
    const id = this.newGraph([node.range[0], node.range[1]], name, params, hasThis);
    this.graphOf.set(node, id);
    this.queue.push([id, node]);
    return id;
  }

  /** Finds functions, decides which are inlined, and names the callable ones. */
  private prepass(): void {
    // In source order, so graph ids (and reports) are stable.
    const fns = [...this.parsed.functions].sort((a, b) => a.range[0] - b.range[0]);
    for (const node of fns) if (isFunctionNode(node)) this.registerFunction(node);
  }

  private registerFunction(fn: FnNode): void {
    const parent = this.parent(fn);
    const kind = inlineKindOf(fn, parent);
    if (kind !== null) {
      this.inline.set(fn, kind);
      return;
    }
    const params = fn.params.map(paramName);
    let name = "<anonymous>";
    let isMethod = false;
    if (fn.type === "FunctionDeclaration" && fn.id) {
      name = fn.id.name;
    } else if (parent?.type === "VariableDeclarator" && parent.id.type === "Identifier") {
      name = parent.id.name;
    } else if ((parent?.type === "MethodDefinition" || parent?.type === "PropertyDefinition" || parent?.type === "Property") && !parent.computed) {
      name = parent.key.type === "Identifier" || parent.key.type === "PrivateIdentifier" ? parent.key.name : name;
      isMethod = true;
    } else if (parent?.type === "AssignmentExpression" && parent.left.type === "MemberExpression") {
      name = propertyName(parent.left) ?? name;
      isMethod = true;
    }
    const id = this.newFunction(fn, name, params.map((p) => p ?? ""), fn.type !== "ArrowFunctionExpression");
    fn.params.forEach((prm, i) => {
      const target = prm.type === "AssignmentPattern" ? prm.left : prm.type === "TSParameterProperty" ? prm.parameter : prm;
      const ann = typeAnnotationOf(target);
      const typeName = ann?.type === "TSTypeReference" ? (ann.typeName.type === "Identifier" ? ann.typeName.name : ann.typeName.type === "TSQualifiedName" ? ann.typeName.right.name : "") : "";
      if (isOptimizerClassName(typeName)) this.functions[id].optimizerParams.push(i);
    });
    if (name !== "<anonymous>") {
      const table = isMethod ? this.methodsByName : this.functionsByName;
      table.set(name, [...(table.get(name) ?? []), id]);
      if (isMethod) this.classes.addMethod(fn, name, id);
    }
  }

}

/**
 * Whether `value`, bound to `name`, may be a new object (a new module with new parameters): a
 * construction or a call's result — but not `name.to(device)`, which returns the same module.
 */
function mayBeNewObject(value: TSESTree.Node, name: string): boolean {
  let v = unwrap(value);
  if (v.type === "AwaitExpression") v = unwrap(v.argument);
  if (v.type === "NewExpression") return true;
  if (v.type !== "CallExpression") return false;
  let base: TSESTree.Node = unwrap(v.callee);
  while (base.type === "MemberExpression") base = unwrap(base.object);
  return !(base.type === "Identifier" && base.name === name.split(".")[0] && unwrap(v.callee).type === "MemberExpression");
}

/** Where a destructuring pattern puts each part of a value: `{ a, b: c }` → a at [a], c at [b]. */
function resultBindings(pattern: TSESTree.Node, path: string[]): ResultBinding[] {
  const p = pattern.type === "AssignmentPattern" ? pattern.left : pattern;
  if (p.type === "Identifier") return [{ path, key: p.name }];
  if (p.type === "ObjectPattern") {
    return p.properties.flatMap((prop) => {
      if (prop.type !== "Property" || prop.computed) return [];
      const name = prop.key.type === "Identifier" ? prop.key.name : prop.key.type === "Literal" ? String(prop.key.value) : null;
      return name === null ? [] : resultBindings(prop.value, [...path, name]);
    });
  }
  if (p.type === "ArrayPattern") return p.elements.flatMap((el, i) => (el === null || el.type === "RestElement" ? [] : resultBindings(el, [...path, `[${i}]`])));
  return [];
}

/** `[a]`: a loop over it runs its body exactly once. */
function isSingleElementArray(n: TSESTree.Node): boolean {
  const u = unwrap(n);
  return u.type === "ArrayExpression" && u.elements.length === 1 && u.elements[0] !== null && u.elements[0].type !== "SpreadElement";
}

/** `for (let i = 0; i < 1; i++)` / `i <= 0`: a counted loop that provably runs once. */
function countsOnce(s: TSESTree.ForStatement): boolean {
  const init = s.init?.type === "VariableDeclaration" && s.init.declarations.length === 1 ? s.init.declarations[0] : null;
  if (!init || init.id.type !== "Identifier" || !init.init || intLiteral(init.init) !== 0) return false;
  const name = init.id.name;
  const test = s.test ? unwrap(s.test) : null;
  if (!test || test.type !== "BinaryExpression" || test.left.type !== "Identifier" || test.left.name !== name) return false;
  const bound = intLiteral(test.right as TSESTree.Node);
  if (!((test.operator === "<" && bound === 1) || (test.operator === "<=" && bound === 0))) return false;
  const up = s.update ? unwrap(s.update) : null;
  return up !== null && up.type === "UpdateExpression" && up.operator === "++" && up.argument.type === "Identifier" && up.argument.name === name;
}

function paramName(p: TSESTree.Parameter): string | null {
  if (p.type === "Identifier") return p.name;
  if (p.type === "AssignmentPattern" && p.left.type === "Identifier") return p.left.name;
  if (p.type === "TSParameterProperty") return paramName(p.parameter as TSESTree.Parameter);
  return null;
}

function inlineKindOf(fn: FnNode, parent: Node | undefined): InlineKind | null {
  if (fn.type === "FunctionDeclaration" || parent === undefined) return null;
  if (parent.type !== "CallExpression") return null;
  if (parent.callee === fn) return fn.async || (fn as { generator?: boolean }).generator ? null : "iife";
  if (!parent.arguments.includes(fn as TSESTree.CallExpressionArgument)) return null;
  const callee = unwrap(parent.callee);
  const name = calleeName(callee);
  if (name === null) return null;
  if (callee.type === "MemberExpression" && ITERATION_METHODS.has(name) && parent.arguments[0] === fn) return "loop";
  if (ONCE_CALLERS.has(name)) return "once";
  if (callee.type === "MemberExpression" && name === "step" && parent.arguments[0] === fn) return "closure";
  return null;
}

class FunctionBuilder extends FlowBuilder<Node> implements Namer, GuardScope {
  private nesting = 0;
  /** Inlined callbacks being built: their `return` is not this function's. */
  private inlineDepth = 0;
  readonly hasThis: boolean;
  /** The class `this` belongs to here (for resolving `this.f()`). */
  private readonly ownClass: string | null;
  private readonly conditions = new ConditionReader(this);
  private readonly boundedLoops: [string, string][] = [];
  /** The last value assigned to each local name (for `loss = loss.div(N); loss.backward()`). */
  private readonly lastValue = new Map<string, TSESTree.Node>();
  /** Buffers holding a tensor's gradient: `v` → `p` after `v.add_(p.grad)`. */
  private readonly derived = new Map<string, string>();

  constructor(private readonly p: ProgramBuilder, graph: FunctionGraph, private readonly node: Node) {
    super(p, graph);
    this.hasThis = graph.hasThis;
    this.ownClass = node.type === "Program" ? null : p.classes.classOfFunction(node);
  }

  // ---- GuardScope ---------------------------------------------------------------------------

  src(node: TSESTree.Node): string {
    return this.p.parsed.text.slice(node.range[0], node.range[1]).replace(/\s+/g, "");
  }

  boundOf(counter: string): string | undefined {
    for (let i = this.boundedLoops.length - 1; i >= 0; i--) if (this.boundedLoops[i][0] === counter) return this.boundedLoops[i][1];
    return undefined;
  }

  // ---- Namer ------------------------------------------------------------------------------

  private text(node: TSESTree.Node): string | null {
    return receiverText(node, this);
  }

  private site(kind: Site["kind"], node: Node, text: string): number {
    return super.siteAt(kind, node, [node.range[0], node.range[1]], text);
  }

  // ---- entry ------------------------------------------------------------------------------

  build(): void {
    const node = this.node;
    if (node.type === "Program") {
      this.statements(node.body);
    } else if (isFunctionNode(node)) {
      if (node.body.type === "BlockStatement") this.statements(node.body.body);
      else {
        this.expr(node.body);
        this.returnedValue(node.body);
      }
    }
    this.finish();
  }

  // ---- statements -------------------------------------------------------------------------

  private statements(list: readonly TSESTree.Node[]): void {
    for (const s of list) this.statement(s);
  }

  private statement(s: TSESTree.Node, label: string | null = null): void {
    if (++this.nesting > MAX_NESTING) {
      this.nesting--;
      return;
    }
    try {
      this.statementInner(s, label);
    } finally {
      this.nesting--;
    }
  }

  private statementInner(s: TSESTree.Node, label: string | null): void {
    switch (s.type) {
      case "ExpressionStatement": return this.expr(s.expression);
      case "BlockStatement": return this.statements(s.body);
      case "VariableDeclaration":
        for (const d of s.declarations) this.declarator(d);
        return;
      case "ReturnStatement":
        if (s.argument) {
          this.expr(s.argument);
          this.returnedValue(s.argument);
        }
        return this.returnStatement();
      case "ThrowStatement":
        this.expr(s.argument);
        return this.throwStatement();
      case "IfStatement": return this.ifStatement(s);
      case "ForStatement": return this.forStatement(s, label);
      case "ForInStatement":
      case "ForOfStatement": return this.forEachStatement(s, label);
      case "WhileStatement": return this.whileStatement(s, label);
      case "DoWhileStatement": return this.doWhileStatement(s, label);
      case "BreakStatement": return this.breakOrContinue(s.label?.name ?? null, "break");
      case "ContinueStatement": return this.breakOrContinue(s.label?.name ?? null, "continue");
      case "LabeledStatement": return this.labeled(s);
      case "SwitchStatement": return this.switchStatement(s, label);
      case "TryStatement": return this.tsTry(s);
      case "ExportNamedDeclaration":
        if (s.declaration) this.statement(s.declaration);
        return;
      case "ExportDefaultDeclaration":
        if (!isFunctionNode(s.declaration) && s.declaration.type !== "ClassDeclaration") this.expr(s.declaration);
        return;
      case "ClassDeclaration":
        return this.classFacts(s);
      case "FunctionDeclaration":
      case "EmptyStatement":
      case "DebuggerStatement":
      case "ImportDeclaration":
      case "ExportAllDeclaration":
        return;
      default:
        if (s.type.startsWith("TS")) return; // type-level declarations
        return this.expr(s);
    }
  }

  private declarator(d: TSESTree.VariableDeclarator): void {
    if (d.init) this.expr(d.init);
    if (d.init) this.importResult(d.init, resultBindings(d.id, []));
    if (d.id.type !== "Identifier") {
      for (const name of patternNames(d.id)) {
        if (this.node.type !== "Program") this.p.returned.declaresLocal(this.graph.id, name);
        this.write(name, "other");
        if (d.init && mayBeNewObject(d.init, name)) this.rebind(name);
        if (d.init && looksLikeOptimizerName(name)) this.fresh(name);
      }
      return;
    }
    const key = d.id.name;
    if (this.node.type !== "Program") this.p.returned.declaresLocal(this.graph.id, key);
    this.recordFacts(key, d.init, typeAnnotationOf(d.id));
    if (d.init && mayBeNewObject(d.init, key)) this.rebind(key);
    if (d.init && (looksLikeOptimizerName(key) || constructsOptimizer(d.init))) this.fresh(key);
    this.assigned(key, d.init ?? null);
    if (!d.init) return;
    // `const params = model.parameters()` makes `params` a parameter collection.
    const coll = parameterCollection(d.init, this);
    if (coll !== null) this.aliases[this.aliases.length - 1].set(key, coll);
    // `const isBoundary = (i + 1) % N === 0`: a later `if (isBoundary)` tests the same thing.
    const init = unwrap(d.init);
    if (d.parent && (d.parent as TSESTree.VariableDeclaration).kind === "const" && (init.type === "BinaryExpression" || init.type === "LogicalExpression" || init.type === "UnaryExpression")) {
      const cond = this.conditions.read(d.init);
      if (cond !== UNKNOWN && cond.t !== "opaque") this.condAliases.set(key, cond);
    }
  }

  /** Bookkeeping for `name = value`: writes for guards, the last value, parameter lists, buffers. */
  private assigned(name: string, value: TSESTree.Node | null, op = "="): void {
    const v = value ? unwrap(value) : null;
    const increments = (op === "+=" && v !== null && v.type === "Literal" && v.value === 1) ||
      (op === "=" && v?.type === "BinaryExpression" && v.operator === "+" &&
        ((unwrap(v.left).type === "Identifier" && (unwrap(v.left) as TSESTree.Identifier).name === name && intLiteral(v.right) === 1) ||
          (unwrap(v.right).type === "Identifier" && (unwrap(v.right) as TSESTree.Identifier).name === name && intLiteral(v.left) === 1)));
    this.write(name, increments ? "tick" : op === "=" && v?.type === "Literal" && v.value === 0 ? "reset" : "other");
    if (v !== null && op === "=") this.lastValue.set(name, v);
    else this.lastValue.delete(name);
    if (op === "=") {
      const list = v === null ? null : this.paramList(v);
      if (list !== null || this.p.paramLists.has(name)) this.p.paramLists.set(name, list);
      // Only an initialiser that mentions `.grad` (or a buffer that holds one) can carry a gradient.
      const mayRead = v !== null && (this.derived.size > 0 || this.p.parsed.text.slice(v.range[0], v.range[1]).includes("grad"));
      const from = mayRead ? gradSources(v, this, this.derived) : new Set<string>();
      if (from.size === 1) this.derived.set(name, [...from][0]);
      else this.derived.delete(name);
    }
  }

  private classFacts(c: TSESTree.ClassDeclaration | TSESTree.ClassExpression): void {
    for (const m of c.body.body) {
      if (m.type === "PropertyDefinition" && !m.computed && m.key.type === "Identifier") {
        this.recordFacts(`this.${m.key.name}`, m.value, typeAnnotationOf(m));
        if (m.value) this.importResult(m.value, [{ path: [], key: `this.${m.key.name}` }]);
      }
      if (m.type === "MethodDefinition" && m.kind === "constructor") {
        for (const prm of m.value.params) {
          if (prm.type === "TSParameterProperty" && prm.parameter.type === "Identifier") {
            this.recordFacts(`this.${prm.parameter.name}`, null, typeAnnotationOf(prm.parameter));
          }
        }
      }
    }
  }

  /** What this function returns: its facts under `@ret<id>`, and which locals it returns where. */
  private returnedValue(value: TSESTree.Node): void {
    if (this.inlineDepth > 0) return; // an inlined callback's return is not the function's
    const id = this.graph.id;
    this.recordFacts(returnKey(id), value, null);
    const walk = (n: TSESTree.Node, path: string[], depth: number) => {
      const u = unwrap(n);
      if (depth > 4) return;
      if (u.type === "Identifier") this.p.returned.returnsLocal(id, path, this.text(u) ?? u.name);
      else if (u.type === "ObjectExpression") {
        for (const prop of u.properties) {
          if (prop.type !== "Property" || prop.computed) continue;
          const name = prop.key.type === "Identifier" ? prop.key.name : prop.key.type === "Literal" ? String(prop.key.value) : null;
          if (name !== null) walk(prop.value, [...path, name], depth + 1);
        }
      } else if (u.type === "ArrayExpression") {
        u.elements.forEach((el, i) => { if (el && el.type !== "SpreadElement") walk(el, [...path, `[${i}]`], depth + 1); });
      }
    };
    walk(value, [], 0);
  }

  /** `x = f(...)` / `const { a, b } = f(...)` with f a function of this file: its returned facts, under these names. */
  private importResult(value: TSESTree.Node, bindings: ResultBinding[]): void {
    let v = unwrap(value);
    if (v.type === "AwaitExpression") v = unwrap(v.argument);
    if (v.type !== "CallExpression" || bindings.length === 0) return;
    const callee = unwrap(v.callee);
    let candidates: number[] | undefined;
    let thisArg: string | null = null;
    if (callee.type === "Identifier" && this.param(callee.name) === undefined) candidates = this.p.functionsByName.get(callee.name);
    else if (callee.type === "MemberExpression") {
      const method = propertyName(callee);
      const named = method === null ? [] : this.p.methodsByName.get(method) ?? [];
      thisArg = this.text(callee.object);
      candidates = named.length === 0 || method === null ? [] : this.p.classes.resolve(method, thisArg, this.ownClass, named);
    }
    if (!candidates || candidates.length !== 1) return;
    const args = v.arguments.map((a) => (a.type === "SpreadElement" ? null : this.text(a)));
    this.p.returned.bind({ callee: candidates[0], args, thisArg, bindings });
  }

  /** Optimizer construction (`new optim.Adam(model.parameters())`), annotations, schedulers. */
  private recordFacts(rawKey: string, init: TSESTree.Node | null | undefined, annotation: TSESTree.TypeNode | null): void {
    const key = norm(rawKey);
    const facts = this.p.facts;
    if (annotation && annotation.type === "TSTypeReference") {
      const tn = annotation.typeName;
      const name = tn.type === "Identifier" ? tn.name : tn.type === "TSQualifiedName" ? tn.right.name : "";
      if (isOptimizerClassName(name)) facts.optimizers.add(key);
      else if (isNotOptimizerClassName(name)) facts.notOptimizers.add(key);
    }
    if (annotation && isOptimizerCollectionType(annotation)) facts.optimizerCollections.add(key);
    const value = init ? unwrap(init) : null;
    if (value?.type === "ObjectExpression") {
      // { backbone: new optim.AdamW(...), head: new optim.SGD(...) }: each property on its own.
      for (const prop of value.properties) {
        if (prop.type !== "Property" || prop.computed) continue;
        const name = prop.key.type === "Identifier" ? prop.key.name : prop.key.type === "Literal" ? String(prop.key.value) : null;
        if (name !== null && key.split(".").length < 6) this.recordFacts(`${key}.${name}`, prop.value, null);
      }
      return;
    }
    if (value?.type === "ArrayExpression" || (value?.type === "NewExpression" && calleeName(value.callee) === "Map")) {
      if (constructsOptimizers(value)) facts.optimizerCollections.add(key);
      // [new optim.SGD(a.parameters()), new optim.Adam(b.parameters())]: `C[0]` owns a's.
      if (value.type === "ArrayExpression" && key.split(".").length < 6) {
        // Indices are known only up to the first spread.
        for (let i = 0; i < value.elements.length; i++) {
          const el = value.elements[i];
          if (el?.type === "SpreadElement") break;
          if (el !== null) this.recordFacts(`${key}[${i}]`, el, null);
        }
      }
      return;
    }
    if (value?.type !== "NewExpression") return;
    const name = calleeName(value.callee);
    if (name === null) return;
    if (isNotOptimizerClassName(name)) {
      facts.notOptimizers.add(key);
      return;
    }
    if (!isOptimizerClassName(name)) return;
    facts.optimizers.add(key);
    const sources = this.parameterSources(value.arguments[0]);
    if (sources !== null) facts.sources.set(key, sources);
  }

  /** Modules whose parameters an optimizer is built from, or null when that isn't visible. */
  private parameterSources(arg: TSESTree.Node | undefined): Set<string> | null {
    const list = arg ? this.paramList(arg) : null;
    return list === null || list.size === 0 ? null : list;
  }

  /**
   * The modules a list of parameters comes from: `m.parameters()`, `[...a.parameters(), ...b.parameters()]`,
   * `a.parameters().concat(b.parameters())`, param groups `[{ params: a.parameters(), lr }]`, and
   * variables holding such lists (also built with `push`). Null when any element is unknown.
   */
  private paramList(node: TSESTree.Node, depth = 0): Set<string> | null {
    if (depth > 8) return null;
    const a = unwrap(node);
    const coll = parameterCollection(a, this);
    if (coll !== null && coll.endsWith(".parameters()")) return new Set([norm(coll.slice(0, -".parameters()".length))]);
    const text = this.text(a);
    if (text !== null && this.p.paramLists.has(text)) {
      const known = this.p.paramLists.get(text);
      return known ? new Set(known) : null;
    }
    const out = new Set<string>();
    const addAll = (n: TSESTree.Node): boolean => {
      const sub = this.paramList(n, depth + 1);
      if (sub === null) return false;
      for (const m of sub) out.add(m);
      return true;
    };
    if (a.type === "ArrayExpression") {
      for (const el of a.elements) {
        if (!el) return null;
        if (el.type === "SpreadElement") {
          if (!addAll(el.argument)) return null;
        } else if (el.type === "ObjectExpression") {
          const params = el.properties.find((pr) => pr.type === "Property" && !pr.computed && pr.key.type === "Identifier" && pr.key.name === "params");
          if (!params || params.type !== "Property" || !addAll(params.value)) return null;
        } else return null;
      }
      return out;
    }
    if (a.type === "CallExpression" && a.callee.type === "MemberExpression" && propertyName(a.callee) === "concat") {
      if (!addAll(a.callee.object)) return null;
      for (const arg of a.arguments) if (!addAll(arg.type === "SpreadElement" ? arg.argument : arg)) return null;
      return out;
    }
    if (a.type === "CallExpression" && a.callee.type === "MemberExpression" && propertyName(a.callee) === "from" && a.arguments.length === 1) {
      return addAll(a.arguments[0]) ? out : null; // Array.from(m.parameters())
    }
    return null;
  }

  /** `params.push(...enc.parameters())`: the list now also holds enc's parameters. */
  private pushed(list: string, args: readonly TSESTree.CallExpressionArgument[]): void {
    const had = this.p.paramLists.get(list);
    if (had === undefined || had === null) return;
    for (const arg of args) {
      const sub = arg.type === "SpreadElement" ? this.paramList(arg.argument) : null;
      if (sub === null) {
        this.p.paramLists.set(list, null);
        return;
      }
      for (const m of sub) had.add(m);
    }
  }

  private ifStatement(s: TSESTree.IfStatement): void {
    this.expr(s.test);
    const cond = this.conditions.read(s.test);
    const alternate = s.alternate;
    const then = () => this.guarded(cond, true, () => this.statement(s.consequent));
    if (alternate) this.branches([then, () => this.guarded(cond, false, () => this.statement(alternate))], false);
    else this.branches([then], true, () => this.assume(cond, false));
  }

  /** A JavaScript loop: `test` null is `for (;;)`, undefined a for-of / forEach (may end at its head). */
  private jsLoop(node: Node, label: string | null, keywordLength: number, opts: {
    test?: TSESTree.Node | null; update?: TSESTree.Node | null; body: () => void; doWhile?: boolean; exactlyOnce?: boolean;
  }): void {
    // `for (let c = 0; c < N; c++)`: c is a bounded counter inside (its test and body).
    const bounded = node.type === "ForStatement" ? boundedLoopCounter(opts.test, (n) => this.src(n)) : null;
    if (bounded) this.boundedLoops.push(bounded);
    const test = opts.test;
    this.loop(node, [node.range[0], node.range[0] + keywordLength], label, {
      cond: test ? this.conditions.read(test) : UNKNOWN,
      test: test ? () => this.expr(test) : undefined,
      exitsAtHead: opts.doWhile ? !(test && isConstantTrue(test)) : test === undefined || (test !== null && !isConstantTrue(test)),
      update: opts.update ? () => this.expr(opts.update!) : undefined,
      body: opts.body,
      doWhile: opts.doWhile,
      exactlyOnce: opts.exactlyOnce,
    });
    if (bounded) this.boundedLoops.pop();
  }

  private forStatement(s: TSESTree.ForStatement, label: string | null): void {
    if (s.init) {
      if (s.init.type === "VariableDeclaration") this.statement(s.init);
      else this.expr(s.init);
    }
    this.jsLoop(s, label, 3, { test: s.test ?? null, update: s.update, body: () => this.statement(s.body), exactlyOnce: countsOnce(s) });
  }

  private forEachStatement(s: TSESTree.ForInStatement | TSESTree.ForOfStatement, label: string | null): void {
    this.expr(s.right);
    const coll = s.type === "ForOfStatement" ? this.collectionElement(s.right) : null;
    const scope = new Map<string, string>();
    const bindVar = (pattern: TSESTree.Node) => {
      if (coll === null) return;
      const value = coll.endsWith(".paramGroups") ? `${coll}[]` : coll;
      if (pattern.type === "Identifier") scope.set(pattern.name, value);
      // for (const [name, p] of model.namedParameters())
      if (pattern.type === "ArrayPattern" && pattern.elements[1]?.type === "Identifier") scope.set(pattern.elements[1].name, value);
    };
    const left = s.left.type === "VariableDeclaration" ? s.left.declarations[0]?.id : s.left;
    if (left) bindVar(left);
    this.aliases.push(scope);
    this.jsLoop(s, label, 3, { body: () => this.statement(s.body), exactlyOnce: coll !== null || isSingleElementArray(s.right) });
    this.aliases.pop();
  }

  private whileStatement(s: TSESTree.WhileStatement, label: string | null): void {
    this.jsLoop(s, label, 5, { test: s.test, body: () => this.statement(s.body) });
  }

  private doWhileStatement(s: TSESTree.DoWhileStatement, label: string | null): void {
    this.jsLoop(s, label, 2, { test: s.test, body: () => this.statement(s.body), doWhile: true });
  }

  private labeled(s: TSESTree.LabeledStatement): void {
    const body = s.body;
    if (body.type === "ForStatement" || body.type === "ForInStatement" || body.type === "ForOfStatement" || body.type === "WhileStatement" || body.type === "DoWhileStatement" || body.type === "SwitchStatement") {
      return this.statement(body, s.label.name);
    }
    this.breakable(s.label.name, () => this.statement(body));
  }

  private switchStatement(s: TSESTree.SwitchStatement, label: string | null): void {
    this.expr(s.discriminant);
    this.breakable(label, () => {
      let dispatch = this.cur;
      let fallthrough: number | null = null;
      let hasDefault = false;
      for (const c of s.cases) {
        this.cur = dispatch;
        if (c.test) this.expr(c.test);
        else hasDefault = true;
        dispatch = this.cur;
        const body = this.newBlock();
        this.edge(dispatch, body);
        if (fallthrough !== null) this.edge(fallthrough, body);
        this.cur = body;
        this.statements(c.consequent);
        fallthrough = this.cur;
      }
      // Leaving the switch: falling off the last case, or no case matching without a default.
      const end = this.newBlock();
      if (fallthrough !== null) this.edge(fallthrough, end);
      if (!hasDefault) this.edge(dispatch, end);
      this.cur = end;
    });
  }

  private tsTry(s: TSESTree.TryStatement): void {
    const { handler, finalizer } = s;
    this.tryStatement({
      body: () => this.statements(s.block.body),
      handlers: handler ? [() => this.statements(handler.body.body)] : [],
      finalizer: finalizer ? () => this.statements(finalizer.body) : undefined,
    });
  }

  // ---- expressions ------------------------------------------------------------------------

  private expr(node: TSESTree.Node): void {
    if (++this.nesting > MAX_NESTING) {
      this.nesting--;
      return;
    }
    try {
      this.exprInner(node);
    } finally {
      this.nesting--;
    }
  }

  private exprInner(n: TSESTree.Node): void {
    switch (n.type) {
      case "CallExpression": return this.call(n);
      case "LogicalExpression": {
        this.expr(n.left);
        if (n.operator === "??") return this.branches([() => this.expr(n.right)], true);
        // `a && b` runs b when a holds; `a || b` when it doesn't.
        const cond = this.conditions.read(n.left);
        const runs = n.operator === "&&";
        return this.branches([() => this.guarded(cond, runs, () => this.expr(n.right))], true, () => this.assume(cond, !runs));
      }
      case "ConditionalExpression": {
        this.expr(n.test);
        const cond = this.conditions.read(n.test);
        return this.branches([() => this.guarded(cond, true, () => this.expr(n.consequent)), () => this.guarded(cond, false, () => this.expr(n.alternate))], false);
      }
      case "UpdateExpression": {
        const arg = unwrap(n.argument);
        if (arg.type === "Identifier") this.write(arg.name, n.operator === "++" ? "tick" : "other");
        else this.expr(n.argument);
        return;
      }
      case "AssignmentExpression": return this.assignment(n);
      case "ChainExpression": {
        // a?.b.c(): a nullish link skips the rest of the chain.
        const fork = this.cur;
        const after = this.newBlock();
        this.split();
        this.expr(n.expression);
        this.edge(this.cur, after);
        // `opt?.step()` and `opt?.zeroGrad()` skip together when opt is nullish: no separate path.
        if (hasOptionalLink(n.expression) && !isOptionalGradientCall(n.expression)) this.edge(fork, after);
        this.cur = after;
        return;
      }
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        if (this.p.inline.get(n) === "iife") return; // built by the call
        return; // separate graph
      case "ClassExpression":
        return this.classFacts(n);
      case "NewExpression":
        for (const a of n.arguments) this.expr(a);
        return;
      default:
        forEachChild(n, (c) => {
          if (!isFunctionNode(c) && c.type !== "ClassExpression" && c.type !== "ClassBody") this.expr(c);
          else if (c.type === "ClassExpression") this.classFacts(c);
        });
    }
  }

  private assignment(n: TSESTree.AssignmentExpression): void {
    const logical = n.operator === "||=" || n.operator === "&&=" || n.operator === "??=";
    if (n.left.type === "MemberExpression") {
      this.expr(n.left.object);
      if (n.left.computed) this.expr(n.left.property);
    }
    const right = () => {
      this.expr(n.right);
      if (n.left.type === "Identifier") this.assigned(n.left.name, n.right, n.operator);
      // p.grad = null | undefined
      if (n.left.type === "MemberExpression" && propertyName(n.left) === "grad" && isNullish(n.right) && n.operator === "=") {
        this.emitTensorZero(n, n.left.object);
      }
    };
    if (logical) this.branches([right], true);
    else right();
    // this.opt = new SGD(...) / opt = new Adam(...)
    if (n.operator === "=") {
      const key = this.text(n.left);
      if (key !== null) {
        this.recordFacts(key, n.right, null);
        this.importResult(n.right, [{ path: [], key }]);
        if (mayBeNewObject(n.right, key)) this.rebind(key);
        if (constructsOptimizer(n.right)) this.fresh(key);
      }
    }
  }

  private call(n: TSESTree.CallExpression): void {
    const callee = unwrap(n.callee);
    // (() => { ... })()
    if (isFunctionNode(callee) && this.p.inline.get(callee) === "iife") {
      for (const a of n.arguments) this.expr(a);
      return this.inlineFunction(callee);
    }
    const member = callee.type === "MemberExpression" ? callee : null;
    const method = member ? propertyName(member) : null;
    const fnArg = n.arguments.find((a) => isFunctionNode(a as Node)) as FnNode | undefined;
    const inlineKind = fnArg ? this.p.inline.get(fnArg) : undefined;

    if (member) {
      this.expr(member.object);
      if (member.computed) this.expr(member.property);
    } else if (callee.type !== "Identifier") {
      this.expr(callee);
    }
    for (const a of n.arguments) if (a !== fnArg || inlineKind === undefined) this.expr(a);
    this.zeroHandedOver(n.arguments);

    if (fnArg && inlineKind === "loop") return this.iterationLoop(n, member!, fnArg);
    if (fnArg && inlineKind === "once") return this.inlineFunction(fnArg);
    if (member && method === "push") {
      const list = this.text(member.object);
      if (list !== null) this.pushed(list, n.arguments);
    }

    if (member && method !== null) {
      if (this.recogniseMethodCall(n, member, method, fnArg, inlineKind)) return;
    }
    this.callEvent(n, callee, member, method);
  }

  /** `run(optimizer.zeroGrad.bind(optimizer))`: the callee may call the zero, once or never — it may have cleared. */
  private zeroHandedOver(args: TSESTree.CallExpressionArgument[]): void {
    for (const raw of args) {
      let a = unwrap(raw);
      if (a.type === "CallExpression" && a.callee.type === "MemberExpression" && propertyName(a.callee) === "bind") a = unwrap(a.callee.object);
      if (a.type !== "MemberExpression" || propertyName(a) !== "zeroGrad") continue;
      const recv = this.text(a.object);
      const target: ZeroTarget = recv === null ? { type: "all" } : { type: "zeroGrad", keys: [recv] };
      this.emit({ kind: "zero", site: this.site("zero", a, displayText(a.object, recv)), target, uncertain: true });
    }
  }

  /** Events for `.backward()`, `.step()`, `.zeroGrad()`, `.grad.zero_()`, manual updates. */
  private recogniseMethodCall(n: TSESTree.CallExpression, member: TSESTree.MemberExpression, method: string, fnArg: FnNode | undefined, inlineKind: InlineKind | undefined): boolean {
    const recv = this.text(member.object);
    switch (method) {
      case "backward": {
        const site = this.site("backward", n, recv ?? "");
        if (this.isScaledLoss(member.object, 0)) this.p.sites[site].scaledLoss = true;
        this.emit({ kind: "backward", site });
        return true;
      }
      case "zeroGrad": {
        if (recv !== null) this.p.facts.zeroGradReceivers.add(norm(recv));
        const target: ZeroTarget = recv === null ? { type: "all" } : { type: "zeroGrad", keys: [recv] };
        this.emit({ kind: "zero", site: this.site("zero", n, displayText(member.object, recv)), target });
        return true;
      }
      case "step": {
        if (fnArg && inlineKind === "closure") this.inlineFunction(fnArg);
        else if (n.arguments[0]?.type === "Identifier") this.closureByName(n.arguments[0]);
        // scaler.step(optimizer) steps the optimizer it is given.
        let key = recv;
        let shown: TSESTree.Node = member.object;
        const arg0 = n.arguments[0];
        if (recv !== null && /scaler/i.test(recv) && arg0 && !isFunctionNode(arg0 as Node)) {
          key = this.text(arg0);
          shown = arg0;
        }
        if (key === null) return true;
        this.p.facts.stepReceivers.add(norm(key));
        this.emit({ kind: "step", site: this.site("step", n, displayText(shown, key)), key, manual: false });
        return true;
      }
      case "zero_":
      case "fill_": {
        const gradOf = unwrap(member.object);
        if (gradOf.type === "MemberExpression" && propertyName(gradOf) === "grad") {
          if (method === "fill_" && !(n.arguments[0]?.type === "Literal" && n.arguments[0].value === 0)) return false;
          this.emitTensorZero(n, gradOf.object);
          return true;
        }
        return false;
      }
      default: {
        if (!INPLACE_UPDATES.has(method)) return false;
        // `v.mul_(m).add_(p.grad)` writes to v: the chain's base.
        const baseNode = inplaceBase(member.object);
        const base = this.text(baseNode);
        if (base === null) return false;
        // W.sub_(W.grad.mul(lr)) / W.data.sub_(...) / p.sub_(v) with v filled from p.grad: a manual step of W.
        const tensor = base.endsWith(".data") ? base.slice(0, -5) : base;
        const from = new Set<string>();
        for (const a of n.arguments) for (const t of gradSources(a, this, this.derived)) from.add(t);
        if (from.has(tensor)) {
          const shown = tensor === base ? baseNode : (unwrap(baseNode) as TSESTree.MemberExpression).object;
          const site = this.site("step", n, displayText(shown, tensor));
          this.p.sites[site].manual = true;
          this.emit({ kind: "step", site, key: tensor, manual: true });
          return true;
        }
        // A buffer accumulating one tensor's gradient (momentum): remember where it comes from.
        if (from.size === 1) this.derived.set(tensor, [...from][0]);
        return false;
      }
    }
  }

  private emitTensorZero(node: TSESTree.Node, tensorNode: TSESTree.Node): void {
    const key = this.text(tensorNode);
    let target: ZeroTarget;
    if (key === null) target = { type: "all" };
    else {
      const owner = collectionOwner(key);
      const element = elementOf(key);
      const list = element !== null && element[1] === "*" ? this.p.paramLists.get(element[0]) : undefined;
      // `for (const p of params) p.grad = null` over a list of several modules' parameters.
      if (list) target = { type: "zeroGrad", keys: [...list, key] };
      else target = owner !== null ? { type: "zeroGrad", keys: [owner] } : { type: "tensor", key };
    }
    this.emit({ kind: "zero", site: this.site("zero", node, displayText(tensorNode, key)), target });
  }

  /** `opt.step(closure)`: the closure (a function of this file, or a callback parameter) runs before the update. */
  private closureByName(arg: TSESTree.Identifier): void {
    const i = this.param(arg.name);
    const fns = i === undefined ? this.p.functionsByName.get(arg.name) : undefined;
    if (i === undefined && fns?.length !== 1) return;
    const site = this.site("call", arg, "");
    this.emit({ kind: "call", site, callee: i !== undefined ? null : fns![0], calleeParam: i !== undefined ? `$${i}` : null, args: [], thisArg: null });
  }

  /** A call to a function or method defined in this file, or of a callback parameter. */
  private callEvent(n: TSESTree.CallExpression, callee: TSESTree.Node, member: TSESTree.MemberExpression | null, method: string | null): void {
    let candidates: number[] | undefined;
    let thisArg: string | null = null;
    let calleeParam: string | null = null;
    if (callee.type === "Identifier") {
      const i = this.param(callee.name);
      if (i !== undefined) calleeParam = `$${i}`; // fit(model, stepFn) calling stepFn(batch)
      else candidates = this.p.functionsByName.get(callee.name);
    } else if (member && method !== null) {
      thisArg = this.text(member.object);
      const named = this.p.methodsByName.get(method) ?? [];
      candidates = named.length === 0 ? named : this.p.classes.resolve(method, thisArg, this.ownClass, named);
    }
    if (calleeParam === null && (!candidates || candidates.length === 0)) return this.opaqueCallbacks(n);
    const args = n.arguments.map((a) => (a.type === "SpreadElement" ? null : this.argText(a)));
    const site = this.site("call", n, "");
    if (calleeParam !== null || candidates!.length === 1) {
      this.emit({ kind: "call", site, callee: calleeParam !== null ? null : candidates![0], calleeParam, args, thisArg });
      return;
    }
    // Several methods share the name: any of them may run.
    this.branches(candidates!.map((c) => () => this.emit({ kind: "call", site, callee: c, calleeParam: null, args, thisArg })), false);
  }

  /** Functions of this file passed to a callee whose body is unknown: each may run, or not. */
  private opaqueCallbacks(n: TSESTree.CallExpression): void {
    for (const a of n.arguments) {
      const text = a.type === "SpreadElement" ? null : this.argText(a);
      if (text === null || !text.startsWith("fn:")) continue;
      this.emit({ kind: "call", site: this.site("call", a, ""), callee: Number(text.slice(3)), calleeParam: null, args: [], thisArg: null, opaque: true });
    }
  }

  /** An argument as the callee sees it: a receiver text, or `fn:<id>` for a function of this file. */
  private argText(a: TSESTree.Node): string | null {
    const u = unwrap(a);
    if (isFunctionNode(u)) {
      const id = this.p.graphOf.get(u);
      return id === undefined ? null : `fn:${id}`;
    }
    if (u.type === "Identifier" && this.param(u.name) === undefined && this.alias(u.name) === undefined) {
      const fns = this.p.functionsByName.get(u.name);
      if (fns && fns.length === 1) return `fn:${fns[0]}`;
    }
    return this.text(a);
  }

  /** `loss.div(N)`, `loss.mul(1 / N)`, `scaler.scale(loss)` of such, or a name last assigned one. */
  private isScaledLoss(node: TSESTree.Node, depth: number): boolean {
    if (depth > 4) return false;
    const n = unwrap(node);
    if (n.type === "Identifier") {
      const v = this.lastValue.get(n.name);
      return v !== undefined && this.isScaledLoss(v, depth + 1);
    }
    if (n.type === "BinaryExpression" && n.operator === "/") return true;
    if (n.type !== "CallExpression" || n.callee.type !== "MemberExpression") return false;
    const name = propertyName(n.callee);
    const arg = n.arguments[0] ? unwrap(n.arguments[0]) : null;
    if (name === "div" || name === "div_") return true;
    if ((name === "mul" || name === "mul_") && arg !== null) {
      if (arg.type === "BinaryExpression" && arg.operator === "/" && intLiteral(arg.left) === 1) return true;
      if (arg.type === "Literal" && typeof arg.value === "number" && arg.value > 0 && arg.value < 1) return true;
    }
    if (name === "scale" && arg !== null) return this.isScaledLoss(arg, depth + 1);
    return false;
  }

  /** `xs.forEach((x) => body)`: a loop whose body is the callback. */
  private iterationLoop(n: TSESTree.CallExpression, member: TSESTree.MemberExpression, fn: FnNode): void {
    const coll = this.collectionElement(member.object);
    const scope = new Map<string, string>();
    const first = fn.params[0];
    if (coll !== null && first?.type === "Identifier") scope.set(first.name, coll);
    this.aliases.push(scope);
    const keyword = member.property.range[0] - n.range[0];
    this.jsLoop(n, null, Math.max(1, keyword + (member.property.range[1] - member.property.range[0])), {
      body: () => this.inlineFunction(fn),
      exactlyOnce: coll !== null || isSingleElementArray(member.object),
    });
    this.aliases.pop();
  }

  /**
   * What a loop variable over `iterable` stands for when the loop acts on the collection as a
   * whole: `M.parameters()` / `O.params` (parameters), `params[*]` (a list of several modules'
   * parameters), `optimizers[*]` (every optimizer of a collection). Null for other loops.
   */
  private collectionElement(iterable: TSESTree.Node): string | null {
    const coll = parameterCollection(iterable, this);
    if (coll !== null) return coll;
    const text = this.text(iterable);
    if (text === null) return null;
    if (this.p.paramLists.get(text)) return `${text}[*]`;
    if (this.p.facts.optimizerCollections.has(norm(text)) || looksLikeOptimizerCollection(text)) return `${text}[*]`;
    return null;
  }

  /** Builds a callback's body in place; its `return` ends the callback, not the caller. */
  private inlineFunction(fn: FnNode): void {
    this.inlineDepth++;
    try {
      this.inlineBody(() => {
        if (fn.body.type === "BlockStatement") this.statements(fn.body.body);
        else this.expr(fn.body);
      });
    } finally {
      this.inlineDepth--;
    }
  }
}

function hasOptionalLink(n: TSESTree.Node): boolean {
  let cur: TSESTree.Node = n;
  for (let i = 0; i < 64; i++) {
    if ((cur.type === "MemberExpression" || cur.type === "CallExpression") && cur.optional) return true;
    if (cur.type === "MemberExpression") cur = cur.object;
    else if (cur.type === "CallExpression") cur = cur.callee;
    else if (cur.type === "TSNonNullExpression") cur = cur.expression;
    else return false;
  }
  return false;
}

function isOptionalGradientCall(n: TSESTree.Node): boolean {
  if (n.type !== "CallExpression" || n.callee.type !== "MemberExpression") return false;
  const name = propertyName(n.callee);
  // `p.grad?.zero_()`: skipped exactly when there is no gradient to clear.
  if (name === "zero_" && n.callee.optional && n.callee.object.type === "MemberExpression" && propertyName(n.callee.object) === "grad" && !hasOptionalLink(n.callee.object)) return true;
  return n.callee.optional && !n.optional && (name === "step" || name === "zeroGrad" || name === "backward") && !hasOptionalLink(n.callee.object);
}

function isConstantTrue(n: TSESTree.Node): boolean {
  return n.type === "Literal" && (n.value === true || n.value === 1);
}

/** The owner of a parameter collection: `M.parameters()` → M, `O.params` → O. */
function collectionOwner(text: string): string | null {
  if (text.endsWith(".parameters()")) return text.slice(0, -".parameters()".length);
  if (text.endsWith(".paramGroups[].params")) return text.slice(0, -".paramGroups[].params".length);
  if (text.endsWith(".params")) return text.slice(0, -".params".length);
  return null;
}

/** What to show (and insert) for a receiver: the source text when it is a simple path. */
function displayText(node: TSESTree.Node, fallback: string | null): string {
  const n = unwrap(node);
  const parts: string[] = [];
  let cur: TSESTree.Node = n;
  for (let i = 0; i < 32; i++) {
    if (cur.type === "Identifier") { parts.unshift(cur.name); return parts.join("."); }
    if (cur.type === "ThisExpression") { parts.unshift("this"); return parts.join("."); }
    if (cur.type === "MemberExpression" && propertyName(cur) !== null && !cur.computed) { parts.unshift(propertyName(cur)!); cur = unwrap(cur.object); continue; }
    break;
  }
  return fallback ?? "";
}

function patternNames(p: TSESTree.Node): string[] {
  const out: string[] = [];
  const stack: TSESTree.Node[] = [p];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type === "Identifier") out.push(n.name);
    else if (n.type === "ObjectPattern") for (const pr of n.properties) stack.push(pr.type === "Property" ? pr.value : pr.argument);
    else if (n.type === "ArrayPattern") for (const el of n.elements) { if (el) stack.push(el); }
    else if (n.type === "AssignmentPattern") stack.push(n.left);
    else if (n.type === "RestElement") stack.push(n.argument);
  }
  return out;
}


/** `Optimizer[]`, `Array<Optimizer>`, `Map<string, Optimizer>`, `Record<string, SGD>`. */
function isOptimizerCollectionType(t: TSESTree.TypeNode): boolean {
  const named = (x: TSESTree.TypeNode | undefined): boolean => {
    if (!x || x.type !== "TSTypeReference") return false;
    const tn = x.typeName;
    return isOptimizerClassName(tn.type === "Identifier" ? tn.name : tn.type === "TSQualifiedName" ? tn.right.name : "");
  };
  if (t.type === "TSArrayType") return named(t.elementType);
  if (t.type === "TSTypeReference" && t.typeArguments) {
    const args = t.typeArguments.params;
    return named(args[args.length - 1]);
  }
  return false;
}

/** `[new SGD(..), new Adam(..)]` / `new Map([["g", new Adam(..)], ...])`: every element an optimizer. */
/** `new optim.SGD(...)` (through parentheses and casts). */
function constructsOptimizer(init: TSESTree.Node): boolean {
  const v = unwrap(init);
  if (v.type !== "NewExpression") return false;
  const name = calleeName(v.callee);
  return name !== null && isOptimizerClassName(name);
}

function constructsOptimizers(n: TSESTree.ArrayExpression | TSESTree.NewExpression): boolean {
  const isOpt = (e: TSESTree.Node | null): boolean => {
    const u = e ? unwrap(e) : null;
    if (u?.type === "NewExpression") return isOptimizerClassName(calleeName(u.callee) ?? "");
    if (u?.type === "ArrayExpression" && u.elements.length === 2) return isOpt(u.elements[1]);
    return false;
  };
  const list = n.type === "ArrayExpression" ? n : n.arguments[0] ? unwrap(n.arguments[0]) : null;
  if (list?.type !== "ArrayExpression" || list.elements.length === 0) return false;
  return list.elements.every((e) => e !== null && e.type !== "SpreadElement" && isOpt(e));
}
