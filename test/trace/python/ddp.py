"""DDP on CPU with gloo, started by torchrun; argv[1] "missing" forgets zero_grad()."""
import sys
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from common import data, mlp

dist.init_process_group("gloo")
model = DDP(mlp())
optimizer = torch.optim.SGD(model.parameters(), lr=0.02)
x, y = data()
# Each rank trains on its own half of the batch, as a DistributedSampler would give it.
x, y = x[dist.get_rank()::2], y[dist.get_rank()::2]
for step in range(10):
    if sys.argv[1] != "missing":
        optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
dist.destroy_process_group()
