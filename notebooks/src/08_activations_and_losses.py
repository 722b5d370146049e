# %% [markdown]
# # 8 · Activation functions and loss functions
#
# **What this teaches.** The hidden-unit nonlinearities of the lectures, each plotted with the
# derivative that backprop uses (computed by the engine itself, not by a formula in the plot),
# including the two that *learn* their shape: PReLU (a learned negative slope) and maxout (a
# learned convex piecewise-linear function). Then the losses: L2, L1, binary cross-entropy,
# hinge and softmax cross-entropy, the identity −log σ((2y − 1)z) = BCE, and why the library
# computes them from logits (log-sum-exp) instead of from probabilities.
#
# **Lectures.** Activations: `002` (Landwehr), "Nonlinear Activation Function" (ReLU, leaky ReLU
# max(0.1z, z), sigmoid, tanh); `001` (Trivedi & Kondor), "Hidden Units": "Rectified Linear
# Units", "Generalized Rectified Linear Units" (absolute value rectification, leaky ReLU 0.01,
# PReLU), "Exponential Linear Units", "Maxout Units", "Sigmoid Units", "Tanh Units", "Other
# Units" (softplus, hard tanh). Losses: `000` (Leibe), "Loss Functions" (L2, L1, cross-entropy,
# hinge, softmax); `001`, "Cost Functions", "Sigmoid Units" (J = −log σ((2y − 1)z)) and "Softmax
# Units" (log softmax = z_i − log Σ_j exp z_j); `002`, "Cross-Entropy Loss for Training" and
# "Neural Networks For Regression"; `003` (Bießmann), "Other Loss Functions".
#
# LECTURES.md rows 11 and 12.

# %%
# %matplotlib inline
import math

import matplotlib.pyplot as plt

from microgradnet import (Maxout, Neuron, Value, binary_cross_entropy, cross_entropy, fit, grad, hinge, mae,
                          mse, no_grad, plot_activation)
from microgradnet import max as value_max


# %% [markdown]
# ## The activations and their derivatives
#
# `plot_activation(name)` draws f and f' where f' is `grad(f)`, i.e. backprop through the op.
# The slides' leaky ReLU uses slope 0.1 (`002`) or 0.01 (`001`); both are drawn. At a kink the
# derivative is the one PyTorch uses (relu'(0) = 0).

# %%
names = ["relu", "leaky_relu", None, "sigmoid", "tanh", "hard_tanh", "elu", "softplus", "abs", "prelu", "maxout"]
fig, axes = plt.subplots(3, 4, figsize=(15, 10))
for ax, name in zip(axes.flat, names):
    if name is None:  # leaky ReLU with the slope of lecture 002, drawn the same way
        xs = [-4 + 8 * i / 400 for i in range(401)]
        f = lambda x: x.leaky_relu(0.1)  # noqa: E731
        ax.plot(xs, [f(Value(x)).data for x in xs], color="tab:blue", label="f(x)")
        ax.plot(xs, [grad(f)(x)[0] for x in xs], color="tab:red", linestyle="--", label="f'(x) by backprop")
        ax.set_title("leaky_relu (slope 0.1)")
        ax.legend(fontsize="small")
        ax.grid(True, alpha=0.3)
    else:
        plot_activation(name, ax=ax)
axes[0, 1].set_title("leaky_relu (slope 0.01)")
axes.flat[-1].axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# The derivatives backprop uses, against their closed forms (and the identity tanh(z) = 2σ(2z) − 1
# from the "Tanh Units" slide):

# %% tags=["nbval-check-output"]
def d(f, x):
    return grad(f)(x)[0]


sigma = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
checks = {
    "relu'(2) = 1, relu'(0) = 0, relu'(-2) = 0": [d(Value.relu, 2), d(Value.relu, 0), d(Value.relu, -2)] == [1, 0, 0],
    "leaky_relu'(-2) = 0.01, with slope 0.1: 0.1": [d(Value.leaky_relu, -2), d(lambda x: x.leaky_relu(0.1), -2)]
    == [0.01, 0.1],
    "sigmoid'(0) = 1/4": d(Value.sigmoid, 0) == 0.25,
    "sigmoid'(z) = σ(z)(1 - σ(z))": all(math.isclose(d(Value.sigmoid, z), sigma(z) * (1 - sigma(z))) for z in (-3, 1, 4)),
    "tanh'(0) = 1, tanh'(z) = 1 - tanh(z)²": d(Value.tanh, 0) == 1
    and all(math.isclose(d(Value.tanh, z), 1 - math.tanh(z) ** 2) for z in (-2, 0.5)),
    "tanh(z) = 2σ(2z) - 1": all(math.isclose(math.tanh(z), 2 * sigma(2 * z) - 1, abs_tol=1e-15) for z in (-2, 0.3, 3)),
    "elu'(-1) = e^-1 (α = 1), elu'(1) = 1": math.isclose(d(Value.elu, -1), math.exp(-1)) and d(Value.elu, 1) == 1,
    "softplus'(z) = σ(z)": all(math.isclose(d(Value.softplus, z), sigma(z)) for z in (-3, 0, 2)),
    "hard_tanh'(0.5) = 1, hard_tanh'(2) = 0": [d(Value.hard_tanh, 0.5), d(Value.hard_tanh, 2)] == [1, 0],
    "abs'(-3) = -1, abs'(0) = 0": [d(Value.abs, -3), d(Value.abs, 0)] == [-1, 0],
}
for claim, holds in checks.items():
    print(f"{'ok' if holds else 'FAILS'}  {claim}")
assert all(checks.values())

# %% [markdown]
# ## What makes an activation usable, and three that are not
#
# Lecture `004` ("Choice of Nonlinear Activation Function"): for training to proceed, g must have
# (1) a gradient defined (almost) everywhere, (2) a non-zero gradient on a significant part of the
# input domain, and (3) an *informative* gradient, one that says in which direction g increases.
# Its problematic examples are max(0, z − 100), the step 1_{z>0} and sin(100·z). Measured on the
# range where pre-activations live, z ∈ [−3, 3], with derivatives by central differences (no
# engine involved) and, where the engine has the op, by backprop too; "informative" asks whether a
# step of 0.05 in the gradient's direction really increases g (a learning-rate-sized step):

# %% tags=["nbval-check-output"]
def step_fn(z):
    return 1.0 if z > 0 else 0.0


candidates = {  # name: (g, dg/dz by backprop or None when the engine has no such op)
    "tanh(z)": (math.tanh, lambda z: d(Value.tanh, z)),
    "max(0, z)": (lambda z: max(0.0, z), lambda z: d(Value.relu, z)),
    "max(0, z - 100)": (lambda z: max(0.0, z - 100), lambda z: d(lambda v: (v - 100).relu(), z)),
    "1_{z>0}": (step_fn, None),
    "sin(100 z)": (lambda z: math.sin(100 * z), None),
}
zs = [-3 + 6 * (i + 0.5) / 600 for i in range(600)]  # 600 points, none exactly at a kink
h, move = 1e-7, 0.05
usable = {}
print(f"{'g(z)':16} {'gradient non-zero':>18} {'informative':>12}")
for name, (g, backprop) in candidates.items():
    slopes = [(g(z + h) - g(z - h)) / (2 * h) for z in zs]
    if backprop is not None:
        assert all(abs(s - backprop(z)) < 1e-5 * max(1.0, abs(s)) for s, z in zip(slopes, zs)), name
    nonzero = [(z, s) for z, s in zip(zs, slopes) if s != 0.0]
    informative = [z for z, s in nonzero if (g(z + math.copysign(move, s)) - g(z)) > 0]
    usable[name] = (len(nonzero) / len(zs), len(informative) / max(1, len(nonzero)))
    shown = f"{usable[name][1]:.0%}" if nonzero else "-"
    print(f"{name:16} {usable[name][0]:>17.0%} {shown:>12}")

# %%
assert usable["tanh(z)"] == (1.0, 1.0) and usable["max(0, z)"] == (0.5, 1.0)
assert usable["max(0, z - 100)"][0] == 0.0  # zero gradient wherever z < 100: nothing ever learns
assert usable["1_{z>0}"][0] == 0.0  # flat on both sides; at 0 not differentiable at all
assert usable["sin(100 z)"][0] == 1.0 and usable["sin(100 z)"][1] < 0.6  # defined, non-zero, but a coin toss

fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
fine = [-3 + 6 * i / 3000 for i in range(3001)]
for ax, name, scale in zip(axes, ["max(0, z - 100)", "1_{z>0}", "sin(100 z)"], (1, 1, 100)):
    g = candidates[name][0]
    ax.plot(fine, [g(z) for z in fine], color="tab:blue", label="g(z)")
    ax.plot(fine, [(g(z + h) - g(z - h)) / (2 * h) / scale if abs(z) > 2 * h else math.nan for z in fine],
            color="tab:red", linestyle="--", label="g'(z) (central differences)" + (f" / {scale}" if scale > 1 else ""))
    ax.set_title(f"g(z) = {name}")
    ax.set_xlabel("z")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", loc="upper left")
axes[0].set_ylim(-0.5, 1.5)
axes[1].set_ylim(-0.5, 1.5)
axes[2].set_xlim(-0.2, 0.2)
axes[2].set_ylim(-1.6, 2.2)
axes[2].set_title("g(z) = sin(100 z), zoomed to [-0.2, 0.2]")
fig.tight_layout()
plt.show()

# %% [markdown]
# max(0, z − 100) is a ReLU that never switches on for realistic z: its gradient is 0 everywhere
# there (criterion 2). The step 1_{z>0} has gradient 0 everywhere but 0, where it has none
# (criteria 1 and 2): the perceptron gets around that by its own rule, not by backprop. sin(100z)
# has a gradient everywhere, non-zero almost everywhere, but its sign flips every π/100 ≈ 0.03,
# so the gradient says nothing about g one ordinary step away: a step of 0.05 in its direction
# increases g only 20 % of the time (criterion 3).

# %% [markdown]
# ## PReLU: the negative slope is a parameter
#
# Generalized rectifiers are g(z, a) = max(0, z) + a·min(0, z): a = 0 is the ReLU, a = 0.01 the
# leaky ReLU, and a learned a is the PReLU. Absolute-value rectification is a = −1 (the slide
# says "a_i = 1 gives g(z) = |z|", but a = 1 gives g(z) = z; the |z| of Jarrett et al. is
# a = −1). The gradient with respect to the slope is ∂g/∂a = min(0, z):

# %%
z, a = Value(-2.0), Value(-1.0)
out = z.prelu(a)
out.backward()
assert out.data == 2.0 == abs(-2.0)  # a = -1: absolute value
assert Value(-2.0).prelu(Value(1.0)).data == -2.0  # a = 1: the identity
assert (a.grad, z.grad) == (min(0.0, -2.0), -1.0)  # dg/da = min(0, z), dg/dz = a for z < 0

# %% [markdown]
# So a PReLU can *learn* to be |z|. A single PReLU neuron g(w·x + b, a), trained on y = |x|,
# moves its slope from the initial 0.25 to −1:

# %% tags=["nbval-check-output"]
X = [[-2 + 4 * i / 20] for i in range(21)]
y = [abs(x[0]) for x in X]
unit = Neuron(1, activation="prelu", seed=0)
assert unit.slope.data == 0.25
fit(unit, X, y, loss="mse", epochs=300, lr=0.1, progress=False)
w, b, slope = (p.data for p in unit.parameters())
print(f"learned w = {w:.2f}, b = {b:.2f}, slope a = {slope:.2f}")
assert abs(slope + 1) < 0.02 and abs(w - 1) < 0.02 and abs(b) < 0.02

# %% [markdown]
# ## Maxout: a learned convex piecewise-linear function
#
# A maxout unit outputs max_k (w_k·x + b_k). With k pieces it can approximate any convex function
# by k lines; with k = 2 it can be a ReLU, a leaky ReLU or |z|. Fit y = x² with k = 2, 3, 4:

# %%
X = [[-2 + 4 * i / 40] for i in range(41)]
y = [x[0] ** 2 for x in X]
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot([x[0] for x in X], y, color="black", linewidth=3, alpha=0.3, label="y = x²")
losses = {}
for pieces in (2, 3, 4):
    unit = Maxout(1, 1, pieces=pieces, seed=0)
    fit(unit, X, y, loss="mse", epochs=300, lr=0.05, batch_size=8, progress=False)
    with no_grad():
        outputs = [unit(x) for x in X]
        losses[pieces] = mse(outputs, y).data  # the trained unit's error on all the points
        ax.plot([x[0] for x in X], [o.data for o in outputs], label=f"maxout, {pieces} pieces (mse {losses[pieces]:.3f})")
ax.set_xlabel("x")
ax.set_title("maxout units fit a convex function piece by piece")
ax.set_ylabel("y")
ax.legend(fontsize="small")
ax.grid(True, alpha=0.3)
plt.show()
assert losses[2] > losses[3] > losses[4]

# %% [markdown]
# ## Losses for regression: L2 and L1
#
# `mse` is the mean of (p − t)² (L2, least squares; no ½), `mae` the mean of |p − t| (L1). The
# lecture's remark "L1 loss ⇒ median regression": fit one constant c to the data 1, 2, 3, 4, 100.
# Minimizing L2 gives the mean, 22; minimizing L1 gives the median, 3, unmoved by the outlier.

# %% tags=["nbval-check-output"]
data = [1.0, 2.0, 3.0, 4.0, 100.0]
assert mse([2.0, 0.0], [1.0, 1.0]).data == 1.0 and mae([3.0, 0.0], [1.0, 1.0]).data == 1.5
fits = {}
for loss in (mse, mae):
    c = Value(0.0, label="c")
    for step in range(3000):
        c.grad = 0.0
        loss([c] * len(data), data).backward()
        c.data -= (0.4 if loss is mse else 2.0 / (1 + step)) * c.grad  # L1's subgradient needs shrinking steps
    fits[loss.__name__] = c.data
print(f"L2 fit: c = {fits['mse']:.3f} (mean {sum(data) / len(data):g});  L1 fit: c = {fits['mae']:.3f} (median 3)")
assert abs(fits["mse"] - 22.0) < 1e-9 and abs(fits["mae"] - 3.0) < 0.01

# %% [markdown]
# ## Binary cross-entropy, from the logit
#
# For a sigmoid output p = σ(z) and a label y ∈ {0, 1}, the cross-entropy is
# −[y log σ(z) + (1 − y) log(1 − σ(z))], which is the same as −log σ((2y − 1)z) (lecture `001`,
# "Sigmoid Units"). `binary_cross_entropy` takes the logit z and computes that form stably; its
# gradient is σ(z) − y, the "prediction error" of logistic regression.

# %%
for z in (-4.0, -0.5, 0.0, 1.5, 6.0):
    for label in (0, 1):
        logit = Value(z)
        bce = binary_cross_entropy(logit, label)
        bce.backward()
        p = sigma(z)
        by_definition = -(label * math.log(p) + (1 - label) * math.log(1 - p))
        by_sign = -math.log(sigma((2 * label - 1) * z))
        assert math.isclose(bce.data, by_definition, rel_tol=1e-12) and math.isclose(bce.data, by_sign, rel_tol=1e-12)
        assert math.isclose(logit.grad, p - label, rel_tol=1e-12, abs_tol=1e-15)
print("BCE = -[y log σ(z) + (1-y) log(1-σ(z))] = -log σ((2y-1)z), gradient σ(z) - y: checked at 10 points")

# %% [markdown]
# Far from 0 the probability form breaks down: σ(−1000) is 0 in floating point, and log 0 is a
# domain error. The loss itself is perfectly finite (1000), and so is the library's:

# %% tags=["nbval-check-output"]
z = Value(-1000.0)
try:
    naive = -z.sigmoid().log()
except ValueError as error:
    message = str(error)
stable = binary_cross_entropy(z, 1)
stable.backward()
print("via log(sigmoid(z)):", message)
print(f"binary_cross_entropy(z = -1000, y = 1) = {stable.data:g}, gradient {z.grad:g}")
assert stable.data == 1000.0 and z.grad == -1.0

# %% [markdown]
# ## Softmax cross-entropy, with log-sum-exp
#
# log softmax(z)_i = z_i − log Σ_j exp(z_j), so the loss of class i is log Σ_j exp(z_j) − z_i.
# `cross_entropy` shifts the logits by their maximum first (which does not change the result), so
# exp never overflows. Its gradient is softmax(z) − onehot(i):

# %% tags=["nbval-check-output"]
logits = [Value(2.0), Value(1.0), Value(-1.0)]
loss = cross_entropy([logits], [0])
loss.backward()
exps = [math.exp(v.data) for v in logits]
softmax = [e / sum(exps) for e in exps]
assert math.isclose(loss.data, math.log(sum(exps)) - 2.0, rel_tol=1e-14)
assert all(math.isclose(v.grad, s - (k == 0), rel_tol=1e-12) for k, (v, s) in enumerate(zip(logits, softmax)))
big = cross_entropy([[1000.0, 0.0, -1000.0]], [1]).data  # exp(1000) would overflow
print(f"softmax(2, 1, -1) = {[round(s, 4) for s in softmax]}, loss for class 0 = {loss.data:.4f}")
print(f"loss for logits (1000, 0, -1000), class 1 = {big:g}")
assert big == 1000.0

# %% [markdown]
# ## The classification losses side by side
#
# As functions of the margin m = t·z (label t = ±1, score z): the 0–1 loss, the perceptron's
# max(0, −m), the hinge max(0, 1 − m), the logistic loss −log σ(m) (BCE with y = 1), and the
# squared error (1 − m)². Each curve but the 0–1 loss is computed with the library's losses at
# t = +1, so m = z.

# %%
ms = [-3 + 6 * i / 300 for i in range(301)]
curves = {
    "0-1 loss": [1.0 if m <= 0 else 0.0 for m in ms],
    "perceptron max(0, -m)": [value_max([-Value(m), 0.0]).data for m in ms],
    "hinge max(0, 1 - m)": [hinge(m, 1).data for m in ms],
    "logistic -log σ(m) (BCE)": [binary_cross_entropy(m, 1).data for m in ms],
    "squared (1 - m)²": [mse(m, 1.0).data for m in ms],
}
fig, ax = plt.subplots(figsize=(6.5, 4))
for name, values in curves.items():
    ax.plot(ms, values, label=name)
ax.set_ylim(-0.1, 4)
ax.set_xlabel("margin m = t·z")
ax.set_ylabel("loss")
ax.set_title("classification losses as functions of the margin")
ax.legend(fontsize="small")
ax.grid(True, alpha=0.3)
plt.show()
at = {name: dict(zip(ms, values)) for name, values in curves.items()}
assert at["hinge max(0, 1 - m)"][0.0] == 1.0 and math.isclose(at["logistic -log σ(m) (BCE)"][0.0], math.log(2))
