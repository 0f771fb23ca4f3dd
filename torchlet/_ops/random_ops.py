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

On meta tensors nothing is drawn (the generator's state stays as it was, as torch's): the
samplers give a meta result of the shape and dtype torch's meta kernels give, after their
checks only.
"""

from __future__ import annotations

import operator

import numpy as np

from torchlet import _dtype
from torchlet import _random_kernels as kernels
from torchlet._device import meta_array, on_meta
from torchlet._dtype import type_name
from torchlet._errors import invalid_arguments
from torchlet._ops.creation import (
    CREATION_KEYWORDS,
    GENERATOR_KEYWORDS,
    _check_dtype_arg,
    _creation_out,
    _dtype_for_out,
    _finish,
    _invalid_arguments,
    _is_size,
    _on_meta,
    _size_args,
    _size_fits,
    check_layout,
    check_overloaded_flags,
    like_array,
)
from torchlet._ops.shape.common import _contiguous, _is_int
from torchlet._tensor import _NOT_GIVEN, Tensor, _check_inplace_allowed, bump_version, wrap
from torchlet.autograd.grad_mode import GRAD_STATE
from torchlet.random import Generator, _generator_or_default


def _float_dtype(dtype):
    return (_dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)).np


# ---------------------------------------------------------------------------------------
# new tensors


_RAND_OVERLOADS = (("tuple of ints size", GENERATOR_KEYWORDS),
                   ("tuple of ints size", CREATION_KEYWORDS))
_RANDINT_OVERLOADS = (
    ("int high, tuple of ints size", GENERATOR_KEYWORDS),
    ("int high, tuple of ints size", CREATION_KEYWORDS),
    ("int low, int high, tuple of ints size", GENERATOR_KEYWORDS),
    ("int low, int high, tuple of ints size", CREATION_KEYWORDS),
)
_RANDPERM_OVERLOADS = (("int n", GENERATOR_KEYWORDS), ("int n", CREATION_KEYWORDS))
_DEFAULTS = {"generator": None, "out": None, "dtype": None, "layout": None, "device": None,
             "requires_grad": False, "pin_memory": False}


def _given(keywords: dict) -> dict:
    """The keyword arguments a call gave (those not at their default), for torch's
    "got (...)" list; an explicit default cannot be told apart and is left out."""
    return {k: v for k, v in keywords.items() if v is not _DEFAULTS.get(k, None)}


def _random_size(sizes, name, size, **keywords):
    """rand / randn's shape. torch binds them twice (with and without ``generator``), so a
    bad shape in a call of two or more arguments is "an invalid combination"."""
    try:
        return _size_args(sizes, name, size)
    except TypeError:
        given = _given(keywords) | ({} if size is None else {"size": size})
        if len(sizes) + len(given) < 2 or _size_fits(sizes, size):
            raise  # (one overload to blame, or a bad entry found after matching one)
        raise _invalid_arguments(name, sizes, given, _RAND_OVERLOADS) from None


# (``*sizes`` and ``size``: torch takes the shape by position or as ``size=``; with
# ``out=``, the values are drawn in out's dtype, as a call with that dtype draws them)
def rand(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    """Uniform values in [0, 1)."""
    return _standard("rand", kernels.uniform, sizes, size, generator, out, dtype, layout,
                     device, requires_grad, pin_memory)


def randn(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False) -> Tensor:
    """Standard normal values (PyTorch's 16-element block algorithm when >= 16 values)."""
    return _standard("randn", kernels.normal, sizes, size, generator, out, dtype, layout,
                     device, requires_grad, pin_memory)


def _standard(name: str, draw, sizes, size, generator, out, dtype, layout, device,
              requires_grad, pin_memory) -> Tensor:
    """rand / randn: ``draw(generator, shape, np_dtype)`` after torch's argument checks."""
    shape = _random_size(sizes, name, size, generator=generator, out=out, dtype=dtype,
                         layout=layout, device=device, requires_grad=requires_grad,
                         pin_memory=pin_memory)
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True) \
            or dtype is not None:
        check_overloaded_flags(name, sizes, _given(dict(
            size=size, generator=generator, out=out, dtype=dtype, device=device,
            pin_memory=pin_memory, requires_grad=requires_grad)), _RAND_OVERLOADS,
            _on_meta(device))
    if layout is not None:
        check_layout(layout, name)
    if out is not None:
        result = _standard(name, draw, (shape,), None, generator, None,
                           _dtype_for_out(dtype, out, name), None, device, False, False)
        return _creation_out(result, out, name)
    if _on_meta(device):  # (torch draws nothing for a meta tensor)
        return _finish(meta_array(shape, _float_dtype(dtype)), requires_grad)
    gen = _generator_or_default(generator)
    return _finish(draw(gen, shape, _float_dtype(dtype)), requires_grad)


def randint(*args, size=None, low=None, high=None, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high)."""
    low, high, size = _randint_args(args, low, high, size, dict(
        generator=generator, out=out, dtype=dtype, layout=layout, device=device,
        requires_grad=requires_grad, pin_memory=pin_memory))
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True) \
            or dtype is not None:
        check_overloaded_flags("randint", args, _given(dict(
            generator=generator, out=out, dtype=dtype, device=device, pin_memory=pin_memory,
            requires_grad=requires_grad)), _RANDINT_OVERLOADS, _on_meta(device))
    if layout is not None:
        check_layout(layout, "randint")
    if out is not None:
        result = randint(low, high, size, generator=generator,
                         dtype=_dtype_for_out(dtype, out, "randint"), device=device)
        return _creation_out(result, out, "randint")
    np_dtype = _dtype.int64.np if dtype is None else _dtype.to_dtype(dtype).np
    shape = _size_args((size,), "randint", position=2)
    if _on_meta(device):  # (torch draws nothing for a meta tensor)
        return _finish(meta_array(shape, np_dtype), requires_grad)
    gen = _generator_or_default(generator)
    return _finish(kernels.randint(gen, shape, low, high, np_dtype), requires_grad)


def _randint_args(args, low, high, size, keywords):
    """``(low, high, size)`` from torch's overloads ``(high, size)`` and ``(low, high,
    size)``, by position or keyword. Two arguments fit only ``(high, size)``, so torch names
    the bad one; any other misfit is "an invalid combination"."""
    count = len(args) + sum(v is not None for v in (low, high, size))
    names = ("high", "size") if count < 3 else ("low", "high", "size")
    given = dict(zip(names, args))
    named = {k: v for k, v in (("low", low), ("high", high), ("size", size)) if v is not None}
    if len(args) <= len(names) and not given.keys() & named.keys():
        given |= named
        if given.keys() == set(names) and _is_int_arg(given.get("low", 0)) \
                and _is_int_arg(given["high"]) and isinstance(given["size"], (tuple, list)):
            return int(given.get("low", 0)), int(given["high"]), given["size"]
    others = _given(keywords)
    if len(args) == 2 and not named and not others:
        for pos, (name, value, kind) in enumerate(
                (("high", args[0], "int"), ("size", args[1], "tuple of ints")), 1):
            if not (_is_int_arg(value) if kind == "int" else isinstance(value, (tuple, list))):
                raise TypeError(f"randint(): argument '{name}' (position {pos}) must be {kind}, "
                                f"not {type_name(value)}")
    raise _invalid_arguments("randint", args, named | others, _RANDINT_OVERLOADS)


def _is_int_arg(value) -> bool:
    """What torch's parser takes for an ``int``: an index or a one-element integer tensor."""
    return _is_size(value) and not (isinstance(value, Tensor) and value.requires_grad)


def randperm(*args, n=None, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    """A random permutation of 0 .. n-1 (PyTorch's swap algorithm, n-1 draws)."""
    n = _randperm_n(args, n, dict(generator=generator, out=out, dtype=dtype, layout=layout,
                                  device=device, requires_grad=requires_grad,
                                  pin_memory=pin_memory))
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
        check_overloaded_flags("randperm", args, _given(dict(
            generator=generator, out=out, dtype=dtype, device=device, pin_memory=pin_memory,
            requires_grad=requires_grad)), _RANDPERM_OVERLOADS, _on_meta(device))
    if layout is not None:
        check_layout(layout, "randperm")
    if out is not None:
        result = randperm(n, generator=generator,
                          dtype=_dtype_for_out(dtype, out, "randperm"), device=device)
        return _creation_out(result, out, "randperm")
    np_dtype = _dtype.int64.np if dtype is None else _dtype.to_dtype(dtype).np
    if _on_meta(device):  # (torch draws nothing for a meta tensor)
        return _finish(meta_array((n,), np_dtype), requires_grad)
    gen = _generator_or_default(generator)
    return _finish(kernels.randperm(gen, n, np_dtype), requires_grad)


def _randperm_n(args, n, keywords) -> int:
    """``n`` as torch's parser reads it: one int, by position or as ``n=``; a dtype that is
    a torch.dtype (or int / float / bool) and a Generator."""
    given = {} if n is None else {"n": n}
    generator, dtype = keywords["generator"], keywords["dtype"]
    fits = (len(args) + len(given) == 1
            and (dtype is None or _check_dtype_arg_ok(dtype))
            and (generator is None or isinstance(generator, Generator)))
    if not fits:
        raise _invalid_arguments("randperm", args, given | _given(keywords),
                                 _RANDPERM_OVERLOADS)
    value = args[0] if args else n
    if not _is_int_arg(value):
        position = " (position 1)" if args else ""
        raise TypeError(f"randperm(): argument 'n'{position} must be int, not "
                        f"{type_name(value)}")
    return int(value)


def _check_dtype_arg_ok(dtype) -> bool:
    try:
        _check_dtype_arg(dtype, "randperm")
    except TypeError:
        return False
    return True


_NORMAL_OVERLOADS = (
    ("Tensor mean, Tensor std", "torch.Generator generator = None, Tensor out = None"),
    ("Tensor mean, float std = 1", "torch.Generator generator = None, Tensor out = None"),
    ("float mean, Tensor std", "torch.Generator generator = None, Tensor out = None"),
    ("float mean, float std, tuple of ints size",
     "torch.Generator generator = None, " + CREATION_KEYWORDS),
)
_ABSENT = object()  # (an argument not given: ``normal(0, t, None)`` is an error in torch)


def normal(mean=_ABSENT, std=_ABSENT, size=_ABSENT, *more, generator=None, out=None,
           dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
           **unknown) -> Tensor:
    """Normal samples: tensor/number mean and std, broadcast together, or numbers + size.
    (``more``, ``unknown``: arguments no overload takes, for torch's errors.)"""
    if more or unknown or not _normal_args_fit(mean, std, size, generator):
        _refuse_normal_args(mean, std, size, more, unknown, dict(
            generator=generator, out=out, dtype=dtype, layout=layout, device=device,
            pin_memory=pin_memory, requires_grad=requires_grad))
    if std is _ABSENT:
        std = 1.0
    if size is _ABSENT:
        size = None
    if layout is not None:
        check_layout(layout, "normal")
    if pin_memory is not False or requires_grad is not False or dtype is not None \
            or device is not None:
        args = (mean, std) if size is None else (mean, std, size)
        if isinstance(mean, Tensor) or isinstance(std, Tensor):  # (no creation keywords)
            raise _invalid_arguments("normal", args, _given(dict(
                generator=generator, out=out, dtype=dtype, device=device,
                pin_memory=pin_memory, requires_grad=requires_grad)), _NORMAL_OVERLOADS)
        check_overloaded_flags("normal", args, _given(dict(
            generator=generator, out=out, dtype=dtype, device=device, pin_memory=pin_memory,
            requires_grad=requires_grad)), _NORMAL_OVERLOADS, _on_meta(device))
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
        # torch's result is made like the mean tensor (like std where mean is a number),
        # then mul_(std) and add_(mean) round back into it
        np_dtype = tensors[0]._data.dtype
        if any(on_meta(x._data) for x in tensors):
            return wrap(_meta_normal(mean, std, np_dtype))
        if np_dtype.kind != "f":
            raise NotImplementedError(
                f'"normal_kernel_cpu" not implemented for '
                f"'{kernels._torch_name(np_dtype)}'"
            )
        mean_ = mean._data if isinstance(mean, Tensor) else float(mean)
        std_ = std._data if isinstance(std, Tensor) else float(std)
        # (np.asarray: 0-d mean and std give the kernel's NumPy scalar back)
        return wrap(np.asarray(kernels.normal_tensor_params(gen, mean_, std_, np_dtype)))
    shape = _size_args((size,), "normal")
    if _on_meta(device):  # (torch draws nothing for a meta tensor)
        return _finish(meta_array(shape, _float_dtype(dtype)), requires_grad)
    data = kernels.normal(gen, shape, _float_dtype(dtype), float(mean), float(std))
    return _finish(data, requires_grad)


def _is_float_arg(x) -> bool:
    """Whether torch's parser takes ``x`` for a ``float`` parameter (a real number)."""
    return isinstance(x, (int, float, np.integer, np.floating, np.bool_))


def _normal_args_fit(mean, std, size, generator) -> bool:
    """Whether one of normal's overloads takes these: a Tensor mean with a Tensor or
    number std (or none), a number mean with a Tensor std, or numbers and a shape."""
    if generator is not None and not isinstance(generator, Generator):
        return False
    if isinstance(mean, Tensor):
        return size is _ABSENT and (std is _ABSENT or isinstance(std, Tensor)
                                    or _is_float_arg(std))
    if not _is_float_arg(mean):
        return False
    if isinstance(std, Tensor):
        return size is _ABSENT
    return _is_float_arg(std) and isinstance(size, (tuple, list)) and _size_fits((size,))


def _refuse_normal_args(mean, std, size, more, unknown, keywords):
    """torch's TypeError for arguments none of normal's overloads takes (those given by
    name listed as positional: this signature cannot tell them apart)."""
    args = tuple(a for a in (mean, std, size) if a is not _ABSENT) + more
    if len(args) > 4:
        raise TypeError(f"normal() takes 3 positional arguments but {len(args)} were given")
    if mean is _ABSENT and std is not _ABSENT:
        raise TypeError('normal() missing 1 required positional arguments: "mean"')
    raise _invalid_arguments("normal", args, _given(keywords) | unknown, _NORMAL_OVERLOADS)


def _meta_normal(mean, std, np_dtype) -> np.ndarray:
    """``normal(mean, std)`` with a meta tensor: torch's meta kernels' checks (both tensors
    on one device, a 0-d CPU one included; a number std, printed by Python; a floating
    dtype, except that a number mean with an integer std gives the default dtype) and the
    result's meta array, of the broadcast shape."""
    from torchlet.autograd.function import _meta_broadcast_error

    if isinstance(mean, Tensor) and isinstance(std, Tensor):
        if on_meta(mean._data) != on_meta(std._data):
            raise RuntimeError(f"Tensor on device {mean.device} is not on the expected device "
                               f"{std.device}!")
    elif isinstance(mean, Tensor):
        if not float(std) >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {float(std)}")
    elif np_dtype.kind != "f":
        np_dtype = _dtype.get_default_dtype().np
    if np_dtype.kind != "f":
        raise RuntimeError("expected a floating-point or complex dtype, but got dtype="
                           f"{_dtype.from_numpy_dtype(np_dtype)}")
    arrays = [x._data for x in (mean, std) if isinstance(x, Tensor)]
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError as error:
        raise _meta_broadcast_error(error, arrays) from None
    return meta_array(shape, np_dtype)


def bernoulli(input, p=_NOT_GIVEN, *, generator=None, out=None) -> Tensor:  # noqa: A002
    """0/1 samples: with probabilities ``input``, or with one probability ``p``
    (``_NOT_GIVEN``: not passed)."""
    if not (isinstance(input, Tensor) and (p is _NOT_GIVEN or type(p) is float)
            and generator is None and out is None):
        _check_bernoulli_arguments(input, p, generator, out, method=False)
        if p is not _NOT_GIVEN and isinstance(p, Tensor):
            p = p.item()  # (a 0-d tensor, read as the float p)
    if out is not None:
        return _creation_out(bernoulli(input, p, generator=generator), out, "bernoulli")
    gen = _generator_or_default(generator)
    if on_meta(input._data):  # (torch's meta kernel checks neither p nor the dtype)
        return wrap(meta_array(input._data.shape, input._data.dtype))
    if p is _NOT_GIVEN:
        return wrap(kernels.bernoulli_tensor(gen, _contiguous(input._data)))
    result = wrap(np.empty(input._data.shape, input._data.dtype))
    # (the input is passed along: vmap's randomness="same" refuses a batched one)
    values = kernels.bernoulli_scalar(gen, result._data.shape, float(p), result._data.dtype,
                                      like=input._data)
    return _fill(result, values)


def tensor_bernoulli(t: Tensor, p=_NOT_GIVEN, generator=None) -> Tensor:
    """Tensor.bernoulli: torch.bernoulli, with the method's argument errors."""
    if not (p is _NOT_GIVEN or type(p) is float) or generator is not None:
        _check_bernoulli_arguments(t, p, generator, None, method=True)
    return bernoulli(t, p, generator=generator)


def multinomial(input, num_samples, replacement=False, *, generator=None,  # noqa: A002
                out=None) -> Tensor:
    """Indices drawn from the rows of ``input`` (unnormalised probabilities)."""
    if out is not None:
        result = multinomial(input, num_samples, replacement, generator=generator)
        return _creation_out(result, out, "multinomial")
    gen = _generator_or_default(generator)
    if on_meta(input._data):
        return wrap(_meta_multinomial(input._data, int(num_samples)))
    return wrap(kernels.multinomial(gen, input._data, int(num_samples), replacement))


def _meta_multinomial(probs: np.ndarray, num_samples: int) -> np.ndarray:
    """multinomial of meta ``probs``: torch's meta kernel checks only the dims."""
    if not 0 < probs.ndim <= 2:
        raise RuntimeError("The probability distributions dimensions must be 1 or 2, but got "
                           f"{probs.ndim}")
    shape = [num_samples] if probs.ndim == 1 else [probs.shape[0], num_samples]
    if num_samples < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {num_samples}: "
                           f"{shape}")
    return meta_array(shape, np.int64)


def poisson(input, generator=None) -> Tensor:  # noqa: A002
    """One Poisson sample per rate in ``input``."""
    gen = _generator_or_default(generator)
    if on_meta(input._data):
        return wrap(meta_array(input._data.shape, input._data.dtype))
    return wrap(kernels.poisson(gen, _contiguous(input._data)))


_LIKE_KEYWORDS = ("torch.memory_format memory_format = None, torch.dtype dtype = None, "
                  "torch.layout layout = None, torch.device device = None, "
                  "bool pin_memory = False, bool requires_grad = False")


def _like_overloads(*params):
    return tuple((f"Tensor input{p}", f"{g}{_LIKE_KEYWORDS}") for p in params
                 for g in ("torch.Generator generator, ", ""))


def _check_like_flags(name, args, keywords, params, device) -> None:
    """A random ``*_like``'s ``requires_grad`` and ``pin_memory`` (torch binds each with
    and without ``generator``, so a refused one is "an invalid combination")."""
    input_ = args[0]
    meta = _on_meta(device) if device is not None else \
        isinstance(input_, Tensor) and on_meta(input_._data)
    check_overloaded_flags(name, args, _given(keywords), _like_overloads(*params), meta)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,  # noqa: A002
              pin_memory=False, requires_grad=False, memory_format=None) -> Tensor:
    """``rand`` shaped and laid out like ``input`` (filled in the layout's memory order)."""
    return _standard_like("rand_like", Tensor.uniform_, input, generator, dtype, layout,
                          device, pin_memory, requires_grad, memory_format)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,  # noqa: A002
               pin_memory=False, requires_grad=False, memory_format=None) -> Tensor:
    """``randn`` shaped and laid out like ``input`` (filled in the layout's memory order)."""
    return _standard_like("randn_like", Tensor.normal_, input, generator, dtype, layout,
                          device, pin_memory, requires_grad, memory_format)


def _standard_like(name: str, fill, input, generator, dtype, layout, device,  # noqa: A002
                   pin_memory, requires_grad, memory_format) -> Tensor:
    """rand_like / randn_like: a tensor like ``input``, filled by ``fill(t, generator=)``."""
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
        _check_like_flags(name, (input,), dict(
            generator=generator, memory_format=memory_format, dtype=dtype, device=device,
            pin_memory=pin_memory, requires_grad=requires_grad), ("",), device)
    out = wrap(like_array(input, dtype, memory_format, name, device=device, layout=layout))
    return _finish_like(fill(out, generator=generator), requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None,  # noqa: A002
                 layout=None, device=None, pin_memory=False, requires_grad=False,
                 memory_format=None) -> Tensor:
    """``randint(low, high)`` shaped and laid out like ``input``."""
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
        args = (input, low) if high is None else (input, low, high)
        _check_like_flags("randint_like", args, dict(
            generator=generator, memory_format=memory_format, dtype=dtype, device=device,
            pin_memory=pin_memory, requires_grad=requires_grad),
            (", int low, int high", ", Tensor high", ", int high"), device)
    if high is None:
        low, high = 0, low
    out = wrap(like_array(input, dtype, memory_format, "randint_like", device=device,
                          layout=layout))
    return _finish_like(out.random_(int(low), int(high), generator=generator), requires_grad)


def _finish_like(t: Tensor, requires_grad) -> Tensor:
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---------------------------------------------------------------------------------------
# in-place fills (what nn.init, dropout and samplers build on)


def uniform_(t: Tensor, from_=0.0, to=1.0, *, generator=None) -> Tensor:
    _refuse_vmap_unbatched(t)
    gen = _generator_or_default(generator)
    return _fill(t, kernels.uniform(gen, t._data.shape, t._data.dtype, from_, to))


def normal_(t: Tensor, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    _refuse_vmap_unbatched(t)
    gen = _generator_or_default(generator)
    contiguous = t._data.flags.c_contiguous
    values = kernels.normal(gen, t._data.shape, t._data.dtype, mean, std, contiguous=contiguous)
    return _fill(t, values)


def random_(t: Tensor, from_=_NOT_GIVEN, to=_NOT_GIVEN, *, generator=None) -> Tensor:
    """``random_()``, ``random_(to)``, ``random_(from, to)`` and ``random_(from, None)``
    (from ``from`` to the dtype's largest value; all 64 bits for ``from = -2**63``).
    ``_NOT_GIVEN``: an argument not passed (``to`` alone is passed by keyword)."""
    if type(from_) is not int or type(to) is not int or not (
            from_ >= _INT64_MIN and to <= _INT64_MAX):
        from_, to = _random_bounds(from_, to, generator)
    _refuse_vmap_unbatched(t)
    try:
        gen = _generator_or_default(generator)
    except TypeError:
        _random_bounds(from_, to, generator)  # (torch's words for it)
        raise
    values = kernels.random_full(gen, t._data.shape, t._data.dtype, from_, to)
    return _fill(t, values)


_RANDOM_SIGNATURES = ("*, torch.Generator generator = None",
                      "int from, int to, *, torch.Generator generator = None",
                      "int to, *, torch.Generator generator = None")


def _random_bounds(from_, to, generator) -> tuple:
    """random_'s ``(from, to)`` as torch's parser reads its three overloads (None where not
    given; ``to`` may be None after a ``from``): ints (a NumPy integer or a 0-d integer
    tensor too) within int64, and a torch.Generator or None; else its TypeError."""
    if from_ is _NOT_GIVEN and to is not _NOT_GIVEN:  # random_(to=...)
        args, kwargs = (), {"to": to}
    else:
        args, kwargs = tuple(a for a in (from_, to) if a is not _NOT_GIVEN), {}
    if generator is not None:
        kwargs["generator"] = generator
    if len(args) == 2 and generator is not None:  # (one overload takes three: its words)
        for position, name, value in ((1, "from", from_), (2, "to", to)):
            if not (_is_int(value) or (name == "to" and value is None)):
                raise TypeError(f"random_(): argument '{name}' (position {position}) must be "
                                f"int, not {type_name(value)}")
        _check_generator("random_", generator)
    ints = (*args, kwargs.get("to", 0))
    fits = all(_is_int(v) for v in ints) or (
        len(args) == 2 and _is_int(args[0]) and args[1] is None)
    if not fits or (generator is not None and not isinstance(generator, Generator)):
        raise invalid_arguments("random_", args, kwargs, _RANDOM_SIGNATURES)
    if len(args) == 2:
        return _int64(args[0]), None if args[1] is None else _int64(args[1])
    to = args[0] if args else kwargs.get("to")
    return (None, None) if to is None else (0, _int64(to))


_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def _int64(value) -> int:
    """An int argument as torch unpacks it: a value outside int64 is its ValueError."""
    value = operator.index(value)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError("Overflow when unpacking long long")
    return value


def _check_generator(name: str, generator) -> None:
    """torch's error for a ``generator`` that is no torch.Generator (None is the default),
    where its parser has one overload to blame."""
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{name}(): argument 'generator' must be torch.Generator, not "
                        f"{type_name(generator)}")


def bernoulli_(t: Tensor, p=_NOT_GIVEN, *, generator=None) -> Tensor:
    """``p``: one probability (0.5 when ``_NOT_GIVEN``) or a tensor of them, broadcast to
    ``t``'s shape."""
    if not (type(p) is float or isinstance(p, Tensor)) or generator is not None:
        _check_bernoulli_p_(p, generator)
        if p is _NOT_GIVEN:
            p = 0.5
    _refuse_vmap_unbatched(t)
    gen = _generator_or_default(generator)
    if isinstance(p, Tensor):
        try:
            probs = np.broadcast_to(p._data, t._data.shape)
        except ValueError:  # (torch expands p to t's shape: its error)
            p.expand(t.shape)
            raise
        values = kernels.bernoulli_tensor(gen, _in_memory_order(probs, like=t._data),
                                          out_dtype=t._data.dtype)
        return _fill(t, values)
    return _fill(t, kernels.bernoulli_scalar(gen, t._data.shape, float(p), t._data.dtype))


# torch's overloads of bernoulli, as its argument errors list them
_BERNOULLI_INPLACE = ("Tensor p, *, torch.Generator generator = None",
                      "float p = 0.5, *, torch.Generator generator = None")
_BERNOULLI_METHOD = ("*, torch.Generator generator = None",
                     "float p, *, torch.Generator generator = None")
_BERNOULLI_FUNCTION = ("Tensor input, *, torch.Generator generator = None, Tensor out = None",
                       "Tensor input, float p, *, torch.Generator generator = None")


def _is_float(value) -> bool:
    """Whether torch's parser takes ``value`` for a ``float`` argument: a Python or NumPy
    real number (a bool too), or a 0-d tensor without grad."""
    if isinstance(value, Tensor):
        return value.ndim == 0 and not value.requires_grad
    return isinstance(value, (int, float, np.integer, np.floating, np.bool_))


def _check_bernoulli_p_(p, generator) -> None:
    """Tensor.bernoulli_'s ``p`` (a Tensor or a float) and ``generator``: else torch's
    invalid combination of its two overloads (both take one or two arguments)."""
    if not (p is _NOT_GIVEN or isinstance(p, Tensor) or _is_float(p)) or not (
            generator is None or isinstance(generator, Generator)):
        kwargs = {} if generator is None else {"generator": generator}
        args = () if p is _NOT_GIVEN else (p,)
        raise invalid_arguments("bernoulli_", args, kwargs, _BERNOULLI_INPLACE)


def _check_bernoulli_arguments(input, p, generator, out, method: bool) -> None:  # noqa: A002
    """torch.bernoulli's (or Tensor.bernoulli's) arguments as torch's parser reads them: a
    Tensor input, a float ``p`` if any (without ``out``), a torch.Generator or None."""
    given_p = p is not _NOT_GIVEN
    fits = (not given_p or _is_float(p)) and (
        generator is None or isinstance(generator, Generator)) and (
        out is None or (isinstance(out, Tensor) and not given_p))
    if isinstance(input, Tensor) and fits:
        return
    kwargs = {k: v for k, v in (("generator", generator), ("out", out)) if v is not None}
    args = (p,) if given_p else ()
    if method:
        raise invalid_arguments("bernoulli", args, kwargs, _BERNOULLI_METHOD)
    if not isinstance(input, Tensor) and not args:  # (one overload takes one argument)
        raise TypeError("bernoulli(): argument 'input' (position 1) must be Tensor, not "
                        f"{type_name(input)}")
    raise invalid_arguments("bernoulli", (input, *args), kwargs, _BERNOULLI_FUNCTION)


def exponential_(t: Tensor, lambd=1.0, *, generator=None) -> Tensor:
    _refuse_vmap_unbatched(t)
    gen = _generator_or_default(generator)
    return _fill(t, kernels.exponential(gen, t._data.shape, t._data.dtype, lambd))


def geometric_(t: Tensor, p, *, generator=None) -> Tensor:
    _refuse_vmap_unbatched(t)
    gen = _generator_or_default(generator)
    return _fill(t, kernels.geometric(gen, t._data.shape, t._data.dtype, p))


def log_normal_(t: Tensor, mean=1.0, std=2.0, *, generator=None) -> Tensor:
    _refuse_vmap_unbatched(t)
    gen = _generator_or_default(generator)
    return _fill(t, kernels.log_normal(gen, t._data.shape, t._data.dtype, mean, std))


def cauchy_(t: Tensor, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
    _refuse_vmap_unbatched(t)
    gen = _generator_or_default(generator)
    return _fill(t, kernels.cauchy(gen, t._data.shape, t._data.dtype, median, sigma))


def _refuse_vmap_unbatched(t: Tensor) -> None:
    """Inside vmap, before drawing: torch's error for "different" randomness written into a
    tensor that is not batched."""
    if kernels.VMAP.batch is not None:
        kernels.VMAP.batch.check_inplace_random(t._data)


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
