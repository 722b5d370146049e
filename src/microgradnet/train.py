"""Training loops: ``fit`` (minibatch SGD, validation, early stopping, a progress bar), ``predict``,
``evaluate``, and lecture 002's gradient descent with its stopping rule (``gradient_descent``)."""
from __future__ import annotations

import copy
import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any, Callable, ClassVar, Protocol, Union

from .engine import Value, as_float, as_int, no_grad, zero_grad
from .losses import LOSSES, Loss, l2_penalty
from .nn import Dropout, Module
from .optim import SGD, Optimizer
from .tape import Tape, TapeError, as_outputs, record

LossFn = Callable[[list, list], Value]

Output = Union[Value, Sequence[Value]]


class Model(Protocol):
    """What ``fit`` needs of a model: ``microgradnet.nn.Module``'s interface."""

    training: bool

    def __call__(self, x: Sequence[float]) -> Output: ...

    def parameters(self) -> list[Value]: ...

    def train(self) -> Any: ...

    def eval(self) -> Any: ...

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> Any: ...


@dataclass
class Snapshot:
    """The decision boundary after ``epoch`` epochs (0: before training), as ``fit(..., live=...)`` records it.

    ``field`` holds, per row of the grid (``grid`` = x1 and x2 coordinates), a one-output model's score at each
    point, or the predicted class of a several-output model. ``first_layer`` is (w1, w2, b) per first-layer neuron.
    """

    epoch: int
    grid: tuple[list[float], list[float]]
    field: list[list[float]]
    one_output: bool
    classes: int
    first_layer: list[tuple[float, float, float]]


@dataclass
class LayerStats:
    """One hidden layer of an MLP after an epoch, over the training points: what a course plots to see why a network
    stopped learning (as in the makemore lectures).

    ``dead``: relu units whose output is 0 at every point. ``saturated``: the share of outputs in a squashing
    unit's flat ends (tanh, hard_tanh: |a| > 0.97; sigmoid: a < 0.03 or a > 0.97), None for other activations.
    ``activations``: every output at every point; ``gradients``: the layer's weight gradients of the epoch's last step.
    """

    activation: str
    dead: int
    saturated: float | None
    activations: list[float]
    gradients: list[float]


@dataclass
class History:
    """Per-epoch metrics of a ``fit`` run, by attribute (``h.loss``) or key (``h["loss"]``).

    ``val_*`` are measured after the epoch's steps, in eval mode; with validation data ``loss`` and
    ``accuracy`` are measured the same way on the training data (same weights, so the two curves compare).
    Without it, ``loss`` is the mean data loss over the epoch's batches, each taken before its own step
    (without the l2 term; full-batch: the loss at the epoch's starting weights), ``accuracy`` that of the
    same forward passes, at no extra cost. ``best_epoch`` (0-based) has the
    lowest ``val_loss``, or the lowest ``loss`` without validation data; ``stopped_epoch`` is where
    early stopping ended the run (None if it ran every epoch).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_epoch: int | None = None
    snapshots: list[Snapshot] = field(default_factory=list)  # fit(live=...): the boundary every k epochs
    layers: list[list[LayerStats]] = field(default_factory=list)  # fit(diagnostics=True): per epoch, per layer
    update_ratios: list[list[float]] = field(default_factory=list)  # per step, per layer: std(Δw) / std(w)

    METRICS: ClassVar[tuple[str, ...]] = ("loss", "accuracy", "val_loss", "val_accuracy")

    def keys(self) -> list[str]:
        """The metrics this run recorded (``dict(history)`` gives them all)."""
        return [name for name in self.METRICS if getattr(self, name)]

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.keys():
            raise KeyError(f"History has no metric {key!r}; it recorded {self.keys()}")
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def __len__(self) -> int:
        """The number of epochs run."""
        return len(self.loss)


class ConvergenceError(RuntimeError):
    """Gradient descent used up its steps before the loss stopped decreasing (lecture 002's exception)."""


def _check_data(where: str, X: Sequence[Sequence[float]], y: Sequence[Any]) -> tuple[list, list]:
    X, y = list(X), list(y)
    if len(X) != len(y):
        raise ValueError(f"{where}: X and y must have the same length, got {len(X)} samples and {len(y)} targets")
    if not X:
        raise ValueError(f"{where}: expected at least one sample, got none")
    return X, y


def _resolve_loss(where: str, loss: str | LossFn, y: list) -> tuple[LossFn, bool, Loss | None]:
    """The loss function, whether it is a classification loss (callables: when every target is an int),
    and the named loss's facts (None for a callable)."""
    if callable(loss):
        return loss, all(isinstance(t, Integral) for t in y), None
    if loss not in LOSSES:
        raise ValueError(f"{where}: unknown loss {loss!r}, expected one of {sorted(LOSSES)} or a callable")
    spec = LOSSES[loss]
    return spec.function, spec.classification, spec


def _loss_targets(spec: Loss | None, y: list) -> list:
    """Targets as a named classification loss wants them (hinge maps labels 0/1 to -1/+1)."""
    return spec.class_targets(y) if spec is not None and spec.classification else y


def predicted_class(output: Output | float | Sequence[float]) -> int:
    """One output: class 1 if the score is > 0, else 0; several outputs: the argmax (first on ties).
    Values, or plain numbers (a replayed tape's, ``fit(compile=True)``)."""
    if not isinstance(output, (list, tuple)):
        return 1 if _number(output) > 0 else 0
    scores = [_number(o) for o in output]
    return scores.index(max(scores))


def _number(output: Any) -> float:
    return output.data if isinstance(output, Value) else output


def true_class(label: Any, one_output: bool) -> int:
    """The class of a label: with one output, labels 0/1 and -1/+1 both mean negative/positive."""
    return (1 if label > 0 else 0) if one_output else int(label)


def _correct(outputs: list[Output], labels: list) -> int:
    return sum(predicted_class(o) == true_class(t, not isinstance(o, (list, tuple))) for o, t in zip(outputs, labels))


@contextmanager
def _inference(model: Model) -> Iterator[None]:
    """Eval mode (no dropout) and no graph, then back to the mode the model was in."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            yield
    finally:
        if was_training:
            model.train()


def scores(model: Model, X: Sequence[Sequence[float]]) -> list[float] | list[list[float]]:
    """``model``'s outputs for ``X`` as numbers (a list per sample for several outputs); in eval mode, no graph."""
    with _inference(model):
        outputs = [model(x) for x in X]
    if outputs and not isinstance(outputs[0], Value):
        return [[o.data for o in output] for output in outputs if not isinstance(output, Value)]
    return [output.data for output in outputs if isinstance(output, Value)]


def predict(model: Model, X: Sequence[Sequence[float]]) -> list[int]:
    """Class labels for ``X``: score > 0 for a one-output model, else the argmax; in eval mode, no graph."""
    return [predicted_class(s) for s in scores(model, X)]


def evaluate(
    model: Model, X: Sequence[Sequence[float]], y: Sequence[Any], loss: str | LossFn = "hinge"
) -> dict[str, float]:
    """The mean ``loss`` of ``model`` on ``(X, y)``, and its ``accuracy`` for a classification loss."""
    X, y = _check_data("evaluate", X, y)
    loss_fn, classification, spec = _resolve_loss("evaluate", loss, y)
    with _inference(model):
        outputs = [model(x) for x in X]
        if spec is not None:
            spec.check_outputs("evaluate", outputs[0])
        metrics = {"loss": loss_fn(outputs, _loss_targets(spec, y)).data}
    if classification:
        metrics["accuracy"] = _correct(outputs, y) / len(y)
    return metrics


def _refuse_dropout(model: Any, refusal: str) -> None:
    """The one rule of compile_loss and fit(compile=True): dropout in training mode draws a new mask every
    step, which a tape would freeze; ``refusal`` says what to do instead."""
    if isinstance(model, Module) and any(isinstance(m, Dropout) and m.training and m.p for m in model.modules()):
        raise TapeError(f"{refusal} (dropout in training mode draws a new mask every step; a tape would freeze one)")


class CompiledLoss:
    """A model's training loss as tapes: ``forward(X, targets)`` records on first sight, replays after.

    With a named loss (a ``losses.Loss``, or its name) the tape is of one sample: the model's inputs and
    the sample's target are the tape's inputs (``Loss.encode``), its outputs are the sample's loss term
    (``Loss.term``) and the model's outputs. One tape per model, recorded once whatever the batch; the
    batch mean and the ``l2`` penalty are added outside it. ``batched=False`` replays it row by row (pure
    Python, the dynamic engine's floats bit for bit for one-output losses), ``batched=True`` once over
    the whole batch with NumPy (``Tape.forward_batch``; the same numbers to rounding).

    With a callable ``loss_fn(outputs, targets)`` (the loss Value, or a list whose first is the loss) the
    tape is of the whole batch, its targets constants: one tape per distinct target list, in ``tapes``.
    """

    def __init__(self, model: Callable[[Any], Any], loss_fn: Callable[[list[Any], list[Any]], Any] | Loss | str,
                 probes: int = 3, seed: int = 0, l2: float = 0.0, batched: bool = False) -> None:
        self.spec = LOSSES[loss_fn] if isinstance(loss_fn, str) else loss_fn if isinstance(loss_fn, Loss) else None
        if self.spec is None and (l2 or batched):
            raise ValueError("compile_loss: l2 and batched need a named loss (a losses.Loss or its name), "
                             "whose per-sample term the tape records")
        self.model, self.loss_fn, self.probes, self.seed = model, loss_fn, probes, seed
        self.l2, self.batched = as_float(l2, "compile_loss l2"), batched
        self.tapes: dict[tuple[Any, ...], Tape] = {}
        self.tape: Tape | None = None  # the one sample's tape of a named loss
        self.outputs: list[Any] = []
        self.data_loss = math.nan
        self._tape: Tape | None = None
        self._rows: list[list[tuple[Any, ...]]] = []
        self._checked: set[tuple[Any, ...]] = set()
        self._n_losses = self._n_outputs = self._classes = 0

    def forward(self, X: Sequence[Sequence[float]], targets: Sequence[Any]) -> Any:
        """The loss (or the list loss_fn returns) on rows ``X``; ``outputs`` gets the model's outputs per row."""
        self._tape = None  # until this forward succeeds, so backward cannot use an older batch
        targets = list(targets)
        if not len(X) or len(targets) != len(X):
            raise ValueError(
                f"CompiledLoss.forward: expected rows and one target per row, "
                f"got {len(X)} rows and {len(targets)} targets"
            )
        if self.spec is not None:
            return self._forward_samples(X, targets)
        key = _frozen(targets)
        tape = self.tapes.get(key)
        if tape is None:
            tape = self.tapes[key] = self._record(X, targets)
        numbers = tape.forward(X)
        assert isinstance(numbers, list)  # a tape of a loss and the model's outputs has several outputs
        self._tape, n_losses = tape, self._n_losses
        flat = numbers[n_losses:]
        width = self._n_outputs
        self.outputs = flat if width == 1 else [flat[k : k + width] for k in range(0, len(flat), width)]
        self.data_loss = numbers[1] if n_losses > 1 else numbers[0]
        return numbers[0] if n_losses == 1 else numbers[:n_losses]

    def backward(self) -> None:
        """Add d loss / d parameter to each parameter's ``.grad`` for the last ``forward``."""
        if self._tape is None:
            raise TapeError(
                "CompiledLoss.backward: no loss to backpropagate (forward(X, targets) not called yet, or its last call "
                "raised); call forward first"
            )
        tape = self._tape
        if self.spec is None:
            tape.backward([1.0] + [0.0] * (len(tape.outputs) - 1))
            return
        seeds = [1.0 / self._batch_size] + [0.0] * (len(tape.outputs) - 1)  # d mean / d term = 1/B
        if self.batched:
            tape.backward_batch(seeds)
        else:
            tape.backward_rows(self._rows, seeds)  # row by row, in order: the dynamic engine's sums, term by term
        if self.l2:
            for p in tape.parameters:  # d/dp l2 Σ p² along the graph's two edges of p * p, as the engine adds them
                p.grad += self.l2 * p.data
                p.grad += self.l2 * p.data

    def scores(self, X: Any) -> list[Any]:
        """The model's outputs for rows ``X`` from the sample tape (recorded on first use), as ``train.scores``."""
        if self.spec is None:
            raise TapeError("CompiledLoss.scores: needs a named loss, whose per-sample tape holds the model's outputs")
        tape = self._sample_tape(X[0])
        blank = self.spec.encode(0 if self.spec.per_class else 1.0, self._classes)
        if self.batched:
            import numpy as np

            columns = [*np.asarray(X, dtype=float).T, *(np.full(len(X), b) for b in blank)]
            return self._per_row(tape.forward_batch(columns)[self._n_losses:])
        outputs = []
        for row in X:
            numbers = tape.forward([*row, *blank])
            assert isinstance(numbers, list)
            outputs.append(numbers[1] if self._n_outputs == 1 else numbers[1:])
        return outputs

    def _forward_samples(self, X: Sequence[Sequence[float]], targets: list[Any]) -> float:
        spec = self.spec
        assert spec is not None
        tape = self._sample_tape(X[0])
        key = tuple(map(_frozen, targets))
        if key not in self._checked:  # the loss's own checks of its targets, once per target list
            blank: Any = [[0.0] * self._classes] * len(targets) if spec.per_class else [0.0] * len(targets)
            with no_grad():
                spec.function(blank, targets)
            self._checked.add(key)
        encoded = [spec.encode(t, self._classes) for t in targets]
        if self.batched:
            import numpy as np

            columns = [*np.asarray(X, dtype=float).T, *np.asarray(encoded, dtype=float).T]
            numbers = tape.forward_batch(columns)
            total = float(np.sum(numbers[0]))
            self.outputs = self._per_row(numbers[self._n_losses:])
        else:
            total, outputs, self._rows = 0.0, [], []
            values, first, width = tape.values, tape.outputs[1], self._n_outputs
            for row, target in zip(X, encoded):
                tape.local_grads = [()] * len(values)  # each row keeps its own, for backward
                tape.replay([*(as_float(x, "CompiledLoss.forward: input") for x in row), *target])
                total += values[tape.outputs[0]]
                outputs.append(values[first] if width == 1 else [values[k] for k in tape.outputs[1:]])
                self._rows.append(tape.local_grads)
            self.outputs = outputs
        self._batch_size = len(X)
        self.data_loss = total / len(X)
        objective = self.data_loss
        if self.l2:
            params = self.model.parameters() if isinstance(self.model, Module) else tape.parameters
            objective = self.data_loss + self.l2 * sum([p.data * p.data for p in params])  # l2_penalty's order
        self._tape = tape
        return objective

    def _per_row(self, columns: list[Any]) -> list[Any]:
        """Output columns of a batched replay as one number (or list) per row."""
        if self._n_outputs == 1:
            return columns[0].tolist()
        import numpy as np

        return np.stack(columns, axis=1).tolist()

    def _sample_tape(self, row: Sequence[float]) -> Tape:
        """The tape of one sample (recorded on first use): inputs the row and its encoded target."""
        if self.tape is not None:
            return self.tape
        spec = self.spec
        assert spec is not None
        _refuse_dropout(self.model, "compile_loss: the model has dropout in training mode; call model.eval(), "
                                    "or train without compiling")
        with no_grad():
            example = self.model([Value(as_float(x, "compile_loss: input")) for x in row])
        self._classes = len(example) if isinstance(example, (list, tuple)) else 2
        spec.check_outputs("compile_loss", example)
        n_in = len(row)

        def sample(*numbers: Value) -> list[Value]:
            output = self.model(list(numbers[:n_in]))
            target = numbers[n_in:] if spec.per_class else numbers[n_in]
            flat = list(output) if isinstance(output, (list, tuple)) else [output]
            self._n_losses, self._n_outputs = 1, len(flat)
            assert spec.term is not None  # every named loss has its term
            return [spec.term(output, target), *flat]

        blank = spec.encode(0 if spec.per_class else 1.0, self._classes)
        self.tape = record(sample, *row, *blank, probes=self.probes, seed=self.seed)
        return self.tape

    def _record(self, X: Sequence[Sequence[float]], targets: list[Any]) -> Tape:
        _refuse_dropout(self.model, "compile_loss: the model has dropout in training mode; call model.eval(), "
                                    "or train without compiling")

        def step(rows: list[list[Value]]) -> list[Value]:
            outputs = [self.model(row) for row in rows]
            losses = as_outputs(self.loss_fn(outputs, targets))  # type: ignore[operator]
            flat = [v for out in outputs for v in (out if isinstance(out, (list, tuple)) else [out])]
            self._n_losses, self._n_outputs = len(losses), len(flat) // len(rows)
            return [*losses, *flat]

        return record(step, [list(row) for row in X], probes=self.probes, seed=self.seed)


def _frozen(obj: Any) -> Any:
    """``obj`` with every list or tuple in it made a tuple: nested targets (one list per row) as a dict key."""
    return tuple(map(_frozen, obj)) if isinstance(obj, (list, tuple)) else obj


def compile_loss(model: Callable[[Any], Any], loss_fn: Callable[[list[Any], list[Any]], Any] | Loss | str,
                 probes: int = 3, seed: int = 0, l2: float = 0.0, batched: bool = False) -> CompiledLoss:
    """The loss of ``model`` compiled for fast training steps (see ``CompiledLoss``)."""
    return CompiledLoss(model, loss_fn, probes, seed, l2, batched)


Objective = Callable[[list[Output], list[Any]], list[Value]]  # (outputs, targets) -> [objective, data loss]


def _graph_step(model: Model, rows: list[Any], targets: list[Any], objective: Objective, optimizer: Optimizer,
                spec: Loss | None) -> tuple[float, list[Any]]:
    """One optimizer step on the graph built afresh: forward, backward, update; returns the data loss and outputs."""
    outputs = [model(x) for x in rows]
    if spec is not None:
        spec.check_outputs("fit", outputs[0])
    loss, data_loss = objective(outputs, targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return data_loss.data, outputs


def _tape_step(
    compiled: CompiledLoss, rows: list[Any], targets: list[Any], optimizer: Optimizer
) -> tuple[float, list[Any]]:
    """One optimizer step replayed from the tape; returns the data loss and outputs."""
    compiled.forward(rows, targets)
    optimizer.zero_grad()
    compiled.backward()
    optimizer.step()
    return compiled.data_loss, compiled.outputs


def fit(
    model: Model,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    loss: str | LossFn = "hinge",
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    val_data: tuple[Sequence[Sequence[float]], Sequence[Any]] | None = None,
    patience: int | None = None,
    progress: bool = True,
    seed: int = 0,
    l2: float = 0.0,
    lr: float | None = None,
    lr_schedule: Callable[[int], float] | None = None,
    compile: bool | str = False,
    live: bool | int = False,
    diagnostics: bool = False,
) -> History:
    """Train ``model`` on ``(X, y)`` by minibatch gradient descent and return the per-epoch ``History``.

    Args:
        loss: "hinge" (labels 0/1 become -1/+1), "bce", "cross_entropy", "mse", "mae", or
            ``loss(outputs, targets) -> Value``.
        optimizer: defaults to ``SGD(model.parameters(), lr)`` with ``lr`` (default 0.1).
        batch_size: None for full-batch steps; else minibatches, reshuffled each epoch from ``seed``.
        val_data: ``(X_val, y_val)``, measured after each epoch in eval mode; ``loss`` is then measured
            the same way on ``(X, y)`` (one more forward pass per epoch), so the two curves compare.
        patience: stop after this many epochs without a lower ``val_loss`` (needs ``val_data``),
            then restore the weights of the best epoch.
        l2: adds ``l2 * l2_penalty(model.parameters())`` to each batch's loss.
        lr_schedule: ``epoch -> learning rate``, applied at the start of each epoch.
        compile: True records one sample's step once (``compile_loss``) and replays it row by row: the
            same numbers, ~3x faster. ``"batch"`` replays it over the whole batch at once with NumPy: the
            same numbers to rounding (1e-12), ~30x faster. A callable loss is recorded per batch target
            list, and only row by row. Not for a model with dropout: a tape would replay one mask.
        live: True, or k: snapshot the decision boundary of 2-D data every k epochs (True: about 100
            snapshots over the run) into ``history.snapshots``; in Jupyter they are drawn live as they come
            (``plot.LiveView``: boundary, loss and accuracy), in a terminal the progress bar stays the view.
            ``plot.animate(history, X, y, "boundary.gif")`` writes them as an animation.
        diagnostics: per epoch, each hidden layer's ``LayerStats`` in ``history.layers`` (dead relu units,
            saturation, activations, weight gradients), and per step each layer's update-to-data ratio in
            ``history.update_ratios``; ``plot.plot_diagnostics`` draws them. Needs an ``nn.MLP``.
    """
    X, y = _check_data("fit", X, y)
    loss_fn, classification, spec = _resolve_loss("fit", loss, y)
    targets = _loss_targets(spec, y)
    epochs = as_int(epochs, "fit: epochs", 1)
    size = len(X) if batch_size is None else as_int(batch_size, "fit: batch_size", 1)
    l2 = as_float(l2, "fit l2")
    if not l2 >= 0:
        raise ValueError(f"fit: l2 must be >= 0, got {l2!r}")
    if patience is not None:
        patience = as_int(patience, "fit: patience", 1)
        if val_data is None:
            raise ValueError("fit: patience (early stopping) needs val_data=(X_val, y_val) to watch")
    if val_data is not None:
        X_val, y_val = _check_data("fit val_data", *val_data)
    params = model.parameters()
    if optimizer is None:
        optimizer = SGD(params, lr=0.1 if lr is None else lr)
    elif lr is not None:
        raise ValueError("fit: lr sets the default SGD's learning rate; give it to the optimizer you passed instead")

    def objective(outputs: list[Output], batch_targets: list) -> list[Value]:
        """[the objective to minimise, the data loss the history reports]."""
        data_loss = loss_fn(outputs, batch_targets)
        return [data_loss + l2 * l2_penalty(params) if l2 else data_loss, data_loss]

    layers = _hidden_layers(model) if diagnostics else []
    if diagnostics and not layers:
        raise ValueError(f"fit: diagnostics=True reads the hidden layers of an nn.MLP, got {type(model).__name__} "
                         "with none")
    every = _live_every(live, epochs)
    if every and any(len(x) != 2 for x in X):
        width = next(len(x) for x in X if len(x) != 2)
        raise ValueError(f"fit: live={live!r} draws the decision boundary of 2-D points, got a point with {width} "
                         "coordinates")
    if compile not in (False, True, "batch"):
        raise ValueError(f"fit: compile must be False, True or 'batch', got {compile!r}")
    if compile == "batch" and spec is None:
        raise ValueError("fit: compile='batch' needs a named loss (its per-sample term is recorded); "
                         "a callable loss trains with compile=True or False")

    def measure(rows: list, labels: list, encoded: list) -> tuple[float, float]:
        """The mean data loss and the accuracy (classification) at the current weights, in eval mode."""
        if compiled is not None:  # compile refuses dropout, so the tape's forward is the eval-mode loss
            compiled.forward(rows, encoded)
            data_loss = compiled.data_loss
            return data_loss, _correct(compiled.outputs, labels) / len(labels) if classification else math.nan
        metrics = evaluate(model, rows, labels, loss)
        return metrics["loss"], metrics.get("accuracy", math.nan)

    if val_data is not None:
        val_targets = _loss_targets(spec, list(y_val))
    model.train()
    compiled = None
    if compile:
        _refuse_dropout(model, f"fit: compile={compile!r} cannot train a model with dropout; "
                               "train it with compile=False")
        if spec is not None:
            spec.check_outputs("fit", model(X[0]))
            compiled = compile_loss(model, spec, l2=l2, batched=compile == "batch")
        else:
            compiled = compile_loss(model, objective)

    if progress:
        from tqdm.auto import tqdm  # a widget in notebooks, text in terminals
    else:
        from tqdm import tqdm  # disabled below; tqdm.auto would still warn in a kernel without ipywidgets

    rng = random.Random(seed)
    history = History()
    watch = _Watch(model, X, y, epochs, spec, compiled, history) if every else None
    best_val, best_epoch, best_state = math.inf, 0, None
    bar = tqdm(range(epochs), desc="fit", unit="epoch", disable=not progress)
    for epoch in bar:
        if lr_schedule is not None:
            optimizer.lr = lr_schedule(epoch)
        order = list(range(len(X)))
        if batch_size is not None:
            rng.shuffle(order)
        total_loss, correct = 0.0, 0
        for start in range(0, len(order), size):
            batch = order[start:start + size]
            before = [[w.data for w in _weights(layer)] for layer in layers]
            if compiled is None:
                data_loss, outputs = _graph_step(model, [X[i] for i in batch], [targets[i] for i in batch],
                                                 objective, optimizer, spec)
            else:
                if batch_size is not None and spec is None:
                    batch.sort(key=targets.__getitem__)  # a mean ignores order; sorted, batches share tapes
                data_loss, outputs = _tape_step(compiled, [X[i] for i in batch], [targets[i] for i in batch],
                                                optimizer)
            if layers:
                ratios = [_update_ratio(old, _weights(layer)) for old, layer in zip(before, layers)]
                history.update_ratios.append(ratios)
            total_loss += data_loss * len(batch)
            if classification:
                correct += _correct(outputs, [y[i] for i in batch])
        if val_data is not None:  # the training data measured as val_data is: same weights, eval mode
            total, accuracy = measure(X, y, targets)
            history.loss.append(total)
            if classification:
                history.accuracy.append(accuracy)
            total, accuracy = measure(X_val, y_val, val_targets)
            history.val_loss.append(total)
            if classification:
                history.val_accuracy.append(accuracy)
        else:
            history.loss.append(total_loss / len(X))
            if classification:
                history.accuracy.append(correct / len(X))
        bar.set_postfix({name: round(history[name][-1], 4) for name in history.keys()}, refresh=False)
        if layers:
            history.layers.append(_layer_stats(model, layers, X))
        if watch is not None and ((epoch + 1) % every == 0 or epoch + 1 == epochs):
            watch.snap(epoch + 1)
        if patience is not None:
            if history.val_loss[-1] < best_val:
                best_val, best_epoch, best_state = history.val_loss[-1], epoch, copy.deepcopy(model.state_dict())
            elif epoch - best_epoch >= patience:
                history.stopped_epoch = epoch
                break
    bar.close()
    if watch is not None:
        watch.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    watched = history.val_loss or history.loss
    history.best_epoch = watched.index(min(watched))
    return history


def _hidden_layers(model: Model) -> list[Any]:
    """The hidden ``nn.Layer``s of an MLP (empty for any other model)."""
    from .nn import MLP, Layer

    if not isinstance(model, MLP):
        return []
    return [layer for layer in model.layers[:-1] if isinstance(layer, Layer)]


def _weights(layer: Any) -> list[Value]:
    return [w for neuron in layer.neurons for w in neuron.w]


def _std(values: Sequence[float]) -> float:
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def _update_ratio(before: list[float], weights: list[Value]) -> float:
    """std(w_after - w_before) / std(w_before): the update-to-data ratio of one step (about 1e-3 is healthy)."""
    spread = _std(before)
    return _std([w.data - b for w, b in zip(weights, before)]) / spread if spread else math.inf


SATURATED = 0.97  # |a| beyond this is on a squashing unit's flat end, where its derivative is about 0


def _layer_stats(model: Model, layers: list[Any], X: list) -> list[LayerStats]:
    """Each hidden layer's LayerStats over the points ``X`` (forward in eval mode, no graph)."""
    from .nn import MLP

    assert isinstance(model, MLP)
    outputs: dict[int, list[list[float]]] = {id(layer): [] for layer in layers}
    with _inference(model):
        for x in X:
            values: Any = [Value(as_float(v, "fit: input")) for v in x]
            for layer in model.layers:
                values = layer(values)
                values = values if isinstance(values, list) else [values]
                if id(layer) in outputs:
                    outputs[id(layer)].append([v.data for v in values])
    stats = []
    for layer in layers:
        rows = outputs[id(layer)]
        flat = [a for row in rows for a in row]
        kind = layer.activation
        dead = sum(all(row[j] <= 0.0 for row in rows) for j in range(len(rows[0]))) if kind == "relu" else 0
        if kind in ("tanh", "hard_tanh"):
            saturated: float | None = sum(abs(a) > SATURATED for a in flat) / len(flat)
        elif kind == "sigmoid":
            saturated = sum(a < 1 - SATURATED or a > SATURATED for a in flat) / len(flat)
        else:
            saturated = None
        stats.append(LayerStats(kind, dead, saturated, flat, [w.grad for w in _weights(layer)]))
    return stats


def _live_every(live: bool | int, epochs: int) -> int:
    """Epochs between ``fit``'s snapshots: 0 for no live view, True about 100 over the run, an int itself."""
    if live is False:
        return 0
    if live is True:
        return max(1, epochs // 100)
    return as_int(live, "fit: live", 1)


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (where figures can be displayed and updated in place)."""
    import sys

    shell = sys.modules.get("IPython")
    ipython = shell.get_ipython() if shell is not None and hasattr(shell, "get_ipython") else None
    return ipython is not None and "IPKernelApp" in getattr(ipython, "config", {})


class _Watch:
    """``fit``'s live view: evaluates the boundary grid after every k epochs (with a batched tape of the model when
    it can record one, else the graph), keeps each as a Snapshot, and in Jupyter redraws one figure in place."""

    RESOLUTION = 60

    def __init__(self, model: Model, X: list, y: list, epochs: int, spec: Loss | None, compiled: CompiledLoss | None,
                 history: History) -> None:
        from .losses import default_loss
        from .plot import boundary_grid

        self.model, self.history, self.X, self.y, self.epochs = model, history, X, y, epochs
        self.grid = boundary_grid(X, self.RESOLUTION)
        self.points = [[a, b] for b in self.grid[1] for a in self.grid[0]]
        import numpy as np

        self.columns = np.array(self.points)  # the batched scorer's input, made once
        with _inference(model):
            example = model(X[0])
        self.one_output = isinstance(example, Value)
        self.classes = 2 if self.one_output else len(example)  # type: ignore[arg-type]
        self.scorer: CompiledLoss | None = compiled if compiled is not None and compiled.batched else None
        if self.scorer is None:
            try:
                scorer = compile_loss(model, spec or default_loss(self.classes), batched=True)
                scorer.scores(self.points[:1])
                self.scorer = scorer
            except (TapeError, ValueError, TypeError):  # a model the tape refuses is scored by its graph
                self.scorer = None
        self.view: Any = None
        self.display: Any = None
        self.snap(0)

    def snap(self, epoch: int) -> None:
        """Record the boundary after ``epoch`` epochs; in a notebook, redraw the figure."""
        outputs: list[Any]
        if self.scorer is not None:
            was_training = self.model.training
            self.model.eval()
            try:
                outputs = self.scorer.scores(self.columns)
            finally:
                if was_training:
                    self.model.train()
        else:
            outputs = list(scores(self.model, self.points))
        values: list[float] = outputs if self.one_output else [float(predicted_class(o)) for o in outputs]
        n = self.RESOLUTION
        field_ = [values[j * n : (j + 1) * n] for j in range(n)]
        self.history.snapshots.append(
            Snapshot(epoch, self.grid, field_, self.one_output, self.classes, _first_layer(self.model))
        )
        if in_notebook():
            self._show()

    def _show(self) -> None:
        from IPython.display import Image, display

        from .plot import LiveView

        if self.view is None:
            self.view = LiveView(self.X, self.y, self.history, epochs=self.epochs)
        image = Image(data=self.view.png(self.history.snapshots[-1]), format="png")
        if self.display is None:
            self.display = display(image, display_id=True)
        else:
            self.display.update(image)  # the same output area, replaced: no flicker

    def close(self) -> None:
        """Let the figure go (it is not a pyplot figure, so a notebook does not show it a second time)."""
        self.view = None


def _first_layer(model: Model) -> list[tuple[float, float, float]]:
    """(w1, w2, b) of each neuron of an MLP's first layer on 2-D inputs (empty for other models)."""
    from .nn import MLP, Layer

    if isinstance(model, MLP) and model.layers and isinstance(model.layers[0], Layer):
        return [(n.w[0].data, n.w[1].data, n.b.data) for n in model.layers[0].neurons if len(n.w) == 2]
    return []


def gradient_descent(
    loss_fn: Callable[[], Value],
    params: Sequence[Value],
    lr: float = 0.1,
    max_steps: int = 1000,
    tol: float = 1e-8,
    raise_on_no_convergence: bool = True,
) -> list[float]:
    """Lecture 002's gradient descent: θ <- θ - lr ∇L(θ) until L(θ_i) - L(θ_i+1) < tol, in at most ``max_steps``.

    ``loss_fn()`` recomputes the loss from ``params`` (updated in place). Returns the losses L(θ_0), L(θ_1), ...;
    raises ``ConvergenceError`` when ``max_steps`` (i_max) pass without stopping. As in the lecture, a step
    that raises the loss also stops: check the returned losses when lr may be too large.
    """
    params = list(params)
    max_steps = as_int(max_steps, "gradient_descent: max_steps", 1)
    lr, tol = as_float(lr, "gradient_descent lr"), as_float(tol, "gradient_descent tol")
    if not lr > 0:
        raise ValueError(f"gradient_descent: lr must be > 0, got {lr!r}")
    loss = loss_fn()
    losses = [loss.data]
    for _ in range(max_steps):
        zero_grad(params)
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        loss = loss_fn()
        losses.append(loss.data)
        if losses[-2] - losses[-1] < tol:
            return losses
    if raise_on_no_convergence:
        raise ConvergenceError(
            f"gradient_descent: did not converge after {max_steps} steps (i_max): the last step lowered the loss "
            f"by {losses[-2] - losses[-1]:.3g}, not below tol={tol:g}"
        )
    return losses
