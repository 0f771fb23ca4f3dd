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
projections (recognised, as torch does, by h and c of different sizes).
"""

from __future__ import annotations

import numbers

from torchlet._ops.pointwise.operands import invalid_combination
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


# torch's two overloads of each kernel, in the order its parser tries them
_PACKED = ("data", "batch_sizes", "hx", "params", "has_biases", "num_layers", "dropout",
           "train", "bidirectional")
_PADDED = ("input", "hx", "params", "has_biases", "num_layers", "dropout", "train",
           "bidirectional", "batch_first")
_KINDS = {"data": "Tensor", "batch_sizes": "Tensor", "input": "Tensor",
          "params": "tuple of Tensors", "has_biases": "bool", "num_layers": "int",
          "dropout": "float", "train": "bool", "bidirectional": "bool", "batch_first": "bool"}


def _fits(kind: str, value) -> bool:
    """Whether torch's argument parser takes ``value`` for a parameter of ``kind``: a bool
    must be a Python bool, an int any integer but a bool, a float any real number."""
    if kind == "Tensor":
        return isinstance(value, Tensor)
    if kind == "tuple of Tensors":
        return isinstance(value, (tuple, list))
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    return isinstance(value, numbers.Real)


def _bind(name: str, args: tuple, kwargs: dict) -> dict:
    """The arguments of ``name`` (lstm, gru, rnn_tanh, rnn_relu) by parameter name, as
    torch's parser matches them to the first overload that takes them (the packed one
    has ``data`` and ``batch_sizes``); torch's TypeError when none does."""
    state = "tuple of Tensors" if name == "lstm" else "Tensor"
    for names in (_PACKED, _PADDED):
        bound = dict(zip(names, args))
        if len(args) > len(names) or any(k in bound or k not in names for k in kwargs):
            continue
        bound.update(kwargs)
        if len(bound) == len(names) and all(
                _fits(_KINDS.get(n, state), bound[n]) for n in names):
            for position, item in enumerate(bound["params"]):
                if not isinstance(item, Tensor):
                    raise TypeError(f"expected Tensor as element {position} in argument "
                                    f"{names.index('params')}, but got "
                                    f"{type(item).__name__}")
            return bound
    overloads = tuple(", ".join(f"{_KINDS.get(n, state)} {n}" for n in names)
                      for names in (_PACKED, _PADDED))
    raise invalid_combination(name, args, overloads, kwargs)


def _run(mode, input, hx, params, has_biases, num_layers, dropout, train,  # noqa: A002
         bidirectional, batch_first=False, batch_sizes=None):
    """The layers over ``input`` (3-D, or packed data with ``batch_sizes``), checked as
    torch's CPU kernel checks them: an LSTM has projections when its h and c sizes differ;
    the parameters must come in whole cells ("incorrect number"); the states (``hx`` split
    along dim 0) and cells must pair up when bidirectional ("Odd number"), then number
    ``num_layers`` ("Expected more hidden states", then "weights")."""
    params = list(params)
    if batch_sizes is None and input.dim() > 3:  # (torch's steps fail to broadcast)
        raise RuntimeError(f"input must have 3 dimensions, got {input.dim()}")
    has_proj = mode == "LSTM" and hx[0].size(2) != hx[1].size(2)
    per_cell = (4 if has_biases else 2) + (1 if has_proj else 0)
    if len(params) % per_cell:
        raise RuntimeError("got an incorrect number of RNN parameters")
    cells, states = len(params) // per_cell, hx[0].size(0)
    if bidirectional:
        if cells % 2 or states % 2:
            raise RuntimeError("Odd number of params or hiddens given to a bidirectional RNN")
        cells, states = cells // 2, states // 2
    if states != num_layers or any(h.size(0) < hx[0].size(0) for h in hx):
        raise RuntimeError("Expected more hidden states in stacked_rnn")
    if cells != num_layers:
        raise RuntimeError("Expected more weights in stacked_rnn")
    if any(h.dim() != 3 for h in hx):
        raise RuntimeError("Expected more hidden states in stacked_rnn")
    sizes = None if batch_sizes is None else [int(b) for b in batch_sizes.tolist()]
    return _rnn(mode, input, hx, params, has_biases, has_proj, num_layers, float(dropout),
                train, bidirectional, batch_first and sizes is None, sizes)


def _sequence(mode: str, name: str, args: tuple, kwargs: dict) -> tuple:
    """torch.lstm / gru / rnn_tanh / rnn_relu: (output, *final states)."""
    a = _bind(name, args, kwargs)
    hx = a["hx"]
    if name == "lstm" and len(hx) != 2:
        raise RuntimeError("lstm expects two hidden states")
    run = (a["params"], a["has_biases"], int(a["num_layers"]), a["dropout"], a["train"],
           a["bidirectional"])
    if "data" in a:
        output, states = _run(mode, a["data"], tuple(hx) if name == "lstm" else (hx,),
                              *run, batch_sizes=a["batch_sizes"])
    else:
        output, states = _run(mode, a["input"], tuple(hx) if name == "lstm" else (hx,),
                              *run, batch_first=a["batch_first"])
        if a["batch_first"]:  # torch's LSTM transposes; the others do it in place
            output = output.transpose(0, 1) if name == "lstm" else output.transpose_(0, 1)
    return (output, *states)


def lstm(*args, **kwargs) -> tuple:
    """torch.lstm (two overloads, see the module docstring): (output, h_n, c_n)."""
    return _sequence("LSTM", "lstm", args, kwargs)


def gru(*args, **kwargs) -> tuple:
    """torch.gru (two overloads, see the module docstring): (output, h_n)."""
    return _sequence("GRU", "gru", args, kwargs)


def rnn_tanh(*args, **kwargs) -> tuple:
    """torch.rnn_tanh (two overloads, see the module docstring): (output, h_n)."""
    return _sequence("RNN_TANH", "rnn_tanh", args, kwargs)


def rnn_relu(*args, **kwargs) -> tuple:
    """torch.rnn_relu (two overloads, see the module docstring): (output, h_n)."""
    return _sequence("RNN_RELU", "rnn_relu", args, kwargs)
