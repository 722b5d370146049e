"""Toy data sets: shapes, labels, determinism per seed, the geometry they promise, and bad arguments."""
from __future__ import annotations

import math

import pytest

from microgradnet.data import make_blobs, make_circles, make_moons, make_sine, make_spirals, make_xor, train_test_split

GENERATORS = {
    "moons": lambda seed: make_moons(60, seed=seed),
    "circles": lambda seed: make_circles(60, seed=seed),
    "xor": lambda seed: make_xor(60, noise=0.1, seed=seed),
    "spirals": lambda seed: make_spirals(60, classes=3, seed=seed),
    "blobs": lambda seed: make_blobs(60, centers=4, seed=seed),
}
CLASSES = {"moons": 2, "circles": 2, "xor": 2, "spirals": 3, "blobs": 4}


@pytest.mark.parametrize("name", GENERATORS)
def test_shapes_labels_and_balance(name: str) -> None:
    X, y = GENERATORS[name](0)
    assert len(X) == len(y) == 60
    assert all(len(x) == 2 and all(type(c) is float for c in x) for x in X)
    assert all(type(label) is int for label in y)
    k = CLASSES[name]
    assert sorted(set(y)) == list(range(k))
    assert all(y.count(c) == 60 // k for c in range(k))


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_data_other_seed_other_data(name: str) -> None:
    assert GENERATORS[name](7) == GENERATORS[name](7)
    assert GENERATORS[name](7)[0] != GENERATORS[name](8)[0]


def test_moons_without_noise_lie_on_their_half_circles() -> None:
    X, y = make_moons(50, noise=0.0)
    for (a, b), label in zip(X, y):
        if label == 0:  # upper moon: unit circle, y >= 0
            assert math.hypot(a, b) == pytest.approx(1.0, abs=1e-12) and b >= -1e-12
        else:  # lower moon: unit circle around (1, 0.5), y <= 0.5
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0, abs=1e-12) and b <= 0.5 + 1e-12


def test_circles_without_noise_have_radius_one_and_factor() -> None:
    X, y = make_circles(40, noise=0.0, factor=0.3)
    assert [math.hypot(*x) for x in X] == pytest.approx([1.0 if label == 0 else 0.3 for label in y], abs=1e-12)


def test_xor_is_the_lecture_table() -> None:
    assert make_xor() == ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    X, y = make_xor(8, noise=0.05, seed=3)
    assert y == [0, 1, 1, 0, 0, 1, 1, 0]
    assert all(abs(x[0] - round(x[0])) < 0.3 and round(x[0]) ^ round(x[1]) == label for x, label in zip(X, y))


def test_spirals_stay_within_the_unit_disc_with_arms_evenly_spaced() -> None:
    X, y = make_spirals(90, classes=3, noise=0.0)
    assert max(math.hypot(*x) for x in X) == pytest.approx(1.0, abs=1e-12)
    # noise 0: the outermost point of arm k sits at angle 2πk/3 + 4 (x = r sin a, y = r cos a)
    for k in range(3):
        outer = max((x for x, label in zip(X, y) if label == k), key=lambda x: math.hypot(*x))
        assert outer == pytest.approx([math.sin(2 * math.pi * k / 3 + 4), math.cos(2 * math.pi * k / 3 + 4)], abs=1e-12)


def test_blobs_gather_around_their_centers() -> None:
    X, y = make_blobs(300, centers=[[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]], std=0.5, seed=1)
    for c, center in enumerate([[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]]):
        members = [x for x, label in zip(X, y) if label == c]
        mean = [sum(m[d] for m in members) / len(members) for d in range(3)]
        assert mean == pytest.approx(center, abs=0.15)  # 150 points of std 0.5: standard error 0.04
    X, y = make_blobs(90, centers=3, std=0.0)
    # a count of centers: evenly spaced on the circle of radius 2
    for x, label in zip(X, y):
        angle = 2 * math.pi * label / 3
        assert x == pytest.approx([2 * math.cos(angle), 2 * math.sin(angle)], abs=1e-12)


def test_sine_is_exact_without_noise_and_spans_the_interval() -> None:
    X, y = make_sine(21)
    assert X[0] == [-math.pi] and X[-1] == [math.pi]
    assert y == [math.sin(x[0]) for x in X]
    X_noisy, y_noisy = make_sine(21, noise=0.1, seed=2)
    assert X_noisy == X and y_noisy != y and max(abs(a - b) for a, b in zip(y, y_noisy)) < 0.5


def test_train_test_split_partitions_deterministically() -> None:
    X, y = make_moons(40)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=5)
    assert (len(X_train), len(X_test), len(y_train), len(y_test)) == (30, 10, 30, 10)
    pairs = sorted(zip(map(tuple, X_train + X_test), y_train + y_test))
    assert pairs == sorted(zip(map(tuple, X), y))
    assert train_test_split(X, y, test_size=0.25, seed=5) == (X_train, X_test, y_train, y_test)
    assert train_test_split(X, y, test_size=0.25, seed=6)[1] != X_test
    assert len(train_test_split(X, y, test_size=7)[1]) == 7


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: make_moons(1), ValueError, "make_moons: n must be an int >= 2, got 1"),
        (lambda: make_moons(10.0), TypeError, "make_moons: n must be an int, got float"),
        (lambda: make_circles(10, noise=-0.1), ValueError, "make_circles: noise must be a finite number >= 0"),
        (lambda: make_circles(10, factor=1.5), ValueError, r"factor: expected a number in \(0, 1\)"),
        (lambda: make_spirals(10, classes=1), ValueError, "make_spirals: classes must be an int >= 2"),
        (lambda: make_blobs(10, centers=[[0.0, 0.0], [1.0]]), ValueError, "points of one dimension"),
        (lambda: make_sine(10, low=1.0, high=0.0), ValueError, "expected low < high"),
        (lambda: train_test_split([[0.0]] * 3, [0, 1]), ValueError, "same length, got 3 and 2"),
        (lambda: train_test_split([[0.0]] * 3, [0, 1, 0], test_size=1.5), ValueError, r"fraction in \(0, 1\)"),
        (lambda: train_test_split([[0.0]] * 3, [0, 1, 0], test_size=3), ValueError, "both parts must be non-empty"),
    ],
)
def test_bad_arguments_are_refused(call, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()
