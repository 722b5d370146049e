"""The backprop player: one self-contained, offline HTML page per graph, in a browser or a notebook.

``save_html(root, path)`` writes it; ``Player`` shows it in a notebook (an iframe, so it works in
exported HTML without widget state). The page holds the graph laid out once as SVG, the frames of
the forward and backward passes as data (the frame model of ``frames``, whose numbers come from
the trace), every node's numbers, and the practice questions of ``practice.questions`` with the
numbers of the usual mistakes (``feedback.mistake_table``); its script only shows, hides and
compares them. A Content-Security-Policy meta tag forbids every
network request, and the script is allowed by its hash alone.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .engine import Value, topological_order
from .files import check_output, write_atomic
from .practice import questions
from .render import NoRenderer, trace_text
from .trace import Step, check_root, fmt, fresh_pass, node_name, node_title, reading_order, trace_forward

MODES = ("steps", "practice")


def _asset(name: str) -> str:
    """The text of one of the page's own files (``page/player.js``, ``page/player.css``), shipped as package data."""
    return (resources.files("microgradnet") / "page" / name).read_text(encoding="utf-8")


def _group(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"({', '.join(items)})"


def _frames(root: Value, digits: int, style: str) -> dict[str, Any]:
    """The frame model of both passes on ONE layout: ``FrameSet.to_json()`` with the forward frames first.

    A ``frame_set`` holds one pass; the two are laid out together here so that stepping from the
    forward into the backward pass keeps the canvas (dot runs once).
    """
    from . import frames

    frames.check_options(style, "LR", digits, None, "save_html")
    graph = frames._Graph.of(root, digits)
    states = frames._forward(graph, False) + frames._backward(graph, False)
    frames._final(graph, True, True, "")  # room for the finished picture's texts, as frame_set leaves
    return frames.FrameSet(frames._lay_out(graph, style, "LR", None), states, root).to_json()


def _drawing(model: dict[str, Any] | None) -> str:
    """The laid-out SVG to embed, or a note when no renderer could lay the graph out (the captions carry on)."""
    if model is not None:
        return str(model["svg"])
    return ('<p class="no-drawing">No drawing: Graphviz\'s dot was not found (pip install '
            '\'microgradnet[render]\' draws without it). Every number is in the steps above.</p>')


def _hidden(step: Step, digits: int) -> str:
    """A backward step's line with its gradients as "?": the question the class is asked before the reveal."""
    title = node_title(step.node)
    if not step.inputs:
        return f"{title}: receives ?"
    locals_ = _group([fmt(x, digits) for x in step.local])
    return f"{title}: upstream ? × local {locals_} = ? → {_group([node_name(v, digits) for v in step.inputs])}"


def page_data(root: Value, digits: int = 2, tolerance: float = 0.005, mode: str = "steps",
              style: str = "slide", ask: str = "downstream") -> dict[str, Any]:
    """What the page shows, as JSON-ready data: the frame model, each node's numbers, the practice questions.

    Every text is as microgradnet prints it (``frames``, ``trace``, ``practice``); leaves ``.grad`` as it was.
    """
    check_root(root, "save_html")
    if mode not in MODES:
        raise ValueError(f"save_html: mode must be 'steps' or 'practice', got {mode!r}")
    order = reading_order(root)
    key = {v: f"v{i}" for i, v in enumerate(order)}  # the frame model's id of each node
    backward, fresh = fresh_pass(root, digits)  # this pass's numbers, the user's .grad untouched
    grads = {v: fresh[v] for v in order}
    try:
        model: dict[str, Any] | None = _frames(root, digits, style)
    except NoRenderer:
        model = None
    states = model["frames"] if model is not None else None
    forward = trace_forward(root, digits)
    frames: list[dict[str, Any]] = []
    for i, fstep in enumerate(forward):
        state = states[i] if states else {"caption": f"forward step {i + 1}/{len(forward)}:  {fstep}", "text": {}}
        frames.append({"pass": "forward", "n": i + 1, "of": len(forward), "caption": state["caption"],
                       "hidden": state["caption"], "node": key[fstep.node], "lit": state.get("lit", []),
                       "text": state["text"]})
    first_backward = len(frames)
    for i, bstep in enumerate(backward):
        state = states[first_backward + i] if states else {
            "caption": f"backward step {i + 1}/{len(backward)}:  {bstep}", "text": {}}
        frames.append({"pass": "backward", "n": i + 1, "of": len(backward), "caption": state["caption"],
                       "hidden": f"backward step {i + 1}/{len(backward)}:  {_hidden(bstep, digits)}",
                       "node": key[bstep.node], "lit": state.get("lit", []), "text": state["text"]})
    frame_of = {bstep.node: first_backward + i for i, bstep in enumerate(backward)}
    rules = {(q.node, q.index): q.rule() for q in questions(root, "local", tolerance)} if root.inputs else {}
    nodes = {
        key[v]: {"svg": [key[v]], "title": node_title(v), "op": str(v.op), "data": fmt(v.data, digits),
                 "grad": fmt(grads[v], digits),
                 "locals": [{"to": node_name(inp, digits), "local": fmt(local, digits), "rule": rules[(v, i)]}
                            for i, (inp, local) in enumerate(zip(v.inputs, v.local_grads))]}
        for v in order
    }
    grad_ids = [t for t in model["text_ids"] if t.endswith("-grad")] if model is not None else []
    return {"title": f"Backpropagation through {node_name(root, digits)} = {fmt(root.data, digits)}",
            "mode": mode, "start": first_backward if mode == "practice" else 0, "frames": frames, "nodes": nodes,
            "gradIds": grad_ids, "svg": _drawing(model), "trace": trace_text(root),
            "aspect": model["height"] / model["width"] if model is not None else None,
            "practice": _practice_data(root, ask, tolerance, frame_of) if root.inputs else None}


def _practice_data(root: Value, ask: str, tolerance: float, frame_of: dict[Value, int]) -> dict[str, Any]:
    """The questions of ``practice(root, ask)`` with their answers as numbers, for the page to compare against."""
    from .feedback import mistake_table

    qs = questions(root, ask, tolerance)
    table = mistake_table(qs, tolerance)
    steps, answers = qs[-1].step_number, len(qs)
    intro = (f"Backward pass of {node_name(root)} = {fmt(root.data, qs[0].digits)}: {steps} step{'s' * (steps > 1)}, "
             f"{answers} {ask} gradient{'s' * (answers > 1)} to find, to {qs[0].digits} decimals.")
    return {"intro": intro, "tolerance": tolerance, "questions": [
        {"id": q.id, "header": q.header(), "prompt": q.prompt().strip(), "expected": q.expected, "shown": q.shown,
         "hint": q.hint(), "explain": q.explain(), "frame": frame_of[q.node], "before": frame_of[q.node] - 1,
         "mistakes": table[q.id]}
        for q in qs]}


def player_html(root: Value, digits: int = 2, tolerance: float = 0.005, mode: str = "steps",
                style: str = "slide", ask: str = "downstream") -> str:
    """The player page of ``root``'s graph as one HTML document: CSS, script, SVG and data inline."""
    return _page(page_data(root, digits, tolerance, mode, style, ask))


def _page(data: dict[str, Any]) -> str:
    """The HTML document of ``page_data``'s data."""
    data = dict(data)
    drawing, trace = data.pop("svg"), data.pop("trace")  # in the page itself, not in its data
    script = _asset("player.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    policy = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
              f"base-uri 'none'; form-action 'none'")
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    title = html.escape(data["title"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{_asset("player.css")}</style>
</head>
<body>
<main id="player">
<h1>{title}</h1>
<div class="bar">
<div class="nav" role="toolbar" aria-label="steps">
<button type="button" id="p-home" aria-label="first step (Home)" title="first step (Home)">|&#x25C0;</button>
<button type="button" id="p-prev" aria-label="previous step (left arrow)" title="previous step (&#x2190;)">
&#x25C0;</button>
<input type="range" id="p-step" min="0" max="0" value="0" aria-label="step">
<button type="button" id="p-next" aria-label="next step (right arrow)" title="next step (&#x2192;)">&#x25B6;</button>
<button type="button" id="p-end" aria-label="last step (End)" title="last step (End)">&#x25B6;|</button>
<span id="p-where" aria-live="polite"></span>
</div>
<div class="toggles">
<button type="button" id="p-hide" aria-pressed="false" title="hide gradients (g)">Hide gradients</button>
<button type="button" id="p-projector" aria-pressed="false">Projector</button>
<button type="button" id="p-zoom" aria-pressed="false">Zoom</button>
<button type="button" id="p-practice" aria-pressed="false">Practice</button>
</div>
</div>
<div id="p-caption" class="caption" aria-live="polite">{html.escape(data["frames"][0]["caption"])}</div>
<section class="practice" aria-label="practice">
<div class="practice-grid">
<div>
<div id="p-question" class="question"></div>
<form id="p-form"><label for="p-answer" id="p-prompt"></label>
<input type="text" id="p-answer" autocomplete="off" spellcheck="false" placeholder="a number">
<button type="submit" id="p-check">Check</button>
<button type="button" id="p-hint">Hint</button>
<button type="button" id="p-stop">Stop</button></form>
<div id="p-score" class="score" aria-live="polite"></div>
<button type="button" id="p-again" hidden>Start again</button>
</div>
<ul id="p-feedback" class="feedback" aria-live="polite"></ul>
</div>
</section>
<div class="layout">
<div class="graph">{drawing}</div>
<aside id="p-details" tabindex="-1" aria-live="polite"></aside>
</div>
<noscript><pre>{html.escape(trace)}</pre></noscript>
<p class="keys">Keys: <kbd>&#x2190;</kbd> <kbd>&#x2192;</kbd> step, <kbd>Home</kbd> <kbd>End</kbd>,
<kbd>g</kbd> hide gradients; <kbd>Tab</kbd> to a node and <kbd>Enter</kbd> shows its numbers.</p>
</main>
<script type="application/json" id="player-data">{payload}</script>
<script>{script}</script>
</body>
</html>
"""


def save_html(root: Value, path: str | Path, digits: int = 2, tolerance: float = 0.005, mode: str = "steps",
              style: str = "slide", ask: str = "downstream") -> Path:
    """Write the player page of ``root``'s graph to ``path`` (one offline file); returns the path.

    ``mode="practice"`` opens the page in practice mode. The path is checked before any work.
    """
    check_output(path, "save_html")
    return write_atomic(path, player_html(root, digits, tolerance, mode, style, ask), "save_html")


@dataclass
class Player:
    """The player page displayed in a notebook: an iframe holding the page, and the trace as plain text."""

    root: Value
    mode: str = "steps"
    digits: int = 2
    tolerance: float = 0.005
    style: str = "slide"
    ask: str = "downstream"

    def __repr__(self) -> str:
        return f"<Player of {node_name(self.root)}: {len(topological_order(self.root))} nodes>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        data = page_data(self.root, self.digits, self.tolerance, self.mode, self.style, self.ask)
        frame = (f'<iframe srcdoc="{html.escape(_page(data), quote=True)}" sandbox="allow-scripts" '
                 f'title="backprop player" style="width:100%;height:{_height(data)}px;border:1px solid #ccc">'
                 f'</iframe>')
        return {"text/html": frame, "text/plain": trace_text(self.root)}


def _height(data: dict[str, Any]) -> int:
    """An iframe height for the page in a notebook cell (about 860 px wide): controls, drawing, the node's numbers."""
    controls = 230 + (190 if data["mode"] == "practice" else 0) + 190
    drawing = 860 * data["aspect"] if data["aspect"] is not None else 320
    return round(min(controls + drawing, 1000))
