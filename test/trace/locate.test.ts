import * as assert from "node:assert/strict";
import * as path from "node:path";
import { Locator } from "../../src/trace/node/locate";
import { nested } from "./support/nested";

describe("Locator: the user's line a call came from", () => {
  const helper = path.join(__dirname, "support", "nested");
  // The tool's own frames here: the helper's and the Locator's (bundled into the CLI when shipped).
  const own = [helper, path.resolve(__dirname, "../../src/trace/node/locate")];
  const locator = new Locator((file) => own.some((o) => file.startsWith(o)));

  it("skips the tool's own frames, however many there are above the user's (a short stack first, then a deep one)", () => {
    const seen = [0, 3, 30].map((depth) => nested(depth, locator));
    for (const at of seen) {
      assert.ok(at !== null, "a user frame was found");
      assert.equal(at.file, __filename);
    }
    // All three calls come from the one line above, whatever the depth of the tool's frames.
    assert.deepEqual(seen[1], seen[0]);
    assert.deepEqual(seen[2], seen[0]);
  });

  it("says null when no frame is the user's", () => {
    const none = new Locator(() => true);
    assert.equal(nested(2, none), null);
  });

  it("names the exact line and column of each call site, mapped positions cached per site", () => {
    const a = nested(1, locator), b = nested(1, locator);
    assert.ok(a !== null && b !== null);
    assert.equal(a.line, b.line, "the same line");
    assert.notEqual(a.column, b.column, "two calls on one line are told apart by column");
    const again = [1, 2].map(() => nested(1, locator));
    assert.deepEqual(again[0], again[1], "a site asked twice answers the same");
    assert.notEqual(again[0]!.line, a.line);
  });
});
