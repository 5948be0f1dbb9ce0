/** nn and optim behaviour beyond numerical parity: names, modes, hooks, state, zeroGrad, closures. */
import * as assert from "node:assert/strict";
import { tensor, randn, zeros, manualSeed, nn, optim, Tensor } from "gradlens";

const values = (t: Tensor | null) => (t === null ? null : Array.from(t.data));

class Block extends nn.Module {
  fc1 = new nn.Linear(4, 3);
  act = new nn.ReLU();
  fc2 = new nn.Linear(3, 2, { bias: false });
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}

class Net extends nn.Module {
  encoder = new Block();
  heads = [new nn.Linear(2, 1), new nn.Linear(2, 1)];
  scale = nn.Parameter(tensor([1]));
  override forward(x: Tensor): Tensor {
    const h = this.encoder.forward(x);
    return this.heads[0].forward(h).add(this.heads[1].forward(h)).mul(this.scale);
  }
}

function fill(model: nn.Module) {
  const out = randn(5, 4);
  model.forward(out).sum().backward();
}

describe("nn.Module", () => {
  it("names parameters with PyTorch-style dotted paths", () => {
    const names = new Net().namedParameters().map(([n]) => n);
    assert.deepEqual(names, ["scale", "encoder.fc1.weight", "encoder.fc1.bias", "encoder.fc2.weight", "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias"]);
    const seq = new nn.Sequential(new nn.Linear(2, 2), new nn.Tanh(), new nn.Linear(2, 1));
    assert.deepEqual(seq.namedParameters().map(([n]) => n), ["0.weight", "0.bias", "2.weight", "2.bias"]);
  });

  it("lists a shared parameter once", () => {
    const shared = new nn.Linear(2, 2);
    const seq = new nn.Sequential(shared, shared);
    assert.equal(seq.parameters().length, 2);
  });

  it("zeroGrad sets grads to null by default and to zeros with setToNone: false", () => {
    const m = new Net();
    fill(m);
    assert.ok(m.parameters().every((p) => p.grad !== null));
    m.zeroGrad({ setToNone: false });
    assert.ok(m.parameters().every((p) => p.grad !== null && values(p.grad)!.every((v) => v === 0)));
    m.zeroGrad();
    assert.ok(m.parameters().every((p) => p.grad === null));
  });

  it("train()/eval() propagate to children and switch dropout off", () => {
    manualSeed(0);
    const m = new nn.Sequential(new nn.Linear(3, 3), new nn.Dropout(0.5));
    m.eval();
    assert.ok(m.modules().every((x) => !x.training));
    const x = randn(4, 3);
    assert.deepEqual(values(m.forward(x) as Tensor), values(m.forward(x) as Tensor));
    m.train();
    const y = new nn.Dropout(0.5).forward(tensor(Array(1000).fill(1)));
    const zeroed = values(y)!.filter((v) => v === 0).length;
    assert.ok(zeroed > 400 && zeroed < 600, `${zeroed} of 1000 dropped`);
    assert.ok(values(y)!.every((v) => v === 0 || v === 2), "kept values are scaled by 1/(1-p)");
  });

  it("runs forward hooks, which may replace the output, and removes them", () => {
    const lin = new nn.Linear(2, 2);
    const calls: unknown[] = [];
    const h = lin.registerForwardHook((mod, inputs, out) => {
      calls.push([mod === lin, inputs.length]);
      return (out as Tensor).mul(0).abs();
    });
    const y = lin.forward(tensor([[1, 2]]));
    assert.deepEqual(calls, [[true, 1]]);
    assert.deepEqual(values(y), [0, 0]);
    h.remove();
    lin.forward(tensor([[1, 2]]));
    assert.equal(calls.length, 1);
  });

  it("round-trips stateDict and names what does not fit", () => {
    const a = new Net(), b = new Net();
    b.loadStateDict(a.stateDict());
    const x = randn(3, 4);
    assert.deepEqual(values(a.forward(x)), values(b.forward(x)));
    assert.throws(() => b.loadStateDict({ "encoder.fc1.weight": zeros(9, 9) }), /size mismatch for encoder\.fc1\.weight.*\[9, 9\].*\[3, 4\][\s\S]*missing keys: scale/);
    assert.throws(() => b.loadStateDict({ ...a.stateDict(), extra: zeros(1) }), /unexpected keys: extra/);
  });

  it("initialises Linear like PyTorch: weight and bias within ±1/√fanIn", () => {
    manualSeed(5);
    const lin = new nn.Linear(100, 50);
    const bound = 1 / Math.sqrt(100);
    assert.ok(values(lin.weight)!.every((v) => Math.abs(v) <= bound));
    assert.ok(values(lin.bias)!.every((v) => Math.abs(v) <= bound));
    const spread = Math.max(...values(lin.weight)!) - Math.min(...values(lin.weight)!);
    assert.ok(spread > 1.8 * bound, "uses the whole range");
    const xavier = nn.init.xavierUniform_(zeros(20, 30));
    assert.ok(values(xavier)!.every((v) => Math.abs(v) <= Math.sqrt(6 / 50)));
  });

  it("embeds indices and sends gradients to the rows used", () => {
    const emb = new nn.Embedding(5, 2);
    emb.forward(tensor([1, 3, 1])).sum().backward();
    assert.deepEqual(values(emb.weight.grad), [0, 0, 2, 2, 0, 0, 1, 1, 0, 0]);
  });

  it("RNN returns [output, hN] with the documented shapes and initHidden", () => {
    const rnn = new nn.RNN(3, 5, { batchFirst: true });
    const [out, hn] = rnn.forward(randn(2, 7, 3));
    assert.deepEqual(out.shape, [2, 7, 5]);
    assert.deepEqual(hn.shape, [1, 2, 5]);
    assert.deepEqual(rnn.initHidden(4).shape, [1, 4, 5]);
    assert.throws(() => rnn.forward(randn(2, 7, 4)), /RNN: input has 4 features, expected inputSize 3/);
  });

  it("losses validate their targets", () => {
    assert.throws(() => nn.functional.crossEntropy(randn(2, 3), tensor([0, 3])), /crossEntropy: target 3 is out of bounds for 3 classes/);
    assert.throws(() => nn.functional.crossEntropy(randn(2, 3), tensor([0])), /expected target of shape \[2\]/);
    assert.throws(() => new nn.BCELoss().forward(tensor([1.5]), tensor([1])), /between 0 and 1, found 1.5/);
  });

  it("clipGradNorm_ rescales gradients to the max norm and returns the original norm", () => {
    const p = tensor([0, 0], { requiresGrad: true });
    p.mul(tensor([3, 4])).sum().backward();
    const total = nn.utils.clipGradNorm_([p], 1);
    assert.ok(Math.abs(total.item() - 5) < 1e-6);
    assert.ok(Math.abs(p.grad!.norm().item() - 1) < 1e-5);
  });
});

describe("optim", () => {
  const quadratic = () => {
    const w = tensor([1, -2], { requiresGrad: true });
    return { w, loss: () => w.mul(w).sum() };
  };

  it("zeroGrad({ setToNone }) clears or zeroes, and step skips parameters whose grad is null", () => {
    const a = tensor([1], { requiresGrad: true }), b = tensor([1], { requiresGrad: true });
    const opt = new optim.SGD([a, b], { lr: 0.5 });
    a.mul(2).sum().backward();
    opt.step();
    assert.deepEqual(values(a), [0]);
    assert.deepEqual(values(b), [1], "b has no grad and is untouched");
    opt.zeroGrad({ setToNone: false });
    assert.deepEqual(values(a.grad), [0]);
    opt.zeroGrad();
    assert.equal(a.grad, null);
  });

  it("step(closure) calls the closure with grad enabled and returns its loss", () => {
    const { w, loss } = quadratic();
    const opt = new optim.SGD([w], { lr: 0.25 });
    let calls = 0;
    const returned = opt.step(() => {
      calls++;
      opt.zeroGrad();
      const l = loss();
      l.backward();
      return l;
    });
    assert.equal(calls, 1);
    assert.equal(returned!.item(), 5);
    assert.deepEqual(values(w), [0.5, -1]);
  });

  it("validates hyperparameters and parameters with clear messages", () => {
    const w = tensor([1], { requiresGrad: true });
    assert.throws(() => new optim.SGD([w], { lr: -1 }), /SGD: invalid learning rate: -1/);
    assert.throws(() => new optim.Adam([w], { betas: [1.2, 0.9] }), /Adam: invalid beta parameter at index 0: 1.2/);
    assert.throws(() => new optim.SGD([], {}), /SGD: optimizer got an empty parameter list/);
    assert.throws(() => new optim.SGD([w.mul(2)]), /can't optimize a non-leaf Tensor/);
    assert.throws(() => new optim.SGD(w as never), /single Tensor/);
    assert.throws(() => new optim.SGD([w], { nesterov: true }), /Nesterov momentum requires a momentum/);
  });

  it("supports parameter groups with their own learning rates", () => {
    const a = tensor([1], { requiresGrad: true }), b = tensor([1], { requiresGrad: true });
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.1 });
    a.add(b).sum().backward();
    opt.step();
    assert.ok(Math.abs(a.item() - 0.9) < 1e-7);
    assert.equal(b.item(), 0);
  });

  it("a step bumps the parameter's version, so a stale graph cannot be backpropagated", () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.1 });
    const loss = w.mul(w).sum();
    const loss2 = w.mul(w).sum();
    loss.backward();
    opt.step();
    assert.throws(() => loss2.backward(), /modified by an in-place operation by SGD\.step/);
  });

  it("Adam and AdamW minimise a quadratic; AdamW decays weights even with zero gradient", () => {
    for (const Opt of [optim.Adam, optim.AdamW]) {
      const { w, loss } = quadratic();
      const opt = new Opt([w], { lr: 0.1 });
      for (let i = 0; i < 200; i++) {
        opt.zeroGrad();
        loss().backward();
        opt.step();
      }
      assert.ok(loss().item() < 1e-3, `${Opt.name} loss ${loss().item()}`);
    }
    const p = tensor([1], { requiresGrad: true });
    const adamw = new optim.AdamW([p], { lr: 0.1, weightDecay: 0.5 });
    p.mul(0).sum().backward();
    adamw.step();
    assert.ok(Math.abs(p.item() - 0.95) < 1e-7);
  });
});

describe("strict options: a wrong call is an error naming what was wrong", () => {
  const params = () => new nn.Linear(2, 1).parameters();
  it("an optimizer's options must be an object", () => {
    // @ts-expect-error: a bare number is the classic mistake (PyTorch's positional lr)
    assert.throws(() => new optim.SGD(params(), 0.1), /SGD: options must be an object like \{ lr: 0\.1, momentum: 0\.9 \}, got the number 0\.1/);
  });
  it("unknown options name the closest known one, snake_case included", () => {
    assert.throws(() => new optim.SGD(params(), { lr: 0.1, momentun: 0.9 } as never), /SGD: unknown option "momentun" \(did you mean "momentum"\?\)/);
    assert.throws(() => new optim.AdamW(params(), { weight_decay: 0.1 } as never), /AdamW: unknown option "weight_decay" \(did you mean "weightDecay"\?\)/);
    assert.throws(() => new optim.Adam(params(), { foreach: true } as never), /Adam: option "foreach" is not supported yet/);
  });
  it("option values have their types, or the error names the option and what was given", () => {
    assert.throws(() => new optim.SGD(params(), { lr: "0.1" } as never), /SGD: option "lr" must be a number, got the string "0\.1"/);
    assert.throws(() => new optim.SGD(params(), { lr: 0.1, nesterov: 1 } as never), /SGD: option "nesterov" must be true or false, got the number 1/);
    assert.throws(() => new optim.Adam(params(), { betas: 0.9 } as never), /Adam: option "betas" must be an array of 2 numbers, got 0\.9/);
  });
  it("parameter groups are checked the same way", () => {
    assert.throws(() => new optim.SGD([[1, 2]] as never), /SGD: each parameter group must be an object like \{ params: model\.parameters\(\), lr: 0\.01 \}, got an array/);
    assert.throws(() => new optim.SGD([{ params: params(), lr: 0.1, momentom: 0.5 }] as never), /SGD parameter group: unknown option "momentom" \(did you mean "momentum"\?\)/);
    assert.throws(() => new optim.SGD([{ lr: 0.1 }] as never), /SGD: a parameter group's params must be an iterable of Tensors, got undefined/);
    // Valid groups still work.
    const opt = new optim.SGD([{ params: params(), lr: 0.1, momentum: 0.9 }], { lr: 0.01 });
    assert.equal(opt.paramGroups[0].momentum, 0.9);
  });
  it("loss options: unknown ones and PyTorch's not-yet-supported ones are errors", () => {
    const logits = randn(3, 4), targets = tensor([0, 1, 2]);
    assert.throws(() => nn.functional.crossEntropy(logits, targets, { label_smoothing: 0.1 } as never), /crossEntropy: unknown option "label_smoothing" \(did you mean "labelSmoothing"\?\)/);
    assert.throws(() => nn.functional.maxPool2d(randn(1, 1, 4, 4), 2, { returnIndices: true } as never), /maxPool2d: option "returnIndices" is not supported yet/);
    assert.throws(() => nn.functional.crossEntropy(logits, targets, { weight: tensor([1, 1, 1]) }), /crossEntropy: weight must have one value per class \(\[4\]\), got shape \[3\]/);
    assert.throws(() => nn.functional.mseLoss(logits, logits, { reduce: "sum" } as never), /mseLoss: unknown option "reduce".*known options: reduction/);
    assert.equal(nn.functional.mseLoss(logits, logits, { reduction: "sum" }).item(), 0);
  });
  it("loss modules take the same options object, checked when constructed (not at the first forward)", () => {
    assert.throws(() => new nn.Embedding(3, 2, { maxNorm: 1 } as never), /^Error: nn\.Embedding: option "maxNorm" is not supported yet \(supported: paddingIdx, dtype\)$/);
    assert.throws(() => new nn.CrossEntropyLoss({ labelSmothing: 0.1 } as never), /nn\.CrossEntropyLoss: unknown option "labelSmothing" \(did you mean "labelSmoothing"\?\)/);
    assert.throws(() => new nn.MSELoss({ reducton: "sum" } as never), /nn\.MSELoss: unknown option "reducton" \(did you mean "reduction"\?\)/);
    assert.throws(() => new nn.MSELoss("sum" as never), /nn\.MSELoss: options must be an object like \{ reduction: "sum" \}, got the string "sum"/);
    assert.throws(() => new nn.L1Loss({ reduction: "avg" } as never), /nn\.L1Loss: option "reduction" must be "mean", "sum" or "none", got "avg"/);
    const logits = randn(3, 4), targets = tensor([0, 1, 2]);
    assert.equal(new nn.CrossEntropyLoss({ reduction: "sum" }).forward(logits, targets).item(), nn.functional.crossEntropy(logits, targets, { reduction: "sum" }).item());
    assert.equal(new nn.BCEWithLogitsLoss({ posWeight: tensor([2]) }).posWeight!.item(), 2);
  });
  it("a class target that isn't a whole number says so (not \"out of bounds\")", () => {
    const logits = randn(2, 3);
    assert.throws(() => nn.functional.crossEntropy(logits, tensor([1.5, 0])), /^TypeError: crossEntropy: class targets must be whole numbers \(class indices\), got 1\.5/);
    assert.throws(() => nn.functional.crossEntropy(logits, tensor([3, 0])), /^RangeError: crossEntropy: target 3 is out of bounds for 3 classes \(0 to 2\)$/);
  });
  it("LR schedulers take options objects like optimizers, with required options named", () => {
    const opt = new optim.SGD(params(), { lr: 0.1 });
    const { StepLR, CosineAnnealingLR, LambdaLR } = optim.lrScheduler;
    assert.equal(new StepLR(opt, { stepSize: 10 }).gamma, 0.1);
    assert.throws(() => new StepLR(opt, 10 as never), /StepLR: options must be an object like \{ stepSize: 10, gamma: 0\.1 \}, got the number 10/);
    assert.throws(() => new StepLR(opt, {} as never), /StepLR: option "stepSize" is required, like \{ stepSize: 10, gamma: 0\.1 \}/);
    assert.throws(() => new StepLR(opt, { step_size: 10 } as never), /StepLR: unknown option "step_size" \(did you mean "stepSize"\?\)/);
    assert.throws(() => new CosineAnnealingLR(opt, { tMax: 5 } as never), /CosineAnnealingLR: unknown option "tMax" \(did you mean "TMax"\?\)/);
    assert.throws(() => new LambdaLR(opt, { lrLambda: 0.9 } as never), /LambdaLR: option "lrLambda" must be a function of the epoch/);
    assert.throws(() => new StepLR(opt, undefined as never), /StepLR: options are required, like \{ stepSize: 10, gamma: 0\.1 \}/);
  });
});

describe("Embedding indices", () => {
  it("must be integers in 0 … numEmbeddings − 1 (negative ones are an error, as in PyTorch)", () => {
    const emb = new nn.Embedding(4, 2);
    assert.throws(() => emb.forward([1.5]), /embedding: indices must be integers, got 1\.5/);
    assert.throws(() => emb.forward([-1]), /embedding: index -1 is out of range for 4 embeddings \(valid: 0 to 3\)/);
    assert.throws(() => emb.forward([4]), /embedding: index 4 is out of range/);
    assert.deepEqual(emb.forward([3, 0]).shape, [2, 2]);
  });
  it("clipGradNorm_ returns the norm in the gradients' dtype", () => {
    const w = tensor([3, 4], { dtype: "float64", requiresGrad: true });
    w.sum().backward();
    assert.equal(nn.utils.clipGradNorm_([w], 1).dtype, "float64");
  });
});

describe("optimizer stateDict / loadStateDict", () => {
  // Training 6 steps, saving, and continuing 6 more in a fresh optimizer (and fresh model copy)
  // must land exactly where 12 uninterrupted steps do: every state field is saved and restored.
  const makers: [string, (p: Tensor[]) => optim.Optimizer, string[]][] = [
    ["SGD with momentum", (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9 }), ["momentum_buffer"]],
    ["Adam with amsgrad (a large parameter: state in the kernels' memory)", (p) => new optim.Adam(p, { lr: 0.01, amsgrad: true }), ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]],
    ["AdamW", (p) => new optim.AdamW(p, { lr: 0.01 }), ["step", "exp_avg", "exp_avg_sq"]],
    ["RMSprop centered with momentum", (p) => new optim.RMSprop(p, { lr: 0.01, centered: true, momentum: 0.5 }), ["step", "square_avg", "momentum_buffer", "grad_avg"]],
    ["Adagrad", (p) => new optim.Adagrad(p, { lr: 0.1, lrDecay: 0.01 }), ["step", "sum"]],
  ];
  for (const [name, make, keys] of makers) {
    it(`${name}: resuming from a saved state equals never stopping`, () => {
      manualSeed(3);
      const init = randn(64, 64).mul(0.1);
      const x = randn(8, 64), y = randn(8, 64);
      const train = (w: Tensor, opt: optim.Optimizer, steps: number) => {
        for (let i = 0; i < steps; i++) {
          opt.zeroGrad();
          x.matmul(w).sub(y).pow(2).mean().backward();
          opt.step();
        }
      };
      const straight = init.clone().requiresGrad_();
      train(straight, make([straight]), 12);

      const first = init.clone().requiresGrad_();
      const opt1 = make([first]);
      train(first, opt1, 6);
      const saved = opt1.stateDict();
      assert.deepEqual(Object.keys(saved.state[0]).sort(), [...keys].sort());
      assert.deepEqual(saved.paramGroups[0].params, [0]);
      const resumed = first.detach().clone().requiresGrad_();
      const opt2 = make([resumed]);
      opt2.loadStateDict(saved);
      train(resumed, opt2, 6);
      assert.deepEqual(Array.from(resumed.data), Array.from(straight.data));
    });
  }

  it("loading into a different layout says what differs", () => {
    const a = tensor([1, 2], { requiresGrad: true }), b = tensor([3], { requiresGrad: true });
    const saved = new optim.SGD([a], { lr: 0.1 }).stateDict();
    assert.throws(() => new optim.SGD([a, b], { lr: 0.1 }).loadStateDict(saved), /SGD\.loadStateDict: parameter group 0 has 1 parameters in the saved state, 2 here/);
    assert.throws(() => new optim.SGD([{ params: [a] }, { params: [b] }], { lr: 0.1 }).loadStateDict(saved), /the saved state has 1 parameter groups, this optimizer has 2/);
  });

  it("loading restores the groups' options (a scheduler's lr included)", () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const opt = new optim.SGD([a], { lr: 0.1, momentum: 0.9 });
    opt.paramGroups[0].lr = 0.025;
    const other = new optim.SGD([a], { lr: 0.5 });
    other.loadStateDict(opt.stateDict());
    assert.equal(other.paramGroups[0].lr, 0.025);
    assert.equal(other.paramGroups[0].momentum, 0.9);
  });
});
