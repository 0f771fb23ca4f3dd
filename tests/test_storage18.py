"""The legacy typed storage classes (torch.FloatStorage, ..., torch.Storage),
Tensor.storage_type(), storage conversions and from_buffer, Tensor.set_, and the legacy
checkpoint format in its own module (torchlet/_legacy_serialization.py).

Each behaviour is checked against a hand-derived expectation and, where torch is
installed, against torch on the same inputs."""

import io
import pickle
import warnings

import numpy as np
import pytest

import torchlet
from torchlet import _legacy_serialization, serialization
from torchlet import storage as storage_module

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")

_LEGACY = ("FloatStorage", "DoubleStorage", "HalfStorage", "LongStorage", "IntStorage",
           "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage")
_DTYPES = ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool")


@pytest.fixture(autouse=True)
def _quiet_typed_storage_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def _outcome(lib, fn):
    """What ``fn(lib)`` gives, in a form both libraries can be compared by: a storage as
    (type name, dtype name, values), a tensor as its geometry and values, an error as its
    type and first line."""
    try:
        r = fn(lib)
    except Exception as e:  # noqa: BLE001 - the outcome is what is compared
        return ("error", type(e).__name__, str(e).split("\n")[0])
    if isinstance(r, (lib.TypedStorage, lib.UntypedStorage)):
        return (type(r).__name__, str(getattr(r, "dtype", None)), r.tolist())
    if isinstance(r, lib.Tensor):
        return ("tensor", tuple(r.shape), r.stride(), r.storage_offset(), str(r.dtype),
                r.tolist(), r._version, r.requires_grad, r.is_leaf,
                None if r.grad_fn is None else r.grad_fn.name())
    if isinstance(r, type):
        return ("class", repr(r))
    return ("value", repr(r))


def _same_in_both(fn):
    ours = _outcome(torchlet, fn)
    theirs = _outcome(torch, fn)
    assert ours == theirs


# ------------------------------------------------------------------ the legacy format module


def test_legacy_format_lives_in_its_own_module():
    assert serialization._write_legacy is _legacy_serialization._write_legacy
    assert serialization._load_legacy is _legacy_serialization._load_legacy
    assert serialization._LEGACY_MAGIC_NUMBER == 0x1950A86A20F9469CFC6C
    x = torchlet.arange(6.0)
    f = io.BytesIO()
    torchlet.save({"x": x, "tail": x[4:]}, f, _use_new_zipfile_serialization=False)
    f.seek(0)
    # the framing the module docstring describes: magic number, version, sys_info, ...
    assert pickle.load(f) == 0x1950A86A20F9469CFC6C
    assert pickle.load(f) == 1001
    assert pickle.load(f)["type_sizes"] == {"short": 2, "int": 4, "long": 4}
    f.seek(0)
    back = torchlet.load(f)
    assert back["tail"].tolist() == [4.0, 5.0] and back["tail"].storage_offset() == 4
    # ... and the storage's bytes at the end: its element count, then its values
    data = f.getvalue()
    assert data[-6 * 4 - 8:-6 * 4] == (6).to_bytes(8, "little")
    assert np.frombuffer(data[-24:], np.float32).tolist() == [0, 1, 2, 3, 4, 5]


def test_legacy_header_pickles_cannot_name_storages():
    head = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    bad = b"\x80\x02X\x01\x00\x00\x00aQ."  # a persistent id in the version pickle
    with pytest.raises(pickle.UnpicklingError, match="persistent"):
        torchlet.load(io.BytesIO(head + bad), weights_only=False)


@needs_torch
def test_legacy_format_against_torch(tmp_path):
    base = torchlet.arange(12.0).reshape(3, 4)
    path = tmp_path / "legacy.pt"
    torchlet.save({"t": base.t(), "s": base.storage()}, path,
                  _use_new_zipfile_serialization=False)
    theirs = torch.load(path)
    assert theirs["t"].stride() == (1, 4) and isinstance(theirs["s"], torch.FloatStorage)
    torch.save(theirs, path, _use_new_zipfile_serialization=False)
    ours = torchlet.load(path)
    assert ours["t"].tolist() == base.t().tolist()
    assert isinstance(ours["s"], torchlet.FloatStorage) and ours["s"].size() == 12


# ------------------------------------------------------------------------- typed storages


def test_legacy_classes_make_typed_storages():
    s = torchlet.LongStorage([1, -2, 3])
    assert type(s) is torchlet.TypedStorage and s.dtype is torchlet.int64
    assert s.tolist() == [1, -2, 3] and s.size() == len(s) == 3 and s[-1] == 3
    assert isinstance(s, torchlet.LongStorage) and not isinstance(s, torchlet.IntStorage)
    assert isinstance(s, torchlet.TypedStorage)
    assert not isinstance(s.untyped(), torchlet.ByteStorage)  # untyped: no legacy class
    assert issubclass(torchlet.LongStorage, torchlet.TypedStorage)
    assert torchlet.FloatStorage(3).tolist() == [0.0, 0.0, 0.0]  # (zeros here)
    assert torchlet.FloatStorage().size() == 0
    assert torchlet.HalfStorage([1 / 3]).tolist() == [0.333251953125]  # float16's nearest
    assert torchlet.BoolStorage([0, 2, 0.5]).tolist() == [False, True, True]
    assert torchlet.FloatStorage([[1, 2], [3, 4]]).tolist() == [1.0, 2.0, 3.0, 4.0]
    wrapped = torchlet.FloatStorage(wrap_storage=torchlet.UntypedStorage([0, 0, 128, 63]))
    assert wrapped.tolist() == [1.0]  # 0x3F800000, little-endian
    for name, dtype in zip(_LEGACY, _DTYPES, strict=True):
        cls = getattr(torchlet, name)
        assert cls.dtype is getattr(torchlet, dtype) and repr(cls) == f"<class 'torch.{name}'>"
        assert isinstance(torchlet.zeros(2, dtype=cls.dtype).storage(), cls)


def test_legacy_class_argument_errors():
    with pytest.raises(RuntimeError, match="Too many positional arguments"):
        torchlet.FloatStorage(1, 2)
    with pytest.raises(RuntimeError, match="'dtype' cannot be specified"):
        torchlet.FloatStorage(2, dtype=torchlet.float64)
    with pytest.raises(TypeError, match="Argument type not recognized: <class 'float'>"):
        torchlet.FloatStorage(2.0)
    with pytest.raises(TypeError, match="must be UntypedStorage"):
        torchlet.FloatStorage(wrap_storage=torchlet.FloatStorage(1))
    with pytest.raises(RuntimeError, match="value cannot be converted to type int32"):
        torchlet.IntStorage([2**40])
    with pytest.raises(RuntimeError, match="Argument 'dtype' must be specified"):
        torchlet.TypedStorage(wrap_storage=torchlet.UntypedStorage(4))


def test_storage_type_and_default_storage():
    assert torchlet.tensor([1]).storage_type() is torchlet.LongStorage
    assert torchlet.tensor([1.0]).storage_type() is torchlet.FloatStorage
    assert torchlet.empty(2, device="meta").storage_type() is None
    assert torchlet.Storage is torchlet.FloatStorage
    torchlet.set_default_dtype(torchlet.float64)
    try:
        assert torchlet.Storage is torchlet.DoubleStorage
    finally:
        torchlet.set_default_dtype(torchlet.float32)
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchStorage'"):
        torchlet.NoSuchStorage  # noqa: B018


def test_typed_storage_warning_is_given_once(monkeypatch):
    monkeypatch.setattr(storage_module, "_TYPED_STORAGE_WARNED", [False])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torchlet.FloatStorage(2)
        torchlet.tensor([1.0]).storage_type()
    assert len(caught) == 1 and "TypedStorage is deprecated" in str(caught[0].message)
    assert caught[0].filename == __file__  # (pointing at the caller's line)


def test_conversions_convert_values():
    # torch converts values (not bytes) and copies, even to the same dtype
    u = torchlet.UntypedStorage([1, 0, 200, 0])
    assert u.float().tolist() == [1.0, 0.0, 200.0, 0.0] and u.float().dtype is torchlet.float32
    s = torchlet.FloatStorage([1.5, -2.7, 300.0])
    assert s.long().tolist() == [1, -2, 300] and s.byte().tolist() == [1, 254, 44]
    same = s.float()
    assert same is not s and same.data_ptr() != s.data_ptr() and same.tolist() == s.tolist()
    assert torchlet.IntStorage([0, 3]).bool().tolist() == [False, True]
    assert s.pickle_storage_type() == "FloatStorage"
    assert s._get_legacy_storage_class() is torchlet.FloatStorage


def test_copy_between_typed_storages_copies_bytes():
    dst = torchlet.IntStorage(2)
    dst.copy_(torchlet.FloatStorage([5.5, 6.0]))
    assert dst.tolist() == np.array([5.5, 6.0], np.float32).view(np.int32).tolist()
    assert dst.tolist() == [0x40B00000, 0x40C00000]


def test_from_buffer():
    b = bytes(range(1, 17))
    assert torchlet.ShortStorage.from_buffer(b, "little").tolist()[:2] == [0x0201, 0x0403]
    big = torchlet.UntypedStorage.from_buffer(b, "big", count=2, offset=1,
                                              dtype=torchlet.int16)
    assert big.tolist() == [3, 2, 5, 4]  # 0x0203, 0x0405 in this machine's order
    assert torchlet.BoolStorage.from_buffer(bytes([0, 1, 2]), "little").tolist() == [
        False, True, True]
    with pytest.raises(ValueError, match="must be a multiple of element size"):
        torchlet.UntypedStorage.from_buffer(b[:15], "little", dtype=torchlet.int32)
    with pytest.raises(RuntimeError, match="missing required argument 'byte_order'"):
        torchlet.ShortStorage.from_buffer(b)


_STORAGE_CASES = {
    "list": lambda L: L.LongStorage([1.7, -2.2]),
    "char": lambda L: L.CharStorage([127, -128]),
    "tuple": lambda L: L.ShortStorage((1, 2)),
    "str": lambda L: L.ByteStorage("ab"),
    "byte overflow": lambda L: L.ByteStorage([-1]),
    "tensor arg": lambda L: L.FloatStorage(L.tensor([1.0])),
    "np int size": lambda L: L.FloatStorage(np.int64(2)).size(),
    "negative size": lambda L: L.FloatStorage(-1),
    "device kw": lambda L: L.FloatStorage(2, device="cpu"),
    "wrap + arg": lambda L: L.FloatStorage(1, wrap_storage=L.UntypedStorage(4)),
    "wrap bad size": lambda L: L.FloatStorage(wrap_storage=L.UntypedStorage(5)).size(),
    "typed wrap": lambda L: L.TypedStorage(wrap_storage=L.UntypedStorage([0, 0, 128, 63]),
                                           dtype=L.float32),
    "typed 2 args": lambda L: L.TypedStorage(1, 2),
    "typed float": lambda L: L.TypedStorage(2.0),
    "isinstance int": lambda L: isinstance(3, L.FloatStorage),
    "isinstance other": lambda L: isinstance(L.tensor([1.0]).storage(), L.DoubleStorage),
    "type()": lambda L: L.ShortStorage(2).type(),
    "class dtype": lambda L: L.HalfStorage.dtype,
    "storage_type": lambda L: L.tensor([1], dtype=L.int8).storage_type(),
    "Storage": lambda L: L.Storage,
    "U.bool": lambda L: L.UntypedStorage([1, 0, 2, 0]).bool(),
    "T.double": lambda L: L.FloatStorage([1.5, 2]).double(),
    "T.half": lambda L: L.DoubleStorage([1 / 3, 70000.0]).half(),
    "T.char": lambda L: L.LongStorage([200, -129]).char(),
    "copy other": lambda L: L.ShortStorage(2).copy_(L.ByteStorage([1, 2, 3, 4])),
    "getitem oob": lambda L: L.FloatStorage([1.5, 2])[2],
    "getitem slice": lambda L: L.FloatStorage([1.5, 2, 3])[1:],
    "repr": lambda L: repr(L.IntStorage([1, 2])),
    "from_buffer typed": lambda L: L.TypedStorage.from_buffer(bytes(8), "big",
                                                              dtype=L.int64),
    "from_buffer dtype": lambda L: L.ShortStorage.from_buffer(bytes(4), "little",
                                                              dtype=L.int8),
    "from_buffer no dtype": lambda L: L.UntypedStorage.from_buffer(bytes(4)),
    "from_buffer order": lambda L: L.UntypedStorage.from_buffer(bytes(4), "middle",
                                                                dtype=L.int32),
    "from_buffer count": lambda L: L.UntypedStorage.from_buffer(bytes(16), "little",
                                                                count=5, dtype=L.int32),
    "from_buffer int8": lambda L: L.UntypedStorage.from_buffer(bytes([0, 255]),
                                                               dtype=L.int8),
}


@needs_torch
@pytest.mark.parametrize("case", sorted(_STORAGE_CASES))
def test_typed_storages_against_torch(case):
    _same_in_both(_STORAGE_CASES[case])


# ----------------------------------------------------------------------------------- set_


def test_set_to_a_tensor_shares_its_memory():
    base = torchlet.arange(12.0)
    src = base[2:].view(2, 5).t()
    a = torchlet.zeros(3)
    assert a.set_(src) is a
    assert a.shape == (5, 2) and a.stride() == (1, 5) and a.storage_offset() == 2
    assert a.tolist() == src.tolist() and a._version == 1
    assert a.untyped_storage().data_ptr() == base.untyped_storage().data_ptr()
    a[0, 0] = 100.0  # writes go both ways; the source's version counter is its own
    assert base[2].item() == 100.0 and base._version == 0 and a._version == 2


def test_set_to_a_storage():
    base = torchlet.arange(12.0)
    a = torchlet.zeros(1).set_(base.untyped_storage(), 2, (2, 3), (1, 2))
    assert a.tolist() == [[2.0, 4.0, 6.0], [3.0, 5.0, 7.0]] and a.storage_offset() == 2
    assert torchlet.zeros(1).set_(base.storage(), 1, (2,)).tolist() == [1.0, 2.0]
    assert torchlet.zeros(1).set_(base.storage()).tolist() == base.tolist()
    # an untyped storage's bytes are read as the tensor's dtype (floor of whole elements)
    ints = torchlet.zeros(1, dtype=torchlet.int32).set_(base.untyped_storage(), 0, (2,))
    assert ints.tolist() == np.array([0.0, 1.0], np.float32).view(np.int32).tolist()
    assert torchlet.zeros(1).set_(torchlet.UntypedStorage(7)).shape == (1,)
    empty = torchlet.arange(4.0).t().set_()
    assert empty.shape == (0,) and empty.stride() == (1,) and empty._version == 1


def test_set_errors():
    x = torchlet.zeros(2)
    with pytest.raises(RuntimeError, match="Could not set tensor of type long int to a "
                                           "tensor of type float"):
        x.set_(torchlet.arange(3))
    with pytest.raises(RuntimeError, match="Expected a Storage of type float or an "
                                           "UntypedStorage, but got type Long"):
        x.set_(torchlet.arange(3).storage())
    with pytest.raises(TypeError, match="set_"):
        x.set_(torchlet.ones(2).untyped_storage(), 1)
    with pytest.raises(TypeError, match="set_"):
        x.set_(3)
    with pytest.raises(RuntimeError, match="invalid storage offset -1"):
        x.set_(torchlet.ones(2).untyped_storage(), -1, (1,))
    with pytest.raises(RuntimeError, match="unequal size length"):
        x.set_(torchlet.ones(2).untyped_storage(), 0, (2, 3), (1,))
    # torchlet's storages cannot grow, where torch would resize a resizable one
    with pytest.raises(RuntimeError, match="not resizable"):
        x.set_(torchlet.ones(2).untyped_storage(), 1, (2,))
    assert x.tolist() == [0.0, 0.0] and x._version == 0  # (nothing changed)


def test_set_and_autograd():
    leaf = torchlet.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.set_(torchlet.ones(2))
    with torchlet.no_grad():
        leaf.set_(torchlet.ones(2))
    assert leaf.is_leaf and leaf.requires_grad and leaf.tolist() == [1.0, 1.0]
    src = torchlet.ones(2, requires_grad=True)
    a = torchlet.zeros(3, requires_grad=True) * 2
    a.set_(src)
    assert a.grad_fn.name() == "torch::autograd::NotImplemented" and not a.is_leaf
    assert [type(f).__name__ for f, _ in a.grad_fn.next_functions] == [
        "MulBackward0", "AccumulateGrad"]
    with pytest.raises(RuntimeError, match="derivative for set_ is not implemented"):
        a.sum().backward()
    # a tensor saved for backward, then set_: torch's version error
    b, w = torchlet.zeros(2), torchlet.ones(2, requires_grad=True)
    y = b * w
    b.set_(torchlet.ones(2))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def _set_cases():
    """set_ calls whose outcome torch and torchlet must share."""
    return {
        "no args": lambda L: L.arange(6.0).set_(),
        "tensor": lambda L: L.arange(6.0).set_(L.arange(12.0)[3:].view(3, 3)[:, 1]),
        "self": lambda L: (lambda a: a.set_(a))(L.arange(4.0)),
        "tensor geometry": lambda L: L.zeros(4).set_(L.arange(6.0), 1, (2, 2), (2, 1)),
        "storage": lambda L: L.zeros(2).set_(L.arange(5.0).untyped_storage()),
        "storage kw": lambda L: L.zeros(2).set_(source=L.arange(5.0).untyped_storage(),
                                                storage_offset=3, size=(2,)),
        "typed": lambda L: L.zeros(2, dtype=L.int16).set_(
            L.arange(8, dtype=L.int16).storage(), 1, L.Size([2, 3]), ()),
        "other dtype untyped": lambda L: L.zeros(2).set_(L.arange(3).untyped_storage()),
        "empty": lambda L: L.zeros(2).set_(L.arange(3.0).untyped_storage(), 2, (0, 2), (1, 1)),
        "bool": lambda L: L.zeros(2, dtype=L.bool).set_(L.tensor([True, False, True])),
        "neg size": lambda L: L.zeros(2).set_(L.ones(2).untyped_storage(), 0, (-1,)),
        "neg stride": lambda L: L.zeros(2).set_(L.ones(2).untyped_storage(), 0, (2,), (-1,)),
        "other dtype": lambda L: L.zeros(2).set_(L.arange(3)),
        "half storage": lambda L: L.zeros(2).set_(L.ones(2, dtype=L.float16).storage()),
        "meta": lambda L: L.empty(2, device="meta").set_(L.ones(2)),
        "leaf": lambda L: L.zeros(3, requires_grad=True).set_(L.ones(2)),
        "source rg": lambda L: L.zeros(3).set_(L.ones(2, requires_grad=True)),
        "non-leaf": lambda L: (L.zeros(3, requires_grad=True) * 2).set_(L.ones(2)),
        "non-leaf storage": lambda L: (L.zeros(3, requires_grad=True) * 2).set_(
            L.ones(4).untyped_storage(), 1, (2,)),
        "view of leaf": lambda L: L.zeros(4, requires_grad=True)[1:].set_(L.ones(2)),
    }


@needs_torch
@pytest.mark.parametrize("case", sorted(_set_cases()))
def test_set_against_torch(case):
    _same_in_both(_set_cases()[case])


@needs_torch
def test_set_sampled_against_torch():
    """Random in-bounds geometries on the storage of a random tensor (both dtypes of a
    pair of the same size), compared with torch: values, size, stride, offset, sharing."""
    rng = np.random.default_rng(18)
    pairs = [("float32", "int32"), ("float64", "int64"), ("int16", "float16"),
             ("uint8", "int8"), ("bool", "uint8"), ("float32", "float32")]
    for _ in range(60):
        src_name, dst_name = pairs[rng.integers(len(pairs))]
        n = int(rng.integers(1, 30))
        values = (rng.standard_normal(n) * 50).astype(src_name)
        ndim = int(rng.integers(0, 4))
        size = tuple(int(s) for s in rng.integers(0, 4, ndim))
        stride = tuple(int(s) for s in rng.integers(0, 5, ndim))
        reach = sum((s - 1) * st for s, st in zip(size, stride, strict=True)) if all(size) else 0
        if reach >= n:
            continue
        offset = int(rng.integers(0, n - reach))
        use_tensor = src_name == dst_name and rng.random() < 0.5
        results = []
        for lib in (torchlet, torch):
            src = lib.tensor(values)
            source = src if use_tensor else src.untyped_storage()
            t = lib.zeros(2, dtype=getattr(lib, dst_name)).set_(source, offset, size, stride)
            if t.numel():  # a write goes through: the source sees it
                t[(0,) * t.dim()] = 0
            # (an empty tensor whose strides are all 0 reports contiguous ones in torchlet)
            shown = t.stride() if t.numel() or any(stride) else None
            results.append((t.tolist(), tuple(t.shape), shown, t.storage_offset(),
                            t._version, src.tolist()))
        assert results[0] == results[1]
