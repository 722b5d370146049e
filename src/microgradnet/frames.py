"""Pictures of a graph laid out once and restyled per step: the frame model shared by Python and the HTML player.

A ``Layout`` runs Graphviz's ``dot`` once (``-Tjson``: node positions and wire splines) and draws the
graph itself as ONE SVG whose changing parts carry stable ids. A ``Frame`` is a state of that SVG:
the text each id shows and which ids are lit, plus the caption (the trace line at ``digits``).
Python writes static frames (SVG, PNG, GIF, PDF) by applying the states to the one layout, and
the offline player embeds the same SVG and the states as JSON and applies them in JavaScript,
so both show the same numbers on the same canvas. Every number comes from the engine's
``backward_walk`` (through ``trace.Step``) or the nodes' ``data``; nothing is recomputed here.

Id scheme (nodes numbered in ``reading_order``, ``i`` from 0; ``k`` the input position, from 0):

- ``v{i}``: the group of node i's box (style "boxes") or of its name/gate (style "slide"); lit-able.
- ``v{i}-op``: the gate (op) of a computed node; lit-able.
- ``v{i}-data``, ``v{i}-grad``: text of node i's value and gradient. The gradient is the running sum
  of what has been sent to it (``5.00 + 2.00 = 7.00`` for a node with several consumers).
  In "boxes" they are the box's cells; in "slide" they sit on the node's own wire
  (value above, gradient below).
- ``v{i}-in{k}``: the wire carrying input k into node i's gate; lit-able. Its texts:
  ``v{i}-in{k}-val`` (the input's value), ``v{i}-in{k}-grad`` (the downstream gradient that
  gate sent back along it), ``v{i}-in{k}-local`` (the local gradient, on the current gate).
- ``v{i}-out``: the wire out of node i's gate (to its box, its copy node or the output); lit-able.
- ``caption-1``, ``caption-2``, ...: the caption (``Frame.caption``) wrapped into the layout's lines.

A node listed in ``copies`` (one that only renames its input, as the shared weights w13 = u·1 do)
has no ids of its own: its consumers' wires start at its input's copy node and ``-val`` reads
``w13 = 0.50``. On a worksheet page (``blank_sheet``) a text id asked about is drawn inside a box
(class ``blank``) with its question number beside it.

A state lists every text id of the layout (``""`` where blank), so any frame can be applied
alone; ids a style does not draw (e.g. ``v{i}-in{k}-val`` in "boxes") are left out.
``Frame.to_json()`` is ``{"index": 1, "kind": "backward", "caption": "...", "text": {id: text},
"lit": [id, ...]}``; a lit id gets the CSS class ``lit`` (``element.classList.toggle("lit")``)
and a text id's ``textContent`` is set to its text.
"""
from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Optional

from .engine import Value, backward_walk, grads_kept
from .trace import ForwardStep, Step, check_root, fmt, forward_order, reading_order

_Spline = tuple[list[tuple[float, float]], Optional[tuple[float, float]]]  # bezier points, arrow tip
STYLES = ("boxes", "slide")
LAYOUTS = ("LR", "TB")
FITS = {"16:9": (16, 9), "4:3": (4, 3), "a4": (210, 297), "letter": (216, 279)}
KINDS = ("backward", "forward", "final")

FONT = "Helvetica,Arial,sans-serif"
INK, GRAD_INK, LOCAL_INK, MUTED = "#1f1f1f", "#c62828", "#1565c0", "#6b6b6b"
LEAF_FILL, LEAF_EDGE = "#dbe9f7", "#2f5597"
BOX_FILL, BOX_EDGE = "#f3f3f3", "#595959"
OP_FILL, OP_EDGE = "#fff2cc", "#a07800"
LIT_FILL, LIT_EDGE = "#ffd54f", "#c62828"
WIRE = "#404040"

# sizes in points (1 SVG user unit = 1 pt)
NUMBER_SIZE, NAME_SIZE, OP_SIZE, SMALL_SIZE, CAPTION_SIZE = 16.0, 16.0, 17.0, 16.0, 18.0
LINE = 1.25  # line height, in font sizes

# Helvetica advance widths in 1/1000 em (the characters pictures use; others count as 0.6 em)
_WIDTHS = {**dict.fromkeys("0123456789", 556), "-": 333, ".": 278, ",": 278, " ": 278, "+": 584, "=": 584,
           "×": 584, "·": 278, "→": 1000, "(": 333, ")": 333, "/": 278, "*": 389, "e": 556, "x": 500,
           "i": 222, "l": 222, "t": 278, "f": 278, "r": 333, "j": 222, "m": 833, "w": 722, "_": 556,
           "∂": 494, "Σ": 711, "ŷ": 500, "²": 333, "δ": 556, "−": 584}


@lru_cache(maxsize=65536)
def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width in points of ``text`` at font ``size`` in Helvetica (a close estimate, wider when bold)."""
    em = sum(_WIDTHS.get(c, 667 if c.isupper() else 600 if not c.isascii() else 556) for c in text) / 1000
    return em * size * (1.06 if bold else 1.0)


def check_options(style: str, layout: str | None, digits: int, fit: str | None, where: str = "draw") -> None:
    """A ValueError naming the option unless ``style``, ``layout``, ``digits`` and ``fit`` are ones pictures know."""
    if style not in STYLES:
        raise ValueError(f"{where}: style must be one of {', '.join(STYLES)}, got {style!r}")
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"{where}: layout must be one of {', '.join(LAYOUTS)} (or None: the better of the two), "
                         f"got {layout!r}")
    if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= 10:
        raise ValueError(f"{where}: digits must be a whole number from 0 to 10, got {digits!r}")
    if fit is not None and fit not in FITS:
        raise ValueError(f"{where}: fit must be one of {', '.join(FITS)}, got {fit!r}")


# --- frame states ------------------------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    """One state of a laid-out graph: the text of every text id, the lit ids, and the caption."""

    index: int
    kind: str
    caption: str
    text: dict[str, str]
    lit: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        """The state as the HTML player reads it (see the module docstring)."""
        return {"index": self.index, "kind": self.kind, "caption": self.caption, "text": self.text,
                "lit": sorted(self.lit)}


@dataclass
class _Graph:
    """The nodes of one graph with their ids, consumers and the numbers a state may show."""

    root: Value
    order: list[Value]
    ids: dict[Value, str]
    consumers: dict[Value, list[tuple[Value, int]]]
    digits: int
    written: dict[str, set[str]] = field(default_factory=dict)  # every text each id has shown: to size the layout
    aliases: dict[Value, Value] = field(default_factory=dict)  # a node that only renames its input -> that input
    drawn: dict[Value, list[tuple[Value, int]]] = field(default_factory=dict)  # consumers as drawn (aliases skipped)

    def put(self, text: dict[str, str], key: str, value: str) -> None:
        """Set ``text[key]`` and remember the text, so the layout leaves room for it."""
        text[key] = value
        self.written.setdefault(key, set()).add(value)

    @classmethod
    def of(cls, root: Value, digits: int, copies: Iterable[Value] = ()) -> _Graph:
        """The graph of ``root``; each of ``copies`` (a node that only renames its one input, as w13 = u·1 does)
        is drawn as a wire out of its input's copy node, not as a gate."""
        order = reading_order(root)
        ids = {v: f"v{i}" for i, v in enumerate(order)}
        consumers: dict[Value, list[tuple[Value, int]]] = {v: [] for v in order}
        for v in order:
            for k, inp in enumerate(v.inputs):
                consumers[inp].append((v, k))
        aliases = {}
        for c in copies:
            if c not in ids or c is root or len(c.inputs) != 1 or c.local_grads != (1.0,):
                raise ValueError(f"copies: {c!r} is not a node of this graph that renames its one input "
                                 f"(one input, local gradient 1, not the output)")
            aliases[c] = c.inputs[0]
        drawn = {v: [(c, k) for c, k in consumers[v] if c not in aliases] for v in order}
        for a, parent in aliases.items():
            drawn[parent] += consumers[a]
        return cls(root, order, ids, consumers, digits, aliases=aliases, drawn=drawn)

    def source(self, v: Value) -> Value:
        """The node a wire from ``v`` starts at in the drawing: ``v``, or the input an alias renames."""
        while v in self.aliases:
            v = self.aliases[v]
        return v

    def wire(self, v: Value, k: int) -> str:
        return f"{self.ids[v]}-in{k}"

    def blank(self) -> dict[str, str]:
        """Every text id of any style, blank."""
        text = {"caption": ""}
        for v in self.order:
            i = self.ids[v]
            text[f"{i}-data"] = text[f"{i}-grad"] = ""
            for k in range(len(v.inputs)):
                w = self.wire(v, k)
                text[f"{w}-val"] = text[f"{w}-grad"] = text[f"{w}-local"] = ""
        return text

    def number(self, x: float) -> str:
        return fmt(x, self.digits)

    def running_sum(self, terms: list[float]) -> str:
        """A node's gradient as received so far: ``-2.00``, or ``5.00 + 2.00 = 7.00`` (``0.55 - 0.07 = 0.48``)
        from several consumers."""
        if not terms:
            return ""
        if len(terms) == 1:
            return self.number(terms[0])
        shown = [self.number(t) for t in terms]
        sums = shown[0] + "".join(f" - {t[1:]}" if t.startswith("-") else f" + {t}" for t in shown[1:])
        return f"{sums} = {self.number(math.fsum(terms))}"

    def lit_of(self, v: Value) -> set[str]:
        if v in self.aliases:  # drawn as the wires it feeds
            return {self.wire(c, k) for c, k in self.consumers[v]}
        i = self.ids[v]
        lit = {i}
        if len(self.drawn[v]) == 1 and v is not self.root:  # its one out-wire, carrying the upstream
            lit.add(self.wire(*self.drawn[v][0]))
        if v.inputs:
            lit |= {f"{i}-op", f"{i}-out", *(self.wire(v, k) for k in range(len(v.inputs)))}
        return lit


def _values(graph: _Graph, text: dict[str, str], shown: Iterable[Value]) -> None:
    """Fill in the value of each node in ``shown``, in its cell and on every wire it feeds."""
    for v in shown:
        graph.put(text, f"{graph.ids[v]}-data", graph.number(v.data))
        name = f"{v.label} = " if v in graph.aliases and v.label else ""  # an alias's wire carries its name
        for consumer, k in graph.consumers[v]:
            graph.put(text, f"{graph.wire(consumer, k)}-val", name + graph.number(v.data))


def _exact_note(step: Step, digits: int) -> str:
    """What the caption adds when a product of the printed numbers is not the exact gradient rounded."""
    shown = [fmt(float(fmt(step.upstream, digits)) * float(fmt(x, digits)), digits) for x in step.local]
    exact = [fmt(x, digits) for x in step.downstream]
    if shown == exact:
        return ""
    exactly = exact[0] if len(exact) == 1 else "(" + ", ".join(exact) + ")"
    return f"   (exactly {exactly}: the picture shows exact values)"


def backward_states(root: Value, digits: int = 2, show_local_grads: bool = False) -> list[Frame]:
    """One state per step of the engine's ``backward_walk``: the gradients known so far, the current gate lit.

    A gradient appears on a wire and in the receiver the moment it is sent; a node with several
    consumers shows the running sum. ``.grad`` of every node is restored afterwards.
    """
    graph = _Graph.of(check_root(root, "backward_frames"), digits)
    return _backward(graph, show_local_grads)


def _backward(graph: _Graph, show_local_grads: bool) -> list[Frame]:
    received: dict[Value, list[float]] = {v: [] for v in graph.order}
    text = graph.blank()
    _values(graph, text, graph.order)
    if show_local_grads:
        _locals(graph, text, graph.order)
    frames = []
    n = len(graph.order)
    with grads_kept(graph.order):
        for index, (node, upstream) in enumerate(backward_walk(graph.root), 1):
            if node is graph.root:
                received[node].append(upstream)
                graph.put(text, f"{graph.ids[node]}-grad", graph.running_sum(received[node]))
            step = Step.of(node, upstream, graph.digits)
            state = dict(text)
            if node.inputs:
                _locals(graph, state, [node])
                for k, (inp, down) in enumerate(zip(node.inputs, step.downstream)):
                    received[inp].append(down)
                    for key, value in ((f"{graph.wire(node, k)}-grad", graph.number(down)),
                                       (f"{graph.ids[inp]}-grad", graph.running_sum(received[inp]))):
                        graph.put(text, key, value)
                        state[key] = value
            caption = f"backward step {index}/{n}:  {step.format(graph.digits)}{_exact_note(step, graph.digits)}"
            graph.put(state, "caption", caption)
            frames.append(Frame(index, "backward", caption, state, frozenset(graph.lit_of(node))))
    return frames


def _locals(graph: _Graph, text: dict[str, str], nodes: Iterable[Value]) -> None:
    for v in nodes:
        for k, local in enumerate(v.local_grads):
            graph.put(text, f"{graph.wire(v, k)}-local", f"×{graph.number(local)}")  # upstream × this


def forward_states(root: Value, digits: int = 2, show_local_grads: bool = False) -> list[Frame]:
    """One state per forward step: the leaves' values, then each op's result as it is computed."""
    graph = _Graph.of(check_root(root, "forward_frames"), digits)
    return _forward(graph, show_local_grads)


def _forward(graph: _Graph, show_local_grads: bool) -> list[Frame]:
    text = graph.blank()
    frames = []
    n = len(graph.order)
    for index, node in enumerate(forward_order(graph.root), 1):
        _values(graph, text, [node])
        state = dict(text)
        if show_local_grads:
            _locals(graph, state, [node])
        caption = f"forward step {index}/{n}:  {ForwardStep(node, node.inputs, node.data, graph.digits)}"
        graph.put(state, "caption", caption)
        frames.append(Frame(index, "forward", caption, state, frozenset(graph.lit_of(node))))
    return frames


def final_state(root: Value, digits: int = 2, show_grad: bool | str = True, show_local_grads: bool = False,
                caption: str = "") -> Frame:
    """The finished picture: every value, and every gradient (the ``.grad`` of each node) unless ``show_grad``
    is False or ``"blank"``; a node with several consumers shows the sum of what each sent."""
    graph = _Graph.of(check_root(root, "draw"), digits)
    return _final(graph, show_grad, show_local_grads, caption)


def _final(graph: _Graph, show_grad: bool | str, show_local_grads: bool, caption: str) -> Frame:
    text = graph.blank()
    _values(graph, text, graph.order)
    if show_local_grads:
        _locals(graph, text, graph.order)
    if show_grad is True:
        sent: dict[Value, list[float]] = {v: [] for v in graph.order}
        for v in reversed(graph.order):  # each consumer's share: the trace's upstream × local at its .grad
            for k, (inp, down) in enumerate(zip(v.inputs, Step.of(v, v.grad).downstream)):
                sent[inp].append(down)
                graph.put(text, f"{graph.wire(v, k)}-grad", graph.number(down))
        for v in graph.order:
            many = len(graph.consumers[v]) > 1
            graph.put(text, f"{graph.ids[v]}-grad", graph.running_sum(sent[v]) if many else graph.number(v.grad))
    graph.put(text, "caption", caption)
    return Frame(0, "final", caption, text, frozenset())


# --- the layout: dot once, the SVG drawn here ----------------------------------------------

@dataclass
class _Text:
    x: float
    y: float  # baseline
    size: float
    colour: str
    anchor: str = "middle"  # start | middle | end
    bold: bool = False
    id: str | None = None  # a text id: its content comes from the state
    content: str = ""  # fixed text when id is None


@dataclass
class _Shape:
    kind: str  # rect | ellipse | dot | path
    points: list[tuple[float, float]]  # rect/ellipse: [(cx, cy), (w, h)]; path: bezier points; dot: [(cx, cy)]
    fill: str
    stroke: str
    width: float = 1.4
    arrow: list[tuple[float, float]] | None = None  # arrowhead triangle for a path
    lit_able: bool = True


@dataclass
class _Group:
    id: str | None
    shapes: list[_Shape] = field(default_factory=list)
    texts: list[_Text] = field(default_factory=list)


@dataclass
class Layout:
    """One graph laid out once: its groups (shapes and texts, with ids), the canvas, and the text ids it draws."""

    style: str
    layout: str
    width: float
    height: float
    groups: list[_Group]
    text_ids: list[str]
    lit_ids: list[str]
    offset: tuple[float, float] = (0.0, 0.0)  # where the graph sits on the canvas (fit pads around it)
    caption_width: float = 640.0  # the caption wraps at this width ...
    caption_lines: int = 0  # ... into at most this many lines, text ids caption-1, caption-2, ...
    _template: tuple[str, list[tuple[str, ...]]] | None = field(default=None, repr=False)

    def caption_texts(self, caption: str) -> dict[str, str]:
        """The caption's lines as the layout draws them: {"caption-1": ..., "caption-2": ...}."""
        lines = _wrap(caption, self.caption_width, CAPTION_SIZE) if caption else []
        return {f"caption-{j + 1}": lines[j] if j < len(lines) else "" for j in range(self.caption_lines)}

    def state(self, frame: Frame | None) -> dict[str, str]:
        """Every text id of the layout with what ``frame`` shows there (its caption wrapped into lines)."""
        if frame is None:
            return dict.fromkeys(self.text_ids, "")
        text = {**frame.text, **self.caption_texts(frame.caption)}
        return {key: text.get(key, "") for key in self.text_ids}

    def svg(self, frame: Frame | None = None) -> str:
        """The SVG of the layout, with ``frame`` applied (None: the template with every text id blank)."""
        return _svg(self, frame)

    def smallest_text(self) -> float:
        """The smallest font size (in canvas units) of any text the layout draws."""
        return min(t.size for g in self.groups for t in g.texts)

    def scale_to(self, medium: str = "16:9", long_side: float = 1920.0) -> float:
        """How much the picture is scaled to fill ``medium`` (``FITS``) whose long side is ``long_side`` px."""
        aw, ah = FITS[medium]
        w, h = (long_side, long_side * ah / aw) if aw >= ah else (long_side * aw / ah, long_side)
        return min(w / self.width, h / self.height)


def _size(texts: Iterable[str], size: float, bold: bool = False) -> float:
    return max((text_width(t, size, bold) for t in texts), default=0.0)


AUTO_LAYOUT_MAX_NODES = 150  # larger graphs are laid out LR only, without trying TB as well


def _lay_out(graph: _Graph, style: str, layout: str | None, fit: str | None) -> Layout:
    """Lay the graph out once, sized so every text any of its states wrote (``graph.written``) fits.

    ``layout=None`` tries LR and TB and keeps the one whose smallest text is largest once the
    picture is scaled to the medium (``fit``, else a 16:9 screen).
    """
    longest = {key: max(text_width(t, NUMBER_SIZE) for t in texts) for key, texts in graph.written.items()}
    if layout is not None or len(graph.order) > AUTO_LAYOUT_MAX_NODES:
        return _Builder(graph, style, layout or "LR", longest).build(fit)
    return max((_Builder(graph, style, way, longest).build(fit) for way in LAYOUTS),
               key=lambda laid: laid.smallest_text() * laid.scale_to(fit or "16:9"))


class _Builder:
    """Turns a graph, a style and the widest text of each id into DOT, runs dot, and draws the result."""

    def __init__(self, graph: _Graph, style: str, layout: str, longest: dict[str, float],
                 blanks: dict[str, str] | None = None, blank: tuple[float, float] = (64.0, 28.0)) -> None:
        self.graph, self.style, self.layout, self.longest = graph, style, layout, longest
        self.blanks = blanks or {}  # text id -> question number: drawn as a box to write in (worksheets)
        self.blank = blank  # its width and height in points
        self.sizes: dict[str, tuple[float, float]] = {}  # dot node name -> (w, h) in points
        self.shapes: dict[str, str] = {}  # dot node name -> its shape where not a box (gates, copy nodes)
        self.edges: list[tuple[str, str, bool]] = []  # (tail, head, arrow)
        self.line = NUMBER_SIZE * LINE

    def width(self, key: str, minimum: float = 0.0) -> float:
        return max(self.longest.get(key, 0.0), minimum)

    # DOT nodes of each style ---------------------------------------------------------------
    def box(self, v: Value) -> None:
        i = self.graph.ids[v]
        caption = text_width("grad", SMALL_SIZE) + 10
        number = max(self.width(f"{i}-data"), self.width(f"{i}-grad"), text_width("-0.00", NUMBER_SIZE))
        name = text_width(v.label, NAME_SIZE, bold=True) if v.label else 0.0
        w = max(caption + number + 16, name + 16)
        rows = (2 if v.label else 1) + 1
        self.sizes[i] = (w, rows * self.line + 8)

    def gate(self, v: Value, name: str) -> None:
        d = max(text_width(str(v.op), OP_SIZE) + 14, 34.0)
        self.sizes[name] = (d, d if self.style == "slide" else min(d, 30.0))
        self.shapes[name] = "circle" if self.style == "slide" else "ellipse"

    def line_height(self, key: str) -> float:
        return self.blank[1] + 6 if key in self.blanks else self.line

    def line_width(self, key: str) -> float:
        """A line's width: its widest text, or a blank box with its question number on either side."""
        if key in self.blanks:
            return self.blank[0] + 2 * (text_width(self.blanks[key], NUMBER_SIZE, True) + 6)
        return self.width(key, 24.0)

    def mid(self, name: str, top: list[str], bottom: list[str]) -> None:
        """A wire's label block: the ``top`` texts above the wire, the ``bottom`` ones below."""
        w = max([self.line_width(k) for k in top + bottom]) + 10
        top, bottom = self.shown(top), self.shown(bottom)  # room only for lines some state writes
        heights = [sum(map(self.line_height, top)), sum(map(self.line_height, bottom))]
        if self.layout == "LR":
            self.sizes[name] = (w, 2 * max(heights) + 6)
        else:  # TB: top texts left of the vertical wire, bottom ones right of it
            self.sizes[name] = (2 * w + 8, max(heights) + 6)

    def build(self, fit: str | None) -> Layout:
        g = self.graph
        for v in g.order:
            if v in g.aliases:  # drawn as the wires out of the node it renames
                continue
            i = g.ids[v]
            if self.style == "boxes":
                self.box(v)
                if v.inputs:
                    self.gate(v, f"{i}-op")
                    for k, inp in enumerate(v.inputs):
                        w = g.wire(v, k)
                        self.mid(f"{w}-m", [f"{w}-local"], [f"{w}-grad"])
                        self.edges += [(g.ids[g.source(inp)], f"{w}-m", False), (f"{w}-m", f"{i}-op", True)]
                    self.edges.append((f"{i}-op", i, True))
            else:
                if v.inputs:
                    self.gate(v, i)
                else:
                    name = text_width(v.label or fmt(v.data, g.digits), NAME_SIZE, True)
                    lines = 2 if self.shared_leaf(v) else 1  # a shared leaf is its own copy node, its sum inside
                    self.sizes[i] = (max(name, self.width(f"{i}-grad") if lines == 2 else 0.0) + 12,
                                     lines * NAME_SIZE * LINE + 6)
                consumers = g.drawn[v]
                if self.shared_leaf(v):
                    for consumer, k in consumers:
                        w = g.wire(consumer, k)
                        self.mid(f"{w}-m", [f"{w}-val"], [f"{w}-grad", f"{w}-local"])
                        self.edges += [(i, f"{w}-m", False), (f"{w}-m", g.ids[consumer], True)]
                elif v is g.root or len(consumers) > 1:  # its own wire, to a copy node or to the output
                    end = f"{i}-end" if v is g.root else f"{i}-copy"
                    self.sizes[end] = ((text_width(v.label or "f", NAME_SIZE, True) + 12, NAME_SIZE * LINE + 6)
                                       if v is g.root and v.inputs else (8.0, 8.0))
                    if end.endswith("-copy"):
                        self.shapes[end] = "circle"
                    self.mid(f"{i}-m", [f"{i}-data"], [f"{i}-grad"])
                    self.edges += [(i, f"{i}-m", False), (f"{i}-m", end, v is g.root)]
                    for consumer, k in consumers:
                        w = g.wire(consumer, k)
                        self.mid(f"{w}-m", [f"{w}-val"], [f"{w}-grad", f"{w}-local"])
                        self.edges += [(end, f"{w}-m", False), (f"{w}-m", g.ids[consumer], True)]
                else:
                    (consumer, k), = consumers
                    w = g.wire(consumer, k)
                    self.mid(f"{w}-m", [f"{i}-data"], [f"{i}-grad", f"{w}-local"])
                    self.edges += [(i, f"{w}-m", False), (f"{w}-m", g.ids[consumer], True)]
        return self.draw(self.run_dot(), fit)

    def shown(self, keys: list[str]) -> list[str]:
        """The first of ``keys`` and those of the rest that some state writes (a wire keeps its first line)."""
        return keys[:1] + [k for k in keys[1:] if k in self.longest or k in self.blanks]

    def shared_leaf(self, v: Value) -> bool:
        """Whether ``v`` is a leaf with several consumers, drawn (style "slide") as its own copy node."""
        return not v.inputs and v is not self.graph.root and len(self.graph.drawn[v]) > 1

    def dot_source(self) -> str:
        sep = {"LR": ("0.2", "0.12"), "TB": ("0.2", "0.15")}[self.layout]
        lines = [(f'digraph{{rankdir={self.layout};nodesep={sep[0]};ranksep={sep[1]};splines=true;'
                  'node[shape=box,fixedsize=true,label=""];edge[arrowhead=none];')]
        for name, (w, h) in self.sizes.items():
            shape = f",shape={self.shapes[name]}" if name in self.shapes else ""
            lines.append(f'"{name}"[width={w / 72:.4f},height={h / 72:.4f}{shape}];')
        for tail, head, arrow in self.edges:
            lines.append(f'"{tail}"->"{head}"' + ("[arrowhead=normal];" if arrow else ";"))
        lines.append("}")
        return "\n".join(lines)

    def run_dot(self) -> dict[str, Any]:
        from .viz import run_graphviz

        return json.loads(run_graphviz(self.dot_source(), "json"))  # graphviz-pure writes json, not json0

    def draw(self, laid: dict[str, Any], fit: str | None) -> Layout:
        _, _, gw, gh = (float(x) for x in laid["bb"].split(","))
        pos: dict[str, tuple[float, float]] = {}
        for obj in laid.get("objects", []):
            x, y = (float(c) for c in obj["pos"].split(","))
            pos[obj["name"]] = (x, gh - y)
        names = [obj["name"] for obj in laid.get("objects", [])]
        splines: dict[tuple[str, str], _Spline] = {}
        for edge in laid.get("edges", []):
            splines[(names[edge["tail"]], names[edge["head"]])] = _spline(edge["pos"], gh)
        # captions wrap at the graph's width (at least 640 pt): as many lines as the longest needs
        caption_w = max(gw, 640.0)
        captions = [c for c in self.graph.written.get("caption", ()) if c]
        lines = max((len(_wrap(c, caption_w, CAPTION_SIZE)) for c in captions), default=0)
        caption_h = lines * CAPTION_SIZE * LINE + (10 if lines else 0)
        width = max(gw, caption_w if lines else 0.0) + 2 * 12
        height = gh + caption_h + 2 * 12
        ox, oy = 12.0 + (width - 24 - gw) / 2, caption_h + 12.0
        if fit is not None:
            aw, ah = FITS[fit]
            if width / height < aw / ah:
                new = height * aw / ah
                ox += (new - width) / 2
                width = new
            else:
                new = width * ah / aw
                oy += (new - height) / 2
                height = new
        groups = self.groups(pos, splines)
        for group in groups:
            for shape in group.shapes:
                sized = shape.kind in ("rect", "ellipse")  # [(centre), (width, height)]: only the centre moves
                shape.points = [(x, y) if sized and j else (x + ox, y + oy) for j, (x, y) in enumerate(shape.points)]
                if shape.arrow:
                    shape.arrow = [(x + ox, y + oy) for x, y in shape.arrow]
            for text in group.texts:
                text.x += ox
                text.y += oy
        groups.insert(0, _Group(None, texts=[_Text(12, 12 + CAPTION_SIZE + j * CAPTION_SIZE * LINE, CAPTION_SIZE,
                                                   INK, "start", False, f"caption-{j + 1}") for j in range(lines)]))
        text_ids = [t.id for g in groups for t in g.texts if t.id]
        lit_ids = [g.id for g in groups if g.id]
        return Layout(self.style, self.layout, width, height, groups, text_ids, lit_ids, (ox, oy),
                      caption_width=caption_w, caption_lines=lines)

    def groups(self, pos: dict[str, tuple[float, float]],
               splines: dict[tuple[str, str], _Spline]) -> list[_Group]:
        g, out = self.graph, []
        wires: dict[str, _Group] = {}

        def wire(group_id: str, mid: str, tail: str, head: str, arrow: bool, top: list[str],
                 bottom: list[str], colours: list[str]) -> None:
            group = wires.setdefault(group_id, _Group(group_id))
            (first, _), (second, tip) = splines[(tail, mid)], splines[(mid, head)]
            c = pos[mid]
            path = [*first, c, c, c, second[0], second[0], second[0], *second[1:]]
            shape = _Shape("path", path, "none", WIRE, 1.6)
            if arrow and tip is not None:
                shape.arrow = _arrowhead(second[-1], tip)
            group.shapes.append(shape)
            texts, blanks = self.wire_texts(pos[mid], top, bottom, colours)
            group.texts += texts
            group.shapes += blanks

        for v in g.order:
            if v in g.aliases:
                continue
            i = g.ids[v]
            x, y = pos[i]
            if self.style == "boxes":
                out.append(self.box_group(v, x, y))
                if v.inputs:
                    out.append(self.gate_group(v, f"{i}-op", *pos[f"{i}-op"]))
                    for k in range(len(v.inputs)):
                        w = g.wire(v, k)
                        wire(w, f"{w}-m", g.ids[g.source(v.inputs[k])], f"{i}-op", True, [f"{w}-local"], [f"{w}-grad"],
                             [LOCAL_INK, GRAD_INK])
                    out_wire = wires.setdefault(f"{i}-out", _Group(f"{i}-out"))
                    spline, tip = splines[(f"{i}-op", i)]
                    out_wire.shapes.append(_Shape("path", spline, "none", WIRE, 1.6,
                                                  _arrowhead(spline[-1], tip) if tip else None))
                continue
            out.append(self.gate_group(v, i, x, y) if v.inputs else self.name_group(v, i, x, y))
            consumers = g.drawn[v]
            if self.shared_leaf(v):
                for consumer, k in consumers:
                    w = g.wire(consumer, k)
                    wire(w, f"{w}-m", i, g.ids[consumer], True, [f"{w}-val"], [f"{w}-grad", f"{w}-local"],
                         [INK, GRAD_INK, LOCAL_INK])
            elif v is g.root or len(consumers) > 1:
                end = f"{i}-end" if v is g.root else f"{i}-copy"
                wire(f"{i}-out", f"{i}-m", i, end, v is g.root, [f"{i}-data"], [f"{i}-grad"], [INK, GRAD_INK])
                ex, ey = pos[end]
                if v is g.root and v.inputs:
                    out.append(_Group(None, texts=[_Text(ex, ey + NAME_SIZE * 0.35, NAME_SIZE, INK, "middle", True,
                                                         None, v.label or "f")]))
                else:
                    wires[f"{i}-out"].shapes.append(_Shape("dot", [(ex, ey)], WIRE, WIRE, 1.0))
                for consumer, k in consumers:
                    w = g.wire(consumer, k)
                    wire(w, f"{w}-m", end, g.ids[consumer], True, [f"{w}-val"], [f"{w}-grad", f"{w}-local"],
                         [INK, GRAD_INK, LOCAL_INK])
            else:
                (consumer, k), = consumers
                w = g.wire(consumer, k)
                wire(w, f"{w}-m", i, g.ids[consumer], True, [f"{i}-data"], [f"{i}-grad", f"{w}-local"],
                     [INK, GRAD_INK, LOCAL_INK])
        return [*wires.values(), *out]  # wires first, so boxes and gates are drawn over their ends

    def wire_texts(self, centre: tuple[float, float], top: list[str], bottom: list[str],
                   colours: list[str]) -> tuple[list[_Text], list[_Shape]]:
        """The texts of a wire's label block around its centre, and the boxes of any blanks among them."""
        x, y = centre
        texts: list[_Text] = []
        shapes: list[_Shape] = []
        tint = dict(zip([*reversed(top), *bottom], [*reversed(colours[:len(top)]), *colours[len(top):]]))

        def put(key: str, cx: float, cy: float, anchor: str, first: bool) -> None:
            """A line centred (vertically) at ``cy``: its text at ``cx``, or a blank box with its number."""
            size = NUMBER_SIZE if first else SMALL_SIZE
            if key in self.blanks:
                bw, bh = self.blank
                bx = {"middle": cx, "end": cx - bw / 2, "start": cx + bw / 2}[anchor]
                shapes.append(_Shape("rect", [(bx, cy), (bw, bh)], "#ffffff", "#333333", 1.2, None, False))
                texts.append(_Text(bx - bw / 2 - 5, cy + NUMBER_SIZE * 0.35, NUMBER_SIZE, MUTED, "end", True, None,
                                   self.blanks[key]))
                texts.append(_Text(bx, cy + NUMBER_SIZE * 0.35, NUMBER_SIZE, tint[key], "middle", False, key))
            else:
                texts.append(_Text(cx, cy + size * 0.35, size, tint[key], anchor, False, key))

        if self.layout == "LR":
            offset = 4.0
            for j, key in enumerate(reversed(top)):
                h = self.line_height(key)
                put(key, x, y - offset - h / 2, "middle", j == 0)
                offset += h
            offset = 4.0
            for j, key in enumerate(bottom):
                h = self.line_height(key)
                put(key, x, y + offset + h / 2, "middle", j == 0)
                offset += h
        else:
            for side, keys, anchor in ((-6.0, top, "end"), (6.0, bottom, "start")):
                offset = 0.0
                for j, key in enumerate(keys):
                    h = self.line_height(key)
                    put(key, x + side, y + offset, anchor, j == 0)
                    offset += h
        return texts, shapes

    def box_group(self, v: Value, x: float, y: float) -> _Group:
        i = self.graph.ids[v]
        w, h = self.sizes[i]
        fill, edge = (BOX_FILL, BOX_EDGE) if v.inputs else (LEAF_FILL, LEAF_EDGE)
        group = _Group(i, [_Shape("rect", [(x, y), (w, h)], fill, edge, 1.2)])
        top, line = y - h / 2 + 4, self.line
        row = 0
        if v.label:
            group.texts.append(_Text(x, top + line * 0.78, NAME_SIZE, INK, "middle", True, None, v.label))
            row = 1
        for caption, colour in (("data", INK), ("grad", GRAD_INK)):
            base = top + line * (row + 0.78)
            group.texts.append(_Text(x - w / 2 + 8, base, SMALL_SIZE, MUTED, "start", False, None, caption))
            group.texts.append(_Text(x + w / 2 - 8, base, NUMBER_SIZE, colour, "end", False, f"{i}-{caption}"))
            row += 1
        return group

    def gate_group(self, v: Value, name: str, x: float, y: float) -> _Group:
        w, h = self.sizes[name]
        d = h
        group = _Group(name, [_Shape("ellipse", [(x, y), (w, h)], OP_FILL, OP_EDGE, 1.4)])
        group.texts.append(_Text(x, y + OP_SIZE * 0.35, OP_SIZE, INK, "middle", False, None, str(v.op)))
        if self.style == "slide" and v.label and v is not self.graph.root:  # the output's name ends its wire
            if self.layout == "LR":  # above the gate; in TB, where wires come from above, to its left
                group.texts.append(_Text(x, y - d / 2 - 6, NAME_SIZE, MUTED, "middle", True, None, v.label))
            else:
                group.texts.append(_Text(x - w / 2 - 5, y + NAME_SIZE * 0.35, NAME_SIZE, MUTED, "end", True, None,
                                         v.label))
        return group

    def name_group(self, v: Value, i: str, x: float, y: float) -> _Group:
        w, h = self.sizes[i]
        group = _Group(i, [_Shape("rect", [(x, y), (w, h)], LEAF_FILL, LEAF_EDGE, 1.0)])
        name = v.label or fmt(v.data, self.graph.digits)
        if self.shared_leaf(v):
            line = NAME_SIZE * LINE
            group.texts.append(_Text(x, y - line / 2 + NAME_SIZE * 0.35, NAME_SIZE, INK, "middle", True, None, name))
            group.texts.append(_Text(x, y + line / 2 + NAME_SIZE * 0.35, NUMBER_SIZE, GRAD_INK, "middle", False,
                                     f"{i}-grad"))
        else:
            group.texts.append(_Text(x, y + NAME_SIZE * 0.35, NAME_SIZE, INK, "middle", True, None, name))
        return group


def _spline(pos: str, height: float) -> tuple[list[tuple[float, float]], tuple[float, float] | None]:
    """A Graphviz edge ``pos`` ("e,x,y p0 p1 ...") as its bezier points and arrow tip (y down)."""
    points, end = [], None
    for part in pos.split():
        if part.startswith(("e,", "s,")):
            _, x, y = part.split(",")
            if part[0] == "e":
                end = (float(x), height - float(y))
            continue
        x, y = part.split(",")
        points.append((float(x), height - float(y)))
    return points, end


def _arrowhead(tip_from: tuple[float, float], tip: tuple[float, float]) -> list[tuple[float, float]]:
    (x0, y0), (x1, y1) = tip_from, tip
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    size = 9.0
    bx, by = x1 - ux * size, y1 - uy * size
    return [(x1, y1), (bx - uy * size * 0.45, by + ux * size * 0.45), (bx + uy * size * 0.45, by - ux * size * 0.45)]


# --- SVG ----------------------------------------------------------------------------------------

_CSS = (f".lit>.shape{{fill:{LIT_FILL};stroke:{LIT_EDGE};stroke-width:3}}"
        f".lit>.wire{{stroke:{LIT_EDGE};stroke-width:3.2}}.lit>.head{{fill:{LIT_EDGE};stroke:{LIT_EDGE}}}")


def _path_d(points: list[tuple[float, float]]) -> str:
    """An SVG path through Graphviz bezier points (p0, then control, control, end triples)."""
    pts = points
    d = [f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"]
    for j in range(1, len(pts) - 2, 3):
        (a, b), (c, e), (f, g) = pts[j], pts[j + 1], pts[j + 2]
        d.append(f"C{a:.1f},{b:.1f} {c:.1f},{e:.1f} {f:.1f},{g:.1f}")
    return "".join(d)


def _svg(layout: Layout, frame: Frame | None) -> str:
    """The layout's SVG with ``frame`` applied: the template's slots filled with its texts and lit groups."""
    if layout._template is None:
        layout._template = _compile(_template(layout))
    form, slots = layout._template
    text = layout.state(frame)
    lit = frame.lit if frame is not None else frozenset()
    return form.format(*[_escape(text.get(slot[1], "")) if slot[0] == "text" else slot[3] if slot[1] in lit
                         else slot[2] for slot in slots])


@lru_cache(maxsize=65536)
def _escape(text: str) -> str:
    return html.escape(text)


def _compile(parts: list[Any]) -> tuple[str, list[tuple[str, ...]]]:
    """The template as one format string (literal braces doubled) and the slot of each ``{}``."""
    form, slots = [], []
    for part in parts:
        if isinstance(part, str):
            form.append(part.replace("{", "{{").replace("}", "}}"))
        else:
            form.append("{}")
            slots.append(part)
    return "".join(form), slots


def _template(layout: Layout) -> list[Any]:
    """The SVG as fixed strings and slots: ("text", id) for a text's content, ("lit", id, off, on) per group."""
    parts: list[Any] = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {layout.width:.1f} {layout.height:.1f}" '
         f'width="{layout.width:.0f}pt" height="{layout.height:.0f}pt" font-family="{FONT}">\n'
         f"<style>{_CSS}</style>\n"
         f'<rect width="{layout.width:.1f}" height="{layout.height:.1f}" fill="white"/>\n')]
    for group in layout.groups:
        shapes = "".join(_svg_shape(shape) for shape in group.shapes)
        if group.id:
            lit = "".join(_svg_shape(_lit(shape)) for shape in group.shapes)
            parts.append(("lit", group.id, f'<g id="{group.id}">{shapes}', f'<g id="{group.id}" class="lit">{lit}'))
        else:
            parts.append(f"<g>{shapes}")
        for t in group.texts:
            weight = ' font-weight="bold"' if t.bold else ""
            ident = f' id="{t.id}"' if t.id else ""
            parts.append(f'\n<text{ident} x="{t.x:.1f}" y="{t.y:.1f}" font-size="{t.size:g}" fill="{t.colour}" '
                         f'text-anchor="{t.anchor}"{weight}>')
            parts.append(("text", t.id) if t.id else html.escape(t.content))
            parts.append("</text>")
        parts.append("</g>\n")
    parts.append("</svg>\n")
    return parts


def _lit(shape: _Shape) -> _Shape:
    """``shape`` in the highlight colours (what the CSS class ``lit`` does in a browser)."""
    if not shape.lit_able:
        return shape
    if shape.kind in ("rect", "ellipse"):
        return _Shape(shape.kind, shape.points, LIT_FILL, LIT_EDGE, 3.0)
    return _Shape(shape.kind, shape.points, LIT_EDGE if shape.kind == "dot" else shape.fill, LIT_EDGE, 3.2,
                  shape.arrow)


def _svg_shape(shape: _Shape) -> str:
    if shape.kind == "rect":
        (x, y), (w, h) = shape.points
        kind = "shape" if shape.lit_able else "blank"
        return (f'<rect class="{kind}" x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" '
                f'rx="4" fill="{shape.fill}" stroke="{shape.stroke}" stroke-width="{shape.width}"/>')
    if shape.kind == "ellipse":
        (x, y), (w, h) = shape.points
        return (f'<ellipse class="shape" cx="{x:.1f}" cy="{y:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" '
                f'fill="{shape.fill}" stroke="{shape.stroke}" stroke-width="{shape.width}"/>')
    if shape.kind == "dot":
        (x, y), = shape.points
        return f'<circle class="head" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{shape.fill}"/>'
    line = (f'<path class="wire" d="{_path_d(shape.points)}" fill="none" stroke="{shape.stroke}" '
            f'stroke-width="{shape.width}"/>')
    if shape.arrow:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in shape.arrow)
        line += f'<polygon class="head" points="{pts}" fill="{shape.stroke}" stroke="{shape.stroke}"/>'
    return line


# --- frame sets ---------------------------------------------------------------------------------

@dataclass
class FrameSet:
    """The frames of one graph on one layout: ``svg(i)`` for frame i (from 0), ``to_json()`` for the player."""

    layout: Layout
    frames: list[Frame]
    root: Value

    def __len__(self) -> int:
        return len(self.frames)

    def svg(self, i: int = 0) -> str:
        """Frame ``i`` (from 0; a picture has one) as SVG text."""
        return self.layout.svg(self.frames[i])

    def ids_of(self, v: Value) -> list[str]:
        """The lit-able ids of node ``v`` (its box or gate, its wires) that this layout draws."""
        graph = _Graph.of(self.root, 2)
        drawn = set(self.layout.lit_ids)
        return [i for i in sorted(graph.lit_of(v)) if i in drawn]

    def html(self, i: int = 0, max_width: float | None = None) -> str:
        """Frame ``i`` as inline SVG that shrinks to the width of its container (a notebook cell) and never grows;
        ``max_width`` (CSS px) also caps its own size, for viewers that show SVG as an image of its own size."""
        image = self.svg(i)
        natural = self.layout.width * 4 / 3  # pt -> CSS px
        if max_width is not None and natural > max_width:
            w, h = max_width, self.layout.height * 4 / 3 * max_width / natural
            image = image.replace(f'width="{self.layout.width:.0f}pt" height="{self.layout.height:.0f}pt"',
                                  f'width="{w:.0f}px" height="{h:.0f}px"', 1)
        return image.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.html(), "text/plain": repr(self)}

    def __repr__(self) -> str:
        what = "picture" if len(self) == 1 else "frames"
        return (f"<microgradnet {self.frames[0].kind} {what}: {len(self)} frame(s), {self.layout.style} style, "
                f"{self.layout.layout}, {self.layout.width:.0f}x{self.layout.height:.0f} pt>")

    def save(self, path: str | Path, formats: Iterable[str] = ("svg", "png")) -> list[Path]:
        """Write frame 0 (the picture) as ``path.svg``, ``path.png``, ``path.pdf`` (a suffix on ``path`` is dropped)."""
        from .files import check_output, write_atomic

        formats = tuple(formats)
        unknown = [f for f in formats if f not in ("svg", "png", "pdf")]
        if unknown or not formats:
            raise ValueError(f"save: formats must be some of svg, png, pdf, got {formats!r}")
        base = Path(path)
        if base.suffix[1:].lower() in ("svg", "png", "pdf", "dot"):
            base = base.with_suffix("")
        targets = [check_output(base.with_name(f"{base.name}.{f}"), "save") for f in formats]
        return [write_atomic(target, self.svg() if f == "svg" else raster(self.layout, self.frames[0], f), "save")
                for target, f in zip(targets, formats)]

    def to_json(self) -> dict[str, Any]:
        """``{"svg": the template, "width", "height", "text_ids", "lit_ids", "frames": [Frame.to_json(), ...]}``."""
        frames = []
        for frame in self.frames:
            state = frame.to_json()
            state["text"] = self.layout.state(frame)
            state["lit"] = [k for k in state["lit"] if k in set(self.layout.lit_ids)]
            frames.append(state)
        return {"svg": self.layout.svg(), "width": self.layout.width, "height": self.layout.height,
                "style": self.layout.style, "layout": self.layout.layout,
                "text_ids": self.layout.text_ids, "lit_ids": self.layout.lit_ids, "frames": frames}


def frame_set(root: Value, kind: str = "backward", style: str = "slide", layout: str | None = None, digits: int = 2,
              fit: str | None = None, show_local_grads: bool = False, copies: Iterable[Value] = ()) -> FrameSet:
    """The frames of ``root``'s backward (or forward) pass, all on one layout (``dot`` runs once).

    ``copies``: nodes that only rename their input (``GraphExample.copies``), drawn as wires of a copy node.
    """
    check_options(style, layout, digits, fit, f"{kind}_frames")
    if kind not in ("backward", "forward"):
        raise ValueError(f"frame_set: kind must be 'backward' or 'forward', got {kind!r}")
    graph = _Graph.of(check_root(root, f"{kind}_frames"), digits, copies)
    frames = _backward(graph, show_local_grads) if kind == "backward" else _forward(graph, show_local_grads)
    _final(graph, True, show_local_grads, "")  # room for the finished picture's texts too: the same layout serves it
    return FrameSet(_lay_out(graph, style, layout, fit), frames, root)


def picture(root: Value, style: str = "slide", layout: str | None = None, digits: int = 2, fit: str | None = None,
            show_grad: bool | str = True, show_local_grads: bool = False, caption: str = "",
            copies: Iterable[Value] = ()) -> FrameSet:
    """The finished picture of ``root``'s graph as a one-frame set (values and ``.grad`` of every node)."""
    check_options(style, layout, digits, fit, "draw")
    graph = _Graph.of(check_root(root, "draw"), digits, copies)
    final = _final(graph, show_grad, show_local_grads, caption)
    return FrameSet(_lay_out(graph, style, layout, fit), [final], root)


__all__ = ["Frame", "FrameSet", "Layout", "backward_states", "final_state", "forward_states", "frame_set",
           "picture", "text_width"]


# --- raster and PDF: the same layout and states, drawn with matplotlib ----------------------

RASTER_SCALE = 2.0  # pixels per point in PNG/GIF frames: 144 dpi, sharp on a projector
_FAMILIES = ["Helvetica", "Arial", "Liberation Sans", "Nimbus Sans", "DejaVu Sans"]


@cache
def _family() -> str:
    """The first of Helvetica's stand-ins that matplotlib has (Liberation/Nimbus Sans share its widths)."""
    from matplotlib import font_manager

    for family in _FAMILIES:
        try:
            font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        return family
    return "sans-serif"


def _figure(layout: Layout, frame: Frame | None) -> Any:
    """A matplotlib Figure of ``layout`` with ``frame`` applied, one figure unit per point."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(layout.width / 72, layout.height / 72), dpi=72)
    paint(page_axes(fig, layout.width, layout.height), layout, frame)
    return fig


def page_axes(fig: Any, width: float, height: float) -> Any:
    """Axes over all of ``fig`` in points, y down, as the layouts are drawn."""
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    return ax


def paint(ax: Any, layout: Layout, frame: Frame | None, scale: float = 1.0,
          origin: tuple[float, float] = (0.0, 0.0)) -> None:
    """Draw ``layout`` with ``frame`` applied on ``ax`` (in points), ``scale``d and moved to ``origin``."""
    from matplotlib.patches import Ellipse, FancyBboxPatch, PathPatch, Polygon
    from matplotlib.path import Path as MPath

    text = layout.state(frame)
    lit = frame.lit if frame is not None else frozenset()
    ox, oy = origin

    def at(point: tuple[float, float]) -> tuple[float, float]:
        return ox + point[0] * scale, oy + point[1] * scale

    z = 1
    for group in layout.groups:
        for shape in group.shapes:
            s = _lit(shape) if group.id in lit else shape
            width = s.width * scale
            if s.kind == "rect":
                (x, y), (w, h) = at(s.points[0]), (s.points[1][0] * scale, s.points[1][1] * scale)
                ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                            boxstyle=f"round,pad=0,rounding_size={4 * scale}",
                                            facecolor=s.fill, edgecolor=s.stroke, linewidth=width, zorder=z))
            elif s.kind == "ellipse":
                w, h = s.points[1]
                ax.add_patch(Ellipse(at(s.points[0]), w * scale, h * scale, facecolor=s.fill, edgecolor=s.stroke,
                                     linewidth=width, zorder=z))
            elif s.kind == "dot":
                ax.add_patch(Ellipse(at(s.points[0]), 8 * scale, 8 * scale, facecolor=s.fill, edgecolor="none",
                                     zorder=z))
            else:
                codes = [MPath.MOVETO] + [MPath.CURVE4] * (len(s.points) - 1)
                ax.add_patch(PathPatch(MPath([at(p) for p in s.points], codes), facecolor="none",
                                       edgecolor=s.stroke, linewidth=width, zorder=z))
                if s.arrow:
                    ax.add_patch(Polygon([at(p) for p in s.arrow], closed=True, facecolor=s.stroke,
                                         edgecolor=s.stroke, linewidth=scale, zorder=z))
        z += 1
        for t in group.texts:
            content = text.get(t.id, "") if t.id else t.content
            if content:
                ax.text(*at((t.x, t.y)), content, fontsize=t.size * scale, color=t.colour,
                        ha={"start": "left", "end": "right"}.get(t.anchor, "center"), va="baseline",
                        fontweight="bold" if t.bold else "normal", family=_family(), zorder=z)
        z += 1


def raster(layout: Layout, frame: Frame | None, fmt: str = "png", scale: float = RASTER_SCALE) -> bytes:
    """``layout`` with ``frame`` applied as PNG (``scale`` pixels per point) or a one-page PDF."""
    import io

    buffer = io.BytesIO()
    _figure(layout, frame).savefig(buffer, format=fmt, dpi=72 * scale, facecolor="white")
    return buffer.getvalue()


def gif(frame_set_: FrameSet, seconds: float = 1.5, scale: float = 1.0, pngs: list[bytes] | None = None) -> bytes:
    """The frames as an animated GIF (one image per frame, ``seconds`` each, looping), via Pillow.

    ``pngs``: the frames already rendered as PNG (by ``raster``), so they are not drawn twice.
    """
    import io

    from PIL import Image

    if pngs is None:
        pngs = [raster(frame_set_.layout, f, "png", scale) for f in frame_set_.frames]
    images = [Image.open(io.BytesIO(png)).convert("RGB").quantize(64) for png in pngs]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=int(seconds * 1000),
                   loop=0, disposal=1)
    return buffer.getvalue()


def pdf(frame_set_: FrameSet) -> bytes:
    """The frames as a PDF, one page per frame (for slides)."""
    import io

    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    with PdfPages(buffer) as pages:
        for frame in frame_set_.frames:
            pages.savefig(_figure(frame_set_.layout, frame), facecolor="white")
    return buffer.getvalue()


FRAME_FORMATS = ("svg", "png", "gif", "pdf")


def save_frames(frame_set_: FrameSet, directory: str | Path, formats: Iterable[str] = ("svg",),
                stem: str = "step") -> list[Path]:
    """Write the frames into ``directory``: ``step-01.svg``, ... (``svg``, ``png``), ``steps.gif`` and ``steps.pdf``."""
    from .files import check_output, write_atomic

    formats = tuple(formats)
    unknown = [f for f in formats if f not in FRAME_FORMATS]
    if unknown or not formats:
        raise ValueError(f"save_frames: formats must be some of {', '.join(FRAME_FORMATS)}, got {formats!r}")
    out = Path(directory)
    width = max(2, len(str(len(frame_set_))))
    names = [out / f"{stem}-{i:0{width}d}" for i in range(1, len(frame_set_) + 1)]
    for path in [*(n.with_suffix(f".{f}") for n in names for f in formats if f in ("svg", "png")),
                 *(out / f"{stem}s.{f}" for f in formats if f in ("gif", "pdf"))]:
        check_output(path, "frames")
    written, pngs = [], []
    for name, frame in zip(names, frame_set_.frames):
        if "svg" in formats:
            written.append(write_atomic(name.with_suffix(".svg"), frame_set_.layout.svg(frame), "frames"))
        if "png" in formats:
            pngs.append(raster(frame_set_.layout, frame))
            written.append(write_atomic(name.with_suffix(".png"), pngs[-1], "frames"))
    if "gif" in formats:
        written.append(write_atomic(out / f"{stem}s.gif", gif(frame_set_, pngs=pngs or None), "frames"))
    if "pdf" in formats:
        written.append(write_atomic(out / f"{stem}s.pdf", pdf(frame_set_), "frames"))
    return written


# --- printed pages: a layout fitted to A4 or Letter under a few header lines ------------------

PAPERS = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}  # portrait, in points
MARGIN = 36.0  # points (12.7 mm)
HEADER_SIZE = 12.0
MM = 72 / 25.4


@dataclass
class Page:
    """A layout placed on a paper page: the orientation, where the graph sits and how much it is scaled."""

    layout: Layout
    paper: str
    landscape: bool
    scale: float
    origin: tuple[float, float]
    header: list[str]

    @property
    def size(self) -> tuple[float, float]:
        w, h = PAPERS[self.paper]
        return (h, w) if self.landscape else (w, h)

    def render(self, frame: Frame | None, fmt: str = "pdf", dpi: float = 150) -> bytes:
        """The page with ``frame`` applied as one-page PDF, PNG (``dpi``) or SVG."""
        import io

        from matplotlib.figure import Figure

        width, height = self.size
        fig = Figure(figsize=(width / 72, height / 72), dpi=72)
        ax = page_axes(fig, width, height)
        y = MARGIN + HEADER_SIZE
        for j, line in enumerate(self.header):
            ax.text(MARGIN, y, line, fontsize=HEADER_SIZE + (2 if j == 0 else 0), color=INK, va="baseline",
                    family=_family(), fontweight="bold" if j == 0 else "normal")
            y += (HEADER_SIZE + 2) * 1.9 if j == 0 else HEADER_SIZE * 1.5
        paint(ax, self.layout, frame, self.scale, self.origin)
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=dpi, facecolor="white")
        return buffer.getvalue()


def _wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` broken at spaces into lines at most ``width`` points wide at font ``size``."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def header_height(lines: int) -> float:
    return MARGIN + (HEADER_SIZE + 2) * 1.9 + HEADER_SIZE * 1.5 * max(lines - 1, 0) + 6


def place(layout: Layout, paper: str, header: list[str], landscape: bool) -> Page:
    """``layout`` scaled to fill the page below ``header`` (never enlarged past twice its size), centred."""
    w, h = PAPERS[paper]
    width, height = (h, w) if landscape else (w, h)
    header = [line for text in header for line in _wrap(text, width - 2 * MARGIN, HEADER_SIZE)]
    top = header_height(len(header))
    room_w, room_h = width - 2 * MARGIN, height - top - MARGIN
    scale = min(room_w / layout.width, room_h / layout.height, 2.0)
    origin = (MARGIN + (room_w - layout.width * scale) / 2, top)
    return Page(layout, paper, landscape, scale, origin, header)


def blank_sheet(root: Value, blanks: dict[tuple[Value, int], tuple[str, str]], ask: str, paper: str = "a4",
                style: str = "slide", digits: int = 2, header: Sequence[str] = (),
                min_blank_mm: float = 8.0) -> tuple[Page, Frame, Frame]:
    """A worksheet page: the graph with every value and a box to write in for each question, and its key.

    ``blanks`` maps (node, input index) - the wire of a question - to (question number, answer
    text); ``ask`` "downstream" puts each box where that wire's gradient is drawn, "local" where
    its local gradient is. Tries LR on a landscape page and TB on a portrait one, keeps the larger,
    and grows the boxes until they are ``min_blank_mm`` tall printed. Returns (page, sheet, key).
    """
    check_options(style, None, digits, None, "worksheet")
    if paper not in PAPERS:
        raise ValueError(f"worksheet: paper must be one of {', '.join(PAPERS)}, got {paper!r}")
    graph = _Graph.of(check_root(root, "worksheet"), digits)
    sheet = _final(graph, False, False, "")
    best: Page | None = None
    for layout, landscape in (("LR", True), ("TB", False)):
        blank = (56.0, 26.0)
        for _ in range(4):
            probe = _Builder(graph, style, layout, {}, {}, blank)
            keys = {wire: _blank_key(probe, wire, ask) for wire in blanks}
            key_frame = dict(sheet.text)
            for wire, (_, answer) in blanks.items():
                graph.put(key_frame, keys[wire], answer)
            longest = {k: max(text_width(t, NUMBER_SIZE) for t in ts) for k, ts in graph.written.items()}
            builder = _Builder(graph, style, layout, longest, {keys[w]: q for w, (q, _) in blanks.items()}, blank)
            page = place(builder.build(None), paper, list(header), landscape)
            if blank[1] * page.scale >= min_blank_mm * MM:
                break
            grow = min_blank_mm * MM * 1.04 / (blank[1] * page.scale)
            blank = (max(blank[0], blank[0] * grow ** 0.5), blank[1] * grow)
        if best is None or page.scale > best.scale:
            best, best_key = page, key_frame
    assert best is not None
    return best, sheet, Frame(0, "final", "", best_key)


def _blank_key(builder: _Builder, wire: tuple[Value, int], ask: str) -> str:
    """The text id where a wire's downstream gradient (or local gradient) is drawn in ``builder``'s style."""
    consumer, k = wire
    graph = builder.graph
    name = graph.wire(consumer, k)
    if ask == "local":
        return f"{name}-local"
    v = consumer.inputs[k]
    if builder.style == "boxes" or builder.shared_leaf(v) or v is graph.root or len(graph.drawn[v]) > 1:
        return f"{name}-grad"
    return f"{graph.ids[v]}-grad"
