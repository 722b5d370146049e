"""The one table of functions (ops.FUNCTIONS) against everything that lists them: the engine's methods,
what expressions accept, the CLI's help, the README and nn's activation names."""
from __future__ import annotations

import inspect
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from microgradnet import Value
from microgradnet.expr import parse
from microgradnet.nn import ACTIVATIONS, MLP_ACTIVATIONS
from microgradnet.ops import FUNCTIONS

README = Path(__file__).resolve().parents[1] / "README.md"
# Value's methods that are not functions of one Value: the pass itself, and prelu (its slope is a Value)
NOT_FUNCTIONS = {"backward", "prelu"}


def test_every_function_of_one_value_is_in_the_table_and_only_those() -> None:
    methods = {name for name, _ in inspect.getmembers(Value, inspect.isfunction) if not name.startswith("_")}
    assert set(FUNCTIONS) == methods - NOT_FUNCTIONS
    for function in FUNCTIONS.values():  # the table's parameters are the method's, in order
        assert tuple(inspect.signature(getattr(Value, function.name)).parameters)[1:] == function.parameters


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_expressions_accept_every_function_as_call_and_method(name: str) -> None:
    x = Value(0.5, label="x")
    want = getattr(Value(0.5), name)().data
    assert parse(f"{name}(x)", {"x": x}).data == want == parse(f"x.{name}()", {"x": x}).data
    assert math.isfinite(want)


def test_the_cli_graph_command_takes_and_lists_every_function() -> None:
    done = subprocess.run([sys.executable, "-m", "microgradnet", "graph", "--help"], capture_output=True, text=True,
                          check=True)
    listed = re.search(r"\+ - \* / \*\*, ([a-z_ ]+)\)", " ".join(done.stdout.split()))
    assert listed is not None and listed[1].split() == list(FUNCTIONS)
    out = subprocess.run([sys.executable, "-m", "microgradnet", "graph", "hard_tanh(x)", "--at", "x=0.5"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "hard_tanh(0.50)  =  0.50" in out.stdout  # hard_tanh is the identity inside (-1, 1): slope 1
    assert "∂f/∂x  =  1.00" in out.stdout


def test_the_readme_lists_the_functions_and_the_activations() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    engine = re.search(r"Also in the engine: `([a-z_ ]+)`", text)
    assert engine is not None and engine[1].split() == list(FUNCTIONS)
    activations = re.search(r"`MLP` \(activations `([a-z_ ]+)`\)", text)
    assert activations is not None and activations[1].split() == list(MLP_ACTIVATIONS)


def test_nn_activations_are_the_tables_activations_plus_linear_prelu_and_maxout() -> None:
    table = [name for name, function in FUNCTIONS.items() if function.activation]
    assert list(ACTIVATIONS) == ["linear", *table, "prelu"]
    assert list(MLP_ACTIVATIONS) == [*ACTIVATIONS, "maxout"]
