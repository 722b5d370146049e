"""Variants: one sheet per student, same graph, other pleasant numbers, each with its own key."""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from microgradnet import examples
from microgradnet.cli import main
from microgradnet.examples import EXAMPLES
from microgradnet.expr import parse_at
from microgradnet.practice import AnswersError, questions
from microgradnet.trace import trace_backward
from microgradnet.variants import (
    Source,
    Variant,
    VariantError,
    read_roster,
    read_sheet_lines,
    values_text,
    variants,
    write_worksheets,
)

GRAPHS = [name for name, example in EXAMPLES.items() if not example.trains]
NEURON = "1/(1+exp(-(w0*x0+w1*x1+w2)))"


def cli(argv: list[str]) -> int:
    """The command line in process; an argparse error exits (SystemExit) with its code."""
    try:
        return main(argv)
    except SystemExit as stop:
        return int(stop.code or 0)


def built_at(name: str, values: dict[str, float], monkeypatch: pytest.MonkeyPatch) -> examples.GraphExample:
    """The lecture example built afresh by its own builder, its leaves at ``values`` (not through variants)."""
    leaves = examples._leaves
    monkeypatch.setattr(examples, "_leaves", lambda **given: leaves(**{k: values.get(k, v) for k, v in given.items()}))
    built = EXAMPLES[name].build()
    monkeypatch.setattr(examples, "_leaves", leaves)
    assert isinstance(built, examples.GraphExample)
    return built


@pytest.mark.parametrize("name", GRAPHS)
def test_every_key_is_trace_backward_of_the_variant_built_afresh(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for v in variants(Source("example", name), 8, seed=11):
        fresh = built_at(name, v.values, monkeypatch)
        steps = [s for s in trace_backward(fresh.root) if s.inputs]
        expected = [d for s in steps for d in s.downstream]
        root, _ = v.build()
        assert [q.expected for q in questions(root)] == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert root.data == pytest.approx(fresh.root.data, rel=1e-12)
        for check in fresh.checks:  # the slide's own hand derivation, at the variant's numbers
            assert check.autodiff == pytest.approx(check.hand, rel=1e-9, abs=1e-12), (name, check.name)


@pytest.mark.parametrize("name", GRAPHS)
def test_variants_are_pairwise_different_and_unlike_the_lecture(name: str) -> None:
    made = variants(Source("example", name), 30, seed=2026)
    lecture = {k: leaf.data for k, leaf in EXAMPLES[name].build().leaves.items()}  # type: ignore[union-attr]
    numbers = [tuple(v.values.values()) for v in made]
    assert len(set(numbers)) == 30 and tuple(lecture.values()) not in numbers
    assert len({v.code for v in made}) == 30
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{6}", v.code) for v in made)


@pytest.mark.parametrize("name", GRAPHS)
def test_leaves_are_small_integers_or_one_decimal_and_fixed_leaves_stay(name: str) -> None:
    lecture = EXAMPLES[name].build().leaves  # type: ignore[union-attr]
    for v in variants(Source("example", name), 20, seed=3):
        for label, x in v.values.items():
            assert x != 0 and abs(x) <= 6 and round(x, 1) == x
            if lecture[label].data.is_integer():
                assert x.is_integer()
    if name in ("delta-rule", "seven-unit"):  # bias inputs x0 = z0 = 1, the target t = 1
        fixed = {"delta-rule": ("x0", "z0"), "seven-unit": ("t",)}[name]
        assert all(v.values[k] == lecture[k].data for v in variants(Source("example", name), 20, seed=3) for k in fixed)


@pytest.mark.parametrize("name", GRAPHS)
def test_every_gradient_prints_to_two_decimals_and_is_not_zero_unless_the_lecture_has_a_zero(name: str) -> None:
    lecture = {q.id: q.expected for q in questions(EXAMPLES[name].build().root)}
    for v in variants(Source("example", name), 20, seed=5):
        root, _ = v.build()
        for q in questions(root):
            assert abs(q.expected) <= 99.99
            if abs(lecture[q.id]) >= 0.01:
                assert abs(q.expected) >= 0.01, (name, q.id, q.expected)
            assert abs(float(f"{q.expected:.2f}") - q.expected) <= 0.005  # the printed number is within its rounding


def test_no_domain_errors_over_a_thousand_seeds() -> None:
    expr = "log(x) * sqrt(y) / (z - 1) + x ** 0.5"  # log, sqrt and a fractional power need x, y > 0; z = 1 divides by 0
    source = Source("expr", expr, "x=2,y=3,z=2")
    for seed in range(1000):
        (v,) = variants(source, 1, seed)
        root, leaves = parse_at(expr, values_text(v.values))  # the engine afresh: raises on a domain error
        root.backward()
        assert v.values["x"] > 0 and v.values["y"] > 0 and v.values["z"] != 1
        assert all(math.isfinite(leaf.grad) and abs(leaf.grad) >= 0.01 for leaf in leaves.values())


def test_no_domain_errors_in_the_neuron_over_a_thousand_seeds() -> None:
    for seed in range(1000):
        (v,) = variants(Source("expr", NEURON, "x0=-1,x1=-2,w0=2,w1=-3,w2=-3"), 1, seed)
        f, leaves = parse_at(NEURON, values_text(v.values))
        z = v.values["w0"] * v.values["x0"] + v.values["w1"] * v.values["x1"] + v.values["w2"]
        assert f.data == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-12)
        f.backward()
        slope = f.data * (1 - f.data)
        assert leaves["w0"].grad == pytest.approx(slope * v.values["x0"], rel=1e-9)
        assert abs(slope * min(abs(x) for x in v.values.values())) >= 0.05  # no smaller than the lecture allows


def test_deterministic_per_seed_and_student() -> None:
    source = Source("example", "neuron")
    class_a = variants(source, ["Ana", "Bo", "Cy"], seed=5)
    again = variants(source, ["Ana", "Bo", "Cy"], 5)
    assert [(v.values, v.code) for v in class_a] == [(v.values, v.code) for v in again]
    late = variants(source, ["Zoe", "Ana"], seed=5)  # Ana keeps her sheet when the roster changes
    assert late[1].values == class_a[0].values and late[1].code == class_a[0].code
    assert [v.values for v in variants(source, ["Ana", "Bo", "Cy"], seed=6)] != [v.values for v in class_a]
    numbered = variants(source, 3, seed=5)
    assert [v.values for v in numbered] == [v.values for v in variants(source, 3, seed=5)]


def test_expressions_have_variants_too() -> None:
    made = variants(Source("expr", "z*(x+y)", "x=2,y=3,z=-2"), 10, seed=1)
    for v in made:
        root, leaves = parse_at("z*(x+y)", values_text(v.values))
        root.backward()
        x, y, z = (v.values[k] for k in "xyz")
        assert (leaves["x"].grad, leaves["y"].grad, leaves["z"].grad) == (z, z, x + y)
        assert [q.expected for q in questions(v.build()[0])] == [x + y, z, z, z]  # to z, to x+y, then x and y


def test_too_few_different_numbers_is_an_error() -> None:
    with pytest.raises(VariantError, match="no further pleasant numbers for expr exp"):
        variants(Source("expr", "exp(x)", "x=1"), 30, seed=0)  # x from -4..4 without 0: 8 sheets at most
    with pytest.raises(VariantError, match="the roster is empty"):
        variants(Source("example", "neuron"), [], seed=0)
    with pytest.raises(ValueError, match="must be an int >= 1, got 0"):
        variants(Source("example", "neuron"), 0, seed=0)


def test_the_sheet_lines_name_the_variant_and_catch_an_edit() -> None:
    (v,) = variants(Source("example", "neuron"), ["Ana Lopez"], seed=2026)
    text = "\n".join(["# a sheet", *v.sheet_lines(), "1.1: -0.5"]) + "\n"
    read, body = read_sheet_lines(text, "ana.txt")
    assert (read.source, read.values, read.student, read.code) == (v.source, v.values, "Ana Lopez", v.code)
    assert body.splitlines() == ["# a sheet", "", "", "", "", "1.1: -0.5"]  # the answers keep their line numbers
    at = next(line for line in v.sheet_lines() if line.startswith("sheet at:"))
    edited = text.replace(at, re.sub(r"w0=(-?\d+)", lambda m: f"w0={int(m[1]) + 1}", at))
    with pytest.raises(AnswersError, match=f"ana.txt: its sheet lines do not fit its code '{v.code}'"):
        read_sheet_lines(edited, "ana.txt")
    with pytest.raises(AnswersError, match="ana.txt: no 'sheet code:' line"):
        read_sheet_lines(text.replace(f"sheet code: {v.code}", ""), "ana.txt")
    with pytest.raises(AnswersError, match="names no graph microgradnet knows: 'xor'"):
        read_sheet_lines(text.replace("sheet graph: neuron", "sheet graph: xor"), "ana.txt")


def test_roster(tmp_path: Path) -> None:
    roster = tmp_path / "students.csv"
    roster.write_text("Ana Lopez,ana@example.org\n\n  Bo Chen \n1234\n", encoding="utf-8")
    assert read_roster(roster) == ["Ana Lopez", "Bo Chen", "1234"]
    for text, message in [("", "is empty"), ("\n ,\n", "is empty"),
                          ("Ana\nBo\nAna\n", "row 3: 'Ana' is already on row 1"),
                          ("Ana\n,Bo\n", "row 2: the first column (the name or id) is empty"),
                          ("Ana\nB\x07o\n", "row 2: expected a name or id of at most 80 printable")]:
        roster.write_text(text, encoding="utf-8")
        with pytest.raises(VariantError, match=re.escape(message)):
            read_roster(roster)
    roster.write_bytes(b"\xff\xfeA\x00n\x00")
    with pytest.raises(VariantError, match="not UTF-8 text"):
        read_roster(roster)
    with pytest.raises(VariantError, match="cannot read the roster"):
        read_roster(tmp_path / "missing.csv")


def test_the_class_worksheets_and_list(tmp_path: Path) -> None:
    made = variants(Source("example", "add-mul"), ["Ana Lopez", "Bo"], seed=1)
    written = write_worksheets(made, tmp_path, formats=("svg",))
    assert [p.name for p in written] == [
        "add-mul-01-ana-lopez.svg", "add-mul-01-ana-lopez-answers.txt", "add-mul-01-ana-lopez-key.md",
        "add-mul-02-bo.svg", "add-mul-02-bo-answers.txt", "add-mul-02-bo-key.md", "add-mul-class.csv"]
    sheet = (tmp_path / "add-mul-01-ana-lopez-answers.txt").read_text(encoding="utf-8")
    assert sheet.startswith(f"# Worksheet add-mul, Ana Lopez, variant {made[0].code}:")
    assert read_sheet_lines(sheet)[0].code == made[0].code
    assert f"Ana Lopez, variant {made[0].code}:" in (tmp_path / "add-mul-01-ana-lopez.svg").read_text("utf-8")
    key = (tmp_path / "add-mul-01-ana-lopez-key.md").read_text(encoding="utf-8")
    x, y = made[0].values["x"], made[0].values["y"]
    assert f"| 1.1 | f (*) | z | 1.00 | {x + y:.2f} | {x + y:.2f} |" in key
    assert (tmp_path / "add-mul-class.csv").read_text(encoding="utf-8").splitlines() == [
        "number,student,code,sheet", f"1,Ana Lopez,{made[0].code},add-mul-01-ana-lopez-answers.txt",
        f"2,Bo,{made[1].code},add-mul-02-bo-answers.txt"]


def test_a_variant_without_a_roster_is_numbered() -> None:
    v = Variant(Source("example", "neuron"), {"x0": 1.0, "x1": 1.0, "w0": 1.0, "w1": 1.0, "w2": 1.0}, "", 3, 30)
    assert v.stem() == "neuron-03" and v.title == f"neuron, sheet 3 of 30, variant {v.code}"
    assert not any(line.startswith("sheet student") for line in v.sheet_lines())


def test_cli_variants_and_roster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "class"
    assert main(["worksheet", "neuron", "--variants", "3", "--seed", "2026", "--out", str(out)]) == 0
    assert "Wrote 13 files" in capsys.readouterr().out
    assert sorted(p.name for p in out.glob("*-answers.txt")) == [f"neuron-0{k}-answers.txt" for k in (1, 2, 3)]
    roster = tmp_path / "roster.csv"
    roster.write_text("Ana\nBo\n", encoding="utf-8")
    assert main(["worksheet", "--expr", "z*(x+y)", "--at", "x=2,y=3,z=-2", "--roster", str(roster),
                 "--out", str(tmp_path / "expr"), "--name", "q"]) == 0
    assert (tmp_path / "expr" / "q-01-ana-answers.txt").exists() and (tmp_path / "expr" / "q-class.csv").exists()


@pytest.mark.parametrize("argv, message", [
    (["--variants", "0"], "argument --variants: expected a whole number >= 1, got '0'"),
    (["--roster", "EMPTY"], "roster EMPTY is empty"),
    (["--roster", "DUPLICATE"], "row 2: 'Ana' is already on row 1"),
    (["--roster", "MISSING"], "cannot read the roster MISSING"),
    (["--variants", "2", "--roster", "EMPTY"], "give --variants N or --roster FILE, not both"),
])
def test_cli_bad_variants_are_one_line_exit_2_and_write_nothing(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "EMPTY").write_text("\n", encoding="utf-8")
    (tmp_path / "DUPLICATE").write_text("Ana\nAna\n", encoding="utf-8")
    files = {name: str(tmp_path / name) for name in ("EMPTY", "DUPLICATE", "MISSING")}
    out = tmp_path / "out"
    code = cli(["worksheet", "neuron", *[files.get(a, a) for a in argv], "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("microgradnet: error: ")
    assert message.replace("EMPTY", files["EMPTY"]).replace("MISSING", files["MISSING"]) in err
    assert not out.exists()


def test_practice_answers_on_a_variant_sheet_points_to_grade(tmp_path: Path) -> None:
    from microgradnet import check_answers

    (v,) = variants(Source("example", "neuron"), ["Ana"], seed=1)
    write_worksheets([v], tmp_path, formats=("svg",))
    sheet = tmp_path / f"{v.stem()}-answers.txt"
    with pytest.raises(AnswersError, match=f"'sheet student' makes this a variant's sheet.*microgradnet grade {sheet}"):
        check_answers(EXAMPLES["neuron"].build().root, sheet, output=None)


def test_the_code_changes_with_every_field_of_the_sheet() -> None:
    source = Source("example", "add-mul")
    values = {"x": 1.0, "y": 2.0, "z": 3.0}
    code = Variant(source, values, "Ana").code
    assert Variant(source, dict(values), "Ana").code == code  # a hash of the fields, not of the object
    others = [Variant(source, {**values, "z": 4.0}, "Ana"), Variant(source, values, "Bo"),
              Variant(source, values, "Ana", ask="local"), Variant(Source("example", "copy-node"), values, "Ana")]
    assert code not in {v.code for v in others}
