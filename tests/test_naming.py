"""One naming rule for unlabelled nodes: the graph command, practice, the worksheet and the pictures agree."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from microgradnet import Value, examples
from microgradnet.expr import parse
from microgradnet.naming import name_nodes, named, names
from microgradnet.practice import questions


def command(*args: str, stdin: str = "") -> str:
    done = subprocess.run([sys.executable, "-m", "microgradnet", *args], input=stdin, capture_output=True,
                          text=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def test_the_rule_is_f_then_n1_n2_in_reading_order_skipping_taken_names() -> None:
    x, y = Value(2.0, label="x"), Value(3.0, label="n1")
    f = parse("exp(x*n1)+x", {"x": x, "n1": y})
    assert sorted(names(f).values()) == ["f", "n2", "n3"]  # x*n1, exp(...) (n1 is taken), the sum is f
    with named(f):
        assert f.label == "f" and f.inputs[0].label == "n3" and f.inputs[0].inputs[0].label == "n2"
    assert f.label == "" and names(f)[f] == "f"


def test_graph_practice_and_worksheet_name_the_nodes_alike(tmp_path: Path) -> None:
    at = ["--at", "x=2,y=3,z=-2"]
    graph = command("graph", "z*(x+y)", *at)
    assert "n1 (+)" in graph and "→  (z, n1)" in graph
    practised = command("practice", "--expr", "z*(x+y)", *at, stdin="q\n")
    assert "step 1: f (*) = -10.00" in practised
    command("worksheet", "--expr", "z*(x+y)", *at, "--out", str(tmp_path), "--name", "sheet")
    key = (tmp_path / "sheet-key.md").read_text(encoding="utf-8")
    assert "| 1.2 | f (*) | n1 |" in key and "| 2.1 | n1 (+) | x |" in key
    root = parse("z*(x+y)", {"x": 2, "y": 3, "z": -2})
    name_nodes(root)
    assert [q.input.label for q in questions(root)] == ["z", "n1", "x", "y"]


def test_hints_speak_of_the_problems_own_names_and_numbers() -> None:
    f = examples.add_mul().root  # f = z·q: the rule's x and y would clash with this problem's x = 2
    qs = questions(f)
    assert qs[1].named_rule() == "d/dq [z * q] = z = -2.00"
    assert qs[0].named_rule() == "d/dz [z * q] = q = 5.00"
    assert qs[2].named_rule() == "d/dx [x + y] = 1"  # already a number
    neuron = questions(examples.neuron().root)
    assert neuron[0].named_rule() == "d/d(1+exp(-z)) [1/(1+exp(-z))] = -1/(1+exp(-z))^2 = -0.53"
