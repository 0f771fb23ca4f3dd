"""Linear algebra: matmul (@) with batch broadcasting, mm, bmm, mv, dot, vdot, outer/ger,
inner, tensordot, addmm, baddbmm and einsum.

* ``products``: the matrix products. Four primitives (Mm, Bmm, Mv, Dot) do the arithmetic
  with one BLAS call each; matmul decomposes into them as torch does, so its graph shows
  torch's nodes.
* ``einsum``: Einstein summation as one primitive whose gradients are einsums again.
* ``matrix_helpers``: trace, kron, diag_embed, diagflat, rot90, block_diag, chain_matmul,
  addmv, addr, addbmm; ``distances``: cdist, dist, renorm; ``integration``: trapezoid,
  trapz, cumulative_trapezoid, cov, corrcoef.

Precision: NumPy's BLAS and torch's sum products in different orders, so float results
agree to rounding (about 1e-6 relative in float32), not bit for bit.
"""

from torchlet._ops.linalg.distances import cdist, dist, renorm
from torchlet._ops.linalg.einsum import einsum
from torchlet._ops.linalg.integration import (
    corrcoef,
    cov,
    cumulative_trapezoid,
    trapezoid,
    trapz,
)
from torchlet._ops.linalg.matrix_helpers import (
    addbmm,
    addmv,
    addmv_,
    addr,
    block_diag,
    chain_matmul,
    diag_embed,
    diagflat,
    kron,
    rot90,
    trace,
)
from torchlet._ops.linalg.products import (
    addmm,
    baddbmm,
    bmm,
    dot,
    ger,
    inner,
    matmul,
    mm,
    mv,
    outer,
    tensordot,
    vdot,
)

__all__ = [
    "addmm", "baddbmm", "bmm", "dot", "einsum", "ger", "inner", "matmul", "mm", "mv",
    "outer", "tensordot", "vdot",
    # matrix helpers (matrix_helpers, distances, integration)
    "addbmm", "addmv", "addmv_", "addr", "block_diag", "cdist", "chain_matmul", "corrcoef", "cov",
    "cumulative_trapezoid", "diag_embed", "diagflat", "dist", "kron", "renorm", "rot90",
    "trace", "trapezoid", "trapz",
]
