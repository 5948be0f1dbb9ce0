/**
 * The recorded graph. Every op that produces a tensor requiring grad attaches a Node (its
 * `gradFn`): the op's name, one edge per input (the input's own Node, or null when the input does
 * not need a gradient) and a closure computing the input gradients from the output gradient.
 * Leaves get an AccumulateGrad node, where gradients are added into `.grad`.
 */
import type { Tensor } from "../tensor";

export type BackwardFn = (grad: Tensor) => (Tensor | null)[];
export type GradHook = (grad: Tensor) => Tensor | void | undefined;

interface Saved {
  tensor: Tensor;
  version: number;
}

export class Node {
  /**
   * One Node that lives as long as the class (a static, so something references it). Optimized
   * code holds hidden classes weakly, and every graph node is garbage between steps, so without a
   * live instance each full garbage collection dropped Node's hidden class and deoptimized every
   * op and the backward pass (measured: steps 3-5× slower for ~80 ms after each full collection).
   */
  static readonly classAnchor: Node = new Node("(class anchor)", [], () => [], []);
  /** Hooks registered on the tensor this node produced; each may replace the gradient. */
  readonly hooks: GradHook[] = [];
  /** Non-leaf tensor whose `.grad` should be kept (`retainGrad()`). */
  retained: Tensor | null = null;
  private saved: Saved[];
  private fn: BackwardFn | null;
  private freed = false;

  constructor(
    readonly name: string,
    readonly next: (Node | null)[],
    fn: BackwardFn,
    saved: readonly Tensor[],
    /** The closure holds other saved state (indices, masks): freed after backward like saved tensors. */
    private readonly holdsState = false,
  ) {
    this.fn = fn;
    this.saved = saved.map((tensor) => ({ tensor, version: tensor.version }));
  }

  apply(grad: Tensor, retainGraph: boolean): (Tensor | null)[] {
    if (this.freed || this.fn === null) {
      throw new Error(
        `${this.name}: trying to backward through the graph a second time (or to use saved tensors after they were freed). ` +
          "Saved intermediate values are freed when you call backward(); pass { retainGraph: true } to the first backward() " +
          "if you need to backward through the graph again.",
      );
    }
    for (const s of this.saved) {
      if (s.tensor.version !== s.version) {
        const by = s.tensor.lastInplaceOp ? ` by ${s.tensor.lastInplaceOp}` : "";
        throw new Error(
          `${this.name}: one of the tensors needed for gradient computation has been modified by an in-place operation${by}: ` +
            `a tensor of shape [${s.tensor.shape.join(", ")}] is at version ${s.tensor.version}; expected version ${s.version} instead. ` +
            "Use an out-of-place op (e.g. add instead of add_) or clone() the tensor before modifying it.",
        );
      }
    }
    const fn = this.fn;
    if (!retainGraph && (this.saved.length > 0 || this.holdsState)) {
      // Free what the closure holds, as PyTorch frees saved variables.
      this.fn = null;
      this.saved = [];
      this.freed = true;
    }
    return fn(grad);
  }
}

/** Sink node of a leaf: gradients arriving here are added into the leaf's `.grad`. */
export class AccumulateGrad extends Node {
  constructor(readonly variable: Tensor) {
    super("AccumulateGrad", [], () => [], []);
  }
}
