"""torchlet.backends.mkl: whether Intel MKL is linked.

torch's x86 build links MKL and answers True; torchlet is NumPy only (NumPy's own BLAS is
not MKL that torchlet calls), so it answers False.
"""

VERBOSE_OFF = 0
VERBOSE_ON = 1


def is_available() -> bool:
    return False
