"""Random tensors: rand, randn, randint, randperm, normal, bernoulli, multinomial, poisson,
the ``*_like`` forms, and the in-place fills (``uniform_``, ``normal_``, ``random_``,
``bernoulli_``, ``exponential_``, ``geometric_``, ``log_normal_``, ``cauchy_``).

The values come from ``torchlet._random_kernels``, which reproduces PyTorch's CPU kernels
bit for bit. Those kernels return values in *draw order*; PyTorch writes draw k into the
k-th element of the destination in memory order, which ``_fill`` does for non-contiguous
destinations (a transposed tensor is filled along its storage). Samplers that return a new
tensor (``bernoulli(p)``, ``poisson``, ``normal(mean, std)``) write a fresh C-contiguous
result, so they draw in the C order of the result whatever the parameters' strides; the
``*_like`` forms keep the input's layout (torch's ``preserve_format``) and fill it in memory
order.
"""

from __future__ import annotations

import numpy as np

from torchlet import _dtype
from torchlet import _random_kernels as kernels
from torchlet._ops.creation import (
    _check_device,
    _creation_out,
    _dtype_for_out,
    _finish,
    _size_args,
    like_array,
)
from torchlet._ops.shape.common import _contiguous
from torchlet._tensor import Tensor, _check_inplace_allowed, bump_version, wrap
from torchlet.autograd.grad_mode import GRAD_STATE
from torchlet.random import _generator_or_default


def _float_dtype(dtype):
    return (_dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)).np


# ---------------------------------------------------------------------------------------
# new tensors


# (``*sizes`` and ``size``: torch takes the shape by position or as ``size=``; with
# ``out=``, the values are drawn in out's dtype, as a call with that dtype draws them)
def rand(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    """Uniform values in [0, 1)."""
    shape = _size_args(sizes, "rand", size)
    if out is not None:
        result = rand(shape, generator=generator, dtype=_dtype_for_out(dtype, out, "rand"),
                      device=device)
        return _creation_out(result, out, "rand")
    _check_device(device)
    gen = _generator_or_default(generator)
    return _finish(kernels.uniform(gen, shape, _float_dtype(dtype)), requires_grad)


def randn(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False) -> Tensor:
    """Standard normal values (PyTorch's 16-element block algorithm when >= 16 values)."""
    shape = _size_args(sizes, "randn", size)
    if out is not None:
        result = randn(shape, generator=generator, dtype=_dtype_for_out(dtype, out, "randn"),
                       device=device)
        return _creation_out(result, out, "randn")
    _check_device(device)
    gen = _generator_or_default(generator)
    return _finish(kernels.normal(gen, shape, _float_dtype(dtype)), requires_grad)


def randint(*args, size=None, low=None, high=None, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high)."""
    if out is not None:
        result = randint(*args, size=size, low=low, high=high, generator=generator,
                         dtype=_dtype_for_out(dtype, out, "randint"), device=device)
        return _creation_out(result, out, "randint")
    _check_device(device)
    positional = list(args)
    if size is None and positional and isinstance(positional[-1], (tuple, list)):
        size = positional.pop()
    if len(positional) == 2:
        low, high = positional
    elif len(positional) == 1:
        if high is None:
            high = positional[0]
        else:
            low = positional[0]
    elif positional:
        raise TypeError("randint() received an invalid combination of arguments")
    if high is None or size is None:
        raise TypeError(
            "randint() missing required arguments: 'high' and 'size' (got "
            f"high={high!r}, size={size!r})"
        )
    low = 0 if low is None else low
    np_dtype = _dtype.int64.np if dtype is None else _dtype.to_dtype(dtype).np
    gen = _generator_or_default(generator)
    data = kernels.randint(gen, _size_args((size,), "randint"), int(low), int(high), np_dtype)
    return _finish(data, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    """A random permutation of 0 .. n-1 (PyTorch's swap algorithm, n-1 draws)."""
    if out is not None:
        result = randperm(n, generator=generator,
                          dtype=_dtype_for_out(dtype, out, "randperm"), device=device)
        return _creation_out(result, out, "randperm")
    _check_device(device)
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    np_dtype = _dtype.int64.np if dtype is None else _dtype.to_dtype(dtype).np
    gen = _generator_or_default(generator)
    return _finish(kernels.randperm(gen, int(n), np_dtype), requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """Normal samples: tensor/number mean and std, broadcast together, or numbers + size."""
    if out is not None:
        if isinstance(mean, Tensor) or isinstance(std, Tensor):
            result = normal(mean, std, generator=generator)
        else:
            result = normal(mean, std, size, generator=generator, device=device,
                            dtype=_dtype_for_out(dtype, out, "normal"))
        return _creation_out(result, out, "normal")
    gen = _generator_or_default(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
        np_dtype = _dtype.result_type_of(tensors).np
        if np_dtype.kind != "f":
            raise NotImplementedError(
                f'"normal_kernel_cpu" not implemented for '
                f"'{kernels._torch_name(np_dtype)}'"
            )
        mean_ = mean._data if isinstance(mean, Tensor) else float(mean)
        std_ = std._data if isinstance(std, Tensor) else float(std)
        return wrap(kernels.normal_tensor_params(gen, mean_, std_, np_dtype))
    if size is None:
        raise TypeError(
            "normal() received an invalid combination of arguments - a size is needed when "
            "mean and std are numbers"
        )
    _check_device(device)
    data = kernels.normal(gen, _size_args((size,), "normal"), _float_dtype(dtype),
                          float(mean), float(std))
    return _finish(data, requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:  # noqa: A002
    """0/1 samples: with probabilities ``input``, or with one probability ``p``."""
    if out is not None:
        return _creation_out(bernoulli(input, p, generator=generator), out, "bernoulli")
    gen = _generator_or_default(generator)
    if p is None:
        return wrap(kernels.bernoulli_tensor(gen, _contiguous(input._data)))
    result = wrap(np.empty(input._data.shape, input._data.dtype))
    return bernoulli_(result, p, generator=generator)


def multinomial(input, num_samples, replacement=False, *, generator=None,  # noqa: A002
                out=None) -> Tensor:
    """Indices drawn from the rows of ``input`` (unnormalised probabilities)."""
    if out is not None:
        result = multinomial(input, num_samples, replacement, generator=generator)
        return _creation_out(result, out, "multinomial")
    gen = _generator_or_default(generator)
    return wrap(kernels.multinomial(gen, input._data, int(num_samples), replacement))


def poisson(input, generator=None) -> Tensor:  # noqa: A002
    """One Poisson sample per rate in ``input``."""
    gen = _generator_or_default(generator)
    return wrap(kernels.poisson(gen, _contiguous(input._data)))


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,  # noqa: A002
              requires_grad=False, memory_format=None) -> Tensor:
    """``rand`` shaped and laid out like ``input`` (filled in the layout's memory order)."""
    out = wrap(like_array(input, dtype, memory_format, "rand_like"))
    return _finish_like(uniform_(out, generator=generator), requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,  # noqa: A002
               requires_grad=False, memory_format=None) -> Tensor:
    """``randn`` shaped and laid out like ``input`` (filled in the layout's memory order)."""
    out = wrap(like_array(input, dtype, memory_format, "randn_like"))
    return _finish_like(normal_(out, generator=generator), requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None,  # noqa: A002
                 layout=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    """``randint(low, high)`` shaped and laid out like ``input``."""
    if high is None:
        low, high = 0, low
    out = wrap(like_array(input, dtype, memory_format, "randint_like"))
    return _finish_like(random_(out, int(low), int(high), generator=generator), requires_grad)


def _finish_like(t: Tensor, requires_grad) -> Tensor:
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---------------------------------------------------------------------------------------
# in-place fills (what nn.init, dropout and samplers build on)


def uniform_(t: Tensor, from_=0.0, to=1.0, *, generator=None) -> Tensor:
    gen = _generator_or_default(generator)
    return _fill(t, kernels.uniform(gen, t._data.shape, t._data.dtype, from_, to))


def normal_(t: Tensor, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    gen = _generator_or_default(generator)
    contiguous = t._data.flags.c_contiguous
    values = kernels.normal(gen, t._data.shape, t._data.dtype, mean, std, contiguous=contiguous)
    return _fill(t, values)


def random_(t: Tensor, from_=None, to=None, *, generator=None) -> Tensor:
    """``random_()``, ``random_(to)`` and ``random_(from, to)``."""
    gen = _generator_or_default(generator)
    if from_ is not None and to is None and not _from_only_sentinel(from_):
        from_, to = 0, from_  # random_(to)
    values = kernels.random_full(gen, t._data.shape, t._data.dtype, from_, to)
    return _fill(t, values)


def _from_only_sentinel(value) -> bool:
    # random_(from, None) with from = -2**63 asks for all 64 bits (spec §5.2)
    return value == -(2**63)


def bernoulli_(t: Tensor, p=0.5, *, generator=None) -> Tensor:
    gen = _generator_or_default(generator)
    if isinstance(p, Tensor):
        probs = np.broadcast_to(p._data, t._data.shape)
        values = kernels.bernoulli_tensor(gen, _in_memory_order(probs, like=t._data),
                                          out_dtype=t._data.dtype)
        return _fill(t, values)
    return _fill(t, kernels.bernoulli_scalar(gen, t._data.shape, float(p), t._data.dtype))


def exponential_(t: Tensor, lambd=1.0, *, generator=None) -> Tensor:
    gen = _generator_or_default(generator)
    return _fill(t, kernels.exponential(gen, t._data.shape, t._data.dtype, lambd))


def geometric_(t: Tensor, p, *, generator=None) -> Tensor:
    gen = _generator_or_default(generator)
    return _fill(t, kernels.geometric(gen, t._data.shape, t._data.dtype, p))


def log_normal_(t: Tensor, mean=1.0, std=2.0, *, generator=None) -> Tensor:
    gen = _generator_or_default(generator)
    return _fill(t, kernels.log_normal(gen, t._data.shape, t._data.dtype, mean, std))


def cauchy_(t: Tensor, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
    gen = _generator_or_default(generator)
    return _fill(t, kernels.cauchy(gen, t._data.shape, t._data.dtype, median, sigma))


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    """Write freshly drawn ``values`` (in draw order) into ``t`` in its memory order."""
    if GRAD_STATE.enabled and t.requires_grad:
        _check_inplace_allowed(t)  # torch's errors for a leaf and a view of a leaf
        raise RuntimeError(
            "torchlet fills a tensor that is part of a graph with random values only under "
            "torch.no_grad()"
        )
    dst = t._data
    if not dst.flags.writeable:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation."
        )
    dst[...] = _from_memory_order(values, dst)
    bump_version(t)
    return t


def _memory_order(array: np.ndarray) -> np.ndarray:
    """C-order positions of ``array``'s elements, sorted by their address in memory."""
    offsets = np.zeros(array.shape, dtype=np.int64)
    for axis, (size, stride) in enumerate(zip(array.shape, array.strides)):
        shape = [1] * array.ndim
        shape[axis] = size
        offsets = offsets + (np.arange(size, dtype=np.int64) * stride).reshape(shape)
    return np.argsort(offsets.reshape(-1), kind="stable")


def _from_memory_order(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Arrange draw-ordered ``values`` so draw k lands on ``like``'s k-th element in memory."""
    if like.flags.c_contiguous:
        return values.reshape(like.shape)
    arranged = np.empty(like.size, dtype=values.dtype)
    arranged[_memory_order(like)] = values.reshape(-1)
    return arranged.reshape(like.shape)


def _in_memory_order(array: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    """``array``'s elements listed in the memory order of ``like`` (default: itself)."""
    like = array if like is None else like
    if like.flags.c_contiguous:
        return np.ascontiguousarray(array)
    return np.ascontiguousarray(array).reshape(-1)[_memory_order(like)]
