"""Worksheets: blank-gradient drawings that render (or fall back to DOT), answers sheets, answer keys."""
from __future__ import annotations

import html
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from microgradnet import Value, check_answers, draw_dot, render, trace_backward, trace_forward, worksheet
from microgradnet.cli import main
from microgradnet.examples import EXAMPLES
from microgradnet.expr import parse
from microgradnet.trace import fmt
from microgradnet.worksheet import sheet_labels


def neuron() -> Value:
    return EXAMPLES["neuron"].build().root


def test_worksheet_renders_svg_and_png(tmp_path: Path) -> None:
    written = worksheet(neuron(), tmp_path / "out", "neuron")
    names = [p.name for p in written]
    assert names == ["neuron.svg", "neuron.png", "neuron-answers.txt", "neuron-key.md"]
    svg, png = written[0].read_text(encoding="utf-8"), written[1].read_bytes()
    assert "<svg" in svg and png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert "fill in the grad of every box" in svg


def test_the_drawing_shows_values_but_no_gradients(tmp_path: Path) -> None:
    f = neuron()
    f.backward()  # the grads are known, and must not appear on the worksheet
    grads = {v.label: v.grad for v in all_nodes(f)}
    svg = worksheet(f, tmp_path, "neuron", formats=("svg",))[0].read_text(encoding="utf-8")
    texts = svg_texts(svg)
    assert {"0.7311", "1.368", "0.3679", "-2", "6"} <= set(texts)  # forward values, 4 significant digits
    for label in ("1+exp(-z)", "exp(-z)", "x0", "x1", "w1"):
        assert f"{grads[label]:.4g}" not in texts, label  # -0.5344, -0.5344, 0.3932, -0.5898, -0.3932
    assert texts.count("grad") == 13  # one blank grad box per Value


def test_the_drawing_is_draw_dots_blank_drawing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot: the drawing is written as its DOT source
    monkeypatch.setattr(render, "_graphviz_pure", lambda: None)  # nor the render extra's graphviz-pure
    f = neuron()
    f.backward()
    with pytest.warns(RuntimeWarning, match="dot program was not found"):
        source = worksheet(f, tmp_path / "out", "neuron")[0].read_text(encoding="utf-8")
    caption = "Backward pass by hand: fill in the grad of every box, from the output back to the inputs"
    with sheet_labels(f):
        assert source == draw_dot(f, show_grad="blank", caption=caption).source


def svg_texts(svg: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r">([^<>]+)</text>", svg)]


def all_nodes(f: Value) -> list[Value]:
    return [step.node for step in trace_forward(f)]


def test_without_dot_the_drawing_falls_back_to_dot_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(render, "_graphviz_pure", lambda: None)  # nor the render extra's graphviz-pure
    with pytest.warns(RuntimeWarning, match="dot program was not found"):
        written = worksheet(neuron(), tmp_path / "out", "neuron")
    assert [p.name for p in written] == ["neuron.dot", "neuron-answers.txt", "neuron-key.md"]
    source = written[0].read_text(encoding="utf-8")
    assert source.startswith("digraph") and "0.7311" in source and "-0.5344" not in source


def key_rows(text: str) -> list[list[str]]:
    """The backward table of an answer key: one row of cells per question."""
    table = text.split("## Backward pass")[1].split("##")[0]
    return [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()
            if re.match(r"\| \d+\.\d+ \|", line)]


def test_the_answer_key_is_trace_backwards_numbers(tmp_path: Path) -> None:
    f = neuron()
    key = worksheet(f, tmp_path, "neuron")[-1].read_text(encoding="utf-8")
    rows = key_rows(key)
    steps = [s for s in trace_backward(f) if s.inputs]
    expected = [[f"{n}.{i + 1}", f"{s.node.label} ({s.node.op})", s.inputs[i].label, fmt(s.upstream), fmt(s.local[i]),
                 fmt(s.downstream[i])] for n, s in enumerate(steps, 1) for i in range(len(s.inputs))]
    assert [row[:5] for row in rows] == [row[:5] for row in expected]
    assert [row[5].split(" ")[0] for row in rows] == [row[5] for row in expected]
    # the slides' numbers, from the rounded upstream × local, in parentheses where they differ
    assert [row[5] for row in rows] == ["-0.53", "-0.53", "-0.20", "0.20", "0.20", "0.20", "0.20", "0.20",
                                        "-0.20", "0.39 (0.40)", "-0.39 (-0.40)", "-0.59 (-0.60)"]
    gradient = dict(re.findall(r"^\| (\w+) \| (-?\d\.\d\d) \|$", key, flags=re.M))
    assert gradient == {"w0": "-0.20", "x0": "0.39", "w1": "-0.39", "x1": "-0.59", "w2": "0.20"}


def test_the_forward_steps_are_the_slides_forward_values(tmp_path: Path) -> None:
    f = neuron()
    values = [fmt(step.data) for step in trace_forward(f) if step.inputs]
    assert values[-5:] == ["1.00", "-1.00", "0.37", "1.37", "0.73"]  # z, -z, exp, +1, 1/x as on the slide
    key = worksheet(f, tmp_path, "neuron")[-1].read_text(encoding="utf-8")
    forward = key.split("## Forward pass")[1].split("##")[0]
    for line in ("z (+): 4.00 + (-3.00) = 1.00", "-z (*-1): 1.00 * (-1) = -1.00", "exp(-z) (exp): exp(-1.00) = 0.37",
                 "1+exp(-z) (+1): 0.37 + 1 = 1.37", "f (1/x): 1 / 1.37 = 0.73"):
        assert line in forward


def test_the_filled_in_answers_sheet_is_graded(tmp_path: Path) -> None:
    f = neuron()
    sheet = worksheet(f, tmp_path, "neuron")[-2]
    blank = sheet.read_text(encoding="utf-8")
    assert check_answers(f, sheet, output=None).score == "0/12 correct (12 unanswered)"
    slide = iter(["-0.53", "-0.53", "-0.20", "0.20", "0.20", "0.20", "0.20", "0.20", "-0.20", "0.40", "-0.40", "-0.60"])
    sheet.write_text(re.sub(r"^(\d+\.\d+):", lambda m: f"{m[1]}: {next(slide)}", blank, flags=re.M), encoding="utf-8")
    assert check_answers(f, sheet, output=None).all_correct


def test_local_worksheet(tmp_path: Path) -> None:
    f = neuron()
    written = worksheet(f, tmp_path, "local", ask="local", formats=("svg",))
    assert "write the local gradient on every edge" in written[0].read_text(encoding="utf-8")
    sheet = written[1].read_text(encoding="utf-8")
    assert "local gradient" in sheet and "1.1:" in sheet and "# local ∂f/∂(1+exp(-z))" in sheet
    assert "# local ∂(w0·x0)/∂x0" in sheet


def test_unlabelled_nodes_are_named_on_the_sheet_and_restored(tmp_path: Path) -> None:
    x, y, z = Value(2.0, label="x"), Value(3.0, label="y"), Value(-2.0, label="z")
    f = parse("z*(x+y)", {"x": x, "y": y, "z": z})
    q = f.inputs[1]
    written = worksheet(f, tmp_path, "sheet", formats=("svg",))
    key = written[-1].read_text(encoding="utf-8")
    assert "| 1.2 | f (*) | n1 | 1.00 | -2.00 | -2.00 |" in key and "| 2.1 | n1 (+) | x |" in key
    assert {"f", "n1"} <= set(svg_texts(written[0].read_text(encoding="utf-8")))
    assert f.label == "" and q.label == "" and x.label == "x"
    with sheet_labels(f):
        assert (f.label, q.label) == ("f", "n1")
    assert (f.label, q.label) == ("", "")


def test_bad_worksheet_arguments(tmp_path: Path) -> None:
    for bad in ("", "a/b", ".."):
        with pytest.raises(ValueError, match="name must be a plain file name"):
            worksheet(neuron(), tmp_path, bad)
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(ValueError, match="it is a file, not a directory"):
        worksheet(neuron(), file, "neuron")


def cli(argv: list[str]) -> int:
    return main(argv)  # the command line in process: the handlers' exit codes, errors as one line


def test_cli_worksheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["worksheet", "neuron", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Wrote 6 files:") and str(tmp_path / "neuron.png") in out
    assert str(tmp_path / "neuron.pdf") in out and str(tmp_path / "neuron-key.pdf") in out  # A4 by default
    assert (tmp_path / "neuron-key.md").read_text(encoding="utf-8").startswith("# Answer key: worksheet neuron")
    assert cli(["worksheet", "--expr", "z*(x+y)", "--at", "x=2,y=3,z=-2", "--out", str(tmp_path), "--name", "q"]) == 0
    assert (tmp_path / "q-key.md").exists()


def test_cli_worksheet_without_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(render, "_graphviz_pure", lambda: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the handler reports the missing dot itself, as one stderr line
        assert cli(["worksheet", "add-mul", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert str(tmp_path / "out" / "add-mul.dot") in captured.out
    assert captured.err.count("\n") == 1 and "dot program was not found" in captured.err


def test_cli_worksheet_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    assert cli(["worksheet", "neuron", "--out", str(file)]) == 2
    assert capsys.readouterr().err == f"microgradnet: error: worksheet: cannot write into {file}: it is a file, not a directory\n"
    assert cli(["worksheet", "xor"]) == 2
    assert "unknown graph example 'xor'" in capsys.readouterr().err
    assert cli(["worksheet", "neuron", "--out", str(file / "sub")]) == 2  # a directory cannot be made there
    assert capsys.readouterr().err == f"microgradnet: error: cannot write {file / 'sub'}: Not a directory\n"


def test_command_worksheet(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "microgradnet", "worksheet", "neuron", "--out", str(tmp_path)],
                          capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron-answers.txt", "neuron-key.md", "neuron-key.pdf",
                                                          "neuron.pdf", "neuron.png", "neuron.svg"]
    assert all(p.stat().st_size > 0 for p in tmp_path.iterdir())
