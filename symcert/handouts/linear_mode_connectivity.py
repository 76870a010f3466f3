"""Handout ``linear-mode-connectivity``: the certified loss barrier between two trained networks,
before and after aligning their hidden units (Entezari et al. 2022; Ainsworth et al. 2023).

Two small tanh networks are trained by scikit-learn (L-BFGS, seeds 0 and 1) on the first digits of
its bundled data set, loaded exactly, and the barrier of the training loss (scikit-learn's own
convention) is certified before and after weight matching with sign flips. Needs scikit-learn.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

from symcert.handouts.base import Exercise, Handout
from symcert.models.digits import require_sklearn
from symcert.models.sklearn import from_sklearn
from symcert.printing.figures.barrier import barrier_figure
from symcert.proofs.alignment import align
from symcert.proofs.barrier import certify_barrier

TITLE = "Linear mode connectivity: certified loss barriers before and after alignment"
#: The training set (the first digits) and the width: small, so that the handout builds in seconds.
SAMPLES, HIDDEN, TOL = 100, 4, "1/50"


def _train(seed: int, offset: int = 0):
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X, y = X[offset : offset + SAMPLES] / 16, y[offset : offset + SAMPLES]
    estimator = MLPClassifier(
        (HIDDEN,), activation="tanh", solver="lbfgs", max_iter=300, random_state=seed, alpha=1e-4
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    return from_sklearn(estimator, X, y)


def _networks_latex(mlp) -> str:
    r"""``$64$-$4$-$10$ $\tanh$ networks (310 parameters each, softmax output)``: plural, once."""
    shape = "-".join(r"$%d$" % w for w in mlp.widths)
    return r"%s $\%s$ networks (%d parameters each, softmax output)" % (
        shape,
        mlp.activation.name,
        mlp.n_parameters,
    )


def _loss_display(loss) -> str:
    r"""The training loss as mathematics: the weight decay as $\alpha/(2n)$, exactly and in decimals."""
    decay = Fraction(str(loss.weight_decay))
    alpha = decay * 2 * SAMPLES
    power = alpha.denominator.bit_length() - 1
    exact_alpha = r"%d/2^{%d}" % (alpha.numerator, power) if alpha.denominator == 1 << power else str(alpha)
    mantissa, exponent = f"{float(decay):.9e}".split("e")
    return (
        r"\[ L(\theta) = -\frac{1}{n} \sum_{i=1}^{n} \log p_{y_i}\bigl(z(x_i;\theta)"
        r"\bigr) + \frac{\alpha}{2n} \sum_{w \in \text{weights}} w^2, \]" + "\n"
        r"with $n = %d$ data points and $\alpha = 10^{-4}$, the softmax $p$ of the output "
        r"pre-activations $z$, and biases not decayed. Scikit-learn stores $\alpha$ as the double "
        r"nearest to $10^{-4}$, which is exactly $%s$, so that "
        r"$\alpha/(2n) \approx %s \times 10^{%d}$." % (SAMPLES, exact_alpha, mantissa, int(exponent))
    )


def _element_latex(element) -> str:
    """The aligning element in words: its sign flips and its permutation of the hidden units."""
    flips, order = [], None
    for factor in str(element).split(";"):
        kind, _, rest = factor.partition(":")
        if kind == "flip":
            flips.append(int(rest.split(":")[1]) + 1)
        elif kind == "perm":
            order = [int(v) + 1 for v in rest.split(":")[1].split(",")]
    parts = []
    if flips:
        parts.append(r"flips the signs of units $%s$ of $B$" % ", ".join(map(str, sorted(flips))))
    if order is not None:
        parts.append(
            r"then puts unit $\pi(i)$ of $B$ in position $i$, with $(\pi(1), \dots, \pi(%d)) = (%s)$"
            % (len(order), ", ".join(map(str, order)))
        )
    return " and ".join(parts) if parts else "is the identity"


def _data_latex(seeds: tuple[int, int], offset: int) -> str:
    """Which trainings and which digits: ``seeds $0$ and $1$) on the first 100 of its bundled ...``."""
    digits = "of its bundled handwritten digits"
    where = (
        "the first %d %s" % (SAMPLES, digits)
        if offset == 0
        else r"%d %s (numbers $%d$ to $%d$)" % (SAMPLES, digits, offset + 1, offset + SAMPLES)
    )
    return r"seeds $%d$ and $%d$) on %s" % (*seeds, where)


def trained_pair(seeds: tuple[int, int] = (0, 1), offset: int = 0):
    """The two trained models (scikit-learn, loaded exactly) and the certified barriers before and after
    alignment: ``(first, before, alignment, after)``."""
    require_sklearn()
    first, second = _train(seeds[0], offset), _train(seeds[1], offset)
    loss, A, B = first.loss, first.point, second.point
    before = certify_barrier(loss, A, B, tol=TOL)
    alignment = align(A, B)
    after = certify_barrier(loss, A, alignment.aligned, tol=TOL)
    return first, before, alignment, after


def build(seeds: tuple[int, int] = (0, 1), offset: int = 0, *, student: bool = False, pair=None) -> Handout:
    """Build the handout (two trainings, an alignment and two certified barriers: a few seconds).

    ``seeds`` are the two trainings' ``random_state``, ``offset`` the first digit used; ``pair`` the
    result of :func:`trained_pair` when it is already computed. ``student=True`` (a student's variant)
    leaves the figure out: its points pin the losses along the segment that the exercises ask about.
    """
    first, before, alignment, after = pair or trained_pair(seeds, offset)
    loss = first.loss
    certificates = (before.certificate(), after.certificate())
    n = loss.mlp.n_parameters
    body = "\n\n".join(
        [
            r"\section{Definitions}",
            r"\begin{definition}For a loss $L$ and two parameter vectors $A$, $B$, let "
            r"$\varphi(t) = L\bigl((1-t)A + tB\bigr)$. The \emph{loss barrier} is "
            r"\[ \mathcal{B}(A, B) = \sup_{t \in [0, 1]} \varphi(t) "
            r"- \bigl((1-t)\varphi(0) + t\varphi(1)\bigr), \] "
            r"the height of the loss along the segment above the chord (Entezari et al., 2022). "
            r"$A$ and $B$ are \emph{linearly mode connected} when it is (close to) $0$.\end{definition}",
            r"\begin{definition}A \emph{symmetry} $g$ of the network (a permutation of hidden units, "
            r"and for an odd activation such as $\tanh$ sign flips) maps parameters to parameters "
            r"computing the same function. \emph{Aligning} $B$ to $A$ means choosing $g$ with $g(B)$ "
            r"close to $A$; then $L(g(B)) = L(B)$, but "
            r"$\mathcal{B}(A, g(B))$ may be much smaller than $\mathcal{B}(A, B)$.\end{definition}",
            r"\section{Two trained networks}",
            r"Two %s were trained by scikit-learn (L-BFGS, %s "
            r"(pixels divided by $16$). Their weights are floats, "
            r"hence exact dyadic rationals: $A$ and $B$ each have %d exact coordinates. The loss is "
            r"scikit-learn's own training loss, the mean cross-entropy of the softmax output plus a "
            r"weight decay:"
            % (_networks_latex(loss.mlp), _data_latex(seeds, offset), n)
            + "\n"
            + _loss_display(loss),
            r"Branch and bound over $t$ encloses the barrier: every piece of a partition of $[0, 1]$ gets a "
            r"rigorous upper bound (interval arithmetic over the piece, mean-value and Taylor forms with "
            r"enclosures of $\varphi'$ and $\varphi''$), and certified values at points give the lower end.",
            before.certificate().to_latex(10, context=False, label="thm:lmc:before"),
            r"\section{Aligning the hidden units}",
            r"Weight matching (Ainsworth et al., 2023), extended with the sign flips that $\tanh$ allows, "
            r"finds an exact element $g$ that %s. The prover shows that $g$ is a symmetry "
            r"(%s: $g(B)$ computes the same function as $B$). The matching is only a local optimum of its "
            r"objective; the barriers are certified regardless."
            % (
                _element_latex(alignment.element),
                alignment.proof.status if alignment.proof else "not attempted",
            ),
            after.certificate().to_latex(10, context=False, label="thm:lmc:after"),
            *(
                ()
                if student
                else (
                    r"Figure~\ref{fig:lmc} shows $\varphi$ at the certified points, the certified upper band "
                    r"and the chord, before and after alignment.",
                    barrier_figure(
                        [("before alignment", before), ("after alignment", after)], label="fig:lmc"
                    ),
                )
            ),
        ]
    )
    exercises = (
        Exercise(
            r"Show that $\mathcal{B}(A, B) \ge 0$ always, and that $\mathcal{B}(A, A) = 0$.",
            r"At $t = 0$ the bracket is $\varphi(0) - \varphi(0) = 0$, so the supremum is at least $0$. "
            r"For $B = A$, $\varphi$ is constant and equal to the chord: every bracket is $0$.",
        ),
        Exercise(
            r"If $B = g(A)$ for a symmetry $g$ and alignment returns $g^{-1}$, what is the aligned barrier?",
            r"$g^{-1}(B) = A$, so the segment is a single point: the aligned barrier is exactly $0$ "
            r"(symcert reports it as exactly $0$ without any branch and bound).",
        ),
        Exercise(
            r"A convex loss has barrier $0$ between any two points. What does a certified lower end "
            r"above $0$ prove about this loss? And for the midpoint form of the barrier, whose chord is "
            r"$\bigl(L(A) + L(B)\bigr)/2$ for every $t$ (Ainsworth et al., 2023)?",
            r"That it is not convex: at the witness $t$, $\varphi(t)$ lies strictly above the chord, which "
            r"convexity forbids. (Alignment lowering the barrier does not change this: the loss is "
            r"the same.) The midpoint form differs from the bracket above by "
            r"$(t - \tfrac12)\bigl(L(A) - L(B)\bigr)$, so its lower end above $0$ proves non-convexity "
            r"only when $L(A) = L(B)$ (then both chords coincide); in general it must exceed "
            r"$|L(A) - L(B)|/2$. Two trained networks rarely have equal losses: for them a positive "
            r"midpoint barrier alone proves nothing.",
        ),
    )
    motivation = (
        r"Two networks trained from different random seeds usually reach different minima, and the loss "
        r"rises on the straight line between them. Much of that barrier is an artefact of symmetry: the "
        r"hidden units of the two networks are in different orders (and, for $\tanh$, different signs). "
        r"The literature measures barriers in floating point on a grid of $t$; here both barriers are "
        r"\emph{certified}: an interval guaranteed to contain the exact supremum over all $t \in [0, 1]$."
    )
    return Handout("linear-mode-connectivity", TITLE, motivation, body, exercises, certificates)
