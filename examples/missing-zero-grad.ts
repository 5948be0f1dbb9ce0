/**
 * The bug gradlens exists for. The same model, data and seed are trained twice: once with
 * `optimizer.zeroGrad()` each step, once without. Without it every backward() adds onto the
 * gradients of all earlier steps, so each step re-applies old gradients and the loss ends higher.
 *
 *   npx gradlens lint examples/   → flags the loop in trainWithoutZeroGrad
 */
import { manualSeed, randn, tensor, nn, optim } from "gradlens";

export interface Run {
  losses: number[];
}

function setup(seed: number) {
  manualSeed(seed);
  // y = x·[2, -3, 0.5]ᵀ + 1 + noise
  const x = randn(64, 3);
  const y = x.matmul(tensor([[2], [-3], [0.5]])).add(1).add(randn(64, 1).mul(0.1));
  const model = new nn.Sequential(new nn.Linear(3, 16), new nn.Tanh(), new nn.Linear(16, 1));
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.05 });
  return { x, y, model, optimizer, lossFn: new nn.MSELoss() };
}

export function trainWithZeroGrad(steps = 60, seed = 0): Run {
  const { x, y, model, optimizer, lossFn } = setup(seed);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    optimizer.zeroGrad();
    const loss = lossFn.forward(model.forward(x), y);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  return { losses };
}

export function trainWithoutZeroGrad(steps = 60, seed = 0): Run {
  const { x, y, model, optimizer, lossFn } = setup(seed);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = lossFn.forward(model.forward(x), y);
    loss.backward(); // gradients pile up on top of every earlier step's
    optimizer.step();
    losses.push(loss.item());
  }
  return { losses };
}

if (require.main === module) {
  const good = trainWithZeroGrad(), bad = trainWithoutZeroGrad();
  console.log("step   with zeroGrad   without zeroGrad");
  for (let i = 0; i < good.losses.length; i += 10) {
    console.log(`${String(i).padStart(4)}   ${good.losses[i].toFixed(4).padStart(13)}   ${bad.losses[i].toFixed(4).padStart(16)}`);
  }
  console.log(`final  ${good.losses.at(-1)!.toFixed(4).padStart(13)}   ${bad.losses.at(-1)!.toFixed(4).padStart(16)}`);
}
