"""Losses given what is not a tensor, and ``one_hot`` of a meta tensor, against torch.

1. torch's losses fail on a list, a number, None or a NumPy array where a tensor belongs,
   but not all alike: those written in Python read ``input.size()`` (or ``.dim()``)
   first and raise Python's AttributeError (``'list' object has no attribute 'size'``;
   for a NumPy array, whose ``size`` is an int, the TypeError of calling it), the others
   meet the argument parser of the ATen function they call, whose TypeError names that
   function (``cross_entropy_loss()``, ``nll_loss_nd()``, ``log_sigmoid()``). A few
   accept a number: gaussian_nll_loss's target only meets ``input - target``,
   multilabel_soft_margin_loss's only arithmetic. Scripts may catch either type, so both
   the type and the message are compared, for every functional loss, its module and the
   top-level forms (``torch.kl_div``, ...).
2. ``F.one_hot`` of a meta tensor gives a meta result (torch computes it as
   ``eq(input.unsqueeze(-1), arange(num_classes))`` there), and without ``num_classes``
   fails as ``max().item()`` fails on meta.
"""

import numpy as np
import pytest

import torchlet


def _torch():
    return pytest.importorskip("torch")


def _outcome(call):
    """What a call gives: its exception's type and message, or its value."""
    try:
        result = call()
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return type(e).__name__, str(e)
    if hasattr(result, "shape"):
        return "ok", str(result.dtype), tuple(result.shape), str(result.device), \
            np.round(np.asarray(result.tolist(), dtype=float), 5).tolist()
    return "ok", result


def _same_as_torch(make_call):
    """``make_call(lib)`` returns a thunk; torchlet's outcome must be torch's."""
    want = _outcome(make_call(_torch()))
    have = _outcome(make_call(torchlet))
    assert have == want


# ================================================================ 1. non-tensor arguments

# each loss's valid positional arguments, made for one library
def _args(lib, name):
    x = lib.tensor([[0.2, 0.5, 0.3], [0.1, 0.7, 0.2]])
    p = lib.tensor([[0.3, 0.4, 0.3], [0.6, 0.1, 0.3]])
    cls = lib.tensor([0, 2])
    pm = lib.tensor([[1.0, -1.0, 1.0], [-1.0, 1.0, 1.0]])
    x1, y1 = lib.tensor([0.2, 0.5]), lib.tensor([1.0, -1.0])
    return {
        "binary_cross_entropy": (p, p),
        "binary_cross_entropy_with_logits": (x, p),
        "cosine_embedding_loss": (x, p, y1),
        "cross_entropy": (x, cls),
        "ctc_loss": (lib.zeros(5, 2, 4).log_softmax(2), lib.tensor([[1, 2], [1, 3]]),
                     lib.tensor([5, 5]), lib.tensor([2, 2])),
        "gaussian_nll_loss": (x, p, lib.ones(2, 3)),
        "hinge_embedding_loss": (x, pm),
        "huber_loss": (x, p),
        "kl_div": (x, p),
        "l1_loss": (x, p),
        "margin_ranking_loss": (x1, x1, y1),
        "mse_loss": (x, p),
        "multi_margin_loss": (x, cls),
        "multilabel_margin_loss": (x, lib.tensor([[0, 1, -1], [2, -1, 0]])),
        "multilabel_soft_margin_loss": (x, p),
        "nll_loss": (x, cls),
        "poisson_nll_loss": (x, p),
        "smooth_l1_loss": (x, p),
        "soft_margin_loss": (x, pm),
        "triplet_margin_loss": (x, x, p),
        "triplet_margin_with_distance_loss": (x, x, p),
    }[name]


MODULES = {
    "BCELoss": "binary_cross_entropy", "BCEWithLogitsLoss": "binary_cross_entropy_with_logits",
    "CosineEmbeddingLoss": "cosine_embedding_loss", "CrossEntropyLoss": "cross_entropy",
    "CTCLoss": "ctc_loss", "GaussianNLLLoss": "gaussian_nll_loss",
    "HingeEmbeddingLoss": "hinge_embedding_loss", "HuberLoss": "huber_loss",
    "KLDivLoss": "kl_div", "L1Loss": "l1_loss", "MarginRankingLoss": "margin_ranking_loss",
    "MSELoss": "mse_loss", "MultiMarginLoss": "multi_margin_loss",
    "MultiLabelMarginLoss": "multilabel_margin_loss",
    "MultiLabelSoftMarginLoss": "multilabel_soft_margin_loss", "NLLLoss": "nll_loss",
    "PoissonNLLLoss": "poisson_nll_loss", "SmoothL1Loss": "smooth_l1_loss",
    "SoftMarginLoss": "soft_margin_loss", "TripletMarginLoss": "triplet_margin_loss",
    "TripletMarginWithDistanceLoss": "triplet_margin_with_distance_loss",
}
LOSSES = sorted(set(MODULES.values()))
N_ARGS = {"ctc_loss": 4, "cosine_embedding_loss": 3, "gaussian_nll_loss": 3,
          "margin_ranking_loss": 3, "triplet_margin_loss": 3,
          "triplet_margin_with_distance_loss": 3}
BAD = {
    "list": lambda t: t.tolist(),
    "float": lambda t: 0.5,
    "int": lambda t: 1,
    "None": lambda t: None,
    "ndarray": lambda t: np.asarray(t.tolist()),
}
CASES = [(name, position, bad) for name in LOSSES for position in range(N_ARGS.get(name, 2))
         for bad in BAD]
# ctc_loss (torchlet/nn/_functional/ctc.py) raises torch's TypeError with a shorter text:
# torch's lists its overloads
TYPE_ONLY = {"ctc_loss"}


def _with_bad(lib, name, position, bad):
    args = list(_args(lib, name))
    args[position] = BAD[bad](args[position])
    return args


def _compare(name, want, have):
    if name in TYPE_ONLY:
        assert have[0] == want[0]
    else:
        assert have == want


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize(("name", "position", "bad"), CASES)
def test_functional_loss_non_tensor_matches_torch(name, position, bad):
    torch = _torch()
    want = _outcome(lambda: getattr(torch.nn.functional, name)(
        *_with_bad(torch, name, position, bad)))
    have = _outcome(lambda: getattr(torchlet.nn.functional, name)(
        *_with_bad(torchlet, name, position, bad)))
    _compare(name, want, have)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize(("module", "position", "bad"),
                         [(m, position, bad) for m, name in sorted(MODULES.items())
                          for position in range(N_ARGS.get(name, 2)) for bad in ("list", "float")])
def test_loss_module_non_tensor_matches_torch(module, position, bad):
    torch, name = _torch(), MODULES[module]
    want = _outcome(lambda: getattr(torch.nn, module)()(*_with_bad(torch, name, position, bad)))
    have = _outcome(lambda: getattr(torchlet.nn, module)()(
        *_with_bad(torchlet, name, position, bad)))
    _compare(name, want, have)


def _xs(lib):
    x = lib.tensor([[0.2, 0.5, 0.3], [0.1, 0.7, 0.2]])
    return x, lib.tensor([[0.3, 0.4, 0.3], [0.6, 0.1, 0.3]]), x.tolist()


W = [1.0, 2.0, 3.0]
MORE = {
    # optional tensors: the parser's TypeError or Python's AttributeError, as torch's code
    "cross_entropy weight": lambda lib, F, x, p, L: F.cross_entropy(x, lib.tensor([0, 2]),
                                                                   weight=W),
    "nll_loss weight": lambda lib, F, x, p, L: F.nll_loss(x, lib.tensor([0, 2]), weight=1.0),
    "bce weight": lambda lib, F, x, p, L: F.binary_cross_entropy(p, p, weight=W),
    "bce_logits weight": lambda lib, F, x, p, L: F.binary_cross_entropy_with_logits(
        x, p, weight=W),
    "bce_logits pos_weight": lambda lib, F, x, p, L: F.binary_cross_entropy_with_logits(
        x, p, pos_weight=W),
    "multi_margin weight": lambda lib, F, x, p, L: F.multi_margin_loss(
        x, lib.tensor([0, 2]), weight=W),
    "mse weight": lambda lib, F, x, p, L: F.mse_loss(x, p, weight=W),
    "l1 weight": lambda lib, F, x, p, L: F.l1_loss(x, p, weight=W),
    "huber weight": lambda lib, F, x, p, L: F.huber_loss(x, p, weight=W),
    # which argument fails first
    "mse both lists": lambda lib, F, x, p, L: F.mse_loss(L, [1.0]),
    "mse list and ndarray": lambda lib, F, x, p, L: F.mse_loss(L, np.array(L)),
    "bce list and float": lambda lib, F, x, p, L: F.binary_cross_entropy([1.0], 2.0),
    "cross_entropy both": lambda lib, F, x, p, L: F.cross_entropy(L, [0, 2]),
    "margin_ranking dims differ": lambda lib, F, x, p, L: F.margin_ranking_loss(
        x[0, :2], x, [1.0, -1.0]),
    # the reduction is checked before the tensors
    "cross_entropy reduction": lambda lib, F, x, p, L: F.cross_entropy(
        L, lib.tensor([0, 2]), reduction="foo"),
    "bce reduction": lambda lib, F, x, p, L: F.binary_cross_entropy(L, p, reduction="foo"),
    "kl_div reduction": lambda lib, F, x, p, L: F.kl_div(L, p, reduction="foo"),
    "hinge reduction": lambda lib, F, x, p, L: F.hinge_embedding_loss(L, p, reduction="foo"),
    "poisson reduction": lambda lib, F, x, p, L: F.poisson_nll_loss(L, p, reduction="foo"),
    "multi_margin p": lambda lib, F, x, p, L: F.multi_margin_loss(L, lib.tensor([0, 2]), p=3),
    "multilabel_soft_margin reduction": lambda lib, F, x, p, L: F.multilabel_soft_margin_loss(
        x, p, reduction="foo"),
    # numbers that torch accepts
    "gaussian target float": lambda lib, F, x, p, L: F.gaussian_nll_loss(x, 0.5, lib.ones(2, 3)),
    "gaussian target ndarray": lambda lib, F, x, p, L: F.gaussian_nll_loss(
        x, np.array(L), lib.ones(2, 3)),
    "gaussian var float, input list": lambda lib, F, x, p, L: F.gaussian_nll_loss(L, p, 1.0),
    "multilabel_soft_margin target int": lambda lib, F, x, p, L: F.multilabel_soft_margin_loss(
        x, 1),
    "multilabel_soft_margin weight float": lambda lib, F, x, p, L:
        F.multilabel_soft_margin_loss(x, p, weight=2.0),
    # the top-level forms are ATen's: the parser's TypeError
    "torch.kl_div": lambda lib, F, x, p, L: lib.kl_div(L, p),
    "torch.bce_logits": lambda lib, F, x, p, L: lib.binary_cross_entropy_with_logits(L, p),
    "torch.bce_logits target": lambda lib, F, x, p, L: lib.binary_cross_entropy_with_logits(
        x, 0.5),
    "torch.bce_logits weight": lambda lib, F, x, p, L: lib.binary_cross_entropy_with_logits(
        x, p, W),
    "torch.margin_ranking": lambda lib, F, x, p, L: lib.margin_ranking_loss(
        [0.1, 0.2], x[0, :2], x[1, :2]),
    "torch.margin_ranking target": lambda lib, F, x, p, L: lib.margin_ranking_loss(
        x[0, :2], x[1, :2], np.array([1.0, -1.0])),
    "torch.hinge target": lambda lib, F, x, p, L: lib.hinge_embedding_loss(x, L),
    "torch.cosine_embedding": lambda lib, F, x, p, L: lib.cosine_embedding_loss(
        L, x, x[0, :2]),
    "torch.triplet negative": lambda lib, F, x, p, L: lib.triplet_margin_loss(x, x, 1.0),
    "torch.poisson target": lambda lib, F, x, p, L: lib.poisson_nll_loss(
        x, 1, True, False, 1e-8, 1),
    "torch.bce_logits None": lambda lib, F, x, p, L: lib.binary_cross_entropy_with_logits(
        None, p),
    # ... and a non-tensor comes before a bad reduction
    "torch.hinge before reduction": lambda lib, F, x, p, L: lib.hinge_embedding_loss(
        L, p, 1.0, "mean"),
    "torch.triplet before reduction": lambda lib, F, x, p, L: lib.triplet_margin_loss(
        L, x, p, 1.0, 2.0, 1e-6, False, "mean"),
    "torch.poisson before reduction": lambda lib, F, x, p, L: lib.poisson_nll_loss(
        L, p, True, False, 1e-8, "mean"),
    "torch.cosine before reduction": lambda lib, F, x, p, L: lib.cosine_embedding_loss(
        L, x, x[0, :2], 0.0, "mean"),
    "one_hot list": lambda lib, F, x, p, L: F.one_hot([0, 1], 3),
    "one_hot ndarray": lambda lib, F, x, p, L: F.one_hot(np.array([0, 1]), 3),
}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("case", MORE)
def test_more_non_tensor_cases_match_torch(case):
    _same_as_torch(lambda lib: lambda: MORE[case](lib, lib.nn.functional, *_xs(lib)))


# written out: these need no torch
F = torchlet.nn.functional


def _raises(exc, call):
    with pytest.raises(exc) as info:
        call()
    return str(info.value)


def test_python_losses_raise_attribute_error_on_size():
    x = torchlet.ones(2, 3)
    assert _raises(AttributeError, lambda: F.mse_loss([[1.0] * 3] * 2, x)) == \
        "'list' object has no attribute 'size'"
    assert _raises(AttributeError, lambda: F.l1_loss(x, 0.5)) == \
        "'float' object has no attribute 'size'"
    assert _raises(AttributeError, lambda: torchlet.nn.BCELoss()(None, x)) == \
        "'NoneType' object has no attribute 'size'"
    # torch reads the target's size first
    assert _raises(AttributeError, lambda: F.huber_loss([1.0], 2)) == \
        "'int' object has no attribute 'size'"
    # a NumPy array's size is an int: calling it is the error
    assert _raises(TypeError, lambda: F.smooth_l1_loss(np.ones((2, 3)), x)) == \
        "'int' object is not callable"
    assert _raises(AttributeError, lambda: F.margin_ranking_loss(x[0], [1.0] * 3, x[1])) == \
        "'list' object has no attribute 'dim'"
    assert _raises(AttributeError, lambda: F.gaussian_nll_loss([1.0], x, x)) == \
        "'list' object has no attribute 'size'"


def test_aten_losses_raise_the_parser_type_error():
    x, t = torchlet.ones(2, 3), torchlet.tensor([0, 1])
    assert _raises(TypeError, lambda: F.cross_entropy([[1.0] * 3] * 2, t)) == \
        "cross_entropy_loss(): argument 'input' (position 1) must be Tensor, not list"
    assert _raises(TypeError, lambda: F.nll_loss(x, 1)) == \
        "nll_loss_nd(): argument 'target' (position 2) must be Tensor, not int"
    assert _raises(TypeError, lambda: F.hinge_embedding_loss(x, np.ones(3))) == \
        "hinge_embedding_loss(): argument 'target' (position 2) must be Tensor, not " \
        "numpy.ndarray"
    assert _raises(TypeError, lambda: F.multilabel_soft_margin_loss(0.5, x)) == \
        "log_sigmoid(): argument 'input' (position 1) must be Tensor, not float"
    assert _raises(TypeError, lambda: F.cross_entropy(x, t, weight=[1.0, 2.0, 3.0])) == \
        "cross_entropy_loss(): argument 'weight' (position 3) must be Tensor, not list"
    assert _raises(TypeError, lambda: torchlet.binary_cross_entropy_with_logits(x, 0.5)) == \
        "binary_cross_entropy_with_logits(): argument 'target' (position 2) must be Tensor, " \
        "not float"
    # the reduction is checked first
    assert _raises(ValueError, lambda: F.kl_div([1.0], x, reduction="foo")) == \
        "foo is not a valid value for reduction"


def test_numbers_torch_accepts():
    x = torchlet.tensor([[0.2, 0.5, 0.3], [0.1, 0.7, 0.2]])
    var = torchlet.ones(2, 3)
    # gaussian_nll_loss: the target only meets `input - target`
    got = F.gaussian_nll_loss(x, 0.5, var).item()
    assert got == pytest.approx(float(np.mean(0.5 * (x.numpy() - 0.5) ** 2)), rel=1e-6)
    assert _raises(TypeError, lambda: F.gaussian_nll_loss(x, [0.5], var)) == \
        "unsupported operand type(s) for -: 'Tensor' and 'list'"
    assert _raises(TypeError, lambda: F.gaussian_nll_loss(x, x, 1)).startswith(
        "any() received an invalid combination of arguments - got (bool), but expected one of")
    assert _raises(TypeError, lambda: F.gaussian_nll_loss(x, x, [1.0])) == \
        "'<' not supported between instances of 'list' and 'int'"
    # multilabel_soft_margin_loss: the target only meets arithmetic
    xs = x.numpy()
    log_sig = -np.log1p(np.exp(-xs))
    want = np.mean(np.mean(-log_sig, axis=1))  # target 1: -(1 * log_sig + 0 * ...)
    assert F.multilabel_soft_margin_loss(x, 1).item() == pytest.approx(float(want), rel=1e-6)
    assert _raises(TypeError, lambda: F.multilabel_soft_margin_loss(x, [1.0] * 3)) == \
        "only integer tensors of a single element can be converted to an index"
    assert _raises(ValueError, lambda: F.multilabel_soft_margin_loss(x, x, reduction="foo")) \
        == "foo is not valid"


# ================================================================ 2. one_hot on meta

ONE_HOT = {
    "count": lambda lib: lib.nn.functional.one_hot(
        lib.empty(3, dtype=lib.long, device="meta"), 5),
    "2-d": lambda lib: lib.nn.functional.one_hot(
        lib.empty(2, 3, dtype=lib.long, device="meta"), 4),
    "0-d": lambda lib: lib.nn.functional.one_hot(
        lib.empty((), dtype=lib.long, device="meta"), 3),
    "empty": lambda lib: lib.nn.functional.one_hot(
        lib.empty(0, dtype=lib.long, device="meta"), 5),
    "zero classes": lambda lib: lib.nn.functional.one_hot(
        lib.empty(3, dtype=lib.long, device="meta"), 0),
    "no count": lambda lib: lib.nn.functional.one_hot(
        lib.empty(3, dtype=lib.long, device="meta")),
    "no count, empty": lambda lib: lib.nn.functional.one_hot(
        lib.empty(0, dtype=lib.long, device="meta")),
    "negative count": lambda lib: lib.nn.functional.one_hot(
        lib.empty(3, dtype=lib.long, device="meta"), -2),
    "int32": lambda lib: lib.nn.functional.one_hot(
        lib.empty(3, dtype=lib.int32, device="meta"), 5),
    "cpu empty, zero classes": lambda lib: lib.nn.functional.one_hot(
        lib.tensor([], dtype=lib.long), 0),
}


def _one_hot_outcome(call):
    try:
        out = call()
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return type(e).__name__, str(e)
    return "ok", tuple(out.shape), str(out.dtype), str(out.device)


@pytest.mark.parametrize("case", ONE_HOT)
def test_one_hot_meta_matches_torch(case):
    torch = _torch()
    assert _one_hot_outcome(lambda: ONE_HOT[case](torchlet)) == \
        _one_hot_outcome(lambda: ONE_HOT[case](torch))


def test_one_hot_meta_written_out():
    out = F.one_hot(torchlet.empty(3, dtype=torchlet.long, device="meta"), 5)
    assert out.device.type == "meta" and out.shape == (3, 5) and out.dtype == torchlet.int64
    assert out.is_meta
    assert _raises(RuntimeError, lambda: F.one_hot(
        torchlet.empty(3, dtype=torchlet.long, device="meta"))) == \
        "Tensor.item() cannot be called on meta tensors"
    assert _raises(RuntimeError, lambda: F.one_hot(torchlet.tensor([], dtype=torchlet.long),
                                                   0)) == \
        "Can not infer total number of classes from empty tensor."
    # the CPU result is unchanged
    assert F.one_hot(torchlet.tensor([2, 0]), 3).tolist() == [[0, 0, 1], [1, 0, 0]]
