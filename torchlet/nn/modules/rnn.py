"""Recurrent layers: RNN, LSTM, GRU and their single-step cells, as torch.nn.

Each time step is written with torchlet operations (linear, sigmoid, tanh, chunk, +, *),
the formulas torch's CPU kernels evaluate, so the autograd graph does backpropagation
through time by itself, double backward included. As torch does on the CPU, the input
projection ``x_t W_ih^T + b_ih`` of a whole layer is one matmul over all time steps; only
``h W_hh^T + b_hh`` and the gate arithmetic run step by step. The layers run the LSTM and
GRU gate arithmetic as one fused node per step (see "one time step" below); the cells
use the readable composition, and show torch's grad_fn names. A float32 LSTM layer (with
biases, without proj_size, on padded input) runs as one node per layer and direction,
as torch's CPU LSTM records (MkldnnRnnLayerBackward0, _LSTMLayer): the same steps and
the same numbers, without the per-step nodes.

The gates (H = hidden_size; ``W_ih`` stacks the gates' weights in this order):

* RNN:  h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)   (or relu)
* LSTM: i, f, g, o = chunks of (x W_ih^T + b_ih + h W_hh^T + b_hh)
        i, f, o = sigmoid(...), g = tanh(g);  c' = f * c + i * g;  h' = o * tanh(c')
        (with ``proj_size``: h' = (o * tanh(c')) W_hr^T)
* GRU:  r, z = sigmoid of the first two chunks of (x W_ih^T + b_ih) + (h W_hh^T + b_hh)
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn));  h' = (1 - z) * n + z * h
        (computed as torch does: (h - n) * z + n)

Parameters are registered as torch's: per layer and direction ``weight_ih_l{k}``,
``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and ``weight_hr_l{k}``), with a
``_reverse`` suffix for the backward direction, all drawn from U(-1/sqrt(H), 1/sqrt(H))
in registration order, so the same seed gives torch's weights bit for bit.

Differences from torch: outside _LSTMLayer's case the layers' outputs have the grad_fn
of this composition (for example StackBackward0 over ThnnFusedLstmCellBackward0; torch's
LSTM without oneDNN, float64 or proj_size, shows its own per-op graph); float32 results
agree with torch to rounding, not bit for bit, since the matrix products sum in a
different order. Dropout between layers draws torch's masks, in torch's order.
"""

from __future__ import annotations

import math
import numbers
import warnings
import weakref

import numpy as np

from torchlet._ops.creation import empty, zeros
from torchlet._ops.linalg.products import matrix_product, times_transposed
from torchlet._ops.pointwise._libm import rounded_once
from torchlet._ops.pointwise._libm import sigmoid as _sigmoid
from torchlet._ops.reduction import _cascade
from torchlet._ops.reduction.sums import column_sums
from torchlet._ops.shape import cat, stack
from torchlet._tensor import Tensor, wrap
from torchlet.autograd import grad as autograd_grad
from torchlet.autograd.function import SAVED_TENSOR_HOOKS, Primitive
from torchlet.autograd.grad_mode import GRAD_STATE, enable_grad
from torchlet.nn import functional as F
from torchlet.nn import init
from torchlet.nn.modules.module import Module
from torchlet.nn.parameter import Parameter
from torchlet.nn.utils.rnn import PackedSequence

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]


# ---------------------------------------------------------------------------------------
# one time step
#
# ``xw`` is the input's projection x W_ih^T + b_ih (computed beforehand for all steps);
# ``hidden`` is a tuple: (h,) for RNN and GRU, (h, c) for LSTM; ``p`` holds the layer's
# (w_hh, b_hh, w_hr) (b_hh and w_hr may be None). ``hh`` is h W_hh^T + b_hh.
#
# The readable form of each step is written with torchlet operations (the cells use it,
# and it is the reference the fused steps are tested against). The layers run the LSTM
# and GRU gate arithmetic as one fused node per step instead of about ten: same formulas
# in NumPy, with the hand-derived backward (a layer over many steps is dominated by the
# per-node overhead otherwise). Under create_graph the fused backward differentiates the
# readable form, so higher derivatives come out the same.


def _lstm_gates(hh, xw, c):
    gates = hh.add(xw)
    i, f, g, o = gates.chunk(4, 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c + i * g
    return o * c.tanh(), c


def _gru_gates(hh, xw, h):
    xr, xz, xn = xw.chunk(3, 1)
    hr, hz, hn = hh.chunk(3, 1)
    r = hr.add(xr).sigmoid()
    z = hz.add(xz).sigmoid()
    n = xn.add(hn * r).tanh()
    return (h - n) * z + n


def _tanh(x):
    """torch's tanh: float32 in float64, rounded once (torchlet/_ops/pointwise/_libm.py)."""
    return rounded_once(np.tanh, x)


def _readable_grad(gates_fn, ctx, grads):
    """The gradient of the readable step, recorded (for create_graph)."""
    # Differentiate with respect to fresh views of the inputs: their nodes lead nowhere
    # else, so the inner backward stops at them instead of walking the earlier steps.
    inputs = [x.view(x.shape) if need else x
              for x, need in zip(ctx.saved_tensors[:3], ctx.needs_input_grad, strict=True)]
    wanted = [x for x, need in zip(inputs, ctx.needs_input_grad, strict=True) if need]
    with enable_grad():
        outputs = gates_fn(*inputs)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    found = iter(autograd_grad(outputs, wanted, grads, create_graph=True, allow_unused=True))
    return tuple(next(found) if need else None for need in ctx.needs_input_grad)


class _FusedLSTMCell(Primitive):
    """One LSTM step from hh = h W_hh^T + b_hh, xw = x W_ih^T + b_ih and the cell c:
    i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the chunks of hh + xw;
    c' = f c + i g;  h' = o tanh(c').
    With dc = grad_c' + grad_h' o (1 - tanh(c')^2):
    grad_i = dc g i (1 - i),  grad_f = dc c f (1 - f),  grad_g = dc i (1 - g^2),
    grad_o = grad_h' tanh(c') o (1 - o);  grad_hh = grad_xw = [grad_i, grad_f, grad_g,
    grad_o];  grad_c = dc f.

    torch's fused LSTM cell (CUDA) is this op, named ThnnFusedLstmCellBackward0."""

    node_name = "ThnnFusedLstmCellBackward0"
    materialize_grads = True

    @staticmethod
    def forward(ctx, hh, xw, c):
        h_new, c_new, act, tanh_c = _lstm_cell_forward(hh, xw, c)
        ctx.save_for_backward(hh, xw, c, act, tanh_c)
        ctx._output_meta = ((h_new.shape, h_new.dtype), (c_new.shape, c_new.dtype))
        return h_new, c_new

    @staticmethod
    def backward(ctx, grad_h, grad_c):
        if GRAD_STATE.enabled:
            return _readable_grad(_lstm_gates, ctx, (grad_h, grad_c))
        _, _, c, act, tanh_c = (t._data for t in ctx.saved_tensors)
        d, dc = _lstm_cell_backward(grad_h._data, grad_c._data, c, act, tanh_c)
        need_hh, need_xw, need_c = ctx.needs_input_grad
        grad_gates = wrap(d)
        size = c.shape[1]
        return (grad_gates if need_hh else None, grad_gates if need_xw else None,
                wrap(dc * act[:, size:2 * size]) if need_c else None)


def _lstm_cell_forward(hh, xw, c):
    """The arrays of one fused LSTM step (_FusedLSTMCell's forward; the layer node runs it
    too): h', c', the activated gates [i, f, g, o] and tanh(c')."""
    size = c.shape[1]
    gates = hh + xw
    act = np.empty_like(gates)
    act[:, :2 * size] = _sigmoid(gates[:, :2 * size])
    act[:, 2 * size:3 * size] = _tanh(gates[:, 2 * size:3 * size])
    act[:, 3 * size:] = _sigmoid(gates[:, 3 * size:])
    i, f, g, o = (act[:, k * size:(k + 1) * size] for k in range(4))
    c_new = f * c + i * g
    tanh_c = _tanh(c_new)
    return o * tanh_c, c_new, act, tanh_c


def _lstm_cell_backward(grad_h, grad_c, c, act, tanh_c):
    """The gradient of the gates' pre-activations ``d`` (= grad_hh = grad_xw) and ``dc``
    (grad_c = dc f) of one fused LSTM step, on arrays (see _FusedLSTMCell)."""
    size = c.shape[1]
    i, f, g, o = (act[:, k * size:(k + 1) * size] for k in range(4))
    dc = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
    d = np.empty_like(act)
    d[:, :size] = dc * g * i * (1 - i)
    d[:, size:2 * size] = dc * c * f * (1 - f)
    d[:, 2 * size:3 * size] = dc * i * (1 - g * g)
    d[:, 3 * size:] = grad_h * tanh_c * o * (1 - o)
    return d, dc


class _FusedGRUCell(Primitive):
    """One GRU step from hh = h W_hh^T + b_hh, xw = x W_ih^T + b_ih and h:
    r = sigmoid(xr + hr), z = sigmoid(xz + hz), n = tanh(xn + r hn), h' = (h - n) z + n.
    With dn = grad (1 - z) (1 - n^2):  grad_xw = [dr, dz, dn],  grad_hh = [dr, dz, dn r],
    where dz = grad (h - n) z (1 - z) and dr = dn hn r (1 - r);  grad_h = grad z.

    torch's fused GRU cell (CUDA) is this op, named ThnnFusedGruCellBackward0."""

    node_name = "ThnnFusedGruCellBackward0"

    @staticmethod
    def forward(ctx, hh, xw, h):
        h_new, rz, n = _gru_cell_forward(hh, xw, h)
        ctx.save_for_backward(hh, xw, h, rz, n)
        return h_new

    @staticmethod
    def backward(ctx, grad):
        if GRAD_STATE.enabled:
            return _readable_grad(_gru_gates, ctx, (grad,))[:3]
        hh, _, h, rz, n = (t._data for t in ctx.saved_tensors)
        need_hh, need_xw, need_h = ctx.needs_input_grad
        d, d_hh, dz = _gru_cell_backward(grad._data, hh, h, rz, n, need_xw, need_hh,
                                         need_h)
        return tuple(None if g is None else wrap(g) for g in (d_hh, d, dz))


class _LSTMLayer(Primitive):
    """One LSTM layer in one direction over a padded sequence, as one node (torch's CPU
    LSTM records one such node per layer and direction, MkldnnRnnLayerBackward0, with
    torch's inputs: x, w_ih, w_hh, b_ih, b_hh, h0, c0).

    Forward: xw = x W_ih^T + b_ih for all steps in one product (F.linear's), then per
    step hh = h W_hh^T + b_hh and _FusedLSTMCell's arithmetic; outputs the stacked h's,
    the last h and the last c. Backward through time: per step (last first) the fused
    cell's gradient d, then F.linear's gradients of hh (grad_h = d W_hh,
    grad_W_hh += d^T h, grad_b_hh += sum of d), the h gradient of a step being its
    output's plus the next step's; then F.linear's gradients of the projection.

    These are the operations, in the order, of the graph the per-step composition
    (_run_padded with _lstm_step) records, so the numbers are the same bit for bit
    (tests/test_speed26_rnn.py, tests/test_speed28_rnn.py): the gradients of W_hh and
    b_hh are summed from the last step to the first, as the engine sums the per-step
    nodes' contributions. Only the per-step nodes (two a step, about 20 us each to record
    and run) are gone. Under create_graph the backward differentiates that composition.

    Where the order of the arithmetic allows, the work is done for all steps at once or
    into buffers made once (_lstm_layer_forward, _lstm_layer_backward): elementwise float
    operations round each result on its own, so how they are grouped changes no bit."""

    node_name = "MkldnnRnnLayerBackward0"

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, c0, *, reverse, time_dim):
        size = c0.shape[1]
        x2 = x.reshape(-1, x.shape[-1])  # F.linear's flattening of a contiguous input
        xw = times_transposed(x2, w_ih, b_ih).reshape(x.shape[:-1] + (4 * size,))
        record = any(ctx.needs_input_grad)
        out, h, c, cache = _lstm_layer_forward(xw, w_hh, b_hh, h0, c0, reverse, time_dim,
                                               record)
        ctx.reverse, ctx.time_dim = reverse, time_dim
        # the output is saved (torch's node saves its result0: changing it in place is
        # an error at backward); the steps' h's are read from it
        ctx.save_for_backward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, out, cache)
        return out, h, c

    @staticmethod
    def backward(ctx, grad_out, grad_h, grad_c):
        if GRAD_STATE.enabled:
            return _readable_layer_grad(ctx, (grad_out, grad_h, grad_c))
        saved = ctx.saved_tensors
        x, w_ih = saved[0]._data, saved[1]._data
        need_x, need_w_ih, need_b_ih = (ctx.needs_input_grad[k] for k in (0, 1, 3))
        grad_xw, grad_w_hh, grad_b_hh, grad_h0, grad_c0 = _lstm_layer_backward(
            saved[2]._data, saved[5]._data, saved[7]._data, saved[8], ctx.needs_input_grad,
            ctx.reverse, ctx.time_dim, *(None if g is None else g._data for g in (
                grad_out, grad_h, grad_c)))
        grad_x = grad_w_ih = grad_b_ih = None
        if grad_xw is not None:  # the projection's gradients
            g = grad_xw.reshape(-1, grad_xw.shape[-1])
            if need_b_ih:
                grad_b_ih = column_sums(g)
            if need_x:
                grad_x = matrix_product(g, w_ih).reshape(x.shape)
            if need_w_ih:
                grad_w_ih = matrix_product(g.T, x.reshape(-1, x.shape[-1]))
        return tuple(None if g is None else wrap(g) for g in (
            grad_x, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh, grad_h0, grad_c0))


def _lstm_layer_forward(xw, w_hh, b_hh, h0, c0, reverse, time_dim, record):
    """_LSTMLayer's steps on arrays: (out, last h, last c, cache). Per step, the
    operations of _FusedLSTMCell's forward (_lstm_cell_forward) on the same numbers,
    written into buffers made once (each step's h into the output). The activated gates
    are kept gate by gate, (4, B, H) (each gate a contiguous block: the elementwise work
    runs over whole arrays instead of the strided columns of (B, 4H)). The cache (when
    ``record``) holds, in the order the steps ran, the c's (c_k the input of step k,
    c_0 = c0), the activated gates and tanh(c')."""
    steps = xw.shape[time_dim]
    batch, size = c0.shape
    dtype = c0.dtype
    slots = steps if record else 1  # (without a backward, one step's buffers are reused)
    out = np.empty((steps, batch, size), dtype)
    cs = np.empty((steps + 1 if record else 2, batch, size), dtype)
    acts = np.empty((slots, 4, batch, size), dtype)
    tanhs = np.empty((slots, batch, size), dtype)
    wide = np.empty((4, batch, size), np.float64)
    wide_c = np.empty((batch, size), np.float64)
    product = np.empty((batch, size), dtype)
    cs[0] = c0
    h = h0
    for k in range(steps):
        t = steps - 1 - k if reverse else k
        slot = k if record else 0
        act, tanh_c = acts[slot], tanhs[slot]
        c = cs[k if record else k % 2]
        c_new = cs[k + 1 if record else (k + 1) % 2]
        gates = times_transposed(h, w_hh, b_hh)
        gates += xw[t] if time_dim == 0 else xw[:, t]
        # act = [sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)], as _sigmoid and _tanh do:
        # 1 / (1 + exp(-x)) with exp in float64 rounded once, tanh likewise. The sigmoid
        # runs over all four gates (one array), then g's block is overwritten by its tanh.
        blocks = gates.reshape(batch, 4, size).transpose(1, 0, 2)
        np.negative(blocks, out=wide)
        np.exp(wide, out=wide)
        np.copyto(act, wide, casting="same_kind")
        np.add(act, 1, out=act)
        np.reciprocal(act, out=act)
        np.copyto(wide_c, blocks[2])
        np.tanh(wide_c, out=wide_c)
        np.copyto(act[2], wide_c, casting="same_kind")
        # c' = f * c + i * g;  h' = o * tanh(c')
        np.multiply(act[1], c, out=c_new)
        np.multiply(act[0], act[2], out=product)
        np.add(c_new, product, out=c_new)
        np.copyto(wide_c, c_new)
        np.tanh(wide_c, out=wide_c)
        np.copyto(tanh_c, wide_c, casting="same_kind")
        h = np.multiply(act[3], tanh_c, out=out[t])
    cache = (cs, acts, tanhs) if record else None
    return out, h.copy(), c_new.copy(), cache


def _lstm_layer_backward(w_hh, h0, out, cache, needs, reverse, time_dim, grad_out, dh,
                         dc):
    """_LSTMLayer's backward through time on arrays: grad_xw (in xw's layout), grad_W_hh,
    grad_b_hh, grad_h0, grad_c0, None where not needed. ``out`` is the forward's output
    (the steps' h's), ``cache`` its (c's, gates, tanh(c')); grad_out, dh (of the last h)
    and dc (of the last c) are None where they did not arrive, then zeros as the fused
    cell takes them.

    Per step, the operations of _lstm_cell_backward in their order, gate by gate
    ((4, B, H) as the forward keeps the gates), then laid out as (B, 4H) for the
    products: d = [dc g, dc c, dc i, dh tanh(c')] * [i, f, 1 - g^2, o] *
    [1 - i, 1 - f, 1, 1 - o] (times 1 changes nothing) and dc = grad_c +
    dh o (1 - tanh(c')^2), with 1 - g^2 and 1 - tanh(c')^2 computed for all steps
    before the loop (the other factors per step: whole-sequence copies of the gates
    measured slower). The products d^T h and the column sums of d are added from the
    last step to the first."""
    cs, acts, tanhs = cache
    need_x, need_w_ih, need_w_hh, need_b_ih, need_b_hh, need_h0, need_c0 = needs
    need_xw = need_x or need_w_ih or need_b_ih  # the projection's node ran
    steps, batch, size = out.shape
    dtype = out.dtype
    dg = np.multiply(acts[:, 2], acts[:, 2])
    np.subtract(1, dg, out=dg)  # 1 - g^2
    second = np.empty((4, batch, size), dtype)  # [1 - i, 1 - f, 1, 1 - o] of a step
    dtanh = np.multiply(tanhs, tanhs)
    np.subtract(1, dtanh, out=dtanh)  # 1 - tanh(c')^2
    ds = np.empty((steps, batch, 4 * size), dtype)  # d of each step, in step order
    part = np.empty((batch, size), dtype)
    dh_in = np.empty((batch, size), dtype)
    gate_grads = np.empty((4, batch, size), dtype)
    if dh is None and grad_out is None:
        dh = np.zeros((batch, size), dtype)
    if dc is None:
        dc = np.zeros((batch, size), dtype)
    for k in range(steps - 1, -1, -1):
        t = steps - 1 - k if reverse else k
        if grad_out is not None:  # (the output's slice, plus the later step's)
            dh = grad_out[t] if dh is None else np.add(grad_out[t], dh, out=dh_in)
        act = acts[k]
        i, f, g, o = act
        # dc = grad_c + grad_h o (1 - tanh(c')^2)
        np.multiply(dh, o, out=part)
        np.multiply(part, dtanh[k], out=part)
        dc = np.add(dc, part)
        np.multiply(dc, g, out=gate_grads[0])
        np.multiply(dc, cs[k], out=gate_grads[1])
        np.multiply(dc, i, out=gate_grads[2])
        np.multiply(dh, tanhs[k], out=gate_grads[3])
        np.multiply(gate_grads[:2], act[:2], out=gate_grads[:2])  # times [i, f, 1 - g^2, o]
        np.multiply(gate_grads[2], dg[k], out=gate_grads[2])
        np.multiply(gate_grads[3], o, out=gate_grads[3])
        np.subtract(1, act, out=second)
        second[2] = 1
        np.multiply(gate_grads, second, out=gate_grads)
        d = ds[k]
        np.copyto(d.reshape(batch, 4, size), gate_grads.transpose(1, 0, 2))
        dh = None
        if k > 0 or need_h0:
            dh = matrix_product(d, w_hh)
        if k > 0 or need_c0:
            dc = np.multiply(dc, f, out=dc)
    grad_w_hh = grad_b_hh = None
    if need_w_hh:  # sum of d^T h over the steps, the last first
        for k in range(steps - 1, -1, -1):
            h = h0 if k == 0 else out[steps - k if reverse else k - 1]  # (step k's input)
            grad = matrix_product(ds[k].T, h)
            grad_w_hh = grad if grad_w_hh is None else np.add(grad_w_hh, grad,
                                                              out=grad_w_hh)
    if need_b_hh:  # (column_sums of each step's d: the batch's sums at once where they
        # take its short-block route, plus 0 as it adds)
        if 0 < batch < 256 and batch * 4 * size < _cascade.GRAIN_SIZE \
                and dtype in (np.float32, np.float64):
            sums = _cascade.outer_blocks(ds)
            np.add(sums, 0.0, out=sums)
        else:
            sums = [column_sums(d) for d in ds]
        grad_b_hh = sums[steps - 1].copy()
        for k in range(steps - 2, -1, -1):
            np.add(grad_b_hh, sums[k], out=grad_b_hh)
    grad_xw = None
    if need_xw:
        grad_xw = ds[::-1] if reverse else ds  # (step order to time order)
        if time_dim == 1:
            grad_xw = grad_xw.transpose(1, 0, 2)
        grad_xw = np.ascontiguousarray(grad_xw)
    return (grad_xw, grad_w_hh, grad_b_hh, dh if need_h0 else None,
            dc if need_c0 else None)


def _readable_layer_grad(ctx, grads):
    """_LSTMLayer's gradient through the per-step composition, recorded (create_graph)."""
    needs = ctx.needs_input_grad
    inputs = [x.view(x.shape) if need else x
              for x, need in zip(ctx.saved_tensors[:7], needs, strict=True)]
    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = inputs
    with enable_grad():
        out, (h, c) = _run_padded(_lstm_step, F.linear(x, w_ih, b_ih), (h0, c0),
                                  (w_hh, b_hh, None), ctx.reverse, ctx.time_dim)
    given = [(o, g) for o, g in zip((out, h, c), grads, strict=True) if g is not None]
    wanted = [x for x, need in zip(inputs, needs, strict=True) if need]
    found = iter(autograd_grad([o for o, _ in given], wanted, [g for _, g in given],
                               create_graph=True, allow_unused=True))
    return tuple(next(found) if need else None for need in needs)


def _lstm_layer(x, w_ih, w_hh, b_ih, b_hh, state, reverse, time_dim):
    """One LSTM layer as one _LSTMLayer node; None where it does not apply (then the
    per-step composition runs): float32 CPU tensors, a contiguous 3-D input, biases,
    a nonempty batch and sequence, no saved-tensor hooks."""
    tensors = (x, w_ih, w_hh, b_ih, b_hh) + state
    for t in tensors:
        if type(t._data) is not np.ndarray or t._data.dtype != np.float32:
            return None
    data = x._data
    if (data.ndim != 3 or not data.flags.c_contiguous or data.size == 0
            or w_ih._data.ndim != 2 or w_ih._data.shape[1] != data.shape[2]
            or SAVED_TENSOR_HOOKS.stack):
        return None
    out, h, c = _LSTMLayer.apply(*tensors, reverse=reverse, time_dim=time_dim)
    return out, (h, c)


class _GRULayer(Primitive):
    """One GRU layer in one direction over a padded sequence, from the projection
    xw = x W_ih^T + b_ih (all steps, computed before), as one node with one output per
    time step (the layer stacks them: torch's StackBackward0 over the steps stays).

    Forward: per step hh = h W_hh^T + b_hh and _FusedGRUCell's arithmetic. Backward
    through time, last step first: the h gradient of a step is its outputs' gradient,
    plus the next step's cell gradient (grad z), plus the next step's F.linear gradient
    (grad_hh W_hh), added in this order; then the fused cell's gradient and F.linear's
    (grad_W_hh += grad_hh^T h, grad_b_hh += sum of grad_hh, summed from the last step to
    the first).

    These are the operations, in the order, of the graph the per-step composition
    (_run_padded with _gru_step: one linear and one fused cell node per step) records and
    the engine runs, so the numbers are the same bit for bit (tests/test_speed27_rnn.py);
    only the per-step nodes and the engine's bookkeeping are gone. The node keeps the
    per-step cell's name. Under create_graph the backward differentiates that
    composition."""

    node_name = "ThnnFusedGruCellBackward0"

    @staticmethod
    def forward(ctx, xw, w_hh, b_hh, h0, *, reverse, time_dim):
        steps = xw.shape[time_dim]
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        record = any(ctx.needs_input_grad)
        outputs = [None] * steps
        cache = []
        h = h0
        for t in order:
            hh = times_transposed(h, w_hh, b_hh)
            h_new, rz, n = _gru_cell_forward(hh, xw[t] if time_dim == 0 else xw[:, t], h)
            if record:
                cache.append((h, hh, rz, n))
            outputs[t] = h_new
            h = h_new
        ctx.reverse, ctx.time_dim = reverse, time_dim
        ctx.save_for_backward(xw, w_hh, b_hh, h0, cache)
        return tuple(outputs)

    @staticmethod
    def backward(ctx, *grads):
        if GRAD_STATE.enabled:
            return _readable_gru_layer_grad(ctx, grads)
        saved = ctx.saved_tensors
        xw, w_hh = saved[0]._data, saved[1]._data
        cache = saved[4]
        need_xw, need_w_hh, need_b_hh, need_h0 = ctx.needs_input_grad
        need_hh0 = need_h0 or need_w_hh or need_b_hh  # the first step's linear ran
        steps = len(cache)
        order = range(steps - 1, -1, -1) if ctx.reverse else range(steps)
        time_dim = ctx.time_dim
        grad_xw = np.empty(xw.shape, w_hh.dtype) if need_xw else None
        grad_w_hh = grad_b_hh = None
        dz = lin = None  # the next step's cell and linear gradients of this step's h
        for k in range(steps - 1, -1, -1):
            t = order[k]
            dh = None if grads[t] is None else grads[t]._data
            for part in (dz, lin):  # added as the engine adds them, in order of arrival
                if part is not None:
                    dh = part if dh is None else dh + part
            if dh is None:  # no gradient reached this step: its nodes did not run
                if need_xw:
                    if time_dim == 0:
                        grad_xw[t] = 0
                    else:
                        grad_xw[:, t] = 0
                continue
            h, hh, rz, n = cache[k]
            d, d_hh, dz = _gru_cell_backward(dh, hh, h, rz, n, need_xw, k > 0 or need_hh0,
                                             k > 0 or need_h0)
            if need_xw:
                if time_dim == 0:
                    grad_xw[t] = d
                else:
                    grad_xw[:, t] = d
            lin = None
            if k > 0 or need_hh0:  # h W_hh^T + b_hh's gradients
                if need_b_hh:
                    grad = column_sums(d_hh)
                    grad_b_hh = grad if grad_b_hh is None else np.add(grad_b_hh, grad,
                                                                      out=grad_b_hh)
                if k > 0 or need_h0:
                    lin = matrix_product(d_hh, w_hh)
                if need_w_hh:
                    grad = matrix_product(d_hh.T, h)
                    grad_w_hh = grad if grad_w_hh is None else np.add(grad_w_hh, grad,
                                                                      out=grad_w_hh)
        grad_h0 = dz + lin if need_h0 and dz is not None else None
        return tuple(None if g is None else wrap(g) for g in (
            grad_xw, grad_w_hh, grad_b_hh, grad_h0))


def _gru_cell_forward(hh, xw, h):
    """The arrays of one fused GRU step (_FusedGRUCell's forward; the layer node runs it
    too): h', the gates [r, z] and n."""
    size = h.shape[1]
    rz = _sigmoid(hh[:, :2 * size] + xw[:, :2 * size])
    r, z = rz[:, :size], rz[:, size:]
    n = _tanh(xw[:, 2 * size:] + hh[:, 2 * size:] * r)
    return (h - n) * z + n, rz, n


def _gru_cell_backward(grad, hh, h, rz, n, need_xw, need_hh, need_h):
    """The gradients of one fused GRU step, on arrays (see _FusedGRUCell): grad_xw,
    grad_hh and grad_h, each None unless needed; new arrays."""
    size = h.shape[1]
    r, z = rz[:, :size], rz[:, size:]
    dn = grad * (1 - z) * (1 - n * n)
    d = np.empty(hh.shape, dtype=dn.dtype)
    d[:, :size] = dn * hh[:, 2 * size:] * r * (1 - r)
    d[:, size:2 * size] = grad * (h - n) * z * (1 - z)
    d[:, 2 * size:] = dn
    d_hh = None
    if need_hh:
        d_hh = d.copy() if need_xw else d
        d_hh[:, 2 * size:] *= r
    return (d if need_xw else None), d_hh, (grad * z if need_h else None)


def _readable_gru_layer_grad(ctx, grads):
    """_GRULayer's gradient through the per-step composition, recorded (create_graph)."""
    needs = ctx.needs_input_grad
    inputs = [x.view(x.shape) if need else x
              for x, need in zip(ctx.saved_tensors[:4], needs, strict=True)]
    xw, w_hh, b_hh, h0 = inputs
    steps = xw.unbind(ctx.time_dim)
    order = range(len(steps) - 1, -1, -1) if ctx.reverse else range(len(steps))
    outputs = [None] * len(steps)
    with enable_grad():
        hidden = (h0,)
        for t in order:
            hidden = _gru_step(steps[t], hidden, (w_hh, b_hh, None))
            outputs[t] = hidden[0]
    given = [(o, g) for o, g in zip(outputs, grads, strict=True) if g is not None]
    wanted = [x for x, need in zip(inputs, needs, strict=True) if need]
    found = iter(autograd_grad([o for o, _ in given], wanted, [g for _, g in given],
                               create_graph=True, allow_unused=True))
    return tuple(next(found) if need else None for need in needs)


def _gru_layer(xw, w_hh, b_hh, h0, reverse, time_dim):
    """One GRU layer as one _GRULayer node; None where it does not apply (then the
    per-step composition runs): float32 or float64 CPU tensors of one dtype, a 3-D
    projection, a nonempty batch and sequence, states and weights that fit (else the
    composition raises torch's errors), no saved-tensor hooks."""
    tensors = (xw, w_hh, h0) if b_hh is None else (xw, w_hh, b_hh, h0)
    dtype = xw._data.dtype
    for t in tensors:
        if (type(t._data) is not np.ndarray or t._data.dtype != dtype
                or dtype not in (np.float32, np.float64)):
            return None
    data, w, h = xw._data, w_hh._data, h0._data
    if (data.ndim != 3 or data.size == 0 or w.ndim != 2 or h.ndim != 2
            or h.shape != (data.shape[1 - time_dim], w.shape[1])
            or data.shape[2] != w.shape[0] or w.shape[0] != 3 * w.shape[1]
            or (b_hh is not None and b_hh._data.shape != (w.shape[0],))
            or SAVED_TENSOR_HOOKS.stack):
        return None
    outputs = _GRULayer.apply(xw, w_hh, b_hh, h0, reverse=reverse, time_dim=time_dim)
    return stack(list(outputs), 0), (outputs[0] if reverse else outputs[-1],)


def _tanh_step(xw, hidden, p):
    return (F.linear(hidden[0], p[0], p[1]).add(xw).tanh(),)


def _relu_step(xw, hidden, p):
    return (F.linear(hidden[0], p[0], p[1]).add(xw).relu(),)


def _lstm_step(xw, hidden, p):
    h, c = _FusedLSTMCell.apply(F.linear(hidden[0], p[0], p[1]), xw, hidden[1])
    if p[2] is not None:
        h = F.linear(h, p[2])  # the projection h W_hr^T (proj_size)
    return h, c


def _gru_step(xw, hidden, p):
    return (_FusedGRUCell.apply(F.linear(hidden[0], p[0], p[1]), xw, hidden[0]),)


_STEPS = {"RNN_TANH": _tanh_step, "RNN_RELU": _relu_step, "LSTM": _lstm_step,
          "GRU": _gru_step}


# ---------------------------------------------------------------------------------------
# one layer in one direction


def _run_padded(step, xw, hidden, p, reverse, time_dim):
    """Run over the time steps of ``xw`` ((T, B, G), or (B, T, G) with ``time_dim=1``);
    the outputs stacked to (T, B, H) and the final hidden state."""
    steps = xw.unbind(time_dim)
    if len(steps) == 0:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    if reverse:
        steps = steps[::-1]
    outputs = []
    for xw_t in steps:
        hidden = step(xw_t, hidden, p)
        outputs.append(hidden[0])
    if reverse:
        outputs.reverse()
    return stack(outputs, 0), hidden


def _run_packed(step, xw, hidden, p, batch_sizes):
    """Forward direction over packed data: step t uses the first batch_sizes[t] rows. When
    the batch shrinks, the finished sequences' states are set aside as final states."""
    outputs, finished = [], []
    offset = 0
    last = batch_sizes[0]
    for size in batch_sizes:
        if size < last:
            finished.append(tuple(s.narrow(0, size, last - size) for s in hidden))
            hidden = tuple(s.narrow(0, 0, size) for s in hidden)
        last = size
        hidden = step(xw.narrow(0, offset, size), hidden, p)
        offset += size
        outputs.append(hidden[0])
    finished.append(hidden)
    finished.reverse()  # the longest sequences come first in the batch
    final = tuple(cat([f[k] for f in finished], 0) for k in range(len(hidden)))
    return cat(outputs, 0), final


def _run_packed_reverse(step, xw, hidden, p, batch_sizes):
    """Backward direction over packed data: start from the last step with the few
    sequences that reach it; add the others' initial states as the batch grows."""
    initial = hidden
    last = batch_sizes[-1]
    hidden = tuple(s.narrow(0, 0, last) for s in initial)
    offset = xw.shape[0]
    outputs = []
    for size in reversed(batch_sizes):
        if size > last:
            hidden = tuple(cat([s, s0.narrow(0, last, size - last)], 0)
                           for s, s0 in zip(hidden, initial, strict=True))
        last = size
        offset -= size
        hidden = step(xw.narrow(0, offset, size), hidden, p)
        outputs.append(hidden[0])
    outputs.reverse()
    return cat(outputs, 0), hidden


def _dropout(x, p):
    # F.dropout: the same mask as torch's from the shared generator
    from torchlet.nn._functional.dropout import dropout

    return dropout(x, p, True)


def _rnn(mode, input, hidden, weights, has_bias, has_proj, num_layers, dropout,  # noqa: A002
         train, bidirectional, batch_first, batch_sizes):
    """The stack of layers. ``input`` is (T, B, in) ((B, T, in) if ``batch_first``), or
    packed data (N, in) when ``batch_sizes`` (a list of ints) is given; ``hidden`` a tuple
    of (L * D, B, *) states; ``weights`` the flat parameter list in registration order.
    Returns the last layer's output, (T, B, *) or packed, and the tuple of stacked final
    states."""
    step = _STEPS[mode]
    per_direction = (4 if has_bias else 2) + (1 if has_proj else 0)
    directions = 2 if bidirectional else 1
    # the input projection runs on the caller's layout (contiguous: one matmul); the
    # steps are then taken along the time dimension, which is 0 after the first layer
    time_dim = 1 if batch_first else 0
    finals = [[] for _ in hidden]
    layer_input = input
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            w = weights[k * per_direction:(k + 1) * per_direction]
            w_ih, w_hh = w[0], w[1]
            b_ih, b_hh = (w[2], w[3]) if has_bias else (None, None)
            w_hr = w[-1] if has_proj else None
            fused = None
            if mode == "LSTM" and batch_sizes is None and has_bias and not has_proj:
                # the whole layer as one node, where it applies (the same numbers)
                fused = _lstm_layer(layer_input, w_ih, w_hh, b_ih, b_hh,
                                    tuple(s[k] for s in hidden), direction == 1, time_dim)
            if fused is not None:
                out, state = fused
            else:
                xw = F.linear(layer_input, w_ih, b_ih)
                state = tuple(s[k] for s in hidden)
                p = (w_hh, b_hh, w_hr)
                if mode == "GRU" and batch_sizes is None:
                    # the steps as one node, where it applies (the same numbers)
                    fused = _gru_layer(xw, w_hh, b_hh, state[0], direction == 1, time_dim)
                if fused is not None:
                    out, state = fused
                elif batch_sizes is None:
                    out, state = _run_padded(step, xw, state, p, direction == 1, time_dim)
                elif direction == 0:
                    out, state = _run_packed(step, xw, state, p, batch_sizes)
                else:
                    out, state = _run_packed_reverse(step, xw, state, p, batch_sizes)
            outputs.append(out)
            for final, s in zip(finals, state, strict=True):
                final.append(s)
        layer_input = outputs[0] if directions == 1 else cat(outputs, outputs[0].dim() - 1)
        time_dim = 0
        if dropout != 0 and train and layer < num_layers - 1:
            layer_input = _dropout(layer_input, dropout)
    return layer_input, tuple(stack(final, 0) for final in finals)


# ---------------------------------------------------------------------------------------
# the layers


def _apply_permutation(tensor: Tensor, permutation: Tensor, dim: int = 1) -> Tensor:
    return tensor.index_select(dim, permutation)


class RNNBase(Module):
    """The common part of RNN, LSTM and GRU: parameters, checks, ``extra_repr``.
    ``mode`` is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"]
    __jit_unused_properties__ = ["all_weights"]

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self._flat_weight_refs: list[weakref.ref | None] = []
        num_directions = 2 if bidirectional else 1

        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(
                f"batch_first should be of type bool, got: {type(batch_first).__name__}"
            )
        if not isinstance(input_size, int):
            raise TypeError(
                f"input_size should be of type int, got: {type(input_size).__name__}"
            )
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(
                f"hidden_size should be of type int, got: {type(hidden_size).__name__}"
            )
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")

        gates = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}.get(mode)
        if gates is None:
            raise ValueError("Unrecognized RNN mode: " + mode)
        # torch's RNN takes hidden_size itself (not 1 * hidden_size): a bool True stays a
        # bool there and empty() refuses it, as torch's does
        gate_size = hidden_size if gates == 1 else gates * hidden_size

        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                real_hidden_size = proj_size if proj_size > 0 else hidden_size
                layer_input_size = (input_size if layer == 0
                                    else real_hidden_size * num_directions)
                w_ih = Parameter(empty((gate_size, layer_input_size), **factory_kwargs))
                w_hh = Parameter(empty((gate_size, real_hidden_size), **factory_kwargs))
                b_ih = Parameter(empty(gate_size, **factory_kwargs))
                b_hh = Parameter(empty(gate_size, **factory_kwargs))
                layer_params: tuple[Parameter, ...] = ((w_ih, w_hh, b_ih, b_hh) if bias
                                                       else (w_ih, w_hh))
                if proj_size > 0:
                    w_hr = Parameter(empty((proj_size, hidden_size), **factory_kwargs))
                    layer_params += (w_hr,)

                suffix = "_reverse" if direction == 1 else ""
                param_names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    param_names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    param_names += ["weight_hr_l{}{}"]
                param_names = [x.format(layer, suffix) for x in param_names]
                for name, param in zip(param_names, layer_params, strict=True):
                    setattr(self, name, param)
                self._flat_weights_names.extend(param_names)
                self._all_weights.append(param_names)

        self._init_flat_weights()
        self.reset_parameters()

    def _init_flat_weights(self) -> None:
        self._flat_weights = [getattr(self, wn) if hasattr(self, wn) else None
                              for wn in self._flat_weights_names]
        self._flat_weight_refs = [weakref.ref(w) if w is not None else None
                                  for w in self._flat_weights]
        self.flatten_parameters()

    def __setattr__(self, attr, value) -> None:
        # keep _flat_weights in step with a reassigned weight
        if hasattr(self, "_flat_weights_names") and attr in self._flat_weights_names:
            idx = self._flat_weights_names.index(attr)
            self._flat_weights[idx] = value
        super().__setattr__(attr, value)

    def flatten_parameters(self) -> None:
        """torch packs the weights into one cuDNN buffer on GPUs; nothing to do here."""

    def _apply(self, fn, recurse=True):
        self._flat_weight_refs = []
        ret = super()._apply(fn, recurse)
        self._init_flat_weights()
        return ret

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def check_input(self, input: Tensor, batch_sizes) -> None:  # noqa: A002
        first_weight = self._flat_weights[0]
        assert first_weight is not None  # weight_ih_l0 always exists
        weight_dtype = first_weight.dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype "
                f"({weight_dtype}). Convert input: input.to({weight_dtype}), or convert "
                f"model: model.to({input.dtype})"
            )
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(
                f"input must have {expected_input_dim} dimensions, got {input.dim()}"
            )
        if self.input_size != input.size(-1):
            raise RuntimeError(
                "input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.size(-1)}"
            )

    def get_expected_hidden_size(self, input: Tensor, batch_sizes):  # noqa: A002
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size,
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def _weights_have_changed(self) -> bool:
        for ref, name in zip(self._flat_weight_refs, self._flat_weights_names, strict=True):
            weight = getattr(self, name) if hasattr(self, name) else None
            if weight is not None and ref is not None and ref() is not weight:
                return True
        return False

    def check_forward_args(self, input, hidden, batch_sizes) -> None:  # noqa: A002
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx, permutation)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def _update_flat_weights(self) -> None:
        if self._weights_have_changed():
            self._init_flat_weights()

    def __getstate__(self):
        self._update_flat_weights()
        state = super().__getstate__()
        state.pop("_flat_weight_refs", None)
        return state

    def __setstate__(self, d) -> None:
        super().__setstate__(d)
        if "proj_size" not in d:
            self.proj_size = 0
        self._flat_weight_refs = [weakref.ref(w) if w is not None else None
                                  for w in self._flat_weights]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, weight) for weight in weights] for weights in self._all_weights]

    # -- the forward pass shared by RNN, LSTM and GRU ------------------------------------

    def _forward(self, input, hx, name: str):  # noqa: A002
        """Unpack or batch the input, make or check the initial state (a tuple here),
        run the layers, and give the results the caller's layout back."""
        self._update_flat_weights()
        lstm = self.mode == "LSTM"
        state_sizes = [self.proj_size if self.proj_size > 0 else self.hidden_size]
        if lstm:
            state_sizes.append(self.hidden_size)
        orig_input = input
        given_hx = hx
        is_batched = True
        batch_dim = 0 if self.batch_first else 1

        if isinstance(orig_input, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = input
            max_batch_size = int(batch_sizes[0])
            if hx is None:
                hx = self._zeros(input, max_batch_size, state_sizes)
            else:
                if lstm and sorted_indices is None:
                    # torch's LSTM hands this state to its kernel unchecked and unchanged
                    self._check_kernel_args(hx, packed=True)
                hx = self._as_tuple(hx, lstm)
                hx = tuple(_apply_permutation(h, sorted_indices) for h in hx) \
                    if sorted_indices is not None else hx
            if lstm and (given_hx is None or sorted_indices is not None):
                self._check_kernel_args(hx, packed=True)  # the pair torch built
            self._check_forward_args(input, hx, batch_sizes)
            if not lstm:
                self._check_kernel_args(hx[0], packed=True)
            batch_sizes_list: list[int] | None = [int(b) for b in batch_sizes._data]
        else:
            batch_sizes = batch_sizes_list = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                got = f"{input.dim()}D tensor" if name == "RNN" else f"{input.dim()}D"
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {got} instead")
            is_batched = input.dim() == 3
            if not is_batched:
                input = input.unsqueeze(batch_dim)
            if hx is not None:
                hx = self._as_tuple(hx, lstm)
                self._check_hidden_dims(hx, is_batched, lstm)
                if not is_batched:
                    hx = tuple(h.unsqueeze(1) for h in hx)
            else:
                max_batch_size = input.size(0) if self.batch_first else input.size(1)
                hx = self._zeros(input, max_batch_size, state_sizes)
            self._check_forward_args(input, hx, None)
            # the state torch's kernel gets: a batched LSTM state as the caller passed it
            # (unbatched, torch rebuilds the pair from hx[0] and hx[1])
            lstm_given = lstm and is_batched and given_hx is not None
            self._check_kernel_args(given_hx if lstm_given else hx if lstm else hx[0],
                                    packed=False)
        for position, weight in enumerate(self._flat_weights):
            if not isinstance(weight, Tensor):  # (a weight set to None, as torch's kernel)
                raise TypeError(f"expected Tensor as element {position} in argument "
                                f"{2 if batch_sizes is None else 3}, but got "
                                f"{type(weight).__name__}")

        output, hidden = _rnn(self.mode, input, hx, self._flat_weights, self.bias,
                              self.proj_size > 0, self.num_layers, self.dropout,
                              self.training, self.bidirectional,
                              self.batch_first and batch_sizes is None, batch_sizes_list)
        if isinstance(orig_input, PackedSequence):
            output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        else:
            if self.batch_first:  # torch: in place for RNN and GRU (TransposeBackward1)
                output = output.transpose(0, 1) if lstm else output.transpose_(0, 1)
            if not is_batched:
                output = output.squeeze(batch_dim)
                hidden = tuple(h.squeeze(1) for h in hidden)
        if unsorted_indices is not None:
            hidden = tuple(_apply_permutation(h, unsorted_indices) for h in hidden)
        return output, (hidden if lstm else hidden[0])

    def _zeros(self, input, batch, state_sizes):  # noqa: A002
        layers = self.num_layers * (2 if self.bidirectional else 1)
        return tuple(zeros(layers, batch, size, dtype=input.dtype, device=input.device)
                     for size in state_sizes)

    @staticmethod
    def _as_tuple(hx, lstm: bool):
        """The state as a tuple. LSTM takes (h, c) = hx[0], hx[1] whatever hx is (torch's
        IndexError for a Tensor of one layer); RNN and GRU take hx itself, so anything but a
        Tensor fails as in torch, at its first ``hx.dim()`` or ``hx.size()``."""
        if lstm:
            return hx[0], hx[1]
        return (hx,)

    def _check_kernel_args(self, hx, packed: bool) -> None:
        """What torch's kernel (``_VF.lstm``, ``gru``, ...) refuses in its argument parser:
        num_layers must be an int and not a bool, bidirectional a bool, the LSTM state a
        sequence (of exactly two Tensors). ``hx`` is the state the kernel gets."""
        lstm = self.mode == "LSTM"
        if (isinstance(self.num_layers, bool) or not isinstance(self.bidirectional, bool)
                or (lstm and isinstance(hx, Tensor))):
            fn = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh",
                  "RNN_RELU": "rnn_relu"}[self.mode]
            got = ["Tensor", "Tensor"] if packed else ["Tensor"]
            got += [type(hx).__name__ if not isinstance(hx, Tensor) else "Tensor", "list",
                    "bool", type(self.num_layers).__name__, "float", "bool",
                    type(self.bidirectional).__name__] + ([] if packed else ["bool"])
            state = "tuple of Tensors hx" if lstm else "Tensor hx"
            raise TypeError(
                f"{fn}() received an invalid combination of arguments - got "
                f"({', '.join(got)}), but expected one of:\n"
                f" * (Tensor data, Tensor batch_sizes, {state}, tuple of Tensors params, "
                "bool has_biases, int num_layers, float dropout, bool train, "
                "bool bidirectional)\n"
                f" * (Tensor input, {state}, tuple of Tensors params, bool has_biases, "
                "int num_layers, float dropout, bool train, bool bidirectional, "
                "bool batch_first)\n"
            )
        if lstm and len(hx) != 2:
            raise RuntimeError("lstm expects two hidden states")

    @staticmethod
    def _check_hidden_dims(hx, is_batched, lstm):
        want = 3 if is_batched else 2
        kind = "batched 3-D" if is_batched else "unbatched 2-D"
        if lstm:
            if hx[0].dim() != want or hx[1].dim() != want:
                raise RuntimeError(
                    f"For {kind} input, hx and cx should also be {want}-D but got "
                    f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors"
                )
        elif hx[0].dim() != want:
            raise RuntimeError(
                f"For {kind} input, hx should also be {want}-D but got {hx[0].dim()}-D tensor"
            )

    def _check_forward_args(self, input, hx, batch_sizes):  # noqa: A002
        if self.mode == "LSTM" and batch_sizes is not None:
            # torch's LSTM checks nothing for packed input: a wrong input size or dtype
            # fails in its first matmul (RuntimeError); the states are checked here all
            # the same (torch reads past their end)
            for h, size, which in ((hx[0], self.get_expected_hidden_size, 0),
                                   (hx[1], self.get_expected_cell_size, 1)):
                self.check_hidden_size(h, size(input, batch_sizes),
                                       f"Expected hidden[{which}] size {{}}, got {{}}")
        elif self.mode == "LSTM":
            self.check_forward_args(input, hx, batch_sizes)
        else:
            self.check_forward_args(input, hx[0], batch_sizes)


class RNN(RNNBase):
    """An Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; ``forward(input, hx=None)``
    returns ``(output, h_n)``."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):  # noqa: A002
        return self._forward(input, hx, "RNN")


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o (see the module docstring).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0)``; ``forward(input, (h_0, c_0)=None)``
    returns ``(output, (h_n, c_n))``."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):  # noqa: A002
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):  # noqa: A002
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx[0], permutation), _apply_permutation(hx[1], permutation)

    def forward(self, input, hx=None):  # noqa: A002
        return self._forward(input, hx, "LSTM")


class GRU(RNNBase):
    """Gated recurrent unit: gates r, z and the candidate n (see the module docstring).

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``; ``forward(input, hx=None)`` returns
    ``(output, h_n)``."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):  # noqa: A002
        return self._forward(input, hx, "GRU")


# ---------------------------------------------------------------------------------------
# the cells: one time step, input (B, in) or (in,)


def _check_cell(input, hx, w_ih, w_hh, label=0):  # noqa: A002
    if input.size(1) != w_ih.size(1):
        raise RuntimeError(
            f"input has inconsistent input_size: got {input.size(1)} expected {w_ih.size(1)}"
        )
    if input.size(0) != hx.size(0):
        raise RuntimeError(
            f"Input batch size {input.size(0)} doesn't match hidden{label} batch size "
            f"{hx.size(0)}"
        )
    if hx.size(1) != w_hh.size(1):
        raise RuntimeError(
            f"hidden{label} has inconsistent hidden_size: got {hx.size(1)}, expected "
            f"{w_hh.size(1)}"
        )


class RNNCellBase(Module):
    """Parameters of a cell: weight_ih (chunks * H, in), weight_hh (chunks * H, H),
    bias_ih, bias_hh (chunks * H), all from U(-1/sqrt(H), 1/sqrt(H))."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size),
                                         **factory_kwargs))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size),
                                         **factory_kwargs))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batched(self, input, hx, name: str, hidden_name: str = "hidden"):  # noqa: A002
        if input.dim() not in (1, 2):
            raise ValueError(
                f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead"
            )
        for i, h in enumerate(hx):
            if h is not None and h.dim() not in (1, 2):
                label = hidden_name if len(hx) == 1 else f"hx[{i}]"
                raise ValueError(
                    f"{name}: Expected {label} to be 1D or 2D, got {h.dim()}D instead"
                )
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx[0] is None:
            z = zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (z,) * len(hx)
        elif not is_batched:
            hx = tuple(h.unsqueeze(0) for h in hx)
        return input, hx, is_batched


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu): ``RNNCell(input_size,
    hidden_size, bias=True, nonlinearity='tanh')``."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):  # noqa: A002
        input, (h,), is_batched = self._batched(input, (hx,), "RNNCell")
        _check_cell(input, h, self.weight_ih, self.weight_hh)
        if self.nonlinearity == "tanh":
            step = _tanh_step
        elif self.nonlinearity == "relu":
            step = _relu_step
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        (ret,) = step(xw, (h,), (self.weight_hh, self.bias_hh, None))
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``LSTMCell(input_size, hidden_size, bias=True)``;
    ``forward(input, (h, c)=None)`` returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):  # noqa: A002
        given = hx
        hx = (None, None) if hx is None else tuple(hx)
        input, hx, is_batched = self._batched(input, hx, "LSTMCell")
        if not is_batched and given is not None:
            # torch rebuilds an unbatched state from hx[0] and hx[1]: entries past the
            # second are ignored, a single one is an IndexError (given's own message)
            hx = hx[:2] if len(hx) >= 2 else (hx[0], given[1])
        if is_batched and given is not None and not isinstance(given, (tuple, list)):
            # torch hands a batched hx to lstm_cell as it came (unbatched, it rebuilds a
            # tuple from hx[0] and hx[1]), and lstm_cell takes only a sequence of Tensors
            raise TypeError(
                "lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, not "
                f"{type(given).__name__}"
            )
        if len(hx) != 2:
            raise RuntimeError("lstm_cell expects two hidden states")
        _check_cell(input, hx[0], self.weight_ih, self.weight_hh, 0)
        _check_cell(input, hx[1], self.weight_ih, self.weight_hh, 1)
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        h, c = _lstm_gates(F.linear(hx[0], self.weight_hh, self.bias_hh), xw, hx[1])
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: ``GRUCell(input_size, hidden_size, bias=True)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):  # noqa: A002
        input, (h,), is_batched = self._batched(input, (hx,), "GRUCell")
        _check_cell(input, h, self.weight_ih, self.weight_hh)
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        ret = _gru_gates(F.linear(h, self.weight_hh, self.bias_hh), xw, h)
        return ret if is_batched else ret.squeeze(0)
