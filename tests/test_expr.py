"""The safe expression parser: the whitelist builds the right graph, everything else is refused."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnet import Value, numerical_grad, topological_order
from microgradnet.expr import ExpressionError, parse, parse_assignments, parse_at


def grads(expr: str, **at: float) -> tuple[float, tuple[float, ...]]:
    leaves = {name: Value(v, label=name) for name, v in at.items()}
    root = parse(expr, leaves)
    root.backward()
    return root.data, tuple(leaf.grad for leaf in leaves.values())


def test_lecture_row_1_value_and_gradient():
    assert grads("z*(x+y)", x=2, y=3, z=-2) == (-10.0, (-2.0, -2.0, 5.0))


def test_lecture_row_2_neuron_typed_as_on_the_slide():
    value, gradient = grads("1/(1+exp(-(w0*x0+w1*x1+w2)))", x0=-1, x1=-2, w0=2, w1=-3, w2=-3)
    assert round(value, 2) == 0.73
    assert [round(g, 1) for g in gradient] == [0.4, -0.6, -0.2, -0.4, 0.2]


def test_neuron_builds_the_slides_unary_gates():
    root = parse("1/(1+exp(-(w0*x0+w1*x1+w2)))", {"x0": -1, "x1": -2, "w0": 2, "w1": -3, "w2": -3})
    ops = [v.op for v in topological_order(root) if v.op]
    assert sorted(ops) == sorted(["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"])


def test_leaves_are_labelled_and_a_name_used_twice_is_one_copied_leaf():
    root = parse("x*x + x", {"x": 3.0})
    leaves = [v for v in topological_order(root) if not v.inputs]
    assert [v.label for v in leaves] == ["x"]
    root.backward()
    assert leaves[0].grad == 2 * 3.0 + 1


def test_values_passed_in_are_used_as_the_leaves():
    w = Value(0.5, label="w")
    parse("tanh(w) * 2", {"w": w}).backward()
    assert w.grad == pytest.approx(2 * (1 - math.tanh(0.5) ** 2), abs=1e-15)


@pytest.mark.parametrize(
    "name, f",
    [
        ("exp", math.exp),
        ("log", math.log),
        ("sqrt", math.sqrt),
        ("tanh", math.tanh),
        ("sigmoid", lambda x: 1 / (1 + math.exp(-x))),
        ("relu", lambda x: max(x, 0.0)),
        ("leaky_relu", lambda x: x if x > 0 else 0.01 * x),
        ("elu", lambda x: x if x > 0 else math.exp(x) - 1),
        ("softplus", lambda x: math.log1p(math.exp(x))),
        ("abs", abs),
    ],
)
@pytest.mark.parametrize("form", ["{f}(x)", "x.{f}()", "(x).{f}()"])
def test_each_function_as_call_and_as_method(name, f, form):
    for x in (0.7, 2.5):
        root = parse(form.format(f=name), {"x": x})
        assert root.op == name
        assert root.data == pytest.approx(f(x), rel=1e-14)


def test_function_parameters_positional_and_keyword():
    assert parse("leaky_relu(x, 0.1)", {"x": -2.0}).data == pytest.approx(-0.2)
    assert parse("leaky_relu(x, slope=0.1)", {"x": -2.0}).data == pytest.approx(-0.2)
    assert parse("x.leaky_relu(0.1)", {"x": -2.0}).data == pytest.approx(-0.2)
    assert parse("elu(x, alpha=2)", {"x": -1.0}).data == pytest.approx(2 * (math.exp(-1) - 1))


def test_constants_fold_and_operators_with_numbers_are_unary_gates():
    root = parse("x ** 2 - 2 * 3", {"x": 4.0})
    assert root.data == 10.0
    assert root.op == "-6"
    assert root.inputs[0].op == "**2"


def test_expression_without_names_is_still_a_value():
    root = parse("2 ** 3 + exp(0)", {})
    assert isinstance(root, Value) and root.data == 9.0


def test_huge_constant_powers_overflow_to_inf_as_the_engine_does_instead_of_hanging():
    assert parse("10 ** 10 ** 10", {}).data == math.inf


@settings(max_examples=60, deadline=None)
@given(
    x=st.floats(-3, 3, allow_nan=False),
    y=st.floats(0.1, 3, allow_nan=False),
)
def test_gradient_of_a_parsed_expression_matches_finite_differences(x, y):
    expr = "tanh(x) * y ** 2 + log(y) / (1 + x * x) - sigmoid(x * y)"
    _, analytic = grads(expr, x=x, y=y)
    numeric = numerical_grad(lambda a, b: parse(expr, {"x": a, "y": b}), x, y)
    for a, n in zip(analytic, numeric):
        assert a == pytest.approx(n, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize(
    "expr, words",
    [
        ("__import__('os').system('echo hi')", ["__import__", "not allowed"]),
        ("x.__class__", ["attribute access", "x.__class__", "column 1"]),
        ("x.data", ["attribute access", "x.data"]),
        ("x.exp.__call__()", ["x.exp.__call__", "not allowed"]),
        ("exp(x).__class__.__bases__", ["attribute access"]),
        ("(lambda: 1)()", ["lambda", "not allowed"]),
        ("lambda: x", ["lambda"]),
        ("[x for x in (1, 2)]", ["list comprehension"]),
        ("{x for x in (1, 2)}", ["set comprehension"]),
        ("(x for x in (1, 2))", ["generator expression"]),
        ("x[0]", ["subscript", "column 1"]),
        ("open('/etc/passwd')", ["open", "not allowed"]),
        ("eval('1')", ["eval"]),
        ("y + 1", ["unknown name 'y'", "column 1", "bound names: x"]),
        ("x + q", ["unknown name 'q'", "column 5"]),
        ("(x) ^ 2", ["'^'", "use **", "column 5"]),
        ("x // 2", ["'//'"]),
        ("x % 2", ["'%'"]),
        ("x < 2", ["comparison"]),
        ("x if x else 1", ["conditional expression"]),
        ("x and 1", ["'and'/'or'"]),
        ("(y := 2)", ["':='"]),
        ("'abc'", ["constant 'abc'"]),
        ("1j", ["constant 1j"]),
        ("True", ["constant True"]),
        ("f'{x}'", ["f-string"]),
        ("x * 1e400", ["number at column 5 is too large for a float"]),  # as --at x=1e400 is refused
        ("x + 1" + "0" * 400, ["number at column 5 is too large for a float"]),
        ("x +", ["cannot read the expression", "invalid syntax"]),
        ("", ["empty expression"]),
        ("exp", ["unknown name 'exp'", "exp is a function"]),
        ("exp(x, 2)", ["exp", "exactly one argument", "got 2"]),
        ("exp()", ["exp", "got 0"]),
        ("leaky_relu(x, slope=0.1, alpha=2)", ["unknown argument 'alpha'"]),
        ("leaky_relu(x, x)", ["slope must be a plain number"]),
        ("exp(*x)", ["* and ** arguments"]),
        ("log(x - 5)", ["log", "column 1", "-3.0"]),
        ("x / 0", ["/ at column 3", "division by zero"]),
        ("1 / 0", ["/ at column 3", "division by zero"]),
        ("(-8) ** 0.5", ["** at column 6", "not a real number"]),
        ("(" * 300 + "x" + ")" * 300, ["cannot read the expression", "parentheses"]),
        ("-" * 100_000 + "x", ["too long"]),
        ("x" + "+x" * 3000, ["too deeply nested"]),
    ],
)
def test_anything_outside_the_whitelist_is_a_clear_expression_error(expr, words):
    with pytest.raises(ExpressionError) as info:
        parse(expr, {"x": 2.0})
    message = str(info.value)
    for word in words:
        assert word in message
    assert isinstance(info.value, ValueError)


def test_parse_refuses_a_non_string_and_non_numeric_bindings():
    with pytest.raises(TypeError, match="str"):
        parse(3, {})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'x'.*str"):
        parse("x", {"x": "2"})  # type: ignore[dict-item]


def test_parse_assignments_reads_the_command_line_form():
    assert parse_assignments("x=2,y=3,z=-2") == {"x": 2.0, "y": 3.0, "z": -2.0}
    assert parse_assignments(" w0 = 1.5e-1 , b=-0 ") == {"w0": 0.15, "b": 0.0}
    assert parse_assignments("") == {}


@pytest.mark.parametrize(
    "text, words",
    [
        ("x2", ["expected name=value", "'x2'"]),
        ("x=2,x=3", ["'x' is given twice"]),
        ("2x=1", ["'2x' cannot be a variable name"]),
        ("exp=1", ["'exp' cannot be a variable name"]),
        ("x=abc", ["x: expected a number", "'abc'"]),
        ("x=nan", ["finite"]),
        ("x=", ["x: expected a number"]),
    ],
)
def test_parse_assignments_errors_name_the_piece(text, words):
    with pytest.raises(ExpressionError) as info:
        parse_assignments(text)
    for word in words:
        assert word in str(info.value)


def test_parse_at_labels_the_output_f_and_returns_the_named_leaves():
    root, leaves = parse_at("z*(x+y)", "x=2,y=3,z=-2")
    assert list(leaves) == ["x", "y", "z"] and [v.label for v in leaves.values()] == ["x", "y", "z"]
    assert (root.label, root.data) == ("f", -10.0)
    root.backward()
    assert tuple(v.grad for v in leaves.values()) == (-2.0, -2.0, 5.0)
    bare, named = parse_at("x", "x=2")
    assert bare is named["x"] and bare.label == "x"  # a bare input keeps its own name


# --- hostile input (issue 15, finding 11) --------------------------------------------------

def test_a_flat_sum_of_500_terms_parses_and_differentiates() -> None:
    names = [f"x{i}" for i in range(500)]
    root = parse(" + ".join(names), {name: float(i) for i, name in enumerate(names)})
    assert root.data == sum(range(500))
    root.backward()
    assert {leaf.grad for leaf in topological_order(root) if not leaf.inputs} == {1.0}


def test_a_syntax_warning_does_not_leak_before_the_error() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a leaked SyntaxWarning would raise here instead
        with pytest.raises(ExpressionError, match="conditional expression .* is not allowed at column 1"):
            parse("1if x else 2", {"x": 1.0})


def test_at_names_are_normalised_as_the_parser_normalises_them() -> None:
    root, leaves = parse_at("ｘ*2", "ｘ=3")  # fullwidth x: Python reads it as x
    assert (root.data, list(leaves)) == (6.0, ["x"])


@pytest.mark.parametrize("name", ["if", "lambda", "None", "True"])
def test_keywords_cannot_be_at_names(name: str) -> None:
    with pytest.raises(ExpressionError, match=f"'{name}' cannot be a variable name"):
        parse_assignments(f"{name}=1")
