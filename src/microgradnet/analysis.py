"""Paths versus backprop (lectures 000 and 004): why the multivariate chain rule needs backprop.

The total derivative d root / d leaf is a sum over every path from the root to the leaf of the
product of the local gradients along it. The number of paths can grow exponentially with depth
(``diamond``), while backprop touches each edge once. ``count_paths`` counts the paths exactly by
dynamic programming, ``path_sum_grad`` really enumerates them (guarded by ``max_paths``), and
``count_edges`` is backprop's work, so the three can be set side by side.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from .engine import Value, as_float, as_int, topological_order

DEFAULT_MAX_PATHS = 100_000


class Path(NamedTuple):
    """One path from the root down to a leaf: its nodes (root first), the local gradient of each
    edge, and their product (this path's term of the total derivative)."""

    nodes: tuple[Value, ...]
    local_grads: tuple[float, ...]
    product: float


class Diamond(NamedTuple):
    """The layered diamond graph: ``root`` depends on ``leaf`` through ``2**depth`` paths."""

    root: Value
    leaf: Value


def _check_value(x: object, where: str, name: str) -> Value:
    if not isinstance(x, Value):
        raise TypeError(f"{where}: {name} must be a Value, got {type(x).__name__}")
    return x


def path_counts(root: Value) -> dict[Value, int]:
    """The number of paths from ``root`` to every node of its graph (exact integers, no enumeration).

    Dynamic programming in reverse topological order: paths(root) = 1 and each node passes its count
    down every edge to its inputs, so an input used twice (x * x) is reached along two paths.
    """
    _check_value(root, "path_counts", "root")
    counts = {root: 1}
    for node in reversed(topological_order(root)):
        count = counts[node]
        for inp in node.inputs:
            counts[inp] = counts.get(inp, 0) + count
    return counts


def count_paths(root: Value, leaf: Value) -> int:
    """The number of paths from ``root`` down to ``leaf``: the terms of the total-derivative sum (0 if unrelated)."""
    _check_value(leaf, "count_paths", "leaf")
    return path_counts(_check_value(root, "count_paths", "root")).get(leaf, 0)


def count_edges(root: Value) -> int:
    """The number of edges in ``root``'s graph: backprop does one multiply-add per edge, each edge once."""
    _check_value(root, "count_edges", "root")
    return sum(len(node.inputs) for node in topological_order(root))


def _reaching(root: Value, leaf: Value) -> set[Value]:
    """The nodes of ``root``'s graph from which ``leaf`` can be reached (``leaf`` included)."""
    reach = {leaf}
    for node in topological_order(root):
        if any(inp in reach for inp in node.inputs):
            reach.add(node)
    return reach


def _walk(root: Value, leaf: Value) -> Iterator[Path]:
    """Every path from ``root`` to ``leaf`` by an explicit-stack depth-first search (no recursion).

    ``stack[i]`` iterates the input edges of ``nodes[i]``; ``local_grads[i]`` is the edge from
    ``nodes[i]`` to ``nodes[i + 1]``. Only inputs that lead to ``leaf`` are entered.
    """
    reach = _reaching(root, leaf)
    if root not in reach:
        return
    if root is leaf:
        yield Path((root,), (), 1.0)
        return
    nodes, local_grads = [root], list[float]()
    stack = [iter(zip(root.inputs, root.local_grads))]
    while stack:
        for inp, local in stack[-1]:  # noqa: B007 - local is read after the break
            if inp in reach:
                break
        else:
            stack.pop()
            nodes.pop()
            if local_grads:
                local_grads.pop()
            continue
        nodes.append(inp)
        local_grads.append(local)
        if inp is leaf:
            product = 1.0
            for g in local_grads:
                product *= g
            yield Path(tuple(nodes), tuple(local_grads), product)
            nodes.pop()
            local_grads.pop()
        else:
            stack.append(iter(zip(inp.inputs, inp.local_grads)))


def _checked_paths(root: Value, leaf: Value, max_paths: int, where: str) -> Iterator[Path]:
    """The paths from ``root`` to ``leaf``, after refusing more than ``max_paths`` of them (counted exactly first)."""
    _check_value(root, where, "root")
    _check_value(leaf, where, "leaf")
    max_paths = as_int(max_paths, f"{where}: max_paths", 1)
    n = count_paths(root, leaf)
    if n > max_paths:
        name = repr(leaf.label) if leaf.label else "the leaf"
        raise ValueError(
            f"{where}: {n} paths lead from the root to {name}, more than max_paths={max_paths}; "
            f"backprop gets the same derivative in one pass over the graph's {count_edges(root)} edges "
            f"(root.backward()), or pass a larger max_paths"
        )
    return _walk(root, leaf)


def enumerate_paths(root: Value, leaf: Value, max_paths: int = DEFAULT_MAX_PATHS) -> list[Path]:
    """Every path from ``root`` to ``leaf`` with its local gradients and their product.

    Raises ValueError before enumerating anything when there are more than ``max_paths`` paths.
    """
    return list(_checked_paths(root, leaf, max_paths, "enumerate_paths"))


def path_sum_grad(root: Value, leaf: Value, max_paths: int = DEFAULT_MAX_PATHS) -> float:
    """d root / d leaf the naive way: the sum over all paths of the product of local gradients.

    Exponential in depth for layered graphs, hence ``max_paths`` (ValueError beyond it); equals
    the ``.grad`` that ``root.backward()`` gives ``leaf`` up to rounding. Leaves every ``.grad`` alone.
    """
    return sum((path.product for path in _checked_paths(root, leaf, max_paths, "path_sum_grad")), 0.0)


def diamond(depth: int, x: Value | float = 0.5) -> Diamond:
    """The layered diamond graph of ``depth`` layers over one leaf ``x``: 2**depth paths, 4*depth - 2 edges.

    Each layer has two nodes that both read the previous layer's two (layer 0 is x, read twice):
    a_k = a_(k-1) * b_(k-1) and b_k = b_(k-1) ** a_(k-1); the last layer is the root alone,
    a_depth. For 0 < x < 1 every value stays in (0, 1), so any depth backpropagates finitely.
    """
    where = "diamond"
    depth = as_int(depth, f"{where}: depth", 1)
    leaf = x if isinstance(x, Value) else Value(as_float(x, "diamond x"), "x")
    if not 0.0 < leaf.data < 1.0:
        raise ValueError(f"{where}: x must be in (0, 1) so that every value stays in (0, 1), got {leaf.data!r}")
    a = b = leaf
    for k in range(1, depth):
        a, b = a * b, b**a
        a.label, b.label = f"a{k}", f"b{k}"
    root = a * b
    root.label = f"a{depth}"
    return Diamond(root, leaf)
