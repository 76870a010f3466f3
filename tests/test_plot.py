"""symcert.plot: headless figures whose drawn certified numbers are the certificate's own enclosures."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402

from symcert import SymcertError, certify_barrier, certify_nonconvexity, default_example, loss_value, plot  # noqa: E402
from symcert.cli import main  # noqa: E402
from symcert.printing.figures.plots import save_plot  # noqa: E402


@pytest.fixture(scope="module")
def example():
    return default_example()


@pytest.fixture(scope="module")
def certificates(example):
    return {
        kind: certify_nonconvexity(example.loss, example.teacher, element=example.element, kind=kind)
        for kind in ("chord", "curvature", "orbit", "critical_pair")
    }


def _bounds(certificate, name):
    lo, hi = certificate.enclosures[name]
    return float(lo), float(hi)


def _errorbars(ax):
    """(x, y-lower, y-upper) of every error bar drawn on ``ax``."""
    found = []
    for container in ax.containers:
        if isinstance(container, ErrorbarContainer):
            data_line, _caps, (bars,) = container.lines
            for x, segment in zip(data_line.get_xdata(), bars.get_segments()):
                found.append((float(x), float(segment[0][1]), float(segment[1][1])))
    return found


def test_chord_error_bars_are_the_certified_enclosures(certificates):
    certificate = certificates["chord"]
    ax = plot(certificate).axes[0]
    bars = sorted(_errorbars(ax))
    assert [x for x, _, _ in bars] == [0.0, 0.5, 1.0]
    expected = [_bounds(certificate, name) for name in ("L(A)", "L(M)", "L(B)")]
    for (_, lo, hi), (elo, ehi) in zip(bars, expected):
        assert lo == pytest.approx(elo, rel=1e-12, abs=1e-15) and hi == pytest.approx(
            ehi, rel=1e-12, abs=1e-15
        )
    chord = next(line for line in ax.lines if line.get_label() == "chord")
    assert list(chord.get_ydata()) == pytest.approx(
        [sum(_bounds(certificate, n)) / 2 for n in ("L(A)", "L(B)")]
    )
    names = {text.get_text() for text in ax.texts}
    assert {"A", "B", "M"} <= names


def test_the_curve_is_phi_along_the_segment(certificates, example):
    ax = plot(certificates["chord"], margin=0.0, samples=3).axes[0]
    curve = ax.lines[0]
    assert list(curve.get_xdata()) == [0.0, 0.5, 1.0]
    M = example.teacher.midpoint(example.element(example.teacher))
    assert curve.get_ydata()[1] == pytest.approx(float(loss_value(example.loss, M, dps=20)), rel=1e-9)


def test_curvature_parabolas_have_the_certified_second_derivatives(certificates):
    certificate = certificates["curvature"]
    ax = plot(certificate).axes[0]
    parabolas = [line for line in ax.lines if "varphi''" in line.get_label()]
    assert len(parabolas) == 2
    lo, hi = _bounds(certificate, "phi''(t0)")
    for line, expected in zip(parabolas, (lo, hi)):
        t, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        step = t[1] - t[0]
        second = (y[2:] - 2 * y[1:-1] + y[:-2]) / step**2
        assert second == pytest.approx(np.full_like(second, expected), rel=1e-6)
        assert abs(t[len(t) // 2] - 0.5) < 1e-12  # centred at t0 = 1/2
    assert expected < 0


def test_critical_tangents_have_the_certified_slopes(certificates):
    certificate = certificates["critical_pair"]
    ax = plot(certificate).axes[0]
    tangents = [line for line in ax.lines if "varphi'(t_0)" in line.get_label()]
    lo, hi = _bounds(certificate, "phi'(t0)")
    slopes = [np.diff(line.get_ydata())[0] / np.diff(line.get_xdata())[0] for line in tangents]
    assert slopes == pytest.approx([lo, hi], rel=1e-9)


def test_orbit_bars_are_each_copy_and_the_average(certificates):
    certificate = certificates["orbit"]
    ax = plot(certificate).axes[0]
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    heights = [patch.get_height() for patch in bars.patches]
    assert len(heights) == 3  # 2! copies and the average
    LA, Lmean = (sum(_bounds(certificate, n)) / 2 for n in ("L(A)", "L(mean)"))
    assert heights == pytest.approx([LA, LA, Lmean])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["01", "10", "average"]


def test_barrier_band_is_piece_bound_plus_chord(example):
    A, B = example.teacher, example.element(example.teacher)
    result = certify_barrier(example.loss, A, B, tol=Fraction(1, 100))
    for item in (result, result.certificate()):
        ax = plot(item).axes[0]
        band = next(line for line in ax.lines if line.get_label().startswith("certified upper bound"))
        LA, LB = (float(sum(bounds) / 2) for bounds in (result.LA, result.LB))
        expected = []
        for t0, t1, upper in result.pieces:
            top = float(upper) + max((1 - float(t)) * LA + float(t) * LB for t in (t0, t1))
            expected += [top, top]
        assert list(band.get_ydata()) == pytest.approx(expected, rel=1e-12)
        witness = next(line for line in ax.lines if line.get_label().startswith("witness"))
        assert witness.get_xdata()[0] == float(result.witness)
        assert witness.get_ydata()[0] == pytest.approx(
            float(result.lo) + (1 - float(result.witness)) * LA + float(result.witness) * LB
        )
    samples = _errorbars(plot(result).axes[0])
    assert len(samples) == len(result.samples) > 0
    assert {round(x, 12) for x, _, _ in samples} == {round(float(t), 12) for t, _, _ in result.samples}


def test_several_panels_and_bad_input(certificates):
    figure = plot([certificates["chord"], certificates["orbit"]], titles=["chord", "orbit"])
    assert len(figure.axes) == 2 and figure.axes[1].get_title() == "orbit"
    with pytest.raises(SymcertError, match="Certificate or a BarrierResult"):
        plot("chord")
    with pytest.raises(SymcertError, match=r"\.png"):
        save_plot(certificates["chord"], "out.txt")


def test_missing_matplotlib_is_one_clear_error(certificates, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(
        SymcertError, match=r"matplotlib, which is not installed; run pip install -e '\.\[plot\]'"
    ):
        plot(certificates["chord"])


def test_import_symcert_does_not_import_matplotlib():
    code = "import sys, symcert; print('matplotlib' in sys.modules, callable(symcert.plot))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


def test_cli_plot_writes_the_file(tmp_path, capsys):
    out = tmp_path / "chord.svg"
    assert main(["prove", "--plot", str(out)]) == 0
    assert out.read_text().lstrip().startswith("<?xml") and "<svg" in out.read_text()
    assert main(["prove", "--plot", str(tmp_path / "chord.gif")]) == 2
    assert "--plot must name a .png, .svg, .pdf file" in capsys.readouterr().err
    png = tmp_path / "barrier.png"
    assert main(["barrier", "--tol", "1/10", "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_lives_with_the_other_figures():
    import importlib.util

    import symcert
    from symcert.printing.figures import figure, plot, save_plot

    assert symcert.plot is plot and callable(figure) and callable(save_plot)
    assert importlib.util.find_spec("symcert.printing.plot") is None  # one place for figures
