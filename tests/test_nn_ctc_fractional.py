"""CTC loss, fractional max pooling, AdaptiveLogSoftmaxWithLoss and CrossMapLRN2d against
torch 2.13, run live (each test that needs torch skips without it).

What is exact and what is within rounding:

* fractional_max_pool2d/3d: values, indices and gradients bit for bit, in float16/32/64,
  with samples drawn from the same seed (torch.rand(N, C, nd) in the input's dtype) or
  given as ``_random_samples``; the window starts use torch's float arithmetic and the
  gradient is added in torch's order. float64 gradcheck/gradgradcheck with fixed samples.
* ctc_loss: the loss bit for bit in practice, asserted within 1e-6 (float32) / 1e-12
  (float64) relative, because NumPy's exp/log may differ from the C library's by an ulp.
  The gradient is torch's formula, which assumes log_probs come from log_softmax, so it is
  compared with torch's (not with finite differences): float32 within 1e-4 absolute
  (exp(collected + nll - lp) amplifies an ulp of the ~50-sized log-sums), float64 1e-10.
  NaN gradients of impossible alignments (without zero_infinity) are compared as NaN.
* AdaptiveLogSoftmaxWithLoss: parameters bit for bit after the same seed; outputs, loss
  and gradients within float rounding (matrix products' summation order).
* CrossMapLRN2d: within float rounding (torch's vectorised pow differs by an ulp).
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
import torchlet.nn as nn
import torchlet.nn.functional as F
from torchlet.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy()


def _both(fn_torch, fn_torchlet):
    """Run both; return (torch result, torchlet result) or assert both raise alike."""
    try:
        expected = fn_torch()
    except Exception as error:  # noqa: BLE001 - compared against torchlet's below
        with pytest.raises(type(error)) as info:
            fn_torchlet()
        return error, info.value
    return expected, fn_torchlet()


# ---------------------------------------------------------------------------------------
# ctc_loss


def _ctc_inputs(seed, steps, batch, classes, max_target, dtype):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(steps, batch, classes, generator=gen, dtype=dtype)
    log_probs = logits.log_softmax(2)
    targets = torch.randint(1, classes, (batch, max_target), generator=gen)
    input_lengths = torch.randint(max(steps - 3, 0), steps + 1, (batch,), generator=gen)
    target_lengths = torch.randint(0, max_target + 1, (batch,), generator=gen)
    return log_probs, targets, input_lengths, target_lengths


def _tl(t, requires_grad=False):
    return torchlet.tensor(t.detach().numpy(), requires_grad=requires_grad)


def _compare_ctc(lp, targets, il, tl, tlet_targets, tlet_il, tlet_tl, **kwargs):
    x = lp.detach().clone().requires_grad_()
    y = _tl(lp, requires_grad=True)
    expected = torch.nn.functional.ctc_loss(x, targets, il, tl, **kwargs)
    got = F.ctc_loss(y, tlet_targets, tlet_il, tlet_tl, **kwargs)
    assert got.dtype == getattr(torchlet, str(expected.dtype).split(".")[1])
    assert tuple(got.shape) == tuple(expected.shape)
    assert got.grad_fn.name() == expected.grad_fn.name()
    exact = lp.dtype == torch.float64
    np.testing.assert_allclose(_np(got), _np(expected), rtol=1e-12 if exact else 1e-6,
                               atol=0)
    grad = torch.randn(expected.shape, dtype=expected.dtype)
    expected.backward(grad)
    got.backward(_tl(grad))
    np.testing.assert_allclose(y.grad.numpy(), x.grad.numpy(), rtol=1e-6,
                               atol=1e-10 if exact else 1e-4)
    return expected, got


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("shape", [(6, 3, 5, 3), (30, 4, 7, 8), (1, 2, 3, 1), (12, 5, 4, 6)])
def test_ctc_loss_padded_targets(dtype, reduction, zero_infinity, shape):
    lp, targets, il, tl = _ctc_inputs(sum(shape), *shape, dtype)
    _compare_ctc(lp, targets, il, tl, _tl(targets), _tl(il), _tl(tl), reduction=reduction,
                 zero_infinity=zero_infinity)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_loss_concatenated_targets_and_tuple_lengths(reduction):
    lp, targets, il, tl = _ctc_inputs(3, 20, 4, 6, 5, torch.float64)
    flat = torch.cat([targets[b, :tl[b]] for b in range(4)])
    il_t, tl_t = tuple(il.tolist()), tuple(tl.tolist())
    _compare_ctc(lp, flat, il_t, tl_t, _tl(flat), il_t, tl_t, reduction=reduction)
    _compare_ctc(lp, targets, list(il_t), list(tl_t), _tl(targets), list(il_t), list(tl_t),
                 reduction=reduction, blank=0)


def test_ctc_loss_other_blank_repeats_and_impossible_alignments():
    gen = torch.Generator().manual_seed(5)
    lp = torch.randn(5, 4, 4, generator=gen, dtype=torch.float64).log_softmax(2)
    # repeated labels need a blank between them; [0, 0, 0] does not fit in 5 steps at
    # batch 1, and no input at all (batch 3) only fits the empty target
    targets = torch.tensor([[1, 1, 2], [0, 0, 0], [2, 0, 1], [1, 2, 1]])
    il = torch.tensor([5, 5, 0, 5])
    tl = torch.tensor([3, 3, 1, 0])
    for zero_infinity in (False, True):
        expected, got = _compare_ctc(lp, targets, il, tl, _tl(targets), _tl(il), _tl(tl),
                                     blank=3, reduction="none", zero_infinity=zero_infinity)
        assert np.isinf(_np(got)).any() != zero_infinity
    il0 = torch.tensor([0, 5, 5, 5])
    tl0 = torch.tensor([0, 2, 1, 2])
    _, got = _compare_ctc(lp, targets, il0, tl0, _tl(targets), _tl(il0), _tl(tl0), blank=3,
                          reduction="none")
    assert _np(got)[0] == 0


def test_ctc_loss_unbatched_and_module():
    lp, targets, il, tl = _ctc_inputs(9, 8, 1, 5, 3, torch.float64)
    tl = torch.tensor([3])
    for reduction in ("none", "mean", "sum"):
        _compare_ctc(lp[:, 0], targets[0], il, tl, _tl(targets[0]), _tl(il), _tl(tl),
                     reduction=reduction)
    module, reference = nn.CTCLoss(blank=0, zero_infinity=True), torch.nn.CTCLoss(
        blank=0, zero_infinity=True)
    assert repr(module) == repr(reference)
    expected = reference(lp, targets, il, tl)
    got = module(_tl(lp), _tl(targets), _tl(il), _tl(tl))
    np.testing.assert_allclose(_np(got), _np(expected), rtol=1e-12)


def test_ctc_loss_gradient_of_gradient_is_not_implemented():
    lp, targets, il, tl = _ctc_inputs(1, 6, 2, 4, 2, torch.float64)
    x = _tl(lp, requires_grad=True)
    loss = F.ctc_loss(x, _tl(targets), _tl(il), _tl(tl))
    (grad,) = torchlet.autograd.grad(loss, x, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward is not"):
        grad.sum().backward()


def _ctc_error_cases():
    lp = torch.randn(6, 3, 5).log_softmax(2)
    tg = torch.randint(1, 5, (3, 3))
    il = torch.full((3,), 6, dtype=torch.long)
    tl = torch.tensor([3, 2, 1])
    return [
        (lp[None], tg, il, tl, {}),
        (lp, tg, il, tl, {"blank": 5}),
        (lp, tg, il, tl, {"blank": -1}),
        (lp, tg, il[:2], tl, {}),
        (lp, tg, il, tl[:2], {}),
        (lp, tg, il, torch.tensor([3, -1, 1]), {}),
        (lp, tg, il, torch.tensor([4, 1, 1]), {}),
        (lp, tg, torch.tensor([7, 6, 6]), tl, {}),
        (lp, tg, torch.tensor([-1, 6, 6]), tl, {}),
        (lp, tg.flatten()[:5], il, tl, {}),
        (lp, tg[:2], il, tl, {}),
        (lp, tg[None], il, tl, {}),
        (lp, tg, il.float(), tl, {}),
        (lp, tg, il, tl.float(), {}),
        (lp.long(), tg, il, tl, {}),
        (lp[:0], tg, il * 0, tl, {}),
        (lp, tg, il, tl, {"reduction": "bad"}),
    ]


@pytest.mark.parametrize("case", range(17))
def test_ctc_loss_errors_match_torch(case):
    lp, tg, il, tl, kwargs = _ctc_error_cases()[case]
    expected, got = _both(
        lambda: torch.nn.functional.ctc_loss(lp, tg, il, tl, **kwargs),
        lambda: F.ctc_loss(_tl(lp), _tl(tg), _tl(il), _tl(tl), **kwargs))
    assert isinstance(expected, Exception), "torch accepted the case"
    assert str(got) == str(expected)


def test_ctc_loss_mixed_length_types_raise_type_error():
    lp, tg, il, tl = _ctc_inputs(2, 6, 3, 5, 3, torch.float32)
    with pytest.raises(TypeError):
        torch.nn.functional.ctc_loss(lp, tg, (6, 6, 6), tl)
    with pytest.raises(TypeError, match="both Tensors or both tuples of ints"):
        F.ctc_loss(_tl(lp), _tl(tg), (6, 6, 6), _tl(tl))


# ---------------------------------------------------------------------------------------
# fractional max pooling

_FMP_CASES = [
    (2, (2, 3, 7, 8), 2, {"output_size": 4}),
    (2, (3, 9, 10), (2, 3), {"output_size": (5, 6)}),
    (2, (2, 3, 25, 17), 3, {"output_ratio": (0.5, 0.7)}),
    (2, (1, 2, 5, 5), 1, {"output_size": 5}),
    (2, (1, 2, 5, 5), 2, {"output_size": 1}),
    (2, (2, 2, 6, 6), 2, {"output_size": 0}),
    (3, (2, 3, 7, 8, 6), 2, {"output_size": 4}),
    (3, (3, 9, 10, 5), (2, 3, 1), {"output_size": (5, 6, 4)}),
    (3, (2, 2, 9, 9, 9), 2, {"output_ratio": 0.5}),
]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("case", range(len(_FMP_CASES)))
def test_fractional_max_pool_seeded_bit_exact(dtype, case):
    nd, shape, kernel, kwargs = _FMP_CASES[case]
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(case)).to(
        getattr(torch, dtype)).requires_grad_()
    y = _tl(x, requires_grad=True)
    torch_fn = getattr(torch.nn.functional, f"fractional_max_pool{nd}d")
    tlet_fn = getattr(F, f"fractional_max_pool{nd}d")
    torch.manual_seed(7)
    torchlet.manual_seed(7)
    out, idx = torch_fn(x, kernel, return_indices=True, **kwargs)
    got, got_idx = tlet_fn(y, kernel, return_indices=True, **kwargs)
    assert got.dtype == getattr(torchlet, dtype) and got_idx.dtype == torchlet.int64
    np.testing.assert_array_equal(_np(got), _np(out))
    np.testing.assert_array_equal(got_idx.numpy(), idx.numpy())
    assert got.grad_fn.name() == out.grad_fn.name()
    grad = torch.randn(out.shape, generator=torch.Generator().manual_seed(1)).to(out.dtype)
    out.backward(grad)
    got.backward(_tl(grad))
    np.testing.assert_array_equal(y.grad.numpy(), x.grad.numpy())
    # the generator moved on by the same draws
    np.testing.assert_array_equal(torchlet.rand(3).numpy(), torch.rand(3).numpy())


def test_fractional_max_pool_fixed_samples_module_and_with_indices():
    x = torch.randn(2, 3, 11, 9)
    samples = torch.rand(4, 3, 2)
    expected = torch.nn.FractionalMaxPool2d((3, 2), output_ratio=0.5, return_indices=True,
                                            _random_samples=samples)(x)
    module = nn.FractionalMaxPool2d((3, 2), output_ratio=0.5, return_indices=True,
                                    _random_samples=_tl(samples))
    assert repr(module) == "FractionalMaxPool2d()"
    assert "_random_samples" in dict(module.named_buffers())
    got = module(_tl(x))
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(_np(a), _np(b))
    x3 = torch.randn(3, 6, 7, 8)
    samples3 = torch.rand(1, 3, 3)
    out, idx = torch.nn.functional.fractional_max_pool3d_with_indices(
        x3, 2, (3, 4, 5), _random_samples=samples3)
    got, got_idx = F.fractional_max_pool3d_with_indices(_tl(x3), 2, (3, 4, 5),
                                                        _random_samples=_tl(samples3))
    np.testing.assert_array_equal(_np(got), _np(out))
    np.testing.assert_array_equal(got_idx.numpy(), idx.numpy())
    torch.manual_seed(3)
    torchlet.manual_seed(3)
    a = torch.nn.FractionalMaxPool3d(2, output_size=3)(x3)
    b = nn.FractionalMaxPool3d(2, output_size=3)(_tl(x3))
    np.testing.assert_array_equal(_np(b), _np(a))


def test_fractional_max_pool_nan_wins_and_double_backward_names():
    x = torch.randn(1, 2, 6, 6, dtype=torch.float64)
    x[0, 0, 2, 3] = float("nan")
    samples = torch.rand(1, 2, 2, dtype=torch.float64)
    xr = x.clone().requires_grad_()
    y = _tl(x, requires_grad=True)
    out = torch.nn.functional.fractional_max_pool2d(xr, 3, output_size=3,
                                                    _random_samples=samples)
    got = F.fractional_max_pool2d(y, 3, output_size=3, _random_samples=_tl(samples))
    np.testing.assert_array_equal(_np(got), _np(out))
    (g_torch,) = torch.autograd.grad((out * out).sum(), xr, create_graph=True)
    (g_tlet,) = torchlet.autograd.grad((got * got).sum(), y, create_graph=True)
    assert g_tlet.grad_fn.name() == g_torch.grad_fn.name()
    np.testing.assert_array_equal(_np(g_tlet), _np(g_torch))


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_gradcheck_float64(nd):
    rng = np.random.default_rng(nd)
    shape = (2, 2, 7, 6) if nd == 2 else (1, 2, 5, 6, 5)
    # distinct values, so no window has a tie that a finite difference could flip
    values = rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0
    x = torchlet.tensor(values, dtype=torchlet.float64, requires_grad=True)
    samples = torchlet.tensor(rng.random((shape[0], 2, nd)), dtype=torchlet.float64)
    fn = getattr(F, f"fractional_max_pool{nd}d")

    def pool(t):
        return fn(t, 2, output_size=3, _random_samples=samples)

    assert gradcheck(pool, (x,), eps=1e-6, atol=1e-5, rtol=1e-3)
    assert gradgradcheck(pool, (x,), eps=1e-6, atol=1e-5, rtol=1e-3)


def _fmp_error_cases():
    x = torch.randn(2, 3, 7, 8)
    x5 = torch.randn(2, 3, 5, 5, 5)
    return [
        (2, x, 2, {}),
        (2, x, 2, {"output_ratio": (0.5, 0.5, 0.5)}),
        (2, x, 2, {"output_ratio": 0.5}),
        (2, x, 2, {"output_size": 7}),
        (2, x, (7, 2), {"output_size": 2}),
        (2, x, (2, 8), {"output_size": 1}),
        (2, x, 0, {"output_size": 2}),
        (2, x, (2, 2, 2), {"output_size": 2}),
        (2, x, 2, {"output_size": (2, 2, 2)}),
        (2, x[:, :, :0], 2, {"output_size": 2}),
        (2, x, 2, {"output_size": -1}),
        (2, x, 2, {"output_size": 2, "_random_samples": torch.rand(2, 3, 2).double()}),
        (2, x, 2, {"output_size": 2, "_random_samples": torch.rand(2, 3)}),
        (2, x, 2, {"output_size": 2, "_random_samples": torch.rand(1, 3, 2)}),
        (2, x, 2, {"output_size": 2, "_random_samples": torch.rand(2, 4, 2)}),
        (2, x, 2, {"output_size": 2, "_random_samples": torch.rand(2, 3, 3)}),
        (2, x.long(), 2, {"output_size": 2}),
        (3, x5, 2, {"output_size": 4}),
        (3, x5, (2, 2, 5), {"output_size": 1}),
        (3, x5, 2, {"output_size": (3, 3)}),
        (3, x5, 2, {}),
        (3, x5[0, 0], 2, {"output_size": 2}),
    ]


@pytest.mark.parametrize("case", range(22))
def test_fractional_max_pool_errors_match_torch(case):
    nd, x, kernel, kwargs = _fmp_error_cases()[case]
    tlet_kwargs = {k: _tl(v) if k == "_random_samples" else v for k, v in kwargs.items()}
    torch_fn = getattr(torch.nn.functional, f"fractional_max_pool{nd}d")
    tlet_fn = getattr(F, f"fractional_max_pool{nd}d")
    expected, got = _both(lambda: torch_fn(x, kernel, **kwargs),
                          lambda: tlet_fn(_tl(x), kernel, **tlet_kwargs))
    if isinstance(expected, Exception):
        assert str(got) == str(expected)
    else:  # accepted: same (possibly empty) shape
        assert tuple(got.shape) == tuple(expected.shape)


@pytest.mark.parametrize("args", [
    {"kernel_size": 2},
    {"kernel_size": 2, "output_ratio": 1.5},
    {"kernel_size": 2, "output_size": 2, "output_ratio": 0.5},
    {"kernel_size": 0, "output_size": 2},
])
@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_module_errors(args, nd):
    name = f"FractionalMaxPool{nd}d"
    expected, got = _both(lambda: getattr(torch.nn, name)(**args),
                          lambda: getattr(nn, name)(**args))
    if isinstance(expected, Exception):
        assert str(got) == str(expected)
    else:
        assert repr(got) == repr(expected)


# ---------------------------------------------------------------------------------------
# AdaptiveLogSoftmaxWithLoss


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax_matches_torch(dtype, head_bias):
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-12,
                                                                   "atol": 1e-12}
    torch.manual_seed(0)
    torchlet.manual_seed(0)
    ref = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10, 15], div_value=2.0,
                                              head_bias=head_bias, dtype=getattr(torch, dtype))
    mod = nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10, 15], div_value=2.0,
                                        head_bias=head_bias, dtype=getattr(torchlet, dtype))
    assert repr(mod) == repr(ref)
    for (name_a, a), (name_b, b) in zip(ref.named_parameters(), mod.named_parameters(),
                                        strict=True):
        assert name_a == name_b
        np.testing.assert_array_equal(_np(b), _np(a))
    x = torch.randn(7, 16, dtype=getattr(torch, dtype), requires_grad=True)
    target = torch.tensor([0, 3, 5, 19, 12, 9, 1])
    y = _tl(x, requires_grad=True)
    expected, got = ref(x, target), mod(y, _tl(target))
    assert type(got).__name__ == "_ASMoutput" and got._fields == ("output", "loss")
    np.testing.assert_allclose(_np(got.output), _np(expected.output), **tol)
    np.testing.assert_allclose(_np(got.loss), _np(expected.loss), **tol)
    assert got.loss.grad_fn.name() == expected.loss.grad_fn.name()
    expected.loss.backward()
    got.loss.backward()
    np.testing.assert_allclose(y.grad.numpy(), x.grad.numpy(), **tol)
    for a, b in zip(ref.parameters(), mod.parameters(), strict=True):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), **tol)
    np.testing.assert_allclose(_np(mod.log_prob(y)), _np(ref.log_prob(x)), **tol)
    np.testing.assert_array_equal(mod.predict(y).numpy(), ref.predict(x).numpy())
    single, single_ref = mod(y[0], _tl(target)[0]), ref(x[0], target[0])
    assert tuple(single.output.shape) == tuple(single_ref.output.shape) == ()
    np.testing.assert_allclose(_np(single.output), _np(single_ref.output), **tol)


@pytest.mark.parametrize("args", [
    (16, 20, []), (16, 20, [4, 3]), (16, 20, [0, 5]), (16, 20, [4, 20]), (16, 20, [4, 4]),
    (16, 20, [4.5]),
])
def test_adaptive_log_softmax_bad_cutoffs(args):
    expected, got = _both(lambda: torch.nn.AdaptiveLogSoftmaxWithLoss(*args),
                          lambda: nn.AdaptiveLogSoftmaxWithLoss(*args))
    assert isinstance(expected, ValueError)
    assert str(got) == str(expected)


def test_adaptive_log_softmax_bad_targets_and_shapes():
    torch.manual_seed(1)
    torchlet.manual_seed(1)
    ref = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6])
    mod = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6])
    x = torch.randn(4, 8)
    for inp, tgt in [(x, torch.tensor([0, 1, 10, 2])), (x, torch.tensor([0, 1, 2])),
                     (x[None], torch.tensor([0, 1, 2, 3])), (x, torch.tensor(1)),
                     (x, torch.zeros(4, 2, dtype=torch.long))]:
        expected, got = _both(lambda inp=inp, tgt=tgt: ref(inp, tgt),
                              lambda inp=inp, tgt=tgt: mod(_tl(inp), _tl(tgt)))
        assert isinstance(expected, RuntimeError)
        assert str(got) == str(expected)


# ---------------------------------------------------------------------------------------
# CrossMapLRN2d


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [2, 3, 4, 5, 7])
def test_cross_map_lrn2d_matches_torch(dtype, size):
    tol = {"rtol": 1e-6, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-13,
                                                                   "atol": 1e-14}
    x = torch.randn(2, 6, 4, 5, generator=torch.Generator().manual_seed(size)).to(
        getattr(torch, dtype)).requires_grad_()
    y = _tl(x, requires_grad=True)
    ref = torch.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.8, k=2)
    mod = nn.CrossMapLRN2d(size, alpha=0.5, beta=0.8, k=2)
    assert repr(mod) == repr(ref)
    expected, got = ref(x), mod(y)
    assert got.dtype == getattr(torchlet, dtype)
    assert got.grad_fn.name() == "CrossMapLRN2dBackward"
    np.testing.assert_allclose(_np(got), _np(expected), **tol)
    grad = torch.randn(expected.shape, dtype=expected.dtype)
    expected.backward(grad)
    got.backward(_tl(grad))
    np.testing.assert_allclose(y.grad.numpy(), x.grad.numpy(), **tol)


def test_cross_map_lrn2d_errors():
    with pytest.raises(ValueError, match="Expected input to be 4D, got 3D instead"):
        nn.CrossMapLRN2d(3)(torchlet.randn(2, 3, 3))
    x = torchlet.randn(1, 4, 2, 2, requires_grad=True)
    out = nn.CrossMapLRN2d(3)(x)
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic"):
        torchlet.autograd.grad(out.sum(), x, create_graph=True)
