"""A classifier trained on synthetic data, twice: with optimizer.zero_grad() and without.

Run it with PyTorch installed (`python3 missing_zero_grad.py`): the run without the zero re-applies
every earlier step's gradients and its loss ends far higher. `gradlens lint` finds the missing zero
without running anything; Ctrl+. in VS Code (or `gradlens lint --fix`) inserts it.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, features=20, hidden=64, classes=4):
        super().__init__()
        self.fc1 = nn.Linear(features, hidden)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def make_data(n=512, features=20, classes=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(classes, features, generator=g) * 0.5
    labels = torch.randint(0, classes, (n,), generator=g)
    return centers[labels] + torch.randn(n, features, generator=g), labels


def batches(x, y, size=32):
    for i in range(0, len(x), size):
        yield x[i:i + size], y[i:i + size]


def train_with_zero_grad(x, y, epochs=5):
    torch.manual_seed(0)
    model = Classifier()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for epoch in range(epochs):
        for xb, yb in batches(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
    return loss.item()


def train_without_zero_grad(x, y, epochs=5):
    torch.manual_seed(0)
    model = Classifier()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for epoch in range(epochs):
        for xb, yb in batches(x, y):
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()  # gradients pile up on top of every earlier step's
            optimizer.step()
    return loss.item()


if __name__ == "__main__":
    x, y = make_data()
    print(f"final loss with zero_grad():    {train_with_zero_grad(x, y):.4f}")
    print(f"final loss without zero_grad(): {train_without_zero_grad(x, y):.4f}")
