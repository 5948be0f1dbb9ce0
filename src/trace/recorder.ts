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
import type { Alert, ParamInfo, ParamStats, SourceLocation, TraceEvent, TraceOptions } from "./protocol";
import { gradIsClear, paramStats, Snapshot, snapshot, statsFromSums, TensorLike } from "./stats";
import type { UpdateSums } from "../../engine/optim/stats";

/** Steps always logged in full, whatever `logEvery` says (early steps are where bugs show). */
export const ALWAYS_LOGGED = 100;

interface OptimizerState {
  index: number;
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

export class Recorder {
  private readonly optimizers = new Map<object, OptimizerState>();
  private readonly names = new Map<TensorLike, string>();
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
  ) {}

  get stepCount(): number {
    return this.steps;
  }

  namedParameters(_module: object, named: readonly [string, TensorLike][]): void {
    for (const [name, p] of named) if (!this.names.has(p)) this.names.set(p, name);
  }

  backward(root: TensorLike): void {
    const loss = root.data.length === 1 ? Number(root.data[0]) : null;
    this.lastLoss = loss;
    this.lastBackwardAt = this.locate();
    this.backwards++;
    for (const o of this.optimizers.values()) o.backwardsSinceZero++;
    for (const [p, s] of this.params) {
      // Cleared by hand since the step (`p.grad = null`, `p.grad.zero_()`): nothing stale left.
      // Usually the first entry is non-zero, so this is one read per parameter.
      if (s.applied > 0 && gradIsClear(p)) s.applied = 0;
      s.backwardsSinceStep++;
    }
    this.emit({ type: "backward", index: this.backwards, loss: loss ?? NaN, at: this.lastBackwardAt });
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
    for (const o of this.optimizers.values()) {
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
    const index = this.optimizers.size;
    const used = new Set(this.names.values());
    const names = params.map((p, i) => {
      let name = this.names.get(p) ?? `param${i}`;
      // Two modules both with a "weight": keep them apart in the charts.
      if (this.optimizers.size > 0 && [...this.optimizers.values()].some((q) => q.names.includes(name))) name = `opt${index}.${name}`;
      used.add(name);
      return name;
    });
    o = { index, params: [...params], names, backwardsSinceZero: this.backwards > 0 ? 1 : 0, stepsSinceZero: 0, before: null, buffers: [] };
    this.optimizers.set(opt, o);
    const infos: ParamInfo[] = params.map((p, i) => ({ name: names[i], shape: [...p.shape], optimizer: index }));
    this.emit({ type: "params", optimizer: index, kind: (opt.constructor as { name?: string }).name ?? "Optimizer", params: infos });
    for (const p of params) if (!this.params.has(p)) this.params.set(p, { applied: 0, backwardsSinceStep: 0, lastStepAt: null });
    return o;
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
      this.checkValues(stats, step, at);
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

  private checkValues(stats: ParamStats[], step: number, at: SourceLocation | null): void {
    const file = at?.file ?? "", line = at?.line ?? 0;
    const bad = stats.find((s) => s.nonFinite > 0);
    if (bad !== undefined) {
      this.alert({ kind: "non-finite", step, file, line, message: `step ${step}: the gradient of ${bad.name} has ${bad.nonFinite} NaN/Inf value${bad.nonFinite === 1 ? "" : "s"}` }, "non-finite");
    }
    const big = stats.find((s) => s.gradNorm > this.options.explodingNorm);
    if (big !== undefined) {
      this.alert({ kind: "exploding", step, file, line, message: `step ${step}: the gradient norm of ${big.name} is ${big.gradNorm.toPrecision(3)} (above gradlens.trace.explodingNorm, ${this.options.explodingNorm})` }, "exploding");
    }
    if (step > 1 && stats.length > 0 && stats.every((s) => s.gradNorm < this.options.vanishingNorm && s.nonFinite === 0)) {
      this.alert({ kind: "vanishing", step, file, line, message: `step ${step}: every gradient norm is below ${this.options.vanishingNorm} (gradlens.trace.vanishingNorm): the parameters barely move` }, "vanishing");
    }
  }
}
