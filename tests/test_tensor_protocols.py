"""Tensor's Python protocols as torch 2.13 has them: binary dunders that answer
NotImplemented, reversed(), the once-per-process warnings of float() and ``.T``,
``grad_dtype``, and ``to(memory_format=...)``."""

import operator
import warnings

import numpy as np
import pytest

import torchlet
import torchlet._tensor as tensor_module


def _torch():
    return pytest.importorskip("torch")


def _outcome(fn):
    """What an expression gives: its repr, or its exception's type and message."""
    try:
        return repr(fn())
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return f"{type(error).__name__}: {error}"


class Reflected:
    """A user class with every reflected operator, as Python tries them."""

    def __radd__(self, other):
        return "radd"

    def __rsub__(self, other):
        return "rsub"

    def __rmul__(self, other):
        return "rmul"

    def __rtruediv__(self, other):
        return "rtruediv"

    def __rfloordiv__(self, other):
        return "rfloordiv"

    def __rmod__(self, other):
        return "rmod"

    def __rpow__(self, other):
        return "rpow"

    def __rand__(self, other):
        return "rand"

    def __ror__(self, other):
        return "ror"

    def __rxor__(self, other):
        return "rxor"

    def __rlshift__(self, other):
        return "rlshift"

    def __rrshift__(self, other):
        return "rrshift"

    def __eq__(self, other):
        return "eq"

    def __ne__(self, other):
        return "ne"

    def __lt__(self, other):
        return "lt"

    def __gt__(self, other):
        return "gt"

    def __le__(self, other):
        return "le"

    def __ge__(self, other):
        return "ge"

    __hash__ = object.__hash__

    def __repr__(self):
        return "Reflected()"


BINARY = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and_", "or_", "xor",
          "lshift", "rshift", "eq", "ne", "lt", "le", "gt", "ge"]
IN_PLACE = ["iadd", "isub", "imul", "itruediv", "ifloordiv", "imod", "ipow", "iand", "ior",
            "ixor", "ilshift", "irshift"]
OTHERS = [None, "a", [1, 2], (1, 2), {}, Reflected(), object()]


# ---------------------------------------------------------------------------------------
# binary dunders: NotImplemented where the function raises TypeError


def test_equality_with_non_tensors_is_false():
    t = torchlet.tensor([1, 2])
    assert (t == None) is False and (None == t) is False  # noqa: E711 - the point
    assert (t != "a") is True and ("a" != t) is True
    assert (t == [1, 2]) is False and (t == (1, 2)) is False
    assert t in [None, t] and [None, t].index(t) == 1


def test_sequences_repeat_by_an_integer_tensor():
    assert [1] * torchlet.tensor(3) == [1, 1, 1]
    assert "ab" * torchlet.tensor(2) == "abab"
    assert (1, 2) * torchlet.tensor(2) == (1, 2, 1, 2)
    with pytest.raises(TypeError, match="^only integer tensors of a single element can be "
                                        "converted to an index$"):
        torchlet.ones(2) * "a"


def test_user_class_reflected_operators_run():
    t, r = torchlet.ones(2), Reflected()
    assert (t + r, t - r, t * r, t / r, t ** r) == ("radd", "rsub", "rmul", "rtruediv", "rpow")
    assert (t < r, t == r) == ("gt", "eq")
    assert r / t == "rmul"  # torch's __rtruediv__ is self.reciprocal() * other
    t += r
    assert t == "radd"


def test_unsupported_operands_raise_pythons_error():
    t = torchlet.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^unsupported operand type\(s\) for \+: 'Tensor' "
                                        "and 'list'$"):
        t + [3, 4]
    with pytest.raises(TypeError, match="^can only concatenate list"):
        [1, 2] + t
    with pytest.raises(TypeError, match="^'<' not supported between instances of 'Tensor' "
                                        "and 'NoneType'$"):
        t < None  # noqa: B015
    with pytest.raises(TypeError, match=r"^unsupported operand type\(s\) for \+=: 'Tensor' "
                                        "and 'NoneType'$"):
        t += None
    with pytest.raises(TypeError):  # the method itself still raises
        t.add([1, 2])
    with pytest.raises(TypeError):
        t.eq(None)


@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize("op", BINARY)
def test_binary_dunders_as_torch(op, dtype):
    torch = _torch()
    fn = getattr(operator, op)
    for other in OTHERS:
        got = []
        for lib in (torch, torchlet):
            t = lib.tensor([1, 2], dtype=getattr(lib, dtype))
            got.append((_outcome(lambda t=t, o=other: fn(t, o)),
                        _outcome(lambda t=t, o=other: fn(o, t))))
        assert got[0] == got[1], (op, other)


@pytest.mark.parametrize("op", IN_PLACE)
def test_in_place_dunders_as_torch(op):
    torch = _torch()
    fn = getattr(operator, op)
    for other in OTHERS:
        got = [_outcome(lambda lib=lib, o=other: fn(lib.tensor([1, 2]), o))
               for lib in (torch, torchlet)]
        assert got[0] == got[1], (op, other)


def test_numbers_and_tensors_still_work():
    a = torchlet.tensor([1.0, 2.0])
    assert (a + 1).tolist() == [2.0, 3.0] and (2 * a).tolist() == [2.0, 4.0]
    assert (1 / a).tolist() == [1.0, 0.5] and (a == a).tolist() == [True, True]
    assert (np.float32(2) * a).tolist() == [2.0, 4.0]


# ---------------------------------------------------------------------------------------
# reversed()


def test_reversed_flips_the_first_dimension():
    t = torchlet.arange(6).reshape(3, 2)
    assert reversed(t).tolist() == [[4, 5], [2, 3], [0, 1]]
    scalar = torchlet.tensor(5)
    assert reversed(scalar) is scalar
    x = torchlet.randn(3, requires_grad=True)
    assert reversed(x).grad_fn.name() == "FlipBackward0"


def test_reversed_as_torch():
    torch = _torch()
    data = np.arange(12.0).reshape(3, 2, 2)
    ours = reversed(torchlet.tensor(data)).numpy()
    np.testing.assert_array_equal(ours, reversed(torch.tensor(data)).numpy())


# ---------------------------------------------------------------------------------------
# warnings torch gives once per process


@pytest.fixture
def fresh_warnings(monkeypatch):
    """A process in which no once-per-process warning was given yet."""
    monkeypatch.setattr(tensor_module, "_WARNED", set())


def _messages(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    assert all(w.filename == __file__ for w in caught)  # (they point at the caller)
    return [str(w.message) for w in caught]


SCALAR_WARNING = ("Converting a tensor with requires_grad=True to a scalar may lead to "
                  "unexpected behavior.\nConsider using tensor.detach() first.")


def test_float_warns_once_and_only_in_grad_mode(fresh_warnings):
    y = torchlet.tensor(2.0, requires_grad=True) * 3

    def no_grad_then_twice():
        with torchlet.no_grad():
            assert float(y) == 6.0
        assert int(y) == 6 and y.item() == 6.0
        assert float(y) == 6.0 and float(y) == 6.0

    messages = _messages(no_grad_then_twice)
    assert len(messages) == 1 and messages[0].startswith(SCALAR_WARNING)


def test_float_warns_every_time_with_warn_always(fresh_warnings):
    y = torchlet.tensor(2.0, requires_grad=True)
    torchlet.set_warn_always(True)
    try:
        messages = _messages(lambda: (float(y), float(y)))
    finally:
        torchlet.set_warn_always(False)
    assert len(messages) == 2


def test_float_warning_before_the_size_error(fresh_warnings):
    def convert():
        with pytest.raises(ValueError, match="^only one element tensors"):
            float(torchlet.ones(2, requires_grad=True))

    assert len(_messages(convert)) == 1


T_NOT_2D = "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is"
T_OF_0D = "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."


def test_transpose_property_warnings(fresh_warnings):
    def uses():
        assert torchlet.ones(2, 3, 4).T.shape == (4, 3, 2)
        assert torchlet.ones(3).T.shape == (3,)
        assert torchlet.ones(2, 3).T.shape == (3, 2)
        assert torchlet.tensor(1.0).T.shape == ()
        assert torchlet.tensor(1.0).T.shape == ()

    messages = _messages(uses)
    assert len(messages) == 2
    assert messages[0].startswith(T_NOT_2D) and messages[1].startswith(T_OF_0D)


def test_warnings_as_torch(fresh_warnings):
    """Both libraries warn every time under set_warn_always: the texts must agree."""
    torch = _torch()
    got = []
    for lib in (torch, torchlet):
        lib.set_warn_always(True)
        try:
            got.append(_messages(lambda lib=lib: (float(lib.tensor(1.0, requires_grad=True)),
                                                  lib.ones(2, 3, 4).T, lib.tensor(1.0).T)))
        finally:
            lib.set_warn_always(False)
    assert got[0] == got[1] and len(got[0]) == 3


# ---------------------------------------------------------------------------------------
# grad_dtype


def test_grad_dtype_set_and_read():
    x = torchlet.tensor([1.0, 2.0], requires_grad=True)
    assert x.grad_dtype is torchlet.float32
    x.grad_dtype = torchlet.float16
    assert x.grad_dtype is torchlet.float16
    x.grad = torchlet.ones(2, dtype=torchlet.float16)  # now the allowed dtype
    with pytest.raises(RuntimeError, match="^attempting to assign a gradient with dtype "
                                           "'float' to a tensor with grad_dtype 'Half'"):
        x.grad = torchlet.ones(2)
    x.grad_dtype = None  # any dtype
    assert x.grad_dtype is None
    x.grad = torchlet.ones(2, dtype=torchlet.int64)
    assert x.grad.dtype is torchlet.int64
    assert x.detach().grad_dtype is torchlet.float32  # not inherited


def test_grad_dtype_errors():
    x = torchlet.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="^grad_dtype must be a torch.dtype or None, but "
                                           "got str$"):
        x.grad_dtype = "a"
    with pytest.raises(RuntimeError, match="^grad_dtype can only be set on leaf tensors.$"):
        (x * 2).grad_dtype = torchlet.float64
    with pytest.raises(RuntimeError, match="^grad_dtype can only be accessed on leaf "):
        (x * 2).grad_dtype  # noqa: B018
    x.grad = torchlet.ones(2)
    with pytest.raises(RuntimeError, match="^Cannot set grad_dtype to 'Double' because there "
                                           "is already a gradient with dtype 'float'"):
        x.grad_dtype = torchlet.float64
    x.grad_dtype = None  # allowed with a gradient there


def test_grad_dtype_as_torch():
    torch = _torch()

    def script(lib):
        x = lib.ones(2, requires_grad=True)
        out = [x.grad_dtype]
        x.grad_dtype = lib.int64
        out.append(x.grad_dtype)
        out.append(_outcome(lambda: setattr(x, "grad_dtype", float)))
        out.append(_outcome(lambda: setattr(x, "grad", lib.ones(2))))
        x.grad_dtype = lib.float32
        x.grad = lib.ones(2)
        out.append(_outcome(lambda: setattr(x, "grad_dtype", lib.float16)))
        return [str(o) for o in out]

    assert script(torchlet) == script(torch)


# ---------------------------------------------------------------------------------------
# to(memory_format=...)


def test_to_channels_last_strides():
    cl = torchlet.channels_last
    t = torchlet.arange(120.0).reshape(2, 3, 4, 5).requires_grad_()
    u = t.to(memory_format=cl)
    assert u.stride() == (60, 1, 15, 3) and u.is_contiguous(memory_format=cl)
    assert u.grad_fn.name() == "ToCopyBackward0" and torchlet.equal(u, t)
    assert u.to(memory_format=cl) is u and u.to(memory_format=torchlet.preserve_format) is u
    assert u.to(torchlet.float64).stride() == (60, 1, 15, 3)  # preserve keeps the layout
    assert u.to(memory_format=torchlet.contiguous_format).stride() == (60, 20, 5, 1)
    assert t.to(torchlet.float64, memory_format=cl).stride() == (60, 1, 15, 3)
    assert t.to(memory_format=torchlet.contiguous_format) is t
    with pytest.raises(RuntimeError, match="^required rank 4 tensor to use channels_last "
                                           "format$"):
        torchlet.ones(2, 3, 4).to(memory_format=cl)
    with pytest.raises(TypeError, match="^to\\(\\) received an invalid combination"):
        t.to(memory_format="x")


def test_to_copy_is_a_to_copy():
    t = torchlet.ones(2, 2, requires_grad=True)
    copied = t.to(copy=True)
    assert copied is not t and copied.grad_fn.name() == "ToCopyBackward0"


def test_to_memory_format_gradient():
    x = torchlet.randn(2, 3, 2, 2, dtype=torchlet.float64, requires_grad=True)
    assert torchlet.autograd.gradcheck(
        lambda t: t.to(memory_format=torchlet.channels_last) * 2, (x,))
    (x.to(memory_format=torchlet.channels_last) * x.detach()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), x.detach().numpy())


@pytest.mark.parametrize("shape, fmt, slicer", [
    ((2, 3, 4, 5), "channels_last", None),
    ((2, 1, 4, 5), "channels_last", None),
    ((2, 3, 1, 1), "channels_last", None),
    ((1, 3, 4, 5), "channels_last", None),
    ((2, 3, 4, 5, 6), "channels_last_3d", None),
    ((3, 4), "contiguous_format", "t"),
    ((2, 3, 4, 5), "contiguous_format", "cl"),
])
def test_to_memory_format_as_torch(shape, fmt, slicer):
    torch = _torch()
    got = []
    for lib in (torch, torchlet):
        t = lib.arange(float(np.prod(shape))).reshape(shape)
        if slicer == "t":
            t = t.t()
        elif slicer == "cl":
            t = t.to(memory_format=lib.channels_last)
        u = t.to(memory_format=getattr(lib, fmt))
        got.append((u is t, u.stride(), u.numpy().tolist()))
    assert got[0] == got[1]


def test_strides_of_new_empty_tensors_are_contiguous_ones():
    """NumPy gives a new size-0 array zero strides; torch gives contiguous ones (a slice
    keeps its base's)."""
    assert torchlet.empty(0, 3, 4, 5).stride() == (60, 20, 5, 1)
    assert torchlet.zeros(2, 0, 3).stride() == (3, 3, 1)
    assert torchlet.tensor([]).stride() == (1,)
    assert torchlet.ones(3, 4)[:, :0].stride() == (4, 1)


def test_repeat_interleave_method_needs_repeats():
    t = torchlet.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="invalid combination of arguments - got \\(\\)"):
        t.repeat_interleave()
    assert torchlet.repeat_interleave(t).tolist() == [0, 1, 1, 2, 2, 2]
    assert t.repeat_interleave(2).tolist() == [1, 1, 2, 2, 3, 3]
