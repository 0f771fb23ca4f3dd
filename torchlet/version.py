"""torch.version: the build's version strings, as torch's CPU-only build reports them.

There is no CUDA, ROCm or XPU toolkit behind torchlet, so those entries are None (scripts
print ``torch.version.cuda`` to learn that), and torchlet is not a debug build.
"""

from torchlet import __version__

__all__ = ["__version__", "cuda", "debug", "git_version", "hip", "rocm", "xpu"]

cuda = None
hip = None
rocm = None
xpu = None
debug = False
git_version = "Unknown"  # what torch reports when built outside a git checkout
