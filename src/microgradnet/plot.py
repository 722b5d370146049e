"""Matplotlib plots: a trained network's decision boundary, a training history, an activation and its derivative.

matplotlib is imported inside each function, so ``import microgradnet`` does not need it. Each function
draws on ``ax`` (a new figure when None) and returns the Axes.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, cast

from .engine import Value
from .engine import max as value_max
from .functional import grad
from .nn import ACTIVATION_FUNCTIONS
from .train import History, Model, Snapshot, predicted_class, scores, true_class

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


def boundary_grid(X: Sequence[Sequence[float]], resolution: int) -> tuple[list[float], list[float]]:
    """The x1 and x2 coordinates of a ``resolution`` x ``resolution`` grid over 2-D points' range plus a margin."""
    x1s, x2s = [x[0] for x in X], [x[1] for x in X]
    margin1, margin2 = 0.1 * (max(x1s) - min(x1s)) + 0.25, 0.1 * (max(x2s) - min(x2s)) + 0.25
    low1, high1, low2, high2 = min(x1s) - margin1, max(x1s) + margin1, min(x2s) - margin2, max(x2s) + margin2
    grid1 = [low1 + (high1 - low1) * i / (resolution - 1) for i in range(resolution)]
    grid2 = [low2 + (high2 - low2) * j / (resolution - 1) for j in range(resolution)]
    return grid1, grid2


def plot_decision_boundary(
    model: Model, X: Sequence[Sequence[float]], y: Sequence[int], ax: Axes | None = None, resolution: int = 100,
) -> Axes:
    """Color the plane by the class ``model`` predicts (score > 0 or argmax) and draw the points of ``(X, y)`` on it.

    The grid is ``resolution`` x ``resolution`` points over the data's range plus a margin, evaluated in eval
    mode without a graph. A one-output model's regions are filled from its continuous score, so the boundary
    is the smooth contour score = 0 (drawn as a thin black line); with several outputs each class fills the
    region where its score beats every other, bounded by the contours where two scores tie (the argmax).
    """
    if len(X) == 0 or any(len(x) != 2 for x in X):  # len, not truth: X may be a NumPy array, as fit allows
        raise ValueError("plot_decision_boundary: expected 2-D points (a non-empty list of [x1, x2])")
    if len(X) != len(y):
        raise ValueError(f"plot_decision_boundary: X and y must have the same length, got {len(X)} and {len(y)}")
    if resolution < 2:
        raise ValueError(f"plot_decision_boundary: resolution must be >= 2, got {resolution!r}")
    ax = _axes(ax)
    grid1, grid2 = boundary_grid(X, resolution)
    low1, high1, low2, high2 = grid1[0], grid1[-1], grid2[0], grid2[-1]
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
    else:  # per class its margin over the best other score: contouring integer labels would draw a false
        # band of class 1 wherever classes 0 and 2 meet, where the interpolated label passes through 1
        several = cast("list[list[float]]", outputs)
        for c in range(len(several[0])):
            margins = [o[c] - max(v for j, v in enumerate(o) if j != c) for o in several]
            field_c = [margins[j * resolution:(j + 1) * resolution] for j in range(resolution)]
            top = max([m for m in margins if math.isfinite(m)] + [0.0]) + 1.0
            if top > 1.0:
                ax.contourf(grid1, grid2, field_c, levels=[0.0, top], colors=[colors[c]], alpha=0.3)
                ax.contour(grid1, grid2, field_c, levels=[0.0], colors="black", linewidths=0.8)
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


# --- watching a network learn: fit(live=...) snapshots, drawn live or as an animation ------------------------

ANIMATION_SUFFIXES = (".gif", ".mp4")


class LiveView:
    """One figure redrawn from ``fit``'s snapshots: the decision boundary with the data (and, optionally, the first
    layer's neuron lines w1 x1 + w2 x2 + b = 0), and the loss and accuracy curves up to the snapshot's epoch.

    The axes, ticks and labels are drawn once and kept as a background; each frame restores it and draws only
    what changes (the boundary image and contour, the lines, the points, the curves, the epoch's title), as
    matplotlib's blitting does, so a frame costs milliseconds and a notebook display updated with it does not
    flicker. ``frame(snapshot)`` returns the drawn RGBA pixels; ``png(snapshot)`` the same as PNG bytes.
    """

    def __init__(self, X: Sequence[Sequence[float]], y: Sequence[Any], history: History, lines: bool = False,
                 epochs: int | None = None, size: tuple[float, float] = (10.0, 4.0), dpi: int = 80) -> None:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        if not history.snapshots:
            raise ValueError("LiveView: the history has no snapshots (train with fit(..., live=True))")
        first = history.snapshots[0]
        self.history, self.one_output = history, first.one_output
        self.figure = Figure(figsize=size, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.boundary, self.curves = self.figure.subplots(1, 2, width_ratios=[1, 1.2])
        self.figure.subplots_adjust(left=0.07, right=0.93, bottom=0.13, top=0.9, wspace=0.3)  # fixed: no re-layout
        grid1, grid2 = first.grid
        extent = (grid1[0], grid1[-1], grid2[0], grid2[-1])
        classes = [true_class(label, self.one_output) for label in y]
        k = max([*classes, 1]) + 1 if self.one_output else first.classes
        colors = _class_colors(k)
        cmap: matplotlib.colors.Colormap
        if self.one_output:  # the score, its color saturating at the hinge margin |s| = 1
            cmap = matplotlib.colors.LinearSegmentedColormap.from_list("boundary", colors[:2])
            limits, smooth = (-1.0, 1.0), "bilinear"
        else:
            cmap, limits, smooth = matplotlib.colors.ListedColormap(colors), (-0.5, k - 0.5), "nearest"
        self.image = self.boundary.imshow(first.field, extent=extent, origin="lower", cmap=cmap, vmin=limits[0],
                                          vmax=limits[1], alpha=0.35, aspect="auto", interpolation=smooth,
                                          animated=True)
        self.points = []
        for label in sorted(set(y)):
            members = [x for x, t in zip(X, y) if t == label]
            self.points.append(self.boundary.scatter(
                [m[0] for m in members], [m[1] for m in members], s=18, edgecolors="black", linewidths=0.4,
                color=colors[true_class(label, self.one_output)], label=f"class {label}", animated=True))
        self.boundary.set_xlim(extent[0], extent[1])
        self.boundary.set_ylim(extent[2], extent[3])
        self.boundary.set_xlabel("x1")
        self.boundary.set_ylabel("x2")
        self.boundary.legend(loc="upper right", fontsize="small")
        self.title = self.boundary.text(0.5, 1.02, "", transform=self.boundary.transAxes, ha="center", animated=True)
        self.neuron_lines = [self.boundary.plot([], [], color="gray", linewidth=0.6, alpha=0.7, animated=True)[0]
                             for _ in first.first_layer] if lines else []
        self._contour: Any = None
        (self.loss_line,) = self.curves.plot([], [], color="tab:blue", label="loss", animated=True)
        self.curves.set_xlim(0, max(1, len(history) if epochs is None else epochs))
        self.curves.set_xlabel("epoch")
        self.curves.set_ylabel("loss", color="tab:blue")
        self.curves.set_title("training history")
        self.twin = self.curves.twinx()
        (self.accuracy_line,) = self.twin.plot([], [], color="tab:orange", label="accuracy", animated=True)
        self.twin.set_ylim(-0.02, 1.02)
        self.twin.set_ylabel("accuracy", color="tab:orange")
        self._loss_top = 0.0
        self._background: Any = None

    def draw(self, snapshot: Snapshot) -> None:
        """Draw the figure for ``snapshot``: its boundary, its neuron lines, the curves up to its epoch."""
        done = snapshot.epoch
        losses = [v for v in self.history.loss[:done] if math.isfinite(v)]
        if losses and max(losses) > self._loss_top:  # the loss axis grows: the background is drawn again
            self._loss_top = max(losses) * 1.1
            self.curves.set_ylim(0.0, self._loss_top)
            self._background = None
        if self._background is None:
            self.canvas.draw()  # everything but the animated artists
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.canvas.restore_region(self._background)
        self.image.set_data(snapshot.field)
        if self._contour is not None:
            self._contour.remove()
            self._contour = None
        grid1, grid2 = snapshot.grid
        if self.one_output and min(map(min, snapshot.field)) < 0.0 < max(map(max, snapshot.field)):
            self._contour = self.boundary.contour(grid1, grid2, snapshot.field, levels=[0.0], colors="black",
                                                  linewidths=1.0)
        for line, (w1, w2, b) in zip(self.neuron_lines, snapshot.first_layer):
            line.set_data(*_neuron_line(w1, w2, b, grid1, grid2))
        epochs = list(range(1, done + 1))
        self.loss_line.set_data(epochs, self.history.loss[:done])
        self.accuracy_line.set_data(epochs, self.history.accuracy[:done] if self.history.accuracy else [])
        accuracy = f", accuracy {self.history.accuracy[done - 1]:.0%}" if done and self.history.accuracy else ""
        loss = f", loss {self.history.loss[done - 1]:.4f}" if done else ""
        self.title.set_text(f"epoch {done}{loss}{accuracy}")
        contour = [self._contour] if self._contour is not None else []
        for artist in [self.image, *contour, *self.neuron_lines, *self.points, self.title]:
            self.boundary.draw_artist(artist)
        self.curves.draw_artist(self.loss_line)
        self.twin.draw_artist(self.accuracy_line)

    def frame(self, snapshot: Snapshot) -> Any:
        """The figure drawn for ``snapshot`` as an RGBA array (height x width x 4)."""
        import numpy as np

        self.draw(snapshot)
        return np.asarray(self.canvas.buffer_rgba()).copy()

    def png(self, snapshot: Snapshot) -> bytes:
        """The figure drawn for ``snapshot`` as PNG bytes (what a notebook display is updated with)."""
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(self.frame(snapshot)).save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()


def _neuron_line(w1: float, w2: float, b: float, grid1: list[float], grid2: list[float]) -> tuple[list, list]:
    """The points of w1 x1 + w2 x2 + b = 0 inside the grid's box (empty when the line misses it or w = 0)."""
    if abs(w2) >= abs(w1) and w2:
        xs = [grid1[0], grid1[-1]]
        return xs, [-(w1 * x + b) / w2 for x in xs]
    if w1:
        ys = [grid2[0], grid2[-1]]
        return [-(w2 * v + b) / w1 for v in ys], ys
    return [], []


def check_animation_path(path: str | Any) -> Any:
    """``path`` as a writable file with a suffix ``animate`` can write (.gif; .mp4 when ffmpeg is installed),
    or a ValueError / OSError naming it: checked before training, so a bad path wastes no run."""
    import shutil
    from pathlib import Path

    from .files import check_output

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise ValueError(f"animate: cannot write {str(path)!r}: expected a file ending in "
                         f"{' or '.join(ANIMATION_SUFFIXES)}, got {suffix or 'no suffix'!r}")
    if suffix == ".mp4" and shutil.which("ffmpeg") is None:
        raise ValueError(f"animate: {str(path)!r}: writing MP4 needs the ffmpeg program, which is not installed; "
                         "write a .gif instead")
    checked = check_output(target, "animate")
    directory = checked.parent
    import os

    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(13, "permission denied", str(path))
    return checked


def animate(history: History, X: Sequence[Sequence[float]], y: Sequence[Any], path: str | Any, fps: int = 10,
            lines: bool = False) -> Any:
    """Write the decision boundary's evolution over ``history.snapshots`` (from ``fit(..., live=...)``) as a GIF
    (or an MP4 when ffmpeg is installed), one frame per snapshot; returns the path written."""
    import io
    import subprocess
    import tempfile
    from pathlib import Path

    from PIL import Image

    from .files import write_atomic

    target = check_animation_path(path)
    view = LiveView(X, y, history, lines=lines)
    frames = [Image.fromarray(view.frame(snapshot)).convert("RGB") for snapshot in history.snapshots]
    if target.suffix.lower() == ".gif":
        buffer = io.BytesIO()
        frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=round(1000 / fps),
                       loop=0)
        return write_atomic(target, buffer.getvalue(), "animate")
    with tempfile.TemporaryDirectory() as scratch:
        for i, image in enumerate(frames):
            image.save(Path(scratch) / f"frame-{i:05d}.png")
        movie = Path(scratch) / "out.mp4"
        pattern = str(Path(scratch) / "frame-%05d.png")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-framerate", str(fps), "-i", pattern, "-pix_fmt", "yuv420p",
                        "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", str(movie)], check=True)
        return write_atomic(target, movie.read_bytes(), "animate")


def plot_diagnostics(history: History, epoch: int = -1, fig: Any = None) -> Any:
    """Why a network learns or stops: per hidden layer, the histogram of its activations and of its weight
    gradients at ``epoch`` (``fit(..., diagnostics=True)``), and the update-to-data ratio of every step (log10,
    with the 1e-3 a healthy run stays near). Returns the Figure (a new one when ``fig`` is None)."""
    if not history.layers:
        raise ValueError("plot_diagnostics: the history has no layer diagnostics "
                         "(train with fit(..., diagnostics=True))")
    import matplotlib.pyplot as plt

    layers = history.layers[epoch]
    shown = len(history.layers) + epoch + 1 if epoch < 0 else epoch + 1
    fig = fig if fig is not None else plt.figure(figsize=(13, 3.8))
    activations, gradients, ratios = fig.subplots(1, 3)
    for k, stats in enumerate(layers):
        notes = [f"{stats.dead} dead" if stats.activation == "relu" else "",
                 f"{stats.saturated:.0%} saturated" if stats.saturated is not None else ""]
        note = ", ".join(n for n in notes if n)
        label = f"layer {k + 1} ({stats.activation}{': ' + note if note else ''})"
        activations.hist(stats.activations, bins=40, histtype="step", linewidth=1.2, label=label)
        gradients.hist(stats.gradients, bins=40, histtype="step", linewidth=1.2, label=f"layer {k + 1}")
        steps = [row[k] for row in history.update_ratios]
        ratios.plot(range(1, len(steps) + 1), [math.log10(r) if r > 0 else math.nan for r in steps],
                    label=f"layer {k + 1}")
    activations.set_title(f"activations after epoch {shown}")
    activations.set_xlabel("output of a unit at a training point")
    gradients.set_title(f"weight gradients, last step of epoch {shown}")
    gradients.set_xlabel("d loss / d w")
    ratios.axhline(-3.0, color="gray", linestyle=":", label="1e-3")
    ratios.set_title("update-to-data ratio per step")
    ratios.set_xlabel("step")
    ratios.set_ylabel("log10 std(Δw) / std(w)")
    for ax in (activations, gradients, ratios):
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
