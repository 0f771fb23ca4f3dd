"""Size-0 tensors' strides and storage offsets, the legacy ``Tensor(ndarray)`` constructor,
and in-place methods' error messages (torch's order of checks, its wording)."""

import numpy as np
import pytest

import torchlet


def _torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------------------------------
# strides of views of new empty tensors (NumPy gives a new empty array zero strides)


@pytest.mark.parametrize("make", ["empty", "zeros", "ones", "rand"])
def test_empty_factory_views_keep_contiguous_strides(make):
    e = getattr(torchlet, make)(0, 4)
    assert e.stride() == (4, 1)
    assert e.t().stride() == (1, 4)
    assert getattr(torchlet, make)(0, 6)[:, ::2].stride() == (6, 2)
    assert getattr(torchlet, make)(2, 0, 3).permute(2, 0, 1).stride() == (1, 3, 3)
    assert torchlet.zeros(0, 1).expand(0, 5).stride() == (1, 0)


def test_empty_other_factories():
    assert torchlet.full((0, 3), 1.0).t().stride() == (1, 3)
    assert torchlet.eye(0, 3).t().stride() == (1, 3)
    assert torchlet.arange(0).unsqueeze(0).stride() == (0, 1)
    assert torchlet.tensor([[]]).t().stride() == (1, 1)
    assert torchlet.empty_like(torchlet.empty(0, 4).t()).stride() == (1, 4)
    assert torchlet.Tensor(0, 4).t().stride() == (1, 4)
    assert torchlet.zeros(2, 0, 3).clone().transpose(0, 2).stride() == (1, 3, 3)
    # torch keeps a NumPy array's own strides (zeros) through torch.tensor
    assert torchlet.tensor(np.empty((0, 4))).t().stride() == (0, 0)


# ---------------------------------------------------------------------------------------
# storage offsets of empty views (NumPy leaves an empty slice's data pointer where it was)


def test_empty_view_offsets():
    x = torchlet.arange(10.0)
    assert x.narrow(0, 4, 0).storage_offset() == 4
    assert x.narrow(0, 10, 0).storage_offset() == 10
    assert [t.storage_offset() for t in x.split([3, 0, 7])] == [0, 3, 3]
    assert [t.storage_offset() for t in x.tensor_split([3, 3, 12])] == [0, 3, 3, 10]
    e = x.narrow(0, 4, 0)
    assert e.data_ptr() == x.data_ptr() + 4 * x.element_size()
    m = torchlet.arange(12.0).reshape(3, 4)
    assert m.narrow(1, 3, 0).storage_offset() == 3
    assert (m.diagonal(4).storage_offset(), m.diagonal(-3).storage_offset()) == (0, 0)
    assert m[1:].diagonal(-2).storage_offset() == 4
    assert torchlet.empty(0, 4).select(1, 2).storage_offset() == 2
    assert torchlet.empty(0, 4).narrow(1, 1, 3).storage_offset() == 1


def test_empty_view_offsets_match_torch_and_backward():
    torch = _torch()
    for mod in (torch, torchlet):
        x = mod.arange(6.0, requires_grad=True)
        pieces = x.split([2, 0, 4])
        (pieces[0].sum() + pieces[2].sum() * 2).backward()
        assert [p.storage_offset() for p in pieces] == [0, 2, 2]
        assert x.grad.tolist() == [1.0, 1.0, 2.0, 2.0, 2.0, 2.0]
    assert torchlet.arange(5.0).narrow(0, 3, 0).grad_fn is None


_OPS = ["t", "transpose", "permute", "step", "unsqueeze", "narrow", "select", "expand",
        "split", "diagonal", "flip_dims"]


def _chain(mod, shape, steps, rng_ops):
    x = mod.zeros(*shape)
    trail = []
    for op, arg in zip(steps, rng_ops, strict=True):
        nd = x.dim()
        if op == "t" and nd == 2:
            x = x.t()
        elif op == "transpose" and nd >= 2:
            x = x.transpose(arg % nd, (arg + 1) % nd)
        elif op in ("permute", "flip_dims") and nd >= 1:
            x = x.permute(*reversed(range(nd)))
        elif op == "step" and nd >= 1 and x.shape[arg % nd]:  # (see the report: getitem)
            d = arg % nd
            x = x[(slice(None),) * d + (slice(None, None, 2),)]
        elif op == "unsqueeze":
            x = x.unsqueeze(arg % (nd + 1))
        elif op == "narrow" and nd >= 1:
            d = arg % nd
            n = x.shape[d]
            start = arg % (n + 1)
            x = x.narrow(d, start, (n - start) // 2)
        elif op == "select" and nd >= 1 and x.shape[arg % nd] > 0:
            x = x.select(arg % nd, x.shape[arg % nd] - 1)
        elif op == "expand" and nd >= 1 and 1 in x.shape:
            x = x.expand(*[3 if s == 1 else s for s in x.shape])
        elif op == "split" and nd >= 1:
            d = arg % nd
            x = x.split(max(x.shape[d] // 2, 1) if x.shape[d] else 0, d)[-1]
        elif op == "diagonal" and nd >= 2:
            x = x.diagonal(arg % 3 - 1, 0, 1)
        trail.append((tuple(x.shape), x.stride(), x.storage_offset()))
    return trail


def test_sampled_empty_view_chains_match_torch():
    torch = _torch()
    rng = np.random.default_rng(18)
    for _ in range(300):
        ndim = int(rng.integers(1, 4))
        shape = [int(s) for s in rng.integers(0, 4, ndim)]
        shape[int(rng.integers(ndim))] = 0
        steps = [_OPS[int(i)] for i in rng.integers(0, len(_OPS), 4)]
        args = [int(a) for a in rng.integers(0, 6, 4)]
        assert _chain(torchlet, shape, steps, args) == _chain(torch, shape, steps, args), (
            shape, steps, args)


# ---------------------------------------------------------------------------------------
# torch.Tensor(data)


def test_legacy_constructor_refuses_what_torch_tensor_refuses():
    with pytest.raises(ValueError, match="negative"):
        torchlet.Tensor(np.arange(6.0)[::-1])
    with pytest.raises(ValueError, match="byte order"):
        torchlet.Tensor(np.arange(3, dtype=">f4"))
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.str_"):
        torchlet.Tensor(np.array(["a"]))
    for value, name in ((2.5, "float"), (True, "bool"), (None, "NoneType"),
                        (np.float32(1), "numpy.float32")):
        with pytest.raises(TypeError, match=rf"new\(\): data must be a sequence \(got {name}\)"):
            torchlet.Tensor(value)
    with pytest.raises(TypeError, match="invalid data type 'str'"):
        torchlet.Tensor("ab")


def test_legacy_constructor_layout():
    b = torchlet.Tensor(np.broadcast_to(np.arange(3.0), (4, 3)))
    assert (b.dtype, b.stride(), b[3].tolist()) == (torchlet.float32, (3, 1), [0.0, 1.0, 2.0])
    t = torchlet.Tensor(np.arange(6.0).reshape(2, 3).T)
    assert t.stride() == (1, 3) and t.dtype == torchlet.float32
    assert torchlet.Tensor(np.arange(3.0)[:, None]).stride() == (1, 0)  # (torch's too)
    assert torchlet.Tensor([1, 2]).tolist() == [1.0, 2.0]
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        c = torchlet.Tensor(np.array([1 + 2j, 3]))
    assert c.tolist() == [1.0, 3.0]


def test_legacy_constructor_matches_torch():
    torch = _torch()
    arrays = [np.arange(6.0)[::-1], np.broadcast_to(np.arange(3.0), (4, 3)),
              np.arange(3, dtype=">i8"), np.arange(6).reshape(2, 3)[:, ::2],
              np.arange(3.0)[:, None], np.array(3.5), np.array([True, False])]
    for a in arrays:
        outcome = []
        for mod in (torch, torchlet):
            try:
                t = mod.Tensor(a)
                outcome.append((str(t.dtype), tuple(t.shape), t.stride(), t.tolist()))
            except (TypeError, ValueError) as e:
                outcome.append(type(e).__name__)
        assert outcome[0] == outcome[1], a


# ---------------------------------------------------------------------------------------
# in-place methods: torch's checks, in its order and words


def _error(f):
    try:
        f()
    except (RuntimeError, TypeError) as e:
        return type(e).__name__, str(e)
    return None


_INPLACE_CASES = [
    lambda m: m.zeros((), dtype=m.bool).bitwise_or_(m.zeros(1, dtype=m.int32)),
    lambda m: m.zeros((), dtype=m.bool).bitwise_and_(m.zeros(2, dtype=m.int64)),
    lambda m: m.zeros(3, dtype=m.bool).bitwise_xor_(m.zeros(2, dtype=m.int32)),
    lambda m: m.zeros(3, dtype=m.bool).bitwise_or_(m.zeros(3, dtype=m.int32)),
    lambda m: m.zeros(3, dtype=m.int32).ldexp_(m.zeros(3, dtype=m.int64)),
    lambda m: m.zeros(3, dtype=m.int32).ldexp_(m.zeros(2, dtype=m.int64)),
    lambda m: m.zeros(3, dtype=m.bool).ldexp_(m.zeros(3)),
    lambda m: m.zeros(3, dtype=m.int64).ldexp_(2),
    lambda m: m.zeros(3).ldexp_(m.zeros(2)),
    lambda m: m.zeros(3, dtype=m.bool).clamp_(0, 1),
    lambda m: m.zeros(3, dtype=m.bool).clamp_(0.5),
    lambda m: m.zeros(3, dtype=m.bool).clamp_min_(1),
    lambda m: m.zeros(3, dtype=m.bool).clamp_max_(1),
    lambda m: m.zeros(3, dtype=m.bool).clip_(0, 1),
    lambda m: m.zeros(3, dtype=m.bool).clamp_(min=m.tensor(1)),
    lambda m: m.zeros(3).hypot_("a"),
    lambda m: m.zeros(3).lcm_("a"),
    lambda m: m.zeros(3).gcd_("a"),
    lambda m: m.zeros(3).addcmul_("a", m.zeros(3)),
    lambda m: m.zeros(3).addcmul_(m.zeros(3), "a"),
    lambda m: m.zeros(3).addcdiv_(m.zeros(3), "a"),
    lambda m: m.zeros(3).igamma_("a"),
    lambda m: m.zeros(3).nextafter_("a"),
    lambda m: m.zeros(3).heaviside_("a"),
]

_EXPECTED = {
    0: "output with shape [] doesn't match the broadcast shape [1]",
    4: "ldexp can't be cast to the desired output type Int",
    5: "ldexp can't be cast to the desired output type Int",
    9: "result type Long can't be cast to the desired output type bool",
    14: "result type Long can't be cast to the desired output type Bool",
    15: "hypot_(): argument 'other' (position 1) must be Tensor, not str",
    19: "addcmul_(): argument 'tensor2' (position 2) must be Tensor, not str",
}


@pytest.mark.parametrize("i", sorted(_EXPECTED))
def test_inplace_messages_by_hand(i):
    assert _error(lambda: _INPLACE_CASES[i](torchlet))[1] == _EXPECTED[i]


def test_inplace_messages_match_torch():
    torch = _torch()
    for i, case in enumerate(_INPLACE_CASES):
        assert _error(lambda c=case: c(torchlet)) == _error(lambda c=case: c(torch)), i
