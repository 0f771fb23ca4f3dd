"""torchlet.save / torchlet.load: PyTorch's checkpoint format, safely.

* Round trips torchlet -> file -> torchlet: every dtype, views sharing a storage,
  non-contiguous tensors, Parameters, state dicts, optimizer state, containers.
* Files written by torch (committed in tests/golden/, made by make_checkpoint_golden.py)
  load without torch; with torch installed, both directions run live (torch writes,
  torchlet reads; torchlet writes, ``torch.load(weights_only=True)`` reads), for the
  state dicts of every layer type both libraries have and for optimizer state.
* Safety: pickles naming ``os.system`` and friends are refused before anything runs;
  truncated or corrupted files raise errors; a failed save leaves the old file intact.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

import torchlet
import torchlet.nn as tnn
import torchlet.optim as topt
from torchlet import _zip_writer
from torchlet.serialization import load, save  # also torchlet.save / torchlet.load

try:
    import torch
except ImportError:  # pragma: no cover - the live tests skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

GOLDEN = Path(__file__).resolve().parent / "golden"


def same(a, b):
    """Equal dtype name, shape and bits."""
    a_np, b_np = np.asarray(a.detach().numpy()), np.asarray(b.detach().numpy())
    return (str(a.dtype) == str(b.dtype) and a_np.shape == b_np.shape
            and a_np.tobytes() == np.ascontiguousarray(b_np).tobytes())


def roundtrip(obj, **load_kwargs):
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    return load(buffer, **load_kwargs)


# ================================================================ round trips


ALL_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
              "bool"]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_roundtrip_every_dtype(dtype):
    values = np.arange(-3, 9).reshape(3, 4)
    t = torchlet.tensor(values).to(getattr(torchlet, dtype))
    out = roundtrip(t)
    assert type(out) is torchlet.Tensor and same(out, t)


def test_roundtrip_shared_storage_and_views():
    base = torchlet.arange(12.0).reshape(3, 4)
    obj = {"base": base, "t": base.t(), "col": base[:, 1], "tail": base[1:, 2:],
           "again": base}
    out = roundtrip(obj)
    for key in obj:
        assert same(out[key], obj[key])
    assert out["again"] is out["base"]  # the same object twice stays one object
    assert out["t"].stride() == (1, 4) and out["col"].stride() == (4,)
    # one storage: writing through one tensor shows in the others, as in torch
    out["base"][1, 1] = 100.0
    assert out["t"][1, 1].item() == 100.0 and out["col"][1].item() == 100.0


def test_roundtrip_params_requires_grad_and_containers():
    p = tnn.Parameter(torchlet.tensor([1.0, 2.0]))
    frozen = tnn.Parameter(torchlet.tensor([3.0]), requires_grad=False)
    leaf = torchlet.ones(2, requires_grad=True)
    obj = collections.OrderedDict(p=p, frozen=frozen, leaf=leaf, n=3, f=0.5, s="x",
                                  t=(1, [2, {3: None}]), b=b"bytes", st={1, 2},
                                  shape=torchlet.Size([2, 3]), dt=torchlet.int16,
                                  empty=torchlet.zeros(0, 4), scalar=torchlet.tensor(2.5))
    out = roundtrip(obj)
    assert type(out) is collections.OrderedDict and list(out) == list(obj)
    assert isinstance(out["p"], tnn.Parameter) and out["p"].requires_grad
    assert isinstance(out["frozen"], tnn.Parameter) and not out["frozen"].requires_grad
    assert out["leaf"].requires_grad and out["leaf"].is_leaf
    assert same(out["p"], p) and same(out["empty"], obj["empty"])
    assert out["empty"].shape == (0, 4) and same(out["scalar"], obj["scalar"])
    assert out["t"] == (1, [2, {3: None}]) and out["b"] == b"bytes" and out["st"] == {1, 2}
    assert type(out["shape"]) is torchlet.Size and out["shape"] == (2, 3)
    assert out["dt"] is torchlet.int16


def test_roundtrip_flipped_and_broadcast_arrays():
    base = torchlet.arange(6.0)
    obj = [base.flip(0), base.expand(3, 6), base[::2]]
    out = roundtrip(obj)
    for a, b in zip(out, obj, strict=True):
        assert same(a, b)


def test_roundtrip_model_and_optimizer_state():
    torchlet.manual_seed(0)
    model = tnn.Sequential(tnn.Linear(3, 4), tnn.Linear(4, 2))
    opt = topt.Adam(model.parameters(), lr=0.01)
    model(torchlet.randn(5, 3)).sum().backward()
    opt.step()
    out = roundtrip({"model": model.state_dict(), "opt": opt.state_dict()})
    clone = tnn.Sequential(tnn.Linear(3, 4), tnn.Linear(4, 2))
    clone.load_state_dict(out["model"])
    for (k1, v1), (k2, v2) in zip(clone.state_dict().items(), model.state_dict().items(),
                                  strict=True):
        assert k1 == k2 and same(v1, v2)
    opt2 = topt.Adam(clone.parameters(), lr=0.01)
    opt2.load_state_dict(out["opt"])
    assert opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    for i, state in opt.state_dict()["state"].items():
        for key, value in state.items():
            assert same(out["opt"]["state"][i][key], value)


def test_file_paths_and_file_objects(tmp_path):
    t = torchlet.arange(5)
    path = tmp_path / "weights.pt"
    save(t, path)
    assert same(load(path), t) and same(load(str(path)), t)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert names[0] == "weights/data.pkl" and "weights/data/0" in names
        assert zf.read("weights/byteorder") == b"little"
        for info in zf.infolist():  # every record's data 64-byte aligned, like torch's
            raw = path.read_bytes()  # the padding is in the local header's extra field only
            extra_len = int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30],
                                       "little")
            local = info.header_offset + 30 + len(info.filename) + extra_len
            assert local % 64 == 0
    with open(path, "rb") as fh:
        assert same(load(fh), t)

    class ReadOnly:  # not seekable: read whole
        def __init__(self, data):
            self.data = data

        def read(self, n=-1):
            return self.data

    assert same(load(ReadOnly(path.read_bytes())), t)
    assert same(load(path, map_location="cpu"), t)
    assert same(load(path, map_location=torchlet.device("cpu")), t)
    assert same(load(path, map_location={"cpu": "cpu"}), t)
    assert same(load(path, map_location=lambda storage, loc: storage), t)
    assert same(load(path, mmap=True), t)
    with pytest.raises(RuntimeError, match="CPU only"):
        load(path, map_location="cuda:0")
    with pytest.raises(ValueError, match="mmap"):
        load(io.BytesIO(path.read_bytes()), mmap=True)


def test_mmap_loads_copy_on_write(tmp_path):
    path = tmp_path / "m.pt"
    save({"w": torchlet.ones(4)}, path)
    loaded = load(path, mmap=True)
    loaded["w"][0] = 5.0  # private to this process: the file is unchanged
    assert load(path)["w"].tolist() == [1.0, 1.0, 1.0, 1.0]


# ================================================================ torch's files, no torch


def test_golden_linear_state_dict():
    expected = np.load(GOLDEN / "checkpoint_expected.npz")
    sd = load(GOLDEN / "linear_state_dict.pt")
    assert type(sd) is collections.OrderedDict and list(sd) == ["weight", "bias"]
    for key in sd:
        assert type(sd[key]) is torchlet.Tensor
        assert np.array_equal(sd[key].numpy(), expected[f"linear/{key}"])
        assert sd[key].dtype == torchlet.float32
    layer = tnn.Linear(4, 3)
    layer.load_state_dict(sd)
    assert np.array_equal(layer.weight.detach().numpy(), expected["linear/weight"])
    # torchlet's own Linear(4, 3) after manual_seed(0) has the same values (spec §9)
    torchlet.manual_seed(0)
    assert np.array_equal(tnn.Linear(4, 3).weight.detach().numpy(), expected["linear/weight"])


def _walk(obj, prefix, out):
    if isinstance(obj, torchlet.Tensor):
        out[prefix] = obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _walk(value, f"{prefix}/{key}", out)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            _walk(value, f"{prefix}/{i}", out)
    return out


def test_golden_checkpoint():
    expected = np.load(GOLDEN / "checkpoint_expected.npz")
    ckpt = load(GOLDEN / "checkpoint.pt")
    tensors = _walk(ckpt, "checkpoint", {})
    assert set(tensors) == {k for k in expected.files if k.startswith("checkpoint/")}
    for key, t in tensors.items():
        want = expected[key]
        got = t.detach().numpy()
        assert got.dtype == want.dtype and np.array_equal(got, want), key
    assert ckpt["epoch"] == 2 and ckpt["loss"] == 0.25
    assert isinstance(ckpt["param"], tnn.Parameter) and ckpt["param"].requires_grad
    assert isinstance(ckpt["frozen"], tnn.Parameter) and not ckpt["frozen"].requires_grad
    assert ckpt["shape"] == torchlet.Size([2, 3]) and ckpt["dtype"] is torchlet.float16
    assert ckpt["nested"] == [(1, "two", 3.0), {"k": [None, True]}]
    base, transposed, column = ckpt["views"]
    base[2, 2] = -1.0  # the three tensors still share one storage
    assert transposed[2, 2].item() == -1.0 and column[1].item() == -1.0
    groups = ckpt["optimizer"]["param_groups"]
    assert groups[0]["lr"] == 0.01 and groups[0]["betas"] == (0.9, 0.999)
    assert groups[0]["params"] == [0, 1, 2, 3]
    # the optimizer state goes into torchlet's Adam, the weights into a model
    model = tnn.Sequential(tnn.Linear(5, 4), tnn.Identity(), tnn.Linear(4, 2))
    model.load_state_dict(ckpt["model"])
    opt = topt.Adam(model.parameters(), lr=0.01, weight_decay=0.1)
    opt.load_state_dict(ckpt["optimizer"])
    assert same(opt.state_dict()["state"][0]["exp_avg"],
                ckpt["optimizer"]["state"][0]["exp_avg"])


# ================================================================ safety


class _Evil:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _archive_with_pickle(payload: bytes, name="archive") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(f"{name}/data.pkl", payload)
        zf.writestr(f"{name}/byteorder", "little")
        zf.writestr(f"{name}/version", "3\n")
    return buffer.getvalue()


@pytest.mark.parametrize("protocol", [0, 2, 4])
@pytest.mark.parametrize("payload", ["system", "eval", "nested", "getattr", "popen"])
@pytest.mark.parametrize("weights_only", [True, None])  # None: torch's default (True)
def test_malicious_pickle_is_refused(tmp_path, protocol, payload, weights_only):
    marker = tmp_path / "pwned"
    command = f"touch {marker}"
    import builtins
    import subprocess

    evil = {
        "system": _Evil(os.system, command),
        "eval": _Evil(builtins.eval, f"open({str(marker)!r}, 'w')"),
        "nested": {"w": [1, (_Evil(os.system, command),)]},
        "getattr": _Evil(getattr, _Evil(__import__, "os"), "system"),
        "popen": _Evil(subprocess.Popen, ["touch", str(marker)]),
    }[payload]
    data = _archive_with_pickle(pickle.dumps(evil, protocol=protocol))
    path = tmp_path / "evil.pt"
    path.write_bytes(data)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        load(path, weights_only=weights_only)
    assert not marker.exists()


def test_refusal_names_the_global(tmp_path):
    path = tmp_path / "evil.pt"
    path.write_bytes(_archive_with_pickle(pickle.dumps(_Evil(os.system, "true"), protocol=2)))
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL (posix|os|nt)\.system"):
        load(path)


def test_storage_bounds_are_checked():
    # a tensor claiming more elements than its storage holds must not read past it
    buffer = io.BytesIO()
    save(torchlet.arange(4.0), buffer)
    with zipfile.ZipFile(buffer) as zf:
        records = {name: zf.read(name) for name in zf.namelist()}
    pkl = records["archive/data.pkl"]
    assert b"K\x04\x85" in pkl  # the size tuple (4,)
    records["archive/data.pkl"] = pkl.replace(b"K\x04\x85", b"M\x00\x10\x85", 1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, value in records.items():
            zf.writestr(name, value)
    out.seek(0)
    with pytest.raises(RuntimeError, match="does not fit in its storage"):
        load(out)


def test_truncated_and_corrupted_files(tmp_path):
    path = tmp_path / "model.pt"
    save({"w": torchlet.arange(1000.0), "b": torchlet.zeros(3)}, path)
    data = path.read_bytes()
    for cut in (10, 100, len(data) // 2, len(data) - 30, len(data) - 1):
        bad = tmp_path / f"cut{cut}.pt"
        bad.write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match="PytorchStreamReader failed"):
            load(bad)
    # a flipped byte inside a tensor's data: the CRC check catches it
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("model/data/0")
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + 100
    flipped = bytearray(data)
    flipped[offset] ^= 0xFF
    bad = tmp_path / "flipped.pt"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(RuntimeError, match="corrupted"):
        load(bad)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"hello world" * 10)
    with pytest.raises(KeyError):  # 'h' (BINGET) of an empty memo, as in torch
        load(garbage)
    legacy = tmp_path / "legacy.pt"
    legacy.write_bytes(pickle.dumps({"a": 1}, protocol=2))
    with pytest.raises(RuntimeError, match="Invalid magic number; corrupt file"):
        load(legacy)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(EOFError):
        load(empty)


def test_atomic_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save({"step": 1, "w": torchlet.ones(3)}, path)
    before = path.read_bytes()
    os.chmod(path, 0o640)

    # 1. the object cannot be pickled
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        save({"step": 2, "f": lambda x: x}, path)
    assert path.read_bytes() == before

    # 2. the disk fails in the middle of writing the storages

    calls = []
    real = _zip_writer.ZipWriter.record

    def failing(writer, name, data):
        calls.append(name)
        if "/data/" in name:
            raise OSError(28, "No space left on device")
        real(writer, name, data)

    monkeypatch.setattr(_zip_writer.ZipWriter, "record", failing)
    with pytest.raises(OSError, match="No space left"):
        save({"step": 3, "w": torchlet.zeros(3)}, path)
    monkeypatch.undo()
    assert any("/data/" in name for name in calls)
    assert path.read_bytes() == before
    assert load(path)["step"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]  # no temp file left

    # 3. a successful save replaces the file and keeps its permissions
    save({"step": 4}, path)
    assert load(path) == {"step": 4}
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_save_errors():
    legacy = io.BytesIO()  # the pre-1.6 format is written (and read back), as torch
    save({"x": torchlet.arange(3.0)}, legacy, _use_new_zipfile_serialization=False)
    assert not legacy.getvalue().startswith(b"PK")  # not a zip archive
    legacy.seek(0)
    assert load(legacy)["x"].tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(AttributeError):
        save(1, 42)


# ================================================================ live, with torch


@needs_torch
def test_live_torchlet_writes_torch_reads(tmp_path):
    base = torchlet.arange(12.0).reshape(3, 4)
    obj = {
        "dtypes": {d: torchlet.tensor([[1, 0], [3, 4]]).to(getattr(torchlet, d))
                   for d in ALL_DTYPES},
        "views": [base, base.t(), base[:, 1], base.flip(1)],
        "param": tnn.Parameter(torchlet.tensor([1.0, 2.0])),
        "empty": torchlet.zeros(0, 2), "scalar": torchlet.tensor(3),
        "shape": torchlet.Size([1, 2]), "dtype": torchlet.float64,
        "device": torchlet.device("cpu"), "bytes": b"\x00\xff", "set": {1, 2},
        "od": collections.OrderedDict(a=1),
    }
    path = tmp_path / "from_torchlet.pt"
    save(obj, path)
    out = torch.load(path, weights_only=True)
    for d in ALL_DTYPES:
        assert same(out["dtypes"][d], obj["dtypes"][d])
    for ours, theirs in zip(obj["views"], out["views"], strict=True):
        assert same(theirs, ours)
    storage = out["views"][0].untyped_storage().data_ptr()
    assert all(v.untyped_storage().data_ptr() == storage for v in out["views"][1:3])
    assert isinstance(out["param"], torch.nn.Parameter) and out["param"].requires_grad
    assert out["empty"].shape == (0, 2) and out["scalar"].item() == 3
    assert out["shape"] == torch.Size([1, 2]) and out["dtype"] is torch.float64
    assert out["device"] == torch.device("cpu") and out["bytes"] == b"\x00\xff"
    assert out["set"] == {1, 2} and type(out["od"]) is collections.OrderedDict


LAYERS = [  # (class name, constructor arguments); skipped while torchlet lacks the layer
    ("Linear", (5, 3)), ("Bilinear", (3, 4, 2)), ("Conv1d", (2, 3, 3)),
    ("Conv2d", (2, 3, 3)), ("ConvTranspose2d", (2, 3, 3)), ("BatchNorm1d", (4,)),
    ("BatchNorm2d", (3,)), ("LayerNorm", (4,)), ("GroupNorm", (2, 4)),
    ("Embedding", (10, 3)), ("LSTM", (3, 4)), ("GRU", (3, 4)), ("RNN", (3, 4)),
    ("PReLU", ()), ("MultiheadAttention", (4, 2)),
]


@needs_torch
@pytest.mark.parametrize("name, args", LAYERS, ids=[name for name, _ in LAYERS])
def test_live_layer_state_dicts_both_ways(tmp_path, name, args):
    if not hasattr(tnn, name):
        pytest.skip(f"torchlet.nn has no {name} yet")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args)
    for value in theirs.state_dict().values():  # make buffers non-trivial too
        if value.dtype.is_floating_point:
            value.add_(torch.rand_like(value))
    ours = getattr(tnn, name)(*args)

    path = tmp_path / "torch.pt"
    torch.save(theirs.state_dict(), path)
    ours.load_state_dict(load(path))
    for (k1, v1), (k2, v2) in zip(ours.state_dict().items(), theirs.state_dict().items(),
                                  strict=True):
        assert k1 == k2 and same(v1, v2)

    for value in ours.state_dict().values():
        if value.dtype.is_floating_point:
            value.add_(torchlet.ones_like(value))
    path = tmp_path / "torchlet.pt"
    save(ours.state_dict(), path)
    theirs.load_state_dict(torch.load(path, weights_only=True))
    for (k1, v1), (k2, v2) in zip(ours.state_dict().items(), theirs.state_dict().items(),
                                  strict=True):
        assert k1 == k2 and same(v1, v2)


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_live_optimizer_state_both_ways(tmp_path, name):
    kwargs = {"SGD": dict(lr=0.1, momentum=0.9)}.get(name, dict(lr=0.01))
    torch.manual_seed(0)
    tmodel = torch.nn.Linear(3, 2)
    topt_ = getattr(torch.optim, name)(tmodel.parameters(), **kwargs)
    for _ in range(2):
        topt_.zero_grad()
        tmodel(torch.randn(4, 3)).pow(2).sum().backward()
        topt_.step()
    path = tmp_path / "opt_torch.pt"
    torch.save({"model": tmodel.state_dict(), "opt": topt_.state_dict()}, path)

    loaded = load(path)
    model = tnn.Linear(3, 2)
    model.load_state_dict(loaded["model"])
    opt = getattr(topt, name)(model.parameters(), **kwargs)
    opt.load_state_dict(loaded["opt"])
    state = opt.state_dict()
    for i, entries in topt_.state_dict()["state"].items():
        for key, value in entries.items():
            assert same(state["state"][i][key], value)

    path = tmp_path / "opt_torchlet.pt"
    save({"model": model.state_dict(), "opt": state}, path)
    back = torch.load(path, weights_only=True)
    topt2 = getattr(torch.optim, name)(tmodel.parameters(), **kwargs)
    topt2.load_state_dict(back["opt"])
    assert back["opt"]["param_groups"][0]["lr"] == kwargs["lr"]
    for i, entries in topt_.state_dict()["state"].items():
        for key, value in entries.items():
            assert same(back["opt"]["state"][i][key], value)


@needs_torch
def test_live_torch_writes_views_and_dtypes(tmp_path):
    base = torch.arange(20.0).reshape(4, 5)
    obj = {"views": [base, base.t(), base[1:3, ::2], base.view(-1)[3:]],
           "dtypes": [torch.tensor([1, 2]).to(getattr(torch, d)) for d in ALL_DTYPES],
           "param": torch.nn.Parameter(torch.ones(2))}
    path = tmp_path / "t.pt"
    torch.save(obj, path)
    out = load(path, weights_only=True)
    for ours, theirs in zip(out["views"] + out["dtypes"], obj["views"] + obj["dtypes"],
                            strict=True):
        assert same(ours, theirs)
    assert out["views"][2].stride() == obj["views"][2].stride()
    assert isinstance(out["param"], tnn.Parameter)
    out["views"][0][0, 3] = -7.0
    assert out["views"][3][0].item() == -7.0  # still one storage
