/**
 * Reverse-mode sweep. Dependencies are counted first so that a node runs only once every
 * consumer has contributed to its gradient; then nodes run in that order, and leaves accumulate.
 */
import { AccumulateGrad, Node } from "./node";
import { noGrad } from "./gradMode";
import type { Tensor } from "../tensor";
import { storageCount } from "../storage";
import { probe } from "../probe";

export interface BackwardOptions {
  retainGraph?: boolean;
}

export function runBackward(root: Tensor, gradient: Tensor | undefined, options: BackwardOptions = {}): void {
  const rootNode = root.gradNodeForBackward();
  if (rootNode === null) {
    throw new Error("backward: the tensor does not require grad and has no gradFn (did you create it inside noGrad or forget requiresGrad: true?)");
  }
  let seed: Tensor;
  if (gradient === undefined) {
    if (root.numel() !== 1) {
      throw new Error(`backward: grad can be implicitly created only for scalar outputs (this tensor has shape [${root.shape.join(", ")}]; pass a gradient of the same shape)`);
    }
    seed = root.onesLike();
  } else {
    if (gradient.shape.length !== root.shape.length || gradient.shape.some((s, i) => s !== root.shape[i])) {
      throw new Error(`backward: gradient has shape [${gradient.shape.join(", ")}] but the tensor has shape [${root.shape.join(", ")}]`);
    }
    seed = gradient.detach();
  }
  if (probe.sink !== null) probe.sink.backward?.(root);
  const retainGraph = options.retainGraph ?? false;
  noGrad(() => sweep(rootNode, seed, retainGraph));
}

function countDependencies(root: Node): Map<Node, number> {
  const deps = new Map<Node, number>([[root, 0]]);
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const next of node.next) {
      if (next === null) continue;
      const seen = deps.get(next);
      if (seen === undefined) {
        deps.set(next, 1);
        stack.push(next);
      } else {
        deps.set(next, seen + 1);
      }
    }
  }
  return deps;
}

function sweep(root: Node, seed: Tensor, retainGraph: boolean): void {
  const deps = countDependencies(root);
  const grads = new Map<Node, Tensor>([[root, seed]]);
  // Gradients nothing else refers to (made by the backward that produced them, handed to one input
  // only, or sums made here): a leaf may take one as its .grad without a copy, as PyTorch steals a
  // gradient whose reference count is 1.
  const owned = new Set<Tensor>();
  const ready: Node[] = [root];
  while (ready.length > 0) {
    const node = ready.pop()!;
    let grad = grads.get(node)!;
    grads.delete(node);
    for (const hook of node.hooks) {
      const replaced = hook(grad);
      if (replaced !== undefined) grad = replaced;
    }
    if (node.retained !== null) accumulateInto(node.retained, grad, false);
    if (node instanceof AccumulateGrad) {
      // A hook may have kept the gradient it saw: then it is shared, and copied.
      accumulateInto(node.variable, grad, node.hooks.length === 0 && owned.has(grad));
      owned.delete(grad);
      continue;
    }
    const before = storageCount();
    const inputGrads = node.apply(grad, retainGraph);
    owned.delete(grad);
    for (let i = 0; i < node.next.length; i++) {
      const next = node.next[i];
      const g = inputGrads[i];
      if (next === null) continue;
      if (g !== null && g !== undefined) {
        const prev = grads.get(next);
        if (prev === undefined) {
          grads.set(next, g);
          if (g.storage.serial >= before && !inputGrads.some((o, j) => j !== i && o != null && o.storage === g.storage)) owned.add(g);
        } else {
          const sum = prev.add(g);
          owned.delete(prev);
          owned.add(sum);
          grads.set(next, sum);
        }
      }
      const left = deps.get(next)! - 1;
      deps.set(next, left);
      if (left === 0) {
        if (grads.has(next)) ready.push(next);
        else releaseWithoutGradient(next, deps, grads, ready);
      }
    }
  }
}

/** A node that received no gradient still has to release its own inputs' dependency counts. */
function releaseWithoutGradient(node: Node, deps: Map<Node, number>, grads: Map<Node, Tensor>, ready: Node[]): void {
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (const next of n.next) {
      if (next === null) continue;
      const left = deps.get(next)! - 1;
      deps.set(next, left);
      if (left === 0) {
        if (grads.has(next)) ready.push(next);
        else stack.push(next);
      }
    }
  }
}

/**
 * `.grad += g`, in place once a gradient exists, as PyTorch accumulates. `mayTake`: nothing else
 * refers to `grad`, so it can become the new `.grad` itself.
 */
function accumulateInto(target: Tensor, grad: Tensor, mayTake: boolean): void {
  const g = grad.shape.length === target.shape.length ? grad : grad.reshape(target.shape);
  if (target.grad === null) {
    // Otherwise a fresh tensor: the incoming gradient may be the user's own (`x.backward(v)`), or `x`.
    // Taken as a new tensor over the same storage, so none of the op result's marks come along.
    const st = g.storage;
    if (mayTake && g.dtype === target.dtype && !g.requiresGrad && st.sharedBy === undefined && st.copiedBy === undefined) target.grad = new (g.constructor as typeof Tensor)(st, target.shape, target.dtype);
    else target.grad = g.dtype === target.dtype ? g.clone() : g.to(target.dtype);
  } else {
    target.grad.addInPlaceRaw(g);
  }
}
