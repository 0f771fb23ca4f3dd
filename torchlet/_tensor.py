"""The Tensor: a NumPy array plus what autograd needs to know about it.

Every method is written out here and calls the operation of the same name in
``torchlet._ops`` (pointwise, reduction, shape, indexing, linalg), where its forward and
backward live side by side. Fields:

* ``_data``: the values (a NumPy array; views of a tensor are NumPy views of its array);
* ``_grad_fn``, ``_output_nr``: the node that produced the tensor and which of that
  node's outputs it is (None for leaves);
* ``_requires_grad``: set by the user on leaves;
* ``_grad``: the accumulated gradient (leaves, and tensors that called retain_grad());
* ``_vbox``: a one-element list, the version counter, shared by a tensor and its views,
  bumped by every in-place operation so that backward can detect a modified saved tensor;
* ``_base``: the tensor this one is a view of (its root: never itself a view);
* ``_view_version``, ``_view_kind`` (views only): the base's version when the view's grad_fn
  was made (an older one means the base changed in place since: see ``refresh_view``), and
  how the view was made (torch's CreationMeta: DEFAULT, NO_GRAD_MODE, ...; None for
  ``detach()``, which shares memory but not history);
* ``_hooks``, ``_accumulator``: a leaf's gradient hooks and its AccumulateGrad node;
* ``_inference``: an inference tensor (made under ``inference_mode``, or a view of one):
  outside that mode it may not be updated in place or saved for backward (torch's rule);
* ``_grad_dtype`` (only once ``grad_dtype`` is set): the dtype ``.grad`` may have, or None.
"""

from __future__ import annotations

import builtins
import numbers
import warnings
from typing import TYPE_CHECKING

import numpy as np

from torchlet import _dtype
from torchlet._device import CPU, META, is_meta_array, meta_array
from torchlet._numpy_names import numpy_names, user_stacklevel
from torchlet._random_kernels import VMAP
from torchlet._size import Size

if TYPE_CHECKING:
    from collections import OrderedDict

    from torchlet.autograd.function import AccumulateGrad, Node


_REQUIRED = object()  # the default of an argument that torch's method form requires
_NO_DIM = object()  # squeeze's default, every dim (an explicit None is torch's TypeError)
_NOT_GIVEN = object()  # sort's stable not passed at all (even None picks torch's other overload)
_OMITTED = object()  # a reduction's keepdim not passed (torch's overload without dim takes none)
_NUMBER = (numbers.Number, np.bool_)  # what torch's parser reads as a Number (not complex here)
_VIEW_SIGNATURES = ("torch.dtype dtype", "tuple of ints size")  # (as torch prints them)
_MAX_MIN_SIGNATURES = ("", "Tensor other", "int dim, bool keepdim = False")


class Tensor:
    __slots__ = (
        "_data", "_requires_grad", "_grad_fn", "_output_nr", "_grad", "_vbox", "_base",
        "_hooks", "_accumulator", "_view_version", "_view_kind", "_inference", "_grad_dtype",
        "__weakref__", "__dict__",  # user attributes (w.g = ... in fast.ai's backprop lesson)
    )
    # the fields' types, for mypy (wrap() and _init() set them, outside the class)
    _data: np.ndarray
    _requires_grad: builtins.bool
    _grad_fn: Node | None
    _output_nr: builtins.int
    _grad: Tensor | None
    _vbox: list[builtins.int]
    _base: Tensor | None
    _view_version: builtins.int  # set (with _view_kind) only where _base is set
    _view_kind: str | None
    _hooks: OrderedDict | None
    _accumulator: AccumulateGrad | None
    _inference: builtins.bool
    _grad_dtype: _dtype.dtype | None  # set only by the grad_dtype setter

    # NumPy arrays and scalars on the left of an operator defer to Tensor's reflected
    # method (np.float32(2) * t is a Tensor, in the graph), as they do for torch's.
    __array_priority__ = 1000

    # --------------------------------------------------------------------------------
    # construction (the legacy torch.Tensor(...) constructor; ops use ``wrap``)

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, device=None):
        default = _dtype.get_default_dtype().np
        if len(args) == 1 and isinstance(args[0], Tensor):
            data = args[0]._data
        elif len(args) == 1 and (type(args[0]) is bool or not isinstance(
                args[0], (int, np.integer))):
            data = _legacy_data(args[0], default)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            data = _creation.strided_empty(_runtime.fill_uninitialized(
                np.empty(tuple(int(s) for s in shape), dtype=default)))
        _init(self, data)

    # --------------------------------------------------------------------------------
    # the values

    @property
    def data(self) -> Tensor:
        """The same values, detached from the graph (as ``detach()``, but no version)."""
        return wrap(self._data)

    @data.setter
    def data(self, value: Tensor):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{_dtype.type_name(value)}")
        if self.requires_grad and value._data.dtype.kind != "f":
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        if is_meta_array(self._data) != is_meta_array(value._data):
            raise RuntimeError("Attempted to call `variable.set_data(tensor)`, but `variable` "
                               "and `tensor` have incompatible tensor type.")
        self._data = value._data

    @property
    def shape(self) -> Size:
        return _new_tuple(Size, self._data.shape)  # (NumPy shapes hold ints: no checks)

    @numpy_names
    def size(self, dim: int | None = None, *extra):
        # (``*extra``: torch counts the arguments without self: "from 0 to 1 positional
        # arguments but 2 were given"; a NumPy shape is ints already: no Size() checks)
        shape = self._data.shape
        if not extra:
            if dim is None:
                return _new_tuple(Size, shape)
            if type(dim) is int and -len(shape) <= dim < len(shape):
                return shape[dim]
        return shape[_dim_of("size", dim, extra, len(shape))]

    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype._BY_NP[self._data.dtype]

    @property
    def device(self):
        return META if is_meta_array(self._data) else CPU

    @property
    def is_meta(self) -> builtins.bool:
        """On the meta device: a shape and a dtype, no values (see ``torchlet._device``)."""
        return is_meta_array(self._data)

    is_cuda = False
    is_sparse = False
    is_quantized = False
    layout = _dtype.strided  # (torchlet has strided tensors only)

    @property
    def ndim(self) -> builtins.int:
        return self._data.ndim

    # (``*args``: torch's error for an argument, "TensorBase.dim() takes no arguments (1
    # given)"; one empty-tuple test, where ``**kwargs`` would double the cost of a call)
    def dim(self, *args) -> builtins.int:
        if args:
            raise _no_arguments("dim", args)
        return self._data.ndim

    def ndimension(self, *args) -> builtins.int:
        if args:
            raise _no_arguments("ndimension", args)
        return self._data.ndim

    def numel(self, *args) -> builtins.int:
        if args:
            raise _no_arguments("numel", args)
        return self._data.size

    def nelement(self, *args) -> builtins.int:
        if args:
            raise _no_arguments("nelement", args)
        return self._data.size

    def element_size(self) -> builtins.int:
        return self._data.itemsize

    @property
    def itemsize(self) -> builtins.int:
        return self._data.itemsize

    @property
    def nbytes(self) -> builtins.int:
        return self._data.nbytes

    @numpy_names
    def stride(self, dim: int | None = None, *extra):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        if is_meta_array(self._data) or (
                not self._data.size and not any(strides) and _numpy_zeros(self._data)):
            # a meta array's strides are all zero (it holds one element): it reads as
            # contiguous; so does an empty array whose zeros are NumPy's (a view of a new
            # empty array that did not pass through wrap(), which gives torch's strides).
            # Zeros torch keeps (from_numpy's, as_strided's) lie over other memory.
            strides = _shape_common.contiguous_strides(self._data.shape)
        if not extra:
            if dim is None:
                return strides
            if type(dim) is int and -len(strides) <= dim < len(strides):
                return strides[dim]
        return strides[_dim_of("stride", dim, extra, len(strides))]

    def storage_offset(self) -> builtins.int:
        from torchlet._ops import misc_api

        return misc_api.storage_offset(self)

    def data_ptr(self) -> builtins.int:
        if is_meta_array(self._data):
            return 0  # (torch's: a meta tensor has no memory)
        return self._data.__array_interface__["data"][0]

    def untyped_storage(self):
        from torchlet import storage

        return storage.untyped_storage(self)

    def storage(self):
        from torchlet import storage

        return storage.typed_storage(self)

    def storage_type(self):
        from torchlet import storage

        return storage.storage_type(self)

    def set_(self, *args, **kwargs) -> Tensor:
        # (source=None, storage_offset=None, size=None, stride=None: read by torch's rules,
        # which tell a None given from one not given)
        from torchlet import storage
        from torchlet._ops.tensor_misc import set_arguments

        return storage.set_(self, *set_arguments(args, kwargs))

    def is_contiguous(self, memory_format=None) -> builtins.bool:
        if is_meta_array(self._data):  # (its strides read as contiguous: see stride())
            return memory_format is None or memory_format is _dtype.contiguous_format
        if memory_format is None:
            return self._data.flags.c_contiguous
        return _shape_common.in_layout(self._data, memory_format)

    def is_floating_point(self) -> builtins.bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> builtins.bool:
        return False

    def is_signed(self) -> builtins.bool:
        return self._data.dtype.kind in "fi"

    def item(self):
        if VMAP.batch is not None:  # inside vmap: a batched value cannot become a number
            VMAP.batch.check_access(self, "item")
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        _check_has_values(self)
        return self._data.reshape(()).item()

    def tolist(self):
        if VMAP.batch is not None:
            VMAP.batch.check_access(self, "data")
        if is_meta_array(self._data):
            raise NotImplementedError(_NO_META_DATA)
        return self._data.tolist()

    def numpy(self, *, force: builtins.bool = False) -> np.ndarray:
        if VMAP.batch is not None:
            VMAP.batch.check_access(self, "data")
        if is_meta_array(self._data):
            raise TypeError(_META_TO_NUMPY)
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self._data if self._data.size else _numpy_empty(self._data)

    def __array__(self, dtype=None):
        """np.array(t) / np.asarray(t): as torch, through ``numpy()`` (which refuses a
        tensor that requires grad). torch's signature, without NumPy 2's ``copy``: NumPy
        then copies for ``np.array(t)`` itself (with its DeprecationWarning, as for torch)
        and refuses ``copy=False``; ``np.asarray(t)`` shares memory."""
        if (self._requires_grad or self._grad_fn is not None or self._base is not None
                or is_meta_array(self._data)):
            self.numpy()  # raises torch's error if self requires grad or is on meta
        data = self._data if self._data.size else _numpy_empty(self._data)
        if dtype is None:
            return data
        return data.astype(dtype, copy=False)

    def __array_wrap__(self, array):
        """What a NumPy ufunc given a tensor returns (``np.exp(t)``, and ``t + array``,
        which torch leaves to NumPy): NumPy's result as a tensor, a bool one as uint8, as
        torch's. torch's one-argument signature is kept on purpose: NumPy 2 then gives the
        same DeprecationWarning ("__array_wrap__ must accept context and return_scalar
        arguments") as it gives for torch."""
        from torchlet._ops.creation import from_numpy  # (creation imports this module)

        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        return from_numpy(array)

    def __len__(self) -> builtins.int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def module_load(self, other, assign=False):
        """What ``load_state_dict`` swaps into this parameter or buffer (with
        ``torch.__future__.set_swap_module_params_on_conversion(True)``): a new tensor, never
        ``self`` nor ``other``: ``other`` detached (``assign``), else ``self`` after copying
        ``other`` into it, detached. A subclass may override it."""
        if assign:
            return other.detach()
        return self.copy_(other).detach()

    def __reversed__(self):
        """``reversed(t)``: torch flips the first dimension (a 0-d tensor is itself)."""
        return self if self._data.ndim == 0 else self.flip(0)

    def __bool__(self) -> builtins.bool:
        if VMAP.batch is not None:  # data-dependent control flow inside vmap
            VMAP.batch.check_access(self, "bool")
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'no values' if self._data.size == 0 else 'more than one value'} is ambiguous"  # noqa: E501
            )
        _check_has_values(self)
        return bool(self._data.reshape(()))

    def __index__(self) -> builtins.int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError(
                "only integer tensors of a single element can be converted to an index"
            )
        _check_has_values(self)
        return int(self._data.reshape(()))

    def __int__(self) -> builtins.int:
        return int(self._scalar())

    def __float__(self) -> float:
        if self.requires_grad and GRAD_STATE.enabled:  # (float() only, before any error)
            _warn_once(_SCALAR_OF_GRAD_WARNING)
        return float(self._scalar())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    def _scalar(self):
        """The one value of ``self``, for int() / float() / complex() (torch's error)."""
        if VMAP.batch is not None:
            VMAP.batch.check_access(self, "item")
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        _check_has_values(self)
        return self._data.reshape(()).item()

    def __hash__(self) -> builtins.int:
        return id(self)

    def __contains__(self, element) -> builtins.bool:
        if isinstance(element, (Tensor, int, float, bool)):
            # torch's order, element == self: its errors name element's size first
            found = _pw.eq(element, self) if isinstance(element, Tensor) else _pw.eq(
                self, element)
            return bool(found.any().item())
        raise RuntimeError(
            "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
            f"{type(element)}."
        )

    def __repr__(self, *, tensor_contents=None) -> str:
        from torchlet._printing import format_tensor
        from torchlet.nn.parameter import Buffer, Parameter

        grad_fn = self.grad_fn
        # as torch: a subclass prints its own name, MyTensor([1., 2.]) (a subclass of
        # Parameter inside "Parameter(...)"); torch's Buffer(...) returns a plain Tensor
        cls = type(self)
        plain = cls is Tensor or cls is Parameter or isinstance(self, Buffer)
        text = format_tensor(
            self._data,
            dtype_name=repr(self.dtype),
            default_dtype_name=repr(_dtype.get_default_dtype()),
            grad_fn_name=grad_fn.name().rsplit("::", 1)[-1] if grad_fn is not None else None,
            requires_grad=self.requires_grad,
            prefix="tensor(" if plain else f"{cls.__name__}(",
            meta=is_meta_array(self._data),
            tensor_contents=tensor_contents,
        )
        return f"Parameter({text})" if not plain and isinstance(self, Parameter) else text

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        # as torch: a number only for a plain 0-d tensor (a subclass, Parameter too,
        # formats as an object; a Buffer is a plain Tensor in torch)
        from torchlet.nn.parameter import Buffer

        if self._data.ndim == 0 and not is_meta_array(self._data) and (
            type(self) is Tensor or isinstance(self, Buffer)
        ):
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def as_subclass(self, cls):
        """This tensor as an instance of the Tensor subclass ``cls``, sharing its values:
        as torch, a view by ``alias`` (AliasBackward0 in the graph) given the new class
        (its attributes are not carried over)."""
        if not isinstance(cls, type):
            raise TypeError(f"cls must be a type (got {_dtype.type_name(cls)})")
        if not issubclass(cls, Tensor):
            raise TypeError("Creating a Tensor subclass from a class that does not inherit "
                            "from Tensor is not possible. Make sure your class inherits "
                            "from Tensor.")
        alias = _idx.getitem(self, Ellipsis)
        if cls is Tensor:
            return alias
        out = _new_tensor(cls)
        for name in _FIELDS:
            if hasattr(alias, name):  # (a few are set only where they apply)
                setattr(out, name, getattr(alias, name))
        return out

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        if id(self) in memo:
            return memo[id(self)]
        new = type(self).__new__(type(self))
        data = self._data
        if is_meta_array(data):
            data = meta_array(data.shape, data.dtype)
        else:  # (an empty one with its strides: NumPy's copy would have zeros)
            data = data.copy() if data.size else _empty_with_strides(
                data.shape, data.dtype, data.strides)
        _init(new, data)
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        for key, value in getattr(self, "__dict__", {}).items():
            import copy

            new.__dict__[key] = copy.deepcopy(value, memo)
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, protocol):
        """torch's pickling (``Tensor.__reduce_ex__``): the values and ``requires_grad``
        (a non-leaf comes back as a leaf that requires grad; ``.grad`` is not kept). A
        tensor with Python attributes, or of a subclass, is wrapped as torch wraps it
        (``_rebuild_from_type_v2``) so that its type and ``__dict__`` come back too.

        ``copy.copy`` goes through here: the copy shares the values, as torch's shares the
        storage."""
        if is_meta_array(self._data):  # no values to write: only the shape and dtype
            func, args = _rebuild_meta_tensor, (self._data.shape, self._data.dtype.name,
                                                self.requires_grad)
        else:
            func, args = _rebuild_tensor, (self._data, self.requires_grad)
            if not self._data.size:  # (a pickled empty array comes back with zero strides)
                args += (self.stride(),)
        state = self.__dict__
        if type(self) is Tensor and not state:
            return (func, args)
        return (_rebuild_from_type, (func, type(self), args, state))

    # --------------------------------------------------------------------------------
    # autograd

    @property
    def grad_fn(self):
        if self._base is not None and self._view_version != self._vbox[0]:
            refresh_view(self)
        return self._grad_fn

    @property
    def requires_grad(self) -> builtins.bool:
        """torch: set on a leaf, or computed, or a view of a tensor that requires grad
        (even one made under no_grad)."""
        if self._requires_grad or self._grad_fn is not None:
            return True
        base = self._base
        return base is not None and self._view_kind is not None and base.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool):
        if type(value) is not builtins.bool:
            raise RuntimeError("requires_grad must be a bool")
        self.requires_grad_(value)

    def requires_grad_(self, *args, **kwargs) -> Tensor:
        requires_grad = _requires_grad_argument(args, kwargs) if args or kwargs else True
        if self._grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want "
                    "to use a computed variable in a subgraph that doesn't require "
                    "differentiation use var_no_grad = var.detach()."
                )
            return self
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if requires_grad and self._inference and not GRAD_STATE.inference:
            raise RuntimeError(
                "Setting requires_grad=True on inference tensor outside InferenceMode is not "
                "allowed."
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> builtins.bool:
        return self.grad_fn is None

    def _is_view(self) -> builtins.bool:
        """Whether this tensor is a view of another (``detach()`` is not, as in torch)."""
        return self._base is not None and self._view_kind is not None

    @property
    def grad(self):
        grad = self._grad
        if grad is None and self._grad_fn is not None and not self.retains_grad:
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value is self:
                raise RuntimeError("can't assign Variable as its own grad")
            allowed = _allowed_grad_dtype(self)
            if allowed is not None and value._data.dtype != allowed.np:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype "
                    f"'{_dtype.C_TYPE_NAMES[value._data.dtype.name]}' to a tensor with "
                    f"grad_dtype '{_dtype.TYPE_WORDS[allowed.np.name]}'. The gradient "
                    "must match the tensor's grad_dtype (defaults to the tensor's dtype). You "
                    "can set the tensor's grad_dtype attribute with a specific dtype, or None "
                    "to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of "
                    "a tensor and its gradient may break downstream systems that assume they "
                    "match."
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to "
                    f"a tensor of size '{list(self._data.shape)}'. Please ensure that the "
                    "gradient and the tensor are the same size"
                )
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def output_nr(self) -> builtins.int:
        return self._output_nr

    @property
    def _version(self) -> builtins.int:
        if self._inference:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._vbox[0]

    @property
    def retains_grad(self) -> builtins.bool:
        node = self._grad_fn
        if node is None or node._hooks is None:
            return False
        ref = node._hooks.retained.get(self._output_nr)
        return ref is not None and ref() is self

    def retain_grad(self) -> None:
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return  # leaves keep .grad anyway
        import weakref

        self.grad_fn.hooks().retained[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is computed."""
        if not self.requires_grad:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient"
            )
        from collections import OrderedDict

        from torchlet.autograd.function import add_hook

        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = OrderedDict()  # {handle id: hook}, as torch's _backward_hooks
            hooks = self._hooks
        else:
            hooks = self._grad_fn.hooks().tensor.setdefault(self._output_nr, OrderedDict())
        return add_hook(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor w.r.t. the graph's leaves into ``.grad``."""
        _autograd.backward(self, gradient, retain_graph, create_graph, None, inputs)

    def detach(self) -> Tensor:
        """A tensor sharing these values (and version counter), outside the graph."""
        out = wrap(self._data)
        out._vbox = self._vbox
        out._base = self._base  # (the memory it shares, for storage_offset & co)
        out._view_version, out._view_kind = self._vbox[0], None
        out._inference = self._inference
        return out

    def detach_(self, *args) -> Tensor:
        if args:
            raise _no_arguments("detach_", args)
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is "
                "set as True, gradients are views of DDP buckets, and hence detach_() cannot "
                "be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    # --------------------------------------------------------------------------------
    # dtype conversion

    def to(self, *args, **kwargs) -> Tensor:
        return _pw.to(self, *args, **kwargs)

    def type(self, *args, **kwargs):
        """torch's ``Tensor.type(dtype=None, non_blocking=False, *, memory_format=None)``:
        with no type, the legacy type name (``'torch.FloatTensor'``); else the tensor
        converted to a dtype, a legacy type (``torch.DoubleTensor``) or a type's name."""
        dtype, memory_format = _type_arguments(args, kwargs)
        if dtype is None:
            return _TYPE_NAMES[self._data.dtype.name]
        if isinstance(dtype, _dtype.dtype):
            target = dtype
        elif isinstance(dtype, builtins.type):
            target = _dtype_of_type_name(_type_name(dtype))
        elif isinstance(dtype, str):
            target = _dtype_of_type_name(dtype)
        else:
            raise TypeError("dtype must be a type, str, or dtype object")
        if memory_format is None:
            return self.to(target)
        return self.to(target, memory_format=memory_format)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def float(self, *args, memory_format=None) -> Tensor:
        if args or memory_format is not None:
            return _converted(self, "float", _dtype.float32, args, memory_format)
        return self.to(_dtype.float32)

    def double(self, *args, memory_format=None) -> Tensor:
        if args or memory_format is not None:
            return _converted(self, "double", _dtype.float64, args, memory_format)
        return self.to(_dtype.float64)

    def half(self, *args, memory_format=None) -> Tensor:
        if args or memory_format is not None:
            return _converted(self, "half", _dtype.float16, args, memory_format)
        return self.to(_dtype.float16)

    def long(self, *args, memory_format=None) -> Tensor:
        if args or memory_format is not None:
            return _converted(self, "long", _dtype.int64, args, memory_format)
        return self.to(_dtype.int64)

    def int(self, *args, memory_format=None) -> Tensor:
        if args or memory_format is not None:
            return _converted(self, "int", _dtype.int32, args, memory_format)
        return self.to(_dtype.int32)

    def short(self, *args, memory_format=None) -> Tensor:
        if args or memory_format is not None:
            return _converted(self, "short", _dtype.int16, args, memory_format)
        return self.to(_dtype.int16)

    def char(self, *args, memory_format=None) -> Tensor:
        if args or memory_format is not None:
            return _converted(self, "char", _dtype.int8, args, memory_format)
        return self.to(_dtype.int8)

    def byte(self, *args, memory_format=None) -> Tensor:
        if args or memory_format is not None:
            return _converted(self, "byte", _dtype.uint8, args, memory_format)
        return self.to(_dtype.uint8)

    def bool(self, *args, memory_format=None) -> Tensor:
        if args or memory_format is not None:
            return _converted(self, "bool", _dtype.bool, args, memory_format)
        return self.to(_dtype.bool)

    def cpu(self) -> Tensor:
        if is_meta_array(self._data):
            raise NotImplementedError(_NO_META_DATA)
        return self

    def cuda(self, *args, **kwargs):
        raise AssertionError("Torch not compiled with CUDA enabled")

    def clone(self, *, memory_format=None) -> Tensor:
        return _shape.clone(self, memory_format=memory_format)

    def contiguous(self, memory_format=None) -> Tensor:
        if memory_format is None and is_meta_array(self._data):
            return self  # (a meta tensor reads as contiguous: see stride())
        return _shape.contiguous(self, memory_format)

    # --------------------------------------------------------------------------------
    # arithmetic operators

    # The four arithmetic dunders go straight to their primitive when both operands are
    # tensors of one dtype (float for /): no promotion to work out, and it is the case
    # inside every backward formula (grad * b). Anything else takes the general route,
    # which gives the same result (tests compare both against torch).
    #
    # As torch's, every binary dunder answers NotImplemented where its function raises
    # TypeError, so that Python tries the other operand: ``t == None`` is False,
    # ``[1] * torch.tensor(3)`` repeats the list, a user class's ``__radd__`` runs, and
    # ``t + None`` raises Python's "unsupported operand type(s)". (A ``try`` costs nothing
    # until something raises.)

    def __add__(self, other):
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype \
                and self._data.dtype.kind != "b":
            return _arith.Add.apply_binary(self, other)
        try:
            return _pw.add(self, other)
        except TypeError:
            return NotImplemented

    def __radd__(self, other):
        try:
            return _pw.add(self, other)
        except TypeError:
            return NotImplemented

    def __iadd__(self, other):
        try:
            return self.add_(other)
        except TypeError:
            return NotImplemented

    def __sub__(self, other):
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype \
                and self._data.dtype.kind != "b":
            return _arith.Sub.apply_binary(self, other)
        try:
            return _pw.sub(self, other)
        except TypeError:
            return NotImplemented

    def __rsub__(self, other):
        try:
            return _pw.rsub(self, other)
        except TypeError:
            return NotImplemented

    def __isub__(self, other):
        try:
            return self.sub_(other)
        except TypeError:
            return NotImplemented

    def __mul__(self, other):
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype \
                and self._data.dtype.kind != "b":
            return _arith.Mul.apply_binary(self, other)
        try:
            return _pw.mul(self, other)
        except TypeError:
            return NotImplemented

    def __rmul__(self, other):
        try:
            return _pw.mul(self, other)
        except TypeError:
            return NotImplemented

    def __imul__(self, other):
        try:
            return self.mul_(other)
        except TypeError:
            return NotImplemented

    def __truediv__(self, other):
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype \
                and self._data.dtype.kind == "f":
            return _arith.Div.apply_binary(self, other)
        try:
            return _pw.div(self, other)
        except TypeError:
            return NotImplemented

    def __rtruediv__(self, other):
        try:
            return _pw.reciprocal(self) * other  # torch's own definition
        except TypeError:
            return NotImplemented

    def __itruediv__(self, other):
        try:
            return self.div_(other)
        except TypeError:
            return NotImplemented

    def __floordiv__(self, other):
        try:
            return _pw.floor_divide(self, other)
        except TypeError:
            return NotImplemented

    def __rfloordiv__(self, other):
        try:
            return _pw.floor_divide(other, self)
        except TypeError:
            return NotImplemented

    def __ifloordiv__(self, other):
        try:
            return self.floor_divide_(other)
        except TypeError:
            return NotImplemented

    def __mod__(self, other):
        try:
            return _pw.remainder(self, other)
        except TypeError:
            return NotImplemented

    def __rmod__(self, other):
        try:
            return _pw.remainder(other, self)
        except TypeError:
            return NotImplemented

    def __imod__(self, other):
        try:
            return self.remainder_(other)
        except TypeError:
            return NotImplemented

    def __pow__(self, exponent):
        try:
            return _pw.pow(self, exponent)
        except TypeError:
            return NotImplemented

    def __rpow__(self, base):
        try:
            return _pw.pow(base, self)
        except TypeError:
            return NotImplemented

    def __ipow__(self, exponent):
        try:
            return self.pow_(exponent)
        except TypeError:
            return NotImplemented

    def __matmul__(self, other):
        if not isinstance(other, Tensor):
            return NotImplemented
        return _la.matmul(self, other)

    def __rmatmul__(self, other):
        if not isinstance(other, Tensor):
            return NotImplemented
        return _la.matmul(other, self)

    def __neg__(self):
        return _pw.neg(self)

    def __pos__(self):
        return _pw.positive(self)  # (self itself, but torch's error for a bool tensor)

    def __abs__(self):
        return _pw.abs(self)

    def __invert__(self):
        if self._data.dtype.kind == "f":  # the operator's own check, before bitwise_not's
            raise TypeError(
                "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
            )
        return _pw.bitwise_not(self)

    def __and__(self, other):
        try:
            return _pw.bitwise_and(self, other)
        except TypeError:
            return NotImplemented

    __rand__ = __and__

    def __iand__(self, other):
        try:
            return _inplace(self, _pw.bitwise_and, other)
        except TypeError:
            return NotImplemented

    def __or__(self, other):
        try:
            return _pw.bitwise_or(self, other)
        except TypeError:
            return NotImplemented

    __ror__ = __or__

    def __ior__(self, other):
        try:
            return _inplace(self, _pw.bitwise_or, other)
        except TypeError:
            return NotImplemented

    def __xor__(self, other):
        try:
            return _pw.bitwise_xor(self, other)
        except TypeError:
            return NotImplemented

    __rxor__ = __xor__

    def __ixor__(self, other):
        try:
            return _inplace(self, _pw.bitwise_xor, other)
        except TypeError:
            return NotImplemented

    def __eq__(self, other):
        try:
            return _pw.eq(self, other)
        except TypeError:
            if isinstance(other, np.ndarray):  # (off the fast path: only after the refusal)
                return _eq_array(self, other)
            return NotImplemented

    def __ne__(self, other):
        try:
            return _pw.ne(self, other)
        except TypeError:
            return NotImplemented

    def __lt__(self, other):
        try:
            return _pw.lt(self, other)
        except TypeError:
            return NotImplemented

    def __le__(self, other):
        try:
            return _pw.le(self, other)
        except TypeError:
            return NotImplemented

    def __gt__(self, other):
        try:
            return _pw.gt(self, other)
        except TypeError:
            return NotImplemented

    def __ge__(self, other):
        try:
            return _pw.ge(self, other)
        except TypeError:
            return NotImplemented

    # --------------------------------------------------------------------------------
    # pointwise methods

    def add(self, other, *, alpha=1):
        try:
            return _pw.add(self, other, alpha=alpha)
        except TypeError as error:
            raise _operands.method_error(error, "add", "add", (other,)) from None

    def sub(self, other, *, alpha=1):
        try:
            return _pw.sub(self, other, alpha=alpha)
        except TypeError as error:
            raise _operands.method_error(error, "sub", "sub", (other,)) from None

    def subtract(self, other, *, alpha=1):  # (its own signatures in its errors, as torch)
        try:
            return _pw.sub(self, other, alpha=alpha)
        except TypeError as error:
            raise _arith.method_alias_error(error, "sub", "subtract", other, {"alpha": alpha}) \
                from None

    def mul(self, other):
        try:
            return _pw.mul(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "mul", "mul", (other,)) from None

    def multiply(self, other):
        try:
            return _pw.mul(self, other)
        except TypeError as error:
            raise _arith.method_alias_error(error, "mul", "multiply", other) from None

    def addcmul(self, tensor1, tensor2, *, value=1):
        return _pw.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return _pw.addcdiv(self, tensor1, tensor2, value=value)

    def div(self, other, *, rounding_mode=None):
        try:
            return _pw.div(self, other, rounding_mode=rounding_mode)
        except TypeError as error:
            given = None if rounding_mode is None else {"rounding_mode": rounding_mode}
            raise _operands.method_error(error, "div", "div", (other,), given) from None

    def divide(self, other, *, rounding_mode=None):
        try:
            return _pw.div(self, other, rounding_mode=rounding_mode)
        except TypeError as error:
            raise _arith.method_alias_error(error, "div", "divide", other,
                                     {"rounding_mode": rounding_mode}) from None

    def true_divide(self, other):  # (div without rounding_mode, as torch's signature)
        try:
            return _pw.div(self, other)
        except TypeError as error:
            raise _arith.method_alias_error(error, "div", "true_divide", other) from None

    def floor_divide(self, other):
        try:
            return _pw.floor_divide(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "floor_divide", "floor_divide", (other,)) from None

    def remainder(self, other):
        try:
            return _pw.remainder(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "remainder", "remainder", (other,)) from None

    def fmod(self, other):
        try:
            return _pw.fmod(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "fmod", "fmod", (other,)) from None

    def pow(self, exponent):
        try:
            return _pw.pow(self, exponent)
        except TypeError as error:
            raise _operands.method_error(error, "pow", "pow", (exponent,)) from None

    def neg(self):
        return _pw.neg(self)

    negative = neg

    def abs(self):
        return _pw.abs(self)

    absolute = abs

    def sign(self):
        return _pw.sign(self)

    def sgn(self):
        return _pw.sgn(self)

    def signbit(self):
        return _pw.signbit(self)

    def exp(self):
        return _pw.exp(self)

    def exp2(self):
        return _pw.exp2(self)

    def expm1(self):
        return _pw.expm1(self)

    def log(self):
        return _pw.log(self)

    def log2(self):
        return _pw.log2(self)

    def log10(self):
        return _pw.log10(self)

    def log1p(self):
        return _pw.log1p(self)

    def sqrt(self):
        return _pw.sqrt(self)

    def rsqrt(self):
        return _pw.rsqrt(self)

    def square(self):
        return _pw.square(self)

    def sin(self):
        return _pw.sin(self)

    def cos(self):
        return _pw.cos(self)

    def tan(self):
        return _pw.tan(self)

    def asin(self):
        return _pw.asin(self)

    arcsin = asin

    def acos(self):
        return _pw.acos(self)

    arccos = acos

    def atan(self):
        return _pw.atan(self)

    arctan = atan

    def atan2(self, other):
        try:
            return _pw.atan2(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "atan2", "atan2", (other,)) from None

    arctan2 = atan2

    def hypot(self, other):
        try:
            return _pw.hypot(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "hypot", "hypot", (other,)) from None

    def copysign(self, other):
        return _pw.copysign(self, other)

    def xlogy(self, other):
        return _pw.xlogy(self, other)

    def logaddexp(self, other):
        return _pw.logaddexp(self, other)

    def logaddexp2(self, other):
        return _pw.logaddexp2(self, other)

    def fmax(self, other):
        return _pw.fmax(self, other)

    def fmin(self, other):
        return _pw.fmin(self, other)

    def heaviside(self, values):
        return _pw.heaviside(self, values)

    def float_power(self, exponent):
        return _pw.float_power(self, exponent)

    def logit(self, eps=None):
        return _pw.logit(self, eps)

    def deg2rad(self):
        return _pw.deg2rad(self)

    def rad2deg(self):
        return _pw.rad2deg(self)

    def sinh(self):
        return _pw.sinh(self)

    def cosh(self):
        return _pw.cosh(self)

    def tanh(self):
        return _pw.tanh(self)

    def sigmoid(self):
        return _pw.sigmoid(self)

    def relu(self):
        return _pw.relu(self)

    def erf(self):
        return _pw.erf(self)

    def clamp(self, min=_NOT_GIVEN, max=_NOT_GIVEN):  # noqa: A002 - torch's argument names
        # (_NOT_GIVEN: None, told apart from a None passed, which torch's errors list)
        try:
            return _pw.clamp(self, None if min is _NOT_GIVEN else min,
                             None if max is _NOT_GIVEN else max)
        except TypeError:  # (the function's words: the method's, where the parser refused)
            _inplace_functions().check_clamp_arguments("clamp", (min, max))
            raise

    def clip(self, min=_NOT_GIVEN, max=_NOT_GIVEN):  # noqa: A002 - torch's argument names
        # (_NOT_GIVEN: None, told apart from a None passed, which torch's errors list)
        try:
            return _pw.clamp(self, None if min is _NOT_GIVEN else min,
                             None if max is _NOT_GIVEN else max)
        except TypeError:
            _inplace_functions().check_clamp_arguments("clip", (min, max))
            raise

    def clamp_min(self, min):  # noqa: A002
        try:
            return _pw.clamp_min(self, min)
        except (TypeError, RuntimeError):  # (a None bound: torch's parser refuses it)
            _inplace_functions().check_clamp_arguments("clamp_min", (min,))
            raise

    def clamp_max(self, max):  # noqa: A002
        try:
            return _pw.clamp_max(self, max)
        except (TypeError, RuntimeError):  # (a None bound: torch's parser refuses it)
            _inplace_functions().check_clamp_arguments("clamp_max", (max,))
            raise

    def floor(self):
        return _pw.floor(self)

    def ceil(self):
        return _pw.ceil(self)

    def round(self, *, decimals=None):
        return _pw.round(self, decimals=decimals)

    def trunc(self):
        return _pw.trunc(self)

    fix = trunc

    def frac(self):
        return _pw.frac(self)

    def reciprocal(self):
        return _pw.reciprocal(self)

    def maximum(self, other):
        try:
            return _pw.maximum(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "maximum", "maximum", (other,)) from None

    def minimum(self, other):
        try:
            return _pw.minimum(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "minimum", "minimum", (other,)) from None

    def lerp(self, end, weight):
        return _pw.lerp(self, end, weight)

    def where(self, condition, other):
        return _pw.where(condition, self, other)

    def eq(self, other):
        try:
            return _pw.eq(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "eq", "eq", (other,)) from None

    def ne(self, other):
        try:
            return _pw.ne(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "ne", "ne", (other,)) from None

    def not_equal(self, other):
        try:
            return _pw.ne(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "ne", "not_equal", (other,)) from None

    def lt(self, other):
        try:
            return _pw.lt(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "lt", "lt", (other,)) from None

    def less(self, other):
        try:
            return _pw.lt(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "lt", "less", (other,)) from None

    def le(self, other):
        try:
            return _pw.le(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "le", "le", (other,)) from None

    def less_equal(self, other):
        try:
            return _pw.le(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "le", "less_equal", (other,)) from None

    def gt(self, other):
        try:
            return _pw.gt(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "gt", "gt", (other,)) from None

    def greater(self, other):
        try:
            return _pw.gt(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "gt", "greater", (other,)) from None

    def ge(self, other):
        try:
            return _pw.ge(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "ge", "ge", (other,)) from None

    def greater_equal(self, other):
        try:
            return _pw.ge(self, other)
        except TypeError as error:
            raise _operands.method_error(error, "ge", "greater_equal", (other,)) from None

    def equal(self, other) -> builtins.bool:
        return _pw.equal(self, other)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> builtins.bool:
        return _pw.allclose(self, other, rtol, atol, equal_nan)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _pw.isclose(self, other, rtol, atol, equal_nan)

    def logical_and(self, other):
        return _pw.logical_and(self, other)

    def logical_or(self, other):
        return _pw.logical_or(self, other)

    def logical_xor(self, other):
        return _pw.logical_xor(self, other)

    def logical_not(self):
        return _pw.logical_not(self)

    def bitwise_and(self, other):
        return _pw.bitwise_and(self, other)

    def bitwise_or(self, other):
        return _pw.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return _pw.bitwise_xor(self, other)

    def bitwise_not(self):
        return _pw.bitwise_not(self)

    def isnan(self):
        return _pw.isnan(self)

    def isinf(self):
        return _pw.isinf(self)

    def isfinite(self):
        return _pw.isfinite(self)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _pw.nan_to_num(self, nan, posinf, neginf)

    # --------------------------------------------------------------------------------
    # reductions

    @numpy_names
    def sum(self, dim=_NO_DIM, keepdim=_OMITTED, *, dtype=None):
        if dim is _NO_DIM and keepdim is _OMITTED and dtype is None \
                and self._data.dtype.kind == "f":  # loss.sum(), as the arithmetic dunders
            return _sums.SumAll.apply_unary(self)
        dim, keepdim = _dim_keepdim("sum", dim, keepdim, dtype, _sums._SUM_SIGNATURES)
        return _red.sum(self, dim, keepdim, dtype=dtype)

    @numpy_names
    def mean(self, dim=_NO_DIM, keepdim=_OMITTED, *, dtype=None):
        if dim is _NO_DIM and keepdim is _OMITTED and dtype is None \
                and self._data.dtype.kind == "f":  # loss.mean()
            return _sums.MeanAll.apply_unary(self)
        dim, keepdim = _dim_keepdim("mean", dim, keepdim, dtype, _sums._SUM_SIGNATURES)
        return _red.mean(self, dim, keepdim, dtype=dtype)

    @numpy_names
    def prod(self, dim=_NO_DIM, keepdim=_OMITTED, *, dtype=None):
        if dim is None:  # (torch has no prod(None): its overloads are () and (int dim))
            raise _shape_common._invalid_combination(
                "prod", (None,), {}, _sums._PROD_SIGNATURES)
        dim, keepdim = _dim_keepdim("prod", dim, keepdim, dtype, _sums._PROD_SIGNATURES)
        if dim is None:  # (the function's overload without dim: no keepdim to pass)
            return _red.prod(self, dtype=dtype)
        return _red.prod(self, dim, keepdim, dtype=dtype)

    @numpy_names
    def max(self, dim=_NO_DIM, keepdim=_OMITTED):
        if dim is None or not (type(dim) is int or dim is _NO_DIM or isinstance(dim, Tensor)
                               or _shape_common._is_size(dim)):
            raise _shape_common._invalid_combination("max", (dim,), {}, _MAX_MIN_SIGNATURES)
        if keepdim is _OMITTED and isinstance(dim, Tensor):  # max(other)
            return _red.max(self, dim)
        dim, keepdim = _dim_keepdim("max", dim, keepdim, None, _MAX_MIN_SIGNATURES)
        return _red.max(self) if dim is None else _red.max(self, dim, keepdim)

    @numpy_names
    def min(self, dim=_NO_DIM, keepdim=_OMITTED):
        if dim is None or not (type(dim) is int or dim is _NO_DIM or isinstance(dim, Tensor)
                               or _shape_common._is_size(dim)):
            raise _shape_common._invalid_combination("min", (dim,), {}, _MAX_MIN_SIGNATURES)
        if keepdim is _OMITTED and isinstance(dim, Tensor):  # min(other)
            return _red.min(self, dim)
        dim, keepdim = _dim_keepdim("min", dim, keepdim, None, _MAX_MIN_SIGNATURES)
        return _red.min(self) if dim is None else _red.min(self, dim, keepdim)

    @numpy_names
    def amax(self, dim=(), keepdim=False):
        return _red.amax(self, dim, keepdim)

    @numpy_names
    def amin(self, dim=(), keepdim=False):
        return _red.amin(self, dim, keepdim)

    @numpy_names
    def argmax(self, dim=None, keepdim=False):
        if type(dim) is not int and dim is not None:
            dim = _shape_common._int(dim, "argmax", "dim", 1)
        return _red.argmax(self, dim, keepdim)

    @numpy_names
    def argmin(self, dim=None, keepdim=False):
        if type(dim) is not int and dim is not None:
            dim = _shape_common._int(dim, "argmin", "dim", 1)
        return _red.argmin(self, dim, keepdim)

    @numpy_names
    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _red.nansum(self, dim, keepdim, dtype=dtype)

    @numpy_names
    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _red.nanmean(self, dim, keepdim, dtype=dtype)

    @numpy_names
    def median(self, dim=_NO_DIM, keepdim=_OMITTED):
        if type(dim) is not int and dim is not _NO_DIM:  # (None too: torch's TypeError)
            dim = _shape_common._int(dim, "median", "dim", 1)
        if dim is _NO_DIM and keepdim is not _OMITTED:  # (torch's median() takes no keepdim)
            raise TypeError('median() missing 1 required positional arguments: "dim"')
        if dim is _NO_DIM:
            return _red.median(self)
        return _red.median(self, dim, False if keepdim is _OMITTED else keepdim)

    @numpy_names
    def nanmedian(self, dim=_NO_DIM, keepdim=_OMITTED):
        if type(dim) is not int and dim is not _NO_DIM:
            dim = _shape_common._int(dim, "nanmedian", "dim", 1)
        if dim is _NO_DIM and keepdim is not _OMITTED:
            raise TypeError('nanmedian() missing 1 required positional arguments: "dim"')
        if dim is _NO_DIM:
            return _red.nanmedian(self)
        return _red.nanmedian(self, dim, False if keepdim is _OMITTED else keepdim)

    @numpy_names
    def mode(self, dim=-1, keepdim=False):
        if type(dim) is not int:
            dim = _shape_common._int(dim, "mode", "dim", 1)
        return _red.mode(self, dim, keepdim)

    def msort(self):
        return _red.msort(self)

    @numpy_names
    def softmax(self, dim, dtype=None):
        if type(dim) is not builtins.int:  # (None too: only F.softmax picks a dim itself)
            dim = dim_arg(dim, "softmax", 1)
        return _softmax.softmax(self, dim, dtype=dtype)

    @numpy_names
    def log_softmax(self, dim, dtype=None):
        if type(dim) is not builtins.int:
            dim = dim_arg(dim, "log_softmax", 1)
        return _softmax.log_softmax(self, dim, dtype=dtype)

    @numpy_names
    def logsumexp(self, dim, keepdim=False):
        return _red.logsumexp(self, dim, keepdim)

    @numpy_names
    def logcumsumexp(self, dim):
        return _red.logcumsumexp(self, dim)

    def var(self, *args, **kwargs):
        """As ``torchlet.var(self, ...)`` (its defaults tell an argument not given from
        None, as torch's overloads do), without ``out``."""
        if "out" in kwargs:
            raise TypeError("var() got an unexpected keyword argument 'out'")
        try:
            return _red.var(self, *args, **kwargs)
        except TypeError as error:
            raise _red.statistics.moment_method_error(error) from None

    def std(self, *args, **kwargs):
        """As ``var``."""
        if "out" in kwargs:
            raise TypeError("std() got an unexpected keyword argument 'out'")
        try:
            return _red.std(self, *args, **kwargs)
        except TypeError as error:
            raise _red.statistics.moment_method_error(error) from None

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return _red.norm(self, p, dim, keepdim, dtype=dtype)

    @numpy_names
    def all(self, dim=None, keepdim=False):
        return _red.all(self, dim, keepdim)

    @numpy_names
    def any(self, dim=None, keepdim=False):
        return _red.any(self, dim, keepdim)

    @numpy_names
    def cumsum(self, dim, *, dtype=None):
        return _red.cumsum(self, dim, dtype=dtype)

    @numpy_names
    def cumprod(self, dim, *, dtype=None):
        return _red.cumprod(self, dim, dtype=dtype)

    @numpy_names
    def cummax(self, dim):
        return _red.cummax(self, dim)

    @numpy_names
    def cummin(self, dim):
        return _red.cummin(self, dim)

    @numpy_names
    def sort(self, *args, stable=_NOT_GIVEN, dim=_NOT_GIVEN, descending=_NOT_GIVEN):
        # (torch's two overloads: given stable, even None, dim and descending are keywords)
        dim, descending = _sorting.sort_arguments("sort", self, args, stable, dim, descending,
                                                  method=True)
        return _red.sort(self, dim=dim, descending=descending, stable=stable)

    @numpy_names
    def argsort(self, *args, stable=_NOT_GIVEN, dim=_NOT_GIVEN, descending=_NOT_GIVEN):
        dim, descending = _sorting.sort_arguments("argsort", self, args, stable, dim,
                                                  descending, method=True)
        return _red.argsort(self, dim=dim, descending=descending, stable=stable)

    @numpy_names
    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002
        if type(k) is not int or type(dim) is not int:
            k, dim = _shape_common._int_args("topk", ("k", "dim"), (k, dim))
        return _red.topk(self, k, dim, largest, sorted)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        return _red.unique(self, sorted, return_inverse, return_counts, dim)

    @numpy_names
    def count_nonzero(self, dim=None):
        return _red.count_nonzero(self, dim)

    # --------------------------------------------------------------------------------
    # shape

    @property
    def T(self):  # noqa: N802 - torch's name
        """The dimensions reversed; torch deprecates it on tensors that are not 2-D."""
        ndim = self._data.ndim
        if ndim != 2:
            _warn_once(_T_OF_0D_WARNING if ndim == 0 else _T_NOT_2D_WARNING)
        return _shape.permute(self, tuple(range(ndim - 1, -1, -1)))

    @property
    def mT(self):  # noqa: N802
        if self._data.ndim == 0:  # torch passes a 0-D tensor through, deprecated
            _warn_once("Tensor.mT is deprecated on 0-D tensors. This function is the identity "
                       "in these cases.")
            return self
        if self._data.ndim < 2:
            raise RuntimeError(
                "tensor.mT is only supported on matrices or batches of matrices. Got "
                f"{self._data.ndim}-D tensor."
            )
        return _shape.transpose(self, -2, -1)

    def reshape(self, *shape, **kwargs):
        return _shape.reshape(self, _sizes("reshape", "shape", shape, kwargs))

    def reshape_as(self, other):
        return _shape.reshape(self, other.shape)

    def view(self, *shape, **kwargs):
        if shape and not kwargs:
            if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
                return _shape.view_dtype(self, shape[0])
            return _shape.view(self, _sizes("view", "size", shape, kwargs, _VIEW_SIGNATURES))
        if not shape and len(kwargs) == 1:
            if "dtype" in kwargs:
                return _shape.view_dtype(self, kwargs["dtype"])
            if "size" in kwargs:
                return _shape.view(self, _sizes("view", "size", shape, kwargs))
        raise _shape_common._invalid_combination("view", shape, kwargs, _VIEW_SIGNATURES)

    def view_as(self, other):
        return _shape.view(self, other.shape)

    # (The methods with int arguments read them here when they are not plain ints, so
    # that a TypeError counts them as torch's method does, from 1 after self.)

    def flatten(self, start_dim=0, end_dim=-1):
        if type(start_dim) is not int or type(end_dim) is not int:
            start_dim, end_dim = _shape_common._int_args(
                "flatten", ("start_dim", "end_dim"), (start_dim, end_dim))
        return _shape.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        if not sizes:  # (torch's Python method tests this first, by truth: sizes=0, None)
            raise RuntimeError("unflatten: sizes must be non-empty")
        dim = _shape_common._int(dim, "unflatten", "dim", 1)
        return _shape.unflatten(self, dim, _shape_common._ints(sizes, "unflatten", "sizes", 2))

    @numpy_names
    def squeeze(self, dim=_NO_DIM):
        if type(dim) is not int and dim is not _NO_DIM:
            dim = _shape_common.squeeze_dim(dim)
        return _shape.squeeze(self, dim)

    @numpy_names
    def unsqueeze(self, dim):
        if type(dim) is not int:
            dim = _shape_common._int(dim, "unsqueeze", "dim", 1)
        return _shape.unsqueeze(self, dim)

    def transpose(self, dim0, dim1):
        if type(dim0) is not int or type(dim1) is not int:
            dim0, dim1 = _shape_common._int_args("transpose", ("dim0", "dim1"), (dim0, dim1))
        return _shape.transpose(self, dim0, dim1)

    swapaxes = swapdims = transpose

    def permute(self, *dims, **kwargs):
        return _shape.permute_ints(self, _sizes("permute", "dims", dims, kwargs))

    def movedim(self, source, destination):
        if type(source) is not int or type(destination) is not int:
            source, destination = _shape_common.movedim_dims(source, destination)
        return _shape.movedim(self, source, destination)

    moveaxis = movedim

    def t(self):
        return _shape.t(self)

    def expand(self, *sizes, **kwargs):
        if kwargs and "implicit" in kwargs:  # (torch's flag for tracing: read, unused)
            implicit = kwargs.pop("implicit")
            if not isinstance(implicit, builtins.bool):
                raise TypeError("expand(): argument 'implicit' must be bool, not "
                                f"{_dtype.type_name(implicit)}")
        return _shape.expand(self, _sizes("expand", "size", sizes, kwargs))

    def expand_as(self, other):
        return _shape.expand(self, other.shape)

    def broadcast_to(self, shape):
        return _shape.broadcast_to(self, shape)

    def repeat(self, *sizes, **kwargs):
        return _shape.repeat(self, _sizes("repeat", "repeats", sizes, kwargs))

    def tile(self, *dims, **kwargs):
        return _shape.tile(self, _sizes("tile", "dims", dims, kwargs))

    @numpy_names
    def repeat_interleave(self, repeats=_REQUIRED, dim=None, *, output_size=None):
        if repeats is _REQUIRED:  # only torch.repeat_interleave(t) reads t as the repeats
            raise TypeError(_REPEAT_INTERLEAVE_ARGUMENTS)
        return _shape.repeat_interleave(self, repeats, dim, output_size=output_size)

    def ravel(self):
        return _shape.ravel(self)

    def fliplr(self):
        return _shape.fliplr(self)

    def flipud(self):
        return _shape.flipud(self)

    def diag(self, diagonal=0):
        if type(diagonal) is not int:
            diagonal = _shape_common._int(diagonal, "diag", "diagonal", 1)
        return _shape.diag(self, diagonal)

    @numpy_names
    def tensor_split(self, indices_or_sections, dim=0):
        return _shape.tensor_split(self, indices_or_sections, dim)

    def split(self, split_size, dim=0):
        return _shape.split(self, split_size, dim)

    @numpy_names
    def chunk(self, chunks, dim=0):
        if type(chunks) is not int or type(dim) is not int:
            chunks, dim = _shape_common._int_args("chunk", ("chunks", "dim"), (chunks, dim))
        return _shape.chunk(self, chunks, dim)

    @numpy_names
    def unbind(self, dim=0):
        if type(dim) is not int:
            dim = _shape_common._int(dim, "unbind", "dim", 1)
        return _shape.unbind(self, dim)

    @numpy_names
    def narrow(self, dim, start, length):
        if type(dim) is not int or type(start) is not int or type(length) is not int:
            dim, start, length = _shape_common.narrow_args(dim, start, length)
        return _shape.narrow(self, dim, start, length)

    @numpy_names
    def select(self, dim, index):
        if type(dim) is not int or type(index) is not int:
            dim, index = _shape_common._int_args("select", ("dim", "index"), (dim, index))
        return _shape.select(self, dim, index)

    def flip(self, *dims, **kwargs):
        return _shape.flip(self, _sizes("flip", "dims", dims, kwargs))

    def roll(self, shifts, dims=None):
        shifts = _shape_common._int_list(shifts, "roll", "shifts", 1, single=True)
        if dims is not None:
            dims = _shape_common._int_list(dims, "roll", "dims", 2, single=True)
        return _shape.roll(self, shifts, dims)

    @numpy_names
    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return _shape.diff(self, n, dim, prepend, append)

    def tril(self, diagonal=0):
        return _shape.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _shape.triu(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        if type(offset) is not int or type(dim1) is not int or type(dim2) is not int:
            offset, dim1, dim2 = _shape_common._int_args(
                "diagonal", ("offset", "dim1", "dim2"), (offset, dim1, dim2))
        return _shape.diagonal(self, offset, dim1, dim2)

    def sum_to_size(self, *size):
        return _shape.sum_to_size(self, _shape_args(size))

    # --------------------------------------------------------------------------------
    # indexing

    def __getitem__(self, index):
        return _idx.getitem(self, index)

    def __setitem__(self, index, value):
        if (isinstance(value, Tensor) and is_meta_array(value._data)
                and not is_meta_array(self._data)):
            raise NotImplementedError(_NO_META_DATA)  # (a meta value has none to write)
        _idx.setitem(self, index, value)  # (on meta: checks as torch's, writes nothing)

    def __delitem__(self, index):
        raise TypeError("Tensor does not support deleting items")  # (torch's own words)

    @numpy_names
    def gather(self, dim, index):
        if type(dim) is not int:
            dim = _shape_common._int(dim, "gather", "dim", 1)
        try:
            return _idx.gather(self, dim, index)
        except TypeError as error:  # (the function's words: the method's)
            raise _method_error(error, "gather", (dim, index)) from None

    @numpy_names
    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        if type(dim) is not int:
            dim = _shape_common._int(dim, "scatter", "dim", 1)
        try:
            return _idx.scatter(self, dim, index, src, value=value, reduce=reduce)
        except TypeError as error:
            given = {k: v for k, v in (("value", value), ("reduce", reduce)) if v is not None}
            args = (dim, index) if src is None else (dim, index, src)
            raise _method_error(error, "scatter", args, given) from None

    @numpy_names
    def scatter_add(self, dim, index, src):
        try:
            return _idx.scatter_add(self, dim, index, src)
        except TypeError as error:
            raise _method_error(error, "scatter_add", (dim, index, src)) from None

    @numpy_names
    def index_select(self, dim, index):
        if type(dim) is not int:
            dim = _shape_common._int(dim, "index_select", "dim", 1)
        try:
            return _idx.index_select(self, dim, index)
        except TypeError as error:
            raise _method_error(error, "index_select", (dim, index)) from None

    @numpy_names
    def index_add(self, dim, index, source, *, alpha=1):
        return _idx.index_add(self, dim, index, source, alpha=alpha)

    def masked_fill(self, mask, value):
        try:
            return _idx.masked_fill(self, mask, value)
        except TypeError as error:
            raise _method_error(error, "masked_fill", (mask, value)) from None

    def masked_select(self, mask):
        try:
            return _idx.masked_select(self, mask)
        except TypeError as error:
            raise _method_error(error, "masked_select", (mask,)) from None

    @numpy_names
    def take_along_dim(self, indices, dim=None):
        return _idx.take_along_dim(self, indices, dim)

    def nonzero(self, *, as_tuple=False):
        return _idx.nonzero(self, as_tuple=as_tuple)

    def take(self, index):
        try:
            return _idx.take(self, index)
        except TypeError as error:
            raise _method_error(error, "take", (index,)) from None

    @numpy_names
    def index_fill(self, dim, index, value):
        try:
            return _idx.index_fill(self, dim, index, value)
        except TypeError:  # (the function's words: the method's, where the parser refused)
            from torchlet._ops.indexing.index_more import check_index_fill_arguments

            check_index_fill_arguments("index_fill", (dim, index, value), function=False)
            raise

    def masked_scatter(self, mask, source):
        try:
            return _idx.masked_scatter(self, mask, source)
        except TypeError as error:
            raise _method_error(error, "masked_scatter", (mask, source)) from None

    @numpy_names
    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return _idx.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def index_put(self, indices, values, accumulate=False):
        return _idx.index_put(self, indices, values, accumulate)

    def argwhere(self):
        return _idx.argwhere(self)

    # --------------------------------------------------------------------------------
    # linear algebra

    def matmul(self, other):
        return _la.matmul(self, other)

    def mm(self, mat2):
        return _la.mm(self, mat2)

    def bmm(self, mat2):
        return _la.bmm(self, mat2)

    def mv(self, vec):
        return _la.mv(self, vec)

    def dot(self, other):
        return _la.dot(self, other)

    def outer(self, vec2):
        return _la.outer(self, vec2)

    def vdot(self, other):
        return _la.vdot(self, other)

    def ger(self, vec2):
        return _la.ger(self, vec2)

    def inner(self, other):
        return _la.inner(self, other)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _la.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        return _inplace(self, _la.addmm, mat1, mat2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _la.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return _inplace(self, _la.baddbmm, batch1, batch2, beta=beta, alpha=alpha)

    # --------------------------------------------------------------------------------
    # in-place operations: computed out of place, then written into this tensor

    def add_(self, other, *, alpha=1):
        return _inplace(self, _pw.add, other, alpha=alpha)

    def sub_(self, other, *, alpha=1):
        return _inplace(self, _pw.sub, other, alpha=alpha)

    def subtract_(self, other, *, alpha=1):
        try:
            return _inplace(self, _pw.sub, other, alpha=alpha)
        except TypeError as error:
            raise _arith.method_alias_error(error, "sub_", "subtract_", other, {"alpha": alpha}) \
                from None

    def mul_(self, other):
        return _inplace(self, _pw.mul, other)

    def multiply_(self, other):
        try:
            return _inplace(self, _pw.mul, other)
        except TypeError as error:
            raise _arith.method_alias_error(error, "mul_", "multiply_", other) from None

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return _inplace(self, _pw.addcmul, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return _inplace(self, _pw.addcdiv, tensor1, tensor2, value=value)

    def div_(self, other, *, rounding_mode=None):
        return _inplace(self, _pw.div, other, rounding_mode=rounding_mode)

    def divide_(self, other, *, rounding_mode=None):
        try:
            return _inplace(self, _pw.div, other, rounding_mode=rounding_mode)
        except TypeError as error:
            raise _arith.method_alias_error(error, "div_", "divide_", other,
                                     {"rounding_mode": rounding_mode}) from None

    def true_divide_(self, other):
        try:
            return _inplace(self, _pw.div, other)
        except TypeError as error:
            raise _arith.method_alias_error(error, "div_", "true_divide_", other) from None

    def floor_divide_(self, other):
        return _inplace(self, _pw.floor_divide, other)

    def remainder_(self, other):
        return _inplace(self, _pw.remainder, other)

    def fmod_(self, other):
        return _inplace(self, _pw.fmod, other)

    def pow_(self, exponent):
        return _inplace(self, _pw.pow, exponent)

    def neg_(self):
        return _inplace(self, _pw.neg)

    def abs_(self):
        return _inplace(self, _pw.abs)

    def sign_(self):
        return _inplace(self, _pw.sign)

    def exp_(self):
        return _inplace(self, _pw.exp)

    def log_(self):
        return _inplace(self, _pw.log)

    def sqrt_(self):
        return _inplace(self, _pw.sqrt)

    def square_(self):
        return _inplace(self, _pw.square)

    def sin_(self):
        return _inplace(self, _pw.sin)

    def cos_(self):
        return _inplace(self, _pw.cos)

    def tanh_(self):
        return _inplace(self, _pw.tanh)

    def sigmoid_(self):
        return _inplace(self, _pw.sigmoid)

    def relu_(self):
        return _inplace(self, _pw.relu)

    def clamp_(self, min=_NOT_GIVEN, max=_NOT_GIVEN):  # noqa: A002 - (None: _NOT_GIVEN)
        return _clamp_inplace(self, "clamp_", _pw.clamp, min, max)

    def clip_(self, min=_NOT_GIVEN, max=_NOT_GIVEN):  # noqa: A002 - (None: _NOT_GIVEN)
        return _clamp_inplace(self, "clip_", _pw.clamp, min, max)

    def clamp_min_(self, min):  # noqa: A002
        return _clamp_inplace(self, "clamp_min_", _pw.clamp_min, min)

    def clamp_max_(self, max):  # noqa: A002
        return _clamp_inplace(self, "clamp_max_", _pw.clamp_max, max)

    def floor_(self):
        return _inplace(self, _pw.floor)

    def ceil_(self):
        return _inplace(self, _pw.ceil)

    def round_(self, *, decimals=None):
        return _inplace(self, _pw.round, decimals=decimals)

    def trunc_(self):
        return _inplace(self, _pw.trunc)

    def reciprocal_(self):
        return _inplace(self, _pw.reciprocal)

    def lerp_(self, end, weight):
        if not isinstance(end, Tensor) or not isinstance(weight, (Tensor, *_NUMBER)):
            raise _operands.invalid_combination("lerp_", (end, weight), (
                "Tensor end, Tensor weight", "Tensor end, Number weight"))
        return _inplace(self, _pw.lerp, end, weight)

    def hypot_(self, other):
        return _inplace(self, _pw.hypot, other)

    def copysign_(self, other):
        return _inplace(self, _pw.copysign, other)

    def xlogy_(self, other):
        return _inplace(self, _pw.xlogy, other)

    def heaviside_(self, values):
        return _inplace(self, _pw.heaviside, values)

    def float_power_(self, exponent):
        _pw.check_float_power_(self)
        return _inplace(self, _pw.float_power, exponent)

    def logit_(self, eps=None):
        return _inplace(self, _pw.logit, eps)

    def deg2rad_(self):
        return _inplace(self, _pw.deg2rad)

    def rad2deg_(self):
        return _inplace(self, _pw.rad2deg)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return _inplace(self, _pw.nan_to_num, nan, posinf, neginf)

    def logical_not_(self):
        return _inplace(self, _pw.logical_not)

    def masked_fill_(self, mask, value):
        if not isinstance(mask, Tensor):  # (torch's parser, before the leaf check)
            raise _operands.invalid_combination("masked_fill_", (mask, value), (
                "Tensor mask, Tensor value", "Tensor mask, Number value"))
        return _inplace(self, _idx.masked_fill, mask, value)

    @numpy_names
    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return _inplace(self, _idx.scatter, dim, index, src, value=value, reduce=reduce)

    @numpy_names
    def scatter_add_(self, dim, index, src):
        return _inplace(self, _idx.scatter_add, dim, index, src)

    @numpy_names
    def index_add_(self, dim, index, source, *, alpha=1):
        return _inplace(self, _idx.index_add, dim, index, source, alpha=alpha)

    @numpy_names
    def index_fill_(self, dim, index, value):
        if (type(dim) is not int and not isinstance(dim, np.integer)) or (
                not isinstance(index, Tensor) or not isinstance(value, (Tensor, *_NUMBER))):
            raise _operands.invalid_combination("index_fill_", (dim, index, value), (
                "int dim, Tensor index, Tensor value", "int dim, Tensor index, Number value"))
        return _inplace(self, _idx.index_fill, dim, index, value)

    def masked_scatter_(self, mask, source):
        return _inplace(self, _idx.masked_scatter, mask, source)

    @numpy_names
    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return _inplace(self, _idx.scatter_reduce, dim, index, src, reduce,
                        include_self=include_self)

    def index_put_(self, indices, values, accumulate=False):
        return _inplace(self, _idx.index_put, indices, values, accumulate)

    def zero_(self, *args):
        if args:
            raise _no_arguments("zero_", args)
        return _inplace(self, _pw.zero_value)

    def fill_(self, value):
        if not isinstance(value, (Tensor, *_NUMBER)):  # (torch's parser, before the leaf check)
            raise _operands.invalid_combination("fill_", (value,), ("Tensor value", "Number value"))
        return _inplace(self, _pw.full_like_value, value, in_place=True)

    def copy_(self, src, non_blocking=False):
        if non_blocking is not False and non_blocking is not True:  # (before the leaf check)
            raise TypeError("copy_(): argument 'non_blocking' must be bool, not "
                            f"{_dtype.type_name(non_blocking)}")
        return _inplace(self, _pw.copy_from, src)

    def tril_(self, diagonal=0):
        return _inplace(self, _shape.tril, diagonal)

    def triu_(self, diagonal=0):
        return _inplace(self, _shape.triu, diagonal)

    # --------------------------------------------------------------------------------
    # random fills (PyTorch's generator, bit for bit; on a meta tensor none: _random_fill)

    def uniform_(self, from_=0.0, to=1.0, *, generator=None):
        _check_floats("uniform_", ("from", "to"), (from_, to))
        return _random_fill(_rand.uniform_, self, from_, to, generator=generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        _check_floats("normal_", ("mean", "std"), (mean, std))
        return _random_fill(_rand.normal_, self, mean, std, generator=generator)

    def random_(self, from_=_NOT_GIVEN, to=_NOT_GIVEN, *, generator=None):
        # (_NOT_GIVEN: torch's overloads tell random_(1, None), from 1 up, from random_(1))
        return _random_fill(_rand.random_, self, from_, to, generator=generator)

    def bernoulli_(self, p=_NOT_GIVEN, *, generator=None):  # (p=0.5: _NOT_GIVEN, for errors)
        return _random_fill(_rand.bernoulli_, self, p, generator=generator)

    def bernoulli(self, p=_NOT_GIVEN, *, generator=None):
        return _rand.tensor_bernoulli(self, p, generator)

    def exponential_(self, lambd=1.0, *, generator=None):
        _check_floats("exponential_", ("lambd",), (lambd,))
        return _random_fill(_rand.exponential_, self, lambd, generator=generator)

    def geometric_(self, p, *, generator=None):
        _check_floats("geometric_", ("p",), (p,))
        return _random_fill(_rand.geometric_, self, p, generator=generator)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        _check_floats("log_normal_", ("mean", "std"), (mean, std))
        return _random_fill(_rand.log_normal_, self, mean, std, generator=generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        _check_floats("cauchy_", ("median", "sigma"), (median, sigma))
        return _random_fill(_rand.cauchy_, self, median, sigma, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _rand.multinomial(self, num_samples, replacement, generator=generator)

    # --------------------------------------------------------------------------------
    # special functions (erfc, erfinv, lgamma, digamma, ...), integer and bit helpers

    def erfc(self):
        return _pw.erfc(self)

    def erfc_(self):
        return _inplace(self, _pw.erfc)

    def erfinv(self):
        return _pw.erfinv(self)

    def erfinv_(self):
        return _inplace(self, _pw.erfinv)

    def lgamma(self):
        return _pw.lgamma(self)

    def lgamma_(self):
        return _inplace(self, _pw.lgamma)

    def digamma(self):
        return _pw.digamma(self)

    def digamma_(self):
        return _inplace(self, _pw.digamma)

    def polygamma(self, n):
        return _pw.polygamma(n, self)

    def polygamma_(self, n):
        return _inplace(self, _pw.polygamma_for_inplace, n)

    def mvlgamma(self, p):
        return _pw.mvlgamma(self, p)

    def mvlgamma_(self, p):
        return _inplace(self, _pw.mvlgamma, p)

    def i0(self):
        return _pw.i0(self)

    def i0_(self):
        return _inplace(self, _pw.i0)

    def sinc(self):
        return _pw.sinc(self)

    def sinc_(self):
        return _inplace(self, _pw.sinc)

    def gcd(self, other):
        return _pw.gcd(self, other)

    def gcd_(self, other):
        return _inplace(self, _pw.gcd, other)

    def lcm(self, other):
        return _pw.lcm(self, other)

    def lcm_(self, other):
        return _inplace(self, _pw.lcm, other)

    def bitwise_left_shift(self, other):
        return _pw.bitwise_left_shift(self, other)

    def bitwise_left_shift_(self, other):
        return _inplace(self, _pw.bitwise_left_shift, other)

    def bitwise_right_shift(self, other):
        return _pw.bitwise_right_shift(self, other)

    def bitwise_right_shift_(self, other):
        return _inplace(self, _pw.bitwise_right_shift, other)

    def __lshift__(self, other):
        try:
            return _pw.bitwise_left_shift(self, other)
        except TypeError:
            return NotImplemented

    def __rlshift__(self, other):
        try:
            return _pw.bitwise_left_shift(other, self)
        except TypeError:
            return NotImplemented

    def __ilshift__(self, other):
        try:
            return _inplace(self, _pw.bitwise_left_shift, other)
        except TypeError:
            return NotImplemented

    def __rshift__(self, other):
        try:
            return _pw.bitwise_right_shift(self, other)
        except TypeError:
            return NotImplemented

    def __rrshift__(self, other):
        try:
            return _pw.bitwise_right_shift(other, self)
        except TypeError:
            return NotImplemented

    def __irshift__(self, other):
        try:
            return _inplace(self, _pw.bitwise_right_shift, other)
        except TypeError:
            return NotImplemented

    def nextafter(self, other):
        return _pw.nextafter(self, other)

    def nextafter_(self, other):
        return _inplace(self, _pw.nextafter, other)

    def ldexp(self, other):
        return _pw.ldexp(self, other)

    def ldexp_(self, other):
        if isinstance(other, Tensor) and self._data.dtype.kind != "f":
            # torch's ldexp_ (self * 2**other) refuses a non-float self before anything else
            raise RuntimeError(f"ldexp can't be cast to the desired output type "
                               f"{_dtype.TYPE_WORDS[self._data.dtype.name]}")
        return _inplace(self, _pw.ldexp, other)

    def frexp(self):
        return _pw.frexp(self)

    def positive(self):
        return _pw.positive(self)

    # --------------------------------------------------------------------------------
    # counting, searching, quantiles

    def bincount(self, weights=None, minlength=0):
        from torchlet._ops import search

        return search.bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):  # noqa: A002
        from torchlet._ops import search

        return search.histc(self, bins, min, max)

    def histogram(self, bins, *, range=None, weight=None, density=False):  # noqa: A002
        from torchlet._ops import search

        return search.histogram(self, bins, range=range, weight=weight, density=density)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        from torchlet._ops import search

        return search.unique_consecutive(self, return_inverse, return_counts, dim)

    @numpy_names
    def kthvalue(self, k, dim=-1, keepdim=False):
        if type(k) is not int or type(dim) is not int:
            k, dim = _shape_common._int_args("kthvalue", ("k", "dim"), (k, dim))
        return _red.kthvalue(self, k, dim, keepdim)

    @numpy_names
    def aminmax(self, *, dim=None, keepdim=False):
        return _red.aminmax(self, dim=dim, keepdim=keepdim)

    @numpy_names
    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _red.quantile(self, q, dim, keepdim, interpolation=interpolation)

    @numpy_names
    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _red.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    # --------------------------------------------------------------------------------
    # matrix helpers (trace, kron, cross, ...)
    @numpy_names
    def cross(self, other, dim=None):
        from torchlet.linalg import products

        return products.cross_default_dim(self, other, dim)

    def matrix_power(self, n):
        from torchlet.linalg import products

        return products.matrix_power(self, n)

    def matrix_exp(self):
        from torchlet.linalg import products

        return products.matrix_exp(self)

    def det(self):
        from torchlet.linalg import toplevel

        return toplevel.det(self)

    def logdet(self):
        from torchlet.linalg import toplevel

        return toplevel.logdet(self)

    def slogdet(self):
        from torchlet.linalg import toplevel

        return toplevel.slogdet(self)

    def inverse(self):
        from torchlet.linalg import toplevel

        return toplevel.inverse(self)

    def pinverse(self, rcond=1e-15):
        from torchlet.linalg import spectral

        return spectral.pinverse(self, rcond)

    def cholesky(self, upper=False):
        from torchlet.linalg import toplevel

        return toplevel.cholesky(self, upper)

    def cholesky_solve(self, input2, upper=False):
        from torchlet.linalg import triangular

        return triangular.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        from torchlet.linalg import triangular

        return triangular.cholesky_inverse(self, upper)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):  # noqa: N803
        from torchlet.linalg import triangular

        return triangular.triangular_solve(self, A, upper, transpose, unitriangular)

    def lu_solve(self, LU_data, LU_pivots):  # noqa: N803
        from torchlet.linalg.lu import lu_solve_deprecated

        return lu_solve_deprecated(self, LU_data, LU_pivots)
    def trace(self):
        return _la.trace(self)

    def kron(self, other):
        return _la.kron(self, other)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _la.diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset=0):
        return _la.diagflat(self, offset)

    def rot90(self, k=1, dims=(0, 1)):
        k = _shape_common._int(k, "rot90", "k", 1)
        return _la.rot90(self, k, _shape_common._ints(dims, "rot90", "dims", 2))

    def dist(self, other, p=2):
        return _la.dist(self, other, p)

    @numpy_names
    def renorm(self, p, dim, maxnorm):
        return _la.renorm(self, p, dim, maxnorm)

    @numpy_names
    def renorm_(self, p, dim, maxnorm):
        return _inplace(self, _la.renorm, p, dim, maxnorm)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _la.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        return _inplace(self, _la.addmv, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return _la.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addr_(self, vec1, vec2, *, beta=1, alpha=1):
        return _inplace(self, _la.addr, vec1, vec2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _la.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return _inplace(self, _la.addbmm, batch1, batch2, beta=beta, alpha=alpha)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        return _la.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        return _la.corrcoef(self)

    # --------------------------------------------------------------------------------
    # inverse hyperbolic functions, more in-place forms, predicates, complex helpers

    def acosh(self):
        return _pw.acosh(self)

    def asinh(self):
        return _pw.asinh(self)

    def atanh(self):
        return _pw.atanh(self)

    def arccosh(self):
        return _pw.arccosh(self)

    def arcsinh(self):
        return _pw.arcsinh(self)

    def arctanh(self):
        return _pw.arctanh(self)

    def acosh_(self):
        from torchlet._ops.pointwise import inverse_hyperbolic

        return inverse_hyperbolic.acosh_(self)

    def asinh_(self):
        from torchlet._ops.pointwise import inverse_hyperbolic

        return inverse_hyperbolic.asinh_(self)

    def atanh_(self):
        from torchlet._ops.pointwise import inverse_hyperbolic

        return inverse_hyperbolic.atanh_(self)

    def arccosh_(self):
        from torchlet._ops.pointwise import inverse_hyperbolic

        return inverse_hyperbolic.acosh_(self)

    def arcsinh_(self):
        from torchlet._ops.pointwise import inverse_hyperbolic

        return inverse_hyperbolic.asinh_(self)

    def arctanh_(self):
        from torchlet._ops.pointwise import inverse_hyperbolic

        return inverse_hyperbolic.atanh_(self)

    def absolute_(self):
        return _inplace(self, _pw.absolute)

    def acos_(self):
        return _inplace(self, _pw.acos)

    def arccos_(self):
        return _inplace(self, _pw.arccos)

    def asin_(self):
        return _inplace(self, _pw.asin)

    def arcsin_(self):
        return _inplace(self, _pw.arcsin)

    def atan_(self):
        return _inplace(self, _pw.atan)

    def arctan_(self):
        return _inplace(self, _pw.arctan)

    def atan2_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        return _inplace(self, _pw.atan2, inplace_functions.tensor_other("atan2_", other))

    def arctan2_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        return _inplace(self, _pw.arctan2, inplace_functions.tensor_other("arctan2_", other))

    def sinh_(self):
        return _inplace(self, _pw.sinh)

    def cosh_(self):
        return _inplace(self, _pw.cosh)

    def tan_(self):
        return _inplace(self, _pw.tan)

    def erf_(self):
        return _inplace(self, _pw.erf)

    def exp2_(self):
        return _inplace(self, _pw.exp2)

    def expm1_(self):
        return _inplace(self, _pw.expm1)

    def log2_(self):
        return _inplace(self, _pw.log2)

    def log10_(self):
        return _inplace(self, _pw.log10)

    def log1p_(self):
        return _inplace(self, _pw.log1p)

    def rsqrt_(self):
        return _inplace(self, _pw.rsqrt)

    def fix_(self):
        return _inplace(self, _pw.fix)

    def frac_(self):
        return _inplace(self, _pw.frac)

    def negative_(self):
        return _inplace(self, _pw.negative)

    def sgn_(self):
        return _inplace(self, _pw.sgn)

    @numpy_names
    def cumsum_(self, dim, *, dtype=None):
        from torchlet._ops.pointwise import inplace_functions

        return inplace_functions.cumulative_(self, _red.cumsum, "cumsum", dim, dtype)

    @numpy_names
    def cumprod_(self, dim, *, dtype=None):
        from torchlet._ops.pointwise import inplace_functions

        return inplace_functions.cumulative_(self, _red.cumprod, "cumprod", dim, dtype)

    def eq_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        try:
            return inplace_functions.compare_(self, other, "eq")
        except TypeError as error:
            raise _pw.comparison.inplace_compare_error(error, "eq_", other) from None

    def ne_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        try:
            return inplace_functions.compare_(self, other, "ne")
        except TypeError as error:
            raise _pw.comparison.inplace_compare_error(error, "ne_", other) from None

    def not_equal_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        try:
            return inplace_functions.compare_(self, other, "ne")
        except TypeError as error:
            raise _pw.comparison.inplace_compare_error(error, "not_equal_", other) from None

    def lt_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        try:
            return inplace_functions.compare_(self, other, "lt")
        except TypeError as error:
            raise _pw.comparison.inplace_compare_error(error, "lt_", other) from None

    def less_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        try:
            return inplace_functions.compare_(self, other, "lt")
        except TypeError as error:
            raise _pw.comparison.inplace_compare_error(error, "less_", other) from None

    def le_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        try:
            return inplace_functions.compare_(self, other, "le")
        except TypeError as error:
            raise _pw.comparison.inplace_compare_error(error, "le_", other) from None

    def less_equal_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        try:
            return inplace_functions.compare_(self, other, "le")
        except TypeError as error:
            raise _pw.comparison.inplace_compare_error(error, "less_equal_", other) from None

    def gt_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        try:
            return inplace_functions.compare_(self, other, "gt")
        except TypeError as error:
            raise _pw.comparison.inplace_compare_error(error, "gt_", other) from None

    def greater_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        try:
            return inplace_functions.compare_(self, other, "gt")
        except TypeError as error:
            raise _pw.comparison.inplace_compare_error(error, "greater_", other) from None

    def ge_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        try:
            return inplace_functions.compare_(self, other, "ge")
        except TypeError as error:
            raise _pw.comparison.inplace_compare_error(error, "ge_", other) from None

    def greater_equal_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        try:
            return inplace_functions.compare_(self, other, "ge")
        except TypeError as error:
            raise _pw.comparison.inplace_compare_error(error, "greater_equal_", other) from None

    def logical_and_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        return inplace_functions.logical_(self, other, np.logical_and, "logical_and_")

    def logical_or_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        return inplace_functions.logical_(self, other, np.logical_or, "logical_or_")

    def logical_xor_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        return inplace_functions.logical_(self, other, np.logical_xor, "logical_xor_")

    def bitwise_and_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        return inplace_functions.bitwise_(self, _pw.bitwise_and, other)

    def bitwise_or_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        return inplace_functions.bitwise_(self, _pw.bitwise_or, other)

    def bitwise_xor_(self, other):
        from torchlet._ops.pointwise import inplace_functions

        return inplace_functions.bitwise_(self, _pw.bitwise_xor, other)

    def bitwise_not_(self):
        return _inplace(self, _pw.bitwise_not)

    def isposinf(self):
        return _pw.isposinf(self)

    def isneginf(self):
        return _pw.isneginf(self)

    def isreal(self):
        return _pw.isreal(self)

    def is_nonzero(self) -> builtins.bool:
        return _pw.is_nonzero(self)

    def is_same_size(self, other) -> builtins.bool:
        return _pw.is_same_size(self, other)

    def is_conj(self) -> builtins.bool:
        return _pw.is_conj(self)

    def is_neg(self) -> builtins.bool:
        return _pw.is_neg(self)

    def conj(self):
        return _pw.conj(self)

    def conj_physical(self):
        return _pw.conj_physical(self)

    def conj_physical_(self):
        return _pw.conj_physical_(self)

    def resolve_conj(self):
        return _pw.resolve_conj(self)

    def resolve_neg(self):
        return _pw.resolve_neg(self)

    @property
    def real(self):
        return _pw.real(self)

    @property
    def imag(self):
        return _pw.imag(self)

    def angle(self):
        return _pw.angle(self)

    def hardshrink(self, lambd=0.5):
        return _activation.hardshrink(self, lambd)

    def prelu(self, weight):
        return _activation.prelu(self, weight)

    # --------------------------------------------------------------------------------
    # runtime queries and post-accumulate-grad hooks

    @property
    def is_cpu(self) -> builtins.bool:
        return not is_meta_array(self._data)

    def get_device(self) -> builtins.int:
        return -1

    def is_inference(self) -> builtins.bool:
        """Whether this is an inference tensor: made while ``inference_mode`` was on, or a
        view of one (a view of a normal tensor stays normal)."""
        return self._inference

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(self)`` runs after backward has accumulated this leaf's ``.grad``."""
        from torchlet.autograd.function import register_post_accumulate_grad_hook

        return register_post_accumulate_grad_hook(self, hook)

    # --------------------------------------------------------------------------------
    # legacy decompositions and Householder reflectors (torchlet.linalg.qr_svd_legacy,
    # torchlet.linalg.householder)
    def qr(self, some=True):
        from torchlet.linalg import qr_svd_legacy

        return qr_svd_legacy.qr(self, some)

    def svd(self, some=True, compute_uv=True):
        from torchlet.linalg import qr_svd_legacy

        return qr_svd_legacy.svd(self, some, compute_uv)

    def lu(self, pivot=True, get_infos=False):
        from torchlet.linalg import qr_svd_legacy

        return qr_svd_legacy.lu(self, pivot, get_infos)

    def geqrf(self):
        from torchlet.linalg import householder

        return householder.geqrf(self)

    def orgqr(self, input2):
        from torchlet.linalg import householder

        return householder.orgqr(self, input2)

    def ormqr(self, input2, input3, left=True, transpose=False):
        from torchlet.linalg import householder

        return householder.ormqr(self, input2, input3, left, transpose)

    def solve(self, other):
        from torchlet.linalg import qr_svd_legacy

        return qr_svd_legacy.solve(self, other)

    def lstsq(self, other):
        from torchlet.linalg import qr_svd_legacy

        return qr_svd_legacy.lstsq(self, other)

    def eig(self, eigenvectors=False):
        from torchlet.linalg import qr_svd_legacy

        return qr_svd_legacy.eig(self, eigenvectors)

    def symeig(self, eigenvectors=False):
        from torchlet.linalg import qr_svd_legacy

        return qr_svd_legacy.symeig(self, eigenvectors)

    # --------------------------------------------------------------------------------
    # strided views, more splits, in-place views, more indexed writes

    def as_strided(self, size, stride, storage_offset=None):
        from torchlet._ops.shape import strided

        return strided.as_strided(self, size, stride, storage_offset)

    def unfold(self, dimension, size, step):
        from torchlet._ops.shape import strided

        return strided.unfold(self, dimension, size, step)

    def new(self, *args, **kwargs):
        from torchlet._ops.shape import strided

        return strided.new(self, *args, **kwargs)

    def resize_(self, *sizes, memory_format=None, **kwargs):
        from torchlet._ops.shape import strided

        return strided.resize_(self, *_sizes("resize_", "size", sizes, kwargs),
                               memory_format=memory_format)

    def resize_as_(self, the_template, memory_format=None):
        from torchlet._ops.shape import strided

        return strided.resize_as_(self, the_template, memory_format=memory_format)

    def hsplit(self, indices_or_sections):
        return _shape.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections):
        return _shape.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections):
        return _shape.dsplit(self, indices_or_sections)

    @numpy_names
    def split_with_sizes(self, split_sizes, dim=0):
        return _shape.split_with_sizes(self, split_sizes, dim)

    @numpy_names
    def narrow_copy(self, dim, start, length):
        return _shape.narrow_copy(self, dim, start, length)

    def adjoint(self):
        return _shape.adjoint(self)

    @property
    def mH(self):  # noqa: N802 - torch's name
        return _shape.mH(self)

    @property
    def H(self):  # noqa: N802 - torch's name
        return _shape.H(self)

    def t_(self, *args):
        if args:
            raise _no_arguments("t_", args)
        return _shape.t_(self)

    def transpose_(self, dim0, dim1):
        return _shape.transpose_(self, dim0, dim1)

    def swapaxes_(self, axis0, axis1):
        return _shape.swapaxes_(self, axis0, axis1)

    def swapdims_(self, dim0, dim1):
        return _shape.swapdims_(self, dim0, dim1)

    @numpy_names
    def squeeze_(self, dim=_NO_DIM):
        if dim is _NO_DIM:
            dim = None
        elif type(dim) is not int:  # (torch's parser: an int or a tuple of ints; not None)
            try:
                dim = _shape_common.squeeze_dim(dim)
            except TypeError as error:
                message = str(error)
                if message.startswith("squeeze("):
                    raise TypeError("squeeze_" + message[len("squeeze"):]) from None
                raise
        return _shape.squeeze_(self, dim)

    @numpy_names
    def unsqueeze_(self, dim):
        return _shape.unsqueeze_(self, dim)

    @numpy_names
    def index_copy(self, dim, index, source):
        return _idx.index_copy(self, dim, index, source)

    @numpy_names
    def index_copy_(self, dim, index, source):
        return _inplace(self, _idx.index_copy, dim, index, source)

    @numpy_names
    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        return _idx.index_reduce(self, dim, index, source, reduce, include_self=include_self)

    @numpy_names
    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        return _inplace(self, _idx.index_reduce, dim, index, source, reduce,
                        include_self=include_self)

    def put(self, index, source, accumulate=False):
        return _idx.put(self, index, source, accumulate)

    def put_(self, index, source, accumulate=False):
        return _inplace(self, _idx.put, index, source, accumulate)

    def fill_diagonal_(self, fill_value, wrap=False):
        if not isinstance(fill_value, _NUMBER) and not (
                isinstance(fill_value, Tensor) and fill_value._data.ndim == 0):
            raise TypeError("fill_diagonal_(): argument 'fill_value' (position 1) must be Number, "
                            f"not {_dtype.type_name(fill_value)}")
        return _idx.fill_diagonal_(self, fill_value, wrap)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        return _idx.diagonal_scatter(self, src, offset, dim1, dim2)

    @numpy_names
    def select_scatter(self, src, dim, index):
        return _idx.select_scatter(self, src, dim, index)

    @numpy_names
    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        return _idx.slice_scatter(self, src, dim, start, end, step)

    # --------------------------------------------------------------------------------
    # incomplete gamma functions

    def igamma(self, other):
        from torchlet._ops.pointwise import special_gamma_inc

        return special_gamma_inc.igamma(self, other)

    def igamma_(self, other):
        from torchlet._ops.pointwise import special_gamma_inc

        return _inplace(self, special_gamma_inc.igamma, other)

    def igammac(self, other):
        from torchlet._ops.pointwise import special_gamma_inc

        return special_gamma_inc.igammac(self, other)

    def igammac_(self, other):
        from torchlet._ops.pointwise import special_gamma_inc

        return _inplace(self, special_gamma_inc.igammac, other)

    # --------------------------------------------------------------------------------
    # misc API: nonzero_static, unsafe splits, as_strided_/scatter, Python callables per
    # element, memory and layout queries, deprecated resize/volatile, device flags

    is_nested = False
    is_sparse_csr = False
    is_mkldnn = False
    is_xla = False
    is_mps = False
    is_xpu = False
    is_ipu = False
    is_maia = False
    is_mtia = False
    is_vulkan = False

    @property
    def name(self):
        return None

    @property
    def volatile(self) -> builtins.bool:
        from torchlet._ops import tensor_misc

        return tensor_misc.get_volatile(self)

    @volatile.setter
    def volatile(self, value):
        from torchlet._ops import tensor_misc

        tensor_misc.set_volatile(self, value)

    @property
    def grad_dtype(self):
        """The dtype ``.grad`` may have (leaves only): the tensor's own unless set; None
        allows any dtype."""
        if self.grad_fn is not None:
            raise RuntimeError("grad_dtype can only be accessed on leaf tensors.")
        return _allowed_grad_dtype(self)

    @grad_dtype.setter
    def grad_dtype(self, value):
        if self.grad_fn is not None:
            raise RuntimeError("grad_dtype can only be set on leaf tensors.")
        if value is not None and type(value) is not _dtype.dtype:
            raise RuntimeError(
                f"grad_dtype must be a torch.dtype or None, but got {type(value).__name__}")
        grad = self._grad
        if value is not None and grad is not None and grad._data.dtype != value.np:
            raise RuntimeError(
                f"Cannot set grad_dtype to '{_dtype.TYPE_WORDS[value.np.name]}' because there "
                f"is already a gradient with dtype '{_dtype.C_TYPE_NAMES[grad._data.dtype.name]}"
                "'. Please clear the gradient (.grad = None) before changing grad_dtype, or "
                "ensure the new grad_dtype matches the existing gradient's dtype."
            )
        self._grad_dtype = value

    def nonzero_static(self, *, size, fill_value=-1):
        from torchlet._ops import misc_api

        return misc_api.nonzero_static(self, size=size, fill_value=fill_value)

    @numpy_names
    def unsafe_chunk(self, chunks, dim=0):
        from torchlet._ops import misc_api

        return misc_api.unsafe_chunk(self, chunks, dim)

    @numpy_names
    def unsafe_split(self, split_size, dim=0):
        from torchlet._ops import misc_api

        return misc_api.unsafe_split(self, split_size, dim)

    @numpy_names
    def unsafe_split_with_sizes(self, split_sizes, dim=0):
        from torchlet._ops import misc_api

        return misc_api.unsafe_split_with_sizes(self, split_sizes, dim)

    def as_strided_(self, size, stride, storage_offset=None):
        from torchlet._ops import misc_api

        return misc_api.as_strided_(self, size, stride, storage_offset)

    def as_strided_scatter(self, src, size, stride, storage_offset=None):
        from torchlet._ops import misc_api

        return misc_api.as_strided_scatter(self, src, size, stride, storage_offset)

    def apply_(self, callable):  # noqa: A002 - torch's argument name
        from torchlet._ops import tensor_misc

        return tensor_misc.apply_(self, callable)

    def map_(self, tensor, callable):  # noqa: A002
        from torchlet._ops import tensor_misc

        return tensor_misc.map_(self, tensor, callable)

    def map2_(self, x, y, callable):  # noqa: A002
        from torchlet._ops import tensor_misc

        return tensor_misc.map2_(self, x, y, callable)

    def share_memory_(self):
        """torchlet's memory is not shared between processes: self, unchanged."""
        return self

    def is_shared(self) -> builtins.bool:
        return False

    def pin_memory(self, device=None):
        from torchlet._ops import tensor_misc

        return tensor_misc.pin_memory(self, device)

    def is_pinned(self, device=None) -> builtins.bool:
        return False

    def is_set_to(self, tensor) -> builtins.bool:
        from torchlet._ops import tensor_misc

        return tensor_misc.is_set_to(self, tensor)

    def dim_order(self, *, ambiguity_check=False):
        from torchlet._ops import tensor_misc

        return tensor_misc.dim_order(self, ambiguity_check=ambiguity_check)

    def new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None,
                          requires_grad=False, pin_memory=False):
        from torchlet._ops import tensor_misc

        return tensor_misc.new_empty_strided(self, size, stride, dtype=dtype, layout=layout,
                                             device=device, requires_grad=requires_grad,
                                             pin_memory=pin_memory)

    def to_dense(self, dtype=None, *, masked_grad=None):
        from torchlet._ops import tensor_misc

        return tensor_misc.to_dense(self, dtype, masked_grad=masked_grad)

    def resize(self, *sizes):
        from torchlet._ops import tensor_misc

        return tensor_misc.resize(self, *sizes)

    def resize_as(self, tensor):
        from torchlet._ops import tensor_misc

        return tensor_misc.resize_as(self, tensor)

    # --------------------------------------------------------------------------------
    # new tensors of the same dtype, on the same device (unless told otherwise)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        from torchlet._ops.creation import tensor

        if type(requires_grad) is not builtins.bool:  # (None too: torch's parser here)
            raise TypeError(f"new_tensor(): argument 'requires_grad' must be bool, not "
                            f"{_dtype.type_name(requires_grad)}")
        return tensor(data, dtype=dtype or self.dtype, device=self._device_or(device),
                      requires_grad=requires_grad)

    def _check_new_flags(self, name: str, requires_grad, pin_memory, device) -> None:
        """A ``new_*``'s ``requires_grad``/``pin_memory``, as creation's check_flags."""
        from torchlet._ops.creation import _on_meta, check_flags

        check_flags(name, requires_grad, pin_memory, _on_meta(self._device_or(device)))

    # (``*sizes`` and ``size``: torch takes the shape by position or as ``size=``)
    def new_zeros(self, *sizes, size=None, dtype=None, device=None, requires_grad=False,
                  layout=None, pin_memory=False):
        from torchlet._ops.creation import _size_args, check_layout, zeros

        if layout is not None:
            check_layout(layout, "new_zeros")
        if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
            self._check_new_flags("new_zeros", requires_grad, pin_memory, device)
        return zeros(_size_args(sizes, "new_zeros", size), dtype=dtype or self.dtype,
                     device=self._device_or(device), requires_grad=requires_grad)

    def new_ones(self, *sizes, size=None, dtype=None, device=None, requires_grad=False,
                 layout=None, pin_memory=False):
        from torchlet._ops.creation import _size_args, check_layout, ones

        if layout is not None:
            check_layout(layout, "new_ones")
        if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
            self._check_new_flags("new_ones", requires_grad, pin_memory, device)
        return ones(_size_args(sizes, "new_ones", size), dtype=dtype or self.dtype,
                    device=self._device_or(device), requires_grad=requires_grad)

    def new_empty(self, *sizes, size=None, dtype=None, device=None, requires_grad=False,
                  layout=None, pin_memory=False):
        from torchlet._ops.creation import _size_args, check_layout, empty

        if layout is not None:
            check_layout(layout, "new_empty")
        if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
            self._check_new_flags("new_empty", requires_grad, pin_memory, device)
        return empty(_size_args(sizes, "new_empty", size), dtype=dtype or self.dtype,
                     device=self._device_or(device), requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
                 layout=None, pin_memory=False):
        from torchlet._ops.creation import check_layout, full

        if layout is not None:
            check_layout(layout, "new_full")
        if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
            self._check_new_flags("new_full", requires_grad, pin_memory, device)
        if type(size) is not tuple:  # (read here, so that errors name new_full)
            size = _shape_common._int_list(size, "new_full", "size", 1)
        return full(size, fill_value, dtype=dtype or self.dtype,
                    device=self._device_or(device), requires_grad=requires_grad)

    def _device_or(self, device):
        """The device a ``new_*`` method makes its tensor on: ``device``, else self's."""
        return self.device if device is None else device


_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)

_WARNED: set[str] = set()  # the messages _warn_once gave


def _warn_once(message: str) -> None:
    """A UserWarning torch gives once per process (TORCH_WARN_ONCE), whatever Python's
    filters say; every time after ``torch.set_warn_always(True)``. It points at the user's
    line, however deep in torchlet the caller is."""
    if message in _WARNED and not _runtime.SETTINGS.warn_always:
        return
    _WARNED.add(message)
    warnings.warn(message, UserWarning, stacklevel=user_stacklevel())


_T_NOT_2D_WARNING = (
    "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
    "deprecated and it will throw an error in a future release. Consider `x.mT` to transpose "
    "batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
    "dimensions of a tensor. (Triggered internally at "
    "/__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4314.)"
)
_T_OF_0D_WARNING = (
    "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases. "
    "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4321.)"
)
_REPEAT_INTERLEAVE_ARGUMENTS = (
    "repeat_interleave() received an invalid combination of arguments - got (), but "
    "expected one of:\n"
    " * (Tensor repeats, int dim = None, *, int output_size = None)\n"
    " * (int repeats, int dim = None, *, int output_size = None)\n"
)

_SCALAR_OF_GRAD_WARNING = (
    "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
    "behavior.\nConsider using tensor.detach() first. (Triggered internally at "
    "/__w/pytorch/pytorch/torch/csrc/autograd/generated/python_variable_methods.cpp:822.)"
)

_TYPE_NAMES = {
    "float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
    "float16": "torch.HalfTensor", "int64": "torch.LongTensor", "int32": "torch.IntTensor",
    "int16": "torch.ShortTensor", "int8": "torch.CharTensor", "uint8": "torch.ByteTensor",
    "bool": "torch.BoolTensor",
}
# the names Tensor.type accepts; on a strided tensor torch's sparse names change only the
# dtype ('torch.sparse.FloatTensor' gives a dense float32 tensor)
_DTYPE_OF_TYPE_NAME = {
    **{name: np_name for np_name, name in _TYPE_NAMES.items()},
    **{name.replace("torch.", "torch.sparse.", 1): np_name
       for np_name, name in _TYPE_NAMES.items()},
}

# What torch's CPU-only build raises when Tensor.type names a CUDA type: looking up the
# CUDA types starts CUDA, which fails before the name itself is checked.
_NO_CUDA_LIBRARY = (
    "Cannot initialize CUDA without ATen_cuda library. PyTorch splits its backend into two "
    "shared libraries: a CPU library and a CUDA library; this error has occurred because "
    "you are trying to use some CUDA functionality, but the CUDA library has not been "
    "loaded by the dynamic linker for some reason.  The CUDA library MUST be loaded, EVEN "
    "IF you don't directly use any symbols from the CUDA library! One common culprit is a "
    "lack of -Wl,--no-as-needed in your link arguments; many dynamic linkers will delete "
    "dynamic library dependencies if you don't depend on any of their symbols.  You can "
    "check if this has occurred by using ldd on your binary to see if there is a "
    "dependency on *_cuda.so library."
)
_DEPRECATED_TYPE_ASYNC = (
    "This overload of type is deprecated:\n\ttype(object dtype = None, bool async = False, *, "
    "torch.memory_format memory_format = None)\nConsider using one of the following "
    "signatures instead:\n\ttype(object dtype = None, bool non_blocking = False, *, "
    "torch.memory_format memory_format = None) (Triggered internally at "
    "/__w/pytorch/pytorch/torch/csrc/utils/python_arg_parser.cpp:1841.)"
)
_warned_type_async = [False]


def _type_arguments(args: tuple, kwargs: dict):
    """``Tensor.type``'s ``(dtype, memory_format)`` as torch's parser reads its two
    signatures: ``(dtype=None, non_blocking=False, *, memory_format=None)``, then the
    deprecated one that says ``async`` (with a warning). When neither fits, the first
    one's TypeError. (``non_blocking`` means nothing on the CPU.)"""
    try:
        return _parse_type_signature(args, kwargs, "non_blocking")
    except TypeError as error:
        try:
            parsed = _parse_type_signature(args, kwargs, "async")
        except TypeError:
            raise error from None
        if not _warned_type_async[0]:  # torch warns once per process (TORCH_WARN_ONCE)
            _warned_type_async[0] = True
            warnings.warn(_DEPRECATED_TYPE_ASYNC, UserWarning, stacklevel=3)
        return parsed


def _parse_type_signature(args: tuple, kwargs: dict, flag: str):
    """One signature ``type(dtype=None, <flag>=False, *, memory_format=None)``, checked
    in torch's order: the positional count, each parameter in turn, unknown keywords."""
    if len(args) > 2:
        raise TypeError(
            f"type() takes from 0 to 2 positional arguments but {len(args)} were given")
    values = dict(zip(("dtype", flag), args))
    for position, name in enumerate(("dtype", flag, "memory_format"), start=1):
        if name in kwargs and name in values:
            raise TypeError(f"type() got multiple values for argument '{name}'")
        given = name in values or name in kwargs
        where = f" (position {position})" if name in values else ""
        value = values[name] = values.get(name, kwargs.get(name))
        if name == flag and given and not isinstance(value, builtins.bool):
            raise TypeError(f"type(): argument '{name}'{where} must be bool, not "
                            f"{builtins.type(value).__name__}")
        if (name == "memory_format" and value is not None
                and not isinstance(value, _dtype.memory_format)):
            raise TypeError(f"type(): argument '{name}' must be torch.memory_format, not "
                            f"{builtins.type(value).__name__}")
    for name in kwargs:
        if name not in values:
            raise TypeError(f"type() got an unexpected keyword argument '{name}'")
    return values["dtype"], values["memory_format"]


def _type_name(cls: type) -> str:
    """The name torch's ``Tensor.type`` reads off a class (CPython's ``tp_name``):
    ``torch.Tensor``, a legacy type's full name, else the class's own name."""
    from torchlet._legacy_types import _qualified_name, tensortype

    if cls is Tensor:
        return "torch.Tensor"
    if isinstance(cls, tensortype):
        return _qualified_name(cls)
    return cls.__name__


def _dtype_of_type_name(name: str) -> _dtype.dtype:
    """The dtype a legacy type name stands for (torch's ``options_from_string``)."""
    if name == "torch.Tensor":
        return _dtype.get_default_dtype()
    if name.startswith("torch.cuda."):
        raise RuntimeError(_NO_CUDA_LIBRARY)
    if name.startswith("torch.xpu."):
        raise AssertionError("Torch not compiled with XPU enabled")
    if name not in _DTYPE_OF_TYPE_NAME:
        raise ValueError(f"invalid type: '{name}'")
    return _dtype._BY_NAME[_DTYPE_OF_TYPE_NAME[name]]

_new_tensor = object.__new__
_FIELDS = tuple(name for name in Tensor.__slots__ if name not in ("__weakref__", "__dict__"))


def wrap(data: np.ndarray, grad_fn=None, output_nr: int = 0) -> Tensor:
    """A Tensor around ``data`` (no copy). The one fast constructor every op uses. A new
    empty array (NumPy's zero strides, no base) gets torch's contiguous strides."""
    t = _new_tensor(Tensor)
    t._data = data if data.size else _strided_empty(data)
    t._requires_grad = False
    t._grad_fn = grad_fn
    t._output_nr = output_nr
    t._grad = None
    t._vbox = [0]
    t._base = None
    t._hooks = None
    t._accumulator = None
    t._inference = GRAD_STATE.inference
    return t


def _numpy_zeros(data: np.ndarray) -> bool:
    """Whether an empty array's zero strides are NumPy's own: its memory is a new empty
    array's, with zero strides. (Empty arrays with strides torch keeps are laid over an
    empty bytearray: ``_empty_with_strides``.)"""
    root = data
    while isinstance(root.base, np.ndarray):
        root = root.base
    return root.base is None and not root.size and not any(root.strides)


def empty_strides(data: np.ndarray) -> tuple:
    """The element strides of an empty array as ``stride()`` reads them: its own, but
    contiguous ones for NumPy's zeros (``_numpy_zeros``)."""
    strides = tuple(s // data.itemsize for s in data.strides)
    if not any(strides) and _numpy_zeros(data):
        return _shape_common.contiguous_strides(data.shape)
    return strides


def _empty_with_strides(shape, dtype, strides) -> np.ndarray:
    """An empty array with the byte ``strides`` given, laid over an empty bytearray (so
    that its zeros, and its views', read as strides torch keeps: ``_numpy_zeros``)."""
    return np.ndarray(shape, dtype, bytearray(0), 0, strides)


def _numpy_empty(data: np.ndarray) -> np.ndarray:
    """An empty tensor's ``numpy()``: torch's NumPy array of it has zero strides, whatever
    the tensor's (``torch.from_numpy(t.numpy())`` then has zero strides too)."""
    if type(data) is not np.ndarray:
        return data
    return np.ndarray(data.shape, data.dtype, data, 0, (0,) * data.ndim)


def _strided_empty(data: np.ndarray) -> np.ndarray:
    """A fresh size-0 array (NumPy's result, which owns its memory) with torch's contiguous
    strides in place of NumPy's zeros: the views made from it (transpose, narrow, select,
    ...) then get torch's strides and storage offsets from NumPy itself. It touches no
    memory (there are no elements). A view (``base`` set: ``expand(0)``, ``as_strided``)
    keeps the strides it was given, but not NumPy's zeros (a squeezed new empty array's:
    they read as contiguous, and so every copy of it must); a meta array its zeros."""
    if type(data) is not np.ndarray or any(data.strides) or (
            data.base is not None and not _numpy_zeros(data)):
        return data
    itemsize = data.itemsize
    strides = [s * itemsize for s in _shape_common.contiguous_strides(data.shape)]
    return _empty_with_strides(data.shape, data.dtype, strides)


def _legacy_data(data, np_dtype) -> np.ndarray:
    """The values of ``torch.Tensor(data)`` in the default dtype: a sequence (a NumPy array
    too) read as ``torch.tensor(data, dtype=...)`` reads it (its refusals of negative
    strides and other byte orders, its layout); anything else is torch's TypeError."""
    if not isinstance(data, (np.ndarray, str, bytes, *_creation._SEQUENCES)) and (
            not _creation._other_sequence(data)):
        raise TypeError(f"new(): data must be a sequence (got {_dtype.type_name(data)})")
    if isinstance(data, np.ndarray) and data.dtype.kind == "c":  # (no complex tensors here)
        _creation.check_numpy_array(data.real)
        warnings.warn("Casting complex values to real discards the imaginary part (Triggered "
                      "internally at /__w/pytorch/pytorch/aten/src/ATen/native/Copy.cpp:307.)",
                      UserWarning, stacklevel=3)
        return _creation.copy_in_layout(data).real.astype(np_dtype)
    return _creation.tensor(data, dtype=_dtype._BY_NP[np_dtype])._data


def _allowed_grad_dtype(t: Tensor):
    """``t.grad_dtype``: the tensor's own dtype unless the setter gave another (or None)."""
    try:
        return t._grad_dtype
    except AttributeError:  # (never set: wrap() leaves the field out, to stay cheap)
        return _dtype._BY_NP[t._data.dtype]


def _init(t: Tensor, data: np.ndarray) -> None:
    t._data = data
    t._requires_grad = False
    t._grad_fn = None
    t._output_nr = 0
    t._grad = None
    t._vbox = [0]
    t._base = None
    t._hooks = None
    t._accumulator = None
    t._inference = GRAD_STATE.inference


def _rebuild_tensor(data, requires_grad, strides=None):
    if strides is not None:  # an empty tensor's strides, as torch keeps them
        data = _empty_with_strides(data.shape, data.dtype, [s * data.itemsize for s in strides])
    t = wrap(data)
    t._requires_grad = requires_grad
    return t


def _rebuild_meta_tensor(shape, dtype_name, requires_grad):
    """A meta tensor from its shape and dtype (torch's ``_rebuild_meta_tensor_no_storage``)."""
    return _rebuild_tensor(meta_array(shape, np.dtype(dtype_name)), requires_grad)


def _rebuild_from_type(func, new_type, args, state):
    """torch's ``_rebuild_from_type_v2``: ``func(*args)`` made an instance of ``new_type``,
    then given back its Python state (by the class's own ``__setstate__`` if it has one)."""
    ret = func(*args)
    if type(ret) is not new_type:
        ret = _as_subclass(ret, new_type)
    return restore_state(ret, state)


def restore_state(t: Tensor, state) -> Tensor:
    """Give a rebuilt tensor its Python state: by its class's own ``__setstate__`` if it
    has one (torchlet's Tensor has none), else ``set_obj_state``."""
    setstate = getattr(t, "__setstate__", None)
    if setstate is not None:
        setstate(state)
        return t
    return set_obj_state(t, state)


def _as_subclass(t: Tensor, cls: type) -> Tensor:
    """``t``'s values (shared) and ``requires_grad`` as an instance of the Tensor subclass
    ``cls``, made without calling its ``__new__``/``__init__`` (torch's ``as_subclass``)."""
    out: Tensor = _new_tensor(cls)
    _init(out, t._data)
    out._requires_grad = t._requires_grad
    return out


def set_obj_state(obj, state):
    """torch's ``_set_obj_state``: ``state`` is a ``__dict__`` (or None), or a pair
    ``(__dict__, slots)`` for a subclass with ``__slots__``; each item is set with
    ``setattr``."""
    if isinstance(state, tuple):
        if len(state) != 2:
            raise RuntimeError(f"Invalid serialized state: {state}")
        dict_state, slots_state = state
    else:
        dict_state, slots_state = state, None
    for items in (dict_state, slots_state):
        if items:
            for key, value in items.items():
                setattr(obj, key, value)
    return obj


# How a view was made (torch's CreationMeta): views of the last three kinds may not get a
# new history when they, their base or a sibling view are modified in place.
DEFAULT = "default"
NO_GRAD_MODE = "no_grad_mode"  # made while grad mode was off
MULTI_OUTPUT_NODE = "multi_output_node"  # one of several views one op returns (unbind, split)
IN_CUSTOM_FUNCTION = "in_custom_function"  # returned by a custom Function's forward


def make_view(out: Tensor, base: Tensor) -> Tensor:
    """Mark ``out`` (whose array is a NumPy view of ``base``'s) as a view of ``base``."""
    root = base._base
    kind: str | None
    if root is None:
        out._base, kind = base, DEFAULT
    else:  # a view of a view is one of the root, and inherits its kind (None: of a detach())
        out._base, kind = root, base._view_kind
    if out._data.dtype != base._data.dtype:
        kind = None  # view(dtype): shares memory, but no gradient flows through it (torch)
    if kind is not None:
        node = out._grad_fn
        if not GRAD_STATE.enabled:
            kind = NO_GRAD_MODE
        elif node is not None and node._n_outputs > 1:
            kind = MULTI_OUTPUT_NODE
    out._view_kind = kind
    out._inference = base._inference  # a view is an inference tensor iff its base is
    out._vbox = vbox = base._vbox
    out._view_version = vbox[0]
    return out


def refresh_view(t: Tensor) -> None:
    """Give the view ``t``, whose base changed in place since its grad_fn was made, its
    grad_fn over the base's new history (see ``_ops/view_inplace.py``)."""
    from torchlet._ops.view_inplace import refresh_view

    refresh_view(t)


def _wrap_dim(dim: int, ndim: int) -> int:
    if type(dim) is not int:  # (a caller that names its function checks dim first)
        dim = _shape_common._int(dim, None, "dim", None)
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not low <= dim <= high:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{low}, {high}], "
            f"but got {dim})"
        )
    return dim % ndim if ndim else 0


_new_tuple = tuple.__new__


def dim_arg(dim, fn: str, position: int) -> int:
    """``dim`` as torch's argument parser reads an int: a Python int (not a bool), a NumPy
    integer or a 0-d integer tensor. Anything else (a str, a float, None, a bool) is its
    TypeError, not a failed comparison in _wrap_dim."""
    if type(dim) is int:
        return dim
    if isinstance(dim, np.integer) or (isinstance(dim, int) and not isinstance(dim, bool)):
        return int(dim)
    if isinstance(dim, Tensor) and dim._data.ndim == 0 and dim._data.dtype.kind in "iu":
        return int(dim._data)
    raise TypeError(f"{fn}(): argument 'dim' (position {position}) must be int, not "
                    f"{_dtype.type_name(dim)}")


def _dim_of(method: str, dim, extra: tuple, ndim: int) -> int:
    """The ``dim`` of ``size(dim)`` / ``stride(dim)``, wrapped; more than one argument is
    torch's TypeError (which counts the arguments without self)."""
    if extra:
        raise TypeError(f"{method}() takes from 0 to 1 positional arguments but "
                        f"{1 + len(extra)} were given")
    dim = dim if type(dim) is int else dim_arg(dim, method, 1)
    if not ndim:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


def _requires_grad_argument(args: tuple, kwargs: dict) -> builtins.bool:
    """``requires_grad_``'s one argument, read as torch's parser reads a bool."""
    if len(args) > 1:
        raise TypeError(f"requires_grad_() takes from 0 to 1 positional arguments but "
                        f"{len(args)} were given")
    for name in kwargs:
        if name != "requires_grad" or args:
            raise TypeError(f"requires_grad_() got an unexpected keyword argument '{name}'"
                            if name != "requires_grad" else
                            "requires_grad_() got multiple values for argument 'requires_grad'")
    value = args[0] if args else kwargs["requires_grad"]
    if type(value) is not builtins.bool:
        where = " (position 1)" if args else ""
        raise TypeError(f"requires_grad_(): argument 'requires_grad'{where} must be bool, "
                        f"not {_dtype.type_name(value)}")
    return value


def _dim_keepdim(method: str, dim, keepdim, dtype, signatures) -> tuple:
    """A reduction method's ``dim`` (None for every dim) and ``keepdim``, either not
    passed (``_NO_DIM``, ``_OMITTED``): torch's overload without dim takes no keepdim,
    its TypeError (with ``dtype`` given, torch reports the missing dim instead)."""
    if keepdim is _OMITTED:
        return (None if dim is _NO_DIM else dim), False
    if dim is _NO_DIM:
        if dtype is not None:
            raise TypeError(f'{method}() missing 1 required positional arguments: "dim"')
        raise _shape_common._invalid_combination(method, (), {"keepdim": keepdim}, signatures)
    return dim, keepdim


def _no_arguments(method: str, args: tuple) -> TypeError:
    return TypeError(f"TensorBase.{method}() takes no arguments ({len(args)} given)")


def _shape_args(args):
    """torch accepts ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        return tuple(args[0])
    return args


def _sizes(method: str, name: str, args, kwargs, overloads=None) -> tuple:
    """The sizes or dims of a method torch lets take them as ``f(2, 3)``, ``f((2, 3))``,
    ``f([2, 3])`` or ``f(name=(2, 3))``, as a tuple of ints read by torch's argument
    parser (``_vararg_ints``: its TypeErrors); none at all is torch's TypeError too."""
    if kwargs:
        for key in kwargs:
            if key != name:
                raise TypeError(f"{method}() got an unexpected keyword argument '{key}'")
        if args:
            raise TypeError(f"{method}() got multiple values for argument '{name}'")
        return _shape_common._int_list(kwargs[name], method, name, None)
    for v in args:  # (the usual f(2, 3): ints, as they are)
        if type(v) is not int:
            break
    else:
        if not args:
            raise TypeError(f'{method}() missing 1 required positional arguments: "{name}"')
        return args
    if len(args) == 1 and isinstance(args[0], tuple):  # (the usual f(x.shape), f((2, 3)))
        for v in args[0]:
            if type(v) is not int:
                break
        else:
            return tuple(args[0])
    return _shape_common._vararg_ints(args, method, name, overloads)


_CASTABLE = {"b": "b", "u": "bui", "i": "bui", "f": "buif"}


def _eq_array(t: Tensor, array: np.ndarray):
    """``t == array``: torch's ``__eq__``, unlike ``eq()``, ``__ne__`` and the other
    operators, takes a NumPy array as a tensor of the array's own dtype (so float32 0.1
    differs from float64 0.1); NotImplemented for a dtype torch has no tensors of."""
    try:
        _dtype.from_numpy_dtype(array.dtype)
    except TypeError:
        return NotImplemented
    return _pw.eq(t, wrap(np.asarray(array)))


def _inplace(self: Tensor, op, *args, **kwargs) -> Tensor:
    """torch's in-place operation: ``op(self, *args)`` written back into ``self``.

    Outside autograd this is a plain write into the array (views see it). When the graph
    is recorded, the op runs on an alias of ``self``'s old value and ``self`` takes over
    the result's grad_fn (torch "rebases" its history the same way). The version counter
    is bumped so that backward notices if a saved value was overwritten.
    """
    if type(self._data) is not np.ndarray and is_meta_array(self._data):
        args = tuple(_meta_operand(a) for a in args)
    recording = GRAD_STATE.enabled and (
        self.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
    )
    try:
        if recording:
            try:
                _check_inplace_allowed(self, requires_grad=True)
            except RuntimeError:
                _check_arguments(self, op, args, kwargs)
                raise
            grad_fn = self.grad_fn  # (of a view: over its base's latest history)
            old = wrap(self._data.copy(), grad_fn, self._output_nr)
            old._requires_grad = self._requires_grad
            result = op(old, *args, **kwargs)
        else:
            result = op(self, *args, **kwargs)
    except NotImplementedError:  # (a kernel's dtype refusal: torch checks self first)
        error = _output_error(self, op, args)
        if error is not None:
            raise error from None
        raise
    except TypeError as error:
        raise _method_type_error(error, op, args, kwargs) from None
    _write_result(self, result)
    if recording:
        if self._is_view():  # the write changed the base too: rebase both histories
            from torchlet._ops.view_inplace import rebase_view_history

            rebase_view_history(self, self._base, result)  # type: ignore[arg-type]
        else:
            from torchlet._ops.view_inplace import move_retained_grad

            old_fn, old_nr = self._grad_fn, self._output_nr
            self._grad_fn = result._grad_fn
            self._output_nr = result._output_nr
            move_retained_grad(old_fn, old_nr, self)
        _save_self_as_result(self, result)
        if old._grad_fn is not None:
            _save_old_self_as_clone(old, result)
    return self


def _check_arguments(self: Tensor, op, args: tuple, kwargs: dict) -> None:
    """torch parses an in-place method's arguments before autograd refuses to write into a
    leaf (or a view of one): ``p.add_('a')`` on a Parameter is the parser's TypeError, so
    ``p += 'a'`` is Python's "unsupported operand type(s)". Only on that refusal's path:
    the op runs on a detached alias, and its TypeError (the argument error) propagates;
    any other error is the kernel's, which torch reaches after the autograd check."""
    from torchlet.autograd.grad_mode import no_grad

    try:
        with no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (its warnings come when it really runs)
            op(self.detach(), *args, **kwargs)
    except TypeError:
        if not any(type(a) is complex for a in args):  # (torchlet's refusal of complex
            raise                                        # numbers, torch's kernel's error)
    except Exception:  # noqa: BLE001 - (the kernel's errors come after the leaf check)
        pass


def _method_type_error(error: TypeError, op, args: tuple, kwargs: dict) -> TypeError:
    """The function's argument TypeError as the in-place method's parser words it: named
    ``hypot_()``, counting the arguments without self (``hypot(): argument 'other'
    (position 2)`` becomes ``hypot_(): argument 'other' (position 1)``), listing the
    method's signatures for an invalid combination (keyword arguments left at None are
    not given)."""
    given = {k: v for k, v in kwargs.items() if v is not None}
    return _operands.method_error(error, op.__name__, op.__name__ + "_", args, given)


def _converted(self: Tensor, name: str, dtype, args: tuple, memory_format) -> Tensor:
    """``self.float(memory_format=...)`` and the like: torch's conversion methods take only
    a memory format, by keyword."""
    if args:
        count = len(args)
        raise TypeError(f"{name}() takes 0 positional arguments but {count} "
                        f"{'was' if count == 1 else 'were'} given")
    if not isinstance(memory_format, _dtype.memory_format):
        raise TypeError(f"{name}(): argument 'memory_format' must be torch.memory_format, "
                        f"not {_dtype.type_name(memory_format)}")
    return self.to(dtype, memory_format=memory_format)


def _method_error(error: TypeError, name: str, args: tuple, kwargs=None) -> TypeError:
    """The function's argument TypeError in the method's words (``_errors.method_error``)."""
    from torchlet._errors import method_error

    return method_error(error, name, args, kwargs)


def _inplace_functions():
    """The module of clamp's argument check (imported when a call failed)."""
    from torchlet._ops.pointwise import inplace_functions

    return inplace_functions


def _clamp_inplace(self: Tensor, name: str, op, *bounds) -> Tensor:
    """clamp_/clip_/clamp_min_/clamp_max_ (``name``). torch's parser refuses first (before
    the leaf check) a bound that is neither a Tensor nor a number, a None bound of
    clamp_min_/clamp_max_, and a Tensor bound with a number one (its overloads take two
    Tensors or two Numbers); a trailing None bound is read as not given. Its number
    overloads word the cast error with the C type name ("... desired output type long
    int")."""
    given = bounds  # (_NOT_GIVEN: not passed, read as None; see check_clamp_arguments)
    if bounds[0] is _NOT_GIVEN or bounds[-1] is _NOT_GIVEN:
        bounds = tuple(None if b is _NOT_GIVEN else b for b in bounds)
    mixed = len(bounds) == 2 and bounds[0] is not None and bounds[1] is not None and (
        isinstance(bounds[0], Tensor) != isinstance(bounds[1], Tensor))
    if mixed or (len(bounds) == 1 and bounds[0] is None) or any(
            b is not None and not isinstance(b, (Tensor, *_NUMBER)) for b in bounds):
        from torchlet._ops.pointwise.inplace_functions import check_clamp_arguments

        check_clamp_arguments(name, given)  # (a 0-d tensor next to a number passes)
    try:
        return _inplace(self, op, *bounds)
    except RuntimeError as error:
        message = str(error)
        target = self._data.dtype.name
        word = _dtype.TYPE_WORDS[target]
        if (message.endswith(f"desired output type {word}") and target in _dtype.C_TYPE_NAMES
                and not any(isinstance(b, Tensor) for b in bounds)):
            raise RuntimeError(message[:-len(word)] + _dtype.C_TYPE_NAMES[target]) from None
        raise


def _output_error(self: Tensor, op, args: tuple) -> RuntimeError | None:
    """The op refused its operands (a dtype its kernel lacks, ...), but torch checks the
    output ``self`` first, as its TensorIterator does: the broadcast shape, then whether the
    operands' promoted dtype can be written into it (for ops of two operands, where that is
    the result's dtype). That error, if there is one. (Pointwise ops only: the others'
    tensor arguments, indices, do not broadcast.)"""
    if not op.__module__.startswith("torchlet._ops.pointwise"):
        return None
    arrays = [self._data, *(a._data for a in args if isinstance(a, Tensor))]
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError as error:  # (torch's size error, before the kernel's dtype refusal)
        from torchlet.autograd.function import _broadcast_error

        found = _broadcast_error(error, arrays)
        return found if isinstance(found, RuntimeError) else None
    if shape != self._data.shape:
        return RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                            f"broadcast shape {list(shape)}")
    if len(args) == 1:
        try:
            promoted = _dtype.result_type_of((self, args[0])).np
        except TypeError:
            return None
        if promoted.kind not in _CASTABLE[self._data.dtype.kind]:
            return _cast_error(promoted, self._data.dtype)
    return None


def _cast_error(src: np.dtype, dst: np.dtype) -> RuntimeError:
    return RuntimeError(f"result type {_dtype.TYPE_WORDS[src.name]} can't be cast to the "
                        f"desired output type {_dtype.TYPE_WORDS[dst.name]}")


def _save_self_as_result(self: Tensor, result: Tensor) -> None:
    """torch's in-place op saves its result as ``self`` itself (exp_, sigmoid_, relu_,
    ...): the node's saved output becomes ``self``'s array at its new version, so that a
    later in-place change of ``self`` is torch's version error at backward, and the
    result's own array is not kept."""
    from torchlet.autograd.function import _SavedOutput

    checks = getattr(result._grad_fn, "_version_checks", None)
    if type(checks) is not list:
        return
    for i, (box, _, saved) in enumerate(checks):
        if (type(saved) is _SavedOutput and box is result._vbox
                and saved.data.dtype == self._data.dtype):
            saved.data = self._data
            checks[i] = (self._vbox, self._vbox[0], saved)


def _save_old_self_as_clone(old: Tensor, result: Tensor) -> None:
    """torch's in-place op whose backward reads its input (sin_, mul_(t), pow_(2), ...)
    saves ``original_self = self.clone()``: the node's edge goes to self's old history,
    while the value it saved is a CloneBackward0 of it (``_saved_self.grad_fn``), through
    which a gradient taken with create_graph flows back. ``old`` is already a private copy
    of self's old values; here the node's saved ``old`` becomes that clone."""
    fn = result._grad_fn
    saved = getattr(fn, "_saved", None)
    if fn is None or type(saved) is not tuple:
        return
    for value in saved:
        if value is old:
            break
    else:
        return  # (add_, mul_(2), exp_, ...: self's old values are not needed)
    from torchlet._ops.view_inplace import CloneOfOld

    clone = CloneOfOld.apply(old)
    fn._saved = tuple(clone if s is old else s for s in saved)
    if fn._version_checks:
        fn._version_checks = [(clone._vbox, clone._vbox[0], clone) if c[2] is old else c
                              for c in fn._version_checks]


def _meta_operand(a):
    """An operand of an in-place operation on a meta tensor: a CPU tensor (not 0-d, which
    goes anywhere) as a meta tensor of its shape and dtype, as torch's meta kernels of
    in-place operations take operands on any device (``meta.copy_(cpu)`` too)."""
    if isinstance(a, Tensor) and a._data.ndim and not is_meta_array(a._data):
        return wrap(meta_array(a._data.shape, a._data.dtype))
    return a


def _check_inplace_allowed(self: Tensor, requires_grad: builtins.bool | None = None) -> None:
    """torch's checks before an in-place op is recorded (``requires_grad``: whether its
    result will require grad; by default, whether ``self`` does)."""
    is_view = self._is_view()
    if is_view and (self.requires_grad if requires_grad is None else requires_grad):
        from torchlet._ops.view_inplace import check_view_rebase

        check_view_rebase(self, indirect=False)
    if self._grad_fn is None and self._requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    base = self._base
    if is_view and base is not None and base._grad_fn is None and base._requires_grad:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation."
        )


def _write_result(self: Tensor, result: Tensor) -> None:
    src = result._data
    dst = self._data
    if src.shape != dst.shape:  # (checked first, as torch's TensorIterator does)
        raise RuntimeError(
            f"output with shape {list(dst.shape)} doesn't match the broadcast shape "
            f"{list(np.broadcast_shapes(src.shape, dst.shape))}"
        )
    if src.dtype != dst.dtype and src.dtype.kind not in _CASTABLE[dst.dtype.kind]:
        raise _cast_error(src.dtype, dst.dtype)
    if is_meta_array(src) and not is_meta_array(dst):
        raise NotImplementedError(_NO_META_DATA)
    if not dst.flags.writeable:
        if is_meta_array(dst):  # (no values to write: the write changes nothing)
            bump_version(self)
            return
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation."
        )
    np.copyto(dst, src, casting="unsafe")
    bump_version(self)


def _check_floats(method: str, names: tuple, values: tuple) -> None:
    """torch's parser for a sampler's ``float`` arguments (a real number or a 0-d tensor),
    before the leaf check and before any number is drawn."""
    for position, (name, value) in enumerate(zip(names, values, strict=True), 1):
        if not isinstance(value, _NUMBER) or type(value) is complex:
            if not (isinstance(value, Tensor) and value._data.ndim == 0):
                raise TypeError(f"{method}(): argument '{name}' (position {position}) must be "
                                f"float, not {_dtype.type_name(value)}")


def _random_fill(fill, t: Tensor, *args, **kwargs) -> Tensor:
    """``fill(t, ...)``, an in-place sampler (``uniform_``, ``normal_``, ...); a meta tensor
    is left as it is, and no number is drawn for it (torch draws none: the generator's
    state stays the same, so ``nn.Linear(2, 3, device="meta")`` changes no later draw)."""
    if is_meta_array(t._data):
        return t
    return fill(t, *args, **kwargs)


def _check_has_values(t: Tensor) -> None:
    """torch's error where a number is read out of a meta tensor (item, float, bool)."""
    if is_meta_array(t._data):
        raise RuntimeError("Tensor.item() cannot be called on meta tensors")


_NO_META_DATA = "Cannot copy out of meta tensor; no data!"
_META_TO_NUMPY = ("can't convert meta device type tensor to numpy. Use Tensor.cpu() to copy "
                  "the tensor to host memory first.")


def bump_version(t: Tensor) -> None:
    """torch's ``increment_version``, after every in-place write. An inference tensor has
    no version counter: outside ``inference_mode`` its update is an error, raised (as
    torch's is) after the values were written."""
    if t._inference and not GRAD_STATE.inference:
        raise RuntimeError(
            "Inplace update to inference tensor outside InferenceMode is not allowed.You can "
            "make a clone to get a normal tensor before doing inplace update.See "
            "https://github.com/pytorch/rfcs/pull/17 for more details."
        )
    t._vbox[0] += 1



# Autograd and the operations live in their own modules, which import Tensor from here,
# so they are imported last, and in this order.
# isort: off
from torchlet import autograd as _autograd  # noqa: E402
from torchlet import _runtime  # noqa: E402
from torchlet.autograd.grad_mode import GRAD_STATE  # noqa: E402
from torchlet._ops import indexing as _idx  # noqa: E402
from torchlet._ops import linalg as _la  # noqa: E402
from torchlet._ops import pointwise as _pw  # noqa: E402
from torchlet._ops.pointwise import arithmetic as _arith  # noqa: E402
from torchlet._ops.pointwise import operands as _operands  # noqa: E402
from torchlet._ops import random_ops as _rand  # noqa: E402
from torchlet._ops import creation as _creation  # noqa: E402
from torchlet.nn._functional import activation as _activation  # noqa: E402
from torchlet.nn._functional import softmax as _softmax  # noqa: E402
from torchlet._ops import reduction as _red  # noqa: E402
from torchlet._ops.reduction import sums as _sums  # noqa: E402
from torchlet._ops.reduction import sorting as _sorting  # noqa: E402
from torchlet._ops import shape as _shape  # noqa: E402
from torchlet._ops.shape import common as _shape_common  # noqa: E402
# isort: on
