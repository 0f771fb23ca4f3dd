"""Memory layout of reductions, scans, sorting and softmax on non-contiguous inputs,
against PyTorch 2.13.

torch writes a reduction (sum, mean, amax, max/min/median/mode/kthvalue with dim, var,
norm, all/any, ...), a scan (cumsum, cummax, logcumsumexp, ...) and softmax/log_softmax
into a new contiguous tensor whatever its input's strides; sort/argsort/msort keep the
input's strides (dense inputs) or dense strides in the input's memory order (torch's
infer_dense_strides). Each expression is run on both libraries over inputs laid out
contiguously, transposed, permuted (3-D, every permutation), sliced with a step, expanded
(stride 0), and with size-1 dimensions whose strides NumPy's contiguity flag ignores;
compared: ``stride()`` (every dimension, size-1 ones too), ``is_contiguous()``, dtype,
shape, values, and float64 gradients flowing back through the non-contiguous view.

Bit-exact: integer and bool results, indices, extrema, sorting, cumsum/cumprod, cummax/
cummin, order statistics, and where var_mean/std_mean give NaN or infinity. Within float
rounding (rtol 1e-5 for float32, 1e-10 for float64 gradients): sums, means, products,
norms, variances, logsumexp, logcumsumexp, softmax (NumPy adds in another order than
torch's vectorised loops). Among tied values (expanded inputs repeat them) median, mode and
topk may pick another index than torch (see torchlet/_ops/reduction/__init__.py): there
the indices are checked to point at the values torch returns, and gradients are not
compared.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")

_RNG = np.random.default_rng(20240613)
BASE3 = _RNG.standard_normal((3, 4, 5))  # distinct values
BASE2 = _RNG.standard_normal((4, 5))


def _permuted(perm):
    inverse = tuple(int(i) for i in np.argsort(perm))

    def make(lib, leaf_of):
        leaf = leaf_of(lib, np.ascontiguousarray(BASE3.transpose(inverse)))
        return leaf, leaf.permute(*perm)
    return make


# name -> make(lib, leaf_of): (leaf tensor, the non-contiguous view the op gets)
LAYOUTS = {
    "contiguous": lambda lib, leaf_of: (lambda t: (t, t))(leaf_of(lib, BASE3)),
    "transposed_2d": lambda lib, leaf_of: (lambda t: (t, t.t()))(leaf_of(lib, BASE2)),
    **{f"permuted_{''.join(map(str, p))}": _permuted(p)
       for p in itertools.permutations(range(3)) if p != (0, 1, 2)},
    "step_last": lambda lib, leaf_of: (lambda t: (t, t[..., ::2]))(
        leaf_of(lib, np.repeat(BASE3, 2, axis=-1))),
    "step_first": lambda lib, leaf_of: (lambda t: (t, t[::2]))(
        leaf_of(lib, np.repeat(BASE3, 2, axis=0))),
    "step_permuted": lambda lib, leaf_of: (lambda t: (t, t[:, ::2].permute(2, 0, 1)))(
        leaf_of(lib, np.repeat(BASE3, 2, axis=1))),
    "expanded_row": lambda lib, leaf_of: (lambda t: (t, t.expand(3, 4, 5)))(
        leaf_of(lib, BASE3[0, 0].copy())),
    "expanded_middle": lambda lib, leaf_of: (lambda t: (t, t.expand(3, 4, 5)))(
        leaf_of(lib, BASE3[:, :1].copy())),
    "expanded_transposed": lambda lib, leaf_of: (lambda t: (t, t.expand(5, 4, 3).transpose(0, 2)))(
        leaf_of(lib, BASE3[:, :1].transpose(2, 1, 0).copy())),
    # size-1 dims: their strides are ignored by NumPy's flag and torch's is_contiguous
    "size1_narrowed": lambda lib, leaf_of: (lambda t: (t, t[:, 1:2]))(leaf_of(lib, BASE3)),
    "size1_transposed": lambda lib, leaf_of: (lambda t: (t, t.t()))(
        leaf_of(lib, BASE2[:1].copy())),
    "size1_permuted": lambda lib, leaf_of: (lambda t: (t, t.permute(1, 0, 2)))(
        leaf_of(lib, BASE3[:1].copy())),
}


def _leaf(requires_grad: bool):
    def leaf_of(lib, array):
        t = lib.from_numpy(np.array(array, dtype=np.float64 if requires_grad else np.float32))
        return t.requires_grad_() if requires_grad else t
    return leaf_of


def _dims(fn):
    """fn(t, x, d, k) for d in (0, 1, -1), k in (False, True), as fn(t, x) cases."""
    return {(d, k): (lambda t, x, d=d, k=k: fn(t, x, d, k)) for d in (0, 1, -1)
            for k in (False, True)}


def _expand_cases(table):
    cases = {}
    for name, fn in table.items():
        if isinstance(fn, dict):
            for (d, k), case in fn.items():
                cases[f"{name}[{d},{'keep' if k else 'drop'}]"] = case
        else:
            cases[name] = fn
    return cases


F = "F"  # float output compared within rounding; everything else bit-exact

REDUCTIONS = _expand_cases({
    "sum": _dims(lambda t, x, d, k: x.sum(d, keepdim=k)),
    "sum_dtype": _dims(lambda t, x, d, k: t.sum(x, d, keepdim=k, dtype=t.float64)),
    "nansum": _dims(lambda t, x, d, k: t.nansum(x, d, keepdim=k)),
    "mean": _dims(lambda t, x, d, k: x.mean(d, keepdim=k)),
    "nanmean": _dims(lambda t, x, d, k: t.nanmean(x, d, keepdim=k)),
    "prod": _dims(lambda t, x, d, k: x.prod(d, keepdim=k)),
    "amax": _dims(lambda t, x, d, k: x.amax(d, keepdim=k)),
    "amin": _dims(lambda t, x, d, k: t.amin(x, d, keepdim=k)),
    "max_dim": _dims(lambda t, x, d, k: x.max(d, keepdim=k)),
    "min_dim": _dims(lambda t, x, d, k: t.min(x, d, keepdim=k)),
    "argmax": _dims(lambda t, x, d, k: x.argmax(d, keepdim=k)),
    "argmin": _dims(lambda t, x, d, k: t.argmin(x, d, keepdim=k)),
    "logsumexp": _dims(lambda t, x, d, k: x.logsumexp(d, keepdim=k)),
    "var": _dims(lambda t, x, d, k: x.var(d, keepdim=k)),
    "std": _dims(lambda t, x, d, k: t.std(x, d, keepdim=k, correction=0)),
    "var_mean": _dims(lambda t, x, d, k: t.var_mean(x, d, keepdim=k)),
    "std_mean": _dims(lambda t, x, d, k: t.std_mean(x, d, keepdim=k)),
    "norm": _dims(lambda t, x, d, k: x.norm(dim=d, keepdim=k)),
    "norm_1": _dims(lambda t, x, d, k: t.norm(x, 1, d, keepdim=k)),
    "vector_norm_inf": _dims(lambda t, x, d, k: t.linalg.vector_norm(x, float("inf"), d, k)),
    "vector_norm_3": _dims(lambda t, x, d, k: t.linalg.vector_norm(x, 3, d, k)),
    "all": _dims(lambda t, x, d, k: (x > 0).all(d, keepdim=k)),
    "any": _dims(lambda t, x, d, k: t.any(x > 0.5, d, keepdim=k)),
    "all_uint8": _dims(lambda t, x, d, k: (x > 0).to(t.uint8).all(d, keepdim=k)),
    "median_dim": _dims(lambda t, x, d, k: x.median(d, keepdim=k)),
    "nanmedian_dim": _dims(lambda t, x, d, k: t.nanmedian(x, d, keepdim=k)),
    "mode": _dims(lambda t, x, d, k: x.mode(d, keepdim=k)),
    "kthvalue": _dims(lambda t, x, d, k: x.kthvalue(2, d, keepdim=k)),
    "aminmax": _dims(lambda t, x, d, k: t.aminmax(x, dim=d, keepdim=k)),
    "quantile": _dims(lambda t, x, d, k: x.quantile(0.3, d, keepdim=k)),
    "nanquantile": _dims(lambda t, x, d, k: t.nanquantile(x, 0.6, d, keepdim=k)),
    "sum_int": _dims(lambda t, x, d, k: (x * 10).to(t.int32).sum(d, keepdim=k)),
    "prod_int": _dims(lambda t, x, d, k: (x * 3).to(t.int64).prod(d, keepdim=k)),
    "sum_01": lambda t, x: x.sum((0, 1)),
    "sum_0last_keep": lambda t, x: t.sum(x, (0, -1), keepdim=True),
    "mean_0last": lambda t, x: x.mean((0, -1)),
    "amax_0last_keep": lambda t, x: x.amax((0, -1), keepdim=True),
    "var_0last": lambda t, x: x.var((0, -1)),
    "logsumexp_01_keep": lambda t, x: x.logsumexp((0, 1), keepdim=True),
    "norm_01": lambda t, x: x.norm(dim=(0, 1)),
    "all_0last": lambda t, x: (x > -1).all((0, -1)),
    "any_no_dims": lambda t, x: (x > 0).any(()),
    "count_nonzero_0": lambda t, x: t.count_nonzero(x > 0, 0),
    "count_nonzero_1": lambda t, x: (x > 0).count_nonzero(1),
    "count_nonzero_last": lambda t, x: t.count_nonzero(x > 0, -1),
    "count_nonzero_0last": lambda t, x: t.count_nonzero(x > 0, (0, -1)),
    "sum_all": lambda t, x: x.sum(),
    "mean_all": lambda t, x: x.mean(),
    "max_all": lambda t, x: x.max(),
    "median_all": lambda t, x: x.median(),
    "var_mean_all": lambda t, x: t.var_mean(x),
    "argmax_all_keep": lambda t, x: x.argmax(keepdim=True),
})

SCANS = _expand_cases({
    "cumsum": _dims(lambda t, x, d, k: x.cumsum(d)),
    "cumsum_dtype": _dims(lambda t, x, d, k: t.cumsum(x, d, dtype=t.float64)),
    "cumprod": _dims(lambda t, x, d, k: t.cumprod(x, d)),
    "cummax": _dims(lambda t, x, d, k: x.cummax(d)),
    "cummin": _dims(lambda t, x, d, k: t.cummin(x, d)),
    "logcumsumexp": _dims(lambda t, x, d, k: x.logcumsumexp(d)),
    "cumsum_int": _dims(lambda t, x, d, k: (x * 10).to(t.int16).cumsum(d)),
    "softmax": _dims(lambda t, x, d, k: x.softmax(d)),
    "log_softmax": _dims(lambda t, x, d, k: t.log_softmax(x, d)),
    "softmax_functional": _dims(lambda t, x, d, k: t.nn.functional.softmax(x, d)),
    "log_softmax_functional": _dims(lambda t, x, d, k: t.nn.functional.log_softmax(x, d)),
    "softmin": _dims(lambda t, x, d, k: t.nn.functional.softmin(x, d)),
    "softmax_float16": _dims(lambda t, x, d, k: x.half().softmax(d)),
})

SORTS = _expand_cases({
    "sort": _dims(lambda t, x, d, k: x.sort(dim=d, descending=k, stable=True)),
    "sort_unstable": _dims(lambda t, x, d, k: t.sort(x, d, descending=k)),
    "argsort": _dims(lambda t, x, d, k: x.argsort(dim=d, descending=k, stable=True)),
    "topk": _dims(lambda t, x, d, k: x.topk(2, d, largest=k)),
    "msort": lambda t, x: t.msort(x),
    "unique_dim0": lambda t, x: t.unique(x.round(), dim=0, return_inverse=True,
                                         return_counts=True),
})

CASES = {**REDUCTIONS, **SCANS, **SORTS}
NOT_DIFFERENTIABLE = ("argmax", "argmin", "all", "any", "count_nonzero", "argsort", "_int",
                      "unique", "float16")
TIE_SENSITIVE = ("median", "mode", "topk")  # the index among equal values is torch's own


def _run(lib, case, layout, requires_grad=False):
    leaf, x = LAYOUTS[layout](lib, _leaf(requires_grad))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degrees of freedom <= 0 for size-1 dims
        try:
            result = CASES[case](lib, x)
        except Exception as error:  # noqa: BLE001 - the type is what is compared
            return leaf, x, type(error).__name__
    return leaf, x, result


def _items(result):
    return list(result) if isinstance(result, tuple) else [result]


def _is_index(t) -> bool:
    return str(t.dtype) == "torch.int64"


def _has_ties(layout: str) -> bool:
    return layout.startswith("expanded")


def _torch_misreads(case: str, layout: str) -> bool:
    """torch 2.13's median/nanmedian with dim read past the data of an expanded input
    (values like 4.7e-310 come out); torchlet's are right, so these are not compared."""
    return "median_dim" in case and _has_ties(layout)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_layout_values_and_strides(case, layout):
    if _torch_misreads(case, layout):
        pytest.skip("torch's median(dim) of an expanded tensor returns garbage")
    _, x_t, got_t = _run(torch, case, layout)
    _, _, got_l = _run(torchlet, case, layout)
    if isinstance(got_t, str):  # torch refuses (e.g. dim 1 of a 2-D case): the same error
        assert got_l == got_t
        return
    assert not isinstance(got_l, str), got_l
    items_t, items_l = _items(got_t), _items(got_l)
    assert len(items_l) == len(items_t)
    values_t = items_t[0]
    for t, l in zip(items_t, items_l):
        assert str(l.dtype) == str(t.dtype)
        assert tuple(l.shape) == tuple(t.shape)
        if t.numel():  # (torchlet's empty tensors have NumPy's zero strides)
            assert l.stride() == t.stride(), (t.stride(), l.stride())
            assert l.is_contiguous() == t.is_contiguous()
        a_t, a_l = t.numpy(), l.numpy()
        if (_is_index(t) and any(s in case for s in TIE_SENSITIVE) and _has_ties(layout)
                and "unique" not in case):
            # another index among equal values: it must point at torch's value
            dim = {"0": 0, "1": 1, "-": -1}[case.split("[")[1][0]]
            x = x_t.numpy()
            picked = np.take_along_axis(x, a_l if a_l.ndim == x.ndim else
                                        np.expand_dims(a_l, dim), axis=dim)
            np.testing.assert_array_equal(picked.reshape(values_t.shape), values_t.numpy())
        elif a_t.dtype.kind == "f":
            rtol = 2e-3 if a_t.dtype == np.float16 else 1e-5
            np.testing.assert_allclose(a_l, a_t, rtol=rtol, atol=rtol * 1e-1, equal_nan=True)
        else:
            np.testing.assert_array_equal(a_l, a_t)


def _differentiable(case: str, layout: str) -> bool:
    if any(s in case for s in NOT_DIFFERENTIABLE) or _torch_misreads(case, layout):
        return False
    if case.startswith("std") and _has_ties(layout):
        # std of equal values: torch's Welford mean is exactly the value, torchlet's sum / n
        # can be an ulp off, so its std is ~1e-17 rather than 0 and (x - mean) / std
        # differs (a rounding difference of the values, not of the layout)
        return False
    return not (any(s in case for s in TIE_SENSITIVE) and _has_ties(layout))


GRAD_CASES = [(c, lay) for c in sorted(CASES) for lay in sorted(LAYOUTS)
              if _differentiable(c, lay)]


@pytest.mark.parametrize(("case", "layout"), GRAD_CASES)
def test_layout_gradients(case, layout):
    """float64 gradients through the non-contiguous view reach its leaf, as torch's."""
    grads = []
    for lib in (torch, torchlet):
        leaf, _, result = _run(lib, case, layout, requires_grad=True)
        if isinstance(result, str):
            grads.append(result)
            continue
        outputs = [r for r in _items(result) if r.dtype == lib.float64 and r.requires_grad]
        rng = np.random.default_rng(7)
        total = sum((o * lib.from_numpy(rng.standard_normal(tuple(o.shape)))).sum()
                    for o in outputs)
        total.backward()
        grads.append(leaf.grad.numpy())
    grad_t, grad_l = grads
    if isinstance(grad_t, str):
        assert grad_l == grad_t
        return
    np.testing.assert_allclose(grad_l, grad_t, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------
# what the layout is for: a later view() works where torch's does


@pytest.mark.parametrize("fn", [
    lambda t, x: x.t().sum(0, keepdim=True).view(-1),
    lambda t, x: x.transpose(0, 1).cumsum(0).view(-1),
    lambda t, x: t.softmax(x.t(), 0).view(-1),
    lambda t, x: x.t().log_softmax(1).view(2, -1),
    lambda t, x: x.t().cummax(0).values.view(-1),
    lambda t, x: x.t().var(1, keepdim=True).view(-1),
    lambda t, x: x.t().max(1, keepdim=True).indices.view(-1),
])
def test_view_after_reduction_of_transposed(fn):
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 5
    got_t = fn(torch, torch.from_numpy(x.copy()))
    got_l = fn(torchlet, torchlet.from_numpy(x.copy()))
    np.testing.assert_allclose(got_l.numpy(), got_t.numpy(), rtol=1e-6)


def test_sort_of_transposed_cannot_be_viewed_flat_in_either_library():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    for lib in (torch, torchlet):
        values = lib.from_numpy(x.copy()).t().sort(0).values
        with pytest.raises(RuntimeError):
            values.view(-1)


def test_gradcheck_through_non_contiguous_inputs():
    from torchlet.autograd.gradcheck import gradcheck, gradgradcheck

    base = torchlet.from_numpy(BASE3.copy()).requires_grad_()
    fns = [
        lambda b: b.permute(2, 0, 1).sum(1),
        lambda b: b.transpose(0, 2).cumsum(0),
        lambda b: b.transpose(0, 1).softmax(0),
        lambda b: b.transpose(0, 1).log_softmax(-1),
        lambda b: b.permute(1, 2, 0).sort(0).values,
        lambda b: torchlet.var_mean(b[:, ::2].transpose(0, 1), 1)[1],
        lambda b: b.transpose(0, 2).logcumsumexp(1),
    ]
    for fn in fns:
        assert gradcheck(fn, (base,))
        assert gradgradcheck(fn, (base,))


# ---------------------------------------------------------------------------------------
# var_mean / std_mean with infinities: torch's Welford update makes the mean NaN unless
# the infinity is the last element reduced


_INF_CASES = [
    [0.0, -np.inf, 2.27, -1.593, 0.8496],
    [np.inf, 1.0],
    [1.0, np.inf],
    [1.0, -np.inf],
    [np.inf],
    [np.inf, np.inf],
    [-np.inf, 2.0, np.inf],
    [np.nan, np.inf],
    [1.0, 2.0, 3.0],
]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("values", _INF_CASES, ids=str)
@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
def test_var_mean_with_infinities(name, values, dtype):
    a = np.array(values, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got_t = getattr(torch, name)(torch.from_numpy(a.copy()), 0)
        got_l = getattr(torchlet, name)(torchlet.from_numpy(a.copy()), 0)
    for t, l in zip(got_t, got_l):
        assert str(l.dtype) == str(t.dtype)
        np.testing.assert_allclose(l.numpy(), t.numpy(), rtol=1e-3, equal_nan=True)


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), -1])
@pytest.mark.parametrize("transposed", [False, True])
def test_var_mean_infinity_position_in_2d(dim, transposed):
    """Only the element with every reduced index at its end keeps an infinite mean."""
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    a[2, 3], a[0, 1], a[1, 3] = np.inf, -np.inf, np.inf
    for keepdim in (False, True):
        results = []
        for lib in (torch, torchlet):
            x = (lib.from_numpy(np.ascontiguousarray(a.T)).t() if transposed
                 else lib.from_numpy(a.copy()))
            results.append(lib.var_mean(x, dim, keepdim=keepdim)[1].numpy())
        np.testing.assert_allclose(results[1], results[0], rtol=1e-6, equal_nan=True)


# ---------------------------------------------------------------------------------------
# unique(dim=) of empty tensors


@pytest.mark.parametrize(("shape", "dim"), [((0,), 0), ((0, 3), 0), ((3, 0), 1),
                                            ((2, 0, 3), 1), ((0, 0), 0), ((0, 0), 1),
                                            ((2, 0, 3), 0), ((0, 3), 1)])
def test_unique_dim_of_empty(shape, dim):
    outcomes = []
    for lib in (torch, torchlet):
        try:
            result = lib.unique(lib.zeros(shape), dim=dim, return_inverse=True,
                                return_counts=True)
            outcomes.append([(tuple(r.shape), str(r.dtype)) for r in result])
        except RuntimeError as error:
            outcomes.append(str(error).strip())
    assert outcomes[1] == outcomes[0]
