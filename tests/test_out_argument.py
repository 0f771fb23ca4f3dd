"""torch's ``out=`` argument, live against torch, for the functions whose ``out`` is not
covered by the pointwise specs: reductions, scans, sorting, searching, joins, creation,
triangles and linear algebra.

One table of calls (``CASES``: ``call(t, out, grad)`` runs the same expression on torch or
torchlet, its inputs requiring grad when ``grad``) drives every test:

- the answer is the ``out`` tensor itself (for several outputs, a tuple of the ``out``
  tensors, typed ``return_types.<name>_out`` as torch's), holding torch's values, dtype and
  shape after resizing an empty ``out``;
- a non-empty ``out`` of a wrong shape is resized with torch's deprecation warning;
- an input or an ``out`` that requires grad gives torch's RuntimeError;
- an ``out`` of another dtype either raises what torch raises (type and message) or is cast
  into, as torch casts.

Integer and boolean results, copies, sorting, selection and creation are compared bit for
bit; float results of reductions and linear algebra within float32 rounding (NumPy and
LAPACK sum and pivot in their own order); SVD and QR factors up to the sign of each
singular vector / Householder column, which LAPACK implementations may choose apart.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")

_RNG = np.random.default_rng(0)
_X = _RNG.standard_normal((3, 4)).astype(np.float32)
_SQ = (_RNG.standard_normal((3, 3)) + 3 * np.eye(3)).astype(np.float32)
_SPD = (_SQ @ _SQ.T + np.eye(3)).astype(np.float32)
_LOWER = np.tril(_SQ).astype(np.float32)
_B = _RNG.standard_normal((3, 2)).astype(np.float32)
_V3 = _RNG.standard_normal((2, 3)).astype(np.float32)
_T4 = (_RNG.standard_normal((4, 4)) + 4 * np.eye(4)).astype(np.float32).reshape(2, 2, 2, 2)
_TAU = np.array([1.2, 0.7], np.float32)  # householder_product's k = 2 reflectors
_SORTED = np.array([-1.0, 0.0, 1.0], np.float32)


def _t(t, array, grad=False):
    return t.tensor(array, requires_grad=grad)


def _x(t, g=False):
    return _t(t, _X, g)


def _sq(t, g=False):
    return _t(t, _SQ, g)


def _spd(t, g=False):
    return _t(t, _SPD, g)


def _lu(t, g=False):
    factors, pivots = t.linalg.lu_factor(_sq(t))
    return factors.detach().requires_grad_(g), pivots


def _ldl(t, g=False):
    factors, pivots = t.linalg.ldl_factor(_spd(t))
    return factors.detach().requires_grad_(g), pivots


# (id, call(t, out, grad)); ids name torch's function
CASES = [
    ("all", lambda t, out, g: t.all(_x(t, g) > 0, 1, out=out)),
    ("amax", lambda t, out, g: t.amax(_x(t, g), 1, out=out)),
    ("amin_keepdim", lambda t, out, g: t.amin(_x(t, g), (0, 1), keepdim=True, out=out)),
    ("aminmax", lambda t, out, g: t.aminmax(_x(t, g), dim=1, out=out)),
    ("bucketize", lambda t, out, g: t.bucketize(_x(t, g), _t(t, _SORTED), out=out)),
    ("bucketize_int32", lambda t, out, g: t.bucketize(_x(t, g), _t(t, _SORTED), out_int32=True,
                                                      out=out)),
    ("column_stack", lambda t, out, g: t.column_stack([_x(t, g), _x(t)], out=out)),
    ("dstack", lambda t, out, g: t.dstack([_x(t, g), _x(t)], out=out)),
    ("hstack", lambda t, out, g: t.hstack([_x(t, g), _x(t)], out=out)),
    ("vstack", lambda t, out, g: t.vstack([_x(t, g), _x(t)], out=out)),
    ("row_stack", lambda t, out, g: t.row_stack([_x(t, g), _x(t)], out=out)),
    ("cummax", lambda t, out, g: t.cummax(_x(t, g), 1, out=out)),
    ("cummin", lambda t, out, g: t.cummin(_x(t, g), 0, out=out)),
    ("cumprod", lambda t, out, g: t.cumprod(_x(t, g), 1, out=out)),
    ("cumsum", lambda t, out, g: t.cumsum(_x(t, g), 0, out=out)),
    ("cumsum_dtype", lambda t, out, g: t.cumsum(_x(t, g), 1, dtype=t.float64, out=out)),
    ("diag", lambda t, out, g: t.diag(_x(t, g), 1, out=out)),
    ("eye", lambda t, out, g: t.eye(3, 4, out=out, requires_grad=g)),
    ("full", lambda t, out, g: t.full((2, 3), 1.5, out=out, requires_grad=g)),
    ("histc", lambda t, out, g: t.histc(_x(t, g), 5, out=out)),
    ("histogram", lambda t, out, g: t.histogram(_x(t, g), 5, out=out)),
    ("inverse", lambda t, out, g: t.inverse(_sq(t, g), out=out)),
    ("kron", lambda t, out, g: t.kron(_x(t, g), _sq(t), out=out)),
    ("kthvalue", lambda t, out, g: t.kthvalue(_x(t, g), 2, 1, out=out)),
    ("linspace", lambda t, out, g: t.linspace(0, 1, 5, out=out, requires_grad=g)),
    ("logspace", lambda t, out, g: t.logspace(0, 1, 5, base=2.0, out=out, requires_grad=g)),
    ("logcumsumexp", lambda t, out, g: t.logcumsumexp(_x(t, g), 1, out=out)),
    ("logsumexp", lambda t, out, g: t.logsumexp(_x(t, g), 1, out=out)),
    ("matrix_power", lambda t, out, g: t.matrix_power(_sq(t, g), 3, out=out)),
    ("max_dim", lambda t, out, g: t.max(_x(t, g), 1, out=out)),
    ("max_keepdim", lambda t, out, g: t.max(_x(t, g), dim=0, keepdim=True, out=out)),
    ("min_dim", lambda t, out, g: t.min(_x(t, g), 1, out=out)),
    ("mode", lambda t, out, g: t.mode(_x(t, g).round(), 1, out=out)),
    ("nanmean", lambda t, out, g: t.nanmean(_x(t, g), 1, out=out)),
    ("nanquantile", lambda t, out, g: t.nanquantile(_x(t, g), 0.3, 1, out=out)),
    ("quantile", lambda t, out, g: t.quantile(_x(t, g), _t(t, [0.2, 0.9]), 1, out=out)),
    ("narrow_copy", lambda t, out, g: t.narrow_copy(_x(t, g), 1, 1, 2, out=out)),
    ("renorm", lambda t, out, g: t.renorm(_x(t, g), 2, 0, 1.0, out=out)),
    ("searchsorted", lambda t, out, g: t.searchsorted(_t(t, _SORTED), _x(t, g), out=out)),
    ("sort", lambda t, out, g: t.sort(_x(t, g), 1, out=out)),
    ("std", lambda t, out, g: t.std(_x(t, g), 1, out=out)),
    ("var", lambda t, out, g: t.var(_x(t, g), (0, 1), correction=0, out=out)),
    ("topk", lambda t, out, g: t.topk(_x(t, g), 2, 1, out=out)),
    ("tril", lambda t, out, g: t.tril(_x(t, g), out=out)),
    ("triu", lambda t, out, g: t.triu(_x(t, g), 1, out=out)),
    # linear algebra
    ("linalg.solve_triangular",
     lambda t, out, g: t.linalg.solve_triangular(_t(t, _LOWER, g), _t(t, _B), upper=False,
                                                 out=out)),
    ("triangular_solve",
     lambda t, out, g: t.triangular_solve(_t(t, _B, g), _t(t, _LOWER), upper=False, out=out)),
    ("cholesky_solve",
     lambda t, out, g: t.cholesky_solve(_t(t, _B, g), t.linalg.cholesky(_spd(t)), out=out)),
    ("cholesky_inverse",
     lambda t, out, g: t.cholesky_inverse(_t(t, np.linalg.cholesky(_SPD), g), out=out)),
    ("linalg.inv_ex", lambda t, out, g: t.linalg.inv_ex(_sq(t, g), out=out)),
    ("linalg.cholesky_ex", lambda t, out, g: t.linalg.cholesky_ex(_spd(t, g), out=out)),
    ("cholesky", lambda t, out, g: t.cholesky(_spd(t, g), out=out)),
    ("linalg.cross", lambda t, out, g: t.linalg.cross(_t(t, _V3, g), _t(t, _V3[::-1].copy()),
                                                      out=out)),
    ("linalg.vecdot", lambda t, out, g: t.linalg.vecdot(_x(t, g), _x(t), out=out)),
    ("linalg.matrix_power", lambda t, out, g: t.linalg.matrix_power(_sq(t, g), -2, out=out)),
    ("linalg.multi_dot", lambda t, out, g: t.linalg.multi_dot([_x(t, g).T, _sq(t), _x(t)],
                                                              out=out)),
    ("linalg.matrix_rank", lambda t, out, g: t.linalg.matrix_rank(_x(t, g), out=out)),
    ("linalg.pinv", lambda t, out, g: t.linalg.pinv(_x(t, g), out=out)),
    ("linalg.cond", lambda t, out, g: t.linalg.cond(_sq(t, g), out=out)),
    ("linalg.solve", lambda t, out, g: t.linalg.solve(_sq(t, g), _t(t, _B), out=out)),
    ("qr", lambda t, out, g: t.qr(_x(t, g).T, out=out)),
    ("svd", lambda t, out, g: t.svd(_x(t, g), out=out)),
    ("lu", lambda t, out, g: t.lu(_sq(t, g), out=out)),
    ("lu_get_infos", lambda t, out, g: t.lu(_sq(t, g), get_infos=True, out=out)),
    ("lu_unpack", lambda t, out, g: t.lu_unpack(*_lu(t, g), out=out)),
    ("linalg.tensorinv", lambda t, out, g: t.linalg.tensorinv(_t(t, _T4, g), out=out)),
    ("linalg.tensorsolve",
     lambda t, out, g: t.linalg.tensorsolve(_t(t, _T4, g), _t(t, _X[:2, :2]), out=out)),
    ("linalg.ldl_factor_ex", lambda t, out, g: t.linalg.ldl_factor_ex(_spd(t, g), out=out)),
    ("linalg.ldl_factor", lambda t, out, g: t.linalg.ldl_factor(_spd(t, g), out=out)),
    ("linalg.ldl_solve", lambda t, out, g: t.linalg.ldl_solve(*_ldl(t), _t(t, _B, g), out=out)),
    ("linalg.solve_ex", lambda t, out, g: t.linalg.solve_ex(_sq(t, g), _t(t, _B), out=out)),
    ("geqrf", lambda t, out, g: t.geqrf(_x(t, g).T, out=out)),
    ("linalg.householder_product",
     lambda t, out, g: t.linalg.householder_product(_x(t, g).T, _t(t, _TAU), out=out)),
    ("ormqr", lambda t, out, g: t.ormqr(_x(t, g).T, _t(t, [1.2, 0.7, 0.4]),
                                        _t(t, _X.T[:, :2].copy()), out=out)),
    ("linalg.lu_factor_ex", lambda t, out, g: t.linalg.lu_factor_ex(_sq(t, g), out=out)),
    ("linalg.lu_factor", lambda t, out, g: t.linalg.lu_factor(_sq(t, g), out=out)),
    ("linalg.lu", lambda t, out, g: t.linalg.lu(_sq(t, g), out=out)),
    ("linalg.lu_solve", lambda t, out, g: t.linalg.lu_solve(*_lu(t), _t(t, _B, g), out=out)),
]
_IDS = [case_id for case_id, _ in CASES]
_CALLS = [call for _, call in CASES]
_SIGNED = {"qr", "svd"}  # factors equal up to the sign of each column
# torch resizes these outs to the shape of an intermediate result, and its warning names
# that shape (kthvalue, mode: [7, 1] with the reduced dim put back; svd: V^H's [3, 4] for
# V); torchlet warns as many times, naming the shapes the outs get
_UNSQUEEZED_OUT = {"kthvalue", "mode", "svd"}


def _quiet(call, *args):
    """Run ``call`` with the deprecation warnings of torch.lu, torch.qr, ... silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args)


def _reference(call):
    result = _quiet(call, torch, None, False)
    return result if isinstance(result, tuple) else (result,)


def _outs(lib, ref, shape=None, dtypes=None):
    """Fresh ``out`` tensors in ``lib`` for torch's results ``ref`` (empty unless given a
    shape), as ``out=`` takes them: one tensor, or a tuple."""
    dtypes = dtypes or [r.dtype for r in ref]
    outs = tuple(lib.ones(shape or 0, dtype=getattr(lib, str(d)[6:])) for d in dtypes)
    return outs if len(ref) > 1 else outs[0]


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def _assert_same_values(case_id, got, want):
    assert str(got.dtype) == str(want.dtype), case_id
    assert tuple(got.shape) == tuple(want.shape), case_id
    g, w = got.detach().numpy(), want.detach().numpy()
    if case_id in _SIGNED and g.ndim == 2:
        g, w = np.abs(g), np.abs(w)
    if w.dtype.kind == "f":
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6, err_msg=case_id)
    else:
        np.testing.assert_array_equal(g, w, err_msg=case_id)


def _assert_written(case_id, answer, outs, want_answer, want):
    """``answer`` is ``outs`` (object for object, typed as torch's) holding ``want``."""
    if isinstance(want_answer, tuple):
        assert type(answer).__name__ == type(want_answer).__name__, case_id
        assert len(answer) == len(outs)
        assert all(a is o for a, o in zip(answer, outs, strict=True)), case_id
    else:
        assert answer is outs, case_id
    for got, w in zip(_as_tuple(outs), want, strict=True):
        _assert_same_values(case_id, got, w)


@pytest.mark.parametrize("call", _CALLS, ids=_IDS)
def test_out_is_written_and_returned(call):
    case_id = _IDS[_CALLS.index(call)]
    ref = _reference(call)
    torch_outs = _outs(torch, ref)
    torch_answer = _quiet(call, torch, torch_outs, False)
    outs = _outs(torchlet, ref)
    answer = _quiet(call, torchlet, outs, False)
    _assert_written(case_id, answer, outs, torch_answer, _as_tuple(torch_outs))


def _resize_warnings(caught) -> list:
    """The resize warnings (in no particular order), without the C++ source location torch
    appends."""
    return sorted(str(w.message).split(" (Triggered internally")[0] for w in caught
                  if "was resized" in str(w.message))


@pytest.mark.parametrize("call", _CALLS, ids=_IDS)
def test_out_of_another_shape_is_resized_as_torch_does(call):
    case_id = _IDS[_CALLS.index(call)]
    ref = _reference(call)
    answers, messages = [], []
    for lib in (torch, torchlet):
        outs = _outs(lib, ref, shape=(7,))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            answers.append((call(lib, outs, False), outs))
        messages.append(_resize_warnings(caught))
    if case_id in _UNSQUEEZED_OUT:
        assert len(messages[1]) == len(messages[0]), case_id
    else:
        assert messages[1] == messages[0], case_id
    (torch_answer, torch_outs), (answer, outs) = answers
    _assert_written(case_id, answer, outs, torch_answer, _as_tuple(torch_outs))


def _outcome(lib, call, *args):
    try:
        _quiet(call, lib, *args)
    except Exception as error:  # noqa: BLE001 - the outcome compared is the exception
        return type(error).__name__, str(error).split("\n")[0]
    return None


@pytest.mark.parametrize("call", _CALLS, ids=_IDS)
def test_out_refused_when_autograd_would_follow(call):
    case_id = _IDS[_CALLS.index(call)]
    ref = _reference(call)
    # an input that requires grad
    want = _outcome(torch, call, _outs(torch, ref), True)
    assert _outcome(torchlet, call, _outs(torchlet, ref), True) == want, case_id
    # an out that requires grad
    outs = [_as_tuple(_outs(lib, ref, dtypes=[r.dtype for r in ref])) for lib in (torch,
                                                                                  torchlet)]
    for lib_outs in outs:
        for o in lib_outs:
            if o.dtype.is_floating_point:
                o.requires_grad_()
    got = [_outcome(lib, call, o if len(o) > 1 else o[0], False)
           for lib, o in zip((torch, torchlet), outs, strict=True)]
    assert got[1] == got[0], case_id


def _other_dtypes(dtype) -> list:
    return [d for d in (torch.float64, torch.float32, torch.int64, torch.int32, torch.bool)
            if d != dtype]


@pytest.mark.parametrize("call", _CALLS, ids=_IDS)
def test_out_of_another_dtype_raises_or_casts_as_torch(call):
    case_id = _IDS[_CALLS.index(call)]
    ref = _reference(call)
    for index, result in enumerate(ref):
        for other in _other_dtypes(result.dtype):
            dtypes = [r.dtype for r in ref]
            dtypes[index] = other
            torch_outs = _outs(torch, ref, dtypes=dtypes)
            want = _outcome(torch, call, torch_outs, False)
            outs = _outs(torchlet, ref, dtypes=dtypes)
            assert _outcome(torchlet, call, outs, False) == want, (case_id, index, other)
            if want is None:
                for got, w in zip(_as_tuple(outs), _as_tuple(torch_outs), strict=True):
                    _assert_same_values(case_id, got, w)


_TUPLE_CALLS = [call for call in _CALLS if len(_reference(call)) > 1]
_TUPLE_IDS = [_IDS[_CALLS.index(call)] for call in _TUPLE_CALLS]


@pytest.mark.parametrize("call", _TUPLE_CALLS, ids=_TUPLE_IDS)
def test_tuple_out_of_the_wrong_kind_is_a_type_error(call):
    """A tensor, or a tuple one tensor short, where torch takes a tuple of outs."""
    ref = _reference(call)
    for lib in (torch, torchlet):
        with pytest.raises(TypeError):
            _quiet(call, lib, _outs(lib, ref)[0], False)
    short = [_outcome(lib, call, _outs(lib, ref)[:-1], False) for lib in (torch, torchlet)]
    assert short[1] == short[0]
