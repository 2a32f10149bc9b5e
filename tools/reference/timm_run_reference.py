"""Reference forward passes of the ResNet family, computed by timm itself (timm 1.0.29 on Debian's torch).

For each case below: timm's own model for the spec (archspec_timm.build_timm: timm's ResNet /
ResNetV2 classes, so the state_dict keys are our node ids), seeded weights with non-trivial
BatchNorm statistics and random biases, one input, eval mode. Written per case, in the layout of
run_reference.py (tests/unit/runtime-fixtures.ts loadCase reads both):

  spec.json            the ArchSpec (DESIGN §3.1)
  weights.safetensors  timm's state_dict, as timm names it (resnetv2's head.fc stays a 1×1 conv)
  input.safetensors    `input`: NCHW float32, already normalised
  expected.safetensors `logits` [N, classes] and `tap/<node id>` NCHW ([N, C, 1, 1] for vectors):
                       timm modules' outputs caught by forward hooks, named by our node ids
  case.json            timm/torch versions, seed, tap ids

The small cases (reduced widths and depths, 64×64 and odd 65×71 inputs for the D shortcut's ceil
mode) are committed under tests/fixtures/family/runtime/. --big SPECS.json writes real presets
(timm.create_model(name), too big to commit) at the sizes the specs give into --out;
tests/unit/runtime-family.test.ts runs it on the fly with its presets' specs.

  PYTHONPATH=<unzipped timm wheel> /usr/bin/python3 tools/reference/timm_run_reference.py
  PYTHONPATH=<unzipped timm wheel> /usr/bin/python3 tools/reference/timm_run_reference.py --big SPECS.json --out DIR
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
try:
    import timm
    from timm.layers import BatchNormAct2d, EcaModule, SEModule
    from timm.models.resnet import BasicBlock, Bottleneck
    from timm.models.resnetv2 import PreActBasic, PreActBottleneck
except ImportError:
    sys.exit("error: timm is not importable: unzip /opt/pypi/files/timm-1.0.29-py3-none-any.whl and put it on PYTHONPATH")
from archspec_timm import build_timm, create  # noqa: E402
from safetensors_io import write_safetensors as write_in_order  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "family" / "runtime"


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    """Keys sorted, so that regenerated fixtures are byte-identical."""
    write_in_order(path, {k: tensors[k] for k in sorted(tensors)})


def spec(name, *, h=64, w=64, stem=("deep", 16), pool=None, block="basic", groups=1, wpg=64,
         widths=None, blocks=(1, 1, 1, 1), shortcut="D", attention=None, order=None, classes=10):
    widths = widths or ((8, 16, 32, 64) if block == "basic" else (8, 16, 24, 32))
    out = {
        "name": name,
        "input": {"channels": 3, "height": h, "width": w},
        "stem": {"kind": stem[0], "width": stem[1], **({"pool": pool} if pool else {})},
        "block": block,
        "expansion": 1 if block == "basic" else 4,
        "groups": groups,
        "widthPerGroup": wpg,
        "stages": [{"blocks": b, "width": wd, "stride": 1 if i == 0 else 2} for i, (b, wd) in enumerate(zip(blocks, widths))],
        "shortcut": shortcut,
        "strideOn": "3x3",
        "residual": True,
        "convBias": False,
        "head": {"pool": "avg", "classes": classes},
    }
    if attention:
        out["attention"] = attention
    if order:
        out["order"] = order
    return out


SE16 = {"kind": "se", "ratio": 1 / 16, "divisor": 8}
SMALL = {
    # deep stem + D shortcut, at an odd size (the average pools hang over the edge: ceil mode)
    "resnet-d-odd": spec("resnet-d-odd", h=65, w=71),
    # SE-ResNeXt: groups + SE (1/16, 8); 7×7 stem (timm's ResNet fixes it at 64), B shortcut
    "seresnext-tiny": spec("seresnext-tiny", stem=("imagenet", 64), block="bottleneck", groups=4, wpg=16,
                           blocks=(1, 2, 1, 1), shortcut="B", attention=SE16),
    # ECA (kernels 3 and 5 across the stages: 32…128 channels) on timm's tiered stem, odd size
    "eca-tiered-odd": spec("eca-tiered-odd", h=65, w=71, stem=("deep_tiered", 32), block="bottleneck",
                           attention={"kind": "eca", "gamma": 2, "beta": 1}),
    # ResNet-RS: deep stem, conv stem pool, D, SE 1/4
    "resnetrs-tiny": spec("resnetrs-tiny", pool="conv", block="bottleneck",
                          attention={"kind": "se", "ratio": 0.25, "divisor": 8}),
    # pre-activation, basic blocks, 7×7 stem, B
    "resnetv2-basic": spec("resnetv2-basic", stem=("imagenet", 16), shortcut="B", order="pre"),
    # pre-activation bottleneck, deep stem, D, odd size
    "resnetv2-d-odd": spec("resnetv2-d-odd", h=65, w=71, stem=("deep", 32), block="bottleneck",
                           blocks=(1, 2, 1, 1), order="pre"),
}


def randomise(model: nn.Module, seed: int) -> None:
    """Seeded: random BN affine and statistics (so that folding is tested), random biases."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):  # BatchNormAct2d too
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.2)
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
            elif isinstance(m, (nn.Conv2d, nn.Conv1d, nn.Linear)) and m.bias is not None:
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.2)
            if isinstance(m, nn.Conv1d):  # ECA's kernel: away from a uniform average
                m.weight.copy_(torch.randn(m.weight.shape, generator=g))


def tap_id(name: str, m: nn.Module, pre: bool) -> str | None:
    """The node id (DESIGN §3.2) whose output equals this timm module's, or None."""
    if isinstance(m, BatchNormAct2d):
        return f"{name}.act" if not isinstance(m.act, nn.Identity) else name
    if isinstance(m, (nn.Conv2d, nn.Conv1d, nn.BatchNorm2d, nn.AvgPool2d, nn.MaxPool2d, nn.Linear)):
        return name
    if isinstance(m, (SEModule, EcaModule)):
        return f"{name}.scale"
    if isinstance(m, (PreActBasic, PreActBottleneck)):
        return f"{name}.add"
    if isinstance(m, (BasicBlock, Bottleneck)):
        return f"{name}.relu{2 if isinstance(m, BasicBlock) else 3}"
    return None


def keep_tap(tid: str) -> bool:
    """A few taps per case (fixtures stay small): the stem's pool, the first block of the second
    stage, the final norm and the fc."""
    return (
        tid in ("maxpool", "maxpool.0", "maxpool.1", "stem.pool", "norm.act", "fc", "head.fc")
        or tid.startswith(("layer2.0.", "stages.1.blocks.0."))
    )


def as_nchw(t: torch.Tensor) -> torch.Tensor:
    if t.dim() == 4:
        return t
    if t.dim() == 3:  # Conv1d over channels: [N, 1, C]
        return t.reshape(t.shape[0], -1, 1, 1)
    return t.reshape(t.shape[0], -1, 1, 1)


def make_case(name: str, model: nn.Module, spec_: dict, out_dir: Path, seed: int) -> None:
    d = out_dir / name
    d.mkdir(parents=True, exist_ok=True)
    randomise(model, seed + 1)
    model.eval()
    pre = spec_.get("order") == "pre"
    store: dict[str, torch.Tensor] = {}
    handles = []
    for mname, m in model.named_modules():
        tid = tap_id(mname, m, pre) if mname else None
        if tid and keep_tap(tid):
            handles.append(m.register_forward_hook(
                lambda _m, _i, out, t=tid: store.__setitem__(t, as_nchw(out.detach()).clone())))
    g = torch.Generator().manual_seed(seed + 2)
    c, h, w = (spec_["input"][k] for k in ("channels", "height", "width"))
    x = torch.randn(1, c, h, w, generator=g)
    with torch.no_grad():
        logits = model(x)
    for hd in handles:
        hd.remove()
    sd = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    write_safetensors(d / "weights.safetensors", sd)
    write_safetensors(d / "input.safetensors", {"input": x})
    expected = {"logits": logits}
    expected.update({f"tap/{k}": v.float().contiguous() for k, v in store.items()})
    write_safetensors(d / "expected.safetensors", expected)
    (d / "spec.json").write_text(json.dumps(spec_, indent="\t") + "\n")
    case = {"format": "safetensors", "dtype": "F32", "wrap": None, "seed": seed, "taps": sorted(store),
            "timm": timm.__version__, "torch": torch.__version__,
            "model": type(model).__module__ + "." + type(model).__name__}
    (d / "case.json").write_text(json.dumps(case, indent="\t") + "\n")
    print(f"{name}: {len(sd)} tensors, {len(store)} taps, logits {list(logits.shape)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--big", type=Path, metavar="SPECS.json",
                    help="{name: ArchSpec} of timm presets: timm.create_model(name) at the spec's input size and classes")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    if args.big:
        for i, (name, s) in enumerate(json.loads(args.big.read_text()).items()):
            torch.manual_seed(200 + i)
            model = create(name, num_classes=s["head"]["classes"])
            make_case(name, model, s, args.out, 200 + i)
        return
    for i, (name, s) in enumerate(SMALL.items()):
        torch.manual_seed(i * 10)
        make_case(name, build_timm(s), s, args.out, i * 10)


if __name__ == "__main__":
    main()
