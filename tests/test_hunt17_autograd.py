"""Hunt 17, autograd: torch.autograd as a learner pokes at it (backward/grad arguments,
hooks, inference mode, custom Functions, saved-tensor hooks, checkpoint), against torch.

Each test states what torch does (derived by hand where possible) and, when torch is
importable, runs the same code on it too.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet
from torchlet.utils import checkpoint as tl_checkpoint


def _torch():
    return pytest.importorskip("torch")


def _libs():
    """torchlet, then torch when it is installed."""
    libs = [torchlet]
    try:
        import torch
    except ImportError:
        return libs
    return [*libs, torch]


def _leaf(t, values=(1.0, 2.0), dtype=None):
    return t.tensor(list(values), dtype=dtype or t.float32, requires_grad=True)


def _np(x):
    return None if x is None else x.detach().numpy()


# ---------------------------------------------------------------------------------------
# backward / grad arguments


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_grad_outputs_are_zipped_with_outputs(t):
    # extra grad_outputs are ignored; too few is the engine's count error
    x = _leaf(t)
    (g,) = t.autograd.grad([(x * 2).sum()], x, grad_outputs=[t.tensor(1.0), t.tensor(5.0)])
    np.testing.assert_array_equal(_np(g), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="got 2 tensors and 1 gradients"):
        t.autograd.grad([(x * 2).sum(), (x * 3).sum()], x, grad_outputs=[t.tensor(1.0)])
    t.autograd.backward([(x * 2).sum()], [t.tensor(3.0), t.tensor(1.0)])
    np.testing.assert_array_equal(_np(x.grad), [6.0, 6.0])
    with pytest.raises(RuntimeError, match="got 2 tensors and 1 gradients"):
        t.autograd.backward([(x * 2).sum(), (x * 3).sum()], [t.tensor(1.0)])


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_gradient_that_is_not_a_tensor_is_a_type_error(t):
    x = _leaf(t)
    with pytest.raises(TypeError, match="gradients can be either Tensors or None, but got list"):
        t.autograd.grad(x * 2, x, grad_outputs=[[1.0, 1.0]])
    with pytest.raises(TypeError, match="but got float"):
        (x * 2).backward([1.0, 1.0])  # a list is taken as one gradient per output


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_inputs_given_as_a_dict(t):
    x, y = _leaf(t), _leaf(t, (3.0, 4.0))
    result = t.autograd.grad((x * y).sum(), {"a": x, "b": y})
    assert list(result) == ["a", "b"]
    np.testing.assert_array_equal(_np(result["a"]), [3.0, 4.0])
    np.testing.assert_array_equal(_np(result["b"]), [1.0, 2.0])
    t.autograd.backward([(x * y).sum()], inputs={"y": y})
    np.testing.assert_array_equal(_np(y.grad), [1.0, 2.0])
    assert x.grad is None


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_materialized_zeros_require_grad_under_create_graph(t):
    x, y = _leaf(t), _leaf(t)
    gx, gy = t.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True, create_graph=True)
    np.testing.assert_array_equal(_np(gy), [0.0, 0.0])
    assert gy.requires_grad and gy.grad_fn is None
    _, gy = t.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
    assert not gy.requires_grad


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_deprecated_arguments_warn_and_work(t):
    x = _leaf(t)
    with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
        t.autograd.grad((x * 2).sum(), [x], only_inputs=False)
    with pytest.warns(FutureWarning, match="`grad_variables` is deprecated"):
        t.autograd.backward([(x * 2).sum()], grad_variables=[t.tensor(3.0)])
    np.testing.assert_array_equal(_np(x.grad), [6.0, 6.0])  # the gradient was used
    with pytest.raises(RuntimeError, match="both passed"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t.autograd.backward([(x * 2).sum()], [t.tensor(1.0)], grad_variables=[t.tensor(1.0)])


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_is_grads_batched(t):
    # y = x * x: row b of the result is grad_outputs[b] * 2x
    x = _leaf(t)
    (g,) = t.autograd.grad(x * x, x, grad_outputs=t.eye(2), is_grads_batched=True)
    np.testing.assert_array_equal(_np(g), [[2.0, 0.0], [0.0, 4.0]])
    (g,) = t.autograd.grad(x * x, x, grad_outputs=t.tensor([[1.0, 1.0], [2.0, 3.0],
                                                          [0.0, 1.0]]),
                           is_grads_batched=True)
    np.testing.assert_array_equal(_np(g), [[2.0, 4.0], [4.0, 12.0], [0.0, 4.0]])
    with pytest.raises(RuntimeError, match="If `is_grads_batched=True`, we interpret"):
        t.autograd.grad(x * x, x, grad_outputs=t.ones(3, 3), is_grads_batched=True)


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_backward_inputs_that_do_not_require_grad(t):
    x, y = _leaf(t), t.ones(2)
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad"):
        (x * y).sum().backward(inputs=[y])


def test_create_graph_warning_once_per_process_and_with_inputs():
    t = torchlet
    x = _leaf(t)
    t.set_warn_always(True)
    try:
        with pytest.warns(UserWarning, match="reference cycle"):
            (x * x).sum().backward(create_graph=True, inputs=[x])
    finally:
        t.set_warn_always(False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once already: no second warning
        (x * x).sum().backward(create_graph=True)
    torch = _torch()
    xt = _leaf(torch)
    torch.set_warn_always(True)
    try:
        with pytest.warns(UserWarning, match="reference cycle"):
            (xt * xt).sum().backward(create_graph=True, inputs=[xt])
    finally:
        torch.set_warn_always(False)


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_gradient_edges_as_inputs_and_outputs(t):
    # d/dm sum(m*m) = 2m = 4x;  d/dx = 8x
    x = _leaf(t)
    m = x * 2
    y = (m * m).sum()
    (g,) = t.autograd.grad(y, t.autograd.graph.get_gradient_edge(m), retain_graph=True)
    np.testing.assert_array_equal(_np(g), [4.0, 8.0])
    edge = t.autograd.graph.get_gradient_edge(y)
    (g,) = t.autograd.grad(edge, x, grad_outputs=t.tensor(1.0), retain_graph=True)
    np.testing.assert_array_equal(_np(g), [8.0, 16.0])
    y.backward(inputs=[t.autograd.graph.get_gradient_edge(x)])
    np.testing.assert_array_equal(_np(x.grad), [8.0, 16.0])


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_leaf_that_stopped_requiring_grad_gets_none(t):
    x = t.tensor(0.5, requires_grad=True)
    y = (x * x).exp()
    x.requires_grad_(False)
    y.backward()
    assert x.grad is None


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_grad_of_a_0d_leaf_is_writable(t):
    # 0-d products give NumPy scalars; .grad must still be a tensor one can zero_()
    a, b = t.tensor(1.5, requires_grad=True), t.tensor(0.5, requires_grad=True)
    (a * b).backward()
    g = a.grad
    (a * b).backward()
    assert g is a.grad  # accumulated in place
    assert float(g) == 1.0
    a.grad.zero_()
    assert float(a.grad) == 0.0


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_version_error_names_the_rebuilt_view_node(t):
    v1 = t.tensor([[1.0, 2.0]], dtype=t.float64, requires_grad=True)
    v3 = v1.sin()
    v4 = v3.unsqueeze(0)
    out = t.atan2(v4, t.ones(1, 2, dtype=t.float64)).sum()
    v3.sin_()  # v4, a view of v3, is stale: its history is now an AsStrided of v3's
    with pytest.raises(RuntimeError, match="which is output 0 of AsStrided, is at version 1"):
        out.backward()


# ---------------------------------------------------------------------------------------
# inference mode


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_enable_grad_inside_inference_mode_records_nothing(t):
    x = _leaf(t)
    with t.inference_mode():
        assert not t.is_grad_enabled()
        with t.enable_grad():
            assert t.is_grad_enabled()
            y = x * 2
            assert not y.requires_grad and y.grad_fn is None and y.is_inference()
            with t.no_grad():
                assert not t.is_grad_enabled()
            assert t.is_grad_enabled()
        assert not t.is_grad_enabled()
        with t.inference_mode(False):
            assert t.is_grad_enabled()
            assert (x * 2).requires_grad
    assert t.is_grad_enabled()
    assert (x * 2).grad_fn is not None


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_backward_with_create_graph_inside_inference_mode(t):
    x = _leaf(t)
    y = (x * x).sum()
    with t.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y.backward(create_graph=True)
    np.testing.assert_array_equal(_np(x.grad), [2.0, 4.0])
    assert x.grad.grad_fn is None and x.grad.is_inference()


# ---------------------------------------------------------------------------------------
# hooks around autograd.grad and backward(inputs=)


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_captured_gradient_of_a_node_that_runs_is_taken_before_its_hooks(t):
    # m = 3x, y = sum(m*m): dy/dm = 6x = [6, 12]; the hook adds 1 on the way to x
    x = _leaf(t)
    m = x * 3
    m.register_hook(lambda g: g + 1)
    gx, gm = t.autograd.grad((m * m).sum(), [x, m])
    np.testing.assert_array_equal(_np(gm), [6.0, 12.0])
    np.testing.assert_array_equal(_np(gx), [21.0, 39.0])
    x = _leaf(t)
    m = x * 3
    m.register_hook(lambda g: g + 1)
    (gm,) = t.autograd.grad((m * m).sum(), [m])  # m's node does not run: hooks first
    np.testing.assert_array_equal(_np(gm), [7.0, 13.0])


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_grad_runs_only_tensor_hooks_of_captured_nodes(t):
    calls = []
    x = _leaf(t)
    m = x * 3
    m.retain_grad()
    m.grad_fn.register_prehook(lambda go: calls.append("pre"))
    m.grad_fn.register_hook(lambda gi, go: calls.append("post"))
    m.register_hook(lambda g: calls.append("tensor"))
    acc = m.grad_fn.next_functions[0][0]
    acc.register_prehook(lambda go: calls.append("acc pre"))
    acc.register_hook(lambda gi, go: calls.append("acc post"))
    x.register_hook(lambda g: calls.append("x"))
    x.register_post_accumulate_grad_hook(lambda p: calls.append("x post"))
    t.autograd.grad((m * m).sum(), [m], retain_graph=True)
    assert calls == ["tensor"]
    np.testing.assert_array_equal(_np(m.grad), [6.0, 12.0])  # retain_grad did run
    calls.clear()
    t.autograd.grad((m * m).sum(), [x])
    assert calls == ["tensor", "pre", "post", "x"]


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_backward_inputs_runs_target_node_hooks_with_no_gradients(t):
    calls = []
    x = _leaf(t)
    m = x * 3
    m.grad_fn.register_prehook(lambda go: calls.append("pre"))
    m.grad_fn.register_hook(lambda gi, go: calls.append(("post", gi)))
    (m * m).sum().backward(inputs=[m])
    assert calls == ["pre", ("post", (None, None))]
    np.testing.assert_array_equal(_np(m.grad), [6.0, 12.0])
    assert x.grad is None


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_hooks_of_unneeded_tensors_do_not_run(t):
    calls = []
    x1, x2 = _leaf(t), _leaf(t)
    a = x1 * 2
    a.register_hook(lambda g: calls.append("a"))
    x1.register_hook(lambda g: calls.append("x1"))
    y = (a * x2 * a * x2).sum()
    (g,) = t.autograd.grad(y, [x2], retain_graph=True)
    np.testing.assert_array_equal(_np(g), [8.0, 64.0])  # 2 (2 x1)^2 x2
    y.backward(inputs=[x2])
    assert calls == [] and x1.grad is None


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_hooks_run_from_a_snapshot(t):
    # torch iterates a copy of the hooks: removed ones still run in this pass, added ones
    # only from the next
    calls, handles = [], []
    x = _leaf(t)

    def first(g):
        calls.append("first")
        handles[1].remove()
        x.register_hook(lambda g: calls.append("added"))

    handles.append(x.register_hook(first))
    handles.append(x.register_hook(lambda g: calls.append("second")))
    (x * x).sum().backward()
    assert calls == ["first", "second"]
    m = x * 2
    node_handles = []

    def n1(grad_inputs, grad_outputs):
        calls.append("n1")
        node_handles[1].remove()

    node_handles.append(m.grad_fn.register_hook(n1))
    node_handles.append(m.grad_fn.register_hook(lambda gi, go: calls.append("n2")))
    calls.clear()
    (m * m).sum().backward(retain_graph=True)
    assert calls == ["n1", "n2", "first", "added"]
    calls.clear()
    (m * m).sum().backward()
    assert calls == ["n1", "first", "added", "added"]


# ---------------------------------------------------------------------------------------
# custom autograd.Function


def _function(t, forward, backward, **attrs):
    body = {"forward": staticmethod(forward), **attrs}
    if backward is not None:
        body["backward"] = staticmethod(backward)
    return type("MyFn", (t.autograd.Function,), body)


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
@pytest.mark.parametrize(("result", "name"), [
    (1.0, "float"), ([None], "list"), (np.ones(2, np.float32), "numpy.ndarray"), ("s", "str"),
])
def test_backward_returning_a_non_tensor(t, result, name):
    fn = _function(t, lambda ctx, x: x * 2, lambda ctx, g: result)
    x = _leaf(t)
    with pytest.raises(RuntimeError, match=rf"expected Variable or None \(got {name}\)"):
        fn.apply(x).sum().backward()


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_backward_gradient_for_a_non_tensor_argument_is_checked_first(t):
    fn = _function(t, lambda ctx, x, k: x * k, lambda ctx, g: (g, 3))
    with pytest.raises(RuntimeError, match="different than None at position 2"):
        fn.apply(_leaf(t), 2).sum().backward()


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_non_tensor_outputs_get_none_even_when_materializing(t):
    seen = []

    def backward(ctx, g, g_number, g_text):
        seen.append((g_number, g_text))
        return g * 2

    fn = _function(t, lambda ctx, x: (x * 2, 5, "s"), backward)
    x = _leaf(t)
    out, number, text = fn.apply(x)
    assert (number, text) == (5, "s")
    out.sum().backward()
    assert seen == [(None, None)]
    np.testing.assert_array_equal(_np(x.grad), [2.0, 2.0])


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_vjp_is_another_name_for_backward(t):
    fn = _function(t, lambda ctx, x: x * 2, None, vjp=staticmethod(lambda ctx, g: g * 5))
    x = _leaf(t)
    fn.apply(x).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [5.0, 5.0])
    both = _function(t, lambda ctx, x: x * 2, lambda ctx, g: g,
                     vjp=staticmethod(lambda ctx, g: g))
    with pytest.raises(RuntimeError, match="Implementing both 'backward' and 'vjp'"):
        both.apply(_leaf(t)).sum().backward()


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_function_vmap_and_jvp_defaults(t):
    fn = _function(t, lambda ctx, x: x, lambda ctx, g: g)
    assert fn.generate_vmap_rule is False
    with pytest.raises(NotImplementedError, match="override the vmap staticmethod"):
        fn.vmap(None, (0,), t.ones(2))
    with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
        fn.jvp(None, t.ones(2))


# ---------------------------------------------------------------------------------------
# saved-tensor hooks and checkpoint under double backward


def _square(t):
    class Square(t.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    return Square


def _exp(t):
    class Exp(t.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            r = a.exp()
            ctx.save_for_backward(r)
            return r

        @staticmethod
        def backward(ctx, g):
            (r,) = ctx.saved_tensors
            return r * g

    return Exp


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
@pytest.mark.parametrize("case", ["leaf", "nonleaf", "custom_input", "custom_output"])
def test_saved_tensor_hooks_keep_the_graph_for_double_backward(t, case):
    # the unpacked values come back attached where the saved tensors were
    x = t.tensor([0.5, 1.0, 2.0], dtype=t.float64, requires_grad=True)
    xs = np.array([0.5, 1.0, 2.0])
    with t.autograd.graph.saved_tensors_hooks(lambda a: a.detach().clone(), lambda a: a):
        if case == "leaf":  # y = sum(e^x): g = e^x, d sum(g)/dx = e^x
            y, expected = x.exp().sum(), np.exp(xs)
        elif case == "nonleaf":  # y = sum(sin 2x): g = 2 cos 2x, d/dx = -4 sin 2x
            y, expected = (x * 2).sin().sum(), -4 * np.sin(2 * xs)
        elif case == "custom_input":  # y = sum(x^2): g = 2x, d/dx = 2
            y, expected = _square(t).apply(x).sum(), np.full(3, 2.0)
        else:
            y, expected = _exp(t).apply(x).sum(), np.exp(xs)
    (g,) = t.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(_np(x.grad), expected, rtol=1e-12)


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_non_reentrant_checkpoint_supports_double_backward(t):
    ck = tl_checkpoint.checkpoint if t is torchlet else __import__(
        "torch.utils.checkpoint", fromlist=["checkpoint"]).checkpoint
    x = t.tensor([1.0, 2.0, 3.0], dtype=t.float64, requires_grad=True)
    y = ck(lambda a: a.exp(), x, use_reentrant=False).sum()
    (g,) = t.autograd.grad(y, x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(_np(x.grad), np.exp([1.0, 2.0, 3.0]), rtol=1e-12)


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_non_reentrant_checkpoint_refuses_an_input_changed_in_place(t):
    ck = tl_checkpoint.checkpoint if t is torchlet else __import__(
        "torch.utils.checkpoint", fromlist=["checkpoint"]).checkpoint
    x = t.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = x * 1
    y = ck(lambda a: a.exp(), m, use_reentrant=False)
    m.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[torch.FloatTensor \[3\]\], which is output 0 of "
                                           "Mul, is at version 1; expected version 0"):
        y.sum().backward()


# ---------------------------------------------------------------------------------------
# sampled differential test: small random graphs, gradients against torch


_UNARY = ["{a}.exp()", "{a}.sin()", "{a}*{a}", "{a}.sqrt()", "{a}.tanh()", "{a}.sigmoid()",
          "{a}.relu()", "({a}*2)", "{a}.log()", "{a}.clone()", "{a}.detach()", "{a}.sum()",
          "{a}.view(-1)", "{a}.unsqueeze(0)", "{a}.flatten()"]
_BINARY = ["({a}+{b})", "({a}*{b})", "({a}-{b})", "({a}/{b})", "t.maximum({a}, {b})"]
_INPLACE = ["{a}.mul_(2)", "{a}.add_(1)"]  # (not exp_: torchlet misses the version error
# torch raises when a tensor an in-place op saved as its output is changed again)


def _program(seed):
    rng = np.random.default_rng(seed)
    dtype = ["float32", "float64"][int(rng.integers(0, 2))]
    shape = [(), (3,), (2, 3)][int(rng.integers(0, 3))]
    lines, names = [], []
    for i in range(int(rng.integers(1, 4))):
        values = np.round(rng.uniform(0.5, 2.0, size=shape), 2).tolist()
        lines.append(f"v{i} = t.tensor({values!r}, dtype=t.{dtype}, requires_grad=True)")
        names.append(f"v{i}")
    leaves = list(names)
    for _ in range(int(rng.integers(2, 7))):
        a = names[int(rng.integers(0, len(names)))]
        kind = rng.random()
        if kind < 0.5:
            expr = _UNARY[int(rng.integers(0, len(_UNARY)))].format(a=a)
        elif kind < 0.85:
            b = names[int(rng.integers(0, len(names)))]
            expr = _BINARY[int(rng.integers(0, len(_BINARY)))].format(a=a, b=b)
        else:
            lines.append(_INPLACE[int(rng.integers(0, len(_INPLACE)))].format(a=a))
            continue
        lines.append(f"v{len(names)} = {expr}")
        names.append(f"v{len(names)}")
    lines.append(f"out = ({names[-1]}).sum() + ({names[len(names) // 2]}).sum()")
    mode = int(rng.integers(0, 4))
    args = ", ".join(leaves)
    if mode == 0:
        lines.append("out.backward()")
    elif mode == 1:
        lines.append(f"R = t.autograd.grad(out, [{args}], allow_unused=True)")
    elif mode == 2:
        lines.append(f"R = t.autograd.grad(out, [{args}], allow_unused=True, "
                     "create_graph=True)")
        lines.append("G = sum((g * g).sum() for g in R if g is not None and g.requires_grad)")
        lines.append(f"R = t.autograd.grad(G, [{args}], allow_unused=True) "
                     "if isinstance(G, t.Tensor) else ()")
    else:
        lines.append(f"out.backward(inputs=[{leaves[0]}])")
    return "\n".join(lines), leaves


def _run_program(t, code, leaves):
    env = {"t": t}
    try:
        exec(code, env)  # noqa: S102 - a generated test program
    except RuntimeError as error:
        return ("RuntimeError", str(error).split(":")[0])
    grads = [_np(env[name].grad) for name in leaves]
    return grads, [_np(g) for g in env.get("R", ())]


SAMPLED_SEEDS = 120


def test_sampled_random_graphs_against_torch():
    torch = _torch()
    for seed in range(SAMPLED_SEEDS):
        code, leaves = _program(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours, theirs = _run_program(torchlet, code, leaves), _run_program(torch, code, leaves)
        if isinstance(theirs[0], str):
            assert ours == theirs, code
            continue
        assert not isinstance(ours[0], str), (code, ours)
        for a, b in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
            assert (a is None) == (b is None), code
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=code)


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_grad_output_cast_to_the_outputs_dtype_first(t):
    """torch's engine converts a starting gradient to its output's dtype before it flows:
    a float32 grad_output into float64 math stays exact in float64, and a float64 leaf
    used as the root gets a float64 .grad."""
    x = t.ones(2, 3, dtype=t.float64, requires_grad=True)
    (g,) = t.autograd.grad(x.mean(-1, keepdim=True), x, t.ones(2, 1, dtype=t.float32))
    assert g.dtype == t.float64
    assert g[0, 0].item() == 1 / 3  # (0.3333333432674408 if the 1/3 were taken in float32)
    leaf = t.ones(2, dtype=t.float64, requires_grad=True)
    leaf.backward(t.ones(2, dtype=t.float32))
    assert leaf.grad.dtype == t.float64


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_retain_grad_follows_in_place_ops(t):
    """retain_grad() moves with the tensor to the node of an in-place op (plain tensor and
    view), as torch: m.grad is the gradient of m's final value."""
    x = t.tensor([1.0, 2.0], requires_grad=True)
    m = x * 1
    m.retain_grad()
    m.mul_(2)
    (m * m).sum().backward()
    assert _np(m.grad).tolist() == [4.0, 8.0]
    assert _np(x.grad).tolist() == [8.0, 16.0]
    b = t.tensor([1.0, 2.0, 3.0], requires_grad=True) * 1
    v = b[:2]
    v.retain_grad()
    v.mul_(2)
    assert v.retains_grad


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_grad_of_0d_product_is_a_tensor_array(t):
    a = t.tensor(2.0, requires_grad=True)
    b = t.tensor(3.0, requires_grad=True)
    (a * b).backward()
    a.grad.zero_()  # (a NumPy scalar inside the grad could not be zeroed in place)
    assert a.grad.item() == 0.0 and b.grad.item() == 2.0


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_a_tensor_cannot_be_its_own_grad(t):
    x = t.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="can't assign Variable as its own grad"):
        x.grad = x


@pytest.mark.parametrize("t", _libs(), ids=lambda m: m.__name__)
def test_first_grad_laid_out_as_the_leaf(t):
    """AccumulateGrad gives .grad the leaf's strides where the leaf is dense (a
    channels_last conv weight gets a channels_last grad), C order otherwise."""
    w = t.randn(4, 3, 2, 2).to(memory_format=t.channels_last).requires_grad_()
    (w.contiguous() * 2).sum().backward()
    assert w.grad.stride() == w.stride() == (12, 1, 6, 3)
    assert (w.grad == 2).all()
    transposed = t.randn(3, 4).t().requires_grad_()
    (transposed * 1).sum().backward()
    assert transposed.grad.stride() == (1, 4)
    sliced = t.randn(3, 8)[:, ::2].detach().requires_grad_()
    (sliced * 1).sum().backward()
    assert sliced.grad.stride() == (4, 1)
