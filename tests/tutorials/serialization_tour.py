"""What torch.save / torch.load keep, as a learner checks it before trusting checkpoints:
views that share storage stay shared (and keep their offsets and strides), a slice saves
its whole storage, .clone() saves only itself; every dtype, 0-dim and empty tensors,
Parameters (requires_grad kept, .grad dropped), nested containers of Python values;
whole-module pickling vs weights_only=True (UnpicklingError, add_safe_globals and the
safe_globals context), map_location as a string / device / function / dict, mmap=True,
the zip archive's entry names, the legacy (non-zip) format, and loading a state_dict into
a model with a different prefix by renaming keys."""

import collections
import io
import os
import pickle
import tempfile
import zipfile

import torch
import torch.nn as nn

torch.manual_seed(0)


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf)
    size = buf.tell()
    buf.seek(0)
    return torch.load(buf, **load_kwargs), size


# -- views and storage -------------------------------------------------------------------------
base = torch.arange(12.0)
view = base[2:8].view(2, 3)
transposed = view.t()
(loaded_base, loaded_view, loaded_t), size = roundtrip([base, view, transposed])
print(
    "shared after load:",
    loaded_view.untyped_storage().data_ptr() == loaded_base.untyped_storage().data_ptr(),
    "offset",
    loaded_view.storage_offset(),
    "stride",
    loaded_t.stride(),
    "contiguous",
    loaded_t.is_contiguous(),
)
loaded_base[3] = 100.0
print("write through base shows in view:", loaded_view[0, 1].item(), loaded_t[1, 0].item())
small_slice = torch.arange(1000.0)[:3]
(_, size_slice), (_, size_clone) = roundtrip(small_slice), roundtrip(small_slice.clone())
print(
    "slice saves whole storage:",
    size_slice > size_clone + 3000,
    "slice storage len",
    roundtrip(small_slice)[0].untyped_storage().nbytes(),
    "clone",
    roundtrip(small_slice.clone())[0].untyped_storage().nbytes(),
)
exp = torch.ones(3, 1).expand(3, 4)
print(
    "expanded",
    roundtrip(exp)[0].stride(),
    "channels_last",
    roundtrip(torch.randn(1, 3, 2, 2).to(memory_format=torch.channels_last))[0].stride(),
)

# -- dtypes and odd shapes ---------------------------------------------------------------------
values = {
    "f16": torch.tensor([1.5, -2.25, 65504.0], dtype=torch.float16),
    "f64": torch.tensor([1e-300, float("nan"), float("-inf")], dtype=torch.float64),
    "i8": torch.tensor([-128, 127], dtype=torch.int8),
    "u8": torch.tensor([0, 255], dtype=torch.uint8),
    "i16": torch.tensor([-3], dtype=torch.int16),
    "i32": torch.tensor([2**31 - 1], dtype=torch.int32),
    "i64": torch.tensor([-(2**63)]),
    "bool": torch.tensor([True, False, True]),
    "scalar": torch.tensor(3.5),
    "empty": torch.empty(0, 4),
    "big empty": torch.zeros(3, 0, 2, dtype=torch.int64),
}
loaded, _ = roundtrip(values)
for k, v in values.items():
    w = loaded[k]
    print(
        f"{k:9s}",
        w.dtype,
        tuple(w.shape),
        w.tolist() if w.numel() else "[]",
        torch.equal(v, w)
        if not v.is_floating_point() or not v.isnan().any()
        else torch.equal(v.nan_to_num(), w.nan_to_num()),
    )

# -- parameters and autograd state ------------------------------------------------------------
p = nn.Parameter(torch.randn(2))
p.grad = torch.ones(2)
frozen = nn.Parameter(torch.randn(2), requires_grad=False)
leaf = torch.randn(2, requires_grad=True)
nonleaf = leaf * 2
(lp, lf, ll, ln), _ = roundtrip([p, frozen, leaf, nonleaf.detach()])
print(
    "Parameter",
    type(lp).__name__,
    lp.requires_grad,
    lp.grad,
    "| frozen",
    type(lf).__name__,
    lf.requires_grad,
    "| plain leaf",
    type(ll).__name__,
    ll.requires_grad,
    ll.is_leaf,
    "| detached",
    ln.requires_grad,
)
try:
    roundtrip(nonleaf)
    print("saving a non-leaf: ok")
except RuntimeError as e:
    print("saving a non-leaf:", type(e).__name__)

# -- Python containers ------------------------------------------------------------------------
Point = collections.namedtuple("Point", "x y")
mixed = {
    "int": 3,
    "float": 0.1,
    "str": "héllo",
    "none": None,
    "tuple": (1, (2, 3)),
    "set": {1, 2},
    "bytes": b"\x00\xff",
    "od": collections.OrderedDict(b=1, a=2),
    "list": [torch.zeros(1), [torch.ones(1)]],
    "dtype": torch.float16,
    "size": torch.Size([2, 3]),
    "device": torch.device("cpu"),
    "complex": 1 + 2j,
}
back, _ = roundtrip(mixed, weights_only=False)
for k, v in back.items():
    print(f"{k:7s} {type(v).__name__:11s} {v!r}")
print(
    "weights_only=True accepts these too:",
    sorted(
        roundtrip(
            {k: mixed[k] for k in ["int", "str", "od", "dtype", "size", "tuple"]}, weights_only=True
        )[0]
    ),
)
try:
    roundtrip(Point(1, 2), weights_only=True)
except pickle.UnpicklingError as e:
    print(
        "namedtuple with weights_only=True:",
        type(e).__name__,
        "Unsupported global" in str(e) or "WeightsUnpickler" in str(e),
    )
print("namedtuple with weights_only=False:", roundtrip(Point(1, 2), weights_only=False)[0])


# -- whole modules vs state_dicts -------------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
        self.head = nn.Linear(4, 1)
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))

    def forward(self, x):
        self.calls += 1
        return self.head(self.body(x))


net = Net()
x = torch.randn(5, 3)
out = net(x)
whole, _ = roundtrip(net, weights_only=False)
print(
    "whole module:",
    type(whole).__name__,
    torch.equal(whole(x), net(x)),
    whole.calls.item(),
    whole.training,
)
try:
    roundtrip(net, weights_only=True)
except pickle.UnpicklingError as e:
    print("module with weights_only=True:", type(e).__name__)
torch.serialization.add_safe_globals([Point])
print("after add_safe_globals:", roundtrip(Point(3, 4), weights_only=True)[0])
torch.serialization.clear_safe_globals()
with torch.serialization.safe_globals([Point]):
    print("inside safe_globals:", roundtrip([Point(5, 6)], weights_only=True)[0])
sd = net.state_dict()
print("state_dict types", type(sd).__name__, list(sd), sd["calls"])
loaded_sd, _ = roundtrip(sd, weights_only=True)
print(
    "loaded state_dict is",
    type(loaded_sd).__name__,
    "metadata kept:",
    hasattr(loaded_sd, "_metadata"),
)
wrapped = {"module." + k: v for k, v in loaded_sd.items()}  # as saved from DataParallel
fresh = Net()
try:
    fresh.load_state_dict(wrapped)
except RuntimeError as e:
    print("prefixed keys:", str(e).splitlines()[0])
wrapped = {k.removeprefix("module."): v for k, v in wrapped.items()}
print("after stripping the prefix:", fresh.load_state_dict(wrapped), torch.equal(fresh(x), net(x)))

# -- map_location, files, mmap, archive layout ------------------------------------------------
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "ckpt.pt")
    torch.save({"w": torch.arange(6.0).view(2, 3), "step": 7}, path)
    for ml in ["cpu", torch.device("cpu"), lambda storage, loc: storage, {"cpu": "cpu"}]:
        got = torch.load(path, map_location=ml)
        print("map_location", type(ml).__name__, got["w"].device, got["step"])
    mm = torch.load(path, mmap=True)
    print("mmap", mm["w"].sum().item(), mm["w"].is_contiguous())
    names = zipfile.ZipFile(path).namelist()
    print("archive entries", [n for n in names if "serialization_id" not in n])
    legacy = os.path.join(tmp, "legacy.pt")
    torch.save({"w": torch.arange(3)}, legacy, _use_new_zipfile_serialization=False)
    print(
        "legacy is zip:",
        zipfile.is_zipfile(legacy),
        "loads:",
        torch.load(legacy)["w"],
        torch.serialization._is_zipfile(open(path, "rb")),
    )
    with open(path, "rb") as f:
        print("from file object", torch.load(f)["step"])
try:
    torch.load(io.BytesIO(b"not a checkpoint"))
except (pickle.UnpicklingError, RuntimeError, EOFError) as e:
    print("garbage:", type(e).__name__)
