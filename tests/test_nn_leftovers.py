"""Regression tests for nn leftovers: pooling's pad <= kernel/2 check (and torch's order of
checks), interpolate on uint8 / integer input and area to an empty output, uninitialized
(lazy) parameters used as tensors, and torch.nn.utils.prune."""

import random

import numpy as np
import pytest

import torchlet
import torchlet.nn as nn
import torchlet.nn.functional as F
import torchlet.nn.utils.prune as prune


def _outcome(lib, fn):
    """What ``fn(lib)`` does: ("ok", shape) or (exception type name, message)."""
    try:
        result = fn(lib)
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        return type(e).__name__, str(e)
    if isinstance(result, tuple):  # (values, indices)
        return "ok", [tuple(r.shape) for r in result]
    return "ok", tuple(result.shape)


# ---------------------------------------------------------------------------------------
# 1. pooling checks


def test_max_pool2d_pad_at_most_half_kernel():
    x = torchlet.randn(1, 2, 5, 7)
    with pytest.raises(RuntimeError, match="^pad should be smaller than or equal to half of "
                       "kernel size, but got padW = 2, padH = 2, kW = 4, kH = 3$"):
        F.max_pool2d(x, (3, 4), padding=2, dilation=2, ceil_mode=True)
    # kH = 4 allows padH = 2: out = (size + 2*2 - 2*3 - 1) // 4 + 1 = (1, 2)
    assert F.max_pool2d(x, (4, 4), padding=2, dilation=2).shape == (1, 2, 1, 2)


def test_max_pool3d_pad_at_most_half_kernel():
    x = torchlet.randn(1, 2, 5, 7, 7)
    with pytest.raises(RuntimeError, match="^pad should be smaller than or equal to half of "
                       "kernel size, but got kT: 3 kW: 2 kH: 4 padT: 2 padW: 1 padH: 2$"):
        F.max_pool3d(x, (3, 4, 2), padding=(2, 2, 1), dilation=2)


def test_pool_check_order():
    # empty dimension before the pad check, pad check before the output size check
    with pytest.raises(RuntimeError, match="^Expected 3D or 4D .* but got:\\[1, 2, 0, 7\\]"):
        F.max_pool2d(torchlet.randn(1, 2, 0, 7), (3, 4), padding=2, dilation=2)
    with pytest.raises(RuntimeError, match="^pad should be smaller"):
        F.max_pool2d(torchlet.randn(1, 2, 1, 1), (3, 4), padding=2, dilation=2)
    with pytest.raises(RuntimeError, match="^non-empty 3D or 4D"):
        F.max_pool2d(torchlet.randn(2, 3), 2, stride=0)
    with pytest.raises(RuntimeError, match="^input image \\(T: 1 H: 1 W: 1\\) smaller than "
                       "kernel size \\(kT: 3 kH: 3 kW: 3\\)$"):
        F.avg_pool3d(torchlet.randn(1, 2, 1, 1, 1), 3, padding=1)
    with pytest.raises(RuntimeError, match="^max_pool3d_with_indices_out_cpu_template\\(\\): "
                       "Expected input's non-batch dimensions to have positive length"):
        F.max_pool3d(torchlet.randn(1, 2, 0, 7, 7), 2)
    # with indices, max_pool1d is max_pool2d of a height-1 input (and its checks)
    with pytest.raises(RuntimeError, match="^Expected 2 to 3 dimensions, but got 1-dimensional"):
        F.max_pool1d(torchlet.randn(4), 2, return_indices=True)
    with pytest.raises(RuntimeError, match="^pad should be smaller than or equal to half of "
                       "kernel size, but got padW = 2, padH = 0, kW = 2, kH = 1$"):
        F.max_pool1d(torchlet.randn(7, 5, 1), 2, stride=1, padding=2, dilation=3,
                     return_indices=True)


def _random_pool_call(rng):
    nd = rng.choice([1, 2, 3])
    op = rng.choice(["max", "maxi", "avg"])
    ndim = rng.choice([nd + 1, nd + 2, nd + 2, nd])
    shape = [rng.choice([0, 1, 3, 5]) if rng.random() < 0.15 else rng.randint(1, 7)
             for _ in range(ndim)]

    def tup(lo, hi):
        values = [rng.randint(lo, hi) for _ in range(nd)]
        return values[0] if rng.random() < 0.3 else tuple(values)

    k = tup(0 if rng.random() < 0.05 else 1, 4)
    s = None if rng.random() < 0.3 else tup(-1 if rng.random() < 0.05 else 1, 3)
    p = tup(-1 if rng.random() < 0.05 else 0, 3)
    d = tup(0 if rng.random() < 0.05 else 1, 3)
    c = rng.random() < 0.5

    def call(lib):
        x = lib.zeros(*shape)
        if op == "avg":
            return getattr(lib.nn.functional, f"avg_pool{nd}d")(x, k, s, p, c)
        return getattr(lib.nn.functional, f"max_pool{nd}d")(x, k, s, p, d, c, op == "maxi")

    return call


def test_pool_errors_match_torch():
    torch = pytest.importorskip("torch")
    rng = random.Random(0)
    for _ in range(600):
        call = _random_pool_call(rng)
        assert _outcome(torchlet, call) == _outcome(torch, call)


# ---------------------------------------------------------------------------------------
# 2. interpolate: integer input, area to an empty output


def test_interpolate_uint8_nearest_by_hand():
    u = (torchlet.arange(12, dtype=torchlet.uint8).reshape(1, 1, 3, 4) * 20)
    out = F.interpolate(u, size=(5, 6))
    assert out.dtype == torchlet.uint8
    # rows floor(o * 3/5) = 0 0 1 1 2, columns floor(o * 4/6) = 0 0 1 2 2 3
    rows, cols = [0, 0, 1, 1, 2], [0, 0, 1, 2, 2, 3]
    expected = (np.arange(12).reshape(3, 4) * 20)[np.ix_(rows, cols)]
    assert out[0, 0].tolist() == expected.tolist()


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_interpolate_uint8_nearest_matches_torch(mode):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for _ in range(40):
        nd = int(rng.integers(1, 4))
        shape = [int(rng.integers(1, 3)), int(rng.integers(1, 4))] + \
            [int(rng.integers(1, 9)) for _ in range(nd)]
        data = rng.integers(0, 256, shape).astype(np.uint8)
        if rng.random() < 0.5:
            kwargs = {"size": [int(rng.integers(1, 13)) for _ in range(nd)]}
        else:
            kwargs = {"scale_factor": float(rng.choice([0.5, 0.7, 1.3, 2.0, 2.5, 3.0]))}
        def call(lib, data=data, kwargs=kwargs):
            return lib.nn.functional.interpolate(lib.tensor(data), mode=mode, **kwargs)

        expected = _outcome(torch, call)
        assert _outcome(torchlet, call) == expected
        if expected[0] != "ok":  # e.g. an empty output (size 1 with scale 0.5)
            continue
        ours, theirs = call(torchlet), call(torch)
        assert ours.dtype == torchlet.uint8
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        # and the same pixels as for float input (3 -> 3 with scale 1.3 picks 0, 0, 1
        # in 1-D and 3-D, but copies in 2-D, as torch does)
        floats = F.interpolate(torchlet.tensor(data).float(), mode=mode, **kwargs)
        np.testing.assert_array_equal(floats.numpy(), theirs.numpy().astype(np.float32))


@pytest.mark.parametrize("dtype, mode, nd, kernel", [
    ("int32", "nearest", 2, "upsample_nearest2d_channels_last"),
    ("int64", "nearest", 1, "compute_indices_weights_nearest"),
    ("int64", "nearest-exact", 3, "compute_indices_weights_nearest"),
    ("int32", "bilinear", 2, "upsample_bilinear2d_channels_last"),
    ("int64", "bicubic", 2, "compute_indices_weights_cubic"),
    ("uint8", "linear", 1, "compute_indices_weights_linear"),
    ("bool", "trilinear", 3, "compute_indices_weights_linear"),
])
def test_interpolate_integer_kernel_names(dtype, mode, nd, kernel):
    word = {"int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool"}[dtype]
    x = torchlet.zeros(1, 1, *([3] * nd), dtype=getattr(torchlet, dtype))
    with pytest.raises(NotImplementedError, match=f'^"{kernel}" not implemented for \'{word}\''):
        F.interpolate(x, size=[5] * nd, mode=mode)


def test_interpolate_area_to_empty_output_backward_raises():
    x = torchlet.randn(1, 2, 1, dtype=torchlet.float64, requires_grad=True)
    y = F.interpolate(x, scale_factor=0.5, mode="area")
    assert y.shape == (1, 2, 0)
    with pytest.raises(RuntimeError, match="^adaptive_avg_pool2d_backward\\(\\): Expected "
                       "grad_output to have non-zero size for non-batch dimensions, but "
                       "grad_output has sizes \\[1, 2, 1, 0\\] with dimension 3 being empty$"):
        y.sum().backward()
    x3 = torchlet.randn(1, 2, 3, 3, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="^adaptive_avg_pool3d_backward\\(\\):"):
        F.adaptive_avg_pool3d(x3, (1, 2, 0)).sum().backward()
    # a non-empty adaptive average pool still differentiates
    assert torchlet.autograd.gradcheck(lambda t: F.adaptive_avg_pool2d(t, (2, 1)),
                                       (torchlet.randn(1, 2, 3, 3, dtype=torchlet.float64,
                                                       requires_grad=True),))


# ---------------------------------------------------------------------------------------
# 3. uninitialized (lazy) parameters


_LAZY_MESSAGE = (
    "Attempted to use an uninitialized parameter in {}. This error happens when you are "
    "using a `LazyModule` or explicitly manipulating `torch.nn.parameter.UninitializedParameter` "
    "objects. When using LazyModules Call `forward` with a dummy batch to initialize the "
    "parameters before calling torch functions"
)


@pytest.mark.parametrize("use, func", [
    (lambda w: w.flatten(), "<method 'flatten' of 'torch._C.TensorBase' objects>"),
    (lambda w: w + 1, "<method 'add' of 'torch._C.TensorBase' objects>"),
    (lambda w: 2 * w, "<method 'mul' of 'torch._C.TensorBase' objects>"),
    (lambda w: w.sum(), "<method 'sum' of 'torch._C.TensorBase' objects>"),
    (lambda w: w[0], "<slot wrapper '__getitem__' of 'torch._C.TensorBase' objects>"),
    (lambda w: w == w, "<method '__eq__' of 'torch._C.TensorBase' objects>"),
    (lambda w: list(w), "<method 'dim' of 'torch._C.TensorBase' objects>"),
])
def test_uninitialized_parameter_refuses_tensor_ops(use, func):
    weight = nn.LazyLinear(3).weight
    with pytest.raises(ValueError) as info:
        use(weight)
    assert str(info.value) == _LAZY_MESSAGE.format(func)


def test_uninitialized_parameter_allowed_uses_and_lazy_module_still_works():
    torch = pytest.importorskip("torch")
    for lib in (torchlet, torch):
        lib.manual_seed(0)
        lazy = lib.nn.LazyLinear(3)
        w = lazy.weight
        assert w.dtype == lib.float32 and w.requires_grad and w.is_floating_point()
        assert tuple(w.size()) == (0,) and hash(w) == id(w)
        assert repr(w) == "<UninitializedParameter>"
        lazy.float()
        assert [n for n, _ in lazy.named_parameters()] == ["weight", "bias"]
    ours = nn.LazyLinear(3)
    torchlet.manual_seed(0)
    out = ours(torchlet.ones(2, 4))
    torch.manual_seed(0)
    theirs = torch.nn.LazyLinear(3)(torch.ones(2, 4))
    np.testing.assert_array_equal(out.detach().numpy(), theirs.detach().numpy())
    assert ours.weight.flatten().shape == (12,)  # an ordinary Parameter now


# ---------------------------------------------------------------------------------------
# 4. torch.nn.utils.prune


class _LeNet:
    """The network of PyTorch's pruning tutorial, built with either library."""

    @staticmethod
    def build(lib):
        nn_ = lib.nn
        F_ = lib.nn.functional

        class LeNet(nn_.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn_.Conv2d(1, 6, 3)
                self.conv2 = nn_.Conv2d(6, 16, 3)
                self.fc1 = nn_.Linear(16 * 5 * 5, 120)
                self.fc2 = nn_.Linear(120, 84)
                self.fc3 = nn_.Linear(84, 10)

            def forward(self, x):
                x = F_.max_pool2d(F_.relu(self.conv1(x)), (2, 2))
                x = F_.max_pool2d(F_.relu(self.conv2(x)), 2)
                x = x.view(-1, int(x.nelement() / x.shape[0]))
                x = F_.relu(self.fc1(x))
                x = F_.relu(self.fc2(x))
                return self.fc3(x)

        return LeNet()


def _tutorial(lib, prune_mod):
    """The steps of PyTorch's pruning tutorial; returns everything worth comparing."""
    seen = []
    lib.manual_seed(0)
    model = _LeNet.build(lib)
    module = model.conv1
    prune_mod.random_unstructured(module, name="weight", amount=0.3)
    seen.append([n for n, _ in module.named_parameters()])
    seen.append([n for n, _ in module.named_buffers()])
    prune_mod.l1_unstructured(module, name="bias", amount=3)
    seen.append([type(h).__name__ for h in module._forward_pre_hooks.values()])
    prune_mod.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
    container = next(h for h in module._forward_pre_hooks.values()
                     if h._tensor_name == "weight")
    seen.append([type(m).__name__ for m in container])
    seen.append(list(model.state_dict().keys()))
    seen.append(module.weight.detach().numpy().copy())
    seen.append(module.bias.detach().numpy().copy())
    prune_mod.remove(module, "weight")
    seen.append([n for n, _ in module.named_parameters()])
    seen.append(module.weight.detach().numpy().copy())

    model = _LeNet.build(lib)
    params = [(model.conv1, "weight"), (model.conv2, "weight"), (model.fc1, "weight"),
              (model.fc2, "weight"), (model.fc3, "weight")]
    prune_mod.global_unstructured(params, pruning_method=prune_mod.L1Unstructured, amount=0.2)
    seen.extend(getattr(m, n + "_mask").numpy().copy() for m, n in params)
    prune_mod.random_structured(model.conv2, "weight", amount=5, dim=1)
    prune_mod.random_structured(model.conv2, "weight", amount=0.3, dim=1)
    prune_mod.random_unstructured(model.fc2, "weight", amount=0.5)
    prune_mod.l1_unstructured(model.fc2, "weight", amount=0.25)
    seen.append(model.conv2.weight_mask.numpy().copy())
    seen.append(model.fc2.weight_mask.numpy().copy())
    seen.append(prune_mod.is_pruned(model))
    out = model(lib.randn(2, 1, 28, 28))
    out.sum().backward()
    seen.append(out.detach().numpy().copy())
    seen.append(model.fc2.weight_orig.grad.numpy().copy())
    return seen


def test_prune_tutorial_matches_torch_bit_for_bit():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as torch_prune

    ours, theirs = _tutorial(torchlet, prune), _tutorial(torch, torch_prune)
    assert ours[0] == ["bias", "weight_orig"] and ours[1] == ["weight_mask"]
    assert ours[3] == ["RandomUnstructured", "LnStructured"]
    # masks and pruned values bit for bit; the forward/backward through the network
    # (float32 matmuls) to rounding
    for a, b in zip(ours[:-2], theirs[:-2]):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b
    for a, b in zip(ours[-2:], theirs[-2:]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_prune_random_layers_match_torch():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as torch_prune

    def run(lib, prune_mod):
        rng = random.Random(1)
        seen = []
        for trial in range(40):
            lib.manual_seed(trial)
            m = lib.nn.Conv2d(rng.randint(1, 4), rng.randint(2, 5), rng.randint(1, 3)) \
                if rng.random() < 0.5 else lib.nn.Linear(rng.randint(2, 9), rng.randint(2, 9))
            for _ in range(rng.randint(1, 3)):
                meth = rng.choice(["ru", "l1", "rs", "ln"])
                amount = rng.choice([0.0, 0.25, 0.5, 1.0, 1, 2])
                dim = rng.choice([0, 1, -1])
                n = rng.choice([1, 2])

                def step(lib, m=m, meth=meth, amount=amount, dim=dim, n=n):
                    if meth == "ru":
                        prune_mod.random_unstructured(m, "weight", amount)
                    elif meth == "l1":
                        prune_mod.l1_unstructured(m, "weight", amount)
                    elif meth == "rs":
                        prune_mod.random_structured(m, "weight", amount, dim)
                    else:
                        prune_mod.ln_structured(m, "weight", amount, n, dim)
                    return m.weight_mask

                seen.append(_outcome(lib, step))  # (some amounts are too large)
                if hasattr(m, "weight_mask"):
                    seen.append(m.weight_mask.flatten().tolist())
        return seen

    assert run(torchlet, prune) == run(torch, torch_prune)


def test_prune_l1_by_hand_and_remove():
    lin = nn.Linear(3, 2)
    with torchlet.no_grad():
        lin.weight.copy_(torchlet.tensor([[0.5, -0.1, 0.3], [-0.2, 0.9, 0.05]]))
    prune.l1_unstructured(lin, "weight", amount=0.5)  # round(0.5 * 6) = 3 smallest |w|
    assert lin.weight_mask.tolist() == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    assert [n for n, _ in lin.named_parameters()] == ["bias", "weight_orig"]
    assert list(lin.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert isinstance(next(iter(lin._forward_pre_hooks.values())), prune.L1Unstructured)
    assert prune.is_pruned(lin)
    # the hook recomputes weight from weight_orig before each forward
    with torchlet.no_grad():
        lin.weight_orig.fill_(2.0)
    lin(torchlet.ones(1, 3))
    assert lin.weight.tolist() == [[2.0, 0.0, 2.0], [0.0, 2.0, 0.0]]
    prune.remove(lin, "weight")
    assert [n for n, _ in lin.named_parameters()] == ["bias", "weight"]
    assert isinstance(lin.weight, nn.Parameter) and not prune.is_pruned(lin)
    assert lin.weight.tolist() == [[2.0, 0.0, 2.0], [0.0, 2.0, 0.0]]
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(lin, "weight")


def test_prune_custom_method_and_errors():
    class EveryOther(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    lin = nn.Linear(3, 5)
    EveryOther.apply(lin, "bias")
    assert lin.bias_mask.tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]
    # a second pruning only sees the entries still unpruned (a PruningContainer)
    prune.custom_from_mask(lin, "bias", torchlet.tensor([1, 0, 1, 1, 1]))
    assert lin.bias_mask.tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="^amount=1.5 should either be a float in the range"):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", 1.5)
    with pytest.raises(ValueError, match="^Structured pruning can only be applied to "
                       "multidimensional tensors"):
        prune.ln_structured(nn.Linear(2, 2), "bias", 1, 2, 0)
    failed = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="^amount=5 should be smaller than the number of "
                       "parameters to prune=4$"):
        prune.l1_unstructured(failed, "weight", 5)
    # a failed first pruning puts the parameter back (registered last, as torch does)
    assert [n for n, _ in failed.named_parameters()] == ["bias", "weight"]
    assert not hasattr(failed, "weight_mask") and not prune.is_pruned(failed)
