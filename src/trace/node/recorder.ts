/**
 * The probe sink installed in the child process: turns the engine's backward / step / zeroGrad
 * calls into trace events, with per-parameter statistics and the runtime alerts. Pure: where
 * events go (`emit`) and where a call came from (`locate`) are given.
 *
 * Runtime confirmation of the static rule: each parameter counts the steps that applied its
 * gradient since it was last cleared. A step whose parameters still hold gradients an earlier
 * step applied (and that backward() added to since) is `accumulated-gradients`. Zeroing and
 * stepping together every N micro-batches never trips it: the count restarts at each zero.
 */
import type { Alert, ParamInfo, ParamStats, SourceLocation, TraceEvent, TraceOptions } from "../protocol";
import { gradIsClear, paramStats, Snapshot, snapshot, statsFromSums, TensorLike } from "./stats";
import type { UpdateSums } from "../../../engine/optim/stats";
import type { ProbeSink } from "../../../engine/probe";

/** Steps always logged in full, whatever `logEvery` says (early steps are where bugs show). */
export const ALWAYS_LOGGED = 100;

interface OptimizerState {
  index: number;
  label: string;
  params: TensorLike[];
  names: string[];
  backwardsSinceZero: number;
  stepsSinceZero: number;
  before: Snapshot[] | null;
  /** Reused snapshot buffers, one per parameter. */
  buffers: Snapshot[];
}

interface ParamState {
  /** Steps that applied this parameter's current gradient. */
  applied: number;
  /** Backwards since the last step that applied it. */
  backwardsSinceStep: number;
  /** The step and backward sites of the gradients it holds, for the alert's message. */
  lastStepAt: SourceLocation | null;
}

/** Module classes whose name says nothing about which network it is. */
const GENERIC_MODULES = new Set(["Sequential", "Module", "ModuleList", "ModuleDict", "Object"]);

export class Recorder implements ProbeSink {
  /** Weak: a script that builds a new optimizer every step mustn't keep them all alive. */
  private readonly optimizers = new WeakMap<object, OptimizerState>();
  /** One per distinct parameter list, in the order they first stepped. */
  private readonly states: OptimizerState[] = [];
  private readonly names = new Map<TensorLike, string>();
  /** The module each parameter was listed by (for an optimizer's label when its step names none). */
  private readonly modules = new Map<TensorLike, object>();
  private readonly params = new Map<TensorLike, ParamState>();
  private steps = 0;
  private backwards = 0;
  private lastLoss: number | null = null;
  private lastBackwardAt: SourceLocation | null = null;
  private readonly raised = new Set<string>();

  constructor(
    private readonly options: TraceOptions,
    private readonly emit: (e: TraceEvent) => void,
    private readonly locate: () => SourceLocation | null,
    /** Called once `maxSteps` steps were recorded: the run should end. */
    private readonly onMaxSteps: () => void = () => undefined,
    /** The user's call being recorded: its receiver (`optD` for `optD.step()`) and enclosing function, where known. */
    private readonly callHere: () => { receiver: string | null; fn: string | null } = () => ({ receiver: null, fn: null }),
  ) {}

  get stepCount(): number {
    return this.steps;
  }

  namedParameters(module: object, named: readonly [string, TensorLike][]): void {
    for (const [name, p] of named) {
      if (this.names.has(p)) continue;
      this.names.set(p, name);
      this.modules.set(p, module);
    }
  }

  backward(root: TensorLike): void {
    const loss = root.data.length === 1 ? Number(root.data[0]) : null;
    this.lastLoss = loss;
    this.lastBackwardAt = this.locate();
    this.backwards++;
    for (const o of this.states) o.backwardsSinceZero++;
    for (const [p, s] of this.params) {
      // Cleared by hand since the step (`p.grad = null`, `p.grad.zero_()`): nothing stale left.
      // Usually the first entry is non-zero, so this is one read per parameter.
      if (s.applied > 0 && gradIsClear(p)) s.applied = 0;
      s.backwardsSinceStep++;
    }
    this.emit({ type: "backward", index: this.backwards, loss: loss ?? NaN, at: this.lastBackwardAt });
    // A NaN loss is a problem even while every gradient still looks finite.
    if (loss !== null && !Number.isFinite(loss)) {
      const at = this.lastBackwardAt;
      this.alert({ kind: "non-finite", step: this.steps + 1, file: at?.file ?? "", line: at?.line ?? 0, message: `step ${this.steps + 1}: the loss passed to backward() is ${loss}` }, "non-finite-loss");
    }
  }

  zeroGrad(owner: object, params: readonly TensorLike[]): void {
    for (const p of params) {
      const s = this.params.get(p);
      if (s !== undefined) {
        s.applied = 0;
        s.backwardsSinceStep = 0;
      }
    }
    const cleared = new Set(params);
    for (const o of this.states) {
      if (o.params.some((p) => cleared.has(p))) {
        o.backwardsSinceZero = 0;
        o.stepsSinceZero = 0;
      }
    }
    const own = this.optimizers.get(owner);
    this.emit({ type: "zero", optimizer: own?.index ?? null });
  }

  private optimizer(opt: object, params: readonly TensorLike[]): OptimizerState {
    let o = this.optimizers.get(opt);
    if (o !== undefined) return o;
    // An optimizer rebuilt over the same parameters (a new learning rate each epoch) continues
    // the same series: the gradients live on the parameters, not on the optimizer object.
    o = this.states.find((q) => q.params.length === params.length && q.params.every((p, i) => p === params[i]));
    if (o !== undefined) {
      this.optimizers.set(opt, o);
      return o;
    }
    const index = this.states.length;
    const seen = new Map<string, number>();
    // Two modules' "0.weight" in one optimizer: keep them apart.
    const names = params.map((p, i) => {
      const name = this.names.get(p) ?? `param${i}`;
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      return n === 1 ? name : `${name}#${n}`;
    });
    const label = this.labelFor(index, params);
    o = { index, label, params: [...params], names, backwardsSinceZero: this.backwards > 0 ? 1 : 0, stepsSinceZero: 0, before: null, buffers: [] };
    this.optimizers.set(opt, o);
    this.states.push(o);
    const infos: ParamInfo[] = params.map((p, i) => ({ name: names[i], shape: [...p.shape], optimizer: index }));
    this.emit({ type: "params", optimizer: index, kind: (opt.constructor as { name?: string }).name ?? "Optimizer", label, params: infos });
    for (const p of params) if (!this.params.has(p)) this.params.set(p, { applied: 0, backwardsSinceStep: 0, lastStepAt: null });
    return o;
  }

  /**
   * The user's own name for an optimizer, unique in the run: the variable its step is called on
   * (`optD.step()` → `optD`), else the class of the module its parameters come from
   * (`Discriminator`), else `optimizer N`. Two optimizers of one name (each function has its own
   * `optimizer`) are told apart by the function. Called from inside its first step.
   */
  private labelFor(index: number, params: readonly TensorLike[]): string {
    const call = this.callHere();
    const receiver = call.receiver?.replace(/^this\./, "");
    const module = params.length > 0 ? this.modules.get(params[0]) : undefined;
    const moduleName = (module?.constructor as { name?: string } | undefined)?.name;
    const base = receiver || (moduleName !== undefined && !GENERIC_MODULES.has(moduleName) ? moduleName : `optimizer ${index + 1}`);
    const taken = new Set(this.states.map((q) => q.label));
    if (!taken.has(base)) return base;
    if (call.fn !== null && !taken.has(`${base} in ${call.fn}`)) return `${base} in ${call.fn}`;
    let label = base;
    for (let n = 2; taken.has(label); n++) label = `${base} #${n}`;
    return label;
  }

  private logs(step: number): boolean {
    return step <= ALWAYS_LOGGED || step % Math.max(1, this.options.logEvery) === 0;
  }

  /** An engine that can measure its updates while applying them is asked to; an older one is snapshotted. */
  beforeStep(opt: object, params: readonly TensorLike[], canMeasure?: boolean): void | "measure" {
    const o = this.optimizer(opt, params);
    o.before = null;
    if (!this.logs(this.steps + 1)) return;
    if (canMeasure === true) return "measure";
    const kept = o.buffers;
    o.before = o.params.map((p, i) => (kept[i] = snapshot(p, kept[i])));
  }

  step(opt: object, params: readonly TensorLike[], measured?: readonly (UpdateSums | null)[]): void {
    const o = this.optimizer(opt, params);
    const step = ++this.steps;
    const at = this.locate();
    this.checkAccumulation(o, step, at);
    let stats: ParamStats[] = [];
    if (this.logs(step)) {
      stats = o.params.map((p, i) => {
        const sums = measured?.[i];
        return sums != null ? statsFromSums(o.names[i], sums) : paramStats(o.names[i], p, o.before?.[i] ?? null);
      });
      this.checkValues(o, stats, step, at);
    }
    o.before = null;
    this.emit({ type: "step", step, optimizer: o.index, at, loss: this.lastLoss, backwardsSinceZero: o.backwardsSinceZero, stepsSinceZero: o.stepsSinceZero, params: stats });
    o.stepsSinceZero++;
    for (const p of o.params) {
      const s = this.params.get(p)!;
      if (!gradIsClear(p)) s.applied++;
      s.backwardsSinceStep = 0;
      s.lastStepAt = at;
    }
    if (step >= this.options.maxSteps) this.onMaxSteps();
  }

  private alert(a: Alert, once: string): void {
    if (this.raised.has(once)) return;
    this.raised.add(once);
    this.emit({ type: "alert", alert: a });
  }

  private checkAccumulation(o: OptimizerState, step: number, at: SourceLocation | null): void {
    // Gradients a step already applied, still there (no zero, and not cleared by hand), with more added since.
    const stale = o.params.filter((p) => {
      const s = this.params.get(p)!;
      return s.applied > 0 && s.backwardsSinceStep > 0 && !gradIsClear(p);
    });
    if (stale.length === 0) return;
    const passes = Math.max(2, o.backwardsSinceZero);
    const where = at ?? this.lastBackwardAt;
    const back = this.lastBackwardAt;
    this.alert({
      kind: "accumulated-gradients", step, file: where?.file ?? "", line: where?.line ?? 0,
      message: `confirmed at runtime: step ${step} applied gradients of ${passes} backward passes (${stale.length === o.params.length ? "every parameter" : `${stale.length} of ${o.params.length} parameters`} still held gradients an earlier step applied; zeroGrad() was not called in between)`,
      backward: back ?? undefined,
    }, `acc|${o.index}|${where?.file}:${where?.line}`);
  }

  private checkValues(o: OptimizerState, stats: ParamStats[], step: number, at: SourceLocation | null): void {
    const file = at?.file ?? "", line = at?.line ?? 0;
    // With several optimizers, say whose parameter it is.
    const named = (s: ParamStats) => (this.states.length > 1 ? `${o.label}'s ${s.name}` : s.name);
    const bad = stats.find((s) => s.nonFinite > 0);
    if (bad !== undefined) {
      this.alert({ kind: "non-finite", step, file, line, message: `step ${step}: the gradient of ${named(bad)} has ${bad.nonFinite} NaN/Inf value${bad.nonFinite === 1 ? "" : "s"}` }, "non-finite");
    }
    const big = stats.find((s) => s.gradNorm > this.options.explodingNorm);
    if (big !== undefined) {
      this.alert({ kind: "exploding", step, file, line, message: `step ${step}: the gradient norm of ${named(big)} is ${big.gradNorm.toPrecision(3)} (above ${this.options.names.explodingNorm}, ${this.options.explodingNorm})` }, "exploding");
    }
    if (step > 1 && stats.length > 0 && stats.every((s) => s.gradNorm < this.options.vanishingNorm && s.nonFinite === 0)) {
      this.alert({ kind: "vanishing", step, file, line, message: `step ${step}: every gradient norm is below ${this.options.vanishingNorm} (${this.options.names.vanishingNorm}): the parameters barely move` }, "vanishing");
    }
  }
}
