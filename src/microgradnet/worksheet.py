"""Worksheets: the graph with its gradient boxes blank, an answers sheet to fill in, and the key.

``worksheet(root, out_dir, name)`` writes the handout a teacher prints: ``name.svg`` and
``name.png`` (``name.dot`` without Graphviz), ``name-answers.txt`` (one ``ID:`` line per
question, the format ``check_answers`` grades) and ``name-key.md`` (the forward values and each
step's upstream, local and downstream gradients, all read from ``trace_forward``/``trace_backward``).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from .engine import Value
from .files import check_output, check_output_dir, write_atomic
from .practice import Question, questions
from .render import can_render
from .trace import fmt, node_name, node_title, reading_order, trace_forward

if TYPE_CHECKING:
    import graphviz

    from .frames import Frame, Page


def sheet_labels(root: Value) -> AbstractContextManager[None]:
    """Within, ``root`` (if unlabelled) is labelled f and every other unlabelled node n1, n2, ... (reading
    order), so the drawing and the texts can name it; the labels are restored afterwards (``naming.named``)."""
    from .naming import named

    return named(root)


def worksheet(
    root: Value,
    out_dir: str | Path,
    name: str = "worksheet",
    ask: str = "downstream",
    formats: Sequence[str] = ("svg", "png"),
    paper: str | None = None,
    digits: int = 2,
    title: str = "",
    sheet_lines: Sequence[str] = (),
) -> list[Path]:
    """Write the worksheet of ``root``'s backward pass into ``out_dir``; returns the files written.

    The drawing shows every value and a blank grad box; the answers sheet lists the questions of
    ``practice(root, ask)``; the key holds their numbers. Without Graphviz's ``dot`` the drawing
    is written as ``name.dot`` (viz.save warns how to install it). ``title`` (instead of ``name``:
    the student and the variant code) heads all three; ``sheet_lines`` (``variants``) go at the
    top of the answers sheet. With ``paper`` ("a4" or "letter") also the printable page
    ``name.pdf`` (one page: name and date line, instructions, the graph with a numbered box per
    question, at least 8 mm tall printed) and its key ``name-key.pdf``, the same page filled in.
    """
    from .viz import save

    if not name or Path(name).name != name or name in (".", ".."):
        raise ValueError(f"worksheet: name must be a plain file name such as 'neuron', got {name!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"worksheet: cannot write into {out}: it is a file, not a directory")
    answers, key = out / f"{name}-answers.txt", out / f"{name}-key.md"
    check_output_dir(out, "worksheet")
    for path in (answers, key):  # before anything is drawn: a link or a FIFO there fails first
        check_output(path, "worksheet")
    with sheet_labels(root):
        qs = questions(root, ask)
        heading = title or name
        pages = []
        if paper is not None and can_render():  # the page is laid out by Graphviz; without it save() says so
            out.mkdir(parents=True, exist_ok=True)
            page, sheet, filled = printed_sheet(root, qs, heading, paper, digits)
            targets = [check_output(out / f"{name}{suffix}.pdf", "worksheet") for suffix in ("", "-key")]
            pages = [write_atomic(path, page.render(frame, "pdf"), "worksheet")
                     for path, frame in zip(targets, (sheet, filled))]
        written = save(_blank_drawing(root, ask, title), out / name, formats)
        write_atomic(answers, answers_sheet(qs, heading, sheet_lines), "worksheet")
        write_atomic(key, answer_key(root, qs, heading), "worksheet")
    return [*written, answers, key, *pages]


def printed_sheet(root: Value, qs: list[Question], name: str, paper: str = "a4",
                  digits: int = 2) -> tuple[Page, Frame, Frame]:
    """The printable page of ``qs``: the slide picture with a box numbered by its question id on each
    wire a question asks about (its gradient, or with ``ask="local"`` its local gradient); and the key."""
    from .frames import blank_sheet

    ask = qs[0].ask
    what = ("the gradient each wire carries back (upstream × local), from the output to the inputs"
            if ask == "downstream" else "the local gradient of each wire into a gate")
    header = [f"Worksheet {name}: the backward pass of {qs[0].node.label} = {fmt(qs[0].node.data, digits)}",
              "Name: ______________________________        Date: ________________",
              (f"Write in each box {what}, to {digits} decimals. The grey number beside a box is its "
               "question in the answers sheet.")]
    blanks = {(q.node, q.index): (q.id, fmt(q.expected, digits)) for q in qs}
    return blank_sheet(root, blanks, ask, paper, digits=digits, header=header)


def _blank_drawing(root: Value, ask: str, title: str = "") -> graphviz.Digraph:
    """``draw_dot``'s drawing of ``root`` with every value shown and every grad box left blank."""
    from .viz import draw_dot

    todo = ("fill in the grad of every box, from the output back to the inputs" if ask == "downstream"
            else "write the local gradient on every edge into an op")
    caption = f"{title}: backward pass by hand: {todo}" if title else f"Backward pass by hand: {todo}"
    return draw_dot(root, show_grad="blank", max_nodes=None, caption=caption)


def answers_sheet(qs: list[Question], name: str, sheet_lines: Sequence[str] = ()) -> str:
    """The sheet the student fills in: a commented ``ID:`` line per question, in backward order.

    ``sheet_lines`` (which variant this is) follow the header, told apart as lines to leave alone.
    """
    what = "downstream gradient (upstream × local)" if qs[0].ask == "downstream" else "local gradient"
    lines = [
        f"# Worksheet {name}: the backward pass of {qs[0].node.label} = {fmt(qs[0].node.data, qs[0].digits)}, by hand.",
        f"# After each colon write the {what}, to {qs[0].digits} decimals.",
        "# Lines are 'ID: number'; the question ID is step.input. '#' starts a comment.",
    ]
    if sheet_lines:
        lines += ["", "# Leave the 'sheet' lines as they are: they say which numbers your sheet has.", *sheet_lines]
    width = max(len(q.id) for q in qs) + 2
    step = None
    for q in qs:
        if q.step_number != step:
            step = q.step_number
            lines += ["", f"# step {step}: {node_title(q.node)}"]
        target = f"local ∂{_term(q.node.label)}/∂{_term(q.input.label)}" if q.ask == "local" else f"to {q.input.label}"
        lines.append(f"{q.id + ':':<{width}}        # {target}")
    return "\n".join(lines) + "\n"


def _term(label: str) -> str:
    """A label as a term of a derivative: ``w0`` as is, ``1+exp(-z)`` in parentheses."""
    return label if re.fullmatch(r"\w+", label) else f"({label})"


def answer_key(root: Value, qs: list[Question], name: str) -> str:
    """The teacher's key in Markdown: forward values, then upstream × local = downstream for every question."""
    d = qs[0].digits
    lines = [
        f"# Answer key: worksheet {name}",
        "",
        (f"{root.label} = {fmt(root.data, d)}. Numbers to {d} decimals. An answer is right within "
        f"{0.5 * 10 ** -d:g} of the exact value, or of the product of the rounded numbers as the slides "
        "compute it (in parentheses where it differs)."),
        "",
        "## Forward pass",
        "",
        *[f"{i}. {step}" for i, step in enumerate(trace_forward(root, d), 1)],
        "",
        "## Backward pass: upstream × local = downstream",
        "",
        "| question | step | to | upstream | local | downstream |",
        "|---|---|---|--:|--:|--:|",
    ]
    for q in qs:
        exact = fmt(q.step.downstream[q.index], d)
        shown = fmt(q.shown, d) if q.ask == "downstream" else exact
        downstream = exact if shown == exact else f"{exact} ({shown})"
        lines.append(f"| {q.id} | {node_title(q.node)} | {q.input.label} | {fmt(q.step.upstream, d)} "
                     f"| {fmt(q.step.local[q.index], d)} | {downstream} |")
    leaves = _leaf_gradients(root, qs)
    lines += ["", f"## Gradient of {root.label}", "", f"| input | ∂{root.label}/∂input |", "|---|--:|"]
    lines += [f"| {node_name(leaf, d)} | {fmt(grad, d)} |" for leaf, grad in leaves.items()]
    return "\n".join(lines) + "\n"


def _leaf_gradients(root: Value, qs: list[Question]) -> dict[Value, float]:
    """Each leaf's gradient, in reading order: the sum of the downstream gradients sent to it (copies add)."""
    grads = {v: 0.0 for v in reading_order(root) if not v.inputs}
    for q in qs:
        if q.input in grads:
            grads[q.input] += q.step.downstream[q.index]
    return grads
