"""Session 18 lead fixes: small gaps found by the helpers' hunts outside their files."""

import pytest

import torchlet


def test_unary_plus_is_positive():
    # torch: +x is torch.positive(x): x itself, and an error for a bool tensor
    x = torchlet.tensor([1.0, 2.0])
    assert (+x) is x
    with pytest.raises(RuntimeError, match=r"The `\+` operator, on a bool tensor is not"):
        +torchlet.tensor([True])  # noqa: B018


def test_unary_plus_matches_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="bool tensor is not supported"):
        +torch.tensor([True])  # noqa: B018
    x = torch.tensor([1.0])
    assert (+x) is x


@pytest.mark.parametrize("value, error, message", [
    (2**64, OverflowError, "int too big to convert"),
    (2**70, OverflowError, "int too big to convert"),
    (-(2**63) - 1, OverflowError, "can't convert negative int to unsigned"),
])
def test_bool_fill_checks_the_int_range_first(value, error, message):
    # torch's parser reads a Python int as int64 or uint64 before any dtype sees it
    with pytest.raises(error, match=message):
        torchlet.full_like(torchlet.zeros(2, dtype=torchlet.bool), value)
    with pytest.raises(error, match=message):
        torchlet.zeros(2, dtype=torchlet.bool).fill_(value)


def test_bool_fill_in_range():
    assert torchlet.full_like(torchlet.zeros(2, dtype=torchlet.bool), 2**63).tolist() == [
        True, True]
    assert torchlet.full((2,), -(2**63), dtype=torchlet.bool).tolist() == [True, True]
    assert torchlet.full((1,), 0, dtype=torchlet.bool).tolist() == [False]


def test_reshape_alias_saved_sizes():
    x = torchlet.randn(4, 3, requires_grad=True)[:, :1]  # viewable, not contiguous
    y = x.reshape(4)
    assert y.grad_fn.name() == "ReshapeAliasBackward0"
    assert y.grad_fn._saved_self_sym_sizes == (4, 1)


def test_invalid_gradient_names_its_input_position():
    # two inputs of the same shape and dtype: the message names the one that is wrong
    class Wrong(torchlet.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad, torchlet.ones(5)

    a = torchlet.randn(3, requires_grad=True)
    b = torchlet.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"invalid gradient at index 1 - got \[5\] but "
                                           r"expected shape compatible with \[3\]"):
        Wrong.apply(a, b).sum().backward()


def test_mT_of_0d_is_itself_with_a_warning():
    x = torchlet.tensor(2.0)
    with pytest.warns(UserWarning, match="Tensor.mT is deprecated on 0-D tensors"):
        assert x.mT is x
    with pytest.raises(RuntimeError, match="only supported on matrices"):
        torchlet.ones(3).mT  # noqa: B018


def test_cuda_out_of_memory_error_is_torchs():
    # scripts catch torch.cuda.OutOfMemoryError; it is the same class as torch's
    assert torchlet.cuda.OutOfMemoryError is torchlet.OutOfMemoryError
    assert issubclass(torchlet.OutOfMemoryError, RuntimeError)


def _column_cases():
    import numpy as np

    rng = np.random.default_rng(18)
    for i in range(300):
        rows, columns = int(rng.integers(1, 300)), int(rng.integers(2, 300))
        g = rng.standard_normal((rows, columns)).astype([np.float32, np.float64][i % 2])
        g *= 10.0 ** int(rng.integers(-3, 4))
        if i % 7 == 0:
            g[rng.random(g.shape) < 0.3] = -0.0
        yield g


def test_column_sums_is_add_reduce_bit_for_bit():
    # the bias-gradient shortcut must add in exactly _add_reduce's (torch's) order
    from torchlet._ops.reduction.sums import _add_reduce, column_sums

    for g in _column_cases():
        expected = _add_reduce(g, (0,), False, g.dtype)
        got = column_sums(g)
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()


def test_column_sums_of_negative_zeros_is_positive_zero():
    import numpy as np

    from torchlet._ops.reduction.sums import column_sums

    out = column_sums(np.full((64, 10), -0.0, np.float32))
    assert not np.signbit(out).any() and not out.any()


def test_linear_bias_grad_matches_torch_bits():
    torch = pytest.importorskip("torch")
    for g in list(_column_cases())[:60]:
        layer = torchlet.nn.Linear(3, g.shape[1]).to(torchlet.float64 if g.dtype.itemsize == 8
                                                     else torchlet.float32)
        x = torchlet.zeros(g.shape[0], 3, dtype=layer.weight.dtype)
        layer(x).backward(torchlet.from_numpy(g))
        expected = torch.from_numpy(g).sum(0).numpy()
        assert layer.bias.grad.numpy().tobytes() == expected.tobytes()


def test_cpp_node_type_names_drop_the_namespace():
    # torch: type(grad_fn).__name__ is 'CopySlices' (name() is 'torch::autograd::CopySlices')
    x = torchlet.randn(3, 4, requires_grad=True)
    y = x * 1
    y[0].mul_(2)  # the op's own node wrapped (CopySlicesNode)
    assert type(y.grad_fn).__name__ == "CopySlices"
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    y = x * 1
    y[0] = torchlet.ones(4)  # a plain copy into the window (the CopySlices primitive)
    assert type(y.grad_fn).__name__ == "CopySlices"
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
