"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm,
orthogonal), the hook-based nn.utils.weight_norm / spectral_norm, fuse_*_bn_* and
skip_init, each run on torch and on torchlet by the same code (``fn(lib)``).

Exact: module reprs, state_dict keys, class names, shapes, dtypes, grad_fn names, which
tensors are Parameters, and every value that is only copied or selected (the parametrize
bookkeeping, ``remove_parametrizations(leave_parametrized=False)``). Within float rounding
(float32: atol 1e-5, float64: 1e-12 unless noted): anything computed by a norm, a matrix
product, matrix_exp, solve or QR (torch's BLAS/LAPACK summation orders differ from
NumPy's), including spectral_norm's power iterations, whose starting vectors are drawn
from the same seeded stream as torch's. Gradients: float64 gradcheck/gradgradcheck of the
parametrized weight as a function of its originals.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest

import torchlet
from torchlet.autograd.gradcheck import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else x


def compare(a, b, atol=1e-5, rtol=1e-5):
    """Results of the same code on torch (a) and torchlet (b): arrays within tolerance,
    everything else equal; lists and tuples element by element."""
    if isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), (a, b)
        for x, y in zip(a, b, strict=True):
            compare(x, y, atol, rtol)
        return
    if hasattr(a, "detach"):
        a, b = _np(a), _np(b)
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
        np.testing.assert_allclose(b, a, atol=atol, rtol=rtol)
        return
    if isinstance(a, np.ndarray):
        np.testing.assert_allclose(b, a, atol=atol, rtol=rtol)
        return
    assert a == b, (a, b)


def both(fn, **tol):
    compare(fn(torch), fn(torchlet), **tol)


def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT

    return Symmetric()


def _rank_one(lib):
    class RankOne(lib.nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, Z):
            return Z[:, 0], Z[0, :]

    return RankOne()


# ---------------------------------------------------------------------------------------
# parametrize


def test_register_parametrization_structure_and_values():
    def fn(lib):
        lib.manual_seed(0)
        P = lib.nn.utils.parametrize
        m = lib.nn.Linear(3, 3)
        P.register_parametrization(m, "weight", _symmetric(lib))
        return [repr(m), list(m.state_dict()), type(m).__name__, m.weight, m.weight.grad_fn.name(),
                P.is_parametrized(m), P.is_parametrized(m, "weight"),
                P.is_parametrized(m, "bias"), P.type_before_parametrizations(m).__name__,
                isinstance(m.parametrizations.weight, P.ParametrizationList),
                [n for n, _ in m.named_parameters()]]

    both(fn)


def test_gradient_reaches_original_and_optimizer_step():
    def fn(lib):
        lib.manual_seed(0)
        P = lib.nn.utils.parametrize
        m = lib.nn.Linear(3, 3)
        P.register_parametrization(m, "weight", _symmetric(lib))
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        m(lib.ones(2, 3)).pow(2).sum().backward()
        grad = m.parametrizations.weight.original.grad.clone()
        opt.step()
        return [grad, m.weight, m.parametrizations.weight.original]

    both(fn)


def test_cached_and_assignment_through_right_inverse():
    def fn(lib):
        lib.manual_seed(0)
        P = lib.nn.utils.parametrize
        m = lib.nn.Linear(3, 3)
        P.register_parametrization(m, "weight", _symmetric(lib))
        original = m.parametrizations.weight.original
        with P.cached():
            cached_same = m.weight is m.weight
        uncached_same = m.weight is m.weight
        try:
            m.weight = lib.eye(3)  # Symmetric has no right_inverse
        except RuntimeError as e:
            error = str(e)
        return [cached_same, uncached_same, error, m.parametrizations.weight.original is original]

    both(fn)


def test_chained_parametrizations_and_remove():
    def fn(lib):
        lib.manual_seed(0)
        P = lib.nn.utils.parametrize
        m = lib.nn.Linear(3, 3)
        P.register_parametrization(m, "weight", _symmetric(lib))
        P.register_parametrization(m, "weight", _symmetric(lib))
        chained = [repr(m), m.weight]
        original = m.parametrizations.weight.original
        P.remove_parametrizations(m, "weight", leave_parametrized=True)
        return chained + [type(m).__name__, hasattr(m, "parametrizations"), m.weight,
                          m.weight is original, list(m.state_dict()),
                          type(m.weight).__name__]

    both(fn)


def test_remove_without_leaving_parametrized_restores_original():
    def fn(lib):
        lib.manual_seed(0)
        P = lib.nn.utils.parametrize
        m = lib.nn.Linear(3, 3)
        before = m.weight.detach().clone()
        P.register_parametrization(m, "weight", _symmetric(lib))
        P.register_parametrization(m, "bias", lib.nn.Identity())
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
        after_one = [type(m).__name__, list(m.state_dict())]
        P.remove_parametrizations(m, "bias")
        return after_one + [type(m).__name__, bool((m.weight == before).all())]

    both(fn)


def test_right_inverse_returning_a_tuple():
    def fn(lib):
        lib.manual_seed(0)
        P = lib.nn.utils.parametrize
        m = lib.nn.Linear(4, 4)
        P.register_parametrization(m, "weight", _rank_one(lib))
        out = [list(m.state_dict()), m.weight, repr(m),
               type(m.parametrizations.weight.original0).__name__]
        m.weight = lib.arange(16.0).reshape(4, 4)
        out += [m.parametrizations.weight.original0, m.parametrizations.weight.original1]
        try:
            P.remove_parametrizations(m, "weight", leave_parametrized=False)
        except ValueError as e:
            out.append(str(e))
        P.remove_parametrizations(m, "weight")
        return out + [m.weight, type(m.weight).__name__]

    both(fn)


def test_buffer_parametrization_and_state_dict_round_trip():
    def fn(lib):
        lib.manual_seed(0)
        P = lib.nn.utils.parametrize
        bn = lib.nn.BatchNorm1d(3)
        P.register_parametrization(bn, "running_var", lib.nn.Identity())
        keys = list(bn.state_dict())
        fresh = lib.nn.Linear(3, 3)
        P.register_parametrization(fresh, "weight", _symmetric(lib))
        m = lib.nn.Linear(3, 3)
        P.register_parametrization(m, "weight", _symmetric(lib))
        result = fresh.load_state_dict(m.state_dict())
        return [keys, repr(bn), str(result), fresh.weight]

    both(fn)


def test_shape_changing_parametrization_needs_unsafe():
    def fn(lib):
        class Flatten(lib.nn.Module):
            def forward(self, x):
                return x.reshape(-1)

        P = lib.nn.utils.parametrize
        try:
            P.register_parametrization(lib.nn.Linear(2, 2), "weight", Flatten())
        except ValueError as e:
            message = str(e)
        m = P.register_parametrization(lib.nn.Linear(2, 2), "weight", Flatten(), unsafe=True)
        return [message, tuple(m.weight.shape)]

    both(fn)


def test_pickle_refused_but_deepcopy_works():
    def fn(lib):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(lib))
        with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
            pickle.dumps(m)
        clone = copy.deepcopy(m)
        return [type(clone).__name__, clone.weight,
                clone.parametrizations.weight.original is m.parametrizations.weight.original]

    both(fn)


# ---------------------------------------------------------------------------------------
# parametrizations


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization(dim):
    def fn(lib):
        lib.manual_seed(1)
        m = lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(4, 3), dim=dim)
        m(lib.ones(2, 4)).sum().backward()
        w = m.parametrizations.weight
        return [repr(m), list(m.state_dict()), m.weight, m.weight.grad_fn.name(),
                w.original0, w.original1, w.original0.grad, w.original1.grad]

    both(fn)


def test_weight_norm_loads_old_state_dict():
    def fn(lib):
        lib.manual_seed(2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            old = lib.nn.utils.weight_norm(lib.nn.Linear(3, 2))
        new = lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(3, 2))
        return [str(new.load_state_dict(old.state_dict())), new.weight]

    both(fn)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5)])
def test_spectral_norm_parametrization(shape):
    def fn(lib):
        lib.manual_seed(2)
        m = lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(*shape))
        p = m.parametrizations.weight[0]
        out = [repr(m), list(m.state_dict()), p._u, p._v, m.weight, m.weight.grad_fn.name()]
        m(lib.ones(1, shape[0])).sum().backward()
        out += [m.parametrizations.weight.original.grad, p._u]
        m.eval()
        return out + [m.weight, m.weight]

    both(fn)


def test_spectral_norm_conv_transpose_uses_dim_1():
    def fn(lib):
        lib.manual_seed(3)
        m = lib.nn.utils.parametrizations.spectral_norm(lib.nn.ConvTranspose2d(2, 4, 3))
        p = m.parametrizations.weight[0]
        return [p.dim, tuple(p._u.shape), tuple(p._v.shape), m.weight]

    both(fn)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3)])
def test_orthogonal(orthogonal_map, shape):
    def fn(lib):
        lib.manual_seed(3)
        m = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(*shape),
                                                     orthogonal_map=orthogonal_map)
        w = m.weight
        gram = w @ w.mT if w.size(0) <= w.size(1) else w.mT @ w
        return [repr(m), list(m.state_dict()), w, gram, w.grad_fn.name()]

    both(fn, atol=2e-5)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3)])
def test_orthogonal_householder_without_trivialization(shape):
    def fn(lib):
        lib.manual_seed(4)
        m = lib.nn.utils.parametrizations.orthogonal(
            lib.nn.Linear(*shape), orthogonal_map="householder", use_trivialization=False)
        return [list(m.state_dict()), m.weight, m.parametrizations.weight.original]

    both(fn, atol=2e-5)


def test_orthogonal_assignment_sets_base():
    def fn(lib):
        lib.manual_seed(5)
        m = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3))
        q = lib.linalg.qr(lib.randn(3, 3))[0]
        m.weight = q
        return [m.weight, m.parametrizations.weight[0].base]

    both(fn)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_gradcheck(orthogonal_map):
    torchlet.manual_seed(0)
    m = torchlet.nn.utils.parametrizations.orthogonal(
        torchlet.nn.Linear(3, 4, dtype=torchlet.float64), orthogonal_map=orthogonal_map)
    forward = m.parametrizations.weight[0]
    x = torchlet.randn(4, 3, dtype=torchlet.float64) * 0.3
    if orthogonal_map == "householder":
        x = x + torchlet.eye(4, 3, dtype=torchlet.float64)  # keep the diagonal's signs
    x.requires_grad_()
    assert gradcheck(forward, (x,))
    assert gradgradcheck(forward, (x,))


def test_weight_norm_and_spectral_norm_gradcheck():
    torchlet.manual_seed(0)
    wn = torchlet.nn.utils.parametrizations._WeightNorm(0)
    g = torchlet.rand(3, 1, dtype=torchlet.float64).add_(0.5).requires_grad_()
    v = torchlet.randn(3, 4, dtype=torchlet.float64, requires_grad=True)
    assert gradcheck(wn, (g, v)) and gradgradcheck(wn, (g, v))
    w = torchlet.randn(3, 4, dtype=torchlet.float64)
    sn = torchlet.nn.utils.parametrizations._SpectralNorm(w).eval()
    w.requires_grad_()
    assert gradcheck(sn, (w,)) and gradgradcheck(sn, (w,))


def test_parametrization_errors_match_torch():
    def fn(lib):
        messages = []
        for call in (
            lambda: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), "foo"),
            lambda: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), "foo"),
            lambda: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), dim=-3),
        ):
            with pytest.raises((ValueError, IndexError)) as info:
                call()
            messages.append((info.type.__name__, str(info.value)))
        return messages

    both(fn)


# ---------------------------------------------------------------------------------------
# hook-based weight_norm and spectral_norm


@pytest.mark.parametrize("dim", [0, 1, None])
def test_old_weight_norm(dim):
    def fn(lib):
        lib.manual_seed(4)
        with pytest.warns(FutureWarning, match="deprecated"):
            m = lib.nn.utils.weight_norm(lib.nn.Linear(3, 2), dim=dim)
        out = [list(m.state_dict()), tuple(m.weight_g.shape), m.weight, m.weight.grad_fn.name(),
               [n for n, _ in m.named_parameters()]]
        with lib.no_grad():
            m.weight_g.mul_(2)
        y = m(lib.ones(1, 3))  # the pre-hook recomputes weight from the new g
        y.sum().backward()
        out += [y, m.weight_g.grad, m.weight_v.grad]
        lib.nn.utils.remove_weight_norm(m)
        return out + [list(m.state_dict()), m.weight, type(m.weight).__name__]

    both(fn)


def test_old_spectral_norm():
    def fn(lib):
        lib.manual_seed(5)
        m = lib.nn.utils.spectral_norm(lib.nn.Conv2d(2, 3, 3))
        sd = m.state_dict()
        out = [list(sd), sd._metadata[""].get("spectral_norm"), m.weight_u, m.weight_v,
               [n for n, _ in m.named_buffers()]]
        x = lib.ones(1, 2, 4, 4)
        y = m(x)
        y.sum().backward()
        out += [y, m.weight.grad_fn.name(), m.weight_u, m.weight_orig.grad]
        m.eval()
        u_before = m.weight_u.clone()
        out += [m(x), bool((m.weight_u == u_before).all())]
        fresh = lib.nn.utils.spectral_norm(lib.nn.Conv2d(2, 3, 3))
        out.append(str(fresh.load_state_dict(m.state_dict())))
        lib.nn.utils.remove_spectral_norm(m)
        out += [list(m.state_dict()), m.weight, type(m.weight).__name__]
        with pytest.raises(RuntimeError) as info:  # torch keeps the load pre-hook
            m.load_state_dict(m.state_dict())
        return out + [str(info.value)]

    both(fn)


def test_old_hooks_refuse_twice():
    def fn(lib):
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2))
        with pytest.raises(RuntimeError) as info:
            lib.nn.utils.spectral_norm(m)
        return str(info.value)

    both(fn)


# ---------------------------------------------------------------------------------------
# fusion and skip_init


@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval(transpose):
    def fn(lib):
        lib.manual_seed(6)
        conv = (lib.nn.ConvTranspose2d(2, 3, 3) if transpose else lib.nn.Conv2d(2, 3, 3)).eval()
        bn = lib.nn.BatchNorm2d(3)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 2)
        bn.eval()
        x = lib.randn(2, 2, 5, 5)
        fused = lib.nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
        return [type(fused).__name__, type(fused.weight).__name__, fused.weight, fused.bias,
                fused(x), bn(conv(x))]

    both(fn)


def test_fuse_linear_bn_eval_and_errors():
    def fn(lib):
        lib.manual_seed(7)
        linear = lib.nn.Linear(3, 4, bias=False).eval()
        bn = lib.nn.BatchNorm1d(4)
        bn.running_mean.uniform_(-1, 1)
        bn.eval()
        x = lib.randn(5, 3)
        fused = lib.nn.utils.fuse_linear_bn_eval(linear, bn)
        errors = []
        for call in (lambda: lib.nn.utils.fuse_linear_bn_eval(linear.train(), bn),
                     lambda: lib.nn.utils.fuse_linear_bn_eval(
                         lib.nn.Linear(3, 4).eval(), lib.nn.BatchNorm1d(2).eval())):
            with pytest.raises(AssertionError) as info:
                call()
            errors.append(str(info.value))
        w, b = lib.nn.utils.fuse_linear_bn_weights(
            fused.weight, None, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
        return [fused.weight, fused.bias, fused(x), bn(linear.eval()(x)), errors, w, b,
                b.requires_grad]

    both(fn)


def test_skip_init_leaves_random_stream_untouched():
    def fn(lib):
        lib.manual_seed(8)
        m = lib.nn.utils.skip_init(lib.nn.Linear, 4, 3, bias=True, dtype=lib.float64)
        with pytest.raises(RuntimeError) as info:
            lib.nn.utils.skip_init(lib.nn.ReLU)
        return [type(m).__name__, tuple(m.weight.shape), m.weight.dtype is lib.float64,
                type(m.weight).__name__, lib.rand(3), str(info.value)]

    both(fn)
