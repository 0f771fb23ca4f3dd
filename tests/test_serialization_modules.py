"""Whole pickled modules and arbitrary objects through torchlet.load(weights_only=False).

* torchlet.save(model) -> torchlet.load(weights_only=False) gives the same module back;
  weights_only=True refuses it with an UnpicklingError naming the refused class.
* torch.save(model) (a whole torch module) -> torchlet.load(weights_only=False) gives the
  torchlet module of the same classes, configuration, state_dict (bit-exact: the bytes are
  copied) and outputs (within float32 rounding: the kernels are not torch's); a torch class
  torchlet lacks raises an UnpicklingError that names it.
* Other picklable objects (classes of this module, NumPy arrays, builtins) load as pickle
  loads them.
"""

from __future__ import annotations

import argparse
import io
import pickle

import numpy as np
import pytest

import torchlet
from torchlet import nn

torch = pytest.importorskip("torch")


class Point:
    """A plain class, pickled by reference to this module."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return type(other) is Point and (self.x, self.y) == (other.x, other.y)


def _roundtrip(obj, **load_args):
    buffer = io.BytesIO()
    torchlet.save(obj, buffer)
    buffer.seek(0)
    return torchlet.load(buffer, **load_args)


def _torch_saved(tmp_path, obj):
    path = tmp_path / "torch.pt"
    torch.save(obj, path)
    return path


def _same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        assert str(sa[key].dtype).split(".")[-1] == str(sb[key].dtype).split(".")[-1]
        assert np.array_equal(sa[key].numpy(), sb[key].numpy()), key


def test_torchlet_module_roundtrip_weights_only_false():
    torchlet.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.BatchNorm1d(3), nn.Linear(3, 2))
    back = _roundtrip(model, weights_only=False)
    assert type(back) is nn.Sequential and back is not model
    assert str(back) == str(model)
    _same_state(back, model)
    x = torchlet.randn(5, 4)
    model.eval()
    back.eval()
    assert torchlet.equal(back(x), model(x))
    # the loaded module trains: parameters are leaves that collect gradients
    back(x).sum().backward()
    assert all(p.grad is not None for p in back.parameters())


def test_weights_only_true_refuses_a_module():
    with pytest.raises(pickle.UnpicklingError,
                       match=r"GLOBAL torchlet\.nn\.modules\.container\.Sequential was not "
                             r"an allowed global"):
        _roundtrip(nn.Sequential(nn.Linear(2, 2)))
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL \S*Point was not an allowed"):
        _roundtrip({"p": Point(1, 2)}, weights_only=True)


def test_arbitrary_objects_weights_only_false():
    obj = {"point": Point(1, [2, 3]), "ns": argparse.Namespace(lr=0.1), "fn": len,
           "array": np.arange(4.0), "slice": slice(1, 5, 2), "t": torchlet.arange(3)}
    back = _roundtrip(obj, weights_only=False)
    assert back["point"] == Point(1, [2, 3])
    assert back["ns"] == argparse.Namespace(lr=0.1)
    assert back["fn"] is len and back["slice"] == slice(1, 5, 2)
    assert np.array_equal(back["array"], np.arange(4.0))
    assert torchlet.equal(back["t"], torchlet.arange(3))


def _torch_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(16, 5),
        torch.nn.Dropout(0.1), torch.nn.GELU(approximate="tanh"), torch.nn.LayerNorm(5))


def test_torch_saved_module_loads_as_torchlet_module(tmp_path):
    theirs = _torch_model()
    theirs.eval()
    ours = torchlet.load(_torch_saved(tmp_path, theirs), weights_only=False)
    assert type(ours) is nn.Sequential
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    assert all(type(m).__module__.startswith("torchlet.") for m in ours.modules())
    assert str(ours) == str(theirs)
    assert not ours.training and not ours[1].training
    _same_state(ours, theirs)
    assert isinstance(ours[0].weight, nn.Parameter) and ours[0].weight.requires_grad
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(torchlet.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_torch_saved_recurrent_and_attention_modules(tmp_path):
    torch.manual_seed(1)
    theirs = torch.nn.ModuleDict({"lstm": torch.nn.LSTM(3, 4, batch_first=True),
                                  "attn": torch.nn.MultiheadAttention(4, 2, batch_first=True)})
    ours = torchlet.load(_torch_saved(tmp_path, theirs), weights_only=False)
    assert type(ours["lstm"]) is nn.LSTM and type(ours["attn"]) is nn.MultiheadAttention
    _same_state(ours, theirs)
    x = np.random.default_rng(1).standard_normal((2, 5, 3)).astype(np.float32)
    out_theirs, _ = theirs["lstm"](torch.tensor(x))
    out_ours, _ = ours["lstm"](torchlet.tensor(x))
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    h = out_theirs.detach().numpy()
    a_theirs, _ = theirs["attn"](*[torch.tensor(h)] * 3)
    a_ours, _ = ours["attn"](*[torchlet.tensor(h)] * 3)
    np.testing.assert_allclose(a_ours.detach().numpy(), a_theirs.detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_torch_saved_checkpoint_with_classes_and_dtypes(tmp_path):
    obj = {"cls": torch.optim.Adam, "dtype": torch.float16, "size": torch.Size([2, 3]),
           "loss": torch.nn.CrossEntropyLoss(label_smoothing=0.1), "epoch": 3}
    back = torchlet.load(_torch_saved(tmp_path, obj), weights_only=False)
    assert back["cls"] is torchlet.optim.Adam
    assert back["dtype"] is torchlet.float16
    assert back["size"] == torchlet.Size([2, 3]) and back["epoch"] == 3
    assert type(back["loss"]) is nn.CrossEntropyLoss and back["loss"].label_smoothing == 0.1


def test_torch_class_without_counterpart_is_named(tmp_path):
    path = _torch_saved(tmp_path, {"event": torch.cuda.Event})
    with pytest.raises(pickle.UnpicklingError,
                       match=r"'torch\.cuda\.streams\.Event' of torch, which torchlet has no "
                             r"counterpart"):
        torchlet.load(path, weights_only=False)


def test_torch_saved_module_refused_with_weights_only(tmp_path):
    path = _torch_saved(tmp_path, torch.nn.Linear(2, 2))
    with pytest.raises(pickle.UnpicklingError,
                       match=r"GLOBAL torch\.nn\.modules\.linear\.Linear was not an allowed"):
        torchlet.load(path)
    # ... as torch itself refuses it
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        torch.load(path)
