"""A hand-written optimizer (its own step(), defined after torch is imported) in a loop without zero_grad()."""
import torch
from common import data, mlp


class SignSGD(torch.optim.Optimizer):
    def __init__(self, params, lr):
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad.sign(), alpha=-group["lr"])


model = mlp()
opt = SignSGD(model.parameters(), lr=0.01)
x, y = data()
for step in range(10):
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
