"""torch._foreach_*: one operation applied to every tensor of a list.

Optimizers and hand-written EMA code call these (``torch._foreach_lerp_(ema, params, 0.1)``).
On the CPU torch runs them by its "slow" kernels (ATen/native/ForeachOpsKernels.cpp), which
loop over the list calling the single-tensor operation, so the numbers here are those of the
single-tensor operations: ``_foreach_add(xs, ys, alpha=a)[i]`` is ``xs[i].add(ys[i], alpha=a)``.

* Out-of-place versions return a tuple and are differentiable through those operations (their
  ``grad_fn`` is the single-tensor one, e.g. ``AddBackward0``, where torch shows
  ``ForeachAddBackward0List``).
* In-place versions (trailing ``_``) modify each tensor, bumping its version, and return the
  list itself.
* The second operand follows torch's overloads: a number (the same for every tensor), a list
  of numbers or a list of tensors (one per tensor), or a 0-dim tensor.
"""

from __future__ import annotations

from numbers import Number

from torchlet._dtype import result_type_of, type_name
from torchlet._ops.creation import full
from torchlet._ops.pointwise.arithmetic import pow  # noqa: A004 - torch's name
from torchlet._ops.pointwise.binary import maximum, minimum
from torchlet._tensor import Tensor
from torchlet.linalg.norms import vector_norm

# torch's overloads of the second operand, as its TypeError lists them
_SCALAR = "Number scalar"
_SCALARS = "tuple of Scalars scalars"
_TENSOR = "Tensor other"
_TENSORS = "tuple of Tensors other"
_ALPHA = ", *, Number alpha = 1"


# ---------------------------------------------------------------------------------------
# argument checks (torch's check_foreach_api_restrictions and its Python argument parser)


def _tensors(name: str, tensors, position: int = 1, arg: str = "self"):
    """``tensors`` checked to be a non-empty list or tuple of tensors."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be tuple of "
                        f"Tensors, not {type_name(tensors)}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument {position - 1}, "
                            f"but got {type_name(t)}")
    if not tensors:
        raise RuntimeError("Tensor list must have at least one tensor.")
    return tensors


def _same_length(self, other) -> None:
    if len(self) != len(other):
        raise RuntimeError(f"Tensor lists must have the same number of tensors, got "
                           f"{len(self)} and {len(other)}")


def _same_length_scalars(self, scalars) -> None:
    if len(self) != len(scalars):
        raise RuntimeError("Tensor list must have same number of elements as scalar list.")


def _kind(other) -> str | None:
    """Which of torch's overloads ``other`` selects (a list starting with a tensor is a
    tensor list; any other list, the empty one included, is a list of numbers)."""
    if isinstance(other, Tensor):
        return _TENSOR
    if isinstance(other, (list, tuple)):
        return _TENSORS if other and isinstance(other[0], Tensor) else _SCALARS
    return _SCALAR if isinstance(other, Number) else None


def _invalid(name: str, args: tuple, kinds: tuple, alpha_kinds: tuple = ()) -> TypeError:
    got = ", ".join(type_name(a) for a in args[:2])
    if len(args) > 2:
        got += f", alpha={type_name(args[2])}"
    lines = "".join(f"\n * (tuple of Tensors self, {k}{_ALPHA if k in alpha_kinds else ''})"
                    for k in kinds)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:{lines}\n")


def _operands(name: str, self, other, kinds: tuple, alpha=1, alpha_kinds: tuple = ()) -> list:
    """The second operand of each tensor of ``self``, after torch's checks: one entry per
    tensor, a number or a tensor. ``kinds`` are the overloads the operation has; ``alpha``
    is accepted only by those in ``alpha_kinds``."""
    _tensors(name, self)
    kind = _kind(other)
    if kind == _TENSOR and kind not in kinds and other.ndim == 0:
        kind, other = _SCALAR, other.item()  # torch's parser reads a 0-dim tensor as a Number
    if alpha != 1 and kind not in alpha_kinds and len(alpha_kinds) == 1:
        # one overload takes alpha: torch's parser names the argument that does not fit it
        raise TypeError(f"{name}(): argument 'other' (position 2) must be "
                        f"{alpha_kinds[0].rsplit(' ', 1)[0]}, not {type_name(other)}")
    if kind not in kinds or (alpha != 1 and kind not in alpha_kinds):
        args = (self, other) if alpha == 1 else (self, other, alpha)
        raise _invalid(name, args, kinds, alpha_kinds)
    if kind == _TENSOR:
        if other.ndim:
            raise RuntimeError(f"scalar tensor expected to be 0 dim but it has {other.ndim} "
                               f"dimensions and {other.numel()} elements.")
        return [other] * len(self)
    if kind == _TENSORS:
        _same_length(self, _tensors(name, other, 2, "other"))
        return list(other)
    if kind == _SCALARS:
        _same_length_scalars(self, other)
        return list(other)
    return [other] * len(self)


def _scalar_list(self, value) -> list:
    """addcmul/addcdiv's ``value``: a number, a list of numbers or a 1-D tensor of them."""
    if isinstance(value, Tensor):
        if value.ndim != 1:
            raise RuntimeError(
                f"Expected packed scalar Tensor to be of dimension 1. Got {value.ndim} instead.")
        if value.numel() != len(self):
            raise RuntimeError(f"Expected length of scalars to match input of length "
                               f"{len(self)} but got {value.numel()} instead.")
        return value.tolist()
    if isinstance(value, (list, tuple)):
        _same_length_scalars(self, value)
        return list(value)
    return [value] * len(self)


def _as_tensor_of(t: Tensor, scalar) -> Tensor:
    """``scalar`` as a 0-dim tensor of the dtype ``t op scalar`` has (torch's promotion of a
    Python number), so maximum/minimum with it give clamp_min/clamp_max's values."""
    return full((), scalar, dtype=result_type_of((t, scalar)))


# ---------------------------------------------------------------------------------------
# binary: self[i] op other[i]

_ADD_KINDS = (_SCALAR, _SCALARS, _TENSOR, _TENSORS)
_CLAMP_KINDS = (_SCALAR, _SCALARS, _TENSORS)


def _foreach_add(self, other, *, alpha=1):
    """``self[i] + alpha * other[i]`` (torch.add); alpha only with tensors."""
    others = _operands("_foreach_add", self, other, _ADD_KINDS, alpha, (_TENSOR, _TENSORS))
    return tuple(t.add(o, alpha=alpha) for t, o in zip(self, others, strict=True))


def _foreach_add_(self, other, *, alpha=1):
    others = _operands("_foreach_add_", self, other, _ADD_KINDS, alpha, (_TENSOR, _TENSORS))
    for t, o in zip(self, others, strict=True):
        t.add_(o, alpha=alpha)
    return self


def _foreach_sub(self, other, *, alpha=1):
    """``self[i] - alpha * other[i]`` (torch.sub); torch has no single-tensor overload."""
    kinds = (_SCALAR, _SCALARS, _TENSORS)
    others = _operands("_foreach_sub", self, other, kinds, alpha, (_TENSORS,))
    return tuple(t.sub(o, alpha=alpha) for t, o in zip(self, others, strict=True))


def _foreach_sub_(self, other, *, alpha=1):
    kinds = (_SCALAR, _SCALARS, _TENSORS)
    for t, o in zip(self, _operands("_foreach_sub_", self, other, kinds, alpha, (_TENSORS,)),
                    strict=True):
        t.sub_(o, alpha=alpha)
    return self


def _foreach_mul(self, other):
    """``self[i] * other[i]`` (torch.mul)."""
    others = _operands("_foreach_mul", self, other, _ADD_KINDS)
    return tuple(t.mul(o) for t, o in zip(self, others, strict=True))


def _foreach_mul_(self, other):
    for t, o in zip(self, _operands("_foreach_mul_", self, other, _ADD_KINDS), strict=True):
        t.mul_(o)
    return self


def _foreach_div(self, other):
    """``self[i] / other[i]`` (torch.div, true division)."""
    others = _operands("_foreach_div", self, other, _ADD_KINDS)
    return tuple(t.div(o) for t, o in zip(self, others, strict=True))


def _foreach_div_(self, other):
    for t, o in zip(self, _operands("_foreach_div_", self, other, _ADD_KINDS), strict=True):
        t.div_(o)
    return self


def _foreach_maximum(self, other):
    """torch.maximum of each pair. torch's kernel for a number is clamp_min (same values);
    its gradient is maximum's, half to each side on a tie, which maximum gives here."""
    others = _operands("_foreach_maximum", self, other, _CLAMP_KINDS)
    return tuple(maximum(t, o if isinstance(o, Tensor) else _as_tensor_of(t, o))
                 for t, o in zip(self, others, strict=True))


def _foreach_maximum_(self, other):
    for t, o in zip(self, _operands("_foreach_maximum_", self, other, _CLAMP_KINDS),
                    strict=True):
        if isinstance(o, Tensor):
            t.copy_(maximum(t, o))
        else:
            t.clamp_min_(o)  # torch's kernel for a number
    return self


def _foreach_minimum(self, other):
    """torch.minimum of each pair (clamp_max's values for a number; see _foreach_maximum)."""
    others = _operands("_foreach_minimum", self, other, _CLAMP_KINDS)
    return tuple(minimum(t, o if isinstance(o, Tensor) else _as_tensor_of(t, o))
                 for t, o in zip(self, others, strict=True))


def _foreach_minimum_(self, other):
    for t, o in zip(self, _operands("_foreach_minimum_", self, other, _CLAMP_KINDS),
                    strict=True):
        if isinstance(o, Tensor):
            t.copy_(minimum(t, o))
        else:
            t.clamp_max_(o)
    return self


def _foreach_clamp_min(self, other):
    """torch.clamp_min of each tensor (gradient 1 at the bound, as clamp's)."""
    others = _operands("_foreach_clamp_min", self, other, _CLAMP_KINDS)
    return tuple(t.clamp_min(o) for t, o in zip(self, others, strict=True))


def _foreach_clamp_min_(self, other):
    for t, o in zip(self, _operands("_foreach_clamp_min_", self, other, _CLAMP_KINDS),
                    strict=True):
        t.clamp_min_(o)
    return self


def _foreach_clamp_max(self, other):
    """torch.clamp_max of each tensor."""
    others = _operands("_foreach_clamp_max", self, other, _CLAMP_KINDS)
    return tuple(t.clamp_max(o) for t, o in zip(self, others, strict=True))


def _foreach_clamp_max_(self, other):
    for t, o in zip(self, _operands("_foreach_clamp_max_", self, other, _CLAMP_KINDS),
                    strict=True):
        t.clamp_max_(o)
    return self


def _foreach_pow(self, exponent):
    """``self[i] ** exponent[i]`` (torch.pow); ``self`` may be one number:
    ``number ** exponent[i]``."""
    if isinstance(self, Number):
        return tuple(pow(self, e) for e in _tensors("_foreach_pow", exponent, 2, "exponent"))
    exponents = _operands("_foreach_pow", self, exponent, _CLAMP_KINDS)
    return tuple(t.pow(e) for t, e in zip(self, exponents, strict=True))


def _foreach_pow_(self, exponent):
    for t, e in zip(self, _operands("_foreach_pow_", self, exponent, _CLAMP_KINDS),
                    strict=True):
        t.pow_(e)
    return self


# ---------------------------------------------------------------------------------------
# ternary: lerp, addcmul, addcdiv


def _weights(name: str, self, tensors1, weight) -> list:
    _tensors(name, self)
    _same_length(self, _tensors(name, tensors1, 2, "tensors1"))
    return _operands(name, self, weight, (_SCALAR, _SCALARS, _TENSORS))


def _foreach_lerp(self, tensors1, weight):
    """``self[i] + weight[i] * (tensors1[i] - self[i])`` (torch.lerp); ``weight`` is a number,
    a list of numbers or a list of tensors."""
    weights = _weights("_foreach_lerp", self, tensors1, weight)
    return tuple(t.lerp(e, w) for t, e, w in zip(self, tensors1, weights, strict=True))


def _foreach_lerp_(self, tensors1, weight):
    weights = _weights("_foreach_lerp_", self, tensors1, weight)
    for t, e, w in zip(self, tensors1, weights, strict=True):
        t.lerp_(e, w)
    return self


def _factors(name: str, self, tensor1, tensor2, value) -> list:
    _tensors(name, self)
    _same_length(self, _tensors(name, tensor1, 2, "tensor1"))
    _same_length(self, _tensors(name, tensor2, 3, "tensor2"))
    return _scalar_list(self, value)


def _foreach_addcmul(self, tensor1, tensor2, value=1):
    """``self[i] + value[i] * tensor1[i] * tensor2[i]`` (torch.addcmul); ``value`` is a
    number, a list of numbers or a 1-D tensor of them."""
    values = _factors("_foreach_addcmul", self, tensor1, tensor2, value)
    return tuple(t.addcmul(a, b, value=v)
                 for t, a, b, v in zip(self, tensor1, tensor2, values, strict=True))


def _foreach_addcmul_(self, tensor1, tensor2, value=1):
    values = _factors("_foreach_addcmul_", self, tensor1, tensor2, value)
    for t, a, b, v in zip(self, tensor1, tensor2, values, strict=True):
        t.addcmul_(a, b, value=v)
    return self


def _foreach_addcdiv(self, tensor1, tensor2, value=1):
    """``self[i] + value[i] * tensor1[i] / tensor2[i]`` (torch.addcdiv)."""
    values = _factors("_foreach_addcdiv", self, tensor1, tensor2, value)
    return tuple(t.addcdiv(a, b, value=v)
                 for t, a, b, v in zip(self, tensor1, tensor2, values, strict=True))


def _foreach_addcdiv_(self, tensor1, tensor2, value=1):
    values = _factors("_foreach_addcdiv_", self, tensor1, tensor2, value)
    for t, a, b, v in zip(self, tensor1, tensor2, values, strict=True):
        t.addcdiv_(a, b, value=v)
    return self


# ---------------------------------------------------------------------------------------
# unary


def _foreach_sqrt(self):
    return tuple(t.sqrt() for t in _tensors("_foreach_sqrt", self))


def _foreach_sqrt_(self):
    for t in _tensors("_foreach_sqrt_", self):
        t.sqrt_()
    return self


def _foreach_neg(self):
    return tuple(t.neg() for t in _tensors("_foreach_neg", self))


def _foreach_neg_(self):
    for t in _tensors("_foreach_neg_", self):
        t.neg_()
    return self


def _foreach_abs(self):
    return tuple(t.abs() for t in _tensors("_foreach_abs", self))


def _foreach_abs_(self):
    for t in _tensors("_foreach_abs_", self):
        t.abs_()
    return self


def _foreach_exp(self):
    return tuple(t.exp() for t in _tensors("_foreach_exp", self))


def _foreach_exp_(self):
    for t in _tensors("_foreach_exp_", self):
        t.exp_()
    return self


def _foreach_log(self):
    return tuple(t.log() for t in _tensors("_foreach_log", self))


def _foreach_log_(self):
    for t in _tensors("_foreach_log_", self):
        t.log_()
    return self


def _foreach_reciprocal(self):
    return tuple(t.reciprocal() for t in _tensors("_foreach_reciprocal", self))


def _foreach_reciprocal_(self):
    for t in _tensors("_foreach_reciprocal_", self):
        t.reciprocal_()
    return self


def _foreach_sign(self):
    return tuple(t.sign() for t in _tensors("_foreach_sign", self))


def _foreach_sign_(self):
    for t in _tensors("_foreach_sign_", self):
        t.sign_()
    return self


def _foreach_clone(self):
    return tuple(t.clone() for t in _tensors("_foreach_clone", self))


def _foreach_zero_(self):
    for t in _tensors("_foreach_zero_", self):
        t.zero_()
    return self


def _foreach_copy_(self, src, non_blocking=False):
    """``self[i].copy_(src[i])`` (broadcasting and casting as copy_ does)."""
    _same_length(_tensors("_foreach_copy_", self), _tensors("_foreach_copy_", src, 2, "src"))
    for t, s in zip(self, src, strict=True):
        t.copy_(s)
    return self


# ---------------------------------------------------------------------------------------
# reductions: one 0-dim tensor per tensor


def _foreach_norm(self, ord=2, dtype=None):  # noqa: A002 - torch's name
    """torch.linalg.vector_norm of each whole tensor."""
    if not isinstance(ord, Number):
        raise TypeError(f"_foreach_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{type_name(ord)}")
    return tuple(vector_norm(t, ord, dtype=dtype)
                 for t in _tensors("_foreach_norm", self))


def _foreach_max(self):
    """The largest element of each tensor (an empty one is an error)."""
    for t in _tensors("_foreach_max", self):
        if t.numel() == 0:
            raise RuntimeError("_foreach_max cannot compute the maximum of an empty tensor; "
                               "max over zero elements is undefined.")
    return tuple(t.max() for t in self)
