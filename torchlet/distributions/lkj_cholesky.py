"""LKJCholesky(dim, concentration), as torch.distributions.LKJCholesky: the LKJ distribution
over correlation matrices, represented by their lower Cholesky factors."""

import math

import torchlet as torch
from torchlet.distributions import constraints
from torchlet.distributions.beta import Beta
from torchlet.distributions.distribution import Distribution
from torchlet.distributions.utils import _EMPTY_SHAPE, broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """For a correlation matrix M = L L^T, p(L) is proportional to
    prod_{i=2..dim} L_ii^(dim - i + 2 (concentration - 1)).

    Sampled with the onion method (Lewandowski, Kurowicka, Joe, 2009, section 3.2): row i
    is sqrt(y_i) times a uniform direction in its first i - 1 coordinates, with
    y_i ~ Beta(i / 2 - 1/2 ..., marginal concentration - (i - 1) / 2) and the diagonal
    entry sqrt(1 - |row|^2).
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(
                f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}."
            )
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.size()
        event_shape = torch.Size((dim, dim))
        # the Beta parameters of the onion method, one per row
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = torch.arange(
            self.dim - 1,
            dtype=self.concentration.dtype,
            device=self.concentration.device,
        )
        offset = torch.cat([offset.new_zeros((1,)), offset])
        beta_conc1 = offset + 0.5
        beta_conc0 = marginal_conc.unsqueeze(-1) - 0.5 * offset
        self._beta = Beta(beta_conc1, beta_conc0)
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = torch.Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        super(LKJCholesky, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=_EMPTY_SHAPE):
        # the first row is e_1: its Beta draw (still made, as torch does) is discarded
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        u_normal = torch.randn(
            self._extended_shape(sample_shape), dtype=y.dtype, device=y.device
        ).tril(-1)
        u_hypersphere = u_normal / u_normal.norm(dim=-1, keepdim=True)
        # the 0/0 of the first row is replaced by zeros
        u_hypersphere[..., 0, :].fill_(0.0)
        w = torch.sqrt(y) * u_hypersphere
        # tiny keeps the diagonal positive where rounding makes 1 - |row|^2 <= 0
        eps = torch.finfo(w.dtype).tiny
        diag_elems = torch.clamp(1 - torch.sum(w**2, dim=-1), min=eps).sqrt()
        w += torch.diag_embed(diag_elems)
        return w

    def log_prob(self, value):
        """sum_i (2 (c - 1) + dim - i) log L_ii - log Z with
        log Z = (dim - 1) / 2 log(pi) + mvlgamma(c + (dim - 2) / 2, dim - 1)
        - (dim - 1) lgamma(c + (dim - 1) / 2)."""
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = torch.arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = torch.sum(order * diag_elems.log(), dim=-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = torch.lgamma(alpha) * dm1
        numerator = torch.mvlgamma(alpha - 0.5, dm1)
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        normalize_term = pi_constant + numerator - denominator
        return unnormalized_log_pdf - normalize_term
