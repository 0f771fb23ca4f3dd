"""functional_call: run a module with some of its parameters and buffers replaced.

The given tensors are swapped into the module (by dotted name, ``"0.weight"``) for the
duration of one call and the originals put back afterwards, even if the call raises. With
``tie_weights`` a tensor registered under several names (tied weights) is replaced under
all of them when one is given. A name the module does not have becomes a temporary plain
attribute; ``strict=True`` instead raises for any missing or unexpected name.
"""

from __future__ import annotations

import contextlib
import warnings

from torchlet._tensor import Tensor
from torchlet.nn.modules.module import Module

__all__ = ["functional_call"]

_MISSING = object()  # the module had no such attribute before the swap


def _untie_named_tensors_map(module: Module, parameters_and_buffers: dict) -> dict:
    """``parameters_and_buffers`` extended to every name tied to a given one."""
    all_named_tensors = dict(module.named_parameters(remove_duplicate=False))
    all_named_tensors.update(module.named_buffers(remove_duplicate=False))
    names_of_tensor: dict = {}
    for name, tensor in all_named_tensors.items():
        names_of_tensor.setdefault(tensor, set()).add(name)
    tied_names_map = {}
    for tied_names in names_of_tensor.values():
        if len(tied_names) > 1:
            for tied_name in tied_names:
                tied_names_map[tied_name] = tied_names

    # (``.keys()`` as torch: a tuple of dicts given here fails with its AttributeError)
    given_tied = {name for name in parameters_and_buffers.keys() if name in tied_names_map}
    for given_name in given_tied:
        tied_names = tied_names_map[given_name]
        if (len(tied_names & given_tied) > 1
                and len({parameters_and_buffers[name] for name in tied_names
                         if name in parameters_and_buffers}) != 1):
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(tied_names)}, "
                "which are tied. Consider using tie_weights=False"
            )
    untied = dict(parameters_and_buffers)
    for given_name in given_tied:
        for tied_name in tied_names_map[given_name]:
            untied[tied_name] = parameters_and_buffers[given_name]
    return untied


def _owner(module: Module, name: str):
    """(the submodule holding the dotted ``name``, the last part of the name)."""
    prefix, _, attr = name.rpartition(".")
    owner = module
    if prefix:
        for part in prefix.split("."):
            try:
                owner = getattr(owner, part)
            except AttributeError as ex:
                raise AttributeError(f"{owner._get_name()} has no attribute `{part}`") from ex
            if not isinstance(owner, Module):
                raise TypeError(f"submodule `{prefix}`: {owner} is not an instance of "
                                "torch.nn.Module")
    return owner, attr


def _swap_tensor(module: Module, name: str, tensor):
    """Put ``tensor`` (or, for _MISSING, nothing) under ``name``; return what was there."""
    # torch's order of checks: the submodule path, the value's type, then the last name
    owner, attr = _owner(module, name)
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    if attr == "":
        raise KeyError('tensor name can\'t be empty string ""')
    for registry in (owner._parameters, owner._buffers):
        if attr in registry:
            original = registry[attr]
            if tensor is _MISSING:
                del registry[attr]
            else:
                registry[attr] = tensor
            return original
    original = getattr(owner, attr) if hasattr(owner, attr) else _MISSING
    if original is not _MISSING and original is not None and not isinstance(original, Tensor):
        raise TypeError(f"attribute `{attr}`: {original} is not an instance of torch.Tensor")
    if tensor is not _MISSING:
        setattr(owner, attr, tensor)
    elif hasattr(owner, attr):
        delattr(owner, attr)
    return original


@contextlib.contextmanager
def _reparametrize_module(module: Module, parameters_and_buffers: dict,
                          tie_weights: bool = False, strict: bool = False):
    callers = parameters_and_buffers  # (written back to after the call)
    if tie_weights:
        parameters_and_buffers = _untie_named_tensors_map(module, parameters_and_buffers)
    if strict:
        given = set(parameters_and_buffers)
        valid = {name for name, _ in module.named_parameters(remove_duplicate=False)}
        valid |= {name for name, _ in module.named_buffers(remove_duplicate=False)}
        error_msgs = []
        if given - valid:
            error_msgs.append(f"Unexpected key(s): {', '.join(map(repr, sorted(given - valid)))}.")
        if valid - given:
            error_msgs.append(f"Missing key(s): {', '.join(map(repr, sorted(valid - given)))}.")
        if error_msgs:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
                module._get_name(), "\n\t".join(error_msgs)))
    originals = {}
    try:
        for name, tensor in parameters_and_buffers.items():
            originals[name] = _swap_tensor(module, name, tensor)
        yield
    finally:
        current = {}
        for name, original in originals.items():
            current[name] = _swap_tensor(module, name, original)
        # A forward that reassigned a member (``self.count = self.count + 1``) leaves the
        # new tensor in the caller's dict, as torch writes it back.
        callers.update({name: current[name] for name in callers
                        if name in current and current[name] is not _MISSING})


def _functional_call(module: Module, parameters_and_buffers: dict, args=None, kwargs=None, *,
                     tie_weights: bool = True, strict: bool = False):
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights,
                               strict=strict):
        return module(*args, **kwargs)


def functional_call(module: Module, parameters_and_buffers: dict, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced by the
    given tensors for this call (deprecated in torch for ``torch.func.functional_call``)."""
    warnings.warn(
        "`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will "
        "be removed in a future version of PyTorch. Please use `torch.func.functional_call` "
        "instead which is a drop-in replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
