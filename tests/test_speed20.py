"""Session 20, the training step's interpreter time (speed4): the short paths taken by
plain SGD, optimizer steps without hooks, a node's single rebuilt saved output, the
engine's gradient take-over and cross_entropy's target checks keep every behaviour and
bit of the general paths (checked against those paths and, where importable, torch)."""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet.optim import _kernels


def _torch():
    return pytest.importorskip("torch")


def _mlp(lib, d, h, seed):
    lib.manual_seed(seed)
    nn = lib.nn
    return nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, 10))


def _general_update(p: np.ndarray, g: np.ndarray, lr) -> np.ndarray:
    """p - lr * g by the optimizers' general kernel (``_add_``), on copies."""
    out = p.copy()
    _kernels._add_(out, g.copy(), -lr)
    return out


# ---------------------------------------------------------------------------------------
# plain SGD


def _step_matches_general_kernel(model, opt, x, y, lr):
    loss = torchlet.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    params = list(model.parameters())
    before = [(p._data.copy(), p.grad._data.copy(), p._version) for p in params]
    opt.step()
    for p, (data, grad, version) in zip(params, before):
        expected = _general_update(data, grad, lr)
        assert p._data.dtype == expected.dtype
        assert p._data.tobytes() == expected.tobytes()
        assert p._version == version + 1


@pytest.mark.parametrize("dtype", [torchlet.float32, torchlet.float64])
def test_plain_sgd_is_the_general_update(dtype):
    model = _mlp(torchlet, 6, 5, 0).to(dtype)
    opt = torchlet.optim.SGD(model.parameters(), lr=0.05)
    x = torchlet.randn(7, 6, dtype=dtype)
    y = torchlet.randint(0, 10, (7,))
    for _ in range(3):
        _step_matches_general_kernel(model, opt, x, y, 0.05)


def test_plain_sgd_one_step_by_hand():
    # p - lr * g rounded once: 1 - 0.5 * 0.25 = 0.875 exactly; float32 operands
    p = torchlet.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = torchlet.optim.SGD([p], lr=0.5)
    (p * torchlet.tensor([0.25, 1.0, -4.0])).sum().backward()
    opt.step()
    assert p.detach().numpy().tolist() == [0.875, -2.5, 5.0]
    assert p._version == 1


def test_plain_sgd_minus_one_lr_adds():
    # lr set to -1 after construction: alpha = 1, a plain addition (torch's add_ alpha 1)
    p = torchlet.tensor([1.0, 2.0], requires_grad=True)
    opt = torchlet.optim.SGD([p], lr=0.1)
    opt.param_groups[0]["lr"] = -1.0
    (p * torchlet.tensor([0.1, 0.2])).sum().backward()
    opt.step()
    expected = np.array([1.0, 2.0], np.float32) + np.array([0.1, 0.2], np.float32)
    assert p.detach().numpy().tobytes() == expected.tobytes()


@pytest.mark.parametrize("lr", [float("nan"), float("inf"), 0.0, 1e-45])
def test_plain_sgd_edge_learning_rates(lr):
    # saxpy refuses non-finite or zero alpha (inf * 0 must be nan): the general kernel
    p = torchlet.tensor([1.0, 0.0, -3.0], requires_grad=True)
    opt = torchlet.optim.SGD([p], lr=0.1)
    opt.param_groups[0]["lr"] = lr
    (p * torchlet.tensor([0.0, 2.0, -1.0])).sum().backward()
    data, grad = p._data.copy(), p.grad._data.copy()
    opt.step()
    expected = _general_update(data, grad, lr)
    assert p._data.tobytes() == expected.tobytes()


def test_plain_sgd_tensor_lr_and_missing_grads():
    a = torchlet.tensor([1.0, 2.0], requires_grad=True)
    b = torchlet.tensor([3.0], requires_grad=True)  # gets no gradient: left alone
    opt = torchlet.optim.SGD([a, b], lr=torchlet.tensor(0.25))
    (a * 2).sum().backward()
    opt.step()
    assert a.detach().numpy().tolist() == [0.5, 1.5]
    assert b.detach().numpy().tolist() == [3.0] and b._version == 0


def test_fused_plain_sgd_same_bits():
    x = torchlet.randn(5, 6)
    y = torchlet.randint(0, 10, (5,))
    results = []
    for fused in (False, True):
        model = _mlp(torchlet, 6, 4, 3)
        opt = torchlet.optim.SGD(model.parameters(), lr=0.1, fused=fused)
        for _ in range(3):
            opt.zero_grad()
            torchlet.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        results.append([p._data.tobytes() for p in model.parameters()])
    assert results[0] == results[1]


def test_plain_sgd_as_torch():
    torch = _torch()
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((6, 4)).astype(np.float32), rng.integers(0, 10, 6)
    params = {}
    for lib in (torchlet, torch):
        model = _mlp(lib, 4, 3, 11)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        grads = []
        for _ in range(3):
            opt.zero_grad()
            lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y)).backward()
            grads.append([p.grad.detach().numpy().copy() for p in model.parameters()])
            opt.step()
        params[lib.__name__] = ([p.detach().numpy().copy() for p in model.parameters()], grads)
    for a, b in zip(params["torchlet"][0], params["torch"][0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------
# optimizer step hooks (the wrapper skips its loops when there are none)


def test_step_hooks_still_run_in_order():
    p = torchlet.tensor([1.0], requires_grad=True)
    opt = torchlet.optim.SGD([p], lr=0.5)
    calls = []
    opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    handle = torchlet.optim.optimizer.register_optimizer_step_pre_hook(
        lambda o, args, kwargs: calls.append("global pre"))
    handle2 = torchlet.optim.optimizer.register_optimizer_step_post_hook(
        lambda o, args, kwargs: calls.append("global post"))
    try:
        (p * 2).sum().backward()
        opt.step()
    finally:
        handle.remove()
        handle2.remove()
    assert calls == ["global pre", "pre", "post", "global post"]
    assert p.detach().numpy().tolist() == [0.0]


def test_post_hook_registered_during_step_runs():
    p = torchlet.tensor([1.0], requires_grad=True)
    opt = torchlet.optim.SGD([p], lr=0.5)
    calls = []

    def closure():
        opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
        opt.zero_grad()
        loss = (p * 2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert calls == ["post"] and float(loss) == 2.0


def test_pre_hook_replacing_arguments():
    p = torchlet.tensor([1.0], requires_grad=True)
    opt = torchlet.optim.SGD([p], lr=0.5)
    seen = []

    def closure():
        seen.append("closure")
        return torchlet.tensor(3.0)

    opt.register_step_pre_hook(lambda o, args, kwargs: ((o,), {"closure": closure}))
    assert float(opt.step()) == 3.0 and seen == ["closure"]
    opt.register_step_pre_hook(lambda o, args, kwargs: 5)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()


# ---------------------------------------------------------------------------------------
# a node's single saved output, rebuilt on access


def test_single_saved_output_rebuilt():
    x = torchlet.tensor([-1.0, 2.0, 0.5], requires_grad=True)
    out = torchlet.relu(x)
    node = out.grad_fn
    (saved,) = node.saved_tensors
    assert saved.grad_fn is node and saved._data is out._data
    assert node._saved_result.detach().numpy().tolist() == [0.0, 2.0, 0.5]
    out.sum().backward()
    assert x.grad.numpy().tolist() == [0.0, 1.0, 1.0]


def test_single_saved_output_version_error():
    x = torchlet.tensor([-1.0, 2.0], requires_grad=True)
    out = x.exp()
    out.add_(1)  # modifies the saved output
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_single_saved_input_and_saved_hooks():
    # a node saving one input (not rebuilt) and one saving through pack hooks
    x = torchlet.tensor([1.0, 4.0], requires_grad=True)
    node = x.sqrt().grad_fn
    assert node.saved_tensors[0].detach().numpy().tolist() == [1.0, 2.0]
    seen = []
    with torchlet.autograd.graph.saved_tensors_hooks(
            lambda t: seen.append("pack") or t, lambda t: seen.append("unpack") or t):
        y = torchlet.relu(x)
    y.sum().backward()
    assert "pack" in seen and "unpack" in seen
    assert x.grad.numpy().tolist() == [1.0, 1.0]


# ---------------------------------------------------------------------------------------
# the engine's gradient take-over (_unshared)


def test_unshared_gradient_taken_over_shared_copied():
    x = torchlet.tensor([1.0, 2.0], requires_grad=True)
    g = torchlet.tensor([3.0, 4.0])
    (x * 1).backward(g)  # MulBackward's gradient is new: taken over
    first = x.grad
    assert first.numpy().tolist() == [3.0, 4.0]
    w = torchlet.tensor([1.0, 2.0], requires_grad=True)
    w.backward(g)  # the root itself reaches the leaf: the user's g, held: copied
    assert w.grad is not g and not np.shares_memory(w.grad._data, g._data)
    g._data[0] = 9.0
    assert w.grad.numpy().tolist() == [3.0, 4.0]


def test_unshared_non_contiguous_gradient_is_copied():
    x = torchlet.randn(3, 4, requires_grad=True)
    x.t().sum().backward()  # the gradient arrives through a transpose: a strided array
    assert x.grad.is_contiguous() and x.grad.stride() == (4, 1)
    assert x.grad.numpy().tolist() == [[1.0] * 4] * 3


# ---------------------------------------------------------------------------------------
# cross_entropy's target dtypes


def test_cross_entropy_target_dtypes():
    x = torchlet.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    expected = float(torchlet.nn.functional.cross_entropy(x, torchlet.tensor([1, 2])))
    by_hand = np.mean([np.log(np.exp([1.0, 2.0, 0.5]).sum()) - 2.0,
                       np.log(np.exp([0.0, -1.0, 3.0]).sum()) - 3.0])
    assert abs(expected - by_hand) < 1e-6
    byte = torchlet.tensor(np.array([1, 2], np.uint8))
    assert float(torchlet.nn.functional.cross_entropy(x, byte)) == expected
    longlong = torchlet.from_numpy(np.array([1, 2], np.longlong))
    assert float(torchlet.nn.functional.cross_entropy(x, longlong)) == expected
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but "
                                           "got Int"):
        torchlet.nn.functional.cross_entropy(x, torchlet.tensor([1, 2], dtype=torchlet.int32))


def test_cross_entropy_target_dtypes_as_torch():
    torch = _torch()
    x = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], np.float32)
    for target in (np.array([1, 2], np.uint8), np.array([0, 2], np.int64)):
        a = torchlet.nn.functional.cross_entropy(torchlet.tensor(x), torchlet.tensor(target))
        b = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(target))
        # (torchlet skips the max subtraction where that keeps the accuracy: not bitwise)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6)
    for lib in (torchlet, torch):
        with pytest.raises(RuntimeError, match="Long or Byte"):
            lib.nn.functional.cross_entropy(lib.tensor(x), lib.tensor([1, 2], dtype=lib.int32))


# ---------------------------------------------------------------------------------------
# sampled: training steps on random small MLPs, every update the general kernel's, and
# torch's within rounding


def test_sampled_training_steps():
    rng = np.random.default_rng(2020)
    configs = [(int(rng.integers(1, 9)), int(rng.integers(1, 7)), int(rng.integers(1, 6)),
                float(rng.choice([0.5, 0.1, 0.01, 1e-3])),
                str(rng.choice(["mean", "sum"]))) for _ in range(12)]
    try:
        import torch
    except ImportError:
        torch = None
    for i, (b, d, h, lr, reduction) in enumerate(configs):
        x = rng.standard_normal((b, d)).astype(np.float32)
        y = rng.integers(0, 10, b)
        model = _mlp(torchlet, d, h, i)
        opt = torchlet.optim.SGD(model.parameters(), lr=lr)
        losses = []
        for _ in range(3):
            loss = torchlet.nn.functional.cross_entropy(
                model(torchlet.tensor(x)), torchlet.tensor(y), reduction=reduction)
            opt.zero_grad()
            loss.backward()
            params = list(model.parameters())
            before = [(p._data.copy(), p.grad._data.copy()) for p in params]
            opt.step()
            for p, (data, grad) in zip(params, before):
                assert p._data.tobytes() == _general_update(data, grad, lr).tobytes()
            losses.append(float(loss))
        if torch is not None:
            tmodel = _mlp(torch, d, h, i)
            topt = torch.optim.SGD(tmodel.parameters(), lr=lr)
            expected = []
            for _ in range(3):
                loss = torch.nn.functional.cross_entropy(
                    tmodel(torch.tensor(x)), torch.tensor(y), reduction=reduction)
                topt.zero_grad()
                loss.backward()
                topt.step()
                expected.append(float(loss))
            np.testing.assert_allclose(losses, expected, rtol=1e-5, atol=1e-6)
