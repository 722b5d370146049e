"""The op table: each op's forward value and local derivatives, side by side.

A rule takes the input numbers and returns ``(value, local_grads)`` where
``local_grads[i]`` is d value / d input i at those numbers. The engine, the trace,
the drawings and the tape all read these rules; no other module knows any calculus.
Each op is an ``Op`` record: its label, its rule, the derivative per input as the slides write it
(practice mode shows it as a hint) and how it reads applied to its inputs (the forward trace and
the tape listing show that). Domain errors are raised here, naming the op and the offending value.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any, Callable

INF = math.inf
NAN = math.nan

Rule = Callable[..., "tuple[float, tuple[float, ...]]"]


@dataclass(frozen=True)
class Derivative:
    """d op / d one input as the slides write it: the input's variable, the rule, and the variables the rule reads.

    In an op taking any number of inputs, ``{i}`` counts the inputs (or pairs) from 1, ``{n}`` is their
    number and ``{xs}`` lists them; ``uses_all`` says the rule reads every input.
    """

    variable: str
    text: str
    uses: tuple[str, ...] = ()
    uses_all: bool = False

    def nth(self, i: int, n: int) -> Derivative:
        """This clause for input (or pair) ``i`` of ``n``: ``{i}``, ``{n}`` and ``{xs}`` filled in."""
        xs = ", ".join(f"x{k}" for k in range(1, n + 1))

        def fill(text: str) -> str:
            return text.format(i=i, n=n, xs=xs)

        return Derivative(fill(self.variable), fill(self.text), tuple(map(fill, self.uses)), self.uses_all)


@dataclass(frozen=True)
class Repeat:
    """How an op of any number of inputs reads: after ``lead`` fixed inputs, each group of inputs reads as
    ``term`` (``"{0} * {1}"`` for a dot's pair), the groups joined by ``sep``; ``{each}`` in the expression."""

    lead: int
    term: str
    sep: str


def _no_rule(*inputs: float) -> tuple[float, tuple[float, ...]]:
    raise TypeError("a leaf has no rule: it is not computed from inputs")


@dataclass(frozen=True, eq=False)
class Op:
    """One op as a record: its label (``str(op)``: "*", "exp", "+1"), its rule, the derivative per input,
    how it reads in an expression, and the plain-number constant bound into its rule (or None).

    ``function`` is the rule as written in this module, taking the constant first when there is one;
    ``rule`` is it with the constant bound, called on the input numbers: ``value, local_grads = op.rule(*xs)``.
    ``expression`` reads with inputs ``{0}``, ``{1}``, ... and any constant written in (``"{0} + 1"``);
    ``infix`` ops show a negative operand in parentheses, as the slides write (-1)·(0.2).
    Two ops are equal when every field is (``ops.SUM != ops.ADD``, though both are drawn "+"); an op
    also equals its label, ``x.op == "+1"``, and sorts by it.
    """

    name: str
    function: Rule
    derivatives: tuple[Derivative, ...]
    expression: str
    constant: float | None = None
    infix: bool = False
    repeat: Repeat | None = None
    rule: Rule = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rule = self.function if self.constant is None else partial(self.function, self.constant)
        object.__setattr__(self, "rule", rule)

    @classmethod
    def leaf(cls) -> Op:
        """The op of a leaf Value: no rule, no inputs, label ""; false in a condition (``if node.op:``)."""
        return cls("", _no_rule, (), "")

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def __format__(self, spec: str) -> str:
        return format(self.name, spec)

    def __bool__(self) -> bool:
        return bool(self.derivatives)

    def _key(self) -> tuple[object, ...]:
        # repr tells -0.0 from 0.0 (x * -0.0 gives -0.0) and matches NaN with NaN
        return (self.name, self.function, self.derivatives, self.expression, repr(self.constant), self.infix,
                self.repeat)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Op):
            return self is other or self._key() == other._key()
        if isinstance(other, str):
            return self.name == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)  # equal ops (and an op and its label) have equal names

    def __lt__(self, other: Op | str) -> bool:
        return self.name < str(other)

    def derivatives_for(self, n: int) -> tuple[Derivative, ...]:
        """The derivative of each of ``n`` inputs: the fixed ones, then the repeated clauses for i = 1, 2, ..."""
        if self.repeat is None:
            return self.derivatives
        lead, each = self.derivatives[: self.repeat.lead], self.derivatives[self.repeat.lead :]
        rounds = range(1, (n - len(lead)) // len(each) + 1)
        return (*lead, *(d.nth(i, n) for i in rounds for d in each))

    def formulas(self, n: int) -> tuple[str, ...]:
        """The rule's text for each of ``n`` inputs, e.g. ``("d/dx [x * y] = y", "d/dy [x * y] = x")``."""
        return tuple(d.text for d in self.derivatives_for(n))

    @property
    def formula(self) -> str:
        """Every input's rule in one line, "; " between them (an n-ary op's clauses as written once)."""
        return "; ".join(d.text for d in self.derivatives)

    def reads(self, args: Sequence[str]) -> str:
        """How the op reads applied to ``args`` (its inputs as text): "2.00 * (-1.00)", "exp(-1.00)", "%2 + 1"."""
        texts = [_operand(a) for a in args] if self.infix else list(args)
        if self.repeat is None:
            return self.expression.format(*texts)
        lead, rest = texts[: self.repeat.lead], texts[self.repeat.lead :]
        size = len(self.derivatives) - self.repeat.lead
        groups = [self.repeat.term.format(*rest[k : k + size]) for k in range(0, len(rest), size)]
        return self.expression.format(*lead, each=self.repeat.sep.join(groups))


def _operand(text: str) -> str:
    """A number as an operand of an infix op: negatives in parentheses, as the slides write (-1)·(0.2)."""
    return f"({text})" if text.startswith("-") else text


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
    # at b = 0, a^b = 1 for every a: d/da is 0 even where a^(b-1) overflows (0 * inf would be NaN)
    return out, (b * _pow(a, b - 1, "**") if b else 0.0, out * math.log(a))


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

@cache
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


# --- the ops the engine uses ----------------------------------------------------------

D = Derivative


def _infix(name: str, rule: Rule, dx: str, dy: str, dx_uses: tuple[str, ...], dy_uses: tuple[str, ...]) -> Op:
    """A binary op written between its inputs x and y: "x * y"."""
    return Op(name, rule, (D("x", dx, dx_uses), D("y", dy, dy_uses)), f"{{0}} {name} {{1}}", infix=True)


def _call(name: str, rule: Rule, derivative: str, uses: tuple[str, ...] = ("x",)) -> Op:
    """A function of one input x, read as a call: "exp(x)"."""
    return Op(name, rule, (D("x", derivative, uses),), f"{name}({{0}})")


ADD = _infix("+", add, "d/dx [x + y] = 1", "d/dy [x + y] = 1", (), ())
SUB = _infix("-", sub, "d/dx [x - y] = 1", "d/dy [x - y] = -1", (), ())
MUL = _infix("*", mul, "d/dx [x * y] = y", "d/dy [x * y] = x", ("y",), ("x",))
DIV = _infix("/", div, "d/dx [x / y] = 1/y", "d/dy [x / y] = -x/y^2", ("y",), ("x", "y"))
POW = _infix("**", power, "d/dx [x ** y] = y x^(y-1)", "d/dy [x ** y] = x^y log(x)", ("x", "y"), ("x", "y"))
PRELU = Op("prelu", prelu, (D("x", "d/dx prelu(x, a) = 1 if x > 0, else a", ("x", "a")),
                            D("a", "d/da prelu(x, a) = 0 if x > 0, else x", ("x",))), "prelu({0}, {1})")
EXP = _call("exp", exp, "d/dx exp(x) = exp(x)")
LOG = _call("log", log, "d/dx log(x) = 1/x")
SQRT = _call("sqrt", sqrt, "d/dx sqrt(x) = 1 / (2 sqrt(x))")
TANH = _call("tanh", tanh, "d/dx tanh(x) = 1 - tanh(x)^2")
SIGMOID = _call("sigmoid", sigmoid, "d/dx sigmoid(x) = sigmoid(x) (1 - sigmoid(x))")
SOFTPLUS = _call("softplus", softplus, "d/dx softplus(x) = sigmoid(x)")
RELU = _call("relu", relu, "d/dx relu(x) = 1 if x > 0, else 0")
ABS = _call("abs", absolute, "d/dx |x| = 1 if x > 0, -1 if x < 0, 0 at 0")
HARD_TANH = _call("hard_tanh", hard_tanh, "d/dx hard_tanh(x) = 1 if -1 < x < 1, else 0")
_SUM_RULE = (D("x{i}", "d/dx{i} [x1 + ... + x{n}] = 1"),)
_DOT_RULE = (D("w{i}", "d/dw{i} [Σ wj xj] = x{i}", ("x{i}",)), D("x{i}", "d/dx{i} [Σ wj xj] = w{i}", ("w{i}",)))
SUM = Op("+", sum_, _SUM_RULE, "{each}", 0.0, infix=True, repeat=Repeat(0, "{0}", " + "))
_MAX_RULE = D("x{i}", "d/dx{i} max(...) = 1 if x{i} is the first largest of {xs}, else 0", uses_all=True)
MAX = Op("max", maximum, (_MAX_RULE,), "max({each})", repeat=Repeat(0, "{0}", ", "))
DOT = Op("dot", dot, _DOT_RULE, "{each}", 0.0, infix=True, repeat=Repeat(0, "{0} * {1}", " + "))
BIASED_DOT = Op("dot", biased_dot, (D("b", "d/db [b + Σ wj xj] = 1"), *_DOT_RULE), "{each} + {0}", infix=True,
                repeat=Repeat(1, "{0} * {1}", " + "))


@dataclass(frozen=True)
class Function:
    """A function of one Value, called as ``x.name(...)`` or ``name(x, ...)`` in an expression.

    ``parameters`` are its optional plain-number arguments after the Value; ``activation`` says that
    ``nn`` offers it as a neuron's activation.
    """

    name: str
    parameters: tuple[str, ...] = ()
    activation: bool = False


# The one list of functions: what expr accepts, what `microgradnet graph --help` and the README list,
# and (with activation=True) the activation names of nn. Each is a method of Value of the same name.
FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    Function("exp"),
    Function("log"),
    Function("sqrt"),
    Function("relu", activation=True),
    Function("leaky_relu", ("slope",), activation=True),
    Function("sigmoid", activation=True),
    Function("tanh", activation=True),
    Function("elu", ("alpha",), activation=True),
    Function("softplus", activation=True),
    Function("abs", activation=True),
    Function("hard_tanh", activation=True),
)}


def _with_const(kind: str, c: float) -> Op:
    """A new op of ``kind`` with the plain number ``c`` bound into its rule: label, rule, derivative, reading."""
    if kind == "r**" and c <= 0:
        raise ValueError(f"{_num(c)}**x: a number raised to a Value needs a base > 0, got {c!r}")
    n, minus_n, k = _num(c), _num(-c), _operand(_num(c))

    def unary(name: str, rule: Rule, derivative: str, expression: str, uses: tuple[str, ...] = ()) -> Op:
        return Op(name, rule, (D("x", derivative, uses),), expression, c, infix=True)

    if kind == "+":
        if c >= 0:
            return unary(f"+{n}", add_const, f"d/dx [x + {n}] = 1", f"{{0}} + {n}")
        return unary(n, add_const, f"d/dx [x - {minus_n}] = 1", f"{{0}} - {minus_n}")
    if kind == "*":
        return unary(f"*{n}", mul_const, f"d/dx [{'-x' if c == -1 else n + ' x'}] = {n}", f"{{0}} * {k}")
    if kind == "r-":
        return unary(f"{n}-x", rsub_const, f"d/dx [{n} - x] = -1", f"{k} - {{0}}")
    if kind == "/":
        return unary(f"/{n}", div_const, f"d/dx [x / {n}] = 1/{n}", f"{{0}} / {k}")
    if kind == "r/":
        return unary(f"{n}/x", rdiv_const, f"d/dx [{n}/x] = {minus_n}/x^2", f"{k} / {{0}}", ("x",))
    if kind == "**":
        return unary(f"**{n}", pow_const, f"d/dx x^{n} = {n} x^{_num(c - 1)}", f"{{0}} ** {k}", ("x",))
    if kind == "r**":
        return unary(f"{n}**x", rpow_const, f"d/dx {n}^x = {n}^x log({n})", f"{k} ** {{0}}", ("x",))
    if kind == "leaky_relu":
        name = "leaky_relu" if c == 0.01 else f"leaky_relu({n})"
        rule = D("x", f"d/dx leaky_relu(x) = 1 if x > 0, else {n}", ("x",))
        return Op(name, leaky_relu, (rule,), f"{name}({{0}})", c)
    if kind == "elu":
        name = "elu" if c == 1.0 else f"elu({n})"
        rule = D("x", f"d/dx elu(x) = 1 if x > 0, else {n} exp(x)", ("x",))
        return Op(name, elu, (rule,), f"{name}({{0}})", c)
    if kind == "sum":
        return Op(f"+ (start {n})", sum_, _SUM_RULE, f"{{each}} + {k}", c, infix=True, repeat=Repeat(0, "{0}", " + "))
    if kind == "dot":
        return Op(f"dot (start {n})", dot, _DOT_RULE, f"{{each}} + {k}", c, infix=True,
                  repeat=Repeat(0, "{0} * {1}", " + "))
    raise ValueError(f"with_const: unknown kind {kind!r}")


_CONST_OPS: dict[tuple[str, object], Op] = {}
_MAX_CONST_OPS = 4096


def with_const(kind: str, c: float) -> Op:
    """The op of ``kind`` with the plain number ``c`` bound into its rule (``x + 1`` -> "+1"), built once per constant.

    Cached in a plain dict keyed by (kind, c); the zeros are keyed by their text, as -0.0 == 0.0 yet 2 * -0.0 is -0.0.
    """
    key = (kind, c) if c else (kind, repr(c))
    op = _CONST_OPS.get(key)
    if op is None:
        if len(_CONST_OPS) >= _MAX_CONST_OPS:  # a run through many constants (a decaying rate) stays bounded
            _CONST_OPS.clear()
        op = _CONST_OPS[key] = _with_const(kind, c)
    return op


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
    twin = _BATCHED.get(op.function)
    return twin if twin is None or op.constant is None else partial(twin, op.constant)
