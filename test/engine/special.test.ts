/** erf (GELU's building block) against the C library's erf, recorded by Python's math.erf. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { erf, erfSeries } from "../../engine/ops/special";

const reference = JSON.parse(fs.readFileSync(path.join(__dirname, "erf-reference.json"), "utf8")) as { points: [number, number][] };

describe("erf", () => {
  for (const [name, f] of [["erf (table + Taylor)", erf], ["erfSeries (the table's source)", erfSeries]] as const) {
    it(`${name} agrees with the C library to 2e-15 relative (a few units in the last place) at ${reference.points.length} points in [−7, 7]`, () => {
      for (const [x, want] of reference.points) {
        const got = f(x);
        assert.ok(Math.abs(got - want) <= 2e-15 * Math.abs(want) + 1e-300, `erf(${x}) = ${got}, C's ${want}`);
      }
      assert.ok(Number.isNaN(f(NaN)));
      assert.equal(f(Infinity), 1);
      assert.equal(f(-Infinity), -1);
    });
  }
});
