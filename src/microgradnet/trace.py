"""Step-by-step forward and backward passes, each step printable as the lecture slide's line.

``trace_backward`` runs the engine's own ``backward_walk`` and records the numbers each step
multiplied (upstream x local = downstream); no derivative is computed here.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import NamedTuple

from .engine import Value, backward_walk, grads_kept, topological_order, zero_grad


def fmt(x: float, digits: int = 2) -> str:
    """``x`` with ``digits`` decimals, as the slides print it (-0.20, 1.00), never "-0.00"."""
    if not math.isfinite(x):
        return repr(x)
    text = f"{x:.{digits}f}"
    return text.lstrip("-") if float(text) == 0.0 else text


def check_root(root: object, where: str) -> Value:
    """``root`` itself when it is a Value, else a TypeError naming ``where`` and the type given."""
    if not isinstance(root, Value):
        raise TypeError(f"{where}: expected a Value, got {type(root).__name__}")
    return root


def node_name(node: Value, digits: int = 2) -> str:
    """What a line calls a node: its label, else its op, else (an unlabeled leaf) its value."""
    return node.label or str(node.op) or f"leaf {fmt(node.data, digits)}"


def node_title(node: Value) -> str:
    """A step's subject: "q (+)" for a labelled op node, else just its name."""
    return f"{node.label} ({node.op})" if node.label and node.op else node_name(node)


def _group(items: list[str]) -> str:
    """One item as itself, several as a tuple "(a, b)", as the slides list downstream gradients."""
    return items[0] if len(items) == 1 else f"({', '.join(items)})"


class StepCells(NamedTuple):
    """A backward step's line in pieces (``Step.cells``): the CLI lays them out as a table."""

    node: str
    upstream: str
    local: str
    downstream: str
    to: str


class ForwardCells(NamedTuple):
    """A forward step's line in pieces (``ForwardStep.cells``)."""

    node: str
    expression: str
    value: str


@dataclass(frozen=True)
class Step:
    """One node of the backward pass: upstream x local = downstream, sent on to its inputs."""

    node: Value
    upstream: float
    local: tuple[float, ...]
    downstream: tuple[float, ...]
    inputs: tuple[Value, ...]
    digits: int = 2

    @classmethod
    def of(cls, node: Value, upstream: float, digits: int = 2) -> Step:
        """The step of ``node`` as ``backward_walk`` yields it, with its upstream gradient."""
        downstream = tuple(upstream * local for local in node.local_grads)
        return cls(node, upstream, node.local_grads, downstream, node.inputs, digits)

    def __str__(self) -> str:
        return self.format()

    def cells(self, digits: int | None = None) -> StepCells:
        """The pieces of the slide's line as text: node, upstream, local, downstream, and the inputs sent to.

        As on the slides, each product is of the numbers as printed, so every line checks by
        hand (0.20 × 2.00 = 0.40 although the exact 0.1966 × 2 is 0.39); ``downstream`` is exact.
        """
        d = self.digits if digits is None else digits
        upstream = fmt(self.upstream, d)
        locals_ = [fmt(x, d) for x in self.local]
        downstream = _group([fmt(float(upstream) * float(x), d) for x in locals_]) if locals_ else ""
        targets = _group([node_name(v, d) for v in self.inputs]) if self.inputs else ""
        return StepCells(node_title(self.node), upstream, _group(locals_) if locals_ else "", downstream, targets)

    def format(self, digits: int | None = None) -> str:
        """The slide's line, e.g. ``exp: upstream -0.53 × local 0.37 = -0.20 → n``."""
        c = self.cells(digits)
        if not self.inputs:
            return f"{c.node}: receives {c.upstream} (leaf)"
        return f"{c.node}: upstream {c.upstream} × local {c.local} = {c.downstream} → {c.to}"


def trace_backward(root: Value, digits: int = 2) -> list[Step]:
    """Run the backward pass from ``root`` (exactly as ``root.backward()``) and record every step.

    Like ``backward()`` it adds to ``.grad``; so when the graph already holds gradients (say,
    ``f.backward()`` ran first) a RuntimeWarning says they now count twice: trace instead of backward.
    """
    root = check_root(root, "trace_backward")
    held = next((v for v in topological_order(root) if v.grad != 0.0), None)
    steps = [Step.of(node, upstream, digits) for node, upstream in backward_walk(root)]
    if held is not None:
        warnings.warn(f"trace_backward: this graph already held gradients from an earlier pass; the trace added "
                      f"one more pass, as backward() does ({node_name(held)}.grad is now {held.grad!r}). "
                      "Call trace_backward(f) instead of f.backward(), not after it, or zero_grad first",
                      RuntimeWarning, stacklevel=2)
    return steps


def fresh_pass(root: Value, digits: int = 2) -> tuple[list[Step], dict[Value, float]]:
    """The steps of one backward pass from zero and the ``.grad`` it leaves on each node, leaving every
    ``.grad`` as it was: what the player, practice and the text fallback show, whatever ran before."""
    nodes = topological_order(check_root(root, "trace_backward"))
    with grads_kept(nodes):
        zero_grad(nodes)
        steps = trace_backward(root, digits)
        return steps, {v: v.grad for v in nodes}


@dataclass(frozen=True)
class ForwardStep:
    """One node of the forward pass: a leaf's value, or an op applied to its inputs' values."""

    node: Value
    inputs: tuple[Value, ...]
    data: float
    digits: int = 2

    def __str__(self) -> str:
        return self.format()

    def cells(self, digits: int | None = None) -> ForwardCells:
        """The pieces of the slide's line as text: node, the op applied to its inputs' values (a leaf: ""), value."""
        d = self.digits if digits is None else digits
        if not self.inputs:
            return ForwardCells(self.node.label or "leaf", "", fmt(self.data, d))
        args = [fmt(v.data, d) for v in self.inputs]
        return ForwardCells(node_title(self.node), self.node.op.reads(args), fmt(self.data, d))

    def format(self, digits: int | None = None) -> str:
        """The slide's line, e.g. ``x0 = -1.00`` or ``exp: exp(-1.00) = 0.37``."""
        c = self.cells(digits)
        return f"{c.node}: {c.expression} = {c.value}" if self.inputs else f"{c.node} = {c.value}"


def reading_order(root: Value) -> list[Value]:
    """Every node of ``root``'s graph once, inputs before outputs, operands left to right.

    A topological order that follows the formula as it is read (w0, x0, w0*x0, w1, ...), so the
    drawings and the forward trace list nodes in the order a student expects. Iterative.
    """
    order: list[Value] = []
    seen = {root}
    stack = [(root, 0)]
    while stack:
        node, i = stack[-1]
        if i < len(node.inputs):
            stack[-1] = (node, i + 1)
            child = node.inputs[i]
            if child not in seen:
                seen.add(child)
                stack.append((child, 0))
        else:
            stack.pop()
            order.append(node)
    return order


def forward_order(root: Value) -> list[Value]:
    """The nodes of ``root``'s graph as a forward pass shows them: the leaves, then each op in order."""
    order = reading_order(root)
    return [v for v in order if not v.inputs] + [v for v in order if v.inputs]


def trace_forward(root: Value, digits: int = 2) -> list[ForwardStep]:
    """The forward values of ``root``'s graph, leaves first, then each op with the numbers it used."""
    return [ForwardStep(v, v.inputs, v.data, digits) for v in forward_order(check_root(root, "trace_forward"))]
