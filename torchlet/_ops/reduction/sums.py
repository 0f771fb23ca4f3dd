"""Sums and products: sum, mean, nansum, nanmean, prod, cumsum, cumprod, logsumexp.

Precision: float sums and means add in torch's order (``_cascade``: torch's cascade sum,
not NumPy's pairwise one; ``_strided_sum``: the order torch walks any dims of any layout
in), so they match torch bit for bit, on one thread or several.
Integer sums are exact (int64, wrapping like torch). cumsum/cumprod accumulate float32
in float64 and round each output, as torch's CPU kernel does, so they match torch bit for
bit.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet import _dtype
from torchlet._device import on_meta
from torchlet._dtype import type_name
from torchlet._numpy_names import numpy_names
from torchlet._ops.pointwise.operands import (
    _out,
    out_dtype_castable,
    out_dtype_must_match,
    refuse_autograd,
    scalar_type_name,
)
from torchlet._ops.reduction import _cascade, _strided_sum
from torchlet._ops.reduction._common import (
    Shift,
    accumulation_dtype,
    check_grad_dtype,
    check_overloaded_dims,
    check_tensor,
    count,
    dtype_arg,
    expand_reduced,
    full_or_dims,
    kept_shape,
    not_bool,
    reduce_dims,
    reduction_layout,
    result_dtype,
    reversed_cumsum,
    type_word,
    unsqueeze_reduced,
    where_mask,
    wrap_dim,
)
from torchlet._ops.shape.common import _int_list, _invalid_combination, _is_int, _no_overload
from torchlet._runtime import get_num_threads
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE

# ---------------------------------------------------------------------------------------
# sum, nansum


_FLOAT16 = np.dtype(np.float16)


def _add_reduce(a, dims, keepdim, np_dtype):
    """Sum in ``np_dtype``; float16 is accumulated in float32 and rounded once, as torch.

    Float sums follow torch's order where ``_torch_order_sum`` can; elsewhere NumPy's. A
    float sum of -0.0s is 0.0, as torch's sums start from +0.0 (NumPy's from the first
    element)."""
    if type(a) is not np.ndarray and on_meta(a):  # one element stands for all: O(1)
        return np.add.reduce(a, axis=dims, dtype=np_dtype, keepdims=keepdim)
    if (a.dtype in _SMALL_DTYPES and a.dtype == np_dtype and a.flags.c_contiguous
            and 0 < a.size < _cascade.GRAIN_SIZE):  # the usual small float sum
        total = _small_block_sum(a, dims, keepdim)
        if total is not None:
            return total
    if (dims == (0,) and not keepdim and a.ndim == 2 and a.dtype == np_dtype
            and a.dtype.itemsize >= 4 and a.shape[1] > 1 and a.size and np_dtype.kind == "f"
            and a.flags.c_contiguous):  # a bias gradient: the usual case, checked quickly
        return _plus_zero(_cascade.outer_sum(a, _threads(a.size)))
    if np_dtype.kind == "f" and a.size:
        total = _torch_order_sum(a, dims, keepdim, np_dtype)
        if total is not None:
            return total
    if np_dtype == _FLOAT16:
        total = np.add.reduce(a, axis=dims, keepdims=keepdim, dtype=np.float32)
        return _plus_zero(total.astype(np_dtype))
    total = np.add.reduce(a, dims, np_dtype, None, keepdim)  # (positional: faster)
    return _plus_zero(total) if np_dtype.kind == "f" else total


_SMALL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def column_sums(g: np.ndarray) -> np.ndarray:
    """``g.sum(0)`` of a 2-D gradient in torch's order: a Linear layer's bias gradient,
    once per layer and training step. Its usual case (float32/float64, C-contiguous, 2+
    columns, fewer than 256 rows and one thread's worth of elements) goes straight to the
    outer-block sum that ``_add_reduce`` would reach after its dispatch."""
    rows, columns = g.shape
    if (0 < rows < 256 and columns > 1 and g.size < _cascade.GRAIN_SIZE
            and g.dtype in _SMALL_DTYPES and g.flags.c_contiguous):
        return _cascade._short_outer_block(g, zeroed=True)  # (+ 0.0 folded in)
    return _add_reduce(g, (0,), False, g.dtype)


def _small_block_sum(a, dims, keepdim):
    """``_torch_order_sum`` in fewer steps for its usual case: ``a`` C-contiguous,
    float32 or float64, below torch's 32768-element grain (one thread), ``dims`` (sorted,
    or None: all) a leading or a trailing block of a's dims. None for other ``dims``.

    torch sees such an ``a`` as 2-D: (kept, reduced) rows summed one by one (an inner
    sum), or (reduced, kept) columns summed together (an outer sum); a full sum is one
    row. Size-1 dims change nothing: a row of one element or a column block of one row
    sums to 0 + a, as torch's copy into its zeroed output."""
    ndim = a.ndim
    if dims is None or len(dims) == ndim:
        total = _cascade.full_sum(a.reshape(-1), 1)
        return np.full((1,) * ndim, total) if keepdim and ndim else total
    first, last = dims[0], dims[-1]
    if last - first + 1 != len(dims):  # a gap: a middle dim is kept
        return None
    shape = a.shape
    ones = (1,) * len(dims)
    if last == ndim - 1:  # (kept, reduced)
        kept = shape[:first]
        total = _cascade.inner_sum_fast(a.reshape(math.prod(kept), -1))
        return _plus_zero(total.reshape(kept + ones if keepdim else kept))
    if first == 0:  # (reduced, kept)
        kept = shape[last + 1:]
        columns = math.prod(kept)
        if columns == 1:  # all kept dims have size 1: a full sum
            total = _cascade.full_sum(a.reshape(-1), 1)
            return np.full(ones + kept if keepdim else kept, total)
        total = _cascade.outer_sum(a.reshape(-1, columns), 1)
        return _plus_zero(total.reshape(ones + kept if keepdim else kept))
    return None  # (kept, reduced, kept): _torch_order_sum's _middle_block_sum


def _middle_block_sum(a, first, last, threads):
    """The sum over a middle block of dims, ``first`` to ``last``, of a C-contiguous
    float32/float64 ``a`` (x.sum(1) of a 3-D x): shape (kept before, kept after),
    flattened. (Size-1 dims may sit anywhere; every other dim from ``first`` to ``last``
    is reduced, and there are others before and after.)

    torch sees (before, reduced, after): the reduced dim innermost in its iteration, the
    contiguous kept ``after`` dim next, so each of the ``before`` blocks (reduced, after)
    is an outer sum of its own (``_cascade.outer_blocks``), one after the other, or split
    across threads between them. From 32768 elements on, when there are fewer blocks than
    threads, torch cuts ``after`` into per-thread ranges instead, which changes the
    blocks: None then (``_strided_sum`` follows that)."""
    shape = a.shape
    before, after = math.prod(shape[:first]), math.prod(shape[last + 1:])
    if threads > 1 and before < threads and a.size >= _cascade.GRAIN_SIZE:
        return None
    return _cascade.outer_blocks(a.reshape(before, -1, after))


def _torch_order_sum(a, dims, keepdim, np_dtype):
    """The float sum in torch's order (see ``_cascade``). The usual cases first: as
    torch's TensorIterator, it skips size-1 dims and sees a C-contiguous array as 1-D (a
    full sum) or 2-D: (reduced, kept) is an outer sum, (kept, reduced) an inner one. Any
    other layout goes through ``_strided_sum``, which walks the dims as TensorIterator
    does."""
    if a.dtype != np_dtype:
        a = a.astype(np_dtype)  # as torch: convert, then sum in the result dtype
    dims = tuple(range(a.ndim)) if dims is None else dims
    shape = kept_shape(a.shape, dims) if keepdim else tuple(
        n for i, n in enumerate(a.shape) if i not in dims)
    reduced = [i in dims for i, n in enumerate(a.shape) if n != 1]
    switches = [r != s for r, s in zip(reduced, reduced[1:])].count(True)
    if a.flags.c_contiguous and all(reduced):  # (also 0-d, or size-1 dims only)
        total = _cascade.full_sum(a.reshape(-1), _threads(a.size))
        return np.full(shape, total) if shape else total
    if (switches == 2 and not reduced[0] and a.flags.c_contiguous
            and a.dtype in _SMALL_DTYPES):  # (kept, reduced, kept): x.sum(1) of 3-D
        non_1 = [i for i in dims if a.shape[i] != 1]
        total = _middle_block_sum(a, non_1[0], non_1[-1], _threads(a.size))
        if total is not None:
            return _plus_zero(total.reshape(shape))
    if not a.flags.c_contiguous or switches > 1 or not any(reduced):
        total = _strided_sum.strided_sum(a, dims, _threads(a.size))
        return total if total.shape == shape else total.reshape(shape)  # (a fresh array)
    kept = math.prod(n for i, n in enumerate(a.shape) if i not in dims)
    if reduced[0]:
        total = _cascade.outer_sum(a.reshape(-1, kept), _threads(a.size))
    else:
        total = _cascade.inner_sum_fast(a.reshape(kept, -1))
    return _plus_zero(total.astype(np_dtype, copy=False).reshape(shape))


def _threads(size: int) -> int:
    """The threads torch would split a sum of ``size`` elements across (one below
    32768 elements, and reading the setting costs a little)."""
    return get_num_threads() if size >= _cascade.GRAIN_SIZE else 1


def _plus_zero(total):
    """``total + 0.0``: a -0.0 becomes 0.0, nothing else changes (nan stays nan)."""
    if type(total) is np.ndarray and total.ndim:
        return np.add(total, 0.0, out=total)  # (out= keeps total's dtype)
    # a NumPy scalar, with a typed zero (NumPy 1: a float32 scalar + 0.0 is a float64)
    return total + total.dtype.type(0) if total == 0 else total


class Sum(Primitive):
    """out = sum of a over dims (None: every dim, asked for as dim=());  grad_a = grad
    broadcast back over the reduced dims."""

    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, a, *, dims, keepdim, np_dtype, given_dim=None):
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        return reduction_layout(_add_reduce(a, dims, keepdim, np_dtype), a)

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad, ctx.in_shape, ctx.dims, ctx.keepdim)


class SumAll(Primitive):
    """out = sum of every element of a;  grad_a = grad broadcast to a's shape."""

    node_name = "SumBackward0"

    @staticmethod
    def forward(ctx, a, *, np_dtype=None):
        ctx.in_shape = a.shape
        return _add_reduce(a, None, False, a.dtype if np_dtype is None else np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad, ctx.in_shape, None, False)


# torch's overloads of Tensor.sum and Tensor.mean, as its errors print them
_SUM_SIGNATURES = ("*, torch.dtype dtype = None",
                   "tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None")

# ``dim`` / ``keepdim`` not passed at all: torch's overload without dim, which takes no
# keepdim (``sum(x, keepdim=True)`` is its TypeError, ``sum(x, None, True)`` is not)
_OMITTED = object()


def _keepdim_without_dim(fn: str, args: tuple, keepdim, others: dict, signatures,
                         missing: bool = True) -> TypeError:
    """torch's TypeError for ``keepdim`` given without ``dim`` (``args``: the input of a
    function, none for a Tensor method). With another keyword that the dim overload
    takes (``others``: dtype, out; None when not given), torch reports the missing
    ``dim`` where ``missing``, else the invalid combination of every keyword."""
    given = {name: value for name, value in others.items() if value is not None}
    if given and missing:
        return TypeError(f'{fn}() missing 1 required positional arguments: "dim"')
    return _invalid_combination(fn, args, {"keepdim": keepdim, **given}, signatures)


def _function_signatures(method_signatures, out_in_first: bool = False) -> tuple:
    """A function's overloads as torch prints them, from its Tensor method's: the input
    first, and ``out`` on the dim overload (on both where ``out_in_first``)."""
    first, with_dim = method_signatures
    return (f"Tensor input, {first}" + (", Tensor out = None" if out_in_first else ""),
            f"Tensor input, {with_dim}, Tensor out = None")


@numpy_names
def sum(input, dim=_OMITTED, keepdim=_OMITTED, *, dtype=None, out=None) -> Tensor:  # noqa: A001, A002
    """Sum over ``dim`` (an int, a tuple or list; None or () means every dimension).

    Integer and bool inputs sum to int64; ``dtype`` converts before summing.
    """
    if keepdim is _OMITTED:
        keepdim = False
    elif dim is _OMITTED:
        raise _keepdim_without_dim("sum", (input,), keepdim, {"dtype": dtype, "out": out},
                                   _function_signatures(_SUM_SIGNATURES))
    if dim is _OMITTED:
        dim = None
    if type(keepdim) is not bool:
        raise not_bool("sum", keepdim)
    if out is not None:
        return _reduced_into(sum, "sum", input, dim, keepdim, dtype, out)
    x = check_tensor("sum", input)
    if type(dim) is not int and dim is not None:
        check_overloaded_dims("sum", dim, _SUM_SIGNATURES)
    if dtype is None and x._data.dtype.kind == "f":
        # the usual float sums: skip the dtype rules below (same results)
        if dim is None and not keepdim:
            return SumAll.apply_unary(x)
        dims = full_or_dims(dim, reduce_dims(dim, x._data.ndim, "sum"))
        return Sum.apply(x, dims=dims, keepdim=keepdim, np_dtype=x._data.dtype,
                         given_dim=dim)
    dims = full_or_dims(dim, reduce_dims(dim, x._data.ndim, "sum"))
    np_dtype = result_dtype(x, dtype, "sum")
    if dtype is not None:
        check_grad_dtype(x, np_dtype)
    if dim is None and not keepdim:
        return SumAll.apply(x, np_dtype=np_dtype)
    return Sum.apply(x, dims=dims, keepdim=keepdim, np_dtype=np_dtype, given_dim=dim)


class Nansum(Primitive):
    """out = sum of a over dims (None: every dim), NaNs counted as 0;  grad_a = grad
    (broadcast back) where a is not NaN, 0 where it is."""

    node_name = "NansumBackward0"

    @staticmethod
    def forward(ctx, a, *, dims, keepdim, np_dtype, given_dim=None):
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        ctx.save_for_backward(a)
        numbers = np.where(np.isnan(a), 0, a) if a.dtype.kind == "f" else a
        return reduction_layout(_add_reduce(numbers, dims, keepdim, np_dtype), a)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        not_nan = wrap((~np.isnan(x._data)).astype(grad._data.dtype))
        return expand_reduced(grad, ctx.in_shape, ctx.dims, ctx.keepdim) * not_nan


@numpy_names
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor:  # noqa: A002
    """Sum treating NaN as zero."""
    if out is not None:
        return _reduced_into(nansum, "nansum", input, dim, keepdim, dtype, out,
                             _nansum_out_dtype)
    x = check_tensor("nansum", input)
    if type(keepdim) is not bool:
        raise not_bool("nansum", keepdim)
    np_dtype = result_dtype(x, dtype, "nansum")
    if dtype is not None:
        check_grad_dtype(x, np_dtype)
    dims = full_or_dims(dim, reduce_dims(dim, x._data.ndim, "nansum"))
    return Nansum.apply(x, dims=dims, keepdim=keepdim, np_dtype=np_dtype, given_dim=dim)


# ---------------------------------------------------------------------------------------
# mean, nanmean


class Mean(Primitive):
    """out = mean of a over dims (None: every dim);  grad_a = grad broadcast back over
    the reduced dims, / n (torch's Scalar division: DivBackward1)."""

    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, a, *, dims=None, keepdim=False, np_dtype=None, given_dim=None):
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        # (the defaults: loss.mean(), every dim in a's own dtype)
        np_dtype = a.dtype if np_dtype is None else np_dtype
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        ctx.count = a.size if dims is None else count(a.shape, dims)
        if np_dtype == _FLOAT16:  # as torch: float32 sum and division, rounded once
            total = _add_reduce(a, dims, keepdim, np.dtype(np.float32))
            return reduction_layout((total / np.float32(ctx.count)).astype(np_dtype), a)
        total = _add_reduce(a, dims, keepdim, np_dtype)
        # (an empty mean is 0/0 = nan, as torch)
        return reduction_layout(total / np_dtype.type(ctx.count), a)

    @staticmethod
    def backward(ctx, grad):
        from torchlet._ops.linalg.integration import DivScalar  # (imports this module)

        return DivScalar.apply(expand_reduced(grad, ctx.in_shape, ctx.dims, ctx.keepdim),
                               number=ctx.count)


class MeanAll(Mean):
    """out = mean of every element of a;  grad_a = grad / n broadcast to a's shape."""

    node_name = "MeanBackward0"


@numpy_names
def mean(input, dim=_OMITTED, keepdim=_OMITTED, *, dtype=None, out=None) -> Tensor:  # noqa: A002
    """Mean over ``dim`` (None or () means every dimension); floating inputs only,
    unless ``dtype`` names a floating type."""
    if keepdim is _OMITTED:
        keepdim = False
    elif dim is _OMITTED:  # (torch's function names every keyword given; its method not)
        raise _keepdim_without_dim("mean", (input,), keepdim, {"dtype": dtype, "out": out},
                                   _function_signatures(_SUM_SIGNATURES, True), False)
    if dim is _OMITTED:
        dim = None
    if type(keepdim) is not bool:
        raise not_bool("mean", keepdim)
    if dtype is not None:
        _check_mean_dtype("mean", input, dtype)
    if out is not None:
        return _reduced_into(mean, "mean", input, dim, keepdim, dtype, out,
                             _mean_out_dtype)
    x = check_tensor("mean", input)
    if type(dim) is not int and dim is not None:
        check_overloaded_dims("mean", dim, _SUM_SIGNATURES)
    if dim is None and dtype is None and not keepdim and x._data.dtype.kind == "f":
        return MeanAll.apply_unary(x)  # the usual loss.mean(): skips the rules below
    np_dtype = _dtype.to_dtype(dtype).np if dtype is not None else x._data.dtype
    if np_dtype.kind != "f":
        raise _mean_of_integers(np_dtype)
    dims = full_or_dims(dim, reduce_dims(dim, x._data.ndim, "mean"))
    primitive = MeanAll if dim is None and not keepdim else Mean
    return primitive.apply(x, dims=dims, keepdim=keepdim, np_dtype=np_dtype, given_dim=dim)


@numpy_names
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor:  # noqa: A002
    """Mean of the non-NaN elements: nansum / (number of non-NaN), as torch composes it
    (so its grad_fn is DivBackward0)."""
    x = check_tensor("nanmean", input)
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{type_word(x._data)}"
        )
    _check_keepdim("nanmean", keepdim)  # (a call: NumPy's typing refuses a narrowed bool)
    if dtype is not None:
        _check_mean_dtype("nanmean", x, dtype)
    dims = reduce_dims(dim, x._data.ndim, "nanmean")
    factor = np.add.reduce(~np.isnan(x._data), axis=dims, keepdims=keepdim, dtype=np.int64)
    factor = reduction_layout(np.asarray(factor), x._data)
    result = nansum(x, dim, keepdim, dtype=dtype) / wrap(factor)
    return _out(result, out, "nansum", _nansum_out_dtype)


def _check_keepdim(name: str, keepdim) -> None:
    if type(keepdim) is not bool:
        raise not_bool(name, keepdim)


def _reduced_into(reduce, name: str, input, dim, keepdim, dtype, out,  # noqa: A002
                  out_dtype_error=None) -> Tensor:
    """torch's ``out=`` of sum, nansum, mean and prod: without ``dtype`` the reduction
    runs in ``out``'s dtype (a float input summed into an int64 ``out`` is converted
    first, as ``dtype=torch.int64`` would); with it, ``out`` must have that dtype.
    ``out_dtype_error(input_dtype, out_dtype)``: the error of an ``out`` dtype the
    function refuses, or None."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type_name(out)}")
    x = check_tensor(name, input)
    refuse_autograd((x,), (out,), name)
    out_dtype = out._data.dtype
    if dtype is not None:
        if dtype_arg(name, dtype).np != out_dtype:
            raise out_dtype_must_match(dtype_arg(name, dtype).np, out_dtype, "out")
    elif out_dtype_error is not None:
        # (mean over every dim is torch's mean.dtype_out: its own words)
        error = out_dtype_error(x._data.dtype, out_dtype,
                                "mean.dtype_out" if name == "mean" and dim is None else "out")
        if error is not None:
            raise error
    result = reduce(input, dim, keepdim, dtype=_dtype.from_numpy_dtype(out_dtype))
    return _out(result, out, name)


def _mean_out_dtype(want, got, field):
    """mean refuses an integer input whatever ``out`` is, and casts a float result only
    where torch's can_cast allows."""
    if want.kind != "f":
        return _mean_of_integers(want)
    # (torch checks a cast from Float, whatever the float input: it names Float)
    error = out_dtype_castable(np.dtype(np.float32), got, field)
    if error is not None and field == "mean.dtype_out":
        return RuntimeError(f"mean.dtype_out(): input types can't be cast to the desired "
                            f"output type {scalar_type_name(got)}")
    return error


def _check_mean_dtype(name: str, input, dtype) -> None:  # noqa: A002
    """A ``dtype`` given to mean/nanmean must be floating: torch checks it first."""
    check_tensor(name, input)
    np_dtype = dtype_arg(name, dtype).np
    if np_dtype.kind != "f":
        raise RuntimeError(f"{name}(): could not infer output dtype. Optional dtype must be "
                           "either a floating point or complex dtype. Got: "
                           f"{type_word(np.empty(0, np_dtype))}")


def _mean_of_integers(np_dtype) -> RuntimeError:
    return RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                        f"floating point or complex dtype. Got: {type_word(np.empty(0, np_dtype))}")


def _nansum_out_dtype(want, got, field):
    if got.kind == "f":
        return None
    return NotImplementedError(f"\"nansum_cpu\" not implemented for '{scalar_type_name(got)}'")


# ---------------------------------------------------------------------------------------
# prod


class ProdAll(Primitive):
    """out = product of every element of a;  grad_a = grad * product of the others
    (grad * out / a when a has no zeros; exclusive products otherwise, as torch)."""

    node_name = "ProdBackward0"

    @staticmethod
    def forward(ctx, a, *, np_dtype):
        if np_dtype == _FLOAT16:  # in memory order, as torch's iterator walks it
            out = _half_product(a.ravel(order="K"), 0)
        else:
            out = np.asarray(np.multiply.reduce(a, axis=None, dtype=np_dtype))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = _in_grad_dtype(*ctx.saved_tensors, grad)
        if x._data.ndim == 0:
            return grad
        zeros = np.count_nonzero(x._data == 0)
        if zeros == 0:
            return grad * (out / x)
        if zeros > 1 and not GRAD_STATE.enabled:
            return wrap(np.zeros(x._data.shape, grad._data.dtype))
        flat = x.reshape(-1)
        return _prod_safe_zeros_backward(grad, flat, 0).reshape(x._data.shape)


class Prod(Primitive):
    """out = product of a along dim;  grad_a = grad * product of the other elements of
    the slice (grad * out / a when a has no zeros; exclusive products otherwise)."""

    node_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, a, *, dim, keepdim, np_dtype, given_dim=None):
        ctx.dim, ctx.keepdim = dim, keepdim
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        if a.ndim == 0:
            out = a.astype(np_dtype)
        else:
            if np_dtype == _FLOAT16:
                out = _half_product(a, dim)
                out = np.expand_dims(out, dim) if keepdim else out
            else:
                out = np.multiply.reduce(a, axis=dim, keepdims=keepdim, dtype=np_dtype)
            out = reduction_layout(out, a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = _in_grad_dtype(*ctx.saved_tensors, grad)
        if x._data.ndim == 0:
            return grad
        dims = (ctx.dim,)
        grad = unsqueeze_reduced(grad, x._data.shape, dims, ctx.keepdim)
        out = unsqueeze_reduced(out, x._data.shape, dims, ctx.keepdim)
        if not (x._data == 0).any():
            return grad * (out / x)
        return _prod_safe_zeros_backward(grad, x, ctx.dim)


def _half_product(a: np.ndarray, axis: int) -> np.ndarray:
    """The float16 product along ``axis`` as torch's kernel takes it: one element after
    the other, each partial product rounded to float16 (NumPy's float16 reduce keeps a
    float32 product and rounds once: up to an ulp apart)."""
    a = a.astype(_FLOAT16, copy=False)
    if a.shape[axis] == 0:
        return np.ones(a.shape[:axis] + a.shape[axis + 1:], _FLOAT16)
    last = np.take(np.multiply.accumulate(a, axis=axis), [-1], axis=axis)
    return last.squeeze(axis)


def _in_grad_dtype(x: Tensor, out: Tensor, grad: Tensor):
    """prod with dtype=: torch's backward works in the result's dtype (the input
    converted to it), and converts the gradient back at the end."""
    if x._data.dtype != grad._data.dtype:
        x = x.to(grad.dtype)
    return x, out


def _to_input_dtype(grad: Tensor, in_dtype) -> Tensor:
    return grad if grad._data.dtype == in_dtype else grad.to(_dtype.from_numpy_dtype(in_dtype))


def _prod_safe_zeros_backward(grad: Tensor, x: Tensor, dim: int) -> Tensor:
    """grad * (product of the elements before) * (product of the elements after), each
    an exclusive cumulative product: right even when the slice holds zeros."""
    from torchlet._ops.shape.copies import Flip  # (it imports the reduction package)

    if x._data.size == 0:
        return grad.expand(x._data.shape)
    if x._data.shape[dim] == 1:  # (torch's shortcut: no other element, the product is 1)
        return grad
    # torch's flip copies: a product with NumPy's reversed view (negative strides) would
    # take another layout, and so would the gradient ((3, 1) strides (1, 3), not (1, 1))
    before = cumprod(Shift.apply(x, dim=dim, step=1, fill=1), dim)
    flipped = Flip.apply(x, dims=(dim,))
    after = Flip.apply(cumprod(Shift.apply(flipped, dim=dim, step=1, fill=1), dim), dims=(dim,))
    return grad * (before * after)


_PROD_SIGNATURES = ("*, torch.dtype dtype = None",  # (Tensor.prod's, as torch prints them)
                    "int dim, bool keepdim = False, *, torch.dtype dtype = None")


@numpy_names
def prod(input, dim=None, keepdim=_OMITTED, *, dtype=None, out=None) -> Tensor:  # noqa: A002
    """Product of all elements, or along one ``dim`` (an int). Integers give int64."""
    if keepdim is _OMITTED:
        keepdim = False
    elif dim is None:  # (torch's overload without dim takes no keepdim)
        raise _keepdim_without_dim("prod", (input,), keepdim, {"dtype": dtype, "out": out},
                                   _function_signatures(_PROD_SIGNATURES))
    if out is not None:
        if dim is None:  # torch has no out= overload without dim
            raise _invalid_combination("prod", (input,), {"out": out}, (
                "Tensor input, *, torch.dtype dtype = None",
                "Tensor input, int dim, bool keepdim = False, *, torch.dtype dtype = None, "
                "Tensor out = None"))
        return _reduced_into(prod, "prod", input, dim, keepdim, dtype, out)
    x = check_tensor("prod", input)
    if type(keepdim) is not bool:
        raise not_bool("prod", keepdim)
    np_dtype = result_dtype(x, dtype, "prod")
    if dtype is not None:
        check_grad_dtype(x, np_dtype)
    if dim is None:
        return ProdAll.apply(x, np_dtype=np_dtype)
    if not _is_int(dim):
        raise _no_overload("prod", (dim,), _PROD_SIGNATURES)
    d = wrap_dim("prod", dim, x._data.ndim)
    return Prod.apply(x, dim=d, keepdim=keepdim, np_dtype=np_dtype, given_dim=dim)


# ---------------------------------------------------------------------------------------
# cumsum, cumprod


def _scan(ufunc, a: np.ndarray, dim: int, np_dtype) -> np.ndarray:
    """Running sum/product along dim, accumulated like torch's CPU kernel (float32 in
    float64, each output rounded), so the results agree bit for bit."""
    if a.ndim == 0:
        return a.astype(np_dtype)
    # dtype= converts the input first (int64 16777217 is 16777216 in float32), then the
    # kernel accumulates the converted values
    a = a.astype(np_dtype, copy=False)
    out = ufunc.accumulate(a, axis=dim, dtype=accumulation_dtype(np_dtype))
    return out.astype(np_dtype, copy=False)


def _scan_dtype(name: str, x: Tensor, dim, dtype):
    np_dtype = result_dtype(x, dtype, name)
    d = wrap_dim(name, dim, x._data.ndim, 1)
    if np_dtype == np.bool_ and x._data.ndim and x._data.size:
        # torch's kernels have no bool version (a 0-d or empty scan never runs one)
        raise NotImplementedError(f"\"{name}_out_cpu\" not implemented for 'Bool'")
    if dtype is not None:
        check_grad_dtype(x, np_dtype)
    return d, np_dtype


class Cumsum(Primitive):
    """out[i] = sum of a[k] for k <= i along dim;  grad_a[i] = sum of grad[k] for k >= i
    (a reversed cumulative sum)."""

    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, np_dtype, given_dim=None):
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        ctx.dim, ctx.in_dtype = dim, a.dtype
        out = reduction_layout(_scan(np.add, a, dim, np_dtype), a)
        if out.dtype.kind == "f" and a.ndim:  # (a 0-d cumsum is a copy: -0.0 stays)
            # torch's running sum starts from 0, so its first element is 0 + a[0]: +0.0 for
            # a -0.0 (and no later sum can be -0.0 either); NumPy's starts from a[0]
            out += 0.0
        return out

    @staticmethod
    def backward(ctx, grad):
        data = grad._data
        if data.size <= 1 or data.shape[ctx.dim] == 1:
            return grad
        # with dtype=, torch sums the gradient in the input's dtype
        return reversed_cumsum(_to_input_dtype(grad, ctx.in_dtype), ctx.dim)


@numpy_names
def cumsum(input, dim, *, dtype=None, out=None) -> Tensor:  # noqa: A002
    """Cumulative sum along ``dim``; integer and bool inputs give int64."""
    x = check_tensor("cumsum", input)
    d, np_dtype = _scan_dtype("cumsum", x, dim, _scan_in_out_dtype(dtype, out))
    result = Cumsum.apply(x, dim=d, np_dtype=np_dtype, given_dim=dim)
    if out is None:
        return result
    return _out(result, out, "cumsum", _scan_out_dtype("cumsum", dtype))


def _scan_in_out_dtype(dtype, out):
    """As torch, cumsum and cumprod given an ``out`` (of a dtype they can write) and no
    ``dtype`` compute in ``out``'s dtype: each element is cast before the running sum."""
    if dtype is None and isinstance(out, Tensor) and out._data.dtype.kind != "b":
        return out.dtype
    return dtype


def _scan_out_dtype(name: str, dtype):
    """cumsum and cumprod cast into any ``out`` but bool, unless given a ``dtype``: then
    ``out`` must have it."""
    if dtype is not None:
        return out_dtype_must_match

    def error(want, got, field):
        if got.kind != "b":
            return None
        return NotImplementedError(f"\"{name}_out_cpu\" not implemented for 'Bool'")
    return error


class Cumprod(Primitive):
    """out[i] = product of a[k] for k <= i along dim;
    grad_a[i] = sum over k >= i of grad[k] * product of a[j] for j <= k, j != i
    (= reversed_cumsum(grad * out) / a when a has no zeros)."""

    node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, np_dtype, given_dim=None):
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        ctx.dim = dim
        out = reduction_layout(_scan(np.multiply, a, dim, np_dtype), a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        dim = ctx.dim
        if x._data.size <= 1 or x._data.shape[dim] == 1:
            return grad
        grad = _to_input_dtype(grad, x._data.dtype)  # (as torch, for dtype=)
        if not (x._data == 0).any():
            return reversed_cumsum(out * grad, dim) / x
        if not GRAD_STATE.enabled:  # first order: an O(n) formula in NumPy
            return wrap(_cumprod_grad_with_zeros(x._data, grad._data, out._data, dim))
        return _cumprod_grad_differentiable(x, grad, dim)


def _cumprod_grad_with_zeros(x, g, out, dim):
    """The cumprod gradient when ``x`` holds zeros (torch's O(n) first-order method).

    Along each slice let z1 be the first zero. For i < z1 the usual formula holds on the
    elements before z1; at z1 the gradient is (product before z1) * sum over k in
    [z1, z2) of g[k] * product of x[z1+1..k]; after z1 every product contains x[z1] = 0.
    """
    x, g, out = (np.moveaxis(v, dim, -1) for v in (x, g, out))
    dt = g.dtype
    zeros_seen = np.cumsum(x == 0, axis=-1)
    before = zeros_seen == 0
    w = np.where(before, out * g, 0).astype(dt, copy=False)
    rev = np.flip(_scan(np.add, np.flip(w, -1), w.ndim - 1, dt), -1)
    grad = np.where(before, rev / np.where(before, x, 1), 0).astype(dt, copy=False)
    first = (x == 0) & (zeros_seen == 1)
    segment = (zeros_seen == 1) & ~first
    partial = _scan(np.multiply, np.where(segment, x, 1).astype(dt), x.ndim - 1, dt)
    total = np.add.reduce(np.where(zeros_seen == 1, g * partial, 0), axis=-1, keepdims=True)
    out_before = np.concatenate([np.ones_like(out[..., :1]), out[..., :-1]], axis=-1)
    grad = np.where(first, out_before * total, grad).astype(dt, copy=False)
    return np.ascontiguousarray(np.moveaxis(grad, -1, dim))


def _cumprod_grad_differentiable(x: Tensor, grad: Tensor, dim: int) -> Tensor:
    """The cumprod gradient with zeros, as torchlet operations (for create_graph):
    C[i, k] = product of x[j] for j <= k, j != i; grad_x[i] = sum over k >= i of
    grad[k] * C[i, k]. O(n^2) memory along dim, as torch's double-backward formula."""
    ndim = x._data.ndim
    n = x._data.shape[dim]
    perm = [i for i in range(ndim) if i != dim] + [dim]
    inverse = [perm.index(i) for i in range(ndim)]
    xp, gp = x.permute(perm), grad.permute(perm)
    lead = tuple(xp._data.shape[:-1])
    rows = xp.reshape(lead + (1, n)).expand(lead + (n, n))  # rows[..., i, j] = x[j]
    from torchlet._ops.pointwise import where

    others = where(wrap(np.eye(n, dtype=bool)), 1.0, rows)  # x[i] replaced by 1
    products = cumprod(others, ndim)
    terms = products * gp.reshape(lead + (1, n))
    upper = np.triu(np.ones((n, n), dtype=bool))  # k >= i
    return where_mask(upper, terms).sum(ndim).permute(inverse)


@numpy_names
def cumprod(input, dim, *, dtype=None, out=None) -> Tensor:  # noqa: A002
    """Cumulative product along ``dim``; integer and bool inputs give int64."""
    x = check_tensor("cumprod", input)
    d, np_dtype = _scan_dtype("cumprod", x, dim, _scan_in_out_dtype(dtype, out))
    result = Cumprod.apply(x, dim=d, np_dtype=np_dtype, given_dim=dim)
    return _out(result, out, "cumprod", _scan_out_dtype("cumprod", dtype))


# ---------------------------------------------------------------------------------------
# logsumexp


class Logsumexp(Primitive):
    """out = log(sum(exp(a))) over dims, computed as m + log(sum(exp(a - m))) with
    m = max(a) (m = 0 where it is infinite);  grad_a = grad * exp(a - out).

    As torch's logsumexp_out: a - m, exp, sum and log each in a's dtype, rounded as
    torch's kernels (exp and log: ``rounded_once``; the sum: ``_add_reduce``, torch's
    order over a - m, which has a's memory layout). What still differs is torch's own
    exp and log, an ulp off the nearest value for ~1% of float32 (~5% of float64)
    inputs."""

    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, a, *, dims, keepdim, given_dim=None):
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        from torchlet._ops.pointwise._libm import rounded_once

        ctx.dims, ctx.keepdim = dims, keepdim
        if a.size == 0:
            out = np.log(np.add.reduce(np.exp(a), axis=dims, keepdims=keepdim))
        else:
            m = np.maximum.reduce(a, dims, None, None, True)  # (np.max, without its wrapper)
            infinite = np.isinf(m)
            if np.count_nonzero(infinite):
                # all -inf gives -inf, +inf gives +inf, not nan (a zero of m's dtype: NumPy
                # < 2 would widen a 0-d float32 m to float64 against the Python int 0)
                m = np.where(infinite, m.dtype.type(0), m)
            exps = a - m
            if type(exps) is np.ndarray and exps.dtype.itemsize >= 4:
                # rounded_once in place: float32 through float64 buffers, rounded once
                np.exp(exps, out=exps, dtype=np.float64, casting="same_kind")
            else:  # (float16, or a 0-d a: a scalar)
                exps = rounded_once(np.exp, exps)
            total = np.asarray(_add_reduce(exps, dims, keepdim, a.dtype))
            out = rounded_once(np.log, total)
            out += m if keepdim else m.reshape(total.shape)
        out = reduction_layout(np.asarray(out), a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # torch's logsumexp_backward: grad and out unsqueezed back, one dim at a time
        x, out = ctx.saved_tensors
        shape = x._data.shape
        grad = unsqueeze_reduced(grad, shape, ctx.dims, ctx.keepdim)
        out = unsqueeze_reduced(out, shape, ctx.dims, ctx.keepdim)
        return grad * (x - out).exp()


@numpy_names
def logsumexp(input, dim, keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    """log(sum(exp(input))) over ``dim`` (required, as torch), without overflow.
    Integer inputs are converted to the default float dtype."""
    x = check_tensor("logsumexp", input)
    if type(keepdim) is not bool:
        raise not_bool("logsumexp", keepdim)
    dims = reduce_dims(_int_list(dim, "logsumexp", "dim", 1, single=True), x._data.ndim)
    if isinstance(dim, (tuple, list)) and not dim and not keepdim and x._data.size \
            and x._data.ndim:
        # torch's dim=() reduces everything but writes its kept-dims result into a 0-d
        # tensor and fails (empty and 0-d inputs skip that path)
        ones = ", ".join("1" * x._data.ndim)
        raise RuntimeError(f"output with shape [] doesn't match the broadcast shape [{ones}]")
    if x._data.dtype.kind != "f":
        x = x.to(_dtype.get_default_dtype())
    if (isinstance(out, Tensor) and out._data.dtype.kind == "f"
            and out._data.dtype != x._data.dtype
            and not (GRAD_STATE.enabled and x.requires_grad)):  # (that one raises in _out)
        # torch's logsumexp_out: exp(x - max) in x's dtype, summed, logged and shifted
        # back in out's dtype (the shift computed in the wider of the two)
        from torchlet._ops.pointwise._libm import rounded_once

        a, out_dtype = x._data, out._data.dtype
        m = np.max(a, axis=dims, keepdims=True) if a.size else np.zeros((), a.dtype)
        m = np.where(np.isinf(m), m.dtype.type(0), m)
        exps = rounded_once(np.exp, a - m).astype(out_dtype)
        total = _add_reduce(exps, dims, keepdim, out_dtype)
        shift = m if keepdim or not a.size else m.reshape(total.shape)
        result = (rounded_once(np.log, total) + shift).astype(out_dtype)
        return _out(wrap(reduction_layout(np.asarray(result), a)), out, "logsumexp")
    return _out(Logsumexp.apply(x, dims=dims, keepdim=keepdim, given_dim=dim), out, "logsumexp",
                _float_result("logsumexp"))


def _float_result(name: str):
    def error(want, got, field):
        if got.kind == "f":
            return None
        return RuntimeError(f"{name}(): Expected floating point type for result tensor, but "
                            f"got: {scalar_type_name(got)}")
    return error
