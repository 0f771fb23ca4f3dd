"""logsumexp rounded as torch's logsumexp_out, and the reduced dims of a gradient put back
with one unsqueeze per dim (torch's unsqueeze_multiple) under create_graph."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet as tl
from torchlet._ops.reduction._common import restore_reduced, unsqueeze_reduced

# torch on one thread, restored after each test (conftest.torch_one_thread)
pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _torch():
    return pytest.importorskip("torch")


def _names(fn) -> list:
    """The backward graph below ``fn`` as a depth-first list of node names."""
    if fn is None:
        return []
    out = [fn.name()]
    for child, _ in fn.next_functions:
        out += _names(child)
    return out


def _configs(seed, n, dtypes):
    """(array, dims, keepdim, permutation) from a seeded Generator."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        nd = int(rng.integers(1, 4))
        shape = tuple(int(s) for s in rng.integers(1, 12, size=nd))
        a = np.asarray(rng.standard_normal(shape) * rng.choice([1, 3, 30]))
        a = a.astype(dtypes[i % len(dtypes)])
        k = int(rng.integers(1, nd + 1))
        dims = tuple(int(d) for d in rng.choice(nd, k, replace=False))
        perm = tuple(int(p) for p in rng.permutation(nd)) if i % 3 == 0 else None
        yield a, dims, bool(rng.integers(2)), perm


def _stages(m, x, dims, keepdim):
    """torch's logsumexp_out written out: exp(x - max), its sum, and the log of that."""
    shift = x.amax(dims, keepdim=True)
    shift = shift.masked_fill(shift.abs() == float("inf"), 0)
    exps = (x - shift).exp()
    logs = exps.sum(dims, keepdim=keepdim).log()
    return exps, logs, logs + (shift if keepdim else shift.squeeze(dims))


# ---------------------------------------------------------------------------------------
# values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_is_torchs_formula_in_torchlets_own_ops(dtype):
    # a - m, exp, sum, log, + m: bit for bit the composition of torchlet's exp (rounded
    # once), torch-order sum and log, which is torch's definition (no torch needed)
    for a, dims, keepdim, perm in _configs(1, 60, [dtype]):
        x = tl.tensor(a)
        x = x.permute(perm) if perm else x
        want = _stages(tl, x, dims, keepdim)[2].numpy()
        got = tl.logsumexp(x, dims, keepdim).numpy()
        assert got.dtype == a.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_equals_torch_wherever_torchs_exp_and_log_round_as_ours(dtype):
    # What can differ from torch is torch's exp and log themselves (an ulp off the nearest
    # value for a few % of inputs): every output whose exps and log agree is bit-equal.
    torch = _torch()
    checked = total = 0
    for a, dims, keepdim, perm in _configs(2, 80, [dtype]):
        t, x = torch.from_numpy(a.copy()), tl.tensor(a)
        if perm:
            t, x = t.permute(perm), x.permute(perm)
        t_exps, t_logs, _ = _stages(torch, t, dims, keepdim)
        l_exps, l_logs, _ = _stages(tl, x, dims, keepdim)
        exps_agree = ~np.any(t_exps.numpy() != l_exps.numpy(), axis=dims, keepdims=keepdim)
        same = exps_agree & (t_logs.numpy() == l_logs.numpy())
        want = torch.logsumexp(t, dims, keepdim).numpy()
        got = tl.logsumexp(x, dims, keepdim).numpy()
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got[same], want[same])
        np.testing.assert_array_max_ulp(got, want, maxulp=2)
        checked += int(same.sum())
        total += same.size
    # the check covered most outputs (torch's float64 exp is an ulp off ours for ~5% of
    # inputs, so fewer whole rows of float64 exps agree). NumPy 1's float64 exp/log are off
    # torch's for ~25% of inputs: 59 of 334 outputs checked there (NumPy 2: 195), measured
    numpy_1 = np.lib.NumpyVersion(np.__version__) < "2.0.0"
    assert checked > (0.8 if dtype == np.float32 else 0.1 if numpy_1 else 0.5) * total


def test_logsumexp_float32_rows_match_torch_mostly():
    # before: 79 of 300 such rows differed from torch; rounded as torch: ~27 (torch's
    # own exp/log ulps)
    torch = _torch()
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((300, 24)) * 3).astype(np.float32)
    want = torch.logsumexp(torch.from_numpy(a), 1).numpy()
    got = tl.logsumexp(tl.tensor(a), 1).numpy()
    assert np.count_nonzero(got != want) <= 15
    np.testing.assert_array_max_ulp(got, want, maxulp=1)


def test_logsumexp_infinities_and_nan():
    a = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 0.0], [np.inf, -np.inf],
                  [0.0, 0.0]], np.float32)
    got = tl.logsumexp(tl.tensor(a), 1).numpy()
    want = np.array([-np.inf, np.inf, np.nan, np.inf, np.log(2.0)], np.float32)
    np.testing.assert_array_equal(got, want)
    try:
        torch = _torch()
    except pytest.skip.Exception:
        return
    np.testing.assert_array_equal(got, torch.logsumexp(torch.from_numpy(a), 1).numpy())


@pytest.mark.parametrize("shape,dim", [((0, 3), 0), ((0, 3), 1), ((2, 0), 1), ((), 0),
                                       ((0, 3), (0, 1)), ((2, 3), (0, 1))])
def test_logsumexp_empty_and_0d(shape, dim):
    a = np.asarray(np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) / 3)
    for keepdim in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = tl.logsumexp(tl.tensor(a), dim, keepdim).numpy()
        if a.size == 0 and 0 in (a.shape[d] for d in np.atleast_1d(dim)):
            assert np.all(got == -np.inf)  # a sum of nothing is 0
        try:
            torch = _torch()
        except pytest.skip.Exception:
            continue
        want = torch.logsumexp(torch.from_numpy(a), dim, keepdim).numpy()
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_logsumexp_sampled_against_torch():
    torch = _torch()
    for a, dims, keepdim, perm in _configs(3, 90, [np.float16, np.float32, np.float64]):
        t = torch.from_numpy(a.copy()).requires_grad_(a.dtype != np.float16)
        x = tl.tensor(a).requires_grad_(a.dtype != np.float16)
        tp, xp = (t.permute(perm), x.permute(perm)) if perm else (t, x)
        want, got = torch.logsumexp(tp, dims, keepdim), tl.logsumexp(xp, dims, keepdim)
        assert tuple(got.shape) == tuple(want.shape) and got.stride() == want.stride()
        if a.dtype == np.float16:
            np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
            continue
        np.testing.assert_array_max_ulp(got.detach().numpy(), want.detach().numpy(), 2)
        g = np.random.default_rng(a.size).standard_normal(tuple(want.shape)).astype(a.dtype)
        (tg,) = torch.autograd.grad(want, t, torch.from_numpy(g))
        (lg,) = tl.autograd.grad(got, x, tl.tensor(g))
        rtol = 1e-5 if a.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(lg.numpy(), tg.numpy(), rtol=rtol, atol=rtol)


# ---------------------------------------------------------------------------------------
# reduced dims put back: UnsqueezeBackward0 per dim (sum, mean, logsumexp), a reshape
# for amax/amin (torch's restore_reduced_dims)


def test_unsqueeze_reduced_shapes_and_nodes():
    g = tl.ones(4, requires_grad=True)
    out = unsqueeze_reduced(g * 1, (2, 4, 5), (0, 2), False)
    assert tuple(out.shape) == (1, 4, 1)
    assert _names(out.grad_fn)[:3] == ["UnsqueezeBackward0", "UnsqueezeBackward0",
                                       "MulBackward0"]
    assert unsqueeze_reduced(g, (2, 3), (0,), True) is g  # keepdim: already there
    assert tuple(restore_reduced(g * 1, (2, 4, 5), (0, 2), False).shape) == (1, 4, 1)
    assert restore_reduced(g * 1, (2, 4, 5), (0, 2), False).grad_fn.name() == "ViewBackward0"


_EXPECTED = {  # create_graph gradient of op(x, (2, 0)) for a 3-D x, keepdim False
    "logsumexp": ["MulBackward0", "UnsqueezeBackward0", "UnsqueezeBackward0",
                  "torch::autograd::AccumulateGrad", "ExpBackward0", "SubBackward0",
                  "torch::autograd::AccumulateGrad", "UnsqueezeBackward0",
                  "UnsqueezeBackward0", "LogsumexpBackward0",
                  "torch::autograd::AccumulateGrad"],
    "sum": ["ExpandBackward0", "UnsqueezeBackward0", "UnsqueezeBackward0",
            "torch::autograd::AccumulateGrad"],
    "nansum": ["MulBackward0", "ExpandBackward0", "UnsqueezeBackward0",
               "UnsqueezeBackward0", "torch::autograd::AccumulateGrad"],
    "amax": ["MulBackward0", "DivBackward0", "ViewBackward0",
             "torch::autograd::AccumulateGrad"],
}


@pytest.mark.parametrize("name", sorted(_EXPECTED))
@pytest.mark.parametrize("dims", [(2, 0), (0, 2)])
def test_double_backward_nodes(name, dims):
    a = np.random.default_rng(0).standard_normal((3, 4, 5))

    def graph(m):
        x = m.tensor(a, requires_grad=True)
        y = getattr(m, name)(x, dims)
        g = (m.ones_like(y) * 1.5).requires_grad_()
        (gx,) = m.autograd.grad(y, x, g, create_graph=True)
        return _names(gx.grad_fn), gx

    names, gx = graph(tl)
    assert names == _EXPECTED[name]
    try:
        torch = _torch()
    except pytest.skip.Exception:
        return
    t_names, t_gx = graph(torch)
    assert names == t_names
    assert gx.stride() == t_gx.stride()
    np.testing.assert_allclose(gx.detach().numpy(), t_gx.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["sum", "mean", "nansum", "logsumexp"])
def test_double_backward_nodes_sampled(name):
    torch = _torch()
    rng = np.random.default_rng(4)
    for _ in range(8):
        nd = int(rng.integers(2, 5))
        shape = tuple(int(s) for s in rng.integers(1, 5, size=nd))
        k = int(rng.integers(1, nd))  # some dims kept: a gradient of at least 1-D
        dims = tuple(int(d) - (nd if rng.integers(2) else 0)
                     for d in rng.choice(nd, k, replace=False))
        a = rng.standard_normal(shape)
        graphs = []
        for m in (torch, tl):
            x = m.tensor(a, requires_grad=True)
            y = getattr(m, name)(x, dims)
            g = (m.ones_like(y) * 0.5).requires_grad_()
            (gx,) = m.autograd.grad(y, x, g, create_graph=True)
            # mean's division by the count is DivBackward1 (a Scalar) in torch
            graphs.append([n.replace("DivBackward1", "DivBackward0")
                           for n in _names(gx.grad_fn)])
        assert graphs[0] == graphs[1], (shape, dims)
        # grad put back (and logsumexp's out too), one node per reduced dim
        per_tensor = 2 if name == "logsumexp" else 1
        assert graphs[1].count("UnsqueezeBackward0") == per_tensor * len(dims)
