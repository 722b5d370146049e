"""Plots return their Axes with the expected artists, headless; activation derivatives come from backprop."""
from __future__ import annotations

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.axes import Axes
from matplotlib.contour import ContourSet

from microgradnet import MLP, no_grad
from microgradnet.data import make_blobs, make_moons
from microgradnet.plot import ACTIVATIONS, plot_activation, plot_decision_boundary, plot_history
from microgradnet.train import History, fit, predict


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _lines(ax: Axes) -> dict[str, matplotlib.lines.Line2D]:
    return {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}


def test_decision_boundary_fills_predicted_regions_and_draws_the_points() -> None:
    X, y = make_blobs(30, centers=3, seed=0)
    model = MLP(2, [6, 3], seed=0)
    fit(model, X, y, loss="cross_entropy", epochs=10, lr=0.2, progress=False)
    ax = plot_decision_boundary(model, X, y, resolution=15)
    assert isinstance(ax, Axes)
    fills = [a for a in ax.get_children() if isinstance(a, ContourSet) and a.filled]
    assert len(fills) == 3 and all(f.levels[0] == 0.0 for f in fills)  # each class where it wins
    points = [c for c in ax.collections if c.get_label().startswith("class")]
    assert [c.get_label() for c in points] == ["class 0", "class 1", "class 2"]
    assert sorted(len(c.get_offsets()) for c in points) == [10, 10, 10]
    for c, label in zip(points, range(3)):
        assert sorted(map(tuple, c.get_offsets().tolist())) == sorted(tuple(x) for x, t in zip(X, y) if t == label)
    x_low, x_high = ax.get_xlim()
    assert x_low < min(x[0] for x in X) and x_high > max(x[0] for x in X)
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None


def spy_on_contourf(ax: Axes) -> list[tuple[tuple, dict]]:
    """The (args, kwargs) of each ``ax.contourf`` call, which still draws."""
    drawn = []
    contourf = ax.contourf
    ax.contourf = lambda *args, **kwargs: drawn.append((args, kwargs)) or contourf(*args, **kwargs)
    return drawn


def test_decision_boundary_regions_are_the_models_predictions() -> None:
    X, y = make_moons(20, seed=1)
    model = MLP(2, [4, 1], seed=0)
    fit(model, X, y, epochs=20, lr=0.2, progress=False)
    _, ax = plt.subplots()
    drawn = spy_on_contourf(ax)
    plot_decision_boundary(model, X, y, ax=ax, resolution=7)
    (grid1, grid2, scores), kwargs = drawn[0]
    assert len(grid1) == len(grid2) == 7
    classes = [[int(score > 0) for score in row] for row in scores]  # one output: filled from the score, split at 0
    assert classes == [predict(model, [[a, b] for a in grid1]) for b in grid2]
    assert {c for row in classes for c in row} == {0, 1}  # the boundary crosses the plotted area
    assert model.training  # predicted in eval mode, then put back in the mode it was in
    with no_grad():
        assert scores == [[model([a, b]).data for a in grid1] for b in grid2]
    low, zero, high = kwargs["levels"]
    assert zero == 0.0 and low < min(map(min, scores)) and high > max(map(max, scores))


def test_one_output_boundary_is_the_score_zero_contour() -> None:
    X, y = make_moons(40, seed=0)
    model = MLP(2, [8, 1], seed=0)
    fit(model, X, y, loss="hinge", epochs=30, lr=0.5, progress=False)
    ax = plot_decision_boundary(model, X, y, resolution=30)
    sets = [a for a in ax.get_children() if isinstance(a, ContourSet)]
    fills, lines = [s for s in sets if s.filled], [s for s in sets if not s.filled]
    assert len(fills) == 1 and len(fills[0].levels) == 3 and fills[0].levels[1] == 0.0
    assert len(lines) == 1 and list(lines[0].levels) == [0.0] and lines[0].colors == "black"
    vertices = [point for segment in lines[0].allsegs[0] for point in segment]
    assert len(vertices) > 10
    with no_grad():
        on_line = [abs(model(list(point)).data) for point in vertices]
        spread = max(abs(model(x).data) for x in X)
    assert max(on_line) < 0.05 * spread  # the line is where the score is 0, up to the grid's linear interpolation


def test_one_output_with_plus_minus_one_labels_draws_every_point_in_its_class_color() -> None:
    # fit and hinge take labels -1/+1 as well as 0/1; the -1 points were once left off the plot
    X, y = make_moons(20, seed=1)
    signed = [2 * t - 1 for t in y]
    model = MLP(2, [4, 1], seed=0)
    fit(model, X, signed, epochs=20, lr=0.2, progress=False)
    points = {c.get_label(): c for c in plot_decision_boundary(model, X, signed, resolution=5).collections
              if c.get_label().startswith("class")}
    zero_one = {c.get_label(): c for c in plot_decision_boundary(model, X, y, resolution=5).collections
                if c.get_label().startswith("class")}
    assert list(points) == ["class -1", "class 1"] and list(zero_one) == ["class 0", "class 1"]
    for signed_label, label in (("class -1", "class 0"), ("class 1", "class 1")):
        assert points[signed_label].get_offsets().tolist() == zero_one[label].get_offsets().tolist()
        assert (points[signed_label].get_facecolor() == zero_one[label].get_facecolor()).all()
    assert sum(len(c.get_offsets()) for c in points.values()) == 20


def test_one_output_that_never_crosses_zero_fills_one_class_and_draws_no_line() -> None:
    X, y = make_moons(10)
    for bias in (0.0, math.nan):
        model = MLP(2, [1], seed=0)
        for p in model.parameters():
            p.data = bias
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ax = plot_decision_boundary(model, X, y, resolution=5)
        sets = [a for a in ax.get_children() if isinstance(a, ContourSet)]
        assert len(sets) == 1 and sets[0].filled and list(sets[0].levels) == [-1.0, 0.0, 1.0]


def test_several_outputs_fill_the_argmax_regions() -> None:
    X, y = make_blobs(30, centers=3, seed=0)
    model = MLP(2, [6, 3], seed=0)
    fit(model, X, y, loss="cross_entropy", epochs=10, lr=0.2, progress=False)
    _, ax = plt.subplots()
    drawn = spy_on_contourf(ax)
    plot_decision_boundary(model, X, y, ax=ax, resolution=9)
    assert len(drawn) == 3
    grid1, grid2 = drawn[0][0][:2]
    predicted = [predict(model, [[a, b] for a in grid1]) for b in grid2]
    for c, ((_, _, margins), kwargs) in enumerate(drawn):  # class c is filled where its margin is > 0
        assert [[m > 0 for m in row] for row in margins] == [[p == c for p in row] for row in predicted]
        assert kwargs["levels"][0] == 0.0
    assert {c for row in predicted for c in row} == {0, 1, 2}
    assert len([a for a in ax.get_children() if isinstance(a, ContourSet) and not a.filled]) == 3


def test_two_classes_that_meet_draw_no_band_of_a_third_between_them() -> None:
    # scores (x1, -100, -x1): class 1 never wins, so nothing may be filled in its color (contouring the
    # integer labels 0 and 2 drew a thin band of class 1 along x1 = 0, where the interpolated label crosses 1)
    model = MLP(2, [3], output_activation="linear", seed=0)
    for neuron, (w, b) in zip(model.layers[0].neurons, (([1.0, 0.0], 0.0), ([0.0, 0.0], -100.0), ([-1.0, 0.0], 0.0))):
        neuron.w[0].data, neuron.w[1].data, neuron.b.data = *w, b
    X, y = [[-1.0, 0.0], [1.0, 0.5], [-0.5, 1.0], [0.5, -1.0]], [2, 0, 2, 0]
    _, ax = plt.subplots()
    drawn = spy_on_contourf(ax)
    plot_decision_boundary(model, X, y, ax=ax, resolution=11)
    colors = [kwargs["colors"][0] for _, kwargs in drawn]
    assert len(drawn) == 2 and colors == [matplotlib.colormaps["tab10"].colors[c] for c in (0, 2)]


def test_decision_boundary_takes_numpy_arrays_as_fit_does() -> None:
    np = pytest.importorskip("numpy")
    X, y = make_moons(20, seed=2)
    model = MLP(2, [4, 1], seed=0)
    fit(model, np.array(X), np.array(y), epochs=5, progress=False)
    ax = plot_decision_boundary(model, np.array(X), np.array(y), resolution=5)
    assert [c.get_label() for c in ax.collections if c.get_label().startswith("class")] == ["class 0", "class 1"]
    with pytest.raises(ValueError, match="expected 2-D points"):
        plot_decision_boundary(model, np.zeros((0, 2)), np.zeros(0))


def test_decision_boundary_on_given_axes_and_bad_input() -> None:
    _, ax = plt.subplots()
    X, y = make_moons(10)
    assert plot_decision_boundary(MLP(2, [2, 1], seed=0), X, y, ax=ax, resolution=3) is ax
    with pytest.raises(ValueError, match="expected 2-D points"):
        plot_decision_boundary(MLP(3, [1], seed=0), [[0.0, 0.0, 0.0]], [0])
    with pytest.raises(ValueError, match="same length, got 10 and 9"):
        plot_decision_boundary(MLP(2, [1], seed=0), X, y[:-1])


def test_history_plot_has_loss_accuracy_on_a_twin_axis_and_dashed_validation() -> None:
    history = History(loss=[1.0, 0.5, 0.4], accuracy=[0.5, 0.8, 0.9], val_loss=[1.1, 0.6, 0.7],
                      val_accuracy=[0.4, 0.7, 0.6], best_epoch=1)
    ax = plot_history(history)
    assert isinstance(ax, Axes)
    lines = _lines(ax)
    assert set(lines) == {"loss", "val_loss", "best epoch"}
    assert list(lines["loss"].get_xdata()) == [1, 2, 3] and list(lines["loss"].get_ydata()) == [1.0, 0.5, 0.4]
    assert lines["val_loss"].get_linestyle() == "--" and lines["loss"].get_linestyle() == "-"
    assert list(lines["best epoch"].get_xdata()) == [2, 2]
    twin = next(other for other in ax.figure.axes if other is not ax)
    twin_lines = _lines(twin)
    assert list(twin_lines["accuracy"].get_ydata()) == [0.5, 0.8, 0.9]
    assert twin_lines["val_accuracy"].get_linestyle() == "--"
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss" and twin.get_ylabel() == "accuracy"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loss", "val_loss", "accuracy", "val_accuracy",
                                                                   "best epoch"]


def test_history_plot_of_a_regression_run_has_no_accuracy_axis() -> None:
    ax = plot_history(History(loss=[0.3, 0.2]))
    assert set(_lines(ax)) == {"loss"} and len(ax.figure.axes) == 1
    with pytest.raises(ValueError, match="no epochs"):
        plot_history(History())


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


CLOSED_FORMS = {
    "linear": (lambda x: x, lambda x: 1.0),
    "relu": (lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0),
    "leaky_relu": (lambda x: x if x > 0 else 0.01 * x, lambda x: 1.0 if x > 0 else 0.01),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": (math.tanh, lambda x: 1 - math.tanh(x) ** 2),
    "elu": (lambda x: x if x > 0 else math.exp(x) - 1, lambda x: 1.0 if x > 0 else math.exp(x)),
    "softplus": (lambda x: math.log1p(math.exp(x)), _sigmoid),
    "abs": (abs, lambda x: 1.0 if x > 0 else -1.0 if x < 0 else 0.0),
    "hard_tanh": (lambda x: min(max(x, -1.0), 1.0), lambda x: 1.0 if -1 < x < 1 else 0.0),
    "prelu": (lambda x: x if x > 0 else 0.25 * x, lambda x: 1.0 if x > 0 else 0.25),
    "maxout": (lambda x: max(-0.5 * x - 1, 0.5 * x, 2 * x - 3),
               lambda x: -0.5 if x <= -1 else 0.5 if x <= 2 else 2.0),  # at a tie, the first piece (engine's max)
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_plot_shows_the_function_and_its_backprop_derivative(name: str) -> None:
    assert set(ACTIVATIONS) == set(CLOSED_FORMS)
    ax = plot_activation(name, points=81)
    assert isinstance(ax, Axes) and name in ax.get_title()
    lines = _lines(ax)
    function, derivative = CLOSED_FORMS[name]
    xs = list(lines["f(x)"].get_xdata())
    assert len(xs) == 81 and xs[0] == -4.0 and xs[-1] == 4.0
    assert list(lines["f(x)"].get_ydata()) == pytest.approx([function(x) for x in xs], abs=1e-12)
    assert list(lines["f'(x) by backprop"].get_ydata()) == pytest.approx([derivative(x) for x in xs], abs=1e-12)


def test_activation_plot_refuses_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        plot_activation("swish")


# --- the live view and the animation (fit(live=...)) --------------------------------------------------------

def test_live_fit_headless_keeps_one_snapshot_every_k_epochs_and_the_boundary_moves():
    import numpy as np

    from microgradnet.plot import LiveView, boundary_grid
    from microgradnet.train import scores

    X, y = make_moons(60, seed=2)
    model = MLP(2, [8, 8, 1], seed=4)
    history = fit(model, X, y, epochs=20, lr=0.5, progress=False, compile="batch", live=5)
    assert [s.epoch for s in history.snapshots] == [0, 5, 10, 15, 20]
    last = history.snapshots[-1]
    grid1, grid2 = boundary_grid(X, len(last.grid[0]))
    assert last.grid == (grid1, grid2)
    want = scores(model, [[a, b] for b in grid2 for a in grid1])  # the graph's scores, point by point
    got = [v for row in last.field for v in row]
    assert got == pytest.approx(want, rel=1e-12, abs=1e-12)
    view = LiveView(X, y, history)
    first, final = view.frame(history.snapshots[0]), view.frame(last)
    height, width = first.shape[:2]
    box = (slice(int(0.15 * height), int(0.85 * height)), slice(int(0.1 * width), int(0.4 * width)))  # the boundary
    changed = np.any(first[box] != final[box], axis=-1).mean()
    assert changed > 0.05  # the regions moved as the network learned
    right = (slice(None), slice(int(0.55 * width), None))
    assert np.any(first[right] != final[right])  # and the curves were drawn


def test_live_true_takes_about_a_hundred_snapshots():
    X, y = make_moons(20, seed=1)
    history = fit(MLP(2, [3, 1], seed=0), X, y, epochs=250, lr=0.1, progress=False, compile="batch", live=True)
    assert [s.epoch for s in history.snapshots] == list(range(0, 251, 2))


def test_live_refuses_points_that_are_not_2d_before_training():
    model = MLP(3, [4, 1], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match="live=True draws the decision boundary of 2-D points, got a point with 3"):
        fit(model, [[0.0, 1.0, 2.0], [1.0, 0.0, 0.5]], [0, 1], epochs=3, progress=False, live=True)
    assert [p.data for p in model.parameters()] == before


def test_live_view_of_several_classes_colors_the_argmax():
    X, y = make_blobs(45, centers=3, seed=1)
    history = fit(MLP(2, [6, 3], seed=2), X, y, loss="cross_entropy", epochs=6, lr=0.3, progress=False, live=3)
    assert {v for row in history.snapshots[-1].field for v in row} <= {0.0, 1.0, 2.0}
    from microgradnet.plot import LiveView

    assert LiveView(X, y, history, lines=True).png(history.snapshots[-1])[:4] == b"\x89PNG"


def test_the_gif_has_one_frame_per_snapshot(tmp_path):
    from PIL import Image

    from microgradnet.plot import animate

    X, y = make_moons(40, seed=3)
    history = fit(MLP(2, [6, 1], seed=1), X, y, epochs=12, lr=0.5, progress=False, compile="batch", live=4)
    path = animate(history, X, y, tmp_path / "boundary.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == len(history.snapshots) == 4


@pytest.mark.parametrize("name, message", [("b.avi", "expected a file ending in .gif or .mp4, got '.avi'"),
                                           ("b", "got 'no suffix'")])
def test_animate_refuses_a_suffix_it_cannot_write(tmp_path, name, message):
    from microgradnet.plot import check_animation_path

    with pytest.raises(ValueError, match=message):
        check_animation_path(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_diagnostics_count_dead_relu_units_and_saturated_tanh_outputs():
    from microgradnet.plot import plot_diagnostics

    X, y = make_moons(30, seed=1)
    model = MLP(2, [5, 5, 1], seed=3)
    for neuron in model.layers[1].neurons[:2]:  # two units of the second layer never fire: their bias is very negative
        neuron.b.data = -100.0
    history = fit(model, X, y, epochs=3, lr=0.01, progress=False, diagnostics=True)
    assert len(history.layers) == 3 and len(history.update_ratios) == 3
    _, second = history.layers[-1]
    assert second.dead >= 2 and len(second.activations) == 30 * 5 and len(second.gradients) == 5 * 5
    assert all(g == 0.0 for g in second.gradients[:10])  # a dead unit's weights get no gradient
    tanh = fit(MLP(2, [4, 1], activation="tanh", seed=0), [[50.0, 50.0], [-50.0, -50.0]], [1, 0], epochs=1,
               lr=0.0001, progress=False, diagnostics=True)
    expected = sum(abs(a) > 0.97 for a in tanh.layers[0][0].activations) / 8
    assert tanh.layers[0][0].saturated == expected and expected > 0.5
    plt.close(plot_diagnostics(history))


def test_diagnostics_need_an_mlp():
    with pytest.raises(ValueError, match="diagnostics=True reads the hidden layers of an nn.MLP"):
        fit(MLP(2, [1], seed=0), [[0.0, 1.0]], [1], epochs=1, progress=False, diagnostics=True)
