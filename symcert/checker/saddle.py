"""The checker's own account of ``critical_point`` and ``saddle`` certificates (Arb, python-flint).

The large products with float matrices (steps 1, 4 and 5) run first in verified float64
(:mod:`symcert.checker.saddle_f64`: midpoint-radius products, directed error bounds); where float64
does not decide, the same step runs in Arb as described below.

Recomputed from the statement alone, with nothing from the prover:

1. Krawczyk: the gradient at the exact centre ``A`` (one first-order jet per parameter), the
   Hessian over the box ``X = A + [-r, r]^n`` (second-order jets along ``e_i`` and
   ``e_i + e_j`` with the parameters as balls; polarization), an approximate inverse ``Y`` of
   its midpoint computed here, and ``D = -Y g + (I - Y H)[-r, r]``: the margin
   ``max |D_i| - r`` must be ``< 0`` (then ``grad L`` has exactly one zero ``z`` in ``X``).
2. The lift, computed here from ``layer``, ``unit`` and ``lam``: the wide network, the lifted
   box (the image of the balls of ``X``), and a consistency check of the lift lemma
   ``grad L_wide(M A) = G grad L(A)`` (the two enclosures must overlap entry by entry). The lemma
   itself (an exact identity, proved symbolically by the prover for every point) makes ``M z``
   a critical point of the wide loss.
3. ``d^T H_wide d`` over the lifted box (one jet) must be ``< 0``: not a local minimum.
4. If ``index`` is stated: the wide Hessian over the lifted box, one coordinate of the line's
   direction ``(c, -c)`` proved nonzero deleted, Sylvester with a float eigenbasis and
   Gershgorin discs in Arb must give exactly ``index`` negative eigenvalues (the basis from
   python-flint's approximate eigensolver: any nonsingular basis is sound).
5. If ``lambda_min`` or ``lambda_min_positive`` is claimed (only with ``index``): the wide
   Hessian ``H(M z)`` has ``index`` negative, one zero (the line) and the rest positive
   eigenvalues. For float unit vectors ``v_k`` and numbers ``mu_k`` (numpy, untrusted), some
   eigenvalue of every symmetric matrix in the Arb enclosure lies within
   ``||H v_k - mu_k v_k|| / ||v_k||`` of ``mu_k`` (computed here in Arb). If the ``index`` lowest
   intervals are below 0 and pairwise disjoint, they hold the ``index`` negative eigenvalues
   one each, in order (the first: ``lambda_min``); likewise the highest ones above 0 and
   ``lambda_min_positive``. The claimed enclosures must contain these.
"""

from __future__ import annotations

import copy
from fractions import Fraction
from itertools import pairwise
from typing import Any

import flint
from flint import arb, arb_mat, fmpq

from symcert.checker import arb_engine, hessian, saddle_f64
from symcert.checker.arithmetic import Net
from symcert.checker.kind import outward
from symcert.checker.reading import CertificateFormatError, integer, rational
from symcert.checker.statement import read_point
from symcert.limits import MAX_WIDTH

__all__ = ["read_saddle_parameters", "verify_saddle", "jet_passes"]


def read_saddle_parameters(s: Any, parameters: dict) -> None:
    """Read ``radius`` (and for a saddle ``layer``, ``unit``, ``lam``, ``direction``, ``index``)."""
    s.radius = rational(parameters["radius"], "parameters.radius")
    if s.radius < 0:  # 0 is well formed (a prover with no box to offer writes it) but never proves
        raise CertificateFormatError(f"parameters.radius must be >= 0, got {s.radius}")
    if s.kind != "saddle":
        return
    if not 1 <= s.layer < len(s.net.widths) - 1:
        raise CertificateFormatError(
            f"parameters.layer must be a hidden layer (1 to {len(s.net.widths) - 2}), got {s.layer}"
        )
    s.unit = integer(parameters["unit"], "parameters.unit", 0, s.net.widths[s.layer] - 1)
    s.lam = rational(parameters["lam"], "parameters.lam")
    widths = list(s.net.widths)
    if widths[s.layer] + 1 > MAX_WIDTH:
        raise CertificateFormatError("the lifted layer would exceed the largest width")
    widths[s.layer] += 1
    s.wide_net = Net(tuple(widths), s.net.activation, s.net.slope, s.net.bias, s.net.output)
    s.direction = read_point(s.wide_net, parameters["direction"], "parameters.direction")
    s.index = None
    if "index" in parameters:
        s.index = integer(parameters["index"], "parameters.index", 0, 10**6)


def jet_passes(s: Any) -> int:
    """The jets the check evaluates (for the cost budget)."""
    n = _size(s.net)
    passes = n + n * (n + 1) // 2
    if s.kind == "saddle":
        m = _size(s.wide_net)
        passes += 1 + m + n + (m * (m + 1) // 2 if s.index is not None else 0)
    return passes


def _size(net: Net) -> int:
    return net.n_parameters


# -- points as balls -------------------------------------------------------------------


def _ball(v: Fraction, radius: Any) -> arb:
    ball = arb(fmpq(v.numerator, v.denominator))
    return ball if radius is None else ball + radius


def _balls(layers: list, radius: Any = None) -> list:
    """``[(arb_mat W, [arb b] or None)]``; with ``radius`` every entry widened by ``[-r, r]``."""
    out = []
    for w, b in layers:
        W = arb_mat(len(w), len(w[0]), [_ball(v, radius) for row in w for v in row])
        out.append((W, None if b is None else [_ball(v, radius) for v in b]))
    return out


def _flat(layers: list) -> list:
    out = []
    for W, b in layers:
        out.extend(W.entries())
        if b is not None:
            out.extend(b)
    return out


def _unflat(net: Net, values: list) -> list:
    w, layers, k = net.widths, [], 0
    for l in range(1, len(w)):
        rows, cols = w[l], w[l - 1]
        W = arb_mat(rows, cols, values[k : k + rows * cols])
        k += rows * cols
        b = None
        if net.has_bias(l):
            b, k = values[k : k + rows], k + rows
        layers.append((W, b))
    return layers


def _unit(net: Net, *ones: int) -> list:
    values = [arb(0)] * _size(net)
    for i in ones:
        values[i] = values[i] + 1
    return _unflat(net, values)


def _lift(net: Net, values: list, layer: int, unit: int, first: Any, second: Any, incoming: bool) -> list:
    """The checker's own lift on flat values (incoming=False: ``M``; True: ``G``)."""
    w, k = net.widths, 0
    out: list[Any] = []
    for l in range(1, len(w)):
        rows, cols = w[l], w[l - 1]
        W = [values[k + r * cols : k + (r + 1) * cols] for r in range(rows)]
        k += rows * cols
        b = None
        if net.has_bias(l):
            b, k = list(values[k : k + rows]), k + rows
        if l == layer:
            row = W[unit]
            W[unit] = [first * v for v in row] if incoming else row
            W.append([second * v for v in row] if incoming else list(row))
            if b is not None:
                b.append(second * b[unit] if incoming else b[unit])
                b[unit] = first * b[unit] if incoming else b[unit]
        elif l == layer + 1:
            W = [
                [
                    *r[:unit],
                    r[unit] if incoming else first * r[unit],
                    *r[unit + 1 :],
                    r[unit] if incoming else second * r[unit],
                ]
                for r in W
            ]
        out.extend(v for r in W for v in r)
        if b is not None:
            out.extend(b)
    return out


# -- the quantities --------------------------------------------------------------------


def _view(s: Any, net: Net) -> Any:
    view = copy.copy(s)
    view.net = net
    return view


def _gradient(s: Any, net: Net, start: list, inputs: Any, ys: Any) -> list:
    found = hessian.gradient(s, net, start, inputs, ys)  # back-propagation, when supported
    if found is not None:
        return found
    n = _size(net)
    return [arb_engine.loss_jet(s, start, _unit(net, i), inputs, ys)[1] for i in range(n)]


def _hessian(s: Any, net: Net, box: list, inputs: Any, ys: Any) -> arb_mat:
    fast = getattr(s, "fast", False)
    found = hessian.hessian(s, net, box, inputs, ys, fast)  # a few large products, when supported
    if found is not None:
        return found
    n = _size(net)
    diag = [2 * arb_engine.loss_jet(s, box, _unit(net, i), inputs, ys)[2] for i in range(n)]
    H = [[arb(0)] * n for _ in range(n)]
    for i in range(n):
        H[i][i] = diag[i]
        for j in range(i + 1, n):
            q = 2 * arb_engine.loss_jet(s, box, _unit(net, i, j), inputs, ys)[2]
            H[i][j] = H[j][i] = (q - diag[i] - diag[j]) / 2
    return arb_mat(H)


def _upper(x: arb) -> Fraction:
    return arb_engine.ball_bounds(x, "a saddle quantity")[1]


def _lower(x: arb) -> Fraction:
    return arb_engine.ball_bounds(x, "a saddle quantity")[0]


def _margin(g: list, H: arb_mat, radius: Fraction, quick: bool = False) -> Fraction | None:
    n = len(g)
    Y = hessian.approximate_inverse(H)
    if Y is None:
        return None
    fast = saddle_f64.krawczyk_margin(arb_mat(n, 1, g), H, Y, radius) if quick else None
    if fast is not None:  # decides only below 0
        return fast
    eye = arb_mat(n, n, [arb(int(i == j)) for i in range(n) for j in range(n)])
    R = arb_mat(n, 1, [arb(0, 0) + arb(fmpq(radius.numerator, radius.denominator)).upper() * arb(0, 1)] * n)
    D = -(Y * arb_mat(n, 1, g)) + (eye - Y * H) * R
    if not all(v.is_finite() for v in D.entries()):
        return None
    return max(max(abs(_lower(v)), abs(_upper(v))) for v in D.entries()) - radius


def verify_saddle(s: Any, dps: int) -> tuple[dict[str, tuple[Fraction, Fraction]], list[str], list[str]]:
    """``(enclosures, reasons, problems)`` at ``dps`` digits; ``problems`` empty means accepted."""
    saved = flint.ctx.prec
    flint.ctx.prec = arb_engine.bits_for(dps)
    try:
        s.fast = True  # verified float64 products first; a rejection is re-examined in Arb alone
        found = _verify(s)
        if found[2] or _loose(found[0], s.claimed):  # Arb's tighter enclosures may still settle it
            s.fast = False
            found = _verify(s)
        return found
    finally:
        s.fast = False
        flint.ctx.prec = saved


def _verify(s: Any) -> tuple[dict, list[str], list[str]]:
    inputs = arb_mat(arb_engine.exact_matrix([list(col) for col in zip(*s.xs)]))
    ys = arb_engine.targets(s, inputs)
    rad = arb(fmpq(s.radius.numerator, s.radius.denominator)).upper() * arb(0, 1)
    center, box = _balls(s.A), _balls(s.A, rad)
    g = _gradient(s, s.net, center, inputs, ys)
    H = _hessian(s, s.net, box, inputs, ys)
    found: dict[str, tuple[Fraction, Fraction]] = {}
    reasons: list[str] = []
    problems: list[str] = []
    margin = _margin(g, H, s.radius, s.fast)
    if margin is None:
        problems.append("REJECT: the Hessian over the box is not invertible in Arb; the Krawczyk test fails")
        return found, reasons, problems
    found["margin"] = (-s.radius, margin)
    if margin < 0:
        reasons.append(
            f"Krawczyk: K(X) lies inside X (margin {float(margin):.3g}): grad L has exactly one "
            f"zero z in A + [-{float(s.radius):.3g}, {float(s.radius):.3g}]^n"
        )
    else:
        problems.append(
            f"REJECT: the Krawczyk image does not lie inside the box (margin {float(margin):.3g} "
            ">= 0): no unique critical point is proved"
        )
    if s.kind != "saddle":
        return found, reasons, problems
    wide = _view(s, s.wide_net)
    lam = arb(fmpq(s.lam.numerator, s.lam.denominator))
    lifted_center = _unflat(s.wide_net, _lift(s.net, _flat(center), s.layer, s.unit, lam, 1 - lam, False))
    lifted_box = _unflat(s.wide_net, _lift(s.net, _flat(box), s.layer, s.unit, lam, 1 - lam, False))
    g_wide = _gradient(wide, s.wide_net, lifted_center, inputs, ys)
    mapped = _lift(s.net, g, s.layer, s.unit, lam, 1 - lam, True)
    if all(a.overlaps(b) for a, b in zip(g_wide, mapped)):
        reasons.append(
            f"lift: grad L_wide(M A) and G grad L(A) agree entrywise (lam = {s.lam}); by the lift "
            "lemma M z is a critical point of the wide loss, inside the lifted box"
        )
    else:
        problems.append("REJECT: grad L_wide(M A) and G grad L(A) disagree: the lift is not the stated one")
    direction = _balls(s.direction)
    dHd = 2 * arb_engine.loss_jet(wide, lifted_box, direction, inputs, ys)[2]
    found["dHd"] = (_lower(dHd), _upper(dHd))
    if found["dHd"][1] < 0:
        reasons.append(
            f"d^T H_wide d <= {outward(found['dHd'][1], up=True, digits=4)} < 0 over the lifted box: "
            "the lifted critical point is not a local minimum"
        )
    else:
        problems.append(
            f"REJECT: d^T H_wide d is not < 0 over the lifted box (upper {float(found['dHd'][1]):.3g})"
        )
    eigen = [name for name in EIGENVALUES if name in s.claimed]
    if s.index is not None:
        problems.extend(_check_index(s, wide, lifted_box, box, inputs, ys, reasons, found if eigen else None))
    elif eigen:
        problems.append(f"REJECT: {eigen[0]} is claimed without the index that pins it")
    for name in eigen:
        if name not in found and not problems:
            problems.append(f"REJECT: {name} is claimed but the checker could not pin it")
    return found, reasons, problems


def _check_index(
    s: Any,
    wide: Any,
    lifted_box: list,
    box: list,
    inputs: Any,
    ys: Any,
    reasons: list[str],
    eigen: dict | None = None,
) -> list[str]:
    H = _hessian(wide, s.wide_net, lifted_box, inputs, ys)
    W_next = box[s.layer][0]  # the narrow outgoing weights W_{layer+1} over the box
    column = [W_next[r, s.unit] for r in range(W_next.nrows())]
    best = max(range(len(column)), key=lambda r: min(abs(_lower(column[r])), abs(_upper(column[r]))))
    if _lower(column[best]) <= 0 <= _upper(column[best]):
        return [
            "REJECT: the line of critical points has no coordinate proved nonzero; the index is not re-proved"
        ]
    # delete W_{layer+1}[best, new unit]: a coordinate where the line's direction (c, -c) is -c_best != 0
    wide_index = _flat_index(s.wide_net, s.layer + 1, best, s.wide_net.widths[s.layer] - 1)
    keep = [i for i in range(H.nrows()) if i != wide_index]
    n = len(keep)
    Hf = _as_interval(H)  # verified float64 first; Arb below only if it does not decide
    negative = None if Hf is None else _fast_inertia(Hf, wide_index)
    if negative is not None:
        return _inertia_found(s, H, n, negative, reasons, eigen, Hf)
    Hr = arb_mat(n, n, [H[i, j] for i in keep for j in keep])
    Vm = hessian.eigenbasis(arb_mat(n, n, [arb(H[i, j].mid()) for i in keep for j in keep]))
    gram = Vm.transpose() * Vm
    if not all(_upper(sum((abs(gram[i, j] - int(i == j)) for j in range(n)), arb(0))) < 1 for i in range(n)):
        return ["REJECT: the approximate eigenbasis is not proved nonsingular"]
    C = Vm.transpose() * Hr * Vm
    negative = 0
    for i in range(n):
        R = sum((abs(C[i, j]) for j in range(n) if j != i), arb(0))
        low, high = _lower(C[i, i] - R), _upper(C[i, i] + R)
        if low <= 0 <= high:
            return [
                f"REJECT: a Gershgorin disc of the reduced Hessian contains 0; index {s.index} not re-proved"
            ]
        negative += high < 0
    return _inertia_found(s, H, n, negative, reasons, eigen)


def _as_interval(H: arb_mat) -> Any:
    try:
        return saddle_f64.to_interval(H)
    except ArithmeticError:
        return None


def _fast_inertia(Hf: Any, deleted: int) -> int | None:
    """The inertia count in verified float64 (:func:`symcert.checker.saddle_f64.inertia`), or ``None``.

    ``Hf``: the wide Hessian as a float64 interval; row and column ``deleted`` are taken out.
    """
    import numpy as np

    from symcert.checker.f64 import Interval

    def cut(a: np.ndarray) -> np.ndarray:
        return np.delete(np.delete(a, deleted, axis=0), deleted, axis=1)

    Hr = Interval(cut(Hf.lo), cut(Hf.hi))
    mid = 0.5 * Hr.lo + 0.5 * Hr.hi
    _, V = np.linalg.eigh(0.5 * (mid + mid.T))  # untrusted: any basis proved nonsingular is sound
    return saddle_f64.inertia(Hr, V)


def _inertia_found(
    s: Any, H: arb_mat, n: int, negative: int, reasons: list[str], eigen: dict | None, Hf: Any = None
) -> list[str]:
    if negative != s.index:
        return [f"REJECT: the reduced Hessian has {negative} negative eigenvalues, not the stated {s.index}"]
    reasons.append(
        f"inertia: after the line of critical points is taken out, Sylvester + Gershgorin give "
        f"{negative} negative and {n - negative} positive eigenvalues: a saddle of index {negative}"
    )
    if eigen is not None:
        eigen.update(_extreme_eigenvalues(H, negative, n - negative, reasons, s.claimed, Hf))
    return []


EIGENVALUES = ("lambda_min", "lambda_min_positive")


def _extreme_eigenvalues(
    H: arb_mat, negative: int, positive: int, reasons: list[str], claimed: dict | None = None, Hf: Any = None
) -> dict:
    """Residual intervals of approximate eigenpairs of ``H`` (float64, else Arb), pinned by the index.

    Float eigenpairs first; when a ``claimed`` enclosure is tighter than they allow, eigenpairs
    refined at the working precision (:mod:`symcert.checker.eigen`; untrusted, as the float ones).
    """
    import numpy as np

    m = H.nrows()
    Hf = _as_interval(H) if Hf is None else Hf
    if Hf is not None:
        mid = 0.5 * Hf.lo + 0.5 * Hf.hi
    else:
        mid = np.array([float(v.mid()) for v in H.entries()]).reshape(m, m)
    values, vectors = np.linalg.eigh(0.5 * (mid + mid.T))  # untrusted: any mu_k, v_k are sound
    fast = None if Hf is None else saddle_f64.pinned(Hf, values, vectors)  # verified float64
    out = _order(fast, negative, positive) if fast is not None else {}
    if not out or _loose(out, claimed):
        V = arb_mat(m, m, [arb(x) for x in vectors.ravel().tolist()])
        out = _pinned(H, [arb(x) for x in values.tolist()], V, negative, positive) or out
    if _loose(out, claimed):
        from symcert.checker.eigen import refined_eigenpairs

        out = _pinned(H, *refined_eigenpairs(H), negative, positive) or out
    for name, (a, b) in out.items():
        reasons.append(
            f"{name}: the wide Hessian at the lifted critical point has it in "
            f"[{outward(a, up=False)}, {outward(b, up=True)}] (verified residual bounds, pinned by the index)"
        )
    return out


def _loose(out: dict, claimed: dict | None) -> bool:
    """True when a claimed enclosure does not contain the one found (a tighter pair may help)."""
    if not claimed:
        return False
    return any(
        name in claimed and not (claimed[name][0] <= low and high <= claimed[name][1])
        for name, (low, high) in out.items()
    )


def _pinned(H: arb_mat, mus: list, V: arb_mat, negative: int, positive: int) -> dict:
    """``lambda_min``/``lambda_min_positive`` from the residual intervals of ``(mus, V)`` (ascending)."""
    m = H.nrows()
    R = H * V - arb_mat(m, m, [V[i, k] * mus[k] for i in range(m) for k in range(m)])
    # (R^T R)_kk encloses sum_i r_ik^2 at every point of the balls: its upper end bounds the residual
    squares, lengths = R.transpose() * R, V.transpose() * V
    intervals = []
    for k in range(m):
        if not (squares[k, k].is_finite() and _lower(lengths[k, k]) > 0):
            return {}
        rho = squares[k, k].upper().sqrt() / lengths[k, k].lower().sqrt()
        intervals.append((_lower(mus[k] - rho), _upper(mus[k] + rho)))
    return _order(intervals, negative, positive)


def _order(intervals: list, negative: int, positive: int) -> dict:
    """Sort residual intervals; pin the lowest ``negative`` and highest ``positive`` when disjoint."""
    m = len(intervals)
    intervals = sorted(intervals, key=lambda pair: pair[0] + pair[1])
    out = {}
    low = intervals[:negative]
    if negative and all(b < 0 for _, b in low) and all(a[1] < b[0] for a, b in pairwise(low)):
        out["lambda_min"] = low[0]
    high = intervals[m - positive :] if positive else []
    if high and all(a > 0 for a, _ in high) and all(a[1] < b[0] for a, b in pairwise(high)):
        out["lambda_min_positive"] = high[0]
    return out


def _flat_index(net: Net, layer: int, row: int, col: int) -> int:
    w, k = net.widths, 0
    for l in range(1, layer):
        k += w[l] * (w[l - 1] + net.has_bias(l))
    return k + row * w[layer - 1] + col
