"""Train the bundled demo model `fashion-resnet` on Fashion-MNIST (DESIGN §3.6).

A ResNet-20 (the paper's CIFAR net, §4.2: 3 stages of 3 basic blocks, widths 16/32/64, option A
shortcuts) adapted to 1×28×28 input, built from its ArchSpec by tools/reference/archspec_torch.py
so that the checkpoint keys are torchvision's module paths (DESIGN §3.2).

Reproducible: fixed seeds, CPU, data read straight from Debian's `dataset-fashion-mnist`.

    /usr/bin/python3 tools/train/train_fashion.py            # writes static/models/fashion-resnet/
                                                             # and static/samples/fashion/

Writes after every epoch (so an interrupted run still leaves a usable, honestly labelled model):
  static/models/fashion-resnet/spec.json          the ArchSpec
  static/models/fashion-resnet/model.safetensors  float32 weights + BN running stats
  static/models/fashion-resnet/meta.json          classes, mean, std, testAccuracy, training settings
and at the end 20 test images (two per class, classified correctly) as PNG samples.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "reference"))
from archspec_torch import build  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

DATA = Path("/usr/share/datasets/fashion-mnist")
CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

SPEC = {
    "name": "fashion-resnet",
    "input": {"channels": 1, "height": 28, "width": 28},
    "stem": {"kind": "cifar", "width": 16},
    "block": "basic",
    "expansion": 1,
    "groups": 1,
    "widthPerGroup": 64,
    "stages": [
        {"blocks": 3, "width": 16, "stride": 1},
        {"blocks": 3, "width": 32, "stride": 2},
        {"blocks": 3, "width": 64, "stride": 2},
    ],
    "shortcut": "A",
    "strideOn": "3x3",
    "residual": True,
    "convBias": False,
    "head": {"pool": "avg", "classes": 10},
}

# How the app turns a picture into this model's input: meta.json's "preprocess" (README "meta.json",
# read by src/lib/models/bundled.ts parseMeta for the page and the CLI alike). "convert": "garment"
# selects src/lib/pixels/garment.ts for photos and drawings: trim, keep the aspect, grayscale,
# invert light backgrounds — as Fashion-MNIST was made.
APP_INPUT = {"preprocess": {"resize": "stretch", "invert": False, "convert": "garment"}}


# ---------------------------------------------------------------- data


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (the MNIST format): magic (0, 0, dtype, ndim), big-endian dims, raw data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    images = read_idx(DATA / f"{split}-images-idx3-ubyte.gz")
    labels = read_idx(DATA / f"{split}-labels-idx1-ubyte.gz")
    x = torch.from_numpy(images.copy()).float().div_(255.0).unsqueeze(1)  # N,1,28,28 in 0–1
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


# ---------------------------------------------------------------- augmentation (batched, seeded)


def augment(x: torch.Tensor, g: torch.Generator, pad: int, erase_p: float) -> torch.Tensor:
    """x: B,1,H,W in 0–1. Random crop with `pad` px zero padding, horizontal flip, random erasing."""
    b, _, h, w = x.shape
    xp = F.pad(x, (pad, pad, pad, pad))
    oy = torch.randint(0, 2 * pad + 1, (b,), generator=g)
    ox = torch.randint(0, 2 * pad + 1, (b,), generator=g)
    rows = (oy[:, None] + torch.arange(h))[:, :, None]  # B,H,1
    cols = (ox[:, None] + torch.arange(w))[:, None, :]  # B,1,W
    x = xp[torch.arange(b)[:, None, None], 0, rows, cols].unsqueeze(1)
    flip = torch.rand(b, generator=g) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    # Random erasing (Zhong et al. 2017): one rectangle of 2–15 % of the area, aspect 0.3–3.3,
    # set to the dataset mean (0 after normalisation; here the mean in 0–1 is filled in later).
    area = h * w * (0.02 + 0.13 * torch.rand(b, generator=g))
    log_r = math.log(0.3) + (math.log(3.3) - math.log(0.3)) * torch.rand(b, generator=g)
    r = torch.exp(log_r)
    eh = torch.sqrt(area * r).round().clamp(1, h - 1).long()
    ew = torch.sqrt(area / r).round().clamp(1, w - 1).long()
    y0 = (torch.rand(b, generator=g) * (h - eh + 1)).long()
    x0 = (torch.rand(b, generator=g) * (w - ew + 1)).long()
    on = torch.rand(b, generator=g) < erase_p
    ys = torch.arange(h)[None, :, None]
    xs = torch.arange(w)[None, None, :]
    m = (
        (ys >= y0[:, None, None])
        & (ys < (y0 + eh)[:, None, None])
        & (xs >= x0[:, None, None])
        & (xs < (x0 + ew)[:, None, None])
        & on[:, None, None]
    )
    return x, m.unsqueeze(1)


# ---------------------------------------------------------------- safetensors (no dependency)


def write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent="\t") + "\n")
    os.replace(tmp, path)


# ---------------------------------------------------------------- train / evaluate


@torch.no_grad()
def predict(model, x: torch.Tensor, mean: float, std: float, cl: bool) -> torch.Tensor:
    model.eval()
    out = []
    for i in range(0, len(x), 500):
        xb = (x[i : i + 500] - mean) / std
        if cl:
            xb = xb.contiguous(memory_format=torch.channels_last)
        out.append(model(xb).argmax(1))
    return torch.cat(out)


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-").replace("--", "-")


def write_samples(out: Path, xte: torch.Tensor, yte: torch.Tensor, ok: torch.Tensor) -> None:
    # Samples: the first two test images of each class that the final model classifies correctly.
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    picked = []
    for c in range(10):
        idxs = [int(i) for i in torch.nonzero((yte == c) & ok).flatten()[:2]]
        picked += idxs
    manifest = []
    for i in sorted(picked):
        c = int(yte[i])
        name = f"{i}-{slug(CLASSES[c])}.png"
        img = (xte[i, 0] * 255).round().to(torch.uint8).numpy()
        Image.fromarray(img, mode="L").save(out / name, optimize=True)
        manifest.append({"file": name, "classIndex": c, "className": CLASSES[c], "testIndex": i})
    write_json(
        out / "samples.json",
        {
            "source": "Fashion-MNIST test set (t10k), Zalando Research, MIT licence",
            "samples": manifest,
        },
    )


def evaluate_only(args) -> None:
    """Re-measure the shipped weights (meta.json's accuracies) and rewrite the samples."""
    xte, yte = load_split("t10k")
    meta = json.loads((args.out / "meta.json").read_text())
    model = build(SPEC)
    missing, unexpected = model.load_state_dict(read_safetensors(args.out / "model.safetensors"), strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    ok = predict(model, xte, meta["mean"][0], meta["std"][0], False) == yte
    meta.pop("first1000Accuracy", None)
    meta.update(APP_INPUT)
    meta["testAccuracy"] = round(float(ok.float().mean()), 4)
    meta["every10thAccuracy"] = round(float(ok[::10].float().mean()), 4)
    write_json(args.out / "meta.json", meta)
    write_samples(args.samples, xte, yte, ok)
    print(f"test accuracy {meta['testAccuracy']}, every 10th {meta['every10thAccuracy']}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.15, help="peak learning rate")
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "static" / "models" / "fashion-resnet")
    ap.add_argument("--samples", type=Path, default=ROOT / "static" / "samples" / "fashion")
    ap.add_argument(
        "--eval-only",
        action="store_true",
        help="measure the weights already in --out (meta.json's accuracies) and rewrite the samples",
    )
    ap.add_argument(
        "--state",
        type=Path,
        default=Path("/tmp/fashion-resnet-train-state.pt"),
        help="full training state written after every epoch (model, optimizer, schedule, data RNG)",
    )
    ap.add_argument("--resume", action="store_true", help="continue exactly from --state")
    ap.add_argument(
        "--resume-weights",
        action="store_true",
        help="continue from the weights in --out after meta.json's epochsCompleted (for a run stopped "
        "before --state existed): the data order and augmentation are replayed exactly; the SGD "
        "momentum buffer restarts from zero",
    )
    args = ap.parse_args()
    if args.eval_only:
        torch.set_num_threads(args.threads)
        evaluate_only(args)
        return

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    t_start = time.time()

    xtr, ytr = load_split("train")
    xte, yte = load_split("t10k")
    mean = round(float(xtr.mean()), 4)
    std = round(float(xtr.std()), 4)
    print(f"train {tuple(xtr.shape)} test {tuple(xte.shape)} mean {mean} std {std}", flush=True)

    model = build(SPEC)
    cl = True  # channels_last is ~25 % faster on CPU here; the saved weights are made contiguous (NCHW)
    model = model.to(memory_format=torch.channels_last)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{SPEC['name']}: {n_params} parameters", flush=True)

    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.SGD(
        [{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        momentum=0.9,
        nesterov=True,
    )
    steps_per_epoch = math.ceil(len(xtr) / args.batch)
    total = args.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=total, pct_start=0.15, div_factor=10, final_div_factor=100
    )
    erase_p = 0.5
    settings: dict = {
        "epochs": args.epochs,
        "batch": args.batch,
        "optimizer": f"SGD momentum 0.9 nesterov, weight decay {args.wd} (not on BN/bias)",
        "lrSchedule": f"one-cycle: peak {args.lr}, 15 % warm-up from {args.lr / 10}, cosine down to {args.lr / 1000}",
        "loss": "cross-entropy, label smoothing 0.1",
        "augmentation": f"random crop 28 with 2 px zero padding, horizontal flip, random erasing p={erase_p} "
        "(2-15 % of the area, aspect 0.3-3.3, filled with the mean)",
        "seed": args.seed,
        "threads": args.threads,
        "torch": torch.__version__,
        "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, CPU".replace("  ", " "),
    }

    start_epoch = 1
    wall_before = 0.0
    if args.resume:
        st = torch.load(args.state)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        g.set_state(st["g"])
        start_epoch = st["epoch"] + 1
        wall_before = st["wall"]
        settings.update(st.get("extra", {}))
        print(f"resumed from {args.state} after epoch {st['epoch']}", flush=True)
    elif args.resume_weights:
        old = json.loads((args.out / "meta.json").read_text())
        done = old["training"]["epochsCompleted"]
        model.load_state_dict(read_safetensors(args.out / "model.safetensors"), strict=False)
        # Replay the data RNG exactly as `done` epochs of training drew from it.
        for _ in range(done):
            perm = torch.randperm(len(xtr), generator=g)
            for i in range(0, len(xtr), args.batch):
                augment(xtr[perm[i : i + args.batch]], g, 2, erase_p)
        for _ in range(done * steps_per_epoch):
            opt.step()  # no gradients yet: moves nothing, keeps the scheduler's order of calls
            sched.step()
        start_epoch = done + 1
        wall_before = old["training"]["wallSeconds"]
        settings["resumed"] = (
            f"stopped after epoch {done} ({old['training']['threads']} threads, {wall_before:.0f} s: the shared "
            f"machine was oversubscribed) and continued from its saved weights with {args.threads} thread(s); "
            "data order and augmentation replayed exactly, SGD momentum restarted from zero; the time spent "
            "on the abandoned part of the next epoch is not counted in wallSeconds"
        )
        print(f"resumed from the weights of epoch {done}", flush=True)

    def save(epoch: int, acc: float, acc1000: float, preds: torch.Tensor | None) -> None:
        args.out.mkdir(parents=True, exist_ok=True)
        write_json(args.out / "spec.json", SPEC)
        sd = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
        write_safetensors(args.out / "model.safetensors", sd, {"format": "pt", "model": SPEC["name"]})
        meta = {
            "name": SPEC["name"],
            "description": "ResNet-20 (He et al. 2015, §4.2) adapted to 1×28×28, trained on Fashion-MNIST",
            "dataset": "Fashion-MNIST (Zalando Research, MIT licence): 60,000 training / 10,000 test images",
            "classes": CLASSES,
            "mean": [mean],
            "std": [std],
            "input": "grayscale 28×28, white garment on black background, scaled to 0–1, then (x − mean) / std",
            **APP_INPUT,
            "testAccuracy": round(acc, 4),
            # The 1,000 images 0, 10, 20, …, 9990 of the test set (tests/unit/fashion.test.ts runs them in tfjs).
            "every10thAccuracy": round(acc1000, 4),
            "params": n_params,
            "training": {
                **settings,
                "epochsCompleted": epoch,
                "wallSeconds": round(wall_before + time.time() - t_start, 1),
            },
        }
        write_json(args.out / "meta.json", meta)

    if start_epoch > args.epochs:
        print(f"all {args.epochs} epochs are done already; nothing to train", flush=True)
        return
    ls = 0.1
    for epoch in range(start_epoch, args.epochs + 1):
        model.train()
        t0 = time.time()
        perm = torch.randperm(len(xtr), generator=g)
        tot_loss, tot_n, tot_ok = 0.0, 0, 0
        for i in range(0, len(xtr), args.batch):
            idx = perm[i : i + args.batch]
            xb, m = augment(xtr[idx], g, 2, erase_p)
            xb = (xb - mean) / std
            xb = xb.masked_fill(m, 0.0)  # erased region = the mean
            xb = xb.contiguous(memory_format=torch.channels_last)
            yb = ytr[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=ls)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot_loss += float(loss) * len(idx)
            tot_n += len(idx)
            tot_ok += int((logits.argmax(1) == yb).sum())
        preds = predict(model, xte, mean, std, cl)
        ok = preds == yte
        acc = float(ok.float().mean())
        acc1000 = float(ok[::10].float().mean())
        save(epoch, acc, acc1000, preds)
        torch.save(
            {
                "epoch": epoch,
                "model": model.state_dict(),
                "opt": opt.state_dict(),
                "sched": sched.state_dict(),
                "g": g.get_state(),
                "wall": wall_before + time.time() - t_start,
                "extra": {k: settings[k] for k in ("resumed",) if k in settings},
            },
            args.state,
        )
        print(
            f"epoch {epoch:2d}/{args.epochs}  loss {tot_loss / tot_n:.4f}  train acc {tot_ok / tot_n:.4f}  "
            f"test acc {acc:.4f}  every-10th {acc1000:.4f}  epoch {time.time() - t0:.0f} s  "
            f"elapsed {time.time() - t_start:.0f} s",
            flush=True,
        )

    write_samples(args.samples, xte, yte, ok)
    print(f"done in {time.time() - t_start:.0f} s: test accuracy {acc:.4f}", flush=True)


if __name__ == "__main__":
    main()
