"""Record a computation once, replay it many times: the graph compiled into a flat program.

A training loop builds the same graph every step; only the numbers change. ``record(fn,
*example_inputs)`` runs ``fn`` once on Values, walks the graph (``topological_order``) and
keeps a flat program: one slot per leaf (inputs, then parameters, then constants) and one
instruction ``(op, input slots, output slot)`` per op node, in topological order.
``Tape.forward`` calls each op's own rule (``op.rule``, from ``ops``) on plain floats, so
relu, max and abs take whichever branch the new numbers need; ``Tape.backward`` multiplies
and adds the stored local gradients in the same order as ``Value.backward`` and adds the
results to the parameters' ``.grad``: the same floats, bit for bit, and no Value is made.

What cannot be replayed is refused with a ``TapeError``. ``fn`` may read ``x.data`` and
branch on it (``if x.data > 0:``); then its graph depends on the numbers, and a tape of one
graph would be silently wrong for others. So ``record`` runs ``fn`` again at a few probe
inputs (the example inputs negated, rescaled, and drawn at random from a seeded generator)
and compares the graphs node by node: the same ops with the same constants, the same wiring,
the same parameter objects, and equal constant leaves. Any difference is refused. Leaves
that are the same object in every run are parameters (their ``.data`` is read at the start
of each forward, their ``.grad`` receives gradients); leaves made afresh by each run are
constants. The check is only as strong as its probes: a branch no probe takes is not seen,
so branch on data outside ``fn``, not inside it.
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any, Callable, NamedTuple

from .engine import Value, as_float, is_grad_enabled, topological_order
from .ops import Op, Rule

# A nesting of example inputs: None for one number, a list of nestings for a list or tuple.
Shape = Any
Graph = list[tuple[Any, ...]]  # a graph as comparable data, see _signature


class TapeError(ValueError):
    """A computation the tape cannot replay faithfully, or a replay given the wrong inputs."""


class Instruction(NamedTuple):
    """``values[output], local_grads[output] = op.rule(*values[inputs])``: one op node of the graph."""

    op: Op
    inputs: tuple[int, ...]
    output: int
    label: str


def _flatten(obj: Any, where: str, numbers: list[float], labels: list[str]) -> Shape:
    """Append the numbers (or Values' data and labels) in ``obj`` to ``numbers``; return ``obj``'s nesting."""
    if isinstance(obj, (list, tuple)):
        return [_flatten(item, f"{where}[{i}]", numbers, labels) for i, item in enumerate(obj)]
    numbers.append(obj.data if isinstance(obj, Value) else as_float(obj, where))
    labels.append(obj.label if isinstance(obj, Value) else "")
    return None


def _unflatten(shape: Shape, leaves: Any) -> Any:
    """The items of the iterator ``leaves`` nested as ``shape`` (lists for sequences)."""
    if shape is None:
        return next(leaves)
    return [_unflatten(item, leaves) for item in shape]


def _flatten_like(obj: Any, shape: Shape, where: str, numbers: list[float]) -> None:
    """Append the numbers in ``obj`` to ``numbers``, refusing a nesting other than ``shape``."""
    if shape is None:
        if isinstance(obj, (list, tuple)):
            raise TapeError(f"{where}: expected a number, got a {type(obj).__name__} of {len(obj)} items")
        numbers.append(as_float(obj, where))
        return
    if not isinstance(obj, (list, tuple)):
        raise TapeError(f"{where}: expected a sequence of {len(shape)} items, got {type(obj).__name__} {obj!r}")
    if len(obj) != len(shape):
        raise TapeError(f"{where}: expected {len(shape)} items, got {len(obj)}")
    for i, (item, item_shape) in enumerate(zip(obj, shape)):
        _flatten_like(item, item_shape, f"{where}[{i}]", numbers)


def as_outputs(result: Any) -> tuple[Value, ...]:
    """``fn``'s result as a tuple of Values, or a TapeError saying what it returned instead."""
    values = tuple(result) if isinstance(result, (list, tuple)) else (result,)
    if not values or not all(isinstance(v, Value) for v in values):
        raise TapeError(
            f"record: fn must return a Value or a non-empty list of Values, got {type(result).__name__} {result!r}"
        )
    return values


def _graph(outputs: tuple[Value, ...]) -> list[Value]:
    """Every node the outputs depend on, inputs before results, in one walk.

    ``topological_order`` explores inputs last to first, so from a scratch node whose last input
    is the first output, that output's nodes come first and in exactly ``topological_order(outputs[0])``'s
    order: the order of ``outputs[0].backward()``, which the tape's backward repeats float for float.
    """
    root = Value(0.0)
    root.inputs = (*reversed(outputs[1:]), outputs[0])
    return topological_order(root)[:-1]


def _run(
    fn: Callable[..., Any], shape: Shape, numbers: Sequence[float], labels: Sequence[str]
) -> tuple[list[Value], tuple[Value, ...]]:
    """Call ``fn`` on fresh input Values holding ``numbers``; return those inputs and fn's outputs."""
    inputs = [Value(x, label) for x, label in zip(numbers, labels)]
    outputs = as_outputs(fn(*_unflatten(shape, iter(inputs))))
    return inputs, outputs


def _signature(order: list[Value], inputs: list[Value], outputs: tuple[Value, ...]) -> Graph:
    """The graph (``order``) as comparable data: per node its kind (input k, leaf, op) and input positions."""
    position = {node: i for i, node in enumerate(order)}
    input_index = {v: k for k, v in enumerate(inputs)}
    signature: Graph = []
    for node in order:
        if node.op:  # the op record compares by its fields: name, rule, constant (-0.0 apart from 0.0), ...
            signature.append(("op", node.op, tuple(position[v] for v in node.inputs)))
        elif node in input_index:
            signature.append(("input", input_index[node]))
        else:
            signature.append(("leaf", node))
    signature.append(("outputs", tuple(position[v] for v in outputs)))
    return signature


def _describe(entry: tuple[Any, ...]) -> str:
    """One signature entry as it reads in an error message."""
    kind = entry[0]
    if kind == "op":
        return f"{entry[1]}(" + ", ".join(f"node {i}" for i in entry[2]) + ")"
    if kind == "input":
        return f"input {entry[1]}"
    if kind == "leaf":
        return f"the leaf {entry[1]!r}"
    return "outputs at nodes " + ", ".join(map(str, entry[1]))


def _preview(numbers: list[float]) -> str:
    """The first few of ``numbers``, for an error message."""
    shown = ", ".join(map(repr, numbers[:4]))
    return f"[{shown}]" if len(numbers) <= 4 else f"[{shown}, ... ({len(numbers)} numbers)]"


def _check(example: Graph, probe: Graph, numbers: list[float], constants: set[int]) -> None:
    """Refuse (TapeError) a probe graph that differs from the example graph; note leaves made afresh as constants."""
    where = f"at the example inputs but {{}} at the probe inputs {_preview(numbers)}; the tape cannot replay it"
    why = ("fn builds a different graph when its inputs change "
           "(data-dependent Python control flow, e.g. `if x.data > 0:`)")
    if len(example) != len(probe):
        raise TapeError(f"record: {why}: {len(example) - 1} nodes " + where.format(len(probe) - 1))
    for i, (a, b) in enumerate(zip(example, probe)):
        if a[0] == b[0] == "leaf" and a[1] is not b[1]:
            if not (a[1].data == b[1].data or (a[1].data != a[1].data and b[1].data != b[1].data)):
                raise TapeError(
                    f"record: fn makes a constant from its inputs' numbers (read from .data, or under no_grad): "
                    f"node {i} is {a[1].data!r} " + where.format(repr(b[1].data))
                )
            constants.add(i)
        elif a != b:
            raise TapeError(f"record: {why}: node {i} is {_describe(a)} " + where.format(_describe(b)))


def _probes(numbers: list[float], count: int, seed: int) -> list[list[float]]:
    """Input points to re-run fn at: the example negated, rescaled by positive factors, then random, seeded."""
    rng = random.Random(seed)
    points = [
        [-x if x else 1.0 for x in numbers],
        [(x if x else 1.0) * rng.uniform(0.5, 2.0) for x in numbers],
    ]
    while len(points) < count:
        points.append([rng.gauss(0.0, 1.0) * max(1.0, abs(x)) for x in numbers])
    return points[:count]


def record(fn: Callable[..., Any], *example_inputs: Any, probes: int = 3, seed: int = 0) -> Tape:
    """Run ``fn`` on Values made from ``example_inputs`` and compile its graph into a ``Tape``.

    The example inputs are numbers (or Values: their data and labels), nested in lists as fn expects.
    ``fn`` returns a Value or a list of Values. It is re-run at ``probes`` seeded probe inputs to refuse
    data-dependent graphs (see the module docstring); a probe at which fn raises a domain error is skipped.
    """
    if not is_grad_enabled():
        raise TapeError("record: gradients are off (inside no_grad), so fn builds no graph to record")
    if not isinstance(probes, int) or isinstance(probes, bool):
        raise TypeError(f"record: probes must be an int, got {type(probes).__name__} {probes!r}")
    if probes < 1:
        raise ValueError(f"record: probes must be at least 1 to check fn for data-dependent graphs, got {probes!r}")
    numbers: list[float] = []
    labels: list[str] = []
    shape = _flatten(list(example_inputs), "record: example_inputs", numbers, labels)
    inputs, outputs = _run(fn, shape, numbers, labels)
    order = _graph(outputs)
    example = _signature(order, inputs, outputs)
    constants: set[int] = set()
    checked = 0
    for point in _probes(numbers, probes, seed):
        try:
            probe_inputs, probe_outputs = _run(fn, shape, point, labels)
        except TapeError:
            raise
        except (ArithmeticError, ValueError):  # fn is not defined there (log of a negative, ...)
            continue
        _check(example, _signature(_graph(probe_outputs), probe_inputs, probe_outputs), point, constants)
        checked += 1
    if not checked:
        raise TapeError(
            f"record: fn raised at all {probes} probe inputs, so its graph could not be checked for "
            "data-dependent control flow; the tape refuses what it cannot check"
        )
    return Tape(shape, inputs, outputs, order, {example[i][1] for i in constants})


class Tape:
    """A recorded graph as a flat program: replay with ``forward(inputs)``, then ``backward()``.

    Made by ``record``. Slots ``%0 ..`` hold the inputs, then the parameters, then the constants,
    then one result per instruction; ``values`` and ``local_grads`` hold them after a forward.
    ``str(tape)`` is the listing.
    """

    def __init__(
        self, shape: Shape, inputs: list[Value], outputs: tuple[Value, ...], order: list[Value], constants: set[Value]
    ) -> None:
        slot = {v: k for k, v in enumerate(inputs)}
        used = [v for node in order for v in node.inputs] + list(outputs)  # leaves numbered as first used
        leaves = list(dict.fromkeys(v for v in used if not v.op and v not in slot))
        self.parameters: list[Value] = [v for v in leaves if v not in constants]
        const_leaves = [v for v in leaves if v in constants]
        for v in (*self.parameters, *const_leaves):
            slot[v] = len(slot)
        self.input_shape = shape
        self.n_inputs = len(inputs)
        self.input_labels = [v.label for v in inputs]
        self.constants: list[float] = [v.data for v in const_leaves]
        self.instructions: list[Instruction] = []
        for node in order:
            if node.op:
                slot[node] = len(slot)
                inputs_ = tuple(slot[v] for v in node.inputs)
                self.instructions.append(Instruction(node.op, inputs_, slot[node], node.label))
        self.outputs: tuple[int, ...] = tuple(slot[v] for v in outputs)
        first_constant = len(inputs) + len(self.parameters)
        self.values: list[float] = [0.0] * len(slot)
        self.values[first_constant : first_constant + len(const_leaves)] = self.constants
        self.local_grads: list[tuple[float, ...]] = [()] * len(slot)
        self.input_grads: list[float] = [0.0] * len(inputs)
        # the hot loops read these: (rule, gather, output, n-ary?) forward, (output, inputs, n-ary?) backward
        self._forward_program: list[tuple[Rule, Any, int, bool]] = [
            (ins.op.rule, itemgetter(*ins.inputs), ins.output, True) if len(ins.inputs) > 1
            else (ins.op.rule, ins.inputs[0], ins.output, False)
            for ins in self.instructions
        ]
        self._backward_program: list[tuple[int, Any, bool]] = [
            (ins.output, ins.inputs, True) if len(ins.inputs) > 1 else (ins.output, ins.inputs[0], False)
            for ins in reversed(self.instructions)
        ]
        self._batch: list[tuple[str, Any, Any, Any]] | None = None
        self._replay([v.data for v in inputs])

    def __len__(self) -> int:
        return len(self.instructions)

    def __repr__(self) -> str:
        counts = {
            "input": self.n_inputs,
            "parameter": len(self.parameters),
            "constant": len(self.constants),
            "instruction": len(self.instructions),
            "output": len(self.outputs),
        }
        return "<Tape: " + ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for word, n in counts.items()) + ">"

    def __str__(self) -> str:
        return self.listing()

    def forward(self, *inputs: Any) -> float | list[float]:
        """Replay on new input numbers: a flat list, or the example inputs' nesting. Returns the output number(s).

        Parameters' current ``.data`` is read first, so an optimizer's updates are seen.
        """
        numbers: list[float] = []
        if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)) and len(inputs[0]) == self.n_inputs and not any(
            isinstance(x, (list, tuple)) for x in inputs[0]
        ):
            numbers = [as_float(x, f"tape.forward: input {i}") for i, x in enumerate(inputs[0])]
        else:
            _flatten_like(list(inputs), self.input_shape, "tape.forward: inputs", numbers)
        self._replay(numbers)
        outputs = [self.values[k] for k in self.outputs]
        return outputs[0] if len(outputs) == 1 else outputs

    def replay(self, numbers: list[float]) -> None:
        """``forward`` without its checks: ``numbers`` is the flat list of input floats; results stay in ``values``."""
        self._replay(numbers)

    def _replay(self, numbers: list[float]) -> None:
        self._replayed = False  # until the last instruction has run: backward refuses a half-replayed tape
        values, local_grads = self.values, self.local_grads
        n_inputs = self.n_inputs
        values[:n_inputs] = numbers
        values[n_inputs : n_inputs + len(self.parameters)] = [p.data for p in self.parameters]
        for rule, gather, output, nary in self._forward_program:
            if nary:
                values[output], local_grads[output] = rule(*gather(values))
            else:
                values[output], local_grads[output] = rule(values[gather])
        self._replayed = True

    def backward(self, upstream: float | Sequence[float] = 1.0) -> None:
        """Add d output / d parameter to each parameter's ``.grad``, as ``output.backward()`` would.

        With several outputs, ``upstream`` gives one number per output (d loss / d output) and the
        gradients are those of ``sum(upstream[i] * output[i])``. ``input_grads`` gets d / d input.
        """
        self.backward_rows([self.local_grads], upstream)

    def backward_rows(self, rows: Sequence[list[tuple[float, ...]]], upstream: float | Sequence[float] = 1.0) -> None:
        """``backward`` for several replays at once: ``rows`` holds each forward's ``local_grads`` (in order).

        Each parameter's gradient is summed over the rows in order, then added to ``.grad`` once, as the
        engine sums a parameter's upstream over a batch's graph: the same floats. ``input_grads`` is the last row's.
        """
        if not self._replayed:
            raise TapeError(
                "tape.backward: the last forward raised, so the tape holds half old and half new local gradients; "
                "call forward with inputs it accepts first"
            )
        seeds = [upstream] if isinstance(upstream, (int, float)) else list(upstream)
        if len(seeds) != len(self.outputs):
            raise TapeError(
                f"tape.backward: expected one upstream number per output ({len(self.outputs)}), got {len(seeds)}"
            )
        seeds = [as_float(seed, "tape.backward: upstream") for seed in seeds]
        n_inputs, n_par = self.n_inputs, len(self.parameters)
        grads = [0.0] * len(self.values)
        rest = len(grads) - n_inputs - n_par
        for local_grads in rows:
            grads[:n_inputs] = [0.0] * n_inputs
            grads[n_inputs + n_par :] = [0.0] * rest  # the parameters' slots keep summing, row after row
            for k, seed in zip(self.outputs, seeds):
                grads[k] += seed
            for output, inputs, nary in self._backward_program:
                up = grads[output]
                local = local_grads[output]
                if up == 0.0 and 0.0 * sum(local) == 0.0:
                    continue  # every downstream is 0 * finite = 0: adding it changes no float
                if nary:
                    for i, g in zip(inputs, local):
                        grads[i] += up * g
                else:
                    grads[inputs] += up * local[0]
        for p, g in zip(self.parameters, grads[n_inputs : n_inputs + n_par]):
            p.grad += g
        self.input_grads = grads[:n_inputs]

    def forward_batch(self, columns: Sequence[Any]) -> list[Any]:
        """Replay over a batch at once: ``columns[k]`` holds input k for every sample (a 1-D NumPy array).

        Every slot then holds one number per sample (parameters and constants one for all), and each
        instruction runs its op's batched rule (``ops.batched_rule``) once for the whole batch; the weighted
        sums of a layer (``dot`` nodes over the same inputs) run as one matrix product, and a run of the same
        activation as one call. The numbers of ``forward`` row by row, to rounding. Returns one array per output.
        """
        import numpy as np

        self._batch_replayed = False
        program = self._batch_program()
        if len(columns) != self.n_inputs:
            raise TapeError(f"tape.forward_batch: expected {self.n_inputs} input columns, got {len(columns)}")
        arrays = [np.asarray(c, dtype=float) for c in columns]
        shapes = sorted({a.shape for a in arrays})
        if len(shapes) != 1 or len(shapes[0]) != 1 or not shapes[0][0]:
            raise TapeError(f"tape.forward_batch: expected 1-D input columns of one length >= 1, got shapes {shapes}")
        n_inputs, n_par = self.n_inputs, len(self.parameters)
        parameters = np.array([p.data for p in self.parameters], dtype=float)
        values: list[Any] = list(self.values)
        values[:n_inputs] = arrays
        values[n_inputs : n_inputs + n_par] = parameters.tolist()
        local_grads: list[Any] = [()] * len(values)
        with np.errstate(all="ignore"):  # overflow to inf and 0/0 to NaN, as the scalar rules; domain errors raise
            for kind, rule, inputs, outputs in program:
                if kind == _RULE:
                    values[outputs], local_grads[outputs] = rule(*[values[k] for k in inputs])
                elif kind == _LAYER:
                    weights, bias = parameters[rule[0]], rule[1] if rule[2] is None else parameters[rule[2]]
                    xs = np.stack([values[k] for k in inputs])
                    for k, row in zip(outputs, weights @ xs + bias[:, None]):
                        values[k] = row
                    local_grads[outputs[0]] = (weights, xs)
                else:
                    result, (local,) = rule(np.stack([values[k] for k in inputs]))
                    for k, row in zip(outputs, result):
                        values[k] = row
                    local_grads[outputs[0]] = local
        self.batch_size = len(arrays[0])
        self.batch_values, self.batch_local_grads, self._batch_parameters = values, local_grads, parameters
        self._batch_replayed = True
        return [np.broadcast_to(values[k], (self.batch_size,)) for k in self.outputs]

    def backward_batch(self, upstream: Sequence[Any]) -> None:
        """After ``forward_batch``: add d / d parameter of ``Σ_samples Σ_i upstream[i] * output[i]`` to ``.grad``.

        ``upstream[i]`` is a number or one number per sample; ``batch_input_grads`` gets d / d input per sample.
        """
        import numpy as np

        if not getattr(self, "_batch_replayed", False):
            raise TapeError("tape.backward_batch: no batch replayed (forward_batch not called, or it raised)")
        if len(upstream) != len(self.outputs):
            raise TapeError(
                f"tape.backward_batch: expected one upstream per output ({len(self.outputs)}), got {len(upstream)}"
            )
        size, n_inputs, n_par = self.batch_size, self.n_inputs, len(self.parameters)
        grads: list[Any] = [0.0] * len(self.batch_values)
        for k, seed in zip(self.outputs, upstream):  # as arrays, so every slot an output reaches gets one
            grads[k] = grads[k] + np.broadcast_to(np.asarray(seed, dtype=float), (size,))
        parameter_grads = np.zeros(n_par)
        local_grads = self.batch_local_grads
        with np.errstate(all="ignore"):
            for kind, rule, inputs, outputs in reversed(self._batch_program()):
                if kind == _RULE:
                    up, local = grads[outputs], local_grads[outputs]
                    for i, g in zip(inputs, local):
                        grads[i] = grads[i] + up * g
                    continue
                ups = np.stack([grads[k] for k in outputs])
                if kind == _LAYER:
                    weights, xs = local_grads[outputs[0]]
                    parameter_grads[rule[0]] += ups @ xs.T
                    if rule[2] is not None:
                        parameter_grads[rule[2]] += ups.sum(axis=1)
                    downstream = weights.T @ ups
                else:
                    downstream = ups * local_grads[outputs[0]]
                for i, g in zip(inputs, downstream):
                    grads[i] = grads[i] + g
        for j, g in enumerate(grads[n_inputs : n_inputs + n_par]):
            if not isinstance(g, float):  # reached by an instruction outside a layer: sum over the batch
                parameter_grads[j] += np.sum(g)
        for p, g in zip(self.parameters, parameter_grads.tolist()):
            p.grad += g
        self.batch_input_grads = [np.broadcast_to(g, (size,)) for g in grads[:n_inputs]]

    def _batch_program(self) -> list[tuple[str, Any, Any, Any]]:
        """The instructions as batch steps ``(kind, rule, inputs, outputs)``; a TapeError names an op without a
        batched rule. A layer's dot nodes over the same batch inputs become one matrix step, a run of one
        activation over such nodes one call (see ``_fuse``)."""
        if self._batch is None:
            from .ops import batched_rule

            for ins in self.instructions:
                if batched_rule(ins.op) is None:
                    raise TapeError(
                        f"tape.forward_batch: op {str(ins.op)!r} has no batched rule (replay it row by row)"
                    )
            self._batch = _fuse(self)
        return self._batch

    def listing(self) -> str:
        """The program as text: a header of slots (inputs, parameters, constants), then one line per instruction."""
        n_in, n_par = self.n_inputs, len(self.parameters)
        lines = [f"# {repr(self)[1:-1].lower()}"]
        lines += _section("inputs", _slot_names(enumerate(self.input_labels)))
        lines += _section("parameters", _slot_names((n_in + k, p.label) for k, p in enumerate(self.parameters)))
        lines += _section("constants", [f"%{n_in + n_par + k} = {c!r}" for k, c in enumerate(self.constants)])
        for ins in self.instructions:
            text = f"%{ins.output} = {ins.op.reads([f'%{k}' for k in ins.inputs])}"  # "%3 = %2 + 1", "%4 = exp(%3)"
            lines.append(f"{text:<32} # {ins.label}" if ins.label else text)
        lines += _section("outputs", _slot_names((k, "") for k in self.outputs))
        return "\n".join(lines)


_RULE, _LAYER, _MAP = "rule", "layer", "map"  # the kinds of batch step


def _fuse(tape: Tape) -> list[tuple[str, Any, Any, Any]]:
    """The tape's instructions as batch steps, fusing what NumPy can run as one call.

    Instructions are taken level by level (an instruction's level is one more than its deepest input's), so
    instructions of one level never read each other's results and may run in any order. Within a level, the
    ``dot`` nodes whose bias and weights are distinct parameters and whose inputs are the same per-sample slots
    form a layer: ``(_LAYER, (weight index matrix, starts, bias indices or None), input slots, output slots)``;
    the one-input instructions of one op over per-sample slots form ``(_MAP, batched rule, input slots, output
    slots)``. Anything else is ``(_RULE, batched rule, input slots, output slot)``.
    """
    import numpy as np

    from . import ops

    first_par, n_par = tape.n_inputs, len(tape.parameters)
    n_slots = first_par + n_par + len(tape.constants) + len(tape.instructions)
    per_sample = [k < tape.n_inputs for k in range(n_slots)]
    level = [0] * n_slots
    for ins in tape.instructions:
        per_sample[ins.output] = any(per_sample[k] for k in ins.inputs)
        level[ins.output] = 1 + max(level[k] for k in ins.inputs)

    def group_key(ins: Instruction) -> tuple[Any, ...] | None:
        function = ins.op.function
        lead = 1 if function is ops.biased_dot else 0 if function is ops.dot else -1
        if lead >= 0:
            weights, xs = ins.inputs[lead + 0 :: 2], ins.inputs[lead + 1 :: 2]
            pars = [*ins.inputs[:lead], *weights]
            if xs and all(per_sample[k] for k in xs) and len(set(pars)) == len(pars) and all(
                first_par <= k < first_par + n_par for k in pars
            ):
                return (_LAYER, lead, xs)
        if len(ins.inputs) == 1 and per_sample[ins.inputs[0]]:
            return (_MAP, ins.op)
        return None

    groups: dict[tuple[Any, ...], list[Instruction]] = {}
    for ins in sorted(tape.instructions, key=lambda ins: level[ins.output]):  # stable: tape order within a level
        key = group_key(ins)
        groups.setdefault((level[ins.output], key if key is not None else ("single", ins.output)), []).append(ins)
    steps: list[tuple[str, Any, Any, Any]] = []
    for (_, key), run in groups.items():
        pars = {k for r in run for k in r.inputs if first_par <= k < first_par + n_par}
        if key[0] == _LAYER and sum(len(r.inputs) for r in run) - len(run) * len(key[2]) == len(pars):
            lead, xs = key[1], key[2]
            weights = np.array([[k - first_par for k in r.inputs[lead::2]] for r in run])
            bias = np.array([r.inputs[0] - first_par for r in run]) if lead else None
            starts = np.zeros(len(run)) if lead else np.array([r.op.constant for r in run], dtype=float)
            steps.append((_LAYER, (weights, starts, bias), xs, tuple(r.output for r in run)))
        elif key[0] == _MAP and len(run) > 1:
            inputs, outputs = tuple(r.inputs[0] for r in run), tuple(r.output for r in run)
            steps.append((_MAP, ops.batched_rule(run[0].op), inputs, outputs))
        else:
            steps.extend((_RULE, ops.batched_rule(r.op), r.inputs, r.output) for r in run)
    return steps


def _slot_names(slots: Iterable[tuple[int, str]]) -> list[str]:
    """Slots as listing items: ``%k label``, and a run of consecutive unlabeled slots as ``%a..%b``."""
    items: list[str | list[int]] = []
    for k, label in slots:
        if label:
            items.append(f"%{k} {label}")
        elif items and isinstance(items[-1], list) and items[-1][1] == k - 1:
            items[-1][1] = k
        else:
            items.append([k, k])
    return [
        item if isinstance(item, str) else f"%{item[0]}" if item[0] == item[1] else f"%{item[0]}..%{item[1]}"
        for item in items
    ]


def _section(title: str, items: list[str], width: int = 96) -> list[str]:
    """A header section of the listing: ``# title  item, item, ...`` wrapped at ``width``, items never split."""
    lines, line = [], f"# {title:<11}"
    for i, item in enumerate(items or ["(none)"]):
        piece = f" {item}" + ("," if i < len(items) - 1 else "")
        if len(line) + len(piece) > width and line.strip("# "):
            lines.append(line)
            line = "#" + " " * 12
        line += piece
    return [*lines, line]
