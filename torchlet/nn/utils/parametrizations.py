"""torch.nn.utils.parametrizations: weight_norm, spectral_norm and orthogonal, written as
parametrizations (see ``parametrize``), so the constrained weight is recomputed from its
unconstrained original every time it is read.

* ``weight_norm``: ``weight = g * v / ||v||`` (``original0`` = g, ``original1`` = v).
* ``spectral_norm``: ``weight = W / sigma(W)``, ``sigma`` the largest singular value of W
  seen as a matrix, estimated by power iteration on the buffers ``_u``, ``_v`` (one step per
  read in training mode, none in eval mode).
* ``orthogonal``: ``weight = base @ Q(A)``, Q an orthogonal map of an unconstrained matrix A:
  ``matrix_exp`` (Q = exp(A - A^H)), ``cayley`` (Q = (I - A/2)^-1 (I + A/2)) or
  ``householder`` (Q a product of Householder reflections, ``linalg.householder_product``).
"""

from __future__ import annotations

from enum import Enum, auto

from torchlet._dtype import finfo
from torchlet._ops.weight_norm import _weight_norm, norm_except_dim
from torchlet._tensor import Tensor
from torchlet.autograd.grad_mode import no_grad
from torchlet.nn._functional.distance import normalize
from torchlet.nn.modules.module import Module
from torchlet.nn.utils import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ---------------------------------------------------------------------------------------
# orthogonal


def _is_orthogonal(Q) -> bool:
    import torchlet

    n, k = Q.size(-2), Q.size(-1)
    eye = torchlet.eye(k, dtype=Q.dtype)
    eps = 10.0 * n * finfo(Q.dtype).eps
    return torchlet.allclose(Q.mT.conj() @ Q, eye, atol=eps)


def _make_orthogonal(A):
    """The Q of A's QR decomposition with diag(R) made positive: the orthogonal matrix
    closest to A in the sense of QR (torch computes the same from geqrf)."""
    import torchlet

    Q, R = torchlet.linalg.qr(A)
    return Q * R.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map: _OrthMaps, *, use_trivialization=True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        import torchlet

        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            # A = X - X^H is skew-Hermitian, so both maps land on the orthogonal matrices
            X = X.tril()
            if n != k:
                X = torchlet.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)],
                                 dim=-1)
            A = X - X.mT.conj()
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = torchlet.matrix_exp(A)
            else:
                eye = torchlet.eye(n, dtype=A.dtype)
                Q = torchlet.linalg.solve(torchlet.add(eye, A, alpha=-0.5),
                                          torchlet.add(eye, A, alpha=0.5))
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = torchlet.linalg.householder_product(A, tau)
            # the signs of X's diagonal choose between Q and -Q column by column
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q: Tensor) -> Tensor:
        import torchlet

        if Q.shape != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. "
                f"Got a tensor of shape {Q.shape}."
            )
        Q_init = Q
        n, k = Q.size(-2), Q.size(-1)
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        if not hasattr(self, "base"):
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential "
                    "or the Cayley parametrizations when use_trivialization=False."
                )
            # householder: the reflectors of Q's QR, the diagonal holding the signs of R
            A, tau = torchlet.geqrf(Q)
            diagonal = A.diagonal(dim1=-2, dim2=-1)
            diagonal.copy_(diagonal.sign() * torchlet.where(tau == 0.0, -1.0, 1.0))
            return A.mT if transpose else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            # complete Q's columns to a square matrix, then make that orthogonal
            N = torchlet.randn(*(Q.size()[:-2] + (n, n - k)), dtype=Q.dtype)
            Q = _make_orthogonal(torchlet.cat([Q, N], dim=-1))
        self.base = Q
        # with base = Q, the parametrization of -I is base itself
        neg_eye = torchlet.zeros_like(Q_init)
        neg_eye.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_eye


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Constrain ``module.<name>`` (a matrix or batch of matrices) to orthogonal (unitary)
    matrices: ``Q^H Q = I`` if it has more rows than columns, ``Q Q^H = I`` otherwise."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        square = weight.size(-2) == weight.size(-1)
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


# ---------------------------------------------------------------------------------------
# weight_norm


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int = 0):
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (norms over every dim but
    ``dim``; over everything for ``dim=None``): ``original0`` is g, ``original1`` is v."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys,
                                 unexpected_keys, error_msgs) -> None:
        # state_dicts saved with the old nn.utils.weight_norm name g and v differently
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


# ---------------------------------------------------------------------------------------
# spectral_norm


class _SpectralNorm(Module):
    _u: Tensor  # buffers, registered in __init__
    _v: Tensor

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                "Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but "
                f"got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            # start from good estimates of the singular vectors
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        """u <- W v / ||W v||,  v <- W^H u / ||W^H u||, in place in the buffers."""
        import torchlet

        with no_grad():
            for _ in range(n_power_iterations):
                self._u = normalize(torchlet.mv(weight_mat, self._v), dim=0, eps=self.eps,
                                    out=self._u)
                self._v = normalize(torchlet.mv(weight_mat.mT.conj(), self._u), dim=0,
                                    eps=self.eps, out=self._v)

    def forward(self, weight: Tensor) -> Tensor:
        import torchlet

        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # clones: the next power iteration updates the buffers in place
        u, v = self._u.clone(), self._v.clone()
        sigma = torchlet.vdot(u, torchlet.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its spectral norm (largest singular value of the weight
    as a ``size(dim) x rest`` matrix), estimated by power iteration."""
    from torchlet.nn.modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module
