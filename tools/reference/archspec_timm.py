"""ArchSpec (DESIGN §3.1) with the ResNet family's optional fields -> a timm 1.0.29 model.

The one place in tools/ that turns a family spec into timm's own modules, so that a checkpoint of
the model (its state_dict) has exactly our node ids (DESIGN §3.2) as keys:
  - presets named after a timm model are timm.create_model(name) itself;
  - order "post" specs are timm.models.resnet.ResNet (BasicBlock / Bottleneck, stem_type,
    replace_stem_pool, avg_down, attn_layer = SEModule / EcaModule with the spec's parameters);
  - order "pre" specs are timm.models.resnetv2.ResNetV2 (PreActBasic / PreActBottleneck,
    conv_layer=create_conv2d, norm_layer=BatchNormAct2d, as timm's resnetv2_50).
What timm has no argument for is done to its modules after construction and named here
(`patches`): stem pool "none" (the pool module becomes an Identity), the CIFAR stem (a 3×3/1 conv,
no pool), the stride on the bottleneck's first 1×1 (strides moved between conv1 and conv2).
Specs outside timm's layouts (other stage strides, expansions, option A or C, plain nets, flatten
heads, conv biases) raise NotTimm.

timm is not a Debian package: unzip /opt/pypi/files/timm-1.0.29-py3-none-any.whl into a folder and
put it on PYTHONPATH; run with /usr/bin/python3 (Debian's torch).
"""

from __future__ import annotations

from collections import OrderedDict
from functools import partial

import torch
from torch import nn

import timm
from timm.layers import BatchNormAct2d, EcaModule, SEModule, create_conv2d
from timm.models.resnet import BasicBlock, Bottleneck, ResNet
from timm.models.resnetv2 import ResNetV2

TIMM_VERSION = "1.0.29"


class NotTimm(ValueError):
    """The spec has no timm layout."""


def stem_pool(spec: dict) -> str:
    return spec["stem"].get("pool", "none" if spec["stem"]["kind"] == "cifar" else "max")


def order(spec: dict) -> str:
    return spec.get("order", "post")


def attn_layer(spec: dict):
    a = spec.get("attention")
    if a is None:
        return None
    if a["kind"] == "se":
        return partial(SEModule, rd_ratio=a["ratio"], rd_divisor=a["divisor"])
    return partial(EcaModule, gamma=a["gamma"], beta=a["beta"])


def _check(spec: dict) -> None:
    st = spec["stages"]
    basic = spec["block"] == "basic"
    problems = []
    if [s["stride"] for s in st] != [1] + [2] * (len(st) - 1) or len(st) > 4:
        problems.append("stage strides other than 1, 2, 2, 2")
    if spec["expansion"] != (1 if basic else 4):
        problems.append("expansion other than 1 (basic) / 4 (bottleneck)")
    if spec["shortcut"] not in ("B", "D"):
        problems.append(f"option {spec['shortcut']}")
    if not spec["residual"]:
        problems.append("plain net")
    if spec["convBias"] is not False:
        problems.append("conv biases")
    if spec["head"]["pool"] != "avg":
        problems.append("flatten head")
    if spec["strideOn"] == "1x1" and (basic or order(spec) == "post"):
        problems.append("stride on the 1×1 outside pre-activation bottlenecks")
    if spec["stem"]["kind"] == "imagenet" and spec["stem"]["width"] != 64 and order(spec) == "post":
        problems.append("a 7×7 stem of other than 64 channels (timm's ResNet fixes it)")
    if spec["stem"]["kind"] == "cifar" and order(spec) == "post":
        problems.append("a cifar stem on a post-activation net")
    if problems:
        raise NotTimm(f"{spec['name']}: timm has no layout for " + ", ".join(problems))


def build_timm(spec: dict) -> nn.Module:
    """timm's model for a family spec; raises NotTimm for specs outside timm's layouts."""
    _check(spec)
    st = spec["stages"]
    basic = spec["block"] == "basic"
    kind = spec["stem"]["kind"]
    width = spec["stem"]["width"]
    deep = kind in ("deep", "deep_tiered")
    classes = spec["head"]["classes"]
    in_chans = spec["input"]["channels"]
    if order(spec) == "post":
        model = ResNet(
            BasicBlock if basic else Bottleneck,
            [s["blocks"] for s in st],
            num_classes=classes,
            in_chans=in_chans,
            channels=tuple(s["width"] for s in st),
            cardinality=spec["groups"],
            base_width=spec["widthPerGroup"],
            stem_width=width // 2 if deep else 64,
            stem_type=kind if deep else "",
            replace_stem_pool=stem_pool(spec) == "conv",
            avg_down=spec["shortcut"] == "D",
            block_args=dict(attn_layer=attn_layer(spec)) if spec.get("attention") else None,
            drop_path_rate=spec.get("dropPath", 0.0),
        )
        if stem_pool(spec) == "none":
            model.maxpool = nn.Identity()
        return model

    # pre-activation: timm's resnetv2 (its 'tiered' stem is our deep_tiered)
    if spec.get("attention"):
        raise NotTimm(f"{spec['name']}: timm's resnetv2 has no attention")
    model = ResNetV2(
        [s["blocks"] for s in st],
        channels=tuple(s["width"] * spec["expansion"] for s in st),
        num_classes=classes,
        in_chans=in_chans,
        stem_chs=width,
        stem_type={"deep": "deep", "deep_tiered": "tiered"}.get(kind, ""),
        avg_down=spec["shortcut"] == "D",
        basic=basic,
        bottle_ratio=1.0 if basic else 0.25,
        conv_layer=create_conv2d,
        norm_layer=BatchNormAct2d,
        drop_path_rate=spec.get("dropPath", 0.0),
    )
    if kind == "cifar":
        model.stem = nn.Sequential(OrderedDict(conv=nn.Conv2d(in_chans, width, 3, 1, 1, bias=False)))
    if stem_pool(spec) == "none" and hasattr(model.stem, "pool"):
        model.stem.pool = nn.Identity()
    elif stem_pool(spec) == "max" and not hasattr(model.stem, "pool"):
        model.stem.add_module("pool", nn.MaxPool2d(3, 2, 1))
    if spec["strideOn"] == "1x1":
        for stage in model.stages:
            b = stage.blocks[0]
            s = b.conv2.stride
            b.conv1.stride, b.conv2.stride = s, (1, 1)
    # timm's PreActBottleneck rounds its inner width with make_divisible(out / 4): ours is width.
    for i, stage in enumerate(model.stages):
        inner = stage.blocks[0].conv1.out_channels
        if not basic and inner != st[i]["width"] * spec["widthPerGroup"] // 64 * spec["groups"]:
            raise NotTimm(f"{spec['name']}: timm rounds stage {i}'s inner width to {inner}")
    return model


def patches(spec: dict) -> list[str]:
    """What build_timm changes in timm's modules after construction, in words (for the fixture)."""
    out = []
    if order(spec) == "pre" and spec["stem"]["kind"] == "cifar":
        out.append("stem replaced by stem.conv = Conv2d 3×3/1 (CIFAR stem)")
    if stem_pool(spec) == "none" and spec["stem"]["kind"] != "cifar":
        out.append("stem pool replaced by Identity")
    if spec["strideOn"] == "1x1":
        out.append("first block of each stage: stride moved from conv2 (3×3) to conv1 (1×1)")
    return out


def create(name: str, **kwargs) -> nn.Module:
    """timm.create_model(name) without weights."""
    return timm.create_model(name, pretrained=False, **kwargs)


if __name__ == "__main__":
    print(timm.__version__, torch.__version__)
