"""Make the Fashion-MNIST subset that the page trains on (README "Train panel").

Reads Debian's `dataset-fashion-mnist` files (/usr/share/datasets/fashion-mnist/*.gz) and writes

  static/data/fashion-mnist/train.bin   10,000 training images (1,000 per class)
  static/data/fashion-mnist/test.bin     2,000 test images (200 per class)
  tests/fixtures/train-data/fashion-subset.json   a few samples, for tests/unit/train-dataset.test.ts

Deterministic and class-balanced without a random generator: the first `per_class` images of each
class in the file's own order (Fashion-MNIST's files are already shuffled), kept in that order.
Test images come from t10k only, so the page's test accuracy is measured on images that no
training run in this repository has seen.

The packed format (read by src/lib/train/dataset.ts `decodeDataset`), little-endian:

  bytes 0-3    "FMNB" (magic)
  bytes 4-7    uint32 version (1)
  bytes 8-11   uint32 N (images)
  bytes 12-13  uint16 H      bytes 14-15  uint16 W      (one channel)
  bytes 16-19  uint32 classes
  N bytes      labels (uint8, 0 .. classes-1)
  N*H*W bytes  images (uint8, row-major, as in the IDX files: 0 = black background)

    /usr/bin/python3 tools/train/make_fashion_subset.py
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import struct
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = Path("/usr/share/datasets/fashion-mnist")
OUT = ROOT / "static" / "data" / "fashion-mnist"
FIXTURE = ROOT / "tests" / "fixtures" / "train-data" / "fashion-subset.json"
META = ROOT / "static" / "models" / "fashion-resnet" / "meta.json"
MAGIC = b"FMNB"
VERSION = 1
CLASSES = 10


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (the MNIST format): magic (0, 0, dtype, ndim), big-endian dims, raw data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def balanced(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first `per_class` images of every class, in the file's order."""
    keep = np.zeros(len(labels), dtype=bool)
    for c in range(CLASSES):
        idx = np.flatnonzero(labels == c)
        if len(idx) < per_class:
            raise ValueError(f"class {c} has only {len(idx)} images, {per_class} asked")
        keep[idx[:per_class]] = True
    return np.flatnonzero(keep)


def pack(images: np.ndarray, labels: np.ndarray) -> bytes:
    n, h, w = images.shape
    header = MAGIC + struct.pack("<IIHHI", VERSION, n, h, w, CLASSES)
    return header + labels.astype(np.uint8).tobytes() + images.astype(np.uint8).tobytes()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train-per-class", type=int, default=1000)
    ap.add_argument("--test-per-class", type=int, default=200)
    args = ap.parse_args()

    meta = json.loads(META.read_text())
    mean, std = meta["mean"][0], meta["std"][0]
    OUT.mkdir(parents=True, exist_ok=True)
    fixture: dict = {"mean": mean, "std": std, "splits": {}}
    for split, source, per_class in (
        ("train", "train", args.train_per_class),
        ("test", "t10k", args.test_per_class),
    ):
        images = read_idx(DATA / f"{source}-images-idx3-ubyte.gz")
        labels = read_idx(DATA / f"{source}-labels-idx1-ubyte.gz")
        idx = balanced(labels, per_class)
        sub_x, sub_y = images[idx], labels[idx]
        blob = pack(sub_x, sub_y)
        (OUT / f"{split}.bin").write_bytes(blob)
        n = len(idx)
        positions = [0, 1, 2, 7, n // 2, n - 1]
        samples = []
        for p in positions:
            x = sub_x[p].astype(np.float64) / 255.0
            norm = ((x - mean) / std).astype(np.float32)
            # a few pixels on the garment (non-zero), in row-major order
            nz = np.flatnonzero(sub_x[p].reshape(-1))[:: max(1, int(np.count_nonzero(sub_x[p]) // 5))][:5]
            samples.append(
                {
                    "position": p,
                    "sourceIndex": int(idx[p]),
                    "label": int(sub_y[p]),
                    "pixelSum": int(sub_x[p].astype(np.int64).sum()),
                    "pixels": [[int(i), int(sub_x[p].reshape(-1)[i])] for i in nz],
                    "normalised": [[int(i), float(norm.reshape(-1)[i])] for i in [0, *nz.tolist()]],
                }
            )
        fixture["splits"][split] = {
            "file": f"static/data/fashion-mnist/{split}.bin",
            "source": f"{source}-images-idx3-ubyte.gz",
            "count": n,
            "height": int(sub_x.shape[1]),
            "width": int(sub_x.shape[2]),
            "perClass": [int((sub_y == c).sum()) for c in range(CLASSES)],
            "bytes": len(blob),
            "sha256": hashlib.sha256(blob).hexdigest(),
            "samples": samples,
        }
        print(f"{split}: {n} images, {len(blob):,} bytes -> {OUT / f'{split}.bin'}")
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"fixture -> {FIXTURE}")


if __name__ == "__main__":
    main()
