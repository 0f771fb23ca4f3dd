"""torch.func.vmap as a loop: ``func`` runs once per index of the mapped dimension and the
results are stacked along ``out_dims``.

torch runs ``func`` once on batched tensors; the loop gives the same values (each sample
is computed exactly as an unbatched call would), just slower. Random operations: with
``randomness="error"`` a call that draws random numbers raises torch's error (detected by
the generator's state changing); ``"same"`` replays the same generator state for every
sample (torch's values: one unbatched draw shared by all); ``"different"`` draws sample
after sample, which is torch's stream for ``rand``-like kernels but not for every one.
"""

from __future__ import annotations

import functools

import numpy as np

from torchlet._tensor import Tensor
from torchlet.func._pytree import broadcast_prefix, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")


def _func_name(func) -> str:
    return getattr(func, "__name__", repr(func))


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """Vectorize ``func`` over dimension ``in_dims`` of its tensor arguments (None: not
    mapped; a nested tuple matches nested arguments) and stack the results along
    ``out_dims``."""
    if randomness not in _RANDOMNESS:
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        import torchlet

        name = _func_name(func)
        flat_args, args_spec = tree_flatten(args)
        flat_in_dims = _flat_in_dims(name, in_dims, args, args_spec)
        batch_size = _batch_size(name, in_dims, flat_args, flat_in_dims)
        # "same": every sample starts from the generator state of the first
        replay_state = torchlet.get_rng_state() if randomness == "same" else None
        if batch_size == 0:
            # no sample to run: one probe on zeros gives the outputs' structure and shapes
            # (torch runs func once on the empty batch); its random draws are undone
            probe = [x if d is None else x.new_zeros(x.shape[:d] + x.shape[d:][1:])
                     for x, d in zip(flat_args, flat_in_dims, strict=True)]
            state = torchlet.get_rng_state()
            result = _call(func, tree_unflatten(probe, args_spec), kwargs, randomness, None)
            torchlet.set_rng_state(state)
            return _stack_outputs(name, [result], out_dims, empty=True)
        results = []
        for b in range(batch_size):
            sample = [x if d is None else x.select(d, b)
                      for x, d in zip(flat_args, flat_in_dims, strict=True)]
            results.append(_call(func, tree_unflatten(sample, args_spec), kwargs, randomness,
                                 replay_state))
        return _stack_outputs(name, results, out_dims)

    return wrapped


def _flat_in_dims(name, in_dims, args, args_spec):
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or "
            f"a (potentially nested) tuple matching the structure of inputs, got: "
            f"{type(in_dims)}."
        )
    if len(args) == 0:
        raise ValueError(
            f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you "
            "are trying to vmap over a function with no inputs. The latter is unsupported."
        )
    flat_in_dims = broadcast_prefix(in_dims, args, args_spec)
    if flat_in_dims is None:
        in_spec = tree_flatten(in_dims)[1]
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with "
            f"the structure of `inputs`. in_dims has structure {in_spec} but inputs has "
            f"structure {args_spec}."
        )
    return flat_in_dims


def _batch_size(name, in_dims, flat_args, flat_in_dims) -> int:
    prefix = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    sizes = []
    for x, d in zip(flat_args, flat_in_dims, strict=True):
        if d is None:
            continue
        if not isinstance(d, int):  # a bool is an int here, as in torch
            raise ValueError(
                f"{prefix}: Got in_dim={d} for an input but in_dim must be either an integer "
                "dimension or None."
            )
        if not isinstance(x, Tensor):
            raise ValueError(
                f"{prefix}: Got in_dim={d} for an input but the input is of type {type(x)}. "
                "We cannot vmap over non-Tensor arguments, please use None as the respective "
                "in_dim"
            )
        if not -x.dim() <= d < x.dim():
            raise ValueError(
                f"{prefix}: Got in_dim={d} for some input, but that input is a Tensor of "
                f"dimensionality {x.dim()} so expected in_dim to satisfy -{x.dim()} <= in_dim "
                f"< {x.dim()}."
            )
        sizes.append(x.size(d))
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(size != sizes[0] for size in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )
    return sizes[0]


def _call(func, args, kwargs, randomness, replay_state):
    import torchlet

    if replay_state is not None:
        torchlet.set_rng_state(replay_state)
    state = torchlet.get_rng_state()
    result = func(*args, **kwargs)
    if randomness == "error" and not np.array_equal(state.numpy(),
                                                    torchlet.get_rng_state().numpy()):
        torchlet.set_rng_state(state)
        raise RuntimeError(
            "vmap: called random operation while in randomness error mode. Please either use "
            "the 'same' or 'different' randomness flags on vmap or perform the randomness "
            "operation out of vmap"
        )
    return result


def _stack_outputs(name, results, out_dims, empty: bool = False):
    """The per-sample results stacked along ``out_dims`` (``empty``: ``results`` is one
    probe, and the batch has size 0)."""
    import torchlet

    flat_results = [tree_flatten(r) for r in results]
    out_spec = flat_results[0][1]
    flat_out_dims = broadcast_prefix(out_dims, None, out_spec)
    if flat_out_dims is None:
        raise ValueError(
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible "
            f"with the structure of `outputs`. out_dims has structure "
            f"{tree_flatten(out_dims)[1]} but outputs has structure {out_spec}."
        )
    stacked = []
    for i, out_dim in enumerate(flat_out_dims):
        column = [leaves[i] for leaves, _ in flat_results]
        if out_dim is None:
            stacked.append(column[0])
            continue
        if not isinstance(column[0], Tensor):
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                f"{type(column[0])}. Did you mean to set out_dims= to None for output?"
            )
        batched = torchlet.stack(column, dim=out_dim)
        stacked.append(batched.narrow(out_dim, 0, 0) if empty else batched)
    return tree_unflatten(stacked, out_spec)
