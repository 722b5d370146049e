# %% [markdown]
# # 9 · Regularization and optimization
#
# **What this teaches.** How to keep a network from overfitting — L2 weight decay, L1, dropout,
# early stopping on a validation split — and how the optimizer moves the weights: gradient
# descent with the lecture's stopping rule (and its "not converged" exception), minibatch SGD,
# and momentum v ← −η∇L + γv, θ ← θ + v with γ = 0.9.
#
# **Lectures.** `002` (Landwehr): "Regularization for Neural Networks", "Recap: Weight
# Regularization" (L2 and L1 regularizers), "Early Stopping", "Dropout", "Dropout at Test Time"
# (multiply by 1 − p); "Parameter Optimization" (gradient descent, raise "Not converged in i_max
# iterations"), "Stochastic Gradient Descent", "Momentum in Stochastic Gradient Descent".
# `000` (Leibe), "Regularization" (L2 is "weight decay", L1 gives sparsity).
#
# LECTURES.md rows 13 and 14.

# %%
# %matplotlib inline
import math
import random

import matplotlib.pyplot as plt

from microgradnet import (MLP, SGD, ConvergenceError, Dropout, Neuron, Value, binary_cross_entropy, fit,
                          gradient_descent, l1_penalty, l2_penalty, make_blobs, make_sine, mse, no_grad,
                          plot_history, train_test_split)


# %% [markdown]
# ## An overfitting problem
#
# Twelve noisy samples of sin x for training, twelve for validation, and a network with far more
# parameters (321) than data: `MLP(1, [16, 16, 1])` with tanh units. Trained long enough, it
# fits the noise: the training loss keeps falling while the validation loss turns back up.
# Given `val_data`, `fit` measures both curves the same way, after each epoch's steps and in eval
# mode (no dropout), so at every epoch the two numbers are the same weights on two data sets.

# %%
X, y = make_sine(24, noise=0.3, seed=0)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.5, seed=0)


def train(l2=0.0, epochs=800, patience=None):
    model = MLP(1, [16, 16, 1], activation="tanh", seed=0)
    history = fit(model, X_train, y_train, loss="mse", epochs=epochs, lr=0.05, l2=l2, val_data=(X_val, y_val),
                  patience=patience, progress=False, compile=True)
    return model, history


plain, plain_history = train()
plot_history(plain_history)
plt.show()
with no_grad():  # the last epoch's two numbers, recomputed from the final weights
    assert math.isclose(plain_history.loss[-1], mse([plain(x) for x in X_train], y_train).data, rel_tol=1e-9)
    assert math.isclose(plain_history.val_loss[-1], mse([plain(x) for x in X_val], y_val).data, rel_tol=1e-9)
assert plain_history.val_loss[-1] > 1.5 * min(plain_history.val_loss)  # it overfits
assert plain_history.loss[-1] < plain_history.loss[plain_history.best_epoch]

# %% [markdown]
# ## L2 weight decay
#
# Add λ·R(θ) with R(θ) = Σ_j θ_j² (all weights and biases) to the loss: `fit(..., l2=λ)`. Its
# gradient 2λθ pulls every parameter towards 0 at each step, hence "weight decay". The optimizer
# form does the same: `SGD(params, lr, weight_decay=2λ)` adds 2λθ to each gradient. Same steps:

# %%
a, b = MLP(1, [8, 1], activation="tanh", seed=0), MLP(1, [8, 1], activation="tanh", seed=0)
fit(a, X_train, y_train, loss="mse", epochs=50, lr=0.1, l2=0.01, progress=False)
fit(b, X_train, y_train, loss="mse", epochs=50, optimizer=SGD(b.parameters(), lr=0.1, weight_decay=0.02),
    progress=False)
assert max(abs(p.data - q.data) for p, q in zip(a.parameters(), b.parameters())) < 1e-12
weight = Value(3.0)
(0.01 * l2_penalty([weight])).backward()
assert math.isclose(weight.grad, 2 * 0.01 * 3.0)  # d/dθ λθ² = 2λθ

# %% [markdown]
# With λ = 0.01 the weights stay smaller and the fit smoother; the validation loss at the end of
# training is lower than without the penalty:

# %% tags=["nbval-check-output"]
decayed, decayed_history = train(l2=0.01)


def norm(model):
    return math.sqrt(sum(p.data**2 for p in model.parameters()))


for name, (model, history) in {"no penalty": (plain, plain_history), "L2, λ = 0.01": (decayed, decayed_history)}.items():
    print(f"{name:13} train loss {history.loss[-1]:.3f}, validation loss {history.val_loss[-1]:.3f}, "
          f"|θ| = {norm(model):.2f}")
assert decayed_history.val_loss[-1] < 0.8 * plain_history.val_loss[-1] and norm(decayed) < 0.8 * norm(plain)

# %%
xs = [[-math.pi + 2 * math.pi * i / 200] for i in range(201)]
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot([x[0] for x in xs], [math.sin(x[0]) for x in xs], color="gray", linestyle=":", label="sin x")
with no_grad():
    for name, model in (("no penalty", plain), ("L2, λ = 0.01", decayed)):
        ax.plot([x[0] for x in xs], [model(x).data for x in xs], label=name)
ax.scatter([x[0] for x in X_train], y_train, color="black", s=20, label="training data", zorder=3)
ax.scatter([x[0] for x in X_val], y_val, color="white", edgecolors="black", s=20, label="validation data", zorder=3)
ax.set_title("after 800 epochs")
ax.set_xlabel("x")
ax.set_ylabel("y, and the fitted f(x)")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# ## L1: weights that do not matter go to zero
#
# R(θ) = Σ_j |θ_j|. Its gradient λ·sign(θ) has the same size for small and large weights, so it
# pushes unneeded weights all the way to 0 (sparsity), where L2's 2λθ fades out. A linear model
# with 8 inputs of which only the first two matter, y = 2x₁ − 1.5x₂ + noise. As in lecture `002`
# ("θ_j: any model parameter, that is, all weights and biases") and as `fit(..., l2=λ)` does, the
# penalty covers every parameter, the bias too. (Many libraries exempt biases, since a bias does
# not make the function wigglier; here the true bias is 0, and the lecture's form is the one shown.)

# %% tags=["nbval-check-output"]
rng = random.Random(0)
X8 = [[rng.gauss(0.0, 1.0) for _ in range(8)] for _ in range(40)]
y8 = [2 * x[0] - 1.5 * x[1] + rng.gauss(0.0, 0.1) for x in X8]
weights = {}
for name, penalty in (("L1", l1_penalty), ("L2", l2_penalty)):
    unit = Neuron(8, activation="linear", seed=0)
    fit(unit, X8, y8, loss=lambda outputs, targets: mse(outputs, targets) + 0.1 * penalty(unit.parameters()),
        epochs=300, lr=0.05, progress=False)
    weights[name] = [w.data for w in unit.w]
for name, ws in weights.items():
    print(f"{name}, λ = 0.1: w = [{', '.join(f'{w:+.3f}' for w in ws)}]")
largest_unneeded = {name: max(abs(w) for w in ws[2:]) for name, ws in weights.items()}
assert largest_unneeded["L1"] < 0.01 < largest_unneeded["L2"]

# %% [markdown]
# (Plain (sub)gradient descent leaves the L1 weights jittering within about lr·λ of 0 rather than
# exactly at 0; proximal methods would set them to 0.)
#
# ## Dropout, and which form the library uses
#
# During training, dropout sets each activation to 0 with probability p. The lecture then, at test
# time, multiplies activations by (1 − p), so that they match their expectation under dropout.
# **microgradnet's `Dropout` is inverted dropout**: during training it scales the surviving
# activations by 1/(1 − p), and at test time (`model.eval()`) it is the identity. Both make the
# test-time activation equal to the training-time expectation; inverted dropout does the (1 − p)
# bookkeeping during training, so inference needs no change. Numerically, with p = 0.5 and the
# library's own masks:

# %% tags=["nbval-check-output"]
p = 0.5
h = [0.3, -1.2, 2.0, 0.7, -0.4]  # some activations
layer = Dropout(p, seed=0)
draws = 20_000
inverted_sum, lecture_sum, dropped = [0.0] * len(h), [0.0] * len(h), 0
for _ in range(draws):
    kept = [v.data for v in layer(h)]  # training mode: 0, or h / (1 - p)
    lecture = [k * (1 - p) for k in kept]  # the same mask without the 1/(1-p): the lecture's training form
    assert all(k in (0.0, v / (1 - p)) for k, v in zip(kept, h))
    dropped += kept.count(0.0)
    inverted_sum = [s + k for s, k in zip(inverted_sum, kept)]
    lecture_sum = [s + k for s, k in zip(lecture_sum, lecture)]
inverted_mean = [s / draws for s in inverted_sum]
lecture_mean = [s / draws for s in lecture_sum]
layer.eval()
test_inverted = [v.data for v in layer(h)]  # inverted dropout at test time: the identity
test_lecture = [(1 - p) * v for v in h]  # the lecture at test time: scale by 1 - p

print("activations h:                        ", h)
print("inverted: mean over 20000 masks       ", [round(m, 2) for m in inverted_mean])
print("inverted: at test time (eval)         ", test_inverted)
print("lecture:  mean over the same masks    ", [round(m, 2) for m in lecture_mean])
print("lecture:  at test time, (1 - p) · h   ", test_lecture)

# %%
assert test_inverted == h
assert all(abs(m - t) < 0.05 * abs(t) for m, t in zip(inverted_mean, test_inverted))
assert all(abs(m - t) < 0.05 * abs(t) for m, t in zip(lecture_mean, test_lecture))
assert abs(dropped / (draws * len(h)) - p) < 0.01  # each activation is dropped with probability p

# %% [markdown]
# So a network trained with the lecture's dropout and tested with the (1 − p) scaling computes
# exactly what an inverted-dropout network computes whose next-layer weights are the lecture
# network's multiplied by (1 − p), in training and at test time.
# In an MLP, `MLP(..., dropout=p)` puts a `Dropout(p)` after every hidden layer; `fit` trains in
# training mode (a new mask for every sample) and measures both curves in eval mode. On the
# overfitting problem, with p = 0.2 (a graph per step: a tape would replay one mask, so no
# `compile`):

# %% tags=["nbval-check-output"]
dropped_model = MLP(1, [16, 16, 1], activation="tanh", dropout=0.2, seed=0)
dropped_history = fit(dropped_model, X_train, y_train, loss="mse", epochs=800, lr=0.05, val_data=(X_val, y_val),
                      progress=False)
print(f"after 800 epochs: validation loss {dropped_history.val_loss[-1]:.3f} with dropout 0.2, "
      f"{plain_history.val_loss[-1]:.3f} without")
assert dropped_history.val_loss[-1] < 0.8 * plain_history.val_loss[-1]

# %% [markdown]
# ## Early stopping on a validation split
#
# "Split off validation set and stop training when validation error increases":
# `fit(..., val_data=..., patience=k)` stops after k epochs without a new lowest validation loss
# and restores the weights of the best epoch (the dotted line).

# %% tags=["nbval-check-output"]
early, early_history = train(patience=100)
plot_history(early_history)
plt.show()
print(f"best epoch {early_history.best_epoch + 1}, stopped after epoch {early_history.stopped_epoch + 1}")

# %%
assert early_history.stopped_epoch == early_history.best_epoch + 100
with no_grad():
    restored = mse([early(x) for x in X_val], y_val).data
assert math.isclose(restored, min(early_history.val_loss), rel_tol=1e-12)
assert restored < 0.6 * plain_history.val_loss[-1]

# %% [markdown]
# ## Gradient descent with a stopping rule
#
# The lecture's algorithm: θ_(i+1) = θ_i − η∇L(θ_i) for i = 0 … i_max; return when
# L(θ_i) − L(θ_(i+1)) < ε; otherwise raise "Not converged in i_max iterations".
# `gradient_descent(loss_fn, params, lr, max_steps, tol)` is that loop, on a least-squares line fit:

# %% tags=["nbval-check-output"]
line_x = [i / 10 for i in range(11)]
line_y = [3 * x - 1 for x in line_x]
slope, intercept = Value(0.0, label="slope"), Value(0.0, label="intercept")


def line_loss():
    return mse([slope * x + intercept for x in line_x], line_y)


losses = gradient_descent(line_loss, [slope, intercept], lr=0.5, max_steps=10_000, tol=1e-12)
print(f"converged after {len(losses) - 1} steps: slope {slope.data:.4f}, intercept {intercept.data:.4f}")
assert abs(slope.data - 3) < 1e-4 and abs(intercept.data + 1) < 1e-4

# %% [markdown]
# The stopping test L(θ_i) − L(θ_(i+1)) < ε is also true when the loss *rises*: the difference is
# then negative. So the algorithm stops, without an exception, after a step that made things worse,
# as with a learning rate too large for this problem (η = 1.5: each step overshoots):

# %% tags=["nbval-check-output"]
slope.data, intercept.data = 0.0, 0.0
risen = gradient_descent(line_loss, [slope, intercept], lr=1.5, max_steps=10_000, tol=1e-12)
print(f"stopped after {len(risen) - 1} step(s): loss {risen[0]:.3f} -> {risen[-1]:.3f}")
assert len(risen) >= 2 and risen[-1] > risen[-2]  # the last step raised the loss, and that stopped the loop

# %% [markdown]
# And when i_max steps pass without the test firing, it raises:

# %% tags=["nbval-check-output"]
slope.data, intercept.data = 0.0, 0.0
try:
    gradient_descent(line_loss, [slope, intercept], lr=0.5, max_steps=20, tol=1e-12)
except ConvergenceError as error:
    message = str(error)
print(message)
assert "did not converge after 20 steps" in message

# %% [markdown]
# ## Minibatch SGD
#
# Instead of the gradient over all N samples, each step uses a random minibatch of J samples: a
# noisy but unbiased estimate, and N/J times cheaper. The loss on all the data no longer falls at
# every step, but falls on average (the lecture's "Loss on complete data set over SGD
# iterations"). Logistic regression on two blobs, full-batch gradient descent against SGD with
# J = 4, the same learning rate:

# %%
Xb, yb = make_blobs(100, centers=[[-1.0, -0.5], [1.0, 0.5]], std=1.0, seed=0)
batch_rng = random.Random(0)
curves = {}
for name, size in (("gradient descent (all 100 samples)", None), ("SGD, minibatches of J = 4", 4)):
    unit = Neuron(2, activation="linear", seed=0)
    optimizer = SGD(unit.parameters(), lr=0.5)
    full_losses = []
    for step in range(150):
        with no_grad():
            full_losses.append(binary_cross_entropy([unit(x) for x in Xb], yb).data)
        batch = range(len(Xb)) if size is None else batch_rng.sample(range(len(Xb)), size)
        optimizer.zero_grad()
        binary_cross_entropy([unit(Xb[i]) for i in batch], [yb[i] for i in batch]).backward()
        optimizer.step()
    curves[name] = full_losses
fig, ax = plt.subplots(figsize=(6.5, 4))
for name, values in curves.items():
    ax.plot(values, label=name)
ax.set_xlabel("step")
ax.set_ylabel("loss on all the data")
ax.set_title("full-batch gradient descent vs minibatch SGD")
ax.legend(fontsize="small")
ax.grid(True, alpha=0.3)
plt.show()
sgd = curves["SGD, minibatches of J = 4"]
assert sgd[-1] < 0.7 * sgd[0] and any(later > earlier for earlier, later in zip(sgd, sgd[1:]))
assert all(later <= earlier for earlier, later in zip(curves["gradient descent (all 100 samples)"],
                                                      curves["gradient descent (all 100 samples)"][1:]))

# %% [markdown]
# `fit(..., batch_size=J)` does this per epoch: it reshuffles the samples (from `seed`) and takes
# one step per minibatch.
#
# ## Momentum
#
# v_(i+1) = −η∇L(θ_i) + γv_i, θ_(i+1) = θ_i + v_(i+1), with γ = 0.9: `SGD(params, lr, momentum=0.9)`.
# Two steps by hand on L(θ) = ½θ² (so ∇L = θ) from θ₀ = 1 with η = 0.1:

# %%
theta = Value(1.0)
optimizer = SGD([theta], lr=0.1, momentum=0.9)
v, by_hand = 0.0, 1.0
for _ in range(2):
    optimizer.zero_grad()
    (0.5 * theta**2).backward()
    optimizer.step()
    v = -0.1 * by_hand + 0.9 * v  # v_(i+1) = -η ∇L(θ_i) + γ v_i
    by_hand = by_hand + v  # θ_(i+1) = θ_i + v_(i+1)
    assert theta.data == by_hand
print(f"θ after two steps: {theta.data} (by hand: 1 - 0.1 = 0.9, then v = -0.09 - 0.09, 0.9 - 0.18 = {by_hand})")
assert math.isclose(theta.data, 0.72)

# %% [markdown]
# "Imagine rolling a ball (with inertia) down the loss surface": on L(θ) = θ⁴ − 3θ² + θ, starting
# at θ = 2, plain gradient descent stops in the local minimum near θ = 1.13; with momentum the
# ball rolls through it into the global minimum near θ = −1.30.

# %% tags=["nbval-check-output"]
def double_well(t):
    return t**4 - 3 * t**2 + t


paths = {}
for momentum in (0.0, 0.9):
    theta = Value(2.0)
    optimizer = SGD([theta], lr=0.01, momentum=momentum)
    path = [theta.data]
    for _ in range(200):
        optimizer.zero_grad()
        double_well(theta).backward()
        optimizer.step()
        path.append(theta.data)
    paths[momentum] = path

grid = [-2.2 + 4.5 * i / 300 for i in range(301)]
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
left.plot(grid, [double_well(t) for t in grid], color="gray")
for momentum, path in paths.items():
    name = "gradient descent" if momentum == 0 else f"momentum γ = {momentum}"
    left.plot(path, [double_well(t) for t in path], "o-", ms=3, alpha=0.6, label=name)
    right.plot(path, label=name)
left.set_xlabel("θ")
left.set_ylabel("L(θ)")
left.legend(fontsize="small")
right.set_xlabel("step")
right.set_ylabel("θ")
right.legend(fontsize="small")
fig.suptitle("L(θ) = θ⁴ − 3θ² + θ from θ = 2, η = 0.01")
plt.show()
print(f"gradient descent ends at θ = {paths[0.0][-1]:.2f}, momentum 0.9 at θ = {paths[0.9][-1]:.2f}")
assert abs(paths[0.0][-1] - 1.13) < 0.01 and abs(paths[0.9][-1] + 1.30) < 0.01
