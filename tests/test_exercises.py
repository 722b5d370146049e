"""Random exercises: graphs of the requested ops and size, a node used twice, pleasant numbers, seeded."""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

from microgradnet import ops
from microgradnet.cli import main
from microgradnet.engine import Value, topological_order
from microgradnet.exercises import RANDOM_OPS, parse_ops, random_graph
from microgradnet.expr import FUNCTIONS
from microgradnet.practice import questions
from microgradnet.variants import Source, read_sheet_lines, recompute, variants

# the engine's op of each name, written out here rather than read from exercises
ENGINE_OPS = {"+": ops.ADD, "-": ops.SUB, "*": ops.MUL, "/": ops.DIV, "exp": ops.EXP, "tanh": ops.TANH,
              "sigmoid": ops.SIGMOID, "log": ops.LOG, "sqrt": ops.SQRT, "**2": ops.with_const("**", 2.0)}


def cli(argv: list[str]) -> int:
    """The command line in process; an argparse error exits (SystemExit) with its code."""
    try:
        return main(argv)
    except SystemExit as stop:
        return int(stop.code or 0)


def op_nodes(root: Value) -> list[Value]:
    return [v for v in topological_order(root) if v.inputs]


def uses(root: Value) -> Counter[Value]:
    """How many times each node is an input of an op (a node twice in one op counts twice)."""
    return Counter(x for v in op_nodes(root) for x in v.inputs)


@pytest.mark.parametrize("mix", [("+", "*", "exp", "tanh"), ("-", "/", "sigmoid"), ("*", "log", "sqrt", "**2")])
@pytest.mark.parametrize("seed", range(8))
def test_the_requested_op_mix_and_size(mix: tuple[str, ...], seed: int) -> None:
    for nodes in (len(mix), 7):
        root, leaves = random_graph(mix, nodes, fanout=True, seed=seed)
        found = op_nodes(root)
        assert len(found) == nodes
        assert {v.op for v in found} == {ENGINE_OPS[name] for name in mix}  # each op of the mix, and only those
        assert set(leaves) == {v.label for v in topological_order(root) if not v.inputs}
        assert root.label == "f"


def test_fewer_nodes_than_ops_use_some_of_the_ops() -> None:
    root, _ = random_graph(("+", "*", "exp", "tanh"), 2, fanout=True, seed=1)
    assert len(op_nodes(root)) == 2 and {v.op for v in op_nodes(root)} <= {ops.ADD, ops.MUL, ops.EXP, ops.TANH}


@pytest.mark.parametrize("seed", range(20))
def test_fanout_uses_a_node_twice_and_without_it_every_node_once(seed: int) -> None:
    root, _ = random_graph(("+", "*", "exp", "tanh"), 6, fanout=True, seed=seed)
    assert max(uses(root).values()) >= 2
    tree, _ = random_graph(("+", "*", "exp", "tanh"), 6, fanout=False, seed=seed)
    assert set(uses(tree).values()) == {1}
    assert len(topological_order(tree)) == len(uses(tree)) + 1  # every node leads to the output


def test_fanout_prefers_an_inner_node_so_its_gradients_add_in_a_step() -> None:
    inner = 0
    for seed in range(20):
        root, _ = random_graph(("+", "*", "exp", "tanh"), 6, fanout=True, seed=seed)
        inner += any(v.inputs and n >= 2 for v, n in uses(root).items())
    assert inner == 20  # ops enough for a node before the reuse: always an inner one


@pytest.mark.parametrize("seed", range(20))
def test_numbers_are_pleasant_and_gradients_do_not_vanish(seed: int) -> None:
    root, leaves = random_graph(("+", "*", "exp", "tanh", "sigmoid"), 7, fanout=True, seed=seed)
    assert all(x.data != 0 and round(x.data, 1) == x.data and abs(x.data) <= 4 for x in leaves.values())
    root.backward()
    for q in questions(root):
        assert 0.01 <= abs(q.expected) <= 99.99
    h = 1e-6
    for leaf in leaves.values():  # the gradient against central differences of the graph's own function
        def f(x: float, leaf: Value = leaf) -> float:
            saved, leaf.data = leaf.data, x
            recompute(root)
            out = root.data
            leaf.data = saved
            recompute(root)
            return out
        numeric = (f(leaf.data + h) - f(leaf.data - h)) / (2 * h)
        assert leaf.grad == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_same_seed_same_graph() -> None:
    def shape(seed: int) -> list[tuple[str, tuple[float, ...]]]:
        root, _ = random_graph(("+", "*", "exp", "tanh"), 6, True, seed)
        return [(str(v.op), tuple(x.data for x in v.inputs)) for v in topological_order(root)]

    assert shape(3) == shape(3) and shape(3) != shape(4)


def test_bad_options() -> None:
    with pytest.raises(ValueError, match=r"unknown op 'cos'; choose from \+, -, \*, /, \*\*2, exp"):
        parse_ops("+,cos")
    with pytest.raises(ValueError, match="no ops given"):
        parse_ops(" , ")
    with pytest.raises(ValueError, match="--fanout needs a binary op"):
        random_graph(("exp", "tanh"), 4, fanout=True)
    with pytest.raises(ValueError, match="nodes must be at most 40"):
        random_graph(("+",), 41)
    with pytest.raises(ValueError, match="random graph: nodes must be an int >= 1, got 0"):
        random_graph(("+",), 0)
    assert set(FUNCTIONS) <= set(RANDOM_OPS)  # every function an expression may call


def test_variants_of_a_random_graph_rebuild_from_the_sheet() -> None:
    from microgradnet.exercises import spec

    source = Source("random", spec(("+", "*", "exp"), 5, True, 9))
    made = variants(source, 5, seed=1)
    assert len({tuple(v.values.values()) for v in made}) == 5
    text = "\n".join(made[2].sheet_lines()) + "\n"
    assert "sheet graph: random ops=+,*,exp nodes=5 fanout=1 seed=9" in text
    read, _ = read_sheet_lines(text)
    a, b = read.build()[0], made[2].build()[0]
    assert a.data == b.data and math.isfinite(a.data)


def test_cli_random_worksheet_and_practice(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli(["worksheet", "--random", "--ops", "+,*,exp,tanh", "--nodes", "6", "--fanout", "--seed", "4",
                "--out", str(tmp_path)]) == 0
    sheet = (tmp_path / "random-01-answers.txt").read_text(encoding="utf-8")
    assert "sheet graph: random ops=+,*,exp,tanh nodes=6 fanout=1 seed=4" in sheet
    png = (tmp_path / "random-01.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    capsys.readouterr()
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
    assert cli(["practice", "--random", "--ops", "+,*,exp,tanh", "--nodes", "6", "--fanout", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    root, _ = random_graph(("+", "*", "exp", "tanh"), 6, True, 4)
    assert out.startswith(f"Backward pass of f = {root.data:.2f}: ") and "downstream gradients to find" in out


@pytest.mark.parametrize("argv, message", [
    (["--random", "--ops", "+,cos"], "unknown op 'cos'"),
    (["--random", "--ops", "exp", "--fanout"], "--fanout needs a binary op"),
    (["neuron", "--random"], "--random makes its own graph: give no EXAMPLE or --expr with it"),
    (["--random", "--nodes", "0"], "argument --nodes: expected a whole number >= 1, got '0'"),
])
def test_cli_bad_random_options(argv: list[str], message: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert cli(["worksheet", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and not out.exists()
