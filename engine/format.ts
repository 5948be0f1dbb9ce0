/**
 * Printing like PyTorch's `torch.Tensor.__repr__`: aligned columns, 4 decimals (or scientific
 * notation when the magnitudes span a lot), integers-valued floats as `1.`, `nan` / `inf`,
 * summarised with `...` past 1,000 elements, and the metadata PyTorch shows (dtype when not the
 * default, requiresGrad, gradFn). No Node API: it runs wherever the engine does.
 */
import { DEFAULT_DTYPE, DType } from "./dtype";

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

export interface FormatInput {
  data: ArrayLike<number>;
  shape: readonly number[];
  dtype: DType;
  requiresGrad: boolean;
  gradFn: string | null;
}

/** How every element is written: all chosen from the (shown) values, as PyTorch's _Formatter. */
function formatterFor(values: number[]): (v: number) => string {
  const finite = values.filter((v) => Number.isFinite(v));
  const special = (v: number) => (Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf");
  if (finite.length === 0) return (v) => (Number.isFinite(v) ? String(v) : special(v));
  const integral = finite.every((v) => Number.isInteger(v));
  const abs = finite.map(Math.abs);
  const max = Math.max(...abs), nonzero = abs.filter((v) => v > 0), min = nonzero.length ? Math.min(...nonzero) : 0;
  if (integral) {
    if (max / (min || 1) > 1000 || max > 1e8) return (v) => (Number.isFinite(v) ? v.toExponential(PRECISION).replace(/e([+-])(\d)$/, "e$10$2") : special(v));
    return (v) => (Number.isFinite(v) ? `${Object.is(v, -0) ? "-0" : v.toFixed(0)}.` : special(v));
  }
  const sci = max / (min || 1) > 1000 || max > 1e8 || (min > 0 && min < 1e-4);
  if (sci) return (v) => (Number.isFinite(v) ? v.toExponential(PRECISION).replace(/e([+-])(\d)$/, "e$10$2") : special(v));
  return (v) => (Number.isFinite(v) ? v.toFixed(PRECISION) : special(v));
}

/** Which indices of a dimension are shown (all, or the edges around a `...`). */
function shownIndices(size: number, summarise: boolean): (number | null)[] {
  if (!summarise || size <= 2 * EDGE_ITEMS) return Array.from({ length: size }, (_, i) => i);
  return [...Array.from({ length: EDGE_ITEMS }, (_, i) => i), null, ...Array.from({ length: EDGE_ITEMS }, (_, i) => size - EDGE_ITEMS + i)];
}

export function formatTensor(t: FormatInput): string {
  const { data, shape } = t;
  const numel = data.length;
  const summarise = numel > THRESHOLD;
  const strides: number[] = [];
  for (let i = shape.length - 1, s = 1; i >= 0; i--) { strides[i] = s; s *= shape[i]; }
  // The values that will be printed decide the format.
  const shownValues: number[] = [];
  const collect = (dim: number, offset: number) => {
    if (dim === shape.length) { shownValues.push(data[offset]); return; }
    for (const i of shownIndices(shape[dim], summarise)) if (i !== null) collect(dim + 1, offset + i * strides[dim]);
  };
  if (numel > 0) collect(0, 0);
  const fmt = formatterFor(shownValues);
  // Column width from the nonzero finite values only (as PyTorch): a wider `-0.` or `nan` isn't padded.
  const width = Math.max(1, ...shownValues.filter((v) => Number.isFinite(v) && v !== 0).map((v) => fmt(v).length));
  const cell = (v: number) => fmt(v).padStart(width);
  const prefix = "tensor(";
  const render = (dim: number, offset: number, indent: number): string => {
    if (dim === shape.length) return cell(data[offset]);
    const innermost = dim === shape.length - 1;
    const parts = shownIndices(shape[dim], summarise).map((i) => (i === null ? (innermost ? " ..." : "...") : render(dim + 1, offset + i * strides[dim], indent + 1)));
    if (innermost) {
      // A fixed number of elements per line, from the line width (as PyTorch's _vector_str).
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < parts.length; i += perLine) lines.push(parts.slice(i, i + perLine).join(", "));
      return `[${lines.join(",\n" + " ".repeat(indent + 1))}]`;
    }
    const sep = "," + "\n".repeat(shape.length - dim - 1) + " ".repeat(indent + 1);
    return `[${parts.join(sep)}]`;
  };
  let body: string;
  const extras: string[] = [];
  if (numel === 0) {
    body = "[]";
    if (shape.length !== 1) extras.push(`size=[${shape.join(", ")}]`);
  } else body = shape.length === 0 ? cell(data[0]).trim() : render(0, 0, prefix.length);
  if (t.dtype !== DEFAULT_DTYPE) extras.push(`dtype=${t.dtype}`);
  if (t.gradFn !== null) extras.push(`gradFn=<${t.gradFn}>`);
  else if (t.requiresGrad) extras.push("requiresGrad=true");
  return `${prefix}${body}${extras.map((e) => `, ${e}`).join("")})`;
}
