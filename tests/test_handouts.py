"""The shipped handouts are the project's proof library: each one compiles with real TeX, has every
part a handout needs, and every certificate in it is re-checked by the independent checker."""

from __future__ import annotations

import pytest

from symcert import check
from symcert.cli import main
from symcert.handouts import build_handout, handout_names
from symcert.printing.latex.display import interval_latex

NAMES = handout_names()


@pytest.fixture(scope="module")
def handouts():
    """Every handout, built once."""
    return {name: build_handout(name) for name in NAMES}


def test_catalogue_names():
    assert NAMES == (
        "convexity-baseline",
        "permutation",
        "sign-flip",
        "seed-argument",
        "rescaling",
        "permutation-saddles",
        "linear-mode-connectivity",
        "mode-connectivity",
    )


def test_handout_list(capsys):
    assert main(["handout", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in NAMES)


def test_unknown_handout_exits_2(capsys):
    assert main(["handout", "no-such-handout"]) == 2
    assert "the handouts are convexity-baseline" in capsys.readouterr().err


@pytest.mark.parametrize("name", NAMES)
def test_every_certificate_is_rechecked(handouts, name):
    handout = handouts[name]
    certificates = handout.certificates()
    if name == "convexity-baseline":
        assert not certificates and len(handout.convexity_proofs()) == 2
        assert all(proof.proved for proof in handout.convexity_proofs())
        return
    assert certificates
    for certificate in certificates:
        assert certificate.proved
        result = check(certificate.to_dict())
        assert result.accepted, result.reasons


@pytest.mark.parametrize("name", NAMES)
def test_handout_has_every_part(handouts, name):
    handout = handouts[name]
    text = handout.document()
    for piece in (
        r"\section*{Motivation}",
        r"\begin{definition}",
        r"\begin{theorem}",
        r"\begin{proof}",
        r"\begin{figure}",
        r"\begin{axis}",
        r"\section*{Exercises}",
        r"\section*{Solutions}",
    ):
        assert piece in text, piece
    assert 2 <= len(handout.exercises) <= 3
    assert r"\includegraphics" not in text  # figures are drawn from computed values
    for certificate in handout.certificates():  # the certified numbers are printed, rounded outward
        for bounds in certificate.enclosures.values():
            assert interval_latex(bounds, 10) in text
    without = handout.document(solutions=False)
    assert r"\section*{Solutions}" not in without and r"\begin{exercise}" in without


# Compiling the handouts with real TeX (and reading the log) is in test_tex_quality.py.
