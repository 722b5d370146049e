# %% [markdown]
# # 7 · XOR: a linear model cannot, one hidden ReLU layer can
#
# **What this teaches.** On the four XOR points a linear model f(x) = w·x + b fit by least
# squares outputs ½ everywhere (the normal equations give w = 0, b = ½). One hidden layer of
# ReLUs fixes that: the slide's hand-set network outputs exactly [0, 1, 1, 0], and an MLP
# trained by gradient descent finds such weights by itself (when it does not get stuck in a
# local minimum: the loss is not convex).
#
# **Lectures.** `001` (Trivedi & Kondor, lecture 3): "Back to XOR", "Linear Model" (normal
# equations give w = 0 and b = ½), "Solving XOR", "A Solution" (W = [[1, 1], [1, 1]],
# c = [0, −1], w = [1, −2], b = 0). `000` (Leibe), "Limitations of Perceptrons" (classic
# example: XOR).
#
# LECTURES.md row 10.

# %% tags=["nbval-check-output"]
# %matplotlib inline
from fractions import Fraction

import matplotlib.pyplot as plt

from microgradnet import MLP, Value, fit, gradient_descent, make_xor, mse, no_grad

X, y = make_xor()  # the four corners of the truth table
for x, target in zip(X, y):
    print(f"A = {x[0]:g}, B = {x[1]:g}  ->  {target}")

# %% [markdown]
# ## The linear model and the normal equations, in plain Python
#
# With a column of ones for the bias, the design matrix is X̃ = [1, x1, x2] and least squares
# solves X̃ᵀX̃ θ = X̃ᵀy. In exact fractions, by Gaussian elimination:

# %% tags=["nbval-check-output"]
def solve(A, rhs):
    """Solve A θ = rhs exactly (Gauss-Jordan elimination over Fractions; A square and invertible)."""
    n = len(A)
    M = [[Fraction(v) for v in row] + [Fraction(r)] for row, r in zip(A, rhs)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if M[r][col] != 0)
        M[col], M[pivot] = M[pivot], M[col]
        M[col] = [v / M[col][col] for v in M[col]]
        for r in range(n):
            if r != col:
                M[r] = [a - M[r][col] * b for a, b in zip(M[r], M[col])]
    return [row[-1] for row in M]


design = [[1, *x] for x in X]  # rows [1, x1, x2]
XtX = [[sum(row[i] * row[j] for row in design) for j in range(3)] for i in range(3)]
Xty = [sum(row[i] * target for row, target in zip(design, y)) for i in range(3)]
b, w1, w2 = solve(XtX, Xty)

print("X̃ᵀX̃ =", [[int(v) for v in row] for row in XtX], " X̃ᵀy =", [int(v) for v in Xty])
print(f"b = {b}, w = ({w1}, {w2})")
print("outputs:", [str(b + w1 * x[0] + w2 * x[1]) for x in X])
assert (b, w1, w2) == (Fraction(1, 2), 0, 0)

# %% [markdown]
# Gradient descent on the same squared loss arrives at the same place. `mse(outputs, targets)` is
# the mean squared error, here the slide's J(θ) = ¼ Σ (f*(x) − f(x; θ))²; `gradient_descent(loss,
# params, lr, tol)` repeats θ ← θ − η∇J(θ) until J falls by less than `tol` in a step (lecture
# `002`'s algorithm with its stopping rule; notebook 9 shows it raising "not converged"):

# %%
gw1, gw2, gb = Value(0.0, label="w1"), Value(0.0, label="w2"), Value(0.0, label="b")
losses = gradient_descent(lambda: mse([gw1 * x[0] + gw2 * x[1] + gb for x in X], y), [gw1, gw2, gb],
                          lr=0.5, tol=1e-15)
print(f"{len(losses) - 1} steps: w = ({gw1.data:.6f}, {gw2.data:.6f}), b = {gb.data:.6f}, loss {losses[-1]:.6f}")
assert abs(gw1.data) < 1e-6 and abs(gw2.data) < 1e-6 and abs(gb.data - 0.5) < 1e-6
assert abs(losses[-1] - 0.25) < 1e-12  # J = 1/4 Σ (y - 1/2)^2 = 1/4

# %% [markdown]
# ## The slide's hand-set ReLU network
#
# f(x) = wᵀ max{0, Wᵀx + c} + b with W = [[1, 1], [1, 1]], c = [0, −1], w = [1, −2], b = 0.
# As a library model: `MLP(2, [2, 1])`, ReLU hidden layer, linear output, with those weights
# written into its parameters (hidden neuron j has weights W[·][j] and bias c_j).

# %% tags=["nbval-check-output"]
W, c, w_out, b_out = [[1.0, 1.0], [1.0, 1.0]], [0.0, -1.0], [1.0, -2.0], 0.0
hand = MLP(2, [2, 1], activation="relu", output_activation="linear", seed=0)
hidden, output = hand.layers
for j, neuron in enumerate(hidden.neurons):
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = W[0][j], W[1][j], c[j]
output.neurons[0].w[0].data, output.neurons[0].w[1].data = w_out
output.neurons[0].b.data = b_out

with no_grad():
    pre = [[n.w[0].data * x[0] + n.w[1].data * x[1] + n.b.data for n in hidden.neurons] for x in X]
    rectified = [[max(0.0, v) for v in row] for row in pre]
    outputs = [hand(x).data for x in X]

print("XW + c          =", pre)
print("max{0, XW + c}  =", rectified)
print("wᵀ max{...} + b =", outputs)
assert outputs == [0.0, 1.0, 1.0, 0.0]

# %% [markdown]
# ## An MLP learns XOR by gradient descent
#
# Same architecture family, `MLP(2, [4, 1])` with ReLU hidden units, trained on the squared loss
# from random initial weights. `fit(model, X, y, loss="mse", epochs=500, lr=0.1)` is the library's
# training loop: here, with no batch size, full-batch gradient descent, each epoch one step
# θ ← θ − η∇L(θ) on the mean loss over the four points (notebook 9 takes it apart: minibatches,
# momentum, validation, early stopping). Whether gradient descent reaches zero loss depends on the start:
# the loss is not convex, and a ReLU that is off for all four points gets no gradient ("dead").
# Six seeds:

# %% tags=["nbval-check-output"]
results = {}
for seed in range(6):
    model = MLP(2, [4, 1], activation="relu", seed=seed)
    history = fit(model, X, y, loss="mse", epochs=500, lr=0.1, progress=False)
    with no_grad():
        results[seed] = (model, [model(x).data for x in X])
    print(f"seed {seed}: final loss {history.loss[-1]:.4f}, outputs {[round(v, 2) for v in results[seed][1]]}")

# %%
trained, trained_outputs = results[1]
assert all(abs(out - target) < 1e-3 for out, target in zip(trained_outputs, y))
assert sum(all(abs(o - t) < 1e-3 for o, t in zip(outs, y)) for _, outs in results.values()) >= 3

# %% [markdown]
# The three models' outputs over the plane, with the line f(x) = ½ in black and the four points
# on top (white: XOR = 1, black: XOR = 0):

# %%
grid = [i / 50 * 1.5 - 0.25 for i in range(51)]


def surface(f):
    with no_grad():
        return [[f([a, b]) for a in grid] for b in grid]


models = {
    "linear model: w = 0, b = ½": lambda x: float(b + w1 * x[0] + w2 * x[1]),
    "hand-set ReLU network": lambda x: hand(x).data,
    "trained MLP(2, [4, 1]), seed 1": lambda x: trained(x).data,
}
fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
for ax, (title, f) in zip(axes, models.items()):
    values = surface(f)
    image = ax.imshow(values, origin="lower", extent=(grid[0], grid[-1], grid[0], grid[-1]), cmap="RdBu_r",
                      vmin=-0.5, vmax=1.5)
    if max(map(max, values)) > 0.5 > min(map(min, values)):
        ax.contour(grid, grid, values, levels=[0.5], colors="black")
    for x, target in zip(X, y):
        ax.scatter(*x, s=120, color="white" if target else "black", edgecolors="black", zorder=3)
    ax.set_title(title)
    ax.set_xlabel("$x_1$")
axes[0].set_ylabel("$x_2$")
fig.colorbar(image, ax=axes, label="output f(x)", shrink=0.9)
plt.show()
