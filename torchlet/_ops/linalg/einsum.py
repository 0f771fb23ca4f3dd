"""einsum: Einstein summation, one primitive.

The forward is ``np.einsum`` on the parsed subscripts (``optimize=True`` hands large
contractions to BLAS). The gradient of each operand is another einsum, of the output
gradient with the other operands (see ``Einsum``), so it is differentiable again.

Parsing follows torch 2.13: subscripts in [a-zA-Z], spaces ignored, at most one ``...``
per operand (broadcast like batch dimensions), an implicit output (the ellipsis, then
the subscripts seen exactly once, in alphabetical order, upper case first) when there is
no ``->``, size-1 dimensions broadcast against equal subscripts, repeated subscripts in
one operand take its diagonal; the same error messages.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._ops import shape as _shape
from torchlet._ops.linalg.products import _SCALAR_NAME
from torchlet._ops.pointwise.operands import _cast
from torchlet._tensor import Tensor, make_view
from torchlet.autograd.function import Primitive

# Internally a subscript is an int: 'A'-'Z' are 0-25 and 'a'-'z' are 26-51 (so sorting
# them sorts like the letters, as torch orders an implicit output), and the dimensions an
# ellipsis covers get 52, 53, ... (aligned on the right, as they broadcast).
_ELLIPSIS = 52

EinsumSpec = namedtuple("EinsumSpec", "inputs output sizes")


def _label(char: str) -> int:
    return ord(char) - ord("A") if char <= "Z" else ord(char) - ord("a") + 26


def _char(label: int) -> str:
    if label >= _ELLIPSIS:
        return "..."
    return chr(ord("A") + label) if label < 26 else chr(ord("a") + label - 26)


class Einsum(Primitive):
    """out = einsum(inputs -> output, *operands): multiply the operands along equal
    subscripts and sum over the subscripts missing from the output.

    grad_k (the operand with subscripts s_k) = einsum(output, s_j for j != k -> s_k)
    applied to (grad, the other operands): the derivative of a sum of products with
    respect to one factor is the sum of the products of the others. Two corrections:
    a subscript that only operand k has (summed inside it) does not appear in any other
    term, so the gradient is the same along it: broadcast (expand). A subscript repeated
    in operand k (its diagonal, as in 'ii->i') receives the gradient on that diagonal only
    and zeros elsewhere. The rule is an einsum of torchlet tensors, so it can be
    differentiated again.

    Operand j is saved only when another operand needs a gradient (only their rules use
    it), as torch's products save a factor only for the other factor's gradient; a lone
    operand is never saved. (With three operands or more torch contracts in pairs and
    saves intermediate products instead, so this can keep more than torch does.)

    torch computes einsum as a chain of permutes, views, bmm/mul and sums; this one node
    shows the name torch's result shows: ViewBackward0 (a contraction of several
    operands), MulBackward0 (a product without contraction), SumBackward1 or
    PermuteBackward0 (one operand, with or without a sum).
    """

    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, *arrays, spec, optimize):
        ctx.spec = spec
        needs = ctx.needs_input_grad
        n_needed = sum(needs)
        ctx.save_for_backward(*(
            array if n_needed > need else None  # another operand needs a gradient
            for array, need in zip(arrays, needs, strict=True)
        ))
        args = []
        for array, labels in zip(arrays, spec.inputs, strict=True):
            args += [array, list(labels)]
        out = np.einsum(*args, list(spec.output), optimize=optimize)
        if type(out) is not np.ndarray:
            return np.asarray(out)
        return out.view() if out is arrays[0] else out

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        return tuple(
            _einsum_grad(k, grad, operands, ctx.spec) if needed else None
            for k, needed in enumerate(ctx.needs_input_grad)
        )


class _EinsumProduct(Einsum):
    """As Einsum, for several operands and nothing summed (torch ends with a mul)."""

    node_name = "MulBackward0"


class _EinsumReduce(Einsum):
    """As Einsum, for one operand with subscripts summed (torch ends with a sum)."""

    node_name = "SumBackward1"


class _EinsumPermute(Einsum):
    """As Einsum, for one operand, nothing summed (torch ends with a permute)."""

    node_name = "PermuteBackward0"


def _einsum_grad(k: int, grad: Tensor, operands, spec: EinsumSpec) -> Tensor:
    """The gradient of einsum with respect to operand k (see Einsum)."""
    labels = spec.inputs[k]
    distinct = tuple(dict.fromkeys(labels))
    terms = [grad] + [op for j, op in enumerate(operands) if j != k]
    term_labels = [spec.output] + [s for j, s in enumerate(spec.inputs) if j != k]
    elsewhere = {label for s in term_labels for label in s}
    kept = tuple(label for label in distinct if label in elsewhere)
    g = _einsum(terms, term_labels, kept)
    full = tuple(spec.sizes[label] for label in distinct)
    if g._data.shape != full:
        # Subscripts summed inside operand k alone (and sizes operand k broadcast): the
        # gradient does not vary along them.
        if len(kept) != len(distinct):
            sizes = dict(zip(kept, g._data.shape, strict=True))
            g = _shape.reshape(g, tuple(sizes.get(label, 1) for label in distinct))
        g = _shape.expand(g, full)
    if len(distinct) != len(labels):
        g = _DiagonalEmbed.apply(g, labels=labels,
                                 shape=tuple(spec.sizes[label] for label in labels))
    return g


def _diagonal_view(array: np.ndarray, labels) -> np.ndarray:
    """The generalised diagonal of ``array`` (as einsum reads 'iij'): one axis per distinct
    subscript, stepping along all the axes that share it at once."""
    distinct = tuple(dict.fromkeys(labels))
    shape = tuple(array.shape[labels.index(label)] for label in distinct)
    strides = tuple(
        sum(s for s, other in zip(array.strides, labels, strict=True) if other == label)
        for label in distinct
    )
    return np.lib.stride_tricks.as_strided(array, shape, strides,
                                           writeable=array.flags.writeable)


class _Diagonal(Primitive):
    """out = the generalised diagonal of a;  grad_a = zeros with grad on that diagonal."""

    node_name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, a, *, labels):
        ctx.labels, ctx.in_shape = labels, a.shape
        return _diagonal_view(a, labels).copy()

    @staticmethod
    def backward(ctx, grad):
        return _DiagonalEmbed.apply(grad, labels=ctx.labels, shape=ctx.in_shape)


class _DiagonalEmbed(Primitive):
    """out = zeros of ``shape`` with a on the generalised diagonal;  grad_a = the diagonal
    of grad."""

    node_name = "DiagonalBackwardBackward0"

    @staticmethod
    def forward(ctx, a, *, labels, shape):
        ctx.labels = labels
        out = np.zeros(shape, a.dtype)
        _diagonal_view(out, labels)[...] = a
        return out

    @staticmethod
    def backward(ctx, grad):
        return _Diagonal.apply(grad, labels=ctx.labels)


def einsum(*args) -> Tensor:
    """Einstein summation: ``einsum('ij,jk->ik', a, b)``; the operands may also be given
    as one list, or in the sublist format ``einsum(a, [0, 1], b, [1, 2], [0, 2])``."""
    if len(args) < 2:
        raise ValueError(
            "einsum(): must specify the equation string and at least one operand, "
            "or at least one operand and its subscripts list"
        )
    if isinstance(args[0], Tensor):
        equation = ",".join("".join(_sublist_char(s) for s in sub) for sub in args[1::2])
        if len(args) % 2 == 1:
            equation += "->" + "".join(_sublist_char(s) for s in args[-1])
            operands = args[:-1:2]
        else:
            operands = args[::2]
    else:
        equation, operands = args[0], args[1:]
        while len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])  # the old interface: the operands as one list
    for i, op in enumerate(operands):
        if not isinstance(op, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 1, but got {type_name(op)}"
            )
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    inputs, output = _parse_equation(equation, operands)
    return _einsum(list(operands), inputs, output)


def _sublist_char(s) -> str:
    if s is Ellipsis:
        return "..."
    if 0 <= s < 26:
        return chr(ord("A") + s)
    if 26 <= s < 52:
        return chr(ord("a") + s - 26)
    raise ValueError("einsum(): subscript in subscript list is not within the valid range "
                     "[0, 52)")


def _parse_equation(equation: str, operands):
    """Subscripts of each operand and of the output (ints, see _label), with torch's
    checks and messages."""
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    terms: list[list[int | None]] = [[]]  # per operand: labels, with None where the ellipsis stands
    found_ellipsis = False
    i = 0
    while i < len(lhs):
        c = lhs[i]
        if c == ".":
            operand = len(terms) - 1
            if found_ellipsis:
                raise RuntimeError(f"einsum(): found '.' for operand {operand} for which an "
                                   "ellipsis was already found")
            if lhs[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for operand {operand} that is not "
                                   "part of any ellipsis")
            terms[-1].append(None)
            found_ellipsis = True
            i += 2
        elif c == ",":
            if len(terms) == len(operands):
                raise RuntimeError(
                    "einsum(): fewer operands were provided than specified in the equation")
            terms.append([])
            found_ellipsis = False
        elif c.isascii() and c.isalpha():
            terms[-1].append(_label(c))
        elif c != " ":
            raise RuntimeError(_bad_subscript(i))
        i += 1
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")

    # How many dimensions the ellipsis covers (the most of any operand), and label counts.
    ellipsis_ndim = 0
    counts: dict[int, int] = {}
    for k, (term, op) in enumerate(zip(terms, operands, strict=True)):
        ndim = op._data.ndim
        n_labels = len(term) - (None in term)
        if None in term:
            if n_labels > ndim:
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({n_labels}) is more "
                    f"than the number of dimensions ({ndim}) for operand {k}")
            ellipsis_ndim = max(ellipsis_ndim, ndim - n_labels)
        elif n_labels != ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n_labels}) does not "
                f"match the number of dimensions ({ndim}) for operand {k} and no ellipsis "
                "was given")
        for label in term:
            if label is not None:
                counts[label] = counts.get(label, 0) + 1
    ellipsis_labels = tuple(range(_ELLIPSIS, _ELLIPSIS + ellipsis_ndim))

    inputs = []
    for term, op in zip(terms, operands, strict=True):
        labels: list[int] = []
        for label in term:
            if label is None:
                covered = op._data.ndim - (len(term) - 1)
                labels += ellipsis_labels[ellipsis_ndim - covered:]
            else:
                labels.append(label)
        inputs.append(tuple(labels))

    if arrow < 0:  # implicit output: the ellipsis, then the subscripts seen once, sorted
        output = ellipsis_labels + tuple(sorted(c for c, n in counts.items() if n == 1))
    else:
        output_labels: list[int] = []
        found_ellipsis = False
        rhs_start = arrow + 2
        rhs = equation[rhs_start:]
        i = 0
        while i < len(rhs):
            c = rhs[i]
            if c == ".":
                if found_ellipsis:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) "
                                       "was already found")
                if rhs[i:i + 3] != "...":
                    raise RuntimeError("einsum(): found '.' for output that is not part of "
                                       "any ellipsis (...)")
                output_labels += ellipsis_labels
                found_ellipsis = True
                i += 2
            elif c.isascii() and c.isalpha():
                label = _label(c)
                if label in output_labels:
                    raise RuntimeError(
                        f"einsum(): output subscript {c} appears more than once in the output")
                if label not in counts:
                    raise RuntimeError(f"einsum(): output subscript {c} does not appear in "
                                       "the equation for any input operand")
                output_labels.append(label)
            elif c != " ":
                raise RuntimeError(_bad_subscript(rhs_start + i))
            i += 1
        output = tuple(output_labels)
    return inputs, output


def _bad_subscript(index: int) -> str:
    return (f"einsum(): invalid subscript given at index {index} in the equation string, "
            "subscripts must be in [a-zA-Z]")


def _label_sizes(operands, inputs):
    """The size of each subscript: equal sizes, or 1 broadcasting against any size."""
    sizes = {}
    for k, (op, labels) in enumerate(zip(operands, inputs, strict=True)):
        shape = op._data.shape
        first_at = {}
        ellipsis_dim = 0
        for dim, (size, label) in enumerate(zip(shape, labels, strict=True)):
            if label in first_at:
                if size != shape[first_at[label]]:
                    raise RuntimeError(
                        f"einsum(): subscript {_char(label)} is repeated for operand {k} but "
                        f"the sizes don't match, {size} != {shape[first_at[label]]}")
                continue
            first_at[label] = dim
            seen = sizes.get(label)
            if seen is not None and size != seen and size != 1 and seen != 1:
                if label >= _ELLIPSIS:
                    raise RuntimeError(
                        f"einsum(): dimension {ellipsis_dim} covered by ellipsis in operand "
                        f"{k}has size {size} which does not broadcast with previously seen "
                        f"ellipsis with size {seen} for the respective dimension")
                raise RuntimeError(
                    f"einsum(): subscript {_char(label)} has size {size} for operand {k} "
                    f"which does not broadcast with previously seen size {seen}")
            if seen is None or seen == 1:
                sizes[label] = size
            if label >= _ELLIPSIS:
                ellipsis_dim += 1
    return sizes


def _einsum_dtype(operands, inputs, output):
    """The result dtype torch's einsum ends with, or its error.

    torch contracts left to right: it first sums the subscripts only one operand has
    (``sum`` turns integers into int64), then multiplies operand pairs, with ``mul`` (which
    promotes dtypes) when nothing is summed between them and ``bmm`` (which wants equal
    dtypes, and no bools) when something is.
    """
    in_output = set(output)
    last_use = {}
    for k, labels in enumerate(inputs):
        for label in labels:
            last_use[label] = k
    result, seen = None, set()
    for k, (op, labels) in enumerate(zip(operands, inputs, strict=True)):
        dtype = op._data.dtype
        mine = set(labels)
        if any(last_use[label] == k and label not in seen and label not in in_output
               for label in mine) and dtype.kind in "biu":
            dtype = np.dtype(np.int64)
        if result is None:
            result = dtype
        elif any(last_use[label] == k and label in seen and label not in in_output
                 for label in mine):
            if result != dtype:
                raise RuntimeError(
                    f"expected scalar type {_SCALAR_NAME[result.name]} but found "
                    f"{_SCALAR_NAME[dtype.name]}")
            if dtype == np.bool_:
                raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
        else:
            result = _dtype.promote_types(_dtype._BY_NP[result], _dtype._BY_NP[dtype]).np
        seen |= mine
    return result


def _einsum(operands, inputs, output) -> Tensor:
    """einsum of tensors whose subscripts are already parsed (also used by the backward)."""
    sizes = _label_sizes(operands, inputs)
    np_dtype = _einsum_dtype(operands, inputs, output)
    operands = [_cast(op, np_dtype) for op in operands]
    # np.einsum's subscripts must lie in [0, 52): renumber the ones in use.
    numbering = {label: i for i, label in enumerate(sorted(sizes))}
    if len(numbering) > 52:
        raise RuntimeError("einsum(): too many subscripts (at most 52, ellipsis included)")
    spec = EinsumSpec(
        inputs=tuple(tuple(numbering[label] for label in labels) for labels in inputs),
        output=tuple(numbering[label] for label in output),
        sizes={numbering[label]: size for label, size in sizes.items()},
    )
    contracts = any(label not in output for labels in inputs for label in labels)
    primitive: type[Primitive]
    if len(operands) == 1:
        primitive = _EinsumReduce if contracts else _EinsumPermute
    else:
        primitive = Einsum if contracts else _EinsumProduct
    # optimize=True lets NumPy hand contractions to BLAS (tensordot/matmul); planning the
    # path costs ~10 us, worth it only when there is enough arithmetic.
    optimize = len(operands) > 1 and math.prod(sizes.values()) >= 4096
    out = primitive.apply(*operands, spec=spec, optimize=optimize)
    if primitive is _EinsumPermute:
        # A permutation or diagonal of one operand: np.einsum returns a view of it, and
        # torch's permute/diagonal do too; the result shares its storage and version.
        out = make_view(out, operands[0])
    return out
