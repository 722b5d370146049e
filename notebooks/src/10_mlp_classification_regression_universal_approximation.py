# %% [markdown]
# # 10 · MLPs at work: classification, regression, decision boundaries, universal approximation
#
# **What this teaches.** A multilayer perceptron trained end to end. For classification the
# last layer gives one score (logit) per class; softmax turns them into probabilities, the loss
# is the cross-entropy −log p(y | x), and the prediction is the argmax. For regression the output
# is linear and the loss is squared (L2) or absolute (L1) error. On 2-D data the trained network's
# decision boundary can be drawn ("neural network at work"), and one hidden layer with enough
# units fits a continuous function as closely as we like (universal approximation).
#
# **Lectures.** `002` (Landwehr): "Multilayer Perceptron" (classification MLP with softmax
# output), "Recap: Linear Classification" (prediction = most probable class = highest score),
# "Cross-Entropy Loss for Training", "Neural Networks For Regression" (linear output, ℓ1 or ℓ2
# loss). `004` (Deep Learning 1, lecture 2), Part 5 "Neural Network at Work" (the decision
# boundary after enough iterations). Universal approximation: `001` (Trivedi & Kondor),
# "Universality" (Cybenko 1989: one hidden layer with a squashing nonlinearity and a linear
# output approximates any continuous function on a compact domain), `003` (Bießmann),
# "Universal Approximation Theorem", and `000` (Leibe), "Multi-Layer Perceptrons".
#
# LECTURES.md rows 15, 16 and 17.

# %%
# %matplotlib inline
import math

import matplotlib.pyplot as plt

from microgradnet import (MLP, Adam, cross_entropy, evaluate, fit, make_blobs, make_moons, make_sine, no_grad,
                          plot_decision_boundary, predict)
from microgradnet import max as value_max


# %% [markdown]
# ## Classification: softmax output, cross-entropy loss, argmax prediction
#
# Three overlapping Gaussian blobs, 150 points. `MLP(2, [16, 3])`: 16 ReLU hidden units and 3
# linear outputs, the class scores v = W₂z₁ + b₂. `fit(..., loss="cross_entropy")` applies the
# softmax inside the loss (log-sum-exp, notebook 8).

# %% tags=["nbval-check-output"]
X, y = make_blobs(150, centers=3, std=0.8, seed=0)
classifier = MLP(2, [16, 3], activation="relu", seed=0)
history = fit(classifier, X, y, loss="cross_entropy", epochs=100, lr=0.1, progress=False, compile=True)
print(f"after {len(history)} epochs: loss {history.loss[-1]:.3f}, training accuracy {history.accuracy[-1]:.0%}")
assert history.accuracy[-1] > 0.9 and history.loss[-1] < 0.5 * history.loss[0]

# %% [markdown]
# For one point: the three scores, their softmax (exponentiate, divide by the sum), the loss of
# its label −log p(y | x), and the prediction: the most probable class, which is the class with
# the highest score.

# %% tags=["nbval-check-output"]
x, label = X[0], y[0]
with no_grad():
    scores = [s.data for s in classifier(x)]
exps = [math.exp(s) for s in scores]
probabilities = [e / sum(exps) for e in exps]
loss = cross_entropy([scores], [label]).data
print(f"x = [{x[0]:.2f}, {x[1]:.2f}], label {label}")
print("scores v        =", [round(s, 3) for s in scores])
print("softmax(v)      =", [round(p, 3) for p in probabilities])
print(f"-log p(y = {label} | x) = {loss:.4f}")
print("argmax          =", probabilities.index(max(probabilities)))

# %%
assert math.isclose(sum(probabilities), 1.0) and math.isclose(loss, -math.log(probabilities[label]), rel_tol=1e-12)
assert probabilities.index(max(probabilities)) == scores.index(max(scores)) == predict(classifier, [x])[0]
assert evaluate(classifier, X, y, loss="cross_entropy")["accuracy"] == sum(
    p == t for p, t in zip(predict(classifier, X), y)) / len(y)
plot_decision_boundary(classifier, X, y)
plt.show()

# %% [markdown]
# ## Regression: linear output, squared or absolute loss
#
# Drop the softmax and keep one linear output: f_θ(x) ∈ ℝ. Train it on noisy samples of sin x in
# which four points are outliers (+3), once with the squared loss (L2) and once with the absolute
# loss (L1). Squared errors let the outliers pull the curve; absolute errors barely notice them.

# %% tags=["nbval-check-output"]
X, y = make_sine(40, noise=0.1, seed=0)
for i in (5, 12, 20, 31):
    y[i] += 3.0
regressors = {}
for loss_name in ("mse", "mae"):
    model = MLP(1, [10, 1], activation="tanh", output_activation="linear", seed=0)
    fit(model, X, y, loss=loss_name, epochs=800, optimizer=Adam(model.parameters(), lr=0.02), progress=False,
        compile=True)
    regressors[loss_name] = model

grid = [[-math.pi + 2 * math.pi * i / 200] for i in range(201)]
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.scatter([x[0] for x in X], y, color="black", s=15, label="data (4 outliers)", zorder=3)
ax.plot([x[0] for x in grid], [math.sin(x[0]) for x in grid], color="gray", linestyle=":", label="sin x")
errors = {}
with no_grad():
    for loss_name, model in regressors.items():
        ax.plot([x[0] for x in grid], [model(x).data for x in grid], label=f"MLP trained with {loss_name}")
        errors[loss_name] = max(abs(model(x).data - math.sin(x[0])) for x in grid)
ax.set_title("regression with an MLP: L2 vs L1 loss")
ax.set_xlabel("x")
ax.set_ylabel("y, and the fitted f(x)")
ax.legend(fontsize="small")
plt.show()
print(f"largest distance from sin x: mse {errors['mse']:.1f}, mae {errors['mae']:.1f}")
assert errors["mae"] < 0.2 < 1.0 < errors["mse"]

# %% [markdown]
# ## Neural network at work: the decision boundary
#
# Lecture `004` shows a network's decision boundary on 2-D data that are not linearly separable,
# after enough iterations. Here: two interleaving moons, `MLP(2, [16, 16, 1])` with ReLUs, trained
# by full-batch gradient descent with the learning rate decaying from 1.0 to 0.1 (the setup of the
# demo notebook of Karpathy's micrograd, which this library's API follows).
#
# The loss is the hinge max(0, 1 − z·t) plus 1e-4·L2, not the lecture's E = max(0, −z·t): with
# the perceptron criterion the gradient vanishes as soon as a point is on its correct side, however
# close to the boundary, so the boundary stops wherever it first separates the data; the hinge
# keeps pushing until every point is a margin of 1 away. Both are trained below. The hinge
# network's boundary after 1, 5 and 20 epochs…

# %%
X, y = make_moons(100, noise=0.1, seed=0)
network = MLP(2, [16, 16, 1], activation="relu", seed=1)
EPOCHS = 100


def schedule(epoch):
    return 1.0 - 0.9 * epoch / EPOCHS


done = 0
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
for ax, until in zip(axes, (1, 5, 20)):
    fit(network, X, y, loss="hinge", epochs=until - done, l2=1e-4, lr_schedule=lambda k, start=done: schedule(start + k),
        progress=False, compile=True)
    done = until
    plot_decision_boundary(network, X, y, ax=ax, resolution=40)  # a 40 × 40 grid of the smooth score
    accuracy = evaluate(network, X, y)["accuracy"]
    ax.set_title(f"after {until} epoch{'s' if until > 1 else ''}: training accuracy {accuracy:.0%}")
fig.tight_layout()
plt.show()

# %% [markdown]
# … and after 100, when every point is on the correct side (as with the perceptron, but on data
# that are not linearly separable):

# %% readme_image="docs/decision_boundary.png" tags=["nbval-check-output"]
fit(network, X, y, loss="hinge", epochs=EPOCHS - done, l2=1e-4,
    lr_schedule=lambda k: schedule(done + k), progress=False, compile=True)
ax = plot_decision_boundary(network, X, y)
ax.set_title("MLP(2, [16, 16, 1]) on two moons after 100 epochs")
plt.show()
final = evaluate(network, X, y)
print(f"training accuracy {final['accuracy']:.0%}")
assert final["accuracy"] == 1.0

# %% [markdown]
# The lecture's loss, E = (1/N) Σ_k max(0, −z_k·t_k) (here written max(−z·t, 0), the library's order
# for the tie at z = 0, notebook 6), on the same network from the same start and with the same
# schedule, as a loss function `fit` takes. A point on its correct side contributes no gradient at
# all, however close to the boundary it sits, so the loss, and with it the gradient, is already
# tiny while a few points still sit on or just across the boundary; training crawls. The hinge keeps
# pushing every point until it is a margin of 1 away:

# %% tags=["nbval-check-output"]
def perceptron_criterion(scores, targets):
    """The lecture's E: the mean of max(-z t, 0) over the batch, targets t = ±1."""
    return sum(value_max([-(z * t), 0.0]) for z, t in zip(scores, targets)) / len(scores)


signed = [2 * label - 1 for label in y]
lecture_net = MLP(2, [16, 16, 1], activation="relu", seed=1)
fit(lecture_net, X, signed, loss=perceptron_criterion, epochs=EPOCHS, lr_schedule=schedule, progress=False,
    compile=True)
with no_grad():
    margins = {name: [z.data * t for z, t in zip((net(x) for x in X), signed)]
               for name, net in (("hinge", network), ("perceptron criterion", lecture_net))}
for name, m in margins.items():
    print(f"{name:21}: {sum(v > 0 for v in m)}/{len(m)} correct, smallest margin z·t = {min(m):.3f} "
          f"({min(m) / max(m):.1%} of the largest)")
relative = {name: min(m) / max(m) for name, m in margins.items()}
assert all(v > 0 for v in margins["hinge"]) and relative["perceptron criterion"] < relative["hinge"]
ax = plot_decision_boundary(lecture_net, X, y, resolution=40)
ax.set_title("the same network trained on max(−z·t, 0) for 100 epochs")
plt.show()

# %% [markdown]
# ## Universal approximation: one hidden layer fits a continuous function
#
# f(x) = Σ_j w_j tanh(a_j x + c_j) + b, one hidden layer of tanh units and a linear output, fit to
# sin x on [−π, π]. With one unit the best it can do is a single S-curve; with more units the
# largest error shrinks.

# %%
X, y = make_sine(50)
fits = {}
for width in (1, 3, 5, 10):
    model = MLP(1, [width, 1], activation="tanh", output_activation="linear", seed=0)
    fit(model, X, y, loss="mse", epochs=1500, optimizer=Adam(model.parameters(), lr=0.02), progress=False,
        compile=True)
    with no_grad():
        curve = [model(x).data for x in grid]
    fits[width] = (curve, max(abs(c - math.sin(x[0])) for c, x in zip(curve, grid)))

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot([x[0] for x in grid], [math.sin(x[0]) for x in grid], color="black", linewidth=4, alpha=0.25, label="sin x")
for width, (curve, error) in fits.items():
    ax.plot([x[0] for x in grid], curve, label=f"{width} hidden unit{'s' if width > 1 else ''}: max error {error:.3f}")
ax.set_title("one hidden layer of tanh units fitting sin x")
ax.set_xlabel("x")
ax.set_ylabel("f(x)")
ax.legend(fontsize="small")
plt.show()
errors = [error for _, error in fits.values()]
assert errors[0] > 0.5 and errors[-1] < 0.05 and errors == sorted(errors, reverse=True)
