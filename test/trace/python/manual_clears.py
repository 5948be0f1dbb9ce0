import sys
import torch
from common import data, mlp

# How the gradients are cleared, by hand, behind the optimizer's back.
how = sys.argv[1]
model = mlp()
optimizer = torch.optim.SGD(model.parameters(), lr=0.02)
x, y = data()
for step in range(12):
    for p in model.parameters():
        if p.grad is None:
            continue
        if how == "none":
            p.grad = None
        elif how == "zero":
            p.grad.zero_()
        elif how == "data-zero":
            p.grad.data.zero_()
        elif how == "detach-zero":
            p.grad.detach_()
            p.grad.zero_()
        elif how == "model":
            pass
    if how == "model":
        model.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
