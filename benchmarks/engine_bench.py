"""The dynamic engine beside micrograd 0.1.0: the wide sum and the moons step, GC on, as ratios (issues 15 and 17).

``python benchmarks/engine_bench.py [--reps N]`` prints one table. Each case runs back to back,
as a training loop does: the garbage collector stays on and is never called between
repetitions, so each figure includes freeing the previous repetition's graph (bench.py's
figures call ``gc.collect()`` untimed before each repetition and so leave that cost out).
The two libraries alternate, repetition by repetition, so both see the same machine load.
Ratio = micrograd time / microgradnet time (above 1: microgradnet is faster).
"""
from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import threading
import time
from typing import Any, Callable

import microgradnet as mg

try:
    import micrograd.engine
    import micrograd.nn
except ImportError as error:
    raise SystemExit(f"engine_bench.py needs micrograd 0.1.0: pip install -e '.[bench]' ({error})") from error

from bench import dot_trainer, initial_parameters, library_trainer, make_moons, micrograd_trainer

N_SUM = 10_000


def wide_sum_cases() -> dict[str, Callable[[], Any]]:
    """A sum of 10^4 products, forward + backward: microgradnet's n-ary sum, micrograd's chain of additions."""
    rng = random.Random(0)
    pairs = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(N_SUM)]
    a = [(mg.Value(x), mg.Value(y)) for x, y in pairs]
    b = [(micrograd.engine.Value(x), micrograd.engine.Value(y)) for x, y in pairs]
    return {
        "micrograd": lambda: sum(x * y for x, y in b).backward(),
        "microgradnet": lambda: mg.sum([x * y for x, y in a]).backward(),
    }


def moons_cases() -> dict[str, Callable[[], Any]]:
    """One SGD step of the moons demo (2-16-16-1, 100 points, hinge + 1e-4 L2): micrograd's, the library's MLP."""
    rows, targets = make_moons()
    init = initial_parameters()
    trainers = {"micrograd": micrograd_trainer(init), "microgradnet": library_trainer(init),
                "microgradnet dot": dot_trainer(init)}
    return {name: (lambda t=t: t.step(rows, targets, lr=0.0)) for name, t in trainers.items()}


def run(cases: dict[str, Callable[[], Any]], reps: int) -> dict[str, float]:
    """Median CPU seconds per case, the cases interleaved, GC on, back to back (no collection between)."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for f in cases.values():
        f()  # warm-up
    gc.enable()
    for _ in range(reps):
        for name, f in cases.items():
            start = time.process_time()
            f()
            times[name].append(time.process_time() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def threaded_moons(reps: int) -> float:
    """CPU seconds per moons step with two threads stepping two models at once (the thread-safety path)."""
    rows, targets = make_moons()
    init = initial_parameters()
    trainers = [library_trainer(init), library_trainer(init)]
    barrier = threading.Barrier(2)

    def work(t: Any) -> None:
        barrier.wait()
        for _ in range(reps):
            t.step(rows, targets, lr=0.0)

    threads = [threading.Thread(target=work, args=(t,)) for t in trainers]
    start = time.process_time()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return (time.process_time() - start) / (2 * reps)


def main(argv: list[str] | None = None) -> None:
    """Print the wide-sum and moons-step figures and their ratios to micrograd."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 2 * N_SUM + 1000))  # micrograd's recursive backward
    print(f"Python {sys.version.split()[0]}, GC on, back-to-back repetitions, median of {args.reps}")
    print("| case | micrograd ms | microgradnet ms | ratio |\n|---|---|---|---|")
    for title, cases in (("sum of 10^4 products", wide_sum_cases()), ("moons step (c) MLP", moons_cases())):
        t = run(cases, args.reps)
        for name in [n for n in t if n != "micrograd"]:
            print(f"| {title}: {name} | {t['micrograd'] * 1e3:.2f} | {t[name] * 1e3:.2f} | "
                  f"{t['micrograd'] / t[name]:.2f}× |")
    print(f"moons step (c), two threads at once: {threaded_moons(args.reps) * 1e3:.2f} ms per step")


if __name__ == "__main__":
    main()
