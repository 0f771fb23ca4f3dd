"""SparseAdam (torch.optim.SparseAdam).

torch's SparseAdam updates only the entries present in a *sparse-layout* gradient (such
as ``nn.Embedding(sparse=True)`` gives) and raises for dense gradients. torchlet has no
sparse layout: every gradient is dense, so ``step()`` raises torch's error for any
parameter that has a gradient, exactly as torch does for a dense one. The constructor
checks its arguments as torch's does, so code that builds the optimizer behaves the same.
"""

from __future__ import annotations

from torchlet.optim.optimizer import Optimizer, _check_lr, _closure_loss

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """Adam restricted to the entries of sparse gradients (which torchlet never has)."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i in (0, 1):
            if not 0.0 <= betas[i] < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)
        complex_params = [
            [index, d_index]
            for index, group in enumerate(self.param_groups)
            for d_index, param in enumerate(group["params"])
            if param.is_complex()
        ]
        if complex_params:
            raise ValueError(
                f"Complex params at indices {complex_params}: SparseAdam does not support "
                "complex parameters"
            )

    def step(self, closure=None):
        """Raises for any parameter with a gradient: torchlet's gradients are dense."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    raise RuntimeError(
                        "SparseAdam does not support dense gradients, please consider "
                        "Adam instead"
                    )
        return loss
