"""Functions that pick or combine values of two or three tensors: atan2, maximum,
minimum, clamp, where, lerp. Torch's conventions at ties and bounds: maximum/minimum
split the gradient evenly on ties; clamp passes the gradient at its bounds.
"""

from __future__ import annotations

import operator

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._ops.indexing._common import (
    broadcast_shapes,
    check_saved_indices,
    checked_scalar,
    laid_out_as_torch,
)
from torchlet._ops.pointwise._fused import _fma
from torchlet._ops.pointwise.operands import (
    _TYPE_WORD,
    _cast,
    _check_tensor,
    _number,
    _operands,
    _operands_as_float,
    _out,
    _uncast_operands,
    c_type_name,
    check_out_first,
    check_parsed_int,
    invalid_combination,
    is_operand,
    out_dtype_found,
    promoted,
    promotion,
    promotion_of,
    zeros_like_scalar,
)
from torchlet._ops.shape.common import empty_in_layout
from torchlet._tensor import _NOT_GIVEN, Tensor, _warn_once, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE

# ---------------------------------------------------------------------------------------
# two-input functions


class Atan2(Primitive):
    """out = atan2(a, b);  grad_a = grad * b * r,  grad_b = grad * -a * r,
    r = 1 / (a² + b²), taken as 0 where a² + b² is 0 (torch's atan2_backward, a
    masked_fill: node MaskedFillBackward0 under create_graph)."""

    node_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        ctx.save_for_backward(a, b)
        if dtype is not None:  # (converted here, as Maximum's: no cast node)
            a, b = promoted(a, dtype), promoted(b, dtype)
        return laid_out_as_torch(np.arctan2(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        denom = a * a + b * b
        recip = zeroed(denom.reciprocal(), denom == 0)  # 0, not 0 * inf = NaN
        needs = ctx.needs_input_grad
        return (grad * b * recip if needs[0] else None,
                grad * -a * recip if needs[1] else None)


def atan2(input, other, *, out=None):  # noqa: A002
    if not isinstance(other, Tensor):
        raise TypeError(
            f"atan2(): argument 'other' (position 2) must be Tensor, not {type_name(other)}"
        )
    a, b, dt = _uncast_operands(_check_tensor("atan2", input), other)
    if dt.kind != "f":  # (integers: each converted to the default float dtype, cast nodes)
        a, b, _ = _operands_as_float(a, b)
        return _out(Atan2.apply(a, b), out, "atan2")
    return _out(Atan2.apply(a, b, **promotion(dt, a, b)), out, "atan2")


arctan2 = atan2


class Maximum(Primitive):
    """out = max(a, b);  the larger input gets grad; ties split it, half each; where either
    is NaN both get all of it (torch's formula masks only where a < b or a > b).

    ``dtype``: inputs of other dtypes are converted to it here, inside the node, as torch's
    kernel promotes (no cast node: ``promotion``); the inputs themselves are saved, and the
    backward compares them with torch's promotion. The same in Minimum and Where."""

    node_name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        ctx.save_for_backward(a, b)
        if dtype is not None:
            a, b = promoted(a, dtype), promoted(b, dtype)
        return laid_out_as_torch(_wide16(np.maximum, a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_ties(grad, a, b, ctx.needs_input_grad)


class Minimum(Primitive):
    """out = min(a, b);  the smaller input gets grad; ties split it, half each; where either
    is NaN both get all of it."""

    node_name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        ctx.save_for_backward(a, b)
        if dtype is not None:
            a, b = promoted(a, dtype), promoted(b, dtype)
        return laid_out_as_torch(_wide16(np.minimum, a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_ties(grad, b, a, ctx.needs_input_grad)


def _wide16(ufunc, a, b):
    """NumPy's maximum/minimum, through float32 for float16. On a tie of -0.0 and 0.0
    torch's vectorised kernel returns the second operand, as NumPy's float32/float64 loops
    do, while NumPy's float16 loop returns the first. (torch's scalar loop, which takes the
    last n % 16 elements of n float32 ones, returns the first: on signed-zero ties torch's
    own answer depends on the position, measured with torch 2.13 on AVX-512.)"""
    if np.asarray(a).dtype == np.float16:
        return ufunc(np.asarray(a, np.float32), np.asarray(b, np.float32)).astype(np.float16)
    return ufunc(a, b)


def _split_ties(grad, x, y, needs):
    """torch's maximum gradients: ``g = where(x == y, grad / 2, grad)``, zeroed where x < y for
    the first, where x > y for the second. A NaN compares false, so it zeroes nothing.
    maximum(a, b) passes (a, b); minimum passes (b, a), which gives its (a, b) gradients.

    Under create_graph as torch's node: each formula builds its own ``where``, the second
    input's first (derivatives.yaml's "other" sorts before "self"); without a graph to
    record, one ``where`` serves both (the same values)."""
    from torchlet._ops.pointwise.arithmetic import div_scalar  # (arithmetic imports us)

    def shared():
        return where(x == y, div_scalar(grad, 2), grad)  # (C++ grad / 2: DivBackward1)

    if not GRAD_STATE.enabled:
        both = shared()
        return (zeroed(both, x < y) if needs[0] else None,
                zeroed(both, x > y) if needs[1] else None)
    grad_y = zeroed(shared(), x > y) if needs[1] else None
    return zeroed(shared(), x < y) if needs[0] else None, grad_y


def _not_tensors(name: str, input, other) -> TypeError:  # noqa: A002
    """The error of a function whose one signature is (Tensor input, Tensor other)."""
    arg, position, x = ("input", 1, input) if not isinstance(input, Tensor) else \
        ("other", 2, other)
    return TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
                     f"{type_name(x)}")


def maximum(input, other, *, out=None):  # noqa: A002
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
        raise _not_tensors("maximum", input, other)
    a, b, dt = _uncast_operands(input, other)
    return _out(Maximum.apply(a, b, **promotion(dt, a, b)), out, "maximum")


def minimum(input, other, *, out=None):  # noqa: A002
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
        raise _not_tensors("minimum", input, other)
    a, b, dt = _uncast_operands(input, other)
    return _out(Minimum.apply(a, b, **promotion(dt, a, b)), out, "minimum")


class ClampScalar(Primitive):
    """out = min(max(a, lo), hi);  grad_a = grad where lo <= a <= hi (kept at the bounds)."""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, a, *, lo, hi, given):
        # lo, hi: the bounds in a's dtype; given: (min, max) as the caller gave them, which
        # torch's node keeps (``_saved_max`` 0.6, not 0.6 rounded to float32; int 1 stays 1)
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi, ctx.given = lo, hi, given
        return laid_out_as_torch(_clamp_scalar(a, lo, hi), a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        keep = None
        if ctx.lo is not None:
            keep = a >= ctx.lo
        if ctx.hi is not None:
            # (torch's clamp_backward: logical_and_ in place, keeping the first mask's layout)
            keep = (a <= ctx.hi) if keep is None else keep.logical_and_(a <= ctx.hi)
        return where(keep, grad, 0.0) if keep is not None else grad


def _clamp_scalar(a, lo, hi):
    """torch's kernel, min(max(a, lo), hi) with std::max's rule ``a < lo ? lo : a``: ``a`` is
    kept where it equals a bound (clamp(-0.0, min=0) is -0.0; np.maximum(a, 0) gives 0.0)
    and where it is NaN. A NaN bound makes every element NaN, as torch fills it. NumPy's
    maximum/minimum with the bound *first* follow that rule (``_maxps_rule``); float16, or
    a machine where they do not, takes selections."""
    if (lo is not None and lo != lo) or (hi is not None and hi != hi):
        return np.full(a.shape, np.nan, a.dtype)
    out = a
    if a.dtype in _MAXPS_DTYPES or a.dtype.kind != "f":  # integers have no ties to break
        if lo is not None:
            # against a zeros array NumPy's maximum runs 3x faster than against a scalar
            zeros = a.size >= _SELECT_MIN and lo == 0 and a.dtype.kind == "f" \
                and not np.signbit(lo)
            out = np.maximum(_zeros_for(a) if zeros else lo, out)
        if hi is not None:
            out = np.minimum(hi, out)
    else:
        if lo is not None:
            out = _put_where(np.less(out, lo), out, lo)
        if hi is not None:
            out = _put_where(np.greater(out, hi), out, hi)
    return out if out is not a else a.copy()


def _put_where(cond, a, value):
    """``value`` where ``cond``, else ``a`` (``select`` with ``cond`` inverted in place)."""
    cond = np.asarray(cond)  # a NumPy scalar for 0-d input, which out= cannot take
    return select(np.logical_not(cond, out=cond), a, value)


class ClampTensor(Primitive):
    """out = min(max(a, lo), hi) with tensor bounds; each bound gets grad where it binds.
    On a tie of -0.0 with 0.0 this returns the bound, as torch's SIMD loop does (its scalar
    loop, for the last n % 16 float32 elements, returns a; see ``_wide16``).

    ``dtype``: inputs of other dtypes are converted to it here, inside the node, as
    torch's kernel promotes (``promotion_of``: no cast node); the inputs themselves are
    saved, and the backward compares them with torch's promotion."""

    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, a, lo, hi, *, dtype=None):
        ctx.save_for_backward(a, lo, hi)
        if dtype is not None:
            a = promoted(a, dtype)
            lo = None if lo is None else promoted(lo, dtype)
            hi = None if hi is None else promoted(hi, dtype)
        out = a
        if lo is not None:
            out = _wide16(np.maximum, out, lo)
        if hi is not None:
            out = _wide16(np.minimum, out, hi)
        return laid_out_as_torch(out if out is not a else a.copy(), a, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        # torch's clamp_backward and clamp_backward_min_max: when lo > hi the result is hi,
        # so hi gets the gradient there and lo none
        a, lo, hi = ctx.saved_tensors
        needs = ctx.needs_input_grad
        inside = None
        if lo is not None:
            inside = a >= lo
        if hi is not None:
            inside = (a <= hi) if inside is None else inside & (a <= hi)
        both = lo is not None and hi is not None
        grad_lo = grad_hi = None
        # the bounds' first, as torch's node ("min, max" sorts before "self": see Mul's)
        if needs[1]:
            grad_lo = where((a < lo) & (lo < hi) if both else a < lo, grad, 0.0)
        if needs[2]:
            grad_hi = where((a > hi) | (hi < lo) if both else a > hi, grad, 0.0)
        grad_a = where(inside, grad, 0.0) if needs[0] else None
        return grad_a, grad_lo, grad_hi


class ClampMinScalar(ClampScalar):
    """clamp_min(a, number): clamp's formulas under the node name torch gives clamp_min."""

    node_name = "ClampMinBackward0"


class ClampMaxScalar(ClampScalar):
    """clamp_max(a, number)."""

    node_name = "ClampMaxBackward0"


class ClampMinTensor(Primitive):
    """clamp_min(a, tensor): out = max(a, lo) (the bound on a tie of -0.0 with 0.0, as
    ClampTensor);  grad_a = grad where a >= lo,  grad_lo = grad where a < lo (neither at a
    NaN). Two inputs, as torch's node (two next_functions); ``dtype`` as ClampTensor's."""

    node_name = "ClampMinBackward1"
    pick = staticmethod(np.maximum)
    keeps_a, takes_bound = staticmethod(operator.ge), staticmethod(operator.lt)

    @classmethod
    def forward(cls, ctx, a, bound, *, dtype=None):
        ctx.save_for_backward(a, bound)
        if dtype is not None:
            a, bound = promoted(a, dtype), promoted(bound, dtype)
        return laid_out_as_torch(_wide16(cls.pick, a, bound), a, bound)

    @classmethod
    def backward(cls, ctx, grad):
        a, bound = ctx.saved_tensors
        needs = ctx.needs_input_grad
        # the bound's first, as torch's node ("max"/"min" sorts before "self": see Mul's)
        grad_bound = where(cls.takes_bound(a, bound), grad, 0.0) if needs[1] else None
        return where(cls.keeps_a(a, bound), grad, 0.0) if needs[0] else None, grad_bound


class ClampMaxTensor(ClampMinTensor):
    """clamp_max(a, tensor): out = min(a, hi);  grad_a = grad where a <= hi,
    grad_hi = grad where a > hi (as ClampMinTensor)."""

    node_name = "ClampMaxBackward1"
    pick = staticmethod(np.minimum)
    keeps_a, takes_bound = staticmethod(operator.le), staticmethod(operator.gt)


def clamp(input, min=_NOT_GIVEN, max=_NOT_GIVEN, *, out=None):  # noqa: A002 - (None: _NOT_GIVEN)
    return _clamp_named("clamp", input, min, max, out)


def clip(input, min=_NOT_GIVEN, max=_NOT_GIVEN, *, out=None):  # noqa: A002 - (None: _NOT_GIVEN)
    return _clamp_named("clip", input, min, max, out)


def _clamp_named(name: str, input, min, max, out):  # noqa: A002
    """clamp or clip (the same op; errors and out= messages say the name called)."""
    given = (min, max)  # (for the parser's error, which lists a None passed)
    min, max = None if min is _NOT_GIVEN else min, None if max is _NOT_GIVEN else max
    try:
        result = _clamp(input, min, max, ClampScalar, ClampTensor, out)
    except TypeError:  # (torch's parser's error, where it refuses the arguments)
        _check_clamp_arguments(name, given, input, out)
        raise
    return result if out is None else _out(result, out, name, _clamp_out_dtype(min, max))


def clamp_min(input, min, *, out=None):  # noqa: A002
    try:
        result = _clamp(input, min, None, ClampMinScalar, ClampMinTensor, out)
    except (TypeError, RuntimeError):  # (a None bound: torch's parser refuses it)
        _check_clamp_arguments("clamp_min", (min,), input, out)
        raise
    return result if out is None else _out(result, out, "clamp_min",
                                           _clamp_out_dtype(min, None))


def clamp_max(input, max, *, out=None):  # noqa: A002
    try:
        result = _clamp(input, None, max, ClampMaxScalar, ClampMaxTensor, out)
    except (TypeError, RuntimeError):  # (a None bound: torch's parser refuses it)
        _check_clamp_arguments("clamp_max", (max,), input, out)
        raise
    return result if out is None else _out(result, out, "clamp_max",
                                           _clamp_out_dtype(None, max))


def _check_clamp_arguments(name: str, bounds: tuple, input, out) -> None:  # noqa: A002
    from torchlet._ops.pointwise.inplace_functions import check_clamp_arguments

    check_clamp_arguments(name, bounds, input, out)


def _clamp_out_dtype(min, max):  # noqa: A002
    """torch's number-bound clamp kernels take only an ``out`` of the result's dtype; the
    tensor-bound ones cast into it where ``can_cast`` allows (the default)."""
    tensor_bounds = all(isinstance(b, Tensor) for b in (min, max) if b is not None)
    return None if tensor_bounds else out_dtype_found


def _clamp(input, min, max, scalar_op, tensor_op, out=None):  # noqa: A002
    x = _check_tensor("clamp", input)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if min is not None and max is not None and isinstance(min, Tensor) != isinstance(max, Tensor):
        min, max = _bounds_of_one_overload(min, max)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        operands = [x] + [m for m in (min, max) if m is not None]
        common = _dtype.result_type_of(operands)
        if common.np.kind == "b" and min is not None and max is not None:
            raise NotImplementedError('"clamp_cpu" not implemented for \'Bool\'')
        # (both bounds Tensors, or one None: ``_bounds_of_one_overload``)
        params = promotion_of(common.np, (x, min, max))
        if tensor_op is ClampTensor:
            return tensor_op.apply(x, min, max, **params)
        return tensor_op.apply(x, min if max is None else max, **params)  # clamp_min/max
    common = _dtype.result_type_of([x] + [m for m in (min, max) if m is not None])
    check_out_first(out, common.np, out_dtype_found)  # (before the kernel's refusal)
    if common.np.kind == "b":
        kernel = "clamp" if min is not None and max is not None else \
            "clamp_min" if min is not None else "clamp_max"
        raise NotImplementedError(f'"{kernel}_scalar_cpu" not implemented for \'Bool\'')
    if common.np != x._data.dtype:
        x = _cast(x, common.np)
    # converted as torch does, refusing a bound the dtype cannot hold (int8 and 1000)
    lo = None if min is None else checked_scalar(min, common.np)[()]
    hi = None if max is None else checked_scalar(max, common.np)[()]
    return scalar_op.apply(x, lo=lo, hi=hi, given=(min, max))


def _bounds_of_one_overload(min, max):  # noqa: A002
    """torch's clamp takes both bounds as Tensors or both as Numbers. A Tensor next to a
    number passes as a Number when it is 0-d without grad (Python's argument parser
    accepts those as Numbers), so clamp(int16 x, tensor(0), 3) stays int16."""
    bound = min if isinstance(min, Tensor) else max
    if bound.ndim == 0 and not bound.requires_grad:
        return tuple(b.item() if isinstance(b, Tensor) else b for b in (min, max))
    raise TypeError(
        f"clamp() received an invalid combination of arguments - got (Tensor, "
        f"min={type_name(min)}, max={type_name(max)}), but expected one of:\n"
        " * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
        " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)"
    )


def select(cond: np.ndarray, a, b) -> np.ndarray:
    """``np.where(cond, a, b)``, computed with bit masks on large arrays.

    np.where branches per element: with an unpredictable condition (a ReLU's mask) it
    costs ~3.5 ns per element, 20x torch. Selecting the bits instead,
    ``(a & m) | (b & ~m)`` with ``m`` all ones where ``cond`` holds, is branch-free and
    gives exactly the same values (NaN payloads and signed zeros included).
    """
    if not (type(a) is np.ndarray and cond.size >= _SELECT_MIN and cond.shape == a.shape
            and cond.dtype == np.bool_ and a.dtype.kind == "f" and a.dtype.itemsize in _BITS
            and getattr(b, "dtype", a.dtype) == a.dtype):
        return np.where(cond, a, b)
    bits = _BITS[a.dtype.itemsize]
    b = np.asarray(b, a.dtype)
    mask = cond.astype(bits)
    np.negative(mask, out=mask)  # True -> all bits set, False -> 0
    result = np.empty(a.shape, a.dtype)  # owns its memory (the integer views do not)
    out = np.bitwise_and(a.view(bits), mask, out=result.view(bits))
    if b.ndim == 0 and b.view(bits) == 0:  # b is +0.0: nothing to add (a ReLU's grad)
        return result
    np.invert(mask, out=mask)
    np.bitwise_or(out, np.bitwise_and(np.broadcast_to(b, a.shape).view(bits), mask), out=out)
    return result


_SELECT_MIN = 4096  # below this np.where's smaller fixed cost wins
_BITS = {2: np.int16, 4: np.int32, 8: np.int64}


def _maxps_rule() -> bool:
    """Whether NumPy's maximum and minimum return their second operand where the two are
    equal (-0.0 against 0.0) or either is NaN, as x86's maxps/minps do. With the bound
    first that is the rule of torch's clamp and relu kernels, ``a < lo ? lo : a``: ``a`` is
    kept on a tie and when NaN. NumPy's float16 loop does not follow it, and other machines
    may not (ARM's fmax orders -0.0 below 0.0), so it is checked once, on the values that
    matter, with and without a SIMD tail; where it fails the kernels use selections."""
    values = np.array([-0.0, 0.0, np.nan, -np.nan, -np.inf, np.inf, 1.0, -1.0, 5e-324])
    for dtype in (np.float32, np.float64):
        for n in (7, 64):
            a = np.resize(values.astype(dtype), n)
            for bound in (dtype(0), dtype(-0.0), np.zeros_like(a), np.full_like(a, -0.0)):
                if (np.maximum(bound, a).tobytes() != np.where(a < bound, bound, a).tobytes()
                        or np.minimum(bound, a).tobytes()
                        != np.where(a > bound, bound, a).tobytes()):
                    return False
    return True


_MAXPS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64)) if _maxps_rule() else ()


def _zeros_for(a):
    """A read-only array of zeros shaped like ``a``: a view of one zeroed buffer per dtype,
    grown on demand. It is never written, so its pages all map the system's zero page."""
    flat = _ZEROS.get(a.dtype)
    if flat is None or flat.size < a.size:
        flat = np.zeros(max(a.size, 1 << 16), a.dtype)
        flat.flags.writeable = False
        _ZEROS[a.dtype] = flat
    return flat[:a.size].reshape(a.shape)


_ZEROS: dict = {}


class Where(Primitive):
    """out = a where cond else b;  grad_a = grad where cond,  grad_b = grad where not.
    ``saved``: the condition tensor of ``torch.where``, saved as torch saves it (so that
    changing it in place before backward raises torch's error)."""

    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, a, b, *, cond, saved=None, dtype=None):
        ctx.cond = cond
        if saved is not None:
            ctx.save_for_backward(saved)
        if dtype is not None:
            a, b = promoted(a, dtype), promoted(b, dtype)
        return laid_out_as_torch(select(cond, a, b), cond, a, b)  # (torch's: cond first)

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        cond = wrap(ctx.cond)
        needs = ctx.needs_input_grad
        zero = zeros_like_scalar(grad)
        grad_b = where(cond, zero, grad) if needs[1] else None  # (b's first: see Mul's)
        return where(cond, grad, zero) if needs[0] else None, grad_b


def where(condition, input=None, other=None, *, out=None):  # noqa: A002
    """``where(cond, a, b)`` picks elementwise; ``where(cond)`` is ``nonzero(as_tuple)``."""
    if input is None and other is None:
        from torchlet._ops.indexing import nonzero

        if not isinstance(condition, Tensor):
            raise TypeError("where(): argument 'condition' (position 1) must be Tensor, not "
                            f"{type_name(condition)}")
        return nonzero(condition, as_tuple=True)
    if out is not None:  # torch's where(..., out=) has only the all-Tensor overload
        named = (("condition", condition), ("input", input), ("other", other))
        for position, (name, x) in enumerate(named, 1):
            if not isinstance(x, Tensor):
                raise TypeError(f"where(): argument '{name}' (position {position}) must be "
                                f"Tensor, not {type_name(x)}")
    if not (isinstance(condition, Tensor) and is_operand(input) and is_operand(other)):
        # (an omitted ``other`` is not listed among the arguments given)
        given = (condition, input) if other is None else (condition, input, other)
        raise invalid_combination("where", given, _WHERE_OVERLOADS)
    cond = condition._data
    if cond.dtype == np.uint8:  # (still accepted by torch, read as cond != 0)
        _warn_once(_UINT8_WHERE_WARNING)
        cond = cond != 0
    elif cond.dtype.kind != "b":
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_TYPE_WORD[cond.dtype.name]}"
        )
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        common = _dtype.result_type_of((input, other))
        a = wrap(np.array(input, dtype=common.np))
        b = _number(other, common.np)
        dt = common.np
    else:
        a, b, dt = _uncast_operands(input, other)  # (Where converts them: no cast node)
        a = _where_number(input, dt) if type(input) in _NUMBER_TYPES else a
        b = _where_number(other, dt) if type(other) in _NUMBER_TYPES else b
    _check_broadcast(cond, a, b)
    result = Where.apply(a, b, cond=cond, saved=condition, **promotion(dt, a, b))
    return _out(result, out, "where", _where_out_dtype)


def zeroed(x: Tensor, mask: Tensor) -> Tensor:
    """``x.masked_fill(mask, 0)``, as torch's backward formulas write it (node
    MaskedFillBackward0 under create_graph). At first order the same values through
    ``where`` with the tensor first, whose bit selection is ~9x faster at 1e5 elements
    than np.where (masked_fill's, and ``where``'s with the tensor second)."""
    if not GRAD_STATE.enabled:
        out = where(~mask, x, 0.0)
        # laid out as x, as masked_fill's result (where's follows the mask's strides too)
        data, like = out._data, x._data
        if type(data) is np.ndarray and type(like) is np.ndarray and data.shape == like.shape \
                and data.strides != like.strides:
            laid = empty_in_layout(like, data.dtype, None)
            if laid.strides != data.strides:
                laid[...] = data
                out = wrap(laid)
        return out
    return x.masked_fill(mask, 0)


# where's signatures, as torch's argument errors list them
_WHERE_OVERLOADS = (
    "Tensor condition",
    "Tensor condition, Tensor input, Tensor other, *, Tensor out = None",
    "Tensor condition, Number self, Tensor other",
    "Tensor condition, Tensor input, Number other",
    "Tensor condition, Number self, Number other",
)

_UINT8_WHERE_WARNING = (
    "where received a uint8 condition tensor. This behavior is deprecated and will be removed "
    "in a future version of PyTorch. Use a boolean condition instead. (Triggered internally "
    "at /__w/pytorch/pytorch/aten/src/ATen/native/TensorCompare.cpp:621.)"
)


def _check_broadcast(cond: np.ndarray, a, b) -> None:
    """torch's error for operands that do not broadcast, sizes named in the order
    condition, input, other (NumPy would raise its own ValueError)."""
    shape_a = a._data.shape if isinstance(a, Tensor) else ()  # (a number otherwise)
    shape_b = b._data.shape if isinstance(b, Tensor) else ()
    if not cond.shape == shape_a == shape_b:
        broadcast_shapes(broadcast_shapes(cond.shape, shape_a), shape_b)


def _where_out_dtype(want, got, field) -> RuntimeError:
    return RuntimeError(f"Expected out type to be {_TYPE_WORD[want.name]} but got "
                        f"{_TYPE_WORD[got.name]}")


_NUMBER_TYPES = (bool, int, float)


def _where_number(value, np_dtype):
    """A number for where(): torch converts it with an overflow check (int8 and 1000,
    float32 and 1e300 raise), except to float16, which it reaches through float32 without
    one (1e10 and 1e300 become inf; measured with torch 2.13)."""
    if np_dtype == np.float16:
        with np.errstate(over="ignore"):
            return _number(value, np_dtype)
    return checked_scalar(value, np_dtype)[()]


def _lerp(a, b, w):
    """torch's lerp kernel: from the nearer end, ``a + w * (b - a)`` if |w| < 0.5, else
    ``b + (w - 1) * (b - a)``, each a fused multiply-add (one rounding) as torch's kernels
    compute it: the plain formula differs in the last bit for a quarter of the inputs, and
    at infinities (lerp(0, inf, 0.7) is NaN). float16 is computed in float32."""
    if a.dtype == np.float16:
        w = np.float32(w) if np.ndim(w) == 0 else np.asarray(w, np.float32)
        return _lerp(a.astype(np.float32), b.astype(np.float32), w).astype(np.float16)
    if np.ndim(w) == 0:
        a, b = np.broadcast_arrays(a, b)
        w = a.dtype.type(w)
        small = abs(w) < 0.5
        coeff, base = (w, a) if small else (w - a.dtype.type(1), b)
    else:
        a, b, w = np.broadcast_arrays(a, b, w)
        small = np.abs(w) < 0.5
        coeff, base = np.where(small, w, w - 1), np.where(small, a, b)
    return _fma(coeff, b - a, base)


class LerpScalar(Primitive):
    """out = lerp(a, b, w), w a number;  grad_a = grad * (1 - w),  grad_b = grad * w."""

    node_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, a, b, *, weight):
        ctx.weight = weight  # the Python number: torch takes 1 - w in double precision
        return laid_out_as_torch(_lerp(a, b, weight), a, b)

    @staticmethod
    def backward(ctx, grad):
        from torchlet._ops.pointwise.arithmetic import mul_scalar  # (arithmetic imports us)

        w = ctx.weight
        needs = ctx.needs_input_grad
        # (C++ doubles: MulBackward1 under create_graph; "end" before "self": see Mul's)
        grad_b = mul_scalar(grad, w) if needs[1] else None
        return mul_scalar(grad, 1 - w) if needs[0] else None, grad_b


class LerpTensor(Primitive):
    """out = lerp(a, b, w);  grad_a = grad * (1 - w),  grad_b = grad * w,
    grad_w = grad * (b - a)."""

    node_name = "LerpBackward1"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        return laid_out_as_torch(_lerp(a, b, w), a, b, w)

    @staticmethod
    def backward(ctx, grad):
        from torchlet._ops.pointwise.arithmetic import scalar_minus  # (as LerpScalar's)

        a, b, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        # (torch's ``1 - weight``: C++'s operator-(Scalar, Tensor), node SubBackward0;
        # in torch's order: "end", "self", "weight", see Mul's)
        grad_b = grad * w if needs[1] else None
        grad_a = grad * scalar_minus(1, w) if needs[0] else None
        return grad_a, grad_b, grad * (b - a) if needs[2] else None


def lerp(input, end, weight, *, out=None):  # noqa: A002
    x, y = _check_tensor("lerp", input), _check_tensor("lerp", end)
    check_parsed_int(weight)
    # torch promotes nothing here; a 0-d weight without grad passes as a number
    for name, other in (("end", y), ("weight", weight)):
        if isinstance(other, Tensor) and other._data.dtype != x._data.dtype and (
            name == "end" or other.ndim or other.requires_grad
        ):
            raise RuntimeError(
                f"expected dtype {c_type_name(x._data.dtype)} for `{name}` but got dtype "
                f"{c_type_name(other._data.dtype)}"
            )
    a, b, dt = _operands(x, y)
    if dt.kind != "f":
        check_out_first(out, dt)
        raise NotImplementedError(
            f'"lerp_kernel_scalar" not implemented for \'{_TYPE_WORD[dt.name]}\''
        )
    if isinstance(weight, Tensor):
        return _out(LerpTensor.apply(a, b, _cast(weight, dt)), out, "lerp")
    if not isinstance(weight, (bool, int, float)):  # a NumPy scalar, as torch's parser
        weight = int(weight) if isinstance(weight, np.integer) else float(weight)  # reads it
    return _out(LerpScalar.apply(a, b, weight=weight), out, "lerp")


def _nan_to_num_out_dtype(want, got, field) -> RuntimeError:
    return RuntimeError(f"nan_to_num: dtype of out: {_TYPE_WORD[got.name]} should be same "
                        f"as input: {_TYPE_WORD[want.name]}")


class NanToNum(Primitive):
    """out = a with nan/inf replaced;  grad_a = grad where a is finite, else 0 (torch's
    node keeps ``a``, ``_saved_self``, and tests it in backward)."""

    node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, a, *, nan, posinf, neginf, into_out=False):
        ctx.save_for_backward(a)
        if not a.size and not into_out:  # torch's result is empty_like(a): an empty a's
            return empty_in_layout(a, a.dtype, None)  # strides, any (out=: its iterator's)
        return laid_out_as_torch(np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf), a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * wrap(np.isfinite(a._data))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):  # noqa: A002
    x = _check_tensor("nan_to_num", input)
    check_out_first(out, x._data.dtype, _nan_to_num_out_dtype)
    if x._data.dtype.kind != "f":  # (torch: a clone; out=: resize_output and a copy)
        copied = x.clone() if out is None else x.clone(memory_format=_dtype.contiguous_format)
        return _out(copied, out, "nan_to_num")
    return _out(NanToNum.apply(x, nan=nan, posinf=posinf, neginf=neginf,
                               into_out=out is not None), out, "nan_to_num")


