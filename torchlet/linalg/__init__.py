"""torchlet.linalg: torch.linalg's functions on NumPy's LAPACK (np.linalg).

* ``norms``: vector_norm, matrix_norm, norm.
* ``solve``: inv, det, slogdet, solve (LU based).
* ``decompositions``: cholesky, qr, eigh, eigvalsh, svd, svdvals.

Precision: LAPACK builds (NumPy's OpenBLAS, torch's MKL/OpenBLAS) block and order their
sums differently, so values agree with torch's within float rounding, scaled by the
condition number; never bit for bit. Non-unique factors (signs of eigen/singular vectors
and of Q's columns) may differ; gauge-invariant quantities agree. Real dtypes only.
"""

from torchlet.linalg._common import LinAlgError
from torchlet.linalg.decompositions import cholesky, eigh, eigvalsh, qr, svd, svdvals
from torchlet.linalg.norms import matrix_norm, norm, vector_norm
from torchlet.linalg.solve import det, inv, slogdet, solve

__all__ = [
    "LinAlgError", "cholesky", "det", "eigh", "eigvalsh", "inv", "matrix_norm", "norm", "qr",
    "slogdet", "solve", "svd", "svdvals", "vector_norm",
]
