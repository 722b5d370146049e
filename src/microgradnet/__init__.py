"""microgradnet: a scalar reverse-mode autodiff engine and neural networks, for learning backprop."""
from __future__ import annotations

from .engine import Value, backward_walk, detect_anomaly, dot, max, no_grad, sum, topological_order, zero_grad
from .functional import GradcheckError, grad, gradcheck, numerical_grad

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Value",
    "backward_walk",
    "detect_anomaly",
    "dot",
    "grad",
    "gradcheck",
    "max",
    "no_grad",
    "numerical_grad",
    "sum",
    "topological_order",
    "zero_grad",
]
