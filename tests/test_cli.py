"""``torchlet train``: end to end runs, outputs, reproducibility (also against torch), bad input."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from test_datasets import write_mnist

import torchlet
from torchlet import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAVE_TORCH = importlib.util.find_spec("torch") is not None


# One BLAS/OpenMP thread in the subprocesses: on a busy machine, threads spinning over
# these small matrices cost far more than the work.
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def python(*args):
    """Run ``python *args`` from the repository root; return the CompletedProcess."""
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600, env=ENV)


def run_cli(*args, cwd=ROOT):
    """(exit status, stdout, stderr) of ``python -m torchlet *args`` in a subprocess (for
    the runs that train: one BLAS thread makes them fast even on a busy machine)."""
    done = subprocess.run([sys.executable, "-m", "torchlet", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600, env=ENV)
    return done.returncode, done.stdout, done.stderr


def run_main(capsys, *args):
    """(exit status, stdout, stderr) of ``torchlet`` with ``args``, in this process."""
    try:
        status = cli.main(list(args))
    except SystemExit as exit_:  # argparse: --help, bad options
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ============================================================================ dependencies


def test_import_torchlet_needs_numpy_only():
    done = python("-c", "import sys, torchlet, torchlet.datasets; "
                        "bad = {'tqdm', 'matplotlib', 'torch', 'torchlet.cli'} & set(sys.modules); "
                        "print(sorted(bad))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("package", ["tqdm", "matplotlib"])
def test_missing_extra_names_the_package(package, tmp_path):
    code = (f"import sys; sys.modules[{package!r}] = None; from torchlet.cli import main; "
            f"sys.exit(main(['train', '--epochs', '1', '--out', {str(tmp_path)!r}]))")
    done = python("-c", code)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert f"{package} is not installed" in done.stderr
    assert 'pip install "torchlet[train]"' in done.stderr
    assert not os.listdir(tmp_path)  # it stopped before training


# ============================================================================ the command line


def test_help_explains_every_option(capsys):
    status, out, _ = run_main(capsys, "train", "--help")
    assert status == 0
    for option in ("--data", "--root", "--model", "--epochs", "--batch-size", "--lr",
                   "--optimizer", "--seed", "--out"):
        assert option in out
    for word in ("digits", "mnist", "fashion-mnist", "mlp", "cnn", "sgd", "adam",
                 "IDX", "runs/<data>-<model>", "Default: 64"):
        assert word in out
    status, out, _ = run_main(capsys, "--help")
    assert status == 0 and "train" in out


def test_no_command_prints_help(capsys):
    status, out, _ = run_main(capsys)
    assert status == 2 and "train" in out


def test_python_dash_m_and_console_script(tmp_path):
    done = python("-m", "torchlet", "train", "--help")
    assert done.returncode == 0 and "--batch-size" in done.stdout
    script = shutil.which("torchlet", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("the torchlet console script is not installed (pip install -e .)")
    done = subprocess.run([script, "train", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "--optimizer" in done.stdout


# ============================================================================ a real run


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """``python -m torchlet train --epochs 3`` on the built-in digits, in a subprocess."""
    out = tmp_path_factory.mktemp("run")
    done = python("-m", "torchlet", "train", "--epochs", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out, done


def test_run_prints_progress_and_summary(short_run):
    out, done = short_run
    lines = done.stdout.splitlines()
    assert lines[0].startswith("data:      digits, 1437 training and 360 test images of 1x8x8")
    epoch_lines = [line for line in lines if line.startswith("epoch ") and "/3" in line]
    assert len(epoch_lines) == 3
    assert all("train loss" in line and "test accuracy" in line for line in epoch_lines)
    assert "epoch   train loss   test accuracy" in lines
    assert lines[-1].startswith("final test accuracy ") and str(out) in lines[-1]
    # a tqdm bar per epoch, on stderr
    assert "epoch 1/3" in done.stderr and "epoch 3/3" in done.stderr and "batch" in done.stderr
    assert "Traceback" not in done.stderr


def test_progress_bar_shows_running_loss():
    from tqdm import tqdm

    bar = cli._ProgressBar(tqdm, epochs=5)
    batches = bar(range(4), epoch=2)
    assert batches.desc == "epoch 2/5" and batches.total == 4
    for i in batches:
        bar.on_batch(2.0, 1.0 / (i + 1))
    assert batches.postfix == "loss 0.2500"


def test_run_writes_metrics_plot_checkpoint(short_run):
    out, done = short_run
    assert sorted(os.listdir(out)) == ["metrics.json", "metrics.png", "model.pt"]
    with open(out / "metrics.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epoch"] == [1, 2, 3]
    assert (metrics["data"], metrics["model"], metrics["optimizer"]) == ("digits", "mlp", "adam")
    assert (metrics["train_size"], metrics["test_size"]) == (1437, 360)
    assert metrics["batch_size"] == 64 and metrics["seed"] == 0
    assert metrics["final_test_accuracy"] == metrics["test_accuracy"][-1]
    # the loss goes down, the accuracy is far above chance
    assert metrics["train_loss"][-1] < metrics["train_loss"][0]
    assert metrics["test_accuracy"][-1] > 0.8
    # the printed numbers are the file's numbers
    for epoch, loss, accuracy in zip(metrics["epoch"], metrics["train_loss"],
                                     metrics["test_accuracy"], strict=True):
        assert f"epoch {epoch}/3   train loss {loss:.4f}   test accuracy " \
               f"{100 * accuracy:.2f}%" in done.stdout


def test_checkpoint_reproduces_accuracy(short_run):
    out, _ = short_run
    metrics = json.loads((out / "metrics.json").read_text())
    state = torchlet.load(out / "model.pt")
    assert list(state) == ["1.weight", "1.bias", "3.weight", "3.bias"]
    train_set, test_set, shape = cli.load_data(torchlet, "digits")
    model = cli.build_model(torchlet, "mlp", shape)
    model.load_state_dict(state)
    loader = torchlet.utils.data.DataLoader(test_set, batch_size=100)
    correct, total = cli.evaluate(torchlet, model, loader)
    assert total == 360
    assert correct / total == metrics["final_test_accuracy"]


def test_checkpoint_loads_in_torch(short_run):
    torch = pytest.importorskip("torch")
    out, _ = short_run
    state = torch.load(out / "model.pt", weights_only=True)
    ours = torchlet.load(out / "model.pt")
    assert list(state) == list(ours)
    for name in state:
        np.testing.assert_array_equal(state[name].numpy(), ours[name].numpy())


def test_same_seed_same_numbers(tmp_path):
    runs = []
    for _ in range(2):
        status, out, _ = run_cli("train", "--epochs", "2", "--out", str(tmp_path))
        assert status == 0
        runs.append(out)
    assert runs[0].count("/2   train loss") == 2
    assert runs[0] == runs[1]
    status, other, _ = run_cli("train", "--epochs", "2", "--seed", "1", "--out", str(tmp_path))
    assert status == 0
    numbers = [line for line in other.splitlines() if "train loss" in line]
    assert numbers != [line for line in runs[0].splitlines() if "train loss" in line]


def test_cnn_and_sgd(tmp_path):
    status, out, err = run_cli("train", "--model", "cnn", "--optimizer", "sgd", "--epochs", "1",
                               "--batch-size", "100", "--lr", "0.05", "--out", str(tmp_path))
    assert status == 0, err
    assert "sgd, lr 0.05, batch size 100" in out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["model"] == "cnn" and metrics["lr"] == 0.05
    assert list(torchlet.load(tmp_path / "model.pt")) == [
        "0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"]


def test_default_out_folder(tmp_path):
    status, out, _ = run_cli("train", "--epochs", "1", cwd=tmp_path)
    assert status == 0
    assert sorted(os.listdir(tmp_path / "runs" / "digits-mlp")) == [
        "metrics.json", "metrics.png", "model.pt"]


@pytest.mark.parametrize("data, layout", [("mnist", ""), ("fashion-mnist", "FashionMNIST/raw")])
def test_mnist_files(tmp_path, data, layout):
    write_mnist(tmp_path / "data" / layout, n_train=100, n_test=30, compress=True)
    status, out, err = run_cli("train", "--data", data, "--root", str(tmp_path / "data"),
                               "--model", "cnn", "--out", str(tmp_path / "out"))
    assert status == 0, err
    assert f"data:      {data}, 100 training and 30 test images of 1x28x28" in out
    assert "optimizer: adam, lr 0.001, batch size 64, 5 epochs, seed 0" in out  # MNIST defaults
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["image_shape"] == [1, 28, 28] and metrics["test_size"] == 30
    assert metrics["epoch"] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("model, target", [("mlp", 0.97), ("cnn", 0.98)])
def test_defaults_reach_target_accuracy(tmp_path, model, target):
    """The promise of the README: default settings, built-in digits, seed 0."""
    status, out, err = run_cli("train", "--model", model, "--out", str(tmp_path))
    assert status == 0, err
    assert "optimizer: adam, lr 0.01, batch size 64, 20 epochs, seed 0" in out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["final_test_accuracy"] >= target


# ============================================================================ bad input


def one_line_error(status, out, err, expected_status, *words):
    assert status == expected_status
    assert out == ""
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("torchlet")
    for word in words:
        assert word in err, err


@pytest.mark.parametrize("args, words", [
    (["--model", "resnet"], ["--model", "invalid choice", "resnet"]),
    (["--data", "cifar"], ["--data", "invalid choice", "cifar"]),
    (["--optimizer", "lbfgs"], ["--optimizer", "lbfgs"]),
    (["--epochs", "0"], ["--epochs", "must be at least 1, got 0"]),
    (["--epochs", "two"], ["--epochs", "'two'"]),
    (["--batch-size", "-3"], ["--batch-size", "must be at least 1, got -3"]),
    (["--lr", "0"], ["--lr", "positive"]),
    (["--lr", "nan"], ["--lr", "positive"]),
    (["--seed", "-1"], ["--seed"]),
    (["--data", "mnist"], ["--data mnist needs --root"]),
    (["--data", "fashion-mnist"], ["--data fashion-mnist needs --root"]),
    (["--unknown"], ["unrecognized arguments: --unknown"]),
])
def test_bad_arguments(capsys, args, words):
    one_line_error(*run_main(capsys, "train", *args), 2, *words)


def test_missing_root_folder(capsys, tmp_path):
    result = run_main(capsys, "train", "--data", "mnist", "--root", str(tmp_path / "nope"))
    one_line_error(*result, 1, "nope", "does not exist")


def test_missing_idx_file(capsys, tmp_path):
    write_mnist(tmp_path)
    os.remove(tmp_path / "t10k-images-idx3-ubyte")
    result = run_main(capsys, "train", "--data", "mnist", "--root", str(tmp_path))
    one_line_error(*result, 1, "t10k-images-idx3-ubyte[.gz] not found in", str(tmp_path))


def test_corrupt_idx_file(capsys, tmp_path):
    write_mnist(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:-3])
    result = run_main(capsys, "train", "--data", "fashion-mnist", "--root", str(tmp_path))
    one_line_error(*result, 1, str(path), "truncated")


def test_unwritable_out(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_main(capsys, "train", "--epochs", "1", "--out", str(blocker / "sub"))
    status, out, err = result
    assert status == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("torchlet train: error: cannot write")


def test_bad_input_in_a_subprocess(tmp_path):
    """No traceback reaches the terminal: the real command, a corrupt file."""
    write_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x01" + bytes(20))
    done = python("-m", "torchlet", "train", "--data", "mnist", "--root", str(tmp_path))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "magic number 0x00000801, expected 0x00000803" in done.stderr


# ============================================================================ against PyTorch


def batch_losses(lib, model, optimizer, n=20):
    losses = []
    datasets = cli.load_data(lib, "digits")

    def on_batch(loss, running):
        if len(losses) < n:
            losses.append(loss)

    result = cli.train(lib, model=model, optimizer=optimizer, epochs=1, seed=0,
                       datasets=datasets, on_batch=on_batch)
    return np.array(losses), result


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed")
@pytest.mark.parametrize("model, optimizer", [("mlp", "adam"), ("cnn", "adam"), ("mlp", "sgd")])
def test_first_batch_losses_match_torch(model, optimizer):
    """The same training code on both libraries: initial weights, shuffling, losses agree."""
    import torch

    ours, our_result = batch_losses(torchlet, model, optimizer)
    theirs, their_result = batch_losses(torch, model, optimizer)
    assert len(ours) == len(theirs) == 20
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=0)
    assert our_result["parameters"] == their_result["parameters"]
    assert abs(our_result["history"]["train_loss"][0]
               - their_result["history"]["train_loss"][0]) < 1e-4


def test_training_code_is_written_once():
    """The loop is the notes' loop, in one function for both libraries."""
    import inspect

    source = inspect.getsource(cli.train_one_epoch)
    for line in ("optimizer.zero_grad()", "loss.backward()", "optimizer.step()",
                 "train_loss += loss.item() * data.size(0)", "len(loader.dataset)"):
        assert line in source
