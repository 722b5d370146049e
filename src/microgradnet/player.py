"""The backprop player: one self-contained, offline HTML page per graph, in a browser or a notebook.

``save_html(root, path)`` writes it; ``Player`` shows it in a notebook (an iframe, so it works in
exported HTML without widget state). The page holds the graph laid out once as SVG, the frames of
the forward and backward passes as data (captions and numbers from ``trace_forward`` and
``trace_backward``), every node's numbers, and the practice questions of ``practice.questions``;
its script only shows, hides and compares them. A Content-Security-Policy meta tag forbids every
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
from .practice import Question, questions
from .render import NoRenderer, trace_text
from .trace import check_root, fmt, node_name, node_title, reading_order, trace_backward, trace_forward

MODES = ("steps", "practice")


def _asset(name: str) -> str:
    """The text of one of the page's own files (``page/player.js``, ``page/player.css``), shipped as package data."""
    return (resources.files("microgradnet") / "page" / name).read_text(encoding="utf-8")


def _group(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"({', '.join(items)})"


def _svg_ids(order: list[Value]) -> dict[Value, list[str]]:
    """Each Value's elements in ``draw_dot``'s SVG, in Graphviz's numbering: its box, its op, its wires."""
    ids: dict[Value, list[str]] = {}
    nodes = edges = 0
    for v in order:
        nodes += 1
        ids[v] = [f"node{nodes}"]
        if v.inputs:
            nodes += 1
            ids[v].append(f"node{nodes}")
            ids[v] += [f"edge{edges + k}" for k in range(1, len(v.inputs) + 2)]
            edges += len(v.inputs) + 1
    return ids


def _drawing(root: Value) -> str:
    """The graph laid out once, as inline SVG (values shown, gradients left to the frames)."""
    from .render import render
    from .viz import draw_dot

    try:
        svg = render(draw_dot(root, show_grad=False, max_nodes=None).source, "svg").decode("utf-8")
    except NoRenderer as err:
        return (f'<pre class="no-drawing">({html.escape(str(err))}: no drawing, the steps below carry every '
                f'number)\n{html.escape(trace_text(root))}</pre>')
    return svg[svg.index("<svg"):]


def page_data(root: Value, digits: int = 2, tolerance: float = 0.005, mode: str = "steps") -> dict[str, Any]:
    """What the page shows, as JSON-ready data: frames, nodes and practice questions, all as printed text.

    Leaves every ``.grad`` as it was.
    """
    check_root(root, "save_html")
    if mode not in MODES:
        raise ValueError(f"save_html: mode must be 'steps' or 'practice', got {mode!r}")
    order = reading_order(root)
    key = {v: f"n{i}" for i, v in enumerate(order)}
    svg = _svg_ids(order)
    saved = {v: v.grad for v in topological_order(root)}
    try:
        backward = trace_backward(root, digits)
        grads = {v: v.grad for v in order}
    finally:
        for v, grad in saved.items():
            v.grad = grad
    forward = trace_forward(root, digits)
    frames: list[dict[str, Any]] = []
    for i, fstep in enumerate(forward, 1):
        caption = str(fstep)
        frames.append({"pass": "forward", "n": i, "of": len(forward), "caption": caption, "hidden": caption,
                       "node": key[fstep.node], "lit": svg[fstep.node], "text": {}})
    first_backward = len(frames)
    for i, bstep in enumerate(backward, 1):
        title, locals_ = node_title(bstep.node), [fmt(x, digits) for x in bstep.local]
        hidden = (f"{title}: upstream ? × local {_group(locals_)} = ? → "
                  f"{_group([node_name(v, digits) for v in bstep.inputs])}" if bstep.inputs else f"{title}: receives ?")
        frames.append({"pass": "backward", "n": i, "of": len(backward), "caption": str(bstep), "hidden": hidden,
                       "node": key[bstep.node], "lit": svg[bstep.node], "text": {}})
    frame_of = {bstep.node: first_backward + i for i, bstep in enumerate(backward)}
    rules = {(q.node, q.index): q.rule() for q in questions(root, "local", tolerance)} if root.inputs else {}
    nodes = {
        key[v]: {"svg": svg[v], "title": node_title(v), "op": str(v.op), "data": fmt(v.data, digits),
                 "grad": fmt(grads[v], digits),
                 "locals": [{"to": node_name(inp, digits), "local": fmt(local, digits), "rule": rules[(v, i)]}
                            for i, (inp, local) in enumerate(zip(v.inputs, v.local_grads))]}
        for v in order
    }
    return {"title": f"Backpropagation through {node_name(root, digits)} = {fmt(root.data, digits)}",
            "mode": mode, "start": first_backward if mode == "practice" else 0, "frames": frames, "nodes": nodes,
            "gradIds": [], "practice": _practice_data(root, tolerance, frame_of) if root.inputs else None}


def _practice_data(root: Value, tolerance: float, frame_of: dict[Value, int]) -> dict[str, Any]:
    """The questions of ``practice(root)`` with their answers as numbers, for the page to compare against."""
    qs = questions(root, "downstream", tolerance)
    steps, answers = qs[-1].step_number, len(qs)
    intro = (f"Backward pass of {node_name(root)} = {fmt(root.data, qs[0].digits)}: {steps} steps, "
             f"{answers} downstream gradients to find, to {qs[0].digits} decimals.")
    return {"intro": intro, "tolerance": tolerance, "questions": [
        {"id": q.id, "header": q.header(), "prompt": q.prompt().strip(), "expected": q.expected, "shown": q.shown,
         "hint": q.hint(), "explain": q.explain(), "frame": frame_of[q.node], "before": frame_of[q.node] - 1,
         "mistakes": mistakes(q, tolerance)}
        for q in qs]}


def mistakes(question: Question, tolerance: float) -> list[dict[str, Any]]:
    """The usual wrong answers to ``question`` with what each means, for the page to name the mistake.

    Each entry is ``{"value": number, "text": diagnosis}``; the page only compares numbers with it.
    No diagnoses are known yet (the feedback module supplies them), so the page explains every wrong answer.
    """
    return []


def player_html(root: Value, digits: int = 2, tolerance: float = 0.005, mode: str = "steps") -> str:
    """The player page of ``root``'s graph as one HTML document: CSS, script, SVG and data inline."""
    data = page_data(root, digits, tolerance, mode)
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
<button type="button" id="p-prev" aria-label="previous step (left arrow)" title="previous step (&#x2190;)">&#x25C0;</button>
<input type="range" id="p-step" min="0" max="0" value="0" aria-label="step">
<button type="button" id="p-next" aria-label="next step (right arrow)" title="next step (&#x2192;)">&#x25B6;</button>
<button type="button" id="p-end" aria-label="last step (End)" title="last step (End)">&#x25B6;|</button>
<span id="p-where" aria-live="polite"></span>
</div>
<div class="toggles">
<button type="button" id="p-hide" aria-pressed="false" title="hide gradients (g)">Hide gradients</button>
<button type="button" id="p-projector" aria-pressed="false">Projector</button>
<button type="button" id="p-zoom" aria-pressed="false">Actual size</button>
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
<div class="graph">{_drawing(root)}</div>
<aside id="p-details" tabindex="-1" aria-live="polite"></aside>
</div>
<noscript><pre>{html.escape(trace_text(root))}</pre></noscript>
<p class="keys">Keys: <kbd>&#x2190;</kbd> <kbd>&#x2192;</kbd> step, <kbd>Home</kbd> <kbd>End</kbd>,
<kbd>g</kbd> hide gradients; <kbd>Tab</kbd> to a node and <kbd>Enter</kbd> shows its numbers.</p>
</main>
<script type="application/json" id="player-data">{payload}</script>
<script>{script}</script>
</body>
</html>
"""


def save_html(root: Value, path: str | Path, digits: int = 2, tolerance: float = 0.005, mode: str = "steps") -> Path:
    """Write the player page of ``root``'s graph to ``path`` (one offline file); returns the path.

    ``mode="practice"`` opens the page in practice mode. The path is checked before any work.
    """
    check_output(path, "save_html")
    return write_atomic(path, player_html(root, digits, tolerance, mode), "save_html")


@dataclass
class Player:
    """The player page displayed in a notebook: an iframe holding the page, and the trace as plain text."""

    root: Value
    mode: str = "steps"
    digits: int = 2
    tolerance: float = 0.005

    def __repr__(self) -> str:
        return f"<Player of {node_name(self.root)}: {len(topological_order(self.root))} nodes>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        page = player_html(self.root, self.digits, self.tolerance, self.mode)
        frame = (f'<iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
                 f'title="backprop player" style="width:100%;height:{self.height()}px;border:1px solid #ccc"></iframe>')
        return {"text/html": frame, "text/plain": trace_text(self.root)}

    def height(self) -> int:
        """The iframe's height in pixels: the controls plus the drawing at a typical cell width (900 px)."""
        return 520 if self.mode == "steps" else 640
