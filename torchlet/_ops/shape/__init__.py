"""Shape operations, one module per kind:

* ``views``: view, reshape, flatten, unflatten, squeeze, unsqueeze, permute, transpose,
  t, movedim, expand, broadcast_to; clone and contiguous;
* ``slices``: narrow, select, diagonal, view(dtype); diag, tril, triu;
* ``joins``: unbind, split, chunk, tensor_split; cat, stack, hstack, vstack, dstack,
  column_stack, atleast_1d/2d/3d;
* ``copies``: flip, roll, repeat, tile, repeat_interleave; diff; sum_to_size;
* ``strided``: as_strided, unfold, empty_strided; Tensor.new, resize_, resize_as_;
* ``splits_more``: hsplit, vsplit, dsplit, split_with_sizes, narrow_copy, unravel_index,
  adjoint, mH, H;
* ``inplace_views``: t_, transpose_, swapaxes_, swapdims_, squeeze_, unsqueeze_.

Views return NumPy views of the input's array and share its version counter
(``make_view``), as torch's views share storage: a write through a view shows in its base.
Which operations return views follows torch: view, reshape (when the strides allow it),
flatten, unflatten, squeeze, unsqueeze, transpose, permute, t, expand, narrow, select,
the outputs of split/chunk/unbind, diagonal, movedim, as_strided and unfold. flip, roll,
repeat, cat, stack, tril, triu, narrow_copy and clone copy.
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
from torchlet._ops.shape.inplace_views import (
    squeeze_,
    swapaxes_,
    swapdims_,
    t_,
    transpose_,
    unsqueeze_,
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
from torchlet._ops.shape.splits_more import (
    H,
    adjoint,
    dsplit,
    hsplit,
    mH,
    narrow_copy,
    split_with_sizes,
    unravel_index,
    vsplit,
)
from torchlet._ops.shape.strided import (
    as_strided,
    empty_strided,
    new,
    resize_,
    resize_as_,
    unfold,
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
    permute_ints,
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
    "H", "adjoint", "as_strided", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes",
    "broadcast_tensors", "broadcast_to", "cat", "chunk", "clone", "column_stack", "concat",
    "concatenate", "contiguous", "diag", "diagonal", "diff", "dsplit", "dstack", "empty_strided",
    "expand", "flatten", "flip", "fliplr", "flipud", "hsplit", "hstack", "mH", "moveaxis",
    "movedim", "narrow", "narrow_copy", "new", "permute", "permute_ints", "ravel", "repeat",
    "repeat_interleave", "reshape", "resize_", "resize_as_", "roll", "row_stack", "select", "split",
    "split_with_sizes", "squeeze", "squeeze_", "stack", "sum_to_size", "swapaxes", "swapaxes_",
    "swapdims", "swapdims_", "t", "t_", "tensor_split", "tile", "transpose", "transpose_",
    "tril", "triu", "unbind", "unflatten", "unfold", "unravel_index", "unsqueeze",
    "unsqueeze_", "view", "view_dtype", "vsplit", "vstack",
]
