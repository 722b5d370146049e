# %% [markdown]
# # 2 · A sigmoid neuron, stepped through gate by gate
#
# **What this teaches.** Backprop through a real neuron,
# f(x0, x1, w0, w1, w2) = 1 / (1 + exp(−(w0·x0 + w1·x1 + w2))), split into the gates the slide
# draws (×, +, ×(−1), exp, +1, 1/x). Every backward step is *upstream × local = downstream*, and
# the numbers are the slide's: forward 0.73 via 1, −1, 0.37, 1.37; backward −0.53, −0.53, −0.20,
# 0.20, … and the gradient (0.4, −0.6, −0.2, −0.4, 0.2).
#
# **Lecture.** `002` (Landwehr, *Neural Networks*), the slides "Example: Backpropagation — a
# slightly more complex example", at x0 = −1, x1 = −2, w0 = 2, w1 = −3, w2 = −3.
#
# LECTURES.md row 2.

# %%
import math

from microgradnet import Value, dot, draw_dot, gradcheck, show_steps, step_frames, trace_backward, trace_forward

# %% [markdown]
# ## Forward pass
#
# The leaves carry the slide's names; the gates are named by their op, as the slide labels them.

# %% tags=["nbval-check-output"]
x0, x1 = Value(-1.0, label="x0"), Value(-2.0, label="x1")
w0, w1, w2 = Value(2.0, label="w0"), Value(-3.0, label="w1"), Value(-3.0, label="w2")
leaves = (x0, x1, w0, w1, w2)

w0x0 = w0 * x0
w1x1 = w1 * x1
s = w0x0 + w1x1
z = s + w2  # the neuron's weighted sum: 1
neg = -z  # ×(-1): -1
e = neg.exp()  # exp: 0.37
d = e + 1  # +1: 1.37
f = 1 / d  # 1/x: 0.73

for step in trace_forward(f):
    print(step)

# %%
assert [round(v.data, 2) for v in (z, neg, e, d, f)] == [1.0, -1.0, 0.37, 1.37, 0.73]
draw_dot(f, show_grad=False)

# %% [markdown]
# ## Backward pass, one slide per line
#
# Base case ∂f/∂f = 1. Then, for instance, the 1/x gate: local gradient −1/x² = −1/1.37² = −0.53,
# downstream −0.53 · 1 = −0.53; the exp gate: local exp(−1) = 0.37, downstream 0.37 · (−0.53) = −0.20.
# Each printed product uses the numbers as printed, so every line checks by hand, as on the slides.

# %% tags=["nbval-check-output"]
steps = trace_backward(f)

for step in steps:
    print(step)

# %% [markdown]
# A leaf's line shows the gradient it really received: x0 gets 0.39, although the line of its ×
# gate reads 0.20 × 2.00 = 0.40. The exact upstream there is σ(1)(1 − σ(1)) = 0.1966, and
# 0.1966 × 2 = 0.3932; the slide, like the × line, multiplies the rounded 0.2.
#
# The slide's numbers, step by step (upstream, local, downstream at the slide's rounding):

# %%
by_node = {step.node: step for step in steps}


def rounded(values, digits=2):
    return [round(v, digits) for v in values]


assert by_node[f].upstream == 1.0
assert rounded(by_node[f].local) == [-0.53] and by_node[f].local[0] == -1 / d.data**2
assert rounded(by_node[f].downstream) == [-0.53]  # 1/x
assert rounded(by_node[d].local) == [1.0] and rounded(by_node[d].downstream) == [-0.53]  # +1
assert by_node[e].local == (math.exp(-1),) and rounded(by_node[e].downstream) == [-0.20]  # exp
assert by_node[neg].local == (-1.0,) and rounded(by_node[neg].downstream) == [0.20]  # ×(-1)
assert rounded(by_node[z].downstream) == [0.20, 0.20]  # + (with w2)
assert rounded(by_node[s].downstream) == [0.20, 0.20]  # + (the two products)
# ×: the slide multiplies the rounded upstream 0.2 by the other input: (-1)(0.2), 2(0.2), (-2)(0.2), (-3)(0.2)
assert by_node[w0x0].local == (-1.0, 2.0) and by_node[w1x1].local == (-2.0, -3.0)
assert rounded(by_node[w0x0].downstream, 1) == [-0.2, 0.4]
assert rounded(by_node[w1x1].downstream, 1) == [-0.4, -0.6]

# %% [markdown]
# The same pass as pictures: one frame per backward step, the current gate highlighted in red,
# gradients filled in as they become known.

# %%
frames = step_frames(f)
assert len(frames) == len(steps) == 13
show_steps(frames)

# %% [markdown]
# The frame of the exp gate (upstream −0.53, local 0.37, downstream −0.20):

# %%
frames[2]

# %% [markdown]
# ## The gradient
#
# "Note ordering of arguments": the slide lists ∇f in the order (x0, x1, w0, w1, w2), to one
# decimal; the exact values are 0.1966 times (w0, w1, x0, x1, 1).

# %% tags=["nbval-check-output"]
gradient = tuple(leaf.grad for leaf in leaves)
print(f"∇f(-1, -2, 2, -3, -3) = {tuple(round(g, 1) for g in gradient)} (the slide, one decimal)")
print(f"                 exact: {tuple(round(g, 4) for g in gradient)}")
assert rounded(gradient, 1) == [0.4, -0.6, -0.2, -0.4, 0.2]
dsigma = f.data * (1 - f.data)  # σ'(z) = σ(z)(1 - σ(z)) at z = 1: 0.1966
assert all(math.isclose(g, dsigma * v, rel_tol=1e-14) for g, v in zip(gradient, (w0.data, w1.data, x0.data, x1.data, 1)))
draw_dot(f)

# %% [markdown]
# ## One sigmoid gate does the same
#
# The four gates after the weighted sum z, ×(−1), exp, +1 and 1/x, together compute σ(z) =
# 1/(1 + e^(−z)). Their product of local gradients, −0.53 · 1 · 0.37 · (−1) = 0.20, is σ's own
# local gradient σ(z)(1 − σ(z)) = 0.73 · 0.27 = 0.20: the same 0.20 the step-by-step pass reached
# at the + gate. A library
# neuron computes w·x + b as one `dot` node followed by one activation node:

# %%
x0, x1 = Value(-1.0, label="x0"), Value(-2.0, label="x1")
w0, w1, w2 = Value(2.0, label="w0"), Value(-3.0, label="w1"), Value(-3.0, label="w2")
out = dot([w0, w1], [x0, x1], start=w2).sigmoid()
out.backward()
assert round(out.local_grads[0], 2) == 0.20 and out.local_grads[0] == out.data * (1 - out.data)
four_gates = f.local_grads[0] * d.local_grads[0] * e.local_grads[0] * neg.local_grads[0]  # 1/x, +1, exp, ×(-1)
assert math.isclose(four_gates, math.exp(-1) / (1 + math.exp(-1)) ** 2, rel_tol=1e-14)  # σ'(1) in closed form
assert [round(v.grad, 1) for v in (x0, x1, w0, w1, w2)] == [0.4, -0.6, -0.2, -0.4, 0.2]
assert all(math.isclose(a.grad, g, rel_tol=1e-15) for a, g in zip((x0, x1, w0, w1, w2), gradient))
draw_dot(out, show_local_grads=True)

# %% [markdown]
# And a check against central differences over all five arguments:

# %%
assert gradcheck(lambda x0, x1, w0, w1, w2: 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp()), -1, -2, 2, -3, -3)
