import torch
from common import data, mlp

model = mlp()
optimizer = torch.optim.SGD(model.parameters(), lr=0.02)
x, y = data()
for step in range(8):
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    if step == 4:
        loss = loss * float("nan")
    loss.backward()
    optimizer.step()
