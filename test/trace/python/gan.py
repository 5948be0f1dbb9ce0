import torch

torch.manual_seed(0)
netG = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
netD = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.LeakyReLU(0.2), torch.nn.Linear(16, 1))
optD = torch.optim.Adam(netD.parameters(), lr=1e-3)
optG = torch.optim.Adam(netG.parameters(), lr=1e-3)
bce = torch.nn.BCEWithLogitsLoss()
for step in range(15):
    real = torch.randn(32, 2) * 0.5 + 2
    noise = torch.randn(32, 2)
    netD.zero_grad()
    fake = netG(noise)
    lossD = bce(netD(real), torch.ones(32, 1)) + bce(netD(fake.detach()), torch.zeros(32, 1))
    lossD.backward()
    optD.step()
    netG.zero_grad()
    lossG = bce(netD(fake), torch.ones(32, 1))
    lossG.backward()
    optG.step()
