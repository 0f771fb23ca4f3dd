"""errors28: torch's exception types and messages for bad arguments, compared live with
torch 2.13.0 (each case is skipped where torch is not installed):

1. clamp / clip / clamp_min / clamp_max (methods, functions, in-place forms) given a bound
   that is neither a Tensor nor a number, a missing clamp_min bound, or a Tensor with a
   number: torch's invalid combination, a ``max=`` without ``min`` listed by keyword;
2. torch.fill / torch.fill_ / index_fill / index_fill_ with a str, None or list value (or
   a non-int dim, a non-Tensor index): TypeError, not ValueError;
3. Tensor.set_ refuses a None source, a non-int offset, a non-tuple size, unknown keywords;
4. random_ / bernoulli_ / bernoulli: non-int bounds, None, bounds outside int64, a
   generator of the wrong type, a p tensor of the wrong shape; their valid calls still
   draw torch's numbers (``random_(1, None)`` draws from 1 up, not below 1);
5. the indexing methods (gather, index_select, take, masked_fill, scatter, ...) count
   their arguments without self and list the method's overloads; the conversion methods
   (float, long, ...) take only ``memory_format``, by keyword.
"""

import re

import numpy as np
import pytest

import torchlet


def _torch():
    return pytest.importorskip("torch")


def _outcome(code: str, lib):
    """(exception type name, message) of running ``code`` with ``torch`` bound to ``lib``
    (object addresses and the library's name normalised), or ("ok", result as a list)."""
    names = {"torch": lib, "np": np}
    exec("t = torch.tensor([1., 2., 3.]); i = torch.tensor([0]); "  # noqa: S102
         "m = torch.arange(6.).reshape(2, 3); b = torch.tensor([True, False, True])", names)
    try:
        result = eval(code, names)  # noqa: S307 - (the call compared on both libraries)
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        message = re.sub(r"0x[0-9a-f]+", "0x?", str(error)).replace("torchlet", "torch")
        return type(error).__name__, message
    return "ok", result.tolist() if hasattr(result, "tolist") else result


def _same(code: str) -> None:
    torch = _torch()
    expected = _outcome(code, torch)
    assert _outcome(code, torchlet) == expected


CLAMP = [
    "t.clamp_(max='a')", "t.clamp(max='a')", "t.clip(max='a')", "t.clip_(max='a')",
    "t.clamp('a')", "t.clamp_(None, 'a')", "t.clamp(0, 'a')", "t.clamp_(1, 'a')",
    "t.clamp_min('a')", "t.clamp_max('a')", "t.clamp_min_('a')", "t.clamp_max_([1])",
    "t.clamp_min(None)", "t.clamp_max_(None)", "t.clamp(torch.ones(3), 1)",
    "t.clamp_(torch.ones(3), 1)", "t.clamp(torch.tensor(0.), 2)", "t.clamp_(torch.tensor(0.), 2)",
    "t.clamp(None, None)", "t.clamp(min=1, max=0)",
    "torch.clamp(t, 'a')", "torch.clamp(t, max='a')", "torch.clamp(t, 0, 'a')",
    "torch.clip(t, 0, 'a')", "torch.clamp_min(t, 'a')", "torch.clamp_min(t, None)",
    "torch.clamp_max(t, [1])", "torch.clamp(t, torch.ones(3), 1)", "torch.clamp_(t, 0, 'a')",
    "torch.clamp_(t, max='a')", "torch.clip_(t, max='a')", "torch.clamp_min_(t, 'a')",
    "torch.clamp_max_(t, None)", "torch.clamp(t, np.float64(1), 2)",
]
FILL = [
    "t.fill_('a')", "torch.fill(t, 'a')", "torch.fill_(t, 'a')", "torch.fill(t, None)",
    "torch.fill(t, [1])", "torch.fill('a', 1)", "torch.fill(t, torch.ones(2))",
    "t.index_fill_(0, i, 'a')", "t.index_fill(0, i, 'a')", "torch.index_fill(t, 0, i, 'a')",
    "t.index_fill(0, i, None)", "t.index_fill('a', i, 1)", "t.index_fill(0, [0], 1)",
    "torch.index_fill(t, 0, [0], 1)", "t.index_fill(0.0, i, 1)", "t.index_fill(5, i, 1)",
    "t.index_fill(0, i, np.float64(2))", "t.index_fill(0, i, torch.ones(2))",
]
SET = [
    "t.set_(None)", "t.set_(source=None)", "t.set_(t, None)", "t.set_(t, 0, None)",
    "t.set_(t, 0, 3)", "t.set_(t.untyped_storage(), 'a')",
    "t.set_(t.untyped_storage(), 0, (3,), 'a')", "t.set_(None, None)", "t.set_(t, 0.0, (3,))",
    "t.set_(np.ones(3))", "t.set_(foo=1)", "t.set_(t.untyped_storage(), 0, (3, 'a'))",
    "t.set_(t.untyped_storage(), 0, (3,), stride='a')", "t.set_(t, 0, (3,), 1)",
    "t.set_(t, 0, (3,), (1,)).tolist()", "t.set_(t.untyped_storage(), 0, size=(2,)).tolist()",
    "t.set_(t, np.int64(1), [2]).tolist()", "t.set_().tolist()",
]
RANDOM = [
    "t.random_(5, 2)", "t.random_('a')", "t.random_(None)", "t.random_(None, 5)",
    "t.random_(1.5)", "t.random_(2, 1.5)", "t.random_(True)", "t.random_(1, True)",
    "t.random_(to=None)", "t.random_(torch.tensor([3]))", "t.random_(0, 2**70)",
    "t.random_(2**70)", "t.random_(-2**63)", "t.random_(None, None)",
    "t.random_(0, 5, generator=1)", "t.random_(1, None, generator=1)",
    "t.random_('a', 5, generator=torch.Generator())",
    "t.random_(1, 'a', generator=torch.Generator())",
    "t.random_(5, generator=1)", "t.random_(generator='a')", "t.random_(to=5, generator=1)",
    "torch.ones(3, dtype=torch.uint8).random_(0, 300)",
    "t.bernoulli_(1.5)", "t.bernoulli_(-0.1)", "t.bernoulli_('a')", "t.bernoulli_(None)",
    "t.bernoulli_(1+0j)", "t.bernoulli_(torch.tensor([2., 0.5, 0.1]))",
    "t.bernoulli_(torch.ones(4))",
    "t.bernoulli_(torch.ones(2, 3))", "t.bernoulli_(0.5, generator=1)", "t.bernoulli_(generator=1)",
    "torch.bernoulli(t, 'a')", "torch.bernoulli(t, 1.5)",
    "torch.bernoulli(t, generator=1)", "torch.bernoulli(t, torch.ones(3))", "torch.bernoulli('a')",
    "torch.bernoulli(t, 0.5, generator=1)", "torch.bernoulli(t, out=1)", "t.bernoulli('a')",
    "t.bernoulli(None)", "t.bernoulli(torch.ones(3))", "t.bernoulli(2.0)",
]
METHODS = [
    "t.index_select(0, [0])", "m.gather(1, [[0]])", "m.scatter_add(1, i.reshape(1, 1), 1.0)",
    "t.take([0])", "t.masked_scatter(b, 'a')", "t.masked_select([1])",
    "m.scatter(1, i.reshape(1, 1), 'a')", "m.scatter(1, i.reshape(1, 1))",
    "t.masked_fill(b, 'a')", "t.masked_fill(b, None)",
    "t.long('a')", "t.float(1, 2)", "t.double(memory_format='a')", "t.int(None)",
    "t.bool(1)", "t.half(t)", "t.byte(memory_format=None)",
    "m.reshape(1, 2, 3, 1).float(memory_format=torch.channels_last).stride()",
]


@pytest.mark.parametrize("code", CLAMP)
def test_clamp_argument_errors(code):
    _same(code)


@pytest.mark.parametrize("code", FILL)
def test_fill_argument_errors(code):
    _same(code)


@pytest.mark.parametrize("code", SET)
def test_set_argument_errors(code):
    _same(code)


@pytest.mark.parametrize("code", RANDOM)
def test_random_argument_errors(code):
    _same(code)


@pytest.mark.parametrize("code", METHODS)
def test_method_argument_errors(code):
    _same(code)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8"])
@pytest.mark.parametrize("call", [
    "random_()", "random_(5)", "random_(2, 9)", "random_(1, None)", "random_(to=7)",
    "random_(np.int64(3))", "random_(torch.tensor(4))", "random_(3, generator=g)",
    "bernoulli_()", "bernoulli_(0.3)", "bernoulli_(torch.full((5,), 0.2))",
    "bernoulli_(torch.tensor(0.7))", "bernoulli_(np.float32(0.4))",
    "bernoulli_(p=0.2, generator=g)",
])
def test_random_fills_still_draw_torchs_numbers(dtype, call):
    torch = _torch()
    results = []
    for lib in (torch, torchlet):
        lib.manual_seed(3)
        g = lib.Generator().manual_seed(5)
        t = lib.zeros(5, dtype=getattr(lib, dtype))
        results.append(eval(f"t.{call}", {"torch": lib, "t": t, "g": g, "np": np}).tolist())  # noqa: S307
    assert results[0] == results[1]


@pytest.mark.parametrize("code", [
    "torch.bernoulli(t * 0 + 0.5)", "torch.bernoulli(t * 0, 0.3)",
    "torch.bernoulli(t * 0, torch.tensor(0.6))", "(t * 0 + 0.4).bernoulli()",
    "(t * 0).bernoulli(0.9)",
])
def test_bernoulli_still_draws_torchs_numbers(code):
    torch = _torch()
    results = []
    for lib in (torch, torchlet):
        lib.manual_seed(7)
        results.append(_outcome(code, lib))
    assert results[0] == results[1]
