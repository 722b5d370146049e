"""Running Graphviz's ``dot``: the system one, else graphviz-pure's, else none (and a text fallback).

Order: ``dot`` on PATH → the ``graphviz-pure`` program of the optional extra ``microgradnet[render]``
(a Rust port of Graphviz 16.1.0 with wheels for Windows, macOS and Linux; no PDF output yet) → no
renderer, where callers fall back to text: a notebook shows the trace, a file becomes ``.dot``.
Where processes cannot run at all (Pyodide raises ``OSError``), that is the same as no renderer.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from .engine import Value, topological_order
from .trace import fresh_pass, trace_forward

INSTALL_HINT = ("install Graphviz (apt-get install graphviz, brew install graphviz or conda install graphviz) "
                "or pip install 'microgradnet[render]'")
PURE_FORMATS = frozenset({"canon", "dot", "dot_json", "gv", "jpe", "jpeg", "jpg", "json", "json0", "plain", "plain-ext",
                          "png", "svg", "xdot", "xdot1.2", "xdot1.4", "xdot_json"})  # graphviz-pure -T? (0.2.2)


class NoRenderer(RuntimeError):
    """No program that can lay out a graph in the asked format: no ``dot``, or processes not supported.

    ``reasons`` says, per renderer found, why it could not (empty when none is installed).
    """

    def __init__(self, fmt: str, reasons: list[str]) -> None:
        super().__init__(f"no Graphviz renderer for {fmt}: {'; '.join(reasons) or 'dot was not found'}")
        self.reasons = reasons


class RenderError(RuntimeError):
    """The renderer ran and refused the graph; the message carries its first error line."""


@dataclass(frozen=True)
class Renderer:
    """A ``dot``-compatible program: its name (``dot`` or ``graphviz-pure``), its path, the formats it writes."""

    name: str
    path: str
    formats: frozenset[str] | None  # None: every format Graphviz has

    def writes(self, fmt: str) -> bool:
        return self.formats is None or fmt in self.formats


def renderers() -> list[Renderer]:
    """The renderers found, in the order they are tried: system ``dot``, then graphviz-pure."""
    found = []
    dot = shutil.which("dot")
    if dot:
        found.append(Renderer("dot", dot, None))
    pure = _graphviz_pure()
    if pure:
        found.append(Renderer("graphviz-pure", pure, PURE_FORMATS))
    return found


def _graphviz_pure() -> str | None:
    """graphviz-pure's program: on PATH, or beside this Python (a venv's kernel need not be activated)."""
    on_path = shutil.which("graphviz-pure")
    if on_path:
        return on_path
    name = "graphviz-pure.exe" if os.name == "nt" else "graphviz-pure"
    for scripts in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(scripts) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def render(source: str, fmt: str, engine: str = "dot") -> bytes:
    """DOT ``source`` laid out by ``engine`` (dot, neato, ...) in format ``fmt`` by the first renderer that writes it.

    Raises NoRenderer when none can (none installed, none writes ``fmt``, or no processes, as in
    Pyodide) and RenderError when the renderer rejects the graph.
    """
    tried = []
    for renderer in renderers():
        if not renderer.writes(fmt):
            tried.append(f"{renderer.name} does not write {fmt}")
            continue
        try:
            done = subprocess.run([renderer.path, f"-K{engine}", f"-T{fmt}"], input=source.encode("utf-8"),
                                  capture_output=True, check=False)
        except OSError as err:  # not startable here: Pyodide's "emscripten does not support processes"
            tried.append(f"{renderer.name} cannot run here ({err.strerror or err})")
            continue
        if done.returncode != 0:
            lines = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
            fallback = lines[0] if lines else f"exit code {done.returncode}"
            first = next((line for line in lines if "rror" in line), fallback)
            raise RenderError(f"Graphviz ({renderer.name} -T{fmt}) could not render the graph as {fmt}: {first[:200]}")
        return done.stdout
    raise NoRenderer(fmt, tried)


def can_render(fmt: str = "svg") -> bool:
    """Whether some installed renderer writes ``fmt`` (processes not supported still fail at ``render``)."""
    return any(r.writes(fmt) for r in renderers())


def trace_text(root: Value, max_nodes: int = 150) -> str:
    """The readable trace a drawing stands for when it cannot be drawn: forward values, then backward steps.

    The backward steps are those of a fresh pass; every ``.grad`` is left as it was.
    """
    nodes = topological_order(root)
    if len(nodes) > max_nodes:
        return f"(a graph of {len(nodes)} nodes; trace_backward(value) lists its steps)"
    backward = [str(step) for step in fresh_pass(root)[0]]
    forward = [str(step) for step in trace_forward(root)]
    return "\n".join(["forward:", *(f"  {line}" for line in forward),
                      "backward (upstream × local = downstream):", *(f"  {line}" for line in backward)])
