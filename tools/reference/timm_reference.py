"""Reference numbers for the ResNet family, measured on timm 1.0.29: writes tests/fixtures/timm-reference.json.

For every family preset (timm.create_model for timm's names; for the Identity Mappings paper's
CIFAR nets, timm's ResNetV2 with the CIFAR stem, see archspec_timm) and for small specs that
exercise each optional field alone (deep stems, stem pool conv/none, shortcut D, SE and ECA,
pre-activation, odd input sides where ceil-mode pooling matters, dropPath), this builds timm's
model, runs one forward pass (batch 1, eval mode) and records

  totals: params (trainable), buffers (BN running mean + var; not num_batches_tracked), MACs
  layers: every module that computes something, in execution order, by its timm module path:
          [path, type, output shape without the batch axis, own params, MACs]
          types: Conv2d, Conv1d, BatchNorm2d, BatchNormAct2d (BN then its ReLU: output after the
          ReLU), Linear, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, ReLU, Sigmoid, SEModule / EcaModule
          (the attention's output: branch × gate); Identity, DropPath and Flatten are left out.
          MACs from forward hooks: Conv2d = output elements × in/groups × kh × kw; Conv1d = output
          elements × in/groups × k; Linear = in × out.
          Big presets (more than LAYER_LIMIT modules) keep only the modules with parameters.
  receptiveField (some cases): {path of the last block, side in input pixels of the region its
          centre output position sees}, measured by backpropagation (as arch_reference.py does).

Setup (timm is not a Debian package; the wheel is on disk):
  mkdir -p /tmp/timm && cd /tmp/timm && python3 -m zipfile -e /opt/pypi/files/timm-1.0.29-py3-none-any.whl .
  PYTHONPATH=/tmp/timm /usr/bin/python3 tools/reference/timm_reference.py [--out FILE] [--check]
(--check writes nothing and fails if the committed fixture differs from what timm gives now; CI runs it.)
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from archspec_timm import TIMM_VERSION, build_timm, create, patches  # noqa: E402

import timm  # noqa: E402
from timm.layers import EcaModule, SEModule  # noqa: E402
from timm.layers.activations import Sigmoid as TimmSigmoid  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "timm-reference.json"
# Presets with more modules than this keep only their weighted modules (the fixture stays small).
LAYER_LIMIT = 800

# ---------------------------------------------------------------------------------------------
# Specs, written here from timm's model functions (timm/models/resnet.py, resnetv2.py) and the
# Identity Mappings paper, not read from our TypeScript, so the test also checks presets.ts.


def imagenet(name, block, blocks, groups=1, width_per_group=64, **over):
    spec = {
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
    return with_(spec, **over)


def with_(spec, **over):
    """A copy with top-level fields replaced; `input=(c, h, w)`, `classes=n`, `stem=(kind, width[, pool])`."""
    spec = copy.deepcopy(spec)
    for k, v in over.items():
        if k == "input":
            spec["input"] = dict(zip(("channels", "height", "width"), v))
        elif k == "classes":
            spec["head"]["classes"] = v
        elif k == "stem":
            spec["stem"] = {"kind": v[0], "width": v[1], **({"pool": v[2]} if len(v) > 2 else {})}
        elif k == "widths":
            spec["stages"] = [{**s, "width": w} for s, w in zip(spec["stages"], v)]
        else:
            spec[k] = v
    return spec


SE = {"kind": "se", "ratio": 1 / 16, "divisor": 8}
SE_RS = {"kind": "se", "ratio": 0.25, "divisor": 8}
ECA = {"kind": "eca", "gamma": 2, "beta": 1}
R50, R101, R152 = [3, 4, 6, 3], [3, 4, 23, 3], [3, 8, 36, 3]
# timm's stem_width 32 with stem_type deep = our stem width 64 (its output: stem_width × 2).
D = dict(stem=("deep", 64), shortcut="D")

TIMM_PRESETS = {
    "resnet18d": imagenet("resnet18d", "basic", [2, 2, 2, 2], **D),
    "resnet34d": imagenet("resnet34d", "basic", R50, **D),
    "resnet26d": imagenet("resnet26d", "bottleneck", [2, 2, 2, 2], **D),
    "resnet50d": imagenet("resnet50d", "bottleneck", R50, **D),
    "resnet101d": imagenet("resnet101d", "bottleneck", R101, **D),
    "resnet152d": imagenet("resnet152d", "bottleneck", R152, **D),
    "resnet26t": imagenet("resnet26t", "bottleneck", [2, 2, 2, 2], stem=("deep_tiered", 64), shortcut="D"),
    "resnet50c": imagenet("resnet50c", "bottleneck", R50, stem=("deep", 64)),
    "resnet50s": imagenet("resnet50s", "bottleneck", R50, stem=("deep", 128)),
    "seresnet50": imagenet("seresnet50", "bottleneck", R50, attention=SE),
    "seresnet101": imagenet("seresnet101", "bottleneck", R101, attention=SE),
    "seresnext50_32x4d": imagenet("seresnext50_32x4d", "bottleneck", R50, 32, 4, attention=SE),
    "seresnext101_32x4d": imagenet("seresnext101_32x4d", "bottleneck", R101, 32, 4, attention=SE),
    "ecaresnet50d": imagenet("ecaresnet50d", "bottleneck", R50, attention=ECA, **D),
    "ecaresnet101d": imagenet("ecaresnet101d", "bottleneck", R101, attention=ECA, **D),
    "resnetrs50": imagenet("resnetrs50", "bottleneck", R50, stem=("deep", 64, "conv"), shortcut="D", attention=SE_RS),
    "resnetrs101": imagenet("resnetrs101", "bottleneck", R101, stem=("deep", 64, "conv"), shortcut="D", attention=SE_RS),
    "resnetv2_50": imagenet("resnetv2_50", "bottleneck", R50, order="pre"),
    "resnetv2_101": imagenet("resnetv2_101", "bottleneck", R101, order="pre"),
    "resnetv2_50d": imagenet("resnetv2_50d", "bottleneck", R50, order="pre", **D),
}


def preact_cifar(depth):
    """He et al. 2016 (Identity Mappings), CIFAR-10: depth 9n+2, pre-activation bottlenecks of
    16/32/64 (outputs 64/128/256), a 3×3 conv of 16, the stride on the first 1×1 (resnet-1k-layers)."""
    n = (depth - 2) // 9
    return {
        "name": f"preact_resnet{depth}",
        "input": {"channels": 3, "height": 32, "width": 32},
        "stem": {"kind": "cifar", "width": 16},
        "block": "bottleneck",
        "expansion": 4,
        "groups": 1,
        "widthPerGroup": 64,
        "stages": [{"blocks": n, "width": w, "stride": 1 if i == 0 else 2} for i, w in enumerate([16, 32, 64])],
        "shortcut": "B",
        "strideOn": "1x1",
        "residual": True,
        "convBias": False,
        "head": {"pool": "avg", "classes": 10},
        "order": "pre",
    }


OTHER_PRESETS = {s["name"]: s for s in (preact_cifar(164), preact_cifar(1001))}

SMALL = [16, 32, 64, 128]
ODD = (3, 97, 113)


def knob_cases():
    """(spec, what it exercises): each optional field alone, at small widths and odd sides."""
    basic = imagenet("basic", "basic", [1, 1, 1, 1], widths=SMALL, input=ODD, classes=10)
    bott = imagenet("bottleneck", "bottleneck", [1, 2, 1, 1], widths=SMALL, input=ODD, classes=10)
    return [
        (with_(basic, name="deep-basic", stem=("deep", 32)), "deep stem on a basic net"),
        (with_(bott, name="tiered-bottleneck", stem=("deep_tiered", 32)), "tiered deep stem on a bottleneck net"),
        (with_(basic, name="pool-conv", stem=("deep", 32, "conv")), "stem pool conv (ResNet-RS)"),
        (with_(basic, name="pool-none", stem=("imagenet", 64, "none")), "stem pool none"),
        (with_(basic, name="D-basic", shortcut="D"), "shortcut D on a basic net, odd sides (ceil mode)"),
        (with_(bott, name="D-bottleneck", shortcut="D", input=(3, 67, 45)), "shortcut D on a bottleneck net"),
        (with_(basic, name="se-basic", attention={"kind": "se", "ratio": 0.25, "divisor": 4}), "SE 1/4 ÷ 4, basic"),
        (with_(bott, name="se-bottleneck", attention={"kind": "se", "ratio": 0.1, "divisor": 8}), "SE 0.1 ÷ 8 (rounding)"),
        (with_(basic, name="eca-basic", attention=ECA), "ECA (gamma 2, beta 1), basic"),
        (with_(bott, name="eca-bottleneck", attention={"kind": "eca", "gamma": 1.5, "beta": 0.5}), "ECA gamma 1.5 beta 0.5"),
        (with_(basic, name="pre-basic", order="pre"), "pre-activation basic (PreActBasic)"),
        (with_(bott, name="pre-bottleneck", order="pre"), "pre-activation bottleneck (PreActBottleneck)"),
        (with_(bott, name="pre-bottleneck-D", order="pre", stem=("deep", 64), shortcut="D"), "pre-activation, deep stem, D"),
        (with_(basic, name="pre-tiered-nopool", order="pre", stem=("deep_tiered", 32, "none")), "pre, tiered stem, no pool"),
        (
            with_(bott, name="pre-bottleneck-1x1", order="pre", strideOn="1x1", stem=("cifar", 16), input=(3, 33, 31)),
            "pre-activation, stride on the 1×1, CIFAR stem",
        ),
        (with_(TIMM_PRESETS["resnet50d"], name="resnet50d-odd", input=ODD), "resnet50d at 97×113"),
        (with_(TIMM_PRESETS["resnet18d"], name="resnet18d-droppath", dropPath=0.05, input=(3, 64, 64)), "dropPath"),
    ]


# Cases whose receptive field is measured too (attention's global pool sees the whole input).
RF_CASES = {"deep-basic", "tiered-bottleneck", "pool-conv", "pool-none", "D-basic", "pre-basic", "pre-bottleneck-D",
            "pre-tiered-nopool", "pre-bottleneck-1x1"}


# ---------------------------------------------------------------------------------------------
# Measurement

HOOKED = (nn.Conv2d, nn.Conv1d, nn.BatchNorm2d, nn.Linear, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
          nn.ReLU, nn.Sigmoid, TimmSigmoid, SEModule, EcaModule)


def type_name(m: nn.Module) -> str:
    return "Sigmoid" if isinstance(m, TimmSigmoid) else type(m).__name__


def measure(model: nn.Module, spec: dict) -> dict:
    model.eval()
    rows = []
    hooks = []

    def hook(name):
        def fn(m, inp, out):
            own = sum(p.numel() for p in m.parameters(recurse=False) if p.requires_grad)
            if isinstance(m, (nn.Conv2d, nn.Conv1d)):
                macs = out[0].numel() * (m.in_channels // m.groups) * int(torch.tensor(m.kernel_size).prod())
            elif isinstance(m, nn.Linear):
                macs = m.in_features * m.out_features
            else:
                macs = 0
            rows.append([name, type_name(m), list(out.shape[1:]), own, macs])

        return fn

    for name, m in model.named_modules():
        if isinstance(m, HOOKED):
            # BatchNormAct2d's own ReLU (`…norm1.act`) is recorded: it is a node of ours.
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
    names = [r[0] for r in rows]
    assert len(names) == len(set(names)), "a module ran twice"
    assert sum(r[3] for r in rows) == params, "params outside the hooked modules"
    result = {"totals": {"params": params, "buffers": buffers, "macs": sum(r[4] for r in rows)}}
    if len(rows) > LAYER_LIMIT:
        result["weightedOnly"] = True
        rows = [r for r in rows if r[3] > 0]
    result["layers"] = rows
    return result


def last_block(model: nn.Module) -> tuple[str, nn.Module]:
    if hasattr(model, "stages"):
        i = len(model.stages) - 1
        j = len(model.stages[i].blocks) - 1
        return f"stages.{i}.blocks.{j}", model.stages[i].blocks[j]
    layers = [n for n, _ in model.named_children() if n.startswith("layer")]
    seq = getattr(model, layers[-1])
    return f"{layers[-1]}.{len(seq) - 1}", seq[len(seq) - 1]


def receptive_field(spec: dict) -> dict:
    """Side of the input region that the centre position of the last block's output depends on.

    Measured, not computed: gradient of that position with respect to the input, on the model in
    float64 with every weight 1, BN in eval mode and max pools replaced by average pools of the
    same window (so that every path carries gradient). The input grows until the region does not
    touch the border, so it is the whole (unclipped) receptive field.
    """
    side = 64
    while True:
        t = with_(spec, input=(spec["input"]["channels"], side, side))
        model = build(t).double().eval()
        for name, m in list(model.named_modules()):
            for cname, child in list(m.named_children()):
                if isinstance(child, nn.MaxPool2d):
                    setattr(m, cname, nn.AvgPool2d(child.kernel_size, child.stride, child.padding))
        for p in model.parameters():
            p.data.fill_(1.0)
        block_id, block = last_block(model)
        captured = {}
        hk = block.register_forward_hook(lambda m, i, o: captured.__setitem__("y", o))
        x = torch.ones(1, t["input"]["channels"], side, side, dtype=torch.float64, requires_grad=True)
        model(x)
        hk.remove()
        y = captured["y"]
        h, w = y.shape[2:]
        y[0, :, h // 2, w // 2].sum().backward()
        g = x.grad[0].abs().sum(0)
        rows = torch.nonzero(g.sum(1)).flatten()
        cols = torch.nonzero(g.sum(0)).flatten()
        touches = rows.min() == 0 or rows.max() == side - 1 or cols.min() == 0 or cols.max() == side - 1
        if not touches:
            rf_h, rf_w = int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)
            assert rf_h == rf_w, (rf_h, rf_w)
            return {"id": block_id, "side": rf_h}
        side *= 2


def build(spec: dict) -> nn.Module:
    """timm.create_model for timm's names at their own layout, else archspec_timm.build_timm."""
    name = spec["name"]
    if name in TIMM_PRESETS and spec == TIMM_PRESETS[name]:
        return create(name)
    if name == "resnet18d-droppath":
        return create("resnet18d", drop_path_rate=spec["dropPath"], num_classes=spec["head"]["classes"])
    return build_timm(spec)


def ceil_pool_sides() -> list[list[int]]:
    """[side, stride, output side] of shortcut D's pool, nn.AvgPool2d(2, stride, ceil_mode=True,
    count_include_pad=False), for strides the D shortcut may take (timm's nets only use 2)."""
    rows = []
    for stride in (2, 3, 4):
        for side in range(1, 14):
            pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False)
            rows.append([side, stride, pool(torch.zeros(1, 1, side, side)).shape[-1]])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the cases in --out differ from what timm gives now",
    )
    args = ap.parse_args()
    if timm.__version__ != TIMM_VERSION:
        sys.exit(f"timm {timm.__version__} found; the fixture is made with timm {TIMM_VERSION}")
    torch.manual_seed(0)

    cases = []
    t0 = time.perf_counter()

    def add(spec, source, note):
        t = time.perf_counter()
        model = build(spec)
        m = measure(model, spec)
        del model
        if spec["name"] in RF_CASES:
            m["receptiveField"] = receptive_field(spec)
        fixes = patches(spec)
        cases.append({"name": spec["name"], "note": note, "source": source, **({"patches": fixes} if fixes else {}),
                      "spec": spec, **m})
        print(f"{spec['name']:>22}  {source:<40} {m['totals']['params']:>12,} params "
              f"{m['totals']['macs']:>15,} MACs  {time.perf_counter() - t:5.1f} s", file=sys.stderr)

    for name, spec in TIMM_PRESETS.items():
        add(spec, f"timm.create_model('{name}')", "preset")
    for name, spec in OTHER_PRESETS.items():
        add(spec, "timm ResNetV2 (archspec_timm)", "preset (He et al. 2016, Identity Mappings, CIFAR-10)")
    for spec, note in knob_cases():
        source = "timm.create_model('resnet18d', drop_path_rate)" if spec.get("dropPath") else (
            "timm ResNetV2 (archspec_timm)" if spec.get("order") == "pre" else "timm ResNet (archspec_timm)")
        add(spec, source, note)

    doc = {
        "about": "Written by tools/reference/timm_reference.py from timm; do not edit. "
        "layers: [timm module path, module type, output shape (no batch), params, MACs] for every "
        "Conv2d, Conv1d, BatchNorm2d (BatchNormAct2d: after its ReLU), Linear, pool, ReLU, Sigmoid and "
        "SE/ECA module, in execution order (weightedOnly: only the modules with parameters). "
        "receptiveField: side of the input region seen by the centre of the last block's output, "
        "measured by backpropagation. ceilPool: [side, stride, output side] of AvgPool2d(2, stride, "
        "ceil_mode=True, count_include_pad=False).",
        "timm": timm.__version__,
        "torch": torch.__version__,
        "ceilPool": ceil_pool_sides(),
        "cases": cases,
    }
    if args.check:
        committed = json.loads(Path(args.out).read_text())
        fresh = json.loads(json.dumps(cases))
        stale = [c["name"] for c in fresh if c not in committed["cases"]] + [
            c["name"] for c in committed["cases"] if c not in fresh
        ] + (["ceilPool"] if committed.get("ceilPool") != doc["ceilPool"] else [])
        if stale:
            sys.exit(f"{args.out} is out of date ({', '.join(sorted(set(stale)))}): "
                     "run tools/reference/timm_reference.py (see its docstring)")
        print(f"ok: {args.out} matches timm {timm.__version__} ({len(cases)} cases, "
              f"{time.perf_counter() - t0:.0f} s)", file=sys.stderr)
        return
    text = json.dumps(doc, separators=(",", ":"))
    # One case per line keeps diffs readable while the file stays compact.
    text = text.replace('},{"name":', '},\n{"name":')
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    print(f"wrote {out} ({len(text) / 1024:.0f} KiB, {len(cases)} cases) in {time.perf_counter() - t0:.0f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
