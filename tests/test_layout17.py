"""The memory layout of the remaining elementwise results, as torch's TensorIterator lays
out a new output (test_layout16 covers + - * /, comparisons, maximum, atan2, where): the
first input leads (``hypot(x.t(), y)`` is laid out as ``x.t()``, where NumPy picks C
order), a single input's dense layout is kept, an expanded input gives C order. Covers the
unary functions (exp, erf, special.*, ...), the binary ones (hypot, copysign, xlogy, pow,
remainder, fmod, fmax, nextafter, ldexp, logical_*, special.*, ...), lerp / addcmul /
addcdiv / clamp with tensor bounds, and ``out=`` tensors that get resized (laid out as
the result). Compared on the strides of dims of size > 1; values must not depend on the
layout (bit-exact against the same op on C-contiguous copies)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def _strides(t):
    return tuple(s for s, n in zip(t.stride(), t.shape) if n > 1)


# ---------------------------------------------------------------------------------------
# worked out by hand (no torch needed)


def test_first_input_leads_for_binary_functions():
    x = torchlet.rand(4, 3).t() + 0.5  # (3, 4) laid out as a transpose: strides (1, 3)
    y = torchlet.rand(3, 4) + 0.5  # C order
    for fn in (torchlet.hypot, torchlet.copysign, torchlet.xlogy, torchlet.pow,
               torchlet.remainder, torchlet.fmod, torchlet.fmax, torchlet.fmin,
               torchlet.nextafter, torchlet.logaddexp, torchlet.floor_divide,
               torchlet.logical_and, torchlet.logical_xor, torchlet.igamma,
               torchlet.special.xlog1py, torchlet.special.zeta, torchlet.heaviside,
               torchlet.special.chebyshev_polynomial_t):
        assert fn(x, y).stride() == (1, 3), fn.__name__
        assert fn(y, x).stride() == (4, 1), fn.__name__
        np.testing.assert_array_equal(fn(x, y).numpy(), fn(x.contiguous(), y).numpy())
    assert torchlet.lerp(x, y, 0.3).stride() == (1, 3)
    assert torchlet.addcmul(x, y, y).stride() == (1, 3)
    assert torchlet.addcdiv(y, x, x).stride() == (4, 1)
    assert torchlet.clamp(x, y, y + 1).stride() == (1, 3)


def test_unary_keeps_a_dense_layout_and_orders_an_expanded_one():
    dense = torchlet.rand(2, 3, 4).permute(2, 0, 1) + 0.5  # strides (1, 12, 4)
    for fn in (torchlet.exp, torchlet.log, torchlet.tanh, torchlet.sigmoid, torchlet.erf,
               torchlet.erfinv, torchlet.lgamma, torchlet.digamma, torchlet.special.i0e,
               torchlet.special.ndtr, torchlet.special.bessel_j0, torchlet.sinc,
               torchlet.nan_to_num, torchlet.deg2rad, torchlet.logit, torchlet.sign,
               torchlet.frac, torchlet.isreal):
        assert fn(dense * 0.5).stride() == (1, 12, 4), fn.__name__
    assert torchlet.polygamma(1, dense).stride() == (1, 12, 4)
    assert torchlet.round(dense, decimals=2).stride() == (1, 12, 4)
    assert (dense ** 3.5).stride() == (1, 12, 4)
    assert torchlet.frexp(dense).mantissa.stride() == (1, 12, 4)
    assert torchlet.frexp(dense).exponent.stride() == (1, 12, 4)
    row = torchlet.rand(1, 3).expand(4, 3)  # strides (0, 1): NumPy would put dim 0 first
    for fn in (torchlet.exp, torchlet.tan, torchlet.erf, torchlet.nan_to_num,
               lambda t: t ** 3.5, lambda t: -t, lambda t: torchlet.ldexp(t, torchlet.tensor(2))):
        out = fn(row)
        assert out.stride() == (3, 1)
        np.testing.assert_array_equal(out.numpy(), fn(row.contiguous()).numpy())


def test_ldexp_is_laid_out_as_its_composite():
    """torch's ldexp is mul(x, pow(2, e)) whose pow(Scalar, Tensor) is C-contiguous: a
    C-ordered x with a transposed e stays C, a transposed x leads."""
    x, e = torchlet.rand(3, 4), torchlet.arange(12).reshape(4, 3).t()
    assert torchlet.ldexp(x, e).stride() == (4, 1)
    assert torchlet.ldexp(x.t().contiguous().t(), e.contiguous()).stride() == (1, 3)
    assert torchlet.ldexp(torchlet.tensor(1.5), torchlet.tensor(2)).shape == ()


def test_resized_out_is_laid_out_as_the_result():
    x = torchlet.rand(4, 3).t()
    out = torchlet.empty(0)
    assert torchlet.exp(x, out=out) is out and out.stride() == (1, 3)
    out = torchlet.empty(0)
    torchlet.hypot(x, torchlet.rand(3, 4), out=out)
    assert out.stride() == (1, 3)
    out = torchlet.empty(0)
    torchlet.exp(torchlet.rand(3, 4), out=out)
    assert out.stride() == (4, 1)
    kept = torchlet.empty(4, 3).t()  # the right shape already: its strides stay
    torchlet.exp(torchlet.rand(3, 4), out=kept)
    assert kept.stride() == (1, 3)


def test_in_place_keeps_self_layout():
    x = torchlet.rand(4, 3).t() + 0.5
    y = torchlet.rand(3, 4) + 0.5
    for name in ("hypot_", "copysign_", "fmod_", "remainder_", "xlogy_", "pow_", "atan2_"):
        z = x.clone()
        assert getattr(z, name)(y) is z and z.stride() == (1, 3), name


def test_gradients_do_not_depend_on_layout():
    base = np.random.default_rng(0).uniform(0.2, 0.9, (4, 3))
    for fn in (lambda a, b: torchlet.hypot(a, b), lambda a, b: torchlet.xlogy(a, b),
               lambda a, b: torchlet.lerp(a, b, a), lambda a, b: torchlet.addcmul(a, b, b),
               lambda a, b: torchlet.erf(a) * b, lambda a, b: torchlet.pow(a, b),
               lambda a, b: torchlet.special.xlog1py(a, b)):
        grads = []
        for transposed in (False, True):
            a = torchlet.tensor(base.T.copy() if transposed else base, requires_grad=True)
            b = torchlet.tensor(base[::-1].copy(), requires_grad=True)
            fn(a.t() if transposed else a, b).sum().backward()
            grads.append((a.grad.numpy().T if transposed else a.grad.numpy(), b.grad.numpy()))
        np.testing.assert_array_equal(grads[0][0], grads[1][0])
        np.testing.assert_array_equal(grads[0][1], grads[1][1])


# ---------------------------------------------------------------------------------------
# sampled against torch


def _make(L, base, layout, perm):
    shape = base.shape
    if layout == "c":
        return L.tensor(base)
    if layout == "perm":
        inverse = [perm.index(i) for i in range(len(shape))]
        return L.tensor(np.ascontiguousarray(base.transpose(perm))).permute(*inverse)
    if layout == "slice":
        return L.tensor(np.repeat(base, 2, axis=-1))[..., ::2]
    if layout == "sliceperm":  # permuted, then sliced: neither dense nor in C order
        inverse = [perm.index(i) for i in range(len(shape))]
        big = np.repeat(np.ascontiguousarray(base.transpose(perm)), 2, axis=0)
        return L.tensor(big)[::2].permute(*inverse)
    if layout == "bcast":
        return L.tensor(base[:1]).expand(*shape)
    if layout == "bcastlast":
        return L.tensor(base[..., :1]).expand(*shape)
    return L.tensor(base).contiguous(memory_format=L.channels_last)


def _sp(name):
    return lambda L, *xs: getattr(L.special, name)(*xs)


def _out_empty(fn):
    def run(L, *xs):
        out = L.empty(0)
        fn(L, *xs, out=out)
        return out
    return run


UNARY = {
    "exp": lambda L, x: L.exp(x), "log1p": lambda L, x: x.log1p(),
    "tanh": lambda L, x: L.tanh(x), "sigmoid": lambda L, x: x.sigmoid(),
    "erf": lambda L, x: L.erf(x), "erfinv": lambda L, x: L.erfinv(x),
    "lgamma": lambda L, x: x.lgamma(), "digamma": lambda L, x: L.digamma(x),
    "polygamma": lambda L, x: L.polygamma(1, x), "i0": lambda L, x: L.i0(x),
    "sinc": lambda L, x: L.sinc(x), "logit": lambda L, x: L.logit(x),
    "nan_to_num": lambda L, x: L.nan_to_num(x), "round2": lambda L, x: L.round(x, decimals=2),
    "pow3.5": lambda L, x: x ** 3.5, "neg": lambda L, x: -x, "frac": lambda L, x: x.frac(),
    "isreal": lambda L, x: L.isreal(x), "deg2rad": lambda L, x: L.deg2rad(x),
    "clamp": lambda L, x: L.clamp(x, 0.3, 0.6), "sign": lambda L, x: L.sign(x),
    "ndtr": _sp("ndtr"), "i1e": _sp("i1e"), "erfcx": _sp("erfcx"), "entr": _sp("entr"),
    "bessel_j0": _sp("bessel_j0"), "airy_ai": _sp("airy_ai"),
    "xlogy_number": lambda L, x: L.xlogy(2.0, x),
    "zeta_number": lambda L, x: L.special.zeta(x + 1, 2.0),
    "ldexp_0d": lambda L, x: L.ldexp(x, L.tensor(3)),
    "frexp": lambda L, x: L.frexp(x).mantissa,
    "exp_out": _out_empty(lambda L, x, out: L.exp(x, out=out)),
    "erf_out": _out_empty(lambda L, x, out: L.erf(x, out=out)),
}
BINARY = {
    "hypot": lambda L, x, y: L.hypot(x, y), "copysign": lambda L, x, y: x.copysign(y),
    "xlogy": lambda L, x, y: L.xlogy(x, y), "pow": lambda L, x, y: x ** y,
    "remainder": lambda L, x, y: x % y, "fmod": lambda L, x, y: L.fmod(x, y),
    "floor_divide": lambda L, x, y: x // y,
    "div_trunc": lambda L, x, y: L.div(x, y, rounding_mode="trunc"),
    "fmax": lambda L, x, y: L.fmax(x, y), "fmin": lambda L, x, y: L.fmin(x, y),
    "nextafter": lambda L, x, y: L.nextafter(x, y),
    "logaddexp2": lambda L, x, y: L.logaddexp2(x, y),
    "heaviside": lambda L, x, y: L.heaviside(x, y), "isclose": lambda L, x, y: L.isclose(x, y),
    "logical_or": lambda L, x, y: L.logical_or(x > 0.5, y),
    "igammac": lambda L, x, y: L.igammac(x, y),
    "xlog1py": _sp("xlog1py"), "zeta": lambda L, x, y: L.special.zeta(x + 1, y),
    "hermite_h": _sp("hermite_polynomial_h"), "lerp": lambda L, x, y: L.lerp(x, y, 0.3),
    "clamp_min": lambda L, x, y: L.clamp(x, min=y),
    "ldexp": lambda L, x, y: L.ldexp(x, (y * 4).long()),
    "hypot_out": _out_empty(lambda L, x, y, out: L.hypot(x, y, out=out)),
    "remainder_out": _out_empty(lambda L, x, y, out: L.remainder(x, y, out=out)),
}
TERNARY = {
    "lerp_tensor": lambda L, x, y, z: L.lerp(x, y, z),
    "addcmul": lambda L, x, y, z: L.addcmul(x, y, z, value=0.5),
    "addcdiv": lambda L, x, y, z: L.addcdiv(x, y, z, value=0.5),
    "clamp_tensors": lambda L, x, y, z: L.clamp(x, y, z),
}
OPS = {**{k: (1, f) for k, f in UNARY.items()}, **{k: (2, f) for k, f in BINARY.items()},
       **{k: (3, f) for k, f in TERNARY.items()}}


def _cases(per_op: int):
    rng = np.random.default_rng(17)
    for name, (arity, _) in OPS.items():
        for _ in range(per_op):
            nd = int(rng.choice([0, 2, 2, 3, 3, 4]))
            shape = tuple(int(s) for s in rng.integers(1, 5, nd))
            shapes = [shape]
            for _ in range(arity - 1):
                roll = rng.random()
                if roll < 0.7 or nd == 0:
                    shapes.append(shape)
                elif roll < 0.85:
                    shapes.append(shape[int(rng.integers(1, nd + 1)):])  # fewer dims
                else:
                    shapes.append(tuple(1 if rng.random() < 0.4 else s for s in shape))
            specs = []
            for s in shapes:
                kinds = ["c"] + (["perm", "perm", "slice", "sliceperm", "bcast", "bcastlast"]
                                 if s else []) + (["cl"] if len(s) == 4 else [])
                specs.append((s, str(rng.choice(kinds)), [int(p) for p in rng.permutation(len(s))]))
            yield name, specs, int(rng.integers(1 << 30))


@needs_torch
@pytest.mark.parametrize("case", list(_cases(5)), ids=lambda c: f"{c[0]}-" + "-".join(
    s[1] for s in c[1]))
def test_layout_matches_torch(case):
    name, specs, seed = case
    _, fn = OPS[name]
    rng = np.random.default_rng(seed)
    bases = [rng.uniform(0.2, 0.9, s).astype(np.float32) for s, _, _ in specs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = fn(torch, *[_make(torch, b, lay, p) for b, (_, lay, p) in zip(bases, specs)])
        inputs = [_make(torchlet, b, lay, p) for b, (_, lay, p) in zip(bases, specs)]
        mine = fn(torchlet, *inputs)
        plain = fn(torchlet, *[torchlet.tensor(np.ascontiguousarray(x.numpy())) for x in inputs])
    assert mine.shape == tuple(theirs.shape) and str(mine.dtype) == str(theirs.dtype)
    assert _strides(mine) == _strides(theirs)
    np.testing.assert_array_equal(mine.numpy(), plain.numpy())  # layout never changes values
    np.testing.assert_allclose(mine.double().numpy(), theirs.double().numpy(), rtol=2e-5,
                               atol=1e-6, equal_nan=True)
