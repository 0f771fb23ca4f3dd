"""Strides of size-0 tensors as torch reports them.

NumPy gives a new size-0 array all-zero strides. torch gives a new empty tensor contiguous
strides (wrap() does the same), but keeps the strides it is given: a NumPy array's (zeros
too) in from_numpy / as_tensor / asarray / tensor / the legacy constructors, and any empty
tensor's in a preserve_format copy (clone, empty_like, to(dtype), index_fill, put, ...).
Hand-derived expectations, plus a live comparison with torch where it is installed."""

import itertools
import warnings

import numpy as np
import pytest

import torchlet


def _layout(t):
    return tuple(t.shape), tuple(t.stride()), t.storage_offset(), t.is_contiguous()


# -- constructors keep a NumPy array's strides (divided by the item size) --------------------

_ARRAYS = {
    "zeros": (lambda: np.zeros((0, 3)), (0, 0)),
    "zeros3d_int": (lambda: np.zeros((2, 0, 3), np.int64), (0, 0, 0)),
    "slice": (lambda: np.empty((3, 5))[:, :0], (5, 1)),
    "step_slice": (lambda: np.empty((3, 5))[:0, ::2], (5, 2)),
    "transposed_slice": (lambda: np.empty((3, 5))[:, :0].T, (1, 5)),
}
_CONSTRUCTORS = {
    "tensor": torchlet.tensor, "from_numpy": torchlet.from_numpy,
    "as_tensor": torchlet.as_tensor, "asarray": torchlet.asarray, "Tensor": torchlet.Tensor,
    "tensor_f32": lambda a: torchlet.tensor(a, dtype=torchlet.float32),
    "as_tensor_f32": lambda a: torchlet.as_tensor(a, dtype=torchlet.float32),
    "DoubleTensor": torchlet.DoubleTensor, "LongTensor": torchlet.LongTensor,
}


@pytest.mark.parametrize("ctor", sorted(_CONSTRUCTORS))
@pytest.mark.parametrize("arr", sorted(_ARRAYS))
def test_constructors_keep_numpy_strides(ctor, arr):
    make, strides = _ARRAYS[arr]
    t = _CONSTRUCTORS[ctor](make())
    assert tuple(t.shape) == make().shape
    assert t.stride() == strides
    assert t.is_contiguous() and t.storage_offset() == 0


def test_legacy_type_of_ndarray_keeps_shape_and_layout():
    # torch.FloatTensor(ndarray) read the array as a list: (0, 3) became (0,), and a
    # transposed array's copy came out in C order
    t = torchlet.FloatTensor(np.zeros((0, 3)))
    assert (tuple(t.shape), t.stride()) == ((0, 3), (0, 0))
    t = torchlet.LongTensor(np.array([[1, 2], [3, 4]]).T)
    assert t.stride() == (1, 2) and t.tolist() == [[1, 3], [2, 4]]
    t = torchlet.zeros(1).new(np.empty((3, 5))[:, :0])
    assert (tuple(t.shape), t.stride()) == ((3, 0), (5, 1))


def test_views_and_copies_of_zero_strided_keep_zeros():
    t = torchlet.from_numpy(np.zeros((0, 3)))
    for y in (t.detach(), t.T, t.narrow(1, 0, 2), t.clone(), t.double(), t.contiguous(),
              torchlet.empty_like(t), torchlet.zeros_like(t), torchlet.tensor(t.detach()),
              torchlet.asarray(t, copy=True), t.data):
        assert y.stride() == (0, 0)
    assert t.unsqueeze(0).stride() == (0, 0, 0)
    assert t.view(-1).stride() == (1,)  # (a view to a new shape: torch's computed strides)


def test_preserve_format_copies_keep_any_empty_strides():
    x = torchlet.zeros(100).as_strided((2, 0, 3), (0, 5, 0))
    idx = torchlet.zeros(0, dtype=torchlet.long)
    for y in (x.clone(), torchlet.empty_like(x), x.double(), x.roll(1, 0), x.flip(0),
              x.index_fill(0, idx, 1.0), x.put(idx, torchlet.zeros(0)),
              x.index_put((idx,), torchlet.tensor(1.0))):
        assert y.stride() == (0, 5, 0)
    assert x.clone(memory_format=torchlet.contiguous_format).stride() == (3, 3, 1)


def test_new_empty_results_get_contiguous_strides():
    x = torchlet.zeros(0, 2, 3)
    assert torchlet.tensor([[]]).stride() == (1, 1)
    assert torchlet.empty(0, 3).stride() == (3, 1)
    assert x.repeat(1, 1, 2).stride() == (12, 6, 1)
    z = torchlet.from_numpy(np.zeros((0, 1, 2), np.float32))
    # (NumPy's tile / tril / roll of zero strides give views with zero strides)
    assert z.repeat(2, 1, 1).stride() == z.tril().stride() == z.roll(1).stride() == (2, 2, 1)
    assert x.tril().stride() == (6, 3, 1)
    assert x.roll(1).stride() == (6, 3, 1)
    assert x.argsort(0).transpose(0, 2).stride() == (1, 3, 6)
    assert x[x > 0].stride() == (1,)
    assert torchlet.from_numpy(np.zeros((0, 3))).add(1).stride() == (3, 1)


def test_numpy_pickle_deepcopy_of_empties():
    import copy
    import pickle

    for x, strides in ((torchlet.zeros(100).as_strided((2, 0, 3), (0, 5, 0)), (0, 5, 0)),
                       (torchlet.zeros(0, 3).t(), (1, 3)),
                       (torchlet.from_numpy(np.zeros((0, 3))), (0, 0))):
        assert x.stride() == strides
        # torch's NumPy array of an empty tensor has zero strides, whatever the tensor's
        assert x.numpy().strides == np.asarray(x).strides == (0,) * x.dim()
        assert torchlet.from_numpy(x.numpy()).stride() == (0,) * x.dim()
        for y in (pickle.loads(pickle.dumps(x)), copy.copy(x), copy.deepcopy(x)):
            assert (tuple(y.shape), y.stride()) == (tuple(x.shape), strides)
    assert torchlet.zeros(2, 3).numpy().strides == (12, 4)


def test_inplace19_case_passes():
    t = torchlet.tensor(np.zeros((0, 2, 2)))
    assert t.stride() == (0, 0, 0)
    assert t[:, 1:].storage_offset() == 0


# -- live comparison with torch ------------------------------------------------------------

_OPS = {
    "view": lambda L, x: x.view(-1), "flatten": lambda L, x: x.flatten(),
    "expand": lambda L, x: x.unsqueeze(0).expand(2, *x.shape),
    "split": lambda L, x: x.split(1, 0)[0], "chunk": lambda L, x: x.chunk(2, -1)[0],
    "narrow": lambda L, x: x.narrow(-1, 0, 0), "movedim": lambda L, x: x.movedim(0, -1),
    "unfold": lambda L, x: x.unfold(-1, 0, 1) if x.shape[-1] == 0 else x.unfold(-1, 1, 1),
    "repeat": lambda L, x: x.repeat(*(2,) * x.dim()), "tile": lambda L, x: x.tile((2,)),
    "cat": lambda L, x: L.cat([x, x], 0), "stack": lambda L, x: L.stack([x, x], 1),
    "tril": lambda L, x: x.tril(), "flip": lambda L, x: x.flip(0),
    "roll": lambda L, x: x.roll(1, 0),
    "roll_flat": lambda L, x: x.roll(1), "cumsum": lambda L, x: x.cumsum(0),
    "where": lambda L, x: L.where(x > 0, x, 0.0), "nonzero": lambda L, x: x.nonzero(),
    "masked": lambda L, x: x[x > 0], "index_select": lambda L, x: x.index_select(
        0, L.zeros(0, dtype=L.long)),
    "sum0": lambda L, x: x.sum(0), "sumk": lambda L, x: x.sum(-1, keepdim=True),
    "clone": lambda L, x: x.clone(), "double": lambda L, x: x.double(),
    "empty_like": lambda L, x: L.empty_like(x), "detach": lambda L, x: x.detach(),
    "index_fill": lambda L, x: x.index_fill(0, L.zeros(0, dtype=L.long), 1.0),
    "put": lambda L, x: x.put(L.zeros(0, dtype=L.long), L.zeros(0)),
    "masked_fill": lambda L, x: x.masked_fill(x > 0, 1.0), "add": lambda L, x: x + 1,
    "transpose": lambda L, x: x.transpose(0, -1), "permute_contig": lambda L, x: x.permute(
        *range(x.dim() - 1, -1, -1)).contiguous(),
}
_INPUTS = {
    "contig": lambda L, shape: L.zeros(shape) + 0,
    "numpy0": lambda L, shape: L.from_numpy(np.zeros(shape, np.float32)),
    "tensor_np": lambda L, shape: L.tensor(np.zeros(shape, np.float32)),
    "strided": lambda L, shape: L.zeros(200).as_strided(
        shape, tuple(range(2 * len(shape) - 1, 0, -2))),
}


def _sampled_cases(n=160):
    rng = np.random.default_rng(27)
    shapes = [s for r in (1, 2, 3) for s in itertools.product(range(3), repeat=r) if 0 in s]
    ops, inputs = sorted(_OPS), sorted(_INPUTS)
    return [(shapes[rng.integers(len(shapes))], inputs[rng.integers(len(inputs))],
             ops[rng.integers(len(ops))]) for _ in range(n)]


def _outcome(L, shape, inp, op):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _layout(_OPS[op](L, _INPUTS[inp](L, shape)))
    except Exception as e:  # noqa: BLE001 - the exception type is compared
        return type(e).__name__


def test_sampled_layouts_match_torch():
    torch = pytest.importorskip("torch")
    bad = [(case, _outcome(torch, *case), _outcome(torchlet, *case))
           for case in _sampled_cases()]
    bad = [b for b in bad if b[1] != b[2]]
    assert not bad, bad[:5]


def test_constructors_match_torch():
    torch = pytest.importorskip("torch")
    for (name, ctor), arr in itertools.product(sorted(_CONSTRUCTORS.items()), sorted(_ARRAYS)):
        make = _ARRAYS[arr][0]
        if name.endswith("_f32"):
            expect = _layout(getattr(torch, name[:-4])(make(), dtype=torch.float32))
        else:
            expect = _layout(getattr(torch, name)(make()))
        assert _layout(ctor(make())) == expect, (name, arr)
