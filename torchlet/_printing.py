"""Tensor printing: a character-for-character port of PyTorch's ``torch/_tensor_str.py``.

PyTorch's ``repr(tensor)`` is what users see most, so torchlet reproduces it exactly.
This module knows nothing about torchlet's ``Tensor`` class: callers pass the values
as a NumPy array plus a little metadata (dtype name, autograd info) and get a string.

How torch prints a tensor, in short:

1. Decide whether to *summarise* (more than ``threshold`` elements): then only the
   first and last ``edgeitems`` entries of every dimension are shown, with ``...``.
2. Build one ``_Formatter`` from all the values that will be shown.  It picks a
   single style for the whole tensor -- integer-looking floats (``1.``), fixed point
   (``1.0000``) or scientific (``1.0000e+08``) -- and a common column width.
3. Lay the values out recursively: rows of a vector wrap at ``linewidth``, and
   higher dimensions are separated by commas plus blank lines.
4. Append suffixes such as ``dtype=torch.int32`` or ``grad_fn=<MulBackward0>``.

All number formatting goes through Python floats and ``str.format``, exactly as torch
does (it calls ``.item()`` / ``.tolist()``, which widen float32/float16 to a double).
NumPy's own scalar printing differs, so it is never used.
"""

import contextlib
import dataclasses
import math

import numpy as np

__all__ = [
    "format_tensor",
    "format_tensor_str",
    "get_printoptions",
    "printoptions",
    "set_printoptions",
]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

# (precision, threshold, edgeitems, linewidth) for each named profile, as in torch.
_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision=None,
    threshold=None,
    edgeitems=None,
    linewidth=None,
    profile=None,
    sci_mode=None,
):
    """Set options for printing; same arguments and semantics as ``torch.set_printoptions``.

    A ``profile`` ("default", "short" or "full") is applied first, then any explicit
    option overrides it.  Like torch, an unknown profile name is silently ignored, and
    ``sci_mode`` is *always* assigned, so calling this without it resets it to ``None``.
    """
    if profile in _PROFILES:
        (
            PRINT_OPTS.precision,
            PRINT_OPTS.threshold,
            PRINT_OPTS.edgeitems,
            PRINT_OPTS.linewidth,
        ) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """Current options as a dict that can be passed back to ``set_printoptions(**opts)``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Context manager that temporarily changes the print options."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses one number style and one column width for a set of values.

    ``data`` is a real-valued NumPy array holding (at most) the values that will be
    printed.  The style decision mirrors torch's ``_Formatter`` line by line.
    """

    def __init__(self, data: np.ndarray):
        self.floating_dtype = data.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        if not self.floating_dtype:
            # Integers and bools print with str(); the width is simply the longest one.
            for value in data.ravel().tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        # Only nonzero finite values influence the style: zeros, nan and inf print the
        # same in every style.  Widening to float64 is exact for float16/float32, and it
        # is what torch does before dividing (a half tensor would overflow at 1e8).
        values = data.ravel().astype(np.float64)
        nonzero_finite = values[np.isfinite(values) & (values != 0)]
        if nonzero_finite.size == 0:
            return
        abs_vals = np.abs(nonzero_finite)
        vmin, vmax = float(abs_vals.min()), float(abs_vals.max())

        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))

        if PRINT_OPTS.sci_mode is None:
            # A wide dynamic range, or very large / very small numbers, go scientific.
            self.sci_mode = vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        precision = PRINT_OPTS.precision
        for value in nonzero_finite.tolist():
            if self.sci_mode:
                width = len(f"{value:.{precision}e}")
            elif self.int_mode:
                # Integer-valued floats print as "3." -- the +1 is for that dot.
                width = len(f"{value:.0f}") + 1
            else:
                width = len(f"{value:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def width(self) -> int:
        return self.max_width

    def format(self, value) -> str:
        """Format one Python number (float, int or bool), right-aligned to the width."""
        if self.floating_dtype:
            precision = PRINT_OPTS.precision
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{precision}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                # The trailing dot marks a float; "nan." / "inf." would look odd.
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{precision}f}"
        else:
            ret = f"{value}"
        # Note: "-0.0000" or "nan" may be wider than max_width; then no padding is added.
        return (self.max_width - len(ret)) * " " + ret


def _format_value(value, formatter1, formatter2=None) -> str:
    """Format a real value, or a complex one as ``real+imagj`` using two formatters."""
    if formatter2 is None:
        return formatter1.format(value)
    real_str = formatter1.format(value.real)
    imag_str = (formatter2.format(value.imag) + "j").lstrip()
    # The imaginary part carries its own sign ("-0.5000j"), else we insert a "+".
    if imag_str[0] in "+-":
        return real_str + imag_str
    return real_str + "+" + imag_str


def _vector_str(data, indent, summarize, formatter1, formatter2=None) -> str:
    # Each element takes its width plus ", " (and "j" + imaginary part for complex).
    element_length = formatter1.width() + 2
    if formatter2 is not None:
        element_length += formatter2.width() + 1
    elements_per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))

    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and data.shape[0] > 2 * edge:
        # " ..." has a leading space so it lines up like a padded number.  Only the
        # shown edges go through tolist(): a huge vector is never converted whole.
        items = (
            [_format_value(v, formatter1, formatter2) for v in data[:edge].tolist()]
            + [" ..."]
            + [_format_value(v, formatter1, formatter2) for v in data[-edge:].tolist()]
        )
    else:
        items = [_format_value(v, formatter1, formatter2) for v in data.tolist()]

    lines = [
        ", ".join(items[i : i + elements_per_line]) for i in range(0, len(items), elements_per_line)
    ]
    # Continuation lines start one column right of the opening bracket.
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(data, indent, summarize, formatter1, formatter2=None) -> str:
    if data.ndim == 0:
        return _format_value(data.item(), formatter1, formatter2)
    if data.ndim == 1:
        return _vector_str(data, indent, summarize, formatter1, formatter2)

    edge = PRINT_OPTS.edgeitems
    if summarize and data.shape[0] > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(data.shape[0] - edge, data.shape[0]))
    else:
        rows = list(range(data.shape[0]))
    slices = [
        "..."
        if i is None
        else _tensor_str_with_formatter(data[i], indent + 1, summarize, formatter1, formatter2)
        for i in rows
    ]
    # Sub-blocks of an n-d tensor are separated by n-1 newlines (n-2 blank lines).
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized_data(data: np.ndarray) -> np.ndarray:
    """The values that a summarised print actually shows (torch's get_summarized_data).

    Only these feed the formatter, so hidden values do not affect the style or width.
    """
    edge = PRINT_OPTS.edgeitems
    if data.ndim == 0:
        return data
    if data.ndim == 1:
        # With edge == 0, data[-0:] is the whole vector; torch behaves the same way.
        if data.shape[0] > 2 * edge:
            return np.concatenate((data[:edge], data[-edge:]))
        return data
    if not edge:
        return data[(slice(0, 0),) * data.ndim]
    if data.shape[0] > 2 * edge:
        rows: list[int] | range = (
            list(range(edge)) + list(range(data.shape[0] - edge, data.shape[0]))
        )
    else:
        rows = range(data.shape[0])
    return np.stack([_summarized_data(data[i]) for i in rows])


def _tensor_str(data: np.ndarray, indent: int) -> str:
    """The bracketed body of the repr, e.g. ``[[1, 2],\\n        [3, 4]]``."""
    if data.size == 0:
        return "[]"
    summarize = data.size > PRINT_OPTS.threshold
    shown = _summarized_data(data) if summarize else data
    if data.dtype.kind == "c":
        # Complex numbers get separate formatters for the real and imaginary parts.
        return _tensor_str_with_formatter(
            data, indent, summarize, _Formatter(shown.real), _Formatter(shown.imag)
        )
    return _tensor_str_with_formatter(data, indent, summarize, _Formatter(shown))


def _add_suffixes(tensor_str, suffixes, indent, force_newline) -> str:
    """Append ``, suffix`` items, wrapping onto a new line when they would not fit."""
    parts = [tensor_str]
    # torch's formula (it over-counts by 2 when there is no newline); kept for fidelity.
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if force_newline or last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
            force_newline = False
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def format_tensor(
    data: np.ndarray,
    *,
    dtype_name: str,
    default_dtype_name: str,
    grad_fn_name: str | None = None,
    requires_grad: bool = False,
    prefix: str = "tensor(",
    meta: bool = False,
    tensor_contents: str | None = None,
) -> str:
    """Return exactly what ``repr(torch_tensor)`` prints for a dense CPU or meta tensor.

    ``data`` holds the values (float16/32/64, signed/unsigned ints, bool, complex).
    ``dtype_name`` is e.g. ``"torch.float32"`` and ``default_dtype_name`` the current
    ``torch.get_default_dtype()`` name.  ``grad_fn_name`` (e.g. ``"MulBackward0"``)
    takes precedence over ``requires_grad``.  The ``prefix`` sets the indentation of
    continuation lines (its length), as for torch's ``tensor(``. A ``meta`` tensor has
    no values: torch prints ``...``, the device, the size and a dtype that is not the
    default float one. A given ``tensor_contents`` string replaces the bracketed values
    (torch's ``Tensor.__repr__(tensor_contents=...)``); the suffixes stay as they are.
    """
    data = np.asarray(data)
    indent = len(prefix)
    suffixes = []

    # int64 and bool are what torch.tensor() infers from Python ints and bools, and the
    # default complex dtype follows the default float dtype; those are never shown.
    default_complex = (
        "torch.complex128" if default_dtype_name == "torch.float64" else "torch.complex64"
    )
    has_default_dtype = dtype_name in (
        default_dtype_name,
        default_complex,
        "torch.int64",
        "torch.bool",
    )

    if meta:
        suffixes += ["device='meta'", "size=" + str(tuple(data.shape))]
        if dtype_name != default_dtype_name:
            suffixes.append("dtype=" + dtype_name)
        tensor_str = "..."
    elif data.size == 0:
        # Like NumPy, show the shape unless it is the plain 1-d "(0,)".
        if data.ndim != 1:
            suffixes.append("size=" + str(tuple(data.shape)))
        # With no elements, nothing hints at the dtype, so any non-default one is shown.
        if dtype_name != default_dtype_name:
            suffixes.append("dtype=" + dtype_name)
        tensor_str = "[]"
    else:
        # edgeitems=0 prints only "...", so the size is the sole remaining information.
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(data.shape)))
        if not has_default_dtype:
            suffixes.append("dtype=" + dtype_name)
        tensor_str = _tensor_str(data, indent) if tensor_contents is None else ""

    if tensor_contents is not None:
        tensor_str = tensor_contents

    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + tensor_str, suffixes, indent, force_newline=False)


# torch defines no Tensor.__str__, so str() and repr() of a CPU tensor are identical.
format_tensor_str = format_tensor
