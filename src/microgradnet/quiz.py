"""Worksheets as quizzes for a learning platform: Moodle XML and GIFT, one numerical question per gradient.

Each question asks for one number of ``practice.questions`` and accepts it within the tolerance
around the exact answer and around the one from the rounded numbers (as ``Question.accepts``
does); the usual mistakes (``feedback.mistakes``) come next as zero-credit answers with their
own feedback, so the platform names the mistake too; any other number gets the working. In
Moodle XML the question text embeds the graph (values shown, gradients blank) as a base64 SVG
file; GIFT has no way to carry a file, so its questions list the forward values instead.
Both follow the formats as MoodleDocs describe them ("Moodle XML format", "GIFT format").
"""
from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass

from .engine import Value
from .feedback import mistakes
from .practice import Question, questions
from .trace import fmt, node_name, node_title, trace_forward

FORMATS = ("moodle", "gift")
SUFFIX = {"moodle": ".xml", "gift": ".gift.txt"}


@dataclass(frozen=True)
class QuizSheet:
    """One question set: a graph, the title its category and questions are named by, and a file-name stem."""

    root: Value
    title: str
    stem: str


def _number(x: float) -> str:
    """A number as an answer: enough digits to be the exact value, no exponent (Moodle reads both, people one)."""
    return f"{x:.6f}".rstrip("0").rstrip(".") if abs(x) >= 1e-6 else "0"


def _answers(q: Question, qs: list[Question], tolerance: float) -> list[tuple[int, float, float, str]]:
    """(credit in percent, value, tolerance, feedback) per answer, in the order the platform tries them."""
    right = [(100, q.expected, tolerance, f"Right: {q.explain()}")]
    if q.shown != q.expected:  # the slides' way, from the rounded numbers: right too
        right.append((100, q.shown, tolerance, f"Right, as the rounded numbers give it: {q.explain()}"))
    wrong = [(0, m.value, m.within, f"{m.message}. {q.explain()}") for m in mistakes(q, qs, tolerance)]
    return right + wrong


def _ask(q: Question) -> str:
    """The question in words: the step, then what to give."""
    d = q.digits
    step = (f"Step {q.step_number} of the backward pass: {node_title(q.node)} = {fmt(q.node.data, d)}, "
            f"its upstream gradient is {fmt(q.step.upstream, d)}.")
    target = f"{node_name(q.input, d)} ({fmt(q.input.data, d)})"
    what = (f"the downstream gradient to {target}" if q.ask == "downstream"
            else f"the local gradient of {node_name(q.node, d)} with respect to {target}")
    return f"{step} What is {what}? Give {d} decimals."


def moodle_xml(sheets: Sequence[QuizSheet], ask: str = "downstream", tolerance: float = 0.005,
               category: str = "microgradnet") -> str:
    """A Moodle XML quiz: a category per sheet, and in it one numerical question per gradient of its graph."""
    from .viz import _render
    from .worksheet import _blank_drawing, sheet_labels

    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    for sheet in sheets:
        with sheet_labels(sheet.root):
            qs = questions(sheet.root, ask, tolerance)
            # SVG: sharp at any size and a quarter of the PNG's bytes, which every question carries again
            image = base64.b64encode(_render(_blank_drawing(sheet.root, ask, sheet.title), "svg")).decode("ascii")
            picture = f"{sheet.stem}.svg"
            out += ['  <question type="category">',
                    f"    <category><text>{_xml(f'$course$/{category}/{sheet.title}')}</text></category>",
                    "  </question>"]
            for q in qs:
                text = (f"<p><b>{html.escape(sheet.title)}</b>, question {q.id}</p>"
                        f'<p><img src="@@PLUGINFILE@@/{html.escape(picture)}" class="img-fluid" '
                        f'style="max-width:100%;height:auto" alt="the graph with its values; '
                        f'the gradients are left blank"></p><p>{html.escape(_ask(q))}</p>')
                out += ['  <question type="numerical">',
                        f"    <name><text>{_xml(f'{sheet.title} {q.id}')}</text></name>",
                        '    <questiontext format="html">',
                        f"      <text>{_cdata(text)}</text>",
                        f'      <file name="{_xml(picture)}" path="/" encoding="base64">{image}</file>',
                        "    </questiontext>",
                        '    <generalfeedback format="html">',
                        f"      <text>{_cdata(html.escape(q.explain()))}</text>",
                        "    </generalfeedback>",
                        "    <defaultgrade>1.0000000</defaultgrade>",
                        "    <penalty>0.3333333</penalty>",
                        "    <hidden>0</hidden>"]
                for credit, value, within, said in _answers(q, qs, tolerance):
                    out += [f'    <answer fraction="{credit}" format="moodle_auto_format">',
                            f"      <text>{_number(value)}</text>",
                            f'      <feedback format="html"><text>{_cdata(html.escape(said))}</text></feedback>',
                            f"      <tolerance>{_number(within)}</tolerance>",
                            "    </answer>"]
                out += ['    <answer fraction="0" format="moodle_auto_format">',  # * matches any other answer
                        "      <text>*</text>",
                        f'      <feedback format="html"><text>{_cdata(html.escape(q.explain()))}</text></feedback>',
                        "      <tolerance>0</tolerance>",
                        "    </answer>",
                        "    <unitgradingtype>0</unitgradingtype>",
                        "    <unitpenalty>0.1000000</unitpenalty>",
                        "    <showunits>3</showunits>",
                        "    <unitsleft>0</unitsleft>",
                        "  </question>"]
    return "\n".join([*out, "</quiz>"]) + "\n"


def _xml(text: str) -> str:
    return html.escape(text, quote=True)


def _cdata(text: str) -> str:
    """``text`` as a CDATA section (MoodleDocs: HTML goes in CDATA); a ``]]>`` inside is split across two."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


GIFT_SPECIAL = "~=#{}:"


def gift_escape(text: str) -> str:
    """``text`` with GIFT's special characters (``~ = # { } :``) and the backslash escaped, on one line."""
    text = text.replace("\\", "\\\\")
    for c in GIFT_SPECIAL:
        text = text.replace(c, "\\" + c)
    return " ".join(text.split())


def gift(sheets: Sequence[QuizSheet], ask: str = "downstream", tolerance: float = 0.005,
         category: str = "microgradnet") -> str:
    """A GIFT quiz: a ``$CATEGORY:`` per sheet and one numerical question ``{#=%100%value:tolerance ...}``
    per gradient, the graph's forward values written out in each question (GIFT carries no image)."""
    from .worksheet import sheet_labels

    out = ["// microgradnet worksheet quiz: one numerical question per gradient of the backward pass", ""]
    for sheet in sheets:
        with sheet_labels(sheet.root):
            qs = questions(sheet.root, ask, tolerance)
            forward = "; ".join(str(step) for step in trace_forward(sheet.root))
            out += [f"$CATEGORY: $course$/{category}/{sheet.title}", ""]
            for q in qs:
                text = f"{sheet.title}, question {q.id}. The forward pass: {forward}. {_ask(q)}"
                answers = [f"=%{credit}%{_number(value)}:{_number(within)} #{gift_escape(said)}"
                           for credit, value, within, said in _answers(q, qs, tolerance)]
                out += [f"::{gift_escape(f'{sheet.title} {q.id}')}::[plain]{gift_escape(text)} {{#",
                        *[f"    {a}" for a in answers],
                        f"    ####{gift_escape(q.explain())}",
                        "}", ""]
    return "\n".join(out)
