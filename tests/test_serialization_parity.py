"""Regression tests for the save/load, optimizer-hook, collate and generator fixes of the
torch-vs-torchlet sweep (F6):

* optimizer step hooks see ``args == (optimizer,)``, as in torch;
* loaded tensors keep their storage offset and share the storage of their file record;
* ``save`` writes torch's zip layout (same sizes, same bytes apart from the random id);
* generators are pickled as torch pickles them (``(seed, offset, state)``);
* ``torch.utils.data._utils.collate`` exists;
* ``add_safe_globals`` and friends, torch's weights-only messages and error types.

Each test checks a hand-derived value, and compares with torch when it is installed.
"""

import copy
import io
import pickle
import struct
import zipfile
import zlib

import numpy as np
import pytest

import torchlet
from torchlet import _zip_writer, nn, serialization


def _torch():
    return pytest.importorskip("torch")


def _saved(lib, obj) -> bytes:
    buffer = io.BytesIO()
    lib.save(obj, buffer)
    return buffer.getvalue()


def _load(lib, data: bytes, **kwargs):
    return lib.load(io.BytesIO(data), **kwargs)


# ------------------------------------------------------------------ optimizer step hooks


def _hooked_step(lib):
    p = lib.nn.Parameter(lib.ones(1))
    p.grad = lib.ones(1)
    opt = lib.optim.SGD([p], lr=0.1)
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(
        ("pre", len(args), args[0] is o, sorted(kwargs))))
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(
        ("post", len(args), args[0] is o, sorted(kwargs))))
    # a pre-hook's (new_args, new_kwargs) replaces all arguments, the optimizer included
    opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": lambda: 7.0}))
    loss = opt.step()
    return seen, loss, p.detach().tolist()


def test_step_hooks_receive_the_optimizer_in_args():
    seen, loss, value = _hooked_step(torchlet)
    assert seen == [("pre", 1, True, []), ("post", 1, True, ["closure"])]
    assert loss == 7.0 and value == pytest.approx([0.9])  # 1 - 0.1 * 1
    assert _hooked_step(_torch()) == (seen, loss, value)


# ------------------------------------------------------------ storage offsets after load


def _views(lib):
    base = lib.arange(12.0).reshape(3, 4)
    return [base, base[2], base[1:, ::2], base.t(), lib.arange(10.0)[3:6]]


def _geometry(tensors):
    return [(t.storage_offset(), t.stride(), t.tolist()) for t in tensors]


@pytest.mark.parametrize("writer", ["torchlet", "torch"])
def test_loaded_views_keep_their_storage_offset(writer):
    lib = torchlet if writer == "torchlet" else _torch()
    loaded = _load(torchlet, _saved(lib, _views(lib)))
    expected = [  # offsets and strides into base's 12 elements, as written
        (0, (4, 1), [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]),
        (8, (1,), [8.0, 9.0, 10.0, 11.0]),
        (4, (4, 2), [[4.0, 6.0], [8.0, 10.0]]),
        (0, (1, 4), [[0.0, 4.0, 8.0], [1.0, 5.0, 9.0], [2.0, 6.0, 10.0], [3.0, 7.0, 11.0]]),
        (3, (1,), [3.0, 4.0, 5.0]),
    ]
    assert _geometry(loaded) == expected
    base, row, view, _, alone = loaded
    view[0, 0] = -1.0  # the loaded tensors still share one storage
    row[3] = 100.0
    assert base[1, 0].item() == -1.0 and base[2, 3].item() == 100.0
    assert alone.storage_offset() == 3
    if writer == "torch":
        torch = _torch()
        assert _geometry(_load(torch, _saved(torch, _views(torch)))) == expected


def test_loaded_view_saves_again_with_its_offset():
    base, row, view, _, _ = _load(torchlet, _saved(torchlet, _views(torchlet)))
    again = _load(torchlet, _saved(torchlet, [base, view, row]))
    assert _geometry(again) == _geometry([base, view, row])


# ------------------------------------------------------------------- the zip layout


def _local_extra(data: bytes, info: zipfile.ZipInfo) -> bytes:
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:
                                                    info.header_offset + 30])
    start = info.header_offset + 30 + name_len
    return data[start:start + extra_len]


def test_zip_layout_is_torchs():
    data = _saved(torchlet, torchlet.ones(3))
    # torch.save(torch.ones(3), buffer) writes 1577 bytes: 7 records, each with a 30-byte
    # header, its name, an FB extra padding its data to 64 bytes, and a 16-byte descriptor
    assert len(data) == 1577
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == [
            "archive/data.pkl", "archive/.format_version", "archive/.storage_alignment",
            "archive/byteorder", "archive/data/0", "archive/version",
            "archive/.data/serialization_id"]
        for info in infos:
            assert info.flag_bits == 0x0808 and info.date_time == (1980, 0, 0, 0, 0, 0)
            assert (info.create_system, info.create_version, info.extract_version) == (0, 0, 0)
            assert info.external_attr == 0 and info.extra == b""  # no central padding
            extra = _local_extra(data, info)
            assert extra[:2] == b"FB" and struct.unpack("<H", extra[2:4])[0] == len(extra) - 4
            start = info.header_offset + 30 + len(info.filename) + len(extra)
            assert start % 64 == 0
            # the data descriptor: signature, CRC, sizes
            descriptor = data[start + info.file_size:start + info.file_size + 16]
            assert descriptor == struct.pack("<IIII", 0x08074B50, info.CRC, info.file_size,
                                             info.file_size)
        assert zf.getinfo("archive/data/0").header_offset == 598
        assert zf.read("archive/data/0") == np.ones(3, np.float32).tobytes()
    assert data.endswith(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 7, 7, 463, 1016, 0))


def _objects(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(10, 20), lib.nn.ReLU(), lib.nn.Linear(20, 2))
    opt = lib.optim.Adam(model.parameters())
    model(lib.randn(3, 10)).sum().backward()
    opt.step()
    return {
        "tensor": lib.ones(3), "empty": lib.empty(0), "scalar": lib.tensor(3.0),
        "state_dict": model.state_dict(), "optimizer": opt.state_dict(),
        "nested": {"a": [1, 2.5, "x", (lib.ones(2), None)], "b": lib.zeros(5, dtype=lib.int64)},
        "views": _views(lib), "int": 5, "many": [lib.ones(i) for i in range(15)],
    }


def _same_id(ours: bytes, theirs: bytes) -> bytes:
    """``ours`` with the random serialization id (and its two CRCs) of ``theirs``."""
    def ident(data):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.read("archive/.data/serialization_id")

    a, b = ident(ours), ident(theirs)
    crc_a, crc_b = (struct.pack("<I", zlib.crc32(x)) for x in (a, b))
    return ours.replace(a, b).replace(crc_a, crc_b)


def test_files_equal_torchs_byte_for_byte():
    torch = _torch()
    ours = _objects(torchlet)
    for key, obj in ours.items():
        mine = _saved(torchlet, obj)
        reference = _saved(torch, _load(torch, mine))  # torch's file of the same values
        assert len(mine) == len(reference), key
        assert _same_id(mine, reference) == reference, key
    # and the sizes of torch's own objects built the same way (values may differ in ulps)
    theirs = _objects(torch)
    assert {k: len(_saved(torchlet, v)) for k, v in ours.items()} == \
        {k: len(_saved(torch, v)) for k, v in theirs.items()}


def test_files_load_both_ways():
    torch = _torch()
    ours = _objects(torchlet)
    back = _load(torch, _saved(torchlet, ours), weights_only=True)
    assert back["state_dict"]["0.weight"].tolist() == ours["state_dict"]["0.weight"].tolist()
    assert back["views"][2].storage_offset() == 4
    again = _load(torchlet, _saved(torch, back))
    assert again["optimizer"]["state"][0]["exp_avg"].tolist() == \
        ours["optimizer"]["state"][0]["exp_avg"].tolist()


def test_zip64_records(monkeypatch):
    # Records past 4 GiB get zip64 fields; a lowered threshold exercises the same code.
    monkeypatch.setattr(_zip_writer.ZipWriter, "_LIMIT", 200)
    obj = {"a": torchlet.arange(100.0), "b": torchlet.ones(3)}
    data = _saved(torchlet, obj)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert zf.getinfo("archive/data/0").file_size == 400
        big = zf.getinfo("archive/data/0")
        assert _local_extra(data, big)[:2] == b"\x01\x00"  # zip64 field first, then FB
    assert _load(torchlet, data)["a"].tolist() == list(np.arange(100.0))
    try:
        import torch
    except ImportError:
        return
    assert torch.load(io.BytesIO(data))["a"].tolist() == list(np.arange(100.0))


# ------------------------------------------------------------------------- generators


def test_generator_pickles_as_torchs():
    g = torchlet.Generator().manual_seed(5)
    torchlet.randn(3, generator=g)
    clone = copy.deepcopy(g)
    assert clone.initial_seed() == 5
    assert torchlet.randn(4, generator=clone).tolist() == torchlet.randn(4, generator=g).tolist()
    reduced = g.__reduce__()
    assert reduced[2][0] == 5 and reduced[2][1] is None and reduced[2][2].shape == (5056,)
    back = _load(torchlet, _saved(torchlet, {"g": g}), weights_only=False)["g"]
    assert torchlet.rand(2, generator=back).tolist() == torchlet.rand(2, generator=g).tolist()


def test_generator_checkpoints_cross_libraries():
    torch = _torch()
    theirs = torch.Generator().manual_seed(3)
    torch.randn(2, generator=theirs)
    ours = _load(torchlet, _saved(torch, theirs), weights_only=False)
    assert isinstance(ours, torchlet.Generator) and ours.initial_seed() == 3
    assert torchlet.randn(5, generator=ours).tolist() == torch.randn(5, generator=theirs).tolist()
    back = _load(torch, _saved(torchlet, ours), weights_only=False)
    assert torch.randn(5, generator=back).tolist() == torchlet.randn(5, generator=ours).tolist()


# -------------------------------------------------------------------------- collate


def test_collate_module_path():
    from torchlet.utils.data._utils.collate import collate, default_collate, default_collate_fn_map

    assert default_collate is torchlet.utils.data.default_collate

    class Point:
        def __init__(self, x):
            self.x = x

    def collate_points(batch, *, collate_fn_map=None):
        return sum(p.x for p in batch)

    default_collate_fn_map[Point] = collate_points
    try:
        batch = default_collate([(Point(1), 2), (Point(3), 4)])
        assert batch[0] == 4 and batch[1].tolist() == [2, 4]
        assert collate([Point(5)], collate_fn_map={Point: collate_points}) == 5
    finally:
        del default_collate_fn_map[Point]


# ------------------------------------------------------- safe globals and error messages


def test_safe_globals_api():
    serialization.clear_safe_globals()
    data = _saved(torchlet, nn.Linear(2, 2))
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL torchlet.nn.modules.linear.Linear"
                                                     " was not an allowed global by default"):
        _load(torchlet, data)
    with serialization.safe_globals([nn.Linear]):
        assert serialization.get_safe_globals() == [nn.Linear]
        assert type(_load(torchlet, data)) is nn.Linear
    assert serialization.get_safe_globals() == []
    serialization.add_safe_globals([(nn.Linear, "torchlet.nn.modules.linear.Linear")])
    try:
        assert type(_load(torchlet, data)) is nn.Linear
    finally:
        serialization.clear_safe_globals()
    with pytest.raises(TypeError, match="'type' object is not iterable"):
        serialization.add_safe_globals(nn.Linear)


def test_safe_globals_accept_torch_names():
    torch = _torch()
    data = _saved(torch, torch.nn.Linear(2, 3))
    with pytest.raises(pickle.UnpicklingError) as ours:
        _load(torchlet, data)
    with pytest.raises(pickle.UnpicklingError) as theirs:
        _load(torch, data)
    assert str(ours.value) == str(theirs.value)
    assert "GLOBAL torch.nn.modules.linear.Linear was not an allowed" in str(ours.value)
    with serialization.safe_globals([nn.Linear]):  # torchlet's class, named as torch's
        layer = _load(torchlet, data)
    assert type(layer) is nn.Linear and layer.weight.shape == (3, 2)


def _error(lib, data, **kwargs):
    try:
        _load(lib, data, **kwargs)
    except Exception as e:  # noqa: BLE001 (the type is what we compare)
        return type(e).__name__, str(e)
    return None


def _error_cases(lib):
    buffer = io.BytesIO()
    lib.save(lib.ones(2), buffer, pickle_protocol=4)
    return {
        "garbage": (b"garbage data", {}),
        "garbage_trusted": (b"garbage data", {"weights_only": False}),
        "empty": (b"", {}),
        "empty_trusted": (b"", {"weights_only": False}),
        "protocol4": (buffer.getvalue(), {}),
        "plain_pickle": (pickle.dumps({"a": 1}, protocol=2), {}),
        "not_a_zip": (b"PK\x03\x04" + b"x" * 40, {}),
        "frozenset": (_saved(lib, {"f": frozenset([3])}), {}),
        "print": (_saved(lib, print), {}),
    }


def test_error_types_and_messages():
    cases = _error_cases(torchlet)
    with pytest.warns(UserWarning, match="Detected pickle protocol 4"):
        got = {name: _error(torchlet, data, **kw) for name, (data, kw) in cases.items()}
    assert got["garbage"][0] == "UnpicklingError" and "Unsupported operand 103" in got["garbage"][1]
    assert got["empty"] == ("EOFError", "")
    assert got["empty_trusted"] == ("EOFError", "Ran out of input")
    assert got["plain_pickle"] == ("RuntimeError", "Invalid magic number; corrupt file?")
    assert "Unsupported operand 149" in got["protocol4"][1]
    assert "GLOBAL frozenset was not an allowed" in got["frozenset"][1]
    assert "torch.serialization.add_safe_globals([print])" in got["print"][1]
    assert _load(torchlet, cases["protocol4"][0], weights_only=False).tolist() == [1.0, 1.0]
    try:
        import torch
    except ImportError:
        return
    with pytest.warns(UserWarning):
        theirs = {name: _error(torch, data, **kw) for name, (data, kw) in cases.items()}
    assert got == theirs


def test_save_to_something_that_is_not_a_file():
    with pytest.raises(AttributeError) as ours:
        torchlet.save(torchlet.ones(1), 5)
    # torch's message, without naming the type
    assert str(ours.value) == ("expected 'f' to be string, path, or a file-like object with a "
                               "'write' attribute")
    try:
        import torch
    except ImportError:
        return
    with pytest.raises(AttributeError) as theirs:
        torch.save(torch.ones(1), 5)
    assert str(theirs.value) == str(ours.value)
