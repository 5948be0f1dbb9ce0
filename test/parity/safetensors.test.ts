/**
 * Checkpoints cross between gradlens and PyTorch in both directions through safetensors files:
 * a PyTorch CNN's state dict (with BatchNorm's int64 counter) loads here and gives PyTorch's
 * output; a gradlens state dict loads in PyTorch (read there with struct + torch.frombuffer, no
 * gradlens code) and gives gradlens's output. Also the format's edges and errors, without PyTorch.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadSafetensors, manualSeed, nn, noGrad, optim, randn, readSafetensors, saveSafetensors, tensor, Tensor } from "gradlens";
import { loadFile, readFile, saveFile } from "../../src/files/safetensorsFile";
import { torchPython } from "../support/torchPython";
import { skipUnlessAvailable } from "../support/prerequisites";

const script = path.join(__dirname, "safetensors_roundtrip.py");
const cnn = () => new nn.Sequential(new nn.Conv2d(1, 3, 3, { padding: 1 }), new nn.BatchNorm2d(3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(12, 2));

function closeTo(got: ArrayLike<number>, want: number[], what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 + 1e-5 * Math.abs(want[i]), `${what}[${i}]: gradlens ${got[i]}, PyTorch ${want[i]}`);
}

describe("safetensors with a real PyTorch", function () {
  this.timeout(120_000);
  let dir = "";
  let python = "";
  before(function () {
    const found = torchPython();
    skipUnlessAvailable(this, "safetensors round trip with PyTorch", found.missing);
    python = found.python;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-safetensors-"));
    const r = spawnSync(python, [script, "export", dir], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it("PyTorch → gradlens: the state dict loads (int64 counter included) and the eval output matches", () => {
    const { tensors, metadata } = readFile(path.join(dir, "pytorch.safetensors"));
    assert.deepEqual(metadata, { format: "pt" });
    assert.equal(tensors["1.num_batches_tracked"].item(), 3);
    const model = cnn();
    model.loadStateDict(tensors);
    model.eval();
    const input = JSON.parse(fs.readFileSync(path.join(dir, "input.json"), "utf8")) as { shape: number[]; values: number[] };
    const want = JSON.parse(fs.readFileSync(path.join(dir, "output.json"), "utf8")) as number[];
    const out = noGrad(() => model.forward(tensor(input.values).reshape(input.shape)) as Tensor);
    closeTo(out.data, want, "output");
  });

  it("gradlens → PyTorch: a model trained here loads there and gives the same output", () => {
    manualSeed(11);
    const model = cnn();
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      (model.forward(randn(4, 1, 4, 4)) as Tensor).pow(2).mean().backward();
      opt.step();
    }
    model.eval();
    saveFile(model.stateDict(), path.join(dir, "gradlens.safetensors"), { trainedWith: "gradlens" });
    const r = spawnSync(python, [script, "check", dir], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { output: number[]; dtypes: string[]; metadata: Record<string, string> };
    assert.deepEqual(got.dtypes, ["F32"]);
    assert.deepEqual(got.metadata, { trainedWith: "gradlens" });
    const input = JSON.parse(fs.readFileSync(path.join(dir, "input.json"), "utf8")) as { shape: number[]; values: number[] };
    const ours = noGrad(() => model.forward(tensor(input.values).reshape(input.shape)) as Tensor);
    closeTo(ours.data, got.output, "output");
  });
});

describe("safetensors format", () => {
  it("round-trips float32 and float64, empty and 0-d tensors, and the header is 8-byte aligned JSON", () => {
    const tensors = { a: tensor([[1.5, -2], [3, 4]]), b: tensor(7, { dtype: "float64" }), empty: tensor([]).reshape(0, 3), z: randn(5, { dtype: "float64" }) };
    const bytes = saveSafetensors(tensors);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    assert.deepEqual(header.a, { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] });
    assert.equal(header.b.dtype, "F64");
    const back = loadSafetensors(bytes);
    for (const [k, t] of Object.entries(tensors)) {
      assert.deepEqual([...back[k].shape], [...t.shape], k);
      assert.equal(back[k].dtype, t.dtype, k);
      assert.deepEqual(Array.from(back[k].data), Array.from(t.data), k);
    }
  });

  it("reads half-precision and integer dtypes written by other tools", () => {
    // A hand-built file: F16 [1, -2, 0.5], BF16 [3], I64 [2^40], BOOL [1, 0].
    const header = JSON.stringify({ h: { dtype: "F16", shape: [3], data_offsets: [0, 6] }, bf: { dtype: "BF16", shape: [1], data_offsets: [6, 8] }, i: { dtype: "I64", shape: [1], data_offsets: [8, 16] }, m: { dtype: "BOOL", shape: [2], data_offsets: [16, 18] } });
    const bytes = new Uint8Array(8 + header.length + 18);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    const at = 8 + header.length;
    [0x3c00, 0xc000, 0x3800].forEach((h, i) => view.setUint16(at + 2 * i, h, true));
    view.setUint16(at + 6, 0x4040, true);
    view.setBigInt64(at + 8, 2n ** 40n, true);
    bytes[at + 16] = 1;
    const t = readSafetensors(bytes).tensors;
    assert.deepEqual(Array.from(t.h.data), [1, -2, 0.5]);
    assert.deepEqual(Array.from(t.bf.data), [3]);
    assert.deepEqual(Array.from(t.i.data), [2 ** 40]);
    assert.deepEqual(Array.from(t.m.data), [1, 0]);
  });

  it("bad files get errors that say what is wrong", () => {
    assert.throws(() => loadSafetensors(new Uint8Array(3)), /3 bytes is too short/);
    const bytes = saveSafetensors({ a: tensor([1, 2]) });
    assert.throws(() => loadSafetensors(bytes.subarray(0, bytes.length - 4)), /"a" \(F32 \[2\]\) has data offsets \[0,8\] that don't fit/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1000n, true);
    assert.throws(() => loadSafetensors(huge), /the header claims 1000 bytes/);
    assert.throws(() => saveSafetensors({ a: [1, 2] as never }), /"a" is not a Tensor/);
    assert.throws(() => loadFile(path.join(os.tmpdir(), "no-such-gradlens-file.safetensors")), /can't read .*no such file/);
  });

  it("saveFile replaces a checkpoint only once the new one is complete", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-save-"));
    const file = path.join(dir, "model.safetensors");
    saveFile({ w: tensor([1, 2, 3]) }, file);
    // A save that fails part-way (a non-tensor) leaves the previous checkpoint intact, and no temp file.
    assert.throws(() => saveFile({ w: tensor([9]), bad: "x" as never }, file), /"bad" is not a Tensor/);
    assert.deepEqual(Array.from(loadFile(file).w.data), [1, 2, 3]);
    assert.deepEqual(fs.readdirSync(dir), ["model.safetensors"]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
