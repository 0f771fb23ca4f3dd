"""The named tuples returned by the torch.linalg functions of this package (and by
``torch.triangular_solve``, torch.geqrf and the legacy torch.qr, svd, lu, lu_unpack), built
like ``torchlet.return_types``: a tuple whose fields also have names, printed as
``torch.return_types.<name>(...)`` exactly as PyTorch does."""

from torchlet.return_types import _structseq

linalg_inv_ex = _structseq("linalg_inv_ex", ("inverse", "info"))
linalg_cholesky_ex = _structseq("linalg_cholesky_ex", ("L", "info"))
linalg_lstsq = _structseq("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
linalg_lu_factor = _structseq("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _structseq("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_lu = _structseq("linalg_lu", ("P", "L", "U"))
triangular_solve = _structseq("triangular_solve", ("solution", "cloned_coefficient"))
linalg_solve_ex = _structseq("linalg_solve_ex", ("result", "info"))
linalg_ldl_factor_ex = _structseq("linalg_ldl_factor_ex", ("LD", "pivots", "info"))
linalg_ldl_factor = _structseq("linalg_ldl_factor", ("LD", "pivots"))
geqrf = _structseq("geqrf", ("a", "tau"))
qr = _structseq("qr", ("Q", "R"))
svd = _structseq("svd", ("U", "S", "V"))
lu_unpack = _structseq("lu_unpack", ("P", "L", "U"))
lu_with_info = _structseq("_lu_with_info", ("LU", "pivots", "info"))
