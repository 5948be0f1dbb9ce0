/**
 * nn.Module. Parameters and submodules are found by walking the module's own fields in
 * declaration order (like PyTorch's attribute registration), so `namedParameters()` yields
 * PyTorch-style dotted names such as "0.weight" or "encoder.fc1.bias".
 */
import { noGrad } from "../autograd/gradMode";
import { Tensor } from "../tensor";
import { fmt } from "../shape";
import { probe } from "../probe";

/** Marks a tensor as a module parameter (a leaf that requires grad). */
export function Parameter(t: Tensor, requiresGrad = true): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError("Parameter: expected a Tensor");
  const p = t.isLeaf ? t : t.detach();
  p.requiresGrad = requiresGrad;
  p.isParameter = true;
  return p;
}

export type ForwardHook = (module: Module, inputs: unknown[], output: unknown) => unknown;

export interface ZeroGradOptions {
  setToNone?: boolean;
}

export class Module {
  training = true;
  private readonly _forwardHooks: ForwardHook[] = [];
  /** Buffers (state that isn't trained, such as BatchNorm's running statistics), by their PyTorch names. */
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();

  constructor() {
    // Wrap the subclass's forward so that calling `module.forward(x)` runs forward hooks,
    // the way calling a PyTorch module does.
    const forward = (this as unknown as { forward: (...a: unknown[]) => unknown }).forward;
    Object.defineProperty(this, "forward", {
      enumerable: false,
      configurable: true,
      writable: true,
      value: (...inputs: unknown[]) => {
        let output = forward.apply(this, inputs);
        for (const hook of this._forwardHooks) {
          const replaced = hook(this, inputs, output);
          if (replaced !== undefined) output = replaced;
        }
        return output;
      },
    });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(..._inputs: any[]): any {
    throw new Error(`${this.constructor.name}: module is missing the required forward() method`);
  }

  /** Direct children as [name, module], in declaration order. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith("_")) continue;
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Module)) {
        value.forEach((m, i) => out.push([`${key}.${i}`, m]));
      }
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module's own parameters (not its children's). */
  private ownParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (!key.startsWith("_") && value instanceof Tensor && value.isParameter) out.push([key, value]);
    }
    return out;
  }

  /**
   * Registers a buffer: state saved in `stateDict()` (unless `persistent` is false) but not trained,
   * under `name` as PyTorch names it (e.g. "running_mean").
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    if (typeof name !== "string" || name === "" || name.includes(".")) throw new TypeError(`registerBuffer: buffer name must be a non-empty string without ".", got ${JSON.stringify(name)}`);
    if (tensor !== null && !(tensor instanceof Tensor)) throw new TypeError(`registerBuffer: buffer "${name}" must be a Tensor or null`);
    this._buffers.set(name, tensor);
    if (persistent) this._nonPersistent.delete(name);
    else this._nonPersistent.add(name);
  }

  /** A registered buffer, or undefined. */
  getBuffer(name: string): Tensor | null | undefined {
    return this._buffers.get(name);
  }

  /** Every buffer with its dotted name (children's included when `recurse`). */
  namedBuffers(prefix = "", recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const mods = recurse ? this.namedModules(prefix) : [[prefix, this] as [string, Module]];
    for (const [modName, mod] of mods) {
      for (const [name, b] of mod._buffers) if (b !== null) out.push([modName ? `${modName}.${name}` : name, b]);
    }
    return out;
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers("", recurse).map(([, b]) => b);
  }

  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Every parameter with its dotted name; shared parameters appear once. */
  namedParameters(prefix = "", recurse = true): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    const mods = recurse ? this.namedModules(prefix) : [[prefix, this] as [string, Module]];
    for (const [modName, mod] of mods) {
      for (const [name, p] of mod.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([modName ? `${modName}.${name}` : name, p]);
      }
    }
    if (probe.sink !== null) probe.sink.namedParameters?.(this, out);
    return out;
  }

  parameters(recurse = true): Tensor[] {
    return this.namedParameters("", recurse).map(([, p]) => p);
  }

  /** Clears the gradients of every parameter: to null by default (PyTorch 2.x), else to zeros. */
  zeroGrad(options: ZeroGradOptions = {}): void {
    const setToNone = options.setToNone ?? true;
    const params = this.parameters();
    for (const p of params) clearGrad(p, setToNone);
    if (probe.sink !== null) probe.sink.zeroGrad?.(this, params, setToNone);
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  apply(fn: (m: Module) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  registerForwardHook(hook: ForwardHook): { remove(): void } {
    this._forwardHooks.push(hook);
    return {
      remove: () => {
        const i = this._forwardHooks.indexOf(hook);
        if (i >= 0) this._forwardHooks.splice(i, 1);
      },
    };
  }

  /**
   * Parameters and persistent buffers by dotted name, detached (sharing storage, as PyTorch's
   * state_dict), in PyTorch's order: each module's parameters, then its buffers, then its children.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const seen = new Set<Tensor>();
    for (const [modName, mod] of this.namedModules()) {
      const key = (name: string) => (modName ? `${modName}.${name}` : name);
      for (const [name, p] of mod.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out[key(name)] = p.detach();
      }
      for (const [name, b] of mod._buffers) if (b !== null && !mod._nonPersistent.has(name)) out[key(name)] = b.detach();
    }
    return out;
  }

  loadStateDict(state: Record<string, Tensor>, options: { strict?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const strict = options.strict ?? true;
    const params = new Map(Object.entries(this.stateDict()));
    const missingKeys = [...params.keys()].filter((k) => !(k in state));
    const unexpectedKeys = Object.keys(state).filter((k) => !params.has(k));
    const problems: string[] = [];
    for (const [name, value] of Object.entries(state)) {
      const p = params.get(name);
      if (p && (p.shape.length !== value.shape.length || p.shape.some((s, i) => s !== value.shape[i]))) {
        problems.push(`size mismatch for ${name}: copying a tensor of shape ${fmt(value.shape)}, the parameter has shape ${fmt(p.shape)}`);
      }
    }
    if (strict) {
      if (missingKeys.length) problems.push(`missing keys: ${missingKeys.join(", ")}`);
      if (unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(", ")}`);
    }
    if (problems.length) throw new Error(`loadStateDict: error(s) loading state for ${this.constructor.name}:\n  ${problems.join("\n  ")}`);
    noGrad(() => {
      for (const [name, value] of Object.entries(state)) params.get(name)?.copy_(value);
    });
    return { missingKeys, unexpectedKeys };
  }

  toString(): string {
    const kids = this.namedChildren();
    if (kids.length === 0) return `${this.constructor.name}(${this.extraRepr()})`;
    const body = kids.map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, "\n  ")}`).join("\n");
    return `${this.constructor.name}(\n${body}\n)`;
  }

  protected extraRepr(): string {
    return "";
  }
}

export function clearGrad(p: Tensor, setToNone: boolean): void {
  if (p.grad === null) return;
  if (setToNone) p.grad = null;
  else noGrad(() => p.grad!.detach_().zero_());
}
