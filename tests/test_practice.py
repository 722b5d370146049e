"""Practice mode: scripted sessions on the lecture's sigmoid neuron, grading files, the CLI handlers."""
from __future__ import annotations

import io
import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradnet as mg
from microgradnet import Value, check_answers, practice
from microgradnet.cli import main
from microgradnet.examples import EXAMPLES
from microgradnet.practice import (
    AnswersError,
    digits_for,
    local_rules,
    parse_number,
    questions,
)

practice_module = sys.modules["microgradnet.practice"]  # the package's ``practice`` is the function

# LECTURES row 2, lecture 002: each backward step's downstream gradient(s) as the slides show them,
# by (node, input); the slides multiply the rounded numbers, so x0 gets 0.20 × 2 = 0.40 (exactly 0.39)
SLIDE_DOWNSTREAM = {
    ("f", "1+exp(-z)"): -0.53,
    ("1+exp(-z)", "exp(-z)"): -0.53,
    ("exp(-z)", "-z"): -0.20,
    ("-z", "z"): 0.20,
    ("z", "w0·x0+w1·x1"): 0.20,
    ("z", "w2"): 0.20,
    ("w0·x0+w1·x1", "w0·x0"): 0.20,
    ("w0·x0+w1·x1", "w1·x1"): 0.20,
    ("w0·x0", "w0"): -0.20,
    ("w0·x0", "x0"): 0.40,
    ("w1·x1", "w1"): -0.40,
    ("w1·x1", "x1"): -0.60,
}
# the slides' local gradients: -1/1.37², 1, exp(-1), -1, then 1s for the sums and x0, w0, x1, w1 for the products
SLIDE_LOCAL = {
    ("f", "1+exp(-z)"): -0.53, ("1+exp(-z)", "exp(-z)"): 1.0, ("exp(-z)", "-z"): 0.37, ("-z", "z"): -1.0,
    ("z", "w0·x0+w1·x1"): 1.0, ("z", "w2"): 1.0, ("w0·x0+w1·x1", "w0·x0"): 1.0, ("w0·x0+w1·x1", "w1·x1"): 1.0,
    ("w0·x0", "w0"): -1.0, ("w0·x0", "x0"): 2.0, ("w1·x1", "w1"): -2.0, ("w1·x1", "x1"): -3.0,
}


def neuron() -> Value:
    return EXAMPLES["neuron"].build().root


def key(q: Any) -> tuple[str, str]:
    return q.node.label, q.input.label


class Script:
    """Injected I/O: answers typed in order, and every prompt and line written, as one transcript."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []
        self.lines: list[str] = []

    def read(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.answers:
            raise EOFError
        return self.answers.pop(0)

    def write(self, line: str) -> None:
        self.lines.append(line)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def run(root: Value, answers: list[str], **options: Any) -> tuple[mg.PracticeResult, Script]:
    script = Script(answers)
    return practice(root, input=script.read, output=script.write, **options), script


def slide_answers(root: Value, table: dict[tuple[str, str], float], ask: str = "downstream") -> list[str]:
    return [f"{table[key(q)]:.2f}" for q in questions(root, ask)]


def test_the_slides_numbers_are_all_right() -> None:
    f = neuron()
    result, script = run(f, slide_answers(f, SLIDE_DOWNSTREAM))
    assert [key(a.question) for a in result.answers][:4] == [  # the chain from the output is forced
        ("f", "1+exp(-z)"), ("1+exp(-z)", "exp(-z)"), ("exp(-z)", "-z"), ("-z", "z")]
    assert len(result.answers) == 12 and all(a.correct for a in result.answers)
    assert result.score == "12/12 correct" and result.all_correct
    assert script.lines[-1] == "12/12 correct"
    assert script.lines.count("    ✓ right") == 12
    # expected are the exact numbers: -1/1.37² and exp(-1) times it
    d = 1 + math.exp(-1.0)
    assert result.answers[0].expected == pytest.approx(-1 / d**2)
    assert result.answers[2].expected == pytest.approx(-math.exp(-1.0) / d**2)


def test_the_exact_numbers_at_two_decimals_are_right_too() -> None:
    f = neuron()
    answers = [f"{q.expected:.2f}" for q in questions(f)]
    assert answers[-3:] == ["0.39", "-0.39", "-0.59"]  # not the slides' 0.40, -0.40, -0.60
    result, _ = run(f, answers)
    assert result.correct == 12


def test_a_wrong_answer_shows_the_rule_and_the_number_and_moves_on() -> None:
    f = neuron()
    answers = slide_answers(f, SLIDE_DOWNSTREAM)
    answers[0] = "-0.52"  # 0.01 from the slide's -0.53 and 0.014 from the exact -0.5344
    answers[-1] = "-0.61"  # x1: the slide's 0.20 × (-3) = -0.60, exactly -0.5898
    result, script = run(f, answers)
    assert [a.correct for a in result.answers] == [False] + [True] * 10 + [False]
    assert result.answers[0].given == -0.52 and result.answers[0].expected == pytest.approx(-0.5344, abs=1e-4)
    assert "    ✗ not quite: upstream 1.00 × local -0.53 = -0.53" in script.lines
    assert "    ✗ not quite: upstream 0.20 × local -3.00 = -0.60 (exactly -0.5898)" in script.lines
    assert len(script.prompts) == 12  # no question asked twice
    assert result.score == "10/12 correct"


def test_garbage_gets_one_line_and_the_same_question_again() -> None:
    f = neuron()
    answers = slide_answers(f, SLIDE_DOWNSTREAM)
    result, script = run(f, ["abc", "1..2", *answers])
    assert script.lines.count("    'abc' is not a number, try again (h for a hint, q to stop)") == 1
    assert script.lines.count("    '1..2' is not a number, try again (h for a hint, q to stop)") == 1
    assert script.prompts[0] == script.prompts[1] == script.prompts[2]
    assert "1.1  downstream gradient to 1+exp(-z) (1.37)" in script.prompts[0]
    assert result.correct == 12 and len(result.answers) == 12


def test_hints_give_the_local_rule_and_the_upstream() -> None:
    f = neuron()
    answers = slide_answers(f, SLIDE_DOWNSTREAM)
    result, script = run(f, ["h", answers[0], answers[1], "hint", *answers[2:]])
    hints = [line for line in script.lines if "hint:" in line]
    assert hints == [
        "    hint: d/dx [1/x] = -1/x^2, at x = 1.37; upstream 1.00; downstream = upstream × local",
        "    hint: d/dx exp(x) = exp(x), at x = -1.00; upstream -0.53; downstream = upstream × local",
    ]
    assert [a.hinted for a in result.answers[:4]] == [True, False, True, False]
    assert result.correct == 12


def test_an_empty_line_or_q_quits_cleanly() -> None:
    f = neuron()
    answers = slide_answers(f, SLIDE_DOWNSTREAM)
    for stop in ("", "q", "Q", "quit"):
        result, script = run(f, [answers[0], "0.9", stop, "never read"])
        assert result.stopped and len(result.answers) == 2
        assert result.score == "1/2 correct (stopped after 2 of 12 questions)"
        assert script.lines[-1] == "stopped: 1/2 correct (stopped after 2 of 12 questions)"
        assert len(script.prompts) == 3


def test_end_of_input_quits_cleanly() -> None:
    result, _script = run(neuron(), ["-0.53"])  # then EOF, as when a piped file ends
    assert result.stopped and result.score == "1/1 correct (stopped after 1 of 12 questions)"


def test_step_headers_are_printed_once_per_step() -> None:
    f = neuron()
    _, script = run(f, ["h", "abc", *slide_answers(f, SLIDE_DOWNSTREAM)])
    headers = [line for line in script.lines if line.startswith("step ")]
    assert headers[:2] == ["step 1: f (1/x) = 0.73, upstream 1.00", "step 2: 1+exp(-z) (+1) = 1.37, upstream -0.53"]
    assert len(headers) == 8
    assert script.lines[0].startswith("Backward pass of f = 0.73: 8 steps, 12 downstream gradients to find")


def test_the_intro_counts_in_the_singular_too() -> None:
    _, script = run(Value(0.0, label="x").exp(), ["1"])
    assert script.lines[0] == "Backward pass of exp = 1.00: 1 step, 1 downstream gradient to find, to 2 decimals."


def test_ask_local() -> None:
    f = neuron()
    result, script = run(f, slide_answers(f, SLIDE_LOCAL, "local"), ask="local")
    assert result.correct == 12
    assert "local gradient of f with respect to 1+exp(-z) (1.37)" in script.prompts[0]
    result, script = run(f, ["0.53"], ask="local")
    assert "    ✗ not quite: local -0.53: d/dx [1/x] = -1/x^2, at x = 1.37" in script.lines


def test_practice_leaves_the_grads_alone() -> None:
    example = EXAMPLES["neuron"].build()
    f = example.root
    run(f, slide_answers(f, SLIDE_DOWNSTREAM))
    assert all(v.grad == 0.0 for v in mg.topological_order(f))
    f.backward()
    grads = [round(v.grad, 1) for v in example.leaves.values()]
    assert grads == [0.4, -0.6, -0.2, -0.4, 0.2]  # the slide's gradient in the order (x0, x1, w0, w1, w2)


def test_tolerance_sets_the_decimals() -> None:
    assert [digits_for(t) for t in (0.5, 0.05, 0.005, 0.01, 0.0005)] == [0, 1, 2, 2, 3]
    f = neuron()
    result, script = run(f, ["-0.53", "-0.534"], tolerance=0.0005)
    assert [a.correct for a in result.answers] == [False, True]
    assert "step 1: f (1/x) = 0.731, upstream 1.000" in script.lines


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="expected a Value, got float"):
        practice(2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ask must be 'downstream' or 'local', got 'upstream'"):
        practice(neuron(), ask="upstream")
    for bad in (0, -0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match="tolerance must be a positive number"):
            practice(neuron(), tolerance=bad)
    with pytest.raises(ValueError, match="x is a leaf"):
        practice(Value(1.0, label="x"))


def test_parse_number() -> None:
    assert parse_number(" -0.53 ") == -0.53
    assert parse_number("−0.53") == -0.53  # the minus sign copied from a slide
    assert parse_number("0,4") == 0.4
    assert parse_number("-1/2") == -0.5
    assert parse_number("2e-1") == 0.2
    for garbage in ("abc", "", "1/0", "nan", "1..2", "0.2x"):
        assert parse_number(garbage) is None


def test_a_copy_node_gets_one_question_per_use() -> None:
    a = Value(2.0, label="a")
    f = a * a
    f.label = "f"
    result, _ = run(f, ["2", "2"])
    assert [q.id for q in result.questions] == ["1.1", "1.2"] and result.correct == 2


# --- local derivative rules (hint text, each op's formula in ops.py) --------------------------------------

def test_rules_read_like_the_slides() -> None:
    x, y = Value(1.0), Value(2.0)
    assert local_rules(1 / x) == [("x", "d/dx [1/x] = -1/x^2")]
    assert local_rules(x + 1) == [("x", "d/dx [x + 1] = 1")]
    assert local_rules(x - 1) == [("x", "d/dx [x - 1] = 1")]
    assert local_rules(-x) == [("x", "d/dx [-x] = -1")]  # the slide's *-1 gate
    assert local_rules(x * 3) == [("x", "d/dx [3 x] = 3")]
    assert local_rules(x.exp()) == [("x", "d/dx exp(x) = exp(x)")]
    assert local_rules(x * y) == [("x", "d/dx [x * y] = y"), ("y", "d/dy [x * y] = x")]
    assert local_rules(mg.dot([x], [y], start=Value(0.0)))[0] == ("b", "d/db [b + Σ wj xj] = 1")


def test_hints_bind_the_inputs_the_rule_uses() -> None:
    x, y, z = Value(2.0, label="x"), Value(3.0, label="y"), Value(-2.0, label="z")
    hints = [q.hint() for q in questions(z * (x + y))]
    assert hints[:2] == [  # inputs (z, q): d/dz = q, d/dq = z
        "hint: d/dx [x * y] = y, at y = 5.00; upstream 1.00; downstream = upstream × local",
        "hint: d/dy [x * y] = x, at x = -2.00; upstream 1.00; downstream = upstream × local",
    ]
    assert hints[2] == "hint: d/dx [x + y] = 1; upstream -2.00; downstream = upstream × local"
    _, second = [q.rule() for q in questions(mg.max([x, y]))]
    assert second == "d/dx2 max(...) = 1 if x2 is the first largest of x1, x2, else 0, at x1 = 2.00, x2 = 3.00"


# --- a property: on any graph, the exact answers are right and add up to backward's grads ---

UNARY = [lambda v: v.exp(), lambda v: v.tanh(), lambda v: v.sigmoid(), lambda v: v * 3, lambda v: v + 1,
         lambda v: -v, lambda v: v.relu(), lambda v: v ** 2]
BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b]


@settings(max_examples=30)
@given(st.lists(st.floats(-2, 2), min_size=3, max_size=3),
       st.lists(st.tuples(st.integers(0, 7), st.integers(0, 2), st.integers(0, 9), st.integers(0, 9)),
                min_size=1, max_size=6))
def test_exact_answers_are_right_and_sum_to_backward(values: list[float], plan: list[tuple[int, int, int, int]]) -> None:
    leaves = [Value(v, label=f"x{i}") for i, v in enumerate(values)]
    nodes = list(leaves)
    for unary, binary, i, j in plan:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(UNARY[unary](BINARY[binary](a, b)))
    root = nodes[-1]
    result, _ = run(root, [repr(q.expected) for q in questions(root)])
    assert result.all_correct
    sent = {v: 0.0 for v in leaves}
    for answer in result.answers:
        if answer.question.input in sent:
            sent[answer.question.input] += answer.given
    root.backward()
    for leaf in leaves:
        assert sent[leaf] == pytest.approx(leaf.grad, rel=1e-12, abs=1e-12)


# --- grading an answers file ----------------------------------------------------------------

def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.txt"
    path.write_text(text, encoding="utf-8")
    return path


SLIDE_FILE = """\
# the slide's numbers, by question number, by step, and by label
1.1: -0.53
2: -0.53
3.1: −0.20
4.1: 0.20   # *-1
5.1: 0.20
w2: 0.20
6.1: 0.2
6.2: 0.2
w0: -0.2
x0: 0.4
8.1: -0.4
x1 : -0.6
"""


def test_check_answers_with_the_slides_numbers(tmp_path: Path) -> None:
    printed: list[str] = []
    result = check_answers(neuron(), write(tmp_path, SLIDE_FILE), output=printed.append)
    assert result.all_correct and result.score == "12/12 correct"
    report = printed[0].splitlines()
    assert report[0] == "step 1: f (1/x) = 0.73, upstream 1.00"
    assert report[1].split() == ["1.1", "→", "1+exp(-z)", "expected", "-0.53", "given", "-0.53", "✓"]
    assert report[-1] == "12/12 correct"
    assert sum(line.startswith("step ") for line in report) == 8


def test_check_answers_reports_wrong_garbage_and_missing(tmp_path: Path) -> None:
    text = SLIDE_FILE.replace("1.1: -0.53", "1.1: 0.53").replace("x0: 0.4", "x0: zero").replace("x1 : -0.6", "")
    result = check_answers(neuron(), write(tmp_path, text), output=None)
    assert result.score == "9/12 correct (2 unanswered)" and not result.all_correct
    wrong = {a.question.id: a for a in result.answers if not a.correct}
    assert set(wrong) == {"1.1", "7.2", "8.2"}
    assert wrong["1.1"].given == 0.53
    assert wrong["7.2"].given is None and wrong["7.2"].note.startswith("not a number: 'zero'")
    assert wrong["8.2"].note == "unanswered; upstream 0.20 × local -3.00 = -0.60 (exactly -0.5898)"
    assert "✗  upstream 1.00 × local -0.53 = -0.53" in result.report()


def test_check_answers_local(tmp_path: Path) -> None:
    f = neuron()
    lines = [f"{q.id}: {SLIDE_LOCAL[key(q)]}" for q in questions(f, "local")]
    assert check_answers(f, write(tmp_path, "\n".join(lines)), ask="local", output=None).all_correct


@pytest.mark.parametrize("text, message", [
    ("1.1 -0.53", "answers.txt line 1: expected 'ID: number'"),
    ("\n9.1: 0.2", "answers.txt line 2: no question '9.1'; the questions are 1.1 to 8.2"),
    ("1.1: -0.53\n1: -0.53", "answers.txt line 2: a second answer to question 1.1"),
    ("5: 0.2", "no question '5'"),  # step 5 has two inputs: 5.1 and 5.2
])
def test_bad_answers_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(AnswersError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_answers(neuron(), write(tmp_path, text), output=None)


def test_a_label_that_receives_from_several_steps_is_ambiguous(tmp_path: Path) -> None:
    root = EXAMPLES["copy-node"].build().root  # f = x·(x + y): x feeds both f and q
    with pytest.raises(AnswersError, match=r"'x' receives gradients from several steps; use the question numbers \(1.1, 2.1\)"):
        check_answers(root, write(tmp_path, "x: 5"), output=None)
    assert check_answers(root, write(tmp_path, "1.1: 5\n1.2: 2\n2.1: 2\ny: 2"), output=None).all_correct


def test_an_answers_file_saved_with_a_byte_order_mark_or_crlf_is_graded(tmp_path: Path) -> None:
    path = tmp_path / "notepad.txt"  # as Windows Notepad saves UTF-8
    path.write_bytes(b"\xef\xbb\xbf" + SLIDE_FILE.replace("\n", "\r\n").encode("utf-8"))
    assert check_answers(neuron(), path, output=None).all_correct


def test_unreadable_answers_files(tmp_path: Path) -> None:
    with pytest.raises(AnswersError, match="cannot read the answers file .*missing.txt"):
        check_answers(neuron(), tmp_path / "missing.txt", output=None)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("1.1: \xe9".encode("latin-1"))
    with pytest.raises(AnswersError, match="not UTF-8 text"):
        check_answers(neuron(), bad, output=None)


# --- the notebook form ------------------------------------------------------------------------

class FakeWidget:
    """Stands in for an ipywidgets widget: attributes, children, and buttons that can be clicked."""

    def __init__(self, children: list[Any] | None = None, **attrs: Any) -> None:
        self.children = children or []
        self.value, self.disabled, self.handlers = "", False, []
        self.__dict__.update(attrs)

    def on_click(self, handler: Callable[[Any], None]) -> None:
        self.handlers.append(handler)

    def click(self) -> None:
        for handler in self.handlers:
            handler(self)


FAKE_WIDGETS = SimpleNamespace(HTML=FakeWidget, Label=FakeWidget, Text=FakeWidget, Button=FakeWidget,
                               HBox=FakeWidget, VBox=FakeWidget)


def test_notebook_form(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[Any] = []
    monkeypatch.setattr(practice_module, "_notebook_widgets", lambda: FAKE_WIDGETS)
    monkeypatch.setattr("IPython.display.display", shown.append)
    f = neuron()
    result = practice(f)
    (form,) = shown
    heading, row, feedback = form.children
    prompt, answer, check, hint, stop = row.children
    assert heading.value == "<b>step 1: f (1/x) = 0.73, upstream 1.00</b>"
    assert prompt.value == "1.1  downstream gradient to 1+exp(-z) (1.37):"
    hint.click()
    assert "d/dx [1/x] = -1/x^2" in feedback.value
    check.click()  # an empty box is not an answer (nor a way to stop)
    assert not result.answers and not result.stopped
    answer.value = "-0.53"
    check.click()
    answer.value = "oops"
    check.click()
    assert "not a number, try again" in feedback.value and answer.value == ""
    answer.value = "0.9"
    check.click()
    assert [a.correct for a in result.answers] == [True, False]  # the result fills in as the student answers
    assert "✗ not quite: upstream -0.53 × local 1.00 = -0.53" in feedback.value
    stop.click()
    assert result.stopped and heading.value == "<b>1/2 correct (stopped after 2 of 12 questions)</b>"
    assert answer.disabled and check.disabled


def test_injected_io_wins_over_the_notebook_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(practice_module, "_notebook_widgets", lambda: FAKE_WIDGETS)
    result, script = run(neuron(), ["q"])
    assert result.stopped and script.prompts


# --- command line handlers --------------------------------------------------------------------

def cli(argv: list[str]) -> int:
    return main(argv)  # the command line in process: the handlers' exit codes, errors as one line


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def feed(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return feed


def test_cli_practice_reads_stdin(stdin: Callable[[str], None], capsys: pytest.CaptureFixture[str]) -> None:
    stdin("-0.53\nabc\n-0.53\n0.5\n\n")
    assert cli(["practice", "neuron"]) == 0
    out = capsys.readouterr().out
    assert "'abc' is not a number, try again" in out
    assert "✗ not quite: upstream -0.53 × local 0.37 = -0.20" in out
    assert out.rstrip().endswith("stopped: 2/3 correct (stopped after 3 of 12 questions)")
    assert "1.1  downstream gradient to 1+exp(-z) (1.37): -0.53\n" in out  # piped answers are echoed


def test_cli_practice_expr_and_local(stdin: Callable[[str], None], capsys: pytest.CaptureFixture[str]) -> None:
    stdin("5\n-2\n-2\n-2\n")  # f = z*(x+y) at (2, 3, -2): df/dz = 5, df/dq = -2, then df/dx = df/dy = -2
    assert cli(["practice", "--expr", "z*(x+y)", "--at", "x=2,y=3,z=-2"]) == 0
    out = capsys.readouterr().out
    assert "Backward pass of f = -10.00" in out and out.rstrip().endswith("4/4 correct")
    stdin("1\n1\n")
    assert cli(["practice", "--expr", "x+y", "--at", "x=2,y=3", "--ask", "local"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("2/2 correct")


def test_cli_practice_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, SLIDE_FILE)
    assert cli(["practice", "neuron", "--answers", str(good)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("12/12 correct")
    good.write_text(SLIDE_FILE.replace("w0: -0.2", "w0: 0.2"), encoding="utf-8")
    assert cli(["practice", "neuron", "--answers", str(good)]) == 1
    out = capsys.readouterr().out
    assert "11/12 correct" in out and "✗  upstream 0.20 × local -1.00 = -0.20" in out


@pytest.mark.parametrize("argv, message", [
    (["practice", "moons"], "unknown graph example 'moons'; choose from add-mul, neuron"),
    (["practice"], "give a lecture example (add-mul, neuron"),
    (["practice", "neuron", "--expr", "x"], "not both or neither"),
    (["practice", "--expr", "x+", "--at", "x=1"], "cannot read the expression"),
    (["practice", "--expr", "x+y", "--at", "x=1"], "unknown name 'y' at column 3; bound names: x"),
    (["practice", "--expr", "x", "--at", "x=1"], "is a leaf"),
    (["practice", "neuron", "--answers", "no/such/file.txt"], "cannot read the answers file"),
    (["practice", "neuron", "--tolerance", "-1"], "tolerance must be a positive number"),
])
def test_cli_errors_are_one_line_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("microgradnet: error: ") and captured.err.count("\n") == 1
    assert message in captured.err


# --- through the installed command, answers piped into stdin ------------------------------------

def command(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "microgradnet", *argv], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", timeout=60)


def test_command_practice_neuron_with_piped_answers() -> None:
    f = neuron()
    answers = slide_answers(f, SLIDE_DOWNSTREAM)
    typed = [answers[0], "h", "forty", "-0.6", *answers[2:]]  # a hint, garbage, a wrong answer, then the slide
    done = command("practice", "neuron", stdin="\n".join(typed) + "\n")
    assert done.returncode == 0 and done.stderr == ""
    out = done.stdout
    assert "    hint: d/dx [x + 1] = 1; upstream -0.53; downstream = upstream × local" in out
    assert "    'forty' is not a number, try again (h for a hint, q to stop)" in out
    assert "  2.1  downstream gradient to exp(-z) (0.37): -0.6\n    ✗ not quite: upstream -0.53 × local 1.00 = -0.53" in out
    assert out.rstrip().endswith("11/12 correct")


def test_command_practice_quits_on_an_empty_line() -> None:
    done = command("practice", "--expr", "z*(x+y)", "--at", "x=2,y=3,z=-2", stdin="5\n\n-2\n")
    assert done.returncode == 0
    assert done.stdout.rstrip().endswith("stopped: 1/1 correct (stopped after 1 of 4 questions)")


def test_command_practice_answers_exit_codes(tmp_path: Path) -> None:
    good = write(tmp_path, SLIDE_FILE)
    done = command("practice", "neuron", "--answers", str(good))
    assert done.returncode == 0 and done.stdout.rstrip().endswith("12/12 correct")
    good.write_text(SLIDE_FILE.replace("x0: 0.4", "x0: 0.45"), encoding="utf-8")
    done = command("practice", "neuron", "--answers", str(good))
    assert done.returncode == 1 and "11/12 correct" in done.stdout


@pytest.mark.parametrize("argv", [["practice", "nosuch"], ["practice", "neuron", "--ask", "upstream"],
                                  ["practice", "--expr", "z*(x+", "--at", "x=1"]])
def test_command_bad_arguments_one_line_exit_2(argv: list[str]) -> None:
    done = command(*argv)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("microgradnet: error: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
