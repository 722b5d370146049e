"""The lecture examples against the lectures: slide numbers, hand-derived δ's, finite differences."""
from __future__ import annotations

import math

import pytest

from microgradnet import grad, topological_order
from microgradnet.examples import EXAMPLES, GraphExample, TrainingExample
from microgradnet.trace import trace_backward
from microgradnet.train import predict

GRAPH_EXAMPLES = [name for name, example in EXAMPLES.items() if not example.trains]


def built(name: str) -> GraphExample:
    example = EXAMPLES[name].build()
    example.root.backward()
    return example


def node(example: GraphExample, label: str):
    (found,) = [v for v in topological_order(example.root) if v.label == label]
    return found


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def central_differences(f, *point: float, h: float = 1e-6) -> list[float]:
    """(f(p + h e_i) - f(p - h e_i)) / 2h in plain float64, independent of the engine."""
    partials = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        partials.append((f(*up) - f(*down)) / (2 * h))
    return partials


def test_registry_has_the_lecture_rows():
    rows = {name: example.row for name, example in EXAMPLES.items()}
    assert rows == {
        "add-mul": 1, "neuron": 2, "copy-node": 3, "shared-params": 4, "seven-unit": 7,
        "delta-rule": 8, "perceptron": 9, "xor": 10, "moons": 16,
    }
    assert [name for name, e in EXAMPLES.items() if e.trains] == ["perceptron", "xor", "moons"]
    for name in GRAPH_EXAMPLES:
        assert isinstance(EXAMPLES[name].build(), GraphExample)


@pytest.mark.parametrize("name", GRAPH_EXAMPLES)
def test_every_hand_derived_derivative_equals_autodiff(name):
    example = built(name)
    assert len(example.checks) >= 2
    for check in example.checks:
        assert check.autodiff == pytest.approx(check.hand, rel=1e-12, abs=1e-15), check.name


@pytest.mark.parametrize("name", GRAPH_EXAMPLES)
def test_leaves_are_labelled_by_their_names(name):
    example = EXAMPLES[name].build()
    leaves = {v for v in topological_order(example.root) if not v.inputs}
    for label, leaf in example.leaves.items():
        assert leaf.label == label and leaf in leaves


def test_row_1_add_mul_slide_numbers():
    example = built("add-mul")
    x, y, z = example.leaves.values()
    assert example.root.data == -10.0
    assert node(example, "q").data == 5.0
    assert node(example, "q").grad == -2.0
    assert (x.grad, y.grad, z.grad) == (-2.0, -2.0, 5.0)
    assert example.point == "x = 2, y = 3, z = -2"


def test_row_2_neuron_is_built_gate_by_gate_as_on_the_slide():
    example = EXAMPLES["neuron"].build()
    ops_in_order = [step.node.op for step in trace_backward(example.root) if step.node.op]
    assert ops_in_order == ["1/x", "+1", "exp", "*-1", "+", "+", "*", "*"]
    forward = {label: round(node(example, label).data, 2) for label in
               ["w0·x0", "w1·x1", "w0·x0+w1·x1", "z", "-z", "exp(-z)", "1+exp(-z)", "f"]}
    assert forward == {"w0·x0": -2.0, "w1·x1": 6.0, "w0·x0+w1·x1": 4.0, "z": 1.0, "-z": -1.0,
                       "exp(-z)": 0.37, "1+exp(-z)": 1.37, "f": 0.73}


def test_row_2_neuron_backward_steps_are_the_slides_numbers():
    example = EXAMPLES["neuron"].build()
    steps = [s for s in trace_backward(example.root) if s.node.op]
    # (upstream, local gradients, downstream gradients) as on the slides, at their 2 decimals
    slide = [
        (1.0, (-0.53,), (-0.53,)),
        (-0.53, (1.0,), (-0.53,)),
        (-0.53, (0.37,), (-0.20,)),
        (-0.20, (-1.0,), (0.20,)),
        (0.20, (1.0, 1.0), (0.20, 0.20)),
        (0.20, (1.0, 1.0), (0.20, 0.20)),
        (0.20, (-1.0, 2.0), (-0.20, 0.40)),
        (0.20, (-2.0, -3.0), (-0.40, -0.60)),
    ]
    for step, (upstream, local, downstream) in zip(steps, slide):
        assert round(step.upstream, 2) == upstream
        assert tuple(round(g, 2) for g in step.local) == local
        # the slides multiply the numbers as printed (0.20 × 2 = 0.40, where the exact 0.1966 × 2 is 0.39)
        assert tuple(round(round(step.upstream, 2) * round(g, 2), 2) for g in step.local) == downstream
        assert step.downstream == pytest.approx(downstream, abs=0.015)
    gradient = tuple(round(leaf.grad, 1) for leaf in example.leaves.values())
    assert list(example.leaves) == ["x0", "x1", "w0", "w1", "w2"]
    assert gradient == (0.4, -0.6, -0.2, -0.4, 0.2)


def test_row_2_neuron_gradient_matches_the_closed_form():
    example = built("neuron")
    v = {name: leaf.data for name, leaf in example.leaves.items()}
    f = sigmoid(v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"])
    assert example.root.data == pytest.approx(f, rel=1e-15)
    df = f * (1 - f)
    expected = (df * v["w0"], df * v["w1"], df * v["x0"], df * v["x1"], df)
    assert tuple(leaf.grad for leaf in example.leaves.values()) == pytest.approx(expected, rel=1e-12)


def test_row_3_copy_node_adds_the_gradients_of_both_uses():
    example = built("copy-node")
    x, y = example.leaves.values()
    direct, through_q = (x.data + y.data), x.data * 1.0
    assert x.grad == direct + through_q == 7.0
    assert y.grad == 2.0
    assert (x.grad, y.grad) == grad(lambda a, b: a * (a + b))(2.0, 3.0)


# --- the 7-unit network of lecture 004, recomputed in plain floats for finite differences ---------

WEIGHT_NAMES = ["w13", "w23", "w24", "w35", "w36", "w46", "w57", "w67"]


def seven_unit_z7(x1: float, x2: float, w13, w23, w24, w35, w36, w46, w57, w67) -> float:
    a3, a4 = sigmoid(x1 * w13 + x2 * w23), sigmoid(x2 * w24)
    a5, a6 = sigmoid(a3 * w35), sigmoid(a3 * w36 + a4 * w46)
    return a5 * w57 + a6 * w67


def test_row_7_seven_unit_matches_finite_differences_and_the_slides_delta7():
    example = built("seven-unit")
    v = {name: leaf.data for name, leaf in example.leaves.items()}
    x1, x2, t = v["x1"], v["x2"], v["t"]
    weights = [v[name] for name in WEIGHT_NAMES]

    def error(*w: float) -> float:
        return max(0.0, -seven_unit_z7(x1, x2, *w) * t)

    assert example.root.data == pytest.approx(error(*weights), rel=1e-14)
    assert example.root.data > 0  # the example is on the active side of max(0, -z7·t), so gradients flow
    numeric = central_differences(error, *weights)
    autodiff = [example.leaves[name].grad for name in WEIGHT_NAMES]
    assert autodiff == pytest.approx(numeric, rel=1e-6, abs=1e-9)
    (delta7,) = [c for c in example.checks if c.name.startswith("δ7")]
    assert delta7.autodiff == -t  # I(-z7·t > 0)·(-t) with -z7·t > 0


def test_row_7_seven_unit_checks_cover_every_delta_and_weight():
    names = [c.name for c in built("seven-unit").checks]
    assert [n.split(" ")[0] for n in names[:5]] == ["δ7", "δ6", "δ5", "δ4", "δ3"]
    assert sorted(n.removeprefix("∂E/∂") for n in names[5:]) == sorted(WEIGHT_NAMES)


def test_row_4_shared_parameters_sum_the_gradients_of_the_weights_they_stand_for():
    example = built("shared-params")
    u, v = example.leaves["u"], example.leaves["v"]
    by_label = {c.node.label: c.node for c in example.checks}
    assert u.grad == pytest.approx(sum(by_label[w].grad for w in ("w13", "w24", "w36", "w57")), rel=1e-14)
    assert v.grad == pytest.approx(sum(by_label[w].grad for w in ("w23", "w35", "w46", "w67")), rel=1e-14)
    x1, x2 = example.leaves["x1"].data, example.leaves["x2"].data

    def z7(a: float, b: float) -> float:
        return seven_unit_z7(x1, x2, a, b, a, b, a, b, a, b)

    assert example.root.data == pytest.approx(z7(u.data, v.data), rel=1e-14)
    assert (u.grad, v.grad) == pytest.approx(central_differences(z7, u.data, v.data), rel=1e-6)


def test_row_8_delta_rule_matches_finite_differences():
    example = built("delta-rule")
    names = list(example.leaves)

    def loss(*values: float) -> float:
        v = dict(zip(names, values))
        x = [v["x0"], v["x1"], v["x2"]]
        z = [v["z0"]] + [math.tanh(sum(v[f"w1_{i}{j}"] * x[i] for i in range(3))) for j in (1, 2)]
        y_hat = sum(v[f"w2_{j}"] * z[j] for j in range(3))
        return 0.5 * (v["y"] - y_hat) ** 2

    values = [leaf.data for leaf in example.leaves.values()]
    assert example.root.data == pytest.approx(loss(*values), rel=1e-14)
    autodiff = [leaf.grad for leaf in example.leaves.values()]
    assert autodiff == pytest.approx(central_differences(loss, *values), rel=1e-6, abs=1e-9)


def test_row_8_the_slides_one_minus_z_squared_typo_would_give_other_deltas():
    example = built("delta-rule")
    delta = example.checks[0].autodiff
    for j in (1, 2):
        z, w = node(example, f"z{j}").data, example.leaves[f"w2_{j}"].data
        a_grad = node(example, f"a{j}").grad
        assert a_grad == pytest.approx((1 - z * z) * w * delta, rel=1e-12)
        assert abs(a_grad - (1 - z) ** 2 * w * delta) > 0.01


# --- training examples ---------------------------------------------------------------------

def test_row_10_xor_linear_model_hand_set_network_and_trained_mlp():
    run = EXAMPLES["xor"].build(progress=False)
    assert isinstance(run, TrainingExample)
    text = "\n".join(run.summary)
    assert "w = (0.00, 0.00), b = 0.50 -> outputs [0.50, 0.50, 0.50, 0.50]" in text
    assert "b = 0 -> outputs [0.00, 1.00, 1.00, 0.00]" in text
    assert run.X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] and run.y == [0, 1, 1, 0]
    assert predict(run.model, run.X) == [0, 1, 1, 0]


def test_row_9_perceptron_converges_and_equals_sgd_on_the_perceptron_loss():
    run = EXAMPLES["perceptron"].build()
    assert [1 if run.model.predict(x) > 0 else 0 for x in run.X] == run.y
    text = "\n".join(run.summary)
    assert "gives the same weights: yes" in text
    assert "accuracy 100%" in text


def test_row_16_moons_reaches_micrograds_accuracy():
    run = EXAMPLES["moons"].build(progress=False)
    correct = sum(p == t for p, t in zip(predict(run.model, run.X), run.y))
    assert correct / len(run.y) >= 0.97
    assert len(run.model.parameters()) == 337
    assert len(run.history) == 100 and run.history.loss[-1] < run.history.loss[0]
