"""Regressions from a differential hunt over torch.nn.utils (torch 2.13 as the oracle):
conv weight memory formats, functional_call name checks, pack_padded_sequence's order of
checks, and small sampled differential tests of clip_grad_norm_ / pruning / packing.

Each regression test states the expected behaviour by hand (so it means something without
torch) and, where torch is importable, also checks it against torch live.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet
import torchlet.func
import torchlet.nn.utils.prune

try:
    import torch as _torch
    import torch.func  # noqa: F401
    import torch.nn.utils.prune  # noqa: F401
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


def _np(t):
    return None if t is None else t.detach().numpy()


# ---------------------------------------------------------------------------------------
# convert_conv2d_weight_memory_format / convert_conv3d_weight_memory_format (were missing)


def _mf_model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(
        lib.nn.Conv2d(3, 4, 3), lib.nn.ReLU(),
        lib.nn.Sequential(lib.nn.ConvTranspose2d(4, 2, 2), lib.nn.Conv3d(2, 2, 1)),
        lib.nn.Linear(2, 2))


def _strides(m):
    return [(n, tuple(p.stride()), type(p).__name__) for n, p in m.named_parameters()]


def test_convert_conv2d_weight_memory_format():
    m = _mf_model(torchlet)
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    out = torchlet.nn.utils.convert_conv2d_weight_memory_format(m, torchlet.channels_last)
    assert out is m
    s = dict((n, st) for n, st, _ in _strides(m))
    # only the 2-d convolutions (ConvTranspose2d included) change layout: NHWC strides
    assert s["0.weight"] == (27, 1, 9, 3)
    assert s["2.0.weight"] == (8, 1, 4, 2)
    assert s["2.1.weight"] == (2, 1, 1, 1, 1) and s["3.weight"] == (2, 1)
    assert m[0].weight.is_contiguous(memory_format=torchlet.channels_last)
    assert isinstance(m[0].weight, torchlet.nn.Parameter)
    for n, p in m.named_parameters():  # values unchanged
        np.testing.assert_array_equal(p.detach().numpy(), before[n].numpy())
    torchlet.nn.utils.convert_conv2d_weight_memory_format(m, torchlet.contiguous_format)
    assert m[0].weight.stride() == (27, 9, 3, 1)


def test_convert_conv3d_weight_memory_format():
    m = _mf_model(torchlet)
    torchlet.nn.utils.convert_conv3d_weight_memory_format(m, torchlet.channels_last_3d)
    assert m[2][1].weight.is_contiguous(memory_format=torchlet.channels_last_3d)
    assert m[0].weight.stride() == (27, 9, 3, 1)  # Conv2d untouched
    assert "convert_conv3d_weight_memory_format" in torchlet.nn.utils.__all__


@needs_torch
def test_convert_weight_memory_format_vs_torch():
    got = []
    for lib in (torch, torchlet):
        m = _mf_model(lib)
        lib.nn.utils.convert_conv2d_weight_memory_format(m, lib.channels_last)
        a = _strides(m)
        lib.nn.utils.convert_conv3d_weight_memory_format(m, lib.channels_last_3d)
        got.append((a, _strides(m)))
    assert got[0] == got[1]


torch = _torch


# ---------------------------------------------------------------------------------------
# functional_call: torch checks the submodule path, then the value's type, then the name


def _lin(lib):
    lib.manual_seed(0)
    return lib.nn.Linear(2, 2)


_FC_CASES = {
    "empty name": lambda lib: lib.func.functional_call(_lin(lib), {"": lib.ones(1)},
                                                       lib.ones(1, 2)),
    "trailing dot": lambda lib: lib.func.functional_call(
        lib.nn.Sequential(_lin(lib)), {"0.": lib.ones(1)}, lib.ones(1, 2)),
    "bad path, non-tensor": lambda lib: lib.func.functional_call(
        _lin(lib), {"q.weight": 3.0}, lib.ones(1, 2)),
    "non-tensor": lambda lib: lib.func.functional_call(_lin(lib), {"weight": 3.0},
                                                       lib.ones(1, 2)),
}


def test_functional_call_name_checks():
    assert _outcome(lambda: _FC_CASES["empty name"](torchlet)) == (
        "KeyError", "'tensor name can\\'t be empty string \"\"'")
    assert _outcome(lambda: _FC_CASES["trailing dot"](torchlet))[0] == "KeyError"
    assert _outcome(lambda: _FC_CASES["bad path, non-tensor"](torchlet)) == (
        "AttributeError", "Linear has no attribute `q`")
    assert _outcome(lambda: _FC_CASES["non-tensor"](torchlet)) == (
        "TypeError", "3.0 is not an instance of torch.Tensor")


def test_functional_call_restores_after_bad_name():
    m = _lin(torchlet)
    w = m.weight
    with pytest.raises(KeyError):
        torchlet.func.functional_call(m, {"weight": torchlet.zeros(2, 2), "": torchlet.ones(1)},
                                      torchlet.ones(1, 2))
    assert m.weight is w and not hasattr(m, "")


@needs_torch
@pytest.mark.parametrize("name", list(_FC_CASES))
def test_functional_call_name_checks_vs_torch(name):
    fn = _FC_CASES[name]
    assert _outcome(lambda: fn(torchlet)) == _outcome(lambda: fn(torch))


# ---------------------------------------------------------------------------------------
# pack_padded_sequence: torch's order of checks on inputs of fewer than 2 dims


_PACK_CASES = [((0, 2), [[1, 1]]), ((3,), [[1]]), ((3,), [1]), ((), [1]), ((), [[1]]),
               ((0,), [1]), ((2, 0), [1]), ((2, 3), [1]), ((2, 1), [1]), ((1, 2), [1])]


def _pack(lib, shape, lengths, batch_first):
    x = lib.ones(*shape) if shape else lib.tensor(1.0)
    return lib.nn.utils.rnn.pack_padded_sequence(x, lib.tensor(lengths),
                                                 batch_first=batch_first).data.shape


def test_pack_padded_sequence_low_dim_errors():
    dim_msg = "Dimension out of range (expected to be in range of [-1, 0], but got 1)"
    assert _outcome(lambda: _pack(torchlet, (3,), [1], False)) == ("IndexError", dim_msg)
    assert _outcome(lambda: _pack(torchlet, (3,), [1], True)) == ("IndexError", dim_msg)
    # batch_first: the transpose fails before the lengths are checked
    assert _outcome(lambda: _pack(torchlet, (3,), [[1]], True)) == ("IndexError", dim_msg)
    assert _outcome(lambda: _pack(torchlet, (3,), [[1]], False))[0] == "RuntimeError"
    assert _outcome(lambda: _pack(torchlet, (), [1], False)) == (
        "IndexError", "Dimension specified as 1 but tensor has no dimensions")
    assert _outcome(lambda: _pack(torchlet, (0,), [1], True)) == (
        "RuntimeError", "Cannot pack empty tensors.")
    assert _outcome(lambda: _pack(torchlet, (1, 2), [1], True)) == ("ok", (1,))


@needs_torch
def test_pack_padded_sequence_errors_vs_torch():
    for shape, lengths in _PACK_CASES:
        for bf in (False, True):
            args = (shape, lengths, bf)
            got = _outcome(lambda args=args: tuple(_pack(torchlet, *args)))
            want = _outcome(lambda args=args: tuple(_pack(torch, *args)))
            assert got == want, (shape, lengths, bf)


# ---------------------------------------------------------------------------------------
# sampled differential tests


def _clip_case(lib, rng_cfg):
    vals, dts, hasgrad, norm_type, max_norm, foreach, mode = rng_cfg
    ps = []
    for v, d, h in zip(vals, dts, hasgrad, strict=True):
        p = lib.nn.Parameter(lib.tensor(v, dtype=getattr(lib, d)))
        if h:
            p.grad = lib.tensor(v * 0.7 + 0.1, dtype=getattr(lib, d))
        ps.append(p)
    if mode == 0:
        r = lib.nn.utils.clip_grad_norm_(ps, max_norm, norm_type, False, foreach)
    elif mode == 1:
        r = lib.nn.utils.get_total_norm([p.grad for p in ps if p.grad is not None], norm_type,
                                        foreach=foreach)
        lib.nn.utils.clip_grads_with_norm_(ps, max_norm, r, foreach)
    else:
        r = lib.nn.utils.clip_grad_value_(ps, max_norm, foreach=foreach)
    return [None if r is None else (str(r.dtype), float(r))] + [
        None if p.grad is None else (str(p.grad.dtype), _np(p.grad).tolist()) for p in ps]


def _clip_configs(n=60):
    rng = np.random.default_rng(19)
    out = []
    for _ in range(n):
        k = int(rng.integers(0, 4))
        shapes = [tuple(int(s) for s in rng.integers(0, 4, size=rng.integers(0, 3)))
                  for _ in range(k)]
        dts = [str(rng.choice(["float32", "float64", "float16"])) if rng.random() < 0.3
               else "float32" for _ in range(k)]
        hasgrad = [bool(rng.random() < 0.85) for _ in range(k)]
        vals = [rng.standard_normal(s) * 10.0 ** int(rng.integers(-2, 2)) for s in shapes]
        nt = [2.0, 1.0, float("inf"), float("-inf"), 0.0, 0.5, 3.0][int(rng.integers(0, 7))]
        out.append((vals, dts, hasgrad, nt, float(rng.choice([0.1, 1.0, 100.0])),
                    [None, True, False][int(rng.integers(0, 3))], int(rng.integers(0, 3))))
    return out


def _assert_same_nested(a, b, rtol):
    if isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), (a, b)
        for x, y in zip(a, b, strict=True):
            _assert_same_nested(x, y, rtol)
    elif isinstance(a, float):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=1e-7, equal_nan=True)
    else:
        assert a == b


@needs_torch
def test_clip_grad_sampled_vs_torch():
    for cfg in _clip_configs():
        got = _outcome(lambda cfg=cfg: _clip_case(torchlet, cfg))
        want = _outcome(lambda cfg=cfg: _clip_case(torch, cfg))
        rtol = 2e-3 if "float16" in cfg[1] else 1e-5
        _assert_same_nested(list(want), list(got), rtol)


def test_clip_grad_norm_by_hand():
    p = torchlet.nn.Parameter(torchlet.zeros(2))
    q = torchlet.nn.Parameter(torchlet.zeros(1, dtype=torchlet.float64))
    p.grad = torchlet.tensor([3.0, 0.0])
    q.grad = torchlet.tensor([4.0], dtype=torchlet.float64)
    total = torchlet.nn.utils.clip_grad_norm_([p, q], 1.0)
    assert total.dtype == torchlet.float64 and float(total) == 5.0  # stacked norms promote
    np.testing.assert_allclose(_np(p.grad), [3.0 / (5 + 1e-6), 0.0], rtol=1e-6)
    assert p.grad.dtype == torchlet.float32


def _prune_case(lib, cfg):
    seed, steps, remove = cfg
    pr = lib.nn.utils.prune
    lib.manual_seed(seed)
    m = lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.Conv2d(2, 3, 2))
    res = []
    for meth, amount, name, dim in steps:
        mod = m[seed % 2]
        try:
            if meth == "random_unstructured":
                pr.random_unstructured(mod, name, amount=amount)
            elif meth == "l1_unstructured":
                pr.l1_unstructured(mod, name, amount=amount)
            elif meth == "random_structured":
                pr.random_structured(mod, name, amount=amount, dim=dim)
            elif meth == "ln_structured":
                pr.ln_structured(mod, name, amount=amount, n=2, dim=dim)
            else:
                pr.global_unstructured([(m[0], "weight"), (m[1], name)],
                                       pruning_method=pr.L1Unstructured, amount=amount)
            res.append("ok")
        except Exception as e:  # noqa: BLE001 - compared with torch's
            res.append(type(e).__name__)
        res.append([(k, _np(v).tolist()) for k, v in m.state_dict().items()])
    out = m[1](m[0](lib.ones(2, 4)).view(1, 2, 1, 3).expand(1, 2, 2, 3))
    out.sum().backward()
    res.append(_np(out).tolist())
    res.append([(n, _np(p.grad).tolist()) for n, p in m.named_parameters()])
    if remove:
        for name in ("weight", "bias"):
            res.append(_outcome(lambda name=name: pr.remove(m[seed % 2], name) and None)[0])
        res.append(list(m.state_dict()))
    return res


def _prune_configs(n=25):
    rng = np.random.default_rng(1919)
    methods = ["random_unstructured", "l1_unstructured", "random_structured",
               "ln_structured", "global"]
    out = []
    for seed in range(n):
        steps = [(methods[int(rng.integers(0, 5))],
                  [0.0, 0.3, 0.5, 1.0, 1, 2, 1.5, -1][int(rng.integers(0, 8))],
                  str(rng.choice(["weight", "bias"])), int(rng.integers(-2, 2)))
                 for _ in range(int(rng.integers(1, 4)))]
        out.append((seed, steps, bool(rng.random() < 0.5)))
    return out


@needs_torch
def test_prune_sampled_vs_torch():
    for cfg in _prune_configs():
        got = _prune_case(torchlet, cfg)
        want = _prune_case(torch, cfg)
        _assert_same_nested(want, got, 1e-5)


def _packing_case(lib, cfg):
    vals, batch_first, padding_value, enforce_sorted, total_length = cfg
    seqs = [lib.tensor(v, requires_grad=True) for v in vals]
    lengths = [len(v) for v in vals]
    padded = lib.nn.utils.rnn.pad_sequence(seqs, batch_first=batch_first,
                                           padding_value=padding_value)
    p = lib.nn.utils.rnn.pack_padded_sequence(padded, lengths, batch_first=batch_first,
                                              enforce_sorted=enforce_sorted)
    out, out_lengths = lib.nn.utils.rnn.pad_packed_sequence(
        p, batch_first=batch_first, padding_value=padding_value, total_length=total_length)
    (out * lib.arange(out.numel(), dtype=out.dtype).view(out.shape)).sum().backward()
    return [_np(p.data).tolist(), _np(p.batch_sizes).tolist(),
            None if p.sorted_indices is None else _np(p.sorted_indices).tolist(),
            _np(out).tolist(), _np(out_lengths).tolist(), [_np(s.grad).tolist() for s in seqs]]


def _packing_configs(n=40):
    rng = np.random.default_rng(191)
    out = []
    for _ in range(n):
        b = int(rng.integers(1, 5))
        feat = tuple(int(s) for s in rng.integers(1, 3, size=rng.integers(0, 2)))
        vals = [rng.standard_normal((int(rng.integers(1, 5)),) + feat) for _ in range(b)]
        out.append((vals, bool(rng.random() < 0.5), float(rng.choice([0.0, -1.0])),
                    bool(rng.random() < 0.5),
                    None if rng.random() < 0.6 else int(rng.integers(0, 7))))
    return out


@needs_torch
def test_packing_sampled_vs_torch():
    for cfg in _packing_configs():
        got = _outcome(lambda cfg=cfg: _packing_case(torchlet, cfg))
        want = _outcome(lambda cfg=cfg: _packing_case(torch, cfg))
        if want[0] != "ok":
            assert got[0] == want[0], cfg
            continue
        _assert_same_nested(want[1], got[1], 1e-6)
