"""torchlet.optim against torch.optim.

The same small model (a two-layer MLP written with ``@`` and ``tanh``, a mean-squared
loss, fixed data) is built in both libraries from the same float32 (or float64) values.

* Optimizer arithmetic: each step, torch computes the gradients and the *same* gradients
  are handed to both optimizers, so any difference comes from the update alone. SGD must
  then match bit for bit, with every option; the others within float32 rounding (torch's
  float sqrt goes through MKL, which is not correctly rounded, so an ulp can differ).
* End to end: each library runs its own forward and backward (whose float32 results
  differ in the last bits, e.g. BLAS summation order), compared with a tolerance.
* state_dict: torch's format (keys, types, dtypes, values), round trips torchlet ->
  torchlet, torch -> torchlet and torchlet -> torch, each continued for more steps.
* Errors, repr, hooks, zero_grad, parameter groups.

Tests that need torch skip without it; the tests at the end check hand-computed values.
"""

from __future__ import annotations

import copy
import hashlib
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

import torchlet
import torchlet.optim as topt
from torchlet.optim import _kernels

try:
    import torch
except ImportError:  # pragma: no cover - the live tests skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

SHAPES = [(4, 8), (8,), (8, 3), (3,)]


def make(lib, dtype, seed=0):
    """Leaf parameters and data, the same values in either library."""
    rng = np.random.default_rng(seed)
    arrays = [(rng.standard_normal(s) * 0.5).astype(dtype) for s in SHAPES]
    x = rng.standard_normal((16, 4)).astype(dtype)
    y = rng.standard_normal((16, 3)).astype(dtype)
    params = [lib.tensor(a, requires_grad=True) for a in arrays]
    return params, lib.tensor(x), lib.tensor(y)


def mlp_loss(params, x, y):
    w1, b1, w2, b2 = params
    hidden = (x @ w1 + b1).tanh()
    out = hidden @ w2 + b2
    return ((out - y) ** 2).mean()


def to_torchlet(obj):
    """torch tensors (nested in dicts, lists, tuples) as torchlet tensors."""
    if torch is not None and isinstance(obj, torch.Tensor):
        return torchlet.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: to_torchlet(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torchlet(v) for v in obj)
    return obj


def to_torch(obj):
    if isinstance(obj, torchlet.Tensor):
        return torch.from_numpy(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: to_torch(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torch(v) for v in obj)
    return obj


def values(params):
    return [p.detach().numpy().copy() for p in params]


# every optimizer with every option, in small combinations
CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {}),  # torch 2.13's default lr, 1e-3
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1, "foreach": False}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "maximize": True, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.5, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1,
                 "weight_decay": 0.1, "eps": 1e-8}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "maximize": True}),
]
CASE_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}"
            for name, kw in CASES]


def run_with_torch_grads(name, kwargs, dtype, steps=20, start=None):
    """Both optimizers stepped ``steps`` times with the gradients torch computes."""
    t_params, x, y = make(torch, dtype)
    l_params, _, _ = make(torchlet, dtype)
    t_opt = getattr(torch.optim, name)(t_params, **kwargs)
    l_opt = getattr(topt, name)(l_params, **kwargs)
    for _ in range(steps):
        t_opt.zero_grad()
        l_opt.zero_grad()
        mlp_loss(t_params, x, y).backward()
        for tp, lp in zip(t_params, l_params, strict=True):
            lp.grad = torchlet.tensor(tp.grad.numpy().copy())
        t_opt.step()
        l_opt.step()
    return t_params, l_params, t_opt, l_opt


def assert_params_match(expected, actual, name, dtype):
    for e, a in zip(values(expected), values(actual), strict=True):
        assert a.dtype == e.dtype
        if name == "SGD":
            np.testing.assert_array_equal(a, e)  # bit for bit
        elif dtype == np.float32:
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-13)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_update_matches_torch(name, kwargs, dtype):
    t_params, l_params, _, _ = run_with_torch_grads(name, kwargs, dtype)
    assert_params_match(t_params, l_params, name, dtype)


@needs_torch
@pytest.mark.parametrize(("name", "kwargs"), CASES[::3], ids=CASE_IDS[::3])
def test_training_end_to_end(name, kwargs):
    """Each library runs its own forward/backward: float64 agrees to ~1e-12."""
    results = []
    for lib, optim in ((torch, torch.optim), (torchlet, topt)):
        params, x, y = make(lib, np.float64)
        opt = getattr(optim, name)(params, **kwargs)
        for _ in range(20):
            opt.zero_grad()
            loss = mlp_loss(params, x, y)
            loss.backward()
            opt.step()
        results.append((values(params), loss.item()))
    (expected, loss_t), (actual, loss_l) = results
    for e, a in zip(expected, actual, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)
    assert abs(loss_t - loss_l) < 1e-12


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_training_end_to_end_float32(name):
    kwargs = {"lr": 0.05, "momentum": 0.9} if name != "Adam" else {"lr": 0.01}
    kwargs = kwargs if name == "SGD" else {"lr": 0.01}
    results = []
    for lib, optim in ((torch, torch.optim), (torchlet, topt)):
        params, x, y = make(lib, np.float32)
        opt = getattr(optim, name)(params, **kwargs)
        for _ in range(20):
            opt.zero_grad()
            mlp_loss(params, x, y).backward()
            opt.step()
        results.append(values(params))
    for e, a in zip(*results, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5)


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad"])
def test_fused_and_foreach_accepted_on_cpu(name):
    """torch runs its fused/foreach CPU kernels; torchlet the same single-tensor math."""
    for flags in ({"foreach": True}, {"fused": True}):
        t_params, l_params, _, _ = run_with_torch_grads(name, {"lr": 0.01, **flags},
                                                        np.float32)
        for e, a in zip(values(t_params), values(l_params), strict=True):
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------
# state_dict


def _compare_state_dicts(t_sd, l_sd):
    assert list(t_sd) == list(l_sd) == ["state", "param_groups"]
    assert t_sd["param_groups"] == l_sd["param_groups"]
    assert list(t_sd["state"]) == list(l_sd["state"])
    for index, t_state in t_sd["state"].items():
        l_state = l_sd["state"][index]
        assert list(t_state) == list(l_state)
        for key, t_value in t_state.items():
            l_value = l_state[key]
            if isinstance(t_value, torch.Tensor):
                assert isinstance(l_value, torchlet.Tensor), key
                assert str(l_value.dtype) == str(t_value.dtype), key
                assert tuple(l_value.shape) == tuple(t_value.shape), key
                np.testing.assert_allclose(l_value.numpy(), t_value.numpy(), rtol=1e-5,
                                           atol=1e-6)
            else:
                assert type(l_value) is type(t_value), key
                assert l_value == t_value, key


@needs_torch
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_state_dict_format_matches_torch(name, kwargs):
    _, _, t_opt, l_opt = run_with_torch_grads(name, kwargs, np.float32, steps=3)
    _compare_state_dicts(t_opt.state_dict(), l_opt.state_dict())


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adagrad", "Adam"])
def test_state_dict_before_any_step(name):
    t_params, _, _ = make(torch, np.float32)
    l_params, _, _ = make(torchlet, np.float32)
    kwargs = {"lr": 0.1, "momentum": 0.9} if name == "SGD" else {}
    t_sd = getattr(torch.optim, name)(t_params, **kwargs).state_dict()
    l_sd = getattr(topt, name)(l_params, **kwargs).state_dict()
    _compare_state_dicts(t_sd, l_sd)  # Adagrad creates its state at construction


def _feed_steps(t_params, t_opt, l_params, l_opt, steps):
    """Step both optimizers with the gradients torch computes at ``t_params``."""
    _, x, y = make(torch, np.float32)
    for _ in range(steps):
        t_opt.zero_grad()
        l_opt.zero_grad()
        mlp_loss(t_params, x, y).backward()
        for tp, lp in zip(t_params, l_params, strict=True):
            lp.grad = torchlet.tensor(tp.grad.numpy().copy())
        t_opt.step()
        l_opt.step()


def _copies(lib, params):
    return [lib.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_state_dict_round_trip_continues_exactly(name, kwargs):
    """Save after 5 steps, load into a fresh optimizer over copies of the parameters: both
    then take the same 5 steps to the same bits."""
    rng = np.random.default_rng(1)
    params, _, _ = make(torchlet, np.float32)
    opt = getattr(topt, name)(params, **kwargs)

    def step_with_random_grads(pairs):
        grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
        for ps, o in pairs:
            for p, g in zip(ps, grads, strict=True):
                p.grad = torchlet.tensor(g.copy())
            o.step()

    for _ in range(5):
        step_with_random_grads([(params, opt)])
    params2 = _copies(torchlet, params)
    opt2 = getattr(topt, name)(params2, **kwargs)
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    for _ in range(5):
        step_with_random_grads([(params, opt), (params2, opt2)])
    for a, b in zip(values(params), values(params2), strict=True):
        np.testing.assert_array_equal(a, b)


@needs_torch
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_state_dict_round_trips_with_torch(name, kwargs):
    """torchlet's state_dict loads into torch, and torch's into torchlet; each pair then
    continues in step."""
    t_params, l_params, t_opt, l_opt = run_with_torch_grads(name, kwargs, np.float32, 5)

    # torchlet -> torch
    t_params2 = _copies(torch, l_params)
    t_opt2 = getattr(torch.optim, name)(t_params2, **kwargs)
    t_opt2.load_state_dict(to_torch(l_opt.state_dict()))
    l_params2 = _copies(torchlet, l_params)
    l_opt2 = getattr(topt, name)(l_params2, **kwargs)
    l_opt2.load_state_dict(l_opt.state_dict())
    _feed_steps(t_params2, t_opt2, l_params2, l_opt2, 5)
    assert_params_match(t_params2, l_params2, name, np.float32)

    # torch -> torchlet
    l_params3 = _copies(torchlet, t_params)
    l_opt3 = getattr(topt, name)(l_params3, **kwargs)
    l_opt3.load_state_dict(to_torchlet(t_opt.state_dict()))
    _compare_state_dicts(t_opt.state_dict(), l_opt3.state_dict())
    _feed_steps(t_params, t_opt, l_params3, l_opt3, 5)
    assert_params_match(t_params, l_params3, name, np.float32)


def test_load_state_dict_checks_groups():
    params, _, _ = make(torchlet, np.float32)
    opt = topt.SGD(params, lr=0.1)
    sd = opt.state_dict()
    other = topt.SGD([{"params": params[:2]}, {"params": params[2:]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        other.load_state_dict(sd)
    fewer = topt.SGD(params[:3], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        fewer.load_state_dict(sd)


def test_load_state_dict_restores_hyperparameters_and_casts_state():
    params, x, y = make(torchlet, np.float32)
    opt = topt.Adam(params, lr=0.01)
    mlp_loss(params, x, y).backward()
    opt.step()
    sd = opt.state_dict()
    params64 = [torchlet.tensor(p.detach().numpy().astype(np.float64), requires_grad=True)
                for p in params]
    opt64 = topt.Adam(params64, lr=0.5)
    opt64.load_state_dict(sd)
    assert opt64.param_groups[0]["lr"] == 0.01
    assert all(a is b for a, b in zip(opt64.param_groups[0]["params"], params64, strict=True))
    state = opt64.state[params64[0]]
    assert state["exp_avg"].dtype == torchlet.float64  # follows the parameter
    assert state["step"].dtype == torchlet.float32  # the step counter is not cast


# ---------------------------------------------------------------------------------------
# errors, repr, hooks


ERROR_CASES = [
    ("SGD", {"lr": -0.1}),
    ("SGD", {"lr": 0.1, "momentum": -1}),
    ("SGD", {"lr": 0.1, "weight_decay": -1}),
    ("SGD", {"lr": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.1, "fused": True, "foreach": True}),
    ("SGD", {"lr": 0.1, "fused": True, "differentiable": True}),
    ("Adam", {"lr": -0.1}),
    ("Adam", {"eps": -1.0}),
    ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (0.9, -0.1)}),
    ("Adam", {"betas": (0, 0.999)}),
    ("Adam", {"weight_decay": -1e-3}),
    ("AdamW", {"lr": -0.1}),
    ("RMSprop", {"alpha": -0.5}),
    ("RMSprop", {"momentum": -0.5}),
    ("Adagrad", {"lr_decay": -1.0}),
    ("Adagrad", {"initial_accumulator_value": -1.0}),
    ("Adadelta", {"rho": 1.5}),
    ("Adamax", {"betas": (0.9, 1.0)}),
    ("NAdam", {"momentum_decay": -1.0}),
    ("RAdam", {"eps": -1.0}),
    ("LBFGS", {"lr": -1.0}),
]


def _error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - we compare whatever is raised
        return type(e), str(e)
    return None


@needs_torch
@pytest.mark.parametrize(("name", "kwargs"), ERROR_CASES,
                         ids=[f"{n}-{kw}" for n, kw in ERROR_CASES])
def test_constructor_errors_match_torch(name, kwargs):
    expected = _error_of(lambda: getattr(torch.optim, name)(
        [torch.zeros(2, requires_grad=True)], **kwargs))
    actual = _error_of(lambda: getattr(topt, name)(
        [torchlet.zeros(2, requires_grad=True)], **kwargs))
    assert expected is not None
    assert actual == expected


def test_invalid_learning_rate_message():
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -0.1$"):
        topt.SGD([torchlet.zeros(2, requires_grad=True)], lr=-0.1)


@needs_torch
@pytest.mark.parametrize("case", ["empty", "tensor", "set", "int", "non_leaf", "two_groups",
                                  "group_not_dict", "names_mixed", "lbfgs_groups"])
def test_parameter_errors_match_torch(case):
    def build(lib, optim):
        w = lib.zeros(3, requires_grad=True)
        if case == "empty":
            return optim.SGD([], lr=0.1)
        if case == "tensor":
            return optim.SGD(w, lr=0.1)
        if case == "set":
            return optim.SGD([{"params": {w}}], lr=0.1)
        if case == "int":
            return optim.Adam([w, 3])
        if case == "non_leaf":
            return optim.SGD([w * 2], lr=0.1)
        if case == "two_groups":
            return optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
        if case == "group_not_dict":
            opt = optim.SGD([w], lr=0.1)
            return opt.add_param_group([lib.zeros(1, requires_grad=True)])
        if case == "names_mixed":
            return optim.SGD([("a", w), lib.zeros(1, requires_grad=True)], lr=0.1)
        if case == "lbfgs_groups":
            return optim.LBFGS([{"params": [w]}, {"params": [lib.zeros(1,
                                                                       requires_grad=True)]}])
        raise AssertionError(case)

    expected = _error_of(lambda: build(torch, torch.optim))
    actual = _error_of(lambda: build(torchlet, topt))
    assert expected is not None
    assert actual == expected


def test_tensor_instead_of_list_message():
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got "
                                        "torch.FloatTensor"):
        topt.SGD(torchlet.zeros(3, requires_grad=True), lr=0.1)


def test_duplicate_parameters_warn():
    w = torchlet.zeros(3, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        topt.SGD([w, w], lr=0.1)


@needs_torch
@pytest.mark.parametrize("name", ["Adam", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam"])
def test_capturable_on_cpu_raises_like_torch(name):
    def run(lib, optim):
        w = lib.zeros(2, requires_grad=True)
        w.grad = lib.ones(2)
        getattr(optim, name)([w], capturable=True).step()

    expected = _error_of(lambda: run(torch, torch.optim))
    assert expected is not None
    assert _error_of(lambda: run(torchlet, topt)) == expected


@needs_torch
def test_differentiable_on_a_leaf_raises_like_torch():
    def run(lib, optim):
        w = lib.zeros(2, requires_grad=True)
        w.grad = lib.ones(2)
        optim.SGD([w], lr=0.1, differentiable=True).step()

    assert _error_of(lambda: run(torchlet, topt)) == _error_of(lambda: run(torch, torch.optim))


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "RAdam", "LBFGS"])
def test_repr_matches_torch(name):
    t_opt = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    l_opt = getattr(topt, name)([torchlet.zeros(2, requires_grad=True)])
    assert repr(l_opt) == repr(t_opt)
    t_opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": 0.5})
    l_opt.add_param_group({"params": [torchlet.zeros(1, requires_grad=True)], "lr": 0.5})
    if name != "LBFGS":
        assert repr(l_opt) == repr(t_opt)


def test_repr_of_sgd():
    opt = topt.SGD([torchlet.zeros(2, requires_grad=True)], lr=0.1)
    assert repr(opt) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
        "    foreach: None\n    fused: None\n    lr: 0.1\n    maximize: False\n"
        "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)"
    )


def test_param_groups_defaults_and_add_param_group():
    w, b = torchlet.zeros(2, requires_grad=True), torchlet.zeros(1, requires_grad=True)
    opt = topt.SGD([{"params": [w]}, {"params": (b,), "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert isinstance(opt.param_groups[1]["params"], list)
    assert len(opt.param_groups[1]["params"]) == 1 and opt.param_groups[1]["params"][0] is b
    assert opt.param_groups[0]["momentum"] == 0.9 and opt.defaults["lr"] == 0.1
    c = torchlet.zeros(4, requires_grad=True)
    opt.add_param_group({"params": c, "momentum": 0.0})
    assert opt.param_groups[2]["params"][0] is c and opt.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})


def test_named_parameters():
    w = torchlet.zeros(2, requires_grad=True)
    opt = topt.Adam([("w", w)])
    assert opt.param_groups[0]["param_names"] == ["w"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w"]


def test_zero_grad():
    w = torchlet.zeros(3, requires_grad=True)
    opt = topt.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and np.all(grad.numpy() == 0)
    opt.zero_grad()
    assert w.grad is None


def test_step_updates_in_place_and_skips_params_without_grad():
    w = torchlet.tensor([1.0, 2.0], requires_grad=True)
    v = torchlet.tensor([3.0], requires_grad=True)
    data = w._data
    opt = topt.Adam([w, v], lr=0.1)
    version = w._version
    (w * w).sum().backward()
    opt.step()
    assert w._data is data and w._version > version and w.requires_grad and w.is_leaf
    assert v not in opt.state and v.tolist() == [3.0]
    assert w in opt.state and opt.state[w]["step"].item() == 1.0


def test_step_hooks():
    w = torchlet.zeros(2, requires_grad=True)
    opt = topt.SGD([w], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", args)))
    g = topt.optimizer.register_optimizer_step_pre_hook(lambda o, a, k: calls.append("gpre"))
    w.grad = torchlet.ones(2)
    opt.step()
    assert calls == ["gpre", ("pre", True), ("post", (opt,))]
    h1.remove()
    h2.remove()
    g.remove()
    opt.step()
    assert len(calls) == 3

    # a pre-hook may replace the arguments
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": lambda: 7.0}))
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(kwargs["closure"]()))
    assert opt.step() == 7.0 and seen == [7.0]


def test_state_dict_hooks():
    w = torchlet.zeros(2, requires_grad=True)
    opt = topt.SGD([w], lr=0.1)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    assert opt.state_dict()["extra"] == 1
    loaded = []
    opt.register_load_state_dict_post_hook(lambda o: loaded.append(True))
    opt.load_state_dict(opt.state_dict())
    assert loaded == [True]


def test_step_with_closure_returns_loss():
    params, x, y = make(torchlet, np.float32)
    opt = topt.RMSprop(params, lr=0.01)

    def closure():
        opt.zero_grad()
        loss = mlp_loss(params, x, y)
        loss.backward()
        return loss

    first = opt.step(closure)
    assert isinstance(first, torchlet.Tensor) and first.requires_grad
    assert opt.step(closure).item() < first.item()


def test_optimizers_reduce_the_loss():
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
                 "NAdam", "RAdam"]:
        params, x, y = make(torchlet, np.float32)
        opt = getattr(topt, name)(params, lr=0.05 if name != "Adadelta" else 1.0)
        start = mlp_loss(params, x, y).item()
        for _ in range(30):
            opt.zero_grad()
            mlp_loss(params, x, y).backward()
            opt.step()
        assert mlp_loss(params, x, y).item() < start, name


# ---------------------------------------------------------------------------------------
# LBFGS


LBFGS_CASES = [
    {},
    {"history_size": 3, "max_iter": 5},
    {"line_search_fn": "strong_wolfe"},
    {"lr": 0.5, "line_search_fn": "strong_wolfe", "history_size": 4, "max_iter": 7},
    {"tolerance_grad": 1e-3, "max_eval": 6},
]


def _lbfgs_run(lib, optim, dtype, kwargs, steps):
    params, x, y = make(lib, dtype)
    opt = optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = mlp_loss(params, x, y)
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    return values(params), losses, opt


@needs_torch
@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=[str(k) for k in LBFGS_CASES])
def test_lbfgs_matches_torch(kwargs):
    t_vals, t_losses, t_opt = _lbfgs_run(torch, torch.optim, np.float64, kwargs, 3)
    l_vals, l_losses, l_opt = _lbfgs_run(torchlet, topt, np.float64, kwargs, 3)
    np.testing.assert_allclose(l_losses, t_losses, rtol=1e-10)
    for e, a in zip(t_vals, l_vals, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-11)
    t_state, l_state = t_opt.state_dict()["state"][0], l_opt.state_dict()["state"][0]
    assert list(l_state) == list(t_state)
    assert l_state["func_evals"] == t_state["func_evals"]
    assert l_state["n_iter"] == t_state["n_iter"]
    assert len(l_state["old_dirs"]) == len(t_state["old_dirs"])
    if isinstance(t_state["t"], torch.Tensor):
        assert isinstance(l_state["t"], torchlet.Tensor) and l_state["t"].dim() == 0
    else:
        assert type(l_state["t"]) is type(t_state["t"])


@needs_torch
def test_lbfgs_float32_and_state_round_trip():
    kwargs = {"history_size": 5, "max_iter": 4}
    t_vals, _, t_opt = _lbfgs_run(torch, torch.optim, np.float32, kwargs, 2)
    l_vals, _, l_opt = _lbfgs_run(torchlet, topt, np.float32, kwargs, 2)
    for e, a in zip(t_vals, l_vals, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5)
    _compare_lbfgs_state(t_opt.state_dict(), l_opt.state_dict())
    # torchlet's state continues in a fresh torchlet optimizer exactly as the original
    params, x, y = make(torchlet, np.float32)
    for p, v in zip(params, l_vals, strict=True):
        p.data.numpy()[...] = v
    fresh = topt.LBFGS(params, **kwargs)
    fresh.load_state_dict(copy.deepcopy(l_opt.state_dict()))

    def closure_for(opt, ps):
        def closure():
            opt.zero_grad()
            loss = mlp_loss(ps, x, y)
            loss.backward()
            return loss
        return closure

    fresh.step(closure_for(fresh, params))
    originals = l_opt.param_groups[0]["params"]
    l_opt.step(closure_for(l_opt, originals))
    for a, b in zip(values(params), values(originals), strict=True):
        np.testing.assert_array_equal(a, b)


def _compare_lbfgs_state(t_sd, l_sd):
    t_state, l_state = t_sd["state"][0], l_sd["state"][0]
    assert list(t_state) == list(l_state)
    for key in ("d", "prev_flat_grad", "H_diag"):
        assert str(l_state[key].dtype) == str(t_state[key].dtype)
        assert tuple(l_state[key].shape) == tuple(t_state[key].shape)
    assert all(isinstance(r, torchlet.Tensor) and r.dim() == 0 for r in l_state["ro"])
    assert t_sd["param_groups"] == l_sd["param_groups"]


def test_lbfgs_needs_strong_wolfe_or_none():
    params, x, y = make(torchlet, np.float64)
    opt = topt.LBFGS(params, line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = mlp_loss(params, x, y)
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


def test_lbfgs_minimises_a_quadratic():
    """L-BFGS solves a 2-d quadratic bowl to high accuracy in one step."""
    target = np.array([1.5, -2.0])
    w = torchlet.zeros(2, dtype=torchlet.float64, requires_grad=True)
    opt = topt.LBFGS([w], line_search_fn="strong_wolfe")
    scale = torchlet.tensor([1.0, 10.0], dtype=torchlet.float64)

    def closure():
        opt.zero_grad()
        loss = ((w - torchlet.tensor(target)) ** 2 * scale).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(w.detach().numpy(), target, atol=1e-6)


# ---------------------------------------------------------------------------------------
# golden values, written by torch 2.13 (checked against torch when it is installed)
#
# 20 steps with a fixed sequence of random gradients. SGD: a hash of the parameters'
# bytes (bit for bit); the others: the sum of |p| of each parameter.

GOLDEN_UPDATES = {
    "SGD-lr=0.1": "046ae2b3a418dd638a4b",
    "SGD-defaults": "8eec2d6ec2b69729985e",
    "SGD-lr=0.1-momentum=0.9": "c9902ca148005f21d490",
    "SGD-lr=0.1-momentum=0.9-nesterov=True-weight_decay=0.01": "2b10240805cc2ef767bc",
    "SGD-lr=0.1-momentum=0.9-dampening=0.3-weight_decay=0.1": "cf6cf15c6cd3ca84def9",
    "SGD-lr=0.05-momentum=0.5-maximize=True": "a76c8981f51d863445b3",
    "SGD-lr=0.1-weight_decay=0.1-foreach=False": "77e2048b3044e5ceaa36",
    "Adam-lr=0.01": [
        10.060258865356445, 2.2399401664733887, 11.256732940673828, 1.2085819244384766,
    ],
    "Adam-lr=0.01-amsgrad=True-weight_decay=0.1": [
        9.844306945800781, 2.186180591583252, 11.04101848602295, 1.1864573955535889,
    ],
    "Adam-lr=0.01-maximize=True-betas=(0.8, 0.99)-eps=1e-06": [
        10.697712898254395, 2.1057677268981934, 11.531587600708008, 0.9625667929649353,
    ],
    "Adam-lr=0.01-weight_decay=0.1-decoupled_weight_decay=True": [
        9.860406875610352, 2.1971967220306396, 11.033454895019531, 1.1860768795013428,
    ],
    "AdamW-lr=0.01": [
        10.040098190307617, 2.235628604888916, 11.234209060668945, 1.2063120603561401,
    ],
    "AdamW-lr=0.01-amsgrad=True-weight_decay=0.5-maximize=True": [
        9.71966552734375, 1.9123172760009766, 10.450298309326172, 0.8637987375259399,
    ],
    "RMSprop-lr=0.01": [
        10.83824348449707, 2.9464473724365234, 11.609607696533203, 1.5408453941345215,
    ],
    "RMSprop-lr=0.01-alpha=0.9-eps=1e-06-centered=True": [
        10.028829574584961, 2.3692781925201416, 11.364431381225586, 1.2617870569229126,
    ],
    "RMSprop-lr=0.01-momentum=0.9-weight_decay=0.1": [
        35.17540740966797, 10.197870254516602, 28.409046173095703, 3.309370517730713,
    ],
    "RMSprop-lr=0.01-centered=True-momentum=0.5-maximize=True": [
        16.93183135986328, 2.912954330444336, 14.29687786102295, 1.1574950218200684,
    ],
    "Adagrad-lr=0.1": [
        10.819418907165527, 2.9368293285369873, 11.587031364440918, 1.5344693660736084,
    ],
    "Adagrad-lr=0.1-lr_decay=0.01-initial_accumulator_value=0.1-weight_decay=0.1-eps=1e-08": [
        9.993745803833008, 2.663890838623047, 10.758952140808105, 1.4368574619293213,
    ],
    "Adagrad-lr=0.1-maximize=True": [
        12.848268508911133, 2.0406081676483154, 12.197530746459961, 0.9124290943145752,
    ],
    "Adadelta-defaults": [
        10.271240234375, 2.2036943435668945, 11.404563903808594, 1.1315135955810547,
    ],
    "Adadelta-lr=0.5-rho=0.8-eps=1e-05-weight_decay=0.1-maximize=True": [
        10.341402053833008, 2.11136531829834, 11.277054786682129, 1.0281193256378174,
    ],
    "Adamax-defaults": [
        10.303524017333984, 2.171039581298828, 11.347278594970703, 1.0988751649856567,
    ],
    "Adamax-lr=0.01-betas=(0.8, 0.99)-weight_decay=0.1-maximize=True": [
        10.378996849060059, 2.089181900024414, 11.361483573913574, 1.0043460130691528,
    ],
    "NAdam-defaults": [
        10.298248291015625, 2.17560076713562, 11.368112564086914, 1.1076856851577759,
    ],
    "NAdam-lr=0.01-momentum_decay=0.01-weight_decay=0.1": [
        9.916398048400879, 2.173677921295166, 11.182596206665039, 1.177486777305603,
    ],
    "NAdam-weight_decay=0.1-decoupled_weight_decay=True-maximize=True": [
        10.353425979614258, 2.1467111110687256, 11.336849212646484, 1.0590327978134155,
    ],
    "RAdam-defaults": [
        10.326659202575684, 2.1679396629333496, 11.358421325683594, 1.088294267654419,
    ],
    "RAdam-lr=0.01-weight_decay=0.1": [
        10.087118148803711, 2.1771247386932373, 11.201457977294922, 1.1068918704986572,
    ],
    "RAdam-lr=0.01-weight_decay=0.1-decoupled_weight_decay=True-maximize=True": [
        10.337010383605957, 2.098357677459717, 11.262158393859863, 1.0365103483200073,
    ],
}


def _run_fixed_grads(lib, optim, name, kwargs, steps=20):
    params, _, _ = make(lib, np.float32)
    opt = getattr(optim, name)(params, **kwargs)
    rng = np.random.default_rng(7)
    for _ in range(steps):
        for p, shape in zip(params, SHAPES, strict=True):
            p.grad = lib.tensor(rng.standard_normal(shape).astype(np.float32))
        opt.step()
    return values(params)


def _check_golden(name, case_id, arrays):
    golden = GOLDEN_UPDATES[case_id]
    if name == "SGD":
        digest = hashlib.sha256(b"".join(a.tobytes() for a in arrays)).hexdigest()[:20]
        assert digest == golden
    else:
        sums = [float(np.abs(a).sum()) for a in arrays]
        np.testing.assert_allclose(sums, golden, rtol=1e-5)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_updates_match_golden_values(name, kwargs):
    case_id = CASE_IDS[CASES.index((name, kwargs))]
    _check_golden(name, case_id, _run_fixed_grads(torchlet, topt, name, kwargs))
    if torch is not None:  # the golden values are still torch's
        _check_golden(name, case_id, _run_fixed_grads(torch, torch.optim, name, kwargs))


# ---------------------------------------------------------------------------------------
# hand-computed values (no torch needed)


def test_sgd_momentum_by_hand():
    w = torchlet.tensor([1.0], requires_grad=True)
    opt = topt.SGD([w], lr=0.1, momentum=0.5, dampening=0.5)
    expected, buf = 1.0, None
    for grad in [1.0, 2.0, -1.0]:
        w.grad = torchlet.tensor([grad])
        opt.step()
        buf = grad if buf is None else 0.5 * buf + 0.5 * grad
        expected = np.float32(expected - np.float32(0.1) * np.float32(buf))
        assert w.item() == pytest.approx(float(expected), rel=1e-6)


def test_adam_first_step_is_lr_times_sign():
    w = torchlet.tensor([1.0, -1.0, 0.5], requires_grad=True)
    opt = topt.Adam([w], lr=0.01)
    w.grad = torchlet.tensor([3.0, -0.2, 7.0])
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [0.99, -0.99, 0.49], rtol=1e-6)
    state = opt.state[w]
    assert state["step"].dtype == torchlet.float32 and state["step"].dim() == 0
    assert list(state) == ["step", "exp_avg", "exp_avg_sq"]


def test_fma_kernels_round_once():
    """The kernels' float32 results equal the exactly rounded a*b+c."""
    from torchlet._ops.pointwise import _fused as fused

    rng = np.random.default_rng(3)
    a, b, c = (rng.standard_normal(1000).astype(np.float32) for _ in range(3))
    exact = (a.astype(np.float64) * b.astype(np.float64) + c.astype(np.float64))
    np.testing.assert_array_equal(fused._fma(a, b, c), exact.astype(np.float32))
    # float64: the compensated version agrees with long double where that is wider
    a64, b64, c64 = (x.astype(np.float64) * 1.1 for x in (a, b, c))
    wide = a64.astype(np.longdouble) * b64 + c64
    if np.finfo(np.longdouble).nmant > 60:
        np.testing.assert_array_equal(fused._fma(a64, b64, c64), wide.astype(np.float64))


def test_float64_fma_at_special_values():
    """float64 _fma where its error terms do not apply: infinities and NaN propagate as in
    the plain formula (not NaN from inf - inf inside the error terms), a zero keeps the sign
    an exact sum gives, and results that are exact stay exact."""
    from torchlet._ops.pointwise import _fused as fused

    inf, nan = np.inf, np.nan
    a = np.array([inf, 2.0, nan, -0.0, 0.0, 1.0, 3.0, 1e300])
    b = np.array([2.0, -inf, 1.0, 1.0, -1.0, 1.0, 0.5, 1e10])
    c = np.array([1.0, 5.0, 1.0, -0.0, 0.0, -1.0, 0.25, 1.0])
    want = np.array([inf, -inf, nan, -0.0, 0.0, 0.0, 1.75, inf])
    got = fused._fma(a, b, c)
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(want))
    out = np.empty(8)
    assert fused._fma(a, b, c, out=out) is out and np.array_equal(out, want, equal_nan=True)


def test_float64_fma_rounds_once_when_the_product_is_a_midpoint():
    """float64 ``a * b`` exactly halfway between two doubles and a tiny ``c`` deciding the
    side (3.0 * 0.3 + 1e-38 is 0.9): adding the two error terms with a plain rounding
    rounds twice there. Checked against exact rational arithmetic."""
    from fractions import Fraction

    from torchlet._ops.pointwise import _fused as fused

    rng = np.random.default_rng(11)
    n = 4000
    a = rng.integers(1, 64, n).astype(np.float64) * 2.0 ** rng.integers(-3, 4, n)
    b = 0.25 + rng.integers(1, 2**52, n) * 2.0**-54  # a * b needs 54+ bits: often a tie
    tiny = rng.uniform(0.5, 1, n) * 2.0 ** rng.integers(-1000, -60, n)
    c = np.where(rng.random(n) < 0.5, tiny, -tiny)
    c[:8] = [1.17549435e-38, -1e-300, 5e-324, -5e-324, 1e-30, 0.0, -0.0, 1e-20]
    a[0], b[0] = 3.0, 0.3
    got = fused._fma(a, b, c)
    want = np.array([float(Fraction(x) * Fraction(y) + Fraction(z))  # rounded once
                     for x, y, z in zip(a.tolist(), b.tolist(), c.tolist())])
    assert got[0] == 0.9
    # the traps are real: rounding a * b first, or adding the two error terms with a
    # plain rounding (Dekker + two-sum, the usual compensated form), miss many of them
    prod = a * b
    total = prod + c
    compensated = total + ((prod - (total - (total - prod))) + (c - (total - prod))
                           + fused._two_product_error(a, b, prod))
    assert (prod + c != want).sum() > 50 and (compensated != want).sum() > 50
    np.testing.assert_array_equal(got, want)


def test_default_dtype_float64_step_counter():
    torchlet.set_default_dtype(torchlet.float64)
    try:
        w = torchlet.zeros(2, requires_grad=True)
        opt = topt.Adam([w])
        w.grad = torchlet.ones(2)
        opt.step()
        assert opt.state[w]["step"].dtype == torchlet.float64
    finally:
        torchlet.set_default_dtype(torchlet.float32)


def test_no_warnings_in_a_plain_loop():
    params, x, y = make(torchlet, np.float32)
    opt = topt.SGD(params, lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.zero_grad()
            mlp_loss(params, x, y).backward()
            opt.step()


# ---------------------------------------------------------------------------------------
# the fused multiply-add behind add(alpha=) (SGD, weight decay, lerp): exact, every path


def _round_to_float32(exact):
    """The float32 nearest to the Fraction ``exact``, ties to even (IEEE 754)."""
    if abs(exact) >= Fraction(2) ** 128 - Fraction(2) ** 103:  # max + half a step
        return math.copysign(math.inf, exact)
    guess = np.float32(float(exact))  # at most one float32 step away
    near = [v for v in (guess, np.nextafter(guess, np.float32(np.inf)),
                        np.nextafter(guess, np.float32(-np.inf))) if np.isfinite(v)]
    best = min(near, key=lambda v: (abs(Fraction(float(v)) - exact),
                                    int(np.float32(v).view(np.uint32)) & 1))
    return math.copysign(0.0, exact) if best == 0 else float(best)


def _exact_axpy(x, alpha, y):
    """``x * alpha + y`` rounded once to float32, with exact rationals."""
    out = []
    for xi, yi in zip(x.tolist(), y.tolist(), strict=True):
        prod = xi * float(alpha)  # only its sign and non-finite cases are used
        if not (math.isfinite(xi) and math.isfinite(yi)):
            out.append(prod + yi)
            continue
        exact = Fraction(xi) * Fraction(float(alpha)) + Fraction(yi)
        if exact == 0:  # +0 unless both terms are -0
            out.append(-0.0 if prod == 0 and math.copysign(1, prod) < 0
                       and math.copysign(1, yi) < 0 else 0.0)
        else:
            out.append(_round_to_float32(exact))
    return np.array(out, np.float32)


def _adversarial_axpy_inputs():
    """(x, y) float32: the double-rounding witnesses, then signed zeros, subnormals,
    overflow, inf and nan among ordinary values."""
    from torchlet._ops.pointwise import _fused as fused

    y0, x0, _, _ = fused._fma_witnesses()
    rng = np.random.default_rng(7)
    n = 1500
    x = (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 2, n)).astype(np.float32)
    y = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 3, n)).astype(np.float32)
    kind = rng.integers(0, 10, n)
    x[kind == 1], y[kind == 2] = 0.0, -0.0
    x[kind == 3], y[kind == 3] = -0.0, -0.0
    tiny = kind == 4
    y[tiny] = rng.integers(-2000, 2000, tiny.sum()) * np.float32(2.0 ** -149)
    x[tiny] = (rng.standard_normal(tiny.sum()) * 2.0 ** -110).astype(np.float32)
    y[kind == 5] = np.finfo(np.float32).max
    specials = np.array([np.inf, -np.inf, np.nan, 1.0], np.float32)
    x[kind == 6] = rng.choice(specials, (kind == 6).sum())
    y[kind == 7] = rng.choice(specials, (kind == 7).sum())
    return np.concatenate([x0, x]), np.concatenate([y0, y])


def _assert_bits(got, want):
    same = (got.view(np.uint32) == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want))
    bad = np.flatnonzero(~same)
    assert bad.size == 0, f"{bad.size} lanes differ, e.g. {got[bad[:3]]} for {want[bad[:3]]}"


@pytest.fixture(params=["saxpy", "saxpy32", "gemv", "float64"])
def axpy_route(request, monkeypatch):
    """Forces ``_axpy32``'s route: OpenBLAS's saxpy (skipped where it is not found or
    does not fuse), the same called on multiples of 32 elements only (as for OpenBLAS's
    AVX2 kernel; skipped where saxpy does not fuse at those lengths), gemv blocks, or
    float64 blocks; yields the module of the fused multiply-add."""
    from torchlet._ops.pointwise import _fused as fused

    found = fused._blas_saxpy()
    if request.param.startswith("saxpy") and found is None:
        pytest.skip("no fusing OpenBLAS saxpy here")
    if request.param == "saxpy32":
        if 32 % found[1]:
            pytest.skip(f"saxpy fuses at multiples of {found[1]} only")
        monkeypatch.setattr(fused, "_blas_saxpy", lambda: (found[0], 32))
    if not request.param.startswith("saxpy"):
        monkeypatch.setattr(fused, "_blas_saxpy", lambda: None)
    if request.param == "float64":
        monkeypatch.setattr(fused, "_gemv_fuses", lambda n: False)
    return fused


# lengths around the routes' boundaries: saxpy's unrolled loop and remainder, its pieces
# of 8192 where it fuses in multiples of 32 only, OpenBLAS's split between threads (over
# 10,000), gemv's threshold and block length
_AXPY_LENGTHS = (1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129, 1000, 8191, 8192, 8193,
                 8192 + 32, 10_001, 10_016, 3 * 8192 + 5, 30_016, (1 << 18) + 3)


def _at_offset(v, shift):
    """A copy of the float32 array ``v`` starting ``shift`` elements past a 64-byte
    boundary (the kernels' loops may peel or not by alignment)."""
    buffer = np.empty(v.size + 32, np.float32)
    start = (-buffer.ctypes.data % 64) // 4 + shift
    out = buffer[start:start + v.size]
    out[...] = v
    return out


@pytest.mark.parametrize("alpha", [-0.01, 0.3, -1e-30, 2.0 ** -20, -3.0, 1e30, 0.0])
def test_add_with_alpha_rounds_once(alpha, axpy_route):
    """Every route of ``_fma(x, alpha, y)`` (saxpy, BLAS gemv blocks, float64 blocks, and
    float64 for short arrays) gives the exactly rounded result, signed zeros included, at
    lengths around the routes' boundaries, at several alignments, into a new array, in
    place (as SGD updates a parameter) and over x; long inputs repeat the adversarial
    ones."""
    fused = axpy_route
    alpha = np.float32(alpha)
    x, y = _adversarial_axpy_inputs()
    with np.errstate(over="ignore", invalid="ignore"):
        want = _exact_axpy(x, alpha, y)
        for i, n in enumerate(_AXPY_LENGTHS):
            # a window ending in the ordinary and special values, or repeating them all
            first = max(x.size - n, 0)
            xs, ys, ws = (_at_offset(np.resize(v[first:], n), i % 5) for v in (x, y, want))
            _assert_bits(fused._fma(xs, alpha, ys), ws)
            out = _at_offset(np.zeros(n, np.float32), (i + 2) % 7)
            _assert_bits(fused._fma(xs, alpha, ys, out=out), ws)
            _assert_bits(out, ws)
            _assert_bits(fused._fma_via_float64(xs, alpha, ys, np.float32), ws)
            fused._fma(xs, alpha, ys, out=xs)  # over the multiplicand
            _assert_bits(xs, ws)
            xs[...] = np.resize(x[first:], n)
            _kernels._add_(ys, xs, alpha)  # in place, as SGD updates a parameter
            _assert_bits(ys, ws)


def test_add_with_alpha_rounds_once_in_every_lane(axpy_route):
    """The double-rounding witnesses tiled, so that every lane is a trap wherever a
    route's pieces (remainder loops, threads' shares, blocks) begin and end."""
    fused = axpy_route
    y, x, alpha, want = fused._fma_witnesses()
    for i, n in enumerate(_AXPY_LENGTHS):
        xs, ys, ws = (_at_offset(np.resize(v, n), i % 5) for v in (x, y, want))
        _kernels._add_(ys, xs, alpha)
        _assert_bits(ys, ws)


def test_fma_into_an_overlapping_view_is_computed_from_the_inputs(axpy_route):
    """``out`` overlapping an input one element off (neither the input itself nor
    disjoint from it): no route may read an element it already wrote."""
    fused = axpy_route
    alpha = np.float32(-0.3)
    for n in (10, 1000, 20_000):
        buffer = np.random.default_rng(n).standard_normal(n + 1).astype(np.float32)
        x, y = buffer[:n].copy(), np.linspace(-1, 1, n, dtype=np.float32)
        want = _exact_axpy(x, alpha, y)
        _assert_bits(fused._fma(buffer[:n], alpha, y, out=buffer[1:]), want)
        assert fused._may_overlap(buffer[1:], buffer[:n])
        assert not fused._may_overlap(x, y)  # two arrays with their own memory


def test_saxpy_is_found_where_gemv_fuses(monkeypatch):
    """NumPy's OpenBLAS fuses in gemv and in saxpy alike (both FMA kernels): where the
    gemv route is seen to round once, the saxpy route is found, and ``_fma`` takes it."""
    from torchlet._ops.pointwise import _fused as fused

    if not fused._gemv_fuses(1 << 13):
        pytest.skip("this BLAS does not fuse")
    found = fused._blas_saxpy()
    assert found is not None
    saxpy, granule = found
    lengths = []

    def spy(n, *args):
        lengths.append(n)
        saxpy(n, *args)

    monkeypatch.setattr(fused, "_blas_saxpy", lambda: (spy, granule))
    y, x, alpha, want = fused._fma_witnesses()
    _assert_bits(fused._fma(x, alpha, y), want)
    assert lengths == [x.size] if granule == 1 else (
        all(n % granule == 0 for n in lengths) and sum(lengths) >= x.size)


def test_sgd_update_in_place_rounds_once():
    """``saxpy_in_place``, SGD's update of a parameter (``p.add_(g, alpha=-lr)``), calls
    saxpy straight away on two float32 arrays that own their memory, rounding once (the
    adversarial inputs, signed zeros and non-finite values included); anything else it
    leaves untouched and declines, for ``_fma``'s general route."""
    from torchlet._ops.pointwise import _fused as fused

    found = fused._blas_saxpy()
    if found is None or found[1] != 1:
        pytest.skip("no saxpy here that rounds once at every length")
    x0, y0 = _adversarial_axpy_inputs()
    with np.errstate(over="ignore", invalid="ignore"):
        for alpha in (np.float32(-0.01), np.float32(3.0), np.float32(-1e-30)):
            want = _exact_axpy(x0, alpha, y0)
            for n in (1, 17, 1000, x0.size):
                x, y = x0[-n:].copy(), y0[-n:].copy()  # arrays with their own memory
                assert fused.saxpy_in_place(x, alpha, y)
                _assert_bits(y, want[-n:])
                p, g = y0[-n:].copy(), x0[-n:].copy()
                _kernels._add_(p, g, float(alpha))  # the optimizers' entry
                _assert_bits(p, want[-n:])
    x, y = np.ones(8, np.float32), np.ones(8, np.float32)
    frozen = y.copy()
    frozen.flags.writeable = False
    declined = [
        (x, np.float32(0.0), y), (x, np.float32(np.inf), y), (y, np.float32(2.0), y),
        (x[1:], np.float32(2.0), y[1:]),  # views
        (np.asfortranarray(np.ones((4, 2), np.float32)), np.float32(2.0),
         np.ones((4, 2), np.float32)),  # column-major, owning its memory
        (x.astype(np.float64), np.float32(2.0), y.astype(np.float64)),
        (x, np.float32(2.0), frozen), (np.ones(0, np.float32), np.float32(2.0),
                                       np.ones(0, np.float32)),
    ]
    for a, alpha, b in declined:
        before = b.copy()
        assert not fused.saxpy_in_place(a, alpha, b)
        np.testing.assert_array_equal(b, before)


def _python_saxpy(round_product_first=False, flush_subnormals=False, fused_block=1):
    """A stand-in for BLAS's saxpy (``y += alpha * x`` in place, at ctypes addresses):
    rounded once, or wrong in one of the ways a BLAS could be: the product rounded first,
    subnormals flushed to zero, or fused only in whole blocks of ``fused_block`` elements
    (the last ``n % fused_block`` rounded twice, like OpenBLAS's AVX2 remainder loop)."""
    import ctypes

    from torchlet._ops.pointwise import _fused

    def saxpy(n, alpha, x_address, incx, y_address, incy):
        x, y = (np.ctypeslib.as_array((ctypes.c_float * n).from_address(address))
                for address in (x_address, y_address))
        alpha = np.float32(alpha)
        once = 0 if round_product_first else n - n % fused_block
        with np.errstate(invalid="ignore", over="ignore"):
            y[once:] += x[once:] * alpha
            y[:once] = _fused._fma_via_float64(x[:once], alpha, y[:once], np.float32)
        if flush_subnormals:
            y[np.abs(y) < np.finfo(np.float32).tiny] = 0
    return saxpy


def test_saxpy_check_rejects_double_rounding():
    """``_saxpy_granule`` accepts a saxpy that rounds once at every length (granule 1),
    finds the lengths where one fusing in blocks of 32 rounds once, and refuses one that
    rounds the product first or flushes subnormals to zero."""
    from torchlet._ops.pointwise import _fused as fused

    assert fused._saxpy_granule(_python_saxpy()) == 1
    assert fused._saxpy_granule(_python_saxpy(fused_block=32)) == 32
    assert fused._saxpy_granule(_python_saxpy(fused_block=128)) is None  # 64 at most
    assert fused._saxpy_granule(_python_saxpy(round_product_first=True)) is None
    assert fused._saxpy_granule(_python_saxpy(flush_subnormals=True)) is None


def test_add_with_alpha_leaves_a_read_only_target_alone():
    """A read-only parameter raises NumPy's error (saxpy would write through it); a
    read-only gradient is fine."""
    from torchlet._ops.pointwise import _fused as fused
    from torchlet.optim import _kernels as base

    rng = np.random.default_rng(5)
    for n in (100, 50_000):
        y = rng.standard_normal(n).astype(np.float32)
        x = rng.standard_normal(n).astype(np.float32)
        want = fused._fma_via_float64(x, np.float32(-0.01), y, np.float32)
        y.flags.writeable = False
        before = y.copy()
        with pytest.raises(ValueError, match="read-only"):
            base._add_(y, x, -0.01)
        _assert_bits(y, before)
        y = y.copy()
        x.flags.writeable = False
        base._add_(y, x, -0.01)
        _assert_bits(y, want)


@needs_torch
@pytest.mark.parametrize("alpha", [-0.01, 0.3, -1e-30, 1e30])
def test_add_with_alpha_matches_torch_on_every_route(alpha, axpy_route):
    """``_add_`` against torch's ``add_(alpha=)`` live, on the adversarial inputs, at
    lengths around the routes' boundaries (the fixture forces the route)."""
    x, y = _adversarial_axpy_inputs()
    for i, n in enumerate((1, 17, 65, 129, x.size, 10_001, 3 * 8192 + 5)):
        xs, ys = (_at_offset(np.resize(v, n), i % 3) for v in (x, y))
        want = torch.tensor(ys).add_(torch.tensor(xs), alpha=alpha).numpy()
        with np.errstate(over="ignore", invalid="ignore"):
            _kernels._add_(ys, xs, alpha)
        _assert_bits(ys, want)


def test_add_with_alpha_repairs_double_rounding():
    """Traps for the float64 route: x * alpha + y lies a hair off a float32 midpoint and
    rounds onto it in float64 (where rounding again would tie to even, wrongly)."""
    from torchlet._ops.pointwise import _fused as fused

    alpha = np.float32(1 - 2.0 ** -24)
    x = np.array([1 + 2.0 ** -23, 1 + 2.0 ** -22, -(1 + 2.0 ** -23), 1 + 2.0 ** -22])
    y = np.array([2.0 ** -47 + 2.0 ** -70, 2.0 ** -46 - 2.0 ** -69,
                  -(2.0 ** -47 + 2.0 ** -70), 2.0 ** -46 + 2.0 ** -69])
    scale = 2.0 ** np.arange(-60, 61, 10)[:, None]
    x, y = (np.ravel(v * scale).astype(np.float32) for v in (x, y))
    want = _exact_axpy(x, alpha, y)
    naive = (x.astype(np.float64) * alpha + y).astype(np.float32)
    assert (naive != want).sum() == 3 * scale.size  # the traps are real
    _assert_bits(fused._fma_via_float64(x, alpha, y, np.float32), want)
    n = 2 * fused._AXPY_BLAS_MIN
    _assert_bits(fused._fma(np.resize(x, n), alpha, np.resize(y, n)), np.resize(want, n))


def test_fma_witnesses_defeat_double_rounding():
    """The inputs that vet BLAS: rounding the product first misses every tie case."""
    from torchlet._ops.pointwise import _fused as fused

    y, x, alpha, want = fused._fma_witnesses()
    assert x.size > 1000
    ties = slice(0, -8)  # then the subnormal and non-finite cases
    assert (y[ties] + x[ties] * alpha != want[ties]).all()
    _assert_bits(want, _exact_axpy(x, alpha, y))


@needs_torch
@pytest.mark.parametrize("kwargs", [
    {"lr": 0.01},
    {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1, "maximize": True},
])
def test_sgd_matches_torch_bit_for_bit_on_a_large_weight(kwargs):
    """A 256x784 weight (the BLAS route) and its bias; gradients whose unfused update
    would differ from torch's in a few hundred lanes per step."""
    rng = np.random.default_rng(3)
    shapes = [(256, 784), (256,)]
    start = [(rng.uniform(-1, 1, s) / 28).astype(np.float32) for s in shapes]
    t_params = [torch.tensor(a, requires_grad=True) for a in start]
    l_params = [torchlet.tensor(a, requires_grad=True) for a in start]
    t_opt, l_opt = torch.optim.SGD(t_params, **kwargs), topt.SGD(l_params, **kwargs)
    for _ in range(5):
        for tp, lp in zip(t_params, l_params, strict=True):
            grad = (rng.standard_normal(tp.shape) * 0.003).astype(np.float32)
            tp.grad, lp.grad = torch.tensor(grad), torchlet.tensor(grad)
        t_opt.step()
        l_opt.step()
        for tp, lp in zip(t_params, l_params, strict=True):
            _assert_bits(lp.detach().numpy(), tp.detach().numpy())


@needs_torch
@pytest.mark.parametrize("make", [
    lambda lib, p: lib.optim.SGD([p], lr=0.1, weight_decay=0.1),
    lambda lib, p: lib.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda lib, p: lib.optim.Adam([p]),
    lambda lib, p: lib.optim.AdamW([p]),
])
@pytest.mark.parametrize("grad", [0.0, 0.25, -3.0])
def test_zero_dim_parameter_steps_as_torch(make, grad):
    # a 0-d parameter whose fused update is exact used to crash the double-rounding repair
    results = []
    for lib in (torchlet, torch):
        p = lib.tensor(1.0, requires_grad=True)
        optimizer = make(lib, p)
        for _ in range(3):
            p.grad = lib.tensor(grad)
            optimizer.step()
        results.append(p.detach().numpy().copy())
    assert results[0].shape == ()
    np.testing.assert_array_equal(results[0], results[1])
