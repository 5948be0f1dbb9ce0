#!/usr/bin/env python3
"""Writes PyTorch's results for edge cases (NaN/Inf propagation, masked gradients, ties, kinks,
saturated losses, strides, aliasing) to edge-cases.json; test/parity/edge-cases.test.ts replays
each program with the engine. Non-finite numbers are written as the strings "nan", "inf", "-inf".

Run with a real PyTorch:  npm run parity:generate
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
inf, nan = math.inf, math.nan


def t(v, rg=False):
    return torch.tensor(v, dtype=torch.float64, requires_grad=rg)


def enc(x):
    if isinstance(x, list):
        return [enc(v) for v in x]
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def out(**named):
    return {k: enc(v.detach().tolist()) for k, v in named.items()}


def relu_nan():
    x = t([nan, -1, 0, 2], True)
    y = x.relu()
    y.sum().backward()
    return out(y=y, gx=x.grad)


def relu_times_inf():
    x = t([-1, 2], True)
    (x.relu() * inf).sum().backward()
    return out(gx=x.grad)


def maximum_nan_ties():
    a, b = t([nan, 1, 2, 3], True), t([1, 1, 3, nan], True)
    y = torch.maximum(a, b)
    y.sum().backward()
    return out(y=y, ga=a.grad, gb=b.grad)


def minimum_nan_ties():
    a, b = t([nan, 1, 2, 3], True), t([1, 1, 3, nan], True)
    y = torch.minimum(a, b)
    y.sum().backward()
    return out(y=y, ga=a.grad, gb=b.grad)


def maximum_times_inf():
    a, b = t([-1, 2], True), t([0, 0], True)
    (torch.maximum(a, b) * inf).sum().backward()
    return out(ga=a.grad, gb=b.grad)


def clamp_inverted():
    x = t([-1, 0.5, 3], True)
    y = x.clamp(2, 1)
    y.sum().backward()
    return out(y=y, gx=x.grad)


def clamp_times_inf():
    x = t([-2, 0.5, nan], True)
    (x.clamp(-1, 1) * inf).sum().backward()
    return out(gx=x.grad)


def matmul_inf():
    a, b = t([[0, 1]], True), t([[inf], [1]], True)
    y = a @ b
    y.sum().backward()
    return out(y=y, ga=a.grad, gb=b.grad)


def bce_logits_zero():
    x = t([0, 0], True)
    loss = F.binary_cross_entropy_with_logits(x, t([1, 0]))
    loss.backward()
    xw = t([0, 0], True)
    lw = F.binary_cross_entropy_with_logits(xw, t([1, 0]), pos_weight=t([3]))
    lw.backward()
    return out(loss=loss, gx=x.grad, lossW=lw, gxW=xw.grad)


def bce_saturated():
    p = t([1, 1, 0, 0], True)
    loss = F.binary_cross_entropy(p, t([1, 0, 0, 1]))
    loss.backward()
    return out(loss=loss, gp=p.grad)


def gather_strides():
    x = torch.arange(1, 9, dtype=torch.float64).reshape(2, 2, 2).requires_grad_()
    y = x.gather(2, torch.tensor([[[1]], [[0]]]))
    y.sum().backward()
    return out(y=y, gx=x.grad)


def norm_inf_ties():
    x = t([3, -3, 1], True)
    x.norm(inf).backward()
    m = t([[3, 3], [1, -2]], True)
    m.norm(inf, dim=1).sum().backward()
    return out(gx=x.grad, gm=m.grad)


def norm_p_at_zero():
    z3 = t([0, 0], True)
    z3.norm(3).backward()
    z1 = t([0, 2], True)
    z1.norm(1).backward()
    v = t([1, -2, 0.5], True)
    n3 = v.norm(3)
    n3.backward()
    return out(gz3=z3.grad, gz1=z1.grad, n3=n3, gv=v.grad)


def t_1d_hook():
    x = t([1, 2], True)
    y = x.t()
    y.register_hook(lambda g: g * 10)
    (y.sum() + x.sum()).backward()
    return out(gx=x.grad)


def expand_same_shape_hook():
    x = t([1, 2], True)
    y = x.expand(2)
    y.register_hook(lambda g: g * 10)
    (y.sum() + x.sum()).backward()
    return out(gx=x.grad)


def backward_gradient_is_copied():
    x = t([1, 2], True)
    x.backward(x)
    with torch.no_grad():
        x.grad.mul_(10)
    return out(x=x, gx=x.grad)


def zero_fill_copy_keep_history():
    x = t([1, 2], True)
    y = x * 2
    y.zero_()
    zero_rg = t([1.0 if y.requires_grad else 0.0])
    (y + x).sum().backward()
    x2 = t([1, 2], True)
    y2 = x2 * 1
    y2.fill_(3)
    (y2 * x2).sum().backward()
    x3, c = t([1, 2], True), t([5, 6], True)
    y3 = x3 * 2
    y3.copy_(c)
    (y3 * 3).sum().backward()
    return out(zeroRequiresGrad=zero_rg, gx=x.grad, gx2=x2.grad, gx3=x3.grad, gc=c.grad)


def fill_after_saved_output_raises():
    x = t([1, 2], True)
    y = x.exp()  # exp saves its output
    y.fill_(3)
    try:
        y.sum().backward()
        raised = 0.0
    except RuntimeError:
        raised = 1.0
    return out(raised=t([raised]))


def saves_only_what_gradients_need():
    x = t([1, 2], True)
    h = x * 1
    y = h * 2
    h.add_(1)
    y.sum().backward()
    x2 = t([1, 2], True)
    h2 = x2 * 1
    y2 = h2 / t([2, 4])
    h2.add_(1)
    y2.sum().backward()
    x3 = t([[1, 2]], True)
    h3 = x3 * 1
    y3 = h3 @ t([[1], [3]])
    h3.add_(1)
    y3.sum().backward()
    return out(gx=x.grad, gx2=x2.grad, gx3=x3.grad)


def schedulers_chain_and_follow_the_user():
    w = t([1.0], True)
    opt = torch.optim.SGD([w], lr=0.1)
    s1 = torch.optim.lr_scheduler.StepLR(opt, 2, 0.5)
    s2 = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 5)
    chained = []
    for _ in range(8):
        opt.step()
        s1.step()
        s2.step()
        chained.append(opt.param_groups[0]["lr"])
    w2 = t([1.0], True)
    opt2 = torch.optim.SGD([w2], lr=1.0)
    s3 = torch.optim.lr_scheduler.StepLR(opt2, 3, 0.1)
    user = []
    for epoch in range(7):
        opt2.step()
        s3.step()
        if epoch == 1:
            opt2.param_groups[0]["lr"] = 0.5
        user.append(opt2.param_groups[0]["lr"])
    return out(chained=t(chained), user=t(user))


def second_backward_without_retain():
    """1 where PyTorch raises on a second backward through the op (it saved state), else 0."""
    def raises(make):
        x = t([1.0, 3.0, 2.0, 0.5], True)
        y = make(x)
        y.backward(retain_graph=False)
        try:
            y.backward()
            return 0.0
        except RuntimeError:
            return 1.0
    return out(flags=t([
        raises(lambda x: F.nll_loss(x.reshape(2, 2), torch.tensor([0, 1]))),
        raises(lambda x: x.reshape(2, 2).min(1).values.sum()),
        raises(lambda x: (x * 1).clamp_(0, 2).sum()),
        raises(lambda x: x.gather(0, torch.tensor([1, 0])).sum()),
        raises(lambda x: x[torch.tensor([1, 1])].sum()),
        raises(lambda x: (x + 1).sum()),
        raises(lambda x: x.reshape(2, 2).t().sum()),
    ]))


def pow_zero_base():
    a, b = t([0.0, 0.0, 2.0], True), t([0.0, -1.0, 0.0], True)
    y = a.pow(b)
    y.sum().backward()
    return out(y=y, ga=a.grad, gb=b.grad)


def promotion_with_0d():
    r1 = torch.ones(2, dtype=torch.float32) + torch.tensor(1.5, dtype=torch.float64)
    r2 = torch.tensor(1.5, dtype=torch.float32) + torch.tensor(1.5, dtype=torch.float64)
    r3 = torch.ones(2, dtype=torch.float32) * torch.ones(2, dtype=torch.float64)
    return out(is64=t([1.0 if r.dtype == torch.float64 else 0.0 for r in (r1, r2, r3)]))


def gather_empty_index():
    # An empty index of any rank gathers nothing (no rank check), and back-propagates zeros.
    x = t([[1, 2, 3], [4, 5, 6]], True)
    a = x.gather(1, torch.zeros(0, dtype=torch.int64))
    b = x.gather(0, torch.zeros(2, 0, 5, dtype=torch.int64))
    (a.sum() + b.sum()).backward()
    return out(shapes=t([list(a.shape) + [-1] + list(b.shape)]), gx=x.grad)


def sort_nan_and_ties():
    x = t([2, nan, -1, 2, 0], True)
    asc = torch.sort(x, stable=True)
    desc = torch.sort(x, descending=True, stable=True)
    # (which of two tied values topk lists first is unspecified in PyTorch: its indices aren't compared)
    top = x.topk(3)
    (asc.values[:2].sum() + top.values[1:].sum() * 2).backward()
    return out(asc=asc.values, asc_i=asc.indices.double(), desc=desc.values, desc_i=desc.indices.double(), gx=x.grad)


CASES = [gather_empty_index, sort_nan_and_ties, second_backward_without_retain, pow_zero_base, promotion_with_0d, schedulers_chain_and_follow_the_user, saves_only_what_gradients_need, zero_fill_copy_keep_history, fill_after_saved_output_raises, relu_nan, relu_times_inf, maximum_nan_ties, minimum_nan_ties, maximum_times_inf, clamp_inverted,
         clamp_times_inf, matmul_inf, bce_logits_zero, bce_saturated, gather_strides, norm_inf_ties,
         norm_p_at_zero, t_1d_hook, expand_same_shape_hook, backward_gradient_is_copied]

# Printing: PyTorch's repr of these tensors (the test maps its names: requires_grad → requiresGrad).
REPRS = {
    "ints": torch.tensor([1., 2.]),
    "matrix_rg": torch.tensor([[0.1234, -1.5], [2, 3]], requires_grad=True),
    "nonfinite": torch.tensor([math.nan, math.inf, -math.inf, 1.5]),
    "scalar": torch.tensor(3.14159),
    "sci": torch.tensor([1e-5, 1, 1000]),
    "empty2d": torch.zeros(0, 3),
    "empty": torch.tensor([]),
    "long": torch.arange(0, 2000, dtype=torch.float32),
    "f64": torch.tensor([[1, 2], [3, 4]], dtype=torch.float64),
    "cube": torch.tensor([[[0.2955, -1.7477], [0.0267, -1.8063]], [[-0.2333, -0.7322], [2.4329, -2.5050]]]),
    "neg_zero": torch.tensor([-0.0, 1.0]),
    "wide": torch.linspace(-1, 1, 30),
    "big_matrix": torch.arange(0, 10000, dtype=torch.float32).reshape(100, 100) / 7,
    "grad_fn": torch.tensor([1.5, 2.0], requires_grad=True) * 2,
}

if __name__ == "__main__":
    result = {"torch": torch.__version__, "cases": {f.__name__: f() for f in CASES}, "reprs": {k: repr(v) for k, v in REPRS.items()}}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "edge-cases.json")
    with open(path, "w") as fh:
        json.dump(result, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print(f"wrote {len(CASES)} cases to {path}")
