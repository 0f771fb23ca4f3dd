"""Differential hunt over the nn.Module API, the containers and nn.utils (round 26).

The hunt found no mismatch in the owned files (module.py, container.py, parameter.py,
nn/utils); these tests keep what it checked: hand-derived expectations for a few corners
(each also run in torch when it is importable), and a replay of random sequences of API
calls on a random module tree, run by both libraries, comparing every printed result,
exception type and message, and warning (a seeded NumPy Generator picks the sequences).
"""

import copy
import re
import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # pragma: no cover - the hand-derived checks still run
    torch = None

LIBS = [torchlet] + ([torch] if torch is not None else [])
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _outcome(fn):
    """('ok', value) or (exception type name, message) of calling fn."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__, str(e)


# ---------------------------------------------------------------------------------------
# hand-derived corners


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_module_list_repr_collapses_runs_of_equal_children(lib):
    nn = lib.nn
    lib.manual_seed(0)
    ml = nn.ModuleList([nn.ReLU()] * 2 + [nn.Linear(2, 2)] * 3 + [nn.ReLU()])
    assert repr(ml) == (
        "ModuleList(\n"
        "  (0-1): 2 x ReLU()\n"
        "  (2-4): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (5): ReLU()\n"
        ")"
    )
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert repr(nn.Sequential(nn.ReLU(), nn.ReLU())) == (
        "Sequential(\n  (0): ReLU()\n  (1): ReLU()\n)")


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_container_index_edits(lib):
    nn = lib.nn
    s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.ELU(), nn.GELU())
    del s[1::2]  # keeps ReLU, ELU, renumbered 0, 1
    assert [type(m).__name__ for m in s] == ["ReLU", "ELU"] and list(s._modules) == ["0", "1"]
    s.insert(-1, nn.SELU())
    assert [type(m).__name__ for m in s] == ["ReLU", "SELU", "ELU"]
    assert _outcome(lambda: s.insert(-4, nn.ReLU()))[0] == "IndexError"
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    ml.insert(1, nn.ELU())
    ml.insert(0, nn.GELU())
    assert [type(m).__name__ for m in ml] == ["GELU", "ReLU", "ELU", "Tanh"]
    assert type(ml[1:]).__name__ == "ModuleList" and len(ml[::-1]) == 4
    assert _outcome(lambda: ml[4]) == ("IndexError", "index 4 is out of range")
    # torch's ModuleList.insert does not clamp an index past the end: the module lands
    # under that very key (a gap in the numbering), and len() counts it
    ml.insert(100, nn.SELU())
    assert list(ml._modules) == ["0", "1", "2", "3", "100"] and len(ml) == 5
    # nor does it take a negative index: it shifts the keys down to '-1', which is absent
    assert _outcome(lambda: nn.ModuleList([nn.ReLU()]).insert(-1, nn.SELU())) == (
        "KeyError", "'-1'")
    d = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    d.update([("c", nn.ReLU()), ("a", nn.ELU())])  # existing key keeps its place
    assert list(d) == ["b", "a", "c"] and type(d["a"]).__name__ == "ELU"


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_parameter_containers_wrap_plain_tensors(lib):
    nn = lib.nn
    pl = nn.ParameterList([lib.ones(2), nn.Parameter(lib.zeros(1), requires_grad=False)])
    pl.append(lib.zeros(3, dtype=lib.float64))
    assert [type(p).__name__ for p in pl] == ["Parameter"] * 3
    assert [p.requires_grad for p in pl] == [True, False, True]
    assert repr(pl) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [torch.float32 of size 2]\n"
        "    (1): Parameter containing: [torch.float32 of size 1]\n"
        "    (2): Parameter containing: [torch.float64 of size 3]\n"
        ")"
    )
    pd = nn.ParameterDict({"b": lib.ones(2)})
    pd["a"] = lib.zeros(1)
    assert list(pd) == ["b", "a"] and type(pd["a"]).__name__ == "Parameter"
    assert list(pd.state_dict()) == ["b", "a"]


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_load_state_dict_scalar_and_mismatch_messages(lib):
    nn = lib.nn
    bn = nn.BatchNorm1d(2)
    sd = bn.state_dict()
    sd["num_batches_tracked"] = lib.tensor([7])  # (1,) into a 0-d buffer: old checkpoints
    assert repr(bn.load_state_dict(sd)) == "<All keys matched successfully>"
    assert bn.num_batches_tracked.item() == 7 and bn.num_batches_tracked.dim() == 0
    sd["num_batches_tracked"] = lib.tensor([7, 8])
    kind, msg = _outcome(lambda: bn.load_state_dict(sd))
    assert kind == "RuntimeError"
    assert ("size mismatch for num_batches_tracked: copying a param with shape "
            "torch.Size([2]) from checkpoint, the shape in current model is torch.Size([])."
            ) in msg
    res = nn.Linear(1, 1).load_state_dict({"weight": lib.ones(1, 1), "x.y": lib.ones(1)},
                                          strict=False)
    # strict=False still lists the unexpected keys; it only stops raising
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["x.y"]


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_pad_sequence_left_and_packing_round_trip(lib):
    rnn = lib.nn.utils.rnn
    seqs = [lib.arange(3.0), lib.arange(5.0) + 10, lib.arange(1.0) + 20]
    out = rnn.pad_sequence(seqs, batch_first=True, padding_value=-1, padding_side="left")
    assert out.tolist() == [[-1, -1, 0, 1, 2], [10, 11, 12, 13, 14], [-1, -1, -1, -1, 20]]
    pk = rnn.pack_sequence(seqs, enforce_sorted=False)
    assert pk.batch_sizes.tolist() == [3, 2, 2, 1, 1]
    assert pk.sorted_indices.tolist() == [1, 0, 2]
    assert pk.data.tolist() == [10, 0, 20, 11, 1, 12, 2, 13, 14]
    padded, lengths = rnn.pad_packed_sequence(pk, batch_first=True, total_length=6)
    assert padded.shape == (3, 6) and lengths.tolist() == [3, 5, 1]
    assert [s.tolist() for s in rnn.unpack_sequence(pk)] == [s.tolist() for s in seqs]


# ---------------------------------------------------------------------------------------
# sampled API-call sequences, run by both libraries

_LEAVES = ["nn.Linear(2,2)", "nn.Linear(2,2,bias=False)", "nn.BatchNorm1d(2)", "nn.ReLU()",
           "nn.Identity()", "nn.LayerNorm(2)", "nn.Tanh()", "nn.Embedding(3,2)", "nn.PReLU()"]
_NAMES = ["c0", "c1", "p", "buf", "x", "weight", "0", "k1", "training"]
_VALUES = ["nn.Parameter(torch.ones(2))", "torch.ones(2)", "nn.ReLU()", "None", "3",
           "nn.Linear(2,2)"]
_PATHS = ["''", "'c0'", "'c0.0'", "'c0.0.weight'", "'c1.k1'", "'p'", "'buf'",
          "'c0.running_mean'", "'x.y'"]
_CONTAINER_OPS = [
    "append(nn.ReLU())", "insert(1, nn.Tanh())", "insert(-2, nn.Tanh())", "pop(0)",
    "pop(-1)", "extend([nn.Identity()])", "__delitem__(0)", "__getitem__(slice(1, None))",
    "__getitem__(-1)", "__setitem__(0, nn.GELU())", "update({'k9': nn.ReLU()})",
    "pop('k1')", "keys()", "__iadd__(nn.ModuleList([nn.ReLU()]))", "__mul__(2)",
    "__add__(nn.Sequential(nn.ReLU()))", "__delitem__(slice(0, 1))", "__getitem__('k1')",
]

_PRELUDE = """
import copy
def show(m):
    P(repr(m))
    P([n for n, _ in m.named_modules(remove_duplicate=False)])
    P([(n, tuple(p.shape), p.requires_grad) for n, p in m.named_parameters()])
    P([(n, tuple(b.shape)) for n, b in m.named_buffers()])
    P(list(m.state_dict()))
class C(nn.Module):
    pass
leaves = []
def _l(x):
    leaves.append(x)
    return x
"""


def _program(seed, nops=20):
    """Python source of a random module tree and a random sequence of calls on it."""
    r = np.random.default_rng(seed)
    lines = [_PRELUDE]

    def leaf():
        if r.random() < 0.25 and leaf.count:
            return f"leaves[{r.integers(leaf.count)}]"  # a shared module
        leaf.count += 1
        return f"_l({_LEAVES[r.integers(len(_LEAVES))]})"
    leaf.count = 0

    def tree(depth):
        kind = r.integers(4) if depth < 2 else 0
        kids = [tree(depth + 1) for _ in range(int(r.integers(0, 4)))] if kind else []
        if kind == 1:
            return f"nn.Sequential({', '.join(kids)})"
        if kind == 2:
            return f"nn.ModuleList([{', '.join(kids)}])"
        if kind == 3:
            return "nn.ModuleDict({" + ", ".join(
                f"'k{r.integers(4)}': {c}" for c in kids) + "})"
        return leaf()

    lines.append("m = C()")
    for i in range(int(r.integers(1, 3))):
        lines.append(f"m.c{i} = {tree(0)}")
    if r.random() < 0.5:
        lines.append("m.p = nn.Parameter(torch.randn(2))")
    if r.random() < 0.5:
        lines.append(f"m.register_buffer('buf', torch.zeros(3), persistent={r.random() < 0.5})")
    lines.append("show(m)")

    def pick(seq):
        return seq[r.integers(len(seq))]

    for _ in range(nops):
        op = int(r.integers(14))
        tgt = "m" if r.random() < 0.5 else f"m.get_submodule({pick(_PATHS[:3])})"
        flag = bool(r.random() < 0.5)
        body = [
            f"setattr({tgt}, '{pick(_NAMES)}', {pick(_VALUES)}); show(m)",
            f"delattr({tgt}, '{pick(_NAMES)}'); show(m)",
            f"o = m.{pick(['get_submodule', 'get_parameter', 'get_buffer'])}({pick(_PATHS)}); "
            "P(type(o).__name__)",
            f"sd = m.state_dict(prefix={pick(['', 'a.'])!r}, keep_vars={flag}); "
            "P([(k, type(v).__name__) for k, v in sd.items()]); P(sd._metadata)",
            "sd = copy.deepcopy(m).state_dict()\n"
            + pick(["pass", "sd.popitem()", "sd['zz'] = torch.ones(1)",
                    "sd['c0.zz.q'] = torch.ones(1)",
                    "k = next(iter(sd), None)\nif k: sd[k] = torch.ones(7)"])
            + f"\nres = m.load_state_dict(sd, strict={flag}, assign={r.random() < 0.3}); "
            "P(res); P([(k, v.dtype, v.sum().item()) for k, v in m.state_dict().items()])",
            f"P([n for n, _ in {tgt}.named_modules(prefix='q', remove_duplicate={flag})]); "
            f"P([n for n, _ in {tgt}.named_parameters(recurse={flag})])",
            # (only on a module: a Tensor's dunders are another file's business)
            f"c = m.c{r.integers(2)}\nif isinstance(c, nn.Module):\n"
            f"    o = c.{pick(_CONTAINER_OPS)}; P(type(o).__name__); show(m)",
            f"P({tgt}.train({flag}) is {tgt}); P([mm.training for mm in m.modules()])",
            f"{tgt}.requires_grad_({flag}); P([p.requires_grad for p in m.parameters()])",
            f"{tgt}.{pick(['double()', 'float()', 'half()', 'to(torch.float64)'])}; "
            "P([(k, v.dtype) for k, v in m.state_dict().items()])",
            "m2 = copy.deepcopy(m); show(m2)",
            f"{tgt}.register_buffer('{pick(_NAMES)}', {pick(['torch.ones(2)', 'None', '3'])}, "
            f"persistent={flag}); show(m)",
            f"{tgt}.add_module('{pick(_NAMES)}', {pick(['nn.ReLU()', 'None', '3'])}); show(m)",
            f"m.set_submodule({pick(_PATHS)}, nn.Tanh(), strict={flag}); show(m)",
        ][op]
        lines.append("try:\n    " + body.replace("\n", "\n    ")
                     + "\nexcept Exception as e:\n    P('EXC', type(e).__name__, e)")
    return "\n".join(lines)


def _run(source, lib):
    """What the program prints (and warns) with ``torch`` bound to ``lib``."""
    out = []
    env = {"torch": lib, "nn": lib.nn, "P": lambda *a: out.append(" ".join(map(str, a)))}
    lib.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(source, "<sampled>", "exec"), env)  # noqa: S102 - our own program
    out += [f"WARN {w.category.__name__}: {w.message}" for w in caught]
    # torchlet names its own package, and its nn.Buffer stays a (Tensor) subclass
    return [re.sub(r"0x[0-9a-f]+", "0x", line).replace("torchlet", "torch")
            .replace("'Buffer'", "'Tensor'") for line in out]


@needs_torch
@pytest.mark.parametrize("seed", range(40))
def test_sampled_api_sequences_match_torch(seed):
    source = _program(seed)
    got, want = _run(source, torchlet), _run(source, torch)
    assert got == want, source


def test_sampled_programs_exercise_errors_and_edits():
    # the sampled programs are not vacuous: they hit errors, edits and state_dict loads
    outputs = [line for seed in range(40) for line in _run(_program(seed), torchlet)]
    assert sum(line.startswith("EXC") for line in outputs) >= 10
    assert any("Missing key(s)" in line or "Unexpected key(s)" in line for line in outputs)
    assert any(line.startswith("_IncompatibleKeys(") for line in outputs)
    assert any(line.startswith("<All keys matched") for line in outputs)


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_deepcopy_keeps_tree_and_values(lib):
    nn = lib.nn
    lib.manual_seed(0)
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, nn.Sequential(lin, nn.BatchNorm1d(2)))
    m2 = copy.deepcopy(m)
    assert m2[0] is m2[1][0] and m2[0] is not lin  # sharing survives the copy
    assert [n for n, _ in m2.named_parameters()] == ["0.weight", "0.bias", "1.1.weight",
                                                     "1.1.bias"]
    assert all(lib.equal(a, b) for a, b in zip(m.state_dict().values(),
                                                m2.state_dict().values()))


def test_inplace_dunder_with_a_bad_operand_on_a_leaf_is_a_type_error():
    # torch parses the arguments first: `p += 'a'` on a leaf that requires grad is the
    # TypeError of an unsupported operand, and p.__iadd__('a') returns NotImplemented
    p = torchlet.nn.Parameter(torchlet.ones(2))
    assert p.__iadd__("a") is NotImplemented
