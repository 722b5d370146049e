"""microgradnet: a scalar reverse-mode autodiff engine and neural networks, for learning backprop."""
from __future__ import annotations

from . import analysis
from .analysis import count_edges, count_paths, diamond, enumerate_paths, path_counts, path_sum_grad
from .data import make_blobs, make_circles, make_moons, make_sine, make_spirals, make_xor, train_test_split
from .engine import Value, backward_walk, detect_anomaly, dot, enable_grad, no_grad, topological_order, zero_grad
from .engine import max as max  # the "as" marks a re-export: microgradnet.max, kept out of __all__ below
from .engine import sum as sum
from .exercises import random_graph
from .feedback import diagnose, mistake_table, mistakes
from .functional import GradcheckError, grad, gradcheck, numerical_grad
from .grading import grade
from .losses import binary_cross_entropy, cross_entropy, hinge, l1_penalty, l2_penalty, mae, mse
from .nn import MLP, Dropout, Layer, Maxout, Module, Neuron, Perceptron
from .optim import SGD, Adam, Optimizer
from .player import save_html
from .plot import LiveView, animate, plot_activation, plot_decision_boundary, plot_diagnostics, plot_history
from .practice import AnswersError, PracticeResult, check_answers, practice
from .quiz import gift, moodle_xml
from .tape import Tape, TapeError, record
from .trace import trace_backward, trace_forward
from .train import CompiledLoss, ConvergenceError, History, compile_loss, evaluate, fit, gradient_descent, predict
from .variants import Source, Variant, read_roster
from .viz import draw_dot, forward_frames, show_steps, step_frames
from .worksheet import worksheet

__version__ = "0.1.0"

# microgradnet.sum and microgradnet.max are left out of __all__ so that a star import does not
# shadow the built-ins sum() and max(); use them qualified.
__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "AnswersError",
    "CompiledLoss",
    "ConvergenceError",
    "Dropout",
    "GradcheckError",
    "History",
    "Layer",
    "LiveView",
    "Maxout",
    "Module",
    "Neuron",
    "Optimizer",
    "Perceptron",
    "PracticeResult",
    "Source",
    "Tape",
    "TapeError",
    "Value",
    "Variant",
    "analysis",
    "animate",
    "backward_walk",
    "binary_cross_entropy",
    "check_answers",
    "compile_loss",
    "count_edges",
    "count_paths",
    "cross_entropy",
    "detect_anomaly",
    "diagnose",
    "diamond",
    "dot",
    "draw_dot",
    "enable_grad",
    "enumerate_paths",
    "evaluate",
    "fit",
    "forward_frames",
    "gift",
    "grad",
    "gradcheck",
    "grade",
    "gradient_descent",
    "hinge",
    "l1_penalty",
    "l2_penalty",
    "mae",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_sine",
    "make_spirals",
    "make_xor",
    "mistake_table",
    "mistakes",
    "moodle_xml",
    "mse",
    "no_grad",
    "numerical_grad",
    "path_counts",
    "path_sum_grad",
    "plot_activation",
    "plot_decision_boundary",
    "plot_diagnostics",
    "plot_history",
    "practice",
    "predict",
    "random_graph",
    "read_roster",
    "record",
    "save_html",
    "show_steps",
    "step_frames",
    "topological_order",
    "trace_backward",
    "trace_forward",
    "train_test_split",
    "worksheet",
    "zero_grad",
]
