"""Losses against closed forms, central differences and the lecture's formulas; stability; bad targets."""
from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgradnet import Value, gradcheck
from microgradnet.losses import binary_cross_entropy, cross_entropy, hinge, l1_penalty, l2_penalty, mae, mse

reals = st.floats(-10.0, 10.0, allow_nan=False)


def values(*xs: float) -> list[Value]:
    return [Value(x) for x in xs]


def test_mse_closed_form_and_gradient() -> None:
    preds = values(1.0, 2.0, 3.0)
    loss = mse(preds, [1.5, 2.0, 5.0])
    assert loss.data == pytest.approx((0.25 + 0.0 + 4.0) / 3, abs=1e-15)
    loss.backward()
    # d/dp 1/N Σ (p - t)^2 = 2 (p - t) / N
    assert [p.grad for p in preds] == pytest.approx([2 * -0.5 / 3, 0.0, 2 * -2.0 / 3], abs=1e-15)


@given(st.lists(st.tuples(reals, reals), min_size=1, max_size=5))
def test_mse_and_mae_are_means_with_finite_difference_gradients(pairs: list[tuple[float, float]]) -> None:
    ps, ts = [p for p, _ in pairs], [t for _, t in pairs]
    n = len(pairs)
    assert mse(values(*ps), ts).data == pytest.approx(sum((p - t) ** 2 for p, t in pairs) / n, rel=1e-12, abs=1e-12)
    assert mae(values(*ps), ts).data == pytest.approx(sum(abs(p - t) for p, t in pairs) / n, rel=1e-12, abs=1e-12)
    assert gradcheck(lambda *p: mse(list(p), ts), *ps, atol=1e-6, rtol=1e-6)
    if all(abs(p - t) > 1e-3 for p, t in pairs):  # |x| has a kink at 0: differences are only valid away from it
        assert gradcheck(lambda *p: mae(list(p), ts), *ps, atol=1e-6, rtol=1e-6)


def test_mae_gradient_is_sign_over_n_and_zero_at_the_target() -> None:
    preds = values(3.0, -1.0, 2.0)
    mae(preds, [1.0, 0.0, 2.0]).backward()
    assert [p.grad for p in preds] == [1 / 3, -1 / 3, 0.0]


def test_single_value_prediction_is_one_sample() -> None:
    assert mse(Value(3.0), 1.0).data == 4.0
    assert mae(Value(3.0), [1.0]).data == 2.0
    assert hinge(Value(0.25), -1).data == 1.25


def test_hinge_closed_form_and_gradient() -> None:
    scores = values(2.0, 0.5, -0.5, 0.25)
    targets = [1, 1, 1, -1]
    loss = hinge(scores, targets)
    # max(0, 1 - t s): 0, 0.5, 1.5, 1.25
    assert loss.data == (0.0 + 0.5 + 1.5 + 1.25) / 4
    loss.backward()
    # d/ds = -t / N inside the margin (t s < 1), 0 outside
    assert [s.grad for s in scores] == [0.0, -0.25, -0.25, 0.25]


@given(st.lists(st.tuples(reals, st.sampled_from([-1, 1])), min_size=1, max_size=5))
def test_hinge_matches_formula_and_differences(pairs: list[tuple[float, int]]) -> None:
    ss, ts = [s for s, _ in pairs], [t for _, t in pairs]
    expected = sum(max(0.0, 1.0 - t * s) for s, t in pairs) / len(pairs)
    assert hinge(values(*ss), ts).data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    if all(abs(1.0 - t * s) > 1e-3 for s, t in pairs):
        assert gradcheck(lambda *s: hinge(list(s), ts), *ss, atol=1e-6, rtol=1e-6)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@given(st.lists(st.tuples(reals, st.sampled_from([0, 1])), min_size=1, max_size=5))
def test_bce_equals_lecture_cross_entropy_and_its_gradient_is_sigmoid_minus_t(pairs: list[tuple[float, int]]) -> None:
    zs, ts = [z for z, _ in pairs], [t for _, t in pairs]
    n = len(pairs)
    # lecture 000: -Σ {t ln y + (1 - t) ln(1 - y)} with y = σ(z); and -log σ((2t - 1) z) of LECTURES row 12
    lecture = -sum(t * math.log(_sigmoid(z)) + (1 - t) * math.log(1 - _sigmoid(z)) for z, t in pairs) / n
    signed = -sum(math.log(_sigmoid((2 * t - 1) * z)) for z, t in pairs) / n
    logits = values(*zs)
    loss = binary_cross_entropy(logits, ts)
    assert loss.data == pytest.approx(lecture, rel=1e-9, abs=1e-12)
    assert loss.data == pytest.approx(signed, rel=1e-12, abs=1e-15)
    loss.backward()
    assert [z.grad for z in logits] == pytest.approx([(_sigmoid(z) - t) / n for z, t in pairs], rel=1e-9, abs=1e-15)
    assert gradcheck(lambda *z: binary_cross_entropy(list(z), ts), *zs, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize(
    ("logit", "target", "loss", "gradient"),
    [(1000.0, 0, 1000.0, 1.0), (-1000.0, 1, 1000.0, -1.0), (1000.0, 1, 0.0, 0.0), (-1000.0, 0, 0.0, 0.0)],
)
def test_bce_is_finite_at_logit_1000(logit: float, target: int, loss: float, gradient: float) -> None:
    z = Value(logit)
    out = binary_cross_entropy([z], [target])
    out.backward()
    assert out.data == loss
    assert z.grad == gradient


def _neg_log_softmax(logits: list[float], k: int) -> float:
    return -math.log(math.exp(logits[k]) / sum(math.exp(z) for z in logits))


@given(st.lists(st.lists(reals, min_size=3, max_size=3), min_size=1, max_size=4), st.data())
def test_cross_entropy_equals_minus_log_softmax(rows: list[list[float]], data: st.DataObject) -> None:
    targets = [data.draw(st.integers(0, 2)) for _ in rows]
    n = len(rows)
    logits = [values(*row) for row in rows]
    loss = cross_entropy(logits, targets)
    expected = sum(_neg_log_softmax(r, k) for r, k in zip(rows, targets)) / n
    assert loss.data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    loss.backward()
    for row, k, zs in zip(rows, targets, logits):
        total = sum(math.exp(z) for z in row)
        softmax = [math.exp(z) / total for z in row]
        # d/dz_j -log softmax_k = softmax_j - [j == k]
        assert [z.grad for z in zs] == pytest.approx([(s - (j == k)) / n for j, s in enumerate(softmax)], abs=1e-12)
    flat = [z for row in rows for z in row]
    assert gradcheck(lambda *z: cross_entropy([list(z[i:i + 3]) for i in range(0, len(z), 3)], targets), *flat,
                     atol=1e-7, rtol=1e-6)


def test_cross_entropy_is_stable_for_huge_logits_and_takes_one_sample() -> None:
    zs = values(1000.0, 0.0, -1000.0)
    loss = cross_entropy(zs, 2)
    loss.backward()
    assert loss.data == 2000.0
    assert [z.grad for z in zs] == [1.0, 0.0, -1.0]
    assert cross_entropy([[1000.0, 0.0, -1000.0]], [0]).data == 0.0


def test_penalties_are_sums_with_their_gradients() -> None:
    params = values(1.5, -2.0, 0.0)
    l2 = l2_penalty(params)
    assert l2.data == 1.5 ** 2 + 4.0
    l2.backward()
    assert [p.grad for p in params] == [3.0, -4.0, 0.0]
    for p in params:
        p.grad = 0.0
    l1 = l1_penalty(params)
    assert l1.data == 3.5
    l1.backward()
    assert [p.grad for p in params] == [1.0, -1.0, 0.0]
    assert l2_penalty([]).data == 0.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mse(values(1.0, 2.0), [1.0]), "2 predictions and 1 targets"),
        (lambda: mae([], []), "at least one sample"),
        (lambda: hinge(values(1.0, 2.0), [1, 0]), "sample 1 must be one of (-1, 1), got 0"),
        (lambda: binary_cross_entropy(values(1.0, 2.0), [1, -1]), "sample 1 must be one of (0, 1), got -1"),
        (lambda: binary_cross_entropy(values(1.0), [0.5]), "sample 0 must be one of (0, 1), got 0.5"),
        (lambda: cross_entropy([values(1.0, 2.0)], [2]), "sample 0 must be an int class index in 0..1, got 2"),
        (lambda: cross_entropy([values(1.0, 2.0), values(1.0, 2.0)], [0, 1.0]), "sample 1 must be an int class index"),
        (lambda: cross_entropy([values(1.0, 2.0)], [0, 1]), "1 logit lists and 2 targets"),
        (lambda: cross_entropy([[]], [0]), "sample 0 has no logits"),
    ],
)
def test_bad_targets_say_which_sample_and_what_was_expected(call, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_non_numbers_are_type_errors() -> None:
    with pytest.raises(TypeError, match="mse: target 0"):
        mse(values(1.0), ["1"])
    with pytest.raises(TypeError, match="expected a list of class logits, got Value"):
        cross_entropy([[1.0], Value(2.0)], [0, 0])


def test_each_named_loss_carries_its_facts() -> None:
    from microgradnet.losses import LOSSES

    assert LOSSES["binary_cross_entropy"] is LOSSES["bce"] and LOSSES["mse"].function is mse
    assert [name for name, loss in LOSSES.items() if loss.classification] == [
        "hinge", "bce", "cross_entropy", "binary_cross_entropy"]
    assert LOSSES["hinge"].class_targets([0, 1, 1]) == [-1, 1, 1] == LOSSES["mse"].class_targets([0, 1, 1])
    assert LOSSES["bce"].class_targets([0, 1]) == [0, 1] and LOSSES["hinge"].class_targets([-1, 1]) == [-1, 1]
    assert LOSSES["cross_entropy"].outputs_needed(3) == 3 and LOSSES["hinge"].outputs_needed(2) == 1
    with pytest.raises(ValueError, match="loss 'cross_entropy' needs a model with one output per class"):
        LOSSES["cross_entropy"].check_outputs("fit", Value(1.0))
    assert LOSSES["hinge"](Value(0.5), 1).data == 0.5  # max(0, 1 - 1 * 0.5)
