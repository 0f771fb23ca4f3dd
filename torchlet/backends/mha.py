"""torch.backends.mha: the switch of the inference fast paths of nn.MultiheadAttention and
nn.TransformerEncoder(Layer) (eval mode, no gradient needed, batch_first, ...). torchlet
follows those paths where they differ visibly from the ordinary ones (see
``MultiheadAttention._fast_forward``); turned off, the ordinary paths run, as in torch."""

_is_fastpath_enabled: bool = True


def get_fastpath_enabled() -> bool:
    """Whether the fast paths may run (they run only when all their conditions hold)."""
    return _is_fastpath_enabled


def set_fastpath_enabled(value: bool) -> None:
    """Allow or forbid the fast paths."""
    global _is_fastpath_enabled
    _is_fastpath_enabled = value
