"""torchlet.backends.openmp: whether OpenMP is used.

torch's build is compiled with OpenMP and answers True; torchlet runs NumPy from Python
and uses no OpenMP of its own, so it answers False.
"""


def is_available() -> bool:
    return False
