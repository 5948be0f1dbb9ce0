/**
 * A minimal JSON reader that records where values are in the raw text: enough to find each
 * notebook cell's `source` and rewrite only that span, so everything else in the file (key
 * order, indentation, outputs, metadata, the trailing newline) stays byte-identical.
 */

export interface Span {
  start: number;
  end: number;
}

export interface CellSpans {
  /** The whole `source` value in the raw text. */
  source: Span;
}

export class NotebookJsonError extends Error {}

/** For each element of the top-level `cells` array: where its `source` value is (null when it has none). */
export function cellSourceSpans(raw: string): (CellSpans | null)[] {
  const r = new Reader(raw);
  r.ws();
  if (raw[r.pos] !== "{") throw new NotebookJsonError("a notebook is a JSON object");
  let cells: (CellSpans | null)[] | null = null;
  r.object((key) => {
    if (key !== "cells") return r.skipValue();
    cells = [];
    if (raw[r.pos] !== "[") throw new NotebookJsonError("`cells` is not an array");
    r.array(() => {
      let found: CellSpans | null = null;
      if (raw[r.pos] !== "{") return r.skipValue();
      r.object((k) => {
        const start = r.pos;
        r.skipValue();
        if (k === "source") found = { source: { start, end: r.pos } };
      });
      cells!.push(found);
    });
  });
  if (cells === null) throw new NotebookJsonError("the notebook has no `cells` array");
  return cells;
}

class Reader {
  pos = 0;
  constructor(private readonly s: string) {}

  ws(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
  }

  private expect(ch: string): void {
    this.ws();
    if (this.s[this.pos] !== ch) throw new NotebookJsonError(`expected \`${ch}\` at offset ${this.pos}`);
    this.pos++;
  }

  object(onKey: (key: string) => void): void {
    this.expect("{");
    this.ws();
    if (this.s[this.pos] === "}") {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      const key = this.string();
      this.expect(":");
      this.ws();
      onKey(key);
      this.ws();
      if (this.s[this.pos] === ",") {
        this.pos++;
        continue;
      }
      this.expect("}");
      return;
    }
  }

  array(onItem: () => void): void {
    this.expect("[");
    this.ws();
    if (this.s[this.pos] === "]") {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      onItem();
      this.ws();
      if (this.s[this.pos] === ",") {
        this.pos++;
        continue;
      }
      this.expect("]");
      return;
    }
  }

  string(): string {
    if (this.s[this.pos] !== '"') throw new NotebookJsonError(`expected a string at offset ${this.pos}`);
    const start = this.pos;
    this.pos++;
    while (this.pos < this.s.length && this.s[this.pos] !== '"') this.pos += this.s[this.pos] === "\\" ? 2 : 1;
    if (this.pos >= this.s.length) throw new NotebookJsonError("unterminated string");
    this.pos++;
    return JSON.parse(this.s.slice(start, this.pos)) as string;
  }

  skipValue(): void {
    this.ws();
    const c = this.s[this.pos];
    if (c === "{") return this.object(() => this.skipValue());
    if (c === "[") return this.array(() => this.skipValue());
    if (c === '"') {
      this.string();
      return;
    }
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(this.s.slice(this.pos, this.pos + 64));
    if (!m) throw new NotebookJsonError(`unexpected \`${c ?? "end of file"}\` at offset ${this.pos}`);
    this.pos += m[0].length;
  }
}
