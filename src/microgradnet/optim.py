"""Optimizers: SGD with the lecture's momentum, and Adam. Each reads ``p.grad`` and updates ``p.data``."""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .engine import Value, as_float


def _check_range(name: str, value: Any, low: float, high: float, high_open: bool) -> float:
    """``value`` as a float in [low, high] (or [low, high)), else a ValueError saying expected vs got."""
    x = as_float(value, name)
    if not (low <= x < high if high_open else low <= x <= high):
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name}: expected a number in [{low:g}, {high:g}{bracket}, got {value!r}")
    return x


class Optimizer:
    """What every optimizer shares: the parameter list, the learning rate, ``zero_grad``; each defines
    ``step``, ``state_dict`` and ``load_state_dict``."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        kind = type(self).__name__
        if hasattr(params, "parameters"):
            raise TypeError(
                f"{kind}: expected a list of parameters, got the model ({type(params).__name__}); "
                "pass model.parameters()"
            )
        params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"{kind}: parameter {i} must be a Value, got {type(p).__name__}")
        # dict.fromkeys: a parameter listed twice (shared weights) is still updated once per step
        self.params: list[Value] = list(dict.fromkeys(params))
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate η; settable between steps (learning-rate schedules)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        lr = as_float(value, f"{type(self).__name__} lr")
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"{type(self).__name__}: lr must be a finite number > 0, got {value!r}")
        self._lr = lr

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 before the next backward pass."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """One update of every parameter from its current ``.grad`` (each optimizer defines its rule)."""
        raise NotImplementedError(f"{type(self).__name__} defines no step()")

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and buffers as plain JSON-ready data, with the optimizer's ``type``."""
        raise NotImplementedError(f"{type(self).__name__} defines no state_dict()")

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (for the same parameters); a bad state changes nothing."""
        raise NotImplementedError(f"{type(self).__name__} defines no load_state_dict()")

    def _check_state(self, state: dict[str, Any], keys: tuple[str, ...], buffers: tuple[str, ...]) -> None:
        """Refuse, before anything changes, a state of another optimizer, lacking keys or of another parameter count."""
        kind = type(self).__name__
        if not isinstance(state, dict) or state.get("type") != kind:
            got = state.get("type") if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"{kind}.load_state_dict: expected a {kind} state dict, got {got!r}")
        missing = [key for key in keys + buffers if key not in state]
        if missing:
            raise ValueError(f"{kind}.load_state_dict: state dict lacks {', '.join(missing)}")
        for key in buffers:
            got = state.get(key)
            if not isinstance(got, list) or len(got) != len(self.params):
                size = len(got) if isinstance(got, list) else got
                raise ValueError(
                    f"{kind}.load_state_dict: '{key}' must be a list of {len(self.params)} numbers, got {size!r}"
                )


class SGD(Optimizer):
    """(Minibatch) stochastic gradient descent with momentum, in the form of lecture 002.

    v <- -lr * g + momentum * v;  p <- p + v  (plain SGD p <- p - lr * g when momentum = 0).
    ``weight_decay`` adds weight_decay * p to g: the gradient of (weight_decay / 2) * Σ p^2,
    i.e. the same steps as adding ``(weight_decay / 2) * l2_penalty(params)`` to the loss.
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _check_range("SGD momentum", momentum, 0.0, 1.0, high_open=True)
        self.weight_decay = _check_range("SGD weight_decay", weight_decay, 0.0, math.inf, high_open=True)
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        lr, momentum, decay, velocity = self.lr, self.momentum, self.weight_decay, self.velocity
        for i, p in enumerate(self.params):
            v = -lr * (p.grad + decay * p.data) + momentum * velocity[i]
            velocity[i] = v
            p.data += v

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and velocities as plain JSON-ready data."""
        return {"type": "SGD", "lr": self.lr, "momentum": self.momentum, "weight_decay": self.weight_decay,
                "velocity": list(self.velocity)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore hyperparameters and velocities saved by ``state_dict`` (for the same parameters)."""
        self._check_state(state, ("lr", "momentum", "weight_decay"), ("velocity",))
        lr = state["lr"]
        momentum = _check_range("SGD momentum", state["momentum"], 0.0, 1.0, high_open=True)
        decay = _check_range("SGD weight_decay", state["weight_decay"], 0.0, math.inf, high_open=True)
        velocity = [as_float(v, "SGD velocity") for v in state["velocity"]]
        self.lr = lr
        self.momentum, self.weight_decay, self.velocity = momentum, decay, velocity


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): steps of lr * m_hat / (sqrt(v_hat) + eps) with bias-corrected moments.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  m_hat = m / (1 - b1^t);  v_hat = v / (1 - b2^t).
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        self.betas = self._check_betas(betas)
        self.eps = self._check_eps(eps)
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    @staticmethod
    def _check_betas(betas: Any) -> tuple[float, float]:
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (b1, b2), got {betas!r}")
        return (_check_range("Adam betas[0]", betas[0], 0.0, 1.0, high_open=True),
                _check_range("Adam betas[1]", betas[1], 0.0, 1.0, high_open=True))

    @staticmethod
    def _check_eps(eps: Any) -> float:
        """eps must be > 0: a parameter whose gradient has always been 0 steps by 0 / (0 + eps)."""
        eps = _check_range("Adam eps", eps, 0.0, math.inf, high_open=True)
        if eps == 0.0:
            raise ValueError("Adam eps: expected a number > 0 (a zero gradient would step by 0 / 0), got 0.0")
        return eps

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        b1, b2 = self.betas
        self.t += 1
        correction1, correction2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        for i, p in enumerate(self.params):
            g = p.grad
            self.m[i] = m = b1 * self.m[i] + (1.0 - b1) * g
            self.v[i] = v = b2 * self.v[i] + (1.0 - b2) * g * g
            p.data -= self.lr * (m / correction1) / (math.sqrt(v / correction2) + self.eps)

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters, step count and moments as plain JSON-ready data."""
        return {"type": "Adam", "lr": self.lr, "betas": list(self.betas), "eps": self.eps, "t": self.t,
                "m": list(self.m), "v": list(self.v)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore hyperparameters, step count and moments saved by ``state_dict`` (for the same parameters)."""
        self._check_state(state, ("lr", "betas", "eps", "t"), ("m", "v"))
        betas = self._check_betas(state["betas"])
        eps = self._check_eps(state["eps"])
        t = state["t"]
        if not isinstance(t, int) or isinstance(t, bool) or t < 0:
            raise ValueError(f"Adam.load_state_dict: 't' must be an int >= 0, got {t!r}")
        m = [as_float(x, "Adam m") for x in state["m"]]
        v = [as_float(x, "Adam v") for x in state["v"]]
        if any(x < 0 for x in v):  # a mean of squares: a negative one would fail in sqrt halfway through step()
            raise ValueError(f"Adam.load_state_dict: 'v' holds running means of g^2, which are >= 0, got {min(v)!r}")
        self.lr = state["lr"]
        self.betas, self.eps, self.t, self.m, self.v = betas, eps, t, m, v
