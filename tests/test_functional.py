"""Gradients without the graph in view: ``grad``, ``numerical_grad``, ``gradcheck``."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgradnet import GradcheckError, Value, grad, gradcheck, no_grad, numerical_grad
from microgradnet.engine import is_grad_enabled

COORDS = st.floats(-3.0, 3.0)


def square_with_wrong_gradient(x: Value) -> Value:
    """x^2 as a hand-built node whose local gradient is 3x instead of 2x."""
    out = Value(x.data**2)
    out.op, out.inputs, out.local_grads = "sq", (x,), (3 * x.data,)
    return out


def test_grad_gives_the_lecture_gradient() -> None:
    partials = grad(lambda x, y, z: z * (x + y))
    assert partials(2, 3, -2) == (-2.0, -2.0, 5.0)
    assert partials(2, 3, -2) == (-2.0, -2.0, 5.0)  # fresh Values each call: nothing accumulates


@given(COORDS, COORDS)
def test_grad_matches_the_closed_form(x: float, y: float) -> None:
    # d/dx (x y + x^2) = y + 2x, d/dy = x
    assert grad(lambda a, b: a * b + a**2)(x, y) == pytest.approx((y + 2 * x, x), rel=1e-15, abs=1e-15)


def test_grad_of_a_constant_or_an_unused_argument_is_zero() -> None:
    assert grad(lambda x, y: 3.0)(1.0, 2.0) == (0.0, 0.0)
    assert grad(lambda x, y: x * 4)(1.0, 2.0) == (4.0, 0.0)


def test_grad_works_inside_no_grad() -> None:
    # e.g. plotting a derivative under no_grad: the partials must not silently become zeros
    with no_grad():
        assert grad(lambda x, y: x * y + x**2)(3.0, 2.0) == (8.0, 3.0)
        assert not is_grad_enabled()


def test_grad_refuses_non_numbers_naming_the_argument() -> None:
    with pytest.raises(TypeError, match="grad: argument 1: expected a real number .*got str"):
        grad(lambda x, y: x * y)(1.0, "2")


def test_numerical_grad_is_the_central_difference_with_step_h() -> None:
    # ((x + h)^3 - (x - h)^3) / 2h = 3x^2 + h^2 exactly
    assert numerical_grad(lambda x: x**3, 1.0, h=0.1) == pytest.approx((3.01,), rel=1e-13)
    assert numerical_grad(lambda x: x**3, 2.0) == pytest.approx((12.0,), rel=1e-9)


def test_numerical_grad_runs_two_forward_passes_per_argument_without_a_graph() -> None:
    recorded = []

    def f(x: Value, y: Value, z: Value) -> Value:
        recorded.append(is_grad_enabled())
        return z * (x + y)

    assert numerical_grad(f, 2, 3, -2) == pytest.approx((-2.0, -2.0, 5.0), rel=1e-9)
    assert recorded == [False] * 6


def test_numerical_grad_accepts_a_function_returning_a_number() -> None:
    assert numerical_grad(lambda x: 7, 1.0) == (0.0,)


@given(COORDS)
def test_numerical_grad_of_a_quadratic_is_exact_up_to_rounding(x: float) -> None:
    # (x + h)^2 - (x - h)^2 = 4xh: no truncation error, only the rounding of x +- h and the squares
    assert numerical_grad(lambda v: v * v, x) == pytest.approx((2 * x,), abs=1e-8)


def test_numerical_grad_refuses_non_numbers_naming_the_argument() -> None:
    with pytest.raises(TypeError, match="numerical_grad: argument 0: expected a real number .*got NoneType"):
        numerical_grad(lambda x: x, None)
    with pytest.raises(TypeError, match="numerical_grad: h: expected a real number .*got str"):
        numerical_grad(lambda x: x, 1.0, h="0.1")  # type: ignore[arg-type]


@pytest.mark.parametrize("h", [0, -1e-6, float("inf"), float("nan")])
def test_numerical_grad_and_gradcheck_refuse_a_step_that_is_not_positive_and_finite(h: float) -> None:
    with pytest.raises(ValueError, match=rf"numerical_grad: h must be a positive, finite step, got {h!r}"):
        numerical_grad(lambda x: x * x, 1.0, h=h)
    with pytest.raises(ValueError, match="h must be a positive"):
        gradcheck(lambda x: x * x, 1.0, h=h)


@given(COORDS, COORDS)
def test_gradcheck_accepts_correct_gradients(x: float, y: float) -> None:
    assert gradcheck(lambda a, b: (a * b).tanh() + (a - b).sigmoid() + (a * a + 1).log() * b, x, y)


def test_gradcheck_rejects_a_wrong_local_gradient() -> None:
    def f(x: Value, y: Value) -> Value:
        return x + square_with_wrong_gradient(y)

    assert grad(f)(1.0, 2.0) == (1.0, 6.0)  # the true gradient is (1, 4)
    assert gradcheck(f, 1.0, 2.0) is False
    with pytest.raises(GradcheckError, match=r"argument 1 \(= 2.0\): backprop gives 6.0, central differences give 4.0"):
        gradcheck(f, 1.0, 2.0, raise_exception=True)
    assert issubclass(GradcheckError, AssertionError)


def test_gradcheck_tolerances_are_atol_plus_rtol_times_the_numeric_value() -> None:
    def f(x: Value) -> Value:  # x^2 with a local gradient 0.1 % too large
        out = Value(x.data**2)
        out.op, out.inputs, out.local_grads = "sq", (x,), (2.002 * x.data,)
        return out

    assert gradcheck(f, 10.0) is False  # off by 0.02 of 20
    assert gradcheck(f, 10.0, rtol=2e-3) is True
    assert gradcheck(f, 10.0, atol=0.03) is True


def test_gradcheck_reports_a_kink_where_one_sided_slopes_differ() -> None:
    assert gradcheck(lambda x: x.relu(), 0.0) is False  # backprop 0, central differences 1/2
    assert gradcheck(lambda x: x.relu(), 0.5) is True


def test_gradcheck_refuses_non_numbers() -> None:
    with pytest.raises(TypeError, match="expected a real number .*got str"):
        gradcheck(lambda x: x * x, "1.0")
