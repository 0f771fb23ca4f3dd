"""Sweep 12, training utilities: torch._foreach_*, an enabled GradScaler('cpu'), and the
full-backward-hook warning's location."""

import pickle
import warnings

import numpy as np
import pytest

import torchlet
from torchlet.autograd import gradcheck


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and message are what is compared
        return type(e).__name__, str(e)
    return None


# ---------------------------------------------------------------------------------------
# _foreach_*


def test_foreach_ema_example_by_hand():
    a = [torchlet.ones(2), torchlet.arange(3.0)]
    b = [torchlet.full((2,), 2.0), torchlet.ones(3)]
    assert torchlet._foreach_mul_(a, 0.5) is a
    torchlet._foreach_add_(a, b, alpha=0.5)
    assert [t.tolist() for t in a] == [[1.5, 1.5], [0.5, 1.0, 1.5]]
    norms = torchlet._foreach_norm(a)
    assert isinstance(norms, tuple)
    np.testing.assert_allclose([n.item() for n in norms], [4.5**0.5, 3.5**0.5], rtol=1e-6)
    ema = [torchlet.zeros(2)]
    torchlet._foreach_lerp_(ema, [torchlet.tensor([1.0, 2.0])], 0.25)
    assert ema[0].tolist() == [0.25, 0.5]


def test_foreach_overloads_by_hand():
    a = [torchlet.tensor([1.0, 4.0]), torchlet.tensor([9.0])]
    assert [t.tolist() for t in torchlet._foreach_add(a, [1, 2])] == [[2.0, 5.0], [11.0]]
    assert [t.tolist() for t in torchlet._foreach_mul(a, torchlet.tensor(2.0))] == [
        [2.0, 8.0], [18.0]]
    assert [t.tolist() for t in torchlet._foreach_sub(a, a, alpha=2)] == [[-1.0, -4.0], [-9.0]]
    assert [t.tolist() for t in torchlet._foreach_sqrt(a)] == [[1.0, 2.0], [3.0]]
    assert [t.tolist() for t in torchlet._foreach_pow(2, a)] == [[2.0, 16.0], [512.0]]
    assert [t.tolist() for t in torchlet._foreach_addcdiv(a, a, a, [1, 2])] == [
        [2.0, 5.0], [11.0]]
    assert [t.tolist() for t in torchlet._foreach_maximum(a, 3.0)] == [[3.0, 4.0], [9.0]]
    # an int tensor against a float number: float32, as clamp_min
    (m,) = torchlet._foreach_maximum([torchlet.tensor([1, 2])], 1.5)
    assert (m.dtype, m.tolist()) == (torchlet.float32, [1.5, 2.0])
    assert [t.item() for t in torchlet._foreach_max(a)] == [4.0, 9.0]


def test_foreach_inplace_versions_and_leaf_error():
    s = [torchlet.zeros(2)]
    assert torchlet._foreach_copy_(s, [torchlet.ones(1)]) is s  # broadcasts as copy_
    assert torchlet._foreach_add_(s, 1) is s and torchlet._foreach_zero_(s) is s
    assert s[0]._version == 3 and s[0].tolist() == [0.0, 0.0]
    leaf = torchlet.ones(2, requires_grad=True)
    assert _error(lambda: torchlet._foreach_add_([leaf], 1)) == (
        "RuntimeError", "a leaf Variable that requires grad is being used in an in-place "
        "operation.")


def test_foreach_errors():
    a = [torchlet.ones(2), torchlet.ones(3)]
    assert _error(lambda: torchlet._foreach_add([], 1)) == (
        "RuntimeError", "Tensor list must have at least one tensor.")
    assert _error(lambda: torchlet._foreach_add(a, [1.0])) == (
        "RuntimeError", "Tensor list must have same number of elements as scalar list.")
    assert _error(lambda: torchlet._foreach_lerp(a, a[:1], 0.5)) == (
        "RuntimeError", "Tensor lists must have the same number of tensors, got 2 and 1")
    assert _error(lambda: torchlet._foreach_mul(a, torchlet.ones(2))) == (
        "RuntimeError", "scalar tensor expected to be 0 dim but it has 1 dimensions and 2 "
        "elements.")
    assert _error(lambda: torchlet._foreach_addcmul(a, a, a, torchlet.ones(3))) == (
        "RuntimeError", "Expected length of scalars to match input of length 2 but got 3 "
        "instead.")
    assert _error(lambda: torchlet._foreach_sub(a, 1, alpha=2)) == (
        "TypeError", "_foreach_sub(): argument 'other' (position 2) must be tuple of Tensors, "
        "not int")
    assert _error(lambda: torchlet._foreach_sqrt(a[0])) == (
        "TypeError", "_foreach_sqrt(): argument 'self' (position 1) must be tuple of Tensors, "
        "not Tensor")
    assert _error(lambda: torchlet._foreach_add([a[0], 1], 1)) == (
        "TypeError", "expected Tensor as element 1 in argument 0, but got int")
    assert _error(lambda: torchlet._foreach_mul_([torchlet.ones(2, dtype=torchlet.long)],
                                                 0.5)) == (
        "RuntimeError", "result type Float can't be cast to the desired output type Long")
    assert _error(lambda: torchlet._foreach_add(a, 1, alpha=2))[0] == "TypeError"


def test_foreach_gradients_float64():
    x = torchlet.tensor([0.3, -1.2], dtype=torchlet.float64, requires_grad=True)
    y = torchlet.tensor([0.7, 2.0], dtype=torchlet.float64, requires_grad=True)
    w = torchlet.tensor([0.2, 0.9], dtype=torchlet.float64, requires_grad=True)
    assert gradcheck(lambda x, y: torchlet._foreach_addcmul([x], [y], [x], 0.5)[0], (x, y))
    assert gradcheck(lambda x, y, w: torchlet._foreach_lerp([x], [y], [w])[0], (x, y, w))
    assert gradcheck(lambda x, y: torchlet._foreach_div([x, y], [y, x])[1], (x, y))
    assert gradcheck(lambda x: torchlet._foreach_norm([x], 3)[0], (x,))
    # maximum with a number: torch's rule gives half the gradient on a tie
    t = torchlet.tensor([0.0, 1.0, 2.0], requires_grad=True)
    torchlet._foreach_maximum([t], 1.0)[0].sum().backward()
    assert t.grad.tolist() == [0.0, 0.5, 1.0]


def _foreach_cases(lib, xs, ys, zs):
    """The foreach calls compared bit for bit with torch."""
    out = {}
    out["add_alpha"] = lib._foreach_add(xs, ys, alpha=0.3)
    out["sub_scalars"] = lib._foreach_sub(xs, [0.1, 0.7])
    out["mul_scalar"] = lib._foreach_mul(xs, 0.999)
    out["div_list"] = lib._foreach_div(xs, zs)
    out["lerp"] = lib._foreach_lerp(xs, ys, 0.1)
    out["lerp_list"] = lib._foreach_lerp(xs, ys, [0.3, 0.6])
    out["addcmul"] = lib._foreach_addcmul(xs, ys, zs, 0.001)
    out["addcdiv"] = lib._foreach_addcdiv(xs, ys, zs, [-0.01, 0.02])
    out["exp"] = lib._foreach_exp(xs)
    out["norm"] = lib._foreach_norm(xs)
    out["norm1"] = lib._foreach_norm(ys, 1)
    out["pow"] = lib._foreach_pow(zs, 1.7)
    out["max"] = lib._foreach_maximum(xs, ys)
    out["clamp"] = lib._foreach_clamp_max(xs, 0.2)
    inplace = [x.clone() for x in xs]
    lib._foreach_mul_(inplace, 0.9)
    lib._foreach_add_(inplace, ys, alpha=0.1)
    lib._foreach_addcmul_(inplace, ys, ys, value=0.5)
    out["inplace"] = inplace
    return out


# torch's foreach results equal its single-tensor ops bit for bit (checked); torchlet's exp,
# pow and norms themselves differ from torch's by an ulp at times (libm, summation order)
_LIBM_OR_REDUCTION = {"exp", "norm", "norm1", "pow"}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_foreach_bits_match_torch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    shapes = [(7, 5), (33,)]
    arrays = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(2)]
    arrays.append([rng.random(s).astype(dtype) + 0.5 for s in shapes])
    got = _foreach_cases(torchlet, *[[torchlet.tensor(a) for a in arr] for arr in arrays])
    want = _foreach_cases(torch, *[[torch.tensor(a) for a in arr] for arr in arrays])
    ulp = np.finfo(dtype).eps
    for name, tensors in want.items():
        for w, g in zip(tensors, got[name], strict=True):
            assert g.numpy().dtype == w.numpy().dtype, name
            if name in _LIBM_OR_REDUCTION:
                np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=4 * ulp, err_msg=name)
            else:
                np.testing.assert_array_equal(g.numpy(), w.numpy(), err_msg=name)


def test_foreach_is_the_single_tensor_op():
    # float32 sqrt is left out of the torch comparison above: torch's own AVX-512 sqrt is
    # not correctly rounded (1 ulp off NumPy's on some elements), for torch.sqrt too
    zs = [torchlet.rand(7, 5) + 0.5, torchlet.rand(33)]
    for t, r in zip(zs, torchlet._foreach_sqrt(zs), strict=True):
        assert torchlet.equal(r, torchlet.sqrt(t))


def test_foreach_errors_match_torch():
    torch = pytest.importorskip("torch")

    def cases(lib):
        a = [lib.ones(2), lib.ones(3)]
        return [
            lambda: lib._foreach_add([], 1),
            lambda: lib._foreach_add(a, [a[0]]),
            lambda: lib._foreach_add(a, 1, alpha=2),
            lambda: lib._foreach_sub(a, 1, alpha=2),
            lambda: lib._foreach_addcmul(a, a, a, lib.tensor([[1.0, 2.0]])),
            lambda: lib._foreach_norm(a, "fro"),
            lambda: lib._foreach_norm([lib.ones(2, dtype=lib.long)]),
            lambda: lib._foreach_max([lib.ones(0)]),
            lambda: lib._foreach_add([lib.ones(2)], [lib.ones(3)]),
        ]

    for mine, theirs in zip(cases(torchlet), cases(torch), strict=True):
        assert _error(mine) == _error(theirs)


# ---------------------------------------------------------------------------------------
# GradScaler('cpu')


def test_grad_scaler_cpu_by_hand():
    w = torchlet.nn.Parameter(torchlet.tensor([1.0, -2.0]))
    opt = torchlet.optim.SGD([w], lr=0.5)
    scaler = torchlet.amp.GradScaler("cpu", init_scale=16.0, growth_interval=2)
    assert (scaler.is_enabled(), scaler.get_scale()) == (True, 16.0)
    message = ("Attempted unscale_ but _scale is None.  This may indicate your script did not "
               "use scaler.scale(loss or outputs) earlier in the iteration.")
    assert _error(lambda: scaler.unscale_(opt)) == ("AssertionError", message)
    scales = []
    for factor in (1.0, 1.0, float("inf"), 1.0):
        opt.zero_grad()
        loss = scaler.scale((w * 3).sum() * factor)
        loss.backward()
        assert w.grad.tolist() == [48.0 * factor] * 2  # 3 * scale
        if factor == 1.0 and not scales:
            scaler.unscale_(opt)
            assert w.grad.tolist() == [3.0, 3.0]
            assert _error(lambda: scaler.unscale_(opt)) == (
                "RuntimeError", "unscale_() has already been called on this optimizer since "
                "the last update().")
        before = w.tolist()
        assert scaler.step(opt) is None
        assert _error(lambda: scaler.step(opt)) == (
            "RuntimeError", "step() has already been called since the last update().")
        # a step with inf gradients is skipped
        assert (w.tolist() == before) == (factor != 1.0)
        scaler.update()
        scales.append((scaler.get_scale(), scaler._get_growth_tracker()))
    # growth after 2 clean steps (16 -> 32), backoff on inf (32 -> 16)
    assert scales == [(16.0, 1), (32.0, 0), (16.0, 0), (16.0, 1)]
    assert w.tolist() == [1.0 - 3 * 1.5, -2.0 - 3 * 1.5]
    assert _error(scaler.update) == ("AssertionError",
                                     "No inf checks were recorded prior to update.")
    state = scaler.state_dict()
    assert state == {"scale": 16.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                     "growth_interval": 2, "_growth_tracker": 1}
    restored = torchlet.amp.GradScaler("cpu")
    restored.load_state_dict(state)
    assert restored.state_dict() == state
    assert pickle.loads(pickle.dumps(scaler)).state_dict() == state


def test_grad_scaler_float32_scale_rounding():
    # 1.1 is stored in float32; the backoff product is rounded back to float32
    scaler = torchlet.amp.GradScaler("cpu", init_scale=1.1, backoff_factor=0.3,
                                     growth_interval=1)
    p = torchlet.nn.Parameter(torchlet.ones(1))
    opt = torchlet.optim.SGD([p], lr=1.0)
    (scaler.scale(p.sum()) * float("inf")).backward()
    scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == float(np.float32(float(np.float32(1.1)) * 0.3))


def test_grad_scaler_misc_errors():
    scaler = torchlet.amp.GradScaler("cpu")
    assert scaler.scale([torchlet.ones(1), (torchlet.ones(1),)])[1][0].item() == 65536.0
    assert _error(lambda: scaler.scale([1])) == (
        "ValueError", "outputs must be a Tensor or an iterable of Tensors")
    assert _error(lambda: torchlet.amp.GradScaler("cpu", growth_factor=1.0)) == (
        "AssertionError", "The growth factor must be > 1.0.")
    p16 = torchlet.nn.Parameter(torchlet.ones(1, dtype=torchlet.float16))
    scaler.scale(p16.sum()).backward()
    assert _error(lambda: scaler.unscale_(torchlet.optim.SGD([p16], lr=1.0))) == (
        "ValueError", "Attempting to unscale FP16 gradients.")


def _scaler_run(lib):
    lib.manual_seed(0)
    model = lib.nn.Linear(3, 2)
    opt = lib.optim.Adam(model.parameters(), lr=0.01)
    scaler = lib.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=3)
    x = lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
    log = []
    for it in range(8):
        opt.zero_grad()
        loss = model(x).pow(2).mean() * (float("nan") if it == 4 else 1.0)
        scaler.scale(loss).backward()
        if it % 2:
            scaler.unscale_(opt)
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        log.append(scaler.step(opt))
        scaler.update()
        log.append(scaler.state_dict())
    return log, [p.detach().numpy() for p in model.parameters()]


def test_grad_scaler_matches_torch():
    torch = pytest.importorskip("torch")
    want_log, want_params = _scaler_run(torch)
    got_log, got_params = _scaler_run(torchlet)
    assert got_log == want_log
    for g, w in zip(got_params, want_params, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------------------
# full backward hook warning


def test_full_backward_hook_warning_points_at_user_line():
    m = torchlet.nn.Sequential(torchlet.nn.Linear(3, 4), torchlet.nn.Linear(4, 2))
    m[0].register_full_backward_hook(lambda mod, gi, go: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m(torchlet.randn(5, 3)).sum().backward()
        m(torchlet.randn(5, 3)).backward(torchlet.ones(5, 2))
        torchlet.autograd.backward(m(torchlet.randn(5, 3)).sum())
    found = [w for w in caught if "Full backward hook is firing" in str(w.message)]
    assert len(found) == 3
    assert {w.filename for w in found} == {__file__}
