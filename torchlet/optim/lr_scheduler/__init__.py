"""Learning-rate schedulers (torch.optim.lr_scheduler), with torch's arithmetic.

A scheduler rewrites ``group["lr"]`` of its optimizer's parameter groups each time its
``step()`` is called (usually once per epoch, after ``optimizer.step()``). Most of torch's
schedulers are *chainable*: each step multiplies the current ``lr`` by a factor (the
"recursive" form), so several schedulers can act on one optimizer. The formulas are
torch's, operation for operation, so the learning rates agree to the last bit.

* base.py: ``LRScheduler`` and the helpers the schedulers share;
* decay.py: functions of the epoch (LambdaLR, StepLR, LinearLR, CosineAnnealingLR, ...);
* cyclic.py: CyclicLR, CosineAnnealingWarmRestarts, OneCycleLR;
* combined.py: SequentialLR, ChainedScheduler;
* plateau.py: ReduceLROnPlateau, driven by a metric.
"""

# the private names are torch's too (a scheduler written against torch may import them)
from torchlet.optim.lr_scheduler.base import (
    EPOCH_DEPRECATION_WARNING,
    LRScheduler,
    _enable_get_lr_call,
    _format_param,
    _initial_mode,
    _LRScheduler,
    _param_groups_val_list,
    _update_param_group_val,
    _warn_get_lr_called_within_step,
)
from torchlet.optim.lr_scheduler.combined import ChainedScheduler, SequentialLR
from torchlet.optim.lr_scheduler.cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from torchlet.optim.lr_scheduler.decay import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from torchlet.optim.lr_scheduler.plateau import ReduceLROnPlateau

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]

# torch defines all of these in the single module torch/optim/lr_scheduler.py, so their
# __module__ is the package name (D2L tests ``scheduler.__module__ == lr_scheduler.__name__``).
# Pickle finds each class here by that name, as it does in torch.
for _cls in (
    ChainedScheduler, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR,
    ExponentialLR, LRScheduler, LambdaLR, LinearLR, MultiStepLR, MultiplicativeLR, OneCycleLR,
    PolynomialLR, ReduceLROnPlateau, SequentialLR, StepLR,
    _LRScheduler, _enable_get_lr_call, _initial_mode,
):
    _cls.__module__ = __name__
del _cls
