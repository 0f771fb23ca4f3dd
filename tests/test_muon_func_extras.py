"""torch.optim.Muon and torch.func's stack_module_state, replace_all_batch_norm_modules_,
functionalize and linearize, run on torch and on torchlet by the same code.

Exactness:
* Muon's momentum buffers (``lerp``) match torch bit for bit, and so do the bfloat16
  roundings (``Tensor.bfloat16()``, including torch's float64 -> float32 -> bfloat16
  double rounding). The Newton-Schulz iteration matches torch exactly on most inputs:
  each bfloat16 matmul/addmm is a float32 product rounded once to bfloat16, as torch's
  CPU kernels do; but BLAS summation order can move a float32 product across a bfloat16
  rounding boundary, so parameters are compared within a tolerance (one bfloat16 ulp of
  the update times the learning rate).
* stack_module_state stacks values, so stacked tensors are bit-exact; the ensemble's
  outputs (matmuls) agree within float32 rounding.
* functionalize runs the same elementwise ops, so its printed results are identical.
* linearize's jvp is computed by reverse mode twice in torchlet (torch: forward mode),
  so tangents agree within float rounding.
"""

from __future__ import annotations

import contextlib
import importlib
import io

import numpy as np
import pytest

import torchlet
from torchlet.optim import muon as tl_muon

torch = pytest.importorskip("torch")
# torch's linearize traces with make_fx; its constant folding warns about its own graph
pytestmark = pytest.mark.filterwarnings("ignore:Attempted to insert a get_attr Node")
torch_muon = importlib.import_module("torch.optim._muon")


def _printed(script, lib) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        script(lib)
    return out.getvalue()


# ---------------------------------------------------------------------------------------
# Muon


def test_round_to_bfloat16_matches_torch():
    rng = np.random.default_rng(1)
    values = np.concatenate([
        rng.standard_normal(2000).astype(np.float32) * 10.0 ** rng.integers(-40, 38, 2000),
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3.4e38, 1e-45, 1 + 2**-8,
                  1 + 3 * 2**-8, -(1 + 2**-8)], dtype=np.float32),
    ]).astype(np.float32)
    with np.errstate(over="ignore"):
        expected = torch.from_numpy(values).bfloat16().float().numpy()
    got = tl_muon._round_to_bfloat16(values)
    np.testing.assert_array_equal(got, expected)
    # float64 input: torch rounds through float32 first (a double rounding)
    x = np.array([1 + 2**-8 + 2**-30, 1 - 2**-9 - 2**-40])
    np.testing.assert_array_equal(
        tl_muon._round_to_bfloat16(x), torch.from_numpy(x).bfloat16().float().numpy()
    )


@pytest.mark.parametrize("shape", [(4, 6), (16, 32), (24, 10)])
def test_newton_schulz_matches_torch(shape):
    rng = np.random.default_rng(sum(shape))
    g = rng.standard_normal(shape).astype(np.float32)
    coefficients = (torch_muon.DEFAULT_A, torch_muon.DEFAULT_B, torch_muon.DEFAULT_C)
    expected = torch_muon._zeropower_via_newtonschulz(
        torch.from_numpy(g), coefficients, 5, 1e-7
    ).float().numpy()
    got = tl_muon._zeropower_via_newtonschulz(g, coefficients, 5, 1e-7)
    assert got.shape == expected.shape
    # one bfloat16 ulp (2**-8 relative) where a float32 sum fell on the other side
    np.testing.assert_allclose(got, expected, rtol=2**-7, atol=2**-9)
    assert np.mean(got == expected) > 0.9


MUON_CASES = [
    ((8, 16), {}),
    ((32, 12), dict(nesterov=False)),
    ((20, 20), dict(adjust_lr_fn="match_rms_adamw", weight_decay=0.0)),
    ((24, 16), dict(lr=0.02, momentum=0.9, adjust_lr_fn="original")),
    ((6, 6), dict(ns_steps=3, ns_coefficients=(2.0, -1.5, 0.5), eps=1e-5)),
]


def _run_muon(lib, shape, options, dtype, steps=5, seed=0):
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(steps)]
    p = lib.nn.Parameter(lib.tensor(w0))
    opt = lib.optim.Muon([p], **options)
    for g in grads:
        p.grad = lib.tensor(g)
        opt.step()
    return p, opt


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, options", MUON_CASES)
def test_muon_steps_match_torch(shape, options, dtype):
    p_t, opt_t = _run_muon(torch, shape, options, dtype)
    p_l, opt_l = _run_muon(torchlet, shape, options, dtype)
    assert p_l.dtype == getattr(torchlet, np.dtype(dtype).name)
    lr = options.get("lr", 1e-3)
    np.testing.assert_allclose(p_l.detach().numpy(), p_t.detach().numpy(), rtol=1e-6,
                               atol=4 * lr * 2**-7)
    buf_t = opt_t.state[p_t]["momentum_buffer"].numpy()
    buf_l = opt_l.state[p_l]["momentum_buffer"].numpy()
    np.testing.assert_array_equal(buf_l, buf_t)
    assert p_l._version == p_t._version
    assert opt_l.state[p_l]["momentum_buffer"]._version == \
        opt_t.state[p_t]["momentum_buffer"]._version


def test_muon_state_dict_and_repr_match_torch():
    _, opt_t = _run_muon(torch, (5, 7), {}, np.float32, steps=2)
    _, opt_l = _run_muon(torchlet, (5, 7), {}, np.float32, steps=2)
    sd_t, sd_l = opt_t.state_dict(), opt_l.state_dict()
    assert sd_l["param_groups"] == sd_t["param_groups"]
    assert list(sd_l["state"]) == list(sd_t["state"])
    assert list(sd_l["state"][0]) == list(sd_t["state"][0]) == ["momentum_buffer"]
    np.testing.assert_array_equal(sd_l["state"][0]["momentum_buffer"].numpy(),
                                  sd_t["state"][0]["momentum_buffer"].numpy())
    assert repr(opt_l) == repr(opt_t)


def test_muon_load_torch_state_dict_and_continue():
    p_t, opt_t = _run_muon(torch, (6, 9), dict(lr=0.01), np.float64, steps=2)
    p_l = torchlet.nn.Parameter(torchlet.tensor(p_t.detach().numpy().copy()))
    opt_l = torchlet.optim.Muon([p_l], lr=0.5)
    sd = opt_t.state_dict()
    opt_l.load_state_dict({
        "state": {0: {"momentum_buffer": torchlet.tensor(sd["state"][0]["momentum_buffer"]
                                                         .numpy())}},
        "param_groups": sd["param_groups"],
    })
    assert opt_l.param_groups[0]["lr"] == 0.01
    g = np.random.default_rng(3).standard_normal((6, 9))
    p_t.grad, p_l.grad = torch.tensor(g), torchlet.tensor(g)
    opt_t.step()
    opt_l.step()
    np.testing.assert_allclose(p_l.detach().numpy(), p_t.detach().numpy(), rtol=1e-6,
                               atol=4 * 0.01 * 2**-7)


def test_muon_closure_and_skipped_params():
    for lib in (torch, torchlet):
        p = lib.nn.Parameter(lib.ones(3, 4))
        q = lib.nn.Parameter(lib.ones(2, 2))
        opt = lib.optim.Muon([p, q], lr=0.1)

        def closure(p=p, opt=opt, lib=lib):
            opt.zero_grad()
            loss = (p * lib.arange(12.0).reshape(3, 4)).sum()
            loss.backward()
            return loss

        assert float(opt.step(closure).detach()) == 66.0
        assert len(opt.state) == 1 and q.grad is None
        assert float(q.detach().sum()) == 4.0


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e), str(e)
    return None


@pytest.mark.parametrize("build", [
    lambda lib, p: lib.optim.Muon([p], lr=-1.0),
    lambda lib, p: lib.optim.Muon([p], momentum=-0.5),
    lambda lib, p: lib.optim.Muon([p], weight_decay=-0.1),
    lambda lib, p: lib.optim.Muon([p], adjust_lr_fn="unknown"),
    lambda lib, p: lib.optim.Muon([p], lr=lib.tensor([0.1, 0.2])),
    lambda lib, p: lib.optim.Muon([lib.nn.Parameter(lib.ones(3))]),
    lambda lib, p: lib.optim.Muon([lib.nn.Parameter(lib.ones(2, 3, 4))]),
    lambda lib, p: lib.optim.Muon([]),
])
def test_muon_constructor_errors_match_torch(build):
    expected = _error(lambda: build(torch, torch.nn.Parameter(torch.ones(2, 3))))
    got = _error(lambda: build(torchlet, torchlet.nn.Parameter(torchlet.ones(2, 3))))
    assert expected is not None
    assert got == expected


@pytest.mark.parametrize("setup", [
    lambda lib, p: lib.optim.Muon([p], ns_steps=100),
    lambda lib, p: lib.optim.Muon([p], ns_coefficients=(1.0, 2.0)),
    lambda lib, p: _with_group(lib.optim.Muon([p]), lib.nn.Parameter(lib.ones(3))),
])
def test_muon_step_errors_match_torch(setup):
    def attempt(lib):
        p = lib.nn.Parameter(lib.ones(2, 3))
        opt = setup(lib, p)
        for group in opt.param_groups:
            for q in group["params"]:
                q.grad = lib.ones_like(q)
        return _error(opt.step)

    expected = attempt(torch)
    assert expected is not None
    assert attempt(torchlet) == expected


def _with_group(opt, p):
    opt.add_param_group({"params": [p]})
    return opt


# ---------------------------------------------------------------------------------------
# torch.func: model ensembling (torch's tutorial), stack_module_state, BatchNorm


def _ensemble_script(lib):
    lib.manual_seed(0)

    class SimpleMLP(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(12, 16)
            self.fc2 = lib.nn.Linear(16, 16)
            self.fc3 = lib.nn.Linear(16, 4)

        def forward(self, x):
            x = x.flatten(1)
            x = lib.nn.functional.relu(self.fc1(x))
            x = lib.nn.functional.relu(self.fc2(x))
            return self.fc3(x)

    num_models = 5
    data = lib.randn(num_models + 2, 8, 3, 4)
    minibatches = data[:num_models]
    models = [SimpleMLP() for _ in range(num_models)]
    minibatch = minibatches[0]
    predictions_diff_minibatch_loop = [model(mb) for model, mb in zip(models, minibatches)]
    predictions2 = [model(minibatch) for model in models]

    params, buffers = lib.func.stack_module_state(models)
    print(list(params), buffers)
    print([(p.shape, p.requires_grad, p.is_leaf, p.grad_fn) for p in params.values()])

    base_model = SimpleMLP()

    def fmodel(params, buffers, x):
        return lib.func.functional_call(base_model, (params, buffers), (x,))

    predictions1_vmap = lib.vmap(fmodel)(params, buffers, minibatches)
    print(predictions1_vmap.shape)
    print(lib.allclose(predictions1_vmap, lib.stack(predictions_diff_minibatch_loop),
                       atol=1e-3, rtol=1e-5))
    predictions2_vmap = lib.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
    print(lib.allclose(predictions2_vmap, lib.stack(predictions2), atol=1e-3, rtol=1e-5))
    predictions2_vmap.sum().backward()
    print({name: p.grad.shape for name, p in params.items()})
    return params, predictions1_vmap, predictions2_vmap


def test_model_ensembling_tutorial_matches_torch():
    assert _printed(_ensemble_script, torchlet) == _printed(_ensemble_script, torch)
    with contextlib.redirect_stdout(io.StringIO()):
        results_t = _ensemble_script(torch)
        results_l = _ensemble_script(torchlet)
    for name in results_t[0]:
        np.testing.assert_array_equal(results_l[0][name].detach().numpy(),
                                      results_t[0][name].detach().numpy())
        np.testing.assert_allclose(results_l[0][name].grad.numpy(),
                                   results_t[0][name].grad.numpy(), rtol=1e-5, atol=1e-5)
    for got, expected in zip(results_l[1:], results_t[1:]):
        np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(),
                                   rtol=1e-5, atol=1e-6)


def _batch_norm_script(lib):
    lib.manual_seed(0)
    models = [lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4),
                                lib.nn.Sequential(lib.nn.BatchNorm1d(4, affine=False)))
              for _ in range(2)]
    models[1][0].weight.requires_grad_(False)
    models[1][0].weight.requires_grad_(True)
    params, buffers = lib.func.stack_module_state(models)
    print({k: (v.shape, v.dtype, v.requires_grad, v.is_leaf) for k, v in buffers.items()})
    print({k: v.shape for k, v in params.items()})
    print(buffers["1.num_batches_tracked"], buffers["2.0.running_var"])
    root = models[0]
    print(lib.func.replace_all_batch_norm_modules_(root) is root)
    print(root, root[1].running_mean, root[1].running_var, root[1].num_batches_tracked,
          root[2][0].track_running_stats, list(dict(root.named_buffers())))
    root.eval()
    print(root(lib.arange(6.0).reshape(2, 3)).shape, root[1].running_mean)
    print(list(lib.func.stack_module_state([root, root])[1]))


def test_stack_module_state_buffers_and_batch_norm_replacement_match_torch():
    assert _printed(_batch_norm_script, torchlet) == _printed(_batch_norm_script, torch)


@pytest.mark.parametrize("models", [
    lambda lib: [],
    lambda lib: [lib.nn.Linear(2, 2), lib.nn.Linear(2, 2).eval()],
    lambda lib: [lib.nn.Linear(2, 2), lib.nn.Conv1d(2, 2, 1)],
    lambda lib: [lib.nn.Linear(2, 2), lib.nn.Linear(2, 2).requires_grad_(False)],
])
def test_stack_module_state_errors_match_torch(models):
    expected = _error(lambda: torch.func.stack_module_state(models(torch)))
    assert expected is not None
    assert _error(lambda: torchlet.func.stack_module_state(models(torchlet))) == expected


def test_stack_module_state_without_grad_gives_plain_tensors():
    for lib in (torch, torchlet):
        models = [lib.nn.Linear(2, 3).requires_grad_(False) for _ in range(2)]
        params, _ = lib.func.stack_module_state(models)
        assert not params["weight"].requires_grad and params["weight"].is_leaf
        models[0].weight.data.fill_(7.0)
        assert float(params["weight"][0].sum()) != 42.0  # a copy, not a view


# ---------------------------------------------------------------------------------------
# functionalize and linearize


def _functionalize_script(lib):
    def g(a, c):
        b = a.view(-1)
        b.add_(1)
        c.mul_(2)
        return a, b, (a + c).sum()

    for remove in ("mutations", "mutations_and_views"):
        a, c = lib.zeros(2, 2), lib.ones(2)
        out = lib.func.functionalize(g, remove=remove)(a, c=c)
        print(out, a, c)
        out[0].add_(10)
        out[1].add_(100)
        print(a, out[0])
    y0 = lib.ones(3, requires_grad=True)
    y = y0 * 1
    out = lib.func.functionalize(lambda t: t.mul_(2))(y)
    print(out, y)
    (out.sum() + y.sum()).backward()
    print(y0.grad)
    print(lib.func.functionalize(lambda t, k: t * k)(lib.arange(3.0), 2.5))
    print(lib.func.functionalize(g).__name__)


def test_functionalize_matches_torch():
    assert _printed(_functionalize_script, torchlet) == _printed(_functionalize_script, torch)


@pytest.mark.parametrize("call", [
    lambda lib: lib.func.functionalize(lambda t: t.add_(1))(lib.zeros(2, requires_grad=True)),
    lambda lib: lib.func.functionalize(lambda t: t, remove="views"),
])
def test_functionalize_errors_match_torch(call):
    expected = _error(lambda: call(torch))
    assert expected is not None
    assert _error(lambda: call(torchlet)) == expected


def _linearize_case(lib):
    x = lib.arange(6.0, dtype=lib.float64).reshape(2, 3)

    def f(a, b):
        return {"prod": a.sin() * b, "mm": (a @ b.T).exp()}

    out, jvp_fn = lib.func.linearize(f, x, x.cos())
    t1 = jvp_fn(lib.ones(2, 3, dtype=lib.float64), lib.full((2, 3), 0.5, dtype=lib.float64))
    t2 = jvp_fn(x, -x)
    return out, t1, t2


def test_linearize_matches_torch():
    for got, expected in zip(_linearize_case(torchlet), _linearize_case(torch), strict=True):
        assert list(got) == list(expected)
        for key in expected:
            assert got[key].dtype == getattr(torchlet, str(expected[key].dtype)[6:])
            assert got[key].requires_grad == expected[key].requires_grad
            np.testing.assert_allclose(got[key].numpy(), expected[key].numpy(),
                                       rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("tangents", [
    lambda lib: (lib.ones(3), lib.ones(2, 3)),
    lambda lib: (lib.ones(2, 3, dtype=lib.float64), lib.ones(2, 3)),
    lambda lib: (lib.ones(2, 3), lib.ones(2, 3, dtype=lib.int64)),
])
def test_linearize_tangent_errors_match_torch(tangents):
    def attempt(lib):
        x = lib.ones(2, 3)
        _, jvp_fn = lib.func.linearize(lambda a, b: a * b, x, x)
        return _error(lambda: jvp_fn(*tangents(lib)))

    expected = attempt(torch)
    assert expected is not None
    assert attempt(torchlet) == expected


def test_linearize_tangent_structure_error():
    for lib in (torch, torchlet):
        x = lib.ones(2)
        _, jvp_fn = lib.func.linearize(lambda a, b: a * b, x, x)
        with pytest.raises(RuntimeError, match="same argspec as the primals"):
            jvp_fn(x)
