"""Regenerate the README's pictures: ``python docs/make_images.py`` writes docs/neuron.png."""
from __future__ import annotations

from pathlib import Path

from microgradnet import Value, draw_dot
from microgradnet.viz import save


def neuron_graph() -> Value:
    """The lecture's sigmoid neuron 1/(1+exp(-(w0*x0+w1*x1+w2))) at its point, after backward."""
    x0, x1 = Value(-1.0, label="x0"), Value(-2.0, label="x1")
    w0, w1, w2 = Value(2.0, label="w0"), Value(-3.0, label="w1"), Value(-3.0, label="w2")
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    f.label = "f"
    f.backward()
    return f


if __name__ == "__main__":
    for path in save(draw_dot(neuron_graph()), Path(__file__).parent / "neuron", formats=("png",)):
        print(path)
