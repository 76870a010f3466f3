"""Every loss's entry, checked form by form against its exact (SymPy) form, and fact by fact.

Adding a loss adds one entry to ``symcert/symbolic/loss_entries.py``; these tests enumerate
:data:`LOSS_KINDS`, so the new entry is checked here without further edits: it declares every
fact, its mpmath, interval, float64, engine and Coq forms agree with the exact one (exactly or by
enclosure containment at exact points), and each declared fact holds.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

from symcert import LOSS_KINDS, MLP, Dataset, Loss, SpecificationError
from symcert.numeric.contexts import interval_context, lower, mp_context, upper
from symcert.numeric.engine.api import jet_bounds, point_layout
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.symbolic.loss_entries import ENTRIES, Convention
from symcert.symbolic.losses import LossFunction, Ops, default_output, loss_function

R = sympy.Rational
#: Exact pre-activations and targets for one data point with three outputs (valid for every loss).
Z = (R(-7, 3), R(1, 5), R(3, 2))
Y = (R(1, 2), R(0), R(1, 2))
#: Every fact an entry states (the forms are checked below, one test each).
FACTS = (
    "aliases",
    "description",
    "output_activation",
    "requires_output",
    "mean_over",
    "conventions",
    "convex_in_outputs",
    "curvature",
    "convex_model",
    "min_outputs",
    "targets",
    "labels",
    "zero_on_fit",
    "latex",
    "coq_formula",
    "_point",
    "_engine",
    "_float",
    "_coq",
)


def _sympy_ops(output):
    return Ops(sympy.exp, sympy.log, lambda items: sympy.Add(*items), output.sympy)


def _outputs(fn: LossFunction, m: int) -> MLP:
    return MLP((2, m), output_activation=fn.output_activation)


def _exact(fn: LossFunction, z, y):
    """The per-point loss in SymPy, with the loss's own output activation."""
    return fn.point(list(z), list(y), _sympy_ops(_outputs(fn, len(z)).output_activation))


def test_the_loss_kinds_are_the_entries():
    assert LOSS_KINDS == tuple(ENTRIES)
    names = [alias for fn in map(loss_function, LOSS_KINDS) for alias in (fn.name, *fn.aliases)]
    assert len(names) == len(set(names)), "an alias names two losses"


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_every_fact_is_declared(kind):
    entry = ENTRIES[kind]
    missing = [fact for fact in FACTS if fact not in entry]
    assert not missing, f"the {kind} entry does not declare {missing}"
    fn = loss_function(kind)
    assert fn.output_activation in ("identity", "sigmoid", "softmax")
    assert set(fn.mean_over) <= {"points", "outputs"}
    assert fn.targets in ("real", "probability", "distribution")
    assert fn.labels in (None, "one-hot", "binary")
    assert all(isinstance(c, Convention) and c.factor > 0 for c in fn.conventions.values())
    assert (fn.min_outputs > 1) == bool(fn.outputs_reason) == bool(fn.outputs_hint)
    assert (fn.convex_model is not None) == fn.convex_in_outputs
    assert default_output(kind) == fn.output_activation
    for alias in fn.aliases:
        assert loss_function(alias) is fn


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_mpmath_and_interval_forms_agree_with_the_exact_form(kind):
    fn = loss_function(kind)
    out = _outputs(fn, len(Z)).output_activation
    exact = sympy.N(_exact(fn, Z, Y), 60)
    ctx, iv = mp_context(40), interval_context(40)
    for c in (ctx, iv):
        ops = Ops(c.exp, c.log, c.fsum, lambda z, c=c: out.numeric(c, z))
        value = fn.point([c.mpf(v.p) / v.q for v in Z], [c.mpf(v.p) / v.q for v in Y], ops)
        if c is iv:
            assert lower(value) <= exact <= upper(value)
            assert upper(value) - lower(value) < R(1, 10**30)
        else:
            assert abs(R(mpmath.nstr(value, 45)) - exact) < R(1, 10**35)


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_float64_form_and_its_gradient_agree_with_the_exact_form(kind):
    fn = loss_function(kind)
    zs = [sympy.Symbol(f"z{k}", real=True) for k in range(len(Z))]
    symbolic = _exact(fn, zs, Y)
    points = [Z, tuple(-v for v in Z)]  # two data points, as rows
    z = np.array([[float(v) for v in row] for row in points])
    y = np.array([[float(v) for v in Y]] * len(points))
    value, gradient = fn.float64(z, y, fn.output_activation, gradient=True)
    assert fn.float64(z, y, fn.output_activation)[1] is None
    exact = sum(symbolic.subs(dict(zip(zs, row))) for row in points)
    assert math.isclose(float(value), float(exact), rel_tol=1e-13)
    for i, row in enumerate(points):
        for k, zk in enumerate(zs):
            slope = float(sympy.diff(symbolic, zk).subs(dict(zip(zs, row))))
            assert math.isclose(gradient[i, k], slope, rel_tol=1e-12, abs_tol=1e-14)
    batched, _ = fn.float64(np.stack([z, 2 * z]), y, fn.output_activation)  # a leading batch axis
    assert batched.shape == (2,) and batched[0] == value


@pytest.mark.parametrize("backend", [F64Backend(), ArbBackend(30)], ids=["float64", "arb"])
@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_engine_form_encloses_the_exact_derivatives_along_a_path(kind, backend):
    fn = loss_function(kind)
    net = MLP((1, 2, 3), "tanh", output_activation=fn.output_activation)
    loss = Loss(net, Dataset([[1], [-2]], [list(Y), [R(1, 4), R(1, 4), R(1, 2)]]), kind, factor="2/3")
    P, D = net.random_point(1), net.random_point(2)
    s = sympy.Symbol("s", real=True)
    phi = loss.expr.xreplace({p: a + s * d for p, a, d in zip(net.symbols, P.values, D.values)})
    exact = [sympy.N(sympy.diff(phi, s, k).subs(s, 0), 50) for k in range(3)]
    bounds = jet_bounds(backend, loss, point_layout(P), point_layout(D), order=2)
    for value, (lo, hi) in zip(exact, bounds):
        assert R(lo) <= value <= R(hi), (kind, value, lo, hi)
        assert hi - lo < Fraction(1, 10**6)


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_coq_terms_are_the_exact_form(kind):
    fn = loss_function(kind)
    zs = [sympy.Symbol(f"z{k}", real=True) for k in range(len(Z))]
    out = _outputs(fn, len(Z)).output_activation
    fs = [sympy.Symbol(f"f{k}", real=True) for k in range(len(Z))]
    ys = [sympy.Symbol(f"y{k}", real=True) for k in range(len(Z))]
    terms = fn.coq_terms([str(f) for f in fs], [str(z) for z in zs], [str(y) for y in ys])
    names = {str(v): v for v in (*zs, *fs, *ys)} | {"ln": sympy.log, "exp": sympy.exp}
    coq = sympy.Add(*[sympy.sympify(t.replace("^", "**"), locals=names) for t in terms])
    coq = coq.xreplace(dict(zip(fs, out.sympy(zs)))).xreplace(dict(zip(ys, Y)))
    assert sympy.simplify(coq - _exact(fn, zs, Y)) == 0


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_convexity_and_curvature_hold_as_declared(kind):
    fn = loss_function(kind)
    zs = [sympy.Symbol(f"z{k}", real=True) for k in range(len(Z))]
    ell = _exact(fn, zs, Y)
    hessian = sympy.hessian(ell, zs)
    for point in (Z, (R(0), R(2), R(-1)), (R(5), R(-3), R(1, 7))):
        at = hessian.subs(dict(zip(zs, point)))
        with mpmath.workdps(40):
            matrix = mpmath.matrix([[mpmath.mpf(str(sympy.N(h, 45))) for h in row] for row in at.tolist()])
            smallest = min(mpmath.eigsy(matrix)[0])
        if fn.convex_in_outputs:
            assert smallest > -(mpmath.mpf(10) ** -30), (kind, point, smallest)
    if fn.curvature is not None:
        E = sympy.Symbol("E", positive=True)
        for k, zk in enumerate(zs):
            second = sympy.diff(ell, zk, 2)
            assert sympy.simplify(second - fn.curvature(sympy.exp(zk))) == 0
            assert all(hessian[k, j] == 0 for j in range(len(zs)) if j != k)
        assert fn.constant_curvature == (not fn.curvature(E).free_symbols)


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_zero_on_fit_holds_as_declared(kind):
    fn = loss_function(kind)
    out = _outputs(fn, len(Z)).output_activation
    fitted = _exact(fn, Z, out.sympy(list(Z)))  # targets equal to the outputs
    assert (sympy.simplify(fitted) == 0) == fn.zero_on_fit


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_output_facts_are_enforced_by_loss(kind):
    fn = loss_function(kind)
    for output in ("identity", "sigmoid", "softmax"):
        net, data = MLP((1, 3), output_activation=output), Dataset([[1]], [list(Y)])
        if fn.requires_output and output != fn.output_activation:
            with pytest.raises(SpecificationError, match=f"needs output_activation={fn.output_activation!r}"):
                Loss(net, data, kind)
        else:
            assert Loss(net, data, kind).function is fn
    if fn.min_outputs > 1:
        net = MLP((1, 1), output_activation=fn.output_activation)
        with pytest.raises(SpecificationError, match="one output"):
            Loss(net, Dataset([[1]], [[1]]), kind)
    if fn.targets != "real":
        with pytest.raises(SpecificationError, match=r"must lie in \[0, 1\]"):
            Loss(_outputs(fn, 2), Dataset([[1, 0]], [[2, -1]]), kind)


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_scale_follows_the_declared_mean(kind):
    fn = loss_function(kind)
    net = MLP((1, 2), output_activation=fn.output_activation)
    loss = Loss(net, Dataset([[1], [2], [3]], [[R(1, 2), R(1, 2)]] * 3), kind, factor="3/7")
    expected = {(): 1, ("points",): R(1, 3), ("points", "outputs"): R(1, 6)}[fn.mean_over]
    assert loss.scale == R(3, 7) * expected
    assert loss.function is fn


def test_scikit_learn_convention_is_its_half_on_the_squared_error():
    assert loss_function("mse").conventions["scikit-learn"].factor == R(1, 2)
    assert loss_function("bce").conventions["scikit-learn"].factor == 1
    assert loss_function("mean_squared_error").name == "mse"
    alias = Loss(MLP((1, 1)), Dataset([[1]], [[0]]), "mean_squared_error")
    assert alias.kind == "mse" and alias == Loss(MLP((1, 1)), Dataset([[1]], [[0]]), "mse")
    with pytest.raises(SpecificationError, match="kind must be one of " + ", ".join(LOSS_KINDS)):
        loss_function("hinge")
