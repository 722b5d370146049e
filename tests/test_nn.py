"""Networks: sizes, forward against hand computation, gradients against finite differences,
initialisation statistics, seeds, dropout, PReLU, maxout, the perceptron, XOR, bad input."""
from __future__ import annotations

import json
import math
import random
import statistics

import pytest

import microgradnet as mg
from microgradnet import MLP, Dropout, Layer, Maxout, Neuron, Perceptron, Value
from microgradnet.nn import ACTIVATIONS, default_init_std

# each activation by its textbook formula, independent of the engine
FORMULAS = {
    "linear": lambda z: z,
    "relu": lambda z: max(z, 0.0),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "tanh": math.tanh,
    "elu": lambda z: z if z > 0 else math.exp(z) - 1.0,
    "softplus": lambda z: math.log(1.0 + math.exp(z)),
    "abs": abs,
    "hard_tanh": lambda z: min(max(z, -1.0), 1.0),
    "prelu": lambda z: z if z > 0 else 0.25 * z,
}


def set_parameters(model: mg.Module, values: list[float]) -> None:
    params = model.parameters()
    assert len(params) == len(values)
    for p, v in zip(params, values):
        p.data = float(v)


def weighted_sum(outputs: Value | list[Value]) -> Value:
    """A scalar from the outputs with distinct weights, so every output's gradient matters."""
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return mg.sum(o * (1.0 + 0.5 * i) for i, o in enumerate(outputs))


def assert_close(analytic: list[float], numeric: list[float]) -> None:
    assert len(analytic) == len(numeric)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        assert abs(a - n) <= 1e-7 + 1e-5 * abs(n), f"gradient {i}: backprop {a!r}, central differences {n!r}"


def check_gradients(model: mg.Module, x: list[float]) -> None:
    """Backprop through ``model`` equals central differences, for every parameter and every input."""
    params = model.parameters()
    model.zero_grad()
    weighted_sum(model(x)).backward()
    analytic = [p.grad for p in params]
    saved = [p.data for p in params]

    def with_parameters(*values: Value) -> Value:
        for p, v in zip(params, values):
            p.data = v.data
        return weighted_sum(model(x))

    numeric = mg.numerical_grad(with_parameters, *saved)
    set_parameters(model, saved)
    assert_close(analytic, list(numeric))

    def of_inputs(*xs: Value) -> Value:
        return weighted_sum(model(list(xs)))

    assert_close(list(mg.grad(of_inputs)(*x)), list(mg.numerical_grad(of_inputs, *x)))


# --- sizes and structure -------------------------------------------------------------

def test_micrograd_demo_network_has_337_parameters():
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 337 == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1
    assert len({id(p) for p in model.parameters()}) == 337


@pytest.mark.parametrize(
    ("make", "count"),
    [
        (lambda: Neuron(3), 4),
        (lambda: Neuron(3, "prelu"), 5),
        (lambda: Layer(3, 4), 16),
        (lambda: Layer(3, 4, "prelu"), 20),
        (lambda: Maxout(3, 4, pieces=2), 32),
        (lambda: Maxout(5, 2, pieces=3), 36),
        (lambda: MLP(2, [4, 1], activation="prelu"), 4 * 4 + 5),
        (lambda: MLP(3, [4, 2], activation="maxout", pieces=3), 4 * 3 * 4 + 2 * 5),
        (lambda: MLP(2, [8, 8, 1], dropout=0.5), 24 + 72 + 9),
        (lambda: Perceptron(7), 8),
        (lambda: Dropout(0.5), 0),
    ],
)
def test_parameter_counts(make, count):
    assert len(make().parameters()) == count


def test_parameter_order_is_weights_then_bias_layer_by_layer():
    model = MLP(2, [3, 1], seed=0)
    expected = [p for layer in model.layers for n in layer.neurons for p in (*n.w, n.b)]
    assert [id(p) for p in model.parameters()] == [id(p) for p in expected]
    assert [id(p) for p in model.parameters()] == [id(p) for p in model.parameters()]


def test_output_is_one_value_for_one_output_else_a_list():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 4], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 4 and all(isinstance(o, Value) for o in out)
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert len(Layer(2, 5, seed=0)([1.0, 2.0])) == 5
    assert isinstance(Neuron(2, seed=0)([1.0, 2.0]), Value)


def test_weighted_sum_is_one_dot_node_then_the_activation():
    neuron = Neuron(3, "tanh", seed=0)
    x = [Value(1.0), Value(2.0), Value(3.0)]
    out = neuron(x)
    assert out.op == "tanh"
    (z,) = out.inputs
    assert z.op == "dot"
    assert z.inputs == (neuron.b, neuron.w[0], x[0], neuron.w[1], x[1], neuron.w[2], x[2])
    z = Neuron(3, "linear", seed=0)([1, 2, 3])
    assert z.op == "dot"
    assert [v.label for v in z.inputs] == ["b", "w0", "x0", "w1", "x1", "w2", "x2"]  # numbers become labelled leaves


# --- forward against hand computation ----------------------------------------------------

@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("x", [[1.0, -2.0], [-0.5, 0.25]])
def test_neuron_forward_equals_formula(activation, x):
    neuron = Neuron(2, activation, seed=0)
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 0.7, 0.4, -0.1
    z = -0.1 + 0.7 * x[0] + 0.4 * x[1]
    assert neuron(x).data == pytest.approx(FORMULAS[activation](z), rel=1e-14, abs=1e-15)


def test_mlp_forward_equals_hand_computation():
    model = MLP(2, [2, 1], activation="tanh", output_activation="sigmoid", seed=0)
    set_parameters(model, [0.5, -1.0, 0.1, 2.0, 0.3, -0.2, 1.5, -0.7, 0.05])
    x0, x1 = 0.8, -0.4
    h0 = math.tanh(0.5 * x0 - 1.0 * x1 + 0.1)
    h1 = math.tanh(2.0 * x0 + 0.3 * x1 - 0.2)
    expected = 1.0 / (1.0 + math.exp(-(1.5 * h0 - 0.7 * h1 + 0.05)))
    assert model([x0, x1]).data == pytest.approx(expected, rel=1e-14)


def test_inputs_may_be_values_and_receive_gradients():
    model = MLP(2, [2, 1], activation="linear", seed=0)
    set_parameters(model, [1.0, 2.0, 0.0, 3.0, 4.0, 0.0, 5.0, 6.0, 0.0])
    x = [Value(1.0), Value(1.0)]
    model(x).backward()
    # linear network: d out / d x_i = sum_j w_out_j * W_j_i
    assert (x[0].grad, x[1].grad) == (5.0 * 1.0 + 6.0 * 3.0, 5.0 * 2.0 + 6.0 * 4.0)


# --- gradients through the model against finite differences ----------------------------

@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_gradients_equal_numerical(activation):
    model = MLP(3, [4, 3, 2], activation=activation, output_activation="tanh", seed=11)
    check_gradients(model, [0.3, -1.2, 0.8])


def test_maxout_mlp_gradients_equal_numerical():
    model = MLP(3, [4, 2], activation="maxout", pieces=3, seed=5)
    check_gradients(model, [0.6, -0.9, 1.4])


def test_eval_mode_dropout_mlp_gradients_equal_numerical():
    model = MLP(2, [5, 5, 1], activation="elu", dropout=0.5, seed=2).eval()
    check_gradients(model, [0.7, -0.3])


def test_gradients_accumulate_until_zero_grad():
    model = MLP(2, [3, 1], activation="tanh", seed=4)
    model([1.0, -1.0]).backward()
    first = [p.grad for p in model.parameters()]
    model([1.0, -1.0]).backward()
    assert [p.grad for p in model.parameters()] == [2 * g for g in first]
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# --- initialisation ----------------------------------------------------------------------

def test_relu_layer_init_matches_he():
    layer = Layer(1000, 60, "relu", seed=0)
    weights = [w.data for n in layer.neurons for w in n.w]
    assert statistics.pstdev(weights) == pytest.approx(math.sqrt(2 / 1000), rel=0.03)
    assert abs(statistics.fmean(weights)) < 3 * math.sqrt(2 / 1000) / math.sqrt(len(weights))
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_tanh_layer_init_matches_xavier():
    layer = Layer(300, 700, "tanh", seed=0)
    weights = [w.data for n in layer.neurons for w in n.w]
    # Xavier/Glorot sqrt(2/(300+700)) = 0.0447; He would give 0.0816 and LeCun sqrt(1/300) 0.0577
    assert statistics.pstdev(weights) == pytest.approx(math.sqrt(2 / 1000), rel=0.03)
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_default_init_std_table():
    for name in ("relu", "leaky_relu", "prelu", "elu", "softplus", "maxout"):
        assert default_init_std(name, 50, 10) == math.sqrt(2 / 50)
    for name in ("linear", "sigmoid", "tanh", "hard_tanh", "abs"):
        assert default_init_std(name, 50, 10) == math.sqrt(2 / 60)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        default_init_std("swish", 3)


def test_maxout_pieces_start_he_and_prelu_slope_at_quarter():
    maxout = Maxout(800, 40, pieces=2, seed=1)
    weights = [w.data for unit in maxout.units for n in unit.neurons for w in n.w]
    assert statistics.pstdev(weights) == pytest.approx(math.sqrt(2 / 800), rel=0.03)
    assert [n.slope.data for n in Layer(3, 4, "prelu", seed=0).neurons] == [0.25] * 4


# --- seeds ---------------------------------------------------------------------------------

def test_same_seed_same_model_different_seed_different_model():
    def weights(seed):
        return [p.data for p in MLP(2, [8, 8, 1], seed=seed).parameters()]

    assert weights(3) == weights(3)
    assert weights(3) != weights(4)
    assert [p.data for p in Layer(4, 3, seed=9).parameters()] == [p.data for p in Layer(4, 3, seed=9).parameters()]


def test_models_never_touch_the_global_random_generator():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    MLP(2, [4, 1], seed=0)
    MLP(2, [4, 1], dropout=0.5)([1.0, 2.0])
    Maxout(2, 2, seed=None)
    assert random.random() == expected


# --- dropout -------------------------------------------------------------------------------

def test_dropout_is_identity_at_eval():
    dropout = Dropout(0.5, seed=0).eval()
    x = [Value(float(i)) for i in range(10)]
    assert all(a is b for a, b in zip(dropout(x), x))


def test_dropout_zeroes_about_p_and_scales_survivors_by_inverse_keep_probability():
    p, n, x = 0.3, 20000, 1.5
    out = Dropout(p, seed=0)([x] * n)
    kept = [o.data for o in out if o.data != 0.0]
    assert all(k == x * (1 / (1 - p)) for k in kept)
    keep_fraction = len(kept) / n
    assert keep_fraction == pytest.approx(1 - p, abs=4 * math.sqrt(p * (1 - p) / n))
    # inverted dropout: the training-time mean equals the eval-time output x
    mean = statistics.fmean(o.data for o in out)
    assert mean == pytest.approx(x, abs=0.03)
    # the lecture's form: unscaled masks average (1 - p) x, its test-time activation
    assert keep_fraction * x == pytest.approx((1 - p) * x, abs=0.02)


def test_dropout_gradient_is_zero_or_inverse_keep_probability():
    x = [Value(2.0) for _ in range(200)]
    out = Dropout(0.25, seed=1)(x)
    mg.sum(out).backward()
    for xi, o in zip(x, out):
        assert xi.grad == (0.0 if o.data == 0.0 else 1 / 0.75)
    assert {xi.grad for xi in x} == {0.0, 1 / 0.75}


def test_dropout_masks_are_reproducible_from_the_seed_and_vary_between_calls():
    def outputs(seed):
        model = MLP(2, [16, 16, 1], dropout=0.5, seed=seed)
        return [model([0.5, -0.5]).data for _ in range(5)]

    first = outputs(7)
    assert first == outputs(7)
    assert len(set(first)) > 1


def test_mlp_puts_dropout_after_each_hidden_layer_and_eval_removes_it():
    model = MLP(2, [8, 8, 1], dropout=0.5, seed=0)
    assert [type(layer).__name__ for layer in model.layers] == ["Layer", "Dropout", "Layer", "Dropout", "Layer"]
    x = [0.3, -0.7]
    model.eval()
    assert all(not m.training for m in model.modules())
    plain = model.layers[4](model.layers[2](model.layers[0](x)))
    assert model(x).data == plain.data
    model.train()
    assert all(m.training for m in model.modules())


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, math.nan])
def test_dropout_probability_outside_unit_interval_is_refused(p):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(p)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        MLP(2, [3, 1], dropout=p)


def test_dropout_probability_must_be_a_number():
    with pytest.raises(TypeError, match="str"):
        Dropout("0.5")


# --- PReLU and maxout ------------------------------------------------------------------------

def test_prelu_slope_is_a_learned_parameter():
    neuron = Neuron(2, "prelu", seed=0)
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 1.0, 1.0, 0.0
    out = neuron([-2.0, 0.5])  # z = -1.5 < 0, out = a z
    assert out.data == 0.25 * -1.5
    out.backward()
    assert neuron.slope.grad == -1.5  # d(a z)/da = z
    assert neuron.slope in neuron.parameters()
    neuron.zero_grad()
    neuron([2.0, 0.5]).backward()  # z > 0: the slope is not used
    assert neuron.slope.grad == 0.0


def test_maxout_forward_is_max_of_pieces_and_gradient_goes_to_the_winner():
    maxout = Maxout(2, 1, pieces=3, seed=0)
    pieces = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.5), (-1.0, -1.0, 0.0)]  # (w0, w1, b) per piece
    set_parameters(maxout, [v for piece in pieces for v in piece])
    x = [1.0, 2.0]
    values = [w0 * x[0] + w1 * x[1] + b for w0, w1, b in pieces]  # 1.0, 2.5, -3.0
    out = maxout(x)
    assert out.op == "max" and out.data == max(values) == 2.5
    out.backward()
    assert [p.grad for p in maxout.parameters()] == [0.0, 0.0, 0.0, 1.0, 2.0, 1.0, 0.0, 0.0, 0.0]


# --- the perceptron ----------------------------------------------------------------------------

def separable_data(n=60, margin=0.3, seed=0):
    """Points in [-3, 3]^2 labelled by the line x0 - 2 x1 + 0.5 = 0, none closer than ``margin``."""
    rng = random.Random(seed)
    X, t = [], []
    while len(X) < n:
        x = [rng.uniform(-3, 3), rng.uniform(-3, 3)]
        z = (x[0] - 2 * x[1] + 0.5) / math.sqrt(1 + 4 + 0.25)
        if abs(z) >= margin:
            X.append(x)
            t.append(1 if z > 0 else -1)
    return X, t


def test_perceptron_converges_on_separable_data_within_novikoffs_bound():
    X, t = separable_data()
    perceptron = Perceptron(2)
    history = perceptron.fit(X, t, epochs=1000)
    assert history[-1] == 0 and all(h > 0 for h in history[:-1])
    assert [perceptron.predict(x) for x in X] == t
    # Novikoff: at most (R / gamma)^2 mistakes, R = max |(x, 1)|, gamma the margin of a separator
    w_star = [1.0, -2.0, 0.5]
    norm = math.sqrt(sum(w * w for w in w_star))
    gamma = min(tk * (w_star[0] * x[0] + w_star[1] * x[1] + w_star[2]) / norm for x, tk in zip(X, t))
    radius = max(math.sqrt(x[0] ** 2 + x[1] ** 2 + 1) for x in X)
    assert sum(history) <= (radius / gamma) ** 2


def test_perceptron_shuffled_fit_is_reproducible_and_converges():
    X, t = separable_data(seed=3)
    a, b = Perceptron(2, seed=5), Perceptron(2, seed=5)
    history = a.fit(X, t, shuffle=True, epochs=1000)
    assert history == b.fit(X, t, shuffle=True, epochs=1000)
    assert history[-1] == 0 and [a.predict(x) for x in X] == t


def test_perceptron_never_converges_on_xor():
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    history = Perceptron(2).fit(X, [-1, 1, 1, -1], epochs=30)
    assert len(history) == 30 and all(h > 0 for h in history)


@pytest.mark.parametrize("lr", [1.0, 0.5])
def test_perceptron_updates_equal_sgd_on_max_of_minus_z_t_and_zero(lr):
    X, t = separable_data(n=40, margin=0.1, seed=1)
    rule, sgd = Perceptron(2), Perceptron(2)
    updates = 0
    for _ in range(3):
        for x, tk in zip(X, t):
            updated = rule.update(x, tk, lr)
            sgd.zero_grad()
            loss = sgd.loss(x, tk)
            loss.backward()
            for p in sgd.parameters():
                p.data -= lr * p.grad
            assert [p.data for p in sgd.parameters()] == [p.data for p in rule.parameters()]
            updates += updated
    assert updates > 0  # the comparison covered real updates, including the first one at w = 0


def test_perceptron_loss_is_the_lecture_error():
    perceptron = Perceptron(2)
    set_parameters(perceptron, [1.0, -1.0, 0.5])
    assert perceptron.loss([1.0, 3.0], 1).data == 1.5  # z = -1.5, misclassified: -z t
    assert perceptron.loss([1.0, 3.0], -1).data == 0.0
    assert perceptron([1.0, 3.0]).data == -1.5 and perceptron.predict([1.0, 3.0]) == -1


@pytest.mark.parametrize(("target", "error"), [(0, ValueError), (2.0, ValueError), ("1", TypeError), (True, TypeError)])
def test_perceptron_targets_must_be_plus_or_minus_one(target, error):
    perceptron = Perceptron(2)
    with pytest.raises(error, match=r"-1 or \+1"):
        perceptron.fit([[0.0, 1.0]], [target])
    with pytest.raises(error, match=r"-1 or \+1"):
        perceptron.update([0.0, 1.0], target)
    assert [p.data for p in perceptron.parameters()] == [0.0, 0.0, 0.0]


def test_perceptron_fit_argument_errors():
    perceptron = Perceptron(2)
    with pytest.raises(ValueError, match="same length, got 2 and 1"):
        perceptron.fit([[0.0, 1.0], [1.0, 0.0]], [1])
    with pytest.raises(ValueError, match="lr must be > 0"):
        perceptron.fit([[0.0, 1.0]], [1], lr=0.0)
    with pytest.raises(ValueError, match=r"X\[1\]: expected 2 inputs, got 3"):
        perceptron.fit([[0.0, 1.0], [1.0, 0.0, 2.0]], [1, -1])


# --- XOR (LECTURES row 10) -----------------------------------------------------------------------

def test_hand_set_relu_network_computes_xor():
    model = MLP(2, [2, 1], activation="relu", seed=0)
    state = model.state_dict()
    # hidden neurons (w, c): W = [[1, 1], [1, 1]], c = [0, -1]; output (w, b): w = [1, -2], b = 0
    state["parameters"] = [1.0, 1.0, 0.0, 1.0, 1.0, -1.0, 1.0, -2.0, 0.0]
    model.load_state_dict(state)
    corners = [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert [[h.data for h in model.layers[0](x)] for x in corners] == [[0, 0], [1, 0], [1, 0], [2, 1]]
    assert [model(x).data for x in corners] == [0.0, 1.0, 1.0, 0.0]


# --- train / eval, display ------------------------------------------------------------------------

def test_train_and_eval_reach_every_module_and_return_the_model():
    model = MLP(2, [4, 4, 1], activation="maxout", dropout=0.2, seed=0)
    assert model.eval() is model and all(m.training is False for m in model.modules())
    assert model.train() is model and all(m.training is True for m in model.modules())
    # the model, its 5 layers, 2 x 4 maxout units of 2 piece neurons each, the output neuron
    assert sum(1 for _ in model.modules()) == 1 + 5 + 8 + 16 + 1


def test_repr_and_html_summary():
    model = MLP(2, [16, 16, 1], seed=0)
    assert repr(model) == "MLP(2 -> [16 relu, 16 relu, 1 linear], 337 parameters)"
    table = model._repr_html_()
    assert table.count("<tr>") == 1 + 3 + 1
    assert "<td>48</td>" in table and "<td>272</td>" in table and "<td>17</td>" in table and "<b>337</b>" in table
    assert repr(MLP(2, [4, 1], activation="maxout", pieces=3, dropout=0.1, seed=0)) == (
        "MLP(2 -> [4 maxout(3), dropout 0.1, 1 linear], 41 parameters)"
    )
    assert repr(Layer(2, 3, "tanh")) == "Layer(2 -> 3 tanh, 9 parameters)"
    assert repr(Neuron(2, "prelu")) == "Neuron(2 -> 1 prelu, 4 parameters)"
    assert repr(Maxout(2, 3, pieces=2)) == "Maxout(2 -> 3, 2 pieces, 18 parameters)"
    assert repr(Dropout(0.5)) == "Dropout(p=0.5)"
    assert repr(Perceptron(3)) == "Perceptron(3 inputs, 4 parameters)"
    assert "<td>sign</td>" in Perceptron(3)._repr_html_()


# --- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", [MLP(2, [3, 1], seed=0), Layer(2, 3, seed=0), Neuron(2, seed=0), Maxout(2, 2, seed=0)])
def test_wrong_number_of_inputs(model):
    name = type(model).__name__
    with pytest.raises(ValueError, match=f"^{name}: expected 2 inputs, got 3$"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="expected 2 inputs, got 0"):
        model([])


def test_non_numeric_inputs_name_type_and_position():
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match="input 1 must be a number or a Value, got str '2'"):
        model([1.0, "2"])
    with pytest.raises(TypeError, match="input 0 .* got NoneType None"):
        model([None, 1.0])
    with pytest.raises(TypeError, match="input 0 .* got list"):
        model([[1.0], 2.0])
    with pytest.raises(TypeError, match="sequence of numbers or Values, got str"):
        model("12")
    with pytest.raises(TypeError, match="got float"):
        model(1.0)
    with pytest.raises(TypeError, match="single Value"):
        MLP(1, [1], seed=0)(Value(1.0))


def test_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'swish'; valid names: linear, relu, leaky_relu, sigmoid, tanh, elu"):
        MLP(2, [3, 1], activation="swish")
    with pytest.raises(ValueError, match="valid names: .*prelu, maxout"):
        MLP(2, [3, 1], output_activation="softmax")
    with pytest.raises(ValueError, match="unknown activation 'maxout'"):
        Layer(2, 3, "maxout")
    with pytest.raises(TypeError, match="activation must be a name"):
        Neuron(2, activation=None)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Neuron(0), ValueError, "nin must be an int >= 1, got 0"),
        (lambda: Neuron(2.0), TypeError, "nin must be an int, got float"),
        (lambda: Layer(2, True), TypeError, "nout must be an int, got bool"),
        (lambda: MLP(2, []), TypeError, "non-empty list of layer sizes"),
        (lambda: MLP(2, "16"), TypeError, "non-empty list of layer sizes"),
        (lambda: MLP(2, 16), TypeError, "non-empty list of layer sizes"),
        (lambda: MLP(2, [16, 0, 1]), ValueError, r"nouts\[1\] must be an int >= 1"),
        (lambda: MLP(2, [3, 1], pieces=3), ValueError, "pieces applies only to maxout"),
        (lambda: MLP(2, [3, 1], activation="maxout", pieces=0), ValueError, "pieces must be an int >= 1"),
        (lambda: Maxout(2, 2, pieces=1.5), TypeError, "pieces must be an int"),
        (lambda: MLP(2, [3, 1], seed="abc"), TypeError, "seed must be an int, None or a random.Random, got str"),
        (lambda: MLP(2, [3, 1], seed=1.5), TypeError, "seed must be an int, None or a random.Random, got float"),
        (lambda: MLP(2, [3, 1]).train("yes"), TypeError, "mode must be a bool"),
    ],
)
def test_bad_constructor_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


# --- sizes are checked before anything is allocated (issue 15, finding 8) -----------------

@pytest.mark.parametrize(("make", "message"), [
    (lambda: MLP(2, [100_000, 100_000]), "MLP: 10,000,400,000 parameters is more than the 1,000,000"),
    (lambda: MLP(2, [4, 10**9]), "MLP: 5,000,000,012 parameters"),
    (lambda: MLP(3, [1000, 1000], activation="maxout", pieces=2), r"MLP: 1,009,000 parameters"),  # 4*1000*2 + 1001*1000
    (lambda: Layer(10**6, 2), "Layer: 2,000,002 parameters"),
    (lambda: Neuron(10**7), "Neuron: 10,000,001 parameters"),
])
def test_a_model_over_the_parameter_limit_is_refused_before_it_is_built(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_model_file_with_a_huge_layer_is_refused_before_building(tmp_path):
    state = MLP(2, [3, 1], seed=0).state_dict()
    state["architecture"]["nouts"], state["parameters"] = [10**9], []
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(state))
    assert len(path.read_bytes()) < 300  # 223 bytes in the report that found it
    with pytest.raises(ValueError, match=r"from_file .*huge.json'.*MLP: 3,000,000,000 parameters is more than"):
        MLP.from_file(path)


@pytest.mark.parametrize("target", [1, -1])
def test_perceptron_boundary_is_a_mistake_for_either_target_in_predict_update_and_loss(target):
    perceptron = Perceptron(2)
    set_parameters(perceptron, [1.0, -1.0, 0.5])
    x = [0.0, 0.5]  # z = 0 - 0.5 + 0.5 = 0
    assert perceptron([0.0, 0.5]).data == 0.0 and perceptron.predict(x) == 0 != target
    perceptron.zero_grad()
    perceptron.loss(x, target).backward()
    assert [p.grad for p in perceptron.parameters()] == [-0.0 * target, -0.5 * target, -1.0 * target]  # -t(x, 1)
    assert perceptron.update(x, target, lr=1.0)
    assert [p.data for p in perceptron.parameters()] == [1.0, -1.0 + 0.5 * target, 0.5 + target]
