"""Graphviz drawings of a computation graph: values, gradients, and the passes step by step.

Every number drawn is read from the nodes (``data``, ``grad``, ``local_grads``); the backward
frames come from the engine's own ``backward_walk``. graphviz is imported only when drawing.
Drawings are laid out by ``render`` (system ``dot``, else graphviz-pure); without either they still
build, a notebook shows them as the readable trace and ``save`` writes their DOT source.
"""
from __future__ import annotations

import html
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engine import Value, as_label, backward_walk, grads_kept, topological_order
from .files import check_output, check_output_dir, write_atomic
from .render import INSTALL_HINT, NoRenderer, render, trace_text
from .trace import ForwardStep, Step, check_root, fmt, forward_order, reading_order

if TYPE_CHECKING:
    import graphviz

CELL_WIDTH = 960  # CSS px: a notebook cell's output width at 1200 px (JupyterLab, nbconvert); drawings fit it
INLINE_MAX_NODES = 150  # a Value with more nodes shows as text in a notebook, not as a graph
LABEL_SHOWN = 40  # characters of a label a box shows (Graphviz refuses an HTML label over 16 KB)

# a palette that stays readable on a projector: dark text on light fills, red for gradients
_FONT = "Helvetica"  # one name: a list makes renderers without fontconfig fall back to Times metrics
_INK = "#1f1f1f"
_LEAF_FILL, _LEAF_EDGE = "#dbe9f7", "#2f5597"
_COMPUTED_FILL, _COMPUTED_EDGE = "#f3f3f3", "#595959"
_OP_FILL, _OP_EDGE = "#fff2cc", "#a07800"
_HIGHLIGHT_FILL, _HIGHLIGHT_EDGE = "#ffd54f", "#c62828"
_GRAD_INK, _LOCAL_INK, _CAPTION_INK = "#c62828", "#1565c0", "#333333"
_NUMBER_WIDTH = 72  # points: room for "-1.235e+04", so blank and filled cells are the same size

_OPTIONS = {"rankdir": "LR", "show_grad": True, "show_local_grads": False, "highlight": None, "max_nodes": 500,
            "digits": None}


def number(x: float, digits: int | None = None) -> str:
    """``x`` as a drawing shows it: ``digits`` decimals (``trace.fmt``), or None: 4 significant digits (0.7311, 2)."""
    if digits is not None:
        return fmt(x, digits)
    return "0" if x == 0 else f"{x:.4g}"


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool | str = True,
    show_local_grads: bool = False,
    highlight: Value | Iterable[Value] | None = None,
    max_nodes: int | None = 500,
    caption: str | None = None,
    style: str = "boxes",
    digits: int | None = None,
    layout: str | None = None,
    fit: str | None = None,
) -> Any:
    """The graph that computed ``root``: a box per Value (label | data | grad), a small node per op.

    ``show_grad``: True writes each ``.grad``, False drops the grad row, ``"blank"`` keeps the
    row with its cells empty (a worksheet to fill in). ``show_local_grads`` writes each local
    derivative on its edge; ``highlight`` colours the given Values; ``caption`` is a title over
    the drawing. Graphs of more than ``max_nodes`` Values are refused (``None``: no limit).

    ``style="slide"`` (gates as circles, each wire's value above it and gradient below) or a
    ``fit`` ("16:9", "4:3", "a4", "letter") returns a ``frames.FrameSet`` picture laid out by
    ``frames`` (``layout`` "LR"/"TB", None: the better one; ``digits`` decimals, default 2).
    Otherwise a ``graphviz.Digraph`` of boxes, ``layout`` standing for ``rankdir`` and numbers to
    ``digits`` decimals (None: 4 significant digits, as this drawing has always shown them).
    """
    from .frames import check_options

    _check_show_grad(show_grad)
    order = _checked_order(root, max_nodes)
    check_options(style, layout, 2 if digits is None else digits, fit, "draw_dot")
    if style == "slide" or fit is not None:
        from .frames import picture

        lit = _as_set(highlight)
        drawn = picture(root, style, layout, 2 if digits is None else digits, fit, show_grad, show_local_grads,
                        caption or "")
        drawn.frames[0] = replace(drawn.frames[0], lit=frozenset(i for v in lit for i in drawn.ids_of(v)))
        return drawn
    grads = _grad_cells(show_grad, {v: v.grad for v in order})
    graph = _draw(order, layout or rankdir, grads, set(order), show_local_grads, _as_set(highlight), caption, {},
                  digits)
    graph.trace_root = root
    return graph


def step_frames(root: Value, **draw_options: Any) -> list[graphviz.Digraph]:
    """One drawing per backward step: the current node highlighted, the gradients known so far.

    Runs the engine's ``backward_walk`` lazily, one frame per node, and restores every ``.grad``
    afterwards, so drawing the frames does not accumulate gradients. ``draw_options`` are
    ``draw_dot``'s (the current node is added to ``highlight``).
    """
    options = _options("step_frames", draw_options)
    order = _checked_order(root, options["max_nodes"])
    known: dict[Value, float | None] = dict.fromkeys(order)
    frames: list[graphviz.Digraph] = []
    statements: dict[tuple[Any, ...], str] = {}
    with grads_kept(order):
        for i, (node, upstream) in enumerate(backward_walk(root), 1):
            known[node] = upstream
            step = Step.of(node, upstream, 2 if options["digits"] is None else options["digits"])
            caption = f"backward step {i}/{len(order)}:  {step}"
            frames.append(_draw(order, options["rankdir"], _grad_cells(options["show_grad"], known), set(order),
                                options["show_local_grads"], options["highlight"] | {node}, caption, statements,
                                options["digits"]))
            frames[-1].trace_root = root  # for show_steps(frames): the player of this graph
    return frames


def forward_frames(root: Value, **draw_options: Any) -> list[graphviz.Digraph]:
    """One drawing per forward step: the leaves' values first, then each op's result as it is computed."""
    options = _options("forward_frames", draw_options)
    order = _checked_order(root, options["max_nodes"])
    shown: set[Value] = set()
    frames: list[graphviz.Digraph] = []
    statements: dict[tuple[Any, ...], str] = {}
    for i, node in enumerate(forward_order(root), 1):
        shown.add(node)
        step = ForwardStep(node, node.inputs, node.data, 2 if options["digits"] is None else options["digits"])
        caption = f"forward step {i}/{len(order)}:  {step}"
        frames.append(_draw(order, options["rankdir"], None, shown, options["show_local_grads"],
                            options["highlight"] | {node}, caption, statements, options["digits"]))
        frames[-1].trace_root = root
    return frames


def save(graph: graphviz.Digraph, path: str | Path, formats: str | Sequence[str] = ("svg", "png")) -> list[Path]:
    """Write ``graph`` as ``path.svg``, ``path.png``, ... (a format suffix on ``path`` is dropped); return the paths.

    Without a renderer (see ``render``), writes ``path.dot`` instead and warns how to get one.
    """
    if not hasattr(graph, "source"):  # a frames.FrameSet picture: it writes itself (svg, png, pdf)
        return graph.save(path, (formats,) if isinstance(formats, str) else formats)
    import graphviz

    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    unknown = [f for f in formats if f not in graphviz.FORMATS]
    if unknown or not formats:
        raise ValueError(f"save: formats must be Graphviz output formats such as 'svg', 'png' or 'pdf', "
                         f"got {formats!r}")
    base = Path(path)
    if base.suffix[1:].lower() in graphviz.FORMATS:
        base = base.with_suffix("")
    check_output_dir(base.parent, "save")
    for suffix in (*formats, "dot"):  # every target checked before anything is rendered
        check_output(base.with_name(f"{base.name}.{suffix}"), "save")
    written = []
    try:
        for suffix in formats:
            written.append(_write(base.with_name(f"{base.name}.{suffix}"), _render(graph, suffix)))
    except NoRenderer as err:
        dot_path = _write(base.with_name(f"{base.name}.dot"), graph.source.encode("utf-8"))
        why = f" ({'; '.join(err.reasons)})" if err.reasons else ""  # e.g. graphviz-pure does not write pdf
        warnings.warn(f"Graphviz's dot program was not found{why}, so only {dot_path} was written; to get "
                      f"{', '.join(formats)}, {INSTALL_HINT}; or render it elsewhere: "
                      f"dot -T{formats[0]} {dot_path} -o {base.name}.{formats[0]}", RuntimeWarning, stacklevel=2)
        return [*written, dot_path]
    return written


def svg(graph: graphviz.Digraph) -> str | None:
    """``graph`` rendered as SVG text, or None when no renderer can run (see ``render``)."""
    try:
        return _render(graph, "svg").decode("utf-8")
    except NoRenderer:
        return None


def value_mimebundle(value: Value) -> dict[str, str]:
    """A Value's notebook display: its graph as SVG (slide style, fitted to the cell width) when small, else text."""
    text = repr(value)
    n = len(topological_order(value))
    if n > INLINE_MAX_NODES:
        return {"text/plain": f"{text}\n(a graph of {n} nodes, too large to draw inline; "
                              f"use draw_dot(value, max_nodes={n}) to draw it)"}
    from .frames import picture

    try:  # the slide picture in the layout that is more legible at a cell's width, never wider than the cell
        drawn = [picture(value, style="slide", layout=way) for way in ("LR", "TB")]
        best = max(drawn, key=lambda p: min(1.0, CELL_WIDTH / (p.layout.width * 4 / 3)))
        image: str | None = best.html(max_width=CELL_WIDTH)
    except NoRenderer:
        image = None
    if image is None:
        return {"text/plain": f"{text}\n(no drawing: Graphviz's dot program was not found; {INSTALL_HINT})\n"
                              f"{trace_text(value)}"}
    return {"text/plain": text, "image/svg+xml": image}


def show_steps(steps: Value | Sequence[Any], **player_options: Any) -> Any:
    """Step through a graph's passes in a notebook: the player page (``player.Player``) as HTML output.

    ``steps`` is the graph's root, or frames made from it (``step_frames(root)``, a frame set). The
    page is plain HTML with its own script, so it also works in exported HTML and nbviewer, where
    widget state is not saved. ``player_options`` are ``Player``'s (digits, style, ...).
    """
    from .player import Player

    if isinstance(steps, Value):
        return Player(steps, **player_options)
    root = getattr(steps, "root", None)
    if root is None:
        if not steps:
            raise ValueError("show_steps: expected a Value or at least one frame, got none")
        root = getattr(steps[0], "trace_root", None)
    if not isinstance(root, Value):
        raise TypeError(f"show_steps: expected a Value or the frames of one (step_frames(root)), got "
                        f"{type(steps).__name__} of {type(steps[0]).__name__}")
    return Player(root, **player_options)


# --- building the DOT graph ----------------------------------------------------------

def _options(where: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """``draw_dot``'s options with defaults filled in; an unknown name is a TypeError."""
    unknown = sorted(set(given) - set(_OPTIONS))
    if unknown:
        raise TypeError(f"{where}: unknown drawing option(s) {', '.join(unknown)}; "
                        f"expected some of {', '.join(_OPTIONS)}")
    options = {**_OPTIONS, **given}
    options["highlight"] = _as_set(options["highlight"])
    _check_show_grad(options["show_grad"])
    return options


def _check_show_grad(show_grad: object) -> None:
    """A ValueError unless ``show_grad`` is True, False or "blank"."""
    if not (isinstance(show_grad, bool) or show_grad == "blank"):
        raise ValueError(f"draw_dot: show_grad must be True, False or 'blank', got {show_grad!r}")


def _grad_cells(show_grad: bool | str, known: Mapping[Value, float | None]) -> Mapping[Value, float | None] | None:
    """The grad row to draw: the ``known`` grads (True), all blank ("blank"), or no row (False: None)."""
    if show_grad == "blank":
        return dict.fromkeys(known)
    return known if show_grad else None


def _as_set(highlight: Value | Iterable[Value] | None) -> set[Value]:
    """``highlight`` as a set of Values: None, one Value, or an iterable of Values."""
    if highlight is None:
        return set()
    items = [highlight] if isinstance(highlight, Value) else list(highlight)
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(f"draw_dot: highlight expects Values, got {type(item).__name__} {item!r}")
    return set(items)


def _checked_order(root: Value, max_nodes: int | None) -> list[Value]:
    """The nodes to draw, or a ValueError when there are more than ``max_nodes``."""
    order = reading_order(check_root(root, "draw_dot"))
    if max_nodes is not None and len(order) > max_nodes:
        raise ValueError(f"draw_dot: the graph has {len(order)} Values, more than max_nodes={max_nodes}; "
                         f"pass max_nodes={len(order)} (or None) to draw it anyway")
    return order


def _draw(
    order: list[Value],
    rankdir: str,
    grads: Mapping[Value, float | None] | None,
    shown: set[Value],
    show_local_grads: bool,
    highlight: set[Value],
    caption: str | None,
    statements: dict[tuple[Any, ...], str],
    digits: int | None = None,
) -> graphviz.Digraph:
    """The DOT graph of ``order``: data of ``shown`` nodes, ``grads`` (None entries blank).

    ``statements`` memoizes DOT lines across the frames of one pass, where most nodes look the
    same from frame to frame (graphviz's quoting would otherwise dominate the time).
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_dot: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    graph = _drawing_class()(
        graph_attr={"rankdir": rankdir, "bgcolor": "white", "pad": "0.3", "nodesep": "0.3", "ranksep": "0.4",
                    "fontname": _FONT, "fontsize": "22", "fontcolor": _CAPTION_INK},
        node_attr={"fontname": _FONT, "fontsize": "16", "fontcolor": _INK},
        edge_attr={"color": "#404040", "penwidth": "1.6", "arrowsize": "0.8",
                   "fontname": _FONT, "fontsize": "15", "fontcolor": _LOCAL_INK},
    )
    if caption:
        graph.attr(label=f"<{html.escape(caption)}>", labelloc="t", labeljust="l")
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    for v in order:
        grad = None if grads is None else grads[v]
        value = v.data if v in shown else None
        _add(graph, statements, "node", ids[v], _box(v, value, grad, grads is not None, v in highlight, digits),
             shape="plaintext", margin="0")
        if v.inputs:
            op_id = f"{ids[v]}_op"
            lit = v in highlight
            _add(graph, statements, "node", op_id, str(v.op), shape="ellipse", style="filled", margin="0.06,0.03",
                 width="0.5", height="0.4", fontsize="20", penwidth="2.5" if lit else "1.4",
                 fillcolor=_HIGHLIGHT_FILL if lit else _OP_FILL, color=_HIGHLIGHT_EDGE if lit else _OP_EDGE)
            edge_style = {"color": _HIGHLIGHT_EDGE, "penwidth": "3"} if lit else {}
            for inp, local in zip(v.inputs, v.local_grads):
                label = {"label": f" {number(local, digits)} "} if show_local_grads else {}
                _add(graph, statements, "edge", ids[inp], op_id, **label, **edge_style)
            _add(graph, statements, "edge", op_id, ids[v])
    return graph


def _add(graph: graphviz.Digraph, statements: dict[tuple[Any, ...], str], kind: str, *args: str, **attrs: str) -> None:
    """``graph.node(...)`` or ``graph.edge(...)``, reusing the DOT line when the same one was made before."""
    key = (kind, args, tuple(attrs.items()))
    line = statements.get(key)
    if line is None:
        getattr(graph, kind)(*args, **attrs)
        statements[key] = graph.body[-1]
    else:
        graph.body.append(line)


def _box(v: Value, data: float | None, grad: float | None, show_grad: bool, lit: bool,
         digits: int | None = None) -> str:
    """The HTML-like label of a Value's box: label over data over grad, blank where not known yet."""
    if lit:
        fill, edge, width = _HIGHLIGHT_FILL, _HIGHLIGHT_EDGE, 3
    elif v.inputs:
        fill, edge, width = _COMPUTED_FILL, _COMPUTED_EDGE, 1
    else:
        fill, edge, width = _LEAF_FILL, _LEAF_EDGE, 1
    rows = []
    if v.label:
        rows.append(f'<TR><TD COLSPAN="2"><B>{html.escape(_shown_label(v.label))}</B></TD></TR>')
    rows.append(_row("data", data, _INK, digits))
    if show_grad:
        rows.append(_row("grad", grad, _GRAD_INK, digits))
    return (f'<<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
            f'BGCOLOR="{fill}" COLOR="{edge}">{"<HR/>".join(rows)}</TABLE>>')


def _row(caption: str, x: float | None, ink: str, digits: int | None = None) -> str:
    """One line of a box: a small caption and the number (blank when not known yet)."""
    text = "" if x is None else f'<FONT COLOR="{ink}">{html.escape(number(x, digits))}</FONT>'
    return (f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="13" COLOR="#707070">{caption}</FONT></TD>'
            f'<TD ALIGN="RIGHT" WIDTH="{_NUMBER_WIDTH}">{text}</TD></TR>')


@cache
def _drawing_class() -> type:
    """A ``graphviz.Digraph`` whose notebook display falls back to its DOT source without ``dot``."""
    import graphviz

    class Drawing(graphviz.Digraph):
        """A Digraph that shows its DOT source, with a one-line warning, when ``dot`` is missing."""

        def __repr__(self) -> str:
            nodes = sum(1 for line in self.body if line.startswith("\tv") and "->" not in line)
            return f"<microgradnet drawing: {nodes} graph nodes>"

        trace_root: Value | None = None  # draw_dot's root: its trace is the text shown without a renderer

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
            try:
                return {"image/svg+xml": _render(self, "svg").decode("utf-8")}
            except NoRenderer:
                caption = self.graph_attr.get("label", "")[1:-1]
                text = trace_text(self.trace_root) if self.trace_root is not None else html.unescape(caption)
                return {"text/plain": f"(Graphviz's dot program was not found, showing the trace; "
                                      f"{INSTALL_HINT})\n{text}"}

    return Drawing


def _render(graph: graphviz.Digraph, fmt: str) -> bytes:
    """``graph`` rendered by ``dot`` in format ``fmt``; bitmaps at 150 dpi, sharp on a projector."""

    if fmt in ("png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp"):
        graph = graph.copy()
        graph.graph_attr["dpi"] = "150"
    return run_graphviz(graph.source, fmt)


def run_graphviz(source: str, fmt: str, engine: str = "dot") -> bytes:
    """DOT ``source`` laid out and rendered by Graphviz as ``fmt``: the one place pictures call Graphviz.

    ``render`` picks the program (system ``dot``, else graphviz-pure) and raises NoRenderer without one.
    """
    return render(source, fmt, engine)


def _shown_label(label: object) -> str:
    """A node's label as a box shows it: checked as ``Value`` checks it, cut to LABEL_SHOWN characters."""
    text = as_label(label, "draw_dot")
    return text if len(text) <= LABEL_SHOWN else text[:LABEL_SHOWN - 1] + "…"


def _write(path: Path, content: bytes) -> Path:
    return write_atomic(path, content, "save")
