"""ArchSpec (DESIGN §3.1) -> a PyTorch module whose module paths are torchvision's (DESIGN §3.2).

The one place in tools/ that turns a spec into a network. Where torchvision can express a spec
(`torchvision_equivalent`), its ResNet has exactly the same state_dict keys and shapes, and the
same outputs for the same weights; elsewhere (option A and C, stride on the 1x1, conv biases,
plain nets, flatten head, cifar stem, other expansions) this module is the reference.

Run with Debian's interpreter: /usr/bin/python3 (python3-torchvision).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn
import torch.nn.functional as F

BN_EPS = 1e-5


def load_spec(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def spec_json(name, *, channels, h, w, stem, block, expansion, groups, wpg, stages, shortcut, stride_on, residual,
              bias, pool, classes) -> dict:
    """An ArchSpec from short keywords: `stem=(kind, width)`, `stages=((blocks, width, stride), …)`.
    The fixture scripts fix their own defaults with functools.partial."""
    return {
        "name": name,
        "input": {"channels": channels, "height": h, "width": w},
        "stem": {"kind": stem[0], "width": stem[1]},
        "block": block,
        "expansion": expansion,
        "groups": groups,
        "widthPerGroup": wpg,
        "stages": [{"blocks": b, "width": wd, "stride": s} for b, wd, s in stages],
        "shortcut": shortcut,
        "strideOn": stride_on,
        "residual": residual,
        "convBias": bias,
        "head": {"pool": pool, "classes": classes},
    }


def bottleneck_inner_width(spec: dict, width: int) -> int:
    return (width * spec["widthPerGroup"]) // 64 * spec["groups"]


def conv(cin: int, cout: int, k: int, stride: int, groups: int, bias: bool) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=bias)


class ZeroPadShortcut(nn.Module):
    """Option A: subsample x[:, :, ::s, ::s] and append zero channels (no parameters)."""

    def __init__(self, stride: int, pad_channels: int):
        super().__init__()
        self.stride = stride
        self.pad_channels = pad_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.pad_channels))


class Block(nn.Module):
    def __init__(self, spec: dict, cin: int, width: int, stride: int):
        super().__init__()
        bias = spec["convBias"]
        cout = width * spec["expansion"]
        self.kind = spec["block"]
        if self.kind == "basic":
            self.conv1 = conv(cin, width, 3, stride, 1, bias)
            self.bn1 = nn.BatchNorm2d(width, eps=BN_EPS)
            self.conv2 = conv(width, cout, 3, 1, 1, bias)
            self.bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        else:
            inner = bottleneck_inner_width(spec, width)
            s1, s3 = (stride, 1) if spec["strideOn"] == "1x1" else (1, stride)
            self.conv1 = conv(cin, inner, 1, s1, 1, bias)
            self.bn1 = nn.BatchNorm2d(inner, eps=BN_EPS)
            self.conv2 = conv(inner, inner, 3, s3, spec["groups"], bias)
            self.bn2 = nn.BatchNorm2d(inner, eps=BN_EPS)
            self.conv3 = conv(inner, cout, 1, 1, 1, bias)
            self.bn3 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.residual = spec["residual"]
        # Parameter-free modules named as the graph's nodes (DESIGN §3.2), so hooks can catch the
        # output of every ReLU and of the add (state_dict unchanged).
        self.relu1 = nn.ReLU()
        self.relu2 = nn.ReLU()
        if self.kind != "basic":
            self.relu3 = nn.ReLU()
        if self.residual:
            self.add = nn.Identity()
        self.downsample: nn.Module | None = None
        self.shortcut: nn.Module | None = None
        changes = stride != 1 or cin != cout
        if self.residual:
            if spec["shortcut"] == "C" or (spec["shortcut"] == "B" and changes):
                self.downsample = nn.Sequential(
                    conv(cin, cout, 1, stride, 1, bias), nn.BatchNorm2d(cout, eps=BN_EPS)
                )
            elif spec["shortcut"] == "A" and changes:
                self.shortcut = ZeroPadShortcut(stride, cout - cin)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu1(self.bn1(self.conv1(x)))
        if self.kind == "basic":
            y = self.bn2(self.conv2(y))
        else:
            y = self.relu2(self.bn2(self.conv2(y)))
            y = self.bn3(self.conv3(y))
        if self.residual:
            if self.downsample is not None:
                s = self.downsample(x)
            elif self.shortcut is not None:
                s = self.shortcut(x)
            else:
                s = x
            y = self.add(y + s)
        return self.relu2(y) if self.kind == "basic" else self.relu3(y)


class SpecResNet(nn.Module):
    """A ResNet built from an ArchSpec, with torchvision's module names."""

    def __init__(self, spec: dict):
        super().__init__()
        self.spec = spec
        bias = spec["convBias"]
        cin = spec["input"]["channels"]
        width = spec["stem"]["width"]
        imagenet = spec["stem"]["kind"] == "imagenet"
        self.conv1 = conv(cin, width, 7 if imagenet else 3, 2 if imagenet else 1, 1, bias)
        self.bn1 = nn.BatchNorm2d(width, eps=BN_EPS)
        self.relu = nn.ReLU(inplace=False)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if imagenet else nn.Identity()
        channels = width
        for i, st in enumerate(spec["stages"]):
            blocks = []
            for j in range(st["blocks"]):
                blocks.append(Block(spec, channels, st["width"], st["stride"] if j == 0 else 1))
                channels = st["width"] * spec["expansion"]
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
        self.flatten_head = spec["head"]["pool"] == "flatten"
        self.avgpool = nn.Identity() if self.flatten_head else nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.head_features(), spec["head"]["classes"])

    def head_features(self) -> int:
        # In eval mode: a training-mode pass would update the BN running stats (and fails on 1×1 maps).
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                c, h, w = (self.spec["input"][k] for k in ("channels", "height", "width"))
                return self.features(torch.zeros(1, c, h, w)).flatten(1).shape[1]
        finally:
            self.train(was_training)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(len(self.spec["stages"])):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.avgpool(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.features(x), 1))


def torchvision_equivalent(spec: dict) -> nn.Module | None:
    """torchvision's own ResNet for the specs it can express, else None."""
    from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

    st = spec["stages"]
    expressible = (
        spec["stem"] == {"kind": "imagenet", "width": 64}
        and spec["input"]["channels"] == 3
        and len(st) == 4
        and [s["width"] for s in st] == [64, 128, 256, 512]
        and [s["stride"] for s in st] == [1, 2, 2, 2]
        and spec["expansion"] == (1 if spec["block"] == "basic" else 4)
        and spec["shortcut"] == "B"
        and spec["strideOn"] == "3x3"
        and spec["residual"]
        and not spec["convBias"]
        and spec["head"]["pool"] == "avg"
    )
    if not expressible:
        return None
    block = BasicBlock if spec["block"] == "basic" else Bottleneck
    return ResNet(
        block,
        [s["blocks"] for s in st],
        num_classes=spec["head"]["classes"],
        groups=spec["groups"],
        width_per_group=spec["widthPerGroup"],
    )


def build(spec: dict) -> nn.Module:
    """torchvision's ResNet where it expresses the spec, else SpecResNet; both with §3.2 names."""
    return torchvision_equivalent(spec) or SpecResNet(spec)


if __name__ == "__main__":
    # Self-check: for a torchvision-expressible spec, SpecResNet and torchvision agree on every
    # state_dict key and shape, and on outputs for the same weights.
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    spec = {
        "name": "resnext-check",
        "input": {"channels": 3, "height": 64, "width": 64},
        "stem": {"kind": "imagenet", "width": 64},
        "block": "bottleneck",
        "expansion": 4,
        "groups": 32,
        "widthPerGroup": 4,
        "stages": [{"blocks": n, "width": 64 << i, "stride": 1 if i == 0 else 2} for i, n in enumerate([1, 2, 1, 1])],
        "shortcut": "B",
        "strideOn": "3x3",
        "residual": True,
        "convBias": False,
        "head": {"pool": "avg", "classes": 10},
    }
    torch.manual_seed(0)
    tv, ours = torchvision_equivalent(spec), SpecResNet(spec)
    a = {k: v.shape for k, v in tv.state_dict().items()}
    b = {k: v.shape for k, v in ours.state_dict().items()}
    assert a == b, set(a) ^ set(b)
    ours.load_state_dict(tv.state_dict())
    tv.eval(), ours.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        err = (tv(x) - ours(x)).abs().max().item()
    assert err < 1e-5, err
    print(f"ok: {len(a)} tensors agree with torchvision; max |diff| {err:.2e}")
