"""Random numbers after the s18 speed work: same bits, same generator states.

* Gamma sampling (``_standard_gamma``, Dirichlet, Beta) runs ``_sample_gamma``'s common case
  inlined in one loop (``_gamma_loop``) with vectorised per-element constants.
* The generator saves/restores its stream position as raw bytes (``_mark``/``_rewind``).
* vmap with ``randomness="same"`` refuses batched inputs of ``bernoulli(x, p)``,
  ``_standard_gamma``, ``binomial``, ``_sample_dirichlet`` like torch.

Each is checked against torch live and, without torch, against the plain kernels / the
element-by-element sampler on the same draws.
"""

import numpy as np
import pytest

import torchlet
from torchlet._ops import random_gamma as RG


def gen(seed):
    return torchlet.Generator().manual_seed(seed)


def state(g):
    return g.get_state().numpy().tobytes()


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def test_mark_and_rewind_leave_the_stream():
    g = gen(5)
    g._u24(100)
    before = state(g)
    mark = g._mark()
    ahead = g._u24(700)
    g._rewind(mark)
    assert state(g) == before
    assert g._u24(700).tobytes() == ahead.tobytes()
    mark = g._mark()
    x = g._u53(1000)
    g._rewind(mark)
    assert g._u53(1000).tobytes() == x.tobytes()


def test_small_normals_match_torch(torch):
    """Runs of small randn / normal_ on one generator, interleaved with other draws, against
    torch: values and states."""
    tg, g = torch.Generator().manual_seed(42), gen(42)
    rng = np.random.default_rng(2)
    for _ in range(120):
        n = int(rng.integers(1, 300))
        r = rng.random()
        if r < 0.5:
            a, b = torch.randn(n, generator=tg), torchlet.randn(n, generator=g)
        elif r < 0.75:
            m, s = float(rng.choice([0.0, 0.5])), float(rng.choice([1.0, 2.0, 0.01]))
            a = torch.empty(n).normal_(m, s, generator=tg)
            b = torchlet.empty(n).normal_(m, s, generator=g)
        elif r < 0.85:
            a, b = torch.randn(n, 4, generator=tg), torchlet.randn(n, 4, generator=g)
        elif r < 0.95:
            a, b = torch.rand(n, generator=tg), torchlet.rand(n, generator=g)
        else:
            a = torch.randn(n, generator=tg, dtype=torch.float64)
            b = torchlet.randn(n, generator=g, dtype=torchlet.float64)
        assert a.numpy().tobytes() == b.numpy().tobytes()
    assert tg.get_state().numpy().tobytes() == state(g)


# ------------------------------------------------------------------------------- gamma


def _gamma_one_by_one(g, alphas, f32):
    """The element-by-element sampler, the reference for the inlined loop."""
    draws = RG._Draws(g)
    rnd = RG._to_f32 if f32 else RG._same
    try:
        return np.array([RG._sample_gamma(a, draws, rnd) for a in alphas])
    finally:
        draws.finish()


ALPHAS = [0.0, -1.0, np.nan, np.inf, 1e-30, 1e-3, 1 / 3, 0.3333333, 0.5, 0.999999, 1.0,
          2.0, 7.5, 1e30]


@pytest.mark.parametrize("f32", [False, True])
def test_gamma_loop_equals_element_by_element(f32):
    rng = np.random.default_rng(3)
    for case in range(30):
        n = int(rng.integers(1, 200))
        alphas = np.where(rng.random(n) < 0.15, rng.choice(ALPHAS, n),
                          np.exp(rng.uniform(-5, 3, n)))
        if f32:
            alphas = alphas.astype(np.float32).astype(np.float64)
        g, ref = gen(case), gen(case)
        if case % 2:  # an odd randn first leaves a normal in the cache
            g._scalar_normals(1)
            ref._scalar_normals(1)
        got = RG._gamma_samples(g, alphas, f32)
        want = _gamma_one_by_one(ref, alphas.tolist(), f32)
        assert got.tobytes() == want.tobytes()
        assert state(g) == state(ref)


def test_gamma_hand_values():
    """Known values (torch 2.13, manual_seed(0)): Gamma(2).sample((4,))."""
    torchlet.manual_seed(0)
    got = torchlet.distributions.Gamma(torchlet.tensor(2.0), torchlet.tensor(1.0)).sample((4,))
    assert got.tolist() == [4.5526227951049805, 1.3158268928527832, 0.6220217347145081,
                            0.434625506401062]


def test_gamma_family_matches_torch(torch):
    rng = np.random.default_rng(4)
    for case in range(40):
        n = int(rng.integers(1, 120))
        a = np.where(rng.random(n) < 0.1, rng.choice(ALPHAS[4:], n), rng.uniform(0.05, 6, n))
        dt = ["float32", "float64"][case % 2]
        tg, g = torch.Generator().manual_seed(case), gen(case)
        if case % 3 == 0:
            torch.randn(1, generator=tg, dtype=torch.float64)
            torchlet.randn(1, generator=g, dtype=torchlet.float64)
        x = torch.tensor(a, dtype=getattr(torch, dt))
        y = torchlet.tensor(a, dtype=getattr(torchlet, dt))
        kind = case % 4
        if kind == 0:
            p, q = torch._standard_gamma(x, generator=tg), torchlet._standard_gamma(y, generator=g)
        elif kind == 1:
            p = torch._sample_dirichlet(x.reshape(-1, 1).expand(-1, 3).contiguous(), generator=tg)
            q = torchlet._sample_dirichlet(y.reshape(-1, 1).expand(-1, 3).contiguous(),
                                           generator=g)
        elif kind == 2:
            c = rng.integers(0, 50, n).astype(float)
            p = torch.binomial(torch.tensor(c, dtype=x.dtype), x / 7, generator=tg)
            q = torchlet.binomial(torchlet.tensor(c, dtype=y.dtype), y / 7, generator=g)
        else:
            torch.manual_seed(case)
            torchlet.manual_seed(case)
            p = torch.distributions.Beta(x, x.flip(0)).sample((3,))
            q = torchlet.distributions.Beta(y, y.flip(0)).sample((3,))
            tg, g = torch.default_generator, torchlet.default_generator
        assert p.numpy().tobytes() == q.numpy().tobytes(), (case, kind)
        assert tg.get_state().numpy().tobytes() == state(g)


# ------------------------------------------------------------------------------- vmap

_SAME = "Vmap does not currently support same randomness with a batched tensor input"

SAME_REFUSED = {
    "x.bernoulli(p)": lambda t: lambda x: x.bernoulli(0.3),
    "bernoulli(x, p)": lambda t: lambda x: t.bernoulli(x, 0.3),
    "_standard_gamma": lambda t: lambda x: t._standard_gamma(x + 0.5),
    "_sample_dirichlet": lambda t: lambda x: t._sample_dirichlet(x + 0.5),
    "binomial": lambda t: lambda x: t.binomial(t.full((3,), 10.0), x),
    "Gamma.sample": lambda t: lambda x: t.distributions.Gamma(x + 0.5, 1.0).sample(),
}


@pytest.mark.parametrize("name", sorted(SAME_REFUSED))
def test_vmap_same_refuses_batched_inputs(name):
    x = torchlet.rand(4, 3)
    with pytest.raises(RuntimeError, match=_SAME):
        torchlet.func.vmap(SAME_REFUSED[name](torchlet), randomness="same")(x)


def test_vmap_same_and_different_still_sample(torch):
    """What torch allows stays allowed, with torch's values."""
    calls = {
        ("same", "clone().bernoulli_"): lambda t: lambda x: x.clone().bernoulli_(0.4),
        ("same", "unbatched bernoulli"): lambda t: lambda x: t.bernoulli(t.full((3,), 0.3)) + x,
        ("different", "x.bernoulli(p)"): lambda t: lambda x: x.bernoulli(0.3),
        ("different", "_standard_gamma"): lambda t: lambda x: t._standard_gamma(x + 0.5),
        ("different", "binomial"): lambda t: lambda x: t.binomial(t.full((3,), 10.0), x),
    }
    data = np.random.default_rng(5).random((4, 3)).astype(np.float32)
    for (mode, name), make in calls.items():
        torch.manual_seed(1)
        torchlet.manual_seed(1)
        want = torch.func.vmap(make(torch), randomness=mode)(torch.tensor(data))
        got = torchlet.func.vmap(make(torchlet), randomness=mode)(torchlet.tensor(data))
        assert got.numpy().tobytes() == want.numpy().tobytes(), (mode, name)
        assert state(torchlet.default_generator) == \
            torch.default_generator.get_state().numpy().tobytes()


def test_vmap_same_refusals_match_torch(torch):
    data = np.random.default_rng(6).random((4, 3)).astype(np.float32)
    for make in SAME_REFUSED.values():
        with pytest.raises(RuntimeError, match=_SAME):
            torch.func.vmap(make(torch), randomness="same")(torch.tensor(data))
        with pytest.raises(RuntimeError, match=_SAME):
            torchlet.func.vmap(make(torchlet), randomness="same")(torchlet.tensor(data))
