"""torch.random: the default generator, seeding, and saving/restoring its state.

The generator reproduces PyTorch's CPU generator bit for bit (an MT19937 stream and
PyTorch's exact transforms; see ``torchlet/_generator.py`` and
``torchlet/_random_kernels.py``). ``manual_seed(0); randn(5)`` gives PyTorch's numbers.
"""

from __future__ import annotations

import contextlib

import numpy as np

from torchlet import _generator
from torchlet._dtype import type_name
from torchlet._tensor import Tensor, wrap

__all__ = [
    "Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed",
    "manual_seed", "seed", "set_rng_state",
]


class Generator(_generator.Generator):
    """``torch.Generator``: a random-number generator with its own state.

    ``get_state``/``set_state`` exchange the state as a uint8 tensor in PyTorch's byte
    layout, so a state saved by PyTorch can be loaded here and the other way round.
    """

    def get_state(self) -> Tensor:
        return wrap(super().get_state())

    def set_state(self, new_state) -> Generator:
        if isinstance(new_state, Tensor):
            new_state = new_state._data
        return super().set_state(new_state)

    def clone_state(self) -> Generator:
        """A new Generator at this one's state (seed, stream position, normal caches):
        both then draw the same numbers. (The base class's ``clone_state`` is a cheap
        snapshot tuple for ``restore_state``; torch's method returns a Generator.)"""
        twin = Generator(self.device)
        twin.restore_state(super().clone_state())
        return twin

    def get_offset(self) -> int:
        raise RuntimeError("CPU Generator does not use offset")

    def set_offset(self, offset) -> Generator:
        raise RuntimeError("CPU Generator does not use offset")

    def graphsafe_get_state(self):
        raise NotImplementedError("graphsafe_get_state is not supported in this Generator")

    def graphsafe_set_state(self, state):
        raise NotImplementedError("graphsafe_set_state is not supported in this Generator")

    def __repr__(self):
        return f"<torch._C.Generator object at {hex(id(self))}>"

    def __reduce__(self):
        """Pickled as torch pickles a generator: ``Generator(device)``, then the state
        ``(initial_seed, offset, state)`` (the offset is None for CPU generators). So
        ``copy.deepcopy`` and checkpoints (which write torch's class name) carry it."""
        return (type(self), (self.device,), (self.initial_seed(), None, self.get_state()))

    def __setstate__(self, state) -> None:
        """Restore ``(initial_seed, offset, state)`` as torch does: seed, then the state."""
        initial_seed, _offset, new_state = state
        self.manual_seed(initial_seed)
        self.set_state(new_state)


# As in torch, the default generator starts from 64 nondeterministic bits.
default_generator = Generator()
default_generator.seed()


def manual_seed(seed) -> Generator:
    """Seed the default generator; returns it. ``manual_seed(0)`` makes runs repeatable."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    """Seed the default generator with a nondeterministic value and return it."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed last given to the default generator."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state as a uint8 tensor (PyTorch's layout, 5056 bytes)."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default generator's state from ``get_rng_state()``'s tensor."""
    if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
        raise TypeError(
            f"expected a torch.ByteTensor, but got {type_name(new_state)}"
            if not isinstance(new_state, Tensor) else
            "RNG state must be a torch.ByteTensor"
        )
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Run a block with the default generator's state saved and restored afterwards."""
    if not enabled:
        yield
        return
    saved = default_generator.get_state()
    try:
        yield
    finally:
        default_generator.set_state(saved)


def _generator_or_default(generator) -> _generator.Generator:
    """The generator a random function draws from."""
    if generator is None:
        return default_generator
    if not isinstance(generator, _generator.Generator):
        raise TypeError(
            f"expected a torch.Generator for argument 'generator', got "
            f"{type_name(generator)}"
        )
    return generator
