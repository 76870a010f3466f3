"""``--digits N`` (issue 22): every printed enclosure pinned to N significant digits, rounded outward.

Checked a second way: the loss of a small "trained" network (float weights, decimal data) is computed
independently with mpmath at 60 digits, and the printed 15-digit interval must contain it.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from symcert.checker import check
from symcert.cli import main
from symcert.numeric.rounding import agreed_digits, pins_digits

W1 = np.array([[0.8125, -1.3], [-0.45, 0.7], [1.1, 0.35]])
B1 = np.array([0.1, -0.2, 0.05])
W2 = np.array([[0.9, -1.15, 0.6]])
B2 = np.array([0.03])
XS = [(Fraction(i - 6, 4), Fraction((3 * i) % 7 - 3, 5)) for i in range(12)]
YS = [Fraction(((5 * i) % 9) - 4, 10) for i in range(12)]

_INTERVAL = re.compile(r"(\S+) in \[([-0-9.e]+), ([-0-9.e]+)\]")


@pytest.fixture
def files(tmp_path):
    np.savez(tmp_path / "net.npz", activation=np.array("tanh"), W1=W1, b1=B1, W2=W2, b2=B2)
    rows = [f"{float(x1)},{float(x2)},{float(y)}" for (x1, x2), y in zip(XS, YS)]
    (tmp_path / "train.csv").write_text("x1,x2,y1\n" + "\n".join(rows) + "\n")
    return tmp_path / "net.npz", tmp_path / "train.csv"


def _swapped(folder) -> object:
    """The network with hidden units 0 and 2 exchanged: B = swap:1:0,2(A), as a second model file."""
    swap = [2, 1, 0]
    path = folder / "swapped.npz"
    np.savez(path, activation=np.array("tanh"), W1=W1[swap], b1=B1[swap], W2=W2[:, swap], b2=B2)
    return path


def _mse(W1, b1, W2, b2) -> mpmath.mpf:
    """The mean squared error of the 2-3-1 tanh network, in mpmath at 60 digits (not symcert's code)."""
    with mpmath.workdps(60):
        total = mpmath.mpf(0)
        for (x1, x2), y in zip(XS, YS):
            x = [mpmath.mpf(x1.numerator) / x1.denominator, mpmath.mpf(x2.numerator) / x2.denominator]
            hidden = [
                mpmath.tanh(mpmath.mpf(W1[j][0]) * x[0] + mpmath.mpf(W1[j][1]) * x[1] + mpmath.mpf(b1[j]))
                for j in range(3)
            ]
            out = sum(mpmath.mpf(W2[0][j]) * hidden[j] for j in range(3)) + mpmath.mpf(b2[0])
            total += (out - mpmath.mpf(y.numerator) / y.denominator) ** 2
        return total / len(XS)


def _printed(text: str) -> dict[str, tuple[str, str]]:
    return {m.group(1): (m.group(2), m.group(3)) for m in _INTERVAL.finditer(text)}


def _contains(bounds: tuple[str, str], value: mpmath.mpf) -> bool:
    with mpmath.workdps(60):
        return mpmath.mpf(bounds[0]) <= value <= mpmath.mpf(bounds[1])


def test_prove_digits_15_on_a_trained_model(files, capsys, tmp_path):
    net, data = files
    argv = ["prove", "--model", str(net), "--data", str(data), "--element", "swap:1:0,2", "--quiet"]
    cert = tmp_path / "cert.json"
    assert main([*argv, "--digits", "15", "--json", str(cert)]) == 0
    text = capsys.readouterr().out
    printed = _printed(text)
    reference = {"L(A)": _mse(W1, B1, W2, B2)}
    swap = [2, 1, 0]  # units 0 and 2 exchanged
    reference["L(M)"] = _mse((W1 + W1[swap]) / 2, (B1 + B1[swap]) / 2, (W2 + W2[:, swap]) / 2, B2)
    for name, value in reference.items():
        lo, hi = printed[name]
        assert len(lo.replace(".", "").lstrip("0-")) == 15  # 15 significant digits shown, trailing zeros too
        assert pins_digits(Fraction(lo), Fraction(hi), 15), (name, lo, hi)
        assert _contains((lo, hi), value), (name, lo, hi, value)  # outward: still encloses
    assert "note:" not in text  # every enclosure reached 15 digits
    assert check(cert).accepted  # the tighter certificate still passes the independent checker
    assert main(argv) == 0  # without --digits: 6 digits
    lo, hi = _printed(capsys.readouterr().out)["L(A)"]
    assert len(lo.replace(".", "").lstrip("0-")) <= 6 and _contains((lo, hi), reference["L(A)"])


def test_barrier_digits_15(files, capsys, tmp_path):
    net, data = files
    swapped = _swapped(tmp_path)
    cert = tmp_path / "barrier.json"
    argv = ["barrier", "--model", str(net), "--model", str(swapped), "--data", str(data), "--quiet"]
    assert main([*argv, "--digits", "15", "--json", str(cert)]) == 0
    out = capsys.readouterr().out
    printed = _printed(out)
    barrier = printed["(entezari)"]
    assert pins_digits(Fraction(barrier[0]), Fraction(barrier[1]), 15), barrier
    assert _contains(printed["L(A)"], _mse(W1, B1, W2, B2))
    assert "note:" not in out
    assert check(cert).accepted
    assert main([*argv, "--digits", "15", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)  # stdout: one document, with L(A) and L(B) too
    names = {e["name"]: e for e in document["enclosures"]}
    assert {"barrier", "L(A)", "L(B)"} <= set(names)
    assert pins_digits(Fraction(names["barrier"]["lower"]), Fraction(names["barrier"]["upper"]), 15)


def test_digits_not_reached_are_said(files, capsys, tmp_path):
    net, data = files
    swapped = _swapped(tmp_path)
    argv = ["barrier", "--model", str(net), "--model", str(swapped), "--data", str(data), "--quiet"]
    main([*argv, "--digits", "40", "--max-pieces", "3"])  # too few pieces for 40 digits
    out = capsys.readouterr().out
    assert re.search(r"note: barrier pins \d+ significant digits, not the 40 asked for", out)
    lo, hi = _printed(out)["(entezari)"]
    assert Fraction(lo) < Fraction(hi)  # printed all the same, outward


def test_digits_is_checked(capsys):
    assert main(["prove", "--digits", "0"]) == 2
    assert "--digits must be an integer from 1 to" in capsys.readouterr().err
    from symcert.errors import SpecificationError
    from symcert.symbolic.examples import default_example

    example = default_example()
    with pytest.raises(SpecificationError, match="digits must be an integer"):
        from symcert import certify_nonconvexity

        certify_nonconvexity(example.loss, example.teacher, element=example.element, digits=2.5)


def test_pins_digits_against_the_definition():
    third = (Fraction(1, 3) - Fraction(1, 10**20), Fraction(1, 3) + Fraction(1, 10**20))
    assert agreed_digits(*third) >= 19 and not pins_digits(*third, 22)
    assert pins_digits(Fraction(9995, 1000), Fraction(10005, 1000), 3)  # 9.995..10.005: adjacent across 10
    assert not pins_digits(Fraction(1), Fraction(2), 2)
    assert pins_digits(Fraction(0), Fraction(0), 10) and agreed_digits(-Fraction(1, 10**9), 1) is None


def test_disjoint_enclosures_of_two_rungs_are_an_error_not_a_silent_pass():
    """Climbing for digits intersects successive rungs; two disjoint "rigorous" enclosures mean one of
    them is not, and the ladder must say so instead of keeping the later one as if nothing happened."""
    from symcert.numeric.engine.ladder import decide_on_rungs, wanting_digits

    def inconsistent(bk):  # float64 says x is near 1, Arb says x is near 2: both cannot enclose x
        centre = Fraction(1) if bk.name == "float64" else Fraction(2)
        return {"x": (centre - Fraction(1, 10**3), centre + Fraction(1, 10**3))}

    with wanting_digits(10), pytest.raises(RuntimeError, match="disjoint"):
        decide_on_rungs(inconsistent, "x", ">", (30,))
