"""Operations on meta tensors stay on meta, live against torch 2.13 (CPU build).

torch runs an operation on meta tensors for the shape and dtype of its result only: the
result is a meta tensor (``tensor(..., device='meta', size=(2, 3))``), mixing meta with
CPU tensors is an error (a 0-d CPU tensor excepted), reading a value is an error, and
backward works, with meta gradients. torchlet does this in one place,
``Primitive.apply`` (``apply_on_meta``), for every differentiable operation and the
comparisons.

Every comparison here is exact: the result's device, shape, dtype and ``repr`` (the
string torch prints, grad_fn included), or the exception's type and message. Meta
tensors have no values, so no comparison is within rounding.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _cpu_default():
    for lib in (torchlet, torch):
        lib.set_default_device(None)
    yield
    for lib in (torchlet, torch):
        lib.set_default_device(None)


def describe(value):
    """What is compared of a result: a tensor's device, shape, dtype and repr."""
    if isinstance(value, (torch.Tensor, torchlet.Tensor)):
        return (str(value.device), tuple(value.shape), str(value.dtype), repr(value))
    if isinstance(value, (tuple, list)):
        return tuple(describe(item) for item in value)
    return repr(value)


def outcome(fn, lib):
    """``fn(lib)`` described, or the (type name, message) of what it raised."""
    try:
        return describe(fn(lib))
    except Exception as error:  # noqa: BLE001 - the error is the result compared
        return type(error).__name__, str(error)


def same_as_torch(fn):
    """``fn`` gives on torchlet exactly what it gives on torch; that result."""
    expected = outcome(fn, torch)
    assert outcome(fn, torchlet) == expected
    return expected


def meta(lib, *shape, dtype=None, requires_grad=False):
    return lib.empty(shape, device="meta", dtype=dtype, requires_grad=requires_grad)


def long_meta(lib, *shape):
    return lib.zeros(*shape, dtype=lib.long, device="meta")


# ---------------------------------------------------------------------------------------
# 1. results are meta tensors of torch's shape and dtype


def _x(lib):
    return meta(lib, 2, 3)


OPS = {
    # reductions
    "sum": lambda lib: _x(lib).sum(),
    "sum_dim": lambda lib: _x(lib).sum(1, keepdim=True),
    "sum_int": lambda lib: meta(lib, 2, 3, dtype=lib.int32).sum(0),
    "mean": lambda lib: _x(lib).mean(),
    "std": lambda lib: _x(lib).std(1),
    "var_mean": lambda lib: lib.var_mean(_x(lib), 0),
    "prod": lambda lib: _x(lib).prod(),
    "amax": lambda lib: _x(lib).amax(1),
    "max_dim": lambda lib: tuple(_x(lib).max(1)),
    "argmax": lambda lib: _x(lib).argmax(),
    "logsumexp": lambda lib: _x(lib).logsumexp(1),
    "norm": lambda lib: _x(lib).norm(),
    "cumsum": lambda lib: _x(lib).cumsum(1),
    "cummax": lambda lib: tuple(_x(lib).cummax(1)),
    "sort": lambda lib: tuple(_x(lib).sort(1)),
    "topk": lambda lib: tuple(_x(lib).topk(2)),
    # joins and copies
    "cat": lambda lib: lib.cat([_x(lib), meta(lib, 4, 3)]),
    "stack": lambda lib: lib.stack([_x(lib), _x(lib)], 1),
    "clone": lambda lib: _x(lib).clone(),
    "contiguous": lambda lib: _x(lib).t().contiguous(),
    "to_float64": lambda lib: _x(lib).to(lib.float64),
    "half": lambda lib: _x(lib).half(),
    "long": lambda lib: _x(lib).long(),
    # elementwise
    "add": lambda lib: _x(lib) + meta(lib, 3),
    "mul_scalar": lambda lib: _x(lib) * 2.5,
    "int_plus_float": lambda lib: meta(lib, 2, dtype=lib.int64) + 1.5,
    "rsub": lambda lib: 1 - _x(lib),
    "div_int": lambda lib: meta(lib, 2, dtype=lib.int64) / 2,
    "floor_divide": lambda lib: meta(lib, 2, dtype=lib.int64) // 2,
    "pow": lambda lib: _x(lib) ** 2,
    "rpow": lambda lib: 2 ** _x(lib),
    "exp": lambda lib: _x(lib).exp(),
    "sqrt": lambda lib: _x(lib).sqrt(),
    "sigmoid": lambda lib: _x(lib).sigmoid(),
    "gt": lambda lib: _x(lib) > 0,
    "eq_tensor": lambda lib: _x(lib) == meta(lib, 1, 3),
    "where": lambda lib: lib.where(_x(lib) > 0, _x(lib), 0.0),
    "clamp": lambda lib: _x(lib).clamp(0, 1),
    "lerp": lambda lib: lib.lerp(_x(lib), _x(lib), 0.3),
    "addcmul": lambda lib: lib.addcmul(_x(lib), _x(lib), _x(lib), value=2),
    "masked_fill": lambda lib: _x(lib).masked_fill(meta(lib, 2, 3, dtype=lib.bool), 1.0),
    "plus_cpu_scalar_tensor": lambda lib: _x(lib) + lib.tensor(2.0),
    "cpu_scalar_tensor_plus": lambda lib: lib.tensor(2.0) + _x(lib),
    "meta_0d_plus_cpu_0d": lambda lib: meta(lib) + lib.tensor(2.0),
    # products
    "matmul": lambda lib: _x(lib) @ meta(lib, 3, 4),
    "matmul_batched": lambda lib: meta(lib, 5, 2, 3) @ meta(lib, 3, 4),
    "dot": lambda lib: meta(lib, 3) @ meta(lib, 3),
    "mv": lambda lib: lib.mv(_x(lib), meta(lib, 3)),
    "bmm": lambda lib: lib.bmm(meta(lib, 2, 2, 3), meta(lib, 2, 3, 4)),
    "einsum": lambda lib: lib.einsum("bi,bj->bij", _x(lib), _x(lib)),
    "linear": lambda lib: lib.nn.functional.linear(_x(lib), meta(lib, 4, 3), meta(lib, 4)),
    # views
    "view": lambda lib: _x(lib).view(3, 2),
    "reshape": lambda lib: _x(lib).reshape(-1),
    "t": lambda lib: _x(lib).t(),
    "permute": lambda lib: meta(lib, 2, 3, 4).permute(2, 0, 1),
    "getitem": lambda lib: _x(lib)[:, 1:],
    "select": lambda lib: _x(lib)[0],
    "expand": lambda lib: meta(lib, 1, 3).expand(4, 3),
    "unbind": lambda lib: _x(lib).unbind(),
    "chunk": lambda lib: meta(lib, 4, 3).chunk(2),
    "flatten": lambda lib: meta(lib, 2, 3, 4).flatten(1),
    # indexing with meta indices
    "gather": lambda lib: _x(lib).gather(1, long_meta(lib, 2, 1)),
    "scatter": lambda lib: _x(lib).scatter(1, long_meta(lib, 2, 1), _x(lib)),
    "index_select": lambda lib: _x(lib).index_select(0, long_meta(lib, 2)),
    # nn.functional
    "relu": lambda lib: lib.nn.functional.relu(_x(lib)),
    "gelu": lambda lib: lib.nn.functional.gelu(_x(lib)),
    "softmax": lambda lib: lib.nn.functional.softmax(_x(lib), 1),
    "log_softmax": lambda lib: lib.nn.functional.log_softmax(_x(lib), 1),
    "layer_norm": lambda lib: lib.nn.functional.layer_norm(_x(lib), (3,)),
    "cross_entropy": lambda lib: lib.nn.functional.cross_entropy(_x(lib), long_meta(lib, 2)),
    "mse_loss": lambda lib: lib.nn.functional.mse_loss(_x(lib), _x(lib)),
    "conv2d": lambda lib: lib.nn.functional.conv2d(meta(lib, 1, 2, 5, 5), meta(lib, 3, 2, 3, 3)),
    "max_pool2d": lambda lib: lib.nn.functional.max_pool2d(meta(lib, 1, 1, 4, 4), 2),
    "embedding": lambda lib: lib.nn.functional.embedding(long_meta(lib, 2), meta(lib, 5, 3)),
    "sdpa": lambda lib: lib.nn.functional.scaled_dot_product_attention(
        meta(lib, 1, 2, 3, 4), meta(lib, 1, 2, 3, 4), meta(lib, 1, 2, 3, 4)),
    "argsort": lambda lib: _x(lib).argsort(),
    "all": lambda lib: _x(lib).all(1),
    "one_hot": lambda lib: lib.nn.functional.one_hot(long_meta(lib, 2), 3),
    "getitem_tensor_index": lambda lib: _x(lib)[long_meta(lib, 2)],
    "dropout": lambda lib: lib.nn.functional.dropout(_x(lib), 0.5),
    "lstm": lambda lib: lib.nn.LSTM(3, 4, device="meta")(meta(lib, 5, 2, 3))[0],
}


@pytest.mark.parametrize("name", OPS)
def test_operation_on_meta_tensors_gives_a_meta_tensor(name):
    result = same_as_torch(OPS[name])
    devices = [r[0] for r in result] if isinstance(result[0], tuple) else [result[0]]
    assert set(devices) == {"meta"}  # (torch's answer: a meta tensor, never values)


def _module(lib, name):
    lib.manual_seed(0)
    nn = lib.nn
    if name == "linear":
        return nn.Linear(3, 4, device="meta"), meta(lib, 2, 3)
    if name == "conv":
        return nn.Conv2d(2, 3, 3, padding=1, device="meta"), meta(lib, 1, 2, 5, 5)
    if name == "batch_norm":
        return nn.BatchNorm1d(3, device="meta"), meta(lib, 4, 3)
    if name == "mha":
        attention = nn.MultiheadAttention(4, 2, device="meta")
        return (lambda x: attention(x, x, x)[0]), meta(lib, 3, 2, 4)
    with lib.device("meta"):  # a whole block, built on meta
        return nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), lib.empty(3, 2, 4)


@pytest.mark.parametrize("name", ["linear", "conv", "batch_norm", "mha", "transformer"])
def test_module_forward_on_meta(name):
    def run(lib):
        module, x = _module(lib, name)
        return module(x)

    assert same_as_torch(run)[0] == "meta"


def test_results_hold_no_memory_whatever_their_size():
    """A 40000 x 40000 float32 tensor would take 6.4 GB: on meta, elementwise arithmetic,
    matrix products, views and dtype casts are worked out from one element (torch-free:
    the shapes are the rules' own)."""
    x = torchlet.empty(40000, 40000, device="meta")
    w = torchlet.empty(40000, 40000, device="meta", requires_grad=True)
    start = time.perf_counter()
    results = [x + x, x * 2.0 - 1, x @ w, torchlet.nn.functional.linear(x, w), x.t() / 3,
               x.double(), (x > 0) & (x < 1), x.view(-1)]
    assert time.perf_counter() - start < 2.0  # (computing any of them would take minutes)
    assert [r.shape for r in results] == [(40000, 40000)] * 7 + [(1600000000,)]
    for r in results:
        assert r.is_meta
        assert r._data.strides == (0,) * r._data.ndim  # one element, seen everywhere


# ---------------------------------------------------------------------------------------
# 2. devices mixed, shapes that do not broadcast


MIXED = {
    "meta_plus_cpu": lambda lib: _x(lib) + lib.ones(2, 3),
    "cpu_plus_meta": lambda lib: lib.ones(2, 3) + _x(lib),
    "cpu_times_meta_0d": lambda lib: lib.ones(2, 3) * meta(lib),
    "meta_0d_times_cpu": lambda lib: meta(lib) * lib.ones(2, 3),
    "sub": lambda lib: lib.sub(_x(lib), lib.ones(3)),
    "maximum": lambda lib: lib.maximum(_x(lib), lib.ones(2, 3)),
    "compare": lambda lib: _x(lib) > lib.ones(2, 3),
    "cat_meta_first": lambda lib: lib.cat([_x(lib), lib.ones(2, 3)]),
    "cat_cpu_first": lambda lib: lib.cat([lib.ones(2, 3), _x(lib)]),
    "stack": lambda lib: lib.stack([_x(lib), lib.ones(2, 3)]),
    "where": lambda lib: lib.where(_x(lib) > 0, _x(lib), lib.ones(2, 3)),
    "mse_loss": lambda lib: lib.nn.functional.mse_loss(_x(lib), lib.ones(2, 3)),
    "lerp": lambda lib: lib.lerp(_x(lib), lib.ones(2, 3), 0.5),
    "addcmul": lambda lib: lib.addcmul(_x(lib), lib.ones(2, 3), lib.ones(2, 3)),
    "dot": lambda lib: lib.dot(meta(lib, 3), lib.ones(3)),
    # broadcasting is checked first, with the message of torch's meta kernels
    "no_broadcast": lambda lib: _x(lib) + meta(lib, 3, 2),
    "no_broadcast_1d": lambda lib: _x(lib) * meta(lib, 4),
    "no_broadcast_first": lambda lib: meta(lib, 4) + _x(lib),
    "no_broadcast_third": lambda lib: lib.addcmul(_x(lib), _x(lib), meta(lib, 4)),
    "no_broadcast_and_cpu": lambda lib: _x(lib) + lib.ones(3, 2),
}


@pytest.mark.parametrize("name", MIXED)
def test_mixing_devices_and_bad_shapes_raise_torch_errors(name):
    error = same_as_torch(MIXED[name])
    assert error[0] == "RuntimeError"


def test_in_place_operations_on_meta_take_cpu_operands():
    def run(lib):
        t = meta(lib, 2, 3)
        t.add_(lib.ones(2, 3)).mul_(lib.ones(3)).copy_(lib.ones(2, 3))
        t[0] = lib.ones(3)
        return t

    assert same_as_torch(run)[0] == "meta"


# ---------------------------------------------------------------------------------------
# 3. no values to read


READS = {
    "item": lambda lib: _x(lib).sum().item(),
    "float": lambda lib: float(_x(lib).sum()),
    "int": lambda lib: int(_x(lib).long().sum()),
    "bool": lambda lib: bool(_x(lib).sum() > 0),
    "index": lambda lib: [1, 2, 3][meta(lib, dtype=lib.long) + 1],
    "tolist": lambda lib: (_x(lib) * 2).tolist(),
    "numpy": lambda lib: _x(lib).exp().numpy(),
    "np_asarray": lambda lib: np.asarray(_x(lib) + 1),
    "to_cpu": lambda lib: _x(lib).sum(0).to("cpu"),
    "cpu": lambda lib: _x(lib).mean(1).cpu(),
    "as_tensor_cpu": lambda lib: lib.as_tensor(_x(lib), device="cpu"),
    "copy_into_cpu": lambda lib: lib.ones(2, 3).copy_(_x(lib)),
    "setitem_into_cpu": lambda lib: lib.ones(2, 3).__setitem__(0, meta(lib, 3)),
    "str": lambda lib: str(_x(lib).sum(1)),
    "repr_requires_grad": lambda lib: repr(meta(lib, 2, requires_grad=True) * 2),
    "repr_int": lambda lib: repr(meta(lib, 2, dtype=lib.float64).argmax(0)),
}


@pytest.mark.parametrize("name", READS)
def test_reading_values_of_meta_results(name):
    same_as_torch(READS[name])


# ---------------------------------------------------------------------------------------
# 4. backward: the gradients are meta tensors


def _backward_case(name):
    def run(lib):
        F = lib.nn.functional
        p = [meta(lib, *s, requires_grad=True) for s in SHAPES[name]]
        LOSSES[name](lib, F, *p).backward()
        return tuple(leaf.grad for leaf in p)

    return run


SHAPES = {
    "linear_relu_mean": [(2, 3), (4, 3), (4,)],
    "leaf_sum": [(2, 3)],
    "leaf_is_root": [()],
    "cross_entropy": [(2, 3)],
    "layer_norm": [(2, 3), (3,), (3,)],
    "conv": [(1, 2, 5, 5), (3, 2, 3, 3)],
    "max": [(2, 3)],
    "sort": [(2, 3)],
    "cat_slice": [(2, 3), (2, 3)],
    "embedding": [(5, 3)],
    "softmax_matmul": [(2, 3), (3, 3)],
    "mse_to_constant": [(2, 3)],
}
LOSSES = {
    "linear_relu_mean": lambda lib, F, x, w, b: F.linear(x, w, b).relu().mean(),
    "leaf_sum": lambda lib, F, x: x.sum(),
    "leaf_is_root": lambda lib, F, x: x,
    "cross_entropy": lambda lib, F, x: F.cross_entropy(x, long_meta(lib, 2)),
    "layer_norm": lambda lib, F, x, g, b: F.layer_norm(x, (3,), g, b).pow(2).sum(),
    "conv": lambda lib, F, x, k: F.conv2d(x, k).sum(),
    "max": lambda lib, F, x: x.max(1)[0].sum(),
    "sort": lambda lib, F, x: x.sort(1)[0][:, 0].sum(),
    "cat_slice": lambda lib, F, a, b: lib.cat([a, b])[1:3].sum(),
    "embedding": lambda lib, F, w: F.embedding(long_meta(lib, 4), w).sum(),
    "softmax_matmul": lambda lib, F, x, w: F.softmax(x @ w, 1).sum(),
    "mse_to_constant": lambda lib, F, x: F.mse_loss(x, lib.zeros(2, 3, device="meta")),
}


@pytest.mark.parametrize("name", SHAPES)
def test_backward_through_meta_gives_meta_gradients(name):
    grads = same_as_torch(_backward_case(name))
    assert all(g[0] == "meta" for g in grads)


def test_backward_from_a_given_meta_gradient_and_module_gradients():
    def run(lib):
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
        model.to("meta")
        out = model(meta(lib, 5, 3))
        out.backward(lib.ones_like(out))
        return out, tuple(p.grad for p in model.parameters())

    same_as_torch(run)


def test_grad_fn_of_meta_results_is_torch_node():
    def run(lib):
        x = meta(lib, 2, 3, requires_grad=True)
        y = (x * 2).sum(1)
        return y.grad_fn.name(), type(y.grad_fn).__name__, y.grad_fn.next_functions[0][0].name()

    same_as_torch(run)
