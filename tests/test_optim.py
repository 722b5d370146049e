"""SGD (lecture 002's momentum form, weight decay) and Adam against hand-computed and closed-form steps."""
from __future__ import annotations

import math

import pytest

from microgradnet import MLP, Value
from microgradnet.losses import l2_penalty
from microgradnet.optim import SGD, Adam


def quadratic_steps(optimizer, theta: Value, steps: int) -> list[float]:
    """Minimise L(θ) = θ^2 (∇L = 2θ) for ``steps`` steps; θ after each."""
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        (theta * theta).backward()
        optimizer.step()
        trajectory.append(theta.data)
    return trajectory


def test_plain_sgd_steps_against_the_gradient() -> None:
    theta = Value(1.0)
    # θ <- θ - 0.1 * 2θ = 0.8 θ
    assert quadratic_steps(SGD([theta], lr=0.1), theta, 3) == pytest.approx([0.8, 0.64, 0.512], abs=1e-15)


def test_momentum_is_the_lecture_formula_step_by_step() -> None:
    # v_{i+1} = -η ∇L(θ_i) + γ v_i,  θ_{i+1} = θ_i + v_{i+1};  η = 0.1, γ = 0.9, L = θ^2, θ_0 = 1:
    # v1 = -0.2,                     θ1 = 0.8
    # v2 = -0.16 + 0.9(-0.2) = -0.34,  θ2 = 0.46
    # v3 = -0.092 + 0.9(-0.34) = -0.398, θ3 = 0.062
    # v4 = -0.0124 + 0.9(-0.398) = -0.3706, θ4 = -0.3086
    theta = Value(1.0)
    optimizer = SGD([theta], lr=0.1, momentum=0.9)
    assert quadratic_steps(optimizer, theta, 4) == pytest.approx([0.8, 0.46, 0.062, -0.3086], abs=1e-12)
    assert optimizer.velocity == pytest.approx([-0.3706], abs=1e-12)


def _loss(a: Value, b: Value) -> Value:
    return (a * b - 1.0) ** 2 + a.exp()


def test_weight_decay_equals_adding_half_of_it_times_the_l2_penalty() -> None:
    decayed, penalised = [Value(0.5), Value(-1.5)], [Value(0.5), Value(-1.5)]
    wd = 0.3
    opt_decayed = SGD(decayed, lr=0.05, momentum=0.9, weight_decay=wd)
    opt_penalised = SGD(penalised, lr=0.05, momentum=0.9)
    for _ in range(20):
        opt_decayed.zero_grad()
        _loss(*decayed).backward()
        opt_decayed.step()
        opt_penalised.zero_grad()
        (_loss(*penalised) + (wd / 2) * l2_penalty(penalised)).backward()
        opt_penalised.step()
    assert [p.data for p in decayed] == pytest.approx([p.data for p in penalised], rel=1e-12, abs=1e-15)
    assert decayed[0].data != pytest.approx(0.5, abs=1e-3)  # it moved


def test_adam_first_steps_equal_the_closed_form() -> None:
    theta = Value(1.0)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    optimizer = Adam([theta], lr=lr)
    g0 = 2.0
    quadratic_steps(optimizer, theta, 1)
    # step 1: m_hat = g, v_hat = g^2, so θ1 = θ0 - lr g / (|g| + eps)
    theta1 = 1.0 - lr * g0 / (abs(g0) + eps)
    assert theta.data == pytest.approx(theta1, abs=1e-15)
    quadratic_steps(optimizer, theta, 1)
    g1 = 2 * theta1
    m_hat = ((1 - b1) * b1 * g0 + (1 - b1) * g1) / (1 - b1 ** 2)
    v_hat = ((1 - b2) * b2 * g0 ** 2 + (1 - b2) * g1 ** 2) / (1 - b2 ** 2)
    assert theta.data == pytest.approx(theta1 - lr * m_hat / (math.sqrt(v_hat) + eps), abs=1e-15)
    assert optimizer.t == 2


def test_adam_with_a_constant_gradient_moves_lr_per_step() -> None:
    # bias correction makes m_hat = g and v_hat = g^2 exactly, whatever the step
    theta = Value(0.0)
    optimizer = Adam([theta], lr=0.1)
    for _ in range(5):
        optimizer.zero_grad()
        (3.0 * theta).backward()
        optimizer.step()
    assert theta.data == pytest.approx(-5 * 0.1 * 3.0 / (3.0 + 1e-8), rel=1e-12)


def test_adam_leaves_a_parameter_with_zero_gradient_where_it_is() -> None:
    # m = v = 0 for a parameter no loss reaches (a dead ReLU's): its step is 0 / (0 + eps) = 0, and the
    # other parameters still step (eps = 0 once raised ZeroDivisionError halfway through the step)
    used, unused = Value(1.0), Value(2.0)
    optimizer = Adam([unused, used], lr=0.1, eps=1e-300)
    for _ in range(3):
        optimizer.zero_grad()
        (3.0 * used).backward()
        optimizer.step()
    assert unused.data == 2.0 and optimizer.m[0] == optimizer.v[0] == 0.0
    assert used.data == pytest.approx(1.0 - 3 * 0.1, rel=1e-12)
    before = optimizer.state_dict()
    with pytest.raises(ValueError, match="Adam eps: expected a number > 0"):
        optimizer.load_state_dict({**before, "eps": 0.0})
    with pytest.raises(ValueError, match="'v' holds running means of g\\^2, which are >= 0, got -1.0"):
        optimizer.load_state_dict({**before, "v": [0.0, -1.0]})
    assert optimizer.state_dict() == before


def test_zero_grad_and_a_shared_parameter_stepped_once() -> None:
    w = Value(2.0)
    optimizer = SGD([w, w], lr=0.5)
    assert optimizer.params == [w]
    (w * 3.0).backward()
    optimizer.step()
    assert w.data == 2.0 - 0.5 * 3.0
    optimizer.zero_grad()
    assert w.grad == 0.0


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
                                  lambda p: Adam(p, lr=0.05)])
def test_state_dict_resumes_exactly(make) -> None:
    straight, resumed = [Value(1.0), Value(-2.0)], [Value(1.0), Value(-2.0)]
    opt_straight = make(straight)
    for _ in range(3):
        opt_straight.zero_grad()
        _loss(*straight).backward()
        opt_straight.step()
    halfway = opt_straight.state_dict()
    snapshot = [p.data for p in straight]
    for _ in range(3):
        opt_straight.zero_grad()
        _loss(*straight).backward()
        opt_straight.step()
    for p, v in zip(resumed, snapshot):
        p.data = v
    opt_resumed = make(resumed)
    opt_resumed.load_state_dict(halfway)
    for _ in range(3):
        opt_resumed.zero_grad()
        _loss(*resumed).backward()
        opt_resumed.step()
    assert [p.data for p in resumed] == [p.data for p in straight]


def test_bad_state_dicts_leave_the_optimizer_unchanged() -> None:
    optimizer = SGD([Value(1.0)], lr=0.1, momentum=0.5)
    before = optimizer.state_dict()
    with pytest.raises(ValueError, match="expected a SGD state dict, got 'Adam'"):
        optimizer.load_state_dict(Adam([Value(1.0)]).state_dict())
    with pytest.raises(ValueError, match="'velocity' must be a list of 1 numbers, got 2"):
        optimizer.load_state_dict({**before, "velocity": [0.0, 0.0]})
    with pytest.raises(ValueError, match="lacks weight_decay"):
        optimizer.load_state_dict({k: v for k, v in before.items() if k != "weight_decay"})
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        optimizer.load_state_dict({**before, "lr": -1.0, "velocity": [5.0]})
    assert optimizer.state_dict() == before


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: SGD(p, lr=0.0), ValueError, "lr must be a finite number > 0, got 0.0"),
        (lambda p: SGD(p, lr=math.nan), ValueError, "lr must be a finite number > 0"),
        (lambda p: SGD(p, lr="0.1"), TypeError, "SGD lr: expected a real number"),
        (lambda p: SGD(p, lr=0.1, momentum=1.0), ValueError, r"SGD momentum: expected a number in \[0, 1\), got 1.0"),
        (lambda p: SGD(p, lr=0.1, momentum=-0.1), ValueError, "SGD momentum"),
        (lambda p: SGD(p, lr=0.1, weight_decay=-1), ValueError, "SGD weight_decay"),
        (lambda p: Adam(p, lr=-0.1), ValueError, "Adam: lr must be"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), ValueError, r"Adam betas\[1\]"),
        (lambda p: Adam(p, betas=0.9), ValueError, "betas must be a pair"),
        (lambda p: Adam(p, eps=0.0), ValueError, "Adam eps: expected a number > 0"),
        (lambda p: Adam(p, eps=-1e-8), ValueError, "Adam eps"),
        (lambda p: SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda p: SGD([1.0], lr=0.1), TypeError, "parameter 0 must be a Value, got float"),
        (lambda p: SGD([p, p], lr=0.1), TypeError, "parameter 0 must be a Value, got list"),  # was: unhashable type
        (lambda p: Adam(MLP(2, [1])), TypeError, r"got the model \(MLP\); pass model.parameters\(\)"),
    ],
)
def test_bad_hyperparameters_are_refused(make, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make([Value(1.0)])


def test_lr_can_be_scheduled_but_stays_valid() -> None:
    optimizer = SGD([Value(1.0)], lr=0.1)
    optimizer.lr = 0.05
    assert optimizer.lr == 0.05
    with pytest.raises(ValueError, match="lr must be"):
        optimizer.lr = 0.0
    assert optimizer.lr == 0.05
