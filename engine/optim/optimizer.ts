/**
 * Optimizer base, as torch.optim.Optimizer: parameter groups with per-group hyperparameters,
 * per-parameter state, `zeroGrad({ setToNone })` and `step(closure?)`. Updates write the
 * parameters' storage directly (in the parameter's dtype on the SIMD kernels, in float64 rounded
 * to it in JavaScript) and bump the version counter, so a graph that saved a parameter before the
 * step fails loudly.
 */
import { enableGrad } from "../autograd/gradMode";
import { Tensor } from "../tensor";
import { checkBooleanOption, checkNumberOption, checkOptions } from "../options";
import { clearGrad, ZeroGradOptions } from "../nn/module";
import { probe } from "../probe";
import { emptySums, measureUpdate, UpdateSums } from "./stats";
import { bufferValues, optimizerBuffer } from "../wasm/optim";
import { allocate } from "../dtype";

/** An optimizer's state as PyTorch's state_dict: per-parameter state by index, and the groups' options with parameter indices. */
export interface OptimizerStateDict {
  state: Record<number, Record<string, Tensor | number>>;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/** How one per-parameter state field is saved: a buffer (a tensor of the parameter's shape) or a number, under PyTorch's name. */
export type StateField = { field: string; name: string; kind: "buffer" | "number" };

export interface ParamGroupInput {
  params: Iterable<Tensor>;
  [option: string]: unknown;
}

export type ParamGroup = { params: Tensor[]; lr: number; initialLr?: number } & Record<string, unknown>;
export type Params = Iterable<Tensor> | ParamGroupInput[];

/** The type of every optimizer option (the constructors' own lists say which apply). */
const OPTION_TYPES: Record<string, "number" | "boolean" | "pair"> = {
  lr: "number", momentum: "number", dampening: "number", weightDecay: "number", eps: "number",
  nesterov: "boolean", maximize: "boolean", amsgrad: "boolean", betas: "pair",
  alpha: "number", centered: "boolean", lrDecay: "number", initialAccumulatorValue: "number",
};

export abstract class Optimizer {
  readonly paramGroups: ParamGroup[] = [];
  readonly state = new Map<Tensor, Record<string, unknown>>();

  constructor(params: Params, readonly defaults: Record<string, unknown> & { lr: number }) {
    const name = this.constructor.name;
    if (params instanceof Tensor) throw new TypeError(`${name}: params argument given to the optimizer should be an iterable of Tensors or of parameter groups, but got a single Tensor`);
    if (params === null || typeof (params as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new TypeError(`${name}: params must be an iterable of Tensors (e.g. model.parameters()), got ${params === null ? "null" : typeof params}`);
    }
    const list = [...(params as Iterable<Tensor | ParamGroupInput>)];
    if (list.length === 0) throw new RangeError(`${name}: optimizer got an empty parameter list`);
    const groups = list[0] instanceof Tensor ? [{ params: list as Tensor[] }] : (list as ParamGroupInput[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** The option names a parameter group may set besides `params` (strict, like the constructor's). */
  protected optionNames(): readonly string[] {
    return ["lr"];
  }

  addParamGroup(group: ParamGroupInput): void {
    const name = this.constructor.name;
    if (group === null || typeof group !== "object" || Array.isArray(group) || group instanceof Tensor) {
      throw new TypeError(`${name}: each parameter group must be an object like { params: model.parameters(), lr: 0.01 }, got ${Array.isArray(group) ? "an array" : group === null ? "null" : typeof group}`);
    }
    if (group.params === undefined || group.params === null || typeof (group.params as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new TypeError(`${name}: a parameter group's params must be an iterable of Tensors, got ${group.params === null ? "null" : typeof group.params}`);
    }
    const { params: _params, ...rest } = group as ParamGroupInput & Record<string, unknown>;
    void _params;
    checkOptions(`${name} parameter group`, rest, [...this.optionNames(), "initialLr"], "{ params: model.parameters(), lr: 0.01 }");
    const params = [...group.params];
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${name}: parameter ${i} is not a Tensor`);
      if (!p.isLeaf) throw new Error(`${name}: can't optimize a non-leaf Tensor (parameter ${i} was produced by ${p.gradFn})`);
    });
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => seen.has(p))) throw new Error(`${name}: some parameters appear in more than one parameter group`);
    const merged = { ...this.defaults, ...group, params } as ParamGroup;
    // Each option has its default's type: `{ lr: "0.1" }` or `{ nesterov: 1 }` names the option.
    for (const [key, type] of Object.entries(OPTION_TYPES)) {
      const v = merged[key];
      if (type === "number") checkNumberOption(name, key, v);
      else if (type === "boolean") checkBooleanOption(name, key, v);
      else if (v !== undefined && !(Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number"))) {
        throw new TypeError(`${name}: option "${key}" must be an array of 2 numbers, got ${JSON.stringify(v)}`);
      }
    }
    this.validate(merged);
    merged.initialLr = merged.lr;
    this.paramGroups.push(merged);
  }

  protected validate(group: ParamGroup): void {
    if (!(typeof group.lr === "number" && group.lr >= 0)) throw new RangeError(`${this.constructor.name}: invalid learning rate: ${group.lr}`);
  }

  get params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** Clears the gradients of every parameter: to null by default (PyTorch 2.x), else to zeros. */
  zeroGrad(options: ZeroGradOptions = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const g of this.paramGroups) for (const p of g.params) clearGrad(p, setToNone);
    if (probe.sink !== null) probe.sink.zeroGrad?.(this, this.params, setToNone);
  }

  /**
   * Applies one update using the current `.grad` of each parameter (parameters whose grad is
   * null are skipped). A closure, if given, re-evaluates the model and returns the loss; it runs
   * first with grad enabled and its result is returned.
   */
  step<T = unknown>(closure?: () => T): T | undefined {
    let loss: T | undefined;
    if (closure !== undefined) {
      if (typeof closure !== "function") throw new TypeError(`${this.constructor.name}.step: closure must be a function`);
      loss = enableGrad(closure);
    }
    // A tracer may ask for each update to be measured as it is applied (see optim/stats.ts).
    const measured = probe.sink !== null && probe.sink.beforeStep?.(this, this.params, true) === "measure" ? new Map<Tensor, UpdateSums>() : null;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        let state = this.state.get(p);
        if (state === undefined) this.state.set(p, (state = {}));
        const grad = p.grad.data;
        if (measured === null) this.update(p, grad, group, state);
        else if (this.measuresUpdates) {
          const into = emptySums();
          this.update(p, grad, group, state, into);
          measured.set(p, into);
        } else {
          const before = p.data.slice();
          this.update(p, grad, group, state);
          measured.set(p, measureUpdate(grad, p.data, before));
        }
        p.storage.version++;
        p.storage.lastInplaceOp = `${this.constructor.name}.step`;
      }
    }
    if (probe.sink !== null) probe.sink.step?.(this, this.params, measured === null ? undefined : this.params.map((p) => measured.get(p) ?? null));
    return loss;
  }

  /** The per-parameter state fields this optimizer keeps, for stateDict/loadStateDict. */
  protected stateFields(): readonly StateField[] {
    return [];
  }

  /**
   * A copy of the optimizer's state, as PyTorch's `state_dict()`: `state` by parameter index (in
   * group order) with PyTorch's field names (exp_avg, momentum_buffer, …), and each group's
   * options with `params` as indices. Pass it to `loadStateDict` (or save it) to resume training.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map(this.params.map((p, i) => [p, i]));
    const state: OptimizerStateDict["state"] = {};
    for (const [p, st] of this.state) {
      const entry: Record<string, Tensor | number> = {};
      for (const { field, name, kind } of this.stateFields()) {
        const v = st[field];
        if (v === undefined) continue;
        if (kind === "number") entry[name] = v as number;
        else {
          const data = allocate(p.dtype, p.numel());
          data.set(bufferValues(v as ReturnType<typeof optimizerBuffer>));
          entry[name] = Tensor.fromData(data, p.shape, p.dtype);
        }
      }
      state[index.get(p)!] = entry;
    }
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...options } = g;
      return { ...structuredClone(options), params: params.map((p) => index.get(p)!) };
    });
    return { state, paramGroups };
  }

  /** Restores state saved by `stateDict()` (for the same parameters, in the same groups). */
  loadStateDict(saved: OptimizerStateDict): void {
    const name = this.constructor.name;
    if (saved === null || typeof saved !== "object" || !Array.isArray(saved.paramGroups) || typeof saved.state !== "object") {
      throw new TypeError(`${name}.loadStateDict: expected an object like stateDict() returns ({ state, paramGroups })`);
    }
    if (saved.paramGroups.length !== this.paramGroups.length) {
      throw new RangeError(`${name}.loadStateDict: the saved state has ${saved.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    saved.paramGroups.forEach((g, i) => {
      if (g.params.length !== this.paramGroups[i].params.length) {
        throw new RangeError(`${name}.loadStateDict: parameter group ${i} has ${g.params.length} parameters in the saved state, ${this.paramGroups[i].params.length} here`);
      }
    });
    const params = this.params;
    const restored = new Map<Tensor, Record<string, unknown>>();
    for (const [key, entry] of Object.entries(saved.state)) {
      const p = params[Number(key)];
      if (p === undefined) throw new RangeError(`${name}.loadStateDict: state for parameter ${key}, but there are ${params.length} parameters`);
      const st: Record<string, unknown> = {};
      for (const { field, name: saveName, kind } of this.stateFields()) {
        const v = entry[saveName];
        if (v === undefined) continue;
        if (kind === "number") st[field] = Number(v instanceof Tensor ? v.item() : v);
        else {
          if (!(v instanceof Tensor) || v.numel() !== p.numel()) throw new RangeError(`${name}.loadStateDict: "${saveName}" of parameter ${key} must be a tensor of ${p.numel()} values (shape ${JSON.stringify(p.shape)})`);
          const buf = optimizerBuffer(p.numel(), p.dtype === "float64", st);
          bufferValues(buf).set(v.data);
          st[field] = buf;
        }
      }
      restored.set(p, st);
    }
    // Options come from the saved groups (the params stay this optimizer's own).
    saved.paramGroups.forEach((g, i) => {
      const { params: _p, ...options } = g;
      void _p;
      Object.assign(this.paramGroups[i], structuredClone(options));
    });
    this.state.clear();
    for (const [p, st] of restored) this.state.set(p, st);
  }

  /** Whether update() fills the sums it is given (else step measures around it). */
  protected readonly measuresUpdates: boolean = false;

  /**
   * Updates one parameter in place from its gradient values. With `into` (only when
   * measuresUpdates), it also measures the update (optim/stats.ts).
   */
  protected abstract update(p: Tensor, grad: ArrayLike<number>, group: ParamGroup, state: Record<string, unknown>, into?: UpdateSums): void;
}
