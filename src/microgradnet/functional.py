"""Gradients without the graph in view: ``grad``, ``numerical_grad``, ``gradcheck``."""
from __future__ import annotations

import math
from typing import Callable

from .engine import Value, as_float, enable_grad, no_grad

Function = Callable[..., "Value | float"]


def grad(f: Function) -> Callable[..., tuple[float, ...]]:
    """A function returning the partial derivatives of ``f`` at its numeric arguments, by backprop.

    ``grad(lambda x, y, z: z * (x + y))(2, 3, -2) == (-2.0, -2.0, 5.0)``
    """

    def partials(*args: float) -> tuple[float, ...]:
        inputs = [Value(as_float(a, f"grad: argument {i}")) for i, a in enumerate(args)]
        with enable_grad():  # backprop needs the graph, even inside no_grad (plotting a derivative, say)
            out = f(*inputs)
        if isinstance(out, Value):
            out.backward()
        else:
            as_float(out, "grad: f's result")  # a constant: every partial is 0
        return tuple(v.grad for v in inputs)

    return partials


def _evaluate(f: Function, args: list[float]) -> float:
    with no_grad():
        out = f(*[Value(a) for a in args])
    return out.data if isinstance(out, Value) else as_float(out, "numerical_grad: f's result")


def numerical_grad(f: Function, *args: float, h: float = 1e-6) -> tuple[float, ...]:
    """Central differences ``(f(x + h) - f(x - h)) / 2h`` in float64, one pair of calls per argument."""
    h = as_float(h, "numerical_grad: h")
    if not 0.0 < h < math.inf:
        raise ValueError(f"numerical_grad: h must be a positive, finite step, got {h!r}")
    point = [as_float(a, f"numerical_grad: argument {i}") for i, a in enumerate(args)]
    partials = []
    for i, x in enumerate(point):
        up, down = point.copy(), point.copy()
        up[i], down[i] = x + h, x - h
        partials.append((_evaluate(f, up) - _evaluate(f, down)) / (2 * h))
    return tuple(partials)


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree; the message says for which argument."""


def gradcheck(
    f: Function,
    *args: float,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    h: float = 1e-6,
    raise_exception: bool = False,
) -> bool:
    """Whether backprop agrees with central differences: ``|a - n| <= atol + rtol * |n|`` for every argument.

    With ``raise_exception=True`` a disagreement raises ``GradcheckError`` naming the argument.
    """
    analytic = grad(f)(*args)
    numeric = numerical_grad(f, *args, h=h)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        if not abs(a - n) <= atol + rtol * abs(n):
            if raise_exception:
                raise GradcheckError(
                    f"gradcheck: argument {i} (= {args[i]!r}): backprop gives {a!r}, "
                    f"central differences give {n!r} (atol={atol}, rtol={rtol})"
                )
            return False
    return True
