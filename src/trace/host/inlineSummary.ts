/**
 * What the editor shows inline after a traced run: after each `backward()` line the last loss and
 * global gradient norm, after each `step()` line the last update:data ratio; hovers give min, max
 * and last. Pure (events in, per-file per-line text out), so the client only draws it.
 */
import type { TraceEvent } from "../protocol";

export interface InlineValue {
  /** 1-based line in `file`. */
  line: number;
  text: string;
  hover: string;
}

interface Series { min: number; max: number; last: number; n: number }
const add = (s: Series | undefined, v: number): Series => {
  if (!Number.isFinite(v)) return s ?? { min: NaN, max: NaN, last: v, n: 0 };
  if (s === undefined || s.n === 0) return { min: v, max: v, last: v, n: 1 };
  return { min: Math.min(s.min, v), max: Math.max(s.max, v), last: v, n: s.n + 1 };
};
const fmt = (v: number) => (!Number.isFinite(v) ? String(v) : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toPrecision(4));
const range = (s: Series) => `min ${fmt(s.min)}, max ${fmt(s.max)}, last ${fmt(s.last)}`;

export function inlineSummary(events: readonly TraceEvent[]): Map<string, InlineValue[]> {
  const loss = new Map<string, Series>(), norm = new Map<string, Series>(), ratio = new Map<string, Series>();
  const key = (file: string, line: number) => `${file}\n${line}`;
  let lastBackward: string | null = null;
  for (const e of events) {
    if (e.type === "backward" && e.at !== null) {
      lastBackward = key(e.at.file, e.at.line);
      loss.set(lastBackward, add(loss.get(lastBackward), e.loss));
    } else if (e.type === "step" && e.at !== null && e.params.length > 0) {
      // The global norm of the gradients this step applied belongs to the backward that made them.
      const global = Math.sqrt(e.params.reduce((sum, p) => sum + p.gradNorm * p.gradNorm, 0));
      if (lastBackward !== null) norm.set(lastBackward, add(norm.get(lastBackward), global));
      const mean = e.params.reduce((sum, p) => sum + p.updateRatio, 0) / e.params.length;
      const k = key(e.at.file, e.at.line);
      ratio.set(k, add(ratio.get(k), mean));
    }
  }
  const out = new Map<string, InlineValue[]>();
  const push = (k: string, v: Omit<InlineValue, "line">) => {
    const [file, line] = k.split("\n");
    const list = out.get(file) ?? [];
    list.push({ line: Number(line), ...v });
    out.set(file, list);
  };
  for (const [k, l] of loss) {
    const g = norm.get(k);
    push(k, {
      text: `loss ${fmt(l.last)}${g !== undefined ? ` · ‖grad‖ ${fmt(g.last)}` : ""}`,
      hover: `**gradlens trace** at this backward(): loss ${range(l)} over ${l.n} calls${g !== undefined ? `; global gradient norm ${range(g)}` : ""}`,
    });
  }
  for (const [k, r] of ratio) push(k, { text: `update:data ${fmt(r.last)}`, hover: `**gradlens trace** at this step(): mean update:data ratio ${range(r)} over ${r.n} logged steps (healthy: near 1e-3)` });
  for (const list of out.values()) list.sort((a, b) => a.line - b.line);
  return out;
}
