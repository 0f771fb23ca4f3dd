"""Inference tensors: what torch.inference_mode adds to no_grad (F12).

Each test runs on torchlet and, when it is importable, on torch too: the same script must
give the same answers (hand-written here), as it does in torch 2.13.
"""

import pytest

import torchlet

try:
    import torch
except ImportError:  # pragma: no cover - torch is optional
    torch = None

LIBS = [torchlet] + ([torch] if torch is not None else [])

INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
    "clone to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details."
)
SAVED = "Inference tensors cannot be saved for backward."
REQUIRES_GRAD = (
    "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
)
VERSION = "Inference tensors do not track version counter."


@pytest.fixture(params=LIBS, ids=lambda lib: lib.__name__)
def lib(request):
    return request.param


def test_tensors_made_inside_are_inference_tensors(lib):
    a = lib.ones(3)
    w = lib.ones(3, requires_grad=True)
    with lib.inference_mode():
        made = [a * 2, lib.zeros(2), a[:2] * 1, w * 2]
        normal_views = [a[:2], a.view(3), a.detach(), w[:1]]
        b = a * 2
        inference_views = [b[:2], b.view(3), b.detach()]
    assert [t.is_inference() for t in made] == [True] * 4
    assert [lib.is_inference(t) for t in made] == [True] * 4
    assert [t.is_inference() for t in normal_views] == [False] * 4
    assert [t.is_inference() for t in inference_views] == [True] * 3
    assert w[:1].requires_grad and not made[3].requires_grad
    # outside: a view of an inference tensor is one; a new result is not
    assert b[:1].is_inference() and b.detach().is_inference()
    assert not (b + 1).is_inference() and not b.clone().is_inference()
    assert not a.is_inference() and not (a * 2).is_inference()


def test_inference_mode_false_inside_makes_normal_tensors(lib):
    a = lib.ones(3)
    with lib.no_grad(), lib.inference_mode():
        with lib.inference_mode(False):
            assert not lib.is_inference_mode_enabled() and lib.is_grad_enabled()
            assert not (a * 2).is_inference()
        with lib.no_grad():  # no_grad inside inference mode keeps making inference tensors
            assert (a * 2).is_inference()
        assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
    with lib.inference_mode(False):
        assert not (a * 2).is_inference()


def test_inplace_update_of_an_inference_tensor(lib):
    a = lib.ones(3)
    with lib.inference_mode():
        b = a * 2
        b.add_(1)  # allowed inside
        a.add_(1)  # a normal tensor may be updated inside, and its version counts
    assert b.tolist() == [3.0, 3.0, 3.0] and a._version == 1
    for update in (lambda: b.add_(1), lambda: b.zero_(), lambda: b[:2].mul_(2),
                   lambda: b.copy_(a)):
        with pytest.raises(RuntimeError) as info:
            update()
        assert str(info.value) == INPLACE
    assert b.tolist() == [2.0, 2.0, 2.0]  # a was written: torch checks after the write
    a.add_(b)  # an inference tensor may be read by an in-place op on a normal one
    assert a.tolist() == [4.0, 4.0, 4.0]


def test_inference_tensor_cannot_be_saved_for_backward(lib):
    w = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    with lib.inference_mode():
        b = lib.tensor([3.0, 4.0], dtype=lib.float64)
    for use in (lambda: b * w, lambda: lib.sigmoid(w) * b, lambda: w * b.view(2),
                lambda: lib.nn.functional.linear(w.view(1, 2), b.view(1, 2))):
        with pytest.raises(RuntimeError, match=SAVED):
            use()
    # not saved (add), or no graph: fine
    assert (w + b).tolist() == [4.0, 6.0]
    assert (b * b).tolist() == [9.0, 16.0]
    with lib.no_grad():
        assert (b * w).tolist() == [3.0, 8.0]
    # the workaround: clone
    (b.clone() * w).sum().backward()
    assert w.grad.tolist() == [3.0, 4.0]


def test_custom_function_cannot_save_an_inference_tensor(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(k)
            return x * k

        @staticmethod
        def backward(ctx, grad):
            (k,) = ctx.saved_tensors
            return grad * k, None

    w = lib.ones(2, requires_grad=True)
    with lib.inference_mode():
        k = lib.full((2,), 2.0)
    with pytest.raises(RuntimeError, match=SAVED):
        Scale.apply(w, k)
    Scale.apply(w, k.clone()).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0]


def test_requires_grad_and_version_of_an_inference_tensor(lib):
    with lib.inference_mode():
        b = lib.zeros(2)
        with pytest.raises(RuntimeError) as info:
            _ = b._version
        assert str(info.value) == VERSION
    for set_it in (lambda: b.requires_grad_(), lambda: setattr(b, "requires_grad", True)):
        with pytest.raises(RuntimeError) as info:
            set_it()
        assert str(info.value) == REQUIRES_GRAD
    assert b.requires_grad_(False) is b
    with pytest.raises(RuntimeError) as info:
        _ = b[:1]._version
    assert str(info.value) == VERSION
    assert lib.zeros(2)._version == 0


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_saved_message_is_torchs_in_full():
    w = torchlet.ones(2, requires_grad=True)
    tw = torch.ones(2, requires_grad=True)
    with torchlet.inference_mode():
        b = torchlet.ones(2)
    with torch.inference_mode():
        tb = torch.ones(2)
    with pytest.raises(RuntimeError) as ours:
        b * w
    with pytest.raises(RuntimeError) as theirs:
        tb * tw
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("write", [
    lambda lib, b: b.__setitem__(0, 5.0),          # indexing assignment
    lambda lib, b: b.uniform_(),                   # random fill
    lambda lib, b: lib.add(b, 1, out=b),           # out=
    lambda lib, b: b.unsqueeze_(0),                # in-place view op
], ids=["setitem", "uniform_", "out", "unsqueeze_"])
def test_every_kind_of_write_refuses_an_inference_tensor(lib, write):
    with lib.inference_mode():
        b = lib.ones(3)
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside"):
        write(lib, b)
    with lib.inference_mode():
        write(lib, b)  # inside the mode it is allowed
