"""Write tests/golden/ops.npz and ops.json: torch's results for every spec in tests/specs.

Run with torch 2.13.0 installed, from the repository root:
    python tests/golden/make_ops_golden.py
The files are committed so that the suite checks torchlet against torch without torch.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS))

import torch  # noqa: E402
from opspec import GOLDEN_DIR, all_specs, raised, run  # noqa: E402

assert torch.__version__.startswith("2.13.0"), (
    f"golden files come from torch 2.13.0, not {torch.__version__}"
)
torch.set_num_threads(1)


def main():
    specs, error_specs = all_specs()
    arrays, meta = {}, {}
    for spec in specs:
        result = run(torch, spec)
        fields = {}
        for key, value in result.items():
            if key.startswith("grad_fn"):
                fields[key] = value
            elif value is None:
                fields[key] = None
            else:
                arrays[f"{spec.name}|{key}"] = np.asarray(value)
                fields[key] = "array"
        meta[spec.name] = {"fields": fields}
    for spec in error_specs:
        error = raised(spec.fn, torch)
        if error is None:
            raise SystemExit(f"{spec.name}: torch raised nothing; fix the spec")
        meta[spec.name] = {"error": type(error).__name__, "message": str(error)[:300]}
    np.savez_compressed(GOLDEN_DIR / "ops.npz", **arrays)
    (GOLDEN_DIR / "ops.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"{len(specs)} specs and {len(error_specs)} error specs written to {GOLDEN_DIR}")


if __name__ == "__main__":
    main()
