"""torch.func: composable function transforms (grad, vjp, jvp, jacrev, jacfwd, hessian,
vmap, linearize, functionalize), functional_call and the module helpers for ensembling.
See ``_transforms`` and ``_vmap`` for how torchlet computes them without functorch's
levels."""

from torchlet.func._functionalize import functionalize, linearize
from torchlet.func._module_utils import replace_all_batch_norm_modules_, stack_module_state
from torchlet.func._transforms import (
    functional_call,
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    vjp,
)
from torchlet.func._vmap import vmap

__all__ = ["functional_call", "functionalize", "grad", "grad_and_value", "hessian", "jacfwd",
           "jacrev", "jvp", "linearize", "replace_all_batch_norm_modules_",
           "stack_module_state", "vjp", "vmap"]
