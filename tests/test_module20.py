"""Regression tests from the nn.Module API hunt (helper module20).

Each fix has a test that checks a hand-derived expectation and, when torch is importable,
the same call in torch. ``test_sampled_*`` replay a small fixed set of random
configurations (a seeded NumPy Generator) on both libraries.
"""

from collections import OrderedDict

import numpy as np
import pytest

import torchlet
from torchlet.nn.modules import _hooks

try:
    import torch
except ImportError:  # pragma: no cover - the tests still check the expectations
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
LIBS = [torchlet] if torch is None else [torchlet, torch]


def _outcome(fn):
    """('ok', value) or (exception type name, message with torchlet read as torch)."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__, str(e).replace("torchlet", "torch")


@pytest.fixture
def restore_global_backward_kind():
    """The global 'full or not' flag of backward hooks never resets (in torch either):
    put it back, so that the other tests may register global full backward hooks."""
    saved = [_hooks._global_is_full_backward_hook]
    if torch is not None:
        saved.append(torch.nn.modules.module._global_is_full_backward_hook)
    yield
    _hooks._global_is_full_backward_hook = saved[0]
    if torch is not None:
        torch.nn.modules.module._global_is_full_backward_hook = saved[1]


def _module_ns(lib):
    return lib.nn.modules.module


def _flag_ns(lib):
    """Where the global 'full backward hooks or not' flag lives."""
    return _hooks if lib is torchlet else lib.nn.modules.module


# ---------------------------------------------------------------------------------------
# register_module_backward_hook: the deprecated global (non-full) backward hook


def _global_nonfull_run(lib):
    ns = _module_ns(lib)
    _flag_ns(lib)._global_is_full_backward_hook = None
    log = []
    handle = ns.register_module_backward_hook(
        lambda mod, gi, go: log.append((type(mod).__name__, len(gi), len(go))))
    try:
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Tanh())
        x = lib.ones(1, 2, requires_grad=True)
        with pytest.warns(FutureWarning, match="non-full backward hook"):
            y = m(x)
        y.sum().backward()
        full_refused = _outcome(lambda: ns.register_module_full_backward_hook(lambda *a: None))
    finally:
        handle.remove()
    return log, full_refused, _flag_ns(lib)._global_is_full_backward_hook


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.__name__)
def test_register_module_backward_hook(lib, restore_global_backward_kind):
    log, full_refused, flag = _global_nonfull_run(lib)
    # backward reaches Tanh's node first, then the Sequential's (the same node: the hook
    # sits on the grad_fn of the output), then Linear's AddmmBackward0 (3 grad_inputs)
    assert [entry[0] for entry in log] == ["Tanh", "Sequential", "Linear"]
    assert log[0][1:] == (1, 1) and log[2][1:] == (3, 1)
    assert full_refused == ("RuntimeError", "Cannot use both regular backward hooks and full "
                            "backward hooks as a global Module hook. Please use only one of them.")
    assert flag is False  # stays set after the handle is removed, as torch's


def test_register_module_backward_hook_exported():
    assert "register_module_backward_hook" in torchlet.nn.modules.module.__all__
    assert (torchlet.nn.modules.module.register_module_backward_hook
            is _hooks.register_module_backward_hook)


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.__name__)
def test_register_module_backward_hook_refused_after_full(lib, restore_global_backward_kind):
    ns = _module_ns(lib)
    _flag_ns(lib)._global_is_full_backward_hook = None
    handle = ns.register_module_full_backward_hook(lambda *a: None)
    handle.remove()
    with pytest.raises(RuntimeError, match="as a global Module hook"):
        ns.register_module_backward_hook(lambda *a: None)


# ---------------------------------------------------------------------------------------
# small API differences


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.__name__)
def test_private_state_dict_hook_refuses_public_one(lib):
    m = lib.nn.Linear(1, 1)

    def hook(*args):
        return None

    m.register_state_dict_post_hook(hook)
    with pytest.raises(RuntimeError, match="Cannot register the same function as the state "
                       "dict post hook that was previously registered via "
                       "register_state_dict_post_hook"):
        m._register_state_dict_hook(hook)
    assert len(m._state_dict_hooks) == 1
    # a fresh function is still accepted, and may replace the root's state_dict
    m._register_state_dict_hook(lambda mod, sd, prefix, meta: OrderedDict(x=lib.ones(1)))
    assert list(m.state_dict()) == ["x"]


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.__name__)
def test_to_empty_needs_device(lib):
    m = lib.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'device'"):
        m.to_empty()
    assert m.to_empty(device="cpu") is m and m.weight.shape == (2, 2)


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.__name__)
def test_to_from_meta_points_at_to_empty(lib):
    m = lib.nn.Linear(2, 2, device="meta")
    with pytest.raises(NotImplementedError) as info:
        m.to("cpu")
    assert str(info.value) == (
        "Cannot copy out of meta tensor; no data! Please use torch.nn.Module.to_empty() "
        "instead of torch.nn.Module.to() when moving module from meta to a different device.")
    # other errors of Tensor.to pass through unchanged
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        lib.nn.Linear(1, 1).to(lib.int32)


# ---------------------------------------------------------------------------------------
# sampled differential tests


def _container_ops(lib, kind, seed, n_ops=8):
    """A random sequence of Sequential/ModuleList edits; the repr and keys after each."""
    rng = np.random.default_rng(seed)
    kinds = [lib.nn.ReLU, lib.nn.Tanh, lib.nn.Sigmoid, lib.nn.ELU]

    def mk():
        return kinds[rng.integers(len(kinds))]()

    n0 = int(rng.integers(0, 4))
    if kind == "list":
        m = lib.nn.ModuleList([mk() for _ in range(n0)])
    elif rng.random() < 0.5:
        m = lib.nn.Sequential(*[mk() for _ in range(n0)])
    else:
        m = lib.nn.Sequential(OrderedDict((f"k{i}", mk()) for i in range(n0)))
    ops = ["append", "insert", "pop", "del", "delslice", "set", "extend", "slice", "add",
           "mul", "iadd", "get"]
    log = []
    for _ in range(n_ops):
        op = ops[rng.integers(len(ops))]
        i, j = (int(v) for v in rng.integers(-4, 5, size=2))
        step = int(rng.choice([1, 2, -1]))
        k = int(rng.integers(0, 3))

        def other(k=k):
            modules = [mk() for _ in range(k)]
            return lib.nn.ModuleList(modules) if kind == "list" else lib.nn.Sequential(*modules)

        def step_fn(op=op, i=i, j=j, step=step, k=k):
            nonlocal m
            if op == "append":
                m.append(mk())
            elif op == "insert":
                m.insert(i, mk())
            elif op == "pop":
                return repr(m.pop(i))
            elif op == "del":
                del m[i]
            elif op == "delslice":
                del m[i:j:step]
            elif op == "set":
                m[i] = mk()
            elif op == "extend":
                m.extend([mk() for _ in range(k)])
            elif op == "slice":
                return repr(m[i:j:step])
            elif op == "add":
                return repr(m + other(k))
            elif op == "mul" and kind == "seq":
                return repr(m * k)
            elif op == "iadd":
                m += other(k)
            elif op == "get":
                return repr(m[i])
            return None

        log.append((op, _outcome(step_fn), repr(m), list(m._modules)))
    return log


@needs_torch
def test_sampled_container_edits_match_torch():
    for seed in range(40):
        for kind in ("seq", "list"):
            assert _container_ops(torchlet, kind, seed) == _container_ops(torch, kind, seed), \
                (seed, kind)


def test_container_edits_hand_derived():
    nn = torchlet.nn
    seq = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    seq.insert(-1, nn.ELU())  # before the last: the later modules move up one key
    assert list(seq._modules) == ["0", "1", "2", "3"]
    assert [type(x).__name__ for x in seq] == ["ReLU", "Tanh", "ELU", "Sigmoid"]
    named = nn.Sequential(OrderedDict(a=nn.ReLU(), b=nn.Tanh()))
    with pytest.raises(KeyError):  # torch's insert shifts by number: named keys break it
        named.insert(0, nn.ELU())
    del seq[0]  # a deletion renumbers everything
    assert list(seq._modules) == ["0", "1", "2"]
    assert repr(seq[::-1]) == ("Sequential(\n  (2): Sigmoid()\n  (1): ELU(alpha=1.0)\n"
                               "  (0): Tanh()\n)")
    lst = nn.ModuleList([nn.ReLU()] * 3 + [nn.Tanh()])
    assert repr(lst) == "ModuleList(\n  (0-2): 3 x ReLU()\n  (3): Tanh()\n)"
    lst.insert(10, nn.ELU())  # past the end: torch keeps the gap in the keys
    assert list(lst._modules) == ["0", "1", "2", "3", "10"]


def _load_case(lib, seed):
    """load_state_dict of a random damaged state_dict: outcome, keys, and the values."""
    rng = np.random.default_rng(seed)
    lib.manual_seed(0)
    m = lib.nn.Sequential(OrderedDict(
        enc=lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4)),
        head=lib.nn.Linear(4, 2)))
    m.enc[1].register_buffer("scratch", lib.zeros(2), persistent=False)
    sd = m.state_dict()
    keys = list(sd)
    for _ in range(int(rng.integers(0, 4))):
        what = int(rng.integers(4))
        key = keys[int(rng.integers(len(keys)))]
        if what == 0 and key in sd:
            del sd[key]
        elif what == 1:
            sd[key + "_x"] = lib.zeros(1)
        elif what == 2 and key in sd:
            sd[key] = lib.zeros([s + 1 for s in sd[key].shape])
        elif what == 3:
            sd["enc.1.scratch"] = lib.ones(2)
    strict = bool(rng.random() < 0.5)
    assign = bool(rng.random() < 0.3)
    result = _outcome(lambda: m.load_state_dict(sd, strict=strict, assign=assign))
    if result[0] == "ok":
        result = ("ok", repr(result[1]), list(result[1].missing_keys),
                  list(result[1].unexpected_keys))
    values = {k: v.detach().numpy().tolist() for k, v in m.state_dict(keep_vars=True).items()}
    types = [type(p).__name__ for p in m.parameters()]
    return result, values, types


@needs_torch
def test_sampled_load_state_dict_matches_torch():
    for seed in range(30):
        assert _load_case(torchlet, seed) == _load_case(torch, seed), seed


def test_load_state_dict_reports_every_error():
    # hand-derived: the missing key first, then the unexpected one, then the shape error
    m = torchlet.nn.Sequential(torchlet.nn.Linear(2, 2))
    sd = m.state_dict()
    del sd["0.bias"]
    sd["0.weight"] = torchlet.zeros(3, 2)
    sd["extra"] = torchlet.zeros(1)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    assert str(info.value) == (
        "Error(s) in loading state_dict for Sequential:\n"
        '\tMissing key(s) in state_dict: "0.bias". \n'
        '\tUnexpected key(s) in state_dict: "extra". \n'
        "\tsize mismatch for 0.weight: copying a param with shape torch.Size([3, 2]) from "
        "checkpoint, the shape in current model is torch.Size([2, 2]).")
    with pytest.raises(RuntimeError) as info:  # strict=False still refuses a bad shape
        m.load_state_dict(sd, strict=False)
    assert str(info.value).count("\n\t") == 1 and "size mismatch for 0.weight" in str(info.value)
