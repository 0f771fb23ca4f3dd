"""scaled_dot_product_attention as torch's CPU flash node (one
ScaledDotProductFlashAttentionForCpuBackward0 with edges q, k, v), the kernel flags of
sdpa_kernel, and the order in which saved_tensors_hooks see the saved tensors."""

import math

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F
from torchlet.nn.attention import SDPBackend, sdpa_kernel

FLASH = "ScaledDotProductFlashAttentionForCpuBackward0"
NO_BACKEND = ("No viable backend for scaled_dot_product_attention was found. This is likely "
              "due to turning off both the math kernel and the fused kernels.")


def _inputs(dtype=np.float32, heads=3, kv_heads=3, length=4, kv_length=6, dim=5, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((2, heads, length, dim)).astype(dtype)
    k = rng.standard_normal((2, kv_heads, kv_length, dim)).astype(dtype)
    v = rng.standard_normal((2, kv_heads, kv_length, dim)).astype(dtype)
    return q, k, v


def _reference(q, k, v, mask=None, is_causal=False, scale=None):
    """softmax(q k^T * scale + mask) v in float64, key/value heads repeated per group, rows
    with no key to attend to giving 0."""
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    groups = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, groups, 1), np.repeat(v, groups, 1)
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ k.swapaxes(-2, -1) * scale
    if mask is not None:
        scores = scores + (np.where(mask, 0, -np.inf) if mask.dtype == bool else mask)
    if is_causal:
        scores = np.where(np.tri(*scores.shape[-2:], dtype=bool), scores, -np.inf)
    top = scores.max(-1, keepdims=True)
    dead = np.isneginf(top)
    e = np.exp(scores - np.where(dead, 0, top))
    weights = np.where(dead, 0, e / np.where(dead, 1, e.sum(-1, keepdims=True)))
    return weights @ v


def _run(lib, arrays, mask=None, grad_out=None, **kw):
    q, k, v = (lib.tensor(a, requires_grad=True) for a in arrays)
    m = None if mask is None else lib.tensor(mask)
    out = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m, **kw)
    if grad_out is not None:
        out.backward(lib.tensor(grad_out))
    return out, (q, k, v)


CASES = [  # (name, make mask (L, S) or None, keyword arguments, heads of key/value)
    ("plain", None, {}, 3),
    ("float mask", lambda rng: rng.standard_normal((4, 6)).astype(np.float32), {}, 3),
    ("bool mask, a dead row", lambda rng: np.vstack([np.zeros((1, 6), bool),
                                                    rng.random((3, 6)) > 0.4]), {}, 3),
    ("4-D bool mask", lambda rng: rng.random((2, 1, 4, 6)) > 0.3, {}, 3),
    ("causal", None, {"is_causal": True}, 3),
    ("causal and mask", lambda rng: rng.random((4, 6)) > 0.3, {"is_causal": True}, 3),
    ("scale", None, {"scale": 0.3}, 3),
    ("negative scale", None, {"scale": -0.7}, 3),
    ("grouped-query", None, {"enable_gqa": True}, 1),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "make_mask", "kw", "kv_heads"), CASES,
                         ids=[c[0] for c in CASES])
def test_flash_node_values_and_gradients(name, make_mask, kw, kv_heads, dtype):
    rng = np.random.default_rng(1)
    arrays = _inputs(dtype, kv_heads=kv_heads)
    mask = None if make_mask is None else make_mask(rng)
    if mask is not None and mask.dtype != bool:
        mask = mask.astype(dtype)
    grad_out = rng.standard_normal((2, 3, 4, 5)).astype(dtype)
    out, inputs = _run(torchlet, arrays, mask, grad_out, **kw)
    assert type(out.grad_fn).__name__ == FLASH
    assert out.grad_fn.name() == FLASH
    assert [type(fn).__name__ for fn, _ in out.grad_fn.next_functions] == ["AccumulateGrad"] * 3
    assert out.dtype == inputs[0].dtype and out.is_contiguous()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    expected = _reference(*arrays, mask=mask, is_causal=kw.get("is_causal", False),
                          scale=kw.get("scale"))
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=tol, atol=tol)

    torch = pytest.importorskip("torch")
    t_out, t_inputs = _run(torch, arrays, mask, grad_out, **kw)
    assert type(t_out.grad_fn).__name__ == FLASH
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=tol,
                               atol=tol)
    for mine, theirs in zip(inputs, t_inputs):
        assert mine.grad.dtype == mine.dtype
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=tol * 10,
                                   atol=tol * 10)


def test_forward_is_the_math_kernels_arithmetic():
    """The flash node computes exactly what the composed math graph computes, where the
    math graph's bmm's are BLAS's (each product of 400 terms or more: torch's smaller bmm's
    sum in order, as torchlet's do, and its flash kernel does not)."""
    arrays = _inputs(length=16, kv_length=16, dim=8)
    q, k, v = (torchlet.tensor(a) for a in arrays)
    flash = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    with sdpa_kernel(SDPBackend.MATH):
        math_out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    np.testing.assert_array_equal(flash.numpy(), math_out.numpy())


@pytest.mark.parametrize("kw", [{"is_causal": True}, {"enable_gqa": True, "scale": -0.4},
                                {"mask": True}])
def test_gradcheck(kw):
    kw = dict(kw)
    kv_heads = 1 if kw.get("enable_gqa") else 2
    q, k, v = (torchlet.tensor(a, requires_grad=True)
               for a in _inputs(np.float64, heads=2, kv_heads=kv_heads, length=3, kv_length=4,
                                dim=3))
    if kw.pop("mask", False):
        mask = torchlet.tensor(np.random.default_rng(2).standard_normal((3, 4)))
        mask[1] = float("-inf")  # a row that attends to nothing: zero output and gradient
        kw["attn_mask"] = mask
    fn = lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **kw)  # noqa: E731
    assert type(fn(q, k, v).grad_fn).__name__ == FLASH
    assert torchlet.autograd.gradcheck(fn, (q, k, v), eps=1e-6, atol=1e-5, rtol=1e-3)


def test_double_backward_raises_torchs_error():
    q, k, v = (torchlet.tensor(a, requires_grad=True) for a in _inputs())
    out = F.scaled_dot_product_attention(q, k, v)
    grad_q, grad_k = torchlet.autograd.grad(out.sum(), (q, k), create_graph=True)
    node = grad_q.grad_fn
    assert node.name() == "torch::autograd::NotImplemented" and grad_k.grad_fn is node
    # the tensors that require grad: q, k, v and the output (grad_out does not)
    names = [type(fn).__name__ for fn, _ in node.next_functions]
    assert names == ["AccumulateGrad"] * 3 + [FLASH]
    message = ("derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward is "
               "not implemented")
    with pytest.raises(RuntimeError, match=message):
        grad_q.sum().backward()
    # first order is unaffected
    out2 = F.scaled_dot_product_attention(q, k.detach(), v.detach())
    assert [fn is None for fn, _ in out2.grad_fn.next_functions] == [False, True, True]


@pytest.mark.parametrize(("label", "args", "kw", "node"), [
    ("3-D inputs", "3d", {}, "UnsafeViewBackward0"),
    ("dropout", "4d", {"dropout_p": 0.2}, "UnsafeViewBackward0"),
    ("mask requiring grad", "4d", {"grad_mask": True}, "UnsafeViewBackward0"),
    ("unequal value dim", "vdim", {}, "UnsafeViewBackward0"),
])
def test_math_path_keeps_the_composed_graph(label, args, kw, node):
    q, k, v = (torchlet.tensor(a, requires_grad=True) for a in _inputs())
    if args == "3d":
        q, k, v = q[0], k[0], v[0]
    if args == "vdim":
        v = torchlet.randn(2, 3, 6, 7, requires_grad=True)
    if kw.pop("grad_mask", False):
        kw["attn_mask"] = torchlet.randn(4, 6, requires_grad=True)
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    assert type(out.grad_fn).__name__ == node
    torch = pytest.importorskip("torch")
    tq, tk, tv = (torch.tensor(x.detach().numpy(), requires_grad=True) for x in (q, k, v))
    if "attn_mask" in kw:
        kw["attn_mask"] = torch.tensor(kw["attn_mask"].detach().numpy(), requires_grad=True)
    assert type(torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **kw)
                .grad_fn).__name__ == node


def test_half_with_a_float_mask_runs_the_flash_node():
    """float16 q, k, v with a float32 mask: torch's flash kernel accepts it."""
    arrays = _inputs(np.float16)
    mask = np.random.default_rng(3).standard_normal((4, 6)).astype(np.float32)
    out, _ = _run(torchlet, arrays, mask)
    assert out.dtype == torchlet.float16 and type(out.grad_fn).__name__ == FLASH
    np.testing.assert_allclose(out.detach().numpy(), _reference(*arrays, mask=mask),
                               atol=5e-3)


def test_negative_dropout_takes_the_flash_kernels_message():
    q, k, v = (torchlet.tensor(a) for a in _inputs())
    with pytest.raises(RuntimeError, match="^scaled_dot_product_attention_flash_attention: "
                       "Currently do not support dropout > 0$"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=-0.5)


# ---------------------------------------------------------------------------------------
# sdpa_kernel


@pytest.mark.parametrize(("backends", "kw", "message"), [
    (SDPBackend.EFFICIENT_ATTENTION, {}, NO_BACKEND),
    ([], {}, NO_BACKEND),
    (SDPBackend.CUDNN_ATTENTION, {}, NO_BACKEND),
    ([], {"dropout_p": 2.0}, NO_BACKEND),  # before the dropout check
    (SDPBackend.FLASH_ATTENTION, {"dropout_p": 0.5}, "No available kernel.  Aborting execution."),
])
def test_sdpa_kernel_without_a_usable_backend(backends, kw, message):
    q, k, v = (torchlet.tensor(a) for a in _inputs())
    with sdpa_kernel(backends), pytest.raises(RuntimeError) as error:
        F.scaled_dot_product_attention(q, k, v, **kw)
    assert str(error.value) == message
    # the flags are restored: the default choice works again
    assert type(F.scaled_dot_product_attention(q.requires_grad_(), k, v)
                .grad_fn).__name__ == FLASH
    torch = pytest.importorskip("torch")
    from torch.nn.attention import SDPBackend as TorchBackend
    from torch.nn.attention import sdpa_kernel as torch_sdpa_kernel

    tq, tk, tv = (torch.tensor(a) for a in _inputs())
    theirs = ([TorchBackend(int(b)) for b in backends] if isinstance(backends, list)
              else TorchBackend(int(backends)))
    with torch_sdpa_kernel(theirs), pytest.raises(RuntimeError) as torch_error, \
            pytest.warns() if "dropout_p" in kw and kw["dropout_p"] < 1 else _no_context():
        torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **kw)
    assert str(torch_error.value) == message


class _no_context:  # noqa: N801
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize(("backend", "node"), [(SDPBackend.MATH, "UnsafeViewBackward0"),
                                               (SDPBackend.FLASH_ATTENTION, FLASH)])
def test_sdpa_kernel_chooses_the_node(backend, node):
    q, k, v = (torchlet.tensor(a, requires_grad=True) for a in _inputs())
    with sdpa_kernel(backend):
        assert type(F.scaled_dot_product_attention(q, k, v).grad_fn).__name__ == node
    torch = pytest.importorskip("torch")
    from torch.nn.attention import SDPBackend as TorchBackend
    from torch.nn.attention import sdpa_kernel as torch_sdpa_kernel

    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in _inputs())
    with torch_sdpa_kernel(TorchBackend(int(backend))):
        assert type(torch.nn.functional.scaled_dot_product_attention(tq, tk, tv)
                    .grad_fn).__name__ == node


def test_math_kernel_still_refuses_mask_with_is_causal():
    q, k, v = (torchlet.tensor(a) for a in _inputs())
    mask = torchlet.ones(4, 6, dtype=torchlet.bool)
    F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=True)  # flash: fine
    with sdpa_kernel(SDPBackend.MATH), pytest.raises(
            RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=True)


# ---------------------------------------------------------------------------------------
# the order saved_tensors_hooks see


def _packed_shapes(lib, fn):
    shapes = []

    def pack(x):
        shapes.append(tuple(x.shape))
        return x

    with lib.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
        fn(lib)
    return shapes


def _a(lib):
    return lib.full((2,), 2.0, requires_grad=True)


def _b(lib):
    return lib.full((3, 1), 3.0, requires_grad=True)


PACK_CASES = [  # torch's derivatives.yaml order: other (3, 1) before self (2,)
    ("mul", lambda lib: _a(lib) * _b(lib), [(3, 1), (2,)]),
    ("mul, only a needs grad", lambda lib: _a(lib) * _b(lib).detach(), [(3, 1)]),
    ("div", lambda lib: _a(lib) / _b(lib), [(3, 1), (2,)]),
    ("div, only b needs grad", lambda lib: _a(lib).detach() / _b(lib), [(3, 1), (2,)]),
    ("pow", lambda lib: _a(lib) ** _b(lib), [(3, 1), (2,), (3, 2)]),
    ("remainder", lambda lib: lib.remainder(_a(lib), _b(lib)), [(3, 1), (2,)]),
    ("fmod", lambda lib: lib.fmod(_a(lib), _b(lib)), [(3, 1), (2,)]),
    ("addcmul", lambda lib: lib.addcmul(lib.ones(1, requires_grad=True), _a(lib), _b(lib)),
     [(2,), (3, 1)]),
    ("sdpa", lambda lib: lib.nn.functional.scaled_dot_product_attention(
        *(lib.tensor(a, requires_grad=True) for a in _inputs())),
     [(2, 3, 6, 5), (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 4), (2, 3, 4, 5)]),
    ("sdpa with a mask", lambda lib: lib.nn.functional.scaled_dot_product_attention(
        *(lib.tensor(a, requires_grad=True) for a in _inputs()),
        attn_mask=lib.ones(4, 6, dtype=lib.bool), is_causal=True),
     [(4, 6), (2, 3, 6, 5), (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 4), (2, 3, 4, 5)]),
]


@pytest.mark.parametrize(("name", "fn", "expected"), PACK_CASES, ids=[c[0] for c in PACK_CASES])
def test_pack_hook_order(name, fn, expected):
    assert _packed_shapes(torchlet, fn) == expected
    torch = pytest.importorskip("torch")
    assert _packed_shapes(torch, fn) == expected


def test_swapped_save_order_keeps_the_gradients():
    """b is saved before a now: the rules still pair each gradient with the other
    operand (d(a*b)/da = b, d(a/b)/db = -a/b^2, d(a**b)/db = a**b log a)."""
    a = torchlet.tensor([2.0, 5.0], requires_grad=True)
    b = torchlet.tensor([3.0, 4.0], requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [2.0, 5.0]
    a.grad = b.grad = None
    (a / b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [-2 / 9, -5 / 16], rtol=1e-6)
    a.grad = b.grad = None
    (a ** b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [3 * 4.0, 4 * 125.0], rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), [8 * math.log(2), 625 * math.log(5)],
                               rtol=1e-6)
    a.grad = b.grad = None
    torchlet.remainder(a, b).sum().backward()
    assert b.grad.tolist() == [-0.0, -1.0]
    a64 = torchlet.tensor([2.5, -1.5], dtype=torchlet.float64, requires_grad=True)
    b64 = torchlet.tensor([1.5, 0.7], dtype=torchlet.float64, requires_grad=True)
    for op in (torchlet.mul, torchlet.div, torchlet.pow, torchlet.fmod):
        assert torchlet.autograd.gradcheck(op, (a64.abs().detach().requires_grad_()
                                                if op is torchlet.pow else a64, b64))
