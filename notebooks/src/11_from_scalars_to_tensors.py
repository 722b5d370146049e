# %% [markdown]
# # 11 · From scalars to tensors: backprop as matrix products, then PyTorch
#
# **What this teaches.** Where to go after the course. The scalar graph microgradnet builds, one
# node per number, is what the lecture's matrix formulas compute a layer at a time: δ and ∂E/∂W
# from the slide's two formulas, in NumPy, equal the scalar graph's gradients number for number.
# A batch of inputs turns the matrix-vector products into matrix-matrix products. Then the same
# network and the same training steps in PyTorch, whose tensors are exactly these matrices: the
# same numbers, side by side.
#
# **Lectures.** `004` (Deep Learning 1, lecture 2), "Formalization for a Standard Neural Network"
# and "Matrix Formulation" (neuron-wise δ_j = Σ_k δ_k g′(z_k) w_jk and ∂E/∂w_jk = δ_k g′(z_k) a_j;
# layer-wise δ^(l−1) = W^(l−1,l) · (g′(z^(l)) ⊙ δ^(l)) and ∂E/∂W^(l−1,l) = a^(l−1) · (g′(z^(l)) ⊙
# δ^(l))ᵀ; "further vectorization for multiple data points: matrix-matrix products").
#
# Needs PyTorch: `pip install 'microgradnet[torch]'`.

# %%
import numpy as np
import torch

from microgradnet import MLP, SGD, Adam, Layer, Value, draw_dot
from microgradnet import sum as value_sum
from microgradnet.torch_bridge import parameter_grads, parameter_values, torch_optimizer

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## One layer: the scalar graph and its matrix form
#
# A layer of two sigmoid units reading two inputs, E = ½ Σ_k (a_k − t_k)². microgradnet draws one
# node per number: each unit's weighted sum z_k = b_k + Σ_j w_jk a_j is one `dot` node, its
# activation a_k = g(z_k) one more.

# %%
layer = Layer(2, 2, activation="sigmoid", seed=1)
for k, neuron in enumerate(layer.neurons, 1):
    neuron.b.data = 0.1 * k  # a bias that is not 0, so it shows in the numbers
    for j, w in enumerate(neuron.w, 1):
        w.label, neuron.b.label = f"w{j}{k}", f"b{k}"
inputs = [Value(1.0, label="a1"), Value(-2.0, label="a2")]
target = [1.0, 0.0]
outputs = layer(inputs)
for k, out in enumerate(outputs, 1):
    out.label, out.inputs[0].label = f"a'{k}", f"z{k}"  # a'_k = g(z_k); the dot node is z_k
E = 0.5 * value_sum([(out - t) ** 2 for out, t in zip(outputs, target)])
E.label = "E"
E.backward()
draw_dot(E)

# %% [markdown]
# The same layer as matrices. The slide's W^(l−1,l) is d_(l−1) × d_l: row j is input j, column k
# is unit k, entry w_jk. The forward pass is z = Wᵀa + b, a′ = g(z); the backward pass is the
# slide's two formulas with δ = ∂E/∂a′ = a′ − t at the output and g′(z) = g(z)(1 − g(z)):

# %%
W = np.array([[neuron.w[j].data for neuron in layer.neurons] for j in range(2)])  # d_(l-1) x d_l
b = np.array([neuron.b.data for neuron in layer.neurons])
a = np.array([x.data for x in inputs])
z = W.T @ a + b
a_out = 1 / (1 + np.exp(-z))
delta_out = a_out - np.array(target)          # δ^(l) = ∂E/∂a^(l)
local = a_out * (1 - a_out) * delta_out        # g'(z^(l)) ⊙ δ^(l) = ∂E/∂z^(l)
dE_dW = np.outer(a, local)                     # ∂E/∂W^(l-1,l) = a^(l-1) · (g'(z^(l)) ⊙ δ^(l))ᵀ
delta_in = W @ local                           # δ^(l-1) = W^(l-1,l) · (g'(z^(l)) ⊙ δ^(l))

print(f"W =\n{W}\nz = Wᵀa + b = {z}, a' = g(z) = {a_out}, E = {E.data:.4f}\n")
print(f"  {'':13}{'scalar graph (.grad)':>22}{'matrix formula':>22}")
for j in range(2):
    for k in range(2):
        print(f"  {f'∂E/∂w{j + 1}{k + 1}':13}{layer.neurons[k].w[j].grad:+22.15f}{dE_dW[j, k]:+22.15f}")
for j in range(2):
    print(f"  {f'δ{j + 1} = ∂E/∂a{j + 1}':13}{inputs[j].grad:+22.15f}{delta_in[j]:+22.15f}")

# %% [markdown]
# The same numbers: the matrix form computes every product the scalar graph has, a layer at a
# time. The bias is a weight on a constant input 1, so its gradient is g′(z) ⊙ δ itself. Checked
# number for number below; they can differ only in the last bit, because the two add the same
# products in a different order (the engine's `dot` node starts from the bias, NumPy adds it last).

# %%
def largest_difference(scalar, matrix):
    """The largest |scalar - matrix| / |matrix| over all entries (0 where they are equal)."""
    pairs = zip(np.ravel(scalar), np.ravel(matrix))
    return max((abs(s - m) / abs(m) for s, m in pairs if s != m), default=0.0)


checks = {
    "a' = g(z)": ([out.data for out in outputs], a_out),
    "∂E/∂W": ([[layer.neurons[k].w[j].grad for k in range(2)] for j in range(2)], dE_dW),
    "∂E/∂b": ([neuron.b.grad for neuron in layer.neurons], local),
    "δ^(l-1)": ([x.grad for x in inputs], delta_in),
}
for name, (scalar, matrix) in checks.items():
    print(f"{name:10} largest relative difference {largest_difference(scalar, matrix):.1e}")
    assert largest_difference(scalar, matrix) <= 1e-15

# %% [markdown]
# ## Layer by layer through a network
#
# An MLP 3 → 4 tanh → 2 sigmoid. The backward pass is the same two lines for every layer, from
# the output back: g′(z^(l)) ⊙ δ^(l), then ∂E/∂W^(l−1,l) and δ^(l−1). tanh′(z) = 1 − tanh(z)².

# %%
model = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=3)
x, t = [0.5, -1.0, 2.0], [0.0, 1.0]
x_values = [Value(v, label=f"x{i}") for i, v in enumerate(x)]
E = 0.5 * value_sum([(out - tk) ** 2 for out, tk in zip(model(x_values), t)])
E.backward()


def matrices(layer):
    """The slide's W^(l-1,l) (inputs x units) and the bias vector of a microgradnet Layer."""
    W = np.array([[neuron.w[j].data for neuron in layer.neurons] for j in range(layer.nin)])
    return W, np.array([neuron.b.data for neuron in layer.neurons])


g = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
g_prime = {"tanh": lambda a: 1 - a**2, "sigmoid": lambda a: a * (1 - a)}  # g'(z) from a = g(z)

activations = [np.array(x)]  # a^(0), a^(1), a^(2)
for layer in model.layers:
    W, b = matrices(layer)
    activations.append(g[layer.activation](W.T @ activations[-1] + b))

delta = activations[-1] - np.array(t)  # δ^(2) = ∂E/∂a^(2)
gradients = {}
for l in reversed(range(len(model.layers))):  # noqa: E741 - the slide's l
    layer = model.layers[l]
    W, _ = matrices(layer)
    local = g_prime[layer.activation](activations[l + 1]) * delta   # g'(z^(l)) ⊙ δ^(l)
    gradients[l] = np.outer(activations[l], local), local            # ∂E/∂W^(l-1,l), ∂E/∂b^(l)
    delta = W @ local                                                # δ^(l-1)

for l, layer in enumerate(model.layers):  # noqa: E741
    scalar = np.array([[neuron.w[j].grad for neuron in layer.neurons] for j in range(layer.nin)])
    print(f"layer {l + 1}: ∂E/∂W from the scalar graph\n{scalar}")
    print(f"         from the matrix formula\n{gradients[l][0]}\n")
print("δ^(0) = ∂E/∂x from the scalar graph ", np.array([v.grad for v in x_values]))
print("      from the matrix formula", delta)

# %%
worst = 0.0
for l, layer in enumerate(model.layers):  # noqa: E741
    dW, db = gradients[l]
    worst = max(worst, largest_difference([[n.w[j].grad for n in layer.neurons] for j in range(layer.nin)], dW),
                largest_difference([n.b.grad for n in layer.neurons], db))
worst = max(worst, largest_difference([v.grad for v in x_values], delta))
print(f"every ∂E/∂W, ∂E/∂b and δ^(0): largest relative difference {worst:.1e}")
assert worst <= 1e-14

# %% [markdown]
# ## A batch: matrix-matrix products
#
# For N data points the vectors become N-row matrices: A^(l) = g(A^(l−1) W + b), one row per
# point. E = (1/N) Σ_n ½ Σ_k (a_nk − t_nk)², so the output's Δ^(2) = (A^(2) − T)/N, and
# the two formulas become products of matrices; ∂E/∂W sums over the batch inside the product:
# ∂E/∂W^(l−1,l) = A^(l−1)ᵀ (g′(Z^(l)) ⊙ Δ^(l)) and Δ^(l−1) = (g′(Z^(l)) ⊙ Δ^(l)) W^(l−1,l)ᵀ.

# %%
rng = np.random.default_rng(0)
X = rng.normal(size=(5, 3))
T = rng.integers(0, 2, size=(5, 2)).astype(float)


def batch_loss(model, X, T):
    """E = (1/N) Σ_n ½ Σ_k (a_nk - t_nk)² on the scalar graph."""
    terms = [(out - tk) ** 2 for x, t in zip(X.tolist(), T.tolist()) for out, tk in zip(model(x), t)]
    return 0.5 * value_sum(terms) / len(X)


model.zero_grad()
E = batch_loss(model, X, T)
E.backward()

A = [X]
for layer in model.layers:
    W, b = matrices(layer)
    A.append(g[layer.activation](A[-1] @ W + b))  # (N x d_(l-1)) (d_(l-1) x d_l): all points at once
Delta = (A[-1] - T) / len(X)
batch_gradients = {}
for l in reversed(range(len(model.layers))):  # noqa: E741
    layer = model.layers[l]
    W, _ = matrices(layer)
    G = g_prime[layer.activation](A[l + 1]) * Delta     # g'(Z^(l)) ⊙ Δ^(l), N x d_l
    batch_gradients[l] = A[l].T @ G                     # sums over the N points
    Delta = G @ W.T                                     # Δ^(l-1), N x d_(l-1)

print(f"E = {E.data:.6f} (scalar graph) = {0.5 * ((A[-1] - T) ** 2).sum() / len(X):.6f} (matrices)")
for l, layer in enumerate(model.layers):  # noqa: E741
    scalar = [[neuron.w[j].grad for neuron in layer.neurons] for j in range(layer.nin)]
    error = largest_difference(scalar, batch_gradients[l])
    print(f"layer {l + 1}: ∂E/∂W is {batch_gradients[l].shape[0]}x{batch_gradients[l].shape[1]}, "
          f"one product A^({l})ᵀ G over the batch; largest relative difference from the scalar graph {error:.1e}")
    assert error <= 1e-13

# %% [markdown]
# The sum over the five points happens inside the product A^(l−1)ᵀ G; the scalar graph adds each
# point's contribution as its backward pass reaches the weight. Same terms, another order: equal
# to float64 rounding.
#
# ## The same network in PyTorch
#
# `model.to_torch()` returns a `torch.nn.Sequential` in float64 with the same weights. A
# `Linear` layer stores its weight as d_l × d_(l−1), one row per unit: the slide's W^(l−1,l)
# transposed, which is microgradnet's layout (row k = neuron k's weights).

# %%
module = model.to_torch()
print(module)
W1, b1 = matrices(model.layers[0])
assert module[0].weight.detach().numpy().tolist() == W1.T.tolist() and module[0].bias.tolist() == b1.tolist()

X_t, T_t = torch.tensor(X), torch.tensor(T)
E_t = 0.5 * ((module(X_t) - T_t) ** 2).sum() / len(X)
E_t.backward()
print(f"\nE = {E.data!r} (microgradnet)\nE = {E_t.item()!r} (PyTorch)")
print("\n∂E/∂W of layer 2 in the slide's orientation (inputs x units), microgradnet:")
print(batch_gradients[1])
print("PyTorch (weight.grad, transposed):")
print(module[2].weight.grad.numpy().T)

# %%
ours, theirs = [p.grad for p in model.parameters()], parameter_grads(module)
torch_error = largest_difference(ours, theirs)
print(f"{len(ours)} gradients; largest relative difference from PyTorch: {torch_error:.1e}")
assert torch_error <= 1e-12 and abs(E.data - E_t.item()) <= 1e-15

# %% [markdown]
# ## The same training steps
#
# Ten steps of SGD with momentum γ = 0.9 on the batch, in both libraries. microgradnet's momentum is
# the lecture's v ← −η∇L + γv, θ ← θ + v; PyTorch writes b ← γb + ∇L, θ ← θ − ηb. With a constant
# η these are the same steps (v = −ηb); `torch_optimizer` builds the PyTorch optimizer that takes
# them (and maps Adam the same way).

# %%
def train_both(make_optimizer, steps=10):
    """``steps`` steps of the same model and optimizer in microgradnet and PyTorch; (loss, loss, largest Δθ) rows."""
    model = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=3)
    module = model.to_torch()
    optimizer = make_optimizer(model.parameters())
    torch_opt = torch_optimizer(optimizer, module)
    rows = []
    for _ in range(steps):
        optimizer.zero_grad()
        E = batch_loss(model, X, T)
        E.backward()
        optimizer.step()
        torch_opt.zero_grad()
        E_t = 0.5 * ((module(X_t) - T_t) ** 2).sum() / len(X)
        E_t.backward()
        torch_opt.step()
        theta, theta_t = [p.data for p in model.parameters()], parameter_values(module)
        rows.append((E.data, E_t.item(), largest_difference(theta, theta_t)))
    return rows


momentum = train_both(lambda params: SGD(params, lr=0.5, momentum=0.9))
print("step  E microgradnet        E PyTorch            largest relative Δθ")
for step, (E_ours, E_theirs, diff) in enumerate(momentum, 1):
    print(f"{step:4}  {E_ours:.15f}   {E_theirs:.15f}   {diff:.1e}")

# %%
adam = train_both(lambda params: Adam(params, lr=0.05))
worst = max(diff for rows in (momentum, adam) for *_, diff in rows)
print(f"Adam, 10 steps: E {adam[0][0]:.15f} -> {adam[-1][0]:.15f} (microgradnet)")
print(f"                E {adam[0][1]:.15f} -> {adam[-1][1]:.15f} (PyTorch)")
print(f"largest relative Δθ over both runs: {worst:.1e}")
assert worst <= 1e-12 and momentum[-1][0] < momentum[0][0] and adam[-1][0] < adam[0][0]

# %% [markdown]
# The numbers agree to float64's rounding (about 1e-14 relative at worst): the two libraries do
# the same arithmetic, in a different order. A model carries over both ways
# (`MLP.from_torch(module)` brings one back, bit for bit), and on the command line
# `microgradnet export model.json --to torch --out model.py` writes a standalone PyTorch script
# of a saved model that checks itself against microgradnet's outputs when run.
#
# What PyTorch adds is not new calculus: tensors store a whole layer's numbers in one array, so one
# node of its graph is a matrix product instead of thousands of scalar nodes, and that product runs
# in optimised native code.
