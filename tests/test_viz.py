"""Pictures of the computation graph: torchlet.utils.viz.make_dot (torchviz's make_dot).

What is checked, and how exactly:
* the DOT text of small graphs, box by box and arrow by arrow (exact strings: labels are
  node names and shapes, ids count boxes in walking order, so the text is deterministic);
* the backward nodes make_dot finds equal, as a multiset of names, those found by walking
  torch's graph the same way for the same expression (live, when torch is importable);
* a 20,000-operation chain is walked without recursion;
* pictures: PNG/SVG from matplotlib (skipped without it), from Graphviz's dot (skipped
  without it), and the error that names what to install when neither is there.
No numbers are compared, so nothing here depends on float rounding.
"""

import re
import shutil
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

import torchlet
from torchlet import nn
from torchlet.utils import viz
from torchlet.utils.viz import make_dot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def nodes(graph):
    return [box.label for box in graph.boxes if box.kind == "node"]


def arrows_by_label(graph):
    """Arrows as (tail label, head label, kind), so tests need not know the numbering."""
    return Counter((graph.boxes[a.tail].label, graph.boxes[a.head].label, a.kind)
                   for a in graph.arrows)


def leaves(n=3, count=3):
    torchlet.manual_seed(0)
    return [torchlet.randn(n, requires_grad=True) for _ in range(count)]


# ---------------------------------------------------------------------------------------
# The DOT text


def test_dot_text_of_a_times_b_plus_c():
    a, b, c = leaves()
    graph = make_dot(a * b + c, params={"a": a, "b": b, "c": c})
    assert graph.source == (
        "digraph {\n"
        '\tgraph [size="12,12"]\n'
        "\tnode [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box "
        "style=filled]\n"
        '\t0 [label="\\n (3)" fillcolor=darkolivegreen1]\n'
        '\t1 [label="AddBackward0"]\n'
        '\t2 [label="MulBackward0"]\n'
        '\t3 [label="AccumulateGrad"]\n'
        '\t4 [label="a\\n (3)" fillcolor=lightblue]\n'
        '\t5 [label="AccumulateGrad"]\n'
        '\t6 [label="b\\n (3)" fillcolor=lightblue]\n'
        '\t7 [label="AccumulateGrad"]\n'
        '\t8 [label="c\\n (3)" fillcolor=lightblue]\n'
        "\t2 -> 1\n\t7 -> 1\n\t3 -> 2\n\t5 -> 2\n\t4 -> 3\n\t6 -> 5\n\t8 -> 7\n\t1 -> 0\n"
        "}\n"
    )
    assert str(graph) == graph.source
    # deterministic: the same graph built again gives the same text
    a2, b2, c2 = leaves()
    assert make_dot(a2 * b2 + c2, params={"a": a2, "b": b2, "c": c2}).source == graph.source


def test_leaves_without_params_have_no_name_but_a_shape():
    x = torchlet.ones(2, 3, requires_grad=True)
    graph = make_dot(x.sum())
    assert [(b.label, b.kind) for b in graph.boxes] == [
        ("\n ()", "output"), ("SumBackward0", "node"), ("AccumulateGrad", "node"),
        ("\n (2, 3)", "leaf"),
    ]


def test_model_with_named_parameters():
    torchlet.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    loss = nn.functional.mse_loss(model(torchlet.randn(2, 4)), torchlet.zeros(2, 3))
    graph = make_dot(loss, params=dict(model.named_parameters()))
    leaf_labels = sorted(b.label for b in graph.boxes if b.kind == "leaf")
    assert leaf_labels == ["0.bias\n (5)", "0.weight\n (5, 4)", "2.bias\n (3)",
                           "2.weight\n (3, 5)"]
    assert [b.label for b in graph.boxes if b.kind == "output"] == ["\n ()"]
    assert Counter(nodes(graph))["AccumulateGrad"] == 4
    # every parameter's box feeds its AccumulateGrad, which feeds the graph
    assert arrows_by_label(graph)[("0.weight\n (5, 4)", "AccumulateGrad", "flow")] == 1
    assert arrows_by_label(graph)[("ReluBackward0", "AddmmBackward0", "flow")] == 1


def test_multi_output_op_draws_every_output_once():
    x = torchlet.randn(3, 4, requires_grad=True)
    result = torchlet.max(x, dim=0)  # values (differentiable) and indices (int64, no grad_fn)
    graph = make_dot(result)
    outputs = [b for b in graph.boxes if b.kind == "output"]
    assert [b.label for b in outputs] == ["\n (4)", "\n (4)"]
    assert nodes(graph) == ["MaxBackward0", "AccumulateGrad"]
    # a list works as well as a tuple, and an output passed twice is drawn once
    assert make_dot([result.values, result.values]).source == make_dot(result.values).source


def test_shared_subexpression_is_drawn_once():
    a, b = leaves(count=2)
    e = a * b
    y = e + e * e
    graph = make_dot(y)
    assert Counter(nodes(graph)) == {"AddBackward0": 1, "MulBackward0": 2, "AccumulateGrad": 2}
    arrows = arrows_by_label(graph)
    # e feeds the add once and the square twice (one arrow per input, as torchviz draws)
    assert arrows[("MulBackward0", "MulBackward0", "flow")] == 2
    assert arrows[("MulBackward0", "AddBackward0", "flow")] == 2  # e and e*e
    assert len(graph.boxes) == 1 + 5 + 2


def test_view_output_shows_its_base():
    x = torchlet.randn(3, requires_grad=True)
    view = (x * 2)[1:]
    graph = make_dot(view)
    assert [(b.label, b.kind) for b in graph.boxes if b.kind in ("output", "base")] == [
        ("\n (2)", "output"), ("\n (3)", "base")]
    assert arrows_by_label(graph)[("\n (3)", "\n (2)", "view")] == 1
    assert "[style=dotted]" in graph.source and "fillcolor=darkolivegreen3" in graph.source


def test_long_chain_walks_without_recursion():
    x = torchlet.randn(2, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # any recursion per node would fail at once
    try:
        graph = make_dot(y)
        source = graph.source
    finally:
        sys.setrecursionlimit(limit)
    assert len(graph.boxes) == 20_000 + 3
    assert Counter(nodes(graph)) == {"MulBackward0": 20_000, "AccumulateGrad": 1}
    assert len(graph.arrows) == 20_000 + 2
    assert source.count("->") == len(graph.arrows)
    # torchviz's resize_graph: 0.15 inch per statement
    assert f'size="{(len(graph.boxes) + len(graph.arrows)) * 0.15}' in source


def test_show_attrs_lists_what_a_node_keeps():
    x = torchlet.randn(3, 4, requires_grad=True)
    label = make_dot(x.sum(dim=1, keepdim=True), show_attrs=True).boxes[1].label
    lines = label.split("\n")
    assert lines[0] == "SumBackward1"
    assert set(lines[1]) == {"-"}
    rows = dict(re.match(r"(\w+)\s*: +(.*)$", row).groups() for row in lines[2:])
    assert rows.get("dims", rows.get("dim")) == "(1,)"
    assert rows["keepdim"] == "True"
    # values longer than max_attr_chars are cut, with "..."
    big = torchlet.randn(3, 4, 5, 6, 7, requires_grad=True).sum(dim=(0, 1, 2))
    short = make_dot(big, show_attrs=True, max_attr_chars=8).boxes[1].label
    rows = dict(row.split(": ", 1) for row in short.split("\n")[2:])
    assert rows["dims    "] == "(0, 1..." and rows["keepdim "] == "   False"
    assert make_dot(x.sum(dim=1), show_attrs=False).boxes[1].label == "SumBackward1"


def test_show_saved_draws_saved_tensors_until_backward_frees_them():
    a, b = leaves(count=2)
    y = (a * b).sum()
    assert all(box.kind != "saved" for box in make_dot(y).boxes)
    graph = make_dot(y, params={"a": a}, show_saved=True)
    saved = [b.label for b in graph.boxes if b.kind == "saved"]
    # torch's order (other, then self); a parameter keeps its name
    assert saved == ["saved[0]\n (3)", "a\n (3)"]
    assert arrows_by_label(graph)[("MulBackward0", "a\n (3)", "saved")] == 1
    assert "[dir=none]" in graph.source and "fillcolor=orange" in graph.source
    y.backward()
    assert all(box.kind != "saved" for box in make_dot(y, show_saved=True).boxes)


def test_custom_function_shows_its_saved_tensors_always():
    class Square(torchlet.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = torchlet.randn(3, requires_grad=True)
    graph = make_dot(Square.apply(x))
    assert nodes(graph) == ["SquareBackward", "AccumulateGrad"]
    assert [b.label for b in graph.boxes if b.kind == "saved"] == ["saved[0]\n (3)"]


def test_bad_arguments():
    x = torchlet.randn(3, requires_grad=True)
    with pytest.raises(TypeError, match="params must map names to tensors.*'w' is a list"):
        make_dot(x * 2, params={"w": [1.0]})
    with pytest.raises(TypeError, match="expected a tensor or a tuple/list of tensors, got float"):
        make_dot(1.5)


def _assert_valid_dot(source):
    """What can be checked without Graphviz: every line is one statement of the grammar."""
    lines = source.splitlines()
    assert lines[0] == "digraph {" and lines[-1] == "}"
    statement = re.compile(
        r'\t(graph \[.*\]|node \[.*\]|\d+ \[label="([^"\\]|\\.)*"( fillcolor=\w+)?\]'
        r"|\d+ -> \d+( \[(dir=none|style=dotted)\])?)$"
    )
    for line in lines[1:-1]:
        assert statement.match(line), line


def test_dot_text_is_valid_graphviz():
    torchlet.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    x = torchlet.randn(2, 4, requires_grad=True)
    out = model(x)
    graphs = [
        make_dot(out.sum(), params=dict(model.named_parameters()), show_attrs=True,
                 show_saved=True),
        make_dot((out[0], out.softmax(dim=1)), params={'odd "name"\\': x}),
        make_dot(x[1:]),
    ]
    for graph in graphs:
        _assert_valid_dot(graph.source)
    dot = shutil.which("dot")
    if dot is not None:  # the real parser too, when Graphviz is installed
        for graph in graphs:
            result = subprocess.run([dot, "-Tsvg"], input=graph.source.encode(),
                                    capture_output=True)
            assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------
# The same nodes as torch


def _names_in_torch_graph(outputs):
    """Walk torch's graph as make_dot walks torchlet's: each node once, by its type name."""
    stack = [o.grad_fn for o in outputs if o.grad_fn is not None]
    seen, names = set(), Counter()
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        names[type(fn).__name__] += 1
        stack.extend(next_fn for next_fn, _ in fn.next_functions if next_fn is not None)
    return names


EXPRESSIONS = [
    pytest.param(lambda L, a, b, w, c: a * b + c.sum(), id="a*b+c"),
    pytest.param(lambda L, a, b, w, c: (lambda e: e + e * e)(a * b), id="shared"),
    pytest.param(lambda L, a, b, w, c: L.max(a, dim=0), id="max-dim"),
    pytest.param(lambda L, a, b, w, c: L.nn.functional.mse_loss(
        L.relu(a @ w.t() + c), L.zeros(3, 5)), id="mlp-mse"),
    pytest.param(lambda L, a, b, w, c: L.softmax(a, dim=1).log().mean(), id="softmax-log"),
    pytest.param(lambda L, a, b, w, c: (a * 2)[1:].reshape(-1).pow(2).sum(), id="views"),
    pytest.param(lambda L, a, b, w, c: (L.tanh(a) * b.exp() / (1 + a.sigmoid())).sum(),
                 id="pointwise"),
    pytest.param(lambda L, a, b, w, c: L.cat([a, b], 0).std(), id="cat-std"),
    pytest.param(lambda L, a, b, w, c: L.nn.functional.cross_entropy(
        a @ w.t(), L.tensor([0, 1, 2])), id="cross-entropy"),
    pytest.param(lambda L, a, b, w, c: L.nn.functional.cross_entropy(
        a @ w.t(), L.tensor([0, 1, 2]), label_smoothing=0.1), id="cross-entropy-smoothed"),
]

# torchlet fuses two of torch's nodes into one on purpose (design.md: fused primitives where
# faster): F.linear folds the weight's transpose into AddmmBackward0 (no TBackward0).
# (cross_entropy records torch's two nodes, NllLossBackward0 over LogSoftmaxBackward0.)
FUSED = [
    pytest.param(lambda L, a, b, w, c: L.nn.functional.linear(a, w, c), "TBackward0",
                 id="linear"),
]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_node_names_match_torch(expression):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(shape) for shape in ((3, 4), (3, 4), (5, 4), (5,))]
    results = []
    for lib in (torch, torchlet):
        tensors = [lib.tensor(v, requires_grad=True) for v in values]
        out = expression(lib, *tensors)
        results.append(tuple(out) if isinstance(out, tuple) else (out,))
    expected = _names_in_torch_graph(results[0])
    assert Counter(nodes(make_dot(results[1]))) == expected


@pytest.mark.parametrize(("expression", "fused_away"), FUSED)
def test_fused_nodes_are_the_only_difference(expression, fused_away):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(shape) for shape in ((3, 4), (3, 4), (5, 4), (5,))]
    outputs = [expression(lib, *[lib.tensor(v, requires_grad=True) for v in values])
               for lib in (torch, torchlet)]
    expected = _names_in_torch_graph([outputs[0]])
    assert expected[fused_away] == 1
    del expected[fused_away]
    assert Counter(nodes(make_dot(outputs[1]))) == expected


# ---------------------------------------------------------------------------------------
# Pictures


@pytest.fixture
def without_graphviz(monkeypatch):
    """Make the dot program invisible, so that matplotlib draws."""
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)


def _small_mlp_loss():
    torchlet.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    loss = nn.functional.cross_entropy(model(torchlet.randn(2, 4)), torchlet.tensor([0, 2]))
    return loss, dict(model.named_parameters())


def test_render_png_with_matplotlib(tmp_path, without_graphviz):
    pytest.importorskip("matplotlib")
    loss, params = _small_mlp_loss()
    graph = make_dot(loss, params=params, show_saved=True)
    path = graph.render("graph", directory=str(tmp_path), format="png")
    assert path == str(tmp_path / "graph.png")
    picture = (tmp_path / "graph.png").read_bytes()
    assert picture.startswith(PNG_SIGNATURE) and len(picture) > 10_000
    assert (tmp_path / "graph").read_text() == graph.source  # the DOT text, as graphviz does
    # cleanup removes the DOT file; the default format is png
    path = graph.render(str(tmp_path / "clean"), cleanup=True)
    assert path == str(tmp_path / "clean.png") and not (tmp_path / "clean").exists()
    assert (tmp_path / "clean.png").read_bytes().startswith(PNG_SIGNATURE)


def test_svg_for_notebooks_and_other_formats(tmp_path, without_graphviz):
    pytest.importorskip("matplotlib")
    a, b, c = leaves()
    graph = make_dot(a * b + c)
    svg = graph._repr_svg_()
    assert svg is not None and "<svg" in svg
    assert graph.pipe("pdf").startswith(b"%PDF")
    graph.format = "svg"
    assert graph.render(str(tmp_path / "g")).endswith("g.svg")
    with pytest.raises(ValueError, match="matplotlib cannot write format 'nope'"):
        graph.pipe("nope")


def test_save_writes_the_dot_text(tmp_path):
    a, b, c = leaves()
    graph = make_dot(a * b + c)
    path = graph.save("g.gv", directory=str(tmp_path / "sub"))
    assert path == str(tmp_path / "sub" / "g.gv")
    assert (tmp_path / "sub" / "g.gv").read_text() == graph.source


def test_layout_puts_every_arrow_downwards():
    loss, params = _small_mlp_loss()
    graph = make_dot(loss, params=params, show_saved=True)
    layers, bends = viz._layers(len(graph.boxes), graph.arrows)
    layer_of = {slot: i for i, layer in enumerate(layers) for slot in layer}
    assert sorted(s for s in layer_of if s < len(graph.boxes)) == list(range(len(graph.boxes)))
    for arrow, bend in zip(graph.arrows, bends):
        path = [arrow.tail, *bend, arrow.head]
        assert all(layer_of[upper] + 1 == layer_of[lower] for upper, lower in
                   zip(path, path[1:])), arrow
    assert layer_of[0] == len(layers) - 1  # the output at the bottom


def test_render_with_graphviz_dot(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    loss, params = _small_mlp_loss()
    path = make_dot(loss, params=params).render(str(tmp_path / "graph"), format="png")
    assert open(path, "rb").read().startswith(PNG_SIGNATURE)
    with pytest.raises(RuntimeError, match="Graphviz's dot failed on format 'nope'"):
        make_dot(loss).pipe("nope")


def test_without_any_backend_the_error_says_what_to_install(tmp_path, monkeypatch,
                                                             without_graphviz):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    a, b, c = leaves()
    graph = make_dot(a * b + c)
    with pytest.raises(ModuleNotFoundError, match=r'pip install "torchlet\[train\]"'):
        graph.render(str(tmp_path / "graph"))
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    assert graph._repr_svg_() is None  # a notebook falls back to the text repr
    assert "digraph" in graph.source  # the DOT text needs nothing
