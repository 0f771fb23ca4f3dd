"""In-place operators' argument errors before autograd's leaf check, Tensor.__delitem__,
and torch.__future__'s module-conversion flags (overwrite / swap), against torch 2.13."""

import numpy as np
import pytest

import torchlet

LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_ERROR = ("a view of a leaf Variable that requires grad is being used in an in-place "
              "operation.")
AUG_OPS = ["+=", "-=", "*=", "/=", "//=", "%=", "**=", "&=", "|=", "^=", "<<=", ">>="]
DUNDERS = ["__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__",
           "__ipow__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__"]
BAD_OPERANDS = {"str": "a", "NoneType": None, "list": [1.0, 2.0], "object": object()}


def _outcome(f):
    try:
        r = f()
    except Exception as e:  # noqa: BLE001 - the outcome is what is compared
        return type(e).__name__, str(e)
    if r is NotImplemented:
        return "NotImplemented", ""
    return "value", r.tolist() if hasattr(r, "tolist") else r


def _augmented(lib, make, op, operand):
    x = make(lib)
    exec(f"x {op} operand", {"x": x, "operand": operand})
    return x


def _param(lib):
    return lib.nn.Parameter(lib.ones(2))


def _non_leaf(lib):
    return lib.ones(2, requires_grad=True) * 1


@pytest.fixture(autouse=True)
def _reset_future_flags():
    yield
    torchlet.__future__.set_swap_module_params_on_conversion(False)
    torchlet.__future__.set_overwrite_module_params_on_conversion(False)


# ------------------------------------------------------------------ in-place argument errors

@pytest.mark.parametrize("op", AUG_OPS)
@pytest.mark.parametrize("kind", list(BAD_OPERANDS))
def test_augmented_assignment_of_a_bad_operand_on_a_leaf_is_a_type_error(op, kind):
    # torch parses the operand before autograd's leaf check: Python's own TypeError
    with pytest.raises(TypeError) as info:
        _augmented(torchlet, _param, op, BAD_OPERANDS[kind])
    assert str(info.value) == f"unsupported operand type(s) for {op}: 'Parameter' and '{kind}'"


@pytest.mark.parametrize("name", DUNDERS)
def test_inplace_dunder_returns_not_implemented_for_a_bad_operand(name):
    for make in (_param, _non_leaf):
        for operand in ("a", None, [1.0, 2.0]):
            p = make(torchlet)
            assert getattr(p, name)(operand) is NotImplemented
            assert p.tolist() == [1.0, 2.0 - 1.0]  # untouched


@pytest.mark.parametrize("method, message", [
    ("add_", "add_(): argument 'other' (position 1) must be Tensor, not str"),
    ("sub_", "sub_(): argument 'other' (position 1) must be Tensor, not str"),
    ("mul_", "mul_(): argument 'other' (position 1) must be Tensor, not str"),
    ("div_", "div_(): argument 'other' (position 1) must be Tensor, not str"),
    ("hypot_", "hypot_(): argument 'other' (position 1) must be Tensor, not str"),
])
def test_inplace_method_of_a_bad_operand_on_a_leaf_is_the_parser_error(method, message):
    with pytest.raises(TypeError) as info:
        getattr(_param(torchlet), method)("a")
    assert str(info.value) == message
    with pytest.raises(TypeError):
        getattr(_param(torchlet)[0:1], method)("a")  # a view of a leaf: the same


@pytest.mark.parametrize("method", ["pow_", "clamp_", "floor_divide_", "remainder_", "fmod_",
                                    "copysign_", "bitwise_and_", "clamp_min_", "clamp_max_"])
def test_more_inplace_methods_parse_before_the_leaf_check(method):
    for operand in ("a", [1.0, 2.0], np.ones(2)):
        with pytest.raises(TypeError):
            getattr(_param(torchlet), method)(operand)


@pytest.mark.parametrize("call, error", [
    (lambda p: p.add_(1), LEAF_ERROR),
    (lambda p: p.add_(torchlet.ones(3)), LEAF_ERROR),  # shape: the kernel's, after the check
    (lambda p: p.bitwise_and_(1), LEAF_ERROR),  # dtype: the kernel's, after the check
    (lambda p: p.mul_(1j), LEAF_ERROR),  # a complex number is a valid Number to torch
    (lambda p: p.div_(2, rounding_mode="bad"), LEAF_ERROR),
    (lambda p: p.clamp_(), LEAF_ERROR),
    (lambda p: p.exp_(), LEAF_ERROR),
    (lambda p: p.__iadd__(torchlet.ones(2, dtype=torchlet.int64)), LEAF_ERROR),
    (lambda p: p.__ilshift__(1), LEAF_ERROR),
    (lambda p: p[0:1].__iadd__(1), VIEW_ERROR),
])
def test_a_valid_operand_on_a_leaf_still_raises_the_leaf_error(call, error):
    p = _param(torchlet)
    with pytest.raises(RuntimeError) as info:
        call(p)
    assert str(info.value) == error
    assert p.tolist() == [1.0, 1.0]


def test_bad_operand_paths_without_autograd_are_unchanged():
    x = torchlet.ones(2)
    assert x.__iadd__("a") is NotImplemented
    with torchlet.no_grad():
        p = _param(torchlet)
        assert p.__iadd__("a") is NotImplemented
        p += 1  # a leaf may be written under no_grad
    assert p.tolist() == [2.0, 2.0]
    x = torchlet.ones(2, requires_grad=True) * 1
    x += torchlet.tensor([1.0, 2.0])
    assert x.tolist() == [2.0, 3.0] and x.grad_fn.name() == "AddBackward0"


def test_inplace_errors_match_torch_on_sampled_configs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(26)
    makers = {"param": _param, "non_leaf": _non_leaf,
              "view": lambda lib: _param(lib)[0:2],
              "plain": lambda lib: lib.ones(2),
              "int": lambda lib: lib.ones(2, dtype=lib.int64)}
    operands = ["'a'", "None", "[1.0, 2.0]", "1", "2.5", "lib.ones(2)", "lib.ones(3)",
                "object()"]
    methods = ["add_", "sub_", "mul_", "div_", "pow_", "hypot_", "atan2_", "fmod_",
               "floor_divide_", "remainder_", "maximum_"]
    checked = 0
    for _ in range(150):
        maker = list(makers)[rng.integers(len(makers))]
        operand = operands[rng.integers(len(operands))]
        if rng.random() < 0.5:
            op = AUG_OPS[rng.integers(len(AUG_OPS))]

            def run(lib, op=op, maker=maker, operand=operand):
                return _augmented(lib, makers[maker], op, eval(operand, {"lib": lib}))
        else:
            op = methods[rng.integers(len(methods))]

            def run(lib, op=op, maker=maker, operand=operand):
                return getattr(makers[maker](lib), op)(eval(operand, {"lib": lib}))
        got, want = _outcome(lambda: run(torchlet)), _outcome(lambda: run(torch))
        label = (maker, op, operand)
        assert got[0] == want[0], (label, got, want)
        if got[0] == "RuntimeError" and "leaf" in want[1]:
            assert got[1] == want[1], label
        if got[0] == "value":  # (float32 atan2 may differ by an ulp: NumPy's vs torch's)
            assert np.allclose(got[1], want[1], rtol=1e-6, atol=0), label
        checked += 1
    assert checked == 150


@pytest.mark.parametrize("make", [_non_leaf, lambda lib: lib.ones(2)])
def test_inplace_kernel_dtype_refusal_checks_the_broadcast_first(make):
    # torch's TensorIterator sees that (2,) and (3,) do not broadcast before its kernel
    # refuses bitwise_and on float
    with pytest.raises(RuntimeError) as info:
        make(torchlet).bitwise_and_(torchlet.ones(3))
    assert str(info.value) == ("The size of tensor a (2) must match the size of tensor b "
                               "(3) at non-singleton dimension 0")
    with pytest.raises(RuntimeError, match="at non-singleton dimension 1"):
        torchlet.ones(2, 2).__iand__(torchlet.ones(3))


# ------------------------------------------------------------------------------ __delitem__

@pytest.mark.parametrize("index", [0, slice(None), (0, 1), "a"])
def test_delitem_is_torchs_type_error(index):
    t = torchlet.ones(2, 2)
    with pytest.raises(TypeError, match="^Tensor does not support deleting items$"):
        del t[index]
    assert t.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="^Tensor does not support deleting items$"):
        del torch.ones(2, 2)[index]


# ---------------------------------------------------------------------------- __future__

def test_future_module_and_defaults():
    import torchlet.__future__ as future

    assert torchlet.__future__ is future
    assert future.get_overwrite_module_params_on_conversion() is False
    assert future.get_swap_module_params_on_conversion() is False
    future.set_overwrite_module_params_on_conversion(True)
    future.set_swap_module_params_on_conversion(True)
    assert future.get_overwrite_module_params_on_conversion() is True
    assert future.get_swap_module_params_on_conversion() is True
    torch = pytest.importorskip("torch")
    public = sorted(n for n in dir(torch.__future__) if not n.startswith("__"))
    assert sorted(n for n in dir(future) if not n.startswith("__")) == public


CONVERSIONS = {
    "double": lambda lib, m: m.double(),
    "to64": lambda lib, m: m.to(lib.float64),
    "float": lambda lib, m: m.float(),
    "half": lambda lib, m: m.half(),
    "cpu": lambda lib, m: m.cpu(),
    "meta": lambda lib, m: m.to_empty(device="meta"),
}


def _conversion_facts(lib, swap, overwrite, conversion):
    lib.__future__.set_swap_module_params_on_conversion(swap)
    lib.__future__.set_overwrite_module_params_on_conversion(overwrite)
    try:
        lib.manual_seed(0)
        m = lib.nn.Linear(2, 2)
        m.register_buffer("buf", lib.ones(2))
        w, b, buf = m.weight, m.bias, m.buf
        m(lib.ones(1, 2)).sum().backward()
        g = w.grad
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        CONVERSIONS[conversion](lib, m)
        facts = [type(m.weight).__name__, m.weight is w, m.bias is b, m.buf is buf,
                 str(m.weight.dtype), m.weight.is_meta, str(w.dtype), m.weight.grad is g,
                 str(g.dtype), str(m.weight.grad.dtype), w.grad is g,
                 m.weight.requires_grad, m.weight.is_leaf,
                 opt.param_groups[0]["params"][0] is m.weight]
        if not m.weight.is_meta:
            facts.append(m.weight.detach().double().tolist())
        return facts
    finally:
        lib.__future__.set_swap_module_params_on_conversion(False)
        lib.__future__.set_overwrite_module_params_on_conversion(False)


@pytest.mark.parametrize("conversion", list(CONVERSIONS))
def test_module_conversion_flags_hand_derived(conversion):
    same = _conversion_facts(torchlet, False, False, conversion)
    new = _conversion_facts(torchlet, False, True, conversion)
    swapped = _conversion_facts(torchlet, True, False, conversion)
    # default: the same Parameter objects (.data =), except across devices (meta)
    assert same[1] is (conversion != "meta")
    # overwrite: always new Parameter objects; the optimizer keeps the old ones
    assert new[1] is False and new[13] is False and new[0] == "Parameter"
    # swap: the same objects even across devices, the grad object kept and converted
    assert swapped[1:4] == [True, True, conversion in ("float", "cpu")]
    assert swapped[7] is True and swapped[13] is True and swapped[6] == swapped[4]
    assert swapped == _conversion_facts(torchlet, True, True, conversion)  # swap wins


def test_module_conversion_flags_match_torch():
    torch = pytest.importorskip("torch")
    for swap in (False, True):
        for overwrite in (False, True):
            for conversion in CONVERSIONS:
                got = _conversion_facts(torchlet, swap, overwrite, conversion)
                want = _conversion_facts(torch, swap, overwrite, conversion)
                assert got == want, (swap, overwrite, conversion)


def _train_after_swap(lib):
    lib.__future__.set_swap_module_params_on_conversion(True)
    try:
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 1))
        opt = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        x = lib.randn(5, 3)
        m(x).sum().backward()
        opt.step()
        m.double()
        for _ in range(3):
            opt.zero_grad()
            m(x.double()).pow(2).sum().backward()
            opt.step()
        w = m[0].weight
        sd = {k: v.float() * 0 + 1 for k, v in m.state_dict().items()}
        m.load_state_dict(sd)
        kept_copy = (m[0].weight is w, str(w.dtype), w.sum().item())
        m.load_state_dict({k: v * 2 for k, v in sd.items()}, assign=True)
        kept_assign = (m[0].weight is w, str(w.dtype), w.sum().item(), w.requires_grad)
        return [str(p.dtype) for p in m.parameters()], kept_copy, kept_assign
    finally:
        lib.__future__.set_swap_module_params_on_conversion(False)


def test_swap_keeps_optimizer_references_and_load_state_dict_swaps():
    params, kept_copy, kept_assign = _train_after_swap(torchlet)
    # hand-derived: load (copy) keeps float64 and the object; assign swaps in float32
    assert kept_copy == (True, "torch.float64", 12.0)
    assert kept_assign == (True, "torch.float32", 24.0, True)
    torch = pytest.importorskip("torch")
    assert (params, kept_copy, kept_assign) == _train_after_swap(torch)
    lib_w = _trained_weights(torchlet)
    assert np.array_equal(lib_w, _trained_weights(torch))


def _trained_weights(lib):
    lib.__future__.set_swap_module_params_on_conversion(True)
    try:
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        opt = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        x = lib.randn(4, 3)
        m(x).sum().backward()
        opt.step()
        m.double()
        opt.zero_grad()
        m(x.double()).pow(2).sum().backward()
        opt.step()  # the optimizer's references are the swapped (float64) parameters
        return m.weight.detach().numpy().copy()
    finally:
        lib.__future__.set_swap_module_params_on_conversion(False)


def test_load_state_dict_swap_error_says_swapping():
    torchlet.__future__.set_swap_module_params_on_conversion(True)
    m = torchlet.nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        m.load_state_dict({"weight": torchlet.ones(3, 3), "bias": torchlet.ones(2)})
