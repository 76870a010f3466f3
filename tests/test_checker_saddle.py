"""The checker on critical_point and saddle certificates: round trip, and every tampering rejected."""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import pytest

from symcert import certify_saddle, check
from symcert.checker import CertificateFormatError
from symcert.checker.check import CertificateBudgetError
from symcert.proofs.saddle_certificate import unique_critical_point_certificate
from symcert.symbolic.saddle_example import saddle_example


@pytest.fixture(scope="module")
def result():
    example = saddle_example()
    return certify_saddle(example.loss, example.approx, example.layer, example.unit, example.lam)


@pytest.fixture(scope="module")
def record(result):
    return json.loads(result.certificate().to_json())


def tampered(record, change):
    out = copy.deepcopy(record)
    change(out)
    return out


def rejections(found):
    return [r for r in found.reasons if r.startswith("REJECT")]


def test_the_saddle_certificate_is_accepted(record):
    assert record["kind"] == "saddle" and record["parameters"]["index"] == 1
    found = check(record)
    assert found.accepted, found.reasons
    assert any("Krawczyk" in r for r in found.reasons)
    assert any("saddle of index 1" in r for r in found.reasons)
    assert found.enclosures["dHd"][1] < 0 and found.estimate > 0


def test_the_unique_critical_point_certificate_is_accepted(result):
    record = json.loads(unique_critical_point_certificate(result.narrow).to_json())
    found = check(record)
    assert found.accepted, found.reasons
    assert check(tampered(record, lambda r: r["points"]["A"]["W2"][0].__setitem__(0, "2"))).accepted is False


def test_a_changed_lam_is_rejected(record):
    found = check(tampered(record, lambda r: r["parameters"].__setitem__("lam", "1/3")))
    assert not found.accepted and any("dHd" in r for r in rejections(found))


def test_a_shrunken_box_is_rejected(record):
    radius = record["parameters"]["radius"]
    small = f"{radius}/1000000" if "/" not in radius else radius + "000000"
    found = check(tampered(record, lambda r: r["parameters"].__setitem__("radius", small)))
    assert not found.accepted and any("Krawczyk" in r for r in rejections(found))


def test_a_moved_direction_is_rejected(record):
    def move(r):
        r["parameters"]["direction"]["W2"][0] = ["1", "1"]

    found = check(tampered(record, move))
    assert not found.accepted and any("d^T H_wide d" in r or "dHd" in r for r in rejections(found))


def test_a_wrong_index_is_rejected(record):
    found = check(tampered(record, lambda r: r["parameters"].__setitem__("index", 2)))
    assert not found.accepted and any("not the stated 2" in r for r in rejections(found))


def test_a_moved_unit_or_decay_is_rejected(record):
    bad_unit = tampered(record, lambda r: r["parameters"].__setitem__("unit", 1))
    with pytest.raises(CertificateFormatError, match=r"parameters\.unit"):
        check(bad_unit)
    decayed = check(tampered(record, lambda r: r["loss"].__setitem__("weight_decay", "1/10")))
    assert not decayed.accepted and any("weight decay" in r for r in rejections(decayed))


def test_the_budget_counts_the_hessian_jets(record):
    with pytest.raises(CertificateBudgetError):
        check(record, budget=0.01)


def test_a_point_that_is_not_isolated_is_decided_not_proved(tmp_path):
    # A continuous symmetry makes the Hessian singular: the prover has no box and writes radius 0 with
    # status "undecided". That file is well formed; the checker decides it: not proved (exit 1, not 2).
    from symcert import MLP, Dataset, Loss
    from symcert.cli import main
    from symcert.numeric.minima import locate_minimum
    from symcert.proofs.critical_point import certify_critical_point

    data = Dataset([[-2], [-1], [0], [1], [2], [3]], [[-1], [-1], [0], [1], [2], [2]])
    loss = Loss(MLP((1, 1, 1), "identity"), data, "mse")
    found = certify_critical_point(loss, locate_minimum(loss, seed=0, refine=False).point)
    assert found.status == "not isolated"
    record = json.loads(unique_critical_point_certificate(found).to_json())
    assert record["status"] == "undecided" and record["parameters"]["radius"] == "0"
    verdict = check(record)
    assert not verdict.accepted and any("radius 0" in r for r in rejections(verdict))
    path = tmp_path / "not_isolated.json"
    path.write_text(json.dumps(record))
    assert main(["check", str(path)]) == 1


def test_a_proved_claim_on_a_box_of_radius_0_is_rejected(result, record):
    cp = json.loads(unique_critical_point_certificate(result.narrow).to_json())
    for r in (cp, record):
        zero = tampered(r, lambda r: r["parameters"].__setitem__("radius", "0"))
        found = check(zero)
        assert not found.accepted and any("radius 0" in x for x in rejections(found)), found.reasons
    with pytest.raises(CertificateFormatError, match="radius must be >= 0"):
        check(tampered(cp, lambda r: r["parameters"].__setitem__("radius", "-1/2")))


# -- the checker's batched gradient and Hessian (symcert.checker.hessian) -----------------------


def _checker_case(widths, activation, *, bias=True, decay="0", kind="mse", seed=0):
    """A small statement-like object, its data as Arb columns, and an exact point (layers of Fractions)."""
    from types import SimpleNamespace

    import numpy as np
    from flint import arb, arb_mat, fmpq

    from symcert.checker.arithmetic import Net

    rng = np.random.default_rng(seed)
    net = Net(tuple(widths), activation, None, bias, "identity")
    xs = [[Fraction(int(v), 4) for v in rng.integers(-4, 5, widths[0])] for _ in range(4)]
    ys = [[Fraction(int(v), 4) for v in rng.integers(-4, 5, widths[-1])] for _ in range(4)]
    layers = []
    for l in range(1, len(widths)):
        W = [[Fraction(int(v), 8) for v in rng.integers(-8, 9, widths[l - 1])] for _ in range(widths[l])]
        layers.append((W, [Fraction(int(v), 8) for v in rng.integers(-8, 9, widths[l])] if bias else None))
    s = SimpleNamespace(net=net, loss_kind=kind, factor=Fraction(3, 2), decay=Fraction(decay), xs=xs, ys=ys)
    inputs = arb_mat([[arb(fmpq(x[i].numerator, x[i].denominator)) for x in xs] for i in range(widths[0])])
    targets = [[arb(fmpq(y[k].numerator, y[k].denominator)) for y in ys] for k in range(widths[-1])]
    return s, net, layers, inputs, targets


def _flat_values(layers):
    out = []
    for W, b in layers:
        out.extend(v for row in W for v in row)
        out.extend(b or [])
    return out


def _sympy_derivatives(s, widths, activation, bias, values):
    """SymPy's exact gradient and Hessian of the same loss (the prover's closed form)."""
    import sympy

    from symcert import MLP, Dataset, Loss

    loss = Loss(MLP(widths, activation, bias=bias), Dataset(s.xs, s.ys), s.loss_kind, s.decay, s.factor)
    syms = list(loss.mlp.symbols)
    at = dict(zip(syms, (sympy.Rational(v.numerator, v.denominator) for v in values)))
    grad = [sympy.diff(loss.expr, a) for a in syms]
    return [g.xreplace(at) for g in grad], [[sympy.diff(g, b).xreplace(at) for b in syms] for g in grad]


def _contains(ball, value) -> bool:
    from symcert.checker.saddle import _lower, _upper

    exact = Fraction(int(value.p), int(value.q))
    return _lower(ball) <= exact <= _upper(ball)


CHECKER_CASES = [
    ((1, 2, 1), "cube", {}),
    ((2, 2, 2), "square", {"bias": False, "decay": "1/10", "kind": "sse"}),
    ((2, 3, 1), "identity", {}),
]


@pytest.mark.parametrize(("widths", "activation", "options"), CHECKER_CASES)
def test_the_checker_hessian_contains_the_exact_hessian_over_the_box(widths, activation, options):
    import flint
    from flint import arb, fmpq

    from symcert.checker import hessian
    from symcert.checker.saddle import _balls

    s, net, layers, inputs, targets = _checker_case(widths, activation, **options)
    flint.ctx.prec = 120
    try:
        r = Fraction(1, 64)
        box = _balls(layers, arb(fmpq(1, 64)) * arb(0, 1))
        H = hessian.hessian(s, net, box, inputs, targets)
        g = hessian.gradient(s, net, _balls(layers), inputs, targets)
        values = _flat_values(layers)
        for shift in (0, 1, -1):
            exact_g, exact_H = _sympy_derivatives(
                s, widths, activation, options.get("bias", True), [v + shift * r for v in values]
            )
            n = len(values)
            assert all(_contains(H[i, j], exact_H[i][j]) for i in range(n) for j in range(n))
            if shift == 0:
                assert all(_contains(a, v) for a, v in zip(g, exact_g))
    finally:
        flint.ctx.prec = 53


@pytest.mark.parametrize(
    ("widths", "activation", "bias"),
    [((2, 3, 1), "tanh", True), ((2, 3, 2), "sigmoid", True), ((2, 2, 1), "softplus", False)],
)
def test_the_checker_hessian_agrees_with_its_jets(widths, activation, bias, monkeypatch):
    import flint
    from flint import arb, fmpq

    from symcert.checker import hessian, saddle

    s, net, layers, inputs, targets = _checker_case(widths, activation, bias=bias, decay="1/8")
    s.teacher = None
    flint.ctx.prec = 120
    try:
        box = saddle._balls(layers, arb(fmpq(1, 2**20)) * arb(0, 1))
        fast = saddle._hessian(s, net, box, inputs, targets)
        fast_g = saddle._gradient(s, net, saddle._balls(layers), inputs, targets)
        monkeypatch.setattr(hessian, "hessian", lambda *args: None)  # the jets, one direction at a time
        monkeypatch.setattr(hessian, "gradient", lambda *args: None)
        slow = saddle._hessian(s, net, box, inputs, targets)
        slow_g = saddle._gradient(s, net, saddle._balls(layers), inputs, targets)
    finally:
        flint.ctx.prec = 53
    assert all(a.overlaps(b) for a, b in zip(fast.entries(), slow.entries()))
    assert all(a.overlaps(b) for a, b in zip(fast_g, slow_g))
    assert max(float(v.rad()) for v in fast.entries()) <= max(float(v.rad()) for v in slow.entries())


def test_shapes_the_checker_hessian_does_not_cover_keep_the_jets():
    from symcert.checker import hessian

    s, net, _, inputs, targets = _checker_case((1, 2, 2, 1), "tanh")
    assert hessian.supported(s, net, 1) and not hessian.supported(s, net, 2)
    assert hessian.hessian(s, net, [], inputs, targets) is None
    s.loss_kind = "bce"
    assert hessian.gradient(s, net, [], inputs, targets) is None


def test_the_checker_cost_estimate_bounds_the_batched_check(record):
    import time

    start = time.perf_counter()
    found = check(record)
    assert found.accepted and found.estimate > time.perf_counter() - start


# -- certified eigenvalues (issue 26) ----------------------------------------------------


def test_the_eigenvalue_enclosures_are_re_proved(record, result):
    claimed = record["enclosures"]
    assert set(claimed) >= {"lambda_min", "lambda_min_positive"}
    found = check(record)
    assert found.accepted, found.reasons
    for name in ("lambda_min", "lambda_min_positive"):
        low, high = found.enclosures[name]
        assert Fraction(claimed[name][0]) <= low <= high <= Fraction(claimed[name][1])
        assert any(r.startswith(name) for r in found.reasons)
    assert found.enclosures["lambda_min"][1] < 0 < found.enclosures["lambda_min_positive"][0]
    # the prover's enclosure and the checker's are computed apart and overlap
    assert found.enclosures["lambda_min"][0] <= result.inertia.lambda_min[1]


def shifted(name, factor):
    def change(r):
        low, high = (Fraction(v) for v in r["enclosures"][name])
        r["enclosures"][name] = [str(low * factor), str(high * factor)]

    return change


@pytest.mark.parametrize("name", ["lambda_min", "lambda_min_positive"])
def test_a_tampered_eigenvalue_enclosure_is_rejected(record, name):
    found = check(tampered(record, shifted(name, Fraction(11, 10))))
    assert not found.accepted
    assert any(name in r and "does not contain" in r for r in rejections(found))


def test_an_eigenvalue_claim_without_the_index_is_rejected(record):
    found = check(tampered(record, lambda r: r["parameters"].pop("index")))
    assert not found.accepted and any("without the index" in r for r in rejections(found))


def test_an_old_certificate_without_eigenvalues_is_still_accepted(record):
    def old(r):
        r["enclosures"].pop("lambda_min")
        r["enclosures"].pop("lambda_min_positive")

    found = check(tampered(record, old))
    assert found.accepted, found.reasons
    assert "lambda_min" not in found.enclosures
