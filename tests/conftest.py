"""Shared test settings: mpmath's global precision is reset after every test,
and Hypothesis runs a modest number of examples without deadlines (SymPy's
first call of a kind can be slow)."""

from __future__ import annotations

import os
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import HealthCheck, settings

settings.register_profile(
    "symcert",
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("SYMCERT_HYPOTHESIS_PROFILE", "symcert"))


@pytest.fixture(autouse=True)
def _reset_mpmath_precision():
    """Run each test at mpmath's default precision and restore it afterwards."""
    mpmath.mp.dps = 15
    yield
    mpmath.mp.dps = 15


class Reference:
    """An independent re-implementation of the group action and of evaluation.

    It works on ``Point.arrays()`` with Fractions and on plain mpmath numbers at a
    chosen precision, sharing no code with symcert beyond reading the
    specification, so tests can check symcert's results a second way.
    """

    @staticmethod
    def image(point, element):
        """``element(point)`` computed by hand from the documented action."""
        mlp = point.mlp
        arrays = {
            key: [[Fraction(v) for v in row] for row in value]
            if key.startswith("W")
            else [Fraction(v) for v in value]
            for key, value in point.arrays().items()
        }
        l = element.layer
        kind = type(element).__name__
        if kind == "LayerSign":
            for m in (element.layer, element.last):
                arrays[f"W{m}"] = [[-w for w in row] for row in arrays[f"W{m}"]]
            return mlp.point(**arrays)
        here, after = arrays[f"W{l}"], arrays[f"W{l + 1}"]
        bias, next_bias = arrays.get(f"b{l}"), arrays.get(f"b{l + 1}")
        if kind == "Swap":
            i, j = element.i, element.j
            here[i], here[j] = here[j], here[i]
            if bias is not None:
                bias[i], bias[j] = bias[j], bias[i]
            for row in after:
                row[i], row[j] = row[j], row[i]
        elif kind == "Flip":
            u = element.unit
            here[u] = [-w for w in here[u]]
            if bias is not None:
                bias[u] = -bias[u]
            column = [row[u] for row in after]
            for row in after:
                row[u] = -row[u]
            if mlp.activation.name == "sigmoid" and next_bias is not None:
                for m, c in enumerate(column):
                    next_bias[m] += c
        elif kind == "FlipIn":
            u = element.unit
            here[u] = [-w for w in here[u]]
            if bias is not None:
                bias[u] = -bias[u]
        else:
            u, alpha = element.unit, Fraction(str(element.alpha))
            here[u] = [alpha * w for w in here[u]]
            if bias is not None:
                bias[u] = alpha * bias[u]
            for row in after:
                row[u] = row[u] / alpha**element.degree
        return mlp.point(**arrays)

    @staticmethod
    def _hidden(name, slope, u):
        return {
            "identity": lambda: u,
            "tanh": lambda: mpmath.tanh(u),
            "sigmoid": lambda: 1 / (1 + mpmath.exp(-u)),
            "relu": lambda: max(u, mpmath.mpf(0)),
            "leaky_relu": lambda: u if u > 0 else slope * u,
            "softplus": lambda: mpmath.log(1 + mpmath.exp(u)),
            "square": lambda: u**2,
            "cube": lambda: u**3,
        }[name]()

    @classmethod
    def logits(cls, point, x):
        """The output layer's pre-activations ``z`` at ``point`` and input ``x`` (call inside workdps)."""
        mlp = point.mlp
        act = mlp.activation
        slope = None if act.slope is None else mpmath.mpf(act.slope.p) / act.slope.q
        arrays = point.arrays()
        a = [mpmath_rational(v) for v in x]
        for l in range(1, mlp.depth + 1):
            W = arrays[f"W{l}"]
            b = arrays.get(f"b{l}", ["0"] * len(W))
            z = [
                mpmath.fsum(mpmath_rational(w) * ai for w, ai in zip(row, a)) + mpmath_rational(bj)
                for row, bj in zip(W, b)
            ]
            a = [cls._hidden(act.name, slope, zj) for zj in z]
        return z

    @classmethod
    def output(cls, point, x):
        """The network's outputs at ``point`` and input ``x`` as mpmath numbers (call inside workdps)."""
        z = cls.logits(point, x)
        name = point.mlp.output_activation.name
        if name == "sigmoid":
            return [1 / (1 + mpmath.exp(-zk)) for zk in z]
        if name == "softmax":
            top = max(z)
            total = mpmath.fsum(mpmath.exp(zk - top) for zk in z)
            return [mpmath.exp(zk - top) / total for zk in z]
        return z

    @classmethod
    def loss(cls, loss, point, dps=50):
        """The loss at ``point`` by the textbook formulas, at ``dps`` digits (an mpmath number).

        bce is ``-(y log f + (1 - y) log(1 - f))`` with ``log f = -softplus(-z)`` and
        ``log(1 - f) = -softplus(z)``; cross-entropy is ``-sum y_k log softmax_k(z)``
        with a shifted log-sum-exp: the same numbers, without cancellation.
        """

        def softplus(v):
            return v + mpmath.log1p(mpmath.exp(-v)) if v > 0 else mpmath.log1p(mpmath.exp(v))

        with mpmath.workdps(dps + 10):
            terms = []
            for x, y in zip(loss.data.xs, loss.data.ys):
                y = [mpmath.mpf(sympy.N(v, dps + 20)) for v in y]
                if loss.kind in ("mse", "sse"):
                    f = cls.output(point, x)
                    terms.append(mpmath.fsum((fk - yk) ** 2 for fk, yk in zip(f, y)))
                elif loss.kind == "bce":
                    z = cls.logits(point, x)
                    terms.append(
                        mpmath.fsum(yk * softplus(-zk) + (1 - yk) * softplus(zk) for zk, yk in zip(z, y))
                    )
                else:
                    z = cls.logits(point, x)
                    top = max(z)
                    log_total = top + mpmath.log(mpmath.fsum(mpmath.exp(zk - top) for zk in z))
                    terms.append(-mpmath.fsum(yk * (zk - log_total) for zk, yk in zip(z, y)))
            total = mpmath.fsum(terms)
            n, m = loss.data.n_points, loss.mlp.widths[-1]
            total = total / (n * m) if loss.kind == "mse" else total if loss.kind == "sse" else total / n
            weights = [
                mpmath_rational(w)
                for key, rows in point.arrays().items()
                if key.startswith("W")
                for row in rows
                for w in row
            ]
            total += mpmath_rational(str(loss.weight_decay)) * mpmath.fsum(w**2 for w in weights)
            return +total


def mpmath_rational(text):
    """An exact rational (any form ``sympy.Rational`` reads from its string) in mpmath."""
    value = sympy.Rational(str(text))
    return mpmath.mpf(int(value.p)) / int(value.q)


@pytest.fixture(scope="session")
def reference():
    """The independent re-implementation (:class:`Reference`)."""
    return Reference


_TEX = "texlive-latex-base texlive-latex-recommended texlive-pictures latexmk"
_DEBIAN_PACKAGES = {
    "pdflatex": _TEX,
    "latexmk": _TEX,
    "pdftoppm": "poppler-utils",
    "coqc": "coq libcoq-interval",
}


def _require_tool(name):
    """The path of the external tool ``name``; skip the test without it, but fail when CI is set."""
    import shutil

    path = shutil.which(name)
    if path is None:
        packages = _DEBIAN_PACKAGES.get(name, "the package that provides it")
        message = (
            f"{name} is not installed (needed by this test; .ci/run installs it: apt-get install {packages})"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI is set, so this is a failure, not a skip")
        pytest.skip(message)
    return path


def _require_module(name):
    """The imported module ``name``, a test requirement; skip without it, but fail when CI is set."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        message = f"{name} is not installed (a test requirement: python -m pip install -e '.[test]')"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI is set, so this is a failure, not a skip")
        pytest.skip(message)


@pytest.fixture(scope="session")
def require_module():
    """``require_module(name)`` imports a test requirement; skips without it, fails without it in CI."""
    return _require_module


@pytest.fixture(scope="session")
def require_tool():
    """``require_tool(name)`` returns the tool's path, skips without it, and fails without it in CI."""
    return _require_tool
