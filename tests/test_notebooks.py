"""The stored lecture notebooks: they match their sources, a rebuild reproduces them, and nothing renders blank."""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
spec = importlib.util.spec_from_file_location("build_notebooks", NOTEBOOKS / "build_notebooks.py")
assert spec is not None and spec.loader is not None
build_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_notebooks)

SOURCES = build_notebooks.sources([])
OPTIONAL = ("ipywidgets", "numpy", "torch")  # optional packages a reader may lack (notebook 02 plots nothing)
WIDGET = "application/vnd.jupyter.widget-view+json"
DRAWING = re.compile(r"<svg.*?</svg>", re.DOTALL)  # Graphviz's SVG depends on its version and the fonts


def stored(source: Path) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{source.stem}.ipynb", as_version=4)


def test_every_source_has_its_notebook_and_every_notebook_its_source() -> None:
    assert len(SOURCES) >= 10
    assert {s.stem for s in SOURCES} == {p.stem for p in NOTEBOOKS.glob("*.ipynb")}


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_stored_notebook_matches_its_source(source: Path) -> None:
    expected = build_notebooks.convert(source)
    nb = stored(source)
    assert nb.metadata == expected.metadata
    assert [(c.id, c.cell_type, c.source, c.metadata) for c in nb.cells] == [
        (c.id, c.cell_type, c.source, c.metadata) for c in expected.cells]


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_build_markers_are_hidden_metadata_not_visible_comments(source: Path) -> None:
    for cell in stored(source).cells:
        assert "NBVAL" not in cell.source and "README image" not in cell.source
    checked = [c for c in stored(source).cells if "nbval-check-output" in c.metadata.get("tags", [])]
    assert all(c.cell_type == "code" and c.outputs for c in checked)  # a tag nbval can compare against


def block(packages: tuple[str, ...], where: Path) -> Path:
    """A folder that, first on PYTHONPATH, makes ``import PACKAGE`` fail as if it were not installed."""
    for name in packages:
        (where / name).mkdir(parents=True)
        (where / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked for this test')\n")
    return where


def without_drawings(nb: nbformat.NotebookNode) -> str:
    """The notebook's JSON with SVG drawings and PNG plots blanked (they depend on Graphviz/matplotlib versions)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                data["image/png"] = "PNG"
            for kind in ("image/svg+xml", "text/html"):
                if kind in data:
                    data[kind] = DRAWING.sub("<svg/>", "".join(data[kind]))
    return nbformat.writes(nb)


def test_rebuild_is_byte_identical_with_or_without_the_optional_packages(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    source = NOTEBOOKS / "src" / "02_sigmoid_neuron.py"  # the notebook with the step frames
    (tmp_path / "installed").mkdir()
    as_installed = build_notebooks.build(source, tmp_path / "installed", images=False)
    blocked = block(OPTIONAL, tmp_path / "blocked-packages")
    monkeypatch.setenv("PYTHONPATH", ":".join([str(blocked), *sys.path]))
    (tmp_path / "without").mkdir()
    without = build_notebooks.build(source, tmp_path / "without", images=False)
    assert as_installed.read_bytes() == without.read_bytes()
    rebuilt = nbformat.read(as_installed, as_version=4)
    assert without_drawings(rebuilt) == without_drawings(stored(source))


def rendered_outputs(nb: nbformat.NotebookNode) -> list[tuple[str, bool]]:
    """For each output area nbconvert's HTML export draws: its CSS classes, and whether it shows anything."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter().from_notebook_node(nb)
    areas = BeautifulSoup(html, "html.parser").select("div.jp-OutputArea-output")

    def shows_something(area: Any) -> bool:
        frame = area.find("iframe")  # a page of its own (the step player): it must have content
        return bool(area.get_text(strip=True) or area.find(["img", "svg", "table"])
                    or (frame is not None and (frame.get("srcdoc", "").strip() or frame.get("src"))))

    return [(" ".join(a.get("class", [])), shows_something(a)) for a in areas]


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_no_output_renders_blank_in_html(source: Path) -> None:
    nb = stored(source)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if WIDGET in o.get("data", {})]  # a static page has no widget state to draw
    rich = [o for o in outputs if set(o.get("data", {})) - {"text/plain"}]
    areas = rendered_outputs(nb)
    assert len(areas) == len(outputs) and all(shown for _, shown in areas)
    assert sum("RenderedText" not in classes for classes, _ in areas) == len(rich)  # rich outputs are not text
