"""grad_fn._saved_* of the pools and of var/std(_mean), as torch's (helper saved3).

Pools: torch's node shows its int-list arguments as its parser passed them (an int
repeated per pooled dim, a sequence as given, a stride left out as ``()``), ceil_mode,
count_include_pad, divisor_override, the input (``self``) and, for max pools, the indices
(``result1``; their backward nodes' ``indices``). var/std(_mean): the dims as given and the
correction torch's overload received (None for a call with no arguments).
"""

import warnings

import numpy as np
import pytest

import torchlet

F = torchlet.nn.functional
U64 = 2**64


def _x(shape, seed=0, lib=torchlet, channels_last=False):
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    x = lib.tensor(data)
    if channels_last:
        x = x.contiguous(memory_format=lib.channels_last)
    return x.requires_grad_()


def _numbers(node):
    """The non-tensor _saved_* of a node, by name."""
    out = {}
    for name in dir(node):
        if name.startswith("_saved_"):
            value = getattr(node, name)
            if not hasattr(value, "shape"):
                out[name[len("_saved_"):]] = value
    return out


# -- max pools ---------------------------------------------------------------------------


def test_max_pool2d_attributes_as_given():
    x = _x((2, 3, 6, 6))
    node = F.max_pool2d(x, 2).grad_fn
    assert _numbers(node) == {"kernel_size": (2, 2), "stride": (), "padding": (0, 0),
                              "dilation": (1, 1), "ceil_mode": False}
    node = F.max_pool2d(x, 3, (2, 1), 1, 1, True).grad_fn
    assert _numbers(node) == {"kernel_size": (3, 3), "stride": (2, 1), "padding": (1, 1),
                              "dilation": (1, 1), "ceil_mode": True}
    node = F.max_pool2d(x, (2,), [1], (1,), (2,)).grad_fn  # one-int sequences stay so
    assert _numbers(node) == {"kernel_size": (2,), "stride": (1,), "padding": (1,),
                              "dilation": (2,), "ceil_mode": False}
    assert F.max_pool2d(x, 2, []).grad_fn._saved_stride == ()
    assert torchlet.nn.MaxPool2d(2)(x).grad_fn._saved_stride == (2, 2)  # the module's
    assert F.max_pool3d(_x((1, 2, 4, 4, 4)), 2).grad_fn._saved_kernel_size == (2, 2, 2)


def test_max_pool_self_and_indices():
    x = _x((2, 3, 6, 6), channels_last=True)
    out, idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    node = out.grad_fn
    assert node._saved_self is not None and np.array_equal(node._saved_self.detach().numpy(),
                                                           x.detach().numpy())
    result1 = node._saved_result1
    assert result1.dtype == torchlet.int64 and not result1.requires_grad
    assert result1.grad_fn is None
    assert np.array_equal(result1.numpy(), idx.numpy())
    assert result1.stride() == idx.stride() == (27, 1, 9, 3)  # channels_last, as the result
    # without return_indices the node still shows them (rebuilt from the winners)
    assert np.array_equal(F.max_pool2d(x, 3, 2, 1).grad_fn._saved_result1.numpy(),
                          idx.numpy())
    # a window wholly in the padding keeps torch's made-up index
    y = _x((1, 1, 2, 2))
    out, idx = F.max_pool2d(y, 2, 1, 1, 3, return_indices=True)
    assert np.array_equal(out.grad_fn._saved_result1.numpy(), idx.numpy())


def test_max_pool_double_backward_indices():
    x = _x((2, 2, 5, 5))
    out, idx = F.max_pool2d(x, 2, 1, return_indices=True)
    (g,) = torchlet.autograd.grad(out, x, torchlet.ones_like(out).requires_grad_(),
                                  create_graph=True)
    assert g.grad_fn.name() == "MaxPool2DWithIndicesBackwardBackward0"
    assert np.array_equal(g.grad_fn._saved_indices.numpy(), idx.numpy())


# -- average pools -----------------------------------------------------------------------


def test_avg_pool_attributes():
    x = _x((2, 3, 6, 6))
    node = F.avg_pool2d(x, 2).grad_fn
    # count_include_pad defaults to True (it read False before: the plan's overlap flag)
    assert _numbers(node) == {"kernel_size": (2, 2), "stride": (), "padding": (0, 0),
                              "ceil_mode": False, "count_include_pad": True,
                              "divisor_override": None}
    assert np.array_equal(node._saved_self.detach().numpy(), x.detach().numpy())
    node = F.avg_pool2d(x, 3, (2, 1), 1, True, False, 5).grad_fn
    assert _numbers(node) == {"kernel_size": (3, 3), "stride": (2, 1), "padding": (1, 1),
                              "ceil_mode": True, "count_include_pad": False,
                              "divisor_override": 5}
    node = F.avg_pool1d(x[0], 3, 1, 1, True, False).grad_fn.next_functions[0][0]
    assert _numbers(node)["count_include_pad"] is False
    assert _numbers(node)["padding"] == (0, 1) and node._saved_stride == (1, 1)
    node = F.avg_pool3d(_x((1, 1, 4, 4, 4)), 2, divisor_override=3).grad_fn
    assert node._saved_stride == () and node._saved_divisor_override == 3


def test_avg_pool_double_backward_attributes():
    x = _x((1, 2, 6, 6))
    out = F.avg_pool2d(x, 3, (2, 1), 1, True, False, 5)
    (g,) = torchlet.autograd.grad(out, x, torchlet.ones_like(out).requires_grad_(),
                                  create_graph=True)
    assert g.grad_fn.name() == "AvgPool2DBackwardBackward0"
    assert _numbers(g.grad_fn) == {"kernel_size": (3, 3), "stride": (2, 1),
                                   "padding": (1, 1), "ceil_mode": True,
                                   "count_include_pad": False, "divisor_override": 5}


# -- adaptive, fractional, unpool --------------------------------------------------------


def test_adaptive_pools():
    x = _x((2, 3, 6, 5))
    out, idx = F.adaptive_max_pool2d(x, (4, 3), return_indices=True)
    assert np.array_equal(out.grad_fn._saved_result1.numpy(), idx.numpy())
    assert np.array_equal(out.grad_fn._saved_self.detach().numpy(), x.detach().numpy())
    (g,) = torchlet.autograd.grad(out, x, torchlet.ones_like(out).requires_grad_(),
                                  create_graph=True)
    assert np.array_equal(g.grad_fn._saved_indices.numpy(), idx.numpy())
    x3 = _x((1, 1, 5, 6, 7))
    out = F.adaptive_avg_pool3d(x3, (4, 3, 2))
    assert np.array_equal(out.grad_fn._saved_self.detach().numpy(), x3.detach().numpy())
    (g,) = torchlet.autograd.grad(out, x3, torchlet.ones_like(out).requires_grad_(),
                                  create_graph=True)
    assert _numbers(g.grad_fn) == {"grad_output_sym_argsize_minus_1": 2,
                                   "grad_output_sym_argsize_minus_2": 3,
                                   "grad_output_sym_argsize_minus_3": 4}


def test_fractional_and_unpool():
    x = _x((2, 3, 7, 7))
    samples = torchlet.rand(2, 3, 2)
    out, idx = F.fractional_max_pool2d(x, 2, output_size=(3, 4), return_indices=True,
                                       _random_samples=samples)
    node = out.grad_fn
    assert node._saved_kernel_size == (2, 2) and node._saved_output_size == (3, 4)
    assert np.array_equal(node._saved_result1.numpy(), idx.numpy())
    assert node._saved_self.shape == (2, 3, 7, 7)
    unpooled = F.max_unpool2d(out, idx, 2, output_size=(7, 7))
    assert np.array_equal(unpooled.grad_fn._saved_indices.numpy(), idx.numpy())


def test_freed_after_backward():
    x = _x((1, 2, 4, 4))
    out = F.max_pool2d(x, 2)
    node = out.grad_fn
    out.sum().backward()
    for name in ("_saved_self", "_saved_result1"):
        with pytest.raises(RuntimeError, match="freed"):
            getattr(node, name)
    assert node._saved_kernel_size == (2, 2) and node._saved_stride == ()
    out = F.avg_pool2d(x, 2)
    node = out.grad_fn
    out.sum().backward()
    with pytest.raises(RuntimeError, match="freed"):
        node._saved_self  # noqa: B018 - the read is the test
    assert node._saved_count_include_pad is True


# -- var / std (_mean) -------------------------------------------------------------------


@pytest.mark.parametrize("call, expected", [
    (lambda v: v.var(), {"correction": None, "dim": None, "keepdim": False}),
    (lambda v: v.var(0), {"correction": 1, "dim": (0,), "keepdim": False}),
    (lambda v: v.var(correction=0), {"correction": 0, "dim": None, "keepdim": False}),
    (lambda v: v.std(1, correction=2, keepdim=True), {"correction": 2, "dim": (1,),
                                                      "keepdim": True}),
    (lambda v: v.var(0, unbiased=False), {"correction": 0, "dim": (0,), "keepdim": False}),
    (lambda v: v.var(False), {"correction": 0, "dim": None, "keepdim": False}),
    (lambda v: v.std(0, correction=1.5), {"correction": 1.5, "dim": (0,), "keepdim": False}),
    (lambda v: v.var(-1), {"correction": 1, "dim": (U64 - 1,), "keepdim": False}),
    (lambda v: v.var([]), {"correction": 1, "dim": (), "keepdim": False}),
    (lambda v: torchlet.var_mean(v)[0], {"correction": None, "dim": None, "keepdim": False}),
    (lambda v: torchlet.var_mean(v, -1, correction=0, keepdim=True)[1],
     {"correction": 0, "dim": (U64 - 1,), "keepdim": True}),
    (lambda v: torchlet.var_mean(v, unbiased=True)[0],
     {"correction": 1, "dim": None, "keepdim": False}),
    (lambda v: torchlet.std_mean(v, (0, 1), correction=2)[0],
     {"correction": 2, "dim": (0, 1), "keepdim": False}),
])
def test_moment_attributes(call, expected):
    v = _x((3, 4))
    node = call(v).grad_fn
    assert _numbers(node) == expected
    assert np.array_equal(node._saved_self.detach().numpy(), v.detach().numpy())


def test_std_mean_result0():
    v = _x((3, 4))
    std, _ = torchlet.std_mean(v, 0)
    result0 = std.grad_fn._saved_result0
    assert np.array_equal(result0.detach().numpy(), std.detach().numpy())
    assert result0.grad_fn is std.grad_fn


# -- sampled differential with torch -----------------------------------------------------


def _form(r, values):
    """An int list given as torch users do: an int, a tuple, a list, a one-int tuple."""
    same = len(set(values)) == 1
    k = int(r.integers(4))
    if k == 0:
        return int(values[0]) if same else tuple(values)
    if k == 3 and same:
        return (int(values[0]),)
    return list(values) if k == 2 else tuple(values)


def _pool_configs(n=70, seed=20):
    r = np.random.default_rng(seed)
    configs = []
    for _ in range(n):
        kind = str(r.choice(["max", "avg", "amax", "aavg", "frac"]))
        nd = int(r.choice([2, 3]))
        shape = [int(r.integers(1, 3)), int(r.integers(1, 3))] + \
            [int(r.integers(4, 7)) for _ in range(nd)]
        k = [int(r.integers(1, 4)) for _ in range(nd)]
        configs.append(dict(
            kind=kind, nd=nd, shape=shape, seed=int(r.integers(1 << 30)),
            cl=nd == 2 and bool(r.random() < 0.3), bb=bool(r.random() < 0.4),
            k=_form(r, k), s=None if r.random() < 0.3 else _form(
                r, [int(r.integers(1, 4)) for _ in range(nd)]),
            p=_form(r, [int(r.integers(0, kk // 2 + 1)) for kk in k]),
            d=_form(r, [int(r.integers(1, 3)) for _ in range(nd)]),
            ceil=bool(r.random() < 0.4), cip=bool(r.random() < 0.5),
            div=None if r.random() < 0.7 else int(r.integers(1, 5)),
            out=[int(r.integers(2, 4)) for _ in range(nd)],  # (1x1: a mean)
            fk=[int(r.integers(1, 3)) for _ in range(nd)]))
    return configs


def _pool_nodes(lib, c):
    fn = lib.nn.functional
    r = np.random.default_rng(c["seed"])
    x = _x(c["shape"], c["seed"], lib, c["cl"])
    nd, kind = c["nd"], c["kind"]
    if kind == "max":
        out = (fn.max_pool2d if nd == 2 else fn.max_pool3d)(
            x, c["k"], c["s"], c["p"], c["d"], c["ceil"])
    elif kind == "avg":
        out = (fn.avg_pool2d if nd == 2 else fn.avg_pool3d)(
            x, c["k"], c["s"], c["p"], c["ceil"], c["cip"], c["div"])
    elif kind == "amax":
        out = (fn.adaptive_max_pool2d if nd == 2 else fn.adaptive_max_pool3d)(x, c["out"])
    elif kind == "aavg":
        out = (fn.adaptive_avg_pool2d if nd == 2 else fn.adaptive_avg_pool3d)(x, c["out"])
    else:
        samples = lib.tensor(r.random((c["shape"][0], c["shape"][1], nd)).astype(np.float32))
        size = [min(o, s - k + 1) for o, s, k in zip(c["out"], c["shape"][2:], c["fk"])]
        out = (fn.fractional_max_pool2d if nd == 2 else fn.fractional_max_pool3d)(
            x, c["fk"], output_size=size, _random_samples=samples)
    nodes = [out.grad_fn]
    if c["bb"]:
        (g,) = lib.autograd.grad(out, x, lib.ones_like(out).requires_grad_(),
                                 create_graph=True)
        nodes.append(g.grad_fn)
    return nodes


def _described(lib, nodes):
    """Each node's name and _saved_* (tensors as dtype, shape, strides, values)."""
    result = []
    for node in nodes:
        values = {}
        for name in dir(node):
            if not name.startswith("_saved_"):
                continue
            value = getattr(node, name)
            if isinstance(value, lib.Tensor):
                data = value.detach()
                value = (str(data.dtype), tuple(data.shape), data.stride(),
                         repr(np.round(np.asarray(data.tolist(), dtype=np.float64), 10)),
                         data.requires_grad)
            values[name] = value
        result.append((node.name(), values))
    return result


def test_pools_sampled_against_torch():
    torch = pytest.importorskip("torch")
    compared = 0
    for c in _pool_configs():
        try:
            expected = _described(torch, _pool_nodes(torch, c))
        except (RuntimeError, ValueError, IndexError):
            with pytest.raises((RuntimeError, ValueError, IndexError)):
                _pool_nodes(torchlet, c)
            continue
        assert _described(torchlet, _pool_nodes(torchlet, c)) == expected, c
        compared += 1
    assert compared > 40


def _moment_configs(n=150, seed=21):
    r = np.random.default_rng(seed)
    configs = []
    for _ in range(n):
        nd = int(r.integers(0, 4))
        args, kw = [], {}
        if nd and r.random() < 0.6:
            dims = [int(d) for d in r.choice(np.arange(-nd, nd), size=int(r.integers(1, nd + 1)),
                                            replace=False)]
            if len({d % nd for d in dims}) != len(dims):
                dims = dims[:1]
            k = int(r.integers(4))
            dim = dims[0] if k == 0 else tuple(dims) if k == 1 else list(dims) if k == 2 else []
            args.append(dim)
            if r.random() < 0.3:
                args.append(bool(r.random() < 0.5))  # unbiased
        u = r.random()
        if u < 0.3:
            kw["correction"] = [0, 1, 2, 0.5, 1.5, True][int(r.integers(6))]
        elif u < 0.45 and args and len(args) == 1:
            kw["unbiased"] = bool(r.random() < 0.5)
        if args and r.random() < 0.4:
            kw["keepdim"] = bool(r.random() < 0.5)
        configs.append(dict(shape=[int(r.integers(1, 4)) for _ in range(nd)],
                            fn=str(r.choice(["var", "std", "var_mean", "std_mean"])),
                            method=bool(r.random() < 0.5), args=args, kw=kw,
                            which=int(r.integers(2)), seed=int(r.integers(1 << 30))))
    return configs


def _moment_node(lib, c):
    x = lib.tensor(np.random.default_rng(c["seed"]).standard_normal(c["shape"]),
                   requires_grad=True)
    if c["method"] and c["fn"] in ("var", "std"):
        out = getattr(x, c["fn"])(*c["args"], **c["kw"])
    else:
        out = getattr(lib, c["fn"])(x, *c["args"], **c["kw"])
    return out[c["which"]] if isinstance(out, tuple) else out


def test_moments_sampled_against_torch():
    torch = pytest.importorskip("torch")
    compared = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (degrees of freedom <= 0)
        for c in _moment_configs():
            try:
                expected = _described(torch, [_moment_node(torch, c).grad_fn])
            except (RuntimeError, TypeError):
                continue
            assert _described(torchlet, [_moment_node(torchlet, c).grad_fn]) == expected, c
            compared += 1
    assert compared > 100
