"""Argument checking of the creation and random functions, found by a differential hunt
against torch: ``requires_grad`` / ``pin_memory`` must be Python bools (or None), a bad one
is torch's TypeError (the "invalid combination" form for overloaded functions);
``pin_memory=True`` is torch's RuntimeError on a machine without an accelerator; a dtype
that is no torch.dtype is refused by the overloaded functions too."""

import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # the hand-derived expectations below still run
    torch = None

NO_PIN = "pin_memory=True requires a CUDA or other accelerator backend"

# (call expression, the exception torch raises; None where it returns a tensor)
CASES = [
    ("torch.zeros(2, 3, requires_grad=1)", TypeError),
    ("torch.ones((2,), requires_grad=np.bool_(True))", TypeError),
    ("torch.empty(2, requires_grad=0)", TypeError),
    ("torch.zeros(2, pin_memory=1)", TypeError),
    ("torch.zeros(2, pin_memory=True)", RuntimeError),
    ("torch.zeros(2, pin_memory=True, device='meta')", None),
    ("torch.zeros(2, requires_grad=None)", None),
    ("torch.full((2,), 1.5, pin_memory=False)", None),
    ("torch.full((2,), 1.5, pin_memory=1)", TypeError),
    ("torch.full((2,), 1.5, requires_grad=1)", TypeError),
    ("torch.tensor([1.], requires_grad=1)", TypeError),
    ("torch.tensor([1.], pin_memory=True)", RuntimeError),
    ("torch.scalar_tensor(1., pin_memory=1)", TypeError),
    ("torch.zeros_like(torch.ones(2), pin_memory=False)", None),
    ("torch.ones_like(torch.ones(2), requires_grad=1)", TypeError),
    ("torch.empty_like(torch.ones(2), pin_memory=True)", RuntimeError),
    ("torch.full_like(torch.ones(2), 3, requires_grad=np.bool_(False))", TypeError),
    ("torch.rand(2, requires_grad=None)", None),
    ("torch.rand(2, requires_grad=1)", TypeError),
    ("torch.randn(2, 3, pin_memory=1)", TypeError),
    ("torch.rand(2, pin_memory=True)", RuntimeError),
    ("torch.rand(2, dtype=np.float32)", TypeError),
    ("torch.randn((2,), dtype='float32')", TypeError),
    ("torch.randint(10, (3,), requires_grad=0)", TypeError),
    ("torch.randint(2, 10, (3,), dtype=np.int64)", TypeError),
    ("torch.randperm(5, requires_grad=1)", TypeError),
    ("torch.randperm(5, pin_memory=True)", RuntimeError),
    ("torch.rand_like(torch.ones(2), requires_grad=1)", TypeError),
    ("torch.randn_like(torch.ones(2), pin_memory=False)", None),
    ("torch.randint_like(torch.ones(2), 3, pin_memory=1)", TypeError),
    ("torch.arange(3, requires_grad=1)", TypeError),
    ("torch.arange(3, pin_memory=None)", None),
    ("torch.arange(1, 3, pin_memory=True)", RuntimeError),
    ("torch.arange(3, dtype='float32')", TypeError),
    ("torch.linspace(0, 1, 3, requires_grad=1)", TypeError),
    ("torch.linspace(0, 1, 3, pin_memory=False)", None),
    ("torch.logspace(0, 1, 3, pin_memory=True)", RuntimeError),
    ("torch.linspace(0, 1, 3, dtype=np.float64)", TypeError),
    ("torch.eye(2, requires_grad=1)", TypeError),
    ("torch.eye(2, 3, pin_memory=1)", TypeError),
    ("torch.eye(2, pin_memory=False)", None),
    ("torch.eye(2, dtype='float32')", TypeError),
    ("torch.hann_window(4, requires_grad=1)", TypeError),
    ("torch.kaiser_window(4, pin_memory=True)", RuntimeError),
    ("torch.hamming_window(4, dtype=np.float32)", TypeError),
    ("torch.tril_indices(3, 3, pin_memory=1)", TypeError),
    ("torch.triu_indices(3, 3, pin_memory=True)", RuntimeError),
    ("torch.tril_indices(3, 3, dtype='int64')", TypeError),
    ("torch.tril_indices(3, 3, requires_grad=True)", RuntimeError),
    ("torch.triu_indices(3, 3, requires_grad=None)", None),
    ("torch.normal(0., 1., (3,), requires_grad=1)", TypeError),
    ("torch.normal(0., 1., (3,), pin_memory=True)", RuntimeError),
    ("torch.normal(torch.zeros(3), 1., dtype=torch.float64)", TypeError),
    ("torch.normal(torch.zeros(3), 1., requires_grad=True)", TypeError),
    ("torch.range(1, 3, requires_grad=1)", TypeError),
    ("torch.nn.Parameter(torch.ones(2), 1)", TypeError),
    ("torch.nn.Parameter(torch.ones(2), None)", TypeError),
    ("torch.nn.Parameter(torch.ones(2), np.bool_(True))", TypeError),
]


def _outcome(lib, expr):
    lib.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return eval(expr, {"torch": lib, "np": np})  # noqa: S307
        except Exception as error:  # noqa: BLE001 (compared with torch's)
            return error


@pytest.mark.parametrize("expr,expected", CASES)
def test_hand_derived_outcome(expr, expected):
    got = _outcome(torchlet, expr)
    if expected is None:
        assert isinstance(got, torchlet.Tensor), got
    else:
        assert type(got) is expected, got
        if expected is RuntimeError and "pin_memory=True" in expr:
            assert NO_PIN in str(got)


def test_messages():
    with pytest.raises(TypeError, match=r"^zeros\(\): argument 'requires_grad' must be bool, "
                                        r"not int$"):
        torchlet.zeros(2, requires_grad=1)
    with pytest.raises(TypeError, match="argument 'pin_memory' must be bool, not numpy.bool"):
        torchlet.full((2,), 1.0, pin_memory=np.bool_(False))
    with pytest.raises(TypeError, match=r"^rand\(\) received an invalid combination of "
                                        r"arguments - got \(int, requires_grad=int\)"):
        torchlet.rand(2, requires_grad=1)
    with pytest.raises(TypeError, match=r"^_make_subclass\(\): argument 'require_grad' "
                                        r"\(position 3\) must be bool, not int$"):
        torchlet.nn.Parameter(torchlet.ones(2), 1)


def test_accepted_flags_keep_values():
    # requires_grad=None is the default; pin_memory=False changes nothing
    t = torchlet.rand(3, requires_grad=None, pin_memory=False)
    assert not t.requires_grad and t.shape == (3,)
    assert torchlet.eye(2, pin_memory=False).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert torchlet.arange(3, pin_memory=None).tolist() == [0, 1, 2]
    assert torchlet.full((2,), 2, pin_memory=False, requires_grad=False).tolist() == [2, 2]
    assert torchlet.zeros(2, pin_memory=True, device="meta").is_meta


def _describe(result):
    if isinstance(result, Exception):
        return type(result).__name__
    data = None if result.is_meta else result.detach().numpy().tobytes()
    return (str(result.dtype), tuple(result.shape), bool(result.requires_grad),
            str(result.device), data)


@pytest.mark.skipif(torch is None, reason="needs torch")
@pytest.mark.parametrize("expr,expected", CASES)
def test_against_torch(expr, expected):
    assert _describe(_outcome(torchlet, expr)) == _describe(_outcome(torch, expr))


def _sampled_exprs(count=80):
    """A fixed sample of calls: a creation function with a random keyword (valid or
    not) of the kinds the hunt found mismatches in."""
    rng = np.random.default_rng(16)
    calls = ["zeros(2, 3{})", "ones((2,){})", "full((2,), 1.5{})", "rand(2{})", "randn(3{})",
             "randint(5, (3,){})", "randperm(4{})", "arange(1, 4{})", "linspace(0, 1, 4{})",
             "logspace(0, 1, 3{})", "eye(2, 3{})", "tensor([1., 2.]{})",
             "zeros_like(torch.ones(2, 3).t(){})", "rand_like(torch.ones(2){})",
             "hann_window(5{})", "kaiser_window(4, False{})", "tril_indices(3, 4, 1{})",
             "normal(0., 1., (3,){})", "scalar_tensor(2.{})"]
    keywords = ["", "requires_grad=1", "requires_grad=0", "requires_grad=np.bool_(True)",
                "requires_grad=None", "pin_memory=1", "pin_memory=None", "pin_memory=False",
                "pin_memory=True", "dtype=np.float32", "dtype='float64'", "dtype=torch.float64",
                "device='meta'", "device='cpu'", "generator=torch.Generator()"]
    picks = zip(rng.integers(len(calls), size=count), rng.integers(len(keywords), size=count))
    return [f"torch.{calls[i].format(', ' + keywords[k] if keywords[k] else '')}"
            for i, k in picks]


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_sampled_against_torch():
    mismatches = []
    for expr in _sampled_exprs():
        ours, theirs = _outcome(torchlet, expr), _outcome(torch, expr)
        if "empty" in expr and not isinstance(theirs, Exception):  # (values undefined)
            ours, theirs = (x if isinstance(x, Exception) else x.zero_() for x in (ours, theirs))
        if "window" in expr and not isinstance(theirs, Exception) and not theirs.is_meta:
            # (torch's vectorised cos can be an ulp away from torchlet's: values to 1e-6)
            assert isinstance(ours, torchlet.Tensor), (expr, ours)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)
            ours, theirs = (x.detach().zero_() for x in (ours, theirs))
        if _describe(ours) != _describe(theirs):
            mismatches.append((expr, _describe(ours)[:4], _describe(theirs)[:4]))
    assert not mismatches
