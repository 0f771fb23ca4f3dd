"""ExponentialFamily: distributions of the form p(x; t) = exp(<t, T(x)> - F(t) + k(x)).

Entropy and same-family KL come from the log-normaliser F via autograd (Bregman divergence):
H = F(t) - <t, grad F(t)> - E[k(x)].
"""

import torchlet as torch
from torchlet.distributions.distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base for exponential-family distributions (natural parameters t, log-normaliser F,
    mean carrier measure E[k(x)])."""

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        """H = F(t) - sum(t * dF/dt) - E[k(x)], with dF/dt by autograd (create_graph)."""
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = torch.autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result += lg_normal
        for np, g in zip(nparams, gradients):
            result -= (np * g).reshape(self._batch_shape + (-1,)).sum(-1)
        return result
