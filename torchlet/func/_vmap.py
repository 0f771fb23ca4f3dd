"""torch.func.vmap as a loop: ``func`` runs once per index of the mapped dimension and the
results are stacked along ``out_dims``.

torch runs ``func`` once on batched tensors; the loop gives the same values (each sample
is computed exactly as an unbatched call would), just slower. Two things need more than
the loop:

* Random numbers. A random operation in torch's vmap draws for the whole batch at once
  (``randn(3)`` over 5 samples is ``randn(5, 3)``), so the samplers of ``_random_kernels``
  hand their calls to the ``Batch`` below. ``randomness="different"``: the first
  sample makes the batch's one draw, in the order of torch's calls, and every sample takes
  its row. ``"same"``: each sample starts from the same generator state and draws torch's
  one unbatched sample. ``"error"``: torch's error, at the call.
* Misuse torch refuses: writing a batched value in place into a tensor that is not
  batched, returning a batched tensor where ``out_dims`` is None, reading a batched value
  into Python (``.item()``, ``if x.sum() > 0``, ``.tolist()``: ``Batch.check_access``, which
  the Tensor methods call inside vmap), random calls that differ between samples. torch
  knows which tensors carry the batch; a loop sees one sample at a time, so a value that
  differs between samples, or that shares memory with a mapped input, counts as batched (a
  batch whose samples are all equal slips through).
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np

from torchlet import _random_kernels
from torchlet._tensor import Tensor
from torchlet.func._pytree import broadcast_prefix, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")

_RANDOM_ERROR = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
    "of vmap"
)
_DIFFERENT_UNBATCHED = (
    "vmap: Cannot ask for different inplace randomness on an unbatched tensor. This will "
    "appear like same randomness. If this is necessary for your usage, please file an issue "
    "with functorch."
)
_SAME_BATCHED = ("Vmap does not currently support same randomness with a batched tensor "
                 "input. Please file an issue with functorch")
_CONTROL_FLOW = (
    "vmap: It looks like you're attempting to use a Tensor in some data-dependent control "
    "flow. We don't support that yet, please file an issue at "
    "https://github.com/pytorch/pytorch/issues ."
)
_INPLACE = (
    "vmap: inplace arithmetic(self, *extra_args) is not possible because there exists a "
    "Tensor `other` in extra_args that has more elements than `self`. This happened due to "
    "`other` being vmapped over but `self` not being vmapped over in a vmap. Please try to "
    "use out-of-place operators instead of inplace arithmetic. If said operator is being "
    "called inside the PyTorch framework, please file a bug report instead."
)
_ITEM = (
    "vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
    "calling .item() on a Tensor, please try to rewrite what you're doing with other "
    "operations. If error is occurring somewhere inside PyTorch internals, please file a bug "
    "report."
)
_NO_STORAGE = "Cannot access data pointer of Tensor that doesn't have storage"
# what torch says when a batched tensor's value is read into Python, by the way it is read
_ACCESS_ERRORS = {"item": _ITEM, "bool": _CONTROL_FLOW, "data": _NO_STORAGE}
_BATCH_NORM = (
    "Batch norm got a batched tensor as input while the running_mean or running_var, which "
    "will be updated in place, were not batched.\nIf you are using a module and do not need "
    "eval mode, please set `track_running_stats` to be False.If you are using a prebuilt "
    "module and do not need eval mode, please see the functorch website for resources on "
    "how to patch your module to work with vmap"
)


def _func_name(func) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_func_name(func.func)}, ...)"
    return repr(func)


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
        _check_out_dims(name, out_dims)
        flat_args, args_spec = tree_flatten(args)
        flat_in_dims = _flat_in_dims(name, in_dims, args, args_spec)
        batch_size = _batch_size(name, in_dims, flat_args, flat_in_dims)
        mapped = [x._data for x, d in zip(flat_args, flat_in_dims, strict=True)
                  if d is not None]
        if batch_size == 0 and chunk_size is not None:
            # torch's chunked vmap skips empty chunks, then finds no output to concatenate
            raise AssertionError("arg_spec must not be None")
        if batch_size == 0:
            # no sample to run: one probe on zeros gives the outputs' structure and shapes
            # (torch runs func once on the empty batch: "different" draws nothing there,
            # "same" its one unbatched sample)
            probe = [x if d is None else x.new_zeros(x.shape[:d] + x.shape[d:][1:])
                     for x, d in zip(flat_args, flat_in_dims, strict=True)]
            state = torchlet.get_rng_state()
            batch = Batch("error" if randomness == "error" else "same", 1, mapped)
            result = _call(func, tree_unflatten(probe, args_spec), kwargs, randomness, None,
                           batch)
            if randomness == "different":
                torchlet.set_rng_state(state)
            return _stack_outputs(name, [result], out_dims, mapped, empty=True)
        # "same": every sample (of every chunk) starts from the generator state of the first
        replay_state = torchlet.get_rng_state() if randomness == "same" else None
        unbatched = _Unbatched(func, flat_args, flat_in_dims, mapped)
        results, samples = [], []
        with unbatched:
            for start, size in _chunks(batch_size, chunk_size):
                batch = Batch(randomness, size, mapped)  # torch: one vmap per chunk
                batch.unbatched = [t._data for t, _ in unbatched.tensors]
                for b in range(size):
                    sample = [x if d is None else x.select(d, start + b)
                              for x, d in zip(flat_args, flat_in_dims, strict=True)]
                    batch.start(b)
                    samples.append(sample)
                    results.append(_call(func, tree_unflatten(sample, args_spec), kwargs,
                                         randomness, replay_state, batch))
                    unbatched.check(start + b)
        # (with a chunk_size, torch concatenates the chunks' results along out_dims: a new
        # tensor, contiguous, even for an input returned as it is)
        if chunk_size is not None:
            return _stack_outputs(name, results, out_dims, mapped, chunked=True)
        # the tensors known to be unbatched: arguments not mapped, tensors func names
        known = {id(x) for x, d in zip(flat_args, flat_in_dims, strict=True) if d is None}
        known.update(id(t) for t, _ in unbatched.tensors)
        return _stack_outputs(name, results, out_dims, mapped,
                              inputs=(flat_args, flat_in_dims, samples, known))

    return wrapped


def _chunks(batch_size: int, chunk_size):
    """(start, size) of each chunk torch runs as its own vmap (all of them: one chunk)."""
    step = batch_size if chunk_size is None else chunk_size
    return [(start, min(step, batch_size - start)) for start in range(0, batch_size, step)]


def _check_out_dims(name, out_dims):
    leaves = [out_dims] if isinstance(out_dims, int) else tree_flatten(out_dims)[0]
    for leaf in leaves:
        if leaf is not None and not isinstance(leaf, int):
            raise ValueError(
                f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be an int, None or "
                "a python collection of ints representing where in the outputs the vmapped "
                "dimension should appear."
            )


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


def _call(func, args, kwargs, randomness, replay_state, batch=None):
    """``func(*args, **kwargs)`` for one sample. ``batch``: the Batch its random calls
    go to (jacfwd passes none: then only "error" needs one)."""
    import torchlet

    if replay_state is not None:
        torchlet.set_rng_state(replay_state)
    if batch is None and randomness == "error":
        batch = Batch("error", 1, [])
    # a random function that bypasses the samplers still moves the generator
    state = torchlet.get_rng_state() if randomness == "error" else None
    with _drawing_for(batch) if batch is not None else contextlib.nullcontext():
        result = func(*args, **kwargs)
    if batch is not None:
        batch.finish_sample()
    if state is not None and not np.array_equal(state.numpy(),
                                                torchlet.get_rng_state().numpy()):
        torchlet.set_rng_state(state)
        raise RuntimeError(_RANDOM_ERROR)
    return result


# ---------------------------------------------------------------------------------------
# random numbers: one draw per batch


@contextlib.contextmanager
def _drawing_for(batch):
    """Send the samplers' calls to ``batch`` (None: draw as outside vmap)."""
    previous = _random_kernels.VMAP.batch
    _random_kernels.VMAP.batch = batch
    try:
        yield
    finally:
        _random_kernels.VMAP.batch = previous


class _Event:
    """One random call or data access of the first sample: what it was (``key``); for a
    random call the batch's values ("different") or the parameters it read ("same"), for an
    access the value read."""

    __slots__ = ("key", "values", "params")

    def __init__(self, key):
        self.key, self.values, self.params = key, None, None


class Batch:
    """One vmap batch, which the loop runs sample after sample: the random calls and the
    reads of tensor values into Python that its samples make.

    A sampler inside vmap calls ``draw``, a Tensor method that hands a value to Python calls
    ``check_access``; the samples must make the same calls in the same order (torch runs
    ``func`` once, so a call that only some samples make is data-dependent control flow).
    ``mapped``: the arrays of the mapped inputs. ``parent``: the batch of an enclosing vmap,
    which the draws themselves go to, as torch's batching rules call the next level down.
    """

    def __init__(self, randomness: str, size: int, mapped):
        self.randomness = randomness
        self.size = size
        self.mapped = mapped
        self.parent = _random_kernels.VMAP.batch
        self.sample = 0
        self._calls: list[_Event] = []
        self._next = 0
        self.unbatched: list[np.ndarray] = []  # the arrays of tensors known not batched

    def start(self, sample: int) -> None:
        self.sample, self._next = sample, 0

    def finish_sample(self) -> None:
        if self._next != len(self._calls):
            raise RuntimeError(_CONTROL_FLOW)

    def draw(self, key, params, batch_draw, take):
        """One sampler call. ``batch_draw(size)``: the values for ``size`` samples, one row
        each (None: the draws cannot be made for the batch, each sample draws in turn);
        ``take(row)``: this sample's result from its row (None for that in-turn draw);
        ``params``: the arrays the sampler reads (torch refuses "same" on batched ones)."""
        if self.randomness == "error":
            raise RuntimeError(_RANDOM_ERROR)
        call = self._call(key)
        if self.randomness == "same":
            self._check_unbatched(call, params)
        if batch_draw is None:
            with _drawing_for(self.parent):
                return take(None)
        if self.randomness == "same":
            with _drawing_for(self.parent):
                row = batch_draw(1)[0]
        else:
            if call.values is None:
                with _drawing_for(self.parent):
                    call.values = batch_draw(self.size)
            row = call.values[self.sample]
        with _drawing_for(None):  # take may run a sampler on pre-drawn values
            return take(row)

    def check_inplace_random(self, data: np.ndarray) -> None:
        """A sampler is about to fill ``data`` in place: torch refuses "different" draws
        into a tensor that is not batched (each sample would overwrite the others')."""
        if self.randomness == "different" and _shares_memory(data, self.unbatched):
            raise RuntimeError(_DIFFERENT_UNBATCHED)

    def check_access(self, tensor, kind: str) -> None:
        """``tensor``'s value is being read into Python: ``kind`` "item" (``.item()``,
        ``float()``, ``int()``), "bool" (``if tensor:``) or "data" (``.tolist()``,
        ``.numpy()``). torch refuses a batched tensor; here one that shares memory with a
        mapped input, or whose value is not the first sample's."""
        data = tensor._data
        call = self._call(("access", kind, data.shape, data.dtype))
        if _shares_memory(data, self.mapped):
            raise RuntimeError(_ACCESS_ERRORS[kind])
        if call.values is None:
            call.values = data.copy()
        elif not _same_values(call.values, data):
            raise RuntimeError(_ACCESS_ERRORS[kind])

    def _call(self, key) -> _Event:
        if self.sample == 0:
            self._calls.append(_Event(key))
        elif self._next >= len(self._calls) or self._calls[self._next].key != key:
            raise RuntimeError(_CONTROL_FLOW)
        self._next += 1
        return self._calls[self._next - 1]

    def _check_unbatched(self, call, params) -> None:
        if any(_shares_memory(p, self.mapped) for p in params):
            raise RuntimeError(_SAME_BATCHED)
        if call.params is None:
            call.params = [p.copy() for p in params]
        elif not all(_same_values(a, b) for a, b in zip(call.params, params, strict=True)):
            raise RuntimeError(_SAME_BATCHED)


def _shares_memory(array, mapped) -> bool:
    return any(np.may_share_memory(array, m) for m in mapped)


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
        a, b, equal_nan=a.dtype.kind in "fc")


# ---------------------------------------------------------------------------------------
# tensors that are not batched, written in place


class _Unbatched:
    """The tensors ``func`` reaches that are not batched: unmapped arguments, and the
    tensors and module buffers its code names (closure cells and globals). torch writes such
    a tensor once, with an unbatched value, and refuses a batched one. The loop would write
    once per sample, so each sample starts from the original values, what the samples wrote
    must agree (else it was batched), and the agreed value is written once at the end."""

    def __init__(self, func, flat_args, flat_in_dims, mapped):
        found = {}
        for x, d in zip(flat_args, flat_in_dims, strict=True):
            if d is None and isinstance(x, Tensor):
                found[id(x)] = (x, False)
        for obj in _named_by(func):
            if isinstance(obj, Tensor):
                found.setdefault(id(obj), (obj, False))
            elif _is_module(obj):
                for name, buf in obj.named_buffers():
                    stat = name.rsplit(".", 1)[-1] in ("running_mean", "running_var")
                    found.setdefault(id(buf), (buf, stat))
        self.tensors = [(t, stat) for t, stat in found.values()
                        if not _shares_memory(t._data, mapped)]
        self.original = [t._data.copy() for t, _ in self.tensors]
        self.versions = [t._version for t, _ in self.tensors]
        self.written: list = [None] * len(self.tensors)

    def check(self, sample: int) -> None:
        """After ``sample``: undo its writes, and raise torch's error for a batched one."""
        for i, (t, stat) in enumerate(self.tensors):
            if t._version == self.versions[i]:
                if self.written[i] is not None:  # sample 0 wrote, this one did not
                    raise RuntimeError(_CONTROL_FLOW)
                continue
            value = t._data.copy()
            t._data[...] = self.original[i]
            self.versions[i] = t._version
            if sample == 0:
                self.written[i] = value
            elif self.written[i] is None or not _same_values(self.written[i], value):
                self.written[i] = None  # (torch refuses the write: nothing is written)
                raise RuntimeError(_BATCH_NORM if stat else _INPLACE)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        # after an error too: torch made the unbatched writes before the one it refused
        for i, (t, _) in enumerate(self.tensors):
            if self.written[i] is not None:
                t._data[...] = self.written[i]
            elif t._version != self.versions[i]:  # written by the sample that raised
                t._data[...] = self.original[i]


def _named_by(func):
    """What ``func``'s code refers to by name: its closure cells and the globals it uses
    (a module called directly is its own)."""
    found = [func]
    code = getattr(func, "__code__", None)
    if code is None:
        return found
    for cell in getattr(func, "__closure__", None) or ():
        with contextlib.suppress(ValueError):  # an empty cell
            found.append(cell.cell_contents)
    namespace = getattr(func, "__globals__", {})
    found.extend(namespace[n] for n in code.co_names if n in namespace)
    return found


def _is_module(obj) -> bool:
    from torchlet.nn import Module

    return isinstance(obj, Module)


# ---------------------------------------------------------------------------------------
# outputs


def _stack_outputs(name, results, out_dims, mapped, empty: bool = False, inputs=None,
                   chunked: bool = False):
    """The per-sample results stacked along ``out_dims`` (``empty``: ``results`` is one
    probe, and the batch has size 0; ``inputs``: the flat arguments, their in_dims and each
    sample's flat arguments, for outputs returned as they are; ``chunked``: torch
    concatenated the results of chunks)."""
    import torchlet

    flat_results = [tree_flatten(r) for r in results]
    out_spec = flat_results[0][1]
    if out_spec.is_leaf() and isinstance(out_dims, tuple) and len(out_dims) == 1:
        flat_out_dims = list(out_dims)  # torch's edge case: one tensor, out_dims=(d,)
    else:
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
            if isinstance(column[0], Tensor) and _is_batched(column, mapped):
                raise ValueError(
                    f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim "
                    "is None"
                )
            stacked.append(column[0])
            continue
        if not isinstance(column[0], Tensor):
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                f"{type(column[0])}. Did you mean to set out_dims= to None for output?"
            )
        as_is = None if inputs is None else _returned_as_is(column, out_dim, *inputs)
        if as_is is not None:
            stacked.append(as_is)
            continue
        # torch's batching rules leave the batch dim in front and move it to out_dim at the
        # end (a PermuteBackward0 view): the same layout as stacking on 0 then movedim
        if chunked:
            stacked.append(torchlet.stack(column, dim=out_dim))
            continue
        batched = torchlet.stack(column)
        if empty:
            batched = batched.narrow(0, 0, 0)
        stacked.append(batched if out_dim == 0 else batched.movedim(0, out_dim))
    return tree_unflatten(stacked, out_spec)


def _returned_as_is(column, out_dim, flat_args, flat_in_dims, samples, unbatched_ids):
    """torch's result for an output that every sample returned untouched (None if it was
    not): a mapped input is returned itself, its batch dim moved to ``out_dim``; a tensor
    that is not batched (its id in ``unbatched_ids``) is expanded as torch's
    ``_remove_batch_dim`` does (its sizes with the batch size inserted at ``out_dim``, which
    ``expand`` aligns from the right: for an ``out_dim`` other than 0 that fails, or repeats
    the wrong dims, as in torch)."""
    first = column[0]
    ndim = first.dim()
    for j, d in enumerate(flat_in_dims):
        if d is not None and all(out is sample[j] for out, sample in zip(column, samples,
                                                                          strict=True)):
            x = flat_args[j]
            if not -x.dim() <= out_dim < x.dim():
                return None  # (stack raises torch's error)
            return x if d % x.dim() == out_dim % x.dim() else x.movedim(d, out_dim)
    # (a negative out_dim reaches torch's expand unwrapped: garbage sizes, not copied here)
    if id(first) in unbatched_ids and all(out is first for out in column) \
            and 0 <= out_dim <= ndim:
        sizes = list(first.shape)
        sizes.insert(out_dim % (ndim + 1), len(column))
        return first.expand(sizes)
    return None


def _is_batched(column, mapped) -> bool:
    """Whether the samples' values of one output tell it is batched (module docstring)."""
    first = column[0]
    if _shares_memory(first._data, mapped):
        return True
    return any(not isinstance(x, Tensor) or (x is not first and not _same_values(
        x._data, first._data)) for x in column[1:])
