"""Static checks, run with the tests so that CI runs them: ruff (style, import order, likely
bugs) and mypy (the annotations agree with the code). Both come with the [test] extras, at
the versions pinned there, so a new release cannot turn CI red by itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT,
                          capture_output=True, text=True, check=False)


def test_ruff_finds_nothing():
    pytest.importorskip("ruff")
    result = _run("ruff", "check", "torchlet", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


# mypy reads the installed NumPy's stubs; torchlet's annotations are checked against NumPy
# 2's (CI's). NumPy 1.26's older stubs reject some valid calls (sliding_window_view's
# overloads, comparisons of generic scalars): no runtime difference, so not checked there.
@pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "2.0.0",
                    reason="annotations are checked against NumPy 2's stubs")
def test_mypy_finds_nothing():
    pytest.importorskip("mypy")
    result = _run("mypy")  # the files and options are in pyproject.toml's [tool.mypy]
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
