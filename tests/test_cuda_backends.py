"""torchlet.cuda, torchlet.mps and torchlet.backends against torch 2.13's CPU-only build.

Each probe is written once as ``fn(lib)`` and run on both libraries; the outcome compared
is exact: the value returned, or the exception's type and message. Exceptions: where
torch's CPU build fails with an AttributeError naming a missing ``torch._C`` binding
(set_device, reset_peak_memory_stats), torchlet raises the same type with its own
message, so only the type is compared. ``mkl``, ``mkldnn`` and ``openmp`` answer what is
true of torchlet (not linked: False), not torch's True; those are checked without torch.
Flags are process-wide, so every test restores them on both libraries.
"""

from __future__ import annotations

import warnings

import pytest

import torchlet
from torchlet import _runtime

FLAG_NAMES = ("enabled", "benchmark", "deterministic", "allow_tf32")


def outcome(fn, lib):
    """What ``fn(lib)`` does: ("value", result) or ("raises", type name, message)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ("value", fn(lib))
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        return ("raises", type(error).__name__, str(error))


@pytest.fixture(autouse=True)
def _restore_flags():
    cudnn, mkldnn = torchlet.backends.cudnn, torchlet.backends.mkldnn
    saved = ([getattr(cudnn, n) for n in FLAG_NAMES], mkldnn.enabled, mkldnn.deterministic,
             _runtime.SETTINGS.matmul_precision)
    torch = _torch_or_none()
    torch_saved = None
    if torch is not None:
        torch_saved = ([getattr(torch.backends.cudnn, n) for n in FLAG_NAMES],
                       torch.backends.mkldnn.enabled, torch.get_float32_matmul_precision())
    yield
    for name, value in zip(FLAG_NAMES, saved[0]):
        setattr(cudnn, name, value)
    mkldnn.enabled, mkldnn.deterministic = saved[1], saved[2]
    _runtime.SETTINGS.matmul_precision = saved[3]
    if torch_saved is not None:
        for name, value in zip(FLAG_NAMES, torch_saved[0]):
            setattr(torch.backends.cudnn, name, value)
        torch.backends.mkldnn.enabled = torch_saved[1]
        torch.set_float32_matmul_precision(torch_saved[2])


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


PROBES = {
    "cuda.is_available": lambda t: t.cuda.is_available(),
    "cuda.device_count": lambda t: t.cuda.device_count(),
    "cuda.is_initialized": lambda t: t.cuda.is_initialized(),
    "cuda.manual_seed": lambda t: t.cuda.manual_seed(3),
    "cuda.manual_seed_bad": lambda t: t.cuda.manual_seed("x"),
    "cuda.manual_seed_all": lambda t: t.cuda.manual_seed_all(3),
    "cuda.seed": lambda t: t.cuda.seed(),
    "cuda.seed_all": lambda t: t.cuda.seed_all(),
    "cuda.initial_seed": lambda t: t.cuda.initial_seed(),
    "cuda.get_rng_state": lambda t: t.cuda.get_rng_state(),
    "cuda.get_rng_state_all": lambda t: t.cuda.get_rng_state_all(),
    "cuda.set_rng_state_all": lambda t: t.cuda.set_rng_state_all([]),
    "cuda.current_device": lambda t: t.cuda.current_device(),
    "cuda.get_device_name": lambda t: t.cuda.get_device_name(0),
    "cuda.get_device_properties": lambda t: t.cuda.get_device_properties(0),
    "cuda.get_device_capability": lambda t: t.cuda.get_device_capability(),
    "cuda.synchronize": lambda t: t.cuda.synchronize(),
    "cuda.init": lambda t: t.cuda.init(),
    "cuda.ipc_collect": lambda t: t.cuda.ipc_collect(),
    "cuda.mem_get_info": lambda t: t.cuda.mem_get_info(),
    "cuda.current_stream": lambda t: t.cuda.current_stream(),
    "cuda.default_stream": lambda t: t.cuda.default_stream(),
    "cuda.Stream": lambda t: t.cuda.Stream(),
    "cuda.Event": lambda t: t.cuda.Event(),
    "cuda.set_device_negative": lambda t: t.cuda.set_device(-1),
    "cuda.set_device_cpu": lambda t: t.cuda.set_device("cpu"),
    "cuda.set_device_none": lambda t: t.cuda.set_device(None),
    "cuda.set_device_no_index": lambda t: t.cuda.set_device("cuda"),
    "cuda.empty_cache": lambda t: t.cuda.empty_cache(),
    "cuda.memory_allocated": lambda t: t.cuda.memory_allocated(),
    "cuda.memory_allocated_dev": lambda t: t.cuda.memory_allocated("cuda:1"),
    "cuda.max_memory_allocated": lambda t: t.cuda.max_memory_allocated(),
    "cuda.memory_reserved": lambda t: t.cuda.memory_reserved(),
    "cuda.max_memory_reserved": lambda t: t.cuda.max_memory_reserved(),
    "cuda.memory_cached": lambda t: t.cuda.memory_cached(),
    "cuda.memory_stats": lambda t: dict(t.cuda.memory_stats()),
    "cuda.is_bf16_supported": lambda t: t.cuda.is_bf16_supported(),
    "cuda.get_arch_list": lambda t: t.cuda.get_arch_list(),
    "cuda.get_gencode_flags": lambda t: t.cuda.get_gencode_flags(),
    "cuda.device_negative": lambda t: t.cuda.device(-1).__enter__(),
    "cuda.device_real": lambda t: t.cuda.device(0).__enter__(),
    "cuda.device_none": lambda t: t.cuda.device(None).__enter__(),
    "cuda.device_cpu": lambda t: t.cuda.device("cpu"),
    "cuda.device_idx": lambda t: t.cuda.device("cuda:1").idx,
    "cuda.device_of": lambda t: t.cuda.device_of(t.zeros(1)).__enter__(),
    "mps.is_available": lambda t: t.mps.is_available(),
    "mps.device_count": lambda t: t.mps.device_count(),
    "mps.manual_seed": lambda t: t.mps.manual_seed(0),
    "mps.seed": lambda t: t.mps.seed(),
    "mps.get_rng_state": lambda t: t.mps.get_rng_state(),
    "mps.synchronize": lambda t: t.mps.synchronize(),
    "mps.empty_cache": lambda t: t.mps.empty_cache(),
    "mps.current_allocated_memory": lambda t: t.mps.current_allocated_memory(),
    "mps.driver_allocated_memory": lambda t: t.mps.driver_allocated_memory(),
    "mps.recommended_max_memory": lambda t: t.mps.recommended_max_memory(),
    "mps.memory_fraction_type": lambda t: t.mps.set_per_process_memory_fraction(1),
    "mps.memory_fraction_range": lambda t: t.mps.set_per_process_memory_fraction(3.0),
    "mps.memory_fraction": lambda t: t.mps.set_per_process_memory_fraction(0.5),
    "backends.mps.is_available": lambda t: t.backends.mps.is_available(),
    "backends.mps.is_built": lambda t: t.backends.mps.is_built(),
    "backends.mps.is_macos13_or_newer": lambda t: t.backends.mps.is_macos13_or_newer(),
    "backends.cudnn.is_available": lambda t: t.backends.cudnn.is_available(),
    "backends.cudnn.version": lambda t: t.backends.cudnn.version(),
    "backends.cudnn.is_acceptable": lambda t: t.backends.cudnn.is_acceptable(t.zeros(1)),
    "backends.cudnn.defaults": lambda t: [getattr(t.backends.cudnn, n) for n in FLAG_NAMES],
    "backends.cudnn.benchmark_limit": lambda t: t.backends.cudnn.benchmark_limit,
    "backends.mkldnn.defaults": lambda t: (t.backends.mkldnn.enabled,
                                           t.backends.mkldnn.deterministic),
    "backends.cuda.is_built": lambda t: t.backends.cuda.is_built(),
    "backends.cuda.matmul.allow_tf32": lambda t: t.backends.cuda.matmul.allow_tf32,
    "backends.cuda.matmul.fp16": lambda t: (
        t.backends.cuda.matmul.allow_fp16_reduced_precision_reduction,
        t.backends.cuda.matmul.allow_bf16_reduced_precision_reduction,
    ),
    "backends.cuda.matmul.unknown": lambda t: t.backends.cuda.matmul.nonsense,
    "backends.cuda.sdp": lambda t: (t.backends.cuda.flash_sdp_enabled(),
                                    t.backends.cuda.mem_efficient_sdp_enabled(),
                                    t.backends.cuda.math_sdp_enabled()),
}

# torch's CPU build fails on a missing torch._C binding here; torchlet keeps the type
TYPE_ONLY = {
    "cuda.set_device": lambda t: t.cuda.set_device(0),
    "cuda.set_device_str": lambda t: t.cuda.set_device("cuda:0"),
    "cuda.reset_peak_memory_stats": lambda t: t.cuda.reset_peak_memory_stats(),
    "cuda.reset_max_memory_allocated": lambda t: t.cuda.reset_max_memory_allocated(),
}


def _set(path, value):
    def assign(t):
        *parents, name = path.split(".")
        target = t
        for part in parents:
            target = getattr(target, part)
        setattr(target, name, value)
        return getattr(target, name)

    return assign


SETTERS = {
    "cudnn.deterministic": _set("backends.cudnn.deterministic", True),
    "cudnn.benchmark": _set("backends.cudnn.benchmark", True),
    "cudnn.enabled": _set("backends.cudnn.enabled", False),
    "cudnn.allow_tf32": _set("backends.cudnn.allow_tf32", False),
    "cudnn.deterministic_int": _set("backends.cudnn.deterministic", 1),
    "cudnn.benchmark_none": _set("backends.cudnn.benchmark", None),
    "cudnn.enabled_int": _set("backends.cudnn.enabled", 1),
    "cudnn.allow_tf32_str": _set("backends.cudnn.allow_tf32", "yes"),
    "cudnn.benchmark_limit": _set("backends.cudnn.benchmark_limit", 5),
    "mkldnn.enabled": _set("backends.mkldnn.enabled", False),
    "mkldnn.enabled_int": _set("backends.mkldnn.enabled", 1),
    "mkldnn.deterministic": _set("backends.mkldnn.deterministic", True),
    "matmul.allow_tf32": _set("backends.cuda.matmul.allow_tf32", True),
    "matmul.allow_tf32_int": _set("backends.cuda.matmul.allow_tf32", 3),
    "matmul.fp16_tuple": _set("backends.cuda.matmul.allow_fp16_reduced_precision_reduction",
                              (False,)),
    "matmul.fp16_int": _set("backends.cuda.matmul.allow_fp16_reduced_precision_reduction", 1),
    "matmul.bf16_long": _set("backends.cuda.matmul.allow_bf16_reduced_precision_reduction",
                             (True, True, True)),
    "matmul.unknown": _set("backends.cuda.matmul.nonsense", True),
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_probe_matches_torch(name):
    torch = pytest.importorskip("torch")
    assert outcome(PROBES[name], torchlet) == outcome(PROBES[name], torch)


@pytest.mark.parametrize("name", sorted(TYPE_ONLY))
def test_missing_binding_raises_torchs_type(name):
    torch = pytest.importorskip("torch")
    ours, theirs = outcome(TYPE_ONLY[name], torchlet), outcome(TYPE_ONLY[name], torch)
    assert ours[:2] == theirs[:2] == ("raises", "AttributeError")
    assert "not compiled with CUDA" in ours[2]


@pytest.mark.parametrize("name", sorted(SETTERS))
def test_setting_a_flag_matches_torch(name):
    torch = pytest.importorskip("torch")
    assert outcome(SETTERS[name], torchlet) == outcome(SETTERS[name], torch)


def test_flags_read_back_after_setting():
    cudnn = torchlet.backends.cudnn
    cudnn.deterministic, cudnn.benchmark = True, False
    assert cudnn.deterministic is True and cudnn.benchmark is False
    cudnn.deterministic = False
    assert cudnn.deterministic is False
    with pytest.raises(RuntimeError, match="set_deterministic_cudnn expects a bool, but got int"):
        cudnn.deterministic = 1
    assert cudnn.deterministic is False  # a refused value leaves the flag as it was


def test_matmul_allow_tf32_is_the_matmul_precision():
    """Reading follows the precision on both; assigning is checked on torchlet only (torch
    refuses to report a precision set through both its legacy and new APIs)."""
    torch = pytest.importorskip("torch")
    for lib in (torchlet, torch):
        lib.set_float32_matmul_precision("highest")
        assert lib.backends.cuda.matmul.allow_tf32 is False
        lib.set_float32_matmul_precision("medium")
        assert lib.backends.cuda.matmul.allow_tf32 is True
    torchlet.backends.cuda.matmul.allow_tf32 = False
    assert torchlet.get_float32_matmul_precision() == "highest"
    torchlet.backends.cuda.matmul.allow_tf32 = True
    assert torchlet.get_float32_matmul_precision() == "high"


def test_cudnn_flags_context_restores():
    torch = pytest.importorskip("torch")
    for lib in (torchlet, torch):
        lib.backends.cudnn.deterministic = True
        with lib.backends.cudnn.flags(enabled=False, benchmark=True):
            inside = [getattr(lib.backends.cudnn, n) for n in FLAG_NAMES]
        after = [getattr(lib.backends.cudnn, n) for n in FLAG_NAMES]
        assert inside == [False, True, False, True]
        assert after == [True, False, True, True]


def test_torchlet_is_numpy_only():
    """torchlet links no MKL, oneDNN or OpenMP and never uses opt_einsum."""
    backends = torchlet.backends
    assert backends.mkl.is_available() is False
    assert backends.mkldnn.is_available() is False
    assert backends.openmp.is_available() is False
    assert backends.opt_einsum.is_available() is False
    assert backends.opt_einsum.enabled is False and backends.opt_einsum.strategy is None
    assert backends.opt_einsum.get_opt_einsum() is None


def test_opt_einsum_matches_torch_without_the_package():
    torch = pytest.importorskip("torch")
    if torch.backends.opt_einsum.is_available():
        pytest.skip("torch found the opt_einsum package; torchlet never uses it")
    probe = lambda t: (t.backends.opt_einsum.is_available(),  # noqa: E731
                       t.backends.opt_einsum.enabled, t.backends.opt_einsum.strategy)
    assert probe(torchlet) == probe(torch)


def test_device_choice_idiom_picks_cpu():
    device = "cuda" if torchlet.cuda.is_available() else "cpu"
    x = torchlet.ones(2, device=device)
    assert x.device == torchlet.device("cpu")
    mps_device = "mps" if torchlet.backends.mps.is_available() else "cpu"
    assert mps_device == "cpu"


def test_seeding_everything_preamble_runs():
    """The usual reproducibility preamble: every call succeeds, and the CPU stream is the
    one manual_seed gives."""
    torchlet.manual_seed(7)
    torchlet.cuda.manual_seed(7)
    torchlet.cuda.manual_seed_all(7)
    torchlet.mps.manual_seed(7)
    torchlet.backends.cudnn.deterministic = True
    torchlet.backends.cudnn.benchmark = False
    first = torchlet.rand(3)
    torchlet.manual_seed(7)
    assert torchlet.equal(first, torchlet.rand(3))


def test_namespaces_are_attributes():
    for name in ("cuda", "mps", "backends", "testing"):
        assert hasattr(torchlet, name)
    assert torchlet.utils.checkpoint.checkpoint is not None
