"""Wrong-typed int and int-list arguments of the shape operations and reductions raise
torch's exception with torch's message (checked live against torch, skipped without it),
and the int-likes torch takes still work.

torch's argument parser, as copied here (``torchlet/_ops/shape/common.py``):

* an ``int`` argument takes an int (not a bool), a NumPy integer or a 0-d integer
  tensor: "f(): argument 'dim' (position n) must be int, not float";
* a tuple-of-ints argument checks only its first element to pick the overload ("must be
  tuple of ints, but found element of type str at pos 0"), then unpacks the others ("failed
  to unpack the object at pos 2 with error ..."), a bool or a one-element integer tensor
  among them counting as an int; anything else "must be tuple of ints, not str";
* a method taking ``f(2, 3)`` or ``f((2, 3))`` whose first argument of several is not an
  int "takes 1 positional argument but 3 were given";
* an overloaded operation (view, squeeze, movedim, narrow, split, sum, mean, std, var,
  prod) that no overload fits is "an invalid combination of arguments", listing the
  overloads and, for those of the right length, the arguments that do not fit;
* positions count from 1 after self in a Tensor method's message, from the input in a
  function's.

Every comparison is exact: the exception type and the whole message.
"""

import numpy as np
import pytest

import torchlet


def _torch():
    return pytest.importorskip("torch")


def _outcome(lib, expression: str) -> str:
    """What ``expression`` gives with ``lib`` as ``torch`` and a 2x3x4 tensor ``x``: the
    exception's type and message, or the result's shapes and total."""
    torch = lib  # noqa: F841 - (read by eval)
    x = lib.arange(24.0).reshape(2, 3, 4)  # noqa: F841
    try:
        result = eval(expression)
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        return f"{type(error).__name__}: {error}"
    if isinstance(result, tuple):
        return f"shapes {[tuple(t.shape) for t in result]}"
    return f"shape {tuple(result.shape)}, total {float(np.sum(result.tolist()))}"


# ================================================================ wrong types raise

WRONG = [
    # sizes and dims given spread out or as one sequence (Tensor methods)
    "x.view('a')", "x.view(1.5)", "x.view(None)", "x.view(x)", "x.view([1, 'a'])",
    "x.view((0, 1.5))", "x.view(2, 'a')", "x.view(2, x)", "x.view(2.0, 12)",
    "x.view((2.0, 12))", "x.view(True, 2, 12)", "x.view(2, torch.tensor(12.))",
    "x.view(2, torch.tensor(True), 12)", "x.view()",
    "x.reshape('a')", "x.reshape(x)", "x.reshape([1, 'a'])", "x.reshape(2, None)",
    "x.reshape(('a', 2))", "x.reshape(shape='a')", "x.reshape(shape=('a', 2))",
    "x.permute('a')", "x.permute(None)", "x.permute(x)", "x.permute([1, 'a'])",
    "x.permute(0, 1, 1.5)", "x.permute('a', 1, 0)", "x.permute((0.5, 1, 2))",
    "x.permute(dims=[1, 'a'])", "x.permute(dims=2)",
    "x.expand('a')", "x.expand(x)", "x.expand((0, 1.5))", "x.expand(2, 3, 'a')",
    "x.expand('a', 1)", "x.expand(2, 3, 4, implicit=1.5)",
    "x.repeat('a')", "x.repeat(x)", "x.repeat(1, 1, x)", "x.repeat(1, 1, None)",
    "x.tile('a')", "x.tile(x)", "x.tile(1, 'a')", "x.tile('a', 1)",
    "x.flip('a')", "x.flip(x)", "x.flip([1, 'a'])", "x.flip('a', 1)", "x.flip(0, 'a')",
    # int arguments
    "x.transpose('a', 1)", "x.transpose(1.5, 1)", "x.transpose(x, 1)", "x.transpose(True, 1)",
    "x.transpose(0, None)", "torch.transpose(x, 0, 'a')", "x.transpose(np.array(0), 1)",
    "x.unsqueeze('a')", "x.unsqueeze(x)", "torch.unsqueeze(x, True)",
    "x.flatten('a')", "x.flatten(x)", "x.flatten(0, 1.5)", "torch.flatten(x, x)",
    "x.unflatten(1, 'a')", "x.unflatten(1, (3, 'a'))", "x.unflatten(1, ('a', 1))",
    "x.unflatten(1.5, (3, 1))", "torch.unflatten(x, 1, 'a')", "torch.unflatten(x, 'a', (3, 1))",
    "x.select('a', 0)", "x.select(0, 1.5)", "x.select(0, x)", "torch.select(x, 0, 'a')",
    "x.diagonal('a')", "x.diagonal(0, 'a')", "x.diagonal(0, 0, x)", "torch.diagonal(x, 0, 'a')",
    "torch.unbind(x, 1.5)", "torch.chunk(x, 'a')", "torch.chunk(x, 2, x)",
    "torch.cat([x, x], 'a')", "torch.cat([x, x], 1.5)", "torch.cat([x, x], x)",
    "torch.cat([x, x], True)", "torch.stack([x, x], None)", "torch.stack([x, x], x)",
    # overloaded operations
    "x.squeeze('a')", "x.squeeze(None)", "x.squeeze(x)", "x.squeeze([1, 'a'])",
    "x.squeeze(('a', 0))", "torch.squeeze(x, 'a')", "torch.squeeze(x, None)",
    "x.movedim('a', 1)", "x.movedim(0, 'a')", "x.movedim(0, (1,))",
    "x.movedim((0, 'a'), (1, 0))", "torch.movedim(x, 'a', 1)",
    "x.narrow('a', 0, 1)", "x.narrow(0, 1.5, 1)", "x.narrow(0, x, 1)",
    "x.narrow(0, torch.tensor(0.), 1)", "torch.narrow(x, 0, 0, 'a')",
    "x.split('a')", "x.split(x)", "x.split([1, 'a'])", "x.split(1, 'a')", "x.split(True)",
    "x.split([1, 1], 'a')", "torch.split(x, None)",
    "x.roll('a')", "x.roll(x)", "x.roll([1, 'a'])", "x.roll(1, 1.5)", "x.roll(1, (0, 1.5))",
    "torch.roll(x, 1, 'a')",
    "x.rot90('a')", "x.rot90(1, 'a')", "x.rot90(1, x)", "x.rot90(1, (0, 1.5))",
    "torch.broadcast_to(x, 'a')", "torch.broadcast_to(x, (2, 'a'))",
    "torch.reshape(x, ('a', 2))", "torch.reshape(x, 2)", "torch.permute(x, 2)",
    "torch.tile(x, ('a',))", "torch.flip(x, 1)",
    "torch.nn.functional.pad(x, 'a')", "torch.nn.functional.pad(x, [1, 'a'])",
    "torch.nn.functional.pad(x, (0, 1.5))", "torch.nn.functional.pad(x, x)",
    # reductions
    "x.sum('a')", "x.sum(1.5)", "x.sum(x)", "x.sum([1, 'a'])", "x.sum((0, 1.5))",
    "x.sum(True)", "x.sum(('a', 1))", "x.mean('a')", "x.mean(x)", "x.mean((0, 1.5))",
    "x.std('a')", "x.std(x)", "x.std((0, 'a'))", "x.var(1.5)", "torch.std_mean(x, 'a')",
    "x.prod('a')", "x.prod((0, 1.5))", "x.prod(x)",
    "x.logsumexp('a')", "x.logsumexp(None)", "x.logsumexp([1, 'a'])",
    "x.norm(dim='a')", "x.norm(dim=[1, 'a'])", "x.norm(dim=x)",
    "x.nansum('a')", "x.nanmean((0, 1.5))",
    "x.cumsum('a')", "x.cumprod(x)", "x.cummax(1.5)", "x.logcumsumexp(None)",
]


@pytest.mark.parametrize("expression", WRONG)
def test_wrong_type_raises_as_torch(expression):
    want = _outcome(_torch(), expression)
    assert not want.startswith("shape"), "the case should fail in torch"
    assert _outcome(torchlet, expression) == want


# ================================================================ int-likes still work

VALID = [
    "x.view(np.int64(2), 12)", "x.view(torch.tensor(2), 12)", "x.view(2, True, 12)",
    "x.view(torch.tensor([2]), 12)", "x.view(np.array(2), 12)", "x.view(x.shape)",
    "x.view([2, 12])", "x.view(size=(2, 12))", "x.view(-1)", "x.reshape(torch.Size([4, 6]))",
    "x.reshape([np.int64(4), -1])", "x.permute(torch.tensor(2), 1, 0)", "x.permute([2, 1, 0])",
    "x.expand(torch.tensor(2), 3, 4)", "x.expand(x.shape)", "x.repeat(1, True, 2)",
    "x.transpose(torch.tensor(0), 1)", "x.transpose(np.int64(0), 1)",
    "x.unsqueeze(torch.tensor(1))", "x.flip(np.int64(1))", "x.flip(torch.tensor([1]))",
    "x.flip(torch.tensor(1))", "x.flip(0, 1)", "x.tile(2)", "x.roll(1, None)",
    "x.roll((1, 1), (0, 1))", "x.roll(np.int64(1), 0)",
    "x.squeeze(())", "x.squeeze([])", "x.squeeze(0)", "x.squeeze()", "x.squeeze((0, 1))",
    "torch.squeeze(x)", "x.movedim((0, 1), (1, 0))", "x.movedim(np.int64(0), 1)",
    "x.narrow(0, torch.tensor(0), 1)", "x.split(torch.tensor(1))", "x.split(torch.tensor(1.5))",
    "x.split([1, 1])", "x.split(2, 2)", "x.chunk(np.int64(2))", "x.unbind(torch.tensor(1))",
    "x.select(np.int64(0), 1)", "x.diagonal(torch.tensor(0))", "x.unflatten(np.int64(1), [3, 1])",
    "x.flatten(np.int64(1))", "torch.cat([x, x], np.int64(1))",
    "torch.stack([x, x], torch.tensor(1))", "torch.broadcast_to(x, (2, 2, 3, 4))",
    "torch.nn.functional.pad(x, (1, 1))", "torch.nn.functional.pad(x, [np.int64(1), 1])",
    "x.sum(torch.tensor(1))", "x.sum(torch.tensor([1]))", "x.sum(np.int64(1))", "x.sum([])",
    "x.sum((1, True))", "x.sum(None)", "x.mean((0, np.int64(1)))", "x.std(True)",
    "x.var(False)", "x.std(1)", "x.var((0, 1))", "x.prod(np.int64(1))", "x.logsumexp(1)",
    "x.logsumexp((0, 1))", "x.norm(dim=1)", "x.nansum(None)", "x.cumsum(np.int64(1))",
    "x.cummax(torch.tensor(1))[0]", "x.amax(1)",
]


@pytest.mark.parametrize("expression", VALID)
def test_int_likes_work_as_in_torch(expression):
    assert _outcome(torchlet, expression) == _outcome(_torch(), expression)


# ================================================================ written-out messages


@pytest.mark.parametrize(("expression", "message"), [
    ("x.transpose(0, 'a')",
     "TypeError: transpose(): argument 'dim1' (position 2) must be int, not str"),
    ("torchlet.transpose(x, 0, 1.5)",
     "TypeError: transpose(): argument 'dim1' (position 3) must be int, not float"),
    ("x.permute(2, 1, 'a')",
     "TypeError: permute(): argument 'dims' failed to unpack the object at pos 3 with error "
     "\"type must be tuple of ints,but got str\""),
    ("torchlet.reshape(x, ('a', 2))",
     "TypeError: reshape(): argument 'shape' (position 2) must be tuple of ints, but found "
     "element of type str at pos 0"),
    ("x.flip('a', 1)", "TypeError: flip() takes 1 positional argument but 2 were given"),
    ("x.expand(x)",
     "TypeError: expand(): argument 'size' (position 1) must be tuple of ints, not Tensor"),
    ("x.view(2.0, 12)",
     "TypeError: view() received an invalid combination of arguments - got (float, int), but "
     "expected one of:\n * (torch.dtype dtype)\n * (tuple of ints size)\n"),
    ("x.squeeze(None)",
     "TypeError: squeeze() received an invalid combination of arguments - got (NoneType), "
     "but expected one of:\n * ()\n      didn't match because some of the arguments have "
     "invalid types: (!NoneType!)\n * (int dim)\n      didn't match because some of the "
     "arguments have invalid types: (!NoneType!)\n * (tuple of ints dim)\n      didn't match "
     "because some of the arguments have invalid types: (!NoneType!)\n"),
    ("x.sum(1.5)",
     "TypeError: sum() received an invalid combination of arguments - got (float), but "
     "expected one of:\n * (*, torch.dtype dtype = None)\n * (tuple of ints dim, bool keepdim "
     "= False, *, torch.dtype dtype = None)\n"),
    ("x.narrow(0, x, 1)", "RuntimeError: start must be an 0-dim integral Tensor."),
    ("torchlet.nn.functional.pad(x, (0, 1.5))",
     "TypeError: pad(): argument 'pad' failed to unpack the object at pos 2 with error "
     "\"type must be tuple of ints,but got float\""),
    ("x.logsumexp(None)",
     "TypeError: logsumexp(): argument 'dim' (position 1) must be tuple of ints, not NoneType"),
])
def test_messages_written_out(expression, message):
    x = torchlet.arange(24.0).reshape(2, 3, 4)
    with pytest.raises(Exception) as info:  # noqa: PT011 - the type is compared below
        eval(expression, {"torchlet": torchlet, "x": x})
    assert f"{type(info.value).__name__}: {info.value}" == message


def test_a_float_dim_is_never_truncated():
    """A float where an int goes is refused, never read as its integer part (1.5 is not
    dim 1), whatever path reads it: a method, a function, ``_wrap_dim``'s own check."""
    x = torchlet.zeros(2, 3)
    for call in (lambda: x.transpose(1.5, 0), lambda: torchlet.cat([x, x], 1.5),
                 lambda: x.sum((0, 1.5)), lambda: x.unsqueeze(0.0), lambda: x.flip(1.0),
                 lambda: torchlet._tensor._wrap_dim(1.5, 2)):
        with pytest.raises(TypeError, match="float"):
            call()


def test_a_tensor_of_several_elements_is_not_a_dim():
    """torch's TypeError, not the RuntimeError of a tensor's truth value."""
    x = torchlet.zeros(2, 3)
    with pytest.raises(TypeError, match=r"flatten\(\): argument 'start_dim' \(position 1\) "
                                        r"must be int, not Tensor"):
        x.flatten(x)
    with pytest.raises(TypeError, match="argument 'dim' must be int, not Tensor"):
        torchlet._tensor._wrap_dim(x, 2)


# ---------------------------------------------------------------------------------------
# dims of the indexing ops and the int arguments of eye and one_hot (a float used to be
# truncated: index_select(1.5) selected along dim 1)

def _raised(make, lib, value):
    """(type name, message) of what ``make(lib, value)`` raised; None if it returned."""
    try:
        make(lib, value)
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        return type(error).__name__, str(error)
    return None


_INDEXING_INTS = {
    "index_select": lambda lib, v: lib.ones(2, 3).index_select(v, lib.tensor([0])),
    "torch.index_select": lambda lib, v: lib.index_select(lib.ones(2, 3), v, lib.tensor([0])),
    "gather": lambda lib, v: lib.ones(2, 3).gather(v, lib.zeros(2, 1, dtype=lib.long)),
    "torch.gather": lambda lib, v: lib.gather(lib.ones(2, 3), v, lib.zeros(2, 1, dtype=lib.long)),
    "index_add": lambda lib, v: lib.index_add(lib.ones(2, 3), v, lib.tensor([0]), lib.ones(1, 3)),
    "chunk": lambda lib, v: lib.ones(2, 3).chunk(v),
    "unbind": lambda lib, v: lib.ones(2, 3).unbind(v),
    "eye": lambda lib, v: lib.eye(v),
    "one_hot": lambda lib, v: lib.nn.functional.one_hot(lib.tensor([0, 1]), v),
}


@pytest.mark.parametrize("name", _INDEXING_INTS)
@pytest.mark.parametrize("value", [1.5, "a", None])
def test_int_arguments_of_indexing_ops_are_read_as_torchs(name, value):
    torch = pytest.importorskip("torch")
    make = _INDEXING_INTS[name]
    ours, theirs = _raised(make, torchlet, value), _raised(make, torch, value)
    assert ours is not None and ours[0] == theirs[0] == "TypeError"
    if name not in ("index_add",) and theirs[1].count("\n") == 0:  # (one-line messages)
        assert ours == theirs


def test_a_float_dim_is_refused_not_truncated():
    x = torchlet.ones(2, 3)
    with pytest.raises(TypeError, match=r"index_select\(\): argument 'dim' \(position 1\) "
                                        r"must be int, not float"):
        x.index_select(1.5, torchlet.tensor([0]))
    with pytest.raises(TypeError, match=r"eye\(\): argument 'n' \(position 1\) must be int"):
        torchlet.eye(2.0)
    assert x.index_select(torchlet.tensor(1), torchlet.tensor([0])).shape == (2, 1)


@pytest.mark.parametrize("method", ["prod", "max", "min", "median", "nanmedian"])
def test_an_explicit_none_dim_is_refused_as_torch_does(method):
    torch = pytest.importorskip("torch")

    def make(lib, value):
        return getattr(lib.ones(2, 3), method)(value)

    ours = _raised(make, torchlet, None)
    assert ours is not None and ours[0] == "TypeError" and ours == _raised(make, torch, None)
    x = torchlet.tensor([[1.0, 5.0], [3.0, 2.0]])  # (no dim given: the whole tensor)
    assert getattr(x, method)().item() == {"prod": 30.0, "max": 5.0, "min": 1.0,
                                           "median": 2.0, "nanmedian": 2.0}[method]
    assert x.max(x).tolist() == x.tolist()


_WINDOW_INTS = {
    "max_pool2d": lambda lib, v: lib.nn.functional.max_pool2d(lib.ones(1, 1, 4, 4), v),
    "avg_pool2d": lambda lib, v: lib.nn.functional.avg_pool2d(lib.ones(1, 1, 4, 4), v),
    "max_pool2d_stride": lambda lib, v: lib.nn.functional.max_pool2d(lib.ones(1, 1, 4, 4), 2, v),
    "conv2d_stride": lambda lib, v: lib.nn.functional.conv2d(lib.ones(1, 1, 4, 4),
                                                             lib.ones(1, 1, 2, 2), None, v),
    "conv_transpose2d_output_padding": lambda lib, v: lib.nn.functional.conv_transpose2d(
        lib.ones(1, 1, 4, 4), lib.ones(1, 1, 2, 2), None, 2, 0, v),
}


@pytest.mark.parametrize("name", _WINDOW_INTS)
@pytest.mark.parametrize("value", ["a", 1.5, (1, 1.5), [1, "a"]])
def test_pooling_and_conv_int_lists_are_read_as_torchs(name, value):
    torch = pytest.importorskip("torch")
    make = _WINDOW_INTS[name]
    ours, theirs = _raised(make, torchlet, value), _raised(make, torch, value)
    assert ours is not None and ours[0] == theirs[0] == "TypeError"
    if "invalid combination" not in theirs[1]:  # (conv2d's overloads: padding may be a str)
        assert ours == theirs


@pytest.mark.parametrize("method", ["amax", "amin", "all", "any", "count_nonzero"])
@pytest.mark.parametrize("value", ["a", [1, "a"], (0, 1.5)])
def test_reductions_over_dims_name_themselves_in_type_errors(method, value):
    def make(lib, dim):
        return getattr(lib.ones(2, 3), method)(dim)

    ours = _raised(make, torchlet, value)
    # (a bare str matches none of all/any's overloads: torch's invalid-combination list)
    assert ours is not None and ours[0] == "TypeError" and ours[1].startswith(
        (f"{method}(): ", f"{method}() received an invalid combination of arguments"))
    torch = pytest.importorskip("torch")
    theirs = _raised(make, torch, value)
    assert theirs[0] == "TypeError"
    if "invalid combination" not in theirs[1] or method in ("all", "any"):
        assert ours == theirs
