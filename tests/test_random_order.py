"""Sampling order of random functions with non-contiguous tensor parameters, live against torch.

torch writes a new result (``bernoulli(p)``, ``poisson(rates)``, ``normal(mean, std)``,
``multinomial``) C-contiguously and draws in its C order, whatever the strides of the
parameters (expanded, transposed, sliced, permuted); ``bernoulli_(p)`` fills ``self`` in
``self``'s memory order; the ``*_like`` functions keep the input's layout (preserve_format)
and fill it in memory order. float64 ``uniform_(from, to)`` with bounds near +-1e300 needs a
single-rounding ``U53 * (to - from) + from`` whose product does not overflow in emulation.

All comparisons are bit-exact (same generator stream, same arithmetic), strides included.
"""

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")

SEEDS = (0, 7)
DTYPES = ("float32", "float64")
LAYOUTS = ("expand_rows", "expand_cols", "transposed", "sliced", "offset_slice", "permuted")


def _params(lib, layout, dtype, low=0.05, high=0.95):
    """A parameter tensor with the given memory layout, the same values in both libraries."""
    dt = getattr(lib, dtype)
    base = lib.linspace(low, high, 12, dtype=dt).reshape(3, 4)
    if layout == "expand_rows":
        return lib.linspace(low, high, 4, dtype=dt).reshape(4, 1).expand(4, 5)
    if layout == "expand_cols":
        return lib.linspace(low, high, 4, dtype=dt).expand(3, 4)
    if layout == "transposed":
        return base.t()
    if layout == "sliced":
        return base[:, ::2]
    if layout == "offset_slice":
        return base[1:, 1:3]
    return lib.linspace(low, high, 24, dtype=dt).reshape(2, 3, 4).permute(2, 0, 1)


def _same(fn, seed):
    torch.manual_seed(seed)
    expected = fn(torch)
    torchlet.manual_seed(seed)
    got = fn(torchlet)
    assert got.dtype == getattr(torchlet, str(expected.dtype).split(".")[1])
    assert tuple(got.shape) == tuple(expected.shape)
    assert tuple(got.stride()) == tuple(expected.stride())
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
    # and both generators end in the same place
    assert torchlet.rand(3).numpy().tobytes() == torch.rand(3).numpy().tobytes()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_bernoulli_of_probability_tensor(layout, dtype, seed):
    _same(lambda lib: lib.bernoulli(_params(lib, layout, dtype)), seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_bernoulli_with_number_p_is_contiguous(layout, dtype):
    _same(lambda lib: lib.bernoulli(_params(lib, layout, dtype), 0.3), 3)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("scale", (1.0, 7.0, 40.0))  # small rates and the rejection sampler
def test_poisson_of_rate_tensor(layout, dtype, seed, scale):
    _same(lambda lib: lib.poisson(_params(lib, layout, dtype) * scale), seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_normal_with_tensor_parameters(layout, dtype):
    _same(lambda lib: lib.normal(_params(lib, layout, dtype), _params(lib, layout, dtype)), 1)
    _same(lambda lib: lib.normal(_params(lib, layout, dtype), 2.0), 2)
    _same(lambda lib: lib.normal(1.0, _params(lib, layout, dtype)), 3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", [x for x in LAYOUTS if x != "permuted"])  # 2-D only
@pytest.mark.parametrize("args", ((1,), (2,), (3, True)))
def test_multinomial_of_non_contiguous_rows(layout, dtype, args):
    _same(lambda lib: lib.multinomial(_params(lib, layout, dtype), *args), 5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_bernoulli_inplace_follows_self_memory_order(layout, dtype):
    def into_contiguous(lib):
        p = _params(lib, layout, dtype)
        return lib.empty(p.shape, dtype=p.dtype).bernoulli_(p)

    def into_permuted(lib):
        p = _params(lib, layout, dtype)
        order = list(range(p.dim()))[::-1]
        out = lib.empty([p.shape[d] for d in order], dtype=p.dtype).permute(*order)
        return out.bernoulli_(p)

    _same(into_contiguous, 4)
    _same(into_permuted, 4)


@pytest.mark.parametrize("dtype", ("float16", "float32", "float64", "int64"))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_like_functions_keep_the_layout(layout, dtype):
    def like(lib):
        p = _params(lib, layout, "float64")
        return lib.empty_strided(p.shape, p.stride(), dtype=getattr(lib, dtype))

    if dtype != "int64":
        _same(lambda lib: lib.rand_like(like(lib)), 0)
        _same(lambda lib: lib.randn_like(like(lib)), 0)
        _same(lambda lib: lib.rand_like(like(lib), dtype=lib.float64), 0)
    _same(lambda lib: lib.randint_like(like(lib), 3, 100), 0)
    _same(lambda lib: lib.randint_like(like(lib), 100), 0)


def test_like_functions_take_a_generator_and_requires_grad():
    def draw(lib):
        gen = lib.Generator().manual_seed(11)
        x = lib.zeros(4, 3).t()
        out = lib.randn_like(x, generator=gen, requires_grad=True)
        assert out.requires_grad and out.is_leaf
        return out.detach()

    _same(draw, 0)


def test_like_functions_channels_last_needs_rank_four():
    for lib in (torch, torchlet):
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
            lib.rand_like(lib.zeros(2, 3), memory_format=lib.channels_last)


@pytest.mark.parametrize("shape", ((3,), (2, 4)))
@pytest.mark.parametrize("name", ("Bernoulli", "Poisson"))
def test_distribution_samples_with_expanded_parameters(name, shape):
    def sample(lib):
        param = lib.linspace(0.1, 0.9, 4, dtype=lib.float64)
        dist = getattr(lib.distributions, name)(param.expand(3, 4))
        return dist.sample(shape)

    _same(sample, 9)


HUGE_BOUNDS = [
    (-1e300, 1e300), (-8e307, 8e307), (-8.5e307, 8.5e307), (0.0, 1.7976931348623157e308),
    (-1.7976931348623157e308, 0.0), (5e-324, 1e308), (-1e-310, 1.2e308),
    (-(2.0**995), 2.0**995), (1.0, 2.0**996 + 1e290), (1e300, 1.5e300), (-1e300, -1e299),
    (-5.0, 7.0), (1e-300, 3e-300),
]


@pytest.mark.parametrize("bounds", HUGE_BOUNDS)
def test_uniform_float64_huge_bounds(bounds):
    _same(lambda lib: lib.empty(20000, dtype=lib.float64).uniform_(*bounds), 0)


def test_uniform_float64_random_wide_bounds():
    rng = np.random.RandomState(0)
    for _ in range(20):
        lo = -float(10.0 ** rng.uniform(200, 307.5))
        hi = float(10.0 ** rng.uniform(200, 307.5))
        if hi - lo > 1.7976931348623157e308:
            continue
        _same(lambda lib, lo=lo, hi=hi: lib.empty(5000, dtype=lib.float64).uniform_(lo, hi), 1)


HUGE_NORMALS = [
    (1e300, 1.7e300), (0.0, 1e300), (-1e307, 1e308), (0.0, 1.7e308), (-1.7e308, 1.7e308),
    (1e308, 2.0**995), (3.0, 2.0**996),
]


@pytest.mark.parametrize("mean_std", HUGE_NORMALS)
def test_normal_float64_huge_std(mean_std):
    # fma64(z, std, mean): the product may pass the float64 limit while the sum does not
    _same(lambda lib: lib.empty(5000, dtype=lib.float64).normal_(*mean_std), 0)
    _same(lambda lib: lib.normal(*mean_std, (7,), dtype=lib.float64), 1)
