# %% [markdown]
# # 3 · Copy nodes and shared parameters: gradients add up
#
# **What this teaches.** When a variable is used in several places, the forward pass *copies*
# its value to every use and the backward pass *adds* the gradients coming back from them.
# Shared parameters are the same thing seen from the parameter: if one number u stands for
# several weights, ∂z/∂u is the sum of ∂z/∂w over the weights it stands for.
#
# **Lectures.** `002` (Landwehr), "Backpropagation from Objective Function": "what if a variable
# occurs in different places within a calculation? Introduce a 'copy' node that copies the
# variable in forward pass and adds the gradients in the backward pass". `004` (Deep Learning 1,
# lecture 2), "Neural Networks with Shared Parameters": the sum
# ∂z7/∂u = ∂z7/∂w13 + ∂z7/∂w24 + ∂z7/∂w36 + ∂z7/∂w57, and the same for v.
#
# LECTURES.md rows 3 and 4.

# %%
import math

from microgradnet import Value, draw_dot, numerical_grad, trace_backward

# %% [markdown]
# ## A variable used twice: f = x·(x + y) at x = 2, y = 3
#
# x feeds the product directly and through q = x + y. By hand: ∂f/∂x = q + x = 5 + 2 = 7 (the
# product rule), ∂f/∂y = x = 2.

# %% tags=["nbval-check-output"]
x, y = Value(2.0, label="x"), Value(3.0, label="y")
q = x + y
q.label = "q"
f = x * q
f.label = "f"

for step in trace_backward(f):  # runs the backward pass, printing each step
    print(step)

# %% [markdown]
# x receives two downstream gradients, 5 (from the product, local gradient q) and 2 (through q,
# upstream x = 2 times local 1); its `.grad` is their sum:

# %%
from_product = f.grad * f.local_grads[0]  # f's inputs are (x, q): local gradient of x is q = 5
through_q = q.grad * q.local_grads[0]  # q's upstream is x = 2, local gradient 1
assert (from_product, through_q) == (5.0, 2.0)
assert x.grad == from_product + through_q == q.data + x.data == 7.0
assert y.grad == x.data == 2.0
draw_dot(f, show_local_grads=True)

# %% [markdown]
# ## The copy node, written out
#
# The engine adds the contributions by itself. To see the slide's copy node, make the copies
# explicit: two nodes `x * 1` that copy x forward. Backward, each copy passes its gradient
# through (local gradient 1) and x adds the two. Same gradient as before.

# %%
x, y = Value(2.0, label="x"), Value(3.0, label="y")
copy1, copy2 = x * 1, x * 1
copy1.label, copy2.label = "copy 1", "copy 2"
q = copy2 + y
q.label = "q"
f = copy1 * q
f.label = "f"
f.backward()
assert (copy1.data, copy2.data) == (2.0, 2.0)  # forward: copies
assert (copy1.grad, copy2.grad) == (5.0, 2.0)  # each copy's own gradient
assert x.grad == copy1.grad + copy2.grad == 7.0  # backward: x adds them
draw_dot(f)

# %% [markdown]
# ## Shared parameters in the 7-unit network
#
# The network of lecture `004`: inputs a1 = x1, a2 = x2; z3 = a1·w13 + a2·w23, z4 = a2·w24,
# z5 = a3·w35, z6 = a3·w36 + a4·w46, z7 = a5·w57 + a6·w67, with a_k = g(z_k) and g the sigmoid.
# The weights are shared: u = w13 = w24 = w36 = w57 and v = w23 = w35 = w46 = w67. As the slide
# says, treat each weight as a "neuron" made from its parameter (w = u · 1, so ∂w/∂u = 1) and
# apply the chain rule one step further. Here at x1 = 1, x2 = −2, u = 0.5, v = −1.

# %% tags=["nbval-check-output"]
SHARED = {"u": ("w13", "w24", "w36", "w57"), "v": ("w23", "w35", "w46", "w67")}


def seven_unit(x1, x2, w):
    """z7 of the 7-unit network, every intermediate node labelled as on the slide."""
    a = {1: x1, 2: x2}
    for k, sources in ((3, (1, 2)), (4, (2,)), (5, (3,)), (6, (3, 4)), (7, (5, 6))):
        z = a[sources[0]] * w[f"w{sources[0]}{k}"]  # z_k = sum over j of a_j * w_jk
        for j in sources[1:]:
            z = z + a[j] * w[f"w{j}{k}"]
        z.label = f"z{k}"
        if k == 7:
            return z
        a[k] = z.sigmoid()
        a[k].label = f"a{k}"


u, v = Value(0.5, label="u"), Value(-1.0, label="v")
params = {"u": u, "v": v}
weights = {}
for name, names in SHARED.items():
    for w in names:
        weights[w] = params[name] * 1  # the weight as a node made from its parameter: dw/du = 1
        weights[w].label = w
x1, x2 = Value(1.0, label="x1"), Value(-2.0, label="x2")
z7 = seven_unit(x1, x2, weights)
z7.backward()

for name, names in SHARED.items():
    first, *rest = (weights[w].grad for w in names)
    terms = f"{first:.4f}" + "".join(f" {'-' if g < 0 else '+'} {abs(g):.4f}" for g in rest)
    print(f"dz7/d{name} = {' + '.join('dz7/d' + w for w in names)}")
    print(f"       = {terms} = {params[name].grad:.4f}")

# %%
for name, names in SHARED.items():
    total = sum(weights[w].grad for w in names)
    assert math.isclose(params[name].grad, total, rel_tol=1e-14)
draw_dot(z7)

# %% [markdown]
# That the sum adds up is the engine agreeing with itself. An independent check: move u (then v) by
# ±h in all four places at once and difference z7 (central differences, no backward pass):

# %% tags=["nbval-check-output"]
def z7_at(u_value, v_value):
    """z7 with every weight set to its shared parameter's value: a forward pass only."""
    return seven_unit(x1, x2, {w: (u_value if w in SHARED["u"] else v_value) for w in SHARED["u"] + SHARED["v"]})


numeric = numerical_grad(z7_at, 0.5, -1.0)
print(f"central differences: dz7/du = {numeric[0]:.6f}, dz7/dv = {numeric[1]:.6f}")
print(f"backprop:            dz7/du = {u.grad:.6f}, dz7/dv = {v.grad:.6f}")
assert (round(numeric[0], 6), round(numeric[1], 6)) == (-0.057986, 0.607125)
assert math.isclose(u.grad, numeric[0], rel_tol=1e-7) and math.isclose(v.grad, numeric[1], rel_tol=1e-8)

# %% [markdown]
# Using u and v themselves in the four places (no weight nodes) gives the same gradients: the
# engine adds the contributions of every use, as it did for x above.

# %%
u2, v2 = Value(0.5, label="u"), Value(-1.0, label="v")
direct = seven_unit(x1, x2, {w: (u2 if w in SHARED["u"] else v2) for names in SHARED.values() for w in names})
direct.backward()
assert direct.data == z7.data
assert math.isclose(u2.grad, u.grad, rel_tol=1e-14) and math.isclose(v2.grad, v.grad, rel_tol=1e-14)
print(f"z7 = {direct.data:.4f}, dz7/du = {u2.grad:.4f}, dz7/dv = {v2.grad:.4f}")
