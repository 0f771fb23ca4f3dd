"""tensor.untyped_storage() and tensor.storage() (torchlet/storage.py): one storage per
block of memory, shared by views, with torch's sizes, offsets, printing and warnings.
Exact: sizes, byte values, addresses relative to data_ptr and printed text."""

import copy
import warnings

import numpy as np
import pytest

import torchlet
from torchlet import storage as storage_module

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


@pytest.fixture(autouse=True)
def _quiet_typed_storage_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def test_views_share_one_storage_object():
    x = torchlet.arange(6.0)
    s = x.untyped_storage()
    assert x.view(2, 3).t().untyped_storage() is s
    assert x[3:].untyped_storage() is s
    assert s.data_ptr() == x.data_ptr()
    assert s.nbytes() == len(s) == 24
    assert x[3:].storage_offset() == 3
    assert x.clone().untyped_storage() is not s


def test_bytes_are_the_tensor_bytes_and_writes_go_through():
    x = torchlet.tensor([1, 258], dtype=torchlet.int16)
    assert x.untyped_storage().tolist() == [1, 0, 2, 1]  # little-endian
    x.untyped_storage()[0] = 7
    assert x.tolist() == [7, 258]
    t = x.storage()
    t[1] = -1
    assert x.tolist() == [7, -1]
    assert x._version == 0  # as torch: a storage write is not an in-place op


def test_typed_storage_elements_and_types():
    t = torchlet.tensor([[1.5, 2.0], [3.0, 4.0]]).t().storage()
    assert t.tolist() == [1.5, 2.0, 3.0, 4.0]  # memory order, not the view's
    assert type(t[0]) is float and t.size() == 4 and t.element_size() == 4
    assert t.dtype is torchlet.float32 and t.type() == "torch.FloatStorage"
    assert torchlet.tensor([True, False]).storage().tolist() == [True, False]
    with pytest.raises(IndexError, match="out of range for storage of size 4"):
        t[4]
    with pytest.raises(RuntimeError, match="slices are only supported"):
        t[0:2]


def test_slices_of_an_untyped_storage_view_its_bytes():
    x = torchlet.tensor([1.0, 2.0])
    part = x.untyped_storage()[4:8]
    assert part.nbytes() == 4 and part.data_ptr() == x.data_ptr() + 4
    part.copy_(torchlet.tensor([5.0]).untyped_storage())
    assert x.tolist() == [1.0, 5.0]
    with pytest.raises(RuntimeError, match="size mismatch"):
        part.copy_(torchlet.tensor([5.0, 6.0]).untyped_storage())


def test_copies_are_new_memory_and_fill_writes_through():
    x = torchlet.ones(3)
    s = x.untyped_storage()
    c = copy.deepcopy(s)
    assert c.data_ptr() != s.data_ptr() and c.tolist() == s.tolist()
    s.fill_(0)
    assert x.tolist() == [0.0, 0.0, 0.0] and c.tolist()[3] == 63  # 1.0 = 0x3f800000


def test_empty_tensor_storage_and_is_storage():
    e = torchlet.tensor([])
    assert e.untyped_storage().data_ptr() == 0 and e.storage().size() == 0
    assert torchlet.is_storage(e.untyped_storage()) and torchlet.is_storage(e.storage())
    assert not torchlet.is_storage(e)
    with pytest.raises(RuntimeError, match="not resizable"):
        e.untyped_storage().resize_(4)


def test_typed_storage_warns_once_with_torchs_message(monkeypatch):
    monkeypatch.setattr(storage_module, "_TYPED_STORAGE_WARNED", [False])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torchlet.arange(3).storage()
        torchlet.arange(3).storage()
    assert len(caught) == 1 and caught[0].category is UserWarning
    assert str(caught[0].message).startswith("TypedStorage is deprecated.")
    assert caught[0].filename == __file__  # points at the caller, as torch's does


def test_printing():
    assert str(torchlet.arange(3).storage()) == (
        " 0\n 1\n 2\n[torch.storage.TypedStorage(dtype=torch.int64, device=cpu) of size 3]")
    assert repr(torchlet.tensor([1, 2], dtype=torchlet.uint8).untyped_storage()) == (
        " 1\n 2\n[torch.storage.UntypedStorage(device=cpu) of size 2]")


def _cases(lib):
    lib.manual_seed(0)
    a = lib.randn(4, 5)
    return {
        "matmul": a @ lib.randn(5, 3), "slice": a[1:, 2:], "T": a.T, "chunk": a.chunk(2)[1],
        "expand": a[:1].expand(3, 5), "flatten_t": a.t().reshape(-1), "cat": lib.cat([a, a]),
        "index": a[[0, 2]], "linear": lib.nn.functional.linear(lib.randn(64, 784),
                                                              lib.randn(256, 784)),
        "diagonal": a.diagonal(), "unbind": a.unbind(0)[2], "arange": lib.arange(10)[2:5],
    }


@needs_torch
def test_sizes_and_offsets_match_torch():
    ours, theirs = _cases(torchlet), _cases(torch)
    for name, t in theirs.items():
        mine = ours[name]
        assert mine.untyped_storage().nbytes() == t.untyped_storage().nbytes(), name
        assert mine.storage_offset() == t.storage_offset(), name
        assert (mine.data_ptr() - mine.untyped_storage().data_ptr()
                == t.data_ptr() - t.untyped_storage().data_ptr()), name
        values, expected = mine.storage().tolist(), t.storage().tolist()
        if name in ("matmul", "linear"):  # products: equal within float32 rounding
            np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-4)
        else:  # the same elements, printed the same
            assert values == expected, name
            assert str(mine.storage()) == str(t.storage()), name
