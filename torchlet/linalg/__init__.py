"""torchlet.linalg: torch.linalg's functions on NumPy's LAPACK (np.linalg).

* ``norms``: vector_norm, matrix_norm, norm.
* ``solve``: inv, det, slogdet, solve (LU based).
* ``decompositions``: cholesky, qr, eigh, eigvalsh, svd, svdvals.
* ``products``: cross, vecdot, matrix_power, multi_dot, diagonal, vander, matrix_exp.
* ``spectral``: matrix_rank, pinv, cond, lstsq (cut-offs on the singular values).
* ``triangular``: solve_triangular, inv_ex, cholesky_ex (and torch.cholesky_solve,
  cholesky_inverse, triangular_solve).
* ``lu``: lu_factor, lu_factor_ex, lu, lu_solve (partial-pivoting LU written in NumPy, as getrf).
* ``tensor_solve``: tensorinv, tensorsolve.
* ``toplevel``: the top-level aliases (torch.det, logdet, inverse, cholesky, ...).
* ``householder``: householder_product (and torch.geqrf, orgqr, ormqr).
* ``ldl``: ldl_factor(_ex), ldl_solve (Bunch-Kaufman, as LAPACK's sytrf), solve_ex.
* ``qr_svd_legacy``: torch.qr, svd, lu, lu_unpack, the removed legacy functions, and
  eig / eigvals, which raise (torch returns complex tensors; torchlet has none).

Precision: LAPACK builds (NumPy's OpenBLAS, torch's MKL/OpenBLAS) block and order their
sums differently, so values agree with torch's within float rounding, scaled by the
condition number; never bit for bit (except where a module docstring says so: cross,
diagonal, vander). Non-unique factors (signs of eigen/singular vectors and of Q's
columns) may differ; gauge-invariant quantities agree. Real dtypes only.
"""

from torchlet._ops.linalg import matmul  # torch.linalg.matmul: an alias of torch.matmul
from torchlet.linalg._common import LinAlgError
from torchlet.linalg.decompositions import cholesky, eigh, eigvalsh, qr, svd, svdvals
from torchlet.linalg.householder import householder_product
from torchlet.linalg.ldl import ldl_factor, ldl_factor_ex, ldl_solve, solve_ex
from torchlet.linalg.lu import lu, lu_factor, lu_factor_ex, lu_solve
from torchlet.linalg.norms import matrix_norm, norm, vector_norm
from torchlet.linalg.products import (
    cross,
    diagonal,
    matrix_exp,
    matrix_power,
    multi_dot,
    vander,
    vecdot,
)
from torchlet.linalg.qr_svd_legacy import linalg_eig as eig
from torchlet.linalg.qr_svd_legacy import linalg_eigvals as eigvals
from torchlet.linalg.solve import det, inv, slogdet, solve
from torchlet.linalg.spectral import cond, lstsq, matrix_rank, pinv
from torchlet.linalg.tensor_solve import tensorinv, tensorsolve
from torchlet.linalg.triangular import cholesky_ex, inv_ex, solve_triangular

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig",
    "eigh", "eigvals", "eigvalsh", "householder_product", "inv", "inv_ex", "ldl_factor",
    "ldl_factor_ex", "ldl_solve", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve",
    "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm",
    "pinv",
    "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv",
    "tensorsolve", "vander", "vecdot", "vector_norm",
]
