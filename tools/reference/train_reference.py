"""Reference training runs for the tfjs trainer (src/lib/runtime/train.ts), computed by PyTorch.

For each case below: a small network built from its ArchSpec (archspec_torch.build), fixed-seed
weights with non-trivial BatchNorm (random gamma, beta, running mean and variance), a small
dataset, and K steps of torch.optim.SGD or torch.optim.Adam on batches in the `--no-shuffle`
order of DESIGN §3.4 (batch j = samples j·B … j·B+B−1 mod N), mean cross-entropy, the network in
training mode (BN batch statistics and running updates, momentum 0.1) — or, for a frozen
backbone, in eval mode with only fc given to the optimiser. Per case, into a folder:

  spec.json             the ArchSpec
  init.safetensors      the initial state_dict (num_batches_tracked left out)
  data.safetensors      `images` N,C,H,W float32 and `labels` N int64
  expected.safetensors  the state_dict after K steps
  case.json             steps, batch, optimiser, freeze, and the K losses (each before its update)

A case may train under a learning-rate schedule (SCHEDULED: one-cycle, whose default
cycle_momentum also sets SGD's momentum and Adam's β1 every step); case.json then holds it.

Also schedules.json: the learning rates PyTorch's MultiStepLR, CosineAnnealingLR and OneCycleLR
give step by step, and the momentum OneCycleLR sets (with cycle_momentum, its default).

  PYTHONPATH=TIMM /usr/bin/python3 tools/reference/train_reference.py     # → tests/fixtures/train
      (TIMM: timm 1.0.29's wheel unzipped, for the family cases: SE, ECA, shortcut D, deep stem,
      pre-activation, built by timm itself through archspec_timm)
  /usr/bin/python3 tools/reference/train_reference.py --bench SPEC.json --batch 64 --threads 2
      # times training steps on the CPU (bench/train.ts); prints {"times": [ms per step]}
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from archspec_torch import build, spec_json  # noqa: E402
from safetensors_io import write_sorted as write_safetensors  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "train"


spec = partial(spec_json, channels=3, h=12, w=12, stem=("cifar", 4), block="basic", expansion=1, groups=1, wpg=64,
               stages=((1, 4, 1), (1, 8, 2)), shortcut="A", stride_on="3x3", residual=True, bias=False, pool="avg",
               classes=5)


SGD = {"kind": "sgd", "lr": 0.1, "momentum": 0.9, "weightDecay": 5e-4}
ADAM = {"kind": "adam", "lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weightDecay": 1e-4}

# name → (spec, optimiser, freeze, N, batch, steps)
CASES = {
    "basic-a-sgd": (spec("basic-a-sgd", stages=((2, 4, 1), (1, 8, 2))), SGD, "none", 10, 4, 4),
    "bottleneck-b-adam": (
        spec("bottleneck-b-adam", h=20, w=20, stem=("imagenet", 8), block="bottleneck", expansion=4,
             stages=((1, 4, 1), (1, 8, 2)), shortcut="B"),
        ADAM, "none", 8, 4, 3,
    ),
    "groups-c-sgd": (
        spec("groups-c-sgd", h=9, w=9, stem=("cifar", 8), block="bottleneck", expansion=2, groups=4, wpg=16,
             stages=((1, 8, 1), (1, 8, 2)), shortcut="C", stride_on="1x1"),
        {"kind": "sgd", "lr": 0.05, "momentum": 0.0, "weightDecay": 0.0}, "none", 6, 3, 3,
    ),
    "plain-flatten-bias": (
        spec("plain-flatten-bias", channels=1, h=11, w=11, residual=False, bias=True, pool="flatten"),
        {"kind": "sgd", "lr": 0.05, "momentum": 0.5, "weightDecay": 1e-3}, "none", 7, 3, 4,
    ),
    "basic-b-momentum-no-decay": (
        spec("basic-b-momentum-no-decay", channels=1, h=10, w=10, shortcut="B"),
        {"kind": "sgd", "lr": 0.1, "momentum": 0.9, "weightDecay": 0.0}, "none", 6, 3, 3,
    ),
    "frozen-backbone": (spec("frozen-backbone", stages=((1, 4, 1), (1, 8, 2))), SGD, "backbone", 8, 4, 3),
    "last-stage-trains": (
        spec("last-stage-trains", stages=((1, 4, 1), (1, 8, 2)), shortcut="B"), ADAM, {"lastStages": 1}, 8, 4, 3,
    ),
}

# Cases trained under a schedule (our Schedule JSON → PyTorch's scheduler, stepped after each step).
SCHEDULED = {
    "onecycle-sgd": {"kind": "onecycle"},
    "onecycle-adam": {"kind": "onecycle", "pctStart": 0.5, "divFactor": 5, "finalDivFactor": 10},
}
CASES["onecycle-sgd"] = (spec("onecycle-sgd", stages=((1, 4, 1), (1, 8, 2)), shortcut="B"), SGD, "none", 12, 3, 6)
CASES["onecycle-adam"] = (spec("onecycle-adam", channels=1, h=10, w=10), ADAM, "none", 12, 3, 6)


def make_scheduler(schedule: dict, optimizer, total: int):
    assert schedule["kind"] == "onecycle"
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=optimizer.param_groups[0]["lr"], total_steps=total,
        pct_start=schedule.get("pctStart", 0.3), div_factor=schedule.get("divFactor", 25.0),
        final_div_factor=schedule.get("finalDivFactor", 1e4))


# The ResNet family (issue 12), built by timm 1.0.29 itself (archspec_timm; timm on PYTHONPATH);
# timm's ResNet runs exactly four stages.
FAMILY = {
    "se-d-deep-stem": (
        {**spec("se-d-deep-stem", h=32, w=32, stem=("deep", 16),
              stages=((1, 4, 1), (1, 8, 2), (1, 8, 2), (1, 8, 2)), shortcut="D"),
         "attention": {"kind": "se", "ratio": 0.25, "divisor": 4}},
        SGD, "none", 6, 3, 3,
    ),
    "eca-bottleneck": (
        {**spec("eca-bottleneck", h=20, w=20, stem=("deep", 16), block="bottleneck", expansion=4,
                stages=((1, 2, 1), (1, 2, 2), (1, 4, 2), (1, 4, 2)), shortcut="B"),
         "stem": {"kind": "deep", "width": 16, "pool": "none"},
         "attention": {"kind": "eca", "gamma": 2, "beta": 1}},
        ADAM, "none", 6, 3, 3,
    ),
    "preact-basic": (
        {**spec("preact-basic", channels=1, h=12, w=12, stem=("cifar", 8), stages=((1, 8, 1), (1, 16, 2)),
                shortcut="B"), "order": "pre"},
        SGD, "none", 6, 3, 3,
    ),
    # stochastic depth: timm's DropPath, its masks drawn from the trainer's seeded stream (below)
    "droppath-d": (
        {**spec("droppath-d", h=24, w=24, stem=("deep", 8),
                stages=((2, 4, 1), (1, 8, 2), (1, 8, 2), (1, 8, 2)), shortcut="D"), "dropPath": 0.4},
        SGD, "none", 8, 4, 4,
    ),
    "droppath-preact": (
        {**spec("droppath-preact", channels=1, h=12, w=12, stem=("cifar", 8), stages=((2, 8, 1), (2, 16, 2)),
                shortcut="B"), "order": "pre", "dropPath": 0.5},
        ADAM, "none", 8, 4, 4,
    ),
}


def seeded_drop_path(seed: int):
    """timm's drop_path with its per-sample Bernoulli draws taken, in order, from the trainer's
    stream (mulberry32(seed), src/lib/weights/init.ts): keep where u < 1 − rate, scaled by
    1 / (1 − rate). The rule, the place and the scaling stay timm's; only the random numbers are
    shared, so that the runs can be compared step by step."""
    from explain_reference import mulberry32

    uniform = mulberry32(seed)

    def drop_path(x, drop_prob: float = 0.0, training: bool = False, scale_by_keep: bool = True):
        if drop_prob == 0.0 or not training:
            return x
        keep = 1 - drop_prob
        u = torch.tensor([uniform() for _ in range(x.shape[0])], dtype=torch.float64)
        drop_path.draws += x.shape[0]
        mask = (u < keep).to(x.dtype)
        if keep > 0.0 and scale_by_keep:
            mask = mask / keep
        return x * mask.view((-1,) + (1,) * (x.ndim - 1))

    drop_path.draws = 0
    return drop_path


def build_model(name: str, sp: dict) -> nn.Module:
    if name in FAMILY:
        from archspec_timm import build_timm  # needs timm (not a Debian package)

        return build_timm(sp)
    return build(sp)


def randomise_bn(model: nn.Module, g: torch.Generator) -> None:
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=g)
            m.bias.data = 0.2 * torch.randn(c, generator=g)
            m.running_mean.data = 0.1 * torch.randn(c, generator=g)
            m.running_var.data = 0.5 + torch.rand(c, generator=g)


def state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def make_optimizer(opt: dict, params):
    if opt["kind"] == "sgd":
        return torch.optim.SGD(params, lr=opt["lr"], momentum=opt["momentum"], weight_decay=opt["weightDecay"])
    return torch.optim.Adam(params, lr=opt["lr"], betas=tuple(opt["betas"]), eps=opt["eps"],
                            weight_decay=opt["weightDecay"])


def run_case(name: str, out: Path) -> None:
    sp, opt, freeze, n, batch, steps = {**CASES, **FAMILY}[name]
    seed = sum(map(ord, name))
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = build_model(name, sp)
    dropper = None
    if sp.get("dropPath"):
        import timm.layers.drop

        dropper = seeded_drop_path(seed)
        timm.layers.drop.drop_path = dropper  # DropPath.forward looks it up per call
    randomise_bn(model, g)
    init = state(model)
    model.double()  # float64 reference: our float32 is compared with the exact result
    c, h, w = (sp["input"][k] for k in ("channels", "height", "width"))
    images = torch.randn(n, c, h, w, generator=g)
    labels = torch.randint(0, sp["head"]["classes"], (n,), generator=g)
    # weights and data as float32 (what the files hold), the run in float64 from those values
    init32 = {k: v.float() for k, v in init.items()}
    model.load_state_dict({k: v.double() for k, v in init32.items()}, strict=False)
    if freeze == "backbone":
        model.eval()
        params = list(model.fc.parameters())
    elif isinstance(freeze, dict):  # the last k stages and the head train; the rest in eval mode
        stages = len(sp["stages"])
        trained = [f"layer{i + 1}" for i in range(stages - freeze["lastStages"], stages)] + ["fc"]
        model.train()
        for name_, module in model.named_children():
            if name_ not in trained:
                module.eval()
        params = [p for n_, p in model.named_parameters() if n_.split(".")[0] in trained]
    else:
        model.train()
        params = list(model.parameters())
    optimizer = make_optimizer(opt, params)
    schedule = SCHEDULED.get(name)
    scheduler = make_scheduler(schedule, optimizer, steps) if schedule else None
    losses = []
    for j in range(steps):
        idx = torch.tensor([(j * batch + i) % n for i in range(batch)])
        x, y = images[idx].double(), labels[idx]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        if scheduler:
            scheduler.step()
        losses.append(loss.item())
    if dropper is not None:  # every block after the first drew one number per sample per step
        blocks = sum(s_["blocks"] for s_ in sp["stages"])
        assert dropper.draws == steps * batch * (blocks - 1), (name, dropper.draws)
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "spec.json").write_text(json.dumps(sp, indent="\t") + "\n")
    write_safetensors(d / "init.safetensors", init32)
    write_safetensors(d / "data.safetensors", {"images": images, "labels": labels})
    write_safetensors(d / "expected.safetensors", {k: v.float() for k, v in state(model).items()})
    case = {"optimizer": opt, "freeze": freeze, "steps": steps, "batch": batch, "losses": losses,
            **({"schedule": schedule} if schedule else {}), **({"seed": seed} if sp.get("dropPath") else {})}
    (d / "case.json").write_text(json.dumps(case, indent="\t") + "\n")
    print(f"{name}: losses {[round(l, 4) for l in losses]}")


def fashion(out: Path) -> None:
    """`train --data fashion-mnist:8` reference: the bundled fashion-resnet, the first 8 training
    images of Debian's dataset-fashion-mnist scaled to 0–1 and normalised with its meta.json,
    3 SGD steps of batch 4 in order; the losses → fashion-mnist.json."""
    import gzip

    import numpy as np

    from safetensors_io import read_safetensors

    model_dir = ROOT / "static" / "models" / "fashion-resnet"
    sp = json.loads((model_dir / "spec.json").read_text())
    meta = json.loads((model_dir / "meta.json").read_text())
    n, batch, steps = 8, 4, 3
    data = Path("/usr/share/datasets/fashion-mnist")
    raw = gzip.decompress((data / "train-images-idx3-ubyte.gz").read_bytes())
    lab = gzip.decompress((data / "train-labels-idx1-ubyte.gz").read_bytes())
    images = np.frombuffer(raw, dtype=np.uint8, count=n * 784, offset=16).astype(np.float64) / 255
    images = (images - meta["mean"][0]) / meta["std"][0]
    x_all = torch.from_numpy(images).reshape(n, 1, 28, 28)
    y_all = torch.from_numpy(np.frombuffer(lab, dtype=np.uint8, count=n, offset=8).astype(np.int64))
    model = build(sp).double()
    model.load_state_dict({k: v.double() for k, v in read_safetensors(model_dir / "model.safetensors").items()},
                          strict=False)
    model.train()
    opt = make_optimizer({"kind": "sgd", "lr": 0.05, "momentum": 0.9, "weightDecay": 5e-4}, model.parameters())
    losses = []
    for j in range(steps):
        idx = torch.tensor([(j * batch + i) % n for i in range(batch)])
        opt.zero_grad()
        loss = F.cross_entropy(model(x_all[idx]), y_all[idx])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    case = {"data": f"fashion-mnist:{n}", "steps": steps, "batch": batch, "lr": 0.05, "momentum": 0.9,
            "weightDecay": 5e-4, "losses": losses}
    (out / "fashion-mnist.json").write_text(json.dumps(case, indent="\t") + "\n")
    print(f"fashion-mnist:{n}: losses {[round(l, 4) for l in losses]}")


def schedules(out: Path) -> None:
    total, base = 20, 0.1
    result = {"totalSteps": total, "baseLr": base, "schedules": []}

    def record(kind: dict, make):
        p = nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=base, momentum=0.9)
        sched = make(opt)
        lrs, momenta = [], []
        for _ in range(total):
            lrs.append(opt.param_groups[0]["lr"])
            momenta.append(opt.param_groups[0]["momentum"])
            opt.step()
            sched.step()
        # momenta: what the param group's momentum is at each step (0.9, as set, unless cycled)
        result["schedules"].append({"schedule": kind, "lrs": lrs, "momenta": momenta})

    lr = torch.optim.lr_scheduler
    record({"kind": "step", "milestones": [5, 12], "gamma": 0.1}, lambda o: lr.MultiStepLR(o, [5, 12], 0.1))
    record({"kind": "cosine"}, lambda o: lr.CosineAnnealingLR(o, T_max=total))
    record({"kind": "onecycle", "cycleMomentum": False},
           lambda o: lr.OneCycleLR(o, max_lr=base, total_steps=total, cycle_momentum=False))
    record({"kind": "onecycle", "pctStart": 0.25, "divFactor": 10, "finalDivFactor": 100, "cycleMomentum": False},
           lambda o: lr.OneCycleLR(o, max_lr=base, total_steps=total, pct_start=0.25, div_factor=10,
                                   final_div_factor=100, cycle_momentum=False))
    record({"kind": "onecycle"}, lambda o: lr.OneCycleLR(o, max_lr=base, total_steps=total))
    record({"kind": "onecycle", "pctStart": 0.4, "baseMomentum": 0.8, "maxMomentum": 0.9},
           lambda o: lr.OneCycleLR(o, max_lr=base, total_steps=total, pct_start=0.4, base_momentum=0.8,
                                   max_momentum=0.9))
    (out / "schedules.json").write_text(json.dumps(result, indent="\t") + "\n")


def bench(spec_file: Path, batch: int, threads: int, warmup: int, runs: int) -> None:
    """Milliseconds per training step (SGD, momentum 0.9, weight decay 5e-4, float32, train mode)."""
    import time

    torch.set_num_threads(threads)
    sp = json.loads(spec_file.read_text())
    torch.manual_seed(1)
    model = build(sp).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    c, h, w = (sp["input"][k] for k in ("channels", "height", "width"))
    x = torch.sin(torch.arange(batch * c * h * w, dtype=torch.float32) * 0.731).reshape(batch, c, h, w)
    y = torch.arange(batch) % sp["head"]["classes"]
    times = []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"times": times, "threads": torch.get_num_threads(), "torch": torch.__version__}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--bench", type=Path, help="time training steps of this spec instead")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    if args.bench:
        bench(args.bench, args.batch, args.threads, args.warmup, args.runs)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    for name in CASES:
        run_case(name, args.out)
    for name in FAMILY:
        run_case(name, args.out)
    fashion(args.out)
    schedules(args.out)


if __name__ == "__main__":
    main()
