"""A zoo of custom nn.Modules of the kind people post on forums: a tied-embedding language
model (decoder.weight is encoder.weight), a Siamese net sharing one tower, a module whose
submodule appears twice; how parameters() / named_parameters(remove_duplicate=False) /
state_dict / named_modules count them; buffers with persistent=False; ParameterList and
ParameterDict; Sequential slicing / append / insert / pop / extend and ModuleDict
update / pop; add_module / register_module / replacing and deleting submodules;
load_state_dict(strict=False) reporting missing and unexpected keys; forward hooks printing
shapes; apply(init_fn); freezing by name and counting trainable parameters; .to(dtype) with
integer buffers; and print(model) with extra_repr."""

import collections

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class TiedLM(nn.Module):
    def __init__(self, vocab=11, dim=6):
        super().__init__()
        self.encoder = nn.Embedding(vocab, dim, padding_idx=0)
        self.mixer = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.LayerNorm(dim))
        self.decoder = nn.Linear(dim, vocab)
        self.decoder.weight = self.encoder.weight  # weight tying
        self.register_buffer("positions", torch.arange(8), persistent=False)
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    def forward(self, tokens):
        self.step += 1
        h = self.encoder(tokens) + 0.01 * self.positions[: tokens.shape[1], None].float()
        return self.decoder(self.mixer(h))


lm = TiedLM()
print(lm)
print("tied:", lm.decoder.weight is lm.encoder.weight)
print("parameters():", len(list(lm.parameters())), sum(p.numel() for p in lm.parameters()))
print("with duplicates:", [n for n, _ in lm.named_parameters(remove_duplicate=False)])
print("state_dict keys:", list(lm.state_dict().keys()))
print("buffers:", [(n, b.dtype) for n, b in lm.named_buffers()])
tokens = torch.randint(0, 11, (2, 5))
logits = lm(tokens)
loss = F.cross_entropy(logits.view(-1, 11), tokens.view(-1))
loss.backward()
print(
    "loss",
    round(loss.item(), 4),
    "step buffer",
    lm.step,
    "tied grad shared:",
    lm.decoder.weight.grad is lm.encoder.weight.grad,
)
print("padding row grad (encoder + decoder use):", lm.encoder.weight.grad[0].abs().sum().item() > 0)
sd = lm.state_dict()
print(
    "tied in state_dict share storage:",
    sd["encoder.weight"].data_ptr() == sd["decoder.weight"].data_ptr(),
)
lm2 = TiedLM()
print(
    "load:",
    lm2.load_state_dict(sd),
    "still tied:",
    lm2.decoder.weight is lm2.encoder.weight,
    torch.equal(lm2.decoder.weight, lm.encoder.weight),
)


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(2), nn.Flatten()
        )

    def forward(self, x):
        return self.body(x)


class Siamese(nn.Module):
    def __init__(self):
        super().__init__()
        tower = Tower()
        self.left = tower
        self.right = tower  # the same module twice
        self.head = nn.Bilinear(8, 8, 1)

    def forward(self, a, b):
        return self.head(self.left(a), self.right(b)).squeeze(-1)


sia = Siamese()
print(sia)
print("named_modules:", [n for n, _ in sia.named_modules()])
print("named_modules with duplicates:", [n for n, _ in sia.named_modules(remove_duplicate=False)])
print(
    "children:",
    [type(c).__name__ for c in sia.children()],
    "named_children:",
    [n for n, _ in sia.named_children()],
)
print(
    "params", sum(p.numel() for p in sia.parameters()), "state_dict entries", len(sia.state_dict())
)
a, b = torch.randn(3, 1, 6), torch.randn(3, 1, 6)
out = sia(a, b)
out.sum().backward()
print(
    "siamese out",
    out.detach().round(decimals=4),
    "conv grad",
    sia.left.body[0].weight.grad.norm().item() > 0,
)
print("get_submodule", sia.get_submodule("right.body.0"), sia.get_parameter("head.bias").shape)

# -- containers ----------------------------------------------------------------------------------
seq = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
print("slice", seq[1:], type(seq[1:]).__name__, "neg index", seq[-1])
seq.append(nn.Softmax(dim=-1))
seq.insert(1, nn.Dropout(0.1))
seq.extend([nn.Identity()])
print("after append/insert/extend", [type(m).__name__ for m in seq], len(seq))
popped = seq.pop(1)
del seq[-1]
print("popped", popped, "now", [type(m).__name__ for m in seq])
seq[0] = nn.Linear(4, 4, bias=False)
print("replaced", seq[0], "keys", list(seq._modules.keys()))
named = nn.Sequential(collections.OrderedDict([("fc", nn.Linear(3, 3)), ("act", nn.Tanh())]))
print(named, named.fc is named[0])
md = nn.ModuleDict({"b": nn.Linear(2, 2), "a": nn.ReLU()})
md.update({"c": nn.Sigmoid()})
md["d"] = nn.Tanh()
print("ModuleDict keys", list(md.keys()), "pop", md.pop("a"), "has a", "a" in md, len(md))
ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
ml += [nn.ReLU()]
print(
    "ModuleList",
    len(ml),
    type(ml[1:]).__name__,
    ml[-1],
    ml.index(ml[2]) if hasattr(ml, "index") else "-",
)
plist = nn.ParameterList([nn.Parameter(torch.ones(2)), torch.zeros(3)])
plist.append(nn.Parameter(torch.full((1,), 5.0)))
print(plist)
print("ParameterList types", [type(p).__name__ for p in plist], [p.requires_grad for p in plist])
pdict = nn.ParameterDict({"scale": nn.Parameter(torch.ones(1)), "shift": torch.zeros(1)})
print(pdict)
print("ParameterDict", list(pdict.keys()), [type(p).__name__ for p in pdict.values()])


# -- add / replace / delete submodules -----------------------------------------------------------
class Blank(nn.Module):
    pass


blank = Blank()
blank.add_module("first", nn.Linear(2, 3))
blank.register_module("second", nn.Linear(3, 1))
blank.extra = nn.Parameter(torch.zeros(1))
print(blank, list(dict(blank.named_parameters())))
blank.first = nn.Linear(2, 5)
del blank.second
print("after replace/delete", blank, list(blank.state_dict()))
try:
    blank.add_module("bad.name", nn.ReLU())
except KeyError as e:
    print("dotted name:", type(e).__name__)
try:
    blank.first = "not a module"
except TypeError as e:
    print("assign str to module attr:", type(e).__name__)
try:
    blank.register_buffer("extra", torch.ones(1))
except KeyError as e:
    print("buffer name taken:", type(e).__name__)

# -- strict=False --------------------------------------------------------------------------------
small = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
state = small.state_dict()
state["extra.weight"] = torch.zeros(1)
del state["2.bias"]
res = small.load_state_dict(state, strict=False)
print("strict=False:", res.missing_keys, res.unexpected_keys)
try:
    small.load_state_dict(state)
except RuntimeError as e:
    print("strict error:", str(e).splitlines()[0])
wrong = {k: torch.zeros(1) for k in small.state_dict()}
try:
    small.load_state_dict(wrong)
except RuntimeError as e:
    print("size mismatch:", "size mismatch" in str(e))

# -- hooks printing shapes -----------------------------------------------------------------------
net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12, 2))
handles = []
for name, mod in net.named_children():

    def hook(mod, inp, out, name=name):
        print(f"  {name} {type(mod).__name__:9s} {tuple(inp[0].shape)} -> {tuple(out.shape)}")

    handles.append(mod.register_forward_hook(hook))
print("forward with hooks:")
net(torch.randn(2, 1, 6, 6))
for h in handles:
    h.remove()
print("hooks removed, second forward prints nothing:")
net(torch.randn(2, 1, 6, 6))


# -- apply(init_fn) and freezing -----------------------------------------------------------------
def init_fn(m):
    if isinstance(m, (nn.Linear, nn.Conv2d)):
        nn.init.constant_(m.weight, 0.1)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
        print("  init", type(m).__name__)


print("apply order:")
net.apply(init_fn)
print("sum of weights", sum(p.sum().item() for p in net.parameters()))
for name, p in net.named_parameters():
    if name.startswith("0."):
        p.requires_grad_(False)
trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
total = sum(p.numel() for p in net.parameters())
print(
    f"trainable {trainable} / {total}",
    [n for n, p in net.named_parameters() if not p.requires_grad],
)
out = net(torch.ones(1, 1, 6, 6)).sum()
out.backward()
print("frozen grad", net[0].weight.grad, "head grad", net[4].weight.grad.sum().item())


# -- dtype conversion and extra_repr -------------------------------------------------------------
class Scaler(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.n = n
        self.weight = nn.Parameter(torch.ones(n))
        self.register_buffer("count", torch.zeros(n, dtype=torch.int32))
        self.register_buffer("running", torch.zeros(n))

    def extra_repr(self):
        return f"n={self.n}"

    def forward(self, x):
        return x * self.weight


sc = Scaler(3)
print(sc, nn.Sequential(sc, sc))
sc.double()
print("double:", sc.weight.dtype, sc.count.dtype, sc.running.dtype)
sc.to(torch.float16)
print(
    "half:",
    sc.weight.dtype,
    sc.count.dtype,
    sc.running.dtype,
    sc.weight.requires_grad,
    type(sc.weight).__name__,
)
print(
    "zero_grad / train flags",
    sc.training,
    sc.eval().training,
    sc.train().training,
    [m.training for m in net.eval().modules()][:3],
)
