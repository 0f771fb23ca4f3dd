"""torchlet's public random API against PyTorch, bit for bit.

The kernels are tested in depth in test_random_kernels.py; this file checks the public
layer: signatures, the default and explicit generators, dtypes, in-place fills of
non-contiguous tensors (filled in memory order), interleaved sequences (the normal cache),
state save/restore, and errors. Spec test vectors run without torch.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def bits(t):
    return t.detach().numpy().copy()


# -- spec §14 test vectors through the public API (no torch needed) ----------------------


def test_mission_randn_prints_like_torch():
    torchlet.manual_seed(0)
    assert repr(torchlet.randn(5)) == "tensor([ 1.5410, -0.2934, -2.1788,  0.5684, -1.0845])"


@pytest.mark.parametrize("call,expected", [
    ("manual_seed(0); rand(3)", [0x3efe1558, 0x3f44aa2f, 0x3db533a8]),
    ("manual_seed(2023); rand(2, 3)", [0x3edba6ae, 0x3f385619, 0x3f72b9c6, 0x3ef5956e,
                                       0x3f0a97a1, 0x3f7d96dc]),
    ("manual_seed(0); randn(5)", [0x3fc53f5c, 0xbe963c50, 0xc00b7149, 0x3f1184b6, 0xbf8ad1a1]),
    ("manual_seed(0); randn(16)[0:4]", [0xbf901b85, 0xbf93808a, 0xbe804bd6, 0xbede255d]),
    ("manual_seed(0); randn(20)[16:20]", [0x3f6e8c30, 0x3fa12737, 0x4000519a, 0x3d5c1b3a]),
    ("manual_seed(1); empty(4).normal_(0.5, 2.0)", [0x3fe94e60, 0x3f845523, 0x3f1f9429,
                                                    0x3fdf0ea7]),
    ("manual_seed(0); empty(4).uniform_(-0.1, 0.1)", [0xba444333, 0x3d5bba30, 0xbda88f45,
                                                      0xbd96b867]),
    ("manual_seed(0); empty(3).exponential_()", [0x4060886b, 0x3f9d7d3f, 0x3f1d7388]),
    ("manual_seed(2**32 + 5); rand(2)", [0x3f548b63, 0x3e012338]),
])
def test_float32_vectors(call, expected):
    seed_part, expr = call.split("; ")
    eval("torchlet." + seed_part)  # noqa: S307
    result = eval("torchlet." + expr)  # noqa: S307
    assert result.numpy().view(np.uint32).reshape(-1).tolist() == expected


@pytest.mark.parametrize("call,expected", [
    ("randint(0, 10, (8,))", [4, 9, 3, 0, 3, 9, 7, 3]),
    ("randint(-5, 5, (6,))", [-1, 4, -2, -5, -2, 4]),
    ("randint(0, 2**28, (3,))", [130329135, 136432832, 195187451]),
    ("randperm(10)", [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]),
    ("empty(3, dtype=torchlet.int64).random_()", [900450186894289455, 3969543146641149120,
                                                 1895649597198586619]),
    ("empty(10).bernoulli_(0.3)", [0, 0, 0, 0, 0, 0, 1, 0, 0, 1]),
    ("multinomial(torchlet.tensor([.1, .2, .3, .4]), 2)", [2, 1]),
    ("multinomial(torchlet.tensor([.1, .2, .3, .4]), 8, replacement=True)",
     [3, 3, 2, 3, 3, 3, 1, 2]),
])
def test_integer_vectors(call, expected):
    torchlet.manual_seed(0)
    assert eval("torchlet." + call).tolist() == expected  # noqa: S307


def test_seed_42_randperm_and_new_generator():
    torchlet.manual_seed(42)
    assert torchlet.randperm(100)[:10].tolist() == [42, 96, 62, 98, 46, 95, 60, 24, 78, 16]
    g = torchlet.Generator()
    assert g.initial_seed() == 67280421310721
    assert torchlet.rand(2, generator=g).numpy().view(np.uint32).tolist() == [
        0x3e88daec, 0x3f5f5e04]


def test_normal_cache_and_state_round_trip():
    torchlet.manual_seed(0)
    first, second = torchlet.randn(1), torchlet.randn(1)  # cosine, then the cached sine
    assert first.numpy().view(np.uint32)[0] == 0x3fc53f5c
    assert second.numpy().view(np.uint32)[0] == 0xbe963c50
    state = torchlet.get_rng_state()
    assert state.dtype is torchlet.uint8 and state.shape == (5056,)
    a = torchlet.randn(7)
    torchlet.set_rng_state(state)
    assert np.array_equal(bits(torchlet.randn(7)), bits(a))


def test_fork_rng_restores():
    torchlet.manual_seed(3)
    with torchlet.random.fork_rng():
        inside = torchlet.rand(4)
    after = torchlet.rand(4)
    assert np.array_equal(bits(inside), bits(after))


def test_initial_seed_and_seed():
    torchlet.manual_seed(-1)
    assert torchlet.initial_seed() == 2**64 - 1
    s = torchlet.seed()
    assert torchlet.initial_seed() == s


# -- live comparisons --------------------------------------------------------------------

CALLS = [
    "rand(7)", "rand(3, 5)", "rand(20, dtype=L.float64)", "randn(3)", "randn(33)",
    "randn(4, 8)", "randn(17, dtype=L.float64)", "randint(3, 9, (5, 4))", "randint(10, (30,))",
    "randint(0, 2**40, (4,))", "randint(-3, 3, (6,), dtype=L.int32)", "randperm(50)",
    "randperm(7, dtype=L.float32)", "normal(0.5, 2.0, (20,))", "normal(L.zeros(3), L.ones(3))",
    "normal(L.arange(20.0), 2.0)", "normal(1.0, L.arange(1.0, 18.0))",
    "bernoulli(L.full((19,), 0.3))", "bernoulli(L.full((5,), 0.7, dtype=L.float64))",
    "bernoulli(L.zeros(5), 0.4)", "multinomial(L.tensor([[1.0, 2, 3], [3, 0, 1]]), 2)",
    "multinomial(L.tensor([1.0, 2, 3, 4]), 10, replacement=True)",
    "poisson(L.full((6,), 3.5))", "rand_like(L.zeros(2, 3, dtype=L.float64))",
    "randn_like(L.zeros(20))", "randint_like(L.zeros(4), 5)", "randint_like(L.zeros(4), 2, 9)",
    "empty(3, 4).uniform_(-2, 3)", "empty(40).normal_(1, 3)", "empty(5, 6).t().normal_()",
    "empty(5, 6).t().uniform_()", "empty(4, 5)[:, 1:3].normal_(2, 0.5)",
    "empty(6, dtype=L.int64).random_(10)", "empty(6).random_(3, 12)",
    "empty(6, dtype=L.int32).random_()", "empty(8).bernoulli_(0.25)",
    "empty(8).bernoulli_(L.full((8,), 0.6))", "empty(5).exponential_(2.0)",
    "empty(5).geometric_(0.3)", "empty(5).log_normal_(0.5, 0.25)", "empty(5).cauchy_(1, 2)",
    "empty(5, dtype=L.float16).uniform_()", "empty(20, dtype=L.float16).normal_()",
]


@needs_torch
@pytest.mark.parametrize("seed", [0, 2023, 2**32 + 5, -7])
@pytest.mark.parametrize("call", CALLS)
def test_matches_torch(call, seed):
    def run(lib):
        lib.manual_seed(seed)
        return eval("L." + call, {"L": lib})  # noqa: S307

    ours, theirs = run(torchlet), run(torch)
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    assert np.array_equal(bits(ours), bits(theirs), equal_nan=True)


@needs_torch
def test_interleaved_sequence_matches_torch():
    def run(lib):
        lib.manual_seed(11)
        g = lib.Generator().manual_seed(5)
        out = [lib.randn(3), lib.rand(2), lib.randn(5), lib.randn(1), lib.randint(9, (3,)),
               lib.randn(2, generator=g), lib.randn(1), lib.randperm(12, generator=g),
               lib.empty(3).normal_(), lib.randn(16), lib.rand(3, generator=g)]
        return [bits(t) for t in out] + [lib.get_rng_state().numpy().tobytes(),
                                         g.get_state().numpy().tobytes()]

    for ours, theirs in zip(run(torchlet), run(torch)):
        assert np.array_equal(ours, theirs) if isinstance(ours, np.ndarray) else ours == theirs


@needs_torch
def test_state_exchanges_with_torch():
    torch.manual_seed(123)
    torch.randn(3)  # leaves a cached normal in the state
    torchlet.set_rng_state(torchlet.tensor(torch.get_rng_state().numpy()))
    assert np.array_equal(bits(torchlet.randn(5)), bits(torch.randn(5)))


ERRORS = [
    "randint(5, 2, (3,))", "rand(-1)", "randn(2, -3)", "randperm(-2)",
    "multinomial(L.tensor([-1.0, 2.0]), 1)", "multinomial(L.tensor([0.0, 0.0]), 1)",
    "multinomial(L.tensor([1.0, 2.0]), 3)", "empty(3).bernoulli_(1.5)",
    "bernoulli(L.tensor([0.5, 2.0]))", "manual_seed(2**64)", "empty(3).uniform_(2, 1)",
    "empty(3).normal_(0, -1)", "empty(3, dtype=L.int64).uniform_()", "rand(2, dtype=L.int64)",
    "randint(0, 10, (2,), dtype=L.bool)",
]


@pytest.mark.parametrize("call", ERRORS)
def test_bad_input_raises_torchs_type(call):
    with pytest.raises(Exception) as ours:
        eval("L." + call, {"L": torchlet})  # noqa: S307
    if torch is not None:
        with pytest.raises(Exception) as theirs:
            eval("L." + call, {"L": torch})  # noqa: S307
        assert type(ours.value).__name__ == type(theirs.value).__name__, (
            f"torchlet {ours.value!r} vs torch {theirs.value!r}"
        )


def test_random_fill_of_leaf_requiring_grad_is_refused():
    x = torchlet.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.uniform_()
    with torchlet.no_grad():
        x.uniform_()  # nn.init does this
    assert x.requires_grad and x._version == 1
