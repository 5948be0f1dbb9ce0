#!/usr/bin/env python3
"""Writes PyTorch reference results that the engine is compared against (test/parity/*.test.ts).

Run with a real PyTorch:  npm run parity:generate   (uses Debian's /usr/bin/python3 + python3-torch)
Every case is computed in float64 and float32 from the same inputs. Keys name cases that the
TypeScript side implements with the engine; the test fails on a key it doesn't know.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
g = torch.Generator().manual_seed(1234)


def randn(*shape):
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def rand(*shape):
    return torch.rand(*shape, generator=g, dtype=torch.float64)


def to_list(t):
    return t.detach().to(torch.float64).tolist()


# name -> (function of inputs, list of input tensors (float64), indices of inputs that need grad)
targets3 = torch.tensor([2, 0, 1, 2], dtype=torch.int64)
OP_CASES = {
    "add_broadcast": (lambda a, b: a + b, [randn(3, 1), randn(4)], [0, 1]),
    "sub_alpha": (lambda a, b: torch.sub(a, b, alpha=0.5), [randn(2, 3), randn(3)], [0, 1]),
    "mul_div": (lambda a, b: a * b / (b * b + 1), [randn(2, 3), randn(2, 3)], [0, 1]),
    "pow_scalar": (lambda a: a.pow(3), [randn(5)], [0]),
    "pow_tensor": (lambda a, b: a.pow(b), [rand(4) + 0.5, randn(4)], [0, 1]),
    "exp_log_sqrt": (lambda a: a.exp() + (a * a + 1).log() + (a * a + 0.5).sqrt(), [randn(6)], [0]),
    "abs_neg_clamp": (lambda a: a.abs() - a.neg().clamp(-0.5, 0.5), [randn(8)], [0]),
    "matmul_2d": (lambda a, b: a @ b, [randn(3, 4), randn(4, 5)], [0, 1]),
    "matmul_batched_broadcast": (lambda a, b: a @ b, [randn(2, 3, 4), randn(4, 2)], [0, 1]),
    "matmul_vec": (lambda a, b: a @ b, [randn(4), randn(4, 3)], [0, 1]),
    "sum_mean_dims": (lambda a: a.sum(1) * 2 + a.mean(0, keepdim=True).sum(), [randn(3, 4)], [0]),
    "max_min_dim": (lambda a: a.max(1).values + a.min(0).values.sum(), [randn(3, 4)], [0]),
    "norm": (lambda a: a.norm() + a.norm(p=2, dim=1).sum(), [randn(3, 4)], [0]),
    "shape_ops": (lambda a: a.reshape(4, 3).t().permute(1, 0).unsqueeze(0).expand(2, 4, 3).transpose(1, 2).squeeze(), [randn(3, 4)], [0]),
    "cat_stack": (lambda a, b: torch.cat([torch.stack([a, b], 1), a.unsqueeze(1)], 1), [randn(2, 3), randn(2, 3)], [0, 1]),
    "select_slice_index": (lambda a: a[1] + a[:, 1:4:2].sum() + a[torch.tensor([2, 0, 2])].sum(0), [randn(3, 5)], [0]),
    "activations": (lambda a: a.relu() + a.sigmoid() + a.tanh() + F.gelu(a), [randn(3, 4)], [0]),
    "softmax_logsoftmax": (lambda a: a.softmax(1) + a.log_softmax(0), [randn(3, 4)], [0]),
    "mse_loss": (lambda a, b: F.mse_loss(a, b), [randn(4, 3), randn(4, 3)], [0, 1]),
    "cross_entropy": (lambda a: F.cross_entropy(a, targets3), [randn(4, 3)], [0]),
    "cross_entropy_sum": (lambda a: F.cross_entropy(a, targets3, reduction="sum"), [randn(4, 3)], [0]),
    "nll_loss": (lambda a: F.nll_loss(a.log_softmax(1), targets3), [randn(4, 3)], [0]),
    "bce": (lambda a, b: F.binary_cross_entropy(a.sigmoid(), b), [randn(6), rand(6)], [0]),
    "bce_with_logits": (lambda a, b: F.binary_cross_entropy_with_logits(a, b), [randn(6) * 3, rand(6)], [0, 1]),
}


def op_fixtures():
    out = {}
    for name, (fn, inputs, need_grad) in OP_CASES.items():
        entry = {"inputs": [to_list(x) for x in inputs], "requiresGrad": need_grad}
        for dtype, key in ((torch.float64, "float64"), (torch.float32, "float32")):
            xs = [x.to(dtype).clone().requires_grad_(i in need_grad) for i, x in enumerate(inputs)]
            y = fn(*xs)
            w = torch.arange(y.numel(), dtype=dtype).reshape(y.shape).mul(0.37).sin().add(1.1)
            (y * w).sum().backward()
            entry[key] = {"output": to_list(y), "grads": [to_list(x.grad) if x.grad is not None else None for x in xs]}
        out[name] = entry
    return out


def linear_init(layer, w, b):
    with torch.no_grad():
        layer.weight.copy_(w)
        layer.bias.copy_(b)


def trajectory_fixtures():
    """A 3-4-2 tanh MLP trained 20 steps on fixed data by each optimizer configuration."""
    init = {"0.weight": randn(4, 3) * 0.5, "0.bias": randn(4) * 0.1, "2.weight": randn(2, 4) * 0.5, "2.bias": randn(2) * 0.1}
    x, y = randn(8, 3), randn(8, 2)
    configs = {
        "sgd": ("SGD", {"lr": 0.1}),
        "sgd_momentum_dampening_wd": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
        "sgd_nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        "adam": ("Adam", {"lr": 0.01}),
        "adam_amsgrad_wd": ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
        "adamw": ("AdamW", {"lr": 0.01, "weight_decay": 0.05}),
        "adamw_amsgrad": ("AdamW", {"lr": 0.01, "amsgrad": True}),
    }
    out = {"init": {k: to_list(v) for k, v in init.items()}, "x": to_list(x), "y": to_list(y), "runs": {}}
    for name, (opt_name, kwargs) in configs.items():
        for zero in (True, False) if name == "sgd" else (True,):
            torch.manual_seed(0)
            model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
            linear_init(model[0], init["0.weight"], init["0.bias"])
            linear_init(model[2], init["2.weight"], init["2.bias"])
            opt = getattr(torch.optim, opt_name)(model.parameters(), **kwargs)
            losses, params = [], []
            for _ in range(20):
                if zero:
                    opt.zero_grad(set_to_none=True)
                loss = F.mse_loss(model(x), y)
                loss.backward()
                opt.step()
                losses.append(loss.item())
                params.append({k: to_list(v) for k, v in model.state_dict().items()})
            key = name if zero else "sgd_without_zero_grad"
            out["runs"][key] = {"optimizer": opt_name, "options": kwargs, "zeroGrad": zero, "losses": losses, "params": params}
    return out


def scheduler_fixtures():
    out = {}
    p = torch.nn.Parameter(torch.zeros(1))
    cases = {
        "step_lr": lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
        "cosine": lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
        "lambda": lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 0.9 ** e),
    }
    for name, make in cases.items():
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make(opt)
        lrs = []
        for _ in range(15):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        out[name] = lrs
    return out


def module_fixtures():
    """RNN forward/backward with given weights, and Linear's default init statistics."""
    rnn = torch.nn.RNN(3, 4, num_layers=2).double()
    weights = {k: to_list(v) for k, v in rnn.state_dict().items()}
    x, h0 = randn(5, 2, 3), randn(2, 2, 4)
    out, hn = rnn(x, h0)
    (out.sum() + (hn * hn).sum()).backward()
    grads = {k: to_list(v.grad) for k, v in rnn.named_parameters()}
    return {"rnn": {"weights": weights, "x": to_list(x), "h0": to_list(h0), "output": to_list(out), "hn": to_list(hn), "grads": grads}}


def main():
    fixtures = {
        "torch": torch.__version__,
        "ops": op_fixtures(),
        "trajectories": trajectory_fixtures(),
        "schedulers": scheduler_fixtures(),
        "modules": module_fixtures(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.json")
    with open(path, "w") as f:
        json.dump(fixtures, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} (torch {torch.__version__}: {len(fixtures['ops'])} op cases, {len(fixtures['trajectories']['runs'])} optimizer runs)")


if __name__ == "__main__":
    main()
