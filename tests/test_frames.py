"""Frames laid out once: same canvas and coordinates in every frame, gradients as they are sent, the JSON states."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from microgradnet import examples
from microgradnet.frames import STYLES, frame_set, picture

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
        assert state["caption"] == state["text"]["caption"] == frames.frames[i].caption
        shown = texts(frames.svg(i))
        assert all(shown[k] == v for k, v in state["text"].items())
    # the slide's numbers at 1 decimal: z gets q = 5, x and y get z = -2
    last = data["frames"][-1]["text"]
    assert sorted(v for k, v in last.items() if k.endswith("-grad") and v) == sorted(
        ["1.0", "-2.0", "5.0", "-2.0", "-2.0"] + [])
