#!/usr/bin/python3
"""Seeded torchvision ResNet for the inference benchmark (bench/infer.ts).

Writes into OUT_DIR (a temporary directory; nothing here is committed):
  model.onnx          the network, exported with torch.onnx (input `input`, NCHW float32)
  model.safetensors   the same weights, torchvision state_dict keys (what the app loads)
  input.bin           one input, NCHW float32 little-endian, seeded
  logits.bin          PyTorch's logits for that input, float32 little-endian
  meta.json           {arch, seed, input shape, torch version}

and, with --time N, times PyTorch on the CPU (N warm runs after 3 warm-up runs, --threads
threads) and prints one JSON line {"pytorch_ms": [...], "threads": T}.

Usage: /usr/bin/python3 tools/reference/export_onnx.py OUT_DIR [--arch resnet50] [--seed 0]
       [--size 224] [--time 10] [--threads 2]
"""

import argparse
import json
import os
import sys
import time

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--arch", default="resnet50")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--time", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()

    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(a.seed)
    model = getattr(torchvision.models, a.arch)().eval()
    x = torch.randn(1, 3, a.size, a.size, generator=torch.Generator().manual_seed(a.seed + 1))
    with torch.no_grad():
        logits = model(x)

    torch.onnx.export(
        model,
        x,
        os.path.join(a.out, "model.onnx"),
        input_names=["input"],
        output_names=["logits"],
        opset_version=13,
        do_constant_folding=True,
    )
    state = {k: v.float() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    write_safetensors(os.path.join(a.out, "model.safetensors"), state)
    with open(os.path.join(a.out, "input.bin"), "wb") as f:
        f.write(x.numpy().astype("<f4").tobytes())
    with open(os.path.join(a.out, "logits.bin"), "wb") as f:
        f.write(logits.numpy().astype("<f4").tobytes())
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump({"arch": a.arch, "seed": a.seed, "input": [1, 3, a.size, a.size], "torch": torch.__version__}, f)

    if a.time > 0:
        torch.set_num_threads(a.threads)
        times = []
        with torch.no_grad():
            for _ in range(3):
                model(x)
            for _ in range(a.time):
                t0 = time.perf_counter()
                model(x)
                times.append((time.perf_counter() - t0) * 1000)
        print(json.dumps({"pytorch_ms": times, "threads": torch.get_num_threads()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
