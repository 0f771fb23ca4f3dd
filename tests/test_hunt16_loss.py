"""Losses: regressions found by a random differential hunt against torch, and a small
derandomized sample of that hunt.

Each fixed bug has a test with a hand-derived expectation (so it means something without
torch) and, where torch is installed, the live comparison:

* torch's C++ ``EPSILON`` (cosine_embedding_loss's denominators, binary_cross_entropy's
  gradient clamp) is a ``float``: 1e-12 rounded to float32, 9.99999996e-13;
* binary_cross_entropy's gradient is an operation of its own whose derivatives are
  torch's double-backward formulas (they add 1e-12 to x and 1 - x, not clamp);
* cross_entropy with probability targets on an empty batch ends in NegBackward0;
* soft_margin_loss writes into an input-shaped buffer: a target that broadcasts the
  input to a larger shape is a RuntimeError;
* nll_loss / cross_entropy per-position losses are C-contiguous whatever the layout of
  the target.
"""

import warnings

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F

try:
    import torch
except ImportError:  # the hand-derived checks still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")

EPS_F32 = float(np.float32(1e-12))


def _grad_name(t):
    return t.grad_fn.name()


# ---------------------------------------------------------------------------------------
# cosine_embedding_loss: EPSILON is a float


def test_cosine_embedding_zero_input_uses_float_epsilon():
    x2 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    x1 = torchlet.zeros(2, 3, dtype=torchlet.float64, requires_grad=True)
    y = torchlet.tensor([1.0, 1.0], dtype=torchlet.float64)
    loss = F.cosine_embedding_loss(x1, torchlet.tensor(x2), y)
    (g,) = torchlet.autograd.grad(loss, x1)
    # x1 = 0: d(1 - cos)/dx1 = -x2 / sqrt((0 + eps) (|x2|^2 + eps)), over 2 samples
    mag2 = (x2 * x2).sum(1) + 1e-12
    expected = -x2 / np.sqrt(EPS_F32 * mag2)[:, None] / 2
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-14)
    # 1e-12 exactly would be ~2e-9 off: far outside float64 rounding
    wrong = -x2 / np.sqrt(1e-12 * mag2)[:, None] / 2
    assert np.abs(g.numpy() / wrong - 1).max() > 1e-9


@needs_torch
def test_cosine_embedding_zero_input_matches_torch():
    rng = np.random.default_rng(5)
    a = np.zeros((3, 4))
    a[1] = rng.standard_normal(4) * 1e-7
    b = rng.standard_normal((3, 4))
    y = np.array([1.0, -1.0, 1.0])
    out = []
    for lib in (torch, torchlet):
        x1 = lib.tensor(a, requires_grad=True)
        x2 = lib.tensor(b, requires_grad=True)
        loss = lib.nn.functional.cosine_embedding_loss(x1, x2, lib.tensor(y), margin=-0.5)
        out.append([loss.detach().numpy(), *(g.numpy() for g in lib.autograd.grad(loss, [x1, x2]))])
    for t, m in zip(*out):
        np.testing.assert_allclose(m, t, rtol=1e-14, atol=0)


# ---------------------------------------------------------------------------------------
# binary_cross_entropy: float EPSILON in the gradient, torch's double backward


def test_bce_grad_at_zero_and_one_uses_float_epsilon():
    x = torchlet.tensor([0.0, 1.0, 0.25], dtype=torchlet.float64, requires_grad=True)
    y = torchlet.tensor([0.5, 0.25, 0.75], dtype=torchlet.float64)
    (g,) = torchlet.autograd.grad(F.binary_cross_entropy(x, y, reduction="sum"), x)
    # grad = (x - y) / max((1 - x) x, eps)
    assert g.numpy()[0] == -0.5 / EPS_F32
    assert g.numpy()[1] == 0.75 / EPS_F32
    assert g.numpy()[2] == (0.25 - 0.75) / (0.75 * 0.25)


def test_bce_double_backward_formulas():
    xv, yv = np.array([0.0, 1.0, 0.3]), np.array([0.5, 0.25, 0.9])
    x = torchlet.tensor(xv, requires_grad=True)
    y = torchlet.tensor(yv, requires_grad=True)
    go = torchlet.ones(3, dtype=torchlet.float64, requires_grad=True)
    loss = F.binary_cross_entropy(x, y, reduction="none")
    (g,) = torchlet.autograd.grad(loss, x, go, create_graph=True)
    assert _grad_name(g) == "BinaryCrossEntropyBackwardBackward0"
    gx, gy, ggo = torchlet.autograd.grad(g.sum(), [x, y, go])
    e = 1e-12
    np.testing.assert_allclose(
        gx.numpy(), (xv * xv - 2 * xv * yv + yv) / ((xv + e) ** 2 * (1 - xv + e) ** 2),
        rtol=1e-15)
    np.testing.assert_allclose(gy.numpy(), -1 / np.maximum((1 - xv) * xv, e), rtol=1e-15)
    np.testing.assert_allclose(ggo.numpy(), (xv - yv) / ((xv + e) * (1 - xv + e)), rtol=1e-15)
    # at x = 0 the clamp-based derivative would give ~1e24 less than torch's 5e23 * 1e12
    assert gx.numpy()[0] == pytest.approx(0.5 / e ** 2, rel=1e-9)


@needs_torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_first_and_second_order_bit_exact(reduction, dtype):
    rng = np.random.default_rng(11)
    x = rng.random(40).astype(dtype)
    x[:3] = [0, 1, 0.5]
    y = rng.random(40).astype(dtype)
    w = rng.random(40).astype(dtype)
    res = []
    for lib in (torch, torchlet):
        X = lib.tensor(x, requires_grad=True)
        Y = lib.tensor(y, requires_grad=True)
        loss = lib.nn.functional.binary_cross_entropy(X, Y, weight=lib.tensor(w),
                                                      reduction=reduction)
        go = (lib.ones_like(loss) * 1.3).requires_grad_()
        gx, gy = lib.autograd.grad(loss, [X, Y], go, create_graph=True)
        second = lib.autograd.grad((gx * gx).sum(), [X, Y, go])
        res.append([gx.detach().numpy(), gy.detach().numpy(), *(s.numpy() for s in second)])
    (tgx, tgy, *tsec), (mgx, mgy, *msec) = res
    np.testing.assert_array_equal(mgx, tgx)
    for t, m in zip(tsec, msec):
        np.testing.assert_array_equal(m, t)
    # grad_y = -logit(x): torch's vectorized float32 log may differ in the last ulp
    np.testing.assert_allclose(mgy, tgy, rtol=1e-6 if dtype == "float32" else 1e-15)


# ---------------------------------------------------------------------------------------
# cross_entropy with probabilities on an empty batch; soft_margin_loss broadcasting


def test_cross_entropy_probabilities_empty_mean_graph():
    x = torchlet.zeros(0, 3, requires_grad=True)
    loss = F.cross_entropy(x, torchlet.zeros(0, 3))
    assert np.isnan(loss.item())
    assert _grad_name(loss) == "NegBackward0"  # torch: -(...).sum().fill_(nan)
    assert loss.grad_fn.next_functions[0][0].name() == "FillBackward2"
    (g,) = torchlet.autograd.grad(loss, x)
    assert g.shape == (0, 3)


@pytest.mark.parametrize("shapes", [((3,), (3, 1)), ((3, 1), (3,)), ((1, 3), (2, 3))])
def test_soft_margin_loss_target_broadcasting_input_raises(shapes):
    xs, ys = shapes
    for reduction in ("none", "mean"):
        with pytest.raises(RuntimeError, match=r"output with shape .* doesn't match the "
                                               r"broadcast shape"):
            F.soft_margin_loss(torchlet.randn(*xs), torchlet.ones(*ys), reduction=reduction)
    # a target that broadcasts to the input's shape is fine
    out = F.soft_margin_loss(torchlet.zeros(2, 3), torchlet.ones(3), reduction="none")
    np.testing.assert_allclose(out.numpy(), np.full((2, 3), np.log(2.0)), rtol=1e-6)


@needs_torch
def test_soft_margin_loss_broadcast_message_matches_torch():
    with pytest.raises(RuntimeError) as t_err:
        torch.nn.functional.soft_margin_loss(torch.randn(3), torch.ones(3, 1))
    with pytest.raises(RuntimeError) as m_err:
        F.soft_margin_loss(torchlet.randn(3), torchlet.ones(3, 1))
    assert str(m_err.value) == str(t_err.value)


@pytest.mark.parametrize("fn", [F.nll_loss, F.cross_entropy])
def test_spatial_none_output_contiguous_for_transposed_target(fn):
    t = torchlet.tensor(np.arange(12).reshape(2, 3, 2) % 3).transpose(-1, -2)
    x = torchlet.randn(2, 3, 2, 3)
    out = fn(x, t, reduction="none")
    assert out.shape == (2, 2, 3)
    assert out.is_contiguous() and out.stride() == (6, 3, 1)


# ---------------------------------------------------------------------------------------
# a derandomized sample of the differential hunt


def _cases():
    """(name, kwargs, input arrays) for 60 seeded configurations over the losses."""
    rng = np.random.default_rng(1616)
    out = []
    reds = ["none", "mean", "sum"]
    for i in range(60):
        kind = i % 12
        dt = ["float32", "float64"][int(rng.integers(2))]
        red = reds[int(rng.integers(3))]
        n, c = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        x = rng.standard_normal((n, c)).astype(dt)
        if kind == 0:
            out.append(("binary_cross_entropy", dict(reduction=red),
                        [rng.random((n, c)).round(int(rng.integers(0, 3))).astype(dt),
                         rng.random((n, c)).astype(dt)]))
        elif kind == 1:
            out.append(("binary_cross_entropy_with_logits",
                        dict(reduction=red, pos_weight=rng.random(c).astype(dt) + 0.5),
                        [x * 10, rng.random((n, c)).astype(dt)]))
        elif kind == 2:
            out.append(("cosine_embedding_loss", dict(reduction=red, margin=0.2),
                        [x * (i % 2), rng.standard_normal((n, c)).astype(dt),
                         np.where(rng.random(n) < 0.5, -1.0, 1.0).astype(dt)]))
        elif kind == 3:
            out.append(("cross_entropy", dict(reduction=red, label_smoothing=0.1),
                        [rng.standard_normal((n, c, 2, 2)).astype(dt),
                         rng.integers(0, c, (n, 2, 2)).T.copy().T]))
        elif kind == 4:
            out.append(("nll_loss", dict(reduction=red, ignore_index=0),
                        [x, rng.integers(0, c, n)]))
        elif kind == 5:
            out.append(("smooth_l1_loss", dict(reduction=red, beta=0.5),
                        [x, rng.standard_normal((n, c)).astype(dt)]))
        elif kind == 6:
            out.append(("huber_loss", dict(reduction=red, delta=0.7),
                        [x, rng.standard_normal((n, c)).astype(dt)]))
        elif kind == 7:
            out.append(("kl_div", dict(reduction="batchmean", log_target=bool(i % 2)),
                        [np.log(rng.random((n, c)) + 0.1).astype(dt),
                         (np.log(rng.random((n, c)) + 0.1) if i % 2 else rng.random((n, c)))
                         .astype(dt)]))
        elif kind == 8:
            out.append(("multi_margin_loss", dict(reduction=red, p=1 + i % 2, margin=0.8),
                        [x, rng.integers(0, c, n)]))
        elif kind == 9:
            out.append(("poisson_nll_loss", dict(reduction=red, full=True),
                        [x, rng.integers(0, 4, (n, c)).astype(dt)]))
        elif kind == 10:
            out.append(("gaussian_nll_loss", dict(reduction=red, full=bool(i % 2)),
                        [x, rng.standard_normal((n, c)).astype(dt),
                         (rng.random((n, 1)) + 0.1).astype(dt)]))
        else:
            out.append(("triplet_margin_loss", dict(reduction=red, swap=bool(i % 2), p=1.5),
                        [x, rng.standard_normal((n, c)).astype(dt),
                         rng.standard_normal((n, c)).astype(dt)]))
    return out


@needs_torch
def test_sampled_differential_against_torch():
    for name, kwargs, arrays in _cases():
        res = []
        for lib in (torch, torchlet):
            args = [lib.tensor(a, requires_grad=a.dtype.kind == "f" and j < 2)
                    for j, a in enumerate(arrays)]
            kw = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v
                  for k, v in kwargs.items()}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                loss = getattr(lib.nn.functional, name)(*args, **kw)
            name_of = (type(loss.grad_fn).__name__ if lib is torch else loss.grad_fn.name())
            leaves = [a for a in args if a.requires_grad]
            go = lib.tensor(np.linspace(-1, 2, loss.numel()).reshape(tuple(loss.shape)),
                            dtype=loss.dtype)
            grads = lib.autograd.grad(loss, leaves, go)
            res.append((loss.detach().numpy(), name_of, [g.numpy() for g in grads]))
        (t_out, t_name, t_grads), (m_out, m_name, m_grads) = res
        tol = 1e-5 if t_out.dtype == np.float32 else 1e-12
        assert m_name == t_name, (name, kwargs)
        assert m_out.shape == t_out.shape and m_out.dtype == t_out.dtype, (name, kwargs)
        np.testing.assert_allclose(m_out, t_out, rtol=tol, atol=tol, err_msg=name)
        for t, m in zip(t_grads, m_grads):
            scale = max(np.nanmax(np.abs(t), initial=0), 1)
            np.testing.assert_allclose(m, t, rtol=tol, atol=tol * scale, err_msg=name)


def test_bce_target_grad_is_logit_and_differentiates_to_inf_at_zero():
    x = torchlet.tensor(0.0, dtype=torchlet.float64, requires_grad=True)
    y = torchlet.tensor(0.75, dtype=torchlet.float64, requires_grad=True)
    loss = F.binary_cross_entropy(x, y)
    gx, gy = torchlet.autograd.grad(loss, [x, y], create_graph=True)
    assert gy.item() == np.inf  # -logit(0)
    # d(-logit(x))/dx = -1 / (x (1 - x)): -inf at 0 (torch), not the NaN of log(x / (1 - x))
    (ggx,) = torchlet.autograd.grad(gy, x)
    assert ggx.item() == -np.inf


def test_soft_margin_grad_nan_where_exp_overflows_as_torch():
    x = torchlet.tensor([100.0, 0.5, -100.0], requires_grad=True)
    y = torchlet.tensor([-1.0, 1.0, 1.0])
    (g,) = torchlet.autograd.grad(F.soft_margin_loss(x, y, reduction="sum"), x)
    # grad = y z (-1) / (1 + z), z = exp(-y x): z = inf (float32) gives inf / inf = NaN
    assert np.isnan(g.numpy()[[0, 2]]).all()
    z = np.exp(np.float32(-0.5))
    assert g.numpy()[1] == np.float32(z * np.float32(-1.0) / (z + np.float32(1)))


@needs_torch
def test_soft_margin_grad_overflow_matches_torch():
    xs = np.array([[100.0, -3.0], [0.25, -100.0]], np.float32)
    ys = np.array([[-1.0, 1.0], [1.0, 1.0]], np.float32)
    out = []
    for lib in (torch, torchlet):
        x = lib.tensor(xs, requires_grad=True)
        out.append(lib.autograd.grad(lib.nn.functional.soft_margin_loss(x, lib.tensor(ys)),
                                     x)[0].numpy())
    np.testing.assert_allclose(out[1], out[0], rtol=1e-6)
    assert np.isnan(out[1]).sum() == 2


# ---------------------------------------------------------------------------------------
# argument checks in torch's order (exception type and message)


def _error_cases(lib):
    F = lib.nn.functional
    r, z = lib.ones, lib.zeros
    return [
        # nll_loss: the target dtype before the 1-D size and the weight checks, after
        # the multi-target check; a weight requiring grad before all of them
        (lambda: F.nll_loss(r(3), r(2)), RuntimeError, "expected target dtype to be Long"),
        (lambda: F.nll_loss(r(2, 3), r(2), weight=r(4)), RuntimeError, "expected target dtype"),
        (lambda: F.nll_loss(r(2, 3), r(2, 2)), RuntimeError, "0D or 1D target tensor expected"),
        (lambda: F.nll_loss(r(2, 3, 4, 5), r(2, 4, 6)), RuntimeError, "expected target dtype"),
        (lambda: F.nll_loss(r(3), z(2).long(), weight=r(3).requires_grad_()), RuntimeError,
         "'nll_loss_forward' is not differentiable"),
        (lambda: F.nll_loss(r(2, 3, 4), z(2, 4).long(), weight=r(3).requires_grad_()),
         RuntimeError, "'nll_loss2d_forward' is not differentiable"),
        # multi-margin losses: no float16 kernel on CPU; the input's dtype before the target's
        (lambda: F.multi_margin_loss(r(2, 3).half(), z(2).long()), NotImplementedError,
         "\"multi_margin_loss_cpu_kernel\" not implemented for 'Half'"),
        (lambda: F.multi_margin_loss(r(2).long(), r(1)), NotImplementedError, "for 'Long'"),
        (lambda: F.multilabel_margin_loss(r(2, 3).half(), z(2, 3).long()), NotImplementedError,
         "\"multilabel_margin_loss_forward_out_frame\" not implemented for 'Half'"),
        (lambda: F.multilabel_margin_loss(r(5).long(), r(5)), NotImplementedError, "'Long'"),
        (lambda: F.multilabel_margin_loss(r(3), z(3) + 5.0), RuntimeError, "out of range"),
        # the broadcast before the reduction string (mse, l1, smooth_l1, huber)
        (lambda: F.mse_loss(r(0), r(3), reduction="bogus"), RuntimeError, "must match"),
        (lambda: F.l1_loss(r(5, 3), r(5), reduction="bogus"), RuntimeError, "must match"),
        (lambda: F.smooth_l1_loss(r(5, 3), r(5), reduction="bogus"), RuntimeError, "must match"),
        (lambda: F.huber_loss(r(5, 3), r(5), reduction="bogus"), RuntimeError, "must match"),
        (lambda: F.mse_loss(r(3), r(3), weight=r(3), reduction="bogus"), ValueError,
         "Invalid reduction mode: bogus"),
        # poisson_nll_loss checks the string itself: no 'elementwise_mean'
        (lambda: F.poisson_nll_loss(r(5), r(5), reduction="elementwise_mean"), ValueError,
         "elementwise_mean is not a valid value for reduction"),
        # cross_entropy of a 0-d input; the log_softmax kernel's name
        (lambda: F.cross_entropy(r(()), r(3, 3)), IndexError, "Dimension out of range"),
        (lambda: F.cross_entropy(r(()), r(())), IndexError, "Dimension specified as 1"),
        (lambda: F.cross_entropy(r(2, 5, 5).long(), r(1, 5)), NotImplementedError,
         "\"log_softmax_kernel_impl\" not implemented for 'Long'"),
        (lambda: F.multilabel_soft_margin_loss(r(()), r(3)), IndexError,
         "Dimension specified as -1 but tensor has no dimensions"),
        (lambda: F.soft_margin_loss(r(3) > 0, r(4)), RuntimeError, "Negation, the `-` operator"),
    ]


@pytest.mark.parametrize("i", range(len(_error_cases(torchlet))))
def test_argument_checks_in_torch_order(i):
    fn, exc, text = _error_cases(torchlet)[i]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc) as mine:
            fn()
    assert text in str(mine.value)
    if torch is not None:
        t_fn, t_exc, _ = _error_cases(torch)[i]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(t_exc) as theirs:
                t_fn()
        assert str(mine.value) == str(theirs.value)


def test_multilabel_margin_vector_input_takes_any_target_of_its_numel():
    # torch's shape check: input (1,) with a 0-d target, or a 0-d input with a (1,) target
    a = F.multilabel_margin_loss(torchlet.tensor([0.3]), torchlet.tensor(0), reduction="none")
    b = F.multilabel_margin_loss(torchlet.tensor(0.3), torchlet.tensor([0]), reduction="none")
    assert a.shape == b.shape == ()
    assert a.item() == b.item() == 0.0  # one class, the target itself: no margin terms


def test_kl_div_is_torchs_composition_of_pointwise_xlogy():
    rng = np.random.default_rng(3)
    x = torchlet.tensor(np.log(rng.random((4, 3))))  # float64 input
    y = torchlet.tensor(rng.random((4, 3)).astype(np.float32))  # float32 target
    out = F.kl_div(x, y, reduction="sum")
    expected = (torchlet.xlogy(y, y) - y * x).sum()  # xlogy in float32, then promoted
    assert out.dtype == torchlet.float64
    assert out.item() == expected.item()


@needs_torch
def test_kl_div_mixed_precision_matches_torch():
    rng = np.random.default_rng(4)
    x, y = np.log(rng.random((2, 1))), rng.random((4, 1, 3)).astype(np.float32)
    vals = [float(lib.nn.functional.kl_div(lib.tensor(x), lib.tensor(y), reduction="sum"))
            for lib in (torch, torchlet)]
    # np.log's float32 rounding (the former primitive) was ~1e-9 off here
    assert vals[1] == pytest.approx(vals[0], rel=1e-13)
