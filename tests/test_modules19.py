"""Regression tests from the nn.Module API / less common modules hunt (helper modules2).

Each fix has a test that checks a hand-derived expectation and, when torch is importable,
the same call in torch. ``test_sampled_*`` replay a small fixed set of random
configurations (a seeded NumPy Generator) on both libraries.
"""

import numpy as np
import pytest

import torchlet
from torchlet.nn.modules import batchnorm as _batchnorm

try:
    import torch
except ImportError:  # pragma: no cover - the tests still check the expectations
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _sync_bn(lib):
    """nn.SyncBatchNorm (the class of nn.modules.batchnorm, exported as torch's)."""
    assert lib is not torchlet or lib.nn.SyncBatchNorm is _batchnorm.SyncBatchNorm
    return lib.nn.SyncBatchNorm


def _outcome(fn):
    """('ok', value) or (exception type name, message) of calling fn."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__, str(e)


def _np(t):
    return t.detach().numpy().copy()


# ---------------------------------------------------------------------------------------
# SyncBatchNorm: without an initialized process group (never, in torchlet) torch falls
# back to plain batch norm over the local batch


def _sync_bn_run(lib, shape, train, **kw):
    lib.manual_seed(0)
    m = _sync_bn(lib)(shape[1], **kw).train(train)
    x = lib.randn(*shape, requires_grad=True)
    y = m(x)
    (y * y).sum().backward()
    grads = [_np(p.grad) for p in m.parameters()]
    return _np(y), _np(x.grad), grads, [_np(v) for v in m.state_dict().values()]


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 2, 2), (2, 3, 2, 1, 2)])
@pytest.mark.parametrize("train", [True, False])
def test_sync_batchnorm_is_batch_norm_on_one_process(shape, train):
    y, gx, grads, state = _sync_bn_run(torchlet, shape, train)
    # hand-derived: the same numbers as the functional batch norm with the same buffers
    torchlet.manual_seed(0)
    x = torchlet.randn(*shape, requires_grad=True)
    rm, rv = torchlet.zeros(3), torchlet.ones(3)
    w = torchlet.ones(3, requires_grad=True)
    b = torchlet.zeros(3, requires_grad=True)
    ref = torchlet.nn.functional.batch_norm(x, rm, rv, w, b, train, 0.1, 1e-5)
    (ref * ref).sum().backward()
    np.testing.assert_array_equal(y, _np(ref))
    np.testing.assert_array_equal(gx, _np(x.grad))
    np.testing.assert_array_equal(state[2], _np(rm))
    assert int(state[4]) == int(train)  # num_batches_tracked counts training calls only
    if torch is not None:
        ty, tgx, tgrads, tstate = _sync_bn_run(torch, shape, train)
        np.testing.assert_allclose(y, ty, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(gx, tgx, rtol=1e-4, atol=1e-5)
        for a, b_ in zip(grads + state, tgrads + tstate):
            np.testing.assert_allclose(a, b_, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(3,), (2, 0)])
def test_sync_batchnorm_input_errors(shape):
    expected = {(3,): "expected at least 2D input (got 1D input)",
                (2, 0): "SyncBatchNorm number of input channels should be non-zero"}[shape]
    got = _outcome(lambda: _sync_bn(torchlet)(3)(torchlet.zeros(*shape)))
    assert got == ("ValueError", expected)
    if torch is not None:
        assert _outcome(lambda: torch.nn.SyncBatchNorm(3)(torch.zeros(*shape))) == got


def _sync_bn_repr(lib):
    cls = _sync_bn(lib)
    m = cls(3, momentum=None, affine=False, process_group="pg")
    return repr(m), repr(cls(4, eps=1e-3, bias=False)), m.process_group, m.weight


def test_sync_batchnorm_repr_and_arguments():
    got = _sync_bn_repr(torchlet)
    assert got == (
        "SyncBatchNorm(3, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=True)",
        "SyncBatchNorm(4, eps=0.001, momentum=0.1, affine=True, bias=False, "
        "track_running_stats=True)", "pg", None)
    if torch is not None:
        assert _sync_bn_repr(torch) == got


def _convert(lib):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 1), nn.BatchNorm2d(3),
                          nn.Sequential(nn.BatchNorm1d(2, affine=False,
                                                       track_running_stats=False)),
                          nn.InstanceNorm1d(2)).eval()
    model[1].running_mean.fill_(2.0)
    model[1].num_batches_tracked.fill_(3)
    model[1].qconfig = "q"
    old_weight, old_mean = model[1].weight, model[1].running_mean
    out = _sync_bn(lib).convert_sync_batchnorm(model, process_group="g")
    return (repr(out), out is model, out[1].weight is old_weight,
            out[1].running_mean is old_mean, out[1].training, out[1].qconfig,
            out[1].process_group, [(k, _np(v).tolist()) for k, v in out.state_dict().items()])


def test_sync_batchnorm_convert_shares_state():
    got = _convert(torchlet)
    assert got[1:7] == (True, True, True, False, "q", "g")
    assert "(1): SyncBatchNorm(3, eps=1e-05" in got[0]
    assert "(0): SyncBatchNorm(2, eps=1e-05, momentum=0.1, affine=False" in got[0]
    assert "(3): InstanceNorm1d(2" in got[0]  # not a _BatchNorm: kept
    assert dict(got[7])["1.running_mean"] == [2.0, 2.0, 2.0]
    if torch is not None:
        assert _convert(torch) == got
    top = _sync_bn(torchlet).convert_sync_batchnorm(torchlet.nn.BatchNorm3d(3, bias=False))
    assert type(top).__name__ == "SyncBatchNorm" and top.bias is None


# ---------------------------------------------------------------------------------------
# Module.get_extra_state / set_extra_state of the base class: torch's full message


@pytest.mark.parametrize("call", ["get", "set"])
def test_base_extra_state_message(call):
    def run(lib):
        m = lib.nn.Module()
        return _outcome(m.get_extra_state if call == "get" else lambda: m.set_extra_state(1))

    got = run(torchlet)
    assert got == ("RuntimeError", f"Reached a code path in Module.{call}_extra_state() that "
                   "should never be called. Please file an issue at https://github.com/"
                   "pytorch/pytorch/issues/new?template=bug-report.yml to report this bug.")
    if torch is not None:
        assert run(torch) == got


# ---------------------------------------------------------------------------------------
# sampled differential tests: hooks, state_dict round trips, MultiheadAttention and
# Transformer encoder configurations (seeded parameters and inputs)


def _hooks_trace(lib, cfg):
    """Forward pre/post hooks (kwargs, prepend, always_call) and full backward pre/post
    hooks modifying gradients, on a module with two tensor inputs and a non-tensor one."""
    nn = lib.nn
    log = []

    class M(nn.Module):
        def forward(self, a, b, flag, scale=1.0):
            if flag == "raise":
                raise ValueError("boom")
            return a * b * scale, a + b

    m = M()

    def pre(mod, args, kwargs):
        log.append(("pre_kw", len(args), sorted(kwargs)))
        if cfg["edit_kwargs"]:
            return args, dict(kwargs, scale=3.0)
        return None

    m.register_forward_pre_hook(pre, with_kwargs=True)
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre", len(args))),
                                prepend=cfg["prepend"])
    m.register_forward_hook(lambda mod, args, out: log.append(("always", len(args))),
                            always_call=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("post", sorted(kwargs))),
                            with_kwargs=True, prepend=cfg["prepend"])
    m.register_full_backward_pre_hook(
        lambda mod, go: tuple(None if g is None else g * cfg["k_pre"] for g in go))
    m.register_full_backward_hook(
        lambda mod, gi, go: log.append(("bwd", [None if g is None else round(float(g.sum()), 4)
                                                for g in gi])))
    rng = np.random.default_rng(cfg["seed"])
    a = lib.tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal(3).astype(np.float32), requires_grad=cfg["b_grad"])
    try:
        o1, o2 = m(a, b, cfg["flag"], scale=2.0)
    except ValueError as e:
        return log, str(e)
    (o1.sum() + 5 * o2.sum()).backward()
    return log, _np(o1).tolist(), _np(a.grad).tolist()


@needs_torch
def test_sampled_hooks_against_torch():
    rng = np.random.default_rng(19)
    for i in range(12):
        cfg = dict(seed=i, edit_kwargs=bool(rng.integers(2)), prepend=bool(rng.integers(2)),
                   k_pre=float(rng.integers(1, 4)), b_grad=bool(rng.integers(2)),
                   flag="raise" if rng.integers(5) == 0 else "ok")
        assert _hooks_trace(torchlet, cfg) == _hooks_trace(torch, cfg), cfg


def _state_dict_trace(lib, cfg):
    nn = lib.nn
    lib.manual_seed(cfg["seed"])
    src = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1, bias=False))
    dst = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1, bias=False))
    log = []
    dst.register_load_state_dict_post_hook(
        lambda mod, keys: log.append((list(keys.missing_keys), list(keys.unexpected_keys))))
    sd = src.state_dict()
    for key in cfg["drop"]:
        del sd[key]
    for key in cfg["extra"]:
        sd[key] = lib.ones(1)
    if cfg["bad_shape"]:
        sd["0.weight"] = lib.ones(5, 5)
    result = _outcome(lambda: repr(dst.load_state_dict(sd, strict=cfg["strict"],
                                                       assign=cfg["assign"])))
    return log, result, [(k, _np(v).tolist()) for k, v in dst.state_dict().items()]


@needs_torch
def test_sampled_load_state_dict_against_torch():
    keys = ["0.weight", "0.bias", "1.running_mean", "1.num_batches_tracked", "2.weight"]
    rng = np.random.default_rng(7)
    for i in range(12):
        cfg = dict(seed=i, strict=bool(rng.integers(2)), assign=bool(rng.integers(2)),
                   drop=list(rng.choice(keys, int(rng.integers(0, 3)), replace=False)),
                   extra=["q", "1.foo"][: int(rng.integers(0, 3))],
                   bad_shape=bool(rng.integers(4) == 0))
        assert _state_dict_trace(torchlet, cfg) == _state_dict_trace(torch, cfg), cfg


def _attention_run(lib, cfg):
    nn = lib.nn
    lib.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, batch_first=cfg["bf"], add_bias_kv=cfg["kv"],
                              add_zero_attn=cfg["zero"], kdim=cfg["kdim"], vdim=cfg["kdim"])
    lib.manual_seed(1)
    q = lib.randn(*((2, 3, 8) if cfg["bf"] else (3, 2, 8)), requires_grad=True)
    kdim = cfg["kdim"] or 8
    k = lib.randn(*((2, 4, kdim) if cfg["bf"] else (4, 2, kdim)))  # also the values
    kw = {"need_weights": cfg["weights"], "average_attn_weights": cfg["avg"]}
    if cfg["kpm"]:
        kw["key_padding_mask"] = lib.tensor([[False, True, False, False], [False] * 4])
    if cfg["mask"]:
        kw["attn_mask"] = lib.ones(3, 4, dtype=lib.bool).triu(1)
    out, weights = m(q, k, k, **kw)
    out.sum().backward()
    return (_np(out), None if weights is None else _np(weights), _np(q.grad),
            _np(m.in_proj_weight.grad if m.in_proj_weight is not None
                else m.q_proj_weight.grad), out.grad_fn.name())


@needs_torch
def test_sampled_multihead_attention_against_torch():
    rng = np.random.default_rng(3)
    for _ in range(10):
        cfg = dict(bf=bool(rng.integers(2)), kv=bool(rng.integers(2)),
                   zero=bool(rng.integers(2)), kdim=[None, 5][rng.integers(2)],
                   weights=bool(rng.integers(2)), avg=bool(rng.integers(2)),
                   kpm=bool(rng.integers(2)), mask=bool(rng.integers(2)))
        ours, theirs = _attention_run(torchlet, cfg), _attention_run(torch, cfg)
        assert ours[4] == theirs[4], cfg
        for a, b in zip(ours[:4], theirs[:4]):
            assert (a is None) == (b is None), cfg
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=str(cfg))


def _encoder_run(lib, cfg):
    nn = lib.nn
    lib.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True,
                                       norm_first=cfg["norm_first"], activation=cfg["act"])
    m = nn.TransformerEncoder(layer, 2, enable_nested_tensor=cfg["nested"]).eval()
    lib.manual_seed(1)
    x = lib.randn(2, 5, 8)
    kpm = lib.tensor([[False, False, False, True, True], [False] * 5])
    with lib.no_grad():  # eval + no_grad: torch's fast path (padded rows become zeros)
        return _np(m(x, src_key_padding_mask=kpm))


@needs_torch
def test_sampled_transformer_encoder_fast_path_against_torch():
    rng = np.random.default_rng(5)
    for _ in range(6):
        cfg = dict(norm_first=bool(rng.integers(2)), act=["relu", "gelu"][rng.integers(2)],
                   nested=bool(rng.integers(2)))
        np.testing.assert_allclose(_encoder_run(torchlet, cfg), _encoder_run(torch, cfg),
                                   rtol=1e-4, atol=1e-5, err_msg=str(cfg))


# ---------------------------------------------------------------------------------------
# Module.compile: stores torch.compile(self._call_impl, ...) and returns None


def test_module_compile():
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Linear(2, 2)
        before = m._compiled_call_impl
        ret = m.compile()
        stored = m._compiled_call_impl is not None
        bad = _outcome(lambda: m.compile(mode="bad"))
        return ret, before, stored, bad, _np(m(lib.ones(1, 2))).tolist()

    got = run(torchlet)
    assert got[:4] == (None, None, True, (
        "RuntimeError", "Unrecognized mode=bad, should be one of: default, lite, "
        "reduce-overhead, max-autotune-no-cudagraphs, max-autotune"))
    if torch is not None:
        ours, theirs = got, run(torch)
        assert ours[:4] == theirs[:4]
        np.testing.assert_allclose(ours[4], theirs[4], rtol=1e-6)
