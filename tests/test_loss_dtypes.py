"""Losses with input, target and weights of different dtypes, against torch (live).

Each case runs the same expression on torch and torchlet for float32/float64,
float32/float16, float/int64 and int64/float pairs and requires the same outcome: the same
exception type and message (in the forward or, for huber_loss, in the backward), or a
result of the same dtype and shape whose values agree within the rounding of the
narrowest dtype involved (rtol 1e-5 for float32/float64, 2e-3 with float16: torch rounds
intermediate results of its in-place kernels back to the output dtype, as torchlet does,
but the order of float operations in the kernels is not reproduced), and gradients of the
same dtypes and values (same tolerances). Nothing here is expected bit-exact.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
P = RNG.uniform(0.05, 0.95, (3, 4))
Q = RNG.uniform(0.05, 0.95, (3, 4))
X = RNG.standard_normal((3, 4))
Y = RNG.standard_normal((3, 4))
SIGN = np.sign(RNG.standard_normal((3, 4)))
CLASSES = np.array([0, 2, 1])
LABELS = np.array([[0, 2, -1, 0], [1, -1, 0, 0], [3, 0, -1, 1]])

# (a, b): the dtype of the first operand and of the operand under test
PAIRS = [("float32", "float64"), ("float64", "float32"), ("float32", "float16"),
         ("float64", "float16"), ("float32", "int64"), ("int64", "float32")]

CASES = {
    "bce": lambda F, m, a, b: F.binary_cross_entropy(m(P, a), m(Q, b)),
    "bce_weight": lambda F, m, a, b: F.binary_cross_entropy(m(P, a), m(Q, a), weight=m(Q, b)),
    "bce_logits": lambda F, m, a, b: F.binary_cross_entropy_with_logits(m(X, a), m(Q, b)),
    "bce_logits_none": lambda F, m, a, b: F.binary_cross_entropy_with_logits(
        m(X, a), m(Q, b), reduction="none"),
    "bce_logits_weight": lambda F, m, a, b: F.binary_cross_entropy_with_logits(
        m(X, a), m(Q, a), weight=m(Q[0], b), reduction="none"),
    "bce_logits_pos_weight": lambda F, m, a, b: F.binary_cross_entropy_with_logits(
        m(X, a), m(Q, a), pos_weight=m(Q[0] * 3, b), reduction="none"),
    "bce_logits_all": lambda F, m, a, b: F.binary_cross_entropy_with_logits(
        m(X, a), m(Q, b), weight=m(P, b), pos_weight=m(Q[0] * 3, a)),
    "mse": lambda F, m, a, b: F.mse_loss(m(X, a), m(Y, b)),
    "mse_weight": lambda F, m, a, b: F.mse_loss(m(X, a), m(Y, a), weight=m(Q, b)),
    "l1": lambda F, m, a, b: F.l1_loss(m(X, a), m(Y, b)),
    "smooth_l1": lambda F, m, a, b: F.smooth_l1_loss(m(X, a), m(Y, b), beta=0.5),
    "huber": lambda F, m, a, b: F.huber_loss(m(X, a), m(Y, b), delta=0.7),
    "huber_weight": lambda F, m, a, b: F.huber_loss(m(X, a), m(Y, b), weight=m(Q, a)),
    "kl_div": lambda F, m, a, b: F.kl_div(m(X, a), m(Q, b), reduction="batchmean"),
    "nll_weight": lambda F, m, a, b: F.nll_loss(m(X, a), m(CLASSES, "int64"),
                                                weight=m(Q[0], b)),
    "cross_entropy_weight": lambda F, m, a, b: F.cross_entropy(
        m(X, a), m(CLASSES, "int64"), weight=m(Q[0], b)),
    "cross_entropy_probs": lambda F, m, a, b: F.cross_entropy(m(X, a), m(Q, b)),
    "poisson_nll": lambda F, m, a, b: F.poisson_nll_loss(m(X, a), m(Q, b)),
    "gaussian_nll": lambda F, m, a, b: F.gaussian_nll_loss(m(X, a), m(Y, b), m(Q, a)),
    "hinge_embedding": lambda F, m, a, b: F.hinge_embedding_loss(m(X * 3, a), m(SIGN, b),
                                                                 margin=1.5),
    "hinge_embedding_sum": lambda F, m, a, b: F.hinge_embedding_loss(
        m(X * 3, a), m(SIGN, b), margin=1.5, reduction="sum"),
    "margin_ranking": lambda F, m, a, b: F.margin_ranking_loss(m(X, a), m(Y, b), m(SIGN, a)),
    "soft_margin": lambda F, m, a, b: F.soft_margin_loss(m(X, a), m(SIGN, b)),
    "multilabel_soft_margin": lambda F, m, a, b: F.multilabel_soft_margin_loss(
        m(X, a), m(SIGN > 0, b), weight=m(Q[0], a)),
    "multi_margin_weight": lambda F, m, a, b: F.multi_margin_loss(
        m(X, a), m(CLASSES, "int64"), weight=m(Q[0], b)),
    "multilabel_margin": lambda F, m, a, b: F.multilabel_margin_loss(
        m(X, a), m(LABELS, "int64")),
    "cosine_embedding": lambda F, m, a, b: F.cosine_embedding_loss(m(X, a), m(Y, b),
                                                                   m(SIGN[:, 0], a)),
    "triplet_margin": lambda F, m, a, b: F.triplet_margin_loss(m(X, a), m(Y, b), m(P, a)),
}

# torch's message differs in wording only (torchlet's in-place clamp names dtypes as
# torch's Python layer does: "Long", where this kernel says "long int")
SAME_TYPE_ONLY = {"gaussian_nll"}


def _outcome(lib, case: str, a: str, b: str, grad: bool):
    """('error', where, type name, message) or ('ok', dtype, shape, values, grads)."""
    leaves = []

    def make(array, dtype):
        dt = np.dtype(dtype)
        t = lib.tensor(np.asarray(array).astype(dt), requires_grad=grad and dt.kind == "f")
        leaves.append(t)
        return t

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = CASES[case](lib.nn.functional, make, a, b)
        except Exception as e:  # noqa: BLE001 - the exception itself is compared
            return ("error", "forward", type(e).__name__, str(e))
        grads = None
        if grad and out.requires_grad:
            try:
                out.sum().backward()
            except Exception as e:  # noqa: BLE001
                return ("error", "backward", type(e).__name__, str(e))
            grads = [None if t.grad is None else t.grad.numpy() for t in leaves]
    dtype = str(out.dtype).split(".")[-1]
    return ("ok", dtype, tuple(out.shape), out.detach().numpy(), grads)


def _tolerance(a: str, b: str) -> float:
    return 2e-3 if "float16" in (a, b) else 1e-5


@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "grad"])
@pytest.mark.parametrize("a,b", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
@pytest.mark.parametrize("case", list(CASES))
def test_mixed_dtypes_match_torch(case, a, b, grad):
    theirs = _outcome(torch, case, a, b, grad)
    ours = _outcome(torchlet, case, a, b, grad)
    if theirs[0] == "error":
        assert ours[:3] == theirs[:3], (theirs, ours)
        if case not in SAME_TYPE_ONLY:
            assert ours[3] == theirs[3]
        return
    assert ours[0] == "ok", ours
    assert ours[1:3] == theirs[1:3]
    rtol = _tolerance(a, b)
    np.testing.assert_allclose(ours[3], theirs[3], rtol=rtol, atol=rtol, equal_nan=True)
    if grad:
        assert (ours[4] is None) == (theirs[4] is None)
        for g_ours, g_theirs in zip(ours[4] or [], theirs[4] or [], strict=True):
            assert (g_ours is None) == (g_theirs is None)
            if g_ours is not None:
                assert g_ours.dtype == g_theirs.dtype
                np.testing.assert_allclose(g_ours, g_theirs, rtol=rtol, atol=rtol,
                                           equal_nan=True)


def test_bce_mixed_dtypes_message():
    """The forward refuses a target of another dtype, naming both (torch's words)."""
    x = torchlet.tensor(P.astype(np.float32))
    y = torchlet.tensor(Q)
    with pytest.raises(RuntimeError, match="^Found dtype Double but expected Float$"):
        torchlet.nn.functional.binary_cross_entropy(x, y)
    loss = torchlet.nn.BCELoss()
    with pytest.raises(RuntimeError, match="Found dtype Float but expected Double"):
        loss(y, x)


def test_bce_with_logits_weight_larger_than_input_is_refused():
    """torch multiplies weights in place into the input-shaped loss: no broadcasting up."""
    for lib in (torch, torchlet):
        x = lib.zeros(2, 3)
        with pytest.raises(RuntimeError, match=r"output with shape \[2, 3\] doesn't match "
                                               r"the broadcast shape \[4, 2, 3\]"):
            lib.nn.functional.binary_cross_entropy_with_logits(x, x, pos_weight=lib.ones(4, 2, 3))


def test_bce_with_logits_gradcheck_float32_weights():
    """float64 gradients with float32 weights: the weights promote, they do not demote."""
    from torchlet.autograd import gradcheck, gradgradcheck

    x = torchlet.tensor(X, requires_grad=True)
    y = torchlet.tensor(Q, requires_grad=True)
    w = torchlet.tensor(P.astype(np.float32))
    pw = torchlet.tensor((Q[0] * 3).astype(np.float32))

    def f(x, y):
        return torchlet.nn.functional.binary_cross_entropy_with_logits(
            x, y, weight=w, pos_weight=pw, reduction="sum")

    assert f(x, y).dtype == torchlet.float64
    assert gradcheck(f, (x, y)) and gradgradcheck(f, (x, y))
