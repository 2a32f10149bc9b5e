"""Reference numbers for the arch core, measured in PyTorch: writes tests/fixtures/arch-reference.json.

For every preset (the torchvision ones built by torchvision's own constructors, the paper's CIFAR
nets by archspec_torch.SpecResNet) and for specs exercising each knob of DESIGN §3.1, this builds
the network, runs one forward pass on a real tensor (batch 1) and records

  totals: params (trainable), buffers (BN running mean + var; not num_batches_tracked), MACs
  layers: for every Conv2d / BatchNorm2d / Linear / MaxPool2d / AdaptiveAvgPool2d / option-A
          zero-pad shortcut, in execution order:
          [module path, output shape without the batch axis, own params, MACs]
          MACs from forward hooks: conv = output elements × in/groups × kh × kw; fc = in × out.
  receptiveField (some cases): {id of the last block, side in input pixels of the region its
          centre output position sees}, measured by backpropagation (see receptive_field).

Where torchvision can express a spec, the script also checks that archspec_torch.SpecResNet has
exactly torchvision's state_dict keys and shapes.

Run with Debian's interpreter:  /usr/bin/python3 tools/reference/arch_reference.py [--out FILE] [--check]
(--check writes nothing and fails if the committed fixture differs from what PyTorch gives now; CI runs it.)
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import torch
import torchvision
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from archspec_torch import SpecResNet, ZeroPadShortcut, build, torchvision_equivalent  # noqa: E402
from reference_common import check_or_write, imagenet_spec, measure_layers  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "arch-reference.json"


# ---------------------------------------------------------------------------------------------
# Specs. The presets are written here from their sources (torchvision's constructors, the
# paper's §4.2), not read from our TypeScript, so the test also checks src/lib/arch/presets.ts.


def imagenet(name, block, blocks, groups=1, width_per_group=64, **over):
    return with_(imagenet_spec(name, block, blocks, groups, width_per_group), **over)


def cifar(n, **over):
    spec = {
        "name": f"resnet{6 * n + 2}",
        "input": {"channels": 3, "height": 32, "width": 32},
        "stem": {"kind": "cifar", "width": 16},
        "block": "basic",
        "expansion": 1,
        "groups": 1,
        "widthPerGroup": 64,
        "stages": [{"blocks": n, "width": w, "stride": 1 if i == 0 else 2} for i, w in enumerate([16, 32, 64])],
        "shortcut": "A",
        "strideOn": "3x3",
        "residual": True,
        "convBias": False,
        "head": {"pool": "avg", "classes": 10},
    }
    return with_(spec, **over)


def with_(spec, **over):
    """A copy with top-level fields replaced; `input=(c, h, w)` and `classes=n` as shorthands."""
    spec = copy.deepcopy(spec)
    for k, v in over.items():
        if k == "input":
            spec["input"] = dict(zip(("channels", "height", "width"), v))
        elif k == "classes":
            spec["head"]["classes"] = v
        elif k == "pool":
            spec["head"]["pool"] = v
        elif k == "stem_kind":
            spec["stem"]["kind"] = v
        elif k == "stem_width":
            spec["stem"]["width"] = v
        else:
            spec[k] = v
    return spec


TORCHVISION_PRESETS = {
    "resnet18": ("basic", [2, 2, 2, 2], 1, 64),
    "resnet34": ("basic", [3, 4, 6, 3], 1, 64),
    "resnet50": ("bottleneck", [3, 4, 6, 3], 1, 64),
    "resnet101": ("bottleneck", [3, 4, 23, 3], 1, 64),
    "resnet152": ("bottleneck", [3, 8, 36, 3], 1, 64),
    "wide_resnet50_2": ("bottleneck", [3, 4, 6, 3], 1, 128),
    "wide_resnet101_2": ("bottleneck", [3, 4, 23, 3], 1, 128),
    "resnext50_32x4d": ("bottleneck", [3, 4, 6, 3], 32, 4),
    "resnext101_32x8d": ("bottleneck", [3, 4, 23, 3], 32, 8),
    "resnext101_64x4d": ("bottleneck", [3, 4, 23, 3], 64, 4),
}
CIFAR_PRESETS = {f"resnet{6 * n + 2}": n for n in (3, 5, 7, 9, 18, 200)}
# The bundled demo model (DESIGN §3.6): ResNet-20 on 1×28×28 Fashion-MNIST images.
OTHER_PRESETS = {"fashion-resnet": with_(cifar(3), name="fashion-resnet", input=(1, 28, 28))}


def stages(*triples):
    return [{"blocks": b, "width": w, "stride": s} for b, w, s in triples]


def knob_cases():
    """(spec, what it exercises). Inputs are kept small where the knob does not need 224×224."""
    r18 = imagenet("resnet18", "basic", [2, 2, 2, 2])
    r50 = imagenet("resnet50", "bottleneck", [3, 4, 6, 3])
    r34 = imagenet("resnet34", "basic", [3, 4, 6, 3])
    small = stages((1, 16, 1), (2, 32, 2), (1, 64, 2))
    return [
        (with_(r50, name="resnet50-v1", strideOn="1x1"), "stride on the 1×1 (the paper's v1)"),
        (with_(r50, name="resnet50-v1-odd", strideOn="1x1", input=(3, 97, 131)), "stride on 1×1, odd non-square"),
        (with_(r34, name="plain34", residual=False), "plain network (no shortcut, no add)"),
        (with_(r18, name="resnet18-C", shortcut="C", input=(3, 96, 96)), "option C on a basic net"),
        (with_(r50, name="resnet50-C", shortcut="C", input=(3, 64, 64)), "option C on a bottleneck net"),
        (with_(r18, name="resnet18-A", shortcut="A", input=(3, 96, 96)), "option A on an imagenet stem"),
        (with_(r50, name="resnet50-A", shortcut="A", input=(3, 64, 64)), "option A, bottleneck (pads at stride 1)"),
        (with_(cifar(2), name="cifar-A-odd", input=(3, 33, 31)), "option A subsampling odd sides"),
        (with_(r18, name="resnet18-bias", convBias=True, input=(3, 64, 64)), "conv biases"),
        (with_(r50, name="resnet50-bias-C", convBias=True, shortcut="C", input=(3, 64, 64)), "conv biases + C"),
        (with_(cifar(1), name="cifar-flatten", pool="flatten"), "flatten head"),
        (with_(r18, name="resnet18-flatten", pool="flatten", input=(3, 64, 48)), "flatten head, non-square"),
        (with_(r50, name="resnet50-g8", groups=8, widthPerGroup=16, input=(3, 64, 64)), "groups 8 × 16"),
        (with_(r50, name="resnext-odd", groups=3, widthPerGroup=20, input=(3, 64, 64)), "groups 3, floor in width"),
        (with_(r50, name="bottleneck-e2", expansion=2, input=(3, 64, 64)), "bottleneck expansion 2"),
        (with_(r18, name="basic-e2", expansion=2, shortcut="B", input=(3, 64, 64)), "basic expansion 2"),
        (with_(cifar(2), name="basic-e2-A", expansion=2), "basic expansion 2, option A"),
        (with_(r18, name="resnet18-1ch", input=(1, 64, 64), classes=10), "1-channel input, imagenet stem"),
        (with_(r50, name="resnet50-wide-input", input=(3, 200, 320)), "non-square input"),
        (with_(r18, name="resnet18-tall", input=(3, 257, 33)), "non-square odd input"),
        (with_(r50, name="resnet50-cifar-stem", stem_kind="cifar", input=(3, 32, 32), classes=100), "cifar stem, bottleneck"),
        (with_(r50, name="resnet50-tiny", input=(3, 16, 16)), "maps down to 1×1"),
        (
            with_(cifar(1), name="five-stages", stages=stages((1, 16, 1), (1, 24, 2), (2, 40, 2), (1, 48, 3), (1, 64, 1))),
            "five stages, stride 3, stride-1 channel change",
        ),
        (
            with_(
                cifar(1), name="custom-B", shortcut="B", stem_width=24, stages=small, input=(3, 40, 40), classes=7
            ),
            "option B on a cifar stem",
        ),
        (
            with_(cifar(1), name="shrink-C", shortcut="C", stages=stages((1, 32, 1), (1, 16, 2)), input=(2, 20, 20)),
            "option C shrinking channels",
        ),
    ]


# Cases whose receptive field is measured too (the 1202-layer net's would need a 5,600-px input).
RF_CASES = {
    "resnet18", "resnet50", "resnext50_32x4d", "resnet20", "resnet56", "resnet110", "fashion-resnet",
    "resnet50-v1", "plain34", "resnet18-A", "resnet50-C", "cifar-A-odd", "resnet18-flatten",
    "bottleneck-e2", "resnet50-cifar-stem", "five-stages", "custom-B", "shrink-C",
}


# ---------------------------------------------------------------------------------------------
# Measurement


# Weighted layers, and the pools and option-A shortcuts whose shapes a builder can get wrong.
LAYER_TYPES = (nn.Conv2d, nn.BatchNorm2d, nn.Linear, nn.MaxPool2d, nn.AdaptiveAvgPool2d, ZeroPadShortcut)


def measure(model: nn.Module, spec: dict) -> dict:
    layers, totals = measure_layers(model, spec, LAYER_TYPES, lambda path, m, shape, own, macs: [path, shape, own, macs])
    return {"totals": totals, "layers": layers}


def thin(spec: dict, side: int) -> dict:
    """The same strides and kernels with 1 channel everywhere: receptive fields do not depend on widths."""
    t = copy.deepcopy(spec)
    t["input"] = {"channels": 1, "height": side, "width": side}
    t["stem"]["width"] = 1
    t["groups"], t["widthPerGroup"] = 1, 64
    t["stages"] = [{**st, "width": 1} for st in t["stages"]]
    return t


def receptive_field(spec: dict) -> dict:
    """Side of the input region that the centre position of the last block's output depends on.

    Measured, not computed: gradient of that position with respect to the input, on a 1-channel
    copy of the net in float64 with every weight 1, BN in eval mode and max pools replaced by
    average pools of the same window (so that every path carries gradient). The input grows until
    the region does not touch the border, so it is the whole (unclipped) receptive field.
    """
    side = 64
    while True:
        t = thin(spec, side)
        model = SpecResNet(t).double().eval()
        if isinstance(model.maxpool, nn.MaxPool2d):
            model.maxpool = nn.AvgPool2d(3, 2, 1)
        for p in model.parameters():
            p.data.fill_(1.0)
        x = torch.ones(1, 1, side, side, dtype=torch.float64, requires_grad=True)
        y = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        for i in range(len(t["stages"])):
            y = getattr(model, f"layer{i + 1}")(y)
        h, w = y.shape[2:]
        y[0, :, h // 2, w // 2].sum().backward()
        rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
        cols = torch.nonzero(x.grad[0, 0].abs().sum(0)).flatten()
        touches = rows.min() == 0 or rows.max() == side - 1 or cols.min() == 0 or cols.max() == side - 1
        if not touches:
            rf_h, rf_w = int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)
            assert rf_h == rf_w, (rf_h, rf_w)
            last = len(t["stages"])
            return {"id": f"layer{last}.{t['stages'][-1]['blocks'] - 1}", "side": rf_h}
        side *= 2


def same_state_dict(a: nn.Module, b: nn.Module, what: str) -> None:
    ka = {k: tuple(v.shape) for k, v in a.state_dict().items()}
    kb = {k: tuple(v.shape) for k, v in b.state_dict().items()}
    if ka != kb:
        diff = sorted(set(ka.items()) ^ set(kb.items()))[:10]
        raise AssertionError(f"{what}: SpecResNet and torchvision differ: {diff}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the cases in --out differ from what PyTorch gives now",
    )
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(max(1, torch.get_num_threads()))

    cases = []
    t0 = time.perf_counter()

    def add(spec, source, model, note):
        t = time.perf_counter()
        m = measure(model, spec)
        if spec["name"] in RF_CASES:
            m["receptiveField"] = receptive_field(spec)
        cases.append({"name": spec["name"], "note": note, "source": source, "spec": spec, **m})
        print(f"{spec['name']:>22}  {source:<28} {m['totals']['params']:>12,} params "
              f"{m['totals']['macs']:>15,} MACs  {time.perf_counter() - t:5.1f} s", file=sys.stderr)

    for name, (block, blocks, groups, wpg) in TORCHVISION_PRESETS.items():
        spec = imagenet(name, block, blocks, groups, wpg)
        tv = getattr(torchvision.models, name)()
        same_state_dict(tv, SpecResNet(spec), name)
        add(spec, f"torchvision.models.{name}", tv, "preset")
        del tv
    for name, n in CIFAR_PRESETS.items():
        spec = cifar(n)
        add(spec, "archspec_torch.SpecResNet", SpecResNet(spec), "preset (He et al. 2015, §4.2)")
    for name, spec in OTHER_PRESETS.items():
        add(spec, "archspec_torch.SpecResNet", SpecResNet(spec), "preset (1-channel input, cifar stem)")
    for spec, note in knob_cases():
        tv = torchvision_equivalent(spec)
        if tv is not None:
            same_state_dict(tv, SpecResNet(spec), spec["name"])
            add(spec, "torchvision ResNet", tv, note)
        else:
            add(spec, "archspec_torch.SpecResNet", build(spec), note)

    doc = {
        "about": "Written by tools/reference/arch_reference.py from PyTorch; do not edit. "
        "layers: [module path, output shape (no batch), params, MACs] for every Conv2d, BatchNorm2d, "
        "Linear, MaxPool2d, AdaptiveAvgPool2d and option-A shortcut, in execution order. "
        "receptiveField: side of the input region seen by the centre of the last block's output, "
        "measured by backpropagation.",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "cases": cases,
    }
    check_or_write(args.out, doc, args.check, source="PyTorch", t0=t0,
                   regenerate="/usr/bin/python3 tools/reference/arch_reference.py")


if __name__ == "__main__":
    main()
