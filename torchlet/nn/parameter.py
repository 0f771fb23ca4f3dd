"""Parameter and Buffer: tensors that a Module registers when they are assigned to it.

``Parameter(data)`` is a Tensor subclass that shares ``data``'s values (and version
counter) and requires grad by default. Assigning one to a Module attribute registers it,
so ``module.parameters()`` finds it. Operations on a Parameter return plain Tensors (every
operation builds its result with ``wrap``, which makes a ``Tensor``), as in torch.

``Buffer(data, persistent=True)`` marks a tensor to be registered as a buffer: state that
is not trained but saved in the ``state_dict`` (unless ``persistent=False``), such as
BatchNorm's running mean.

``UninitializedParameter`` is the placeholder of lazy modules (``LazyLinear``): it has no
shape until ``materialize(shape)`` turns it into an ordinary Parameter.
"""

from __future__ import annotations

from collections import OrderedDict
from types import MethodType
from typing import Any

import numpy as np

from torchlet._dtype import type_name
from torchlet._tensor import Tensor, _init

__all__ = ["Buffer", "Parameter", "UninitializedBuffer", "UninitializedParameter", "is_lazy"]


def _alias(cls, data: Tensor, requires_grad: bool):
    """A new object of class ``cls`` sharing ``data``'s array and version counter."""
    out = object.__new__(cls)
    _init(out, data._data)
    out._vbox = data._vbox
    if requires_grad:
        if data._data.dtype.kind != "f":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        out._requires_grad = True
    return out


class Parameter(Tensor):
    """A Tensor that is a module parameter: ``Parameter(data=None, requires_grad=True)``."""

    # No __slots__: like torch's, a Parameter can carry user attributes (``p.foo = 1``).

    def __new__(cls, data=None, requires_grad=True):
        if requires_grad is not True and requires_grad is not False:
            # (torch hands it to Tensor._make_subclass, whose parser takes a bool only)
            raise TypeError("_make_subclass(): argument 'require_grad' (position 3) must be "
                            f"bool, not {type_name(requires_grad)}")
        if data is None:
            data = _empty()
        return _alias(cls, data, requires_grad)

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__ (Tensor.__init__ would re-create the data)

    # (torch's Parameter.__repr__ takes no tensor_contents, unlike Tensor's)
    def __repr__(self) -> str:  # type: ignore[override]
        return "Parameter containing:\n" + super().__repr__()

    # Tensor binds __str__ to its own __repr__; print() shows this one
    __str__ = __repr__  # type: ignore[assignment]

    def __deepcopy__(self, memo):
        # torch copies the values and requires_grad only (not .grad, not attributes)
        if id(self) in memo:
            return memo[id(self)]
        data = self.data  # (a meta tensor has no values to copy: it is its own copy)
        result = type(self)(data if data.is_meta else data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        state = dict(self.__dict__)
        return (_rebuild_parameter, (self._data, self._requires_grad, OrderedDict(), state))


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    param = Parameter(_wrap(data), requires_grad)
    if state:
        param.__dict__.update(state)
    return param


def _wrap(data: np.ndarray) -> Tensor:
    from torchlet._tensor import wrap

    return wrap(data)


def _empty() -> Tensor:
    from torchlet._dtype import get_default_dtype

    return _wrap(np.empty(0, get_default_dtype().np))


class Buffer(Tensor):
    """A tensor to register as a module buffer: ``Buffer(data=None, *, persistent=True)``.

    torch returns a plain Tensor tagged with ``persistent``; torchlet's Tensor has no
    room for extra attributes, so a Buffer is a small subclass sharing ``data``'s values.
    """

    __slots__ = ("persistent",)
    persistent: bool

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _empty()
        buf = _alias(cls, data, False)
        buf._requires_grad = data._requires_grad if data._grad_fn is None else False
        buf.persistent = persistent
        return buf

    def __init__(self, data=None, *, persistent=True):
        pass

    def __deepcopy__(self, memo):
        result = Tensor.__deepcopy__(self, memo)
        result.persistent = self.persistent
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_buffer, (self._data, self._requires_grad, self.persistent))


def _rebuild_buffer(data, requires_grad, persistent):
    buf = Buffer(_wrap(data), persistent=persistent)
    buf._requires_grad = requires_grad
    return buf


# ---------------------------------------------------------------------------------------
# lazy placeholders


_SHAPE_MESSAGE = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually "
    "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
    "initialized one. Call `forward` to initialize the parameters before accessing their "
    "attributes."
)


# Tensor methods torch still lets a placeholder run (UninitializedTensorMixin._allowed_methods)
_ALLOWED_METHODS = frozenset({
    "size", "copy_", "is_complex", "is_floating_point", "half", "float", "double", "char",
    "short", "int", "long", "cuda", "cpu", "to", "get_device",
})


def _refuse(func: str):
    """A method raising torch's error for using a placeholder; ``func`` names the operation
    as torch's message does."""

    def refuse(self, *args, **kwargs):
        if func.startswith("<"):
            where = func
        elif func.startswith("Tensor."):  # torch's Python-level methods print an address
            where = f"<function {func} at {hex(id(refuse))}>"
        else:
            where = f"<method '{func}' of 'torch._C.TensorBase' objects>"
        raise ValueError(
            f"Attempted to use an uninitialized parameter in {where}. This error happens when "
            "you are using a `LazyModule` or explicitly manipulating "
            f"`torch.nn.parameter.{type(self).__name__}` objects. When using LazyModules Call "
            "`forward` with a dummy batch to initialize the parameters before calling torch "
            "functions"
        )

    return refuse


class UninitializedTensorMixin:
    """A parameter or buffer whose shape is not known yet (used by lazy modules).

    Using it as a tensor raises torch's ValueError: every inherited public Tensor method
    but a few (``__getattribute__``) and the operators (Python looks those up on the type,
    so each is written out, under the op name torch's message shows).
    """

    __slots__ = ()  # materialize() changes __class__: the memory layouts must agree
    cls_to_become: type[Tensor] | None = None
    # The mixin always precedes a Tensor class in the bases, whose field this is (typed
    # Any: mypy would refuse to set a typed attribute missing from the empty __slots__)
    _data: Any

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give it ``shape`` (uninitialised values) and turn it into ``cls_to_become``."""
        from torchlet._dtype import to_dtype

        np_dtype = self._data.dtype if dtype is None else to_dtype(dtype).np
        if isinstance(shape, int):
            shape = (shape,)
        self._data = np.empty(tuple(shape), np_dtype)
        self.__class__ = self.cls_to_become  # type: ignore[assignment]  # as torch does

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_MESSAGE)

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`."
        )

    def __getattribute__(self, name):
        attr = object.__getattribute__(self, name)
        if (name[0] != "_" and name not in _ALLOWED_METHODS and type(attr) is MethodType
                and attr.__func__ is getattr(Tensor, name, None)):
            return MethodType(_refuse(name), self)
        return attr

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__
    __hash__ = Tensor.__hash__  # (defining __eq__ below would otherwise unset it)

    __add__ = __radd__ = _refuse("add")
    __sub__ = _refuse("sub")
    __mul__ = __rmul__ = _refuse("mul")
    __truediv__ = _refuse("div")
    __matmul__ = _refuse("matmul")
    __mod__ = _refuse("remainder")
    __iadd__, __isub__ = _refuse("add_"), _refuse("sub_")
    __imul__, __itruediv__ = _refuse("mul_"), _refuse("div_")
    __ifloordiv__, __imod__ = _refuse("floor_divide_"), _refuse("remainder_")
    __ipow__ = _refuse("pow_")
    __rsub__, __rtruediv__ = _refuse("Tensor.__rsub__"), _refuse("Tensor.__rdiv__")
    __floordiv__ = _refuse("Tensor.__floordiv__")
    __rfloordiv__ = _refuse("Tensor.__rfloordiv__")
    __rmod__, __rpow__ = _refuse("Tensor.__rmod__"), _refuse("Tensor.__rpow__")
    __rmatmul__ = _refuse("Tensor.__rmatmul__")
    __pow__ = _refuse("TensorBase.pow")
    __neg__, __pos__, __abs__ = _refuse("neg"), _refuse("positive"), _refuse("abs")
    __eq__, __ne__ = _refuse("__eq__"), _refuse("ne")
    __lt__, __le__, __gt__, __ge__ = _refuse("lt"), _refuse("le"), _refuse("gt"), _refuse("ge")
    __invert__ = _refuse("__invert__")
    __and__ = __rand__ = __iand__ = _refuse("__and__")
    __or__ = __ror__ = __ior__ = _refuse("__or__")
    __xor__ = __rxor__ = __ixor__ = _refuse("__xor__")
    __lshift__, __rshift__ = _refuse("__lshift__"), _refuse("__rshift__")
    __getitem__ = _refuse("<slot wrapper '__getitem__' of 'torch._C.TensorBase' objects>")
    __setitem__ = _refuse("<slot wrapper '__setitem__' of 'torch._C.TensorBase' objects>")
    __iter__ = _refuse("dim")
    __bool__, __int__, __float__ = _refuse("__bool__"), _refuse("__int__"), _refuse("__float__")
    __index__, __complex__ = _refuse("__index__"), _refuse("__complex__")
    __len__, __format__ = _refuse("Tensor.__len__"), _refuse("Tensor.__format__")
    __array__, __contains__ = _refuse("Tensor.__array__"), _refuse("Tensor.__contains__")

    def __reduce_ex__(self, protocol):
        return (self.__class__, (self.requires_grad,))


def is_lazy(param) -> bool:
    """Is ``param`` an uninitialised (lazy) parameter or buffer?"""
    return isinstance(param, UninitializedTensorMixin)


# (type: ignore: the placeholder's __repr__, as torch's, takes no tensor_contents)
class UninitializedParameter(UninitializedTensorMixin, Parameter):  # type: ignore[misc]
    """``UninitializedParameter(requires_grad=True, device=None, dtype=None)``."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from torchlet._dtype import get_default_dtype, to_dtype

        np_dtype = (get_default_dtype() if dtype is None else to_dtype(dtype)).np
        return _alias(cls, _wrap(np.empty(0, np_dtype)), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, None, self.dtype)
        memo[id(self)] = result
        return result


class UninitializedBuffer(UninitializedTensorMixin, Buffer):  # type: ignore[misc]  # as above
    """``UninitializedBuffer(requires_grad=False, device=None, dtype=None, persistent=True)``.

    (torch's becomes a plain Tensor once materialized; this one becomes a Buffer, a Tensor
    subclass, because Python cannot drop the ``persistent`` slot from a live object.)"""

    __slots__ = ()
    cls_to_become = Buffer

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from torchlet._dtype import get_default_dtype, to_dtype

        np_dtype = (get_default_dtype() if dtype is None else to_dtype(dtype)).np
        buf = _alias(cls, _wrap(np.empty(0, np_dtype)), requires_grad)
        buf.persistent = persistent
        return buf

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass
