"""Regressions from a differential hunt over torch.nn.utils (torch 2.13 as the oracle):
unpad_sequence's in-place transpose, pad_sequence's TypeError for a non-tensor element,
Tensor.resize_'s memory_format (which the conv weight memory-format conversion relies
on), plus small seeded differential sweeps of parametrize / spectral_norm / weight_norm /
pruning / orthogonal against torch live.

Each regression test states the expected behaviour by hand (so it means something without
torch) and, where torch is importable, also checks it against torch live.
"""

from __future__ import annotations

import random
import warnings

import numpy as np
import pytest

import torchlet
import torchlet.nn.utils.parametrizations
import torchlet.nn.utils.parametrize
import torchlet.nn.utils.prune
import torchlet.nn.utils.rnn

try:
    import torch as _torch
    import torch.nn.utils.parametrizations  # noqa: F401
    import torch.nn.utils.parametrize  # noqa: F401
    import torch.nn.utils.prune  # noqa: F401
    import torch.nn.utils.rnn  # noqa: F401
except ImportError:  # pragma: no cover - torch is optional
    _torch = None

needs_torch = pytest.mark.skipif(_torch is None, reason="torch not installed")


def _outcome(fn):
    """('ok', value) or (exception type name, first line of its message)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", fn()
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__, str(e).split("\n")[0]


def _both(fn):
    """fn(torchlet) and, when torch is importable, fn(torch)."""
    return [fn(torchlet)] + ([] if _torch is None else [fn(_torch)])


# ---------------------------------------------------------------------------------------
# unpad_sequence transposes its argument in place when batch_first=False (as torch)


def _unpad(lib):
    lib.manual_seed(0)
    padded = lib.randn(4, 3, 2)  # (T, B, *)
    before = padded.detach().numpy().copy()
    seqs = lib.nn.utils.rnn.unpad_sequence(padded, lib.tensor([4, 2, 1]))
    return (tuple(padded.shape), tuple(padded.stride()), before,
            [s.detach().numpy() for s in seqs])


def test_unpad_sequence_transposes_in_place():
    for shape, stride, before, seqs in _both(_unpad):
        assert shape == (3, 4, 2) and stride == (2, 6, 1)
        assert [s.shape for s in seqs] == [(4, 2), (2, 2), (1, 2)]
        np.testing.assert_array_equal(seqs[1], before[:2, 1])
    if _torch is not None:
        ours, theirs = _both(_unpad)
        np.testing.assert_array_equal(ours[2], theirs[2])
        for a, b in zip(ours[3], theirs[3], strict=True):
            np.testing.assert_array_equal(a, b)


def _unpad_leaf(lib):
    padded = lib.zeros(3, 2, requires_grad=True)
    return _outcome(lambda: lib.nn.utils.rnn.unpad_sequence(padded, lib.tensor([3, 1])))


def test_unpad_sequence_refuses_a_leaf_that_requires_grad():
    for out in _both(_unpad_leaf):
        assert out == ("RuntimeError",
                       "a leaf Variable that requires grad is being used in an in-place "
                       "operation.")


def test_unpad_sequence_batch_first_leaves_input_alone():
    for lib in [torchlet] + ([] if _torch is None else [_torch]):
        padded = lib.arange(6.).reshape(2, 3)
        seqs = lib.nn.utils.rnn.unpad_sequence(padded, lib.tensor([3, 1]), batch_first=True)
        assert tuple(padded.shape) == (2, 3)
        assert [s.tolist() for s in seqs] == [[0.0, 1.0, 2.0], [3.0]]


# ---------------------------------------------------------------------------------------
# pad_sequence: a non-tensor element is torch's argument-parser TypeError, checked first


@pytest.mark.parametrize("case", range(5))
def test_pad_sequence_non_tensor_element(case):
    def run(lib):
        seqs, kw = [
            ([lib.ones(2), None], {}),
            ([np.ones(2)], {}),
            ([1.5], {"padding_side": "middle"}),
            ([lib.ones(2), "a"], {"batch_first": True}),
            ((lib.ones(2), [1, 2]), {}),
        ][case]
        return _outcome(lambda: lib.nn.utils.rnn.pad_sequence(seqs, **kw))

    expected = [("TypeError", "expected Tensor as element 1 in argument 0, but got NoneType"),
                ("TypeError",
                 "expected Tensor as element 0 in argument 0, but got numpy.ndarray"),
                ("TypeError", "expected Tensor as element 0 in argument 0, but got float"),
                ("TypeError", "expected Tensor as element 1 in argument 0, but got str"),
                ("TypeError", "expected Tensor as element 1 in argument 0, but got list")]
    for out in _both(run):
        assert out == expected[case]


# ---------------------------------------------------------------------------------------
# Tensor.resize_(..., memory_format=...) restrides the same storage (it was ignored)


def _resize(lib, start, size, fmt):
    t = lib.arange(24.).reshape(*start[:-1]) if start[-1] == "c" else None
    if start[-1] == "cl":
        t = lib.arange(24.).reshape(*start[:-1]).contiguous(memory_format=lib.channels_last)
    kw = {} if fmt is None else {"memory_format": getattr(lib, fmt)}

    def run():
        u = t.resize_(*size, **kw)
        return u is t, tuple(u.shape), tuple(u.stride()), u.numpy().copy(), u.is_contiguous()

    return _outcome(run)


RESIZE_CASES = [
    ((1, 2, 3, 4, "c"), (1, 2, 3, 4), "channels_last"),
    ((1, 2, 3, 4, "c"), (2, 3, 4, 1), "channels_last"),
    ((24, "c"), (2, 1, 3, 4), "channels_last"),
    ((1, 2, 3, 4, "cl"), (1, 2, 3, 4), "contiguous_format"),
    ((1, 2, 3, 4, "cl"), (1, 2, 3, 4), None),
    ((24, "c"), (2, 3, 2, 2, 1), "channels_last_3d"),
    ((1, 2, 3, 4, "c"), (1, 2, 3, 4), "preserve_format"),
    ((1, 2, 3, 4, "c"), (2, 3, 4), "channels_last"),
    ((1, 2, 3, 4, "c"), (2, 3, 4, 1), "channels_last_3d"),
    ((2, 3, 4, "c"), (1, 1, 2, 2), "channels_last"),
]


@pytest.mark.parametrize("case", range(len(RESIZE_CASES)))
def test_resize_memory_format(case):
    start, size, fmt = RESIZE_CASES[case]
    ours = _resize(torchlet, start, size, fmt)
    if case == 0:  # by hand: channels_last strides over the first 24 elements
        assert ours[1][:3] == (True, (1, 2, 3, 4), (24, 1, 8, 2))
        np.testing.assert_array_equal(ours[1][3][0, :, 0, 0], [0.0, 1.0])
    if case == 3:
        assert ours[1][2] == (24, 12, 4, 1)
    if case == 6:
        assert ours == ("RuntimeError", "Unsupported memory formatPreserve")
    if case == 7:
        assert ours == ("RuntimeError", "required rank 4 tensor to use channels_last format")
    if _torch is not None:
        theirs = _resize(_torch, start, size, fmt)
        assert ours[0] == theirs[0]
        if ours[0] == "ok":
            assert ours[1][:3] == theirs[1][:3] and ours[1][4] == theirs[1][4]
            np.testing.assert_array_equal(ours[1][3], theirs[1][3])
        else:
            assert ours == theirs


def _convert_preserve(lib):
    m = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.Linear(2, 2))
    return _outcome(lambda: lib.nn.utils.convert_conv2d_weight_memory_format(
        m, lib.preserve_format))


def test_convert_conv2d_weight_memory_format_preserve_is_refused():
    for out in _both(_convert_preserve):
        assert out == ("RuntimeError", "Unsupported memory formatPreserve")


# ---------------------------------------------------------------------------------------
# seeded differential sweeps (torch live)


def _close(a, b, tol):
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _close(x, y, tol)
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    else:
        assert a == b


def _np(t):
    return None if t is None else t.detach().numpy().copy()


def _sweep_prune(lib, seed):
    rng = random.Random(seed)
    lib.manual_seed(seed)
    P = lib.nn.utils.prune
    m = lib.nn.Conv2d(3, 4, 3) if seed % 2 else lib.nn.Linear(6, 5)
    res = []
    for _ in range(3):
        meth = rng.choice(["random_unstructured", "l1_unstructured", "random_structured",
                           "ln_structured"])
        amount = rng.choice([1, 2, 0.3, 0.5])
        name = rng.choice(["weight", "weight", "bias"])
        kw = {} if "unstructured" in meth else {"dim": rng.choice([0, -1])}
        if meth == "ln_structured":
            kw["n"] = rng.choice([1, 2, float("inf")])
        prune = getattr(P, meth)
        res.append(_outcome(lambda f=prune, n=name, a=amount, k=kw:
                            f(m, n, amount=a, **k) is m))
    x = lib.randn(2, 6) if seed % 2 == 0 else lib.randn(1, 3, 5, 5)
    m(x).sum().backward()
    res += [list(m.state_dict()), [_np(b) for _, b in m.named_buffers()],
            [_np(p.grad) for _, p in m.named_parameters()],
            [type(h).__name__ for h in m._forward_pre_hooks.values()]]
    return res


@needs_torch
@pytest.mark.parametrize("seed", range(6))
def test_sweep_prune(seed):
    _close(_sweep_prune(torchlet, seed), _sweep_prune(_torch, seed), 1e-6)


def _sweep_norms(lib, seed):
    lib.manual_seed(seed)
    rng = random.Random(seed)
    kind = seed % 4
    m = lib.nn.Conv2d(3, 4, 2) if seed % 2 else lib.nn.Linear(5, 4)
    x = lib.randn(2, 3, 4, 4) if seed % 2 else lib.randn(2, 5)
    if kind in (0, 1):
        fn = lib.nn.utils.spectral_norm if kind == 0 else (
            lib.nn.utils.parametrizations.spectral_norm)
        fn(m, n_power_iterations=rng.choice([1, 2]))
    else:
        fn = lib.nn.utils.weight_norm if kind == 2 else (
            lib.nn.utils.parametrizations.weight_norm)
        fn(m, dim=rng.choice([None, 0, -1]))
    opt = lib.optim.SGD(m.parameters(), lr=0.01)
    for _ in range(2):
        opt.zero_grad()
        m(x).sum().backward()
        opt.step()
    m.eval()
    return [_np(m(x)), list(m.state_dict()), [_np(b) for _, b in m.named_buffers()],
            [_np(p) for _, p in m.named_parameters()], repr(m)]


@needs_torch
@pytest.mark.parametrize("seed", range(8))
def test_sweep_norms(seed):
    _close(_sweep_norms(torchlet, seed), _sweep_norms(_torch, seed), 1e-5)


def _sweep_parametrize(lib, seed):
    lib.manual_seed(seed)
    P = lib.nn.utils.parametrize
    omap = [None, "matrix_exp", "cayley", "householder"][seed % 4]
    m = lib.nn.Linear(4, 3 + seed % 2)
    lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap,
                                             use_trivialization=seed < 4)
    out = m(lib.randn(2, 4))
    out.sum().backward()
    res = [_np(out), repr(m), list(m.state_dict()),
           [_np(p.grad) for _, p in m.named_parameters()]]
    P.remove_parametrizations(m, "weight", leave_parametrized=seed % 2 == 0)
    return res + [_np(m.weight), type(m).__name__]


@needs_torch
@pytest.mark.parametrize("seed", range(8))
def test_sweep_parametrize(seed):
    _close(_sweep_parametrize(torchlet, seed), _sweep_parametrize(_torch, seed), 1e-5)
