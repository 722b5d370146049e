"""microgradnet vs micrograd 0.1.0 in one run: speed and memory as ratios (the "Speed" sections of issues 3, 4 and 7).

``python benchmarks/bench.py`` prints the tables and writes ``benchmarks/RESULTS.md``;
``--quick`` is a smoke run that only prints. A ratio is micrograd time / microgradnet time
(above 1: microgradnet is faster), measured with Python's garbage collector on and off.
To add a variant of the moons step, add a ``Trainer`` factory to ``STEP_VARIANTS``.
"""
from __future__ import annotations

import argparse
import datetime
import gc
import importlib
import math
import os
import platform
import random
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Callable

import microgradnet as mg

try:
    import micrograd.engine
    import micrograd.nn
except ImportError as error:
    raise SystemExit(f"bench.py needs micrograd 0.1.0: pip install -e '.[bench]' ({error})") from error

SEED = 0
SIZES = [2, 16, 16, 1]  # micrograd's moons demo: MLP(2, [16, 16, 1]), 337 parameters
ALPHA = 1e-4  # the demo's L2 coefficient
LR = 1.0  # the demo's learning rate at its first step (1.0 - 0.9 * k / 100 at k = 0)
BATCH = 10  # minibatch size of the minibatch epoch
BASELINE = "micrograd"
Rows = Sequence[Sequence[float]]


def make_moons(n: int = 100, noise: float = 0.1, seed: int = SEED) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, as sklearn's make_moons, in pure Python; labels are ±1 as in the demo."""
    rng = random.Random(seed)
    n_outer = n // 2
    points = []
    for i in range(n_outer):
        t = math.pi * i / (n_outer - 1)
        points.append(([math.cos(t), math.sin(t)], -1))
    for i in range(n - n_outer):
        t = math.pi * i / (n - n_outer - 1)
        points.append(([1.0 - math.cos(t), 0.5 - math.sin(t)], 1))
    rng.shuffle(points)
    rows = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for (x, y), _ in points]
    return rows, [label for _, label in points]


# --- the moons step: one Trainer per library/variant ---------------------------------------


@dataclass
class Trainer:
    """A model of the moons demo: its parameters, its loss over a batch, and its graph's edges."""

    params: list[Any]  # objects with .data and .grad
    loss: Callable[[Rows, Sequence[int]], Any]  # a batch -> the loss node (mean hinge + ALPHA * L2)
    children: Callable[[Any], Iterable[Any]]  # a node -> its inputs, to count the graph's nodes
    model: Any = None  # the library's MLP, for the variants that compile it

    def step(self, rows: Rows, targets: Sequence[int], lr: float = LR) -> float:
        """One SGD step as in the demo: forward and loss, zero grads, backward, update; returns the loss."""
        loss = self.loss(rows, targets)
        for p in self.params:
            p.grad = 0.0
        loss.backward()
        for p in self.params:
            p.data -= lr * p.grad
        return loss.data

    def reset(self, init: Sequence[float]) -> None:
        """Set the parameters back to ``init`` (untimed, so every repetition does the same work)."""
        for p, x in zip(self.params, init):
            p.data, p.grad = x, 0.0


def micrograd_trainer(init: Sequence[float]) -> Trainer:
    """micrograd's own MLP and the loss exactly as in its demo notebook."""
    Value = micrograd.engine.Value
    model = micrograd.nn.MLP(SIZES[0], SIZES[1:])
    params = model.parameters()

    def loss(rows: Rows, targets: Sequence[int]) -> Any:
        inputs = [list(map(Value, xrow)) for xrow in rows]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(targets, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        return data_loss + reg_loss

    trainer = Trainer(params, loss, lambda v: v._prev)
    trainer.reset(init)
    return trainer


def _layers(init: Sequence[float]) -> tuple[list[Any], list[list[tuple[list[Any], Any]]]]:
    """microgradnet leaves for ``init`` in micrograd's parameter order: per neuron its weights, then its bias."""
    params = [mg.Value(x) for x in init]
    layers, i = [], 0
    for nin, nout in zip(SIZES, SIZES[1:]):
        layer = []
        for _ in range(nout):
            layer.append((params[i : i + nin], params[i + nin]))
            i += nin + 1
        layers.append(layer)
    return params, layers


def _hand_built_trainer(init: Sequence[float], weighted_sum: Callable[[list[Any], list[Any], Any], Any]) -> Trainer:
    """The demo's network and loss written with microgradnet Value ops; ``weighted_sum(w, x, b)`` is the neuron."""
    params, layers = _layers(init)
    last = len(layers) - 1

    def model(x: list[Any]) -> Any:
        for depth, layer in enumerate(layers):
            sums = [weighted_sum(w, x, b) for w, b in layer]
            x = sums if depth == last else [s.relu() for s in sums]
        return x[0]

    def loss(rows: Rows, targets: Sequence[int]) -> Any:
        scores = [model([mg.Value(x) for x in row]) for row in rows]
        losses = [(1 + -yi * score).relu() for yi, score in zip(targets, scores)]
        return mg.sum(losses) * (1.0 / len(losses)) + ALPHA * mg.sum([p * p for p in params])

    return Trainer(params, loss, lambda v: v.inputs)


def elementwise_trainer(init: Sequence[float]) -> Trainer:
    """Variant (a): each neuron is ``w*x`` product nodes and one ``microgradnet.sum``."""
    return _hand_built_trainer(init, lambda w, x, b: mg.sum([wi * xi for wi, xi in zip(w, x)], start=b))


def dot_trainer(init: Sequence[float]) -> Trainer:
    """Variant (b): each neuron's weighted sum is one ``microgradnet.dot`` node, as the library's Neuron."""
    return _hand_built_trainer(init, lambda w, x, b: mg.dot(w, x, start=b))


def library_trainer(init: Sequence[float]) -> Trainer:
    """Variant (c): the library's ``MLP`` with ``losses.hinge`` and ``losses.l2_penalty``, inputs as plain floats."""
    losses = importlib.import_module("microgradnet.losses")
    model = mg.MLP(SIZES[0], SIZES[1:], seed=SEED)
    params = model.parameters()
    if len(params) != len(init):
        raise ValueError(f"MLP(2, [16, 16, 1]) has {len(params)} parameters, expected {len(init)}")

    def loss(rows: Rows, targets: Sequence[int]) -> Any:
        scores = [model(row) for row in rows]
        return losses.hinge(scores, targets) + ALPHA * losses.l2_penalty(params)

    trainer = Trainer(params, loss, lambda v: v.inputs, model)
    trainer.reset(init)
    return trainer


def library_available() -> str:
    """Empty when variant (c) can run, else why not (nn.py / losses.py not written yet)."""
    try:
        importlib.import_module("microgradnet.losses")
        mg.MLP  # noqa: B018 - raises AttributeError until nn.py is re-exported
    except (ImportError, AttributeError) as error:
        return f"{type(error).__name__}: {error}"
    return ""


@dataclass
class ReplayTrainer(Trainer):
    """Variant (d) (issue 7): variant (c)'s loss compiled by ``microgradnet.compile_loss`` (recorded once per
    target list, then replayed each step); ``loss`` still builds the graph, for the loss and node-count columns."""

    compiled: Any = None

    def step(self, rows: Rows, targets: Sequence[int], lr: float = LR) -> float:
        """The same SGD step as ``Trainer.step``, with forward and backward replayed from the tape."""
        loss = self.compiled.forward(rows, targets)
        for p in self.params:
            p.grad = 0.0
        self.compiled.backward()
        for p in self.params:
            p.data -= lr * p.grad
        return loss


def replay_trainer(init: Sequence[float]) -> Trainer:
    """Variant (d): variant (c) recorded into a tape once and replayed at every step."""
    library = library_trainer(init)
    # each row passes through as its own "model output", so library.loss runs (c)'s MLP and loss on the batch
    compiled = mg.compile_loss(lambda row: row, library.loss)
    return ReplayTrainer(library.params, library.loss, library.children, library.model, compiled)


def sample_tape_trainer(init: Sequence[float], batched: bool) -> Trainer:
    """Variants (e) and (f) (issue 17): one sample's tape of variant (c) (``compile_loss(model, "hinge", l2=...)``),
    recorded once for any batch, replayed row by row (e) or over the whole batch with NumPy (f)."""
    library = library_trainer(init)
    compiled = mg.compile_loss(library.model, "hinge", l2=ALPHA, batched=batched)
    return ReplayTrainer(library.params, library.loss, library.children, library.model, compiled)


ELEMENTWISE, DOT, REPLAY = "microgradnet (a) w*x + sum", "microgradnet (b) dot", "microgradnet (d) replayed tape"
SAMPLE_ROWS, SAMPLE_BATCH = "microgradnet (e) sample tape, rows", "microgradnet (f) sample tape, batched"
STEP_VARIANTS: dict[str, Callable[[Sequence[float]], Trainer]] = {
    BASELINE: micrograd_trainer,
    ELEMENTWISE: elementwise_trainer,
    DOT: dot_trainer,
    REPLAY: replay_trainer,
    SAMPLE_ROWS: lambda init: sample_tape_trainer(init, batched=False),
    SAMPLE_BATCH: lambda init: sample_tape_trainer(init, batched=True),
}
LIBRARY_VARIANT = "microgradnet (c) MLP + losses"


def initial_parameters() -> list[float]:
    """The 337 starting numbers every variant uses: micrograd's own init (uniform(-1, 1) weights, zero biases)."""
    random.seed(SEED)
    return [float(p.data) for p in micrograd.nn.MLP(SIZES[0], SIZES[1:]).parameters()]


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Case:
    """One timed thing: ``run`` is timed, ``reset`` (untimed) runs before each repetition."""

    run: Callable[[], Any]
    reset: Callable[[], None] = lambda: None


def measure(cases: dict[str, Case], reps: int, gc_on: bool) -> dict[str, float]:
    """Median seconds per case over ``reps`` repetitions after one warm-up, the cases interleaved.

    Before each repetition (untimed): the case's reset and ``gc.collect()``, so one library's
    leftover garbage never taxes the other. With ``gc_on=False`` the collector is off while timed.
    Times are the process's CPU time: the machine may be shared, and for this single-threaded
    code CPU time equals wall time when nothing else runs.
    """
    times: dict[str, list[float]] = {name: [] for name in cases}
    for rep in range(reps + 1):
        for name, case in cases.items():
            case.reset()
            gc.collect()
            if not gc_on:
                gc.disable()
            try:
                start = time.process_time()
                case.run()
                elapsed = time.process_time() - start
            finally:
                gc.enable()
            if rep:
                times[name].append(elapsed)
    return {name: statistics.median(ts) for name, ts in times.items()}


def measure_back_to_back(cases: dict[str, Case], steps: int, reps: int) -> dict[str, float]:
    """Median seconds per step of ``steps`` steps run back to back, GC on, as a training loop runs them.

    Unlike ``measure``, nothing is collected between the steps: each step pays for freeing the graphs
    of the steps before it, as it does in training (micrograd's graphs are reference cycles, freed only
    by the cyclic collector while later steps run). Before each block (untimed): the reset and one
    ``gc.collect()``, so one case's garbage never lands in another case's block.
    """
    times: dict[str, list[float]] = {name: [] for name in cases}
    for rep in range(reps + 1):
        for name, case in cases.items():
            case.reset()
            gc.collect()
            start = time.process_time()
            for _ in range(steps):
                case.run()
            elapsed = time.process_time() - start
            if rep:
                times[name].append(elapsed / steps)
    return {name: statistics.median(ts) for name, ts in times.items()}


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log y against log x: the growth exponent of y in x."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def count_nodes(root: Any, children: Callable[[Any], Iterable[Any]]) -> int:
    """How many distinct nodes the graph under ``root`` has (iterative walk)."""
    seen, stack = {id(root)}, [root]
    while stack:
        for child in children(stack.pop()):
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def ratio(x: float) -> str:
    return f"{x:.2f}×"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


# --- the benchmarks ------------------------------------------------------------------------------


@dataclass
class Report:
    """Markdown lines for RESULTS.md, the floors checked (name, variant, ok, figure) and facts for the reading."""

    lines: list[str]
    floors: list[tuple[str, str, bool, str]]
    facts: dict[str, Any]

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)
        print("\n".join(lines), flush=True)


def bench_step(report: Report, trainers: dict[str, Trainer], init: Sequence[float], reps: int) -> None:
    """(1) One full-batch training step of the moons demo, every variant against micrograd."""
    rows, targets = make_moons()
    first_loss, nodes = {}, {}
    for name, trainer in trainers.items():
        trainer.reset(init)
        first_loss[name], nodes[name] = graph_size(trainer, rows, targets)
    cases = {
        name: Case(run=lambda t=t: t.step(rows, targets), reset=lambda t=t: t.reset(init))
        for name, t in trainers.items()
    }
    on, off = measure(cases, reps, gc_on=True), measure(cases, reps, gc_on=False)
    steps, block_reps = (3, 1) if reps < 5 else (5, 3)
    chained = measure_back_to_back(cases, steps, block_reps)
    out = []
    for name in trainers:
        r_on, r_off, r_chain = on[BASELINE] / on[name], off[BASELINE] / off[name], chained[BASELINE] / chained[name]
        out.append([name, nodes[name], f"{first_loss[name]:.12f}", ms(chained[name]), ratio(r_chain), ms(on[name]),
                    ratio(r_on), ms(off[name]), ratio(r_off)])
        if name != BASELINE:
            report.floors.append(("(1) step, GC on ≥ 5×", name, r_on >= 5, ratio(r_on)))
            report.floors.append(("(1) step, GC off ≥ 3×", name, r_off >= 3, ratio(r_off)))
            report.floors.append(("(5) full-batch epoch, GC on ≥ 5× (issue 4) = (1)", name, r_on >= 5, ratio(r_on)))
        if name == REPLAY:
            report.floors.append(("(1) replayed step, GC on ≥ 20× (issue 7)", name, r_on >= 20, ratio(r_on)))
    report.facts["step"] = {"on": on, "off": off, "nodes": nodes, "chained": chained}
    report.add(
        "## (1) One training step of micrograd's moons demo",
        "",
        "2-16-16-1 ReLU MLP (337 parameters), 100 moons points, mean hinge loss + 1e-4·L2, backward, SGD "
        f"(lr {LR}); all variants start from micrograd's initial parameters. Ratio = micrograd time / this time.",
        "",
        f"- **back to back** (what training costs): {steps} steps in a row with GC on, nothing collected between "
        f"them, so each step also pays for freeing the graphs before it; median of {block_reps} blocks per step.",
        f"- **isolated**: one step after an untimed reset and `gc.collect()`, median of {reps} after a warm-up, "
        "with GC on and off: the freeing of micrograd's previous graph (its reference cycles) is not in it.",
        "",
        *table(["variant", "graph nodes", "loss (same numbers)", "ms back to back", "ratio back to back",
                "ms isolated GC on", "ratio isolated GC on", "ms isolated GC off", "ratio isolated GC off"], out),
    )


def graph_size(trainer: Trainer, rows: Rows, targets: Sequence[int]) -> tuple[float, int]:
    """The loss at the current parameters and its graph's node count (the graph dies on return, before any timing)."""
    root = trainer.loss(rows, targets)
    return root.data, count_nodes(root, trainer.children)


def chain(x: Any, n: int) -> Any:
    """A chain of ``n`` ops from the leaf ``x``, alternating ``* 1.0001`` and ``relu`` (ops both libraries have)."""
    for i in range(n):
        x = x * 1.0001 if i % 2 == 0 else x.relu()
    return x


def bench_chain(report: Report, sizes: Sequence[int], reps: int) -> None:
    """(2) A chain of N ops, forward + backward: microgradnet at every N; micrograd at its default recursion limit."""
    limit = sys.getrecursionlimit()
    out, all_ran = [], True
    for n in sizes:
        cases = {"mg": Case(run=lambda n=n: chain(mg.Value(1.0), n).backward())}
        t_mg = measure(cases, reps, gc_on=True)["mg"]
        grad_ok = _chain_grad_ok(n)
        all_ran = all_ran and grad_ok
        try:
            chain(micrograd.engine.Value(1.0), n).backward()
            micro = "ran"
        except RecursionError:
            micro = f"RecursionError (limit {limit})"
        out.append([f"{n:,}", ms(t_mg), "yes" if grad_ok else "NO", micro])
    report.floors.append(("(2) chain runs at every N", "microgradnet", all_ran, "all N" if all_ran else "failed"))
    report.add(
        "## (2) A chain of N ops, forward + backward",
        "",
        "Alternating `*1.0001` and `relu` (micrograd 0.1.0 has no tanh); microgradnet median of "
        f"{reps} with GC on; micrograd tried once at its default recursion limit.",
        "",
        *table(["N", "microgradnet ms", "input grad = 1.0001^(N/2)", "micrograd"], out),
    )


def _chain_grad_ok(n: int) -> bool:
    """The leaf's gradient after backward equals the closed form 1.0001 ** ceil(N / 2)."""
    x = mg.Value(1.0)
    chain(x, n).backward()
    return math.isclose(x.grad, 1.0001 ** ((n + 1) // 2), rel_tol=1e-9)


def bench_sum(report: Report, sizes: Sequence[int], reps: int) -> None:
    """(3) A sum of N products, forward + backward; micrograd gets the recursion limit it needs."""
    rng = random.Random(SEED)
    out, t_mg, t_micro = [], {}, {}
    limit = sys.getrecursionlimit()
    try:
        for n in sizes:
            pairs = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(n)]
            a = [(mg.Value(x), mg.Value(y)) for x, y in pairs]
            b = [(micrograd.engine.Value(x), micrograd.engine.Value(y)) for x, y in pairs]
            sys.setrecursionlimit(max(limit, 2 * n + 1000))
            _check_same_sum(a, b)
            cases = {
                "mg": Case(run=lambda a=a: mg.sum([x * y for x, y in a]).backward()),
                BASELINE: Case(run=lambda b=b: sum(x * y for x, y in b).backward()),
            }
            on, off = measure(cases, reps, gc_on=True), measure(cases, reps, gc_on=False)
            t_mg[n], t_micro[n] = on["mg"], on[BASELINE]
            r_on, r_off = on[BASELINE] / on["mg"], off[BASELINE] / off["mg"]
            out.append([f"{n:,}", ms(on["mg"]), ms(on[BASELINE]), ratio(r_on), ms(off["mg"]), ms(off[BASELINE]),
                        ratio(r_off)])
            if n == 10_000:
                floor = "(3) sum of products N = 10^4, GC on ≥ 4×"
                report.floors.append((floor, "microgradnet", r_on >= 4, ratio(r_on)))
                report.facts["sum_10k"] = (r_on, r_off)
    finally:
        sys.setrecursionlimit(limit)
    exponent, exponent_micro = slope(list(t_mg), list(t_mg.values())), slope(list(t_micro), list(t_micro.values()))
    report.floors.append(("(3) growth exponent ≤ 1.15", "microgradnet", exponent <= 1.15, f"{exponent:.3f}"))
    report.facts["sum_exponent"] = exponent
    report.add(
        "## (3) A sum of N products, forward + backward",
        "",
        "microgradnet `microgradnet.sum([a_i*b_i ...])` (one n-ary node) vs micrograd `sum(a_i*b_i ...)` "
        f"(a chain of N additions; recursion limit raised to 2N + 1000); median of {reps}.",
        "",
        *table(["N", "mg ms GC on", "micrograd ms GC on", "ratio GC on", "mg ms GC off", "micrograd ms GC off",
                "ratio GC off"], out),
        f"Growth exponent (least-squares slope of log t vs log N, GC on): microgradnet **{exponent:.3f}**, "
        f"micrograd {exponent_micro:.3f}.",
        "",
    )


def _check_same_sum(a: Sequence[tuple[Any, Any]], b: Sequence[tuple[Any, Any]]) -> None:
    """Both libraries compute the same sum of products (their graphs are freed before anything is timed)."""
    mine, theirs = mg.sum([x * y for x, y in a]).data, sum(x * y for x, y in b).data
    if not math.isclose(mine, theirs, rel_tol=1e-9, abs_tol=1e-9):
        raise AssertionError(f"sum of {len(a)} products: microgradnet {mine!r} != micrograd {theirs!r}")


def graph_memory(trainer: Trainer, rows: Rows, targets: Sequence[int]) -> tuple[int, int]:
    """tracemalloc (peak, retained) bytes of building the loss graph and backpropagating through it.

    Retained is measured after a ``gc.collect()`` with the graph still alive: what it costs to hold it.
    """
    gc.collect()
    tracemalloc.start()
    try:
        root = trainer.loss(rows, targets)
        root.backward()
        gc.collect()
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del root
    return peak, retained


def bench_memory(report: Report, trainers: dict[str, Trainer], init: Sequence[float]) -> None:
    """(4) Memory of the whole moons-step graph after forward + backward, as a ratio to micrograd."""
    rows, targets = make_moons()
    memory = {}
    for name, trainer in trainers.items():
        trainer.reset(init)
        memory[name] = graph_memory(trainer, rows, targets)
    base_peak, base_kept = memory[BASELINE]
    out = []
    for name, (peak, kept) in memory.items():
        out.append([name, f"{peak / 1024:,.0f}", ratio(peak / base_peak), f"{kept / 1024:,.0f}",
                    ratio(kept / base_kept)])
        if name != BASELINE:
            report.floors.append(("(4) memory, peak ≤ 0.3×", name, peak / base_peak <= 0.3, ratio(peak / base_peak)))
            kept_ratio = kept / base_kept
            report.floors.append(("(4) memory, retained ≤ 0.3×", name, kept_ratio <= 0.3, ratio(kept_ratio)))
    report.add(
        "## (4) Memory of the moons-step graph (tracemalloc)",
        "",
        "Forward over all 100 points + loss + backward; peak during that, and retained with the graph alive "
        "(after `gc.collect()`). Ratio = this / micrograd (below 1: smaller).",
        "",
        *table(["variant", "peak KiB", "peak ratio", "retained KiB", "retained ratio"], out),
    )


def epoch(trainer: Trainer, rows: Rows, targets: Sequence[int], order: Sequence[int], batch: int) -> None:
    """One epoch of minibatch SGD over ``rows`` in ``order``."""
    for i in range(0, len(order), batch):
        idx = order[i : i + batch]
        trainer.step([rows[j] for j in idx], [targets[j] for j in idx])


def bench_epoch(report: Report, trainers: dict[str, Trainer], init: Sequence[float], reps: int) -> None:
    """(5) One minibatch epoch (batch 10, seeded shuffle); the full-batch epoch is (1)."""
    rows, targets = make_moons()
    order = list(range(len(rows)))
    random.Random(SEED).shuffle(order)
    cases = {
        name: Case(run=lambda t=t: epoch(t, rows, targets, order, BATCH), reset=lambda t=t: t.reset(init))
        for name, t in trainers.items()
    }
    on, off = measure(cases, reps, gc_on=True), measure(cases, reps, gc_on=False)
    out = []
    for name in trainers:
        r_on, r_off = on[BASELINE] / on[name], off[BASELINE] / off[name]
        out.append([name, ms(on[name]), ratio(r_on), ms(off[name]), ratio(r_off)])
        if name != BASELINE:
            report.floors.append((f"(5) minibatch epoch (batch {BATCH}), GC on ≥ 5×", name, r_on >= 5, ratio(r_on)))
    report.facts["epoch"] = {"on": on, "off": off}
    report.add(
        "## (5) One training epoch of the moons demo",
        "",
        "Full batch (the demo's setting: 100 samples, one step per epoch) is exactly (1). Minibatch: "
        f"{len(rows) // BATCH} steps of {BATCH} samples each (same seeded order for all), each step mean hinge "
        f"+ 1e-4·L2, backward, SGD; timed as a whole epoch, median of {reps}.",
        "",
        *table(["variant", "ms GC on", "ratio GC on", "ms GC off", "ratio GC off"], out),
    )


def torch_available() -> str:
    """Empty when PyTorch can be imported (the optional peer of (6) and (7)), else why not."""
    try:
        importlib.import_module("torch")
    except ImportError as error:
        return f"{type(error).__name__}: {error}"
    return ""


def torch_trainer(init: Sequence[float], sizes: Sequence[int]) -> Callable[[Any, Any, float], float]:
    """The demo's network in PyTorch with batched float64 tensors (one weight matrix per layer), single-threaded:
    a step is forward over the whole batch, mean hinge + ALPHA·L2, autograd backward and SGD by hand."""
    torch = importlib.import_module("torch")
    torch.set_num_threads(1)
    layers, i = [], 0
    numbers = list(init) if init else []
    for nin, nout in zip(sizes, sizes[1:]):
        if numbers:
            block = torch.tensor(numbers[i : i + nout * (nin + 1)], dtype=torch.float64).reshape(nout, nin + 1)
        else:
            block = torch.cat([torch.empty(nout, nin, dtype=torch.float64).uniform_(-1, 1),
                               torch.zeros(nout, 1, dtype=torch.float64)], dim=1)
        i += nout * (nin + 1)
        layers.append((block[:, :nin].clone().requires_grad_(), block[:, nin].clone().requires_grad_()))
    params = [p for layer in layers for p in layer]

    def step(X: Any, y: Any, lr: float) -> float:
        h = X
        for depth, (w, b) in enumerate(layers):
            h = h @ w.T + b
            if depth < len(layers) - 1:
                h = torch.relu(h)
        scores = h[:, 0]
        loss = torch.relu(1 - y * scores).mean() + ALPHA * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return float(loss)

    return step


def demo_fit(init: Sequence[float], rows: Rows, targets: Sequence[int], compile: Any) -> Any:
    """microgradnet's moons demo as users run it: ``fit`` for 100 epochs from micrograd's initial parameters."""
    model = mg.MLP(SIZES[0], SIZES[1:], seed=SEED)
    for p, x in zip(model.parameters(), init):
        p.data = x
    return mg.fit(model, rows, targets, loss="hinge", epochs=DEMO_EPOCHS, l2=ALPHA, lr=LR,
                  lr_schedule=lambda k: 1.0 - 0.9 * k / DEMO_EPOCHS, progress=False, compile=compile)


DEMO_EPOCHS = 100
DEMO_VARIANTS = {"microgradnet fit (graph each step)": False, "microgradnet fit(compile=True) (rows)": True,
                 "microgradnet fit(compile='batch')": "batch"}
BATCHED_DEMO = "microgradnet fit(compile='batch')"
TORCH = "PyTorch 2 batched float64 (1 thread)"


def bench_demo(report: Report, init: Sequence[float], reps: int) -> None:
    """(6) micrograd's whole moons demo (100 epochs, full batch, lr 1.0 -> 0.1) by each path, and PyTorch."""
    rows, targets = make_moons()
    micro_step = report.facts["step"]["chained"][BASELINE]
    seconds = {BASELINE: DEMO_EPOCHS * micro_step}
    final = {}
    demo_reps = 1 if reps < 5 else 3
    for name, compile in DEMO_VARIANTS.items():
        runs = []
        for _ in range(demo_reps + (compile == "batch")):  # the batched path is short: one warm-up first
            gc.collect()
            start = time.process_time()
            history = demo_fit(init, rows, targets, compile)
            runs.append(time.process_time() - start)
        seconds[name] = statistics.median(runs[-demo_reps:])
        final[name] = f"{history.loss[-1]:.12f}, {history.accuracy[-1]:.0%}"
    torch_note = torch_available()
    if not torch_note:
        torch = importlib.import_module("torch")
        X = torch.tensor(rows, dtype=torch.float64)
        y = torch.tensor(targets, dtype=torch.float64)
        runs = []
        for _ in range(demo_reps + 1):
            step = torch_trainer(init, SIZES)
            gc.collect()
            start = time.process_time()
            for k in range(DEMO_EPOCHS):
                last = step(X, y, 1.0 - 0.9 * k / DEMO_EPOCHS)
            runs.append(time.process_time() - start)
        seconds[TORCH] = statistics.median(runs[-demo_reps:])
        final[TORCH] = f"{last:.12f} (objective after the last step's update: not comparable)"
    out = [[name, f"{t:.3f}", ratio(seconds[BASELINE] / t), ratio(t / seconds[TORCH]) if TORCH in seconds else "-",
            final.get(name, "(100 × its back-to-back step in (1))")] for name, t in seconds.items()]
    batched = seconds[BASELINE] / seconds[BATCHED_DEMO]
    floor = "(6) 100-epoch demo ≥ 700× micrograd (issue 17)"
    report.floors.append((floor, BATCHED_DEMO, batched >= 700, ratio(batched)))
    if TORCH in seconds:
        versus = seconds[BATCHED_DEMO] / seconds[TORCH]
        report.floors.append(("(6) 100-epoch demo within 1.5× of PyTorch (issue 17)", BATCHED_DEMO, versus <= 1.5,
                              ratio(versus)))
    report.facts["demo"] = seconds
    report.add(
        "## (6) micrograd's whole moons demo: 100 epochs",
        "",
        "The demo as users run it: 100 full-batch epochs of (1) with the learning rate falling 1.0 -> 0.1. "
        "microgradnet by `fit` (its per-epoch loss and accuracy included; the batched path includes recording "
        f"its tape), median of {demo_reps} runs; micrograd as 100 × its back-to-back step of (1) (its step does "
        "not change from epoch to epoch, and 100 epochs take minutes). PyTorch: the same network with one float64 "
        "matrix per layer, autograd and SGD by hand, `torch.set_num_threads(1)`"
        + (f" — not measured: {torch_note} (`pip install torch`)." if torch_note else "."),
        "",
        *table(["path", "seconds", "× micrograd", "time / PyTorch's", "last epoch's loss, accuracy"], out),
    )


def bench_growth(report: Report, reps: int) -> None:
    """(7) How a batched step grows with batch size (width 16) and width (batch 100): times and exponents."""
    torch_note = torch_available()

    def cases(width: int, n: int) -> dict[str, Case]:
        rows, targets = make_moons(n)
        sizes = [2, width, width, 1]
        model = mg.MLP(sizes[0], sizes[1:], seed=SEED)
        compiled = mg.compile_loss(model, "hinge", l2=ALPHA, batched=True)
        trainer = ReplayTrainer(model.parameters(), lambda r, t: None, lambda v: v.inputs, model, compiled)
        out = {BATCHED_DEMO: Case(run=lambda: trainer.step(rows, targets))}
        if not torch_note:
            torch = importlib.import_module("torch")
            X, y = torch.tensor(rows, dtype=torch.float64), torch.tensor(targets, dtype=torch.float64)
            step = torch_trainer([], sizes)
            out[TORCH] = Case(run=lambda: step(X, y, LR))
        return out

    lines = []
    for what, points in (("batch size (width 16)", [(16, n) for n in (100, 1_000, 10_000)]),
                         ("width (batch 100)", [(w, 100) for w in (16, 64, 256)])):
        times: dict[str, list[float]] = {}
        for width, n in points:
            for name, t in measure(cases(width, n), reps, gc_on=True).items():
                times.setdefault(name, []).append(t)
        xs = [n if what.startswith("batch") else w for w, n in points]
        rows = [[f"{x:,}", *(ms(times[name][k]) for name in times)] for k, x in enumerate(xs)]
        rows.append(["exponent", *(f"**{slope(xs, times[name]):.2f}**" for name in times)])
        report.facts[f"growth {what}"] = {name: slope(xs, ts) for name, ts in times.items()}
        lines += [f"Growth with {what}, ms per step:", "", *table([what.split(" (")[0], *times], rows)]
    report.add(
        "## (7) Growth of a batched step",
        "",
        "One step (forward, mean hinge + 1e-4·L2, backward, SGD) of a 2-w-w-1 ReLU MLP on n moons points; "
        f"median of {reps}, GC on. Exponent: least-squares slope of log time against log size."
        + (f" PyTorch not measured: {torch_note}." if torch_note else ""),
        "",
        *lines,
    )


def floors_section(report: Report) -> None:
    """The floors of issues 3, 4 and 7, PASS/FAIL per variant."""
    report.add(
        "## Floors",
        "",
        *table(["floor", "variant", "figure", "result"], [[f, v, fig, verdict(ok)] for f, v, ok, fig in report.floors]),
    )


def reading(report: Report, library_note: str) -> None:
    """A short reading generated from the figures, with the mechanisms that explain them."""
    step = report.facts["step"]
    nodes = step["nodes"]
    failed = sorted({f"{v}: {f}" for f, v, ok, _ in report.floors if not ok})
    passed_all = sorted({v for _, v, _, _ in report.floors} - {s.split(":")[0] for s in failed})
    gc_share = 1 - step["off"][BASELINE] / step["on"][BASELINE]
    lines = [
        "## Reading",
        "",
        f"- Variants meeting every floor they are checked against: {', '.join(passed_all) or 'none'}.",
        f"- Floors missed: {'; '.join(failed) if failed else 'none'}.",
        f"- micrograd spends {gc_share:.0%} of its step time in the cyclic garbage collector (GC on vs off): each "
        "node's `_backward` closure refers back to the node, a reference cycle only the collector can free, and "
        "every collection re-traverses the live graph. microgradnet nodes hold numbers (`local_grads`), not "
        "closures, so the graph is cycle-free and freed by reference counting as the step returns.",
    ]
    a, b = ELEMENTWISE, DOT
    off = {name: step["off"][BASELINE] / step["off"][name] for name in (a, b)}
    lines.append(
        f"- The dot variant's graph has {nodes[b]:,} nodes against {nodes[a]:,} for (a) and {nodes[BASELINE]:,} for "
        f"micrograd ({nodes[BASELINE] / nodes[b]:.1f}× fewer): one node per weighted sum instead of one per product "
        f"and addition. With the collector off only node count and per-node cost remain: (b) is {off[b]:.2f}× "
        f"micrograd there, (a) {off[a]:.2f}×."
    )
    if "sum_10k" in report.facts:
        r_on, r_off = report.facts["sum_10k"]
        lines.append(
            f"- The sum of 10^4 products is {r_on:.2f}× micrograd with GC on but {r_off:.2f}× with GC off: there the "
            "lead comes from micrograd's collector, not from a cheaper node (a product is one node in both "
            "libraries). micrograd's GC-on time jumps with each full collection, so this ratio moves from run to run "
            "and is not monotonic in N."
        )
    chained = step["chained"]
    lines.append(
        f"- Back to back, micrograd's step costs {ms(chained[BASELINE])} ms against {ms(step['on'][BASELINE])} ms "
        "isolated: the difference is the cyclic collector freeing the previous steps' graphs, which the isolated "
        "figure leaves out (collected, untimed, before each repetition). The back-to-back column is what a "
        "training loop pays; (5) and (6) run steps back to back too."
    )
    if "demo" in report.facts:
        demo = report.facts["demo"]
        torch_part = (f", {demo[BATCHED_DEMO] / demo[TORCH]:.2f}× PyTorch's time" if TORCH in demo else "")
        lines.append(
            f"- The whole demo: {demo[BATCHED_DEMO]:.3f} s with the batched replay, "
            f"{demo[BASELINE] / demo[BATCHED_DEMO]:,.0f}× micrograd{torch_part}. One sample's tape (68 instructions) "
            "replayed with each slot a NumPy array of the batch; a layer's 16 dot nodes run as one matrix product."
        )
    lines.append(
        f"- The machine is shared (load average {report.facts['load']} at the start): times are CPU time of this "
        "process, not wall time, and cases are interleaved repetition by repetition so both libraries see the same "
        "load; single figures still move by several percent from run to run."
    )
    if library_note:
        lines.append(f"- Variant (c) (the library's MLP + losses) was not measured: {library_note}.")
    lines.append("")
    report.add(*lines)


def run(quick: bool) -> Report:
    """Every benchmark, the floors and the reading; returns the report."""
    reps = 3 if quick else 11
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    report = Report([], [], {"load": load})
    report.add(
        "# microgradnet vs micrograd 0.1.0",
        "",
        f"Command: `python benchmarks/bench.py{' --quick' if quick else ''}` (from the repository root)  ",
        f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load}  ",
        f"Date: {datetime.date.today().isoformat()}",
        "",
    )
    init = initial_parameters()
    variants = dict(STEP_VARIANTS)
    library_note = library_available()
    if not library_note:
        variants[LIBRARY_VARIANT] = library_trainer
    trainers = {name: make(init) for name, make in variants.items()}
    bench_step(report, trainers, init, reps)
    bench_chain(report, [1_000, 10_000] if quick else [1_000, 10_000, 100_000], reps)
    bench_sum(report, [1_000, 3_000, 10_000] if quick else [1_000, 3_000, 10_000, 30_000, 100_000], reps)
    bench_memory(report, trainers, init)
    bench_epoch(report, trainers, init, reps)
    bench_demo(report, init, reps)
    bench_growth(report, reps)
    floors_section(report)
    reading(report, library_note)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the benchmarks (on a big thread stack for micrograd's recursion) and write RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run: fewer repetitions and sizes, no file written")
    args = parser.parse_args(argv)
    if "numpy" not in sys.modules:  # one BLAS thread, as PyTorch's set_num_threads(1): CPU time then counts work,
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # not spinning threads
            os.environ.setdefault(variable, "1")
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["report"] = run(args.quick)
        except BaseException as error:  # re-raised in the main thread
            outcome["error"] = error

    # micrograd's build_topo recurses once per node of depth; a large C stack keeps deep recursion safe
    threading.stack_size(512 * 1024 * 1024)
    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    if not args.quick:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
        mg.files.write_atomic(path, "\n".join(outcome["report"].lines), "bench.py")
        print(f"wrote {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
