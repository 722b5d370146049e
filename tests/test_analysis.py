"""Lecture row 5: paths versus backprop. Path counts against closed forms, the naive path sum
against backprop and central differences, and the max_paths guard."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import microgradnet as mg
from microgradnet import Value, numerical_grad, topological_order
from microgradnet.analysis import (
    count_edges,
    count_paths,
    diamond,
    enumerate_paths,
    path_counts,
    path_sum_grad,
)


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 10, 64, 500])
def test_diamond_has_2_to_the_depth_paths_and_4d_minus_2_edges(depth: int) -> None:
    root, x = diamond(depth)
    assert count_paths(root, x) == 2**depth  # exact integers, even for 2**500
    assert count_edges(root) == 4 * depth - 2
    assert len(topological_order(root)) == 2 * depth  # x, two nodes per inner layer, the root


def test_diamond_layers_follow_the_formula() -> None:
    root, x = diamond(3, 0.5)
    a2, b2 = root.inputs
    a1, b1 = a2.inputs
    assert (a1.inputs, b1.inputs) == ((x, x), (x, x))
    assert (a1.data, b1.data) == (0.25, 0.5**0.5)
    assert a2.data == a1.data * b1.data and b2.data == b1.data ** a1.data
    assert root.data == a2.data * b2.data and root.label == "a3"


@pytest.mark.parametrize("width, layers", [(1, 7), (2, 5), (3, 4), (4, 3), (5, 2)])
def test_fully_connected_layers_have_width_to_the_layers_paths(width: int, layers: int) -> None:
    x = Value(0.3, "x")
    layer = [x]
    for _ in range(layers):
        layer = [mg.sum(layer, start=float(j)) for j in range(width)]
    root = mg.sum(layer)
    assert count_paths(root, x) == width**layers
    assert count_edges(root) == width + (layers - 1) * width**2 + width
    root.backward()
    # every path is a product of 1s, so the derivative is the number of paths
    assert x.grad == path_sum_grad(root, x) == width**layers


def test_copy_node_paths_are_listed_with_their_local_gradients() -> None:
    x, y = Value(2.0, "x"), Value(3.0, "y")
    q = x + y
    f = x * q
    paths = enumerate_paths(f, x)
    assert [p.nodes for p in paths] == [(f, x), (f, q, x)]
    assert [p.local_grads for p in paths] == [(5.0, ), (2.0, 1.0)]  # df/dx = q, then df/dq = x and dq/dx = 1
    assert [p.product for p in paths] == [5.0, 2.0]
    assert path_sum_grad(f, x) == 7.0 and path_sum_grad(f, y) == 2.0
    f.backward()
    assert (x.grad, y.grad) == (7.0, 2.0)


def test_a_value_used_twice_by_one_op_is_two_paths() -> None:
    x = Value(3.0, "x")
    f = x * x
    assert count_paths(f, x) == 2
    assert [p.product for p in enumerate_paths(f, x)] == [3.0, 3.0]
    assert path_sum_grad(f, x) == 6.0


def test_path_counts_covers_every_node() -> None:
    x, y = Value(2.0, "x"), Value(3.0, "y")
    q = x + y
    f = x * q
    assert path_counts(f) == {f: 1, x: 2, q: 1, y: 1}


def test_unrelated_leaf_root_itself_and_an_inner_node() -> None:
    x, y, other = Value(0.5, "x"), Value(-1.5, "y"), Value(4.0, "other")
    h = (x * y).tanh()
    f = h * x + h.exp()
    assert (count_paths(f, other), enumerate_paths(f, other), path_sum_grad(f, other)) == (0, [], 0.0)
    assert isinstance(path_sum_grad(f, other), float)
    assert count_paths(f, f) == 1 and enumerate_paths(f, f)[0].nodes == (f,) and path_sum_grad(f, f) == 1.0
    assert count_paths(f, h) == 2
    f.backward()
    assert path_sum_grad(f, h) == pytest.approx(h.grad, rel=1e-15)
    assert count_paths(f, x) == 3
    assert path_sum_grad(f, x) == pytest.approx(x.grad, rel=1e-14)


@pytest.mark.parametrize("depth", range(1, 11))
def test_path_sum_equals_backprop_and_central_differences_on_the_diamond(depth: int) -> None:
    root, x = diamond(depth, 0.5)
    before = [v.grad for v in topological_order(root)]
    naive = path_sum_grad(root, x)
    assert [v.grad for v in topological_order(root)] == before  # enumeration does not touch .grad
    root.backward()
    assert naive == pytest.approx(x.grad, rel=1e-12)
    (numeric,) = numerical_grad(lambda v: diamond(depth, v).root, 0.5)
    assert naive == pytest.approx(numeric, rel=1e-7)


def test_diamond_derivative_in_closed_form_at_depth_2() -> None:
    # a2 = x^2 * x^x: d/dx = 2x * x^x + x^2 * x^x (ln x + 1)
    x0 = 0.3
    root, x = diamond(2, x0)
    expected = 2 * x0 * x0**x0 + x0**2 * x0**x0 * (math.log(x0) + 1)
    assert path_sum_grad(root, x) == pytest.approx(expected, rel=1e-14)
    assert count_paths(root, x) == 4


def test_deep_graphs_need_no_recursion() -> None:
    x = Value(0.1, "x")
    v = x
    for _ in range(20_000):
        v = (v * 0.5 + 0.05).tanh()
    assert count_paths(v, x) == 1
    v.backward()
    assert path_sum_grad(v, x) == pytest.approx(x.grad, rel=1e-12)
    assert count_paths(*diamond(5000)) == 2**5000


# a random DAG: each new node applies an op to two earlier nodes (often the same one twice)
OPS = [
    lambda a, b: a * b,
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b.tanh(),
    lambda a, b: (a + b).sigmoid(),
]


@given(
    leaves=st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3),
    steps=st.lists(st.tuples(st.integers(0, len(OPS) - 1), st.integers(0, 50), st.integers(0, 50)),
                   min_size=1, max_size=12),
)
def test_path_sum_equals_backprop_on_random_graphs(leaves: list[float], steps: list[tuple[int, int, int]]) -> None:
    xs = [Value(v, f"x{i}") for i, v in enumerate(leaves)]
    nodes = list(xs)
    for op, i, j in steps:
        nodes.append(OPS[op](nodes[i % len(nodes)], nodes[j % len(nodes)]))
    root = nodes[-1]
    naive = [path_sum_grad(root, x) for x in xs]
    root.backward()
    for x, n in zip(xs, naive):
        assert n == pytest.approx(x.grad, rel=1e-9, abs=1e-12)
        assert count_paths(root, x) == len(enumerate_paths(root, x))


def test_more_paths_than_max_paths_is_refused_before_enumerating() -> None:
    root, x = diamond(12)
    assert len(enumerate_paths(root, x, max_paths=4096)) == 4096  # exactly at the limit is fine
    with pytest.raises(ValueError, match=r"path_sum_grad: 4096 paths lead from the root to 'x', more than "
                                         r"max_paths=4095; .* 46 edges"):
        path_sum_grad(root, x, max_paths=4095)
    deep, leaf = diamond(40)
    with pytest.raises(ValueError, match=r"enumerate_paths: 1099511627776 paths .* max_paths=100000"):
        enumerate_paths(deep, leaf)


def test_bad_arguments_name_the_problem() -> None:
    root, x = diamond(3)
    with pytest.raises(TypeError, match="count_paths: root must be a Value, got float"):
        count_paths(1.0, x)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="path_sum_grad: leaf must be a Value, got str"):
        path_sum_grad(root, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="count_edges: root must be a Value, got list"):
        count_edges([root])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="path_counts: root must be a Value"):
        path_counts(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="max_paths must be an int, got float"):
        path_sum_grad(root, x, max_paths=1e6)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_paths must be an int >= 1, got 0"):
        enumerate_paths(root, x, max_paths=0)
    with pytest.raises(ValueError, match="diamond: depth must be an int >= 1, got 0"):
        diamond(0)
    with pytest.raises(TypeError, match="diamond: depth must be an int, got float"):
        diamond(2.0)  # type: ignore[arg-type]
    for bad in (0.0, 1.0, -0.5, 2.0):
        with pytest.raises(ValueError, match=rf"diamond: x must be in \(0, 1\) .* got {bad!r}"):
            diamond(3, bad)
    with pytest.raises(TypeError, match="diamond x: expected a real number"):
        diamond(3, "0.5")  # type: ignore[arg-type]


def test_top_level_exports() -> None:
    assert mg.analysis.diamond is diamond
    assert mg.count_paths is count_paths and mg.path_sum_grad is path_sum_grad
