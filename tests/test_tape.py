"""The tape: a recorded graph replays the dynamic engine's numbers exactly, and refuses what it cannot replay."""
from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradnet as mg
from microgradnet import Value, engine, losses
from microgradnet.nn import MLP
from microgradnet.tape import TapeError, record
from microgradnet.train import compile_loss

SETTINGS = settings(max_examples=60, deadline=None)


def sigmoid_neuron(x0: Value, x1: Value, w0: Value, w1: Value, w2: Value) -> Value:
    """Lecture 002's neuron 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))), gate by gate as the slide draws it."""
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())


def dynamic_grads(fn, numbers):
    """fn's output and d output / d input by the dynamic engine, at ``numbers``."""
    inputs = [Value(x) for x in numbers]
    out = fn(*inputs)
    out.backward()
    return out.data, [v.grad for v in inputs]


# --- lecture examples -------------------------------------------------------------------------


def test_lecture_example_1_listing_forward_and_input_grads():
    x, y, z = Value(2.0, "x"), Value(3.0, "y"), Value(-2.0, "z")

    def f(x, y, z):
        q = x + y
        q.label = "q"
        return z * q

    tape = record(f, x, y, z)
    assert str(tape) == "\n".join(
        [
            "# tape: 3 inputs, 0 parameters, 0 constants, 2 instructions, 1 output",
            "# inputs      %0 x, %1 y, %2 z",
            "# parameters  (none)",
            "# constants   (none)",
            "%3 = %0 + %1                     # q",
            "%4 = %2 * %3",
            "# outputs     %4",
        ]
    )
    assert tape.forward(2, 3, -2) == -10.0
    tape.backward()
    assert tape.input_grads == [-2.0, -2.0, 5.0]
    # new numbers: f = z (x + y), so df/dx = df/dy = z and df/dz = x + y
    assert tape.forward([1.5, -4.0, 3.0]) == -7.5
    tape.backward()
    assert tape.input_grads == [3.0, 3.0, -2.5]


def test_lecture_example_2_sigmoid_neuron_matches_slides_and_engine():
    numbers = [-1.0, -2.0, 2.0, -3.0, -3.0]  # x0, x1, w0, w1, w2
    tape = record(sigmoid_neuron, *numbers)
    assert len(tape) == 8  # *, *, +, +, *-1, exp, +1, 1/x as on the slide
    assert [ins.op for ins in tape.instructions][4:] == ["*-1", "exp", "+1", "1/x"]
    out = tape.forward(numbers)
    assert round(out, 2) == 0.73
    tape.backward()
    assert [round(g, 1) for g in tape.input_grads] == [0.4, -0.6, -0.2, -0.4, 0.2]
    assert (out, tape.input_grads) == dynamic_grads(sigmoid_neuron, numbers)


# --- replay equals the dynamic engine -------------------------------------------------------------

UNARY = ["relu", "tanh", "sigmoid", "abs", "hard_tanh", "softplus", "elu", "leaky_relu"]


@st.composite
def programs(draw):
    """A random straight-line function of n inputs built from relu/abs/max/prelu/dot/... (no data-dependent flow)."""
    n = draw(st.integers(1, 4))
    steps = []
    for k in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["unary", "binary", "const", "max", "dot", "prelu"]))
        pick = st.integers(0, n + k - 1)
        if kind == "unary":
            steps.append((kind, draw(st.sampled_from(UNARY)), [draw(pick)]))
        elif kind == "binary":
            steps.append((kind, draw(st.sampled_from(["+", "-", "*"])), [draw(pick), draw(pick)]))
        elif kind == "const":
            steps.append((kind, draw(st.sampled_from([-1.5, 0.5, 2.0])), [draw(pick)]))
        else:
            steps.append((kind, None, draw(st.lists(pick, min_size=2, max_size=5))))
    return n, steps


def run_program(steps, inputs):
    values = list(inputs)
    for kind, what, args in steps:
        a = [values[i] for i in args]
        if kind == "unary":
            values.append(getattr(a[0], what)())
        elif kind == "binary":
            values.append({"+": a[0] + a[1], "-": a[0] - a[1], "*": a[0] * a[1]}[what])
        elif kind == "const":
            values.append(a[0] * what + 1.0)
        elif kind == "max":
            values.append(mg.max(a))
        elif kind == "dot":
            values.append(mg.dot(a[: len(a) // 2], a[len(a) // 2 : 2 * (len(a) // 2)], start=a[-1]))
        else:
            values.append(a[0].prelu(a[1]))
    return values[-1]


@SETTINGS
@given(programs(), st.lists(st.lists(st.floats(-3, 3), min_size=4, max_size=4), min_size=1, max_size=4))
def test_replay_equals_engine_for_random_programs(program, points):
    n, steps = program
    tape = record(lambda *xs: run_program(steps, xs), *points[0][:n])
    assert len(tape) == sum(1 for node in mg.topological_order(run_program(steps, [Value(1.0)] * n)) if node.op)
    for point in points:  # the sign of every relu/abs/max/prelu input may differ from the recording
        out = tape.forward(point[:n])
        tape.backward()
        assert (out, tape.input_grads) == dynamic_grads(lambda *xs: run_program(steps, xs), point[:n])


def test_kinks_take_the_branch_of_the_new_numbers():
    a, b = Value(3.0), Value(1.0)
    tape = record(lambda x: mg.max([x * a, b]).abs() + x.relu(), 1.0)
    assert tape.forward(1.0) == 4.0  # max picks x*a, relu passes
    tape.backward()
    assert (tape.input_grads, a.grad, b.grad) == ([4.0], 1.0, 0.0)
    assert tape.forward(-1.0) == 1.0  # max now picks b, relu blocks, abs' = +1 at b = 1
    tape.backward()
    assert (tape.input_grads, a.grad, b.grad) == ([0.0], 1.0, 1.0)


def test_parameters_are_read_at_each_forward_and_grads_accumulate():
    w, b = Value(2.0, "w"), Value(0.5, "b")
    tape = record(lambda x: (w * x + b).tanh(), 1.0)
    assert tape.parameters == [w, b]  # numbered as first used
    w.data = -1.0
    out = tape.forward(0.25)
    assert out == math.tanh(-0.25 + 0.5)
    tape.backward()
    tape.backward()  # twice, as calling Value.backward twice: each call adds once more
    slope = 1 - out**2
    assert (w.grad, b.grad) == (2 * slope * 0.25, 2 * slope)


def test_replay_makes_no_value(monkeypatch):
    w = [Value(0.5), Value(-1.0)]
    tape = record(lambda x0, x1: mg.dot(w, [x0, x1], start=0.25).relu().exp(), 1.0, -2.0)

    def refuse(*args, **kwargs):
        raise AssertionError("a Value was created during replay")

    monkeypatch.setattr(engine, "_new_value", refuse)
    monkeypatch.setattr(Value, "__init__", refuse)
    assert tape.forward(2.0, 1.0) == math.exp(0.25)
    tape.backward()
    assert (w[0].grad, w[1].grad) == (2.0 * math.exp(0.25), math.exp(0.25))


def test_several_outputs_and_upstream_weights():
    tape = record(lambda x, y: [x * y, x + y], 2.0, 5.0)
    assert tape.forward(3.0, 4.0) == [12.0, 7.0]
    tape.backward([1.0, 10.0])  # d(1 * xy + 10 (x + y)) = (y + 10, x + 10)
    assert tape.input_grads == [14.0, 13.0]
    with pytest.raises(TapeError, match="one upstream number per output"):
        tape.backward()


def test_first_output_is_compiled_in_its_backward_order():
    def f(x, y):
        q = (x * y).tanh()
        return [q * x + y, q.relu(), y.exp()]

    tape = record(f, 0.5, -1.5)
    first = [node.op for node in mg.topological_order(f(Value(0.5), Value(-1.5))[0]) if node.op]
    assert [ins.op for ins in tape.instructions][: len(first)] == first
    assert len(tape) == len(first) + 2


def test_constants_are_kept_and_listed():
    tape = record(lambda x: mg.dot([x, x], [2.0, 3.0]), 1.0)  # dot makes the numbers into leaf Values
    assert tape.constants == [2.0, 3.0] and tape.parameters == []
    assert "# constants   %1 = 2.0, %2 = 3.0" in tape.listing()
    assert tape.forward(2.0) == 10.0


# --- training: compiled loss vs the dynamic engine ---------------------------------------------------


def dynamic_step(model, loss_fn, X, y):
    """The loss and every parameter's gradient from a freshly built graph."""
    model.zero_grad()
    loss = loss_fn([model(x) for x in X], y)
    loss.backward()
    return loss.data, [p.grad for p in model.parameters()]


def train_both(model, loss_fn, batches, lr, steps):
    """SGD on the compiled loss, checking each step against the dynamic engine.

    Returns the compiled loss and, per step, the sign of every relu's input in the replayed tape.
    """
    params = model.parameters()
    compiled = compile_loss(model, loss_fn)
    signs = []
    for k in range(steps):
        X, y = batches[k % len(batches)]
        expected_loss, expected_grads = dynamic_step(model, loss_fn, X, y)
        model.zero_grad()
        loss = compiled.forward(X, y)
        compiled.backward()
        # the same floats bit for bit (so within any tolerance, 1e-12 relative included)
        assert loss == expected_loss
        assert [p.grad for p in params] == expected_grads
        tape = compiled.tapes[tuple(y)]
        signs.append([tape.values[ins.inputs[0]] > 0 for ins in tape.instructions if ins.op == "relu"])
        for p in params:
            p.data -= lr * p.grad
    return compiled, signs


def test_moons_training_replays_engine_through_relu_sign_changes():
    X, y = moons(40)
    targets = [2 * t - 1 for t in y]
    model = MLP(2, [16, 16, 1], seed=3)
    params = model.parameters()

    def loss_fn(outputs, ts):
        return losses.hinge(outputs, ts) + 1e-4 * losses.l2_penalty(params)

    compiled, signs = train_both(model, loss_fn, [(X, targets)], lr=0.5, steps=15)
    assert len(compiled.tapes) == 1
    flips = sum(a != b for before, after in zip(signs, signs[1:]) for a, b in zip(before, after))
    assert flips > 0  # hidden units changed side between steps, and the replay followed the engine


def moons(n: int) -> tuple[list[list[float]], list[int]]:
    """Two noisy half circles, seeded: micrograd's moons demo data, labels 0/1."""
    rng = random.Random(1)
    X, y = [], []
    for i in range(n):
        t = math.pi * rng.random()
        cx, cy, label = (math.cos(t), math.sin(t), 0) if i % 2 else (1 - math.cos(t), 0.5 - math.sin(t), 1)
        X.append([cx + rng.gauss(0, 0.1), cy + rng.gauss(0, 0.1)])
        y.append(label)
    return X, y


@SETTINGS
@given(
    nin=st.integers(1, 3),
    hidden=st.lists(st.integers(1, 5), min_size=1, max_size=2),
    activation=st.sampled_from(["relu", "tanh", "leaky_relu"]),
    seed=st.integers(0, 2**16),
    batch=st.integers(1, 6),
)
def test_random_mlps_train_identically(nin, hidden, activation, seed, batch):
    rng = random.Random(seed)
    model = MLP(nin, [*hidden, 1], activation=activation, seed=seed)
    params = model.parameters()

    def loss_fn(outputs, ts):
        return losses.hinge(outputs, ts) + 1e-4 * losses.l2_penalty(params)

    batches = []
    for _ in range(2):  # two minibatches: two target lists, so up to two tapes
        X = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(batch)]
        batches.append((X, [rng.choice([-1, 1]) for _ in range(batch)]))
    compiled, _ = train_both(model, loss_fn, batches, lr=0.3, steps=8)
    assert 1 <= len(compiled.tapes) <= 2


def test_compiled_loss_reports_extra_losses_and_outputs():
    model = MLP(2, [3, 2], activation="tanh", seed=0)
    params = model.parameters()

    def loss_fn(outputs, ts):  # regression on two outputs: the loss, then the data term alone
        data = losses.mse([o[0] + o[1] for o in outputs], ts)
        return [data + 0.01 * losses.l2_penalty(params), data]

    compiled = compile_loss(model, loss_fn)
    X, y = [[0.5, -1.0], [2.0, 0.25], [-1.0, 1.0]], [0.3, -0.7, 1.5]
    _loss, data = compiled.forward(X, y)
    with mg.no_grad():
        outputs = [[o.data for o in model(x)] for x in X]
        assert data == losses.mse([a + b for a, b in outputs], y).data
    assert compiled.outputs == outputs
    model.zero_grad()
    compiled.backward()
    assert [p.grad for p in params] == dynamic_step(model, lambda o, t: loss_fn(o, t)[0], X, y)[1]


def test_compiled_loss_takes_one_target_list_per_row():
    model = MLP(2, [3, 2], activation="tanh", seed=0)

    def loss_fn(outputs, ts):  # two regression targets per row
        return losses.mse([o for out in outputs for o in out], [t for row in ts for t in row])

    compiled = compile_loss(model, loss_fn)
    X, Y = [[0.5, -1.0], [2.0, 0.25]], [[1.0, 0.0], [0.0, 1.0]]
    assert compiled.forward(X, Y) == compiled.forward(X, [(1.0, 0.0), (0.0, 1.0)]) == dynamic_step(model, loss_fn, X, Y)[0]
    assert list(compiled.tapes) == [((1.0, 0.0), (0.0, 1.0))]


# --- refusals -------------------------------------------------------------------------------------------


def test_refuses_python_branch_on_data():
    def f(x):
        return x * 2 if x.data > 0 else x * 3

    with pytest.raises(TapeError, match=r"data-dependent Python control flow.*node 1 is \*2\(node 0\).*\*3\(node 0\)"):
        record(f, 1.0)


def test_refuses_graph_whose_structure_depends_on_the_inputs():
    with pytest.raises(TapeError, match="3 nodes at the example inputs but 2 at the probe inputs"):
        record(lambda xs: mg.sum([x for x in xs if x.data > 0]), [1.0, -2.0, 3.0])


def test_refuses_a_constant_computed_from_the_data():
    def shifted_exp(x, y):  # the log-sum-exp trick with max(z.data) as a plain number
        m = max(x.data, y.data)
        return (x - m).exp() + (y - m).exp()

    with pytest.raises(TapeError):
        record(shifted_exp, 1.0, 2.0)
    with pytest.raises(TapeError, match="makes a constant from its inputs' numbers"):
        record(lambda x: x * Value(x.data), 2.0)


@pytest.mark.parametrize("result", [3.0, None, [], [Value(1.0), 2.0], "loss"])
def test_refuses_fn_returning_a_non_value(result):
    with pytest.raises(TapeError, match="fn must return a Value or a non-empty list of Values, got"):
        record(lambda x: result, 1.0)


def test_refuses_inputs_of_the_wrong_length_or_nesting():
    tape = record(lambda xs, y: mg.sum(xs) * y, [1.0, 2.0], 3.0)
    assert tape.forward([1.0, 1.0, 2.0]) == tape.forward([1.0, 1.0], 2.0) == 4.0
    with pytest.raises(TapeError, match=r"inputs\[0\]: expected 2 items, got 3"):
        tape.forward([1.0, 1.0, 1.0], 2.0)
    with pytest.raises(TapeError, match=r"inputs: expected 2 items, got 1"):
        tape.forward([1.0, 2.0])
    with pytest.raises(TapeError, match=r"inputs\[1\]: expected a number, got a list"):
        tape.forward([1.0, 1.0], [2.0])
    with pytest.raises(TypeError, match="expected a real number.*got str"):
        tape.forward([1.0, "2", 3.0])


def test_refuses_what_it_cannot_check():
    with pytest.raises(TapeError, match="inside no_grad"):
        with mg.no_grad():
            record(lambda x: x * 2, 1.0)
    with pytest.raises(TapeError, match="raised at all 3 probe inputs"):
        record(lambda x: (1e-9 - (x - 2.0) ** 2).log(), 2.0)  # defined only within 3e-5 of 2
    with pytest.raises(ValueError, match="probes must be at least 1"):
        record(lambda x: x * 2, 1.0, probes=0)
    for probes in (2.0, "3", None):
        with pytest.raises(TypeError, match=f"record: probes must be an int, got {type(probes).__name__}"):
            record(lambda x: x * 2, 1.0, probes=probes)


def test_a_probe_outside_the_domain_is_skipped():
    tape = record(lambda x: x.log(), 2.0)  # the negated probe is outside log's domain; the others check
    assert tape.forward(math.e) == 1.0
    with pytest.raises(ValueError, match="log of -1.0"):
        tape.forward(-1.0)  # the rule's own domain error, as the engine raises it


def test_backward_after_a_failed_forward_is_refused_until_a_forward_succeeds():
    w = Value(2.0)
    tape = record(lambda x: (x * w).log() + x * x, 2.0)
    tape.forward(3.0)
    with pytest.raises(ValueError, match="log of -2.0"):
        tape.forward(-1.0)  # fails at log, after x * w was already replayed at -1
    with pytest.raises(TapeError, match="the last forward raised"):
        tape.backward()
    assert w.grad == 0.0
    tape.forward(3.0)
    tape.backward()
    assert tape.input_grads == dynamic_grads(lambda x: (x * Value(2.0)).log() + x * x, [3.0])[1]
    assert w.grad == 0.5  # d/dw log(x w) = 1/w


def test_compiled_loss_refuses_dropout_in_training_and_backward_first():
    model = MLP(2, [4, 1], dropout=0.5, seed=0)
    compiled = compile_loss(model, losses.hinge)
    with pytest.raises(TapeError, match="dropout in training mode"):
        compiled.forward([[1.0, 2.0]], [1])
    with pytest.raises(TapeError, match="call forward"):
        compiled.backward()
    model.eval()
    assert compiled.forward([[1.0, 2.0]], [1]) == losses.hinge([model([1.0, 2.0])], [1]).data
    with pytest.raises(ValueError, match="one target per row"):
        compiled.forward([[1.0, 2.0]], [1, -1])
    with pytest.raises(TapeError, match="call forward"):
        compiled.backward()  # not the gradient of the earlier batch


def test_zero_upstream_times_infinite_local_grad_is_nan_as_in_the_engine():
    tape = record(lambda x: x.sqrt() * 0.0, 4.0)
    tape.forward(0.0)  # sqrt'(0) = inf, and 0 * inf = nan
    tape.backward()
    _, expected = dynamic_grads(lambda x: x.sqrt() * 0.0, [0.0])
    assert math.isnan(expected[0]) and math.isnan(tape.input_grads[0])


# --- the sample tape replayed over a batch (compile_loss with a named loss, batched=True) ---------------------

def close_to(got: float, want: float, scale: float) -> bool:
    """Within 1e-12 relative, or 1e-12 of ``scale`` for sums that cancel to near 0 (a gradient summed over a batch)."""
    return math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12 * scale)


def dynamic_named_step(model, loss, X, targets, l2):
    """The loss and every parameter gradient by the dynamic engine (graph built afresh)."""
    params = model.parameters()
    objective = loss.function([model(x) for x in X], targets)
    if l2:
        objective = objective + l2 * losses.l2_penalty(params)
    engine.zero_grad(params)
    objective.backward()
    return objective.data, [p.grad for p in params]


@settings(max_examples=25, deadline=None)
@given(
    nin=st.integers(1, 3),
    hidden=st.lists(st.integers(1, 6), min_size=1, max_size=2),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", "softplus", "abs", "hard_tanh"]),
    loss_name=st.sampled_from(["hinge", "bce", "mse", "mae", "cross_entropy"]),
    optimizer=st.sampled_from(["sgd", "adam"]),
    seed=st.integers(0, 2**16),
    batch=st.integers(1, 12),
)
def test_batched_replay_equals_the_dynamic_engine_for_20_steps(nin, hidden, activation, loss_name, optimizer, seed,
                                                               batch):
    rng = random.Random(seed)
    loss = losses.LOSSES[loss_name]
    nout = 3 if loss.per_class else 1
    X = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(batch)]
    labels = [rng.randrange(nout if loss.per_class else 2) for _ in range(batch)]
    targets = loss.class_targets(labels) if loss.classification else [rng.uniform(-1, 1) for _ in range(batch)]
    models = [MLP(nin, [*hidden, nout], activation=activation, seed=seed) for _ in range(2)]
    make = (lambda ps: mg.SGD(ps, lr=0.3)) if optimizer == "sgd" else (lambda ps: mg.Adam(ps, lr=0.05))
    optimizers = [make(m.parameters()) for m in models]
    l2 = 1e-3
    compiled = compile_loss(models[1], loss, l2=l2, batched=True)
    signs = []
    for _ in range(20):
        want, want_grads = dynamic_named_step(models[0], loss, X, targets, l2)
        got = compiled.forward(X, targets)
        optimizers[1].zero_grad()
        compiled.backward()
        got_grads = [p.grad for p in models[1].parameters()]
        scale = max(1.0, *map(abs, want_grads))
        assert close_to(got, want, abs(want))
        assert all(close_to(g, w, scale) for g, w in zip(got_grads, want_grads)), (got_grads, want_grads)
        tape = compiled.tape
        signs.append([tape.batch_values[ins.inputs[0]] > 0 for ins in tape.instructions if ins.op is mg.ops.RELU])
        for opt in optimizers:
            opt.step()
    for a, b in zip(models[0].parameters(), models[1].parameters()):
        assert close_to(b.data, a.data, max(1.0, abs(a.data)) * 1e2)  # 20 steps compound the rounding a little


def test_batched_replay_follows_relu_units_that_change_sign():
    X, y = moons(40)
    model, twin = MLP(2, [16, 16, 1], seed=3), MLP(2, [16, 16, 1], seed=3)
    compiled = compile_loss(twin, "hinge", l2=1e-4, batched=True)
    targets = [2 * t - 1 for t in y]
    flips = 0
    previous = None
    for _ in range(15):
        want, want_grads = dynamic_named_step(model, losses.HINGE, X, targets, 1e-4)
        assert math.isclose(compiled.forward(X, targets), want, rel_tol=1e-12)
        twin.zero_grad()
        compiled.backward()
        scale = max(map(abs, want_grads))
        assert all(close_to(p.grad, w, scale) for p, w in zip(twin.parameters(), want_grads))
        tape = compiled.tape
        signs = [tape.batch_values[ins.inputs[0]] > 0 for ins in tape.instructions if ins.op is mg.ops.RELU]
        if previous is not None:
            flips += sum(int((a != b).sum()) for a, b in zip(previous, signs))
        previous = signs
        for m in (model, twin):
            for p in m.parameters():
                p.data -= 0.5 * (p.grad if m is twin else want_grads[m.parameters().index(p)])
    assert flips > 0  # units changed side for some samples between steps, and the replay followed the engine


def test_a_batch_of_one_equals_the_scalar_tape():
    model = MLP(2, [5, 5, 1], seed=7)
    rows = compile_loss(model, "bce")
    batch = compile_loss(model, "bce", batched=True)
    for x, t in [([0.3, -1.2], 1), ([2.0, 0.5], 0), ([-0.7, 0.1], 1)]:
        model.zero_grad()
        loss = rows.forward([x], [t])
        rows.backward()
        grads = [p.grad for p in model.parameters()]
        model.zero_grad()
        assert math.isclose(batch.forward([x], [t]), loss, rel_tol=1e-14)
        batch.backward()
        assert all(math.isclose(p.grad, g, rel_tol=1e-13, abs_tol=1e-300) for p, g in zip(model.parameters(), grads))
        assert batch.outputs[0] == pytest.approx(rows.outputs[0], rel=1e-14)


def test_the_sample_tape_is_recorded_once_whatever_the_batches():
    X, y = moons(30)
    model = MLP(2, [4, 1], seed=1)
    compiled = compile_loss(model, "hinge", batched=True)
    for start in range(0, 30, 7):  # batches of 7, 7, 7, 7 and 2, every one with other targets
        compiled.forward(X[start:start + 7], [2 * t - 1 for t in y[start:start + 7]])
    assert compiled.tapes == {} and compiled.tape is not None and compiled.tape.n_inputs == 3


def test_the_sample_tape_refuses_a_data_dependent_model():
    def model(x):
        return x[0] * 2.0 if x[0].data > 0 else x[1] * 3.0

    with pytest.raises(TapeError, match="builds a different graph when its inputs change"):
        compile_loss(model, "mse", batched=True).forward([[1.0, 2.0]], [0.5])


def test_the_sample_tape_refuses_targets_its_loss_refuses():
    compiled = compile_loss(MLP(2, [3, 1], seed=0), "hinge", batched=True)
    with pytest.raises(ValueError, match="hinge: target of sample 1 must be one of"):
        compiled.forward([[0.0, 1.0], [1.0, 0.0]], [1, 0])


def test_listing_reads_each_instruction_as_an_expression():
    tape = record(lambda x: 1 / ((x * -1).exp() + 1), 2.0)
    assert str(tape).splitlines()[4:8] == ["%1 = %0 * (-1)", "%2 = exp(%1)", "%3 = %2 + 1", "%4 = 1 / %3"]


def test_a_constant_whose_sign_of_zero_follows_the_data_is_refused():
    # x * 0.0 and x * -0.0 are different ops (2 * -0.0 is -0.0): a tape of one would replay the wrong zero
    with pytest.raises(TapeError, match="different graph"):
        record(lambda x: x * (0.0 if x.data > 0 else -0.0), 1.0)
