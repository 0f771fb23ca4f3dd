"""torchlet.testing: ``torch.testing`` (assert_close, make_tensor, assert_allclose)."""

from __future__ import annotations

import warnings

from torchlet import _dtype
from torchlet._ops.creation import tensor
from torchlet._tensor import Tensor
from torchlet.testing._comparison import assert_close, default_tolerances
from torchlet.testing._creation import make_tensor

__all__ = ["assert_allclose", "assert_close", "make_tensor"]


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg="") -> None:
    """Deprecated since torch 1.12: ``assert_close`` with looser float defaults, NaNs
    equal, no dtype check, and ``expected`` converted to ``actual``'s dtype."""
    warnings.warn(
        "`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a "
        "future release. Please use `torch.testing.assert_close()` instead. You can find "
        "detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844.",
        FutureWarning, stacklevel=2,
    )
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = default_tolerances(
            actual, expected,
            dtype_precisions={
                _dtype.float16: (1e-3, 1e-3),
                _dtype.float32: (1e-4, 1e-5),
                _dtype.float64: (1e-5, 1e-8),
            },
        )
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, check_stride=False, msg=msg or None)
