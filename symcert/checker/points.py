"""Exact operations on points as the checker reads them: interpolation, orbit mean, group action.

A point is a list of layers ``(W rows, b or None)`` of ``Fraction`` entries.

>>> from fractions import Fraction as F
>>> A = [([[F(1)], [F(3)]], [F(0), F(2)]), ([[F(4), F(0)]], [F(5)])]
>>> orbit_mean(A, 1)[0]
([[Fraction(2, 1)], [Fraction(2, 1)]], [Fraction(1, 1), Fraction(1, 1)])
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from symcert.checker.arithmetic import Net
from symcert.checker.packed import Packed
from symcert.checker.reading import CertificateFormatError, rational

__all__ = [
    "combine",
    "same_point",
    "orbit_mean",
    "is_symmetry",
    "parse_element",
    "parse_product",
    "apply_element",
    "ODD",
    "EVEN",
    "HOMOGENEOUS",
    "DEGREE",
]

ODD = ("identity", "tanh", "cube")
EVEN = ("square",)
HOMOGENEOUS = ("identity", "relu", "leaky_relu")
#: s(c u) = c^k s(u) for c > 0: the degree k of each positively homogeneous activation.
DEGREE = {"identity": 1, "relu": 1, "leaky_relu": 1, "square": 2, "cube": 3}
MAX_DEGREE = 64


def combine(a: list, b: list, t: Fraction) -> list:
    """The exact point ``a + t (b - a)``.

    Where both points hold an array packed (:class:`~symcert.checker.packed.Packed`, integers over a
    denominator), so does the result, computed on the integers (:meth:`Packed.combined`, exact); the
    other arrays are lists of ``Fraction``.
    """

    def mix(u: Fraction, v: Fraction) -> Fraction:
        return u + t * (v - u)

    def matrix(wa: Any, wb: Any) -> Any:
        if isinstance(wa, Packed) and isinstance(wb, Packed):
            found = wa.combined(wb, t)
            if found is not None:
                return found
        wa, wb = _exact(wa), _exact(wb)
        return [[mix(u, v) for u, v in zip(ra, rb)] for ra, rb in zip(wa, wb)]

    def vector(ba: Any, bb: Any) -> Any:
        if isinstance(ba, Packed) and isinstance(bb, Packed):
            found = ba.combined(bb, t)
            if found is not None:
                return found
        return [mix(u, v) for u, v in zip(_exact(ba), _exact(bb))]

    return [(matrix(wa, wb), None if ba is None else vector(ba, bb)) for (wa, ba), (wb, bb) in zip(a, b)]


def _exact(x: Any) -> Any:
    return x.exact() if isinstance(x, Packed) else x


def same_point(a: list, b: list) -> bool:
    """Whether two points hold the same exact values (packed arrays compared as integers)."""
    for layer_a, layer_b in zip(a, b, strict=True):
        for x, y in zip(layer_a, layer_b, strict=True):
            if isinstance(x, Packed) and isinstance(y, Packed):
                if not x.same(y):
                    return False
            elif _exact(x) != _exact(y):
                return False
    return True


def orbit_mean(layers: list, layer: int) -> list:
    """The average of a point over all permutations of hidden layer ``layer``: every unit equal."""
    out = [([list(r) for r in w], None if b is None else list(b)) for w, b in layers]
    weights, biases = out[layer - 1]
    n = len(weights)
    mean_row = [sum(col, Fraction(0)) / n for col in zip(*weights)]
    out[layer - 1] = ([list(mean_row) for _ in range(n)], None if biases is None else [sum(biases) / n] * n)
    after, after_bias = out[layer]
    out[layer] = ([[sum(row, Fraction(0)) / n] * n for row in after], after_bias)
    return out


def is_symmetry(net: Net, element: str) -> bool:
    """Whether ``element`` is a symmetry of ``net`` by the activation's facts (swaps always).

    A product is one when each factor is. ``sign:F:T`` (negate ``W_F`` and ``W_T``) passes the sign
    through odd layers and lets an even layer absorb it, so it needs an odd activation and no biases
    in layers ``F`` to ``T - 1``, or an even one with ``T`` hidden and no biases in layers ``F`` and ``T``.
    """
    return all(_factor_is_symmetry(net, factor) for factor in parse_product(net, element))


def _factor_is_symmetry(net: Net, factor: tuple[str, int, tuple]) -> bool:
    kind, layer, arguments = factor
    activation = net.activation
    if kind in ("swap", "perm"):
        return True
    if kind == "flip":  # the sigmoid's shift b_{l+1} += W_{l+1}[:, j] needs the next layer's biases
        return activation in ODD or (activation == "sigmoid" and net.has_bias(layer + 1))
    if kind == "flip_in":
        return activation in EVEN
    if kind == "rescale":
        return DEGREE.get(activation) == arguments[2]
    (last,) = arguments
    # a layer whose pre-activations change sign must have no biases: with an odd activation the
    # layers first..last-1 (the sign is carried on and cancelled by W_last), with an even one the
    # layers first and last, each absorbing its sign (so last must be hidden)
    if activation in ODD:
        return not any(net.has_bias(p) for p in range(layer, last))
    return (
        activation in EVEN
        and last < len(net.widths) - 1
        and not net.has_bias(layer)
        and not net.has_bias(last)
    )


_UNIT = r"([0-9]{1,3}):([0-9]{1,5})"
_ELEMENT = re.compile(
    rf"(swap):([0-9]{{1,3}}):([0-9]{{1,5}}),([0-9]{{1,5}})|(flip):{_UNIT}|(flip_in):{_UNIT}"
    rf"|(rescale):{_UNIT}:([^:]{{1,100}})(?::([0-9]{{1,2}}))?|(sign):([0-9]{{1,3}}):([0-9]{{1,3}})"
    r"|(perm):([0-9]{1,3}):([0-9]{1,5}(?:,[0-9]{1,5})*)",
    re.ASCII,
)
_FORMS = "swap:L:I,J, flip:L:U, flip_in:L:U, rescale:L:U:ALPHA[:K], sign:F:T or perm:L:S0,S1,..."
#: A product ``E1;E2;...`` has at most this many factors (``identity`` is the empty product).
MAX_FACTORS = 100_000


def parse_product(net: Net, element: str) -> list[tuple[str, int, tuple]]:
    """The factors of ``E1;E2;...`` (applied left to right), each read by :func:`parse_element`.

    ``identity`` is the empty product.
    """
    if element == "identity":
        return []
    if element.count(";") >= MAX_FACTORS:
        raise CertificateFormatError(f"element has more than {MAX_FACTORS} factors")
    return [parse_element(net, factor) for factor in element.split(";")]


def parse_element(net: Net, element: str) -> tuple[str, int, tuple]:
    """``(kind, layer, arguments)`` of one factor of an element string in ``net``.

    The forms are ``swap:L:I,J``, ``flip:L:U``, ``flip_in:L:U``, ``rescale:L:U:ALPHA[:K]``
    (``K`` from 1 to 64, default 1), ``sign:F:T`` (``F < T <= depth``) and ``perm:L:S0,S1,...``
    (unit ``i`` of the image is unit ``Si``: each unit of the layer listed once). Layers ``L`` and ``F``
    are hidden layers (1 to depth - 1) and units lie in ``0 .. width - 1``; anything else
    (negative or out-of-range indices, other spellings) is malformed.
    """
    match = _ELEMENT.fullmatch(element)
    if match is None:
        raise CertificateFormatError(f"element {element[:60]!r} is malformed: expected {_FORMS}")
    groups = [g for g in match.groups() if g is not None]
    kind, layer = groups[0], int(groups[1])
    depth = len(net.widths) - 1
    if not 1 <= layer < depth:
        raise CertificateFormatError(
            f"element {element!r}: layer {layer} is not a hidden layer (1 to {depth - 1})"
        )
    if kind == "sign":
        last = int(groups[2])
        if not layer < last <= depth:
            raise CertificateFormatError(
                f"element {element!r}: the second layer must lie in {layer + 1} to {depth}"
            )
        return kind, layer, (last,)
    if kind == "perm":
        source = tuple(int(u) for u in groups[2].split(","))
        if sorted(source) != list(range(net.widths[layer])):
            raise CertificateFormatError(
                f"element {element[:60]!r}: a permutation of layer {layer} lists each unit "
                f"0 to {net.widths[layer] - 1} exactly once"
            )
        return kind, layer, source
    units = [int(u) for u in groups[2 : 4 if kind == "swap" else 3]]
    if any(u >= net.widths[layer] for u in units):
        raise CertificateFormatError(
            f"element {element!r}: units of layer {layer} are numbered 0 to {net.widths[layer] - 1}"
        )
    if kind == "rescale":
        alpha = rational(groups[3], "rescale alpha")
        degree = int(groups[4]) if len(groups) > 4 else 1
        if alpha <= 0:
            raise CertificateFormatError(f"element {element!r}: the rescaling factor must be > 0")
        if not 1 <= degree <= MAX_DEGREE:
            raise CertificateFormatError(f"element {element!r}: the degree must lie in 1 to {MAX_DEGREE}")
        return kind, layer, (units[0], alpha, degree)
    return kind, layer, tuple(units)


def apply_element(net: Net, layers: list, element: str) -> list:
    """The exact image of a point under an element or a product (the forms of :func:`parse_element`).

    Packed arrays (:class:`~symcert.checker.packed.Packed`) stay packed under a product of ``swap``,
    ``perm`` and ``sign`` factors (:func:`_moved`: the entries are moved or negated, never rounded);
    under the other factors the point is first made of ``Fraction``.
    """
    factors = parse_product(net, element)
    packed_arrays = any(isinstance(x, Packed) for layer in layers for x in layer)
    if packed_arrays and all(kind in ("swap", "perm", "sign") for kind, _, _ in factors):
        return _moved(net, layers, factors)
    out = [([list(r) for r in _exact(w)], None if b is None else list(_exact(b))) for w, b in layers]
    for factor in factors:
        _apply_factor(net, out, factor)
    return out


def _moved(net: Net, layers: list, factors: list[tuple[str, int, tuple]]) -> list:
    """The image under swaps, permutations and sign changes, composed first and applied once.

    Each factor permutes the units of one hidden layer ``l`` (rows of ``W_l`` and ``b_l``, columns of
    ``W_{l+1}``) or negates two weight matrices; these commute as maps of the arrays, so the product is
    one permutation per hidden layer (``order[l][i]``: the unit of ``A`` that image unit ``i`` holds) and
    one sign per weight matrix.
    """
    depth = len(net.widths) - 1
    order = [list(range(n)) for n in net.widths]  # per layer of units; the input and output stay put
    negate = [False] * (depth + 1)
    for kind, layer, arguments in factors:
        units = order[layer]
        if kind == "swap":
            i, j = arguments
            units[i], units[j] = units[j], units[i]
        elif kind == "perm":
            order[layer] = [units[s] for s in arguments]
        else:  # sign: W_layer and W_last negated
            negate[layer] = not negate[layer]
            negate[arguments[0]] = not negate[arguments[0]]
    out = []
    for l, (w, b) in enumerate(layers, start=1):
        rows = None if order[l] == list(range(net.widths[l])) else order[l]
        cols = None if order[l - 1] == list(range(net.widths[l - 1])) else order[l - 1]
        w = _rearranged(w, rows, cols)
        if negate[l]:
            w = w.negated() if isinstance(w, Packed) else [[-v for v in row] for row in w]
        if b is not None and rows is not None:
            b = b.rearranged(rows) if isinstance(b, Packed) else [b[i] for i in rows]
        out.append((w, b))
    return out


def _rearranged(w: Any, rows: list[int] | None, cols: list[int] | None) -> Any:
    if isinstance(w, Packed):
        return w.rearranged(rows, cols) if rows is not None or cols is not None else w
    w = w if rows is None else [w[i] for i in rows]
    return [list(r) for r in w] if cols is None else [[r[j] for j in cols] for r in w]


def _apply_factor(net: Net, out: list, factor: tuple[str, int, tuple]) -> None:
    kind, layer, arguments = factor
    if kind == "sign":
        for m in (layer, arguments[0]):
            weights, biases = out[m - 1]
            out[m - 1] = ([[-v for v in row] for row in weights], biases)
        return
    (weights, biases), (after, after_bias) = out[layer - 1], out[layer]
    if kind == "perm":
        source = arguments
        weights[:] = [weights[s] for s in source]
        if biases is not None:
            biases[:] = [biases[s] for s in source]
        for row in after:
            row[:] = [row[s] for s in source]
        return
    if kind == "swap":
        i, j = arguments
        weights[i], weights[j] = weights[j], weights[i]
        if biases is not None:
            biases[i], biases[j] = biases[j], biases[i]
        for row in after:
            row[i], row[j] = row[j], row[i]
        return
    u, factor_value = arguments[0], (-1 if kind in ("flip", "flip_in") else arguments[1])
    column = [row[u] for row in after]
    weights[u] = [factor_value * w for w in weights[u]]
    if biases is not None:
        biases[u] = factor_value * biases[u]
    if kind == "flip":
        for row in after:
            row[u] = -row[u]
        if net.activation == "sigmoid" and after_bias is not None:
            for m, w in enumerate(column):
                after_bias[m] += w
    elif kind == "rescale":
        for row in after:
            row[u] = row[u] / factor_value ** arguments[2]
