"""Shared by the tracing fixtures: a tiny regression problem and model (fixed seed)."""
import torch


def data(n=32):
    torch.manual_seed(0)
    x = torch.randn(n, 4)
    return x, x.sum(1, keepdim=True)


def mlp():
    torch.manual_seed(1)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
