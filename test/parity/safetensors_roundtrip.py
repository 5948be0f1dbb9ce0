#!/usr/bin/env python3
"""The PyTorch side of the safetensors test (test/parity/safetensors.test.ts), with its own reader
and writer of the format (struct + torch.frombuffer), independent of gradlens's.

  export <dir>   writes pytorch.safetensors (a small CNN's state dict: conv, batch norm with its
                 int64 num_batches_tracked, linear), input.json and its eval output to output.json
  check <dir>    loads gradlens.safetensors (written by gradlens) into the same CNN, runs input.json
                 through it and prints the output as JSON
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "BOOL": torch.bool}
NAMES = {v: k for k, v in DTYPES.items()}


def model():
    torch.manual_seed(5)
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 2 * 2, 2))


def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = t.numpy().tobytes() if t.dtype != torch.bool else t.to(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        buf = bytearray(data[8 + n + begin:8 + n + end])
        out[name] = torch.frombuffer(buf, dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"]) if end > begin else torch.zeros(entry["shape"], dtype=DTYPES[entry["dtype"]])
    return out, header.get("__metadata__", {})


def main():
    mode, folder = sys.argv[1], sys.argv[2]
    m = model()
    if mode == "export":
        # A few training steps so the running statistics and num_batches_tracked are not defaults.
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            m(torch.randn(4, 1, 4, 4)).pow(2).mean().backward()
            opt.step()
        m.eval()
        x = torch.randn(2, 1, 4, 4)
        write(os.path.join(folder, "pytorch.safetensors"), m.state_dict())
        json.dump({"shape": list(x.shape), "values": x.reshape(-1).tolist()}, open(os.path.join(folder, "input.json"), "w"))
        json.dump(m(x).reshape(-1).tolist(), open(os.path.join(folder, "output.json"), "w"))
    else:
        tensors, metadata = read(os.path.join(folder, "gradlens.safetensors"))
        m.load_state_dict(tensors)
        m.eval()
        spec = json.load(open(os.path.join(folder, "input.json")))
        x = torch.tensor(spec["values"], dtype=torch.float32).reshape(spec["shape"])
        print(json.dumps({"output": m(x).reshape(-1).tolist(), "dtypes": sorted({NAMES[t.dtype] for t in tensors.values()}), "metadata": metadata}))


if __name__ == "__main__":
    main()
