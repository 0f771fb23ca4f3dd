"""layer_norm and group_norm double backward as torch records it.

layer_norm: under create_graph the three first-order gradients come from one node,
NativeLayerNormBackwardBackward0 (edges: grad_out, input, mean, rstd, weight, bias; mean
and rstd never differentiable), whose backward is torch's layer_norm_double_backward.
group_norm: torch's create_graph backward is a composite of ordinary operations
(infinitely_differentiable_native_group_norm_backward) that reads the saved mean and rstd
as outputs 1 and 2 of the forward node, so the second derivative comes back through
NativeGroupNormBackward0 itself; torch.native_group_norm's mean and rstd are differentiable
(torch uses their gradients only when both are given). Also: the ``_saved_*`` attributes
of the double-backward nodes, layer_norm's saved bias (checked for in-place changes),
torch's errors for a bias without a weight, group_norm's rstd from a double eps.
"""

import numpy as np
import pytest

import torchlet
from torchlet.autograd import gradgradcheck

F = torchlet.nn.functional
ACC = "torch::autograd::AccumulateGrad"


def _edges(node):
    return [None if f is None else f.name() for f, _ in node.next_functions]


def _names(node, depth=2):
    if node is None or depth < 0:
        return None
    return (node.name(), [_names(f, depth - 1) for f, _ in node.next_functions])


def _t(lib, a, requires_grad=False, dtype=None):
    return lib.tensor(a, dtype=dtype, requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------
# layer_norm


def test_layer_norm_first_gradients_come_from_one_node():
    rng = np.random.default_rng(0)
    x = _t(torchlet, rng.standard_normal((3, 4, 5)), True)
    w, b = _t(torchlet, rng.standard_normal(5), True), _t(torchlet, rng.standard_normal(5), True)
    out = F.layer_norm(x, (5,), w, b)
    gx, gw, gb = torchlet.autograd.grad(out, (x, w, b), torchlet.ones_like(out),
                                        create_graph=True)
    assert gx.grad_fn is gw.grad_fn is gb.grad_fn
    assert [t.grad_fn.name() for t in (gx, gw, gb)] == ["NativeLayerNormBackwardBackward0"] * 3
    assert [t.requires_grad for t in (gx, gw, gb)] == [True] * 3
    assert _edges(gx.grad_fn) == [None, ACC, None, None, ACC, ACC]
    # the values are the first-order ones
    plain = torchlet.autograd.grad(F.layer_norm(x, (5,), w, b), (x, w, b),
                                   torchlet.ones_like(out))
    for a, p in zip((gx, gw, gb), plain):
        np.testing.assert_array_equal(a.detach().numpy(), p.numpy())


def test_layer_norm_without_parameters_and_grad_requiring_grad():
    rng = np.random.default_rng(1)
    x = _t(torchlet, rng.standard_normal((2, 3, 4)), True)
    g = _t(torchlet, rng.standard_normal((2, 3, 4)), True)
    (gx,) = torchlet.autograd.grad(F.layer_norm(x, (3, 4)), x, g, create_graph=True)
    assert gx.grad_fn.name() == "NativeLayerNormBackwardBackward0"
    assert _edges(gx.grad_fn) == [ACC, ACC, None, None, None, None]
    # d/dg of sum(gx * c) is the first backward applied to c (a linear map of g)
    c = rng.standard_normal((2, 3, 4))
    (dg,) = torchlet.autograd.grad((gx * _t(torchlet, c)).sum(), g)
    out = F.layer_norm(x, (3, 4))
    (expected,) = torchlet.autograd.grad(out, x, _t(torchlet, c))
    np.testing.assert_allclose(dg.numpy(), expected.numpy(), rtol=1e-12, atol=1e-13)


def test_layer_norm_bias_only_records_the_node():
    # only the bias needs a gradient: torch's node still has the bias edge
    rng = np.random.default_rng(2)
    x = _t(torchlet, rng.standard_normal((3, 4)))
    b = _t(torchlet, rng.standard_normal(4), True)
    out = F.layer_norm(x, (4,), None, b)
    (gb,) = torchlet.autograd.grad(out, b, torchlet.ones_like(out), create_graph=True)
    assert gb.requires_grad and gb.grad_fn.name() == "NativeLayerNormBackwardBackward0"
    assert _edges(gb.grad_fn) == [None, None, None, None, None, ACC]
    np.testing.assert_array_equal(gb.detach().numpy(), [3.0] * 4)


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_gradgradcheck(affine):
    rng = np.random.default_rng(3)
    x = _t(torchlet, rng.standard_normal((3, 2, 3)), True)
    w = _t(torchlet, rng.standard_normal((2, 3)), True)
    b = _t(torchlet, rng.standard_normal((2, 3)), True)
    if affine:
        assert gradgradcheck(lambda x, w, b: F.layer_norm(x, (2, 3), w, b, 1e-3), (x, w, b))
    else:
        assert gradgradcheck(lambda x: F.layer_norm(x, (3,), eps=1e-3), (x,))


def test_layer_norm_bias_without_weight_double_backward_fails_as_torch():
    rng = np.random.default_rng(4)
    x = _t(torchlet, rng.standard_normal((3, 4)), True)
    b = _t(torchlet, rng.standard_normal(4), True)
    g = _t(torchlet, rng.standard_normal((3, 4)), True)
    gx, gb = torchlet.autograd.grad(F.layer_norm(x, (4,), None, b), (x, b), g,
                                    create_graph=True)
    with pytest.raises(RuntimeError, match="Expected a proper Tensor but got None"):
        torchlet.autograd.grad(gx.sum() + gb.sum(), (x, b, g), allow_unused=True)
    assert torchlet.autograd.grad(gb.sum(), g, allow_unused=True) == (None,)


def test_layer_norm_half_input_float_bias_without_weight_fails_as_torch():
    x = torchlet.ones(3, 2, dtype=torchlet.float16, requires_grad=True)
    x = x * torchlet.tensor([1.0, 2.0], dtype=torchlet.float16)
    b = torchlet.zeros(2, requires_grad=True)
    out = F.layer_norm(x, (2,), None, b)
    for create_graph in (False, True):
        with pytest.raises(RuntimeError, match="expected scalar type Half but found Float"):
            torchlet.autograd.grad(out, b, torchlet.ones_like(out), retain_graph=True,
                                   create_graph=create_graph)


def test_layer_norm_saves_its_bias():
    x = torchlet.tensor([[1.0, 2.0, 4.0]], requires_grad=True)
    b = torchlet.zeros(3, requires_grad=True)
    out = F.layer_norm(x, (3,), None, b)
    assert out.grad_fn._saved_bias is b or np.array_equal(out.grad_fn._saved_bias.numpy(), [0] * 3)
    with torchlet.no_grad():
        b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


# ---------------------------------------------------------------------------------------
# group_norm


def test_group_norm_create_graph_is_torchs_composite_through_the_forward_node():
    rng = np.random.default_rng(5)
    x = _t(torchlet, rng.standard_normal((2, 6, 3)), True)
    w, b = _t(torchlet, rng.standard_normal(6), True), _t(torchlet, rng.standard_normal(6), True)
    out = F.group_norm(x, 3, w, b)
    gx, gw, gb = torchlet.autograd.grad(out, (x, w, b), torchlet.ones_like(out),
                                        create_graph=True)
    assert gx.grad_fn.name() == gw.grad_fn.name() == "ViewBackward0"
    assert _edges(gx.grad_fn) == ["AddBackward0"] and _edges(gw.grad_fn) == ["SumBackward1"]
    assert not gb.requires_grad  # the sum of the incoming gradient only
    # the mean and rstd it reads are outputs 1 and 2 of the forward node
    found, todo, seen = set(), [gx.grad_fn], set()
    while todo:
        node = todo.pop()
        for f, nr in node.next_functions:
            if f is out.grad_fn:
                found.add(nr)
            elif f is not None and id(f) not in seen:
                seen.add(id(f))
                todo.append(f)
    assert found == {1, 2}


@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_gradgradcheck(affine):
    rng = np.random.default_rng(6)
    x = _t(torchlet, rng.standard_normal((2, 4, 3)), True)
    w, b = _t(torchlet, rng.standard_normal(4), True), _t(torchlet, rng.standard_normal(4), True)
    if affine:
        assert gradgradcheck(lambda x, w, b: F.group_norm(x, 2, w, b, 1e-3), (x, w, b))
    else:
        assert gradgradcheck(lambda x: F.group_norm(x, 4, eps=1e-3), (x,))


def test_native_group_norm_statistics_are_differentiable():
    rng = np.random.default_rng(7)
    x0 = rng.standard_normal((2, 4, 3))
    x = _t(torchlet, x0, True)
    out, mean, rstd = torchlet.native_group_norm(x, None, None, 2, 4, 3, 2, 1e-5)
    assert [t.grad_fn.name() for t in (out, mean, rstd)] == ["NativeGroupNormBackward0"] * 3
    assert [t.grad_fn for t in (mean, rstd)] == [out.grad_fn] * 2
    (g,) = torchlet.autograd.grad((mean * rstd).sum(), x)
    # by hand: d(mean * rstd) = rstd dmean + mean drstd over each (sample, group) of 6,
    # dmean/dx = 1/6, drstd/dx = -rstd^3 (x - mean) / 6
    rows = x0.reshape(4, 6)
    m, v = rows.mean(1, keepdims=True), rows.var(1, keepdims=True)
    r = 1 / np.sqrt(v + 1e-5)
    expected = r / 6 - m * r**3 * (rows - m) / 6
    np.testing.assert_allclose(g.numpy(), expected.reshape(x0.shape), rtol=1e-12)
    # torch uses the statistics' gradients only when both are given
    for stat in (mean, rstd):
        out, mean, rstd = torchlet.native_group_norm(x, None, None, 2, 4, 3, 2, 1e-5)
        assert torchlet.autograd.grad((mean if stat is mean else rstd).sum(), x,
                                      allow_unused=True) == (None,)


def test_group_norm_bias_without_weight():
    # torch fails when the bias's gradient is wanted ("tensor does not have a device";
    # under create_graph "shape '[0]' is invalid"), not for x's alone; a node here cannot
    # tell which gradients the pass wants, so torchlet gives the bias's: the sum of grad
    x = torchlet.tensor([[1.0, 2.0, 4.0], [0.0, 1.0, 3.0]], requires_grad=True)
    b = torchlet.zeros(3, requires_grad=True)
    out = F.group_norm(x, 3, None, b)
    g = torchlet.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    for create_graph in (False, True):
        gx, gb = torchlet.autograd.grad(out, (x, b), g, retain_graph=True,
                                        create_graph=create_graph)
        np.testing.assert_array_equal(gb.detach().numpy(), [5.0, 7.0, 9.0])
        np.testing.assert_array_equal(gx.detach().numpy(), np.zeros((2, 3)))  # one-element groups


def test_group_norm_rstd_with_a_double_eps():
    # torch's group_norm kernel adds eps as a double (1 / sqrt(var + eps) in double,
    # rounded once); layer_norm's in float32. For var = 0, eps = 1e-5 they differ.
    x = torchlet.ones(1, 2, 3)
    rstd_g = torchlet.native_group_norm(x, None, None, 1, 2, 3, 1, 1e-5)[2].item()
    rstd_l = torchlet.native_layer_norm(x, (2, 3), None, None, 1e-5)[2].flatten()[0].item()
    assert rstd_g == float(np.float32(1 / np.sqrt(1e-5))) == 316.2277526855469
    assert rstd_l == float(np.float32(1) / np.sqrt(np.float32(1e-5))) == 316.227783203125


# ---------------------------------------------------------------------------------------
# _saved_* of the double-backward nodes


def _saved(node):
    return sorted(a for a in dir(node) if a.startswith("_saved_"))


def test_saved_attributes_of_the_double_backward_nodes():
    rng = np.random.default_rng(8)
    x = _t(torchlet, rng.standard_normal((3, 4, 2)), True)
    w = _t(torchlet, rng.standard_normal(2), True)
    g = torchlet.ones(3, 4, 2)
    out = F.layer_norm(x, (2,), w)
    (gx,) = torchlet.autograd.grad(out, x, g, create_graph=True)
    node = gx.grad_fn
    assert _saved(node) == ["_saved_grad_out", "_saved_input", "_saved_mean",
                            "_saved_normalized_shape", "_saved_rstd", "_saved_weight"]
    assert node._saved_input is x and node._saved_normalized_shape == (2,)
    assert node._saved_mean.shape == (3, 4, 1) and node._saved_rstd.shape == (3, 4, 1)
    np.testing.assert_allclose(node._saved_mean.numpy()[..., 0], x.detach().numpy().mean(-1))
    assert out.grad_fn._saved_result1.shape == (3, 4, 1)

    rm, rv = torchlet.zeros(4), torchlet.ones(4)
    x32 = _t(torchlet, rng.standard_normal((3, 4, 2)), True, torchlet.float32)
    for training in (True, False):
        out = F.batch_norm(x32, rm, rv, None, None, training)
        (gx,) = torchlet.autograd.grad(out, x32, torchlet.ones_like(out), create_graph=True)
        node = gx.grad_fn
        assert _saved(node) == [
            "_saved_eps", "_saved_grad_out", "_saved_input", "_saved_running_mean",
            "_saved_running_var", "_saved_save_invstd", "_saved_save_mean", "_saved_train",
            "_saved_weight"]
        assert node._saved_running_mean is rm and node._saved_train is training
        assert node._saved_eps == 1e-5 and node._saved_weight is None
        assert node._saved_save_mean.shape == ((4,) if training else (0,))
        assert out.grad_fn._saved_running_var is rv
        assert out.grad_fn._saved_result2.shape == ((4,) if training else (0,))


def test_saved_attributes_against_torch():
    torch = pytest.importorskip("torch")

    def info(lib):
        rng = np.random.default_rng(9)
        x = _t(lib, rng.standard_normal((3, 4, 2)), True, lib.float32)
        w = _t(lib, rng.standard_normal(4), True, lib.float32)
        b = _t(lib, rng.standard_normal(4), True, lib.float32)
        rm, rv = lib.zeros(4), lib.ones(4)
        rows = []
        for fn in (lambda: lib.nn.functional.layer_norm(x, (4, 2), None, None),
                   lambda: lib.nn.functional.layer_norm(x.half(), (2,)),
                   lambda: lib.nn.functional.group_norm(x, 2, w, b),
                   lambda: lib.nn.functional.batch_norm(x, rm, rv, w, b, True),
                   lambda: lib.nn.functional.batch_norm(x, rm, rv, w, None, False)):
            out = fn()
            (gx,) = lib.autograd.grad(out, x, lib.ones_like(out), create_graph=True)
            for node in (out.grad_fn, gx.grad_fn):
                for name in _saved(node):
                    v = getattr(node, name)
                    if isinstance(v, lib.Tensor):
                        v = (tuple(v.shape), str(v.dtype).split(".")[-1], v.requires_grad,
                             round(float(v.detach().double().sum()), 3))
                    rows.append((node.name(), name, v))
        return rows

    assert info(torchlet) == info(torch)


# ---------------------------------------------------------------------------------------
# sampled against torch


def _second_order(lib, cfg):
    kind, shape, kg, weight, bias, wreq, greq, dtype, use, eps, seed = cfg
    rng = np.random.default_rng(seed)
    dt = getattr(lib, dtype)
    pdt = lib.float32 if dtype == "float16" and seed % 2 else dt
    x = _t(lib, rng.standard_normal(shape), True, dt)
    pshape = shape[len(shape) - kg:] if kind == "ln" else (shape[1],)
    w = _t(lib, rng.standard_normal(pshape), wreq, pdt) if weight else None
    b = _t(lib, rng.standard_normal(pshape), wreq, pdt) if bias else None
    fn = lib.nn.functional
    out = (fn.layer_norm(x, pshape, w, b, eps) if kind == "ln"
           else fn.group_norm(x, kg, w, b, eps))
    g = _t(lib, rng.standard_normal(shape), greq, dt)
    inputs = [x] + [t for t in (w, b) if t is not None and wreq]
    try:
        grads = lib.autograd.grad(out, inputs, g, create_graph=True)
    except RuntimeError as error:
        return str(error), None
    first = [(str(t.dtype).split(".")[-1], t.requires_grad,
              None if t.grad_fn is None else t.grad_fn.name(), t.detach().double().numpy())
             for t in grads]
    total = None
    for k, t in enumerate(grads):
        if use[k] and t.requires_grad:
            c = _t(lib, rng.standard_normal(tuple(t.shape)), False, t.dtype)
            total = (t * c).sum() if total is None else total + (t * c).sum()
    if total is None:
        return first, None
    wrt = inputs + ([g] if greq else [])
    try:
        second = lib.autograd.grad(total, wrt, allow_unused=True)
    except RuntimeError as error:
        return first, str(error)
    return first, [None if t is None else t.double().numpy() for t in second]


def _configs(n, seed):
    rng = np.random.default_rng(seed)
    for i in range(n):
        kind = ["ln", "gn"][rng.integers(2)]
        ndim = int(rng.integers(2, 5))
        shape = tuple(int(v) for v in rng.integers(1, 5, ndim))
        if kind == "ln":
            kg = int(rng.integers(1, ndim + 1))
        else:
            shape = (shape[0] + 1,) + shape[1:]
            divisors = [d for d in range(1, shape[1] + 1) if shape[1] % d == 0]
            kg = int(divisors[rng.integers(len(divisors))])
        yield (kind, shape, kg, bool(rng.integers(2)), bool(rng.integers(2)),
               bool(rng.integers(4)), bool(rng.integers(2)),
               ["float64", "float32", "float16"][rng.integers(3)],
               tuple(bool(v) for v in rng.integers(0, 2, 3)),
               float([1e-5, 1e-3, 0.1][rng.integers(3)]), i)


def test_second_order_sampled_against_torch():
    torch = pytest.importorskip("torch")
    for cfg in _configs(60, 2021):
        if cfg[0] == "gn" and cfg[4] and cfg[5] and not cfg[3]:
            continue  # a bias without a weight: see test_group_norm_bias_without_weight
        first_t, second_t = _second_order(torch, cfg)
        first_l, second_l = _second_order(torchlet, cfg)
        if isinstance(first_t, str):
            assert first_l == first_t, cfg
            continue
        assert [f[:3] for f in first_l] == [f[:3] for f in first_t], cfg
        # (a group of one element has var 0: rstd = 1/sqrt(eps) magnifies the rounding)
        tol = {"float64": 1e-10, "float32": 2e-4, "float16": 3e-3}[cfg[7]]
        for a, b in zip(first_t, first_l):
            np.testing.assert_allclose(b[3], a[3], rtol=tol,
                                       atol=tol * max(1.0, float(np.abs(a[3]).max())))
        if second_t is None or isinstance(second_t, str):
            assert second_l == second_t, cfg
            continue
        for a, b in zip(second_t, second_l, strict=True):
            assert (a is None) == (b is None), cfg
            if a is not None:
                np.testing.assert_allclose(b, a, rtol=tol,
                                           atol=tol * max(1.0, float(np.abs(a).max())))
