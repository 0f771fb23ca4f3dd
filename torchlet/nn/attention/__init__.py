"""torch.nn.attention: choosing the kernels of F.scaled_dot_product_attention.

``sdpa_kernel`` sets the flags of ``torch.backends.cuda`` (``flash_sdp_enabled()`` etc.)
and restores them on exit, as torch does. On the CPU they choose as in torch: the flash
kernel (one ScaledDotProductFlashAttentionForCpuBackward0 node, no double backward) where
it is enabled and applies, else the math kernel (a graph of ordinary operations) if that
is enabled, else torch's "No viable backend" error.
"""

import contextlib
import enum

from torchlet.backends import cuda as _cuda_backend

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(int, enum.Enum):
    """torch's backend numbers (``int(SDPBackend.MATH) == 0``)."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


# the backends torchlet keeps a flag for, and the functions that read and set it
_FLAGS = {
    SDPBackend.FLASH_ATTENTION: (_cuda_backend.flash_sdp_enabled, _cuda_backend.enable_flash_sdp),
    SDPBackend.EFFICIENT_ATTENTION: (_cuda_backend.mem_efficient_sdp_enabled,
                                     _cuda_backend.enable_mem_efficient_sdp),
    SDPBackend.MATH: (_cuda_backend.math_sdp_enabled, _cuda_backend.enable_math_sdp),
}


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Enable only ``backends`` (one SDPBackend or a list) inside the block."""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of "
                             f"SDPBackend instances, got {type(backends).__name__}")
    if isinstance(backends, SDPBackend):
        backends = [backends]
    previous = {backend: enabled() for backend, (enabled, _) in _FLAGS.items()}
    try:
        for backend, (_, enable) in _FLAGS.items():
            enable(backend in backends)
        yield {}
    finally:
        for backend, (_, enable) in _FLAGS.items():
            enable(previous[backend])
