"""Grading a class: a folder of filled-in variant sheets, one row per student, and what they missed.

``grade(paths)`` reads each answers sheet, rebuilds its key from its ``sheet`` lines (the variant
it names, ``variants.read_sheet_lines``) and grades it with ``practice.grade_answers``, so a sheet
is checked exactly as ``practice --answers`` checks one. A sheet that cannot be read (not text,
edited sheet lines, a broken answer line, another graph) is reported by name and the rest are
graded. ``Grades`` gives the CSV rows, a summary, the plot of the most-missed questions, and the
sheets whose answers fit another student's numbers better than their own.
"""
from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .feedback import KINDS, diagnose
from .files import check_output, write_atomic
from .practice import AnswersError, PracticeResult, grade_answers, questions, read_answers_file
from .quiz import SUFFIX
from .trace import node_name
from .variants import Variant, read_sheet_lines

GIFT_SUFFIX = SUFFIX["gift"]
UNANSWERED = "unanswered"
OTHER = "other"


@dataclass
class Sheet:
    """One graded (or unreadable) answers sheet: who, which variant, and each question's verdict."""

    path: Path
    variant: Variant | None = None
    result: PracticeResult | None = None
    kinds: dict[str, str] = field(default_factory=dict)  # question id -> mistake kind, UNANSWERED or OTHER
    named: dict[str, str] = field(default_factory=dict)  # question id -> the mistakes its number matches, in words
    targets: dict[str, str] = field(default_factory=dict)  # question id -> "node → input", as the sheet names them
    report: str = ""
    error: str = ""
    fits: Sheet | None = None  # another sheet whose numbers these answers fit better than their own
    fits_count: int = 0

    @property
    def student(self) -> str:
        return self.variant.student if self.variant else ""

    @property
    def code(self) -> str:
        return self.variant.code if self.variant else ""

    @property
    def who(self) -> str:
        """``sheets/ana.txt (Ana Lopez)``: the file, and the student when the sheet names one."""
        return f"{self.path} ({self.student})" if self.student else str(self.path)


def sheet_files(paths: Sequence[str | Path]) -> list[Path]:
    """The sheets to grade: each file given, and the ``.txt`` files of each directory given (not a GIFT quiz
    written next to them), in name order."""
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files += sorted(p for p in path.iterdir()
                            if p.suffix == ".txt" and not p.name.endswith(GIFT_SUFFIX) and p.is_file())
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"grade: no such file or directory: {given}")
    if not files:
        raise ValueError(f"grade: no answers sheets (.txt files) in {', '.join(map(str, paths))}")
    return list(dict.fromkeys(files))


def grade_sheet(path: Path, tolerance: float = 0.005) -> Sheet:
    """Grade one sheet against the key of the variant it names; an unreadable sheet gets ``error`` instead."""
    from .worksheet import sheet_labels

    sheet = Sheet(path)
    try:
        variant, body = read_sheet_lines(read_answers_file(path), str(path))
        sheet.variant = variant  # known from here on: a sheet whose answers cannot be read still names its student
        root, _ = variant.build()
        with sheet_labels(root):  # the node names the sheet itself shows (n1, n2, ... for unlabelled nodes)
            qs = questions(root, variant.ask, tolerance)
            result = grade_answers(body, qs, str(path), tolerance)
            sheet.report = f"{sheet.who}, variant {variant.code}\n{result.report()}"
            sheet.targets = {q.id: f"{node_name(q.node)} → {node_name(q.input)}" for q in qs}
    except (AnswersError, ValueError, ArithmeticError) as err:
        sheet.error = " ".join(str(err).split())
        return sheet
    sheet.result = result
    for answer in result.answers:
        if answer.correct:
            continue
        if answer.given is None:
            sheet.kinds[answer.question.id] = UNANSWERED
        else:
            found = diagnose(answer.question, answer.given, qs, tolerance)
            sheet.kinds[answer.question.id] = found[0].kind if found else OTHER
            if found:  # a number two mistakes give (-x where x is the upstream) names both
                sheet.named[answer.question.id] = " or ".join(KINDS[m.kind] for m in found)
    return sheet


def _fit(given: list[float | None], targets: list[tuple[float, float]], tolerance: float) -> int:
    """How many of the numbers ``given`` are right for a variant whose answers are ``targets`` (exact, shown),
    as ``Question.accepts`` takes them."""
    slack = tolerance * (1 + 1e-9)
    return sum(g is not None and (abs(g - exact) <= slack or abs(g - shown) <= slack)
               for g, (exact, shown) in zip(given, targets))


@dataclass
class Grades:
    """The graded class: every sheet in the order read, the graded ones sharing one graph."""

    sheets: list[Sheet]
    tolerance: float = 0.005

    @property
    def graded(self) -> list[Sheet]:
        return [s for s in self.sheets if s.result is not None]

    @property
    def failed(self) -> list[Sheet]:
        return [s for s in self.sheets if s.result is None]

    @property
    def results(self) -> list[tuple[Sheet, PracticeResult]]:
        """Each graded sheet with its result."""
        return [(s, result) for s in self.sheets if (result := s.result) is not None]

    @property
    def question_ids(self) -> list[str]:
        results = self.results
        return [q.id for q in results[0][1].questions] if results else []

    def rows(self) -> list[list[str]]:
        """The CSV: a header, then per sheet the student, code, file, score and each question (1 right,
        0 wrong, empty unanswered), the mistakes named, the variant whose numbers the answers fit better
        than their own (``find_copies``), and why a sheet was not graded."""
        ids = self.question_ids
        rows = [["student", "code", "file", "correct", "questions", "percent", *ids, "mistakes", "fits", "error"]]
        for s in self.sheets:
            if s.result is None:
                rows.append([s.student, s.code, str(s.path), "", "", "", *[""] * len(ids), "", "", s.error])
                continue
            fits = f"{s.fits.code} ({s.fits.student or s.fits.path.name})" if s.fits is not None else ""
            cells = {a.question.id: "" if a.given is None else str(int(a.correct)) for a in s.result.answers}
            named = "; ".join(f"{i}: {text}" for i, text in s.named.items())
            total = len(s.result.questions)
            rows.append([s.student, s.code, str(s.path), str(s.result.correct), str(total),
                         f"{100 * s.result.correct / total:.0f}", *[cells[i] for i in ids], named, fits, ""])
        return rows

    def csv_text(self) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(self.rows())
        return out.getvalue()

    def missed(self) -> list[tuple[str, int, dict[str, int]]]:
        """Each question with how many sheets got it wrong and why (kind -> count), most missed first."""
        counts = {i: {} for i in self.question_ids}  # type: dict[str, dict[str, int]]
        for s in self.graded:
            for i, kind in s.kinds.items():
                counts[i][kind] = counts[i].get(kind, 0) + 1
        ranked = [(i, sum(c.values()), c) for i, c in counts.items()]
        return sorted(ranked, key=lambda item: -item[1])

    def find_copies(self) -> None:
        """Mark each sheet whose numbers are right for another student's variant more often than for its own."""
        graded = [(s, result) for s in self.sheets if (result := s.result) is not None]
        targets = {id(s): [(a.question.expected, a.question.shown) for a in r.answers] for s, r in graded}
        for s, result in graded:
            given = [a.given for a in result.answers]
            answered = sum(g is not None for g in given)
            if result.correct >= answered - 2:  # their own numbers fit (nearly) all: nothing to point out
                continue
            fits = [(other, _fit(given, targets[id(other)], self.tolerance)) for other, _ in graded if other is not s]
            best, count = max(fits, key=lambda pair: pair[1], default=(None, 0))
            if best is not None and count >= max(3, 0.8 * answered) and count > result.correct:
                s.fits, s.fits_count = best, count

    def summary(self, top: int = 5) -> str:
        """The class in a few lines: how many graded, the scores, the most-missed questions, the problems."""
        graded, failed, lines = self.graded, self.failed, []
        if graded:
            first = graded[0]
            n = len(self.question_ids)
            scores = [result.correct for _, result in self.results]
            mean = statistics.mean(scores)
            graph = first.variant.source.line() if first.variant else "?"
            lines.append(f"Graded {len(graded)} of {len(self.sheets)} sheet{'s' * (len(self.sheets) > 1)} of {graph} "
                         f"({n} questions each): mean {mean:.1f}/{n} ({100 * mean / n:.0f}%), "
                         f"median {statistics.median(scores):g}/{n}; {scores.count(n)} all right, "
                         f"{sum(len(s.kinds) == n and set(s.kinds.values()) == {UNANSWERED} for s in graded)} blank")
            missed = [m for m in self.missed() if m[1]][:top]
            if missed:
                lines.append("Most missed:")
                for i, wrong, kinds in missed:
                    why = ", ".join(f"{_kind_name(k)} {c}" for k, c in sorted(kinds.items(), key=lambda kc: -kc[1]))
                    lines.append(f"  {i:<5} {first.targets[i]}: {wrong} of {len(graded)} wrong ({why})")
            copies = [(s, result, fits) for s, result in self.results if (fits := s.fits) is not None]
            if copies:
                lines.append("Answers that fit another student's numbers better than their own:")
                for s, result, fits in copies:
                    lines.append(f"  {s.who}: {s.fits_count} of {len(result.answers)} are right for "
                                 f"variant {fits.code} of {fits.who}")
        else:
            lines.append(f"No sheet of {len(self.sheets)} could be graded.")
        if failed:
            lines.append(f"{len(failed)} sheet{'s' * (len(failed) > 1)} not graded:")
            lines += [f"  {s.error}" if s.error.startswith(str(s.path)) else f"  {s.path}: {s.error}" for s in failed]
        return "\n".join(lines)

    def plot(self, path: str | Path, top: int = 12) -> Path:
        """A bar per question, the most-missed first, split by the mistake made; saved as a PNG at ``path``."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.colors
        import matplotlib.pyplot as plt
        import matplotlib.ticker

        missed = self.missed()[:top]
        kinds = [UNANSWERED, *KINDS, OTHER]
        used = [k for k in kinds if any(k in m[2] for m in missed)]
        first = self.graded[0] if self.graded else None
        labels = [f"{i}  {first.targets[i]}" if first else i for i, _, _ in missed]
        fig, ax = plt.subplots(figsize=(9, 0.45 * len(missed) + 2.4))
        try:
            left = [0] * len(missed)
            palette = [matplotlib.colors.to_hex(plt.get_cmap("tab10")(k)) for k in range(len(KINDS))]
            colours = dict(zip(kinds, ["#bbbbbb", *palette, "#555555"]))
            for kind in used:
                widths = [m[2].get(kind, 0) for m in missed]
                ax.barh(range(len(missed)), widths, left=left, color=colours[kind], label=_kind_name(kind))
                left = [a + b for a, b in zip(left, widths)]
            ax.set_yticks(range(len(missed)))
            ax.set_yticklabels(labels)
            ax.invert_yaxis()
            ax.set_xlim(0, max(1, len(self.graded)))
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
            ax.set_xlabel(f"sheets with the question wrong (of {len(self.graded)} graded)")
            ax.set_title("Most-missed questions, by the mistake made")
            if used:
                ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.4 / max(1, len(missed))),
                          ncol=min(3, len(used)), fontsize=8, frameon=False)
            fig.tight_layout()
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=150)
        finally:
            plt.close(fig)
        return write_atomic(path, buffer.getvalue(), "grade")


def _kind_name(kind: str) -> str:
    return {UNANSWERED: "unanswered", OTHER: "other wrong number"}.get(kind, KINDS.get(kind, kind))


def grade(paths: Sequence[str | Path], tolerance: float = 0.005) -> Grades:
    """Grade every sheet of ``paths`` (files, or directories of ``.txt`` sheets); the graph most sheets have is
    the class's, and a sheet of another graph is reported rather than graded."""
    sheets = [grade_sheet(path, tolerance) for path in sheet_files(paths)]
    graphs = Counter((s.variant.source.line(), s.variant.ask) for s in sheets if s.result and s.variant)
    if graphs:
        (line, ask), _ = graphs.most_common(1)[0]
        for s in sheets:
            if s.result is not None and s.variant and (s.variant.source.line(), s.variant.ask) != (line, ask):
                s.error = (f"a sheet of {s.variant.source.line()} ({s.variant.ask}), "
                           f"the class's sheets are of {line} ({ask})")
                s.result = None
    grades = Grades(sheets, tolerance)
    grades.find_copies()
    return grades


def write_grades(grades: Grades, csv_path: str | Path, plot_path: str | Path | None = None,
                 reports: str | Path | None = None) -> list[Path]:
    """Write the CSV, the plot of the most-missed questions and (into ``reports``) each sheet's report."""
    written = [write_atomic(csv_path, grades.csv_text(), "grade --csv")]
    if plot_path is not None:
        written.append(grades.plot(plot_path))
    if reports is not None:
        for s in grades.graded:
            report = Path(reports) / f"{s.path.stem}-report.txt"
            written.append(write_atomic(report, s.report + "\n", "grade --reports"))
    return written


def check_grade_outputs(csv_path: str | Path, plot_path: str | Path | None) -> None:
    """Fail before grading when an output cannot be written."""
    check_output(csv_path, "grade --csv")
    if plot_path is not None:
        check_output(plot_path, "grade --plot")
