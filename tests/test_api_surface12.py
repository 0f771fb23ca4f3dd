"""Regression tests for sweep 12, group F: API surface and small behaviours.

Each test checks a hand-derived value and, where torch is importable, torch's own answer.
"""

import pickle
import sys
import warnings

import pytest

import torchlet
from torchlet._numpy_names import numpy_names, user_stacklevel
from torchlet.optim import lr_scheduler


def _torch():
    return pytest.importorskip("torch")


def _error(fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error).__name__, str(error)
    return None


# ---------------------------------------------------------------------------------------
# 1. scheduler classes report the package as their module (D2L's check)

SCHEDULERS = [
    "ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
    "CyclicLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR",
    "MultiplicativeLR", "OneCycleLR", "PolynomialLR", "ReduceLROnPlateau", "SequentialLR",
    "StepLR", "_LRScheduler",
]


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_module_is_the_package(name):
    assert getattr(lr_scheduler, name).__module__ == "torchlet.optim.lr_scheduler"


def test_scheduler_module_check_and_pickle():
    opt = torchlet.optim.SGD(torchlet.nn.Linear(2, 2).parameters(), lr=0.1)
    s = lr_scheduler.MultiStepLR(opt, milestones=[1, 2], gamma=0.5)
    assert s.__module__ == lr_scheduler.__name__
    opt.step()
    s.step()
    copy = pickle.loads(pickle.dumps(s))
    assert type(copy) is lr_scheduler.MultiStepLR
    assert copy.get_last_lr() == [0.05]
    plateau = pickle.loads(pickle.dumps(lr_scheduler.ReduceLROnPlateau(opt)))
    assert type(plateau) is lr_scheduler.ReduceLROnPlateau


# ---------------------------------------------------------------------------------------
# 2. a device never equals a string; torch's hash and (missing) order


def test_device_not_equal_to_string():
    d = torchlet.device("cpu")
    assert (d == "cpu") is False
    assert (d != "cpu") is True
    assert ("cpu" == d) is False
    assert (torchlet.ones(2).device == "cpu") is False
    assert d == torchlet.device("cpu") and not d != torchlet.device("cpu")
    assert d != torchlet.device("cpu", 0)
    assert torchlet.device("cuda") != torchlet.device("cuda:0")
    assert {d: 1}.get(torchlet.device("cpu")) == 1 and {"cpu": 1}.get(d) is None


DEVICES = ["cpu", "cuda", "mps", "meta", "cuda:3", "mps:0", "meta:0", "cpu:0"]


def test_device_hash_and_order():
    # type number << 16 | index as uint8 (none = 255)
    expected = [255, 65791, 13 << 16 | 255, 14 << 16 | 255, 65539, 13 << 16, 14 << 16, 0]
    assert [hash(torchlet.device(t)) for t in DEVICES] == expected
    d = torchlet.device("cpu")
    with pytest.raises(TypeError, match="comparison not implemented"):
        d < d  # noqa: B015
    with pytest.raises(TypeError, match="not supported"):
        d < 1  # noqa: B015


def test_device_against_torch():
    torch = _torch()
    for t in DEVICES:
        assert hash(torchlet.device(t)) == hash(torch.device(t))
        for u in DEVICES + ["cpu", 1, None]:
            mine = torchlet.device(u) if isinstance(u, str) and u != "cpu" else u
            theirs = torch.device(u) if isinstance(u, str) and u != "cpu" else u
            assert (torchlet.device(t) == mine) == (torch.device(t) == theirs)
            assert (torchlet.device(t) != mine) == (torch.device(t) != theirs)


# ---------------------------------------------------------------------------------------
# 3. x[...] = number writes +-inf into float16, as torch's fill_ fast path does

KEYS = {
    "int": lambda lib: 0, "mask": lambda lib: lib.tensor([True, False, True]),
    "slice": lambda lib: slice(0, 2), "index": lambda lib: lib.tensor([0, 2]),
    "ellipsis": lambda lib: Ellipsis, "none": lambda lib: None, "negative": lambda lib: -1,
}


def _assign(lib, dtype, key, value):
    x = lib.ones(3, dtype=getattr(lib, dtype))
    try:
        x[KEYS[key](lib)] = value
    except Exception as error:  # noqa: BLE001
        return type(error).__name__, str(error)
    return x.tolist()


@pytest.mark.parametrize("key", list(KEYS))
def test_setitem_float16_overflow_is_inf(key):
    inf = float("inf")
    expected = {"int": [-inf, 1, 1], "mask": [-inf, 1, -inf], "slice": [-inf, -inf, 1],
                "index": [-inf, 1, -inf], "ellipsis": [-inf] * 3, "none": [-inf] * 3,
                "negative": [1, 1, -inf]}[key]
    assert _assign(torchlet, "float16", key, -1e6) == expected
    assert _assign(torchlet, "float16", key, 70000) == [abs(v) for v in expected]
    assert _assign(torchlet, "float16", key, 65519.0) == [65504.0 if v == -inf else 1.0
                                                         for v in expected]


@pytest.mark.parametrize("case", [("float32", 1e39), ("int8", 300), ("uint8", 300),
                                  ("float16", 2**63), ("float32", 2**63)])
def test_setitem_still_refuses(case):
    dtype, value = case
    result = _assign(torchlet, dtype, "mask", value)
    assert isinstance(result, tuple) and result[0] in ("RuntimeError", "ValueError")


def test_setitem_float16_against_torch():
    torch = _torch()
    for dtype in ["float16", "float32", "int8", "uint8"]:
        for value in [1e6, -1e6, 70000, 1e39, 300, -1, 65519.0, 65520.0, True, 2**63]:
            for key in KEYS:
                assert _assign(torchlet, dtype, key, value) == _assign(torch, dtype, key, value)


def test_fill_functions_still_raise_for_float16():
    x = torchlet.ones(3, dtype=torchlet.float16)
    mask = torchlet.tensor([True, False, True])
    for fn in [lambda: x.fill_(1e6), lambda: x.masked_fill(mask, -1e6),
               lambda: torchlet.full((2,), 1e6, dtype=torchlet.float16),
               lambda: x.index_fill(0, torchlet.tensor([0]), 1e6)]:
        assert _error(fn) == ("RuntimeError",
                              "value cannot be converted to type c10::Half without overflow")


def test_setitem_float16_records_gradient():
    x = torchlet.ones(3, dtype=torchlet.float16, requires_grad=True).clone()
    x[0] = 1e6
    assert x.grad_fn.name().endswith("CopySlices")
    assert x.tolist() == [float("inf"), 1.0, 1.0]


# ---------------------------------------------------------------------------------------
# 4. a warning under @numpy_names can point at the user's line

_SOURCE = '''
import warnings
def warns(input, dim=0):
    warnings.warn("w", UserWarning, stacklevel=user_stacklevel())
    return input
'''


def test_user_stacklevel_skips_the_numpy_names_wrapper():
    # a function that lives in a torchlet module, wrapped as torch's parser-bound ones are
    namespace = {"__name__": "torchlet._fake", "user_stacklevel": user_stacklevel}
    exec(_SOURCE, namespace)  # noqa: S102
    wrapped = numpy_names(namespace["warns"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        wrapped(1, axis=0)
    assert caught[0].filename == __file__
    assert caught[0].lineno == line


# ---------------------------------------------------------------------------------------
# 5. stubs: torch.version, torch.amp, torch.cuda.amp, distributed, nn.parallel, attention


def test_version_module():
    v = torchlet.version
    assert v.__version__ == torchlet.__version__
    assert (v.cuda, v.hip, v.rocm, v.xpu, v.debug) == (None, None, None, None, False)
    assert isinstance(v.git_version, str)


def test_autocast_cuda_disables_itself_with_torch_warning():
    assert torchlet.autocast is torchlet.amp.autocast
    with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. "
                                         "Disabling autocast."):
        ctx = torchlet.autocast("cuda")
    with ctx as entered:
        y = torchlet.ones(2, 2) @ torchlet.ones(2, 2)
    assert entered is ctx and y.dtype == torchlet.float32


def test_autocast_cpu_unsupported_dtype_and_disabled():
    with pytest.warns(UserWarning, match="In CPU autocast, but the target dtype is not "
                                         "supported. Disabling autocast."):
        torchlet.autocast("cpu", dtype=torchlet.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with torchlet.autocast("cpu", enabled=False):
            assert (torchlet.ones(2) + 1).dtype == torchlet.float32


def test_autocast_cpu_enabled_warns_once_and_runs_unchanged(monkeypatch):
    monkeypatch.setattr(torchlet.amp, "_warned_not_implemented", False)
    with pytest.warns(UserWarning, match="does not implement cpu autocast"):
        with torchlet.autocast("cpu", dtype=torchlet.float16):
            y = torchlet.ones(2, 2) @ torchlet.ones(2, 2)
    assert y.dtype == torchlet.float32 and y.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with torchlet.autocast("cpu"):
            pass


def test_autocast_decorator_and_errors():
    with pytest.warns(UserWarning):
        decorate = torchlet.autocast("cuda")

    @decorate
    def f(x):
        return x * 2

    assert f(3) == 6
    assert _error(lambda: torchlet.autocast(torchlet.device("cpu")))[0] == "ValueError"
    with pytest.raises(TypeError, match="requires a callable"):
        decorate(1)


def test_grad_scaler_cuda_disabled():
    with pytest.warns(UserWarning, match="torch.cuda.amp.GradScaler is enabled, but CUDA is "
                                         "not available.  Disabling."):
        scaler = torchlet.amp.GradScaler()
    w = torchlet.nn.Parameter(torchlet.tensor([1.0]))
    opt = torchlet.optim.SGD([w], lr=0.5)
    loss = (w * 3).sum()
    assert scaler.scale(loss) is loss
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    assert w.tolist() == [-0.5]  # 1 - 0.5 * 3: unscaled
    assert (scaler.is_enabled(), scaler.get_scale(), scaler.state_dict()) == (False, 1.0, {})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not torchlet.amp.GradScaler("cuda", enabled=False).is_enabled()


def test_cuda_amp_deprecated_aliases():
    with pytest.warns(FutureWarning, match=r"torch.cuda.amp.GradScaler\(args...\)` is "
                                           "deprecated"):
        scaler = torchlet.cuda.amp.GradScaler()
    assert isinstance(scaler, torchlet.amp.GradScaler) and not scaler.is_enabled()
    with pytest.warns(FutureWarning, match=r"torch.cuda.amp.autocast\(args...\)` is "
                                           "deprecated"):
        ctx = torchlet.cuda.amp.autocast()
    assert not ctx._enabled


def test_amp_against_torch():
    torch = _torch()
    for lib in (torch, torchlet):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scaler = lib.amp.GradScaler()
            lib.autocast("cuda")
        assert [str(w.message) for w in caught] == [
            "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
            "CUDA is not available or torch_xla is imported. Disabling autocast."]
        assert (scaler.get_scale(), scaler.state_dict()) == (1.0, {})


def test_distributed_stubs():
    dist = torchlet.distributed
    assert not dist.is_available() and not dist.is_initialized()
    with pytest.raises(RuntimeError, match="does not implement torch.distributed"):
        dist.init_process_group(backend="gloo")
    message = ("Default process group has not been initialized, please make sure to call "
               "init_process_group.")
    assert _error(dist.get_rank) == ("ValueError", message)
    assert _error(dist.destroy_process_group) == ("AssertionError",
                                                  "Process group cannot be None")
    model = torchlet.nn.Linear(2, 3)
    assert _error(lambda: torchlet.nn.parallel.DistributedDataParallel(model)) == (
        "ValueError", message)


def test_distributed_errors_match_torch():
    torch = _torch()
    import torch.distributed as tdist

    assert _error(tdist.get_world_size) == _error(torchlet.distributed.get_world_size)
    assert _error(tdist.destroy_process_group) == _error(
        torchlet.distributed.destroy_process_group)
    assert _error(lambda: torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 3))) \
        == _error(lambda: torchlet.nn.parallel.DistributedDataParallel(torchlet.nn.Linear(2, 3)))


def test_data_parallel_runs_the_module():
    torchlet.manual_seed(0)
    model = torchlet.nn.Linear(2, 3)
    dp = torchlet.nn.DataParallel(model)
    assert dp.module is model and dp.device_ids == []
    assert list(dp.state_dict()) == ["module.weight", "module.bias"]
    x = torchlet.randn(4, 2)
    assert torchlet.equal(dp(x), model(x))
    assert repr(dp) == ("DataParallel(\n  (module): Linear(in_features=2, out_features=3, "
                        "bias=True)\n)")


def test_data_parallel_against_torch():
    torch = _torch()
    assert repr(torch.nn.DataParallel(torch.nn.Linear(2, 3))) == repr(
        torchlet.nn.DataParallel(torchlet.nn.Linear(2, 3)))


def test_sdpa_kernel():
    from torchlet.nn.attention import SDPBackend, sdpa_kernel

    cuda = torchlet.backends.cuda
    assert (int(SDPBackend.MATH), int(SDPBackend.FLASH_ATTENTION)) == (0, 1)
    assert repr(SDPBackend.MATH) == "<SDPBackend.MATH: 0>" and str(SDPBackend.MATH) == \
        "SDPBackend.MATH"
    with sdpa_kernel(SDPBackend.MATH) as result:
        assert result == {}
        assert (cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled(),
                cuda.math_sdp_enabled()) == (False, False, True)
        q = torchlet.randn(1, 2, 4, 8)
        assert torchlet.nn.functional.scaled_dot_product_attention(q, q, q).shape == q.shape
    assert cuda.flash_sdp_enabled() and cuda.math_sdp_enabled()
    with pytest.raises(AssertionError, match="got str"):
        with sdpa_kernel("math"):
            pass


def test_sdp_backend_against_torch():
    _torch()
    from torch.nn.attention import SDPBackend as TorchBackend

    from torchlet.nn.attention import SDPBackend

    assert [(m.name, int(m)) for m in TorchBackend.__members__.values()] == [
        (m.name, int(m)) for m in SDPBackend]


# ---------------------------------------------------------------------------------------
# 6. linalg messages: eigh's square check under hermitian=True, lu_factor's name


def test_hermitian_square_check():
    message = "linalg.eigh: A must be batches of square matrices, but they are 3 by 5 matrices"
    a = torchlet.randn(3, 5)
    assert _error(lambda: torchlet.linalg.pinv(a, hermitian=True)) == ("RuntimeError", message)
    assert _error(lambda: torchlet.linalg.matrix_rank(a, hermitian=True)) == (
        "RuntimeError", message)
    # empty matrices need no eigh, in torch too
    assert torchlet.linalg.pinv(torchlet.randn(0, 3), hermitian=True).shape == (3, 0)
    assert int(torchlet.linalg.matrix_rank(torchlet.randn(0, 3), hermitian=True)) == 0


def test_lu_without_pivoting_message():
    assert _error(lambda: torchlet.linalg.lu(torchlet.randn(3, 3), pivot=False)) == (
        "RuntimeError", "linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def test_linalg_messages_against_torch():
    torch = _torch()
    cases = [
        lambda lib: lib.linalg.pinv(lib.ones(3, 5), hermitian=True),
        lambda lib: lib.linalg.pinv(lib.ones(2, 3, 4), hermitian=True),
        lambda lib: lib.linalg.matrix_rank(lib.ones(3, 5), hermitian=True),
        lambda lib: lib.linalg.matrix_rank(lib.ones(2, 3), atol=lib.ones(5), hermitian=True),
        lambda lib: lib.linalg.lu(lib.ones(3, 3), pivot=False),
        lambda lib: lib.linalg.lu(lib.ones(3, 5), pivot=False),
    ]
    for case in cases:
        assert _error(lambda: case(torchlet)) == _error(lambda: case(torch))  # noqa: B023
