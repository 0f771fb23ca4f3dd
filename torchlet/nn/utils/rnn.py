"""Packed sequences: a batch of sequences of different lengths without the padding, as
``torch.nn.utils.rnn``.

A padded batch ``(T, B, *)`` whose sequences are sorted by decreasing length is packed
time step by time step: first the ``batch_sizes[0]`` entries of step 0 (every sequence),
then the ``batch_sizes[1]`` entries of step 1 (the sequences at least 2 long), and so on::

    lengths [3, 2, 1]      padded (T=3, B=3)      data              batch_sizes
                           a0 b0 c0               a0 b0 c0 | a1 b1 | a2   [3, 2, 1]
                           a1 b1 .
                           a2 .  .

An RNN fed a ``PackedSequence`` runs each step on the first ``batch_sizes[t]`` rows only,
so no work (and no state update) is wasted on the padding. ``sorted_indices`` records the
sort by length when the batch was not sorted (``enforce_sorted=False``);
``unsorted_indices`` is its inverse, used to put the results back in the caller's order.

Packing and unpacking are one gather and one scatter over the same index pairs
``(t, b)``; each is the other's adjoint, so both are differentiable to any order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from torchlet import _dtype
from torchlet._ops.creation import arange, as_tensor
from torchlet._ops.indexing._common import fill_scalar
from torchlet._ops.reduction import sort as _sort
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive

__all__ = [
    "PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence",
    "pad_packed_sequence", "pad_sequence", "unpack_sequence", "unpad_sequence",
]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)``: a packed batch of
    sequences (see the module docstring). Made by ``pack_padded_sequence`` /
    ``pack_sequence``; ``batch_sizes`` is an int64 tensor, one entry per time step."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        return super().__new__(
            cls, *_packed_sequence_init_args(data, batch_sizes, sorted_indices,
                                             unsorted_indices))

    def pin_memory(self):
        return type(self)(self.data.pin_memory(), self.batch_sizes,
                          _bind(self.sorted_indices, lambda t: t.pin_memory()),
                          _bind(self.unsorted_indices, lambda t: t.pin_memory()))

    def to(self, *args, **kwargs):
        """``data.to(*args, **kwargs)``; the index tensors follow data's device only
        (``batch_sizes`` always stays an int64 CPU tensor)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        sorted_indices = _bind(self.sorted_indices, lambda t: t.to(data.device))
        unsorted_indices = _bind(self.unsorted_indices, lambda t: t.to(data.device))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args, **kwargs):
        kwargs["device"] = "cuda"
        return self.to(*args, **kwargs)

    def cpu(self, *args, **kwargs):
        kwargs["device"] = "cpu"
        return self.to(*args, **kwargs)

    def double(self):
        return self.to(dtype=_dtype.float64)

    def float(self):  # noqa: A003 - torch's method name
        return self.to(dtype=_dtype.float32)

    def half(self):
        return self.to(dtype=_dtype.float16)

    def long(self):
        return self.to(dtype=_dtype.int64)

    def int(self):  # noqa: A003
        return self.to(dtype=_dtype.int32)

    def short(self):
        return self.to(dtype=_dtype.int16)

    def char(self):
        return self.to(dtype=_dtype.int8)

    def byte(self):
        return self.to(dtype=_dtype.uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return self.data.is_pinned()


def _packed_sequence_init_args(data, batch_sizes=None, sorted_indices=None,
                               unsorted_indices=None):
    if unsorted_indices is None:
        unsorted_indices = invert_permutation(sorted_indices)
    if batch_sizes is not None:
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
            )
        return data, batch_sizes, sorted_indices, unsorted_indices
    # PackedSequence((data, batch_sizes), sorted_indices=...)
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        raise AssertionError("Expected data to be a list or tuple of length 2")
    return data[0], data[1], sorted_indices, unsorted_indices


def invert_permutation(permutation):
    """The inverse permutation: ``out[permutation[i]] = i`` (None for None)."""
    if permutation is None:
        return None
    perm = permutation._data
    out = np.empty_like(perm)
    out[perm] = np.arange(perm.size, dtype=perm.dtype)
    return wrap(out)


# ---------------------------------------------------------------------------------------
# the gather and the scatter behind packing and padding


def _packed_index(batch_sizes: np.ndarray):
    """The (t, b) position in the padded ``(T, B, *)`` layout of each row of packed data."""
    steps = np.arange(batch_sizes.size)
    t_idx = np.repeat(steps, batch_sizes)
    starts = np.cumsum(batch_sizes) - batch_sizes
    b_idx = np.arange(t_idx.size) - np.repeat(starts, batch_sizes)
    return t_idx, b_idx


class _Gather(Primitive):
    """data[n] = padded[t_n, b_n];  grad_padded = the scatter of grad to (t_n, b_n), zeros
    elsewhere."""

    node_name = "PackPaddedSequenceBackward0"

    @staticmethod
    def forward(ctx, padded, *, t_idx, b_idx):
        ctx.index = (t_idx, b_idx)
        ctx.shape = padded.shape
        # (fancy indexing keeps a strided input's layout in the trailing dims; torch's
        # packed data is always contiguous)
        return np.ascontiguousarray(padded[t_idx, b_idx])

    @staticmethod
    def backward(ctx, grad):
        t_idx, b_idx = ctx.index
        return _Scatter.apply(grad, t_idx=t_idx, b_idx=b_idx, shape=ctx.shape, fill=0)


class _Scatter(Primitive):
    """padded[t_n, b_n] = data[n], ``fill`` elsewhere;  grad_data[n] = grad[t_n, b_n]."""

    node_name = "torch::autograd::CopySlices"  # torch writes the padded tensor slice by slice

    @staticmethod
    def forward(ctx, data, *, t_idx, b_idx, shape, fill):
        ctx.index = (t_idx, b_idx)
        out = np.full(shape, _fill(fill, data.dtype, shape), dtype=data.dtype)
        out[t_idx, b_idx] = data
        return out

    @staticmethod
    def backward(ctx, grad):
        t_idx, b_idx = ctx.index
        return _Gather.apply(grad, t_idx=t_idx, b_idx=b_idx)


def _fill(value, dtype, shape):
    """The padding value as torch's ``full`` converts it (RuntimeError when it overflows
    the dtype: 1e30 as float16, NaN as an integer)."""
    return fill_scalar(value, dtype, int(np.prod(shape)))


_SCALAR_TYPE = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                "int32": "Int", "int64": "Long", "float16": "Half", "float32": "Float",
                "float64": "Double"}


def _check_long_1d(t: Tensor) -> np.ndarray:
    """torch checks lengths and batch_sizes alike (and names both 'lengths')."""
    data = t._data
    if data.ndim != 1 or data.dtype != np.int64:
        raise RuntimeError(
            "'lengths' argument should be a 1D CPU int64 tensor, but got "
            f"{data.ndim}D cpu {_SCALAR_TYPE[data.dtype.name]} tensor"
        )
    return data


# ---------------------------------------------------------------------------------------
# public functions


def pack_padded_sequence(input, lengths, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``) whose
    sequences have the given ``lengths``. With ``enforce_sorted=True`` the lengths must be
    in decreasing order; otherwise the batch is sorted first and the permutation kept."""
    if not isinstance(lengths, Tensor):
        lengths = as_tensor(lengths, dtype=_dtype.int64)
    else:
        lengths = lengths.to(dtype=_dtype.int64)
    if enforce_sorted:
        sorted_indices = None
    else:
        lengths, sorted_indices = _sort(lengths, descending=True)
        input = input.index_select(0 if batch_first else 1, sorted_indices)

    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    # torch's order of checks (and its IndexError for an input of fewer than 2 dims)
    time_major = input.transpose(0, 1) if batch_first else input
    n = _check_long_1d(lengths)
    batch_size = time_major.size(1)
    if n.shape[0] != batch_size:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {n.shape[0]} "
            f"(batch_size={batch_size})"
        )
    if n[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    if np.any(n[1:] > n[:-1]):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
            "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
            "pack_sequence to sidestep this requirement if you do not need ONNX "
            "exportability."
        )
    seq_len = input.shape[1 if batch_first else 0]
    if n[0] > seq_len:
        # torch reads past the end here and returns an inconsistent PackedSequence
        raise RuntimeError(
            f"Expected all lengths to be at most the sequence length {seq_len}, but got "
            f"a length of {int(n[0])}"
        )
    # batch_sizes[t] = how many sequences are longer than t
    batch_sizes = (n[None, :] > np.arange(n[0])[:, None]).sum(1).astype(np.int64)
    t_idx, b_idx = _packed_index(batch_sizes)
    if batch_first:
        t_idx, b_idx = b_idx, t_idx
    data = _Gather.apply(input, t_idx=t_idx, b_idx=b_idx)
    return PackedSequence(data, wrap(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):
    """The inverse of ``pack_padded_sequence``: ``(padded, lengths)``, padded to the
    longest sequence (or to ``total_length``) with ``padding_value``, in the original
    batch order; ``lengths`` is an int64 tensor."""
    batch_sizes = _check_long_1d(sequence.batch_sizes)
    max_seq_length = batch_sizes.shape[0]
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{max_seq_length}"
            )
        max_seq_length = total_length
    data = sequence.data
    max_batch_size = int(batch_sizes[0])
    t_idx, b_idx = _packed_index(batch_sizes)
    shape = (max_seq_length, max_batch_size) + tuple(data.shape[1:])
    padded = _Scatter.apply(data, t_idx=t_idx, b_idx=b_idx, shape=shape, fill=padding_value)
    if batch_first:
        padded = padded.transpose(0, 1)
    lengths = (batch_sizes[None, :] > np.arange(max_batch_size)[:, None]).sum(1)
    lengths = wrap(lengths.astype(np.int64))
    unsorted_indices = sequence.unsorted_indices
    if unsorted_indices is not None:
        batch_dim = 0 if batch_first else 1
        return padded.index_select(batch_dim, unsorted_indices), lengths[unsorted_indices]
    return padded, lengths


class _PadSequence(Primitive):
    """out[:len_i, i] = seq_i (or right-aligned for padding_side='left'), padding elsewhere;
    grad_seq_i = the same slice of grad."""

    node_name = "torch::autograd::CopySlices"

    @staticmethod
    def forward(ctx, *seqs, batch_first, padding_value, padding_side):
        if seqs[0].ndim == 0:  # torch takes the trailing sizes from the first sequence
            raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
        if any(s.ndim == 0 for s in seqs):
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        max_len = max(s.shape[0] for s in seqs)
        trailing = seqs[0].shape[1:]
        n = len(seqs)
        shape = ((n, max_len) if batch_first else (max_len, n)) + trailing
        out = np.full(shape, _fill(padding_value, seqs[0].dtype, shape), dtype=seqs[0].dtype)
        starts = []
        for i, s in enumerate(seqs):
            start = max_len - s.shape[0] if padding_side == "left" else 0
            starts.append(start)
            target = out[i] if batch_first else out[:, i]
            try:
                target[start:start + s.shape[0]] = s
            except ValueError:
                raise _copy_error(target[start:start + s.shape[0]].shape, s.shape) from None
        ctx.layout = (starts, [s.shape[0] for s in seqs], batch_first)
        return out

    @staticmethod
    def backward(ctx, grad):
        starts, lengths, batch_first = ctx.layout
        grads = []
        for i, (start, length) in enumerate(zip(starts, lengths, strict=True)):
            if ctx.needs_input_grad[i]:
                row = grad.select(0 if batch_first else 1, i)
                grads.append(row.narrow(0, start, length))
            else:
                grads.append(None)
        return tuple(grads)


def _copy_error(target_shape, source_shape) -> RuntimeError:
    """torch's message for a ``copy_`` of ``source`` into ``target`` that fails."""
    ndim = max(len(target_shape), len(source_shape))
    a = (1,) * (ndim - len(target_shape)) + tuple(target_shape)
    b = (1,) * (ndim - len(source_shape)) + tuple(source_shape)
    for i in range(ndim - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                f"non-singleton dimension {i}"
            )
    broadcast = [y if x == 1 else x for x, y in zip(a, b, strict=True)]
    return RuntimeError(
        f"output with shape {list(target_shape)} doesn't match the broadcast shape "
        f"{broadcast}"
    )


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of different lengths ``(L_i, *)`` into one padded tensor
    ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``), T the longest length; the padding
    goes after each sequence (``padding_side='right'``) or before it (``'left'``)."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    sequences = tuple(sequences)
    for i, seq in enumerate(sequences):  # (torch's argument parser, before any other check)
        if not isinstance(seq, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{_dtype.type_name(seq)}")
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    return _PadSequence.apply(*sequences, batch_first=batch_first,
                              padding_value=padding_value, padding_side=padding_side)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences, ``lengths[i]`` steps each.

    When ``batch_first=False`` the caller's tensor comes back transposed to ``(B, T, *)``:
    torch transposes it in place (so a leaf that requires grad is refused), and so does
    torchlet."""
    if not batch_first:
        padded_sequences.transpose_(0, 1)
    max_length = padded_sequences.shape[1]
    idx = arange(max_length, device=lengths.device)  # (lengths must be a Tensor, as torch)
    return [seq[idx < length] for seq, length in zip(padded_sequences, lengths, strict=True)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    lengths = as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences a PackedSequence holds, in the original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
