"""Draw the computation graph behind a result: Graphviz DOT, SVG/PNG files, or text.

    >>> from chainrule.value import Value
    >>> from chainrule import viz
    >>> a, b = Value(2.0), Value(3.0)
    >>> e = a * b + a
    >>> e.backward()
    >>> print(viz.to_text(e))
    #0 + data=8 grad=1
    |-- #1 * data=6 grad=1
    |   |-- #2 leaf data=2 grad=4
    |   `-- #3 leaf data=3 grad=2
    `-- #2 (shown above)

``to_dot`` gives Graphviz text, ``draw`` renders it to a file, ``show`` wraps a graph
so Jupyter displays it inline. Graphs of more than ``MAX_DRAWN_NODES`` values are
summarised instead (node counts per operation, depth), unless ``full=True``.

Rendering needs a Graphviz program: the system ``dot`` if it is on PATH, otherwise
``graphviz-pure`` from ``pip install "chainrule[viz]"``.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import sysconfig
from collections import Counter
from pathlib import Path

import numpy as np

from ._core.graph import LeafNode
from .tensor import Tensor
from .value import Value

__all__ = ["MAX_DRAWN_NODES", "GraphImage", "draw", "show", "summary", "to_dot", "to_text"]

MAX_DRAWN_NODES = 200
"""Graphs larger than this are summarised rather than drawn, unless ``full=True``."""

_FORMATS = {".svg": "svg", ".png": "png"}
_INSTALL_HINT = (
    'drawing a graph needs Graphviz: pip install "chainrule[viz]" '
    "(or install Graphviz so that its `dot` program is on PATH)"
)


# -- the adapter: any graph as indexed nodes with labels, and edges -------------------


def _graph_nodes(root: object) -> tuple[list[dict[str, str]], list[tuple[int, int]]]:
    """The graph behind ``root`` as ``(nodes, edges)``.

    ``nodes[i]`` is a label dict of strings with keys ``"op"`` (``""`` for a leaf),
    ``"data"`` and ``"grad"``; node 0 is ``root``. ``edges`` holds ``(operand,
    result)`` index pairs, in each result's operand order, one per use (so ``a + a``
    gives two edges).
    """
    if isinstance(root, Value):
        return _walk(root, lambda value: value.parents, _value_label)
    if isinstance(root, Tensor):
        if root._node is None:
            return [_array_label("", root.numpy(), root.grad)], []
        nodes, edges = _walk(root._node, _node_operands, _node_label)
        nodes[0]["data"] = _array_text(root.numpy())
        return nodes, edges
    raise TypeError(
        f"cannot draw the graph behind a {type(root).__name__}: pass a chainrule Value "
        f"or Tensor"
    )


def _node_operands(node) -> list:
    return [parent for parent in node.parents if parent is not None]


def _node_label(node) -> dict[str, str]:
    tensor = node.tensor_ref() if isinstance(node, LeafNode) and node.tensor_ref else None
    if tensor is not None:
        return _array_label("", tensor.numpy(), tensor.grad)
    op = "" if isinstance(node, LeafNode) else node.name
    data = _array_text(node.ans) if node.ans is not None else f"shape {node.shape}"
    return {"op": op, "data": data, "grad": ""}


def _array_label(op: str, value, grad) -> dict[str, str]:
    return {"op": op, "data": _array_text(value),
            "grad": "" if grad is None else _array_text(grad.numpy())}


def _array_text(value) -> str:
    value = np.asarray(value)
    if value.size == 1:
        return _number(float(value.real.ravel()[0]))
    return f"{value.dtype} {value.shape}"


def _walk(root, operands_of, label_of):
    """Number every node reachable from ``root`` through ``operands_of``, iteratively."""
    index = {id(root): 0}
    reached = [root]
    edges = []
    stack = [root]
    while stack:
        node = stack.pop()
        for operand in operands_of(node):
            if id(operand) not in index:
                index[id(operand)] = len(reached)
                reached.append(operand)
                stack.append(operand)
            edges.append((index[id(operand)], index[id(node)]))
    return [label_of(node) for node in reached], edges


def _value_label(value: Value) -> dict[str, str]:
    return {"op": value.op, "data": _number(value.data), "grad": _number(value.grad)}


def _number(x: float) -> str:
    return f"{x:.4g}"


def _operands_by_node(node_count: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    operands = [[] for _ in range(node_count)]
    for operand, result in edges:
        operands[result].append(operand)
    return operands


# -- summary of big graphs ------------------------------------------------------------


def summary(root: object) -> str:
    """A few lines describing the graph: size, root, depth and nodes per operation."""
    nodes, edges = _graph_nodes(root)
    return _summary_text(nodes, edges)


def _summary_text(nodes, edges) -> str:
    counts = Counter(node["op"] or "leaf" for node in nodes)
    width = max(len(op) for op in counts)
    lines = [
        f"graph of {len(nodes)} values, {len(edges)} edges",
        f"root: {_describe(nodes[0])}",
        f"depth: {_depth(len(nodes), edges)} operations on the longest path to the root",
        "values per operation:",
        *(f"  {op:<{width}}  {count}" for op, count in counts.most_common()),
    ]
    return "\n".join(lines)


def _depth(node_count: int, edges: list[tuple[int, int]]) -> int:
    """Edges on the longest path from the root (node 0) down to a leaf."""
    operands = _operands_by_node(node_count, edges)
    waiting = [0] * node_count  # uses of each node by results not yet visited
    for operand, _ in edges:
        waiting[operand] += 1
    distance = [0] * node_count
    ready = [0]
    while ready:
        node = ready.pop()
        for operand in operands[node]:
            distance[operand] = max(distance[operand], distance[node] + 1)
            waiting[operand] -= 1
            if not waiting[operand]:
                ready.append(operand)
    return max(distance)


def _describe(label: dict[str, str]) -> str:
    return f"{label['op'] or 'leaf'} data={label['data']} grad={label['grad']}"


def _too_big_note(nodes) -> str:
    return (
        f"{len(nodes)} values is more than {MAX_DRAWN_NODES}, too many to draw readably; "
        "pass full=True to draw every one"
    )


# -- text -----------------------------------------------------------------------------


def to_text(root: object, full: bool = False) -> str:
    """An indented tree of the graph behind ``root``, for the terminal.

    A value used more than once is printed in full the first time and as
    ``#n (shown above)`` afterwards. Graphs of more than ``MAX_DRAWN_NODES`` values
    give ``summary(root)`` instead, unless ``full=True``.
    """
    nodes, edges = _graph_nodes(root)
    if len(nodes) > MAX_DRAWN_NODES and not full:
        return _summary_text(nodes, edges) + "\n(" + _too_big_note(nodes) + ")"
    operands = _operands_by_node(len(nodes), edges)
    number = {}  # node index -> number shown, in print order
    lines = []
    stack = [(0, "", "")]  # (node, prefix of this line, prefix of its operands' lines)
    while stack:
        node, line_prefix, child_prefix = stack.pop()
        if node in number:
            lines.append(f"{line_prefix}#{number[node]} (shown above)")
            continue
        number[node] = len(number)
        lines.append(f"{line_prefix}#{number[node]} {_describe(nodes[node])}")
        children = operands[node]
        for position in reversed(range(len(children))):
            last = position == len(children) - 1
            stack.append((
                children[position],
                child_prefix + ("`-- " if last else "|-- "),
                child_prefix + ("    " if last else "|   "),
            ))
    return "\n".join(lines)


# -- DOT ------------------------------------------------------------------------------


def to_dot(root: object, full: bool = False) -> str:
    """Graphviz DOT text for the graph behind ``root``.

    Each value is a record node showing its operation, data and grad; each operation
    is a small ellipse between its operands and its result, as in micrograd's
    ``draw_dot``. Graphs of more than ``MAX_DRAWN_NODES`` values become a single
    note with ``summary(root)``, unless ``full=True``.
    """
    nodes, edges = _graph_nodes(root)
    if len(nodes) > MAX_DRAWN_NODES and not full:
        note = _summary_text(nodes, edges) + "\n" + _too_big_note(nodes)
        return _digraph([f'  summary [shape=note, label="{_left_justified(note)}"];'])
    lines = []
    for i, label in enumerate(nodes):
        fields = [label["op"] or "leaf", f"data {label['data']}", f"grad {label['grad']}"]
        record = " | ".join(_escape_record(field) for field in fields)
        lines.append(f'  v{i} [shape=record, label="{{ {record} }}"];')
        if label["op"]:
            lines.append(f'  v{i}_op [label="{_escape_string(label["op"])}"];')
            lines.append(f"  v{i}_op -> v{i};")
    lines.extend(f"  v{operand} -> v{result}_op;" for operand, result in edges)
    return _digraph(lines)


def _digraph(body: list[str]) -> str:
    header = ["digraph chainrule {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    return "\n".join([*header, *body, "}"]) + "\n"


def _escape_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _escape_record(text: str) -> str:
    # These characters structure a record label, so they must be escaped inside one.
    for special in "\\{}|<>\"":
        text = text.replace(special, "\\" + special)
    return text


def _left_justified(text: str) -> str:
    return "".join(_escape_string(line) + "\\l" for line in text.splitlines())


# -- rendering ------------------------------------------------------------------------


def draw(root: object, path: str | Path, full: bool = False) -> Path:
    """Render the graph behind ``root`` to ``path``; ``.svg`` or ``.png`` picks the format.

    Uses Graphviz's ``dot`` when it is on PATH, else ``graphviz-pure`` (from
    ``pip install "chainrule[viz]"``); raises RuntimeError saying so when neither is
    found. Returns the path written.
    """
    path = Path(path)
    output_format = _FORMATS.get(path.suffix.lower())
    if output_format is None:
        raise ValueError(
            f"cannot tell the image format from {path.name!r}: end the path in "
            f"{' or '.join(_FORMATS)}"
        )
    path.write_bytes(_render(to_dot(root, full=full), output_format))
    return path


def _render(dot: str, output_format: str) -> bytes:
    program = _graphviz_program()
    finished = subprocess.run(
        [program, f"-T{output_format}"],
        input=dot.encode(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(
            f"{program} failed to render the graph: {finished.stderr.decode().strip()}"
        )
    return finished.stdout


def _graphviz_program() -> str:
    """The system ``dot``, else the ``graphviz-pure`` executable installed by pip."""
    found = shutil.which("dot") or shutil.which("graphviz-pure")
    if found:
        return found
    # pip may put scripts in a directory that is not on PATH (e.g. an unactivated venv).
    for scripts in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        found = shutil.which("graphviz-pure", path=scripts)
        if found:
            return found
    raise RuntimeError(_INSTALL_HINT)


class GraphImage:
    """A graph that Jupyter displays inline as SVG (falls back to text elsewhere).

    Made by ``show(root)``; ``str()`` of it is the text tree. Without Graphviz,
    Jupyter shows the text tree with a note on how to get the picture.
    """

    def __init__(self, root: object, full: bool = False) -> None:
        self.dot = to_dot(root, full=full)
        self.text = to_text(root, full=full)
        self._svg: str | None = None
        self._rendered = False

    def _repr_svg_(self) -> str | None:
        if not self._rendered:  # render once, however often the notebook asks
            self._rendered = True
            try:
                self._svg = _render(self.dot, "svg").decode()
            except (RuntimeError, OSError, subprocess.TimeoutExpired):
                self._svg = None  # Jupyter then shows the HTML or text form
        return self._svg

    def _repr_html_(self) -> str:
        svg = self._repr_svg_()
        if svg is None:
            return (f"<pre>{html.escape(self.text)}</pre>"
                    f"<p><small>{html.escape(_INSTALL_HINT)} to see it as a picture</small></p>")
        # The XML prologue is only valid at the start of a file, not inside HTML.
        return re.sub(r"<\?xml.*?\?>|<!DOCTYPE.*?>", "", svg, flags=re.S).strip()

    def __repr__(self) -> str:
        return self.text


def show(root: object, full: bool = False) -> GraphImage:
    """Wrap the graph behind ``root`` so a Jupyter cell displays it as a picture."""
    return GraphImage(root, full=full)
