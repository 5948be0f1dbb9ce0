"""Trains until killed, and prints nothing (a closed output pipe must not be what ends it)."""
import time
import torch
from common import data, mlp

model = mlp()
optimizer = torch.optim.SGD(model.parameters(), lr=0.02)
x, y = data()
while True:
    optimizer.zero_grad()
    torch.nn.functional.mse_loss(model(x), y).backward()
    optimizer.step()
    time.sleep(0.01)
