"""Nodes of the backward graph, and the two ways to define a differentiable operation.

Every tensor produced by a recorded operation points at a ``Node`` (its ``grad_fn``).
A node knows where the gradients it computes must go next: ``next_functions``, one
``(node, input_nr)`` edge per input of the forward call (``(None, 0)`` for an input
that needs no gradient). Leaves that require grad end in an ``AccumulateGrad`` node.

* ``Primitive`` is how torchlet's own operations are written: ``forward`` works on NumPy
  arrays (fast), ``backward`` is written with torchlet operations on Tensors, so that the
  same rule is differentiable again under ``create_graph=True``.
* ``Function`` is PyTorch's public ``torch.autograd.Function``: ``forward`` receives
  Tensors, so a custom Function written for PyTorch runs unchanged.

Both use the same ``ctx`` protocol: ``ctx.save_for_backward(...)``, ``ctx.saved_tensors``,
``ctx.needs_input_grad``, ``ctx.mark_non_differentiable(...)``. The ctx *is* the node.
``needs_input_grad`` is set before ``forward`` runs, so that a forward can save only what
the gradients it will be asked for need (torch saves ``b`` for ``a * b`` only when ``a``
needs a gradient: changing ``b`` in place afterwards is then no error).
"""

from __future__ import annotations

import inspect
import itertools
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from torchlet._device import CPU, META, META_KERNEL, MetaArray, is_meta_array, meta_array
from torchlet._dtype import contiguous_format, type_name
from torchlet._numpy_names import user_stacklevel
from torchlet.autograd.anomaly_mode import ANOMALY_STATE, record_forward_trace
from torchlet.autograd.grad_mode import GRAD_STATE
from torchlet.utils.hooks import RemovableHandle

_next_sequence_nr = itertools.count().__next__
_new_node = object.__new__
_ndarray = np.ndarray  # (a CPU tensor's array is exactly this type: see apply_on_meta)
FREED = "freed"  # marker: saved values released after backward

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class Node:
    """A vertex of the backward graph (what ``tensor.grad_fn`` returns)."""

    __slots__ = (
        "_edges",  # one (node, input_nr) or None per forward input
        "_input_meta",  # (shape, numpy dtype) per input that needs a gradient, else None
        "_seq",  # creation order (_sequence_nr()); the engine runs higher numbers first
        "_n_outputs",  # how many gradient slots this node receives
        "_saved",  # what save_for_backward stored (resolved), or FREED
        "_version_checks",  # (version box, version at save, saved Tensor or _SavedOutput)
        "needs_input_grad",
        "_hooks",  # NodeHooks, created only when a hook is registered (rare)
        "_to_save",  # what forward passed to save_for_backward, until resolved
        "_rebuilt_on_access",  # whether _saved holds a _SavedOutput or _PackedSaved
        "__dict__",
        "__weakref__",
    )

    _hooks: NodeHooks | None

    node_name = "Node"
    _run_without_grads = False  # a custom Function's backward runs even then, as in torch

    def name(self) -> str:
        return self.node_name

    @property
    def next_functions(self):
        return tuple(e if e is not None else (None, 0) for e in self._edges)

    @property
    def metadata(self) -> dict:
        return self.hooks().metadata

    def __repr__(self):
        return f"<{_short_name(self)} object at {hex(id(self))}>"

    def _sequence_nr(self) -> int:
        """The node's creation number (a method, as torch's)."""
        return self._seq

    # Python calls __getattr__ only when normal lookup fails, so the slots and methods
    # above cost nothing more; only a missing name pays for it.
    def __getattr__(self, name):
        """torch's ``_saved_<name>`` / ``_raw_saved_<name>``: what the node saved for
        backward (see autograd/_saved_names.py)."""
        if name.startswith(("_saved_", "_raw_saved_")):
            from torchlet.autograd._saved_names import saved_attribute

            return saved_attribute(self, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __dir__(self):
        from torchlet.autograd._saved_names import saved_names

        return sorted({*super().__dir__(), *saved_names(self)})

    def register_hook(self, hook) -> RemovableHandle:
        """hook(grad_inputs, grad_outputs) runs after this node's backward; a tuple it
        returns replaces grad_inputs."""
        return add_hook(self.hooks().post, hook)

    def register_prehook(self, hook) -> RemovableHandle:
        """hook(grad_outputs) runs before this node's backward; may return new grads."""
        return add_hook(self.hooks().pre, hook)

    def hooks(self) -> NodeHooks:
        if self._hooks is None:
            self._hooks = NodeHooks()
        return self._hooks

    def _init_node(self, n_outputs: int = 1):
        self._edges: Sequence = ()
        self._input_meta: Sequence = ()
        self._seq = _next_sequence_nr()
        self._n_outputs = n_outputs
        self._saved: tuple | object | None = None
        self._version_checks = None
        self.needs_input_grad = ()
        self._hooks = None

    # -- saved values -------------------------------------------------------------------

    def _release_saved(self):
        if self._saved is not None:
            self._saved = FREED

    def _check_versions(self):
        for box, version, source in self._version_checks:
            if box[0] != version:
                raise RuntimeError(_modified_message(self, source, box[0], version))

    def _backward(self, grads):
        """Gradients for each forward input, given one gradient per output."""
        raise NotImplementedError

    def __call__(self, *grads, **kwargs):
        """torch's ``grad_fn(*grads)``: this node's backward on one gradient (or None) per
        output. Returns the gradients of its inputs: a tensor for a node with one input,
        else a tuple (None where an input needs none; an AccumulateGrad adds into its
        leaf's ``.grad`` and returns ``()``). As torch, no hook runs, nothing is checked
        or reduced as the engine would, and grad mode stays as it is, so under it the
        result records a graph. A custom Function's node is not callable (torch's is
        not either: ``ctx.apply`` runs its backward)."""
        if isinstance(self, BackwardCFunction):
            raise TypeError(f"'{type(self).__name__}' object is not callable")
        if kwargs:
            raise TypeError("keyword arguments are not supported")
        n = self._n_outputs
        if len(grads) != n:
            # torch counts only the differentiable outputs (max's values, not its
            # indices); the nodes here have a slot for each, so where some may not be
            # differentiable (a multi-output node that does not materialize its missing
            # gradients) fewer are taken, the rest None
            if len(grads) > n or not grads or getattr(self, "materialize_grads", True):
                raise TypeError(f"expected {n} arguments, got {len(grads)} instead")
            grads = grads + (None,) * (n - len(grads))
        for i, g in enumerate(grads):
            if g is not None and not isinstance(g, Tensor):
                raise TypeError(f"argument {i} is not a Variable")
        if type(self) is AccumulateGrad:
            variable = self._variable()
            if grads[0] is not None and variable is not None:
                self._accumulate(variable, grads[0])
                if self._hooks is not None:
                    self._run_post_accumulate_hooks(variable)
            return ()
        if all(g is None for g in grads) and not self._run_without_grads:
            result = (None,) * len(self._edges)  # (the engine's shortcut, and torch's)
        else:
            result = self._backward(list(grads))
            # (a rule may compute what no input needs; torch's nodes give None there)
            result = tuple(None if e is None else g for e, g in zip(self._edges, result))
        return result[0] if len(result) == 1 else result


def _modified_message(node, source, current: int, expected: int) -> str:
    """torch's error for a saved tensor changed in place: ``source`` is the saved input
    Tensor (named with its grad_fn now, as torch does) or a saved output of ``node``."""
    if type(source) is _SavedOutput:
        array, producer, nr = source.data, node, source.output_nr
    else:
        try:  # (torch names the grad_fn a stale view has now: AsStridedBackward0)
            producer = source.grad_fn
        except RuntimeError:  # (a view that may not be rebased: its old node, then)
            producer = source._grad_fn
        array, nr = source._data, source._output_nr
    which = ""
    if producer is not None:  # torch names the producing op as "Exp", "Add", "T1"
        op = producer.name().replace("Backward0", "").replace("Backward", "")
        which = f", which is output {nr} of {op},"
    hint = (
        "Hint: the backtrace further above shows the operation that failed to compute its "
        "gradient. The variable in question was changed in there or anywhere later. Good "
        "luck!" if ANOMALY_STATE.enabled else
        "Hint: enable anomaly detection to find the operation that failed to compute its "
        "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )
    return (
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {_describe(array)}{which} is at version {current}; expected "
        f"version {expected} instead. {hint}"
    )


def _short_name(node) -> str:
    """How torch prints a node: its C++ nodes' names without "torch::autograd::"."""
    return node.name().rsplit("::", 1)[-1]


class NodeHooks:
    """What few nodes carry: hooks, retained gradients, user metadata."""

    __slots__ = ("tensor", "retained", "pre", "post", "post_accumulate", "metadata")

    # Each kind of hook is an OrderedDict {handle id: hook}, in registration order, as torch
    # keeps them: the RemovableHandle that register_*hook returns removes its entry.
    def __init__(self):
        self.tensor = {}  # {output_nr: hooks} from Tensor.register_hook on a non-leaf
        self.retained = {}  # {output_nr: weakref to the tensor that called retain_grad()}
        self.pre = OrderedDict()
        self.post = OrderedDict()
        self.post_accumulate = OrderedDict()  # hook(leaf), on an AccumulateGrad only
        self.metadata = {}


def add_hook(hooks: OrderedDict, hook) -> RemovableHandle:
    """Register ``hook`` last in ``hooks``; the handle removes it again."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


# ---------------------------------------------------------------------------------------
# Leaves


class AccumulateGrad(Node):
    """Where the gradient of a leaf ends: added into ``variable.grad``.

    A leaf keeps its AccumulateGrad for life and the node refers back to the leaf weakly
    (torch does the reverse, and so recreates the node on every forward pass). No cycle
    either way; ``variable`` is the leaf while anyone can still use it.
    """

    node_name = "torch::autograd::AccumulateGrad"  # what torch's name() says

    def __init__(self, variable):
        self._init_node()
        # Run as soon as ready (torch gives these the largest sequence number).
        self._seq = float("inf")
        self._variable = weakref.ref(variable)

    @property
    def variable(self):
        return self._variable()

    def _sequence_nr(self) -> int:
        return 2**64 - 1  # torch's UINT64_MAX: a leaf's node runs as soon as it is ready

    def _accumulate(self, variable, grad):
        """Add ``grad`` into ``variable.grad`` (``variable`` is this node's leaf). A first
        gradient is copied (nothing else may alias .grad; the engine itself takes over
        one that nobody else holds); later ones are added.

        Without create_graph the sum is in place, as torch does, so a reference to the
        old ``.grad`` sees the new value; with create_graph it is out of place, recorded.
        """
        if variable._grad is None:
            if type(variable._data) is MetaArray and not is_meta_array(grad._data):
                grad = _meta_tensor(grad)  # (a leaf that is itself the root: its 1 is CPU's)
            if GRAD_STATE.enabled:  # torch copies, recorded: grad_fn CopyBackwards
                variable._grad = _copied_recorded(grad, variable._data)
            else:
                data = _laid_out_as_leaf(grad._data, variable._data)
                if type(data) is not np.ndarray and type(data) is not MetaArray:
                    data = np.asarray(data)  # (a NumPy scalar: .grad must be writable)
                variable._grad = wrap(data)
        elif GRAD_STATE.enabled:
            variable._grad = variable._grad + grad
        else:
            variable._grad._data += grad._data

    def _run_post_accumulate_hooks(self, variable):
        """hook(variable) for each hook, after ``variable.grad`` is complete.

        As torch: a hook may return None or the tensor it was given (``lambda p:
        p.add_(...)``). Any other value is checked like a replacement gradient (TypeError
        for a non-Tensor, RuntimeError for another size or dtype), handed to the later
        hooks, and then refused: post accumulate grad hooks cannot replace anything."""
        from torchlet.autograd._hooks import _checked_grad  # _hooks imports this module

        argument, replaced = variable, False
        for hook in tuple(self._hooks.post_accumulate.values()):  # (a snapshot, as torch)
            result = hook(argument)
            if result is not None and result is not argument:
                argument, replaced = _checked_grad(hook, argument, result), True
        if replaced:
            raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def _laid_out_as_leaf(grad: np.ndarray, leaf: np.ndarray) -> np.ndarray:
    """A copy of a leaf's first gradient in the layout torch's AccumulateGrad gives .grad
    (``clone_obey_contract``): the leaf's own strides, those of its size-1 dims too, where
    the leaf is dense and non-overlapping (a channels_last weight gets a channels_last
    grad), else C order."""
    if type(grad) is not np.ndarray or (leaf.flags.c_contiguous and leaf.size
                                        and 1 not in leaf.shape):
        return grad.copy()  # (C order: such a leaf's own strides)
    strides = _dense_strides(leaf)
    if strides is None:
        return grad.copy()
    from torchlet._ops.indexing._common import array_with_strides  # (it imports us)

    out = array_with_strides(leaf.shape, strides, grad.dtype)
    np.copyto(out, grad)
    return out


def _copied_recorded(grad, leaf: np.ndarray):
    """A leaf's first gradient copied under create_graph, as torch's clone_obey_contract:
    into the leaf's layout (grad_fn CopyBackwards), or for a leaf that is not dense and
    non-overlapping a contiguous clone (CloneBackward0)."""
    from torchlet._ops.pointwise.operands import copy_from  # (imports us)

    if type(leaf) is not np.ndarray:  # (a meta leaf)
        return copy_from(wrap(np.empty_like(leaf)), grad)
    strides = _dense_strides(leaf)
    if strides is None:
        return grad.clone(memory_format=contiguous_format)
    from torchlet._ops.indexing._common import array_with_strides  # (it imports us)

    return copy_from(wrap(array_with_strides(leaf.shape, strides, grad._data.dtype)), grad)


def _dense_strides(a: np.ndarray) -> tuple | None:
    """``a``'s element strides if it is dense and non-overlapping, else None."""
    from torchlet._ops.indexing._common import (  # (it imports this module)
        non_overlapping_and_dense,
        torch_strides,
    )

    if not a.size:  # (torch reads an empty tensor as contiguous, so dense: any strides)
        return empty_strides(a)
    strides = torch_strides(a)
    return strides if non_overlapping_and_dense(a.shape, strides) else None


def obeys_layout_contract(grad: np.ndarray, leaf: np.ndarray) -> bool:
    """torch's ``obeys_layout_contract``: whether ``grad`` may become ``leaf``'s .grad as
    it is. For a dense, non-overlapping leaf, ``grad`` must step as the leaf does along
    every dim not of size 1, and not stand still (stride 0) along one that is; for any
    other leaf, ``grad`` must be contiguous."""
    if (grad.flags.c_contiguous and leaf.flags.c_contiguous and grad.size
            and 0 not in grad.strides):
        return True  # the usual case, told by NumPy's flags (which ignore size-1 dims)
    from torchlet._ops.indexing._common import _contiguous_in_order, torch_strides

    strides = torch_strides(grad) if grad.size else empty_strides(grad)
    leaf_strides = _dense_strides(leaf)
    if leaf_strides is None:
        return _contiguous_in_order(grad.shape, strides, range(grad.ndim - 1, -1, -1))
    return all(g == s if n != 1 else g != 0
               for n, g, s in zip(grad.shape, strides, leaf_strides))


def register_post_accumulate_grad_hook(tensor, hook):
    """``hook(tensor)`` runs after a leaf's ``.grad`` has been accumulated by backward."""
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor._grad_fn is not None:
        raise RuntimeError(
            "post accumulate grad hooks cannot be registered on non-leaf tensors"
        )
    return add_hook(grad_accumulator(tensor).hooks().post_accumulate, hook)


def grad_accumulator(tensor) -> AccumulateGrad:
    """The AccumulateGrad node of a leaf, made on first use and kept by the leaf."""
    node = tensor._accumulator
    if node is None:
        node = tensor._accumulator = AccumulateGrad(tensor)
    return node


def gradient_edge(tensor):
    """The edge a gradient for ``tensor`` travels along: its grad_fn, or its accumulator."""
    if tensor.grad_fn is not None:  # (the property: a stale view's grad_fn is rebuilt)
        return (tensor._grad_fn, tensor._output_nr)
    return (grad_accumulator(tensor), 0)


# ---------------------------------------------------------------------------------------
# Shared ctx behaviour


class _Context:
    """What a forward may call on ``ctx`` (mixed into Primitive and BackwardCFunction)."""

    __slots__ = ()

    def save_for_backward(self, *values):
        self._to_save = values

    def mark_non_differentiable(self, *values):
        self._non_differentiable = values

    def set_materialize_grads(self, value: bool):
        # mypy sees only this mixin's empty __slots__; every class it joins has a __dict__
        self._materialize_grads = value  # type: ignore[misc]

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is FREED:
            raise RuntimeError(FREED_MESSAGE)
        if saved is None:
            return ()
        checks = self._version_checks
        if checks:
            for box, version, _ in checks:
                if box[0] != version:
                    self._check_versions()  # raises torch's error
        if self._rebuilt_on_access:
            if len(saved) == 1:  # an activation's output, alone: no generator to run
                return (saved[0](self),) if type(saved[0]) in _REBUILT else saved
            return tuple(s(self) if type(s) in _REBUILT else s for s in saved)
        return saved


def _resolve_saved(ctx, arrays, inputs, outputs_raw, outputs):
    """Turn what forward saved into Tensors (or plain values) to hand to backward.

    Primitives save NumPy arrays. An array that *is* one of the inputs' arrays stands for
    that input Tensor, so the backward formula stays differentiable under create_graph;
    an array that is an output stands for the output (rebuilt on demand with this node as
    its grad_fn, which avoids a reference cycle); anything else is a constant.
    """
    to_save = ctx._to_save
    if (len(to_save) == 1 and len(arrays) == 1 and len(outputs_raw) == 1
            and to_save[0] is outputs_raw[0] and to_save[0] is not arrays[0]):
        # an activation's output alone (relu, sigmoid, exp): what the loop below gives
        out = outputs[0]
        output = _SavedOutput(out._data, 0)
        ctx._saved = (output,)
        ctx._version_checks = [(out._vbox, out._vbox[0], output)]
        ctx._rebuilt_on_access = True
        return
    if len(to_save) == 2 and len(arrays) == 2 and (
            (to_save[0] is arrays[0] and to_save[1] is arrays[1])
            or (to_save[0] is arrays[1] and to_save[1] is arrays[0])):
        # the common case: both inputs of a binary op, in either order (mul saves b first)
        a, b = inputs if to_save[0] is arrays[0] else inputs[::-1]
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            if a._inference or b._inference:
                _refuse_inference_tensor()
            ctx._saved = (a, b)
            ctx._version_checks = ((a._vbox, a._vbox[0], a), (b._vbox, b._vbox[0], b))
            ctx._rebuilt_on_access = False
            return
    saved, checks = [], []
    saves_output = False
    for value in to_save:
        if value is None or isinstance(value, Tensor):
            tensor = value
        else:
            tensor = None
            for i, arr in enumerate(arrays):
                if value is arr:
                    if isinstance(inputs[i], Tensor):
                        tensor = inputs[i]
                    break
            if tensor is None:
                for nr, (raw, out) in enumerate(zip(outputs_raw, outputs)):
                    if value is raw:
                        output = _SavedOutput(out._data, nr)
                        saved.append(output)
                        checks.append((out._vbox, out._vbox[0], output))
                        saves_output = True
                        break
                else:
                    saved.append(wrap(_as_array(value)) if isinstance(value, np.ndarray)
                                 else value)
                continue
        if tensor is not None:
            if tensor._inference:
                _refuse_inference_tensor()
            checks.append((tensor._vbox, tensor._vbox[0], tensor))
        saved.append(tensor)
    ctx._saved = tuple(saved)
    ctx._version_checks = checks
    ctx._rebuilt_on_access = saves_output


def _refuse_inference_tensor():
    """torch: a tensor made under inference_mode has no version counter, so backward could
    not tell whether it changed; autograd refuses to save one."""
    raise RuntimeError(
        "Inference tensors cannot be saved for backward. Please do not use Tensors created "
        "in inference mode in computation tracked by autograd. To work around this, you can "
        "make a clone to get a normal tensor and use it in autograd, or use "
        "`torch.no_grad()` instead of `torch.inference_mode()`."
    )


class _SavedOutput:
    """A saved output, rebuilt as a Tensor whose grad_fn is the node itself."""

    __slots__ = ("data", "output_nr")

    def __init__(self, data, output_nr):
        self.data, self.output_nr = data, output_nr

    def __call__(self, node):
        return wrap(self.data, node, self.output_nr)


class SavedTensorHooks:
    """The pack/unpack hook pairs set by ``torch.autograd.graph.saved_tensors_hooks``
    (innermost last; only that one applies), and the message of an enclosing
    ``disable_saved_tensors_hooks`` (None when hooks are allowed)."""

    __slots__ = ("stack", "disabled_message")

    def __init__(self):
        self.stack = []
        self.disabled_message = None


SAVED_TENSOR_HOOKS = SavedTensorHooks()


class _PackedSaved:
    """A saved tensor handed to a pack hook: what the hook returned, unpacked on each
    access. torch checks no version counter then (the hooks own the data), nor do we.

    As torch's SavedVariable, the unpacked values come back with the saved tensor's
    place in the graph, so that a double backward reaches what it came from: ``edge`` is
    the saved tensor's (grad_fn, output_nr), its leaf's (AccumulateGrad, 0), None if it
    needed no gradient, or OUTPUT with ``output_nr`` for an output of the node itself
    (rebuilt with the node passed in, which avoids a reference cycle)."""

    __slots__ = ("packed", "unpack", "edge", "output_nr")

    OUTPUT = "output"

    def __init__(self, packed, unpack, edge, output_nr=0):
        self.packed, self.unpack, self.edge, self.output_nr = packed, unpack, edge, output_nr

    def __call__(self, node):
        tensor = self.unpack(self.packed)
        if not isinstance(tensor, Tensor):
            raise TypeError(
                "Output of saved tensor unpack_hook expected to be a Tensor but got result "
                f"of type {type(tensor).__name__}"
            )
        edge = self.edge
        if edge is None:
            return tensor.detach() if tensor.requires_grad else tensor
        if edge is _PackedSaved.OUTPUT:
            return wrap(tensor._data, node, self.output_nr)
        grad_fn, nr = edge
        if type(grad_fn) is AccumulateGrad:  # the leaf's values, its gradient goes there
            alias = wrap(tensor._data)
            alias._requires_grad = True
            alias._accumulator = grad_fn
            return alias
        return wrap(tensor._data, grad_fn, nr)


_REBUILT = (_SavedOutput, _PackedSaved)


def _pack_saved(ctx, outputs):
    """Replace each tensor ``ctx`` saved by what the innermost pack hook makes of it (an
    output is passed as the output tensor itself, as torch does). Operations inside the
    hook save without hooks and run in no-grad mode, as in torch."""
    stack = SAVED_TENSOR_HOOKS.stack
    pack, unpack = stack[-1]
    saved = []
    for value in ctx._saved:
        edge, nr = None, 0
        if type(value) is _SavedOutput:
            nr = value.output_nr
            value = outputs[nr]
            if value._grad_fn is ctx:
                edge = _PackedSaved.OUTPUT
        elif isinstance(value, Tensor):
            edge = _edge(value)
        if isinstance(value, Tensor):
            value = _PackedSaved(run_pack_hook(pack, value), unpack, edge, nr)
        saved.append(value)
    ctx._saved = tuple(saved)
    ctx._version_checks = None
    ctx._rebuilt_on_access = True


def run_pack_hook(pack, tensor: Tensor):
    """``pack(tensor)`` as torch runs a saved-tensor pack hook: what the hook itself
    records is not packed, grad mode is off, and the hook may not change its input in
    place."""
    stack, version = SAVED_TENSOR_HOOKS.stack, tensor._vbox[0]
    SAVED_TENSOR_HOOKS.stack = []
    grad_mode, GRAD_STATE.enabled = GRAD_STATE.enabled, False
    try:
        packed = pack(tensor)
    finally:
        SAVED_TENSOR_HOOKS.stack = stack
        GRAD_STATE.enabled = grad_mode
    if tensor._vbox[0] != version:
        raise RuntimeError(
            "A saved tensor pack hook is modifying its input in place. Tensors provided as "
            "input to pack hook cannot be modified by in-place operations as this can lead "
            "to unexpected side-effects. Please open an issue if you need to perform "
            "in-place operations on the input to a pack hook."
        )
    return packed


def _describe(array) -> str:
    """How torch names a tensor in error messages: ``[torch.FloatTensor [2, 3]]``; bool,
    which has no legacy tensor type, is ``[CPUBoolType [2, 3]]``."""
    if array.dtype.kind == "b":
        return f"[CPUBoolType {list(array.shape)}]"
    kind = {
        "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
        "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
        "int8": "CharTensor", "uint8": "ByteTensor",
    }[array.dtype.name]
    return f"[torch.{kind} {list(array.shape)}]"


# ---------------------------------------------------------------------------------------
# Built-in operations


class Primitive(Node, _Context):
    """Base of torchlet's differentiable operations.

    A subclass writes ``forward(ctx, *arrays, **params) -> array (or tuple)`` in NumPy and
    ``backward(ctx, *grad_outputs) -> one gradient (Tensor or None) per positional input``
    with torchlet operations. ``apply`` runs forward and, when recording, links the node.
    Keyword arguments are non-differentiable parameters (dim, keepdim, ...).
    """

    materialize_grads = False  # multi-output ops set True to receive zeros, not None
    _node_class: Any  # (set by __init_subclass__: the node type named as torch names it)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The nodes are made of a subclass named as torch names the node (node_name), so
        # that type(y.grad_fn).__name__ is 'MulBackward0' as in torch (graph-drawing code
        # prints it); its methods are the primitive's own.
        if "_named_node" not in cls.__dict__:
            # (a C++ node's type is named without its namespace: CopySlices, NotImplemented)
            cls._node_class = type(cls.node_name.rsplit("::", 1)[-1], (cls,), {
                "_named_node": True, "__slots__": (), "__module__": cls.__module__,
                "__doc__": f"The nodes of {cls.__qualname__}."})

    @classmethod
    def apply(cls, *inputs, **params):
        ctx = _new_node(cls._node_class)
        ctx._to_save = None
        record = False
        if GRAD_STATE.enabled:  # unwrap the arrays and find the edges in one pass
            arrays, edges, meta, needs = [], [], [], []
            for x in inputs:
                if isinstance(x, Tensor):
                    data = x._data
                    if type(data) is not _ndarray and is_meta_array(data):
                        return apply_on_meta(cls, inputs, params)
                    edge = _edge(x)
                else:
                    data, edge = x, None
                arrays.append(data)
                edges.append(edge)
                if edge is None:
                    meta.append(None)
                    needs.append(False)
                else:
                    meta.append((data.shape, data.dtype))
                    needs.append(True)
                    record = True
            ctx.needs_input_grad = needs  # (forward saves only what these need)
        else:
            arrays = []  # (a loop: as fast as a list comprehension in Python 3.11)
            for x in inputs:
                if isinstance(x, Tensor):
                    x = x._data
                    if type(x) is not _ndarray and is_meta_array(x):
                        return apply_on_meta(cls, inputs, params)
                arrays.append(x)
            ctx.needs_input_grad = (False,) * len(arrays)
        try:
            raw = cls.forward(ctx, *arrays, **params)
        except ValueError as error:
            raise _broadcast_error(error, arrays) from None

        if record:
            ctx._edges = edges
            ctx._input_meta = meta
            return _record(ctx, inputs, arrays, raw)
        if type(raw) is _ndarray and raw.size:  # (the common case inline: one call less)
            return wrap(raw)
        return _wrap_unrecorded(raw)

    # ``apply`` for one or two Tensor inputs and no parameters: the same result without
    # the general loop (0.4 us less a call). The arithmetic operators, loss.sum() and
    # the activations take these; every path through them is also one through ``apply``.
    @classmethod
    def apply_unary(cls, x):
        data = x._data
        if type(data) is not _ndarray and is_meta_array(data):
            return apply_on_meta(cls, (x,), {})
        ctx = _new_node(cls._node_class)
        ctx._to_save = None
        edge = _edge(x) if GRAD_STATE.enabled else None
        ctx.needs_input_grad = [edge is not None]
        raw = cls.forward(ctx, data)
        if edge is None:
            if type(raw) is _ndarray and raw.size:  # (as in apply)
                return wrap(raw)
            return _wrap_unrecorded(raw)
        ctx._edges = [edge]
        ctx._input_meta = [(data.shape, data.dtype)]
        return _record(ctx, (x,), (data,), raw)

    @classmethod
    def apply_binary(cls, x, y):
        a, b = x._data, y._data
        if (type(a) is not _ndarray or type(b) is not _ndarray) and (
                is_meta_array(a) or is_meta_array(b)):
            return apply_on_meta(cls, (x, y), {})
        ctx = _new_node(cls._node_class)
        ctx._to_save = None
        edge_a = edge_b = None
        if GRAD_STATE.enabled:
            edge_a, edge_b = _edge(x), _edge(y)
        ctx.needs_input_grad = [edge_a is not None, edge_b is not None]
        try:
            raw = cls.forward(ctx, a, b)
        except ValueError as error:
            raise _broadcast_error(error, (a, b)) from None
        if edge_a is None and edge_b is None:
            if type(raw) is _ndarray and raw.size:  # (as in apply)
                return wrap(raw)
            return _wrap_unrecorded(raw)
        ctx._edges = [edge_a, edge_b]
        ctx._input_meta = [None if edge_a is None else (a.shape, a.dtype),
                           None if edge_b is None else (b.shape, b.dtype)]
        return _record(ctx, (x, y), (a, b), raw)

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    def _backward(self, grads):
        if self.materialize_grads:
            grads = _zeros_for_missing(self, grads)
        result = self.backward(self, *grads)
        return result if type(result) is tuple else (result,)


def _broadcast_error(error: ValueError, arrays) -> Exception:
    """torch's message for operands that do not broadcast (NumPy raises ValueError)."""
    if "broadcast" not in str(error):
        return error
    shapes = [a.shape for a in arrays if isinstance(a, np.ndarray)]
    if len(shapes) < 2:
        return error
    a = shapes[0]  # the shape broadcast so far, against each next operand's
    for b in shapes[1:]:
        ndim = max(len(a), len(b))
        merged = []
        for i in range(ndim):
            size_a = a[i - ndim + len(a)] if i - ndim + len(a) >= 0 else 1
            size_b = b[i - ndim + len(b)] if i - ndim + len(b) >= 0 else 1
            merged.append(max(size_a, size_b) if 1 in (size_a, size_b) else size_a)
        for i in range(ndim - 1, -1, -1):
            size_a = a[i - ndim + len(a)] if i - ndim + len(a) >= 0 else 1
            size_b = b[i - ndim + len(b)] if i - ndim + len(b) >= 0 else 1
            if size_a != size_b and size_a != 1 and size_b != 1:
                return RuntimeError(
                    f"The size of tensor a ({size_a}) must match the size of tensor b "
                    f"({size_b}) at non-singleton dimension {i}"
                )
        a = tuple(merged)
    return RuntimeError(str(error))


def _as_array(r):
    """An output as a plain array (a meta array stays one: it is the tensor's device).
    (A new empty one gets torch's contiguous strides in ``wrap``.)"""
    return r if type(r) is np.ndarray or type(r) is MetaArray else np.asarray(r)


def _edge(x):
    """Where the gradient of Tensor ``x`` goes: its grad_fn, its leaf's AccumulateGrad,
    or None when it needs no gradient."""
    if x._base is not None and x._view_version != x._vbox[0]:
        refresh_view(x)  # a view whose base changed in place: follow the base's history
    fn = x._grad_fn
    if fn is not None:
        return (fn, x._output_nr)
    if x._requires_grad:
        return (x._accumulator or grad_accumulator(x), 0)
    return None


def _wrap_unrecorded(raw):
    """The outputs of a forward that is not recorded, as Tensors."""
    if type(raw) is np.ndarray:
        return wrap(raw)  # (wrap gives a new empty array torch's strides)
    if type(raw) is tuple:
        return tuple(wrap(_as_array(r)) for r in raw)
    return wrap(raw if type(raw) is MetaArray else np.asarray(raw))  # (as in _record)


def _record(ctx, inputs, arrays, raw):
    """Link ``ctx`` (its edges already set) into the graph as the grad_fn of the outputs
    of ``raw``."""
    ctx._seq = _next_sequence_nr()
    ctx._saved = None
    ctx._version_checks = None
    ctx._hooks = None
    if ANOMALY_STATE.enabled:
        record_forward_trace(ctx)

    if type(raw) is not tuple:  # the common case: one output
        ctx._n_outputs = 1
        # (wrap gives a new empty result torch's strides; a meta array keeps its zeros)
        out = raw if type(raw) is np.ndarray or type(raw) is MetaArray else np.asarray(raw)
        output = wrap(out, ctx) if out.dtype.kind == "f" else wrap(out)
        if ctx._to_save is not None:
            _resolve_saved(ctx, arrays, inputs, (raw,), (output,))
            if SAVED_TENSOR_HOOKS.stack:
                _pack_saved(ctx, (output,))
        return output

    ctx._n_outputs = len(raw)
    non_differentiable = ctx.__dict__.get("_non_differentiable", ())
    outputs = []
    for nr, r in enumerate(raw):
        arr = _as_array(r)
        if arr.dtype.kind == "f" and not any(r is nd for nd in non_differentiable):
            outputs.append(wrap(arr, ctx, nr))
        else:
            outputs.append(wrap(arr))
    if ctx._to_save is not None:
        _resolve_saved(ctx, arrays, inputs, raw, outputs)
        if SAVED_TENSOR_HOOKS.stack:
            _pack_saved(ctx, outputs)
    return tuple(outputs)


def _zeros_for_missing(node, grads):
    """Replace missing output gradients by zeros shaped like the outputs (meta ones for a
    node on meta tensors); an output that was no tensor (meta None) keeps None."""
    zeros = meta_array if isinstance(node, _MetaNode) else np.zeros
    return tuple(
        g if g is not None or meta is None else wrap(zeros(meta[0], meta[1]))
        for g, meta in zip(grads, node._output_meta)
    )


# ---------------------------------------------------------------------------------------
# Operations on meta tensors
#
# A meta tensor's array is a MetaArray (torchlet._device): NumPy code run on it finds the
# shapes and dtypes of its results and raises NumPy's errors, mostly without touching
# every element. So an operation on meta tensors runs its ordinary forward on their
# arrays; what differs is here: torch's device check, and every output (and whatever
# backward will use) made a meta array. ``apply`` comes here when an input's array is not
# exactly an ndarray (one type test per input) and is a meta one.


def apply_on_meta(cls, inputs, params):
    """``cls.apply(*inputs, **params)`` where an input is a meta tensor.

    torch's device rule (TensorIterator's): the tensors share one device, except that a
    0-d CPU tensor goes with any; a mismatch is an error, after any broadcasting error.
    Every output is a meta tensor, and the node's gradients are meta tensors too.
    """
    mismatch = None if _in_backward() else _device_mismatch(inputs)
    ctx = _new_node(_meta_node_class(cls))
    ctx._to_save = None
    recording = GRAD_STATE.enabled
    arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
    edges = [_edge(x) if recording and isinstance(x, Tensor) else None for x in inputs]
    ctx.needs_input_grad = [edge is not None for edge in edges]
    previous, META_KERNEL.on = META_KERNEL.on, True  # (NumPy keeps values: MetaArray)
    try:
        raw = cls.forward(ctx, *arrays, **params)
    except ValueError as error:
        raise _meta_broadcast_error(error, arrays) or mismatch or error from None
    except Exception:
        if mismatch is None:
            raise
        raise mismatch from None
    finally:
        META_KERNEL.on = previous
    if mismatch is not None:
        raise mismatch
    raw = _meta_results(ctx, raw, arrays)
    if not any(ctx.needs_input_grad):
        return _wrap_unrecorded(raw)
    ctx._edges = edges
    ctx._input_meta = [None if edge is None else (a.shape, a.dtype)
                       for edge, a in zip(edges, arrays)]
    return _record(ctx, inputs, arrays, raw)


def _in_backward() -> bool:
    """Whether a backward pass is running: its formulas may mix the meta gradients with
    CPU constants of their own (the result is meta), where a user may not."""
    from torchlet.autograd import engine  # (engine imports this module)

    return bool(engine._TASKS)


def _device_mismatch(inputs):
    """torch's error for tensors on two devices (0-d CPU tensors go with any), or None."""
    expected = None
    for x in inputs:
        if not isinstance(x, Tensor):
            continue
        on_meta = is_meta_array(x._data)
        if not on_meta and x._data.ndim == 0:
            continue  # a CPU scalar
        device = META if on_meta else CPU
        if expected is None:
            expected = device
        elif device != expected:
            return RuntimeError(
                f"Tensor on device {device} is not on the expected device {expected}!")
    return None


def _meta_broadcast_error(error: ValueError, arrays):
    """torch's message for meta operands that do not broadcast (its Python meta kernels'
    ``_broadcast_shapes``: the first operand, from the last dim, that fits neither the
    shape so far nor 1); None for another error."""
    if "broadcast" not in str(error):
        return None
    shapes = [a.shape for a in arrays if isinstance(a, np.ndarray)]
    common = [1] * max((len(shape) for shape in shapes), default=0)
    for index, shape in enumerate(shapes):
        for dim in range(-1, -1 - len(shape), -1):
            if common[dim] == 1:
                common[dim] = shape[dim]
            elif shape[dim] not in (1, common[dim]):
                return RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[dim]} at {dim}! "
                    f"Mismatching argument at index {index} had torch.Size({list(shape)}); "
                    f"but expected shape should be broadcastable to {common}")
    return _broadcast_error(error, arrays)


def _meta_results(ctx, raw, arrays):
    """The forward's outputs as new meta arrays (an output may be a CPU array the forward
    filled, or a meta array that NumPy copied in full); what forward saved or kept on
    ``ctx`` for backward becomes meta too, an output standing for itself."""
    if type(raw) is tuple:
        outputs = tuple(_meta_copy(r) for r in raw)
        renamed = {id(r): out for r, out in zip(raw, outputs)}
    else:
        outputs = _meta_copy(raw)
        renamed = {id(raw): outputs}
    inputs = {id(a) for a in arrays}

    def meta_value(value):
        if not isinstance(value, np.ndarray) or id(value) in inputs:
            return value
        output = renamed.get(id(value))
        return _meta_copy(value) if output is None else output

    if ctx._to_save is not None:
        ctx._to_save = tuple(meta_value(value) for value in ctx._to_save)
    for key, value in ctx.__dict__.items():
        if key == "_non_differentiable":
            ctx.__dict__[key] = tuple(meta_value(v) for v in value)
        elif isinstance(value, np.ndarray):
            ctx.__dict__[key] = meta_value(value)
    return outputs


def _meta_copy(value) -> MetaArray:
    """A meta array of ``value``'s shape and dtype (an array, a NumPy or Python number)."""
    if not isinstance(value, np.ndarray):
        value = np.asarray(value)
    return meta_array(value.shape, value.dtype)


def _meta_tensor(t):
    """``t`` on meta with a MetaArray for array (what apply() looks for); a CPU tensor
    becomes a new meta tensor of its shape and dtype."""
    data = t._data
    if type(data) is MetaArray:
        return t
    if is_meta_array(data):  # a plain NumPy view of a meta array: its values are none,
        t._data = _meta_copy(data)  # so a meta array in its place changes nothing
        return t
    return wrap(_meta_copy(data))


class _MetaNode:
    """What the nodes of operations on meta tensors add: the gradients they receive and
    send on are meta. (A CPU one can arrive: ``loss.backward()`` starts from a CPU 1.)"""

    __slots__ = ()

    def _backward(self, grads):
        grads = tuple(None if g is None else _meta_tensor(g) for g in grads)
        if self.materialize_grads:
            grads = _zeros_for_missing(self, grads)
        result = self.backward(self, *grads)
        if type(result) is not tuple:
            result = (result,)
        return tuple(g if not isinstance(g, Tensor) else _meta_tensor(g) for g in result)


_META_NODE_CLASSES: dict[type, type] = {}


def _meta_node_class(cls):
    """The class of ``cls``'s nodes on meta tensors: torch's node name, and _MetaNode."""
    node_class = _META_NODE_CLASSES.get(cls)
    if node_class is None:
        node_class = type(cls.node_name, (_MetaNode, cls._node_class), {
            "_named_node": True, "__slots__": (), "__module__": cls.__module__})
        _META_NODE_CLASSES[cls] = node_class
    return node_class


# ---------------------------------------------------------------------------------------
# torch.autograd.Function


class FunctionCtx(_Context):
    """The ``ctx`` object type, for type annotations in user code."""


class BackwardCFunction(Node, _Context):
    """The grad_fn of a custom Function call; its class is named ``<Function>Backward``."""

    _forward_cls = None
    _run_without_grads = True

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        # torch's node classes for custom Functions live in torch.autograd.function
        return f"<torch.autograd.function.{type(self).__name__} object at {hex(id(self))}>"

    def _user_backward(self):
        """The Function's ``backward``, or its ``vjp`` (another name for it), not both."""
        cls = self._forward_cls
        backward, vjp = cls.backward, cls.vjp
        if vjp is Function.vjp:
            return backward
        if backward is not Function.backward:
            raise RuntimeError(
                "Implementing both 'backward' and 'vjp' for a custom Function is not "
                "allowed. You should only implement one of them."
            )
        return vjp

    def save_for_forward(self, *tensors):
        """Keep tensors for ``jvp``, as torch's ctx (torchlet has no forward-mode AD, so
        only code that also supports it calls this); like torch, only tensors or None,
        and ``ctx.saved_for_forward`` is cleared once ``apply`` returns."""
        for tensor in tensors:
            if not (isinstance(tensor, Tensor) or tensor is None):
                raise AssertionError(
                    "save_for_forward expects all arguments to be tensors; you should "
                    "save non-tensors as attributes on ctx."
                )
        self.saved_for_forward = tensors

    def apply(self, *grads):
        """Run the user's backward (torch lets ``grad_fn.apply`` be called directly)."""
        return self._user_backward()(self, *grads)

    def _backward(self, grads):
        if self._materialize_grads:
            grads = _zeros_for_missing(self, grads)
        result = self._user_backward()(self, *grads)
        if type(result) is not tuple:
            result = (result,)
        # one gradient per forward argument (extra Nones are allowed); only the Tensor
        # arguments have edges, the others must get None
        n_inputs = self._n_args
        if len(result) < n_inputs or any(g is not None for g in result[n_inputs:]):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {n_inputs}, got {len(result)})"
            )
        positions = self._tensor_positions
        for i in range(n_inputs):
            g = result[i]
            if g is None:
                continue
            if i not in positions:
                raise RuntimeError(
                    f"function {self.name()} returned a gradient different than None at "
                    f"position {i + 1}, but the corresponding forward input was not a "
                    "Variable"
                )
            if type(g) is not Tensor and not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type_name(g)})")
        if len(positions) == n_inputs:
            return result[:n_inputs]
        return tuple(result[i] for i in positions)


class Function:
    """Base class for custom differentiable operations, as ``torch.autograd.Function``.

    Subclasses define ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as
    static methods and are called through ``MyFunction.apply(*args)``.
    """

    _backward_cls = BackwardCFunction

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # As torch: each Function gets its own node class, so grad_fn prints its name.
        cls._backward_cls = type(cls.__name__ + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls})

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward  # (a Function may define either; see BackwardCFunction._user_backward)

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it "
            "with forward mode AD."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    # torchlet has no torch.vmap; these are here so that code reading them finds torch's
    generate_vmap_rule = False

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError(
            "To use autograd.Function with vmap, you must either override the vmap "
            "staticmethod or set generate_vmap_rule=True."
        )

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions "
            "are all static, so you should invoke them on the class itself. "
            "Instantiating an autograd function will raise an "
            "error in a future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. "
            "Please use new-style autograd function with static forward method. "
            "(Example: https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` without recording and link one node for the whole call.

        As torch: with ``setup_context``, the arguments are first bound to ``forward``'s
        signature with its defaults filled in; keyword arguments are then passed by
        position, so ``ctx.needs_input_grad`` has one entry per argument either way.
        """
        from torchlet.autograd.grad_mode import no_grad

        uses_setup_context = cls.setup_context is not Function.setup_context
        if uses_setup_context:
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        if kwargs:
            args = _keywords_by_position(cls.forward, args, kwargs, not uses_setup_context)
        ctx = cls._backward_cls.__new__(cls._backward_cls)
        ctx._init_node()
        ctx._to_save = None
        ctx._non_differentiable = ()
        ctx._materialize_grads = True
        ctx._dirty = ()
        ctx.needs_input_grad = tuple(
            isinstance(a, Tensor) and a.requires_grad for a in args
        )
        record = GRAD_STATE.enabled and any(ctx.needs_input_grad)
        if record:  # before forward, as torch: forward may change an input in place
            _link_inputs(ctx, args)
        with no_grad():
            if uses_setup_context:
                output = cls.forward(*args)
            else:
                output = cls.forward(ctx, *args)
        if uses_setup_context:
            cls.setup_context(ctx, args, output)
        if "saved_for_forward" in ctx.__dict__:  # (only jvp would read it; see above)
            ctx.saved_for_forward = None

        multi = isinstance(output, tuple)
        outputs = output if multi else (output,)
        if record:
            ctx._n_outputs = len(outputs)
            ctx._output_meta = tuple(  # (torch passes None for a non-tensor output)
                (o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None
                for o in outputs
            )
        results = _wrap_outputs(ctx, args, outputs, record,
                                ctx._to_save if uses_setup_context else None)
        if record and ctx._to_save is not None:
            _save_custom(ctx, results)
        return tuple(results) if multi else results[0]


def _keywords_by_position(forward, args, kwargs, skip_ctx: bool) -> tuple:
    """The arguments in ``forward``'s order: torch passes keyword arguments to a custom
    Function by position, so each must name a positional parameter, and every parameter
    before the last one named must be given (defaults are not filled in)."""
    names = [
        p.name for p in inspect.signature(forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ][skip_ctx:]
    for name in kwargs:
        if name not in names:
            raise TypeError(f"forward() got an unexpected keyword argument '{name}'")
        if names.index(name) < len(args):
            raise TypeError(f"forward() got multiple values for argument '{name}'")
    last = max(names.index(name) for name in kwargs)
    bound = list(args)
    for i in range(len(args), last + 1):
        if names[i] not in kwargs:
            raise TypeError(f"forward() missing required argument: '{names[i]}' (position {i})")
        bound.append(kwargs[names[i]])
    return tuple(bound)


def _link_inputs(ctx, args):
    """The edges of ``ctx``: one per Tensor argument (as in torch, only those have one in
    next_functions)."""
    if ANOMALY_STATE.enabled:
        record_forward_trace(ctx)
    ctx._n_args = len(args)
    ctx._tensor_positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
    tensors = [args[i] for i in ctx._tensor_positions]
    ctx._edges = tuple(gradient_edge(a) if a.requires_grad else None for a in tensors)
    ctx._input_meta = tuple(
        (a._data.shape, a._data.dtype) if e is not None else None
        for a, e in zip(tensors, ctx._edges)
    )


def _wrap_outputs(ctx, args, outputs, record, saved_in_setup):
    """What ``apply`` returns for the tensors ``forward`` returned (torch's _wrap_outputs).

    * A tensor computed by forward gets ``ctx`` as its grad_fn (when ``record``).
    * An input returned as-is becomes a new view of that input (``x.view_as(x)``): the
      input keeps its own history, the view gets ``ctx``'s.
    * An input changed in place (``ctx.mark_dirty``) is returned itself and takes ``ctx``
      as its history (through a CopySlices of its base, if it is a view); its version is
      counted once more, as torch does.
    * A non-differentiable output (``mark_non_differentiable``, an integer dtype, or
      nothing recorded) gets no history: an input returned as-is is then a view of it,
      or a detached alias if it requires grad.

    A view among the outputs may not be changed in place later (that would bypass the
    custom backward): it is marked IN_CUSTOM_FUNCTION, or MULTI_OUTPUT_NODE when the
    Function has more than one differentiable output.
    """
    dirty = ctx._dirty
    for tensor in dirty:
        tensor._vbox[0] += 1
    non_differentiable = ctx._non_differentiable
    results = []
    n_differentiable = 0
    for nr, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            results.append(out)
            continue
        is_input = any(out is a for a in args)
        modified = bool(dirty) and any(out is d for d in dirty)
        if not record or out._data.dtype.kind != "f" or (
                non_differentiable and any(out is n for n in non_differentiable)):
            if not out.requires_grad:
                if is_input and not modified:
                    _refuse_saved_input(out, saved_in_setup)
                    out = _view_of_self(out)
            elif is_input:
                out = out.detach()
        elif modified:
            _rebase_dirty(ctx, out, nr, is_input, len(outputs))
            n_differentiable += 1
        else:
            if is_input:
                _refuse_saved_input(out, saved_in_setup)
                out = _view_of_self(out)
            out._grad_fn = ctx
            out._output_nr = nr
            out._requires_grad = False
            n_differentiable += 1
        if out._base is not None and out._view_kind is not None and not (is_input and modified):
            out._view_kind = IN_CUSTOM_FUNCTION
        results.append(out)
    if n_differentiable > 1:
        for out in results:
            if isinstance(out, Tensor) and out._is_view():
                out._view_kind = MULTI_OUTPUT_NODE
    for tensor in dirty:
        if not any(tensor is out for out in outputs):
            raise RuntimeError(
                "Some elements marked as dirty during the forward method were not returned "
                "as output. The inputs that are modified inplace must all be outputs of the "
                "Function."
            )
    return results


def _view_of_self(tensor):
    """``tensor.view_as(tensor)``: what torch returns for an input returned as-is (its own
    array object, so that saved arrays are never mistaken for the input's)."""
    return make_view(wrap(tensor._data.view()), tensor)


def _refuse_saved_input(tensor, saved_in_setup):
    """torch: with setup_context, the input saved and the output returned would be the
    same tensor, which cannot hold both histories."""
    if saved_in_setup and any(tensor is s for s in saved_in_setup):
        raise RuntimeError(
            "An input that has been returned as-is as output is being saved for backward. "
            "This is not supported if you override setup_context. You should return and "
            "save a view of the input instead, e.g. with x.view_as(x) or setup ctx inside "
            "the forward function itself."
        )


def _rebase_dirty(ctx, tensor, nr, is_input, n_outputs):
    """``tensor`` was changed in place by forward: from now on its history is ``ctx``'s
    output ``nr`` (torch's rebase_history)."""
    if tensor._grad_fn is None and tensor.requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad has been used in an in-place operation."
        )
    _check_inplace_allowed(tensor)  # (a view that may not be rebased, a view of a leaf)
    if not is_input:
        warnings.warn(
            "ctx.mark_dirty() received a tensor that was not an input. Only input Tensors "
            "that have been mutated should be passed to ctx.mark_dirty().",
            stacklevel=user_stacklevel(),
        )
    tensor._grad = None
    if not tensor._is_view():
        tensor._grad_fn, tensor._output_nr = ctx, nr
        return
    # The base changed too: it gets a CopySlices history, and the view a window of it.
    # That takes a node with a single output.
    if n_outputs > 1:
        raise RuntimeError(
            "If your Function modifies inplace an input that is a view of another Tensor, "
            "your Function cannot return more than one Tensor. This is not supported by the "
            "current autograd engine. You should either make sure the input is not a view "
            "(using .clone() for example) or make your Function only return one Tensor "
            "(potentially splitting it into two Functions: one doing the inplace that "
            "returns a single Tensor and a second one that does the other operations). You "
            "can ask on the forum https://discuss.pytorch.org/ if you need help to do this "
            "change."
        )
    from torchlet._ops.view_inplace import rebase_view_history  # (imports this module)

    rebase_view_history(tensor, tensor._base, wrap(tensor._data, ctx, nr))


def _save_custom(ctx, results):
    """Resolve what ``ctx.save_for_backward`` received; an output is kept as its array
    and rebuilt on access, so that the node and its output do not form a cycle."""
    saved, checks = [], []
    for i, value in enumerate(ctx._to_save):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(
                "save_for_backward can only save variables, but argument "
                f"{i} is of type {type(value).__name__}"
            )
        if isinstance(value, Tensor):
            for nr, out in enumerate(results):
                if value is out:
                    value = _SavedOutput(out._data, nr)
                    checks.append((out._vbox, out._vbox[0], value))
                    break
            else:
                if value._inference:
                    _refuse_inference_tensor()
                checks.append((value._vbox, value._vbox[0], value))
        saved.append(value)
    ctx._saved = tuple(saved)
    ctx._version_checks = checks
    ctx._rebuilt_on_access = any(type(v) is _SavedOutput for v in saved)
    if SAVED_TENSOR_HOOKS.stack:
        _pack_saved(ctx, results)


# ---------------------------------------------------------------------------------------
# once_differentiable


ONCE_DIFFERENTIABLE_MESSAGE = (
    "trying to differentiate twice a function that was marked with @once_differentiable"
)


class DelayedError(Node):
    """torch's ``Error`` node: stands where a gradient cannot be differentiated again, and
    raises ``message`` if a backward pass ever runs it."""

    node_name = "torch::autograd::Error"
    _run_without_grads = True  # reaching it is the error, whatever arrives

    def __init__(self, message, n_outputs):
        self._init_node(n_outputs)
        self.message = message

    def _backward(self, grads):
        raise RuntimeError(self.message)


def _delayed_error(message, tensors):
    """Aliases of ``tensors`` (None stays None) whose grad_fn is a DelayedError. As in
    torch, its edges lead to fresh leaves: the real graph behind ``tensors`` is cut."""
    node = DelayedError(message, len(tensors))
    edges, meta, leaves, outputs = [], [], [], []
    for nr, tensor in enumerate(tensors):
        if tensor is None:
            edges.append(None)
            meta.append(None)
            outputs.append(None)
            continue
        leaf = tensor.detach()
        leaf.requires_grad_(True)
        leaves.append(leaf)
        edges.append((grad_accumulator(leaf), 0))
        meta.append((tensor._data.shape, tensor._data.dtype))
        outputs.append(wrap(tensor._data, node, nr))
    node._edges = tuple(edges)
    node._input_meta = tuple(meta)
    node.leaves = leaves  # (an AccumulateGrad holds its leaf weakly; torch's holds it)
    return outputs


def once_differentiable(fn):
    """Mark a custom Function's backward as not differentiable again: it runs with grad
    mode off, and when a double backward (``create_graph=True``) is being recorded, the
    gradients it returns lead to a node that raises torch's error if differentiated."""
    import functools

    from torchlet.autograd.grad_mode import no_grad

    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        with no_grad():
            outputs = fn(ctx, *args, **kwargs)
        if not GRAD_STATE.enabled:
            return outputs
        # as torch: judged by the incoming gradients only (saved tensors are not seen)
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        if not isinstance(outputs, tuple):
            return _delayed_error(ONCE_DIFFERENTIABLE_MESSAGE, (outputs,))[0]
        return tuple(_delayed_error(ONCE_DIFFERENTIABLE_MESSAGE, outputs))

    return wrapper


# Tensor is defined in terms of this module's classes, so it is imported last.
from torchlet._tensor import (  # noqa: E402
    IN_CUSTOM_FUNCTION,
    MULTI_OUTPUT_NODE,
    Tensor,
    _check_inplace_allowed,
    empty_strides,
    make_view,
    refresh_view,
    wrap,
)
