"""Specs for the small top-level names and Tensor methods of torchlet/_ops/misc_api.py,
histogramdd.py and tensor_misc.py: unsafe_split/unsafe_chunk/unsafe_split_with_sizes,
as_strided_, as_strided_scatter, native_dropout, nonzero_static, histogramdd, range,
frombuffer, detach/detach_, dim_order, resize, to_dense, new_empty_strided, and their
errors.

Bit-exact: everything that moves data or counts (the splits, as_strided_/_scatter,
nonzero_static, histogramdd's edges and counts, range, frombuffer), and native_dropout,
whose mask comes from torch's generator and whose output is input * mask * float(scale),
one rounding as in torch. Within float rounding: gradients where as_strided_ windows
overlap (several gradient values added into one element), and histogramdd with
``density`` (torch divides by ``hist.sum()``, whose summation order may differ).

as_strided_scatter is compared with torch's own gradients but not gradchecked: torch's
formula for ``input`` keeps the gradient at the scattered positions instead of zeroing
them (a known torch bug, torchlet follows it), so finite differences disagree in torch too.
"""

import numpy as np
from opspec import A, ErrorSpec, Spec

_SUMS = dict(grad_rtol=1e-5, grad_atol=1e-6)
_NO_GRAD = dict(grad=False)
_TORCH_GRAD_ONLY = dict(gradcheck=False, gradgradcheck=False)
I64 = dict(dtype="int64", kind="int", low=0, high=2)


def _spec(name, fn, *args, **kw):
    return Spec(name, fn, args or (A(5, 3),), exact=True, **kw)


def _hist(result):
    """hist and every bin-edge tensor, as a flat tuple of outputs."""
    return (result.hist, *result.bin_edges)


def _seeded_dropout(p, train=True):
    def fn(t, x):
        t.manual_seed(0)
        return t.native_dropout(x, p, train)
    return fn


def _edges(t, x):
    """Bin edges for a (M, 2) float input: uneven ones, in the input's dtype."""
    return [t.tensor([-2.0, -0.5, 0.0, 0.25, 2.0], dtype=x.dtype),
            t.tensor([-1.0, 1.0, 1.5], dtype=x.dtype)]


def _buffer():
    return bytearray(np.arange(6, dtype=np.float32).tobytes())


SPECS = [
    # unsafe splits: split's values and gradients, torch's node names
    _spec("mapi/unsafe_split", lambda t, x: t.unsafe_split(x, 2)),
    _spec("mapi/unsafe_split/dim1", lambda t, x: x.unsafe_split(2, dim=1)),
    _spec("mapi/unsafe_split_with_sizes", lambda t, x: t.unsafe_split_with_sizes(x, [1, 4])),
    _spec("mapi/unsafe_split_with_sizes/dim1",
          lambda t, x: x.unsafe_split_with_sizes([2, 1], 1)),
    _spec("mapi/unsafe_chunk", lambda t, x: t.unsafe_chunk(x, 2)),
    _spec("mapi/unsafe_chunk/dim1", lambda t, x: x.unsafe_chunk(3, 1)),
    _spec("mapi/unsafe_chunk/neg_dim", lambda t, x: x.unsafe_chunk(2, -1), A(2, 3, 4)),
    # as_strided_ on a non-leaf (AsStridedBackward1), as_strided_scatter
    _spec("mapi/as_strided_", lambda t, x: (x * 1).as_strided_((2, 2), (1, 2), 1), A(3, 3),
          **_SUMS),
    _spec("mapi/as_strided_/overlap", lambda t, x: t.as_strided_(x * 2, (3, 2), (1, 1)),
          A(6), **_SUMS),
    # (a view reaching outside itself: torch's gradient drops the outside part, so
    # finite differences disagree in torch too; compared with torch's gradient only)
    _spec("mapi/as_strided_/view", lambda t, x: (x * 1)[1].as_strided_((2,), (4,), 0),
          A(3, 4), **_SUMS, **_TORCH_GRAD_ONLY),
    _spec("mapi/as_strided_scatter",
          lambda t, x, s: t.as_strided_scatter(x, s, (2, 2), (1, 2), 1), A(3, 3), A(2, 2),
          **_TORCH_GRAD_ONLY),
    _spec("mapi/as_strided_scatter/method",
          lambda t, x, s: x.as_strided_scatter(s, (2, 3), (3, 1)), A(4, 3), A(2, 3),
          **_TORCH_GRAD_ONLY),
    _spec("mapi/as_strided_scatter/int",
          lambda t, x, s: t.as_strided_scatter(x, s, (2,), (3,)),
          A(3, 3, dtype="int64", kind="int", low=-9, high=9),
          A(2, dtype="int64", kind="int", low=-9, high=9)),
    # native_dropout: the generator's draws, output and bool mask, its backward
    _spec("mapi/native_dropout", _seeded_dropout(0.3), A(6, 5)),
    _spec("mapi/native_dropout/f64", _seeded_dropout(0.5), A(4, 5, dtype="float64")),
    _spec("mapi/native_dropout/p1", _seeded_dropout(1.0), A(3, 4)),
    _spec("mapi/native_dropout/p0", _seeded_dropout(0.0), A(3, 4)),
    _spec("mapi/native_dropout/eval", _seeded_dropout(0.5, False), A(3, 4)),
    _spec("mapi/native_dropout/eval_int", _seeded_dropout(0.5, False),
          A(5, dtype="int64", kind="int", low=-9, high=9)),
    # nonzero_static: padded, cut short, empty, bool and 0-d inputs
    _spec("mapi/nonzero_static/pad", lambda t, x: t.nonzero_static(x, size=20), A(3, 4, **I64)),
    _spec("mapi/nonzero_static/cut", lambda t, x: x.nonzero_static(size=2, fill_value=7),
          A(3, 4, **I64)),
    _spec("mapi/nonzero_static/zero", lambda t, x: t.nonzero_static(x, size=0), A(3, **I64)),
    _spec("mapi/nonzero_static/bool", lambda t, x: t.nonzero_static(x, size=6),
          A(2, 2, 2, dtype="bool", kind="bool")),
    _spec("mapi/nonzero_static/0d", lambda t, x: t.nonzero_static(x.sum(), size=3),
          A(3, **I64)),
    _spec("mapi/nonzero_static/float", lambda t, x: t.nonzero_static(x, size=8),
          A(4, 3, kind="special"), **_NO_GRAD),
    # histogramdd: counts, ranges, weights, density, given edges, points on edges
    _spec("mapi/histogramdd/int_bins", lambda t, x: _hist(t.histogramdd(x, bins=[3, 4])),
          A(40, 2), **_NO_GRAD),
    _spec("mapi/histogramdd/one_int", lambda t, x: _hist(t.histogramdd(x, 5)), A(30, 3),
          **_NO_GRAD),
    _spec("mapi/histogramdd/f64", lambda t, x: _hist(t.histogramdd(x, bins=(2, 7))),
          A(50, 2, dtype="float64"), **_NO_GRAD),
    _spec("mapi/histogramdd/3d_input", lambda t, x: _hist(t.histogramdd(x, bins=[4, 2])),
          A(4, 5, 2), **_NO_GRAD),
    _spec("mapi/histogramdd/on_edges", lambda t, x: _hist(t.histogramdd(x, bins=[4, 3])),
          A(60, 2, dtype="float32", kind="int", low=-4, high=5), **_NO_GRAD),
    _spec("mapi/histogramdd/range_special",
          lambda t, x: _hist(t.histogramdd(x, bins=[2, 3], range=[-5.0, 5.0, -200.0, 200.0])),
          A(21, 2, kind="special"), **_NO_GRAD),
    _spec("mapi/histogramdd/weight",
          lambda t, x, w: _hist(t.histogramdd(x, bins=[3, 3], weight=w)), A(30, 2), A(30),
          **_NO_GRAD),
    Spec("mapi/histogramdd/density",
         lambda t, x: _hist(t.histogramdd(x, bins=[3, 2], density=True)), (A(30, 2),),
         rtol=1e-6, atol=0, grad=False),
    _spec("mapi/histogramdd/edges",
          lambda t, x: _hist(t.histogramdd(x, bins=_edges(t, x))), A(40, 2), **_NO_GRAD),
    _spec("mapi/histogramdd/edges_weight_density",
          lambda t, x, w: _hist(t.histogramdd(x, bins=_edges(t, x), weight=w, density=True)),
          A(40, 2, dtype="float64"), A(40, dtype="float64", kind="positive"), **_NO_GRAD),
    _spec("mapi/histogramdd/edges_on_edges",
          lambda t, x: _hist(t.histogramdd(x, bins=_edges(t, x))),
          A(40, 2, dtype="float32", kind="int", low=-2, high=3), **_NO_GRAD),
    _spec("mapi/histogramdd/constant",
          lambda t, x: _hist(t.histogramdd(x * 0 + 1, bins=2)), A(4, 2), **_NO_GRAD),
    _spec("mapi/histogramdd/empty",
          lambda t, x: _hist(t.histogramdd(x[:0], bins=[2, 2])), A(4, 2), **_NO_GRAD),
    # range (deprecated; end included), frombuffer
    Spec("mapi/range", lambda t: t.range(1, 4), (), exact=True),
    Spec("mapi/range/float_step", lambda t: t.range(0, 1, 0.1), (), exact=True),
    Spec("mapi/range/f64", lambda t: t.range(-1, 2.5, 0.3, dtype=t.float64), (), exact=True),
    Spec("mapi/range/f16", lambda t: t.range(0, 2, 0.1, dtype=t.float16), (), exact=True),
    Spec("mapi/range/int", lambda t: t.range(0.5, 7, 2, dtype=t.int64), (), exact=True),
    Spec("mapi/range/down", lambda t: t.range(3, 0, -0.5), (), exact=True),
    Spec("mapi/frombuffer", lambda t: t.frombuffer(_buffer(), dtype=t.float32), (),
         exact=True),
    Spec("mapi/frombuffer/offset_count",
         lambda t: t.frombuffer(_buffer(), dtype=t.int16, count=3, offset=6), (), exact=True),
    # detach / detach_, resize, to_dense, dim_order, new_empty_strided
    _spec("mapi/detach", lambda t, x: (t.detach(x * 2), x * 3)),
    _spec("mapi/detach_", lambda t, x: t.detach_(x * 2)),
    _spec("mapi/resize", lambda t, x: x.resize(3, 5), A(15)),
    _spec("mapi/resize/transposed", lambda t, x: x.t().resize(15), A(5, 3)),
    _spec("mapi/resize_as", lambda t, x, y: x.resize_as(y), A(6), A(2, 3, grad=False)),
    _spec("mapi/to_dense", lambda t, x: (x.to_dense(), x.to_dense(t.float64))),
    _spec("mapi/dim_order", lambda t, x: x.permute(2, 0, 1).dim_order(), A(2, 3, 4)),
    _spec("mapi/dim_order/sliced", lambda t, x: x.transpose(0, 2)[::2].dim_order(),
          A(3, 4, 5)),
    _spec("mapi/new_empty_strided",
          lambda t, x: x.new_empty_strided((2, 3), (1, 2), dtype=t.float64).stride()),
]

ERROR_SPECS = [
    # frombuffer
    ErrorSpec("mapi/err/frombuffer_not_buffer", lambda t: t.frombuffer([1, 2], dtype=t.int32),
              match="buffer protocol"),
    ErrorSpec("mapi/err/frombuffer_empty", lambda t: t.frombuffer(bytearray(), dtype=t.int32),
              match=r"both buffer length \(0\) and count \(-1\) must not be 0"),
    ErrorSpec("mapi/err/frombuffer_offset",
              lambda t: t.frombuffer(bytearray(8), dtype=t.int32, offset=8),
              match=r"offset \(8 bytes\) must be non-negative"),
    ErrorSpec("mapi/err/frombuffer_multiple",
              lambda t: t.frombuffer(bytearray(10), dtype=t.int32),
              match=r"must be a multiple of element size \(4\)"),
    ErrorSpec("mapi/err/frombuffer_count",
              lambda t: t.frombuffer(bytearray(8), dtype=t.int32, count=3),
              match=r"requested buffer length \(3 \* 4 bytes\)"),
    # range
    ErrorSpec("mapi/err/range_step0", lambda t: t.range(0, 1, 0), match="step must be nonzero"),
    ErrorSpec("mapi/err/range_sign", lambda t: t.range(1, 0),
              match="upper bound and lower bound inconsistent with step sign"),
    ErrorSpec("mapi/err/range_inf", lambda t: t.range(0, float("inf")),
              match=r"unsupported range: 0 -> inf"),
    ErrorSpec("mapi/err/range_bool", lambda t: t.range(0, 3, dtype=t.bool),
              match="not implemented for 'Bool'"),
    # nonzero_static
    ErrorSpec("mapi/err/nonzero_static_neg", lambda t: t.nonzero_static(t.ones(3), size=-1),
              match="'size' must be an non-negative integer"),
    ErrorSpec("mapi/err/nonzero_static_float",
              lambda t: t.nonzero_static(t.ones(3), size=2.0), match="must be int, not float"),
    ErrorSpec("mapi/err/nonzero_static_bool",
              lambda t: t.nonzero_static(t.ones(3), size=True), match="must be int, not bool"),
    ErrorSpec("mapi/err/nonzero_static_fill",
              lambda t: t.ones(3).nonzero_static(size=1, fill_value=0.5),
              match="'fill_value' must be int, not float"),
    # unsafe splits
    ErrorSpec("mapi/err/unsafe_split_0", lambda t: t.unsafe_split(t.ones(5), 0),
              match="split_size can only be 0 if dimension size is 0"),
    ErrorSpec("mapi/err/unsafe_split_list", lambda t: t.unsafe_split(t.ones(5), [1, 4]),
              match="must be int, not list"),
    ErrorSpec("mapi/err/unsafe_chunk_0", lambda t: t.unsafe_chunk(t.ones(5), 0),
              match="chunk expects `chunks` to be greater than 0, got: 0"),
    ErrorSpec("mapi/err/unsafe_split_sizes",
              lambda t: t.unsafe_split_with_sizes(t.ones(5, 2), [1, 3]),
              match="split_with_sizes expects split_sizes to sum exactly to 5"),
    ErrorSpec("mapi/err/unsafe_split_0d", lambda t: t.unsafe_split(t.tensor(1.0), 1),
              match="split expects at least a 1-dimensional tensor"),
    # native_dropout, native_norm
    ErrorSpec("mapi/err/native_dropout_p", lambda t: t.native_dropout(t.ones(3), 1.5, True),
              match=r"bernoulli_ expects p to be in \[0, 1\], but got p=-0.5"),
    ErrorSpec("mapi/err/native_dropout_int",
              lambda t: t.native_dropout(t.ones(3, dtype=t.int64), 0.3, True),
              match="result type Float can't be cast to the desired output type Long"),
    ErrorSpec("mapi/err/native_norm", lambda t: t.native_norm(t.ones(3)),
              match="Could not run 'aten::native_norm' with arguments from the 'CPU' backend"),
    ErrorSpec("mapi/err/native_norm_dim",
              lambda t: t.native_norm(t.ones(3, 2), 2, [1], False, None),
              match="aten::native_norm"),
    ErrorSpec("mapi/err/native_norm_p_none", lambda t: t.native_norm(t.ones(3), None),
              match="must be Number, not NoneType"),
    # histogramdd
    ErrorSpec("mapi/err/histogramdd_1d", lambda t: t.histogramdd(t.ones(5), bins=2),
              match="input tensor should have at least 2 dimensions"),
    ErrorSpec("mapi/err/histogramdd_int", lambda t: t.histogramdd(t.ones(5, 2).int(), bins=2),
              match="\"histogramdd\" not implemented for 'Int'"),
    ErrorSpec("mapi/err/histogramdd_int_range",
              lambda t: t.histogramdd(t.ones(5, 2).int(), bins=2, range=[0.0, 1.0, 0.0, 1.0]),
              match="\"histogram_cpu\" not implemented for 'Int'"),
    ErrorSpec("mapi/err/histogramdd_range_len",
              lambda t: t.histogramdd(t.ones(5, 2), bins=[2, 2], range=[0.0, 1.0]),
              match="for a 2-dimensional histogram range should have 4 elements, but got 2"),
    ErrorSpec("mapi/err/histogramdd_min_max",
              lambda t: t.histogramdd(t.ones(5, 2), bins=2, range=[1.0, 0.0, 0.0, 1.0]),
              match="min should not exceed max, but got min 1 max 0 for dimension 0"),
    ErrorSpec("mapi/err/histogramdd_nan",
              lambda t: t.histogramdd(t.tensor([[0.0, float("nan")]]), bins=2),
              match=r"dimension 1's range \[nan, nan\] is not finite"),
    ErrorSpec("mapi/err/histogramdd_bins_size", lambda t: t.histogramdd(t.ones(5, 2), bins=[2]),
              match="The size of bins must be equal to the innermost dimension"),
    ErrorSpec("mapi/err/histogramdd_bins_0", lambda t: t.histogramdd(t.ones(5, 2), bins=[0, 2]),
              match=r"bins must be > 0, but got 0 for dimension 0"),
    ErrorSpec("mapi/err/histogramdd_bins_neg",
              lambda t: t.histogramdd(t.ones(5, 2), bins=[2, -1]),
              match="at least 1 element, but got 0 elements in the bins tensor for dimension 1"),
    ErrorSpec("mapi/err/histogramdd_weight_shape",
              lambda t: t.histogramdd(t.ones(5, 2), bins=2, weight=t.ones(3)),
              match=r"got input with shape \[5, 2\] and weight with shape \[3\]"),
    ErrorSpec("mapi/err/histogramdd_weight_dtype",
              lambda t: t.histogramdd(t.ones(5, 2), bins=2, weight=t.ones(5).double()),
              match=r"input\(float\), and weight\(double\)"),
    ErrorSpec("mapi/err/histogramdd_edges_count",
              lambda t: t.histogramdd(t.ones(5, 2), bins=[t.tensor([0.0, 1.0])]),
              match="expected 2 sequences of bin edges for a 2-dimensional histogram but got 1"),
    ErrorSpec("mapi/err/histogramdd_edges_dtype",
              lambda t: t.histogramdd(t.ones(5, 2), bins=[t.ones(2), t.ones(2).double()]),
              match="bins for dimension 1 with dtype double"),
    ErrorSpec("mapi/err/histogramdd_edges_2d",
              lambda t: t.histogramdd(t.ones(5, 2), bins=[t.ones(2), t.ones(2, 2)]),
              match="bins tensor should have one dimension, but got 2 dimensions"),
    ErrorSpec("mapi/err/histogramdd_edges_one",
              lambda t: t.histogramdd(t.ones(5, 2), bins=[t.ones(2), t.ones(1)]),
              match=r"bins must be > 0, but got 0 for dimension 1"),
    ErrorSpec("mapi/err/histogramdd_bins_float",
              lambda t: t.histogramdd(t.ones(5, 2), bins=2.5)),
    ErrorSpec("mapi/err/histogramdd_bins_tensor",
              lambda t: t.histogramdd(t.ones(5, 1), bins=t.tensor([0.0, 1.0]))),
    # as_strided_, as_strided_scatter
    ErrorSpec("mapi/err/as_strided_leaf",
              lambda t: t.ones(4, requires_grad=True).as_strided_((2,), (1,)),
              match="a leaf Variable that requires grad is being used in an in-place"),
    ErrorSpec("mapi/err/as_strided_oob", lambda t: t.ones(6).as_strided_((3, 3), (3, 1)),
              match=r"requiring a storage size of 36 are out of bounds for storage of size 24"),
    ErrorSpec("mapi/err/as_strided_scatter_size",
              lambda t: t.as_strided_scatter(t.zeros(3, 3), t.ones(3), (2, 2), (1, 2)),
              match=r"src size = \[3\], slice size = \[2, 2\]"),
    ErrorSpec("mapi/err/as_strided_scatter_noncontig",
              lambda t: t.as_strided_scatter(t.zeros(3, 3, requires_grad=True).t(), t.ones(2, 2),
                                             (2, 2), (1, 2)),
              match="as_strided_scatter is currently only supported for contiguous inputs"),
    ErrorSpec("mapi/err/as_strided_scatter_overlap",
              lambda t: t.as_strided_scatter(t.zeros(3, 3), t.ones(2, 2), (2, 2), (0, 1)),
              match="more than one element of the written-to tensor refers to a single"),
    ErrorSpec("mapi/err/as_strided_scatter_oob",
              lambda t: t.as_strided_scatter(t.zeros(2, 2), t.ones(3, 3), (3, 3), (3, 1)),
              match="out of bounds for storage of size 16"),
    # apply_, map_, map2_
    ErrorSpec("mapi/err/apply_grad",
              lambda t: t.ones(2, requires_grad=True).apply_(lambda v: v),
              match=r"Can't call apply_\(\) on Variable that requires grad"),
    ErrorSpec("mapi/err/apply_str", lambda t: t.ones(2, dtype=t.int64).apply_(lambda v: "a"),
              match="'str' object cannot be interpreted as an integer"),
    ErrorSpec("mapi/err/apply_none", lambda t: t.ones(2).apply_(lambda v: None),
              match="must be real number, not NoneType"),
    ErrorSpec("mapi/err/apply_overflow",
              lambda t: t.ones(2, dtype=t.uint8).apply_(lambda v: 300),
              match="value cannot be converted to type uint8 without overflow"),
    ErrorSpec("mapi/err/map_dtype",
              lambda t: t.ones(2).map_(t.ones(2, dtype=t.int64), lambda a, b: a),
              match=r"map_: expected torch.FloatTensor for 'other' \(got torch.LongTensor\)"),
    ErrorSpec("mapi/err/map_grad",
              lambda t: t.ones(2).map_(t.ones(2, requires_grad=True), lambda a, b: a),
              match=r"Can't call map_\(\) on Variable that requires grad"),
    ErrorSpec("mapi/err/map_expand", lambda t: t.ones(1).map_(t.ones(2), lambda a, b: a),
              match="The expanded size of the tensor"),
    ErrorSpec("mapi/err/map2_dtype",
              lambda t: t.ones(2).map2_(t.ones(2), t.ones(2).double(), lambda a, b, c: a),
              match=r"map2_: expected torch.FloatTensor for argument 'y'"),
    # memory and layout queries, resize, grad_dtype, detach
    ErrorSpec("mapi/err/pin_memory", lambda t: t.ones(2).pin_memory(),
              match="Cannot access accelerator device when none is available."),
    ErrorSpec("mapi/err/is_set_to", lambda t: t.ones(2).is_set_to(3),
              match="must be Tensor, not int"),
    ErrorSpec("mapi/err/resize_numel", lambda t: t.ones(3).resize(2, 2),
              match=r"requested resize to 2x2 \(4 elements in total\)"),
    ErrorSpec("mapi/err/resize_tuple", lambda t: t.ones(3).resize((3,)),
              match=r"requested resize to \(3,\)"),
    ErrorSpec("mapi/err/resize_as", lambda t: t.ones(3).resize_as(t.ones(2)),
              match="autograd's resize can only change the shape"),
    ErrorSpec("mapi/err/dim_order_ambiguous",
              lambda t: t.ones(2, 1, 4).dim_order(ambiguity_check=True),
              match="The tensor does not have unique dim order"),
    ErrorSpec("mapi/err/dim_order_type", lambda t: t.ones(2).dim_order(ambiguity_check=3),
              match="must be a bool or a list of memory formats"),
    ErrorSpec("mapi/err/grad_dtype_nonleaf",
              lambda t: (t.ones(2, requires_grad=True) * 2).grad_dtype,
              match="grad_dtype can only be accessed on leaf tensors."),
    ErrorSpec("mapi/err/detach_int", lambda t: t.detach(3), match="must be Tensor, not int"),
]
