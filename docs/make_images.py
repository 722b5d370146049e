"""Regenerate the README's graph pictures: ``python docs/make_images.py`` writes them into docs/.

- ``neuron.png``: the lecture's sigmoid neuron in the slide style, values above each wire and
  gradients below, as ``microgradnet example neuron --out DIR`` draws it.
- ``copy-node-step.png``: step 2 of the copy-node example's backward pass, the frame where the
  gradient of x is the running sum 5.00 + 2.00 = 7.00 (``--frames DIR``).

The README's other picture, docs/decision_boundary.png, is written by notebook 10's build
(``python notebooks/build_notebooks.py 10_mlp_classification_regression_universal_approximation``).
"""
from __future__ import annotations

from pathlib import Path

from microgradnet import examples
from microgradnet.files import write_atomic
from microgradnet.frames import frame_set, picture, raster

if __name__ == "__main__":
    here = Path(__file__).parent
    neuron = examples.neuron()  # labelled as `microgradnet demo` prints it
    neuron.root.backward()
    for path in picture(neuron.root).save(here / "neuron", formats=("png",)):
        print(path)
    frames = frame_set(examples.copy_node().root)
    print(write_atomic(here / "copy-node-step.png", raster(frames.layout, frames.frames[1]), "docs"))
