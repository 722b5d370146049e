"""Drawing without a system Graphviz: graphviz-pure (the ``render`` extra), the text fallback, and Pyodide."""
from __future__ import annotations

import errno
import shutil
import subprocess
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from microgradnet import draw_dot, render, save_html, topological_order, viz
from microgradnet.cli import main
from microgradnet.examples import copy_node, neuron
from microgradnet.frames import frame_set

SVG = "{http://www.w3.org/2000/svg}"
SYSTEM_DOT = shutil.which("dot")


def no_system_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A PATH without ``dot`` (graphviz-pure, installed beside this Python by the extra, stays findable)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(empty))


def no_renderer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Neither ``dot`` nor graphviz-pure: as without Graphviz and without the ``render`` extra."""
    no_system_dot(monkeypatch, tmp_path)
    monkeypatch.setattr(render, "_graphviz_pure", lambda: None)


def structure(svg: str) -> tuple[list[str], list[str], list[str]]:
    """What Graphviz drew, without coordinates: node titles, edge titles, and every text, each sorted."""
    root = ET.fromstring(svg)
    groups = {"node": [], "edge": []}  # type: dict[str, list[str]]
    for g in root.iter(f"{SVG}g"):
        if g.get("class") in groups:
            groups[g.get("class", "")].append(g.findtext(f"{SVG}title") or "")
    texts = sorted((t.text or "").strip() for t in root.iter(f"{SVG}text"))
    return sorted(groups["node"]), sorted(groups["edge"]), texts


def test_the_order_of_renderers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert SYSTEM_DOT is not None  # CI installs Graphviz: the comparisons below need it
    assert [r.name for r in render.renderers()] == ["dot", "graphviz-pure"]
    no_system_dot(monkeypatch, tmp_path)
    assert [r.name for r in render.renderers()] == ["graphviz-pure"]
    assert render.can_render("png") and not render.can_render("pdf")  # graphviz-pure 0.2.2 writes no PDF
    no_renderer(monkeypatch, tmp_path)
    assert render.renderers() == [] and not render.can_render()
    with pytest.raises(render.NoRenderer, match="no Graphviz renderer for svg: dot was not found"):
        render.render("digraph { a -> b }", "svg")


@pytest.mark.parametrize("build", [neuron, copy_node])
def test_graphviz_pure_draws_what_system_graphviz_draws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         build: Any) -> None:
    root = build().root
    root.backward()
    graph = draw_dot(root, show_local_grads=True)
    system = viz.svg(graph)
    no_system_dot(monkeypatch, tmp_path)
    pure = viz.svg(graph)
    assert system is not None and pure is not None and "graphviz-pure" in pure
    assert structure(pure) == structure(system)
    assert {viz.number(v.grad) for v in topological_order(root)} <= set(structure(pure)[2])  # every grad drawn
    assert list(root._repr_mimebundle_()) == ["text/plain", "image/svg+xml"]
    paths = viz.save(graph, tmp_path / "out" / "g")
    assert [p.name for p in paths] == ["g.svg", "g.png"] and paths[1].read_bytes()[:4] == b"\x89PNG"


def test_the_frame_model_lays_out_with_graphviz_pure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def ids_and_texts(svg: str) -> tuple[list[str], list[tuple[str, str]]]:
        tree = ET.fromstring(svg)
        return (sorted(e.get("id", "") for e in tree.iter() if e.get("id")),
                sorted((t.get("id") or "", t.text or "") for t in tree.iter(f"{SVG}text")))

    root = copy_node().root
    system = frame_set(root)
    no_system_dot(monkeypatch, tmp_path)
    pure = frame_set(root)
    assert len(pure) == len(system) == 4
    for i in range(len(pure)):
        assert ids_and_texts(pure.svg(i)) == ids_and_texts(system.svg(i))
    assert "5.00 + 2.00 = 7.00" in pure.svg(1)  # the copy node's running sum


def test_bad_dot_is_a_render_error() -> None:
    with pytest.raises(render.RenderError, match=r"dot -Tsvg failed: .*syntax error"):
        render.render("digraph { a -> }", "svg")


def test_text_fallback_in_the_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    no_renderer(monkeypatch, tmp_path)
    assert main(["example", "add-mul", "--out", str(tmp_path / "out")]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["add-mul.dot"]
    err = capsys.readouterr().err
    assert "written as .dot files" in err and "pip install 'microgradnet[render]'" in err


def pyodide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Processes cannot be started, as in Pyodide (JupyterLite), whatever is on PATH."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOTSUP, "emscripten does not support processes")

    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)


def test_pyodide_falls_back_without_raising(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pyodide(monkeypatch)
    root = neuron().root
    with pytest.raises(render.NoRenderer, match="dot cannot run here .emscripten does not support processes."):
        render.render("digraph { a -> b }", "svg")
    bundle = root._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "exp(-z) (exp): upstream -0.53 × local 0.37 = -0.20 → -z" in bundle["text/plain"]
    drawing = draw_dot(root)._repr_mimebundle_()
    assert "upstream -0.53 × local 0.37" in drawing["text/plain"] and "digraph" not in drawing["text/plain"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = viz.save(draw_dot(root), tmp_path / "neuron")
    assert [p.name for p in paths] == ["neuron.dot"] and "dot -Tsvg" in str(caught[0].message)
    page = save_html(root, tmp_path / "neuron.html").read_text(encoding="utf-8")
    assert "No drawing: Graphviz" in page and "backward step 3/13:  exp(-z) (exp): upstream -0.53" in page


def test_a_format_graphviz_pure_does_not_write(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    no_system_dot(monkeypatch, tmp_path)
    with pytest.warns(RuntimeWarning, match=r"not found \(graphviz-pure does not write pdf\), so only .*g\.dot"):
        paths = viz.save(draw_dot(neuron().root), tmp_path / "g", formats="pdf")
    assert [p.name for p in paths] == ["g.dot"]
