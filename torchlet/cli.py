"""``torchlet train``: train a handwritten-digit classifier, in plain torchlet.

Run ``torchlet train`` (or ``python -m torchlet train``) right after installing: it trains a
small network on the 8x8 digits that ship inside torchlet, shows a progress bar per epoch,
prints the training loss and test accuracy after each epoch and a table at the end, and
writes into ``--out`` (default ``runs/<data>-<model>``)

* ``metrics.png``: training loss and test accuracy per epoch (matplotlib);
* ``model.pt``: the final ``model.state_dict()``, saved with ``torchlet.save`` in
  PyTorch's checkpoint format (``torch.load`` reads it too);
* ``metrics.json``: the settings and the numbers printed.

Everything that trains takes the library as its first argument, ``lib``: torchlet, or
PyTorch itself. The same code given ``torch`` gives the same numbers, because torchlet's
random numbers, initial weights and shuffling are PyTorch's, bit for bit (the tests check
the first batches' losses). tqdm and matplotlib (``pip install "torchlet[train]"``) are
imported here only, when the command runs: ``import torchlet`` needs NumPy alone.
"""

import argparse
import json
import os
import sys
import time

import torchlet

__all__ = ["build_model", "evaluate", "load_data", "main", "train", "train_one_epoch"]

DATA_SETS = ("digits", "mnist", "fashion-mnist")
MODELS = ("mlp", "cnn")
OPTIMIZERS = ("sgd", "adam")
# Defaults per data set. The 1,437 digits need many short epochs and take a bolder Adam
# step than its usual 0.001 (20 epochs: about 98% for the MLP, 99% for the CNN); the 60,000
# images of MNIST need few epochs at the usual rates.
DEFAULTS = {
    "digits": {"epochs": 20, "adam": 0.01, "sgd": 0.1},
    "mnist": {"epochs": 5, "adam": 0.001, "sgd": 0.01},
    "fashion-mnist": {"epochs": 5, "adam": 0.001, "sgd": 0.01},
}
HIDDEN = 256  # the MLP's hidden layer
INSTALL_HINT = 'pip install "torchlet[train]"'


class UsageError(Exception):
    """A problem with what the user asked for: reported in one line, exit status 2."""


class InputError(Exception):
    """A problem with the user's files or installation: reported in one line, exit status 1."""


# ============================================================================ the training


def load_data(lib, data="digits", root=None):
    """(train_set, test_set, image_shape) for ``lib`` (torchlet or torch): TensorDatasets of
    float32 images (N, 1, H, W) in [0, 1] and int64 labels, read by torchlet.datasets."""
    from torchlet import datasets

    if data == "digits":
        train_source, test_source = datasets.Digits(train=True), datasets.Digits(train=False)
    else:
        kind = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}[data]
        train_source, test_source = kind(root, train=True), kind(root, train=False)
    sets = []
    for source in (train_source, test_source):
        images, labels = source.arrays()
        sets.append(lib.utils.data.TensorDataset(lib.from_numpy(images),
                                                 lib.from_numpy(labels)))
    return sets[0], sets[1], tuple(sets[0].tensors[0].shape[1:])


def build_model(lib, name, image_shape, num_classes=10):
    """The two networks: ``mlp`` (one hidden layer of 256) and ``cnn`` (two 3x3
    convolutions with max pooling, then a linear classifier)."""
    nn = lib.nn
    channels, height, width = image_shape
    if name == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * height * width, HIDDEN),
            nn.ReLU(),
            nn.Linear(HIDDEN, num_classes),
        )
    if name == "cnn":
        return nn.Sequential(
            nn.Conv2d(channels, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * (height // 4) * (width // 4), num_classes),
        )
    raise UsageError(f"unknown model {name!r} (choose from {', '.join(MODELS)})")


def make_optimizer(lib, name, parameters, lr):
    if name == "sgd":
        return lib.optim.SGD(parameters, lr=lr, momentum=0.9)
    if name == "adam":
        return lib.optim.Adam(parameters, lr=lr)
    raise UsageError(f"unknown optimizer {name!r} (choose from {', '.join(OPTIMIZERS)})")


def train_one_epoch(model, loader, loss_fn, optimizer, batches=None, on_batch=None):
    """One pass over ``loader``; returns the training loss averaged per sample.

    ``batches`` is what to iterate (``loader`` itself, or a progress bar wrapping it);
    ``on_batch(loss, running_loss)`` is called after each step.
    """
    model.train()
    train_loss = 0.0
    seen = 0
    for data, target in (loader if batches is None else batches):
        optimizer.zero_grad()
        output = model(data)
        loss = loss_fn(output, target)
        loss.backward()
        optimizer.step()
        # loss is the batch's mean: times the batch size, it is the batch's sum, so a
        # smaller last batch counts for what it holds
        train_loss += loss.item() * data.size(0)
        seen += data.size(0)
        if on_batch is not None:
            on_batch(loss.item(), train_loss / seen)
    return train_loss / len(loader.dataset)


def evaluate(lib, model, loader):
    """(number of correct predictions, number of samples) of ``model`` on ``loader``."""
    model.eval()
    correct = 0
    with lib.no_grad():
        for data, target in loader:
            prediction = model(data).argmax(dim=1)
            correct += (prediction == target).sum().item()
    return correct, len(loader.dataset)


def train(lib, data="digits", model="mlp", epochs=None, batch_size=64, lr=None,
          optimizer="adam", seed=0, root=None, progress=None, on_batch=None, on_epoch=None,
          on_start=None, datasets=None):
    """Train ``model`` on ``data`` with ``lib`` (torchlet or torch); returns a dict with the
    model, its settings and the per-epoch history.

    ``progress(loader, epoch)`` may wrap each epoch's loader (a progress bar);
    ``on_start(model)``, ``on_batch(loss, running_loss)`` and
    ``on_epoch(epoch, train_loss, correct, total)`` are called as training goes.
    ``datasets``: (train_set, test_set, image_shape) to use instead of
    ``load_data(lib, data, root)``.
    """
    epochs = DEFAULTS[data]["epochs"] if epochs is None else epochs
    lr = DEFAULTS[data][optimizer] if lr is None else lr
    train_set, test_set, image_shape = datasets or load_data(lib, data, root)
    lib.manual_seed(seed)
    net = build_model(lib, model, image_shape)
    train_loader = lib.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = lib.utils.data.DataLoader(test_set, batch_size=1000)
    loss_fn = lib.nn.CrossEntropyLoss()
    opt = make_optimizer(lib, optimizer, net.parameters(), lr)
    if on_start is not None:
        on_start(net)

    history = {"epoch": [], "train_loss": [], "test_accuracy": []}
    for epoch in range(1, epochs + 1):
        batches = None if progress is None else progress(train_loader, epoch)
        train_loss = train_one_epoch(net, train_loader, loss_fn, opt, batches, on_batch)
        correct, total = evaluate(lib, net, test_loader)
        history["epoch"].append(epoch)
        history["train_loss"].append(train_loss)
        history["test_accuracy"].append(correct / total)
        if on_epoch is not None:
            on_epoch(epoch, train_loss, correct, total)
    return {
        "model": net,
        "settings": {"data": data, "model": model, "epochs": epochs, "batch_size": batch_size,
                     "lr": lr, "optimizer": optimizer, "seed": seed},
        "train_size": len(train_set), "test_size": len(test_set),
        "image_shape": list(image_shape),
        "parameters": sum(p.numel() for p in net.parameters()),
        "history": history,
    }


# ============================================================================ the outputs


def _require(module):
    """Import an optional dependency of the command, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split(".")[0]
        raise InputError(f"{package} is not installed, and train needs it: {INSTALL_HINT} "
                         f"(or pip install {package})") from None


class _ProgressBar:
    """A tqdm bar per epoch (on stderr), its postfix the running mean training loss."""

    def __init__(self, tqdm, epochs):
        self.tqdm = tqdm
        self.epochs = epochs
        self.bar = None

    def __call__(self, loader, epoch):
        self.bar = self.tqdm(loader, desc=f"epoch {epoch}/{self.epochs}", unit="batch",
                             leave=False, dynamic_ncols=True, file=sys.stderr)
        return self.bar

    def on_batch(self, loss, running_loss):
        self.bar.set_postfix_str(f"loss {running_loss:.4f}", refresh=False)


def save_plot(history, path, title):
    """Training loss and test accuracy per epoch, side by side, as a PNG."""
    matplotlib = _require("matplotlib")
    matplotlib.use("Agg")  # files only: no window, no display needed
    pyplot = _require("matplotlib.pyplot")

    epochs = history["epoch"]
    figure, (left, right) = pyplot.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, history["train_loss"], marker="o", color="tab:blue")
    left.set(title="training loss (mean per sample)", xlabel="epoch", ylabel="cross-entropy")
    right.plot(epochs, [100 * a for a in history["test_accuracy"]], marker="o",
               color="tab:green")
    right.set(title="test accuracy", xlabel="epoch", ylabel="%")
    for axes in (left, right):
        axes.grid(alpha=0.3)
        axes.xaxis.get_major_locator().set_params(integer=True)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


def summary_table(history):
    lines = ["epoch   train loss   test accuracy"]
    for epoch, loss, accuracy in zip(history["epoch"], history["train_loss"],
                                     history["test_accuracy"], strict=True):
        lines.append(f"{epoch:5d}   {loss:10.4f}   {100 * accuracy:12.2f}%")
    return "\n".join(lines)


# ============================================================================ the command


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"must be in 0 .. 2**64 - 1, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line gives one line (and exit status 2), no usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def make_parser():
    parser = _Parser(
        prog="torchlet",
        description="torchlet: PyTorch's core rebuilt on NumPy. Commands:",
        epilog="Run 'torchlet train --help' for the options of train.")
    parser.add_argument("--version", action="version", version=f"torchlet {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    train_parser = commands.add_parser(
        "train", help="train a handwritten-digit classifier (built-in data, no download)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a digit classifier with a plain torchlet loop: DataLoader "
                    "(shuffled), model,\nCrossEntropyLoss, loss.backward(), optimizer.step(). "
                    "Prints the training loss and\ntest accuracy per epoch, then writes "
                    "metrics.png, model.pt and metrics.json to --out.",
        epilog="examples:\n"
               "  torchlet train                                  # digits, MLP, 20 epochs\n"
               "  torchlet train --model cnn\n"
               "  torchlet train --data mnist --root ~/data/mnist --epochs 3\n"
               "  torchlet train --optimizer sgd --lr 0.05 --seed 1 --out runs/try")
    add = train_parser.add_argument
    add("--data", choices=DATA_SETS, default="digits",
        help="data set: digits (1,797 8x8 images shipped inside torchlet, split 1,437 "
             "train / 360 test), mnist or fashion-mnist (28x28 images read from IDX files in "
             "--root; 60,000 train / 10,000 test). Default: digits")
    add("--root", metavar="PATH",
        help="folder holding the IDX files of mnist/fashion-mnist (train-images-idx3-ubyte, "
             "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, "
             "each optionally .gz), directly or in torchvision's PATH/MNIST/raw "
             "(PATH/FashionMNIST/raw). Required for those; not used for digits")
    add("--model", choices=MODELS, default="mlp",
        help=f"network: mlp (Flatten, Linear to {HIDDEN}, ReLU, Linear to 10) or cnn (two "
             "Conv2d 3x3 + ReLU + MaxPool2d(2) blocks with 16 and 32 channels, then "
             "Linear to 10). Default: mlp")
    add("--epochs", type=_positive_int, metavar="N",
        help=f"passes over the training set. Default: {DEFAULTS['digits']['epochs']} for "
             f"digits, {DEFAULTS['mnist']['epochs']} for mnist and fashion-mnist")
    add("--batch-size", type=_positive_int, default=64, metavar="N",
        help="samples per optimizer step. Default: 64")
    add("--lr", type=_positive_float, metavar="RATE",
        help=f"learning rate. Default for adam: {DEFAULTS['digits']['adam']:g} on digits "
             f"(the set is small), {DEFAULTS['mnist']['adam']:g} on mnist and fashion-mnist; "
             f"for sgd: {DEFAULTS['digits']['sgd']:g} and {DEFAULTS['mnist']['sgd']:g}")
    add("--optimizer", choices=OPTIMIZERS, default="adam",
        help="adam (Adam) or sgd (SGD with momentum 0.9). Default: adam")
    add("--seed", type=_seed, default=0,
        help="random seed (torchlet.manual_seed) for the initial weights and the "
             "shuffling: the same seed prints the same numbers, and the same as PyTorch "
             "would for the same code. Default: 0")
    add("--out", metavar="DIR",
        help="folder for metrics.png, model.pt and metrics.json (created if needed). "
             "Default: runs/<data>-<model>")
    return parser


def _version():
    try:
        from importlib.metadata import version

        return version("torchlet")
    except Exception:  # not installed (run from a source tree)
        return "unknown"


def run_train(args, out=None):
    """The ``train`` command: check, train, report, write the files (the report to ``out``,
    default sys.stdout)."""
    out = sys.stdout if out is None else out
    if args.data != "digits" and args.root is None:
        raise UsageError(f"--data {args.data} needs --root PATH, the folder with its IDX "
                         f"files (torchlet never downloads)")
    tqdm = _require("tqdm").tqdm
    _require("matplotlib")  # fail now rather than after training
    out_dir = args.out or os.path.join("runs", f"{args.data}-{args.model}")
    epochs = DEFAULTS[args.data]["epochs"] if args.epochs is None else args.epochs
    lr = DEFAULTS[args.data][args.optimizer] if args.lr is None else args.lr
    try:
        os.makedirs(out_dir, exist_ok=True)  # fail now rather than after training
    except OSError as err:
        raise InputError(f"cannot write to {out_dir}: {err.strerror or err}") from None
    try:
        datasets = load_data(torchlet, args.data, args.root)
    except (FileNotFoundError, RuntimeError) as err:
        raise InputError(str(err)) from None
    train_set, test_set, image_shape = datasets
    shape = "x".join(map(str, image_shape))
    print(f"data:      {args.data}, {len(train_set)} training and {len(test_set)} test "
          f"images of {shape}", file=out)

    def on_start(model):
        parameters = sum(p.numel() for p in model.parameters())
        print(f"model:     {args.model}, {parameters} parameters", file=out)
        print(f"optimizer: {args.optimizer}, lr {lr:g}, batch size {args.batch_size}, "
              f"{epochs} epochs, seed {args.seed}", file=out, flush=True)

    def on_epoch(epoch, train_loss, correct, total):
        print(f"epoch {epoch:{len(str(epochs))}d}/{epochs}   train loss "
              f"{train_loss:.4f}   test accuracy {100 * correct / total:.2f}% "
              f"({correct}/{total})", file=out, flush=True)

    bar = _ProgressBar(tqdm, epochs)
    started = time.perf_counter()
    result = train(torchlet, args.data, args.model, epochs, args.batch_size, lr,
                   args.optimizer, args.seed, datasets=datasets, progress=bar,
                   on_start=on_start, on_batch=bar.on_batch, on_epoch=on_epoch)
    seconds = time.perf_counter() - started
    history = result["history"]

    print("\n" + summary_table(history), file=out)
    metrics = {**result["settings"], "train_size": result["train_size"],
               "test_size": result["test_size"], "image_shape": result["image_shape"],
               "parameters": result["parameters"], **history,
               "final_test_accuracy": history["test_accuracy"][-1],
               "seconds": round(seconds, 3), "torchlet_version": _version()}
    try:
        torchlet.save(result["model"].state_dict(), os.path.join(out_dir, "model.pt"))
        with open(os.path.join(out_dir, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=2)
            f.write("\n")
        save_plot(history, os.path.join(out_dir, "metrics.png"),
                  f"torchlet train --data {args.data} --model {args.model}: final test "
                  f"accuracy {100 * history['test_accuracy'][-1]:.2f}%")
    except OSError as err:
        raise InputError(f"cannot write to {out_dir}: {err.strerror or err}") from None
    print(f"\nfinal test accuracy {100 * history['test_accuracy'][-1]:.2f}%; wrote "
          f"metrics.png, model.pt and metrics.json to {out_dir}", file=out)
    print(f"trained in {seconds:.1f} s", file=sys.stderr)
    return result


def main(argv=None):
    """Entry point of the ``torchlet`` command; returns the exit status."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    prog = f"{parser.prog} {args.command}"
    try:
        run_train(args)
    except UsageError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except InputError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
