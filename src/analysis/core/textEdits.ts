/** Offsets ↔ 1-based positions, and applying edits. */
import type { Position, TextEdit } from "./types";

export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  position(offset: number): Position {
    let lo = 0, hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }

  /** The offset of a 1-based line and column. */
  offsetAt(line: number, column: number): number {
    const l = Math.min(Math.max(line, 1), this.starts.length);
    return this.starts[l - 1] + column - 1;
  }

  lineStart(offset: number): number {
    return this.starts[this.position(offset).line - 1];
  }

  /** Offset just past the end of the line containing `offset` (after its line break). */
  lineEndInclusive(offset: number): number {
    const line = this.position(offset).line;
    return line < this.starts.length ? this.starts[line] : this.text.length;
  }

  edit(range: [number, number], text: string): TextEdit {
    return { start: this.position(range[0]), end: this.position(range[1]), text, range };
  }
}

/** Applies non-overlapping edits (later ones first, so offsets stay valid). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.range[0] - a.range[0] || b.range[1] - a.range[1]);
  let out = text;
  let limit = Infinity;
  for (const e of sorted) {
    if (e.range[1] > limit) throw new Error(`overlapping edits at offset ${e.range[0]}`);
    out = out.slice(0, e.range[0]) + e.text + out.slice(e.range[1]);
    limit = e.range[0];
  }
  return out;
}
