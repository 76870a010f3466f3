"""``Loss(..., factor=c)``: an exact c > 0 on the data term, everywhere the loss is evaluated or checked."""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import mpmath
import pytest
import sympy

from symcert import MLP, Dataset, ExactnessError, Loss, SpecificationError, certify_nonconvexity, check
from symcert.build.coq_binding import certificate_from_record
from symcert.checker import CertificateFormatError
from symcert.numeric.contexts import interval_context
from symcert.numeric.engine.api import loss_bounds
from symcert.numeric.engine.backends import ArbBackend
from symcert.numeric.engine.layout import point_layout
from symcert.numeric.evaluation import loss_in
from symcert.symbolic.examples import default_example

R = sympy.Rational


def _pair(kind: str, decay: object = 0) -> tuple[Loss, Loss]:
    out = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(kind, "identity")
    net = MLP((1, 2, 2), "tanh", output_activation=out)
    probabilities = [[R(1, 4), R(3, 4)], [1, 0], [R(1, 2), R(1, 2)]]
    ys = probabilities if kind in ("bce", "cross_entropy") else [[0, 1], [2, -1], [R(1, 3), 5]]
    data = Dataset([[1], [-2], [R(1, 2)]], ys)
    return Loss(net, data, kind, decay), Loss(net, data, kind, decay, factor=R(1, 2))


@pytest.mark.parametrize("kind", ["mse", "sse", "bce", "cross_entropy"])
def test_half_the_data_term_exactly(kind):
    plain, half = _pair(kind)
    assert half.factor == R(1, 2) and plain.factor == 1
    assert half.scale == plain.scale / 2
    assert sympy.simplify(half.expr - plain.expr / 2) == 0


def test_weight_decay_is_not_multiplied():
    plain, half = _pair("mse", R(1, 10))
    weights = sum(w**2 for w in plain.weights())
    assert sympy.expand(half.expr - (plain.expr - R(1, 10) * weights) / 2 - R(1, 10) * weights) == 0
    assert "factor=1/2" in repr(half) and "factor" not in repr(plain)
    assert half.describe().startswith("1/2 * mse loss")


@pytest.mark.parametrize("kind", ["mse", "cross_entropy"])
def test_engine_and_mpmath_enclosures_halve(kind):
    plain, half = _pair(kind, R(1, 7))
    point = plain.mlp.random_point(3)
    names = plain.mlp.parameter_names
    decay = R(1, 7) * sum(v**2 for v, name in zip(point.values, names) if name.startswith("W"))
    lo_p, hi_p = loss_bounds(ArbBackend(60), plain, point_layout(point))
    lo_h, hi_h = loss_bounds(ArbBackend(60), half, point_layout(point))
    d = Fraction(int(decay.p), int(decay.q))
    # half = (plain - decay)/2 + decay: the enclosures must overlap that image
    assert lo_h <= (hi_p - d) / 2 + d and (lo_p - d) / 2 + d <= hi_h
    assert hi_h - lo_h < Fraction(1, 10**12)
    ctx = interval_context(40)
    p, h = loss_in(ctx, plain, point.values), loss_in(ctx, half, point.values)
    dd = ctx.mpf(int(decay.p)) / int(decay.q)
    target = (p - dd) / 2 + dd
    assert h.a <= target.b and target.a <= h.b
    assert h.delta < mpmath.mpf(10) ** -20
    assert abs(mpmath.mpf(h.mid) - mpmath.mpf(p.mid)) > mpmath.mpf(10) ** -6  # the factor changed something


@pytest.mark.parametrize(
    ("factor", "error", "fragment"),
    [
        (0, SpecificationError, "factor must be"),
        ("-1/2", SpecificationError, "factor must be"),
        ("nan", ExactnessError, "factor"),
        ("x", ExactnessError, "factor"),
    ],
)
def test_bad_factors_are_refused(factor, error, fragment):
    with pytest.raises(error, match=fragment):
        Loss(MLP((1, 1)), Dataset([[1]], [[0]]), "mse", factor=factor)


@pytest.fixture(scope="module")
def halved() -> dict:
    example = default_example()
    loss = example.loss
    half = Loss(loss.mlp, loss.data, loss.kind, loss.weight_decay, factor=R(1, 2))
    certificate = certify_nonconvexity(half, example.teacher, element=example.element, kind="chord")
    return json.loads(certificate.to_json())


def test_factor_is_recorded_only_when_not_one(halved):
    assert halved["loss"]["factor"] == "1/2"
    example = default_example()
    plain = json.loads(
        certify_nonconvexity(example.loss, example.teacher, element=example.element, kind="chord").to_json()
    )
    assert "factor" not in plain["loss"]
    assert certificate_from_record(halved).loss.factor == R(1, 2)


@pytest.mark.parametrize("arithmetic", ["arb", "mpmath"])
def test_a_certificate_with_a_factor_checks(halved, arithmetic):
    result = check(halved, arithmetic=arithmetic)
    assert result.accepted, result.reasons


@pytest.mark.parametrize("arithmetic", ["arb", "mpmath"])
@pytest.mark.parametrize("value", ["1/3", "1", None])
def test_a_changed_factor_is_rejected(halved, arithmetic, value):
    record = copy.deepcopy(halved)
    if value is None:
        del record["loss"]["factor"]
    else:
        record["loss"]["factor"] = value
    result = check(record, arithmetic=arithmetic)
    assert not result.accepted
    assert any("does not contain" in reason for reason in result.reasons), result.reasons


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("0", "loss.factor must be"),
        ("-1/2", "loss.factor must be"),
        (0.5, "wrong type"),
        ("1/0", "zero denominator"),
        ("half", "not an exact number"),
    ],
)
def test_malformed_factors_are_refused(halved, value, fragment):
    record = copy.deepcopy(halved)
    record["loss"]["factor"] = value
    with pytest.raises(CertificateFormatError) as error:
        check(record)
    assert fragment in str(error.value)
