"""Regression tests for what the tutorials23 scripts (helper tutorials5) found.

Generator.clone_state: torch returns a new Generator at the same state (seed, stream
position, the cached second normal of a Box-Muller pair); torchlet returned its internal
snapshot tuple, so ``g.clone_state().get_state()`` raised AttributeError. The offset and
graph-safe state methods now raise torch's errors instead of AttributeError.
"""

import numpy as np
import pytest

import torchlet


def _draw(lib, kind, gen):
    if kind == "rand":
        return lib.rand(5, generator=gen)
    if kind == "randn32":
        return lib.randn(3, generator=gen)
    if kind == "randn64":  # odd counts leave a cached normal in the generator
        return lib.randn(3, dtype=lib.float64, generator=gen)
    if kind == "randint":
        return lib.randint(0, 100, (4,), generator=gen)
    if kind == "normal_":
        return lib.empty(17, dtype=lib.float64).normal_(2.0, 0.5, generator=gen)
    if kind == "randperm":
        return lib.randperm(9, generator=gen)
    raise ValueError(kind)


def _clone_stream(lib, seed, before, after):
    g = lib.Generator().manual_seed(seed)
    for kind in before:
        _draw(lib, kind, g)
    twin = g.clone_state()
    ours = [_draw(lib, kind, twin).numpy() for kind in after]
    theirs = [_draw(lib, kind, g).numpy() for kind in after]
    return twin, ours, theirs


def test_clone_state_is_a_generator_at_the_same_state():
    g = torchlet.Generator().manual_seed(7)
    torchlet.randn(1, dtype=torchlet.float64, generator=g)  # caches the pair's sine half
    twin = g.clone_state()
    assert isinstance(twin, torchlet.Generator) and twin is not g
    assert twin.initial_seed() == 7
    assert torchlet.equal(twin.get_state(), g.get_state())
    # cloning does not advance the original, and the two streams are independent copies
    a = torchlet.randn(5, dtype=torchlet.float64, generator=g)
    b = torchlet.randn(5, dtype=torchlet.float64, generator=twin)
    assert torchlet.equal(a, b)
    torchlet.rand(3, generator=twin)
    assert not torchlet.equal(twin.get_state(), g.get_state())
    # the default generator clones too
    assert isinstance(torchlet.default_generator.clone_state(), torchlet.Generator)


def test_clone_state_repeats_the_stream_by_hand():
    g = torchlet.Generator().manual_seed(123)
    twin, ours, theirs = _clone_stream(
        torchlet, 123, ["rand", "randn64"], ["randn64", "randint", "rand"]
    )
    for x, y in zip(ours, theirs):
        np.testing.assert_array_equal(x, y)
    assert twin.initial_seed() == g.initial_seed() == 123


def test_offset_and_graphsafe_methods_raise_torchs_errors():
    g = torchlet.Generator()
    with pytest.raises(RuntimeError, match="CPU Generator does not use offset"):
        g.get_offset()
    with pytest.raises(RuntimeError, match="CPU Generator does not use offset"):
        g.set_offset(3)
    with pytest.raises(NotImplementedError, match="graphsafe_get_state is not supported"):
        g.graphsafe_get_state()
    with pytest.raises(NotImplementedError, match="graphsafe_set_state is not supported"):
        g.graphsafe_set_state(g)


def test_clone_state_matches_torch():
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(5)
    assert type(g.clone_state()) is type(g)
    for lib in (torch, torchlet):
        g = lib.Generator().manual_seed(3)
        for name in ("get_offset", "graphsafe_get_state"):
            with pytest.raises((RuntimeError, NotImplementedError)) as info:
                getattr(g, name)()
            assert type(info.value).__name__ == (
                "RuntimeError" if name == "get_offset" else "NotImplementedError"
            )


KINDS = ["rand", "randn32", "randn64", "randint", "normal_", "randperm"]


def _configs():
    rng = np.random.default_rng(2023)
    out = []
    for _ in range(24):
        before = [KINDS[i] for i in rng.integers(0, len(KINDS), rng.integers(0, 4))]
        after = [KINDS[i] for i in rng.integers(0, len(KINDS), rng.integers(1, 4))]
        out.append((int(rng.integers(0, 2**31)), before, after))
    return out


@pytest.mark.parametrize("seed, before, after", _configs())
def test_clone_state_sampled_against_torch(seed, before, after):
    torch = pytest.importorskip("torch")
    _, ours, ours_orig = _clone_stream(torchlet, seed, before, after)
    _, theirs, _ = _clone_stream(torch, seed, before, after)
    for mine, orig, ref in zip(ours, ours_orig, theirs):
        np.testing.assert_array_equal(mine, ref)
        np.testing.assert_array_equal(orig, ref)
