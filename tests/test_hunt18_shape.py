"""Differential hunt 18 over shape, join and gather/scatter ops: regression tests for what
it found (torch 2.13 is the oracle; each test also states the expected answer by hand).

* Errors in torch's order and words: narrow (length before dim), narrow_copy (its own
  checks), cat/stack out= of an uncastable dtype (TypeError), split_with_sizes (the dim
  as given), squeeze's repeated dim, H, broadcast_shapes (torch's ref), expand's negative
  sizes, index_select/index_copy/index_add/index_fill/index_reduce on empty or 0-d
  tensors, take of an empty tensor, take_along_dim of a 0-d tensor, repeat_interleave of a
  0-d tensor and its output_size, bool scatter_reduce/index_reduce kernels.
* Layouts: nonzero is (n, ndim) with strides (1, n) and as_tuple gives its columns (views);
  gather, tril and triu are C-ordered; index_fill and put keep a dense input's layout.
* Values: take_along_dim wraps every index modulo the size; put follows memory order for
  transposed index/source; float16 scatter(reduce=) and scatter_reduce prod accumulate in
  float32; 0-D mH/adjoint pass through.
* Autograd: reshape of a non-contiguous tensor is ReshapeAliasBackward0; narrow_copy
  to the end with a negative start gets torch's gradient; index_reduce with
  include_self=False and an int32 index fails in backward as torch's.
"""

import warnings

import numpy as np
import pytest

import torchlet


def _torch():
    return pytest.importorskip("torch")


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return type(e).__name__, str(e).split("\n")[0]
    return None


def _both(fn):
    """fn(lib) on torchlet, and on torch when importable: the two outcomes."""
    got = _error(lambda: fn(torchlet))
    try:
        import torch
    except ImportError:
        return got, got
    return got, _error(lambda: fn(torch))


# ---------------------------------------------------------------------------------------
# errors


ERRORS = [
    # narrow checks the length before it wraps the dim
    ("narrow_len_first", lambda t: t.narrow(t.zeros(4, 1), 2, 0, -1),
     ("RuntimeError", "narrow(): length must be non-negative.")),
    # narrow_copy: start range, then one combined length check; a dim past the end
    ("narrow_copy_start", lambda t: t.narrow_copy(t.zeros(4, 1), 1, -2, -1),
     ("IndexError", "start out of range (expected to be in range of [-1, 1], but got -2)")),
    ("narrow_copy_neg_len", lambda t: t.narrow_copy(t.zeros(4, 1), 0, -3, -1),
     ("RuntimeError", "start (1) + length (-1) exceeds dimension size (4).")),
    ("narrow_copy_dim", lambda t: t.narrow_copy(t.zeros(4, 1), 2, 0, 0),
     ("RuntimeError", "Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, "
      "but got false.  (Could this error message be improved?  If so, please report an "
      "enhancement request to PyTorch.)")),
    ("cat_out_cast", lambda t: t.cat([t.ones(2, dtype=t.int64), t.ones(2)],
                                     out=t.empty(0, dtype=t.int32)),
     ("TypeError", "torch.cat(): input types can't be cast to the desired output type Int")),
    ("stack_out_cast", lambda t: t.stack([t.ones(2), t.ones(2)], out=t.empty(0, dtype=t.bool)),
     ("TypeError", "torch.cat(): input types can't be cast to the desired output type Bool")),
    ("split_sizes_dim", lambda t: t.split(t.zeros(3, 4), [1, 1], -1),
     ("RuntimeError", "split_with_sizes expects split_sizes to sum exactly to 4 (input "
      "tensor's size at dimension -1), but got split_sizes=[1, 1]")),
    ("squeeze_repeat", lambda t: t.squeeze(t.zeros(4, 0, 2, 1), (2, -1, 3, 1, 2)),
     ("RuntimeError", "dim 3 appears multiple times in the list of dims")),
    ("H_1d", lambda t: t.ones(3).H,
     ("RuntimeError", "tensor.H is only supported on matrices (2-D tensors). Got 1-D tensor.")),
    ("broadcast_shapes_msg", lambda t: t.broadcast_shapes((4, 4), (0, 0, 4)),
     ("RuntimeError", "Attempting to broadcast a dimension of length 0 at -2! Mismatching "
      "argument at index 1 had (0, 0, 4); but expected shape should be broadcastable to "
      "[1, 4, 4]")),
    ("broadcast_shapes_neg", lambda t: t.broadcast_shapes((2, -1), (1,)),
     ("ValueError", "Attempting to broadcast a dimension with negative length!")),
    ("broadcast_shapes_type", lambda t: t.broadcast_shapes(np.int64(3), (3,)),
     ("RuntimeError", "Input shapes should be of type ints, a tuple of ints, or a list of "
      "ints, got 3")),
    ("expand_0d_neg", lambda t: t.tensor(1).expand(-1),
     ("RuntimeError", "numel: integer multiplication overflow")),
    ("expand_lead_neg2", lambda t: t.tensor([1]).expand(-2, 1),
     ("RuntimeError", "numel: integer multiplication overflow")),
    ("expand_lead_neg1", lambda t: t.tensor([1]).expand(-1, 1),
     ("RuntimeError", "The expanded size of the tensor (-1) isn't allowed in a leading, "
      "non-existing dimension 0")),
    ("index_select_empty_dim", lambda t: t.index_select(t.zeros(2, 0), 1, t.tensor([0])),
     ("RuntimeError", "index_select(): self indexing axis dim should be positive")),
    ("index_select_empty_oob", lambda t: t.index_select(t.zeros(2, 0), 0, t.tensor([5])),
     ("RuntimeError", "INDICES element is out of DATA bounds, id=5 axis_dim=2")),
    ("index_select_scalar_first", lambda t: t.index_select(
        t.tensor(1.), 0, t.tensor([0, 0], dtype=t.int16)),
     ("RuntimeError", "index_select(): Index to scalar can have only 1 value, got 2 value(s)")),
    ("index_add_0d_source", lambda t: t.index_add(t.zeros(3), 0, t.tensor([0, 1]),
                                                  t.tensor(1.)),
     ("IndexError", "Dimension specified as 0 but tensor has no dimensions")),
    ("index_add_0d_shape", lambda t: t.index_add(t.zeros(3), 0, t.tensor([0]), t.tensor(1.)),
     ("RuntimeError", "source tensor shape must match self tensor shape, excluding the "
      "specified dimension. Got self.shape = [3] source.shape = []")),
    ("index_add_source_dim", lambda t: t.index_add(t.zeros(2, 3), 1, t.tensor([0]),
                                                   t.ones(2)),
     ("RuntimeError", "index_add_(): Indexing dim 1 is out of bounds of the source tensor "
      "with dim 1")),
    ("index_add_int32_oob", lambda t: t.index_add(t.zeros(3, 2), 0,
                                                  t.tensor([0, 5], dtype=t.int32), t.ones(2, 2)),
     ("IndexError", "index out of range in self")),
    ("index_add_middle_dim_oob", lambda t: t.index_add(t.zeros(2, 3, 2), 1, t.tensor([-1]),
                                                       t.ones(2, 1, 2)),
     ("IndexError", "index out of range in self")),
    ("index_add_last_dim_oob", lambda t: t.index_add(t.zeros(2, 3, 2), 2, t.tensor([-1]),
                                                     t.ones(2, 3, 1)),
     ("RuntimeError", "index -1 is out of bounds for dimension 2 with size 2")),
    ("index_add_alpha_oob", lambda t: t.index_add(t.zeros(3, 2), 0, t.tensor([5]), t.ones(1, 2),
                                                  alpha=2),
     ("IndexError", "index out of range in self")),
    ("index_reduce_no_self_negative", lambda t: t.index_reduce(
        t.zeros(3, 2), 0, t.tensor([-1]), t.ones(1, 2), "amax", include_self=False),
     ("IndexError", "index out of range in self")),
    ("repeat_interleave_size_msg", lambda t: t.repeat_interleave(t.zeros(3, 1), t.tensor([1, 2]),
                                                                 dim=-1),
     ("RuntimeError", "repeats must have the same size as input along dim, but got "
      "repeats.size(0) = 2 and input.size(-1) = 1")),
    ("index_reduce_no_self_oob", lambda t: t.index_reduce(
        t.zeros(3, 2), 0, t.tensor([0, 5]), t.ones(2, 2), "amax", include_self=False),
     ("IndexError", "index 5 is out of bounds for dimension 0 with size 3")),
    ("index_reduce_empty_dim", lambda t: t.index_reduce(
        t.zeros(2, 0), 1, t.tensor([0]), t.ones(2, 1), "prod"),
     ("IndexError", "select(): index 0 out of range for tensor of size [2, 0] at dimension 1")),
    ("index_reduce_bool_1d", lambda t: t.index_reduce(
        t.ones(3, dtype=t.bool), 0, t.tensor([0]), t.ones(1, dtype=t.bool), "amax"),
     ("NotImplementedError", "\"index_func_\" not implemented for 'Bool'")),
    ("index_reduce_bool_no_self", lambda t: t.index_reduce(
        t.ones(3, 2, dtype=t.bool), 0, t.tensor([0]), t.ones(1, 2, dtype=t.bool), "prod",
        include_self=False),
     ("NotImplementedError", "\"index_reduce_func_exclude_input_init\" not implemented for "
      "'Bool'")),
    ("index_reduce_bool_mean", lambda t: t.index_reduce(
        t.ones(3, 2, dtype=t.bool), 0, t.tensor([0]), t.ones(1, 2, dtype=t.bool), "mean"),
     ("NotImplementedError", "\"div_floor_cpu\" not implemented for 'Bool'")),
    ("scatter_reduce_bool_mean", lambda t: t.scatter_reduce(
        t.ones(3, dtype=t.bool), 0, t.tensor([5]), t.ones(1, dtype=t.bool), "mean"),
     ("NotImplementedError", "\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for "
      "'Bool'")),
    ("index_copy_restride", lambda t: t.index_copy(t.zeros(2, 0).double(), 1, t.tensor([0, 0]),
                                                   t.ones(2, 2).double()),
     ("RuntimeError", "setStorage: sizes [2, 2], strides [1, 0], storage offset 0, and "
      "itemsize 8 requiring a storage size of 16 are out of bounds for storage of size 0")),
    ("take_empty", lambda t: t.take(t.zeros(2, 0), t.tensor([5])),
     ("IndexError", "take(): tried to take from an empty tensor")),
    ("take_along_dim_0d", lambda t: t.take_along_dim(t.tensor(1.), t.tensor(0), 0),
     ("IndexError", "Dimension specified as 0 but tensor has no dimensions")),
    ("take_along_dim_zero_size", lambda t: t.take_along_dim(t.zeros(0, 2), t.tensor([[1, 0]]),
                                                            0),
     ("RuntimeError", "ZeroDivisionError")),
    ("repeat_interleave_0d_int", lambda t: t.repeat_interleave(t.tensor(1.), 2, dim=-1),
     ("IndexError", "Dimension out of range (expected to be in range of [-1, 0], but got 1)")),
    ("repeat_interleave_0d_tensor", lambda t: t.repeat_interleave(t.tensor(1.), t.tensor(2),
                                                                  dim=-1),
     ("IndexError", "Dimension specified as -1 but tensor has no dimensions")),
    ("repeat_interleave_size_first", lambda t: t.repeat_interleave(
        t.arange(2.), t.tensor([2, -1]), dim=0, output_size=3),
     ("RuntimeError", "allocated size does not match required size")),
    ("repeat_interleave_neg_size", lambda t: t.repeat_interleave(t.tensor([2, 1]),
                                                                 output_size=-2),
     ("RuntimeError", "Trying to create tensor with negative dimension -2: [-2]")),
]


@pytest.mark.parametrize("name,fn,want", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors(name, fn, want):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, oracle = _both(fn)
    assert got == want
    assert oracle == want


OK_NOW = [  # torch leaves these unchecked (they raised before)
    ("index_copy_empty_self", lambda t: t.index_copy(t.zeros(2, 0), 0, t.tensor([5]),
                                                     t.ones(1, 0)), (2, 0)),
    ("index_add_empty_self", lambda t: t.index_add(t.zeros(2, 0), 1, t.tensor([0]),
                                                   t.ones(2, 1)), (2, 0)),
    ("index_fill_empty_self", lambda t: t.index_fill(t.zeros(0, 3), 1, t.tensor([7]), 1.),
     (0, 3)),
    ("index_copy_restrided_empty", lambda t: t.index_copy(
        t.zeros(2, 0, 0), 1, t.tensor([0]), t.zeros(2, 1, 0)), (2, 0, 0)),
    ("repeat_interleave_no_counts", lambda t: t.repeat_interleave(
        t.tensor([], dtype=t.long), output_size=1), (0,)),
    ("index_reduce_bool_2d", lambda t: t.index_reduce(
        t.ones(3, 2, dtype=t.bool), 0, t.tensor([], dtype=t.long),
        t.ones(0, 2, dtype=t.bool), "mean"), (3, 2)),
]


@pytest.mark.parametrize("name,fn,shape", OK_NOW, ids=[c[0] for c in OK_NOW])
def test_unchecked_cases_succeed(name, fn, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tuple(fn(torchlet).shape) == shape
        torch = _torch()
        assert tuple(fn(torch).shape) == shape


def test_narrow_copy_out_dtype_checked_first():
    got, oracle = _both(lambda t: t.narrow_copy(t.zeros(4, 1), 0, -5, 1,
                                                out=t.empty(0, dtype=t.int64)))
    assert got[0] == "RuntimeError" and got[1].startswith("Expected self.dtype() == output")
    assert got == oracle


# ---------------------------------------------------------------------------------------
# layouts


def test_nonzero_layout():
    x = torchlet.tensor([[1, 0, 2], [0, 3, 3]])
    n = torchlet.nonzero(x)
    assert n.stride() == (1, 4) and n.tolist() == [[0, 0], [0, 2], [1, 1], [1, 2]]
    rows, cols = torchlet.nonzero(x, as_tuple=True)
    assert (rows.stride(), rows.storage_offset(), cols.storage_offset()) == ((1,), 0, 4)
    assert rows._base is not None and rows.tolist() == [0, 0, 1, 1]
    assert [c.stride() for c in torchlet.where(x)] == [(1,), (1,)]
    assert torchlet.nonzero(torchlet.zeros(2, 3)).stride() == (1, 0)  # (1, n), n = 0
    assert torchlet.nonzero(torchlet.tensor(0)).stride() == (1, 0)
    assert torchlet.nonzero(torchlet.tensor(5)).stride() == (1, 1)
    torch = _torch()
    t = torch.tensor([[1, 0, 2], [0, 3, 3]])
    assert torch.nonzero(t).stride() == n.stride()
    assert [(c.stride(), c.storage_offset()) for c in torch.nonzero(t, as_tuple=True)] == [
        ((1,), 0), ((1,), 4)]


LAYOUTS = [
    ("gather_t_index", lambda t: t.gather(t.arange(12.).reshape(4, 3), 0,
                                          t.tensor([[0, 1, 2, 3], [1, 2, 3, 0], [2] * 4]).t()),
     (3, 1)),
    ("tril_batch_t", lambda t: t.tril(t.arange(36.).reshape(3, 3, 4).transpose(0, 2)),
     (9, 3, 1)),
    ("triu_permuted", lambda t: t.triu(t.arange(24.).reshape(4, 3, 2).permute(2, 1, 0)),
     (12, 4, 1)),
    ("index_fill_t", lambda t: t.arange(12.).reshape(3, 4).t().index_fill(0, t.tensor([1]), 2.),
     (1, 4)),
    ("index_fill_size1", lambda t: t.arange(4.).reshape(4, 1).t().index_fill(1, t.tensor([1]),
                                                                              2.), (1, 1)),
    ("put_t", lambda t: t.arange(12.).reshape(3, 4).t().put(t.tensor([1]), t.tensor([9.])),
     (1, 4)),
]


@pytest.mark.parametrize("name,fn,strides", LAYOUTS, ids=[c[0] for c in LAYOUTS])
def test_layouts(name, fn, strides):
    got = fn(torchlet)
    assert got.stride() == strides
    torch = _torch()
    want = fn(torch)
    assert want.stride() == strides
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# ---------------------------------------------------------------------------------------
# values


def test_take_along_dim_wraps_modulo():
    x = torchlet.arange(6.).reshape(3, 2)
    got = torchlet.take_along_dim(x, torchlet.tensor([[5, -4], [-7, 0]]), 0)
    assert got.tolist() == [[4.0, 5.0], [4.0, 1.0]]  # rows 5 % 3, -4 % 3, -7 % 3, 0
    torch = _torch()
    want = torch.take_along_dim(torch.arange(6.).reshape(3, 2), torch.tensor([[5, -4], [-7, 0]]),
                                0)
    assert want.tolist() == got.tolist()


def test_put_follows_memory_order():
    # transposed index and source: torch's iteration walks memory order, not C order
    def fn(t):
        index = t.tensor([[0, 1, 0], [0, 1, 1]]).t()  # logically [[0, 0], [1, 1], [0, 1]]
        source = t.tensor([[1., 2., 3.], [4., 5., 6.]]).t()
        ones = t.tensor([[0, 0], [0, 0]]).t()
        big = t.tensor([[1e8, 1.], [-1e8, 1.]]).t()  # memory order: 1e8, 1, -1e8, 1
        return (t.zeros(2).put(index, source), t.zeros(1).put(ones, big, accumulate=True))

    plain, summed = fn(torchlet)
    # memory order writes 1, 2, 3 then 4 (last into 0), 5, 6 (last into 1); C order
    # would end with 3 into 0. The float32 sum 1e8 + 1 - 1e8 + 1 is 1 (C order: 2).
    assert plain.tolist() == [4.0, 6.0] and summed.tolist() == [1.0]
    torch = _torch()
    assert [r.tolist() for r in fn(torch)] == [plain.tolist(), summed.tolist()]


def test_float16_scatter_accumulates_in_float32():
    a = np.array([1.0, 0.5, -1.0], np.float16)
    src = np.array([0.1, 0.2, 0.3, 0.4, 0.7, 1.1], np.float16)
    idx = np.array([0, 0, 0, 1, 1, 1])
    for reduce, ufunc in (("add", np.add), ("multiply", np.multiply)):
        want = a.astype(np.float32)
        ufunc.at(want, idx, src.astype(np.float32))
        got = torchlet.tensor(a).scatter(0, torchlet.tensor(idx), torchlet.tensor(src),
                                         reduce=reduce)
        np.testing.assert_array_equal(got.numpy(), want.astype(np.float16))
    prod = torchlet.tensor(a).scatter_reduce(0, torchlet.tensor(idx), torchlet.tensor(src), "prod")
    want = a.astype(np.float32)
    np.multiply.at(want, idx, src.astype(np.float32))
    np.testing.assert_array_equal(prod.numpy(), want.astype(np.float16))


def test_float16_index_add_kernels():
    # float32 accumulation only in torch's int64 kernel for the first or last of 2+ dims
    # with alpha 1; elsewhere each step rounds to float16 (as np.add.at in float16)
    rng = np.random.default_rng(5)
    a = rng.standard_normal((2, 3, 2)).astype(np.float16)
    idx = np.array([0, 1, 0, 1, 0, 1])
    for dim, dtype, alpha in ((0, np.int64, 1), (1, np.int64, 1), (2, np.int32, 1),
                              (2, np.int64, 3)):
        src_shape = list(a.shape)
        src_shape[dim] = 6
        s = rng.standard_normal(src_shape).astype(np.float16)
        key = (slice(None),) * dim + (idx,)
        wide = dtype == np.int64 and dim != 1 and alpha == 1
        want = a.astype(np.float32) if wide else a.copy()
        np.add.at(want, key, s.astype(want.dtype) * want.dtype.type(alpha))
        got = torchlet.tensor(a).index_add(dim, torchlet.tensor(idx.astype(dtype)),
                                           torchlet.tensor(s), alpha=alpha)
        np.testing.assert_array_equal(got.numpy(), want.astype(np.float16))


def test_broadcast_shapes_follows_torch_ref():
    assert tuple(torchlet.broadcast_shapes((2, 3), None, (3,))) == (2, 3)
    assert tuple(torchlet.broadcast_shapes()) == ()
    assert tuple(torchlet.broadcast_shapes((True,), (2,))) == (2,)


def test_zero_d_conjugate_transposes_pass_through():
    x = torchlet.tensor(2.0, requires_grad=True)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert x.mH is x and x.adjoint() is x and torchlet.adjoint(x) is x
    with pytest.raises(RuntimeError, match="For batches of matrices, consider using tensor.mH"):
        _ = torchlet.ones(2, 2, 2).H


# ---------------------------------------------------------------------------------------
# autograd


def test_reshape_node_names():
    b = torchlet.randn(4, 2, requires_grad=True)
    assert b[:, 0].reshape(2, 2).grad_fn.name() == "ReshapeAliasBackward0"
    x = torchlet.randn(2, 3, 4, requires_grad=True).transpose(0, 1)
    assert x.reshape(3, 2, 4).grad_fn.name() == "ReshapeAliasBackward0"  # same shape too
    assert x.reshape_as(x).grad_fn.name() == "ReshapeAliasBackward0"
    assert x.reshape(3, 8).grad_fn.name() == "UnsafeViewBackward0"  # a copy
    assert x.view(3, 2, 4).grad_fn.name() == "ViewBackward0"
    assert torchlet.randn(4, 1, requires_grad=True).t().reshape(4).grad_fn.name() == \
        "ViewBackward0"  # contiguous as torch reads it
    y = x.reshape(3, 2, 4)
    y.backward(torchlet.ones(3, 2, 4))
    assert y._base is not None


def test_narrow_copy_gradient_as_torch():
    x = torchlet.arange(5.).requires_grad_()
    g = torchlet.tensor([7.])
    (grad,) = torchlet.autograd.grad(torchlet.narrow_copy(x, 0, -1, 1), x, g)
    assert grad.tolist() == [0.0] * 5  # torch's slice_backward(-1, 0) is empty
    with pytest.raises(RuntimeError, match=r"size of tensor a \(0\) must match the size of "
                                           r"tensor b \(2\) at non-singleton dimension 0"):
        torchlet.narrow_copy(x, 0, -2, 2).sum().backward()
    (grad,) = torchlet.autograd.grad(torchlet.narrow_copy(x, 0, -3, 2), x, torchlet.ones(2))
    assert grad.tolist() == [0.0, 0.0, 1.0, 1.0, 0.0]


def test_index_reduce_int32_backward_refused():
    x = torchlet.randn(3, 2, dtype=torchlet.float64, requires_grad=True)
    s = torchlet.randn(2, 2, dtype=torchlet.float64, requires_grad=True)
    y = torchlet.index_reduce(x, 0, torchlet.tensor([0, 2], dtype=torchlet.int32), s, "amax",
                              include_self=False)
    with pytest.raises(IndexError, match="index_fill_\\(\\): Expected dtype int64 for index."):
        y.sum().backward()
    y = torchlet.index_reduce(x, 0, torchlet.tensor([0, 2]), s, "amax", include_self=False)
    y.sum().backward()
    assert x.grad.tolist()[1] == [1.0, 1.0] and x.grad.tolist()[0] == [0.0, 0.0]


# ---------------------------------------------------------------------------------------
# a small sampled differential test


def _configs():
    rng = np.random.default_rng(18)
    out = []
    for _ in range(40):
        shape = tuple(int(s) for s in rng.integers(0, 4, int(rng.integers(1, 4))))
        dim = int(rng.integers(-len(shape), len(shape)))
        start = int(rng.integers(-4, 5))
        length = int(rng.integers(-1, 4))
        idx_len = int(rng.integers(0, 4))
        idx = [int(v) for v in rng.integers(-1, 5, idx_len)]
        out.append((shape, dim, start, length, idx, bool(rng.random() < 0.5)))
    return out


def _outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    if isinstance(r, tuple):
        return [(x.tolist(), x.stride()) for x in r]
    return r.tolist(), tuple(r.shape), r.stride() if r.numel() > 1 else None


@pytest.mark.parametrize("config", _configs())
def test_sampled_against_torch(config):
    torch = _torch()
    shape, dim, start, length, idx, transposed = config
    data = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)

    def make(t):
        x = t.tensor(data.reshape(-1).copy()).reshape(shape)
        return x.transpose(0, -1).contiguous().transpose(0, -1) if transposed else x

    ops = [
        lambda t, x: t.narrow(x, dim, start, length),
        lambda t, x: t.narrow_copy(x, dim, start, length),
        lambda t, x: t.index_select(x, dim, t.tensor(idx, dtype=t.long)),
        lambda t, x: t.index_fill(x, dim, t.tensor(idx, dtype=t.long), -1.0),
        lambda t, x: t.take(x, t.tensor(idx, dtype=t.long)),
        lambda t, x: t.nonzero(x, as_tuple=True),
        lambda t, x: t.tril(x, start) if x.dim() >= 2 else t.flip(x, (dim,)),
        lambda t, x: x.reshape(-1),
        lambda t, x: t.repeat_interleave(x, max(length, 0), dim=dim),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for op in ops:
            assert _outcome(lambda op=op: op(torchlet, make(torchlet))) == \
                _outcome(lambda op=op: op(torch, make(torch)))
