"""torchlet.utils.checkpoint: trade compute for memory, as ``torch.utils.checkpoint``.

``checkpoint(function, *args)`` runs ``function`` without keeping its intermediate
results for backward; the backward pass runs ``function`` again to get them. Two
variants, as in torch:

* ``use_reentrant=True`` (torch 2.13's default when the argument is not passed, with a
  warning): a custom ``autograd.Function`` whose forward runs ``function`` under
  ``no_grad`` keeping only the inputs, and whose backward recomputes ``function`` with
  grad enabled on detached inputs and runs a nested backward through it. It cannot be
  used with ``autograd.grad`` or ``backward(inputs=...)``.
* ``use_reentrant=False``: ``function`` runs with grad enabled under
  ``saved_tensors_hooks`` whose pack hook keeps a placeholder instead of each tensor an
  operation saves. The first unpack in a backward pass reruns ``function`` under a second
  pair of hooks that collect the tensors it saves, in the same order, and hands them out
  (stopping as soon as all have been saved when ``early_stop``).

With ``preserve_rng_state`` (default) the recomputation starts from the random state the
forward started from, so dropout draws the same mask and gradients equal those of the
uncheckpointed function bit for bit.

Differences from torch: a recomputed tensor stays available until the backward pass is
over (torch hands each out once, so a second read raises), and ``debug=True`` adds no
operator traces to the error messages.
"""

from __future__ import annotations

import contextlib
import itertools
import warnings
import weakref

from torchlet._tensor import Tensor
from torchlet.autograd import backward as autograd_backward
from torchlet.autograd import engine
from torchlet.autograd.function import (
    SAVED_TENSOR_HOOKS,
    Function,
    _edge,
    _modified_message,
    _PackedSaved,
    run_pack_hook,
)
from torchlet.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from torchlet.autograd.graph import saved_tensors_hooks
from torchlet.random import fork_rng, get_rng_state, set_rng_state

__all__ = [
    "CheckpointError", "CheckpointFunction", "check_backward_validity", "checkpoint",
    "checkpoint_sequential", "detach_variable", "set_checkpoint_early_stop",
]

_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
    "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
    "exception. use_reentrant=False is recommended, but if you need to preserve the "
    "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
    "details on the differences between the two variants."
)
_SEQUENTIAL_REENTRANT_WARNING = (
    "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be "
    "passed explicitly. In version 2.9 we will raise an exception if use_reentrant is not "
    "passed. use_reentrant=False is recommended, but if you need to preserve the current "
    "default behavior, you can pass use_reentrant=True. Refer to docs for more details on "
    "the differences between the two variants."
)


class CheckpointError(RuntimeError):
    """The recomputation saved different tensors than the original forward."""


def detach_variable(inputs: tuple) -> tuple:
    """Each tensor of ``inputs`` detached, keeping its requires_grad; others as they are."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(
            "Only tuple of tensors is supported. Got Unsupported input type: "
            f"{type(inputs).__name__}"
        )
    out = []
    for x in inputs:
        if isinstance(x, Tensor):
            detached = x.detach()
            detached.requires_grad = x.requires_grad
            x = detached
        out.append(x)
    return tuple(out)


def check_backward_validity(inputs) -> None:
    if not any(x.requires_grad for x in inputs if isinstance(x, Tensor)):
        warnings.warn(
            "None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2
        )


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


# set_checkpoint_early_stop's override; None: each call's own
_EARLY_STOP: list[bool | None] = [None]


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool):
    """Whether non-reentrant checkpoints stop recomputing once all saved tensors exist."""
    previous = _EARLY_STOP[0]
    _EARLY_STOP[0] = enable
    try:
        yield
    finally:
        _EARLY_STOP[0] = previous


# ---------------------------------------------------------------------------------------
# reentrant variant


class CheckpointFunction(Function):
    """forward: ``run_function(*args)`` under no_grad, saving only the inputs (and the
    random state); backward: the same call again with grad enabled, then a nested
    backward through it, returning the inputs' gradients."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = get_rng_state()
        ctx.inputs = [None if isinstance(x, Tensor) else x for x in args]
        ctx.tensor_indices = [i for i, x in enumerate(args) if isinstance(x, Tensor)]
        ctx.save_for_backward(*(x for x in args if isinstance(x, Tensor)))
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grad_outputs):
        if engine.current_task()._wanted is not None:  # autograd.grad or inputs=
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() "
                "or passing an `inputs` parameter to .backward(). To resolve this error, you "
                "can either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument."
            )
        inputs = list(ctx.inputs)
        for i, tensor in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = tensor
        with fork_rng(devices=[], enabled=ctx.preserve_rng_state):
            if ctx.preserve_rng_state:
                set_rng_state(ctx.fwd_cpu_state)
            detached_inputs = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = ctx.run_function(*detached_inputs)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        outputs_with_grad, grads_of_those = [], []
        for output, grad in zip(outputs, grad_outputs):
            if isinstance(output, Tensor) and output.requires_grad:
                outputs_with_grad.append(output)
                grads_of_those.append(grad)
        if not outputs_with_grad:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary"
            )
        autograd_backward(outputs_with_grad, grads_of_those)
        grads = tuple(x.grad if isinstance(x, Tensor) else None for x in detached_inputs)
        return (None, None, *grads)


# ---------------------------------------------------------------------------------------
# non-reentrant variant


class _Holder:
    """What the forward keeps for one saved tensor: its position in the save order."""

    __slots__ = ("index", "__weakref__")

    def __init__(self, index):
        self.index = index


class _StopRecomputation(Exception):
    pass


def _metadata(tensor) -> dict:
    return {"shape": tensor.shape, "dtype": tensor.dtype, "device": tensor.device}


class _CheckpointFrame:
    """One non-reentrant checkpoint call: its inputs, the metadata of what its forward
    saved, and the tensors recomputed for the backward pass now running."""

    def __init__(self, recompute_fn, args, early_stop, check_metadata):
        self.recompute_fn = recompute_fn
        # torch saves the inputs for backward (as saved tensors): changing one in place
        # before the recomputation is the usual version-counter error; saved-tensor
        # hooks active around the call pack them (see _save_inputs)
        self.args = _save_inputs(args)
        self.input_versions = [(a._vbox, a._vbox[0], a) for a in self.args
                               if isinstance(a, Tensor)]
        self.early_stop = early_stop
        self.check_metadata = check_metadata
        self.saved_metadata = []
        self.holders = []  # weak references, in save order
        self.pass_id = None  # the backward pass the recomputed tensors belong to
        self.recomputed = []

    def pack(self, tensor):
        holder = _Holder(len(self.holders))
        self.holders.append(weakref.ref(holder))
        self.saved_metadata.append(_metadata(tensor) if self.check_metadata else None)
        return holder

    def unpack(self, holder):
        try:
            pass_id = engine.current_task().id
        except RuntimeError:  # read outside a backward pass
            pass_id = ("outside", next(_unique))
        if pass_id != self.pass_id:
            for box, version, tensor in self.input_versions:
                if box[0] != version:
                    raise RuntimeError(_modified_message(None, tensor, box[0], version))
            self.pass_id, self.recomputed = pass_id, []
            args = [a(None) if type(a) is _PackedSaved else a for a in self.args]
            try:
                with saved_tensors_hooks(self._pack_recomputed, _identity), enable_grad():
                    self.recompute_fn(*args)
            except _StopRecomputation:
                pass
            self._check_recomputed()
        return self.recomputed[holder.index]

    def _pack_recomputed(self, tensor):
        if len(self.recomputed) >= len(self.holders):
            raise CheckpointError(
                "torch.utils.checkpoint: trying to save more tensors during recomputation "
                "than during the original forward pass."
            )
        self.recomputed.append(tensor.detach() if tensor.requires_grad else tensor)
        if self.early_stop and len(self.recomputed) == len(self.holders):
            raise _StopRecomputation
        return tensor

    def _check_recomputed(self):
        if len(self.recomputed) != len(self.holders):
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the "
                "original forward and recomputation.\n"
                f"Number of tensors saved during forward: {len(self.holders)}\n"
                f"Number of tensors saved during recomputation: {len(self.recomputed)}."
            )
        if not self.check_metadata:
            return
        different = ""
        for i, (saved, tensor) in enumerate(zip(self.saved_metadata, self.recomputed)):
            if saved != _metadata(tensor):
                different += (f"tensor at position {i}:\nsaved metadata: {saved}\n"
                              f"recomputed metadata: {_metadata(tensor)}\n")
        if different:
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have "
                f"different metadata than during the forward pass.\n{different}."
            )


_unique = itertools.count()


def _save_inputs(args) -> list:
    """The inputs as torch keeps them for the recomputation. Under saved_tensors_hooks
    (the user's, or an enclosing checkpoint's) each tensor is packed now, as any saved
    tensor: the hook runs without grad and without hooks and may not change its input in
    place; its unpack hook runs at each recomputation, and no version is checked then."""
    stack = SAVED_TENSOR_HOOKS.stack
    if not stack:
        return list(args)
    pack, unpack = stack[-1]
    saved = []
    for arg in args:
        if isinstance(arg, Tensor):
            edge = _edge(arg)  # (before the hook runs)
            arg = _PackedSaved(run_pack_hook(pack, arg), unpack, edge)
        saved.append(arg)
    return saved


def _identity(x):
    return x


def _checkpoint_without_reentrant(function, preserve_rng_state, context_fn,
                                  determinism_check, early_stop, args, kwargs):
    if determinism_check not in ("default", "none"):
        raise ValueError(
            "determinism_check should be one of ['default', 'none'], but got "
            f"{determinism_check}"
        )
    forward_context, recompute_context = context_fn()
    if not is_grad_enabled():  # nothing will be saved: just run it
        with forward_context:
            return function(*args, **kwargs)
    fwd_cpu_state = get_rng_state() if preserve_rng_state else None

    def recompute(*inputs):
        with fork_rng(devices=[], enabled=preserve_rng_state):
            if preserve_rng_state:
                set_rng_state(fwd_cpu_state)
            with recompute_context:
                function(*inputs, **kwargs)

    frame = _CheckpointFrame(
        recompute, args, early_stop if _EARLY_STOP[0] is None else _EARLY_STOP[0],
        determinism_check == "default",
    )
    with saved_tensors_hooks(frame.pack, frame.unpack), forward_context:
        return function(*args, **kwargs)


# ---------------------------------------------------------------------------------------
# public functions


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check="default", debug=False, early_stop=True, **kwargs):
    """``function(*args, **kwargs)``, keeping only the inputs for backward, which runs it
    again. Pass ``use_reentrant`` (False is recommended); ``preserve_rng_state=False``
    skips saving and restoring the random state."""
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError(
                "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
            )
        return CheckpointFunction.apply(function, preserve, *args)
    return _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check,
                                         early_stop, args, kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None,  # noqa: A002
                          **kwargs):
    """Run ``functions`` (an ``nn.Sequential`` or a list) in order, split into ``segments``
    chunks of which all but the last are checkpointed."""
    from torchlet.nn import Sequential

    if use_reentrant is None:
        warnings.warn(_SEQUENTIAL_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))

    def run_function(start, end, functions):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input,  # noqa: A001
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)
