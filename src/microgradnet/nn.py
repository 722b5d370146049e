"""Neural networks made of Values: Neuron, Layer, Maxout, Dropout, MLP, and Rosenblatt's Perceptron.

A neuron's weighted sum ``b + w.x`` is one ``dot`` node and its activation one more, so the
graph of a small network stays small enough to draw and fast to backpropagate.
"""
from __future__ import annotations

import copy
import html
import math
import random
from collections.abc import Iterator, Sequence
from numbers import Real
from typing import Any, Callable, ClassVar, Union

from . import serialize
from .engine import Value, as_float, as_int, dot, no_grad
from .engine import max as max_value
from .ops import FUNCTIONS
from .serialize import PathLike

Seed = Union[int, random.Random, None]
Inputs = Sequence[Union[Value, float]]

# activation name -> Value -> Value ("linear" adds no node; "prelu" needs the neuron's slope), from ops.FUNCTIONS
ACTIVATION_FUNCTIONS: dict[str, Callable[[Value], Value] | None] = {
    "linear": None,
    **{name: getattr(Value, name) for name, function in FUNCTIONS.items() if function.activation},
}
ACTIVATIONS = (*ACTIVATION_FUNCTIONS, "prelu")
MLP_ACTIVATIONS = (*ACTIVATIONS, "maxout")

# rectifiers pass about half of their input's second moment, so they get He init; the rest get Xavier
HE_ACTIVATIONS = frozenset({"relu", "leaky_relu", "prelu", "elu", "softplus", "maxout"})


def default_init_std(activation: str, nin: int, nout: int = 1) -> float:
    """Std of the default Gaussian weights: He sqrt(2/nin) for the ReLU family (relu, leaky_relu,
    prelu, elu, softplus, maxout), Xavier/Glorot sqrt(2/(nin+nout)) for the rest."""
    _check_activation(activation, "default_init_std", MLP_ACTIVATIONS)
    if activation in HE_ACTIVATIONS:
        return math.sqrt(2.0 / nin)
    return math.sqrt(2.0 / (nin + nout))


def _check_activation(name: Any, where: str, names: tuple[str, ...] = ACTIVATIONS) -> str:
    if not isinstance(name, str):
        raise TypeError(f"{where}: activation must be a name (str), got {type(name).__name__} {name!r}")
    if name not in names:
        raise ValueError(f"{where}: unknown activation {name!r}; valid names: {', '.join(names)}")
    return name


def _check_probability(p: Any, where: str) -> float:
    p = as_float(p, where)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"{where}: a dropout probability must be in [0, 1), got {p!r}")
    return p


def _rng(seed: Seed, where: str) -> random.Random:
    """A generator of our own (never the global one): ``seed`` itself if it is one, else Random(seed)."""
    if isinstance(seed, random.Random):
        return seed
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise TypeError(f"{where}: seed must be an int, None or a random.Random, got {type(seed).__name__} {seed!r}")
    return random.Random(seed)


def _as_inputs(x: Any, nin: int | None, where: str) -> list[Value]:
    """``x`` as a list of Values (numbers become leaves), after checking its length and element types."""
    if isinstance(x, Value):
        raise TypeError(f"{where}: expected a sequence of inputs, got a single Value (wrap it in a list: [x])")
    if isinstance(x, (str, bytes, dict)) or not hasattr(x, "__len__") or not hasattr(x, "__iter__"):
        raise TypeError(f"{where}: expected a sequence of numbers or Values, got {type(x).__name__}")
    if nin is not None and len(x) != nin:
        raise ValueError(f"{where}: expected {nin} inputs, got {len(x)}")
    inputs = []
    for i, xi in enumerate(x):
        if isinstance(xi, Value):
            inputs.append(xi)
        elif isinstance(xi, Real):
            inputs.append(Value(float(xi), f"x{i}"))
        else:
            raise TypeError(f"{where}: input {i} must be a number or a Value, got {type(xi).__name__} {xi!r}")
    return inputs


class Module:
    """Base of every network part: parameters, train/eval mode, and saving/loading as JSON.

    A subclass lists its constructor arguments in ``CONFIG`` (they are its architecture),
    its sub-modules in ``children()``, and computes its outputs in ``_forward(inputs)``.
    """

    CONFIG: ClassVar[tuple[str, ...]] = ()
    nin: int | None = None

    def __init__(self, seed: Seed = None) -> None:
        self.training = True
        self.seed = seed if isinstance(seed, int) else None

    def __call__(self, x: Inputs) -> Value | list[Value]:
        """The module's outputs for inputs ``x``: one Value if there is one output, else a list."""
        outputs = self._forward(_as_inputs(x, self.nin, type(self).__name__))
        return outputs[0] if len(outputs) == 1 else outputs

    def _forward(self, inputs: list[Value]) -> list[Value]:
        raise NotImplementedError(f"{type(self).__name__} does not define _forward")

    def children(self) -> list[Module]:
        """The modules directly inside this one, in order."""
        return []

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, parents before children."""
        stack: list[Module] = [self]
        while stack:
            module = stack.pop()
            yield module
            stack.extend(reversed(module.children()))

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a fixed order (the children's, in order)."""
        return [p for child in self.children() for p in child.parameters()]

    def zero_grad(self) -> None:
        """Reset every parameter's ``.grad`` to 0 (gradients accumulate across backward passes)."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active) on this module and all inside it; returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {type(mode).__name__} {mode!r}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode (dropout is the identity) on this module and all inside it; returns self."""
        return self.train(False)

    def architecture(self) -> dict[str, Any]:
        """What it takes to rebuild this model: its type name and constructor arguments (JSON-able)."""
        return copy.deepcopy({"type": type(self).__name__, **{name: getattr(self, name) for name in self.CONFIG}})

    def state_dict(self) -> dict[str, Any]:
        """A JSON-able snapshot: format name and version, architecture, seed, parameters as floats."""
        return serialize.make_state(self.architecture(), [p.data for p in self.parameters()], self.seed)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy parameter values from ``state``; everything is checked first, so on any error
        (TypeError/ValueError) every parameter is left exactly as it was."""
        self._load(state, "load_state_dict")

    def _load(self, state: Any, source: str) -> None:
        params = self.parameters()
        values = serialize.check_state(state, self.architecture(), len(params), source)
        for p, v in zip(params, values):
            p.data = v

    def save(self, path: PathLike) -> None:
        """Write the state as JSON (floats exact) atomically: a failed save leaves an old file intact."""
        serialize.write_json(path, self.state_dict())

    def load(self, path: PathLike) -> None:
        """Read parameters saved by ``save``; a missing, malformed or mismatched file raises and
        leaves the model unchanged."""
        self._load(serialize.read_json(path), f"load {str(path)!r}")

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> Module:
        """A new model built from the architecture in ``state``, with its parameters and seed."""
        return cls._build(state, "from_state_dict")

    @classmethod
    def from_file(cls, path: PathLike) -> Module:
        """A new model rebuilt from a file written by ``save`` (the architecture is in the file)."""
        return cls._build(serialize.read_json(path), f"from_file {str(path)!r}")

    @classmethod
    def _build(cls, state: Any, source: str) -> Module:
        architecture = serialize.check_header(state, source)
        kind = architecture["type"]
        model_class = MODEL_TYPES.get(kind)
        if model_class is None:
            raise ValueError(f"{source}: unknown model type {kind!r}; known: {', '.join(MODEL_TYPES)}")
        if not issubclass(model_class, cls):
            raise ValueError(f"{source}: the file holds a {kind}, not a {cls.__name__}")
        config = {k: v for k, v in architecture.items() if k != "type"}
        if set(config) != set(model_class.CONFIG):
            raise ValueError(
                f"{source}: a {kind} architecture has fields {list(model_class.CONFIG)}, got {list(config)}"
            )
        try:
            model = model_class(**config, seed=state["seed"])
        except (TypeError, ValueError) as e:
            raise type(e)(f"{source}: {e}") from None
        model._load(state, source)
        return model

    def _describe(self) -> tuple[str, str, str]:
        """(kind, inputs -> outputs, activation) for the summary table."""
        return type(self).__name__, "", ""

    def _summary_rows(self) -> list[Module]:
        return [self]

    def _repr_html_(self) -> str:
        """A small table for notebooks: each layer's type, sizes, activation and parameter count."""
        rows = []
        for i, module in enumerate(self._summary_rows()):
            cells = (str(i), *module._describe(), str(len(module.parameters())))
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        head = "".join(f"<th>{h}</th>" for h in ("#", "layer", "shape", "activation", "parameters"))
        total = f"<tr><td></td><td colspan='3'><b>total</b></td><td><b>{len(self.parameters())}</b></td></tr>"
        return (
            f"<table><caption>{html.escape(repr(self))}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}{total}</tbody></table>"
        )


class Neuron(Module):
    """One unit: activation(b + w.x), the weighted sum as a single ``dot`` node.

    Weights are Gaussian with std ``default_init_std(activation, nin)`` (He sqrt(2/nin) for the
    ReLU family, Xavier/Glorot otherwise) unless ``init_std`` is given; the bias starts at 0 and a
    PReLU slope (a parameter, learned like a weight) at 0.25.
    """

    CONFIG = ("nin", "activation")

    def __init__(self, nin: int, activation: str = "relu", seed: Seed = None, *, init_std: float | None = None) -> None:
        super().__init__(seed)
        self.nin = as_int(nin, "Neuron: nin", 1)
        self.activation = _check_activation(activation, "Neuron")
        std = default_init_std(activation, nin) if init_std is None else as_float(init_std, "Neuron init_std")
        rng = _rng(seed, "Neuron")
        self.w = [Value(rng.gauss(0.0, std), f"w{i}") for i in range(nin)]
        self.b = Value(0.0, "b")
        self.slope = Value(0.25, "a") if activation == "prelu" else None
        self._function = ACTIVATION_FUNCTIONS.get(activation)

    def __call__(self, x: Inputs) -> Value:
        """The neuron's output for inputs ``x``."""
        return self._output(_as_inputs(x, self.nin, "Neuron"))

    def _output(self, inputs: list[Value]) -> Value:
        z = dot(self.w, inputs, self.b)
        if self.slope is not None:
            return z.prelu(self.slope)
        return z if self._function is None else self._function(z)

    def _forward(self, inputs: list[Value]) -> list[Value]:
        return [self._output(inputs)]

    def parameters(self) -> list[Value]:
        """The weights in input order, then the bias, then the PReLU slope if any."""
        return [*self.w, self.b] if self.slope is None else [*self.w, self.b, self.slope]

    def _describe(self) -> tuple[str, str, str]:
        return "Neuron", f"{self.nin} -> 1", self.activation

    def __repr__(self) -> str:
        return f"Neuron({self.nin} -> 1 {self.activation}, {len(self.parameters())} parameters)"


class Layer(Module):
    """``nout`` neurons reading the same inputs; weights default to He or Xavier/Glorot
    (std sqrt(2/(nin+nout))) as ``default_init_std`` says for the activation; biases 0."""

    CONFIG = ("nin", "nout", "activation")

    def __init__(
        self, nin: int, nout: int, activation: str = "relu", seed: Seed = None, *, init_std: float | None = None
    ) -> None:
        super().__init__(seed)
        self.nin = as_int(nin, "Layer: nin", 1)
        self.nout = as_int(nout, "Layer: nout", 1)
        self.activation = _check_activation(activation, "Layer")
        std = default_init_std(activation, nin, nout) if init_std is None else init_std
        rng = _rng(seed, "Layer")
        self.neurons = [Neuron(nin, activation, rng, init_std=std) for _ in range(nout)]

    def _forward(self, inputs: list[Value]) -> list[Value]:
        return [neuron._output(inputs) for neuron in self.neurons]

    def children(self) -> list[Module]:
        return list(self.neurons)

    def _describe(self) -> tuple[str, str, str]:
        return "Layer", f"{self.nin} -> {self.nout}", self.activation

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {self.nout} {self.activation}, {len(self.parameters())} parameters)"


class Maxout(Module):
    """``nout`` maxout units: unit j = max over ``pieces`` linear pieces b_jk + w_jk.x, one ``max`` node.

    A maxout unit learns its own convex piecewise-linear activation (max(z, 0) is a ReLU), so
    its pieces start He-initialised, std sqrt(2/nin); biases 0.
    """

    CONFIG = ("nin", "nout", "pieces")

    def __init__(self, nin: int, nout: int, pieces: int = 2, seed: Seed = None) -> None:
        super().__init__(seed)
        self.nin = as_int(nin, "Maxout: nin", 1)
        self.nout = as_int(nout, "Maxout: nout", 1)
        self.pieces = as_int(pieces, "Maxout: pieces", 1)
        rng = _rng(seed, "Maxout")
        std = default_init_std("maxout", nin)
        self.units = [Layer(nin, pieces, "linear", rng, init_std=std) for _ in range(nout)]

    def _forward(self, inputs: list[Value]) -> list[Value]:
        return [max_value(unit._forward(inputs)) for unit in self.units]

    def children(self) -> list[Module]:
        return list(self.units)

    def _describe(self) -> tuple[str, str, str]:
        return "Maxout", f"{self.nin} -> {self.nout}", f"max of {self.pieces}"

    def __repr__(self) -> str:
        return f"Maxout({self.nin} -> {self.nout}, {self.pieces} pieces, {len(self.parameters())} parameters)"


class Dropout(Module):
    """Inverted dropout: in training each input is zeroed with probability p and survivors are
    scaled by 1/(1-p); at ``eval()`` it is the identity.

    The lecture instead keeps training activations unscaled and multiplies by (1-p) at test
    time; both make the test-time activation equal the training-time expectation (inverted
    dropout divides that same (1-p) out during training, so inference needs no change).
    The masks come from the module's own generator, so a seed makes them reproducible.
    """

    CONFIG = ("p",)

    def __init__(self, p: float = 0.5, seed: Seed = None) -> None:
        super().__init__(seed)
        self.p = _check_probability(p, "Dropout p")
        self.rng = _rng(seed, "Dropout")

    def _forward(self, inputs: list[Value]) -> list[Value]:
        if not self.training or self.p == 0.0:
            return inputs
        scale = 1.0 / (1.0 - self.p)
        return [x * (0.0 if self.rng.random() < self.p else scale) for x in inputs]

    def _describe(self) -> tuple[str, str, str]:
        return "Dropout", "", f"p = {self.p:g}"

    def __repr__(self) -> str:
        return f"Dropout(p={self.p:g})"


class MLP(Module):
    """A multi-layer perceptron: ``Layer``s of sizes ``nouts`` (hidden ones use ``activation``,
    the last ``output_activation``), with ``Dropout(dropout)`` after each hidden layer.

    ``activation="maxout"`` makes the hidden layers ``Maxout`` layers of ``pieces`` pieces (default 2).
    Initialisation follows ``default_init_std``: He for the ReLU family, Xavier/Glorot otherwise.
    """

    CONFIG = ("nin", "nouts", "activation", "output_activation", "dropout", "pieces")

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        dropout: float = 0.0,
        seed: Seed = None,
        *,
        pieces: int | None = None,
    ) -> None:
        super().__init__(seed)
        self.nin = as_int(nin, "MLP: nin", 1)
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise TypeError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        self.nouts = [as_int(n, f"MLP: nouts[{i}]", 1) for i, n in enumerate(nouts)]
        self.activation = _check_activation(activation, "MLP activation", MLP_ACTIVATIONS)
        self.output_activation = _check_activation(output_activation, "MLP output_activation", MLP_ACTIVATIONS)
        self.dropout = _check_probability(dropout, "MLP dropout")
        uses_maxout = "maxout" in (activation, output_activation)
        if pieces is not None and not uses_maxout:
            raise ValueError("MLP: pieces applies only to maxout layers (activation='maxout')")
        n_pieces = 2 if pieces is None else as_int(pieces, "MLP: pieces", 1)
        self.pieces = n_pieces if uses_maxout else None
        rng = _rng(seed, "MLP")
        sizes = [nin, *self.nouts]
        self.layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            last = i == len(self.nouts) - 1
            name = output_activation if last else activation
            if name == "maxout":
                self.layers.append(Maxout(n_in, n_out, n_pieces, rng))
            else:
                self.layers.append(Layer(n_in, n_out, name, rng))
            if not last and self.dropout:
                self.layers.append(Dropout(self.dropout, rng.getrandbits(64)))

    def _forward(self, inputs: list[Value]) -> list[Value]:
        for layer in self.layers:
            inputs = layer._forward(inputs)
        return inputs

    def children(self) -> list[Module]:
        return list(self.layers)

    def _summary_rows(self) -> list[Module]:
        return list(self.layers)

    def to_torch(self) -> Any:
        """This network as a float64 ``torch.nn.Sequential`` with the same weights (needs ``microgradnet[torch]``):
        Linear layers, their activations, PReLU, maxout as Linear + max over pieces, dropout."""
        from .torch_bridge import to_torch

        return to_torch(self)

    @classmethod
    def from_torch(cls, module: Any, seed: int | None = None) -> MLP:
        """The MLP a ``torch.nn.Sequential`` of the layers ``to_torch`` makes computes, with its weights;
        a ValueError names the first layer that does not map. ``seed`` seeds the dropout masks."""
        from .torch_bridge import from_torch

        return from_torch(module, seed)

    def __repr__(self) -> str:
        parts = []
        for layer in self.layers:
            if isinstance(layer, Dropout):
                parts.append(f"dropout {layer.p:g}")
            elif isinstance(layer, Maxout):
                parts.append(f"{layer.nout} maxout({layer.pieces})")
            elif isinstance(layer, Layer):
                parts.append(f"{layer.nout} {layer.activation}")
        return f"MLP({self.nin} -> [{', '.join(parts)}], {len(self.parameters())} parameters)"


class Perceptron(Module):
    """Rosenblatt's perceptron (lectures 000, 004): z = b + w.x, prediction sign(z) in {-1, +1}.

    Learning: on a mistake, w <- w + lr*t*x and b <- b + lr*t. This is SGD on
    E_k = max(-z*t, 0) (see ``loss``). Weights start at 0; ``seed`` orders the samples when
    ``fit(shuffle=True)``.
    """

    CONFIG = ("nin",)

    def __init__(self, nin: int, seed: Seed = None) -> None:
        super().__init__(seed)
        self.nin = as_int(nin, "Perceptron: nin", 1)
        self.w = [Value(0.0, f"w{i}") for i in range(nin)]
        self.b = Value(0.0, "b")
        self.rng = _rng(seed, "Perceptron")

    def __call__(self, x: Inputs) -> Value:
        """z = b + w.x for inputs ``x``."""
        return dot(self.w, _as_inputs(x, self.nin, "Perceptron"), self.b)

    def _forward(self, inputs: list[Value]) -> list[Value]:
        return [dot(self.w, inputs, self.b)]

    def parameters(self) -> list[Value]:
        """The weights in input order, then the bias."""
        return [*self.w, self.b]

    def predict(self, x: Inputs) -> int:
        """sign(z): +1 if z >= 0 else -1."""
        with no_grad():
            return 1 if self(x).data >= 0 else -1

    def update(self, x: Inputs, t: float, lr: float = 1.0) -> bool:
        """One step of Rosenblatt's rule on sample (x, t); returns whether the weights changed.

        A point on the boundary (z = 0) counts as a mistake, so learning can start from w = 0.
        """
        inputs = _as_inputs(x, self.nin, "Perceptron.update")
        t = _check_target(t, "Perceptron.update")
        step = _check_learning_rate(lr, "Perceptron.update") * t
        with no_grad():
            z = self._forward(inputs)[0].data
        if t * z > 0:
            return False
        for w, xi in zip(self.w, inputs):
            w.data += step * xi.data
        self.b.data += step
        return True

    def loss(self, x: Inputs, t: float) -> Value:
        """E_k = max(-z*t, 0), whose SGD step with learning rate lr is exactly ``update(x, t, lr)``.

        At z = 0 the engine's ``max`` sends the gradient to its first input, -z*t, so even the
        boundary case matches the rule.
        """
        z = self(x)
        return max_value([z * -_check_target(t, "Perceptron.loss"), 0.0])

    def fit(
        self, X: Sequence[Inputs], t: Sequence[float], epochs: int = 100, lr: float = 1.0, shuffle: bool = False
    ) -> list[int]:
        """Sweep the data with Rosenblatt's rule until an epoch makes no mistake (or ``epochs`` run out).

        Returns the number of updates in each epoch; a final 0 means every sample is classified correctly.
        """
        if len(X) != len(t):
            raise ValueError(f"Perceptron.fit: X and t must have the same length, got {len(X)} and {len(t)}")
        epochs = as_int(epochs, "Perceptron.fit: epochs", 1)
        lr = _check_learning_rate(lr, "Perceptron.fit")
        rows = [_as_inputs(x, self.nin, f"Perceptron.fit X[{k}]") for k, x in enumerate(X)]
        targets = [_check_target(tk, f"Perceptron.fit t[{k}]") for k, tk in enumerate(t)]
        history = []
        order = list(range(len(rows)))
        for _ in range(epochs):
            if shuffle:
                self.rng.shuffle(order)
            history.append(sum(self.update(rows[k], targets[k], lr) for k in order))
            if history[-1] == 0:
                break
        return history

    def _describe(self) -> tuple[str, str, str]:
        return "Perceptron", f"{self.nin} -> 1", "sign"

    def __repr__(self) -> str:
        return f"Perceptron({self.nin} inputs, {len(self.parameters())} parameters)"


def _check_learning_rate(lr: Any, where: str) -> float:
    lr = as_float(lr, f"{where} lr")
    if not lr > 0:
        raise ValueError(f"{where}: lr must be > 0, got {lr!r}")
    return lr


def _check_target(t: Any, where: str) -> float:
    if not isinstance(t, Real) or isinstance(t, bool):
        raise TypeError(f"{where}: target must be -1 or +1, got {type(t).__name__} {t!r}")
    if t not in (1, -1):
        raise ValueError(f"{where}: target must be -1 or +1, got {t!r} (map 0/1 labels with 2*y - 1)")
    return float(t)


MODEL_TYPES: dict[str, type[Module]] = {m.__name__: m for m in (MLP, Layer, Neuron, Maxout, Dropout, Perceptron)}
