/**
 * Gradient accumulation done on purpose: when a batch doesn't fit in memory, run it as N
 * micro-batches, let backward() add their gradients up, and zero + step together every N.
 * Dividing each micro-batch loss by N makes the accumulated gradient equal the full batch's.
 * This is correct code: gradlens must not flag it.
 */
import { manualSeed, randn, tensor, nn, optim, Tensor } from "gradlens";

export const ACCUMULATION_STEPS = 4;

export function makeData(seed = 0) {
  manualSeed(seed);
  const x = randn(64, 3);
  const y = x.matmul(tensor([[1.5], [-2], [0.25]])).add(0.5);
  return { x, y };
}

export function makeModel(seed = 1) {
  manualSeed(seed);
  return new nn.Sequential(new nn.Linear(3, 8), new nn.ReLU(), new nn.Linear(8, 1));
}

/** Trains with micro-batches of `microBatch` rows, stepping every ACCUMULATION_STEPS of them. */
export function trainAccumulated(model: nn.Module, x: Tensor, y: Tensor, microBatch = 8, epochs = 30): number[] {
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.05 });
  const lossFn = new nn.MSELoss();
  const losses: number[] = [];
  const batches = x.shape[0] / microBatch;
  optimizer.zeroGrad();
  for (let epoch = 0; epoch < epochs; epoch++) {
    let epochLoss = 0;
    for (let i = 0; i < batches; i++) {
      const xb = x.slice(0, i * microBatch, (i + 1) * microBatch);
      const yb = y.slice(0, i * microBatch, (i + 1) * microBatch);
      const loss = lossFn.forward(model.forward(xb), yb).div(ACCUMULATION_STEPS);
      loss.backward();
      epochLoss += loss.item();
      if ((i + 1) % ACCUMULATION_STEPS === 0) {
        optimizer.step();
        optimizer.zeroGrad();
      }
    }
    losses.push(epochLoss / (batches / ACCUMULATION_STEPS));
  }
  return losses;
}

if (require.main === module) {
  const { x, y } = makeData();
  const losses = trainAccumulated(makeModel(), x, y);
  console.log(`gradient accumulation over ${ACCUMULATION_STEPS} micro-batches`);
  losses.forEach((l, e) => e % 5 === 0 && console.log(`epoch ${String(e).padStart(2)}  loss ${l.toFixed(5)}`));
  console.log(`final     loss ${losses.at(-1)!.toFixed(5)}`);
}
