import torch
from common import data, mlp

model = mlp()
optimizer = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5)
x, y = data()


def closure():
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    return loss


for step in range(6):
    optimizer.step(closure)
