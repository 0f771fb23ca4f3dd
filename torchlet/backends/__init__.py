"""torchlet.backends: the backend switches a PyTorch script reads or sets in its preamble
(``torch.backends.cudnn.deterministic = True``, ``torch.backends.mps.is_available()``).

Each answers as torch 2.13's CPU-only build does on a machine without a GPU, except where
the truth about torchlet differs: torchlet is NumPy only, so ``mkl``, ``mkldnn`` and
``openmp`` report ``is_available()`` False (torch's build, which links them, says True)
and ``opt_einsum`` reports False (torchlet's einsum never uses that package).
"""

from torchlet.backends import cuda, cudnn, mha, mkl, mkldnn, mps, openmp, opt_einsum

__all__ = ["cuda", "cudnn", "mha", "mkl", "mkldnn", "mps", "openmp", "opt_einsum"]
