"""amax/amin: which zero (and which NaN) torch's kernel leaves where +0.0 and -0.0 tie,
and their gradients at ties; var/std/var_mean/std_mean with an empty list of dims.

Hand-derived expectations come from torch's binary_kernel_reduce_vec (AVX2 on every x86
machine: 4 vectors of 8 float32 / 4 float64 / 16 float16 lanes a step; the vector step
keeps the new operand on a tie, the scalar step the old one)."""

import warnings

import numpy as np
import pytest

import torchlet

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _bits(a) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view(_UINT[a.itemsize])


def _zeros(n, dtype, negative_at):
    v = np.zeros(n, dtype)
    v[negative_at] = -0.0
    return v


# --- amax/amin: signed zeros ------------------------------------------------------------

@pytest.mark.parametrize("dtype, n, winner", [
    (np.float64, 15, 0), (np.float64, 16, 12), (np.float64, 33, 28),
    (np.float32, 31, 0), (np.float32, 32, 24), (np.float32, 100, 88),
    (np.float16, 63, 0), (np.float16, 64, 48), (np.float16, 100, 48),
])
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_contiguous_zero_tie_winner(name, dtype, n, winner):
    # one -0.0 among +0.0: it comes out only from the winning position. Below 4 vectors:
    # the scalar loop, the first element. From 4 vectors: lane 0 of the last vector of
    # the last full step (then the tail, never reached on a tie).
    fn = getattr(torchlet, name)
    for p in range(n):
        out = fn(torchlet.from_numpy(_zeros(n, dtype, p)), 0)
        assert bool(np.signbit(out.numpy())) == (p == winner), p


@pytest.mark.parametrize("dtype, lanes", [(np.float32, 8), (np.float64, 4), (np.float16, 16)])
def test_outer_reduction_vector_columns_keep_the_last_zero(dtype, lanes):
    # amax over dim 0 of a C-contiguous (2, C): the first 4 * lanes columns go down dim 0
    # as vectors (the last zero wins), the rest by the scalar loop (the first wins)
    columns = 4 * lanes + 3
    x = np.zeros((2, columns), dtype)
    x[0] = -0.0
    for fn in (torchlet.amax, torchlet.amin):
        sign = np.signbit(fn(torchlet.from_numpy(x), 0).numpy())
        assert not sign[:4 * lanes].any() and sign[4 * lanes:].all()


def test_strided_reduction_takes_the_first_zero():
    # a transposed input reduced along its non-contiguous dim: the scalar loop
    x = np.zeros((40, 3), np.float32)
    x[0] = -0.0
    out = torchlet.from_numpy(x).T.amax(1)
    assert np.signbit(out.numpy()).all()
    y = np.zeros((40, 3), np.float32)
    y[1:] = -0.0
    assert not np.signbit(torchlet.from_numpy(y).T.amin(1).numpy()).any()


def test_nan_bits():
    neg_nan = np.array(0xFFC00000, np.uint32).view(np.float32)
    x = np.ones((3, 40), np.float32)
    x[1, :] = neg_nan
    # along the contiguous dim: the scalar loop's quiet NaN, whatever NaN came in
    assert (_bits(torchlet.from_numpy(x).amax(1).numpy())[1] == 0x7FC00000).all()
    # down dim 0: the vector columns give all ones, the others the quiet NaN
    got = _bits(torchlet.from_numpy(x).amin(0).numpy())
    assert (got[:32] == 0xFFFFFFFF).all() and (got[32:] == 0x7FC00000).all()


def test_zero_ties_gradient_spreads_over_both_zeros():
    x = torchlet.tensor([0.0, -0.0, -1.0, 0.0], requires_grad=True)
    x.amax().backward()
    third = float(np.float32(1) / np.float32(3))
    assert x.grad.tolist() == [third, third, 0.0, third]
    y = torchlet.tensor([[0.0, 1.0], [-0.0, 1.0]], requires_grad=True)
    y.amin(0).backward(torchlet.tensor([2.0, 4.0]))
    assert y.grad.tolist() == [[1.0, 2.0], [1.0, 2.0]]


_POOL = np.array([-0.0, 0.0, 1.0, -1.0, np.nan, -np.inf])


def _sampled_configs(count):
    rng = np.random.default_rng(2013)
    for _ in range(count):
        ndim = int(rng.integers(0, 4))
        cap = {0: 1, 1: 150, 2: 45, 3: 12}[ndim]
        shape = tuple(int(rng.integers(1, cap + 1)) for _ in range(ndim))
        dtype = [np.float32, np.float64, np.float16][int(rng.integers(0, 3))]
        pool = _POOL[:int(rng.integers(2, 7))] if rng.random() < 0.7 else _POOL[:3]
        values = rng.choice(pool, size=shape).astype(dtype)
        perm = tuple(int(p) for p in rng.permutation(ndim))
        if ndim == 0 or rng.random() < 0.3:
            dims = ()
        else:
            dims = tuple(int(d) for d in
                         rng.choice(ndim, size=int(rng.integers(1, ndim + 1)), replace=False))
        yield values, perm, dims, bool(rng.random() < 0.5), rng.random() < 0.5


def test_sampled_amax_amin_bits_and_grads_against_torch():
    torch = pytest.importorskip("torch")
    checked = 0
    for values, perm, dims, keepdim, use_max in _sampled_configs(160):
        name = "amax" if use_max else "amin"
        t = torch.from_numpy(values.copy()).permute(perm).requires_grad_()
        x = torchlet.from_numpy(values.copy()).permute(perm).requires_grad_()
        want = getattr(torch, name)(t, dims, keepdim)
        got = getattr(torchlet, name)(x, dims, keepdim)
        assert got.shape == tuple(want.shape) and got.stride() == want.stride()
        assert (_bits(got.detach().numpy()) == _bits(want.detach().numpy())).all(), \
            (name, values.shape, perm, dims, keepdim)
        if values.dtype != np.float16:
            seed = np.arange(1, want.numel() + 1, dtype=values.dtype).reshape(tuple(want.shape))
            want.backward(torch.from_numpy(seed))
            got.backward(torchlet.from_numpy(seed.copy()))
            np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
        checked += 1
    assert checked == 160


# --- var / std with dim=() or [] ----------------------------------------------------------

def _moment_grad(name, x_np, dim, correction):
    x = torchlet.tensor(x_np, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(torchlet, name)(x, dim=dim, correction=correction)
    first = out[0] if isinstance(out, tuple) else out
    first.backward(torchlet.tensor(0.5, dtype=first.dtype))
    return first, x.grad.numpy()


@pytest.mark.parametrize("dim", [(), []])
def test_var_empty_dims_gradient_uses_one_element(dim):
    # torch's var_backward takes the listed dims as given: n = the size of no dims = 1,
    # so the gradient is 2 / (1 - correction) * grad * (x - mean(x))
    x_np = np.array([[1.0, 2.0, 4.0], [0.0, 3.0, 9.0]])
    dev = x_np - x_np.mean()
    for correction, scale in ((0, 2.0), (2, -2.0), (3, -1.0)):
        out, grad = _moment_grad("var", x_np, dim, correction)
        assert out.grad_fn.name() == "VarBackward0" and out.grad_fn._saved_dim == ()
        np.testing.assert_allclose(out.item(), x_np.var(ddof=correction))
        np.testing.assert_allclose(grad, scale * 0.5 * dev)
    _, grad = _moment_grad("var", x_np, dim, 1)  # 2 / 0: inf with the sign of x - mean
    assert np.isinf(grad).all() and (np.sign(grad) == np.sign(dev)).all()
    # dim=None is torch's other path: n is the number of elements
    _, grad = _moment_grad("var", x_np, None, 1)
    np.testing.assert_allclose(grad, 2 / 5 * 0.5 * dev)


def test_moments_empty_dims_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    for name in ("var", "std", "var_mean", "std_mean"):
        for dim in ((), []):
            for correction in (0, 1, 2):
                for keepdim in (False, True):
                    a = rng.standard_normal((3, 4)).astype(np.float32)
                    g = [rng.standard_normal(()).astype(np.float32) for _ in range(2)]
                    results = []
                    for lib in (torch, torchlet):
                        x = lib.tensor(a, requires_grad=True)
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            out = getattr(lib, name)(x, dim=dim, correction=correction,
                                                     keepdim=keepdim)
                        outs = out if isinstance(out, tuple) else (out,)
                        total = sum((o * lib.tensor(g[i])).sum() for i, o in enumerate(outs))
                        total.backward()
                        results.append((outs[0].grad_fn.name(),
                                        [o.detach().numpy() for o in outs], x.grad.numpy()))
                    (tname, tvals, tgrad), (lname, lvals, lgrad) = results
                    assert tname == lname
                    for want, got in zip(tvals, lvals):
                        assert want.shape == got.shape
                        np.testing.assert_allclose(got, want, rtol=1e-6)
                    np.testing.assert_allclose(lgrad, tgrad, rtol=1e-5, atol=1e-6)


def test_var_mean_empty_dims_mean_gradient_is_over_all_elements():
    x = torchlet.tensor([[1.0, 2.0], [3.0, 5.0]], requires_grad=True)
    _, mean = torchlet.var_mean(x, dim=(), correction=0)
    assert mean.item() == 2.75
    mean.backward()
    assert x.grad.tolist() == [[0.25, 0.25], [0.25, 0.25]]
