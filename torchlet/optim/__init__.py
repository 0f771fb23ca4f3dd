"""torchlet.optim: optimizers that update parameters exactly as torch.optim does, and the
learning-rate schedulers in ``torchlet.optim.lr_scheduler``."""

from torchlet.optim import lr_scheduler
from torchlet.optim.adadelta import Adadelta
from torchlet.optim.adagrad import Adagrad
from torchlet.optim.adam import Adam
from torchlet.optim.adamax import Adamax
from torchlet.optim.adamw import AdamW
from torchlet.optim.lbfgs import LBFGS
from torchlet.optim.nadam import NAdam
from torchlet.optim.optimizer import Optimizer
from torchlet.optim.radam import RAdam
from torchlet.optim.rmsprop import RMSprop
from torchlet.optim.sgd import SGD

__all__ = [
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "lr_scheduler",
]
