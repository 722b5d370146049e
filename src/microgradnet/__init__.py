"""microgradnet: a scalar reverse-mode autodiff engine and neural networks, for learning backprop."""
from __future__ import annotations

from .engine import Value, backward_walk, detect_anomaly, dot, max, no_grad, sum, topological_order, zero_grad
from .functional import GradcheckError, grad, gradcheck, numerical_grad
from .nn import MLP, Dropout, Layer, Maxout, Module, Neuron, Perceptron
from .trace import trace_backward, trace_forward
from .viz import draw_dot, forward_frames, show_steps, step_frames

__version__ = "0.1.0"

__all__ = [
    "Dropout",
    "GradcheckError",
    "Layer",
    "MLP",
    "Maxout",
    "Module",
    "Neuron",
    "Perceptron",
    "Value",
    "backward_walk",
    "detect_anomaly",
    "dot",
    "draw_dot",
    "forward_frames",
    "grad",
    "gradcheck",
    "max",
    "no_grad",
    "numerical_grad",
    "show_steps",
    "step_frames",
    "sum",
    "topological_order",
    "trace_backward",
    "trace_forward",
    "zero_grad",
]
