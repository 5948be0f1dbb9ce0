/**
 * The language-neutral control-flow graph that every front end produces and the typestate core
 * reads. A FunctionGraph is one function (or the top level); blocks carry the gradient events in
 * execution order. Receivers are kept as text in the function's own namespace: parameters are
 * written `$0`, `$1`, ... and the method receiver `$this`, so a call site can bind them.
 */

export type EventKind = "backward" | "step" | "zero" | "call";

/** Where an event is in the source; front ends attach their own data for fixes. */
export interface Site {
  id: number;
  kind: EventKind;
  /** Function graph the event belongs to. */
  fn: number;
  range: [number, number];
  /** Receiver as written in the source (for messages and inserted code), e.g. "optimizer". */
  text: string;
  /** Innermost loop enclosing the event within its own function, or -1. */
  loop: number;
  /** For steps: an in-place update of a tensor from its own .grad (the tensor is the optimizer). */
  manual?: boolean;
}

export interface Loop {
  id: number;
  fn: number;
  /** Range of the loop keyword / head, for related locations. */
  headRange: [number, number];
  label: string;
}

export type ZeroTarget =
  /** `X.zeroGrad()`: an optimizer's or a module's, decided when X is resolved. */
  | { type: "zeroGrad"; key: string }
  /** `T.grad = null` / `T.grad.zero_()`: clears one tensor, the key of a manual optimizer. */
  | { type: "tensor"; key: string }
  /** A zero whose receiver can't be resolved: assumed to clear everything. */
  | { type: "all" };

export type GraphEvent =
  | { kind: "backward"; site: number }
  /** `key` names the optimizer; manual in-place updates from `.grad` use the tensor's key with manual=true. */
  | { kind: "step"; site: number; key: string; manual: boolean }
  | { kind: "zero"; site: number; target: ZeroTarget }
  /** A call to a function of the same file; args are receiver texts (null when not a simple name). */
  | { kind: "call"; site: number; callee: number; args: (string | null)[]; thisArg: string | null };

export interface Block {
  id: number;
  events: GraphEvent[];
  succ: number[];
  /** Successors reached only by an exception thrown after this block's events. */
  exc: number[];
}

export interface FunctionGraph {
  id: number;
  name: string;
  params: string[];
  blocks: Block[];
  entry: number;
  /** Normal exit (return or falling off the end). */
  exit: number;
  /** Whether `$this` means a method receiver (methods and function expressions, not arrows). */
  hasThis: boolean;
  /** Parameters declared as optimizers (`opt: optim.Optimizer`): `$i` keys when this is the root. */
  optimizerParams: number[];
}

/** What the front end knows about optimizers from declarations, annotations and usage. */
export interface OptimizerFacts {
  /** Receiver texts known to be optimizers (top-level namespace, `this.x` for fields). */
  optimizers: Set<string>;
  /** Module texts whose parameters each optimizer was built from; absent = unknown. */
  sources: Map<string, Set<string>>;
  /** Receiver texts known not to be optimizers (schedulers, environments). */
  notOptimizers: Set<string>;
  /** Receivers of `.zeroGrad()` and of `.step()`: a receiver of both is an optimizer. */
  zeroGradReceivers: Set<string>;
  stepReceivers: Set<string>;
}

export interface ProgramGraph {
  functions: FunctionGraph[];
  sites: Site[];
  loops: Loop[];
  facts: OptimizerFacts;
  /** Function graphs analysed on their own, with gradients assumed clean at entry. */
  roots: number[];
}
