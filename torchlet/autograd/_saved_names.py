"""``grad_fn._saved_*``: what a backward node saved, under torch's names.

torch's nodes expose what they keep for backward as attributes named after
``derivatives.yaml``: ``x.exp().grad_fn._saved_result``, ``(a * b).grad_fn._saved_self``,
``x.sum(1).grad_fn._saved_dim``. Here one table maps each node name to its attributes,
each read (only when asked for: nothing is added to forward or backward) from what
torchlet's node already keeps: its saved values by position (``saved(i)``, the order of
its ``save_for_backward``), an attribute its forward set on ``ctx`` (``attr("dim")``), or
the shape of an input (``input_sizes(i)``).

A name torch has but torchlet's node does not keep is left out (AttributeError) rather
than made up. A value torch keeps and torchlet's node can rebuild is rebuilt when read:
the log_softmax output that cross_entropy's two nodes save in torch (torchlet's fused
forward keeps the exponentials of the logits instead), a max pool's indices from which
window element won, or ``x * 2``'s ``_saved_other`` (a 0-d int64 tensor, as torch's
parser wraps the number) from the number Mul's node keeps as given.

Values come as torch gives them: tensors; ``None`` where torch saves nothing because no
gradient needs it; sizes and dims as tuples of ints; reductions as torch's enum numbers
(none 0, mean 1, sum 2). torch shows an int64 attribute through an unsigned conversion, so
``-1`` reads ``18446744073709551615``; the same is done here. Dims torchlet normalized
in forward (``dim=-1`` kept as ``1``) come back normalized. Saved tensors are freed by
backward without ``retain_graph``; reading one then raises torch's error, while numbers
and sizes stay readable. ``_raw_saved_<name>`` gives a ``SavedTensor`` whose
``register_hooks(pack, unpack)`` packs the saved tensor now and unpacks it when backward
(or ``_saved_<name>``) reads it, as ``torch._C._autograd.SavedTensor``.
"""

from __future__ import annotations

import numpy as np

from torchlet._ops.shape.common import contiguous_strides
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import (
    FREED,
    FREED_MESSAGE,
    _edge,
    _PackedSaved,
    _SavedOutput,
)
from torchlet.autograd.grad_mode import enable_grad

INT64_MAX = 2**63 - 1
REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}  # torch's at::Reduction enum


class Absent(Exception):
    """The node does not keep this value (in this variant of the op)."""


# -- readers: each takes the node and returns the value ---------------------------------


def _freed_check(node):
    if node._saved is FREED:
        raise RuntimeError(FREED_MESSAGE)


def _int(value):
    """An int as torch shows an int64 attribute (negative ones wrap around 2**64)."""
    return int(value) % 2**64


def _number(value):
    """A NumPy scalar as the Python number it holds."""
    return value.item() if isinstance(value, np.generic) else value


def saved(i, detach=False):
    """The i-th value the forward saved, as backward sees it (None where torch saves
    nothing; a constant as a 0-d tensor). ``detach``: an integer output (indices) that
    torch hands back without a grad_fn."""
    def read(node):
        stored = node._saved
        if stored is None or (stored is not FREED and i >= len(stored)):
            raise Absent
        value = node.saved_tensors[i]  # raises when freed or modified in place
        if value is None or isinstance(value, Tensor):
            return value.detach() if detach and value is not None else value
        return wrap(np.asarray(value))
    read.slot = i
    return read


_NO_DEFAULT = object()


def attr(name, convert=None, tensor=False, default=_NO_DEFAULT):
    """An attribute the forward set on ctx (``default`` where the forward sets it only
    when not the default); ``tensor``: an array, given as a tensor and freed with the
    saved tensors as torch frees it."""
    def read(node):
        try:
            value = node.__dict__[name]
        except KeyError:
            if default is _NO_DEFAULT:
                raise Absent from None
            return default
        if tensor:
            _freed_check(node)
            return None if value is None else wrap(np.asarray(value))
        return convert(value) if convert is not None else _number(value)
    return read


def given(i, default=_NO_DEFAULT):
    """The i-th Scalar argument as the caller gave it (``ctx.given``, a tuple), which torch's
    node keeps as its Scalar: an int stays an int, a bool a bool, a float the Python double
    (clamp(-0.4, 0.6) keeps 0.6, not float32's 0.6000000238418579); a NumPy number or a 0-d
    tensor as its item(), as torch's parser reads it (a NumPy bool as a float, 1.0)."""
    def read(node):
        values = node.__dict__.get("given")
        if values is None:
            if default is _NO_DEFAULT:
                raise Absent
            return default
        value = values[i]
        if isinstance(value, np.bool_):
            return float(value)
        return value.item() if isinstance(value, (Tensor, np.generic)) else value
    return read


def _wrapped_number(value):
    """A number as torch's parser wraps it into a 0-d tensor: a bool as bool, an int as
    int64, a float as float64, a complex as complex128; a NumPy number as the Python number
    the parser reads (a NumPy bool as a float). A tensor: itself. (An int past int64 is a
    uint64 tensor in torch, a dtype torchlet does not have: absent.)"""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.generic):
        value = float(value) if isinstance(value, np.bool_) else value.item()
    if type(value) is int:
        if value > INT64_MAX:
            raise Absent
        return wrap(np.asarray(value, np.int64))
    types = {bool: np.bool_, float: np.float64, complex: np.complex128}
    return wrap(np.asarray(value, types[type(value)]))


def operand(i, slot, when=None):
    """Mul/Div's operand i (0 self, 1 other), saved at ``slot``: always, or (``when``) only
    where input ``when`` needs a gradient, as torch saves it; one not saved reads None even
    after backward freed the others, as in torch. The operand as the caller gave it
    (``ctx.given``: (self, other), None where the node's saved tensor is that operand): a
    number as torch's parser wraps it, not as the NumPy scalar of the tensor's dtype the
    node computes with; a tensor DivRounded converted, as given. (MulNumber and DivNumber
    save nothing: the number alone, on its side.)"""
    read_saved = saved(slot)

    def read(node):
        given = node.__dict__.get("given")
        if "number" in node.__dict__:  # MulNumber, DivNumber: x and a number
            if given[i] is None:
                return None
        elif when is not None and not node.needs_input_grad[when]:
            return None
        else:
            value = read_saved(node)
            if value is None or given is None or given[i] is None:
                return value
        _freed_check(node)
        return _wrapped_number(given[i])
    read.slot = slot
    return read


def param(name, convert=None):
    """A keyword argument of a backward-of-backward primitive (kept in ``ctx.params``)."""
    def read(node):
        params = node.__dict__.get("params")
        if not isinstance(params, dict) or name not in params:
            raise Absent
        value = params[name]
        return convert(value) if convert is not None else _number(value)
    return read


def _noise(node):
    """rrelu's noise: an array in training; the fixed eval slope is not torch's tensor."""
    noise = node.__dict__.get("noise")
    if not isinstance(noise, np.ndarray):
        raise Absent
    _freed_check(node)
    return wrap(noise)


def const(value):
    def read(node):
        return value
    return read


def input_sizes(i):
    """The shape of forward input i (kept for every input that needs a gradient)."""
    def read(node):
        meta = node._input_meta[i] if i < len(node._input_meta) else None
        if meta is None:
            raise Absent
        return tuple(meta[0])
    return read


def operand_sizes(i, slot, transposed=False):
    """A product's operand (input i) shape, which torch's node keeps whether or not the
    operand needs a gradient: its input's (kept when it does), else the shape of the
    operand saved at ``slot`` (for the other factor's gradient) while it is held.
    ``transposed``: the fused linear's weight, torch's ``weight.t()``."""
    def read(node):
        try:
            sizes = input_sizes(i)(node)
        except Absent:
            if node._saved is FREED or slot >= len(node._saved):
                raise
            value = saved(slot)(node)
            if value is None:
                raise
            sizes = tuple(value.shape)
        return sizes[::-1] if transposed else sizes
    return read


def _torch_strides(strides, shape, itemsize):
    """NumPy's byte strides as torch's element strides (a new empty array's zero strides
    read contiguous, as ``Tensor.stride`` reads them)."""
    if 0 in shape and not any(strides):
        return contiguous_strides(shape)
    return tuple(s // itemsize for s in strides)


def product_strides(i, k):
    """mm/addmm's operand k (input i) strides, kept by ``save_factors`` (``ctx.strides``)
    where its gradient is requested, the layout that gradient follows; torch's node saves
    them for that gradient only: () otherwise."""
    def read(node):
        strides = node.__dict__.get("strides")
        if strides is None:
            raise Absent
        if strides[k] is False:
            return ()
        shape, dtype = node._input_meta[i]
        return _torch_strides(strides[k], shape, dtype.itemsize)
    return read


def linear_strides(i, slot, transposed=False):
    """The fused linear node's x (``transposed``: weight.t(), as torch's addmm sees it)
    strides, () where it needs no gradient, as torch saves them. The node keeps no layout:
    they are read from the tensor itself while the node holds it (saved for the other
    factor's gradient) or while it is a leaf (its AccumulateGrad refers to it); else, a
    non-leaf whose tensor is not (or no longer) saved, absent."""
    def read(node):
        if not node.needs_input_grad[i]:
            return ()
        value = None
        if node._saved is not FREED and slot < len(node._saved):
            value = saved(slot)(node)
        if value is None:
            edge = node._edges[i]
            value = getattr(edge[0], "variable", None) if edge is not None else None
            if value is None:
                raise Absent
        strides = value.stride()
        return strides[::-1] if transposed else strides
    return read


def transposed_saved(slot):
    """The fused linear's saved weight read as torch's node keeps it: ``weight.t()``
    (torchlet's node folds the transpose in and keeps the weight), rebuilt as the same
    view, a TBackward0 of the weight even when read under no_grad (torch's saved
    ``weight.t()`` was made with grad mode on); None where it is not saved."""
    def read(node):
        value = saved(slot)(node)
        if value is None:
            return None
        with enable_grad():
            return value.t()
    return read


def _ints(values):
    return tuple(_int(v) for v in values)


def _one(values):
    if len(values) != 1:
        raise Absent
    return _int(values[0])


def _key_part(node, kind):
    """A subscript key that is a single int or slice on one dim (full slices before it):
    (dim, the part). torch records one node per indexed dim; several parts: absent."""
    key = node.__dict__.get("key")
    if key is None:
        raise Absent
    found = None
    for dim, part in enumerate(key):
        if part is Ellipsis:
            break
        if part == slice(None):
            continue
        if found is not None or not isinstance(part, kind):
            raise Absent
        found = (dim, part)
    if found is None:
        raise Absent
    return found


def _select(field):
    def read(node):
        if "key" in node.__dict__:  # a subscript: its int as given, if kept (x[-1])
            dim, index = _key_part(node, int)
            given = node.__dict__.get("given")
            return _int(dim if field == "dim" else index if given is None else given)
        given = node.__dict__.get("given")  # select(dim, index) as the caller gave them
        if given is not None:
            return _int(given[field == "index"])
        return _int(node.__dict__[field])
    return read


def _slice(field):
    def read(node):
        if "args" in node.__dict__:  # narrow(dim, start, length)
            dim, start, length = node.args
            given = node.__dict__.get("given")  # the dim as given (start: normalized)
            values = {"dim": dim if given is None else given, "start": start,
                      "end": start + length, "step": 1}
        else:
            dim, part = _key_part(node, slice)
            values = {
                "dim": dim,
                "start": 0 if part.start is None else part.start,
                "end": INT64_MAX if part.stop is None else part.stop,
                "step": 1 if part.step is None else part.step,
            }
        return _int(values[field])
    return read


def _as_given(i, field="args"):
    """Argument i as the caller gave it (``ctx.given``: torch shows negative dims and
    indices as given, wrapped; an omitted start or end as None); without it, as the
    node's ``args`` keep it (normalized)."""
    def read(node):
        values = node.__dict__.get("given")
        if values is None:
            values = node.__dict__.get(field)
            if values is None:
                raise Absent
        value = values[i]
        return None if value is None else _int(value)
    return read


def _matches(tensor, parts) -> bool:
    """Whether a saved index tensor is what the key holds at ``parts`` (the arrays of
    one index position; a mask's nonzero arrays, one per dim it covers)."""
    data = tensor._data
    if len(parts) == 1 and parts[0] is data:
        return True
    if data.dtype == np.bool_ or data.dtype == np.uint8:
        found = np.nonzero(data)
    else:
        found = (data,)
    return len(found) == len(parts) and all(
        a.shape == b.shape and np.array_equal(a, b) for a, b in zip(found, parts))


def _indices(field):
    """torch's ``indices`` of an advanced index (IndexBackward0, IndexPutBackward0): one
    entry per indexed dim, None for a full slice, the index tensors as given (a mask as
    the mask, covering its dims), trailing Nones dropped. Rebuilt from the node's key
    (``field``) and the index tensors it saved; one that cannot be paired: absent."""
    def read(node):
        key = node.__dict__.get(field)
        if key is None or node._saved is None:
            raise Absent
        pool = list(node.saved_tensors)  # raises when freed
        out, dim = [], 0
        while dim < len(key):
            part = key[dim]
            if part is Ellipsis:
                break
            if isinstance(part, slice):
                if part != slice(None):
                    raise Absent
                out.append(None)
                dim += 1
                continue
            for n, tensor in enumerate(pool):
                if not isinstance(tensor, Tensor):
                    continue
                data = tensor._data
                width = data.ndim if data.dtype in (np.bool_, np.uint8) else 1
                if _matches(tensor, key[dim:dim + width]):
                    del pool[n]
                    out.append(tensor)
                    dim += width
                    break
            else:
                raise Absent
        while out and out[-1] is None:
            out.pop()
        if pool or not out:
            raise Absent
        return tuple(out)
    return read


def _source_dim(node):
    return _int(len(node.source_shape))


def _dim(node):
    """An indexing op's dim as the caller gave it (``ctx.given_dim``: torch shows -1 as
    -1, wrapped), else as the node keeps it."""
    given = node.__dict__.get("given_dim")
    return _int(node.dim if given is None else given)


def _dims(node):
    """A reduction's dims as the caller gave them (``ctx.given_dim``: an int, a sequence,
    None for every dim; -1 shown wrapped), else as the node keeps them."""
    dims = node.__dict__.get("given_dim")
    if dims is None:
        dims = node.dims
    if dims is None:
        return None
    return _ints(dims) if isinstance(dims, (tuple, list)) else (_int(dims),)


def _given_dim_list(i):
    """An optional int-list dim as the caller gave it (entry i of ``ctx.given``): None as
    None, an int as a 1-tuple (torch's ``int[1]?``), a sequence as a tuple."""
    def read(node):
        values = node.__dict__.get("given")
        if values is None:
            raise Absent
        dim = values[i]
        if dim is None:
            return None
        return _ints(dim) if isinstance(dim, (tuple, list)) else (_int(dim),)
    return read


def _lu_factors(field, transposed=False):
    """torch's LU (``field`` 0, column-major as LAPACK's) or pivots (1, int32) of the
    saved matrix A (slot 0), rebuilt when read as torchlet's lu_factor computes them:
    det/slogdet keep those of A^T (torch factors A's row-major buffer), solve A's own."""
    def read(node):
        from torchlet.linalg._common import column_major
        from torchlet.linalg.lu import _getrf

        a = saved(0)(node)._data  # raises when freed
        lu, pivots, _ = _getrf(np.swapaxes(a, -1, -2) if transposed else a)
        return wrap(column_major(lu) if field == 0 else pivots)
    return read


def _slogdet_sign(node):
    """slogdet's sign output (torch keeps it), rebuilt from the saved A as forward made it."""
    a = saved(0)(node)._data
    return wrap(np.asarray(np.linalg.slogdet(a)[0], dtype=a.dtype))


def _rebuilt_eigh(i):
    """eigvalsh's eigenvalues (0) / eigenvectors (1), which torch's node keeps (it runs
    eigh): rebuilt from the saved A by torchlet's eigh, as its backward does."""
    def read(node):
        from torchlet.linalg._common import column_major
        from torchlet.linalg.decompositions import lapack_eigh

        a = saved(0)(node)._data
        values, vectors = lapack_eigh(a, node.uplo)
        return wrap(np.ascontiguousarray(values) if i == 0 else column_major(vectors))
    return read


def _rebuilt_svd(i):
    """svdvals' U (0), S (1), Vh (2), which torch's node keeps (it runs the reduced svd):
    rebuilt from the saved A by torchlet's svd, as its backward does."""
    def read(node):
        from torchlet.linalg._common import column_major
        from torchlet.linalg.decompositions import lapack_svd

        a = saved(0)(node)._data
        part = lapack_svd(a, full_matrices=False)[i]
        return wrap(np.ascontiguousarray(part) if i == 1 else column_major(part))
    return read


def _svd_k(node):
    """The number of singular values, min(m, n) of the input (a size: readable after
    backward)."""
    return _int(min(input_sizes(0)(node)[-2:]))


def _diag_embed(i):
    """diag_embed's offset (0), dim1 (1), dim2 (2): as given (``ctx.given``) or as the
    node keeps them (``ctx.args``); diag(v) is torch's diag_embed(v, offset), whose dims
    are the defaults -2, -1."""
    def read(node):
        args = node.__dict__.get("given") or node.__dict__.get("args")
        if args is None:
            args = (node.offset, -2, -1)
        return _int(args[i])
    return read


def _given_dims(fallback, i=None):
    """A shape op's dim(s) as the caller gave them (``ctx.given_dim``: an int or a tuple,
    entry ``i`` of it if given; torch shows -1 as -1, wrapped), else ``fallback``'s reading
    of what the node keeps (normalized)."""
    def read(node):
        given = node.__dict__.get("given_dim")
        if given is None:
            return fallback(node)
        if i is not None:
            given = given[i]
        return _ints(given) if isinstance(given, (tuple, list)) else _int(given)
    return read


def _pad(node):
    """constant_pad_nd's pad list from the (dim, left, right) pairs, as torch's flat list."""
    return tuple(_int(v) for _, left, right in node.pairs for v in (left, right))


def _as_strided(i):
    """as_strided's size (4), stride (5) or storage_offset (6; None where the caller left
    it out: ``ctx.offset_given``)."""
    def read(node):
        geometry = node.__dict__.get("geometry")
        if geometry is None:
            raise Absent
        if i == 6 and not node.__dict__.get("offset_given", True):
            return None
        value = geometry[i]
        return _int(value) if i == 6 else _ints(value)
    return read


def _geo(field):
    def read(node):
        geo = node.geo if "geo" in node.__dict__ else node.plan.geo
        if field == "padding":
            if geo.pad_lo != geo.pad_hi:  # padding="same" with an even kernel: no one number
                raise Absent
            return _ints(geo.pad_lo)
        if field == "groups":
            return _int(geo.groups)
        return _ints(getattr(geo, field))
    return read


def _conv_transposed(node):
    return type(node).__mro__[1].__name__ == "_ConvTranspose"


def _conv_output_padding(node):
    """A transposed convolution's output_padding: what its output size (the forward
    convolution's input, ``geo.in_size``) has past what its input size gives."""
    geo = node.geo if "geo" in node.__dict__ else node.plan.geo
    if not _conv_transposed(node):
        return (0,) * len(geo.stride)  # a plain convolution has none
    return _ints(i - ((o - 1) * s - 2 * p + d * (k - 1) + 1) for i, o, s, p, d, k in zip(
        geo.in_size, geo.out_size, geo.stride, geo.pad_lo, geo.dilation, geo.kernel))


def _bias_sizes(node):
    """The bias's shape: kept as an input's that needs a gradient, else (the forward's
    ``ctx.bias_sizes``) its shape, or (0,) for no bias, as torch shows an undefined one."""
    try:
        return input_sizes(2)(node)
    except Absent:
        sizes = node.__dict__.get("bias_sizes")
        if sizes is None:
            raise
        return sizes


def _upsample_given(i, axis=None):
    """An upsampling's output_size (0), scales (1, of spatial ``axis``; None where a size
    was given) or align_corners (2; absent for the nearest modes), as the caller gave them
    (the plan's ``given``)."""
    def read(node):
        given = getattr(node.plan, "given", ())  # (a uint8 resize records no node)
        if not given or given[i] is None and i == 2:
            raise Absent
        if i == 0:
            return _ints(given[0])
        if i == 2:
            return bool(given[2])
        return None if given[1] is None else float(given[1][axis])
    return read


def _upsample(nd, align_corners, sizes=True):
    """The entries of an upsampling node (``sizes``: its input's, the first-order node)."""
    names = {1: ("scales",), 2: ("scales_h", "scales_w"),
             3: ("scales_d", "scales_h", "scales_w")}[nd]
    entries = {"output_size": _upsample_given(0)}
    entries.update({name: _upsample_given(1, axis) for axis, name in enumerate(names)})
    if align_corners:
        entries["align_corners"] = _upsample_given(2)
    if sizes:
        entries["self_sym_sizes"] = input_sizes(0)
    return entries


UPSAMPLE = {"UpsampleNearest1D": (1, False), "UpsampleNearest2D": (2, False),
            "UpsampleNearest3D": (3, False), "UpsampleNearestExact1D": (1, False),
            "UpsampleNearestExact2D": (2, False), "UpsampleNearestExact3D": (3, False),
            "UpsampleLinear1D": (1, True), "UpsampleBilinear2D": (2, True),
            "UpsampleTrilinear3D": (3, True), "UpsampleBicubic2D": (2, True),
            "UpsampleBilinear2DAa": (2, True), "UpsampleBicubic2DAa": (2, True),
            "UpsampleLanczos2DAa": (2, True)}


def _block_geo(field):
    """unfold / fold's geometry (``ctx.geo``): kernel_size, dilation, padding, stride
    (torch's pairs), or the input's last two sizes (``in_size`` 1 and 0)."""
    def read(node):
        value = getattr(node.geo, field[0])
        return _ints(value) if len(field) == 1 else _int(value[field[1]])
    return read


BLOCKS = {"kernel_size": _block_geo(("kernel",)), "dilation": _block_geo(("dilation",)),
          "padding": _block_geo(("pad_lo",)), "stride": _block_geo(("stride",))}


def _norm_stat(name, shape_from):
    """batch/layer norm's saved mean or invstd, shaped as torch's result1/result2 and in
    its dtype (the parameters'; an empty tensor in eval, as torch saves)."""
    def read(node):
        _freed_check(node)
        dtype = node.__dict__.get("stats_dtype")
        if node.__dict__.get("training") is False:
            return wrap(np.zeros(0, dtype))
        value = node.__dict__[name].reshape(shape_from(node))
        return wrap(np.ascontiguousarray(value, dtype))
    return read


def _bn_shape(node):
    return (node.channels,)


def _ln_shape(node):
    return node.stat_shape


def _running(i):
    """batch_norm's running_mean (0) / running_var (1) as given (None without them)."""
    def read(node):
        _freed_check(node)
        return node.running[i]
    return read


def _split_size(node):
    meta = node._output_meta
    return _int(meta[0][0][node.dim])


def _split_sizes(node):
    meta = node._output_meta
    return tuple(_int(m[0][node.dim]) for m in meta)


def _nll_total_weight(node):
    _freed_check(node)
    return wrap(node.total_weight())


def _nll_option(name):
    def read(node):
        _freed_check(node)
        value = node.options[name]
        return None if value is None else wrap(np.asarray(value))
    return read


def _log_probabilities(node):
    """cross_entropy's log_softmax(x): its nodes keep the exponentials of x, and compute
    log_softmax's output (torch's saved ``result`` and ``self``) when first asked for."""
    _freed_check(node)
    return node.log_probabilities()


def _nll_entries(self_reader) -> dict:
    """NllLossBackward0's and NllLoss2DBackward0's attributes."""
    return {
        "self": self_reader,
        "target": _nll_option("target"),
        "weight": _nll_option("weight"),
        "ignore_index": attr("options", lambda o: _int(o["ignore_index"])),
        "reduction": attr("options", lambda o: REDUCTIONS[o["reduction"]]),
        "total_weight": _nll_total_weight,
    }


def _var_dim(node):
    return None if node.all_reduce else _ints(node.dims)


def _moment_args(node):
    """var/std(_mean)'s (dim, unbiased, correction) as the caller gave them
    (``ctx.given_args``); ``var(x, False)``'s bool is ``unbiased``."""
    given = node.__dict__.get("given_args")
    if given is None:
        raise Absent
    dim, unbiased, correction = given
    if isinstance(dim, bool):
        dim, unbiased = None, dim if unbiased is None else unbiased
    return dim, unbiased, correction


def _moment_dim(node):
    """The dims as given (torch shows -1 as -1, wrapped); named dims: as normalized."""
    try:
        dim = _moment_args(node)[0]
    except Absent:
        return _var_dim(node)
    if dim is None:
        return None
    try:
        if isinstance(dim, (list, tuple)):
            return tuple(_int(d) for d in dim)
        return (_int(dim),)
    except (TypeError, ValueError):
        return _var_dim(node)


def _moment_correction(node):
    """The correction torch's overload received: ``correction`` as given; else 1 or 0 from
    ``unbiased`` or a dim (the dim overload's default, unbiased=True); else None (no
    argument: the correction overload's default). (An explicit ``dim=None`` counts as no
    dim here, and ``correction=None`` as none given: torch's parser tells them apart.)"""
    dim, unbiased, correction = _moment_args(node)
    if correction is not None:
        return correction.item() if isinstance(correction, (Tensor, np.generic)) else correction
    if unbiased is not None:
        return int(unbiased)
    return None if dim is None else 1


def _pool_arg(i):
    """Entry i of a pool's ``ctx.pool_args`` (its int-list arguments as the caller gave
    them), as torch's parser hands it to the node: an int repeated for each pooled dim, a
    sequence as it is (``(2,)`` stays one int), a stride left out as ``()``."""
    def read(node):
        args = node.__dict__.get("pool_args")
        if args is None:
            raise Absent
        value = args[i]
        if value is None:
            return ()
        if isinstance(value, (list, tuple)):
            return _ints(value)
        return (_int(value),) * node.plan.nd
    return read


def _pool_option(i, convert=bool):
    """Entry i of ``ctx.pool_args``: a flag (ceil_mode, count_include_pad) or
    divisor_override (an int or None)."""
    def read(node):
        args = node.__dict__.get("pool_args")
        if args is None:
            raise Absent
        return args[i] if convert is None else convert(args[i])
    return read


def _max_pool_indices(node, in_shape):
    """torch's indices of a max pool (flat positions in each input plane), rebuilt from
    what torchlet's node keeps: for regular windows, which window element won (``which``;
    windows with no input element get torch's made-up index, as ``max`` gives them); for
    adaptive taps and fractional pools ``which`` is the index itself. Laid out as the
    pool's result (``fmt``)."""
    from torchlet.nn._functional.pooling_plans import in_format

    plan, which = node.plan, node.which
    if hasattr(plan, "shifts"):
        out_size = plan.geo.out_size
        lead = tuple(in_shape[:len(in_shape) - plan.nd])
        index = (plan.shifts[which] + plan.base).reshape(lead + out_size)
        if plan.empty is not None:
            index.reshape((int(np.prod(lead)),) + out_size)[:, plan.empty] = plan.empty_index
    else:
        index = which
    return wrap(in_format(index, node.__dict__.get("fmt")))


def _pool_result1(node):
    """A max pool's indices output (torch saves its result1)."""
    _freed_check(node)
    return _max_pool_indices(node, node._input_meta[0][0])


def _pool_grad_indices(node):
    """The indices a max pool's backward node keeps (torch's max_pool2d_with_indices_backward
    and its kin take them)."""
    return _max_pool_indices(node, node.in_shape)


def _pool_out_size(j):
    """An adaptive pool's output size from the end (its backward node's
    grad_output_sym_argsize_minus_j)."""
    def read(node):
        plan = node.plan
        size = plan.geo.out_size if hasattr(plan, "geo") else plan.out_size
        return _int(size[-j])
    return read


def _prelu_weight(node):
    """prelu's weight as torch's kernel saves it: shaped to line up with the input's
    channel dim, (1, C, 1, ..., 1) (a ViewBackward0 of the weight), as it is if already so."""
    x, w = saved(0)(node), saved(1)(node)
    shape = tuple(w._data.size if d == 1 else 1 for d in range(max(x._data.ndim, 1)))
    if w._data.shape == shape:
        return w
    with enable_grad():  # (torch made the view in forward, whatever the mode now)
        return w.reshape(shape)


def _logsigmoid_buffer(node):
    """log_sigmoid_forward's buffer: exp(-|x|) in x's dtype, as torch's kernel keeps it
    (torchlet recomputes it in backward, as rounded there)."""
    from torchlet._ops.pointwise._libm import rounded_once

    x = saved(0)(node)
    return wrap(np.asarray(rounded_once(np.exp, np.negative(np.abs(x._data)))))


def needed(reader, *inputs):
    """A value torch saves only when one of these inputs needs a gradient (the formulas
    that use it are those inputs'): None otherwise, whatever torchlet's node kept."""
    def read(node):
        needs = node.needs_input_grad
        if not any(needs[i] for i in inputs if i < len(needs)):
            return None
        return reader(node)
    read.slot = getattr(reader, "slot", None)
    return read


SELF_ONLY = {"self": saved(0)}
TRANSPOSE = {"dim0": _given_dims(attr("dims", lambda d: _int(d[0])), 0),
             "dim1": _given_dims(attr("dims", lambda d: _int(d[1])), 1)}
# squeeze(dim) / squeeze(dims), in place or not (the dim(s) as given, even if not squeezed)
SQUEEZE_DIM = {"dim": _given_dims(attr("dims", _one)), "self_sym_sizes": input_sizes(0)}
RESULT_ONLY = {"result": saved(0)}
GRAD_OUTPUT_OUTPUT = {"grad_output": saved(0), "output": saved(1)}
LOSS = {"self": saved(0), "target": saved(1), "reduction": attr("reduction", REDUCTIONS.get)}
# pools: torch's int lists as the caller gave them (ctx.pool_args), the indices rebuilt
MAX_POOL = {"self": saved(0), "result1": _pool_result1, "kernel_size": _pool_arg(0),
            "stride": _pool_arg(1), "padding": _pool_arg(2), "dilation": _pool_arg(3),
            "ceil_mode": _pool_option(4)}
AVG_POOL = {"kernel_size": _pool_arg(0), "stride": _pool_arg(1), "padding": _pool_arg(2),
            "ceil_mode": _pool_option(3), "count_include_pad": _pool_option(4),
            "divisor_override": _pool_option(5, None)}
POOL_INDICES = {"indices": _pool_grad_indices}
FRACTIONAL_POOL = {"self": saved(0), "result1": attr("index", tensor=True),
                   "kernel_size": attr("kernel", _ints), "output_size": attr("out_size", _ints)}

# node name -> {torch's attribute name without the "_saved_" prefix: reader}. A node
# listed with {} saves nothing (as in torch). "Name(Primitive)" entries are for a
# torchlet primitive whose ctx differs from the others of that node name.
# max/min/median/nanmedian/mode/kthvalue along a dim; sort and topk (no keepdim)
SELECTION = {"dim": _dim, "keepdim": attr("keepdim"), "indices": saved(0, detach=True),
             "self_sym_sizes": attr("in_shape", tuple)}
SORTED = {"dim": _dim, "indices": saved(0, detach=True),
          "self_sym_sizes": attr("in_shape", tuple)}

TABLE: dict[str, dict] = {
    # arithmetic
    "AddBackward0": {"alpha": given(0, default=1)},
    "SubBackward0": {"alpha": given(0, default=1)},
    "RsubBackward1": {"alpha": given(0, default=1)},
    "MulBackward0(Mul)": {"other": operand(1, 0, when=0), "self": operand(0, 1, when=1)},
    "DivBackward0(Div)": {"other": operand(1, 0), "self": operand(0, 1, when=1)},
    "MulBackward0(MulNumber)": {"other": operand(1, 0), "self": operand(0, 1)},
    "DivBackward0(DivNumber)": {"other": operand(1, 0), "self": operand(0, 1)},
    "DivBackward2": {"other": operand(1, 0), "self": operand(0, 1, when=1),
                     "rounding_mode": attr("rounding_mode")},
    "MulBackward1": {"other": attr("number")},  # (a C++ double in torch's formulas)
    "DivBackward1": {"other": attr("number")},
    "PowBackward0(PowScalar)": {"self": saved(0), "exponent": attr("exponent")},
    "PowBackward1": {"exponent": saved(0), "self": saved(1), "result": saved(2)},
    "PowBackward2": {"exponent": saved(0), "result": saved(1), "self": attr("base")},
    "LdexpBackward0": {"other": saved(0), "result": saved(1)},
    "NegBackward0": {},
    "SignBackward0": {},
    "ExpBackward0": RESULT_ONLY,
    "SqrtBackward0": RESULT_ONLY,
    "RsqrtBackward0": RESULT_ONLY,
    "TanhBackward0": RESULT_ONLY,
    "SigmoidBackward0": RESULT_ONLY,
    "TanhBackwardBackward0": GRAD_OUTPUT_OUTPUT,
    "SigmoidBackwardBackward0": GRAD_OUTPUT_OUTPUT,
    "ThresholdBackwardBackward0": {"self": saved(0), "threshold": const(0)},
    "ReluBackward0": RESULT_ONLY,
    "ReciprocalBackward0": RESULT_ONLY,
    "LogBackward0": SELF_ONLY,
    "Log2Backward0": SELF_ONLY,
    "Log10Backward0": SELF_ONLY,
    "Log1PBackward0": SELF_ONLY,
    "Exp2Backward0": RESULT_ONLY,
    "Expm1Backward0": RESULT_ONLY,
    "TanBackward0": RESULT_ONLY,
    "AsinBackward0": SELF_ONLY,
    "AcosBackward0": SELF_ONLY,
    "AtanBackward0": SELF_ONLY,
    "SinhBackward0": SELF_ONLY,
    "CoshBackward0": SELF_ONLY,
    "LgammaBackward0": SELF_ONLY,
    "DigammaBackward0": SELF_ONLY,
    "I0Backward0": SELF_ONLY,
    "SincBackward0": SELF_ONLY,
    "LogitBackward0": {"self": saved(0), "eps": attr("eps")},
    "ErfinvBackward0": SELF_ONLY,
    "NanToNumBackward0": SELF_ONLY,
    "SgnBackward0": {"self": saved(0), "result": saved(1)},
    "SinBackward0": SELF_ONLY,
    "CosBackward0": SELF_ONLY,
    "AbsBackward0": SELF_ONLY,
    "ErfBackward0": SELF_ONLY,
    "SiluBackward0": SELF_ONLY,
    "HardsigmoidBackward0": SELF_ONLY,
    "ClampBackward1(ClampScalar)": {"self": saved(0), "min": given(0), "max": given(1)},
    "WhereBackward0": {"condition": attr("cond", tensor=True)},
    "MaximumBackward0": {"self": saved(0), "other": saved(1)},
    "MinimumBackward0": {"self": saved(0), "other": saved(1)},
    "Atan2Backward0": {"self": saved(0), "other": saved(1)},
    "AddcmulBackward0": {"tensor1": saved(0), "tensor2": saved(1), "value": attr("value")},
    "AddcdivBackward0": {"tensor1": saved(0), "tensor2": needed(saved(1), 1, 2),
                         "value": attr("value")},
    "LerpBackward0(LerpScalar)": {"weight": attr("weight")},
    "LerpBackward1": {"self": needed(saved(0), 2), "end": needed(saved(1), 2),
                      "weight": needed(saved(2), 0, 1)},
    "ClampBackward0(ClampTensor)": {"self": saved(0), "min": saved(1), "max": saved(2)},
    "ClampMinBackward0": {"self": saved(0), "min": given(0)},
    "ClampMaxBackward0": {"self": saved(0), "max": given(1)},
    "ClampMinBackward1": {"self": saved(0), "min": saved(1)},
    "ClampMaxBackward1": {"self": saved(0), "max": saved(1)},
    # fmod/remainder by a tensor: the operands serve only other's gradient
    "FmodBackward0": {},
    "FmodBackward1": {"other": needed(saved(0), 1), "self": needed(saved(1), 1)},
    "RemainderBackward0": {},
    "RemainderBackward1": {"other": needed(saved(0), 1), "self": needed(saved(1), 1)},
    "HypotBackward0": {"self": needed(saved(0), 0), "other": needed(saved(1), 1),
                       "result": saved(2)},
    "CopysignBackward0": {"self": needed(saved(0), 0), "result": saved(1)},
    "CopysignBackward1": {"self": saved(0), "result": saved(1)},
    "XlogyBackward0": {"self": saved(0), "other": saved(1)},
    "XlogyBackward1": {"self": attr("number"), "other": saved(0)},
    "XlogyBackward2": {"self": saved(0), "other": attr("number")},
    "MaskedFillBackward0": {"mask": attr("mask", tensor=True)},
    "CloneBackward0": {},
    "ToCopyBackward0": {},
    # activations
    "GeluBackward0": {"self": saved(0), "approximate": attr("approximate")},
    "LeakyReluBackward0": {"self": saved(0), "negative_slope": attr("slope")},
    "EluBackward0": {
        "self": saved(0),
        "alpha": attr("params", lambda p: _number(p[0])),
        "scale": attr("params", lambda p: _number(p[1])),
        "input_scale": attr("params", lambda p: _number(p[2])),
    },
    "SoftplusBackward0": {"self": saved(0), "beta": attr("beta"),
                          "threshold": attr("threshold")},
    "HardtanhBackward0": {"self": saved(0), "min_val": attr("lo"), "max_val": attr("hi")},
    # activations' own backward nodes (elu's params: alpha, scale, input_scale)
    "LeakyReluBackward1": {"negative_slope": attr("slope"), "result": saved(0)},
    "LeakyReluBackwardBackward0": {"negative_slope": param("slope"), "self": saved(0)},
    "HardtanhBackwardBackward0": {"max_val": param("hi"), "min_val": param("lo"),
                                  "self": saved(0)},
    "EluBackward1": {
        "alpha": attr("params", lambda p: _number(p[0])),
        "scale": attr("params", lambda p: _number(p[1])),
        "input_scale": attr("params", lambda p: _number(p[2])),
        "result": saved(0),
    },
    "EluBackwardBackward0": {
        "alpha": param("params", lambda p: _number(p[0])),
        "scale": param("params", lambda p: _number(p[1])),
        "input_scale": param("params", lambda p: _number(p[2])),
        "grad_output": saved(0), "is_result": param("is_result"),
        "self_or_result": saved(1),
    },
    "GeluBackwardBackward0": {"approximate": param("approximate"), "grad_output": saved(0),
                              "self": saved(1)},
    "SoftplusBackwardBackward0": {"beta": param("beta"), "threshold": param("threshold"),
                                  "grad_output": saved(0), "self": saved(1)},
    "CeluBackward0": {"alpha": attr("params", lambda p: _number(p[0])), "self": saved(0)},
    "CeluBackward1": {"alpha": attr("params", lambda p: _number(p[0])), "result": saved(0)},
    "ThresholdBackward0": {"self": saved(0), "threshold": attr("threshold")},
    "ThresholdBackward1": {"self": saved(0), "threshold": attr("threshold")},
    "HardshrinkBackward0": {"lambd": given(0), "self": saved(0)},
    "SoftshrinkBackward0": {"lambd": given(0), "self": saved(0)},
    "GluBackward0": {"dim": _dim, "self": saved(0)},
    "GluBackwardBackward0": {"dim": _dim, "grad_output": saved(0), "self": saved(1)},
    "PreluKernelBackward0": {"self": saved(0), "weight": _prelu_weight},
    "HardswishBackward0": SELF_ONLY,
    "MishBackward0": SELF_ONLY,
    "LogSigmoidBackward0": {"buffer": _logsigmoid_buffer, "self": saved(0)},
    # (eval mode's noise, which torch leaves uninitialized, is not kept)
    "RreluWithNoiseBackward0": {"lower": attr("lower"), "noise": _noise, "self": saved(0),
                                "training": attr("training"), "upper": attr("upper")},
    "RreluWithNoiseBackward1": {"lower": attr("lower"), "noise": _noise, "result": saved(0),
                                "training": attr("training"), "upper": attr("upper")},
    "SoftmaxBackward0": {"dim": _dim, "result": saved(0)},
    "LogSoftmaxBackward0": {"dim": _dim, "result": saved(0)},
    "LogSoftmaxBackward0(_LogSoftmaxOf)": {"dim": _dim, "result": _log_probabilities},
    # matrix products (torchlet's fused linear has no TBackward0 node before it: its
    # mat2, torch's weight.t(), is rebuilt from the weight when read)
    "MmBackward0(Mm)": {"self": saved(0), "mat2": saved(1), "self_sym_sizes": operand_sizes(0, 0),
                        "mat2_sym_sizes": operand_sizes(1, 1),
                        "self_sym_strides": product_strides(0, 0),
                        "mat2_sym_strides": product_strides(1, 1)},
    "MmBackward0(_LinearNoBias)": {"self": saved(0), "mat2": transposed_saved(1),
                                   "self_sym_sizes": operand_sizes(0, 0),
                                   "mat2_sym_sizes": operand_sizes(1, 1, transposed=True),
                                   "self_sym_strides": linear_strides(0, 0),
                                   "mat2_sym_strides": linear_strides(1, 1, transposed=True)},
    "AddmmBackward0(Addmm)": {
        "mat1": saved(0), "mat2": saved(1), "alpha": given(1), "beta": given(0),
        "mat1_sym_sizes": operand_sizes(1, 0), "mat2_sym_sizes": operand_sizes(2, 1),
        "mat1_sym_strides": product_strides(1, 0), "mat2_sym_strides": product_strides(2, 1),
    },
    "AddmmBackward0(_Linear)": {"mat1": saved(0), "mat2": transposed_saved(1),
                                "alpha": const(1), "beta": const(1),
                                "mat1_sym_sizes": operand_sizes(1, 0),
                                "mat2_sym_sizes": operand_sizes(2, 1, transposed=True),
                                "mat1_sym_strides": linear_strides(1, 0),
                                "mat2_sym_strides": linear_strides(2, 1, transposed=True)},
    "BaddbmmBackward0": {"batch1": saved(0), "batch2": saved(1), "alpha": given(1),
                         "beta": given(0)},
    # (each factor serves only the other's gradient; addmv/addbmm's alpha and beta read
    # once their forward keeps ``ctx.given``)
    "AddmvBackward0": {"mat": needed(saved(0), 2), "vec": needed(saved(1), 1),
                       "alpha": given(1), "beta": given(0)},
    "AddrBackward0": {"vec1": needed(saved(0), 2), "vec2": needed(saved(1), 1),
                      "alpha": attr("alpha"), "beta": attr("beta")},
    "AddbmmBackward0": {"batch1": needed(saved(0), 2), "batch2": needed(saved(1), 1),
                        "alpha": given(1), "beta": given(0),
                        "batch1_sym_argsize_0": lambda node: operand_sizes(1, 0)(node)[0],
                        "batch1_sym_argsize_1": lambda node: operand_sizes(1, 0)(node)[1],
                        "batch2_sym_argsize_2": lambda node: operand_sizes(2, 1)(node)[2]},
    "BmmBackward0": {"self": saved(0), "mat2": saved(1)},
    "MvBackward0": {"self": saved(0), "vec": saved(1)},
    "DotBackward0": {"self": saved(0), "tensor": saved(1)},
    # reductions
    "SumBackward0": {"self_sym_sizes": attr("in_shape", tuple)},
    "SumBackward1": {"dim": _dims, "keepdim": attr("keepdim"),
                     "self_sym_sizes": attr("in_shape", tuple)},
    "MeanBackward0": {"self_sym_sizes": attr("in_shape", tuple),
                      "self_sym_numel": attr("in_shape", lambda s: int(np.prod(s)))},
    "MeanBackward1": {"dim": _dims, "keepdim": attr("keepdim"),
                      "self_sym_sizes": attr("in_shape", tuple),
                      "self_sym_numel": attr("in_shape", lambda s: int(np.prod(s)))},
    "MaxBackward1": {"self": saved(0), "result": saved(1)},
    "MinBackward1": {"self": saved(0), "result": saved(1)},
    # the value-selecting reductions (a Selection node: dim as given, the indices kept)
    "MaxBackward0": SELECTION,
    "MinBackward0": SELECTION,
    "MedianBackward1": SELECTION,
    "NanmedianBackward1": SELECTION,
    "ModeBackward0": SELECTION,
    "KthvalueBackward0": SELECTION,
    "SortBackward0": SORTED,
    "SortBackward1": SORTED,
    "TopkBackward0": SORTED,
    "AmaxBackward0": {"dim": _dims, "keepdim": attr("keepdim"),
                      "self": saved(0), "result": saved(1)},
    "AminBackward0": {"dim": _dims, "keepdim": attr("keepdim"),
                      "self": saved(0), "result": saved(1)},
    "ProdBackward0": {"self": saved(0), "result": saved(1)},
    "ProdBackward1": {"dim": _dim, "keepdim": attr("keepdim"),
                      "self": saved(0), "result": saved(1)},
    "VarBackward0": {"self": saved(0), "keepdim": attr("keepdim"), "dim": _moment_dim,
                     "correction": _moment_correction},
    "StdBackward0": {"self": saved(0), "result": saved(1), "keepdim": attr("keepdim"),
                     "dim": _moment_dim, "correction": _moment_correction},
    "VarMeanBackward0": {"self": saved(0), "keepdim": attr("keepdim"), "dim": _moment_dim,
                         "correction": _moment_correction},
    "StdMeanBackward0": {"self": saved(0), "result0": saved(1), "keepdim": attr("keepdim"),
                         "dim": _moment_dim, "correction": _moment_correction},
    "LinalgVectorNormBackward0": {"self": saved(0), "result": saved(1),
                                  "keepdim": attr("keepdim"), "ord": given(0),
                                  "dim": _given_dim_list(1)},
    "LogsumexpBackward0": {"dim": _dims, "keepdim": attr("keepdim"),
                           "self": saved(0), "result": saved(1)},
    "CumsumBackward0": {"dim": _dim},
    "CumprodBackward0": {"dim": _dim, "self": saved(0), "result": saved(1)},
    "LogcumsumexpBackward0": {"dim": _dim, "self": saved(0), "result": saved(1)},
    "CummaxBackward0": {"dim": _dim, "indices": saved(0, detach=True), "self": saved(1)},
    "CumminBackward0": {"dim": _dim, "indices": saved(0, detach=True), "self": saved(1)},
    "AminmaxBackward0": {"dim": attr("given_dim", lambda d: None if d is None else _int(d)),
                         "keepdim": attr("keepdim"), "self": saved(0), "min": saved(1),
                         "max": saved(2)},
    "NansumBackward0": {"dim": _dims, "keepdim": attr("keepdim"), "self": saved(0)},
    "MedianBackward0": {"self": saved(0), "result": saved(1)},
    "NanmedianBackward0": {"self": saved(0), "result": saved(1)},
    # losses
    "NllLossBackward0(NllLoss)": _nll_entries(saved(0)),
    "NllLoss2DBackward0(NllLoss2d)": _nll_entries(saved(0)),
    "NllLossBackward0(CrossEntropy)": _nll_entries(_log_probabilities),
    "NllLoss2DBackward0(CrossEntropy2d)": _nll_entries(_log_probabilities),
    "MseLossBackward0": LOSS,
    "MseLossBackwardBackward0": {"grad_output": saved(0), "self": saved(1), "target": saved(2),
                                 "reduction": param("reduction", REDUCTIONS.get)},
    "BinaryCrossEntropyBackward0": {**LOSS, "weight": attr("weight", tensor=True)},
    "BinaryCrossEntropyWithLogitsBackward0": {
        **LOSS, "weight": attr("weight", tensor=True),
        "pos_weight": attr("pos_weight", tensor=True),
    },
    "SmoothL1LossBackward0": {**LOSS, "beta": attr("beta")},
    "HuberLossBackward0": {**LOSS, "delta": attr("delta")},
    "HuberLossBackwardBackward0": {"grad_output": saved(0), "self": saved(1),
                                   "target": saved(2),
                                   "reduction": param("reduction", REDUCTIONS.get),
                                   "delta": param("delta")},
    "SoftMarginLossBackward0": {"self": saved(0), "target": saved(1),
                                "reduction": attr("reduction", REDUCTIONS.get)},
    "SoftMarginLossBackwardBackward0": {"grad_output": saved(0), "self": saved(1),
                                        "target": attr("y", tensor=True),
                                        "reduction": attr("reduction", REDUCTIONS.get)},
    # shapes and views
    "ViewBackward0": {"self_sym_sizes": attr("in_shape", tuple)},
    "ReshapeAliasBackward0": {"self_sym_sizes": attr("in_shape", tuple)},
    # (their dims as the caller gave them: ctx.given_dim; the in-place variants alike)
    "PermuteBackward0": {"dims": _given_dims(attr("inverse", lambda inv: _ints(np.argsort(inv))))},
    "TransposeBackward0": TRANSPOSE,
    "TransposeBackward1": TRANSPOSE,
    "TBackward0": {},
    "UnsqueezeBackward0": {"dim": _given_dims(attr("dims", _one))},
    "UnsqueezeBackward1": {"dim": _given_dims(attr("dims", _one))},
    "SqueezeBackward0": {"self_sym_sizes": input_sizes(0)},
    "SqueezeBackward1": SQUEEZE_DIM,
    "SqueezeBackward2": SQUEEZE_DIM,
    "SqueezeBackward3": {"self_sym_sizes": input_sizes(0)},
    "SqueezeBackward4": SQUEEZE_DIM,
    "SqueezeBackward5": SQUEEZE_DIM,
    "ExpandBackward0": {"self_sym_sizes": input_sizes(0)},
    "SelectBackward0": {"dim": _select("dim"), "index": _select("index"),
                        "self_sym_sizes": input_sizes(0)},
    "SliceBackward0": {"dim": _slice("dim"), "start": _slice("start"), "end": _slice("end"),
                       "step": _slice("step"), "self_sym_sizes": input_sizes(0)},
    "IndexBackward0": {"indices": _indices("key"), "self_sym_sizes": input_sizes(0)},
    "SelectBackwardBackward0": {"dim": _select("dim"), "index": _select("index")},
    "SliceBackwardBackward0": {"dim": _slice("dim"), "start": _slice("start"),
                               "end": _slice("end"), "step": _slice("step")},
    "DiagonalBackward0": {"offset": _as_given(0), "dim1": _as_given(1), "dim2": _as_given(2),
                          "self_sym_sizes": attr("in_shape", tuple)},
    "DiagonalBackwardBackward0": {"offset": _as_given(0), "dim1": _as_given(1),
                                  "dim2": _as_given(2)},
    "UnfoldBackward0": {"dimension": _as_given(0), "size": _as_given(1), "step": _as_given(2),
                        "self_sym_sizes": attr("in_shape", tuple)},
    "UnfoldBackwardBackward0": {"dim": _as_given(0), "size": _as_given(1),
                                "step": _as_given(2)},
    "AsStridedBackward0(AsStridedView)": {"size": _as_strided(4), "stride": _as_strided(5),
                                          "storage_offset": _as_strided(6)},
    # (a view rebased after an in-place write: the geometry of a strided window)
    "AsStridedBackward0(AsStrided)": {"size": _as_strided(4), "stride": _as_strided(5),
                                      "storage_offset": _as_strided(6)},
    "Rot90Backward0": {"k": _as_given(0, "rot"), "dims": attr("rot", lambda r: _ints(r[1]))},
    "ConstantPadNdBackward0": {"pad": _pad},
    # indexing: the index tensors as given (saved, so freed by backward); a tensor torch
    # saves only for one input's gradient reads None when that input needs none; dims as
    # the caller gave them (ctx.given_dim)
    "GatherBackward0": {"dim": _dim, "self": saved(0), "index": saved(1),
                        "sparse_grad": attr("sparse_grad", default=False)},
    "TakeBackward0": {"self": saved(0), "index": saved(1)},
    "ScatterBackward0": {"dim": _dim, "index": saved(0)},
    "ScatterBackward1": {"dim": _dim, "index": saved(0)},
    "ScatterAddBackward0(ScatterAdd)": {"dim": _dim, "index": needed(saved(0), 1)},
    "ScatterReduceBackward0": {"dim": _dim, "include_self": attr("include_self"),
                               "reduce": attr("reduce"), "index": saved(0), "self": saved(1),
                               "src": saved(2), "result": saved(3)},
    "IndexReduceBackward0": {"dim": _dim, "include_self": attr("include_self"),
                             "reduce": attr("reduce"), "index": saved(0), "self": saved(1),
                             "source": saved(2), "result": saved(3)},
    "IndexAddBackward0(IndexAdd)": {"alpha": attr("alpha"), "dim": _dim,
                                    "index": needed(saved(0), 1), "source": needed(saved(1), 1),
                                    "source_dim": _source_dim},
    "IndexCopyBackward0": {"dim": _dim, "index": saved(0),
                           "source": needed(saved(1), 1), "source_dim": _source_dim},
    # the double backward of gather / index_select (their index as an array, not saved)
    "ScatterAddBackward0(ScatterAddZeros)": {"dim": _dim,
                                             "index": needed(attr("index", tensor=True), 1)},
    "IndexAddBackward0(IndexAddZeros)": {"alpha": const(1), "dim": _dim,
                                         "index": needed(attr("index", tensor=True), 1),
                                         "source": needed(saved(0), 1),
                                         "source_dim": _source_dim},
    "IndexFillBackward0": {"dim": _dim, "index": saved(0)},
    "IndexFillBackward1": {"dim": _dim, "index": saved(0)},
    "IndexPutBackward0(IndexPut)": {"accumulate": const(False), "indices": _indices("adv")},
    "IndexPutBackward0(IndexPutAdd)": {"accumulate": const(True), "indices": _indices("key")},
    "IndexPutImplBackward0": {"accumulate": const(True), "indices": _indices("key")},
    "PutBackward0(Put)": {"accumulate": attr("accumulate"), "index": saved(0),
                          "source": needed(saved(1), 1)},
    "MaskedSelectBackward0": {"self": saved(0), "mask": saved(1)},
    "MaskedScatterBackward0(MaskedScatter)": {"mask": saved(0),
                                              "source_sym_sizes": attr("source_shape", tuple)},
    "MaskedScatterBackwardBackward0": {"mask": attr("mask_given", tensor=True)},
    "SelectScatterBackward0": {"dim": _as_given(0), "index": _as_given(1)},
    "SliceScatterBackward0": {"dim": _as_given(0), "start": _as_given(1), "end": _as_given(2),
                              "step": _as_given(3)},
    "DiagonalScatterBackward0": {"offset": _as_given(0), "dim1": _as_given(1),
                                 "dim2": _as_given(2)},
    "IndexSelectBackward0": {"dim": _dim, "index": attr("index", tensor=True),
                             "self_sym_sizes": input_sizes(0)},
    "CatBackward0": {"dim": _dim},
    "StackBackward0": {"dim": _dim},
    "SplitBackward0": {"dim": _dim, "split_size": _split_size,
                       "self_sym_sizes": input_sizes(0)},
    "SplitWithSizesBackward0": {"dim": _dim, "split_sizes": _split_sizes,
                                "self_sym_sizes": input_sizes(0)},
    "UnbindBackward0": {"dim": _dim},
    "TraceBackward0": {"self_sym_sizes": attr("in_shape", tuple)},
    "RepeatBackward0": {"repeats": attr("repeats", _ints), "self_sym_sizes": input_sizes(0)},
    "FlipBackward0": {"dims": _given_dims(attr("dims", _ints))},
    "RollBackward0": {"dims": _given_dims(attr("dims", _ints)), "shifts": attr("shifts", _ints)},
    "TrilBackward0": {"diagonal": attr("diagonal", _int)},
    "TriuBackward0": {"diagonal": attr("diagonal", _int)},
    "DiagEmbedBackward0": {"offset": _diag_embed(0), "dim1": _diag_embed(1),
                           "dim2": _diag_embed(2)},
    # linalg (LU factors, pivots and the like that torch keeps and torchlet's node does
    # not are rebuilt from the saved input when read, as torchlet computes them)
    "LinalgInvExBackward0": {"inverse": saved(0)},
    "LinalgDetBackward0": {"A": saved(0), "result": saved(1),
                           "LU": _lu_factors(0, True), "pivots": _lu_factors(1, True)},
    "LinalgSlogdetBackward0": {"A": saved(0), "sign": _slogdet_sign,
                               "LU": _lu_factors(0, True), "pivots": _lu_factors(1, True)},
    "LinalgSolveExBackward0": {"A": saved(0), "result": saved(1), "left": attr("left"),
                               "LU": _lu_factors(0), "pivots": _lu_factors(1)},
    "LinalgCholeskyExBackward0": {"L": saved(0), "upper": attr("upper")},
    "CholeskyBackward0": {"result": saved(0), "upper": attr("upper")},
    "LinalgQrBackward0": {"Q": saved(1), "R": saved(2), "mode": attr("mode")},
    "LinalgEighBackward0(Eigh)": {"eigenvalues": saved(0), "eigenvectors": saved(1)},
    "LinalgEighBackward0(Eigvalsh)": {"eigenvalues": _rebuilt_eigh(0),
                                      "eigenvectors": _rebuilt_eigh(1)},
    "LinalgSvdBackward0(Svd)": {"U": saved(0), "S": saved(1), "Vh": saved(2),
                                "full_matrices": attr("full_matrices"),
                                "S_sym_argsize_minus_1": _svd_k},
    "LinalgSvdBackward0(Svdvals)": {"U": _rebuilt_svd(0), "S": _rebuilt_svd(1),
                                    "Vh": _rebuilt_svd(2), "full_matrices": const(False),
                                    "S_sym_argsize_minus_1": _svd_k},
    "LinalgPinvBackward0": {"self": saved(0), "result": saved(1)},
    "LinalgCrossBackward0": {"self": saved(0), "other": saved(1), "dim": _dim},
    "LinalgMatrixExpBackward0": SELF_ONLY,
    "LinalgLuFactorExBackward0": {"LU": saved(0), "pivot": const(True),
                                  "pivots": attr("pivots", tensor=True)},
    "LinalgLuBackward0": {"L": saved(0), "U": saved(1), "P": attr("p", tensor=True),
                          "pivot": const(True)},
    "LinalgLuSolveBackward0": {"LU": saved(0), "pivots": attr("pivots", tensor=True),
                               "left": attr("left"), "adjoint": attr("adjoint"),
                               "result": saved(1)},
    "LinalgSolveTriangularBackward0": {"self": saved(0), "result": saved(1),
                                       "left": attr("left"), "upper": attr("upper"),
                                       "unitriangular": attr("unit")},
    "TriangularSolveBackward0": {"A": saved(0), "solution": saved(1), "self": saved(2),
                                 "transpose": attr("transpose"), "upper": attr("upper"),
                                 "unitriangular": attr("unit")},
    "CholeskySolveBackward0": {"input2": saved(0), "result": saved(1), "self": saved(2),
                               "upper": attr("upper")},
    "CholeskyInverseBackward0": {"self": saved(0), "result": saved(1), "upper": attr("upper")},
    "LinalgLstsqBackward0": {"self": saved(0), "b": saved(1), "solution": saved(2)},
    "LinalgHouseholderProductBackward0": {"input": saved(0), "tau": saved(1),
                                          "result": saved(2)},
    # nn
    "ConvolutionBackward0": {
        "input": saved(0), "weight": saved(1),
        "stride": _geo("stride"), "dilation": _geo("dilation"), "groups": _geo("groups"),
        "padding": _geo("padding"),
        "transposed": _conv_transposed, "output_padding": _conv_output_padding,
        "bias_sym_sizes_opt": _bias_sizes,
    },
    # upsampling (the plan's given output_size, scales, align_corners), padding (the
    # flat list as given), pixel shuffle, unfold / fold, cdist
    **{f"{name}Backward0": _upsample(nd, corners) for name, (nd, corners) in UPSAMPLE.items()},
    **{f"{name}BackwardBackward0": _upsample(nd, corners, sizes=False)
       for name, (nd, corners) in UPSAMPLE.items()},
    **{f"{kind}Pad{k}DBackward0": {"padding": attr("padding", _ints), "self": saved(0)}
       for kind in ("Reflection", "Replication") for k in (1, 2, 3)},
    **{f"{kind}Pad{k}DBackwardBackward0": {"padding": attr("padding", _ints)}
       for kind in ("Reflection", "Replication") for k in (1, 2, 3)},
    "PixelShuffleBackward0": {"upscale_factor": attr("r", _int)},
    "PixelUnshuffleBackward0": {"downscale_factor": attr("r", _int)},
    "Im2ColBackward0": {**BLOCKS,
                        "self_sym_argsize_minus_1": _block_geo(("in_size", 1)),
                        "self_sym_argsize_minus_2": _block_geo(("in_size", 0))},
    "Col2ImBackward0": BLOCKS,
    "CdistBackward0": {"p": attr("p"), "x1": saved(0), "x2": saved(1), "result": saved(2)},
    "MaxPool2DWithIndicesBackward0": MAX_POOL,
    "MaxPool3DWithIndicesBackward0": MAX_POOL,
    "MaxPool2DWithIndicesBackwardBackward0": POOL_INDICES,
    "MaxPool3DWithIndicesBackwardBackward0": POOL_INDICES,
    "AvgPool2DBackward0": {"self": saved(0), **AVG_POOL},
    "AvgPool3DBackward0": {"self": saved(0), **AVG_POOL},
    "AvgPool2DBackwardBackward0": AVG_POOL,
    "AvgPool3DBackwardBackward0": AVG_POOL,
    "AdaptiveMaxPool2DBackward0": {"self": saved(0), "result1": _pool_result1},
    "AdaptiveMaxPool3DBackward0": {"self": saved(0), "result1": _pool_result1},
    "AdaptiveMaxPool2DBackwardBackward0": POOL_INDICES,
    "AdaptiveMaxPool3DBackwardBackward0": POOL_INDICES,
    "AdaptiveAvgPool2DBackward0": SELF_ONLY,
    "AdaptiveAvgPool3DBackward0": SELF_ONLY,
    "AdaptiveAvgPool2DBackwardBackward0": {
        "grad_output_sym_argsize_minus_1": _pool_out_size(1),
        "grad_output_sym_argsize_minus_2": _pool_out_size(2)},
    "AdaptiveAvgPool3DBackwardBackward0": {
        "grad_output_sym_argsize_minus_1": _pool_out_size(1),
        "grad_output_sym_argsize_minus_2": _pool_out_size(2),
        "grad_output_sym_argsize_minus_3": _pool_out_size(3)},
    "FractionalMaxPool2DBackward0": FRACTIONAL_POOL,
    "FractionalMaxPool3DBackward0": FRACTIONAL_POOL,
    "FractionalMaxPool2DBackwardBackward0": POOL_INDICES,
    "FractionalMaxPool3DBackwardBackward0": POOL_INDICES,
    "MaxUnpool2DBackward0": {"indices": attr("idx", tensor=True)},
    "MaxUnpool3DBackward0": {"indices": attr("idx", tensor=True)},
    "NativeBatchNormBackward0": {
        "input": saved(0), "weight": saved(1), "eps": attr("eps"), "training": attr("training"),
        "result1": _norm_stat("mean", _bn_shape), "result2": _norm_stat("invstd", _bn_shape),
        "running_mean": _running(0), "running_var": _running(1),
    },
    "NativeBatchNormBackwardBackward0": {
        "grad_out": saved(0), "input": saved(1), "weight": saved(2), "eps": attr("eps"),
        "train": attr("training"), "running_mean": _running(0), "running_var": _running(1),
        "save_mean": _norm_stat("mean", _bn_shape), "save_invstd": _norm_stat("invstd", _bn_shape),
    },
    "NativeLayerNormBackward0": {
        "input": saved(0), "weight": saved(1), "bias": saved(2),
        "normalized_shape": attr("param_shape", _ints),
        "result1": _norm_stat("mean", _ln_shape), "result2": _norm_stat("invstd", _ln_shape),
    },
    "NativeLayerNormBackwardBackward0": {
        "grad_out": saved(0), "input": saved(1), "weight": saved(2),
        "normalized_shape": attr("param_shape", _ints),
        "mean": _norm_stat("mean", _ln_shape), "rstd": _norm_stat("invstd", _ln_shape),
    },
    "NativeGroupNormBackward0": {
        "input": saved(0), "weight": saved(1), "eps": attr("eps"),
        "N": attr("shape4", lambda s: _int(s[0])), "group": attr("shape4", lambda s: _int(s[1])),
        "HxW": attr("shape4", lambda s: _int(s[3])), "C": attr("channels", _int),
        "result1": saved(2), "result2": saved(3),  # (outputs of the node, as torch's)
    },
    "EmbeddingBackward0": {
        "indices": saved(0), "padding_idx": attr("padding_idx", _int),
        "scale_grad_by_freq": attr("scale_grad_by_freq"), "sparse": attr("sparse"),
        "weight_sym_argsize_0": attr("num_rows", _int),
    },
}


def _entries(node) -> dict:
    """The table's entries for ``node`` (its primitive's own first), {} if none."""
    name = node.node_name
    mro = type(node).__mro__
    primitive = mro[1].__name__ if len(mro) > 1 else ""
    entries = TABLE.get(f"{name}({primitive})")
    if entries is None:
        entries = TABLE.get(name, {})
    return entries


def saved_attribute(node, name: str):
    """``node._saved_<x>`` / ``node._raw_saved_<x>``; AttributeError if not kept."""
    raw = name.startswith("_raw_saved_")
    key = name[len("_raw_saved_"):] if raw else name[len("_saved_"):]
    reader = _entries(node).get(key)
    if reader is not None:
        if raw:
            if getattr(reader, "slot", None) is not None:
                return SavedTensor(node, reader.slot)
        else:
            try:
                return reader(node)
            except Absent:
                pass
    raise AttributeError(f"'{type(node).__name__}' object has no attribute '{name}'")


def saved_names(node) -> list:
    """The ``_saved_*`` and ``_raw_saved_*`` names ``node`` has (for ``dir``)."""
    names = []
    for key, reader in _entries(node).items():
        try:
            reader(node)
        except Absent:
            continue
        except RuntimeError:  # freed: still one of the node's attributes, as in torch
            pass
        names.append("_saved_" + key)
        if getattr(reader, "slot", None) is not None:
            names.append("_raw_saved_" + key)
    return names


class SavedTensor:
    """A tensor a node saved, as ``torch._C._autograd.SavedTensor``: ``register_hooks``
    replaces it by what ``pack_hook`` makes of it now; ``unpack_hook`` turns that back into
    a tensor whenever backward reads it."""

    __slots__ = ("node", "slot")

    def __init__(self, node, slot):
        self.node, self.slot = node, slot

    def __repr__(self):
        return f"<torch._C._autograd.SavedTensor object at {hex(id(self))}>"

    def register_hooks(self, pack_hook, unpack_hook):
        if not (callable(pack_hook) and callable(unpack_hook)):
            raise TypeError(
                "register_hooks(): incompatible function arguments: pack_hook and "
                "unpack_hook must be callables")
        node = self.node
        if node._saved is FREED:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through "
                "the graph a second time or if you need to access saved variables after "
                "calling backward.")
        stored = list(node._saved)
        value = stored[self.slot]
        if type(value) is _PackedSaved:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor whose hooks have already been set. "
                "Hint: only one pair of hooks is allowed at a time.")
        if value is None:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor with value None is forbidden")
        if not (isinstance(value, Tensor) or type(value) is _SavedOutput):
            raise RuntimeError("this saved value is a constant, not a tensor")
        node.saved_tensors  # noqa: B018 - as torch, an in-place change is caught first
        if type(value) is _SavedOutput:
            tensor, edge, nr = value(node), _PackedSaved.OUTPUT, value.output_nr
        else:
            tensor, edge, nr = value, _edge(value), 0
        packed = pack_hook(tensor)
        stored[self.slot] = _PackedSaved(packed, unpack_hook, edge, nr)
        node._saved = tuple(stored)
        # the hooks own the data now: no version check for it (as for saved_tensors_hooks)
        node._version_checks = [c for c in (node._version_checks or ()) if c[2] is not value]
        node._rebuilt_on_access = True
