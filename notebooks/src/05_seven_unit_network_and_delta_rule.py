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
# L = ½(y − ŷ)²), and `003` (Bießmann), "Error Backpropagation — Simple Example".
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
E = value_max([0.0, -(z[7] * t)])
E.label = "E"
E.backward()
print(f"z7 = {z[7].data:.4f}, E = max(0, -z7·t) = {E.data:.4f}")

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
E_correct = value_max([0.0, -(z[7] * -1.0)])  # t = -1: here z7 < 0 has the right sign
assert E_correct.data == 0.0
zero_grad(w.values())
E_correct.backward()
assert all(v.grad == 0.0 for v in w.values())

# %% [markdown]
# ## The delta rule: tanh hidden units, linear output, L = ½(y − ŷ)²
#
# Lecture `001`'s example: a_j = Σ_i w_ij^(1) x_i (with x0 = 1 for the bias), z_j = tanh(a_j),
# ŷ = Σ_j w_j^(2) z_j (with z0 = 1), and L = ½(y − ŷ)². The deltas:
#
# * output: δ = ∂L/∂ŷ = ŷ − y (the slide writes y − ŷ, but its own update w ← w − η·δ·z needs
#   ŷ − y, as the previous slide and lecture `003` have it);
# * hidden: δ_j = (1 − z_j²)·w_j^(2)·δ (the slide prints "(1 − z_j)²", a typo for 1 − z_j², the
#   derivative of tanh: h'(a) = 1 − h(a)², as the same slide states);
# * weights: ∂L/∂w_ij^(1) = δ_j·x_i and ∂L/∂w_j^(2) = δ·z_j.

# %% tags=["nbval-check-output"]
x = [Value(1.0, label="x0"), Value(0.5, label="x1"), Value(-1.0, label="x2")]
W1 = {(i, j): Value(v, label=f"w1_{i}{j}")
      for (i, j), v in {(0, 1): 0.1, (1, 1): 0.4, (2, 1): -0.6, (0, 2): -0.2, (1, 2): 0.8, (2, 2): 0.3}.items()}
W2 = [Value(v, label=f"w2_{j}") for j, v in enumerate((0.1, -0.8, 0.5))]
y = 1.0

hidden_in = {j: dot([W1[i, j] for i in range(3)], x) for j in (1, 2)}
for j in (1, 2):
    hidden_in[j].label = f"a{j}"
zs = [Value(1.0, label="z0")] + [hidden_in[j].tanh() for j in (1, 2)]
zs[1].label, zs[2].label = "z1", "z2"
y_hat = dot(W2, zs)
y_hat.label = "ŷ"
L = 0.5 * (y - y_hat) ** 2
L.label = "L"
L.backward()

delta = y_hat.data - y
deltas = {j: (1 - zs[j].data ** 2) * W2[j].data * delta for j in (1, 2)}
rows = [("δ = ∂L/∂ŷ", "ŷ - y", delta, y_hat)]
rows += [(f"δ{j} = ∂L/∂a{j}", f"(1 - z{j}²)·w2_{j}·δ", deltas[j], hidden_in[j]) for j in (1, 2)]
rows += [(f"∂L/∂w1_{i}{j}", f"δ{j}·x{i}", deltas[j] * x[i].data, W1[i, j]) for j in (1, 2) for i in range(3)]
rows += [(f"∂L/∂w2_{j}", f"δ·z{j}", delta * zs[j].data, W2[j]) for j in range(3)]

print(f"ŷ = {y_hat.data:.5f}, L = {L.data:.5f}")
print(f"{'':12} {'delta rule':20} {'by hand':>9} {'autodiff':>9}")
for name, formula, value, node in rows:
    print(f"{name:12} {formula:20} {value:9.5f} {node.grad:9.5f}")

# %%
for name, formula, value, node in rows:
    assert math.isclose(value, node.grad, rel_tol=1e-12, abs_tol=1e-15), name
# the printed "(1 - z_j)^2" is not the derivative of tanh: it gives other numbers
typo = (1 - zs[1].data) ** 2 * W2[1].data * delta
assert not math.isclose(typo, hidden_in[1].grad, rel_tol=1e-3)
print(f"δ1 with the typo (1 - z1)²: {typo:.5f}; with 1 - z1²: {deltas[1]:.5f} (autodiff {hidden_in[1].grad:.5f})")
draw_dot(L)

# %% [markdown]
# Finally, the whole gradient against central differences, as a unit test of the derivation:

# %%
def loss(x1, x2, *weights):
    """L as a function of the inputs and the nine weights (the same network, built from scratch)."""
    w1, w2 = weights[:6], weights[6:]
    z1 = (w1[0] + w1[1] * x1 + w1[2] * x2).tanh()
    z2 = (w1[3] + w1[4] * x1 + w1[5] * x2).tanh()
    return 0.5 * (1.0 - (w2[0] + w2[1] * z1 + w2[2] * z2)) ** 2


assert gradcheck(loss, 0.5, -1.0, 0.1, 0.4, -0.6, -0.2, 0.8, 0.3, 0.1, -0.8, 0.5, raise_exception=True)
