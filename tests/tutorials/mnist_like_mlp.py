"""The learner's first classifier: an MLP on a synthetic "MNIST-like" dataset (8x8 images
drawn from ten class prototypes plus noise), a DataLoader over a TensorDataset with a
train/validation random_split, per-epoch loss averaged both ways (mean of batch means vs
the sample-weighted mean), accuracy, model.eval()/torch.no_grad(), print(model),
named_parameters shapes, and the state_dict round trip through io.BytesIO with torch.save /
torch.load, then a confusion matrix."""

import io

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)

# -- data: ten prototype "digits" and noisy copies of them -----------------------------------------
prototypes = (torch.rand(10, 1, 8, 8) > 0.6).float()
labels = torch.randint(0, 10, (500,))
images = prototypes[labels] + 0.5 * torch.randn(500, 1, 8, 8)
images = images.clamp(0, 1)
print("images:", images.shape, images.dtype, "labels:", labels.shape, labels.dtype)
print("class counts:", torch.bincount(labels, minlength=10).tolist())
print("pixel mean/std:", round(images.mean().item(), 4), round(images.std().item(), 4))

dataset = TensorDataset(images, labels)
train_set, val_set = random_split(dataset, [400, 100], generator=torch.Generator().manual_seed(42))
print("split sizes:", len(train_set), len(val_set), "first val indices:", val_set.indices[:5])
x0, y0 = train_set[0]
print("one sample:", x0.shape, y0, type(y0).__name__)
train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
val_loader = DataLoader(val_set, batch_size=32)
print("batches per epoch:", len(train_loader), len(val_loader))
xb, yb = next(iter(train_loader))
print("batch:", xb.shape, yb.shape, yb[:8])


class MLP(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.flatten = nn.Flatten()
        self.net = nn.Sequential(
            nn.Linear(64, hidden),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(hidden, hidden // 2),
            nn.ReLU(),
            nn.Linear(hidden // 2, 10),
        )

    def forward(self, x):
        return self.net(self.flatten(x))


model = MLP()
print(model)
for name, p in model.named_parameters():
    print(f"  {name:14s} {str(tuple(p.shape)):10s} {p.numel()}")
print("total parameters:", sum(p.numel() for p in model.parameters()))

loss_fn = nn.CrossEntropyLoss()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def evaluate(loader):
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
    return total_loss / seen, correct / seen


for epoch in range(1, 6):
    model.train()
    batch_means, weighted, seen, correct = [], 0.0, 0, 0
    for x, y in train_loader:
        logits = model(x)
        loss = loss_fn(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        batch_means.append(loss.item())
        weighted += loss.item() * x.size(0)  # the last batch has 16 samples, not 64
        seen += x.size(0)
        correct += (logits.argmax(dim=1) == y).sum().item()
    mean_of_means = sum(batch_means) / len(batch_means)
    val_loss, val_acc = evaluate(val_loader)
    print(
        f"epoch {epoch}: batches {len(batch_means)} seen {seen} "
        f"loss(mean of batches) {mean_of_means:.4f} loss(per sample) {weighted / seen:.4f} "
        f"train acc {correct / seen:.3f} val loss {val_loss:.4f} val acc {val_acc:.2f}"
    )

# -- save and load through an in-memory buffer -----------------------------------------------------
state = model.state_dict()
print("state_dict keys:", list(state.keys()))
print("state_dict types:", type(state).__name__, state["net.0.weight"].requires_grad)
buffer = io.BytesIO()
torch.save(state, buffer)
print("saved bytes > 0:", buffer.tell() > 0)
buffer.seek(0)
loaded = torch.load(buffer, weights_only=True)
print("loaded keys equal:", list(loaded) == list(state))
clone = MLP()
print("fresh model differs:", not torch.equal(clone.net[0].weight, model.net[0].weight))
print(clone.load_state_dict(loaded))
clone.eval()
model.eval()
with torch.no_grad():
    same = torch.equal(clone(images[:50]), model(images[:50]))
print("same predictions after load:", same)

# a full checkpoint: model, optimizer, epoch, a Python float
ckpt = io.BytesIO()
torch.save({"epoch": 5, "model": model.state_dict(), "optim": opt.state_dict(), "best": 0.25}, ckpt)
ckpt.seek(0)
restored = torch.load(ckpt)
print("checkpoint:", sorted(restored), restored["epoch"], restored["best"])
print(
    "optimizer state:",
    sorted(restored["optim"]),
    restored["optim"]["param_groups"][0]["lr"],
    restored["optim"]["param_groups"][0]["momentum"],
    sorted(restored["optim"]["state"])[:3],
)
opt2 = torch.optim.SGD(clone.parameters(), lr=0.5)
opt2.load_state_dict(restored["optim"])
print("lr restored:", opt2.param_groups[0]["lr"])
mb = opt2.state[clone.net[0].weight]["momentum_buffer"]
print(
    "momentum buffer:", mb.shape, torch.equal(mb, opt.state[model.net[0].weight]["momentum_buffer"])
)
tensor_buf = io.BytesIO()
torch.save([torch.arange(3), torch.tensor(2.5)], tensor_buf)
tensor_buf.seek(0)
print(torch.load(tensor_buf))

# -- predictions, probabilities, confusion matrix --------------------------------------------------
with torch.no_grad():
    val_x = torch.stack([val_set[i][0] for i in range(len(val_set))])
    val_y = torch.stack([val_set[i][1] for i in range(len(val_set))])
    probs = F.softmax(model(val_x), dim=1)
pred = probs.argmax(dim=1)
print("first predictions:", pred[:10].tolist(), "truth:", val_y[:10].tolist())
print("max prob of the first five:", probs.max(dim=1).values[:5].round(decimals=3))
print("probabilities sum to 1:", torch.allclose(probs.sum(1), torch.ones(100)))
confusion = torch.zeros(10, 10, dtype=torch.long)
confusion.index_put_((val_y, pred), torch.ones_like(val_y), accumulate=True)
print(confusion)
print("per-class recall:", (confusion.diag() / confusion.sum(1).clamp(min=1)).round(decimals=2))
print("accuracy:", confusion.diag().sum().item() / confusion.sum().item())
