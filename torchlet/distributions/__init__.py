"""torchlet.distributions: parametrised probability distributions, as torch.distributions.

Sampling draws from torchlet's generator with the same calls in the same order as torch,
so after the same ``manual_seed`` the random draws are bit-identical (samples that pass
them through exp, log or softmax agree to float rounding); log_prob, entropy and friends
use torch's formulas. Transforms (``transforms``), TransformedDistribution and the
``biject_to``/``transform_to`` registries are torch's. The gamma family (Gamma, Beta,
Dirichlet, Chi2, StudentT, FisherSnedecor, Binomial, NegativeBinomial) replays torch's
element-by-element rejection samplers (torchlet/_ops/random_gamma.py), as do VonMises
and Wishart theirs.
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
# Transforms and the distributions built from them (H-A).
from torchlet.distributions import constraint_registry, transforms  # noqa: E402
from torchlet.distributions.cauchy import Cauchy  # noqa: E402
from torchlet.distributions.constraint_registry import biject_to, transform_to  # noqa: E402
from torchlet.distributions.continuous_bernoulli import ContinuousBernoulli  # noqa: E402
from torchlet.distributions.geometric import Geometric  # noqa: E402
from torchlet.distributions.gumbel import Gumbel  # noqa: E402
from torchlet.distributions.half_cauchy import HalfCauchy  # noqa: E402
from torchlet.distributions.half_normal import HalfNormal  # noqa: E402
from torchlet.distributions.kumaraswamy import Kumaraswamy  # noqa: E402
from torchlet.distributions.log_normal import LogNormal  # noqa: E402
from torchlet.distributions.logistic_normal import LogisticNormal  # noqa: E402
from torchlet.distributions.pareto import Pareto  # noqa: E402
from torchlet.distributions.relaxed_bernoulli import RelaxedBernoulli  # noqa: E402
from torchlet.distributions.relaxed_categorical import RelaxedOneHotCategorical  # noqa: E402
from torchlet.distributions.transformed_distribution import TransformedDistribution  # noqa: E402
from torchlet.distributions.transforms import (  # noqa: E402
    AbsTransform,
    AffineTransform,
    CatTransform,
    ComposeTransform,
    CorrCholeskyTransform,
    CumulativeDistributionTransform,
    ExpTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    PowerTransform,
    ReshapeTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StackTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
    identity_transform,
)
from torchlet.distributions.weibull import Weibull  # noqa: E402

__all__ += [
    "Cauchy",
    "ContinuousBernoulli",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "Kumaraswamy",
    "LogNormal",
    "LogisticNormal",
    "Pareto",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "TransformedDistribution",
    "Weibull",
    "biject_to",
    "transform_to",
    *transforms.__all__,
]
# the gamma family (Gamma, Chi2, Beta, Dirichlet, StudentT, FisherSnedecor, Binomial, ...)
from torchlet.distributions.beta import Beta  # noqa: E402
from torchlet.distributions.binomial import Binomial  # noqa: E402
from torchlet.distributions.chi2 import Chi2  # noqa: E402
from torchlet.distributions.dirichlet import Dirichlet  # noqa: E402
from torchlet.distributions.fishersnedecor import FisherSnedecor  # noqa: E402
from torchlet.distributions.gamma import Gamma  # noqa: E402
from torchlet.distributions.multinomial import Multinomial  # noqa: E402
from torchlet.distributions.negative_binomial import NegativeBinomial  # noqa: E402
from torchlet.distributions.studentT import StudentT  # noqa: E402

__all__ += [
    "Beta",
    "Binomial",
    "Chi2",
    "Dirichlet",
    "FisherSnedecor",
    "Gamma",
    "Multinomial",
    "NegativeBinomial",
    "StudentT",
]
# the last ones: InverseGamma, GeneralizedPareto, VonMises, MixtureSameFamily,
# LowRankMultivariateNormal, LKJCholesky, Wishart (H-G)
from torchlet.distributions.generalized_pareto import GeneralizedPareto  # noqa: E402
from torchlet.distributions.inverse_gamma import InverseGamma  # noqa: E402
from torchlet.distributions.lkj_cholesky import LKJCholesky  # noqa: E402
from torchlet.distributions.lowrank_multivariate_normal import (  # noqa: E402
    LowRankMultivariateNormal,
)
from torchlet.distributions.mixture_same_family import MixtureSameFamily  # noqa: E402
from torchlet.distributions.von_mises import VonMises  # noqa: E402
from torchlet.distributions.wishart import Wishart  # noqa: E402

__all__ += [
    "GeneralizedPareto",
    "InverseGamma",
    "LKJCholesky",
    "LowRankMultivariateNormal",
    "MixtureSameFamily",
    "VonMises",
    "Wishart",
]
# end of sections
