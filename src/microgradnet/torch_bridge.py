"""The bridge to PyTorch: an MLP as a float64 ``torch.nn.Sequential`` with the same weights, and back.

Only ``MLP.to_torch``, ``MLP.from_torch`` and ``microgradnet export`` import this module, so
``import microgradnet`` never imports torch (it is the optional extra ``microgradnet[torch]``).
Layer by layer: a ``Layer`` is a ``Linear`` (row j = neuron j's weights, bias j = its b) and its
activation module, PReLU with one slope per neuron; a ``Maxout`` layer is ``Maxout`` below; a
``Dropout`` is ``nn.Dropout`` (both are inverted dropout). One table (``ACTIVATIONS``) says which
torch module each activation is; building, reading back and the exported script all use it.
"""
from __future__ import annotations

import inspect
import random
from collections.abc import Callable, Sequence
from typing import Any

try:
    import torch
    from torch import nn
except ImportError:  # say which extra brings it, not just "No module named torch"
    raise ImportError("the PyTorch bridge needs torch: pip install 'microgradnet[torch]'") from None

from . import __version__
from .engine import Value
from .nn import MLP, Dropout, Layer
from .nn import Maxout as MaxoutLayer
from .optim import SGD, Adam, Optimizer


class Abs(nn.Module):
    """|x| as a module (torch has the function only); its gradient at 0 is 0, as microgradnet's."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.abs()


class Maxout(nn.Module):
    """``nout`` maxout units: one Linear(nin, nout * pieces) whose rows j * pieces ... j * pieces + pieces - 1
    are unit j's pieces, then the max over each unit's pieces (the gradient goes to the first largest)."""

    def __init__(self, nin: int, nout: int, pieces: int) -> None:
        super().__init__()
        self.nout, self.pieces = nout, pieces
        self.linear = nn.Linear(nin, nout * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).unflatten(-1, (self.nout, self.pieces)).max(dim=-1).values

    def extra_repr(self) -> str:
        return f"nout={self.nout}, pieces={self.pieces}"


def _default(method: Callable[..., Value], name: str) -> float:
    """The default constant of an activation method (leaky_relu's slope, elu's alpha): one fact, read here."""
    return float(inspect.signature(method).parameters[name].default)


# activation -> (torch class name, its constructor arguments for a layer of nout units).
# Softplus: torch returns x itself above `threshold` (default 20), which differs from log(1 + e^x) in the
# gradient's 9th digit at x = 20; from x = 37 on both are exactly x in float64, so 40 changes nothing else.
ACTIVATIONS: dict[str, tuple[str, Callable[[int], dict[str, Any]]]] = {
    "relu": ("ReLU", lambda nout: {}),
    "leaky_relu": ("LeakyReLU", lambda nout: {"negative_slope": _default(Value.leaky_relu, "slope")}),
    "sigmoid": ("Sigmoid", lambda nout: {}),
    "tanh": ("Tanh", lambda nout: {}),
    "elu": ("ELU", lambda nout: {"alpha": _default(Value.elu, "alpha")}),
    "softplus": ("Softplus", lambda nout: {"beta": 1.0, "threshold": 40.0}),
    "abs": ("Abs", lambda nout: {}),
    "hard_tanh": ("Hardtanh", lambda nout: {"min_val": -1.0, "max_val": 1.0}),
    "prelu": ("PReLU", lambda nout: {"num_parameters": nout}),
}
OWN_CLASSES: dict[str, type[nn.Module]] = {"Abs": Abs, "Maxout": Maxout}

Spec = tuple[str, dict[str, Any]]  # (class name, constructor arguments): one torch layer


def layer_specs(model: MLP) -> list[Spec]:
    """The torch layers of ``model`` in order, as (class name, constructor arguments)."""
    specs: list[Spec] = []
    for layer in model.layers:
        if isinstance(layer, MaxoutLayer):
            specs.append(("Maxout", {"nin": layer.nin, "nout": layer.nout, "pieces": layer.pieces}))
        elif isinstance(layer, Layer):
            specs.append(("Linear", {"in_features": layer.nin, "out_features": layer.nout}))
            if layer.activation != "linear":
                name, arguments = ACTIVATIONS[layer.activation]
                specs.append((name, arguments(layer.nout)))
        elif isinstance(layer, Dropout):
            specs.append(("Dropout", {"p": layer.p}))
        else:  # an MLP holds only these three kinds
            raise TypeError(f"to_torch: cannot map layer {layer!r}")
    return specs


def _make(spec: Spec) -> nn.Module:
    name, arguments = spec
    return (OWN_CLASSES.get(name) or getattr(nn, name))(**arguments)


def to_torch(model: MLP) -> nn.Sequential:
    """``model`` as a float64 ``nn.Sequential`` with the same weights, in the same train/eval mode."""
    if not isinstance(model, MLP):
        raise TypeError(f"to_torch: expected an MLP, got {type(model).__name__}")
    module = nn.Sequential(*map(_make, layer_specs(model))).to(torch.float64)
    values = [p.data for p in model.parameters()]
    with torch.no_grad():
        start = 0
        for linear, prelu in _weight_blocks(module, "to_torch"):
            rows, columns = linear.out_features, linear.in_features + 1 + (prelu is not None)
            block = torch.tensor(values[start:start + rows * columns], dtype=torch.float64).reshape(rows, columns)
            linear.weight.copy_(block[:, :linear.in_features])
            linear.bias.copy_(block[:, linear.in_features])
            if prelu is not None:
                prelu.weight.copy_(block[:, -1])
            start += rows * columns
    return module.train(model.training)


def _one_line(layer: nn.Module) -> str:
    """A layer's repr on one line (a container's spans several), for error messages."""
    return " ".join(repr(layer).split())


def _weight_blocks(module: nn.Sequential, where: str) -> list[tuple[nn.Linear, nn.PReLU | None]]:
    """Each Linear (a Maxout's own) with the PReLU right after it, if any: the parameter blocks, in order."""
    layers = list(module)
    blocks: list[tuple[nn.Linear, nn.PReLU | None]] = []
    for i, layer in enumerate(layers):
        following = layers[i + 1] if i + 1 < len(layers) else None
        if isinstance(layer, Maxout):
            blocks.append((layer.linear, None))
        elif type(layer) is nn.Linear:
            if layer.bias is None:
                raise ValueError(f"{where}: layer {i} ({_one_line(layer)}) has no bias; a microgradnet neuron has one")
            blocks.append((layer, following if type(following) is nn.PReLU else None))
    return blocks


def _block_rows(linear: nn.Linear, prelu: nn.PReLU | None, grads: bool) -> torch.Tensor:
    """One block as a matrix whose rows are the neurons' parameters in microgradnet's order: w, b, slope."""
    def read(p: torch.Tensor) -> torch.Tensor:
        if not grads:
            return p.detach().to(torch.float64)
        if p.grad is None:
            raise ValueError("parameter_grads: a parameter has no .grad; call backward() first")
        return p.grad.to(torch.float64)

    columns = [read(linear.weight), read(linear.bias)[:, None]]
    if prelu is not None:
        slopes = read(prelu.weight)
        if slopes.numel() != linear.out_features:  # one slope for the layer: each neuron gets a copy
            if grads:
                raise ValueError("parameter_grads: a PReLU with one shared slope has no gradient per neuron")
            slopes = slopes.expand(linear.out_features)
        columns.append(slopes[:, None])
    return torch.cat(columns, dim=1)


def parameter_values(module: nn.Sequential) -> list[float]:
    """The module's parameters as floats in the order of ``MLP.parameters()`` (what ``from_torch`` loads)."""
    blocks = _weight_blocks(module, "parameter_values")
    return [x for block in blocks for x in _block_rows(*block, False).flatten().tolist()]


def parameter_grads(module: nn.Sequential) -> list[float]:
    """The ``.grad`` of the module's parameters as floats in the order of ``MLP.parameters()``."""
    blocks = _weight_blocks(module, "parameter_grads")
    return [x for block in blocks for x in _block_rows(*block, True).flatten().tolist()]


def _activation_name(layer: nn.Module, nout: int) -> str | None:
    """The microgradnet activation that torch ``layer`` is, if any (PReLU: one slope, or one per unit)."""
    if type(layer) is nn.Identity:
        return "linear"
    for activation, (name, arguments) in ACTIVATIONS.items():
        if type(layer) is not (OWN_CLASSES.get(name) or getattr(nn, name)):
            continue
        expected = arguments(nout)
        if isinstance(layer, nn.PReLU):
            return activation if layer.num_parameters in (1, nout) else None
        if isinstance(layer, nn.Softplus):  # torch returns x above threshold; from 20 (its default) on,
            del expected["threshold"]  # log(1 + e^x) is x to within e^-20 = 2e-9 there
            if layer.threshold < 20:
                return None
        return activation if all(getattr(layer, k) == v for k, v in expected.items()) else None
    return None


def from_torch(module: Any, seed: int | None = None) -> MLP:
    """The MLP that ``module`` (an ``nn.Sequential`` of Linear or Maxout layers, each with an optional
    activation and Dropout) computes, with its weights; a ValueError names the first layer that does not map."""
    if not isinstance(module, nn.Sequential):
        raise TypeError(f"from_torch: expected a torch.nn.Sequential (as to_torch makes), got {type(module).__name__}")
    layers = list(module)
    if not layers:
        raise ValueError("from_torch: the Sequential is empty")
    expected = "Linear or Maxout, optionally followed by one activation and Dropout"
    blocks: list[dict[str, Any]] = []  # one per microgradnet layer: sizes, activation, pieces, dropout p
    for i, layer in enumerate(layers):
        where = f"from_torch: layer {i} ({_one_line(layer)})"
        if type(layer) is nn.Linear or isinstance(layer, Maxout):
            nin = layer.linear.in_features if isinstance(layer, Maxout) else layer.in_features
            if blocks and nin != blocks[-1]["nout"]:
                raise ValueError(f"{where}: takes {nin} inputs, but the layer before gives {blocks[-1]['nout']}")
            if isinstance(layer, Maxout):
                blocks.append({"nin": nin, "nout": layer.nout, "activation": "maxout", "pieces": layer.pieces})
            else:
                blocks.append({"nin": nin, "nout": layer.out_features, "activation": None, "pieces": None})
            continue
        if not blocks:
            raise ValueError(f"{where}: the first layer must be a Linear or Maxout layer")
        block = blocks[-1]
        if type(layer) is nn.Dropout:
            if "dropout" in block:
                raise ValueError(f"{where}: a second Dropout after one layer; expected {expected}")
            block["dropout"] = layer.p
            continue
        name = _activation_name(layer, block["nout"])
        if name is None:
            raise ValueError(f"{where} has no microgradnet counterpart; expected {expected} "
                             f"({', '.join(['linear (Identity)', *ACTIVATIONS])})")
        if block["activation"] == "maxout":
            raise ValueError(f"{where}: a Maxout layer is its own activation; nothing may follow it but Dropout")
        if block["activation"] is not None or "dropout" in block:
            raise ValueError(f"{where}: expected {expected}, in that order")
        block["activation"] = name
    return _mlp(blocks, module, seed)


def _mlp(blocks: list[dict[str, Any]], module: nn.Sequential, seed: int | None) -> MLP:
    """The MLP of the layer ``blocks`` read off ``module``, once they fit one MLP architecture; its weights loaded."""
    for block in blocks:
        block["activation"] = block["activation"] or "linear"
    *hidden, last = blocks
    if last.get("dropout"):
        raise ValueError("from_torch: Dropout after the output layer; an MLP has dropout after hidden layers only")
    activations = {b["activation"] for b in hidden}
    if len(activations) > 1:
        raise ValueError(f"from_torch: an MLP has one hidden activation, got {sorted(activations)}")
    dropouts = {b.get("dropout", 0.0) for b in hidden}
    if len(dropouts) > 1:
        raise ValueError(f"from_torch: an MLP has one dropout p after every hidden layer, got {sorted(dropouts)}")
    pieces = {b["pieces"] for b in blocks if b["pieces"] is not None}
    if len(pieces) > 1:
        raise ValueError(f"from_torch: an MLP's maxout layers share one number of pieces, got {sorted(pieces)}")
    model = MLP(blocks[0]["nin"], [b["nout"] for b in blocks], activation=activations.pop() if activations else "relu",
                output_activation=last["activation"], dropout=dropouts.pop() if dropouts else 0.0, seed=seed,
                pieces=pieces.pop() if pieces else None)
    state = model.state_dict()
    state["parameters"] = parameter_values(module)
    model.load_state_dict(state)
    model.train(module.training)
    return model


def torch_optimizer(optimizer: Optimizer, module: nn.Module) -> torch.optim.Optimizer:
    """The torch optimizer that takes the same steps on ``module`` as a fresh ``optimizer`` (SGD or Adam).

    SGD's momentum: microgradnet's v <- -lr g + momentum v, p <- p + v is torch's b <- momentum b + g,
    p <- p - lr b with v = -lr b, the same steps while lr stays constant (a changed lr rescales torch's
    whole b at once, but only the new gradients in v).
    """
    where = f"torch_optimizer({type(optimizer).__name__})"
    if isinstance(optimizer, SGD):
        if any(optimizer.velocity):
            raise ValueError(f"{where}: the optimizer has taken steps; its velocities have no torch counterpart here")
        return torch.optim.SGD(module.parameters(), lr=optimizer.lr, momentum=optimizer.momentum,
                               weight_decay=optimizer.weight_decay)
    if isinstance(optimizer, Adam):
        if optimizer.t:
            raise ValueError(f"{where}: the optimizer has taken {optimizer.t} steps; map a fresh one")
        return torch.optim.Adam(module.parameters(), lr=optimizer.lr, betas=optimizer.betas, eps=optimizer.eps)
    raise TypeError(f"torch_optimizer: expected microgradnet's SGD or Adam, got {type(optimizer).__name__}")


def _hinge(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    # 1/N Σ max(0, 1 - t·s), written out: torch's hinge_embedding_loss is another loss
    return torch.relu(1.0 - targets * scores).mean()


# microgradnet loss name -> the same loss in torch, on (N, outputs) scores and targets as losses.py takes them
TORCH_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "hinge": _hinge,
    "mse": nn.functional.mse_loss,
    "mae": nn.functional.l1_loss,
    "bce": nn.functional.binary_cross_entropy_with_logits,
    "binary_cross_entropy": nn.functional.binary_cross_entropy_with_logits,
    "cross_entropy": nn.functional.cross_entropy,
}


def torch_loss(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The torch function of microgradnet loss ``name``: (scores, targets) -> mean loss, with the same gradient."""
    if name not in TORCH_LOSSES:
        raise ValueError(f"torch_loss: unknown loss {name!r}; expected one of {', '.join(TORCH_LOSSES)}")
    return TORCH_LOSSES[name]


# --- the standalone script of `microgradnet export --to torch` ---------------------------

CHECK_INPUTS = 8  # inputs the exported script recomputes and compares
RTOL = 1e-12


def check_inputs(nin: int, count: int = CHECK_INPUTS, seed: int = 0) -> list[list[float]]:
    """Seeded standard-normal inputs on which an exported script checks itself."""
    rng = random.Random(seed)
    return [[rng.gauss(0.0, 1.0) for _ in range(nin)] for _ in range(count)]


def export_script(model: MLP, source: str = "a microgradnet model") -> str:
    """A standalone PyTorch script that rebuilds ``model`` with its weights and, run, checks its outputs
    on ``check_inputs`` against microgradnet's (float64, relative error <= 1e-12); exit 1 if they differ."""
    from .train import scores

    if not isinstance(model, MLP):
        raise TypeError(f"export: expected an MLP, got {type(model).__name__}")
    specs = layer_specs(model)
    module = to_torch(model)
    inputs = check_inputs(model.architecture()["nin"])
    outputs = [o if isinstance(o, list) else [o] for o in scores(model, inputs)]
    own = [cls for name, cls in OWN_CLASSES.items() if any(spec[0] == name for spec in specs)]

    def call(spec: Spec) -> str:
        name, arguments = spec
        prefix = "" if name in OWN_CLASSES else "nn."
        return f"{prefix}{name}(" + ", ".join(f"{k}={v!r}" for k, v in arguments.items()) + ")"

    state = {key: value.tolist() for key, value in module.state_dict().items()}
    lines = [
        f'"""{model!r}, exported from {source} by microgradnet {__version__}.',
        "",
        "Rebuilds the network in PyTorch (float64) with its weights. Run it: it recomputes the outputs",
        f"microgradnet gave on {len(inputs)} inputs and exits 1 if they differ by more than {RTOL:g} of the largest.",
        '"""',
        "import sys",
        "",
        "import torch",
        "from torch import nn",
        "",
        *[line for cls in own for line in ["", inspect.getsource(cls).rstrip(), ""]],
        "",
        "def build() -> nn.Sequential:",
        '    """The network with its trained weights, in eval mode (dropout off)."""',
        "    model = nn.Sequential(",
        *[f"        {call(spec)}," for spec in specs],
        "    ).to(torch.float64)",
        "    model.load_state_dict({key: torch.tensor(value, dtype=torch.float64)",
        "                           for key, value in PARAMETERS.items()})",
        "    return model.eval()",
        "",
        "",
        f"PARAMETERS = {_literal(state)}",
        f"INPUTS = {_literal(inputs)}",
        f"OUTPUTS = {_literal(outputs)}  # microgradnet's outputs for INPUTS",
        "",
        "",
        "def check(model: nn.Module) -> float:",
        '    """The largest difference between the outputs and microgradnet\'s, relative to the largest output."""',
        "    with torch.no_grad():",
        "        got = model(torch.tensor(INPUTS, dtype=torch.float64))",
        "    expected = torch.tensor(OUTPUTS, dtype=torch.float64)",
        "    return ((got - expected).abs().max() / expected.abs().max().clamp(min=1e-300)).item()",
        "",
        "",
        'if __name__ == "__main__":',
        "    model = build()",
        "    error = check(model)",
        f"    if not error <= {RTOL!r}:",
        '        sys.exit(f"check failed: the outputs differ from microgradnet\'s by {error:.3g} "',
        f'                 f"(relative), more than {RTOL:g}")',
        f'    print(f"{{model}}\\nok: {len(inputs)} outputs equal microgradnet\'s to {{error:.3g}} (relative)")',
    ]
    return "\n".join(lines) + "\n"


def _literal(value: Any, indent: str = "") -> str:
    """``value`` (dicts, lists, floats) as Python source, floats by repr so they read back exactly."""
    if isinstance(value, dict):
        items = [f"{indent} {key!r}: {_literal(v, indent + ' ')}," for key, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and value and isinstance(value[0], list):
        return "[\n" + "\n".join(f"{indent} {_literal(v, indent + ' ')}," for v in value) + f"\n{indent}]"
    if isinstance(value, Sequence):
        return "[" + ", ".join(repr(float(v)) for v in value) + "]"
    return repr(float(value))
