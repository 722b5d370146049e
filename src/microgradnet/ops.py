"""The op table: each op's forward value and local derivatives, side by side.

A rule takes the input numbers and returns ``(value, local_grads)`` where
``local_grads[i]`` is d value / d input i at those numbers. The engine, the trace,
the drawings and the tape all read these rules; no other module knows any calculus.
Domain errors are raised here, naming the op and the offending value.
"""
from __future__ import annotations

import math
import operator
from functools import lru_cache, partial
from typing import Callable

INF = math.inf
NAN = math.nan

Rule = Callable[..., "tuple[float, tuple[float, ...]]"]


class Op(str):
    """An op's display name (``"*"``, ``"exp"``, ``"+1"``) that also carries its rule."""

    rule: Rule

    def __new__(cls, name: str, rule: Rule) -> Op:
        op = super().__new__(cls, name)
        op.rule = rule
        return op


def _num(c: float) -> str:
    """A constant as it reads in an op name: 1 not 1.0, -0.5 as -0.5, -0.0 as 0 (so x - 0 is "+0")."""
    return f"{c + 0.0:g}"


def _exp(x: float) -> float:
    """exp that follows IEEE on overflow (inf) instead of raising, as PyTorch does."""
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def _pow(x: float, n: float, opname: str) -> float:
    """x**n as a real number, inf on overflow; refuses results that are complex or undefined."""
    if x == 0.0 and n < 0:
        raise ZeroDivisionError(f"{opname}: 0.0 ** {_num(n)} is undefined (division by zero)")
    if x < 0 and not float(n).is_integer():
        raise ValueError(f"{opname}: {x!r} ** {_num(n)} is not a real number (negative base, fractional exponent)")
    try:
        return math.pow(x, n)
    except OverflowError:
        return INF if x > 0 or float(n) % 2 == 0 else -INF


# --- binary ops between two Values -------------------------------------------------

def add(a: float, b: float) -> tuple[float, tuple[float, float]]:
    return a + b, (1.0, 1.0)


def sub(a: float, b: float) -> tuple[float, tuple[float, float]]:
    return a - b, (1.0, -1.0)


def mul(a: float, b: float) -> tuple[float, tuple[float, float]]:
    return a * b, (b, a)


def div(a: float, b: float) -> tuple[float, tuple[float, float]]:
    # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 (as -(a/b)/b: b*b underflows to 0 for |b| < 1e-162)
    if b == 0.0:
        raise ZeroDivisionError(f"/: division by zero ({a!r} / {b!r})")
    return a / b, (1.0 / b, -(a / b) / b)


def power(a: float, b: float) -> tuple[float, tuple[float, float]]:
    # a**b = exp(b log a): d/da = b a^(b-1), d/db = a^b log a; needs a > 0
    if not a > 0:
        raise ValueError(f"**: a ** b with a Value exponent needs a > 0, got a = {a!r}")
    out = _pow(a, b, "**")
    return out, (b * _pow(a, b - 1, "**"), out * math.log(a))


# --- unary ops ---------------------------------------------------------------------

def exp(x: float) -> tuple[float, tuple[float]]:
    e = _exp(x)
    return e, (e,)


def log(x: float) -> tuple[float, tuple[float]]:
    if not x > 0:
        raise ValueError(f"log: log of {x!r} is undefined (log needs x > 0)")
    return math.log(x), (1.0 / x,)


def sqrt(x: float) -> tuple[float, tuple[float]]:
    # d/dx sqrt = 1 / (2 sqrt x); inf at 0, as in PyTorch
    if x < 0:
        raise ValueError(f"sqrt: sqrt of {x!r} is undefined (sqrt needs x >= 0)")
    s = math.sqrt(x)
    return s, (0.5 / s if s else INF,)


def tanh(x: float) -> tuple[float, tuple[float]]:
    t = math.tanh(x)
    return t, (1.0 - t * t,)


def sigmoid(x: float) -> tuple[float, tuple[float]]:
    # by sign, so exp never overflows; d/dx = s (1 - s)
    if x >= 0:
        s = 1.0 / (1.0 + math.exp(-x))
    else:
        e = math.exp(x)
        s = e / (1.0 + e)
    return s, (s * (1.0 - s),)


def softplus(x: float) -> tuple[float, tuple[float]]:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for any x; d/dx = sigmoid(x)
    return max(x, 0.0) + math.log1p(math.exp(-abs(x))), sigmoid(x)[0:1]


def relu(x: float) -> tuple[float, tuple[float]]:
    if x > 0:
        return x, (1.0,)
    return (x, (NAN,)) if x != x else (0.0, (0.0,))


def absolute(x: float) -> tuple[float, tuple[float]]:
    # abs'(0) = 0, as in PyTorch
    return abs(x), (1.0 if x > 0 else -1.0 if x < 0 else 0.0,)


def hard_tanh(x: float) -> tuple[float, tuple[float]]:
    # clamp to [-1, 1]; slope 1 strictly inside, 0 outside and at the corners
    return min(max(x, -1.0), 1.0), (1.0 if -1.0 < x < 1.0 else 0.0,)


def leaky_relu(slope: float, x: float) -> tuple[float, tuple[float]]:
    # leaky_relu'(0) = slope, as in PyTorch
    return (x, (1.0,)) if x > 0 else (slope * x, (slope,))


def elu(alpha: float, x: float) -> tuple[float, tuple[float]]:
    # alpha (e^x - 1) for x <= 0, via expm1 (e^x - 1 loses digits near 0); elu'(0) = alpha, as in PyTorch
    if x > 0:
        return x, (1.0,)
    return alpha * math.expm1(x), (alpha * math.exp(x),)


def prelu(x: float, a: float) -> tuple[float, tuple[float, float]]:
    # leaky relu whose slope a is itself a Value (learned): d/dx = 1 or a, d/da = 0 or x
    return (x, (1.0, 0.0)) if x > 0 else (a * x, (a, x))


# --- ops with a plain-number constant (a unary gate, as the slides draw "+1", "*-1") --

def add_const(c: float, x: float) -> tuple[float, tuple[float]]:
    return x + c, (1.0,)


def mul_const(c: float, x: float) -> tuple[float, tuple[float]]:
    return x * c, (c,)


def rsub_const(c: float, x: float) -> tuple[float, tuple[float]]:
    return c - x, (-1.0,)


def div_const(c: float, x: float) -> tuple[float, tuple[float]]:
    return x / c, (1.0 / c,)


def rdiv_const(c: float, x: float) -> tuple[float, tuple[float]]:
    # c / x: d/dx = -c / x^2 (as -(c/x)/x: x*x underflows to 0 for |x| < 1e-162)
    if x == 0.0:
        raise ZeroDivisionError(f"{_num(c)}/x: division by zero ({_num(c)} / {x!r})")
    return c / x, (-(c / x) / x,)


def pow_const(n: float, x: float) -> tuple[float, tuple[float]]:
    # d/dx x^n = n x^(n-1)
    name = f"**{_num(n)}"
    if n == 0:
        return 1.0, (0.0,)
    out = _pow(x, n, name)
    if x == 0.0 and n < 1:
        return out, (INF,)
    return out, (n * _pow(x, n - 1, name),)


def rpow_const(c: float, x: float) -> tuple[float, tuple[float]]:
    # c^x: d/dx = c^x log c; needs c > 0
    out = _pow(c, x, f"{_num(c)}**x")
    return out, (out * math.log(c),)


# --- n-ary ops ---------------------------------------------------------------------

@lru_cache(maxsize=None)
def _ones(n: int) -> tuple[float, ...]:
    return (1.0,) * n


def sum_(start: float, *xs: float) -> tuple[float, tuple[float, ...]]:
    # one node for many addends: local gradient 1 for each
    return sum(xs, start), _ones(len(xs))


def _dot(start: float, pairs: tuple[float, ...], lead: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
    # start + w1*x1 + w2*x2 + ... over inputs (*lead, w1, x1, w2, x2, ...): d/dw_i = x_i, d/dx_i = w_i
    weights, xs = pairs[0::2], pairs[1::2]
    local_grads = [*lead, *pairs]
    n = len(lead)
    local_grads[n::2], local_grads[n + 1::2] = xs, weights
    return sum(map(operator.mul, weights, xs), start), tuple(local_grads)


def dot(start: float, *pairs: float) -> tuple[float, tuple[float, ...]]:
    return _dot(start, pairs, ())


def biased_dot(bias: float, *pairs: float) -> tuple[float, tuple[float, ...]]:
    # bias + w.x over inputs (bias, w1, x1, ...): a neuron's weighted sum as one node
    return _dot(bias, pairs, (1.0,))


def maximum(*xs: float) -> tuple[float, tuple[float, ...]]:
    # gradient 1 to the first largest input, 0 to the rest (as PyTorch's max)
    i = max(range(len(xs)), key=xs.__getitem__)
    return xs[i], tuple(1.0 if j == i else 0.0 for j in range(len(xs)))


# --- the op names the engine uses ----------------------------------------------------

ADD, SUB, MUL, DIV, POW = Op("+", add), Op("-", sub), Op("*", mul), Op("/", div), Op("**", power)
EXP, LOG, SQRT, TANH, SIGMOID = Op("exp", exp), Op("log", log), Op("sqrt", sqrt), Op("tanh", tanh), Op("sigmoid", sigmoid)
SOFTPLUS, RELU, ABS, HARD_TANH = Op("softplus", softplus), Op("relu", relu), Op("abs", absolute), Op("hard_tanh", hard_tanh)
PRELU, MAX = Op("prelu", prelu), Op("max", maximum)
SUM = Op("+", partial(sum_, 0.0))
DOT, BIASED_DOT = Op("dot", partial(dot, 0.0)), Op("dot", biased_dot)


@lru_cache(maxsize=4096)
def with_const(kind: str, c: float) -> Op:
    """The cached op of ``kind`` with the plain number ``c`` bound into its rule (``x + 1`` -> "+1")."""
    if kind == "r**" and not c > 0:
        raise ValueError(f"{_num(c)}**x: a number raised to a Value needs a base > 0, got {c!r}")
    name, rule = {
        "+": (f"+{_num(c)}" if c >= 0 else _num(c), add_const),
        "*": (f"*{_num(c)}", mul_const),
        "r-": (f"{_num(c)}-x", rsub_const),
        "/": (f"/{_num(c)}", div_const),
        "r/": (f"{_num(c)}/x", rdiv_const),
        "**": (f"**{_num(c)}", pow_const),
        "r**": (f"{_num(c)}**x", rpow_const),
        "leaky_relu": ("leaky_relu" if c == 0.01 else f"leaky_relu({_num(c)})", leaky_relu),
        "elu": ("elu" if c == 1.0 else f"elu({_num(c)})", elu),
        "sum": (f"+ (start {_num(c)})", sum_),
        "dot": (f"dot (start {_num(c)})", dot),
    }[kind]
    return Op(name, partial(rule, c))
