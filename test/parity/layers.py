#!/usr/bin/env python3
"""Writes PyTorch's results for each layer (test/parity/layers.test.ts replays them with the engine).

For every case: the module's state_dict (random parameters in float64), the inputs, the outputs,
the gradients of inputs and parameters after back-propagating a fixed weighting of the outputs,
the buffers after each training step (running statistics), and the output in eval mode.
Loss cases record the loss and the input's gradient. Masks are bool, class targets int64.

Run with a real PyTorch:  npm run parity:generate
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
g = torch.Generator().manual_seed(4321)


def randn(*shape):
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def enc(x):
    if isinstance(x, list):
        return [enc(v) for v in x]
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def spec(t, rg=False):
    kind = "bool" if t.dtype == torch.bool else "long" if t.dtype == torch.int64 else "float"
    return {"shape": list(t.shape), "values": enc(t.reshape(-1).double().tolist()), "kind": kind, "rg": rg}


def values(t):
    return enc(t.detach().reshape(-1).double().tolist())


def weighting(y):
    """A fixed, non-uniform weighting of an output, so every gradient element differs."""
    return torch.arange(y.numel(), dtype=y.dtype).reshape(y.shape).mul(0.37).sin().add(1.1)


def flat_outputs(out):
    if isinstance(out, torch.Tensor):
        return [out]
    result = []
    for o in out:
        if o is not None:
            result.extend(flat_outputs(o))
    return result


def module_case(make, inputs, rg=None, call=None, steps=1, eval_after=False, kwargs=None):
    """Runs `steps` training forward/backward passes (fresh gradients each), then optionally eval."""
    module = make().double()
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(randn(*p.shape) * 0.5 + (1.0 if name.endswith("weight") and p.dim() == 1 else 0.0))
    state = {k: spec(v) for k, v in module.state_dict().items()}
    rg = rg if rg is not None else [x.is_floating_point() for x in inputs]
    call = call or (lambda m, *xs: m(*xs, **(kwargs or {})))
    record = {"state": state, "inputs": [spec(x, r) for x, r in zip(inputs, rg)], "steps": []}
    for _ in range(steps):
        module.train()
        module.zero_grad(set_to_none=True)
        xs = [x.clone().requires_grad_(r) for x, r in zip(inputs, rg)]
        outs = flat_outputs(call(module, *xs))
        sum(((o * weighting(o)).sum() for o in outs), torch.zeros((), dtype=torch.float64)).backward()
        record["steps"].append({
            "outputs": [{"shape": list(o.shape), "values": values(o)} for o in outs],
            "inputGrads": [values(x.grad) if x.grad is not None else None for x in xs],
            "paramGrads": {k: values(p.grad) if p.grad is not None else None for k, p in module.named_parameters()},
            "buffers": {k: values(b) for k, b in module.named_buffers()},
        })
    if eval_after:
        module.eval()
        with torch.no_grad():
            record["eval"] = [{"shape": list(o.shape), "values": values(o)} for o in flat_outputs(call(module, *inputs))]
    return record


def loss_case(fn, logits, target):
    x = logits.clone().requires_grad_(True)
    y = fn(x, target)
    (y * weighting(y)).sum().backward()
    return {"inputs": [spec(logits, True), spec(target)], "loss": {"shape": list(y.shape), "values": values(y)}, "grad": values(x.grad)}


def causal(l):
    return torch.ones(l, l, dtype=torch.bool).triu(1)


def cases():
    out = {}
    out["conv2d_stride_padding"] = module_case(lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), [randn(2, 3, 7, 6)])
    out["conv2d_groups_dilation"] = module_case(lambda: nn.Conv2d(4, 6, (2, 3), stride=(1, 2), padding=(1, 0), dilation=(2, 1), groups=2), [randn(2, 4, 6, 7)])
    out["conv2d_same_no_bias"] = module_case(lambda: nn.Conv2d(2, 3, 4, padding="same", bias=False), [randn(1, 2, 5, 5)])
    out["conv2d_unbatched"] = module_case(lambda: nn.Conv2d(2, 2, 3), [randn(2, 4, 5)])
    out["conv1d"] = module_case(lambda: nn.Conv1d(3, 5, 3, stride=2, padding=1), [randn(2, 3, 9)])
    out["maxpool2d"] = module_case(lambda: nn.MaxPool2d(2), [randn(2, 3, 4, 6)])
    out["maxpool2d_overlap_ceil"] = module_case(lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), [randn(1, 2, 6, 5)])
    out["avgpool2d"] = module_case(lambda: nn.AvgPool2d(2), [randn(2, 2, 4, 6)])
    out["avgpool2d_pad_exclude_ceil"] = module_case(lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False, ceil_mode=True), [randn(1, 2, 6, 5)])
    out["avgpool2d_pad_include"] = module_case(lambda: nn.AvgPool2d(3, stride=2, padding=1), [randn(1, 2, 5, 5)])
    out["adaptive_avgpool2d"] = module_case(lambda: nn.AdaptiveAvgPool2d((3, 2)), [randn(2, 2, 5, 7)])
    out["flatten"] = module_case(lambda: nn.Flatten(), [randn(2, 3, 2, 2)])
    out["leaky_relu_silu"] = module_case(lambda: nn.Sequential(nn.LeakyReLU(0.1), nn.SiLU()), [randn(3, 4) * 2])
    out["layernorm"] = module_case(lambda: nn.LayerNorm([3, 4]), [randn(2, 5, 3, 4) * 2 + 1])
    out["layernorm_no_affine"] = module_case(lambda: nn.LayerNorm(6, elementwise_affine=False, eps=1e-3), [randn(4, 6)])
    out["batchnorm1d"] = module_case(lambda: nn.BatchNorm1d(3, momentum=0.2), [randn(5, 3) * 2 + 1], steps=3, eval_after=True)
    out["batchnorm1d_sequence"] = module_case(lambda: nn.BatchNorm1d(3), [randn(4, 3, 6)], steps=2, eval_after=True)
    out["batchnorm2d"] = module_case(lambda: nn.BatchNorm2d(3), [randn(2, 3, 4, 5) + 0.5], steps=2, eval_after=True)
    out["batchnorm2d_cumulative"] = module_case(lambda: nn.BatchNorm2d(2, momentum=None), [randn(3, 2, 2, 2)], steps=3, eval_after=True)
    out["batchnorm2d_untracked"] = module_case(lambda: nn.BatchNorm2d(2, track_running_stats=False, affine=False), [randn(3, 2, 2, 2)], steps=1, eval_after=True)
    out["embedding_padding"] = module_case(lambda: nn.Embedding(5, 3, padding_idx=1), [torch.tensor([[0, 1, 3], [1, 3, 4]])])
    out["lstm"] = module_case(lambda: nn.LSTM(3, 4, num_layers=2, batch_first=True), [randn(2, 5, 3), randn(2, 2, 4), randn(2, 2, 4)],
                              call=lambda m, x, h, c: m(x, (h, c)))
    out["lstm_unbatched_default_state"] = module_case(lambda: nn.LSTM(2, 3), [randn(4, 2)])
    out["gru"] = module_case(lambda: nn.GRU(3, 4, num_layers=2), [randn(5, 2, 3), randn(2, 2, 4)])
    out["rnn_batch_first"] = module_case(lambda: nn.RNN(3, 4, batch_first=True), [randn(2, 4, 3)])
    out["mha_self_causal_padding"] = module_case(
        lambda: nn.MultiheadAttention(8, 2, batch_first=True), [randn(2, 5, 8), causal(5), torch.tensor([[False] * 5, [False, False, False, True, True]])],
        call=lambda m, x, am, kp: m(x, x, x, attn_mask=am, key_padding_mask=kp))
    out["mha_cross_float_mask_per_head_weights"] = module_case(
        lambda: nn.MultiheadAttention(6, 3), [randn(4, 2, 6), randn(3, 2, 6), randn(3, 2, 6), randn(4, 3) * 0.5],
        call=lambda m, q, k, v, am: m(q, k, v, attn_mask=am, average_attn_weights=False))
    out["mha_no_bias_unbatched"] = module_case(lambda: nn.MultiheadAttention(4, 2, bias=False), [randn(3, 4)], call=lambda m, x: m(x, x, x))
    # Losses: logits [N, C] (or [N, C, d]) against class indices or probabilities.
    t4 = torch.tensor([2, 0, 1, 2])
    out["loss_ce_weight"] = loss_case(lambda x, t: F.cross_entropy(x, t, weight=torch.tensor([0.2, 1.0, 3.0], dtype=torch.float64)), randn(4, 3), t4)
    out["loss_ce_ignore_index"] = loss_case(lambda x, t: F.cross_entropy(x, t, ignore_index=-1), randn(4, 3), torch.tensor([2, -1, 1, -1]))
    out["loss_ce_ignore_index_weight_sum"] = loss_case(lambda x, t: F.cross_entropy(x, t, ignore_index=0, weight=torch.tensor([5.0, 1.0, 2.0], dtype=torch.float64), reduction="sum"), randn(4, 3), t4)
    out["loss_ce_label_smoothing"] = loss_case(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), randn(4, 3), t4)
    out["loss_ce_label_smoothing_weight_ignore"] = loss_case(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2, ignore_index=1, weight=torch.tensor([0.5, 2.0, 1.5], dtype=torch.float64)), randn(4, 3), t4)
    out["loss_ce_probabilities"] = loss_case(lambda x, t: F.cross_entropy(x, t), randn(3, 4), torch.rand(3, 4, generator=g, dtype=torch.float64).softmax(1))
    out["loss_ce_probabilities_smoothing_weight"] = loss_case(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.3, weight=torch.tensor([1.0, 2.0, 0.5, 1.0], dtype=torch.float64)), randn(3, 4), torch.rand(3, 4, generator=g, dtype=torch.float64).softmax(1))
    out["loss_ce_spatial"] = loss_case(lambda x, t: F.cross_entropy(x, t), randn(2, 3, 4), torch.tensor([[0, 2, 1, 1], [2, 2, 0, 1]]))
    out["loss_ce_spatial_none"] = loss_case(lambda x, t: F.cross_entropy(x, t, reduction="none", ignore_index=2), randn(2, 3, 2, 2), torch.tensor([[[0, 2], [1, 1]], [[2, 2], [0, 1]]]))
    out["loss_nll_weight_ignore"] = loss_case(lambda x, t: F.nll_loss(x.log_softmax(1), t, weight=torch.tensor([1.0, 0.5, 2.0], dtype=torch.float64), ignore_index=0), randn(4, 3), t4)
    return out


if __name__ == "__main__":
    result = {"torch": torch.__version__, "cases": cases()}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers.json")
    with open(path, "w") as fh:
        json.dump(result, fh, separators=(",", ":"), allow_nan=False)
        fh.write("\n")
    print(f"wrote {len(result['cases'])} layer cases to {path}")
