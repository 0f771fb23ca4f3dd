"""Statistics and norms: var, std, var_mean, std_mean, norm (vector norms and the
nuclear norm), median, nanmedian, mode.

Precision: torch's CPU kernels compute a float32 variance in float64 and round the
result; so does torchlet (two passes: mean, then squared deviations), which gives the
same float32 values in practice. Vector norms are float sums: equal to within rounding.
var_mean/std_mean give the NaN or infinite means of torch's Welford update (``_welford_mean``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from torchlet import _dtype, return_types
from torchlet._dtype import type_name
from torchlet._numpy_names import numpy_names, user_stacklevel
from torchlet._ops.pointwise._fused import _fma, _round_once
from torchlet._ops.pointwise.operands import (
    _out,
    _out_tuple,
    out_dtype_castable,
    out_dtype_must_match,
    scalar_type_name,
)
from torchlet._ops.reduction._cascade import GRAIN_SIZE
from torchlet._ops.reduction._common import (
    Selection,
    accumulation_dtype,
    check_overloaded_dims,
    check_tensor,
    count,
    dtype_arg,
    evenly_distribute,
    expand_reduced,
    is_int,
    kept_shape,
    not_bool,
    reduce_dims,
    reduction_layout,
    select_along,
    type_word,
    unsqueeze_reduced,
    wrap_dim,
)
from torchlet._ops.reduction.sorting import argsort_array
from torchlet._ops.reduction.std_sort import nth_element_index, std_sort_order
from torchlet._ops.shape.common import _int, _must_be
from torchlet._runtime import get_num_threads
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE

# ---------------------------------------------------------------------------------------
# var, std, var_mean, std_mean


# torch's overloads of Tensor.var and Tensor.std, as its errors print them
_VAR_SIGNATURES = (
    "tuple of ints dim, bool unbiased = True, bool keepdim = False",
    "tuple of ints dim = None, *, Number correction = None, bool keepdim = False",
    "bool unbiased = True")


def _var_args(name, x, dim, unbiased, correction):
    """Sort out torch's overloads: var(x, unbiased: bool), var(x, dim, unbiased, keepdim),
    var(x, dim, *, correction). Returns (dims, correction, all_reduce)."""
    if isinstance(dim, bool):  # var(x, False): the bool is `unbiased`
        dim, unbiased = None, dim if unbiased is None else unbiased
    elif type(dim) is not int and dim is not None:  # (var_mean, std_mean: functions only)
        check_overloaded_dims(name, dim, _VAR_SIGNATURES, None if name in ("var", "std") else x)
    if unbiased is not None:
        if correction is not None:
            raise TypeError(
                f"{name}() received an invalid combination of arguments: pass either "
                "'unbiased' or 'correction', not both"
            )
        if not isinstance(unbiased, bool):
            raise TypeError(
                f"{name}(): argument 'unbiased' must be bool, not {type(unbiased).__name__}"
            )
        correction = 1 if unbiased else 0
    elif correction is None:
        correction = 1
    a = x._data
    if a.dtype.kind != "f":
        what = name if name.endswith("_mean") else "std and var"
        raise RuntimeError(f"{what} only support floating point and complex dtypes")
    dims = reduce_dims(dim, a.ndim, name)
    # torch's reduction factor is numel / output numel: 0 when the result is empty
    factor = count(a.shape, dims) if a.size or math.prod(
        n for i, n in enumerate(a.shape) if i not in dims) else 0
    if factor - correction <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than "
            "the reduction factor (input numel divided by output numel).",
            UserWarning, stacklevel=user_stacklevel(),
        )
    # torch's backward treats dim=None (or a 0-d input) as "all". An empty list of dims
    # reduces over all of them forward, but torch's var_backward takes it as listed: n is
    # the size of no dims, 1, so its gradient is 2 / (1 - correction) * grad * (x - mean),
    # inf for the default correction. dims () keeps that (the forward reads it as all).
    all_reduce = dim is None or a.ndim == 0
    if not all_reduce and isinstance(dim, (tuple, list)) and len(dim) == 0:
        dims = ()
    return dims, correction, all_reduce


def _moments(a: np.ndarray, dims, correction, keepdim):
    """(variance, mean) of ``a`` over dims (() means all), in float64 for float32 input,
    as torch."""
    dims = dims or tuple(range(a.ndim))
    work = a.astype(accumulation_dtype(a.dtype), copy=False)
    n = count(a.shape, dims)
    mean = np.add.reduce(work, axis=dims, keepdims=True) / work.dtype.type(n)
    dev = work - mean
    dof = max(n - correction, 0)
    var = np.add.reduce(dev * dev, axis=dims, keepdims=keepdim) / work.dtype.type(dof)
    if a.size == 0:  # torch fills NaN for an empty input, whatever the correction
        var = np.full_like(var, np.nan)
    if not keepdim:
        mean = mean.reshape(var.shape)
    return np.asarray(var), mean


def _welford_mean(a: np.ndarray, dims, mean: np.ndarray) -> np.ndarray:
    """The mean as torch's var_mean/std_mean get it: Welford's update, one element at a
    time in index order, mean += (x - mean) / k. After an infinity every later element
    (finite, or another infinity) gives inf - inf = NaN, so only an infinity at the last
    position (every reduced index at its end, whatever order the dims are visited in)
    leaves an infinite mean; elsewhere it is NaN. Finite means are the two-pass ones
    (equal to within rounding)."""
    if a.dtype.kind != "f" or not np.isinf(mean).any():
        return mean
    dims = dims or tuple(range(a.ndim))
    infinite = np.isinf(a)
    last = tuple(slice(-1, None) if d in dims else slice(None) for d in range(a.ndim))
    before_last = np.add.reduce(infinite, axis=dims, keepdims=True) - infinite[last]
    return np.where((before_last > 0).reshape(mean.shape), mean.dtype.type(np.nan), mean)


def _setup(ctx, dims, correction, keepdim, all_reduce, given):
    """``given``: (dim, unbiased, correction) as the caller gave them; torch's node shows
    the dims as given and the correction its overload received (grad_fn._saved_*)."""
    ctx.dims, ctx.correction, ctx.keepdim, ctx.all_reduce = dims, correction, keepdim, all_reduce
    ctx.given_args = given


def _var_backward(ctx, grad: Tensor, x: Tensor) -> Tensor:
    """torch's var_backward: 2 / (n - correction) * grad * (x - mean(x)), the first
    product by a C++ double (torch's Scalar overload, MulBackward1); a 1-D input's
    gradient is not unsqueezed (it broadcasts as it is, as in torch)."""
    from torchlet._ops.linalg.integration import MulScalar  # (imports sums, this module)

    correction = ctx.correction
    if ctx.all_reduce:
        dof = x._data.size - correction
        if dof <= 0:
            # 2 / 0 is inf; inf * 0 is nan where x equals its mean
            nan_or_inf = np.where(x._data == x.mean()._data, np.nan, np.inf)
            return grad * wrap(nan_or_inf.astype(grad._data.dtype))
        return MulScalar.apply(grad, number=2.0 / dof) * (x - x.mean())
    shape, dims = x._data.shape, ctx.dims
    if len(shape) > 1:
        grad = unsqueeze_reduced(grad, shape, dims, ctx.keepdim)
    dof = count(shape, dims) - correction
    scale = 2.0 / dof if dof != 0 else math.inf
    return MulScalar.apply(grad, number=scale) * (x - x.mean(dims, keepdim=True))


def _std_to_var_grad(grad: Tensor, std: Tensor) -> Tensor:
    """d std = d var / (2 std); torch sets it to 0 where std is 0 (masked_fill, and
    ``std * 2`` with torch's Scalar overload: its nodes under create_graph)."""
    from torchlet._ops.linalg.integration import MulScalar

    doubled = MulScalar.apply(std, number=2.0)
    return (grad / doubled).masked_fill(wrap(std._data == 0), 0)


def _mean_backward(ctx, grad: Tensor, x: Tensor) -> Tensor:
    """torch's mean_backward: grad broadcast back (listed dims unsqueezed first), / n
    (a Scalar division: DivBackward1). An empty list of dims is all of them here."""
    from torchlet._ops.linalg.integration import DivScalar  # (imports sums, this module)

    shape = x._data.shape
    if ctx.all_reduce or not ctx.dims:
        return DivScalar.apply(expand_reduced(grad, shape, None, ctx.keepdim),
                               number=x._data.size)
    return DivScalar.apply(expand_reduced(grad, shape, ctx.dims, ctx.keepdim),
                           number=count(shape, ctx.dims))


class Var(Primitive):
    """out = sum((a - mean(a))^2) / (n - correction) over dims;
    grad_a = grad * 2 (a - mean(a)) / (n - correction)."""

    node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, a, *, dims, correction, keepdim, all_reduce, given=None):
        _setup(ctx, dims, correction, keepdim, all_reduce, given)
        ctx.save_for_backward(a)
        var, _ = _moments(a, dims, correction, keepdim)
        return reduction_layout(var.astype(a.dtype, copy=False), a)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return _var_backward(ctx, grad, x)


class Std(Primitive):
    """out = sqrt(var(a));  grad_a = var's gradient of grad / (2 out) (0 where out = 0)."""

    node_name = "StdBackward0"

    @staticmethod
    def forward(ctx, a, *, dims, correction, keepdim, all_reduce, given=None):
        _setup(ctx, dims, correction, keepdim, all_reduce, given)
        var, _ = _moments(a, dims, correction, keepdim)
        out = reduction_layout(np.sqrt(var).astype(a.dtype, copy=False), a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return _var_backward(ctx, _std_to_var_grad(grad, out), x)


class VarMean(Primitive):
    """(var, mean) = var(a), mean(a) over dims;  grad_a = var's gradient of grad_var +
    grad_mean / n broadcast back."""

    node_name = "VarMeanBackward0"

    @staticmethod
    def forward(ctx, a, *, dims, correction, keepdim, all_reduce, given=None):
        _setup(ctx, dims, correction, keepdim, all_reduce, given)
        ctx.save_for_backward(a)
        var, mean = _moments(a, dims, correction, keepdim)
        mean = _welford_mean(a, dims, mean)
        return (reduction_layout(var.astype(a.dtype, copy=False), a),
                reduction_layout(mean.astype(a.dtype, copy=False), a))

    @staticmethod
    def backward(ctx, grad_var, grad_mean):
        (x,) = ctx.saved_tensors
        return _var_mean_backward(ctx, x, grad_var, grad_mean)


def _var_mean_backward(ctx, x, grad_var, grad_mean):
    grad = None if grad_var is None else _var_backward(ctx, grad_var, x)
    if grad_mean is not None:
        part = _mean_backward(ctx, grad_mean, x)
        grad = part if grad is None else grad + part
    return grad


class StdMean(Primitive):
    """(std, mean) = std(a), mean(a) over dims;  grad_a = std's gradient of grad_std +
    grad_mean / n broadcast back."""

    node_name = "StdMeanBackward0"

    @staticmethod
    def forward(ctx, a, *, dims, correction, keepdim, all_reduce, given=None):
        _setup(ctx, dims, correction, keepdim, all_reduce, given)
        var, mean = _moments(a, dims, correction, keepdim)
        std = reduction_layout(np.sqrt(var).astype(a.dtype, copy=False), a)
        ctx.save_for_backward(a, std)
        mean = _welford_mean(a, dims, mean)
        return std, reduction_layout(mean.astype(a.dtype, copy=False), a)

    @staticmethod
    def backward(ctx, grad_std, grad_mean):
        x, std = ctx.saved_tensors
        grad_var = None if grad_std is None else _std_to_var_grad(grad_std, std)
        return _var_mean_backward(ctx, x, grad_var, grad_mean)


_NOT_GIVEN = object()  # not given: torch's overloads tell var(x) from var(x, None)


def _overload_args(name, input, dim, unbiased, keepdim, correction):  # noqa: A002
    """The arguments as the overload of torch's var/std(_mean) that takes them sees them:
    (dim, unbiased, keepdim, correction), None for one not given (keepdim: False). The
    overloads: (input, dim, unbiased=True, keepdim=False), which needs a dim; (input,
    dim=None, *, correction=None, keepdim=False); (input, unbiased=True). A bool parameter
    takes only a bool (not None), and dim no bool: ``var(x, unbiased=False, keepdim=True)``
    fits none, a TypeError. (Argument values of a fitting overload are checked later.)"""
    fits_bools = (unbiased is _NOT_GIVEN or type(unbiased) is bool) and \
        (keepdim is _NOT_GIVEN or type(keepdim) is bool) and \
        (correction is _NOT_GIVEN or _is_number(correction))
    if type(dim) is bool:  # var(x, False): the unbiased overload, and nothing else given
        fits = unbiased is _NOT_GIVEN and keepdim is _NOT_GIVEN and correction is _NOT_GIVEN
    else:
        fits = fits_bools and (
            unbiased is _NOT_GIVEN  # (input, dim=None, *, correction=None, keepdim=False)
            or (dim is not _NOT_GIVEN and correction is _NOT_GIVEN)  # (input, dim, unbiased..)
            or dim is keepdim is correction is _NOT_GIVEN)  # (input, unbiased): none of those
    if not fits:
        raise _overload_error(name, input, locals())
    return (None if dim is _NOT_GIVEN else dim, None if unbiased is _NOT_GIVEN else unbiased,
            False if keepdim is _NOT_GIVEN else keepdim,
            None if correction is _NOT_GIVEN else correction)


def _is_number(value) -> bool:
    """Whether torch's parser takes ``value`` as a ``Number`` (or a None default): a
    Python or NumPy number or bool, or a 0-d tensor."""
    if type(value) is int or type(value) is float or value is None:
        return True
    if isinstance(value, Tensor):
        return value._data.ndim == 0
    return isinstance(value, (int, float, complex, np.number, np.bool_))


def _overload_error(name, input, given: dict) -> TypeError:  # noqa: A002
    """torch's TypeError for var/std(_mean) arguments no overload takes. A dim is listed as
    positional, the others as keywords (this signature cannot tell which were), in torch's
    order: by name."""
    got = [type_name(input)]
    if given["dim"] is not _NOT_GIVEN:
        got.append(type_name(given["dim"]))
    got += [f"{k}={type_name(given[k])}" for k in ("correction", "keepdim", "unbiased")
            if given[k] is not _NOT_GIVEN]
    out = name in ("var", "std")  # (var_mean, std_mean: no out)
    overloads = (
        "Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False"
        + (", *, Tensor out = None" if out else ""),
        "Tensor input, tuple of ints dim = None, *, Number correction = None, "
        "bool keepdim = False" + (", Tensor out = None" if out else ""),
        "Tensor input, bool unbiased = True")
    lines = "".join(f" * ({signature})\n" for signature in overloads)
    return TypeError(f"{name}() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:\n{lines}")


def moment_method_error(error: TypeError) -> TypeError:
    """The Tensor method's words for ``_overload_error``'s error (no input, no out; with
    no argument left, torch's parser ends the list with ", "). Any other error is kept."""
    message = str(error)
    if " * (Tensor input, " not in message:  # (not _overload_error's)
        return error
    head, _, rest = message.partition(" - got (")
    got, _, lines = rest.partition("), but expected one of:\n")
    got = got.removeprefix("Tensor").removeprefix(", ")  # (input's)
    if got and "=" in got.split(", ")[0]:  # keywords only
        got += ", "
    lines = lines.replace("Tensor input, ", "").replace(", *, Tensor out = None", "") \
        .replace(", Tensor out = None", "")
    return TypeError(f"{head} - got ({got}), but expected one of:\n{lines}")


def _moment(name, primitive, input, dim, unbiased, keepdim, correction):  # noqa: A002
    x = check_tensor(name, input)
    given = (dim, unbiased, correction)
    dims, correction, all_reduce = _var_args(name, x, dim, unbiased, correction)
    return primitive.apply(x, dims=dims, correction=correction, keepdim=keepdim,
                           all_reduce=all_reduce, given=given)


@numpy_names
def var(input, dim=_NOT_GIVEN, unbiased=_NOT_GIVEN, keepdim=_NOT_GIVEN, *,  # noqa: A002
        correction=_NOT_GIVEN, out=None) -> Tensor:
    """Variance over ``dim`` with Bessel's correction by default (``correction=1``;
    ``unbiased=False`` means 0). ``var(x, False)`` is accepted, as torch."""
    dim, unbiased, keepdim, correction = _overload_args("var", input, dim, unbiased, keepdim,
                                                        correction)
    result = _moment("var", Var, input, dim, unbiased, keepdim, correction)
    result = _in_out_dtype(result, out, "var", Var, input, dim, unbiased, keepdim, correction)
    return _out(result, out, "var", out_dtype_castable)


@numpy_names
def std(input, dim=_NOT_GIVEN, unbiased=_NOT_GIVEN, keepdim=_NOT_GIVEN, *,  # noqa: A002
        correction=_NOT_GIVEN, out=None) -> Tensor:
    """Standard deviation: the square root of ``var`` (same arguments)."""
    dim, unbiased, keepdim, correction = _overload_args("std", input, dim, unbiased, keepdim,
                                                        correction)
    result = _moment("std", Std, input, dim, unbiased, keepdim, correction)
    result = _in_out_dtype(result, out, "std", Std, input, dim, unbiased, keepdim, correction)
    return _out(result, out, "std", out_dtype_castable)


def _in_out_dtype(result, out, name, primitive, input, dim, unbiased, keepdim,  # noqa: A002
                  correction) -> Tensor:
    """torch's std_var_out for an ``out`` of another float dtype: a result of at most one
    element (and an ``out`` that is not float16) comes from the input in its own dtype
    (std_var_all, which refuses a float16 input), any other is computed from the input
    cast to ``out``'s dtype."""
    have = result._data.dtype
    want = out._data.dtype if isinstance(out, Tensor) else have
    if want == have or want.kind != "f" or (GRAD_STATE.enabled and result.requires_grad):
        return result  # (_out refuses a result that requires grad)
    if result._data.size <= 1 and want != np.float16 and input._data.size:
        if have == np.float16:
            raise RuntimeError("std_var_all: Unsupported dtype Half")
        return result
    return _moment(name, primitive, input.to(_dtype.from_numpy_dtype(want)), dim, unbiased,
                   keepdim, correction)


@numpy_names
def var_mean(input, dim=_NOT_GIVEN, unbiased=_NOT_GIVEN, keepdim=_NOT_GIVEN, *,  # noqa: A002
             correction=_NOT_GIVEN):
    """``(var, mean)`` in one pass (a plain tuple, as torch)."""
    dim, unbiased, keepdim, correction = _overload_args("var_mean", input, dim, unbiased,
                                                        keepdim, correction)
    return _moment("var_mean", VarMean, input, dim, unbiased, keepdim, correction)


@numpy_names
def std_mean(input, dim=_NOT_GIVEN, unbiased=_NOT_GIVEN, keepdim=_NOT_GIVEN, *,  # noqa: A002
             correction=_NOT_GIVEN):
    """``(std, mean)`` in one pass (a plain tuple, as torch)."""
    dim, unbiased, keepdim, correction = _overload_args("std_mean", input, dim, unbiased,
                                                        keepdim, correction)
    return _moment("std_mean", StdMean, input, dim, unbiased, keepdim, correction)


# ---------------------------------------------------------------------------------------
# norms


def _p_norm(work: np.ndarray, p: float, dims, keepdim, lastdim: bool = True) -> np.ndarray:
    """The p-norm of a NumPy array over ``dims``. float16 is accumulated in float32 and
    rounded once, as torch's Half kernel does (squares past 256 overflow float16)."""
    if work.dtype == np.float16:  # (not torch's float32 last-dim kernel: lastdim=False)
        return _p_norm(work.astype(np.float32), p, dims, keepdim,
                       lastdim=False).astype(np.float16)
    np_dtype = work.dtype
    reduced = (range(work.ndim) if dims is None else dims)
    if p != 0 and math.prod(work.shape[d] for d in reduced) == 1 and work.size:
        # one element per output: torch's iterator does not reduce, the norm is |a| (no
        # rounding through a power and its root: vector_norm([160.], 3) is 160.)
        out = np.abs(work)
        return out if keepdim else out.reshape(
            tuple(n for i, n in enumerate(work.shape) if i not in reduced))
    if p == 2:
        rows = _contiguous_rows(work, reduced) if lastdim else None
        if rows is not None:
            out = _two_norm_rows(rows)
            return out.reshape(kept_shape(work.shape, reduced) if keepdim else
                               tuple(n for i, n in enumerate(work.shape) if i not in reduced))
        return np.sqrt(_sum_in_order(work * work, dims, keepdim))
    if p == 1:
        return _sum_in_order(np.abs(work), dims, keepdim)
    if p == math.inf:
        return np.max(np.abs(work), axis=dims, keepdims=keepdim)
    if p == -math.inf:
        return np.min(np.abs(work), axis=dims, keepdims=keepdim)
    if p == 0:
        return np.add.reduce(work != 0, axis=dims, keepdims=keepdim, dtype=np_dtype)
    # torch: sum(powf(|a|, p)) then powf(sum, 1.0f / p), p held in the accumulation type
    q = np_dtype.type(p)
    powered = _pow(np.abs(work), q)
    return _pow(_sum_in_order(powered, dims, keepdim), np_dtype.type(1) / q)


def _sum_in_order(a: np.ndarray, dims, keepdim: bool) -> np.ndarray:
    """Sum over ``dims`` one element after the other, as torch's norm kernel
    (binary_kernel_reduce) accumulates each output: its elements in TensorIterator's
    order (the reduced dims by stride, the largest outermost). From 32768 elements per
    output on, each thread sums a range and the range sums are added at the end."""
    dims = tuple(range(a.ndim)) if dims is None else tuple(dims)
    kept = [i for i in range(a.ndim) if i not in dims]
    walk = sorted(dims, key=lambda d: -abs(a.strides[d]))
    rows = a.transpose(kept + walk).reshape([a.shape[i] for i in kept]
                                            + [math.prod(a.shape[d] for d in walk)])
    n = rows.shape[-1]
    threads = get_num_threads()
    if n < GRAIN_SIZE or threads <= 1:
        total = np.add.accumulate(rows, axis=-1)[..., -1].copy() if n else rows.sum(-1)
    else:
        chunk = -(-n // min(threads, -(-n // GRAIN_SIZE)))
        total = np.zeros(rows.shape[:-1], a.dtype)
        for start in range(0, n, chunk):
            total = total + np.add.accumulate(rows[..., start:start + chunk], axis=-1)[..., -1]
    return total.reshape(kept_shape(a.shape, dims)) if keepdim else total


def _pow(a: np.ndarray, exponent) -> np.ndarray:
    """a ** exponent rounded once to a's precision, as C's powf is (NumPy's float32
    power is off by an ulp for about a third of inputs)."""
    if a.dtype == np.float64:
        return a ** exponent
    return (a.astype(np.float64) ** np.float64(exponent)).astype(a.dtype)


def _contiguous_rows(work: np.ndarray, reduced) -> np.ndarray | None:
    """``work`` as (outputs, n) rows when torch's 2-norm takes its vectorised last-dim
    kernel: float32/float64, and the reduced dims (size 1 aside) coalesce into one
    contiguous innermost dim, as TensorIterator sees them (x.norm(dim=-1), x.norm() of a
    contiguous x, x.t().norm(dim=0)); None otherwise."""
    if work.dtype not in (np.float32, np.float64) or not work.size:
        return None
    red = sorted((d for d in reduced if work.shape[d] != 1), key=lambda d: work.strides[d])
    if not red:
        return None
    step = work.itemsize
    for d in red:
        if work.strides[d] != step:
            return None
        step *= work.shape[d]
    kept = [d for d in range(work.ndim) if d not in reduced]
    if any(work.shape[d] != 1 and work.strides[d] < step for d in kept):
        return None
    ones = [d for d in reduced if work.shape[d] == 1]
    return work.transpose(kept + ones + red[::-1]).reshape(-1, step // work.itemsize)


def _two_norm_rows(rows: np.ndarray) -> np.ndarray:
    """sqrt(sum x^2) of each row, in the order of torch's vectorised kernel (measured,
    bit-exact for rows of 1..1000+ elements): 256-bit vectors of 8 float32 / 4 float64
    lanes accumulate acc + x*x (the square rounded) over the whole vectors, the lanes are
    added in order, then the remaining elements one after the other: whole groups of four
    as s + x*x, the last (up to three) fused, s = fma(x, x, s), as its compiler made them.
    So [a, b] gives sqrt(fma(b, b, a*a)), not sqrt(a*a + b*b)."""
    lanes = 32 // rows.itemsize
    n = rows.shape[-1]
    full = n - n % lanes
    total = np.zeros(rows.shape[0], rows.dtype)
    if full:
        blocks = rows[:, :full].reshape(-1, full // lanes, lanes)
        # (the reduced axis is not the innermost here: NumPy adds the vectors in order)
        acc = np.add.reduce(np.moveaxis(blocks * blocks, 1, 0), axis=0).T.copy()
        total = acc[0]
        for lane in acc[1:]:
            total = total + lane
    tail = rows[:, full:].T.copy()  # one contiguous row per remaining element
    fused = (n - full) // 4 * 4
    for x in tail[:fused]:
        total = total + x * x
    for x in tail[fused:]:
        if rows.dtype == np.float64:
            total = _fma(x, x, total)
        else:  # the float64 x*x + total is exact but for its last rounding: round once
            wide = x.astype(np.float64) * x + total
            total = _round_once(wide, x, x, total, np.float32)
    return np.sqrt(total)


class VectorNorm(Primitive):
    """out = (sum |a|^p)^(1/p) over dims (p = inf: max |a|, -inf: min |a|, 0: number of
    nonzeros);  grad_a as torch's norm_backward, e.g. p = 2: grad * a / out (0 where
    out = 0), p = 1: grad * sign(a), p = inf: grad * sign(a) split among the maxima."""

    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, *, p, dims, keepdim, np_dtype, whole=False, given=None):
        # whole: dim None or empty, where torch's backward keeps a 0-d out and grad (as
        # 0-d tensors they do not widen a's dtype in the formulas below)
        ctx.p, ctx.dims, ctx.keepdim, ctx.whole = p, dims, keepdim, whole
        ctx.given = given  # (ord, dim) as the caller gave them (torch's _saved_ord, _dim)
        out = _p_norm(a.astype(np_dtype, copy=False), p, dims, keepdim)
        out = reduction_layout(np.asarray(out), a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        p, dims, shape = ctx.p, ctx.dims, x._data.shape
        if x._data.ndim and not (ctx.whole and not ctx.keepdim):
            grad = unsqueeze_reduced(grad, shape, dims, ctx.keepdim)
            out = unsqueeze_reduced(out, shape, dims, ctx.keepdim)
        if p == 0:  # piecewise constant: torch returns no gradient at all
            return None
        return norm_backward(grad, x, out, p, dims)


def norm_backward(grad: Tensor, x: Tensor, out: Tensor, p: float, dims) -> Tensor:
    """torch's norm_backward (p != 0), grad and out already in keepdim shape: written
    with torch's ops (sgn, masked_fill) so a double backward shows torch's nodes.

        p = 1    sgn(x) * grad
        p = 2    grad * (x / out), 0 where out = 0
        p = inf  sgn(x) * grad / (number of maxima) at the maxima (and NaNs), else 0
        p < 1    sgn(x) |x|^(p-1) (0 where x = 0) * grad * out^(1-p)
        p < 2    sgn(x) |x|^(p-1) * grad / out^(p-1) (0 where out = 0)
        else     x |x|^(p-2) * grad / out^(p-1) (0 where out = 0)
    """
    if p == 1:
        return x.sgn() * grad
    zero_norm = wrap(out._data == 0)
    if p == 2:
        return grad * (x / out).masked_fill(zero_norm, 0)
    if math.isinf(p):
        # amax(|x|)'s gradient, split among the ties (and NaNs), times sgn(x)
        dtype = grad._data.dtype
        absx = np.abs(x._data)
        mask = (absx == out._data) | np.isnan(absx)
        ties = np.add.reduce(mask, axis=dims, keepdims=True, dtype=dtype)
        return x.sgn() * ((grad / wrap(ties)) * wrap(mask.astype(dtype)))
    if p < 1:
        scaled = x.sgn() * (x.abs() ** (p - 1)).masked_fill(wrap(x._data == 0), 0)
        return scaled * grad * out ** (1 - p)
    scale = (grad / out ** (p - 1)).masked_fill(zero_norm, 0)
    if p < 2:
        return x.sgn() * x.abs() ** (p - 1) * scale
    return x * x.abs() ** (p - 2) * scale


def _check_no_narrowing(name: str, have: np.dtype, want: np.dtype) -> None:
    """A norm's ``dtype`` may widen the input's (float16 to float32), never narrow it."""
    if np.promote_types(have, want) != want:
        raise RuntimeError(
            f"{name}: the dtype of the input ({scalar_type_name(have)}) should be convertible "
            f"without narrowing to the specified dtype ({scalar_type_name(want)})"
        )


def vector_norm(input, ord=2, dim=None, keepdim=False, *, dtype=None,  # noqa: A002
                out=None) -> Tensor:
    """torch.linalg.vector_norm: the p-norm of the elements over ``dim`` (all if None);
    an ``out`` must have the result's dtype."""
    if out is not None:
        result = vector_norm(input, ord, dim, keepdim, dtype=dtype)
        return _out(result, out, "linalg_vector_norm", out_dtype_must_match)
    x = check_tensor("linalg.vector_norm", input)
    a = x._data
    if a.dtype.kind != "f":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {type_word(a)}"
        )
    p = float(ord)
    given = () if dim is None else [dim] if is_int(dim) else dim
    if p < 0 or math.isinf(p):
        # torch checks these before the dims themselves (duplicates), naming each dim as
        # given (and, as torch, without a space after it)
        if a.size == 0 and not given:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {p:g} norm on an empty tensor "
                "because the operation does not have an identity"
            )
        if a.size == 0:
            for d in given:
                if a.shape[wrap_dim("linalg_vector_norm", d, a.ndim)] == 0:
                    raise RuntimeError(
                        f"linalg.vector_norm cannot compute the {p:g} norm on the dimension "
                        f"{d}because this dimension is empty and the operation does not "
                        "have an identity"
                    )
    np_dtype = a.dtype
    if dtype is not None:
        np_dtype = _dtype.to_dtype(dtype).np
        if np_dtype.kind != "f":
            raise RuntimeError(
                "linalg.vector_norm: dtype should be floating point or complex, but got "
                f"{type_word(np.empty(0, np_dtype))}"
            )
        _check_no_narrowing("linalg.vector_norm", a.dtype, np_dtype)
    dims = reduce_dims(dim, a.ndim, "linalg_vector_norm", 3)
    return VectorNorm.apply(x, p=p, dims=dims, keepdim=keepdim, np_dtype=np_dtype,
                            whole=not given, given=(ord, dim))


def _matrix_norm(x: Tensor, p, dim, keepdim, dtype) -> Tensor:
    """torch.linalg.matrix_norm for the orders torch.norm sends to it ('nuc')."""
    a = x._data
    dims = list(range(a.ndim)) if dim is None else ([dim] if isinstance(dim, int) else dim)
    if p not in ("fro", "nuc"):
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    if len(dims) != 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}"
        )
    if a.dtype.kind != "f":
        raise RuntimeError(
            "linalg.matrix_norm: Expected a floating point or complex tensor as input. "
            f"Got {type_word(a)}"
        )
    if p == "nuc" and a.dtype == np.float16:
        raise RuntimeError("linalg.matrix_norm: Low precision dtypes not supported. Got Half")
    if dtype is not None:
        _check_no_narrowing("linalg.matrix_norm", a.dtype, _dtype.to_dtype(dtype).np)
        x = x.to(dtype)
    d0, d1 = (wrap_dim("linalg.matrix_norm", d, a.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    perm = [i for i in range(a.ndim) if i not in (d0, d1)] + [d0, d1]
    from torchlet.linalg.decompositions import Svdvals  # (linalg imports this module)

    out = Svdvals.apply(x.permute(perm)).sum(-1, keepdim=keepdim)
    if keepdim:  # as torch: unsqueeze, then move the two size-1 dims back in place
        out = out.reshape(out._data.shape + (1,)).permute([perm.index(i) for i in range(a.ndim)])
    return out


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None) -> Tensor:  # noqa: A002
    """torch.norm: 'fro' (and any number p) is a vector norm over ``dim`` (all elements if
    None); 'nuc' is the nuclear norm (sum of singular values) over two dims."""
    x = check_tensor("norm", input)
    if type(keepdim) is not bool:  # (torch's norm is linalg_vector_norm underneath)
        raise TypeError(_must_be("linalg_vector_norm", "keepdim", 4, "bool", keepdim))
    if dtype is not None:
        dtype_arg("linalg_vector_norm", dtype)
    if out is not None:
        result = norm(x, p, dim, keepdim, dtype=dtype)
        if p == "nuc":  # torch's matrix_norm computes, then copies into out (CopyBackwards)
            return _out(result, out, "linalg.matrix_norm", _matrix_norm_out_dtype,
                        grad_check="in-place")
        return _out(result, out, "linalg_vector_norm", out_dtype_must_match)
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(x, 2, dim, keepdim, dtype=dtype)
        return _matrix_norm(x, p, dim, keepdim, dtype)
    return vector_norm(x, 2.0 if p is None else p, dim, keepdim, dtype=dtype)


def _matrix_norm_out_dtype(want, got, field) -> RuntimeError:
    return RuntimeError(f"linalg.matrix_norm expected out tensor dtype "
                        f"{scalar_type_name(want)} but got: {scalar_type_name(got)}")


# ---------------------------------------------------------------------------------------
# median, mode


class MedianAll(Primitive):
    """out = the lower median of all elements (NaN if any is NaN);  grad_a = grad split
    evenly among the elements equal to out."""

    node_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, a):
        flat = a.reshape(-1)
        if a.dtype.kind == "f" and np.isnan(flat).any():
            out = np.asarray(np.nan, a.dtype)
        else:
            out = _zero_as_torch(_lower_median(flat, a.dtype), a, (flat.size - 1) // 2)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return evenly_distribute(grad, x._data, out._data)


def _lower_median(flat: np.ndarray, dtype) -> np.ndarray:
    """The lower median of a 1-D array, as a 0-d array of ``dtype``; NaN when empty."""
    if flat.size == 0:
        return np.asarray(np.nan).astype(dtype)
    k = (flat.size - 1) // 2
    return np.asarray(np.partition(flat, k)[k])


def _zero_as_torch(out: np.ndarray, a: np.ndarray, nth: int) -> np.ndarray:
    """The whole-tensor median ``out`` with the sign of zero torch gives it. torch runs
    ``std::nth_element`` at ``nth`` on a clone of ``a`` (NaNs sorted last), so where +0.0
    and -0.0 both occur, which of them lands at ``nth`` depends on the algorithm's swaps:
    replayed here (``nth_element_index``), only in that rare case. The clone keeps ``a``'s
    memory order (preserve_format), hence the K-order ravel."""
    if out != 0 or a.dtype.kind != "f":
        return out
    zeros = np.signbit(a[a == 0])
    if zeros.all() or not zeros.any():  # one sign only: NumPy's pick has it too
        return out
    flat = np.ravel(a, order="K")
    return np.asarray(flat[nth_element_index(flat.tolist(), nth)])


class MedianDim(Selection):
    """values, indices = lower median along dim and its index;  grad_a = grad there."""

    node_name = "MedianBackward1"


class Mode(Selection):
    """values, indices = most frequent value along dim and its last index;
    grad_a = grad there."""

    node_name = "ModeBackward0"


def _check_not_bool(name: str, a: np.ndarray) -> None:
    if a.dtype == np.bool_:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")


def _check_median_dim(a: np.ndarray, d: int) -> None:
    """median(dim)/nanmedian(dim) refuse an empty reduced dim, then a bool input (even
    0-d or with an empty result), in torch's order."""
    if a.ndim and a.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    if a.dtype == np.bool_:
        raise NotImplementedError("\"median_out\" not implemented for 'Bool'")


def _median_into(select, name: str, input, dim, keepdim, out):  # noqa: A002
    """median/nanmedian(input, dim, keepdim, out=(values, indices)). torch's order of
    checks: the reduced dim is not empty, indices are int64, values have the input's
    dtype (a legacy type name in each message)."""
    if dim is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    x = check_tensor(name, input)
    a = x._data
    d = wrap_dim(name, dim, a.ndim)
    if a.ndim and a.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    if (isinstance(out, (tuple, list)) and len(out) == 2
            and all(isinstance(t, Tensor) for t in out)):
        values, indices = (t._data.dtype for t in out)
        where = "(while checking arguments for median)"
        if indices != np.int64:
            raise RuntimeError("Expected tensor for argument #1 'indices' to have scalar type "
                               f"Long; but got {_legacy_type(indices)} instead {where}")
        if values != a.dtype:
            raise RuntimeError(
                "Expected tensor for 'values' to have the same type as tensor for argument "
                f"#2 'self'; but type {_legacy_type(values)} does not equal "
                f"{_legacy_type(a.dtype)} {where}")
    return _out_tuple(select(x, dim, keepdim), out, name)


def _legacy_type(np_dtype) -> str:
    """torch's legacy name of a CPU tensor type: torch.FloatTensor (CPUBoolType for bool)."""
    if np_dtype == np.bool_:
        return "CPUBoolType"
    return f"torch.{scalar_type_name(np_dtype)}Tensor"


_NO_DIM = object()  # median()/nanmedian() without dim (an explicit None is torch's TypeError)
_OMITTED = object()  # keepdim not passed (torch's overload without dim takes none)


def _median_dim_keepdim(name: str, dim, keepdim) -> tuple:
    """median/nanmedian's ``dim`` and ``keepdim`` as torch's two overloads take them:
    ``(input)`` (dim None here) and ``(input, int dim, bool keepdim=False)``; keepdim
    without dim is torch's "missing dim", a dim that is no int (None too) its
    argument error."""
    if dim is _NO_DIM:
        if keepdim is not _OMITTED:
            raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
        return None, False
    if type(dim) is not int:
        dim = _int(dim, name, "dim", 2)
    if keepdim is _OMITTED:
        return dim, False
    if type(keepdim) is not bool:
        raise not_bool(name, keepdim)
    return dim, keepdim


@numpy_names
def median(input, dim=_NO_DIM, keepdim=_OMITTED, *, out=None):  # noqa: A002
    """``median(input)``: the lower median of all elements (0-d; NaN if any is NaN).
    ``median(input, dim, keepdim=False)``: ``torch.return_types.median(values, indices)``
    along dim. Among equal values torch (nth_element) may report another index than
    torchlet, which takes the median's position in a stable sort."""
    dim, keepdim = _median_dim_keepdim("median", dim, keepdim)
    if out is not None:
        return _median_into(median, "median", input, dim, keepdim, out)
    x = check_tensor("median", input)
    a = x._data
    if dim is None:
        if a.size:  # (torch's empty median fills NaN before any dtype dispatch: True)
            _check_not_bool("median", a)
        return MedianAll.apply(x)
    d = wrap_dim("median", dim, a.ndim)
    _check_median_dim(a, d)
    if a.ndim == 0:
        return select_along(MedianDim, x, np.zeros((), np.int64), d, keepdim,
                            return_types.median, dim)
    n = a.shape[d]
    order = argsort_array(a, d, descending=False)
    idx = np.take(order, [(n - 1) // 2], axis=d)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        has_nan = nan.any(axis=d, keepdims=True)
        if has_nan.any():  # a slice with NaN has median NaN, at its first NaN
            idx = np.where(has_nan, np.argmax(nan, axis=d, keepdims=True), idx)
    return select_along(MedianDim, x, idx, d, keepdim, return_types.median, dim)


class NanmedianAll(Primitive):
    """out = the lower median of the non-NaN elements (NaN if all are NaN);
    grad_a = grad split evenly among the elements equal to out (all NaNs if out is NaN)."""

    node_name = "NanmedianBackward0"

    @staticmethod
    def forward(ctx, a):
        flat = a.reshape(-1)
        if a.dtype.kind == "f":
            flat = flat[~np.isnan(flat)]
        out = _lower_median(flat, a.dtype)  # NaN when empty or all NaN
        out = _zero_as_torch(out, a, (flat.size - 1) // 2)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return evenly_distribute(grad, x._data, out._data)


class NanmedianDim(Selection):
    """values, indices = lower median of the non-NaN elements along dim and its index;
    grad_a = grad there."""

    node_name = "NanmedianBackward1"


def _all_nan_median_index(n: int) -> int:
    """The index torch reports for a slice of ``n`` NaNs.

    torch runs std::nth_element for position 0 with a comparison under which all NaNs
    are equal, so the answer is wherever libstdc++'s introselect leaves position 0. With
    every comparison false each round moves the middle element to the front (median of
    three), reverses the rest of the range (the partition swaps every pair) and keeps
    the range's front half; ranges of 3 or fewer are left as they are.
    """
    order = np.arange(n)
    size = n
    while size > 3:
        middle = size // 2
        order[0], order[middle] = order[middle], order[0]
        order[1:size] = order[1:size][::-1].copy()
        size = 1 + (size - 1) // 2  # where the partition cut the range
    return int(order[0])


@numpy_names
def nanmedian(input, dim=_NO_DIM, keepdim=_OMITTED, *, out=None):  # noqa: A002
    """``nanmedian(input)``: the lower median of the non-NaN elements (0-d; NaN if all
    are NaN). ``nanmedian(input, dim, keepdim=False)``:
    ``torch.return_types.nanmedian(values, indices)`` along dim. As torch, the index is
    the median's position in a stable sort with NaNs last; an all-NaN slice reports
    NaN at the index torch's nth_element leaves in front."""
    dim, keepdim = _median_dim_keepdim("nanmedian", dim, keepdim)
    if out is not None:
        return _median_into(nanmedian, "nanmedian", input, dim, keepdim, out)
    x = check_tensor("nanmedian", input)
    a = x._data
    if dim is None:
        if a.size:
            _check_not_bool("median", a)
        return NanmedianAll.apply(x)
    d = wrap_dim("nanmedian", dim, a.ndim)
    _check_median_dim(a, d)
    if a.ndim == 0:
        return select_along(NanmedianDim, x, np.zeros((), np.int64), d, keepdim,
                            return_types.nanmedian, dim)
    n = a.shape[d]
    order = argsort_array(a, d, descending=False)  # NaNs sort last
    idx = np.take(order, [(n - 1) // 2], axis=d)
    if a.dtype.kind == "f":
        nans = np.add.reduce(np.isnan(a), axis=d, keepdims=True, dtype=np.int64)
        if nans.any():  # the median of the n - nans numbers in front
            k = np.maximum(n - nans - 1, 0) // 2
            idx = np.take_along_axis(order, k, axis=d)
            idx = np.where(nans == n, _all_nan_median_index(n), idx)
    return select_along(NanmedianDim, x, idx, d, keepdim, return_types.nanmedian, dim)


@numpy_names
def mode(input, dim=-1, keepdim=False, *, out=None):  # noqa: A002
    """Most frequent value along ``dim`` (the smallest one on ties) and the index of its
    last occurrence: ``torch.return_types.mode(values, indices)``."""
    return _out_tuple(_mode(input, dim, keepdim), out, "mode", _mode_out_dtype)


def _mode_out_dtype(want, got, field) -> RuntimeError:
    return RuntimeError(f"expected scalar type '{scalar_type_name(want)}' but got "
                        f"'{scalar_type_name(got)}' for {field} output")


def _mode(input, dim, keepdim):  # noqa: A002
    x = check_tensor("mode", input)
    if type(keepdim) is not bool:
        raise not_bool("mode", keepdim)
    a = x._data
    d = wrap_dim("mode", dim, a.ndim)
    if a.ndim == 0:
        return select_along(Mode, x, np.zeros((), np.int64), d, keepdim, return_types.mode, dim)
    n = a.shape[d]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    order = argsort_array(a, d, descending=False)  # ties keep their order: the last
    ordered = np.take_along_axis(a, order, axis=d)  # of a run is the last occurrence
    starts = np.ones(ordered.shape, dtype=bool)
    later = [slice(None)] * a.ndim
    earlier = [slice(None)] * a.ndim
    later[d], earlier[d] = slice(1, None), slice(None, -1)
    starts[tuple(later)] = ordered[tuple(later)] != ordered[tuple(earlier)]
    position = np.arange(n).reshape([n if i == d else 1 for i in range(a.ndim)])
    run_start = np.maximum.accumulate(np.where(starts, position, 0), axis=d)
    run_length = position - run_start + 1  # length of the run so far
    best = np.argmax(run_length, axis=d, keepdims=True)  # end of the first longest run
    idx = np.take_along_axis(order, best, axis=d)
    # Past 16 elements libstdc++'s unstable introsort decides which index ends a run, and
    # NaNs (never equal, unordered) scramble any sort: there, replay torch's std::sort.
    rows = np.moveaxis(a, d, -1).reshape(-1, n)
    replay = np.ones(len(rows), bool) if n > 16 else np.zeros(len(rows), bool)
    if a.dtype.kind == "f":
        replay |= np.isnan(rows).any(axis=1)
    if replay.any():
        flat_idx = np.moveaxis(idx, d, -1).reshape(-1)
        for r in np.flatnonzero(replay):
            flat_idx[r] = _std_sort_mode_index(rows[r].tolist())
        idx = np.moveaxis(flat_idx.reshape(np.moveaxis(idx, d, -1).shape), -1, d)
    return select_along(Mode, x, idx, d, keepdim, return_types.mode, dim)


def _std_sort_mode_index(values: list) -> int:
    """torch's CPU mode of one slice: sort (value, index) pairs by value with std::sort,
    then the last index of the first longest run of equal neighbours (a NaN equals
    nothing, so each is a run of one)."""
    order = std_sort_order(values)
    best_index, best_count, count = 0, 0, 0
    for i, position in enumerate(order):
        count += 1
        if i == len(order) - 1 or values[position] != values[order[i + 1]]:
            if count > best_count:
                best_index, best_count = position, count
            count = 0
    return best_index
