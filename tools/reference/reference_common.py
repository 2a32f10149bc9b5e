"""What arch_reference.py (PyTorch / torchvision) and timm_reference.py (timm) share: the ImageNet
spec their presets start from, the forward hooks that measure every layer, and the fixture's
--check or write."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Callable

import torch
from torch import nn


def imagenet_spec(name: str, block: str, blocks: list[int], groups: int = 1, width_per_group: int = 64) -> dict:
    """torchvision's ResNet layout at 224², 1000 classes, shortcut B, the stride on the 3×3."""
    return {
        "name": name,
        "input": {"channels": 3, "height": 224, "width": 224},
        "stem": {"kind": "imagenet", "width": 64},
        "block": block,
        "expansion": 1 if block == "basic" else 4,
        "groups": groups,
        "widthPerGroup": width_per_group,
        "stages": [{"blocks": n, "width": 64 << i, "stride": 1 if i == 0 else 2} for i, n in enumerate(blocks)],
        "shortcut": "B",
        "strideOn": "3x3",
        "residual": True,
        "convBias": False,
        "head": {"pool": "avg", "classes": 1000},
    }


def layer_macs(m: nn.Module, out: torch.Tensor) -> int:
    """Conv (1-D or 2-D) = output elements × in/groups × kernel size; Linear = in × out; else 0."""
    if isinstance(m, (nn.Conv2d, nn.Conv1d)):
        return out[0].numel() * (m.in_channels // m.groups) * int(torch.tensor(m.kernel_size).prod())
    if isinstance(m, nn.Linear):
        return m.in_features * m.out_features
    return 0


def measure_layers(
    model: nn.Module, spec: dict, hooked: tuple[type, ...], row: Callable[[str, nn.Module, list[int], int, int], list]
) -> tuple[list[list], dict]:
    """One forward pass (batch 1, eval mode) with a hook on every module of the types `hooked`:
    `row(path, module, output shape without the batch axis, own params, MACs)` for each, in
    execution order, and the totals (params, BN running mean + var buffers, MACs)."""
    model.eval()
    rows: list[tuple[list, int, int]] = []
    hooks = []

    def hook(name):
        def fn(m, inp, out):
            own = sum(p.numel() for p in m.parameters(recurse=False) if p.requires_grad)
            macs = layer_macs(m, out)
            rows.append((row(name, m, list(out.shape[1:]), own, macs), own, macs))

        return fn

    for name, m in model.named_modules():
        if isinstance(m, hooked):
            hooks.append(m.register_forward_hook(hook(name)))
    c, h, w = (spec["input"][k] for k in ("channels", "height", "width"))
    with torch.no_grad():
        out = model(torch.randn(1, c, h, w))
    for hk in hooks:
        hk.remove()
    assert list(out.shape) == [1, spec["head"]["classes"]], out.shape
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    buffers = sum(
        b.numel() for n, b in model.named_buffers() if n.endswith("running_mean") or n.endswith("running_var")
    )
    names = [r[0][0] for r in rows]
    assert len(names) == len(set(names)), "a module ran twice"
    assert sum(r[1] for r in rows) == params, "params outside the hooked modules"
    return [r[0] for r in rows], {"params": params, "buffers": buffers, "macs": sum(r[2] for r in rows)}


def check_or_write(out: str, doc: dict, check: bool, *, source: str, regenerate: str, t0: float,
                   also: tuple[str, ...] = ()) -> None:
    """--check: exit 1 naming every case (and `also` field) of `doc` that differs from the committed
    file; otherwise write `doc` with one case per line (readable diffs, compact file)."""
    cases = doc["cases"]
    if check:
        committed = json.loads(Path(out).read_text())
        fresh = json.loads(json.dumps(doc))
        stale = [c["name"] for c in fresh["cases"] if c not in committed["cases"]] + [
            c["name"] for c in committed["cases"] if c not in fresh["cases"]
        ] + [k for k in also if committed.get(k) != fresh[k]]
        if stale:
            sys.exit(f"{out} is out of date ({', '.join(sorted(set(stale)))}): run {regenerate}")
        print(f"ok: {out} matches {source} ({len(cases)} cases, {time.perf_counter() - t0:.0f} s)", file=sys.stderr)
        return
    text = json.dumps(doc, separators=(",", ":"))
    text = text.replace('},{"name":', '},\n{"name":')
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    print(f"wrote {path} ({len(text) / 1024:.0f} KiB, {len(cases)} cases) in {time.perf_counter() - t0:.0f} s",
          file=sys.stderr)
