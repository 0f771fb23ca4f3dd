"""A tensor holds user attributes as torch's does (fast.ai's backprop lesson stores
gradients by hand as ``w.g``; the foundations sweep)."""

import torchlet


def test_user_attributes_are_kept_per_tensor():
    w = torchlet.ones(3)
    w.g = torchlet.zeros(3)
    w.note = "hidden layer"
    assert w.g.tolist() == [0.0, 0.0, 0.0] and w.note == "hidden layer"
    assert not hasattr(torchlet.ones(3), "g")  # another tensor has none


def test_attributes_do_not_replace_tensor_fields():
    w = torchlet.ones(2, requires_grad=True)
    w.grad_note = 1
    (w * 2).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0] and w.grad_note == 1
