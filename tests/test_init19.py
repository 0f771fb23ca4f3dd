"""nn.init and layer reset_parameters against torch 2.13, bit for bit (helper "init", s19).

Regressions: ``trunc_normal_`` on a meta tensor returned nothing but raised ``Tensor.item()
cannot be called on meta tensors``; ``sparse_`` on a meta tensor drew one ``randperm`` per
column from the global generator (torch returns before any draw). Then a sampled
differential test of every initialiser and of the layers' initial parameters: same
``manual_seed``, same calls; the results' bytes and the generator state afterwards must equal
torch's.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import torchlet


def _state_bytes(lib):
    return lib.get_rng_state().numpy().tobytes()


# ----------------------------------------------------------------------------- meta tensors


@pytest.mark.parametrize("args", [(), (0.0, 1.0, 2.0, 3.0), (10.0, 1.0, -1.0, 1.0), (0.0, 0.0)])
def test_trunc_normal_meta_is_a_no_op(args):
    # torch returns a meta tensor at once: no draw, no warning (even for mean far from
    # [a, b]), no ZeroDivisionError for std=0
    torchlet.manual_seed(0)
    before = _state_bytes(torchlet)
    t = torchlet.empty(3, 4, device="meta")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = torchlet.nn.init.trunc_normal_(t, *args)
    assert out is t and out.is_meta and tuple(out.shape) == (3, 4)
    assert _state_bytes(torchlet) == before


def test_sparse_meta_draws_nothing():
    torchlet.manual_seed(0)
    before = _state_bytes(torchlet)
    t = torchlet.empty(5, 4, device="meta", dtype=torchlet.float64)
    assert torchlet.nn.init.sparse_(t, 0.5) is t
    assert _state_bytes(torchlet) == before
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        torchlet.nn.init.sparse_(torchlet.empty(5, device="meta"), 0.5)


def test_orthogonal_and_dirac_meta_return_the_tensor():
    torchlet.manual_seed(0)
    before = _state_bytes(torchlet)
    t = torchlet.empty(3, 5, device="meta")
    assert torchlet.nn.init.orthogonal_(t) is t
    d = torchlet.empty(4, 2, 3, device="meta")
    assert torchlet.nn.init.dirac_(d, groups=2) is d
    assert _state_bytes(torchlet) == before
    with pytest.raises(ValueError, match="divisible by groups"):  # checks come first
        torchlet.nn.init.dirac_(d, groups=3)


def test_meta_init_matches_torch_live():
    torch = pytest.importorskip("torch")
    for name, args in [("trunc_normal_", ()), ("trunc_normal_", (0.0, 1.0, 2.0, 3.0)),
                       ("sparse_", (0.3,)), ("orthogonal_", ()), ("kaiming_uniform_", ()),
                       ("xavier_normal_", ()), ("uniform_", ())]:
        states = []
        for lib in (torch, torchlet):
            lib.manual_seed(1)
            t = lib.empty(4, 3, device="meta")
            assert getattr(lib.nn.init, name)(t, *args) is t
            lib.rand(2)  # the next draws show whether the init consumed any
            states.append(_state_bytes(lib))
        assert states[0] == states[1], name


def test_no_grad_trunc_normal_private_name_and_warning_site():
    # torch keeps the body under this private name; its warning points into init.py
    f = torchlet.nn.init._no_grad_trunc_normal_
    torchlet.manual_seed(3)
    a = f(torchlet.empty(50), 0.0, 1.0, -2.0, 2.0).numpy()
    torchlet.manual_seed(3)
    b = torchlet.nn.init.trunc_normal_(torchlet.empty(50)).numpy()
    assert a.tobytes() == b.tobytes() and np.all(np.abs(a) <= 2.0)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        torchlet.nn.init.trunc_normal_(torchlet.empty(3), mean=10.0)
    assert len(w) == 1 and w[0].filename.endswith("init.py")


# ------------------------------------------------------------- sampled differential: inits


def _make(lib, shape, dtype, view):
    dt = getattr(lib, dtype)
    if view == "T":  # a transposed view of the first two dims
        return lib.empty(shape[1], shape[0], *shape[2:], dtype=dt).transpose(0, 1)
    if view == "slice":
        return lib.empty(2 * shape[0], *shape[1:], dtype=dt)[1::2]
    return lib.empty(*shape, dtype=dt)


def _init_call(lib, fn, tensor, p):
    init = lib.nn.init
    if fn == "kaiming_uniform_" or fn == "kaiming_normal_":
        return getattr(init, fn)(tensor, a=p["a"], mode=p["mode"], nonlinearity=p["nl"])
    if fn == "xavier_uniform_" or fn == "xavier_normal_":
        return getattr(init, fn)(tensor, gain=p["gain"])
    if fn == "trunc_normal_":
        return init.trunc_normal_(tensor, p["mean"], p["std"], p["lo"], p["lo"] + p["width"])
    if fn == "sparse_":
        return init.sparse_(tensor, p["sparsity"], std=p["std"])
    if fn == "uniform_":
        return init.uniform_(tensor, p["lo"], p["lo"] + p["width"])
    if fn == "normal_":
        return init.normal_(tensor, p["mean"], p["std"])
    if fn == "dirac_":
        return init.dirac_(tensor, groups=p["groups"])
    return getattr(init, fn)(tensor)  # eye_, ones_, zeros_


def _configs(count=70, seed=19):
    rng = np.random.default_rng(seed)
    fns = ["kaiming_uniform_", "kaiming_normal_", "xavier_uniform_", "xavier_normal_",
           "trunc_normal_", "sparse_", "uniform_", "normal_", "dirac_", "eye_"]
    out = []
    for i in range(count):
        fn = fns[i % len(fns)]
        ndim = 2 if fn in ("sparse_", "eye_") else 3 if fn == "dirac_" else int(rng.integers(2, 5))
        shape = tuple(int(s) for s in rng.integers(1, 7, ndim))
        if i % 13 == 0 and fn not in ("dirac_",):
            shape = (0,) + shape[1:]  # zero-element: a warning for kaiming, no draws
        p = {"a": float(rng.choice([0.0, math.sqrt(5), 0.2])),
             "mode": str(rng.choice(["fan_in", "fan_out"])),
             "nl": str(rng.choice(["leaky_relu", "relu", "selu", "tanh", "linear"])),
             "gain": float(rng.uniform(0.1, 3)), "mean": float(rng.uniform(-1, 1)),
             "std": float(rng.uniform(0.01, 2)), "lo": float(rng.uniform(-3, 2)),
             "width": float(rng.choice([0.05, 0.5, 4.0])),
             "sparsity": float(rng.uniform(0, 1)), "groups": int(rng.choice([1, 2]))}
        if fn == "dirac_":
            shape = (2 * shape[0],) + shape[1:]
        dtype = str(rng.choice(["float32", "float64", "float16"]))
        view = str(rng.choice(["plain", "T", "slice"]))
        out.append((fn, shape, dtype, view, p, int(rng.integers(0, 2**31))))
    return out


def _run_init(lib, cfg):
    fn, shape, dtype, view, p, seed = cfg
    lib.manual_seed(seed)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = _init_call(lib, fn, _make(lib, shape, dtype, view), p)
    data = out.detach().contiguous().numpy()
    return data.tobytes(), str(data.dtype), [str(x.message) for x in w], _state_bytes(lib)


@pytest.mark.parametrize("cfg", _configs(), ids=lambda c: f"{c[0]}{c[1]}{c[2]}{c[3]}")
def test_init_sampled_matches_torch(cfg):
    torch = pytest.importorskip("torch")
    assert _run_init(torchlet, cfg) == _run_init(torch, cfg)


def test_init_sampled_hand_checks():
    # without torch: bounds, the sparse zero count per column, dirac's ones
    for fn, shape, dtype, view, p, seed in _configs():
        torchlet.manual_seed(seed)
        t = _make(torchlet, shape, dtype, view)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = _init_call(torchlet, fn, t, p).numpy().astype(np.float64)
        if out.size == 0:
            continue
        if fn == "trunc_normal_":
            assert out.min() >= p["lo"] - 1e-3 and out.max() <= p["lo"] + p["width"] + 1e-3
        elif fn == "sparse_":
            zeros = (out == 0).sum(axis=0)
            assert np.all(zeros >= math.ceil(p["sparsity"] * shape[0]))
        elif fn == "dirac_":
            per_group = shape[0] // p["groups"]
            assert out.sum() == p["groups"] * min(per_group, shape[1])
        elif fn == "kaiming_uniform_":
            fan = shape[1] if p["mode"] == "fan_in" else shape[0]
            fan *= int(np.prod(shape[2:]))
            gain = torchlet.nn.init.calculate_gain(p["nl"], p["a"])
            assert np.abs(out).max() <= math.sqrt(3.0) * gain / math.sqrt(fan) * (1 + 1e-3)


# ------------------------------------------------- sampled differential: reset_parameters

LAYERS = [
    lambda L, **k: L.nn.Linear(5, 3, **k),
    lambda L, **k: L.nn.Bilinear(4, 3, 2, bias=False, **k),
    lambda L, **k: L.nn.Conv1d(4, 6, 3, groups=2, dilation=2, **k),
    lambda L, **k: L.nn.ConvTranspose2d(4, 6, (2, 3), groups=2, bias=False, **k),
    lambda L, **k: L.nn.Conv3d(2, 3, 2, **k),
    lambda L, **k: L.nn.BatchNorm2d(3, **k),
    lambda L, **k: L.nn.GroupNorm(2, 4, **k),
    lambda L, **k: L.nn.LayerNorm((2, 3), **k),
    lambda L, **k: L.nn.Embedding(6, 3, padding_idx=-2, max_norm=1.0, **k),
    lambda L, **k: L.nn.EmbeddingBag(5, 2, padding_idx=0, **k),
    lambda L, **k: L.nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True, **k),
    lambda L, **k: L.nn.GRUCell(3, 4, **k),
    lambda L, **k: L.nn.RNN(3, 4, nonlinearity="relu", bias=False, **k),
    lambda L, **k: L.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True, **k),
    lambda L, **k: L.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, norm_first=True, **k),
    lambda L, **k: L.nn.PReLU(3, init=0.1, **k),
]


def _tensors(module):
    return [(name, t.detach().numpy().tobytes())
            for name, t in list(module.named_parameters()) + list(module.named_buffers())]


def _layer_state(lib, index, dtype, via_meta):
    lib.manual_seed(index)
    kwargs = {"dtype": getattr(lib, dtype)}
    if via_meta:
        module = LAYERS[index](lib, device="meta", **kwargs)
        module.to_empty(device="cpu")
        for sub in module.modules():  # (MultiheadAttention's is private, as in torch)
            reset = getattr(sub, "reset_parameters", None)
            reset = reset or getattr(sub, "_reset_parameters", None)
            if reset is not None:
                reset()
    else:
        module = LAYERS[index](lib, **kwargs)
    return _tensors(module), _state_bytes(lib)


@pytest.mark.parametrize("via_meta", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("index", range(len(LAYERS)))
def test_layer_initial_parameters_match_torch(index, dtype, via_meta):
    torch = pytest.importorskip("torch")
    assert _layer_state(torchlet, index, dtype, via_meta) == _layer_state(torch, index, dtype,
                                                                          via_meta)


def test_layer_meta_reset_equals_direct_construction():
    # without torch: meta -> to_empty -> reset_parameters draws what the constructor draws
    for index in (0, 2, 3, 8, 11):
        direct = _layer_state(torchlet, index, "float64", False)
        assert _layer_state(torchlet, index, "float64", True) == direct
