"""torchlet.backends.opt_einsum: contraction-path optimisation for einsum.

torch uses the opt_einsum package when it is installed; torchlet's einsum never does, so
``is_available()`` is False, ``enabled`` False and ``strategy`` None, which is what torch
answers without the package. As in torch (whose flags are plain module attributes here),
both can be assigned freely.
"""

__all__ = ["enabled", "get_opt_einsum", "is_available", "strategy"]

enabled = False
strategy = None


def is_available() -> bool:
    return False


def get_opt_einsum():
    """The opt_einsum module torch would use: None."""
    return None
