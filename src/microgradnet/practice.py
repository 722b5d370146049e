"""Practice mode: the student does the backward pass, microgradnet checks every step.

``practice(root)`` walks the steps of ``trace_backward(root)`` and asks, at each op node, for
the downstream gradient to each input (or the local gradient); ``check_answers`` grades a whole
answers file at once. Answers are accepted within ``tolerance`` (0.005: two decimals, as on the
slides) of the exact number or of the product of the rounded numbers shown, as the slides
compute it (0.20 × 2.00 = 0.40 where the exact value is 0.39). No derivative is computed here:
every number comes from the trace, which reads the engine's ``local_grads``.

Answers file format (what ``worksheet`` writes for the student to fill in), one answer a line::

    # comments and blank lines are ignored; an ID with no number counts as unanswered
    1.1: -0.53      # question 1 of step 1 (step.input, both counted from 1)
    4: 0.20         # a step with one input: its number alone
    w0: -0.20       # the label of the input the gradient goes to, when one question leads there

A variant's sheet (``variants.py``) also has ``sheet student:``, ``sheet graph:``, ``sheet at:`` and
``sheet code:`` lines saying whose numbers it has; ``microgradnet grade`` reads them, ``check_answers``
refuses such a sheet, as its numbers are not the graph's own.
"""
from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .engine import Value
from .feedback import feedback, named
from .trace import Step, check_root, fmt, fresh_pass, node_name, node_title

ASK = ("downstream", "local")
SHEET = "sheet "  # the lines of a variant's answers sheet that say which variant it is (variants.py) start so
QUIT = ("", "q", "quit", "exit")
HINT = ("h", "hint", "?")


MAX_ANSWERS_BYTES = 1024 * 1024  # an answers file of a few hundred questions is a few KiB
MAX_LINE = 10_000  # characters of one typed or piped answer


class AnswersError(ValueError):
    """An answers file that cannot be read: the message names the file, the line and the problem."""


# --- the local derivative rules, as text for hints (each op's ``formula``, from ops.py) ---

def local_rules(node: Value) -> list[tuple[str, str]]:
    """For each input of ``node``: the variable it plays in the op's rule and the rule,
    e.g. ("x", "d/dx exp(x) = exp(x)")."""
    return [(d.variable, d.text) for d in node.op.derivatives_for(len(node.inputs))]


# --- questions and answers ---------------------------------------------------------------

def digits_for(tolerance: float) -> int:
    """How many decimals a student needs to get within ``tolerance``: 2 for 0.005, 3 for 0.0005."""
    return max(0, math.ceil(-math.log10(2 * tolerance) - 1e-9))


@dataclass(frozen=True, eq=False)
class Question:
    """One number the student is asked for: a step's downstream (or local) gradient to one input."""

    id: str
    step_number: int
    step: Step
    index: int
    ask: str
    digits: int

    @property
    def node(self) -> Value:
        return self.step.node

    @property
    def input(self) -> Value:
        return self.step.inputs[self.index]

    @property
    def expected(self) -> float:
        """The exact answer, read from the trace."""
        return self.step.downstream[self.index] if self.ask == "downstream" else self.step.local[self.index]

    @property
    def shown(self) -> float:
        """The answer from the numbers as shown (rounded upstream × rounded local), as the slides compute it."""
        if self.ask == "local":
            return self.expected
        return float(fmt(self.step.upstream, self.digits)) * float(fmt(self.step.local[self.index], self.digits))

    def accepts(self, given: float, tolerance: float) -> bool:
        """Whether ``given`` is within ``tolerance`` of the exact answer or of the one from the shown numbers."""
        slack = tolerance * (1 + 1e-9)  # 0.125 answered as 0.13 is exactly 0.005 away
        return any(given == target or abs(given - target) <= slack for target in (self.expected, self.shown))

    def header(self) -> str:
        """The step this question belongs to, e.g. ``step 1: f (1/x) = 0.73, upstream 1.00``."""
        d = self.digits
        value, upstream = fmt(self.node.data, d), fmt(self.step.upstream, d)
        return f"step {self.step_number}: {node_title(self.node)} = {value}, upstream {upstream}"

    def prompt(self) -> str:
        name, value = node_name(self.input, self.digits), fmt(self.input.data, self.digits)
        if self.ask == "downstream":
            return f"  {self.id}  downstream gradient to {name} ({value}): "
        return f"  {self.id}  local gradient of {node_name(self.node, self.digits)} with respect to {name} ({value}): "

    def rule(self) -> str:
        """The local derivative rule of this input, at the values of the inputs its right-hand side uses."""
        derivatives = self.node.op.derivatives_for(len(self.node.inputs))
        rule = derivatives[self.index]
        values = [f"{d.variable} = {fmt(v.data, self.digits)}" for d, v in zip(derivatives, self.node.inputs)
                  if rule.uses_all or d.variable in rule.uses]
        return f"{rule.text}, at {', '.join(values)}" if values else rule.text

    def named_rule(self) -> str:
        """The rule in this node's own names, with its value: ``d/dq [z * q] = z = -2.00``.

        The op's variables (x, y, ...; ``Derivative.variable``) are replaced by the names of the inputs
        they stand for, so the hint never clashes with the problem's own x and y.
        """
        derivatives = self.node.op.derivatives_for(len(self.node.inputs))
        names = {d.variable: _term(node_name(v, self.digits)) for d, v in zip(derivatives, self.node.inputs)}
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\b")
        rule = derivatives[self.index]
        head = f"d/d{rule.variable}"  # "d/dy" holds y with no word boundary before it
        body = rule.text.removeprefix(head)
        text = f"d/d{names[rule.variable]}" * (body != rule.text) + pattern.sub(lambda m: names[m[1]], body)
        local = fmt(self.step.local[self.index], self.digits)
        _, _, right = text.rpartition(" = ")
        return text if parse_number(right) is not None else f"{text} = {local}"

    def hint(self) -> str:
        if self.ask == "downstream":
            upstream = fmt(self.step.upstream, self.digits)
            return f"hint: {self.rule()}; upstream {upstream}; downstream = upstream × local"
        return f"hint: {self.rule()}"

    def explain(self) -> str:
        """How the answer comes about: ``upstream 0.20 × local 2.00 = 0.40 (exactly 0.3932)``."""
        d = self.digits
        if self.ask == "local":
            return f"local {fmt(self.expected, d)}: {self.rule()}"
        shown, exact = fmt(self.shown, d), fmt(self.expected, d)
        exactly = "" if shown == exact else f" (exactly {self.expected:.{d + 2}f})"
        return f"upstream {fmt(self.step.upstream, d)} × local {fmt(self.step.local[self.index], d)} = {shown}{exactly}"


@dataclass(frozen=True)
class Answer:
    """A question with what the student gave (None: unanswered) and whether it was accepted."""

    question: Question
    given: float | None
    correct: bool
    hinted: bool = False
    note: str = ""

    @property
    def expected(self) -> float:
        return self.question.expected

    def line(self) -> str:
        """One line of a grading report: id, target input, expected, given, verdict."""
        q, d = self.question, self.question.digits
        given = "—" if self.given is None else _number_text(self.given)
        verdict = "✓" if self.correct else f"✗  {self.note or q.explain()}"
        expected = fmt(q.expected, d)
        return f"  {q.id:<5} → {node_name(q.input, d):<12} expected {expected:>6}   given {given:>6}   {verdict}"


@dataclass
class PracticeResult:
    """A practice session or a graded answers file: one ``Answer`` per question asked."""

    questions: list[Question]
    answers: list[Answer] = field(default_factory=list)
    stopped: bool = False

    @property
    def correct(self) -> int:
        return sum(a.correct for a in self.answers)

    @property
    def all_correct(self) -> bool:
        return len(self.answers) == len(self.questions) and self.correct == len(self.questions)

    @property
    def score(self) -> str:
        """``7/12 correct``, saying so when the session stopped early or questions were left unanswered."""
        text = f"{self.correct}/{len(self.answers)} correct"
        unanswered = sum(a.given is None for a in self.answers)
        if self.stopped:
            text += f" (stopped after {len(self.answers)} of {len(self.questions)} questions)"
        elif unanswered:
            text += f" ({unanswered} unanswered)"
        return text

    def report(self) -> str:
        """The per-step grading report: a header line per step, a line per answer, then the score."""
        lines, step = [], None
        for answer in self.answers:
            if answer.question.step_number != step:
                step = answer.question.step_number
                lines.append(answer.question.header())
            lines.append(answer.line())
        return "\n".join([*lines, self.score])

    def __str__(self) -> str:
        return self.report()

    def __repr__(self) -> str:
        return f"<PracticeResult: {self.score}>"


def questions(root: Value, ask: str = "downstream", tolerance: float = 0.005) -> list[Question]:
    """The questions of ``root``'s backward pass in order: one per input of each op step.

    Leaves ``.grad`` as it was: the trace's backward pass is undone.
    """
    check_root(root, "practice")
    if ask not in ASK:
        raise ValueError(f"practice: ask must be 'downstream' or 'local', got {ask!r}")
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance > 0):
        raise ValueError(f"practice: tolerance must be a positive number, got {tolerance!r}")
    if not root.inputs:
        raise ValueError(f"practice: {node_name(root)} is a leaf, there is no backward pass to practise")
    digits = digits_for(tolerance)
    steps = [s for s in fresh_pass(root, digits)[0] if s.inputs]  # this pass's numbers, whatever .grad held
    return [Question(f"{n}.{i + 1}", n, step, i, ask, digits)
            for n, step in enumerate(steps, 1) for i in range(len(step.inputs))]


def _term(name: str) -> str:
    """A node's name as a term of a formula: ``z`` as is, ``1+exp(-z)`` in parentheses."""
    return name if re.fullmatch(r"\w+", name) else f"({name})"


def parse_number(text: str) -> float | None:
    """A typed answer as a float (``-0.53``, ``−0.53``, ``1e-3``, ``-1/2``), or None if it is not a number."""
    text = text.strip().replace("−", "-").replace(",", ".")
    numerator, slash, denominator = text.partition("/")
    try:
        value = float(numerator) / float(denominator) if slash else float(text)
    except (ValueError, ZeroDivisionError):
        return None
    return None if math.isnan(value) else value


def _number_text(x: float) -> str:
    return f"{x:g}"


# --- the interactive session ----------------------------------------------------------------

class _Session:
    """The state of one practice session, shared by the terminal and the notebook front ends."""

    def __init__(self, root: Value, questions: list[Question], tolerance: float) -> None:
        self.root = root
        self.tolerance = tolerance
        self.result = PracticeResult(questions)
        self.hinted = False

    @property
    def current(self) -> Question | None:
        done = self.result.stopped or len(self.result.answers) == len(self.result.questions)
        return None if done else self.result.questions[len(self.result.answers)]

    def intro(self) -> str:
        qs = self.result.questions
        what = "downstream gradient" if qs[0].ask == "downstream" else "local gradient"
        steps = qs[-1].step_number
        return (f"Backward pass of {node_name(self.root)} = {fmt(self.root.data, qs[0].digits)}: "
                f"{steps} step{'s' * (steps > 1)}, {len(qs)} {what}{'s' * (len(qs) > 1)} to find, "
                f"to {qs[0].digits} decimals.")

    def respond(self, text: str) -> list[str]:
        """Feedback on what the student typed; a number answers the current question and moves on."""
        q = self.current
        if q is None:
            return []
        command = text.strip().lower()
        if command in QUIT:
            self.result.stopped = True
            return [f"stopped: {self.result.score}"]
        if command in HINT:
            self.hinted = True
            return [f"    {q.hint()}", f"    here: {q.named_rule()}"]
        given = parse_number(text)
        if given is None:
            return [f"    {text.strip()!r} is not a number, try again (h for a hint, q to stop)"]
        correct = q.accepts(given, self.tolerance)
        mistake = "" if correct else named(q, given, self.result.questions, self.tolerance)
        note = "" if correct else q.explain() + (f"; {mistake}" if mistake else "")
        self.result.answers.append(Answer(q, given, correct, self.hinted, note))
        self.hinted = False
        lines = ["    ✓ right"] if correct else [f"    ✗ not quite: {q.explain()}"]
        if mistake:
            lines.append(f"      {mistake}")  # the usual mistake this number is, when it is one
        if self.current is None:
            lines.append(self.result.score)
        return lines


def read_line(prompt: str) -> str:
    """``input()``, echoing the answer when it comes from a pipe, so a scripted session reads like a typed one.

    From a pipe a line is read up to MAX_LINE characters (longer is an AnswersError), and a byte
    order mark before the first answer is dropped (it made that answer "not a number").
    """
    if sys.stdin.isatty():
        return input(prompt)
    print(prompt, end="", flush=True)
    line = sys.stdin.readline(MAX_LINE + 1)
    if not line:
        raise EOFError
    if len(line) > MAX_LINE:
        raise AnswersError(f"stdin: an answer line is over {MAX_LINE:,} characters (starts {_excerpt(line)})")
    text = line.rstrip("\r\n").lstrip("\ufeff")
    print(text)
    return text


def _excerpt(text: str, width: int = 40) -> str:
    """``text`` quoted, cut to ``width`` characters: an error message never quotes a whole huge line."""
    text = text.strip()
    return repr(text) if len(text) <= width else f"{text[:width]!r}... ({len(text):,} characters)"


def _run_terminal(session: _Session, read: Callable[[str], str], write: Callable[[str], None]) -> None:
    write(session.intro())
    write("Type a number; h for a hint; q or an empty line to stop.")
    step = None
    while session.current is not None:
        if session.current.step_number != step:
            step = session.current.step_number
            write(session.current.header())
        try:
            text = read(session.current.prompt())
        except (EOFError, KeyboardInterrupt):
            write("")
            text = "q"
        for line in session.respond(text):
            write(line)


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel, where output is shown as HTML (not a terminal or plain IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def practice(
    root: Value,
    ask: str = "downstream",
    tolerance: float = 0.005,
    input: Callable[[str], str] | None = None,
    output: Callable[[str], None] | None = None,
) -> PracticeResult:
    """Do ``root``'s backward pass by hand, checked step by step; returns the answers and the score.

    Asks at each op node for the downstream gradient to each input (``ask="local"``: the local
    gradient). Reads with ``input`` and writes with ``output`` (default: the terminal). In a
    Jupyter notebook with no I/O given, shows the player page in practice mode instead (it
    checks the answers in the page, also in exported HTML) and returns the empty result.
    """
    session = _Session(root, questions(root, ask, tolerance), tolerance)
    if input is None and output is None and _in_notebook():
        from IPython.display import display

        from .player import Player

        display(Player(root, mode="practice", digits=digits_for(tolerance), tolerance=tolerance, ask=ask))
        return session.result
    _run_terminal(session, input or read_line, output or print)
    return session.result


# --- grading an answers file ----------------------------------------------------------------

def _question_ids(qs: list[Question]) -> dict[str, Question]:
    """Every way an answers file may name a question: ``7.2``, ``4`` for a one-input step, an input's label."""
    ids: dict[str, Question] = {q.id: q for q in qs}
    per_step: dict[int, list[Question]] = {}
    for q in qs:
        per_step.setdefault(q.step_number, []).append(q)
    ids.update({str(n): group[0] for n, group in per_step.items() if len(group) == 1})
    by_label: dict[str, list[Question]] = {}
    for q in qs:
        if q.input.label:
            by_label.setdefault(q.input.label, []).append(q)
    for label, group in by_label.items():
        if label not in ids:
            ids[label] = group[0] if len(group) == 1 else None  # type: ignore[assignment]  # None: ambiguous
    return ids


def read_answers(text: str, qs: list[Question], source: str = "answers") -> dict[Question, str]:
    """The answers in ``text`` (the format in this module's docstring) by question, as typed."""
    ids = _question_ids(qs)
    answers: dict[Question, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = line.rpartition(":")
        if not sep:
            raise AnswersError(
                f"{source} line {number}: expected 'ID: number' (e.g. '1.1: -0.53'), got {_excerpt(raw)}"
            )
        key = key.strip()
        if key.startswith(SHEET) and key not in ids:
            raise AnswersError(f"{source} line {number}: {key!r} makes this a variant's sheet, with numbers of its "
                               f"own: grade it with 'microgradnet grade {source}'")
        if key not in ids:
            raise AnswersError(f"{source} line {number}: no question {_excerpt(key)}; the questions are "
                               f"{qs[0].id} to {qs[-1].id} (step.input) or the inputs' labels")
        q = ids[key]
        if q is None:
            raise AnswersError(f"{source} line {number}: {key!r} receives gradients from several steps; "
                               f"use the question numbers ({', '.join(x.id for x in qs if x.input.label == key)})")
        if q in answers:
            raise AnswersError(f"{source} line {number}: a second answer to question {q.id} ({key!r})")
        answers[q] = value.strip()
    return answers


def check_answers(
    root: Value,
    answers_file: str | Path,
    ask: str = "downstream",
    tolerance: float = 0.005,
    output: Callable[[str], None] | None = print,
) -> PracticeResult:
    """Grade an answers file against ``root``'s backward pass and print the per-step report (for teachers).

    A question missing from the file, or answered with something that is not a number, counts as
    wrong. Pass ``output=None`` to grade without printing.
    """
    qs = questions(root, ask, tolerance)
    path = Path(answers_file)
    result = grade_answers(read_answers_file(path), qs, str(path), tolerance)
    if output is not None:
        output(result.report())
    return result


def read_answers_file(path: Path) -> str:
    """The text of an answers file, or an AnswersError naming it (missing, unreadable, not UTF-8)."""
    try:
        with open(path, "rb") as f:  # capped: /dev/zero or a 500 MB file is refused, not read into memory
            data = f.read(MAX_ANSWERS_BYTES + 1)
        if len(data) > MAX_ANSWERS_BYTES:
            raise AnswersError(f"cannot read the answers file {path}: it is over {MAX_ANSWERS_BYTES // 1024} KiB; "
                               "an answers file holds one short 'ID: number' line per question")
        text = data.decode("utf-8-sig")  # -sig: a byte order mark (Notepad) is not part of line 1
        return text
    except OSError as err:
        raise AnswersError(f"cannot read the answers file {path}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise AnswersError(f"cannot read the answers file {path}: it is not UTF-8 text") from None


def grade_answers(text: str, qs: list[Question], source: str = "answers", tolerance: float = 0.005) -> PracticeResult:
    """Grade the answers in ``text`` against ``qs``: missing or non-numbers count as wrong, a wrong number
    gets the mistake it matches (``feedback``) or the working."""
    typed = read_answers(text, qs, source)
    result = PracticeResult(qs)
    for q in qs:
        raw = typed.get(q, "")
        given = parse_number(raw) if raw else None
        if given is not None:
            correct = q.accepts(given, tolerance)
            result.answers.append(Answer(q, given, correct, note="" if correct else feedback(q, given, qs, tolerance)))
        else:
            note = f"not a number: {_excerpt(raw)}; {q.explain()}" if raw else f"unanswered; {q.explain()}"
            result.answers.append(Answer(q, None, False, note=note))
    return result
