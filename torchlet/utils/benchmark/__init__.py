"""torchlet.utils.benchmark: as ``torch.utils.benchmark``, the ``Timer`` that times a Python
statement and the ``Measurement`` it returns (printed in torch's format)."""

from torchlet.utils.benchmark.utils.common import Measurement, TaskSpec
from torchlet.utils.benchmark.utils.timer import Timer

__all__ = ["Measurement", "TaskSpec", "Timer"]
