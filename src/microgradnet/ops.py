"""The op table: each op's forward value and local derivatives, side by side.

A rule takes the input numbers and returns ``(value, local_grads)`` where
``local_grads[i]`` is d value / d input i at those numbers. The engine, the trace,
the drawings and the tape all read these rules; no other module knows any calculus.
Each op also carries its rule as text (``formula``), which practice mode shows as a hint.
Domain errors are raised here, naming the op and the offending value.
"""
from __future__ import annotations

import math
import operator
from functools import lru_cache, partial
from typing import Any, Callable

INF = math.inf
NAN = math.nan

Rule = Callable[..., "tuple[float, tuple[float, ...]]"]


class Op(str):
    """An op's display name (``"*"``, ``"exp"``, ``"+1"``) that also carries its rule and the rule as text.

    ``formula`` is the local derivative for each input, as the slides write it, "; " between
    inputs: ``"d/dx [x * y] = y; d/dy [x * y] = x"``. An op taking any number of inputs writes
    the clauses for input (or pair) ``{i}`` of ``{n}`` once; ``formulas(n)`` repeats them.
    """

    rule: Rule
    formula: str

    def __new__(cls, name: str, rule: Rule, formula: str) -> Op:
        op = super().__new__(cls, name)
        op.rule = rule
        op.formula = formula
        return op

    def __reduce__(self) -> tuple[type[Op], tuple[str, Rule, str]]:
        # str's own reduce would rebuild the op from its name alone: copy and pickle of a graph failed
        return (Op, (str(self), self.rule, self.formula))

    def formulas(self, n: int) -> tuple[str, ...]:
        """The rule for each of ``n`` inputs: the fixed clauses, then the ``{i}`` clauses for i = 1, 2, ..."""
        clauses = self.formula.split("; ")
        fixed = [c for c in clauses if "{i}" not in c]
        repeated = [c for c in clauses if "{i}" in c]
        if not repeated:
            return tuple(clauses)
        xs = ", ".join(f"x{k}" for k in range(1, n + 1))
        rounds = range(1, (n - len(fixed)) // len(repeated) + 1)
        return (*fixed, *(c.format(i=i, n=n, xs=xs) for i in rounds for c in repeated))


def _num(c: float) -> str:
    """A constant as it reads in an op name or formula: 1 not 1.0, -0.5 as -0.5, -0.0 as 0 (so x - 0 is "+0")."""
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



# --- batched rules: the same op over a batch (NumPy arrays, one number per sample; or plain floats) ---
# Each ``*_batched`` rule stands beside its scalar rule and returns the same (value, local_grads) per sample:
# the tape replays one recorded sample over a whole batch with them (``Tape.forward_batch``).

Batch = Any  # a float (the same for every sample) or a NumPy array with one number per sample
BatchResult = Any  # (value, local_grads) as a scalar rule's, each a Batch


def _np() -> Any:
    """NumPy, imported when a batched rule first runs (the scalar engine never needs it)."""
    import numpy

    return numpy


def _guard(bad: Batch, rule: Rule, *args: Batch) -> None:
    """Where ``bad`` holds for some sample, raise the scalar ``rule``'s own error at the first such sample."""
    np = _np()
    if np.any(bad):
        shape = np.broadcast(*args, bad).shape
        k = int(np.flatnonzero(np.broadcast_to(bad, shape))[0])
        rule(*(float(np.broadcast_to(a, shape).flat[k]) for a in args))


# --- binary ops between two Values -------------------------------------------------

def add(a: float, b: float) -> tuple[float, tuple[float, float]]:
    return a + b, (1.0, 1.0)


def add_batched(a: Batch, b: Batch) -> BatchResult:
    return a + b, (1.0, 1.0)


def sub(a: float, b: float) -> tuple[float, tuple[float, float]]:
    return a - b, (1.0, -1.0)


def sub_batched(a: Batch, b: Batch) -> BatchResult:
    return a - b, (1.0, -1.0)


def mul(a: float, b: float) -> tuple[float, tuple[float, float]]:
    return a * b, (b, a)


def mul_batched(a: Batch, b: Batch) -> BatchResult:
    return a * b, (b, a)


def div(a: float, b: float) -> tuple[float, tuple[float, float]]:
    # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 (as -(a/b)/b: b*b underflows to 0 for |b| < 1e-162)
    if b == 0.0:
        raise ZeroDivisionError(f"/: division by zero ({a!r} / {b!r})")
    return a / b, (1.0 / b, -(a / b) / b)


def div_batched(a: Batch, b: Batch) -> BatchResult:
    _guard(b == 0.0, div, a, b)
    q = a / b
    return q, (1.0 / b, -q / b)


def power(a: float, b: float) -> tuple[float, tuple[float, float]]:
    # a**b = exp(b log a): d/da = b a^(b-1), d/db = a^b log a; needs a > 0
    if a <= 0:  # a NaN base is data, not a domain error: it gives NaN
        raise ValueError(f"**: a ** b with a Value exponent needs a > 0, got a = {a!r}")
    out = _pow(a, b, "**")
    return out, (b * _pow(a, b - 1, "**"), out * math.log(a))


def power_batched(a: Batch, b: Batch) -> BatchResult:
    np = _np()
    _guard(a <= 0, power, a, b)
    out = np.power(a, b)
    return out, (b * np.power(a, b - 1), out * np.log(a))


# --- unary ops ---------------------------------------------------------------------

def exp(x: float) -> tuple[float, tuple[float]]:
    e = _exp(x)
    return e, (e,)


def exp_batched(x: Batch) -> BatchResult:
    e = _np().exp(x)
    return e, (e,)


def log(x: float) -> tuple[float, tuple[float]]:
    if x <= 0:  # a NaN is data, not a domain error: log(nan) is nan
        raise ValueError(f"log: log of {x!r} is undefined (log needs x > 0)")
    return math.log(x), (1.0 / x,)


def log_batched(x: Batch) -> BatchResult:
    _guard(x <= 0, log, x)
    return _np().log(x), (1.0 / x,)


def sqrt(x: float) -> tuple[float, tuple[float]]:
    # d/dx sqrt = 1 / (2 sqrt x); inf at 0, as in PyTorch
    if x < 0:
        raise ValueError(f"sqrt: sqrt of {x!r} is undefined (sqrt needs x >= 0)")
    s = math.sqrt(x)
    return s, (0.5 / s if s else INF,)


def sqrt_batched(x: Batch) -> BatchResult:
    _guard(x < 0, sqrt, x)
    s = _np().sqrt(x)
    return s, (0.5 / (s + 0.0),)  # 0.5 / 0 is inf, as the scalar rule's (+ 0.0: sqrt(-0.0) is -0.0)


def tanh(x: float) -> tuple[float, tuple[float]]:
    t = math.tanh(x)
    return t, (1.0 - t * t,)


def tanh_batched(x: Batch) -> BatchResult:
    t = _np().tanh(x)
    return t, (1.0 - t * t,)


def sigmoid(x: float) -> tuple[float, tuple[float]]:
    # by sign, so exp never overflows; d/dx = s (1 - s)
    if x >= 0:
        s = 1.0 / (1.0 + math.exp(-x))
    else:
        e = math.exp(x)
        s = e / (1.0 + e)
    return s, (s * (1.0 - s),)


def sigmoid_batched(x: Batch) -> BatchResult:
    np = _np()
    e = np.exp(-np.abs(x))  # the scalar rule's two branches at once: e = exp(-x) for x >= 0, exp(x) below
    s = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return s, (s * (1.0 - s),)


def softplus(x: float) -> tuple[float, tuple[float]]:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for any x; d/dx = sigmoid(x)
    return max(x, 0.0) + math.log1p(math.exp(-abs(x))), sigmoid(x)[0:1]


def softplus_batched(x: Batch) -> BatchResult:
    np = _np()
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))), sigmoid_batched(x)[0:1]


def relu(x: float) -> tuple[float, tuple[float]]:
    if x > 0:
        return x, (1.0,)
    return (x, (NAN,)) if x != x else (0.0, (0.0,))


def relu_batched(x: Batch) -> BatchResult:
    np = _np()
    return np.maximum(x, 0.0), (np.heaviside(x, 0.0),)  # both NaN at NaN, as the scalar rule


def absolute(x: float) -> tuple[float, tuple[float]]:
    # abs'(0) = 0, as in PyTorch
    return abs(x), (1.0 if x > 0 else -1.0 if x < 0 else 0.0,)


def absolute_batched(x: Batch) -> BatchResult:
    np = _np()
    return np.abs(x), (np.greater(x, 0.0) * 1.0 - np.less(x, 0.0),)


def hard_tanh(x: float) -> tuple[float, tuple[float]]:
    # clamp to [-1, 1]; slope 1 strictly inside, 0 outside and at the corners
    return min(max(x, -1.0), 1.0), (1.0 if -1.0 < x < 1.0 else 0.0,)


def hard_tanh_batched(x: Batch) -> BatchResult:
    np = _np()
    return np.clip(x, -1.0, 1.0), (np.logical_and(-1.0 < x, x < 1.0) * 1.0,)


def leaky_relu(slope: float, x: float) -> tuple[float, tuple[float]]:
    # leaky_relu'(0) = slope, as in PyTorch
    return (x, (1.0,)) if x > 0 else (slope * x, (slope,))


def leaky_relu_batched(slope: float, x: Batch) -> BatchResult:
    np = _np()
    positive = x > 0
    return np.where(positive, x, slope * x), (np.where(positive, 1.0, slope),)


def elu(alpha: float, x: float) -> tuple[float, tuple[float]]:
    # alpha (e^x - 1) for x <= 0, via expm1 (e^x - 1 loses digits near 0); elu'(0) = alpha, as in PyTorch
    if x > 0:
        return x, (1.0,)
    return alpha * math.expm1(x), (alpha * math.exp(x),)


def elu_batched(alpha: float, x: Batch) -> BatchResult:
    np = _np()
    positive = x > 0
    return np.where(positive, x, alpha * np.expm1(x)), (np.where(positive, 1.0, alpha * np.exp(x)),)


def prelu(x: float, a: float) -> tuple[float, tuple[float, float]]:
    # leaky relu whose slope a is itself a Value (learned): d/dx = 1 or a, d/da = 0 or x
    return (x, (1.0, 0.0)) if x > 0 else (a * x, (a, x))


def prelu_batched(x: Batch, a: Batch) -> BatchResult:
    np = _np()
    positive = x > 0
    return np.where(positive, x, a * x), (np.where(positive, 1.0, a), np.where(positive, 0.0, x))


# --- ops with a plain-number constant (a unary gate, as the slides draw "+1", "*-1") --

def add_const(c: float, x: float) -> tuple[float, tuple[float]]:
    return x + c, (1.0,)


def add_const_batched(c: float, x: Batch) -> BatchResult:
    return x + c, (1.0,)


def mul_const(c: float, x: float) -> tuple[float, tuple[float]]:
    return x * c, (c,)


def mul_const_batched(c: float, x: Batch) -> BatchResult:
    return x * c, (c,)


def rsub_const(c: float, x: float) -> tuple[float, tuple[float]]:
    return c - x, (-1.0,)


def rsub_const_batched(c: float, x: Batch) -> BatchResult:
    return c - x, (-1.0,)


def div_const(c: float, x: float) -> tuple[float, tuple[float]]:
    return x / c, (1.0 / c,)


def div_const_batched(c: float, x: Batch) -> BatchResult:
    return x / c, (1.0 / c,)


def rdiv_const(c: float, x: float) -> tuple[float, tuple[float]]:
    # c / x: d/dx = -c / x^2 (as -(c/x)/x: x*x underflows to 0 for |x| < 1e-162)
    if x == 0.0:
        raise ZeroDivisionError(f"{_num(c)}/x: division by zero ({_num(c)} / {x!r})")
    return c / x, (-(c / x) / x,)


def rdiv_const_batched(c: float, x: Batch) -> BatchResult:
    _guard(x == 0.0, partial(rdiv_const, c), x)
    q = c / x
    return q, (-q / x,)


def pow_const(n: float, x: float) -> tuple[float, tuple[float]]:
    # d/dx x^n = n x^(n-1)
    name = f"**{_num(n)}"
    if n == 0:
        return 1.0, (0.0,)
    out = _pow(x, n, name)
    if x == 0.0 and n < 1:
        return out, (INF,)
    return out, (n * _pow(x, n - 1, name),)


def pow_const_batched(n: float, x: Batch) -> BatchResult:
    np = _np()
    if n == 0:
        return 1.0 + 0.0 * x, (0.0,)
    _guard((x == 0.0) & (n < 0) | (x < 0) & (not float(n).is_integer()), partial(pow_const, n), x)
    out = np.power(x, n)
    return out, (np.where((x == 0.0) & (n < 1), INF, n * np.power(x, n - 1)),)


def rpow_const(c: float, x: float) -> tuple[float, tuple[float]]:
    # c^x: d/dx = c^x log c; needs c > 0
    out = _pow(c, x, f"{_num(c)}**x")
    return out, (out * math.log(c),)


def rpow_const_batched(c: float, x: Batch) -> BatchResult:
    out = _np().power(c, x)
    return out, (out * math.log(c),)


# --- n-ary ops ---------------------------------------------------------------------

@lru_cache(maxsize=None)
def _ones(n: int) -> tuple[float, ...]:
    return (1.0,) * n


def sum_(start: float, *xs: float) -> tuple[float, tuple[float, ...]]:
    # one node for many addends: local gradient 1 for each
    return sum(xs, start), _ones(len(xs))


def sum_batched(start: float, *xs: Batch) -> BatchResult:
    total: Batch = start
    for x in xs:  # left to right, as Python's sum: the same floats per sample
        total = total + x
    return total, _ones(len(xs))


def _dot(start: float, pairs: tuple[float, ...], lead: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
    # start + w1*x1 + w2*x2 + ... over inputs (*lead, w1, x1, w2, x2, ...): d/dw_i = x_i, d/dx_i = w_i
    weights, xs = pairs[0::2], pairs[1::2]
    local_grads = [*lead, *pairs]
    n = len(lead)
    local_grads[n::2], local_grads[n + 1::2] = xs, weights
    return sum(map(operator.mul, weights, xs), start), tuple(local_grads)


def _dot_batched(start: Batch, pairs: tuple[Batch, ...], lead: tuple[float, ...]) -> BatchResult:
    total = start
    for w, x in zip(pairs[0::2], pairs[1::2]):
        total = total + w * x
    local_grads = [*lead, *pairs]
    n = len(lead)
    local_grads[n::2], local_grads[n + 1::2] = pairs[1::2], pairs[0::2]
    return total, tuple(local_grads)


def dot(start: float, *pairs: float) -> tuple[float, tuple[float, ...]]:
    return _dot(start, pairs, ())


def dot_batched(start: float, *pairs: Batch) -> BatchResult:
    return _dot_batched(start, pairs, ())


def biased_dot(bias: float, *pairs: float) -> tuple[float, tuple[float, ...]]:
    # bias + w.x over inputs (bias, w1, x1, ...): a neuron's weighted sum as one node
    return _dot(bias, pairs, (1.0,))


def biased_dot_batched(bias: Batch, *pairs: Batch) -> BatchResult:
    return _dot_batched(bias, pairs, (1.0,))


def maximum(*xs: float) -> tuple[float, tuple[float, ...]]:
    # gradient 1 to the first largest input, 0 to the rest (as PyTorch's max); NaN propagates as the
    # largest (Python's max would return it or drop it depending on where it stands)
    i = next((j for j, x in enumerate(xs) if x != x), None)
    if i is None:
        i = max(range(len(xs)), key=xs.__getitem__)
    return xs[i], tuple(1.0 if j == i else 0.0 for j in range(len(xs)))


def maximum_batched(*xs: Batch) -> BatchResult:
    np = _np()
    stacked = np.stack(np.broadcast_arrays(*xs))
    first = np.argmax(stacked, axis=0)  # the first largest; the first NaN counts as largest, as the scalar rule
    return np.take_along_axis(stacked, first[None], axis=0)[0], tuple((first == j) * 1.0 for j in range(len(xs)))


# --- the op names the engine uses ----------------------------------------------------

ADD = Op("+", add, "d/dx [x + y] = 1; d/dy [x + y] = 1")
SUB = Op("-", sub, "d/dx [x - y] = 1; d/dy [x - y] = -1")
MUL = Op("*", mul, "d/dx [x * y] = y; d/dy [x * y] = x")
DIV = Op("/", div, "d/dx [x / y] = 1/y; d/dy [x / y] = -x/y^2")
POW = Op("**", power, "d/dx [x ** y] = y x^(y-1); d/dy [x ** y] = x^y log(x)")
PRELU = Op("prelu", prelu, "d/dx prelu(x, a) = 1 if x > 0, else a; d/da prelu(x, a) = 0 if x > 0, else x")
EXP = Op("exp", exp, "d/dx exp(x) = exp(x)")
LOG = Op("log", log, "d/dx log(x) = 1/x")
SQRT = Op("sqrt", sqrt, "d/dx sqrt(x) = 1 / (2 sqrt(x))")
TANH = Op("tanh", tanh, "d/dx tanh(x) = 1 - tanh(x)^2")
SIGMOID = Op("sigmoid", sigmoid, "d/dx sigmoid(x) = sigmoid(x) (1 - sigmoid(x))")
SOFTPLUS = Op("softplus", softplus, "d/dx softplus(x) = sigmoid(x)")
RELU = Op("relu", relu, "d/dx relu(x) = 1 if x > 0, else 0")
ABS = Op("abs", absolute, "d/dx |x| = 1 if x > 0, -1 if x < 0, 0 at 0")
HARD_TANH = Op("hard_tanh", hard_tanh, "d/dx hard_tanh(x) = 1 if -1 < x < 1, else 0")
_SUM_FORMULA = "d/dx{i} [x1 + ... + x{n}] = 1"
_DOT_FORMULA = "d/dw{i} [Σ wj xj] = x{i}; d/dx{i} [Σ wj xj] = w{i}"
SUM = Op("+", partial(sum_, 0.0), _SUM_FORMULA)
MAX = Op("max", maximum, "d/dx{i} max(...) = 1 if x{i} is the first largest of {xs}, else 0")
DOT = Op("dot", partial(dot, 0.0), _DOT_FORMULA)
BIASED_DOT = Op("dot", biased_dot, f"d/db [b + Σ wj xj] = 1; {_DOT_FORMULA}")


def with_const(kind: str, c: float) -> Op:
    """The cached op of ``kind`` with the plain number ``c`` bound into its rule (``x + 1`` -> "+1")."""
    # -0.0 == 0.0, so both zeros would share one cache entry, yet 2 * -0.0 is -0.0: key the zeros by sign
    return _const_op(kind, c, c == 0.0 and math.copysign(1.0, c) < 0.0)


@lru_cache(maxsize=4096)
def _const_op(kind: str, c: float, negative_zero: bool) -> Op:
    """``with_const``'s cache; ``negative_zero`` only tells the two zeros apart in its key."""
    if kind == "r**" and c <= 0:
        raise ValueError(f"{_num(c)}**x: a number raised to a Value needs a base > 0, got {c!r}")
    n = _num(c)
    name, rule, formula = {
        "+": (f"+{n}" if c >= 0 else n, add_const, f"d/dx [x + {n}] = 1" if c >= 0 else f"d/dx [x - {_num(-c)}] = 1"),
        "*": (f"*{n}", mul_const, f"d/dx [{'-x' if c == -1 else n + ' x'}] = {n}"),
        "r-": (f"{n}-x", rsub_const, f"d/dx [{n} - x] = -1"),
        "/": (f"/{n}", div_const, f"d/dx [x / {n}] = 1/{n}"),
        "r/": (f"{n}/x", rdiv_const, f"d/dx [{n}/x] = {_num(-c)}/x^2"),
        "**": (f"**{n}", pow_const, f"d/dx x^{n} = {n} x^{_num(c - 1)}"),
        "r**": (f"{n}**x", rpow_const, f"d/dx {n}^x = {n}^x log({n})"),
        "leaky_relu": ("leaky_relu" if c == 0.01 else f"leaky_relu({n})", leaky_relu,
                       f"d/dx leaky_relu(x) = 1 if x > 0, else {n}"),
        "elu": ("elu" if c == 1.0 else f"elu({n})", elu, f"d/dx elu(x) = 1 if x > 0, else {n} exp(x)"),
        "sum": (f"+ (start {n})", sum_, _SUM_FORMULA),
        "dot": (f"dot (start {n})", dot, _DOT_FORMULA),
    }[kind]
    return Op(name, partial(rule, c), formula)


# each scalar rule's batched twin (see "batched rules" above); an op whose rule is missing here cannot be batched
_BATCHED: dict[Callable[..., Any], Callable[..., Any]] = {
    add: add_batched, sub: sub_batched, mul: mul_batched, div: div_batched, power: power_batched,
    exp: exp_batched, log: log_batched, sqrt: sqrt_batched, tanh: tanh_batched, sigmoid: sigmoid_batched,
    softplus: softplus_batched, relu: relu_batched, absolute: absolute_batched, hard_tanh: hard_tanh_batched,
    leaky_relu: leaky_relu_batched, elu: elu_batched, prelu: prelu_batched,
    add_const: add_const_batched, mul_const: mul_const_batched, rsub_const: rsub_const_batched,
    div_const: div_const_batched, rdiv_const: rdiv_const_batched, pow_const: pow_const_batched,
    rpow_const: rpow_const_batched, sum_: sum_batched, dot: dot_batched, biased_dot: biased_dot_batched,
    maximum: maximum_batched,
}


def batched_rule(op: Op) -> Callable[..., Any] | None:
    """``op``'s rule over a batch (its constant bound in, as in its scalar rule), or None if it has none."""
    rule = op.rule
    if isinstance(rule, partial):
        twin = _BATCHED.get(rule.func)
        return None if twin is None else partial(twin, *rule.args)
    return _BATCHED.get(rule)
