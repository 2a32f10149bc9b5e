"""Reference forward passes for the tfjs runtime, computed by PyTorch (Debian's python3-torchvision).

For each case below this builds the network with archspec_torch.build (torchvision's own ResNet
where it expresses the spec, else SpecResNet with the same module names), sets fixed-seed
weights with NON-trivial BatchNorm (random gamma, beta, running mean and variance, so that BN
folding is really tested), runs one input in eval mode and writes, per case, into a folder:

  spec.json            the ArchSpec (DESIGN §3.1)
  weights.safetensors  or weights.pth (torch.save): the checkpoint, in the case's format/dtype
  input.safetensors    `input`: NCHW float32, already normalised
  expected.safetensors `logits` [N, classes] and `tap/<node id>` NCHW ([N, C, 1, 1] for
                       avgpool / flatten / fc): module outputs caught by forward hooks
  case.json            format, dtype, wrappers used, tap ids

Where a checkpoint is stored in fp16/bf16 the expected outputs are computed from the same
rounded weights, so the reader is tested exactly.

Also writes torchvision-keys.json: the state_dict keys and shapes (num_batches_tracked left
out) of torchvision's own resnet18/resnet50/resnext50_32x4d/wide_resnet50_2 constructors, to
check that our expectedTensors names every tensor as torchvision (and the timm/HF hub files
that copy its keys) does. And preprocess.safetensors: images and torch's preprocessing of them.

The small cases are committed under tests/fixtures/runtime/ (well under 5 MB). The big ones
(real resnet18 and resnet50 topology at 64×64, ~45 and ~100 MB) are generated on the fly by the
vitest suite into a temporary folder:

  /usr/bin/python3 tools/reference/run_reference.py                 # small cases → tests/fixtures/runtime
  /usr/bin/python3 tools/reference/run_reference.py --big --out DIR  # resnet18/resnet50 → DIR
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from archspec_torch import ZeroPadShortcut, build, spec_json  # noqa: E402
from safetensors_io import write_sorted as write_safetensors  # noqa: E402


ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "runtime"


spec = partial(spec_json, channels=3, h=64, w=64, stem=("imagenet", 64), block="basic", expansion=1, groups=1,
               wpg=64, stages=((2, 64, 1), (2, 128, 2), (2, 256, 2), (2, 512, 2)), shortcut="B",
               stride_on="3x3", residual=True, bias=False, pool="avg", classes=1000)


# name → (spec, format, dtype, wrap): format 'safetensors' | 'pth'; wrap: None or 'state_dict+module'
SMALL = {
    "resnext-tiny": (
        spec("resnext-tiny", h=40, w=40, stem=("imagenet", 16), block="bottleneck", expansion=4, groups=4,
             wpg=8, stages=((1, 16, 1), (2, 32, 2)), classes=7),
        "safetensors", "F32", None),
    "cifar-option-a": (
        spec("cifar-option-a", h=32, w=32, stem=("cifar", 16), stages=((1, 16, 1), (1, 32, 2), (1, 64, 2)),
             shortcut="A", classes=10),
        "pth", "F32", None),
    "stride1x1-bias-gray": (
        spec("stride1x1-bias-gray", channels=1, h=36, w=36, stem=("imagenet", 8), block="bottleneck",
             expansion=4, stages=((1, 8, 1), (2, 16, 2)), shortcut="C", stride_on="1x1", bias=True, classes=5),
        "pth", "BF16", "state_dict+module"),
    "plain-flatten": (
        spec("plain-flatten", h=16, w=20, stem=("cifar", 8), stages=((2, 8, 1), (1, 16, 2)), residual=False,
             pool="flatten", classes=6),
        "safetensors", "F16", None),
}
BIG = {
    "resnet18-64": (spec("resnet18-64"), "pth", "F32", None),
    "resnet50-64": (
        spec("resnet50-64", block="bottleneck", expansion=4, stages=((3, 64, 1), (4, 128, 2), (6, 256, 2), (3, 512, 2))),
        "safetensors", "F32", None),
}
BIG_TAPS = ["conv1", "bn1", "maxpool", "layer1.0.conv1", "layer1.0.bn1", "layer1.1.relu2", "layer1.2.relu3",
            "layer2.0.downsample.0", "layer2.0.downsample.1", "layer3.0.relu2", "layer3.0.relu3", "avgpool", "fc"]


# ------------------------------------------------------------------------------ cases

def randomise(model: nn.Module, seed: int) -> None:
    """Seeded weights: default init (torchvision's kaiming for convs) and random BN statistics."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.2)
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)


def block_output_id(name: str, block: nn.Module) -> str:
    kind = "basic" if hasattr(block, "conv2") and not hasattr(block, "conv3") else "bottleneck"
    return f"{name}.relu{2 if kind == 'basic' else 3}"


def hook_taps(model: nn.Module, spec_: dict, wanted: list[str] | None, store: dict[str, torch.Tensor]):
    """Forward hooks that record each module output under its DESIGN §3.2 node id."""
    handles = []

    def put(node_id):
        def hook(_m, _inp, out):
            if wanted is None or node_id in wanted:
                store[node_id] = out.detach().clone()
        return hook

    for name, m in model.named_modules():
        if name == "":
            continue
        parts = name.split(".")
        if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AdaptiveAvgPool2d, ZeroPadShortcut)):
            handles.append(m.register_forward_hook(put(name)))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(lambda _m, _i, out, n=name: store.__setitem__(n, out.detach()[:, :, None, None].clone())))
        elif name == "relu" or (isinstance(m, nn.ReLU) and parts[-1].startswith("relu") and parts[-1] != "relu"):
            handles.append(m.register_forward_hook(put(name)))  # stem relu; SpecResNet's block relu1..3
        elif isinstance(m, nn.Identity) and parts[-1] == "add":
            handles.append(m.register_forward_hook(put(name)))
        elif len(parts) == 2 and parts[0].startswith("layer"):
            handles.append(m.register_forward_hook(put(block_output_id(name, m))))
    if spec_["head"]["pool"] == "flatten":
        handles.append(model.fc.register_forward_pre_hook(
            lambda _m, inp: store.__setitem__("flatten", inp[0].detach()[:, :, None, None].clone())))
    return handles


def make_case(name: str, spec_: dict, fmt: str, dtype: str, wrap: str | None, out_dir: Path, seed: int,
              taps: list[str] | None) -> None:
    d = out_dir / name
    d.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    model = build(spec_)
    randomise(model, seed + 1)
    model.eval()
    sd = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    tdtype = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[dtype]
    stored = {k: v.to(tdtype) for k, v in sd.items()}
    # The reference runs on exactly the weights the file holds.
    model.load_state_dict({k: v.float() for k, v in stored.items()}, strict=False)
    if fmt == "safetensors":
        write_safetensors(d / "weights.safetensors", stored)
    else:
        obj = dict(model.state_dict()) if dtype == "F32" and wrap is None else stored
        if dtype == "F32" and wrap is None:
            obj = model.state_dict()  # an OrderedDict with _metadata and num_batches_tracked, as users save
        if wrap == "state_dict+module":
            obj = {"epoch": 3, "state_dict": {f"module.{k}": v for k, v in stored.items()}}
        torch.save(obj, d / "weights.pth")
    g = torch.Generator().manual_seed(seed + 2)
    c, h, w = (spec_["input"][k] for k in ("channels", "height", "width"))
    x = torch.randn(1, c, h, w, generator=g)
    store: dict[str, torch.Tensor] = {}
    handles = hook_taps(model, spec_, taps, store)
    with torch.no_grad():
        logits = model(x)
    for hd in handles:
        hd.remove()
    write_safetensors(d / "input.safetensors", {"input": x})
    expected = {"logits": logits}
    expected.update({f"tap/{k}": v.float().contiguous() for k, v in store.items()})
    write_safetensors(d / "expected.safetensors", expected)
    (d / "spec.json").write_text(json.dumps(spec_, indent="\t") + "\n")
    case = {"format": fmt, "dtype": dtype, "wrap": wrap, "seed": seed, "taps": sorted(store),
            "torch": torch.__version__, "torchvision": torchvision.__version__,
            "model": type(model).__module__ + "." + type(model).__name__}
    (d / "case.json").write_text(json.dumps(case, indent="\t") + "\n")
    print(f"{name}: {fmt} {dtype}, {len(sd)} tensors, {len(store)} taps, logits {list(logits.shape)}")


def torchvision_keys(out_dir: Path) -> None:
    out = {}
    for name in ["resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2"]:
        sd = getattr(torchvision.models, name)().state_dict()
        out[name] = {k: list(v.shape) for k, v in sd.items() if not k.endswith("num_batches_tracked")}
    (out_dir / "torchvision-keys.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print("torchvision-keys.json:", {k: len(v) for k, v in out.items()})


def preprocess_cases(out_dir: Path) -> None:
    """Images (uint8 RGBA) and torch's Resize(shorter, antialias bilinear) → CenterCrop → Normalize."""
    rng = np.random.default_rng(7)
    tensors = {}
    cases = [
        # name, H, W, resize shorter, crop H, crop W, gray
        ("down", 61, 97, 37, 32, 32, False),
        ("up", 15, 20, 37, 32, 32, False),
        ("gray", 50, 41, 25, 22, 22, True),
        ("odd", 45, 45, 40, 31, 36, False),
    ]
    meta = []
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    for name, H, W, short, ch, cw, gray in cases:
        yy, xx = np.mgrid[0:H, 0:W]
        base = np.stack([128 + 100 * np.sin(xx / 3 + c) * np.cos(yy / 4 - c) for c in range(3)], -1)
        img = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
        rgba = np.concatenate([img, np.full((H, W, 1), 200, np.uint8)], -1)
        t = torch.from_numpy(img).permute(2, 0, 1).float()[None]  # 1,3,H,W 0..255
        if gray:  # ITU-R 601-2 luma, then the same resize
            t = (t[:, 0:1] * 0.299 + t[:, 1:2] * 0.587 + t[:, 2:3] * 0.114)
        rh, rw = (short, int(short * W / H)) if H <= W else (int(short * H / W), short)
        t = F.interpolate(t, size=(rh, rw), mode="bilinear", align_corners=False, antialias=True)
        top, left = int(round((rh - ch) / 2.0)), int(round((rw - cw) / 2.0))
        t = t[:, :, top:top + ch, left:left + cw] / 255
        m = torch.tensor([0.5] if gray else mean)[None, :, None, None]
        s = torch.tensor([0.5] if gray else std)[None, :, None, None]
        tensors[f"{name}/image"] = torch.from_numpy(rgba).float()
        tensors[f"{name}/expected"] = ((t - m) / s).contiguous()
        meta.append({"name": name, "resizeShorter": short, "height": ch, "width": cw, "channels": 1 if gray else 3})
    write_safetensors(out_dir / "preprocess.safetensors", tensors)
    (out_dir / "preprocess.json").write_text(json.dumps(meta, indent="\t") + "\n")
    print("preprocess:", [m["name"] for m in meta])


def reader_cases(out_dir: Path) -> None:
    """Tensors that exercise the .pth reader: dtypes, a transposed (non-contiguous) tensor, views
    sharing one storage at an offset, a scalar, an int64 counter; the same values as float32 in
    safetensors. And fp32 → fp16 rounding by torch (ties, subnormals, overflow) for our writer."""
    g = torch.Generator().manual_seed(5)
    big = torch.randn(6, 5, generator=g)
    src = torch.cat([torch.randn(200, generator=g) * 10, torch.tensor([
        1.0 + 2 ** -11, 1.0 + 3 * 2 ** -11, 65504.0, 65520.0, 1e6, -1e6, 6e-8, 3e-8, 2.9e-8, 1e-5, -1e-7, 0.0, -0.0])])
    tensors = {
        "conv.weight": torch.randn(4, 3, 3, 3, generator=g),
        "transposed": torch.randn(5, 7, generator=g).t(),
        "big": big,
        "view_rows": big[2:4],
        "view_col": big[:, 3],
        "scalar": torch.tensor(2.5),
        "half": torch.randn(3, 4, generator=g).half(),
        "bfloat": torch.randn(17, generator=g).bfloat16(),
        "double": torch.randn(2, 2, generator=g, dtype=torch.float64),
        "count": torch.tensor([3, -2, 7], dtype=torch.int64),
        "bn.num_batches_tracked": torch.tensor(11),
    }
    assert not tensors["transposed"].is_contiguous() and tensors["view_rows"].storage_offset() == 10
    torch.save(tensors, out_dir / "reader.pth")
    torch.save(tensors, out_dir / "reader-legacy.pth", _use_new_zipfile_serialization=False)
    # torch.save(model): a whole pickled module, not a state_dict (refused, with how to save one)
    torch.manual_seed(5)
    whole = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2, 2))
    torch.save(whole, out_dir / "reader-whole-model.pth")
    flat = {k: v.float().contiguous() for k, v in tensors.items() if not k.endswith("num_batches_tracked")}
    flat["fp16/source"] = src
    flat["fp16/torch"] = src.half().float()
    write_safetensors(out_dir / "reader.safetensors", flat)
    print("reader:", sorted(tensors))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--big", action="store_true", help="resnet18/resnet50 at 64×64 instead of the small cases")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    if args.big:
        for i, (name, (s, fmt, dt, wrap)) in enumerate(BIG.items()):
            make_case(name, s, fmt, dt, wrap, args.out, 100 + i, BIG_TAPS)
        return
    for i, (name, (s, fmt, dt, wrap)) in enumerate(SMALL.items()):
        make_case(name, s, fmt, dt, wrap, args.out, i * 10, None)
    torchvision_keys(args.out)
    preprocess_cases(args.out)
    reader_cases(args.out)


if __name__ == "__main__":
    main()
