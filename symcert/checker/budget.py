"""The checker's cost estimate, decided from the parsed statement before any arithmetic.

:func:`estimate_seconds` bounds the time the checker will take (on the
project's reference machine, a 2-core x86-64) from what the statement says:
the multiply-adds of the linear layers (parameters x points x passes), the
elementwise functions (units x points x passes), the working precision of the
attempts (``dps + 20``, then ``2 dps + 40`` if the first does not decide and the
budget allows it) and the numbers read. Each per-operation cost is a measured
cost times a safety factor of 1.5 to 3, and
``benchmarks/bench_checker.py`` prints the estimate next to the measured time
for a range of sizes to show that it stays an upper bound. A statement whose
estimate exceeds the budget (:data:`symcert.limits.MAX_CHECK_SECONDS` by
default) is refused before any arithmetic, with exit code 2.

The element is priced too (:func:`element_cost`): applying it to ``A`` is exact rational arithmetic,
and a rescaling multiplies a unit's row by ``alpha`` and divides its column by ``alpha^K``, so
fifty factors ``rescale:1:0:1e2000:64`` make entries of millions of digits. The estimate bounds
the size of every entry from the parsed factors alone (sizes add under products; a sum of ``n``
terms is at most twice their total plus ``log2 n`` bits) and prices each operation by the sizes of
its operands, before any arithmetic.

>>> round(mac_seconds("arb", 70) * 1e9, 1), round(mac_seconds("arb", 140) * 1e9, 1)
(60.0, 147.7)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, NamedTuple

__all__ = [
    "estimate_seconds",
    "plan",
    "attempts",
    "attempt_seconds",
    "mac_seconds",
    "element_seconds",
    "element_cost",
    "ElementCost",
    "ARITHMETICS",
]

ARITHMETICS = ("arb", "mpmath")


def attempts(dps: int) -> tuple[int, int]:
    """The two working precisions the checker may try, in digits."""
    base = max(dps, 30)
    return base + 20, 2 * base + 40


def mac_seconds(arithmetic: str, dps: int) -> float:
    """Seconds per multiply-add of a linear layer at ``dps`` digits (measured cost x about 1.5 to 3)."""
    if arithmetic == "arb":
        return 6e-8 * max(1.0, dps / 70.0) ** 1.3
    return 12e-6 * max(1.0, dps / 36.0) ** 1.3


def element_seconds(arithmetic: str, dps: int) -> float:
    """Seconds per elementwise function (tanh, exp, a loss term) at ``dps`` digits."""
    if arithmetic == "arb":
        return 4e-6 * max(1.0, dps / 70.0) ** 1.3
    return 150e-6 * max(1.0, dps / 36.0) ** 1.3


def attempt_seconds(statement: Any, arithmetic: str, dps: int) -> float:
    """An upper bound of one evaluation of the statement's quantities at ``dps`` digits."""
    widths = statement.net.widths
    points = len(statement.xs)
    macs = sum(widths[l] * widths[l - 1] for l in range(1, len(widths))) * points
    elements = sum(widths[1:]) * points
    linear_passes, element_passes, overhead = statement.spec.cost(statement)  # the kind's passes
    macs, elements = macs * linear_passes, elements * element_passes
    if statement.teacher_net is not None:
        t = statement.teacher_net.widths
        macs += sum(t[l] * t[l - 1] for l in range(1, len(t))) * points
        elements += sum(t[1:]) * points
    return (
        overhead
        + macs * mac_seconds(arithmetic, dps)
        + elements * element_seconds(arithmetic, dps)
        + 2e-6 * _numbers(statement)
    )


def _numbers(statement: Any) -> int:
    widths = statement.net.widths
    params, points = statement.size()
    data = points * (widths[0] + widths[-1])
    if hasattr(statement.xs, "arb_columns"):  # packed rows: integers, read a chunk at a time, no text
        data //= 20
    return 3 * params + data


def plan(statement: Any, arithmetic: str, budget: float) -> tuple[tuple[int, ...], float]:
    """The working precisions the checker will try, and an upper bound of the whole checking time.

    The first precision is always tried; the second (tried only when the first does not decide) is
    planned only when the budget allows both. Reading the file is counted too (6 us a number), and
    applying the element (:func:`element_cost`).
    """
    first, second = attempts(statement.dps)
    reading = 6e-6 * _numbers(statement) + 0.05
    reading += element_cost(statement, budget).seconds
    one = reading + attempt_seconds(statement, arithmetic, first)
    both = one + attempt_seconds(statement, arithmetic, second)
    return ((first, second), both) if both <= budget else ((first,), one)


def estimate_seconds(statement: Any, arithmetic: str = "arb", budget: float = float("inf")) -> float:
    """An upper bound of the checking time of ``statement`` with ``"arb"`` or ``"mpmath"`` arithmetic."""
    return plan(statement, arithmetic, budget)[1]


# -- the element: exact rational arithmetic on A ----------------------------------------------------

#: Seconds per product of operand sizes in bits, for one Fraction operation on large numbers: CPython's
#: gcd is quadratic (7e-12 measured on two coprime numbers of a million bits), times about 1.5.
_BIT_PRODUCT = 1e-11
#: Seconds for one Fraction operation on small numbers (measured 0.5 to 7 us), and per reference moved.
_OPERATION, _MOVE = 1e-5, 1e-7
#: Seconds for an integer power of ``n`` bits: Karatsuba, ``2e-10 n^1.585`` (0.05 s for 425,000 bits).
_POWER = 2e-10


class ElementCost(NamedTuple):
    """An upper bound of the time to apply the element to ``A``, and of the largest entry's size."""

    seconds: float
    bits: int


def _bits(value: Fraction) -> int:
    return value.numerator.bit_length() + value.denominator.bit_length()


def _layers(statement: Any, name: str) -> Any:
    """Point ``name`` as read (packed arrays kept as integers, ``Statement.layers``), else the attribute."""
    layers = getattr(statement, "layers", None)
    return layers(name) if callable(layers) else getattr(statement, name)


def _matrix_bits(w: Any) -> int:
    """The largest entry's size in bits (a packed array's bound: :meth:`Packed.max_bits`)."""
    return w.max_bits() if hasattr(w, "max_bits") else max(_bits(v) for row in w for v in row)


def _vector_bits(b: Any) -> int:
    return b.max_bits() if hasattr(b, "max_bits") else max(_bits(v) for v in b)


def _length(b: Any) -> int:
    return b.shape[0] if hasattr(b, "max_bits") else len(b)


def element_cost(statement: Any, stop: float = float("inf")) -> ElementCost:
    """Price applying ``statement.element`` to ``A`` exactly (the image is compared with ``B``).

    Every entry of ``W_m`` is bounded by ``base + row growth + column growth`` bits: a rescaling of
    unit ``u`` of layer ``l`` adds ``size(alpha)`` to row ``u`` of ``W_l`` (and to ``b_l[u]``) and
    ``K size(alpha)`` to column ``u`` of ``W_{l+1}``; permutations move the growths with the units;
    a sigmoid flip adds column ``u`` to ``b_{l+1}``, a sum whose size is bounded by its terms. Each
    operation costs ``_BIT_PRODUCT`` times the product of its operands' sizes, plus a constant. The
    estimate stops early once it passes ``stop`` (the budget): it is then refused anyway.

    >>> from types import SimpleNamespace
    >>> from symcert.checker.arithmetic import Net
    >>> net = Net((1, 2, 1), "identity", None, True, "identity")
    >>> F = Fraction
    >>> A = [([[F(1)], [F(2)]], [F(0)] * 2), ([[F(1), F(1)]], [F(0)])]
    >>> s = SimpleNamespace(net=net, A=A, B=A, element="swap:1:0,1")
    >>> element_cost(s).seconds < 1e-3
    True
    >>> s.element = ";".join(["rescale:1:0:1e2000:64"] * 50)
    >>> cost = element_cost(s)
    >>> cost.seconds > 600, cost.bits > 2 * 10**7
    (True, True)
    """
    if getattr(statement, "element", None) is None or _layers(statement, "B") is None:
        return ElementCost(0.0, 0)
    from symcert.checker.points import parse_product

    net, A = statement.net, _layers(statement, "A")
    widths = net.widths
    depth = len(widths) - 1
    base = [_matrix_bits(w) for w, _ in A]
    row = [[0] * widths[m] for m in range(1, depth + 1)]  # growth of row i of W_m, index m - 1
    col = [[0] * widths[m - 1] for m in range(1, depth + 1)]  # growth of column j of W_m
    top_row, top_col = [0] * depth, [0] * depth  # their running maxima (growths only add or move)
    # Each bias entry as a sum of terms: (total bits of the terms, number of terms).
    bias = [None if b is None else [(_vector_bits(b), 1)] * _length(b) for _, b in A]
    params = sum(widths[m] * (widths[m - 1] + 1) for m in range(1, depth + 1))
    seconds = params * (_MOVE + 1e-6)  # the copy of A and the comparison of the image with B

    def bias_bits(total: int, terms: int) -> int:
        return 2 * total + terms.bit_length()

    def entry(m: int, i: int | None, j: int | None) -> int:  # a bound of entry (i, j) of W_m
        r = top_row[m - 1] if i is None else row[m - 1][i]
        c = top_col[m - 1] if j is None else col[m - 1][j]
        return base[m - 1] + r + c

    largest = max(base + [total for b in bias if b is not None for total, _ in b[:1]])
    for kind, l, arguments in parse_product(net, statement.element):
        if seconds > stop:
            break
        n_in, n, n_out = widths[l - 1], widths[l], widths[l + 1]
        if kind == "swap":  # the two units' growths trade places
            i, j = arguments
            for growths in (row[l - 1], col[l], bias[l - 1]):
                if growths is not None:
                    growths[i], growths[j] = growths[j], growths[i]
            seconds += _MOVE * 2 * (n_in + 1 + n_out)
        elif kind == "perm":
            row[l - 1] = [row[l - 1][k] for k in arguments]
            col[l] = [col[l][k] for k in arguments]
            moved = bias[l - 1]
            if moved is not None:
                bias[l - 1] = [moved[k] for k in arguments]
            seconds += _MOVE * n * (n_in + 1 + n_out)
        elif kind == "sign":
            (last,) = arguments
            seconds += _OPERATION * (n * n_in + widths[last] * widths[last - 1])
        elif kind in ("flip", "flip_in"):
            u = arguments[0]
            seconds += _OPERATION * (n_in + 1 + n_out)
            shifted = bias[l]
            if kind == "flip" and net.activation == "sigmoid" and shifted is not None:
                for k, (total, terms) in enumerate(shifted):
                    w = entry(l + 1, k, u)
                    seconds += _OPERATION + _BIT_PRODUCT * bias_bits(total, terms) * w
                    shifted[k] = (total + w, terms + 1)
                    largest = max(largest, bias_bits(total + w, terms + 1))
        else:  # rescale: row u times alpha, column u over alpha^K
            u, alpha, degree = arguments
            size = _bits(alpha)
            power = degree * size
            seconds += _POWER * power**1.585 + _OPERATION * (n_in + 1 + n_out)
            seconds += _BIT_PRODUCT * size * n_in * entry(l, u, None)
            seconds += _BIT_PRODUCT * power * n_out * entry(l + 1, None, u)
            row[l - 1][u] += size
            col[l][u] += power
            top_row[l - 1] = max(top_row[l - 1], row[l - 1][u])
            top_col[l] = max(top_col[l], col[l][u])
            scaled = bias[l - 1]
            if scaled is not None:
                total, terms = scaled[u]
                seconds += _BIT_PRODUCT * size * bias_bits(total, terms)
                scaled[u] = (total + terms * size, terms)
                largest = max(largest, bias_bits(total + terms * size, terms))
            largest = max(largest, entry(l, u, None), entry(l + 1, None, u))
    return ElementCost(seconds, largest)
