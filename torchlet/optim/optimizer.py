"""The Optimizer base class.

An optimizer keeps ``param_groups`` (a list of dicts: the parameters and their
hyper-parameters) and ``state`` (per-parameter buffers such as Adam's moving averages,
keyed by the parameter tensor). ``step()`` reads each parameter's ``.grad`` and updates
the parameter in place, so the tensors a model holds keep their identity.

The updates work directly on the NumPy arrays (``p._data``, ``p.grad._data``): no graph,
no Tensor per operation. To land on the same numbers as PyTorch they use the small
kernels of ``torchlet/optim/_kernels.py``, which round exactly as PyTorch's CPU kernels do
(its ``add(..., alpha=)``, ``addcmul`` and ``lerp`` use a fused multiply-add: one rounding
for ``a * b + c``).
"""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np

from torchlet import _dtype
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.grad_mode import GRAD_STATE, enable_grad
from torchlet.nn.modules.module import typename
from torchlet.utils.hooks import RemovableHandle

__all__ = [
    "Optimizer",
    "register_optimizer_step_post_hook",
    "register_optimizer_step_pre_hook",
]


class _RequiredParameter:
    """Marks a hyper-parameter every param group must give (no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


# ---------------------------------------------------------------------------------------
# global hooks: run around every optimizer's step

_global_optimizer_pre_hooks: OrderedDict = OrderedDict()
_global_optimizer_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """``hook(optimizer, args, kwargs) -> None or (args, kwargs)`` before every step."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    """``hook(optimizer, args, kwargs)`` after every optimizer's step."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _with_step_hooks(step):
    """Wrap a ``step`` method so that the pre and post hooks run around it.

    As in torch, the hooks see ``args`` with the optimizer first (``(self, closure)``),
    and a pre-hook's ``(new_args, new_kwargs)`` replaces all of them, ``self`` included."""

    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self, *_ = args
        # (each loop only where there are hooks: chaining empty views costs a microsecond)
        if _global_optimizer_pre_hooks or self._optimizer_step_pre_hooks:
            for pre_hook in chain(
                _global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()
            ):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(
                            f"{step} must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}."
                        )
        out = step(*args, **kwargs)
        if self._optimizer_step_post_hooks or _global_optimizer_post_hooks:
            for post_hook in chain(
                self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()
            ):
                post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


def _use_grad_for_differentiable(step):
    """Run ``step`` with graph recording off (torch: unless ``differentiable=True``)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self.defaults.get("differentiable", False):
            _refuse_differentiable(self)
        prev = GRAD_STATE.enabled
        GRAD_STATE.enabled = False
        try:
            return step(self, *args, **kwargs)
        finally:
            GRAD_STATE.enabled = prev

    return wrapper


def _refuse_differentiable(optimizer) -> None:
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.grad is not None and p.is_leaf and p.requires_grad:
                # what torch raises here too: its step is an in-place op on a leaf
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place "
                    "operation."
                )
    raise NotImplementedError(
        "torchlet's optimizers update parameters outside autograd; differentiable=True "
        "(backpropagating through optimizer.step()) is not supported"
    )


def _closure_loss(closure):
    """The loss from ``closure()``, evaluated with graph recording on."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


# ---------------------------------------------------------------------------------------
# the base class


class Optimizer:
    r"""Base class for all optimizers.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts
    (parameter groups with their own options); ``defaults`` fills in the options a group
    does not give. Subclasses implement ``step()``.
    """

    # Options torch's optimizer added in later versions, in the order its __setstate__
    # fills them into a group that lacks them (each subclass lists its own).
    _later_options: dict = {}
    # Whether the per-parameter state has a "step" counter (a 0-d tensor in torch 2.x).
    _counts_steps: bool = False

    def __init_subclass__(cls, **kwargs):
        # torch patches each subclass's step on first use; doing it when the class is
        # defined is the same thing, done once
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()

        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                "or dicts, but got " + typename(params)
            )
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self) -> dict:
        return {
            "defaults": self.defaults,
            "state": self.state,
            "param_groups": self.param_groups,
        }

    def __setstate__(self, state: dict) -> None:
        # also what load_state_dict() ends with: groups from an older torch (or pickle)
        # get the options added since, and step counters saved as numbers become tensors
        self.__dict__.update(state)
        for name in (
            "_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
            "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
            "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks",
        ):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for name, default in self._later_options.items():
                group.setdefault(name, default)
        if self._counts_steps:
            self._steps_as_tensors()

    def __repr__(self) -> str:
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    def step(self, closure=None):
        """Perform a single optimization step (updates the parameters in place)."""
        raise NotImplementedError

    # -----------------------------------------------------------------------------------
    # parameter groups

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (with its own options) to ``param_groups``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")

        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead."
            )
        else:
            param_group["params"] = list(params)

        # named_parameters() gives (name, tensor) pairs
        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names "
                    "are missing"
                )
            param_group["param_names"] = names

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + typename(param)
                )
            if not self.defaults.get("differentiable", None) and not (
                param.is_leaf or param.retains_grad
            ):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error; "
                "see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )

        param_set: set = set()
        for group in self.param_groups:
            param_set.update(set(group["params"]))
            if ("param_names" in param_group) != ("param_names" in group):
                current = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {current} to the optimizer"
                )
        if not param_set.isdisjoint(set(param_group["params"])):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the parameters' gradients: to None (default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad.zero_()

    # -----------------------------------------------------------------------------------
    # hooks

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None or (args, kwargs)`` before ``step``."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` after ``step``."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def _register(self, hooks: OrderedDict, hook, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer)`` before ``state_dict()``."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict) -> state_dict or None`` after ``state_dict()``."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(
        self, hook, prepend: bool = False
    ) -> RemovableHandle:
        """``hook(optimizer, state_dict) -> state_dict or None`` before loading."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(
        self, hook, prepend: bool = False
    ) -> RemovableHandle:
        """``hook(optimizer)`` after ``load_state_dict()``."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -----------------------------------------------------------------------------------
    # saving and loading

    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``.

        Parameters are replaced by their position (counting through all groups), so the
        dict can be loaded into a new optimizer over other tensors of the same shapes.
        The state's tensors are the optimizer's own (not copies), as in torch.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)

        param_mappings: dict[int, int] = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update(
                {
                    id(p): i
                    for i, p in enumerate(group["params"], start_index)
                    if id(p) not in param_mappings
                }
            )
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (param_mappings[id(k)] if isinstance(k, Tensor) else k): v
            for k, v in self.state.items()
        }
        state_dict = {"state": packed_state, "param_groups": param_groups}

        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key):
        # Floating-point state follows the parameter's dtype, except the step counter
        # (kept as saved unless the group is fused/capturable, where it is float32).
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            if capturable or fused:
                return value.to(dtype=_dtype.float32)
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype)
        return value

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a dict from ``state_dict()`` (torchlet's or PyTorch's format)."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result

        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(
            len(g["params"]) != len(s["params"])
            for g, s in zip(groups, saved_groups, strict=True)
        ):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size "
                "of optimizer's group"
            )

        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
                strict=True,
            )
        )

        def _cast(param, value, param_id=None, param_groups=None, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, param_groups, key
                )
            if isinstance(value, dict):
                return {
                    k: _cast(param, v, param_id=param_id, param_groups=param_groups, key=k)
                    for k, v in value.items()
                }
            if isinstance(value, (list, tuple)):
                return type(value)(
                    _cast(param, v, param_id=param_id, param_groups=param_groups)
                    for v in value
                )
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(
                    param, v, param_id=k, param_groups=state_dict["param_groups"]
                )
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups, strict=True)]
        self.__setstate__({"state": state, "param_groups": param_groups})

        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # -----------------------------------------------------------------------------------
    # helpers for the subclasses

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        """Fill the empty ``state`` of ``p`` with the optimizer's buffers (its recipe)."""
        raise NotImplementedError

    def _params_with_state(self, group: dict, check_fused: bool = False):
        """Yield ``(p, state)`` for each parameter of ``group`` that has a gradient.

        A parameter's state is created on its first step, by the class's ``_init_state``
        (torch's lazy initialisation). ``check_fused``: check at every step, before the
        state, that ``fused=True`` can take the parameter (Adagrad; Adam checks once, in
        ``_init_state``).
        """
        for p in group["params"]:
            if p.grad is None:
                continue
            if check_fused and group["fused"]:
                _check_fused_param(p)
            state = self.state[p]
            if len(state) == 0:
                self._init_state(p, state, group)
            yield p, state

    def _steps_as_tensors(self) -> None:
        """Old checkpoints saved ``state['step']`` as a number; torch 2.x keeps a tensor."""
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = _step_tensor(float(p_state["step"]), group)


def _check_fused_and_foreach(fused, foreach, differentiable) -> None:
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _check_fused_param(p: Tensor) -> None:
    if not p.is_floating_point():
        raise RuntimeError(
            "`fused=True` requires all the params to be floating point Tensors of supported "
            "devices: ['mps', 'cuda', 'xpu', 'hpu', 'cpu', 'mtia', 'privateuseone'] but "
            f"{p.dtype} and cpu"
        )


_CAPTURABLE_DEVICES = "['cuda', 'xpu', 'hpu', 'privateuseone', 'xla']"


def _check_capturable(group, what: str = "params and state_steps",
                      devices: str = _CAPTURABLE_DEVICES) -> None:
    """capturable=True needs an accelerator; torch raises this on the CPU."""
    if group.get("capturable", False):
        raise AssertionError(
            f"If capturable=True, {what} must be on supported devices: {devices}."
        )


def _scalar_dtype(fused=None) -> np.dtype:
    """The dtype of step counters: float32, or float64 when that is the default dtype."""
    if fused:
        return np.dtype(np.float32)
    if _dtype.get_default_dtype() == _dtype.float64:
        return np.dtype(np.float64)
    return np.dtype(np.float32)


def _step_tensor(value: float = 0.0, group=None) -> Tensor:
    """A 0-d step counter, as torch keeps it (``tensor(0.)``)."""
    fused = group.get("fused") if group is not None else None
    return wrap(np.array(value, dtype=_scalar_dtype(fused)))


def _bump_step(step_t: Tensor) -> float:
    """``step_t += 1``; returns the new count as a Python float (torch's ``_get_value``)."""
    step_t._data += 1
    step_t._vbox[0] += 1
    return float(step_t._data)


def _zeros_like(p: Tensor) -> Tensor:
    return wrap(np.zeros_like(p._data))


def _bump(*tensors: Tensor) -> None:
    """Count an in-place change in each tensor's version counter (as torch's ``x.add_()``)."""
    for t in tensors:
        t._vbox[0] += 1


def _value(x):
    """A hyper-parameter given as a 1-element tensor, as a Python number."""
    return x.item() if isinstance(x, Tensor) else x


def _tensor_lr(lr):
    """``lr`` as the optimizers whose torch update derives scalars from it need it.

    torch keeps a tensor ``lr`` a (float32) tensor, so ``lr / bias_correction1`` or
    ``1 - lr * weight_decay`` are computed, and rounded, in the tensor's dtype before
    they scale a float64 parameter. A NumPy scalar of that dtype does the same (a Python
    float operand is cast to it first, as torch casts a wrapped number) under NumPy 2's
    promotion rules (NEP 50); NumPy 1 computes those scalars in float64 instead, about
    1e-8 relative away from torch's.
    """
    return lr._data.reshape(())[()] if isinstance(lr, Tensor) else lr


def _fused_or_tensor_lr(group):
    """The group's ``lr`` for Adam, AdamW and Adagrad: ``_tensor_lr``, except under
    ``fused=True``, whose kernel reads a tensor ``lr`` as a double (``lr.item()``) and
    derives its scalars in double precision."""
    return _value(group["lr"]) if group["fused"] else _tensor_lr(group["lr"])


def _check_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")


def _validate(**hyper_parameters) -> None:
    """Check hyper-parameters as torch's constructors do, with torch's messages, in the
    order they are passed (each optimizer passes them in its torch constructor's order).

    ``lr``, ``eps`` and the others must be >= 0 (a NaN fails), both ``betas`` in [0, 1),
    ``rho`` in [0, 1]; a tensor ``lr`` must have one element.
    """
    for name, value in hyper_parameters.items():
        if name == "lr":
            _check_lr(value)
            if not 0.0 <= value:
                raise ValueError(f"Invalid learning rate: {value}")
        elif name == "eps":
            if not 0.0 <= value:
                raise ValueError(f"Invalid epsilon value: {value}")
        elif name == "betas":
            for i in (0, 1):
                if not 0.0 <= value[i] < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {value[i]}")
        elif name == "rho":
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Invalid rho value: {value}")
        elif not 0.0 <= value:
            raise ValueError(f"Invalid {name} value: {value}")
