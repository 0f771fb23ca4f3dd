"""``torch.utils.data._utils.collate``, the module torch's docs point to for extending
``default_collate``: register a type in ``default_collate_fn_map`` and call ``collate``.

The code lives in ``torchlet/utils/data/_collate.py``; these are the same objects, so a
type added to ``default_collate_fn_map`` here is seen by ``default_collate``.
"""

from torchlet.utils.data._collate import (
    collate,
    collate_float_fn,
    collate_int_fn,
    collate_numpy_array_fn,
    collate_numpy_scalar_fn,
    collate_str_fn,
    collate_tensor_fn,
    default_collate,
    default_collate_err_msg_format,
    default_collate_fn_map,
    default_convert,
    np_str_obj_array_pattern,
)

__all__ = [
    "collate",
    "collate_float_fn",
    "collate_int_fn",
    "collate_numpy_array_fn",
    "collate_numpy_scalar_fn",
    "collate_str_fn",
    "collate_tensor_fn",
    "default_collate",
    "default_collate_err_msg_format",
    "default_collate_fn_map",
    "default_convert",
    "np_str_obj_array_pattern",
]
