"""Operands of elementwise operations: torch's dtype rules, dtype conversion (``to``),
the ``out=`` argument, and small helpers shared by backward rules and in-place methods.

Both operands are brought to ``torch.result_type`` before NumPy sees them, so NumPy's own
promotion never decides a result dtype.
"""

from __future__ import annotations

import numbers
import re
import warnings

import numpy as np

from torchlet import _dtype
from torchlet._device import device as _device_type
from torchlet._device import is_meta_array, is_meta_device, meta_array, on_meta
from torchlet._dtype import C_TYPE_NAMES, type_name
from torchlet._numpy_names import user_stacklevel
from torchlet._ops.shape.common import empty_in_layout
from torchlet._tensor import Tensor, bump_version, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE
from torchlet.return_types import _structseq

# ---------------------------------------------------------------------------------------
# operands and dtypes


def _operands(a, b):
    """``a`` and ``b`` in torch's common dtype: Tensors stay Tensors (cast if needed) and
    Python numbers become NumPy scalars of that dtype. Returns (a, b, numpy dtype).

    As torch's argument parser, anything else raises TypeError, a NumPy array included
    (a NumPy scalar is a number): the operators then answer NotImplemented, and NumPy
    computes ``t + array`` itself (float32 with a float64 array gives float64), wrapped
    back by ``Tensor.__array_wrap__``."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            da, db = a._data.dtype, b._data.dtype
            if da == db:
                return a, b, da
            common = _dtype.result_type_of((a, b)).np
            return _cast(a, common), _cast(b, common), common
        common = _with_number(a, b)
        return _cast(a, common), _number(b, common), common
    if isinstance(b, Tensor):
        common = _with_number(b, a)
        return _number(a, common), _cast(b, common), common
    raise TypeError(f"expected a Tensor, got {type_name(a)} and {type_name(b)}")


def _uncast_operands(a, b):
    """``_operands`` for a primitive that takes ``dtype=`` (``promotion``) and converts its
    arrays in its own forward: Tensors keep their dtypes, Python numbers become NumPy
    scalars of the common dtype. torch's kernels promote inside the operation, so autograd
    records the operation alone, with each input's edge going straight to that input (no
    ToCopyBackward0 in between); the engine casts each gradient to its input's dtype.
    Returns (a, b, numpy dtype)."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            da = a._data.dtype
            if da == b._data.dtype:
                return a, b, da
            return a, b, _dtype.result_type_of((a, b)).np
        common = _with_number(a, b)
        return a, _number(b, common), common
    if isinstance(b, Tensor):
        common = _with_number(b, a)
        return _number(a, common), b, common
    raise TypeError(f"expected a Tensor, got {type_name(a)} and {type_name(b)}")


def promotion(np_dtype, a, b) -> dict:
    """The parameters that make a promoting primitive compute in ``np_dtype``:
    ``{"dtype": np_dtype}`` when Tensor operand ``a`` or ``b`` has another dtype, else
    none (the same-dtype path stays as it was). (NumPy's dtypes are singletons: ``is``.)"""
    if (a._data.dtype is np_dtype if isinstance(a, Tensor) else True) and \
            (b._data.dtype is np_dtype if isinstance(b, Tensor) else True):
        return _NO_PARAMETERS
    return {"dtype": np_dtype}


_NO_PARAMETERS: dict = {}  # (never changed: ``**`` copies it)


def promotion_of(np_dtype, tensors) -> dict:
    """``promotion`` for the Tensors (or None, an absent operand) of a primitive with more
    than two, addcmul's or clamp's."""
    for t in tensors:
        if t is not None and t._data.dtype is not np_dtype:
            return {"dtype": np_dtype}
    return _NO_PARAMETERS


def promoted(a, np_dtype):
    """Array (or NumPy scalar) ``a`` in ``np_dtype``, converted as ``ToCopy`` converts:
    what a promoting primitive's forward does to its inputs of other dtypes (a number's
    scalar is already of ``np_dtype``: ``_uncast_operands``)."""
    return a if a.dtype == np_dtype else converted(a, np_dtype)


def _operands_as_float(a, b):
    """``_operands``, except that integer and bool operands are converted straight to the
    default float dtype, from their own dtypes, as torch's integer-to-float ops do: with a
    common integer dtype first, copysign(uint8 x, -2) would see -2 wrapped to 254."""
    a_common, b_common, dt = _operands(a, b)
    if dt.kind in "fc":
        return a_common, b_common, dt
    f = _dtype.get_default_dtype()

    def as_float(x):
        return _cast(x, f.np) if isinstance(x, Tensor) else _number(x, f.np)

    return as_float(a), as_float(b), f.np


def _with_number(t: Tensor, number):
    """Result dtype of a tensor with a Python number (numbers are weak)."""
    kind = t._data.dtype.kind
    number_type = type(number)
    if number_type is float:
        return t._data.dtype if kind == "f" else _dtype.get_default_dtype().np
    if number_type is int:
        if not -2 ** 63 <= number < 2 ** 63:
            _check_wide_int(number, kind)
        return t._data.dtype if kind != "b" else np.dtype(np.int64)
    if number_type is bool:
        return t._data.dtype
    return _dtype.result_type_of((t, number)).np


def check_parsed_int(x) -> None:
    """torch's argument parser reads a Python int past int64 as a uint64 Scalar, and
    refuses one past that, whatever the operation."""
    if type(x) is int and not -2 ** 63 <= x < 2 ** 64:
        raise OverflowError("int too big to convert" if x > 0 else
                            "can't convert negative int to unsigned")


def _check_wide_int(number: int, kind: str) -> None:
    """``number`` (past int64) with a tensor of kind ``kind``: refused by the parser past
    uint64; a uint64 Scalar wraps into an integer tensor's dtype and converts to a float
    one, but does not promote with bool."""
    check_parsed_int(number)
    if kind == "b":
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                           "attempted to promote Bool and UInt64")


def _cast(t: Tensor, np_dtype) -> Tensor:
    """``t.to(dtype)``, without parsing ``to``'s arguments (promotion runs it often)."""
    if t._data.dtype == np_dtype:
        return t
    return ToCopy.apply(t, np_dtype=np.dtype(np_dtype))


def _number(value, np_dtype):
    """A Python number as a NumPy scalar of ``np_dtype`` (wrapping like a C cast; float16
    as c10 makes a Half, from the number first rounded to float32)."""
    if np_dtype == np.float16 and type(value) is float:
        with np.errstate(over="ignore"):
            return np.float32(value).astype(np.float16)
    try:
        return np_dtype.type(value)
    except (OverflowError, ValueError):
        return np.array(value).astype(np_dtype)[()]


def astype_like_c10(a: np.ndarray, np_dtype) -> np.ndarray:
    """``a.astype(np_dtype)`` as torch converts: float64 reaches float16 through float32
    (c10's Half is built from a float), so 1 + 2**-11 + 2**-40 becomes 1.0, where NumPy's
    direct rounding gives 1.0009765625. Other conversions round once in both."""
    if np_dtype == np.float16 and a.dtype == np.float64:
        with np.errstate(over="ignore"):
            return a.astype(np.float32).astype(np.float16)
    return a.astype(np_dtype)


def _float_operand(t: Tensor) -> Tensor:
    """Integer inputs of float functions (exp, sin, ...) are promoted to the default dtype."""
    if t._data.dtype.kind == "f":
        return t
    return to(t, _dtype.get_default_dtype())


def _check_tensor(name: str, x) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type_name(x)}"
        )
    return x


_PARSER_NUMBERS = (bool, int, float, complex, np.number, np.bool_)
_OPERANDS = (Tensor, *_PARSER_NUMBERS)


def is_operand(x) -> bool:
    """Whether torch's parser takes ``x`` for a Tensor-or-Number parameter."""
    return isinstance(x, _OPERANDS)


def numbers_as_tensor(input, other):  # noqa: A002
    """``input`` as the 0-d tensor torch's parser makes of a number given for a Tensor
    parameter, when both operands of add/sub/mul/div/floor_divide are numbers
    (``torch.add(5, 5)`` is ``tensor(10)``): bool, int64 or the default float dtype, as
    ``torch.tensor`` of it. None when the two are not both such numbers."""
    if not (isinstance(input, _PLAIN_NUMBERS) and isinstance(other, _PLAIN_NUMBERS)):
        return None
    value = input.item() if isinstance(input, np.generic) else input
    if type(value) is bool:
        return wrap(np.array(value))
    if type(value) is int:
        if not -2 ** 63 <= value < 2 ** 63:
            return None  # out of int64's range: the operands' own error
        return wrap(np.array(value, dtype=np.int64))
    return wrap(np.array(value, dtype=_dtype.get_default_dtype().np))


_PLAIN_NUMBERS = (bool, int, float, np.integer, np.floating)


def operand_error(name: str, input, other, error: TypeError,  # noqa: A002
                  overloads: tuple = (), kwargs: dict | None = None) -> TypeError:
    """The error for ``name(input, other)`` that ``_operands`` refused with ``error``.

    Operands that torch's parser refuses get its argument error: the list of
    ``overloads`` when none of them takes the two, else (an operation with one signature,
    whose Tensor parameters take numbers too) the first operand that is neither a Tensor
    nor a number. Any other refusal keeps ``error``."""
    if overloads:
        if any(_fits(signature, (input, other)) for signature in overloads):
            return error
        return invalid_combination(name, (input, other), overloads, kwargs)
    if is_operand(input) and is_operand(other):
        return error
    arg, position, x = ("input", 1, input) if not is_operand(input) else ("other", 2, other)
    return TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
                     f"{type_name(x)}")


# torch's signatures of binary operations, as its argument errors list them
TENSOR_OR_NUMBER = ("Tensor input, Tensor other, *, Tensor out = None",
                    "Tensor input, Number other, *, Tensor out = None")
EITHER_A_NUMBER = ("Tensor input, Tensor other, *, Tensor out = None",
                   "Number self, Tensor other",
                   "Tensor input, Number other, *, Tensor out = None")
EITHER_A_NUMBER_OUT = ("Tensor input, Tensor other, *, Tensor out = None",
                       "Number self, Tensor other, *, Tensor out = None",
                       "Tensor input, Number other, *, Tensor out = None")


def _fits(signature: str, args: tuple) -> bool:
    """Whether the positional ``args`` fit a signature of Tensor and Number parameters
    (those past the arguments having defaults)."""
    positional = signature.split(", *")[0].split(", ")
    if len(positional) < len(args) or any(" = " not in p for p in positional[len(args):]):
        return False
    return all(isinstance(x, Tensor) if p.startswith("Tensor ") else
               p.startswith("Number ") and isinstance(x, _PARSER_NUMBERS)
               for p, x in zip(positional, args))


def _described(x) -> str:
    """An argument as torch's "didn't match" line shows it: ``list of [int, float]``,
    ``tuple of (int,)``, ``torch.Size of (int, int)``, else its type name."""
    if isinstance(x, list):
        return f"{type_name(x)} of [{', '.join(map(type_name, x))}]"
    if isinstance(x, tuple):
        comma = "," if len(x) == 1 else ""
        return f"{type_name(x)} of ({', '.join(map(type_name, x))}{comma})"
    return type_name(x)


# the other type names torch's invalid-arguments matcher (invalid_arguments.cpp) takes for
# a parameter type: ``float`` is {float, int, long}; a bool or a NumPy number fits none
_ALSO_FITS = {"float": ("int",)}


def invalid_combination(name: str, args: tuple, overloads: tuple,
                        kwargs: dict | None = None) -> TypeError:
    """torch's error when none of ``name``'s ``overloads`` (its signatures as it prints
    them) takes the positional ``args`` and the keyword arguments ``kwargs`` (listed
    after them, last given first, as torch lists them).

    Under each overload with exactly as many parameters as there are arguments, torch adds
    a line that marks ``!type!`` every argument whose description (its type name; a list
    or tuple with its elements' types) is not the parameter's declaration less its last
    word: a plain name comparison, so a number never matches ``Number`` there, nor
    anything a parameter with a default (``Tensor bias = None``), except that a ``float``
    parameter also takes an ``int`` (``_ALSO_FITS``)."""
    given = [type_name(a) for a in args]
    given += [f"{k}={type_name(v)}" for k, v in reversed((kwargs or {}).items())]
    got = ", ".join(given)
    lines = []
    for signature in overloads:
        lines.append(f" * ({signature})\n")
        params = [p for p in signature.split(", ") if p != "*"]
        if not kwargs and len(params) == len(args):
            kinds = [p.rsplit(" ", 1)[0] for p in params]
            marked = ", ".join(n if n == kind or n in _ALSO_FITS.get(kind, ()) else
                               f"!{n}!" for n, kind in
                               zip(map(_described, args), kinds, strict=True))
            lines.append("      didn't match because some of the arguments have invalid "
                         f"types: ({marked})\n")
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n{''.join(lines)}")


_ARGUMENT_ERROR = re.compile(r"(\w+)\(\): argument '(\w+)' \(position (\d+)\)")
_INVALID_COMBINATION = re.compile(r"(\w+)\(\) received an invalid combination of arguments")
_SIGNATURE_LINE = re.compile(r"^ \* \((.*)\)$", re.MULTILINE)


def method_error(error: TypeError, name: str, method: str, args: tuple,
                 kwargs: dict | None = None) -> TypeError:
    """The argument TypeError of the function ``name(self, *args, **kwargs)`` as torch's
    parser words it for the Tensor method ``method`` (``pow``, ``pow_``): named after
    the method, counting the arguments without self (``argument 'other' (position 1)``),
    and an invalid combination lists the method's signatures (the function's that take
    a Tensor first, without it and without ``out``) and arguments. Any other error is
    kept. (The error path only: the methods' calls pay nothing for it.)"""
    message = str(error)
    match = _ARGUMENT_ERROR.match(message)
    if match is not None and match[1] == name and int(match[3]) >= 2:
        return TypeError(f"{method}(): argument '{match[2]}' (position {int(match[3]) - 1})"
                         + message[match.end():])
    match = _INVALID_COMBINATION.match(message)
    if match is not None and match[1] == name:
        overloads = tuple(_method_signature(s) for s in _SIGNATURE_LINE.findall(message)
                          if s.startswith(("Tensor input, ", "Tensor self, ")))
        return invalid_combination(method, args, overloads, kwargs)
    return error


def _method_signature(signature: str) -> str:
    """A function's signature as its Tensor method's: ``Tensor input, Tensor other, *,
    Tensor out = None`` is ``Tensor other``."""
    params = [p for p in signature.split(", ")[1:] if p != "Tensor out = None"]
    return ", ".join(params[:-1] if params[-1:] == ["*"] else params)


def _out(result: Tensor, out, name: str, dtype_error=None, *, grad_check="inputs",
         warn_resize=True):
    """Support torch's ``out=`` argument of the function ``name``: write into ``out``
    (resized like torch). As torch, refuse when autograd would have to follow the write:
    an input requires grad (so the result does), or ``out`` itself does.

    ``dtype_error(result_dtype, out_dtype, field)`` gives the exception torch raises when
    ``out`` has another dtype than the result, or None where torch casts. Without it, the
    rule of torch's TensorIterator: cast where ``can_cast`` allows (``out_dtype_castable``).

    ``grad_check``: "inputs" (the refusal above), "out" (torch does not differentiate the
    function: only an ``out`` requiring grad is refused, naming ``aten::<name>``),
    "in-place" (torch computes without out, then copies into it in place: a leaf ``out``
    requiring grad is refused as in-place ops refuse it, and a result requiring grad
    makes ``out`` a CopyBackwards node) or "none".
    ``warn_resize=False`` for the functions that resize ``out`` without torch's warning."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type_name(out)}")
    _check_grad(grad_check, (result,), (out,), name)
    _write_into(out, result, dtype_error or out_dtype_castable, "out", warn_resize)
    if grad_check == "in-place" and GRAD_STATE.enabled and result.requires_grad:
        out.copy_(result)  # torch copies in place, and autograd records it: CopyBackwards
    return out


def _out_tuple(results: tuple, out, name: str, dtype_error=None, *, grad_check="inputs",
               warn_resize=True):
    """``out=`` for a function returning several tensors (``torch.return_types.max`` and
    the like): ``out`` is a tuple with one tensor per result; each is written as by
    ``_out`` (``dtype_error`` gets the field name; without it, any dtype is cast into, as
    torch.lu's Python ``out=``), and the answer is that tuple, as torch's
    ``return_types.<name>_out`` when ``results`` is a named tuple."""
    if out is None:
        return results
    if isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not Tensor")
    out = tuple(out)
    if len(out) != len(results):
        raise TypeError(f"expected tuple of {len(results)} elements but got {len(out)}")
    for t in out:
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not "
                            f"{type_name(t)}")
    _check_grad(grad_check, results, out, name)
    fields = getattr(results, "_fields", None) or tuple(f"out{i}" for i in range(len(out)))
    for target, result, field in zip(out, results, fields, strict=True):
        _write_into(target, result, dtype_error, field, warn_resize)
    result_type = type(results)
    if result_type is tuple:
        return out
    return _out_type(result_type)(out)


def check_out_first(out, result_dtype, dtype_error=None) -> None:
    """torch checks ``out``'s dtype while it sets an operation up, before the kernel
    refuses a dtype: an ``out`` that ``dtype_error`` (default: the castable rule) refuses
    gets that error even where the kernel has no version for ``result_dtype``
    (``bitwise_and(float, float, out=long)`` is "result type Float can't be cast ...")."""
    if isinstance(out, Tensor) and out._data.dtype != result_dtype:
        error = (dtype_error or out_dtype_castable)(np.dtype(result_dtype), out._data.dtype,
                                                    "out")
        if error is not None:
            raise error


def bool_out_only(name: str):
    """``dtype_error`` of the predicates whose ``out`` must be bool (signbit, isposinf)."""
    def error(want, got, field):
        return RuntimeError(f"{name} does not support non-boolean outputs.")
    return error


def _check_grad(grad_check: str, results, outs, name: str) -> None:
    if grad_check == "inputs":
        refuse_autograd(results, outs, name)
    elif grad_check == "out":
        refuse_autograd((), outs, f"aten::{name}")
    elif grad_check == "in-place" and GRAD_STATE.enabled and any(
            o.requires_grad and o.grad_fn is None for o in outs):
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation.")


def refuse_autograd(results, outs, name: str) -> None:
    """torch's refusal of out= where autograd would have to follow the write."""
    if any(r.requires_grad for r in results) or (
            GRAD_STATE.enabled and any(o.requires_grad for o in outs)):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )


def _write_into(out: Tensor, result: Tensor, dtype_error, field: str,
                warn_resize: bool = True) -> None:
    if dtype_error is not None and out._data.dtype != result._data.dtype:
        error = dtype_error(result._data.dtype, out._data.dtype, field)
        if error is not None:
            raise error
    copy_into_out(out, result, warn_resize)


def copy_into_out(out: Tensor, result: Tensor, warn_resize: bool = True) -> None:
    """Write ``result`` into ``out`` on the same device, resizing ``out`` as torch does
    (with its deprecation warning when ``out`` had elements). A meta ``out`` stays meta:
    it gets the result's shape and no values. A resized ``out`` is laid out as the result
    (torch's ops resize it to the strides they would give a new result: ``exp(x.t(),
    out=empty(0))`` is transposed as ``exp(x.t())``)."""
    out_meta = on_meta(out._data)
    if out_meta != on_meta(result._data):
        where, to = ("meta", "cpu") if not out_meta else ("cpu", "meta")
        raise RuntimeError(f"Attempting to copy from device {where} to device {to}, but "
                           "cross-device copies are not allowed!")
    shape = result._data.shape
    if out._data.shape != shape:
        if out._data.size and warn_resize:
            warnings.warn(
                "An output with one or more elements was resized since it had shape "
                f"{list(out._data.shape)}, which does not match the required output shape "
                f"{list(shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You "
                "can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                "elements with t.resize_(0).",
                UserWarning, stacklevel=user_stacklevel(),
            )
        dtype = out._data.dtype
        if out_meta:
            out._data = meta_array(shape, dtype)
        else:
            fresh = empty_in_layout(result._data, dtype, None)
            out._data = fresh if out._base is None else _in_view_storage(out, fresh)
    if not out_meta:
        np.copyto(out._data, result._data, casting="unsafe")
    bump_version(out)


def _in_view_storage(out: Tensor, fresh: np.ndarray) -> np.ndarray:
    """The array of an ``out`` that is a view, resized to ``fresh``'s shape and strides
    as torch resizes it (``resize_output``, then ``as_strided_``): in its base's storage at
    its own storage offset, so the base sees the values written. Where that storage is too
    small torch grows it; here the view gets a larger copy of it (its base keeps the old
    one, as in ``resize_``), the offset kept."""
    from torchlet._ops.shape.strided import _flat_storage, _offset_in  # (strided imports us)

    try:
        flat = _flat_storage(out)
    except RuntimeError:  # (a base not dense in memory: no flat storage to address)
        flat = None
    if flat is None or flat.dtype != fresh.dtype:
        out._base = None
        return fresh
    offset = _offset_in(out, flat)
    end = offset + (1 + sum((n - 1) * s // fresh.itemsize
                            for n, s in zip(fresh.shape, fresh.strides)) if fresh.size else 0)
    if end > flat.size:
        grown = np.zeros(end, flat.dtype)
        grown[:flat.size] = flat
        flat, out._base = grown, None
    return np.lib.stride_tricks.as_strided(flat[offset:], fresh.shape, fresh.strides)


_OUT_TYPES: dict = {}


def _out_type(result_type) -> type:
    """torch returns ``return_types.max_out`` (same fields as ``max``) when given out=."""
    if result_type not in _OUT_TYPES:
        _OUT_TYPES[result_type] = _structseq(f"{result_type.__name__}_out",
                                             result_type._fields)
    return _OUT_TYPES[result_type]


# The dtype names torch's messages about out= use: C++ type names and ScalarType names.
_C_TYPE_NAMES = C_TYPE_NAMES


def out_dtype_must_match(want, got, field) -> RuntimeError:
    """``dtype_error`` of the functions that take only an ``out`` of the result's dtype."""
    return RuntimeError(f"Expected out tensor to have dtype {c_type_name(want)}, "
                        f"but got {c_type_name(got)} instead")


def out_dtype_castable(want, got, field):
    """``dtype_error`` of the functions that cast into ``out`` where torch's ``can_cast``
    allows it (no float into an integer, nothing but bool into bool)."""
    if can_cast(want, got):
        return None
    return RuntimeError(f"result type {scalar_type_name(want)} can't be cast to the desired "
                        f"output type {scalar_type_name(got)}")


def out_castable_from(prefix: str, field: str = "result"):
    """``dtype_error`` of the linalg functions that cast into ``out`` where ``can_cast``
    allows it, with their own message."""
    def error(want, got, _field):
        if can_cast(want, got):
            return None
        return RuntimeError(f"{prefix}: Expected {field} to be safely castable from "
                            f"{scalar_type_name(want)} dtype, but got {field} with dtype "
                            f"{scalar_type_name(got)}")
    return error


def out_dtype_found(want, got, field) -> RuntimeError:
    """``dtype_error`` of the kernels that take only an ``out`` of the result's dtype
    (abs, neg, floor, clamp with number bounds): torch's TensorIterator check_all_same_dtype."""
    return RuntimeError(f"Found dtype {scalar_type_name(got)} but expected "
                        f"{scalar_type_name(want)}")


def scalar_type_mismatch(want, got, field) -> RuntimeError:
    """``dtype_error`` of cummax, cummin, logcumsumexp, ...: torch's TORCH_CHECK message."""
    return RuntimeError(f"expected scalar_type {scalar_type_name(want)} but found "
                        f"{scalar_type_name(got)}")


def scalar_type_name(np_dtype) -> str:
    """torch's ScalarType name of a NumPy dtype: ``Float``, ``Long``."""
    return _dtype.TYPE_WORDS[np.dtype(np_dtype).name]


def c_type_name(np_dtype) -> str:
    """torch's C++ type name of a NumPy dtype: ``float``, ``long int``."""
    return _C_TYPE_NAMES[np.dtype(np_dtype).name]


def can_cast(source, target) -> bool:
    """torch's ``can_cast``: no float into an integer, nothing but bool into bool."""
    if source.kind == "f" and target.kind in "iub":
        return False
    return not (target.kind == "b" and source.kind != "b")


_TYPE_WORD = _dtype.TYPE_WORDS


# ---------------------------------------------------------------------------------------
# dtype conversion


class ToCopy(Primitive):
    """out = a copy of input in another dtype, memory format or on the meta device;
    grad_input = grad cast back to the input's dtype (torch's _to_copy_backward: the
    engine would cast it the same way, but the node called directly returns it cast too).
    ``memory_format`` None keeps the input's layout (torch's preserve_format:
    ``empty_in_layout``). A copy onto the meta device keeps the shape and the dtype only;
    its gradient cannot go back to the CPU."""

    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a, *, np_dtype, memory_format=None, meta=False):
        if meta:
            ctx.from_cpu = not is_meta_array(a)
            return meta_array(a.shape, np_dtype)
        return converted(a, np_dtype, memory_format)

    @staticmethod
    def backward(ctx, grad):
        if ctx.__dict__.get("from_cpu", False):  # (set only for a copy onto meta)
            raise NotImplementedError(_NO_META_DATA)
        meta = ctx._input_meta[0]  # (shape, NumPy dtype) of the input
        if meta is None or grad._data.dtype is meta[1]:
            return grad
        return grad.to(_dtype.from_numpy_dtype(meta[1]))


def converted(a, np_dtype, memory_format=None):
    """Array ``a`` as a new array of ``np_dtype``, in ``memory_format`` (None: ``a``'s
    layout, torch's preserve_format), its values converted as c10 converts them."""
    shape = a.shape
    if memory_format is None and a.flags.c_contiguous and 1 not in shape \
            and 0 not in shape:  # (else a size-1 or size-0 dim's stride may differ)
        return astype_like_c10(a, np_dtype)
    # (NumPy's astype keeps a dense array's strides, as torch; an expanded one it lays
    # out its own way, where torch orders the dims by their strides, zeros undecided)
    out = empty_in_layout(a, np_dtype, memory_format)
    out[...] = astype_like_c10(a, np_dtype)
    return out


def to(t: Tensor, *args, **kwargs) -> Tensor:
    """``t.to(dtype)``, ``t.to('cpu')``, ``t.to(other)``, ``t.to(device, dtype)``; copy=,
    memory_format=. As torch, ``t`` itself when nothing changes: same dtype, no copy, and
    ``t`` already laid out as ``memory_format`` asks (preserve_format, the default, keeps
    any layout)."""
    device, dtype, copy, memory_format = _to_arguments(args, kwargs)
    moves = False
    if device is not None:  # (the CPU or meta; nothing leaves meta: it has no values)
        meta, to_meta = is_meta_array(t._data), _check_to_device(device)
        if meta and not to_meta:
            raise NotImplementedError(_NO_META_DATA)
        moves = to_meta and not meta
    np_dtype = t._data.dtype if dtype is None else _dtype.to_dtype(dtype).np
    if memory_format is _dtype.preserve_format:
        memory_format = None
    if np_dtype == t._data.dtype and not copy and not moves and (
            memory_format is None or _suggested_format(t._data) is memory_format):
        return t
    return ToCopy.apply(t, np_dtype=np_dtype, memory_format=memory_format,
                        meta=moves or is_meta_array(t._data))


_NO_META_DATA = "Cannot copy out of meta tensor; no data!"


# torch's three signatures of Tensor.to, told apart by the first argument; memory_format=
# is keyword-only in all three
_TO_DEVICE = ("device", "dtype", "non_blocking", "copy")
_TO_DTYPE = ("dtype", "non_blocking", "copy")
_TO_TENSOR = ("tensor", "non_blocking", "copy")


def _to_arguments(args, kwargs):
    """``to``'s arguments as torch's parser reads them: (device=None, dtype=None,
    non_blocking=False, copy=False), (dtype, non_blocking=False, copy=False) or
    (tensor, non_blocking=False, copy=False). An int (NumPy's too) is a device index; a
    float, a NumPy float or bool, or a bool is taken as a tensor (the parser wraps
    numbers: ``t.to(0.5)`` is ``t.to(torch.tensor(0.5, dtype=float64))``).
    Returns (device, dtype, copy, memory_format)."""
    if not kwargs and len(args) == 1 and type(args[0]) is _dtype.dtype:  # t.to(dtype)
        return None, args[0], False, None
    if len(args) > 4:
        raise TypeError(f"to() takes from 0 to 4 positional arguments but {len(args)} were "
                        "given")
    first = args[0] if args else None
    if "tensor" in kwargs or _is_tensor_arg(first):
        names = _TO_TENSOR
    elif first is not None and _is_dtype_arg(first):
        names = _TO_DTYPE
    else:
        names = _TO_DEVICE
    given = dict(zip(names, args))
    if len(args) > len(names) or any(
            k in given or (k not in names and k != "memory_format") for k in kwargs):
        raise _to_arguments_error(args, kwargs)
    given.update(kwargs)
    device, dtype = given.get("device"), given.get("dtype")
    if "tensor" in given:  # (a tensor's device too: ``t.to(meta_tensor)`` moves t)
        dtype = _tensor_arg_dtype(given["tensor"])
        if isinstance(given["tensor"], Tensor):
            device = given["tensor"].device
    memory_format = given.get("memory_format")
    if not (_is_device_arg(device) and _is_dtype_arg(dtype)
            and type(given.get("non_blocking", False)) is bool
            and type(given.get("copy", False)) is bool
            and (memory_format is None or type(memory_format) is _dtype.memory_format)):
        raise _to_arguments_error(args, kwargs)
    return device, dtype, given.get("copy", False), memory_format


def _is_tensor_arg(x) -> bool:
    """A Tensor, or a number torch's parser wraps into one (an int is a device index)."""
    return isinstance(x, (Tensor, float, np.floating, np.bool_)) or type(x) is bool


def _tensor_arg_dtype(x):
    """The dtype ``t.to(x)`` takes from a tensor argument: a wrapped bool is bool, any
    other wrapped number a double (NumPy's bool included, as torch's parser reads it)."""
    if isinstance(x, Tensor):
        return x.dtype
    if not _is_tensor_arg(x):
        return _REFUSED
    return _dtype.bool if type(x) is bool else _dtype.float64


_REFUSED = object()  # an argument of the wrong type, for the check that follows


def _is_device_arg(x) -> bool:
    return x is None or (isinstance(x, (str, _device_type, int, np.integer))
                         and type(x) is not bool)


def _check_to_device(where) -> bool:
    """Whether ``where`` is the meta device (else it is the CPU); torch's error for a
    device torchlet has not: an int is an accelerator index (there is none), anything
    else is checked as ``torch.device``."""
    if isinstance(where, (int, np.integer)):
        if where < 0:
            raise RuntimeError("Device index must not be negative")
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return is_meta_device(where)


def _suggested_format(a: np.ndarray):
    """torch's ``suggest_memory_format()``, which ``to`` compares with the format asked
    for: channels_last(_3d) where the strides say so, else contiguous_format (even for an
    array that is not contiguous: torch's ``to`` then returns it as it is)."""
    from torchlet._ops.shape.common import suggested_memory_format

    return suggested_memory_format(a) or _dtype.contiguous_format


def _is_dtype_arg(x) -> bool:
    """What torch's ``to`` takes as a dtype: a torch.dtype or Python's float, int, bool
    (not a NumPy type)."""
    return x is None or type(x) is _dtype.dtype or x is float or x is int or x is bool


def _to_arguments_error(args, kwargs) -> TypeError:
    """torch's argument-parser error for ``Tensor.to``."""
    def name(x):
        return ("torch.dtype" if type(x) is _dtype.dtype else
                "torch.device" if type(x) is _device_type else
                "Tensor" if isinstance(x, Tensor) else type_name(x))

    got = [name(a) for a in args] + [f"{k}={name(v)}" for k, v in kwargs.items()]
    tail = ", " if kwargs and not args else ""
    rest = ("bool non_blocking = False, bool copy = False, *, torch.memory_format "
            "memory_format = None)")
    return TypeError(
        f"to() received an invalid combination of arguments - got ({', '.join(got)}{tail}), "
        "but expected one of:\n"
        f" * (torch.device device = None, torch.dtype dtype = None, {rest}\n"
        f" * (torch.dtype dtype, {rest}\n"
        f" * (Tensor tensor, {rest}\n")


# ---------------------------------------------------------------------------------------
# helpers shared by backward rules and in-place methods


def zeros_like(t: Tensor) -> Tensor:
    return wrap(np.zeros_like(t._data))


def zeros_like_scalar(t: Tensor):
    """A zero of ``t``'s dtype, as a NumPy scalar (cheaper than a zeros tensor)."""
    return t._data.dtype.type(0)


def zeros_like_grad(grad: Tensor, ctx, index: int):
    if not ctx.needs_input_grad[index]:
        return None
    return zeros_like(grad)


class Fill(Primitive):
    """out = a tensor of ``a``'s shape filled with a value;  no gradient to ``a``."""

    node_name = "FillBackward0"

    @staticmethod
    def forward(ctx, a, *, value):
        return np.full(a.shape, value, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return zeros_like(grad)


class FillTensor(Primitive):
    """out = ``a``'s shape filled with the 0-d ``value``;  grad_a = 0,
    grad_value = sum(grad)."""

    node_name = "FillBackward1"

    @staticmethod
    def forward(ctx, a, value):
        return np.full(a.shape, value, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return zeros_like_grad(grad, ctx, 0), grad.sum()


# torch names the in-place forms' nodes apart from torch.fill's
class FillInPlace(Fill):
    """``fill_(number)``: as Fill."""

    node_name = "FillBackward2"


class FillTensorInPlace(FillTensor):
    """``fill_(0-d tensor)``: as FillTensor."""

    node_name = "FillBackward3"


class ZeroInPlace(Fill):
    """``zero_()``: Fill with 0."""

    node_name = "ZeroBackward0"


def full_like_value(t: Tensor, value, *, in_place: bool = False) -> Tensor:
    """What ``torch.fill``, ``fill_`` and ``zero_`` compute: ``t``'s shape and dtype, one
    value everywhere."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions."
            )
        primitive = FillTensorInPlace if in_place else FillTensor
        return primitive.apply(t, _cast(value, t._data.dtype))
    from torchlet._ops.indexing._common import fill_scalar  # indexing imports this module

    value = fill_scalar(value, t._data.dtype, t._data.size)
    return (FillInPlace if in_place else Fill).apply(t, value=value)


def zero_value(t: Tensor) -> Tensor:
    """What ``zero_`` computes: zeros of ``t``'s shape and dtype."""
    return ZeroInPlace.apply(t, value=t._data.dtype.type(0))


class CopyFrom(Primitive):
    """out = ``src`` broadcast to ``a``'s shape and dtype;  grad_a = 0 (its old values
    are overwritten: torch sends zeros, not nothing),  grad_src = grad (summed back)."""

    node_name = "torch::autograd::CopyBackwards"  # printed as CopyBackwards

    @staticmethod
    def forward(ctx, a, src):
        # torch's empty_like (preserve_format): a dense a's own strides, size-1 dims' too
        # (np.empty_like gives those C order's); an out-of-place copy keeps a's layout
        out = empty_in_layout(a, a.dtype, None) if type(a) is np.ndarray else np.empty_like(a)
        if out.dtype == np.float16 and src.dtype == np.float64:
            src = astype_like_c10(src, out.dtype)
        np.copyto(out, src, casting="unsafe")
        return out

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        return zeros_like(grad) if needs[0] else None, grad if needs[1] else None


def copy_from(t: Tensor, src) -> Tensor:
    """What ``t.copy_(src)`` computes; a number is taken as a 0-d tensor, as torch's
    argument parser does."""
    if isinstance(src, numbers.Number) and not isinstance(src, complex):
        src = wrap(np.array(src))
    elif not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{type_name(src)}")
    from torchlet._ops.indexing._common import broadcast_shapes  # (indexing imports us)

    shape = broadcast_shapes(t._data.shape, src._data.shape)  # torch's error if they don't
    if shape != t._data.shape:  # src may only broadcast up to t's shape
        raise RuntimeError(f"output with shape {list(t._data.shape)} doesn't match the "
                           f"broadcast shape {list(shape)}")
    if is_meta_array(src._data) and not is_meta_array(t._data):
        raise NotImplementedError(_NO_META_DATA)
    return CopyFrom.apply(t, src)

