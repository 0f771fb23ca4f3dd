"""Type names in argument errors, live against torch.

torch's argument parser names a wrong argument by CPython's ``tp_name`` of its type: a
builtin or a class written in Python by its bare name (``list``, ``Foo``, ``Parameter``),
a C extension type with its module (``numpy.ndarray``, ``numpy.float64``). Functions
torch writes in Python fail instead at the first Tensor method they call
(``'numpy.ndarray' object has no attribute 'dim'``), and Python-level torch code that
formats ``type(x).__name__`` itself keeps the bare name (``ndarray``).

Every comparison here is exact: the exception type and the whole message, torch's and
torchlet's, for the same call."""

import array
import collections
import datetime
import fractions
import warnings

import numpy as np
import pytest

import torchlet
from torchlet._dtype import type_name

torch = pytest.importorskip("torch")


class Foo:
    """A user class: torch prints its bare name, not ``module.Foo``."""


class Outer:
    class Inner:
        pass


BAD = {
    "ndarray": lambda: np.ones(3, np.float32),
    "np.float64": lambda: np.float64(1.5),
    "list": lambda: [1.0, 2.0],
    "tuple": lambda: (1, 2),
    "str": lambda: "ab",
    "None": lambda: None,
    "Foo": Foo,
}


def _outcome(call, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            call(lib)
        except Exception as error:  # noqa: BLE001 - the exception is what is compared
            return type(error).__name__, str(error)
    return "returned", None


def _same_as_torch(call):
    expected = _outcome(call, torch)
    assert expected[0] != "returned", "torch accepts the call: not an error case"
    assert _outcome(call, torchlet) == expected


# ---------------------------------------------------------------------------------------
# type_name: CPython's tp_name, as torch.sum's argument error shows it


def _torch_name(x) -> str:
    try:
        torch.sum(x)
    except TypeError as error:
        return str(error).rsplit("not ", 1)[1]
    raise AssertionError("torch.sum took it")


OBJECTS = [
    np.ones(2), np.float64(1), np.float32(1), np.int64(1), np.bool_(True), [1], (1,), "s",
    None, 1, 1.5, True, 1j, b"x", {1}, {}, range(3), Foo(), Outer.Inner(),
    collections.OrderedDict(), collections.deque(), fractions.Fraction(1),
    datetime.date(2020, 1, 1), array.array("d", [1.0]), np.ones(2).view(np.matrix),
    np.ma.masked_array([1.0]), np.dtype("f4"), iter([1]), len, Foo, np,
]


@pytest.mark.parametrize("x", OBJECTS, ids=lambda x: type(x).__qualname__)
def test_type_name_is_cpythons_tp_name(x):
    assert type_name(x) == _torch_name(x)


def test_torchlets_own_types_print_as_torchs():
    pairs = [
        (torchlet.float32, torch.float32), (torchlet.device("cpu"), torch.device("cpu")),
        (torchlet.Size([1]), torch.Size([1])), (torchlet.Generator(), torch.Generator()),
        (torchlet.contiguous_format, torch.contiguous_format),
        (torchlet.finfo(torchlet.float32), torch.finfo(torch.float32)),
        (torchlet.iinfo(torchlet.int32), torch.iinfo(torch.int32)),
        (torchlet.ones(2).max(0), torch.ones(2).max(0)),
        (torchlet.nn.Linear(1, 1), torch.nn.Linear(1, 1)),
        ((torchlet.ones(1, requires_grad=True) * 2).grad_fn,
         (torch.ones(1, requires_grad=True) * 2).grad_fn),
    ]
    for ours, theirs in pairs:
        assert type_name(ours) == _torch_name(theirs)
    assert type_name(torchlet.ones(1)) == "Tensor"
    assert type_name(torchlet.nn.Parameter(torchlet.ones(1))) == "Parameter"


# ---------------------------------------------------------------------------------------
# functions bound in C++ by torch: "must be Tensor, not numpy.ndarray", overload lists

def _t(L):
    return L.ones(2, 3)


C_BOUND = {
    # binary operations: one signature ("must be Tensor") or an overload list
    "add(t, x)": lambda L, x: L.add(_t(L), x),
    "add(x, t)": lambda L, x: L.add(x, _t(L)),
    "sub(t, x)": lambda L, x: L.sub(_t(L), x),
    "mul(x, t)": lambda L, x: L.mul(x, _t(L)),
    "div(t, x)": lambda L, x: L.div(_t(L), x),
    "div(t, x, rounding_mode)": lambda L, x: L.div(_t(L), x, rounding_mode="floor"),
    "eq(t, x)": lambda L, x: L.eq(_t(L), x),
    "gt(x, t)": lambda L, x: L.gt(x, _t(L)),
    "fmod(t, x)": lambda L, x: L.fmod(_t(L), x),
    "remainder(t, x)": lambda L, x: L.remainder(_t(L), x),
    "remainder(x, t)": lambda L, x: L.remainder(x, _t(L)),
    "floor_divide(t, x)": lambda L, x: L.floor_divide(_t(L), x),
    "bitwise_and(t, x)": lambda L, x: L.bitwise_and(_t(L).long(), x),
    "bitwise_xor(x, t)": lambda L, x: L.bitwise_xor(x, _t(L).long()),
    "bitwise_left_shift(t, x)": lambda L, x: L.bitwise_left_shift(_t(L).long(), x),
    "pow(t, x)": lambda L, x: L.pow(_t(L), x),
    "pow(x, t)": lambda L, x: L.pow(x, _t(L)),
    "rsub(t, x)": lambda L, x: L.rsub(_t(L), x),
    "copysign(t, x)": lambda L, x: L.copysign(_t(L), x),
    "xlogy(x, t)": lambda L, x: L.xlogy(x, _t(L)),
    "special.xlog1py(t, x)": lambda L, x: L.special.xlog1py(_t(L), x),
    "special.zeta(x, t)": lambda L, x: L.special.zeta(x, _t(L)),
    "special.chebyshev_polynomial_t(t, x)":
        lambda L, x: L.special.chebyshev_polynomial_t(_t(L), x),
    "maximum(t, x)": lambda L, x: L.maximum(_t(L), x),
    "atan2(t, x)": lambda L, x: L.atan2(_t(L), x),
    "hypot(t, x)": lambda L, x: L.hypot(_t(L), x),
    "where(c, t, x)": lambda L, x: L.where(_t(L) > 0, _t(L), x),
    "where(c, x, t)": lambda L, x: L.where(_t(L) > 0, x, _t(L)),
    "where(c, t, x, out=)": lambda L, x: L.where(_t(L) > 0, _t(L), x, out=_t(L)),
    "where(x, t, t)": lambda L, x: L.where(x, _t(L), _t(L)),
    "where(x)": lambda L, x: L.where(x),
    # one tensor argument
    "sum(x)": lambda L, x: L.sum(x),
    "exp(x)": lambda L, x: L.exp(x),
    "abs(x)": lambda L, x: L.abs(x),
    "clone(x)": lambda L, x: L.clone(x),
    "flatten(x)": lambda L, x: L.flatten(x),
    "diag(x)": lambda L, x: L.diag(x),
    "diff(t, prepend=x)": lambda L, x: L.diff(_t(L), prepend=x),
    "masked_select(t, x)": lambda L, x: L.masked_select(_t(L), x),
    "combinations(x)": lambda L, x: L.combinations(x),
    "pdist(x)": lambda L, x: L.pdist(x),
    "is_same_size(t, x)": lambda L, x: L.is_same_size(_t(L), x),
    "get_device(x)": lambda L, x: L.get_device(x),
    # lists of tensors
    "cat([t, x])": lambda L, x: L.cat([_t(L), x]),
    "stack([t, x])": lambda L, x: L.stack([_t(L), x]),
    "cartesian_prod(x)": lambda L, x: L.cartesian_prod(x),
    "meshgrid(t, x)": lambda L, x: L.meshgrid(_t(L), x, indexing="ij"),
    "block_diag(t, x)": lambda L, x: L.block_diag(_t(L), x),
    "einsum(s, t, x)": lambda L, x: L.einsum("ij,ij->", _t(L), x),
    # nn.functional bound in C++
    "F.relu(x)": lambda L, x: L.nn.functional.relu(x),
    "F.gelu(x)": lambda L, x: L.nn.functional.gelu(x),
    "F.leaky_relu(x)": lambda L, x: L.nn.functional.leaky_relu(x),
    "F.dropout(x)": lambda L, x: L.nn.functional.dropout(x),
    "F.linear(x, w)": lambda L, x: L.nn.functional.linear(x, L.ones(2, 3)),
    "F.linear(t, x)": lambda L, x: L.nn.functional.linear(_t(L), x),
    "F.layer_norm(x)": lambda L, x: L.nn.functional.layer_norm(x, (3,)),
    "F.pad(x)": lambda L, x: L.nn.functional.pad(x, (1, 1)),
    "F.embedding(x, w)": lambda L, x: L.nn.functional.embedding(x, L.ones(3, 2)),
    "F.max_pool2d(x)": lambda L, x: L.nn.functional.max_pool2d(x, 2),
    "F.avg_pool1d(x)": lambda L, x: L.nn.functional.avg_pool1d(x, 2),
    "F.pixel_shuffle(x)": lambda L, x: L.nn.functional.pixel_shuffle(x, 2),
    "F.conv2d(x, w)": lambda L, x: L.nn.functional.conv2d(x, L.ones(1, 1, 1, 1)),
    "F.conv2d(t, x)": lambda L, x: L.nn.functional.conv2d(L.ones(1, 1, 2, 2), x),
    "F.conv2d(t, w, x)": lambda L, x: L.nn.functional.conv2d(L.ones(1, 1, 2, 2),
                                                              L.ones(1, 1, 1, 1), x),
    "F.conv_transpose2d(x, w)": lambda L, x: L.nn.functional.conv_transpose2d(
        x, L.ones(1, 1, 1, 1)),
    # linalg
    "linalg.inv(x)": lambda L, x: L.linalg.inv(x),
    "linalg.det(x)": lambda L, x: L.linalg.det(x),
    "linalg.norm(x)": lambda L, x: L.linalg.norm(x),
    "linalg.matrix_norm(x)": lambda L, x: L.linalg.matrix_norm(x),
    "linalg.qr(t, mode=x)": lambda L, x: L.linalg.qr(L.eye(2), x),
    "linalg.svd(x)": lambda L, x: L.linalg.svd(x),
    "linalg.solve(t, x)": lambda L, x: L.linalg.solve(L.eye(2), x),
    "linalg.householder_product(x, t)": lambda L, x: L.linalg.householder_product(
        x, L.ones(1)),
    # int arguments
    "histc(t, bins=x)": lambda L, x: L.histc(_t(L), x),
    "hann_window(x)": lambda L, x: L.hann_window(x),
    "tril_indices(x, 3)": lambda L, x: L.tril_indices(x, 3),
    "polygamma(x, t)": lambda L, x: L.polygamma(x, _t(L)),
}


@pytest.mark.parametrize("bad", list(BAD))
@pytest.mark.parametrize("name", list(C_BOUND))
def test_c_bound_argument_errors_match_torch(name, bad):
    if name == "where(c, t, x)" and bad == "None":
        pytest.skip("where(c, t, None) reads as where(c, t): other=None is the omission")
    call = C_BOUND[name]
    value = BAD[bad]()
    if _outcome(lambda L: call(L, value), torch)[0] == "returned":
        pytest.skip("torch accepts this value here")
    _same_as_torch(lambda L: call(L, value))


# ---------------------------------------------------------------------------------------
# modules: their forward calls the functional with all its arguments

MODULES = {
    "Linear": lambda L: L.nn.Linear(3, 2),
    "Conv1d": lambda L: L.nn.Conv1d(1, 1, 1),
    "Conv2d": lambda L: L.nn.Conv2d(1, 1, 1),
    "Conv2d(bias=False)": lambda L: L.nn.Conv2d(1, 1, 1, bias=False),
    "Conv2d(padding='same')": lambda L: L.nn.Conv2d(1, 1, 1, padding="same"),
    "Conv2d(padding_mode='reflect')": lambda L: L.nn.Conv2d(1, 1, 1, padding_mode="reflect"),
    "ConvTranspose2d": lambda L: L.nn.ConvTranspose2d(1, 1, 1),
    "Embedding": lambda L: L.nn.Embedding(3, 2),
    "ReLU": lambda L: L.nn.ReLU(),
    "Softmax(dim=0)": lambda L: L.nn.Softmax(dim=0),
    "LayerNorm": lambda L: L.nn.LayerNorm(3),
    "MaxPool2d": lambda L: L.nn.MaxPool2d(2),
    "Dropout": lambda L: L.nn.Dropout(),
}


@pytest.mark.parametrize("bad", list(BAD))
@pytest.mark.parametrize("name", list(MODULES))
def test_module_forward_errors_match_torch(name, bad):
    value = BAD[bad]()
    _same_as_torch(lambda L: MODULES[name](L)(value))


# ---------------------------------------------------------------------------------------
# functions torch writes in Python: AttributeError at the first Tensor method

PYTHON_LEVEL = {
    "F.softmax(x)": lambda L, x: L.nn.functional.softmax(x),
    "F.softmax(x, 0)": lambda L, x: L.nn.functional.softmax(x, 0),
    "F.log_softmax(x, 0)": lambda L, x: L.nn.functional.log_softmax(x, 0),
    "F.softmin(x, 0)": lambda L, x: L.nn.functional.softmin(x, 0),
    "F.sigmoid(x)": lambda L, x: L.nn.functional.sigmoid(x),
    "F.tanh(x)": lambda L, x: L.nn.functional.tanh(x),
    "F.softsign(x)": lambda L, x: L.nn.functional.softsign(x),
    "F.tanhshrink(x)": lambda L, x: L.nn.functional.tanhshrink(x),
    "F.glu(x)": lambda L, x: L.nn.functional.glu(x),
    "F.dropout2d(x)": lambda L, x: L.nn.functional.dropout2d(x),
    "F.dropout1d(x, p=2)": lambda L, x: L.nn.functional.dropout1d(x, 2.0),
    "F.interpolate(x)": lambda L, x: L.nn.functional.interpolate(x, 2),
    "F.group_norm(x)": lambda L, x: L.nn.functional.group_norm(x, 1),
    "F.local_response_norm(x)": lambda L, x: L.nn.functional.local_response_norm(x, 2),
    "F.normalize(x)": lambda L, x: L.nn.functional.normalize(x),
    "split(x, 1)": lambda L, x: L.split(x, 1),
    "tensordot(t, x)": lambda L, x: L.tensordot(L.ones(2), x),
    "tensordot(x, t, dims lists)": lambda L, x: L.tensordot(x, L.ones(2), ([0], [0])),
}


@pytest.mark.parametrize("bad", [b for b in BAD if b != "str"])  # (str has .split)
@pytest.mark.parametrize("name", list(PYTHON_LEVEL))
def test_python_level_functions_match_torch(name, bad):
    value = BAD[bad]()
    _same_as_torch(lambda L: PYTHON_LEVEL[name](L, value))


# ---------------------------------------------------------------------------------------
# settings, autograd and constructors (C++ in torch) and Python-level torch code (whose
# own type(x).__name__ gives the bare name: these must not change)

ONE_OFFS = {
    "set_grad_enabled(np.bool_)": lambda L: L.set_grad_enabled(np.bool_(True)),
    "use_deterministic_algorithms(np.bool_)":
        lambda L: L.use_deterministic_algorithms(np.bool_(True)),
    "set_detect_anomaly(np.bool_)": lambda L: L.autograd.set_detect_anomaly(np.bool_(True)),
    "cudnn.deterministic = np.bool_":
        lambda L: setattr(L.backends.cudnn, "deterministic", np.bool_(True)),
    "cuda.matmul.allow_tf32 = np.bool_":
        lambda L: setattr(L.backends.cuda.matmul, "allow_tf32", np.bool_(True)),
    "autograd.Variable(ndarray)": lambda L: L.autograd.Variable(np.ones(2)),
    "set_rng_state(ndarray)": lambda L: L.set_rng_state(np.ones(2)),
    "Generator.manual_seed(ndarray)": lambda L: L.Generator().manual_seed(np.ones(2)),
    "finfo(ndarray)": lambda L: L.finfo(np.ones(2)),
    "iinfo(Foo)": lambda L: L.iinfo(Foo()),
    "Size([1, ndarray])": lambda L: L.Size([1, np.ones(2)]),
    "Size([1, np.float64])": lambda L: L.Size([1, np.float64(1)]),
    "Size([np.float64, 1])": lambda L: L.Size([np.float64(2), 1]),
    "randint(Foo, size)": lambda L: L.randint(Foo(), (2,)),
    "randperm(Foo)": lambda L: L.randperm(Foo()),
    "_foreach_add([t, ndarray], 1)": lambda L: L._foreach_add([L.ones(2), np.ones(2)], 1.0),
    "_foreach_norm(ord=ndarray)": lambda L: L._foreach_norm([L.ones(2)], np.ones(2)),
    "hook returns ndarray": lambda L: _hook_returns_array(L),
    "node hook returns ndarray": lambda L: _node_hook_returns_array(L),
    # Python-level torch: the bare __name__
    "ModuleList.extend(np.float64)": lambda L: L.nn.ModuleList().extend(np.float64(1)),
    "RNN(np.float64, 3)": lambda L: L.nn.RNN(np.float64(2), 3),
    "Unflatten(1, ndarray)": lambda L: L.nn.Unflatten(1, np.ones(2)),
    "StepLR(ndarray, 1)": lambda L: L.optim.lr_scheduler.StepLR(np.ones(2), 1),
}


def _hook_returns_array(L):
    x = L.ones(2, requires_grad=True)
    x.register_hook(lambda grad: np.ones(2))
    (x * 2).sum().backward()


def _node_hook_returns_array(L):
    y = L.ones(2, requires_grad=True) * 2
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: np.ones(2))
    y.sum().backward()


@pytest.mark.parametrize("name", list(ONE_OFFS))
def test_one_off_errors_match_torch(name):
    _same_as_torch(ONE_OFFS[name])


def test_size_still_takes_numpy_and_tensor_integers():
    for lib in (torch, torchlet):
        assert tuple(lib.Size([np.int64(2), np.array(3), lib.tensor(4), True])) == (2, 3, 4, 1)
