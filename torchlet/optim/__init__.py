"""torchlet.optim: optimizers that update parameters exactly as torch.optim does, and the
learning-rate schedulers in ``torchlet.optim.lr_scheduler``."""

from torchlet.optim import lr_scheduler, swa_utils
from torchlet.optim.adadelta import Adadelta
from torchlet.optim.adafactor import Adafactor
from torchlet.optim.adagrad import Adagrad
from torchlet.optim.adam import Adam
from torchlet.optim.adamax import Adamax
from torchlet.optim.adamw import AdamW
from torchlet.optim.asgd import ASGD
from torchlet.optim.lbfgs import LBFGS
from torchlet.optim.muon import Muon
from torchlet.optim.nadam import NAdam
from torchlet.optim.optimizer import Optimizer
from torchlet.optim.radam import RAdam
from torchlet.optim.rmsprop import RMSprop
from torchlet.optim.rprop import Rprop
from torchlet.optim.sgd import SGD
from torchlet.optim.sparse_adam import SparseAdam

__all__ = [
    "ASGD",
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Muon",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SparseAdam",
    "lr_scheduler",
    "swa_utils",
]
