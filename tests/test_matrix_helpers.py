"""Checks for the matrix helpers that the spec table cannot express: warnings, which cdist
formula is taken (the node under the result), and in-place forms writing into self."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")


def test_chain_matmul_warns_deprecation_like_torch():
    import torchlet._ops.linalg.matrix_helpers as helpers

    helpers._warned_chain_matmul = False
    a = torchlet.ones(2, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torchlet.chain_matmul(a, a)
        torchlet.chain_matmul(a, a)  # torch warns once per process
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    assert messages[0].startswith("torch.chain_matmul is deprecated")
    assert "Use torch.linalg.multi_dot instead" in messages[0]


def test_cov_warns_when_degrees_of_freedom_are_not_positive():
    x = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = torchlet.cov(torchlet.tensor(x), correction=5)
    assert any("degrees of freedom is <= 0" in str(w.message) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = torch.cov(torch.tensor(x), correction=5)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("rows, mode", [(25, None), (26, None), (3, "use_mm_for_euclid_dist"),
                                        (30, "donot_use_mm_for_euclid_dist")])
def test_cdist_takes_torchs_formula(rows, mode):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((rows, 3)), rng.standard_normal((4, 3))
    kwargs = {} if mode is None else {"compute_mode": mode}

    def graph(lib):
        out = lib.cdist(lib.tensor(a, requires_grad=True), lib.tensor(b), **kwargs)
        names = [out.grad_fn.name()]
        names += [f.name() for f, _ in out.grad_fn.next_functions if f is not None]
        return names[:2]

    assert graph(torchlet) == graph(torch)


def test_inplace_forms_write_into_self():
    rng = np.random.default_rng(1)
    s, m, v = rng.standard_normal(3), rng.standard_normal((3, 4)), rng.standard_normal(4)
    for lib in (torchlet, torch):
        t = lib.tensor(s)
        same = t.addmv_(lib.tensor(m), lib.tensor(v))
        assert same is t
    got = torchlet.tensor(s)
    got.addmv_(torchlet.tensor(m), torchlet.tensor(v))
    want = torch.tensor(s)
    want.addmv_(torch.tensor(m), torch.tensor(v))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    x = rng.standard_normal((3, 4)) * 3
    got, want = torchlet.tensor(x), torch.tensor(x)
    got.renorm_(2, 0, 1.0)
    want.renorm_(2, 0, 1.0)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
