"""torch's exception classes for device failures (torch.OutOfMemoryError, also
torch.cuda.OutOfMemoryError, and torch.AcceleratorError). torchlet runs on the CPU and
never raises them; scripts catch them, so the names exist."""

__all__ = ["AcceleratorError", "OutOfMemoryError"]


class OutOfMemoryError(RuntimeError):
    """Raised by torch when a device runs out of memory."""


class AcceleratorError(RuntimeError):
    """Raised by torch when an accelerator (CUDA, ...) reports an error."""

