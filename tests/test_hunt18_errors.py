"""Bad input and extreme values in nn.functional (hunt 18): torch's exception types and
messages, the dtypes torch's kernels take, and its "empty" convolution backend.

Each test states the expected outcome by hand and, where torch is importable, compares
with it live."""

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F


def _outcome(fn):
    """(type name, first line of the message) of what ``fn`` raises, else ("ok", result)."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__, str(e).split("\n")[0]


def _same_outcome(build):
    """Run ``build(lib)`` on torchlet and torch: the same exception type and message, or
    results of the same dtype, shape and values."""
    torch = pytest.importorskip("torch")
    mine, theirs = _outcome(lambda: build(torchlet)), _outcome(lambda: build(torch))
    assert mine[0] == theirs[0], (mine, theirs)
    if mine[0] != "ok":
        assert mine[1] == theirs[1]
        return
    a, b = mine[1], theirs[1]
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(a.detach().numpy().astype(np.float64),
                               b.detach().numpy().astype(np.float64), rtol=1e-5, atol=1e-6)


def _ones(lib, shape, dtype):
    return lib.tensor(np.ones(shape, dtype=dtype))


# ---------------------------------------------------------------------------------------
# pooling


def test_max_unpool_output_size_message_shows_the_callers_sequence():
    x = torchlet.ones(1, 1, 2, 2)
    idx = torchlet.tensor([[[[0, 1], [5, 15]]]])
    with pytest.raises(ValueError, match=r'invalid output_size "\(7, 7\)" \(dim 0 must be '
                                         r"between 2 and 6\)"):
        F.max_unpool2d(x, idx, 2, output_size=(1, 1, 7, 7))
    with pytest.raises(ValueError, match=r'"\[7, 7\]"'):
        F.max_unpool2d(x, idx, 2, output_size=[7, 7])
    with pytest.raises(ValueError, match=r'"torch.Size\(\[7, 7\]\)"'):
        F.max_unpool2d(x, idx, 2, output_size=torchlet.Size([7, 7]))
    _same_outcome(lambda L: L.nn.functional.max_unpool2d(
        L.ones(1, 1, 2, 2), L.tensor([[[[0, 1], [5, 15]]]]), 2, output_size=(7, 7)))


def test_max_pool_refuses_bool_after_the_geometry():
    x = torchlet.ones(1, 1, 4, 4, dtype=torchlet.bool)
    with pytest.raises(NotImplementedError, match="\"max_pool2d\" not implemented for 'Bool'"):
        F.max_pool2d(x, 2)
    with pytest.raises(NotImplementedError, match="\"max_pool3d\" not implemented for 'Bool'"):
        F.max_pool3d(torchlet.ones(1, 1, 2, 2, 2, dtype=torchlet.bool), 2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(torchlet.ones(1, 1, 2, 2, dtype=torchlet.bool), 3)
    # every other integer dtype is taken
    out = F.max_pool2d(torchlet.arange(16, dtype=torchlet.int8).reshape(1, 1, 4, 4), 2)
    assert out.dtype == torchlet.int8 and out.flatten().tolist() == [5, 7, 13, 15]


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "bool"])
def test_avg_pool_takes_only_int64_among_integers(dtype):
    word = {"int8": "Char", "uint8": "Byte", "int16": "Short", "int32": "Int",
            "bool": "Bool"}[dtype]
    x2 = torchlet.tensor(np.ones((1, 1, 4, 4), dtype))
    with pytest.raises(NotImplementedError, match=f"\"avg_pool2d\" not implemented for '{word}'"):
        F.avg_pool2d(x2, 2)
    with pytest.raises(NotImplementedError, match="\"avg_pool2d\""):  # (1-d runs as 2-d)
        F.avg_pool1d(torchlet.tensor(np.ones((1, 1, 4), dtype)), 2)
    if dtype != "bool":  # (lp_pool averages x ** p: a bool's is int64)
        with pytest.raises(NotImplementedError, match="\"avg_pool2d\""):
            F.lp_pool2d(x2, 2, 2)
    with pytest.raises(NotImplementedError,
                       match=f"\"avg_pool3d_out_frame\" not implemented for '{word}'"):
        F.avg_pool3d(torchlet.tensor(np.ones((1, 1, 2, 2, 2), dtype)), 2)


def test_avg_pool_int64_and_avg_pool3d_half():
    x = torchlet.arange(16).reshape(1, 1, 4, 4)
    assert F.avg_pool2d(x, 2).flatten().tolist() == [2, 4, 10, 12]  # (floor of the mean)
    with pytest.raises(NotImplementedError, match="'Half'"):
        F.avg_pool3d(torchlet.ones(1, 1, 2, 2, 2, dtype=torchlet.float16), 2)
    with pytest.raises(RuntimeError, match="smaller than kernel size"):  # geometry first
        F.avg_pool3d(torchlet.ones(1, 1, 2, 2, 2, dtype=torchlet.float16), 3)
    assert F.avg_pool2d(torchlet.ones(1, 1, 2, 2, dtype=torchlet.float16), 2).dtype \
        == torchlet.float16
    _same_outcome(lambda L: L.nn.functional.avg_pool3d(
        L.ones(1, 1, 2, 2, 2, dtype=L.float16), 2))
    _same_outcome(lambda L: L.nn.functional.avg_pool1d(L.ones(1, 1, 4, dtype=L.int32), 2))


# ---------------------------------------------------------------------------------------
# convolution dtypes


def test_conv_refuses_bool_and_dilated_small_integers():
    x, w = _ones(torchlet, (1, 2, 5, 5), bool), _ones(torchlet, (2, 2, 2, 2), bool)
    with pytest.raises(NotImplementedError, match="\"slow_conv2d_cpu\" not implemented for 'Bool'"):
        F.conv2d(x, w)
    with pytest.raises(NotImplementedError, match="\"slow_conv_dilated<>\" not implemented"):
        F.conv2d(x, w, dilation=2)
    with pytest.raises(NotImplementedError, match="\"compute_columns3d\" not implemented"):
        F.conv3d(_ones(torchlet, (1, 2, 3, 3, 3), bool), _ones(torchlet, (2, 2, 2, 2, 2), bool))
    with pytest.raises(NotImplementedError,
                       match="\"slow_conv_dilated<>\" not implemented for 'Char'"):
        F.conv1d(_ones(torchlet, (1, 2, 5), np.int8), _ones(torchlet, (2, 2, 2), np.int8),
                 dilation=2)
    # undilated small integers and dilated int64 run: 2*2*2 ones per output
    out = F.conv2d(_ones(torchlet, (1, 2, 5, 5), np.int8), _ones(torchlet, (2, 2, 2, 2), np.int8))
    assert out.dtype == torchlet.int8 and set(out.flatten().tolist()) == {8}
    out = F.conv2d(_ones(torchlet, (1, 2, 5, 5), np.int64), _ones(torchlet, (2, 2, 2, 2), np.int64),
                   dilation=2)
    assert out.shape == (1, 2, 3, 3) and set(out.flatten().tolist()) == {8}
    # a bool input with a float weight: the kernel refuses the input's dtype first
    with pytest.raises(NotImplementedError, match="'Bool'"):
        F.conv2d(x, torchlet.ones(2, 2, 2, 2))


# ---------------------------------------------------------------------------------------
# the "empty" backend: an input with no elements


def test_empty_batch_convolution_takes_the_dtype_of_input_times_weight0():
    # input * weight.view(-1)[0]: a 0-d weight element of a higher kind wins
    out = F.conv2d(_ones(torchlet, (0, 2, 5, 5), np.int8), torchlet.ones(2, 2, 2, 2))
    assert out.dtype == torchlet.float32 and out.shape == (0, 2, 4, 4)
    out = F.conv2d(torchlet.ones(0, 2, 5, 5), torchlet.ones(2, 2, 2, 2, dtype=torchlet.float64))
    assert out.dtype == torchlet.float32
    out = F.conv_transpose2d(_ones(torchlet, (0, 2, 5, 5), bool),
                             _ones(torchlet, (2, 2, 2, 2), np.uint8))
    assert out.dtype == torchlet.uint8 and out.shape == (0, 2, 6, 6)
    with pytest.raises(IndexError, match=r"select\(\): index 0 out of range for tensor of "
                                         r"size \[0\] at dimension 0"):
        F.conv2d(torchlet.ones(0, 2, 5, 5), torchlet.ones(2, 2, 0, 0))
    with pytest.raises(IndexError, match="select"):
        F.conv_transpose2d(torchlet.ones(0, 2, 5, 5), torchlet.ones(2, 0, 2, 2))


def test_no_input_channels_gives_no_output_channels():
    x = torchlet.ones(2, 0, 5, 5, requires_grad=True)
    w = torchlet.ones(3, 0, 2, 2, dtype=torchlet.float64, requires_grad=True)
    out = F.conv2d(x, w)
    assert out.shape == (2, 0, 4, 4) and out.dtype == torchlet.float64  # promoted
    out.sum().backward()
    assert x.grad.shape == (2, 0, 5, 5) and w.grad.shape == (3, 0, 2, 2)
    assert F.conv1d(torchlet.ones(0, 5), torchlet.ones(2, 0, 2)).shape == (0, 4)
    assert F.conv2d(torchlet.ones(2, 0, 5, 5), torchlet.ones(4, 0, 2, 2), groups=2).shape \
        == (2, 0, 4, 4)


def test_zero_size_kernels_are_refused_in_torchs_words():
    d = torchlet.float64  # (torch's own kernels; float32 goes to oneDNN)
    with pytest.raises(RuntimeError, match="kernel size should be greater than zero, but got "
                                           "kernel_height: 0 kernel_width: 2"):
        F.conv2d(torchlet.ones(2, 2, 5, 5, dtype=d), torchlet.ones(2, 2, 0, 2))
    with pytest.raises(RuntimeError, match=r"but got \[2, 0\]"):
        F.conv2d(torchlet.ones(2, 2, 5, 5, dtype=d), torchlet.ones(2, 2, 2, 0, dtype=d),
                 dilation=2)
    with pytest.raises(RuntimeError, match=r"but got: 2 x 0 x 2 \(TxHxW\)"):
        F.conv3d(torchlet.ones(2, 2, 5, 5, 5, dtype=d), torchlet.ones(2, 2, 2, 0, 2, dtype=d))
    with pytest.raises(RuntimeError, match=r"non-empty 2D or 4D weight tensor expected, but "
                                           r"got: \[2, 0, 1, 2\]"):
        F.conv_transpose1d(torchlet.ones(2, 2, 5, dtype=d), torchlet.ones(2, 0, 2, dtype=d))
    with pytest.raises(RuntimeError, match="non-empty 5D"):
        F.conv_transpose3d(torchlet.ones(1, 2, 5, 5, 5, dtype=torchlet.int8),
                           torchlet.ones(2, 0, 2, 2, 2))
    with pytest.raises(RuntimeError, match="could not create a primitive descriptor"):
        F.conv2d(torchlet.ones(2, 2, 5, 5), torchlet.ones(2, 2, 0, 0))
    # padding='same' halves -1 towards zero (crops one off the end), then the same error
    with pytest.raises(RuntimeError, match="kernel_height: 0 kernel_width: 2"):
        F.conv2d(torchlet.ones(1, 2, 5, 5, dtype=d), torchlet.ones(2, 2, 0, 2, dtype=d),
                 padding="same")


# ---------------------------------------------------------------------------------------
# normalization


def test_group_norm_non_positive_groups():
    with pytest.raises(RuntimeError, match="Expected num groups to be greater than 0, got -2"):
        F.group_norm(torchlet.ones(2, 6, 3), -2)
    with pytest.raises(RuntimeError, match="greater than 0, got 0"):
        torchlet.group_norm(torchlet.ones(2, 6, 3), 0)
    _same_outcome(lambda L: L.nn.functional.group_norm(L.ones(2, 6, 3), -3))


@pytest.mark.parametrize("shape,size,message", [
    ((2, 3, 4), 0, "kernel size should be greater than zero, but got kH: 0 kW: 1"),
    ((2, 3, 4), -1, "kernel size should be greater than zero, but got kH: -1 kW: 1"),
    ((2, 3, 4, 5), 0, "kernel size should be greater than zero, but got kT: 0 kH: 1 kW: 1"),
    ((2, 3, 4, 5), -2, "pad should be at most half of effective kernel size"),
])
def test_local_response_norm_non_positive_size(shape, size, message):
    with pytest.raises(RuntimeError, match=message):
        F.local_response_norm(torchlet.ones(shape), size)
    _same_outcome(lambda L: L.nn.functional.local_response_norm(L.ones(shape), size))


def test_batch_norm_of_a_1d_input_counts_no_channels():
    with pytest.raises(RuntimeError, match="running_mean should contain 0 elements not 3"):
        F.batch_norm(torchlet.ones(3), torchlet.zeros(3), torchlet.ones(3), training=True)
    with pytest.raises(RuntimeError, match="weight should contain 0 elements not 3"):
        F.batch_norm(torchlet.ones(3), None, None, torchlet.ones(3), training=True)
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.batch_norm(torchlet.ones(3), None, None, training=True)
    assert F.batch_norm(torchlet.ones(0), None, None, torchlet.ones(3)).shape == (0,)
    _same_outcome(lambda L: L.nn.functional.batch_norm(
        L.ones(3), None, L.ones(3), training=True))


# ---------------------------------------------------------------------------------------
# embedding


def test_embedding_of_an_empty_weight():
    with pytest.raises(RuntimeError, match="index_select\\(\\): self indexing axis dim should "
                                           "be positive"):
        F.embedding(torchlet.tensor([0]), torchlet.ones(0, 3))
    assert F.embedding(torchlet.tensor([], dtype=torchlet.int64), torchlet.ones(0, 3)).shape \
        == (0, 3)


def test_embedding_bag_index_errors_name_the_kernel_that_finds_them():
    w = torchlet.arange(15.0).reshape(5, 3)
    idx, offs = torchlet.tensor([0, 9, 1, 7]), torchlet.tensor([0, 2])
    # fbgemm (sum/mean, no padding_idx, not float64): the first bad position
    with pytest.raises(RuntimeError, match=r"Index 1 of input takes value 9 which is not in "
                                           r"the valid range \[0, 5\)"):
        F.embedding_bag(idx, w, offs)
    with pytest.raises(RuntimeError, match="Expected idx >= 0 && idx < num_embeddings but "
                                           "found idx to be 9"):
        F.embedding_bag(idx, w, offs, mode="max")
    with pytest.raises(RuntimeError, match="found idx to be 9"):
        F.embedding_bag(idx, w.double(), offs)
    with pytest.raises(RuntimeError, match="found idx to be -2"):
        F.embedding_bag(torchlet.tensor([[0, 1], [2, -2]]), w, padding_idx=0)


def test_embedding_bag_short_last_offset():
    """include_last_offset with a last offset short of the end: fbgemm stops there (and
    does not look at the rest); torch's other kernels run the last bag on to the end."""
    w = torchlet.arange(15.0).reshape(5, 3)
    idx, offs = torchlet.tensor([0, 1, 2, 3]), torchlet.tensor([0, 1, 2])
    out = F.embedding_bag(idx, w, offs, mode="sum", include_last_offset=True)
    assert out.tolist() == [[0, 1, 2], [3, 4, 5]]
    out = F.embedding_bag(idx, w.double(), offs, mode="sum", include_last_offset=True)
    assert out.tolist() == [[0, 1, 2], [18, 21, 24]]  # rows 1 + 2 + 3
    out = F.embedding_bag(idx, w.double(), offs, mode="mean", include_last_offset=True)
    assert out.tolist() == [[0, 1, 2], [6, 7, 8]]
    out = F.embedding_bag(idx, w, offs, mode="max", include_last_offset=True)
    assert out.tolist() == [[0, 1, 2], [9, 10, 11]]
    # an out-of-range index past the last offset: fbgemm never reads it
    bad = torchlet.tensor([0, 1, 2, 7])
    assert F.embedding_bag(bad, w, torchlet.tensor([0, 2, 3]), include_last_offset=True,
                           mode="sum").tolist() == [[3, 5, 7], [6, 7, 8]]
    with pytest.raises(RuntimeError, match="found idx to be 7"):
        F.embedding_bag(bad, w, torchlet.tensor([0, 2, 3]), include_last_offset=True,
                        mode="max")


# ---------------------------------------------------------------------------------------
# fold / unfold


def test_unfold_and_fold_take_bool():
    x = torchlet.tensor([[[[True, False, False], [False, False, True], [False, True, False]]]])
    cols = F.unfold(x, 2)
    assert cols.dtype == torchlet.bool and cols.shape == (1, 4, 4)
    assert cols[0, :, 0].tolist() == [True, False, False, False]
    back = F.fold(cols, (3, 3), 2)  # overlapping blocks add up: for bool, any
    assert back.dtype == torchlet.bool and back.tolist() == x.tolist()
    with pytest.raises(NotImplementedError, match="\"im2col_out_cpu\" not implemented for "
                                                  "'Long'"):
        F.unfold(torchlet.ones(1, 2, 4, 4, dtype=torchlet.int64), 2)
    # the geometry is checked before the dtype
    with pytest.raises(RuntimeError, match="components must be at least one"):
        F.unfold(torchlet.ones(1, 2, 4, 4, dtype=torchlet.int64), 5)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(torchlet.ones(1, 7, 9, dtype=torchlet.int64), (4, 4), 2)


# ---------------------------------------------------------------------------------------
# sampled differential tests (a fixed list of seeded configurations)


def _conv_configs():
    rng = np.random.default_rng(18)
    dtypes = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
    configs = []
    for _ in range(40):
        nd = int(rng.integers(1, 4))
        transposed = bool(rng.integers(0, 2))
        n, c = int(rng.integers(0, 3)), int(rng.integers(0, 3))
        if transposed and c == 0:
            c = 1
        xd, wd = rng.choice(dtypes, 2)
        dilation = int(rng.integers(1, 3))
        k = int(rng.integers(0, 3))
        configs.append((nd, transposed, n, c, str(xd), str(wd), dilation, k))
    return configs


@pytest.mark.parametrize("nd,transposed,n,c,xd,wd,dilation,k", _conv_configs())
def test_sampled_conv_dtypes_and_empty_inputs(nd, transposed, n, c, xd, wd, dilation, k):
    def build(L):
        x = _ones(L, (n, c) + (5,) * nd, xd)
        w_shape = ((c, 2) if transposed else (2, c)) + (k,) * nd
        fn = getattr(L.nn.functional, f"conv{'_transpose' if transposed else ''}{nd}d")
        return fn(x, _ones(L, w_shape, wd), dilation=dilation)
    _same_outcome(build)


def _bag_configs():
    rng = np.random.default_rng(181)
    configs = []
    for _ in range(40):
        count = int(rng.integers(0, 7))
        idx = rng.integers(0, 5, count)
        if count and not rng.integers(0, 3):
            idx[rng.integers(0, count)] = rng.choice([-1, 5, 7])
        offs = np.sort(rng.integers(0, count + 1, int(rng.integers(2, 4))))
        offs[0] = 0
        last, mode = bool(rng.integers(0, 2)), str(rng.choice(["sum", "mean", "max"]))
        dtype, pad = str(rng.choice(["float32", "float64"])), [None, 0, -1][int(rng.integers(0, 3))]
        if last and mode == "mean" and dtype == "float32" and pad is None:
            offs[-1] = count  # (short of the end, torch's fbgemm mean divides by the rest)
        configs.append((idx.tolist(), offs.tolist(), last, mode, dtype, pad))
    return configs


@pytest.mark.parametrize("idx,offs,last,mode,dtype,pad", _bag_configs())
def test_sampled_embedding_bag(idx, offs, last, mode, dtype, pad):
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # (torch's error position depends on its split of the bags)

    def build(L):
        w = L.tensor(np.arange(15.0).reshape(5, 3).astype(dtype), requires_grad=True)
        out = L.nn.functional.embedding_bag(L.tensor(idx, dtype=L.int64), w,
                                            L.tensor(offs, dtype=L.int64), mode=mode,
                                            padding_idx=pad, include_last_offset=last)
        if not (last and offs[-1] < len(idx) and mode != "max" and pad is None
                and dtype == "float32"):  # (there torch's gradient is uninitialised memory)
            (out * L.arange(out.numel(), dtype=out.dtype).reshape(out.shape)).sum().backward()
            return L.cat([out.flatten(), w.grad.flatten()])
        return out
    try:
        _same_outcome(build)
    finally:
        torch.set_num_threads(threads)
