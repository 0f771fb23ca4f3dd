"""Session 18 lead fixes: small gaps found by the helpers' hunts outside their files."""

import pytest

import torchlet


def test_unary_plus_is_positive():
    # torch: +x is torch.positive(x): x itself, and an error for a bool tensor
    x = torchlet.tensor([1.0, 2.0])
    assert (+x) is x
    with pytest.raises(RuntimeError, match=r"The `\+` operator, on a bool tensor is not"):
        +torchlet.tensor([True])  # noqa: B018


def test_unary_plus_matches_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="bool tensor is not supported"):
        +torch.tensor([True])  # noqa: B018
    x = torch.tensor([1.0])
    assert (+x) is x
