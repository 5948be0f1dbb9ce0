/**
 * Classes of the file and what receivers hold: which method `x.f()` can call. `this.f()` in a
 * method of C calls C's f (or an override in a subclass); `this.l1.f()` where `l1 = new nn.Linear()`
 * calls nothing of this file. A receiver whose class can't be told may call any method named f.
 */
import type { TSESTree } from "@typescript-eslint/typescript-estree";
import { Node, ParsedFile } from "./parse";
import { propertyName, unwrap } from "./recognize";

interface ClassInfo {
  superName: string | null;
  methods: Map<string, number[]>;
}

/** What a receiver text was bound to: classes of this file, "lib" for any other class, or unknown. */
type Bound = Set<string> | "unknown";

export class ClassTable {
  private readonly classes = new Map<string, ClassInfo>();
  private readonly nameOfNode = new Map<Node, string>();
  private readonly bound = new Map<string, Bound>();

  constructor(private readonly parsed: ParsedFile) {
    const bindings: [string, TSESTree.Node | null][] = [];
    for (const n of parsed.bindings) {
      switch (n.type) {
        case "ClassDeclaration":
        case "ClassExpression": {
          const name = this.className(n);
          this.nameOfNode.set(n, name);
          const sup = n.superClass && n.superClass.type === "Identifier" ? n.superClass.name : null;
          if (!this.classes.has(name)) this.classes.set(name, { superName: sup, methods: new Map() });
          break;
        }
        case "VariableDeclarator":
          if (n.id.type === "Identifier") bindings.push([n.id.name, n.init]);
          break;
        case "PropertyDefinition":
          if (!n.computed && n.key.type === "Identifier") bindings.push([`this.${n.key.name}`, n.value]);
          break;
        case "AssignmentExpression": {
          const t = pathText(n.left);
          if (t !== null) bindings.push([t, n.operator === "=" ? n.right : null]);
          break;
        }
      }
    }
    for (const [text, value] of bindings) this.bind(text, value);
  }

  private className(n: TSESTree.ClassDeclaration | TSESTree.ClassExpression): string {
    if (n.id) return n.id.name;
    const parent = this.parsed.parent(n);
    if (parent?.type === "VariableDeclarator" && parent.id.type === "Identifier") return parent.id.name;
    return `<class@${n.range[0]}>`;
  }

  private bind(text: string, value: TSESTree.Node | null): void {
    const v = value ? unwrap(value) : null;
    const had = this.bound.get(text);
    if (had === "unknown") return;
    if (v !== null && isTensorFactoryCall(v)) {
      // `randn(...)`, `zeros(...)`: a new tensor, distinct from every module's parameters.
      this.bound.set(text, new Set([...(had ?? []), "tensor"]));
      return;
    }
    if (v?.type !== "NewExpression") {
      // `let m;` alone binds nothing yet; anything else may be any object.
      if (value !== null || text.startsWith("this.")) this.bound.set(text, "unknown");
      return;
    }
    const cls = v.callee.type === "Identifier" && this.classes.has(v.callee.name) ? v.callee.name : "lib";
    this.bound.set(text, new Set([...(had ?? []), cls]));
  }

  /** Texts bound only ever to `new X(...)`: each a distinct object. */
  freshTexts(): string[] {
    return [...this.bound].filter(([, b]) => b !== "unknown").map(([t]) => t);
  }

  addMethod(fn: Node, name: string, id: number): void {
    const cls = this.classOfMember(fn);
    if (cls === null) return;
    const info = this.classes.get(cls)!;
    info.methods.set(name, [...(info.methods.get(name) ?? []), id]);
  }

  private classOfMember(fn: Node): string | null {
    const member = this.parsed.parent(fn);
    const body = member && this.parsed.parent(member);
    const cls = body?.type === "ClassBody" ? this.parsed.parent(body) : undefined;
    return cls ? this.nameOfNode.get(cls) ?? null : null;
  }

  /** The class whose instance `this` is inside `fn` (arrows see their enclosing method's). */
  classOfFunction(fn: Node): string | null {
    let cur: Node | undefined = fn;
    for (let i = 0; cur && i < 10_000; i++) {
      if (cur.type === "FunctionExpression" || cur.type === "FunctionDeclaration") return this.classOfMember(cur);
      if (cur.type === "PropertyDefinition") {
        const cls = this.parsed.parent(this.parsed.parent(cur)!);
        return cls ? this.nameOfNode.get(cls) ?? null : null;
      }
      cur = this.parsed.parent(cur);
    }
    return null;
  }

  private lookup(cls: string, method: string): number[] {
    let cur: string | null = cls;
    for (let i = 0; cur !== null && i < 1000; i++) {
      const info = this.classes.get(cur);
      if (!info) return [];
      const found = info.methods.get(method);
      if (found) return found;
      cur = info.superName;
    }
    return [];
  }

  private subclasses(cls: string): string[] {
    const out = [cls];
    for (let i = 0; i < out.length && out.length < 1000; i++) {
      for (const [name, info] of this.classes) if (info.superName === out[i] && !out.includes(name)) out.push(name);
    }
    return out;
  }

  /**
   * Methods of this file that `recv.method()` may call. `recv` is the receiver in graph
   * namespace (`$this`, `this.l1`, `model`), null when not a simple path; `own` is the class of
   * `this` in the calling function.
   */
  resolve(method: string, recv: string | null, own: string | null, anyNamed: readonly number[]): number[] {
    let classes: string[] | null = null;
    if ((recv === "$this" || recv === "this") && own !== null) classes = this.subclasses(own);
    else if (recv !== null) {
      const b = this.bound.get(recv.startsWith("$this.") ? recv.slice(1) : recv);
      if (b !== undefined && b !== "unknown") classes = [...b].filter((c) => c !== "lib").flatMap((c) => this.subclasses(c));
    }
    if (classes === null) return [...anyNamed];
    const out = new Set<number>();
    for (const c of classes) for (const id of this.lookup(c, method)) out.add(id);
    return [...out];
  }
}

function pathText(n: TSESTree.Node): string | null {
  const u = unwrap(n);
  if (u.type === "Identifier") return u.name;
  if (u.type === "ThisExpression") return "this";
  if (u.type === "MemberExpression" && !u.computed) {
    const obj = pathText(u.object);
    const prop = propertyName(u);
    return obj === null || prop === null ? null : `${obj}.${prop}`;
  }
  return null;
}

const TENSOR_FACTORIES = new Set(["randn", "rand", "zeros", "ones", "full", "empty", "tensor", "arange", "linspace", "eye", "randint", "zerosLike", "onesLike", "randnLike"]);

/** `randn(3, 1, ...)` / `gl.zeros(...)`: a call of the engine's tensor factories. */
function isTensorFactoryCall(v: TSESTree.Node): boolean {
  if (v.type !== "CallExpression") return false;
  const c = v.callee;
  const name = c.type === "Identifier" ? c.name : c.type === "MemberExpression" && c.property.type === "Identifier" ? c.property.name : null;
  return name !== null && TENSOR_FACTORIES.has(name);
}
