"""Frames laid out once: same canvas and coordinates in every frame, gradients as they are sent, the JSON states."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from microgradnet import examples, trace_backward, worksheet
from microgradnet.frames import STYLES, frame_set, picture, save_frames

SVG = "{http://www.w3.org/2000/svg}"


def geometry(svg: str) -> tuple[str, list[tuple[str, str]]]:
    """The viewBox and every drawn coordinate attribute, in document order (texts excluded)."""
    root = ET.fromstring(svg)
    coords = [(el.tag, " ".join(f"{k}={el.get(k)}" for k in ("x", "y", "cx", "cy", "d", "points", "width") if el.get(k)))
              for el in root.iter()]
    return root.get("viewBox"), coords


def texts(svg: str) -> dict[str, str]:
    return {el.get("id"): el.text or "" for el in ET.fromstring(svg).iter(f"{SVG}text") if el.get("id")}


@pytest.mark.parametrize("style", STYLES)
def test_every_frame_has_the_same_canvas_and_coordinates(style: str) -> None:
    f = examples.neuron().root
    frames = frame_set(f, style=style)
    assert len(frames) == 13
    shapes = {geometry(frames.svg(i)) == geometry(frames.svg(0)) for i in range(len(frames))}
    assert shapes == {True}
    forward = frame_set(f, "forward", style=style)
    assert geometry(forward.svg(3))[0] == geometry(forward.svg(12))[0]


def test_a_gradient_appears_in_the_receiver_when_it_is_sent() -> None:
    ex = examples.neuron()
    frames = frame_set(ex.root, style="boxes")
    w2 = f"v{frames_id(frames, 'w2')}-grad"
    shown = [texts(frames.svg(i))[w2] for i in range(len(frames))]
    # the slide's step 5: z = (w0x0 + w1x1) + w2 sends 0.20 to w2, whose own step comes much later
    sent = next(i for i, fr in enumerate(frames.frames) if fr.caption.split(":  ")[1].startswith("z (+)"))
    assert shown[:sent] == [""] * sent and set(shown[sent:]) == {"0.20"}
    assert sent == 4  # step 5 of 13
    assert "upstream 0.20 × local (1.00, 1.00) = (0.20, 0.20) → (w0·x0+w1·x1, w2)" in frames.frames[sent].caption


def frames_id(frames: object, label: str) -> int:
    from microgradnet.trace import reading_order

    order = reading_order(frames.root)  # type: ignore[attr-defined]
    return next(i for i, v in enumerate(order) if v.label == label)


@pytest.mark.parametrize("style", STYLES)
def test_copy_node_shows_the_running_sum(style: str) -> None:
    ex = examples.copy_node()  # f = x·(x + y) at (2, 3): df/dx = q + x = 5 + 2
    frames = frame_set(ex.root, style=style)
    x = f"v{frames_id(frames, 'x')}-grad"
    shown = [texts(frames.svg(i))[x] for i in range(len(frames))]
    # step 1 (f = x·q) sends q = 5 to x; step 2 (q = x + y) sends its upstream x = 2 on to x as well
    assert shown == ["5.00", "5.00 + 2.00 = 7.00", "5.00 + 2.00 = 7.00", "5.00 + 2.00 = 7.00"]
    ex.root.backward()
    assert texts(picture(ex.root, style=style).svg(0))[x] == "5.00 + 2.00 = 7.00"


def test_json_states_apply_to_the_one_svg() -> None:
    frames = frame_set(examples.add_mul().root, style="slide", digits=1)
    data = json.loads(json.dumps(frames.to_json()))
    template = data["svg"]
    ids = set(re.findall(r'id="([^"]+)"', template))
    assert set(data["text_ids"]) <= ids and set(data["lit_ids"]) <= ids
    for i, state in enumerate(data["frames"]):
        assert set(state["text"]) == set(data["text_ids"]) and set(state["lit"]) <= set(data["lit_ids"])
        assert state["caption"] == frames.frames[i].caption
        assert " ".join(v for k, v in sorted(state["text"].items()) if k.startswith("caption-") and v) == state["caption"]
        shown = texts(frames.svg(i))
        assert all(shown[k] == v for k, v in state["text"].items())
    # the slide's numbers at 1 decimal: z gets q = 5, x and y get z = -2
    last = data["frames"][-1]["text"]
    assert sorted(v for k, v in last.items() if k.endswith("-grad") and v) == sorted(
        ["1.0", "-2.0", "5.0", "-2.0", "-2.0"])


# --- fitting the medium ------------------------------------------------------------------------

GRAPH_EXAMPLES = [name for name, ex in examples.EXAMPLES.items() if not ex.trains]


def smallest_label_px(svg: str, screen_width: float = 1920.0, screen_height: float = 1080.0) -> float:
    """The smallest font size of any text the SVG shows, in pixels once it is scaled to fit the screen."""
    root = ET.fromstring(svg)
    _, _, w, h = (float(x) for x in root.get("viewBox").split())
    scale = min(screen_width / w, screen_height / h)
    sizes = [float(el.get("font-size")) for el in root.iter(f"{SVG}text") if (el.text or "").strip()]
    return min(sizes) * scale


@pytest.mark.parametrize("name", GRAPH_EXAMPLES)
def test_every_label_is_at_least_14_px_on_a_1920x1080_projector(name: str) -> None:
    ex = examples.EXAMPLES[name].build()
    frames = frame_set(ex.root, fit="16:9")  # the default style, the layout chosen for the screen
    ex.root.backward()
    still = picture(ex.root, fit="16:9")
    for svg in (still.svg(), frames.svg(0), frames.svg(len(frames) - 1)):
        _, _, w, h = (float(x) for x in ET.fromstring(svg).get("viewBox").split())
        assert w / h == pytest.approx(16 / 9, rel=1e-3)
        assert smallest_label_px(svg) >= 14.0


def test_fit_pads_to_the_page_and_bad_options_are_refused() -> None:
    f = examples.add_mul().root
    for fit, ratio in (("4:3", 4 / 3), ("a4", 210 / 297), ("letter", 216 / 279)):
        layout = picture(f, fit=fit).layout
        assert layout.width / layout.height == pytest.approx(ratio, rel=1e-3)
    for bad, message in (({"fit": "7:3"}, "fit must be one of 16:9, 4:3, a4, letter, got '7:3'"),
                         ({"layout": "XY"}, "layout must be one of LR, TB"),
                         ({"digits": -1}, "digits must be a whole number from 0 to 10, got -1"),
                         ({"style": "fancy"}, "style must be one of boxes, slide")):
        with pytest.raises(ValueError, match=re.escape(message)):
            picture(f, **bad)


def test_digits_is_one_rounding_rule_for_numbers_and_caption() -> None:
    frames = frame_set(examples.neuron().root, digits=3)
    step = frames.frames[6]  # w0·x0 (*): upstream 0.197 × local (-1.000, 2.000)
    assert "upstream 0.197 × local (-1.000, 2.000) = (-0.197, 0.394)" in step.caption
    shown = [t for t in texts(frames.svg(6)).values() if re.fullmatch(r"-?\d+\.\d+", t)]
    assert shown and all(len(t.split(".")[1]) == 3 for t in shown)
    # at 2 decimals the printed product 0.20 × 2.00 = 0.40 is not the exact 0.39 the picture shows: it says so
    two = frame_set(examples.neuron().root).frames[6].caption
    assert "= (-0.20, 0.40) → (w0, x0)" in two and "(exactly (-0.20, 0.39)" in two


def test_gif_has_a_frame_per_step_and_pdf_a_page_per_step(tmp_path: Path) -> None:
    from PIL import Image

    frames = frame_set(examples.add_mul().root)
    written = save_frames(frames, tmp_path, ("svg", "gif", "pdf"))
    assert [p.name for p in written] == [*(f"step-0{i}.svg" for i in range(1, 6)), "steps.gif", "steps.pdf"]
    with Image.open(tmp_path / "steps.gif") as gif:
        assert gif.n_frames == 5 == len(trace_backward(examples.add_mul().root))
    pages, sizes = pdf_pages((tmp_path / "steps.pdf").read_bytes())
    assert pages == 5 and set(sizes) == {(round(frames.layout.width, 1), round(frames.layout.height, 1))}


def pdf_pages(data: bytes) -> tuple[int, list[tuple[float, float]]]:
    """The number of pages of a PDF and each page's MediaBox size in points (matplotlib's PDFs)."""
    pages = re.findall(rb"/Type /Page\b", data)
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    return len(pages), [(round(float(w), 1), round(float(h), 1)) for w, h in boxes]


@pytest.mark.parametrize(("paper", "size"), [("a4", (841.9, 595.3)), ("letter", (792.0, 612.0))])
def test_printed_worksheet_is_one_page_with_boxes_8_mm_tall(tmp_path: Path, paper: str,
                                                              size: tuple[float, float]) -> None:
    from microgradnet.practice import questions
    from microgradnet.worksheet import printed_sheet

    f = examples.neuron().root
    written = worksheet(f, tmp_path, "neuron", paper=paper)
    assert [p.name for p in written][-2:] == ["neuron.pdf", "neuron-key.pdf"]
    for pdf in written[-2:]:
        pages, sizes = pdf_pages(pdf.read_bytes())
        assert pages == 1 and sorted(sizes[0]) == sorted(size)
    page, sheet, key = printed_sheet(f, questions(f), "neuron", paper)
    boxes = [s for g in page.layout.groups for s in g.shapes if s.kind == "rect" and not s.lit_able]
    assert len(boxes) == len(questions(f)) == 12
    assert min(s.points[1][1] for s in boxes) * page.scale >= 8 * 72 / 25.4
    numbers = {t.content for g in page.layout.groups for t in g.texts if t.bold and not t.id}
    assert {q.id for q in questions(f)} <= numbers  # the question number beside each box
    filled = {k: v for k, v in key.text.items() if v and not sheet.text.get(k)}
    assert sorted(filled.values()) == sorted(f"{q.expected:.2f}".replace("-0.00", "0.00") for q in questions(f))


def test_cli_bad_picture_options_exit_2_and_write_nothing(tmp_path: Path) -> None:
    import subprocess
    import sys

    for bad in (["--fit", "7:3"], ["--digits", "-1"], ["--layout", "XY"]):
        out = tmp_path / "out"
        done = subprocess.run([sys.executable, "-m", "microgradnet", "example", "neuron", "--out", str(out), *bad],
                              check=False, capture_output=True, text=True)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and bad[0] in done.stderr
        assert not out.exists()
