"""decide: escalation through the precision ladder, "undecided" at its end, exact endpoints."""

from __future__ import annotations

import pytest
import sympy

from symcert import SpecificationError
from symcert.numeric.contexts import exact
from symcert.numeric.decide import DEFAULT_LADDER, decide

R = sympy.Rational
THIRD = R(1, 3)


def _tiny_gap(gap):
    """``(1/3 + gap) - 1/3``, each term enclosed separately: decidable once the width drops below ``gap``."""
    return lambda ctx: exact(ctx, THIRD + gap) - exact(ctx, THIRD)


def test_escalates_until_the_enclosure_excludes_zero():
    seen = []

    def compute(ctx):
        seen.append(ctx.dps)
        return _tiny_gap(R(1, 10**80))(ctx)

    decision = decide(compute, ">")
    assert decision.status == "proved" and decision.dps == 100 and seen == [50, 100]
    assert 0 < decision.lower <= R(1, 10**80) <= decision.upper


def test_answers_undecided_with_the_last_enclosure_when_the_ladder_runs_out():
    seen = []

    def compute(ctx):
        seen.append(ctx.dps)
        return _tiny_gap(R(1, 10**300))(ctx)

    decision = decide(compute, ">")
    assert decision.status == "undecided" and decision.dps == DEFAULT_LADDER[-1]
    assert seen == list(DEFAULT_LADDER)
    assert decision.lower < 0 < decision.upper
    assert decide(compute, ">", ladder=(50, 400)).status == "proved"


def test_refuted_and_other_relations():
    assert decide(lambda ctx: exact(ctx, R(-1, 7)), ">").status == "refuted"
    assert decide(lambda ctx: exact(ctx, R(-1, 7)), "<").status == "proved"
    assert decide(lambda ctx: exact(ctx, R(-1, 7)), "!=").status == "proved"
    assert decide(lambda ctx: exact(ctx, R(0)), "!=").status == "refuted"
    assert decide(lambda ctx: exact(ctx, R(0)), "<").status == "refuted"
    assert "proved < 0" in decide(lambda ctx: exact(ctx, R(-1, 7)), "<").describe()


def test_unbounded_enclosures_escalate_instead_of_crashing():
    def compute(ctx):
        return ctx.mpf([-ctx.inf, ctx.inf]) if ctx.dps < 100 else exact(ctx, R(2))

    decision = decide(compute, ">")
    assert decision.status == "proved" and decision.dps == 100


def test_bad_relation_or_ladder():
    with pytest.raises(SpecificationError, match="relation must be one of"):
        decide(lambda ctx: ctx.mpf(1), ">=")
    with pytest.raises(SpecificationError, match="at least one entry"):
        decide(lambda ctx: ctx.mpf(1), ">", ladder=())
    with pytest.raises(SpecificationError, match="dps must be an integer"):
        decide(lambda ctx: ctx.mpf(1), ">", ladder=(3,))
