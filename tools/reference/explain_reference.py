"""Reference explanations for the tfjs runtime, computed by PyTorch autograd (Debian's python3-torch).

The definitions (README "Explanations", DESIGN §3.4), y_K the logit of class K, p_K its softmax:
  gradcam:NODE   A = NODE's module output (a group: the stage's / block's output; a conv: the raw
                 convolution; a BN: conv+BN before the ReLU); α_c = mean over H,W of ∂y_K/∂A_c;
                 values = ReLU(Σ_c α_c A_c) at A's resolution, not normalised.
  saliency       max over input channels of |∂y_K/∂x|.
  smoothgrad     max over channels of |mean over N copies of ∂y_K/∂(x + ε_i)|, ε_i ~ N(0, σ²),
                 σ = SIGMA·(max(x) − min(x)); the noise is the runtime's seeded generator
                 (mulberry32 + Box–Muller, `seeded_normal` below), sample after sample in C,H,W order.
  occlusion      p_K(x) − p_K(x with a PATCH×PATCH square set to 0), the square at
                 (i·STRIDE, j·STRIDE), row-major over i < ⌊(H − PATCH)/STRIDE⌋ + 1, j likewise.

Cases: small nets with seeded weights (the fc scaled by FC_SCALE) and random BN statistics (a basic-block net, a CIFAR
option-A net, a 1-channel bottleneck net with groups, a plain net with a flatten head) and the
bundled model (static/models/fashion-resnet) on its first bundled sample. Per case a folder under
tests/fixtures/explain/ holds:

  spec.json            the ArchSpec (the bundled case reads static/models/fashion-resnet instead)
  weights.safetensors  F32 state_dict (not for the bundled case)
  input.safetensors    `input`: NCHW float32, normalised
  expected.safetensors `logits`, `gradcam/<node>` [H, W] (class: top-1), `saliency` [H, W]
                       (class: case.json's saliencyClass), `smoothgrad`, `occlusion` (top-1)
  case.json            the nodes, classes and parameters used

  /usr/bin/python3 tools/reference/explain_reference.py     # → tests/fixtures/explain
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from archspec_torch import build  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402
from run_reference import randomise, spec  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "explain"
BUNDLED = ROOT / "static" / "models" / "fashion-resnet"
SAMPLE = ROOT / "static" / "samples" / "fashion" / "0-ankle-boot.png"

FC_SCALE = 20.0
SMOOTHGRAD = {"samples": 4, "sigma": 0.15, "seed": 7}
OCCLUSION = {"patch": 5, "stride": 3}

# name → (spec or None for the bundled model, Grad-CAM nodes: a stage, a block's conv or BN, the last block,
#         seed: one where no Grad-CAM map is all zero and occlusion moves p_K by more than 1e-3)
CASES = {
    "basic": (spec("basic", h=33, w=31, stem=("imagenet", 8), stages=((1, 8, 1), (2, 16, 2)), classes=5),
              ["layer1", "layer2.1.bn1", "layer2.1"], 500),
    "cifar-option-a": (spec("cifar-option-a", h=16, w=16, stem=("cifar", 8), stages=((1, 8, 1), (1, 16, 2), (1, 32, 2)),
                            shortcut="A", classes=6),
                       ["layer2", "layer3.0.conv1", "layer3.0"], 500),
    "gray-bottleneck-groups": (spec("gray-bottleneck-groups", channels=1, h=32, w=32, stem=("imagenet", 8),
                                    block="bottleneck", expansion=4, groups=2, wpg=8,
                                    stages=((1, 8, 1), (1, 16, 2)), classes=4),
                               ["layer1", "layer2.0.conv2", "layer2.0"], 500),
    "plain-flatten": (spec("plain-flatten", h=12, w=14, stem=("cifar", 8), stages=((2, 8, 1), (1, 16, 2)),
                           residual=False, pool="flatten", classes=5),
                      ["layer1", "layer1.1.bn2", "layer2.0"], 520),
    "fashion-resnet": (None, ["layer2", "layer3.2.conv2", "layer3.2"], 0),
}


def mulberry32(seed: int):
    a = seed & 0xFFFFFFFF

    def imul(x: int, y: int) -> int:
        return (x * y) & 0xFFFFFFFF

    def rand() -> float:
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return rand


def seeded_normal(seed: int, count: int) -> np.ndarray:
    """The runtime's seededRandom(seed).normal (src/lib/weights/init.ts): Box–Muller pairs, cos then sin."""
    rand = mulberry32(seed)
    out = np.empty(count, dtype=np.float64)
    i = 0
    while i < count:
        u = 0.0
        while u == 0.0:
            u = rand()
        v = rand()
        r = math.sqrt(-2 * math.log(u))
        out[i] = r * math.cos(2 * math.pi * v)
        if i + 1 < count:
            out[i + 1] = r * math.sin(2 * math.pi * v)
        i += 2
    return out


def module_of(model: nn.Module, node: str) -> nn.Module:
    """A node or group id → the module whose output it means (a group: the stage's or block's)."""
    m = model
    for part in node.split("."):
        m = m[int(part)] if part.isdigit() else getattr(m, part)
    return m


def gradcam(model: nn.Module, x: torch.Tensor, node: str) -> tuple[torch.Tensor, int]:
    store = {}
    h = module_of(model, node).register_forward_hook(lambda _m, _i, out: store.__setitem__("a", out))
    logits = model(x)
    h.remove()
    k = int(logits[0].argmax())
    a = store["a"]
    (g,) = torch.autograd.grad(logits[0, k], [a])
    alpha = g.mean(dim=(2, 3), keepdim=True)
    return torch.relu((alpha * a).sum(1))[0].detach(), k


def input_gradient(model: nn.Module, x: torch.Tensor, k: int) -> torch.Tensor:
    """∂y_K/∂x for every image of the batch x."""
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(x)[:, k].sum(), [x])
    return g


def smoothgrad(model: nn.Module, x: torch.Tensor, k: int, samples: int, sigma: float, seed: int) -> torch.Tensor:
    c, h, w = x.shape[1:]
    lo, hi = float(x.min()), float(x.max())
    s = sigma * (hi - lo)
    noise = seeded_normal(seed, samples * c * h * w).reshape(samples, c, h, w)
    noisy = torch.from_numpy((x.double().numpy() + s * noise).astype(np.float32))
    g = input_gradient(model, noisy, k).double().mean(0)
    return g.abs().amax(0).float()


def occlusion(model: nn.Module, x: torch.Tensor, k: int, patch: int, stride: int) -> torch.Tensor:
    h, w = x.shape[2:]
    rows, cols = (h - patch) // stride + 1, (w - patch) // stride + 1
    with torch.no_grad():
        p = torch.softmax(model(x), 1)[0, k]
        batch = x.repeat(rows * cols, 1, 1, 1)
        for i in range(rows):
            for j in range(cols):
                batch[i * cols + j, :, i * stride:i * stride + patch, j * stride:j * stride + patch] = 0
        q = torch.softmax(model(batch), 1)[:, k]
    return (p - q).reshape(rows, cols)


def make_case(name: str, spec_: dict | None, nodes: list[str], seed: int) -> None:
    d = OUT / name
    d.mkdir(parents=True, exist_ok=True)
    if spec_ is None:
        spec_ = json.loads((BUNDLED / "spec.json").read_text())
        model = build(spec_)
        model.load_state_dict(read_safetensors(BUNDLED / "model.safetensors"), strict=False)
        meta = json.loads((BUNDLED / "meta.json").read_text())
        img = np.asarray(Image.open(SAMPLE).convert("L"), dtype=np.float32) / 255
        x = torch.from_numpy((img - meta["mean"][0]) / meta["std"][0])[None, None].contiguous()
    else:
        torch.manual_seed(seed)
        model = build(spec_)
        randomise(model, seed + 1)
        with torch.no_grad():  # wider logits: occluding a patch then moves p_K far above float32's rounding
            model.fc.weight.mul_(FC_SCALE)
        write_safetensors(d / "weights.safetensors", {k: v for k, v in sorted(model.state_dict().items())
                                                       if not k.endswith("num_batches_tracked")})
        (d / "spec.json").write_text(json.dumps(spec_, indent="\t") + "\n")
        c, h, w = (spec_["input"][k] for k in ("channels", "height", "width"))
        x = torch.randn(1, c, h, w, generator=torch.Generator().manual_seed(seed + 2))
    for m in model.modules():
        if isinstance(m, nn.ReLU):
            m.inplace = False  # a hooked BN output must not be overwritten by its ReLU
    model.eval()
    expected = {}
    with torch.no_grad():
        logits = model(x)
    expected["logits"] = logits
    top = int(logits[0].argmax())
    for node in nodes:
        cam, k = gradcam(model, x, node)
        assert k == top
        assert cam.max() > 0, f"{name}: Grad-CAM at {node} is all zero; pick another node or seed"
        expected[f"gradcam/{node}"] = cam.contiguous()
    classes = logits.shape[1]
    saliency_class = (top + 1) % classes  # an explicit class, not the top-1
    expected["saliency"] = input_gradient(model, x, saliency_class)[0].abs().amax(0).contiguous()
    expected["smoothgrad"] = smoothgrad(model, x, top, **SMOOTHGRAD).contiguous()
    expected["occlusion"] = occlusion(model, x, top, **OCCLUSION).contiguous()
    write_safetensors(d / "input.safetensors", {"input": x.contiguous()})
    write_safetensors(d / "expected.safetensors", {k: expected[k].float() for k in sorted(expected)})
    case = {"bundled": name if name == "fashion-resnet" else None, "nodes": nodes, "top": top,
            "saliencyClass": saliency_class, "smoothgrad": SMOOTHGRAD, "occlusion": OCCLUSION,
            "torch": torch.__version__}
    (d / "case.json").write_text(json.dumps(case, indent="\t") + "\n")
    assert expected["occlusion"].abs().max() > 1e-3, f"{name}: occlusion barely moves p_K; pick another seed"
    print(f"{name}: top {top}, " + ", ".join(f"{k} {list(v.shape)}" for k, v in expected.items()))


def main() -> None:
    torch.set_num_threads(1)
    for name, (s, nodes, seed) in CASES.items():
        make_case(name, s, nodes, seed)


if __name__ == "__main__":
    main()
