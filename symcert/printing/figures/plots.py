r"""Plots of certificates with matplotlib, for notebooks and slides: :func:`plot` returns the Figure.

What is drawn, by kind:

- ``chord``: ``phi(t) = L(A + t(B - A))`` on ``[-margin, 1 + margin]`` with the chord; the certified
  enclosures of ``L(A)``, ``L(M)`` and ``L(B)`` as error bars at ``t = 0, 1/2, 1``; ``A``, ``B``, ``M``
  marked;
- ``curvature`` and ``hessian``: the same curve, with the osculating parabolas at ``t0`` whose second
  derivatives are the two certified endpoints of ``phi''(t0)`` (a shaded band between them);
- ``critical_pair``: the curve with tangent lines at ``t0`` whose slopes are the certified endpoints of
  ``phi'(t0)``;
- ``orbit``: one bar per permuted copy of ``A`` (all at the certified ``L(A)``: the permutation is a
  symmetry) and one bar for the orbit average, with their certified enclosures as error bars;
- ``barrier`` (a certificate or a :class:`~symcert.proofs.barrier.BarrierResult`): the certified band
  (each piece's bound plus the chord), the certified point enclosures, the witness and the chord.

The curve ``phi`` itself is float64 (a picture, not a proof); every certified number drawn comes from
the certificate's own enclosures, exactly as stored, converted to float only to draw. matplotlib is an
optional extra (``pip install -e '.[plot]'``), imported when a plot is asked for.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from symcert import certify_nonconvexity, default_example
>>> ex = default_example()
>>> figure = plot(certify_nonconvexity(ex.loss, ex.teacher, element=ex.element))
>>> [line.get_label() for line in figure.axes[0].lines][:2]
['$\\varphi(t) = L(A + t(B - A))$', 'chord']
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from symcert.errors import SpecificationError, SymcertError
from symcert.numeric.floats import FloatLoss
from symcert.numeric.rounding import outward_interval
from symcert.proofs.barrier import BarrierResult
from symcert.proofs.certificates import Certificate

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot", "save_plot", "PLOT_FORMATS", "INSTALL_PLOT", "MAX_ORBIT_BARS"]

INSTALL_PLOT = "pip install -e '.[plot]' (or pip install matplotlib)"
PLOT_FORMATS = (".png", ".svg", ".pdf")
#: Above this many permuted copies, the orbit plot draws one bar standing for all of them.
MAX_ORBIT_BARS = 24


def _pyplot_free_figure(panels: int) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise SymcertError(f"plotting needs matplotlib, which is not installed; run {INSTALL_PLOT}") from None
    figure = Figure(figsize=(6.4 * panels, 4.2), layout="constrained")
    figure.subplots(1, panels, squeeze=False)
    return figure


def _f(value: Any) -> float:
    return float(Fraction(str(value))) if not isinstance(value, (float, int, Fraction)) else float(value)


def _mid(bounds: tuple[Any, Any]) -> float:
    return (_f(bounds[0]) + _f(bounds[1])) / 2


def _errorbar(ax: Axes, t: float, bounds: tuple[Any, Any], label: str, name: str, color: str) -> None:
    """A certified enclosure ``[lo, hi]`` drawn as an error bar at ``t`` (the mark at its midpoint)."""
    lo, hi = _f(bounds[0]), _f(bounds[1])
    mid = (lo + hi) / 2
    ax.errorbar([t], [mid], yerr=[[mid - lo], [hi - mid]], fmt="o", color=color, capsize=4, label=label)
    ax.annotate(name, (t, mid), textcoords="offset points", xytext=(6, 6), fontsize=11)


def _segment_curve(certificate: Certificate, margin: float, samples: int) -> tuple[np.ndarray, np.ndarray]:
    compiled = FloatLoss(certificate.loss)
    a = np.array([float(v) for v in certificate.A.values])
    assert certificate.B is not None  # a segment's certificate has its B
    d = np.array([float(v) for v in certificate.A.direction(certificate.B)])
    ts = np.linspace(-margin, 1 + margin, samples)
    return ts, np.array([compiled.value(a + t * d) for t in ts])


def _float_phi(certificate: Certificate, t: float) -> float:
    compiled = FloatLoss(certificate.loss)
    a = np.array([float(v) for v in certificate.A.values])
    assert certificate.B is not None  # a segment's certificate has its B
    d = np.array([float(v) for v in certificate.A.direction(certificate.B)])
    return compiled.value(a + t * d)


def _float_slope(certificate: Certificate, t: float) -> float:
    compiled = FloatLoss(certificate.loss)
    a = np.array([float(v) for v in certificate.A.values])
    assert certificate.B is not None  # a segment's certificate has its B
    d = np.array([float(v) for v in certificate.A.direction(certificate.B)])
    return float(compiled.gradient(a + t * d) @ d)


def _segment_axes(ax: Axes, certificate: Certificate, margin: float, samples: int) -> None:
    ts, values = _segment_curve(certificate, margin, samples)
    ax.plot(ts, values, color="#1f4e99", lw=2, label=r"$\varphi(t) = L(A + t(B - A))$")
    enclosures = certificate.enclosures
    if "L(A)" in enclosures and "L(B)" in enclosures:
        ends = (_mid(enclosures["L(A)"]), _mid(enclosures["L(B)"]))
    else:
        ends = (_float_phi(certificate, 0.0), _float_phi(certificate, 1.0))
    ax.plot([0, 1], ends, ls="--", color="#b22222", lw=1.5, label="chord")
    if "L(M)" in enclosures:  # a chord certificate's midpoint
        for t, key, name, color in ((0.0, "L(A)", "A", "black"), (1.0, "L(B)", "B", "black")):
            _errorbar(ax, t, enclosures[key], f"certified {key}", name, color)
        _errorbar(ax, 0.5, enclosures["L(M)"], "certified L(M)", "M", "#b22222")
        if "barrier" in enclosures:
            bounds = outward_interval(*enclosures["barrier"], 6)  # rounded outward: it still encloses
            ax.set_title(r"$L(M) - \frac{1}{2}(L(A) + L(B)) \in %s$ (certified)" % bounds)
    else:
        for t, value, name in ((0.0, ends[0], "A"), (1.0, ends[1], "B")):
            ax.plot([t], [value], "o", color="black")
            ax.annotate(name, (t, value), textcoords="offset points", xytext=(6, 6), fontsize=11)
        m = _float_phi(certificate, 0.5)
        ax.plot([0.5], [m], "o", color="#b22222")
        ax.annotate("M", (0.5, m), textcoords="offset points", xytext=(6, 6), fontsize=11)
    decorate = _ON_SEGMENT.get(certificate.spec.quantity)
    if decorate is not None:
        decorate(ax, certificate)
    ax.set_xlabel("$t$")
    ax.set_ylabel(r"$\varphi(t)$")
    ax.grid(alpha=0.3)


def _t0(certificate: Certificate) -> float:
    return _f(certificate.parameters.get("t0", Fraction(1, 2)))


def _osculating(ax: Axes, certificate: Certificate) -> None:
    """``phi(t0) + phi'(t0) s + c s^2 / 2`` for ``c`` each certified endpoint of ``phi''(t0)``."""
    name = certificate.spec.quantity  # phi''(t0), or dHd = phi''(1/2)
    if name not in certificate.enclosures:
        return
    lo, hi = (_f(v) for v in certificate.enclosures[name])
    t0 = _t0(certificate)
    value, slope = _float_phi(certificate, t0), _float_slope(certificate, t0)
    s = np.linspace(-0.35, 0.35, 57)
    curves = [value + slope * s + c * s * s / 2 for c in (lo, hi)]
    ax.plot(
        t0 + s, curves[0], color="#2e8b57", lw=1.5, label=r"osculating parabola, certified $\varphi''$ (low)"
    )
    ax.plot(t0 + s, curves[1], color="#2e8b57", lw=1.5, ls=":", label=r"certified $\varphi''$ (high)")
    ax.fill_between(t0 + s, curves[0], curves[1], color="#2e8b57", alpha=0.2)
    bounds = outward_interval(*certificate.enclosures[name], 6)  # rounded outward
    ax.set_title(r"$\varphi''(%s) \in %s < 0$" % (_fraction_text(certificate, "t0"), bounds))


def _tangents(ax: Axes, certificate: Certificate) -> None:
    if "phi'(t0)" not in certificate.enclosures:
        return
    lo, hi = (_f(v) for v in certificate.enclosures["phi'(t0)"])
    t0 = _t0(certificate)
    value = _float_phi(certificate, t0)
    s = np.linspace(-0.2, 0.2, 2)
    ax.plot(
        t0 + s, value + lo * s, color="#2e8b57", lw=1.5, label=r"tangent, certified $\varphi'(t_0)$ (low)"
    )
    ax.plot(
        t0 + s, value + hi * s, color="#2e8b57", lw=1.5, ls=":", label=r"certified $\varphi'(t_0)$ (high)"
    )
    bounds = outward_interval(*certificate.enclosures["phi'(t0)"], 6)  # rounded outward
    ax.set_title(r"$\varphi'(%s) \in %s \neq 0$" % (_fraction_text(certificate, "t0"), bounds))


def _fraction_text(certificate: Certificate, key: str) -> str:
    return str(certificate.parameters.get(key, "1/2"))


def _orbit_axes(ax: Axes, certificate: Certificate) -> None:
    """One bar per permuted copy (at the certified ``L(A)``) and one for the average."""
    layer = int(certificate.parameters.get("layer", 1))
    n = certificate.loss.mlp.widths[layer]
    LA, Lmean = certificate.enclosures["L(A)"], certificate.enclosures["L(mean)"]
    copies = math.factorial(n)
    if copies <= MAX_ORBIT_BARS:
        labels = ["".join(str(i) for i in p) for p in itertools.permutations(range(n))]
    else:
        labels = [f"each of {copies}"]
    xs = np.arange(len(labels) + 1)
    heights = [_mid(LA)] * len(labels) + [_mid(Lmean)]
    errors = np.array(
        [
            [h - _f(b[0]) for h, b in zip(heights, [LA] * len(labels) + [Lmean])],
            [_f(b[1]) - h for h, b in zip(heights, [LA] * len(labels) + [Lmean])],
        ]
    )
    colors = ["#1f4e99"] * len(labels) + ["#b22222"]
    ax.bar(xs, heights, yerr=errors, color=colors, capsize=4, label="certified loss")
    ax.set_xticks(xs, [*labels, "average"], rotation=45 if len(labels) > 6 else 0)
    ax.axhline(_mid(LA), ls="--", color="gray", lw=1, label="L(A) = L(gA) for every copy")
    ax.set_xlabel(f"permutation of layer {layer} (unit order) and the orbit average")
    ax.set_ylabel("loss")
    ax.set_title("averaging the orbit raises the loss: L(mean) > L(A)")


def _chord_of(form: str, LA: float, LB: float, t: float) -> float:
    return (LA + LB) / 2 if form == "midpoint" else (1 - t) * LA + t * LB


def _barrier_axes(ax: Axes, result: BarrierResult | Certificate, margin: float, samples: int) -> None:
    """The certified band (piece bound plus chord), point enclosures, witness and chord."""
    if isinstance(result, BarrierResult):
        form, LA, LB = result.form, _mid(result.LA), _mid(result.LB)
        pieces = [(float(a), float(b), float(u)) for a, b, u in result.pieces]
        points = [(float(t), float(lo), float(hi)) for t, lo, hi in result.samples]
        witness, lo_barrier = float(result.witness), float(result.lo)
        loss, A, B = result.loss, result.A, result.B
    else:
        form = result.parameters.get("form", "entezari")
        LA, LB = _mid(result.enclosures["L(A)"]), _mid(result.enclosures["L(B)"])
        pieces = [(_f(a), _f(b), _f(u)) for a, b, u in result.parameters.get("pieces", ())]
        points = []
        witness, lo_barrier = _f(result.parameters["witness"]), _f(result.enclosures["barrier"][0])
        end = result.B
        assert end is not None  # a barrier certificate has its B
        loss, A, B = result.loss, result.A, end
    compiled = FloatLoss(loss)
    a = np.array([float(v) for v in A.values])
    d = np.array([float(v) for v in A.direction(B)])
    ts = np.linspace(0.0, 1.0, samples)
    ax.plot(
        ts, [compiled.value(a + t * d) for t in ts], color="#1f4e99", lw=2, label=r"$\varphi(t)$ (float64)"
    )
    band_t, band_y = [], []
    for t0, t1, upper in pieces:
        top = upper + max(_chord_of(form, LA, LB, t0), _chord_of(form, LA, LB, t1))
        band_t += [t0, t1]
        band_y += [top, top]
    if band_t:
        ax.fill_between(
            band_t,
            band_y,
            min([*band_y, LA, LB]),
            color="#1f4e99",
            alpha=0.15,
            step=None,
            label="certified upper band",
        )
        ax.plot(band_t, band_y, color="#1f4e99", lw=0.8, label="certified upper bound of $\\varphi$")
    if points:
        mids = [(lo + hi) / 2 for _, lo, hi in points]
        ax.errorbar(
            [t for t, _, _ in points],
            mids,
            yerr=[
                [m - lo for m, (_, lo, _) in zip(mids, points)],
                [hi - m for m, (_, _, hi) in zip(mids, points)],
            ],
            fmt=".",
            color="black",
            capsize=2,
            label=r"certified $\varphi(t)$",
        )
    ax.plot(
        [0, 1],
        [_chord_of(form, LA, LB, 0), _chord_of(form, LA, LB, 1)],
        ls="--",
        color="#b22222",
        label="chord",
    )
    floor = _chord_of(form, LA, LB, witness) + lo_barrier
    ax.plot([witness], [floor], "v", color="#b22222", label="witness: certified lower bound")
    ax.set_xlabel("$t$")
    ax.set_ylabel(r"$\varphi(t) = L((1-t)A + tB)$")
    ax.grid(alpha=0.3)


def plot(
    obj: Any, *, margin: float = 0.25, samples: int = 121, titles: Sequence[str] | None = None
) -> Figure:
    """A matplotlib Figure of a certificate, a barrier result, or a sequence of them (one panel each).

    ``margin`` extends the segment plots beyond ``[0, 1]``; ``samples`` is the number of float64
    points on the curve. Needs matplotlib (the ``plot`` extra); the Figure is not attached to pyplot,
    so it works headless (save it with ``figure.savefig`` or :func:`save_plot`).
    """
    items = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    for item in items:
        if not isinstance(item, (Certificate, BarrierResult)):
            raise SpecificationError(
                f"plot needs a Certificate or a BarrierResult (or a list of them), got {type(item).__name__}"
            )
    if not items:
        raise SpecificationError("plot needs at least one certificate, got an empty list")
    figure = _pyplot_free_figure(len(items))
    for k, (ax, item) in enumerate(zip(figure.axes, items)):
        if isinstance(item, BarrierResult) or item.kind in _OWN_AXES:
            _OWN_AXES["barrier" if isinstance(item, BarrierResult) else item.kind](ax, item, margin, samples)
        else:
            if item.B is None:
                raise SpecificationError(f"a {item.kind} certificate without B cannot be drawn on a segment")
            _segment_axes(ax, item, margin, samples)
        if titles is not None and k < len(titles):
            ax.set_title(titles[k])
        ax.legend(fontsize=8, loc="best")
    return figure


def save_plot(obj: Any, path: str | Path, **options: Any) -> Path:
    """Write :func:`plot` of ``obj`` to ``path`` (``.png``, ``.svg`` or ``.pdf``) and return the path."""
    path = Path(path)
    if path.suffix.lower() not in PLOT_FORMATS:
        raise SpecificationError(
            f"the plot file must end in {', '.join(PLOT_FORMATS)}, got {path.name!r}; choose one of those"
        )
    if not path.resolve().parent.is_dir():
        raise SpecificationError(f"cannot write {path}: its folder does not exist")
    figure = plot(obj, **options)
    try:
        figure.savefig(path, dpi=150, metadata=_metadata(path.suffix.lower()))
    except OSError as error:
        raise SpecificationError(f"cannot write {path}: {error.strerror}") from None
    return path


def _metadata(suffix: str) -> dict[str, Any]:
    """Reproducible files: no creation date in SVG and PDF."""
    if suffix == ".svg":
        return {"Date": None}
    if suffix == ".pdf":
        return {"CreationDate": None}
    return {}


#: What a kind drawn on the segment adds to the curve, by its decisive quantity.
_ON_SEGMENT = {"phi''(t0)": _osculating, "dHd": _osculating, "phi'(t0)": _tangents}
#: The kinds drawn on axes of their own (not the segment), by kind.
_OWN_AXES: dict[str, Callable[[Axes, Any, float, int], None]] = {
    "barrier": _barrier_axes,
    "orbit": lambda ax, item, margin, samples: _orbit_axes(ax, item),
}
