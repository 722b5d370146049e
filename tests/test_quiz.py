"""Quizzes: Moodle XML and GIFT numerical questions with tolerance, one question set per variant."""
from __future__ import annotations

import base64
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from microgradnet.cli import main
from microgradnet.examples import EXAMPLES
from microgradnet.quiz import QuizSheet, gift, gift_escape, moodle_xml
from microgradnet.variants import Source, variants

# the slide's numbers: the exact downstream gradient of each of the neuron's 12 questions
E = math.exp(-1.0)
D = 1 + E
G = E / D**2
NEURON = {"1.1": -1 / D**2, "2.1": -1 / D**2, "3.1": -E / D**2, "4.1": G, "5.1": G, "5.2": G, "6.1": G, "6.2": G,
          "7.1": G * -1, "7.2": G * 2, "8.1": G * -2, "8.2": G * -3}


def sheets(count: int = 1) -> list[QuizSheet]:
    if count == 1:
        return [QuizSheet(EXAMPLES["neuron"].build().root, "neuron", "neuron")]
    return [QuizSheet(v.build()[0], v.title, v.stem()) for v in variants(Source("example", "neuron"), count, 4)]


def test_moodle_xml_has_what_a_numerical_question_needs() -> None:
    quiz = ET.fromstring(moodle_xml(sheets()))
    assert quiz.tag == "quiz"
    category, *numerical = quiz.findall("question")
    assert category.get("type") == "category" and category.findtext("category/text") == "$course$/microgradnet/neuron"
    assert [q.get("type") for q in numerical] == ["numerical"] * 12
    for q, (qid, exact) in zip(numerical, NEURON.items()):
        assert q.findtext("name/text") == f"neuron {qid}"
        text = q.find("questiontext")
        assert text is not None and text.get("format") == "html"
        html = text.findtext("text") or ""
        file = text.find("file")
        assert file is not None and file.get("encoding") == "base64" and file.get("path") == "/"
        assert f'src="@@PLUGINFILE@@/{file.get("name")}"' in html
        image = base64.b64decode(file.text or "", validate=True)
        assert image.startswith(b"<?xml") and b"<svg" in image and b"fill in the grad of every box" in image
        assert "What is the downstream gradient to" in html
        answers = q.findall("answer")
        right = [a for a in answers if a.get("fraction") == "100"]
        assert right and all(a.findtext("tolerance") == "0.005" for a in right)
        assert abs(float(right[0].findtext("text") or "nan") - exact) < 1e-6
        assert answers[-1].findtext("text") == "*" and answers[-1].get("fraction") == "0"  # any other answer
        assert all(a.find("feedback/text") is not None for a in answers)
        assert q.findtext("generalfeedback/text", "").startswith("upstream ")


def test_moodle_xml_feedback_names_the_mistakes() -> None:
    quiz = ET.fromstring(moodle_xml(sheets()))
    q = quiz.findall("question")[3]  # 3.1: exp(-z) -> -z
    wrong = {a.findtext("feedback/text", "").split(":")[0]: float(a.findtext("text") or "nan")
             for a in q.findall("answer") if a.get("fraction") == "0" and a.findtext("text") != "*"}
    assert wrong["that is the local gradient 0.37"] == pytest.approx(E, abs=1e-6)
    assert wrong["sign error"] == pytest.approx(E / D**2, abs=1e-6)


def test_one_question_set_per_variant() -> None:
    made = sheets(3)
    quiz = ET.fromstring(moodle_xml(made))
    categories = [q.findtext("category/text") for q in quiz.findall("question") if q.get("type") == "category"]
    assert categories == [f"$course$/microgradnet/{s.title}" for s in made]
    assert len(quiz.findall("question")) == 3 * 13


GIFT_QUESTION = re.compile(
    r"::(?P<name>(?:[^:\\]|\\.)+)::\[plain\](?P<text>(?:[^{}\\]|\\.)+) \{#\n"
    r"(?P<answers>(?:    =%\d+%-?\d+(?:\.\d+)?:\d+(?:\.\d+)? #(?:[^~=#{}:\\\n]|\\.)*\n)+)"
    r"    ####(?:[^~=#{}:\\\n]|\\.)*\n\}"
)
GIFT_ANSWER = re.compile(r"    =%(?P<credit>\d+)%(?P<value>-?\d+(?:\.\d+)?):(?P<tolerance>\d+(?:\.\d+)?) #")


def test_gift_lines_match_the_numerical_grammar() -> None:
    text = gift(sheets())
    blocks = [b.strip("\n") for b in text.split("\n\n") if b.startswith("::")]
    assert len(blocks) == 12 and "$CATEGORY: $course$/microgradnet/neuron" in text
    for block, (qid, exact) in zip(blocks, NEURON.items()):
        match = GIFT_QUESTION.fullmatch(block)
        assert match, block
        assert match["name"] == f"neuron {qid}"
        answers = [m.groupdict() for m in GIFT_ANSWER.finditer(match["answers"])]
        right = [a for a in answers if a["credit"] == "100"]
        assert abs(float(right[0]["value"]) - exact) < 1e-6 and right[0]["tolerance"] == "0.005"
        assert all(a["credit"] in ("100", "0") for a in answers)
        assert "w0 \\= 2.00" in match["text"]  # the forward values, escaped


def test_gift_escapes_its_special_characters() -> None:
    assert gift_escape("a: b = {c} ~d #e \\f") == "a\\: b \\= \\{c\\} \\~d \\#e \\\\f"


def test_cli_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worksheet", "neuron", "--variants", "2", "--format", "moodle", "--out", str(tmp_path)]) == 0
    assert "Wrote" in capsys.readouterr().out and (tmp_path / "neuron.xml").exists()
    assert len(ET.parse(tmp_path / "neuron.xml").getroot().findall("question")) == 2 * 13
    assert main(["worksheet", "add-mul", "--format", "gift", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "add-mul.gift.txt").read_text(encoding="utf-8").count("{#") == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["add-mul.gift.txt", "neuron.xml"]
