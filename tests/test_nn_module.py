"""torchlet.nn.Module, Parameter, containers, Linear/Bilinear/LazyLinear, Flatten and
nn.utils against torch.nn (PyTorch 2.13).

Most tests run the same code on every library in ``LIBS`` (torchlet, plus torch when it is
installed) and compare with literal expected values that were checked against torch: so
they hold without torch, and with torch they also prove the literals are torch's.
"""

from __future__ import annotations

import copy
import importlib
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import torchlet
import torchlet.nn as nn
import torchlet.nn.functional as F

try:
    import torch
except ImportError:
    torch = None

LIBS = [torchlet] + ([torch] if torch is not None else [])
HAS_RNG = hasattr(torchlet.Tensor, "uniform_") and hasattr(torchlet, "manual_seed")
needs_rng = pytest.mark.skipif(not HAS_RNG, reason="random Tensor methods not wired yet")
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def lib_id(lib):
    return lib.__name__


by_lib = pytest.mark.parametrize("lib", LIBS, ids=lib_id)


def error_of(fn):
    """(exception type name, message) raised by fn(), or None."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - any exception is the result under test
        return type(e).__name__, str(e)
    return None


def make_block(lib):
    """A module with every kind of member and no random draws."""
    nn_ = lib.nn

    class Block(nn_.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn_.Parameter(lib.ones(3))
            self.register_buffer("running", lib.zeros(3))
            self.register_buffer("tmp", lib.ones(2), persistent=False)
            self.inner = nn_.Sequential(nn_.Identity(), nn_.Flatten())
            self.shift = nn_.Parameter(lib.full((3,), 0.5))

        def forward(self, x):
            return self.inner(x) * self.scale + self.shift

    return Block()


class Scale:
    """Factory for a one-parameter module ``x -> k * x`` (and ``(kx, 2y)`` with two inputs)."""

    @staticmethod
    def make(lib, k):
        class Scale(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.k = lib.nn.Parameter(lib.tensor([k]))

            def forward(self, x, y=None):
                return x * self.k if y is None else (x * self.k, y * 2)

        return Scale()


# ---------------------------------------------------------------------------------------
# Parameter and Buffer


@by_lib
def test_parameter_repr_and_type(lib):
    p = lib.nn.Parameter(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
    expected = "Parameter containing:\ntensor([[1., 2.],\n        [3., 4.]], requires_grad=True)"
    assert repr(p) == expected and str(p) == expected
    assert repr(lib.nn.Parameter(lib.zeros(2, dtype=lib.float64), requires_grad=False)) == (
        "Parameter containing:\ntensor([0., 0.], dtype=torch.float64)")
    assert repr(lib.nn.Parameter()) == "Parameter containing:\ntensor([], requires_grad=True)"
    assert isinstance(p, lib.Tensor) and p.is_leaf and p.requires_grad
    results = [p + 1, p * 2, -p, p.detach(), p.data, p[0], p.t(), p.clone(), p.view(4), p.sum()]
    assert all(type(r) is lib.Tensor for r in results)


@by_lib
def test_parameter_shares_data_and_version(lib):
    x = lib.zeros(3)
    p = lib.nn.Parameter(x)
    x.add_(1)
    assert p.tolist() == [1.0, 1.0, 1.0] and p._version == 1
    y = lib.ones(2, requires_grad=True) * 2  # a non-leaf becomes a leaf Parameter
    q = lib.nn.Parameter(y)
    assert q.is_leaf and q.grad_fn is None and q.requires_grad
    assert error_of(lambda: lib.nn.Parameter(lib.arange(3))) == (
        "RuntimeError", "Only Tensors of floating point and complex dtype can require gradients")
    assert repr(lib.nn.Parameter(lib.arange(3), requires_grad=False)) == (
        "Parameter containing:\ntensor([0, 1, 2])")


@by_lib
def test_parameter_deepcopy_and_pickle(lib):
    p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    p.grad = lib.ones(2)
    q = copy.deepcopy(p)
    assert type(q) is lib.nn.Parameter and q is not p and q.requires_grad
    assert q.grad is None  # torch's Parameter.__deepcopy__ copies values, not .grad
    q.data.add_(1)
    assert p.tolist() == [1.0, 2.0]
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is lib.nn.Parameter and r.requires_grad and r.tolist() == [1.0, 2.0]
    frozen = pickle.loads(pickle.dumps(lib.nn.Parameter(lib.ones(1), requires_grad=False)))
    assert not frozen.requires_grad


@by_lib
def test_buffer(lib):
    class M(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = lib.nn.Buffer(lib.zeros(2), persistent=False)
            self.b = lib.nn.Buffer(lib.ones(1))
            self.w = lib.nn.Parameter(lib.ones(2))

    m = M()
    assert list(m.state_dict()) == ["w", "b"]
    assert list(m._buffers) == ["a", "b"] and m._non_persistent_buffers_set == {"a"}
    m.a = lib.ones(5)  # a plain tensor keeps the buffer's persistence
    assert list(m.state_dict()) == ["w", "b"] and m.a.tolist() == [1.0] * 5
    assert isinstance(lib.nn.Buffer(lib.ones(1)), lib.Tensor)


# ---------------------------------------------------------------------------------------
# registration


@by_lib
def test_registration_order_names_and_state_dict(lib):
    net = lib.nn.Sequential(OrderedDict([("block", make_block(lib)),
                                         ("head", lib.nn.Identity())]))
    assert [n for n, _ in net.named_parameters()] == ["block.scale", "block.shift"]
    assert [n for n, _ in net.named_buffers()] == ["block.running", "block.tmp"]
    assert [n for n, _ in net.named_modules()] == [
        "", "block", "block.inner", "block.inner.0", "block.inner.1", "head"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert [type(m).__name__ for m in net.children()] == ["Block", "Identity"]
    sd = net.state_dict()
    assert type(sd) is OrderedDict
    assert list(sd) == ["block.scale", "block.shift", "block.running"]  # no tmp: non-persistent
    assert list(sd._metadata) == ["", "block", "block.inner", "block.inner.0", "block.inner.1",
                                  "head"]
    assert sd._metadata["block"] == {"version": 1}
    assert [n for n, _ in net.named_parameters(prefix="model")] == [
        "model.block.scale", "model.block.shift"]
    assert list(net.parameters(recurse=False)) == []
    assert [n for n, _ in net.block.named_parameters(recurse=False)] == ["scale", "shift"]
    assert [n for n, _ in net.named_modules(prefix="m")][:2] == ["m", "m.block"]


@by_lib
def test_shared_parameters_and_modules_are_listed_once(lib):
    shared = Scale.make(lib, 2.0)
    net = lib.nn.Sequential(shared, lib.nn.Identity(), shared)
    assert [n for n, _ in net.named_parameters()] == ["0.k"]
    assert len(list(net.parameters())) == 1
    assert [n for n, _ in net.named_parameters(remove_duplicate=False)] == ["0.k", "2.k"]
    assert [n for n, _ in net.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert len(list(net.children())) == 2
    assert list(net.state_dict()) == ["0.k", "2.k"]  # state_dict keeps both names


@by_lib
def test_setattr_moves_names_between_registries(lib):
    q = lib.nn.Module()
    q.x = lib.zeros(1)
    q.x = lib.nn.Parameter(lib.ones(1))
    assert list(q._parameters) == ["x"] and "x" not in q.__dict__
    q.register_buffer("y", lib.zeros(1))
    q.y = lib.ones(2)
    assert q.y.tolist() == [1.0, 1.0] and list(q._buffers) == ["y"]
    q.y = None
    assert q._buffers == {"y": None} and q.y is None
    q.sub = lib.nn.Identity()
    q.sub = None
    assert q._modules == {"sub": None}
    assert repr(q) == "Module(\n  (sub): None\n)"
    q.x = None
    assert q._parameters == {"x": None} and list(q.parameters()) == []
    q.plain = 3
    assert q.__dict__["plain"] == 3
    del q.y, q.sub, q.x, q.plain
    assert q._buffers == {} and q._modules == {} and q._parameters == {}
    assert error_of(lambda: q.nope) == ("AttributeError", "'Module' object has no attribute 'nope'")


def _setattr_errors(lib):
    nn_ = lib.nn
    mod = make_block(lib)
    mod.child = nn_.Identity()

    def bad_param_name():
        mod.register_parameter("a.b", None)

    return [
        lambda: setattr(mod, "scale", lib.zeros(3)),
        lambda: setattr(mod, "scale", 3),
        lambda: setattr(mod, "child", 3),
        lambda: setattr(mod, "running", "x"),
        lambda: mod.register_buffer("scale", lib.zeros(1)),
        bad_param_name,
        lambda: mod.register_parameter("", None),
        lambda: mod.register_buffer("b.c", None),
        lambda: mod.register_buffer("", None),
        lambda: mod.register_buffer("b", 5),
        lambda: mod.register_buffer(1, None),
        lambda: mod.register_parameter("c", lib.ones(1)),
        lambda: mod.register_parameter("c", nn_.Parameter(lib.ones(1)) * 2),
        lambda: mod.add_module("x", 5),
        lambda: mod.add_module("scale", nn_.Identity()),
        lambda: mod.add_module("a.b", nn_.Identity()),
        lambda: mod.add_module("", nn_.Identity()),
        lambda: nn_.Module(3),
        lambda: nn_.Module(a=3),
        lambda: nn_.Module()(1),
        lambda: mod.train("x"),
    ]


SETATTR_ERRORS = [
    ("TypeError",
     "cannot assign 'torch.FloatTensor' as parameter 'scale' (torch.nn.Parameter or None "
     "expected)"),
    ("TypeError", "cannot assign 'int' as parameter 'scale' (torch.nn.Parameter or None expected)"),
    ("TypeError", "cannot assign 'int' as child module 'child' (torch.nn.Module or None expected)"),
    ("TypeError",
     "cannot assign 'str' as buffer 'running' (torch.nn.Buffer, torch.Tensor or None expected)"),
    ("KeyError", "\"attribute 'scale' already exists\""),
    ("KeyError", "'parameter name can\\'t contain \".\"'"),
    ("KeyError", "'parameter name can\\'t be empty string \"\"'"),
    ("KeyError", "'buffer name can\\'t contain \".\"'"),
    ("KeyError", "'buffer name can\\'t be empty string \"\"'"),
    ("TypeError", "cannot assign 'int' object to buffer 'b' (torch Tensor or None required)"),
    ("TypeError", "buffer name should be a string. Got int"),
    ("TypeError",
     "cannot assign 'torch.FloatTensor' object to parameter 'c' (torch.nn.Parameter or None "
     "required)"),
    ("TypeError",  # an operation on a Parameter gives a plain Tensor
     "cannot assign 'torch.FloatTensor' object to parameter 'c' (torch.nn.Parameter or None "
     "required)"),
    ("TypeError", "int is not a Module subclass"),
    ("KeyError", "\"attribute 'scale' already exists\""),
    ("KeyError", "'module name can\\'t contain \".\", got: a.b'"),
    ("KeyError", "'module name can\\'t be empty string \"\"'"),
    ("TypeError", "Module.__init__() takes 1 positional argument but 2 were given"),
    ("TypeError", "Module.__init__() got an unexpected keyword argument 'a'"),
    ("NotImplementedError", 'Module [Module] is missing the required "forward" function'),
    ("ValueError", "training mode is expected to be boolean"),
]


@by_lib
def test_registration_errors(lib):
    got = [error_of(fn) for fn in _setattr_errors(lib)]
    assert got == SETATTR_ERRORS


@by_lib
def test_assignment_before_init(lib):
    errors = []

    class Early(lib.nn.Module):
        def __init__(self):
            self.plain = 1  # ordinary attributes are fine
            for fn in (lambda: setattr(self, "m", lib.nn.Identity()),
                       lambda: setattr(self, "p", lib.nn.Parameter(lib.zeros(1))),
                       lambda: self.register_buffer("b", None),
                       lambda: self.register_parameter("q", None),
                       lambda: setattr(self, "c", lib.nn.Buffer(lib.zeros(1)))):
                errors.append(error_of(fn))

    Early()
    assert errors == [
        ("AttributeError", "cannot assign module before Module.__init__() call"),
        ("AttributeError", "cannot assign parameters before Module.__init__() call"),
        ("AttributeError", "cannot assign buffer before Module.__init__() call"),
        ("AttributeError", "cannot assign parameter before Module.__init__() call"),
        ("AttributeError", "cannot assign buffer before Module.__init__() call"),
    ]


@by_lib
def test_get_submodule_parameter_buffer(lib):
    net = lib.nn.Sequential(make_block(lib))
    assert net.get_submodule("") is net
    assert net.get_submodule("0.inner.1") is net[0].inner[1]
    assert net.get_parameter("0.scale") is net[0].scale
    assert net.get_buffer("0.running") is net[0].running
    assert [error_of(f) for f in (lambda: net.get_submodule("0.nope"),
                                  lambda: net.get_submodule("0.scale"),
                                  lambda: net.get_parameter("0.nope"),
                                  lambda: net.get_parameter("0.running"),
                                  lambda: net.get_buffer("0.scale"))] == [
        ("AttributeError", "Block has no attribute `nope`"),
        ("AttributeError", "`scale` is not an nn.Module"),
        ("AttributeError", "Block has no attribute `nope`"),
        ("AttributeError", "`running` is not an nn.Parameter"),
        ("AttributeError", "`scale` is not a buffer"),
    ]
    net.set_submodule("0.inner.0", lib.nn.Flatten())
    assert type(net[0].inner[0]).__name__ == "Flatten"
    assert error_of(lambda: net.set_submodule("0.new", lib.nn.Identity(), strict=True)) == (
        "AttributeError", "Block has no attribute `new`")


@by_lib
def test_dir_lists_members(lib):
    block = make_block(lib)
    names = dir(block)
    assert {"scale", "running", "tmp", "inner", "forward", "training"} <= set(names)
    assert names == sorted(names)
    assert "0" not in dir(lib.nn.Sequential(lib.nn.Identity()))


# ---------------------------------------------------------------------------------------
# modes, gradients, conversions


@by_lib
def test_train_eval(lib):
    net = lib.nn.Sequential(make_block(lib), lib.nn.Identity())
    assert net.training and net[0].inner.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net[0].train()
    assert net[0].inner[1].training and not net.training
    net.train()
    assert all(m.training for m in net.modules())


@by_lib
def test_requires_grad_and_zero_grad(lib):
    net = lib.nn.Sequential(Scale.make(lib, 2.0), Scale.make(lib, 3.0))
    net(lib.tensor([1.0, 2.0])).sum().backward()
    assert [p.grad.tolist() for p in net.parameters()] == [[9.0], [6.0]]
    net.zero_grad(set_to_none=False)
    assert [p.grad.tolist() for p in net.parameters()] == [[0.0], [0.0]]
    net.zero_grad()
    assert [p.grad for p in net.parameters()] == [None, None]
    assert net.requires_grad_(False) is net
    assert [p.requires_grad for p in net.parameters()] == [False, False]
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())


@by_lib
def test_apply_visits_children_first(lib):
    names = []
    net = lib.nn.Sequential(make_block(lib), lib.nn.Identity())
    assert net.apply(lambda m: names.append(type(m).__name__)) is net
    assert names == ["Identity", "Flatten", "Sequential", "Block", "Identity", "Sequential"]


@by_lib
def test_dtype_conversions(lib):
    block = make_block(lib)
    block.register_buffer("steps", lib.tensor(3))
    scale = block.scale
    block.scale.grad = lib.ones(3)
    assert block.double() is block
    assert block.scale is scale  # the same Parameter object, new values
    assert (block.scale.dtype, block.scale.grad.dtype, block.running.dtype, block.steps.dtype) == (
        lib.float64, lib.float64, lib.float64, lib.int64)
    assert block.float().shift.dtype == lib.float32
    assert block.half().shift.dtype == lib.float16
    assert block.to(lib.float64).scale.dtype == lib.float64
    assert block.to(lib.zeros(1)).scale.dtype == lib.float32
    assert block.to("cpu", lib.float64).scale.dtype == lib.float64
    assert block.to(device="cpu", dtype=lib.float32).scale.dtype == lib.float32
    assert block.cpu() is block and block.to("cpu") is block
    assert block.steps.dtype == lib.int64 and block.scale.requires_grad
    assert block.type(lib.float64).steps.dtype == lib.float64  # type() converts every tensor
    assert error_of(lambda: block.to(lib.int64)) == (
        "TypeError", "nn.Module.to only accepts floating point or complex dtypes, but got "
                     "desired dtype=torch.int64")
    assert error_of(lambda: block.cuda())[0] == "AssertionError"


# ---------------------------------------------------------------------------------------
# state_dict and load_state_dict


@by_lib
def test_state_dict_tensors_are_detached(lib):
    block = make_block(lib)
    sd = block.state_dict()
    assert sd["scale"] is not block.scale and not sd["scale"].requires_grad
    assert type(sd["scale"]) is lib.Tensor
    sd["scale"].add_(1)  # shares memory with the parameter
    assert block.scale.tolist() == [2.0, 2.0, 2.0]
    kept = block.state_dict(keep_vars=True)
    assert kept["scale"] is block.scale and kept["running"] is block.running
    assert list(block.state_dict(prefix="pre.")) == ["pre.scale", "pre.shift", "pre.running"]


@by_lib
def test_load_state_dict_copies_in_place(lib):
    block = make_block(lib)
    scale = block.scale
    result = block.load_state_dict({"scale": lib.tensor([1.0, 2.0, 3.0]),
                                    "shift": lib.zeros(3), "running": lib.full((3,), 7.0)})
    assert repr(result) == str(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert block.scale is scale and scale.tolist() == [1.0, 2.0, 3.0]
    assert scale.is_leaf and scale.requires_grad and block.running.tolist() == [7.0] * 3
    block.load_state_dict({"scale": lib.tensor([5.0, 5.0, 5.0], dtype=lib.float64),
                           "shift": lib.zeros(3), "running": lib.zeros(3)})
    assert block.scale.dtype == lib.float32 and block.scale.tolist() == [5.0] * 3
    new = lib.tensor([8.0, 9.0, 1.0])
    block.load_state_dict({"scale": new, "shift": lib.zeros(3), "running": lib.zeros(3)},
                          assign=True)
    assert block.scale is not scale and type(block.scale) is lib.nn.Parameter
    assert block.scale.tolist() == [8.0, 9.0, 1.0] and block.scale.requires_grad


@by_lib
def test_load_state_dict_errors(lib):
    net = lib.nn.Sequential(OrderedDict([("block", make_block(lib)),
                                         ("head", Scale.make(lib, 1.0))]))
    sd = net.state_dict()
    sd.pop("head.k")
    sd["extra"] = lib.zeros(1)
    sd["block.scale"] = lib.zeros(5, 4)
    assert error_of(lambda: net.load_state_dict(sd)) == ("RuntimeError", (
        "Error(s) in loading state_dict for Sequential:\n"
        "\tMissing key(s) in state_dict: \"head.k\". \n"
        "\tUnexpected key(s) in state_dict: \"extra\". \n"
        "\tsize mismatch for block.scale: copying a param with shape torch.Size([5, 4]) from "
        "checkpoint, the shape in current model is torch.Size([3])."))
    result = net.load_state_dict({"head.k": lib.zeros(1), "junk.x": lib.ones(1)}, strict=False)
    assert repr(result) == ("_IncompatibleKeys(missing_keys=['block.scale', 'block.shift', "
                            "'block.running'], unexpected_keys=['junk.x'])")
    assert net.head.k.tolist() == [0.0]
    sd = net.state_dict()
    sd["block.shift"] = 3
    assert error_of(lambda: net.load_state_dict(sd)) == ("RuntimeError", (
        "Error(s) in loading state_dict for Sequential:\n\tWhile copying the parameter named "
        "\"block.shift\", expected torch.Tensor or Tensor-like object from checkpoint but "
        "received <class 'int'>"))
    assert error_of(lambda: net.load_state_dict([1])) == (
        "TypeError", "Expected state_dict to be dict-like, got <class 'list'>.")
    # size mismatch is reported even with strict=False
    sd = net.state_dict()
    sd["head.k"] = lib.zeros(2)
    assert error_of(lambda: net.load_state_dict(sd, strict=False))[1].endswith(
        "size mismatch for head.k: copying a param with shape torch.Size([2]) from checkpoint, "
        "the shape in current model is torch.Size([1]).")


@by_lib
def test_load_state_dict_scalar_and_extra_state(lib):
    s = lib.nn.Module()
    s.c = lib.nn.Parameter(lib.tensor(1.0))
    s.load_state_dict({"c": lib.tensor([3.0])})  # old checkpoints stored scalars as (1,)
    assert s.c.item() == 3.0

    class WithExtra(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.ones(1))
            self.note = "a"

        def get_extra_state(self):
            return {"note": self.note}

        def set_extra_state(self, state):
            self.note = state["note"]

    m = WithExtra()
    assert list(m.state_dict()) == ["w", "_extra_state"]
    m.load_state_dict({"w": lib.ones(1), "_extra_state": {"note": "b"}})
    assert m.note == "b"
    # as torch: a missing extra state is reported even with strict=False (no error though)
    assert m.load_state_dict({"w": lib.ones(1)}, strict=False).missing_keys == ["_extra_state"]
    assert error_of(lambda: m.load_state_dict({"w": lib.ones(1)}))[1].endswith(
        'Missing key(s) in state_dict: "_extra_state". ')


@by_lib
def test_state_dict_hooks(lib):
    block = make_block(lib)
    calls = []
    block.register_state_dict_pre_hook(lambda m, prefix, keep: calls.append(("pre", prefix)))

    def drop_shift(module, sd, prefix, metadata):
        del sd[prefix + "shift"]

    block.register_state_dict_post_hook(drop_shift)
    block.register_load_state_dict_post_hook(lambda m, keys: calls.append(list(keys)))
    sd = block.state_dict()
    assert list(sd) == ["scale", "running"] and calls == [("pre", "")]
    block.load_state_dict(sd, strict=False)
    assert calls[-1] == [["shift"], []]


# ---------------------------------------------------------------------------------------
# deepcopy and pickle


@by_lib
def test_deepcopy_and_pickle_modules(lib):
    net = lib.nn.Sequential(make_block(lib), Scale.make(lib, 2.0))
    net[1].k.grad = lib.ones(1)
    net.register_forward_hook(lambda m, a, out: out)
    twin = copy.deepcopy(net)
    assert twin[1].k is not net[1].k and type(twin[1].k) is lib.nn.Parameter
    assert twin[1].k.grad is None and len(twin._forward_hooks) == 1
    assert repr(twin) == repr(net)
    twin[1].k.data.mul_(5)
    assert net[1].k.tolist() == [2.0]


class PickleMe(nn.Module):
    """Module-level (picklable) torchlet module."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torchlet.tensor([1.0, 2.0]))
        self.register_buffer("tmp", torchlet.ones(2), persistent=False)
        self.body = nn.Sequential(nn.Identity(), nn.Flatten(0))

    def forward(self, x):
        return self.body(x) * self.w


def _noop_hook(module, args):
    return None


def test_pickle_module():
    m = PickleMe()
    m.register_forward_pre_hook(_noop_hook)
    loaded = pickle.loads(pickle.dumps(m))
    x = torchlet.ones(2)
    assert torchlet.equal(loaded(torchlet.ones(2)), m(x)) and loaded.w is not m.w
    assert loaded._non_persistent_buffers_set == {"tmp"} and len(loaded._forward_pre_hooks) == 1
    assert list(loaded.state_dict()) == ["w"] and type(loaded.w) is nn.Parameter
    assert repr(loaded) == repr(m)


# ---------------------------------------------------------------------------------------
# hooks


@by_lib
def test_forward_and_backward_hooks(lib):
    log = []
    net = lib.nn.Sequential(Scale.make(lib, 2.0), Scale.make(lib, 3.0))

    def pre(mod, args):
        log.append(("pre", len(args)))

    def fwd(mod, args, out):
        log.append("fwd")
        return out + 1

    def bwd(mod, gin, gout):
        log.append(("bwd", [g.tolist() for g in gin], [g.tolist() for g in gout]))

    def bwd_pre(mod, gout):
        log.append(("bwd_pre", [g.tolist() for g in gout]))

    handles = [net[0].register_forward_pre_hook(pre), net[0].register_forward_hook(fwd),
               net[1].register_full_backward_hook(bwd),
               net[1].register_full_backward_pre_hook(bwd_pre),
               net.register_forward_hook(lambda m, a, kw, o: log.append(("kw", kw)),
                                         with_kwargs=True)]
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = net(x)
    assert y.tolist() == [9.0, 15.0] and y.grad_fn.name() == "BackwardHookFunctionBackward"
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    assert net[0].k.grad.tolist() == [9.0] and net[1].k.grad.tolist() == [8.0]
    assert log == [("pre", 1), "fwd", ("kw", {}), ("bwd_pre", [[1.0, 1.0]]),
                   ("bwd", [[3.0, 3.0]], [[1.0, 1.0]])]
    for h in handles:
        h.remove()
    log.clear()
    y = net(x)
    assert y.grad_fn.name() == "MulBackward0" and log == []


@by_lib
def test_backward_hook_can_replace_gradients(lib):
    s = Scale.make(lib, 5.0)
    s.register_full_backward_hook(lambda mod, gin, gout: (gin[0] * 10,))
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    s(x).sum().backward()
    assert x.grad.tolist() == [50.0, 50.0] and s.k.grad.tolist() == [3.0]
    t = Scale.make(lib, 5.0)
    t.register_full_backward_pre_hook(lambda mod, gout: (gout[0] * 2,))
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    t(x).sum().backward()
    assert x.grad.tolist() == [10.0, 10.0] and t.k.grad.tolist() == [6.0]


@by_lib
def test_backward_hook_with_tuples_and_no_input_grad(lib):
    log = []

    def bwd(mod, gin, gout):
        log.append(([None if g is None else g.tolist() for g in gin], [g.tolist() for g in gout]))

    s = Scale.make(lib, 2.0)
    s.register_full_backward_hook(bwd)
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0], requires_grad=True)
    o1, o2 = s(a, b)
    (o1.sum() + o2.sum() * 3).backward()
    assert log == [([[2.0, 2.0], [6.0]], [[1.0, 1.0], [3.0]])]
    assert a.grad.tolist() == [2.0, 2.0] and b.grad.tolist() == [6.0]
    log.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s(lib.tensor([1.0, 1.0])).sum().backward()
    assert log == [([None], [[1.0, 1.0]])] and len(caught) == 1
    assert "Full backward hook is firing" in str(caught[0].message)


@by_lib
def test_forward_pre_hooks_replace_arguments(lib):
    s = Scale.make(lib, 2.0)
    s.register_forward_pre_hook(lambda mod, args: args[0] * 0 + 7)
    assert s(lib.tensor([1.0])).tolist() == [14.0]
    s.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] + 1,), kwargs),
                                with_kwargs=True, prepend=True)
    assert s(lib.tensor([1.0])).tolist() == [14.0]
    order = []
    s2 = Scale.make(lib, 1.0)
    s2.register_forward_hook(lambda m, a, o: order.append(1))
    s2.register_forward_hook(lambda m, a, o: order.append(2), prepend=True)
    with s2.register_forward_hook(lambda m, a, o: order.append(3)):
        s2(lib.ones(1))
    s2(lib.ones(1))
    assert order == [2, 1, 3, 2, 1]


@by_lib
def test_always_call_hook_runs_when_forward_raises(lib):
    calls = []

    class Broken(lib.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    b = Broken()
    b.register_forward_hook(lambda m, a, o: calls.append(o), always_call=True)
    b.register_forward_hook(lambda m, a, o: calls.append("never"))
    with pytest.raises(ValueError, match="boom"):
        b(lib.ones(1))
    assert calls == [None]


def test_global_hooks():
    from torchlet.nn.modules import module as module_file

    log = []
    handles = [module_file.register_module_forward_pre_hook(
                   lambda m, a: log.append(("pre", type(m).__name__))),
               module_file.register_module_forward_hook(
                   lambda m, a, o: log.append(("fwd", type(m).__name__)))]
    try:
        nn.Sequential(nn.Identity())(torchlet.ones(1))
    finally:
        for h in handles:
            h.remove()
    assert log == [("pre", "Sequential"), ("pre", "Identity"), ("fwd", "Identity"),
                   ("fwd", "Sequential")]
    nn.Identity()(torchlet.ones(1))
    assert len(log) == 4


# ---------------------------------------------------------------------------------------
# repr


@by_lib
def test_nested_repr(lib):
    nn_ = lib.nn
    net = nn_.Sequential(OrderedDict([
        ("block", make_block(lib)),
        ("head", nn_.Flatten(0, 2)),
        ("un", nn_.Unflatten(1, (2, 1))),
        ("list", nn_.ModuleList([nn_.Identity(), nn_.Identity(), nn_.Flatten()])),
        ("dict", nn_.ModuleDict({"b": nn_.Identity(), "a": nn_.Sequential()})),
    ]))
    assert repr(net) == """Sequential(
  (block): Block(
    (inner): Sequential(
      (0): Identity()
      (1): Flatten(start_dim=1, end_dim=-1)
    )
  )
  (head): Flatten(start_dim=0, end_dim=2)
  (un): Unflatten(dim=1, unflattened_size=(2, 1))
  (list): ModuleList(
    (0-1): 2 x Identity()
    (2): Flatten(start_dim=1, end_dim=-1)
  )
  (dict): ModuleDict(
    (b): Identity()
    (a): Sequential()
  )
)"""
    assert repr(nn_.ModuleList()) == "ModuleList()" and repr(nn_.Sequential()) == "Sequential()"


@by_lib
def test_parameter_container_reprs(lib):
    nn_ = lib.nn
    plist = nn_.ParameterList([nn_.Parameter(lib.zeros(2, 3)), lib.ones(4, dtype=lib.float64)])
    assert repr(plist) == ("ParameterList(\n"
                           "    (0): Parameter containing: [torch.float32 of size 2x3]\n"
                           "    (1): Parameter containing: [torch.float64 of size 4]\n)")
    pdict = nn_.ParameterDict({"b": nn_.Parameter(lib.zeros(2, 3)),
                               "a": lib.ones(4, dtype=lib.float64)})
    assert repr(pdict) == ("ParameterDict(\n"
                           "    (a): Parameter containing: [torch.DoubleTensor of size 4]\n"
                           "    (b): Parameter containing: [torch.FloatTensor of size 2x3]\n)")


class Custom:
    """A user-defined module with a multi-line extra_repr."""

    @staticmethod
    def make(lib):
        class Custom(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.body = lib.nn.Identity()

            def extra_repr(self):
                return "alpha=1,\nbeta=2"

        return Custom()


@by_lib
def test_extra_repr_with_children(lib):
    assert repr(lib.nn.Sequential(Custom.make(lib))) == (
        "Sequential(\n  (0): Custom(\n    alpha=1,\n    beta=2\n    (body): Identity()\n  )\n)")


# ---------------------------------------------------------------------------------------
# containers


@by_lib
def test_sequential_operations(lib):
    nn_ = lib.nn
    a, b, c = nn_.Identity(), nn_.Flatten(), nn_.Unflatten(0, (1, -1))
    s = nn_.Sequential(a, b, c)
    assert len(s) == 3 and list(s) == [a, b, c] and s[0] is a and s[-1] is c
    assert type(s[1:]) is nn_.Sequential and list(s[1:]) == [b, c]
    assert list(s[::-1]._modules) == ["2", "1", "0"]  # slices keep their names
    assert error_of(lambda: s[3]) == ("IndexError", "index 3 is out of range")
    assert error_of(lambda: s[-4]) == ("IndexError", "index -4 is out of range")
    del s[0]
    assert list(s._modules) == ["0", "1"] and list(s) == [b, c]
    s.insert(0, a)
    s.append(nn_.Identity())
    assert len(s) == 4 and s[0] is a and s.pop(-1).__class__.__name__ == "Identity"
    s[1] = nn_.Identity()
    assert type(s[1]).__name__ == "Identity"
    s.extend([nn_.Flatten()])
    assert len(s) == 4
    t = s + nn_.Sequential(nn_.Identity())
    assert len(t) == 5 and t[0] is a
    assert error_of(lambda: s + 1) == (
        "ValueError", "add operator supports only objects of Sequential class, but "
                      "<class 'int'> is given.")
    assert len(s * 2) == 8 and len(2 * s) == 8
    s += nn_.Sequential(nn_.Identity())
    assert len(s) == 5
    del s[1:3]
    assert list(s._modules) == ["0", "1", "2"]
    od = nn_.Sequential(OrderedDict([("first", a), ("second", b)]))
    assert list(od._modules) == ["first", "second"] and od.first is a
    x = lib.ones(2, 3, 4)
    assert nn_.Sequential(nn_.Flatten(), nn_.Unflatten(1, (3, 4)))(x).shape == (2, 3, 4)
    assert error_of(lambda: s.insert(9, a)) == ("IndexError", "Index out of range: 9")


@by_lib
def test_module_list_and_dict(lib):
    nn_ = lib.nn
    ml = nn_.ModuleList([nn_.Identity(), nn_.Flatten()])
    ml.insert(1, Scale.make(lib, 1.0))
    assert [type(m).__name__ for m in ml] == ["Identity", "Scale", "Flatten"]
    assert type(ml[1:]) is nn_.ModuleList and len(ml[1:]) == 2 and ml[-1] is ml[2]
    del ml[0]
    assert list(ml._modules) == ["0", "1"]
    ml += [nn_.Identity()]
    ml.append(nn_.Identity()).extend([nn_.Identity()])
    assert len(ml) == 5 and [n for n, _ in ml.named_parameters()] == ["0.k"]
    assert type(ml.pop(0)).__name__ == "Scale" and len(ml) == 4
    assert len(ml + nn_.ModuleList([nn_.Identity()])) == 5
    assert error_of(lambda: ml.extend(3)) == (
        "TypeError", "ModuleList.extend should be called with an iterable, but got int")
    md = nn_.ModuleDict([("x", nn_.Identity()), ("y", nn_.Flatten())])
    md["z"] = nn_.Identity()
    assert list(md) == ["x", "y", "z"] and list(md.keys()) == ["x", "y", "z"] and "x" in md
    assert type(md.pop("x")).__name__ == "Identity" and list(md) == ["y", "z"] and len(md) == 2
    md.update({"w": nn_.Identity()})
    assert [k for k, _ in md.items()] == ["y", "z", "w"] and len(list(md.values())) == 3
    md.clear()
    assert len(md) == 0


@by_lib
def test_parameter_list_and_dict(lib):
    nn_ = lib.nn
    pl = nn_.ParameterList([lib.ones(1), nn_.Parameter(lib.zeros(2))])
    pl.append(lib.ones(3))
    assert len(pl) == 3 and all(type(p) is nn_.Parameter for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert pl[-1].shape == (3,) and len(pl[1:]) == 2
    pl[0] = lib.zeros(4)
    assert pl[0].shape == (4,) and type(pl[0]) is nn_.Parameter
    assert error_of(lambda: pl(1)) == ("RuntimeError", "ParameterList should not be called.")
    pd = nn_.ParameterDict({"z": lib.ones(1), "a": lib.zeros(2)})  # dicts are sorted
    pd["m"] = lib.ones(3)
    assert list(pd.keys()) == ["a", "z", "m"] and [n for n, _ in pd.named_parameters()] == [
        "a", "z", "m"]
    assert "a" in pd and len(pd) == 3 and pd.pop("a").shape == (2,) and list(pd) == ["z", "m"]
    assert pd.get("nope") is None and pd.get("z").shape == (1,)
    assert list(nn_.ParameterDict(OrderedDict([("z", lib.ones(1)), ("a", lib.ones(1))]))) == [
        "z", "a"]
    merged = pd | nn_.ParameterDict({"q": lib.ones(1)})
    assert list(merged) == ["z", "m", "q"]
    assert error_of(lambda: pd(1)) == ("RuntimeError", "ParameterDict should not be called.")


@by_lib
def test_flatten_unflatten_identity(lib):
    nn_ = lib.nn
    x = lib.zeros(2, 3, 4)
    assert nn_.Flatten()(x).shape == (2, 12) and nn_.Flatten(0, -1)(x).shape == (24,)
    assert nn_.Unflatten(1, (3, 4))(lib.zeros(2, 12)).shape == (2, 3, 4)
    assert nn_.Unflatten(-1, [2, -1])(lib.zeros(2, 12)).shape == (2, 2, 6)
    assert nn_.Identity(3, foo=4)(x) is x
    assert error_of(lambda: nn_.Unflatten(1, 3)) == (
        "TypeError", "unflattened_size must be a tuple of ints, but found type int")
    assert error_of(lambda: nn_.Unflatten(1, (3, 2.0))) == (
        "TypeError", "unflattened_size must be tuple of ints, but found element of type float "
                     "at pos 1")
    y = lib.arange(6.0, requires_grad=True)
    out = nn_.Unflatten(0, (2, 3))(y)
    assert out.grad_fn.name() == "ViewBackward0"


# ---------------------------------------------------------------------------------------
# Linear, Bilinear, LazyLinear


def _copy_params(src, dst):
    """Load a torch module's parameters into a torchlet module."""
    dst.load_state_dict({k: torchlet.tensor(v.detach().numpy().copy())
                         for k, v in src.state_dict().items()})


@needs_rng
def test_linear_construction_and_repr():
    layer = nn.Linear(784, 128)
    assert repr(layer) == "Linear(in_features=784, out_features=128, bias=True)"
    assert layer.weight.shape == (128, 784) and layer.bias.shape == (128,)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    plain = nn.Linear(3, 2, bias=False, dtype=torchlet.float64)
    assert repr(plain) == "Linear(in_features=3, out_features=2, bias=False)"
    assert plain.bias is None and plain.weight.dtype == torchlet.float64
    assert list(plain.state_dict()) == ["weight"]
    model = nn.Sequential(nn.Linear(784, 128), nn.Identity(), nn.Linear(128, 10))
    assert repr(model) == (
        "Sequential(\n  (0): Linear(in_features=784, out_features=128, bias=True)\n"
        "  (1): Identity()\n  (2): Linear(in_features=128, out_features=10, bias=True)\n)")
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert repr(nn.Bilinear(2, 3, 4)) == (
        "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)")
    assert repr(nn.LazyLinear(5)) == "LazyLinear(in_features=0, out_features=5, bias=True)"
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        empty_in = nn.Linear(0, 3)
    assert empty_in.bias.tolist() == [0.0, 0.0, 0.0]  # bound 0 when fan_in == 0


LINEAR_CASES = [  # input shape, bias, contiguous, torch's graph (node, its next nodes)
    ((4, 3), True, True, ["AddmmBackward0"]),
    ((4, 3), False, True, ["MmBackward0"]),
    ((2, 4, 3), True, True, ["ViewBackward0", "AddmmBackward0"]),
    ((2, 4, 3), True, False, ["AddBackward0", "UnsafeViewBackward0"]),
    ((3,), True, True, ["ViewBackward0", "AddmmBackward0"]),
    ((3,), False, True, ["SqueezeBackward4", "MmBackward0"]),
    ((2, 4, 3), False, True, ["UnsafeViewBackward0", "MmBackward0"]),
    ((5, 2, 4, 3), True, True, ["ViewBackward0", "AddmmBackward0"]),
    ((0, 3), True, True, ["AddmmBackward0"]),
]


def _linear_run(lib, xn, wn, bn, contiguous, grad_out):
    x = lib.tensor(xn)
    if not contiguous:
        x = lib.tensor(np.ascontiguousarray(np.swapaxes(xn, 0, 1))).transpose(0, 1)
    x.requires_grad_(True)
    w = lib.tensor(wn, requires_grad=True)
    b = None if bn is None else lib.tensor(bn, requires_grad=True)
    y = (torchlet.nn.functional if lib is torchlet else torch.nn.functional).linear(x, w, b)
    # torchlet folds the weight's transpose into its AddmmBackward0 / MmBackward0 node
    # (one node less to run); torch records a TBackward0 before the weight's AccumulateGrad.
    graph = [y.grad_fn.name()] + [n.name() for n, _ in y.grad_fn.next_functions
                                  if n is not None and "AccumulateGrad" not in n.name()
                                  and n.name() != "TBackward0"][:1]
    y.backward(lib.tensor(grad_out))
    grads = [x.grad.numpy(), w.grad.numpy(), None if b is None else b.grad.numpy()]
    return y.detach().numpy(), grads, graph


@pytest.mark.parametrize("shape, bias, contiguous, graph", LINEAR_CASES)
def test_linear_function_values_grads_and_graph(shape, bias, contiguous, graph):
    rng = np.random.default_rng(len(shape) * 10 + bias)
    xn = rng.standard_normal(shape).astype(np.float32)
    wn = rng.standard_normal((2, 3)).astype(np.float32)
    bn = rng.standard_normal(2).astype(np.float32) if bias else None
    grad_out = rng.standard_normal(shape[:-1] + (2,)).astype(np.float32)
    y, grads, got_graph = _linear_run(torchlet, xn, wn, bn, contiguous, grad_out)
    assert got_graph == graph and y.dtype == np.float32
    reference = xn.astype(np.float64) @ wn.T + (0 if bn is None else bn)
    np.testing.assert_allclose(y, reference, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grads[0], grad_out.astype(np.float64) @ wn, rtol=1e-5, atol=1e-5)
    flat_g, flat_x = grad_out.reshape(-1, 2).astype(np.float64), xn.reshape(-1, 3)
    np.testing.assert_allclose(grads[1], flat_g.T @ flat_x, rtol=1e-5, atol=1e-5)
    if bias:
        np.testing.assert_allclose(grads[2], flat_g.sum(0), rtol=1e-5, atol=1e-5)
    if torch is not None:
        ty, tgrads, tgraph = _linear_run(torch, xn, wn, bn, contiguous, grad_out)
        assert tgraph == graph
        np.testing.assert_allclose(y, ty, rtol=1e-6, atol=1e-6)
        for got, want in zip(grads, tgrads, strict=True):
            if want is not None:
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("batch", [1, 16, 64, 65])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_small_batch_wide_layer(batch, bias):
    # batches up to 64 into 128+ outputs take the swapped product (W @ x.T).T (faster
    # with OpenBLAS); the result is laid out in rows like torch's, so .view works
    rng = np.random.default_rng(batch)
    xn = rng.standard_normal((batch, 40)).astype(np.float32)
    wn = rng.standard_normal((130, 40)).astype(np.float32)
    bn = rng.standard_normal(130).astype(np.float32) if bias else None
    x = torchlet.tensor(xn, requires_grad=True)
    y = torchlet.nn.functional.linear(x, torchlet.tensor(wn),
                                      None if bn is None else torchlet.tensor(bn))
    assert y.is_contiguous() and y._data.flags.c_contiguous
    assert y.view(-1).shape == (batch * 130,)
    reference = xn.astype(np.float64) @ wn.T.astype(np.float64) + (0 if bn is None else bn)
    np.testing.assert_allclose(y.detach().numpy(), reference, rtol=1e-5, atol=1e-5)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(wn.sum(0), xn.shape),
                               rtol=1e-5, atol=1e-5)


def test_matmul_with_a_transposed_weight_small_batch():
    # x @ w.t() takes the same swapped product as F.linear; the result is laid out in rows
    rng = np.random.default_rng(4)
    xn = rng.standard_normal((16, 40)).astype(np.float32)
    wn = rng.standard_normal((130, 40)).astype(np.float32)
    x = torchlet.tensor(xn, requires_grad=True)
    w = torchlet.tensor(wn, requires_grad=True)
    y = x @ w.t()
    assert y.is_contiguous() and y._data.flags.c_contiguous
    np.testing.assert_allclose(y.detach().numpy(), xn.astype(np.float64) @ wn.T,
                               rtol=1e-5, atol=1e-5)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(wn.sum(0), xn.shape),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), np.broadcast_to(xn.sum(0), wn.shape),
                               rtol=1e-5, atol=1e-5)


LINEAR_ERRORS = [
    (lambda L: L.nn.functional.linear(L.zeros(4, 5), L.zeros(2, 3), L.zeros(2)),
     "RuntimeError", "mat1 and mat2 shapes cannot be multiplied (4x5 and 3x2)"),
    (lambda L: L.nn.functional.linear(L.zeros(4, 5), L.zeros(2, 3)),
     "RuntimeError", "mat1 and mat2 shapes cannot be multiplied (4x5 and 3x2)"),
    (lambda L: L.nn.functional.linear(L.zeros(2, 4, 5), L.zeros(2, 3), L.zeros(2)),
     "RuntimeError", "mat1 and mat2 shapes cannot be multiplied (8x5 and 3x2)"),
    (lambda L: L.nn.functional.linear(L.zeros(5), L.zeros(2, 3), L.zeros(2)),
     "RuntimeError", "mat1 and mat2 shapes cannot be multiplied (1x5 and 3x2)"),
    (lambda L: L.nn.functional.linear(L.zeros(()), L.zeros(2, 3)),
     "RuntimeError", "both arguments to linear need to be at least 1D, but they are 0D and 2D"),
    (lambda L: L.nn.functional.linear(L.zeros(4, 3, dtype=L.float64), L.zeros(2, 3), L.zeros(2)),
     "RuntimeError", "mat1 and mat2 must have the same dtype, but got Double and Float"),
    (lambda L: L.nn.functional.linear(L.zeros(4, 3, dtype=L.int64), L.zeros(2, 3), L.zeros(2)),
     "RuntimeError", "mat1 and mat2 must have the same dtype, but got Long and Float"),
    (lambda L: L.nn.functional.linear(L.zeros(4, 3, dtype=L.float64), L.zeros(2, 3)),
     "RuntimeError", "expected m1 and m2 to have the same dtype, but got: double != float"),
    (lambda L: L.nn.functional.linear([1.0], L.zeros(2, 3)),
     "TypeError", "linear(): argument 'input' (position 1) must be Tensor, not list"),
    (lambda L: L.nn.functional.bilinear(L.zeros(4, 2), L.zeros(4, 3),
                                        L.zeros(5, 2, 3, dtype=L.float64)),
     "RuntimeError",
     "All tensors must have the same dtype, got input1: float, input2: float, weight: double"),
    (lambda L: L.nn.functional.bilinear(L.zeros(4, 2), L.zeros(4, 3), L.zeros(5, 2, 4)),
     "RuntimeError", "bilinear(): input2 size does not match weight size: got 3 but expected 4"),
    (lambda L: L.nn.functional.bilinear(L.zeros(4, 3), L.zeros(4, 3), L.zeros(5, 2, 3)),
     "RuntimeError", "bilinear(): input1 size does not match weight size: got 3 but expected 2"),
    (lambda L: L.nn.functional.bilinear(L.zeros(4, 2), L.zeros(4, 3), L.zeros(5, 2, 3),
                                        L.zeros(4)),
     "RuntimeError", "bilinear(): bias size does not match weight size: got 4 but expected 5"),
    (lambda L: L.nn.functional.bilinear(L.zeros(4, 2), L.zeros(1, 4, 3), L.zeros(5, 2, 3)),
     "RuntimeError", "bilinear(): input dimensions do not match: got 2 and 3"),
    (lambda L: L.nn.functional.bilinear(L.zeros(5, 2), L.zeros(4, 3), L.zeros(5, 2, 3)),
     "RuntimeError", "bilinear(): input batch dimensions do not match at dim 0: got 5 and 4"),
]


@by_lib
@pytest.mark.parametrize("fn, kind, message", LINEAR_ERRORS)
def test_linear_and_bilinear_errors(lib, fn, kind, message):
    if lib is torch:
        importlib.import_module("torch.nn.functional")  # make L.nn.functional available
    assert error_of(lambda: fn(lib)) == (kind, message)


@needs_rng
def test_linear_module_matches_torch_and_gradcheck():
    layer = nn.Linear(3, 2, dtype=torchlet.float64)
    x = torchlet.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    assert torchlet.autograd.gradcheck(lambda x, w, b: layer(x), (x, layer.weight, layer.bias))
    assert torchlet.autograd.gradgradcheck(lambda x, w, b: F.linear(x, w, b),
                                           (x, layer.weight, layer.bias))
    assert torchlet.autograd.gradgradcheck(lambda x, w: F.linear(x, w), (x, layer.weight))
    assert error_of(lambda: nn.Linear(3, 2)(torchlet.zeros(4, 5))) == (
        "RuntimeError", "mat1 and mat2 shapes cannot be multiplied (4x5 and 3x2)")
    if torch is None:
        return
    ref = torch.nn.Linear(5, 3)
    mine = nn.Linear(5, 3)
    _copy_params(ref, mine)
    xn = np.random.default_rng(1).standard_normal((6, 5)).astype(np.float32)
    np.testing.assert_allclose(mine(torchlet.tensor(xn))._data,
                               ref(torch.tensor(xn)).detach().numpy(), rtol=1e-6, atol=1e-6)


def _bilinear_run(lib, arrays, bias):
    x1, x2, w, b = (lib.tensor(a, requires_grad=True) for a in arrays)
    fn = (torchlet.nn.functional if lib is torchlet else torch.nn.functional).bilinear
    y = fn(x1, x2, w, b if bias else None)
    y.backward(lib.ones(y.shape))
    graph = [y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()]
    return [y.detach().numpy(), x1.grad.numpy(), x2.grad.numpy(), w.grad.numpy()], graph


@pytest.mark.parametrize("batch, bias", [((3, 4), True), ((6,), False), ((), True)])
def test_bilinear_function(batch, bias):
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(batch + (2,)).astype(np.float32),
              rng.standard_normal(batch + (3,)).astype(np.float32),
              rng.standard_normal((5, 2, 3)).astype(np.float32),
              rng.standard_normal(5).astype(np.float32)]
    got, graph = _bilinear_run(torchlet, arrays, bias)
    x1, x2, w, b = (a.astype(np.float64) for a in arrays)
    want = np.einsum("...i,oij,...j->...o", x1, w, x2) + (b if bias else 0)
    np.testing.assert_allclose(got[0], want, rtol=1e-5, atol=1e-5)
    assert graph == (["AddBackward0", "ViewBackward0"] if bias else
                     ["ViewBackward0", "TrilinearBackward0"])
    if torch is not None:
        ref, ref_graph = _bilinear_run(torch, arrays, bias)
        assert ref_graph == graph
        for a, r in zip(got, ref, strict=True):
            np.testing.assert_allclose(a, r, rtol=1e-5, atol=1e-5)
    args = [torchlet.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    assert torchlet.autograd.gradcheck(F.bilinear, tuple(args))


@needs_rng
def test_bilinear_module():
    layer = nn.Bilinear(2, 3, 4)
    assert layer(torchlet.ones(5, 2), torchlet.ones(5, 3)).shape == (5, 4)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.shape == (4, 2, 3)
    bound = 1 / np.sqrt(2)
    assert np.abs(layer.weight._data).max() <= bound and np.abs(layer.bias._data).max() <= bound
    assert error_of(lambda: nn.Bilinear(0, 2, 3)) == (
        "ValueError", "in1_features must be > 0, but got (in1_features=0)")


@needs_rng
def test_lazy_linear():
    layer = nn.LazyLinear(3)
    assert layer.has_uninitialized_params() and repr(layer.weight) == "<UninitializedParameter>"
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert error_of(lambda: layer.weight.shape)[1].startswith(
        "Can't access the shape of an uninitialized parameter or buffer.")
    out = layer(torchlet.ones(4, 5))
    assert type(layer) is nn.Linear and out.shape == (4, 3)
    assert repr(layer) == "Linear(in_features=5, out_features=3, bias=True)"
    assert type(layer.weight) is nn.Parameter and layer.weight.shape == (3, 5)
    assert len(layer._forward_pre_hooks) == 0 and len(layer._load_state_dict_pre_hooks) == 0
    loaded = nn.LazyLinear(3, bias=False)
    loaded.load_state_dict({"weight": torchlet.zeros(3, 6)})
    assert loaded.weight.shape == (3, 6) and loaded.weight.tolist()[0] == [0.0] * 6
    loaded(torchlet.ones(2, 6))
    assert repr(loaded) == "Linear(in_features=6, out_features=3, bias=False)"
    if torch is not None:
        torch.manual_seed(7)
        ref = torch.nn.LazyLinear(4)
        ref(torch.ones(1, 3))
        torchlet.manual_seed(7)
        mine = nn.LazyLinear(4)
        mine(torchlet.ones(1, 3))
        np.testing.assert_array_equal(mine.weight._data, ref.weight.detach().numpy())
        np.testing.assert_array_equal(mine.bias._data, ref.bias.detach().numpy())


@needs_rng
@needs_torch
def test_mlp_training_steps_match_torch():
    """Same weights, same data: three SGD steps give torch's losses and weights."""
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Linear(20, 16), lib.nn.Flatten(),
                                 lib.nn.Linear(16, 4))

    mine, ref = build(torchlet), build(torch)
    for p, q in zip(mine.parameters(), ref.parameters(), strict=True):
        np.testing.assert_array_equal(p._data, q.detach().numpy())  # same seed, same draws
    rng = np.random.default_rng(0)
    xn = rng.standard_normal((8, 20)).astype(np.float32)
    losses = {}
    for lib, model in ((torchlet, mine), (torch, ref)):
        x = lib.tensor(xn)
        losses[lib] = []
        for _ in range(3):
            loss = model(x).relu().square().mean()
            model.zero_grad()
            loss.backward()
            with lib.no_grad():
                for p in model.parameters():
                    p.sub_(0.1 * p.grad)
            losses[lib].append(loss.item())
    np.testing.assert_allclose(losses[torchlet], losses[torch], rtol=1e-5)
    for p, q in zip(mine.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(p._data, q.detach().numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------
# nn.utils


def _params_with_grads(lib):
    rng = np.random.default_rng(0)
    params = []
    for shape in [(5, 4), (4,), (2, 3, 3)]:
        g = rng.standard_normal(shape).astype(np.float32) * 3
        p = lib.nn.Parameter(lib.tensor(g))
        p.grad = lib.tensor(g * 1.5)
        params.append(p)
    params.append(lib.nn.Parameter(lib.ones(2)))  # no gradient: skipped
    return params


def _reference_norm(params, norm_type):
    values = np.concatenate([p.grad.numpy().astype(np.float64).ravel() for p in params[:3]])
    if norm_type == float("inf"):
        return np.abs(values).max()
    return (np.abs(values) ** norm_type).sum() ** (1 / norm_type)


@by_lib
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), 0.5])
@pytest.mark.parametrize("max_norm", [1.0, 1e4])
def test_clip_grad_norm(lib, norm_type, max_norm):
    import_utils(lib)
    params = _params_with_grads(lib)
    before = [p.grad.numpy().copy() for p in params[:3]]
    expected_norm = _reference_norm(params, norm_type)
    total = lib.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert total.dtype == lib.float32 and total.dim() == 0
    np.testing.assert_allclose(total.item(), expected_norm, rtol=1e-5)
    coef = min(max_norm / (np.float32(total.item()) + np.float32(1e-6)), 1.0)
    for p, g in zip(params[:3], before, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-6)
    assert params[3].grad is None


@needs_torch
@pytest.mark.parametrize("norm_type", [2.0, 3.5, float("inf")])
def test_clip_grad_norm_bit_exact_with_torch(norm_type):
    import_utils(torch)
    ours, theirs = _params_with_grads(torchlet), _params_with_grads(torch)
    a = torchlet.nn.utils.clip_grad_norm_(ours, 1.0, norm_type)
    b = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    assert a.item() == b.item()
    for p, q in zip(ours[:3], theirs[:3], strict=True):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def import_utils(lib):
    if lib is torch:
        importlib.import_module("torch.nn.utils")


@by_lib
def test_clip_grad_misc(lib):
    import_utils(lib)
    params = _params_with_grads(lib)
    lib.nn.utils.clip_grad_value_(params, 0.5)
    assert [float(p.grad.abs().max()) for p in params[:3]] == [0.5, 0.5, 0.5]
    single = _params_with_grads(lib)[0]
    assert abs(lib.nn.utils.clip_grad_norm_(single, 1.0).item() - 17.515856) < 1e-4
    assert lib.nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib.nn.utils.clip_grad_norm_((p for p in []), 1.0)
    assert [str(w.message) for w in caught] == [
        "`parameters` is an empty generator, no gradient clipping will occur."]
    params = _params_with_grads(lib)
    params[0].grad[0, 0] = float("nan")
    assert error_of(lambda: lib.nn.utils.clip_grad_norm_(params, 1.0,
                                                         error_if_nonfinite=True)) == (
        "RuntimeError", "The total norm of order 2.0 for gradients from `parameters` is "
        "non-finite, so it cannot be clipped. To disable this error and scale the gradients by "
        "the non-finite norm anyway, set `error_if_nonfinite=False`")
    params = _params_with_grads(lib)
    total = lib.nn.utils.clip_grad_norm_(params, 1.0, foreach=True)
    assert abs(total.item() - 24.152008) < 1e-4


@by_lib
def test_parameters_to_vector_and_back(lib):
    import_utils(lib)
    params = _params_with_grads(lib)
    vec = lib.nn.utils.parameters_to_vector(params)
    assert vec.shape == (44,) and vec.grad_fn.name() == "CatBackward0"
    np.testing.assert_array_equal(vec.detach().numpy()[:20], params[0].detach().numpy().ravel())
    lib.nn.utils.vector_to_parameters(vec.detach() * 2, params)
    assert type(params[1]) is lib.nn.Parameter and params[1].is_leaf and params[1].requires_grad
    np.testing.assert_array_equal(params[3].detach().numpy(), [2.0, 2.0])
    assert error_of(lambda: lib.nn.utils.vector_to_parameters([1.0], params)) == (
        "TypeError", "expected torch.Tensor, but got: list")
