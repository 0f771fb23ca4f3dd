"""ASGD, Rprop, Adafactor, SparseAdam and torchlet.optim.swa_utils against torch.

Live differential tests: the same parameters and the same gradients (drawn from a seeded
NumPy generator, some exactly zero) are handed to the torch and the torchlet optimizer
each step, for 25 steps, so any difference comes from the update alone.

* ASGD and Rprop reproduce torch's single-tensor code path (the one torch picks on the
  CPU; for ASGD also the multi-tensor one of ``foreach=True``, which rounds otherwise)
  bit for bit, parameters and state (``ax``, ``eta``, ``mu``; ``prev``,
  ``step_size``), in float32 and float64: their arithmetic is elementwise and each
  operation (including the fused multiply-add of ``add(alpha=)``) is rounded as torch's.
* Adafactor agrees within float rounding (float32: rtol 2e-5; float64: rtol 1e-12): it
  takes norms and means (reductions), whose summation order in torch's kernels cannot be
  reproduced; torchlet accumulates them in float64.
* swa_utils: AveragedModel's averages are bit-exact for every averaging function (they
  are elementwise: torch's own formulas on torchlet tensors); SWALR's learning rates are
  Python floats from the same formulas, compared exactly; update_bn's running statistics
  within float rounding (BatchNorm's batch mean and variance are reductions), its batch
  counter exactly.
* SparseAdam: torchlet has no sparse tensors, so its step raises torch's error for the
  (dense) gradients, as torch does; its constructor checks arguments as torch's.
* Errors: the exception type and message of each invalid hyper-parameter equal torch's.
"""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest

import torchlet
import torchlet.optim as topt
from torchlet.optim import swa_utils as l_swa

torch = pytest.importorskip("torch")
from torch.optim import swa_utils as t_swa  # noqa: E402

SHAPES = [(4, 8), (8,), (2, 3, 5), (), (1, 6)]
STEPS = 25


def make_params(lib, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.tensor((rng.standard_normal(s) * 0.5).astype(dtype), requires_grad=True)
            for s in SHAPES]


def gradients(dtype, steps=STEPS, seed=1):
    """Per step, one gradient per parameter; about 1 in 8 entries exactly zero."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        grads = []
        for s in SHAPES:
            g = rng.standard_normal(s).astype(dtype)
            g = np.where(rng.random(s) < 0.125, 0, g).astype(dtype)
            grads.append(g)
        out.append(grads)
    return out


def run_both(name, kwargs, dtype, steps=STEPS):
    t_params = make_params(torch, dtype)
    l_params = make_params(torchlet, dtype)
    t_opt = getattr(torch.optim, name)(t_params, **kwargs)
    l_opt = getattr(topt, name)(l_params, **kwargs)
    for grads in gradients(dtype, steps):
        step_with(t_opt, t_params, grads, torch)
        step_with(l_opt, l_params, grads, torchlet)
    return t_params, l_params, t_opt, l_opt


def step_with(opt, params, grads, lib):
    for p, g in zip(params, grads, strict=True):
        p.grad = lib.tensor(g.copy())
    opt.step()


def to_np(t):
    return t.detach().numpy().copy() if hasattr(t, "detach") else np.asarray(t)


CASES = [
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 1e-2, "alpha": 0.5, "t0": 5, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.02, "t0": 0, "maximize": True, "foreach": False}),
    ("ASGD", {"lr": 0.05, "lambd": 1e-2, "t0": 5, "weight_decay": 0.1, "foreach": True}),
    ("ASGD", {"t0": 0, "maximize": True, "foreach": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2), "maximize": True}),
    ("Rprop", {"lr": 1e-3, "etas": (0.7, 1.1), "step_sizes": (1e-4, 1e-2)}),
    ("Adafactor", {}),
    ("Adafactor", {"lr": 0.05, "beta2_decay": -0.5, "eps": (1e-20, 1e-2), "d": 2.0,
                   "weight_decay": 0.1, "maximize": True}),
    ("Adafactor", {"lr": 0.5, "eps": (1e-3, 1e-3)}),
]
CASE_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}"
            for name, kw in CASES]


def assert_close(actual, expected, name, dtype):
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    if name != "Adafactor":
        np.testing.assert_array_equal(actual, expected)
    elif dtype == np.float32:
        np.testing.assert_allclose(actual, expected, rtol=2e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_updates_and_state_match_torch(name, kwargs, dtype):
    t_params, l_params, t_opt, l_opt = run_both(name, kwargs, dtype)
    for tp, lp in zip(t_params, l_params, strict=True):
        assert_close(to_np(lp), to_np(tp), name, dtype)
        t_state, l_state = t_opt.state[tp], l_opt.state[lp]
        assert list(l_state) == list(t_state)
        for key, t_value in t_state.items():
            assert str(l_state[key].dtype) == str(t_value.dtype), key
            assert_close(to_np(l_state[key]), to_np(t_value), name, dtype)


def test_parameters_actually_move():
    """Guard against a no-op optimizer passing the comparisons above."""
    for name, kwargs in CASES:
        params = make_params(torchlet, np.float32)
        before = [to_np(p) for p in params]
        opt = getattr(topt, name)(params, **kwargs)
        step_with(opt, params, gradients(np.float32, 1)[0], torchlet)
        assert any(not np.array_equal(b, to_np(p)) for b, p in zip(before, params,
                                                                     strict=True)), name


def test_asgd_tensor_lr_matches_torch():
    t_params = make_params(torch, np.float32)
    l_params = make_params(torchlet, np.float32)
    t_opt = torch.optim.ASGD(t_params, lr=torch.tensor(0.03), lambd=0.05)
    l_opt = topt.ASGD(l_params, lr=torchlet.tensor(0.03), lambd=0.05)
    for grads in gradients(np.float32, 10):
        step_with(t_opt, t_params, grads, torch)
        step_with(l_opt, l_params, grads, torchlet)
    for tp, lp in zip(t_params, l_params, strict=True):
        np.testing.assert_array_equal(to_np(lp), to_np(tp))
        np.testing.assert_array_equal(to_np(l_opt.state[lp]["eta"]),
                                      to_np(t_opt.state[tp]["eta"]))


def test_adafactor_eps1_from_first_parameter_dtype():
    """eps=(None, .) takes the machine epsilon of the group's first parameter (torch
    fills it in once per group), here float64's eps for a float32 parameter too."""
    results = []
    for lib, optim in ((torch, torch.optim), (torchlet, topt)):
        a = lib.tensor(np.full((3, 4), 1e-3), requires_grad=True)  # float64 first
        b = lib.tensor(np.full((5,), 1e-3, np.float32), requires_grad=True)
        opt = optim.Adafactor([a, b])
        a.grad = lib.tensor(np.full((3, 4), 1e-12))
        b.grad = lib.tensor(np.full((5,), 1e-12, np.float32))
        opt.step()
        results.append((to_np(a), to_np(b)))
    for t_value, l_value in zip(*results, strict=True):
        np.testing.assert_allclose(l_value, t_value, rtol=1e-6)


# ---------------------------------------------------------------------------------------
# state_dict


def compare_state_dicts(t_sd, l_sd, name):
    assert list(t_sd) == list(l_sd) == ["state", "param_groups"]
    assert t_sd["param_groups"] == l_sd["param_groups"]
    assert list(t_sd["state"]) == list(l_sd["state"])
    for index, t_state in t_sd["state"].items():
        l_state = l_sd["state"][index]
        assert list(t_state) == list(l_state)
        for key, t_value in t_state.items():
            assert isinstance(l_state[key], torchlet.Tensor), key
            assert str(l_state[key].dtype) == str(t_value.dtype), key
            assert_close(to_np(l_state[key]), to_np(t_value), name, np.float32)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_state_dict_matches_and_round_trips(name, kwargs):
    """Same format as torch's; torch's state loaded into torchlet (and torchlet's into
    torch) continues as the original does."""
    t_params, l_params, t_opt, l_opt = run_both(name, kwargs, np.float32, steps=5)
    compare_state_dicts(t_opt.state_dict(), l_opt.state_dict(), name)

    def convert(obj, lib):
        if isinstance(obj, (torch.Tensor, torchlet.Tensor)):
            return lib.tensor(to_np(obj))
        if isinstance(obj, dict):
            return {k: convert(v, lib) for k, v in obj.items()}
        if isinstance(obj, list):
            return [convert(v, lib) for v in obj]
        return obj

    l_params2 = [torchlet.tensor(to_np(p), requires_grad=True) for p in t_params]
    l_opt2 = getattr(topt, name)(l_params2)
    l_opt2.load_state_dict(convert(t_opt.state_dict(), torchlet))
    t_params2 = [torch.tensor(to_np(p), requires_grad=True) for p in l_params]
    t_opt2 = getattr(torch.optim, name)(t_params2)
    t_opt2.load_state_dict(convert(copy.deepcopy(l_opt.state_dict()), torch))
    for grads in gradients(np.float32, 5, seed=7):
        for opt, params, lib in ((t_opt, t_params, torch), (l_opt2, l_params2, torchlet),
                                 (l_opt, l_params, torchlet), (t_opt2, t_params2, torch)):
            step_with(opt, params, grads, lib)
    for tp, lp in zip(t_params, l_params2, strict=True):
        assert_close(to_np(lp), to_np(tp), name, np.float32)
    for lp, tp in zip(l_params, t_params2, strict=True):
        assert_close(to_np(tp), to_np(lp), name, np.float32)


# ---------------------------------------------------------------------------------------
# errors

ERROR_CASES = [
    ("ASGD", {"lr": -0.1}),
    ("ASGD", {"weight_decay": -1.0}),
    ("Rprop", {"lr": -1.0}),
    ("Rprop", {"etas": (1.5, 1.2)}),
    ("Rprop", {"etas": (0.5, 0.9)}),
    ("Rprop", {"etas": (0.0, 1.2)}),
    ("Adafactor", {"lr": -1.0}),
    ("Adafactor", {"beta2_decay": 0.5}),
    ("Adafactor", {"eps": (-1.0, 1e-3)}),
    ("Adafactor", {"eps": (None, -1e-3)}),
    ("Adafactor", {"d": 0.5}),
    ("Adafactor", {"weight_decay": -0.1}),
    ("SparseAdam", {"lr": 0.0}),
    ("SparseAdam", {"eps": 0.0}),
    ("SparseAdam", {"betas": (1.0, 0.999)}),
    ("SparseAdam", {"betas": (0.9, -0.1)}),
]


@pytest.mark.parametrize(("name", "kwargs"), ERROR_CASES,
                         ids=[f"{n}-{kw}" for n, kw in ERROR_CASES])
def test_constructor_errors_match_torch(name, kwargs):
    with pytest.raises(Exception) as t_err:
        getattr(torch.optim, name)(make_params(torch, np.float32), **kwargs)
    with pytest.raises(type(t_err.value)) as l_err:
        getattr(topt, name)(make_params(torchlet, np.float32), **kwargs)
    assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("name", ["ASGD", "Rprop"])
def test_capturable_on_cpu_raises_as_torch(name, foreach):
    errors = []
    for lib, optim in ((torch, torch.optim), (torchlet, topt)):
        params = make_params(lib, np.float32)
        opt = getattr(optim, name)(params, capturable=True, foreach=foreach)
        for p in params:
            p.grad = lib.ones_like(p)
        with pytest.raises(AssertionError) as err:
            opt.step()
        errors.append(str(err.value))
    assert errors[0] == errors[1]


def test_sparse_adam_refuses_dense_gradients_as_torch():
    errors = []
    for lib, optim in ((torch, torch.optim), (torchlet, topt)):
        params = make_params(lib, np.float32)
        opt = optim.SparseAdam(params)
        assert opt.step() is None  # no gradients yet: nothing to do
        params[1].grad = lib.ones_like(params[1])
        with pytest.raises(RuntimeError) as err:
            opt.step()
        errors.append(str(err.value))
        assert np.array_equal(to_np(params[1]), to_np(make_params(lib, np.float32)[1]))
    assert errors[0] == errors[1]


def test_defaults_match_torch():
    for name in ("ASGD", "Rprop", "Adafactor", "SparseAdam"):
        t_opt = getattr(torch.optim, name)(make_params(torch, np.float32))
        l_opt = getattr(topt, name)(make_params(torchlet, np.float32))
        assert l_opt.defaults == t_opt.defaults, name
        assert repr(l_opt) == repr(t_opt), name


# ---------------------------------------------------------------------------------------
# swa_utils: AveragedModel


def make_model(lib, dtype=np.float32):
    """Linear -> BatchNorm1d -> Linear, with the same weights in either library."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Linear(6, 2))
    rng = np.random.default_rng(3)
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(dtype)))
    return model.to(getattr(lib, np.dtype(dtype).name))


def perturb(models, rng):
    """The same random change of every parameter and buffer, in each model."""
    per_tensor = None
    for model in models:
        tensors = list(model.parameters()) + list(model.buffers())
        if per_tensor is None:
            per_tensor = [rng.standard_normal(tuple(t.shape)) * 0.1 for t in tensors]
        lib = torch if isinstance(tensors[0], torch.Tensor) else torchlet
        with lib.no_grad():
            for t, delta in zip(tensors, per_tensor, strict=True):
                if t.is_floating_point():
                    t.add_(lib.tensor(delta.astype(to_np(t).dtype)))
                else:
                    t.add_(3)


AVERAGING = {
    "swa": lambda swa: {},
    "ema-multi": lambda swa: {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.9)},
    "swa-multi": lambda swa: {"multi_avg_fn": swa.get_swa_multi_avg_fn()},
    "ema": lambda swa: {"avg_fn": swa.get_ema_avg_fn(0.8)},
    "swa-fn": lambda swa: {"avg_fn": swa.get_swa_avg_fn()},
}


@pytest.mark.parametrize("use_buffers", [False, True], ids=["params", "buffers"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("averaging", list(AVERAGING))
def test_averaged_model_matches_torch(averaging, dtype, use_buffers):
    t_model, l_model = make_model(torch, dtype), make_model(torchlet, dtype)
    t_avg = t_swa.AveragedModel(t_model, use_buffers=use_buffers,
                                **AVERAGING[averaging](t_swa))
    l_avg = l_swa.AveragedModel(l_model, use_buffers=use_buffers,
                                **AVERAGING[averaging](l_swa))
    rng = np.random.default_rng(5)
    if averaging == "swa-multi" and use_buffers:
        # BatchNorm's int64 batch counter: torch's integer branch divides with addcdiv,
        # which refuses integers
        for avg, model in ((t_avg, t_model), (l_avg, l_model)):
            avg.update_parameters(model)
            with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
                avg.update_parameters(model)
        return
    for _ in range(6):
        perturb([t_model, l_model], rng)
        t_avg.update_parameters(t_model)
        l_avg.update_parameters(l_model)
    t_sd, l_sd = t_avg.state_dict(), l_avg.state_dict()
    assert list(l_sd) == list(t_sd)
    assert list(t_sd)[0] == "n_averaged" and list(t_sd)[-1].startswith("module.")
    for key, t_value in t_sd.items():
        assert str(l_sd[key].dtype) == str(t_value.dtype), key
        np.testing.assert_array_equal(to_np(l_sd[key]), to_np(t_value), err_msg=key)
    assert int(l_avg.n_averaged) == 6
    # the averages differ from the model's last values (they are averages)
    assert not np.array_equal(to_np(l_avg.module[0].weight), to_np(l_model[0].weight))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(dtype)
    t_avg.eval()
    l_avg.eval()
    np.testing.assert_allclose(to_np(l_avg(torchlet.tensor(x))), to_np(t_avg(torch.tensor(x))),
                               rtol=1e-5, atol=1e-6)


def test_averaged_model_loads_torch_state_dict():
    t_avg = t_swa.AveragedModel(make_model(torch))
    t_avg.update_parameters(make_model(torch))
    l_avg = l_swa.AveragedModel(make_model(torchlet))
    l_avg.load_state_dict({k: torchlet.tensor(to_np(v)) for k, v in t_avg.state_dict().items()})
    assert int(l_avg.n_averaged) == 1
    assert not any(p.requires_grad is False for p in l_avg.parameters())


def test_averaged_model_argument_errors_match_torch():
    errors = []
    for lib, swa in ((torch, t_swa), (torchlet, l_swa)):
        with pytest.raises(AssertionError) as err:
            swa.AveragedModel(make_model(lib), avg_fn=swa.get_swa_avg_fn(),
                              multi_avg_fn=swa.get_swa_multi_avg_fn())
        errors.append(str(err.value))
        for decay in (-0.1, 1.5):
            for fn in (swa.get_ema_avg_fn, swa.get_ema_multi_avg_fn):
                with pytest.raises(ValueError) as err:
                    fn(decay)
                errors.append(str(err.value))
    half = len(errors) // 2
    assert errors[:half] == errors[half:]


# ---------------------------------------------------------------------------------------
# swa_utils: SWALR


SWALR_CASES = [
    {"swa_lr": 0.05},
    {"swa_lr": 0.05, "anneal_epochs": 3, "anneal_strategy": "linear"},
    {"swa_lr": [0.01, 0.2], "anneal_epochs": 4},
    {"swa_lr": 0.3, "anneal_epochs": 0},
    {"swa_lr": 0.3, "anneal_epochs": 1, "anneal_strategy": "linear"},
]


@pytest.mark.parametrize("kwargs", SWALR_CASES, ids=[str(c) for c in SWALR_CASES])
def test_swalr_learning_rates_match_torch(kwargs):
    histories = []
    for lib, optim, swa in ((torch, torch.optim, t_swa), (torchlet, topt, l_swa)):
        params = make_params(lib, np.float32)
        opt = optim.SGD([{"params": params[:2]}, {"params": params[2:], "lr": 0.5}], lr=1.0)
        sched = swa.SWALR(opt, **kwargs)
        history = [sched.get_last_lr()]
        for _ in range(14):
            opt.step()
            sched.step()
            history.append(sched.get_last_lr())
            history.append([g["lr"] for g in opt.param_groups])
        histories.append((history, sched.state_dict(), [g["swa_lr"] for g in opt.param_groups]))
    (t_hist, t_sd, t_swa_lrs), (l_hist, l_sd, l_swa_lrs) = histories
    assert l_hist == t_hist  # the same floats, bit for bit
    assert l_swa_lrs == t_swa_lrs
    assert l_sd == t_sd
    assert t_hist[-1] == t_swa_lrs  # annealed all the way


def test_swalr_state_dict_round_trip():
    params = make_params(torchlet, np.float32)
    opt = topt.SGD(params, lr=1.0)
    sched = l_swa.SWALR(opt, swa_lr=0.1, anneal_epochs=5, anneal_strategy="linear")
    for _ in range(2):
        opt.step()
        sched.step()
    sd = sched.state_dict()
    assert "anneal_func" not in sd and "optimizer" not in sd
    opt2 = topt.SGD(make_params(torchlet, np.float32), lr=1.0)
    sched2 = l_swa.SWALR(opt2, swa_lr=0.7)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sd)
    assert sched2.anneal_func is l_swa.SWALR._linear_anneal
    for _ in range(3):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()


@pytest.mark.parametrize("kwargs", [
    {"anneal_strategy": "step"}, {"anneal_epochs": -1}, {"anneal_epochs": 2.0},
    {"swa_lr": [0.1, 0.2, 0.3]},
])
def test_swalr_errors_match_torch(kwargs):
    kwargs = {"swa_lr": 0.1, **kwargs}
    errors = []
    for lib, optim, swa in ((torch, torch.optim, t_swa), (torchlet, topt, l_swa)):
        params = make_params(lib, np.float32)
        opt = optim.SGD([{"params": params[:2]}, {"params": params[2:]}], lr=1.0)
        with pytest.raises(ValueError) as err:
            swa.SWALR(opt, **kwargs)
        errors.append(str(err.value))
    assert errors[0] == errors[1]


def test_swalr_get_lr_outside_step_warns():
    opt = topt.SGD(make_params(torchlet, np.float32), lr=1.0)
    sched = l_swa.SWALR(opt, swa_lr=0.1)
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


# ---------------------------------------------------------------------------------------
# swa_utils: update_bn


@pytest.mark.parametrize("batches", ["tensors", "tuples"])
def test_update_bn_matches_torch(batches):
    rng = np.random.default_rng(11)
    data = [rng.standard_normal((8, 4)).astype(np.float32) * (i + 1) for i in range(5)]
    results = []
    for lib, swa in ((torch, t_swa), (torchlet, l_swa)):
        model = make_model(lib)
        model.eval()
        bn = model[1]
        bn.momentum = 0.3
        loader = [lib.tensor(x) for x in data]
        if batches == "tuples":
            loader = [(x, lib.zeros(8)) for x in loader]
        swa.update_bn(loader, model)
        assert bn.momentum == 0.3 and not model.training
        results.append((to_np(bn.running_mean), to_np(bn.running_var),
                        int(bn.num_batches_tracked)))
    (t_mean, t_var, t_count), (l_mean, l_var, l_count) = results
    assert l_count == t_count == 5
    np.testing.assert_allclose(l_mean, t_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(l_var, t_var, rtol=1e-5, atol=1e-6)


def test_update_bn_without_batchnorm_leaves_model_alone():
    model = torchlet.nn.Linear(3, 2)
    model.eval()
    l_swa.update_bn([torchlet.ones(2, 3)], model)  # no BatchNorm: nothing runs
    assert not model.training


def test_swa_training_loop_end_to_end():
    """torch's documented recipe: SGD, then SWA with SWALR, then update_bn."""
    rng = np.random.default_rng(2)
    data = [(rng.standard_normal((8, 4)).astype(np.float32),
             rng.standard_normal((8, 2)).astype(np.float32)) for _ in range(4)]
    results = []
    for lib, optim, swa in ((torch, torch.optim, t_swa), (torchlet, topt, l_swa)):
        model = make_model(lib, np.float64)
        avg = swa.AveragedModel(model)
        opt = optim.SGD(model.parameters(), lr=0.05)
        sched = swa.SWALR(opt, swa_lr=0.01, anneal_epochs=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _epoch in range(4):
                for x, y in data:
                    opt.zero_grad()
                    x64, y64 = lib.tensor(x.astype(np.float64)), lib.tensor(y.astype(np.float64))
                    ((model(x64) - y64) ** 2).mean().backward()
                    opt.step()
                avg.update_parameters(model)
                sched.step()
        swa.update_bn([lib.tensor(x.astype(np.float64)) for x, _ in data], avg)
        results.append({k: to_np(v) for k, v in avg.state_dict().items()})
    for key, t_value in results[0].items():
        np.testing.assert_allclose(results[1][key], t_value, rtol=1e-10, atol=1e-12,
                                   err_msg=key)
    assert math.isclose(float(results[1]["n_averaged"]), 4)
