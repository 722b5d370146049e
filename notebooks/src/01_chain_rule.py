# %% [markdown]
# # 1 · The chain rule, and backprop on f = z·(x + y)
#
# **What this teaches.** A function is a graph of primitive operations. The forward pass
# computes every node's value; the backward pass starts at the output with ∂f/∂f = 1 and, at
# every node, multiplies the *upstream* gradient by the node's *local* gradient to get the
# *downstream* gradient for its inputs. That is the chain rule, applied node by node.
#
# **Lectures.** `002` (Landwehr, *Neural Networks*): slides "Automatic Differentiation /
# Backpropagation", "Forward Pass" and "Example: Backpropagation" (f(x, y, z) = z(x + y) at
# x = 2, y = 3, z = −2). The one-path chain rule is `000` (Leibe), "Excursion: Chain Rule of
# Differentiation", and `004` (Deep Learning 1, lecture 2), "Better Approach: The Chain Rule".
#
# LECTURES.md row 1.

# %%
from microgradnet import Value, draw_dot, grad, numerical_grad, trace_backward, trace_forward, zero_grad

# %% [markdown]
# ## The chain rule along one path
#
# For z = g(y(x)), dz/dx = dz/dy · dy/dx: the product of the local derivatives along the path
# from x to the output. Every `Value` stores its local derivatives (`local_grads`, computed in
# the forward pass), so the product can be read off the graph. Take f = (3x + 1)² at x = 2:

# %% tags=["nbval-check-output"]
x = Value(2.0, label="x")
y = 3 * x
y.label = "y = 3x"
q = y + 1
q.label = "q = y + 1"
f = q**2
f.label = "f = q²"
f.backward()

for node in (f, q, y):
    print(f"{node.label:10} op {node.op:>3}: local gradient {node.local_grads[0]:g}")
print("product of the local gradients:", f.local_grads[0] * q.local_grads[0] * y.local_grads[0])
print("x.grad after backward():       ", x.grad)
assert x.grad == 2 * (3 * 2 + 1) * 3 == 42.0  # d/dx (3x + 1)^2 = 2(3x + 1)·3

# %% [markdown]
# ## The slide's example: f(x, y, z) = z·(x + y) at (2, 3, −2)
#
# The forward pass flows through the graph: q = x + y = 5, then f = z·q = −10.

# %% tags=["nbval-check-output"]
x, y, z = Value(2.0, label="x"), Value(3.0, label="y"), Value(-2.0, label="z")
q = x + y
q.label = "q"
f = z * q
f.label = "f"

for step in trace_forward(f):
    print(step)
assert (q.data, f.data) == (5.0, -10.0)

# %%
draw_dot(f, show_grad=False)

# %% [markdown]
# The backward pass, one node at a time. Each line is one slide: *upstream × local = downstream*.
# The multiplication gate sends each input the *other* input's value (∂(zq)/∂z = q,
# ∂(zq)/∂q = z); the addition gate passes its upstream gradient through unchanged.

# %% tags=["nbval-check-output"]
for step in trace_backward(f):
    print(step)

# %%
assert f.grad == 1.0  # base case: ∂f/∂f = 1
assert q.grad == -2.0  # ∂f/∂q = z
assert z.grad == 5.0  # ∂f/∂z = q
assert (x.grad, y.grad) == (-2.0, -2.0)  # ∂f/∂x = ∂f/∂q · ∂q/∂x = -2 · 1
print("∇f(2, 3, -2) =", (x.grad, y.grad, z.grad))

# %% [markdown]
# The result as the last slide draws it: every node with its value and its gradient, and on
# each edge the local gradient that backprop multiplied by.

# %%
draw_dot(f, show_local_grads=True)

# %% [markdown]
# ## The gradient as a function, and a check by finite differences
#
# `grad(f)` returns a function that computes the gradient at any point; `numerical_grad`
# estimates the same numbers with central differences (notebook 4 says when that is useful).

# %%
df = grad(lambda x, y, z: z * (x + y))
assert df(2, 3, -2) == (-2.0, -2.0, 5.0)
numeric = numerical_grad(lambda x, y, z: z * (x + y), 2, 3, -2)
assert all(abs(a - n) < 1e-8 for a, n in zip(df(2, 3, -2), numeric))
print("backprop:", df(2, 3, -2))
print("central differences:", tuple(round(n, 6) for n in numeric))

# %% [markdown]
# ## Gradients accumulate
#
# As in PyTorch, `backward()` *adds* to `.grad`: a second call adds the gradient once more.
# Training loops therefore reset the gradients (`zero_grad`) before each backward pass.

# %%
f.backward()
assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 10.0)
zero_grad([x, y, z, q, f])
f.backward()
assert (x.grad, y.grad, z.grad) == (-2.0, -2.0, 5.0)
