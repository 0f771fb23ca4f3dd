"""torch.__future__: opt-in flags for behaviours torch plans to make the default.

Both change what ``nn.Module._apply`` (``.to()``, ``.double()``, ``.to_empty()``, ...)
does with a module's parameters; the second also ``load_state_dict``:

- overwrite: each parameter becomes a new ``Parameter`` object (instead of the same
  object getting the converted values through ``.data =``);
- swap: the same object keeps its identity but takes over the whole content of the
  converted tensor (``torch.utils.swap_tensors``), even across devices (meta); it takes
  precedence over overwrite.
"""

_overwrite_module_params_on_conversion: bool = False
_swap_module_params_on_conversion: bool = False


def set_overwrite_module_params_on_conversion(value: bool) -> None:
    """Whether converting an ``nn.Module`` assigns new Parameter objects to it."""
    global _overwrite_module_params_on_conversion
    _overwrite_module_params_on_conversion = value


def get_overwrite_module_params_on_conversion() -> bool:
    """See :func:`set_overwrite_module_params_on_conversion` (default False)."""
    return _overwrite_module_params_on_conversion


def set_swap_module_params_on_conversion(value: bool) -> None:
    """Whether converting an ``nn.Module`` (and ``load_state_dict``) swaps the content of
    its parameters in place, keeping their identity."""
    global _swap_module_params_on_conversion
    _swap_module_params_on_conversion = value


def get_swap_module_params_on_conversion() -> bool:
    """See :func:`set_swap_module_params_on_conversion` (default False)."""
    return _swap_module_params_on_conversion
