"""Regenerate the README's graph picture: ``python docs/make_images.py`` writes docs/neuron.png.

The README's other picture, docs/decision_boundary.png, is written by notebook 10's build
(``python notebooks/build_notebooks.py 10_mlp_classification_regression_universal_approximation``).
"""
from __future__ import annotations

from pathlib import Path

from microgradnet import draw_dot, examples
from microgradnet.viz import save

if __name__ == "__main__":
    neuron = examples.neuron()  # the lecture's sigmoid neuron, labelled as `microgradnet demo` prints it
    neuron.root.backward()
    for path in save(draw_dot(neuron.root), Path(__file__).parent / "neuron", formats=("png",)):
        print(path)
