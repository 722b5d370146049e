"""Every op: its value against ``math``, its local gradient against the closed-form derivative and
against central differences in float64, over the op's real domain; kinks, overflow and
identities are tested on their own below."""
from __future__ import annotations

import copy
import math
import pickle
import sys
from dataclasses import dataclass
from typing import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import microgradnet
from microgradnet import Value, no_grad, numerical_grad, ops, zero_grad

EPS = sys.float_info.epsilon
TINY = 5e-324  # the smallest subnormal: the absolute rounding step near 0
REL = 1e-14  # closed forms computed two ways agree to a few ulps

REALS = st.floats(-1e6, 1e6)
NONZERO = st.one_of(st.floats(1e-60, 1e6), st.floats(-1e6, -1e-60))
POSITIVE = st.floats(1e-300, 1e300)  # (0, inf) wherever the value and step are normal floats
SLOPES = st.floats(0.0, 1.0)


def close(got: float, want: float, abs_tol: float = 0.0) -> bool:
    """Equal (infinities included) or within REL relative / ``abs_tol`` absolute."""
    return got == want or math.isclose(got, want, rel_tol=REL, abs_tol=abs_tol)


def assert_matches_central_differences(
    f: Callable[[Value], Value], x: float, analytic: float, singular_at_zero: bool = False, size: float | None = None
) -> None:
    """``analytic`` equals central differences of ``f`` at ``x`` up to their own error.

    Truncation error is bounded by the gap between steps h and 2h (Richardson); rounding by a few
    ulps of ``size`` (the largest intermediate magnitude, default |f| near x) per evaluation. The
    step is relative to |x| where f is singular at 0 (log, 1/x), else to max(1, |x|).
    """
    h = 1e-6 * (abs(x) if singular_at_zero else max(1.0, abs(x)))
    (d1,), (d2,) = numerical_grad(f, x, h=h), numerical_grad(f, x, h=2 * h)
    if size is None:
        with no_grad():
            size = max(abs(f(Value(x + s)).data) for s in (-2 * h, -h, h, 2 * h))
    tolerance = abs(d2 - d1) + 8 * (EPS * size + TINY) / h + 1e-9 * abs(analytic)
    assert abs(d1 - analytic) <= tolerance, f"at x={x!r}: backprop {analytic!r}, central differences {d1!r}"


# --- closed forms, written independently of ops.py --------------------------------------

def sigmoid(x: float) -> float:
    # 1 / (1 + e^-x); below -700 that is e^x to double precision (and e^-x would overflow)
    return 1.0 / (1.0 + math.exp(-x)) if x > -700 else math.exp(x)


def sigmoid_derivative(x: float) -> float:
    e = math.exp(-abs(x))  # sigma' is even: e^-|x| / (1 + e^-|x|)^2
    return e / (1.0 + e) ** 2


def tanh_derivative(x: float) -> float:
    e = math.exp(-2 * abs(x))  # sech^2 x = 4 e^-2|x| / (1 + e^-2|x|)^2
    return 4 * e / (1.0 + e) ** 2


def softplus(x: float) -> float:
    # log(1 + e^x); above 35, x + e^-x is exact to double precision
    return math.log1p(math.exp(x)) if x < 35 else x + math.exp(-x)


@dataclass(frozen=True)
class Unary:
    """One op of one Value (a plain number, if any, is ``p``) with its closed form and domain."""

    apply: Callable[[Value, float], Value]
    value: Callable[[float, float], float]
    derivative: Callable[[float, float], float]
    domain: st.SearchStrategy[float] = REALS
    param: st.SearchStrategy[float] = st.just(0.0)  # noqa: RUF009 - a strategy, never mutated
    kinks: tuple[float, ...] = ()
    singular_at_zero: bool = False
    abs_tol: float = 0.0  # for derivatives of the form 1 - (value near 1)^2: a few ulps of 1


UNARY = {
    "exp": Unary(lambda v, p: v.exp(), lambda x, p: math.exp(x), lambda x, p: math.exp(x), st.floats(-1e6, 709.0)),
    "log": Unary(lambda v, p: v.log(), lambda x, p: math.log(x), lambda x, p: 1 / x, POSITIVE, singular_at_zero=True),
    "sqrt": Unary(
        lambda v, p: v.sqrt(), lambda x, p: math.sqrt(x), lambda x, p: 1 / (2 * math.sqrt(x)), POSITIVE,
        singular_at_zero=True,
    ),
    "tanh": Unary(lambda v, p: v.tanh(), lambda x, p: math.tanh(x), lambda x, p: tanh_derivative(x), abs_tol=2 * EPS),
    "sigmoid": Unary(
        lambda v, p: v.sigmoid(), lambda x, p: sigmoid(x), lambda x, p: sigmoid_derivative(x), abs_tol=EPS
    ),
    "softplus": Unary(lambda v, p: v.softplus(), lambda x, p: softplus(x), lambda x, p: sigmoid(x)),
    "relu": Unary(lambda v, p: v.relu(), lambda x, p: max(x, 0.0), lambda x, p: float(x > 0), kinks=(0.0,)),
    "leaky_relu": Unary(
        lambda v, p: v.leaky_relu(p), lambda x, p: x if x > 0 else p * x, lambda x, p: 1.0 if x > 0 else p,
        param=SLOPES, kinks=(0.0,),
    ),
    "elu": Unary(
        lambda v, p: v.elu(p), lambda x, p: x if x > 0 else p * math.expm1(x),
        lambda x, p: 1.0 if x > 0 else p * math.exp(x), param=st.floats(0.1, 3.0), kinks=(0.0,),
    ),
    "abs": Unary(
        lambda v, p: abs(v), lambda x, p: math.fabs(x), lambda x, p: float(x > 0) - float(x < 0), kinks=(0.0,)
    ),
    "hard_tanh": Unary(
        lambda v, p: v.hard_tanh(), lambda x, p: min(1.0, max(-1.0, x)), lambda x, p: float(-1 < x < 1),
        kinks=(-1.0, 1.0),
    ),
    "-x": Unary(lambda v, p: -v, lambda x, p: -x, lambda x, p: -1.0),
    "x + c": Unary(lambda v, p: v + p, lambda x, p: x + p, lambda x, p: 1.0, param=REALS),
    "c + x": Unary(lambda v, p: p + v, lambda x, p: p + x, lambda x, p: 1.0, param=REALS),
    "x - c": Unary(lambda v, p: v - p, lambda x, p: x - p, lambda x, p: 1.0, param=REALS),
    "c - x": Unary(lambda v, p: p - v, lambda x, p: p - x, lambda x, p: -1.0, param=REALS),
    "x * c": Unary(lambda v, p: v * p, lambda x, p: x * p, lambda x, p: p, param=REALS),
    "c * x": Unary(lambda v, p: p * v, lambda x, p: p * x, lambda x, p: p, param=REALS),
    "x / c": Unary(lambda v, p: v / p, lambda x, p: x / p, lambda x, p: 1 / p, param=NONZERO),
    "c / x": Unary(
        lambda v, p: p / v, lambda x, p: p / x, lambda x, p: -p / x**2, NONZERO, param=REALS, singular_at_zero=True
    ),
    "x ** n, n = 0..5": Unary(
        lambda v, p: v**p, lambda x, p: x**p, lambda x, p: p * x ** (p - 1) if p else 0.0,
        param=st.integers(0, 5).map(float),
    ),
    "x ** n, n = -3..-1": Unary(
        lambda v, p: v**p, lambda x, p: x**p, lambda x, p: p * x ** (p - 1), NONZERO,
        param=st.integers(-3, -1).map(float), singular_at_zero=True,
    ),
    "x ** r, real r": Unary(
        lambda v, p: v**p, lambda x, p: x**p, lambda x, p: p * x ** (p - 1), st.floats(1e-50, 1e50),
        param=st.floats(-4.0, 4.0), singular_at_zero=True,
    ),
    "c ** x": Unary(
        lambda v, p: p**v, lambda x, p: p**x, lambda x, p: p**x * math.log(p), st.floats(-100.0, 100.0),
        param=st.floats(1e-3, 1e3),
    ),
}


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary_value_and_local_gradient_match_closed_form(name: str, data: st.DataObject) -> None:
    case = UNARY[name]
    x, p = data.draw(case.domain, label="x"), data.draw(case.param, label="p")
    v = Value(x)
    out = case.apply(v, p)
    assert out.inputs == (v,) and len(out.local_grads) == 1
    assert close(out.data, case.value(x, p)), (out.data, case.value(x, p))
    assert close(out.local_grads[0], case.derivative(x, p), case.abs_tol), (out.local_grads, case.derivative(x, p))
    out.backward()
    assert v.grad == out.local_grads[0]


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary_local_gradient_matches_central_differences(name: str, data: st.DataObject) -> None:
    case = UNARY[name]
    x, p = data.draw(case.domain, label="x"), data.draw(case.param, label="p")
    assume(all(abs(x - k) > 4e-6 * max(1.0, abs(x)) for k in case.kinks))  # steps h, 2h stay off the kink
    (local,) = case.apply(Value(x), p).local_grads
    assert_matches_central_differences(lambda v: case.apply(v, p), x, local, case.singular_at_zero)


@dataclass(frozen=True)
class Binary:
    """One op of two Values with its closed form, partial derivatives and domains."""

    apply: Callable[[Value, Value], Value]
    value: Callable[[float, float], float]
    partials: Callable[[float, float], tuple[float, float]]
    domains: tuple[st.SearchStrategy[float], st.SearchStrategy[float]] = (REALS, REALS)
    singular_at_zero: tuple[bool, bool] = (False, False)
    kinks_of_a: tuple[float, ...] = ()


BINARY = {
    "a + b": Binary(lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    "a - b": Binary(lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    "a * b": Binary(lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a)),
    "a / b": Binary(
        lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1 / b, -a / b**2), (REALS, NONZERO), (False, True)
    ),
    "a ** b": Binary(
        lambda a, b: a**b, lambda a, b: a**b, lambda a, b: (b * a ** (b - 1), a**b * math.log(a)),
        (st.floats(1e-50, 1e50), st.floats(-4.0, 4.0)), (True, False),
    ),
    "a.prelu(b)": Binary(
        lambda a, b: a.prelu(b), lambda a, b: a if a > 0 else b * a, lambda a, b: (1.0, 0.0) if a > 0 else (b, a),
        (REALS, st.floats(-1.0, 1.0)), kinks_of_a=(0.0,),
    ),
}


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_value_and_local_gradients_match_closed_form(name: str, data: st.DataObject) -> None:
    case = BINARY[name]
    a, b = data.draw(case.domains[0], label="a"), data.draw(case.domains[1], label="b")
    va, vb = Value(a), Value(b)
    out = case.apply(va, vb)
    assert out.inputs == (va, vb)
    assert close(out.data, case.value(a, b)), (out.data, case.value(a, b))
    want = case.partials(a, b)
    assert close(out.local_grads[0], want[0]) and close(out.local_grads[1], want[1]), (out.local_grads, want)
    out.backward()
    assert (va.grad, vb.grad) == out.local_grads


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_local_gradients_match_central_differences(name: str, data: st.DataObject) -> None:
    case = BINARY[name]
    a, b = data.draw(case.domains[0], label="a"), data.draw(case.domains[1], label="b")
    assume(all(abs(a - k) > 4e-6 * max(1.0, abs(a)) for k in case.kinks_of_a))
    da, db = case.apply(Value(a), Value(b)).local_grads
    assert_matches_central_differences(lambda v: case.apply(v, Value(b)), a, da, case.singular_at_zero[0])
    assert_matches_central_differences(lambda v: case.apply(Value(a), v), b, db, case.singular_at_zero[1])


def test_same_value_on_both_sides_keeps_both_edges() -> None:
    a = Value(3.0)
    for out, grad in ((a + a, 2.0), (a * a, 6.0), (a - a, 0.0), (a / a, 0.0), (a**a, 27 * (1 + math.log(3)))):
        a.grad = 0.0
        out.backward()
        assert out.inputs == (a, a)
        assert a.grad == pytest.approx(grad, rel=1e-15)


# --- op names: what the slides draw on each gate -----------------------------------------

X, Y = Value(2.0, label="x"), Value(3.0, label="y")


@pytest.mark.parametrize(
    ("expression", "op", "inputs"),
    [
        (lambda: X + 1, "+1", (X,)),
        (lambda: 1 + X, "+1", (X,)),
        (lambda: X - 1, "-1", (X,)),
        (lambda: X - 0, "+0", (X,)),
        (lambda: 1 - X, "1-x", (X,)),
        (lambda: X * 2, "*2", (X,)),
        (lambda: 2 * X, "*2", (X,)),
        (lambda: -X, "*-1", (X,)),
        (lambda: X / 2, "/2", (X,)),
        (lambda: 1 / X, "1/x", (X,)),
        (lambda: X**2, "**2", (X,)),
        (lambda: X**0.5, "**0.5", (X,)),
        (lambda: 2**X, "2**x", (X,)),
        (lambda: X + Y, "+", (X, Y)),
        (lambda: X - Y, "-", (X, Y)),
        (lambda: Y - X, "-", (Y, X)),
        (lambda: X * Y, "*", (X, Y)),
        (lambda: X / Y, "/", (X, Y)),
        (lambda: X**Y, "**", (X, Y)),
        (lambda: X.exp(), "exp", (X,)),
        (lambda: X.log(), "log", (X,)),
        (lambda: X.sqrt(), "sqrt", (X,)),
        (lambda: X.tanh(), "tanh", (X,)),
        (lambda: X.sigmoid(), "sigmoid", (X,)),
        (lambda: X.relu(), "relu", (X,)),
        (lambda: X.leaky_relu(), "leaky_relu", (X,)),
        (lambda: X.leaky_relu(0.1), "leaky_relu(0.1)", (X,)),
        (lambda: X.elu(), "elu", (X,)),
        (lambda: X.elu(0.5), "elu(0.5)", (X,)),
        (lambda: X.softplus(), "softplus", (X,)),
        (lambda: abs(X), "abs", (X,)),
        (lambda: X.hard_tanh(), "hard_tanh", (X,)),
        (lambda: X.prelu(Y), "prelu", (X, Y)),
        (lambda: microgradnet.sum([X, Y]), "+", (X, Y)),
        (lambda: microgradnet.dot([X], [Y]), "dot", (X, Y)),
        (lambda: microgradnet.max([X, Y]), "max", (X, Y)),
    ],
)
def test_op_name_inputs_and_rule(expression: Callable[[], Value], op: str, inputs: tuple[Value, ...]) -> None:
    out = expression()
    assert out.op == op
    assert out.inputs == inputs
    assert out.op.rule(*(v.data for v in out.inputs)) == (out.data, out.local_grads)


def every_op() -> list[Value]:
    x, y, a = Value(0.5, label="x"), Value(1.5, label="y"), Value(0.1, label="a")
    return [x + y, x - y, x * y, x / y, x ** y, x.prelu(a), x.exp(), x.log(), x.sqrt(), x.tanh(), x.sigmoid(),
            x.softplus(), x.relu(), abs(x), x.hard_tanh(), x + 1, x - 2, x * 3, 4 - x, x / 5, 1 / x, x ** 2,
            2 ** x, x.leaky_relu(0.1), x.elu(), microgradnet.sum([x, y, a]), microgradnet.sum([x, y], start=1.0),
            microgradnet.max([x, y]), microgradnet.dot([x, y], [a, a]), microgradnet.dot([x], [y], start=a),
            microgradnet.dot([x], [y], start=2.0)]


def test_every_op_has_a_formula_for_each_input() -> None:
    for node in every_op():
        formulas = node.op.formulas(len(node.inputs))
        assert len(formulas) == len(node.inputs), node.op
        assert all(f.startswith("d/d") and " = " in f and "{" not in f for f in formulas), (node.op, formulas)
    named = [op for op in vars(ops).values() if isinstance(op, ops.Op)]
    assert named and all(op.formula.startswith("d/d") for op in named)


def test_nan_in_any_input_of_any_op_gives_nan() -> None:
    # NaN is data (API.md), stopped only by detect_anomaly: no op refuses it or drops it (prelu's slope
    # alone is unused where x > 0, and every_op has x = 0.5)
    for node in every_op():
        for i in range(len(node.inputs) if node.op != "prelu" else 1):
            numbers = [math.nan if j == i else v.data for j, v in enumerate(node.inputs)]
            data, _ = node.op.rule(*numbers)
            assert math.isnan(data), (node.op, numbers, data)
    assert microgradnet.max([Value(math.nan), Value(1.0)]).local_grads == (1.0, 0.0)
    assert microgradnet.max([Value(1.0), Value(math.nan), Value(math.nan)]).local_grads == (0.0, 1.0, 0.0)
    assert math.isnan((math.nan ** Value(1.0)).data)


def test_formulas_of_ops_with_any_number_of_inputs() -> None:
    x, y, z = Value(1.0), Value(2.0), Value(3.0)
    assert microgradnet.sum([x, y, z]).op.formulas(3) == ("d/dx1 [x1 + ... + x3] = 1", "d/dx2 [x1 + ... + x3] = 1",
                                                          "d/dx3 [x1 + ... + x3] = 1")
    assert microgradnet.max([x, y, z]).op.formulas(3)[1] == "d/dx2 max(...) = 1 if x2 is the first largest of x1, x2, x3, else 0"
    assert microgradnet.dot([x, y], [y, z], start=z).op.formulas(5) == (
        "d/db [b + Σ wj xj] = 1", "d/dw1 [Σ wj xj] = x1", "d/dx1 [Σ wj xj] = w1", "d/dw2 [Σ wj xj] = x2",
        "d/dx2 [Σ wj xj] = w2")
    assert (x - 0).op.formula == "d/dx [x + 0] = 1" and (x * -1).op.formula == "d/dx [-x] = -1"
    assert (x ** 0.5).op.formula == "d/dx x^0.5 = 0.5 x^-0.5"


def test_a_graph_survives_deepcopy_and_pickle() -> None:
    for node in every_op():
        for twin in (copy.deepcopy(node), pickle.loads(pickle.dumps(node))):
            assert (twin.op, twin.op.formula, twin.data) == (node.op, node.op.formula, node.data)
            assert twin.op.rule(*(v.data for v in twin.inputs)) == node.op.rule(*(v.data for v in node.inputs))
            twin.backward()
            node.backward()
            assert [v.grad for v in twin.inputs] == [v.grad for v in node.inputs]
            zero_grad([*node.inputs, *twin.inputs])


def test_a_leaf_has_no_op_inputs_or_local_grads() -> None:
    leaf = Value(4, label="w")
    assert (leaf.data, leaf.grad, leaf.label, leaf.op, leaf.inputs, leaf.local_grads) == (4.0, 0.0, "w", "", (), ())
    assert type(leaf.data) is float


def test_a_zero_constant_keeps_its_sign_as_python_floats_do() -> None:
    # -0.0 == 0.0: had both zeros shared one cached op, half of these would take the other zero's sign
    def sign(x: float) -> float:
        return math.copysign(1.0, x)

    for x in (2.0, -0.0, 0.0):
        for c in (0.0, -0.0):
            for out, want in ((Value(x) * c, x * c), (Value(x) + c, x + c), (Value(x) - c, x - c), (c - Value(x), c - x)):
                assert (out.data, sign(out.data)) == (want, sign(want)), (x, c, out.op)
            assert sign((Value(x) * c).local_grads[0]) == sign(c)


# --- edges: kinks, singular points, overflow ---------------------------------------------

@pytest.mark.parametrize(
    ("expression", "data", "local_grads"),
    [
        (lambda: Value(0.0).relu(), 0.0, (0.0,)),
        (lambda: Value(0.0).leaky_relu(), 0.0, (0.01,)),
        (lambda: Value(0.0).leaky_relu(0.2), 0.0, (0.2,)),
        (lambda: Value(0.0).abs(), 0.0, (0.0,)),
        (lambda: Value(0.0).elu(), 0.0, (1.0,)),
        (lambda: Value(0.0).elu(0.5), 0.0, (0.5,)),
        (lambda: Value(0.0).prelu(Value(0.25)), 0.0, (0.25, 0.0)),
        (lambda: Value(1.0).hard_tanh(), 1.0, (0.0,)),
        (lambda: Value(-1.0).hard_tanh(), -1.0, (0.0,)),
        (lambda: Value(0.0).sqrt(), 0.0, (math.inf,)),
        (lambda: Value(0.0) ** 0.5, 0.0, (math.inf,)),
        (lambda: Value(0.0) ** 0, 1.0, (0.0,)),
        (lambda: Value(0.0) ** 1, 0.0, (1.0,)),
        (lambda: Value(0.0) ** 2, 0.0, (0.0,)),
    ],
)
def test_kinks_and_singular_points(
    expression: Callable[[], Value], data: float, local_grads: tuple[float, ...]
) -> None:
    out = expression()
    assert (out.data, out.local_grads) == (data, local_grads)


@pytest.mark.parametrize(
    ("expression", "data", "local_grad"),
    [
        (lambda: Value(1000.0).sigmoid(), 1.0, 0.0),
        (lambda: Value(-1000.0).sigmoid(), 0.0, 0.0),
        (lambda: Value(1000.0).softplus(), 1000.0, 1.0),
        (lambda: Value(-1000.0).softplus(), 0.0, 0.0),
        (lambda: Value(1000.0).tanh(), 1.0, 0.0),
        (lambda: Value(-1000.0).tanh(), -1.0, 0.0),
        (lambda: Value(-1000.0).exp(), 0.0, 0.0),
        (lambda: Value(-1000.0).elu(), -1.0, 0.0),
    ],
)
def test_saturating_ops_stay_finite_far_out(expression: Callable[[], Value], data: float, local_grad: float) -> None:
    out = expression()
    assert (out.data, out.local_grads) == (data, (local_grad,))


def test_sigmoid_and_softplus_keep_precision_where_naive_forms_overflow() -> None:
    # 1 / (1 + e^710) overflows in e^710; log(1 + e^710) too
    assert Value(-710.0).sigmoid().data == pytest.approx(math.exp(-710.0), rel=1e-12)
    assert Value(-710.0).softplus().data == pytest.approx(math.exp(-710.0), rel=1e-12)
    assert Value(710.0).softplus().data == 710.0


@pytest.mark.parametrize(
    ("expression", "data", "local_grad"),
    [
        (lambda: Value(1000.0).exp(), math.inf, math.inf),
        (lambda: Value(1e200) ** 2, math.inf, 2e200),
        (lambda: Value(-1e200) ** 3, -math.inf, math.inf),
        (lambda: 2 ** Value(2000.0), math.inf, math.inf),
        (lambda: Value(1e300) * 1e300, math.inf, 1e300),
        (lambda: 1 / Value(1e-200), 1e200, -math.inf),
    ],
)
def test_overflow_follows_ieee(expression: Callable[[], Value], data: float, local_grad: float) -> None:
    out = expression()
    assert (out.data, out.local_grads) == (data, (local_grad,))


def test_division_local_gradient_overflows_to_inf_instead_of_raising() -> None:
    out = Value(1.0) / Value(1e-200)
    assert (out.data, out.local_grads) == (1e200, (1e200, -math.inf))


# --- identities --------------------------------------------------------------------------

@given(REALS)
def test_sigmoid_is_symmetric(x: float) -> None:
    assert Value(-x).sigmoid().data == pytest.approx(1 - Value(x).sigmoid().data, rel=REL, abs=EPS)


@given(st.floats(-300.0, 300.0))
def test_tanh_is_a_rescaled_sigmoid(x: float) -> None:
    assert Value(x).tanh().data == pytest.approx(2 * Value(2 * x).sigmoid().data - 1, rel=REL, abs=2 * EPS)


@given(REALS)
def test_softplus_difference_is_identity_and_its_derivative_is_sigmoid(x: float) -> None:
    assert (Value(x).softplus() - Value(-x).softplus()).data == pytest.approx(x, rel=REL, abs=2 * EPS)
    assert Value(x).softplus().local_grads == (Value(x).sigmoid().data,)


@given(REALS)
def test_sigmoid_derivative_is_s_times_one_minus_s(x: float) -> None:
    s = Value(x).sigmoid()
    assert s.local_grads[0] == pytest.approx(s.data * (1 - s.data), rel=REL, abs=EPS)


@given(st.floats(-700.0, 700.0))
def test_log_inverts_exp(x: float) -> None:
    assert Value(x).exp().log().data == pytest.approx(x, rel=REL, abs=EPS)


@given(REALS, SLOPES)
def test_rectifiers_agree_with_each_other(x: float, slope: float) -> None:
    v = Value(x)
    assert abs(v).data == (v.relu() + (-v).relu()).data
    assert v.leaky_relu(0.0).data == v.relu().data
    assert v.prelu(Value(slope)).data == v.leaky_relu(slope).data
    assert v.hard_tanh().data == min(1.0, max(-1.0, x))


# --- n-ary ops: sum, dot, max ------------------------------------------------------------

SMALL_REALS = st.floats(-1e3, 1e3)
STARTS = st.one_of(SMALL_REALS, SMALL_REALS.map(Value))


def data_of(x: Value | float) -> float:
    """The number behind a start that may be a Value or a plain number."""
    return x.data if isinstance(x, Value) else x


@given(st.lists(SMALL_REALS, min_size=1, max_size=6), STARTS)
def test_sum_is_one_node_with_local_gradient_one(xs: list[float], start: Value | float) -> None:
    values = [Value(x) for x in xs]
    out = microgradnet.sum(values, start)
    leading = (start,) if isinstance(start, Value) else ()
    assert out.inputs == (*leading, *values)
    assert out.local_grads == (1.0,) * len(out.inputs)
    size = math.fsum(map(abs, xs)) + abs(data_of(start))
    assert abs(out.data - math.fsum([*xs, data_of(start)])) <= len(out.inputs) * EPS * size
    out.backward()
    assert [v.grad for v in values] == [1.0] * len(xs)
    for i, x in enumerate(xs):
        others = values[:i] + values[i + 1:]
        assert_matches_central_differences(lambda v: microgradnet.sum([v, *others], start), x, 1.0, size=size)


def test_sum_folds_numbers_and_keeps_repeats() -> None:
    x, y = Value(2.0), Value(-5.0)
    out = microgradnet.sum([x, 1, y, x], start=0.5)
    assert (out.data, out.inputs, out.op) == (0.5, (x, y, x), "+ (start 1.5)")
    out.backward()
    assert (x.grad, y.grad) == (2.0, 1.0)
    assert microgradnet.sum([1, 2.5]).data == 3.5 and microgradnet.sum([]).data == 0.0


@given(st.integers(1, 5).flatmap(lambda n: st.tuples(*[st.tuples(SMALL_REALS, SMALL_REALS)] * n)), STARTS)
def test_dot_is_one_node_with_local_gradients_x_and_w(
    pairs: tuple[tuple[float, float], ...], start: Value | float
) -> None:
    ws, xs = [Value(w) for w, _ in pairs], [Value(x) for _, x in pairs]
    out = microgradnet.dot(ws, xs, start)
    leading = (start,) if isinstance(start, Value) else ()
    assert out.inputs == (*leading, *(v for pair in zip(ws, xs) for v in pair))
    assert out.local_grads == (*(1.0,) * len(leading), *(g for w, x in pairs for g in (x, w)))
    size = math.fsum(abs(w * x) for w, x in pairs) + abs(data_of(start))
    assert abs(out.data - math.fsum([*(w * x for w, x in pairs), data_of(start)])) <= 2 * len(out.inputs) * EPS * size
    for i, (w, x) in enumerate(pairs):
        def with_weight(v: Value) -> Value:
            return microgradnet.dot([*ws[:i], v, *ws[i + 1:]], xs, start)

        size_i = size + 1e-5 * max(1.0, abs(w)) * abs(x)  # w moves by up to 2h in the differences
        assert_matches_central_differences(with_weight, w, x, size=size_i)


def test_dot_makes_numbers_leaves_and_names_its_start() -> None:
    w = Value(2.0)
    out = microgradnet.dot([w, 3], [4, 5], start=1)
    assert (out.data, out.op, out.inputs[0]) == (24.0, "dot (start 1)", w)
    assert [v.data for v in out.inputs] == [2.0, 4.0, 3.0, 5.0]
    out.backward()
    assert w.grad == 4.0


def test_dot_refuses_lengths_that_differ() -> None:
    with pytest.raises(ValueError, match="same length, got 2 and 3"):
        microgradnet.dot([1, 2], [1, 2, 3])


@given(st.lists(SMALL_REALS, min_size=1, max_size=6, unique=True))
def test_max_sends_the_gradient_to_the_largest_input(xs: list[float]) -> None:
    values = [Value(x) for x in xs]
    out = microgradnet.max(values)
    top = xs.index(max(xs))
    assert out.data == max(xs)
    assert out.local_grads == tuple(float(i == top) for i in range(len(xs)))
    runner_up = max((x for i, x in enumerate(xs) if i != top), default=-math.inf)
    assume(max(xs) - runner_up > 4e-6 * max(1.0, abs(max(xs))))  # steps h, 2h keep the same winner
    for i, x in enumerate(xs):
        others = values[:i], values[i + 1:]
        assert_matches_central_differences(lambda v: microgradnet.max([*others[0], v, *others[1]]), x, float(i == top))


def test_max_breaks_ties_towards_the_first_and_refuses_empty_input() -> None:
    a, b, c = Value(1.0), Value(7.0), Value(7.0)
    assert microgradnet.max([a, b, c, 7]).local_grads == (0.0, 1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="max: expected at least one value"):
        microgradnet.max([])


# --- batched rules: each equals its scalar rule, sample by sample -----------------------------

import numpy as np  # noqa: E402  (the batched rules' own dependency; the scalar tests above need none)

BATCH_REL = 1e-14  # NumPy's exp/log/tanh may round differently from math's in the last ulp or two

UNARY_BATCHED = [ops.EXP, ops.LOG, ops.SQRT, ops.TANH, ops.SIGMOID, ops.SOFTPLUS, ops.RELU, ops.ABS, ops.HARD_TANH,
                 *(ops.with_const(kind, c) for kind, c in [("+", 1.5), ("+", -2.0), ("*", -1.0), ("*", 0.5),
                                                           ("r-", 1.0), ("/", 4.0), ("r/", 2.0), ("**", 2.0),
                                                           ("**", 3.0), ("**", 0.5), ("**", -1.0), ("**", 0.0),
                                                           ("r**", 2.0), ("leaky_relu", 0.01), ("leaky_relu", 0.3),
                                                           ("elu", 1.0), ("elu", 0.5)])]
BINARY_BATCHED = [ops.ADD, ops.SUB, ops.MUL, ops.DIV, ops.POW, ops.PRELU]
# n-ary ops with their input count for ``width`` addends or pairs
NARY_BATCHED = {ops.SUM: 1, ops.with_const("sum", 0.25): 1, ops.MAX: 1, ops.DOT: 2, ops.with_const("dot", -1.0): 2}
# the branch points of relu, abs, hard_tanh, max and the stable forms' far ends, drawn often
EDGES = st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, 40.0, -40.0, 750.0, -750.0, 1e6, -1e6])
SAMPLE = st.one_of(EDGES, st.floats(-50, 50), st.floats(-1e3, 1e3))


def scalar_or_error(op: ops.Op, args: tuple[float, ...]) -> tuple[float, tuple[float, ...]] | str:
    try:
        with np.errstate(all="ignore"):
            return op.rule(*args)
    except (ArithmeticError, ValueError) as error:
        return f"{type(error).__name__}: {error}"


def same(got: float, want: float) -> bool:
    return (math.isnan(got) and math.isnan(want)) or got == want or math.isclose(got, want, rel_tol=BATCH_REL)


def assert_batched_matches_scalar(op: ops.Op, columns: list[list[float]]) -> None:
    """The batched rule over the columns gives each sample's scalar (value, local grads), or the scalar
    rule's own error at the first sample where it has one."""
    rule = ops.batched_rule(op)
    assert rule is not None, f"{op!r} has no batched rule"
    rows = list(zip(*columns))
    expected = [scalar_or_error(op, row) for row in rows]
    errors = [e for e in expected if isinstance(e, str)]
    if errors:
        with pytest.raises((ArithmeticError, ValueError)) as raised, np.errstate(all="ignore"):
            rule(*(np.array(c) for c in columns))
        assert f"{raised.type.__name__}: {raised.value}" == errors[0]
        return
    with np.errstate(all="ignore"):
        value, local_grads = rule(*(np.array(c) for c in columns))
    value = np.broadcast_to(value, (len(rows),))
    local_grads = [np.broadcast_to(g, (len(rows),)) for g in local_grads]
    for k, want in enumerate(expected):
        assert isinstance(want, tuple)
        assert same(float(value[k]), want[0]), f"{op!r} at {rows[k]}: batched {value[k]!r}, scalar {want[0]!r}"
        for i, g in enumerate(want[1]):
            got = float(local_grads[i][k])
            assert same(got, g), f"{op!r} at {rows[k]}: d/d input {i} batched {got!r}, scalar {g!r}"


@given(data=st.data(), size=st.integers(1, 8))
@pytest.mark.parametrize("op", UNARY_BATCHED, ids=str)
def test_batched_unary_rules_equal_the_scalar_rules(op, data, size):
    assert_batched_matches_scalar(op, [data.draw(st.lists(SAMPLE, min_size=size, max_size=size))])


@given(data=st.data(), size=st.integers(1, 8))
@pytest.mark.parametrize("op", BINARY_BATCHED, ids=str)
def test_batched_binary_rules_equal_the_scalar_rules(op, data, size):
    column = st.lists(SAMPLE, min_size=size, max_size=size)
    assert_batched_matches_scalar(op, [data.draw(column), data.draw(column)])


@given(data=st.data(), size=st.integers(1, 6), width=st.integers(1, 4))
@pytest.mark.parametrize("op, lead, per", [*((op, 0, per) for op, per in NARY_BATCHED.items()), (ops.BIASED_DOT, 1, 2)],
                         ids=str)
def test_batched_nary_rules_equal_the_scalar_rules(op, lead, per, data, size, width):
    n = lead + per * width
    small = st.sampled_from([0.0, -1.0, 1.0, 2.0, float("nan")]) if op is ops.MAX else SAMPLE  # ties, NaN for max
    assert_batched_matches_scalar(op, [data.draw(st.lists(small, min_size=size, max_size=size)) for _ in range(n)])


def test_batched_max_takes_the_first_largest_and_nan_as_largest():
    value, grads = ops.batched_rule(ops.MAX)(np.array([1.0, 2.0, np.nan]), np.array([1.0, 2.0, 5.0]),
                                            np.array([0.0, 3.0, np.nan]))
    assert value[:2].tolist() == [1.0, 3.0] and math.isnan(value[2])
    assert [g.tolist() for g in grads] == [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


def test_batched_domain_error_is_the_scalar_rules_message_at_the_first_bad_sample():
    with pytest.raises(ValueError, match=r"^log: log of -2.0 is undefined"):
        ops.batched_rule(ops.LOG)(np.array([1.0, -2.0, -3.0]))
    with pytest.raises(ZeroDivisionError, match=r"^/: division by zero \(3.0 / 0.0\)"):
        ops.batched_rule(ops.DIV)(np.array([1.0, 3.0]), np.array([2.0, 0.0]))


def test_every_op_the_engine_makes_has_a_batched_rule():
    assert all(ops.batched_rule(op) is not None for op in [*UNARY_BATCHED, *BINARY_BATCHED, *NARY_BATCHED, ops.BIASED_DOT])


# --- the op record ------------------------------------------------------------------------------------

def test_ops_are_records_equal_by_their_fields_not_their_label() -> None:
    assert str(ops.SUM) == str(ops.ADD) == "+" and ops.SUM != ops.ADD
    assert {ops.ADD: 1}.get(ops.SUM) is None and {ops.ADD: 1}.get(ops.ADD) == 1
    assert ops.with_const("+", 1.0) is ops.with_const("+", 1.0)  # built once per constant
    assert ops.with_const("+", 1.0) != ops.with_const("*", 1.0) and ops.with_const("*", 2.0) != ops.with_const("*", 3.0)
    for op, numbers, value in ((ops.MUL, (2.0, 3.0), 6.0), (ops.with_const("*", -0.5), (2.0,), -1.0),
                               (ops.MAX, (2.0, 3.0), 3.0)):
        twin = pickle.loads(pickle.dumps(op))  # no __reduce__ of its own: the record's fields pickle
        assert twin == op and hash(twin) == hash(op) and twin.rule(*numbers)[0] == value


def test_signed_zero_constants_are_two_ops() -> None:
    negative, positive = ops.with_const("*", -0.0), ops.with_const("*", 0.0)
    assert negative != positive and negative.constant is not None and math.copysign(1.0, negative.constant) == -1.0
    x = Value(2.0)
    assert math.copysign(1.0, (x * -0.0).data) == -1.0 and math.copysign(1.0, (x * 0.0).data) == 1.0


def test_each_input_has_its_derivative_and_the_variables_it_reads() -> None:
    x, y = Value(0.5), Value(1.5)
    assert [(d.variable, d.uses) for d in (x / y).op.derivatives_for(2)] == [("x", ("y",)), ("y", ("x", "y"))]
    pair = microgradnet.dot([x, y], [y, x]).op.derivatives_for(4)
    assert [(d.variable, d.uses) for d in pair] == [("w1", ("x1",)), ("x1", ("w1",)), ("w2", ("x2",)), ("x2", ("w2",))]
    assert [d.variable for d in microgradnet.max([x, y, x]).op.derivatives_for(3)] == ["x1", "x2", "x3"]


def test_an_op_reads_as_the_slides_write_it() -> None:
    assert ops.MUL.reads(["2.00", "-1.00"]) == "2.00 * (-1.00)"  # a negative operand in parentheses
    assert ops.EXP.reads(["-1.00"]) == "exp(-1.00)"  # but not inside a call
    assert ops.with_const("+", -3.0).reads(["x"]) == "x - 3" and ops.with_const("r/", 1.0).reads(["x"]) == "1 / x"
    assert ops.BIASED_DOT.reads(["b", "w1", "x1", "w2", "x2"]) == "w1 * x1 + w2 * x2 + b"
    assert ops.MAX.reads(["a", "b", "c"]) == "max(a, b, c)"


@pytest.mark.parametrize("a", [5e-324, 1e-300, 2.0, 1e300])
def test_a_zero_value_exponent_has_derivative_zero_in_the_base(a: float) -> None:
    # a^0 = 1 for every a > 0, so d/da is 0 (PyTorch agrees); 0 * a^-1 was NaN where a^-1 overflows
    base, exponent = Value(a), Value(0.0)
    out = base**exponent
    out.backward()
    assert (out.data, base.grad, exponent.grad) == (1.0, 0.0, math.log(a))
