"""Differential hunt 16: embedding, embedding_bag, linear, dropout and nn.init against torch.

Regression tests for the mismatches the hunt found (each checks torchlet's own answer, and
torch's live when it is installed), then a small derandomized differential sweep over the
options of the area (fixed seeds; parameters and dropout masks are compared bit for bit).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
LIBS = [torchlet] if torch is None else [torchlet, torch]


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception is the result
        return type(e).__name__, str(e)
    return None


def _errors_agree(make, expected_type, expected_start):
    """make(lib) fails with the expected error in torchlet, and identically in torch."""
    ours = _error(lambda: make(torchlet))
    assert ours is not None and ours[0] == expected_type, ours
    assert ours[1].startswith(expected_start), ours
    if torch is not None:
        assert _error(lambda: make(torch)) == ours


# ---------------------------------------------------------------------------------------
# embedding_renorm_ (max_norm)


def test_renorm_names_indices_argument_two():
    _errors_agree(lambda lib: lib.embedding_renorm_(lib.ones(5, 2), lib.tensor([1.0]), 1.0, 2.0),
                  "RuntimeError", "Expected tensor for argument #2 'indices'")


def test_renorm_of_integer_weight_fails_in_norm():
    def make(lib):
        return lib.nn.functional.embedding(lib.tensor([1]), lib.ones(5, 2, dtype=lib.int32),
                                           max_norm=1.0)
    _errors_agree(make, "RuntimeError",
                  "norm(): input dtype should be either floating point or complex. Got Int")


def test_renorm_of_integer_weight_with_no_rows_is_fine():
    for lib in LIBS:
        out = lib.nn.functional.embedding(lib.tensor([], dtype=lib.int64),
                                          lib.ones(5, 2, dtype=lib.int64), max_norm=1.0)
        assert tuple(out.shape) == (0, 2) and out.dtype == lib.int64


@pytest.mark.parametrize("shape", [(5,), (5, 2, 2)])
def test_renorm_needs_a_matrix(shape):
    _errors_agree(lambda lib: lib.embedding_renorm_(lib.ones(shape), lib.tensor([1]), 1.0, 2.0),
                  "RuntimeError", f"Expected 2-dimensional tensor, but got {len(shape)}-dim")


def test_renorm_scales_rows_before_a_bad_index_then_raises():
    # torch walks the sorted distinct indices: rows 1 and 3 are renormalised before 7 fails
    for lib in LIBS:
        w = lib.full((5, 2), 3.0)
        err = _error(lambda lib=lib, w=w: lib.embedding_renorm_(w, lib.tensor([3, 7, 1]), 1.0, 2.0))
        assert err == ("IndexError",
                       "select(): index 7 out of range for tensor of size [5, 2] at dimension 0")
        norms = np.linalg.norm(w.numpy(), axis=1)
        np.testing.assert_allclose(norms[[1, 3]], 1.0, rtol=1e-6)
        np.testing.assert_array_equal(w.numpy()[[0, 2, 4]], 3.0)


# ---------------------------------------------------------------------------------------
# torch.embedding_bag's own checks (the functional checks its arguments before these)


def _bag(lib, weight=None, indices=(1,), offsets=(0,), *args, **dtypes):
    w = lib.ones(5, 3) if weight is None else weight
    i = lib.tensor(indices, dtype=getattr(lib, dtypes.get("idt", "int64")))
    o = lib.tensor(offsets, dtype=getattr(lib, dtypes.get("odt", "int64")))
    return lib.embedding_bag(w, i, o, *args)


BAG_ERRORS = {
    "psw_mean": (lambda lib: _bag(lib, None, [1], [0], False, 1, False, lib.ones(1)),
                 "embedding_bag: per_sample_weights only supported with mode='sum'"),
    "psw_max": (lambda lib: _bag(lib, None, [1], [0], False, 2, False, lib.ones(1)),
                "embedding_bag: per_sample_weights only supported with mode='sum'"),
    "psw_2d": (lambda lib: _bag(lib, None, [1, 2], [0], False, 0, False, lib.ones(2, 1)),
               "Expected per_sample_weights.value().dim() == 1 to be true"),
    "psw_numel": (lambda lib: _bag(lib, None, [1, 2], [0], False, 0, False, lib.ones(1)),
                  "Expected per_sample_weights.value().numel() == indices.numel() to be true"),
    "mode": (lambda lib: _bag(lib, None, [1], [0], False, 7),
             "`mode` must be sum, mean, or max."),
    "offsets_2d": (lambda lib: _bag(lib, None, [1, 2], [[0]]),
                   "offsets has to be a 1D Tensor, but got Tensor of dimension 2"),
    "input_3d": (lambda lib: _bag(lib, None, [[[1]]], [0]),
                 "input has to be a 1D or 2D Tensor, but got Tensor of dimension 3"),
    "weight_3d": (lambda lib: _bag(lib, lib.ones(5, 3, 2)),
                  "weight has to be a 2D Tensor, but got Tensor of dimension 3"),
    "last_offset_empty": (lambda lib: _bag(lib, None, [1], [], False, 1, False, None, True),
                          "include_last_offset: number of offset should be at least 1"),
    "first_offset": (lambda lib: _bag(lib, None, [1], [2], idt="int32", odt="int32"),
                     "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has "
                     "to start from position 0. However, got 2\n[ torch.IntTensor{} ]"),
    "float_offsets": (lambda lib: _bag(lib, None, [1], [0], odt="float32"),
                      "Expected tensor for argument #1 'indices' to have one of the following "
                      "scalar types: Long, Int; but got torch.FloatTensor"),
    "short_both": (lambda lib: _bag(lib, None, [1], [0], idt="int16", odt="int16"),
                   "Expected tensor for argument #1 'indices' to have one of the following "
                   "scalar types: Long, Int; but got torch.ShortTensor"),
}


@pytest.mark.parametrize("name", list(BAG_ERRORS))
def test_torch_embedding_bag_checks(name):
    make, start = BAG_ERRORS[name]
    _errors_agree(make, "RuntimeError", start)


@pytest.mark.parametrize("idt,odt", [("int16", "int64"), ("int64", "uint8"), ("int32", "int64"),
                                     ("int64", "int32")])
def test_torch_embedding_bag_promotes_indices_and_offsets(idt, odt):
    # torch converts both to their common type first: a short index is fine beside long offsets
    w = np.arange(15.0, dtype=np.float32).reshape(5, 3)
    for lib in LIBS:
        out = _bag(lib, lib.tensor(w), [1, 4, 2], [0, 1], idt=idt, odt=odt)[0]
        np.testing.assert_array_equal(out.numpy(), [w[1], w[4] + w[2]])


# ---------------------------------------------------------------------------------------
# embedding_bag max mode with no entries at all


@pytest.mark.parametrize("indices,offsets,padding_idx", [
    ([], [0, 0, 0], None), ([1, 1], [0, 1], 1), ([], [0], None)])
def test_bag_max_with_no_kept_entries(indices, offsets, padding_idx):
    for lib in LIBS:
        w = lib.ones(5, 2, requires_grad=True)
        idx = lib.tensor(indices, dtype=lib.int64)
        out = lib.nn.functional.embedding_bag(idx, w, lib.tensor(offsets), mode="max",
                                              padding_idx=padding_idx)
        np.testing.assert_array_equal(out.detach().numpy(), np.zeros((len(offsets), 2)))
        out.sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), np.zeros((5, 2)))
        raw = lib.embedding_bag(w, idx, lib.tensor(offsets), False, 2, False, None, False,
                                padding_idx)
        np.testing.assert_array_equal(raw[3].numpy(), np.zeros((len(offsets), 2)))


# ---------------------------------------------------------------------------------------
# sparse=True with scale_grad_by_freq: refused at backward, as torch


SGF_SPARSE = "embedding_backward: scale_grad_by_freq not supported with sparse gradients"


@pytest.mark.parametrize("kind", ["embedding", "module", "bag_sum", "bag_mean"])
def test_sparse_scale_grad_by_freq_fails_in_backward(kind):
    for lib in LIBS:
        w = lib.ones(5, 2, requires_grad=True)
        idx = lib.tensor([[1, 2, 1]])
        if kind == "embedding":
            out = lib.nn.functional.embedding(idx, w, scale_grad_by_freq=True, sparse=True)
        elif kind == "module":
            out = lib.nn.Embedding(5, 2, scale_grad_by_freq=True, sparse=True)(idx)
        else:
            out = lib.nn.functional.embedding_bag(idx, w, mode=kind[4:], sparse=True,
                                                  scale_grad_by_freq=True)
        assert _error(lambda out=out: out.sum().backward()) == ("RuntimeError", SGF_SPARSE)


def test_sparse_scale_grad_by_freq_with_frozen_weight_is_fine():
    # only the weight's gradient is refused: per_sample_weights still get theirs
    for lib in LIBS:
        psw = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = lib.arange(10.0).reshape(5, 2)
        out = lib.nn.functional.embedding_bag(lib.tensor([1, 2, 1]), w, lib.tensor([0]),
                                              mode="sum", sparse=True, scale_grad_by_freq=True,
                                              per_sample_weights=psw)
        out.sum().backward()
        np.testing.assert_array_equal(psw.grad.numpy(), [5.0, 9.0, 5.0])


# ---------------------------------------------------------------------------------------
# dropout


FEATURE_DIMS = "Feature dropout requires at least 2 dimensions in the input"


@pytest.mark.parametrize("fn,shape", [("feature_alpha_dropout", (3,)),
                                      ("feature_alpha_dropout", ()), ("dropout2d", (3,)),
                                      ("dropout2d", ()), ("dropout3d", ())])
def test_feature_dropout_needs_two_dims(fn, shape):
    def make(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(lib.nn.functional, fn)(lib.ones(shape), 0.5, True)
    _errors_agree(make, "RuntimeError", FEATURE_DIMS)
    for lib in LIBS:  # nothing is drawn when p is 0 or 1, or in eval mode: no error
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for p, training in ((0.0, True), (1.0, True), (0.5, False)):
                out = getattr(lib.nn.functional, fn)(lib.ones(shape), p, training)
                assert tuple(out.shape) == shape


@pytest.mark.parametrize("dtype,word", [("int64", "Long"), ("int32", "Int"), ("uint8", "Byte"),
                                        ("bool", "Long")])
@pytest.mark.parametrize("fn", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_of_integers_fails_after_drawing(fn, dtype, word):
    results = []
    for lib in LIBS:
        lib.manual_seed(0)
        x = lib.ones(3, 4, dtype=getattr(lib, dtype))
        err = _error(lambda x=x, lib=lib: getattr(lib.nn.functional, fn)(x, 0.5, True))
        assert err == ("RuntimeError",
                       f"result type Float can't be cast to the desired output type {word}")
        results.append(lib.rand(2).numpy())  # the mask was drawn before the failure
    torchlet.manual_seed(0)
    assert not np.array_equal(results[0], torchlet.rand(2).numpy())
    if torch is not None:
        np.testing.assert_array_equal(results[0], results[1])


# ---------------------------------------------------------------------------------------
# init.orthogonal_ writes through tensor.view_as(q), as torch


def test_orthogonal_of_unviewable_tensor_raises_views_error():
    _errors_agree(lambda lib: lib.nn.init.orthogonal_(lib.zeros(3, 1, 3, 3).transpose(-1, -2)),
                  "RuntimeError", "view size is not compatible with input tensor's size")


def test_orthogonal_of_transposed_matrix_is_orthogonal():
    results = []
    for lib in LIBS:
        t = lib.zeros(4, 3).t()
        lib.manual_seed(0)
        lib.nn.init.orthogonal_(t, gain=2.0)
        q = t.numpy().astype(np.float64)
        np.testing.assert_allclose(q @ q.T, 4 * np.eye(3), atol=1e-5)
        results.append(q)
    if torch is not None:
        np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------
# derandomized differential sweep


def _t(lib, arr, dtype, layout="c", rg=False):
    arr = np.asarray(arr)
    if layout == "T" and arr.ndim >= 2:
        t = lib.tensor(np.ascontiguousarray(np.swapaxes(arr, -1, -2)),
                       dtype=getattr(lib, dtype)).transpose(-1, -2)
    else:
        t = lib.tensor(arr, dtype=getattr(lib, dtype))
    return t.requires_grad_(rg) if rg else t


def _gf(t):
    gf = t.grad_fn
    return None if gf is None else type(gf).__name__


def _np(t):
    return None if t is None else t.detach().numpy().copy()


def _emb_case(rng):
    n, d = int(rng.integers(1, 7)), int(rng.integers(1, 4))
    shape = tuple(int(rng.integers(0 if rng.random() < 0.1 else 1, 4))
                  for _ in range(int(rng.integers(0, 3))))
    return dict(n=n, d=d, idx=rng.integers(0, n, size=shape), dtype=str(rng.choice(["float32",
                                                                                  "float64"])),
                padding_idx=[None, int(rng.integers(-n, n))][int(rng.integers(0, 2))],
                max_norm=[None, float(rng.choice([0.5, 1.5]))][int(rng.integers(0, 2))],
                norm_type=float(rng.choice([2.0, 1.0, 3.0])), sgf=bool(rng.random() < 0.3),
                sparse=bool(rng.random() < 0.2), module=bool(rng.random() < 0.5),
                w=rng.standard_normal((n, d)) * 2, g=rng.standard_normal(shape + (d,)),
                layout=str(rng.choice(["c", "T"])))


def _emb_run(lib, c):
    lib.manual_seed(3)
    idx = _t(lib, c["idx"], "int64", c["layout"])
    kw = dict(padding_idx=c["padding_idx"], max_norm=c["max_norm"], norm_type=c["norm_type"],
              scale_grad_by_freq=c["sgf"],
              # (torch's sparse backward fails on a 0-d index: a torch bug, not copied)
              sparse=c["sparse"] and np.ndim(c["idx"]) > 0)
    rec = {}
    if c["module"]:
        m = lib.nn.Embedding(c["n"], c["d"], dtype=getattr(lib, c["dtype"]), **kw)
        rec["repr"], w = repr(m), m.weight
        rec["init"] = _np(w)
    else:
        w = _t(lib, c["w"], c["dtype"], c["layout"], rg=True)
    out = lib.nn.functional.embedding(idx, w, **kw) if not c["module"] else m(idx)
    rec.update(out=_np(out), gf=_gf(out), w_after=_np(w))
    err = _error(lambda: out.backward(lib.tensor(c["g"], dtype=out.dtype)))
    rec["backward"] = err
    if err is None:
        grad = w.grad.to_dense() if getattr(w.grad, "is_sparse", False) else w.grad
        rec["gw"] = _np(grad)
    return rec


def _bag_case(rng):
    n, d = int(rng.integers(1, 7)), int(rng.integers(1, 4))
    mode = str(rng.choice(["sum", "mean", "max"]))
    if rng.random() < 0.4:
        idx = rng.integers(0, n, size=(int(rng.integers(1, 4)), int(rng.integers(1, 4))))
        offsets, ilo = None, False
    else:
        length = int(rng.integers(0, 8))
        idx = rng.integers(0, n, size=length)
        offsets = np.sort(rng.integers(0, length + 1, size=int(rng.integers(1, 4))))
        offsets[0] = 0
        ilo = bool(rng.random() < 0.3)
        if ilo:
            offsets = np.append(offsets, length)
    psw = rng.standard_normal(idx.shape) if mode == "sum" and rng.random() < 0.4 else None
    return dict(n=n, d=d, idx=idx, offsets=offsets, ilo=ilo, mode=mode, psw=psw,
                dtype=str(rng.choice(["float32", "float64"])),
                padding_idx=[None, int(rng.integers(-n, n))][int(rng.integers(0, 2))],
                max_norm=[None, 1.0][int(rng.integers(0, 2))], w=rng.standard_normal((n, d)))


def _bag_run(lib, c):
    w = _t(lib, c["w"], c["dtype"], rg=True)
    off = None if c["offsets"] is None else lib.tensor(c["offsets"])
    psw = None if c["psw"] is None else _t(lib, c["psw"], c["dtype"], rg=True)
    out = lib.nn.functional.embedding_bag(
        lib.tensor(c["idx"]), w, off, max_norm=c["max_norm"], mode=c["mode"],
        per_sample_weights=psw, include_last_offset=c["ilo"], padding_idx=c["padding_idx"])
    out.backward(lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)),
                            dtype=out.dtype))
    return dict(out=_np(out), gf=_gf(out), w_after=_np(w), gw=_np(w.grad),
                gpsw=None if psw is None else _np(psw.grad))


def _dropout_case(rng):
    shape = tuple(int(rng.integers(1, 4)) for _ in range(int(rng.integers(2, 6))))
    return dict(kind=str(rng.choice(["Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                                     "AlphaDropout", "FeatureAlphaDropout"])),
                p=float(rng.choice([0.0, 0.2, 0.5, 1.0])), training=bool(rng.random() < 0.8),
                inplace=bool(rng.random() < 0.3), x=rng.standard_normal(shape),
                dtype=str(rng.choice(["float32", "float64"])), layout=str(rng.choice(["c", "T"])))


def _dropout_run(lib, c):
    lib.manual_seed(11)
    x0 = _t(lib, c["x"], c["dtype"], c["layout"], rg=True)
    x = x0 * 1
    m = getattr(lib.nn, c["kind"])(c["p"], c["inplace"]).train(c["training"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        err = _error(lambda: m(x))
        if err is not None:  # (Dropout1d of a 4-D input, ...): the same error
            return dict(err=err)
        out = m(x)
    out.backward(lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)),
                            dtype=out.dtype))
    return dict(out=_np(out), repr=repr(m), gf=_gf(out), same=out is x, gx=_np(x0.grad),
                after=lib.rand(2).numpy())


def _init_case(rng):
    shape = tuple(int(rng.integers(1, 4)) for _ in range(int(rng.integers(2, 5))))
    return dict(fn=str(rng.choice(["uniform_", "normal_", "trunc_normal_", "xavier_uniform_",
                                   "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                                   "sparse_", "dirac_", "eye_"])),
                shape=shape, dtype=str(rng.choice(["float32", "float64"])),
                mode=str(rng.choice(["fan_in", "fan_out"])),
                nl=str(rng.choice(["relu", "leaky_relu", "tanh", "selu", "linear"])),
                a=float(rng.choice([0.0, 0.2, 5 ** 0.5])), gen=bool(rng.random() < 0.4),
                seed=int(rng.integers(0, 1000)))


def _init_run(lib, c):
    lib.manual_seed(c["seed"])
    t = lib.zeros(c["shape"], dtype=getattr(lib, c["dtype"]))
    gen = None
    if c["gen"]:
        gen = lib.Generator()
        gen.manual_seed(c["seed"] + 1)
    init, fn, g = lib.nn.init, c["fn"], {"generator": gen}
    if fn in ("kaiming_uniform_", "kaiming_normal_"):
        call = lambda: getattr(init, fn)(t, c["a"], c["mode"], c["nl"], **g)  # noqa: E731
    elif fn == "sparse_":
        call = lambda: init.sparse_(t, 0.5, 0.1, **g)  # noqa: E731
    elif fn in ("dirac_", "eye_"):
        call = lambda: getattr(init, fn)(t)  # noqa: E731
    elif fn == "trunc_normal_":
        call = lambda: init.trunc_normal_(t, 0.5, 1.0, -1.0, 1.5, **g)  # noqa: E731
    else:
        call = lambda: getattr(init, fn)(t, **g)  # noqa: E731
    return dict(err=_error(call), t=_np(t), after=lib.rand(2).numpy())


def _reset_case(rng):
    a, b, k = (int(rng.integers(1, 6)) for _ in range(3))
    layer = str(rng.choice([f"Linear({a}, {b})", f"Linear({a}, {b}, bias=False)",
                            f"Bilinear({a}, {b}, {k})", f"Embedding({a}, {b}, padding_idx=-1)",
                            f"EmbeddingBag({a}, {b})", f"Conv2d({a}, {b}, {k})"]))
    return dict(layer=layer, seed=int(rng.integers(0, 1000)))


def _reset_run(lib, c):
    lib.manual_seed(c["seed"])
    m = eval("lib.nn." + c["layer"])  # noqa: S307 - a fixed table of constructors
    rec = {n: _np(p) for n, p in m.named_parameters()}
    rec.update(repr=repr(m), after=lib.rand(2).numpy())
    return rec


SWEEPS = {"embedding": (_emb_case, _emb_run, 40), "embedding_bag": (_bag_case, _bag_run, 40),
          "dropout": (_dropout_case, _dropout_run, 40), "init": (_init_case, _init_run, 40),
          "reset": (_reset_case, _reset_run, 25)}
EXACT = {"embedding": {"out", "w_after", "gw", "init"}, "dropout": {"out", "gx", "after"},
         "init": {"after"}, "reset": {"after"}}


def _compare(name, a, b, case):
    assert set(a) == set(b)
    # max_norm's row norms are taken in double here: the renormalised rows within an ulp
    exact = EXACT.get(name, set()) if case.get("max_norm") is None else {"init"}
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, (key, x.dtype, y.dtype)
            if key in exact or name in ("reset", "init") and key != "t":
                np.testing.assert_array_equal(x, y, err_msg=key)
            else:  # QR, sums and renormalised rows: a few ulps
                tol = 1e-5 if x.dtype == np.float32 else 1e-12
                np.testing.assert_allclose(x, y, rtol=tol, atol=tol, err_msg=key)
        else:
            assert x == y, (key, x, y)


@needs_torch
@pytest.mark.parametrize("name", list(SWEEPS))
def test_sampled_configs_match_torch(name):
    make, run, count = SWEEPS[name]
    rng = np.random.default_rng(16)
    for _ in range(count):
        case = make(rng)
        _compare(name, run(torchlet, case), run(torch, case), case)


@pytest.mark.parametrize("name", list(SWEEPS))
def test_sampled_configs_run_without_torch(name):
    """The same sweep, torchlet alone: shapes and finiteness (meaningful without torch)."""
    make, run, count = SWEEPS[name]
    rng = np.random.default_rng(16)
    for _ in range(count // 4):
        rec = run(torchlet, make(rng))
        for value in rec.values():
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                assert np.isfinite(value).all()


def test_orthogonal_of_half_fails_in_qr_after_drawing():
    after = []
    for lib in LIBS:
        lib.manual_seed(0)
        err = _error(lambda lib=lib: lib.nn.init.orthogonal_(lib.zeros(3, 3, dtype=lib.float16)))
        assert err == ("NotImplementedError", "\"geqrf_cpu\" not implemented for 'Half'")
        after.append(lib.rand(2).numpy())
    torchlet.manual_seed(0)
    torchlet.randn(9)  # the nine standard normals were drawn before the QR
    np.testing.assert_array_equal(after[0], torchlet.rand(2).numpy())
    if torch is not None:
        np.testing.assert_array_equal(after[0], after[1])


def test_bilinear_output_is_contiguous():
    """einsum's optimised contraction may return a transposed layout; torch's result of
    (2, 3) x (3, 3, 1) x (2, 1) is a contiguous (2, 3) with strides (3, 1)."""
    out = torchlet.nn.functional.bilinear(torchlet.ones(2, 3), torchlet.ones(2, 1),
                                          torchlet.ones(3, 3, 1))
    assert out.stride() == (3, 1) and out.is_contiguous()
    assert out.tolist() == [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]
