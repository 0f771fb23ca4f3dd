"""Imported first by every benchmark: pins BLAS's and OpenMP's thread pools to one thread.

The variables are read when NumPy (OpenBLAS) or torch (MKL, OpenMP) loads, so this module
must be imported before either; torch's intra-op pool is pinned after its import with
``torch.set_num_threads(1)``. One thread for every library makes the ratios compare the
same work, not the machine's core count.
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"
