"""In-place forms: the Tensor methods that need more than ``_inplace`` (comparisons,
logical and bitwise operations, cumsum_/cumprod_), and torch's top-level in-place
functions (``torch.exp_(t)`` is ``t.exp_()``), plus torch.fill, torch.feature_dropout.

torch's rules for writing a result into ``self``:

* the result is cast to ``self``'s dtype; a result dtype of a higher kind (float into an
  integer tensor, anything but bool into a bool tensor) raises "result type Float can't be
  cast to the desired output type Long";
* comparisons keep ``self``'s dtype and write 0 or 1. When the graph is recorded they
  become ``self``'s grad_fn (EqBackward0 for a Python number, EqBackward1 for a tensor) and
  send zero gradients to both operands;
* logical_and_/or_/xor_ are not recorded at all: torch writes the values and leaves
  ``self``'s history (and a leaf's requires_grad) as it was.
"""

from __future__ import annotations

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._ops.pointwise.operands import (
    _TYPE_WORD,
    _check_tensor,
    _operands,
    full_like_value,
    zeros_like,
)
from torchlet._tensor import _NOT_GIVEN, Tensor, _inplace, _write_result, wrap
from torchlet.autograd.function import Primitive
from torchlet.nn._functional import activation as _activation
from torchlet.nn._functional import dropout as _dropout

# ---------------------------------------------------------------------------------------
# helpers of the Tensor methods

_CASTABLE = {"b": "b", "u": "bui", "i": "bui", "f": "buif"}


def check_castable(self: Tensor, other) -> None:
    """torch's error when ``result_type(self, other)`` cannot be written into ``self``."""
    result = _dtype.result_type_of((self, other)).np
    target = self._data.dtype
    if result.kind not in _CASTABLE[target.kind]:
        raise RuntimeError(
            f"result type {_TYPE_WORD[result.name]} can't be cast to the desired output "
            f"type {_TYPE_WORD[target.name]}"
        )


class CompareInplace(Primitive):
    """out = (a op b) as 0 or 1 in a's dtype;  piecewise constant: grad_a = grad_b = 0.
    The node's name is torch's for the comparison (EqBackward0, LtBackward1, ...)."""

    node_name = "EqBackward1"

    @staticmethod
    def forward(ctx, a, b, *, op, common, node_name):
        ctx.node_name = node_name
        return op(a.astype(common, copy=False), np.asarray(b).astype(common)).astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        return zeros_like(grad) if needs[0] else None, zeros_like(grad) if needs[1] else None


_COMPARISONS = {
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal,
}


def compare_(self: Tensor, other, name: str) -> Tensor:
    """``self.eq_(other)`` and the other comparisons: 0/1 written in ``self``'s dtype."""
    common = _operands(self.detach(), other.detach() if isinstance(other, Tensor) else other)[2]
    node_name = f"{name.capitalize()}Backward{1 if isinstance(other, Tensor) else 0}"

    def compare(a, b):
        return CompareInplace.apply(a, b, op=_COMPARISONS[name], common=common,
                                    node_name=node_name)

    return _inplace(self, compare, other)


def logical_(self: Tensor, other, op, name: str) -> Tensor:
    """``self.logical_and_(other)``: values written, history left alone (as torch)."""
    other = tensor_other(name, other)
    _write_result(self, wrap(np.asarray(op(self._data, other._data))))
    return self


def tensor_other(name: str, other) -> Tensor:
    """torch's error for a method whose ``other`` must be a Tensor (atan2_)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not "
                        f"{type_name(other)}")
    return other


def bitwise_(self: Tensor, op, other) -> Tensor:
    """``self.bitwise_and_(other)``: torch's checks in its order: the shapes (an operand
    that does not broadcast to ``self``'s), then whether the result casts to self."""
    if isinstance(other, Tensor) and other._data.shape != self._data.shape:
        try:
            shape = np.broadcast_shapes(self._data.shape, other._data.shape)
        except ValueError:
            return _inplace(self, op, other)  # (the op raises torch's size error)
        if shape != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match "
                               f"the broadcast shape {list(shape)}")
    try:
        check_castable(self, other)
    except TypeError:  # (not a Tensor nor a number: ``_inplace`` words torch's parser error)
        pass
    return _inplace(self, op, other)


def cumulative_(self: Tensor, op, name: str, dim: int, dtype) -> Tensor:
    """``self.cumsum_(dim)``: computed as cumsum (int64 for integers), cast back."""
    target = self._data.dtype
    if dtype is not None and dtype.np != target:
        words = _dtype.C_TYPE_NAMES
        raise RuntimeError(
            f"Bad in-place call: input tensor dtype {words[target.name]} and output tensor "
            f"dtype {words[dtype.np.name]} should match"
        )
    if target.kind == "b":
        raise NotImplementedError(f'"{name}_out_cpu" not implemented for \'Bool\'')
    return _inplace(self, op, dim)


# ---------------------------------------------------------------------------------------
# torch's top-level in-place functions: each is the Tensor method of the same name


def abs_(input):  # noqa: A002
    """In-place abs."""
    return _check_tensor("abs_", input).abs_()


def acos_(input):  # noqa: A002
    """In-place acos."""
    return _check_tensor("acos_", input).acos_()


def acosh_(input):  # noqa: A002
    """In-place acosh."""
    return _check_tensor("acosh_", input).acosh_()


def arccos_(input):  # noqa: A002
    """In-place arccos (acos)."""
    return _check_tensor("arccos_", input).arccos_()


def arccosh_(input):  # noqa: A002
    """In-place arccosh (acosh)."""
    return _check_tensor("arccosh_", input).arccosh_()


def arcsin_(input):  # noqa: A002
    """In-place arcsin (asin)."""
    return _check_tensor("arcsin_", input).arcsin_()


def arcsinh_(input):  # noqa: A002
    """In-place arcsinh (asinh)."""
    return _check_tensor("arcsinh_", input).arcsinh_()


def arctan_(input):  # noqa: A002
    """In-place arctan (atan)."""
    return _check_tensor("arctan_", input).arctan_()


def arctanh_(input):  # noqa: A002
    """In-place arctanh (atanh)."""
    return _check_tensor("arctanh_", input).arctanh_()


def asin_(input):  # noqa: A002
    """In-place asin."""
    return _check_tensor("asin_", input).asin_()


def asinh_(input):  # noqa: A002
    """In-place asinh."""
    return _check_tensor("asinh_", input).asinh_()


def atan_(input):  # noqa: A002
    """In-place atan."""
    return _check_tensor("atan_", input).atan_()


def atanh_(input):  # noqa: A002
    """In-place atanh."""
    return _check_tensor("atanh_", input).atanh_()


def ceil_(input):  # noqa: A002
    """In-place ceil."""
    return _check_tensor("ceil_", input).ceil_()


def clamp_(input, min=_NOT_GIVEN, max=_NOT_GIVEN):  # noqa: A002 - (None: _NOT_GIVEN)
    """In-place clamp."""
    try:
        return _check_tensor("clamp_", input).clamp_(min, max)
    except TypeError:  # (the method's words: the function's, where the parser refused)
        check_clamp_arguments("clamp_", (min, max), input)
        raise


def clamp_max_(input, max):  # noqa: A002
    """In-place clamp_max."""
    try:
        return _check_tensor("clamp_max_", input).clamp_max_(max)
    except TypeError:  # (the method's words: the function's, where the parser refused)
        check_clamp_arguments("clamp_max_", (max,), input)
        raise


def clamp_min_(input, min):  # noqa: A002
    """In-place clamp_min."""
    try:
        return _check_tensor("clamp_min_", input).clamp_min_(min)
    except TypeError:  # (the method's words: the function's, where the parser refused)
        check_clamp_arguments("clamp_min_", (min,), input)
        raise


def clip_(input, min=_NOT_GIVEN, max=_NOT_GIVEN):  # noqa: A002 - (None: _NOT_GIVEN)
    """In-place clip (clamp)."""
    try:
        return _check_tensor("clip_", input).clip_(min, max)
    except TypeError:  # (the method's words: the function's, where the parser refused)
        check_clamp_arguments("clip_", (min, max), input)
        raise


def cos_(input):  # noqa: A002
    """In-place cos."""
    return _check_tensor("cos_", input).cos_()


def cosh_(input):  # noqa: A002
    """In-place cosh."""
    return _check_tensor("cosh_", input).cosh_()


def erf_(input):  # noqa: A002
    """In-place erf."""
    return _check_tensor("erf_", input).erf_()


def exp2_(input):  # noqa: A002
    """In-place exp2."""
    return _check_tensor("exp2_", input).exp2_()


def exp_(input):  # noqa: A002
    """In-place exp."""
    return _check_tensor("exp_", input).exp_()


def expm1_(input):  # noqa: A002
    """In-place expm1."""
    return _check_tensor("expm1_", input).expm1_()


def fix_(input):  # noqa: A002
    """In-place fix (trunc)."""
    return _check_tensor("fix_", input).fix_()


def floor_(input):  # noqa: A002
    """In-place floor."""
    return _check_tensor("floor_", input).floor_()


def frac_(input):  # noqa: A002
    """In-place frac."""
    return _check_tensor("frac_", input).frac_()


def log10_(input):  # noqa: A002
    """In-place log10."""
    return _check_tensor("log10_", input).log10_()


def log1p_(input):  # noqa: A002
    """In-place log1p."""
    return _check_tensor("log1p_", input).log1p_()


def log2_(input):  # noqa: A002
    """In-place log2."""
    return _check_tensor("log2_", input).log2_()


def log_(input):  # noqa: A002
    """In-place log."""
    return _check_tensor("log_", input).log_()


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):  # noqa: A002
    """In-place nan_to_num."""
    return _check_tensor("nan_to_num_", input).nan_to_num_(nan, posinf, neginf)


def neg_(input):  # noqa: A002
    """In-place neg."""
    return _check_tensor("neg_", input).neg_()


def negative_(input):  # noqa: A002
    """In-place negative (neg)."""
    return _check_tensor("negative_", input).negative_()


def reciprocal_(input):  # noqa: A002
    """In-place reciprocal."""
    return _check_tensor("reciprocal_", input).reciprocal_()


def relu_(input):  # noqa: A002
    """In-place relu."""
    return _check_tensor("relu_", input).relu_()


def round_(input, *, decimals=None):  # noqa: A002
    """In-place round."""
    return _check_tensor("round_", input).round_(decimals=decimals)


def rsqrt_(input):  # noqa: A002
    """In-place rsqrt."""
    return _check_tensor("rsqrt_", input).rsqrt_()


def sigmoid_(input):  # noqa: A002
    """In-place sigmoid."""
    return _check_tensor("sigmoid_", input).sigmoid_()


def sin_(input):  # noqa: A002
    """In-place sin."""
    return _check_tensor("sin_", input).sin_()


def sinh_(input):  # noqa: A002
    """In-place sinh."""
    return _check_tensor("sinh_", input).sinh_()


def sqrt_(input):  # noqa: A002
    """In-place sqrt."""
    return _check_tensor("sqrt_", input).sqrt_()


def square_(input):  # noqa: A002
    """In-place square."""
    return _check_tensor("square_", input).square_()


def tan_(input):  # noqa: A002
    """In-place tan."""
    return _check_tensor("tan_", input).tan_()


def tanh_(input):  # noqa: A002
    """In-place tanh."""
    return _check_tensor("tanh_", input).tanh_()


def trunc_(input):  # noqa: A002
    """In-place trunc."""
    return _check_tensor("trunc_", input).trunc_()


def zero_(input):  # noqa: A002
    """Fill with zeros, in place."""
    return _check_tensor("zero_", input).zero_()


def fill_(input, value):  # noqa: A002
    """Fill with ``value`` (a number or a 0-d tensor), in place."""
    try:
        return _check_tensor("fill_", input).fill_(value)
    except TypeError:  # (the method's words: the function's, where the parser refused)
        _check_fill_arguments("fill_", input, value)
        raise


def fill(input, value):  # noqa: A002
    """A new tensor of ``input``'s shape and dtype filled with ``value`` (not in place)."""
    try:
        return full_like_value(_check_tensor("fill", input), value)
    except Exception:
        _check_fill_arguments("fill", input, value)
        raise


def _check_fill_arguments(name: str, input, value) -> None:  # noqa: A002
    """torch's parser's error for torch.fill / torch.fill_ (``name``) when ``input`` is no
    Tensor or ``value`` neither a Tensor nor a number (its two overloads); called where
    the operation failed, so its success costs nothing."""
    from torchlet._errors import invalid_arguments
    from torchlet._tensor import _NUMBER

    if not isinstance(input, Tensor) or not isinstance(value, (Tensor, *_NUMBER)):
        raise invalid_arguments(name, (input, value), {}, (
            "Tensor input, Tensor value", "Tensor input, Number value")) from None


# activations and dropout: torch's top-level forms of the nn.functional in-place variants


def threshold_(input, threshold, value):  # noqa: A002
    """In-place threshold: ``value`` where input <= threshold."""
    return _activation.threshold_(input, threshold, value)


def selu_(input):  # noqa: A002
    """In-place selu."""
    return _activation.selu_(input)


def celu_(input, alpha=1.0):  # noqa: A002
    """In-place celu."""
    return _activation.celu_(input, alpha)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):  # noqa: A002
    """In-place rrelu (random slopes from the default generator in training)."""
    return _activation.rrelu_(input, lower, upper, training)


def _dropout_input(name: str, input, p) -> Tensor:  # noqa: A002
    x = _check_tensor(name, input)
    if not 0 <= p <= 1:  # ATen's check: a RuntimeError (nn.functional's is a ValueError)
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    return x


def _feature_input(name: str, input, p, train) -> Tensor:  # noqa: A002
    x = _dropout_input(name, input, p)
    # torch checks the dims where it draws the per-channel noise, so only then
    if x._data.ndim < 2 and train and 0 < p < 1 and x._data.size:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return x


def dropout_(input, p, train):  # noqa: A002
    """In-place dropout (``train=False`` returns the input untouched)."""
    return _dropout.dropout(_dropout_input("dropout_", input, p), p, train, inplace=True)


def alpha_dropout_(input, p, train):  # noqa: A002
    """In-place alpha_dropout."""
    return _dropout.alpha_dropout(_dropout_input("alpha_dropout_", input, p), p, train,
                                 inplace=True)


def feature_dropout(input, p, train):  # noqa: A002
    """Dropout of whole channels (dim 1), one draw per (sample, channel)."""
    x = _feature_input("feature_dropout", input, p, train)
    return _dropout._dropout(x, p, train, False, feature=True)


def feature_dropout_(input, p, train):  # noqa: A002
    """In-place feature_dropout."""
    x = _feature_input("feature_dropout_", input, p, train)
    return _dropout._dropout(x, p, train, True, feature=True)


def feature_alpha_dropout_(input, p, train):  # noqa: A002
    """In-place feature_alpha_dropout."""
    x = _feature_input("feature_alpha_dropout_", input, p, train)
    return _dropout.feature_alpha_dropout(x, p, train, inplace=True)


# ---------------------------------------------------------------------------------------
# clamp's arguments, as torch's parser refuses them (method, function and in-place forms)

_CLAMP_SIGNATURES = {
    "clamp": ("Tensor min = None, Tensor max = None", "Number min = None, Number max = None"),
    "clamp_min": ("Tensor min", "Number min"),
    "clamp_max": ("Tensor max", "Number max"),
}
_NO_INPUT = object()  # (a Tensor method's call: no input argument)


def check_clamp_arguments(name: str, bounds: tuple, input=_NO_INPUT, out=None) -> None:  # noqa: A002
    """torch's parser's error for clamp, clip, clamp_min, clamp_max or their in-place forms
    (``name``) given ``bounds`` (``(min, max)``, or the one bound of clamp_min/clamp_max),
    if they fit neither overload: both bounds Tensors, or both numbers (a 0-d tensor
    without grad counts as one), or None; a clamp_min/clamp_max bound must be given.
    ``input``: the function's first argument (torch.clamp), else a Tensor method's call.
    Called where the operation failed, so its success costs nothing.

    A bound ``_NOT_GIVEN`` was not passed: a ``max`` without a ``min`` was passed by
    keyword. Whether the others were cannot be seen here; they count as positional
    (``clamp(0)``, ``clamp(None, 1)``; torch words ``clamp(min=0)`` as ``got (min=int, )``)."""
    from torchlet._errors import invalid_arguments
    from torchlet._tensor import _NUMBER

    present = tuple(b for b in bounds if b is not _NOT_GIVEN)
    given = [b for b in present if b is not None]
    tensors = [isinstance(b, Tensor) for b in given]
    loose = [b for b in given if isinstance(b, Tensor) and (b.ndim or b.requires_grad)]
    fits = (len(given) == len(bounds) or len(bounds) == 2) and all(
        isinstance(b, (Tensor, *_NUMBER)) for b in given) and (all(tensors) or not loose)
    if fits and (input is _NO_INPUT or isinstance(input, Tensor)):
        return
    signatures: tuple = _CLAMP_SIGNATURES["clamp" if len(bounds) == 2 else name.rstrip("_")]
    args: tuple = present
    kwargs: dict = {}
    if len(bounds) == 2 and bounds[0] is _NOT_GIVEN and bounds[1] is not _NOT_GIVEN:
        args, kwargs = (), {"max": bounds[1]}
    if input is not _NO_INPUT:
        args = (input, *args)
        kwargs = {**kwargs, "out": out} if out is not None else kwargs
        out_keyword = "" if name.endswith("_") else ", *, Tensor out = None"
        signatures = tuple(f"Tensor input, {s}{out_keyword}" for s in signatures)
    raise invalid_arguments(name, args, kwargs, signatures) from None
