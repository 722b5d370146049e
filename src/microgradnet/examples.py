"""The lecture examples (LECTURES.md), built with the engine and labelled as on the slides.

Each graph example returns a ``GraphExample``: its root, its named leaves in the order the
slide lists the gradient, and the slide's hand-derived derivatives (``checks``) next to the
node whose ``.grad`` autodiff fills in, so the two can be compared number for number.
``EXAMPLES`` maps each name to (title, lecture row, builder); the CLI and the tests read it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, NamedTuple

from . import engine
from .data import make_blobs, make_moons, make_xor
from .engine import Value

if TYPE_CHECKING:
    from .nn import Module
    from .train import History


@dataclass(frozen=True)
class Check:
    """One derivative as the slide derives it by hand (``hand``), and the node autodiff gives it to."""

    name: str
    formula: str
    hand: float
    node: Value

    @property
    def autodiff(self) -> float:
        """``node.grad``: the autodiff value once ``backward()`` has run on the example's root."""
        return self.node.grad


@dataclass
class GraphExample:
    """A lecture example that is one computation graph."""

    formula: str
    root: Value
    leaves: dict[str, Value]
    checks: list[Check] = field(default_factory=list)
    copies: tuple[Value, ...] = ()  # nodes that only rename their input (w13 = u·1): drawn as a copy node's wires

    @property
    def point(self) -> str:
        """Where the function is evaluated, as the slide writes it: ``x = 2, y = 3, z = -2``."""
        return ", ".join(f"{name} = {leaf.data:g}" for name, leaf in self.leaves.items())


def _leaves(**values: float) -> dict[str, Value]:
    return {name: Value(value, label=name) for name, value in values.items()}


def _labelled(value: Value, label: str) -> Value:
    value.label = label
    return value


def add_mul() -> GraphExample:
    """Row 1 (lecture 002): f(x, y, z) = z·(x + y) at (2, 3, -2), with q = x + y."""
    leaves = _leaves(x=2.0, y=3.0, z=-2.0)
    x, y, z = leaves.values()
    q = _labelled(x + y, "q")
    f = _labelled(z * q, "f")
    checks = [
        Check("∂f/∂q", "z", z.data, q),
        Check("∂f/∂z", "q = x + y", q.data, z),
        Check("∂f/∂x", "∂f/∂q · ∂q/∂x = z · 1", z.data, x),
        Check("∂f/∂y", "∂f/∂q · ∂q/∂y = z · 1", z.data, y),
    ]
    return GraphExample("f(x, y, z) = z·(x + y)", f, leaves, checks)


def neuron() -> GraphExample:
    """Row 2 (lecture 002): the sigmoid neuron 1/(1 + exp(-(w0·x0 + w1·x1 + w2))), gate by gate as on the slide."""
    leaves = _leaves(x0=-1.0, x1=-2.0, w0=2.0, w1=-3.0, w2=-3.0)
    x0, x1, w0, w1, w2 = leaves.values()
    w0x0 = _labelled(w0 * x0, "w0·x0")
    w1x1 = _labelled(w1 * x1, "w1·x1")
    s = _labelled(w0x0 + w1x1, "w0·x0+w1·x1")
    z = _labelled(s + w2, "z")
    minus_z = _labelled(-z, "-z")
    e = _labelled(minus_z.exp(), "exp(-z)")
    d = _labelled(e + 1, "1+exp(-z)")
    f = _labelled(1 / d, "f")
    # the slide's hand derivation: d(1/(1+e^-z))/dz = f·(1 - f), then dz/dw_i = x_i, dz/dx_i = w_i
    dz = f.data * (1.0 - f.data)
    checks = [
        Check("∂f/∂z", "f·(1 - f)", dz, z),
        Check("∂f/∂x0", "f·(1 - f) · w0", dz * w0.data, x0),
        Check("∂f/∂x1", "f·(1 - f) · w1", dz * w1.data, x1),
        Check("∂f/∂w0", "f·(1 - f) · x0", dz * x0.data, w0),
        Check("∂f/∂w1", "f·(1 - f) · x1", dz * x1.data, w1),
        Check("∂f/∂w2", "f·(1 - f) · 1", dz, w2),
    ]
    return GraphExample("f(x0, x1, w0, w1, w2) = 1 / (1 + exp(-(w0·x0 + w1·x1 + w2)))", f, leaves, checks)


def copy_node() -> GraphExample:
    """Row 3 (lecture 002): x used in two places, f = x·(x + y) at (2, 3): backward adds the two gradients."""
    leaves = _leaves(x=2.0, y=3.0)
    x, y = leaves.values()
    q = _labelled(x + y, "q")
    f = _labelled(x * q, "f")
    checks = [
        Check("∂f/∂x", "q + x (path through q, plus the direct path)", q.data + x.data, x),
        Check("∂f/∂y", "x", x.data, y),
    ]
    return GraphExample("f(x, y) = x·(x + y)", f, leaves, checks)


# the 7-unit network of lecture 004: units 1, 2 are inputs, 3 to 6 hidden (g = sigmoid), 7 the output
SEVEN_UNIT_WEIGHTS = {
    "w13": 0.5, "w23": -1.0, "w24": 1.5, "w35": 2.0, "w36": -1.0, "w46": 1.0, "w57": -1.5, "w67": 0.5,
}
SHARED = {"u": ("w13", "w24", "w36", "w57"), "v": ("w23", "w35", "w46", "w67")}


class _SevenUnit(NamedTuple):
    nodes: dict[str, Value]
    weights: dict[str, Value]


def _seven_unit_forward(x1: Value, x2: Value, weights: dict[str, Value]) -> _SevenUnit:
    """The slide's forward pass: z3 = a1 w13 + a2 w23, a3 = g(z3), ..., z7 = a5 w57 + a6 w67."""
    n: dict[str, Value] = {"a1": x1, "a2": x2}

    def term(j: int, k: int) -> Value:  # a_j·w_jk, one summand of z_k
        return _labelled(n[f"a{j}"] * weights[f"w{j}{k}"], f"a{j}·w{j}{k}")

    n["z3"] = _labelled(term(1, 3) + term(2, 3), "z3")
    n["z4"] = _labelled(term(2, 4), "z4")
    n["a3"] = _labelled(n["z3"].sigmoid(), "a3")
    n["a4"] = _labelled(n["z4"].sigmoid(), "a4")
    n["z5"] = _labelled(term(3, 5), "z5")
    n["z6"] = _labelled(term(3, 6) + term(4, 6), "z6")
    n["a5"] = _labelled(n["z5"].sigmoid(), "a5")
    n["a6"] = _labelled(n["z6"].sigmoid(), "a6")
    n["z7"] = _labelled(term(5, 7) + term(6, 7), "z7")
    return _SevenUnit(n, weights)


def _seven_unit_checks(net: _SevenUnit, delta7: float, delta7_formula: str, out: str) -> list[Check]:
    """The slide's backward pass, by hand: δ7 ... δ3 and every dE/dw (g'(z) = g(z)·(1 - g(z)) for sigmoid)."""
    n, w = {k: v.data for k, v in net.nodes.items()}, {k: v.data for k, v in net.weights.items()}
    g5, g6 = n["a5"] * (1 - n["a5"]), n["a6"] * (1 - n["a6"])
    g3, g4 = n["a3"] * (1 - n["a3"]), n["a4"] * (1 - n["a4"])
    d6, d5 = delta7 * w["w67"], delta7 * w["w57"]
    d4 = d6 * g6 * w["w46"]
    d3 = d6 * g6 * w["w36"] + d5 * g5 * w["w35"]
    nodes, weights = net.nodes, net.weights
    d = f"∂{out}"
    return [
        Check(f"δ7 = {d}/∂z7", delta7_formula, delta7, nodes["z7"]),
        Check(f"δ6 = {d}/∂a6", "δ7·w67", d6, nodes["a6"]),
        Check(f"δ5 = {d}/∂a5", "δ7·w57", d5, nodes["a5"]),
        Check(f"δ4 = {d}/∂a4", "δ6·g'(z6)·w46", d4, nodes["a4"]),
        Check(f"δ3 = {d}/∂a3", "δ6·g'(z6)·w36 + δ5·g'(z5)·w35", d3, nodes["a3"]),
        Check(f"{d}/∂w67", "δ7·a6", delta7 * n["a6"], weights["w67"]),
        Check(f"{d}/∂w57", "δ7·a5", delta7 * n["a5"], weights["w57"]),
        Check(f"{d}/∂w46", "δ6·g'(z6)·a4", d6 * g6 * n["a4"], weights["w46"]),
        Check(f"{d}/∂w36", "δ6·g'(z6)·a3", d6 * g6 * n["a3"], weights["w36"]),
        Check(f"{d}/∂w35", "δ5·g'(z5)·a3", d5 * g5 * n["a3"], weights["w35"]),
        Check(f"{d}/∂w24", "δ4·g'(z4)·a2", d4 * g4 * n["a2"], weights["w24"]),
        Check(f"{d}/∂w23", "δ3·g'(z3)·a2", d3 * g3 * n["a2"], weights["w23"]),
        Check(f"{d}/∂w13", "δ3·g'(z3)·a1", d3 * g3 * n["a1"], weights["w13"]),
    ]


def seven_unit() -> GraphExample:
    """Row 7 (lecture 004): the worked-through 7-unit network with E = max(0, -z7·t), g = sigmoid."""
    leaves = _leaves(x1=1.0, x2=-2.0, t=1.0, **SEVEN_UNIT_WEIGHTS)
    weights = {name: leaves[name] for name in SEVEN_UNIT_WEIGHTS}
    net = _seven_unit_forward(leaves["x1"], leaves["x2"], weights)
    z7, t = net.nodes["z7"], leaves["t"]
    margin = _labelled(-_labelled(z7 * t, "z7·t"), "-z7·t")
    error = _labelled(engine.max([margin, Value(0.0, label="0")]), "E")  # -z7·t first: a tie is a mistake
    delta7 = -t.data if margin.data > 0 else 0.0
    checks = _seven_unit_checks(net, delta7, "I(-z7·t > 0)·(-t)", "E")
    return GraphExample("E = max(0, -z7·t), z7 = a5·w57 + a6·w67, ..., a_k = g(z_k)", error, leaves, checks)


def shared_params() -> GraphExample:
    """Row 4 (lecture 004): the 7-unit network with u = w13 = w24 = w36 = w57 and v = w23 = w35 = w46 = w67.

    Each weight is a node made from its shared parameter (dw/du = 1), as the slide draws it, so
    dz7/du is the sum of the dz7/dw it stands for.
    """
    leaves = _leaves(x1=1.0, x2=-2.0, u=0.5, v=-1.0)
    weights = {w: _labelled(leaves[p] * 1, w) for p, names in SHARED.items() for w in names}
    net = _seven_unit_forward(leaves["x1"], leaves["x2"], weights)
    checks = _seven_unit_checks(net, 1.0, "1 (the output itself)", "z7")
    by_weight = {c.node.label: c for c in checks if c.node.label in weights}
    for p, names in SHARED.items():
        formula = " + ".join(f"∂z7/∂{w}" for w in names)
        checks.append(Check(f"∂z7/∂{p}", formula, sum(by_weight[w].hand for w in names), leaves[p]))
    return GraphExample("z7 with u = w13 = w24 = w36 = w57, v = w23 = w35 = w46 = w67", net.nodes["z7"], leaves, checks,
                        tuple(weights.values()))


def delta_rule() -> GraphExample:
    """Row 8 (lectures 001/003): tanh hidden units, linear output, L = ½(y - ŷ)², biases as x0 = z0 = 1."""
    leaves = _leaves(
        x0=1.0, x1=0.5, x2=-1.0, y=1.0,
        w1_01=0.1, w1_11=0.4, w1_21=-0.6, w1_02=-0.2, w1_12=0.8, w1_22=0.3,
        z0=1.0, w2_0=0.1, w2_1=-0.8, w2_2=0.5,
    )
    xs = [leaves["x0"], leaves["x1"], leaves["x2"]]
    a = {j: _labelled(engine.dot([leaves[f"w1_{i}{j}"] for i in range(3)], xs), f"a{j}") for j in (1, 2)}
    z = {j: _labelled(a[j].tanh(), f"z{j}") for j in (1, 2)}
    zs = [leaves["z0"], z[1], z[2]]
    y_hat = _labelled(engine.dot([leaves[f"w2_{j}"] for j in range(3)], zs), "ŷ")
    error = _labelled(leaves["y"] - y_hat, "y-ŷ")
    loss = _labelled(0.5 * _labelled(error**2, "(y-ŷ)²"), "L")
    # the slide's delta rule (its "(1 - z_j)^2" is a typo for 1 - z_j^2, the derivative of tanh)
    delta = y_hat.data - leaves["y"].data
    deltas = {j: (1.0 - z[j].data ** 2) * leaves[f"w2_{j}"].data * delta for j in (1, 2)}
    checks = [Check("δ = ∂L/∂ŷ", "ŷ - y", delta, y_hat)]
    checks += [Check(f"δ{j} = ∂L/∂a{j}", f"(1 - z{j}²)·w2_{j}·δ", deltas[j], a[j]) for j in (1, 2)]
    checks += [
        Check(f"∂L/∂w1_{i}{j}", f"δ{j}·x{i}", deltas[j] * xs[i].data, leaves[f"w1_{i}{j}"])
        for j in (1, 2) for i in range(3)
    ]
    checks += [Check(f"∂L/∂w2_{j}", f"δ·z{j}", delta * zs[j].data, leaves[f"w2_{j}"]) for j in range(3)]
    return GraphExample("L = ½(y - ŷ)², ŷ = Σ_j w2_j·z_j, z_j = tanh(Σ_i w1_ij·x_i)", loss, leaves, checks)


@dataclass
class TrainingExample:
    """A lecture example that trains a model: what it printed (``summary``) and what it can plot."""

    summary: list[str]
    model: Module
    X: list[list[float]]
    y: list[int]
    history: History | None = None


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.0f}%"


def xor(epochs: int = 200, progress: bool = True) -> TrainingExample:
    """Row 10 (lecture 001): XOR by a linear model (0.5 everywhere), by the hand-set ReLU network, by an MLP."""
    from .losses import mse
    from .nn import MLP
    from .train import fit, gradient_descent, predict

    X, y = make_xor()
    # least squares for a linear model y = w1 x1 + w2 x2 + b, by gradient descent from 0
    # (the lecture solves the normal equations: w = 0, b = ½)
    w1, w2, b = Value(0.0, "w1"), Value(0.0, "w2"), Value(0.0, "b")
    steps = gradient_descent(lambda: mse([w1 * x[0] + w2 * x[1] + b for x in X], y), [w1, w2, b], lr=0.5, tol=1e-15)
    linear = [w1.data * x[0] + w2.data * x[1] + b.data for x in X]
    # the lecture's network: h = relu(W^T x + c), out = w^T h + b with W = [[1,1],[1,1]], c = [0,-1], w = [1,-2], b = 0
    hand = []
    for x in X:
        h = [engine.dot([1.0, 1.0], x, start=c).relu() for c in (0.0, -1.0)]
        hand.append(engine.dot([1.0, -2.0], h).data)
    model = MLP(2, [4, 1], activation="relu", seed=1)
    history = fit(model, X, y, loss="hinge", epochs=epochs, lr=0.1, progress=progress)
    with engine.no_grad():
        scores = [out.data for out in map(model, X) if isinstance(out, Value)]  # one output each
    correct = sum(p == label for p, label in zip(predict(model, X), y))
    corners = ", ".join(f"({x[0]:g}, {x[1]:g})" for x in X)
    summary = [
        f"inputs {corners}, targets {y}",
        f"linear model, least squares ({len(steps) - 1} gradient steps): w = ({w1.data:.2f}, {w2.data:.2f}), "
        f"b = {b.data:.2f} -> outputs {_numbers(linear)}",
        f"hand-set ReLU network W = [[1,1],[1,1]], c = [0,-1], w = [1,-2], b = 0 -> outputs {_numbers(hand)}",
        f"{model!r}, hinge loss, {len(history)} epochs: scores {_numbers(scores)}, "
        f"accuracy {_percent(correct / len(X))}",
    ]
    return TrainingExample(summary, model, X, y, history)


def perceptron(epochs: int = 100, progress: bool = True) -> TrainingExample:
    """Row 9 (lectures 000/004): Rosenblatt's rule on separable data, and the same steps as SGD on max(0, -z·t)."""
    from .nn import Perceptron

    X, y = make_blobs(40, centers=[[-1.0, -1.0], [1.5, 1.0]], std=0.8, seed=3)
    t = [2 * label - 1 for label in y]
    model = Perceptron(2)
    mistakes = model.fit(X, t, epochs=epochs)
    # the same sweeps as SGD with lr = 1 on E_k = max(0, -z_k t_k), one sample at a time
    sgd = Perceptron(2)
    for _ in mistakes:
        for x, target in zip(X, t):
            sgd.zero_grad()
            sgd.loss(x, target).backward()
            for p in sgd.parameters():
                p.data -= p.grad
    weights = [p.data for p in model.parameters()]
    correct = sum(model.predict(x) == target for x, target in zip(X, t))
    summary = [
        f"{len(X)} points in two separable blobs, targets t = ±1",
        f"mistakes (updates) per sweep: {mistakes}",
        f"learned w = ({weights[0]:.2f}, {weights[1]:.2f}), b = {weights[2]:.2f}; "
        f"accuracy {_percent(correct / len(X))}",
        "SGD (lr = 1) on max(0, -z·t) gives the same weights: "
        + ("yes" if [p.data for p in sgd.parameters()] == weights else "no"),
    ]
    return TrainingExample(summary, model, X, y)


def moons(epochs: int = 100, progress: bool = True) -> TrainingExample:
    """Row 16 (lecture 004): micrograd's demo, MLP(2, [16, 16, 1]) on make_moons, hinge + 1e-4·L2, SGD 1.0 -> 0.1."""
    from .nn import MLP
    from .train import fit, predict

    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], activation="relu", seed=1)
    history = fit(
        model, X, y, loss="hinge", epochs=epochs, l2=1e-4, lr=1.0,
        lr_schedule=lambda k: 1.0 - 0.9 * k / epochs, progress=progress, compile="batch",
    )
    correct = sum(p == label for p, label in zip(predict(model, X), y))
    summary = [
        f"{len(X)} points of make_moons(noise=0.1), labels 0/1 (hinge targets -1/+1)",
        f"{model!r}, hinge loss + 1e-4·L2, SGD lr 1.0 -> 0.1 over {len(history)} epochs",
        "trained on one sample's tape replayed over the batch with NumPy (fit(compile='batch')), the fastest "
        "path: the numbers of the graph built each step, to 1e-12",
        f"last epoch's loss {history.loss[-1]:.4f}; the trained network classifies {correct}/{len(X)} points "
        f"correctly ({_percent(correct / len(X))})",
    ]
    return TrainingExample(summary, model, X, y, history)


def _numbers(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


class Example(NamedTuple):
    """A registry entry: what the example is, its row in LECTURES.md, and the function that builds it."""

    title: str
    row: int
    build: Callable[[], GraphExample | TrainingExample]

    @property
    def trains(self) -> bool:
        """Whether ``build`` trains a model (a ``TrainingExample``) rather than building one graph."""
        return self.build in (perceptron, xor, moons)


EXAMPLES: dict[str, Example] = {
    "add-mul": Example("f = z·(x + y) at (2, 3, -2)", 1, add_mul),
    "neuron": Example("sigmoid neuron, gate by gate", 2, neuron),
    "copy-node": Example("a variable used twice: gradients add", 3, copy_node),
    "shared-params": Example("shared parameters u, v in the 7-unit network", 4, shared_params),
    "seven-unit": Example("7-unit network, E = max(0, -z7·t)", 7, seven_unit),
    "delta-rule": Example("delta rule: tanh hidden, linear output, L = ½(y - ŷ)²", 8, delta_rule),
    "perceptron": Example("perceptron learning rule = SGD on max(0, -z·t)", 9, perceptron),
    "xor": Example("XOR: linear model, hand-set ReLU network, trained MLP", 10, xor),
    "moons": Example("decision boundary of an MLP trained on two moons", 16, moons),
}
