"""Lecture rows 1-4 (LECTURES.md): the worked examples of lectures 002 and 004, number for number,
at the slides' rounding."""
from __future__ import annotations

import math
from typing import Callable

import pytest

from microgradnet import Value, backward_walk, grad, numerical_grad


def test_row_1_f_equals_z_times_x_plus_y() -> None:
    x, y, z = Value(2.0, label="x"), Value(3.0, label="y"), Value(-2.0, label="z")
    q = x + y
    f = z * q
    assert (q.data, f.data) == (5.0, -10.0)
    assert f.inputs == (z, q) and f.local_grads == (5.0, -2.0)  # df/dz = q, df/dq = z
    upstream = {node: up for node, up in backward_walk(f)}
    assert upstream == {f: 1.0, q: -2.0, z: 5.0, x: -2.0, y: -2.0}
    assert (x.grad, y.grad, z.grad, q.grad) == (-2.0, -2.0, 5.0, -2.0)


def sigmoid_neuron(x0: Value, x1: Value, w0: Value, w1: Value, w2: Value) -> list[Value]:
    """The slide's gates, innermost first: *, *, +, +, *-1, exp, +1, 1/x (the last is f)."""
    w0x0, w1x1 = w0 * x0, w1 * x1
    s = w0x0 + w1x1
    z = s + w2
    neg = -z
    e = neg.exp()
    d = 1 + e
    return [w0x0, w1x1, s, z, neg, e, d, 1 / d]


def lecture_point() -> list[Value]:
    """Fresh leaves x0, x1, w0, w1, w2 at the slide's point (-1, -2, 2, -3, -3)."""
    return [Value(-1.0, label="x0"), Value(-2.0, label="x1"), Value(2.0, label="w0"), Value(-3.0, label="w1"),
            Value(-3.0, label="w2")]


def test_row_2_sigmoid_neuron_forward_values() -> None:
    gates = sigmoid_neuron(*lecture_point())
    assert [gate.op for gate in gates] == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]
    assert [round(gate.data, 2) for gate in gates[3:]] == [1.0, -1.0, 0.37, 1.37, 0.73]


def test_row_2_sigmoid_neuron_backward_steps_as_the_slides_show_them() -> None:
    x0, x1, w0, w1, w2 = leaves = lecture_point()
    w0x0, w1x1, s, z, neg, e, d, f = gates = sigmoid_neuron(*leaves)
    upstream = dict(backward_walk(f))
    assert set(upstream) == {*leaves, *gates}

    def downstream(gate: Value) -> list[float]:
        return [upstream[gate] * local for local in gate.local_grads]

    # 1/x: upstream 1, local -1/1.37^2, downstream -0.53
    assert (upstream[f], round(f.local_grads[0], 2), round(downstream(f)[0], 2)) == (1.0, -0.53, -0.53)
    assert f.local_grads[0] == pytest.approx(-1 / d.data**2, rel=1e-15)
    # +1: local 1, downstream -0.53; exp: local exp(-1), downstream -0.20; *-1: 0.20; +: 0.20, 0.20 (twice)
    assert [round(g, 2) for g in downstream(d)] == [-0.53]
    assert e.local_grads == (math.exp(-1.0),) and [round(g, 2) for g in downstream(e)] == [-0.20]
    assert neg.local_grads == (-1.0,) and [round(g, 2) for g in downstream(neg)] == [0.20]
    assert [round(g, 2) for g in downstream(z)] == [0.20, 0.20]
    assert [round(g, 2) for g in downstream(s)] == [0.20, 0.20]
    # *: local (x, w); the slide multiplies the rounded upstream 0.2: (-1)(0.2) = -0.2, 2(0.2) = 0.4, ...
    assert w0x0.local_grads == (-1.0, 2.0) and w1x1.local_grads == (-2.0, -3.0)
    for gate, slide in ((w0x0, [-0.2, 0.4]), (w1x1, [-0.4, -0.6])):
        assert [round(upstream[gate], 1) * local for local in gate.local_grads] == pytest.approx(slide, rel=1e-15)
        assert [round(g, 1) for g in downstream(gate)] == slide
    # each node's .grad is the upstream its step showed
    assert [round(gate.grad, 2) for gate in (d, e, neg, z, s, w0x0, w1x1)] == [-0.53, -0.53, -0.2, 0.2, 0.2, 0.2, 0.2]
    assert [round(leaf.grad, 1) for leaf in (x0, x1, w0, w1, w2)] == [0.4, -0.6, -0.2, -0.4, 0.2]


def test_row_2_the_same_neuron_with_sigmoid_gives_the_same_gradient() -> None:
    leaves = lecture_point()
    sigmoid_neuron(*leaves)[-1].backward()
    by_gates = [leaf.grad for leaf in leaves]
    x0, x1, w0, w1, w2 = leaves = lecture_point()
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f.backward()
    assert f.data == pytest.approx(1 / (1 + math.exp(-1.0)), rel=1e-15)
    assert [leaf.grad for leaf in leaves] == pytest.approx(by_gates, abs=1e-12)
    s = f.data  # the closed form: d sigma / dz = s (1 - s), times dz/d(x0, x1, w0, w1, w2) = (w0, w1, x0, x1, 1)
    assert [leaf.grad for leaf in leaves] == pytest.approx([s * (1 - s) * k for k in (2, -3, -1, -2, 1)], rel=1e-14)


def test_row_3_copy_node_adds_the_gradients_of_every_use() -> None:
    # x used twice in f = z (x + y) + x y at (2, 3, -2); its copies x1, x2 get z and y, x gets their sum
    x, y, z = Value(2.0), Value(3.0), Value(-2.0)
    f = z * (x + y) + x * y
    f.backward()
    x1, x2, y_, z_ = Value(2.0), Value(2.0), Value(3.0), Value(-2.0)
    g = z_ * (x1 + y_) + x2 * y_
    g.backward()
    assert g.data == f.data == -4.0
    assert (x1.grad, x2.grad) == (-2.0, 3.0)
    assert x.grad == x1.grad + x2.grad == 1.0
    assert grad(lambda x, y, z: z * (x + y) + x * y)(2, 3, -2) == (1.0, 0.0, 5.0)


@pytest.mark.parametrize(("build", "data", "slope"), [(lambda a: a + a, 6.0, 2.0), (lambda a: a * a, 9.0, 6.0)])
def test_row_3_a_value_used_twice_by_one_gate_keeps_both_edges(
    build: Callable[[Value], Value], data: float, slope: float
) -> None:
    a = Value(3.0)
    f = build(a)
    assert f.inputs == (a, a) and len(f.inputs) == 2
    f.backward()
    assert (f.data, a.grad) == (data, slope)


def seven_unit_network(x1: Value, x2: Value, w: dict[str, Value]) -> Value:
    """z7 of lecture 004's worked example, with g = tanh."""
    a3 = (x1 * w["13"] + x2 * w["23"]).tanh()
    a4 = (x2 * w["24"]).tanh()
    a5 = (a3 * w["35"]).tanh()
    a6 = (a3 * w["36"] + a4 * w["46"]).tanh()
    return a5 * w["57"] + a6 * w["67"]


U_WEIGHTS, V_WEIGHTS = ("13", "24", "36", "57"), ("23", "35", "46", "67")


def test_row_4_shared_parameter_gradient_is_the_sum_over_the_weights_it_stands_for() -> None:
    u, v = Value(0.5, label="u"), Value(-0.3, label="v")
    shared = {**{k: u for k in U_WEIGHTS}, **{k: v for k in V_WEIGHTS}}
    z7 = seven_unit_network(Value(1.0), Value(-2.0), shared)
    z7.backward()
    separate = {**{k: Value(0.5) for k in U_WEIGHTS}, **{k: Value(-0.3) for k in V_WEIGHTS}}
    z7_separate = seven_unit_network(Value(1.0), Value(-2.0), separate)
    z7_separate.backward()
    assert z7.data == z7_separate.data
    assert u.grad == pytest.approx(sum(separate[k].grad for k in U_WEIGHTS), rel=1e-14)
    assert v.grad == pytest.approx(sum(separate[k].grad for k in V_WEIGHTS), rel=1e-14)
    assert len({separate[k].grad for k in U_WEIGHTS}) == 4  # four different partials, summed

    def z7_of(u_: Value, v_: Value) -> Value:
        return seven_unit_network(Value(1.0), Value(-2.0), {**{k: u_ for k in U_WEIGHTS}, **{k: v_ for k in V_WEIGHTS}})

    assert (u.grad, v.grad) == pytest.approx(numerical_grad(z7_of, 0.5, -0.3), rel=1e-8)
