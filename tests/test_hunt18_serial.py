"""save/load interoperability with torch (hunt 18): the fixes of the differential sweep.

* the legacy (pre-1.6) format: torch.save(..., _use_new_zipfile_serialization=False) files
  load, and torchlet writes them;
* storages saved by themselves (``tensor.storage()``, ``untyped_storage()``) both ways;
* meta tensors (``_rebuild_meta_tensor_no_storage``) both ways, and ``map_location='meta'``;
* empty views keep their storage, offset and stride;
* ``mmap=True``: a tensor's storage is its record, not the whole file;
* torch's ``map_location`` rules (lazy: only storages are mapped; a callable gets an
  UntypedStorage and must return one; non-callables other than str/device/dict fail as
  torch's), ``weights_only`` defaulting to False with a ``pickle_module``, torch's errors
  for a protocol-0 file, a file name without an archive name, a bytes object;
* torch's weights-only globals that torchlet lacked (layouts, tensor classes) and a clear
  error for torch's dtypes that torchlet does not have;
* ``_disable_byteorder_record=True`` writes the record where torch's writer puts it.

Golden files (tests/golden/serial18, written by tests/golden/make_serial18.py with torch)
test the reading side without torch; live tests compare with torch when it is installed.
"""

import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import torchlet
from torchlet import serialization

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "serial18")


def _golden(name, **kwargs):
    return torchlet.load(os.path.join(GOLDEN, name), **kwargs)


def _bytes(lib, obj, **kwargs) -> bytes:
    buffer = io.BytesIO()
    lib.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def _load(lib, data, **kwargs):
    return lib.load(io.BytesIO(data), **kwargs)


def _same_storage(a, b) -> bool:
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def _geometry(t):
    return tuple(t.shape), t.stride(), t.storage_offset(), t.untyped_storage().nbytes()


# ------------------------------------------------------------------------ legacy format


def test_golden_legacy_file():
    d = _golden("legacy.pt")
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert d["base"].tolist() == base.tolist() and d["base"].dtype == torchlet.float32
    assert _geometry(d["row"]) == ((4,), (1,), 4, 48)
    assert _geometry(d["col"]) == ((3,), (4,), 2, 48)
    assert d["t"].stride() == (1, 4) and d["t"].tolist() == base.T.tolist()
    assert all(_same_storage(d["base"], d[k]) for k in ("row", "col", "t"))
    d["base"][0, 0] = 100.0  # one storage: a write shows in every view
    assert d["t"][0, 0].item() == 100.0
    assert d["long"].tolist() == [7, -8, 2**40] and d["long"].dtype == torchlet.int64
    assert type(d["param"]) is torchlet.nn.Parameter and d["param"].requires_grad
    assert d["param"].tolist() == [0.5, -1.5]
    assert d["values"] == (1, "two", None, 3.5)
    assert _golden("legacy.pt", weights_only=False)["long"].tolist() == [7, -8, 2**40]


def test_legacy_round_trip_and_errors():
    x = torchlet.arange(6.0)
    obj = {"x": x, "tail": x[2:], "i": torchlet.tensor([1, 2], dtype=torchlet.int8), "n": 3}
    data = _bytes(torchlet, obj, _use_new_zipfile_serialization=False)
    assert not data.startswith(b"PK")
    assert pickle.loads(data) == serialization._LEGACY_MAGIC_NUMBER  # the first pickle
    back = _load(torchlet, data)
    assert back["tail"].tolist() == [2.0, 3.0, 4.0, 5.0] and back["tail"].storage_offset() == 2
    assert _same_storage(back["x"], back["tail"]) and back["n"] == 3
    assert back["i"].dtype == torchlet.int8
    # a wrong format version, and a file cut inside its storages
    header = pickle.dumps(serialization._LEGACY_MAGIC_NUMBER, protocol=2)
    with pytest.raises(RuntimeError, match="Invalid protocol version: 1002"):
        _load(torchlet, header + pickle.dumps(1002, protocol=2))
    with pytest.raises(RuntimeError, match="unexpected EOF"):
        _load(torchlet, data[:-3])
    with pytest.raises(RuntimeError, match="Invalid magic number"):
        _load(torchlet, pickle.dumps(12345, protocol=2))


def test_live_legacy_both_ways(tmp_path):
    torch = pytest.importorskip("torch")
    base = torchlet.arange(12.0).reshape(3, 4)
    ours = {"t": base.t(), "row": base[2], "p": torchlet.nn.Parameter(torchlet.ones(2))}
    path = tmp_path / "legacy.pt"
    torchlet.save(ours, path, _use_new_zipfile_serialization=False)
    theirs = torch.load(path)
    assert theirs["t"].tolist() == base.t().tolist() and theirs["t"].stride() == (1, 4)
    assert theirs["row"].storage_offset() == 8
    assert theirs["t"].untyped_storage().data_ptr() == theirs["row"].untyped_storage().data_ptr()
    assert isinstance(theirs["p"], torch.nn.Parameter)
    torch.save(theirs, path, _use_new_zipfile_serialization=False)
    again = torchlet.load(path, map_location="cpu")
    assert again["row"].tolist() == [8.0, 9.0, 10.0, 11.0] and again["t"].stride() == (1, 4)


# ----------------------------------------------------------------------------- storages


def test_golden_storages():
    d = _golden("storages.pt")
    assert isinstance(d["typed"], torchlet.TypedStorage) and d["typed"].dtype == torchlet.float32
    assert d["typed"].tolist() == [1.0, 2.0, 3.0]
    assert d["typed"].data_ptr() == d["x"].data_ptr()  # the tensor's own storage
    # torch.load gives an UntypedStorage back as a TypedStorage of uint8, as here
    assert d["untyped"].dtype == torchlet.uint8 and d["untyped"].tolist() == [1, 0, 2, 0]


def test_storages_round_trip():
    x = torchlet.tensor([1.5, 2.5])
    back = _load(torchlet, _bytes(torchlet, [x, x.storage(), x.untyped_storage()]))
    assert back[1].tolist() == [1.5, 2.5] and back[1].data_ptr() == back[0].data_ptr()
    assert back[2].tolist() == list(np.array([1.5, 2.5], np.float32).view(np.uint8))


def test_live_storages_both_ways():
    torch = pytest.importorskip("torch")
    x = torchlet.tensor([1.0, 2.0, 3.0])
    theirs = _load(torch, _bytes(torchlet, {"x": x[1:], "s": x.storage()}))
    assert theirs["s"].tolist() == [1.0, 2.0, 3.0] and theirs["x"].storage_offset() == 1
    assert theirs["s"].data_ptr() == theirs["x"].untyped_storage().data_ptr()
    assert list(_load(torch, _bytes(torchlet, x.untyped_storage()))) == \
        list(np.array([1, 2, 3], np.float32).view(np.uint8))


# --------------------------------------------------------------------------- meta tensors


def test_golden_meta_tensors():
    d = _golden("meta.pt")
    assert d["meta"].device.type == "meta" and tuple(d["meta"].shape) == (2, 3)
    assert tuple(d["meta_t"].shape) == (3, 2) and d["meta"].dtype == torchlet.float32
    assert type(d["meta_rg"]) is torchlet.nn.Parameter and d["meta_rg"].requires_grad
    assert d["meta_rg"].dtype == torchlet.float64


def test_meta_tensors_save_without_data():
    t = torchlet.empty(3, 4, device="meta")
    data = _bytes(torchlet, {"m": t})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # no storage record, a rebuild call
        assert not [n for n in zf.namelist() if "/data/" in n]
        assert b"_rebuild_meta_tensor_no_storage" in zf.read("archive/data.pkl")
    back = _load(torchlet, data)["m"]
    assert back.device.type == "meta" and tuple(back.shape) == (3, 4)


def test_map_location_meta():
    d = _load(torchlet, _bytes(torchlet, {"a": torchlet.arange(5.0), "n": 2}),
              map_location="meta")
    assert d["a"].device.type == "meta" and tuple(d["a"].shape) == (5,) and d["n"] == 2
    legacy = _golden("legacy.pt", map_location="meta")
    assert legacy["row"].device.type == "meta" and legacy["long"].dtype == torchlet.int64


def test_live_meta_both_ways():
    torch = pytest.importorskip("torch")
    t = torchlet.nn.Parameter(torchlet.empty(2, 5, device="meta"))
    theirs = _load(torch, _bytes(torchlet, t))
    assert theirs.device.type == "meta" and theirs.shape == (2, 5)
    assert isinstance(theirs, torch.nn.Parameter)
    m = _load(torchlet, _bytes(torch, torch.ones(3)), map_location="meta")
    assert m.device.type == "meta" and tuple(m.shape) == (3,)


# ---------------------------------------------------------------- empty views, mmap


def test_golden_empty_views_keep_their_storage():
    d = _golden("empty_views.pt")
    assert _geometry(d["none"]) == ((0, 4), (4, 1), 0, 48)
    assert _geometry(d["mid"]) == ((0, 4), (4, 1), 8, 48)
    assert _geometry(d["cols"]) == ((3, 0), (4, 1), 4, 48)
    assert _geometry(d["t"]) == ((4, 0), (1, 4), 0, 48)
    assert all(_same_storage(d["y"], d[k]) for k in ("none", "mid", "cols", "t"))


def test_empty_views_round_trip():
    y = torchlet.arange(12.0).reshape(3, 4)
    back = _load(torchlet, _bytes(torchlet, {"y": y, "none": y[:0], "cols": y[:, :0]}))
    assert _same_storage(back["y"], back["none"]) and _same_storage(back["y"], back["cols"])
    assert back["none"].untyped_storage().nbytes() == 48
    assert back["cols"].stride() == (4, 1)


def test_mmap_storage_is_the_record(tmp_path):
    path = tmp_path / "m.pt"
    torchlet.save({"a": torchlet.arange(5.0), "b": torchlet.ones(3, dtype=torchlet.int64)},
                  path)
    d = torchlet.load(path, mmap=True)
    assert d["a"].untyped_storage().nbytes() == 20  # (was the whole file's size)
    assert d["b"].untyped_storage().nbytes() == 24 and d["b"].storage_offset() == 0
    d["a"][0] = 7.0  # copy-on-write: the file keeps its bytes
    assert torchlet.load(path)["a"][0].item() == 0.0


# ------------------------------------------------------------- map_location, arguments


def test_map_location_rules():
    data = _bytes(torchlet, {"a": torchlet.arange(3.0)})
    # only storages are mapped: a file without any loads wherever it is asked to go
    assert _load(torchlet, _bytes(torchlet, {"n": 1}), map_location="cuda:0") == {"n": 1}
    with pytest.raises(RuntimeError, match="CPU only"):
        _load(torchlet, data, map_location={"cpu": "cuda:1"})
    with pytest.raises(RuntimeError, match=r"tagged with xyz"):
        _load(torchlet, data, map_location="xyz")
    with pytest.raises(TypeError, match="not callable"):  # torch calls what is not a device
        _load(torchlet, data, map_location=0)
    with pytest.raises(TypeError, match="TypedStorage"):
        _load(torchlet, data, map_location=lambda storage, location: 3)
    seen = []

    def record(storage, location):
        seen.append((type(storage).__name__, storage.nbytes(), location))

    assert _load(torchlet, data, map_location=record)["a"].tolist() == [0.0, 1.0, 2.0]
    assert seen == [("UntypedStorage", 12, "cpu")]

    def fails(storage, location):
        raise KeyError("mine")

    with pytest.raises(KeyError, match="mine"):  # the function's error, not "corrupt file"
        _load(torchlet, data, map_location=fails)
    copy = _load(torchlet, data, map_location=lambda s, loc: s.clone())
    assert copy["a"].tolist() == [0.0, 1.0, 2.0]


def test_pickle_module_makes_weights_only_false_by_default():
    data = _bytes(torchlet, torchlet.nn.Linear(2, 2))
    assert type(_load(torchlet, data, pickle_module=pickle)) is torchlet.nn.Linear
    with pytest.raises(RuntimeError, match="explicit pickle_module"):
        _load(torchlet, data, pickle_module=pickle, weights_only=True)
    with pytest.raises(pickle.UnpicklingError):
        _load(torchlet, data)


def test_torchs_errors():
    data = _bytes(torchlet, torchlet.ones(2), pickle_protocol=0)
    with pytest.raises(AssertionError, match="saved_id must be a tuple, got str"):
        _load(torchlet, data, weights_only=False)
    with pytest.raises(AttributeError, match="You can only torch.load from a file that is "
                       "seekable"):
        torchlet.load(_bytes(torchlet, 1))
    for name in (".pt", "."):
        with pytest.raises(RuntimeError, match="invalid file name"):
            torchlet.save(1, os.path.join(os.sep, "tmp", name))


def test_missing_dtypes_and_allowed_globals():
    for name, dtype in (("missing_bf16.pt", "bfloat16"), ("missing_u16.pt", "uint16")):
        with pytest.raises(RuntimeError, match=f"torch.{dtype}"):
            _golden(name)
    d = _golden("layouts.pt")  # weights_only: torch allows layouts and tensor classes
    assert d["layout"] is torchlet.strided and d["cls"] is torchlet.FloatTensor


def test_disable_byteorder_record_writes_it_last():
    data = _bytes(torchlet, torchlet.ones(1), _disable_byteorder_record=True)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    # torch's zip writer adds the record when it closes the archive, after "version"
    assert names[-3:] == ["archive/version", "archive/byteorder",
                          "archive/.data/serialization_id"]
    try:
        import torch
    except ImportError:
        return
    buffer = io.BytesIO()
    torch.save(torch.ones(1), buffer, _disable_byteorder_record=True)
    assert zipfile.ZipFile(buffer).namelist() == names
    assert len(buffer.getvalue()) == len(data)


# -------------------------------------------------------- sampled differential test

_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
           "float64"]
_VIEWS = ["whole", "t", "row", "col", "step", "exp", "empty", "scalar"]


def _configs():
    rng = np.random.default_rng(18)
    return [(str(rng.choice(_DTYPES)), str(rng.choice(_VIEWS)), str(rng.choice(_VIEWS)),
             bool(rng.integers(2)), int(rng.integers(2, 6)), int(rng.integers(2, 6)),
             int(rng.integers(1000))) for _ in range(40)]


def _build(lib, dtype, view_a, view_b, rg, n, m, seed):
    values = np.random.default_rng(seed).standard_normal((n, m)) * 5
    base = lib.tensor(values > 0 if dtype == "bool" else values).to(getattr(lib, dtype))

    def view(kind):
        return {"whole": base, "t": base.t(), "row": base[1], "col": base[:, 1],
                "step": base[:, ::2], "exp": base[0:1].expand(3, m), "empty": base[1:1],
                "scalar": base[1, 1]}[kind]

    out = {"a": view(view_a), "b": view(view_b)}
    if rg and dtype.startswith("float"):
        out["p"] = lib.nn.Parameter(base.clone().double())
    return out


def _summary(d):
    return {k: (tuple(v.shape), v.stride(), v.storage_offset(), str(v.dtype)[6:],
                v.requires_grad, type(v).__name__, v.tolist()) for k, v in d.items()}


@pytest.mark.parametrize("legacy", [False, True])
def test_sampled_round_trips(legacy):
    torch = None
    try:
        import torch
    except ImportError:
        pass
    kwargs = {"_use_new_zipfile_serialization": not legacy}
    for config in _configs():
        # (torchlet's empty slices report offset 0 in memory, torch's their start: the
        # golden test checks what an empty view loads as)
        empty = "empty" in config[1:3]
        ours = _build(torchlet, *config)
        back = _load(torchlet, _bytes(torchlet, ours, **kwargs))
        if not empty:
            assert _summary(back) == _summary(ours), config
        assert _same_storage(back["a"], back["b"]), config
        if torch is None:
            continue
        theirs = _build(torch, *config)
        reference = _summary(_load(torch, _bytes(torch, theirs, **kwargs)))
        assert _summary(_load(torchlet, _bytes(torch, theirs, **kwargs))) == reference, config
        if not empty:
            assert _summary(_load(torch, _bytes(torchlet, ours, **kwargs))) == reference, \
                config
