"""torchlet.distributions: parametrised probability distributions, as torch.distributions.

Sampling draws from torchlet's generator with the same calls in the same order as torch,
so after the same ``manual_seed`` samples are bit-identical; log_prob, entropy and friends
use torch's formulas. Not implemented (torchlet has no ``_standard_gamma``/``binomial``
sampler to reproduce torch's streams with): Gamma, Beta, Dirichlet, Chi2, StudentT,
Binomial, and the distributions built on them; also transforms.
"""

from torchlet.distributions import constraints
from torchlet.distributions.bernoulli import Bernoulli
from torchlet.distributions.categorical import Categorical
from torchlet.distributions.distribution import Distribution
from torchlet.distributions.exp_family import ExponentialFamily
from torchlet.distributions.exponential import Exponential
from torchlet.distributions.independent import Independent
from torchlet.distributions.kl import kl_divergence, register_kl
from torchlet.distributions.laplace import Laplace
from torchlet.distributions.multivariate_normal import MultivariateNormal
from torchlet.distributions.normal import Normal
from torchlet.distributions.one_hot_categorical import (
    OneHotCategorical,
    OneHotCategoricalStraightThrough,
)
from torchlet.distributions.poisson import Poisson
from torchlet.distributions.uniform import Uniform

__all__ = [
    "Bernoulli",
    "Categorical",
    "Distribution",
    "Exponential",
    "ExponentialFamily",
    "Independent",
    "Laplace",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Poisson",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]

# More distributions, one section each (imported after the ones above).
# end of sections
