"""grad_fn._saved_* round 6: reduction dims as given (torch shows -1 as 2**64-1; a dim
tuple in the caller's order; None / () as given), cat/stack dims as given, and the
attributes of median/nanmedian/mode/kthvalue/topk/sort/nansum/cumprod/cummax/cummin/
logcumsumexp nodes."""

import numpy as np
import pytest

import torchlet

M1 = 2**64 - 1  # -1 as torch shows an int64 attribute
M2 = 2**64 - 2


def _x(lib, shape=(3, 4, 2), seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return lib.tensor(a).requires_grad_()


def _show(value):
    if hasattr(value, "shape"):
        return ("T", tuple(value.shape), str(value.dtype).split(".")[-1],
                np.asarray(value.detach().numpy()).tolist())
    return value


def _attrs(node, skip=()):
    return node.name(), {name: _show(getattr(node, name)) for name in dir(node)
                         if name.startswith("_saved_") and name not in skip}


CASES = {
    "sum": lambda lib: _x(lib).sum(-1),
    "sum list": lambda lib: _x(lib).sum([-1, 0]),
    "sum none keep": lambda lib: _x(lib).sum(None, True),
    "sum empty": lambda lib: _x(lib).sum(()),
    "sum dtype": lambda lib: _x(lib).sum(-2, dtype=lib.float64),
    "mean": lambda lib: _x(lib).mean(-1, keepdim=True),
    "mean none keep": lambda lib: _x(lib).mean(None, True),
    "prod": lambda lib: _x(lib).prod(-2),
    "amax": lambda lib: _x(lib).amax((-1, 0)),
    "amin": lambda lib: _x(lib).amin(-2),
    "max": lambda lib: _x(lib).max(-1)[0],
    "min keep": lambda lib: _x(lib).min(-2, keepdim=True)[0],
    "logsumexp": lambda lib: _x(lib).logsumexp((-1, 0)),
    "cumsum": lambda lib: _x(lib).cumsum(-1),
    "cumprod": lambda lib: _x(lib).cumprod(-1),
    "logcumsumexp": lambda lib: _x(lib).logcumsumexp(-2),
    "nansum": lambda lib: _x(lib).nansum(-1),
    "nansum all": lambda lib: _x(lib).nansum(),
    "nansum empty": lambda lib: _x(lib).nansum(()),
    "median all": lambda lib: _x(lib).median(),
    "median": lambda lib: _x(lib).median(-1)[0],
    "nanmedian all": lambda lib: _x(lib).nanmedian(),
    "nanmedian": lambda lib: _x(lib).nanmedian(-2, True)[0],
    "mode": lambda lib: _x(lib).mode(-1)[0],
    "kthvalue": lambda lib: _x(lib).kthvalue(2, -1)[0],
    "topk": lambda lib: _x(lib).topk(2, -2)[0],
    "sort": lambda lib: _x(lib).sort(-1)[0],
    "sort stable": lambda lib: _x(lib).sort(dim=-1, stable=True)[0],
    "msort": lambda lib: _x(lib).msort(),
    "cat": lambda lib: lib.cat([_x(lib), _x(lib, seed=1)], -1),
    "cat empty": lambda lib: lib.cat([_x(lib, (0,)), _x(lib, (0,))], -1),
    "stack": lambda lib: lib.stack([_x(lib), _x(lib, seed=1)], -1),
}
NO_SELF = ()  # cummax/cummin keep self as torch's node does (saved7, session 22)
CASES_NO_SELF = {
    "cummax": lambda lib: _x(lib).cummax(-1)[0],
    "cummin": lambda lib: _x(lib).cummin(0)[0],
}


@pytest.mark.parametrize("label", sorted(CASES))
def test_as_torch(label):
    torch = pytest.importorskip("torch")
    assert _attrs(CASES[label](torchlet).grad_fn) == _attrs(CASES[label](torch).grad_fn)


@pytest.mark.parametrize("label", sorted(CASES_NO_SELF))
def test_cummax_as_torch(label):
    torch = pytest.importorskip("torch")
    got = _attrs(CASES_NO_SELF[label](torchlet).grad_fn)
    assert got == _attrs(CASES_NO_SELF[label](torch).grad_fn, NO_SELF)


def test_reduction_dims_as_given():
    node = CASES["sum list"](torchlet).grad_fn
    assert (node._saved_dim, node._saved_keepdim) == ((M1, 0), False)
    assert CASES["sum none keep"](torchlet).grad_fn._saved_dim is None
    assert CASES["sum empty"](torchlet).grad_fn._saved_dim == ()
    assert _x(torchlet).sum(1).grad_fn._saved_dim == (1,)
    assert CASES["mean"](torchlet).grad_fn._saved_dim == (M1,)
    assert CASES["prod"](torchlet).grad_fn._saved_dim == M2
    assert CASES["amax"](torchlet).grad_fn._saved_dim == (M1, 0)
    assert CASES["logsumexp"](torchlet).grad_fn._saved_dim == (M1, 0)
    assert CASES["cumsum"](torchlet).grad_fn._saved_dim == M1
    assert CASES["max"](torchlet).grad_fn._saved_dim == M1
    assert CASES["min keep"](torchlet).grad_fn._saved_dim == M2
    assert CASES["cat"](torchlet).grad_fn._saved_dim == M1
    assert CASES["stack"](torchlet).grad_fn._saved_dim == M1
    assert torchlet.stack([_x(torchlet)], 1).grad_fn._saved_dim == 1


def test_new_attributes():
    x = _x(torchlet)
    node = x.sort(-1).values.grad_fn
    want = np.argsort(x.detach().numpy(), axis=-1, kind="stable")
    assert node._saved_indices.numpy().tolist() == want.tolist()
    assert (node._saved_dim, node._saved_self_sym_sizes) == (M1, (3, 4, 2))
    assert not hasattr(node, "_saved_keepdim")
    node = x.kthvalue(1, 1, keepdim=True).values.grad_fn
    want = np.argmin(x.detach().numpy(), axis=1)[:, None]
    assert node._saved_indices.numpy().tolist() == want.tolist()
    assert (node._saved_dim, node._saved_keepdim) == (1, True)
    assert node._saved_indices.grad_fn is None and not node._saved_indices.requires_grad
    node = x.median().grad_fn
    assert node._saved_self.shape == (3, 4, 2) and node._saved_result.shape == ()
    node = CASES["nansum empty"](torchlet).grad_fn
    assert node._saved_dim == () and node._saved_self.shape == (3, 4, 2)
    assert CASES["nansum all"](torchlet).grad_fn._saved_dim is None
    node = CASES["cumprod"](torchlet).grad_fn
    np.testing.assert_array_equal(node._saved_result.detach().numpy(),
                                  np.cumprod(_x(torchlet).detach().numpy(), axis=-1))
    node = CASES_NO_SELF["cummax"](torchlet).grad_fn
    assert node._saved_dim == M1 and node._saved_indices.shape == (3, 4, 2)


def test_gradients_unchanged():
    """The dims as given are only shown: gradients as with the normalized dim."""
    for f in (lambda x, d: x.sum(d), lambda x, d: x.cumprod(d), lambda x, d: x.max(d)[0],
              lambda x, d: x.sort(d)[0], lambda x, d: torchlet.cat([x, x * 2], d)):
        grads = []
        for d in (2, -1):
            x = _x(torchlet)
            f(x, d).pow(2).sum().backward()
            grads.append(x.grad.numpy())
        np.testing.assert_array_equal(grads[0], grads[1])


def test_sampled_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(23)
    ops = ("sum", "mean", "prod", "amax", "max", "cumsum", "cumprod", "logsumexp", "nansum",
           "median", "kthvalue", "topk", "sort", "cat", "stack", "mode")
    for _ in range(48):
        op = ops[rng.integers(len(ops))]
        shape = tuple(int(s) for s in rng.integers(1, 4, size=rng.integers(1, 4)))
        nd = len(shape)
        dim = int(rng.integers(-nd, nd))
        keep = bool(rng.integers(2))
        a = rng.standard_normal(shape).astype(np.float32)

        def make(lib, op=op, dim=dim, keep=keep, a=a):
            x = lib.tensor(a).requires_grad_()
            if op in ("sum", "mean", "amax", "logsumexp", "nansum"):
                return getattr(x, op)(dim, keep)
            if op in ("prod",):
                return x.prod(dim, keep)
            if op in ("max", "median", "mode"):
                return getattr(x, op)(dim, keep)[0]
            if op in ("cumsum", "cumprod"):
                return getattr(x, op)(dim)
            if op == "kthvalue":
                return x.kthvalue(1, dim, keep)[0]
            if op == "topk":
                return x.topk(1, dim)[0]
            if op == "sort":
                return x.sort(dim)[0]
            if op == "cat":
                return lib.cat([x, x], dim)
            return lib.stack([x, x], dim - (dim < 0))

        got, want = make(torchlet), make(torch)
        assert _attrs(got.grad_fn) == _attrs(want.grad_fn), (op, shape, dim, keep)
