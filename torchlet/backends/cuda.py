"""torchlet.backends.cuda: CUDA's switches, as torch's build without CUDA has them.

``is_built()`` is False. ``matmul`` holds cuBLAS's flags: ``matmul.allow_tf32`` is
another view of ``torch.get_float32_matmul_precision()`` (True unless it is "highest";
setting it sets the precision to "high" or "highest"), as in torch. The
reduced-precision-reduction flags are kept and read back but change nothing (torchlet
computes with NumPy). The scaled-dot-product-attention switches choose the kernel of
F.scaled_dot_product_attention on the CPU, as torch's do (see torchlet.nn.attention).
"""

from __future__ import annotations

from torchlet import _runtime
from torchlet._dtype import type_name

__all__ = [
    "enable_flash_sdp", "enable_math_sdp", "enable_mem_efficient_sdp", "flash_sdp_enabled",
    "is_built", "math_sdp_enabled", "matmul", "mem_efficient_sdp_enabled",
]


def is_built() -> bool:
    return False


_REDUCTION_FLAGS = (
    "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction",
)


class cuBLASModule:  # noqa: N801 - torch's name
    """``torch.backends.cuda.matmul``: only its known attributes may be read or set."""

    def __init__(self):
        # name -> (allow_reduced_precision, allow_splitk); both default to True in torch
        object.__setattr__(self, "_reductions", dict.fromkeys(_REDUCTION_FLAGS, (True, True)))

    def __getattr__(self, name):
        if name == "allow_tf32":
            return _runtime.get_float32_matmul_precision() != "highest"
        for flag in _REDUCTION_FLAGS:
            if name == flag:
                return self._reductions[flag][0]
            if name == flag + "_split_k":
                return self._reductions[flag][1]
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            if type(value) is not bool:
                raise RuntimeError(
                    f"set_allow_tf32_cublas expects a bool, but got {type_name(value)}"
                )
            _runtime.set_float32_matmul_precision("high" if value else "highest")
        elif name in _REDUCTION_FLAGS:
            self._reductions[name] = _reduction_setting(value, name)
        else:
            raise AttributeError("Unknown attribute " + name)


def _reduction_setting(value, name: str) -> tuple:
    """torch accepts a bool, or (allow_reduced_precision[, allow_splitk])."""
    def ensure_bool(obj, which):
        if isinstance(obj, bool):
            return obj
        raise TypeError(f"{name} expects a bool for {which}, but got {type(obj)!r}")

    if isinstance(value, bool):
        return value, True
    if isinstance(value, (list, tuple)):
        if not value:
            raise TypeError(f"{name} expects at least one boolean argument")
        if len(value) > 2:
            raise TypeError(f"{name} expects at most two boolean arguments")
        reduced = ensure_bool(value[0], "allow_reduced_precision")
        return reduced, ensure_bool(value[1], "allow_splitk") if len(value) == 2 else True
    raise TypeError(f"{name} expects a bool or a tuple/list of bools, but got {type(value)!r}")


matmul = cuBLASModule()

# scaled-dot-product-attention kernels: all enabled by default, as in torch
_SDP = {"flash": True, "mem_efficient": True, "math": True}


def flash_sdp_enabled() -> bool:
    return _SDP["flash"]


def enable_flash_sdp(enabled: bool) -> None:
    _SDP["flash"] = enabled


def mem_efficient_sdp_enabled() -> bool:
    return _SDP["mem_efficient"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _SDP["mem_efficient"] = enabled


def math_sdp_enabled() -> bool:
    return _SDP["math"]


def enable_math_sdp(enabled: bool) -> None:
    _SDP["math"] = enabled
