"""The meta device and ``with torch.device(...)``, against torch 2.13 (CPU build).

1. ``torch.device`` is a context manager: inside ``with torch.device("meta"):`` factory
   functions and modules make meta tensors; blocks nest and each restores the device it
   replaced (also when the block raises).
2. A meta tensor has a shape, a dtype and torch's contiguous strides, but no values: it
   prints as ``tensor(..., device='meta', size=(3,))``, uses no memory, draws no random
   numbers, and reading a value is torch's error.
3. Modules move to and from it: ``model.to('meta')`` (the torch.func model-ensembling
   tutorial), ``Module.to_empty(device='cpu')``, ``load_state_dict`` into a meta module.

Each check states the expected answer worked out by hand and, where torch is importable,
runs the same code on torch and compares (strings, shapes, exception types and messages).
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # the hand-derived expectations still run
    torch = None

LIBS = [torchlet] if torch is None else [torchlet, torch]


@pytest.fixture(autouse=True)
def _cpu_default():
    """Every test starts and ends with the CPU as the default device."""
    for lib in LIBS:
        lib.set_default_device(None)
    yield
    for lib in LIBS:
        lib.set_default_device(None)


def outcome(fn, lib):
    """``fn(lib)``, or the (type name, message) of what it raised."""
    try:
        return fn(lib)
    except Exception as error:  # noqa: BLE001 - the error is the result compared
        return type(error).__name__, str(error)


def same_everywhere(fn, expected):
    """``fn`` gives ``expected`` on torchlet and, when importable, on torch."""
    for lib in LIBS:
        assert outcome(fn, lib) == expected, lib.__name__


# ---------------------------------------------------------------------------------------
# 1. with torch.device(...)


def test_device_context_sets_and_restores_the_default():
    def run(lib):
        seen = []
        with lib.device("meta") as entered:
            seen.append(repr(entered))
            seen.append(str(lib.get_default_device()))
            seen.append(str(lib.empty(2).device))
            with lib.device("cpu"):
                seen.append(str(lib.zeros(1).device))
                seen.append(str(lib.get_default_device()))
            seen.append(str(lib.ones(1).device))
        seen.append(str(lib.ones(1).device))
        seen.append(str(lib.get_default_device()))
        return seen

    same_everywhere(run, ["device(type='meta')", "meta", "meta", "cpu", "cpu", "meta", "cpu",
                          "cpu"])


def test_device_context_nests_the_same_object_and_survives_errors():
    def run(lib):
        meta = lib.device("meta")
        with meta:
            with meta:
                inner = str(lib.empty(1).device)
            try:
                with lib.device("cpu"):
                    raise KeyError("boom")
            except KeyError:
                pass
            after_error = str(lib.empty(1).device)
        return inner, after_error, str(lib.empty(1).device)

    same_everywhere(run, ("meta", "meta", "cpu"))


def test_device_context_modules_and_like_functions():
    def run(lib):
        cpu_tensor = lib.ones(2)
        with lib.device("meta"):
            layer = lib.nn.Linear(3, 2)
            like = lib.zeros_like(cpu_tensor)  # *_like follow their input, not the default
            new = cpu_tensor.new_zeros(2)  # new_* too
        return str(layer.weight.device), str(like.device), str(new.device)

    same_everywhere(run, ("meta", "cpu", "cpu"))


def test_device_context_refusals():
    # torchlet refuses a device it lacks when the block is entered, with the error torch
    # gives at the first factory call inside it
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        with torchlet.device("cuda"):
            torchlet.empty(1)
    assert str(torchlet.get_default_device()) == "cpu"
    with pytest.raises(RuntimeError, match="^trying to pop from empty mode stack$"):
        torchlet.device("meta").__exit__(None, None, None)
    if torch is not None:
        with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
            with torch.device("cuda"):
                torch.empty(1)
        with pytest.raises(RuntimeError, match="^trying to pop from empty mode stack$"):
            torch.device("meta").__exit__(None, None, None)


def test_set_default_device_meta():
    def run(lib):
        lib.set_default_device("meta")
        made = [lib.tensor([1.0, 2.0]), lib.zeros(2), lib.arange(3), lib.linspace(0, 1, 4),
                lib.eye(2), lib.full((2,), 3), lib.empty(1), lib.ones(1)]
        with lib.device("cpu"):
            inner = str(lib.zeros(1).device)
        lib.set_default_device(None)
        return [repr(t) for t in made] + [inner, str(lib.zeros(1).device)]

    same_everywhere(run, [
        "tensor(..., device='meta', size=(2,))", "tensor(..., device='meta', size=(2,))",
        "tensor(..., device='meta', size=(3,), dtype=torch.int64)",
        "tensor(..., device='meta', size=(4,))", "tensor(..., device='meta', size=(2, 2))",
        "tensor(..., device='meta', size=(2,), dtype=torch.int64)",
        "tensor(..., device='meta', size=(1,))", "tensor(..., device='meta', size=(1,))",
        "cpu", "cpu"])


# ---------------------------------------------------------------------------------------
# 2. meta tensors


CREATED = {
    "empty": (lambda lib: lib.empty(3, device="meta"), "tensor(..., device='meta', size=(3,))"),
    "empty 0-d": (lambda lib: lib.empty((), device="meta"),
                  "tensor(..., device='meta', size=())"),
    "zeros int32": (lambda lib: lib.zeros(2, 3, dtype=lib.int32, device="meta"),
                    "tensor(..., device='meta', size=(2, 3), dtype=torch.int32)"),
    "ones grad": (lambda lib: lib.ones(2, device="meta", requires_grad=True),
                  "tensor(..., device='meta', size=(2,), requires_grad=True)"),
    "full float64": (lambda lib: lib.full((2,), 1.5, dtype=lib.float64, device="meta"),
                     "tensor(..., device='meta', size=(2,), dtype=torch.float64)"),
    "eye": (lambda lib: lib.eye(2, 3, device=lib.device("meta")),
            "tensor(..., device='meta', size=(2, 3))"),
    "arange": (lambda lib: lib.arange(5, device="meta"),
               "tensor(..., device='meta', size=(5,), dtype=torch.int64)"),
    "tensor": (lambda lib: lib.tensor([[1, 2]], device="meta"),
               "tensor(..., device='meta', size=(1, 2), dtype=torch.int64)"),
    "as_tensor": (lambda lib: lib.as_tensor([1.0], device="meta"),
                  "tensor(..., device='meta', size=(1,))"),
    "zeros_like": (lambda lib: lib.zeros_like(lib.empty(2, 2, device="meta")),
                   "tensor(..., device='meta', size=(2, 2))"),
    "ones_like to meta": (lambda lib: lib.ones_like(lib.ones(2), device="meta"),
                          "tensor(..., device='meta', size=(2,))"),
    "new_zeros": (lambda lib: lib.empty(1, device="meta").new_zeros(4),
                  "tensor(..., device='meta', size=(4,))"),
    "new_tensor": (lambda lib: lib.empty(1, device="meta").new_tensor([1.0, 2.0]),
                   "tensor(..., device='meta', size=(2,))"),
    "to meta": (lambda lib: lib.ones(2, 2, dtype=lib.float64).to("meta"),
                "tensor(..., device='meta', size=(2, 2), dtype=torch.float64)"),
    "to meta grad": (lambda lib: lib.ones(2, requires_grad=True).to("meta"),
                     "tensor(..., device='meta', size=(2,), grad_fn=<ToCopyBackward0>)"),
}


@pytest.mark.parametrize("case", list(CREATED))
def test_meta_creation_prints_as_torch(case):
    make, expected = CREATED[case]
    same_everywhere(lambda lib: repr(make(lib)), expected)
    t = make(torchlet)
    assert t.is_meta and not t.is_cpu and t.device == torchlet.device("meta")
    assert t.get_device() == -1 and t.data_ptr() == 0


def test_meta_metadata_and_no_memory():
    def run(lib):
        t = lib.empty(2, 3, device="meta")
        return (t.shape, t.stride(), t.is_contiguous(), t.nbytes, t.element_size(),
                t.numel(), t.dim(), str(t.dtype), t.is_meta)

    same_everywhere(run, ((2, 3), (3, 1), True, 24, 4, 6, 2, "torch.float32", True))
    # ten trillion elements: the values are one shared zero (every stride 0)
    huge = torchlet.empty(10**6, 10**7, device="meta")
    assert huge.numel() == 10**13 and huge.nbytes == 4 * 10**13
    assert huge._data.strides == (0, 0) and huge._data.base is not None


def test_meta_draws_no_random_numbers():
    def run(lib):
        lib.manual_seed(0)
        lib.nn.Linear(2, 3, device="meta")
        lib.nn.Embedding(4, 2, device="meta")
        lib.empty(3, device="meta").uniform_().normal_()
        return [round(v, 4) for v in lib.randn(2).tolist()]

    same_everywhere(run, [1.541, -0.2934])  # torch.manual_seed(0); torch.randn(2)


SHAPES = {
    "view": (lambda lib, e: e.view(3, 2), (3, 2)),
    "reshape": (lambda lib, e: e.reshape(6), (6,)),
    "transpose": (lambda lib, e: e.transpose(0, 1), (3, 2)),
    "t": (lambda lib, e: e.t(), (3, 2)),
    "matmul": (lambda lib, e: e @ lib.empty(3, 4, device="meta"), (2, 4)),
    "view matmul": (lambda lib, e: e.view(3, 2).t() @ lib.empty(3, 5, device="meta"), (2, 5)),
    "unsqueeze permute": (lambda lib, e: e.unsqueeze(0).permute(2, 0, 1), (3, 1, 2)),
    "slice": (lambda lib, e: e[1:, None], (1, 1, 3)),
    "add": (lambda lib, e: e + 1, (2, 3)),
    "relu": (lambda lib, e: lib.nn.functional.relu(e), (2, 3)),
    "linear": (lambda lib, e: lib.nn.functional.linear(e, lib.empty(4, 3, device="meta")),
               (2, 4)),
    "double": (lambda lib, e: e.double(), (2, 3)),
    "detach": (lambda lib, e: e.detach(), (2, 3)),
}


@pytest.mark.parametrize("case", list(SHAPES))
def test_meta_shape_ops_stay_on_meta(case):
    op, shape = SHAPES[case]

    def run(lib):
        out = op(lib, lib.empty(2, 3, device="meta"))
        return str(out.device), tuple(out.shape)

    same_everywhere(run, ("meta", shape))


def test_meta_linear_module_forward_prints_its_grad_fn():
    def run(lib):
        layer = lib.nn.Linear(3, 2, device="meta")
        return repr(layer(lib.empty(4, 3, device="meta")))

    same_everywhere(run, "tensor(..., device='meta', size=(4, 2), grad_fn=<AddmmBackward0>)")


NO_DATA = ("NotImplementedError", "Cannot copy out of meta tensor; no data!")
NO_ITEM = ("RuntimeError", "Tensor.item() cannot be called on meta tensors")
NO_NUMPY = ("TypeError", "can't convert meta device type tensor to numpy. Use Tensor.cpu() "
                         "to copy the tensor to host memory first.")
ERRORS = {
    "item": (lambda e: e[0].item(), NO_ITEM),
    "item of 3": (lambda e: e.item(),
                  ("RuntimeError", "a Tensor with 3 elements cannot be converted to Scalar")),
    "float": (lambda e: float(e[0]), NO_ITEM),
    "int": (lambda e: int(e[0]), NO_ITEM),
    "bool": (lambda e: bool(e[0]), NO_ITEM),
    "float of 3": (lambda e: float(e), ("ValueError", "only one element tensors can be "
                                                      "converted to Python scalars")),
    "tolist": (lambda e: e.tolist(), NO_DATA),
    "numpy": (lambda e: e.numpy(), NO_NUMPY),
    "np.asarray": (lambda e: np.asarray(e), NO_NUMPY),
    "cpu": (lambda e: e.cpu(), NO_DATA),
    "to cpu": (lambda e: e.to("cpu"), NO_DATA),
    "to cuda": (lambda e: e.to("cuda"), ("AssertionError", "Torch not compiled with CUDA enabled")),
    "copy into cpu": (lambda e: e.new_empty(0).new_ones(3, device="cpu").copy_(e), NO_DATA),
    "format": (lambda e: f"{e[0]:.3f}", ("TypeError",
                                         "unsupported format string passed to Tensor.__format__")),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_meta_values_cannot_be_read(case):
    fn, expected = ERRORS[case]
    same_everywhere(lambda lib: fn(lib.empty(3, device="meta")), expected)


def test_meta_in_place_writes_change_nothing():
    def run(lib):
        t = lib.empty(3, device="meta")
        t.zero_().fill_(2).add_(1).copy_(lib.ones(3))
        t[0] = 5
        return repr(t)

    same_everywhere(run, "tensor(..., device='meta', size=(3,))")


def test_backward_through_a_copy_to_meta_is_refused():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        x.to("meta").sum().backward()

    same_everywhere(run, NO_DATA)


# ---------------------------------------------------------------------------------------
# 3. modules


def test_module_to_meta_makes_new_parameters():
    def run(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
        weight = model[0].weight
        model.to("meta")
        return (weight is model[0].weight, type(model[0].weight).__name__,
                repr(model[0].weight), repr(model[1].running_mean),
                repr(model[1].num_batches_tracked), str(weight.device))

    same_everywhere(run, (
        False, "Parameter",
        "Parameter containing:\ntensor(..., device='meta', size=(3, 2), requires_grad=True)",
        "tensor(..., device='meta', size=(3,))",
        "tensor(..., device='meta', size=(), dtype=torch.int64)", "cpu"))


def test_ensembling_tutorial_base_model_on_meta():
    # torch.func's model-ensembling tutorial: the meta copy only gives the structure
    def run(lib):
        lib.manual_seed(0)
        models = [lib.nn.Linear(4, 3) for _ in range(3)]
        params, buffers = lib.func.stack_module_state(models)
        base = copy.deepcopy(models[0]).to("meta")

        def fmodel(params, buffers, x):
            return lib.func.functional_call(base, (params, buffers), (x,))

        x = lib.randn(5, 4)
        out = lib.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)
        direct = [m(x) for m in models]
        return (repr(base), str(base.weight.device), tuple(out.shape),
                all(lib.allclose(out[i], direct[i], atol=1e-6) for i in range(3)))

    same_everywhere(run, ("Linear(in_features=4, out_features=3, bias=True)", "meta",
                          (3, 5, 3), True))


def test_to_empty_and_reset_parameters():
    def run(lib):
        with lib.device("meta"):
            model = lib.nn.Linear(3, 2)
        model.to_empty(device="cpu")
        lib.manual_seed(0)
        model.reset_parameters()
        weight = model.weight
        return (str(weight.device), tuple(weight.shape), weight.stride(),
                type(weight).__name__, weight.requires_grad,
                [round(v, 4) for v in model.bias.tolist()])

    # the values of Linear(3, 2) made on the CPU right after manual_seed(0)
    torchlet.manual_seed(0)
    bias = [round(v, 4) for v in torchlet.nn.Linear(3, 2).bias.tolist()]
    same_everywhere(run, ("cpu", (2, 3), (3, 1), "Parameter", True, bias))


def test_load_state_dict_into_meta_module():
    def run(lib):
        state = {"weight": lib.ones(2, 3), "bias": lib.zeros(2)}
        meta = lib.nn.Linear(3, 2, device="meta")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            meta.load_state_dict(state)
        messages = [str(w.message).split(":")[0] for w in caught]
        assigned = lib.nn.Linear(3, 2, device="meta")
        assigned.load_state_dict(state, assign=True)
        return (messages, meta.weight.is_meta, str(assigned.weight.device),
                assigned.weight.tolist(), type(assigned.weight).__name__)

    same_everywhere(run, (["for weight", "for bias"], True, "cpu", [[1.0] * 3] * 2,
                          "Parameter"))


def test_deepcopy_of_meta_tensors_stays_on_meta():
    def run(lib):
        t = lib.empty(2, device="meta")
        p = lib.nn.Parameter(lib.empty(2, 2, device="meta"))
        return repr(copy.deepcopy(t)), repr(copy.deepcopy(p))

    same_everywhere(run, ("tensor(..., device='meta', size=(2,))",
                          "Parameter containing:\n"
                          "tensor(..., device='meta', size=(2, 2), requires_grad=True)"))
