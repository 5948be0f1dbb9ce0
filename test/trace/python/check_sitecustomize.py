import os
import torch
from common import data, mlp

print("user sitecustomize:", os.environ.get("USER_SITECUSTOMIZE_RAN", "no"))
model = mlp()
opt = torch.optim.SGD(model.parameters(), lr=0.02)
x, y = data()
for step in range(3):
    opt.zero_grad()
    torch.nn.functional.mse_loss(model(x), y).backward()
    opt.step()
