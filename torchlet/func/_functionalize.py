"""torch.func.functionalize and torch.func.linearize, for eager callers.

torch's ``functionalize`` rewrites every mutation inside ``f`` into its out-of-place form
and copies the final values back into mutated inputs; torchlet has no functionalization
pass (nor graph tracing) to hand such a program to, so what it keeps is what an eager
caller observes: the same outputs, storage that never aliases an input, and inputs
mutated by ``f`` updated afterwards with ``copy_`` (so they get ``CopyBackwards``).
``f`` runs on private copies of the input tensors; with ``remove='mutations_and_views'``
outputs that share storage with each other are cloned apart, as torch's ``view_copy``
ops leave them. Not reproduced: torch's ``*Backward0_copy`` node names for those, and
(under ``remove='mutations'``) an output that is a view of an input ``f`` did not mutate
shares storage with that input in torch but with the private copy here.

torch's ``linearize`` traces the jvp of ``f`` once with ``make_fx``; here ``jvp_fn`` runs
``torchlet.func.jvp`` at the saved primals, which gives the same values.
"""

from __future__ import annotations

import functools

import numpy as np

from torchlet._tensor import Tensor
from torchlet.func._pytree import tree_flatten, tree_unflatten

__all__ = ["functionalize", "linearize"]


def functionalize(func, *, remove: str = "mutations"):
    """A function with ``func``'s results and input mutations whose outputs never share
    storage with its inputs (``remove`` is ``'mutations'`` or ``'mutations_and_views'``)."""
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for "
            f"remove={remove}. Valid options are:\n"
            "     remove='mutations': all inplace and out= operators will be removed from the "
            "program, and replaced with their out-of-place equivalents.\n"
            "     remove='mutations_and_views': In addition to the above, all aliasing "
            "operators {view} will be replaced with their non-aliasing counterparts, "
            "{view}_copy.\n"
        )

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        arg_leaves, arg_spec = tree_flatten(list(args))
        kwarg_leaves, kwarg_spec = tree_flatten(kwargs)
        inputs = arg_leaves + kwarg_leaves
        # each input is replaced by a private copy (which autograd sees through); f may
        # mutate the copies freely, and what it did is copied back below
        copies = [x.clone() if isinstance(x, Tensor) else x for x in inputs]
        versions = [c._version if isinstance(c, Tensor) else None for c in copies]
        outputs = func(*tree_unflatten(copies[:len(arg_leaves)], arg_spec),
                       **tree_unflatten(copies[len(arg_leaves):], kwarg_spec))
        for x, c, version in zip(inputs, copies, versions, strict=True):
            if isinstance(c, Tensor) and c._version != version:
                x.copy_(c)
        # the outputs may alias the copies, never the inputs: copy_ above copied values
        if remove == "mutations_and_views":
            return _without_shared_storage(outputs)
        return outputs

    return wrapped


def _without_shared_storage(outputs):
    """``outputs`` with each tensor that shares memory with an earlier one cloned: torch
    replaces every view by a copy under ``remove='mutations_and_views'``."""
    leaves, spec = tree_flatten(outputs)
    seen: list = []
    fresh = []
    for leaf in leaves:
        if isinstance(leaf, Tensor):
            if any(np.shares_memory(leaf._data, data) for data in seen):
                leaf = leaf.clone()
            seen.append(leaf._data)
        fresh.append(leaf)
    return tree_unflatten(fresh, spec)


def linearize(func, *primals):
    """(``func(*primals)``, ``jvp_fn``): ``jvp_fn(*tangents)`` is the Jacobian of ``func`` at
    ``primals`` applied to ``tangents`` (tangents shaped and typed as the primals)."""
    from torchlet.func._transforms import jvp

    output = func(*primals)
    flat_primals, primals_spec = tree_flatten(primals)
    shapes = [p.shape for p in flat_primals]
    devices = [p.device for p in flat_primals]
    dtypes = [p.dtype for p in flat_primals]

    def jvp_fn(*tangents):
        flat_tangents, tangents_spec = tree_flatten(tangents)
        if tangents_spec != primals_spec:
            raise RuntimeError(
                f"Expected the tangents {tangents_spec} to have the same argspec as the "
                f"primals {primals_spec}"
            )
        for idx, t in enumerate(flat_tangents):
            for what, value, expected in (("shape", t.shape, shapes[idx]),
                                          ("device", t.device, devices[idx]),
                                          ("dtype", t.dtype, dtypes[idx])):
                if value != expected:
                    raise RuntimeError(
                        f"tangent:{idx} with {what} {value} in flattened pytree doesn't "
                        f"match the {what} {expected} of the corresponding primal."
                    )
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn
