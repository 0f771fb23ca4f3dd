"""Pictures of the computation graph: ``make_dot``, as the torchviz package draws them.

PyTorch has no renderer of its own; learners use torchviz. The same code runs here with
only the import changed::

    from torchlet.utils.viz import make_dot
    make_dot(loss, params=dict(model.named_parameters())).render("graph", format="png")

``make_dot`` walks backwards from a tensor's ``grad_fn`` along ``next_functions``, each
node once, and returns a ``Digraph``: boxes and arrows, their text in Graphviz's DOT
language (``.source``), and ``.render`` / ``.save`` / ``.pipe`` to turn them into files.
Arrows point from inputs towards the output, the way the forward pass ran. The boxes
have torchviz's colours:

* light grey: a backward node, labelled with its name (``MulBackward0``, ``AccumulateGrad``);
* light blue: a leaf tensor that requires grad (whose ``.grad`` backward fills), labelled
  with its name from ``params`` and its shape;
* dark olive green 1: a tensor passed to ``make_dot`` (the output), with its shape;
  dark olive green 3, joined by a dotted line: the base of an output that is a view;
* orange: a tensor saved for backward. Custom ``autograd.Function`` nodes always show
  theirs; built-in nodes with ``show_saved=True``.

Where torchlet differs from torchviz, because its nodes are not torch's C++ nodes:
saved tensors get boxes of their own (``saved[i]``, or the parameter's name) rather than
torch's attribute names (``self``, ``other``); ``show_attrs`` lists the public attributes a
node keeps for backward (``dim``, ``keepdim``, ...) rather than torch's ``_saved_*``
attributes (which nodes do have: autograd/_saved_names.py); node ids in the DOT text
count boxes in the order the walk meets them instead of being memory addresses, so the
text is the same on every run.

Drawing uses Graphviz's ``dot`` program when it is on the PATH (the ``graphviz`` Python
package is not needed: it only runs that program). Otherwise matplotlib draws the same
boxes with a small layered layout (see ``_layers``). torchviz's ``make_dot_from_trace``
(for JIT traces) is left out: torchlet has no JIT.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from torchlet._tensor import Tensor
from torchlet.autograd.function import FREED, AccumulateGrad, BackwardCFunction

__all__ = ["make_dot", "Digraph"]

INSTALL_HINT = (
    'drawing a graph needs matplotlib (pip install "torchlet[train]", or pip install '
    "matplotlib) or Graphviz's dot program (https://graphviz.org/download/)"
)

# torchviz's Graphviz colours by kind of box; matplotlib does not know the X11 names
# darkolivegreen1/3, hence the hex values it draws with.
FILL = {
    "node": ("lightgrey", "#d3d3d3"),  # Graphviz's fill when style=filled names no colour
    "leaf": ("lightblue", "#add8e6"),
    "output": ("darkolivegreen1", "#caff70"),
    "base": ("darkolivegreen3", "#a2cd5a"),
    "saved": ("orange", "#ffa500"),
}
NODE_ATTR = (
    "align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box style=filled"
)


class Box(NamedTuple):
    label: str
    kind: str  # a key of FILL


class Arrow(NamedTuple):
    tail: int  # index into Digraph.boxes
    head: int
    kind: str  # "flow" (an arrow), "saved" (a plain line), "view" (dotted, base to view)


# ---------------------------------------------------------------------------------------
# The walk


def make_dot(
    var: Any,
    params: Mapping[str, Tensor] | None = None,
    show_attrs: bool = False,
    show_saved: bool = False,
    max_attr_chars: int = 50,
) -> Digraph:
    """The backward graph of ``var`` (a tensor, or a tuple/list of tensors) as a Digraph.

    ``params`` maps names to tensors (``dict(model.named_parameters())``) to label leaves;
    ``show_attrs`` adds each node's non-tensor attributes (values cut at
    ``max_attr_chars``); ``show_saved`` adds the tensors built-in nodes saved for backward.
    """
    names: dict[int, str] = {}
    for name, value in (params or {}).items():
        if not isinstance(value, Tensor):
            raise TypeError(
                f"make_dot: params must map names to tensors, but {name!r} is a "
                f"{type(value).__name__}"
            )
        names[id(value)] = name
    outputs = var if isinstance(var, (tuple, list)) else (var,)
    for out in outputs:
        if not isinstance(out, Tensor):
            raise TypeError(
                f"make_dot: expected a tensor or a tuple/list of tensors, got "
                f"{type(out).__name__}"
            )
    walk = _Walk(names, show_attrs, show_saved, max_attr_chars)
    for out in outputs:
        walk.add_output(out, "output")
    return walk.digraph()


class _Walk:
    """Collects boxes (each object once) and arrows while walking the graph."""

    def __init__(self, names: dict[int, str], show_attrs: bool, show_saved: bool,
                 max_attr_chars: int):
        self.names = names
        self.show_attrs, self.show_saved = show_attrs, show_saved
        self.max_attr_chars = max_attr_chars
        self.boxes: list[Box] = []
        self.index: dict[Any, int] = {}  # key of an object -> its box
        self.arrows: list[tuple[Any, Any, str]] = []  # (tail key, head key, kind)
        # Keys are id()s; holding the objects keeps every id unique while we walk (saved
        # outputs, for one, are rebuilt as new Tensors on each access).
        self.alive: list[object] = []

    def add_box(self, key, obj, label: str, kind: str) -> None:
        self.index[key] = len(self.boxes)
        self.boxes.append(Box(label, kind))
        self.alive.append(obj)

    def tensor_label(self, tensor: Tensor, name: str = "") -> str:
        name = self.names.get(id(tensor), name)
        return f"{name}\n ({', '.join(str(int(s)) for s in tensor.shape)})"

    def add_output(self, var: Tensor, kind: str) -> None:
        if id(var) in self.index:
            return
        self.add_box(id(var), var, self.tensor_label(var), kind)
        if var.grad_fn is not None:
            self.add_nodes(var.grad_fn)
            self.arrows.append((id(var.grad_fn), id(var), "flow"))
        base = var._base
        if base is not None:  # torchlet's bases are never views themselves: one level
            self.add_output(base, "base")
            self.arrows.append((id(base), id(var), "view"))

    def add_nodes(self, root) -> None:
        """Each node reachable from ``root`` once, in the order a recursive walk would
        meet them (first input first), with an explicit stack instead of recursion."""
        stack = [root]
        while stack:
            fn = stack.pop()
            if id(fn) in self.index:
                continue
            self.add_box(id(fn), fn, _node_label(fn, self.show_attrs, self.max_attr_chars),
                         "node")
            if isinstance(fn, AccumulateGrad):
                leaf = fn.variable
                if leaf is not None and id(leaf) not in self.index:
                    self.add_box(id(leaf), leaf, self.tensor_label(leaf), "leaf")
                if leaf is not None:
                    self.arrows.append((id(leaf), id(fn), "flow"))
            if self.show_saved or isinstance(fn, BackwardCFunction):
                self.add_saved(fn)
            inputs = [edge[0] for edge in fn.next_functions if edge[0] is not None]
            for node in inputs:
                self.arrows.append((id(node), id(fn), "flow"))
            stack.extend(node for node in reversed(inputs) if id(node) not in self.index)

    def add_saved(self, fn) -> None:
        for i, tensor in enumerate(_saved_tensors(fn)):
            key = ("saved", id(tensor))
            if key not in self.index:
                self.add_box(key, tensor, self.tensor_label(tensor, f"saved[{i}]"), "saved")
            self.arrows.append((id(fn), key, "saved"))

    def digraph(self) -> Digraph:
        arrows = [Arrow(self.index[t], self.index[h], kind) for t, h, kind in self.arrows]
        return Digraph(self.boxes, arrows)


def _node_label(fn, show_attrs: bool, max_attr_chars: int) -> str:
    """The node's name; with show_attrs, a table of its attributes (torchviz's layout)."""
    name = fn.name().rsplit("::", 1)[-1]  # torch::autograd::AccumulateGrad -> AccumulateGrad
    if not show_attrs:
        return name
    attrs = {}
    for attr, value in sorted(vars(fn).items()):
        if attr.startswith("_") or callable(value):
            continue
        if attr == "given" or attr.startswith("given_"):
            continue  # arguments as the caller gave them, kept only for grad_fn._saved_*
        if isinstance(value, (Tensor, np.ndarray)):  # a primitive keeps NumPy arrays
            attrs[attr] = "[saved tensor]"
        elif isinstance(value, tuple) and any(isinstance(v, (Tensor, np.ndarray))
                                              for v in value):
            attrs[attr] = "[saved tensors]"
        else:
            attrs[attr] = str(value)
    if not attrs:
        return name
    max_attr_chars = max(max_attr_chars, 3)
    key_width = max(len(k) for k in attrs)
    value_width = min(max(len(v) for v in attrs.values()), max_attr_chars)
    rule = "-" * max(key_width + value_width + 2, len(name))
    rows = [f"{k:<{key_width}}: {_cut(v, value_width):>{value_width}}" for k, v in attrs.items()]
    return "\n".join([name, rule, *rows])


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _saved_tensors(fn) -> tuple:
    """The tensors ``fn`` saved for backward; none once backward has freed them."""
    if not hasattr(type(fn), "saved_tensors") or fn._saved is None or fn._saved is FREED:
        return ()
    try:
        saved = fn.saved_tensors
    except RuntimeError:  # modified in place since: backward would fail, the picture need not
        return ()
    return tuple(t for t in saved if isinstance(t, Tensor))


# ---------------------------------------------------------------------------------------
# What make_dot returns


class Digraph:
    """Boxes and arrows of a backward graph; ``source`` is their DOT text.

    Used as torchviz's result (a ``graphviz.Digraph``) is used: ``render``, ``save``,
    ``pipe``, ``source``, ``format``, ``graph_attr``, and an SVG picture in notebooks.
    """

    def __init__(self, boxes: list[Box], arrows: list[Arrow]):
        self.boxes = boxes
        self.arrows = arrows
        self.format = "png"  # what render() and pipe() write when no format is given
        # torchviz's resize_graph: about 0.15 inch per statement, at least 12 inches
        size = max(12, (len(boxes) + len(arrows)) * 0.15)
        self.graph_attr: dict[str, str] = {"size": f"{size},{size}"}

    @property
    def source(self) -> str:
        lines = ["digraph {"]
        if self.graph_attr:
            lines.append(f"\tgraph [{_attr_list(self.graph_attr)}]")
        lines.append(f"\tnode [{NODE_ATTR}]")
        for i, box in enumerate(self.boxes):
            fill = "" if box.kind == "node" else f" fillcolor={FILL[box.kind][0]}"
            lines.append(f"\t{i} [label={_quote(box.label)}{fill}]")
        style = {"flow": "", "saved": " [dir=none]", "view": " [style=dotted]"}
        for arrow in self.arrows:
            lines.append(f"\t{arrow.tail} -> {arrow.head}{style[arrow.kind]}")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<Digraph: {len(self.boxes)} boxes, {len(self.arrows)} arrows>"

    def save(self, filename: str | None = None, directory: str | None = None) -> str:
        """Write the DOT text to ``directory/filename`` (default Digraph.gv); its path."""
        path = os.path.join(directory or "", filename or "Digraph.gv")
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as file:
            file.write(self.source)
        return path

    def pipe(self, format: str | None = None) -> bytes:
        """The picture as bytes of the given file format (png, svg, pdf, ...)."""
        format = format or self.format
        dot = shutil.which("dot")
        if dot is not None:
            return _run_dot(dot, self.source, format)
        return _draw_with_matplotlib(self.boxes, self.arrows, format)

    def render(
        self,
        filename: str | None = None,
        directory: str | None = None,
        format: str | None = None,
        cleanup: bool = False,
        view: bool = False,
    ) -> str:
        """Save the DOT text as ``filename``, draw it into ``filename.<format>`` and return
        that path, as graphviz does (``cleanup`` deletes the DOT file afterwards, ``view``
        opens the picture)."""
        format = format or self.format
        picture = self.pipe(format)  # first, so that a missing backend writes nothing
        source_path = self.save(filename, directory)
        path = f"{source_path}.{format}"
        with open(path, "wb") as file:
            file.write(picture)
        if cleanup:
            os.remove(source_path)
        if view:
            _open_in_viewer(path)
        return path

    def _repr_svg_(self) -> str | None:
        """Jupyter shows this picture; None (plain repr) when nothing can draw it."""
        try:
            return self.pipe("svg").decode("utf-8")
        except ImportError:
            return None


def _quote(text: str) -> str:
    """A DOT string literal; line breaks become \\n (centred, as Graphviz draws them)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _attr_list(attrs: Mapping[str, str]) -> str:
    return " ".join(f"{k}={_quote(str(v))}" for k, v in attrs.items())


def _run_dot(dot: str, source: str, format: str) -> bytes:
    result = subprocess.run([dot, f"-T{format}"], input=source.encode("utf-8"),
                            capture_output=True)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"Graphviz's dot failed on format {format!r}: {message}")
    return result.stdout


def _open_in_viewer(path: str) -> None:
    if sys.platform == "win32":
        os.startfile(path)  # noqa: S606 (the user asked for view=True)
    elif sys.platform == "darwin":
        subprocess.Popen(["open", path])
    else:
        subprocess.Popen(["xdg-open", path])


# ---------------------------------------------------------------------------------------
# Drawing without Graphviz: a layered layout, drawn with matplotlib


def _layers(n: int, arrows: list[Arrow], sweeps: int = 4):
    """Where matplotlib draws each box: layers of slots, top (inputs) first, each layer
    in order left to right; and for each arrow, the slots it bends through.

    Slots 0..n-1 are the boxes. A box's layer is its longest distance (in arrows) to an
    output, so every arrow points down and every box sits just above the first box that
    uses it. An arrow that spans several layers gets an empty slot in each layer between,
    so that it goes around boxes, not through them. Within a layer, slots are ordered by
    the barycentre (mean position) of their neighbours in the layer just placed, sweeping
    down then up a few times: fewer arrows cross.
    """
    below: list[list[int]] = [[] for _ in range(n)]
    above: list[list[int]] = [[] for _ in range(n)]
    saved_by: list[list[int]] = [[] for _ in range(n)]  # a saved tensor's box: who saved it
    for arrow in arrows:
        if arrow.kind == "saved":
            saved_by[arrow.head].append(arrow.tail)
        else:
            below[arrow.tail].append(arrow.head)
            above[arrow.head].append(arrow.tail)

    # Heads before tails (outputs first), by Kahn's algorithm on the reversed arrows.
    waiting = [len(below[i]) for i in range(n)]
    order = [i for i in range(n) if waiting[i] == 0]
    for box in order:  # the list grows while we read it
        for tail in above[box]:
            waiting[tail] -= 1
            if waiting[tail] == 0:
                order.append(tail)
    depth = [0] * n
    for box in order:
        depth[box] = max((depth[h] + 1 for h in below[box]), default=0)
    for box in range(n):
        if saved_by[box]:  # hangs just under the highest node that saved it
            depth[box] = max(0, min(depth[node] for node in saved_by[box]) - 1)

    # Arrows as chains of slots, one per layer; the new slots are empty.
    up: list[list[int]] = [[] for _ in range(n)]
    down: list[list[int]] = [[] for _ in range(n)]
    bends = []
    for arrow in arrows:
        chain = []
        for level in range(depth[arrow.tail] - 1, depth[arrow.head], -1):
            chain.append(len(depth))
            depth.append(level)
            up.append([])
            down.append([])
        bends.append(chain)
        path = [arrow.tail, *chain, arrow.head]
        for upper, lower in zip(path, path[1:]):
            down[upper].append(lower)
            up[lower].append(upper)

    layers: list[list[int]] = [[] for _ in range(max(depth, default=0) + 1)]
    for slot, level in enumerate(depth):
        layers[level].append(slot)
    layers.reverse()

    position = [0.0] * len(depth)

    def place(layer: list[int]) -> None:
        for i, slot in enumerate(layer):
            position[slot] = i - (len(layer) - 1) / 2

    for layer in layers:
        place(layer)
    for sweep in range(sweeps):
        downwards = sweep % 2 == 0
        neighbours = up if downwards else down
        for layer in layers if downwards else reversed(layers):
            barycentre = {}
            for slot in layer:
                near = neighbours[slot]
                barycentre[slot] = (sum(position[s] for s in near) / len(near) if near
                                    else position[slot])
            layer.sort(key=barycentre.__getitem__)
            place(layer)
    return layers, bends


def _draw_with_matplotlib(boxes: list[Box], arrows: list[Arrow], format: str) -> bytes:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyBboxPatch
    except ImportError:
        raise ModuleNotFoundError(INSTALL_HINT, name="matplotlib") from None

    font = 10.0  # points, as torchviz's fontsize
    char, line, pad, gap_x, gap_y = 0.6 * font / 72, 1.2 * font / 72, 0.06, 0.2, 0.35
    layers, bends = _layers(len(boxes), arrows)
    sizes = [(0.05, 0.0)] * sum(len(layer) for layer in layers)  # an arrow's bend: no box
    for i, box in enumerate(boxes):
        rows = box.label.split("\n")
        sizes[i] = (max(len(r) for r in rows) * char + 2 * pad, len(rows) * line + 2 * pad)

    # Coordinates in inches; the output layer at the bottom, y growing upwards.
    centre = [(0.0, 0.0)] * len(sizes)
    y, width = 0.0, 0.0
    for layer in reversed(layers):
        height = max(sizes[s][1] for s in layer)
        row_width = sum(sizes[s][0] for s in layer) + gap_x * (len(layer) - 1)
        x = -row_width / 2
        for s in layer:
            centre[s] = (x + sizes[s][0] / 2, y + height / 2)
            x += sizes[s][0] + gap_x
        y += height + gap_y
        width = max(width, row_width)
    width, height = width + 2 * gap_x, y + gap_y

    figure = Figure(figsize=(width, height))
    supported = FigureCanvasAgg(figure).get_supported_filetypes()
    if format not in supported:
        raise ValueError(
            f"matplotlib cannot write format {format!r}; use one of {', '.join(sorted(supported))}"
        )
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_xlim(-width / 2, width / 2)
    axes.set_ylim(-gap_y, height - gap_y)
    axes.axis("off")
    for arrow, bend in zip(arrows, bends):
        (xt, yt), (xh, yh) = centre[arrow.tail], centre[arrow.head]
        points = [(xt, yt - sizes[arrow.tail][1] / 2), *(centre[s] for s in bend),
                  (xh, yh + sizes[arrow.head][1] / 2)]
        style = ":" if arrow.kind == "view" else "-"
        if len(points) > 2:  # the line through the bends, the arrow on its last part
            xs, ys = zip(*points[:-1])
            axes.plot(xs, ys, color="black", lw=0.8, linestyle=style, zorder=1)
        axes.annotate(
            "", xy=points[-1], xytext=points[-2],
            arrowprops={
                "arrowstyle": "-" if arrow.kind == "saved" else "-|>", "linestyle": style,
                "color": "black", "lw": 0.8, "shrinkA": 0, "shrinkB": 0,
            },
            zorder=1,
        )
    for box, (x, y), (w, h) in zip(boxes, centre, sizes):
        axes.add_patch(FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.05",
            facecolor=FILL[box.kind][1], edgecolor="black", linewidth=0.8, zorder=2,
        ))
        axes.text(x, y, box.label, ha="center", va="center", family="monospace",
                  fontsize=font, zorder=3)

    dpi = min(100.0, 60000 / max(width, height))  # Agg draws at most 2**16 pixels a side
    buffer = io.BytesIO()
    figure.savefig(buffer, format=format, dpi=dpi)
    return buffer.getvalue()
