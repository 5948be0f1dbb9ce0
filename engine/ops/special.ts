/** Special functions computed to double precision (gradient checks run in float64). */

/** erf(x) by definition: Maclaurin series for |x| < 2, continued fraction for erfc beyond (slow; builds the table below). */
export function erfSeries(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  // Past 2 the series' terms grow large enough to cancel away digits; the fraction converges well there.
  if (ax < 2) {
    // erf(x) = 2/√π · Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax, sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  if (ax > 6) return x < 0 ? -1 : 1;
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz's algorithm)
  const tiny = 1e-300;
  let f = ax, c = ax, d = 0;
  for (let i = 1; i < 300; i++) {
    const an = i / 2;
    d = ax + an * d;
    d = d === 0 ? tiny : d;
    c = ax + an / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/**
 * erf through a table: erf and its derivative 2/√π·e^(−x²) at every 1/64 on [0, 6], and a Taylor
 * expansion to the 6th order around the nearest point (|h| ≤ 1/128, so the remainder is below
 * 1e-17). The derivatives are polynomials times erf′: erf⁽ⁿ⁾ = Pₙ(x)·erf′ with P₁ = 1 and
 * Pₙ₊₁ = Pₙ′ − 2x·Pₙ. As accurate as the series, a few multiplications instead of dozens of terms.
 */
const PER_UNIT = 64, TABLE_END = 6;
const TERMS = 6;
let erfTable: Float64Array | null = null;

function buildErfTable(): Float64Array {
  const points = PER_UNIT * TABLE_END + 1;
  // Per point: erf(x₀), then erf′(x₀)·Pₖ(x₀)/k! for k = 1 … TERMS.
  const table = new Float64Array(points * (TERMS + 1));
  for (let i = 0; i < points; i++) {
    const x0 = i / PER_UNIT;
    const d1 = (2 / Math.sqrt(Math.PI)) * Math.exp(-x0 * x0);
    table[i * (TERMS + 1)] = erfSeries(x0);
    // P as coefficients of powers of x₀.
    let poly = [1];
    let factorial = 1;
    for (let k = 1; k <= TERMS; k++) {
      factorial *= k;
      let value = 0;
      for (let j = poly.length - 1; j >= 0; j--) value = value * x0 + poly[j];
      table[i * (TERMS + 1) + k] = (d1 * value) / factorial;
      // Pₖ₊₁ = Pₖ′ − 2x·Pₖ
      const next = new Array<number>(poly.length + 1).fill(0);
      for (let j = 1; j < poly.length; j++) next[j - 1] += j * poly[j];
      for (let j = 0; j < poly.length; j++) next[j + 1] -= 2 * poly[j];
      poly = next;
    }
  }
  return table;
}

export function erf(x: number): number {
  if (x !== x) return NaN;
  const ax = Math.abs(x);
  if (ax >= TABLE_END) return x < 0 ? -1 : 1;
  const table = (erfTable ??= buildErfTable());
  const i = Math.round(ax * PER_UNIT);
  const h = ax - i / PER_UNIT;
  const at = i * (TERMS + 1);
  const r = table[at] + h * (table[at + 1] + h * (table[at + 2] + h * (table[at + 3] + h * (table[at + 4] + h * (table[at + 5] + h * table[at + 6])))));
  return x < 0 ? -r : r;
}
