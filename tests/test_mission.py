"""The learners' snippets from shared/docs/mission.md, written for PyTorch, must print
exactly what PyTorch prints when run with ``import torchlet as torch``.

Each snippet runs twice, with ``torch`` bound to PyTorch and to torchlet, and the captured
output is compared character for character (object addresses in ``<... object at 0x..>``
are the only thing normalised). The expected output is also stored here, so the test
holds without PyTorch installed.
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap

import pytest

import torchlet

try:
    import torch as real_torch
except ImportError:
    real_torch = None

SNIPPETS = {
    "cross_entropy_by_hand": (
        """
        scores = torch.tensor([0.8982, 0.805, 0.6393, 0.9983, 0.5731, 0.0469, 0.556,
                               0.1476, 0.8404, 0.5544])
        target = 1
        loss = torch.log(torch.sum(torch.exp(scores))) - scores[target]
        print(loss)
        print(round(loss.item(), 4))
        """,
        "tensor(2.1438)\n2.1438\n",
    ),
    "normalise_rows_by_broadcasting": (
        """
        preds = torch.tensor([[0.2, 0.6, 0.2], [0.5, 0.25, 0.25], [1.0, 2.0, 1.0],
                              [3.0, 1.0, 0.0]])
        probs = preds / preds.sum(axis=1).reshape(-1, 1)
        print(probs)
        print(probs.sum(axis=1))
        print(preds.sum(axis=1).reshape(-1, 1).shape)
        """,
        "tensor([[0.2000, 0.6000, 0.2000],\n        [0.5000, 0.2500, 0.2500],\n"
        "        [0.2500, 0.5000, 0.2500],\n        [0.7500, 0.2500, 0.0000]])\n"
        "tensor([1., 1., 1., 1.])\ntorch.Size([4, 1])\n",
    ),
    "one_hot_by_index_assignment": (
        """
        B, C = 4, 5
        idx = torch.tensor([1, 0, 4, 2])
        labels = torch.zeros(B, C)
        labels[torch.arange(B), idx] = 1
        print(labels)
        print(torch.where(labels == 1))
        preds = torch.tensor([[0.1, 0.5, 0.1, 0.2, 0.1], [0.7, 0.1, 0.1, 0.05, 0.05],
                              [0.2, 0.2, 0.2, 0.2, 0.2], [0.1, 0.1, 0.6, 0.1, 0.1]])
        picked = preds[torch.where(labels == 1)]
        print(picked)
        print((preds * labels).sum(axis=1))
        print(-torch.mean(torch.log(picked)))
        print(-torch.mean(torch.log((preds * labels).sum(axis=1))))
        print(preds[torch.arange(B), idx])
        """,
        "tensor([[0., 1., 0., 0., 0.],\n        [1., 0., 0., 0., 0.],\n"
        "        [0., 0., 0., 0., 1.],\n        [0., 0., 1., 0., 0.]])\n"
        "(tensor([0, 1, 2, 3]), tensor([1, 0, 4, 2]))\n"
        "tensor([0.5000, 0.7000, 0.2000, 0.6000])\n"
        "tensor([0.5000, 0.7000, 0.2000, 0.6000])\n"
        "tensor(0.7925)\ntensor(0.7925)\n"
        "tensor([0.5000, 0.7000, 0.2000, 0.6000])\n",
    ),
    "backward_needs_a_scalar": (
        """
        x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        print(x.is_leaf, y.is_leaf, x.grad_fn, y.grad_fn.name())
        print(y)
        try:
            y.backward()
        except RuntimeError as error:
            print("RuntimeError:", error)
        y.backward(torch.tensor([1.0, 0.1, 0.01]))
        print(x.grad)
        z = (x ** 2).sum()
        print(z)
        z.backward()
        print(x.grad)
        print(y.grad_fn)
        print(y.grad_fn.next_functions)
        """,
        "True False None MulBackward0\n"
        "tensor([2., 4., 6.], grad_fn=<MulBackward0>)\n"
        "RuntimeError: grad can be implicitly created only for scalar outputs\n"
        "tensor([2.0000, 0.2000, 0.0200])\n"
        "tensor(14., grad_fn=<SumBackward0>)\n"
        "tensor([4.0000, 4.2000, 6.0200])\n"
        "<MulBackward0 object at 0x>\n"
        "((<AccumulateGrad object at 0x>, 0), (None, 0))\n",
    ),
    "leaves_and_non_leaves": (
        """
        a = torch.tensor(2.0, requires_grad=True)
        b = torch.tensor(3.0, requires_grad=True)
        c = a * b
        d = c + a
        d.backward()
        print(a.grad, b.grad, c.grad_fn, d.grad_fn)
        print(c.is_leaf, c.requires_grad, a.is_leaf)
        e = torch.tensor([1.0, 2.0])
        print(e.requires_grad, e.is_leaf, e.grad_fn)
        with torch.no_grad():
            f = a * 2
        print(f, f.requires_grad)
        """,
        "tensor(4.) tensor(2.) <MulBackward0 object at 0x> <AddBackward0 object at 0x>\n"
        "False True True\nFalse True None\ntensor(4.) False\n",
    ),
}


def _run(lib, code: str) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(textwrap.dedent(code), {"torch": lib})  # noqa: S102 - test snippets
    return re.sub(r" at 0x[0-9a-fA-F]+>", " at 0x>", buffer.getvalue())


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_prints_what_the_notes_expect(name):
    code, expected = SNIPPETS[name]
    assert _run(torchlet, code) == expected


@pytest.mark.skipif(real_torch is None, reason="torch is not installed")
@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_prints_what_torch_prints(name):
    code, _ = SNIPPETS[name]
    assert _run(torchlet, code) == _run(real_torch, code)
