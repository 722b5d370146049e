"""The scalar reverse-mode engine: ``Value``, ``backward``, ``no_grad``, ``enable_grad``, ``detect_anomaly``.

Every op records a node holding its ``inputs`` (an ordered tuple, duplicates kept) and its
``local_grads`` (floats from the rule in ``ops``, computed once at forward time). Backward
only multiplies and adds those numbers; nodes hold no closures, so the graph has no cycles
and is freed by reference counting alone.
"""
from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from numbers import Integral, Real
from typing import Any

from . import ops
from .ops import Op


class _Modes(threading.local):
    """Grad mode and anomaly mode, per thread as in PyTorch: one thread's ``no_grad`` leaves the others recording."""

    grad_enabled = True
    anomaly = False


_modes = _Modes()
# How many mode contexts are open in any thread. While it is 0 every thread has the default modes
# (record, no anomaly check), so an op reads this one global instead of the thread-local pair.
_mode_contexts = 0
_mode_lock = threading.Lock()
# Held while a backward pass adds into .grad: two threads' passes over shared parameters both count.
_accumulate = threading.Lock()
ADD, MUL, RELU = ops.ADD, ops.MUL, ops.RELU
LEAF = Op.leaf()  # a leaf's op: no rule, label "", false in `if node.op:`
MAX_LABEL = 16_384  # characters; a label is a name to print and draw, not a document


class Value:
    """One number in a computation graph, with the gradient a backward pass leaves on it."""

    __slots__ = ("data", "grad", "inputs", "label", "local_grads", "op")

    def __init__(self, data: float, label: str = "") -> None:
        self.data = as_float(data, "Value()")
        self.grad = 0.0
        self.label = "" if label == "" else as_label(label, "Value()")
        self.op: Op = LEAF
        self.inputs: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .viz import value_mimebundle

        return value_mimebundle(self)

    # copy and pickle walk the graph iteratively (the default recursion fails on a chain of a few hundred)
    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        return _copy_graph(self, memo)

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild_graph, _flatten_graph(self)

    # arithmetic: a Value or a plain number on either side. Each operator makes its node in place
    # (one call to the op's rule, no helper calls): the engine's hot path.
    def __add__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            op, inputs = ADD, (self, other)  # type: tuple[Op, tuple[Value, ...]]
            data, local_grads = op.rule(self.data, other.data)
        else:
            op, inputs = ops.with_const("+", as_float(other, "+")), (self,)
            data, local_grads = op.rule(self.data)
        out = _new_value(Value)
        out.data, out.grad, out.label = data, 0.0, ""
        if _mode_contexts:
            return _moded(out, op, inputs, local_grads)
        out.op, out.inputs, out.local_grads = op, inputs, local_grads
        return out

    __radd__ = __add__

    def __mul__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            op, inputs = MUL, (self, other)  # type: tuple[Op, tuple[Value, ...]]
            data, local_grads = op.rule(self.data, other.data)
        else:
            op, inputs = ops.with_const("*", as_float(other, "*")), (self,)
            data, local_grads = op.rule(self.data)
        out = _new_value(Value)
        out.data, out.grad, out.label = data, 0.0, ""
        if _mode_contexts:
            return _moded(out, op, inputs, local_grads)
        out.op, out.inputs, out.local_grads = op, inputs, local_grads
        return out

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
        op = RELU
        data, local_grads = op.rule(self.data)
        out = _new_value(Value)
        out.data, out.grad, out.label = data, 0.0, ""
        if _mode_contexts:
            return _moded(out, op, (self,), local_grads)
        out.op, out.inputs, out.local_grads = op, (self,), local_grads
        return out

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
        """Accumulate d self / d node into ``.grad`` of every node that self depends on.

        A plain loop over the op nodes (``backward_walk`` is the same pass, one step at a time),
        all under ``_accumulate``, so passes in two threads over shared parameters both count.
        Upstream gradients of op nodes live in a dict of this pass's own, never on the nodes.
        Each edge into a leaf adds straight into the leaf's ``.grad``; a leaf that already held
        a gradient has it set aside first and added back at the end (earlier + this pass, exactly
        as ``backward_walk`` sums it).
        """
        with _accumulate:
            if not self.inputs:  # a leaf: d self / d self = 1
                self.grad = 1.0
                return
            held: list[tuple[Value, float]] = []
            order = _interior_order(self, held)
            upstreams = {self: 1.0}
            get, pop = upstreams.get, upstreams.pop
            self.grad = 0.0
            try:
                for node in order:
                    upstream = pop(node)
                    node.grad += upstream
                    for inp, local in zip(node.inputs, node.local_grads):
                        if inp.inputs:
                            upstreams[inp] = get(inp, 0.0) + upstream * local
                        else:
                            inp.grad += upstream * local
            finally:
                for leaf, earlier in held:
                    leaf.grad = earlier + leaf.grad


def as_float(x: Any, where: str) -> float:
    """``x`` as a Python float, or a TypeError naming ``where`` and the type that was given."""
    if isinstance(x, float):
        return x
    if isinstance(x, Real):  # int, bool, Fraction, numpy floats and ints
        return float(x)
    raise TypeError(f"{where}: expected a real number (int or float), got {type(x).__name__} {x!r}")


def as_int(x: Any, where: str, minimum: int, maximum: int | None = None) -> int:
    """``x`` as a Python int in [minimum, maximum] (bool refused), or a TypeError/ValueError naming ``where``."""
    if not isinstance(x, Integral) or isinstance(x, bool):
        raise TypeError(f"{where} must be an int, got {type(x).__name__} {x!r}")
    n = int(x)
    if n < minimum:
        raise ValueError(f"{where} must be an int >= {minimum}, got {x!r}")
    if maximum is not None and n > maximum:
        shown = f"{n:,}" if n.bit_length() < 200 else f"an int of about {n.bit_length() * 3 // 10} digits"
        raise ValueError(f"{where} must be an int <= {maximum:,}, got {shown}")
    return n


def as_value(x: Any, where: str) -> Value:
    """``x`` itself if it is a Value, else a new leaf Value made from the number ``x``."""
    return x if isinstance(x, Value) else Value(as_float(x, where))


def as_label(label: Any, where: str) -> str:
    """``label`` once it is a str of printable text of at most MAX_LABEL characters; else a one-line error."""
    if not isinstance(label, str):
        raise TypeError(f"{where}: label must be a str, got {type(label).__name__} {label!r:.60}")
    if len(label) > MAX_LABEL:
        raise ValueError(f"{where}: label is {len(label):,} characters long, at most {MAX_LABEL:,} are allowed")
    if not label.isprintable():
        bad = next(c for c in label if not c.isprintable())
        raise ValueError(f"{where}: label {label!r:.60} contains the control character {bad!r}; "
                         "labels are printable text")
    return label


_new_value = object.__new__


def _moded(out: Value, op: Op, inputs: tuple[Value, ...], local_grads: tuple[float, ...]) -> Value:
    """Finish node ``out`` under this thread's modes: a leaf inside ``no_grad``, checked under ``detect_anomaly``."""
    modes = _modes
    if modes.grad_enabled:
        out.op, out.inputs, out.local_grads = op, inputs, local_grads
    else:
        out.op, out.inputs, out.local_grads = LEAF, (), ()
    if modes.anomaly:
        _check_finite(op, inputs, out.data, local_grads)
    return out


def _node(data: float, op: Op, inputs: tuple[Value, ...], local_grads: tuple[float, ...]) -> Value:
    """A new node; a leaf instead when gradients are off (``no_grad``)."""
    out = _new_value(Value)
    out.data, out.grad, out.label = data, 0.0, ""
    if _mode_contexts:
        return _moded(out, op, inputs, local_grads)
    out.op, out.inputs, out.local_grads = op, inputs, local_grads
    return out


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
    addends: list[Any] = list(values)
    const = 0.0 if isinstance(start, Value) else as_float(start, "sum start")
    if list(map(type, addends)).count(Value) == len(addends):  # only Values (the usual case): nothing to fold
        inputs: list[Value] = addends
    else:
        inputs = []
        for v in addends:
            if isinstance(v, Value):
                inputs.append(v)
            else:
                const += as_float(v, "sum")
    if isinstance(start, Value):
        inputs = [start, *inputs]
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


def _copy_graph(root: Value, memo: dict[int, Any]) -> Value:
    """``copy.deepcopy`` of ``root``'s graph without recursion; nodes already in ``memo`` are reused, not walked."""
    stack = [(root, 0)]
    while stack:
        node, i = stack.pop()
        if id(node) in memo:
            continue
        if i < len(node.inputs):  # copy the inputs first, then come back to this node
            stack.append((node, i + 1))
            stack.append((node.inputs[i], 0))
            continue
        new = _new_value(Value)
        new.data, new.grad, new.label, new.op = node.data, node.grad, node.label, node.op
        new.inputs = tuple(memo[id(inp)] for inp in node.inputs)
        new.local_grads = node.local_grads
        memo[id(node)] = new
    copied: Value = memo[id(root)]
    return copied


def _flatten_graph(root: Value) -> tuple[Any, ...]:
    """``root``'s graph for pickle, flat: leaves as themselves (pickle keeps their identity), op nodes as
    records ``(data, grad, label, op, input positions, local_grads)``, inputs first; the last is ``root``."""
    if not root.inputs:
        return (root.data, root.grad, root.label)
    order = topological_order(root)
    position = {node: i for i, node in enumerate(order)}
    return ([node if not node.inputs else
             (node.data, node.grad, node.label, node.op, tuple(position[v] for v in node.inputs), node.local_grads)
             for node in order],)


def _rebuild_graph(*flat: Any) -> Value:
    """The graph ``_flatten_graph`` flattened, rebuilt without recursion (pickle's constructor for a Value)."""
    if len(flat) == 3:  # a leaf
        leaf = _new_value(Value)
        leaf.data, leaf.grad, leaf.label, leaf.op, leaf.inputs, leaf.local_grads = *flat, LEAF, (), ()
        return leaf
    nodes: list[Value] = []
    for entry in flat[0]:
        if not isinstance(entry, Value):
            data, grad, label, op, positions, local_grads = entry
            entry = _new_value(Value)
            entry.data, entry.grad, entry.label, entry.op = data, grad, label, op
            entry.inputs, entry.local_grads = tuple(nodes[i] for i in positions), local_grads
        nodes.append(entry)
    return nodes[-1]


def _interior_order(root: Value, held: list[tuple[Value, float]]) -> list[Value]:
    """The op nodes of ``root``'s graph, each once, every node before its inputs: backward's loop order.

    ``topological_order`` reversed, less the leaves (backward adds straight into a leaf's grad).
    Each leaf met with a nonzero grad goes into ``held`` with that grad and is zeroed (the caller
    holds ``_accumulate``), so the pass sums only this pass's gradient into it.
    """
    order: list[Value] = []
    visited = {root}
    stack = [(root, reversed(root.inputs))]
    while stack:
        node, inputs = stack[-1]
        for inp in inputs:
            if inp.inputs:
                if inp in visited:
                    continue
                visited.add(inp)
                for grand in inp.inputs:
                    if grand.inputs:
                        break
                    if grand.grad:
                        held.append((grand, grand.grad))
                        grand.grad = 0.0
                else:  # only leaves below (a first-layer dot, a product of parameters): done at once
                    order.append(inp)
                    continue
                stack.append((inp, reversed(inp.inputs)))
                break
            if inp.grad:
                held.append((inp, inp.grad))
                inp.grad = 0.0
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def backward_walk(root: Value) -> Iterator[tuple[Value, float]]:
    """The backward pass, one node at a time, in reverse topological order.

    For each node yields ``(node, upstream)`` after adding ``upstream`` (d root / d node in
    this pass) to ``node.grad`` and ``upstream * local_grads[i]`` to each input's upstream.
    ``backward``, ``trace_backward`` and the step frames all run this one walk. Its scratch
    (each node's upstream) is a dict of this walk's own, so passes in other threads do not mix.
    """
    order = topological_order(root)
    order.reverse()
    upstreams = {root: 1.0}
    get = upstreams.get
    with _accumulate:
        root.grad = 0.0
    for node in order:
        upstream = upstreams.pop(node)
        with _accumulate:
            node.grad += upstream
        for inp, local in zip(node.inputs, node.local_grads):
            upstreams[inp] = get(inp, 0.0) + upstream * local
        yield node, upstream


def zero_grad(values: Iterable[Value]) -> None:
    """Reset ``.grad`` to 0 on each of ``values`` (before the next backward pass)."""
    for v in values:
        v.grad = 0.0


@contextmanager
def grads_kept(nodes: Iterable[Value]) -> Iterator[None]:
    """Inside, passes may add to the ``.grad`` of ``nodes``; on leaving, each is what it was before.

    For what shows a pass without being one: the step frames, the player, practice mode.
    """
    saved = [(v, v.grad) for v in nodes]
    try:
        yield
    finally:
        for v, grad in saved:
            v.grad = grad


def is_grad_enabled() -> bool:
    """Whether ops in this thread record the graph (False inside ``no_grad``)."""
    return _modes.grad_enabled


@contextmanager
def _mode(name: str, value: bool) -> Iterator[None]:
    """Set this thread's mode ``name`` to ``value`` inside the block (counted in ``_mode_contexts`` meanwhile)."""
    global _mode_contexts
    with _mode_lock:
        _mode_contexts += 1
    modes = _modes
    previous = getattr(modes, name)
    setattr(modes, name, value)
    try:
        yield
    finally:
        setattr(modes, name, previous)
        with _mode_lock:
            _mode_contexts -= 1


def no_grad() -> AbstractContextManager[None]:
    """Inside, ops in this thread compute values but record no graph (inference, plotting)."""
    return _mode("grad_enabled", False)


def enable_grad() -> AbstractContextManager[None]:
    """Inside, ops record the graph even within ``no_grad``, as PyTorch's: ``grad`` uses it to work anywhere."""
    return _mode("grad_enabled", True)


def detect_anomaly() -> AbstractContextManager[None]:
    """Inside, the first op in this thread whose result or local gradient is NaN or inf raises FloatingPointError."""
    return _mode("anomaly", True)
