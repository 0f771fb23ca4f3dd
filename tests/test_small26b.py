"""affine_grid's forward in torch's summation order (bit-exact), and torch.nn.modules.utils
(_single/_pair/_triple/_quadruple/_ntuple, _reverse_repeat_tuple, _list_with_default,
consume_prefix_in_state_dict_if_present)."""

import collections
import warnings

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F
from torchlet.nn.modules import utils as U


def _grid(theta: np.ndarray, size, align_corners: bool) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return F.affine_grid(torchlet.tensor(theta), size, align_corners=align_corners).numpy()


def _torch_grid(torch, theta: np.ndarray, size, align_corners: bool) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.nn.functional.affine_grid(torch.tensor(theta), size,
                                               align_corners=align_corners).numpy()


# ---------------------------------------------------------------------------------------
# affine_grid forward


def test_affine_grid_sums_rounded_products_in_order():
    """Hand-derived: grid[h, w] = ((x*t0 + y*t1) + t2) per row of theta, each product and
    each sum rounded to float32 (no FMA, no reassociation). 3 x 5 points: linspace gives
    exactly -1, (-0.5,) 0, (0.5,) 1, pulled in by (n-1)/n (align_corners=False)."""
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(1, 2, 3)).astype(np.float32)
    h, w = 3, 5
    got = _grid(theta, (1, 1, h, w), False)
    f = np.float32
    xs = [f(f(v) * f(w - 1)) / f(w) for v in (-1, -0.5, 0, 0.5, 1)]
    ys = [f(f(v) * f(h - 1)) / f(h) for v in (-1, 0, 1)]
    want = np.empty_like(got)
    for i in range(h):
        for j in range(w):
            for r in range(2):
                t = theta[0, r]
                want[0, i, j, r] = f(f(f(xs[j] * t[0]) + f(ys[i] * t[1])) + t[2])
    np.testing.assert_array_equal(got, want)
    base = np.array([(x, y, 1) for y in ys for x in xs], np.float32)
    assert not np.array_equal(np.matmul(base, theta[0].T).reshape(want.shape), want)


def test_affine_grid_negative_zero_sums_to_positive_zero():
    """torch's kernel adds the products onto a zero accumulator: -0 terms give +0."""
    for size in [(1, 1, 3, 5), (1, 1, 2, 3, 4)]:
        d = len(size) - 2
        g = _grid(np.full((1, d, d + 1), -0.0, np.float32), size, False)
        assert not np.signbit(g).any()


def test_affine_grid_float16_rounds_once():
    """float16 theta: the sum is formed in float32 and rounded to float16 once."""
    rng = np.random.default_rng(6)
    theta = rng.normal(size=(2, 2, 3)).astype(np.float16)
    got = _grid(theta, (2, 1, 3, 5), True)
    y, x = np.meshgrid(np.float32([-1, 0, 1]), np.float32([-1, -0.5, 0, 0.5, 1]),
                       indexing="ij")
    t = theta.astype(np.float32)
    want = np.stack([x[None] * t[:, None, None, r, 0] + y[None] * t[:, None, None, r, 1]
                     + t[:, None, None, r, 2] for r in range(2)], -1).astype(np.float16)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, want)
    torch = pytest.importorskip("torch")
    for ac in (False, True):
        for size in [(2, 1, 30, 40), (2, 1, 4, 5, 6)]:
            d = len(size) - 2
            th = rng.normal(size=(2, d, d + 1)).astype(np.float16)
            np.testing.assert_array_equal(_grid(th, size, ac),
                                          _torch_grid(torch, th, size, ac))


def _affine_configs(n: int):
    rng = np.random.default_rng(2613)
    for _ in range(n):
        dt = ("float32", "float64")[int(rng.integers(2))]
        d = int(rng.integers(2, 4))
        spatial = [int(s) for s in rng.integers(1, 41 if d == 2 else 13, size=d)]
        size = (int(rng.integers(1, 4)), 1, *spatial)
        scale = (1.0, 1e3, 1e-3)[int(rng.integers(3))]
        theta = (rng.normal(size=(size[0], d, d + 1)) * scale).astype(dt)
        yield theta, size, bool(rng.integers(2))


def test_affine_grid_matches_torch_bits_sampled():
    torch = pytest.importorskip("torch")
    for theta, size, ac in _affine_configs(60):
        want = _torch_grid(torch, theta, size, ac)
        got = _grid(theta, size, ac)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want, err_msg=f"{theta.dtype} {size} {ac}")


def test_affine_grid_special_values_match_torch():
    torch = pytest.importorskip("torch")
    for dt in ("float32", "float64"):
        theta = np.array([[[np.inf, 1, np.nan], [-np.inf, 0, 1e38]]], dt)
        np.testing.assert_array_equal(_grid(theta, (1, 1, 3, 5), True),
                                      _torch_grid(torch, theta, (1, 1, 3, 5), True))


def test_affine_grid_backward_graph_unchanged():
    """The gradient and the double-backward graph: same node name, same values (the
    theta gradient is a bmm over all points, matched to a few ulps)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    theta = rng.normal(size=(2, 3, 4))
    g = rng.normal(size=(2, 3, 4, 5, 3))
    size = (2, 1, 3, 4, 5)
    res = []
    for lib in (torchlet, torch):
        t, gi = lib.tensor(theta, requires_grad=True), lib.tensor(g, requires_grad=True)
        out = lib.nn.functional.affine_grid(t, size, align_corners=False)
        (gt,) = lib.autograd.grad(out, t, gi, create_graph=True)
        (gg,) = lib.autograd.grad((gt * gt).sum(), gi)
        res.append((out.grad_fn.name(), gt.grad_fn.name(), gt.detach().numpy(),
                    gg.numpy()))
    assert res[0][0] == res[1][0] == "AffineGridGeneratorBackward0"
    assert res[0][1] == res[1][1]
    np.testing.assert_allclose(res[0][2], res[1][2], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res[0][3], res[1][3], rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------
# torch.nn.modules.utils


def test_utils_reachable_after_import():
    assert torchlet.nn.modules.utils is U
    assert U.__all__ == ["consume_prefix_in_state_dict_if_present"]
    # one definition shared by the layers
    from torchlet.nn.modules import conv, padding, pooling
    assert conv._ntuple is U._ntuple and padding._pair is U._pair
    assert pooling._triple is U._triple and padding._quadruple is U._quadruple


def test_ntuple_hand_derived():
    assert U._single(3) == (3,) and U._pair(3) == (3, 3) and U._triple(0) == (0, 0, 0)
    assert U._quadruple(1.5) == (1.5,) * 4
    assert U._pair([1, 2]) == (1, 2) and U._pair(range(3)) == (0, 1, 2)
    assert U._pair("ab") == ("a", "b")  # any iterable is kept as its items
    assert U._pair(None) == (None, None)
    assert U._pair.__name__ == "_pair" and U._ntuple(5)("x") == ("x",)
    assert U._ntuple(3, "trip").__name__ == "trip" and U._ntuple(3)(7) == (7, 7, 7)
    assert U._reverse_repeat_tuple((1, 2, 3), 2) == (3, 3, 2, 2, 1, 1)
    assert U._reverse_repeat_tuple([], 3) == ()
    assert U._list_with_default(5, [1, 2]) == 5
    assert U._list_with_default([None, 4], [9, 8, 7, 6]) == [7, 4]
    with pytest.raises(ValueError, match="Input dimension should be at least 3"):
        U._list_with_default([None, 4], [1, 2])


def _state_dict():
    sd = collections.OrderedDict((k, i) for i, k in enumerate(
        ["module.a", "module.b.c", "other", "module", "xmodule.d"]))
    sd._metadata = collections.OrderedDict(
        (k, {"version": i}) for i, k in enumerate(["", "module", "module.b", "other"]))
    return sd


def test_consume_prefix_hand_derived():
    sd = _state_dict()
    U.consume_prefix_in_state_dict_if_present(sd, "module.")
    assert list(sd.items()) == [("other", 2), ("module", 3), ("xmodule.d", 4), ("a", 0),
                                ("b.c", 1)]
    # 'module' -> '' replaces the wrapper's entry (keeping its place); 'module.b' -> 'b'
    assert list(sd._metadata.items()) == [("", {"version": 1}), ("other", {"version": 3}),
                                          ("b", {"version": 2})]
    plain = {"p.x": 1, "y": 2}  # no _metadata: keys only
    U.consume_prefix_in_state_dict_if_present(plain, "p.")
    assert plain == {"y": 2, "x": 1}


def test_utils_match_torch():
    pytest.importorskip("torch")
    from torch.nn.modules import utils as TU
    for value in (3, 2.5, None, [1, 2], (4,), range(2, 5), "abc", (x for x in (1, 2))):
        for name in ("_single", "_pair", "_triple", "_quadruple"):
            v = list(value) if not isinstance(value, (int, float, str, type(None), range,
                                                      list, tuple)) else value
            assert getattr(U, name)(v) == getattr(TU, name)(v)
            assert getattr(U, name).__name__ == getattr(TU, name).__name__
    for t, n in [((1, 2), 2), ((1, 2, 3), 1), ((), 4), ((5,), 3)]:
        assert U._reverse_repeat_tuple(t, n) == TU._reverse_repeat_tuple(t, n)
    for out_size, defaults in [(3, [1]), ([None], [5, 6]), ([2, None, None], [1, 2, 3, 4])]:
        assert U._list_with_default(out_size, defaults) == TU._list_with_default(
            out_size, defaults)
    for args in [([None, 1], [1, 2]), ([1], [1])]:
        with pytest.raises(ValueError) as ours:
            U._list_with_default(*args)
        with pytest.raises(ValueError) as theirs:
            TU._list_with_default(*args)
        assert str(ours.value) == str(theirs.value)
    for prefix in ("module.", "module", "b.", "", "zzz."):
        a, b = _state_dict(), _state_dict()
        U.consume_prefix_in_state_dict_if_present(a, prefix)
        TU.consume_prefix_in_state_dict_if_present(b, prefix)
        assert list(a.items()) == list(b.items())
        assert list(a._metadata.items()) == list(b._metadata.items())


def test_layers_take_any_iterable_like_torch():
    """Conv/pool/pad layers parse their size arguments with the shared _ntuple."""
    torch = pytest.importorskip("torch")
    for lib in (torchlet, torch):
        conv = lib.nn.Conv2d(1, 1, kernel_size=range(2, 4), stride=[1, 2])
        assert conv.kernel_size == (2, 3) and conv.stride == (1, 2)
        assert conv.weight.shape == (1, 1, 2, 3)
    assert torchlet.nn.ReflectionPad2d(1).padding == torch.nn.ReflectionPad2d(1).padding
    assert torchlet.nn.ZeroPad3d(2).padding == torch.nn.ZeroPad3d(2).padding
    assert (torchlet.nn.Conv3d(1, 1, 3, padding=(1, 2, 3), padding_mode="reflect")
            ._reversed_padding_repeated_twice == (3, 3, 2, 2, 1, 1))
