"""The scripts in examples/: each runs on torchlet, and prints exactly what PyTorch prints."""

import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
SCRIPTS = sorted(name for name in os.listdir(EXAMPLES) if name.endswith(".py"))
HAVE_TORCH = importlib.util.find_spec("torch") is not None

# Lines each script must print on torchlet, whether or not torch is installed.
EXPECTED = {
    "backward_scalar_vs_vector.py": [
        "1. s.backward()          x.grad = tensor([4., 6., 8.])",
        "2. y.backward()          RuntimeError: grad can be implicitly created only for "
        "scalar outputs",
        "3. y.backward(v)         x.grad = tensor([4.0000, 0.6000, 0.0800])",
        "v @ J = tensor([4.0000, 0.6000, 0.0800])",
        "4. after backward #2:  x.grad = tensor([ 8., 12., 16.])",
    ],
    "cross_entropy_by_hand.py": [
        "nn.CrossEntropyLoss: tensor(2.1438)",
        "log(sum(exp(s))) - s[1]: tensor(2.1438)",
        "all close to the built-in loss: True",
        "equals (softmax - one_hot) / B: True",
    ],
    "epoch_loss_averaging.py": [
        "64000 samples, batch_size 64: len(loader) = 1000 batches, the last one holds 64",
        "64010 samples, batch_size 64: len(loader) = 1001 batches, the last one holds 10",
    ],
    "log_softmax_nll.py": [
        "NLLLoss(LogSoftmax(scores)): tensor(2.1253)",
        "CrossEntropyLoss(scores):    tensor(2.1253)",
    ],
    "reproducibility.py": [
        "randn(5):      tensor([ 1.5410, -0.2934, -2.1788,  0.5684, -1.0845])",
        "shuffled batches: [[6, 7, 1, 4], [2, 0, 9, 8], [3, 5]]",
    ],
    "same_code_as_pytorch.py": ["step   0   loss 0.7086   accuracy 0.443"],
    "segmentation_loss.py": [
        "CrossEntropyLoss on (N, C, H, W): tensor(1.7511)",
        "pixels as samples, (N*H*W, C):    tensor(1.7511)",
        "by hand equals per-pixel: True",
        "float target -> RuntimeError: expected target dtype to be Long or Byte, but got Float",
    ],
}

# One BLAS/OpenMP thread: these tiny tensors gain nothing from more, and on a busy machine
# spinning threads cost far more than the work.
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

_outputs = {}


def run(script, *args):
    """stdout of ``python examples/<script> *args``; fails the test on a non-zero exit."""
    key = (script, args)
    if key not in _outputs:
        done = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args],
                              capture_output=True, text=True, timeout=300, cwd=ROOT, env=ENV)
        assert done.returncode == 0, f"{script} {args} failed:\n{done.stderr}"
        assert "Traceback" not in done.stderr
        _outputs[key] = done.stdout
    return _outputs[key]


def test_every_script_is_covered():
    assert set(SCRIPTS) == set(EXPECTED)


@pytest.mark.parametrize("script", SCRIPTS)
def test_runs_on_torchlet(script):
    lines = run(script).splitlines()
    for expected in EXPECTED[script]:
        assert expected in lines, f"{script}: missing line {expected!r}"


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed")
@pytest.mark.parametrize("script", SCRIPTS)
def test_same_output_as_torch(script):
    ours, theirs = run(script), run(script, "--torch")
    assert ours.splitlines() == theirs.splitlines()


def test_epoch_averages():
    """Full batches: the two averages agree; a short last batch: they differ."""
    lines = run("epoch_loss_averaging.py").splitlines()
    values = [float(line.rsplit("=", 1)[1]) for line in lines if "sum(" in line]
    assert len(values) == 4
    assert values[0] == values[1]
    assert values[2] != values[3]
