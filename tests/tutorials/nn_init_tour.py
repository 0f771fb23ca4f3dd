"""Weight initialisation, as a learner compares schemes: calculate_gain for each
nonlinearity, fan-in/fan-out of Linear and Conv weights, xavier/kaiming (uniform and normal,
fan_in/fan_out, leaky_relu slopes), orthogonal_, trunc_normal_, sparse_, dirac_, eye_,
constant_/zeros_/ones_, the default init of nn.Linear/Conv2d/Embedding/LSTM, reset_parameters,
model.apply(init_fn), and the activation statistics through a deep ReLU/tanh stack."""

import math

import torch
import torch.nn as nn

torch.manual_seed(0)


def stats(t):
    mean, std, lo, hi = t.mean().item(), t.std().item(), t.min().item(), t.max().item()
    return f"mean {mean:+.4f} std {std:.4f} min {lo:+.4f} max {hi:+.4f}"


for nl in ("linear", "conv2d", "sigmoid", "tanh", "relu", "selu"):
    print(f"gain {nl:8s}", nn.init.calculate_gain(nl))
print(
    "gain leaky_relu",
    nn.init.calculate_gain("leaky_relu"),
    nn.init.calculate_gain("leaky_relu", 0.2),
)
try:
    nn.init.calculate_gain("softmax")
except ValueError as e:
    print("unknown nonlinearity ->", type(e).__name__)

for shape in ((20, 10), (8, 3, 5, 5), (6, 4, 3), (7,)):
    w = torch.empty(shape)
    try:
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
        print(shape, "fan_in", fan_in, "fan_out", fan_out)
    except ValueError as e:
        print(shape, "->", type(e).__name__)

w = torch.empty(256, 128)
for name, fn in (
    ("uniform_(-0.1, 0.1)", lambda t: nn.init.uniform_(t, -0.1, 0.1)),
    ("normal_(0, 0.02)", lambda t: nn.init.normal_(t, 0, 0.02)),
    ("xavier_uniform_", nn.init.xavier_uniform_),
    (
        "xavier_uniform_ gain tanh",
        lambda t: nn.init.xavier_uniform_(t, gain=nn.init.calculate_gain("tanh")),
    ),
    ("xavier_normal_", nn.init.xavier_normal_),
    ("kaiming_uniform_", nn.init.kaiming_uniform_),
    ("kaiming_uniform_ a=sqrt5", lambda t: nn.init.kaiming_uniform_(t, a=math.sqrt(5))),
    (
        "kaiming_normal_ fan_out",
        lambda t: nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
    ),
    (
        "kaiming_normal_ leaky 0.1",
        lambda t: nn.init.kaiming_normal_(t, a=0.1, nonlinearity="leaky_relu"),
    ),
    ("trunc_normal_ std 0.5", lambda t: nn.init.trunc_normal_(t, std=0.5, a=-1.0, b=1.0)),
    ("orthogonal_", nn.init.orthogonal_),
):
    out = fn(w)
    print(f"{name:27s}", out is w, stats(w))
print(
    "xavier bound:",
    round(math.sqrt(6 / (256 + 128)), 4),
    "kaiming std:",
    round(math.sqrt(2 / 128), 4),
)

q = nn.init.orthogonal_(torch.empty(4, 6))
print("orthogonal rows:", torch.allclose(q @ q.T, torch.eye(4), atol=1e-5))
q = nn.init.orthogonal_(torch.empty(6, 3), gain=2.0)
print("orthogonal columns, gain 2:", torch.allclose(q.T @ q, 4 * torch.eye(3), atol=1e-5))
print(nn.init.orthogonal_(torch.empty(2, 2)))
s = nn.init.sparse_(torch.empty(10, 4), sparsity=0.3, std=0.01)
print("sparse zeros per column:", (s == 0).sum(dim=0))
print("eye_:", nn.init.eye_(torch.empty(2, 3)))
d = nn.init.dirac_(torch.empty(2, 2, 3))
print("dirac_:", d)
x = torch.randn(1, 2, 5)
print("dirac conv is identity:", torch.equal(nn.functional.conv1d(x, d, padding=1), x))
print("dirac groups=2:", nn.init.dirac_(torch.empty(4, 1, 3), groups=2)[:, 0])
print(
    "constant_/ones_/zeros_:",
    nn.init.constant_(torch.empty(3), 0.3),
    nn.init.ones_(torch.empty(2)),
    nn.init.zeros_(torch.empty(2)),
)
try:
    nn.init.xavier_uniform_(torch.empty(5))
except ValueError as e:
    print("xavier on 1-d ->", type(e).__name__)

# -- default inits and reset_parameters ------------------------------------------------------------
torch.manual_seed(1)
lin = nn.Linear(100, 50)
bound = 1 / math.sqrt(100)
print(
    "Linear weight within 1/sqrt(fan_in):",
    lin.weight.abs().max().item() <= bound,
    stats(lin.weight),
)
print("Linear bias:", stats(lin.bias))
conv = nn.Conv2d(3, 16, 3)
print("Conv2d weight:", stats(conv.weight), conv.weight.abs().max().item() <= 1 / math.sqrt(27))
print("Embedding:", stats(nn.Embedding(1000, 8).weight))
print("Embedding padding row:", nn.Embedding(5, 3, padding_idx=2).weight[2])
lstm = nn.LSTM(4, 8)
print("LSTM:", [(n, round(p.abs().max().item(), 4)) for n, p in lstm.named_parameters()])
print(
    "LayerNorm/BatchNorm:",
    nn.LayerNorm(3).weight,
    nn.BatchNorm1d(3).bias,
    nn.BatchNorm1d(3).running_var,
)
before = lin.weight.clone()
lin.reset_parameters()
print("reset_parameters changes weights:", not torch.equal(before, lin.weight), stats(lin.weight))
print("init under no_grad leaves a leaf:", nn.init.normal_(lin.weight).is_leaf, lin.weight.grad_fn)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm1d):
        nn.init.ones_(m.weight)
        nn.init.constant_(m.bias, 0.1)


net = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 4))
visited = []
net.apply(lambda m: visited.append(type(m).__name__))
print("apply order:", visited)
net.apply(init_weights)
print(
    "biases zeroed:",
    net[0].bias.abs().sum().item(),
    net[3].bias.abs().sum().item(),
    "bn bias:",
    net[1].bias[:3],
)

# -- activation statistics through a deep stack ----------------------------------------------------
torch.manual_seed(2)
inputs = torch.randn(512, 256)
for scheme, act in (
    ("normal 0.01", nn.Tanh()),
    ("xavier", nn.Tanh()),
    ("kaiming", nn.ReLU()),
    ("xavier", nn.ReLU()),
    ("default", nn.ReLU()),
):
    layers = []
    for _ in range(8):
        lin = nn.Linear(256, 256, bias=False)
        if scheme == "normal 0.01":
            nn.init.normal_(lin.weight, std=0.01)
        elif scheme == "xavier":
            nn.init.xavier_normal_(lin.weight)
        elif scheme == "kaiming":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        layers += [lin, act]
    h = inputs
    stds = []
    with torch.no_grad():
        for layer in layers:
            h = layer(h)
            if isinstance(layer, type(act)):
                stds.append(f"{h.std().item():.3g}")
    print(f"{scheme:11s} + {type(act).__name__:4s}: layer stds", " ".join(stds))
