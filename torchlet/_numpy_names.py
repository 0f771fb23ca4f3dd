"""NumPy's keyword names on the functions whose arguments torch's C++ parser reads.

torch's ``PythonArgParser`` (torch/csrc/utils/python_arg_parser.cpp,
``numpy_compatibility_arg_names``) looks a parameter up under NumPy's names when its own
name is not among the keywords: ``dim`` <- ``axis``, ``keepdim`` <- ``keepdims``,
``input`` <- ``x``, ``a``, ``x1`` (tried in that order), ``other`` <- ``x2``. So
``torch.sum(a=t, axis=0, keepdims=True)`` works, while functions written in Python
(``torch.nn.functional.softmax``, ``Tensor.split``) and parameters with other names
(``flip``'s ``dims``, ``transpose``'s ``dim0``) take only their own names.

``@numpy_names`` is applied by hand to each function torch's parser binds.

The wrapper is one more Python frame between the user and the function, so a warning
raised inside with ``stacklevel=2`` points at the wrapper, not at the user's line (torch's
warnings come from C++ and point at the user's line). Such a warning takes
``stacklevel=user_stacklevel()``, which counts the torchlet frames actually there.
"""

import functools
import inspect
import re
import sys
import types

# torch's table: a parameter name -> NumPy's names for it, in the order torch tries them
NUMPY_NAMES = {"dim": ("axis",), "keepdim": ("keepdims",), "input": ("x", "a", "x1"),
               "other": ("x2",)}


def numpy_names(fn):
    """Let ``fn`` also take NumPy's names for its ``dim``/``keepdim``/``input``/``other``.

    The signature is read once, here; a call without keywords costs one truth test.
    """
    params = list(inspect.signature(fn).parameters)
    aliases = {alias: name for name, names in NUMPY_NAMES.items() if name in params
               for alias in names}
    if not aliases:
        raise TypeError(f"{fn.__qualname__} has no parameter that NumPy names differently")
    # a parameter given positionally is taken; its NumPy name is then an unknown keyword
    position = {name: params.index(name) for name in aliases.values()}
    method = params[0] == "self"

    @functools.wraps(fn)
    def accepts_numpy_names(*args, **kwargs):
        if kwargs and not aliases.keys().isdisjoint(kwargs):
            kwargs = _rename(kwargs, aliases, position, len(args))
        try:
            return fn(*args, **kwargs)
        except TypeError as error:
            if error.__traceback__ is not None and error.__traceback__.tb_next is None:
                raise _in_parser_words(error, fn.__name__, method) from None  # a binding error
            raise

    return accepts_numpy_names


_MISSING = re.compile(r"missing (\d+) required (?:positional|keyword-only) arguments?: (.*)$")
_TOO_MANY = re.compile(r"takes (?:from (\d+) to (\d+)|(\d+)) positional arguments? but (\d+) "
                       r"(?:was|were) given")


def _in_parser_words(error: TypeError, name: str, method: bool = False) -> TypeError:
    """Python's TypeError for arguments that do not bind, worded as torch's parser words
    it (python_arg_parser.cpp): the bare name (``softmax()``, not ``Tensor.softmax()``),
    for too many arguments a method's counts without self (``takes from 1 to 2 positional
    arguments but 3 were given``), and for missing arguments ``missing 1 required
    positional arguments: "dim"`` (its plural after 1 and singular after more, sic)."""
    message = str(error)
    too_many = _TOO_MANY.search(message) if method else None
    if too_many is not None:
        low, high, exact, given = (None if g is None else int(g) - 1 for g in too_many.groups())
        takes = f"from {low} to {high} positional arguments" if exact is None else (
            f"{exact} positional argument{'' if exact == 1 else 's'}")
        return TypeError(f"{name}() takes {takes} but {given} "
                         f"{'was' if given == 1 else 'were'} given")
    missing = _MISSING.search(message)
    if missing is None:
        return TypeError(re.sub(r"^[\w.]*\(\)", f"{name}()", message))
    count = int(missing.group(1))
    names = ", ".join(f'"{n}"' for n in re.findall(r"'(\w+)'", missing.group(2)))
    plural = "s" if count == 1 else ""
    return TypeError(f"{name}() missing {count} required positional argument{plural}: {names}")


def _rename(kwargs, aliases, position, n_args):
    """``kwargs`` with NumPy's names replaced by torch's, as torch's parser binds them: the
    first name found fills a parameter not already given; any other stays, so ``fn`` raises
    torch's TypeError "got an unexpected keyword argument 'axis'"."""
    renamed = dict(kwargs)
    for alias, name in aliases.items():
        if alias in renamed and name not in renamed and position[name] >= n_args:
            renamed[name] = renamed.pop(alias)
    return renamed


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes ``warnings.warn``, called by the caller of this
    function, point at the first frame outside torchlet (wrappers and Tensor methods
    included), where torch's warnings point."""
    frame: types.FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("torchlet"):
        frame, level = frame.f_back, level + 1
    return level
