"""Shape operations, one module per kind:

* ``views``: view, reshape, flatten, unflatten, squeeze, unsqueeze, permute, transpose,
  t, movedim, expand, broadcast_to; clone and contiguous;
* ``slices``: narrow, select, diagonal, view(dtype); diag, tril, triu;
* ``joins``: unbind, split, chunk, tensor_split; cat, stack, hstack, vstack, dstack,
  column_stack, atleast_1d/2d/3d;
* ``copies``: flip, roll, repeat, tile, repeat_interleave; diff; sum_to_size.

Views return NumPy views of the input's array and share its version counter
(``make_view``), as torch's views share storage: a write through a view shows in its base.
Which operations return views follows torch: view, reshape (when the strides allow it),
flatten, unflatten, squeeze, unsqueeze, transpose, permute, t, expand, narrow, select,
the outputs of split/chunk/unbind, diagonal and movedim. flip, roll, repeat, cat, stack,
tril, triu and clone copy.
"""

from torchlet._ops.shape.copies import (
    diff,
    flip,
    fliplr,
    flipud,
    repeat,
    repeat_interleave,
    roll,
    sum_to_size,
    tile,
)
from torchlet._ops.shape.joins import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    cat,
    chunk,
    column_stack,
    concat,
    concatenate,
    dstack,
    hstack,
    row_stack,
    split,
    stack,
    tensor_split,
    unbind,
    vstack,
)
from torchlet._ops.shape.slices import (
    diag,
    diagonal,
    narrow,
    select,
    tril,
    triu,
    view_dtype,
)
from torchlet._ops.shape.views import (
    broadcast_shapes,
    broadcast_tensors,
    broadcast_to,
    clone,
    contiguous,
    expand,
    flatten,
    moveaxis,
    movedim,
    permute,
    ravel,
    reshape,
    squeeze,
    swapaxes,
    swapdims,
    t,
    transpose,
    unflatten,
    unsqueeze,
    view,
)

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors",
    "broadcast_to", "cat", "chunk", "clone", "column_stack", "concat", "concatenate",
    "contiguous", "diag", "diagonal", "diff", "dstack", "expand", "flatten", "flip", "fliplr",
    "flipud", "hstack", "moveaxis", "movedim", "narrow", "permute", "ravel", "repeat",
    "repeat_interleave", "reshape", "roll", "row_stack", "select", "split", "squeeze",
    "stack", "sum_to_size", "swapaxes", "swapdims", "t", "tensor_split", "tile",
    "transpose", "tril", "triu", "unbind", "unflatten", "unsqueeze", "view", "view_dtype",
    "vstack",
]
