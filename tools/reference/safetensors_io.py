"""safetensors read/write for the Python tools (the format: u64 little-endian header size, JSON
header, raw little-endian data, header padded with spaces so the data starts 8-byte aligned).
The one place in tools/ that writes or reads the format; the app's reader is src/lib/weights."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import torch

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def write_safetensors(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    """Writes the tensors in the order given, keeping their dtypes; atomically (temp file + rename)."""
    header: dict = {"__metadata__": metadata} if metadata else {}
    blobs, offset = [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(struct.pack("<Q", len(head)) + head + b"".join(blobs))
    os.replace(tmp, path)


def write_sorted(path: str | Path, tensors: dict[str, torch.Tensor]) -> None:
    """write_safetensors with the keys sorted, so that regenerated fixtures are byte-identical."""
    write_safetensors(path, {k: tensors[k] for k in sorted(tensors)})


def read_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    """Reads an F32 file (what the tools write for models)."""
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {info['dtype']}; only F32 is read here")
        b, e = info["data_offsets"]
        a = np.frombuffer(raw, dtype="<f4", count=(e - b) // 4, offset=8 + n + b)
        out[name] = torch.from_numpy(a.copy()).reshape(info["shape"])
    return out
