"""Build the lecture notebooks from their sources in ``notebooks/src/``, run them, and store the outputs.

Each source is a Python file in jupytext's "percent" format (``# %%`` starts a code cell,
``# %% [markdown]`` a markdown cell, IPython magics are commented out). jupytext converts it,
nbclient executes it in a fresh kernel, and the notebook is saved next to this script with its
outputs, so it reads well on a repository page. The result depends only on the source: cell ids
are derived from the file name, no timings or widget state are stored, memory addresses in
default reprs are dropped, and notebook metadata is reduced to the kernel. Build markers are cell
metadata, hidden from readers: the tag ``nbval-check-output`` (nbval compares that cell's output)
and ``readme_image="PATH"`` (the cell's first PNG is also written to PATH, relative to the
repository root), written in the source as ``# %% tags=["nbval-check-output"] readme_image="..."``.

Usage: ``python notebooks/build_notebooks.py [NAME ...]`` (default: every source).
"""
from __future__ import annotations

import base64
import re
import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SOURCES = HERE / "src"
CELL_TIMEOUT = 600  # seconds a single cell may run before the build fails
KEPT_CELL_METADATA = ("tags", "readme_image")  # jupytext's own hints (lines_to_next_cell, ...) are dropped
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # default reprs (<... object at 0x7f...>) differ on every run


METADATA = {  # the kernel reports its Python version into language_info; stored notebooks keep only this
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}


def convert(path: Path) -> nbformat.NotebookNode:
    """The notebook of source ``path``, unexecuted: deterministic cell ids, only the metadata that matters."""
    nb = jupytext.read(path, fmt="py:percent")
    nb.metadata = nbformat.from_dict(METADATA)
    for i, cell in enumerate(nb.cells):
        cell.id = f"{path.stem.replace('_', '-')}-{i}"
        cell.metadata = nbformat.from_dict({k: cell.metadata[k] for k in KEPT_CELL_METADATA if k in cell.metadata})
    return nb


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run every cell of ``nb`` in a fresh kernel started in this folder; raise on the first failing cell."""
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", record_timing=False,
                            store_widget_state=False, coalesce_streams=True,
                            resources={"metadata": {"path": str(HERE)}})
    client.execute()
    nb.metadata = nbformat.from_dict(METADATA)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain")
            if text is not None:
                output.data["text/plain"] = ADDRESS.sub("", text)
    return nb


def build(path: Path, out_dir: Path = HERE, images: bool = True) -> Path:
    """Convert, execute and save the notebook of source ``path`` in ``out_dir``; write its README images."""
    nb = execute(convert(path))
    nbformat.validate(nb)
    if images:
        for cell in nb.cells:
            if "readme_image" in cell.metadata:
                save_image(cell, ROOT / cell.metadata["readme_image"])
    out = out_dir / f"{path.stem}.ipynb"
    nbformat.write(nb, str(out))
    return out


def save_image(cell: nbformat.NotebookNode, target: Path) -> None:
    """Write the first PNG among ``cell``'s outputs to ``target``."""
    for output in cell.outputs:
        png = output.get("data", {}).get("image/png")
        if png:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(base64.b64decode(png))
            print(f"  wrote {target.relative_to(ROOT)}")
            return
    raise RuntimeError(f"a cell with readme_image={cell.metadata['readme_image']!r} made no PNG:\n{cell.source}")


def sources(names: list[str]) -> list[Path]:
    """The sources named (by stem or file name), or all of them; an unknown name is an error listing the sources."""
    found = sorted(SOURCES.glob("*.py"))
    if not names:
        return found
    unknown = [n for n in names if not any(n in (s.stem, s.name) for s in found)]
    if unknown:
        sys.exit(f"no notebook source matches {unknown}; sources: {[s.stem for s in found]}")
    return [s for s in found if s.stem in names or s.name in names]


def main(names: list[str]) -> None:
    for source in sources(names):
        print(f"building {source.stem}")
        print(f"  wrote {build(source).relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
