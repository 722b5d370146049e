"""Feedback that names the mistake: each usual mistake made on purpose is named, a random number is not."""
from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from microgradnet import check_answers, practice
from microgradnet.examples import EXAMPLES
from microgradnet.feedback import KINDS, diagnose, feedback, mistake_table, mistakes
from microgradnet.practice import Question, questions

E = math.exp(-1.0)  # the neuron at the slide's numbers: z = 1, exp(-z) = e^-1, d = 1 + e^-1, f = 1/d
D = 1 + E


def neuron_questions(ask: str = "downstream") -> list[Question]:
    return questions(EXAMPLES["neuron"].build().root, ask)


def by_id(qs: list[Question], qid: str) -> Question:
    return next(q for q in qs if q.id == qid)


def kinds(q: Question, given: float, qs: list[Question]) -> list[str]:
    return [m.kind for m in diagnose(q, given, qs)]


def test_each_mistake_made_on_purpose_is_named() -> None:
    qs = neuron_questions()
    q = by_id(qs, "3.1")  # exp(-z) -> -z: upstream -1/d^2, local e^-1, downstream -e^-1/d^2 = -0.20
    upstream, local = -1 / D**2, E
    assert q.expected == pytest.approx(upstream * local)
    assert kinds(q, round(local, 2), qs) == ["local"]  # 0.37: forgot to multiply by the upstream gradient
    assert kinds(q, round(upstream, 2), qs) == ["upstream"]  # -0.53: the upstream passed on unchanged
    assert kinds(q, round(-upstream * local, 2), qs) == ["sign"]  # 0.20
    assert kinds(q, round(upstream * math.exp(E), 2), qs) == ["output"]  # exp evaluated at its output e^-1
    assert kinds(q, -0.205, qs) == ["rounding"]  # 0.0084 from the exact -0.1966: off in the last digit
    first = by_id(qs, "1.1")  # 1/x at x = d: the rule -1/x^2 evaluated at the output f = 1/d gives -d^2
    assert kinds(first, round(-D**2, 2), qs) == ["output"]
    assert kinds(first, round(-(D**-2), 2), qs) == []  # right: nothing to diagnose


def test_one_contribution_instead_of_the_sum_at_a_copy_node() -> None:
    example = EXAMPLES["seven-unit"].build()
    qs = questions(example.root)
    n = {label: v.data for label, v in example.leaves.items()}  # type: ignore[union-attr]
    a = {v.label: v.data for v in (q.node for q in qs)}
    g5, g6, g3 = (a[k] * (1 - a[k]) for k in ("a5", "a6", "a3"))
    delta7 = -n["t"]  # E = max(0, -z7 t) with -z7 t > 0 here: dE/dz7 = -t
    via_z5 = delta7 * n["w57"] * g5 * n["w35"]  # the slide's delta3 = delta6 g'(z6) w36 + delta5 g'(z5) w35, split
    via_z6 = delta7 * n["w67"] * g6 * n["w36"]
    q = next(q for q in qs if q.node.label == "a3")  # sigmoid a3 -> z3: a3 is used by z5 and by z6
    assert q.expected == pytest.approx((via_z5 + via_z6) * g3)
    for part in (via_z5, via_z6):
        given = round(part * g3, 2)
        assert "copy" in kinds(q, given, qs), (part, given)
        assert "a3 is used 2 times: its upstream gradient is the sum" in feedback(q, given, qs)


def test_ask_local_mistakes() -> None:
    qs = neuron_questions("local")
    q = by_id(qs, "3.1")
    assert kinds(q, round(-E / D**2, 2), qs) == ["downstream"]  # the downstream gradient instead of the local one
    assert kinds(q, round(-E, 2), qs) == ["sign"]
    assert kinds(q, round(math.exp(E), 2), qs) == ["output"]


def independent_value(q: Question, kind: str, qs: list[Question]) -> list[float]:
    """The number a mistake of ``kind`` gives on ``q``, from the trace's numbers and the ops' formulas here."""
    up, local, out = q.step.upstream, q.step.local[q.index], q.node.data
    s = 1 / (1 + math.exp(-out))
    at_output = {"exp": math.exp(out), "1/x": -1 / out**2, "sigmoid": s * (1 - s)}
    return {
        "local": [local], "upstream": [up], "sign": [-q.expected], "rounding": [q.expected],
        "output": [up * at_output[q.node.op]] if q.node.op in at_output else [],
        "copy": [r.step.downstream[r.index] * local for r in qs if r.input is q.node],
    }[kind]


@pytest.mark.parametrize("name", ["neuron", "seven-unit", "delta-rule"])
def test_a_random_wrong_number_is_not_misdiagnosed(name: str) -> None:
    qs = questions(EXAMPLES[name].build().root)
    rng = random.Random(7)
    claims = tries = 0
    for q in qs:
        for _ in range(200):
            given = round(rng.uniform(-3, 3), 2)
            if q.accepts(given, 0.005):
                continue
            tries += 1
            for m in diagnose(q, given, qs):
                claims += 1
                window = 0.01 if m.kind == "rounding" else 0.005
                assert any(abs(given - v) <= window + 1e-9 for v in independent_value(q, m.kind, qs)), (q.id, m, given)
    assert claims < 0.05 * tries  # a mistake is claimed only where the number matches it


def test_a_named_mistake_says_a_kind_it_knows() -> None:
    qs = neuron_questions()
    for q in qs:
        for m in mistakes(q, qs):
            assert m.kind in KINDS and (not q.accepts(m.value, 0.005) or m.kind == "rounding")


def test_practice_names_the_mistake_after_the_working() -> None:
    lines: list[str] = []
    answers = iter(["0.53", "q"])
    practice(EXAMPLES["neuron"].build().root, input=lambda prompt: next(answers), output=lines.append)
    at = lines.index("    ✗ not quite: upstream 1.00 × local -0.53 = -0.53")
    assert lines[at + 1] == "      sign error: the size is right, the sign is not"


def test_grading_reports_name_the_mistake(tmp_path: Path) -> None:
    sheet = tmp_path / "answers.txt"
    sheet.write_text("1.1: 0.53\n3.1: 0.37\n", encoding="utf-8")
    result = check_answers(EXAMPLES["neuron"].build().root, sheet, output=None)
    notes = {a.question.id: a.note for a in result.answers}
    assert notes["1.1"] == "upstream 1.00 × local -0.53 = -0.53; sign error: the size is right, the sign is not"
    assert notes["3.1"].endswith("; that is the local gradient 0.37: you forgot to multiply it by the upstream "
                                 "gradient -0.53")
    assert "sign error" in result.report()


def test_the_mistake_table_is_plain_data_for_the_page() -> None:
    qs = neuron_questions()
    table = json.loads(json.dumps(mistake_table(qs)))
    assert list(table) == [q.id for q in qs]
    entry = next(m for m in table["3.1"] if m["kind"] == "local")
    assert entry["value"] == pytest.approx(E) and entry["within"] == 0.005 and "forgot to multiply" in entry["message"]
