/** Inline values after a traced run: on the right lines, with the values the script itself saw. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inlineSummary } from "../../src/trace/host/inlineSummary";
import { startRun } from "../../src/trace/host/runner";

const root = path.resolve(__dirname, "../..");

describe("inline values of a traced run", function () {
  this.timeout(60_000);

  it("puts the last loss and gradient norm after backward(), the update ratio after step(); min/max/last on hover", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-inline-"));
    const file = path.join(dir, "train.ts");
    fs.writeFileSync(file, `import { nn, optim, randn, manualSeed } from "gradlens";
manualSeed(3);
const model = new nn.Linear(3, 1);
const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
let last = 0;
for (let i = 0; i < 6; i++) {
  opt.zeroGrad();
  const loss = model.forward(randn(8, 3)).pow(2).mean();
  loss.backward();
  opt.step();
  last = loss.item();
}
console.log("LAST " + last);
`);
    try {
      const h = startRun({ file, entry: path.join(root, "dist/cli.js"), engine: path.join(root, "dist/engine.js"), timeoutSeconds: 30 });
      await h.done;
      const printed = Number(/LAST (\S+)/.exec(h.events.filter((e) => e.type === "output").map((e) => (e as { text: string }).text).join(""))![1]);
      const values = inlineSummary(h.events).get(file)!;
      assert.deepEqual(values.map((v) => v.line), [9, 10]);
      assert.ok(values[0].text.startsWith(`loss ${printed.toPrecision(4)} · ‖grad‖ `), values[0].text);
      assert.match(values[0].hover, /loss min .*, max .*, last .* over 6 calls; global gradient norm min/);
      assert.match(values[1].text, /^update:data \d/);
      assert.match(values[1].hover, /over 6 logged steps/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
