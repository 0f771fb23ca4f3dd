"""torch's functional recurrent kernels: the cells torch.rnn_tanh_cell, rnn_relu_cell,
lstm_cell, gru_cell, and the whole-sequence torch.rnn_tanh, rnn_relu, lstm, gru (what
nn.RNN / LSTM / GRU call as ``_VF.lstm(...)``).

They run the same time steps as torchlet's nn layers (torchlet/nn/modules/rnn.py), so their
results and gradients are those of the layers. The cells record torch's composition (their
grad_fns are MulBackward0 / AddBackward0 for lstm_cell's (h, c), AddBackward0 for gru_cell,
TanhBackward0 / ReluBackward0 for the RNN cells).

Whole-sequence forms, as torch's overloads:

* ``lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
  batch_first) -> (output, h_n, c_n)``; ``hx`` = (h_0, c_0), ``input`` 3-D.
* ``lstm(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
  bidirectional) -> (output, h_n, c_n)``: packed data (a PackedSequence's fields).
* ``gru`` / ``rnn_tanh`` / ``rnn_relu``: the same with a single state tensor ``hx``,
  returning ``(output, h_n)``.

``params`` is the flat list of the layers' weights in nn's registration order: per layer
and direction w_ih, w_hh, then b_ih, b_hh if ``has_biases``, then w_hr for an LSTM with
projections (recognised, as torch does, by the number of params per layer).
"""

from __future__ import annotations

from torchlet._tensor import Tensor
from torchlet.nn import functional as F
from torchlet.nn.modules.rnn import (
    _check_cell,
    _gru_gates,
    _lstm_gates,
    _relu_step,
    _rnn,
    _tanh_step,
)

__all__ = ["gru", "gru_cell", "lstm", "lstm_cell", "rnn_relu", "rnn_relu_cell", "rnn_tanh",
           "rnn_tanh_cell"]


# ---------------------------------------------------------------------------------------
# cells: one step of a batch, input (B, in), states (B, H)


def _simple_cell(step, input, hx, w_ih, w_hh, b_ih, b_hh):  # noqa: A002
    _check_cell(input, hx, w_ih, w_hh)
    (h,) = step(F.linear(input, w_ih, b_ih), (hx,), (w_hh, b_hh, None))
    return h


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:  # noqa: A002
    """h' = tanh(input W_ih^T + b_ih + hx W_hh^T + b_hh)."""
    return _simple_cell(_tanh_step, input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:  # noqa: A002
    """h' = relu(input W_ih^T + b_ih + hx W_hh^T + b_hh)."""
    return _simple_cell(_relu_step, input, hx, w_ih, w_hh, b_ih, b_hh)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> tuple:  # noqa: A002
    """One LSTM step; ``hx`` = (h, c) (a sequence of two Tensors: TypeError for a Tensor,
    RuntimeError for another count). Returns (h', c')."""
    if isinstance(hx, Tensor) or not isinstance(hx, (tuple, list)):
        raise TypeError("lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, "
                        f"not {type(hx).__name__}")
    if len(hx) != 2:
        raise RuntimeError("lstm_cell expects two hidden states")
    _check_cell(input, hx[0], w_ih, w_hh, 0)
    _check_cell(input, hx[1], w_ih, w_hh, 1)
    return _lstm_gates(F.linear(hx[0], w_hh, b_hh), F.linear(input, w_ih, b_ih), hx[1])


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:  # noqa: A002
    """One GRU step (r, z, n gates; see torchlet/nn/modules/rnn.py). Returns h'."""
    _check_cell(input, hx, w_ih, w_hh)
    return _gru_gates(F.linear(hx, w_hh, b_hh), F.linear(input, w_ih, b_ih), hx)


# ---------------------------------------------------------------------------------------
# whole sequences


def _run(mode, name, input, batch_sizes, hx, params, has_biases, num_layers, dropout,  # noqa: A002
         train, bidirectional, batch_first):
    params = list(params)
    directions = 2 if bidirectional else 1
    stacks = num_layers * directions
    per_layer = (4 if has_biases else 2)
    has_proj = mode == "LSTM" and stacks and len(params) == stacks * (per_layer + 1)
    if not has_proj and len(params) % per_layer:
        raise RuntimeError(f"MatrixRef: ArrayRef size {len(params)} not divisible by stride "
                           f"{per_layer}")
    if not has_proj and len(params) != stacks * per_layer:
        raise RuntimeError(f"{name}: expected {stacks * per_layer} parameters for "
                           f"{num_layers} layer(s), got {len(params)}")
    if any(h.dim() != 3 or h.size(0) != stacks for h in hx):
        raise RuntimeError("Expected more hidden states in stacked_rnn")
    sizes = None if batch_sizes is None else [int(b) for b in batch_sizes.tolist()]
    return _rnn(mode, input, hx, params, has_biases, has_proj, num_layers, dropout, train,
                bidirectional, batch_first and sizes is None, sizes)


def lstm(input, *args) -> tuple:  # noqa: A002
    """torch.lstm (two overloads, see the module docstring): (output, h_n, c_n)."""
    if args and isinstance(args[0], Tensor):  # (data, batch_sizes, hx, params, ...)
        batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional = args
        batch_first = False
    else:
        batch_sizes = None
        hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first = args
    if len(hx) != 2:
        raise RuntimeError("lstm expects two hidden states")
    output, (h, c) = _run("LSTM", "lstm", input, batch_sizes, tuple(hx), params, has_biases,
                          num_layers, dropout, train, bidirectional, batch_first)
    if batch_first and batch_sizes is None:
        output = output.transpose(0, 1)
    return output, h, c


def _single_state(mode, name, input, args):  # noqa: A002
    if len(args) > 1 and isinstance(args[1], Tensor):  # (data, batch_sizes, hx, params, ...)
        batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional = args
        batch_first = False
    else:
        batch_sizes = None
        hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first = args
    output, (h,) = _run(mode, name, input, batch_sizes, (hx,), params, has_biases,
                        num_layers, dropout, train, bidirectional, batch_first)
    if batch_first and batch_sizes is None:
        output = output.transpose(0, 1)
    return output, h


def gru(input, *args) -> tuple:  # noqa: A002
    """torch.gru (two overloads, see the module docstring): (output, h_n)."""
    return _single_state("GRU", "gru", input, args)


def rnn_tanh(input, *args) -> tuple:  # noqa: A002
    """torch.rnn_tanh (two overloads, see the module docstring): (output, h_n)."""
    return _single_state("RNN_TANH", "rnn_tanh", input, args)


def rnn_relu(input, *args) -> tuple:  # noqa: A002
    """torch.rnn_relu (two overloads, see the module docstring): (output, h_n)."""
    return _single_state("RNN_RELU", "rnn_relu", input, args)
