"""The scalar reverse-mode engine: ``Value``, ``backward``, ``no_grad``, ``enable_grad``, ``detect_anomaly``.

Every op records a node holding its ``inputs`` (an ordered tuple, duplicates kept) and its
``local_grads`` (floats from the rule in ``ops``, computed once at forward time). Backward
only multiplies and adds those numbers; nodes hold no closures, so the graph has no cycles
and is freed by reference counting alone.
"""
from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from numbers import Integral, Real
from typing import Any

from . import ops
from .ops import Op

_grad_enabled = True
_anomaly = False
LEAF = Op.leaf()  # a leaf's op: no rule, label "", false in `if node.op:`


class Value:
    """One number in a computation graph, with the gradient a backward pass leaves on it."""

    # _upstream: d root / d self within the backward pass under way (scratch for backward_walk)
    __slots__ = ("_upstream", "data", "grad", "inputs", "label", "local_grads", "op")
    _upstream: float

    def __init__(self, data: float, label: str = "") -> None:
        self.data = as_float(data, "Value()")
        self.grad = 0.0
        self.label = label
        self.op: Op = LEAF
        self.inputs: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .viz import value_mimebundle

        return value_mimebundle(self)

    # arithmetic: a Value or a plain number on either side -------------------------
    def __add__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _binary(ops.ADD, self, other)
        return _unary(ops.with_const("+", as_float(other, "+")), self)

    __radd__ = __add__

    def __mul__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _binary(ops.MUL, self, other)
        return _unary(ops.with_const("*", as_float(other, "*")), self)

    __rmul__ = __mul__

    def __sub__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _binary(ops.SUB, self, other)
        return _unary(ops.with_const("+", -as_float(other, "-")), self)

    def __rsub__(self, other: float) -> Value:
        return _unary(ops.with_const("r-", as_float(other, "-")), self)

    def __truediv__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _binary(ops.DIV, self, other)
        c = as_float(other, "/")
        if c == 0.0:
            raise ZeroDivisionError(f"/: division by zero ({self.data!r} / {other!r})")
        return _unary(ops.with_const("/", c), self)

    def __rtruediv__(self, other: float) -> Value:
        return _unary(ops.with_const("r/", as_float(other, "/")), self)

    def __pow__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _binary(ops.POW, self, other)
        return _unary(ops.with_const("**", as_float(other, "**")), self)

    def __rpow__(self, other: float) -> Value:
        return _unary(ops.with_const("r**", as_float(other, "**")), self)

    def __neg__(self) -> Value:
        return _unary(ops.with_const("*", -1.0), self)

    # functions ----------------------------------------------------------------------
    def exp(self) -> Value:
        return _unary(ops.EXP, self)

    def log(self) -> Value:
        return _unary(ops.LOG, self)

    def sqrt(self) -> Value:
        return _unary(ops.SQRT, self)

    def tanh(self) -> Value:
        return _unary(ops.TANH, self)

    def sigmoid(self) -> Value:
        return _unary(ops.SIGMOID, self)

    def relu(self) -> Value:
        return _unary(ops.RELU, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        return _unary(ops.with_const("leaky_relu", as_float(slope, "leaky_relu slope")), self)

    def elu(self, alpha: float = 1.0) -> Value:
        return _unary(ops.with_const("elu", as_float(alpha, "elu alpha")), self)

    def softplus(self) -> Value:
        return _unary(ops.SOFTPLUS, self)

    def abs(self) -> Value:
        return _unary(ops.ABS, self)

    __abs__ = abs

    def hard_tanh(self) -> Value:
        return _unary(ops.HARD_TANH, self)

    def prelu(self, slope: Value) -> Value:
        """Leaky ReLU whose negative-side slope is a Value, so it can be learned (PReLU)."""
        return _binary(ops.PRELU, self, as_value(slope, "prelu slope"))

    # gradients ------------------------------------------------------------------------
    def backward(self) -> None:
        """Accumulate d self / d node into ``.grad`` of every node that self depends on."""
        deque(backward_walk(self), maxlen=0)


def as_float(x: Any, where: str) -> float:
    """``x`` as a Python float, or a TypeError naming ``where`` and the type that was given."""
    if isinstance(x, float):
        return x
    if isinstance(x, Real):  # int, bool, Fraction, numpy floats and ints
        return float(x)
    raise TypeError(f"{where}: expected a real number (int or float), got {type(x).__name__} {x!r}")


def as_int(x: Any, where: str, minimum: int) -> int:
    """``x`` as a Python int >= ``minimum`` (bool refused), or a TypeError/ValueError naming ``where``."""
    if not isinstance(x, Integral) or isinstance(x, bool):
        raise TypeError(f"{where} must be an int, got {type(x).__name__} {x!r}")
    if x < minimum:
        raise ValueError(f"{where} must be an int >= {minimum}, got {x!r}")
    return int(x)


def as_value(x: Any, where: str) -> Value:
    """``x`` itself if it is a Value, else a new leaf Value made from the number ``x``."""
    return x if isinstance(x, Value) else Value(as_float(x, where))


def _node(data: float, op: Op, inputs: tuple[Value, ...], local_grads: tuple[float, ...]) -> Value:
    """A new node; a leaf instead when gradients are off (``no_grad``)."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _grad_enabled:
        out.op, out.inputs, out.local_grads = op, inputs, local_grads
    else:
        out.op, out.inputs, out.local_grads = LEAF, (), ()
    if _anomaly:
        _check_finite(op, inputs, data, local_grads)
    return out


_new_value = object.__new__


def _unary(op: Op, x: Value) -> Value:
    data, local_grads = op.rule(x.data)
    return _node(data, op, (x,), local_grads)


def _binary(op: Op, a: Value, b: Value) -> Value:
    data, local_grads = op.rule(a.data, b.data)
    return _node(data, op, (a, b), local_grads)


def _check_finite(op: Op, inputs: tuple[Value, ...], data: float, local_grads: tuple[float, ...]) -> None:
    if math.isfinite(data) and all(map(math.isfinite, local_grads)):
        return
    args = ", ".join(repr(v.data) for v in inputs)
    what = f"result {data!r}" if not math.isfinite(data) else f"local gradients {local_grads!r}"
    raise FloatingPointError(f"detect_anomaly: op {op.name!r} on inputs ({args}) produced {what}")


def sum(values: Iterable[Value | float], start: Value | float = 0.0) -> Value:
    """``start + values[0] + values[1] + ...`` as one n-ary node (local gradient 1 per addend).

    Plain numbers among the addends are folded into the op's constant, so only Values are inputs.
    """
    inputs: list[Value] = [start] if isinstance(start, Value) else []
    const = 0.0 if inputs else as_float(start, "sum start")
    for v in values:
        if isinstance(v, Value):
            inputs.append(v)
        else:
            const += as_float(v, "sum")
    if not inputs:
        return Value(const)
    op = ops.SUM if const == 0.0 else ops.with_const("sum", const)
    data, local_grads = op.rule(*[v.data for v in inputs])
    return _node(data, op, tuple(inputs), local_grads)


def dot(weights: Sequence[Value | float], inputs: Sequence[Value | float], start: Value | float = 0.0) -> Value:
    """``start + Σ weights[i] * inputs[i]`` as one node: a neuron's weighted sum (w·x + b).

    Same numbers as ``sum([w * x ...], start)``, but one node instead of n + 1, so a layer's
    graph is small enough to draw and fast to backpropagate. Numbers become leaf Values.
    """
    if len(weights) != len(inputs):
        raise ValueError(f"dot: weights and inputs must have the same length, got {len(weights)} and {len(inputs)}")
    pairs: list[Value] = []
    for w, x in zip(weights, inputs):
        pairs.append(w if isinstance(w, Value) else Value(as_float(w, "dot weight")))
        pairs.append(x if isinstance(x, Value) else Value(as_float(x, "dot input")))
    if isinstance(start, Value):
        op, inputs_ = ops.BIASED_DOT, (start, *pairs)
    else:
        c = as_float(start, "dot start")
        op, inputs_ = (ops.DOT if c == 0.0 else ops.with_const("dot", c)), tuple(pairs)
    data, local_grads = op.rule(*[v.data for v in inputs_])
    return _node(data, op, inputs_, local_grads)


def max(values: Iterable[Value | float]) -> Value:
    """The largest of ``values`` as one node; its gradient goes to the (first) largest input."""
    inputs = tuple(as_value(v, "max") for v in values)
    if not inputs:
        raise ValueError("max: expected at least one value, got an empty sequence")
    data, local_grads = ops.MAX.rule(*(v.data for v in inputs))
    return _node(data, ops.MAX, inputs, local_grads)


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each once, inputs before the nodes made from them.

    An iterative depth-first search (no recursion limit): each stack entry is a node and the
    iterator over its inputs, resumed where it stopped; leaves go straight into ``order``.
    Inputs are explored last to first, so the reversed order reads as the slides do.
    """
    order: list[Value] = []
    visited = {root}
    stack = [(root, reversed(root.inputs))]
    while stack:
        node, inputs = stack[-1]
        for inp in inputs:
            if inp not in visited:
                visited.add(inp)
                if inp.inputs:
                    stack.append((inp, reversed(inp.inputs)))
                    break
                order.append(inp)
        else:
            stack.pop()
            order.append(node)
    return order


def backward_walk(root: Value) -> Iterator[tuple[Value, float]]:
    """The backward pass, one node at a time, in reverse topological order.

    For each node yields ``(node, upstream)`` after adding ``upstream`` (d root / d node in
    this pass) to ``node.grad`` and ``upstream * local_grads[i]`` to each input's upstream.
    ``backward``, ``trace_backward`` and the step frames all run this one walk.
    """
    order = topological_order(root)
    for node in order:
        node._upstream = 0.0
    root._upstream = 1.0
    root.grad = 0.0
    for node in reversed(order):
        upstream = node._upstream
        node.grad += upstream
        if node.inputs:
            for inp, local in zip(node.inputs, node.local_grads):
                inp._upstream += upstream * local
        yield node, upstream


def zero_grad(values: Iterable[Value]) -> None:
    """Reset ``.grad`` to 0 on each of ``values`` (before the next backward pass)."""
    for v in values:
        v.grad = 0.0


def is_grad_enabled() -> bool:
    """Whether ops currently record the graph (False inside ``no_grad``)."""
    return _grad_enabled


@contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, enabled
    try:
        yield
    finally:
        _grad_enabled = previous


def no_grad() -> AbstractContextManager[None]:
    """Inside, ops compute values but record no graph (inference, plotting)."""
    return _grad_mode(False)


def enable_grad() -> AbstractContextManager[None]:
    """Inside, ops record the graph even within ``no_grad``, as PyTorch's: ``grad`` uses it to work anywhere."""
    return _grad_mode(True)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside, the first op whose result or local gradient is NaN or inf raises FloatingPointError."""
    global _anomaly
    previous, _anomaly = _anomaly, True
    try:
        yield
    finally:
        _anomaly = previous
