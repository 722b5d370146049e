"""Loss functions and penalties, built from ``Value`` ops so backprop reaches every parameter.

Data losses are the mean over samples (lecture 002: L = 1/N Σ l(f(x_n), y_n)). Each accepts
one prediction per sample (a ``Value`` or a number), or a single prediction for one sample.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Callable

from .engine import Value, as_float, as_value
from .engine import dot as value_dot
from .engine import max as value_max
from .engine import sum as value_sum


def _samples(name: str, preds: Any, targets: Any) -> tuple[list[Value], list[Any]]:
    """Predictions as Values and targets as a list, one per sample; a lone pair becomes one sample."""
    preds = [preds] if isinstance(preds, (Value, Real)) else list(preds)
    targets = list(targets) if isinstance(targets, Iterable) else [targets]
    if len(preds) != len(targets):
        raise ValueError(
            f"{name}: expected as many targets as predictions, got {len(preds)} predictions and {len(targets)} targets"
        )
    if not preds:
        raise ValueError(f"{name}: expected at least one sample, got none")
    return [as_value(p, f"{name}: prediction {i}") for i, p in enumerate(preds)], targets


def _mean(terms: list[Value]) -> Value:
    return value_sum(terms) / len(terms)


def mse(preds: Sequence[Value | float] | Value, targets: Sequence[float] | float) -> Value:
    """Mean squared error 1/N Σ (p - t)^2 (no ½), the L2 loss of regression."""
    ps, ts = _samples("mse", preds, targets)
    return _mean([mse_term(p, as_float(t, f"mse: target {i}")) for i, (p, t) in enumerate(zip(ps, ts))])


def mse_term(p: Value, t: Value | float) -> Value:
    """One sample's (p - t)^2; the target a number or a Value (a recorded tape's input)."""
    return (p - t) ** 2


def mae(preds: Sequence[Value | float] | Value, targets: Sequence[float] | float) -> Value:
    """Mean absolute error 1/N Σ |p - t|, the L1 loss (median regression)."""
    ps, ts = _samples("mae", preds, targets)
    return _mean([mae_term(p, as_float(t, f"mae: target {i}")) for i, (p, t) in enumerate(zip(ps, ts))])


def mae_term(p: Value, t: Value | float) -> Value:
    """One sample's |p - t|; the target a number or a Value."""
    return (p - t).abs()


def _label(name: str, i: int, t: Any, allowed: tuple[int, ...]) -> int:
    """Target ``t`` of sample ``i`` as an int from ``allowed``, or a ValueError saying what was expected."""
    value = as_float(t, f"{name}: target {i}")
    if value not in allowed:
        raise ValueError(f"{name}: target of sample {i} must be one of {allowed}, got {t!r}")
    return int(value)


def hinge(scores: Sequence[Value | float] | Value, targets: Sequence[int] | int) -> Value:
    """Hinge loss 1/N Σ max(0, 1 - t·s) for targets t in {-1, +1} (the SVM loss)."""
    ss, ts = _samples("hinge", scores, targets)
    return _mean([hinge_term(s, _label("hinge", i, t, (-1, 1))) for i, (s, t) in enumerate(zip(ss, ts))])


def hinge_term(s: Value, t: Value | float) -> Value:
    """One sample's max(0, 1 - t·s); the target a number or a Value."""
    return (1.0 - s * t).relu()


def binary_cross_entropy(logits: Sequence[Value | float] | Value, targets: Sequence[int] | int) -> Value:
    """Binary cross-entropy of sigmoid(logit) against targets in {0, 1}, from the logits.

    Per sample -log σ((2t - 1) z) = softplus((1 - 2t) z): finite loss and gradient at any |z|.
    """
    zs, ts = _samples("binary_cross_entropy", logits, targets)
    # fused softplus (max(x, 0) + log1p(e^-|x|)) instead of log(sigmoid(z)): stable for |z| = 1000
    labels = [_label("binary_cross_entropy", i, t, (0, 1)) for i, t in enumerate(ts)]
    return _mean([binary_cross_entropy_term(z, t) for z, t in zip(zs, labels)])


def binary_cross_entropy_term(z: Value, t: Value | float) -> Value:
    """One sample's softplus((1 - 2t) z); the target a number or a Value."""
    return (z * (1.0 - 2.0 * t)).softplus()


def _log_softmax_at(name: str, i: int, logits: Sequence[Value | float], target: Any) -> Value:
    """-log softmax(logits)[target] = logsumexp(logits) - logits[target], shifted by the max."""
    if not isinstance(logits, Sequence):
        raise TypeError(f"{name}: sample {i}: expected a list of class logits, got {type(logits).__name__}")
    zs = [as_value(z, f"{name}: logit of sample {i}") for z in logits]
    if not zs:
        raise ValueError(f"{name}: sample {i} has no logits, expected at least one")
    if not isinstance(target, Integral) or isinstance(target, bool) or not 0 <= int(target) < len(zs):
        raise ValueError(f"{name}: target of sample {i} must be an int class index in 0..{len(zs) - 1}, got {target!r}")
    # log-sum-exp shifted by the max m: exp never overflows, and logsumexp(z) = m + log Σ exp(z_j - m)
    # for any m, so m's own gradient cancels (1 - Σ softmax = 0). m is a max node, not a number read
    # off the data, so a recorded tape (tape.record) replays it for new logits.
    return cross_entropy_term(zs, target)


def cross_entropy_term(zs: Sequence[Value], target: Integral | Sequence[Value]) -> Value:
    """One sample's logsumexp(z) - z[target]; the target a class index, or its one-hot Values (a tape's inputs),
    which pick z[target] as Σ onehot_k z_k: the same number."""
    m = value_max(zs)
    picked = zs[int(target)] if isinstance(target, Integral) else value_dot(list(target), list(zs))
    return value_sum([(z - m).exp() for z in zs]).log() + m - picked


def cross_entropy(
    logits: Sequence[Sequence[Value | float]] | Sequence[Value | float], targets: Sequence[int] | int
) -> Value:
    """Softmax cross-entropy 1/N Σ -log softmax(z_n)[y_n] for integer class targets y_n.

    ``logits`` is one list of class scores per sample, or one list for a single sample.
    """
    rows: list[Any] = list(logits)
    if rows and isinstance(rows[0], (Value, Real)):
        rows = [rows]
    labels = list(targets) if isinstance(targets, Iterable) else [targets]
    if len(rows) != len(labels):
        raise ValueError(
            f"cross_entropy: expected as many targets as samples, "
            f"got {len(rows)} logit lists and {len(labels)} targets"
        )
    if not rows:
        raise ValueError("cross_entropy: expected at least one sample, got none")
    return _mean([_log_softmax_at("cross_entropy", i, z, t) for i, (z, t) in enumerate(zip(rows, labels))])


def l2_penalty(params: Iterable[Value]) -> Value:
    """Σ p^2 over ``params``: the L2 regularizer ("weight decay") of lecture 000."""
    return value_sum([p * p for p in params])


def l1_penalty(params: Iterable[Value]) -> Value:
    """Σ |p| over ``params``: the L1 regularizer, which pushes weights to exactly zero."""
    return value_sum([p.abs() for p in params])


# --- each data loss with its facts (train and the CLI read these; nothing else restates them) ---

@dataclass(frozen=True)
class Loss:
    """A named data loss and what training needs to know about it.

    ``classification``: its targets are class labels, so accuracy is reported. ``per_class``: the
    model needs one output per class (else exactly one output). ``signed``: it takes two classes
    as -1/+1 (hinge; mse and mae regress onto them), so class labels 0/1 are mapped to -1/+1.
    """

    name: str
    function: Callable[[Any, Any], Value]
    classification: bool
    per_class: bool = False
    signed: bool = False
    term: Callable[[Any, Any], Value] | None = None  # one sample's loss, its target a number or Value(s)

    def encode(self, target: Any, classes: int) -> list[float]:
        """One sample's target as the numbers a per-sample tape takes: a class index one-hot over ``classes``
        for a per-class loss (``term`` then reads them as Values), else the number itself."""
        if self.per_class:
            return [1.0 if k == target else 0.0 for k in range(classes)]
        return [float(target)]

    def __call__(self, outputs: Any, targets: Any) -> Value:
        return self.function(outputs, targets)

    def outputs_needed(self, classes: int) -> int:
        """How many outputs a model needs for ``classes`` classes under this loss."""
        return classes if self.per_class else 1

    def class_targets(self, labels: Sequence[Any]) -> list[Any]:
        """Class labels as this loss's targets: 0/1 become -1/+1 for a signed loss, else unchanged."""
        labels = list(labels)
        if self.signed and set(labels) <= {0, 1}:
            return [2 * t - 1 for t in labels]
        return labels

    def check_outputs(self, where: str, output: Value | Sequence[Value]) -> None:
        """A one-line error when a model's output (one sample's) does not suit this loss."""
        one = isinstance(output, Value)
        if self.per_class and one:
            raise ValueError(f"{where}: loss {self.name!r} needs a model with one output per class, got one output")
        if not self.per_class and not isinstance(output, Value):
            raise ValueError(f"{where}: loss {self.name!r} needs a model with one output, got {len(output)} outputs")


HINGE = Loss("hinge", hinge, classification=True, signed=True, term=hinge_term)
MSE = Loss("mse", mse, classification=False, signed=True, term=mse_term)
MAE = Loss("mae", mae, classification=False, signed=True, term=mae_term)
BCE = Loss("bce", binary_cross_entropy, classification=True, term=binary_cross_entropy_term)
CROSS_ENTROPY = Loss("cross_entropy", cross_entropy, classification=True, per_class=True, term=cross_entropy_term)

# by name; "binary_cross_entropy" is another name of "bce"
LOSSES: dict[str, Loss] = {
    **{loss.name: loss for loss in (HINGE, MSE, MAE, BCE, CROSS_ENTROPY)},
    "binary_cross_entropy": BCE,
}


def default_loss(classes: int) -> Loss:
    """The classification loss to train ``classes`` classes with when none is named: the first in ``LOSSES``
    that takes that many (hinge for two classes, cross_entropy for more)."""
    return next(loss for loss in LOSSES.values() if loss.classification and loss.per_class == (classes > 2))
