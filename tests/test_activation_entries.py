"""Every activation's entry, checked form by form against its exact (SymPy) form, and fact by fact.

Adding an activation adds one entry to ``symcert/symbolic/activation_entries.py``; these tests
enumerate :data:`ACTIVATION_NAMES`, so the new entry is checked here without further edits: its
mpmath, interval, float64 and engine forms agree with the exact one, each declared fact holds and
each undeclared one fails somewhere, its LaTeX form compiles in a display and its Coq form, with
the lemmas of its facts, is accepted by ``coqc``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

from symcert import ACTIVATION_NAMES, activation
from symcert.build.coq import check_coq
from symcert.build.tex import compile_pdf, standalone_document
from symcert.numeric.contexts import interval_context, lower, mp_context, upper
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.engine.layout import Exact
from symcert.printing.coq.activations import coq_activation
from symcert.symbolic.activation_entries import ENTRIES

R = sympy.Rational
U = sympy.Symbol("u", real=True)
SPECS = (*ACTIVATION_NAMES, "leaky_relu:1/10")
#: Sample points: away from 0 (where ReLU has its kink), both signs, exact rationals.
POINTS = (R(-7, 3), R(-1, 2), R(1, 5), R(3, 4), R(2))


def _exact(act, u):
    return act.sympy(sympy.Integer(0) + u)


def _value(expr, dps=60):
    """The exact value to ``dps`` digits, as a SymPy Float (compared with exact endpoints)."""
    return sympy.N(expr, dps)


def _rational(x):
    return R(mpmath.nstr(x, 45))


def test_the_entries_are_the_names():
    assert tuple(ENTRIES) == ACTIVATION_NAMES


@pytest.mark.parametrize("spec", SPECS)
def test_every_form_is_present(spec):
    act = activation(spec)
    for form in ("_sympy", "_mp", "_iv", "_float", "_dfloat", "_jets", "coq"):
        assert getattr(act, form) is not None, f"{spec} has no {form}"
    assert act.latex.startswith("\\")


@pytest.mark.parametrize("spec", SPECS)
def test_mpmath_and_interval_forms_agree_with_the_exact_form(spec):
    act = activation(spec)
    ctx, iv = mp_context(40), interval_context(40)
    for u in POINTS:
        exact = _value(_exact(act, u))
        assert abs(_rational(act.mp(ctx, ctx.mpf(u.p) / u.q)) - exact) < R(1, 10**35)
        enclosure = act.iv(iv, iv.mpf(u.p) / u.q)
        assert lower(enclosure) <= exact <= upper(enclosure)
        assert upper(enclosure) - lower(enclosure) < R(1, 10**30)
    wide = act.iv(iv, iv.mpf([-1, 2]))  # an enclosure over an interval contains the values inside
    for u in (R(-1), R(0), R(1, 2), R(2)):
        assert lower(wide) <= _value(_exact(act, u)) <= upper(wide)


@pytest.mark.parametrize("spec", SPECS)
def test_float64_forms_agree_with_the_exact_form(spec):
    act = activation(spec)
    z = np.array([float(u) for u in POINTS])
    values = act.float64(z)
    derivative = act.float64_derivative(z, values)
    slope_of = sympy.diff(act.sympy(U), U)
    for k, u in enumerate(POINTS):
        assert math.isclose(values[k], float(_exact(act, u)), rel_tol=1e-13, abs_tol=1e-15)
        assert math.isclose(derivative[k], float(slope_of.subs(U, u)), rel_tol=1e-13, abs_tol=1e-15)


@pytest.mark.parametrize("backend", [F64Backend(), ArbBackend(30)], ids=["float64", "arb"])
@pytest.mark.parametrize("spec", SPECS)
def test_engine_jets_enclose_the_exact_derivatives(spec, backend):
    act = activation(spec)
    d1, d2 = sympy.diff(act.sympy(U), U), sympy.diff(act.sympy(U), U, 2)
    for u in POINTS:
        with backend.active():
            z = backend.array(Exact(np.array([[u.p]], dtype=object), u.q))
            jets = act.jets(backend, z, 2)
            bounds = [None if j is None else _endpoints(backend, j) for j in jets]
        assert (bounds[1] is None) == (not act.smooth) and (bounds[2] is None) == (not act.smooth)
        for exact, bound in zip((act.sympy(u), d1.subs(U, u), d2.subs(U, u)), bounds):
            if bound is not None:
                value = _value(exact)
                assert R(bound[0]) <= value <= R(bound[1]), (spec, u, exact, bound)
                assert bound[1] - bound[0] < Fraction(1, 10**8)


def _endpoints(backend, value):
    if isinstance(value, (int, Fraction)):
        return Fraction(value), Fraction(value)
    return backend.endpoints(backend.sum(value, axis=None))


@pytest.mark.parametrize("spec", SPECS)
def test_declared_facts_hold_and_undeclared_ones_fail(spec):
    act = activation(spec)
    s = act.sympy

    def holds(identity):
        return all(sympy.simplify(identity(u)) == 0 for u in POINTS)

    def fails(identity):
        return any(abs(_value(identity(u))) > 1e-20 for u in POINTS)

    facts = {
        "odd": (act.odd, lambda u: s(-u) + s(u)),
        "even": (act.even, lambda u: s(-u) - s(u)),
        "complement": (act.complement, lambda u: s(-u) - (1 - s(u))),
    }
    for k in (1, 2, 3):
        facts[f"homogeneous of degree {k}"] = (
            act.homogeneity == k,
            lambda u, k=k: s(R(3, 2) * u) - R(3, 2) ** k * s(u),
        )
    for name, (declared, identity) in facts.items():
        if declared:
            assert holds(identity), f"{spec} is declared {name} but is not"
        else:
            assert fails(identity), f"{spec} is {name} but does not declare it"
    assert act.polynomial == bool(act.sympy(U).is_polynomial(U))
    assert act.smooth == (not act.piecewise_linear)
    assert act.linear == (act.sympy(U) == U)


@pytest.mark.parametrize("spec", SPECS)
def test_coq_form_has_every_declared_fact(spec):
    act = activation(spec)
    block = coq_activation(act, _coq_facts(act))
    assert set(block.facts) == set(_coq_facts(act))
    assert block.name in block.text


def _coq_facts(act):
    return [f for f, declared in (("odd", act.odd), ("complement", act.complement)) if declared] + (
        ["homogeneous"] if act.homogeneity == 1 else []
    )


def test_every_coq_form_and_its_lemmas_compile(require_tool):
    require_tool("coqc")
    blocks = [coq_activation(activation(spec), _coq_facts(activation(spec))).text for spec in SPECS[:-1]]
    text = "\n\n".join(
        ["Require Import Reals Lra Psatz.", "Require Import Interval.Tactic.", "Open Scope R_scope.", *blocks]
    )
    result = check_coq(text, assumptions=False, timeout=120)
    assert result.returncode == 0, result.stderr + result.stdout


def test_every_latex_form_compiles_in_a_display(tmp_path, require_tool):
    require_tool("pdflatex")
    body = "\n".join(
        r"\[ %s(u) = %s \]" % (activation(spec).latex, sympy.latex(activation(spec).sympy(U)))
        for spec in SPECS
    )
    tex = tmp_path / "activations.tex"
    tex.write_text(standalone_document(body), encoding="utf-8")
    assert compile_pdf(tex).exists()
