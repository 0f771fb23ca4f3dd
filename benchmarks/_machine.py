"""What a benchmark ran on: the CPU, the BLAS behind NumPy (and the kernels it chose), and
torch's. Ratios to torch mean little without it: NumPy's OpenBLAS and torch's MKL/oneDNN
win on different CPUs, and a BLAS that misreads the CPU halves NumPy's speed.

Printed at the top of bench_training.py, bench_conv.py and bench_matmul_mlp.py.
"""

from __future__ import annotations

import ctypes
import platform

import numpy as np

# OpenBLAS's kernels without AVX-512 (its DYNAMIC_ARCH names)
_AVX2_OR_OLDER = {"Haswell", "Zen", "Sandybridge", "Nehalem", "Prescott", "Core2",
                  "Barcelona", "Bulldozer", "Piledriver", "Steamroller", "Excavator"}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def openblas_core() -> str | None:
    """The kernel family OpenBLAS picked at load time (its get_corename), or None when
    NumPy's BLAS is not a loaded OpenBLAS we can find (not Linux, or another BLAS)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(p for p in paths if p.startswith("/")):
        lib = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                       "openblas_get_corename64_", "openblas_get_corename"):
            fn = getattr(lib, symbol, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return None


def numpy_blas() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - older NumPy: the report just says less
        return "unknown"


def describe(torch=None) -> list[str]:
    """Lines to print above a benchmark's table, and a warning when NumPy's OpenBLAS runs
    AVX2 kernels on a CPU that has AVX-512."""
    core = openblas_core()
    lines = [f"cpu: {cpu_model()}",
             f"numpy {np.__version__}: {numpy_blas()}" + (f", kernels: {core}" if core else "")]
    if torch is not None:
        lines.append(f"torch {torch.__version__}: MKL {torch.backends.mkl.is_available()}, "
                     f"oneDNN {torch.backends.mkldnn.is_available()}, "
                     f"cpu capability {torch.backends.cpu.get_cpu_capability()}")
    if core in _AVX2_OR_OLDER and "avx512f" in cpu_flags():
        lines.append(
            f"WARNING: NumPy's OpenBLAS runs its {core} (AVX2) kernels on a CPU with AVX-512; "
            "OpenBLAS before its fix for OpenMathLib/OpenBLAS#6029 misreads AMD Zen 5 this "
            "way (on a Zen 5, a 1024^3 sgemm ran at 109 GFLOP/s instead of 209). Starting "
            "Python with OPENBLAS_CORETYPE=SkylakeX selects the AVX-512 kernels.")
    return lines
