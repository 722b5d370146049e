"""Drawings: DOT structure of the lecture graphs, frames, notebook display, files, and life without ``dot``."""
from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import graphviz
import pytest

import microgradnet as mg
from microgradnet import Value, draw_dot, forward_frames, show_steps, step_frames, viz
from microgradnet.viz import FrameStrip, number, save, value_mimebundle

NODE = re.compile(r"^\t(\w+) \[label=(<.*>|\S+)(.*)\]$")
EDGE = re.compile(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?$")
HIGHLIGHT_FILL = "#ffd54f"  # the fill of a highlighted box or op


def neuron() -> tuple[Value, list[Value]]:
    """LECTURES row 2, built as the slide writes it."""
    x0, x1 = Value(-1.0, label="x0"), Value(-2.0, label="x1")
    w0, w1, w2 = Value(2.0, label="w0"), Value(-3.0, label="w1"), Value(-3.0, label="w2")
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp()), [x0, x1, w0, w1, w2]


def add_mul() -> Value:
    """LECTURES row 1: f = z*(x+y) at (2, 3, -2) with labels x y z q f."""
    x, y, z = Value(2.0, label="x"), Value(3.0, label="y"), Value(-2.0, label="z")
    q = x + y
    q.label = "q"
    f = z * q
    f.label = "f"
    return f


def parse(graph: graphviz.Digraph) -> tuple[dict[str, str], dict[str, str], list[tuple[str, str, str]]]:
    """(value boxes id -> label, op nodes id -> op, edges (tail, head, attributes)) from the DOT source."""
    boxes, ops, edges = {}, {}, []
    for line in graph.source.splitlines():
        if m := EDGE.match(line):
            edges.append((m[1], m[2], m[3] or ""))
        elif (m := NODE.match(line)) and m[1].endswith("_op"):
            ops[m[1]] = m[2].strip('"')
        elif m:
            boxes[m[1]] = m[2]
    return boxes, ops, edges


def box_text(label: str) -> dict[str, str]:
    """The readable content of a box's HTML label: {"label": ..., "data": ..., "grad": ...}."""
    out = {}
    if m := re.search(r"<B>(.*?)</B>", label):
        out["label"] = m[1]
    for caption in ("data", "grad"):
        if m := re.search(rf">{caption}</FONT></TD><TD[^>]*>(?:<FONT[^>]*>(.*?)</FONT>)?</TD>", label):
            out[caption] = m[1] or ""
    return out


def by_label(graph: graphviz.Digraph) -> dict[str, dict[str, str]]:
    boxes, _, _ = parse(graph)
    return {box_text(label).get("label", node_id): box_text(label) for node_id, label in boxes.items()}


def test_add_mul_graph_structure() -> None:
    f = add_mul()
    f.backward()
    boxes, ops, edges = parse(draw_dot(f))
    assert len(boxes) == 5 and sorted(ops.values()) == ["*", "+"]
    texts = {box_text(label)["label"]: box_text(label) for label in boxes.values()}
    assert texts == {
        "x": {"label": "x", "data": "2", "grad": "-2"},
        "y": {"label": "y", "data": "3", "grad": "-2"},
        "z": {"label": "z", "data": "-2", "grad": "5"},
        "q": {"label": "q", "data": "5", "grad": "-2"},
        "f": {"label": "f", "data": "-10", "grad": "1"},
    }
    name = {node_id: box_text(label)["label"] for node_id, label in boxes.items()}
    op_of = {ops[op_id]: op_id for op_id in ops}
    named_edges = sorted((name.get(a, ops.get(a)), name.get(b, ops.get(b))) for a, b, _ in edges)
    assert named_edges == sorted([("x", "+"), ("y", "+"), ("+", "q"), ("z", "*"), ("q", "*"), ("*", "f")])
    assert op_of["+"] == f"{next(i for i, n in name.items() if n == 'q')}_op"


def test_neuron_graph_structure_and_numbers() -> None:
    f, _ = neuron()
    f.backward()
    boxes, ops, edges = parse(draw_dot(f))
    assert len(boxes) == len(mg.topological_order(f)) == 13
    assert sorted(ops.values()) == sorted(["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"])
    assert len(edges) == 2 * 4 + 4 + 8  # binary ops take two edges, unary one, plus op -> result
    texts = [box_text(label) for label in boxes.values()]
    leaves = {t["label"]: (t["data"], t["grad"]) for t in texts if "label" in t}
    assert leaves == {"x0": ("-1", "0.3932"), "x1": ("-2", "-0.5898"), "w0": ("2", "-0.1966"),
                      "w1": ("-3", "-0.3932"), "w2": ("-3", "0.1966")}
    computed = sorted((t["data"], t["grad"]) for t in texts if "label" not in t)
    # the slide's forward 1, -1, 0.37, 1.37, 0.73 and backward -0.53, -0.53, -0.20, 0.20, ...
    assert computed == sorted([("-2", "0.1966"), ("6", "0.1966"), ("4", "0.1966"), ("1", "0.1966"),
                               ("-1", "-0.1966"), ("0.3679", "-0.5344"), ("1.368", "-0.5344"), ("0.7311", "1")])
    at_slide_rounding = sorted((round(float(d), 2), round(float(g), 2)) for d, g in computed)
    assert at_slide_rounding == sorted([(-2.0, 0.2), (6.0, 0.2), (4.0, 0.2), (1.0, 0.2), (-1.0, -0.2),
                                        (0.37, -0.53), (1.37, -0.53), (0.73, 1.0)])


def test_number_format() -> None:
    assert number(-0.534447) == "-0.5344"
    assert number(2.0) == "2" and number(-0.0) == "0" and number(12345.6) == "1.235e+04"


def test_same_graph_same_source() -> None:
    f1, _ = neuron()
    f2, _ = neuron()
    assert draw_dot(f1).source == draw_dot(f1).source
    assert draw_dot(f1).source == draw_dot(f2).source
    assert "0x" not in draw_dot(f1).source


def test_a_times_a_gives_two_edges() -> None:
    a = Value(2.0, label="a")
    b = a * a
    b.backward()
    boxes, ops, edges = parse(draw_dot(b, show_local_grads=True))
    a_id = next(i for i, label in boxes.items() if box_text(label).get("label") == "a")
    into_op = [attrs for tail, head, attrs in edges if tail == a_id and head in ops]
    assert len(into_op) == 2 and all('label=" 2 "' in attrs for attrs in into_op)
    assert box_text(boxes[a_id])["grad"] == "4"


def test_show_local_grads_labels_each_edge() -> None:
    f = add_mul()
    boxes, ops, edges = parse(draw_dot(f, show_local_grads=True))
    name = {i: box_text(label)["label"] for i, label in boxes.items()}
    local = {(name[a], ops[b]): re.search(r'label=" (\S+) "', attrs)[1] for a, b, attrs in edges if b in ops}
    assert local == {("x", "+"): "1", ("y", "+"): "1", ("z", "*"): "5", ("q", "*"): "-2"}
    assert "label=" not in " ".join(attrs for _, _, attrs in parse(draw_dot(f))[2])


def test_highlight_colours_only_the_given_values() -> None:
    f, (x0, *_) = neuron()
    hot = HIGHLIGHT_FILL
    boxes, _ops, _ = parse(draw_dot(f, highlight=[x0, f]))
    lit = {box_text(label).get("label", "root") for label in boxes.values() if hot in label}
    assert lit == {"x0", "root"}
    assert len(boxes) == 13
    assert sum(hot in line for line in draw_dot(f, highlight=x0).source.splitlines()) == 1
    assert hot not in draw_dot(f).source
    with pytest.raises(TypeError, match="highlight expects Values, got float"):
        draw_dot(f, highlight=[1.0])


def test_show_grad_false_and_rankdir() -> None:
    f = add_mul()
    source = draw_dot(f, show_grad=False, rankdir="TB").source
    assert "grad" not in source and "rankdir=TB" in source
    with pytest.raises(ValueError, match="rankdir must be"):
        draw_dot(f, rankdir="sideways")
    with pytest.raises(TypeError, match="expected a Value, got float"):
        draw_dot(1.0)  # type: ignore[arg-type]


def test_show_grad_blank_keeps_the_grad_row_empty() -> None:
    f, _ = neuron()
    f.backward()  # the grads are known, and must not be drawn
    texts = by_label(draw_dot(f, show_grad="blank"))
    assert len(texts) == 13 and all(t["grad"] == "" for t in texts.values())
    assert texts["w2"] == {"label": "w2", "data": "-3", "grad": ""}
    source = draw_dot(f, show_grad="blank").source
    assert source.count(">grad</FONT>") == 13 and "0.3932" not in source and "-0.5344" not in source
    assert all(t["grad"] == "" for t in by_label(step_frames(f, show_grad="blank")[-1]).values())
    assert draw_dot(f, show_grad=True).source.count(">grad</FONT>") == 13
    for bad in ("yes", "Blank", None, 1):
        with pytest.raises(ValueError, match=r"show_grad must be True, False or 'blank', got"):
            draw_dot(f, show_grad=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="show_grad must be"):
        step_frames(f, show_grad="no")


def test_caption_is_a_title_over_the_drawing() -> None:
    f = add_mul()
    source = draw_dot(f, caption="Fill in x < y & z").source
    assert "label=<Fill in x &lt; y &amp; z>" in source and "labelloc=t" in source
    assert "labelloc" not in draw_dot(f).source


def chain(n: int) -> Value:
    x = Value(0.5, label="x")
    for _ in range(n - 1):
        x = x * 1.0
    return x


def test_max_nodes_refuses_with_how_to_override() -> None:
    with pytest.raises(ValueError, match=r"has 600 Values, more than max_nodes=500; pass max_nodes=600"):
        draw_dot(chain(600))
    assert len(parse(draw_dot(chain(600), max_nodes=None))[0]) == 600
    assert len(parse(draw_dot(chain(600), max_nodes=600))[0]) == 600
    with pytest.raises(ValueError, match="max_nodes=10"):
        step_frames(chain(11), max_nodes=10)


def test_svg_rendered_with_dot() -> None:
    f, _ = neuron()
    f.backward()
    image = viz.svg(draw_dot(f))
    assert image is not None and "<svg" in image and "0.7311" in image and "1/x" in image
    bundle = draw_dot(f)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]


def test_step_frames_one_per_node_with_grads_so_far() -> None:
    f, leaves = neuron()
    frames = step_frames(f)
    assert len(frames) == len(mg.topological_order(f)) == 13
    assert all(v.grad == 0.0 for v in leaves) and f.grad == 0.0  # drawing frames leaves grads alone
    first, last = by_label(frames[0]), by_label(frames[-1])
    assert sum(t["grad"] != "" for t in first.values()) == 1  # only d f / d f = 1 is known
    assert sum(t["grad"] != "" for t in last.values()) == 13
    hot = HIGHLIGHT_FILL
    for i, frame in enumerate(frames):
        boxes = parse(frame)[0]
        assert sum(hot in label for label in boxes.values()) == 1
        assert sum(box_text(label)["grad"] != "" for label in boxes.values()) == i + 1
        assert f"backward step {i + 1}/13" in frame.source
    assert "exp: upstream -0.53 × local 0.37 = -0.20 → *-1" in frames[2].source
    f.backward()
    assert by_label(frames[-1]) == by_label(draw_dot(f))  # the last frame is the finished drawing


def test_step_frames_pass_draw_options_and_refuse_unknown_ones() -> None:
    f = add_mul()
    frames = step_frames(f, show_local_grads=True, rankdir="TB")
    assert all("rankdir=TB" in fr.source and 'label=" 5 "' in fr.source for fr in frames)
    with pytest.raises(TypeError, match="unknown drawing option"):
        step_frames(f, colour="red")


def test_forward_frames_show_values_leaves_first() -> None:
    f, _ = neuron()
    frames = forward_frames(f)
    assert len(frames) == 13
    shown = [sum(box_text(label)["data"] != "" for label in parse(fr)[0].values()) for fr in frames]
    assert shown == list(range(1, 14))
    assert by_label(frames[4])["w2"]["data"] == "-3"  # five leaves, then the ops
    assert "forward step 11/13:  exp: exp(-1.00) = 0.37" in frames[10].source
    assert "grad" not in frames[0].source


def test_value_mimebundle_svg_for_small_text_for_large() -> None:
    f, _ = neuron()
    bundle = f._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "image/svg+xml"}
    assert bundle["text/plain"] == repr(f) and "<svg" in bundle["image/svg+xml"]
    big = chain(viz.INLINE_MAX_NODES + 1)
    bundle = value_mimebundle(big)
    assert list(bundle) == ["text/plain"] and f"{viz.INLINE_MAX_NODES + 1} nodes" in bundle["text/plain"]


def test_save_writes_svg_and_png(tmp_path: Path) -> None:
    f = add_mul()
    paths = save(draw_dot(f), tmp_path / "out" / "add_mul.svg")
    assert paths == [tmp_path / "out" / "add_mul.svg", tmp_path / "out" / "add_mul.png"]
    assert "<svg" in paths[0].read_text() and paths[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert save(draw_dot(f), tmp_path / "one", formats="pdf") == [tmp_path / "one.pdf"]
    assert (tmp_path / "one.pdf").read_bytes()[:5] == b"%PDF-"
    with pytest.raises(ValueError, match="formats must be Graphviz output formats"):
        save(draw_dot(f), tmp_path / "x", formats=("svgz!",))


def test_show_steps_static_strip_without_ipywidgets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails as if not installed
    strip = show_steps(step_frames(add_mul()))
    assert isinstance(strip, FrameStrip) and len(strip) == 5
    page = strip._repr_html_()
    assert page.count("<svg") == 5 and "backward step 5/5" in page and "<?xml" not in page
    with pytest.raises(ValueError, match="at least one frame"):
        show_steps([])


def test_show_steps_slider_with_ipywidgets(monkeypatch: pytest.MonkeyPatch) -> None:
    class Widget:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.args, self.observers = args, []
            self.__dict__.update(kwargs)

        def observe(self, handler: Any, names: str) -> None:
            self.observers.append(handler)

    fake = types.ModuleType("ipywidgets")
    fake.IntSlider = fake.HTML = fake.VBox = Widget  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ipywidgets", fake)
    box = show_steps(step_frames(add_mul()))
    slider, pane = box.args[0]
    assert (slider.min, slider.max, slider.value) == (1, 5, 1)
    assert "backward step 1/5" in pane.value
    slider.observers[0]({"new": 4})
    assert "backward step 4/5" in pane.value and "<svg" in pane.value


def hide_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_without_dot_drawing_falls_back_to_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hide_dot(monkeypatch, tmp_path)
    f, _ = neuron()
    graph = draw_dot(f)
    assert isinstance(graph, graphviz.Digraph)
    with pytest.raises(graphviz.ExecutableNotFound):
        graph.pipe(format="svg")
    bundle = graph._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    warning, source = bundle["text/plain"].split("\n", 1)
    assert "dot program was not found" in warning and "apt-get install graphviz" in warning
    assert source == graph.source
    assert list(f._repr_mimebundle_()) == ["text/plain"]
    assert "brew install graphviz" in f._repr_mimebundle_()["text/plain"]
    assert "<pre>" in show_steps(step_frames(f))._repr_html_()


def test_without_dot_save_writes_the_dot_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hide_dot(monkeypatch, tmp_path)
    graph = draw_dot(add_mul())
    hint = "apt-get install graphviz, brew install graphviz or conda install graphviz"
    with pytest.warns(RuntimeWarning, match=hint):
        paths = save(graph, tmp_path / "add_mul")
    assert paths == [tmp_path / "add_mul.dot"]
    assert paths[0].read_text(encoding="utf-8") == graph.source
    assert not (tmp_path / "add_mul.svg").exists()
