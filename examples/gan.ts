/**
 * A small GAN on 2-D points: two networks, two optimizers, each zeroing its own gradients before
 * its own backward. The generator's backward also writes into the discriminator's gradients; the
 * discriminator's next zero clears them. Correct code: gradlens must not flag it.
 *
 *   npx gradlens trace examples/gan.ts --out gan.html   → one series per network, named optD / optG
 */
import { manualSeed, nn, ones, optim, randn, zeros } from "gradlens";

manualSeed(0);
const netG = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 2));
const netD = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 1), new nn.Sigmoid());
const optD = new optim.Adam(netD.parameters(), { lr: 1e-3 });
const optG = new optim.Adam(netG.parameters(), { lr: 1e-3 });
const bce = new nn.BCELoss();

for (let i = 0; i < 200; i++) {
  const real = randn(32, 2).add(2); // the data: points around (2, 2)
  const fake = netG.forward(randn(32, 4));

  // The discriminator: real points are 1, generated ones 0.
  netD.zeroGrad();
  const lossD = bce.forward(netD.forward(real), ones(32, 1)).add(bce.forward(netD.forward(fake.detach()), zeros(32, 1)));
  lossD.backward();
  optD.step();

  // The generator: make the discriminator say 1.
  netG.zeroGrad();
  const lossG = bce.forward(netD.forward(fake), ones(32, 1));
  lossG.backward();
  optG.step();

  if (i % 50 === 0) console.log(`iteration ${String(i).padStart(3)}  loss D ${lossD.item().toFixed(3)}  loss G ${lossG.item().toFixed(3)}`);
}
