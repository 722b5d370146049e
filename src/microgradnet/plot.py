"""Matplotlib plots: a trained network's decision boundary, a training history, an activation and its derivative.

matplotlib is imported inside each function, so ``import microgradnet`` does not need it. Each function
draws on ``ax`` (a new figure when None) and returns the Axes.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable

from .engine import Value
from .engine import max as value_max
from .functional import grad
from .nn import ACTIVATION_FUNCTIONS
from .train import History, Model, predicted_class, scores, true_class

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(6, 4.5))[1]


def _class_colors(k: int) -> list:
    import matplotlib

    palette = matplotlib.colormaps["tab10"].colors  # type: ignore[attr-defined]  # a ListedColormap
    return [palette[i % len(palette)] for i in range(k)]


def plot_decision_boundary(
    model: Model, X: Sequence[Sequence[float]], y: Sequence[int], ax: Axes | None = None, resolution: int = 100,
) -> Axes:
    """Color the plane by the class ``model`` predicts (score > 0 or argmax) and draw the points of ``(X, y)`` on it.

    The grid is ``resolution`` x ``resolution`` points over the data's range plus a margin, evaluated in eval
    mode without a graph. A one-output model's regions are filled from its continuous score, so the boundary
    is the smooth contour score = 0 (drawn as a thin black line); several outputs fill the argmax regions.
    """
    if len(X) == 0 or any(len(x) != 2 for x in X):  # len, not truth: X may be a NumPy array, as fit allows
        raise ValueError("plot_decision_boundary: expected 2-D points (a non-empty list of [x1, x2])")
    if len(X) != len(y):
        raise ValueError(f"plot_decision_boundary: X and y must have the same length, got {len(X)} and {len(y)}")
    if resolution < 2:
        raise ValueError(f"plot_decision_boundary: resolution must be >= 2, got {resolution!r}")
    ax = _axes(ax)
    x1s, x2s = [x[0] for x in X], [x[1] for x in X]
    margin1, margin2 = 0.1 * (max(x1s) - min(x1s)) + 0.25, 0.1 * (max(x2s) - min(x2s)) + 0.25
    low1, high1, low2, high2 = min(x1s) - margin1, max(x1s) + margin1, min(x2s) - margin2, max(x2s) + margin2
    grid1 = [low1 + (high1 - low1) * i / (resolution - 1) for i in range(resolution)]
    grid2 = [low2 + (high2 - low2) * j / (resolution - 1) for j in range(resolution)]
    outputs: list[Any] = scores(model, [[a, b] for b in grid2 for a in grid1])
    one_output = isinstance(outputs[0], float)
    predicted = [predicted_class(output) for output in outputs]  # as train.predict
    field: list[Any] = outputs if one_output else predicted
    if one_output:
        finite = [score for score in outputs if math.isfinite(score)]  # NaN and inf points are left unfilled
        low, high = min([*finite, 0.0]), max([*finite, 0.0])
    rows = [field[j * resolution:(j + 1) * resolution] for j in range(resolution)]
    classes = [true_class(label, one_output) for label in y]  # one output: labels -1/+1 as well as 0/1
    k = max([*classes, *predicted, 1]) + 1
    colors = _class_colors(k)
    if one_output:
        ax.contourf(grid1, grid2, rows, levels=[low - 1.0, 0.0, high + 1.0], colors=colors[:2], alpha=0.3)
        if low < 0.0 < high:
            ax.contour(grid1, grid2, rows, levels=[0.0], colors="black", linewidths=0.8)
    else:
        ax.contourf(grid1, grid2, rows, levels=[c - 0.5 for c in range(k + 1)], colors=colors, alpha=0.3)
    for label in sorted(set(y)):
        members = [x for x, t in zip(X, y) if t == label]
        ax.scatter([m[0] for m in members], [m[1] for m in members], color=colors[true_class(label, one_output)],
                   edgecolors="black", linewidths=0.5, s=30, label=f"class {label}")
    ax.set_xlim(low1, high1)
    ax.set_ylim(low2, high2)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title("decision boundary")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_history(history: History, ax: Axes | None = None) -> Axes:
    """Loss per epoch on ``ax`` and accuracy on a twin axis; validation curves dashed, the best epoch marked."""
    if not len(history):
        raise ValueError("plot_history: the history has no epochs to plot")
    ax = _axes(ax)
    epochs = range(1, len(history) + 1)
    loss_color, accuracy_color = "tab:blue", "tab:orange"
    lines = ax.plot(epochs, history.loss, color=loss_color, label="loss")
    if history.val_loss:
        lines += ax.plot(epochs, history.val_loss, color=loss_color, linestyle="--", label="val_loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss", color=loss_color)
    if history.accuracy:
        twin = ax.twinx()
        lines += twin.plot(epochs, history.accuracy, color=accuracy_color, label="accuracy")
        if history.val_accuracy:
            lines += twin.plot(epochs, history.val_accuracy, color=accuracy_color, linestyle="--", label="val_accuracy")
        twin.set_ylabel("accuracy", color=accuracy_color)
        twin.set_ylim(-0.02, 1.02)
    if history.best_epoch is not None:
        lines.append(ax.axvline(history.best_epoch + 1, color="gray", linestyle=":", label="best epoch"))
    ax.set_title("training history")
    ax.legend(lines, [str(line.get_label()) for line in lines], loc="center right", fontsize="small")
    return ax


# The slope of the PReLU curve and the maxout pieces (w, b) are fixed examples; in a network they are learned.
PRELU_SLOPE = 0.25
MAXOUT_PIECES = ((-0.5, -1.0), (0.5, 0.0), (2.0, -3.0))

ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    **{name: function or (lambda x: x) for name, function in ACTIVATION_FUNCTIONS.items()},
    "prelu": lambda x: x.prelu(Value(PRELU_SLOPE)),
    "maxout": lambda x: value_max([w * x + b for w, b in MAXOUT_PIECES]),
}

_PIECES = (f"{w:g}x" + (f" {'+' if b > 0 else '-'} {abs(b):g}" if b else "") for w, b in MAXOUT_PIECES)
_TITLES = {"prelu": f"prelu (slope a = {PRELU_SLOPE:g})", "maxout": f"maxout: max({', '.join(_PIECES)})"}


def plot_activation(name: str, ax: Axes | None = None, low: float = -4.0, high: float = 4.0, points: int = 401) -> Axes:
    """Plot activation ``name`` and its derivative on [low, high]; the derivative is the engine's own backprop."""
    if name not in ACTIVATIONS:
        raise ValueError(f"plot_activation: unknown activation {name!r}, expected one of {sorted(ACTIVATIONS)}")
    if not low < high or points < 2:
        raise ValueError(f"plot_activation: expected low < high and points >= 2, got {low!r}, {high!r}, {points!r}")
    function = ACTIVATIONS[name]
    derivative = grad(function)
    xs = [low + (high - low) * i / (points - 1) for i in range(points)]
    ax = _axes(ax)
    ax.axhline(0.0, color="gray", linewidth=0.5)
    ax.axvline(0.0, color="gray", linewidth=0.5)
    ax.plot(xs, [function(Value(x)).data for x in xs], color="tab:blue", label="f(x)")
    ax.plot(xs, [derivative(x)[0] for x in xs], color="tab:red", linestyle="--", label="f'(x) by backprop")
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.set_title(_TITLES.get(name, name))
    ax.legend(loc="best", fontsize="small")
    ax.grid(True, alpha=0.3)
    return ax
