/**
 * 2-D convolution (cross-correlation, as PyTorch's) by im2col: each image's receptive fields are
 * laid out as columns [C/g·kh·kw, Ho·Wo], and one matrix product per group with the weight
 * [O/g, C/g·kh·kw] gives the output. Backward reuses the same layout: the weight's gradient is
 * g·colsᵀ, the input's is Wᵀ·g scattered back (col2im). 1-D convolution is this with height 1.
 */
import { fmt } from "../shape";
import { Tensor } from "../tensor";
import { Data } from "../dtype";
import { checkTensor, defineOp, empty, record } from "./record";
import { gemm } from "./linalg";

export interface Conv2dGeometry {
  stride: [number, number];
  /** Zero padding before (top, left) and after (bottom, right) each spatial dimension. */
  padBefore: [number, number];
  padAfter: [number, number];
  dilation: [number, number];
  groups: number;
}

interface Layout {
  n: number; c: number; h: number; w: number;
  o: number; kh: number; kw: number;
  ho: number; wo: number;
  cg: number; og: number; k: number; l: number;
}

function layoutOf(x: Tensor, weight: Tensor, g: Conv2dGeometry): Layout {
  const [n, c, h, w] = x.shape;
  const [o, cPerGroup, kh, kw] = weight.shape;
  const { stride: [sh, sw], padBefore: [pt, pl], padAfter: [pb, pr], dilation: [dh, dw], groups } = g;
  if (c % groups !== 0 || o % groups !== 0) throw new RangeError(`conv: in channels (${c}) and out channels (${o}) must both be divisible by groups (${groups})`);
  if (cPerGroup * groups !== c) {
    throw new RangeError(`conv: weight of shape ${fmt(weight.shape)} expects ${cPerGroup * groups} input channels (${cPerGroup} per group × ${groups}), but the input of shape ${fmt(x.shape)} has ${c}`);
  }
  const spanH = dh * (kh - 1) + 1, spanW = dw * (kw - 1) + 1;
  const ho = Math.floor((h + pt + pb - spanH) / sh) + 1, wo = Math.floor((w + pl + pr - spanW) / sw) + 1;
  if (ho <= 0 || wo <= 0) {
    throw new RangeError(`conv: the kernel (${kh}×${kw}, dilation ${dh}×${dw}) is larger than the padded input (${h + pt + pb}×${w + pl + pr}) of shape ${fmt(x.shape)}`);
  }
  const cg = c / groups, og = o / groups;
  return { n, c, h, w, o, kh, kw, ho, wo, cg, og, k: cg * kh * kw, l: ho * wo };
}

/** The receptive fields of image `img`, group `grp`, as columns [k, l] (zeros in the padding). */
function im2col(src: Data, img: number, grp: number, t: Layout, g: Conv2dGeometry, cols: Data): void {
  const { c, h, w, kh, kw, ho, wo, cg, l } = t;
  const [sh, sw] = g.stride, [pt, pl] = g.padBefore, [dh, dw] = g.dilation;
  for (let ci = 0; ci < cg; ci++) {
    const plane = (img * c + grp * cg + ci) * h * w;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const row = ((ci * kh + ki) * kw + kj) * l;
        for (let oy = 0; oy < ho; oy++) {
          const iy = oy * sh - pt + ki * dh;
          const at = row + oy * wo;
          if (iy < 0 || iy >= h) { cols.fill(0, at, at + wo); continue; }
          const base = plane + iy * w;
          for (let ox = 0; ox < wo; ox++) {
            const ix = ox * sw - pl + kj * dw;
            cols[at + ox] = ix >= 0 && ix < w ? src[base + ix] : 0;
          }
        }
      }
    }
  }
}

/** Adds columns [k, l] back into image `img`, group `grp` of `dst` (the inverse layout of im2col). */
function col2im(cols: Data, img: number, grp: number, t: Layout, g: Conv2dGeometry, dst: Data): void {
  const { c, h, w, kh, kw, ho, wo, cg, l } = t;
  const [sh, sw] = g.stride, [pt, pl] = g.padBefore, [dh, dw] = g.dilation;
  for (let ci = 0; ci < cg; ci++) {
    const plane = (img * c + grp * cg + ci) * h * w;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const row = ((ci * kh + ki) * kw + kj) * l;
        for (let oy = 0; oy < ho; oy++) {
          const iy = oy * sh - pt + ki * dh;
          if (iy < 0 || iy >= h) continue;
          const base = plane + iy * w, at = row + oy * wo;
          for (let ox = 0; ox < wo; ox++) {
            const ix = ox * sw - pl + kj * dw;
            if (ix >= 0 && ix < w) dst[base + ix] += cols[at + ox];
          }
        }
      }
    }
  }
}

const CONV2D = defineOp("conv2d");
/** x [N, C, H, W] ⋆ weight [O, C/groups, kh, kw] (+ bias [O]) → [N, O, Ho, Wo]. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, geometry: Conv2dGeometry): Tensor {
  checkTensor(x, "conv2d");
  checkTensor(weight, "conv2d", "weight");
  if (x.ndim !== 4) throw new RangeError(`conv2d: expected a 4-D input [N, C, H, W], got shape ${fmt(x.shape)}`);
  if (weight.ndim !== 4) throw new RangeError(`conv2d: expected a 4-D weight [O, C/groups, kh, kw], got shape ${fmt(weight.shape)}`);
  if (x.dtype !== weight.dtype || (bias !== null && bias.dtype !== x.dtype)) {
    throw new TypeError(`conv2d: input (${x.dtype}), weight (${weight.dtype})${bias ? ` and bias (${bias.dtype})` : ""} must have the same dtype`);
  }
  if (x.shape.slice(1).some((s) => s === 0)) throw new RangeError(`conv2d: expected an input with non-zero channels, height and width (an empty batch is allowed), got shape ${fmt(x.shape)}`);
  const t = layoutOf(x, weight, geometry);
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== t.o)) throw new RangeError(`conv2d: expected a bias of shape [${t.o}], got ${fmt(bias.shape)}`);
  const out = empty([t.n, t.o, t.ho, t.wo], x.dtype);
  const cols = empty([t.k * t.l], x.dtype).data;
  const groups = geometry.groups;
  for (let img = 0; img < t.n; img++) {
    for (let grp = 0; grp < groups; grp++) {
      im2col(x.data, img, grp, t, geometry, cols);
      const outOff = (img * t.o + grp * t.og) * t.l;
      if (bias !== null) for (let oc = 0; oc < t.og; oc++) out.data.fill(bias.data[grp * t.og + oc], outOff + oc * t.l, outOff + (oc + 1) * t.l);
      if (t.k > 0) gemm(false, false, weight.data, grp * t.og * t.k, cols, 0, out.data, outOff, t.og, t.k, t.l, "c");
    }
  }
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  return record(out, CONV2D, inputs, [x, weight], (g) => {
    const gx = x.requiresGrad ? empty(x.shape, x.dtype) : null;
    const gw = weight.requiresGrad ? empty(weight.shape, weight.dtype) : null;
    const gb = bias !== null && bias.requiresGrad ? empty(bias.shape, bias.dtype) : null;
    const gcols = gx !== null ? empty([t.k * t.l], x.dtype).data : null;
    for (let img = 0; img < t.n; img++) {
      for (let grp = 0; grp < groups; grp++) {
        const gOff = (img * t.o + grp * t.og) * t.l;
        if (gw !== null) {
          im2col(x.data, img, grp, t, geometry, cols);
          // dW_g += g_g [og, l] · colsᵀ [l, k]
          gemm(false, true, g.data, gOff, cols, 0, gw.data, grp * t.og * t.k, t.og, t.l, t.k, "c");
        }
        if (gx !== null && gcols !== null) {
          // dcols = W_gᵀ [k, og] · g_g [og, l], scattered back into the image. ("zero" lets a
          // kernel skip reading C, but the JavaScript loop adds to it: the buffer is cleared first.)
          gcols.fill(0);
          gemm(true, false, weight.data, grp * t.og * t.k, g.data, gOff, gcols, 0, t.k, t.og, t.l, "zero");
          col2im(gcols, img, grp, t, geometry, gx.data);
        }
      }
    }
    if (gb !== null) {
      for (let img = 0; img < t.n; img++) {
        for (let oc = 0; oc < t.o; oc++) {
          let s = 0;
          const at = (img * t.o + oc) * t.l;
          for (let i = 0; i < t.l; i++) s += g.data[at + i];
          gb.data[oc] += s;
        }
      }
    }
    return bias === null ? [gx, gw] : [gx, gw, gb];
  });
}
