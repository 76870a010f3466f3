# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Why a neural network's loss is not convex: a course in one notebook
#
# This notebook follows symcert's handouts in order: the swap of two hidden units, the proof that it is
# a symmetry, the chord certificate, the curvature along the segment, the orbit argument, a sign flip,
# a ReLU rescaling, convex regression as the contrast, the certified barrier, a certified path around it,
# certified eigenvalues at a saddle, a network trained on the bundled digits, and the channels of a CNN.
# Every inequality below is decided by interval arithmetic from exact rational inputs; the
# curves in the plots are float64 pictures, the error bars and bands are the certified numbers.
#
# Run it top to bottom (about half a minute). Needs `pip install -e '.[plot,notebook,sklearn]'`.

# %%
# %matplotlib inline
from fractions import Fraction

import numpy as np
from IPython.display import Markdown, display

import symcert
from symcert import (
    MLP,
    Dataset,
    Loss,
    certify_barrier,
    certify_nonconvexity,
    certify_path,
    certify_saddle,
    check,
    default_example,
    flip,
    prove_convexity,
    prove_invariance,
    rescale,
)
from symcert.handouts.self_check import check_answer, key_exercise
from symcert.models.cnn import cnn_graph, digit_images
from symcert.models.digits import digits_example
from symcert.numeric.graph import GraphLoss
from symcert.numeric.rounding import outward_interval
from symcert.proofs.graph_chord import certify_graph_chord
from symcert.proofs.graph_invariance import prove_graph_invariance
from symcert.proofs.moves import simsek_contrast
from symcert.symbolic.graph import Permute, derive_symmetries
from symcert.symbolic.graph.spec import random_parameters
from symcert.symbolic.saddle_example import saddle_example

# %% [markdown]
# ## 1. The swap
#
# A 1-2-1 tanh network. Its hidden units can be permuted, and (tanh being odd) sign-flipped: the
# symmetry group has order $2! \cdot 2^2 = 8$. The teacher point $A$ generated the data, so $L(A) = 0$.

# %%
example = default_example()
loss, A, g = example.loss, example.teacher, example.element
B = g(A)
print(loss.describe())
print("A      =", A)
print("B = gA =", B, " with g =", g)
display(loss.mlp.symmetry_group())

# %% [markdown]
# ## 2. The swap is a symmetry: a symbolic proof
#
# The prover writes the loss with an abstract activation, applies $g$ as a substitution and compares
# canonical forms.

# %%
invariance = prove_invariance(loss, g)
print(invariance.status)
display(invariance)

# %% [markdown]
# ## 3. The chord certificate
#
# $B = gA$ is a second global minimum, yet the midpoint $M = (A + B)/2$ fits the data strictly worse:
# $L(M) > \frac12(L(A) + L(B))$, which convexity forbids. The certificate is data; the independent
# checker re-proves it from the statement alone.

# %%
chord = certify_nonconvexity(loss, A, element=g, kind="chord")
display(chord)
print("independent checker:", check(chord.to_dict()).accepted)
symcert.plot(chord)

# %% [markdown]
# ## 4. Curvature along the segment
#
# Along $\varphi(t) = L(A + t(B - A))$ the midpoint is a strict local maximum: $\varphi''(1/2) < 0$.
# The green parabolas osculate $\varphi$ at $t = 1/2$ with the two certified endpoints of $\varphi''$.

# %%
curvature = certify_nonconvexity(loss, A, element=g, kind="curvature")
display(curvature)
symcert.plot(curvature)

# %% [markdown]
# ## 5. The orbit argument
#
# Averaging $A$ over all permutations of the hidden layer makes the units identical (a width-1
# network). Convexity would give $L(\mathrm{mean}) \le L(A)$; the certificate shows the opposite.

# %%
orbit = certify_nonconvexity(loss, A, element=g, kind="orbit")
display(orbit)
symcert.plot(orbit)

# %% [markdown]
# ## 6. A sign flip
#
# tanh is odd, so flipping the signs of a unit's incoming and outgoing weights is a symmetry too.

# %%
h = flip(1, 0)
display(prove_invariance(loss, h))
flipped = certify_nonconvexity(loss, A, element=h, kind="chord")
print(flipped.status, "barrier in", [float(v) for v in flipped.enclosures["barrier"]])
symcert.plot(flipped)

# %% [markdown]
# ## 7. Rescaling ReLU units
#
# ReLU is positively homogeneous: multiplying a unit's incoming weights by $\alpha > 0$ and dividing its
# outgoing weights by $\alpha$ changes nothing. The minima form a curve $ac = 2$, and the straight
# line between two of its points leaves it. For tanh the same rescaling is *not* a symmetry: refuted.

# %%
relu = MLP((1, 1, 1), "relu", bias=False)
A_relu = relu.point(W1=[[1]], W2=[[2]])
relu_loss = Loss(relu, Dataset.teacher(relu, A_relu, [[1], [2], [3]]), "mse")
r = rescale(1, 0, 2)
print("ReLU:", prove_invariance(relu_loss, r).status)
print("tanh:", prove_invariance(loss, rescale(1, 0, 3)).status)
relu_chord = certify_nonconvexity(relu_loss, A_relu, element=r, kind="chord")
display(relu_chord)
symcert.plot(relu_chord)

# %% [markdown]
# ## 8. The contrast: convex regression
#
# Without a hidden layer there is no symmetry to exploit, and linear regression *is* convex: its
# Hessian is a Gram matrix. symcert proves it, and refuses to certify non-convexity.

# %%
linear = Loss(MLP((1, 1)), Dataset([[0], [1], [2]], [[1], [2], [2]]), "mse")
convexity = prove_convexity(linear)
display(convexity)
P, Q = linear.mlp.point(W1=[[2]], b1=[-1]), linear.mlp.point(W1=[[-1]], b1=[3])
print("non-convexity certificate:", certify_nonconvexity(linear, P, B=Q).status)

# %% [markdown]
# ## 9. How high is the wall? A certified barrier
#
# The barrier $\sup_t \varphi(t) - \text{chord}(t)$ between $A$ and $B$, enclosed to within $10^{-2}$
# by branch and bound over $t$: the band is certified, piece by piece.

# %%
barrier = certify_barrier(loss, A, B, tol=Fraction(1, 100))
print(barrier.summary())
symcert.plot(barrier)

# %% [markdown]
# ## 10. Around the wall: a certified path at loss exactly 0
#
# Şimşek et al. (2021): in the minimal 1-2-1 network the swapped minima $A$ and $\text{swap}(A)$ are
# separated (the straight segment has the certified barrier above), but give the student one more
# unit, a dead one (outgoing weight 0), and seven exact moves join them: rotate the dead unit's incoming
# weights, shift outgoing weight between two identical units. Along each move the network function
# does not change (proved symbolically), so the loss stays exactly 0. This is `symcert connect`.

# %%
for title, path_loss, points in simsek_contrast():
    path = certify_path(path_loss, points)
    print(f"{title}:\n  {path.summary()}")

# %% [markdown]
# ## 11. Certified eigenvalues at a saddle
#
# Lift a critical point of a 1-1-1 network to 1-2-1 by duplicating its hidden unit (Brea et al. 2019):
# the lifted point is critical, and a saddle. `certify_saddle` proves it and encloses the Hessian's most
# negative and smallest positive eigenvalues (residual bounds in Arb, pinned by the inertia), recorded
# in the certificate and re-proved by the independent checker. This is `symcert saddle`.

# %%
example_saddle = saddle_example()
saddle = certify_saddle(
    example_saddle.loss, example_saddle.approx, example_saddle.layer, example_saddle.unit, example_saddle.lam
)
saddle_certificate = saddle.certificate()
print(saddle.verdict, "| independent checker:", check(saddle_certificate.to_dict()).accepted)
for name in ("lambda_min", "lambda_min_positive"):
    print(f"{name} in {outward_interval(*saddle_certificate.enclosures[name], 7)}")

# %% [markdown]
# ## 12. A trained network: the digits
#
# A small MLP trained by scikit-learn on its bundled handwritten digits (the first 120 images), loaded
# exactly, with scikit-learn's own loss. The best swap of two hidden units is certified.

# %%
run = digits_example(hidden=4, n_samples=120, max_iter=60, activation="tanh")
print(run.model.loss.describe()[:80], "...")
print(run.choice.message)
trained = run.choice.certificate
print("status:", trained.status, "| independent checker:", check(trained.to_dict()).accepted)
symcert.plot(trained)

# %% [markdown]
# ## 13. A convolutional network: channels are hidden units
#
# The same argument holds for a CNN: the output channels of a convolution play the role of hidden
# units. symcert derives the groups from the layers' facts (union-find over tensor axes, as Git
# Re-Basin's permutation specs): permuting conv1's output channels must permute the batch norm's four
# parameters and conv2's input channels with them. tanh being odd and the batch norm affine, each
# channel can also be sign-flipped. The invariance is proved by composing one equivariance rule per
# layer, for every input and every parameter value; the chord certificate is then decided on rigorous
# enclosures, here for seeded weights (untrained) on the first 40 digits as 8x8 images.

# %%
graph = cnn_graph((3, 4), "tanh")
spec = derive_symmetries(graph)
print("\n".join(spec.summary().splitlines()[1:4]))
g_cnn = Permute("P_conv1", (1, 0, 2))  # swap conv1's channels 0 and 1
proof_cnn = prove_graph_invariance(spec, g_cnn, spot=False)
print("\n".join(line for line in proof_cnn.summary().splitlines() if "commutes" in line or "Verdict" in line))

# %%
images, labels = digit_images(40)
cnn_loss = GraphLoss(graph, images, np.eye(10, dtype=int)[labels], "cross_entropy")
cnn_chord = certify_graph_chord(cnn_loss, random_parameters(graph, seed=3), g_cnn)
print("\n".join(line for line in cnn_chord.summary().splitlines() if line.endswith("]")))
print("CNN chord:", cnn_chord.status, "| independent checker:", check(cnn_chord.to_dict()).accepted)

# %% [markdown]
# ## 14. Exercises, checked here
#
# Write each answer into its variable and run the cell below it. The check uses the grading rules
# of `symcert grade`: an exact answer must be exactly right, a decimal must lie within the stated
# tolerance of the certified enclosure, a sign is judged by its sign. It prints *correct* or
# *incorrect* and the tolerance it used; a wrong answer gets a hint, not the value.

# %% [markdown]
# **Exercise 1.** What is the order of the group of hidden-unit symmetries (permutations and sign
# flips) of a 1-3-1 tanh network?

# %%
answer_order = None  # an integer

# %%
order = key_exercise(
    "order", "exact", MLP((1, 3, 1), "tanh").symmetry_group().order, hint="n! 2^n for n hidden tanh units."
)
print(check_answer(order, answer_order))

# %% [markdown]
# **Exercise 2.** What is the outgoing weight of hidden unit 1 at the midpoint $M = (A + B)/2$ of
# section 1? Give it as an exact fraction, from $A$ and $B$ as printed there.

# %%
answer_M_v = None  # a fraction, such as "3/4" or Fraction(3, 4)

# %%
M_v = key_exercise(
    "M_v", "exact", A.midpoint(B).arrays()["W2"][0][0], hint="Average unit 1's outgoing weights in A and B."
)
print(check_answer(M_v, answer_M_v))

# %% [markdown]
# **Exercise 3.** Evaluate $L(M)$ by hand from the data, to three decimal places; the chord
# certificate of section 3 encloses it, and the check below grades your number against that enclosure.

# %%
answer_L_M = None  # a decimal, such as 1.234

# %%
L_M = key_exercise(
    "L_M", "interval", chord.enclosures["L(M)"], tolerance="1/1000", hint="L is the mean squared error at M."
)
print(check_answer(L_M, answer_L_M))

# %% [markdown]
# **Exercise 4.** Is $\varphi''(0)$ positive or negative (at $A$ itself, where section 4 looked at
# $t = 1/2$)? The key is decided by the endpoints of a certified enclosure, never by a float.

# %%
answer_sign = None  # "+" or "-"

# %%
at_A = certify_nonconvexity(loss, A, element=g, kind="curvature", t0=0)
lo, hi = at_A.enclosures["phi''(t0)"]
sign = key_exercise("sign", "sign", "+" if lo > 0 else "-", hint="A is a global minimum.")
assert lo > 0 or hi < 0  # the enclosure decides the sign
print(check_answer(sign, answer_sign))

# %% [markdown]
# ## For the lecturer
#
# * `symcert handout permutation --seed 17 --pdf` writes a variant of the permutation handout: another
#   teacher, other data, another swap, all certified again, with numeric exercises.
# * `symcert handout permutation --students roster.csv -o out/` writes one PDF per student and
#   `out/key.json`, the answer key with each student's numbers.
# * `symcert grade out/key.json answers.csv -o scores.csv` scores the answers (exact fractions exactly,
#   decimals within the key's tolerance) with a one-line hint for each wrong answer.
# * `symcert prove --kind curvature --plot slide.pdf` draws a certificate for a slide.

# %%
display(Markdown(f"symcert {symcert.__version__}: every certificate above was re-checkable; done."))
