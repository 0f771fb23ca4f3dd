"""Vector norms accumulate as torch's norm kernel does: one element after the other, in
TensorIterator's order (torchlet/_ops/reduction/statistics.py ``_sum_in_order``), and a
norm over one element is |x| itself (the nn.utils sweep: clip_grad_norm_(norm_type=1)
and vector_norm(g, 1) printed another last digit)."""

import itertools

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None


def test_one_norm_adds_left_to_right():
    x = np.array([1e8, 1.0, -1e8, 1.0, 3.0, 0.5, 0.25, 7.0, 1e-3], np.float32)
    total = np.float32(0)
    for v in np.abs(x):  # hand-written: sequential float32 additions
        total = np.float32(total + v)
    assert torchlet.linalg.vector_norm(torchlet.tensor(x), 1).item() == total


@pytest.mark.parametrize("p", [1, 2, 3, 0.5])
def test_a_norm_over_one_element_is_its_absolute_value(p):
    got = torchlet.linalg.vector_norm(torchlet.tensor([-160.0]), p)
    assert got.item() == 160.0 and got.shape == ()
    got = torchlet.linalg.vector_norm(torchlet.tensor([[160.0], [-2.0]]), p, dim=1)
    assert got.tolist() == [160.0, 2.0]
    big = torchlet.tensor([1e30])  # its square overflows float32: no power taken
    assert torchlet.linalg.vector_norm(big, 2).item() == float(np.float32(1e30))


@pytest.mark.skipif(torch is None, reason="torch not importable")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_norm_matches_torch_over_dims_and_layouts(dtype):
    rng = np.random.default_rng(0)
    for shape in [(10, 20), (3, 1000, 7), (300, 300), (5,), (4, 1)]:
        x = (rng.standard_normal(shape) * 3).astype(dtype)
        for a in (x, np.asfortranarray(x)):
            t, mine = torch.from_numpy(a), torchlet.from_numpy(a)
            all_dims = [None] + [d for r in range(1, a.ndim + 1)
                                 for d in itertools.combinations(range(a.ndim), r)]
            for dims in all_dims:
                ref = torch.linalg.vector_norm(t, 1, dims).numpy()
                got = torchlet.linalg.vector_norm(mine, 1, dims).numpy()
                assert got.tobytes() == ref.tobytes(), (shape, dims)


@pytest.mark.skipif(torch is None, reason="torch not importable")
def test_clip_grad_norm_with_norm_type_one_matches_torch():
    grads = [np.random.default_rng(i).standard_normal(s).astype(np.float32) * 3
             for i, s in enumerate([(10, 20), (20,), (5, 10)])]
    norms = []
    for lib in (torch, torchlet):
        params = [lib.nn.Parameter(lib.zeros(g.shape)) for g in grads]
        for p, g in zip(params, grads):
            p.grad = lib.tensor(g)
        norms.append(lib.nn.utils.clip_grad_norm_(params, 1.0, norm_type=1).item())
    assert norms[0] == norms[1]
