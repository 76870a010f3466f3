r"""The checker's float64 ``tanh``: a table made by Arb, a quartic per cell, and a priori error bounds.

The table (:func:`table`), made once per process by Arb (the checker's trusted kernel): on the grid
``x_k = k h``, ``h = 2^-10``, over ``[0, 20]``, the Taylor coefficients ``c_0..c_4`` of ``tanh`` at
``x_k`` as floats, and per cell one bound ``E_k`` of ``|tanh(x_k + d) - p_k(d)|`` for every
``0 <= d < h``, where ``p_k(d)`` is the quartic evaluated by Horner's rule in float64 (round to
nearest): Horner's rounding (below ``gamma_8`` times the sum of the absolute terms; ``32 u`` leaves a
factor of four), the coefficients' own errors (from Arb), the remainder ``16 d^5 / 5!``
(``|tanh^(5)| <= 16``, its value at 0) and ``2^-56 > 1 - tanh(20)`` (so that every ``x >= 20`` may be
read at ``x = 20``). At ``x = min(|m|, 20)``, ``k = floor(x / h)`` (an exact scaling by a power of two)
and ``d = x - k h`` (exact: Sterbenz, since ``x_k <= x < 2 x_k`` for ``k >= 1``, and ``d = x`` for ``k = 0``).

Two uses:

- :func:`tanh_bounds`: lower and upper bounds at exact floats (``p -+ E`` rounded outward);
- :func:`tanh_ball`: the image of the balls ``m +- r`` as balls ``t +- s``, the forward pass's form:
  ``t = sign(m) p(|m|)`` and ``s >= E + r max tanh'`` over the ball. ``tanh`` is 1-Lipschitz and
  increasing on ``[0, inf)``, so on ``|y| >= y0 = max(|m| - r, 0)``, ``tanh(y0) >= q = max(p - E - r, 0)``
  and ``tanh'(y) = 1 - tanh(y)^2 <= 1 - q^2``. In float64, ``q`` is computed within ``2u`` (two roundings
  of numbers at most 1 in size; where it is negative the ball holds 0 and the slope bound is 1), so
  ``1 - q_exact^2 <= 1 - q^2 + 4u``; ``fl(1 - fl(q q))`` loses at most ``2u`` more; ``2^-49 = 16 u`` added
  (and rounded, at most ``u`` of 2) covers all of them; the slope is then capped at 1 (exact). The radius
  ``fl(fl(r s') + E) (1 + 2^-50)``, all terms nonnegative, is at least ``(r s' + E)(1 - u)^3 (1 + 8u) >=
  r s' + E`` (an underflow of ``r s'`` costs at most ``2^-1075``, far below the ``4u E`` of slack, since
  ``E >= 2^-56``).

Both work block by block (:data:`BLOCK` entries at a time, in place), so that the dozen passes of the
quartic stay in the processor's cache.

>>> import numpy as np
>>> lo, hi = tanh_bounds(np.array([-1.0, 0.0, 0.25, 30.0]))
>>> bool(np.all(lo <= hi)), bool(lo[0] < -0.7615941559557649 < hi[0]), (float(lo[1]), float(hi[1]))
(True, True, (0.0, 0.0))
>>> t, s = tanh_ball(np.array([0.5, -2.0]), np.array([1e-12, 0.0]))
>>> bool(abs(t[0] - 0.46211715726000974) <= s[0] < 2e-12)
True
>>> bool(abs(t[1] + 0.9640275800758169) <= s[1] < 1e-14)
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["table", "tanh_bounds", "tanh_ball", "BLOCK"]

_U = 2.0**-53
_TINY = 2.0**-1020
_STEP_BITS = 10
_TOP = 20.0
#: Entries per block of the elementwise passes (arrays of 512 KiB: they stay in the cache).
BLOCK = 1 << 16
_TABLE: tuple[np.ndarray, np.ndarray] | None = None  # (coefficients: cells x 5, error bound per cell)
_ROWS: np.ndarray | None = None


def _up(x: np.ndarray) -> np.ndarray:
    """An upper bound of every real whose rounding (to nearest, with a few ulps of slack) gives ``x >= 0``."""
    return x + (np.abs(x) * 2.0**-50 + _TINY)


def _down(x: np.ndarray) -> np.ndarray:
    return x - (np.abs(x) * 2.0**-50 + _TINY)


def table() -> tuple[np.ndarray, np.ndarray]:
    """Per grid point ``x_k = k h``: the coefficients ``c0..c4`` (cells x 5) and the cell's error bound."""
    global _TABLE
    if _TABLE is not None:
        return _TABLE
    import flint
    from flint import arb

    saved = flint.ctx.prec
    flint.ctx.prec = 128
    try:
        count = int(_TOP * 2**_STEP_BITS) + 2
        coeffs = np.empty((5, count))
        errors = np.empty((5, count))
        for k in range(count):
            t = (arb(k) / 2**_STEP_BITS).tanh()
            slope = 1 - t * t
            # tanh^(i)(x_k) / i!, from t' = 1 - t^2
            exact = (
                t,
                slope,
                -t * slope,
                -slope * (1 - 3 * t * t) / 3,
                t * slope * (16 - 24 * t * t) / 24,
            )
            for i, c in enumerate(exact):
                value = float(c.mid())
                coeffs[i, k] = value
                # |c_true - value| <= the upper end of |c - value| (an exact arb), rounded up to a float
                errors[i, k] = np.nextafter(float((c - value).abs_upper()), np.inf)
    finally:
        flint.ctx.prec = saved
    # one error bound per cell, for every d in [0, h) (see the module); h^i are powers of two, every sum
    # rounded up; 2^-56 > 1 - tanh(20) = 2 / (e^40 + 1) lets x > 20 be read at 20
    h = 2.0**-_STEP_BITS
    terms = np.zeros(count)
    slack = np.zeros(count)
    for i in range(5):
        terms = _up(terms + np.abs(coeffs[i]) * h**i)
        slack = _up(slack + errors[i] * h**i)
    bound = _up(_up(32 * _U * terms) + slack + 2.0 / 15.0 * h**5 * (1 + 2.0**-50) + 2.0**-56 + _TINY)
    _TABLE = (np.ascontiguousarray(coeffs.T), bound)
    return _TABLE


def _quartic(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``p`` and ``E`` at ``a >= 0`` (finite): ``|tanh(a) - p| <= E`` (see the module), in place."""
    x = np.minimum(a, _TOP)
    k = (x * 2.0**_STEP_BITS).astype(np.intp)  # the floor (x >= 0), of an exact power-of-two scaling
    x -= k * 2.0**-_STEP_BITS  # d, exact (Sterbenz)
    c = np.take(_rows(), k, axis=0)  # one gather: c0..c4 and E of each entry's cell
    p = c[:, 4] * x  # Horner: c0 + d (c1 + d (c2 + d (c3 + d c4))), one rounding an operation
    for i in (3, 2, 1):
        p += c[:, i]
        p *= x
    p += c[:, 0]
    return p, c[:, 5]


def _rows() -> np.ndarray:
    """:func:`table` as one array, cells x 6: the coefficients and the error bound of each cell."""
    global _ROWS
    if _ROWS is None:
        coeffs, bound = table()
        _ROWS = np.ascontiguousarray(np.column_stack([coeffs, bound]))
    return _ROWS


def tanh_bounds(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of ``tanh`` at each finite float ``x`` (odd: from ``|x|``)."""
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(-1)
    lo, hi = np.empty_like(flat), np.empty_like(flat)
    for start in range(0, flat.size, BLOCK):
        part = flat[start : start + BLOCK]
        p, e = _quartic(np.abs(part))
        low = np.maximum(_down(p - e), 0.0)  # tanh(a) >= 0 for a >= 0
        high = np.minimum(_up(p + e), 1.0)
        high[part == 0] = 0.0  # tanh 0 = 0 exactly
        negative = part < 0
        lo[start : start + BLOCK] = np.where(negative, -high, low)
        hi[start : start + BLOCK] = np.where(negative, -low, high)
    return lo.reshape(x.shape), hi.reshape(x.shape)


def tanh_ball(m: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Balls ``t +- s`` holding ``tanh`` of every point of the balls ``m +- r`` (finite; see the module).

    ``m`` and ``r`` are C-contiguous float64 arrays of one shape (``r >= 0``); new arrays are returned.
    """
    mid, rad = np.empty_like(m), np.empty_like(m)
    flat_m, flat_r, out_t, out_s = m.reshape(-1), r.reshape(-1), mid.reshape(-1), rad.reshape(-1)
    for start in range(0, flat_m.size, BLOCK):
        part = slice(start, start + BLOCK)
        mb, rb = flat_m[part], flat_r[part]
        p, e = _quartic(np.abs(mb))
        q = e + rb
        np.subtract(p, q, out=q)
        np.maximum(q, 0.0, out=q)  # tanh(y0) >= q: see the module
        q *= q
        np.subtract(1.0, q, out=q)
        q += 2.0**-49
        np.minimum(q, 1.0, out=q)  # >= tanh' on the ball
        q *= rb
        q += e
        q *= 1.0 + 2.0**-50  # >= E + r max tanh'
        out_s[part] = q
        np.negative(p, out=p, where=mb < 0)  # tanh(-a) = -tanh(a)
        out_t[part] = p
    return mid, rad
