/**
 * 2-D pooling over [N, C, H, W] (or unbatched [C, H, W]): max, average, and adaptive average.
 * Every output reads a window of one plane; backward sends the gradient to the window's maximum
 * (max) or spreads it over the window (average), adding where windows overlap.
 */
import { fmt } from "../shape";
import { Tensor } from "../tensor";
import { checkTensor, defineOp, empty, record, SAVES_STATE } from "./record";

export interface PoolGeometry {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
}

/** PyTorch's pooling output size, including its ceil-mode rule (the last window starts inside the input or left padding). */
function pooledSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = d * (k - 1) + 1;
  let out = Math.floor((size + 2 * p - span + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

function planes(x: Tensor, op: string, emptyChannels = false): { planes: number; h: number; w: number; lead: number[] } {
  if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`${op}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape ${fmt(x.shape)}`);
  const h = x.shape[x.ndim - 2], w = x.shape[x.ndim - 1];
  const lead = x.shape.slice(0, -2);
  // Only the batch may be empty (as PyTorch: spatial sizes, and but for adaptive pooling channels, must be non-zero).
  if (x.shape.slice(x.ndim - (emptyChannels ? 2 : 3)).some((s) => s === 0)) throw new RangeError(`${op}: expected an input with non-zero channels, height and width (an empty batch is allowed), got shape ${fmt(x.shape)}`);
  return { planes: lead.reduce((a, b) => a * b, 1), h, w, lead };
}

function checkGeometry(g: PoolGeometry, h: number, w: number, op: string, x: Tensor): { ho: number; wo: number } {
  const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation;
  for (const [name, v, min] of [["kernel size", kh, 1], ["kernel size", kw, 1], ["stride", sh, 1], ["stride", sw, 1], ["padding", ph, 0], ["padding", pw, 0], ["dilation", dh, 1], ["dilation", dw, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${op}: ${name} must be ${min === 1 ? "a positive" : "a non-negative"} integer, got ${v}`);
  }
  if (ph > kh / 2 || pw > kw / 2) throw new RangeError(`${op}: padding (${ph}, ${pw}) should be at most half of the kernel size (${kh}, ${kw})`);
  const ho = pooledSize(h, kh, sh, ph, dh, g.ceilMode), wo = pooledSize(w, kw, sw, pw, dw, g.ceilMode);
  if (ho <= 0 || wo <= 0) throw new RangeError(`${op}: the output would be empty (${ho}×${wo}) for an input of shape ${fmt(x.shape)} and a ${kh}×${kw} kernel`);
  return { ho, wo };
}

const MAX_POOL2D = defineOp("maxPool2d");
/** The maximum of each window (NaN wins, as PyTorch); padding never wins. */
export function maxPool2d(x: Tensor, g: PoolGeometry): Tensor {
  checkTensor(x, "maxPool2d");
  const { planes: count, h, w, lead } = planes(x, "maxPool2d");
  const { ho, wo } = checkGeometry(g, h, w, "maxPool2d", x);
  const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation;
  const out = empty([...lead, ho, wo], x.dtype);
  const argmax = new Int32Array(out.numel());
  const src = x.data, dst = out.data;
  for (let p = 0; p < count; p++) {
    const plane = p * h * w;
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let best = -Infinity, at = -1;
        for (let ki = 0; ki < kh; ki++) {
          const iy = oy * sh - ph + ki * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kj = 0; kj < kw; kj++) {
            const ix = ox * sw - pw + kj * dw;
            if (ix < 0 || ix >= w) continue;
            const v = src[plane + iy * w + ix];
            // As PyTorch's kernel: a larger value or any NaN takes over (so the last NaN in a window wins).
            if (at < 0 || v > best || v !== v) { best = v; at = plane + iy * w + ix; }
          }
        }
        const o = (p * ho + oy) * wo + ox;
        dst[o] = best;
        argmax[o] = at;
      }
    }
  }
  return record(out, MAX_POOL2D, [x], [SAVES_STATE], (gr) => {
    const gx = empty(x.shape, gr.dtype);
    for (let o = 0; o < argmax.length; o++) if (argmax[o] >= 0) gx.data[argmax[o]] += gr.data[o];
    return [gx];
  });
}

const AVG_POOL2D = defineOp("avgPool2d");
/**
 * The mean of each window. With `countIncludePad` (PyTorch's default) the divisor counts padding
 * (but not the part of a ceil-mode window past it); without, only input elements.
 */
export function avgPool2d(x: Tensor, g: PoolGeometry, countIncludePad = true, divisorOverride?: number): Tensor {
  checkTensor(x, "avgPool2d");
  const { planes: count, h, w, lead } = planes(x, "avgPool2d");
  const { ho, wo } = checkGeometry(g, h, w, "avgPool2d", x);
  if (divisorOverride !== undefined && !(Number.isInteger(divisorOverride) && divisorOverride > 0)) throw new RangeError(`avgPool2d: divisorOverride must be a positive integer, got ${divisorOverride}`);
  const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding;
  // Each output's window in input coordinates (clipped) and its divisor.
  const windows = new Int32Array(ho * wo * 4);
  const divisors = new Float64Array(ho * wo);
  for (let oy = 0; oy < ho; oy++) {
    for (let ox = 0; ox < wo; ox++) {
      let y0 = oy * sh - ph, x0 = ox * sw - pw;
      let y1 = Math.min(y0 + kh, h + ph), x1 = Math.min(x0 + kw, w + pw);
      const padded = (y1 - y0) * (x1 - x0);
      y0 = Math.max(y0, 0); x0 = Math.max(x0, 0); y1 = Math.min(y1, h); x1 = Math.min(x1, w);
      const o = oy * wo + ox;
      windows.set([y0, y1, x0, x1], o * 4);
      divisors[o] = divisorOverride ?? (countIncludePad ? padded : (y1 - y0) * (x1 - x0));
    }
  }
  const out = empty([...lead, ho, wo], x.dtype);
  const src = x.data, dst = out.data;
  for (let p = 0; p < count; p++) {
    const plane = p * h * w;
    for (let o = 0; o < ho * wo; o++) {
      const y0 = windows[o * 4], y1 = windows[o * 4 + 1], x0 = windows[o * 4 + 2], x1 = windows[o * 4 + 3];
      let s = 0;
      for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) s += src[plane + iy * w + ix];
      dst[p * ho * wo + o] = s / divisors[o];
    }
  }
  // PyTorch's backward keeps the input, so a second backward without retainGraph fails there too.
  return record(out, AVG_POOL2D, [x], [SAVES_STATE], (gr) => {
    const gx = empty(x.shape, gr.dtype);
    for (let p = 0; p < count; p++) {
      const plane = p * h * w;
      for (let o = 0; o < ho * wo; o++) {
        const y0 = windows[o * 4], y1 = windows[o * 4 + 1], x0 = windows[o * 4 + 2], x1 = windows[o * 4 + 3];
        const v = gr.data[p * ho * wo + o] / divisors[o];
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) gx.data[plane + iy * w + ix] += v;
      }
    }
    return [gx];
  });
}

const ADAPTIVE_AVG_POOL2D = defineOp("adaptiveAvgPool2d");
/** Averages into a fixed output size: output row i covers input rows ⌊i·H/ho⌋ … ⌈(i+1)·H/ho⌉ − 1 (as PyTorch). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: readonly [number | null, number | null]): Tensor {
  checkTensor(x, "adaptiveAvgPool2d");
  const { planes: count, h, w, lead } = planes(x, "adaptiveAvgPool2d", true);
  const ho = outputSize[0] ?? h, wo = outputSize[1] ?? w;
  if (!Number.isInteger(ho) || !Number.isInteger(wo) || ho <= 0 || wo <= 0) throw new RangeError(`adaptiveAvgPool2d: output size must be positive integers, got [${ho}, ${wo}]`);
  if (h === 0 || w === 0) throw new RangeError(`adaptiveAvgPool2d: input of shape ${fmt(x.shape)} has an empty spatial dimension`);
  const rows = Array.from({ length: ho }, (_, i) => [Math.floor((i * h) / ho), Math.ceil(((i + 1) * h) / ho)]);
  const colsR = Array.from({ length: wo }, (_, j) => [Math.floor((j * w) / wo), Math.ceil(((j + 1) * w) / wo)]);
  const out = empty([...lead, ho, wo], x.dtype);
  const src = x.data;
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        const [y0, y1] = rows[i], [x0, x1] = colsR[j];
        let s = 0;
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) s += src[p * h * w + iy * w + ix];
        out.data[(p * ho + i) * wo + j] = s / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return record(out, ADAPTIVE_AVG_POOL2D, [x], [SAVES_STATE], (gr) => {
    const gx = empty(x.shape, gr.dtype);
    for (let p = 0; p < count; p++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          const [y0, y1] = rows[i], [x0, x1] = colsR[j];
          const v = gr.data[(p * ho + i) * wo + j] / ((y1 - y0) * (x1 - x0));
          for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) gx.data[p * h * w + iy * w + ix] += v;
        }
      }
    }
    return [gx];
  });
}
