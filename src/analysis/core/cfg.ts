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
  /** Steps and calls: inside a branch on an iteration count (`(i + 1) % N === 0`) — evidence of accumulation. */
  counterGuarded?: boolean;
  /** Backward: the loss is scaled (`loss.div(N)`) — evidence of accumulation. */
  scaledLoss?: boolean;
  /**
   * The event sits in a branch the front end added around its statement (a step that acts only
   * on some runs of it): code inserted next to the statement lands outside that branch, so fixes
   * beside it are checked on the edited text, not on a patched graph.
   */
  gated?: boolean;
}

export interface Loop {
  id: number;
  fn: number;
  /** Range of the loop keyword / head, for related locations. */
  headRange: [number, number];
  label: string;
  /** The loop directly around this one in the same function, or -1. */
  parent: number;
}

export type ZeroTarget =
  /**
   * `X.zeroGrad()`: an optimizer's or a module's, decided when X is resolved. Several keys when a
   * manual zero runs over a list built from several modules (`[...enc.parameters(), ...dec.parameters()]`).
   */
  | { type: "zeroGrad"; keys: string[] }
  /** `T.grad = null` / `T.grad.zero_()`: clears one tensor, the key of a manual optimizer. */
  | { type: "tensor"; key: string }
  /** A zero whose receiver can't be resolved: assumed to clear everything. */
  | { type: "all" };

export type GraphEvent =
  | { kind: "backward"; site: number }
  /** `key` names the optimizer; manual in-place updates from `.grad` use the tensor's key with manual=true. */
  | { kind: "step"; site: number; key: string; manual: boolean }
  /** `uncertain`: a zero that may or may not run (`optimizer.zero_grad` handed to another function). */
  | { kind: "zero"; site: number; target: ZeroTarget; uncertain?: boolean }
  /**
   * A new value bound to an optimizer variable (`const opt = new optim.SGD(...)`, `const { opt } =
   * setup()`). Gradients live on parameters, not on optimizers: over parameters the analysis knows
   * (`model.parameters()`), the new optimizer applies whatever they hold; over unknown ones it is
   * taken to start clean.
   */
  | { kind: "fresh"; site: -1; key: string }
  /**
   * A name bound to a value that may be a new module (`model = new Net()`, `const { model } =
   * setup()`, `model = build()`): the parameters it owns start without gradients.
   */
  | { kind: "rebind"; site: -1; name: string }
  /**
   * A call to a function of the same file; args are receiver texts (null when not a simple name),
   * `fn:<id>` for a function of the file passed as a value. `callee` is null for a call of a
   * parameter (`$i`, a callback), resolved through the binding.
   */
  | {
    kind: "call"; site: number; callee: number | null; calleeParam: string | null; args: (string | null)[]; thisArg: string | null;
    /**
     * A function of this file handed to a callee whose body is unknown (an imported timer or
     * scheduler): it may run now, later, several times or never. Only "can't tell" follows.
     */
    opaque?: boolean;
  }
  /**
   * The end of one iteration of `loop` (falling off its body, or `continue`): what is still
   * unapplied here carries into the next iteration. `counter`: the iteration is cut short inside a
   * branch on an iteration count (`if (i % N !== 0) continue;`) — accumulation, not a skipped batch.
   */
  | { kind: "iterate"; site: -1; loop: number; counter: boolean }
  /** The branch taken: `cond` evaluated to `value` (filters paths by counter phases and repeated guards). */
  | { kind: "assume"; site: -1; cond: Cond; value: boolean }
  /** A write to guard variables: counters advance (`i++`) or restart (`i = 0`); other guards are forgotten. */
  | { kind: "write"; site: -1; tick: number[]; reset: number[]; forget: number[] };

/**
 * Branch conditions the typestate can reason about. A phase term holds when a counter's phase
 * (its value modulo N, or its position in a bounded `for (c = 0; c < N; c++)`) is in `mask`; an
 * opaque term is a pure condition whose outcome is remembered until one of its variables is written.
 */
export type Cond =
  | { t: "phase"; v: number; mask: number }
  | { t: "opaque"; v: number }
  | { t: "and" | "or"; a: Cond; b: Cond }
  | { t: "not"; a: Cond };

/**
 * A guard variable: what a phase or opaque term is about. Phases of a counter modulo a literal N
 * (2..8) are exact residues (bit r = residue r); modulo a symbolic N they are start (bit 0), middle
 * (bit 1) and last (bit 2). A bounded counter also has "past the end" (bit `size`, or bit 3).
 */
export type GuardVar =
  | { kind: "phase"; counter: string; modulus: string; size: number; bounded: boolean }
  | { kind: "opaque"; text: string };

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
  /** Source range of the function (for "not analysed" notices). */
  range: [number, number];
}

/** What the front end knows about optimizers from declarations, annotations and usage. */
export interface OptimizerFacts {
  /** Receiver texts known to be optimizers (top-level namespace, `this.x` for fields). */
  optimizers: Set<string>;
  /** Module texts whose parameters each optimizer was built from; absent = unknown. */
  sources: Map<string, Set<string>>;
  /** Receiver texts known not to be optimizers (schedulers, environments). */
  notOptimizers: Set<string>;
  /** Receiver texts bound to a fresh object (`new X(...)`): distinct from every other such text. */
  fresh: Set<string>;
  /** Collections whose elements are optimizers (`[new SGD(..), new Adam(..)]`, `Optimizer[]`). */
  optimizerCollections: Set<string>;
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
  /** Guard variables referenced by assume and write events (ids index this array). */
  guardVars: GuardVar[];
}
