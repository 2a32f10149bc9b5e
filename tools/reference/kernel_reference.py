"""Reference gradients for the wasm Conv2DBackpropFilter and Conv2DBackpropInput kernels
(src/lib/runtime/kernels), computed by PyTorch's torch.nn.grad.conv2d_weight / conv2d_input in
float64.

Per case: x (N, Cin, H, W), dy (N, Cout, OH, OW) and dw = ∂(Σ conv2d(x, W)·dy)/∂W in PyTorch's
layout (Cout, Cin/groups, k, k); w (a filter) and dx = ∂(Σ conv2d(x, w)·dy)/∂x; for strides 1 and 2, zero padding as ResNets use it (k//2) and
none, groups, 1×1, 3×3 and 7×7 kernels, odd sizes. Writes tests/fixtures/train/kernels.safetensors
(`<case>/x`, `<case>/dy`, `<case>/dw`, `<case>/w`, `<case>/dx`) and kernels.json (the cases' parameters).

  /usr/bin/python3 tools/reference/kernel_reference.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from torch.nn.grad import conv2d_input, conv2d_weight

sys.path.insert(0, str(Path(__file__).parent))
from safetensors_io import write_safetensors  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "train"

# name, N, Cin, H, W, Cout, k, stride, padding, groups
CASES = [
    ("k1-s1", 2, 5, 7, 9, 6, 1, 1, 0, 1),
    ("k1-s2-odd", 3, 4, 9, 9, 8, 1, 2, 0, 1),
    ("k1-s2-even", 2, 4, 10, 8, 8, 1, 2, 0, 1),
    ("k3-s1", 2, 3, 8, 6, 5, 3, 1, 1, 1),
    ("k3-s2-odd", 3, 4, 9, 7, 6, 3, 2, 1, 1),
    ("k3-s2-even", 2, 4, 10, 10, 8, 3, 2, 1, 1),
    ("k3-s1-nopad", 2, 3, 7, 7, 4, 3, 1, 0, 1),
    ("k7-s2-stem", 2, 3, 15, 13, 8, 7, 2, 3, 1),
    ("k3-s1-groups2", 2, 8, 7, 7, 6, 3, 1, 1, 2),
    ("k3-s2-groups4", 2, 8, 9, 9, 8, 3, 2, 1, 4),
]


def main() -> None:
    g = torch.Generator().manual_seed(14)
    tensors, meta = {}, []
    for name, n, cin, h, w, cout, k, s, p, groups in CASES:
        x = torch.randn(n, cin, h, w, generator=g, dtype=torch.float64)
        oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        dy = torch.randn(n, cout, oh, ow, generator=g, dtype=torch.float64)
        dw = conv2d_weight(x, (cout, cin // groups, k, k), dy, stride=s, padding=p, groups=groups)
        # the same by autograd, as a check of the reference itself
        wt = torch.zeros(cout, cin // groups, k, k, dtype=torch.float64, requires_grad=True)
        (torch.nn.functional.conv2d(x, wt, stride=s, padding=p, groups=groups) * dy).sum().backward()
        assert torch.allclose(wt.grad, dw), name
        tensors[f"{name}/x"] = x.float()
        tensors[f"{name}/dy"] = dy.float()
        tensors[f"{name}/dw"] = dw.float()
        wgt = torch.randn(cout, cin // groups, k, k, generator=g, dtype=torch.float64)
        tensors[f"{name}/w"] = wgt.float()
        tensors[f"{name}/dx"] = conv2d_input(x.shape, wgt, dy, stride=s, padding=p, groups=groups).float()
        meta.append({"name": name, "kernel": k, "stride": s, "padding": p, "groups": groups})
    OUT.mkdir(parents=True, exist_ok=True)
    write_safetensors(OUT / "kernels.safetensors", tensors)
    (OUT / "kernels.json").write_text(json.dumps(meta, indent="\t") + "\n")
    print(f"{len(CASES)} cases → {OUT / 'kernels.safetensors'}")


if __name__ == "__main__":
    main()
