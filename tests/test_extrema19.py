"""Extrema / order statistics gaps (helper extrema, session 19): signed zeros of the
whole-tensor max()/min() and median()/nanmedian(), argmax/argmin out=, nonzero out dtype,
count_nonzero / rot90 / roll layouts of empty tensors."""

import math

import numpy as np
import pytest

import torchlet


def _torch():
    return pytest.importorskip("torch")


def _sign(t) -> bool:
    return bool(np.signbit(t.item()))


# ---------------------------------------------------------------------------------------
# max() / min() over all elements: the sign of a +0/-0 tie (torch's AVX2 lanes)


def test_max_all_signed_zero_small_is_last_zero():
    # fewer elements than lanes: one vmaxps chain, which keeps the later of equal operands
    assert not _sign(torchlet.tensor([-0.0, 0.0]).max())
    assert _sign(torchlet.tensor([0.0, -0.0]).max())
    assert not _sign(torchlet.tensor([-0.0, 0.0, 1.0]).min())
    assert _sign(torchlet.tensor([0.0, -0.0, 1.0], dtype=torchlet.float64).min())


def test_max_all_signed_zero_float32_lane_tree():
    # 8 lanes; lane 3 holds +0, lane 6 holds -0, the rest -1: the tree pairs lane 0 with
    # 4, 2 with 6, 1 with 5, 3 with 7 first, and the last pick is (1,5,3,7)'s: +0
    x = np.full(8, -1.0, np.float32)
    x[3], x[6] = 0.0, -0.0
    assert not _sign(torchlet.tensor(x).max())
    # float64: 4 lanes met one after another, lane 2 (-0: x[6]) then lane 3 (+0: x[3])
    x = np.full(8, -1.0, np.float64)
    x[3], x[6] = 0.0, -0.0
    assert not _sign(torchlet.tensor(x).max())
    x[2], x[3], x[6], x[7] = 0.0, -1.0, -1.0, -0.0  # lanes 2 (+0) then 3 (-0)
    assert _sign(torchlet.tensor(x).max())


def test_max_all_signed_zero_sampled_vs_torch():
    torch = _torch()
    rng = np.random.default_rng(19)
    for it in range(300):
        shape = tuple(int(v) for v in rng.integers(1, 12, size=int(rng.integers(1, 4))))
        if it % 10 == 0:
            shape = (int(rng.integers(1, 2000)),)
        pz = rng.uniform(0.02, 0.6)
        dt = (np.float32, np.float64)[it % 2]
        sign = 1 if it % 4 < 2 else -1
        vals = rng.choice(np.array([-0.0, 0.0, -sign, -2.0 * sign]), size=shape,
                          p=[pz / 2, pz / 2, (1 - pz) / 2, (1 - pz) / 2]).astype(dt)
        got = []
        for m in (torch, torchlet):
            t = m.tensor(vals)
            if it % 3 == 0 and t.dim() > 1:
                t = t.transpose(0, -1)
            r = (m.max if sign == 1 else m.min)(t)
            got.append((r.item(), _sign(r), str(r.dtype)))
        assert got[0] == got[1], (shape, dt, vals)


def test_max_all_signed_zero_grad_unchanged():
    x = torchlet.tensor([0.0, -0.0, -1.0], requires_grad=True)
    x.max().backward()  # both zeros tie: split evenly, as before
    assert x.grad.tolist() == [0.5, 0.5, 0.0]


# ---------------------------------------------------------------------------------------
# median() / nanmedian() over all elements: std::nth_element's zero


def test_nanmedian_signed_zero_from_nth_element():
    nan = math.nan
    x = torchlet.tensor([-0.0, 0.0, 1.0, nan, -0.0, 0.0, -1.0], dtype=torchlet.float16)
    r = torchlet.nanmedian(x)
    assert r.item() == 0 and not _sign(r)  # NumPy's partition gives -0.0 here
    assert r.dtype == torchlet.float16


def test_median_signed_zero_sampled_vs_torch():
    torch = _torch()
    rng = np.random.default_rng(7)
    for it in range(300):
        shape = tuple(int(v) for v in rng.integers(1, 9, size=int(rng.integers(1, 4))))
        if it % 7 == 0:
            shape = (int(rng.integers(1, 300)),)
        p = rng.dirichlet(np.ones(6))
        vals = rng.choice(np.array([-0.0, 0.0, 1.0, -1.0, np.nan, 2.0]), size=shape, p=p)
        vals = vals.astype((np.float32, np.float64, np.float16)[it % 3])
        got = []
        for m in (torch, torchlet):
            t = m.tensor(vals)
            if it % 4 == 1:
                t = t.transpose(0, -1)
            elif it % 4 == 2:
                t = t[..., ::2]
            rs = (m.median(t), m.nanmedian(t))
            got.append([(str(r.item()), _sign(r)) for r in rs])
        assert got[0] == got[1], (shape, vals)


# ---------------------------------------------------------------------------------------
# argmax / argmin out=


def test_argmax_out():
    a = torchlet.tensor([[1.0, 3.0], [4.0, 2.0], [0.0, 9.0]])
    out = torchlet.empty(0, dtype=torchlet.int64)
    r = torchlet.argmax(a, 1, out=out)
    assert r is out and out.tolist() == [1, 0, 1]
    out = torchlet.empty(0, dtype=torchlet.int64)
    assert torchlet.argmin(a, out=out) is out and out.shape == () and out.item() == 4
    out = torchlet.empty(0, dtype=torchlet.int64)
    torchlet.argmax(a, 0, keepdim=True, out=out)
    assert out.tolist() == [[1, 2]]
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype long int, "
                                           "but got int instead"):
        torchlet.argmax(a, 1, out=torchlet.empty(3, dtype=torchlet.int32))
    with pytest.raises(RuntimeError, match="but got float instead"):
        torchlet.argmin(a, out=torchlet.empty(0))
    # the input is checked first
    with pytest.raises(RuntimeError, match="does not support bool input"):
        torchlet.argmax(torchlet.tensor([True]), out=torchlet.empty(0, dtype=torchlet.int32))
    with pytest.raises(IndexError, match="non-zero size"):
        torchlet.argmax(torchlet.zeros(2, 0), 1, out=torchlet.empty(0, dtype=torchlet.int32))
    with pytest.raises(TypeError, match="must be Tensor, not int"):
        torchlet.argmax(a, out=3)


def test_argmax_out_vs_torch():
    torch = _torch()
    for m_args in ((1,), (0, True), ()):
        got = []
        for m in (torch, torchlet):
            a = m.tensor([[1.0, 3.0, 2.0], [4.0, 2.0, 7.0]])
            out = m.empty(0, dtype=m.int64)
            for f in (m.argmax, m.argmin):
                f(a, *m_args, out=out)
                got.append((out.tolist(), tuple(out.shape), out.stride()))
        assert got[:2] == got[2:]


# ---------------------------------------------------------------------------------------
# layouts of empty results: count_nonzero, rot90, roll


def test_count_nonzero_empty_transposed_is_contiguous():
    for dt in (torchlet.bool, torchlet.float32):
        x = torchlet.zeros(3, 0, 3, dtype=dt).transpose(0, -1)
        r = x.count_nonzero(1)
        assert r.shape == (3, 3) and r.stride() == (3, 1)
        assert r.tolist() == [[0] * 3] * 3


def test_rot90_empty_strides():
    cases = [((4, 0, 2), None, (0, 1)), ((4, 0, 2), (0, 2), (0, 1)),
             ((4, 0, 2), (0, 2), (2, 0)), ((0, 3, 2), (1, 0), (0, 1))]
    # torch's flip (layout preserved) then transpose_, by hand for the first case
    assert torchlet.rot90(torchlet.zeros(4, 0, 2), 1).stride() == (2, 2, 1)
    assert torchlet.rot90(torchlet.zeros(4, 0, 2).transpose(0, 2), 1).stride() == (2, 1, 2)
    torch = pytest.importorskip("torch")
    for shape, swap, dims in cases:
        got = []
        for m in (torch, torchlet):
            x = m.zeros(*shape)
            if swap:
                x = x.transpose(*swap)
            got.append([(tuple(m.rot90(x, k, dims).shape), m.rot90(x, k, dims).stride())
                        for k in range(-1, 5)])
        assert got[0] == got[1], (shape, swap, dims)


def test_roll_empty_ignores_dims():
    x = torchlet.zeros(4, 0)
    r = torchlet.roll(x, 1, 3)  # torch returns a clone before reading dims
    assert r.shape == (4, 0) and r.stride() == (1, 1)
    assert torchlet.roll(torchlet.zeros(4, 0, 3), [1, 1], [3, 7]).shape == (4, 0, 3)
    y = torchlet.zeros(2, 0, 3).transpose(0, 2)
    assert torchlet.roll(y, 1, 0).stride() == (1, 3, 3)  # clone(preserve_format)
    assert torchlet.roll(y, 1).stride() == (2, 2, 1)  # flattened: contiguous
    g = torchlet.zeros(4, 0, requires_grad=True)
    out = torchlet.roll(g, 1, 3)
    assert out.grad_fn.name() == "RollBackward0"
    out.sum().backward()
    assert g.grad.shape == (4, 0)
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        torchlet.roll(x, [1, 2], [0])
    with pytest.raises(IndexError):
        torchlet.roll(torchlet.zeros(4, 3), 1, 3)


# ---------------------------------------------------------------------------------------
# nonzero out=


def test_nonzero_out_dtype():
    x = torchlet.tensor([1, 0, 2])
    for dt, word in ((torchlet.int32, "Int"), (torchlet.float32, "Float"),
                     (torchlet.bool, "Bool")):
        with pytest.raises(RuntimeError, match="nonzero: Expected out tensor to have scalar "
                                               f"type Long but got scalar type{word}$"):
            torchlet.nonzero(x, out=torchlet.empty(0, dtype=dt))
    out = torchlet.empty(0, dtype=torchlet.int64)
    assert torchlet.nonzero(x, out=out) is out and out.tolist() == [[0], [2]]
    with pytest.raises(RuntimeError, match="does not support the out kwarg when as_tuple"):
        torchlet.nonzero(x, as_tuple=True, out=torchlet.empty(0, dtype=torchlet.int64))
