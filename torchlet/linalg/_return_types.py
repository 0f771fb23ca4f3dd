"""The named tuples returned by the torch.linalg functions of this package (and by
``torch.triangular_solve``), built like ``torchlet.return_types``: a tuple whose fields
also have names, printed as ``torch.return_types.<name>(...)`` exactly as PyTorch does."""

from torchlet.return_types import _structseq

linalg_inv_ex = _structseq("linalg_inv_ex", ("inverse", "info"))
linalg_cholesky_ex = _structseq("linalg_cholesky_ex", ("L", "info"))
linalg_lstsq = _structseq("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
linalg_lu_factor = _structseq("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _structseq("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_lu = _structseq("linalg_lu", ("P", "L", "U"))
triangular_solve = _structseq("triangular_solve", ("solution", "cloned_coefficient"))
