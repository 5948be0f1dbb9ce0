import { nn, optim, randn, manualSeed, ones, zeros } from "gradlens";
manualSeed(0);
const netG = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 2));
const netD = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 1), new nn.Sigmoid());
const optD = new optim.Adam(netD.parameters(), { lr: 1e-3 });
const optimizerG = new optim.Adam(netG.parameters(), { lr: 1e-3 });
const bce = new nn.BCELoss();
for (let i = 0; i < 200; i++) {
  const real = randn(32, 2).add(2);
  const fake = netG.forward(randn(32, 4));
  netD.zeroGrad();
  const lossD = bce.forward(netD.forward(real), ones(32, 1)).add(bce.forward(netD.forward(fake.detach()), zeros(32, 1)));
  lossD.backward();
  optD.step();
  netG.zeroGrad();
  const lossG = bce.forward(netD.forward(fake), ones(32, 1));
  lossG.backward();
  optimizerG.step();
}
