"""Small toy data sets for the lecture examples, in pure Python and deterministic per seed.

Each classification set is ``(X, y)``: a list of float lists and a list of int labels 0..K-1.
Every function draws from its own ``random.Random(seed)``: same seed, same data.
"""
from __future__ import annotations

import math
import random
from collections.abc import Sequence
from numbers import Integral
from typing import Any

from .engine import as_float, as_int


def _scale(name: str, value: Any) -> float:
    """``value`` as a finite float >= 0 (a noise level or a spread)."""
    x = as_float(value, name)
    if not (x >= 0 and math.isfinite(x)):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return x


def _linspace(low: float, high: float, n: int) -> list[float]:
    """``n`` evenly spaced numbers from ``low`` to ``high`` inclusive."""
    if n == 1:
        return [low]
    return [low + (high - low) * i / (n - 1) for i in range(n)]


def _shuffled(rng: random.Random, X: list[list[float]], y: list[Any]) -> tuple[list[list[float]], list[Any]]:
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles (scikit-learn's make_moons): upper moon class 0, lower moon class 1."""
    n = as_int(n, "make_moons: n", 2)
    noise = _scale("make_moons: noise", noise)
    rng = random.Random(seed)
    n_upper = n // 2
    X = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_upper)]
    X += [[1.0 - math.cos(t), 0.5 - math.sin(t)] for t in _linspace(0.0, math.pi, n - n_upper)]
    y = [0] * n_upper + [1] * (n - n_upper)
    X = [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in X]
    return _shuffled(rng, X, y)


def make_circles(
    n: int = 100, noise: float = 0.05, seed: int = 0, factor: float = 0.5
) -> tuple[list[list[float]], list[int]]:
    """A circle of radius 1 (class 0) around one of radius ``factor`` (class 1): not linearly separable."""
    n = as_int(n, "make_circles: n", 2)
    noise = _scale("make_circles: noise", noise)
    factor = as_float(factor, "make_circles factor")
    if not 0 < factor < 1:
        raise ValueError(f"make_circles factor: expected a number in (0, 1), got {factor!r}")
    rng = random.Random(seed)
    n_outer = n // 2
    X: list[list[float]] = []
    for count, radius in ((n_outer, 1.0), (n - n_outer, factor)):
        angles = [2 * math.pi * i / count for i in range(count)]
        X += [[radius * math.cos(a), radius * math.sin(a)] for a in angles]
    y = [0] * n_outer + [1] * (n - n_outer)
    X = [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in X]
    return _shuffled(rng, X, y)


_XOR_CORNERS = (([0.0, 0.0], 0), ([0.0, 1.0], 1), ([1.0, 0.0], 1), ([1.0, 1.0], 0))


def make_xor(n: int = 4, noise: float = 0.0, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """The XOR table of lecture 001: point i is corner i % 4 of (0,0),(0,1),(1,0),(1,1), labels 0,1,1,0, plus noise.

    With n=4 and noise=0 it is exactly the four corners in that order.
    """
    n = as_int(n, "make_xor: n", 1)
    noise = _scale("make_xor: noise", noise)
    rng = random.Random(seed)
    X = [[c + rng.gauss(0.0, noise) if noise else c for c in _XOR_CORNERS[i % 4][0]] for i in range(n)]
    return X, [_XOR_CORNERS[i % 4][1] for i in range(n)]


def make_spirals(
    n: int = 100, classes: int = 2, seed: int = 0, noise: float = 0.2
) -> tuple[list[list[float]], list[int]]:
    """``classes`` interleaved spiral arms (CS231n's spiral data), one class per arm, radius 0 to 1.

    Arm k turns 4 radians from angle 2πk/classes, so the arms are evenly spaced at every radius.
    """
    n = as_int(n, "make_spirals: n", 1)
    classes = as_int(classes, "make_spirals: classes", 2)
    noise = _scale("make_spirals: noise", noise)
    rng = random.Random(seed)
    X: list[list[float]] = []
    y: list[int] = []
    for k in range(classes):
        count = n // classes + (1 if k < n % classes else 0)
        start = 2 * math.pi * k / classes
        for radius, angle in zip(_linspace(0.0, 1.0, count), _linspace(start, start + 4.0, count)):
            angle += rng.gauss(0.0, noise)
            X.append([radius * math.sin(angle), radius * math.cos(angle)])
            y.append(k)
    return _shuffled(rng, X, y)


def make_blobs(
    n: int = 100, centers: int | Sequence[Sequence[float]] = 3, seed: int = 0, std: float = 0.5
) -> tuple[list[list[float]], list[int]]:
    """Gaussian blobs of spread ``std``, one class per center.

    ``centers`` is a count (that many centers evenly spaced on a circle of radius 2) or a list of points.
    """
    n = as_int(n, "make_blobs: n", 1)
    std = _scale("make_blobs: std", std)
    if isinstance(centers, (int, Integral)):  # int first: mypy narrows on it
        k = as_int(centers, "make_blobs: centers", 1)
        points = [[2.0 * math.cos(2 * math.pi * j / k), 2.0 * math.sin(2 * math.pi * j / k)] for j in range(k)]
    else:
        points = [[as_float(c, "make_blobs center coordinate") for c in center] for center in centers]
        if not points or len({len(p) for p in points}) != 1:
            raise ValueError(f"make_blobs centers: expected a non-empty list of points of one dimension, got {centers}")
    rng = random.Random(seed)
    y = [i % len(points) for i in range(n)]
    X = [[c + rng.gauss(0.0, std) for c in points[label]] for label in y]
    return _shuffled(rng, X, y)


def make_sine(n: int = 50, low: float = -math.pi, high: float = math.pi, noise: float = 0.0,
              seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """A 1-D regression set y = sin(x) (+ Gaussian noise) at ``n`` evenly spaced x in [low, high], x as [[x]]."""
    n = as_int(n, "make_sine: n", 1)
    noise = _scale("make_sine: noise", noise)
    low, high = as_float(low, "make_sine low"), as_float(high, "make_sine high")
    if not low < high:
        raise ValueError(f"make_sine: expected low < high, got low={low!r}, high={high!r}")
    rng = random.Random(seed)
    xs = _linspace(low, high, n)
    return [[x] for x in xs], [math.sin(x) + (rng.gauss(0.0, noise) if noise else 0.0) for x in xs]


def train_test_split(
    X: Sequence[Sequence[float]], y: Sequence[Any], test_size: float = 0.25, seed: int = 0
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """A random split ``(X_train, X_test, y_train, y_test)``; ``test_size`` is a fraction in (0, 1) or a count."""
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X and y must have the same length, got {len(X)} and {len(y)}")
    n = len(X)
    if isinstance(test_size, Integral) and not isinstance(test_size, bool):
        n_test = int(test_size)
    else:
        fraction = as_float(test_size, "train_test_split test_size")
        if not 0 < fraction < 1:
            raise ValueError(f"train_test_split: test_size must be a fraction in (0, 1) or a count, got {test_size!r}")
        n_test = math.ceil(fraction * n)
    if not 0 < n_test < n:
        raise ValueError(
            f"train_test_split: test_size={test_size!r} leaves {n_test} of {n} samples for testing; "
            "both parts must be non-empty"
        )
    order = list(range(n))
    random.Random(seed).shuffle(order)
    test, train = order[:n_test], order[n_test:]
    return [list(X[i]) for i in train], [list(X[i]) for i in test], [y[i] for i in train], [y[i] for i in test]
