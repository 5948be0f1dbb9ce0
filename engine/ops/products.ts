/**
 * Products built on matmul: bmm, outer and einsum. They compose differentiable ops (permute,
 * reshape, matmul, mul, sum), so their gradients are those ops' gradients.
 */
import { fmt } from "../shape";
import { Tensor } from "../tensor";
import { checkTensor } from "./record";
import { matmul } from "./linalg";

/** Batched matrix product of [b, n, m] and [b, m, p] (no broadcasting, as PyTorch's bmm). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, "bmm");
  checkTensor(b, "bmm", "mat2");
  if (a.ndim !== 3 || b.ndim !== 3) throw new RangeError(`bmm: both arguments must be 3-D, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  if (a.shape[0] !== b.shape[0]) throw new RangeError(`bmm: batch sizes differ: ${fmt(a.shape)} and ${fmt(b.shape)}`);
  if (a.shape[2] !== b.shape[1]) throw new RangeError(`bmm: shapes ${fmt(a.shape)} and ${fmt(b.shape)} cannot be multiplied (${a.shape[2]} ≠ ${b.shape[1]})`);
  return matmul(a, b);
}

/** The outer product of two vectors: [n] ⊗ [m] → [n, m]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, "outer");
  checkTensor(b, "outer", "vec2");
  if (a.ndim !== 1 || b.ndim !== 1) throw new RangeError(`outer: both arguments must be 1-D, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return a.reshape(-1, 1).mul(b.reshape(1, -1));
}

interface Parsed { inputs: string[][]; output: string[] }

function parse(equation: string, count: number): Parsed {
  const eq = equation.replace(/\s+/g, "");
  if (eq.includes(".")) throw new RangeError(`einsum: ellipsis ("...") isn't supported; write the dimensions out in "${equation}"`);
  const arrow = eq.indexOf("->");
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(",");
  if (terms.length !== count) throw new RangeError(`einsum: "${equation}" has ${terms.length} operand term${terms.length === 1 ? "" : "s"}, but ${count} tensor${count === 1 ? " was" : "s were"} given`);
  const inputs = terms.map((t) => [...t]);
  for (const letter of inputs.flat()) if (!/^[a-zA-Z]$/.test(letter)) throw new RangeError(`einsum: "${letter}" in "${equation}" is not a subscript letter (a–z, A–Z)`);
  let output: string[];
  if (arrow >= 0) {
    output = [...eq.slice(arrow + 2)];
    for (const letter of output) {
      if (!inputs.some((t) => t.includes(letter))) throw new RangeError(`einsum: output subscript "${letter}" in "${equation}" does not appear in any input`);
    }
    if (new Set(output).size !== output.length) throw new RangeError(`einsum: output subscript repeated in "${equation}"`);
  } else {
    // Implicit output: the letters that appear exactly once, in alphabetical order.
    const counts = new Map<string, number>();
    for (const l of inputs.flat()) counts.set(l, (counts.get(l) ?? 0) + 1);
    output = [...counts].filter(([, n]) => n === 1).map(([l]) => l).sort();
  }
  return { inputs, output };
}

/** Sizes of every letter, checked to agree across operands. */
function sizesOf(parsed: Parsed, tensors: readonly Tensor[], equation: string): Map<string, number> {
  const sizes = new Map<string, number>();
  parsed.inputs.forEach((letters, i) => {
    const t = tensors[i];
    if (letters.length !== t.ndim) throw new RangeError(`einsum: operand ${i} has ${t.ndim} dimension${t.ndim === 1 ? "" : "s"} (shape ${fmt(t.shape)}) but "${letters.join("")}" names ${letters.length}`);
    letters.forEach((l, k) => {
      const had = sizes.get(l);
      if (had !== undefined && had !== t.shape[k]) throw new RangeError(`einsum: subscript "${l}" is ${had} in one place and ${t.shape[k]} in another (in "${equation}")`);
      sizes.set(l, t.shape[k]);
    });
  });
  return sizes;
}

/** Sums out letters that repeat within one operand's term (a diagonal) aren't supported; others sum away. */
function reduceSingle(t: Tensor, letters: string[], keep: Set<string>, equation: string): { t: Tensor; letters: string[] } {
  if (new Set(letters).size !== letters.length) throw new RangeError(`einsum: a subscript repeated within one operand (a diagonal, as in "ii") isn't supported: "${equation}"`);
  const drop = letters.map((l, i) => (keep.has(l) ? -1 : i)).filter((i) => i >= 0);
  if (drop.length === 0) return { t, letters };
  return { t: t.sum(drop), letters: letters.filter((l) => keep.has(l)) };
}

/**
 * Einstein summation over one or two operands: "ij,jk->ik", "bij,bjk->bik", "bhqd,bhkd->bhqk",
 * "i,j->ij", "ij->ji", "ii->i" is not supported (no diagonals) and neither is "...".
 * Two operands reduce to one batched matmul: batch letters (in both and the output), contracted
 * letters (in both, not the output), and each side's own letters.
 */
export function einsum(equation: string, ...operands: (Tensor | readonly Tensor[])[]): Tensor {
  if (typeof equation !== "string") throw new TypeError(`einsum: expected an equation string first, got ${typeof equation}`);
  const tensors = (operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : operands) as Tensor[];
  tensors.forEach((t, i) => checkTensor(t, "einsum", `operand ${i}`));
  if (tensors.length < 1 || tensors.length > 2) throw new RangeError(`einsum: one or two operands are supported, got ${tensors.length}`);
  const parsed = parse(equation, tensors.length);
  const sizes = sizesOf(parsed, tensors, equation);
  const out = parsed.output;
  if (tensors.length === 1) {
    const r = reduceSingle(tensors[0], parsed.inputs[0], new Set(out), equation);
    return permuteTo(r.t, r.letters, out);
  }
  const [la, lb] = parsed.inputs;
  // A letter only one side has and the output lacks is summed on that side first.
  const a = reduceSingle(tensors[0], la, new Set([...out, ...lb]), equation);
  const b = reduceSingle(tensors[1], lb, new Set([...out, ...la]), equation);
  const batch = a.letters.filter((l) => b.letters.includes(l) && out.includes(l));
  const contracted = a.letters.filter((l) => b.letters.includes(l) && !out.includes(l));
  const onlyA = a.letters.filter((l) => !b.letters.includes(l));
  const onlyB = b.letters.filter((l) => !a.letters.includes(l));
  const size = (ls: string[]) => ls.reduce((p, l) => p * sizes.get(l)!, 1);
  // a → [batch, onlyA, contracted], b → [batch, contracted, onlyB]; one matmul gives [batch, onlyA, onlyB].
  const am = permuteTo(a.t, a.letters, [...batch, ...onlyA, ...contracted]).reshape(size(batch), size(onlyA), size(contracted));
  const bm = permuteTo(b.t, b.letters, [...batch, ...contracted, ...onlyB]).reshape(size(batch), size(contracted), size(onlyB));
  const product = am.matmul(bm).reshape([...batch, ...onlyA, ...onlyB].map((l) => sizes.get(l)!));
  return permuteTo(product, [...batch, ...onlyA, ...onlyB], out);
}

function permuteTo(t: Tensor, from: string[], to: string[]): Tensor {
  if (from.length !== to.length) throw new Error(`einsum: internal: ${from.join("")} → ${to.join("")}`);
  if (from.every((l, i) => l === to[i])) return t;
  return t.permute(to.map((l) => from.indexOf(l)));
}
