"""Grading a class: 30 generated neuron sheets filled right, wrong, blank, damaged and with another's answers."""
from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pytest

from microgradnet.cli import main
from microgradnet.grading import grade, write_grades
from microgradnet.variants import Source, Variant, variants, write_worksheets

IDS = ["1.1", "2.1", "3.1", "4.1", "5.1", "5.2", "6.1", "6.2", "7.1", "7.2", "8.1", "8.2"]
STUDENTS = [f"Student {k:02d}" for k in range(30)]


def cli(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:
        return int(stop.code or 0)


def neuron_steps(values: dict[str, float]) -> dict[str, tuple[float, float]]:
    """(upstream, local) of each question of the neuron 1/(1 + exp(-(w0 x0 + w1 x1 + w2))), by hand."""
    x0, x1, w0, w1, w2 = (values[k] for k in ("x0", "x1", "w0", "w1", "w2"))
    e = math.exp(-(w0 * x0 + w1 * x1 + w2))
    d = 1 + e
    g = e / d**2  # df/dz = f (1 - f)
    return {"1.1": (1.0, -1 / d**2), "2.1": (-1 / d**2, 1.0), "3.1": (-1 / d**2, e), "4.1": (-e / d**2, -1.0),
            "5.1": (g, 1.0), "5.2": (g, 1.0), "6.1": (g, 1.0), "6.2": (g, 1.0),
            "7.1": (g, x0), "7.2": (g, w0), "8.1": (g, x1), "8.2": (g, w1)}


def right(values: dict[str, float], qid: str, given: float) -> bool:
    """Right within 0.005 of the exact answer or of the rounded upstream × rounded local (the slides' way)."""
    up, local = neuron_steps(values)[qid]
    return any(abs(given - target) <= 0.005 + 1e-9 for target in (up * local, round(up, 2) * round(local, 2)))


def key(values: dict[str, float]) -> dict[str, float]:
    return {qid: up * local for qid, (up, local) in neuron_steps(values).items()}


def fill(path: Path, answers: dict[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^(\d\.\d):", lambda m: f"{m[1]}: {answers[m[1]]}" if m[1] in answers else m[0],
                           text, flags=re.M), encoding="utf-8")


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Variant], dict[str, list[str]]]:
    """The class's sheets, filled in; the CSV rows each sheet must give, by file name (computed here)."""
    out = tmp_path_factory.mktemp("class")
    made = variants(Source("example", "neuron"), STUDENTS, seed=2026)
    write_worksheets(made, out, formats=("svg",))
    expected: dict[str, list[str]] = {}
    for k, v in enumerate(made):
        path = out / f"{v.stem()}-answers.txt"
        exact = key(v.values)
        if k < 10:  # right, to 2 decimals
            given = {q: f"{exact[q]:.2f}" for q in IDS}
        elif k < 16:  # a sign error on 1.1 and 7.2, the local gradient e^-z on 3.1
            given = {q: f"{exact[q]:.2f}" for q in IDS}
            given["1.1"], given["7.2"] = f"{-exact['1.1']:.2f}", f"{-exact['7.2']:.2f}"
            given["3.1"] = f"{neuron_steps(v.values)['3.1'][1]:.2f}"
        elif k < 20:  # blank
            given = {}
        elif k < 24:  # damaged below
            given = {q: f"{exact[q]:.2f}" for q in IDS}
        elif k < 27:  # copied from the sheet of student k - 24
            given = {q: f"{x:.2f}" for q, x in key(made[k - 24].values).items()}
        else:  # the first six right, the rest left blank
            given = {q: f"{exact[q]:.2f}" for q in IDS[:6]}
        fill(path, given)
        cells = ["" if q not in given else str(int(right(v.values, q, float(given[q])))) for q in IDS]
        correct = cells.count("1")
        expected[path.name] = [v.student, v.code, str(path), str(correct), "12", f"{100 * correct / 12:.0f}", *cells]
    damaged = [out / f"{made[k].stem()}-answers.txt" for k in range(20, 24)]
    damaged[0].write_bytes(b"\x89PNG\r\n\x1a\n not a sheet at all \xff")
    text = damaged[1].read_text(encoding="utf-8")
    damaged[1].write_text(re.sub(r"^sheet code: .*$", "", text, flags=re.M), encoding="utf-8")
    text = damaged[2].read_text(encoding="utf-8")
    damaged[2].write_text(text.replace("5.2: ", "5.2 "), encoding="utf-8")  # the colon lost
    text = damaged[3].read_text(encoding="utf-8")
    damaged[3].write_text(re.sub(r"(sheet at: x0=)(-?\d+)", lambda m: f"{m[1]}{int(m[2]) + 1}", text), encoding="utf-8")
    for path in damaged:
        expected[path.name] = []
    return out, made, expected


def test_the_csv_is_the_one_computed_here(graded_class: tuple[Path, list[Variant], dict[str, list[str]]],
                                          tmp_path: Path) -> None:
    out, made, expected = graded_class
    grades = grade([out])
    write_grades(grades, tmp_path / "grades.csv", tmp_path / "missed.png")
    rows = list(csv.reader(io.StringIO((tmp_path / "grades.csv").read_text(encoding="utf-8"))))
    assert rows[0] == ["student", "code", "file", "correct", "questions", "percent", *IDS, "mistakes", "fits", "error"]
    assert len(rows) == 31
    for row in rows[1:]:
        want = expected[Path(row[2]).name]
        if want:
            assert row[:18] == want and row[20] == "", row[2]
        else:
            assert row[3:18] == [""] * 15 and row[20], row[2]
    by_student = {row[0]: row for row in rows[1:]}
    for k in range(10, 16):
        named = dict(part.split(": ", 1) for part in by_student[STUDENTS[k]][18].split("; "))
        assert set(named) == {"1.1", "3.1", "7.2"}  # -x can be another mistake's number too: both are named then
        assert "sign error" in named["1.1"] and "sign error" in named["7.2"]
        assert "local instead of downstream" in named["3.1"]
    assert [by_student[STUDENTS[k]][3] for k in range(10)] == ["12"] * 10
    fits = {row[0]: row[19] for row in rows[1:] if row[19]}
    assert fits == {STUDENTS[24 + k]: f"{made[k].code} ({STUDENTS[k]})" for k in range(3)}  # the copied sheets
    assert re.search(r"line \d+: expected 'ID: number' \(e\.g\. '1\.1: -0\.53'\), got '5\.2 -?\d\.\d\d +# to w2'",
                     by_student[STUDENTS[22]][20])  # the damaged sheet still names its student
    assert (tmp_path / "missed.png").read_bytes().startswith(b"\x89PNG")


def test_every_damaged_sheet_is_named_and_the_others_graded(
    graded_class: tuple[Path, list[Variant], dict[str, list[str]]],
) -> None:
    out, made, _ = graded_class
    grades = grade([out])
    assert len(grades.graded) == 26 and len(grades.failed) == 4
    summary = grades.summary()
    assert summary.startswith("Graded 26 of 30 sheets of neuron (12 questions each)")
    failed = summary.split("4 sheets not graded:\n")[1].splitlines()
    names = [out / f"{made[k].stem()}-answers.txt" for k in range(20, 24)]
    assert [line.split(": ", 1)[0].split(" line ")[0].strip() for line in failed] == [str(p) for p in names]
    assert "it is not UTF-8 text" in failed[0]
    assert "no 'sheet code:' line" in failed[1]
    assert "expected 'ID: number'" in failed[2]
    assert "do not fit its code" in failed[3]


def test_copied_answers_are_pointed_out(graded_class: tuple[Path, list[Variant], dict[str, list[str]]]) -> None:
    out, made, _ = graded_class
    grades = grade([out])
    copies = {s.student: s.fits.student for s in grades.graded if s.fits is not None}  # type: ignore[union-attr]
    assert copies == {STUDENTS[24]: STUDENTS[0], STUDENTS[25]: STUDENTS[1], STUDENTS[26]: STUDENTS[2]}
    assert f"variant {made[0].code} of" in grades.summary()


def test_the_most_missed_questions(graded_class: tuple[Path, list[Variant], dict[str, list[str]]]) -> None:
    out, _, _ = graded_class
    grades = grade([out])
    missed = {qid: (wrong, why) for qid, wrong, why in grades.missed()}
    # 1.1: 6 sign errors, 4 blank, 3 copied (other numbers), 3 of the last sheets answered it right
    assert missed["1.1"][1].get("sign") == 6 and missed["1.1"][1].get("unanswered") == 4
    assert missed["8.2"][1].get("unanswered") == 4 + 3  # blank sheets and the half-filled ones
    assert grades.missed()[0][0] in ("1.1", "3.1", "7.2")


def test_a_sheet_of_another_graph_is_reported(tmp_path: Path) -> None:
    write_worksheets(variants(Source("example", "neuron"), ["Ana", "Cy"], 1), tmp_path, formats=("svg",))
    write_worksheets(variants(Source("example", "add-mul"), ["Bo"], 1), tmp_path, formats=("svg",))
    grades = grade([tmp_path])
    (other,) = grades.failed
    assert other.student == "Bo" and "a sheet of add-mul (downstream), the class's sheets are of neuron" in other.error


def test_cli_grade(graded_class: tuple[Path, list[Variant], dict[str, list[str]]], tmp_path: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    out, _, _ = graded_class
    csv_path = tmp_path / "grades.csv"
    assert cli(["grade", str(out), "--csv", str(csv_path), "--reports", str(tmp_path / "reports")]) == 1
    printed = capsys.readouterr().out
    assert printed.startswith("Graded 26 of 30 sheets of neuron") and "4 sheets not graded:" in printed
    assert csv_path.exists() and (tmp_path / "grades-missed.png").exists()
    assert len(list((tmp_path / "reports").glob("*-report.txt"))) == 26
    report = (tmp_path / "reports" / "neuron-11-student-10-answers-report.txt").read_text(encoding="utf-8")
    assert "Student 10" in report and "sign error" in report


def test_cli_grade_one_file_all_right_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (v,) = variants(Source("example", "neuron"), ["Ana"], 3)
    write_worksheets([v], tmp_path, formats=("svg",))
    sheet = tmp_path / f"{v.stem()}-answers.txt"
    fill(sheet, {q: f"{x:.2f}" for q, x in key(v.values).items()})
    assert cli(["grade", str(sheet), "--csv", str(tmp_path / "g.csv"), "--plot", str(tmp_path / "p.png")]) == 0
    assert "12 all right" in capsys.readouterr().out.replace("1 all right", "12 all right")


@pytest.mark.parametrize("argv, message", [
    (["EMPTYDIR", "--csv", "OUT/g.csv"], "grade: no answers sheets (.txt files) in"),
    (["MISSING", "--csv", "OUT/g.csv"], "grade: no such file or directory"),
    (["EMPTYDIR", "--csv", "NODIR/sub/g.csv"], "does not exist"),
    (["EMPTYDIR"], "the following arguments are required: --csv"),
])
def test_cli_grade_bad_input(argv: list[str], message: str, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "EMPTYDIR").mkdir()
    (tmp_path / "OUT").mkdir()
    paths = {"EMPTYDIR": tmp_path / "EMPTYDIR", "MISSING": tmp_path / "MISSING"}
    args = [str(paths[a]) if a in paths else a.replace("OUT", str(tmp_path / "OUT")).replace(
        "NODIR", str(tmp_path / "NODIR")) for a in argv]
    assert cli(["grade", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert list((tmp_path / "OUT").iterdir()) == [] and not (tmp_path / "NODIR").exists()


def test_a_gift_quiz_next_to_the_sheets_is_not_a_sheet(tmp_path: Path) -> None:
    write_worksheets(variants(Source("example", "neuron"), ["Ana"], 1), tmp_path, formats=("svg",))
    assert cli(["worksheet", "neuron", "--variants", "1", "--format", "gift", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "neuron.gift.txt").exists()
    grades = grade([tmp_path])
    assert [s.path.name for s in grades.sheets] == ["neuron-01-ana-answers.txt"] and not grades.failed
    assert grades.summary().startswith("Graded 1 of 1 sheet of neuron")
