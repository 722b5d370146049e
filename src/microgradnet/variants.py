"""Variants for a class: the same graph with other pleasant numbers at the leaves, one per student.

A ``Source`` says which graph a worksheet is about (a lecture example, an expression, or a random
graph of ``exercises``); ``variants(source, students, seed)`` gives each student a ``Variant``:
the source's graph with new leaf numbers (small integers, or one decimal where the lecture uses
decimals), drawn from a generator seeded by the seed and the student, and kept only when the
graph is pleasant to do by hand (no domain error, every number printable to 2 decimals, no
gradient below 0.01, nor below 0.05 where the lecture has none so small, unless the lecture's own
numbers have a zero there). The numbers are recomputed by
each op's own rule (``op.rule``), as ``Tape.forward`` does; no derivative is written here.

A variant's answers sheet carries ``sheet NAME: value`` lines (student, graph, leaf numbers and
a short code, a hash of the rest), so ``grading`` rebuilds its key from the sheet alone and a
damaged or edited header is caught (``read_sheet_lines``).
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .engine import Value, topological_order
from .practice import SHEET, AnswersError, questions

TRIES = 2000  # candidate numbers per variant before giving up
LARGEST = 99.99  # a number on a sheet stays below 100: short enough for a box
SMALLEST = 0.01  # a gradient prints as at least 0.01 (0.004 would print 0.00, 0.006 as a rounding lottery)
FLOOR = 0.05  # and, where the lecture's own numbers allow, at least 0.05: no saturated sigmoid's 0.02s
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U to misread
# leaves that keep the lecture's number in every variant: bias inputs fixed at 1 and the target sign
FIXED: dict[str, tuple[str, ...]] = {"delta-rule": ("x0", "z0"), "seven-unit": ("t",)}


class VariantError(ValueError):
    """Variants that cannot be made (too few different pleasant numbers) or a roster that cannot be read."""


@dataclass(frozen=True)
class Source:
    """The graph of a worksheet: ``kind`` "example" (``spec`` its name), "expr" (``spec`` the expression,
    ``at`` its numbers) or "random" (``spec`` the options of ``exercises.random_graph``)."""

    kind: str
    spec: str
    at: str = ""

    def build(self, values: dict[str, float] | None = None) -> tuple[Value, dict[str, Value]]:
        """The graph and its named leaves, at the source's own numbers or at ``values`` (every leaf named)."""
        if self.kind == "example":
            from .examples import EXAMPLES

            example = EXAMPLES[self.spec].build()
            root, leaves = example.root, dict(example.leaves)  # type: ignore[union-attr]
        elif self.kind == "expr":
            from .expr import parse_at

            root, leaves = parse_at(self.spec, self.at)
        else:
            from .exercises import random_graph_from_spec

            root, leaves = random_graph_from_spec(self.spec)
        if values is not None:
            if set(values) != set(leaves):
                raise AnswersError(f"expected numbers for {', '.join(leaves)}, got {', '.join(values) or 'none'}")
            for name, leaf in leaves.items():
                leaf.data = values[name]
            recompute(root)
        return root, leaves

    @property
    def name(self) -> str:
        """A file-name stem for the worksheet: the example's name, else ``worksheet`` or ``random``."""
        return {"example": self.spec, "expr": "worksheet"}.get(self.kind, "random")

    @property
    def fixed(self) -> tuple[str, ...]:
        return FIXED.get(self.spec, ()) if self.kind == "example" else ()

    def line(self) -> str:
        """The ``sheet graph:`` value: ``neuron``, ``expr z*(x+y)`` or ``random ops=+,* nodes=5 ...``."""
        return self.spec if self.kind == "example" else f"{self.kind} {self.spec}"

    @classmethod
    def from_line(cls, text: str) -> Source:
        """The source a ``sheet graph:`` value names (the inverse of ``line``)."""
        from .examples import EXAMPLES

        kind, _, spec = text.strip().partition(" ")
        if kind in ("expr", "random") and spec.strip():
            return cls(kind, spec.strip())
        if kind in EXAMPLES and not EXAMPLES[kind].trains and not spec:
            return cls("example", kind)
        raise AnswersError(f"'sheet graph' names no graph microgradnet knows: {text.strip()!r}")


def recompute(root: Value) -> None:
    """The forward pass again after leaves changed: each op node's value and local gradients from its own rule."""
    for node in topological_order(root):
        if node.inputs:
            node.data, node.local_grads = node.op.rule(*(v.data for v in node.inputs))


@dataclass(frozen=True)
class Variant:
    """One student's sheet: the source's graph at ``values``, numbered ``number`` of ``count`` in the class."""

    source: Source
    values: dict[str, float]
    student: str
    number: int = 1
    count: int = 1
    ask: str = "downstream"
    code: str = field(default="")

    def __post_init__(self) -> None:
        if not self.code:
            object.__setattr__(self, "code", variant_code(self.source, self.values, self.student, self.ask))

    def build(self) -> tuple[Value, dict[str, Value]]:
        return self.source.build(self.values)

    @property
    def title(self) -> str:
        """What the sheet is headed with: ``neuron, Ana Lopez, variant K7QX2M`` (``sheet 3 of 30`` without a roster)."""
        who = self.student or f"sheet {self.number} of {self.count}"
        return f"{self.source.name}, {who}, variant {self.code}"

    def stem(self, name: str = "") -> str:
        """File-name stem of this variant's files: ``neuron-03-ana-lopez`` (``neuron-03`` without a student;
        ``name`` instead of the source's name)."""
        width = max(2, len(str(self.count)))
        slug = "-".join("".join(c if c.isalnum() else " " for c in self.student.lower()).split())
        return f"{name or self.source.name}-{self.number:0{width}d}" + (f"-{slug[:40]}" if slug else "")

    def sheet_lines(self) -> list[str]:
        """The lines that name this variant on its answers sheet; ``read_sheet_lines`` reads them back."""
        lines = [f"{SHEET}student: {self.student}"] if self.student else []
        lines += [f"{SHEET}graph: {self.source.line()}", f"{SHEET}at: {values_text(self.values)}"]
        if self.ask != "downstream":
            lines.append(f"{SHEET}ask: {self.ask}")
        return [*lines, f"{SHEET}code: {self.code}"]


def values_text(values: dict[str, float]) -> str:
    """``x=2,y=-0.5``: the numbers as ``--at`` takes them (``expr.parse_assignments`` reads them back)."""
    return ",".join(f"{name}={value:g}" for name, value in values.items())


def variant_code(source: Source, values: dict[str, float], student: str, ask: str = "downstream") -> str:
    """Six characters that change with the graph, the numbers, the student or the question kind (a hash of them)."""
    text = "\n".join([source.line(), values_text(values), student, ask])
    digest = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "big")
    return "".join(CODE_ALPHABET[(digest >> (5 * k)) & 31] for k in range(6))


def read_sheet_lines(text: str, source: str = "sheet") -> tuple[Variant, str]:
    """The variant an answers sheet names in its ``sheet`` lines, and the sheet with those lines blanked.

    Blanking keeps the line numbers of the answers, so ``practice.read_answers`` names the right line.
    Raises ``AnswersError`` naming ``source`` when a line is missing or the code does not fit the rest.
    """
    from .expr import ExpressionError, parse_assignments

    fields: dict[str, str] = {}
    body = []
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.strip().startswith(SHEET) and ":" in raw:
            key, _, value = raw.strip()[len(SHEET):].partition(":")
            if key.strip() in fields:
                raise AnswersError(f"{source} line {number}: a second 'sheet {key.strip()}' line")
            fields[key.strip()] = value.strip()
            body.append("")
        else:
            body.append(raw)
    missing = [k for k in ("graph", "at", "code") if k not in fields]
    if missing:
        raise AnswersError(f"{source}: no 'sheet {missing[0]}:' line; not a variant sheet of microgradnet worksheet")
    ask = fields.get("ask", "downstream")
    try:
        graph = Source.from_line(fields["graph"])
        values = parse_assignments(fields["at"])
    except (ExpressionError, AnswersError) as err:
        raise AnswersError(f"{source}: {err}") from None
    variant = Variant(graph, values, fields.get("student", ""), ask=ask)
    if variant.code != fields["code"]:
        raise AnswersError(f"{source}: its sheet lines do not fit its code {fields['code']!r} "
                           f"(a sheet line was edited or damaged)")
    return variant, "\n".join(body) + "\n"


# --- pleasant numbers -------------------------------------------------------------------------

def choices(original: float) -> list[float]:
    """The numbers a leaf may take: integers -4..4 for an integer (wider for a larger one), else one decimal
    within twice the original's size (at least ±1.0, at most ±3.0); never 0, which zeroes a product's gradient."""
    if original.is_integer():
        k = int(min(6, max(4, 2 * abs(original))))
        return [float(n) for n in range(-k, k + 1) if n]
    k = round(min(3.0, max(1.0, 2 * abs(original))) * 10)
    return [n / 10 for n in range(-k, k + 1) if n]


def _numbers(root: Value, ask: str) -> dict[str, float] | None:
    """Every number a sheet and its key show, by name (node values, each question's local and downstream
    gradient, each leaf's gradient), or None when one is not finite."""
    try:
        qs = questions(root, ask)
    except (ArithmeticError, ValueError):
        return None
    shown: dict[str, float] = {f"value {k}": v.data for k, v in enumerate(topological_order(root))}
    for q in qs:
        shown[f"local {q.id}"] = q.step.local[q.index]
        shown[f"downstream {q.id}"] = q.step.downstream[q.index]
    sums: dict[Value, float] = {}
    for q in qs:
        if not q.input.inputs:
            sums[q.input] = sums.get(q.input, 0.0) + q.step.downstream[q.index]
    shown.update({f"gradient {k}": g for k, g in enumerate(sums.values())})
    return shown if all(math.isfinite(x) for x in shown.values()) else None


def _small(name: str, x: float, floor: float = SMALLEST) -> bool:
    return abs(x) < floor and not name.startswith("value")


def zeros(root: Value, ask: str = "downstream") -> set[str]:
    """The gradients of ``root``'s sheet below 0.01 in size: where the lesson itself has a zero gradient."""
    shown = _numbers(root, ask) or {}
    return {name for name, x in shown.items() if _small(name, x)}


def floor(root: Value, ask: str = "downstream") -> float:
    """How small a variant's gradients may be: as small as the smallest non-zero one of ``root``'s own sheet,
    but never below 0.01, and 0.05 is small enough."""
    shown = _numbers(root, ask) or {}
    sizes = [abs(x) for name, x in shown.items() if not name.startswith("value") and abs(x) >= SMALLEST]
    return min(FLOOR, max(SMALLEST, min(sizes, default=FLOOR)))


def pleasant(root: Value, allowed_zeros: set[str], ask: str = "downstream", smallest: float = SMALLEST) -> bool:
    """Whether ``root``'s sheet is pleasant by hand: every number finite and below 100 in size, and no
    gradient smaller than ``smallest`` (0.01 prints as 0.01, not 0.00) except those in ``allowed_zeros``."""
    shown = _numbers(root, ask)
    if shown is None:
        return False
    for name, x in shown.items():
        if abs(x) > LARGEST or (_small(name, x, smallest) and name not in allowed_zeros):
            return False
    return True


def draw_values(
    build: Callable[[], tuple[Value, dict[str, Value]]], rng: random.Random, taken: set[tuple[float, ...]],
    ask: str = "downstream", originals: dict[str, float] | None = None, allowed_zeros: set[str] | None = None,
    fixed: Sequence[str] = (), what: str = "the graph", smallest: float | None = None,
) -> dict[str, float]:
    """Pleasant leaf numbers for the graph ``build()`` makes, drawn from ``rng``, different from every tuple in
    ``taken`` (the new one is added); the leaves in ``fixed`` keep their number. Gradients are at least
    ``smallest`` in size (default: ``floor`` of the graph at its own numbers) or zero where it has zeros."""
    root, leaves = build()
    originals = originals or {name: leaf.data for name, leaf in leaves.items()}
    allowed = zeros(root, ask) if allowed_zeros is None else allowed_zeros
    smallest = floor(root, ask) if smallest is None else smallest
    pools = {name: [originals[name]] if name in fixed else choices(originals[name]) for name in leaves}
    for _ in range(TRIES):
        values = {name: rng.choice(pool) for name, pool in pools.items()}
        key = tuple(values.values())
        if key in taken:
            continue
        for name, leaf in leaves.items():
            leaf.data = values[name]
        try:
            recompute(root)
        except (ArithmeticError, ValueError):  # a domain error (log of a negative, division by 0): draw again
            continue
        if pleasant(root, allowed, ask, smallest):
            taken.add(key)
            return values
    raise VariantError(f"variants: no {'further ' if taken else ''}pleasant numbers for {what} in "
                       f"{TRIES} tries (every gradient must print as a non-zero number below 100)")


def variants(
    source: Source, students: Sequence[str] | int, seed: int = 0, ask: str = "downstream",
) -> list[Variant]:
    """One variant per student (or ``students`` numbered sheets), pairwise different and unlike the source's own.

    Each student's numbers come from a generator seeded by ``seed`` and the student's name, so a
    student keeps their sheet when the roster grows; only if two draws coincide does the later
    student draw again.
    """
    from .engine import as_int

    if isinstance(students, int):
        as_int(students, "variants: the number of variants", 1)
        names = [""] * students
    else:
        names = list(students)
        if not names:
            raise VariantError("variants: the roster is empty")
    root, leaves = source.build()
    originals = {name: leaf.data for name, leaf in leaves.items()}
    taken = {tuple(originals.values())}
    allowed, smallest = zeros(root, ask), floor(root, ask)
    made = []
    for number, student in enumerate(names, 1):
        rng = random.Random(f"microgradnet variant {seed} {student or number}")
        values = draw_values(source.build, rng, taken, ask, originals, allowed, source.fixed, source.line(), smallest)
        made.append(Variant(source, values, student, number, len(names), ask))
    return made


def read_roster(path: str | Path) -> list[str]:
    """The students of a roster file: one name or id per row (the first column of a CSV), blank rows skipped."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise VariantError(f"cannot read the roster {file}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise VariantError(f"cannot read the roster {file}: it is not UTF-8 text") from None
    names: dict[str, int] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        name = cells[0]
        if not name:
            raise VariantError(f"roster {file} row {number}: the first column (the name or id) is empty")
        if len(name) > 80 or not name.isprintable():
            raise VariantError(f"roster {file} row {number}: expected a name or id of at most 80 printable "
                               f"characters, got {name[:40]!r}")
        if name in names:
            raise VariantError(f"roster {file} row {number}: {name!r} is already on row {names[name]}")
        names[name] = number
    if not names:
        raise VariantError(f"roster {file} is empty: expected one name or id per row")
    return list(names)


def write_worksheets(made: Sequence[Variant], out_dir: str | Path, formats: Sequence[str] = ("svg", "png"),
                     name: str = "") -> list[Path]:
    """Each variant's worksheet (``worksheet.worksheet``, titled with the student and code) and the class list
    ``NAME-class.csv`` (number, student, code, file stem), into ``out_dir``; returns the files written."""
    from .files import write_atomic
    from .worksheet import worksheet

    written: list[Path] = []
    rows = [["number", "student", "code", "sheet"]]
    for v in made:
        root, _ = v.build()
        written += worksheet(root, out_dir, v.stem(name), v.ask, formats, title=v.title, sheet_lines=v.sheet_lines())
        rows.append([str(v.number), v.student, v.code, f"{v.stem(name)}-answers.txt"])
    table = io.StringIO()
    csv.writer(table, lineterminator="\n").writerows(rows)
    name = name or (made[0].source.name if made else "worksheet")
    written.append(write_atomic(Path(out_dir) / f"{name}-class.csv", table.getvalue(), "worksheet"))
    return written
