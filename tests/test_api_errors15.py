"""Argument errors raised as torch 2.13.0 raises them (checked live against torch where it
is installed, and against the messages written out where it is not):

1. a ``dim`` that is not an int (a str, a float, a bool, None, a float tensor) given to
   softmax, log_softmax, softmin, gumbel_softmax, glu and their modules is torch's
   parser error (``softmax(): argument 'dim' (position 1) must be int, not str``), not a
   failed comparison leaking from the dim check; a bad ``dtype`` likewise;
2. ``Tensor.size`` / ``stride`` count their arguments without self, refuse a non-int dim
   and report a 0-d tensor's missing dimensions; ``dim``/``numel`` (and their aliases)
   take no argument, with torch's message;
3. the creation functions refuse a ``layout`` that is not a torch.layout, accept
   ``strided`` (and None), and raise for a layout torchlet does not have;
4. every nn layer reports a missing, surplus or unknown constructor argument under its own
   name (``Conv2d.__init__()``), not its private base class's (``_Conv.__init__()``).
"""

import copy
import importlib
import inspect
import pickle
import warnings

import numpy as np
import pytest

import torchlet


def _torch():
    return pytest.importorskip("torch")


def _error(call, *args):
    """(exception type name, message) of ``call(*args)``; None when it returns."""
    try:
        call(*args)
    except Exception as error:  # noqa: BLE001 - any exception is the result compared
        return type(error).__name__, str(error)
    return None


# ================================================================ 1. softmax & co.'s dim


def _softmax_calls(lib, dim):
    F = importlib.import_module(f"{lib.__name__}.nn.functional")  # noqa: N806
    x = lib.ones(2, 3)
    return {
        "x.softmax": lambda: x.softmax(dim),
        "x.log_softmax": lambda: x.log_softmax(dim),
        "F.softmax": lambda: F.softmax(x, dim),
        "F.log_softmax": lambda: F.log_softmax(x, dim),
        "F.softmin": lambda: F.softmin(x, dim),
        "F.gumbel_softmax": lambda: F.gumbel_softmax(x, dim=dim),
        "F.glu": lambda: F.glu(lib.ones(2, 4), dim),
        "nn.Softmax": lambda: lib.nn.Softmax(dim)(x),
        "nn.LogSoftmax": lambda: lib.nn.LogSoftmax(dim)(x),
        "nn.Softmin": lambda: lib.nn.Softmin(dim)(x),
        "nn.GLU": lambda: lib.nn.GLU(dim)(lib.ones(2, 4)),
    }


_BAD_DIMS = {"str": lambda lib: "a", "float": lambda lib: 1.5, "bool": lambda lib: True,
             "float tensor": lambda lib: lib.tensor(1.0),
             "1-d tensor": lambda lib: lib.tensor([1])}


@pytest.mark.parametrize("kind", sorted(_BAD_DIMS))
def test_softmax_family_refuses_a_non_int_dim_as_torch(kind):
    torch = _torch()
    ours = {k: _error(f) for k, f in _softmax_calls(torchlet, _BAD_DIMS[kind](torchlet)).items()}
    theirs = {k: _error(f) for k, f in _softmax_calls(torch, _BAD_DIMS[kind](torch)).items()}
    assert ours == theirs


def test_softmax_dim_messages_written_out():
    x = torchlet.ones(2, 3)
    F = torchlet.nn.functional  # noqa: N806
    cases = [
        (lambda: x.softmax("a"), "softmax(): argument 'dim' (position 1) must be int, not str"),
        (lambda: x.log_softmax(1.5),
         "log_softmax(): argument 'dim' (position 1) must be int, not float"),
        (lambda: F.softmin(x, "a"), "softmax(): argument 'dim' (position 1) must be int, not str"),
        (lambda: F.glu(x, None), "glu(): argument 'dim' (position 2) must be int, not NoneType"),
        (lambda: x.softmax(True), "softmax(): argument 'dim' (position 1) must be int, not bool"),
        (lambda: x.softmax(1, "a"), "softmax(): argument 'dtype' must be torch.dtype, not str"),
        (lambda: F.softmax(x, 1, dtype=3),
         "softmax(): argument 'dtype' must be torch.dtype, not int"),
    ]
    for call, message in cases:
        assert _error(call) == ("TypeError", message)


def test_tensor_softmax_needs_a_dim_but_functional_softmax_picks_one():
    """None is no dim for the Tensor methods (torch's parser wants an int); F.softmax's
    Python picks one itself, with its deprecation warning."""
    x = torchlet.ones(2, 3)
    for method in ("softmax", "log_softmax"):
        assert _error(getattr(x, method), None) == (
            "TypeError", f"{method}(): argument 'dim' (position 1) must be int, not NoneType")
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        assert torchlet.nn.functional.softmax(x, None).shape == (2, 3)


def test_softmax_takes_numpy_ints_and_integer_scalar_tensors():
    x = torchlet.arange(6.0).reshape(2, 3)
    expected = x.softmax(1).tolist()
    for dim in (np.int64(1), torchlet.tensor(1), np.int32(-1)):
        assert x.softmax(dim).tolist() == expected
        assert torchlet.nn.functional.log_softmax(x, dim).exp().allclose(x.softmax(1))
    assert x.softmax(1, float).dtype == torchlet.float64  # (a Python type is a dtype too)


def test_glu_checks_scalars_before_the_dim_and_the_dim_before_the_dtype():
    torch = _torch()
    for lib in (torchlet, torch):
        F = importlib.import_module(f"{lib.__name__}.nn.functional")  # noqa: N806
        assert _error(F.glu, lib.ones(()), "a")[0] == "RuntimeError"
        assert _error(F.glu, lib.ones(2, dtype=lib.int64), "a") == (
            "TypeError", "glu(): argument 'dim' (position 2) must be int, not str")


# ================================================================ 2. size, stride, dim, numel


def _shape_calls(lib):
    x = lib.ones(2, 3)
    scalar = lib.tensor(1.0)
    return {
        "size(1, 2)": lambda: x.size(1, 2),
        "size(1, 2, 3)": lambda: x.size(1, 2, 3),
        "size(None, 2)": lambda: x.size(None, 2),
        "size('a')": lambda: x.size("a"),
        "size(1.5)": lambda: x.size(1.5),
        "size(True)": lambda: x.size(True),
        "size(1, dim=1)": lambda: x.size(1, dim=1),
        "size(d=1)": lambda: x.size(d=1),
        "size(5)": lambda: x.size(5),
        "stride(1, 2)": lambda: x.stride(1, 2),
        "stride('a')": lambda: x.stride("a"),
        "stride(None)": lambda: x.stride(None),
        "stride(-3)": lambda: x.stride(-3),
        "scalar.size(0)": lambda: scalar.size(0),
        "scalar.size(-1)": lambda: scalar.size(-1),
        "scalar.stride(0)": lambda: scalar.stride(0),
        "dim(1)": lambda: x.dim(1),
        "ndimension(1)": lambda: x.ndimension(1),
        "numel(1)": lambda: x.numel(1),
        "nelement(1, 2)": lambda: x.nelement(1, 2),
    }


def test_size_stride_dim_numel_argument_errors_as_torch():
    torch = _torch()
    ours = {k: _error(f) for k, f in _shape_calls(torchlet).items()}
    theirs = {k: _error(f) for k, f in _shape_calls(torch).items()}
    assert ours == theirs


def test_size_stride_dim_numel_messages_written_out():
    x = torchlet.ones(2, 3)
    assert _error(lambda: x.size(1, 2)) == (
        "TypeError", "size() takes from 0 to 1 positional arguments but 2 were given")
    assert _error(lambda: x.stride("a")) == (
        "TypeError", "stride(): argument 'dim' (position 1) must be int, not str")
    assert _error(lambda: torchlet.tensor(1.0).size(0)) == (
        "IndexError", "Dimension specified as 0 but tensor has no dimensions")
    assert _error(x.dim, 1) == ("TypeError", "TensorBase.dim() takes no arguments (1 given)")
    assert _error(lambda: x.numel(1, 2)) == (
        "TypeError", "TensorBase.numel() takes no arguments (2 given)")


def test_size_and_stride_still_answer():
    x = torchlet.ones(2, 3, 4).transpose(0, 2)
    assert x.size() == (4, 3, 2) and type(x.size()) is torchlet.Size
    assert repr(x.size()) == "torch.Size([4, 3, 2])"
    assert [x.size(d) for d in (0, 1, 2, -1, -3)] == [4, 3, 2, 2, 4]
    assert x.size(np.int64(1)) == 3 and x.size(dim=-1) == 2 and x.size(axis=0) == 4
    assert x.stride() == (1, 4, 12) and [x.stride(d) for d in (0, -1)] == [1, 12]
    assert x.dim() == x.ndimension() == 3 and x.numel() == x.nelement() == 24
    assert torchlet.tensor(1.0).size() == () and torchlet.tensor(1.0).stride() == ()


# ================================================================ 3. layout


_LAYOUT_FNS = {
    "zeros": lambda lib, lay: lib.zeros(2, layout=lay),
    "ones": lambda lib, lay: lib.ones(2, layout=lay),
    "empty": lambda lib, lay: lib.empty(2, layout=lay),
    "full": lambda lib, lay: lib.full((2,), 1.0, layout=lay),
    "zeros_like": lambda lib, lay: lib.zeros_like(lib.ones(2), layout=lay),
    "ones_like": lambda lib, lay: lib.ones_like(lib.ones(2), layout=lay),
    "empty_like": lambda lib, lay: lib.empty_like(lib.ones(2), layout=lay),
    "full_like": lambda lib, lay: lib.full_like(lib.ones(2), 1.0, layout=lay),
    "scalar_tensor": lambda lib, lay: lib.scalar_tensor(1.0, layout=lay),
}
# torch's parser words these as "an invalid combination of arguments" (a TypeError too)
_LAYOUT_FNS_OVERLOADED = {
    "arange": lambda lib, lay: lib.arange(3, layout=lay),
    "linspace": lambda lib, lay: lib.linspace(0, 1, 3, layout=lay),
    "logspace": lambda lib, lay: lib.logspace(0, 1, 3, layout=lay),
    "eye": lambda lib, lay: lib.eye(2, layout=lay),
}


@pytest.mark.parametrize("bad, type_name", [(3, "int"), ("torch.strided", "str"),
                                             ("float32", "torch.dtype")])
def test_a_layout_that_is_no_torch_layout_is_torchs_type_error(bad, type_name):
    torch = _torch()
    ours_bad, torch_bad = (getattr(lib, bad) if bad == "float32" else bad
                           for lib in (torchlet, torch))
    for make in _LAYOUT_FNS.values():
        assert _error(make, torchlet, ours_bad) == _error(make, torch, torch_bad)
    for make in _LAYOUT_FNS_OVERLOADED.values():
        ours = _error(make, torchlet, ours_bad)
        assert ours[0] == _error(make, torch, torch_bad)[0] == "TypeError"
        assert ours[1].endswith(f"(): argument 'layout' must be torch.layout, not {type_name}")


def test_layout_messages_written_out():
    assert _error(lambda: torchlet.ones(2, layout=3)) == (
        "TypeError", "ones(): argument 'layout' must be torch.layout, not int")
    assert _error(lambda: torchlet.zeros_like(torchlet.ones(2), layout="strided")) == (
        "TypeError", "zeros_like(): argument 'layout' must be torch.layout, not str")
    assert _error(lambda: torchlet.eye(2, layout=torchlet.sparse_coo)) == (
        "NotImplementedError", "eye(): torchlet has only the strided layout, not "
        "torch.sparse_coo")


def test_strided_and_none_are_accepted_everywhere():
    for make in {**_LAYOUT_FNS, **_LAYOUT_FNS_OVERLOADED}.values():
        with_strided = make(torchlet, torchlet.strided)
        assert with_strided.dtype == make(torchlet, None).dtype
        assert with_strided.shape == make(torchlet, None).shape


def test_other_layouts_raise_except_for_scalar_tensor():
    for layout in (torchlet.sparse_coo, torchlet.sparse_csr, torchlet._mkldnn):
        for name, make in {**_LAYOUT_FNS, **_LAYOUT_FNS_OVERLOADED}.items():
            if name == "scalar_tensor":  # torch's result is strided whatever the layout
                assert make(torchlet, layout).tolist() == 1.0
            else:
                with pytest.raises(NotImplementedError, match="only the strided layout"):
                    make(torchlet, layout)


def test_layouts_print_and_copy_as_torchs():
    torch = _torch()
    for name in ("strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr",
                 "sparse_bsc", "_mkldnn", "jagged"):
        ours, theirs = getattr(torchlet, name), getattr(torch, name)
        assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
        assert pickle.loads(pickle.dumps(ours)) is ours
        assert copy.copy(ours) is ours and copy.deepcopy(ours) is ours
    assert torchlet.strided != torchlet.sparse_coo
    assert repr(torchlet.ones(2).layout) == repr(torch.ones(2).layout) == "torch.strided"
    assert torchlet.ones(2).layout is torchlet.strided
    assert type(torchlet.strided) is torchlet.layout


# ================================================================ 4. nn constructors


_CALLS = {"()": lambda c: c(), "(1)": lambda c: c(1), "(1, 2)": lambda c: c(1, 2),
          "(1, 2, 3)": lambda c: c(1, 2, 3), "(30 args)": lambda c: c(*[1] * 30),
          "(zz=1)": lambda c: c(zz=1)}


def _constructor_errors(lib, names):
    """torch's "X.__init__() missing / takes / got an unexpected" errors, per layer and
    call (other outcomes are not what is compared here)."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            for call_name, call in _CALLS.items():
                error = _error(call, getattr(lib.nn, name))
                if error is not None and "__init__()" in error[1]:
                    out[name, call_name] = error
    return out


def _layers(lib):
    return {name for name in dir(lib.nn) if inspect.isclass(getattr(lib.nn, name))
            and issubclass(getattr(lib.nn, name), lib.nn.Module)}


def test_layer_constructor_errors_name_the_layer_as_torch():
    torch = _torch()
    names = sorted(_layers(torchlet) & _layers(torch))
    ours, theirs = _constructor_errors(torchlet, names), _constructor_errors(torch, names)
    assert ours == theirs
    assert len(theirs) > 100  # (the comparison covers the families this fixed)


@pytest.mark.parametrize("name, missing", [
    ("Conv1d", "3 required positional arguments: 'in_channels', 'out_channels', and "
               "'kernel_size'"),
    ("Conv2d", "3 required positional arguments: 'in_channels', 'out_channels', and "
               "'kernel_size'"),
    ("ConvTranspose3d", "3 required positional arguments: 'in_channels', 'out_channels', "
                        "and 'kernel_size'"),
    ("LazyConv2d", "2 required positional arguments: 'out_channels' and 'kernel_size'"),
    ("LazyConvTranspose1d", "2 required positional arguments: 'out_channels' and "
                            "'kernel_size'"),
    ("AvgPool2d", "1 required positional argument: 'kernel_size'"),
    ("AvgPool3d", "1 required positional argument: 'kernel_size'"),
    ("FractionalMaxPool2d", "1 required positional argument: 'kernel_size'"),
])
def test_missing_constructor_arguments_written_out(name, missing):
    assert _error(lambda: getattr(torchlet.nn, name)()) == (
        "TypeError", f"{name}.__init__() missing {missing}")


@pytest.mark.parametrize("name", ["ReLU", "SELU", "SiLU", "Mish", "Softmax", "LogSoftmax",
                                  "Softmin"])
def test_one_option_layers_name_themselves(name):
    assert _error(lambda: getattr(torchlet.nn, name)(1, 2)) == (
        "TypeError", f"{name}.__init__() takes from 1 to 2 positional arguments but 3 were "
        "given")


def test_layers_still_build_and_run():
    """The explicit constructors pass every argument on, by position and by keyword."""
    torchlet.manual_seed(0)
    conv = torchlet.nn.Conv2d(2, 4, 3, stride=2, padding=1, dilation=1, groups=2, bias=False,
                              padding_mode="reflect")
    assert conv.weight.shape == (4, 1, 3, 3) and conv.bias is None
    assert conv(torchlet.ones(1, 2, 5, 5)).shape == (1, 4, 3, 3)
    up = torchlet.nn.ConvTranspose1d(2, 3, 3, 2, 1, 1, 1, True, 1)
    assert up.output_padding == (1,) and up(torchlet.ones(1, 2, 4)).shape == (1, 3, 8)
    lazy = torchlet.nn.LazyConvTranspose2d(3, 2, stride=2)
    assert lazy(torchlet.ones(1, 5, 2, 2)).shape == (1, 3, 4, 4)
    assert type(lazy) is torchlet.nn.ConvTranspose2d and lazy.in_channels == 5
    lazy = torchlet.nn.LazyConv3d(2, 1)
    assert lazy(torchlet.ones(1, 3, 2, 2, 2)).shape == (1, 2, 2, 2, 2)
    pool = torchlet.nn.AvgPool2d(2, divisor_override=1)
    assert pool(torchlet.ones(1, 1, 2, 2)).tolist() == [[[[4.0]]]]
    assert torchlet.nn.FractionalMaxPool2d(2, output_size=1)(torchlet.ones(1, 1, 4, 4)).shape \
        == (1, 1, 1, 1)
    assert torchlet.nn.ReLU(inplace=True).inplace and repr(torchlet.nn.Softmin(dim=1)) == \
        "Softmin(dim=1)"


# ================================================================ 5. dim of the function forms

_FUNCTION_DIMS = {
    "torch.softmax": lambda lib, x, d: lib.softmax(x, d),
    "torch.log_softmax": lambda lib, x, d: lib.log_softmax(x, d),
    "special.softmax": lambda lib, x, d: lib.special.softmax(x, d),
    "special.log_softmax": lambda lib, x, d: lib.special.log_softmax(x, d),
    "cosine_similarity": lambda lib, x, d: lib.nn.functional.cosine_similarity(x, x, d),
}


@pytest.mark.parametrize("name", _FUNCTION_DIMS)
@pytest.mark.parametrize("dim", ["a", 1.5, None, 1])
def test_function_forms_read_dim_as_torchs_parser(name, dim):
    torch = _torch()
    make = _FUNCTION_DIMS[name]
    ours = _error(make, torchlet, torchlet.ones(2, 3), dim)
    assert ours == _error(make, torch, torch.ones(2, 3), dim)
    assert (ours is None) == (dim == 1)


def test_function_form_dim_messages_written_out():
    x = torchlet.ones(2, 3)
    assert _error(torchlet.softmax, x, "a") == (
        "TypeError", "softmax(): argument 'dim' (position 2) must be int, not str")
    assert _error(torchlet.special.log_softmax, x, None) == (
        "TypeError", "special_log_softmax(): argument 'dim' (position 2) must be int, not "
        "NoneType")
    assert _error(torchlet.nn.functional.cosine_similarity, x, x, 1.5) == (
        "TypeError", "cosine_similarity(): argument 'dim' (position 3) must be int, not float")


# ================================================================ 6. layout= of the other creators

_MORE_LAYOUT_FNS = {
    "rand": lambda lib, lay: lib.rand(2, layout=lay),
    "randn": lambda lib, lay: lib.randn(2, layout=lay),
    "randint": lambda lib, lay: lib.randint(5, (2,), layout=lay),
    "randperm": lambda lib, lay: lib.randperm(3, layout=lay),
    "rand_like": lambda lib, lay: lib.rand_like(lib.ones(2), layout=lay),
    "randn_like": lambda lib, lay: lib.randn_like(lib.ones(2), layout=lay),
    "randint_like": lambda lib, lay: lib.randint_like(lib.ones(2), 5, layout=lay),
    "normal": lambda lib, lay: lib.normal(0.0, 1.0, (2,), layout=lay),
    "new_zeros": lambda lib, lay: lib.ones(2).new_zeros(2, layout=lay),
    "new_ones": lambda lib, lay: lib.ones(2).new_ones(2, layout=lay),
    "new_empty": lambda lib, lay: lib.ones(2).new_empty(2, layout=lay),
    "new_full": lambda lib, lay: lib.ones(2).new_full((2,), 1.0, layout=lay),
    "empty_strided": lambda lib, lay: lib.empty_strided((2,), (1,), layout=lay),
    "tril_indices": lambda lib, lay: lib.tril_indices(3, 3, layout=lay),
    "triu_indices": lambda lib, lay: lib.triu_indices(3, 3, layout=lay),
    "hann_window": lambda lib, lay: lib.hann_window(4, layout=lay),
    "kaiser_window": lambda lib, lay: lib.kaiser_window(4, layout=lay),
    "range": lambda lib, lay: lib.range(0, 2, layout=lay),
}


@pytest.mark.parametrize("name", _MORE_LAYOUT_FNS)
@pytest.mark.filterwarnings("ignore::UserWarning")  # (torch.range is deprecated)
def test_other_creators_check_layout_as_torch(name):
    torch = _torch()
    make = _MORE_LAYOUT_FNS[name]
    ours, theirs = _error(make, torchlet, 3), _error(make, torch, 3)
    assert ours is not None and ours[0] == theirs[0] == "TypeError"
    assert "layout" in ours[1] and name in ours[1]
    strided = make(torchlet, torchlet.strided)
    assert strided.layout is torchlet.strided
    assert strided.shape == make(torch, torch.strided).shape
    if name not in ("new_zeros", "new_empty"):  # (torch makes those sparse; we cannot)
        assert _error(make, torchlet, torchlet.sparse_coo)[0] in (
            "NotImplementedError", "RuntimeError")


# ================================================================ 7. too many arguments to a method

_TOO_MANY = {
    "logsumexp": lambda lib, x: x.logsumexp(1, True, 3),
    "softmax": lambda lib, x: x.softmax(1, None, 3),
    "unsqueeze": lambda lib, x: x.unsqueeze(1, 2),
    "gather": lambda lib, x: x.gather(1, x.long(), 2, 3),
    "torch.logsumexp": lambda lib, x: lib.logsumexp(x, 1, True, 3),
}


@pytest.mark.parametrize("name", _TOO_MANY)
def test_too_many_arguments_are_counted_without_self(name):
    torch = _torch()
    make = _TOO_MANY[name]
    ours = _error(make, torchlet, torchlet.ones(2, 3))
    assert ours == _error(make, torch, torch.ones(2, 3))
    assert ours[0] == "TypeError" and "Tensor." not in ours[1]


def test_too_many_arguments_written_out():
    x = torchlet.ones(2, 3)
    assert _error(lambda: x.unsqueeze(1, 2)) == (
        "TypeError", "unsqueeze() takes 1 positional argument but 2 were given")
    assert _error(lambda: x.logsumexp(1, True, 3)) == (
        "TypeError", "logsumexp() takes from 1 to 2 positional arguments but 3 were given")
