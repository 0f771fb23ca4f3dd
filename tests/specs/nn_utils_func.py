"""Specs for torch._weight_norm / torch.norm_except_dim (the op under both weight_norm
APIs) and ErrorSpecs for nn.utils.parametrize, parametrizations, the hook-based
weight_norm / spectral_norm, functional_call and torch.func.

Tolerances: ``_weight_norm`` with ``dim`` 0 or the last dimension is torch's fused CPU
kernel (WeightNormInterfaceBackward0), whose norms are summed in another order than
NumPy's, so values agree within float32 rounding (the default tolerances), not bit for bit;
other ``dim`` values are composed of ordinary ops (MulBackward0), also within rounding.
Gradients: float64 gradcheck and gradgradcheck (the backward is written in torchlet ops).
"""

import warnings

from opspec import A, ErrorSpec, Spec


def _wn(dim):
    return lambda t, v, g: t._weight_norm(v, g, dim)


SPECS = [
    Spec("nn_utils_func/weight_norm/dim0", _wn(0), (A(4, 3), A(4, 1, kind="positive"))),
    Spec("nn_utils_func/weight_norm/dim0_4d", _wn(0), (A(3, 2, 2, 2), A(3, 1, 1, 1))),
    Spec("nn_utils_func/weight_norm/dim_last", _wn(2), (A(2, 3, 4), A(1, 1, 4))),
    Spec("nn_utils_func/weight_norm/dim_middle", _wn(1), (A(2, 3, 4), A(1, 3, 1))),
    Spec("nn_utils_func/weight_norm/all", _wn(-1), (A(3, 4), A(kind="positive"))),
    Spec("nn_utils_func/weight_norm/vector", _wn(0), (A(5), A(5, kind="positive"))),
    Spec("nn_utils_func/norm_except_dim/dim0", lambda t, v: t.norm_except_dim(v, 2, 0),
         (A(3, 4, 2),)),
    Spec("nn_utils_func/norm_except_dim/dim1", lambda t, v: t.norm_except_dim(v, 2, 1),
         (A(3, 4, 2),)),
    Spec("nn_utils_func/norm_except_dim/last", lambda t, v: t.norm_except_dim(v, 2, 2),
         (A(3, 4, 2),)),
    Spec("nn_utils_func/norm_except_dim/all", lambda t, v: t.norm_except_dim(v, 2, -1),
         (A(3, 4),)),
]


def _param(t):
    return t.nn.utils.parametrize


class _Identity:
    """A parametrization module built for whichever library runs the spec."""

    @staticmethod
    def make(t):
        class Identity(t.nn.Module):
            def forward(self, x):
                return x

        return Identity()


def _twice_old_weight_norm(t):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = t.nn.utils.weight_norm(t.nn.Linear(2, 2))
        t.nn.utils.weight_norm(m)


def _vmap_random(t):
    t.func.vmap(lambda x: x + t.rand(2))(t.zeros(3, 2))


ERROR_SPECS = [
    ErrorSpec("nn_utils_func/parametrize/no_such_tensor",
              lambda t: _param(t).register_parametrization(t.nn.Linear(2, 2), "foo",
                                                           _Identity.make(t)),
              match="does not have a parameter, a buffer, or a parametrized element"),
    ErrorSpec("nn_utils_func/parametrize/remove_unparametrized",
              lambda t: _param(t).remove_parametrizations(t.nn.Linear(2, 2), "weight"),
              match="does not have a parametrization on weight"),
    ErrorSpec("nn_utils_func/spectral_norm/n_power_iterations",
              lambda t: t.nn.utils.parametrizations.spectral_norm(t.nn.Linear(2, 2),
                                                                  n_power_iterations=0),
              match="Expected n_power_iterations to be positive"),
    ErrorSpec("nn_utils_func/spectral_norm/dim",
              lambda t: t.nn.utils.parametrizations.spectral_norm(t.nn.Linear(2, 2), dim=2),
              match=r"Dimension out of range \(expected to be in range of \[-2, 1\] but got 2\)"),
    ErrorSpec("nn_utils_func/orthogonal/vector",
              lambda t: t.nn.utils.parametrizations.orthogonal(t.nn.Linear(2, 2), "bias"),
              match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."),
    ErrorSpec("nn_utils_func/orthogonal/map",
              lambda t: t.nn.utils.parametrizations.orthogonal(t.nn.Linear(2, 2),
                                                               orthogonal_map="qr"),
              match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder"'),
    ErrorSpec("nn_utils_func/old_weight_norm/twice", _twice_old_weight_norm,
              match="Cannot register two weight_norm hooks on the same parameter weight"),
    ErrorSpec("nn_utils_func/old_weight_norm/remove_missing",
              lambda t: t.nn.utils.remove_weight_norm(t.nn.Linear(2, 2)),
              match="weight_norm of 'weight' not found in Linear"),
    ErrorSpec("nn_utils_func/old_spectral_norm/remove_missing",
              lambda t: t.nn.utils.remove_spectral_norm(t.nn.Linear(2, 2)),
              match="spectral_norm of 'weight' not found in Linear"),
    ErrorSpec("nn_utils_func/functional_call/repeated_keys",
              lambda t: t.func.functional_call(t.nn.Linear(2, 2),
                                               ({"bias": t.zeros(2)}, {"bias": t.ones(2)}),
                                               (t.ones(2),)),
              match=r"\['bias'\] appeared in multiple dictionaries"),
    ErrorSpec("nn_utils_func/functional_call/strict",
              lambda t: t.func.functional_call(t.nn.Linear(2, 2), {"bias": t.zeros(2)},
                                               (t.ones(2),), strict=True),
              match="Missing key\\(s\\): 'weight'."),
    ErrorSpec("nn_utils_func/func/grad_not_scalar",
              lambda t: t.func.grad(lambda x: x * 2)(t.ones(3)),
              match="Expected f\\(\\*args\\) to return a scalar Tensor, got tensor with 1 dims"),
    ErrorSpec("nn_utils_func/func/grad_argnums",
              lambda t: t.func.grad(lambda x: x.sum(), argnums=1)(t.ones(3)),
              match="Got argnum=1, but only 1 positional inputs"),
    ErrorSpec("nn_utils_func/func/grad_not_tensor",
              lambda t: t.func.grad(lambda x: x.sum())(3.0),
              match="Thing passed to transform API must be Tensor"),
    ErrorSpec("nn_utils_func/func/vmap_sizes",
              lambda t: t.func.vmap(lambda a, b: a + b)(t.ones(3, 2), t.ones(4, 2)),
              match=r"got sizes \[3, 4\] for the mapped dimension"),
    ErrorSpec("nn_utils_func/func/vmap_in_dim_range",
              lambda t: t.func.vmap(lambda a: a, in_dims=2)(t.ones(3, 2)),
              match="expected in_dim to satisfy -2 <= in_dim < 2"),
    ErrorSpec("nn_utils_func/func/vmap_nothing_mapped",
              lambda t: t.func.vmap(lambda a: a, in_dims=(None,))(t.ones(3, 2)),
              match="vmap: Expected at least one Tensor to vmap over"),
    ErrorSpec("nn_utils_func/func/vmap_randomness_error", _vmap_random,
              match="vmap: called random operation while in randomness error mode"),
    ErrorSpec("nn_utils_func/func/vmap_randomness_value",
              lambda t: t.func.vmap(lambda a: a, randomness="foo")(t.ones(3)),
              match="Only allowed values for randomness are 'error', 'different', or 'same'"),
]
