"""torch.func.vmap: random numbers drawn as torch draws them, and torch's misuse errors.

torch runs a vmapped function once on the whole batch, so a random call inside draws the
values of all samples at once: ``vmap(lambda x: x + randn(3), randomness="different")`` over
5 samples gives ``randn(5, 3)``'s numbers. torchlet's vmap is a loop over the samples; these
tests check that it still draws torch's numbers in torch's order (against the unvmapped call
that draws the whole batch, and bit for bit against torch when it is importable), replays
one draw for "same", refuses with "error", and raises torch's errors for the misuses a loop
would otherwise let through.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import torchlet
from torchlet.func import vmap


def _torch():
    return pytest.importorskip("torch")


def _error(fn):
    """(exception type name, message) raised by ``fn``."""
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


def _same_error_as_torch(make):
    """``make(lib)`` must raise the same exception type and message on both libraries."""
    torch = _torch()
    ours = _error(lambda: make(torchlet))
    assert ours == _error(lambda: make(torch))
    return ours


def _seeded(lib, fn):
    """``fn(lib)`` after manual_seed(0), and the next two uniforms (where the generator
    was left) - as NumPy arrays."""
    lib.manual_seed(0)
    out = fn(lib)
    after = lib.rand(2)
    outs = out if isinstance(out, tuple) else (out,)
    return [o.numpy() for o in outs] + [after.numpy()]


def _assert_bits(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b, equal_nan=True), (a, b)


RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either "
                "use the 'same' or 'different' randomness flags on vmap or perform the "
                "randomness operation out of vmap")
SAME_BATCHED = ("Vmap does not currently support same randomness with a batched tensor "
                "input. Please file an issue with functorch")
CONTROL_FLOW = ("vmap: It looks like you're attempting to use a Tensor in some data-dependent "
                "control flow. We don't support that yet, please file an issue at "
                "https://github.com/pytorch/pytorch/issues .")
INPLACE = ("vmap: inplace arithmetic(self, *extra_args) is not possible because there exists "
           "a Tensor `other` in extra_args that has more elements than `self`. This happened "
           "due to `other` being vmapped over but `self` not being vmapped over in a vmap. "
           "Please try to use out-of-place operators instead of inplace arithmetic. If said "
           "operator is being called inside the PyTorch framework, please file a bug report "
           "instead.")


def _probs(lib):
    return lib.tensor([[0.1, 0.5, 0.9], [0.3, 0.3, 0.3], [0.9, 0.0, 0.2],
                       [0.5, 0.6, 0.7], [0.2, 0.8, 0.4]])


# ---------------------------------------------------------------------------------------
# 1. randomness="different": the batch's one draw, in torch's order
#
# Each case: ((the function to vmap, the batch), the same numbers drawn for the whole batch
# without vmap).


def _vmapped(fn, mode, batch=lambda L: L.zeros(5, 3)):
    """``lambda L: vmap(fn(L), randomness=mode)(batch(L))`` for either library ``L``."""
    return lambda L: L.func.vmap(fn(L), randomness=mode)(batch(L))


def _map(fn, batch=lambda L: L.zeros(5, 3)):
    """(the function ``fn(L)`` to vmap, the batch ``batch(L)``) for either library ``L``."""
    return fn, batch


def _arange(L):
    return L.arange(15.0).reshape(5, 3)


DIFFERENT = {
    "randn": (_map(lambda L: lambda t: t + L.randn(3)), lambda L: L.randn(5, 3)),
    # 5 x 4 = 20 values: torch's 16-block normal algorithm, not five scalar draws of 4
    "randn_block": (_map(lambda L: lambda t: L.randn(4) + t.sum()),
                    lambda L: L.randn(5, 4)),
    # two calls: all of the first call's values come before the second's
    "rand_twice": (_map(lambda L: lambda t: t + L.rand(3) * 10 + L.rand(3)),
                   lambda L: L.rand(5, 3) * 10 + L.rand(5, 3)),
    "randint": (_map(lambda L: lambda t: t + L.randint(0, 10, (3,))),
                lambda L: L.zeros(5, 3) + L.randint(0, 10, (5, 3))),
    "normal_numbers": (_map(lambda L: lambda t: t + L.normal(2.0, 3.0, (3,))),
                       lambda L: L.normal(2.0, 3.0, (5, 3))),
    "rand_like": (_map(lambda L: L.rand_like), lambda L: L.rand(5, 3)),
    "randn_like": (_map(lambda L: L.randn_like, lambda L: L.zeros(5, 3, dtype=L.float64)),
                   lambda L: L.randn(5, 3, dtype=L.float64)),
    "randint_like": (_map(lambda L: lambda t: L.randint_like(t, 10)),
                     lambda L: L.randint(0, 10, (5, 3)).float()),
    "uniform_": (_map(lambda L: lambda t: t.clone().uniform_(-1, 1)),
                 lambda L: L.empty(5, 3).uniform_(-1, 1)),
    "exponential_": (_map(lambda L: lambda t: t.clone().exponential_()),
                     lambda L: L.empty(5, 3).exponential_()),
    "bernoulli_batched_p": (_map(lambda L: L.bernoulli, _probs),
                            lambda L: L.bernoulli(_probs(L))),
    "bernoulli_unbatched_p": (_map(lambda L: lambda t: t + L.bernoulli(L.full((3,), 0.5))),
                              lambda L: L.bernoulli(L.full((5, 3), 0.5))),
    "bernoulli_float_p": (_map(lambda L: lambda t: L.bernoulli(t, 0.3)),
                          lambda L: L.bernoulli(L.zeros(5, 3), 0.3)),
    "dropout": (_map(lambda L: lambda t: L.nn.functional.dropout(t + 1, 0.5)),
                lambda L: L.nn.functional.dropout(L.ones(5, 3), 0.5)),
    "multinomial": (_map(lambda L: lambda q: L.multinomial(q, 2), _probs),
                    lambda L: L.multinomial(_probs(L), 2)),
    "multinomial_replacement": (
        _map(lambda L: lambda q: L.multinomial(q, 4, replacement=True), _probs),
        lambda L: L.multinomial(_probs(L), 4, replacement=True)),
    # (2, 2, 3): torch samples the 4 rows at once
    "multinomial_2d": (_map(lambda L: lambda q: L.multinomial(q, 2),
                            lambda L: _probs(L)[:4].reshape(2, 2, 3)),
                       lambda L: L.multinomial(_probs(L)[:4], 2).reshape(2, 2, 2)),
    "normal_tensor_mean": (_map(lambda L: lambda t: L.normal(t, 2.0), _arange),
                           lambda L: L.normal(_arange(L), 2.0)),
    "normal_tensor_std": (_map(lambda L: lambda t: L.normal(1.0, t + 1), _arange),
                          lambda L: L.normal(1.0, _arange(L) + 1)),
    "normal_both_tensors": (_map(lambda L: lambda t: L.normal(t, t + 1), _arange),
                            lambda L: L.normal(_arange(L), _arange(L) + 1)),
    # torch: one randperm per sample, made at the call
    "randperm": (_map(lambda L: lambda t: t + L.randperm(3)),
                 lambda L: L.stack([L.randperm(3) for _ in range(5)]).float()),
}


@pytest.mark.parametrize("case", sorted(DIFFERENT))
def test_different_draws_the_batch_at_once(case):
    """The case's call, then rand(2): all of the first call's values come before the
    second's (sample after sample, they would interleave)."""
    (fn, batch), whole_batch = DIFFERENT[case]

    def vmapped(L):
        return L.func.vmap(lambda t: (fn(L)(t), L.rand(2)), randomness="different")(batch(L))

    def expected(L):
        first = whole_batch(L)
        return first, L.rand(len(first), 2)

    ours = _seeded(torchlet, vmapped)
    _assert_bits(ours, _seeded(torchlet, expected))
    torch = _torch()
    _assert_bits(ours, _seeded(torch, vmapped))


def test_different_per_sample_draws_would_differ():
    """The point of drawing at once: randn(4) per sample (scalar path, 5 x 4 values) is not
    randn(5, 4) (the 16-block path), so the loop's plain draws would not be torch's."""
    torchlet.manual_seed(0)
    per_sample = torchlet.stack([torchlet.randn(4) for _ in range(5)])
    torchlet.manual_seed(0)
    at_once = torchlet.randn(5, 4)
    assert not np.array_equal(per_sample.numpy(), at_once.numpy())


def test_different_in_chunks_draws_per_chunk():
    """chunk_size=2 over 5 samples: torch runs three vmaps, each drawing its chunk's values
    for the first call, then for the second."""
    def vmapped(L):
        return L.func.vmap(lambda t: t + L.rand(3) * 10 + L.rand(3), randomness="different",
                           chunk_size=2)(L.zeros(5, 3))

    def chunks(L):
        return L.cat([L.rand(size, 3) * 10 + L.rand(size, 3) for size in (2, 2, 1)])

    ours = _seeded(torchlet, vmapped)
    _assert_bits(ours, _seeded(torchlet, chunks))
    _assert_bits(ours, _seeded(_torch(), vmapped))


@pytest.mark.parametrize("inner, outer", [("different", "different"), ("same", "different"),
                                          ("different", "same"), ("same", "same")])
def test_nested_vmaps_draw_for_both_levels(inner, outer):
    def vmapped(L):
        inner_map = L.func.vmap(lambda t: t + L.rand(()) * 10 + L.rand(()), randomness=inner)
        return L.func.vmap(inner_map, randomness=outer)(L.zeros(2, 3))

    ours = _seeded(torchlet, vmapped)
    torchlet.manual_seed(0)
    # "different" at a level gives that level's dimension its own values
    shape = (2 if outer == "different" else 1, 3 if inner == "different" else 1)
    draws = torchlet.rand(shape) * 10 + torchlet.rand(shape)
    assert np.array_equal(ours[0], np.broadcast_to(draws.numpy(), (2, 3)))
    _assert_bits(ours, _seeded(_torch(), vmapped))


def test_poisson_alone_draws_sample_after_sample():
    """Poisson draws a rate-dependent number of values: the samples draw in turn, which is
    torch's stream when it is the function's only random call."""
    def vmapped(L):
        return L.func.vmap(lambda t: L.poisson(t + 2), randomness="different")(_arange(L))

    ours = _seeded(torchlet, vmapped)
    _assert_bits(ours, _seeded(torchlet, lambda L: L.poisson(L.arange(2.0, 17.0).reshape(5, 3))))
    _assert_bits(ours, _seeded(_torch(), vmapped))


def test_random_calls_that_differ_between_samples_are_control_flow():
    def make(L):
        return L.func.vmap(lambda t: t + (L.rand(3) if t[0] > 0 else L.randn(3)),
                           randomness="different")(L.tensor([[1.0, 0, 0], [-1.0, 0, 0]]))

    assert _error(lambda: make(torchlet)) == ("RuntimeError", CONTROL_FLOW)
    assert _error(lambda: make(_torch()))[0] == "RuntimeError"


# ---------------------------------------------------------------------------------------
# 2. randomness="same": one unbatched draw, shared


SAME = {
    "randn": (_vmapped(lambda L: lambda t: t + L.randn(3), "same"), lambda L: L.randn(3)),
    "rand_twice": (_vmapped(lambda L: lambda t: t + L.rand(3) * 10 + L.rand(3), "same"),
                   lambda L: L.rand(3) * 10 + L.rand(3)),
    "randn_like": (_vmapped(lambda L: L.randn_like, "same"), lambda L: L.randn(3)),
    "dropout": (_vmapped(lambda L: lambda t: L.nn.functional.dropout(t + 1, 0.5), "same"),
                lambda L: L.nn.functional.dropout(L.ones(3), 0.5)),
    "bernoulli_unbatched_p": (
        _vmapped(lambda L: lambda t: t + L.bernoulli(L.full((3,), 0.5)), "same"),
        lambda L: L.bernoulli(L.full((3,), 0.5))),
    "randperm": (_vmapped(lambda L: lambda t: t + L.randperm(3), "same"),
                 lambda L: L.randperm(3).float()),
}


@pytest.mark.parametrize("case", sorted(SAME))
def test_same_shares_one_unbatched_draw(case):
    vmapped, one_draw = SAME[case]
    ours = _seeded(torchlet, vmapped)
    _assert_bits(ours, _seeded(torchlet, lambda L: one_draw(L).expand(5, 3).contiguous()))
    _assert_bits(ours, _seeded(_torch(), vmapped))


@pytest.mark.parametrize("op", ["bernoulli", "multinomial", "normal", "poisson"])
def test_same_refuses_a_batched_parameter(op):
    calls = {"bernoulli": lambda L, q: L.bernoulli(q), "multinomial":
             lambda L, q: L.multinomial(q, 1).float(), "normal": lambda L, q: L.normal(q, 1.0),
             "poisson": lambda L, q: L.poisson(q)}

    def make(L):
        return L.func.vmap(lambda q: calls[op](L, q), randomness="same")(_probs(L))

    torchlet.manual_seed(0)
    state = torchlet.get_rng_state()
    assert _same_error_as_torch(make) == ("RuntimeError", SAME_BATCHED)
    assert np.array_equal(torchlet.get_rng_state().numpy(), state.numpy())


def test_same_refuses_a_computed_batched_parameter():
    """A parameter computed from the batch shares no memory with it; its values differing
    between samples show it is batched."""
    def make(L):
        return L.func.vmap(lambda t: L.bernoulli(t.sigmoid()), randomness="same")(
            L.arange(6.0).reshape(2, 3))

    assert _same_error_as_torch(make) == ("RuntimeError", SAME_BATCHED)


def test_empty_batch_same_draws_once_different_draws_nothing():
    for mode, draws in (("same", 3), ("different", 0)):
        def vmapped(L, mode=mode):
            return L.func.vmap(lambda t: t + L.randn(3), randomness=mode)(L.zeros(0, 3))

        ours = _seeded(torchlet, vmapped)
        assert ours[0].shape == (0, 3)
        _assert_bits(ours[1:], _seeded(torchlet, lambda L, n=draws: L.randn(n))[1:])
        _assert_bits(ours, _seeded(_torch(), vmapped))


# ---------------------------------------------------------------------------------------
# 3. randomness="error" (the default)


@pytest.mark.parametrize("call", [
    lambda L, t: t + L.randn(3),
    lambda L, t: t + L.randn(0).sum(),  # refused at the call, even drawing nothing
    lambda L, t: L.rand_like(t),
    lambda L, t: L.nn.functional.dropout(t, 0.5),
    lambda L, t: L.bernoulli(t.sigmoid()),
    lambda L, t: t + L.randperm(3),
    lambda L, t: L.poisson(t + 1),
])
def test_error_mode_refuses_random_calls(call):
    def make(L):
        return L.func.vmap(lambda t: call(L, t))(L.zeros(2, 3))

    torchlet.manual_seed(0)
    state = torchlet.get_rng_state()
    assert _same_error_as_torch(make) == ("RuntimeError", RANDOM_ERROR)
    assert np.array_equal(torchlet.get_rng_state().numpy(), state.numpy())


def test_dropout_in_eval_mode_draws_nothing():
    x = torchlet.arange(6.0).reshape(2, 3)
    out = vmap(lambda t: torchlet.nn.functional.dropout(t, 0.5, training=False))(x)
    assert np.array_equal(out.numpy(), x.numpy())


# ---------------------------------------------------------------------------------------
# 4. tensors that are not batched, written in place


def test_batched_value_written_into_a_captured_tensor_is_refused():
    y = torchlet.ones(3)

    def make(L, y):
        return L.func.vmap(lambda t: y.mul_(t))(L.arange(6.0).reshape(2, 3))

    assert _error(lambda: make(torchlet, y)) == ("RuntimeError", INPLACE)
    assert y.tolist() == [1.0, 1.0, 1.0]  # nothing written
    torch = _torch()
    assert _error(lambda: make(torch, torch.ones(3))) == ("RuntimeError", INPLACE)


@pytest.mark.parametrize("write", [
    lambda y, t: y.copy_(t),
    lambda y, t: y.__setitem__(0, t[1]),
])
def test_other_batched_writes_are_refused(write):
    def make(L):
        y = L.zeros(3)
        return L.func.vmap(lambda t: (write(y, t), t)[1])(L.arange(6.0).reshape(2, 3))

    assert _same_error_as_torch(make) == ("RuntimeError", INPLACE)


def test_batched_write_into_an_unmapped_argument_is_refused():
    def make(L):
        scale = L.func.vmap(lambda t, y: y.mul_(t), in_dims=(0, None))
        return scale(L.arange(6.0).reshape(2, 3), L.ones(3))

    assert _same_error_as_torch(make) == ("RuntimeError", INPLACE)


def test_unbatched_write_into_a_captured_tensor_happens_once():
    def run(L):
        y = L.zeros(3)

        def f(t):
            y.add_(1.0)  # once in torch, not once per sample
            return t + y

        return L.func.vmap(f)(L.zeros(4, 3)), y

    out, y = run(torchlet)
    assert out.tolist() == [[1.0] * 3] * 4 and y.tolist() == [1.0] * 3
    t_out, t_y = run(_torch())
    assert out.tolist() == t_out.tolist() and y.tolist() == t_y.tolist()


def test_batch_norm_running_stats_are_refused():
    def make(L):
        L.manual_seed(0)
        bn = L.nn.BatchNorm1d(3)
        try:
            L.func.vmap(bn)(L.randn(4, 2, 3))
        finally:
            assert bn.running_mean.tolist() == [0.0, 0.0, 0.0]

    kind, message = _same_error_as_torch(make)
    assert kind == "RuntimeError" and message.startswith("Batch norm got a batched tensor")


def test_a_written_global_tensor_is_found():
    assert _error(lambda: vmap(_scale_global)(torchlet.arange(6.0).reshape(2, 3))) == (
        "RuntimeError", INPLACE)
    assert _GLOBAL.tolist() == [2.0, 2.0]


_GLOBAL = torchlet.full((2,), 2.0)


def _scale_global(t):
    _GLOBAL.mul_(t[:2])
    return t


# ---------------------------------------------------------------------------------------
# 5. outputs and out_dims


@pytest.mark.parametrize("out_dims", ["a", 1.0, (0, 1.5), [0, "x"]])
def test_out_dims_must_be_ints_or_none(out_dims):
    def make(L):
        return L.func.vmap(lambda t: (t, t), out_dims=out_dims)(L.ones(2, 3))

    kind, message = _same_error_as_torch(make)
    assert kind == "ValueError" and "`out_dims` must be an int, None" in message


@pytest.mark.parametrize("out_dims", [(0, 1, 2), [0, 1], {"a": 0}, 2, -3])
def test_out_dims_mismatches(out_dims):
    _same_error_as_torch(lambda L: L.func.vmap(lambda t: (t, t), out_dims=out_dims)(L.ones(2, 3)))


def test_out_dims_one_tuple_for_one_tensor():
    out = vmap(lambda t: t * 2, out_dims=(1,))(torchlet.arange(6.0).reshape(2, 3))
    assert out.tolist() == [[0.0, 6.0], [2.0, 8.0], [4.0, 10.0]]  # (2 * x).T
    torch = _torch()
    expected = torch.func.vmap(lambda t: t * 2, out_dims=(1,))(torch.arange(6.0).reshape(2, 3))
    assert out.tolist() == expected.tolist()


@pytest.mark.parametrize("fn, out_dims", [
    (lambda t: t, None),  # the sample itself
    (lambda t: t * 2, None),  # computed from it: its values differ between samples
    (lambda t: (t, t.sum()), (0, None)),
])
def test_batched_output_where_out_dims_is_none(fn, out_dims):
    kind, message = _same_error_as_torch(
        lambda L: L.func.vmap(fn, out_dims=out_dims)(L.arange(6.0).reshape(2, 3)))
    assert kind == "ValueError" and message == (
        "vmap(<lambda>, ...): `<lambda>` can not return a BatchedTensor when out_dim is None")


def test_unbatched_output_where_out_dims_is_none():
    captured = torchlet.tensor([1.0, 2.0])
    out = vmap(lambda t: (t, captured * 3), out_dims=(0, None))(torchlet.ones(4, 2))
    assert out[0].shape == (4, 2) and out[1].tolist() == [3.0, 6.0]


@pytest.mark.parametrize("value", [3, "a", None])
def test_non_tensor_output(value):
    kind, message = _same_error_as_torch(lambda L: L.func.vmap(lambda t: value)(L.ones(2)))
    assert kind == "ValueError" and "must only return Tensors" in message


def test_name_of_a_partial_in_messages():
    def f(t, k):
        return 3

    kind, message = _same_error_as_torch(
        lambda L: L.func.vmap(functools.partial(f, k=1))(L.ones(2)))
    assert message.startswith("vmap(functools.partial(f, ...), ...)")


# ---------------------------------------------------------------------------------------
# 6. reading a batched value into Python (needs Tensor.item / __bool__ / tolist to call
#    Batch.check_access inside vmap; see torchlet/func/_vmap.py)

ITEM = ("vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
        "calling .item() on a Tensor, please try to rewrite what you're doing with other "
        "operations. If error is occurring somewhere inside PyTorch internals, please file a "
        "bug report.")
NO_STORAGE = "Cannot access data pointer of Tensor that doesn't have storage"

READS = {
    "item": (lambda L: (lambda t: t * t.sum().item()), ITEM),
    "float": (lambda L: (lambda t: t * float(t[1])), ITEM),
    "bool": (lambda L: (lambda t: t if t.sum() > 3 else -t), CONTROL_FLOW),
    "tolist": (lambda L: (lambda t: L.tensor(t.tolist())), NO_STORAGE),
}


@pytest.mark.parametrize("case", sorted(READS))
def test_reading_a_batched_value_is_refused(case):
    make_fn, message = READS[case]
    assert _same_error_as_torch(lambda L: L.func.vmap(make_fn(L))(L.arange(6.0).reshape(2, 3))) == (
        "RuntimeError", message)


def test_check_access_rules():
    """What Tensor.item and friends will ask inside vmap: a value that shares memory with
    a mapped input, or differs from the first sample's, is batched; an unbatched one is
    read freely."""
    from torchlet._random_kernels import VMAP

    x = torchlet.arange(6.0).reshape(2, 3)
    constant = torchlet.tensor(2.0)

    def reads(t):
        VMAP.batch.check_access(constant, "item")  # unbatched: fine in every sample
        VMAP.batch.check_access(t.sum() > -1, "bool")  # True in both samples: slips through
        VMAP.batch.check_access(t.sum(), "item")  # 3.0 then 12.0: batched
        return t

    assert _error(lambda: vmap(reads)(x)) == ("RuntimeError", ITEM)
    assert _error(lambda: vmap(lambda t: VMAP.batch.check_access(t[0], "item"))(x)) == (
        "RuntimeError", ITEM)  # a view of the mapped input: refused at once
    assert _error(lambda: vmap(lambda t: VMAP.batch.check_access(t, "data"))(x)) == (
        "RuntimeError", NO_STORAGE)
    assert VMAP.batch is None  # restored after the errors
