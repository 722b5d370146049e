# %% [markdown]
# # 5 · The worked-through 7-unit network, and the delta rule
#
# **What this teaches.** The backpropagation equations the slides derive by hand, δ by δ, are
# exactly what autodiff computes: every hand-derived δ and ∂E/∂w below is compared with the
# `.grad` that `backward()` leaves on the same node.
#
# **Lectures.** `004` (Deep Learning 1, lecture 2), "Worked through Example" (a 7-unit network
# with E = max(0, −z7·t)) and "Formalization for a Standard Neural Network". `001` (Trivedi &
# Kondor, lecture 3), "Backpropagation: example" (tanh hidden units, linear output,
# L = ½(y − ŷ)²) and "Multidimensional output" (δ_j = h'(a_j)·Σ_k w_jk δ_k), and `003` (Bießmann),
# "Error Backpropagation — Simple Example" (logistic hidden units).
#
# LECTURES.md rows 7 and 8.

# %%
import math

from microgradnet import Value, dot, draw_dot, gradcheck, zero_grad
from microgradnet import max as value_max

# %% [markdown]
# ## The 7-unit network, E = max(0, −z7·t)
#
# Forward pass, as on the slide: a1 = x1, a2 = x2, z3 = a1·w13 + a2·w23, z4 = a2·w24,
# z5 = a3·w35, z6 = a3·w36 + a4·w46, z7 = a5·w57 + a6·w67, with a_k = g(z_k). The slide leaves g
# open; here g is the sigmoid, so g'(z) = g(z)(1 − g(z)). The numbers (x1 = 1, x2 = −2, t = 1
# and the weights) are the ones `microgradnet example seven-unit` uses.
#
# E is written max(−z7·t, 0), in that order, as `Perceptron.loss` writes it: at the kink −z7·t = 0
# the engine's `max` sends the gradient to its *first* largest input, so this order makes the
# boundary count as a mistake (the library's convention, notebook 6). Here −z7·t > 0, away from
# the kink, and both orders give the same numbers.

# %%
WEIGHTS = {"w13": 0.5, "w23": -1.0, "w24": 1.5, "w35": 2.0, "w36": -1.0, "w46": 1.0, "w57": -1.5, "w67": 0.5}
w = {name: Value(value, label=name) for name, value in WEIGHTS.items()}
x1, x2, t = Value(1.0, label="x1"), Value(-2.0, label="x2"), 1.0

a = {1: x1, 2: x2}
z = {}
for k, sources in ((3, (1, 2)), (4, (2,)), (5, (3,)), (6, (3, 4)), (7, (5, 6))):
    z[k] = a[sources[0]] * w[f"w{sources[0]}{k}"]  # z_k = sum over j of a_j w_jk
    for j in sources[1:]:
        z[k] = z[k] + a[j] * w[f"w{j}{k}"]
    z[k].label = f"z{k}"
    if k < 7:
        a[k] = z[k].sigmoid()
        a[k].label = f"a{k}"
E = value_max([-(z[7] * t), 0.0])
E.label = "E"
E.backward()
print(f"z7 = {z[7].data:.4f}, E = max(-z7·t, 0) = {E.data:.4f}")

# %%
draw_dot(E)

# %% [markdown]
# ## Backward pass by hand, exactly as the slide writes it
#
# δ7 = ∂E/∂z7 = I(−z7·t > 0)·(−t); then δ_j = ∂E/∂a_j, propagated from unit to unit:

# %% tags=["nbval-check-output"]
def g_prime(k):
    return a[k].data * (1 - a[k].data)  # sigmoid'(z_k) = g(z_k)(1 - g(z_k))


W = {name: v.data for name, v in w.items()}
A = {k: v.data for k, v in a.items()}

delta7 = (1.0 if -z[7].data * t > 0 else 0.0) * (-t)
delta6 = delta7 * W["w67"]
delta5 = delta7 * W["w57"]
delta4 = delta6 * g_prime(6) * W["w46"]
delta3 = delta6 * g_prime(6) * W["w36"] + delta5 * g_prime(5) * W["w35"]

hand = {  # (formula, value by hand, the node whose .grad autodiff filled in)
    "δ7 = ∂E/∂z7": ("I(-z7·t > 0)·(-t)", delta7, z[7]),
    "δ6 = ∂E/∂a6": ("δ7·w67", delta6, a[6]),
    "δ5 = ∂E/∂a5": ("δ7·w57", delta5, a[5]),
    "δ4 = ∂E/∂a4": ("δ6·g'(z6)·w46", delta4, a[4]),
    "δ3 = ∂E/∂a3": ("δ6·g'(z6)·w36 + δ5·g'(z5)·w35", delta3, a[3]),
    "∂E/∂w67": ("δ7·a6", delta7 * A[6], w["w67"]),
    "∂E/∂w57": ("δ7·a5", delta7 * A[5], w["w57"]),
    "∂E/∂w46": ("δ6·g'(z6)·a4", delta6 * g_prime(6) * A[4], w["w46"]),
    "∂E/∂w36": ("δ6·g'(z6)·a3", delta6 * g_prime(6) * A[3], w["w36"]),
    "∂E/∂w35": ("δ5·g'(z5)·a3", delta5 * g_prime(5) * A[3], w["w35"]),
    "∂E/∂w24": ("δ4·g'(z4)·a2", delta4 * g_prime(4) * A[2], w["w24"]),
    "∂E/∂w23": ("δ3·g'(z3)·a2", delta3 * g_prime(3) * A[2], w["w23"]),
    "∂E/∂w13": ("δ3·g'(z3)·a1", delta3 * g_prime(3) * A[1], w["w13"]),
}

print(f"{'':13} {'slide formula':31} {'by hand':>9} {'autodiff':>9}")
for name, (formula, value, node) in hand.items():
    print(f"{name:13} {formula:31} {value:9.5f} {node.grad:9.5f}")

# %%
for name, (formula, value, node) in hand.items():
    assert math.isclose(value, node.grad, rel_tol=1e-12, abs_tol=1e-15), name
assert (z[7].grad, a[6].grad, a[5].grad) == (-1.0, -0.5, 1.5)  # δ7 = -t (a mistake), δ6 = δ7·0.5, δ5 = δ7·(-1.5)

# %% [markdown]
# The general rule the slide extracts, δ_j = Σ_k δ_k·g'(z_k)·w_jk and ∂E/∂w_jk = δ_k·g'(z_k)·a_j,
# is what backprop does at every unit. And when the point is classified correctly (−z7·t ≤ 0),
# the indicator is 0 and every gradient vanishes, as for the perceptron (notebook 6):

# %%
E_correct = value_max([-(z[7] * -1.0), 0.0])  # t = -1: here z7 < 0 has the right sign
assert E_correct.data == 0.0
zero_grad(w.values())
E_correct.backward()
assert all(v.grad == 0.0 for v in w.values())

# %% [markdown]
# ## The delta rule: tanh hidden units, linear outputs, L = ½ Σ_k (y_k − ŷ_k)²
#
# Lecture `001`'s example, with its "Multidimensional output" slide: two outputs, so that the sum
# over the units a hidden unit feeds is really a sum. a_j = Σ_i w_ij^(1) x_i (with x0 = 1 for the
# bias), z_j = tanh(a_j), ŷ_k = Σ_j w_jk^(2) z_j (with z0 = 1), and L = ½ Σ_k (y_k − ŷ_k)². The deltas:
#
# * output: δ_k = ∂L/∂ŷ_k = ŷ_k − y_k (the slide writes y_k − ŷ_k, but its own update
#   w ← w − η·δ·z needs ŷ − y, as the previous slide and lecture `003` have it);
# * hidden: δ_j = (1 − z_j²)·Σ_k w_jk^(2) δ_k (the slide prints "(1 − z_j)²", a typo for 1 − z_j²,
#   the derivative of tanh: h'(a) = 1 − h(a)², as the same slide states);
# * weights: ∂L/∂w_ij^(1) = δ_j·x_i and ∂L/∂w_jk^(2) = δ_k·z_j.
#
# The slide then updates w ← w − η·δ·z and calls η "the weight decay": η is the *learning rate*
# (the step size); weight decay is the L2 penalty of notebook 9.

# %%
x = [Value(1.0, label="x0"), Value(0.5, label="x1"), Value(-1.0, label="x2")]
W1 = {(i, j): Value(v, label=f"w1_{i}{j}")
      for (i, j), v in {(0, 1): 0.1, (1, 1): 0.4, (2, 1): -0.6, (0, 2): -0.2, (1, 2): 0.8, (2, 2): 0.3}.items()}
W2 = {(j, k): Value(v, label=f"w2_{j}{k}")
      for (j, k), v in {(0, 1): 0.1, (1, 1): -0.8, (2, 1): 0.5, (0, 2): -0.3, (1, 2): 0.6, (2, 2): 0.9}.items()}
targets = {1: 1.0, 2: -0.5}

hidden_in = {j: dot([W1[i, j] for i in range(3)], x) for j in (1, 2)}
for j in (1, 2):
    hidden_in[j].label = f"a{j}"
zs = [Value(1.0, label="z0")] + [hidden_in[j].tanh() for j in (1, 2)]
zs[1].label, zs[2].label = "z1", "z2"
y_hat = {k: dot([W2[j, k] for j in range(3)], zs) for k in (1, 2)}
for k in (1, 2):
    y_hat[k].label = f"ŷ{k}"
L = 0.5 * ((targets[1] - y_hat[1]) ** 2 + (targets[2] - y_hat[2]) ** 2)
L.label = "L"
L.backward()

delta = {k: y_hat[k].data - targets[k] for k in (1, 2)}
deltas = {j: (1 - zs[j].data ** 2) * sum(W2[j, k].data * delta[k] for k in (1, 2)) for j in (1, 2)}
rows = [(f"δ{k} = ∂L/∂ŷ{k}", f"ŷ{k} - y{k}", delta[k], y_hat[k]) for k in (1, 2)]
rows += [(f"δ_{j} = ∂L/∂a{j}", f"(1 - z{j}²)·Σ_k w2_{j}k·δk", deltas[j], hidden_in[j]) for j in (1, 2)]
rows += [(f"∂L/∂w1_{i}{j}", f"δ_{j}·x{i}", deltas[j] * x[i].data, W1[i, j]) for j in (1, 2) for i in range(3)]
rows += [(f"∂L/∂w2_{j}{k}", f"δ{k}·z{j}", delta[k] * zs[j].data, W2[j, k]) for k in (1, 2) for j in range(3)]

# %% tags=["nbval-check-output"]
print(f"ŷ = ({y_hat[1].data:.5f}, {y_hat[2].data:.5f}), L = {L.data:.5f}")
print(f"{'':13} {'delta rule':25} {'by hand':>9} {'autodiff':>9}")
for name, formula, value, node in rows:
    print(f"{name:13} {formula:25} {value:9.5f} {node.grad:9.5f}")

# %%
for name, formula, value, node in rows:
    assert math.isclose(value, node.grad, rel_tol=1e-12, abs_tol=1e-15), name
one_output = {j: (1 - zs[j].data ** 2) * W2[j, 1].data * delta[1] for j in (1, 2)}  # the sum cut to its first term
assert all(not math.isclose(one_output[j], hidden_in[j].grad, rel_tol=1e-3) for j in (1, 2))
# the printed "(1 - z_j)^2" is not the derivative of tanh: it gives other numbers
typo = (1 - zs[1].data) ** 2 * sum(W2[1, k].data * delta[k] for k in (1, 2))
assert not math.isclose(typo, hidden_in[1].grad, rel_tol=1e-3)
print(f"δ_1 with the typo (1 - z1)²: {typo:.5f}; with 1 - z1²: {deltas[1]:.5f} (autodiff {hidden_in[1].grad:.5f})")
print(f"δ_1 from output 1 alone: {one_output[1]:.5f}: both outputs' δk are needed")
draw_dot(L)

# %% [markdown]
# ## Lecture 003's example: logistic hidden units
#
# `003` ("Error Backpropagation — Simple Example") uses the same network with the logistic
# φ(a) = 1/(1 + e^(−a)) in the hidden layer: a_j = Σ_i w_ji x_i, z_j = φ(a_j), ŷ_k = Σ_j w_kj z_j,
# J = ½(ŷ − y)², and writes δ_j = φ'(z_j) Σ_k w_kj δ_k = φ(z_j)(1 − φ(z_j)) Σ_k w_kj δ_k. The
# derivative belongs at the unit's input a_j: φ'(a_j) = φ(a_j)(1 − φ(a_j)) = z_j(1 − z_j), written
# with the activation z_j. Read literally, φ(z_j)(1 − φ(z_j)) applies φ twice and gives other numbers:

# %%
sig_in = {j: dot([W1[i, j] for i in range(3)], x) for j in (1, 2)}
sig = [Value(1.0)] + [sig_in[j].sigmoid() for j in (1, 2)]
outs = {k: dot([W2[j, k] for j in range(3)], sig) for k in (1, 2)}
J = 0.5 * ((outs[1] - targets[1]) ** 2 + (outs[2] - targets[2]) ** 2)
J.backward()
dk = {k: outs[k].data - targets[k] for k in (1, 2)}  # δ_k = ŷ_k - y_k, as 003 writes it


def phi(v):
    return 1 / (1 + math.exp(-v))


meant = {j: sig[j].data * (1 - sig[j].data) * sum(W2[j, k].data * dk[k] for k in (1, 2)) for j in (1, 2)}
literal = {j: phi(sig[j].data) * (1 - phi(sig[j].data)) * sum(W2[j, k].data * dk[k] for k in (1, 2)) for j in (1, 2)}
for j in (1, 2):
    assert math.isclose(meant[j], sig_in[j].grad, rel_tol=1e-12)  # z_j(1 - z_j): what backprop computes
    assert not math.isclose(literal[j], sig_in[j].grad, rel_tol=1e-2)

# %% tags=["nbval-check-output"]
for j in (1, 2):
    print(f"δ_{j}: z_{j}(1 - z_{j})·Σ = {meant[j]:.5f} (autodiff {sig_in[j].grad:.5f}); "
          f"φ(z_{j})(1 - φ(z_{j}))·Σ read literally = {literal[j]:.5f}")

# %% [markdown]
# Finally, the whole gradient against central differences, as a unit test of the derivation:

# %%
def loss(x1, x2, *weights):
    """L as a function of the inputs and the twelve weights (the same network, built from scratch)."""
    w1, w2 = weights[:6], weights[6:]
    z1 = (w1[0] + w1[1] * x1 + w1[2] * x2).tanh()
    z2 = (w1[3] + w1[4] * x1 + w1[5] * x2).tanh()
    y1 = w2[0] + w2[1] * z1 + w2[2] * z2
    y2 = w2[3] + w2[4] * z1 + w2[5] * z2
    return 0.5 * ((1.0 - y1) ** 2 + (-0.5 - y2) ** 2)


assert gradcheck(loss, 0.5, -1.0, 0.1, 0.4, -0.6, -0.2, 0.8, 0.3, 0.1, -0.8, 0.5, -0.3, 0.6, 0.9,
                 raise_exception=True)
