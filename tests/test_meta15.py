"""Meta tensors through the operations that build their results outside Primitive.apply,
against torch 2.13 (CPU build).

1. ``x[index]`` on a meta tensor is a meta tensor for every kind of index (the basic
   fast paths and advanced indexing with CPU or meta index tensors), checked as torch's
   meta kernel checks (no bounds; its own messages), and torch's refusals where the
   result's shape depends on values (a meta mask, a meta 0-d index).
2. sort/argsort/topk, argmax/argmin, all/any, count_nonzero, histc, isin give meta
   results; nonzero, masked_select, unique, bincount, histogram raise torch's errors.
3. bernoulli, multinomial, poisson, normal and the dropout family give meta results,
   with the graph a CPU input gets, and draw no random number; integer dropout raises
   torch's error (on the CPU after its draws, as torch).
4. fill_diagonal_ and index_put on meta; big meta tensors cost no time or memory.

Each expected answer is written out (device, shape, dtype, or the exception's type and
message) and, where torch is importable, torch is run on the same code and must give the
same. Meta tensors have no values, so every comparison is exact.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # the written-out expectations still run
    torch = None

LIBS = [torchlet] if torch is None else [torchlet, torch]


def describe(value):
    """A tensor's device, shape and dtype (tuples of them for a tuple of tensors)."""
    if isinstance(value, (torchlet.Tensor,) + (() if torch is None else (torch.Tensor,))):
        return str(value.device), tuple(value.shape), str(value.dtype)
    if isinstance(value, (tuple, list)):
        return tuple(describe(item) for item in value)
    return value


def outcome(fn, lib):
    """``fn(lib)`` described, or the (type name, message) of what it raised."""
    try:
        return describe(fn(lib))
    except Exception as error:  # noqa: BLE001 - the error is the result compared
        return type(error).__name__, str(error)


def same_everywhere(fn, expected):
    """``fn`` gives ``expected`` on torchlet and, when importable, on torch."""
    for lib in LIBS:
        assert outcome(fn, lib) == expected, lib.__name__


def meta(lib, *shape, dtype=None, requires_grad=False):
    return lib.empty(shape, device="meta", dtype=dtype, requires_grad=requires_grad)


def long_meta(lib, *shape):
    return lib.zeros(*shape, dtype=lib.long, device="meta")


def bool_meta(lib, *shape):
    return lib.zeros(*shape, dtype=lib.bool, device="meta")


F32, I64, BOOL = "torch.float32", "torch.int64", "torch.bool"

NO_ITEM = ("RuntimeError", "Tensor.item() cannot be called on meta tensors")
NONZERO = ("NotImplementedError",
           "The register_meta function for torch.nonzero() raises unimplemented by default, "
           "as a correct data-independent implementation does not exist. This implementation "
           "returns a fake value, assuming all elements of the tensor are non-zero. To enable "
           "this registration, please set "
           "'torch.fx.experimental._config.meta_nonzero_assume_all_nonzero' to True.")


def no_kernel(op):
    return ("NotImplementedError",
            f"aten::{op}: attempted to run this operator with Meta tensors, but there was no "
            "fake impl or Meta kernel registered. You may have run into this message while "
            "using an operator with PT2 compilation APIs (torch.compile/torch.export); in "
            "order to use this operator with those APIs you'll need to add a fake impl. "
            "Please see the following for next steps:  "
            "https://pytorch.org/tutorials/advanced/custom_ops_landing_page.html")


# ---------------------------------------------------------------------------------------
# 1. indexing

GETITEM = {
    "int": (lambda lib: meta(lib, 2, 3)[1], ("meta", (3,), F32)),
    "step_slice": (lambda lib: meta(lib, 4, 3)[::2], ("meta", (2, 3), F32)),
    "none": (lambda lib: meta(lib, 2, 3)[None], ("meta", (1, 2, 3), F32)),
    "ellipsis_int": (lambda lib: meta(lib, 2, 3)[..., 1], ("meta", (2,), F32)),
    "true": (lambda lib: meta(lib, 2, 3)[True], ("meta", (1, 2, 3), F32)),
    "false": (lambda lib: meta(lib, 2, 3)[False], ("meta", (0, 2, 3), F32)),
    "list": (lambda lib: meta(lib, 4, 3)[[0, 2]], ("meta", (2, 3), F32)),
    "numpy": (lambda lib: meta(lib, 4, 3)[np.array([0, 2])], ("meta", (2, 3), F32)),
    "cpu_long": (lambda lib: meta(lib, 4, 3)[lib.tensor([0, 2])], ("meta", (2, 3), F32)),
    "meta_long": (lambda lib: meta(lib, 4, 3)[long_meta(lib, 2)], ("meta", (2, 3), F32)),
    "two_meta_long": (lambda lib: meta(lib, 4, 3)[long_meta(lib, 5), long_meta(lib, 5)],
                      ("meta", (5,), F32)),
    "cpu_mask": (lambda lib: meta(lib, 4, 3)[lib.tensor([True, False, True, True])],
                 ("meta", (3, 3), F32)),
    "cpu_mask_2d": (lambda lib: meta(lib, 2, 2)[lib.tensor([[True, False], [True, True]])],
                    ("meta", (3,), F32)),
    "cpu_0d_int": (lambda lib: meta(lib, 4, 3)[lib.tensor(1)], ("meta", (3,), F32)),
    "slice_then_list": (lambda lib: meta(lib, 4, 3)[:, [0, 2]], ("meta", (4, 2), F32)),
    "apart": (lambda lib: meta(lib, 2, 3, 4)[[0, 1], :, [1, 2]], ("meta", (2, 3), F32)),
    "mixed": (lambda lib: meta(lib, 4, 3, 5)[1:, [0, 1], None], ("meta", (3, 2, 1, 5), F32)),
    "out_of_range": (lambda lib: meta(lib, 3, 3)[lib.tensor([5])], ("meta", (1, 3), F32)),
    "recorded": (lambda lib: meta(lib, 3, 3, requires_grad=True)[lib.tensor([5, 1])],
                 ("meta", (2, 3), F32)),
    "recorded_mask": (
        lambda lib: meta(lib, 3, 3, requires_grad=True)[lib.tensor([True, False, True])],
        ("meta", (2, 3), F32)),
    "recorded_list_slice": (lambda lib: meta(lib, 3, 3, requires_grad=True)[[0, 1], 1:],
                            ("meta", (2, 2), F32)),
    # the result's shape would need the values of a meta index
    "meta_mask": (lambda lib: meta(lib, 4, 3)[bool_meta(lib, 4, 3)], NONZERO),
    "meta_mask_rows": (lambda lib: meta(lib, 4, 3)[bool_meta(lib, 4)], NONZERO),
    "recorded_meta_mask": (lambda lib: meta(lib, 3, 3, requires_grad=True)[bool_meta(lib, 3)],
                           NONZERO),
    "cpu_tensor_meta_mask": (lambda lib: lib.ones(4, 3)[bool_meta(lib, 4)], NONZERO),
    "meta_0d_int": (lambda lib: meta(lib, 3, 3)[lib.tensor(1, device="meta")], NO_ITEM),
    "meta_0d_bool": (lambda lib: meta(lib, 3, 3)[lib.tensor(True, device="meta")], NO_ITEM),
    # torch's meta kernel's own checks and messages
    "float_index": (lambda lib: meta(lib, 3, 3)[lib.tensor([1.0])],
                    ("RuntimeError",
                     "tensors used as indices must be long, int, byte or bool tensors")),
    "uint8_index": (lambda lib: meta(lib, 3, 3)[lib.tensor([1, 0, 1], dtype=lib.uint8)],
                    ("RuntimeError",
                     "tensors used as indices must be long, int, byte or bool tensors")),
    "mask_shape": (lambda lib: meta(lib, 3, 3)[lib.tensor([True, False])],
                   ("IndexError", "The shape of the mask torch.Size([2]) at index 0 does not "
                    "match the shape of the indexed tensor torch.Size([3, 3]) at index 0")),
    "mask_shape_dim1": (lambda lib: meta(lib, 2, 3, 4)[:, lib.tensor([True, False])],
                        ("IndexError", "The shape of the mask torch.Size([2]) at index 1 does "
                         "not match the shape of the indexed tensor torch.Size([2, 3, 4]) at "
                         "index 1")),
    "no_broadcast": (lambda lib: meta(lib, 3, 3)[lib.tensor([0, 1]), lib.tensor([0, 1, 2])],
                     ("RuntimeError", "Attempting to broadcast a dimension of length 3 at -1! "
                      "Mismatching argument at index 1 had torch.Size([3]); but expected "
                      "shape should be broadcastable to [2]")),
    "no_broadcast_after_mask": (
        lambda lib: meta(lib, 2, 3, 4)[lib.ones(2, 3, dtype=lib.bool), lib.tensor([0, 1])],
        ("RuntimeError", "Attempting to broadcast a dimension of length 2 at -1! Mismatching "
         "argument at index 2 had torch.Size([2]); but expected shape should be "
         "broadcastable to [6]")),
}


@pytest.mark.parametrize("name", GETITEM)
def test_getitem_on_meta(name):
    fn, expected = GETITEM[name]
    same_everywhere(fn, expected)


def test_getitem_backward_gives_meta_gradients():
    def run(lib):
        grads = []
        for index in (lib.tensor([5, 1]), lib.tensor([True, False, True]), ([0, 1], 1)):
            x = meta(lib, 3, 3, requires_grad=True)
            x[index].sum().backward()
            grads.append(x.grad)
        return grads

    same_everywhere(run, (("meta", (3, 3), F32),) * 3)


def test_getitem_recorded_node_is_torch_node():
    def run(lib):
        y = meta(lib, 3, 3, requires_grad=True)[long_meta(lib, 2)]
        return y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()

    same_everywhere(run, ("IndexBackward0", "torch::autograd::AccumulateGrad"))


SETITEM = {
    # torch's meta index_put_ reads no index and checks no value
    "out_of_range": lambda lib: meta(lib, 3, 3).__setitem__(lib.tensor([5]), 1.0),
    "out_of_range_tensor": lambda lib: meta(lib, 3, 3).__setitem__(lib.tensor([5]),
                                                                   meta(lib, 3)),
    "cpu_mask": lambda lib: meta(lib, 3, 3).__setitem__(lib.ones(3, 3, dtype=lib.bool), 1.0),
    "meta_long": lambda lib: meta(lib, 3, 3).__setitem__(long_meta(lib, 2), meta(lib, 3)),
}


@pytest.mark.parametrize("name", SETITEM)
def test_setitem_on_meta_changes_nothing_and_checks_no_index(name):
    same_everywhere(SETITEM[name], None)


def test_setitem_meta_0d_index_reads_a_value():
    same_everywhere(
        lambda lib: meta(lib, 3, 3).__setitem__(lib.tensor(1, device="meta"), 1.0), NO_ITEM)


def test_setitem_with_a_meta_mask():
    same_everywhere(lambda lib: meta(lib, 3, 3).__setitem__(bool_meta(lib, 3, 3), 1.0), None)


INDEX_PUT = {
    "out_of_range": lambda lib: meta(lib, 3, 3).index_put((lib.tensor([5]),), meta(lib, 3)),
    "no_broadcast": lambda lib: meta(lib, 3, 3).index_put(
        (lib.tensor([0, 1]), lib.tensor([0, 1, 2])), meta(lib)),
    "accumulate": lambda lib: meta(lib, 3, 3).index_put((lib.tensor([5]),), meta(lib, 3),
                                                        accumulate=True),
}


@pytest.mark.parametrize("name", INDEX_PUT)
def test_index_put_on_meta_checks_no_index(name):
    same_everywhere(INDEX_PUT[name], ("meta", (3, 3), F32))


# ---------------------------------------------------------------------------------------
# 2. selections, reductions, searches

RESULTS = {
    "argsort": (lambda lib: meta(lib, 2, 3).argsort(), ("meta", (2, 3), I64)),
    "argsort_stable": (lambda lib: meta(lib, 2, 3).argsort(dim=0, stable=True),
                       ("meta", (2, 3), I64)),
    "argsort_0d": (lambda lib: meta(lib).argsort(), ("meta", (), I64)),
    "sort": (lambda lib: tuple(meta(lib, 2, 3).sort(1)), (("meta", (2, 3), F32),
                                                          ("meta", (2, 3), I64))),
    "msort": (lambda lib: lib.msort(meta(lib, 2, 3)), ("meta", (2, 3), F32)),
    "topk": (lambda lib: tuple(meta(lib, 2, 5).topk(2)), (("meta", (2, 2), F32),
                                                          ("meta", (2, 2), I64))),
    "topk_bool": (lambda lib: meta(lib, 2, 3, dtype=lib.bool).topk(2)[1],
                  ("meta", (2, 2), I64)),
    "topk_0d": (lambda lib: meta(lib).topk(1)[0], ("meta", (), F32)),
    "topk_k_too_big": (lambda lib: meta(lib, 2, 3).topk(4),
                       ("RuntimeError", "k not in range for dimension")),
    "topk_k_negative": (lambda lib: meta(lib, 2, 3).topk(-1),
                        ("RuntimeError", "Expected cond to be True, but got False. (Could this "
                         "error message be improved? If so, please report an enhancement "
                         "request to PyTorch.)")),
    "argmax": (lambda lib: meta(lib, 2, 3).argmax(), ("meta", (), I64)),
    "argmax_keepdim": (lambda lib: meta(lib, 2, 3).argmax(keepdim=True), ("meta", (1, 1), I64)),
    "argmin_dim": (lambda lib: meta(lib, 2, 3).argmin(1, keepdim=True), ("meta", (2, 1), I64)),
    "argmax_bool": (lambda lib: meta(lib, 2, 3, dtype=lib.bool).argmax(1), ("meta", (2,), I64)),
    "argmax_empty": (lambda lib: meta(lib, 0, 3).argmax(),
                     ("RuntimeError",
                      "argmax: Expected reduction dim to be specified for input.numel() == 0.")),
    "argmax_empty_dim": (lambda lib: meta(lib, 0, 3).argmax(0),
                         ("IndexError", "argmax: Expected reduction dim 0 to have non-zero "
                          "size.")),
    "argmax_other_dim": (lambda lib: meta(lib, 0, 3).argmax(1), ("meta", (0,), I64)),
    "all": (lambda lib: meta(lib, 2, 3).all(), ("meta", (), BOOL)),
    "all_dim": (lambda lib: meta(lib, 2, 3).all(1), ("meta", (2,), BOOL)),
    "any_dims_keepdim": (lambda lib: meta(lib, 2, 3).any(dim=(0, 1), keepdim=True),
                         ("meta", (1, 1), BOOL)),
    "any_no_dims": (lambda lib: meta(lib, 2, 3).any(()), ("meta", (2, 3), BOOL)),
    "all_uint8": (lambda lib: meta(lib, 2, 3, dtype=lib.uint8).all(1),
                  ("meta", (2,), "torch.uint8")),
    "all_repeated_dim": (lambda lib: meta(lib, 2, 3).all((0, 0)),
                         ("RuntimeError", "duplicate value in the list of dims")),
    "count_nonzero": (lambda lib: lib.count_nonzero(meta(lib, 2, 3)), ("meta", (), I64)),
    "count_nonzero_dims": (lambda lib: lib.count_nonzero(meta(lib, 2, 3, 4), dim=(0, 2)),
                           ("meta", (3,), I64)),
    "count_nonzero_repeated": (lambda lib: meta(lib, 2, 3).count_nonzero((0, -2)),
                               ("RuntimeError", "duplicate value in the list of dims")),
    "histc": (lambda lib: lib.histc(meta(lib, 3)), ("meta", (100,), F32)),
    "histc_long": (lambda lib: lib.histc(meta(lib, 3, dtype=lib.long), 4, 1, 1),
                   ("meta", (4,), I64)),
    "histc_no_bins": (lambda lib: lib.histc(meta(lib, 3), -1),
                      ("RuntimeError", "histc(): bins must be > 0, but got -1")),
    "histc_range": (lambda lib: lib.histc(meta(lib, 3), 4, 2, 1),
                    ("RuntimeError", "histc(): max must be larger than min")),
    "isin": (lambda lib: lib.isin(meta(lib, 2, 3), meta(lib, 5)), ("meta", (2, 3), BOOL)),
    "isin_cpu_test": (lambda lib: lib.isin(meta(lib, 3), lib.ones(2), invert=True),
                      ("meta", (3,), BOOL)),
    "isin_number": (lambda lib: lib.isin(2.0, meta(lib, 3)), ("meta", (), BOOL)),
    "isin_cpu_elements": (lambda lib: lib.isin(lib.ones(2), meta(lib, 3)), ("cpu", (2,), BOOL)),
    "isin_bool": (lambda lib: lib.isin(lib.ones(2, dtype=lib.bool), meta(lib, 3)),
                  ("RuntimeError", "Unsupported input type encountered for isin(): torch.bool")),
}


@pytest.mark.parametrize("name", RESULTS)
def test_results_and_checks_of_meta_kernels(name):
    fn, expected = RESULTS[name]
    same_everywhere(fn, expected)


REFUSED = {
    "nonzero": (lambda lib: meta(lib, 2, 3).nonzero(), NONZERO),
    "nonzero_tuple": (lambda lib: meta(lib, 2, 3).nonzero(as_tuple=True), NONZERO),
    "argwhere": (lambda lib: lib.argwhere(meta(lib, 2, 3)), NONZERO),
    "where_condition": (lambda lib: lib.where(meta(lib, 2, 3)), NONZERO),
    "masked_select": (lambda lib: lib.masked_select(meta(lib, 2, 3), bool_meta(lib, 2, 3)),
                      no_kernel("masked_select")),
    "masked_select_meta_mask": (
        lambda lib: lib.masked_select(lib.ones(2, 3), bool_meta(lib, 2, 3)),
        no_kernel("masked_select")),
    "unique": (lambda lib: lib.unique(meta(lib, 2, 3)), no_kernel("_unique2")),
    "unique_inverse": (lambda lib: meta(lib, 2, 3).unique(return_inverse=True),
                       no_kernel("_unique2")),
    "unique_dim": (lambda lib: lib.unique(meta(lib, 2, 3), dim=0), no_kernel("unique_dim")),
    "unique_consecutive": (lambda lib: lib.unique_consecutive(meta(lib, 2, 3)),
                           no_kernel("unique_consecutive")),
    "unique_consecutive_dim": (lambda lib: lib.unique_consecutive(meta(lib, 2, 3), dim=1),
                               no_kernel("unique_consecutive")),
    "bincount": (lambda lib: lib.bincount(long_meta(lib, 3)), no_kernel("bincount")),
    "bincount_weights": (lambda lib: lib.bincount(lib.ones(3, dtype=lib.long), meta(lib, 3)),
                         no_kernel("bincount")),
    "histogram": (lambda lib: lib.histogram(meta(lib, 3), 4), no_kernel("histogram.bin_ct")),
    "histogram_edges": (lambda lib: lib.histogram(lib.ones(3), meta(lib, 4)),
                        no_kernel("histogram.bins_tensor")),
}


@pytest.mark.parametrize("name", REFUSED)
def test_data_dependent_operations_refuse_meta(name):
    fn, expected = REFUSED[name]
    same_everywhere(fn, expected)


# ---------------------------------------------------------------------------------------
# 3. random numbers: none drawn for a meta tensor


def _state(lib):
    return lib.random.get_rng_state().clone()


def same_and_nothing_drawn(fn, expected):
    """``fn`` gives ``expected`` everywhere and leaves the default generator as it was."""
    for lib in LIBS:
        lib.manual_seed(0)
        before = _state(lib)
        assert outcome(fn, lib) == expected, lib.__name__
        assert lib.equal(before, _state(lib)), lib.__name__


SAMPLERS = {
    "bernoulli": (lambda lib: lib.bernoulli(meta(lib, 2, 3)), ("meta", (2, 3), F32)),
    "bernoulli_p": (lambda lib: lib.bernoulli(meta(lib, 2, 3), 0.3), ("meta", (2, 3), F32)),
    "bernoulli_bad_p": (lambda lib: lib.bernoulli(meta(lib, 2, 3), 1.5), ("meta", (2, 3), F32)),
    "bernoulli_long": (lambda lib: lib.bernoulli(meta(lib, 2, dtype=lib.long)),
                       ("meta", (2,), I64)),
    "bernoulli_out": (lambda lib: lib.bernoulli(meta(lib, 2, 3), out=meta(lib, 2, 3)),
                      ("meta", (2, 3), F32)),
    "multinomial": (lambda lib: lib.multinomial(meta(lib, 2, 3), 2), ("meta", (2, 2), I64)),
    "multinomial_1d": (lambda lib: lib.multinomial(meta(lib, 3), 5, True), ("meta", (5,), I64)),
    "multinomial_3d": (lambda lib: lib.multinomial(meta(lib, 2, 2, 2), 2),
                       ("RuntimeError", "The probability distributions dimensions must be 1 "
                        "or 2, but got 3")),
    "multinomial_negative": (lambda lib: lib.multinomial(meta(lib, 2, 3), -1),
                             ("RuntimeError", "Trying to create tensor with negative dimension "
                              "-1: [2, -1]")),
    "poisson": (lambda lib: lib.poisson(meta(lib, 2, 3)), ("meta", (2, 3), F32)),
    "normal_tensors": (lambda lib: lib.normal(meta(lib, 2, 3), meta(lib, 3)),
                       ("meta", (2, 3), F32)),
    "normal_std_number": (lambda lib: lib.normal(meta(lib, 2, 3), 1.0), ("meta", (2, 3), F32)),
    "normal_mean_number": (lambda lib: lib.normal(0.0, meta(lib, 2, 3, dtype=lib.float64)),
                           ("meta", (2, 3), "torch.float64")),
    "normal_long_std": (lambda lib: lib.normal(1.0, meta(lib, 2, dtype=lib.long)),
                        ("meta", (2,), F32)),
    "normal_long_mean": (lambda lib: lib.normal(meta(lib, 2, dtype=lib.long), 1.0),
                         ("RuntimeError", "expected a floating-point or complex dtype, but got "
                          "dtype=torch.int64")),
    "normal_negative_std": (lambda lib: lib.normal(meta(lib, 2), -1.0),
                            ("RuntimeError", "normal expects std >= 0.0, but found std -1.0")),
    "normal_cpu_std": (lambda lib: lib.normal(meta(lib, 2, 3), lib.ones(3)),
                       ("RuntimeError", "Tensor on device meta is not on the expected device "
                        "cpu!")),
    "normal_no_broadcast": (lambda lib: lib.normal(meta(lib, 2, 3), meta(lib, 3, 2)),
                            ("RuntimeError", "Attempting to broadcast a dimension of length 2 "
                             "at -1! Mismatching argument at index 1 had torch.Size([3, 2]); "
                             "but expected shape should be broadcastable to [2, 3]")),
}


@pytest.mark.parametrize("name", SAMPLERS)
def test_samplers_on_meta_draw_nothing(name):
    fn, expected = SAMPLERS[name]
    same_and_nothing_drawn(fn, expected)


def test_normal_of_a_cpu_scalar_mean_and_a_meta_std():
    """A 0-d CPU mean does not go with a meta std (torch draws its noise before it finds
    out; torchlet raises at once)."""
    same_everywhere(lambda lib: lib.normal(lib.tensor(1.0), meta(lib, 2)),
                    ("RuntimeError", "Tensor on device cpu is not on the expected device "
                     "meta!"))


def _F(lib):
    return lib.nn.functional


DROPOUTS = {
    "dropout": (lambda lib: _F(lib).dropout(meta(lib, 2, 3, requires_grad=True), 0.5),
                "MulBackward0", (2, 3)),
    "dropout_p1": (lambda lib: _F(lib).dropout(meta(lib, 2, 3, requires_grad=True), 1.0),
                   "MulBackward0", (2, 3)),
    "dropout_inplace": (
        lambda lib: _F(lib).dropout(meta(lib, 2, 3, requires_grad=True) * 1, 0.5, inplace=True),
        "MulBackward0", (2, 3)),
    "module": (lambda lib: lib.nn.Dropout(0.3)(meta(lib, 2, 3, requires_grad=True)),
               "MulBackward0", (2, 3)),
    "dropout1d": (lambda lib: _F(lib).dropout1d(meta(lib, 2, 3, 4, requires_grad=True), 0.5),
                  "MulBackward0", (2, 3, 4)),
    "dropout1d_unbatched": (
        lambda lib: _F(lib).dropout1d(meta(lib, 3, 4, requires_grad=True), 0.5),
        "SqueezeBackward1", (3, 4)),
    "dropout2d": (lambda lib: _F(lib).dropout2d(meta(lib, 2, 3, 4, 4, requires_grad=True), 0.5),
                  "MulBackward0", (2, 3, 4, 4)),
    "dropout3d_unbatched": (
        lambda lib: _F(lib).dropout3d(meta(lib, 3, 2, 2, 2, requires_grad=True), 0.5),
        "SqueezeBackward1", (3, 2, 2, 2)),
    "alpha": (lambda lib: _F(lib).alpha_dropout(meta(lib, 2, 3, requires_grad=True), 0.5, True),
              "AddBackward0", (2, 3)),
    "feature_alpha": (lambda lib: _F(lib).feature_alpha_dropout(
        meta(lib, 2, 3, 4, requires_grad=True), 0.5, True), "AddBackward0", (2, 3, 4)),
    "alpha_p1": (lambda lib: _F(lib).alpha_dropout(meta(lib, 2, 3, requires_grad=True), 1.0,
                                                   True), "MulBackward0", (2, 3)),
}


@pytest.mark.parametrize("name", DROPOUTS)
def test_dropout_on_meta_draws_nothing_and_records_torch_graph(name):
    fn, node, shape = DROPOUTS[name]
    same_and_nothing_drawn(lambda lib: (describe(fn(lib)), fn(lib).grad_fn.name()),
                           (("meta", shape, F32), node))


def test_dropout_backward_on_meta():
    def run(lib):
        x = meta(lib, 2, 3, requires_grad=True)
        _F(lib).dropout(x, 0.3).sum().backward()
        return x.grad

    same_and_nothing_drawn(run, ("meta", (2, 3), F32))


INTEGER_DROPOUT = {
    "cpu_long": (lambda lib: _F(lib).dropout(lib.ones(5, 3, dtype=lib.long), 0.5),
                 ("RuntimeError", "result type Float can't be cast to the desired output type "
                  "Long")),
    "cpu_bool": (lambda lib: _F(lib).dropout(lib.ones(5, 3, dtype=lib.bool), 0.5),
                 ("RuntimeError", "result type Float can't be cast to the desired output type "
                  "Bool")),
    "meta_long": (lambda lib: _F(lib).dropout(meta(lib, 5, 3, dtype=lib.long), 0.5),
                  ("RuntimeError", "result type torch.float32 can't be cast to the desired "
                   "output type torch.int64")),
    "meta_alpha_int": (
        lambda lib: _F(lib).alpha_dropout(meta(lib, 5, 3, dtype=lib.int32), 0.5, True),
        ("RuntimeError", "Promotion of int.add/sub_(float) in in-place ops are not possible "
         "due to element size change.")),
}


@pytest.mark.parametrize("name", INTEGER_DROPOUT)
def test_integer_dropout_is_refused(name):
    fn, expected = INTEGER_DROPOUT[name]
    same_everywhere(fn, expected)


def test_cpu_integer_dropout_draws_before_it_fails():
    """torch draws the noise (one number per element) before dividing it fails."""
    # torch.rand(3) after 15 draws from seed 0 (seed 0's first: 0.4962566...)
    expected = [0.3051000237464905, 0.9320003986358643, 0.17591017484664917]
    for lib in LIBS:
        lib.manual_seed(0)
        with pytest.raises(RuntimeError):
            _F(lib).dropout(lib.ones(5, 3, dtype=lib.long), 0.5)
        assert lib.rand(3).tolist() == expected, lib.__name__


def test_unbatched_in_place_channel_dropout_is_squeezed_in_place():
    """torch's dropout1d/3d of an unbatched input with inplace=True: unsqueeze_, the
    dropout, squeeze_ (SqueezeBackward4, three version bumps), x itself returned."""
    def run(lib):
        lib.manual_seed(0)
        x = lib.ones(3, 4, requires_grad=True) * 1
        out = _F(lib).dropout1d(x, 0.5, inplace=True)
        return out is x, out.grad_fn.name(), tuple(out.shape), x._version, out.sum().item()

    same_everywhere(run, (True, "SqueezeBackward4", (3, 4), 3, 8.0))


# ---------------------------------------------------------------------------------------
# 4. fill_diagonal_, and no cost for big meta tensors


def test_fill_diagonal_on_meta():
    def run(lib):
        x = meta(lib, 5, 2)
        x.fill_diagonal_(1.0, wrap=True)
        y = meta(lib, 3, 3, 3, requires_grad=True) * 1
        y.fill_diagonal_(2.0)
        return describe(x), x._version, describe(y), y.grad_fn.name()

    same_everywhere(run, (("meta", (5, 2), F32), 2, ("meta", (3, 3, 3), F32),
                          "torch::autograd::CopySlices"))


def test_big_meta_tensors_cost_nothing():
    """A 40000 x 40000 meta tensor (6.4 GB on the CPU): sorting it, indexing it with an
    index tensor and reducing it with all/argmax answer at once."""
    x = torchlet.empty(40000, 40000, device="meta")
    start = time.perf_counter()
    results = [x.argsort(1), x.topk(3)[1], x[torchlet.tensor([0, 5])], x.all(1), x.argmax(0),
               torchlet.count_nonzero(x, 1), torchlet.nn.functional.dropout(x, 0.5)]
    assert time.perf_counter() - start < 2.0
    assert [tuple(r.shape) for r in results] == [(40000, 40000), (40000, 3), (2, 40000),
                                                 (40000,), (40000,), (40000,), (40000, 40000)]
    assert all(r.is_meta for r in results)


# ---------------------------------------------------------------------------------------
# equal / allclose read values; repeat_interleave needs its counts; rrelu's noise

NO_REPEAT_SIZE = ("RuntimeError", "cannot repeat_interleave a meta tensor without output_size")

VALUE_READERS = {
    "equal": (lambda lib: lib.equal(meta(lib, 2, 3), meta(lib, 2, 3)), "NotImplementedError"),
    "equal_with_cpu": (lambda lib: lib.equal(lib.ones(2, 3), meta(lib, 2, 3)),
                       "NotImplementedError"),
    "allclose": (lambda lib: lib.allclose(meta(lib, 2, 3), meta(lib, 2, 3)), NO_ITEM),
    "repeat_counts": (lambda lib: meta(lib, 2, 3).repeat_interleave(long_meta(lib, 2), dim=0),
                      NO_REPEAT_SIZE),
    "repeat_counts_sized": (
        lambda lib: meta(lib, 2, 3).repeat_interleave(long_meta(lib, 2), dim=0, output_size=5),
        ("meta", (5, 3), F32)),
    "repeat_indices": (lambda lib: lib.repeat_interleave(long_meta(lib, 2)), NO_REPEAT_SIZE),
    "repeat_indices_sized": (lambda lib: lib.repeat_interleave(long_meta(lib, 2), output_size=4),
                             ("meta", (4,), I64)),
    "rrelu_training": (lambda lib: lib.nn.functional.rrelu(meta(lib, 2, 3), training=True),
                       ("meta", (2, 3), F32)),
}


@pytest.mark.parametrize("name", VALUE_READERS)
def test_operations_that_read_values_on_meta(name):
    fn, expected = VALUE_READERS[name]
    if isinstance(expected, str):  # (the type; torch's message is long)
        for lib in LIBS:
            assert outcome(fn, lib)[0] == expected, lib.__name__
        assert "no fake impl or Meta kernel" in outcome(fn, torchlet)[1]
    else:
        same_everywhere(fn, expected)


def test_rrelu_on_meta_draws_nothing_and_records_torchs_node():
    for lib in LIBS:
        state = lib.random.get_rng_state()
        x = meta(lib, 2, 3, requires_grad=True)
        y = lib.nn.functional.rrelu(x, training=True)
        assert y.grad_fn.name() == "RreluWithNoiseBackward0"
        assert lib.equal(lib.random.get_rng_state(), state)
        y.sum().backward()
        assert x.grad.device.type == "meta"
