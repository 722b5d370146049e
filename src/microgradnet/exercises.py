"""Random exercises: fresh graphs for drill, of a chosen op mix and size, with a node used twice.

``random_graph(ops, nodes, fanout, seed)`` builds a graph of ``nodes`` op nodes that uses every op
of ``ops`` (when there are at least as many nodes as ops), all joined into one output, with one
node feeding two ops when ``fanout`` (an inner node when there is one: its gradients add). Its
leaves get pleasant numbers as a variant's do (``variants.draw_values``). The same options and
seed give the same graph, so a sheet names it by its options (``spec``) alone.
"""
from __future__ import annotations

import operator
import random
from collections.abc import Sequence
from functools import partial
from operator import methodcaller
from typing import Callable, NamedTuple

from .engine import Value, as_int
from .expr import FUNCTIONS

LEAF_NAMES = "abcdfghkmnpqrstuvwxyz"  # no e (Euler's number), i, j, l, o (read as 1 and 0)
MAX_NODES = 40


class RandomOp(NamedTuple):
    """An op a random graph may use: how many inputs it takes and how it is applied to Values."""

    arity: int
    apply: Callable[..., Value]


# the binary operators and every function of expressions (expr.FUNCTIONS), plus a square
RANDOM_OPS: dict[str, RandomOp] = {
    "+": RandomOp(2, operator.add),
    "-": RandomOp(2, operator.sub),
    "*": RandomOp(2, operator.mul),
    "/": RandomOp(2, operator.truediv),
    "**2": RandomOp(1, lambda x: x**2),
    **{name: RandomOp(1, methodcaller(name)) for name in FUNCTIONS},
}
DEFAULT_OPS = ("+", "*", "exp", "tanh")


def parse_ops(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"+,*,exp"`` (or a sequence of names) as op names of ``RANDOM_OPS``, each once; an unknown one is an error."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text)]
    names = [n for n in names if n]
    if not names:
        raise ValueError(f"random graph: no ops given; choose from {', '.join(RANDOM_OPS)}")
    for name in names:
        if name not in RANDOM_OPS:
            raise ValueError(f"random graph: unknown op {name!r}; choose from {', '.join(RANDOM_OPS)}")
    return tuple(dict.fromkeys(names))


class Plan(NamedTuple):
    """A random graph's shape: the ops in order, each with its operands (("leaf", k) or ("node", j))."""

    leaves: int
    steps: list[tuple[str, tuple[tuple[str, int], ...]]]


def plan(ops: Sequence[str], nodes: int, fanout: bool, rng: random.Random) -> Plan:
    """A shape of ``nodes`` op nodes over ``ops`` whose nodes all lead to the last one.

    Each op takes its operands from the nodes not yet used (so all join up) or from new leaves;
    with ``fanout``, one binary op also takes a node that is used elsewhere already.
    """
    sequence = list(ops) if nodes >= len(ops) else rng.sample(list(ops), nodes)
    sequence += [rng.choice(list(ops)) for _ in range(nodes - len(sequence))]
    rng.shuffle(sequence)
    binary = [i for i, name in enumerate(sequence) if RANDOM_OPS[name].arity == 2]
    reuse_at = -1
    if fanout:
        if not binary:
            raise ValueError("random graph: --fanout needs a binary op (+, -, * or /) among the ops")
        later = [i for i in binary if i > 1] or [i for i in binary if i > 0] or binary  # room for an inner node
        reuse_at = rng.choice(later)
    capacity = [RANDOM_OPS[name].arity - 1 - (i == reuse_at) for i, name in enumerate(sequence)]
    pool: list[tuple[str, int]] = []  # operands made but not used yet
    made: list[tuple[str, int]] = []
    leaves = 0
    steps = []
    for i, name in enumerate(sequence):
        slots = RANDOM_OPS[name].arity - (i == reuse_at)
        after = sum(capacity[i + 1:])
        fewest = max(0, len(pool) - after)  # the pool must shrink to this node by the end
        take = rng.randint(fewest, min(slots, len(pool))) if pool else 0
        if take < min(slots, len(pool)) and rng.random() < 0.6:
            take = min(slots, len(pool))  # lean towards deep graphs: use what is there
        operands = [pool.pop(rng.randrange(len(pool))) for _ in range(take)]
        while len(operands) < slots:
            operands.append(("leaf", leaves))
            made.append(("leaf", leaves))
            leaves += 1
        if i == reuse_at:  # an inner node if there is one, and not this op's other operand (x * x says less)
            others = [m for m in made if m not in operands] or made
            inner = [m for m in others if m[0] == "node"]
            operands.insert(rng.randrange(2), rng.choice(inner or others))
        steps.append((name, tuple(operands)))
        pool.append(("node", i))
        made.append(("node", i))
    return Plan(leaves, steps)


def build(shape: Plan, values: Sequence[float]) -> tuple[Value, dict[str, Value]]:
    """The graph of ``shape`` with leaves named a, b, c, ... at ``values``; returns the output and the leaves."""
    leaves = {LEAF_NAMES[k]: Value(values[k], label=LEAF_NAMES[k]) for k in range(shape.leaves)}
    refs = list(leaves.values())
    nodes: list[Value] = []
    for name, operands in shape.steps:
        inputs = [refs[k] if kind == "leaf" else nodes[k] for kind, k in operands]
        nodes.append(RANDOM_OPS[name].apply(*inputs))
    return nodes[-1], leaves


def spec(ops: Sequence[str], nodes: int, fanout: bool, seed: int) -> str:
    """The options of a random graph as one line: ``ops=+,*,exp nodes=5 fanout=1 seed=7``."""
    return f"ops={','.join(ops)} nodes={nodes} fanout={int(fanout)} seed={seed}"


def random_graph_from_spec(text: str) -> tuple[Value, dict[str, Value]]:
    """The graph ``spec`` describes (as a sheet names it), at its own numbers."""
    options = dict(part.partition("=")[::2] for part in text.split())
    try:
        ops, nodes = options["ops"], int(options["nodes"])
        fanout, seed = bool(int(options["fanout"])), int(options["seed"])
    except (KeyError, ValueError):
        raise ValueError(f"random graph: expected 'ops=... nodes=N fanout=0|1 seed=S', got {text!r}") from None
    return random_graph(parse_ops(ops), nodes, fanout, seed)


def random_graph(
    ops: Sequence[str] = DEFAULT_OPS, nodes: int = 6, fanout: bool = True, seed: int = 0,
) -> tuple[Value, dict[str, Value]]:
    """A random graph of ``nodes`` op nodes over ``ops`` (all of them when nodes allow), with pleasant numbers.

    Returns the output (labelled f) and the named leaves. The same arguments give the same graph.
    """
    from .variants import VariantError, choices, draw_values

    names = parse_ops(ops)
    as_int(nodes, "random graph: nodes", 1)
    if nodes > MAX_NODES:
        raise ValueError(f"random graph: nodes must be at most {MAX_NODES} (a sheet to do by hand), got {nodes}")
    as_int(seed, "random graph: seed", 0)
    rng = random.Random(f"microgradnet random graph {spec(names, nodes, fanout, seed)}")
    for _ in range(100):
        shape = plan(names, nodes, fanout, rng)
        kinds = {LEAF_NAMES[k]: rng.choice((2.0, 0.5)) for k in range(shape.leaves)}  # integers or one decimal
        starts = [rng.choice(choices(kind)) for kind in kinds.values()]
        try:
            build(shape, starts)  # the shape needs numbers it can be built at, to be drawn again from there
            values = draw_values(partial(build, shape, starts), rng, set(), originals=kinds, allowed_zeros=set(),
                                 what="a random graph", smallest=0.02)
        except (VariantError, ArithmeticError, ValueError):
            continue  # a domain error, or gradients that vanish at every number (relu after relu...): draw again
        root, leaves = build(shape, list(values.values()))
        root.label = "f"
        return root, leaves
    raise ValueError(f"random graph: no graph of {nodes} nodes over {', '.join(names)} has pleasant numbers")

