"""The PyTorch bridge against real PyTorch in float64: the same outputs, gradients and training steps,
exact round trips, the exported script, and a clear error for every module that does not map.

CI installs torch (``.ci/run``), so nothing here is skipped there.
"""
from __future__ import annotations

import os
import random
import struct
import subprocess
import sys

import pytest

from microgradnet import MLP, SGD, Adam, Value, losses
from microgradnet.data import make_moons
from microgradnet.engine import sum as value_sum
from microgradnet.nn import MLP_ACTIVATIONS

if os.environ.get("CI"):
    import torch  # CI installs it (.ci/run): there a missing torch fails, it never skips
else:
    torch = pytest.importorskip("torch", reason="needs the torch extra: pip install 'microgradnet[torch]'")

from microgradnet import torch_bridge as tb

nn = torch.nn
RTOL = 1e-12


def relative_error(ours: list[float], theirs: list[float]) -> float:
    """The largest |ours - theirs| / |theirs| (0 where they are equal, including both 0)."""
    assert len(ours) == len(theirs)
    return max((abs(a - b) / abs(b) if a != b else 0.0) for a, b in zip(ours, theirs))


def bits(values: list[float]) -> list[bytes]:
    return [struct.pack("<d", v) for v in values]


def inputs(nin: int, count: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.gauss(0.0, 1.5) for _ in range(nin)] for _ in range(count)]


# --- outputs and gradients -------------------------------------------------------------

@pytest.mark.parametrize("activation", MLP_ACTIVATIONS)
def test_outputs_and_every_parameter_gradient_equal_torch(activation):
    # each activation in the hidden layers and at the output (linear: tanh at the output)
    output = "tanh" if activation == "linear" else activation
    model = MLP(3, [5, 4, 2], activation=activation, output_activation=output, seed=1)
    module = model.to_torch()
    X = inputs(3, 6, seed=2)
    weights = [[(i + 1) * (k + 2) / 7 for k in range(2)] for i in range(len(X))]  # a loss that weighs every output
    outputs = [model(x) for x in X]
    value_sum([o * w for os, ws in zip(outputs, weights) for o, w in zip(os, ws)]).backward()
    got = module(torch.tensor(X, dtype=torch.float64))
    (got * torch.tensor(weights, dtype=torch.float64)).sum().backward()
    assert got.dtype == torch.float64
    assert relative_error([o.data for os in outputs for o in os], got.flatten().tolist()) <= RTOL
    grads = [p.grad for p in model.parameters()]
    assert len(grads) == sum(p.numel() for p in module.parameters())
    assert relative_error(grads, tb.parameter_grads(module)) <= RTOL
    assert any(g != 0 for g in grads)


def test_the_torch_layers_are_linear_activation_prelu_per_neuron_maxout_and_dropout():
    module = MLP(2, [4, 3, 1], activation="prelu", dropout=0.25, seed=0).to_torch()
    assert [type(m).__name__ for m in module] == ["Linear", "PReLU", "Dropout", "Linear", "PReLU", "Dropout", "Linear"]
    assert module[1].num_parameters == 4 and module[2].p == 0.25
    maxout = MLP(2, [4, 1], activation="maxout", pieces=3, seed=0).to_torch()
    assert isinstance(maxout[0], tb.Maxout) and maxout[0].linear.out_features == 12
    assert all(p.dtype == torch.float64 for p in maxout.parameters())


def test_dropout_is_the_identity_in_eval_mode_and_drops_p_in_training():
    model = MLP(2, [64, 1], activation="relu", dropout=0.5, seed=3)
    model.eval()
    module = model.to_torch()
    assert not module.training
    X = inputs(2, 5, seed=4)
    got = module(torch.tensor(X, dtype=torch.float64)).flatten().tolist()
    assert relative_error([model(x).data for x in X], got) <= RTOL
    module.train()
    torch.manual_seed(0)
    h = module[:3](torch.ones(1000, 2, dtype=torch.float64))
    active = module[:2](torch.ones(1000, 2, dtype=torch.float64)) > 0
    dropped = ((h == 0) & active).sum().item() / active.sum().item()
    assert abs(dropped - 0.5) < 0.02  # inverted dropout, as microgradnet's: survivors are scaled by 1/(1 - p)
    assert torch.allclose(h[h != 0], 2 * module[:2](torch.ones(1000, 2, dtype=torch.float64))[h != 0])


# --- training ----------------------------------------------------------------------------

LOSS_FUNCTIONS = {"hinge": losses.hinge, "mse": losses.mse, "bce": losses.binary_cross_entropy,
                  "cross_entropy": losses.cross_entropy}


def train_both(optimizer_of, loss: str, activation: str, steps: int = 20) -> tuple[list[float], list[float]]:
    """``steps`` full-batch steps of the same model, optimizer and loss here and in torch; both parameter lists."""
    X, y = make_moons(n=16, seed=3)
    classes = 3 if loss == "cross_entropy" else 1
    targets = [t % 3 for t in y] if classes == 3 else [2 * t - 1 for t in y] if loss in ("hinge", "mse") else y
    model = MLP(2, [6, 5, classes], activation=activation, seed=5)
    module = model.to_torch()
    optimizer = optimizer_of(model.parameters())
    torch_optimizer = tb.torch_optimizer(optimizer, module)
    loss_fn, torch_loss = LOSS_FUNCTIONS[loss], tb.torch_loss(loss)
    X_t = torch.tensor(X, dtype=torch.float64)
    t_t = torch.tensor(targets) if classes == 3 else torch.tensor(targets, dtype=torch.float64)[:, None]
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn([model(x) for x in X], targets).backward()
        optimizer.step()
        torch_optimizer.zero_grad()
        torch_loss(module(X_t), t_t).backward()
        torch_optimizer.step()
    return [p.data for p in model.parameters()], tb.parameter_values(module)


OPTIMIZERS = {
    "sgd": lambda params: SGD(params, lr=0.1),
    "momentum": lambda params: SGD(params, lr=0.05, momentum=0.9),
    "adam": lambda params: Adam(params, lr=0.01),
}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize(("loss", "activation"), [("mse", "relu"), ("cross_entropy", "tanh")])
def test_twenty_training_steps_give_the_same_parameters_as_torch(optimizer, loss, activation):
    ours, theirs = train_both(OPTIMIZERS[optimizer], loss, activation)
    start = [p.data for p in MLP(2, [6, 5, 3 if loss == "cross_entropy" else 1], activation=activation,
                                  seed=5).parameters()]
    assert max(abs(a - b) for a, b in zip(ours, start)) > 1e-2  # the steps moved the parameters
    assert relative_error(ours, theirs) <= RTOL


@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
@pytest.mark.parametrize("loss", ["hinge", "bce"])
def test_hinge_written_out_and_bce_train_as_in_torch(optimizer, loss):
    # Adam is left out here: a gradient that is 0 in exact arithmetic (hinge's output bias when as many
    # +1 as -1 targets are inside the margin) is ±1e-17 of rounding in either library, which Adam's
    # m / (sqrt(v) + eps) scales up by lr / eps = 1e6 (the 1e-9 differences of these runs)
    ours, theirs = train_both(OPTIMIZERS[optimizer], loss, "relu")
    assert relative_error(ours, theirs) <= RTOL


def test_torch_hinge_is_the_mean_of_max_0_1_minus_t_s():
    scores, targets = [0.5, -2.0, 1.5, 0.0, 1.0], [1, 1, -1, -1, 1]  # the last one on the margin: t·s = 1
    s = torch.tensor(scores, dtype=torch.float64, requires_grad=True)
    value = tb.torch_loss("hinge")(s, torch.tensor(targets, dtype=torch.float64))
    value.backward()
    assert value.item() == (0.5 + 3.0 + 2.5 + 1.0 + 0.0) / 5
    assert s.grad.tolist() == [-0.2, -0.2, 0.2, 0.2, 0.0]  # -t/N inside the margin, 0 on it (relu'(0) = 0)
    assert value.item() == losses.hinge(scores, targets).data


def test_torch_optimizer_refuses_a_used_optimizer_and_other_types():
    model = MLP(2, [3, 1], seed=0)
    module = model.to_torch()
    sgd = SGD(model.parameters(), lr=0.1, momentum=0.9)
    model([1.0, 2.0]).backward()
    sgd.step()  # now it carries a velocity that torch's fresh optimizer would not
    with pytest.raises(ValueError, match="has taken steps"):
        tb.torch_optimizer(sgd, module)
    with pytest.raises(TypeError, match="expected microgradnet's SGD or Adam, got str"):
        tb.torch_optimizer("sgd", module)  # type: ignore[arg-type]


# --- round trips ------------------------------------------------------------------------

@pytest.mark.parametrize("activation", MLP_ACTIVATIONS)
def test_from_torch_of_to_torch_round_trips_bit_for_bit(activation):
    model = MLP(3, [4, 5, 2], activation=activation, output_activation="sigmoid", dropout=0.2, seed=7)
    model.eval()
    back = MLP.from_torch(model.to_torch(), seed=model.seed)
    assert back.state_dict() == model.state_dict()
    assert bits([p.data for p in back.parameters()]) == bits([p.data for p in model.parameters()])
    assert not back.training


def test_from_torch_reads_a_handwritten_float32_network():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.01), nn.Dropout(0.1), nn.Linear(3, 1), nn.Identity())
    model = MLP.from_torch(module)
    assert model.architecture() == {"type": "MLP", "nin": 2, "nouts": [3, 1], "activation": "leaky_relu",
                                    "output_activation": "linear", "dropout": 0.1, "pieces": None}
    expected = [*module[0].weight[0].tolist(), module[0].bias[0].item()]
    assert [p.data for p in model.parameters()[:3]] == expected  # float32 -> float64 is exact
    module.eval(), model.eval()
    x = [0.3, -1.2]
    assert model(x).data == pytest.approx(module(torch.tensor([x])).item(), rel=1e-6)  # torch ran in float32


def test_from_torch_takes_torch_s_default_softplus():
    module = nn.Sequential(nn.Linear(2, 3), nn.Softplus(), nn.Linear(3, 1)).double()
    assert MLP.from_torch(module).activation == "softplus"


def test_from_torch_copies_one_shared_prelu_slope_to_every_neuron():
    module = nn.Sequential(nn.Linear(2, 3), nn.PReLU(init=0.1), nn.Linear(3, 1)).double()
    model = MLP.from_torch(module)
    assert [n.slope.data for n in model.layers[0].neurons] == [pytest.approx(0.1)] * 3
    x = [[-0.5, 2.0]]
    assert model(x[0]).data == pytest.approx(module(torch.tensor(x, dtype=torch.float64)).item(), rel=RTOL)


@pytest.mark.parametrize(("module", "words"), [
    (lambda: nn.Linear(2, 1), "expected a torch.nn.Sequential (as to_torch makes), got Linear"),
    (lambda: nn.Sequential(), "empty"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.GELU(), nn.Linear(3, 1)), "layer 1 (GELU(approximate='none')) has no"),
    (lambda: nn.Sequential(nn.Conv1d(1, 1, 3)), "layer 0 (Conv1d"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1))),
     "layer 1 (Sequential( (0): ReLU() (1): Linear(in_features=3, out_features=1, bias=True) )) has no"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.2), nn.Linear(3, 1)), "(LeakyReLU(negative_slope=0.2))"),
    (lambda: nn.Sequential(nn.Linear(2, 3, bias=False), nn.Linear(3, 1)), "has no bias"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.Softplus(threshold=1.0), nn.Linear(3, 1)), "(Softplus(beta=1.0, thr"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.PReLU(2), nn.Linear(3, 1)), "layer 1 (PReLU(num_parameters=2))"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)),
     "one hidden activation, got ['relu', 'tanh']"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5), nn.ReLU(), nn.Linear(3, 1)), "in that order"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1)), "takes 4 inputs, but the layer before gives"),
    (lambda: nn.Sequential(nn.Linear(2, 1), nn.Dropout(0.5)), "Dropout after the output layer"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.5), nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1)),
     "one dropout p after every hidden layer, got [0.0, 0.5]"),
    (lambda: nn.Sequential(tb.Maxout(2, 3, 2), nn.ReLU(), nn.Linear(3, 1)), "a Maxout layer is its own activation"),
    (lambda: nn.Sequential(nn.ReLU(), nn.Linear(2, 1)), "the first layer must be a Linear or Maxout"),
])
def test_from_torch_names_the_layer_that_does_not_map(module, words):
    with pytest.raises((ValueError, TypeError)) as info:
        MLP.from_torch(module())
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_to_torch_of_another_model_is_refused():
    from microgradnet import Perceptron

    with pytest.raises(TypeError, match="expected an MLP, got Perceptron"):
        tb.to_torch(Perceptron(2))  # type: ignore[arg-type]


# --- import and export -------------------------------------------------------------------

def test_importing_microgradnet_does_not_import_torch():
    code = ("import sys, microgradnet, microgradnet.cli; microgradnet.cli.build_parser(); microgradnet.MLP(2, [3, 1]);"
            " print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, encoding="utf-8")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_exported_script_rebuilds_the_network_and_passes_its_own_check(tmp_path):
    # abs and maxout are modules of the bridge's own, so the script carries their source
    model = MLP(2, [5, 3, 2], activation="abs", output_activation="maxout", dropout=0.1, seed=2)
    script = tmp_path / "model.py"
    script.write_text(tb.export_script(model), encoding="utf-8")
    result = subprocess.run([sys.executable, script], check=False, capture_output=True, encoding="utf-8")
    assert result.returncode == 0, result.stderr
    assert "ok: 8 outputs equal microgradnet's" in result.stdout
    namespace: dict = {}
    exec(compile(script.read_text(encoding="utf-8"), str(script), "exec"), namespace)  # our own generated script
    rebuilt, expected = namespace["build"]().state_dict(), model.to_torch().state_dict()
    assert list(rebuilt) == list(expected)
    assert all(torch.equal(rebuilt[key], expected[key]) for key in expected)  # bit for bit
    # the check can fail: an output off by one makes the script exit 1 saying by how much
    spoiled = tmp_path / "spoiled.py"
    spoiled.write_text(script.read_text(encoding="utf-8").replace("OUTPUTS = [\n [", "OUTPUTS = [\n [1.0 + ", 1))
    result = subprocess.run([sys.executable, spoiled], check=False, capture_output=True, encoding="utf-8")
    assert result.returncode == 1 and "check failed: the outputs differ from microgradnet's by" in result.stderr


def test_the_export_command_writes_a_script_that_passes_its_check(tmp_path):
    def microgradnet(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "microgradnet", *args], cwd=tmp_path, check=False,
                              capture_output=True, encoding="utf-8")

    trained = microgradnet("train", "--hidden", "8,8", "--activation", "tanh", "--epochs", "5", "--save", "m.json",
                           "--no-progress")
    assert trained.returncode == 0, trained.stderr
    exported = microgradnet("export", "m.json", "--to", "torch", "--out", "model.py")
    assert exported.returncode == 0, exported.stderr
    assert "model.py" in exported.stdout
    result = subprocess.run([sys.executable, "model.py"], cwd=tmp_path, check=False, capture_output=True,
                            encoding="utf-8")
    assert result.returncode == 0, result.stderr
    assert "Tanh()" in result.stdout and "ok: 8 outputs equal microgradnet's" in result.stdout
    # a file that is not a model: one line, exit 2, no script
    (tmp_path / "notes.json").write_text('{"a": 1}')
    refused = microgradnet("export", "notes.json", "--out", "notes.py")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "not a model state" in refused.stderr
    assert not (tmp_path / "notes.py").exists()


def test_every_training_loss_has_its_torch_counterpart_with_the_same_value_and_gradient():
    from microgradnet.losses import LOSSES

    assert set(tb.TORCH_LOSSES) == set(LOSSES)
    rng = random.Random(0)
    for name, loss in LOSSES.items():
        classes = 3 if loss.per_class else 1
        scores = [[rng.gauss(0.0, 2.0) for _ in range(classes)] for _ in range(7)]
        labels = [rng.randrange(3 if loss.per_class else 2) for _ in range(7)]
        targets = loss.class_targets(labels)
        values = [[Value(s) for s in row] for row in scores]
        ours = loss([row if loss.per_class else row[0] for row in values], targets)
        ours.backward()
        s = torch.tensor(scores, dtype=torch.float64, requires_grad=True)
        t = torch.tensor(targets) if loss.per_class else torch.tensor(targets, dtype=torch.float64)[:, None]
        theirs = tb.torch_loss(name)(s, t)
        theirs.backward()
        assert relative_error([ours.data], [theirs.item()]) <= RTOL, name
        assert relative_error([v.grad for row in values for v in row], s.grad.flatten().tolist()) <= RTOL, name


def test_without_torch_the_bridge_says_how_to_install_it(tmp_path):
    MLP(2, [3, 1], seed=0).save(tmp_path / "m.json")
    no_torch = "import sys; sys.modules['torch'] = None  # as if torch were not installed\n"
    method = no_torch + "from microgradnet import MLP\nMLP(2, [3, 1]).to_torch()"
    result = subprocess.run([sys.executable, "-c", method], check=False, capture_output=True, encoding="utf-8")
    assert result.returncode == 1
    assert "ImportError: the PyTorch bridge needs torch: pip install 'microgradnet[torch]'" in result.stderr
    command = no_torch + "from microgradnet.cli import main\nsys.exit(main(['export', 'm.json', '--out', 'm.py']))"
    result = subprocess.run([sys.executable, "-c", command], cwd=tmp_path, check=False, capture_output=True,
                            encoding="utf-8")
    assert result.returncode == 2
    assert result.stderr == "microgradnet: error: export --to torch needs PyTorch: pip install 'microgradnet[torch]'\n"
    assert not (tmp_path / "m.py").exists()
