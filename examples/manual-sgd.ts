/**
 * Manual updates without an optimizer: a linear model whose weights are updated inside noGrad
 * from their own .grad, which is then zeroed in place with `W.grad.zero_()`.
 */
import { manualSeed, randn, tensor, zeros, noGrad, Tensor } from "gradlens";

export function trainManualSgd(steps = 100, lr = 0.1, seed = 0): { W: Tensor; b: Tensor; losses: number[] } {
  manualSeed(seed);
  const x = randn(32, 2);
  const y = x.matmul(tensor([[3], [-1]])).add(2);
  const W = randn(2, 1, { requiresGrad: true });
  const b = zeros(1, { requiresGrad: true });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = x.matmul(W).add(b).sub(y).pow(2).mean();
    loss.backward();
    noGrad(() => {
      W.sub_(W.grad!.mul(lr));
      b.sub_(b.grad!.mul(lr));
    });
    W.grad!.zero_();
    b.grad!.zero_();
    losses.push(loss.item());
  }
  return { W, b, losses };
}

if (require.main === module) {
  const { W, b, losses } = trainManualSgd();
  console.log(`loss ${losses[0].toFixed(4)} → ${losses.at(-1)!.toFixed(6)}`);
  console.log(`W = ${W.detach()}  (true [[3], [-1]])`);
  console.log(`b = ${b.detach()}  (true [2])`);
}
