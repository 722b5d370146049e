"""The engine: backprop through random graphs, backward() semantics, memory, no_grad,
detect_anomaly, bad input and the command line's version."""
from __future__ import annotations

import gc
import math
import subprocess
import sys
from collections.abc import Sequence
from fractions import Fraction
from importlib.metadata import version
from typing import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import microgradnet
from microgradnet import (
    Value,
    backward_walk,
    detect_anomaly,
    enable_grad,
    no_grad,
    numerical_grad,
    topological_order,
    zero_grad,
)
from microgradnet.engine import is_grad_enabled

# --- random expression graphs --------------------------------------------------------------

# Smooth ops, each safe on all reals (arguments of log, sqrt, 1/x, a**b are kept positive).
GRAPH_OPS: dict[str, Callable[..., Value]] = {
    "a + b": lambda a, b: a + b,
    "a - b": lambda a, b: a - b,
    "a * b": lambda a, b: a * b,
    "a / (b*b + 1)": lambda a, b: a / (b * b + 1),
    "(a*a + 1) ** b": lambda a, b: (a * a + 1) ** b,
    "a ** 3": lambda a: a**3,
    "2 - a": lambda a: 2 - a,
    "-a / 2": lambda a: -a / 2,
    "3 / (a*a + 1)": lambda a: 3 / (a * a + 1),
    "0.5 ** a": lambda a: 0.5**a,
    "exp": lambda a: a.exp(),
    "log(a*a + 1)": lambda a: (a * a + 1).log(),
    "sqrt(a*a + 1)": lambda a: (a * a + 1).sqrt(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "softplus": lambda a: a.softplus(),
    "sum": lambda a, b, c: microgradnet.sum([a, b, c], start=0.5),
    "dot": lambda a, b, c, d: microgradnet.dot([a, b], [c, d], start=d),
}
ARITY = {name: op.__code__.co_argcount for name, op in GRAPH_OPS.items()}

Program = tuple[list[float], list[tuple[str, list[int]]]]


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """A few leaf values and steps ``(op, operand indices)``; operands repeat (fan-out, a*a)."""
    point = draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4))
    steps = []
    for n in range(len(point), len(point) + draw(st.integers(1, 8))):
        name = draw(st.sampled_from(sorted(GRAPH_OPS)))
        steps.append((name, draw(st.lists(st.integers(0, n - 1), min_size=ARITY[name], max_size=ARITY[name]))))
    return point, steps


def build(steps: list[tuple[str, list[int]]], leaves: Sequence[Value]) -> list[Value]:
    """Every node of the program's graph over ``leaves``; the last one is the root."""
    nodes = list(leaves)
    for name, operands in steps:
        nodes.append(GRAPH_OPS[name](*(nodes[i] for i in operands)))
    return nodes


@given(programs())
def test_backprop_equals_numerical_grad_on_random_graphs(program: Program) -> None:
    point, steps = program
    leaves = [Value(x) for x in point]
    nodes = build(steps, leaves)
    assume(all(abs(node.data) <= 100 for node in nodes))  # keeps rounding in the differences below 1e-8
    nodes[-1].backward()
    numeric = numerical_grad(lambda *xs: build(steps, xs)[-1], *point)
    assert [leaf.grad for leaf in leaves] == pytest.approx(numeric, rel=1e-6, abs=1e-7)


@given(programs())
def test_backward_walk_visits_each_node_once_consumers_first(program: Program) -> None:
    point, steps = program
    root = build(steps, [Value(x) for x in point])[-1]
    walk = [node for node, _ in backward_walk(root)]
    position = {node: i for i, node in enumerate(walk)}
    assert len(position) == len(walk) == len(topological_order(root))
    assert walk[0] is root
    for node in walk:
        assert all(position[node] < position[inp] for inp in node.inputs)


@given(programs())
def test_topological_order_is_deterministic(program: Program) -> None:
    point, steps = program

    def order() -> list[tuple[str, float]]:
        return [(node.op, node.data) for node in topological_order(build(steps, [Value(x) for x in point])[-1])]

    assert order() == order()


@given(programs())
def test_a_second_pass_adds_the_same_gradients_again(program: Program) -> None:
    # micrograd issue #53: a pass must propagate its own gradients, not the totals on the nodes
    point, steps = program
    nodes = build(steps, [Value(x) for x in point])
    nodes[-1].backward()
    once = [node.grad for node in nodes[:-1]]
    nodes[-1].backward()
    assert [node.grad for node in nodes[:-1]] == [2 * g for g in once]


# --- backward() semantics --------------------------------------------------------------------

def test_gradients_accumulate_across_calls() -> None:
    a = Value(2.0)
    f = a * a
    f.backward()
    assert a.grad == 4.0
    f.backward()
    assert (a.grad, f.grad) == (8.0, 1.0)  # the root's own grad is set to 1, not accumulated


def test_a_second_pass_does_not_reuse_the_totals_on_intermediate_nodes() -> None:
    a = Value(2.0)
    b = a * a
    f = b * b  # f = a^4, df/da = 4 a^3 = 32
    f.backward()
    f.backward()
    assert (a.grad, b.grad) == (64.0, 16.0)  # reusing b's total would give a.grad == 96


def test_zero_grad_resets_so_the_next_pass_starts_fresh() -> None:
    x, y = Value(3.0), Value(-1.0)
    f = x * y + x
    f.backward()
    f.backward()
    zero_grad(v for v in (x, y))
    assert (x.grad, y.grad) == (0.0, 0.0)
    f.backward()
    assert (x.grad, y.grad) == (0.0, 3.0)


def test_backward_from_a_leaf_sets_its_grad_to_one() -> None:
    leaf = Value(5.0)
    leaf.backward()
    assert leaf.grad == 1.0 and topological_order(leaf) == [leaf]


def test_a_chain_of_a_million_nodes_backpropagates_without_recursion() -> None:
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.000001
    assert sys.getrecursionlimit() < 1_000_000
    y.backward()
    assert x.grad == pytest.approx(math.exp(1_000_000 * math.log1p(1e-6)), rel=1e-9)
    assert y.data == pytest.approx(x.grad, rel=1e-9)


def count_values() -> int:
    """How many Values the cyclic garbage collector can see (all live ones: Value is gc-tracked)."""
    return sum(type(obj) is Value for obj in gc.get_objects())


def test_a_graph_is_freed_by_reference_counting_alone() -> None:
    gc.collect()
    gc.disable()
    try:
        before = count_values()
        x, w = Value(-1.0), Value(2.0)
        f = (x * w + 1).tanh() * x + (x * w).exp()
        f.backward()
        del x, w, f
        assert count_values() == before
        # the same count does see a node that keeps itself alive, as a per-node closure would
        looped = Value(1.0) * 2
        looped.inputs = (looped,)
        del looped
        assert count_values() == before + 1
    finally:
        gc.enable()
        gc.collect()


def test_inputs_are_ordered_tuples_with_repeats_kept() -> None:
    a, b = Value(1.0), Value(2.0)
    assert (a - b).inputs == (a, b) and (b - a).inputs == (b, a)
    assert (a + a).inputs == (a, a) and (a * a).inputs == (a, a)
    assert type((a / b).inputs) is tuple and type((a / b).local_grads) is tuple


def test_python_sum_of_values_still_works() -> None:
    a, b, c = Value(1.5), Value(-2.0), Value(4.0)
    total = sum([a, b, c])
    total.backward()
    assert total.data == 3.5
    assert (a.grad, b.grad, c.grad) == (1.0, 1.0, 1.0)


def test_label_is_settable_and_repr_is_text() -> None:
    v = Value(2.0)
    v.label = "x"
    assert v.label == "x"
    assert "data=2.0" in repr(v) and "label='x'" in repr(v)


# --- no_grad -------------------------------------------------------------------------------

def test_no_grad_builds_no_graph() -> None:
    x, y = Value(2.0), Value(3.0)
    with no_grad():
        assert not is_grad_enabled()
        out = (x * y).exp()
    assert is_grad_enabled()
    assert (out.data, out.op, out.inputs, out.local_grads) == (math.exp(6.0), "", (), ())
    f = out * x  # a result from no_grad is a leaf of later graphs
    f.backward()
    assert (x.grad, y.grad, out.grad) == (math.exp(6.0), 0.0, 2.0)


def test_no_grad_nests_and_restores_after_an_exception() -> None:
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()
    with pytest.raises(ValueError), no_grad():
        Value(-1.0).log()
    assert is_grad_enabled() and (Value(1.0) + 1).op == "+1"


def test_enable_grad_records_inside_no_grad_and_restores_it() -> None:
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
            y = x * x
        assert not is_grad_enabled() and (x * x).inputs == ()
    assert y.inputs == (x, x)
    with pytest.raises(ValueError), enable_grad(), no_grad():
        Value(-1.0).log()
    assert is_grad_enabled()


# --- detect_anomaly ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (lambda: Value(1000.0).exp(), r"op 'exp' on inputs \(1000.0\) produced result inf"),
        (lambda: Value(0.0).sqrt(), r"op 'sqrt' on inputs \(0.0\) produced local gradients \(inf,\)"),
        (lambda: Value(math.inf) - Value(math.inf), r"op '-' on inputs \(inf, inf\) produced result nan"),
        (lambda: (Value(800.0) * 1).exp() + 1, r"op 'exp' on inputs \(800.0\)"),  # the first bad op, not the +1
    ],
)
def test_detect_anomaly_names_the_first_bad_op_and_its_inputs(expression: Callable[[], Value], message: str) -> None:
    with pytest.raises(FloatingPointError, match=message), detect_anomaly():
        expression()


def test_detect_anomaly_nests_restores_and_leaves_ieee_outside() -> None:
    with detect_anomaly():
        with detect_anomaly():
            pass
        with pytest.raises(FloatingPointError):
            Value(1000.0).exp()
    with pytest.raises(ZeroDivisionError), detect_anomaly():
        Value(1.0) / 0
    assert Value(1000.0).exp().data == math.inf
    assert math.isnan((Value(math.inf) - Value(math.inf)).data)
    with detect_anomaly():
        assert math.isnan(Value(math.nan).data)  # NaN and inf leaves are data, not anomalies
        assert (Value(2.0) * 3).data == 6.0


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("bad", "type_name"), [("3", "str"), (None, "NoneType"), ([1], "list"), (1j, "complex")])
def test_value_refuses_non_numbers_naming_the_type(bad: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"Value\(\): expected a real number .*got {type_name}"):
        Value(bad)  # type: ignore[arg-type]


def test_bool_and_int_data_become_floats() -> None:
    # == alone cannot tell: True == 1.0 and 3 == 3.0
    for number, data in ((True, 1.0), (3, 3.0), (Fraction(1, 4), 0.25)):
        assert type(Value(number).data) is float and Value(number).data == data
    assert type((Value(2.0) * 3).local_grads[0]) is float and type((Value(2.0) ** True).data) is float


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (lambda x: x + "a", r"\+: expected a real number .*got str 'a'"),
        (lambda x: "a" * x, r"\*: expected a real number .*got str 'a'"),
        (lambda x: x ** [2], r"\*\*: expected a real number .*got list"),
        (lambda x: x.leaky_relu("0.1"), r"leaky_relu slope: expected a real number .*got str"),
        (lambda x: x.prelu(None), r"prelu slope: expected a real number .*got NoneType"),
    ],
)
def test_operands_that_are_not_numbers_raise_type_error(expression: Callable[[Value], Value], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        expression(Value(1.0))


@pytest.mark.parametrize(
    ("expression", "error", "message"),
    [
        (lambda: Value(-1).log(), ValueError, r"log: log of -1.0 is undefined"),
        (lambda: Value(0).log(), ValueError, r"log: log of 0.0 is undefined"),
        (lambda: Value(-1).sqrt(), ValueError, r"sqrt: sqrt of -1.0 is undefined"),
        (lambda: Value(0) ** -1, ZeroDivisionError, r"\*\*-1: 0.0 \*\* -1 is undefined"),
        (lambda: Value(1) / 0, ZeroDivisionError, r"/: division by zero \(1.0 / 0\)"),
        (lambda: Value(1) / Value(0), ZeroDivisionError, r"/: division by zero \(1.0 / 0.0\)"),
        (lambda: 1 / Value(0), ZeroDivisionError, r"1/x: division by zero \(1 / 0.0\)"),
        (lambda: Value(-1) ** Value(2), ValueError, r"\*\*: .*needs a > 0, got a = -1.0"),
        (lambda: (-2) ** Value(1), ValueError, r"-2\*\*x: .*needs a base > 0, got -2.0"),
        (lambda: Value(-8) ** 0.5, ValueError, r"\*\*0.5: -8.0 \*\* 0.5 is not a real number"),
    ],
)
def test_domain_errors_raise_at_the_op_naming_op_and_value(
    expression: Callable[[], Value], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        expression()


# --- command line --------------------------------------------------------------------------

def test_python_m_microgradnet_prints_the_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "microgradnet", "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == f"microgradnet {microgradnet.__version__}"
    assert microgradnet.__version__ == version("microgradnet")  # the installed distribution agrees
