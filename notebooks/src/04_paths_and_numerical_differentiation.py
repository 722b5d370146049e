# %% [markdown]
# # 4 · Paths versus backprop, and numerical differentiation
#
# **What this teaches.** Two ways to get a gradient without backprop, and why both lose:
#
# 1. **The multivariate chain rule, path by path.** ∂z/∂x is the sum, over every path from x to
#    z, of the product of the local derivatives along the path (the total derivative). In a
#    layered graph the number of paths grows *exponentially* with depth; backprop reuses the
#    partial sums (the δ's) and touches every edge once, *linear* in the size of the graph. Both
#    give the same number.
# 2. **Numerical differentiation.** Finite differences need a forward pass per parameter (one
#    more for the one-sided difference of the slide, two per parameter for central differences)
#    and need float64; they remain the unit test for backprop.
#
# **Lectures.** `000` (Leibe), "Obtaining the Gradients": "Approach 1: Naive Analytical
# Differentiation" (the total derivative sums over all paths; "with increasing depth, there will
# be exponentially many paths") and "Approach 3: Incremental Analytical Differentiation"
# (backprop). `004` (Deep Learning 1, lecture 2): "Naive Approach: Numerical Differentiation"
# (the formula ∂E/∂θ_t = lim (E(θ + ε·δ_t) − E(θ))/ε; needs float64 rather than float32), "The
# Multivariate Chain Rule" (its complexity grows exponentially with the number of layers) and
# "Factor Structure in the Multivariate Chain Rule" (backprop is linear in the size of the
# network). `000`'s "Approach 2: Numerical Differentiation" is a different idea under that title:
# make small changes to the weights and *keep those that improve E* (`001`'s "randomly perturb one
# weight, see if it improves performance"), a search rather than a derivative. It shares the cost
# the notebook measures below, "several forward passes for each weight", but it is not the
# finite-difference formula, which estimates the gradient and lets gradient descent take the step.
#
# LECTURES.md rows 5 and 6. The path counting lives in `microgradnet.analysis`.

# %%
# %matplotlib inline
import math
import struct

import matplotlib.pyplot as plt

from microgradnet import MLP, Value, draw_dot, make_moons, mse, numerical_grad
from microgradnet.analysis import count_edges, count_paths, diamond, enumerate_paths, path_sum_grad

# %% [markdown]
# ## The total derivative is a sum over paths
#
# `analysis.diamond(depth)` builds the layered "diamond" graph: each layer has two nodes that both
# read the previous layer's two, a_k = a_(k−1) · b_(k−1) and b_k = b_(k−1) ^ a_(k−1), starting from
# one leaf x (read twice). Depth 3 at x = 0.5: every way down from the root to x is a path, and
# its term is the product of the local gradients on its edges. a1 = x·x and b1 = x^x read x
# twice, so every route through them ends in two edges, hence two paths: below, the last edge is
# named by the input it feeds, →[1] the first (a1's left factor, b1's base), →[2] the second (a1's
# right factor, b1's exponent).

# %%
root, x = diamond(3, 0.5)
root.backward()
draw_dot(root, show_local_grads=True)

# %% tags=["nbval-check-output"]
paths = enumerate_paths(root, x)
seen = {}

for path in paths:
    parent, leaf = path.nodes[-2], path.nodes[-1]
    route = " → ".join(node.label for node in path.nodes[:-1])
    slots = [i for i, v in enumerate(parent.inputs) if v is leaf]
    if len(slots) > 1:  # the parent reads x twice: name the input this path's last edge feeds
        matching = [i for i in slots if parent.local_grads[i] == path.local_grads[-1]]
        k = seen[route, parent.label] = seen.get((route, parent.label), -1) + 1
        slot = matching[k % len(matching)] if len(matching) > 1 else matching[0]
        route += f" →[{slot + 1}] {leaf.label}"
    else:
        route += f" → {leaf.label}"
    factors = " · ".join(f"{g:.4f}" for g in path.local_grads)
    print(f"{route:32} {factors} = {path.product:+.6f}")
print(f"sum over the {len(paths)} paths: {sum(p.product for p in paths):.12f}")
print(f"backprop, x.grad:           {x.grad:.12f}")

# %%
assert len(paths) == count_paths(root, x) == 2**3
assert math.isclose(path_sum_grad(root, x), x.grad, rel_tol=1e-14)

# %% [markdown]
# ## Paths grow exponentially, edges linearly
#
# `count_paths` counts the paths exactly by dynamic programming (each node passes its count to
# its inputs), so it can count far more paths than anyone could enumerate; `count_edges` is the
# work of backprop, one multiply-add per edge. For the diamond: 2^depth paths, 4·depth − 2 edges.

# %% tags=["nbval-check-output"]
print(f"{'depth':>5} {'paths to x':>26} {'edges (backprop)':>17}")
for depth in (1, 2, 3, 4, 5, 10, 20, 40, 64):
    root, x = diamond(depth)
    paths, edges = count_paths(root, x), count_edges(root)
    assert paths == 2**depth and edges == 4 * depth - 2
    print(f"{depth:>5} {paths:>26,} {edges:>17}")

# %%
depths = list(range(1, 41))
counts = [(count_paths(*diamond(d)), count_edges(diamond(d).root)) for d in depths]
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.semilogy(depths, [p for p, _ in counts], "o-", ms=3, label="paths from the root to x (naive chain rule)")
ax.semilogy(depths, [e for _, e in counts], "s-", ms=3, label="edges (backprop: one multiply-add each)")
ax.set_xlabel("depth of the diamond graph")
ax.set_ylabel("count (log scale)")
ax.set_title("The multivariate chain rule, path by path, vs backprop")
ax.legend()
ax.grid(True, alpha=0.3)
plt.show()

# %% [markdown]
# Counting the multiplications makes the cost concrete: each path of the depth-d diamond has d
# edges, so its product of d local gradients takes d − 1 multiplications, and the path sum does
# (d − 1)·2^d of them (plus 2^d − 1 additions); backprop does one multiplication per edge
# (upstream × local), 4d − 2. They agree on the derivative at every depth, and with central
# differences:

# %% tags=["nbval-check-output"]
print(f"{'depth':>5} {'path-sum mults':>15} {'backprop':>9}  derivative (paths / backprop / differences)")
for depth in (2, 4, 8, 12, 14):
    root, x = diamond(depth)
    paths = enumerate_paths(root, x)
    naive = sum(p.product for p in paths)
    mults = sum(len(p.local_grads) - 1 for p in paths)  # d factors: d - 1 multiplications
    root.backward()
    (numeric,) = numerical_grad(lambda v: diamond(depth, v).root, 0.5)
    assert mults == (depth - 1) * 2**depth
    assert math.isclose(naive, x.grad, rel_tol=1e-12) and math.isclose(naive, numeric, rel_tol=1e-7)
    print(f"{depth:>5} {mults:>15,} {count_edges(root):>9}  {naive:.8f} / {x.grad:.8f} / {numeric:.6f}")

# %% [markdown]
# Enumerating stops being possible long before counting does; `path_sum_grad` refuses rather
# than run for hours:

# %% tags=["nbval-check-output"]
root, x = diamond(30)
root.backward()
try:
    path_sum_grad(root, x)
except ValueError as error:
    message = str(error)

print(message)
print(f"backprop at depth 30: x.grad = {x.grad:.6f}")
assert "1073741824 paths" in message and "max_paths=100000" in message

# %% [markdown]
# ### The same in a network
#
# `MLP(nin, [k1, ..., nout])` is the library's multilayer perceptron: layers of neurons, each
# neuron one `dot` node w·x + b followed by its activation (here tanh), the last layer linear
# (notebook 10 trains them). Lecture `002` draws one as a graph ("Multilayer Perceptrons as
# Graphs", M = 3 inputs, k1 = 4 hidden units, T = 2 outputs); as the scalar graph backprop walks:

# %%
slide_mlp = MLP(3, [4, 2], activation="tanh", seed=0)
inputs = [Value(v, label=f"x{i + 1}") for i, v in enumerate((0.5, -1.0, 2.0))]
for layer, (w_name, b_name) in zip(slide_mlp.layers, (("w", "b"), ("v", "c"))):
    for j, neuron in enumerate(layer.neurons):
        for i, w in enumerate(neuron.w):
            w.label = f"{w_name}{i + 1}{j + 1}"
        neuron.b.label = f"{b_name}{j + 1}"
scores = slide_mlp(inputs)
for k, s in enumerate(scores):
    s.label = f"y{k + 1}"
for j, h in enumerate(scores[0].inputs[2::2]):  # y1 = c1 + Σ_j v_j1·h_j: inputs (c1, v11, h1, v21, h2, …)
    h.label = f"h{j + 1}"
assert len(slide_mlp.parameters()) == 3 * 4 + 4 + 4 * 2 + 2  # W1, b1, W2, b2
both = scores[0] + scores[1]
both.label = "y1 + y2"
draw_dot(both, show_grad=False)

# %% [markdown]
# (The two outputs are joined by a + node only so that one call draws both.) A first-layer
# weight reaches the output through every neuron of every later hidden layer. With D hidden layers
# of width k that is k^(D−1) paths ("Σ_i Σ_j ..." on the slide), while the graph, and so
# backprop's work, grows by one layer's edges per layer.

# %% tags=["nbval-check-output"]
print(f"{'hidden layers':>13} {'paths to w':>11} {'edges':>6}")
for hidden in range(1, 7):
    model = MLP(2, [4] * hidden + [1], activation="tanh", seed=0)
    out = model([0.5, -1.0])
    w = model.layers[0].neurons[0].w[0]  # the first weight of the first hidden neuron
    assert count_paths(out, w) == 4 ** (hidden - 1)
    print(f"{hidden:>13} {count_paths(out, w):>11,} {count_edges(out):>6}")

# %%
model = MLP(2, [4, 4, 4, 1], activation="tanh", seed=0)
out = model([0.5, -1.0])
out.backward()
for w in model.layers[0].neurons[0].w:
    assert math.isclose(path_sum_grad(out, w), w.grad, rel_tol=1e-12)
print("path sum = backprop for the first-layer weights:", [round(w.grad, 6) for w in model.layers[0].neurons[0].w])

# %% [markdown]
# ## Numerical differentiation: one or two forward passes per parameter
#
# The slide's formula is the one-sided difference ∂E/∂θ_t ≈ (E(θ + ε·δ_t) − E(θ))/ε, where δ_t is
# the indicator vector of parameter t: one forward pass per parameter, plus one at θ. The central
# difference (E(θ + ε·δ_t) − E(θ − ε·δ_t))/2ε costs two per parameter but its error shrinks like
# ε² instead of ε (compared below). Either works for any E. `numerical_grad(E, *θ)` takes central
# differences; `mse` is the mean squared error (notebook 8). For a small network, count the
# forward passes:

# %% tags=["nbval-check-output"]
X, y = make_moons(8, noise=0.1, seed=0)
model = MLP(2, [16, 16, 1], activation="tanh", seed=0)
params = model.parameters()
theta = [p.data for p in params]

mse([model(x) for x in X], y).backward()  # one forward and one backward pass give all the gradients
backprop = [p.grad for p in params]

forward_passes = 0


def loss_at(*values):
    """E(θ) with the model's parameters set to ``values``: one forward pass, counted."""
    global forward_passes
    forward_passes += 1
    for p, v in zip(params, values):
        p.data = v.data
    return mse([model(x) for x in X], y)


numeric = numerical_grad(loss_at, *theta)  # perturbs θ by ±ε·δ_t, one parameter t at a time
for p, v in zip(params, theta):
    p.data = v  # put back the point θ
largest = max(abs(a - n) for a, n in zip(backprop, numeric))
print(f"{len(params)} parameters: backprop 1 forward + 1 backward pass, "
      f"central differences {forward_passes} forward passes")
print("largest difference between the two gradients below 1e-8:", largest < 1e-8)
assert forward_passes == 2 * len(params) == 674 and largest < 1e-8

# %% [markdown]
# ## Why float64
#
# "Because ε and the numerator are very small, for numerical differentiation to work, one must use
# high-precision (e.g. float64 rather than float32)." Plain Python floats are float64; to see
# float32, round every intermediate result to float32 with `struct` and differentiate the
# sigmoid neuron of notebook 2 with respect to w0 (exact value σ(1)(1 − σ(1))·x0 = −0.1966), with
# the slide's one-sided difference and with the central one.

# %%
def to_float32(v):
    """v rounded to the nearest float32 (24-bit mantissa), returned as a Python float."""
    return struct.unpack("f", struct.pack("f", v))[0]


def neuron(w0, r=float):
    """1 / (1 + exp(-(w0 x0 + w1 x1 + w2))) at the slide's point, every result rounded by r."""
    x0, x1, w1, w2 = -1.0, -2.0, -3.0, -3.0
    z = r(r(r(r(w0) * x0) + r(w1 * x1)) + w2)
    return r(1 / r(1 + r(math.exp(-z))))


exact = neuron(2.0) * (1 - neuron(2.0)) * -1.0
steps = [10.0**-k for k in range(1, 12)]
errors, one_sided = {}, {}
for name, r in (("float64", float), ("float32", to_float32)):
    errors[name] = [abs((neuron(2.0 + h, r) - neuron(2.0 - h, r)) / (2 * h) - exact) / abs(exact) for h in steps]
    one_sided[name] = [abs((neuron(2.0 + h, r) - neuron(2.0, r)) / h - exact) / abs(exact) for h in steps]

fig, ax = plt.subplots(figsize=(9, 4.5))
for name, color in (("float64", "tab:blue"), ("float32", "tab:orange")):
    ax.loglog(steps, errors[name], "o-", color=color, label=f"central, {name}")
    ax.loglog(steps, one_sided[name], "s--", color=color, alpha=0.7, label=f"one-sided (the slide's), {name}")
ax.axvline(1e-6, color="gray", linestyle=":", label="h = 1e-6 (numerical_grad's default)")
ax.set_xlabel("step h")
ax.set_ylabel("relative error of the difference quotient")
ax.set_title("Finite differences for ∂f/∂w0 in float32 and float64")
ax.invert_xaxis()
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
ax.grid(True, alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# The one-sided error is about h·|f''|/2 (Taylor): with f = σ(z), z = w0·x0 + …, f'' = σ''(z)·x0²
# and σ'' = σ(1 − σ)(1 − 2σ). The central difference cancels that term; its error is of order h².

# %%
s1 = neuron(2.0)
second = s1 * (1 - s1) * (1 - 2 * s1) * (-1.0) ** 2  # f''(w0) = σ''(z)·x0², closed form
for h, err in zip(steps[2:5], one_sided["float64"][2:5]):  # h = 1e-3 … 1e-5: truncation error dominates
    assert math.isclose(err, h * abs(second) / 2 / abs(exact), rel_tol=0.01)
assert all(c < o / 100 for c, o in zip(errors["float64"][2:5], one_sided["float64"][2:5]))

# %% tags=["nbval-check-output"]
at = {name: dict(zip(steps, errs)) for name, errs in errors.items()}
print(f"h = 1e-6: relative error in float64 below 1e-9: {at['float64'][1e-6] < 1e-9}; "
      f"in float32 {at['float32'][1e-6]:.0%}")
print(f"h = 1e-8: relative error in float32 {at['float32'][1e-8]:.0%} (w0 + h rounds back to w0 in float32)")
best = steps[errors["float32"].index(min(errors["float32"]))]
print(f"best float32 error {min(errors['float32']):.0e} (at h = {best:g}); float64 reaches below 1e-10")
assert at["float64"][1e-6] < 1e-9 and at["float32"][1e-6] > 0.1 and at["float32"][1e-8] == 1.0
assert min(errors["float64"]) < 1e-10 < 1e-7 < min(errors["float32"])
