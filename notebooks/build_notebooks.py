"""Build the lecture notebooks from their sources in ``notebooks/src/``, run them, and store the outputs.

Each source is a Python file in the "percent" format: ``# %%`` starts a code cell and
``# %% [markdown]`` a markdown cell (its lines written as ``# text``); IPython magics are
commented out (``# %matplotlib inline``), so the sources stay valid Python. The notebook is
written next to this script, executed cell by cell in a fresh kernel, and saved with its
outputs, so it reads well on a repository page (memory addresses in default reprs are dropped,
so a rebuild changes only what really changed). A code cell whose first line is
``# README image: PATH`` also writes its first PNG output to ``PATH`` (relative to the
repository root).

Usage: ``python notebooks/build_notebooks.py [NAME ...]`` (default: every source).
"""
from __future__ import annotations

import base64
import queue
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import start_new_kernel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SOURCES = HERE / "src"
IMAGE_MARK = "# README image: "
CELL_TIMEOUT = 600  # seconds without any output before a cell counts as stuck
MAGIC = re.compile(r"^# (%[a-z]\w*.*)$")  # "# %matplotlib inline" in a source is the magic in its notebook
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # default reprs (<... object at 0x7f...>) differ on every run


def parse(source: str) -> list[tuple[str, str]]:
    """The cells of a percent-format source as ``(kind, text)``, kind "code" or "markdown"."""
    cells: list[tuple[str, list[str]]] = []
    for line in source.splitlines():
        if line.startswith("# %%"):
            cells.append(("markdown" if "[markdown]" in line else "code", []))
        elif not cells:
            if line.strip():
                raise ValueError(f"text before the first '# %%' cell marker: {line!r}")
        elif cells[-1][0] == "markdown":
            cells[-1][1].append(line[2:] if line.startswith("# ") else line.lstrip("#"))
        else:
            cells[-1][1].append(MAGIC.sub(r"\1", line))
    return [(kind, "\n".join(lines).strip("\n")) for kind, lines in cells]


def notebook(stem: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook of ``cells`` with deterministic cell ids and no machine-specific metadata."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    for i, (kind, text) in enumerate(cells):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(text, id=f"{stem.replace('_', '-')}-{i}"))
    return nb


def run_cell(client: Any, code: str) -> tuple[list[nbformat.NotebookNode], dict]:
    """Execute ``code`` in the kernel; return its outputs (consecutive stream text merged) and the reply."""
    msg_id = client.execute(code, allow_stdin=False)
    outputs: list[nbformat.NotebookNode] = []
    while True:
        try:
            msg = client.get_iopub_msg(timeout=CELL_TIMEOUT)
        except queue.Empty:
            raise TimeoutError(f"no output for {CELL_TIMEOUT} s from cell:\n{code}") from None
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            break
        if kind == "clear_output":
            outputs.clear()
        elif kind == "stream" and outputs and outputs[-1].output_type == "stream" \
                and outputs[-1].name == content["name"]:
            outputs[-1].text += content["text"]
        elif kind in ("stream", "display_data", "execute_result", "error"):
            output = nbformat.v4.output_from_msg(msg)
            if "text/plain" in output.get("data", {}):
                output.data["text/plain"] = ADDRESS.sub("", output.data["text/plain"])
            outputs.append(output)
    reply = client.get_shell_msg(timeout=CELL_TIMEOUT)["content"]
    return outputs, reply


def build(path: Path) -> Path:
    """Write, execute and save the notebook of source ``path``; raise on the first failing cell."""
    stem = path.stem
    nb = notebook(stem, parse(path.read_text(encoding="utf-8")))
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(HERE), stderr=subprocess.DEVNULL)
    try:
        count = 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            outputs, reply = run_cell(client, cell.source)
            count += 1
            cell.outputs, cell.execution_count = outputs, count
            if reply["status"] != "ok":
                printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
                trace = "\n".join(reply.get("traceback", []))
                raise RuntimeError(f"{stem}: cell {count} failed:\n{cell.source}\n{printed}{trace}")
            if cell.source.startswith(IMAGE_MARK):
                save_image(cell, ROOT / cell.source.splitlines()[0][len(IMAGE_MARK):].strip())
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    nbformat.validate(nb)
    out = HERE / f"{stem}.ipynb"
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
    raise RuntimeError(f"a cell marked '{IMAGE_MARK.strip()}' made no PNG:\n{cell.source}")


def main(names: list[str]) -> None:
    sources = sorted(SOURCES.glob("*.py"))
    if names:
        unknown = [n for n in names if not any(n in (s.stem, s.name) for s in sources)]
        if unknown:
            sys.exit(f"no notebook source matches {unknown}; sources: {[s.stem for s in sources]}")
        sources = [s for s in sources if s.stem in names or s.name in names]
    for source in sources:
        print(f"building {source.stem}")
        print(f"  wrote {build(source).relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
