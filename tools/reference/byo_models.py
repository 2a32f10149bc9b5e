"""ResNets written the way tutorial authors write them, each with its own module names and layout,
plus torchvision's own classes: the references for reading an architecture from a checkpoint
(issue 11: "bring your own ResNet").

For each network: random weights and BN statistics (seeded), saved with torch.save as a plain
state_dict (`weights.pth`), PyTorch's parameter count, a fixed input and PyTorch's logits in eval
mode (`io.safetensors`: `input` N×C×H×W, `logits` N×classes). Three are also saved whole
(`torch.save(model)`: `whole.pth`). One small network is also saved inside the wrappers and with
the prefixes training scripts write (`wrappers/*.pth`), and `hostile/*.pth` are pickles that would
run code if unpickled by Python (they must be refused). `timm_resnet_d.pth` is timm's ResNet-D (deep
stem, average-pool downsampling), a state_dict only: it opens as its network (issue 12), which the
unit test checks against timm's parameter count. Widths are small so that every file stays small
enough to commit.

    /usr/bin/python3 tools/reference/byo_models.py tests/fixtures/byo
"""

from __future__ import annotations

import json
import sys
from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, str(Path(__file__).parent))
from safetensors_io import write_safetensors  # noqa: E402


# --------------------------------------------------------------------------------------------------
# 1. "aladdin": a ResNet-50-style network after the well-known YouTube tutorial — a class called
#    `block`, the projection named `identity_downsample` (here registered before the block's convs),
#    torchvision-like stem and head. 3 channels, 10 classes, base width 8.
class block(nn.Module):  # noqa: N801 (the tutorial's name)
    def __init__(self, in_channels, intermediate_channels, identity_downsample=None, stride=1):
        super().__init__()
        self.expansion = 4
        self.identity_downsample = identity_downsample
        self.conv1 = nn.Conv2d(in_channels, intermediate_channels, kernel_size=1, stride=1, padding=0, bias=False)
        self.bn1 = nn.BatchNorm2d(intermediate_channels)
        self.conv2 = nn.Conv2d(intermediate_channels, intermediate_channels, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(intermediate_channels)
        self.conv3 = nn.Conv2d(intermediate_channels, intermediate_channels * self.expansion, kernel_size=1, stride=1, padding=0, bias=False)
        self.bn3 = nn.BatchNorm2d(intermediate_channels * self.expansion)
        self.relu = nn.ReLU()

    def forward(self, x):
        identity = x.clone()
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        if self.identity_downsample is not None:
            identity = self.identity_downsample(identity)
        return self.relu(x + identity)


class AladdinResNet(nn.Module):
    def __init__(self, layers, image_channels, num_classes, base=8):
        super().__init__()
        self.in_channels = base
        self.conv1 = nn.Conv2d(image_channels, base, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(layers[0], base, stride=1)
        self.layer2 = self._make_layer(layers[1], base * 2, stride=2)
        self.layer3 = self._make_layer(layers[2], base * 4, stride=2)
        self.layer4 = self._make_layer(layers[3], base * 8, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(base * 8 * 4, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))

    def _make_layer(self, num_residual_blocks, intermediate_channels, stride):
        identity_downsample = None
        layers = []
        if stride != 1 or self.in_channels != intermediate_channels * 4:
            identity_downsample = nn.Sequential(
                nn.Conv2d(self.in_channels, intermediate_channels * 4, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(intermediate_channels * 4),
            )
        layers.append(block(self.in_channels, intermediate_channels, identity_downsample, stride))
        self.in_channels = intermediate_channels * 4
        for _ in range(num_residual_blocks - 1):
            layers.append(block(self.in_channels, intermediate_channels))
        return nn.Sequential(*layers)


# --------------------------------------------------------------------------------------------------
# 2. "sequential": everything in nn.Sequential (keys `stem.0.weight`, `stages.1.0.body.3.weight`,
#    `stages.1.0.shortcut.0.bias`, `head.1.weight`), biases on the shortcut convs only, a flatten
#    head, 1-channel 28×28 input (MNIST-like), 10 classes.
class ResidualBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=True), nn.BatchNorm2d(cout))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        return F.relu(self.body(x) + self.shortcut(x))


class SequentialResNet(nn.Module):
    def __init__(self, widths=(4, 8, 16), blocks=(2, 1, 1), in_ch=1, classes=10, side=28):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_ch, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        stages, cin = [], widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            stages.append(nn.Sequential(*[ResidualBlock(cin if j == 0 else w, w, (1 if i == 0 else 2) if j == 0 else 1) for j in range(n)]))
            cin = w
        self.stages = nn.Sequential(*stages)
        final = side // 2 ** (len(widths) - 1)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(widths[-1] * final * final, classes))

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


# --------------------------------------------------------------------------------------------------
# 3. "kuangliu": the pytorch-cifar repository's ResNet — `shortcut = nn.Sequential()` when the shape
#    stays, the head named `linear`, F.avg_pool2d(out, 4) on a 4×4 map. 3×32×32, 10 classes.
class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class KuangliuResNet(nn.Module):
    def __init__(self, num_blocks, num_classes=10, base=4):
        super().__init__()
        self.in_planes = base
        self.conv1 = nn.Conv2d(3, base, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        self.layer1 = self._make_layer(base, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(base * 2, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(base * 4, num_blocks[2], stride=2)
        self.layer4 = self._make_layer(base * 8, num_blocks[3], stride=2)
        self.linear = nn.Linear(base * 8, num_classes)

    def _make_layer(self, planes, num_blocks, stride):
        layers = []
        for s in [stride] + [1] * (num_blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, 4)
        return self.linear(out.view(out.size(0), -1))


# --------------------------------------------------------------------------------------------------
# 4. "custom": a ResNeXt-like network of a custom block class in a flat ModuleList — its convs
#    declared before its norms (c1, c2, c3, n1, n2, n3), the projection `skip` declared first, every
#    conv with a bias (Keras habit), 2 groups, expansion 2, a 7×7 stem in `entry`, head `classifier`.
class XBlock(nn.Module):
    def __init__(self, cin, width, stride, groups=2, expansion=2):
        super().__init__()
        cout = width * expansion
        self.skip = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=True), nn.BatchNorm2d(cout)) if stride != 1 or cin != cout else None
        )
        self.c1 = nn.Conv2d(cin, width, 1, bias=True)
        self.c2 = nn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=True)
        self.c3 = nn.Conv2d(width, cout, 1, bias=True)
        self.n1 = nn.BatchNorm2d(width)
        self.n2 = nn.BatchNorm2d(width)
        self.n3 = nn.BatchNorm2d(cout)

    def forward(self, x):
        y = F.relu(self.n1(self.c1(x)))
        y = F.relu(self.n2(self.c2(y)))
        y = self.n3(self.c3(y))
        return F.relu(y + (self.skip(x) if self.skip is not None else x))


class CustomResNeXt(nn.Module):
    def __init__(self, widths=(8, 16, 32), blocks=(1, 2, 1), classes=7):
        super().__init__()
        self.entry = nn.Sequential(
            nn.Conv2d(3, 8, 7, 2, 3, bias=True), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)
        )
        mods, cin = [], 8
        for i, (w, n) in enumerate(zip(widths, blocks)):
            for j in range(n):
                mods.append(XBlock(cin, w, (1 if i == 0 else 2) if j == 0 else 1))
                cin = w * 2
        self.blocks = nn.ModuleList(mods)
        self.classifier = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.entry(x)
        for b in self.blocks:
            x = b(x)
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


# --------------------------------------------------------------------------------------------------
# 5. "torchvision": torchvision's own ResNet, BasicBlock and _make_layer, at a small width
#    (its __init__ fixes 64…512 channels, so the layers are rebuilt with its own _make_layer).
def torchvision_small(classes=10):
    from torchvision.models.resnet import Bottleneck, ResNet

    m = ResNet(Bottleneck, [1, 1, 1, 1], num_classes=classes)
    m.inplanes = 8
    m.conv1 = nn.Conv2d(3, 8, kernel_size=7, stride=2, padding=3, bias=False)
    m.bn1 = nn.BatchNorm2d(8)
    m.layer1 = m._make_layer(Bottleneck, 4, 1)
    m.layer2 = m._make_layer(Bottleneck, 8, 2, stride=2)
    m.layer3 = m._make_layer(Bottleneck, 16, 1, stride=2)
    m.layer4 = m._make_layer(Bottleneck, 32, 1, stride=2)
    m.fc = nn.Linear(32 * 4, classes)
    return m


# --------------------------------------------------------------------------------------------------
# 6. "timm": timm's own ResNet class (timm 1.0.29; its names are torchvision's), small channels,
#    2 groups. timm is not a Debian package: unpack its wheel and put it on PYTHONPATH to
#    regenerate; without it this case and `timm_resnet_d.pth` are left as they are.
def timm_small(classes=10):
    from timm.models.resnet import Bottleneck, ResNet

    return ResNet(Bottleneck, [1, 2, 1, 1], num_classes=classes, channels=(4, 8, 16, 32), stem_width=8, cardinality=2, base_width=32)


def timm_resnet_d(classes=10):
    """timm's ResNet-D (deep stem, average-pool downsampling): read as stem "deep", shortcut "D"."""
    from timm.models.resnet import BasicBlock, ResNet

    return ResNet(BasicBlock, [1, 1, 1, 1], num_classes=classes, channels=(4, 8, 16, 32), stem_width=8, stem_type="deep", avg_down=True)


try:
    import timm  # noqa: F401

    HAVE_TIMM = True
except ImportError:
    HAVE_TIMM = False

NETWORKS = {
    "aladdin": (lambda: AladdinResNet([1, 2, 1, 1], image_channels=3, num_classes=10), (3, 64, 64)),
    "sequential": (lambda: SequentialResNet(), (1, 28, 28)),
    "kuangliu": (lambda: KuangliuResNet([2, 1, 1, 1]), (3, 32, 32)),
    "custom": (lambda: CustomResNeXt(), (3, 48, 48)),
    "torchvision": (torchvision_small, (3, 64, 64)),
    **({"timm": (timm_small, (3, 64, 64))} if HAVE_TIMM else {}),
}


WHOLE = {"sequential", "kuangliu", "custom"}


class _Call:
    """Unpickled by Python, this calls fn(*args): what a hostile checkpoint does."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def hostile(d: Path) -> None:
    import os

    d.mkdir(exist_ok=True)
    torch.save({"conv.weight": torch.zeros(1, 1, 1, 1), "x": _Call(os.system, "echo pwned")}, d / "system.pth")
    torch.save({"state_dict": {"w": torch.zeros(1)}, "x": _Call(eval, "1+1")}, d / "eval.pth")
    # a whole model with a module attribute that calls os.system when unpickled
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    m.payload = _Call(os.system, "echo pwned")
    torch.save(m, d / "whole_model_system.pth")


def randomise(model: nn.Module, gen: torch.Generator) -> None:
    """Random weights and BN statistics, so that a wrong mapping cannot go unnoticed."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=gen) + 0.5)
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=gen) * 0.1)
                mod.running_mean.copy_(torch.randn(mod.running_mean.shape, generator=gen) * 0.1)
                mod.running_var.copy_(torch.rand(mod.running_var.shape, generator=gen) + 0.5)
            elif isinstance(mod, (nn.Conv2d, nn.Linear)):
                fan_in = mod.weight[0].numel()
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                if mod.bias is not None:
                    mod.bias.copy_(torch.randn(mod.bias.shape, generator=gen) * 0.1)


def main(out: Path) -> None:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(11)
    out.mkdir(parents=True, exist_ok=True)
    cases_file = out / "cases.json"
    cases = json.loads(cases_file.read_text()) if cases_file.exists() else {}
    for name, (make, (c, h, w)) in NETWORKS.items():
        model = make()
        randomise(model, gen)
        model.eval()
        x = torch.randn((2, c, h, w), generator=gen)
        with torch.no_grad():
            logits = model(x)
        d = out / name
        d.mkdir(exist_ok=True)
        sd = model.state_dict()
        torch.save(sd, d / "weights.pth")
        write_safetensors(d / "io.safetensors", {"input": x, "logits": logits})
        cases[name] = {
            "params": sum(p.numel() for p in model.parameters()),
            "input": [c, h, w],
            "classes": logits.shape[1],
            "keys": len(sd),
        }
        if name in WHOLE:
            torch.save(model, d / "whole.pth")
        if name == "sequential":
            wrappers(out / "wrappers", sd, model, gen)
    hostile(out / "hostile")
    if HAVE_TIMM:
        m = timm_resnet_d()
        randomise(m, gen)
        torch.save(m.state_dict(), out / "timm_resnet_d.pth")
    else:
        print("timm not importable: the timm cases are left as they are")
    cases_file.write_text(json.dumps(cases, indent=1) + "\n")


def wrappers(d: Path, sd: OrderedDict, model: nn.Module, gen: torch.Generator) -> None:
    """The one network inside what training scripts save; every file's network is `sd`."""
    d.mkdir(exist_ok=True)
    prefixed = lambda p: OrderedDict((p + k, v) for k, v in sd.items())  # noqa: E731
    # an EMA copy that differs, so that choosing it instead would show in the logits
    ema = OrderedDict((k, v + 0.5 if v.is_floating_point() else v) for k, v in sd.items())
    files = {
        # the ImageNet example's checkpoint: best_acc1 is a tensor at the top level
        "state_dict_best_acc1": {"epoch": 5, "arch": "resnet", "state_dict": prefixed("module."), "best_acc1": torch.tensor(71.5), "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]}},
        "model_state_dict": {"epoch": 3, "model_state_dict": sd, "optimizer_state_dict": {"state": {}, "param_groups": [{"lr": 0.01}]}, "loss": torch.tensor(0.25)},
        "model": {"model": sd, "epoch": 1},
        "state_dict_and_ema": {"state_dict": sd, "state_dict_ema": ema},
        "model_ema": {"model_ema": sd},
        "lightning": {"epoch": 2, "global_step": 100, "pytorch-lightning_version": "2.1.0", "state_dict": prefixed("model.")},
        "compiled": prefixed("_orig_mod."),
        "whole_model_in_dict": {"model": model, "epoch": 7},
        "dataparallel_compiled": prefixed("module._orig_mod."),
    }
    for name, obj in files.items():
        torch.save(obj, d / f"{name}.pth")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/byo"))
