#!/usr/bin/env python3
"""Random autograd programs run in a real PyTorch: every value, error and gradient recorded.

A program is JSON both sides interpret: float64 inputs (shapes with size-1 and size-0 dims and
0-d tensors, some requiring grad, some NaN/Inf values), then steps that each apply one op to
earlier values (with broadcasting, negative dims, keepdim, in-place updates on non-leaves, hooks,
retainGrad). At the end the last value is summed and back-propagated, sometimes twice (with the
graph retained, or not). test/fuzz/fuzz.test.ts replays each program through the engine.

  /usr/bin/python3 test/fuzz/generate.py [count] [seed] [out.json]
"""
import json
import math
import random
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def enc(x):
    if isinstance(x, list):
        return [enc(v) for v in x]
    if isinstance(x, bool):
        return x
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


# op name -> (arity, torch implementation (values, args) -> tensor)
def _dim(args, key="dim"):
    return args.get(key)


OPS = {
    "add": (2, lambda a, b, k: a + b),
    "sub": (2, lambda a, b, k: a - b),
    "mul": (2, lambda a, b, k: a * b),
    "div": (2, lambda a, b, k: a / b),
    "maximum": (2, lambda a, b, k: torch.maximum(a, b)),
    "minimum": (2, lambda a, b, k: torch.minimum(a, b)),
    "matmul": (2, lambda a, b, k: a @ b),
    "mseLoss": (2, lambda a, b, k: torch.nn.functional.mse_loss(a, b, reduction=k["reduction"])),
    # args [x, weight] or [x, weight, bias]
    "linear": (2, lambda a, b, *rest: torch.nn.functional.linear(a, b, rest[0] if len(rest) == 2 else None)),
    "addScalar": (1, lambda a, k: a + k["s"]),
    "mulScalar": (1, lambda a, k: a * k["s"]),
    "powScalar": (1, lambda a, k: a ** k["s"]),
    "neg": (1, lambda a, k: -a),
    "exp": (1, lambda a, k: a.exp()),
    "log": (1, lambda a, k: a.log()),
    "sqrt": (1, lambda a, k: a.sqrt()),
    "abs": (1, lambda a, k: a.abs()),
    "clamp": (1, lambda a, k: a.clamp(k["min"], k["max"])),
    "relu": (1, lambda a, k: a.relu()),
    "sigmoid": (1, lambda a, k: a.sigmoid()),
    "tanh": (1, lambda a, k: a.tanh()),
    "gelu": (1, lambda a, k: torch.nn.functional.gelu(a)),
    "softmax": (1, lambda a, k: a.softmax(k["dim"])),
    "logSoftmax": (1, lambda a, k: a.log_softmax(k["dim"])),
    "sum": (1, lambda a, k: a.sum() if k.get("dim") is None else a.sum(k["dim"], keepdim=k["keepdim"])),
    "mean": (1, lambda a, k: a.mean() if k.get("dim") is None else a.mean(k["dim"], keepdim=k["keepdim"])),
    "max": (1, lambda a, k: a.max() if k.get("dim") is None else a.max(k["dim"], keepdim=k["keepdim"]).values),
    "min": (1, lambda a, k: a.min() if k.get("dim") is None else a.min(k["dim"], keepdim=k["keepdim"]).values),
    "norm": (1, lambda a, k: a.norm(p=k["p"]) if k.get("dim") is None else a.norm(p=k["p"], dim=k["dim"], keepdim=k["keepdim"])),
    "reshape": (1, lambda a, k: a.reshape(k["shape"])),
    "transpose": (1, lambda a, k: a.transpose(k["d0"], k["d1"])),
    "t": (1, lambda a, k: a.t()),
    "unsqueeze": (1, lambda a, k: a.unsqueeze(k["dim"])),
    "squeeze": (1, lambda a, k: a.squeeze() if k.get("dim") is None else a.squeeze(k["dim"])),
    "expand": (1, lambda a, k: a.expand(k["shape"])),
    "select": (1, lambda a, k: a.select(k["dim"], k["index"])),
    "slice": (1, lambda a, k: a.narrow(k["dim"], k["start"], k["length"])),
    "mulInplace": (1, lambda a, k: (a * 1).mul_(k["s"])),
    "addInplace": (2, lambda a, b, k: (a * 1).add_(b)),
    "divInplace": (2, lambda a, b, k: (a * 1).div_(b)),
    "clampInplace": (1, lambda a, k: (a * 1).clamp_(k["min"], k["max"])),
    "copyInplace": (1, lambda a, k: torch.zeros(k["shape"], dtype=torch.float64).copy_(a)),
    "zeroInplace": (1, lambda a, k: (a * 1).zero_()),
    "hookDouble": (1, lambda a, k: _hooked(a)),
    "retainGrad": (1, lambda a, k: _retained(a)),
    "fillInplace": (1, lambda a, k: (a * 1).fill_(k["s"])),
    "clone": (1, lambda a, k: a.clone()),
    "toFloat32": (1, lambda a, k: a.to(torch.float32).to(torch.float64)),
    "permute": (1, lambda a, k: a.permute(k["dims"])),
    "cat": (2, lambda a, b, k: torch.cat([a, b], k["dim"])),
    "indexRows": (1, lambda a, k: a[torch.tensor(k["rows"], dtype=torch.int64)]),
    "gather": (1, lambda a, k: a.gather(k["dim"], torch.tensor(k["index"], dtype=torch.int64).reshape(k["indexShape"]))),
    "softplus": (1, lambda a, k: torch.nn.functional.softplus(a)),
    "nllLoss": (1, lambda a, k: torch.nn.functional.nll_loss(a.log_softmax(1), torch.tensor(k["targets"], dtype=torch.int64))),
    "bceSigmoid": (1, lambda a, k: torch.nn.functional.binary_cross_entropy(a.sigmoid(), torch.tensor(k["target"], dtype=torch.float64).reshape(a.shape))),
    "sin": (1, lambda a, k: a.sin()),
    "cos": (1, lambda a, k: a.cos()),
    "log1p": (1, lambda a, k: a.log1p()),
    "ne": (2, lambda a, b, k: a.ne(b).to(torch.float64)),
    "where": (2, lambda a, b, k: torch.where(a.detach() > k["s"], a, b)),
    "maskedFill": (1, lambda a, k: a.masked_fill(a.detach() < k["s"], k["value"])),
    "var": (1, lambda a, k: torch.var(a, None, correction=k["correction"]) if k.get("dim") is None else torch.var(a, k["dim"], correction=k["correction"], keepdim=k["keepdim"])),
    "std": (1, lambda a, k: _std(a, k)),
    "logsumexp": (1, lambda a, k: a.logsumexp(k["dim"], keepdim=k["keepdim"])),
    "cumsum": (1, lambda a, k: a.cumsum(k["dim"])),
    "any": (1, lambda a, k: (a.any() if k.get("dim") is None else a.any(k["dim"], keepdim=k["keepdim"])).to(torch.float64)),
    "all": (1, lambda a, k: (a.all() if k.get("dim") is None else a.all(k["dim"], keepdim=k["keepdim"])).to(torch.float64)),
    "maxIndices": (1, lambda a, k: a.max(k["dim"], keepdim=k["keepdim"]).indices.to(torch.float64)),
    "minIndices": (1, lambda a, k: a.min(k["dim"], keepdim=k["keepdim"]).indices.to(torch.float64)),
    "sort": (1, lambda a, k: a.sort(k["dim"], descending=k["descending"]).values),
    "sortIndices": (1, lambda a, k: torch.sort(a, dim=k["dim"], descending=k["descending"], stable=True).indices.to(torch.float64)),
    "topk": (1, lambda a, k: a.topk(k["k"], k["dim"], largest=k["largest"]).values),
    "chunk": (1, lambda a, k: a.chunk(k["chunks"], k["dim"])[k["piece"]]),
    "split": (1, lambda a, k: a.split(k["sizes"], k["dim"])[k["piece"]]),
    "repeat": (1, lambda a, k: a.repeat(k["repeats"])),
    "flip": (1, lambda a, k: a.flip(k["dims"])),
    "roll": (1, lambda a, k: a.roll(k["shifts"]) if k.get("dims") is None else a.roll(k["shifts"], k["dims"])),
    "tril": (1, lambda a, k: a.tril(k["diagonal"])),
    "triu": (1, lambda a, k: a.triu(k["diagonal"])),
    "outer": (2, lambda a, b, k: torch.outer(a.reshape(-1), b.reshape(-1))),
    "bmm": (2, lambda a, b, k: torch.bmm(a, b)),
    "einsum": (2, lambda a, b, k: torch.einsum(k["equation"], a, b)),
    "leakyRelu": (1, lambda a, k: F.leaky_relu(a, k["slope"])),
    "silu": (1, lambda a, k: F.silu(a)),
    "layerNorm": (1, lambda a, k: F.layer_norm(a, a.shape[-k["dims"]:], *( [torch.tensor(k["weight"], dtype=torch.float64).reshape(a.shape[-k["dims"]:]), None] if k.get("weight") else [None, None]), eps=k["eps"])),
    "embedding": (1, lambda a, k: F.embedding(torch.tensor(k["ids"], dtype=torch.int64).reshape(k["idsShape"]), a, padding_idx=k.get("padding"))),
    # Pools and conv see the input as [N, C, H, W]; conv's weight is a constant here (its gradient
    # is covered by the gradient checks and the layer parity suite).
    "maxPool2d": (1, lambda a, k: F.max_pool2d(a.reshape(k["shape"]), k["kernel"], stride=k["stride"], padding=k["padding"], ceil_mode=k["ceil"])),
    "avgPool2d": (1, lambda a, k: F.avg_pool2d(a.reshape(k["shape"]), k["kernel"], stride=k["stride"], padding=k["padding"], ceil_mode=k["ceil"], count_include_pad=k["includePad"])),
    "adaptiveAvgPool2d": (1, lambda a, k: F.adaptive_avg_pool2d(a.reshape(k["shape"]), k["out"])),
    "conv2d": (1, lambda a, k: F.conv2d(a.reshape(k["shape"]), torch.tensor(k["weight"], dtype=torch.float64).reshape(k["weightShape"]), stride=k["stride"], padding=k["padding"], dilation=k["dilation"], groups=k["groups"])),
    "bmmSelf": (1, lambda a, k: torch.bmm(a.reshape(k["shape"]), a.reshape(k["shape"]).transpose(1, 2))),
    "einsum1": (1, lambda a, k: torch.einsum(k["equation"], a)),
}


def _std(a, k):
    if k.get("dim") is None:
        return a.std(unbiased=k["correction"] == 1)
    return torch.std(a, k["dim"], correction=k["correction"], keepdim=k["keepdim"])


LETTERS = "abcdefghij"


def einsum_equation(r, a, b):
    """An equation fitting shapes a and b (b may share a's letters where sizes agree), output a random subset."""
    la = list(LETTERS[:len(a)])
    lb, fresh = [], len(a)
    for size in (b or []):
        shared = [l for l, s in zip(la, a) if s == size and l not in lb]
        if shared and r.random() < 0.6:
            lb.append(r.choice(shared))
        else:
            lb.append(LETTERS[fresh])
            fresh += 1
    letters = sorted(set(la + lb))
    out = [l for l in letters if r.random() < 0.6]
    r.shuffle(out)
    return la, lb, out


def _hooked(a):
    y = a * 1
    if y.requires_grad:
        y.register_hook(lambda g: g * 2)
    return y


def _retained(a):
    y = a * 1
    if y.requires_grad:
        y.retain_grad()
    return y


def rand_shape(r):
    rank = r.choice([0, 1, 1, 2, 2, 2, 3])
    return [r.choice([0, 1, 2, 2, 3, 3, 4]) if r.random() < 0.12 else r.choice([1, 2, 3, 4]) for _ in range(rank)]


def broadcast_partner(r, shape):
    """A shape that broadcasts with `shape` (some dims 1, some leading dims dropped or added)."""
    if r.random() < 0.15:
        return rand_shape(r)  # likely incompatible: an error both sides must raise
    out = [1 if r.random() < 0.3 else s for s in shape]
    drop = r.randint(0, len(out))
    out = out[drop:]
    if r.random() < 0.15:
        out = [r.choice([1, 2])] + out
    return out


def rand_values(r, n):
    vals = []
    for _ in range(n):
        x = r.random()
        if x < 0.04:
            vals.append(r.choice([0.0, 1.0, -1.0]))
        elif x < 0.06:
            vals.append(r.choice([math.inf, -math.inf, math.nan]))
        else:
            vals.append(round(r.uniform(-3, 3), 3))
    return vals


def make_step(r, shapes, values):
    """A random step over the values so far (by index), with arguments fit to their shapes mostly."""
    # linear drawn more often than the rest: it needs a fitting weight (and bias) to get past its
    # checks; hooks too, so enough programs exercise them among this many ops.
    name = "linear" if r.random() < 0.04 else r.choice(["hookDouble", "retainGrad"]) if r.random() < 0.03 else r.choice(list(OPS))
    arity = OPS[name][0]
    i = r.randrange(len(shapes))
    a = shapes[i]
    k = {}
    rank = len(a)
    dim = lambda: r.randint(-rank, rank - 1) if rank > 0 else r.choice([0, -1])
    if arity == 2:
        j = r.randrange(len(shapes))
        if name == "cat":
            k["dim"] = dim()
        if name == "where":
            k["s"] = r.choice([0.0, 0.5])
        if name == "bmm":
            fits = [w for w, s2 in enumerate(shapes) if len(s2) == 3 and rank == 3 and s2[0] == a[0] and s2[1] == a[2]]
            if fits and r.random() < 0.8:
                j = r.choice(fits)
        if name == "einsum":
            la, lb, out = einsum_equation(r, a, shapes[j])
            k["equation"] = "".join(la) + "," + "".join(lb) + "->" + "".join(out)
        if name == "mseLoss":
            # A target of the input's shape (broadcasting warns on both sides; not what losses are for).
            same = [w for w, s in enumerate(shapes) if s == a]
            j = r.choice(same)
            k["reduction"] = r.choice(["mean", "mean", "sum", "none"])
        if name == "linear":
            # Mostly a weight [out, in] that fits, sometimes a bias [out] (or one that broadcasts).
            fits = [w for w, s in enumerate(shapes) if len(s) == 2 and rank > 0 and s[1] == a[-1]]
            if fits and r.random() < 0.8:
                j = r.choice(fits)
            if r.random() < 0.6:
                out = shapes[j][0] if len(shapes[j]) == 2 else None
                biases = [b for b, s in enumerate(shapes) if s == [out]] or [b for b, s in enumerate(shapes) if len(s) <= 1]
                if biases:
                    return {"op": name, "args": [i, j, r.choice(biases)], "kw": k}
        return {"op": name, "args": [i, j], "kw": k}
    if name in ("addScalar", "mulScalar"):
        k["s"] = r.choice([0.0, 2.0, -1.5, 0.5])
    elif name == "powScalar":
        k["s"] = r.choice([2, 3, 0.5, -1, 0])
    elif name == "clamp":
        lo, hi = sorted([round(r.uniform(-2, 2), 2), round(r.uniform(-2, 2), 2)])
        if r.random() < 0.2:
            lo, hi = hi, lo
        k["min"], k["max"] = lo, hi
    elif name in ("softmax", "logSoftmax"):
        k["dim"] = dim()
    elif name in ("sum", "mean", "max", "min", "norm"):
        if r.random() < 0.6:
            k["dim"] = dim()
            k["keepdim"] = r.random() < 0.4
        if name == "norm":
            k["p"] = r.choice([1, 2, 2, 3, math.inf])
    elif name == "reshape":
        n = 1
        for s in a:
            n *= s
        k["shape"] = r.choice([[-1], [n], [1, -1], [-1, 1]]) if n > 0 else [0, -1]
    elif name == "transpose":
        k["d0"], k["d1"] = dim(), dim()
    elif name in ("unsqueeze",):
        k["dim"] = r.randint(-rank - 1, rank)
    elif name == "squeeze":
        if r.random() < 0.6:
            k["dim"] = dim()
    elif name == "expand":
        k["shape"] = [r.choice([1, 2, 3]) if s == 1 else s for s in a]
        if r.random() < 0.3:
            k["shape"] = [2] + k["shape"]
    elif name == "select":
        k["dim"] = dim()
        size = a[k["dim"]] if rank > 0 else 0
        k["index"] = r.randint(-size, size - 1) if size > 0 else 0
    elif name == "slice":
        k["dim"] = dim()
        size = a[k["dim"]] if rank > 0 else 0
        k["start"] = r.randint(0, max(size - 1, 0))
        k["length"] = r.randint(0, max(size - k["start"], 0))
    elif name in ("mulInplace", "fillInplace"):
        k["s"] = r.choice([2.0, -1.0, 0.0])
    elif name == "clampInplace":
        k["min"], k["max"] = sorted([round(r.uniform(-2, 2), 2), round(r.uniform(-2, 2), 2)])
    elif name == "copyInplace":
        k["shape"] = [r.choice([1, 2]) if r.random() < 0.3 else s for s in a] if r.random() < 0.2 else list(a)
        if r.random() < 0.2:
            k["shape"] = [2] + k["shape"]
    elif name == "permute":
        dims = list(range(rank))
        r.shuffle(dims)
        k["dims"] = [d - rank if r.random() < 0.3 else d for d in dims]
    elif name == "indexRows":
        size = a[0] if rank > 0 else 0
        k["rows"] = [r.randint(-size, size - 1) for _ in range(r.randint(0, 3))] if size > 0 else []
    elif name == "gather":
        k["dim"] = dim()
        if rank == 0:
            k["index"], k["indexShape"] = [0], []
        else:
            d = k["dim"] % rank
            shape = [r.randint(1, s) if s > 0 else 0 for s in a]
            n = 1
            for s2 in shape:
                n *= s2
            flat = [r.randint(0, max(a[d] - 1, 0)) for _ in range(n)]
            idx = torch.tensor(flat, dtype=torch.int64).reshape(shape) if n > 0 else torch.zeros(shape, dtype=torch.int64)
            k["index"], k["indexShape"] = flat, shape
    elif name == "nllLoss":
        if rank == 2 and a[1] > 0:
            k["targets"] = [r.randrange(a[1]) for _ in range(a[0])]
        else:
            k["targets"] = [0]
    elif name == "bceSigmoid":
        n = 1
        for s2 in a:
            n *= s2
        k["target"] = [round(r.random(), 3) for _ in range(n)]
    elif name in ("sin", "cos", "log1p"):
        pass
    elif name == "maskedFill":
        k["s"] = r.choice([0.0, 1.0, -0.5])
        k["value"] = r.choice([0.0, -1e9, 2.5])
    elif name in ("any", "all", "ne") and bool(((values[i].detach().abs() < 1e-9) & (values[i].detach() != 0)).any()):
        # Rounding noise (a mean of ±x that is 5e-17 in PyTorch, 0 here) must not decide a truth value.
        return {"op": "neg", "args": [i], "kw": {}}
    elif name in ("var", "std", "logsumexp", "any", "all", "maxIndices", "minIndices"):
        if name in ("logsumexp", "maxIndices", "minIndices") or r.random() < 0.6:
            k["dim"] = dim()
            k["keepdim"] = r.random() < 0.4
        if name in ("var", "std"):
            k["correction"] = r.choice([0, 1, 1])
            # torch 1.13's var backward is wrong when count <= correction (inf for a 0-d input, an
            # error for a full reduction of one element); PyTorch 2 gives NaN, as the engine does.
            count = 1
            for d2, s2 in enumerate(a):
                if k.get("dim") is None or d2 == k["dim"] % max(rank, 1):
                    count *= s2
            if count <= k["correction"]:
                k["correction"] = 0
            if count == 0:  # and its backward over an empty reduction raises; PyTorch 2's doesn't
                return {"op": "sum", "args": [i], "kw": {}}
            # A constant line's std is 0 exactly here, and rounding noise (1e-16) in PyTorch, whose
            # gradient is then noise divided by noise: such programs take the variance instead.
            x = values[i].detach()
            spread = x.std() if k.get("dim") is None or rank == 0 else x.std(k["dim"])
            finite = x[x.isfinite()]
            if name == "std" and finite.numel() > 0 and bool((spread <= 1e-12 * finite.abs().max()).any()):
                name = "var"
                return {"op": name, "args": [i], "kw": k}
    elif name == "cumsum":
        k["dim"] = dim()
    elif name in ("sort", "sortIndices"):
        k["dim"] = dim()
        k["descending"] = r.random() < 0.5
    elif name == "topk":
        # Which of two equal values topk picks is unspecified in PyTorch: programs with ties sort instead.
        if values[i].numel() != values[i].detach().unique().numel():
            return {"op": "sort", "args": [i], "kw": {"dim": dim(), "descending": r.random() < 0.5}}
        k["dim"] = dim()
        size = a[k["dim"]] if rank > 0 else 1
        k["k"] = r.randint(0, size) if r.random() < 0.9 else size + 1
        k["largest"] = r.random() < 0.6
    elif name in ("chunk", "split"):
        k["dim"] = dim()
        size = a[k["dim"]] if rank > 0 else 0
        if name == "chunk":
            k["chunks"] = r.randint(1, 4)
            pieces = min(k["chunks"], max(size, 1))
        else:
            if r.random() < 0.5:
                k["sizes"] = r.randint(1, 3)
                pieces = max(-(-size // k["sizes"]), 1)
            else:
                cut = sorted(r.randint(0, size) for _ in range(r.randint(0, 2)))
                k["sizes"] = [hi - lo for lo, hi in zip([0] + cut, cut + [size])]
                pieces = len(k["sizes"])
        k["piece"] = r.randrange(pieces)
    elif name == "repeat":
        k["repeats"] = [r.choice([1, 2, 3]) for _ in range(rank + r.choice([0, 0, 1]))] or [2]
    elif name == "flip":
        dims = list(range(rank))
        r.shuffle(dims)
        k["dims"] = [d - rank if r.random() < 0.3 else d for d in dims[:r.randint(0, rank)]]
    elif name == "roll":
        if rank > 0 and r.random() < 0.7:
            dims = list(range(rank))
            r.shuffle(dims)
            k["dims"] = dims[:r.randint(1, rank)]
            k["shifts"] = [r.randint(-4, 4) for _ in k["dims"]]
        else:
            k["shifts"] = r.randint(-5, 5)
    elif name in ("tril", "triu"):
        k["diagonal"] = r.randint(-2, 2)
    elif name == "leakyRelu":
        k["slope"] = r.choice([0.01, 0.2, -0.5])
    elif name == "layerNorm":
        k["dims"] = r.randint(1, max(rank, 1)) if rank > 0 else 1
        k["eps"] = r.choice([1e-5, 0.1])
        n = 1
        for s2 in (a[-k["dims"]:] if rank > 0 else []):
            n *= s2
        if r.random() < 0.5:
            k["weight"] = [round(r.uniform(-2, 2), 3) for _ in range(n)]
        # One element normalises to rounding noise (±1e-17 in PyTorch), which a later log would blow
        # up; and rows of values near 1e18 lose every digit either way: those programs negate instead.
        if n == 1 or bool((values[i].detach().abs() > 1e6).any()):
            return {"op": "neg", "args": [i], "kw": {}}
    elif name == "embedding":
        rows = a[0] if rank == 2 else 0
        shape = [r.randint(0, 3) for _ in range(r.randint(0, 2))]
        n = 1
        for s2 in shape:
            n *= s2
        k["ids"] = [r.randrange(rows) if rows > 0 else 0 for _ in range(n)]
        k["idsShape"] = shape
        if rows > 0 and r.random() < 0.4:
            k["padding"] = r.randrange(rows)
    elif name in ("maxPool2d", "avgPool2d", "adaptiveAvgPool2d", "conv2d"):
        k["shape"] = ([1, 1, 1, 1] + list(a))[-4:] if rank <= 4 else list(a)
        if name == "adaptiveAvgPool2d":
            k["out"] = [r.randint(1, 3), r.randint(1, 3)]
            if values[i].numel() == 0:  # torch 1.13's backward raises on an empty input (a bug: its forward accepts it)
                return {"op": "neg", "args": [i], "kw": {}}
        else:
            k["kernel"] = r.choice([1, 2, 2, 3])
            k["stride"] = r.choice([1, 2, k["kernel"]])
            k["padding"] = r.randint(0, k["kernel"] // 2)
        if name in ("maxPool2d", "avgPool2d"):
            k["ceil"] = r.random() < 0.3
            k["includePad"] = r.random() < 0.5
        if name == "conv2d":
            c = k["shape"][1]
            k["groups"] = r.choice([g2 for g2 in (1, 2, 3) if c % g2 == 0] or [1])
            out = k["groups"] * r.randint(1, 2)
            k["dilation"] = r.choice([1, 1, 2])
            k["weightShape"] = [out, max(c // k["groups"], 1), k["kernel"], r.choice([1, 2, 3])]
            n = 1
            for s2 in k["weightShape"]:
                n *= s2
            k["weight"] = [round(r.uniform(-1, 1), 3) for _ in range(n)]
    elif name == "bmmSelf":
        k["shape"] = ([1, 1, 1] + list(a))[-3:] if rank <= 3 else list(a)
    elif name == "einsum1":
        la = list(LETTERS[:rank])
        out = [l for l in la if r.random() < 0.6]
        r.shuffle(out)
        k["equation"] = "".join(la) + "->" + "".join(out)
    return {"op": name, "args": [i], "kw": k}


def generate(r):
    inputs = []
    for _ in range(r.randint(1, 3)):
        shape = rand_shape(r) if not inputs or r.random() < 0.5 else broadcast_partner(r, inputs[0]["shape"])
        n = 1
        for s in shape:
            n *= s
        inputs.append({"shape": shape, "values": rand_values(r, n), "rg": r.random() < 0.8})
    return {"inputs": inputs, "steps": [None] * r.randint(1, 5)}


def tensor_of(spec):
    t = torch.tensor(spec["values"], dtype=torch.float64).reshape(spec["shape"])
    return t.requires_grad_(spec["rg"])


def run(program, r):
    """Fills in the steps (against the actual shapes) and records PyTorch's results."""
    values = [tensor_of(s) for s in program["inputs"]]
    leaves = list(values)
    steps, results = [], []
    for _ in range(len(program["steps"])):
        step = make_step(r, [list(v.shape) for v in values], values)
        steps.append(step)
        op = OPS[step["op"]][1]
        try:
            y = op(*[values[i] for i in step["args"]], step["kw"])
        except (RuntimeError, IndexError, ValueError, TypeError) as e:
            results.append({"error": type(e).__name__})
            program["steps"] = steps
            return {"steps": results}
        values.append(y)
        results.append({"shape": list(y.shape), "values": enc(y.detach().reshape(-1).tolist())})
    program["steps"] = steps
    # Some programs back-propagate twice: with the graph retained (gradients accumulate) or not
    # (an error wherever an op saved state).
    program["backward"] = r.choice(["once", "once", "once", "twiceRetained", "twice"])
    # torch 1.13's mean(dim) backward keeps `self` (a second backward raises); PyTorch 2's keeps
    # only sizes, as the engine does. Don't let that version difference decide a program.
    if program["backward"] == "twice" and any(st["op"] == "mean" and st["kw"].get("dim") is not None for st in steps):
        program["backward"] = "twiceRetained"
    out = {"steps": results}
    last = values[-1]
    if last.requires_grad:
        try:
            loss = last.sum()
            loss.backward(retain_graph=program["backward"] == "twiceRetained")
            if program["backward"] != "once":
                loss.backward()
            out["grads"] = [None if (not l.requires_grad or l.grad is None) else enc(l.grad.reshape(-1).tolist()) for l in leaves]
            # Gradients kept on intermediates by retainGrad.
            out["retained"] = [enc(v.grad.reshape(-1).tolist()) if st["op"] == "retainGrad" and v.grad is not None else None
                               for st, v in zip(steps, values[len(leaves):])]
        except RuntimeError as e:
            out["backwardError"] = type(e).__name__
    return out


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    path = sys.argv[3] if len(sys.argv) > 3 else "test/fuzz/programs.json"
    r = random.Random(seed)
    programs = []
    for _ in range(count):
        p = generate(r)
        res = run(p, r)
        p["inputs"] = [{**s, "values": enc(s["values"])} for s in p["inputs"]]
        p["steps"] = [{**st, "kw": {k: enc(v) for k, v in st["kw"].items()}} for st in p["steps"]]
        programs.append({"program": p, "torch": res})
    with open(path, "w") as fh:
        json.dump({"torch": torch.__version__, "seed": seed, "programs": programs}, fh, separators=(",", ":"), allow_nan=False)
        fh.write("\n")
    print(f"wrote {len(programs)} programs to {path}")


if __name__ == "__main__":
    main()
