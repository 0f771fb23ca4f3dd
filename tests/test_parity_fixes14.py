"""Four PyTorch-parity fixes, each checked live against torch (skipped without it):

1. a tensor's Python attributes (``t.g = ...``) survive ``pickle``, ``copy.copy``,
   ``copy.deepcopy`` and ``save``/``load`` exactly where torch's do (and Parameter's
   deepcopy drops them, as torch's does); checkpoints equal torch's byte for byte;
2. ``Tensor.type`` with a CUDA type (``'torch.cuda.FloatTensor'``, ``torch.cuda.FloatTensor``)
   raises the CPU build's RuntimeError, and its other arguments are parsed as torch parses
   them (same exception types and messages);
3. the deprecated ``nn.utils.weight_norm`` warns at the line torch's warns at (inside the
   library, so once per process), or at the caller of ``WeightNorm.apply``;
4. ``nn.TransformerEncoder`` warns when it cannot use nested tensors under the same
   conditions, with the same category and message, pointing at the same line.

Every comparison here is exact: attribute dicts, values, dtypes, flags, exception types
and messages, warning texts, file bytes. No floating-point rounding is involved (values
are small integers stored in float32).
"""

import copy
import importlib
import io
import json
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from test_serialization_parity import _same_id

import torchlet
from torchlet import _tensor


def _torch():
    return pytest.importorskip("torch")


def _libs():
    return torchlet, _torch()


# ================================================================ 1. Python attributes


def _with_attributes(lib):
    t = lib.arange(6.0).reshape(2, 3).requires_grad_()
    t.g = lib.ones(2)
    t.note = "x"
    t.pair = (1, 2.5)
    return t


def _summary(t):
    """What a round trip should keep: type name, values, flags, attributes (tensors by
    their values)."""
    attrs = {k: v.tolist() if hasattr(v, "tolist") else v for k, v in t.__dict__.items()}
    return (type(t).__name__, t.tolist(), t.dtype.__repr__().split(".")[-1], t.requires_grad,
            t.is_leaf, t.grad is None, attrs)


def _round_trips(lib):
    """Each way of copying, applied to plain tensors, views, non-leaves and Parameters."""
    t = _with_attributes(lib)
    (t * 2).sum().backward()  # .grad is set: pickling drops it, deepcopy keeps it
    view = lib.arange(6.0)[1:3]
    view.k = 1
    non_leaf = t * 2
    non_leaf.k = 3
    plain = lib.zeros(2)
    param = lib.nn.Parameter(lib.ones(2))
    param.g = 5
    param.h = lib.zeros(1)
    tensors = {"t": t, "view": view, "non_leaf": non_leaf, "plain": plain, "param": param}

    def saved_and_loaded(x, **kwargs):
        buffer = io.BytesIO()
        lib.save(x, buffer)
        buffer.seek(0)
        return lib.load(buffer, **kwargs)

    out = {}
    for name, x in tensors.items():
        out[name, "pickle"] = _summary(pickle.loads(pickle.dumps(x)))
        out[name, "pickle4"] = _summary(pickle.loads(pickle.dumps(x, protocol=4)))
        out[name, "save"] = _summary(saved_and_loaded(x))
        out[name, "save_unsafe"] = _summary(saved_and_loaded(x, weights_only=False))
        if x.is_leaf:
            out[name, "deepcopy"] = _summary(copy.deepcopy(x))
    return out


def test_attributes_survive_pickle_save_and_deepcopy_as_in_torch():
    ours, theirs = (_round_trips(lib) for lib in _libs())
    assert ours == theirs
    # the point of the fix, spelled out: a plain tensor keeps its attributes everywhere
    assert ours["t", "pickle"][-1] == {"g": [1.0, 1.0], "note": "x", "pair": (1, 2.5)}
    assert ours["t", "save"][-1] == ours["t", "pickle"][-1]
    assert ours["param", "deepcopy"][-1] == {}  # torch's Parameter.__deepcopy__ drops them


def test_deepcopy_copies_attributes_deeply_and_copy_shares():
    for lib in _libs():
        t = lib.tensor([1.0, 2.0, 3.0])
        t.items = [1]
        deep = copy.deepcopy(t)
        shallow = copy.copy(t)
        assert deep.items == [1] and deep.items is not t.items
        assert shallow.items is t.items  # copy.copy: the same attribute objects
        shallow[0] = 5.0  # and the same values (torch's copy shares the storage)
        assert t.tolist() == [5.0, 2.0, 3.0], lib.__name__
        assert deep.tolist() == [1.0, 2.0, 3.0]


def test_deepcopy_of_a_non_leaf_is_torchs_error():
    errors = []
    for lib in _libs():
        t = lib.ones(2, requires_grad=True) * 2
        t.k = 1
        with pytest.raises(RuntimeError) as info:
            copy.deepcopy(t)
        errors.append(str(info.value))
    assert errors[0] == errors[1]


def _saved(lib, obj) -> bytes:
    buffer = io.BytesIO()
    lib.save(obj, buffer)
    return buffer.getvalue()


def _checkpoint(lib):
    t = _with_attributes(lib)
    view = t.detach()[1]
    view.tag = "row"
    param = lib.nn.Parameter(lib.ones(2))
    param.k = "p"
    return {"t": t, "view": view, "param": param, "plain": lib.zeros(2), "again": [t, view]}


def test_checkpoint_with_attributes_is_torchs_file():
    torch = _torch()
    mine = _saved(torchlet, _checkpoint(torchlet))
    back = torch.load(io.BytesIO(mine))  # weights_only=True: the attributes are allowed
    assert back["t"].__dict__.keys() == {"g", "note", "pair"}
    assert back["view"].__dict__ == {"tag": "row"} and back["param"].__dict__ == {"k": "p"}
    assert back["again"][0] is back["t"]
    reference = _saved(torch, back)  # torch's file of the same objects
    assert _same_id(mine, reference) == reference  # byte for byte


def test_torchs_checkpoint_with_attributes_loads():
    torch = _torch()
    loaded = torchlet.load(io.BytesIO(_saved(torch, _checkpoint(torch))))
    assert type(loaded["t"]) is torchlet.Tensor and loaded["t"].requires_grad
    assert loaded["t"].g.tolist() == [1.0, 1.0] and loaded["t"].pair == (1, 2.5)
    assert loaded["view"].__dict__ == {"tag": "row"}
    assert type(loaded["param"]) is torchlet.nn.Parameter and loaded["param"].k == "p"
    assert loaded["again"][1] is loaded["view"]


class Opaque:
    """An attribute value that a weights-only load must refuse."""


def test_weights_only_refuses_an_attribute_it_does_not_know():
    errors = []
    for lib in _libs():
        t = lib.ones(1)
        t.f = Opaque()
        with pytest.raises(pickle.UnpicklingError) as info:
            lib.load(io.BytesIO(_saved(lib, t)))
        errors.append(str(info.value))
        loaded = lib.load(io.BytesIO(_saved(lib, t)), weights_only=False)
        assert type(loaded.f) is Opaque
    assert errors[0] == errors[1]


class Tagged(torchlet.Tensor):
    """A user's Tensor subclass (torch pickles its type by reference)."""


def test_a_subclass_keeps_its_type_and_attributes():
    torch = _torch()

    class TorchTagged(torch.Tensor):
        pass

    theirs = torch.ones(2).as_subclass(TorchTagged)
    theirs.z = 1
    back = copy.copy(theirs)  # (a local class cannot be pickled by reference)
    assert type(back) is TorchTagged and back.__dict__ == {"z": 1}

    ours = _tensor._as_subclass(torchlet.ones(2), Tagged)
    ours.z = 1
    for again in (pickle.loads(pickle.dumps(ours)), copy.copy(ours), copy.deepcopy(ours),
                  torchlet.load(io.BytesIO(_saved(torchlet, ours)), weights_only=False)):
        assert type(again) is Tagged and again.__dict__ == {"z": 1}
        assert again.tolist() == [1.0, 1.0]


def test_meta_tensor_pickles_without_values():
    torch = _torch()
    for lib in (torchlet, torch):
        t = lib.empty(4, 5, device="meta")
        t.k = 2
        back = pickle.loads(pickle.dumps(t))
        assert back.is_meta and tuple(back.shape) == (4, 5) and back.__dict__ == {"k": 2}
    assert len(pickle.dumps(torchlet.empty(1000, 1000, device="meta"))) < 1000


# ========================================================== 2. Tensor.type and CUDA types


def _type_calls(lib):
    """Tensor.type with each kind of argument: its result (dtype name) or its error."""
    calls = [
        ("torch.cuda.FloatTensor",), (lib.cuda.FloatTensor,), (lib.cuda.LongTensor,),
        ("torch.cuda.DoubleTensor",), ("torch.cuda.Foo",), ("torch.cuda.",), ("torch.cuda",),
        ("torch.xpu.FloatTensor",), ("torch.DoubleTensor",), (lib.LongTensor,),
        ("torch.Tensor",), (lib.Tensor,), ("torch.Foo",), ("FloatTensor",), (int,),
        (lib.nn.Parameter,), (3,), (lib.float16,), ("torch.sparse.LongTensor",),
        ("torch.float64",), (), (None,),
    ]
    keyword_calls = [
        ((lib.float64, 1), {}), ((lib.float64, None), {}), ((lib.float64, False, 3), {}),
        ((None,), {"non_blocking": 2}), ((lib.float64,), {"memory_format": 3}),
        ((lib.float64,), {"memory_format": lib.channels_last}),
        ((lib.float64,), {"memory_format": lib.preserve_format}),
        ((lib.float64,), {"dtype": lib.float32}), ((), {"foo": 1}),
        ((lib.float64,), {"non_blocking": 1, "foo": 2}), ((lib.float64,), {"async": 1}),
        ((lib.float64, False), {"async": True}), ((lib.cuda.FloatTensor, True), {}),
        (("torch.cuda.FloatTensor",), {"non_blocking": True}),
    ]
    t = lib.ones(2)
    out = []
    for args, kwargs in [(a, {}) for a in calls] + keyword_calls:
        try:
            result = t.type(*args, **kwargs)
            out.append(result if isinstance(result, str) else repr(result.dtype))
        except Exception as e:  # noqa: BLE001 - the type and message are what is compared
            out.append((type(e).__name__, str(e)))
    return out


def test_type_answers_as_torchs_cpu_build():
    ours, theirs = (_type_calls(lib) for lib in _libs())
    assert ours == theirs
    cuda_error = ours[0]
    assert cuda_error[0] == "RuntimeError"
    assert cuda_error[1].startswith("Cannot initialize CUDA without ATen_cuda library.")
    assert ours[1] == cuda_error  # the legacy type object, as its name


def test_type_follows_the_default_dtype():
    for lib in _libs():
        previous = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            assert lib.ones(2, dtype=lib.float32).type("torch.Tensor").dtype == lib.float64
            assert lib.ones(2, dtype=lib.float32).type(lib.Tensor).dtype == lib.float64
        finally:
            lib.set_default_dtype(previous)


def test_type_keeps_autograd_and_identity():
    for lib in _libs():
        x = lib.ones(2, requires_grad=True)
        assert x.type(lib.float32) is x and x.type("torch.FloatTensor") is x
        assert x.type(lib.DoubleTensor).grad_fn is not None


_ASYNC_SCRIPT = """
import json, warnings, {lib}
t = {lib}.ones(2)
shown = []
for _ in range(2):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        t.type({lib}.float64, **{{"async": True}})
    shown.append([str(x.message) for x in w])
print(json.dumps(shown))
"""


def _async_warnings(name):
    """The warnings of two ``type(..., async=True)`` calls in a fresh process (torch warns
    once per process, so only a fresh one shows the first)."""
    done = subprocess.run([sys.executable, "-c", _ASYNC_SCRIPT.format(lib=name)],
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    return json.loads(done.stdout)


def test_type_async_warns_once_as_torch():
    _torch()
    ours, theirs = _async_warnings("torchlet"), _async_warnings("torch")
    assert ours == theirs
    assert len(ours[0]) == 1 and ours[1] == []


# ======================================================= 3. the deprecated weight_norm


def _weight_norm_warnings(lib):
    """The warnings of four weight_norm calls from two lines, under the default filters:
    (category, message, file relative to the package's parent, line)."""
    root = Path(lib.__file__).resolve().parent.parent
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # (changing the filters resets the registries)
        for _ in range(3):
            lib.nn.utils.weight_norm(lib.nn.Linear(2, 2))
        lib.nn.utils.weight_norm(lib.nn.Conv1d(1, 2, 3))
    return [(w.category.__name__, str(w.message), Path(w.filename).resolve(), w.lineno, root)
            for w in caught]


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_weight_norm_warns_where_torch_warns():
    ours, theirs = (_weight_norm_warnings(lib) for lib in _libs())
    assert len(ours) == len(theirs) == 1  # once, however many calls and call sites
    for (category, _, path, line, root), lib in zip((ours[0], theirs[0]), _libs()):
        assert category == "FutureWarning"
        # inside the library, at weight_norm()'s call of WeightNorm.apply
        assert path == root / lib.__name__ / "nn" / "utils" / "weight_norm.py"
        assert line == _line_of(path, "WeightNorm.apply(module, name, dim)")
    assert ours[0][1] == theirs[0][1]


def test_weight_norm_apply_warns_at_its_caller():
    for lib in _libs():
        # (nn.utils.weight_norm is the function; its module holds WeightNorm)
        module = importlib.import_module(f"{lib.__name__}.nn.utils.weight_norm")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module.WeightNorm.apply(lib.nn.Linear(2, 2), "weight", 0)
        assert [Path(w.filename).resolve() for w in caught] == [Path(__file__).resolve()]


# ============================================== 4. TransformerEncoder and nested tensors


def _encoder_layers(lib):
    nn, F = lib.nn, lib.nn.functional

    def unequal_eps():
        layer = nn.TransformerEncoderLayer(8, 2, batch_first=True)
        layer.norm2.eps = 1e-6
        return layer

    def separate_qkv():
        layer = nn.TransformerEncoderLayer(8, 2, batch_first=True)
        layer.self_attn._qkv_same_embed_dim = False
        return layer

    return {
        "default": lambda: nn.TransformerEncoderLayer(8, 2),
        "batch_first": lambda: nn.TransformerEncoderLayer(8, 2, batch_first=True),
        "norm_first": lambda: nn.TransformerEncoderLayer(8, 2, norm_first=True),
        "no_bias": lambda: nn.TransformerEncoderLayer(8, 2, batch_first=True, bias=False),
        "tanh": lambda: nn.TransformerEncoderLayer(8, 2, batch_first=True,
                                                   activation=lib.tanh),
        "gelu": lambda: nn.TransformerEncoderLayer(8, 2, batch_first=True,
                                                   activation="gelu"),
        "F.gelu": lambda: nn.TransformerEncoderLayer(8, 2, batch_first=True,
                                                     activation=F.gelu),
        "GELU(tanh)": lambda: nn.TransformerEncoderLayer(8, 2, batch_first=True,
                                                         activation=nn.GELU("tanh")),
        "ReLU()": lambda: nn.TransformerEncoderLayer(8, 2, batch_first=True,
                                                     activation=nn.ReLU()),
        "odd_heads": lambda: nn.TransformerEncoderLayer(9, 3, batch_first=True),
        "one_head": lambda: nn.TransformerEncoderLayer(8, 1, batch_first=True),
        "not_a_layer": lambda: nn.Linear(8, 8),
        "unequal_eps": unequal_eps,
        "separate_qkv": separate_qkv,
    }


def _encoder_warnings(lib):
    out = {}
    for name, make in _encoder_layers(lib).items():
        for enable in (True, False, 1):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                encoder = lib.nn.TransformerEncoder(make(), 2, enable_nested_tensor=enable)
            out[name, enable] = (
                [(w.category.__name__, str(w.message), Path(w.filename).name) for w in caught],
                encoder.use_nested_tensor, encoder.enable_nested_tensor)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib.nn.Transformer(8, 2, 1, 1, 16)  # builds its encoder inside the library
    out["Transformer"] = [(str(w.message), Path(w.filename).name) for w in caught]
    return out


def test_encoder_warns_as_torch():
    ours, theirs = (_encoder_warnings(lib) for lib in _libs())
    assert ours == theirs
    assert ours["default", True][0] == [(
        "UserWarning",
        "enable_nested_tensor is True, but self.use_nested_tensor is False because "
        "encoder_layer.self_attn.batch_first was not True(use batch_first for better "
        "inference performance)", Path(__file__).name)]
    assert ours["batch_first", True] == ([], True, True)


def test_encoder_warning_is_shown_once_per_line():
    counts = []
    for lib in _libs():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            for _ in range(3):
                lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2), 1)
        counts.append(len(caught))
    assert counts == [1, 1]
