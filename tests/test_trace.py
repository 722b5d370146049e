"""Step-by-step traces: the slides' lines for LECTURES rows 1 and 2, and the same grads as backward."""
from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradnet as mg
from microgradnet import Value, trace_backward, trace_forward
from microgradnet.trace import fmt


def neuron() -> tuple[Value, list[Value]]:
    """LECTURES row 2: 1/(1+exp(-(w0*x0+w1*x1+w2))) at x0=-1, x1=-2, w0=2, w1=-3, w2=-3."""
    x0, x1 = Value(-1.0, label="x0"), Value(-2.0, label="x1")
    w0, w1, w2 = Value(2.0, label="w0"), Value(-3.0, label="w1"), Value(-3.0, label="w2")
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp()), [x0, x1, w0, w1, w2]


def add_mul() -> tuple[Value, list[Value]]:
    """LECTURES row 1: f = z*(x+y) at (2, 3, -2), with q = x+y labelled as on the slide."""
    x, y, z = Value(2.0, label="x"), Value(3.0, label="y"), Value(-2.0, label="z")
    q = x + y
    q.label = "q"
    f = z * q
    f.label = "f"
    return f, [x, y, z]


NEURON_LINES = [
    # the chain from the output is forced: these five come first, in this order
    "1/x: upstream 1.00 × local -0.53 = -0.53 → +1",
    "+1: upstream -0.53 × local 1.00 = -0.53 → exp",
    "exp: upstream -0.53 × local 0.37 = -0.20 → *-1",
    "*-1: upstream -0.20 × local -1.00 = 0.20 → +",
    "+: upstream 0.20 × local (1.00, 1.00) = (0.20, 0.20) → (+, w2)",
]
NEURON_REST = {
    "+: upstream 0.20 × local (1.00, 1.00) = (0.20, 0.20) → (*, *)",
    "*: upstream 0.20 × local (-1.00, 2.00) = (-0.20, 0.40) → (w0, x0)",
    "*: upstream 0.20 × local (-2.00, -3.00) = (-0.40, -0.60) → (w1, x1)",
    # the leaves get their exact gradients, (0.39, -0.59, -0.20, -0.39, 0.20) at 2 decimals
    "x0: receives 0.39 (leaf)",
    "x1: receives -0.59 (leaf)",
    "w0: receives -0.20 (leaf)",
    "w1: receives -0.39 (leaf)",
    "w2: receives 0.20 (leaf)",
}


def test_neuron_trace_is_the_slides_backward_pass() -> None:
    f, _ = neuron()
    lines = [str(step) for step in trace_backward(f)]
    assert lines[:5] == NEURON_LINES
    assert set(lines[5:]) == NEURON_REST and len(lines) == 13


def test_neuron_gradient_matches_the_slide() -> None:
    f, leaves = neuron()
    trace_backward(f)
    assert [round(v.grad, 1) for v in leaves] == [0.4, -0.6, -0.2, -0.4, 0.2]


def test_each_input_is_traced_after_every_node_that_uses_it() -> None:
    f, _ = neuron()
    position = {id(step.node): i for i, step in enumerate(trace_backward(f))}
    for node in mg.topological_order(f):
        for inp in node.inputs:
            assert position[id(inp)] > position[id(node)]


def test_add_mul_trace_is_the_slides_backward_pass() -> None:
    f, (x, y, z) = add_mul()
    lines = [str(step) for step in trace_backward(f)]
    assert lines[0] == "f (*): upstream 1.00 × local (5.00, -2.00) = (5.00, -2.00) → (z, q)"
    assert set(lines[1:]) == {
        "z: receives 5.00 (leaf)",
        "q (+): upstream -2.00 × local (1.00, 1.00) = (-2.00, -2.00) → (x, y)",
        "x: receives -2.00 (leaf)",
        "y: receives -2.00 (leaf)",
    }
    assert (x.grad, y.grad, z.grad) == (-2.0, -2.0, 5.0)


def test_step_fields_are_the_nodes_numbers() -> None:
    f, _ = neuron()
    steps = trace_backward(f)
    assert steps[0].node is f and steps[0].upstream == 1.0
    for step in steps:
        assert step.local is step.node.local_grads
        assert step.inputs is step.node.inputs
        assert step.downstream == tuple(step.upstream * local for local in step.local)
        assert step.upstream == step.node.grad  # one fresh pass: d f / d node
    exp_step = steps[2]
    assert exp_step.node.op == "exp"
    assert exp_step.local == (pytest.approx(math.exp(-1.0)),)
    assert exp_step.upstream == pytest.approx(-1 / (1 + math.exp(-1.0)) ** 2)


def test_digits_option() -> None:
    f, _ = neuron()
    steps = trace_backward(f, digits=4)
    assert str(steps[0]) == "1/x: upstream 1.0000 × local -0.5344 = -0.5344 → +1"
    assert steps[2].format(digits=1) == "exp: upstream -0.5 × local 0.4 = -0.2 → *-1"


def test_fmt_rounds_like_the_slides() -> None:
    assert fmt(-0.19661) == "-0.20"
    assert fmt(-0.001) == "0.00"  # no "-0.00"
    assert fmt(-0.0) == "0.00"
    assert fmt(math.inf) == "inf" and fmt(-math.inf) == "-inf" and fmt(math.nan) == "nan"
    assert fmt(2.0, digits=0) == "2"


def test_trace_accumulates_like_backward() -> None:
    a = Value(2.0, label="a")
    f = a * a
    trace_backward(f)
    trace_backward(f)
    assert a.grad == 8.0  # API.md: two passes over a*a at a = 2 leave 8


def test_a_leaf_alone_and_unlabeled_nodes() -> None:
    assert [str(s) for s in trace_backward(Value(3.0, label="x"))] == ["x: receives 1.00 (leaf)"]
    a = Value(2.0)
    steps = trace_backward(a * 3.0)
    assert [str(s) for s in steps] == ["*3: upstream 1.00 × local 3.00 = 3.00 → leaf 2.00",
                                       "leaf 2.00: receives 3.00 (leaf)"]


def test_a_number_instead_of_a_value_is_a_type_error() -> None:
    f, _ = add_mul()
    with pytest.raises(TypeError, match="trace_backward: expected a Value, got float"):
        trace_backward(f.data)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="trace_forward: expected a Value, got int"):
        trace_forward(3)  # type: ignore[arg-type]


def test_neuron_forward_trace() -> None:
    f, _ = neuron()
    lines = [str(step) for step in trace_forward(f)]
    assert lines[:5] == ["w0 = 2.00", "x0 = -1.00", "w1 = -3.00", "x1 = -2.00", "w2 = -3.00"]
    assert lines[5:] == [
        "*: 2.00 * (-1.00) = -2.00",
        "*: (-3.00) * (-2.00) = 6.00",
        "+: (-2.00) + 6.00 = 4.00",
        "+: 4.00 + (-3.00) = 1.00",  # the slide's 1
        "*-1: 1.00 * (-1) = -1.00",  # -1
        "exp: exp(-1.00) = 0.37",  # 0.37
        "+1: 0.37 + 1 = 1.37",  # 1.37
        "1/x: 1 / 1.37 = 0.73",  # 0.73
    ]
    assert [s.data for s in trace_forward(f)][-1] == f.data


def test_add_mul_forward_trace() -> None:
    f, _ = add_mul()
    assert [str(s) for s in trace_forward(f)] == ["z = -2.00", "x = 2.00", "y = 3.00", "q (+): 2.00 + 3.00 = 5.00",
                                                    "f (*): (-2.00) * 5.00 = -10.00"]


def test_forward_lines_for_constant_and_n_ary_ops() -> None:
    x, a, b = Value(5.0, label="x"), Value(2.0, label="a"), Value(0.5, label="b")
    cases = {
        x - 3: "-3: 5.00 - 3 = 2.00",
        2 - x: "2-x: 2 - 5.00 = -3.00",
        -2 / x: "-2/x: (-2) / 5.00 = -0.40",
        x / 4: "/4: 5.00 / 4 = 1.25",
        x ** 2: "**2: 5.00 ** 2 = 25.00",
        2 ** x: "2**x: 2 ** 5.00 = 32.00",
        x ** a: "**: 5.00 ** 2.00 = 25.00",
        mg.sum([x, a], start=3): "+ (start 3): 5.00 + 2.00 + 3 = 10.00",
        mg.dot([a, x], [x, b], start=b): "dot: 2.00 * 5.00 + 5.00 * 0.50 + 0.50 = 13.00",
        mg.dot([a], [x], start=-1): "dot (start -1): 2.00 * 5.00 + (-1) = 9.00",
        mg.max([x, a]): "max: max(5.00, 2.00) = 5.00",
        (-x).leaky_relu(0.1): "leaky_relu(0.1): leaky_relu(0.1)(-5.00) = -0.50",
    }
    for out, line in cases.items():
        assert str(trace_forward(out)[-1]) == line


OPS = ["+", "*", "-", "tanh", "exp_small", "const"]


@st.composite
def graphs(draw: st.DrawFn) -> list[tuple[str, int, int, float]]:
    """A recipe for a random graph: each entry combines two earlier nodes (reuse allowed)."""
    steps = []
    for i in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(OPS))
        a, b = draw(st.integers(0, i + 2)), draw(st.integers(0, i + 2))
        steps.append((op, a, b, draw(st.floats(-2, 2))))
    return steps


def build(recipe: list[tuple[str, int, int, float]], leaves: tuple[float, ...]) -> tuple[Value, list[Value]]:
    nodes = [Value(x, label=f"x{i}") for i, x in enumerate(leaves)]
    inputs = list(nodes)
    for op, a, b, c in recipe:
        u, v = nodes[a], nodes[b]
        nodes.append({"+": lambda: u + v, "*": lambda: u * v, "-": lambda: u - v, "tanh": u.tanh,
                      "exp_small": lambda: (u * 0.1).exp(), "const": lambda: u * c + 1}[op]())
    return nodes[-1], inputs


@settings(max_examples=60, deadline=None)
@given(graphs(), st.tuples(*[st.floats(-2, 2)] * 3))
def test_trace_leaves_exactly_the_grads_backward_leaves(recipe: list, leaves: tuple[float, ...]) -> None:
    f1, xs1 = build(recipe, leaves)
    f2, xs2 = build(recipe, leaves)
    steps = trace_backward(f1)
    f2.backward()
    nodes1, nodes2 = mg.topological_order(f1), mg.topological_order(f2)
    assert [v.grad for v in nodes1] == [v.grad for v in nodes2]
    assert [v.grad for v in xs1] == [v.grad for v in xs2]
    assert len(steps) == len(nodes1)
    assert {id(s.node) for s in steps} == {id(v) for v in nodes1}


def test_trace_after_backward_warns_that_gradients_now_count_twice() -> None:
    x, y, z = Value(2.0, label="x"), Value(3.0, label="y"), Value(-2.0, label="z")
    f = z * (x + y)
    f.backward()
    with pytest.warns(RuntimeWarning, match=r"already held gradients from an earlier pass.*instead of f.backward\(\)"):
        trace_backward(f)
    assert x.grad == -4.0  # two passes, as two backward() calls: the warning is the trap made loud


def test_the_readme_order_gives_one_pass_and_no_warning() -> None:
    x, y, z = Value(2.0, label="x"), Value(3.0, label="y"), Value(-2.0, label="z")
    f = z * (x + y)
    f.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mg.zero_grad([x, y, z])
        f = z * (x + y)
        lines = [str(step) for step in trace_backward(f)]
    assert lines[0] == "*: upstream 1.00 × local (5.00, -2.00) = (5.00, -2.00) → (z, +)"
    assert (x.grad, y.grad, z.grad) == (-2.0, -2.0, 5.0)


def test_fresh_pass_after_backward_gives_one_pass_and_leaves_grads_alone():
    import warnings

    from microgradnet.trace import fresh_pass

    x, y, z = Value(2.0, label="x"), Value(3.0, label="y"), Value(-2.0, label="z")
    f = z * (x + y)
    f.backward()
    f.backward()  # the user accumulated two passes: (-4, -4, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "already held gradients" warning: the pass starts from zero
        steps, grads = fresh_pass(f)
    assert (grads[x], grads[y], grads[z]) == (-2.0, -2.0, 5.0)  # the slide's numbers, once
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 10.0)
    assert [s.upstream for s in steps if not s.inputs] == [5.0, -2.0, -2.0]
