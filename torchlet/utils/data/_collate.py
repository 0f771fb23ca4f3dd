"""Turning a list of samples into a batch: ``default_collate`` and ``default_convert``.

A map-style dataset returns one sample per index; the DataLoader asks for ``batch_size``
of them and hands the list to ``collate_fn``. ``default_collate`` merges them the way
``torch.utils.data.default_collate`` does, recursively by the type of the first sample:

* Tensor -> ``stack(batch)`` (a new leading batch dimension);
* NumPy array -> tensors, then stacked; NumPy scalar -> ``as_tensor(batch)``;
* float -> a float64 tensor; int (and bool) -> ``tensor(batch)`` (int64, or bool);
* str / bytes -> the list, unchanged;
* Mapping -> the same mapping type with every key collated;
* namedtuple -> the same namedtuple with every field collated;
* other sequences (tuple, list) -> transposed and collated field by field; a tuple
  becomes a *list* (as torch does, for backwards compatibility).

``default_convert`` (used when ``batch_size=None``: no batching) only turns NumPy arrays
into tensors, keeping the structure around them.
"""

import collections
import copy
import re

import numpy as np

import torchlet
from torchlet._tensor import Tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

# NumPy dtypes that cannot become tensors: bytes, unicode, void, object.
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, "
    "dicts or lists; found {}"
)


def default_convert(data):
    """Convert every NumPy array (or NumPy scalar) inside ``data`` to a tensor."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if isinstance(data, np.ndarray) and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return torchlet.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)  # keeps the mapping's type and its other attributes
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:  # the mapping type cannot be built this way
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # a list, as torch returns
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` by the type of its first element (see the module docstring).

    ``collate_fn_map`` maps an element type (or a tuple of types) to a function
    ``fn(batch, *, collate_fn_map)``; an exact type match wins, otherwise the first
    ``isinstance`` match in insertion order. Containers are handled here, recursively.
    """
    elem = batch[0]
    elem_type = type(elem)

    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        merged = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                  for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(merged)
                return clone
            return elem_type(merged)
        except TypeError:
            return merged
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map)
                           for samples in zip(*batch, strict=False)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch, strict=False))
        if isinstance(elem, tuple):
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = collate(samples, collate_fn_map=collate_fn_map)
                return clone
            return elem_type([collate(samples, collate_fn_map=collate_fn_map)
                              for samples in transposed])
        except TypeError:
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]

    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    return torchlet.stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([torchlet.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    first = type(batch[0])
    if all(type(b) is first for b in batch):
        # one NumPy type: the tensor has exactly that dtype (torch's as_tensor(batch))
        return torchlet.as_tensor(np.array(batch))
    return torchlet.as_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map=None):
    # Python floats are doubles: torch keeps them as float64, not the default dtype.
    return torchlet.tensor(batch, dtype=torchlet.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    # ``tensor`` infers the dtype: int64 for ints, bool for bools, float32 if a later
    # sample is a float (torch gives the same).
    return torchlet.tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Merge a list of samples into a batch, exactly as ``torch.utils.data.default_collate``.

    >>> default_collate([(0, 1.0), (2, 3.0)])
    [tensor([0, 2]), tensor([1., 3.], dtype=torch.float64)]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
