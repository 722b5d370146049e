"""fit / predict / evaluate / gradient_descent on the lecture's training examples (LECTURES rows 10, 13-17)."""
from __future__ import annotations

import math

import pytest

from microgradnet import MLP, Value
from microgradnet.data import make_blobs, make_moons, make_sine, make_xor, train_test_split
from microgradnet.engine import is_grad_enabled
from microgradnet.losses import hinge, l2_penalty, mse
from microgradnet.optim import SGD, Adam
from microgradnet.train import ConvergenceError, History, evaluate, fit, gradient_descent, predict


def test_micrograd_demo_moons_reaches_97_percent() -> None:
    # micrograd's demo.ipynb: MLP(2, [16, 16, 1]), hinge loss + 1e-4 L2, 100 full-batch SGD steps, lr 1.0 - 0.9 k/100
    X, y = make_moons(100, noise=0.1)
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 337
    history = fit(model, X, y, loss="hinge", l2=1e-4, epochs=100, lr_schedule=lambda k: 1.0 - 0.9 * k / 100,
                  progress=False)
    assert evaluate(model, X, y, loss="hinge")["accuracy"] >= 0.97
    assert history.loss[-1] < history.loss[0] / 10


def test_xor_least_squares_linear_model_is_one_half_everywhere() -> None:
    # lecture 001: the normal equations of the linear model on the XOR table give w = 0, b = 1/2
    X, y = make_xor()
    model = MLP(2, [1], seed=0)
    losses = gradient_descent(lambda: mse([model(x) for x in X], y), model.parameters(), lr=0.5, max_steps=5000,
                              tol=1e-16)
    w1, w2, b = model.parameters()[0].data, model.parameters()[1].data, model.parameters()[2].data
    assert (w1, w2, b) == pytest.approx((0.0, 0.0, 0.5), abs=1e-6)
    assert [model(x).data for x in X] == pytest.approx([0.5] * 4, abs=1e-6)
    assert losses[-1] == pytest.approx(0.25, abs=1e-12)  # mean of (1/2)^2: no line does better on XOR


def test_an_mlp_learns_xor_by_gradient_descent() -> None:
    X, y = make_xor()
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    history = fit(model, X, y, loss="bce", epochs=200, optimizer=SGD(model.parameters(), lr=0.5, momentum=0.9),
                  progress=False)
    assert predict(model, X) == [0, 1, 1, 0]
    assert history.accuracy[-1] == 1.0


def test_three_blobs_with_softmax_cross_entropy() -> None:
    X, y = make_blobs(120, centers=3, std=0.8, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    model = MLP(2, [8, 3], seed=0)
    history = fit(model, X_train, y_train, loss="cross_entropy", epochs=30, lr=0.2, val_data=(X_test, y_test),
                  progress=False)
    assert history.accuracy[-1] >= 0.9
    test_accuracy = evaluate(model, X_test, y_test, loss="cross_entropy")["accuracy"]
    assert history.val_accuracy[-1] == test_accuracy
    # the blobs overlap: on held-out points, match the nearest-center rule (optimal for equal round Gaussians)
    centers = [[2 * math.cos(2 * math.pi * k / 3), 2 * math.sin(2 * math.pi * k / 3)] for k in range(3)]
    nearest = [min(range(3), key=lambda k: math.dist(x, centers[k])) for x in X_test]
    assert test_accuracy >= sum(p == t for p, t in zip(nearest, y_test)) / len(y_test) >= 0.9


def test_one_hidden_layer_fits_sine() -> None:
    # universal approximation (lectures 001, 003): judged on a grid 7x finer than the training points
    X, y = make_sine(30)
    model = MLP(1, [10, 1], activation="tanh", seed=0)
    fit(model, X, y, loss="mse", epochs=1000, optimizer=Adam(model.parameters(), lr=0.02), progress=False)
    grid, truth = make_sine(201)
    assert max(abs(model(x).data - t) for x, t in zip(grid, truth)) < 0.1


def _overfitting_run(**kwargs) -> tuple[MLP, History]:
    X, y = make_moons(30, noise=0.35, seed=1)
    val = make_moons(30, noise=0.35, seed=2)
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(model, X, y, loss="bce", optimizer=Adam(model.parameters(), lr=0.005), val_data=val, batch_size=10,
                  progress=False, **kwargs)
    return model, history


def test_early_stopping_restores_the_best_epochs_weights() -> None:
    model, history = _overfitting_run(epochs=60, patience=5)
    best = history.best_epoch
    assert 0 < best < history.stopped_epoch == best + 5 == len(history) - 1
    assert history.val_loss[best] == min(history.val_loss)
    assert all(v > history.val_loss[best] for v in history.val_loss[best + 1:])
    # the same run cut after the best epoch ends with exactly these weights; the stopping epoch's differ
    at_best, _ = _overfitting_run(epochs=best + 1)
    at_stop, _ = _overfitting_run(epochs=history.stopped_epoch + 1)
    weights = [p.data for p in model.parameters()]
    assert weights == [p.data for p in at_best.parameters()]
    assert weights != [p.data for p in at_stop.parameters()]
    assert evaluate(model, *make_moons(30, noise=0.35, seed=2), loss="bce")["loss"] == history.val_loss[best]


def test_minibatches_are_shuffled_by_seed() -> None:
    X, y = make_moons(20, seed=3)

    def run(seed: int) -> list[float]:
        model = MLP(2, [4, 1], seed=0)
        return fit(model, X, y, epochs=3, batch_size=5, seed=seed, progress=False).loss

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_one_epoch_is_one_sgd_step_on_loss_plus_l2() -> None:
    X, y = make_moons(10, seed=4)
    model, manual = MLP(2, [3, 1], seed=1), MLP(2, [3, 1], seed=1)
    history = fit(model, X, y, loss="hinge", epochs=1, lr=0.3, l2=0.01, progress=False)
    scores = [manual(x) for x in X]
    data_loss = hinge(scores, [2 * t - 1 for t in y])
    (data_loss + 0.01 * l2_penalty(manual.parameters())).backward()
    for p in manual.parameters():
        p.data -= 0.3 * p.grad
    assert [p.data for p in model.parameters()] == pytest.approx([p.data for p in manual.parameters()], abs=1e-15)
    assert history.loss == [data_loss.data]
    assert history.accuracy == [sum((s.data > 0) == (t == 1) for s, t in zip(scores, y)) / 10]


def test_hinge_labels_zero_one_and_plus_minus_one_train_alike() -> None:
    X, y = make_moons(12, seed=5)
    first, second = MLP(2, [4, 1], seed=2), MLP(2, [4, 1], seed=2)
    h01 = fit(first, X, y, epochs=3, progress=False)
    hpm = fit(second, X, [2 * t - 1 for t in y], epochs=3, progress=False)
    assert h01.loss == hpm.loss and h01.accuracy == hpm.accuracy


def test_lr_schedule_sets_the_learning_rate_each_epoch() -> None:
    X, y = make_moons(8, seed=6)
    model = MLP(2, [2, 1], seed=0)
    optimizer = SGD(model.parameters(), lr=1.0)
    fit(model, X, y, optimizer=optimizer, epochs=4, lr_schedule=lambda k: 1.0 / (k + 1), progress=False)
    assert optimizer.lr == 0.25


def test_history_by_attribute_and_by_key() -> None:
    X, y = make_moons(8, seed=7)
    history = fit(MLP(2, [2, 1], seed=0), X, y, epochs=3, val_data=(X, y), progress=False)
    assert len(history) == 3 and history.stopped_epoch is None
    assert history.keys() == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert dict(history)["val_loss"] is history.val_loss and history["accuracy"] is history.accuracy
    assert history.best_epoch == history.val_loss.index(min(history.val_loss))
    regression = fit(MLP(1, [2, 1], seed=0), *make_sine(5), loss="mse", epochs=2, progress=False)
    assert regression.keys() == ["loss"] and "accuracy" not in regression
    with pytest.raises(KeyError, match="History has no metric 'accuracy'; it recorded \\['loss'\\]"):
        regression["accuracy"]


def test_predict_thresholds_one_output_and_argmaxes_several() -> None:
    class Fixed:
        """A stand-in model whose outputs are read off the input, to check predict's rule."""

        training = True

        def __init__(self, outputs: int) -> None:
            self.outputs = outputs

        def __call__(self, x: list[float]):
            return Value(x[0]) if self.outputs == 1 else [Value(v) for v in x]

        def eval(self) -> None:
            self.training = False

        def train(self) -> None:
            self.training = True

    one = Fixed(1)
    assert predict(one, [[0.5], [0.0], [-2.0]]) == [1, 0, 0]
    assert one.training  # back in the mode it was in
    assert predict(Fixed(3), [[0.1, 0.7, 0.2], [3.0, 3.0, 1.0], [-1.0, -3.0, -0.5]]) == [1, 0, 2]


def test_evaluate_and_predict_build_no_graph_and_use_eval_mode() -> None:
    calls = []

    class Recording(MLP):
        """An MLP that notes, on each call, whether a graph is being built and the mode it is in."""

        def __call__(self, x):
            out = super().__call__(x)
            calls.append((is_grad_enabled(), self.training, out.inputs))
            return out

    X, y = make_moons(20, seed=8)
    model = Recording(2, [8, 1], dropout=0.5, seed=0)
    first = evaluate(model, X, y)
    assert evaluate(model, X, y) == first  # dropout is off in eval mode, so repeated runs agree
    predict(model, X)
    assert len(calls) == 60 and set(calls) == {(False, False, ())}  # no graph: every output is a leaf
    assert model.training
    assert first["loss"] == hinge([model.eval()(x) for x in X], [2 * t - 1 for t in y]).data


def test_progress_bar_shows_loss_and_accuracy_and_can_be_silenced(capsys: pytest.CaptureFixture) -> None:
    X, y = make_moons(8, seed=9)
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err and "loss=" in err and "accuracy=" in err
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=2, progress=False)
    assert capsys.readouterr() == ("", "")


def test_a_callable_loss_with_integer_labels_reports_accuracy() -> None:
    X, y = make_moons(8, seed=10)
    history = fit(MLP(2, [2, 1], seed=0), X, y, loss=lambda s, t: hinge(s, [2 * v - 1 for v in t]), epochs=2,
                  progress=False)
    assert len(history.accuracy) == 2


def test_gradient_descent_stops_by_the_lecture_rule() -> None:
    theta = Value(0.0)
    losses = gradient_descent(lambda: (theta - 3.0) ** 2, [theta], lr=0.1, max_steps=1000, tol=1e-12)
    assert theta.data == pytest.approx(3.0, abs=1e-5)
    assert losses[0] == 9.0 and losses[-2] - losses[-1] < 1e-12
    assert all(a - b >= 1e-12 for a, b in zip(losses[:-2], losses[1:-1]))  # every earlier step decreased by >= tol
    # (θ - 3)^2 shrinks by 0.8^2 per step: L_i - L_i+1 = 9 * 0.64^i * 0.36, first below tol at i = ceil(...),
    # and the loop returns after that step, number i + 1
    first_small = math.ceil(math.log(1e-12 / (9 * 0.36)) / math.log(0.64))
    assert len(losses) - 1 == first_small + 1


def test_gradient_descent_not_converged() -> None:
    theta = Value(0.0)
    with pytest.raises(ConvergenceError, match="did not converge after 5 steps"):
        gradient_descent(lambda: (theta - 3.0) ** 2, [theta], lr=0.01, max_steps=5, tol=1e-12)
    theta.data = 0.0
    losses = gradient_descent(lambda: (theta - 3.0) ** 2, [theta], lr=0.01, max_steps=5, tol=1e-12,
                              raise_on_no_convergence=False)
    assert losses == pytest.approx([9.0 * 0.98 ** (2 * i) for i in range(6)], rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loss": "l2"}, "unknown loss 'l2', expected one of"),
        ({"patience": 3}, "patience \\(early stopping\\) needs val_data"),
        ({"epochs": 0}, "epochs must be an int >= 1, got 0"),
        ({"batch_size": 0}, "batch_size must be an int >= 1"),
        ({"l2": -1.0}, "l2 must be >= 0"),
        ({"loss": "cross_entropy"}, "needs a model with one output per class"),
        ({"optimizer": "sgd", "lr": 0.1}, "lr sets the default SGD's learning rate"),
    ],
)
def test_fit_refuses_bad_arguments(kwargs: dict, message: str) -> None:
    X, y = make_moons(6, seed=11)
    with pytest.raises(ValueError, match=message):
        fit(MLP(2, [2, 1], seed=0), X, y, epochs=kwargs.pop("epochs", 1), progress=False, **kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [({"epochs": 10.0}, "epochs must be an int, got float 10.0"),
                                                 ({"batch_size": "5"}, "batch_size must be an int, got str '5'"),
                                                 ({"patience": True}, "patience must be an int, got bool")])
def test_fit_refuses_counts_that_are_not_ints_with_a_type_error(kwargs: dict, message: str) -> None:
    X, y = make_moons(6, seed=11)
    with pytest.raises(TypeError, match=message):
        fit(MLP(2, [2, 1], seed=0), X, y, val_data=(X, y), progress=False, **kwargs)
    theta = Value(0.0)
    with pytest.raises(TypeError, match="max_steps must be an int, got float"):
        gradient_descent(lambda: theta * theta, [theta], max_steps=100.0)


def test_fit_refuses_mismatched_data_and_multi_output_hinge() -> None:
    with pytest.raises(ValueError, match="same length, got 3 samples and 2 targets"):
        fit(MLP(2, [2, 1], seed=0), [[0.0, 0.0]] * 3, [0, 1], progress=False)
    with pytest.raises(ValueError, match="loss 'hinge' needs a model with one output, got 3 outputs"):
        fit(MLP(2, [3], seed=0), [[0.0, 0.0]], [1], progress=False)


def test_compiled_fit_gives_the_same_history_and_weights_as_the_dynamic_path():
    """fit(compile=True) replays a recorded step: the same numbers as building the graph each step."""
    X, y = make_moons(40, noise=0.1, seed=3)
    runs = []
    for compiled in (False, True):
        model = MLP(2, [8, 8, 1], seed=5)
        history = fit(model, X, y, loss="hinge", epochs=6, lr=0.5, l2=1e-4, progress=False, compile=compiled)
        runs.append((history.loss, history.accuracy, [p.data for p in model.parameters()]))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_compiled_fit_refuses_dropout_before_training(mode: str) -> None:
    # fit puts the model in training mode, so the tape's advice to call model.eval() would not help
    X, y = make_moons(8, seed=12)
    model = getattr(MLP(2, [4, 1], dropout=0.5, seed=0), mode)()
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match="compile=True cannot train a model with dropout.*compile=False"):
        fit(model, X, y, epochs=2, progress=False, compile=True)
    assert [p.data for p in model.parameters()] == before


def test_compiled_fit_with_minibatches_and_cross_entropy_matches_the_dynamic_path():
    X, y = make_blobs(30, centers=3, seed=1)
    runs = []
    for compiled in (False, True):
        model = MLP(2, [6, 3], activation="tanh", seed=2)
        history = fit(model, X, y, loss="cross_entropy", epochs=3, lr=0.2, batch_size=10, progress=False,
                      compile=compiled)
        runs.append((history.accuracy, [p.data for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15)
