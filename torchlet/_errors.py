"""torch's exception classes for device failures (torch.OutOfMemoryError, also
torch.cuda.OutOfMemoryError, and torch.AcceleratorError). torchlet runs on the CPU and
never raises them; scripts catch them, so the names exist. Also ``invalid_arguments``, the
TypeError of torch's argument parser for a call that fits none of an operation's
overloads."""

import re

__all__ = ["AcceleratorError", "OutOfMemoryError"]


class OutOfMemoryError(RuntimeError):
    """Raised by torch when a device runs out of memory."""


class AcceleratorError(RuntimeError):
    """Raised by torch when an accelerator (CUDA, ...) reports an error."""



# ---------------------------------------------------------------------------------------
# torch's argument parser's error for a call that fits none of an operation's overloads


def _type_name(value) -> str:
    """CPython's ``tp_name`` of ``value``'s type, as torch's parser prints it (a tensor of
    any torchlet class is named as torch names its own: ``Tensor``, ``Parameter``)."""
    from torchlet._dtype import type_name

    kind = type(value)
    if kind.__module__ == "torchlet.storage":  # (torch's storages are Python classes there)
        return f"torch.storage.{kind.__name__}"
    return type_name(value)


def _described(value) -> str:
    """An argument as torch's "didn't match" line shows it: a tuple or list with its
    elements' type names (``tuple of (int,)``, ``list of [int, str]``), else its type."""
    if isinstance(value, tuple):
        comma = "," if len(value) == 1 else ""
        return f"{_type_name(value)} of ({', '.join(map(_type_name, value))}{comma})"
    if isinstance(value, list):
        return f"{_type_name(value)} of [{', '.join(map(_type_name, value))}]"
    return _type_name(value)


def _parameter(text: str) -> tuple[str, str]:
    """A printed parameter (``int dim``, ``Tensor min = None``, ``*``) split as torch's
    matcher splits it, at its last space: (type, name). A default thus lands in the type
    (``Tensor min =``), which no argument matches, and ``*`` (or the empty parameter of
    ``()``) is a parameter of its own."""
    type_, _, name = text.rpartition(" ")
    return (type_ or name, name)


def _matches(kind: str, value) -> bool:
    """torch's matcher compares type names: ``float`` takes an int too; nothing else is
    converted (a bool is no int, a NumPy number no float)."""
    name = _type_name(value)
    if kind == "float":
        return name in ("float", "int")
    return name == kind


def _given(args: tuple, kwargs: dict) -> str:
    """torch's "got (...)": the positional arguments' types, then ``name=type`` for each
    keyword argument (listed last given first, as its hash map iterates them), the last
    ", " kept when no argument was positional."""
    text = "".join(f"{_type_name(a)}, " for a in args)
    text += "".join(f"{k}={_type_name(v)}, " for k, v in reversed(kwargs.items()))
    return f"({text[:-2] if args else text})"


def _fitted(params: list, args: tuple, kwargs: dict) -> str:
    """The arguments against one overload's parameters (as many as were given), each not
    matching its parameter between ``!``: keyword arguments take the parameters' order."""
    parts = []
    for i, (kind, name) in enumerate(params):
        keyword = i >= len(args)
        value = kwargs[name] if keyword else args[i]
        text = f"{name}={_described(value)}" if keyword else _described(value)
        parts.append(text if _matches(kind, value) else f"!{text}!")
    text = "".join(f"{p}, " for p in parts)
    return f"({text[:-2] if args else text})"


def _unknown_keywords(params: list, kwargs: dict) -> list:
    """The keyword arguments no parameter among the overload's last ``len(kwargs)`` is
    named (a parameter with a default is named after its default, so never matches)."""
    names = {name for _, name in params[max(len(params) - len(kwargs), 0):]}
    return [k for k in reversed(kwargs) if k not in names]


def invalid_arguments(name: str, args: tuple, kwargs: dict, signatures: tuple) -> TypeError:
    """torch's TypeError for a call of ``name`` that none of its ``signatures`` (as torch
    prints them, without parentheses: ``"int dim, Tensor index, Number value"``) accepts:
    its ``format_invalid_args`` (torch/csrc/utils/invalid_arguments.cpp), which lists the
    types given and each overload, and under every overload with as many parameters as
    there are arguments, the arguments with those that do not fit it marked ``!type!``
    (or the keywords it does not know). ``kwargs``: the keyword arguments given, in the
    order given."""
    overloads = [[_parameter(p) for p in s.split(", ")] for s in signatures]
    count = len(args) + len(kwargs)
    if len(signatures) == 1:
        params = overloads[0]
        unknown = _unknown_keywords(params, kwargs) if kwargs else []
        if unknown:
            return TypeError(f"{name}() received an invalid combination of arguments - got "
                             f"unrecognized keyword arguments: {', '.join(unknown)}")
        got = _fitted(params, args, kwargs) if len(params) == count else _given(args, kwargs)
        return TypeError(f"{name}() received an invalid combination of arguments - got {got}, "
                         f"but expected ({signatures[0]})")
    lines = []
    for signature, params in zip(signatures, overloads, strict=True):
        lines.append(f" * ({signature})\n")
        if len(params) != count:
            continue
        unknown = _unknown_keywords(params, kwargs) if kwargs else []
        if unknown:
            lines.append("      didn't match because some of the keywords were incorrect: "
                         f"{', '.join(unknown)}\n")
        else:
            lines.append("      didn't match because some of the arguments have invalid "
                         f"types: {_fitted(params, args, kwargs)}\n")
    return TypeError(f"{name}() received an invalid combination of arguments - got "
                     f"{_given(args, kwargs)}, but expected one of:\n{''.join(lines)}")


_ARGUMENT = re.compile(r"(\w+)\(\): argument '(\w+)' \(position (\d+)\)")
_SIGNATURE_LINE = re.compile(r"^ \* \((.*)\)$", re.MULTILINE)


def method_error(error: TypeError, name: str, args: tuple, kwargs: dict | None = None
                 ) -> TypeError:
    """The argument TypeError of the function ``torch.<name>(self, *args, **kwargs)`` as
    torch's parser words it for the Tensor method: positions counted without self
    (``argument 'index' (position 2)``), and an invalid combination of the method's
    overloads (the function's without their ``Tensor input`` and ``out``) and of the
    arguments after self. Any other error is returned as it was. (For a method's error
    path only.)"""
    message = str(error)
    match = _ARGUMENT.match(message)
    if match is not None and match[1] == name and int(match[3]) >= 2:
        return TypeError(f"{name}(): argument '{match[2]}' (position {int(match[3]) - 1})"
                         + message[match.end():])
    if message.startswith(f"{name}() received an invalid combination of arguments"):
        signatures = tuple(_method_signature(s) for s in _SIGNATURE_LINE.findall(message)
                           if s.startswith("Tensor input"))
        return invalid_arguments(name, args, kwargs or {}, signatures)
    return error


def _method_signature(signature: str) -> str:
    """A function's signature as its Tensor method's: ``Tensor input, int dim, *, Tensor
    out = None`` is ``int dim``."""
    params = [p for p in signature.split(", ")[1:] if p != "Tensor out = None"]
    return ", ".join(params[:-1] if params[-1:] == ["*"] else params)
