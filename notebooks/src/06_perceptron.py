# %% [markdown]
# # 6 · The perceptron: Rosenblatt's rule is gradient descent on max(0, −z·t)
#
# **What this teaches.** The perceptron computes z = w·x + b and predicts sign(z). Rosenblatt's
# learning rule (on a mistake: w ← w + η·x·t, b ← b + η·t) converges when the data are linearly
# separable, and it is exactly stochastic gradient descent on E_k = max(0, −z_k·t_k): on a
# mistake the gradient is −x·t, otherwise 0. Unlike the nearest-mean classifier, the perceptron
# minimizes the error, so it separates elongated classes too; on data that are not linearly
# separable (XOR) it never settles.
#
# **Lectures.** `004` (Deep Learning 1, lecture 2), Part 1: "The Perceptron Algorithm",
# "Perceptron at Work", "The Perceptron: Optimization View", "Perceptron vs. Nearest Mean
# Classifier". `000` (Leibe), "Perceptron Learning" (add the input vector on a wrongly output
# zero, subtract it on a wrongly output one: the delta rule).
#
# LECTURES.md row 9.

# %%
# %matplotlib inline
import random

import matplotlib.pyplot as plt

from microgradnet import Perceptron, make_blobs, plot_decision_boundary
from microgradnet import max as value_max

# %% [markdown]
# ## Rosenblatt's rule on separable data
#
# Two blobs of 40 points, targets t = ±1. `Perceptron.fit` sweeps the data and returns the number
# of updates (mistakes) in each sweep; it stops after the first sweep without a mistake.

# %% tags=["nbval-check-output"]
X, y = make_blobs(40, centers=[[-1.0, -1.0], [1.5, 1.0]], std=0.8, seed=3)
t = [2 * label - 1 for label in y]  # labels 0/1 as targets -1/+1
perceptron = Perceptron(2)
mistakes = perceptron.fit(X, t, epochs=100)
w1, w2, b = (p.data for p in perceptron.parameters())

print("updates per sweep:", mistakes)
print(f"learned w = ({w1:.2f}, {w2:.2f}), b = {b:.2f}")
print("all points classified correctly:", all(perceptron.predict(x) == target for x, target in zip(X, t)))

# %%
assert mistakes[-1] == 0 and len(mistakes) < 100
assert all(perceptron.predict(x) == target for x, target in zip(X, t))
ax = plot_decision_boundary(perceptron, X, y)
ax.set_title(f"perceptron after {len(mistakes)} sweeps ({sum(mistakes)} updates)")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
plt.show()

# %% [markdown]
# ## Perceptron at work
#
# The slide's animation, as frames: the same run, one update at a time. Each update moves the
# boundary w·x + b = 0 so that the misclassified point (circled) moves towards its correct side;
# points already correct do nothing.

# %%
watch = Perceptron(2)
snapshots = []  # (weights after the update, the point that caused it)
for sweep in range(len(mistakes)):
    for x, target in zip(X, t):
        if watch.update(x, target):
            snapshots.append(([p.data for p in watch.parameters()], x, target))
assert len(snapshots) == sum(mistakes) and snapshots[-1][0] == [w1, w2, b]

shown = [0, 1, 2, 4, 9, len(snapshots) - 1]
xs = [min(x[0] for x in X) - 0.5, max(x[0] for x in X) + 0.5]
fig, axes = plt.subplots(2, 3, figsize=(12, 7), sharex=True, sharey=True)
for ax, k in zip(axes.flat, shown):
    (wa, wb, bias), point, target = snapshots[k]
    for label, color in ((1, "tab:blue"), (-1, "tab:orange")):
        pts = [x for x, tk in zip(X, t) if tk == label]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], color=color, s=15, label=f"t = {label:+d}")
    ax.scatter(*point, s=160, facecolors="none", edgecolors="red", linewidths=2, label="the mistake")
    ax.plot(xs, [-(wa * v + bias) / wb for v in xs], color="black", label="w·x + b = 0")
    ax.set_ylim(min(x[1] for x in X) - 0.5, max(x[1] for x in X) + 0.5)
    ax.set_title(f"after update {k + 1}: w = ({wa:.2f}, {wb:.2f}), b = {bias:.0f}", fontsize="medium")
for ax in axes[1]:
    ax.set_xlabel("$x_1$")
for ax in axes[:, 0]:
    ax.set_ylabel("$x_2$")
axes[0, 0].legend(fontsize="small", loc="lower right")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The optimization view: the same steps as SGD on max(0, −z·t)
#
# ∂E_k/∂w = 1(−z·t > 0)·(−x·t), so an SGD step w ← w − η·∂E_k/∂w adds η·x·t on a mistake and
# does nothing otherwise. The slide calls E_k "also known as the Hinge Loss"; that is the slide's
# naming. The hinge loss of SVMs (lecture `000`, and the library's `hinge`) is max(0, 1 − z·t),
# which also penalizes correct points closer than a margin of 1; max(0, −z·t) is usually called
# the *perceptron criterion*.
#
# **The library's convention at the boundary z = 0.** `predict` gives sign(0) = 0, no class, which
# is wrong for either target, so the rule treats z·t ≤ 0 as a mistake (that is how it leaves w = 0,
# where every z is 0). The slide's indicator 1(−z·t > 0) is 0 there; E_k has a kink at z = 0, and
# `Perceptron.loss` writes E_k = max(−z·t, 0) with −z·t *first*, because the engine's `max` sends
# a tie's gradient to its first input: the gradient is the mistake's, 1(−z·t ≥ 0)·(−x·t). Written
# max(0, −z·t), the tie would go to the constant 0 and SGD would never take its first step.
# Run both side by side, one sample at a time, with η = 1: autodiff on `Perceptron.loss` against
# the rule, and compare the weights after every single step.

# %%
rule, sgd = Perceptron(2), Perceptron(2)
steps = 0
for sweep in range(len(mistakes)):
    for x, target in zip(X, t):
        rule.update(x, target, lr=1.0)  # Rosenblatt
        sgd.zero_grad()
        sgd.loss(x, target).backward()  # E_k = max(-z t, 0) by autodiff
        for p in sgd.parameters():
            p.data -= 1.0 * p.grad  # the SGD step
        assert [p.data for p in sgd.parameters()] == [p.data for p in rule.parameters()]
        steps += 1
assert [p.data for p in rule.parameters()] == [w1, w2, b]
print(f"{steps} steps: SGD on max(-z·t, 0) and Rosenblatt's rule gave identical weights after every step")

# %% [markdown]
# At a correctly classified point the loss is 0 and so is its gradient; at a mistake, and on the
# boundary, the gradient is −x·t (and −t for the bias). The other argument order gives no gradient
# on the boundary:

# %%
probe = Perceptron(2)
probe.w[0].data, probe.w[1].data, probe.b.data = 1.0, -1.0, 0.5
right, wrong = ([2.0, 1.0], 1), ([2.0, 1.0], -1)  # z = 2 - 1 + 0.5 = 1.5
boundary = ([0.0, 0.5], 1)  # z = 0 - 0.5 + 0.5 = 0
for (x, target), expected in ((right, [0.0, 0.0, 0.0]), (wrong, [2.0, 1.0, 1.0]), (boundary, [0.0, -0.5, -1.0])):
    probe.zero_grad()
    probe.loss(x, target).backward()
    assert [p.grad for p in probe.parameters()] == expected  # -x·t and -t
assert probe.predict(boundary[0]) == 0  # on the boundary: no class, a mistake for t = +1 and t = -1
probe.zero_grad()
value_max([0.0, -(probe(boundary[0]) * boundary[1])]).backward()  # max(0, -z·t): the tie goes to the 0
assert [p.grad for p in probe.parameters()] == [0.0, 0.0, 0.0]

# %% [markdown]
# ## On XOR the perceptron never settles
#
# XOR's four points are not linearly separable (`000`, "Limitations of Perceptrons"): no w, b puts
# (0, 1) and (1, 0) on the positive side and (0, 0), (1, 1) on the negative one, since
# b < 0, w1 + b > 0, w2 + b > 0 give w1 + w2 + b > −b > 0. So every sweep makes a mistake, forever.
# With integer inputs and η = 1 the weights stay integers and bounded, and the run is periodic:
# after some sweep the weights come back to where they were, and from then on repeat.

# %% tags=["nbval-check-output"]
X_xor, t_xor = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [-1, 1, 1, -1]
xor = Perceptron(2)
states = [tuple(p.data for p in xor.parameters())]
updates = []
for sweep in range(100):
    updates.append(sum(xor.update(x, target) for x, target in zip(X_xor, t_xor)))
    states.append(tuple(p.data for p in xor.parameters()))
    if states[-1] in states[:-1]:
        break
first = states.index(states[-1])
print(f"updates per sweep: {updates}")
print(f"the weights (w1, w2, b) after sweep {len(states) - 1} equal those after sweep {first}: {states[-1]}")
assert all(u > 0 for u in updates) and first < len(states) - 1  # a cycle: it never converges

# %% [markdown]
# ## Perceptron vs. nearest-mean classifier
#
# The nearest-mean classifier is linear too: y = sign(2(μ1 − μ2)·x + ‖μ2‖² − ‖μ1‖²). But it
# *describes* the data, and with elongated classes its boundary (the perpendicular bisector of
# the two means) cuts through them. The perceptron *minimizes the error* and separates them.

# %% tags=["nbval-check-output"]
rng = random.Random(0)
X2, t2 = [], []
for center, target in (((0.0, 0.0), 1), ((2.0, 0.8), -1)):
    for _ in range(30):
        X2.append([center[0] + rng.gauss(0.0, 2.0), center[1] + rng.gauss(0.0, 0.1)])
        t2.append(target)

mu = {target: [sum(x[i] for x, tk in zip(X2, t2) if tk == target) / t2.count(target) for i in (0, 1)]
      for target in (1, -1)}
w_nm = [2 * (mu[1][i] - mu[-1][i]) for i in (0, 1)]
b_nm = sum(m * m for m in mu[-1]) - sum(m * m for m in mu[1])
nearest_mean_correct = sum((1 if w_nm[0] * x[0] + w_nm[1] * x[1] + b_nm > 0 else -1) == tk for x, tk in zip(X2, t2))

elongated = Perceptron(2)
sweeps = elongated.fit(X2, t2, epochs=1000)
perceptron_correct = sum(elongated.predict(x) == tk for x, tk in zip(X2, t2))

print(f"nearest mean: {nearest_mean_correct}/{len(X2)} correct")
print(f"perceptron:   {perceptron_correct}/{len(X2)} correct after {len(sweeps)} sweeps")
assert perceptron_correct == len(X2) > nearest_mean_correct

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for target, color in ((1, "tab:blue"), (-1, "tab:orange")):
    pts = [x for x, tk in zip(X2, t2) if tk == target]
    ax.scatter([p[0] for p in pts], [p[1] for p in pts], color=color, edgecolors="black", linewidths=0.5,
               s=25, label=f"t = {target:+d}")
    ax.plot(*mu[target], marker="X", color=color, markeredgecolor="black", markersize=12)
xs = [min(x[0] for x in X2), max(x[0] for x in X2)]
wp, bp = [p.data for p in elongated.w], elongated.b.data
for (wa, wb, bias), style, name in (((*w_nm, b_nm), "--", "nearest mean"), ((*wp, bp), "-", "perceptron")):
    ax.plot(xs, [-(wa * x + bias) / wb for x in xs], style, color="black", label=name)
ax.set_ylim(-0.6, 1.4)
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.set_title("elongated classes: boundaries of the two linear classifiers (X: class means)")
ax.legend(fontsize="small", loc="upper left")
plt.show()
