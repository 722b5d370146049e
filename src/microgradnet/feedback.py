"""Feedback that names the mistake: the numbers the usual wrong ways of doing a step give.

For a question (``practice.Question``), ``mistakes(question, qs)`` lists each usual error with
the number it leads to: the local gradient instead of the downstream one (the upstream gradient
forgotten), the upstream passed on unchanged (the local one forgotten), the sign flipped, the
local rule evaluated at the node's output instead of its input, one contribution instead of the
sum at a node used twice, and the right number up to rounding. ``diagnose`` names the mistakes
a given number matches, and only those; every number comes from the trace or from the op's own
rule. ``mistake_table`` is the same list as plain data, for a page to compare in JavaScript.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .trace import fmt, node_name

if TYPE_CHECKING:
    from .practice import Question

KINDS = {  # each kind of mistake, as a report names it
    "local": "local instead of downstream",
    "upstream": "upstream passed on",
    "downstream": "downstream instead of local",
    "sign": "sign error",
    "output": "output for input in the rule",
    "copy": "one contribution at a copy node",
    "rounding": "right up to rounding",
}


@dataclass(frozen=True)
class Mistake:
    """A usual error on one question: its ``kind`` (a key of ``KINDS``), the number it gives, and what to say.

    A given number matches when it is within ``within`` of ``value``.
    """

    kind: str
    value: float
    message: str
    within: float

    def matches(self, given: float) -> bool:
        return abs(given - self.value) <= self.within * (1 + 1e-9)


def _contributions(question: Question, qs: Sequence[Question]) -> list[float]:
    """What the node of ``question`` receives from each use of it (two or more when it is a copy node)."""
    return [q.step.downstream[q.index] for q in qs if q.input is question.node]


def _rule_at_output(question: Question) -> float | None:
    """The local gradient of the question's input with that input's number replaced by the node's output."""
    node, i = question.node, question.index
    numbers = [node.data if k == i else v.data for k, v in enumerate(node.inputs)]
    try:
        return node.op.rule(*numbers)[1][i]
    except (ArithmeticError, ValueError, IndexError):
        return None


def _chain_rounded(question: Question, qs: Sequence[Question], d: int) -> float:
    """The downstream gradient as a student gets it who rounds every answer before using it further up."""
    memo: dict[int, float] = {}

    def rounded_upstream(q: Question) -> float:
        received = [r for r in qs if r.input is q.node]
        if not received:
            return 1.0
        return float(fmt(sum(rounded_answer(r) for r in received), d))

    def rounded_answer(q: Question) -> float:
        if id(q) not in memo:
            memo[id(q)] = float(fmt(rounded_upstream(q) * float(fmt(q.step.local[q.index], d)), d))
        return memo[id(q)]

    return rounded_answer(question)


def mistakes(question: Question, qs: Sequence[Question], tolerance: float = 0.005) -> list[Mistake]:
    """The usual mistakes on ``question`` (one of ``qs``, the graph's questions) whose numbers differ from the answer.

    Each message names the mistake and how to mend it; ``Question.explain`` gives the working itself.
    """
    q, d = question, question.digits
    up, local, down = q.step.upstream, q.step.local[q.index], q.expected
    found: list[Mistake] = []

    def add(kind: str, value: float | None, message: str, within: float = tolerance, near: bool = False) -> None:
        if value is not None and (near or not q.accepts(value, tolerance)):
            found.append(Mistake(kind, value, message, within))

    if q.ask == "downstream":
        add("local", local, f"that is the local gradient {fmt(local, d)}: you forgot to multiply it by the "
                            f"upstream gradient {fmt(up, d)}")
        add("upstream", up, f"that is the upstream gradient {fmt(up, d)} passed on: multiply it by the local "
                            f"gradient {fmt(local, d)}")
    else:
        add("downstream", q.step.downstream[q.index], "that is the downstream gradient (upstream × local); "
                                                      "the question asks for the local gradient alone")
    add("sign", -down, "sign error: the size is right, the sign is not")
    at_output = _rule_at_output(q)
    if at_output is not None:
        add("output", up * at_output if q.ask == "downstream" else at_output,
            f"you put the node's output {fmt(q.node.data, d)} into the local rule instead of its input "
            f"{node_name(q.input, d)} = {fmt(q.input.data, d)}")
    received = _contributions(q, qs)
    if q.ask == "downstream" and len(received) > 1:
        total = " + ".join(fmt(c, d) for c in received)
        for c in received:
            add("copy", c * local, f"{node_name(q.node, d)} is used {len(received)} times: its upstream gradient is "
                                   f"the sum {total} = {fmt(up, d)}, not the one contribution {fmt(c, d)}")
    rounding = f"right up to rounding: keep more decimals along the way (exactly {down:.{d + 2}f})"
    if q.ask == "downstream":
        add("rounding", _chain_rounded(q, qs, d), rounding)
    add("rounding", down, rounding, within=10.0 ** -d, near=True)  # off by one in the last digit
    return found


def diagnose(question: Question, given: float, qs: Sequence[Question], tolerance: float = 0.005) -> list[Mistake]:
    """The mistakes ``given`` matches (none when it is right, or when no usual mistake gives that number)."""
    if question.accepts(given, tolerance):
        return []
    matched = [m for m in mistakes(question, qs, tolerance) if m.matches(given)]
    if any(m.kind != "rounding" for m in matched):
        matched = [m for m in matched if m.kind != "rounding"]  # a named mistake says more than "rounding"
    kinds = dict.fromkeys(m.kind for m in matched)
    return [next(m for m in matched if m.kind == kind) for kind in kinds]


def named(question: Question, given: float, qs: Sequence[Question], tolerance: float = 0.005) -> str:
    """The mistake(s) ``given`` matches, said in words ("" when it matches none)."""
    found = diagnose(question, given, qs, tolerance)
    return " or ".join(m.message for m in found) if len(found) < 3 else found[0].message


def feedback(question: Question, given: float, qs: Sequence[Question], tolerance: float = 0.005) -> str:
    """What to tell a student who gave ``given``: the working, then the named mistake when the number matches one."""
    mistake = named(question, given, qs, tolerance)
    return question.explain() + (f"; {mistake}" if mistake else "")


def mistake_table(qs: Sequence[Question], tolerance: float = 0.005) -> dict[str, list[dict[str, object]]]:
    """Every question's mistakes as plain data by question id, ``{"1.1": [{"kind", "value", "within", "message"}]}``,
    for a page to compare a typed number with in JavaScript: a match is ``|given - value| <= within``."""
    return {q.id: [{"kind": m.kind, "value": m.value, "within": m.within, "message": m.message}
                   for m in mistakes(q, qs, tolerance)] for q in qs}
