"""In-place ops' saved clone of self, activations' saved attributes, sort's ``stable``
overload (compared with torch live where it is installed, and with hand-derived answers)."""

import numpy as np
import pytest

import torchlet

F = torchlet.nn.functional


def _graph_names(fn):
    """Every node name reachable from ``fn``."""
    seen, stack, names = set(), [fn], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.append(node.name())
        stack.extend(n for n, _ in node.next_functions)
    return sorted(names)


def _saved_summary(lib, fn):
    """{_saved_ name: (kind, shape or value, saved tensor's grad_fn name, next's name)}."""
    out = {}
    for name in dir(fn):
        if not name.startswith("_saved_"):
            continue
        v = getattr(fn, name)
        if isinstance(v, lib.Tensor):
            g = v.grad_fn
            nxt = g.next_functions[0][0] if g is not None and g.next_functions else None
            out[name] = ("T", tuple(v.shape), g.name() if g is not None else None,
                         nxt.name() if nxt is not None else None)
        else:
            out[name] = (type(v).__name__, v)
    return out


# -- 1. in-place ops that need self for backward save a clone of it ----------------------

SELF_SAVING = {
    "sin_": lambda y, t: y.sin_(), "cos_": lambda y, t: y.cos_(), "log_": lambda y, t: y.log_(),
    "abs_": lambda y, t: y.abs_(), "erf_": lambda y, t: y.erf_(),
    "square_": lambda y, t: y.square_(), "pow_2": lambda y, t: y.pow_(2),
    "mul_t": lambda y, t: y.mul_(t), "div_t": lambda y, t: y.div_(t),
    "pow_t": lambda y, t: y.pow_(t), "atan2_": lambda y, t: y.atan2_(t),
    "clamp_": lambda y, t: y.clamp_(0.5, 0.9),
}


@pytest.mark.parametrize("op", sorted(SELF_SAVING))
def test_inplace_saves_clone_of_self(op):
    x = torchlet.rand(4, generator=torchlet.Generator().manual_seed(1), requires_grad=True)
    t = torchlet.rand(4) + 0.5
    t.requires_grad_()
    y = x * 2 + 0.3
    SELF_SAVING[op](y, t)
    saved = y.grad_fn._saved_self
    # the node's edge goes to self's old history; the saved value is a CloneBackward0 of it
    assert y.grad_fn.next_functions[0][0].name() == "AddBackward0"
    assert saved.grad_fn.name() == "CloneBackward0"
    assert saved.grad_fn.next_functions[0][0] is y.grad_fn.next_functions[0][0]
    assert np.array_equal(saved.detach().numpy(), (x * 2 + 0.3).detach().numpy())


def test_inplace_clone_values_and_double_backward():
    x = torchlet.tensor([0.2, 0.7, 1.3], requires_grad=True)
    y = x * 2 + 0.5
    y.sin_()
    (g,) = torchlet.autograd.grad(y.sum(), x, create_graph=True)
    assert "CloneBackward0" in _graph_names(g.grad_fn)
    u = x.detach().numpy() * 2 + 0.5
    np.testing.assert_allclose(g.detach().numpy(), 2 * np.cos(u), rtol=1e-6)
    (gg,) = torchlet.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), -4 * np.sin(u), rtol=1e-6)


def test_inplace_no_clone_where_nothing_needs_self():
    x = torchlet.rand(3, requires_grad=True)
    y = x * 1
    y.mul_(2)  # a scalar factor: MulBackward0 keeps no tensor of self
    assert y.grad_fn._saved_self is None
    y.exp_()  # saves its result, which is y itself
    assert y.grad_fn._saved_result.grad_fn is y.grad_fn
    # self needs no gradient: the saved self is a plain tensor (torch's clone of it)
    w = torchlet.rand(3, requires_grad=True)
    z = torchlet.rand(3)
    z.atan2_(w)
    assert z.grad_fn._saved_self.grad_fn is None


def test_inplace_saved_clone_version_check():
    """The clone is a private copy: changing self again later does not trip backward."""
    x = torchlet.tensor([0.1, 0.5], requires_grad=True)
    y = x * 1
    y.sin_()
    y.add_(1)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos([0.1, 0.5]), rtol=1e-6)


def test_inplace_clone_matches_torch_sampled():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    ops = sorted(SELF_SAVING) + ["exp_", "tanh_", "add_t", "sub_t", "neg_", "relu_"]
    extra = {"exp_": lambda y, t: y.exp_(), "tanh_": lambda y, t: y.tanh_(),
             "add_t": lambda y, t: y.add_(t), "sub_t": lambda y, t: y.sub_(t),
             "neg_": lambda y, t: y.neg_(), "relu_": lambda y, t: y.relu_()}
    for _ in range(30):
        op = ops[rng.integers(len(ops))]
        shape = tuple(int(s) for s in rng.integers(1, 4, size=rng.integers(1, 3)))
        a = rng.uniform(0.2, 1.0, shape).astype(np.float32)
        b = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        mode = int(rng.integers(3))  # 0: both need grad, 1: only self, 2: only the other
        results = []
        for lib in (torch, torchlet):
            x = lib.tensor(a, requires_grad=mode != 2)
            t = lib.tensor(b, requires_grad=mode != 1)
            y = x * 1 if mode != 2 else x.clone()
            {**SELF_SAVING, **extra}[op](y, t)
            fn = y.grad_fn
            summary = None if fn is None else (fn.name(), _saved_summary(lib, fn))
            if fn is not None:
                inputs = [v for v in (x, t) if v.requires_grad]
                grads = lib.autograd.grad(y.sum(), inputs, create_graph=True,
                                          allow_unused=True)
                grads = [g for g in grads if g is not None]
                summary = (summary, None, [g.detach().numpy() for g in grads])
            results.append(summary)
        want, got = results
        if want is None:
            assert got is None
            continue
        assert got[0][0] == want[0][0], op
        for name, value in want[0][1].items():  # (only names torchlet keeps are compared)
            if name in got[0][1] and value[0] == "T":
                assert got[0][1][name] == value, (op, name)
        if "CloneBackward0" in str(want[0][1]):
            assert "CloneBackward0" in str(got[0][1]), op
        assert len(got[2]) == len(want[2]), op
        for w, g in zip(want[2], got[2]):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


# -- 2. saved attributes of activations ---------------------------------------------------

ACTIVATIONS = {
    "celu": lambda y, lib: lib.nn.functional.celu(y, 0.7),
    "celu_": lambda y, lib: lib.nn.functional.celu_(y, 0.7),
    "threshold": lambda y, lib: lib.nn.functional.threshold(y, 0.2, -1.0),
    "threshold_": lambda y, lib: lib.nn.functional.threshold_(y, 0.2, -1.0),
    "hardshrink": lambda y, lib: lib.nn.functional.hardshrink(y, 0.3),
    "softshrink": lambda y, lib: lib.nn.functional.softshrink(y, 0.3),
    "glu0": lambda y, lib: lib.nn.functional.glu(y.view(2, 4), 0),
    "prelu": lambda y, lib: lib.nn.functional.prelu(
        y.view(2, 4), lib.full((4,), 0.25, requires_grad=True)),
    "prelu4d": lambda y, lib: lib.nn.functional.prelu(
        y.view(1, 2, 2, 2), lib.full((2,), 0.25, requires_grad=True)),
    "prelu1": lambda y, lib: lib.nn.functional.prelu(y.view(2, 4), lib.full((1,), 0.25)),
    "prelu_1d": lambda y, lib: lib.nn.functional.prelu(y, lib.full((1,), 0.25)),
    "hardswish": lambda y, lib: lib.nn.functional.hardswish(y),
    "hardswish_": lambda y, lib: lib.nn.functional.hardswish(y, inplace=True),
    "mish": lambda y, lib: lib.nn.functional.mish(y),
    "mish_": lambda y, lib: lib.nn.functional.mish(y, inplace=True),
    "logsigmoid": lambda y, lib: lib.nn.functional.logsigmoid(y),
}


def test_activation_saved_by_hand():
    x = torchlet.tensor([-1.0, -0.25, 0.1, 0.8, -2.0, 0.5, 0.3, -0.6], requires_grad=True)
    y = x * 1
    fn = F.celu(y, 0.7).grad_fn
    assert fn._saved_alpha == 0.7 and fn._saved_self.grad_fn.name() == "MulBackward0"
    fn = F.threshold(y, 0.2, -1.0).grad_fn
    assert fn._saved_threshold == 0.2 and fn._saved_self.shape == (8,)
    assert F.hardshrink(y, 0.3).grad_fn._saved_lambd == 0.3
    assert F.softshrink(y).grad_fn._saved_lambd == 0.5
    assert F.glu(y.view(2, 4), 0).grad_fn._saved_dim == 0
    fn = F.prelu(y.view(1, 2, 4), torchlet.full((2,), 0.25, requires_grad=True)).grad_fn
    assert fn._saved_weight.shape == (1, 2, 1)
    assert fn._saved_weight.grad_fn.name() == "ViewBackward0"
    fn = F.logsigmoid(y).grad_fn
    np.testing.assert_allclose(fn._saved_buffer.numpy(), np.exp(-np.abs(x.detach().numpy())),
                               rtol=1e-6)
    assert {"_saved_self", "_saved_buffer"} <= set(dir(fn))
    fn = F.mish(y, inplace=True).grad_fn
    assert fn.name() == "MishBackward0" and fn._saved_self.grad_fn.name() == "CloneBackward0"


@pytest.mark.parametrize("case", sorted(ACTIVATIONS))
def test_activation_saved_matches_torch(case):
    torch = pytest.importorskip("torch")
    a = np.array([-1.0, -0.25, 0.1, 0.8, -2.0, 0.5, 0.3, -0.6], np.float32)
    results = []
    for lib in (torch, torchlet):
        x = lib.tensor(a, requires_grad=True)
        fn = ACTIVATIONS[case](x * 1, lib).grad_fn
        summary = _saved_summary(lib, fn)
        values = {k: getattr(fn, k).detach().numpy() for k, v in summary.items() if v[0] == "T"}
        results.append((fn.name(), summary, values))
    (name, want, want_values), (got_name, got, got_values) = results
    assert got_name == name
    assert got == want
    for k in want_values:
        np.testing.assert_allclose(got_values[k], want_values[k], rtol=1e-6)


# -- 3. sort's stable overload ------------------------------------------------------------

def test_sort_stable_given_is_other_overload():
    x = torchlet.tensor([3.0, 1.0, 2.0, 1.0], requires_grad=True)
    assert torchlet.sort(x).values.grad_fn.name() == "SortBackward0"
    assert x.sort(0, True).values.grad_fn.name() == "SortBackward0"
    for stable in (None, False, True):
        assert torchlet.sort(x, stable=stable).values.grad_fn.name() == "SortBackward1"
        assert x.sort(stable=stable).values.grad_fn.name() == "SortBackward1"
    assert x.sort(stable=True, dim=0, descending=True).indices.tolist() == [0, 2, 1, 3]
    assert torchlet.argsort(x, stable=True, dim=0).tolist() == [1, 3, 2, 0]
    assert torchlet.sort(x, axis=0).indices.tolist() == [1, 3, 2, 0]
    for call in (lambda: torchlet.sort(x, 0, stable=True), lambda: x.sort(0, stable=True),
                 lambda: torchlet.argsort(x, 0, stable=True), lambda: x.argsort(0, stable=True),
                 lambda: torchlet.argsort(x, stable=None), lambda: x.argsort(stable=None),
                 lambda: x.sort(0, True, True), lambda: torchlet.sort(x, 0, dim=0),
                 lambda: torchlet.sort(x, 0, descending=True, stable=False)):
        with pytest.raises(TypeError):
            call()


SORT_CALLS = {
    "sort()": lambda lib, x: lib.sort(x),
    "sort(stable=False)": lambda lib, x: lib.sort(x, stable=False),
    "sort(stable=None)": lambda lib, x: lib.sort(x, stable=None),
    "sort(0,True)": lambda lib, x: lib.sort(x, 0, True),
    "sort(stable=True,descending=True)": lambda lib, x: lib.sort(x, stable=True, descending=True),
    "x.sort(stable=None)": lambda lib, x: x.sort(stable=None),
    "x.sort(0)": lambda lib, x: x.sort(0),
    "x.sort(descending=True)": lambda lib, x: x.sort(descending=True),
    "sort(0,stable=True)": lambda lib, x: lib.sort(x, 0, stable=True),
    "x.sort(0,stable=True)": lambda lib, x: x.sort(0, stable=True),
    "x.sort(0,True,True)": lambda lib, x: x.sort(0, True, True),
    "argsort(0,stable=True)": lambda lib, x: lib.argsort(x, 0, stable=True),
    "argsort(stable=None)": lambda lib, x: lib.argsort(x, stable=None),
    "argsort(stable=False)": lambda lib, x: lib.argsort(x, stable=False),
    "argsort(0,True)": lambda lib, x: lib.argsort(x, 0, True),
    "x.argsort(stable=True,dim=0)": lambda lib, x: x.argsort(stable=True, dim=0),
}


def test_sort_overloads_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    a = rng.integers(0, 3, 6).astype(np.float32)
    for name, call in SORT_CALLS.items():
        results = []
        for lib in (torch, torchlet):
            x = lib.tensor(a, requires_grad=True)
            try:
                r = call(lib, x)
            except TypeError:
                results.append("TypeError")
                continue
            if isinstance(r, tuple):
                results.append((r[0].grad_fn.name(), r[1].tolist()))
            else:
                results.append(r.tolist())
        assert results[1] == results[0], name


# -- 4. a tensor from an empty ndarray: torch keeps NumPy's zero strides ---------------------

def test_tensor_from_empty_ndarray_keeps_zero_strides():
    t = torchlet.tensor(np.zeros((0, 2, 2)))
    assert t.stride() == (0, 0, 0)
    assert t[:, 1:].storage_offset() == 0
