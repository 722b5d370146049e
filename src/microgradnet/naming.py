"""One naming rule for the unlabelled nodes of a graph, read by the graph command, practice, worksheets and pictures.

The output is ``f`` (unless that name is taken), every other unlabelled node is ``n1``, ``n2``, ... in
reading order (the order the formula is read: inputs before the nodes made from them, left to right),
skipping names the graph already uses. ``name_nodes`` writes the names into the labels (a typed
expression keeps them); ``named`` does it for the duration of a ``with`` block only.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .engine import Value
from .trace import reading_order


def names(root: Value) -> dict[Value, str]:
    """The name of every unlabelled node of ``root``'s graph (labelled nodes keep theirs and are left out)."""
    order = reading_order(root)
    taken = {v.label for v in order if v.label}
    fresh = (f"n{k}" for k in range(1, len(order) + len(taken) + 2))
    out = {}
    for v in order:
        if v.label:
            continue
        if v is root and "f" not in taken:
            out[v] = "f"
        else:
            out[v] = next(n for n in fresh if n not in taken)
    return out


def name_nodes(root: Value) -> list[Value]:
    """Label every unlabelled node of ``root``'s graph by the rule; returns the nodes that were labelled."""
    chosen = names(root)
    for v, name in chosen.items():
        v.label = name
    return list(chosen)


@contextmanager
def named(root: Value) -> Iterator[None]:
    """Within, the unlabelled nodes of ``root``'s graph carry their names; the labels are restored afterwards."""
    labelled = name_nodes(root)
    try:
        yield
    finally:
        for v in labelled:
            v.label = ""
