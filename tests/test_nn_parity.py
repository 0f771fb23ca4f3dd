"""Regression tests for nn parity fixes: dropout on non-contiguous inputs, float16
normalizations and losses computed in float32, loss argument errors, grad_fn names,
the LSTM state error and TripletMarginWithDistanceLoss's default distance module.

Each test checks a hand-derived value where there is one, and compares with torch live
when it is importable."""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F

try:
    import torch
except ImportError:  # the hand-derived checks still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


# ---------------------------------------------------------------------------------------
# dropout: the mask is drawn in the input's memory order (torch's empty_like)


def test_dropout_transposed_draws_in_memory_order():
    """A transposed input takes the draws of its storage: dropout(x.t()) is dropout(x).t()
    for the same seed (hand-derived: the storage of x.t() is x's)."""
    x = torchlet.arange(1.0, 13.0).reshape(3, 4)
    torchlet.manual_seed(0)
    direct = F.dropout(x, 0.5).numpy()
    torchlet.manual_seed(0)
    via_t = F.dropout(x.t(), 0.5)
    np.testing.assert_array_equal(via_t.numpy(), direct.T)
    assert via_t.stride() == (1, 4)  # the output keeps the transposed layout, as torch


def _layouts(lib):
    base = lib.arange(2 * 3 * 4 * 5, dtype=lib.float32).reshape(2, 3, 4, 5) + 1
    return [base.transpose(0, 1), base.permute(3, 1, 0, 2), base[:, :, ::2],
            base.permute(0, 2, 3, 1), lib.ones(1, 4).expand(3, 4),
            base.double().transpose(1, 3), base.half().transpose(0, 3)]


_DROPOUTS = {
    "dropout": lambda f, x: f.dropout(x, 0.3),
    "dropout_inplace": lambda f, x: f.dropout(x.clone(), 0.3, inplace=True),
    "alpha_dropout": lambda f, x: f.alpha_dropout(x, 0.3, True),
    "feature_alpha_dropout": lambda f, x: f.feature_alpha_dropout(x, 0.3, True),
    "dropout2d": lambda f, x: f.dropout2d(x, 0.5),
    "dropout3d": lambda f, x: f.dropout3d(x, 0.5),
}


@needs_torch
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(_DROPOUTS))
def test_dropout_variants_on_permuted_inputs_match_torch(name):
    fn = _DROPOUTS[name]
    for i, (a, b) in enumerate(zip(_layouts(torch), _layouts(torchlet), strict=True)):
        torch.manual_seed(i)
        expected = fn(torch.nn.functional, a)
        after = torch.rand(1).item()
        torchlet.manual_seed(i)
        got = fn(F, b)
        np.testing.assert_array_equal(got.numpy(), expected.numpy(), err_msg=f"layout {i}")
        assert torchlet.rand(1).item() == after  # the same number of draws
        if name in ("dropout", "dropout_inplace", "alpha_dropout"):
            assert got.stride() == expected.stride()


@needs_torch
def test_transformer_encoder_layer_batch_first_training_matches_torch():
    """batch_first MultiheadAttention returns a transposed view: its dropout must draw in
    memory order for the seeded training output to be torch's (the masks are bit for bit;
    the values within float32 rounding of the matmuls)."""
    x = np.random.RandomState(0).randn(2, 5, 8).astype(np.float32)
    pad = [[False] * 5, [False, False, False, True, True]]
    outs = []
    for lib in (torch, torchlet):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True)
        lib.manual_seed(1)
        outs.append(layer(lib.tensor(x), src_key_padding_mask=lib.tensor(pad)).detach().numpy())
    # a wrong mask moves values by ~10% (the 1 / 0.9 scale); matmul rounding by ~1e-7
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------
# float16: normalizations and losses compute in float32 and round once


def test_layer_norm_half_rounds_once():
    """Hand-derived: the float32 result rounded to float16 once."""
    rs = np.random.RandomState(1)
    x = rs.randn(6, 16).astype(np.float16)
    w, b = rs.randn(16).astype(np.float16), rs.randn(16).astype(np.float16)
    xf = x.astype(np.float32)
    mean = xf.mean(1, keepdims=True)
    ref = ((xf - mean) / np.sqrt(((xf - mean) ** 2).mean(1, keepdims=True) + 1e-5)
           * w.astype(np.float32) + b.astype(np.float32))
    got = F.layer_norm(torchlet.tensor(x), (16,), torchlet.tensor(w), torchlet.tensor(b))
    assert got.dtype == torchlet.float16
    diff = np.abs(got.numpy().astype(np.float32) - ref)
    spacing = np.spacing(np.abs(ref).astype(np.float16)).astype(np.float32)
    assert (diff <= spacing * 0.5 + 1e-3 * spacing).all()


def _norm_cases(lib, x, wc, bc, wl, bl, rm, rv):
    fn = lib.nn.functional
    return {
        "layer_norm": fn.layer_norm(x, (x.shape[-1],), wl, bl),
        "group_norm": fn.group_norm(x, 1, wc, bc),
        "batch_norm": fn.batch_norm(x, rm, rv, wc, bc, True),
        "batch_norm_eval": fn.batch_norm(x, rm, rv, wc, bc, False),
        "instance_norm": fn.instance_norm(x, None, None, wc, bc),
    }


@needs_torch
@pytest.mark.parametrize("param_dtype", [np.float16, np.float32])
def test_half_normalizations_match_torch(param_dtype):
    """float16 input with float16 parameters, and with float32 ones (torch's mixed type).
    torch ends with fused multiply-adds; a rare element is one float16 ulp away."""
    rs = np.random.RandomState(0)
    mismatches = total = 0
    for _ in range(40):
        n, c, length = rs.randint(2, 5), rs.randint(1, 6), rs.randint(2, 30)
        x = (rs.randn(n, c, length) * rs.choice([0.1, 1, 10])).astype(np.float16)
        arrays = [rs.randn(c), rs.randn(c), rs.randn(length), rs.randn(length),
                  rs.randn(c), rs.rand(c) + 0.5]
        arrays = [a.astype(param_dtype) for a in arrays]
        results = []
        for lib in (torch, torchlet):
            params = [lib.tensor(a) for a in arrays]
            results.append(_norm_cases(lib, lib.tensor(x), *params))
        for key, expected in results[0].items():
            got = results[1][key]
            assert got.dtype == torchlet.float16
            e, g = expected.numpy(), got.numpy()
            ulp = np.spacing(np.abs(e)).astype(np.float32)
            assert (np.abs(e.astype(np.float32) - g.astype(np.float32)) <= ulp).all(), key
            mismatches += int((e != g).sum())
            total += e.size
    assert mismatches <= total * 0.01


@needs_torch
def test_half_layer_norm_input_grad_matches_torch():
    rs = np.random.RandomState(2)
    x = rs.randn(4, 3, 20).astype(np.float16)
    w, b = rs.randn(20).astype(np.float16), rs.randn(20).astype(np.float16)
    g = rs.randn(4, 3, 20).astype(np.float16)
    grads = []
    for lib in (torch, torchlet):
        xt = lib.tensor(x, requires_grad=True)
        lib.nn.functional.layer_norm(xt, (20,), lib.tensor(w), lib.tensor(b)).backward(
            lib.tensor(g))
        grads.append(xt.grad.numpy())
    assert grads[1].dtype == np.float16
    assert (grads[0] != grads[1]).mean() < 0.01


def test_half_mse_loss_mean_accumulates_in_float32():
    """Hand-derived: each (x - y)^2 rounded to float16, their mean in float32, rounded."""
    rs = np.random.RandomState(3)
    x, y = rs.randn(1000).astype(np.float16), rs.randn(1000).astype(np.float16)
    per = (x - y) * (x - y)  # float16, rounded twice, as torch's kernel
    expected = np.float16(per.astype(np.float32).mean(dtype=np.float32))
    got = F.mse_loss(torchlet.tensor(x), torchlet.tensor(y))
    assert got.dtype == torchlet.float16
    assert got.item() == float(expected)
    assert F.mse_loss(torchlet.tensor(x), torchlet.tensor(y), reduction="sum").item() == \
        float(np.float16(per.astype(np.float32).sum()))


def test_half_nll_loss_cascade_sum():
    """Hand-derived: torch's nll_loss adds float16 losses into 8 partial sums; sample 0
    goes to the top level, samples 1..16 are one run of level 0, and so on."""
    rs = np.random.RandomState(4)
    logp = (rs.randn(40, 3) * 3).astype(np.float16)
    target = rs.randint(0, 3, 40)
    picked = -logp[np.arange(40), target]
    runs = [picked[0:1], picked[1:17], picked[17:33], picked[33:40]]
    # level 1 holds runs 1..16 and 17..32 added in order, level 0 the tail, level 7 sample 0
    level1 = np.float16(np.float16(0) + _f16_sum(runs[1]))
    level1 = np.float16(level1 + _f16_sum(runs[2]))
    expected = np.float16(np.float16(_f16_sum(runs[3]) + level1) + runs[0][0])
    got = F.nll_loss(torchlet.tensor(logp), torchlet.tensor(target), reduction="sum")
    assert got.item() == float(expected)
    if torch is not None:
        ref = torch.nn.functional.nll_loss(torch.tensor(logp), torch.tensor(target),
                                           reduction="sum")
        assert got.item() == ref.item()


def _f16_sum(values):
    s = np.float16(0)
    for v in values:
        s = np.float16(s + v)
    return s


@needs_torch
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_half_losses_forward_match_torch():
    rs = np.random.RandomState(0)
    names = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
             "binary_cross_entropy_with_logits", "kl_div", "nll_loss"]
    for _ in range(30):
        n, c = rs.randint(1, 6), rs.randint(2, 30)
        x = (rs.randn(n, c) * rs.choice([0.3, 1, 4])).astype(np.float16)
        y = rs.randn(n, c).astype(np.float16)
        p = rs.rand(n, c).astype(np.float16) * np.float16(0.98) + np.float16(0.01)
        t01 = rs.rand(n, c).astype(np.float16)
        cls = rs.randint(0, c, n)
        args = {"binary_cross_entropy": (p, t01), "binary_cross_entropy_with_logits": (x, t01),
                "kl_div": (x, p), "nll_loss": (x, cls)}
        for name in names:
            for reduction in ("mean", "sum", "none"):
                a, b = args.get(name, (x, y))
                expected = getattr(torch.nn.functional, name)(
                    torch.tensor(a), torch.tensor(b), reduction=reduction)
                got = getattr(F, name)(torchlet.tensor(a), torchlet.tensor(b),
                                       reduction=reduction)
                np.testing.assert_array_equal(got.numpy(), expected.numpy(),
                                              err_msg=f"{name} {reduction}")


# ---------------------------------------------------------------------------------------
# loss argument errors


_ERRORS = [
    (lambda f, t: f.binary_cross_entropy(t.tensor([0.5]), t.tensor([1.5])),
     "all elements of target should be between 0 and 1"),
    (lambda f, t: f.binary_cross_entropy(t.tensor([1.5, 0.5]), t.tensor([0.5, 1.5])),
     "all elements of input should be between 0 and 1"),
    (lambda f, t: f.binary_cross_entropy(t.tensor([0.5, 1.5]), t.tensor([1.5, 0.5])),
     "all elements of target should be between 0 and 1"),
    (lambda f, t: f.binary_cross_entropy(t.tensor([0.5, 0.5]), t.tensor([0.5, float("nan")])),
     "all elements of target should be between 0 and 1"),
    (lambda f, t: f.binary_cross_entropy_with_logits(t.zeros(4, 3), t.ones(4, 3),
                                                     pos_weight=t.ones(2)),
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
     "dimension 1"),
    (lambda f, t: f.binary_cross_entropy_with_logits(t.zeros(4, 3), t.ones(4, 3),
                                                     weight=t.ones(4)),
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton "
     "dimension 1"),
    (lambda f, t: f.binary_cross_entropy_with_logits(t.zeros(4, 3), t.ones(4, 3),
                                                     weight=t.ones(4, 1, 1)),
     "output with shape [4, 3] doesn't match the broadcast shape [4, 4, 3]"),
    (lambda f, t: f.hinge_embedding_loss(t.zeros(5), t.ones(2)),
     "The size of tensor a (2) must match the size of tensor b (5) at non-singleton "
     "dimension 0"),
    (lambda f, t: f.hinge_embedding_loss(t.zeros(2, 3), t.ones(3, 2)),
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
     "dimension 1"),
    (lambda f, t: f.cosine_embedding_loss(t.ones(3, 4), t.ones(3, 4), t.ones(2)),
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
     "dimension 0"),
]


@pytest.mark.parametrize("case", range(len(_ERRORS)))
def test_loss_errors(case):
    fn, message = _ERRORS[case]
    with pytest.raises(RuntimeError) as info:
        fn(F, torchlet)
    assert str(info.value) == message
    if torch is not None:
        with pytest.raises(RuntimeError) as ref:
            fn(torch.nn.functional, torch)
        assert str(ref.value) == message


# ---------------------------------------------------------------------------------------
# grad_fn names, the LSTM state error, TripletMarginWithDistanceLoss's repr


def test_cross_entropy_probability_targets_mean_is_divbackward1():
    x = torchlet.tensor([[1.0, 2.0], [0.0, 0.0]], requires_grad=True)
    p = torchlet.tensor([[0.0, 1.0], [0.5, 0.5]])
    loss = F.cross_entropy(x, p)
    assert loss.grad_fn.name() == "DivBackward1"
    # hand-derived: (log(1 + e^-1) + log 2) / 2
    assert abs(loss.item() - (np.log1p(np.exp(-1.0)) + np.log(2.0)) / 2) < 1e-6
    loss.backward()
    expected = (torchlet.softmax(x.detach(), 1) - p).numpy() / 2
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("mode, node", [("RNN", "TransposeBackward1"),
                                        ("GRU", "TransposeBackward1"),
                                        ("LSTM", "TransposeBackward0")])
def test_rnn_batch_first_output_node(mode, node):
    torchlet.manual_seed(0)
    m = getattr(torchlet.nn, mode)(4, 3, batch_first=True)
    x = torchlet.randn(2, 5, 4)
    out = m(x)[0]
    assert out.grad_fn.name() == node
    assert out.shape == (2, 5, 3)
    # batch_first is the transposed time-major run
    m2 = getattr(torchlet.nn, mode)(4, 3)
    m2.load_state_dict(m.state_dict())
    np.testing.assert_array_equal(out.detach().numpy(),
                                  m2(x.transpose(0, 1))[0].transpose(0, 1).detach().numpy())


def test_rnn_batch_first_gradient():
    rnn = torchlet.nn.GRU(3, 2, batch_first=True).double()
    x = torchlet.randn(2, 4, 3, dtype=torchlet.float64, requires_grad=True)
    assert torchlet.autograd.gradcheck(lambda t: rnn(t)[0], (x,))


@pytest.mark.parametrize("hx, error, message", [
    ("zeros_1", IndexError, "index 1 is out of bounds for dimension 0 with size 1"),
    ("zeros_2", RuntimeError,
     "For batched 3-D input, hx and cx should also be 3-D but got (2-D, 2-D) tensors"),
    ("list", IndexError, "list index out of range"),
    ("tuple", IndexError, "tuple index out of range"),
])
def test_lstm_state_not_a_pair(hx, error, message):
    for lib in (torchlet, torch) if torch is not None else (torchlet,):
        state = {"zeros_1": lib.zeros(1, 3, 3), "zeros_2": lib.zeros(2, 3, 3),
                 "list": [lib.zeros(1, 3, 3)], "tuple": (lib.zeros(1, 3, 3),)}[hx]
        with pytest.raises(error) as info:
            lib.nn.LSTM(4, 3)(lib.zeros(5, 3, 4), state)
        assert str(info.value) == message


def test_triplet_margin_with_distance_loss_default_module():
    loss = torchlet.nn.TripletMarginWithDistanceLoss()
    assert repr(loss) == ("TripletMarginWithDistanceLoss(\n"
                          "  (distance_function): PairwiseDistance()\n)")
    assert isinstance(loss.distance_function, torchlet.nn.PairwiseDistance)
    a = torchlet.tensor([[0.0, 0.0]])
    p = torchlet.tensor([[3.0, 4.0]])
    n = torchlet.tensor([[1.0, 0.0]])
    # hand-derived: max(0, |a - p| - |a - n| + 1) with eps 1e-6 added to the differences
    d_ap = np.hypot(-3 + 1e-6, -4 + 1e-6)
    d_an = np.hypot(-1 + 1e-6, 1e-6)
    assert abs(loss(a, p, n).item() - (d_ap - d_an + 1)) < 1e-5
    if torch is not None:
        assert repr(torch.nn.TripletMarginWithDistanceLoss()) == repr(loss)
