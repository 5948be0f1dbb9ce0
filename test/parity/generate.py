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
        "rmsprop": ("RMSprop", {"lr": 0.01}),
        "rmsprop_centered_momentum_wd": ("RMSprop", {"lr": 0.005, "alpha": 0.9, "momentum": 0.8, "centered": True, "weight_decay": 0.01}),
        "adagrad": ("Adagrad", {"lr": 0.1}),
        "adagrad_decay_initial_wd": ("Adagrad", {"lr": 0.2, "lr_decay": 0.05, "initial_accumulator_value": 0.1, "weight_decay": 0.02}),
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
    """Each scheduler over 15 epochs: the lr (and, for OneCycleLR, the momentum) after each step."""
    from torch.optim import lr_scheduler as S
    out = {}
    plateau = [1.0, 0.9, 0.95, 0.95, 0.94, 0.96, 0.8, 0.85, 0.85, 0.85, 0.85, 0.9, 0.7, 0.7, 0.7]
    cases = {
        "step_lr": ("SGD", lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
        "cosine": ("SGD", lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
        "lambda": ("SGD", lambda o: S.LambdaLR(o, lambda e: 0.9 ** e)),
        "linear_warmup": ("SGD", lambda o: S.LinearLR(o, start_factor=0.1, total_iters=4)),
        "linear_decay": ("SGD", lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=10)),
        "onecycle_cos_sgd": ("SGDm", lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=15)),
        "onecycle_linear_three_phase_adam": ("Adam", lambda o: S.OneCycleLR(o, max_lr=0.01, total_steps=16, anneal_strategy="linear", three_phase=True, pct_start=0.25)),
        "onecycle_epochs_no_momentum": ("SGD", lambda o: S.OneCycleLR(o, max_lr=0.5, epochs=3, steps_per_epoch=5, cycle_momentum=False, div_factor=10, final_div_factor=100)),
        "sequential_warmup_cosine": ("SGD", lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.25, total_iters=3), S.CosineAnnealingLR(o, T_max=10)], milestones=[3])),
        "sequential_three": ("SGD", lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.5, total_iters=2), S.StepLR(o, step_size=2, gamma=0.5), S.CosineAnnealingLR(o, T_max=4)], milestones=[2, 8])),
        "chained_step_linear": ("SGD", lambda o: S.ChainedScheduler([S.StepLR(o, step_size=3, gamma=0.5), S.LinearLR(o, start_factor=0.5, total_iters=4)])),
        "plateau_min_rel_cooldown": ("SGD", lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=1, threshold=0.01)),
        "plateau_max_abs_min_lr": ("SGD", lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=1, threshold=0.05, threshold_mode="abs", min_lr=0.01)),
    }
    for name, (opt_kind, make) in cases.items():
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.Adam([p], lr=0.1) if opt_kind == "Adam" else torch.optim.SGD([p], lr=0.1, momentum=0.9 if opt_kind == "SGDm" else 0)
        sched = make(opt)
        lrs, momenta = [], []
        for epoch in range(15):
            opt.step()
            if isinstance(sched, S.ReduceLROnPlateau):
                sched.step(plateau[epoch] if "min" in name else -plateau[epoch])
            else:
                sched.step()
            group = opt.param_groups[0]
            lrs.append(group["lr"])
            momenta.append(group["betas"][0] if "betas" in group else group["momentum"])
        out[name] = {"optimizer": opt_kind, "lrs": lrs, "momenta": momenta, "metrics": plateau}
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
