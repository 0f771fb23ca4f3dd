"""torchlet.nn.init and layer initialisation against torch.nn.init (PyTorch 2.13).

Random initialisers must draw exactly torch's numbers after the same ``manual_seed``: the
digests below were produced by PyTorch 2.13.0 (SHA-256 of the result's bytes, first 16
hex digits), so they hold without torch installed; when torch is importable the same
expressions are also compared element by element, live.
"""

from __future__ import annotations

import hashlib
import math
import warnings

import numpy as np
import pytest

import torchlet
import torchlet.nn as nn

try:
    import torch
except ImportError:  # the golden digests still run
    torch = None

HAS_RNG = hasattr(torchlet.Tensor, "uniform_") and hasattr(torchlet, "manual_seed")
needs_rng = pytest.mark.skipif(not HAS_RNG, reason="random Tensor methods not wired yet")
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def numpy_of(t) -> np.ndarray:
    return t.detach().numpy()


# name, expression (run on torchlet and torch after manual_seed(3)), digest from torch 2.13
RANDOM_CASES = [
    ("uniform", lambda L: L.nn.init.uniform_(L.empty(5, 7), -0.3, 0.7), "8be826117ab142b5"),
    ("normal", lambda L: L.nn.init.normal_(L.empty(5, 7), 0.5, 2.0), "36569391528459e8"),
    ("normal_small", lambda L: L.nn.init.normal_(L.empty(3), 0.5, 2.0), "22c3bc7c025861b9"),
    ("xavier_uniform",
     lambda L: L.nn.init.xavier_uniform_(L.empty(30, 20), gain=L.nn.init.calculate_gain("relu")),
     "41e676b572886498"),
    ("xavier_normal", lambda L: L.nn.init.xavier_normal_(L.empty(30, 20, 3)), "6449cdd914cae4da"),
    ("kaiming_uniform",
     lambda L: L.nn.init.kaiming_uniform_(L.empty(16, 8, 3, 3), mode="fan_out",
                                          nonlinearity="relu"),
     "5b36156027c23fa4"),
    ("kaiming_normal", lambda L: L.nn.init.kaiming_normal_(L.empty(16, 8), a=0.2),
     "4e857ea07cce6168"),
    ("kaiming_uniform_f64",
     lambda L: L.nn.init.kaiming_uniform_(L.empty(16, 8, dtype=L.float64), a=math.sqrt(5)),
     "9ab21fce5a2d8c6a"),
    ("trunc_normal", lambda L: L.nn.init.trunc_normal_(L.empty(40, 10), std=0.5),
     "34f8364448665d47"),
    # [a, b] holds < 30% of the mass: the uniform rejection branch
    ("trunc_normal_narrow",
     lambda L: L.nn.init.trunc_normal_(L.empty(4, 10), mean=0.0, std=1.0, a=2.0, b=2.5),
     "99667672aaee5c64"),
    ("sparse", lambda L: L.nn.init.sparse_(L.empty(10, 6), 0.3), "ab342b37e14294d0"),
    ("linear_weight", lambda L: L.nn.Linear(20, 30).weight, "5376c21ad8305016"),
    # the bias is drawn after the weight
    ("linear_bias_after_weight", lambda L: [L.nn.Linear(20, 30), L.nn.Linear(3, 2).bias][1],
     "8421fa9657f98d42"),
    ("bilinear", lambda L: L.cat([p.flatten() for p in L.nn.Bilinear(4, 3, 5).parameters()]),
     "342670d5bc1ba10b"),
    ("linear_f64", lambda L: L.nn.Linear(20, 30, dtype=L.float64).weight, "ac117dd86733aa2e"),
]


@needs_rng
@pytest.mark.parametrize("name, fn, expected", RANDOM_CASES, ids=[c[0] for c in RANDOM_CASES])
def test_random_init_matches_torch_golden(name, fn, expected):
    torchlet.manual_seed(3)
    assert digest(numpy_of(fn(torchlet))) == expected


@needs_rng
@needs_torch
@pytest.mark.parametrize("name, fn, expected", RANDOM_CASES, ids=[c[0] for c in RANDOM_CASES])
def test_random_init_matches_torch_live(name, fn, expected):
    torch.manual_seed(3)
    want = numpy_of(fn(torch))
    torchlet.manual_seed(3)
    got = numpy_of(fn(torchlet))
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def _bits(values) -> list:
    return [hex(v) for v in np.asarray(values, np.float32).view(np.uint32).tolist()]


@needs_rng
def test_linear_784_128_spec_vectors():
    """docs/torch-rng.md §14: manual_seed(0); nn.Linear(784, 128)."""
    torchlet.manual_seed(0)
    layer = nn.Linear(784, 128)
    assert _bits(layer.weight._data[0, 0:4]) == ["0xb98c3000", "0x3c9cf2b5", "0xbcf0ccac",
                                                 "0xbcd75093"]
    assert _bits(layer.bias._data[0:4]) == ["0xbd0349b3", "0xbbad552e", "0x3b93721c",
                                           "0xbcac91cc"]
    assert digest(layer.weight._data) == "318b971b9f19b664"
    assert layer.weight.dtype == torchlet.float32 and layer.weight.requires_grad


@needs_rng
def test_layers_draw_in_construction_order():
    torchlet.manual_seed(0)
    first = nn.Linear(784, 128)
    second = nn.Linear(3, 2)
    torchlet.manual_seed(0)
    again = nn.Sequential(nn.Linear(784, 128), nn.Linear(3, 2))
    np.testing.assert_array_equal(again[0].weight._data, first.weight._data)
    np.testing.assert_array_equal(again[1].bias._data, second.bias._data)


@needs_rng
def test_reset_parameters_redraws():
    torchlet.manual_seed(0)
    layer = nn.Linear(5, 4)
    before = layer.weight._data.copy()
    torchlet.manual_seed(0)
    layer.reset_parameters()
    np.testing.assert_array_equal(layer.weight._data, before)
    layer.reset_parameters()
    assert not np.array_equal(layer.weight._data, before)


@needs_rng
def test_init_runs_without_recording_on_parameters():
    p = nn.Parameter(torchlet.ones(4, 5))
    for init in (nn.init.normal_, nn.init.uniform_, nn.init.xavier_uniform_,
                 nn.init.kaiming_normal_, nn.init.trunc_normal_, nn.init.orthogonal_):
        out = init(p)
        assert out is p and p.is_leaf and p.grad_fn is None and p.requires_grad
        assert type(p) is nn.Parameter


@needs_rng
def test_uniform_bounds_and_normal_statistics():
    torchlet.manual_seed(1)
    u = nn.init.uniform_(torchlet.empty(10000), -0.25, 0.5)._data
    assert u.min() >= -0.25 and u.max() < 0.5
    n = nn.init.normal_(torchlet.empty(10000), 2.0, 0.5)._data
    assert abs(n.mean() - 2.0) < 0.05 and abs(n.std() - 0.5) < 0.05
    t = nn.init.trunc_normal_(torchlet.empty(10000), 0.0, 1.0, -0.5, 1.5)._data
    assert t.min() >= -0.5 and t.max() <= 1.5


@needs_rng
def test_kaiming_and_xavier_bounds():
    torchlet.manual_seed(2)
    w = nn.init.kaiming_uniform_(torchlet.empty(64, 100), a=math.sqrt(5))._data
    bound = math.sqrt(3.0) * math.sqrt(2.0 / 6.000000000000001) / math.sqrt(100)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    w = nn.init.xavier_uniform_(torchlet.empty(30, 70))._data
    assert np.abs(w).max() <= math.sqrt(6.0 / 100)


@needs_rng
def test_orthogonal():
    torchlet.manual_seed(0)
    q = nn.init.orthogonal_(torchlet.empty(6, 4), gain=2.0)._data.astype(np.float64)
    np.testing.assert_allclose(q.T @ q, 4 * np.eye(4), atol=1e-5)
    q = nn.init.orthogonal_(torchlet.empty(3, 2, 4))._data.reshape(3, 8).astype(np.float64)
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-5)  # rows < cols: orthonormal rows
    assert nn.init.orthogonal_(torchlet.empty(0, 3)).shape == (0, 3)


@needs_rng
@needs_torch
@pytest.mark.parametrize("shape, gain", [((6, 4), 2.0), ((3, 2, 4), 1.0), ((5, 5), 1.0)])
def test_orthogonal_close_to_torch(shape, gain):
    # the normals are torch's; the QR is NumPy's LAPACK call: equal to rounding
    torch.manual_seed(4)
    want = torch.nn.init.orthogonal_(torch.empty(shape), gain=gain).numpy()
    torchlet.manual_seed(4)
    got = nn.init.orthogonal_(torchlet.empty(shape), gain=gain)._data
    np.testing.assert_allclose(got, want, atol=2e-6)


@needs_rng
def test_sparse_zeroes_a_fraction_of_each_column():
    torchlet.manual_seed(0)
    w = nn.init.sparse_(torchlet.empty(10, 6), 0.3, std=0.5)._data
    assert ((w == 0).sum(axis=0) == 3).all()


def test_calculate_gain():
    cases = [("linear", None, 1), ("conv2d", None, 1), ("conv_transpose3d", None, 1),
             ("sigmoid", None, 1), ("tanh", None, 5.0 / 3), ("relu", None, math.sqrt(2.0)),
             ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01**2))),
             ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)), ("leaky_relu", 1, 1.0),
             ("selu", None, 0.75)]
    for name, param, expected in cases:
        assert nn.init.calculate_gain(name, param) == expected
    assert nn.init.calculate_gain("leaky_relu", math.sqrt(5)) == math.sqrt(2 / 6.000000000000001)
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        nn.init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        nn.init.calculate_gain("leaky_relu", True)


def test_fans():
    assert nn.init._calculate_fan_in_and_fan_out(torchlet.empty(16, 8, 3, 3)) == (72, 144)
    assert nn.init._calculate_fan_in_and_fan_out(torchlet.empty(128, 784)) == (784, 128)
    assert nn.init._calculate_correct_fan(torchlet.empty(4, 3), "fan_out") == 4
    assert nn.init._calculate_correct_fan(torchlet.empty(4, 3), "FAN_IN") == 3
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init._calculate_fan_in_and_fan_out(torchlet.empty(3))
    with pytest.raises(ValueError, match=r"Mode bad not supported, please use one of "
                                         r"\['fan_in', 'fan_out'\]"):
        nn.init._calculate_correct_fan(torchlet.empty(3, 2), "bad")


def test_deterministic_initialisers():
    t = nn.init.constant_(torchlet.empty(2, 3), 0.3)
    assert t.dtype == torchlet.float32 and (t._data == np.float32(0.3)).all()
    assert (nn.init.ones_(torchlet.empty(4))._data == 1).all()
    assert (nn.init.zeros_(torchlet.ones(4))._data == 0).all()
    np.testing.assert_array_equal(nn.init.eye_(torchlet.empty(3, 5))._data, np.eye(3, 5))
    d = nn.init.dirac_(torchlet.empty(4, 2, 3, 3), groups=2)._data
    expected = np.zeros((4, 2, 3, 3), np.float32)
    for g in range(2):
        for c in range(2):
            expected[g * 2 + c, c, 1, 1] = 1
    np.testing.assert_array_equal(d, expected)
    d = nn.init.dirac_(torchlet.empty(3, 5, 4))._data
    assert d.sum() == 3 and d[2, 2, 2] == 1
    p = nn.Parameter(torchlet.ones(2, 2))
    nn.init.eye_(p)
    assert p.is_leaf and p.requires_grad and p.grad_fn is None


def test_deterministic_initialisers_match_torch():
    if torch is None:
        pytest.skip("torch not installed")
    for fn in (lambda L: L.nn.init.eye_(L.empty(4, 2)),
               lambda L: L.nn.init.dirac_(L.empty(6, 4, 3), groups=3),
               lambda L: L.nn.init.dirac_(L.empty(2, 2, 2, 3, 3)),
               lambda L: L.nn.init.constant_(L.empty(3, dtype=L.float64), 1 / 3)):
        want, got = numpy_of(fn(torch)), numpy_of(fn(torchlet))
        assert want.dtype == got.dtype
        np.testing.assert_array_equal(got, want)


ERRORS = [
    (lambda: nn.init.xavier_uniform_(torchlet.empty(3)), ValueError,
     "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"),
    (lambda: nn.init.eye_(torchlet.empty(3)), ValueError,
     "Only tensors with 2 dimensions are supported"),
    (lambda: nn.init.dirac_(torchlet.empty(3, 3)), ValueError,
     "Only tensors with 3, 4, or 5 dimensions are supported"),
    (lambda: nn.init.dirac_(torchlet.empty(3, 3, 3), groups=2), ValueError,
     "dim 0 must be divisible by groups"),
    (lambda: nn.init.orthogonal_(torchlet.empty(3)), ValueError,
     "Only tensors with 2 or more dimensions are supported"),
    (lambda: nn.init.sparse_(torchlet.empty(3), 0.1), ValueError,
     "Only tensors with 2 dimensions are supported"),
]


@pytest.mark.parametrize("fn, kind, message", ERRORS)
def test_errors(fn, kind, message):
    with pytest.raises(kind) as info:
        fn()
    assert str(info.value) == message


def test_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = torchlet.ones(0, 3)
        assert nn.init.kaiming_uniform_(t) is t
        assert nn.init.kaiming_normal_(t) is t
        nn.init.constant(torchlet.empty(2), 1.0)
    messages = [(w.category, str(w.message)) for w in caught]
    assert messages == [
        (UserWarning, "Initializing zero-element tensors is a no-op"),
        (UserWarning, "Initializing zero-element tensors is a no-op"),
        (FutureWarning, "`nn.init.constant` is now deprecated in favor of `nn.init.constant_`."),
    ]
