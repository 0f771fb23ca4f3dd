"""Writes tests/golden/serial18/: small files written by torch.save, read by
tests/test_hunt18_serial.py without torch.

    .venv/bin/python tests/golden/make_serial18.py

* legacy.pt: the legacy (pre-1.6) format (``_use_new_zipfile_serialization=False``): views
  sharing a storage, an int64 tensor, a Parameter, Python values;
* meta.pt: meta tensors (saved without storage);
* storages.pt: a TypedStorage and an UntypedStorage saved by themselves, with a tensor
  that shares the typed one;
* empty_views.pt: empty views of a storage (they keep their offset, stride and storage);
* layouts.pt: a layout and a tensor class, which torch's weights-only loader allows;
* missing_bf16.pt, missing_u16.pt: a bfloat16 and a uint16 tensor (no torchlet dtype).
"""

import os

import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "serial18")


def main():
    os.makedirs(HERE, exist_ok=True)
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    torch.save({"base": base, "row": base[1], "col": base[:, 2], "t": base.t(),
                "long": torch.tensor([7, -8, 2**40]), "param": torch.nn.Parameter(
                    torch.tensor([0.5, -1.5])), "values": (1, "two", None, 3.5)},
               os.path.join(HERE, "legacy.pt"), _use_new_zipfile_serialization=False)
    meta = torch.empty(2, 3, device="meta")
    torch.save({"meta": meta, "meta_t": meta.t(), "meta_rg": torch.nn.Parameter(
        torch.empty(4, dtype=torch.float64, device="meta"))}, os.path.join(HERE, "meta.pt"))
    x = torch.tensor([1.0, 2.0, 3.0])
    torch.save({"typed": x.storage(), "x": x,
                "untyped": torch.tensor([1, 2], dtype=torch.int16).untyped_storage()},
               os.path.join(HERE, "storages.pt"))
    y = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    torch.save({"y": y, "none": y[:0], "mid": y[2:2], "cols": y[:, 4:], "t": y.t()[:, :0]},
               os.path.join(HERE, "empty_views.pt"))
    torch.save({"layout": torch.strided, "cls": torch.FloatTensor},
               os.path.join(HERE, "layouts.pt"))
    torch.save({"bf16": torch.ones(2, dtype=torch.bfloat16)},
               os.path.join(HERE, "missing_bf16.pt"))
    torch.save({"u16": torch.ones(2, dtype=torch.uint16)},
               os.path.join(HERE, "missing_u16.pt"))


if __name__ == "__main__":
    main()
