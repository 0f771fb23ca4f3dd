"""Anomaly detection: finding the operation whose backward went wrong.

While the mode is on, every node recorded keeps the stack of the forward call that made
it (in ``grad_fn.metadata["traceback_"]``, as torch), and the engine runs each node
through ``run_node`` below: a node that returns NaN raises torch's error, and any error
in a backward is preceded by a warning naming the node and showing that forward stack.
With the mode off the engine pays one test of a local variable per node.
"""

from __future__ import annotations

import os
import traceback
import warnings

import numpy as np

from torchlet._dtype import type_name


class _AnomalyState:
    __slots__ = ("enabled", "check_nan")

    def __init__(self):
        self.enabled = False
        self.check_nan = True


ANOMALY_STATE = _AnomalyState()

TRACEBACK_KEY = "traceback_"


def is_anomaly_enabled() -> bool:
    return ANOMALY_STATE.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY_STATE.check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    if type(enabled) is not bool:
        raise TypeError(
            "set_anomaly_enabled(): argument 'enabled' (position 1) must be bool, not "
            f"{type_name(enabled)}"
        )
    if type(check_nan) is not bool:
        raise TypeError(
            "set_anomaly_enabled(): argument 'check_nan' (position 2) must be bool, not "
            f"{type_name(check_nan)}"
        )
    ANOMALY_STATE.enabled = enabled
    ANOMALY_STATE.check_nan = check_nan


class detect_anomaly:  # noqa: N801 - torch's name
    """Context manager: anomaly detection on inside (``check_nan``: NaN gradients raise).
    Like torch's, it is not a decorator."""

    def __init__(self, check_nan=True):
        self.prev = ANOMALY_STATE.enabled
        self.check_nan = check_nan
        self.prev_check_nan = ANOMALY_STATE.check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and "
            "should only be enabled for debugging.",
            UserWarning, stacklevel=2,
        )

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:  # noqa: N801
    """Turn anomaly detection on or off now; as a context manager, restore it on exit."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = ANOMALY_STATE.enabled
        self.prev_check_nan = ANOMALY_STATE.check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


# ---------------------------------------------------------------------------------------
# what the graph and the engine call while the mode is on

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def record_forward_trace(node) -> None:
    """Keep the caller's stack on ``node``, without torchlet's own frames at its end."""
    stack = traceback.extract_stack()
    while stack and os.path.abspath(stack[-1].filename).startswith(_PACKAGE_DIR):
        stack.pop()
    node.metadata[TRACEBACK_KEY] = "".join(traceback.format_list(stack))


def backward_runner():
    """What the engine calls a node's backward through: None (the node's own ``_backward``)
    unless anomaly detection is on."""
    return run_node if ANOMALY_STATE.enabled else None


def run_node(node, grads):
    """``node._backward(grads)``, checked: an error gets a warning with the forward stack
    first, and (with check_nan) a NaN in a returned gradient raises."""
    try:
        input_grads = node._backward(grads)
        if ANOMALY_STATE.check_nan:
            for i, grad in enumerate(input_grads):
                if grad is not None and np.isnan(grad._data).any():
                    raise RuntimeError(
                        f"Function '{node.name()}' returned nan values in its {i}th output."
                    )
    except Exception:
        trace = node.metadata.get(TRACEBACK_KEY) if node._hooks is not None else None
        if trace is None:
            where = ("No forward pass information available. Enable detect anomaly during "
                     "forward pass for more information.")
        else:
            where = f"Traceback of forward call that caused the error:\n{trace}"
        warnings.warn(f"Error detected in {node.name()}. {where}", UserWarning, stacklevel=2)
        raise
    return input_grads
