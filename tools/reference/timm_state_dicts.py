"""The state_dict keys and shapes (no values) of timm's own ResNet-family constructors.

For every name below: timm.create_model(name) (timm 1.0.29, from the wheel on PYTHONPATH), its
state_dict's keys in timm's order with their shapes (`num_batches_tracked` included, as timm
writes it) and its parameter count, into tests/fixtures/family/timm-state-dicts.json.
tests/unit/infer-arch-family.test.ts reads these key lists back as the checkpoints they are and
must find the network timm built.

  PYTHONPATH=/path/to/unzipped/timm-wheel /usr/bin/python3 tools/reference/timm_state_dicts.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

try:
    import timm
except ImportError:
    sys.exit("error: timm is not importable: unzip /opt/pypi/files/timm-1.0.29-py3-none-any.whl and put it on PYTHONPATH")

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "family" / "timm-state-dicts.json"

NAMES = [
    "resnet50",
    "resnet18d",
    "resnet34d",
    "resnet26t",
    "resnet50c",
    "resnet50s",
    "resnet50d",
    "seresnet50",
    "seresnext50_32x4d",
    "ecaresnet50d",
    "resnetrs50",
    "resnetv2_18",
    "resnetv2_50",
    "resnetv2_50d",
]


def main() -> None:
    out = {"timm": timm.__version__, "models": {}}
    for name in NAMES:
        m = timm.create_model(name, pretrained=False)
        sd = m.state_dict()
        out["models"][name] = {
            "params": sum(p.numel() for p in m.parameters()),
            "keys": [[k, list(v.shape)] for k, v in sd.items()],
        }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(NAMES)} models)")


if __name__ == "__main__":
    main()
