"""Losses against PyTorch: the option matrix of cross_entropy and nll_loss, the mission's
numbers, extremes, errors, double backward and the loss modules.

Each case runs the same expression on torch and torchlet and compares the value, the
dtype and the gradients (for a random grad_output when the loss is not a scalar).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import warnings

import numpy as np
import pytest

import torchlet
import torchlet.nn as tnn
import torchlet.nn.functional as TF
from torchlet.autograd.gradcheck import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
PF = torch.nn.functional

RNG = np.random.default_rng(1234)


def _run(lib, fn, arrays, grad_mask, grad_seed=0):
    """fn(lib, *tensors) -> (value, [grads of the inputs in grad_mask])."""
    tensors = [lib.tensor(a, requires_grad=bool(g)) for a, g in zip(arrays, grad_mask)]
    out = fn(lib, *tensors)
    wanted = [t for t in tensors if t.requires_grad]
    grads = []
    if wanted:
        g = np.random.default_rng(grad_seed).standard_normal(out.shape)
        grads = lib.autograd.grad(out, wanted, lib.tensor(g.astype(out.detach().numpy().dtype)),
                                  allow_unused=True)
        grads = [None if x is None else x.numpy() for x in grads]
    return out.detach().numpy(), str(out.dtype), grads


def assert_same(fn, arrays, grad_mask=None, rtol=1e-5, atol=1e-6):
    if grad_mask is None:
        grad_mask = [a.dtype.kind == "f" for a in arrays]
    want, want_dtype, want_grads = _run(torch, fn, arrays, grad_mask)
    have, have_dtype, have_grads = _run(torchlet, fn, arrays, grad_mask)
    assert have_dtype == want_dtype
    assert have.shape == want.shape
    np.testing.assert_allclose(have, want, rtol=rtol, atol=atol, equal_nan=True)
    assert len(have_grads) == len(want_grads)
    for h, w in zip(have_grads, want_grads):
        assert (h is None) == (w is None)
        if w is not None:
            np.testing.assert_allclose(h, w, rtol=rtol, atol=atol, equal_nan=True)


def same_error(fn):
    """torchlet raises the exception type (and message) torch raises."""
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(Exception) as have:
        fn(torchlet)
    assert type(have.value).__name__ == type(want.value).__name__, (have.value, want.value)
    return str(have.value), str(want.value)


# ---------------------------------------------------------------------------------------
# the option matrix


N_CLASSES = 4
SHAPES = {1: ((N_CLASSES,), ()), 2: ((6, N_CLASSES), (6,)), 4: ((2, N_CLASSES, 3, 2), (2, 3, 2))}


def _case(rank, dtype):
    x_shape, t_shape = SHAPES[rank]
    x = RNG.standard_normal(x_shape).astype(dtype) * 2
    t = RNG.integers(0, N_CLASSES, t_shape)
    t.reshape(-1)[0] = 1  # class 1 always occurs, so ignore_index=1 is "hit"
    probs = RNG.uniform(0, 1, x_shape).astype(dtype)
    probs /= probs.sum(axis=0 if rank == 1 else 1, keepdims=True)
    w = RNG.uniform(0.5, 2.0, N_CLASSES).astype(dtype)
    return x, t, probs, w


MATRIX = list(itertools.product(
    [False, True],  # weight
    [-100, 1],  # ignore_index: never hit / hit
    ["none", "mean", "sum"],
    [0.0, 0.1],  # label_smoothing
    ["index", "probs"],
    [1, 2, 4],  # input rank
))


@pytest.mark.parametrize("weighted,ignore_index,reduction,smoothing,kind,rank", MATRIX)
def test_cross_entropy_option_matrix(weighted, ignore_index, reduction, smoothing, kind, rank):
    x, t, probs, w = _case(rank, np.float32)
    target = t if kind == "index" else probs

    def fn(lib, x, target):
        weight = lib.tensor(w) if weighted else None
        return lib.nn.functional.cross_entropy(x, target, weight, ignore_index=ignore_index,
                                               reduction=reduction, label_smoothing=smoothing)

    if kind == "probs" and ignore_index >= 0:  # torch: not supported for probabilities
        same_error(lambda lib: fn(lib, lib.tensor(x), lib.tensor(target)))
        return
    assert_same(fn, [x, target], [True, kind == "probs"])


@pytest.mark.parametrize("weighted,ignore_index,reduction,rank", list(itertools.product(
    [False, True], [-100, 1], ["none", "mean", "sum"], [1, 2, 4])))
def test_nll_loss_option_matrix(weighted, ignore_index, reduction, rank):
    x, t, _, w = _case(rank, np.float32)

    def fn(lib, x, t):
        weight = lib.tensor(w) if weighted else None
        return lib.nn.functional.nll_loss(x, t, weight, ignore_index=ignore_index,
                                          reduction=reduction)

    assert_same(fn, [x, t])


@pytest.mark.parametrize("weighted,ignore_index,reduction,rank", [
    case for case in itertools.product([False, True], [-100, 1], ["none", "mean", "sum"],
                                       [1, 2, 4])
    if not (case[0] and case[2] == "mean")])
def test_nll_loss_gradient_is_bit_exact(weighted, ignore_index, reduction, rank):
    """nll_loss's backward only scatters -(grad / total) * w[t]: torch's rounding order, so
    the gradient equals torch's bit for bit, for any upstream gradient. (Except a weighted
    mean: its total, the sum of the targets' weights, is added in another order than
    torch's cascade and may differ in the last bit; test_nll_loss_option_matrix covers it.)
    """
    x, t, _, w = _case(rank, np.float32)
    got = {}
    for lib in (torch, torchlet):
        xt = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.nll_loss(xt, lib.tensor(t), lib.tensor(w) if weighted else None,
                                          ignore_index=ignore_index, reduction=reduction)
        upstream = np.random.default_rng(3).standard_normal(loss.shape).astype(np.float32)
        loss.backward(lib.tensor(upstream))
        got[lib.__name__] = xt.grad.numpy()
    assert got["torchlet"].tobytes() == got["torch"].tobytes()


@pytest.mark.parametrize("create_graph", [False, True])
def test_nll_loss_gradient_zeros_are_positive_as_torch(create_graph):
    """torch zero-fills the input gradient, then writes the targets: +0.0 elsewhere (a
    product with a negative gradient would give -0.0, which prints as "-0.")."""
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    got = {}
    for lib in (torch, torchlet):
        xt = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.nll_loss(xt, lib.tensor([0, 2, -100, 1]), reduction="none")
        (g,) = lib.autograd.grad(loss, xt, lib.tensor([1.0, -2.0, 3.0, -0.5]),
                                 create_graph=create_graph)
        got[lib.__name__] = g.detach().numpy()
    assert got["torchlet"].tobytes() == got["torch"].tobytes()


@pytest.mark.parametrize("weighted,smoothing,dtype", [(False, 0.0, np.float32),
                                                     (True, 0.0, np.float32),
                                                     (False, 0.0, np.float64),
                                                     (False, 0.1, np.float32)])
def test_zero_per_sample_losses_carry_torchs_sign(weighted, smoothing, dtype):
    """torch's per-sample loss is -log_softmax(x)[t] * w: a confident, right prediction
    gives -0.0 (printed "-0."), an ignored target +0.0."""
    x = np.array([[100.0, 0.0], [0.0, 100.0], [100.0, 0.0], [1.0, 2.0]], dtype)
    t = np.array([0, 1, -100, 0])
    got = {}
    for lib in (torch, torchlet):
        w = lib.tensor(np.array([2.0, 0.5], dtype)) if weighted else None
        loss = lib.nn.functional.cross_entropy(lib.tensor(x), lib.tensor(t), w,
                                               reduction="none", label_smoothing=smoothing)
        got[lib.__name__] = loss.numpy()
    assert np.array_equal(np.signbit(got["torchlet"]), np.signbit(got["torch"]))
    np.testing.assert_allclose(got["torchlet"], got["torch"], rtol=1e-6)


def test_nll_loss_ignores_infinite_log_probabilities_of_ignored_targets():
    x = np.array([[-np.inf, 0.0, -1.0], [-2.0, -3.0, -np.inf]], np.float32)
    for weighted, reduction in itertools.product([False, True], ["none", "mean", "sum"]):
        assert_same(lambda lib, x, t, r=reduction, wt=weighted: lib.nn.functional.nll_loss(
            x, t, lib.tensor([1.0, 2.0, 3.0]) if wt else None, reduction=r),
            [x, np.array([1, -100])])


@pytest.mark.parametrize("smoothing,reduction", [(0.0, "mean"), (0.3, "none"), (0.1, "sum")])
def test_cross_entropy_float64(smoothing, reduction):
    x, t, _, w = _case(2, np.float64)
    t[2] = -100
    assert_same(lambda lib, x, t: lib.nn.functional.cross_entropy(
        x, t, lib.tensor(w), reduction=reduction, label_smoothing=smoothing), [x, t],
        rtol=1e-12, atol=1e-12)


def test_cross_entropy_3d_and_5d_inputs():
    for x_shape, t_shape in [((2, 3, 4), (2, 4)), ((2, 3, 2, 2, 2), (2, 2, 2, 2))]:
        x = RNG.standard_normal(x_shape).astype(np.float32)
        t = RNG.integers(0, 3, t_shape)
        for reduction in ("none", "mean"):
            assert_same(lambda lib, x, t, r=reduction: lib.nn.functional.cross_entropy(
                x, t, reduction=r), [x, t])


# ---------------------------------------------------------------------------------------
# grad_fn and the chain torch shows


def test_grad_fn_names():
    x = torchlet.randn(4, 5, requires_grad=True)
    t = torchlet.tensor([0, 1, 4, 2])
    loss = TF.cross_entropy(x, t)
    # torch's two nodes: NllLossBackward0 over LogSoftmaxBackward0 over the input
    assert loss.grad_fn.name() == "NllLossBackward0"
    soft = loss.grad_fn.next_functions[0][0]
    assert soft.name() == "LogSoftmaxBackward0"
    assert soft.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"
    # log_softmax + nll_loss builds torch's two-node chain
    chain = TF.nll_loss(TF.log_softmax(x, 1), t)
    assert chain.grad_fn.name() == "NllLossBackward0"
    assert chain.grad_fn.next_functions[0][0].name() == "LogSoftmaxBackward0"
    assert TF.cross_entropy(x, t, label_smoothing=0.1).grad_fn.name() == "AddBackward0"
    seg = TF.cross_entropy(torchlet.randn(2, 3, 4, 4, requires_grad=True),
                           torchlet.zeros(2, 4, 4, dtype=torchlet.int64))
    assert seg.grad_fn.name() == "NllLoss2DBackward0"


def test_second_backward_needs_retain_graph():
    x = torchlet.randn(3, 4, requires_grad=True)
    loss = TF.cross_entropy(x, torchlet.tensor([0, 1, 2]))
    loss.backward(retain_graph=True)
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


# ---------------------------------------------------------------------------------------
# the mission's computations


def _printed(lib, code):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(code, {"torch": lib, "F": lib.nn.functional, "nn": lib.nn})
    return buffer.getvalue()


MISSION = {
    "scores": """
scores = torch.tensor([0.8982, 0.805, 0.6393, 0.9983, 0.5731, 0.0469, 0.556, 0.1476, 0.8404,
                       0.5544])
target = torch.tensor(1)
loss = F.cross_entropy(scores, target)
print(loss, round(loss.item(), 4))
print(nn.CrossEntropyLoss()(scores.unsqueeze(0), target.unsqueeze(0)))
""",
    "log_softmax_plus_nll": """
torch.manual_seed(0)
logits = torch.randn(8, 5, requires_grad=True)
labels = torch.tensor([0, 4, 1, 1, 3, 2, 0, 4])
a = nn.NLLLoss()(nn.LogSoftmax(dim=1)(logits), labels)
b = nn.CrossEntropyLoss()(logits, labels)
print(a.item(), b.item())
print(a, b)
a.backward(); g1 = logits.grad.clone(); logits.grad = None
b.backward(); print(torch.allclose(g1, logits.grad, atol=1e-7))
""",
    "segmentation": """
torch.manual_seed(0)
x = torch.randn(2, 4, 5, 6, requires_grad=True)
y = torch.randint(0, 4, (2, 5, 6))
loss = nn.CrossEntropyLoss(reduction='sum')(x, y)
print(loss)
loss.backward()
print(x.grad.sum(dim=1).abs().max() < 1e-5, x.grad.shape)
""",
    "one_hot_by_hand": """
torch.manual_seed(0)
scores = torch.rand(4, 3)
idx = torch.tensor([2, 0, 1, 1])
probs = torch.exp(scores) / torch.exp(scores).sum(axis=1).reshape(-1, 1)
labels = F.one_hot(idx, 3)
by_hand = -torch.mean(torch.log((probs * labels).sum(axis=1)))
print(by_hand, F.cross_entropy(scores, idx), labels.dtype)
""",
}


@pytest.mark.parametrize("name", list(MISSION))
def test_mission_prints_what_torch_prints(name):
    want = _printed(torch, MISSION[name])
    assert _printed(torchlet, MISSION[name]) == want


def test_mission_number():
    scores = torchlet.tensor([0.8982, 0.805, 0.6393, 0.9983, 0.5731, 0.0469, 0.556, 0.1476,
                              0.8404, 0.5544])
    assert round(TF.cross_entropy(scores, torchlet.tensor(1)).item(), 4) == 2.1438


# ---------------------------------------------------------------------------------------
# extremes


def test_huge_logits_are_finite():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [5e3, 5e3, -1e4]], np.float32)
    for t in ([1, 1, 0], [0, 1, 2]):
        t = np.array(t)
        assert_same(lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, reduction="none"),
                    [x, t])
        loss = TF.cross_entropy(torchlet.tensor(x), torchlet.tensor(t))
        assert np.isfinite(loss.item())


def test_minus_inf_logits_as_torch():
    x = np.array([[-np.inf, 0.0, 1.0], [0.0, 1.0, -np.inf]], np.float32)
    assert_same(lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, reduction="none"),
                [x, np.array([1, 2])])


def test_empty_batch():
    x, t = np.zeros((0, 3), np.float32), np.zeros(0, np.int64)
    for reduction in ("mean", "sum", "none"):
        assert_same(lambda lib, x, t, r=reduction: lib.nn.functional.cross_entropy(
            x, t, reduction=r), [x, t])
    assert np.isnan(TF.cross_entropy(torchlet.tensor(x), torchlet.tensor(t)).item())


def test_all_targets_ignored_give_nan_and_zero_gradient():
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    t = np.full(3, -100)
    for smoothing in (0.0, 0.2):
        assert_same(lambda lib, x, t, s=smoothing: lib.nn.functional.cross_entropy(
            x, t, label_smoothing=s), [x, t])
    xt = torchlet.tensor(x, requires_grad=True)
    loss = TF.cross_entropy(xt, torchlet.tensor(t))
    loss.backward()
    assert np.isnan(loss.item()) and not xt.grad.numpy().any()


def test_zero_weight_targets_as_torch():
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    assert_same(lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, lib.zeros(4)),
                [x, np.array([0, 1, 2])])


def test_uint8_targets():
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    assert_same(lambda lib, x, t: lib.nn.functional.cross_entropy(x, t),
                [x, np.array([0, 3, 2], np.uint8)])


# ---------------------------------------------------------------------------------------
# errors


ERRORS = {
    "target out of range": (lambda t: t.nn.functional.cross_entropy(
        t.zeros(3, 5), t.tensor([1, 7, 2])), "Target 7 is out of bounds."),
    "negative target": (lambda t: t.nn.functional.nll_loss(
        t.zeros(3, 5), t.tensor([1, -3, 2])), "Target -3 is out of bounds."),
    "float class targets": (lambda t: t.nn.functional.cross_entropy(
        t.zeros(3, 5), t.tensor([1.0, 2.0, 0.0])), "Long"),
    "batch size": (lambda t: t.nn.functional.cross_entropy(
        t.zeros(3, 5), t.tensor([1, 2])),
        "Expected input batch_size (3) to match target batch_size (2)."),
    "weight length": (lambda t: t.nn.functional.nll_loss(
        t.zeros(3, 5), t.tensor([1, 2, 0]), t.ones(4)), "weight tensor should be defined"),
    "segmentation target shape": (lambda t: t.nn.functional.cross_entropy(
        t.zeros(2, 3, 4, 5), t.zeros(2, 4, 4, dtype=t.int64)), "size mismatch"),
    "segmentation target rank": (lambda t: t.nn.functional.cross_entropy(
        t.zeros(2, 3, 4, 5), t.zeros(2, 4, dtype=t.int64)), "only batches of spatial"),
    "3-d target shape": (lambda t: t.nn.functional.cross_entropy(
        t.zeros(2, 3, 4), t.zeros(2, 5, dtype=t.int64)), "Expected target size [2, 4]"),
    "label smoothing": (lambda t: t.nn.functional.cross_entropy(
        t.zeros(3, 5), t.tensor([1, 2, 0]), label_smoothing=1.5), "label_smoothing must be"),
    "probabilities shape": (lambda t: t.nn.functional.cross_entropy(
        t.zeros(3, 5), t.rand(3, 4)), "multi-target not supported"),
    "long probabilities": (lambda t: t.nn.functional.cross_entropy(
        t.zeros(3, 5), t.ones(3, 5, dtype=t.int64)), "Expected floating point type"),
    "reduction": (lambda t: t.nn.functional.nll_loss(
        t.zeros(3, 5), t.tensor([1, 2, 0]), reduction="avg"), "avg is not a valid value"),
    "weight requires grad": (lambda t: t.nn.functional.cross_entropy(
        t.zeros(3, 5), t.tensor([1, 2, 0]), t.ones(5, requires_grad=True)),
        "not differentiable with respect to argument 'weight'"),
    "weight dtype": (lambda t: t.nn.functional.nll_loss(
        t.zeros(3, 5, dtype=t.float64), t.tensor([1, 2, 0]), t.ones(5)),
        "expected scalar type Double but found Float"),
    "0-d input": (lambda t: t.nn.functional.nll_loss(t.zeros(()), t.tensor(0)),
                  "Expected 1 or more dimensions"),
    "1-d target too long": (lambda t: t.nn.functional.nll_loss(t.zeros(5), t.tensor([1, 2])),
                            "For 1D input, 1D target must have size 1"),
    "integer logits": (lambda t: t.nn.functional.cross_entropy(
        t.zeros(3, 5, dtype=t.int32), t.tensor([1, 2, 0])), "not implemented for 'Int'"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_as_torch(name):
    fn, text = ERRORS[name]
    have, want = same_error(fn)
    assert text in have and text in want


# ---------------------------------------------------------------------------------------
# deprecated arguments


@pytest.mark.parametrize("size_average,reduce,expected", [
    (None, None, "mean"), (False, None, "sum"), (True, False, "none"), (None, False, "none"),
    (False, True, "sum"), (True, True, "mean")])
def test_legacy_reduction_arguments(size_average, reduce, expected):
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    t = np.array([0, 3, 1])
    kwargs = dict(size_average=size_average, reduce=reduce)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = TF.cross_entropy(torchlet.tensor(x), torchlet.tensor(t), **kwargs)
    want = PF.cross_entropy(torch.tensor(x), torch.tensor(t), reduction=expected)
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-6)
    legacy = [str(w.message) for w in caught if "size_average" in str(w.message)]
    assert bool(legacy) == (size_average is not None or reduce is not None)
    if legacy:
        assert legacy[0] == ("size_average and reduce args will be deprecated, please use "
                             f"reduction='{expected}' instead.")
    assert tnn.CrossEntropyLoss(**kwargs).reduction == expected


def test_size_mismatch_warning_as_torch():
    for lib in (torch, torchlet):
        with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3\]\)\) "
                          r"that is different to the input size \(torch.Size\(\[2, 3\]\)\)"):
            lib.nn.functional.mse_loss(lib.zeros(2, 3), lib.zeros(3))


def test_kl_div_mean_warning():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        TF.kl_div(torchlet.zeros(2, 3), torchlet.ones(2, 3))


# ---------------------------------------------------------------------------------------
# double backward (create_graph) of the fused cross entropy


@pytest.mark.parametrize("kwargs,rank", [
    ({}, 2), ({"label_smoothing": 0.2}, 2), ({"reduction": "none"}, 4),
    ({"reduction": "sum", "ignore_index": 1, "label_smoothing": 0.1}, 4), ({}, 1)])
def test_cross_entropy_double_backward(kwargs, rank):
    x, t, _, w = _case(rank, np.float64)
    weight = torchlet.tensor(w)
    xt = torchlet.tensor(x, requires_grad=True)
    target = torchlet.tensor(t)
    fn = lambda x: TF.cross_entropy(x, target, weight, **kwargs)  # noqa: E731
    assert gradcheck(fn, (xt,))
    assert gradgradcheck(fn, (xt,))


def test_cross_entropy_hessian_vector_product_matches_torch():
    x, t, _, w = _case(2, np.float64)
    v = RNG.standard_normal(x.shape)
    results = []
    for lib in (torch, torchlet):
        xt = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(xt, lib.tensor(t), lib.tensor(w),
                                               label_smoothing=0.1)
        (g,) = lib.autograd.grad(loss, xt, create_graph=True)
        (hv,) = lib.autograd.grad((g * lib.tensor(v)).sum(), xt)
        results.append(hv.detach().numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-10, atol=1e-12)


def test_nll_loss_gradgradcheck():
    x, t, _, w = _case(4, np.float64)
    xt = torchlet.tensor(x, requires_grad=True)
    fn = lambda x: TF.nll_loss(TF.log_softmax(x, 1), torchlet.tensor(t), torchlet.tensor(w),  # noqa: E731
                               ignore_index=1, reduction="none")
    assert gradcheck(fn, (xt,)) and gradgradcheck(fn, (xt,))


@pytest.mark.parametrize("rank,reduction", [(2, "none"), (2, "mean"), (4, "sum"), (4, "none")])
def test_nll_loss_double_backward_as_torch(rank, reduction):
    """The gradient is torch's nll_loss_backward node (NllLossBackwardBackward0, 2-D inputs;
    NllLoss2DBackwardBackward0, 4-D), differentiable in the upstream gradient."""
    x, t, _, w = _case(rank, np.float32)
    got = {}
    for lib in (torch, torchlet):
        xt = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.nll_loss(xt, lib.tensor(t), lib.tensor(w), reduction=reduction)
        upstream = lib.tensor(np.linspace(-1, 2, loss.numel(), dtype=np.float32).reshape(
            loss.shape), requires_grad=True)
        (g,) = lib.autograd.grad(loss, xt, upstream, create_graph=True)
        probe = lib.tensor(np.arange(g.numel(), dtype=np.float32).reshape(g.shape))
        (gg,) = lib.autograd.grad((g * probe).sum(), upstream)
        got[lib.__name__] = (g.grad_fn.name(), g.detach().numpy(), gg.numpy())
    assert got["torchlet"][0] == got["torch"][0]
    np.testing.assert_allclose(got["torchlet"][1], got["torch"][1], rtol=1e-6)
    np.testing.assert_allclose(got["torchlet"][2], got["torch"][2], rtol=1e-6)


# ---------------------------------------------------------------------------------------
# the other losses: every reduction, with their options


X, Y = RNG.standard_normal((4, 5)).astype(np.float32), RNG.standard_normal((4, 5)).astype(
    np.float32)
PROB, LABEL = (RNG.uniform(0.05, 0.95, (4, 5)).astype(np.float32),
               RNG.uniform(0, 1, (4, 5)).astype(np.float32))
SIGN = np.where(RNG.random((4, 5)) < 0.5, -1.0, 1.0).astype(np.float32)
W5 = RNG.uniform(0.5, 2, 5).astype(np.float32)

OTHER = {
    "mse": (lambda F, a, b, r: F.mse_loss(a, b, reduction=r), [X, Y]),
    "mse_broadcast": (lambda F, a, b, r: F.mse_loss(a, b[0], reduction=r), [X, Y]),
    "l1": (lambda F, a, b, r: F.l1_loss(a, b, reduction=r), [X, Y]),
    "smooth_l1": (lambda F, a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.4), [X, Y]),
    "smooth_l1_beta0": (lambda F, a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.0),
                        [X, Y]),
    "huber": (lambda F, a, b, r: F.huber_loss(a, b, reduction=r, delta=0.6), [X, Y]),
    "bce": (lambda F, a, b, r: F.binary_cross_entropy(a, b, reduction=r), [PROB, LABEL]),
    "bce_weight": (lambda F, a, b, r: F.binary_cross_entropy(
        a, b, F_tensor(F, W5), reduction=r), [PROB, LABEL]),
    "bce_logits": (lambda F, a, b, r: F.binary_cross_entropy_with_logits(a, b, reduction=r),
                   [X * 30, LABEL]),
    "bce_logits_pos_weight": (lambda F, a, b, r: F.binary_cross_entropy_with_logits(
        a, b, F_tensor(F, W5), reduction=r, pos_weight=F_tensor(F, W5[::-1].copy())),
        [X, LABEL]),
    "kl_div": (lambda F, a, b, r: F.kl_div(a, b, reduction=r), [X, LABEL]),
    "kl_div_log_target": (lambda F, a, b, r: F.kl_div(a, b, reduction=r, log_target=True),
                          [X, Y]),
    "poisson": (lambda F, a, b, r: F.poisson_nll_loss(a, b, reduction=r), [X, LABEL * 3]),
    "poisson_full": (lambda F, a, b, r: F.poisson_nll_loss(
        a, b, log_input=False, full=True, reduction=r), [PROB, LABEL * 3]),
    "gaussian": (lambda F, a, b, r: F.gaussian_nll_loss(a, b, F_tensor(F, PROB), reduction=r),
                 [X, Y]),
    "gaussian_homoscedastic": (lambda F, a, b, r: F.gaussian_nll_loss(
        a, b, F_tensor(F, PROB[:, :1]), full=True, reduction=r), [X, Y]),
    "soft_margin": (lambda F, a, b, r: F.soft_margin_loss(a, F_tensor(F, SIGN), reduction=r),
                    [X, Y]),
    "hinge_embedding": (lambda F, a, b, r: F.hinge_embedding_loss(
        a, F_tensor(F, SIGN), margin=0.5, reduction=r), [X, Y]),
    "multilabel_soft_margin": (lambda F, a, b, r: F.multilabel_soft_margin_loss(
        a, F_tensor(F, (LABEL > 0.5).astype(np.float32)), F_tensor(F, W5), reduction=r),
        [X, Y]),
    "cosine_embedding": (lambda F, a, b, r: F.cosine_embedding_loss(
        a, b, F_tensor(F, SIGN[:, 0].copy()), margin=-0.2, reduction=r), [X, Y]),
    "margin_ranking": (lambda F, a, b, r: F.margin_ranking_loss(
        a, b, F_tensor(F, SIGN), margin=0.3, reduction=r), [X, Y]),
    "triplet": (lambda F, a, b, r: F.triplet_margin_loss(
        a, b, F_tensor(F, PROB), margin=1.5, reduction=r), [X, Y]),
    "triplet_swap_p1": (lambda F, a, b, r: F.triplet_margin_loss(
        a, b, F_tensor(F, PROB), p=1, swap=True, reduction=r), [X, Y]),
    "multi_margin": (lambda F, a, b, r: F.multi_margin_loss(
        a, F_tensor(F, np.array([1, 0, 4, 2])), reduction=r), [X, Y]),
    "multi_margin_p2_weight": (lambda F, a, b, r: F.multi_margin_loss(
        a, F_tensor(F, np.array([1, 0, 4, 2])), p=2, margin=0.7, weight=F_tensor(F, W5).to(a.dtype),
        reduction=r), [X, Y]),
    "multilabel_margin": (lambda F, a, b, r: F.multilabel_margin_loss(
        a, F_tensor(F, np.array([[1, 3, -1, 0, 0], [0, 0, 0, 0, 0], [4, -1, 2, 2, 2],
                                 [-1, 1, 1, 1, 1]])), reduction=r), [X, Y]),
}


def F_tensor(F, array):  # noqa: N802 - a constant in the library that F belongs to
    lib = torch if F is PF else torchlet
    return lib.tensor(array)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", list(OTHER))
def test_other_losses(name, reduction):
    fn, arrays = OTHER[name]
    assert_same(lambda lib, a, b: fn(lib.nn.functional, a, b, reduction), arrays,
                rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", ["bce", "bce_logits_pos_weight", "kl_div", "gaussian",
                                  "multi_margin_p2_weight", "multilabel_margin", "huber",
                                  "triplet", "cosine_embedding"])
def test_other_losses_gradcheck(name):
    fn, arrays = OTHER[name]
    a = torchlet.tensor(arrays[0].astype(np.float64), requires_grad=True)
    b = torchlet.tensor(arrays[1].astype(np.float64), requires_grad=name not in (
        "multi_margin_p2_weight", "multilabel_margin"))
    f = lambda a, b: fn(TF, a, b, "sum")  # noqa: E731
    inputs = (a, b) if b.requires_grad else (a,)
    g = (lambda a, b=b: f(a, b)) if not b.requires_grad else f
    assert gradcheck(g, inputs)
    if name in ("multi_margin_p2_weight", "multilabel_margin"):
        # torch's *_margin_loss_backward kernels have no derivative: NotImplemented nodes
        with pytest.raises(RuntimeError, match="_margin_loss_backward is not implemented"):
            gradgradcheck(g, inputs)
    else:
        assert gradgradcheck(g, inputs)


def test_bce_clamps_log_at_minus_100():
    assert_same(lambda lib, p, y: lib.nn.functional.binary_cross_entropy(p, y, reduction="none"),
                [np.array([0.0, 1.0, 0.5], np.float32), np.array([1.0, 0.0, 1.0], np.float32)],
                [False, True])


def test_loss_dtype_promotion():
    assert_same(lambda lib, a, b: lib.nn.functional.mse_loss(a, b), [X, Y.astype(np.float64)])
    assert_same(lambda lib, a, b: lib.nn.functional.mse_loss(a, b),
                [X, np.arange(20).reshape(4, 5)])


# ---------------------------------------------------------------------------------------
# one_hot


def test_one_hot():
    for values, n in [([[1, 0], [4, 2]], 5), ([[1, 0], [4, 2]], -1), (3, 4), ([], 3)]:
        want = PF.one_hot(torch.tensor(values, dtype=torch.int64), n)
        have = TF.one_hot(torchlet.tensor(values, dtype=torchlet.int64), n)
        assert have.dtype == torchlet.int64 and np.array_equal(have.numpy(), want.numpy())
    for values, n in [([-1, 2], -1), ([1, 5], 3), ([], -1), ([1, 2], 0)]:
        same_error(lambda lib, v=values, n=n: lib.nn.functional.one_hot(
            lib.tensor(v, dtype=lib.int64), n))
    same_error(lambda lib: lib.nn.functional.one_hot(lib.tensor([1.0, 2.0])))


# ---------------------------------------------------------------------------------------
# modules


MODULES = [
    ("CrossEntropyLoss", {"weight": W5[:4], "ignore_index": 2, "label_smoothing": 0.1}),
    ("CrossEntropyLoss", {"reduction": "sum"}),
    ("NLLLoss", {"weight": W5[:4], "reduction": "none"}),
    ("MSELoss", {}), ("L1Loss", {"reduction": "sum"}), ("SmoothL1Loss", {"beta": 0.5}),
    ("HuberLoss", {"delta": 0.5}), ("BCEWithLogitsLoss", {"pos_weight": W5[:4]}),
    ("KLDivLoss", {"reduction": "batchmean"}), ("PoissonNLLLoss", {"full": True}),
    ("SoftMarginLoss", {}), ("MultiLabelSoftMarginLoss", {"weight": W5[:4]}),
]


@pytest.mark.parametrize("name,kwargs", MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules(name, kwargs):
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    classes = name in ("CrossEntropyLoss", "NLLLoss")
    y = RNG.integers(0, 4, 3) if classes else RNG.uniform(0, 1, (3, 4)).astype(np.float32)

    def fn(lib, x, y):
        args = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        module = getattr(lib.nn, name)(**args)
        return module(x, y)

    assert_same(fn, [x, y], [True, False])
    args = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    targs = {k: torchlet.tensor(v) if isinstance(v, np.ndarray) else v for k, v in
             kwargs.items()}
    want, have = getattr(torch.nn, name)(**args), getattr(tnn, name)(**targs)
    assert repr(have) == repr(want)
    assert list(have.state_dict()) == list(want.state_dict())


def test_loss_module_signatures_match_torch():
    import inspect

    names = ["BCELoss", "BCEWithLogitsLoss", "CosineEmbeddingLoss", "CrossEntropyLoss",
             "GaussianNLLLoss", "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "L1Loss",
             "MSELoss", "MarginRankingLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
             "MultiMarginLoss", "NLLLoss", "PoissonNLLLoss", "SmoothL1Loss", "SoftMarginLoss",
             "TripletMarginLoss", "TripletMarginWithDistanceLoss"]
    for name in names:
        want = inspect.signature(getattr(torch.nn, name).__init__).parameters
        have = inspect.signature(getattr(tnn, name).__init__).parameters
        assert list(have) == list(want), name
        assert [p.default for p in have.values()] == [p.default for p in want.values()], name


def test_weight_buffer_follows_the_module():
    loss = tnn.CrossEntropyLoss(weight=torchlet.ones(3))
    assert "weight" in dict(loss.named_buffers())
    loss = loss.double()
    assert loss.weight.dtype == torchlet.float64
