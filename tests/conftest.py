"""Test-wide settings: property-based tests draw the same examples on every run
(derandomize), so that CI is reproducible and a failure seen once is seen again."""

import pytest
from hypothesis import settings

import torchlet

settings.register_profile("torchlet", derandomize=True, deadline=None)
settings.load_profile("torchlet")


@pytest.fixture
def threads():
    """Run a test at several thread counts in both torch and torchlet (the sum-order
    tests: torch splits large reductions across threads), restoring both after."""
    torch = pytest.importorskip("torch")
    saved_torch, saved = torch.get_num_threads(), torchlet.get_num_threads()

    def use(n):
        torch.set_num_threads(n)
        torchlet.set_num_threads(n)

    yield use
    torch.set_num_threads(saved_torch)
    torchlet.set_num_threads(saved)


@pytest.fixture
def one_thread():
    """torchlet's sums on one thread (torch's order for one thread), restored after."""
    saved = torchlet.get_num_threads()
    torchlet.set_num_threads(1)
    yield
    torchlet.set_num_threads(saved)


@pytest.fixture
def torch_one_thread():
    """torch on one thread (one chunk per reduction, one SIMD tail per tensor: the orders
    torchlet follows by default), restored after. Without torch, nothing to do."""
    try:
        import torch
    except ImportError:
        yield
        return
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)
