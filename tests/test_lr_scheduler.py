"""torchlet.optim.lr_scheduler against torch.optim.lr_scheduler.

Each scheduler drives an optimizer for 50 epochs in both libraries; the learning rates
(and momenta / betas, for the cyclic schedules) must be equal as floats (``==``: torch's
arithmetic is reproduced operation for operation), and so must ``state_dict()``. Also:
the warning torch gives when ``scheduler.step()`` comes before ``optimizer.step()``, the
deprecated ``step(epoch)``, resuming from a state dict, and errors. The tests at the end
need no torch: they check the schedules against their closed forms.
"""

from __future__ import annotations

import math
import types
import warnings

import pytest

import torchlet
import torchlet.optim as topt
from torchlet.optim import lr_scheduler as L

try:
    import torch
except ImportError:  # pragma: no cover - the live tests skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


class Scale:
    """A callable object: LambdaLR saves its ``__dict__`` in the state dict."""

    def __init__(self, factor):
        self.factor = factor

    def __call__(self, epoch):
        return self.factor**epoch


SCHEDULES = {
    "StepLR": lambda S, o: S.StepLR(o, 7, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, [5, 12, 12, 30], gamma=0.3),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=9),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.1, end_factor=0.9,
                                        total_iters=17),
    "LinearLR-default": lambda S, o: S.LinearLR(o),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, 0.93),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=30, power=2.0),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=13, eta_min=0.001),
    "CosineAnnealingLR-long": lambda S, o: S.CosineAnnealingLR(o, T_max=50),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 0.95**e),
    "LambdaLR-object": lambda S, o: S.LambdaLR(o, Scale(0.9)),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.97),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, 0.2, total_iters=5), S.CosineAnnealingLR(o, 20)], milestones=[5]),
    "SequentialLR-3": lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, 0.5, total_iters=3), S.ExponentialLR(o, 0.9),
            S.StepLR(o, 4)], milestones=[6, 20]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, 0.5, total_iters=4), S.ExponentialLR(o, 0.9)]),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, max_lr=0.5, total_steps=50),
    "OneCycleLR-linear-3phase": lambda S, o: S.OneCycleLR(
        o, max_lr=0.5, total_steps=60, three_phase=True, anneal_strategy="linear"),
    "OneCycleLR-epochs": lambda S, o: S.OneCycleLR(
        o, max_lr=[0.3], epochs=5, steps_per_epoch=11, pct_start=0.25, div_factor=10.0,
        final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9),
    "OneCycleLR-no-momentum": lambda S, o: S.OneCycleLR(
        o, max_lr=0.5, total_steps=55, cycle_momentum=False),
    "CyclicLR": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=6),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(
        o, 0.01, 0.1, step_size_up=4, step_size_down=7, mode="triangular2"),
    "CyclicLR-exp_range": lambda S, o: S.CyclicLR(
        o, 0.01, 0.1, step_size_up=5, mode="exp_range", gamma=0.97),
    "CyclicLR-scale_fn": lambda S, o: S.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 0.5**x, scale_mode="iterations",
        cycle_momentum=False),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=0.01),
    "CosineAnnealingWarmRestarts-1": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=7),
}


def _run(lib, make_schedule, opt_name="SGD", opt_kwargs=None, steps=50, metrics=None,
         groups=1):
    opt_kwargs = {"lr": 0.1, "momentum": 0.9} if opt_kwargs is None else opt_kwargs
    params = [{"params": [lib.zeros(2, requires_grad=True)], "lr": 0.1 * (i + 1)}
              for i in range(groups)]
    optimizer = getattr(lib.optim, opt_name)(params, **opt_kwargs)
    scheduler = make_schedule(lib.optim.lr_scheduler, optimizer)
    trace = [scheduler.get_last_lr()]
    for i in range(steps):
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[i % len(metrics)])
        trace.append(
            [scheduler.get_last_lr()]
            + [(g["lr"], g.get("momentum"), g.get("betas")) for g in optimizer.param_groups]
        )
    return trace, scheduler


def _plain(state):
    """A state dict with functions and nested scheduler dicts made comparable."""
    if isinstance(state, dict):
        return {k: _plain(v) for k, v in state.items()}
    if isinstance(state, list):
        return [_plain(v) for v in state]
    if isinstance(state, (types.FunctionType, types.MethodType)):
        return "<function>"
    return state


@needs_torch
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_torch(name):
    expected, t_sched = _run(torch, SCHEDULES[name])
    actual, l_sched = _run(torchlet, SCHEDULES[name])
    assert actual == expected
    assert _plain(l_sched.state_dict()) == _plain(t_sched.state_dict())


@needs_torch
@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR", "CosineAnnealingLR", "StepLR"])
@pytest.mark.parametrize("opt", ["Adam", "RMSprop"])
def test_schedule_with_other_optimizers_matches_torch(name, opt):
    """Adam's momentum is beta1: the cyclic schedules rewrite ``betas``."""
    make = SCHEDULES[name]
    expected, _ = _run(torch, make, opt, {"lr": 0.1}, groups=2)
    actual, _ = _run(torchlet, make, opt, {"lr": 0.1}, groups=2)
    assert actual == expected


PLATEAUS = {
    "min-rel": {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 0.01,
                "cooldown": 1, "min_lr": 0.002},
    "max-abs": {"mode": "max", "factor": 0.7, "patience": 1, "threshold": 0.05,
                "threshold_mode": "abs", "eps": 1e-3},
    "min-abs-minlrs": {"mode": "min", "threshold_mode": "abs", "patience": 0,
                       "min_lr": [0.05, 0.01]},
    "max-rel": {"mode": "max", "patience": 3, "cooldown": 2},
}
METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.89, 0.89, 0.89, 0.88, 0.91, 0.7]


@needs_torch
@pytest.mark.parametrize("name", list(PLATEAUS))
def test_reduce_lr_on_plateau_matches_torch(name):
    def make(S, o):
        return S.ReduceLROnPlateau(o, **PLATEAUS[name])

    expected, t_sched = _run(torch, make, metrics=METRICS, groups=2)
    actual, l_sched = _run(torchlet, make, metrics=METRICS, groups=2)
    assert actual == expected
    assert l_sched.state_dict() == t_sched.state_dict()


@needs_torch
@pytest.mark.parametrize("name", ["StepLR", "LambdaLR-object", "CosineAnnealingLR",
                                  "SequentialLR", "ChainedScheduler", "CyclicLR",
                                  "OneCycleLR", "CosineAnnealingWarmRestarts"])
def test_resume_from_state_dict(name):
    """A scheduler rebuilt from a saved state continues as the original would."""
    make = SCHEDULES[name]
    expected, _ = _run(torch, make, steps=40)

    params = [torchlet.zeros(2, requires_grad=True)]
    optimizer = topt.SGD(params, lr=0.1, momentum=0.9)
    scheduler = make(L, optimizer)
    for _ in range(20):
        optimizer.step()
        scheduler.step()
    saved_sched = scheduler.state_dict()
    saved_opt = optimizer.state_dict()

    optimizer2 = topt.SGD([torchlet.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler2 = make(L, optimizer2)
    scheduler2.load_state_dict(saved_sched)
    optimizer2.load_state_dict(saved_opt)
    trace = []
    for _ in range(20):
        optimizer2.step()
        scheduler2.step()
        trace.append(scheduler2.get_last_lr())
    assert trace == [row[0] for row in expected[21:]]


def _warnings_of(lib, scenario):
    w = lib.zeros(2, requires_grad=True)
    optimizer = lib.optim.SGD([w], lr=0.1)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        scheduler = lib.optim.lr_scheduler.StepLR(optimizer, 2)
        if scenario == "scheduler first":
            scheduler.step()
            optimizer.step()
            scheduler.step()
        elif scenario == "right order":
            for _ in range(3):
                optimizer.step()
                scheduler.step()
        elif scenario == "step overridden":
            optimizer.step = lambda *args, **kwargs: None
            optimizer.step()
            scheduler.step()
        elif scenario == "epoch argument":
            optimizer.step()
            scheduler.step(3)
        elif scenario == "get_lr outside step":
            scheduler.get_lr()
        elif scenario == "two schedulers":
            other = lib.optim.lr_scheduler.ExponentialLR(optimizer, 0.9)
            optimizer.step()
            scheduler.step()
            other.step()
    return [(r.category, str(r.message)) for r in record]


SCENARIOS = ["scheduler first", "right order", "step overridden", "epoch argument",
             "get_lr outside step", "two schedulers"]


@needs_torch
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_warnings_match_torch(scenario):
    assert _warnings_of(torchlet, scenario) == _warnings_of(torch, scenario)


def test_scheduler_step_before_optimizer_step_warns():
    assert [m for _, m in _warnings_of(torchlet, "right order")] == []
    (category, message), = _warnings_of(torchlet, "scheduler first")
    assert category is UserWarning
    assert message.startswith(
        "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
        "In PyTorch 1.1.0 and later, you should call them in the opposite order"
    )


@needs_torch
@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
                                  "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
                                  "CosineAnnealingWarmRestarts-1"])
def test_step_with_epoch_uses_the_closed_form_like_torch(name):
    def run(lib):
        optimizer = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=0.1)
        scheduler = SCHEDULES[name](lib.optim.lr_scheduler, optimizer)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in [3, 10, 4, 25, 7.5 if "Warm" in name else 7]:
                optimizer.step()
                scheduler.step(epoch)
                out.append(scheduler.get_last_lr())
        return out

    assert run(torchlet) == run(torch)


ERRORS = {
    "not an optimizer": lambda S, o: S.StepLR(object(), 3),
    "constant factor": lambda S, o: S.ConstantLR(o, factor=1.5),
    "linear start": lambda S, o: S.LinearLR(o, start_factor=0),
    "linear end": lambda S, o: S.LinearLR(o, end_factor=2.0),
    "warm T_0": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
    "warm T_mult": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    "warm eta_min": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="x"),
    "one cycle steps": lambda S, o: S.OneCycleLR(o, max_lr=0.1),
    "one cycle total": lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=0),
    "one cycle pct": lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=9, pct_start=1.5),
    "one cycle anneal": lambda S, o: S.OneCycleLR(o, 0.1, total_steps=9,
                                                  anneal_strategy="exp"),
    "one cycle max_lr list": lambda S, o: S.OneCycleLR(o, [0.1, 0.2], total_steps=9),
    "one cycle past the end": lambda S, o: _step_past_the_end(S.OneCycleLR(o, 0.1,
                                                                           total_steps=3)),
    "cyclic mode": lambda S, o: S.CyclicLR(o, 0.01, 0.1, mode="sine"),
    "plateau factor": lambda S, o: S.ReduceLROnPlateau(o, factor=1.0),
    "plateau mode": lambda S, o: S.ReduceLROnPlateau(o, mode="avg"),
    "plateau threshold": lambda S, o: S.ReduceLROnPlateau(o, threshold_mode="pct"),
    "plateau min_lrs": lambda S, o: S.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]),
    "resume without initial_lr": lambda S, o: S.StepLR(o, 3, last_epoch=5),
    "sequential milestones": lambda S, o: S.SequentialLR(o, [S.StepLR(o, 3)], [4]),
    "sequential empty": lambda S, o: S.SequentialLR(o, [], []),
    "chained plateau": lambda S, o: S.ChainedScheduler([S.ReduceLROnPlateau(o)]),
    "lambda count": lambda S, o: S.LambdaLR(o, [lambda e: 1.0, lambda e: 1.0]),
    "multiplicative callable": lambda S, o: S.MultiplicativeLR(o, 3),
}


def _step_past_the_end(scheduler):
    scheduler.optimizer.step()
    for _ in range(4):
        scheduler.step()


def _error_of(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001 - we compare whatever is raised
        return type(e), str(e)
    return None


@needs_torch
@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    def build(lib):
        optimizer = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=0.1)
        return ERRORS[name](lib.optim.lr_scheduler, optimizer)

    expected = _error_of(lambda: build(torch))
    assert expected is not None
    assert _error_of(lambda: build(torchlet)) == expected


def test_cyclic_momentum_needs_an_optimizer_with_momentum():
    optimizer = topt.Adagrad([torchlet.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        L.CyclicLR(optimizer, 0.01, 0.1)


# ---------------------------------------------------------------------------------------
# closed forms (no torch needed)


def _lrs(make, steps=30, lr=0.1):
    optimizer = topt.SGD([torchlet.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)
    scheduler = make(optimizer)
    out = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr()[0])
    return out, optimizer


def test_step_lr_by_hand():
    lrs, optimizer = _lrs(lambda o: L.StepLR(o, step_size=3, gamma=0.5), steps=9)
    assert lrs == pytest.approx([0.1] * 3 + [0.05] * 3 + [0.025] * 3 + [0.0125])
    assert optimizer.param_groups[0]["initial_lr"] == 0.1
    assert optimizer.param_groups[0]["lr"] == lrs[-1]


def test_cosine_annealing_follows_the_closed_form():
    lrs, _ = _lrs(lambda o: L.CosineAnnealingLR(o, T_max=10, eta_min=0.01), steps=30)
    for epoch, lr in enumerate(lrs):
        closed = 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * epoch / 10)) / 2
        assert lr == pytest.approx(closed, abs=1e-12)


def test_one_cycle_starts_peaks_and_ends_where_it_should():
    lrs, optimizer = _lrs(lambda o: L.OneCycleLR(o, max_lr=1.0, total_steps=100), steps=99)
    assert lrs[0] == pytest.approx(1.0 / 25)
    assert max(lrs) == pytest.approx(1.0)
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert optimizer.param_groups[0]["momentum"] == pytest.approx(0.95)


def test_warm_restarts_restart():
    lrs, _ = _lrs(lambda o: L.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2), steps=13)
    assert [i for i, lr in enumerate(lrs) if lr == 0.1] == [0, 4, 12]


def test_reduce_lr_on_plateau_by_hand():
    optimizer = topt.SGD([torchlet.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = L.ReduceLROnPlateau(optimizer, patience=1, factor=0.5)
    lrs = []
    for metric in [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25]


def test_tensor_learning_rate_is_updated_in_place():
    lr = torchlet.tensor(0.1)
    optimizer = topt.SGD([torchlet.zeros(1, requires_grad=True)], lr=lr)
    scheduler = L.ExponentialLR(optimizer, 0.5)
    optimizer.step()
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] is lr
    assert lr.item() == pytest.approx(0.05)
    assert isinstance(scheduler.get_last_lr()[0], torchlet.Tensor)


# ---------------------------------------------------------------------------------------
# golden values, written by torch 2.13 (checked against torch when it is installed):
# for each schedule in SCHEDULES, over 50 epochs, [sum of lr, sum of epoch * lr, sum of
# the momentum], which catches a wrong value or a wrong order


GOLDEN_SCHEDULES = {
    "StepLR": [1.2906249999999997, 12.141406250000001, 44.99999999999996],
    "MultiStepLR": [0.6756100000000004, 3.6810899999999998, 44.99999999999996],
    "ConstantLR": [4.4, 120.4, 44.99999999999996],
    "LinearLR": [3.859999999999998, 107.05000000000001, 44.99999999999996],
    "LinearLR-default": [4.866666666666666, 122.36666666666667, 44.99999999999996],
    "ExponentialLR": [1.2932911231438915, 15.418281078963368, 44.99999999999996],
    "PolynomialLR": [0.9505555555555558, 6.541111111111111, 44.99999999999996],
    "CosineAnnealingLR": [2.427438380037413, 58.22191900187054, 44.99999999999996],
    "CosineAnnealingLR-long": [2.4499999999999997, 34.71136911089042, 44.99999999999996],
    "LambdaLR": [1.7538045469742438, 26.012513741222847, 44.99999999999996],
    "LambdaLR-object": [0.8953616023134126, 7.826334536491308, 44.99999999999996],
    "MultiplicativeLR": [2.5282552863767145, 46.49301857834953, 44.99999999999996],
    "SequentialLR": [2.8072937578320074, 72.76764648606748, 44.99999999999996],
    "SequentialLR-3": [1.6156765054503903, 17.853139352610924, 44.99999999999996],
    "ChainedScheduler": [0.7734116023134125, 7.712934536491311, 44.99999999999996],
    "OneCycleLR": [12.381044422475481, 236.24726603584108, 45.04979871469976],
    "OneCycleLR-linear-3phase": [9.051210880000001, 150.27327872000004, 45.80000000000004],
    "OneCycleLR-epochs": [8.27526646705504, 164.2581310263381, 42.302044740646515],
    "OneCycleLR-no-momentum": [13.633424299293882, 288.0631795767004, 44.99999999999996],
    "CyclicLR": [2.705000000000001, 64.12000000000002, 42.550000000000004],
    "CyclicLR-triangular2": [1.4510267857142851, 24.524553571428566, 43.94330357142858],
    "CyclicLR-exp_range": [1.652902270160875, 33.02354382892107, 43.718997477599025],
    "CyclicLR-scale_fn": [0.5466666666666666, 12.307777777777774, 44.99999999999996],
    "CosineAnnealingWarmRestarts": [3.400182224180582, 86.76808892970801, 44.99999999999996],
    "CosineAnnealingWarmRestarts-1": [2.8950484433951216, 70.59813158869532, 44.99999999999996],
}


def _fingerprint(trace):
    rows = trace[1:]
    lrs = [row[0][0] for row in rows]
    momenta = [row[1][1] if row[1][1] is not None else 0.0 for row in rows]
    return [sum(lrs), sum(i * lr for i, lr in enumerate(lrs)), sum(momenta)]


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_golden_values(name):
    trace, _ = _run(torchlet, SCHEDULES[name])
    assert _fingerprint(trace) == pytest.approx(GOLDEN_SCHEDULES[name], rel=1e-13)
    if torch is not None:  # the golden values are still torch's
        expected, _ = _run(torch, SCHEDULES[name])
        assert _fingerprint(expected) == pytest.approx(GOLDEN_SCHEDULES[name], rel=1e-13)
